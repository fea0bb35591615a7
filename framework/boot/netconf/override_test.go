// SPDX-License-Identifier: Apache-2.0

package netconf

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseIPParam(t *testing.T) {
	tests := []struct {
		in      string
		want    IPParam
		wantErr string
	}{
		{"cluster", IPParam{Autoconf: "cluster"}, ""},
		{"off", IPParam{Autoconf: "off"}, ""},
		{"DHCP", IPParam{Autoconf: DHCP}, ""},
		{"eth1:dhcp", IPParam{Device: "eth1", Autoconf: DHCP}, ""},
		{"10.0.0.5::10.0.0.1:255.255.255.0:node1:eth0:off:10.0.0.53",
			IPParam{Client: "10.0.0.5", Gateway: "10.0.0.1", Mask: "255.255.255.0", Hostname: "node1", Device: "eth0", Autoconf: "static", DNS: []string{"10.0.0.53"}}, ""},
		{"10.0.0.5", IPParam{Client: "10.0.0.5", Autoconf: "static"}, ""},
		{":::::eth0", IPParam{Device: "eth0", Autoconf: DHCP}, ""},
		{":::::eth0:off", IPParam{}, "no client address"},
		{"eth0:magic", IPParam{}, `autoconf "magic"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseIPParam(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseIPParam(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestOverride(t *testing.T) {
	node := []Interface{
		{Name: "eth0", MAC: "AA:00:00:00:00:01", IP: "10.0.0.1", Mask: "24", Gateway: "10.0.0.254", OnBoot: true},
		{Name: "eth1", MAC: "AA:00:00:00:00:02", OnBoot: false},
	}
	nics := []Interface{{Name: "enp1s0", MAC: "aa:00:00:00:00:09"}, {Name: "enp2s0", MAC: "aa:00:00:00:00:0a"}}
	tests := []struct {
		name    string
		node    []Interface
		ip      []string
		want    []Interface
		wantErr string
	}{
		{"no ip= keeps the configuration", node, nil, node, ""},
		{"ip=cluster keeps it too", node, []string{"cluster"}, node, ""},
		{"ip=off", node, []string{"off"}, []Interface{
			{Name: "eth0", MAC: "AA:00:00:00:00:01", IP: "10.0.0.1", Mask: "24", Gateway: "10.0.0.254"},
			{Name: "eth1", MAC: "AA:00:00:00:00:02"}}, ""},
		{"ip=dhcp turns configured addresses into DHCP", node, []string{"dhcp"}, []Interface{
			{Name: "eth0", MAC: "AA:00:00:00:00:01", IP: DHCP, OnBoot: true},
			{Name: "eth1", MAC: "AA:00:00:00:00:02"}}, ""},
		{"a device brings an onboot=no NIC up", node, []string{"10.1.0.2::10.1.0.1:255.255.0.0::eth1:off"}, []Interface{
			node[0],
			{Name: "eth1", MAC: "AA:00:00:00:00:02", IP: "10.1.0.2", Mask: "255.255.0.0", Gateway: "10.1.0.1", OnBoot: true}}, ""},
		{"unknown device is added by name", node, []string{"enp2s0:dhcp"}, append(append([]Interface(nil), node...),
			Interface{Name: "enp2s0", IP: DHCP, OnBoot: true}), ""},
		{"node without NICs: dhcp on every NIC", nil, []string{"dhcp"}, []Interface{
			{Name: "enp1s0", MAC: "aa:00:00:00:00:09", IP: DHCP, OnBoot: true},
			{Name: "enp2s0", MAC: "aa:00:00:00:00:0a", IP: DHCP, OnBoot: true}}, ""},
		{"node without NICs: static on the first", nil, []string{"10.0.0.9:::24"}, []Interface{
			{Name: "enp1s0", MAC: "aa:00:00:00:00:09", IP: "10.0.0.9", Mask: "24", OnBoot: true}}, ""},
		{"bad value", node, []string{"eth0:sometimes"}, nil, "sometimes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Override(tt.node, tt.ip, nics)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Override error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		ip, mask string
		want     string
		wantErr  string
	}{
		{"10.0.0.1", "255.255.255.0", "10.0.0.1/24", ""},
		{"10.0.0.1", "16", "10.0.0.1/16", ""},
		{"10.0.0.1", "", "10.0.0.1/24", ""},
		{"10.0.0.1/20", "255.255.240.0", "10.0.0.1/20", ""},
		{"10.0.0.1/20", "255.0.0.0", "", "carries /20"},
		{"fd00::1", "", "fd00::1/64", ""},
		{"fd00::1", "56", "fd00::1/56", ""},
		{"10.0.0.1", "255.0.255.0", "", "holes"},
		{"10.0.0.1", "33", "", "out of range"},
		{"fe80::1%eth0", "", "", "zone"},
		{"dhcp", "", "", "no static address"},
	}
	for _, tt := range tests {
		t.Run(tt.ip+"_"+tt.mask, func(t *testing.T) {
			got, err := Interface{Name: "eth0", IP: tt.ip, Mask: tt.mask}.Prefix()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Prefix error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != netip.MustParsePrefix(tt.want) {
				t.Fatalf("Prefix = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestOrdered(t *testing.T) {
	in := []Interface{{Name: "bond0", IP: "10.0.0.1"}, {Name: "eth0", Master: "bond0"}, {Name: "eth1", Master: "bond0"}, {Name: "eth2"}}
	var got []string
	for _, f := range ordered(in) {
		got = append(got, f.Name)
	}
	if diff := cmp.Diff([]string{"eth0", "eth1", "eth2", "bond0"}, got); diff != "" {
		t.Error(diff)
	}
}

// Physical → bond → VLAN → bridge, whatever the configuration's order; a
// bridge only named by its ports is added with the port's address.
func TestOrderedVirtualLinks(t *testing.T) {
	in := withBridges([]Interface{
		{Name: "br0", Kind: KindBridge, IP: "10.0.0.1"},
		{Name: "bond0.7", VLANParent: "bond0", VLANID: 7, Bridge: "br0"},
		{Name: "bond0"},
		{Name: "eth0", Master: "bond0"},
		{Name: "eth1", IP: "10.1.0.5", Mask: "16", Gateway: "10.1.0.1", Bridge: "br9"},
	})
	var got []string
	for _, f := range ordered(in) {
		got = append(got, f.Name+":"+kindOf(f, in)+":"+f.IP)
	}
	want := []string{"eth0::", "eth1::", "bond0:bond:", "bond0.7:vlan:", "br0:bridge:10.0.0.1", "br9:bridge:10.1.0.5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
