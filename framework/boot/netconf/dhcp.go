// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netlink"
)

// dhcpUp asks for a lease on l, retrying, and sets the address and the
// default route it brings.
func dhcpUp(ctx context.Context, f Interface, l netlink.Link, o Options) (Configured, error) {
	name := l.Attrs().Name
	c := Configured{Interface: f, Link: name, Via: "dhcp"}
	var tried []string
	for try := 1; try <= o.DHCPTries; try++ {
		if ctx.Err() != nil {
			break
		}
		lease, err := dhcpOnce(ctx, name, l.Attrs().HardwareAddr, o.DHCPTimeout)
		if err != nil {
			tried = append(tried, fmt.Sprintf("try %d: %v", try, err))
			o.Logf("%s: DHCP on %s, try %d of %d: %v", f, name, try, o.DHCPTries, err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(try) * 500 * time.Millisecond):
			}
			continue
		}
		ack := lease.ACK
		addr, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
		if !ok || addr.IsUnspecified() {
			return c, fmt.Errorf("%s: the DHCP server on %s gave no address", f, name)
		}
		bits := 24
		if m := ack.SubnetMask(); m != nil {
			bits, _ = m.Size()
		}
		p := netip.PrefixFrom(addr, bits)
		if err := setAddr(l, p); err != nil {
			return c, fmt.Errorf("%s: add DHCP address %s to %s: %w", f, p, name, err)
		}
		c.Addr = p
		if err := dhcpRoutes(&c, ack, l); err != nil {
			return c, fmt.Errorf("%s: routes from DHCP on %s: %w", f, name, err)
		}
		for _, d := range ack.DNS() {
			if a, ok := netip.AddrFromSlice(d.To4()); ok {
				c.DNS = append(c.DNS, a)
			}
		}
		c.RootPath = ack.RootPath()
		c.Lease = ack.IPAddressLeaseTime(0)
		if sid, ok := netip.AddrFromSlice(ack.ServerIdentifier().To4()); ok {
			c.Server = sid
		}
		c.Hostname = ack.HostName()
		o.Logf("%s: %s has %s from DHCP server %s%s%s%s", f, name, p, ack.ServerIdentifier(), gwText(c.Gateway), routesText(c.Routes), rootPathText(c.RootPath))
		return c, nil
	}
	return c, fmt.Errorf("%s: no DHCP lease on %s after %d tries (%s); check that a DHCP server answers on that network, or give a static address (ip= or the cluster configuration)",
		f, name, len(tried), strings.Join(tried, "; "))
}

// dhcpOnce asks for a lease on ifname, identifying the client by its MAC
// (client identifier 01:<mac>, as systemd-networkd's ClientIdentifier=mac
// and NetworkManager's dhcp-client-id=mac do), so the running system that
// renews the lease gets the same address.
func dhcpOnce(ctx context.Context, ifname string, hw net.HardwareAddr, timeout time.Duration) (*nclient4.Lease, error) {
	useXIDReader()
	cl, err := nclient4.New(ifname, nclient4.WithTimeout(timeout/3), nclient4.WithRetry(3))
	if err != nil {
		return nil, fmt.Errorf("open DHCP client: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	mods := []dhcpv4.Modifier{dhcpv4.WithOption(dhcpv4.OptClassIdentifier("osr"))}
	if len(hw) > 0 {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptClientIdentifier(append([]byte{1}, hw...))))
	}
	return cl.Request(ctx, append(mods,
		dhcpv4.WithRequestedOptions(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer,
			dhcpv4.OptionHostName, dhcpv4.OptionRootPath, dhcpv4.OptionClasslessStaticRoute, dhcpv4.OptionIPAddressLeaseTime))...)
}

// dhcpRoutes sets the routes a lease brings: its classless static routes
// (option 121) when it has them, which replace the router option as RFC
// 3442 says, else a default route through its first router (option 3).
func dhcpRoutes(c *Configured, ack *dhcpv4.DHCPv4, l netlink.Link) error {
	if routes := ack.ClasslessStaticRoute(); len(routes) > 0 {
		for _, r := range routes {
			if r.Dest == nil {
				continue
			}
			dst, ok := netip.AddrFromSlice(r.Dest.IP.To4())
			ones, _ := r.Dest.Mask.Size()
			gw, _ := netip.AddrFromSlice(r.Router.To4())
			if !ok {
				continue
			}
			rt := Route{Dst: netip.PrefixFrom(dst, ones).Masked(), Gw: gw}
			if err := setRoute(l, rt); err != nil {
				return fmt.Errorf("route %s via %s (option 121): %w", rt.Dst, rt.Gw, err)
			}
			if rt.Dst.Bits() == 0 {
				c.Gateway = gw
				continue
			}
			c.Routes = append(c.Routes, rt)
		}
		return nil
	}
	if rs := ack.Router(); len(rs) > 0 {
		if gw, ok := netip.AddrFromSlice(rs[0].To4()); ok {
			if err := setGateway(l, gw); err != nil {
				return fmt.Errorf("default route via %s: %w", gw, err)
			}
			c.Gateway = gw
		}
	}
	return nil
}

func routesText(rs []Route) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, ", route %s via %s", r.Dst, r.Gw)
	}
	return b.String()
}

func rootPathText(p string) string {
	if p == "" {
		return ""
	}
	return ", root path " + p
}
