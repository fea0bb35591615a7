// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// overlayInit is the shared root's /sbin/init for TestOverlayNFSRebuilt: it
// shows the root and the lower mounts and the node's addresses, writes to
// the root, to the shared root below it and to a hostdependent file, and
// powers off.
const overlayInit = `#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc 2>/dev/null
echo "OSR-ROOT: $(awk '$2 == "/" {print $1, $2, $3}' /proc/mounts | tail -1)"
echo "OSR-LOWER: $(awk '$2 == "/run/osr/lower" {print $1, $2, $3, substr($4, 1, 2)}' /proc/mounts)"
echo "OSR-ADDR: $(ip addr show | awk '$1 == "inet" {print $2}' | tr '\n' ' ')"
echo "overlay write" >/overlay-write
ls /run/osr/overlay/upper/overlay-write >/dev/null && echo "OSR-UPPER: overlay-write"
if touch /run/osr/lower/lower-write 2>/dev/null; then echo OSR-LOWER-WRITABLE; else echo OSR-LOWER-READONLY; fi
echo "written through by $(cat /etc/hostname)" >>/etc/osr-marker
echo "OSR-MARKER: $(tr '\n' ';' </etc/osr-marker)"
sync
echo OSR-INIT-DONE
poweroff -f
`

// A node boots one NFS root read-only under a tmpfs overlay (osr.overlay=tmpfs
// from osr.hcl's initrd { cmdline }), from an image rebuilt out of the segment
// cache after its cluster configuration changed: the rebuild takes the
// kernel, system and osr segments from the cache, and the node comes up with
// the new configuration's address. Writes to / stay in the node's tmpfs (the
// export is unchanged), the shared root below is mounted read-only, and a
// write to a hostdependent file reaches the node's tree on the export.
func TestOverlayNFSRebuilt(t *testing.T) {
	k := getKit(t)
	tree := sharedRoot(t, k, 1)
	if err := tree.WriteFile("sbin/init", []byte(overlayInit), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lab, _ := nfsLab(t, ctx, 1, tree.Dir)
	server := lab.Addr.Addr().String()
	root := server + ":" + ganesha.DefaultPseudo
	node := func(addr string) []osrlab.Node {
		return []osrlab.Node{{ID: 1, MAC: qemu.NodeMAC(1), IP: addr, Mask: "255.255.255.0", RootFS: "nfs4", Root: root}}
	}
	const hcl = "initrd {\n  cmdline = \"osr.overlay=tmpfs osr.overlaysize=64m\"\n}\n"
	oldAddr, newAddr := lab.NodeAddr(2).Addr().String(), lab.NodeAddr(1).Addr().String()
	build(t, k, "nfs", clusterConf(t, "osrovl", node(oldAddr)), hcl)

	// The cluster configuration changes: the rebuild compresses only its segment.
	start := time.Now()
	initrd, summary, err := k.Build(ctx, t.TempDir(), "nfs", clusterConf(t, "osrovl", node(newAddr)), hcl)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuild after the cluster configuration changed, %.2fs:\n%s", time.Since(start).Seconds(), summary)
	if !strings.Contains(summary, "3 of 4 segments from the cache") || !strings.Contains(summary, "(kernel, system, osr)") {
		t.Errorf("the rebuild did not take the kernel, system and osr segments from the cache:\n%s", summary)
	}

	m := machine(t, k, "overlay-node1", initrd)
	m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(1), Tap: lab.Tap(1)}}
	m.NetNS = lab.NS
	results, err := qemu.Run(ctx, qemu.Boot{Machine: m, Expect: []string{
		"the image's default parameters, before the kernel's: osr.overlay=tmpfs osr.overlaysize=64m",
		"root is an overlay",
		sharedroot.MarkerRoot + "overlay / overlay",
		"OSR-LOWER: " + root + " /run/osr/lower nfs4 ro",
		"OSR-ADDR: ",
		"OSR-UPPER: overlay-write",
		"OSR-LOWER-READONLY",
		sharedroot.MarkerFile + osrlab.Marker(1) + ";written through by " + osrlab.NodeName(1) + ";",
		sharedroot.MarkerDone,
	}})
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := results[0].Console.Find("OSR-ADDR: "); !strings.Contains(l.Text, " "+newAddr+"/24") || strings.Contains(l.Text, oldAddr) {
		t.Errorf("the node's addresses %q; want the new configuration's %s/24", l.Text, newAddr)
	}
	for _, rel := range []string{"overlay-write", "run/osr/lower/lower-write", "lower-write"} {
		if _, err := os.Lstat(tree.Path(rel)); err == nil {
			t.Errorf("the node's write to /%s reached the shared export", rel)
		}
	}
	got, err := os.ReadFile(tree.Path(filepath.Join(sharedroot.CDSLTree, "1", sharedroot.MarkerPath)))
	if err != nil {
		t.Fatal(err)
	}
	if want := osrlab.Marker(1) + "\nwritten through by " + osrlab.NodeName(1) + "\n"; string(got) != want {
		t.Errorf("the node's tree on the export holds %q; want %q", got, want)
	}
	if fi, err := os.Lstat(tree.Path(sharedroot.MarkerPath)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("/%s on the export is no longer the CDSL link (%v)", sharedroot.MarkerPath, err)
	}
}
