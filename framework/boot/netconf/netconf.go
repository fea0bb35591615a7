// SPDX-License-Identifier: Apache-2.0

// Package netconf brings up a node's network in the initrd from its NIC
// descriptions (the cluster configuration's com_info/eth entries): links
// found by MAC whatever their kernel name, static IPv4 addresses with mask
// and gateway, DHCP, bonds with their slaves, and NICs marked onboot=no left
// down (they only identify the node). The kernel's ip= parameter can
// override the configuration (see Override).
//
// Usage:
//
//	ifaces := netconf.Override(node.NICs, params.IP, seen)
//	res, err := netconf.Up(ctx, ifaces, netconf.Options{Logf: log.Printf})
package netconf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// DHCP is the Interface.IP value that asks for DHCP.
const DHCP = "dhcp"

// Interface describes one network interface of a node.
type Interface struct {
	// Name is the configured name (eth0, bond0). A NIC with a MAC is found
	// by its MAC; the name then only labels it.
	Name string
	// MAC is the hardware address, in any case.
	MAC string
	// IP is "" (no address), DHCP, or an IPv4 address, with or without a
	// /prefix.
	IP string
	// Mask is the netmask, dotted (255.255.255.0) or a prefix length (24),
	// when IP has no /prefix.
	Mask string
	// Gateway is the default gateway reached through this interface.
	Gateway string
	// Master names the bond this NIC is a slave of.
	Master string
	// OnBoot false leaves the NIC down: it only identifies the node.
	OnBoot bool
	// BondOpts are the bond's options ("mode=1 miimon=100"), for a bond.
	BondOpts string
	// MTU, when not 0, is set on the link.
	MTU int
}

// String describes the interface for messages, e.g. "eth0 (52:54:00:00:01:71)".
func (i Interface) String() string {
	switch {
	case i.Name != "" && i.MAC != "":
		return i.Name + " (" + strings.ToLower(i.MAC) + ")"
	case i.MAC != "":
		return strings.ToLower(i.MAC)
	}
	return i.Name
}

// Prefix returns the interface's static address with its prefix length.
func (i Interface) Prefix() (netip.Prefix, error) {
	if i.IP == "" || i.IP == DHCP {
		return netip.Prefix{}, fmt.Errorf("%s has no static address", i)
	}
	if p, err := netip.ParsePrefix(i.IP); err == nil {
		if !p.Addr().Is4() {
			return netip.Prefix{}, fmt.Errorf("%s: %s is not an IPv4 address", i, i.IP)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(i.IP)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, fmt.Errorf("%s: ip %q is not an IPv4 address", i, i.IP)
	}
	bits, err := maskBits(i.Mask)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %w", i, err)
	}
	return netip.PrefixFrom(a, bits), nil
}

// maskBits turns "255.255.255.0", "24" or "" (a default of 24, as the
// originals' ifcfg files assumed a class C net) into a prefix length.
func maskBits(mask string) (int, error) {
	if mask == "" {
		return 24, nil
	}
	if n, err := strconv.Atoi(mask); err == nil {
		if n < 0 || n > 32 {
			return 0, fmt.Errorf("netmask %q: prefix length out of range", mask)
		}
		return n, nil
	}
	a, err := netip.ParseAddr(mask)
	if err != nil || !a.Is4() {
		return 0, fmt.Errorf("netmask %q is neither dotted (255.255.255.0) nor a prefix length (24)", mask)
	}
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return 0, fmt.Errorf("netmask %q has holes", mask)
	}
	return n, nil
}

// Options tune Up.
type Options struct {
	// Timeout bounds the whole bring-up; 0 means 90 s.
	Timeout time.Duration
	// CarrierWait is how long to wait for a link's carrier; 0 means 15 s.
	CarrierWait time.Duration
	// DHCPTries is how many times DHCP is tried on an interface; 0 means 4.
	DHCPTries int
	// DHCPTimeout bounds one DHCP exchange (each message is retried by the
	// client within it); 0 means 10 s.
	DHCPTimeout time.Duration
	// Logf hears of every action.
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	if o.Timeout == 0 {
		o.Timeout = 90 * time.Second
	}
	if o.CarrierWait == 0 {
		o.CarrierWait = 15 * time.Second
	}
	if o.DHCPTries == 0 {
		o.DHCPTries = 4
	}
	if o.DHCPTimeout == 0 {
		o.DHCPTimeout = 10 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Configured is what Up did to one interface.
type Configured struct {
	// Interface is the description it came from.
	Interface Interface
	// Link is the kernel's name of the link.
	Link string
	// Addr is the address set ("" for slaves and links without one).
	Addr netip.Prefix
	// Gateway is the default gateway set, if any.
	Gateway netip.Addr
	// DNS are the name servers a DHCP server offered.
	DNS []netip.Addr
	// Hostname is the host name a DHCP server offered.
	Hostname string
	// Via is "static", "dhcp", "slave", "down" or "link" (up, no address).
	Via string
}

// Result is what Up did.
type Result struct {
	Configured []Configured
}
