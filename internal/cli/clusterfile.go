// SPDX-License-Identifier: Apache-2.0

package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/config"
)

// bindClusterFlag binds --cluster (-c) to dst, and --clusterconf, the
// originals' spelling, as a deprecated alias.
func bindClusterFlag(fs *pflag.FlagSet, dst *string) {
	fs.StringVarP(dst, "cluster", "c", "", "cluster configuration `FILE` (default $"+config.EnvClusterPath+
		", then cluster_config in osr.hcl, then "+config.DefaultClusterPath+")")
	deprecatedAlias(fs, "cluster", "clusterconf", "", "--cluster (-c)")
}

// clusterFile picks the cluster file with config.ResolveCluster. cfg is the
// loaded osr.hcl; when it is nil and the choice depends on it, osr.hcl is
// loaded (its errors are reported).
func (e *env) clusterFile(flagValue string, cfg *config.Config) (config.ClusterFile, error) {
	if cfg == nil && config.NeedsConfig(flagValue) {
		lc, err := e.loadConfig()
		if err != nil {
			return config.ClusterFile{}, err
		}
		cfg = lc.Config
	}
	return config.ResolveCluster(flagValue, cfg), nil
}

// clusterFileFromConfigFlag handles the spelling osr cluster used to accept:
// --config naming the cluster file. When the global --config names a cluster
// configuration (which osr.hcl can never be), it warns, stops treating the
// file as osr.hcl and returns it; otherwise it returns "".
func (e *env) clusterFileFromConfigFlag() (string, error) {
	p := e.global.configFile
	if p == "" {
		return "", nil
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("--config %s: no such file; --config names osr.hcl, the cluster file is --cluster FILE", p)
	}
	if err != nil || !cluster.IsClusterFile(data) {
		return "", nil
	}
	e.log.Warn("--config names osr.hcl; reading this cluster configuration as --cluster (the old spelling is deprecated)", "file", p)
	e.global.configFile = ""
	return p, nil
}

// warnCluster shows what the cluster configuration holds that osr accepts but
// doubts (unknown com_info attributes, differing root device names).
func (e *env) warnCluster(c *cluster.Cluster) {
	for _, w := range c.Warnings() {
		fmt.Fprintf(e.stderr, "osr: warning: %v\n", w)
	}
}
