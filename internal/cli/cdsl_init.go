// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/inventory"
	"github.com/open-sharedroot/osr/framework/rootprep"
)

func init() {
	cdslCommands = append(cdslCommands, newCDSLInitCmd, newCDSLDestroyCmd)
}

// cdslInitFlags are osr cdsl init's own flags.
type cdslInitFlags struct {
	layout, prefix          string
	tree, shared, link, def string
	nodes                   int
	names, standard         bool
}

func newCDSLInitCmd(e *env, f *cdslFlags) *cobra.Command {
	var o cdslInitFlags
	c := &cobra.Command{
		Use: `init [--layout v2|v1] [--nodes N | --cluster FILE] [--node-names] [--node-prefix P]
       [--tree T] [--shared-tree S] [--link L] [--default-dir D] [--standard]`,
		Short: "create the CDSL infrastructure and the inventory (com-cdslinvadm create)",
		Long: `Creates the CDSL infrastructure (node trees, shared tree, link dir, default dir)
and the inventory, as com-cdslinvadm create did; an existing inventory's
settings win. The nodes come from --nodes N or the cluster configuration.

--standard also turns an installed systemd OS into a shared root: the standard
per-node paths, each node's hostname, machine-id and ssh host keys (needs
--cluster; see docs/shared-root-os.md).`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLInit(e, f, &o, pos) },
	}
	fs := c.Flags()
	fs.StringVar(&o.layout, "layout", "v2", "`LAYOUT`: v2 (.cluster/cdsl, .cdsl.local) or v1 (cluster/cdsl, cdsl.local)")
	fs.IntVarP(&o.nodes, "nodes", "M", 0, "nodes 1..`N`")
	deprecatedAlias(fs, "nodes", "maxnodeidnum", "", "--nodes (-M)")
	fs.BoolVarP(&o.names, "node-names", "N", false, "name node dirs by node name instead of id")
	deprecatedAlias(fs, "node-names", "usenodenames", "", "--node-names (-N)")
	fs.StringVarP(&o.prefix, "node-prefix", "p", "", "`PREFIX` of node dir names (node ids only)")
	fs.StringVarP(&o.tree, "tree", "t", "", "per-node `TREE` (default by layout)")
	deprecatedAlias(fs, "tree", "cdsltree", "", "--tree (-t)")
	fs.StringVar(&o.shared, "shared-tree", "", "shared `TREE` (default by layout)")
	deprecatedAlias(fs, "shared-tree", "cdsltreeshared", "s", "--shared-tree")
	fs.StringVarP(&o.link, "link", "L", "", "link `DIR` (default by layout)")
	deprecatedAlias(fs, "link", "cdsllink", "", "--link (-L)")
	fs.StringVarP(&o.def, "default-dir", "D", "", "template node `DIR` (default: default)")
	deprecatedAlias(fs, "default-dir", "defaultdir", "", "--default-dir (-D)")
	fs.BoolVar(&o.standard, "standard", false, "also make the standard per-node paths of a systemd OS hostdependent and give each node its identity (needs --cluster)")
	completeValues(c, "layout", "v2", "v1")
	return c
}

func runCDSLInit(e *env, f *cdslFlags, fl *cdslInitFlags, pos []string) error {
	layout, prefix := fl.layout, fl.prefix
	tree, shared, link, def := fl.tree, fl.shared, fl.link, fl.def
	nodes, names, standard := fl.nodes, fl.names, fl.standard
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

func newCDSLDestroyCmd(e *env, f *cdslFlags) *cobra.Command {
	var o cdsl.DestroyOptions
	c := &cobra.Command{
		Use:   "destroy [-f] [--purge]",
		Short: "remove every CDSL and the whole infrastructure (com-cdslinvadm delete)",
		Long: `Removes every CDSL (as osr cdsl rm does), the node trees, the shared tree, the
link dir and the inventory, as com-cdslinvadm delete did.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLDestroy(e, f, o, pos) },
	}
	c.Flags().BoolVarP(&o.Force, "force", "f", false, "delete what is left in the node directories")
	c.Flags().BoolVar(&o.Purge, "purge", false, "delete the other nodes' copies of each CDSL instead of keeping those that differ")
	return c
}

func runCDSLDestroy(e *env, f *cdslFlags, o cdsl.DestroyOptions, pos []string) error {
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
