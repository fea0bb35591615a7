// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// populate fills img from the tree with the lab's populate boot.
func populate(t testing.TB, k *osrlab.Kit, fs string, tree *sharedroot.Tree, img string, params ...string) {
	t.Helper()
	ctx := context.Background()
	initrd, err := k.PopulateInitrd(ctx, t.TempDir(), fs)
	if err != nil {
		t.Fatal(err)
	}
	params = append([]string{"osr.fstype=" + fs}, params...)
	pop, err := sharedroot.Populate(ctx, machine(t, k, fs+"-populate", initrd, params...), tree, img)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("populated %s in %v", img, pop.Wall.Round(time.Millisecond))
}

// Two nodes boot a GFS2 lock_nolock root one after the other, each as itself, on
// qemu's default CPU model (gfs2 needs libcrc32c, which wants a crc32c provider).
func TestGFS2LockNolock(t *testing.T) {
	k := getKit(t)
	ctx := context.Background()
	tree := sharedRoot(t, k, 2)
	img := filepath.Join(t.TempDir(), "root.gfs2")
	if err := sharedroot.MakeGFS2(ctx, img, 256, sharedroot.GFS2Options{LockProto: "lock_nolock", Table: "osrc:root", Journals: 2}); err != nil {
		t.Fatal(err)
	}
	populate(t, k, "gfs2", tree, img)
	var nodes []osrlab.Node
	for id := 1; id <= 2; id++ {
		nodes = append(nodes, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: fmt.Sprintf("10.0.2.%d", 14+id), Mask: "255.255.255.0", RootFS: "gfs2", Root: "/dev/vda"})
	}
	initrd := build(t, k, "gfs2", clusterConf(t, "osrc", nodes), `driver "gfs2" {
  lock_protocol = "lock_nolock"
}
`)
	for id := 1; id <= 2; id++ {
		m := machine(t, k, fmt.Sprintf("gfs2-node%d", id), initrd)
		m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Exclusive}}
		m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id)}}
		results, err := qemu.Run(ctx, qemu.Boot{Machine: m, Expect: append(osrlab.Identity(id), sharedroot.MarkerRoot+"/dev/vda / gfs2 rw")})
		logTimes(t, results)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Two nodes mount one OCFS2 image read-write at once through the o2cb stack that
// the ocfs2 driver configures through configfs (heartbeat region found on the
// device), and each reads what the other wrote. On -cpu max.
func TestOCFS2TwoNodes(t *testing.T) {
	k := getKit(t)
	ctx := context.Background()
	tree := sharedRoot(t, k, 2)
	img := filepath.Join(t.TempDir(), "root.ocfs2")
	if err := sharedroot.MakeOCFS2(ctx, img, 256, sharedroot.OCFS2Options{Cluster: "osrc", Slots: 2}); err != nil {
		t.Fatal(err)
	}
	hb, err := sharedroot.ReadHeartbeat(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	populate(t, k, "ocfs2", tree, img, "osr.node=1", hb.Param(), "osr.o2nodes=1:127.0.0.1")

	lab, err := netlab.New(ctx, netlab.Options{Taps: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	var nodes []osrlab.Node
	for id := 1; id <= 2; id++ {
		nodes = append(nodes, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: lab.NodeAddr(id).Addr().String(), Mask: "255.255.255.0", RootFS: "ocfs2", Root: "/dev/vda"})
	}
	initrd := build(t, k, "ocfs2", clusterConf(t, "osrc", nodes), `driver "ocfs2" {
  cluster_stack   = "o2cb"
  dead_threshold  = 7
  idle_timeout_ms = 10000
}
`)
	run := fmt.Sprint(time.Now().UnixNano())
	var boots []qemu.Boot
	for id := 1; id <= 2; id++ {
		m := machine(t, k, fmt.Sprintf("ocfs2-node%d", id), initrd, sharedroot.PeersParams(2, run)...)
		m.CPU = cpuMax.model
		m.NetNS = lab.NS
		m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: lab.Tap(id)}}
		m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Shared}}
		// A node powering off while its peer holds its locks stalls the peer
		// until death detection: end both at the end of their init.
		m.StopAfter = sharedroot.MarkerDone
		boots = append(boots, qemu.Boot{Machine: m, Expect: append(osrlab.Identity(id),
			sharedroot.MarkerRoot+"/dev/vda / ocfs2 rw",
			sharedroot.MarkerPeers+"written by node1;written by node2;")})
	}
	results, err := qemu.Run(ctx, boots...)
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
}
