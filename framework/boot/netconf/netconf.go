// SPDX-License-Identifier: Apache-2.0

// Package netconf brings up a node's network in the initrd from its NIC
// descriptions (the cluster configuration's com_info/eth entries): links
// found by MAC whatever their kernel name; bonds with their slaves, VLANs on
// NICs or bonds, bridges with their ports, in that order (the originals'
// physical → bond → vlan → bridge); static IPv4 and IPv6 addresses with
// mask and gateway, DHCPv4 (with the root path, option 17, and classless
// static routes, option 121) and IPv6 router advertisements (SLAAC); NICs
// marked onboot=no left down (they only identify the node). The kernel's
// ip= parameter can override the configuration (see Override).
//
// Usage:
//
//	ifaces := netconf.Override(node.NICs, params.IP, seen)
//	res, err := netconf.Up(ctx, ifaces, netconf.Options{Logf: log.Printf})
package netconf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/framework/netaddr"
)

// The Interface.IP values that name a method instead of an address.
const (
	// DHCP asks a DHCPv4 server.
	DHCP = netaddr.DHCP
	// Auto6 takes an IPv6 address from router advertisements (SLAAC).
	Auto6 = netaddr.Auto6
)

// The kinds of virtual links Up creates.
const (
	KindBond   = "bond"
	KindVLAN   = "vlan"
	KindBridge = "bridge"
)

// Interface describes one network interface of a node.
type Interface struct {
	// Name is the configured name (eth0, bond0). A NIC with a MAC is found
	// by its MAC; the name then only labels it.
	Name string
	// MAC is the hardware address, in any case.
	MAC string
	// IP is "" (no address), DHCP, Auto6, or an IPv4 or IPv6 address, with
	// or without a /prefix.
	IP string
	// Mask is the netmask, dotted (255.255.255.0) or a prefix length (24,
	// 64), when IP has no /prefix.
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
	// Kind is KindBond, KindVLAN or KindBridge for a virtual link Up
	// creates; "" for a NIC (a bond is also recognised by its slaves, a
	// bridge by its ports).
	Kind string
	// Bridge names the bridge this interface is a port of.
	Bridge string
	// VLANParent and VLANID describe a VLAN: the configured name (or the
	// kernel's) of the link it runs on, and its id (1-4094).
	VLANParent string
	VLANID     int
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

// Prefix returns the interface's static address with its prefix length,
// parsed as the cluster configuration's validation parses it
// (netaddr.ParsePrefix): IPv4 or IPv6, the prefix from a /len, the mask,
// or /24 and /64 when neither is written.
func (i Interface) Prefix() (netip.Prefix, error) {
	if i.IP == "" || netaddr.IsMethod(i.IP) {
		return netip.Prefix{}, fmt.Errorf("%s has no static address", i)
	}
	p, _, err := netaddr.ParsePrefix(i.IP, i.Mask)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %w", i, err)
	}
	return p, nil
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
	// SLAACWait is how long an auto6 interface waits for a router
	// advertisement's address; 0 means 30 s.
	SLAACWait time.Duration
	// LoadModules loads kernel modules (bonding, 8021q, bridge) before a
	// virtual link of their kind is created; nil relies on the kernel.
	LoadModules func(ctx context.Context, names ...string) error
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
	if o.SLAACWait == 0 {
		o.SLAACWait = 30 * time.Second
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
	// Routes are the other routes set through the link (DHCP option 121).
	Routes []Route
	// DNS are the name servers a DHCP server offered.
	DNS []netip.Addr
	// Hostname is the host name a DHCP server offered.
	Hostname string
	// RootPath is the root path a DHCP server offered (option 17).
	RootPath string
	// Lease is the DHCP lease's duration and Server the DHCP server.
	Lease  time.Duration
	Server netip.Addr
	// Via is "static", "dhcp", "auto6", "slave" (of a bond), "port" (of a
	// bridge), "down" or "link" (up, no address).
	Via string
}

// Route is a route through a link: to Dst via the router Gw (invalid for an
// on-link route).
type Route struct {
	Dst netip.Prefix
	Gw  netip.Addr
}

// Result is what Up did.
type Result struct {
	Configured []Configured
}

// RootPath is the first root path a DHCP server offered, "" when none did.
func (r Result) RootPath() string {
	for _, c := range r.Configured {
		if c.RootPath != "" {
			return c.RootPath
		}
	}
	return ""
}
