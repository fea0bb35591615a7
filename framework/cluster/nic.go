// SPDX-License-Identifier: Apache-2.0

package cluster

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/open-sharedroot/osr/framework/netaddr"
)

// NormalizeMAC returns the canonical spelling of a hardware address (lower-case hex
// pairs separated by ':'), accepting any case and ':', '-' or '.' separators. The
// zero, broadcast and multicast addresses are refused: no NIC has them.
func NormalizeMAC(s string) (string, error) { return netaddr.NormalizeMAC(s) }

// HardwareAddr parses the NIC's MAC. It fails when the NIC has none or it is malformed.
func (c *NIC) HardwareAddr() (net.HardwareAddr, error) {
	if c.MAC == "" {
		return nil, fmt.Errorf("interface %s has no MAC address", c.Name)
	}
	hw, err := netaddr.ParseMAC(c.MAC)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", c.Name, err)
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
func (c *NIC) IsDHCP() bool { return strings.EqualFold(strings.TrimSpace(c.IP), netaddr.DHCP) }

// IsAuto6 reports whether the NIC takes an IPv6 address from router
// advertisements (ip="auto6", SLAAC).
func (c *NIC) IsAuto6() bool { return strings.EqualFold(strings.TrimSpace(c.IP), netaddr.Auto6) }

// Addr parses the NIC's static address, IPv4 or IPv6 (a /prefix written on it is
// dropped). ok is false when the NIC has none (or uses dhcp or auto6).
func (c *NIC) Addr() (addr netip.Addr, ok bool, err error) {
	ip := strings.TrimSpace(c.IP)
	if ip == "" || netaddr.IsMethod(ip) {
		return netip.Addr{}, false, nil
	}
	a, err := netaddr.ParseAddr(ip)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("interface %s: %w", c.Name, err)
	}
	return a, true, nil
}

// PrefixLen parses the NIC's netmask, written dotted (255.255.255.0) or as a prefix
// length (24, 64). ok is false when no mask is written.
func (c *NIC) PrefixLen() (bits int, ok bool, err error) {
	if strings.TrimSpace(c.Mask) == "" {
		return 0, false, nil
	}
	a, has, aerr := c.Addr()
	if aerr != nil || !has {
		a = netip.IPv6Unspecified() // a mask without an address: any prefix length up to 128 or a dotted mask
		if d, derr := netip.ParseAddr(strings.TrimSpace(c.Mask)); derr == nil && d.Is4() {
			a = netip.IPv4Unspecified()
		}
	}
	bits, ok, err = netaddr.ParseMask(c.Mask, a)
	if err != nil {
		return 0, false, fmt.Errorf("interface %s: %w", c.Name, err)
	}
	return bits, ok, nil
}

// Prefix combines the NIC's static address and netmask, exactly as the init sets
// them: without a mask an IPv4 address gets /24 and an IPv6 address /64
// (netaddr.ParsePrefix). ok is false when the NIC has no static address.
func (c *NIC) Prefix() (p netip.Prefix, ok bool, err error) {
	if _, has, err := c.Addr(); err != nil || !has {
		return netip.Prefix{}, false, err
	}
	p, _, err = netaddr.ParsePrefix(c.IP, c.Mask)
	if err != nil {
		return netip.Prefix{}, false, fmt.Errorf("interface %s: %w", c.Name, err)
	}
	return p, true, nil
}

// MaskDefaulted reports whether the NIC has a static address but no netmask, so
// that the default prefix length applies.
func (c *NIC) MaskDefaulted() bool {
	if _, has, err := c.Addr(); err != nil || !has {
		return false
	}
	_, d, err := netaddr.ParsePrefix(c.IP, c.Mask)
	return err == nil && d
}

// GatewayAddr parses the NIC's gateway, which must be of the static address's IP
// version. ok is false when none is written.
func (c *NIC) GatewayAddr() (addr netip.Addr, ok bool, err error) {
	g := strings.TrimSpace(c.Gateway)
	if g == "" {
		return netip.Addr{}, false, nil
	}
	own, _, _ := c.Addr()
	a, err := netaddr.ParseGateway(g, own)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("interface %s: %w", c.Name, err)
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

// IsBridge reports whether the NIC describes a bridge (type="Bridge", any case).
func (c *NIC) IsBridge() bool { return strings.EqualFold(strings.TrimSpace(c.Type), "bridge") }

// VLAN reports whether the NIC describes a VLAN and on which link: type="vlan", or a
// name PARENT.ID (eth0.100, bond0.7), or the ifcfg properties PHYSDEV and VLAN_ID.
// The properties win over the name. err says why a VLAN's id is unusable.
func (c *NIC) VLAN() (parent string, id int, ok bool, err error) {
	name := strings.TrimSpace(c.Name)
	if p, idText, found := strings.Cut(name, "."); found && p != "" {
		if n, aerr := strconv.Atoi(idText); aerr == nil {
			parent, id, ok = p, n, true
		}
	}
	if v, has := c.Property("PHYSDEV"); has && strings.TrimSpace(v) != "" {
		parent, ok = strings.TrimSpace(v), true
	}
	if v, has := c.Property("VLAN_ID"); has {
		n, aerr := strconv.Atoi(strings.TrimSpace(v))
		if aerr != nil {
			return parent, 0, true, fmt.Errorf("interface %s: VLAN_ID %q is not a number", c.Name, v)
		}
		id, ok = n, true
	}
	if strings.EqualFold(strings.TrimSpace(c.Type), "vlan") {
		ok = true
	}
	if !ok {
		return "", 0, false, nil
	}
	switch {
	case parent == "":
		return "", id, true, fmt.Errorf("interface %s is a VLAN without a link to run on; name it PARENT.ID (eth0.100) or give the property PHYSDEV", c.Name)
	case id < 1 || id > 4094:
		return parent, id, true, fmt.Errorf("interface %s: VLAN id %d is out of range (1-4094)", c.Name, id)
	}
	return parent, id, true, nil
}
