// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"golang.org/x/sys/unix"
)

// Errors of Add that callers may test.
var (
	ErrExists     = errors.New("already a CDSL")
	ErrSameType   = errors.New("nested CDSLs must alternate hostdependent and shared")
	ErrNoSource   = errors.New("does not exist")
	ErrOccupied   = errors.New("is in the way")
	ErrHasNested  = errors.New("has CDSLs below it")
	ErrNotCDSL    = errors.New("not a CDSL")
	ErrNoParentHD = errors.New("a shared CDSL must lie inside a hostdependent one")
)

// AddOptions tune Add.
type AddOptions struct {
	// Backup keeps what the CDSL replaces as PATH.orig instead of deleting it.
	Backup bool
	// From is the node whose copy becomes the shared one (shared CDSLs only);
	// empty means the node bound on the link dir, else the default dir.
	From string
}

// Add makes the path arg a CDSL of type t for nodes (empty: every node, see
// Nodes) in one journaled operation, and returns the new entry.
//
// A hostdependent CDSL copies the path to every node's tree and the default dir
// and replaces it by a relative symlink through the link dir. A shared CDSL copies
// one node's version into the shared tree and replaces every node's copy by a
// symlink to it.
func (r *Repo) Add(arg string, t inventory.Type, nodes []string, o AddOptions) (inventory.CDSL, error) {
	if err := r.needV2(); err != nil {
		return inventory.CDSL{}, err
	}
	src, err := r.Canon(arg)
	if err != nil {
		return inventory.CDSL{}, err
	}
	m := r.Model()
	if c := m.Inv.Find(src); c != nil {
		return inventory.CDSL{}, fmt.Errorf("%s: %w (%s); remove it first with 'osr cdsl rm' to change it", src, ErrExists, c.Type)
	}
	parent := m.Parent(src)
	switch {
	case t == inventory.Shared && parent == nil:
		return inventory.CDSL{}, fmt.Errorf("%s: %w; make a directory above it hostdependent first (osr cdsl add -a DIR)", src, ErrNoParentHD)
	case parent != nil && parent.Type == t:
		return inventory.CDSL{}, fmt.Errorf("%s lies inside the %s CDSL %s already: %w", src, parent.Type, parent.Src, ErrSameType)
	}
	if kids := m.Children(src); len(kids) > 0 {
		return inventory.CDSL{}, fmt.Errorf("%s %w (%s); remove them first", src, ErrHasNested, kids[len(kids)-1].Src)
	}
	if len(nodes) == 0 {
		if nodes, err = r.Nodes(); err != nil {
			return inventory.CDSL{}, err
		}
		if len(nodes) == 0 {
			return inventory.CDSL{}, fmt.Errorf("%w: give them with --cluster, after the path, or create node dirs with 'osr cdsl nodes add'", ErrNoNodes)
		}
	}
	for _, n := range nodes {
		if err := checkNodeName(n); err != nil {
			return inventory.CDSL{}, err
		}
	}
	c := inventory.CDSL{Src: src, Type: t, Timestamp: now(), Nodes: nodes}
	p := r.newPlanner()
	steps, err := r.ensureNodeDirs(nodes)
	if err != nil {
		return c, err
	}
	for _, s := range steps {
		if err := p.copyTo(s.From, s.Path); err != nil {
			return c, err
		}
	}
	var trash []string
	if t == inventory.Hostdependent {
		trash, err = r.planHostdependent(p, m, c, o)
	} else {
		trash, err = r.planShared(p, m, c, parent, o)
	}
	if err != nil {
		return c, err
	}
	inv := r.inv.Clone()
	inv.Put(c)
	invStep, err := r.inventoryStep(inv, "add "+string(t)+" "+src)
	if err != nil {
		return c, err
	}
	commit := len(p.steps)
	p.add(invStep)
	for _, tr := range trash {
		p.add(journal.Step{Op: journal.OpRemoveAll, Path: tr})
	}
	if err := r.run(journal.Plan{Op: "add " + string(t) + " " + src, Steps: p.steps, Commit: commit}); err != nil {
		return c, err
	}
	if r.opts.DryRun {
		// Later paths of the same dry run are planned as if this one had run.
		r.inv = inv
		p.remember()
	}
	return c, nil
}

// planHostdependent plans the copies into every node dir, then the symlink.
// Unless a backup is asked for, the original itself is moved into the last dir
// (default) instead of being copied there and deleted: one copy fewer, and the
// template keeps the original inodes.
func (r *Repo) planHostdependent(p *planner, m Model, c inventory.CDSL, o AddOptions) ([]string, error) {
	link := r.at(m.LinkLocations(c)[0])
	if !p.exists(link) {
		return nil, fmt.Errorf("%s %w (at %s); create it first", c.Src, ErrNoSource, r.fs.HostPath(link))
	}
	dirs := m.Dirs(c.Nodes)
	dests := make([]string, len(dirs))
	for i, d := range dirs {
		dests[i] = r.at(m.NodeData(c, d))
		if p.exists(dests[i]) {
			return nil, fmt.Errorf("%s %w: it would receive node %s's copy of %s; move it away first", r.fs.HostPath(dests[i]), ErrOccupied, d, c.Src)
		}
	}
	last := len(dests) - 1
	move := !o.Backup && r.movable(link, dests[last]) && !r.fs.IsSymlink(link)
	for i, dest := range dests {
		if i == last && move {
			break
		}
		if err := r.planCopy(p, link, dest); err != nil {
			return nil, err
		}
	}
	var trash []string
	if move {
		if err := p.mkdirAll(path.Dir(dests[last])); err != nil {
			return nil, err
		}
		p.add(journal.Step{Op: journal.OpRename, From: link, Path: dests[last]})
	} else {
		var err error
		if trash, err = r.planReplace(p, link, o.Backup); err != nil {
			return nil, err
		}
	}
	p.add(journal.Step{Op: journal.OpSymlink, Path: link, Target: m.Target(c)})
	return trash, nil
}

// movable reports whether from can be renamed to to: both on one filesystem and
// from not a mount point itself.
func (r *Repo) movable(from, to string) bool {
	sf, err := r.fs.Lstat(from)
	if err != nil {
		return false
	}
	sp, err := r.fs.Stat(path.Dir(from))
	if err != nil || sp.Dev != sf.Dev {
		return false
	}
	// The destination's nearest existing parent tells its filesystem.
	for d := path.Dir(to); ; d = path.Dir(d) {
		if d == "." {
			d = ""
		}
		if st, err := r.fs.Stat(d); err == nil {
			return st.Dev == sf.Dev
		}
		if d == "" {
			return false
		}
	}
}

// planShared plans the copy of one node's version into the shared tree, then a
// symlink in place of every node's copy.
func (r *Repo) planShared(p *planner, m Model, c inventory.CDSL, parent *inventory.CDSL, o AddOptions) ([]string, error) {
	from := o.From
	if from == "" {
		from = m.Settings.NodeOfDir(r.viewDir())
	}
	tail := strings.TrimPrefix(c.Src, parent.Src+"/")
	fromLoc := r.at(m.tree(m.NodeDir(from), m.Expand(parent.Src, parent.Type), tail))
	if !p.exists(fromLoc) {
		return nil, fmt.Errorf("%s %w in node %s's tree (at %s); create it there first or pick another node with --from", c.Src, ErrNoSource, from, r.fs.HostPath(fromLoc))
	}
	dest := r.at(m.DataLocations(c)[0])
	if p.exists(dest) {
		return nil, fmt.Errorf("%s %w: it would receive the shared copy of %s; move it away first", r.fs.HostPath(dest), ErrOccupied, c.Src)
	}
	// Unless a backup is asked for, the chosen node's copy is moved, not copied.
	move := !o.Backup && r.movable(fromLoc, dest) && !r.fs.IsSymlink(fromLoc)
	if move {
		move = false
		for _, loc := range m.LinkLocations(c) {
			move = move || r.at(loc) == fromLoc
		}
	}
	if move {
		if err := p.mkdirAll(path.Dir(dest)); err != nil {
			return nil, err
		}
		p.add(journal.Step{Op: journal.OpRename, From: fromLoc, Path: dest})
	} else if err := r.planCopy(p, fromLoc, dest); err != nil {
		return nil, err
	}
	var trash []string
	target := m.Target(c)
	for _, loc := range m.LinkLocations(c) {
		loc = r.at(loc)
		switch {
		case move && loc == fromLoc:
		case p.exists(loc):
			tr, err := r.planReplace(p, loc, o.Backup)
			if err != nil {
				return nil, err
			}
			trash = append(trash, tr...)
		default:
			if err := p.mkdirAll(path.Dir(loc)); err != nil {
				return nil, err
			}
		}
		p.add(journal.Step{Op: journal.OpSymlink, Path: loc, Target: target})
	}
	return trash, nil
}

// planCopy plans a copy of from to dest. A relative symlink is not copied as it
// is but made to point, from its new place, where it pointed from the old one.
func (r *Repo) planCopy(p *planner, from, dest string) error {
	st, err := r.fs.Lstat(from)
	if err == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		target, err := r.fs.Readlink(from)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(target, "/") {
			resolved, err := r.fs.Resolve(from, r.subst())
			if err != nil {
				return err
			}
			if err := p.mkdirAll(path.Dir(dest)); err != nil {
				return err
			}
			p.add(journal.Step{Op: journal.OpSymlink, Path: dest, Target: relTarget(dest, resolved)})
			p.created[dest] = true
			return nil
		}
	}
	return p.copyTo(from, dest)
}

// planReplace moves name out of the way: to name.orig with backup, else to a
// trash name that is deleted once the operation has committed (returned).
func (r *Repo) planReplace(p *planner, name string, backup bool) ([]string, error) {
	if backup {
		orig := name + ".orig"
		if p.exists(orig) {
			return nil, fmt.Errorf("the backup %s %w; move it away first", r.fs.HostPath(orig), ErrOccupied)
		}
		p.add(journal.Step{Op: journal.OpRename, From: name, Path: orig})
		return nil, nil
	}
	return []string{p.trash(name)}, nil
}
