// SPDX-License-Identifier: Apache-2.0

package shutdown

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/internal/goldenfile"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), []byte(got))
}

// render lays the files out as one text: a header line per file.
func render(files []File) string {
	var b strings.Builder
	for _, f := range files {
		if f.Link != "" {
			b.WriteString("=== " + f.Path + " -> " + f.Link + "\n")
			continue
		}
		b.WriteString("=== " + f.Path + "\n")
		b.Write(f.Data)
	}
	return b.String()
}

func TestRuntimeFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		rt   Runtime
	}{{
		name: "nothing",
		rt:   Runtime{Mounts: []string{"/"}},
	}, {
		name: "nfs-dhcp",
		rt: Runtime{
			Mounts: []string{"/.cdsl.local", "/", "/var/run", "/.cdsl.local"},
			Links: []Link{{Name: "eth0", MAC: "52:54:00:AA:00:01", DHCP: true, Addr: netip.MustParsePrefix("10.0.2.15/24"),
				Gateway: netip.MustParseAddr("10.0.2.2"), DNS: []netip.Addr{netip.MustParseAddr("10.0.2.3")}}},
		},
	}, {
		name: "nfs-static",
		rt: Runtime{
			Mounts: []string{"/.cdsl.local"},
			Links: []Link{{Name: "eth0", MAC: "52:54:00:aa:00:01", Addr: netip.MustParsePrefix("192.168.7.11/24"),
				Gateway: netip.MustParseAddr("192.168.7.1")}},
		},
	}, {
		name: "bond",
		rt: Runtime{
			Mounts: []string{"/.cdsl.local"},
			Links: []Link{
				{Name: "eth0", MAC: "52:54:00:aa:00:01", Slave: true},
				{Name: "eth1", MAC: "52:54:00:aa:00:01", Slave: true},
				{Name: "bond0", MAC: "52:54:00:aa:00:01", Bond: true, Addr: netip.MustParsePrefix("192.168.7.11/24")},
				{Name: "eth2", MAC: "52:54:00:aa:00:03"},
			},
		},
	}, {
		name: "vlan-bridge-ipv6",
		rt: Runtime{
			Links: []Link{
				{Name: "enp1s0", MAC: "52:54:00:aa:00:01"},
				{Name: "enp1s0.100", Kind: "vlan", VLANParent: "enp1s0", VLANID: 100, Slave: true},
				{Name: "br0", Kind: "bridge", Addr: netip.MustParsePrefix("10.7.0.5/24"), Gateway: netip.MustParseAddr("10.7.0.1"),
					Routes: []Route{{Dst: netip.MustParsePrefix("10.200.0.0/16"), Gw: netip.MustParseAddr("10.7.0.254")}},
					DNS:    []netip.Addr{netip.MustParseAddr("10.7.0.53")}},
				{Name: "enp2s0", MAC: "52:54:00:aa:00:02", Addr: netip.MustParsePrefix("fd00:5::5/64"), Gateway: netip.MustParseAddr("fe80::1")},
				{Name: "enp3s0", MAC: "52:54:00:aa:00:03", Auto6: true, Addr: netip.MustParsePrefix("2001:db8::5054:ff:feaa:3/64")},
			},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "runtime-"+tc.name+".golden", render(RuntimeFiles(tc.rt)))
		})
	}
}

func TestWriteRuntime(t *testing.T) {
	run := t.TempDir()
	files := RuntimeFiles(Runtime{Mounts: []string{"/.cdsl.local"},
		Links: []Link{{Name: "eth0", MAC: "52:54:00:aa:00:01", Addr: netip.MustParsePrefix("10.0.2.15/24")}}})
	for i := 0; i < 2; i++ { // twice: the second run replaces
		if err := WriteRuntime(run, files); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		p := filepath.Join(run, f.Path)
		if f.Link != "" {
			if got, err := os.Readlink(p); err != nil || got != f.Link {
				t.Errorf("%s: link %q %v", f.Path, got, err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != string(f.Data) {
			t.Errorf("%s: %q %v", f.Path, got, err)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(run, "*/*/*.osr-tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}
