// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/open-sharedroot/osr/framework/boot/internal/nstest"
)

// The bonding module makes a bond0 of its own in the default mode
// (balance-rr) unless loaded with max_bonds=0: before the network step when
// built in, or while the step loads it. Either way bond0 comes out in the
// configured mode with its slaves; a bond in use is never replaced.
func TestUpReplacesTheModulesBond(t *testing.T) {
	for _, c := range []struct {
		name string
		// before runs before Up; load is Up's LoadModules.
		before func(t *testing.T)
		load   func(ctx context.Context, names ...string) error
	}{
		{"built in", func(t *testing.T) { addIdleBond(t, "bond0") }, nil},
		{"loaded by the step", func(*testing.T) {}, func(_ context.Context, names ...string) error {
			if len(names) != 1 || names[0] != "bonding" {
				return nil
			}
			return netlink.LinkAdd(netlink.NewLinkBond(netlink.LinkAttrs{Name: "bond0"}))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !nstest.InChild(t, unix.CLONE_NEWNET) {
				return
			}
			requireKind(t, netlink.NewLinkBond(netlink.LinkAttrs{Name: "probe0"}))
			l := newLab(t, "enp0s3", nodeMAC)
			l.addVeth("enp0s4", "52:54:00:0a:01:72", "peer1")
			c.before(t)
			ifaces := []Interface{
				{Name: "eth0", MAC: nodeMAC, Master: "bond0", OnBoot: true},
				{Name: "eth1", MAC: "52:54:00:0a:01:72", Master: "bond0", OnBoot: true},
				{Name: "bond0", OnBoot: true, BondOpts: "mode=active-backup miimon=100", IP: "10.99.0.5", Mask: "24"},
			}
			if _, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second, LoadModules: c.load, Logf: t.Logf}); err != nil {
				t.Fatal(err)
			}
			b, ok := mustLink(t, "bond0").(*netlink.Bond)
			if !ok || b.Mode != netlink.BOND_MODE_ACTIVE_BACKUP || b.Miimon != 100 {
				t.Errorf("bond0 = %+v, want active-backup with miimon 100", mustLink(t, "bond0"))
			}
			for _, s := range []string{"enp0s3", "enp0s4"} {
				if mustLink(t, s).Attrs().MasterIndex != b.Index {
					t.Errorf("%s is not a slave of bond0", s)
				}
			}
			// Now bond0 is in use: a second bring-up keeps it.
			index := b.Index
			if _, err := Up(context.Background(), ifaces, Options{CarrierWait: 5 * time.Second, Logf: t.Logf}); err != nil {
				t.Fatal(err)
			}
			if got := mustLink(t, "bond0").Attrs().Index; got != index {
				t.Errorf("a second bring-up replaced the bond in use (index %d → %d)", index, got)
			}
		})
	}
}

func addIdleBond(t *testing.T, name string) {
	t.Helper()
	if err := netlink.LinkAdd(netlink.NewLinkBond(netlink.LinkAttrs{Name: name})); err != nil {
		t.Fatal(err)
	}
}

// A NIC is found by its own MAC even when, as a slave of an active-backup
// bond, it carries the bond's: the permanent address, else the one the bond
// keeps for it.
func TestFindLinkByOwnMAC(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	bondMAC := mac("52:54:00:0a:01:71")
	links := []netlink.Link{
		&netlink.Bond{LinkAttrs: netlink.LinkAttrs{Name: "bond0", HardwareAddr: bondMAC}},
		&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "enp0s3", HardwareAddr: bondMAC, PermHWAddr: bondMAC}},
		&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "enp0s4", HardwareAddr: bondMAC,
			Slave: &netlink.BondSlave{PermHardwareAddr: mac("52:54:00:0a:01:72")}}},
		&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "enp0s5", HardwareAddr: bondMAC, PermHWAddr: mac("52:54:00:0a:01:73")}},
		&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "enp0s6", HardwareAddr: mac("52:54:00:0a:01:74")}},
	}
	for m, want := range map[string]string{
		"52:54:00:0a:01:71": "enp0s3", "52:54:00:0a:01:72": "enp0s4", "52:54:00:0A:01:73": "enp0s5",
		"52:54:00:0a:01:74": "enp0s6", "52:54:00:0a:01:75": "",
	} {
		got := ""
		if l := findLink(links, Interface{Name: "eth9", MAC: m}); l != nil {
			got = l.Attrs().Name
		}
		if got != want {
			t.Errorf("MAC %s finds %q, want %q", m, got, want)
		}
	}
}
