// SPDX-License-Identifier: Apache-2.0

package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/config"
)

func init() {
	register(&command{
		name:    "cluster",
		summary: "answer questions about the cluster configuration (com-queryclusterconf)",
		usage:   clusterUsage,
		run:     runCluster,
	})
}

const clusterUsage = `osr cluster SUBCOMMAND [--cluster FILE] [ARGS…]

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

The cluster file is --cluster FILE (also -c, --clusterconf, -f, --filename), else
$OSR_CLUSTER_CONF, else cluster_config in osr.hcl, else /etc/cluster/cluster.conf.
--config names osr.hcl, as for every command; given a cluster file instead (a
cluster.conf, or HCL with a cluster block), it is read as --cluster, with a warning.

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

// clusterFileFlags is osr cluster's cluster file option: --cluster, and the
// originals' spellings -c, --clusterconf, -f and --filename.
type clusterFileFlags struct{ file string }

func (f *clusterFileFlags) bind(fs *flag.FlagSet) {
	bindClusterFlag(fs, &f.file, "c", "clusterconf", "f", "filename")
}

// loadClusterArg is loadCluster for a subcommand that takes the cluster file
// as an optional argument.
func loadClusterArg(e *env, f *clusterFileFlags, pos []string, sub string) (*cluster.Cluster, error) {
	switch len(pos) {
	case 0:
		return loadCluster(e, f, "")
	case 1:
		return loadCluster(e, f, pos[0])
	}
	return nil, usagef("%s takes at most one cluster file, not %d", sub, len(pos))
}

// loadCluster reads the cluster file: explicit (a file argument) when given,
// else the one the flags, $OSR_CLUSTER_CONF or osr.hcl name, else the
// default. A --config that names a cluster file rather than osr.hcl still
// works, with a warning.
func loadCluster(e *env, f *clusterFileFlags, explicit string) (*cluster.Cluster, error) {
	var cf config.ClusterFile
	switch {
	case explicit != "":
		cf = config.ClusterFile{Path: explicit, From: "the command line", Explicit: true}
	default:
		flagValue := f.file
		if flagValue == "" {
			v, err := e.clusterFileFromConfigFlag()
			if err != nil {
				return nil, err
			}
			flagValue = v
		}
		var err error
		if cf, err = e.clusterFile(flagValue, nil); err != nil {
			return nil, err
		}
	}
	e.log.Debug("reading cluster configuration", "path", cf.Path, "from", cf.Origin())
	c, err := cluster.Load(cf.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w (%s); name the cluster file with --cluster FILE or set %s", err, cf.Origin(), config.EnvClusterPath)
		}
		return nil, err
	}
	e.warnCluster(c)
	return c, nil
}
