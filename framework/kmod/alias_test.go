// SPDX-License-Identifier: Apache-2.0

package kmod

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFnmatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"fs-gfs2", "fs-gfs2", true},
		{"fs-gfs2", "fs-gfs", false},
		{"*", "", true},
		{"*", "a/b", true},
		{"pci:v00008086d000010D3sv*sd*bc*sc*i*", "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", true},
		{"pci:v00008086d000010D3sv*sd*bc*sc*i*", "pci:v00008086d000010D4sv00008086sd0000A01Fbc02sc00i00", false},
		{"pci:v*d*sv*sd*bc01sc06i01*", "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", true},
		{"virtio:d00000001v*", "virtio:d00000001v00001AF4", true},
		{"virtio:d00000001v*", "virtio:d00000002v00001AF4", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[abc]x", "bx", true},
		{"[!abc]x", "bx", false},
		{"[^abc]x", "dx", true},
		{"[a-f]1", "e1", true},
		{"[a-f]1", "g1", false},
		{"[]]", "]", true},
		{"[!]]", "a", true},
		{"[", "[", true},
		{"a[", "a[", true},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"dmi*:svn*ASUSTeK*:pn*", "dmi:bvnX:svnASUSTeK COMPUTER INC.:pnK53SV:", true},
		{"acpi*:PNP0C09:*", "acpi:PNP0C09:", true},
		{"**x", "abx", true},
	}
	for _, tt := range tests {
		if got := Fnmatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Fnmatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestNormalizeAlias(t *testing.T) {
	tests := map[string]string{
		"fs-gfs2":         "fs_gfs2",
		"crypto-crc32c":   "crypto_crc32c",
		"pci:v*d*[a-f]-x": "pci:v*d*[a-f]_x",
		"[!-]a-b":         "[!-]a_b",
		"[]-]-":           "[]-]_",
		"plain":           "plain",
	}
	for in, want := range tests {
		if got := NormalizeAlias(in); got != want {
			t.Errorf("NormalizeAlias(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAliasTableMatch(t *testing.T) {
	tab := &AliasTable{}
	tab.add([]aliasEntry{
		{"pci:v00008086d000010D3sv*sd*bc*sc*i*", "e1000e"},
		{"pci:v00008086d*sv*sd*bc02sc00i*", "generic_intel"},
		{"pci:v*d*sv*sd*bc01sc06i01*", "ahci"},
		{"fs-gfs2", "gfs2"},
		{"gfs2meta", "gfs2"},
		{"*", "catch_all"},
		{"virtio:d00000001v*", "virtio_net"},
	})
	tests := []struct {
		in   string
		want []string
	}{
		{"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00", []string{"catch_all", "e1000e", "generic_intel"}},
		{"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", []string{"ahci", "catch_all"}},
		{"fs_gfs2", []string{"catch_all", "gfs2"}},
		{"fs-gfs2", []string{"catch_all", "gfs2"}},
		{"virtio:d00000001v00001AF4", []string{"catch_all", "virtio_net"}},
		{"", []string{"catch_all"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tab.Match(tt.in)); diff != "" {
			t.Errorf("Match(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	if tab.Len() != 7 {
		t.Errorf("Len = %d, want 7", tab.Len())
	}
}

func TestDeviceDriver(t *testing.T) {
	tab := &AliasTable{}
	tab.add([]aliasEntry{
		{"cpu:type:x86,ven*fam*mod*:feature:*0094*", "crc32c_intel"},
		{"crypto-crc32c", "crc32c_intel"},
		{"crypto-crc32c", "crc32c_generic"},
		{"crc32c", "crc32c_generic"},
		{"pci:v00008086d000010D3sv*sd*bc*sc*i*", "e1000e"},
		{"acpi*:PNP0C09:*", "ec_sys"},
		{"devname:fuse", "fuse"},
		{"char-major-10-229", "fuse"},
		{"fs-ext4", "ext4"},
	})
	for mod, want := range map[string]bool{
		"crc32c_intel": true, "crc32c-intel": true, "e1000e": true, "ec_sys": true,
		"crc32c_generic": false, "fuse": false, "ext4": false, "absent": false,
	} {
		if got := tab.DeviceDriver(mod); got != want {
			t.Errorf("DeviceDriver(%q) = %v, want %v", mod, got, want)
		}
	}
}
