// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// NormalizeMAC returns the canonical spelling of a hardware address (lower-case hex
// pairs separated by ':'), accepting any case and ':', '-' or '.' separators.
func NormalizeMAC(s string) (string, error) {
	hw, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("malformed MAC address %q: want six hex pairs such as 00:0C:29:3B:AA:BB", s)
	}
	return hw.String(), nil
}

// HardwareAddr parses the NIC's MAC. It fails when the NIC has none or it is malformed.
func (c *NIC) HardwareAddr() (net.HardwareAddr, error) {
	if c.MAC == "" {
		return nil, fmt.Errorf("interface %s has no MAC address", c.Name)
	}
	hw, err := net.ParseMAC(strings.TrimSpace(c.MAC))
	if err != nil {
		return nil, fmt.Errorf("interface %s: malformed MAC address %q: want six hex pairs such as 00:0C:29:3B:AA:BB", c.Name, c.MAC)
	}
	return hw, nil
}

// HasMAC reports whether the NIC's MAC equals mac, in any case and with ':' or '-'.
func (c *NIC) HasMAC(mac string) bool {
	if c.MAC == "" {
		return false
	}
	a, err := NormalizeMAC(c.MAC)
	if err != nil {
		return strings.EqualFold(c.MAC, mac)
	}
	b, err := NormalizeMAC(mac)
	return err == nil && a == b
}

// IsDHCP reports whether the NIC gets its address by DHCP (ip="dhcp").
func (c *NIC) IsDHCP() bool { return strings.EqualFold(strings.TrimSpace(c.IP), "dhcp") }

// Addr parses the NIC's static address. ok is false when the NIC has none (or uses DHCP).
func (c *NIC) Addr() (addr netip.Addr, ok bool, err error) {
	ip := strings.TrimSpace(c.IP)
	if ip == "" || c.IsDHCP() {
		return netip.Addr{}, false, nil
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("interface %s: malformed IP address %q: want an address such as 10.0.0.1, or dhcp", c.Name, c.IP)
	}
	return a, true, nil
}

// PrefixLen parses the NIC's netmask, written dotted (255.255.255.0) or as a prefix
// length (24). ok is false when no mask is written.
func (c *NIC) PrefixLen() (bits int, ok bool, err error) {
	m := strings.TrimSpace(c.Mask)
	if m == "" {
		return 0, false, nil
	}
	if n, aerr := strconv.Atoi(m); aerr == nil {
		if n < 0 || n > 128 {
			return 0, false, fmt.Errorf("interface %s: netmask /%d is out of range", c.Name, n)
		}
		return n, true, nil
	}
	a, perr := netip.ParseAddr(m)
	if perr != nil || !a.Is4() {
		return 0, false, fmt.Errorf("interface %s: malformed netmask %q: want a dotted mask such as 255.255.255.0 or a prefix length", c.Name, c.Mask)
	}
	b := a.As4()
	ones, bits := net.IPv4Mask(b[0], b[1], b[2], b[3]).Size()
	if bits == 0 {
		return 0, false, fmt.Errorf("interface %s: netmask %q is not contiguous", c.Name, c.Mask)
	}
	return ones, true, nil
}

// Prefix combines the NIC's static address and netmask. Without a mask the address
// stands alone (/32, /128). ok is false when the NIC has no static address.
func (c *NIC) Prefix() (p netip.Prefix, ok bool, err error) {
	a, ok, err := c.Addr()
	if err != nil || !ok {
		return netip.Prefix{}, false, err
	}
	bits, has, err := c.PrefixLen()
	if err != nil {
		return netip.Prefix{}, false, err
	}
	if !has {
		bits = a.BitLen()
	}
	if bits > a.BitLen() {
		return netip.Prefix{}, false, fmt.Errorf("interface %s: netmask /%d is too long for %s", c.Name, bits, a)
	}
	return netip.PrefixFrom(a, bits), true, nil
}

// GatewayAddr parses the NIC's gateway. ok is false when none is written.
func (c *NIC) GatewayAddr() (addr netip.Addr, ok bool, err error) {
	g := strings.TrimSpace(c.Gateway)
	if g == "" {
		return netip.Addr{}, false, nil
	}
	a, err := netip.ParseAddr(g)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("interface %s: malformed gateway %q: want an address such as 10.0.0.254", c.Name, c.Gateway)
	}
	return a, true, nil
}

// IsOnBoot reports whether the init brings the NIC up; only onboot="no" keeps it down.
func (c *NIC) IsOnBoot() bool { return !isNo(c.OnBoot) }

// IsSlave reports whether the NIC is a bond slave (slave="yes", or a master is named).
func (c *NIC) IsSlave() bool { return isYes(c.Slave) || (c.Master != "" && !isNo(c.Slave)) }

// Property returns the value of the named property and whether it is set.
func (c *NIC) Property(name string) (string, bool) {
	for _, p := range c.Properties {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// BondingOpts returns the bonding options of a bond interface (the BONDING_OPTS
// property without its quoting and an eventual BONDING_OPTS= prefix).
func (c *NIC) BondingOpts() string {
	v, ok := c.Property("BONDING_OPTS")
	if !ok {
		return ""
	}
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "BONDING_OPTS=")
	return strings.Trim(v, `"'`)
}

func isYes(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1", "on":
		return true
	}
	return false
}

func isNo(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "no", "n", "false", "0", "off":
		return true
	}
	return false
}
