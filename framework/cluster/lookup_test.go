// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"net/netip"
	"testing"
)

func TestNodeByMAC(t *testing.T) {
	c := mustLoad(t, "large.conf")
	tests := []struct {
		mac      string
		node     string
		nic      string
		notFound bool
	}{
		{mac: "00:1A:64:00:01:A1", node: "node1", nic: "eth1"},
		{mac: "00:1a:64:00:01:a1", node: "node1", nic: "eth1"},
		{mac: "00-1a-64-00-01-a1", node: "node1", nic: "eth1"},
		{mac: "00:1A:64:00:02:B0", node: "node2", nic: "eth0"}, // written lower case
		{mac: "00:1a:64:00:02:b1", node: "node2", nic: "eth1"}, // written with '-'
		{mac: "001a.6400.02b1", node: "node2", nic: "eth1"},
		{mac: "52:54:00:00:03:c0", node: "node3", nic: "eth0"}, // eth0.45 shares it; the first wins
		{mac: "00:00:00:00:00:00", notFound: true},
		{mac: "garbage", notFound: true},
	}
	for _, tt := range tests {
		n, nic, ok := c.NodeByMAC(tt.mac)
		if tt.notFound {
			if ok {
				t.Errorf("NodeByMAC(%q) = %s, want not found", tt.mac, n.Name)
			}
			continue
		}
		if !ok || n.Name != tt.node || nic.Name != tt.nic {
			t.Errorf("NodeByMAC(%q) = %v %v %v, want %s %s", tt.mac, n, nic, ok, tt.node, tt.nic)
		}
	}
	for key, want := range map[string]string{"node2": "node2", "3": "node3", "00-1A-64-00-01-A2": "node1"} {
		if n, ok := c.FindNode(key); !ok || n.Name != want {
			t.Errorf("FindNode(%q) = %v, want %s", key, n, want)
		}
	}
	if _, ok := c.FindNode("nope"); ok {
		t.Error("FindNode(nope) found a node")
	}
	if _, ok := c.NodeByID(9); ok {
		t.Error("NodeByID(9) found a node")
	}
}

func TestNICTypedViews(t *testing.T) {
	c := mustLoad(t, "large.conf")
	n1, _ := c.NodeByName("node1")
	bond, _ := n1.NIC("bond0")
	if p, ok, err := bond.Prefix(); err != nil || !ok || p != netip.MustParsePrefix("10.1.0.11/24") {
		t.Errorf("bond0 prefix = %v %v %v", p, ok, err)
	}
	if g, ok, err := bond.GatewayAddr(); err != nil || !ok || g != netip.MustParseAddr("10.1.0.254") {
		t.Errorf("bond0 gateway = %v %v %v", g, ok, err)
	}
	if got := bond.BondingOpts(); got != "miimon=100 mode=active-backup" {
		t.Errorf("BondingOpts = %q", got)
	}
	eth0, _ := n1.NIC("00:1a:64:00:01:a0")
	if eth0.Name != "eth0" || !eth0.IsSlave() || !eth0.IsOnBoot() || eth0.Master != "bond0" {
		t.Errorf("eth0 = %+v", eth0)
	}
	if hw, err := eth0.HardwareAddr(); err != nil || hw.String() != "00:1a:64:00:01:a0" {
		t.Errorf("HardwareAddr = %v %v", hw, err)
	}
	eth2, _ := n1.NIC("eth2")
	if eth2.IsOnBoot() {
		t.Error("eth2 has onboot=no but IsOnBoot is true")
	}
	if p, _, _ := eth2.Prefix(); p.Bits() != 24 {
		t.Errorf("eth2 prefix = %v (mask written as a length)", p)
	}
	if _, err := bond.HardwareAddr(); err == nil {
		t.Error("bond0 has no MAC but HardwareAddr succeeded")
	}
	n2, _ := c.NodeByName("node2")
	dhcp, _ := n2.NIC("eth0")
	if _, ok, err := dhcp.Addr(); !dhcp.IsDHCP() || ok || err != nil {
		t.Errorf("dhcp NIC: IsDHCP %v, Addr ok %v err %v", dhcp.IsDHCP(), ok, err)
	}
	single := NIC{Name: "x", IP: "10.0.0.5"}
	if p, _, _ := single.Prefix(); p.Bits() != 24 || !single.MaskDefaulted() {
		t.Errorf("address without mask = %v (defaulted %v), want /24 as the init sets it", p, single.MaskDefaulted())
	}
	single6 := NIC{Name: "x", IP: "fd00::5"}
	if p, _, _ := single6.Prefix(); p.Bits() != 64 {
		t.Errorf("IPv6 address without mask = %v, want /64", p)
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		rv                          *RootVolume
		scsi                        *SCSI
		rootfs, mountopts, failover string
	}{
		{nil, nil, "gfs", "noatime,localflocks", "driver"},
		{&RootVolume{Name: "x", FSType: "gfs2"}, nil, "gfs2", "noatime,localflocks", "driver"},
		{&RootVolume{Name: "x", FSType: "ocfs2"}, nil, "ocfs2", "noatime", "mapper"},
		{&RootVolume{Name: "x", FSType: "nfs"}, nil, "nfs", "nolock", "driver"},
		{&RootVolume{Name: "x", FSType: "nfs4"}, nil, "nfs4", "", "driver"},
		{&RootVolume{Name: "x", FSType: "ext3"}, nil, "ext3", "ro", "driver"},
		{&RootVolume{Name: "x", FSType: "glusterfs"}, nil, "glusterfs", "noatime,nodiratime", "mapper"},
		{&RootVolume{Name: "x", FSType: "ocfs2", MountOpts: "noatime,_netdev"}, &SCSI{Failover: "rdac"}, "ocfs2", "noatime,_netdev", "rdac"},
		{&RootVolume{Name: "x", FSType: "weird"}, nil, "weird", "", "driver"},
	}
	for _, tt := range tests {
		n := &Node{RootVolume: tt.rv, SCSI: tt.scsi}
		if n.RootFS() != tt.rootfs || n.MountOpts() != tt.mountopts || n.SCSIFailover() != tt.failover {
			t.Errorf("%+v: rootfs %q mountopts %q failover %q, want %q %q %q", tt.rv, n.RootFS(), n.MountOpts(), n.SCSIFailover(), tt.rootfs, tt.mountopts, tt.failover)
		}
	}
	if d, _ := DefaultsFor("nfs"); d.MountTimes != 30 || d.MountWait != 10 {
		t.Errorf("nfs mount retries = %+v", d)
	}
	ch := (&Node{}).Chroot()
	if ch.FSType != "tmpfs" || ch.Device != "none" || ch.Mountpoint != "/var/comoonics/chroot" || ch.ChrootDir != ch.Mountpoint || ch.MountOpts != "defaults" {
		t.Errorf("chroot defaults = %+v", ch)
	}
	if v := (&Node{}).EffectiveVotes(); v != 1 {
		t.Errorf("default votes = %d", v)
	}
}

func TestPreferredNode(t *testing.T) {
	c := mustLoad(t, "large.conf")
	for name, want := range map[string]string{"web": "node3", "db": "node2"} {
		d, _ := c.FailoverDomain(name)
		if got, ok := d.PreferredNode(); !ok || got != want {
			t.Errorf("%s: PreferredNode = %q, want %q", name, got, want)
		}
	}
	d, _ := c.FailoverDomain("empty")
	if _, ok := d.PreferredNode(); ok {
		t.Error("an empty domain has a preferred node")
	}
	// Priorities compare as numbers: 10 is not preferred over 2.
	d2 := FailoverDomain{Nodes: []FailoverDomainNode{{"a", "10"}, {"b", "2"}, {"c", ""}}}
	if got, _ := d2.PreferredNode(); got != "b" {
		t.Errorf("PreferredNode = %q, want b", got)
	}
}
