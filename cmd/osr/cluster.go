package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
)

func init() {
	register(&command{
		name:    "cluster",
		summary: "answer questions about the cluster configuration (com-queryclusterconf)",
		usage:   clusterUsage,
		run:     runCluster,
	})
}

const clusterUsage = `osr cluster SUBCOMMAND [--config FILE] [ARGS…]

Reads the cluster configuration: a cluster.conf with <com_info> elements or osr's
HCL cluster file (told apart by content).

Subcommands:
  query NAME [ARGS…] [query=NAME ARGS…]   answer named queries, as com-queryclusterconf
  nodes                                   a table of the nodes
  node NAME|ID|MAC                        everything about one node
  validate [FILE]                         check the configuration; exit 1 on problems
  convert --to FORMAT [-o OUT] [FILE]     write it as hcl, clusterconf, ocfs2 or corosync
  fence NODE [--dry-run]                  fence NODE now with its fence methods (or show them)
  fence-ack NODE [--chroot DIR]           acknowledge that NODE is dead (manual fencing)
  status [--root DIR]                     this node's corosync, dlm_controld, quorum and lockspaces
  watch [--root DIR]                      wait until corosync or dlm_controld ends (the systemd unit runs it)

The cluster file is --config FILE (also -c, --clusterconf, -f, --filename), else
$OSR_CLUSTER_CONF, else /etc/cluster/cluster.conf.

Run 'osr cluster query --list' for the queries.`

type clusterSub struct {
	summary string
	run     func(e *env, args []string) error
}

var clusterSubs = map[string]clusterSub{}

func runCluster(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand; one of %s", strings.Join(clusterSubNames(), ", "))
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprintln(e.stdout, clusterUsage)
		return nil
	}
	sub, ok := clusterSubs[name]
	if !ok {
		return usagef("unknown subcommand %q%s", name, suggest(name, clusterSubNames()))
	}
	return sub.run(e, args[1:])
}

func clusterSubNames() []string {
	names := make([]string, 0, len(clusterSubs))
	for n := range clusterSubs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// clusterFileFlags binds the originals' spellings of the cluster file option next to
// the global --config, which osr cluster takes as the cluster file.
type clusterFileFlags struct{ file string }

func (f *clusterFileFlags) bind(fs *flag.FlagSet) {
	for _, name := range []string{"c", "clusterconf", "f", "filename"} {
		fs.StringVar(&f.file, name, "", "cluster configuration `FILE` (same as --config)")
	}
}

// path picks the cluster file: an explicit argument, the flags, then the default.
func (f *clusterFileFlags) path(e *env, explicit string) string {
	switch {
	case explicit != "":
		return explicit
	case f.file != "":
		return f.file
	case e.global.configFile != "":
		return e.global.configFile
	}
	return defaultClusterFile()
}

// defaultClusterFile is the cluster configuration used when none is named:
// $OSR_CLUSTER_CONF, else cluster_config in osr.hcl ($OSR_CONFIG or
// /etc/osr/osr.hcl), else /etc/cluster/cluster.conf.
func defaultClusterFile() string {
	if p := os.Getenv("OSR_CLUSTER_CONF"); p != "" {
		return p
	}
	if p := configuredClusterFile(); p != "" {
		return p
	}
	return "/etc/cluster/cluster.conf"
}

// loadCluster reads the cluster file chosen by the flags.
func loadCluster(e *env, f *clusterFileFlags, explicit string) (*cluster.Cluster, error) {
	p := f.path(e, explicit)
	e.log.Debug("reading cluster configuration", "path", p)
	c, err := cluster.Load(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w; name the cluster file with --config FILE or set OSR_CLUSTER_CONF", err)
		}
		return nil, err
	}
	return c, nil
}
