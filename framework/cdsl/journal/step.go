// SPDX-License-Identifier: Apache-2.0

// Package journal makes a CDSL operation crash safe. An operation is planned as a
// list of small idempotent steps; the list is written to the journal file (synced)
// before the first step runs, and the journal records each step as it completes.
// If the process dies at any point, Recover finishes the operation (roll forward)
// or, when that is impossible before its commit point, undoes it (roll back).
//
// Steps before the commit step never destroy data: what is replaced is renamed
// aside into a trash name, and the trash is removed only after the inventory has
// been committed.
package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
	"golang.org/x/sys/unix"
)

// Op is the kind of a step.
type Op string

// The step kinds.
const (
	OpMkdir     Op = "mkdir"     // create directory Path
	OpCopy      Op = "copy"      // copy From to Path, through the staging name Tmp
	OpRename    Op = "rename"    // rename From to Path (Path must not exist)
	OpSymlink   Op = "symlink"   // create Path as a symlink to Target
	OpInventory Op = "inventory" // write Data to the inventory Path, read through Link as each of Via (Old is restored on undo)
	OpRemoveAll Op = "removeall" // delete Path and everything below it
	OpRmdirs    Op = "rmdirs"    // remove Path and its parents while empty, up to (not including) Stop
	OpSync      Op = "sync"      // flush the filesystem
)

// Step is one filesystem operation. Every step can be re-run after a crash in its
// middle; steps before the commit point can also be undone.
type Step struct {
	Op     Op     `json:"op"`
	Path   string `json:"path,omitempty"`
	From   string `json:"from,omitempty"`
	Target string `json:"target,omitempty"`
	Tmp    string `json:"tmp,omitempty"`
	Stop   string `json:"stop,omitempty"`
	Note   string `json:"note,omitempty"`
	Data   []byte `json:"data,omitempty"`
	Old    []byte `json:"old,omitempty"`
	// Link and Via say how an inventory step finds its file: Path is resolved
	// with the link dir Link read as each node tree in Via, and every distinct
	// file found is written (an inventory inside a hostdependent CDSL has one copy
	// per node). The link dir need not be mounted.
	Link string   `json:"link,omitempty"`
	Via  []string `json:"via,omitempty"`
}

// String renders the step as the shell command it corresponds to, for --dry-run.
func (s Step) String() string {
	q := shellQuote
	switch s.Op {
	case OpMkdir:
		return "mkdir " + q(s.Path)
	case OpCopy:
		return fmt.Sprintf("cp -a %s %s && mv %s %s", q(s.From), q(s.Tmp), q(s.Tmp), q(s.Path))
	case OpRename:
		return fmt.Sprintf("mv %s %s", q(s.From), q(s.Path))
	case OpSymlink:
		return fmt.Sprintf("ln -s %s %s", q(s.Target), q(s.Path))
	case OpInventory:
		if s.Note != "" {
			return fmt.Sprintf("write %s  # %s", q(s.Path), s.Note)
		}
		return "write " + q(s.Path)
	case OpRemoveAll:
		return "rm -rf " + q(s.Path)
	case OpRmdirs:
		return fmt.Sprintf("rmdir -p --ignore-fail-on-non-empty %s  # up to %s", q(s.Path), q(s.Stop))
	case OpSync:
		return "sync"
	}
	return string(s.Op) + " " + s.Path
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == ':' || r == ',' ||
			r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Env is what steps run against.
type Env struct {
	FS *rootfs.FS
	// Canceled stops long copies early (a cancelled context, a lost lock); it is
	// called for every file copied, so it must be cheap. May be nil.
	Canceled func() error
	// Fence returns an error when the process no longer holds the lock the
	// operation runs under. It is called before every step, every undo and every
	// journal write, which then do not happen. May be nil (no lock: dry runs,
	// tests).
	Fence func() error
	// Generation is the lock generation of this process, written into the journal
	// so a process that lost the lock finds its journal taken over.
	Generation uint64
}

func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// do runs a step; it is idempotent.
func (s Step) do(e *Env) error {
	f := e.FS
	switch s.Op {
	case OpMkdir:
		err := f.Mkdir(s.Path, 0o755)
		if errors.Is(err, fs.ErrExist) && f.IsDir(s.Path) {
			return nil
		}
		return err
	case OpCopy:
		if f.Exists(s.Path) {
			return nil
		}
		if err := f.RemoveAll(s.Tmp); err != nil {
			return err
		}
		if err := f.Copy(s.From, s.Tmp, e.Canceled); err != nil {
			return err
		}
		if e.Fence != nil {
			if err := e.Fence(); err != nil {
				return err
			}
		}
		return f.RenameNoReplace(s.Tmp, s.Path)
	case OpRename:
		if !f.Exists(s.From) && f.Exists(s.Path) {
			return nil
		}
		return f.RenameNoReplace(s.From, s.Path)
	case OpSymlink:
		if t, err := f.Readlink(s.Path); err == nil && t == s.Target {
			return nil
		}
		return f.Symlink(s.Target, s.Path)
	case OpInventory:
		return s.writeInventory(e, s.Data)
	case OpRemoveAll:
		return f.RemoveAll(s.Path)
	case OpRmdirs:
		for p := rootfs.Clean(s.Path); p != "" && p != rootfs.Clean(s.Stop) && strings.HasPrefix(p, rootfs.Clean(s.Stop)+"/"); p = parentOf(p) {
			if err := f.Remove(p); err != nil {
				if notExist(err) {
					continue
				}
				if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTDIR) {
					return nil
				}
				return err
			}
		}
		return nil
	case OpSync:
		return f.Syncfs()
	}
	return fmt.Errorf("unknown journal step %q", s.Op)
}

// undo reverses a step that may have run completely, partly or not at all.
func (s Step) undo(e *Env) error {
	f := e.FS
	switch s.Op {
	case OpMkdir:
		err := f.Remove(s.Path)
		if err == nil || notExist(err) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
			return nil
		}
		return err
	case OpCopy:
		if err := f.RemoveAll(s.Tmp); err != nil {
			return err
		}
		return f.RemoveAll(s.Path)
	case OpRename:
		switch {
		case !f.Exists(s.Path):
			return nil // it never ran, or was undone already
		case f.Exists(s.From):
			return fmt.Errorf("cannot move %s back to %s: something else is at %s now", s.Path, s.From, s.From)
		}
		return f.RenameNoReplace(s.Path, s.From)
	case OpSymlink:
		if t, err := f.Readlink(s.Path); err == nil && t == s.Target {
			return f.Remove(s.Path)
		}
		return nil
	case OpInventory:
		if s.Old == nil {
			return s.removeInventory(f)
		}
		return s.writeInventory(e, s.Old)
	case OpRemoveAll, OpRmdirs, OpSync:
		return fmt.Errorf("journal step %q cannot be undone", s.Op)
	}
	return fmt.Errorf("unknown journal step %q", s.Op)
}

func parentOf(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

// InventoryFiles returns the physical names of the inventory an OpInventory step
// writes: Path resolved with the link dir read as each tree in Via, without
// duplicates, keeping only those whose directory exists.
func (s Step) InventoryFiles(f *rootfs.FS) ([]string, error) {
	vias := s.Via
	if len(vias) == 0 {
		vias = []string{""}
	}
	var out []string
	seen := map[string]bool{}
	for _, via := range vias {
		var subst func(string) string
		if via != "" && s.Link != "" {
			link, tree := rootfs.Clean(s.Link), rootfs.Clean(via)
			subst = func(name string) string {
				if name == link {
					return tree
				}
				return ""
			}
		}
		p, err := f.Resolve(s.Path, subst)
		if err != nil {
			return nil, err
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		if dir := parentOf(p); dir != "" && !f.IsDir(dir) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("inventory %s: no directory to write it in", s.Path)
	}
	return out, nil
}

func (s Step) writeInventory(e *Env, data []byte) error {
	files, err := s.InventoryFiles(e.FS)
	if err != nil {
		return err
	}
	for _, p := range files {
		if err := e.FS.WriteFileChecked(p, data, 0o644, e.Fence); err != nil {
			return fmt.Errorf("write inventory: %w", err)
		}
	}
	return nil
}

func (s Step) removeInventory(f *rootfs.FS) error {
	files, err := s.InventoryFiles(f)
	if err != nil {
		return nil
	}
	for _, p := range files {
		if err := f.Remove(p); err != nil && !notExist(err) {
			return fmt.Errorf("remove inventory: %w", err)
		}
	}
	return nil
}
