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
)

// Up brings up the interfaces: loopback first, then physical NICs (slaves
// enslaved to their bonds), then bonds; addresses static or by DHCP; the
// default route through a gateway. NICs with OnBoot false stay down. Every
// error names the interface, what was tried and what to check.
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
	order := ordered(ifaces)
	for _, f := range order {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("network bring-up took longer than %s: stopped before %s", o.Timeout, f)
		}
		if !f.OnBoot && !isBond(f, ifaces) {
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
		if links, err = netlink.LinkList(); err != nil { // bonds may have been added
			return res, fmt.Errorf("list network links: %w", err)
		}
	}
	return res, nil
}

// ordered puts slaves and plain NICs first, then bonds, keeping the
// configuration's order otherwise.
func ordered(ifaces []Interface) []Interface {
	out := append([]Interface(nil), ifaces...)
	sort.SliceStable(out, func(a, b int) bool {
		return !isBond(out[a], ifaces) && isBond(out[b], ifaces)
	})
	return out
}

// isBond reports whether f is a bond: another interface names it as master.
func isBond(f Interface, all []Interface) bool {
	if f.Name == "" {
		return false
	}
	for _, g := range all {
		if g.Master == f.Name {
			return true
		}
	}
	return strings.HasPrefix(f.Name, "bond") && f.MAC == ""
}

// findLink finds f's link: by MAC when it has one (any case), else by name.
func findLink(links []netlink.Link, f Interface) netlink.Link {
	for _, l := range links {
		a := l.Attrs()
		if f.MAC != "" {
			// A bond, bridge or VLAN carries its NIC's MAC too: the NIC is
			// the physical link.
			switch l.Type() {
			case "bond", "bridge", "vlan":
				continue
			}
			if strings.EqualFold(a.HardwareAddr.String(), f.MAC) {
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

func seenLinks(links []netlink.Link) string {
	var out []string
	for _, l := range links {
		a := l.Attrs()
		if a.Name == "lo" {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s", a.Name, a.HardwareAddr))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func upOne(ctx context.Context, f Interface, all []Interface, links []netlink.Link, o Options) (Configured, error) {
	c := Configured{Interface: f}
	l := findLink(links, f)
	if l == nil && isBond(f, all) {
		var err error
		if l, err = createBond(f, o); err != nil {
			return c, err
		}
	}
	if l == nil {
		return c, fmt.Errorf("%s: no such network link (links present: %s); check the NIC's MAC in the cluster configuration or whether its driver is loaded", f, seenLinks(links))
	}
	name := l.Attrs().Name
	c.Link = name
	if f.MTU > 0 {
		if err := netlink.LinkSetMTU(l, f.MTU); err != nil {
			return c, fmt.Errorf("%s: set MTU %d on %s: %w", f, f.MTU, name, err)
		}
	}
	if f.Master != "" {
		return enslave(f, l, links, all, o)
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
	case f.IP == DHCP:
		if !carrier {
			return c, fmt.Errorf("%s: no carrier on %s after %s, so DHCP cannot work; check the cable or switch port, or set a static address", f, name, o.CarrierWait)
		}
		return dhcpUp(ctx, f, l, o)
	}
	p, err := f.Prefix()
	if err != nil {
		return c, fmt.Errorf("%w; fix the NIC's ip and mask in the cluster configuration or pass ip=", err)
	}
	if err := setAddr(l, p); err != nil {
		return c, fmt.Errorf("%s: add %s to %s: %w", f, p, name, err)
	}
	c.Addr, c.Via = p, "static"
	if f.Gateway != "" {
		gw, err := netip.ParseAddr(f.Gateway)
		if err != nil || !gw.Is4() {
			return c, fmt.Errorf("%s: gateway %q is not an IPv4 address; fix it in the cluster configuration", f, f.Gateway)
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

func setAddr(l netlink.Link, p netip.Prefix) error {
	return netlink.AddrReplace(l, &netlink.Addr{IPNet: &net.IPNet{
		IP:   net.IP(p.Addr().AsSlice()),
		Mask: net.CIDRMask(p.Bits(), 32),
	}})
}

func setGateway(l netlink.Link, gw netip.Addr) error {
	return netlink.RouteReplace(&netlink.Route{
		LinkIndex: l.Attrs().Index,
		Dst:       &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)},
		Gw:        net.IP(gw.AsSlice()),
	})
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
