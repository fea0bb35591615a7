// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"fmt"
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cdsl/treediff"
)

// RemoveOptions tune Remove.
type RemoveOptions struct {
	// Recursive removes the CDSLs below the path first.
	Recursive bool
	// Purge deletes the other nodes' copies of a hostdependent CDSL instead of
	// keeping those that differ as PATH.<node>.
	Purge bool
	// Force removes a CDSL whose parts are missing, and accepts a path that is
	// not a CDSL.
	Force bool
	// From is the node whose copy becomes the real path again (hostdependent
	// CDSLs); empty means the node bound on the link dir, else the default dir.
	From string
}

// RemoveResult says what Remove did with one CDSL.
type RemoveResult struct {
	Src string
	// Kept are the copies kept beside the path (PATH.<node>), relative to the root.
	Kept []string
}

// Remove turns the CDSL at arg back into a real path, each in its own journaled
// operation (the CDSLs below it first with Recursive). A hostdependent CDSL gets
// the --from node's copy back; the other nodes' copies that differ from it are
// kept as PATH.<node> unless Purge. A shared CDSL's content goes back into every
// node's tree.
func (r *Repo) Remove(arg string, o RemoveOptions) ([]RemoveResult, error) {
	if err := r.needV2(); err != nil {
		return nil, err
	}
	src, err := r.Canon(arg)
	if err != nil {
		return nil, err
	}
	m := r.Model()
	c := m.Inv.Find(src)
	if c == nil {
		if o.Force {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w (osr cdsl list shows the CDSLs)", src, ErrNotCDSL)
	}
	kids := m.Children(src)
	if len(kids) > 0 && !o.Recursive {
		names := make([]string, len(kids))
		for i, k := range kids {
			names[i] = k.Src
		}
		return nil, fmt.Errorf("%s %w (%s): remove them first or use -R", src, ErrHasNested, strings.Join(names, ", "))
	}
	var out []RemoveResult
	for _, k := range append(kids, *c) {
		res, err := r.removeOne(k.Src, o)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

func (r *Repo) removeOne(src string, o RemoveOptions) (RemoveResult, error) {
	res := RemoveResult{Src: src}
	m := r.Model()
	c := *m.Inv.Find(src)
	if !o.Force {
		if probs := r.Verify(c); len(probs) > 0 {
			return res, fmt.Errorf("%s is inconsistent (%s): repair it with 'osr cdsl check --repair' or remove it anyway with -f", src, probs[0].Message)
		}
	}
	p := r.newPlanner()
	var (
		trash []string
		err   error
	)
	if c.Type == inventory.Hostdependent {
		trash, res.Kept, err = r.planRestoreHostdependent(p, m, c, o)
	} else {
		trash, err = r.planRestoreShared(p, m, c)
	}
	if err != nil {
		return res, err
	}
	inv := r.inv.Clone()
	inv.Delete(src)
	invStep, err := r.inventoryStep(inv, "remove "+string(c.Type)+" "+src)
	if err != nil {
		return res, err
	}
	commit := len(p.steps)
	p.add(invStep)
	for _, t := range trash {
		p.add(journal.Step{Op: journal.OpRemoveAll, Path: t})
	}
	// Directories left empty are removed once the operation has committed.
	if c.Type == inventory.Hostdependent {
		for _, d := range m.Dirs(c.Nodes) {
			p.add(journal.Step{Op: journal.OpRmdirs, Path: path.Dir(r.at(m.NodeData(c, d))), Stop: r.layout.NodeDir(d)})
		}
	} else {
		p.add(journal.Step{Op: journal.OpRmdirs, Path: path.Dir(r.at(m.DataLocations(c)[0])), Stop: r.layout.SharedDir()})
	}
	if err := r.run(journal.Plan{Op: "rm " + string(c.Type) + " " + src, Steps: p.steps, Commit: commit}); err != nil {
		return res, err
	}
	if r.opts.DryRun {
		r.inv = inv
	}
	return res, nil
}

// planRestoreHostdependent replaces the symlink by the chosen node's copy and
// keeps (or purges) the others.
func (r *Repo) planRestoreHostdependent(p *planner, m Model, c inventory.CDSL, o RemoveOptions) (trash, kept []string, err error) {
	link := r.at(m.LinkLocations(c)[0])
	if p.exists(link) {
		if !r.fs.IsSymlink(link) {
			return nil, nil, fmt.Errorf("%s is not the CDSL's symlink but a real path; move it away first", r.fs.HostPath(link))
		}
		trash = append(trash, p.trash(link))
	}
	fromDir := r.viewDir()
	if o.From != "" {
		fromDir = m.NodeDir(o.From)
	}
	fromData := r.at(m.NodeData(c, fromDir))
	if !r.fs.Exists(fromData) {
		if !o.Force {
			return nil, nil, fmt.Errorf("%s has no copy for %s (%s); pick another with --from", c.Src, fromDir, r.fs.HostPath(fromData))
		}
		fromData = ""
		for _, d := range m.Dirs(c.Nodes) {
			if x := r.at(m.NodeData(c, d)); r.fs.Exists(x) {
				fromData, fromDir = x, d
				break
			}
		}
	}
	if fromData != "" {
		p.add(journal.Step{Op: journal.OpRename, From: fromData, Path: link})
	}
	for _, d := range m.Dirs(c.Nodes) {
		data := r.at(m.NodeData(c, d))
		if d == fromDir || !r.fs.Exists(data) {
			continue
		}
		same := false
		if fromData != "" && !o.Purge {
			if same, err = treediff.Equal(r.fs, fromData, data); err != nil {
				return nil, nil, fmt.Errorf("compare %s with %s: %w", data, fromData, err)
			}
		}
		if o.Purge || same {
			trash = append(trash, p.trash(data))
			continue
		}
		keep := link + "." + m.Settings.NodeOfDir(d)
		if p.exists(keep) {
			return nil, nil, fmt.Errorf("%s %w (node %s's copy of %s differs and would be kept there); move it away first", r.fs.HostPath(keep), ErrOccupied, d, c.Src)
		}
		p.add(journal.Step{Op: journal.OpRename, From: data, Path: keep})
		kept = append(kept, keep)
	}
	return trash, kept, nil
}

// planRestoreShared gives every node's tree its own copy of the shared content in
// place of its symlink.
func (r *Repo) planRestoreShared(p *planner, m Model, c inventory.CDSL) ([]string, error) {
	data := r.at(m.DataLocations(c)[0])
	locs := m.LinkLocations(c)
	var trash []string
	var pending []string
	for _, loc := range locs {
		loc = r.at(loc)
		if p.exists(loc) {
			if !r.fs.IsSymlink(loc) {
				return nil, fmt.Errorf("%s is not the CDSL's symlink but a real path; move it away first", r.fs.HostPath(loc))
			}
			trash = append(trash, p.trash(loc))
		}
		if r.fs.IsDir(path.Dir(loc)) || p.created[path.Dir(loc)] {
			pending = append(pending, loc)
		}
	}
	if !r.fs.Exists(data) {
		return trash, nil // nothing to restore (only with Force)
	}
	for i, loc := range pending {
		if i == len(pending)-1 {
			p.add(journal.Step{Op: journal.OpRename, From: data, Path: loc})
		} else {
			p.add(copyStep(data, loc))
		}
	}
	if len(pending) == 0 {
		trash = append(trash, p.trash(data))
	}
	return trash, nil
}
