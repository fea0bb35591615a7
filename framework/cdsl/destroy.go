// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"fmt"
	"sort"

	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// DestroyOptions control Destroy.
type DestroyOptions struct {
	// Force deletes what is left in the node directories after every CDSL
	// is removed; without it Destroy refuses while any is left.
	Force bool
	// Purge deletes the other nodes' copies of each CDSL (RemoveOptions.Purge).
	Purge bool
}

// Destroy removes the whole CDSL infrastructure, as com-cdslinvadm delete
// did: every CDSL first (each turned back into a real path, journaled like
// Remove), then the per-node tree with the default dir, the shared tree,
// the link dir and finally the inventory, in one journaled step. It refuses
// while a node's tree is bound on the link dir (on a running shared root).
func (r *Repo) Destroy(o DestroyOptions) error {
	if err := r.needV2(); err != nil {
		return err
	}
	if b := r.BoundNode(); b != "" {
		return fmt.Errorf("node %s's tree is bound on %s (this is a running shared root); destroy the infrastructure from a system that has the filesystem mounted without the bind", b, r.fs.HostPath(r.layout.LinkDir()))
	}
	// The deepest CDSLs first, so each one removed has no CDSL below it.
	srcs := make([]string, 0, len(r.inv.CDSLs))
	for _, c := range r.inv.CDSLs {
		srcs = append(srcs, c.Src)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(srcs)))
	for _, s := range srcs {
		if _, err := r.removeOne(s, RemoveOptions{Force: o.Force, Purge: o.Purge}); err != nil {
			return fmt.Errorf("remove the CDSL %s: %w", s, err)
		}
	}
	if !o.Force && !r.opts.DryRun {
		if left := r.leftInTree(); left != "" {
			return fmt.Errorf("%s is still in the per-node tree after every CDSL was removed; move it away or give --force to delete it", r.fs.HostPath(left))
		}
	}
	p := r.newPlanner()
	var trash []string
	for _, dir := range []string{r.layout.TreeDir(), r.layout.SharedDir(), r.layout.LinkDir(), r.layout.Physical} {
		if r.fs.Exists(dir) {
			trash = append(trash, p.trash(dir))
		}
	}
	commit := len(p.steps)
	for _, t := range trash {
		p.add(journal.Step{Op: journal.OpRemoveAll, Path: t})
	}
	plan := journal.Plan{Op: "destroy the CDSL infrastructure", Steps: p.steps, Commit: commit}
	if r.opts.DryRun {
		return r.run(plan)
	}
	// Not r.run: it reloads the inventory, which is gone now.
	return r.journal().Run(plan)
}

// leftInTree returns the first file or symlink found in the per-node tree
// (below any node or the default dir), or "".
func (r *Repo) leftInTree() string {
	var found string
	var walk func(dir string)
	walk = func(dir string) {
		names, err := r.fs.ReadDirNames(dir)
		if err != nil {
			return
		}
		for _, n := range names {
			if found != "" {
				return
			}
			p := rootfs.Clean(dir + "/" + n)
			if r.fs.IsDir(p) {
				walk(p)
				continue
			}
			found = p
		}
	}
	walk(r.layout.TreeDir())
	return found
}
