// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/lock"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// ErrNotOnFilesystem is returned for a path outside the CDSL filesystem.
var ErrNotOnFilesystem = errors.New("not on the CDSL filesystem")

// Canon turns any spelling of a path into the CDSL path it stands for, relative to
// the CDSL filesystem and without a leading slash, as the originals did:
// "/var/log", "var/log", "/.cdsl.local/var/log" and "/.cluster/cdsl/2/var/log" all
// become "var/log". The directories above the last component are resolved inside
// the root (symlinks followed, the link dir read as the bound node's tree or the
// default dir), then the link dir, the shared tree, "<tree>/<node>" and the
// expansion prefixes are stripped.
//
// An absolute path is taken inside the root; a leading host path of the root is
// removed. A relative path is taken from the current directory when that lies
// inside the root, else from the root.
func (r *Repo) Canon(arg string) (string, error) {
	if strings.TrimSpace(arg) == "" {
		return "", errors.New("an empty path names no CDSL")
	}
	name, err := r.rootRelative(arg)
	if err != nil {
		return "", err
	}
	phys, err := r.fs.ResolveParent(name, r.subst())
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", arg, err)
	}
	mp := r.opts.Mountpoint
	if mp != "" {
		if phys != mp && !strings.HasPrefix(phys, mp+"/") {
			return "", fmt.Errorf("%s: %w mounted at /%s", arg, ErrNotOnFilesystem, mp)
		}
		phys = strings.TrimPrefix(strings.TrimPrefix(phys, mp), "/")
	}
	src := r.Model().Strip(phys)
	if src != "" {
		if err := inventory.CheckPath(src); err != nil {
			return "", fmt.Errorf("%q: %w; nothing was changed", arg, err)
		}
	}
	if err := r.checkSrc(arg, src); err != nil {
		return "", err
	}
	return src, nil
}

// rootRelative returns arg as a name relative to the root.
func (r *Repo) rootRelative(arg string) (string, error) {
	root, err := filepath.Abs(r.opts.Root)
	if err != nil {
		return "", err
	}
	if path.IsAbs(arg) {
		if root != "/" && (arg == root || strings.HasPrefix(arg, root+"/")) {
			arg = strings.TrimPrefix(arg, root)
		}
		return rootfs.Clean(arg), nil
	}
	cwd := r.opts.Cwd
	if cwd == "" {
		if cwd, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	if cwd, err = filepath.Abs(cwd); err != nil {
		return "", err
	}
	if root == "/" {
		return rootfs.Clean(path.Join(cwd, arg)), nil
	}
	if cwd == root || strings.HasPrefix(cwd, root+"/") {
		return rootfs.Clean(path.Join(strings.TrimPrefix(cwd, root), arg)), nil
	}
	return rootfs.Clean(arg), nil
}

// checkSrc refuses the filesystem's root, the inventory, and osr's or the layout's
// own files and directories or one of their parents.
func (r *Repo) checkSrc(arg, src string) error {
	if src == "" {
		return fmt.Errorf("%s names the root of the CDSL filesystem or its CDSL directories; name a path inside it", arg)
	}
	s := r.layout.Settings
	if inv := strings.TrimPrefix(strings.TrimPrefix(r.layout.File, s.Mountpoint), "/"); src == inv {
		return fmt.Errorf("%s is the CDSL inventory; it cannot be a CDSL", arg)
	}
	for _, res := range []string{s.Tree, s.SharedTree, s.Link, JournalFile, LockFile, lock.GenerationFile(LockFile)} {
		if src == res || strings.HasPrefix(res, src+"/") {
			return fmt.Errorf("%s (%s) holds the CDSL infrastructure (%s); it cannot be a CDSL", arg, src, res)
		}
	}
	return nil
}
