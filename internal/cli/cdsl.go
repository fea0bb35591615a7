// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cluster"
)

func init() {
	registerNamed(newCDSLCmd, "cdsl")
}

const cdslLong = `Manages context dependent symlinks (CDSLs) on a shared root, in the layout and
inventory format of the comoonics tools: per-node copies under the tree, one
relative symlink through the link dir, the node's tree bound on the link dir at
boot. Every change is journaled: a killed command is finished or undone by the
next one.

The flags -r, -m, -i, -c and -n are taken by every subcommand. Paths may be
spelled any way that leads to the CDSL: /var/log, var/log, /.cdsl.local/var/log,
/.cluster/cdsl/2/var/log.`

// cdslCommands are osr cdsl's subcommands; each file adds its own.
var cdslCommands []func(e *env, f *cdslFlags) *cobra.Command

// cdslHook is called before every journal step; tests set it to crash the process
// at a chosen step.
var cdslHook journal.Hook

func newCDSLCmd(e *env) *cobra.Command {
	f := &cdslFlags{}
	c := &cobra.Command{
		Use:   "cdsl COMMAND [-r ROOT] [-m MOUNTPOINT] [--dry-run] [ARGS…]",
		Short: "manage context dependent symlinks (com-mkcdsl, com-rmcdsl, com-cdslinvadm, com-cdslinvchk)",
		Long:  cdslLong,
		Args:  subcommandArgs,
		RunE:  groupRun,
	}
	f.bind(c.PersistentFlags())
	for _, sub := range cdslCommands {
		c.AddCommand(sub(e, f))
	}
	return c
}

// cdslFlags are the flags every cdsl subcommand takes.
type cdslFlags struct {
	root, mountpoint, inventory, cluster string
	dryRun                               bool
}

func (f *cdslFlags) bind(fs *pflag.FlagSet) {
	fs.StringVarP(&f.root, "root", "r", "/", "the shared `ROOT`")
	fs.StringVarP(&f.mountpoint, "mountpoint", "m", "", "a CDSL-enabled filesystem mounted at `MOUNTPOINT` below the root")
	fs.StringVarP(&f.inventory, "inventory", "i", "", "the inventory `FILE`, relative to that filesystem (default .cdsl_inventory.xml, then var/lib/cdsl/cdsl_inventory.xml)")
	deprecatedAlias(fs, "inventory", "inventoryfile", "", "--inventory (-i)")
	bindClusterFlag(fs, &f.cluster)
	fs.BoolVarP(&f.dryRun, "dry-run", "n", false, "print the filesystem operations, change nothing")
	deprecatedAlias(fs, "dry-run", "noexecute", "", "--dry-run (-n)")
}

// options turns the flags into repository options.
func (f *cdslFlags) options(e *env) (cdsl.Options, error) {
	o := cdsl.Options{Root: f.root, Mountpoint: f.mountpoint, Inventory: f.inventory,
		DryRun: f.dryRun, Out: e.stdout, Notes: e.stderr, Hook: cdslHook}
	cf, err := e.clusterFile(f.cluster, nil)
	if err != nil {
		return o, err
	}
	if !cf.Explicit && !fileExists(cf.Path) {
		return o, nil // no cluster configuration: the inventory's maxnodeidnum and the node dirs give the nodes
	}
	c, err := cluster.Load(cf.Path)
	if err != nil {
		return o, fmt.Errorf("the cluster configuration (%s): %w", cf.Origin(), err)
	}
	e.warnCluster(c)
	for _, n := range c.Nodes {
		o.Cluster = append(o.Cluster, cdsl.ClusterNode{ID: n.ID, Name: n.Name})
	}
	if len(o.Cluster) == 0 {
		return o, fmt.Errorf("%s names no nodes", cf.Path)
	}
	return o, nil
}

// open opens the repository the flags name.
func (f *cdslFlags) open(e *env) (*cdsl.Repo, error) {
	o, err := f.options(e)
	if err != nil {
		return nil, err
	}
	return cdsl.Open(e.ctx, o)
}

func init() {
	cdslCommands = append(cdslCommands, newCDSLListCmd, newCDSLGetCmd, newCDSLNodesCmd, newCDSLMigrateCmd)
}

func newCDSLListCmd(e *env, f *cdslFlags) *cobra.Command {
	var (
		asJSON, showKV bool
		setting        string
	)
	c := &cobra.Command{
		Use:   "list [--json] [--settings | --setting NAME]",
		Short: "the CDSLs of the inventory (or its settings, or one)",
		Long: `Lists the CDSLs of the inventory: type, path and nodes. --settings prints the
inventory's settings as com-cdslinvadm list did, --setting NAME one of them,
--json everything with every CDSL's link and data locations.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLList(e, f, asJSON, showKV, setting, pos) },
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON: settings and every CDSL with its locations")
	c.Flags().BoolVar(&showKV, "settings", false, "print the inventory's settings")
	c.Flags().StringVar(&setting, "setting", "", "print the value of the inventory's setting `NAME` (tree, link, …)")
	return c
}

func runCDSLList(e *env, f *cdslFlags, asJSON, showKV bool, setting string, pos []string) error {
	if len(pos) > 0 {
		return usagef("list takes no arguments, got %q", pos)
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	switch {
	case setting != "":
		v, ok := cdslSetting(r, setting)
		if !ok {
			return fmt.Errorf("the inventory has no setting %q; 'osr cdsl list --settings' shows them", setting)
		}
		fmt.Fprintln(e.stdout, v)
	case asJSON:
		return writeCDSLJSON(e.stdout, r)
	case showKV:
		writeCDSLSettings(e.stdout, r)
	default:
		for _, c := range r.Inventory().Sorted() {
			fmt.Fprintf(e.stdout, "%-13s %s\t%s\n", c.Type, c.Src, strings.Join(c.Nodes, ","))
		}
	}
	return nil
}

func newCDSLGetCmd(e *env, f *cdslFlags) *cobra.Command {
	var recursive bool
	c := &cobra.Command{
		Use:   "get [-R] PATH",
		Short: "is PATH (or, with -R, a parent) a CDSL? exit 1 if not",
		Long: `Prints the type and path of the CDSL PATH is, or with -R (--recursive) the CDSL
PATH lies in. Exits 1 when there is none.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLGet(e, f, recursive, pos) },
	}
	c.Flags().BoolVarP(&recursive, "recursive", "R", false, "also look for a CDSL above the path")
	return c
}

func runCDSLGet(e *env, f *cdslFlags, recursive bool, pos []string) error {
	if len(pos) != 1 {
		return usagef("get takes one PATH")
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	src, c, err := r.Get(pos[0], recursive)
	if err != nil {
		return err
	}
	if c == nil {
		fmt.Fprintf(e.stderr, "osr cdsl get: %s is not a CDSL\n", src)
		return exitError{1}
	}
	if c.Src == src {
		fmt.Fprintf(e.stdout, "%s %s\n", c.Type, c.Src)
	} else {
		fmt.Fprintf(e.stdout, "%s %s (in %s)\n", c.Type, src, c.Src)
	}
	return nil
}

func newCDSLNodesCmd(e *env, f *cdslFlags) *cobra.Command {
	var purge bool
	c := &cobra.Command{
		Use:   "nodes [list | add ID… | remove [--purge] ID…]",
		Short: "node dirs: add copies the default dir, remove keeps a backup",
		Long: `Lists the node directories of the CDSL tree; add creates a node's directory as a
copy of the default dir, remove deletes it, keeping a backup unless --purge.`,
		Args: subcommandArgs,
		RunE: func(*cobra.Command, []string) error { return runCDSLNodes(e, f, "list", nil, false) },
	}
	// Persistent, so that "nodes --purge remove 3" finds the subcommand.
	c.PersistentFlags().BoolVar(&purge, "purge", false, "remove: delete the node's directory instead of keeping a backup")
	for _, v := range []struct{ use, short string }{
		{"list", "list the node directories"},
		{"add ID…", "add node directories, copies of the default dir"},
		{"remove [--purge] ID…", "remove node directories (a backup is kept unless --purge)"},
	} {
		verb, _, _ := strings.Cut(v.use, " ")
		sub := &cobra.Command{
			Use:   v.use,
			Short: v.short,
			RunE:  func(_ *cobra.Command, pos []string) error { return runCDSLNodes(e, f, verb, pos, purge) },
		}
		if verb == "remove" {
			sub.Aliases = []string{"rm"}
		}
		c.AddCommand(sub)
	}
	return c
}

func runCDSLNodes(e *env, f *cdslFlags, verb string, pos []string, purge bool) error {
	if verb == "list" && len(pos) > 0 {
		return usagef("nodes list takes no arguments, got %q", pos)
	}
	if (verb == "add" || verb == "remove") && len(pos) == 0 {
		return usagef("nodes %s needs at least one node ID", verb)
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	switch verb {
	case "list":
		nodes, err := r.Nodes()
		if err != nil {
			return err
		}
		for _, n := range nodes {
			fmt.Fprintln(e.stdout, n)
		}
	case "add":
		for _, n := range pos {
			if err := r.AddNode(n); err != nil {
				return err
			}
			if !f.dryRun {
				fmt.Fprintf(e.stdout, "added node %s (a copy of %s)\n", n, r.Layout().DefaultNodeDir())
			}
		}
	case "remove", "rm":
		for _, n := range pos {
			backup, err := r.RemoveNode(n, purge)
			if err != nil {
				return err
			}
			switch {
			case f.dryRun:
			case backup != "":
				fmt.Fprintf(e.stdout, "removed node %s; its directory is kept as %s\n", n, r.FS().HostPath(backup))
			default:
				fmt.Fprintf(e.stdout, "removed node %s and deleted its directory\n", n)
			}
		}
	default:
		return usagef("nodes %q: use list, add or remove", verb)
	}
	return nil
}

func newCDSLMigrateCmd(e *env, f *cdslFlags) *cobra.Command {
	var to string
	c := &cobra.Command{
		Use:   "migrate [-o FILE]",
		Short: "write a version 1 inventory as version 2.0",
		Long: `Writes the version 1 inventory (var/lib/cdsl/cdsl_inventory.xml) as a version 2.0
inventory (default .cdsl_inventory.xml; -o names another). The old file stays
for the old tools.`,
		RunE: func(_ *cobra.Command, pos []string) error { return runCDSLMigrate(e, f, to, pos) },
	}
	c.Flags().StringVarP(&to, "output", "o", "", "write the new inventory to `FILE` (default .cdsl_inventory.xml)")
	deprecatedAlias(c.Flags(), "output", "to", "", "--output (-o)")
	return c
}

func runCDSLMigrate(e *env, f *cdslFlags, to string, pos []string) error {
	if len(pos) > 0 {
		return usagef("migrate takes no arguments, got %q", pos)
	}
	r, err := f.open(e)
	if err != nil {
		return err
	}
	defer r.Close()
	old := r.Layout().Physical
	target, err := r.Migrate(to)
	if err != nil {
		return err
	}
	if !f.dryRun {
		fmt.Fprintf(e.stdout, "migrated %s to %s (format 2.0); the old file stays for the old tools: delete it when none uses it\n",
			r.FS().HostPath(old), r.FS().HostPath(target))
	}
	return nil
}
