// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// Two nodes boot one ext3 image (each with a private overlay), found by MAC; each
// prints its own hostdependent hostname and marker, and shows the extra
// filesystem of its com_info (a tmpfs on /srv/scratch-%(param0)s) mounted on
// its own /srv/scratch-ID. On each CPU model: the ext3 driver asks for crc32c,
// which qemu's default model gets from crc32c_generic because crc32c_intel
// needs SSE4.2. The image with the driver program boots on the default model,
// the one with the built-in driver on -cpu max.
func TestExt3TwoNodes(t *testing.T) {
	k := getKit(t)
	tree := sharedRoot(t, k, 2)
	for id := 1; id <= 2; id++ {
		if err := os.MkdirAll(tree.Path(fmt.Sprintf("srv/scratch-%d", id)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(t.TempDir(), "root.ext3")
	if err := sharedroot.MakeExt3(context.Background(), tree, img, 64); err != nil {
		t.Fatal(err)
	}
	var nodes []osrlab.Node
	for id := 1; id <= 2; id++ {
		nodes = append(nodes, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: fmt.Sprintf("10.0.2.%d", 14+id), Mask: "255.255.255.0", RootFS: "ext3", Root: "/dev/vda",
			Filesystems: []osrlab.Filesystem{{Source: "scratch%(param0)s", Dest: "/srv/scratch-%(param0)s", FSType: "tmpfs", MountOpts: "size=4m"}}})
	}
	conf := clusterConf(t, "osrext", nodes)
	// Each init boots on both CPU models across this test and TestNFSTwoNodes:
	// here the image with the driver program (osr-init-plugin) on the default
	// model and the built-in driver (osr-init) on -cpu max; there the reverse.
	for _, v := range []struct {
		name   string
		cpu    cpuModel
		initrd string
	}{
		{"program", cpuDefault, buildProgram(t, k, "ext3", conf, "")},
		{"built-in", cpuMax, build(t, k, "ext3", conf, "")},
	} {
		t.Run(v.name+"/"+v.cpu.name, func(t *testing.T) {
			var boots []qemu.Boot
			for id := 1; id <= 2; id++ {
				m := machine(t, k, fmt.Sprintf("ext3-node%d", id), v.initrd)
				m.CPU = v.cpu.model
				m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
				m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id)}}
				boots = append(boots, qemu.Boot{Machine: m, Expect: append(osrlab.Identity(id), sharedroot.MarkerRoot+"/dev/vda / ext3 ro",
					fmt.Sprintf("%sscratch%d /srv/scratch-%d tmpfs;", sharedroot.MarkerExtra, id, id))})
			}
			results, err := qemu.Run(context.Background(), boots...)
			logTimes(t, results)
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Two nodes boot at once from one NFS export of nfs-ganesha in a private network
// namespace: over NFSv4.1 as the cluster configuration says (on qemu's default CPU
// model), then over NFSv3 with rootfs= and root= on the kernel command line (on
// -cpu max). Each writes to the shared root and reads what the other wrote. The
// NFSv4.1 image has the nfs driver built in (osr-init calls it in process); the
// NFSv3 image has it as a program of its own, as a third party's driver is
// (osr-init-plugin starts it over go-plugin).
func TestNFSTwoNodes(t *testing.T) {
	k := getKit(t)
	tree := sharedRoot(t, k, 2)
	ctx := context.Background()
	lab, _ := nfsLab(t, ctx, 2, tree.Dir)
	server := lab.Addr.Addr().String()
	var nodes []osrlab.Node
	for id := 1; id <= 2; id++ {
		nodes = append(nodes, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: lab.NodeAddr(id).Addr().String(), Mask: "255.255.255.0",
			RootFS: "nfs4", Root: server + ":" + ganesha.DefaultPseudo})
	}
	conf := clusterConf(t, "osrnfs", nodes)
	builtIn, program := build(t, k, "nfs", conf, ""), buildProgram(t, k, "nfs", conf, "")
	for _, v := range []struct {
		name   string
		params []string
		want   string
		cpu    cpuModel
		initrd string
	}{
		{"v4", nil, server + ":" + ganesha.DefaultPseudo + " / nfs4 rw", cpuDefault, builtIn},
		{"v3", []string{"rootfs=nfs", "root=" + server + ":" + tree.Dir}, server + ":" + tree.Dir + " / nfs rw", cpuMax, program},
	} {
		t.Run(v.name+"/"+v.cpu.name, func(t *testing.T) {
			var boots []qemu.Boot
			for id := 1; id <= 2; id++ {
				params := append([]string{}, v.params...)
				params = append(params, sharedroot.PeersParams(2, v.name)...)
				m := machine(t, k, fmt.Sprintf("nfs%s-node%d", v.name, id), v.initrd, params...)
				m.CPU = v.cpu.model
				m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: lab.Tap(id)}}
				m.NetNS = lab.NS
				boots = append(boots, qemu.Boot{Machine: m, Expect: append(osrlab.Identity(id),
					sharedroot.MarkerRoot+v.want, sharedroot.MarkerPeers+"written by node1;written by node2;")})
			}
			results, err := qemu.Run(ctx, boots...)
			logTimes(t, results)
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A node whose MAC is not in the cluster configuration stops at identify with an
// error naming the MACs it saw and how to set nodeid=, and opens the rescue shell.
func TestWrongMACGivesRescueShell(t *testing.T) {
	k := getKit(t)
	nodes := []osrlab.Node{
		{ID: 1, MAC: qemu.NodeMAC(1), IP: "10.0.2.15", Mask: "255.255.255.0", RootFS: "ext3", Root: "/dev/vda"},
		{ID: 2, MAC: qemu.NodeMAC(2), IP: "10.0.2.16", Mask: "255.255.255.0", RootFS: "ext3", Root: "/dev/vda"},
	}
	initrd := build(t, k, "ext3", clusterConf(t, "osrmac", nodes), "")
	stranger := "52:54:00:99:99:99"
	m := machine(t, k, "stranger", initrd)
	m.NICs = []qemu.NIC{{MAC: stranger}}
	m.StopAfter = "this is a rescue shell"
	results, err := qemu.Run(context.Background(), qemu.Boot{Machine: m, Expect: []string{
		`FAILED step "identify"`,
		"none of this machine's MACs belongs to a node of the cluster configuration (2 nodes)",
		stranger,
		"nodeid=<id>",
		"this is a rescue shell",
	}})
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
}

// A break parameter stops the boot before the named step with a shell.
func TestBreakStopsAtStep(t *testing.T) {
	k := getKit(t)
	nodes := []osrlab.Node{{ID: 1, MAC: qemu.NodeMAC(1), IP: "10.0.2.15", Mask: "255.255.255.0", RootFS: "ext3", Root: "/dev/vda"}}
	initrd := build(t, k, "ext3", clusterConf(t, "osrbrk", nodes), "")
	for _, param := range []string{"osr.break=mount", "com-step=mount"} {
		t.Run(strings.ReplaceAll(param, "=", "_"), func(t *testing.T) {
			m := machine(t, k, "break", initrd, param)
			m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(1)}}
			m.StopAfter = "type 'exit' to go on with the boot"
			results, err := qemu.Run(context.Background(), qemu.Boot{Machine: m, Expect: []string{
				"network: done", `osr: break before step "mount"`, "type 'exit' to go on with the boot",
			}})
			logTimes(t, results)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := results[0].Console.Find("mounted /dev/vda"); ok {
				t.Errorf("the boot went past the break")
			}
		})
	}
}
