// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/netaddr"
)

// Up brings up the interfaces: loopback first, then physical NICs (slaves
// enslaved to their bonds), then bonds, VLANs and bridges; addresses static
// (IPv4, IPv6), by DHCP or by router advertisements; the default route
// through a gateway. NICs with OnBoot false stay down. Every error names the
// interface, what was tried and what to check.
func Up(ctx context.Context, ifaces []Interface, o Options) (Result, error) {
	o.defaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var res Result
	if lo, err := netlink.LinkByName("lo"); err == nil {
		if err := netlink.LinkSetUp(lo); err != nil {
			return res, fmt.Errorf("bring up lo: %w", err)
		}
	}
	links, err := netlink.LinkList()
	if err != nil {
		return res, fmt.Errorf("list network links: %w", err)
	}
	ifaces = withBridges(ifaces)
	for _, f := range ordered(ifaces) {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("network bring-up took longer than %s: stopped before %s", o.Timeout, f)
		}
		if !f.OnBoot && kindOf(f, ifaces) == "" {
			if l := findLink(links, f); l != nil {
				res.Configured = append(res.Configured, Configured{Interface: f, Link: l.Attrs().Name, Via: "down"})
				o.Logf("%s: onboot=no, left down (it only identifies the node)", f)
			}
			continue
		}
		c, err := upOne(ctx, f, ifaces, links, o)
		if err != nil {
			return res, err
		}
		res.Configured = append(res.Configured, c)
		if links, err = netlink.LinkList(); err != nil { // virtual links may have been added
			return res, fmt.Errorf("list network links: %w", err)
		}
	}
	return res, nil
}

// withBridges adds the bridges that ports name but the configuration does
// not describe: such a bridge takes its port's address, gateway and onboot,
// as the originals' bridge scripts moved a NIC's address to its bridge.
func withBridges(ifaces []Interface) []Interface {
	out := append([]Interface(nil), ifaces...)
	for i, f := range out {
		if f.Bridge == "" {
			continue
		}
		if _, ok := configured(out, f.Bridge); ok {
			continue
		}
		out = append(out, Interface{Name: f.Bridge, Kind: KindBridge, IP: f.IP, Mask: f.Mask, Gateway: f.Gateway, OnBoot: f.OnBoot, MTU: f.MTU})
		out[i].IP, out[i].Mask, out[i].Gateway = "", "", ""
	}
	return out
}

// ordered puts NICs (bond slaves, bridge ports) first, then bonds, VLANs and
// bridges, keeping the configuration's order otherwise.
func ordered(ifaces []Interface) []Interface {
	rank := map[string]int{"": 0, KindBond: 1, KindVLAN: 2, KindBridge: 3}
	out := append([]Interface(nil), ifaces...)
	sort.SliceStable(out, func(a, b int) bool {
		return rank[kindOf(out[a], ifaces)] < rank[kindOf(out[b], ifaces)]
	})
	return out
}

// kindOf says which virtual link f is ("" for a NIC): its Kind, a bond when
// another interface names it as master (or, without a MAC, when it is named
// bond*), a bridge when another names it as its bridge, a VLAN when it has
// a parent.
func kindOf(f Interface, all []Interface) string {
	if f.Kind != "" {
		return f.Kind
	}
	if f.VLANParent != "" {
		return KindVLAN
	}
	if f.Name == "" {
		return ""
	}
	for _, g := range all {
		switch f.Name {
		case g.Master:
			return KindBond
		case g.Bridge:
			return KindBridge
		}
	}
	if strings.HasPrefix(f.Name, "bond") && f.MAC == "" {
		return KindBond
	}
	return ""
}

// findLink finds f's link: by MAC when it has one (any case), else by name.
// A NIC's MAC finds the physical link, never a bond, bridge or VLAN that
// carries the same MAC, and it is the NIC's own MAC (ownMAC): a bond's
// slaves may all carry the bond's.
func findLink(links []netlink.Link, f Interface) netlink.Link {
	for _, l := range links {
		a := l.Attrs()
		if f.MAC != "" {
			switch l.Type() {
			case "bond", "bridge", "vlan":
				continue
			}
			if strings.EqualFold(ownMAC(l).String(), f.MAC) {
				return l
			}
			continue
		}
		if a.Name == f.Name {
			return l
		}
	}
	return nil
}

// ownMAC is the link's own MAC: the permanent one when the kernel knows
// it, else the one the bond it is a slave of keeps for it, else the
// current one.
func ownMAC(l netlink.Link) net.HardwareAddr {
	a := l.Attrs()
	if len(a.PermHWAddr) > 0 {
		return a.PermHWAddr
	}
	if s, ok := a.Slave.(*netlink.BondSlave); ok && len(s.PermHardwareAddr) > 0 {
		return s.PermHardwareAddr
	}
	return a.HardwareAddr
}

// findNamed finds a link by its kernel name.
func findNamed(links []netlink.Link, name string) netlink.Link {
	for _, l := range links {
		if l.Attrs().Name == name {
			return l
		}
	}
	return nil
}

// configured returns the interface of all named name.
func configured(all []Interface, name string) (Interface, bool) {
	for _, g := range all {
		if g.Name == name {
			return g, true
		}
	}
	return Interface{}, false
}

func seenLinks(links []netlink.Link) string {
	var out []string
	for _, l := range links {
		a := l.Attrs()
		if a.Name == "lo" {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s", a.Name, ownMAC(l)))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// linkFor finds or creates f's link.
func linkFor(ctx context.Context, f Interface, all []Interface, links []netlink.Link, o Options) (netlink.Link, error) {
	switch kindOf(f, all) {
	case KindBond:
		if l := findNamed(links, f.Name); l != nil && !idleBond(l, links) {
			return l, nil
		}
		return createBond(ctx, f, o)
	case KindVLAN:
		if l := findNamed(links, f.Name); l != nil {
			return l, nil
		}
		return createVLAN(ctx, f, all, links, o)
	case KindBridge:
		if l := findNamed(links, f.Name); l != nil {
			return l, nil
		}
		return createBridge(ctx, f.Name, o)
	}
	if l := findLink(links, f); l != nil {
		return l, nil
	}
	return nil, fmt.Errorf("%s: no such network link (links present: %s); check the NIC's MAC in the cluster configuration or whether its driver is loaded", f, seenLinks(links))
}

func upOne(ctx context.Context, f Interface, all []Interface, links []netlink.Link, o Options) (Configured, error) {
	c := Configured{Interface: f}
	l, err := linkFor(ctx, f, all, links, o)
	if err != nil {
		return c, err
	}
	name := l.Attrs().Name
	c.Link = name
	if f.MTU > 0 {
		if err := netlink.LinkSetMTU(l, f.MTU); err != nil {
			return c, fmt.Errorf("%s: set MTU %d on %s: %w", f, f.MTU, name, err)
		}
	}
	if f.Master != "" {
		return enslave(ctx, f, l, links, all, o)
	}
	if f.Bridge != "" {
		return joinBridge(ctx, f, l, links, o)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return c, fmt.Errorf("%s: bring up %s: %w", f, name, err)
	}
	carrier := waitCarrier(ctx, name, o.CarrierWait)
	if !carrier {
		o.Logf("%s: no carrier on %s after %s", f, name, o.CarrierWait)
	}
	switch {
	case f.IP == "":
		c.Via = "link"
		o.Logf("%s: %s up, no address configured", f, name)
		return c, nil
	case strings.EqualFold(f.IP, DHCP):
		if !carrier {
			return c, fmt.Errorf("%s: no carrier on %s after %s, so DHCP cannot work; check the cable or switch port, or set a static address", f, name, o.CarrierWait)
		}
		return dhcpUp(ctx, f, l, o)
	case strings.EqualFold(f.IP, Auto6):
		return slaacUp(ctx, f, l, o)
	}
	p, err := f.Prefix()
	if err != nil {
		return c, fmt.Errorf("%w; fix the NIC's ip and mask in the cluster configuration or pass ip=", err)
	}
	if p.Addr().Is6() {
		if err := enableIPv6(ctx, name, false, o); err != nil {
			return c, fmt.Errorf("%s: %w", f, err)
		}
	}
	if err := setAddr(l, p); err != nil {
		return c, fmt.Errorf("%s: add %s to %s: %w", f, p, name, err)
	}
	c.Addr, c.Via = p, "static"
	if f.Gateway != "" {
		gw, err := netaddr.ParseGateway(f.Gateway, p.Addr())
		if err != nil {
			return c, fmt.Errorf("%s: %w; fix it in the cluster configuration", f, err)
		}
		if err := setGateway(l, gw); err != nil {
			return c, fmt.Errorf("%s: default route via %s on %s: %w", f, gw, name, err)
		}
		c.Gateway = gw
	}
	o.Logf("%s: %s has %s%s", f, name, p, gwText(c.Gateway))
	return c, nil
}

func gwText(gw netip.Addr) string {
	if !gw.IsValid() {
		return ""
	}
	return ", gateway " + gw.String()
}

// setAddr sets the address p on l. An IPv6 address skips duplicate address
// detection: the configuration gave it to this node alone, and a tentative
// address could not mount the root for a second or more.
func setAddr(l netlink.Link, p netip.Prefix) error {
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   net.IP(p.Addr().AsSlice()),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	return netlink.AddrReplace(l, a)
}

// setGateway sets the default route of gw's IP version through l.
func setGateway(l netlink.Link, gw netip.Addr) error {
	return setRoute(l, Route{Dst: netip.PrefixFrom(unspecified(gw), 0), Gw: gw})
}

func setRoute(l netlink.Link, r Route) error {
	rt := &netlink.Route{
		LinkIndex: l.Attrs().Index,
		Dst:       &net.IPNet{IP: net.IP(r.Dst.Masked().Addr().AsSlice()), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
	}
	if r.Gw.IsValid() && !r.Gw.IsUnspecified() {
		rt.Gw = net.IP(r.Gw.AsSlice())
	} else {
		rt.Scope = netlink.SCOPE_LINK
	}
	return netlink.RouteReplace(rt)
}

func unspecified(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// waitCarrier waits until the link reports a carrier (IFF_LOWER_UP).
func waitCarrier(ctx context.Context, name string, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		if l, err := netlink.LinkByName(name); err == nil && l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}
