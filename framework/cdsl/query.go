// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
	"github.com/open-sharedroot/osr/framework/cdsl/treediff"
)

// Get canonicalises arg and returns it with the CDSL it is, or with recursive the
// nearest CDSL it lies in; the CDSL is nil when there is none.
func (r *Repo) Get(arg string, recursive bool) (string, *inventory.CDSL, error) {
	src, err := r.Canon(arg)
	if err != nil {
		return "", nil, err
	}
	m := r.Model()
	if c := m.Inv.Find(src); c != nil {
		return src, c, nil
	}
	if recursive {
		return src, m.Parent(src), nil
	}
	return src, nil, nil
}

// NodeDiff is how one node's copy differs from the base copy.
type NodeDiff struct {
	Node    string
	Where   string // the copy, relative to the root
	Missing bool   // the node has no copy
	Changes []treediff.Change
}

// DiffResult is what Diff found for one path.
type DiffResult struct {
	Src  string         // the canonical path asked about
	CDSL inventory.CDSL // the CDSL it is or lies in
	Base string         // the node dir the others are compared with
	// Shared is set when the path's content is shared: one copy for every node.
	Shared bool
	Nodes  []NodeDiff
	// Groups lists the node dirs whose copies are identical, one group a line.
	Groups [][]string
}

// Diff compares every node's copy of the path arg (a CDSL or a path inside one)
// with base's copy (empty: the default dir) and groups the nodes whose copies are
// the same.
func (r *Repo) Diff(arg, base string) (DiffResult, error) {
	src, c, err := r.Get(arg, true)
	if err != nil {
		return DiffResult{}, err
	}
	if c == nil {
		return DiffResult{}, fmt.Errorf("%s is neither a CDSL nor inside one: %w", src, ErrNotCDSL)
	}
	m := r.Model()
	res := DiffResult{Src: src, CDSL: *c, Base: r.layout.DefaultDir}
	if base != "" {
		res.Base = m.NodeDir(base)
	}
	if a := m.Inv.Find(src); (a != nil && a.Type == inventory.Shared) || (a == nil && c.Type == inventory.Shared) {
		res.Shared = true
		return res, nil
	}
	where := func(d string) string { return r.at(m.Physical(src, d)) }
	baseLoc := where(res.Base)
	if !r.fs.Exists(baseLoc) {
		return res, fmt.Errorf("%s has no copy for %s (%s): pick another base with --base", src, res.Base, r.fs.HostPath(baseLoc))
	}
	var reps []string // one copy per group
	for _, d := range m.Dirs(c.Nodes) {
		loc := where(d)
		nd := NodeDiff{Node: d, Where: loc}
		if !r.fs.Exists(loc) {
			nd.Missing = true
			res.Nodes = append(res.Nodes, nd)
			continue
		}
		if d != res.Base {
			if nd.Changes, err = treediff.Compare(r.fs, baseLoc, loc); err != nil {
				return res, err
			}
		}
		res.Nodes = append(res.Nodes, nd)
		placed := false
		for i, rep := range reps {
			same, err := treediff.Equal(r.fs, rep, loc)
			if err != nil {
				return res, err
			}
			if same {
				res.Groups[i] = append(res.Groups[i], d)
				placed = true
				break
			}
		}
		if !placed {
			reps = append(reps, loc)
			res.Groups = append(res.Groups, []string{d})
		}
	}
	return res, nil
}

// NodeCommand is a command line for one node dir.
type NodeCommand struct {
	Node string
	Args []string
}

// ForEach expands a command line for every node dir (the nodes of the CDSLs it
// names, then the default dir unless noDefault): each absolute argument that is
// a CDSL or lies in one becomes the host path of that node's copy, resolved
// inside the root. Other arguments are kept.
func (r *Repo) ForEach(args []string, noDefault bool) ([]NodeCommand, error) {
	m := r.Model()
	type hit struct {
		i   int
		src string
	}
	var hits []hit
	var nodes []string
	for i, a := range args {
		if !strings.HasPrefix(a, "/") {
			continue
		}
		src, c, err := r.Get(a, true)
		if err != nil || c == nil {
			continue
		}
		hits = append(hits, hit{i, src})
		nodes = append(nodes, c.Nodes...)
	}
	if len(hits) == 0 {
		return nil, fmt.Errorf("no argument names a CDSL or a path inside one (CDSL paths are given absolute: /etc/sysconfig/network): %w", ErrNotCDSL)
	}
	nodes = uniq(nodes)
	sortNodes(nodes)
	dirs := make([]string, 0, len(nodes)+1)
	for _, n := range nodes {
		dirs = append(dirs, m.NodeDir(n))
	}
	if !noDefault {
		dirs = append(dirs, r.layout.DefaultDir)
	}
	var out []NodeCommand
	for _, d := range dirs {
		cmd := NodeCommand{Node: d, Args: append([]string(nil), args...)}
		for _, h := range hits {
			phys, err := r.fs.Resolve(r.at(h.src), r.layout.SubstFor(d))
			if err != nil {
				return nil, err
			}
			cmd.Args[h.i] = r.fs.HostPath(phys)
		}
		out = append(out, cmd)
	}
	return out, nil
}

// Migrate writes a version 1 inventory as a version 2.0 one at file (relative to
// the CDSL filesystem; empty: the v2 place) and returns where, relative to the
// root. The old file stays for the old tools; delete it when none uses it.
func (r *Repo) Migrate(file string) (string, error) {
	if r.inv.Version == inventory.Version2 {
		return "", fmt.Errorf("inventory %s already has format %s: nothing to migrate", r.fs.HostPath(r.layout.Physical), inventory.Version2)
	}
	if file == "" {
		file = inventory.V2File
	}
	target := rootfs.Clean(path.Join(r.opts.Mountpoint, file))
	if r.fs.Exists(target) {
		return "", fmt.Errorf("%s exists already; move it away or name another file with --to", r.fs.HostPath(target))
	}
	inv := r.inv.Clone()
	inv.Version = inventory.Version2
	step := journal.Step{Op: journal.OpInventory, Path: target, Link: r.layout.LinkDir(),
		Via: []string{r.layout.NodeDir(r.viewDir())}, Data: inventory.Marshal(inv), Note: "migrated from " + r.layout.File}
	if err := r.run(journal.Plan{Op: "migrate", Steps: []journal.Step{step}, Commit: 1}); err != nil {
		return "", err
	}
	if !r.opts.DryRun && r.opts.Inventory != "" {
		r.opts.Inventory = file
		if err := r.load(); err != nil && !errors.Is(err, inventory.ErrNoInventory) {
			return target, err
		}
	}
	return target, nil
}
