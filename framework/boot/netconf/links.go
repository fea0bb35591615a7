// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"fmt"

	"github.com/vishvananda/netlink"
)

// loadModule loads a module a virtual link needs. A failure is only logged:
// the module may be built in, and the link's creation says what is wrong.
func loadModule(ctx context.Context, o Options, name string) {
	if o.LoadModules == nil {
		return
	}
	if err := o.LoadModules(ctx, name); err != nil {
		o.Logf("module %s: %v", name, err)
	}
}

// createVLAN creates the VLAN f on its parent: the configured interface of
// that name (found by its MAC), else the kernel's link of that name.
func createVLAN(ctx context.Context, f Interface, all []Interface, links []netlink.Link, o Options) (netlink.Link, error) {
	if f.VLANID < 1 || f.VLANID > 4094 {
		return nil, fmt.Errorf("%s: VLAN id %d is out of range (1-4094)", f, f.VLANID)
	}
	var parent netlink.Link
	if g, ok := configured(all, f.VLANParent); ok {
		parent = findLink(links, g)
		if parent == nil && kindOf(g, all) != "" {
			parent = findNamed(links, g.Name)
		}
	}
	if parent == nil {
		parent = findNamed(links, f.VLANParent)
	}
	if parent == nil {
		return nil, fmt.Errorf("%s: the VLAN's link %s is not there (links present: %s); describe it (by MAC) in the cluster configuration", f, f.VLANParent, seenLinks(links))
	}
	loadModule(ctx, o, "8021q")
	// A slave of a bond cannot carry a VLAN; the parent must be up for the
	// VLAN to get a carrier.
	if err := netlink.LinkSetUp(parent); err != nil {
		return nil, fmt.Errorf("%s: bring up the VLAN's link %s: %w", f, parent.Attrs().Name, err)
	}
	v := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: f.Name, ParentIndex: parent.Attrs().Index}, VlanId: f.VLANID}
	if err := netlink.LinkAdd(v); err != nil {
		return nil, fmt.Errorf("%s: create VLAN %d on %s: %w; the initrd needs the 8021q module", f, f.VLANID, parent.Attrs().Name, err)
	}
	l, err := netlink.LinkByName(f.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: created VLAN not found: %w", f, err)
	}
	o.Logf("%s: created VLAN %d on %s", f, f.VLANID, parent.Attrs().Name)
	return l, nil
}

// createBridge creates a bridge without spanning tree, so its ports forward
// at once.
func createBridge(ctx context.Context, name string, o Options) (netlink.Link, error) {
	loadModule(ctx, o, "bridge")
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		return nil, fmt.Errorf("%s: create bridge: %w; the initrd needs the bridge module", name, err)
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("%s: created bridge not found: %w", name, err)
	}
	o.Logf("%s: created bridge", name)
	return l, nil
}

// joinBridge makes l a port of f's bridge, creating the bridge if needed,
// and brings it up.
func joinBridge(ctx context.Context, f Interface, l netlink.Link, links []netlink.Link, o Options) (Configured, error) {
	c := Configured{Interface: f, Link: l.Attrs().Name, Via: "port"}
	br := findNamed(links, f.Bridge)
	if br == nil {
		var err error
		if br, err = createBridge(ctx, f.Bridge, o); err != nil {
			return c, err
		}
	}
	if l.Attrs().MasterIndex != br.Attrs().Index {
		if err := netlink.LinkSetMasterByIndex(l, br.Attrs().Index); err != nil {
			return c, fmt.Errorf("%s: add %s to bridge %s: %w", f, l.Attrs().Name, f.Bridge, err)
		}
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return c, fmt.Errorf("%s: bring up bridge port %s: %w", f, l.Attrs().Name, err)
	}
	o.Logf("%s: %s is a port of bridge %s", f, l.Attrs().Name, f.Bridge)
	return c, nil
}
