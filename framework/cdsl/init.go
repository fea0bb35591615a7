// SPDX-License-Identifier: Apache-2.0

package cdsl

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cdsl/rootfs"
)

// InitResult says what Init found and did.
type InitResult struct {
	// Existed is set when an inventory was already there; its settings were used.
	Existed bool
	// Ignored lists the requested settings that differ from an existing inventory's.
	Ignored []string
	// Nodes are the nodes whose directories exist afterwards.
	Nodes []string
}

// Init creates the CDSL infrastructure and inventory (com-cdslinvadm create):
// the inventory with settings s (written to file, relative to the CDSL filesystem;
// empty for the layout's usual place) unless one exists, whose settings then win;
// the shared tree, the link dir, the default dir, and a copy of the default dir for
// every node that has no directory yet.
func Init(ctx context.Context, opts Options, s inventory.Settings, file string) (*Repo, InitResult, error) {
	var res InitResult
	if err := validateInit(s, file); err != nil {
		return nil, res, err
	}
	r, err := open(ctx, opts)
	if err != nil {
		return nil, res, err
	}
	err = r.load()
	switch {
	case err == nil:
		res.Existed = true
		res.Ignored = differences(s, r.layout.Settings)
		s = r.layout.Settings
	case errors.Is(err, inventory.ErrNoInventory):
		if file == "" {
			file = inventory.V2File
			if s.Tree == inventory.V1Defaults().Tree {
				file = inventory.V1File
			}
		}
		s.Mountpoint = r.opts.Mountpoint
		r.layout = &inventory.Layout{Settings: s, File: rootfs.Clean(path.Join(s.Mountpoint, file)), Version: inventory.Version2}
		r.inv = &inventory.Inventory{Version: inventory.Version2, Settings: s}
	default:
		r.Close()
		return nil, res, err
	}
	nodes, err := r.nodesFor(s)
	if err != nil {
		r.Close()
		return nil, res, err
	}
	if len(nodes) == 0 && !res.Existed {
		r.Close()
		return nil, res, fmt.Errorf("%w: give the nodes with --nodes N or --cluster FILE (or add them later with 'osr cdsl nodes add')", ErrNoNodes)
	}
	for _, n := range nodes {
		if r.layout.NodeDirName(n) == r.layout.DefaultDir {
			r.Close()
			return nil, res, fmt.Errorf("node %q has the default dir's name %q: its tree would be the template of every node; give --default-dir another name", n, r.layout.DefaultDir)
		}
	}
	res.Nodes = nodes
	p := r.newPlanner()
	if !res.Existed {
		phys, err := r.fs.ResolveParent(r.layout.File, r.layout.SubstFor(s.DefaultDir))
		if err != nil {
			r.Close()
			return nil, res, err
		}
		if err := p.mkdirAll(path.Dir(phys)); err != nil {
			r.Close()
			return nil, res, err
		}
		inv := &inventory.Inventory{Version: inventory.Version2, Settings: s}
		r.inv = inv
		p.add(journal.Step{Op: journal.OpInventory, Path: r.layout.File, Link: r.layout.LinkDir(),
			Via: []string{r.layout.DefaultNodeDir()}, Data: inventory.Marshal(inv), Note: "new inventory"})
	}
	err = errors.Join(p.mkdirAll(r.layout.SharedDir()), p.mkdirAll(r.layout.LinkDir()), p.mkdirAll(r.layout.DefaultNodeDir()))
	m := r.Model()
	for _, n := range nodes {
		if dir := r.layout.NodeDir(m.NodeDir(n)); err == nil && !p.exists(dir) {
			err = p.copyTo(r.layout.DefaultNodeDir(), dir)
		}
	}
	if err == nil && !res.Existed {
		err = r.registerInParent(p)
	}
	if err != nil {
		r.Close()
		return nil, res, err
	}
	op := "init " + r.fs.HostPath(r.opts.Mountpoint)
	if err := r.run(journal.Plan{Op: op, Steps: p.steps, Commit: len(p.steps)}); err != nil {
		r.Close()
		return nil, res, err
	}
	return r, res, nil
}

// validateInit checks the whole requested layout before anything is read or
// changed: the settings (inventory.Settings.Validate) and the inventory's name.
func validateInit(s inventory.Settings, file string) error {
	err := s.Validate()
	if file != "" {
		err = errors.Join(err, s.ValidateFile(strings.TrimLeft(file, "/")))
	}
	if err != nil {
		return fmt.Errorf("osr cdsl init refuses this layout, nothing was changed:\n%w", err)
	}
	return nil
}

// differences names the settings of want that an existing inventory's have sets
// differently.
func differences(want, have inventory.Settings) []string {
	var out []string
	add := func(key, w, h string) {
		if w != h {
			out = append(out, fmt.Sprintf("%s=%q (the inventory has %q)", key, w, h))
		}
	}
	add("tree", want.Tree, have.Tree)
	add("sharedtree", want.SharedTree, have.SharedTree)
	add("link", want.Link, have.Link)
	add("default_dir", want.DefaultDir, have.DefaultDir)
	add("node_prefix", want.NodePrefix, have.NodePrefix)
	if want.MaxNodeIDNum != 0 {
		add("maxnodeidnum", strconv.Itoa(want.MaxNodeIDNum), strconv.Itoa(have.MaxNodeIDNum))
	}
	add("use_nodeids", strconv.FormatBool(want.UseNodeIDs), strconv.FormatBool(have.UseNodeIDs))
	return out
}

// registerInParent plans, for a CDSL filesystem below the root (-m), its entry
// in the root's inventory (<repositories><repository path resource/>), as
// com-cdslinvadm create did. A root without an inventory has nothing to
// register in.
func (r *Repo) registerInParent(p *planner) error {
	mp := rootfs.Clean(r.opts.Mountpoint)
	if mp == "" {
		return nil
	}
	parent, inv, err := inventory.Locate(r.fs, "", "")
	if errors.Is(err, inventory.ErrNoInventory) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the root's inventory, to register %s in: %w", mp, err)
	}
	resource := path.Base(r.layout.File)
	if rel, ok := strings.CutPrefix(r.layout.File, mp+"/"); ok {
		resource = rel
	}
	for _, sub := range inv.Repositories {
		if rootfs.Clean(sub.Path) == mp {
			return nil
		}
	}
	old, err := r.fs.ReadFile(parent.Physical)
	if err != nil {
		return fmt.Errorf("read the root's inventory: %w", err)
	}
	next := inv.Clone()
	next.Repositories = append(next.Repositories, inventory.Repository{Path: mp, Resource: resource})
	p.add(journal.Step{Op: journal.OpInventory, Path: parent.File, Link: parent.LinkDir(),
		Via: []string{parent.DefaultNodeDir()}, Data: inventory.Marshal(next), Old: old,
		Note: "register the CDSL filesystem " + mp})
	return nil
}
