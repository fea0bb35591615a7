// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// One boot builds every kind of network the configuration describes and
// mounts the root over IPv6 through all of them: two NICs in an
// active-backup bond, VLAN 100 on the bond, a bridge whose port is that
// VLAN, and on the bridge a static IPv6 address; nfs-ganesha serves the
// root on the lab's VLAN 100 at an IPv6 address. The node shows its
// addresses and the network files the init handed over to the running
// system (systemd-networkd, NetworkManager, ifupdown).
func TestNetworkBondVLANBridgeIPv6Root(t *testing.T) {
	k := getKit(t)
	ctx := context.Background()
	tree := sharedRoot(t, k, 1)
	lab, err := netlab.New(ctx, netlab.Options{Taps: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	// The network side of VLAN 100, on the lab's bridge.
	const server, node = "fd00:100::1", "fd00:100::11"
	for _, args := range [][]string{
		{"link", "add", "link", netlab.Bridge, "name", netlab.Bridge + ".100", "type", "vlan", "id", "100"},
		{"addr", "add", server + "/64", "dev", netlab.Bridge + ".100", "nodad"},
		{"link", "set", netlab.Bridge + ".100", "up"},
	} {
		if out, err := lab.Command(ctx, "ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: lab.NS, Addr: mustAddr(t, server), Export: tree.Dir, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	root := "[" + server + "]:" + ganesha.DefaultPseudo
	conf := filepath.Join(t.TempDir(), "cluster.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`<?xml version="1.0"?>
<cluster name="osrnet" config_version="1">
 <clusternodes>
  <clusternode name="node1" nodeid="1" votes="1">
   <com_info>
    <rootvolume name="%s" fstype="nfs4"/>
    <eth name="eth0" mac="%s" master="bond0" slave="yes"/>
    <eth name="eth1" mac="%s" master="bond0" slave="yes"/>
    <eth name="bond0"><properties><property name="BONDING_OPTS">mode=active-backup miimon=100</property></properties></eth>
    <eth name="bond0.100" bridge="br1"/>
    <eth name="br1" type="Bridge" ip="%s" mask="64"/>
   </com_info>
  </clusternode>
 </clusternodes>
</cluster>
`, root, qemu.NodeMAC(1), qemu.NodeMAC(2), node)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := k.OSR(ctx, "cluster", "validate", "--cluster", conf); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	initrd := build(t, k, "nfs", conf, "")
	m := machine(t, k, "net-node1", initrd)
	m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(1), Tap: lab.Tap(1)}, {MAC: qemu.NodeMAC(2), Tap: lab.Tap(2)}}
	m.NetNS = lab.NS
	results, err := qemu.Run(ctx, qemu.Boot{Machine: m, Expect: []string{
		"bond0: created bond (mode=active-backup miimon=100)",
		"enslaved to bond0",
		"bond0.100: created VLAN 100 on bond0",
		"br1: created bridge",
		"bond0.100 is a port of bridge br1",
		"br1: br1 has " + node + "/64",
		sharedroot.MarkerHostname + "node1",
		sharedroot.MarkerRoot + root + " / nfs4 rw",
		"br1 " + node + "/64;",
		sharedroot.MarkerNetFiles + "00-osr-bond0.100.network 00-osr-bond0.network 00-osr-br1.network",
		"osr-br1.nmconnection",
		sharedroot.MarkerDone,
	}})
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
