// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/internal/nstest"
)

// requireKind skips when the kernel cannot create links of a kind (bond,
// vlan, bridge need their modules on the host).
func requireKind(t *testing.T, l netlink.Link) {
	t.Helper()
	if err := netlink.LinkAdd(l); err != nil {
		t.Skipf("this kernel cannot create a %s (%v); covered by the boot tests", l.Type(), err)
	}
	netlink.LinkDel(l)
}

// addVeth adds one more veth pair: name stays here with mac, peerName goes
// to the lab's peer namespace, up.
func (l *lab) addVeth(name, mac, peerName string) {
	t := l.t
	t.Helper()
	hw, _ := net.ParseMAC(mac)
	la := netlink.NewLinkAttrs()
	la.Name, la.HardwareAddr = name, hw
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: peerName}); err != nil {
		t.Fatal(err)
	}
	p, _ := netlink.LinkByName(peerName)
	if err := netlink.LinkSetNsFd(p, int(l.peer)); err != nil {
		t.Fatal(err)
	}
	p, err := l.ph.LinkByName(peerName)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ph.LinkSetUp(p); err != nil {
		t.Fatal(err)
	}
}

func addrsOf(t *testing.T, name string, family int) []string {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	as, err := netlink.AddrList(l, family)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, a.IPNet.String())
	}
	return out
}

// Two bonds, a VLAN on one of them, a bridge over the VLAN and the other
// bond, and a second VLAN on a plain NIC: all at once, from one
// description, in the order physical → bond → vlan → bridge whatever the
// configuration's order.
func TestUpBondsVLANsBridge(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	requireKind(t, netlink.NewLinkBond(netlink.LinkAttrs{Name: "probe0"}))
	requireKind(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "probe1"}})
	l := newLab(t, "enp0s3", nodeMAC)
	l.addVeth("enp0s4", "52:54:00:0a:01:72", "peer1")
	l.addVeth("enp0s5", "52:54:00:0a:01:73", "peer2")
	l.addVeth("enp0s6", "52:54:00:0a:01:74", "peer3")
	l.addVeth("enp0s7", "52:54:00:0a:01:75", "peer4")
	requireKind(t, &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "probe2", ParentIndex: mustLink(t, "enp0s7").Attrs().Index}, VlanId: 9})
	ifaces := []Interface{
		{Name: "br0", IP: "10.98.0.5", Mask: "24", OnBoot: true, Kind: KindBridge},
		{Name: "bond0.100", VLANParent: "bond0", VLANID: 100, Bridge: "br0", OnBoot: true},
		{Name: "bond1", Bridge: "br0", OnBoot: true, BondOpts: "mode=balance-rr miimon=100"},
		{Name: "bond0", OnBoot: true, BondOpts: "mode=active-backup miimon=100"},
		{Name: "eth0", MAC: nodeMAC, Master: "bond0", OnBoot: true},
		{Name: "eth1", MAC: "52:54:00:0a:01:72", Master: "bond0", OnBoot: true},
		{Name: "eth2", MAC: "52:54:00:0a:01:73", Master: "bond1", OnBoot: true},
		{Name: "eth3", MAC: "52:54:00:0a:01:74", Master: "bond1", OnBoot: true},
		{Name: "eth4", MAC: "52:54:00:0a:01:75", OnBoot: true},
		{Name: "eth4.7", VLANParent: "eth4", VLANID: 7, IP: "fd00:7::5/64", OnBoot: true},
	}
	var log []string
	res, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second, Logf: func(f string, a ...any) {
		log = append(log, f)
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ slave, bond string }{{"enp0s3", "bond0"}, {"enp0s4", "bond0"}, {"enp0s5", "bond1"}, {"enp0s6", "bond1"}} {
		if mustLink(t, s.slave).Attrs().MasterIndex != mustLink(t, s.bond).Attrs().Index {
			t.Errorf("%s is not a slave of %s", s.slave, s.bond)
		}
	}
	if b := mustLink(t, "bond0").(*netlink.Bond); b.Mode != netlink.BOND_MODE_ACTIVE_BACKUP {
		t.Errorf("bond0 mode %v", b.Mode)
	}
	if b := mustLink(t, "bond1").(*netlink.Bond); b.Mode != netlink.BOND_MODE_BALANCE_RR {
		t.Errorf("bond1 mode %v", b.Mode)
	}
	v, ok := mustLink(t, "bond0.100").(*netlink.Vlan)
	if !ok || v.VlanId != 100 || v.ParentIndex != mustLink(t, "bond0").Attrs().Index {
		t.Errorf("bond0.100 = %+v, want VLAN 100 on bond0", mustLink(t, "bond0.100"))
	}
	v7, ok := mustLink(t, "eth4.7").(*netlink.Vlan)
	if !ok || v7.VlanId != 7 || v7.ParentIndex != mustLink(t, "enp0s7").Attrs().Index {
		t.Errorf("eth4.7 = %+v, want VLAN 7 on enp0s7 (eth4 found by MAC)", mustLink(t, "eth4.7"))
	}
	br := mustLink(t, "br0")
	if br.Type() != "bridge" {
		t.Fatalf("br0 is a %s", br.Type())
	}
	for _, port := range []string{"bond0.100", "bond1"} {
		if mustLink(t, port).Attrs().MasterIndex != br.Attrs().Index {
			t.Errorf("%s is not a port of br0", port)
		}
	}
	if got := addrsOf(t, "br0", unix.AF_INET); len(got) != 1 || got[0] != "10.98.0.5/24" {
		t.Errorf("br0 addresses %v", got)
	}
	if got := addrsOf(t, "eth4.7", unix.AF_INET6); len(got) != 1 || got[0] != "fd00:7::5/64" {
		t.Errorf("eth4.7 addresses %v", got)
	}
	vias := map[string]string{}
	for _, c := range res.Configured {
		vias[c.Interface.Name] = c.Via
	}
	want := map[string]string{"eth0": "slave", "eth1": "slave", "eth2": "slave", "eth3": "slave", "eth4": "link",
		"bond0": "link", "bond1": "port", "bond0.100": "port", "eth4.7": "static", "br0": "static"}
	for k, w := range want {
		if vias[k] != w {
			t.Errorf("%s configured via %q, want %q (all: %v)", k, vias[k], w, vias)
		}
	}
	if res.Configured[len(res.Configured)-1].Interface.Name != "br0" {
		t.Errorf("the bridge was not brought up last: %v", res.Configured)
	}
}

// A VLAN on a NIC found by MAC and a bridge with that VLAN and a second NIC
// as ports, the address on the bridge; a second VLAN with an IPv6 address.
// Frames really pass: the peer's VLAN answers through the bridge.
func TestUpVLANAndBridge(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	requireKind(t, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "probe1"}})
	l := newLab(t, "enp0s3", nodeMAC)
	l.addVeth("enp0s4", "52:54:00:0a:01:72", "peer1")
	requireKind(t, &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "probe2", ParentIndex: mustLink(t, "enp0s4").Attrs().Index}, VlanId: 9})
	// The network: VLAN 100 on peer0 carries 10.98.0.1/24.
	p0, _ := l.ph.LinkByName("peer0")
	if err := l.ph.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "peer0.100", ParentIndex: p0.Attrs().Index}, VlanId: 100}); err != nil {
		t.Fatal(err)
	}
	pv, _ := l.ph.LinkByName("peer0.100")
	a, _ := netlink.ParseAddr("10.98.0.1/24")
	if err := l.ph.AddrAdd(pv, a); err != nil {
		t.Fatal(err)
	}
	if err := l.ph.LinkSetUp(pv); err != nil {
		t.Fatal(err)
	}
	ifaces := []Interface{
		{Name: "br0", IP: "10.98.0.5", Mask: "255.255.255.0", OnBoot: true},
		{Name: "eth0.100", MAC: nodeMAC, VLANParent: "eth0", VLANID: 100, Bridge: "br0", OnBoot: true},
		{Name: "eth0", MAC: nodeMAC, OnBoot: true},
		{Name: "eth1", MAC: "52:54:00:0a:01:72", Bridge: "br0", OnBoot: true},
		{Name: "eth1.7", VLANParent: "enp0s4", VLANID: 7, IP: "fd00:7::5/64", OnBoot: true},
	}
	res, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := mustLink(t, "eth0.100").(*netlink.Vlan)
	if !ok || v.VlanId != 100 || v.ParentIndex != mustLink(t, "enp0s3").Attrs().Index {
		t.Errorf("eth0.100 = %+v, want VLAN 100 on enp0s3 (eth0 found by MAC)", mustLink(t, "eth0.100"))
	}
	v7, ok := mustLink(t, "eth1.7").(*netlink.Vlan)
	if !ok || v7.VlanId != 7 || v7.ParentIndex != mustLink(t, "enp0s4").Attrs().Index {
		t.Errorf("eth1.7 = %+v, want VLAN 7 on enp0s4 (by kernel name)", mustLink(t, "eth1.7"))
	}
	br := mustLink(t, "br0")
	if br.Type() != "bridge" {
		t.Fatalf("br0 is a %s", br.Type())
	}
	for _, port := range []string{"eth0.100", "enp0s4"} {
		if mustLink(t, port).Attrs().MasterIndex != br.Attrs().Index {
			t.Errorf("%s is not a port of br0", port)
		}
	}
	if got := addrsOf(t, "br0", unix.AF_INET); len(got) != 1 || got[0] != "10.98.0.5/24" {
		t.Errorf("br0 addresses %v", got)
	}
	if got := addrsOf(t, "eth1.7", unix.AF_INET6); len(got) != 1 || got[0] != "fd00:7::5/64" {
		t.Errorf("eth1.7 addresses %v", got)
	}
	vias := map[string]string{}
	for _, c := range res.Configured {
		vias[c.Interface.Name] = c.Via
	}
	want := map[string]string{"eth0": "link", "eth1": "port", "eth0.100": "port", "eth1.7": "static", "br0": "static"}
	for k, w := range want {
		if vias[k] != w {
			t.Errorf("%s configured via %q, want %q (all: %v)", k, vias[k], w, vias)
		}
	}
	// Tagged frames pass: the peer's VLAN answers through the bridge.
	ln := l.listenInPeer("tcp4", "10.98.0.1:2049")
	defer ln.Close()
	conn, err := net.DialTimeout("tcp4", "10.98.0.1:2049", 5*time.Second)
	if err != nil {
		t.Fatalf("connect through br0 and VLAN 100 to the peer: %v", err)
	}
	conn.Close()
}

func mustLink(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	return l
}

// A static IPv6 address with its gateway: usable at once (no duplicate
// address detection wait), the default route set.
func TestUpStaticIPv6(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	l := newLab(t, "enp0s3", nodeMAC)
	addr, _ := netlink.ParseAddr("fd00:99::1/64")
	addr.Flags = unix.IFA_F_NODAD
	p, _ := l.ph.LinkByName("peer0")
	if err := l.ph.AddrAdd(p, addr); err != nil {
		t.Fatal(err)
	}
	res, err := Up(context.Background(), []Interface{{Name: "eth0", MAC: nodeMAC, IP: "fd00:99::5", Gateway: "fd00:99::1", OnBoot: true}},
		Options{CarrierWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(t, "enp0s3", unix.AF_INET6); len(got) != 1 || got[0] != "fd00:99::5/64" {
		t.Fatalf("addresses %v, want fd00:99::5/64 (the default /64)", got)
	}
	if gw, ok := defaultRoute6(mustLink(t, "enp0s3")); !ok || gw != netip.MustParseAddr("fd00:99::1") {
		t.Errorf("IPv6 default route %v %v", gw, ok)
	}
	if c := res.Configured[0]; c.Via != "static" || c.Addr != netip.MustParsePrefix("fd00:99::5/64") {
		t.Errorf("result %+v", c)
	}
	// The address is usable at once: a TCP connection to the peer works.
	ln := l.listenInPeer("tcp6", "[fd00:99::1]:2049")
	conn, err := net.DialTimeout("tcp6", "[fd00:99::1]:2049", 3*time.Second)
	if err != nil {
		t.Fatalf("connect over IPv6 to the peer: %v", err)
	}
	conn.Close()
	ln.Close()
}

// listenInPeer listens on addr inside the peer namespace and accepts
// connections until the listener is closed.
func (l *lab) listenInPeer(network, addr string) net.Listener {
	t := l.t
	t.Helper()
	ch := make(chan net.Listener, 1)
	go func() {
		runtime.LockOSThread() // this thread stays in the peer's namespace and ends with the goroutine
		if err := netns.Set(l.peer); err != nil {
			t.Error(err)
			ch <- nil
			return
		}
		ln, err := net.Listen(network, addr)
		if err != nil {
			t.Errorf("listen in peer: %v", err)
			ch <- nil
			return
		}
		ch <- ln
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ln := <-ch
	if ln == nil {
		t.FailNow()
	}
	return ln
}

// A lease with classless static routes (option 121, which replace the
// router option) and a root path (option 17).
func TestUpDHCPRoutesAndRootPath(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	l := newLab(t, "enp0s3", nodeMAC)
	l.serveDHCPWith(func(m *dhcpv4.DHCPv4) {
		_, dst, _ := net.ParseCIDR("10.200.0.0/16")
		_, def, _ := net.ParseCIDR("0.0.0.0/0")
		m.UpdateOption(dhcpv4.OptClasslessStaticRoute(
			&dhcpv4.Route{Dest: dst, Router: net.IPv4(10, 99, 0, 254).To4()},
			&dhcpv4.Route{Dest: def, Router: net.IPv4(10, 99, 0, 2).To4()},
		))
		m.UpdateOption(dhcpv4.OptRootPath("10.99.0.1:/srv/root"))
	})
	res, err := Up(context.Background(), []Interface{{Name: "eth0", MAC: nodeMAC, IP: DHCP, OnBoot: true}},
		Options{CarrierWait: 5 * time.Second, DHCPTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Configured[0]
	if c.RootPath != "10.99.0.1:/srv/root" || res.RootPath() != "10.99.0.1:/srv/root" {
		t.Errorf("root path %q", c.RootPath)
	}
	if c.Gateway != netip.MustParseAddr("10.99.0.2") {
		t.Errorf("gateway %v, want 10.99.0.2 from option 121 (not the router option's 10.99.0.1)", c.Gateway)
	}
	want := Route{Dst: netip.MustParsePrefix("10.200.0.0/16"), Gw: netip.MustParseAddr("10.99.0.254")}
	if len(c.Routes) != 1 || c.Routes[0] != want {
		t.Errorf("routes %v, want %v", c.Routes, want)
	}
	rs, err := netlink.RouteGet(net.IPv4(10, 200, 3, 4))
	if err != nil || len(rs) == 0 || !rs[0].Gw.Equal(net.IPv4(10, 99, 0, 254)) {
		t.Errorf("route to 10.200.3.4: %v %v", rs, err)
	}
	if _, _, gw := linkState(t, "enp0s3"); gw != "10.99.0.2" {
		t.Errorf("default route via %q", gw)
	}
}
