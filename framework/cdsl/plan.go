// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
	"golang.org/x/sys/unix"
)

// planner collects the steps of one operation and remembers what they will have
// done, so later steps of the same plan see the directories earlier ones create.
type planner struct {
	r       *Repo
	id      string
	steps   []journal.Step
	later   []journal.Step // run after the commit point (deleting trash)
	created map[string]bool
	trashed int
}

func (r *Repo) newPlanner() *planner {
	return &planner{r: r, id: journal.NewID(), created: map[string]bool{}}
}

func (p *planner) add(s ...journal.Step) { p.steps = append(p.steps, s...) }

// mkdirAll plans the creation of dir and its missing parents (names relative to
// the root). A symlink on the way must lead to a directory inside the root.
func (p *planner) mkdirAll(dir string) error {
	dir = rootfs.Clean(dir)
	if dir == "" {
		return nil
	}
	parts := strings.Split(dir, "/")
	for i := range parts {
		d := strings.Join(parts[:i+1], "/")
		if p.created[d] || p.r.fs.IsDir(d) {
			continue
		}
		if st, err := p.r.fs.Stat(d); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			continue // a symlink to a directory
		}
		if p.r.fs.Exists(d) {
			return fmt.Errorf("%s is in the way of the directory %s (not a directory, or a symlink to none inside the root); move it away", p.r.fs.HostPath(d), p.r.fs.HostPath(dir))
		}
		p.created[d] = true
		p.add(journal.Step{Op: journal.OpMkdir, Path: d})
	}
	return nil
}

// exists reports whether name exists now or will have been created by the plan
// (or, on a dry run, by the plans printed before it).
func (p *planner) exists(name string) bool {
	n := rootfs.Clean(name)
	if p.created[n] || p.r.fs.Exists(n) {
		return true
	}
	for dest, from := range p.r.virtual {
		if n == dest {
			return true
		}
		if strings.HasPrefix(n, dest+"/") && from != "" && p.r.fs.Exists(path.Join(from, strings.TrimPrefix(n, dest+"/"))) {
			return true
		}
	}
	return false
}

// remember records, on a dry run, what the printed plan would have created, so
// the next path of the same command is planned as if it had run.
func (p *planner) remember() {
	if p.r.virtual == nil {
		p.r.virtual = map[string]string{}
	}
	for _, s := range p.steps {
		switch s.Op {
		case journal.OpCopy, journal.OpRename:
			p.r.virtual[s.Path] = s.From
		case journal.OpMkdir, journal.OpSymlink:
			p.r.virtual[s.Path] = ""
		}
	}
}

// copyTo plans a copy of from to to (through a staging name beside to).
func (p *planner) copyTo(from, to string) error {
	if err := p.mkdirAll(path.Dir(to)); err != nil {
		return err
	}
	p.add(copyStep(from, to))
	p.created[rootfs.Clean(to)] = true
	return nil
}

// trash plans moving name aside to a hidden name beside it; the name is returned
// so a later step can delete it.
func (p *planner) trash(name string) string {
	p.trashed++
	id := p.id
	if p.trashed > 1 {
		id += "-" + strconv.Itoa(p.trashed)
	}
	t := asideName(name, "trash", id)
	p.add(journal.Step{Op: journal.OpRename, From: name, Path: t})
	return t
}

// asideName is a hidden name beside name for osr's own use (kind "trash" or
// "tmp"): ".NAME.osr-KIND-ID" when that fits in a file name (NAME_MAX), else
// ".osr-KIND-ID-HASH" with a hash of NAME, so names of any length can be moved
// aside and staged. Plans record the names they use in the journal.
func asideName(name, kind, id string) string {
	dir, base := path.Split(rootfs.Clean(name))
	suffix := ".osr-" + kind
	if id != "" {
		suffix += "-" + id
	}
	if n := "." + base + suffix; len(n) <= inventory.NameMax {
		return path.Join(dir, n)
	}
	sum := sha256.Sum256([]byte(base))
	return path.Join(dir, ".osr-"+kind+"-"+strings.TrimPrefix(id+"-", "-")+hex.EncodeToString(sum[:8]))
}

// isTrashName reports whether base is a name trash or a node backup was moved to.
func isTrashName(base string) bool {
	return strings.Contains(base, ".osr-trash-") || strings.HasPrefix(base, ".") && strings.Contains(base, ".removed-")
}

func copyStep(from, to string) journal.Step {
	return journal.Step{Op: journal.OpCopy, From: rootfs.Clean(from), Path: rootfs.Clean(to), Tmp: asideName(to, "tmp", "")}
}

// relTarget is the relative symlink target that makes a link at linkName point
// at the root-relative name target.
func relTarget(linkName, target string) string {
	d := strings.Count(rootfs.Clean(linkName), "/")
	return strings.Repeat("../", d) + rootfs.Clean(target)
}
