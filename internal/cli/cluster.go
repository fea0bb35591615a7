// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/config"
)

func init() {
	registerNamed(newClusterCmd, "cluster")
}

// clusterCommands are osr cluster's subcommands; each file adds its own.
var clusterCommands []commandFunc

func newClusterCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "cluster COMMAND [--cluster FILE] [ARGS…]",
		Short: "answer questions about the cluster configuration (com-queryclusterconf)",
		Long: `Reads the cluster configuration: a cluster.conf with <com_info> elements or osr's
HCL cluster file (told apart by content).

The cluster file is --cluster FILE (-c), else $OSR_CLUSTER_CONF, else
cluster_config in osr.hcl, else /etc/cluster/cluster.conf. --config names
osr.hcl, as for every command; given a cluster file instead (a cluster.conf, or
HCL with a cluster block), it is read as --cluster, with a warning.

Run 'osr cluster query --list' for the queries.`,
		Args: subcommandArgs,
		RunE: groupRun,
	}
	for _, f := range clusterCommands {
		c.AddCommand(f(e))
	}
	return c
}

// clusterFileFlags is osr cluster's cluster file option: --cluster (-c); the
// originals' spellings --clusterconf, -f and --filename warn.
type clusterFileFlags struct{ file string }

func (f *clusterFileFlags) bind(fs *pflag.FlagSet) {
	bindClusterFlag(fs, &f.file)
	deprecatedAlias(fs, "cluster", "filename", "f", "--cluster (-c)")
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
