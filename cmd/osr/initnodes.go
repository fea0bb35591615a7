package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/framework/driver"
)

// clusterNodes answers the init's questions from the cluster configuration embedded
// in the image.
type clusterNodes struct {
	c *cluster.Cluster
}

func (f clusterNodes) NodeByID(id string) (boot.Node, error) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return boot.Node{}, fmt.Errorf("nodeid %q is not a number: %w", id, boot.ErrNoNode)
	}
	node, ok := f.c.NodeByID(n)
	if !ok {
		return boot.Node{}, fmt.Errorf("nodeid %d (the cluster has %v): %w", n, f.c.NodeIDs(), boot.ErrNoNode)
	}
	return bootNode(node), nil
}

func (f clusterNodes) NodeByName(name string) (boot.Node, error) {
	node, ok := f.c.NodeByName(name)
	if !ok {
		return boot.Node{}, fmt.Errorf("node name %q: %w", name, boot.ErrNoNode)
	}
	return bootNode(node), nil
}

func (f clusterNodes) NodeByMAC(macs []string) (boot.Node, error) {
	for _, m := range macs {
		if node, _, ok := f.c.NodeByMAC(m); ok {
			return bootNode(node), nil
		}
	}
	return boot.Node{}, fmt.Errorf("none of the MACs %s: %w", strings.Join(macs, ", "), boot.ErrNoNode)
}

func (f clusterNodes) All() []boot.Node {
	out := make([]boot.Node, 0, len(f.c.Nodes))
	for _, n := range f.c.Nodes {
		out = append(out, bootNode(n))
	}
	return out
}

// bootNode turns a cluster node into what the init needs.
func bootNode(n *cluster.Node) boot.Node {
	b := boot.Node{ID: strconv.Itoa(n.ID), Name: n.Name, Root: n.RootVolumeName(), MountOpts: n.MountOpts()}
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
		if nic.IsDHCP() {
			iface.IP = netconf.DHCP
		}
		b.NICs = append(b.NICs, iface)
	}
	return b
}

// driverNodes lists the cluster's members for the driver (o2cb needs every node's
// address and number).
func driverNodes(c *cluster.Cluster) []driver.ClusterNode {
	if c == nil {
		return nil
	}
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
