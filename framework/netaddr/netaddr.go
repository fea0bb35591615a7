// SPDX-License-Identifier: Apache-2.0

// Package netaddr parses the network values a node's configuration holds:
// MAC addresses, static IPv4 and IPv6 addresses with a netmask or prefix
// length, gateways and the address methods (dhcp, auto6). The cluster
// configuration's validation, `osr cluster nodes`, `osr pxe` and the init's
// network bring-up all use it, so what validation accepts the boot
// configures, with the same prefix.
//
// The package imports nothing else of osr.
package netaddr

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// The address methods an interface's ip may name instead of an address.
const (
	// DHCP asks a DHCPv4 server for the address.
	DHCP = "dhcp"
	// Auto6 takes an IPv6 address from the router advertisements (SLAAC).
	Auto6 = "auto6"
)

// Default prefix lengths for an address written without a netmask: a
// class C network for IPv4, as the originals' ifcfg files assumed, and the
// /64 every IPv6 subnet has.
const (
	DefaultIPv4Bits = 24
	DefaultIPv6Bits = 64
)

// ParseMAC parses an Ethernet hardware address in any case, with ':', '-'
// or '.' separators. It refuses what cannot identify one NIC: other lengths
// than six bytes, the zero address, the broadcast address and multicast
// addresses.
func ParseMAC(s string) (net.HardwareAddr, error) {
	hw, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil || len(hw) != 6 {
		return nil, fmt.Errorf("malformed MAC address %q: want six hex pairs such as 00:0C:29:3B:AA:BB", s)
	}
	switch {
	case hw.String() == "00:00:00:00:00:00":
		return nil, fmt.Errorf("MAC address %q is all zeros: no NIC has it; write the NIC's own address", s)
	case hw.String() == "ff:ff:ff:ff:ff:ff":
		return nil, fmt.Errorf("MAC address %q is the broadcast address: no NIC has it; write the NIC's own address", s)
	case hw[0]&1 != 0:
		return nil, fmt.Errorf("MAC address %q is a multicast address (the lowest bit of its first byte is set): no NIC has it; write the NIC's own address", s)
	}
	return hw, nil
}

// NormalizeMAC returns the canonical spelling of a MAC address: lower-case
// hex pairs separated by ':'.
func NormalizeMAC(s string) (string, error) {
	hw, err := ParseMAC(s)
	if err != nil {
		return "", err
	}
	return hw.String(), nil
}

// PXEName is the MAC as PXE boot loaders name per-machine files: "01-"
// (ARP type Ethernet) and lower-case hex pairs separated by '-'.
func PXEName(hw net.HardwareAddr) string {
	return "01-" + strings.ReplaceAll(hw.String(), ":", "-")
}

// IsMethod reports whether ip names an address method (dhcp, auto6) rather
// than an address, in any case.
func IsMethod(ip string) bool {
	switch strings.ToLower(strings.TrimSpace(ip)) {
	case DHCP, Auto6:
		return true
	}
	return false
}

// ParseAddr parses a static IPv4 or IPv6 address, optionally with a
// /prefix (which it drops). It refuses addresses no interface can be given:
// unspecified, multicast, loopback, and zoned ones (fe80::1%eth0).
func ParseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	text, _, _ := strings.Cut(s, "/")
	a, err := netip.ParseAddr(text)
	if err != nil {
		if strings.EqualFold(text, "dhcp6") {
			return netip.Addr{}, fmt.Errorf("ip %q: DHCPv6 is not supported; use auto6 (router advertisements) or a static IPv6 address", s)
		}
		return netip.Addr{}, fmt.Errorf("malformed IP address %q: want an IPv4 or IPv6 address such as 10.0.0.1 or fd00::1, or dhcp, or auto6", s)
	}
	switch {
	case a.Zone() != "":
		return netip.Addr{}, fmt.Errorf("IP address %q has a zone; write the address alone, the interface says where it goes", s)
	case a.IsUnspecified(), a.IsMulticast(), a.IsLoopback():
		return netip.Addr{}, fmt.Errorf("IP address %q cannot be an interface's address (unspecified, multicast or loopback)", s)
	}
	return a.Unmap(), nil
}

// ParseMask parses a netmask for an address of the family of a: a prefix
// length (24, 64), or for IPv4 a dotted mask (255.255.255.0). ok is false
// when mask is empty.
func ParseMask(mask string, a netip.Addr) (bits int, ok bool, err error) {
	m := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(mask), "/"))
	if m == "" {
		return 0, false, nil
	}
	if n, aerr := strconv.Atoi(m); aerr == nil {
		if n < 0 || n > a.BitLen() {
			return 0, false, fmt.Errorf("netmask /%d is out of range for %s (0-%d)", n, a, a.BitLen())
		}
		return n, true, nil
	}
	d, perr := netip.ParseAddr(m)
	if perr != nil || !d.Is4() {
		return 0, false, fmt.Errorf("malformed netmask %q: want a dotted mask such as 255.255.255.0 or a prefix length such as 24", mask)
	}
	if !a.Is4() {
		return 0, false, fmt.Errorf("netmask %q is dotted, but %s is an IPv6 address: give a prefix length such as 64", mask, a)
	}
	b := d.As4()
	ones, size := net.IPv4Mask(b[0], b[1], b[2], b[3]).Size()
	if size == 0 {
		return 0, false, fmt.Errorf("netmask %q has holes: want contiguous ones such as 255.255.255.0", mask)
	}
	return ones, true, nil
}

// ParsePrefix combines a static address and its netmask. The prefix comes
// from a /len on ip, else from mask, else DefaultIPv4Bits or
// DefaultIPv6Bits (defaulted reports that). A /len on ip that contradicts
// mask is an error.
func ParsePrefix(ip, mask string) (p netip.Prefix, defaulted bool, err error) {
	a, err := ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}, false, err
	}
	bits, has, err := ParseMask(mask, a)
	if err != nil {
		return netip.Prefix{}, false, err
	}
	if _, l, ok := strings.Cut(strings.TrimSpace(ip), "/"); ok {
		n, okl, lerr := ParseMask(l, a)
		if lerr != nil || !okl {
			if lerr == nil {
				lerr = fmt.Errorf("empty prefix length after /")
			}
			return netip.Prefix{}, false, fmt.Errorf("ip %q: %w", ip, lerr)
		}
		if has && n != bits {
			return netip.Prefix{}, false, fmt.Errorf("ip %q carries /%d but the netmask %q says /%d; give one of them", ip, n, mask, bits)
		}
		bits, has = n, true
	}
	if !has {
		defaulted = true
		bits = DefaultIPv4Bits
		if a.Is6() {
			bits = DefaultIPv6Bits
		}
	}
	return netip.PrefixFrom(a, bits), defaulted, nil
}

// ParseGateway parses a gateway; when forAddr is valid the gateway must be of
// its family.
func ParseGateway(s string, forAddr netip.Addr) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() {
		return netip.Addr{}, fmt.Errorf("malformed gateway %q: want an address such as 10.0.0.254 or fd00::1", s)
	}
	a = a.Unmap()
	if forAddr.IsValid() && a.Is4() != forAddr.Is4() {
		return netip.Addr{}, fmt.Errorf("gateway %s and address %s are of different IP versions", a, forAddr)
	}
	return a, nil
}
