// SPDX-License-Identifier: Apache-2.0

package fence

import (
	"fmt"
	"path"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// Disabled reports whether the configuration switches fencing off, which it does only
// with <dlm enable_fencing="0"/> (HCL: extra "dlm" { attributes = { enable_fencing = "0" } }),
// the element the cluster 3 stack read for the same setting. It returns where that is
// written, for messages.
func Disabled(c *cluster.Cluster) (bool, cluster.Pos, error) {
	for _, e := range c.Extra {
		if e.Name != "dlm" {
			continue
		}
		for _, a := range e.Attrs {
			if a.Name != "enable_fencing" {
				continue
			}
			switch strings.TrimSpace(a.Value) {
			case "0":
				return true, e.Pos, nil
			case "1":
				return false, e.Pos, nil
			}
			return false, e.Pos, fmt.Errorf("%s: <dlm enable_fencing=%q>: want 1 (fence failed nodes, the default) or 0 (never fence; only for tests)", e.Pos, a.Value)
		}
	}
	return false, cluster.Pos{}, nil
}

// DLMConf renders the fencing lines of dlm.conf for the cluster: a fence_all line
// that makes dlm_controld run osr's agent at agentPath (inside the chroot, normally
// /usr/sbin/fence_osr) for every failed node. The agent reads the fence methods from
// ClusterConfigPath in the chroot, so the caller installs the cluster configuration
// there (mode 0600) next to dlm.conf. DLMConf refuses a configuration in which a node
// has no usable fence method: dlm_controld would wait for its fencing forever. The
// only way to run without fencing is <dlm enable_fencing="0"/> in the configuration,
// which renders enable_fencing=0.
func DLMConf(c *cluster.Cluster, agentPath string) (string, error) {
	off, pos, err := Disabled(c)
	if err != nil {
		return "", err
	}
	if off {
		return fmt.Sprintf("# fencing is disabled by <dlm enable_fencing=\"0\"> at %s: a failed node's journal is replayed without making sure it is dead\nenable_fencing=0\n", pos), nil
	}
	if !path.IsAbs(agentPath) || strings.ContainsAny(agentPath, " \t\n") {
		return "", fmt.Errorf("fence agent path %q: want an absolute path without blanks", agentPath)
	}
	if len(c.Nodes) == 0 {
		return "", fmt.Errorf("%s: the cluster has no nodes to fence", c.Pos)
	}
	if err := Validate(c); err != nil {
		return "", fmt.Errorf("fencing cannot be configured:\n%w", err)
	}
	return fmt.Sprintf("# a failed node is fenced by osr's agent, which runs the node's fence methods from %s\nfence_all %s\n", ClusterConfigPath, agentPath), nil
}
