// SPDX-License-Identifier: Apache-2.0

package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/cdsl"
	"github.com/open-sharedroot/osr/framework/cdsl/journal"
	"github.com/open-sharedroot/osr/framework/cluster"
)

func init() {
	register(&command{
		name:    "cdsl",
		summary: "manage context dependent symlinks (com-mkcdsl, com-rmcdsl, com-cdslinvadm, com-cdslinvchk)",
		usage:   cdslUsage,
		run:     runCDSL,
	})
}

const cdslUsage = `osr cdsl SUBCOMMAND [-r ROOT] [-m MOUNTPOINT] [--dry-run] [ARGS…]

Manages context dependent symlinks (CDSLs) on a shared root, in the layout and
inventory format of the comoonics tools: per-node copies under the tree, one
relative symlink through the link dir, the node's tree bound on the link dir at
boot. Every change is journaled: a killed command is finished or undone by the
next one.

Subcommands:
  init [--layout v2|v1] [--nodes N | --cluster FILE] [--node-names] [--node-prefix P]
       [--tree T] [--shared-tree S] [--link L] [--default-dir D] [--inventory FILE]
       [--standard]     create the infrastructure and the inventory (com-cdslinvadm create);
                        --standard also turns an installed systemd OS into a shared root:
                        the standard per-node paths, each node's hostname, machine-id and
                        ssh host keys (needs --cluster; see docs/shared-root-os.md)
  add (-a|--hostdependent | -s|--shared) PATH [PATH…] [NODE…] … [--backup] [--from NODE]
                        make PATHs hostdependent or shared again (com-mkcdsl)
  rm [-R] [--purge] [-f] [--from NODE] PATH…
                        turn CDSLs back into real paths (com-rmcdsl)
  list [--json] [--settings | --setting NAME]
                        the CDSLs of the inventory (or its settings, or one)
  get [-R|--recursive] PATH    is PATH (or, with -R, a parent) a CDSL? exit 1 if not
  nodes [list] | nodes add ID… | nodes remove [--purge] ID…
                        node dirs: add copies the default dir, remove keeps a backup
  migrate [--to FILE]   write a version 1 inventory as version 2.0
  check [--repair] [--scan]    compare the inventory with the disk (com-cdslinvchk)
  destroy [-f] [--purge]       remove every CDSL and the whole infrastructure
                        (com-cdslinvadm delete)
  diff [--base NODE] PATH      how the node copies of PATH differ; exit 1 if they do
  foreach [--no-default] -- CMD [ARG…]
                        run CMD once per node dir, CDSL path arguments replaced by
                        that node's copy (com-forcdsls)

Flags every subcommand takes:
  -r, --root ROOT         the shared root (default /)
  -m, --mountpoint MP     a CDSL-enabled filesystem mounted at MP below the root
  -i, --inventory FILE    the inventory, relative to that filesystem
                          (default .cdsl_inventory.xml, then var/lib/cdsl/cdsl_inventory.xml)
  -c, --cluster FILE      the cluster configuration that gives the node set (default
                          $OSR_CLUSTER_CONF, then osr.hcl's cluster_config, then
                          /etc/cluster/cluster.conf when it exists)
  -n, --dry-run           print the filesystem operations, change nothing

Paths may be spelled any way that leads to the CDSL: /var/log, var/log,
/.cdsl.local/var/log, /.cluster/cdsl/2/var/log.`

type cdslSub struct {
	run func(e *env, args []string) error
}

var cdslSubs = map[string]cdslSub{}

// cdslHook is called before every journal step; tests set it to crash the process
// at a chosen step.
var cdslHook journal.Hook

func runCDSL(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand; one of %s", strings.Join(cdslSubNames(), ", "))
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprintln(e.stdout, cdslUsage)
		return nil
	}
	sub, ok := cdslSubs[name]
	if !ok {
		return usagef("unknown subcommand %q%s", name, suggest(name, cdslSubNames()))
	}
	return sub.run(e, args[1:])
}

func cdslSubNames() []string {
	names := make([]string, 0, len(cdslSubs))
	for n := range cdslSubs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// cdslFlags are the flags every cdsl subcommand takes.
type cdslFlags struct {
	root, mountpoint, inventory, cluster string
	dryRun                               bool
}

func (f *cdslFlags) bind(fs *flag.FlagSet) {
	for _, n := range []string{"r", "root"} {
		fs.StringVar(&f.root, n, "/", "the shared `ROOT`")
	}
	for _, n := range []string{"m", "mountpoint"} {
		fs.StringVar(&f.mountpoint, n, "", "CDSL filesystem `MOUNTPOINT` below the root")
	}
	for _, n := range []string{"i", "inventory", "inventoryfile"} {
		fs.StringVar(&f.inventory, n, "", "inventory `FILE` relative to the CDSL filesystem")
	}
	bindClusterFlag(fs, &f.cluster, "c", "clusterconf")
	for _, n := range []string{"n", "dry-run", "noexecute"} {
		fs.BoolVar(&f.dryRun, n, false, "print the filesystem operations, change nothing")
	}
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
	cdslSubs["list"] = cdslSub{runCDSLList}
	cdslSubs["get"] = cdslSub{runCDSLGet}
	cdslSubs["nodes"] = cdslSub{runCDSLNodes}
	cdslSubs["migrate"] = cdslSub{runCDSLMigrate}
}

func runCDSLList(e *env, args []string) error {
	var (
		f              cdslFlags
		asJSON, showKV bool
		setting        string
	)
	fs := e.flagSet("cdsl list")
	f.bind(fs)
	fs.BoolVar(&asJSON, "json", false, "print JSON: settings and every CDSL with its locations")
	fs.BoolVar(&showKV, "settings", false, "print the inventory's settings")
	fs.StringVar(&setting, "setting", "", "print the value of the inventory's setting `NAME` (tree, link, …)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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

func runCDSLGet(e *env, args []string) error {
	var (
		f         cdslFlags
		recursive bool
	)
	fs := e.flagSet("cdsl get")
	f.bind(fs)
	for _, n := range []string{"R", "recursive"} {
		fs.BoolVar(&recursive, n, false, "also look for a CDSL above the path")
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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

func runCDSLNodes(e *env, args []string) error {
	var (
		f     cdslFlags
		purge bool
	)
	fs := e.flagSet("cdsl nodes")
	f.bind(fs)
	fs.BoolVar(&purge, "purge", false, "remove: delete the node's directory instead of keeping a backup")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	verb := "list"
	if len(pos) > 0 {
		verb, pos = pos[0], pos[1:]
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

func runCDSLMigrate(e *env, args []string) error {
	var (
		f  cdslFlags
		to string
	)
	fs := e.flagSet("cdsl migrate")
	f.bind(fs)
	fs.StringVar(&to, "to", "", "write the new inventory to `FILE` (default .cdsl_inventory.xml)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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
