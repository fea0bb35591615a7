// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// procSysIPv6 is where the kernel's IPv6 settings live.
var procSysIPv6 = "/proc/sys/net/ipv6/conf"

// enableIPv6 makes sure the link takes IPv6: the ipv6 module loaded,
// disable_ipv6 off, and with slaac router advertisements accepted and
// addresses made from them.
func enableIPv6(ctx context.Context, link string, slaac bool, o Options) error {
	dir := filepath.Join(procSysIPv6, link)
	if _, err := os.Stat(dir); err != nil {
		loadModule(ctx, o, "ipv6")
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("IPv6 on %s: %s is missing: the kernel has no IPv6 (the ipv6 module is needed in the image)", link, dir)
		}
	}
	set := map[string]string{"disable_ipv6": "0"}
	if slaac {
		set["accept_ra"] = "2" // even when forwarding is on
		set["autoconf"] = "1"
	}
	for k, v := range set {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			return fmt.Errorf("IPv6 on %s: set %s=%s: %w", link, k, v, err)
		}
	}
	return nil
}

// slaacUp waits for an IPv6 address the kernel made from a router
// advertisement (SLAAC), and the default route the router offered.
func slaacUp(ctx context.Context, f Interface, l netlink.Link, o Options) (Configured, error) {
	name := l.Attrs().Name
	c := Configured{Interface: f, Link: name, Via: "auto6"}
	if err := enableIPv6(ctx, name, true, o); err != nil {
		return c, fmt.Errorf("%s: %w", f, err)
	}
	// Down and up again: a link that was up before accept_ra was set sends
	// a router solicitation now.
	if err := netlink.LinkSetDown(l); err == nil {
		if err := netlink.LinkSetUp(l); err != nil {
			return c, fmt.Errorf("%s: bring up %s: %w", f, name, err)
		}
	}
	deadline := time.Now().Add(o.SLAACWait)
	for {
		if p, ok := globalIPv6(l); ok {
			c.Addr = p
			if gw, ok := defaultRoute6(l); ok {
				c.Gateway = gw
			}
			o.Logf("%s: %s has %s from a router advertisement%s", f, name, p, gwText(c.Gateway))
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return c, fmt.Errorf("%s: no IPv6 address from a router advertisement on %s after %s; check that a router (radvd, dnsmasq enable-ra) advertises a prefix with autonomous configuration on that network, or give a static IPv6 address", f, name, o.SLAACWait)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// globalIPv6 returns a usable global IPv6 address of l: not link-local and
// no longer tentative.
func globalIPv6(l netlink.Link) (netip.Prefix, bool) {
	as, err := netlink.AddrList(l, unix.AF_INET6)
	if err != nil {
		return netip.Prefix{}, false
	}
	for _, a := range as {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || ip.IsLinkLocalUnicast() || a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) != 0 {
			continue
		}
		ones, _ := a.Mask.Size()
		return netip.PrefixFrom(ip, ones), true
	}
	return netip.Prefix{}, false
}

// defaultRoute6 returns the IPv6 default router of l, if the kernel has one.
func defaultRoute6(l netlink.Link) (netip.Addr, bool) {
	rs, err := netlink.RouteList(l, unix.AF_INET6)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, r := range rs {
		if (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.Gw != nil {
			gw, ok := netip.AddrFromSlice(r.Gw)
			return gw, ok
		}
	}
	return netip.Addr{}, false
}
