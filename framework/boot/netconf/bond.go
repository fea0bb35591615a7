// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// createBond creates the bond f describes, with the mode and miimon of its
// BondOpts ("mode=1 miimon=100", mode by number or name).
func createBond(ctx context.Context, f Interface, o Options) (netlink.Link, error) {
	loadModule(ctx, o, "bonding")
	b := netlink.NewLinkBond(netlink.LinkAttrs{Name: f.Name})
	for _, kv := range strings.Fields(strings.Trim(strings.TrimPrefix(f.BondOpts, "BONDING_OPTS="), `"'`)) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "mode":
			m := netlink.StringToBondMode(v)
			if n, err := strconv.Atoi(v); err == nil {
				m = netlink.BondMode(n)
			}
			if m == netlink.BOND_MODE_UNKNOWN || m < 0 || m > netlink.BOND_MODE_BALANCE_ALB {
				return nil, fmt.Errorf("%s: bond mode %q is unknown; use 0-6 or a name such as active-backup", f, v)
			}
			b.Mode = m
		case "miimon":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%s: bond option miimon=%q is not a number", f, v)
			}
			b.Miimon = n
		case "primary", "updelay", "downdelay", "xmit_hash_policy", "lacp_rate":
			o.Logf("%s: bond option %s is not applied in the initrd", f, k)
		case "":
		default:
			o.Logf("%s: unknown bond option %q ignored", f, kv)
		}
	}
	err := netlink.LinkAdd(b)
	if errors.Is(err, unix.EEXIST) {
		// Loading bonding (without max_bonds=0) made a bond0 of its own, in
		// the default mode: replace it, unless something uses it.
		if err = removeIdleBond(f.Name); err == nil {
			err = netlink.LinkAdd(b)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: create bond: %w; the initrd needs the bonding module (add it to the driver's modules)", f, err)
	}
	l, err := netlink.LinkByName(f.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: created bond not found: %w", f, err)
	}
	o.Logf("%s: created bond (%s)", f, strings.TrimSpace(f.BondOpts))
	return l, nil
}

// idleBond reports whether l is a bond that is down and has no slaves
// among links, as the bonding module creates bond0.
func idleBond(l netlink.Link, links []netlink.Link) bool {
	if l.Type() != "bond" || l.Attrs().Flags&net.FlagUp != 0 {
		return false
	}
	for _, o := range links {
		if o.Attrs().MasterIndex == l.Attrs().Index {
			return false
		}
	}
	return true
}

// removeIdleBond deletes the bond name when it is idle (idleBond).
func removeIdleBond(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("a link %s exists, but cannot be read: %w", name, err)
	}
	all, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	if !idleBond(l, all) {
		return fmt.Errorf("a link %s exists already (%s, flags %v), in use", name, l.Type(), l.Attrs().Flags)
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("remove the bonding module's own %s: %w", name, err)
	}
	return nil
}

// enslave makes the NIC l a slave of its bond, creating the bond if needed.
// A slave must be down to join.
func enslave(ctx context.Context, f Interface, l netlink.Link, links []netlink.Link, all []Interface, o Options) (Configured, error) {
	c := Configured{Interface: f, Link: l.Attrs().Name, Via: "slave"}
	bondCfg, ok := configured(all, f.Master)
	if !ok {
		bondCfg = Interface{Name: f.Master}
	}
	bond := findNamed(links, f.Master)
	if bond == nil || idleBond(bond, links) {
		// An idle bond of that name is the bonding module's own (built in,
		// or loaded without max_bonds=0), in the default mode: createBond
		// makes it anew with the configured options.
		var err error
		if bond, err = createBond(ctx, bondCfg, o); err != nil {
			return c, err
		}
	}
	if l.Attrs().MasterIndex == bond.Attrs().Index {
		return c, nil
	}
	if err := netlink.LinkSetDown(l); err != nil {
		return c, fmt.Errorf("%s: take %s down to enslave it: %w", f, l.Attrs().Name, err)
	}
	if err := netlink.LinkSetMasterByIndex(l, bond.Attrs().Index); err != nil {
		return c, fmt.Errorf("%s: enslave %s to %s: %w", f, l.Attrs().Name, f.Master, err)
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return c, fmt.Errorf("%s: bring up slave %s: %w", f, l.Attrs().Name, err)
	}
	o.Logf("%s: %s enslaved to %s", f, l.Attrs().Name, f.Master)
	return c, nil
}
