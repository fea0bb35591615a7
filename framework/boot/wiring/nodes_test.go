// SPDX-License-Identifier: Apache-2.0

package wiring

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/open-sharedroot/osr/framework/boot"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
	"github.com/open-sharedroot/osr/framework/cluster"
)

// threeNodes is a cluster.conf with a static node, a DHCP node and a node
// whose cluster NIC is a bond.
const threeNodes = `<cluster name="sr" config_version="1"><clusternodes>
<clusternode name="n1" nodeid="1"><com_info>
  <rootvolume name="/dev/vg/sr" fstype="gfs2" mountopts="noatime"/>
  <eth name="eth0" mac="52:54:00:00:01:71" ip="10.0.0.1" mask="255.255.255.0" gateway="10.0.0.254"/>
</com_info></clusternode>
<clusternode name="n2" nodeid="2"><com_info>
  <rootvolume name="/dev/vg/sr" fstype="gfs2"/>
  <eth name="eth0" mac="52:54:00:00:01:72" ip="dhcp"/>
</com_info></clusternode>
<clusternode name="n3" nodeid="3"><com_info>
  <rootvolume name="/dev/vg/sr"/>
  <eth name="bond0" ip="10.0.0.3" mask="255.255.255.0"><properties><property name="BONDING_OPTS">BONDING_OPTS="miimon=100 mode=1"</property></properties></eth>
  <eth name="eth0" mac="52:54:00:00:01:73" master="bond0" slave="yes"/>
  <eth name="eth1" mac="52:54:00:00:02:73" master="bond0" slave="yes"/>
</com_info></clusternode>
</clusternodes></cluster>
`

func parseCluster(t *testing.T, conf string) *cluster.Cluster {
	t.Helper()
	c, err := cluster.Parse("cluster.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNodesLookup(t *testing.T) {
	n1 := boot.Node{ID: 1, Name: "n1", Root: "/dev/vg/sr", RootFS: "gfs2", MountOpts: "noatime", NICs: []netconf.Interface{
		{Name: "eth0", MAC: "52:54:00:00:01:71", IP: "10.0.0.1", Mask: "255.255.255.0", Gateway: "10.0.0.254", OnBoot: true}}}
	n2 := boot.Node{ID: 2, Name: "n2", Root: "/dev/vg/sr", RootFS: "gfs2", MountOpts: "noatime,localflocks", NICs: []netconf.Interface{
		{Name: "eth0", MAC: "52:54:00:00:01:72", IP: netconf.DHCP, OnBoot: true}}}
	n3 := boot.Node{ID: 3, Name: "n3", Root: "/dev/vg/sr", MountOpts: "noatime,localflocks", NICs: []netconf.Interface{
		{Name: "bond0", IP: "10.0.0.3", Mask: "255.255.255.0", OnBoot: true, BondOpts: "miimon=100 mode=1"},
		{Name: "eth0", MAC: "52:54:00:00:01:73", OnBoot: true, Master: "bond0"},
		{Name: "eth1", MAC: "52:54:00:00:02:73", OnBoot: true, Master: "bond0"}}}
	f := nodes{c: parseCluster(t, threeNodes)}
	tests := []struct {
		name    string
		lookup  func() (boot.Node, error)
		want    boot.Node
		wantErr string
	}{
		{"by id", func() (boot.Node, error) { return f.NodeByID(1) }, n1, ""},
		{"by id, DHCP", func() (boot.Node, error) { return f.NodeByID(2) }, n2, ""},
		{"unknown id names the ids there are", func() (boot.Node, error) { return f.NodeByID(7) }, boot.Node{}, "nodeid 7 (the cluster has [1 2 3])"},
		{"by name", func() (boot.Node, error) { return f.NodeByName("n3") }, n3, ""},
		{"unknown name", func() (boot.Node, error) { return f.NodeByName("n9") }, boot.Node{}, `node name "n9"`},
		{"by MAC, any case", func() (boot.Node, error) {
			return f.NodeByMAC([]string{"52:54:00:00:09:99", "52:54:00:00:01:7A", "52:54:00:00:01:72"})
		}, n2, ""},
		{"by the MAC of a bond slave", func() (boot.Node, error) { return f.NodeByMAC([]string{"52:54:00:00:02:73"}) }, n3, ""},
		{"no MAC matches", func() (boot.Node, error) { return f.NodeByMAC([]string{"52:54:00:00:09:99"}) }, boot.Node{}, "none of the MACs 52:54:00:00:09:99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.lookup()
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, boot.ErrNoNode) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one with %q wrapping boot.ErrNoNode", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("node (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]boot.Node{n1, n2, n3}, f.All()); diff != "" {
		t.Errorf("All() (-want +got):\n%s", diff)
	}
}

// A cluster configuration that did not load makes every lookup fail with
// why, never with "no such node" (which would let the boot go on guessing).
func TestNodesBrokenConfiguration(t *testing.T) {
	bad := errors.New("cluster.conf line 3: unexpected EOF")
	f := nodes{err: bad}
	for name, lookup := range map[string]func() (boot.Node, error){
		"id":   func() (boot.Node, error) { return f.NodeByID(1) },
		"name": func() (boot.Node, error) { return f.NodeByName("n1") },
		"MAC":  func() (boot.Node, error) { return f.NodeByMAC([]string{"52:54:00:00:01:71"}) },
	} {
		if _, err := lookup(); !errors.Is(err, bad) || errors.Is(err, boot.ErrNoNode) {
			t.Errorf("by %s: error = %v; want the load error", name, err)
		}
	}
	if all := f.All(); len(all) != 0 {
		t.Errorf("All() = %v; want none", all)
	}
}

func TestNodeFilesystems(t *testing.T) {
	c := parseCluster(t, `<cluster name="sr"><clusternodes>
<clusternode name="n1" nodeid="1"><com_info>
  <rootvolume name="/dev/vg/sr" fstype="gfs2"/>
  <filesystems>
    <filesystem source="/.cluster/cdsl/%(param0)s/var" dest="/var" fstype="bind"/>
    <filesystem source="none" dest="/scratch" fstype="tmpfs" mountopts="size=8m" mounttimes="3" mountwait="2"/>
  </filesystems>
</com_info></clusternode>
</clusternodes></cluster>`)
	got := bootNode(c.Nodes[0]).Filesystems
	want := []boot.Filesystem{
		{Source: "/.cluster/cdsl/%(param0)s/var", Dest: "/var", FSType: "bind", MountTimes: 1, Where: "cluster.conf:5"},
		{Source: "none", Dest: "/scratch", FSType: "tmpfs", MountOpts: "size=8m", MountTimes: 3, MountWait: 2, Where: "cluster.conf:6"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("filesystems (-want +got):\n%s", diff)
	}
}

// VLANs, bridges and auto6 reach the init as the validation reads them.
func TestBootNodeVirtualLinks(t *testing.T) {
	c := parseCluster(t, `<cluster name="sr"><clusternodes><clusternode name="n1" nodeid="1"><com_info>
  <rootvolume name="[fd00::1]:/srv" fstype="nfs4"/>
  <eth name="eth0" mac="52:54:00:00:01:71" ip="auto6"/>
  <eth name="eth0.100" bridge="br0"/>
  <eth name="vl7" type="vlan" ip="10.7.0.1" mask="24"><properties><property name="PHYSDEV">eth1</property><property name="VLAN_ID">7</property></properties></eth>
  <eth name="br0" type="Bridge" ip="fd00::5" mask="64"/>
</com_info></clusternode></clusternodes></cluster>`)
	got := bootNode(c.Nodes[0]).NICs
	want := []netconf.Interface{
		{Name: "eth0", MAC: "52:54:00:00:01:71", IP: netconf.Auto6, OnBoot: true},
		{Name: "eth0.100", OnBoot: true, Kind: netconf.KindVLAN, VLANParent: "eth0", VLANID: 100, Bridge: "br0"},
		{Name: "vl7", IP: "10.7.0.1", Mask: "24", OnBoot: true, Kind: netconf.KindVLAN, VLANParent: "eth1", VLANID: 7},
		{Name: "br0", IP: "fd00::5", Mask: "64", OnBoot: true, Kind: netconf.KindBridge},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
