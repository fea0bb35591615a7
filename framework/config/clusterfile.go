// SPDX-License-Identifier: Apache-2.0

package config

import "os"

// EnvClusterPath names the cluster configuration when no flag does.
const EnvClusterPath = "OSR_CLUSTER_CONF"

// DefaultClusterPath is the cluster configuration osr reads when nothing names
// one, where the originals kept it.
const DefaultClusterPath = "/etc/cluster/cluster.conf"

// ClusterFile is the cluster configuration a command reads and who chose it.
type ClusterFile struct {
	// Path is the file.
	Path string
	// From says who named it: "--cluster", "$OSR_CLUSTER_CONF",
	// "cluster_config in osr.hcl", or "" for the default.
	From string
	// Explicit is set when the user named the file: a missing explicit file
	// is an error, a missing default means there is no cluster configuration.
	Explicit bool
}

// ResolveCluster picks the cluster configuration for every command that reads
// one: the flag's value, else $OSR_CLUSTER_CONF, else cluster_config of cfg
// (osr.hcl and conf.d; cfg may be nil), else DefaultClusterPath.
func ResolveCluster(flagValue string, cfg *Config) ClusterFile {
	switch {
	case flagValue != "":
		return ClusterFile{Path: flagValue, From: "--cluster", Explicit: true}
	case os.Getenv(EnvClusterPath) != "":
		return ClusterFile{Path: os.Getenv(EnvClusterPath), From: "$" + EnvClusterPath, Explicit: true}
	case cfg != nil && cfg.ClusterConfig != "":
		return ClusterFile{Path: cfg.ClusterConfig, From: "cluster_config in osr.hcl", Explicit: true}
	}
	return ClusterFile{Path: DefaultClusterPath}
}

// Origin says where the file came from, for messages: "named by --cluster",
// or "osr's default" when nothing named one.
func (c ClusterFile) Origin() string {
	if c.From == "" {
		return "osr's default"
	}
	return "named by " + c.From
}

// NeedsConfig reports whether ResolveCluster would look at osr.hcl for this
// flag value, so a command can skip loading osr.hcl when it would not.
func NeedsConfig(flagValue string) bool {
	return flagValue == "" && os.Getenv(EnvClusterPath) == ""
}
