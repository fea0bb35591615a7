// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// A node boots an ext3 shared root from an xz image written by the system's
// xz, one stream per chunk with a CRC32 check: the kernel's xz decoder
// unpacks the concatenated streams (it refuses CRC64 and xz's BCJ filters it
// was built without).
func TestXZImageBoots(t *testing.T) {
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("no xz program: the built-in xz encoder writes the image")
	}
	k := getKit(t)
	tree := sharedRoot(t, k, 1)
	img := filepath.Join(t.TempDir(), "root.ext3")
	if err := sharedroot.MakeExt3(context.Background(), tree, img, 64); err != nil {
		t.Fatal(err)
	}
	nodes := []osrlab.Node{{ID: 1, MAC: qemu.NodeMAC(1), IP: "10.0.2.15", Mask: "255.255.255.0", RootFS: "ext3", Root: "/dev/vda"}}
	initrd := build(t, k, "ext3", clusterConf(t, "osrxz", nodes), "initrd {\n  compression = \"xz\"\n}\n")
	list, err := exec.Command("xz", "--robot", "--list", initrd).Output()
	if err != nil {
		t.Fatalf("xz --list %s: %v", initrd, err)
	}
	var streams string
	for _, line := range strings.Split(string(list), "\n") {
		if f := strings.Split(line, "\t"); f[0] == "totals" && len(f) > 6 {
			streams = f[1]
			if f[6] != "CRC32" {
				t.Fatalf("the image's checks are %s; want CRC32 only:\n%s", f[6], list)
			}
		}
	}
	if streams == "" || streams == "1" {
		t.Fatalf("want several xz streams (one per chunk):\n%s", list)
	}
	m := machine(t, k, "xz-node1", initrd)
	m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(1)}}
	m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
	results, err := qemu.Run(context.Background(), qemu.Boot{Machine: m,
		Expect: append(osrlab.Identity(1), sharedroot.MarkerRoot+"/dev/vda / ext3 ro")})
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s streams in the image", streams)
}
