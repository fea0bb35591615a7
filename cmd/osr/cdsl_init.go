// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/rootprep"
)

func init() {
	cdslSubs["init"] = cdslSub{runCDSLInit}
}

func runCDSLInit(e *env, args []string) error {
	var (
		f                       cdslFlags
		layout, prefix          string
		tree, shared, link, def string
		nodes                   int
		names, standard         bool
	)
	fs := e.flagSet("cdsl init")
	f.bind(fs)
	fs.StringVar(&layout, "layout", "v2", "`LAYOUT`: v2 (.cluster/cdsl, .cdsl.local) or v1 (cluster/cdsl, cdsl.local)")
	for _, n := range []string{"M", "nodes", "maxnodeidnum"} {
		fs.IntVar(&nodes, n, 0, "nodes 1..`N`")
	}
	for _, n := range []string{"N", "node-names", "usenodenames"} {
		fs.BoolVar(&names, n, false, "name node dirs by node name instead of id")
	}
	for _, n := range []string{"p", "node-prefix"} {
		fs.StringVar(&prefix, n, "", "`PREFIX` of node dir names (node ids only)")
	}
	for _, n := range []string{"t", "tree", "cdsltree"} {
		fs.StringVar(&tree, n, "", "per-node `TREE` (default by layout)")
	}
	for _, n := range []string{"s", "shared-tree", "cdsltreeshared"} {
		fs.StringVar(&shared, n, "", "shared `TREE` (default by layout)")
	}
	for _, n := range []string{"L", "link", "cdsllink"} {
		fs.StringVar(&link, n, "", "link `DIR` (default by layout)")
	}
	for _, n := range []string{"D", "default-dir", "defaultdir"} {
		fs.StringVar(&def, n, "", "template node `DIR` (default: default)")
	}
	fs.BoolVar(&standard, "standard", false, "also make the standard per-node paths of a systemd OS hostdependent and give each node its identity (needs --cluster)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("init takes no arguments, got %q", pos)
	}
	var s inventory.Settings
	switch layout {
	case "v2", "2":
		s = inventory.V2Defaults()
	case "v1", "1":
		s = inventory.V1Defaults()
	default:
		return usagef("--layout %q: use v2 or v1", layout)
	}
	for _, kv := range []struct {
		dst *string
		v   string
	}{{&s.Tree, tree}, {&s.SharedTree, shared}, {&s.Link, link}, {&s.DefaultDir, def}} {
		if kv.v != "" {
			*kv.dst = strings.Trim(kv.v, "/")
		}
	}
	s.MaxNodeIDNum, s.UseNodeIDs, s.NodePrefix = nodes, !names, prefix
	if nodes < 0 {
		return usagef("--nodes %d: give a positive count", nodes)
	}
	if standard && f.cluster == "" {
		return usagef("--standard writes each node's hostname from the cluster configuration: give --cluster FILE")
	}
	o, err := f.options(e)
	if err != nil {
		return err
	}
	o.Inventory = ""
	r, res, err := cdsl.Init(e.ctx, o, s, f.inventory)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, ig := range res.Ignored {
		fmt.Fprintf(e.stderr, "osr cdsl init: the existing inventory's settings win: ignoring %s\n", ig)
	}
	if !f.dryRun {
		l := r.Layout()
		verb := "created"
		if res.Existed {
			verb = "updated"
		}
		fmt.Fprintf(e.stdout, "%s CDSL infrastructure in %s: inventory %s, tree %s, shared %s, link %s, nodes %s\n",
			verb, r.FS().HostPath(l.Mountpoint), l.File, l.Tree, l.SharedTree, l.Link, strings.Join(res.Nodes, ","))
	}
	if !standard {
		return nil
	}
	prep, err := rootprep.Prepare(r, rootprep.Options{Nodes: o.Cluster, DryRun: f.dryRun})
	writePrepareResult(e.stdout, prep)
	return err
}

// writePrepareResult prints what the standard set did, one line a path.
func writePrepareResult(w io.Writer, res rootprep.Result) {
	for _, o := range res.Made {
		note := ""
		if o.Note != "" {
			note = " (" + o.Note + ")"
		}
		fmt.Fprintf(w, "%-13s %s%s\n", o.Type, o.Path, note)
	}
	for _, o := range res.Present {
		fmt.Fprintf(w, "%-13s %s (a %s CDSL already)\n", "present", o.Path, o.Type)
	}
	for _, o := range res.Skipped {
		fmt.Fprintf(w, "%-13s %s: %s\n", "skipped", o.Path, o.Note)
	}
	for _, f := range res.Fixed {
		fmt.Fprintf(w, "%-13s %s\n", "root", f)
	}
	for _, i := range res.Identity {
		fmt.Fprintf(w, "%-13s %s\n", "identity", i)
	}
}

func init() {
	cdslSubs["destroy"] = cdslSub{runCDSLDestroy}
}

func runCDSLDestroy(e *env, args []string) error {
	var (
		f cdslFlags
		o cdsl.DestroyOptions
	)
	fs := e.flagSet("cdsl destroy")
	f.bind(fs)
	for _, n := range []string{"f", "force"} {
		fs.BoolVar(&o.Force, n, false, "delete what is left in the node directories")
	}
	fs.BoolVar(&o.Purge, "purge", false, "delete the other nodes' copies of each CDSL instead of keeping those that differ")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("destroy takes no arguments, got %q", pos)
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Destroy(o); err != nil {
		return err
	}
	if !f.dryRun {
		fmt.Fprintln(e.stdout, "removed every CDSL, the node trees, the shared tree, the link dir and the inventory")
	}
	return nil
}
