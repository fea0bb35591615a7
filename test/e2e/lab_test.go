// SPDX-License-Identifier: Apache-2.0

package e2e

// Tests of the boot lab itself, with its busybox initrd: they prove the
// runner, the network namespace, the NFS server and the images work under
// a real kernel, before osr's own initrd boots the same roots.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// Two nodes that differ only in their MAC boot one ext3 image at once
// (each with a private overlay) and each prints its own hostdependent files.
func TestLabExt3TwoNodes(t *testing.T) {
	requireLab(t)
	k := getKit(t)
	ctx := context.Background()
	tree := labTree(t, k, 2)
	img := filepath.Join(t.TempDir(), "root.ext3")
	if err := sharedroot.MakeExt3(ctx, tree, img, 64); err != nil {
		t.Fatal(err)
	}
	var boots []qemu.Boot
	for id := 1; id <= 2; id++ {
		m := machine(t, k, fmt.Sprintf("ext3-node%d", id), "ext3", "osr.node=mac")
		m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
		m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id)}}
		boots = append(boots, qemu.Boot{Machine: m, Expect: identity(id)})
	}
	results, err := qemu.Run(ctx, boots...)
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
	if line, _ := results[0].Console.Find(sharedroot.MarkerRoot); !strings.Contains(line.Text, "ext3") {
		t.Errorf("node1 root is not ext3: %q", line.Text)
	}
}

// Two nodes boot at once from one NFS export of nfs-ganesha in a private
// network namespace, node1 over NFSv4.1 and node2 over NFSv3; each writes a
// file to the shared root and reads the other's.
func TestLabNFS(t *testing.T) {
	requireLab(t)
	k := getKit(t)
	ctx := context.Background()
	tree := labTree(t, k, 2)
	lab, err := netlab.New(ctx, netlab.Options{Taps: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	srv, err := ganesha.Start(ctx, ganesha.Config{
		NetNS: lab.NS, Addr: lab.Addr.Addr(), Export: tree.Dir, StateDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Registered after the lab's cleanup, so it runs first.
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	run := fmt.Sprint(time.Now().UnixNano())
	mounts := map[int][]string{
		1: {"osr.fstype=nfs4", "osr.root=nfs:" + srv.V4Source(), "osr.flags=vers=4.1"},
		2: {"osr.root=nfs:" + srv.V3Source(), "osr.flags=" + srv.V3Options()},
	}
	var boots []qemu.Boot
	for id := 1; id <= 2; id++ {
		params := append([]string{"osr.node=mac", "osr.ip=map"}, mounts[id]...)
		m := machine(t, k, fmt.Sprintf("nfs-node%d", id), "nfs", append(params, sharedroot.PeersParams(2, run)...)...)
		m.NetNS = lab.NS
		m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: lab.Tap(id)}}
		boots = append(boots, qemu.Boot{Machine: m, Expect: append(identity(id),
			sharedroot.MarkerPeers+"written by node1;written by node2;")})
	}
	results, err := qemu.Run(ctx, boots...)
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int]string{1: "nfs4", 2: "nfs"} {
		line, _ := results[id-1].Console.Find(sharedroot.MarkerRoot)
		if f := strings.Fields(strings.TrimPrefix(line.Text, sharedroot.MarkerRoot)); len(f) < 3 || f[2] != want {
			t.Errorf("node%d root is not %s: %q", id, want, line.Text)
		}
	}
}

// A GFS2 (lock_nolock) image is filled by a populate boot, then a node
// boots from it.
func TestLabGFS2Populate(t *testing.T) {
	requireLab(t)
	k := getKit(t)
	ctx := context.Background()
	tree := labTree(t, k, 1)
	img := filepath.Join(t.TempDir(), "root.gfs2")
	if err := sharedroot.MakeGFS2(ctx, img, 256, sharedroot.GFS2Options{LockProto: "lock_nolock", Table: "osrc:root", Journals: 2}); err != nil {
		t.Fatal(err)
	}
	pop, err := sharedroot.Populate(ctx, machine(t, k, "gfs2-populate", "gfs2"), tree, img)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := pop.Marker(sharedroot.PopulateDone)
	t.Logf("populated after %v, qemu ran %v", at.Round(time.Millisecond), pop.Wall.Round(time.Millisecond))

	m := machine(t, k, "gfs2-node1", "gfs2", "osr.node=1")
	m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
	results, err := qemu.Run(ctx, qemu.Boot{Machine: m, Expect: append(identity(1), sharedroot.MarkerRoot+"/dev/vda / gfs2")})
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
}

// An OCFS2 volume in o2cb cluster mode is filled by a populate boot (a
// one-node cluster on the loopback address), then two nodes mount it read-
// write at once from one image over the lab network, each reading the file
// the other wrote.
func TestLabOCFS2(t *testing.T) {
	requireLab(t)
	k := getKit(t)
	ctx := context.Background()
	tree := labTree(t, k, 2)
	img := filepath.Join(t.TempDir(), "root.ocfs2")
	if err := sharedroot.MakeOCFS2(ctx, img, 256, sharedroot.OCFS2Options{Cluster: "osrc", Slots: 2}); err != nil {
		t.Fatal(err)
	}
	hb, err := sharedroot.ReadHeartbeat(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	pop, err := sharedroot.Populate(ctx, machine(t, k, "ocfs2-populate", "ocfs2",
		"osr.node=1", hb.Param(), "osr.o2nodes=1:127.0.0.1"), tree, img)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := pop.Marker(sharedroot.PopulateDone)
	t.Logf("populated after %v, qemu ran %v", at.Round(time.Millisecond), pop.Wall.Round(time.Millisecond))

	lab, err := netlab.New(ctx, netlab.Options{Taps: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	members := fmt.Sprintf("osr.o2nodes=1:%s,2:%s", lab.NodeAddr(1).Addr(), lab.NodeAddr(2).Addr())
	run := fmt.Sprint(time.Now().UnixNano())
	var boots []qemu.Boot
	for id := 1; id <= 2; id++ {
		params := append([]string{"osr.node=mac", "osr.ip=map", hb.Param(), members}, sharedroot.PeersParams(2, run)...)
		m := machine(t, k, fmt.Sprintf("ocfs2-node%d", id), "ocfs2", params...)
		m.NetNS = lab.NS
		m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: lab.Tap(id)}}
		m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Shared}}
		// A node that powers off while its peer still holds cluster locks
		// of it makes the peer wait for its death detection: end both at
		// the end of their init instead.
		m.StopAfter = sharedroot.MarkerDone
		boots = append(boots, qemu.Boot{Machine: m, Expect: append(identity(id),
			sharedroot.MarkerRoot+"/dev/vda / ocfs2",
			sharedroot.MarkerPeers+"written by node1;written by node2;")})
	}
	results, err := qemu.Run(ctx, boots...)
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
}

// The console is interactive: a guest stopped in a shell takes commands
// from the test, and Kill ends it. Tests of the rescue shell and of the
// break parameter stand on this.
func TestLabInteractiveShell(t *testing.T) {
	requireLab(t)
	k := getKit(t)
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	tree := labTree(t, k, 1)
	img := filepath.Join(t.TempDir(), "root.ext3")
	if err := sharedroot.MakeExt3(ctx, tree, img, 64); err != nil {
		t.Fatal(err)
	}
	m := machine(t, k, "shell", "ext3", "osr.node=1", "osr.shell=1")
	m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
	in, err := qemu.Start(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Kill()
	if _, err := in.WaitFor(ctx, "OSR-INITRD: mounted"); err != nil {
		t.Fatal(err)
	}
	// The shell may start reading only after its prompt; repeat the command
	// until its output shows.
	ask := "cat /newroot/.cluster/cdsl/1/etc/hostname | sed s/^/SHELL-SAYS-/\n"
	var answered time.Duration
	for i := 0; i < 30 && answered == 0; i++ {
		if err := in.Send(ask); err != nil {
			t.Fatal(err)
		}
		wait, stop := context.WithTimeout(ctx, 2*time.Second)
		answered, _ = in.WaitFor(wait, "SHELL-SAYS-node1")
		stop()
	}
	if answered == 0 {
		_, err := in.WaitFor(ctx, "SHELL-SAYS-node1")
		t.Fatalf("the shell did not answer: %v", err)
	}
	in.Kill()
	if _, err := in.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait after Kill = %v", err)
	}
}

// A node whose MAC is in no node map stops with a message naming the MAC,
// and powers off instead of hanging.
func TestLabUnknownMAC(t *testing.T) {
	requireLab(t)
	k := getKit(t)
	ctx := context.Background()
	tree := labTree(t, k, 1)
	img := filepath.Join(t.TempDir(), "root.ext3")
	if err := sharedroot.MakeExt3(ctx, tree, img, 64); err != nil {
		t.Fatal(err)
	}
	m := machine(t, k, "stranger", "ext3", "osr.node=mac")
	m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
	m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(9)}}
	results, err := qemu.Run(ctx, qemu.Boot{Machine: m,
		Expect: []string{"OSR-INITRD: FAILED: MAC 52:54:00:00:01:09 is not in /etc/osr-nodemap"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, booted := results[0].Marker(sharedroot.MarkerHostname); booted {
		t.Error("a node with an unknown MAC reached the root's init")
	}
}
