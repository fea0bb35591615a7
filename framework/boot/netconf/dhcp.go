// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"fmt"
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
		lease, err := dhcpOnce(ctx, name, o.DHCPTimeout)
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
		if rs := ack.Router(); len(rs) > 0 {
			if gw, ok := netip.AddrFromSlice(rs[0].To4()); ok {
				if err := setGateway(l, gw); err != nil {
					return c, fmt.Errorf("%s: default route via %s from DHCP on %s: %w", f, gw, name, err)
				}
				c.Gateway = gw
			}
		}
		for _, d := range ack.DNS() {
			if a, ok := netip.AddrFromSlice(d.To4()); ok {
				c.DNS = append(c.DNS, a)
			}
		}
		c.Hostname = ack.HostName()
		o.Logf("%s: %s has %s from DHCP server %s%s", f, name, p, ack.ServerIdentifier(), gwText(c.Gateway))
		return c, nil
	}
	return c, fmt.Errorf("%s: no DHCP lease on %s after %d tries (%s); check that a DHCP server answers on that network, or give a static address (ip= or the cluster configuration)",
		f, name, len(tried), strings.Join(tried, "; "))
}

func dhcpOnce(ctx context.Context, ifname string, timeout time.Duration) (*nclient4.Lease, error) {
	cl, err := nclient4.New(ifname, nclient4.WithTimeout(timeout/3), nclient4.WithRetry(3))
	if err != nil {
		return nil, fmt.Errorf("open DHCP client: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return cl.Request(ctx, dhcpv4.WithOption(dhcpv4.OptClassIdentifier("osr")))
}
