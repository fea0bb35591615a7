// SPDX-License-Identifier: Apache-2.0

// Package render writes a cluster configuration in the formats osr converts to: the
// cluster.conf XML and osr's HCL cluster file (both carrying every value, so that
// converting back and forth keeps the configuration), the OCFS2 /etc/ocfs2/cluster.conf
// node list and a corosync.conf for GFS2 on a corosync cluster.
package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/framework/cluster"
)

// Format names an output format.
type Format string

// The output formats.
const (
	ClusterConf Format = "clusterconf"
	HCL         Format = "hcl"
	OCFS2       Format = "ocfs2"
	Corosync    Format = "corosync"
)

var aliases = map[string]Format{
	"clusterconf": ClusterConf, "cluster.conf": ClusterConf, "xml": ClusterConf,
	"hcl":   HCL,
	"ocfs2": OCFS2, "o2cb": OCFS2,
	"corosync": Corosync, "corosync.conf": Corosync,
}

// ParseFormat resolves a format name (and its aliases: xml, cluster.conf, o2cb, corosync.conf).
func ParseFormat(name string) (Format, error) {
	if f, ok := aliases[strings.ToLower(name)]; ok {
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q; use one of %s", name, strings.Join(Formats(), ", "))
}

// Formats lists the output format names.
func Formats() []string {
	out := []string{string(ClusterConf), string(Corosync), string(HCL), string(OCFS2)}
	sort.Strings(out)
	return out
}

// Render writes c in the given format.
func Render(c *cluster.Cluster, f Format) ([]byte, error) {
	switch f {
	case ClusterConf:
		return ClusterConfXML(c), nil
	case HCL:
		return HCLFile(c), nil
	case OCFS2:
		return OCFS2Conf(c)
	case Corosync:
		return CorosyncConf(c)
	}
	return nil, fmt.Errorf("unknown format %q; use one of %s", f, strings.Join(Formats(), ", "))
}

// Convert is Render for a format given by name, returning text; it fits the
// query engine's "convert TYPE" query.
func Convert(c *cluster.Cluster, format string) (string, error) {
	f, err := ParseFormat(format)
	if err != nil {
		return "", err
	}
	b, err := Render(c, f)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// firstStaticIP is the node's first static address (the address OCFS2 and corosync use).
func firstStaticIP(n *cluster.Node) string {
	for _, nic := range n.NICs {
		if nic.IP != "" && !nic.IsDHCP() {
			return nic.IP
		}
	}
	return ""
}
