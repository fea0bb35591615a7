// SPDX-License-Identifier: Apache-2.0

package osrlab

import (
	"fmt"
	"os"
	"strings"
)

// Paths inside the cluster stack's chroot where the fence host's client files go
// (osr.hcl's cluster_stack files).
const (
	FenceIdentityFile = "/etc/osr/fence_id"
	FenceKnownHosts   = "/etc/osr/fence_known_hosts"
)

// SSHFence is a fence_osr_ssh device at a test fence host (package fencehost):
// its "off NODE" kills the node's qemu.
type SSHFence struct {
	// Host and Port are where the guests reach the fence host.
	Host string
	Port int
}

// WriteFencedClusterConf writes a cluster.conf with com_info for the nodes, whose
// one fence method is the fence host's ssh device with the node's name as port.
func WriteFencedClusterConf(path, name string, nodes []Node, f SSHFence) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\"?>\n<cluster name=%q config_version=\"1\">\n", name)
	fmt.Fprintf(&b, " <fencedevices>\n  <fencedevice name=\"host\" agent=\"fence_osr_ssh\" ipaddr=%q ipport=\"%d\" login=\"fence\"\n", f.Host, f.Port)
	fmt.Fprintf(&b, "    identity_file=%q known_hosts=%q command=\"off {port}\" status_command=\"status {port}\"/>\n </fencedevices>\n", FenceIdentityFile, FenceKnownHosts)
	b.WriteString(" <clusternodes>\n")
	for _, n := range nodes {
		ip := n.IP
		if ip == "" {
			ip = "dhcp"
		}
		fmt.Fprintf(&b, "  <clusternode name=%q nodeid=\"%d\" votes=\"1\">\n", n.NodeName(), n.ID)
		fmt.Fprintf(&b, "   <fence><method name=\"1\"><device name=\"host\" port=%q/></method></fence>\n", n.NodeName())
		fmt.Fprintf(&b, "   <com_info>\n    <rootvolume name=%q fstype=%q/>\n", n.Root, n.RootFS)
		fmt.Fprintf(&b, "    <eth name=\"eth0\" mac=%q ip=%q mask=%q/>\n", strings.ToUpper(n.MAC), ip, n.Mask)
		b.WriteString("   </com_info>\n  </clusternode>\n")
	}
	b.WriteString(" </clusternodes>\n</cluster>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
