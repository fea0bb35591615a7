// SPDX-License-Identifier: Apache-2.0

package cmdline

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Param
	}{
		{"empty", "  \n", nil},
		{"plain", "console=ttyS0 ro quiet\n", []Param{
			{Name: "console", Value: "ttyS0", HasValue: true}, {Name: "ro"}, {Name: "quiet"}}},
		{"empty value", "nodeid=", []Param{{Name: "nodeid", HasValue: true}}},
		{"quoted value", `mountopts="noatime, localflocks" rw`, []Param{
			{Name: "mountopts", Value: "noatime, localflocks", HasValue: true}, {Name: "rw"}}},
		{"whole param quoted", `"osr.debug=yes no" x`, []Param{
			{Name: "osr.debug", Value: "yes no", HasValue: true}, {Name: "x"}}},
		{"quote in the middle is kept", `a=b"c d"e f`, []Param{
			{Name: "a", Value: `b"c d"e`, HasValue: true}, {Name: "f"}}},
		{"second equals is part of the value", "ip=a=b", []Param{{Name: "ip", Value: "a=b", HasValue: true}}},
		{"tabs and newlines", "a\tb\n\nc=1", []Param{{Name: "a"}, {Name: "b"}, {Name: "c", Value: "1", HasValue: true}}},
		{"stops at --", "a=1 -- nodeid=9 single", []Param{{Name: "a", Value: "1", HasValue: true}}},
		{"unterminated quote runs to the end", `a="b c`, []Param{{Name: "a", Value: "b c", HasValue: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Split(tt.in)); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Params
	}{
		{"nothing of ours", "console=ttyS0 quiet BOOT_IMAGE=/vmlinuz", Params{}},
		{"originals' names", "nodeid=2 nodename=n2 root=/dev/vg/lv rootfs=gfs2 mountopts=noatime ro ip=dhcp init=/bin/bash",
			Params{NodeID: 2, NodeName: "n2", Root: "/dev/vg/lv", RootFS: "gfs2", MountOpts: "noatime",
				Access: "ro", IP: []string{"dhcp"}, Init: "/bin/bash"}},
		{"osr beats plain beats com", "com-nodeid=3 nodeid=2 osr.nodeid=1 com-rootfs=nfs", Params{NodeID: 1, RootFS: "nfs"}},
		{"plain beats com regardless of order", "nodeid=2 com-nodeid=3", Params{NodeID: 2}},
		{"last of one spelling wins", "nodeid=2 nodeid=5", Params{NodeID: 5}},
		{"rootvolume and old mountopt", "rootvolume=/dev/sda2 mountopt=noatime", Params{Root: "/dev/sda2", MountOpts: "noatime"}},
		{"ro then rw", "ro rw", Params{Access: "rw"}},
		{"several ip=", "ip=10.0.0.1::10.0.0.254:255.255.255.0::eth0:off ip=eth1:dhcp",
			Params{IP: []string{"10.0.0.1::10.0.0.254:255.255.255.0::eth0:off", "eth1:dhcp"}}},
		{"osr.ip replaces ip", "ip=dhcp osr.ip=cluster", Params{IP: []string{"cluster"}}},
		{"breaks from every spelling", "osr.break=network,mount com-step=cdsl break=mount",
			Params{Breaks: []string{"network", "mount", "cdsl"}}},
		{"bare step is step mode", "com-step", Params{BreakAll: true}},
		{"break=all", "osr.break=all,mount", Params{BreakAll: true, Breaks: []string{"mount"}}},
		{"debug spellings", "com-debug", Params{Debug: true}},
		{"debug off", "osr.debug=0 debug", Params{}},
		{"expert shell", "com-expert", Params{Shell: true}},
		{"mount retries", "mounttimes=30 com-mountwait=10 osr.nettimeout=1m",
			Params{MountTries: 30, MountWait: 10 * time.Second, NetTimeout: time.Minute}},
		{"fractional wait", "osr.mountwait=0.5", Params{MountWait: 500 * time.Millisecond}},
		{"bad values are reported", "mounttimes=many osr.mountwait=soon osr.debug=maybe",
			Params{Debug: true, Problems: []string{
				"osr.debug=maybe: want yes or no; taken as yes",
				"mounttimes=many: want a whole number of tries ≥ 1",
				"osr.mountwait=soon: want seconds (e.g. 10) or a duration (e.g. 1m30s)"}}},
		{"node id that is no number", "nodeid=n2 nodename=n2", Params{NodeName: "n2", Problems: []string{
			"nodeid=n2: want a node id, a whole number ≥ 1 (osr cluster nodes lists them)"}}},
		{"node id zero", "osr.nodeid=0", Params{Problems: []string{
			"osr.nodeid=0: want a node id, a whole number ≥ 1 (osr cluster nodes lists them)"}}},
		{"init args after -- are not ours", "init=/sbin/init -- nodeid=4", Params{Init: "/sbin/init"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.in)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Params{}, "All"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestValue(t *testing.T) {
	p := Parse("com-quorumack votes=2 osr.lockmethod=lock_dlm lockmethod=lock_nolock")
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{
		{"quorumack", "", true},
		{"votes", "2", true},
		{"lockmethod", "lock_dlm", true},
		{"rootfsck", "", false},
	} {
		got, ok := p.Value(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Value(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestOverlay(t *testing.T) {
	tests := []struct {
		line          string
		overlay, size string
		modules       []string
		problems      int
	}{
		{"console=ttyS0", "", "", nil, 0},
		{"osr.overlay=tmpfs", OverlayTmpfs, "", []string{"overlay"}, 0},
		{"osr.overlay=tmpfs osr.overlaysize=512m", OverlayTmpfs, "512m", []string{"overlay"}, 0},
		{"osr.overlay=TMPFS osr.overlaysize=25%", OverlayTmpfs, "25%", []string{"overlay"}, 0},
		// The image's default first, the kernel's last: the kernel's wins.
		{"osr.overlay=tmpfs osr.overlaysize=1g osr.overlay=off", "", "1g", nil, 0},
		{"osr.overlay=squashfs", "", "", nil, 1},
		{"osr.overlay=tmpfs osr.overlaysize=lots", OverlayTmpfs, "", []string{"overlay"}, 1},
		{"osr.overlaysize=200%", "", "", nil, 1},
		{"osr.overlaysize=0", "", "", nil, 1},
		{"osr.overlaysize=5mg", "", "", nil, 1},
	}
	for _, tt := range tests {
		p := Parse(tt.line)
		if p.Overlay != tt.overlay || p.OverlaySize != tt.size || len(p.Problems) != tt.problems {
			t.Errorf("Parse(%q): overlay %q size %q problems %q; want %q %q and %d problems", tt.line, p.Overlay, p.OverlaySize, p.Problems, tt.overlay, tt.size, tt.problems)
		}
		if diff := cmp.Diff(tt.modules, p.Modules()); diff != "" {
			t.Errorf("Parse(%q).Modules() (-want +got):\n%s", tt.line, diff)
		}
	}
}
