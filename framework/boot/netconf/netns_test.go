// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/internal/nstest"
)

// The tests below run in a network namespace of their own (nstest). Each
// builds a veth pair: the node's end stays in the test's namespace under a
// kernel name that differs from the configured one, the peer moves into a
// second namespace that plays the network (and, for DHCP, runs a server).

const nodeMAC = "52:54:00:0A:01:71" // upper case on purpose: matching ignores case

type lab struct {
	t    *testing.T
	peer netns.NsHandle
	ph   *netlink.Handle
}

// newLab creates the veth pair "node0" (the node's NIC) / "peer0", with the
// peer at 10.99.0.1/24 in its own namespace, up.
func newLab(t *testing.T, nodeLink string, mac string) *lab {
	t.Helper()
	hw, err := net.ParseMAC(mac)
	if err != nil {
		t.Fatal(err)
	}
	la := netlink.NewLinkAttrs()
	la.Name = nodeLink
	la.HardwareAddr = hw
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "peer0"}); err != nil {
		t.Fatalf("create veth pair: %v", err)
	}
	peerNS := inNewNS(t)
	peer, err := netlink.LinkByName("peer0")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetNsFd(peer, int(peerNS)); err != nil {
		t.Fatalf("move peer0: %v", err)
	}
	h, err := netlink.NewHandleAt(peerNS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	peer, err = h.LinkByName("peer0")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("10.99.0.1/24")
	if err := h.AddrAdd(peer, addr); err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		t.Fatal(err)
	}
	return &lab{t: t, peer: peerNS, ph: h}
}

// inNewNS creates a network namespace and returns a handle to it, leaving
// the calling thread where it was.
func inNewNS(t *testing.T) netns.NsHandle {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Fatalf("new network namespace: %v", err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// serveDHCP runs a DHCP server on peer0 that hands out 10.99.0.50/24 with
// router 10.99.0.1 and name server 10.99.0.53.
func (l *lab) serveDHCP() { l.serveDHCPWith(nil) }

// serveDHCPWith is serveDHCP with extra's options in every reply.
func (l *lab) serveDHCPWith(extra func(*dhcpv4.DHCPv4)) {
	t := l.t
	done := make(chan *server4.Server)
	go func() {
		runtime.LockOSThread() // this thread stays in the peer's namespace and ends with the goroutine
		if err := netns.Set(l.peer); err != nil {
			t.Error(err)
			close(done)
			return
		}
		srv, err := server4.NewServer("peer0", &net.UDPAddr{IP: net.IPv4zero, Port: dhcpv4.ServerPort},
			func(conn net.PacketConn, _ net.Addr, m *dhcpv4.DHCPv4) {
				handleDHCPWith(conn, m, extra)
			})
		if err != nil {
			t.Errorf("start DHCP server: %v", err)
			close(done)
			return
		}
		done <- srv
	}()
	srv := <-done
	if srv == nil {
		t.FailNow()
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
}

// handleDHCPWith answers with the lease 10.99.0.50/24, and extra's options.
func handleDHCPWith(conn net.PacketConn, m *dhcpv4.DHCPv4, extra func(*dhcpv4.DHCPv4)) {
	var typ dhcpv4.MessageType
	switch m.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		typ = dhcpv4.MessageTypeOffer
	case dhcpv4.MessageTypeRequest:
		typ = dhcpv4.MessageTypeAck
	default:
		return
	}
	srv := net.IPv4(10, 99, 0, 1).To4()
	resp, err := dhcpv4.NewReplyFromRequest(m,
		dhcpv4.WithMessageType(typ),
		dhcpv4.WithYourIP(net.IPv4(10, 99, 0, 50)),
		dhcpv4.WithServerIP(srv),
		dhcpv4.WithNetmask(net.CIDRMask(24, 32)),
		dhcpv4.WithRouter(srv),
		dhcpv4.WithDNS(net.IPv4(10, 99, 0, 53)),
		dhcpv4.WithLeaseTime(3600),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(srv)),
	)
	if err != nil {
		return
	}
	if extra != nil {
		extra(resp)
	}
	conn.WriteTo(resp.ToBytes(), &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ClientPort})
}

func linkState(t *testing.T, name string) (up bool, addrs []string, gw string) {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	as, err := netlink.AddrList(l, unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		addrs = append(addrs, a.IPNet.String())
	}
	rs, err := netlink.RouteList(l, unix.AF_INET)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Dst == nil || r.Dst.String() == "0.0.0.0/0" {
			gw = r.Gw.String()
		}
	}
	return l.Attrs().Flags&net.FlagUp != 0, addrs, gw
}

func TestUpStatic(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	newLab(t, "enp0s3", nodeMAC)
	ifaces := []Interface{
		{Name: "eth0", MAC: nodeMAC, IP: "10.99.0.5", Mask: "255.255.255.0", Gateway: "10.99.0.1", OnBoot: true},
	}
	var log []string
	res, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second, Logf: func(f string, a ...any) {
		log = append(log, f)
	}})
	if err != nil {
		t.Fatal(err)
	}
	up, addrs, gw := linkState(t, "enp0s3")
	if !up || len(addrs) != 1 || addrs[0] != "10.99.0.5/24" || gw != "10.99.0.1" {
		t.Fatalf("enp0s3: up %v, addrs %v, gateway %q; want up, 10.99.0.5/24 via 10.99.0.1", up, addrs, gw)
	}
	if len(res.Configured) != 1 || res.Configured[0].Link != "enp0s3" || res.Configured[0].Via != "static" {
		t.Errorf("result %+v", res.Configured)
	}
	if lo, _ := netlink.LinkByName("lo"); lo.Attrs().Flags&net.FlagUp == 0 {
		t.Error("lo is not up")
	}
	// The peer answers: the address really works.
	conn, err := net.DialTimeout("udp", "10.99.0.1:9", time.Second)
	if err != nil {
		t.Fatalf("the configured address cannot reach the peer: %v", err)
	}
	conn.Close()
}

func TestUpDHCP(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	l := newLab(t, "enp0s3", nodeMAC)
	l.serveDHCP()
	ifaces := []Interface{{Name: "eth0", MAC: strings.ToLower(nodeMAC), IP: DHCP, OnBoot: true}}
	res, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second, DHCPTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	up, addrs, gw := linkState(t, "enp0s3")
	if !up || len(addrs) != 1 || addrs[0] != "10.99.0.50/24" || gw != "10.99.0.1" {
		t.Fatalf("enp0s3: up %v, addrs %v, gateway %q; want the lease 10.99.0.50/24 via 10.99.0.1", up, addrs, gw)
	}
	c := res.Configured[0]
	if c.Via != "dhcp" || len(c.DNS) != 1 || c.DNS[0] != netip.MustParseAddr("10.99.0.53") {
		t.Errorf("result %+v", c)
	}
}

func TestUpDHCPWithoutServerFails(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	newLab(t, "enp0s3", nodeMAC)
	ifaces := []Interface{{Name: "eth0", MAC: nodeMAC, IP: DHCP, OnBoot: true}}
	start := time.Now()
	_, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second, DHCPTries: 2, DHCPTimeout: 600 * time.Millisecond})
	if err == nil {
		t.Fatal("DHCP without a server succeeded")
	}
	for _, want := range []string{"eth0 (52:54:00:0a:01:71)", "no DHCP lease on enp0s3 after 2 tries", "static address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("gave up after %s; the timeouts were not kept", took)
	}
}

func TestUpOnBootNoAndMissingNIC(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	newLab(t, "enp0s3", nodeMAC)
	res, err := Up(context.Background(), []Interface{{Name: "eth0", MAC: nodeMAC, IP: "10.99.0.5", OnBoot: false}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if up, addrs, _ := linkState(t, "enp0s3"); up || len(addrs) != 0 {
		t.Errorf("onboot=no NIC: up %v, addrs %v; want down and bare", up, addrs)
	}
	if len(res.Configured) != 1 || res.Configured[0].Via != "down" {
		t.Errorf("result %+v", res.Configured)
	}
	_, err = Up(context.Background(), []Interface{{Name: "eth1", MAC: "52:54:00:ff:ff:ff", IP: "10.99.0.6", OnBoot: true}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "enp0s3 52:54:00:0a:01:71") || !strings.Contains(err.Error(), "check the NIC's MAC") {
		t.Fatalf("missing NIC: %v", err)
	}
}

// TestUpBond enslaves the NIC to a bond that carries the address; it needs a
// kernel with bonding.
func TestUpBond(t *testing.T) {
	if !nstest.InChild(t, unix.CLONE_NEWNET) {
		return
	}
	probe := netlink.NewLinkBond(netlink.LinkAttrs{Name: "probe0"})
	if err := netlink.LinkAdd(probe); err != nil {
		t.Skipf("this kernel cannot create bonds (%v); bonding is covered by the boot tests", err)
	}
	netlink.LinkDel(probe)
	newLab(t, "enp0s3", nodeMAC)
	ifaces := []Interface{
		{Name: "bond0", IP: "10.99.0.7", Mask: "24", OnBoot: true, BondOpts: `BONDING_OPTS="mode=active-backup miimon=100"`},
		{Name: "eth0", MAC: nodeMAC, Master: "bond0", OnBoot: true},
	}
	if _, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	bond, err := netlink.LinkByName("bond0")
	if err != nil {
		t.Fatal(err)
	}
	slave, _ := netlink.LinkByName("enp0s3")
	if slave.Attrs().MasterIndex != bond.Attrs().Index {
		t.Error("enp0s3 is not enslaved to bond0")
	}
	if _, addrs, _ := linkState(t, "bond0"); len(addrs) != 1 || addrs[0] != "10.99.0.7/24" {
		t.Errorf("bond0 addresses %v", addrs)
	}
}
