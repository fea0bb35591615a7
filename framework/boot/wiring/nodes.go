// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/driver"
)

// nodes answers the init's questions from the cluster configuration embedded
// in the image. err, when set, is why that configuration could not be loaded:
// every lookup then fails with it.
type nodes struct {
	c   *cluster.Cluster
	err error
}

func (f nodes) NodeByID(id int) (boot.Node, error) {
	if f.err != nil {
		return boot.Node{}, f.err
	}
	node, ok := f.c.NodeByID(id)
	if !ok {
		return boot.Node{}, fmt.Errorf("nodeid %d (the cluster has %v): %w", id, f.c.NodeIDs(), boot.ErrNoNode)
	}
	return bootNode(node), nil
}

func (f nodes) NodeByName(name string) (boot.Node, error) {
	if f.err != nil {
		return boot.Node{}, f.err
	}
	node, ok := f.c.NodeByName(name)
	if !ok {
		return boot.Node{}, fmt.Errorf("node name %q: %w", name, boot.ErrNoNode)
	}
	return bootNode(node), nil
}

func (f nodes) NodeByMAC(macs []string) (boot.Node, error) {
	if f.err != nil {
		return boot.Node{}, f.err
	}
	for _, m := range macs {
		if node, _, ok := f.c.NodeByMAC(m); ok {
			return bootNode(node), nil
		}
	}
	return boot.Node{}, fmt.Errorf("none of the MACs %s: %w", strings.Join(macs, ", "), boot.ErrNoNode)
}

func (f nodes) All() []boot.Node {
	if f.err != nil {
		return nil
	}
	out := make([]boot.Node, 0, len(f.c.Nodes))
	for _, n := range f.c.Nodes {
		out = append(out, bootNode(n))
	}
	return out
}

// bootNode turns a cluster node into what the init needs.
func bootNode(n *cluster.Node) boot.Node {
	b := boot.Node{ID: n.ID, Name: n.Name, Root: n.RootVolumeName(), MountOpts: n.MountOpts()}
	if n.RootVolume != nil {
		b.RootFS = n.RootVolume.FSType
	}
	for i := range n.NICs {
		nic := &n.NICs[i]
		iface := netconf.Interface{
			Name: nic.Name, MAC: nic.MAC, IP: nic.IP, Mask: nic.Mask, Gateway: nic.Gateway,
			OnBoot: nic.IsOnBoot(), BondOpts: nic.BondingOpts(),
		}
		if nic.IsSlave() {
			iface.Master = nic.Master
		}
		switch {
		case nic.IsDHCP():
			iface.IP = netconf.DHCP
		case nic.IsAuto6():
			iface.IP = netconf.Auto6
		}
		if nic.IsBridge() {
			iface.Kind = netconf.KindBridge
		}
		if parent, id, ok, err := nic.VLAN(); ok && err == nil {
			iface.Kind, iface.VLANParent, iface.VLANID = netconf.KindVLAN, parent, id
		}
		iface.Bridge = nic.Bridge
		b.NICs = append(b.NICs, iface)
	}
	for _, fs := range n.Filesystems {
		b.Filesystems = append(b.Filesystems, boot.Filesystem{
			Source: fs.Source, Dest: fs.Dest, FSType: fs.FSType, MountOpts: fs.MountOpts,
			MountTimes: atoiOr(fs.MountTimes, 1), MountWait: atoiOr(fs.MountWait, 0), Where: fs.Pos.String(),
		})
	}
	return b
}

// atoiOr is s as a number, or def when s is empty (the cluster file's
// validation reports one that is no number).
func atoiOr(s string, def int) int {
	if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return v
	}
	return def
}

// driverNodes lists the cluster's members for the driver (o2cb needs every
// node's address and number).
func driverNodes(c *cluster.Cluster) []driver.ClusterNode {
	var out []driver.ClusterNode
	for _, n := range c.Nodes {
		dn := driver.ClusterNode{ID: n.ID, Name: n.Name}
		for i := range n.NICs {
			if a, ok, err := n.NICs[i].Addr(); err == nil && ok {
				dn.Addresses = append(dn.Addresses, a.String())
			}
		}
		out = append(out, dn)
	}
	return out
}
