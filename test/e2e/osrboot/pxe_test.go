// SPDX-License-Identifier: Apache-2.0

package osrboot

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-sharedroot/osr/framework/pxe"
	"github.com/open-sharedroot/osr/test/e2e/dnsmasq"
	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// Three nodes boot at once over the network: qemu's iPXE boot ROM asks
// dnsmasq (DHCP and TFTP in the test's network namespace) for the boot
// file, which is the iPXE menu `osr pxe` wrote; the menu chains the script
// of the booting NIC's MAC, which loads the kernel and the osr initrd over
// TFTP with that node's parameters. Each node then mounts the shared root
// from nfs-ganesha over NFSv4.1 (two with the static address of the
// cluster configuration, one by DHCP from dnsmasq), proves its identity
// and reads what the others wrote.
func TestPXEBootThreeNodes(t *testing.T) {
	k := getKit(t)
	if _, err := exec.LookPath("dnsmasq"); err != nil {
		t.Fatal("dnsmasq is missing: run scripts/install-deps.sh (make deps)")
	}
	if _, err := os.Stat(qemu.NetBootROM); err != nil {
		t.Fatalf("the iPXE boot ROM is missing (%v): run scripts/install-deps.sh (make deps)", err)
	}
	const n = 3
	ctx := context.Background()
	tree := sharedRoot(t, k, n)
	lab, err := netlab.New(ctx, netlab.Options{Taps: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: lab.NS, Addr: lab.Addr.Addr(), Export: tree.Dir, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	var nodes []osrlab.Node
	for id := 1; id <= n; id++ {
		node := osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), RootFS: "nfs4", Root: srv.V4Source()}
		if id < n { // the last node takes its address by DHCP
			node.IP, node.Mask = lab.NodeAddr(id).Addr().String(), "255.255.255.0"
		}
		nodes = append(nodes, node)
	}
	clusterFile := clusterConf(t, "osrpxe", nodes)
	initrd := build(t, k, "nfs", clusterFile, "")

	// osr pxe writes the TFTP root.
	tftp := filepath.Join(t.TempDir(), "tftp")
	args := []string{"pxe", "--cluster", clusterFile, "--kernel", k.Kernel.Vmlinuz, "--initrd", initrd, "--output", tftp}
	for _, a := range append([]string{"console=ttyS0", "panic=-1", "loglevel=4"}, sharedroot.PeersParams(n, "pxe")...) {
		args = append(args, "--append", a)
	}
	summary, err := k.OSR(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("osr pxe:\n%s", summary)
	kernelName, initrdName := filepath.Base(k.Kernel.Vmlinuz), filepath.Base(initrd)
	base := lab.Addr.Masked().Addr().As4()
	base[3] = 150
	start := netip.AddrFrom4(base)
	base[3] = 199
	dhcp, err := dnsmasq.Start(ctx, dnsmasq.Config{NetNS: lab.NS, Interface: netlab.Bridge, RangeStart: start, RangeEnd: netip.AddrFrom4(base),
		Prefix: lab.Addr, TFTPRoot: tftp, BootFile: pxe.IPXEMenu, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dhcp.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("dnsmasq log:\n%s", dhcp.Log())
		}
	})

	logDir := t.TempDir()
	if d := os.Getenv("OSR_E2E_LOGDIR"); d != "" {
		logDir = filepath.Join(d, t.Name())
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var boots []qemu.Boot
	for id := 1; id <= n; id++ {
		m := qemu.Machine{
			Name: fmt.Sprintf("pxe-node%d", id), NetBoot: true, MemoryMB: 1024,
			NICs:    []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: lab.Tap(id), ROM: qemu.NetBootROM}},
			NetNS:   lab.NS,
			LogPath: filepath.Join(logDir, fmt.Sprintf("pxe-node%d.log", id)),
			Timeout: osrlab.BootTimeout + osrlab.BootTimeout/2,
		}
		want := append(osrlab.Identity(id), fmt.Sprintf("node %d (%s), from nodeid=", id, osrlab.NodeName(id)),
			sharedroot.MarkerRoot+srv.V4Source()+" / nfs4 rw", sharedroot.MarkerPeers+"written by node1;written by node2;written by node3;")
		if id == n {
			want = append(want, "from DHCP server "+lab.Addr.Addr().String())
		}
		boots = append(boots, qemu.Boot{Machine: m, Expect: want})
	}
	results, err := qemu.Run(ctx, boots...)
	logTimes(t, results)
	if err != nil {
		t.Fatal(err)
	}
	// Each node fetched the script of its own MAC, and the kernel and the
	// initrd, over TFTP.
	log := dhcp.Log()
	for id := 1; id <= n; id++ {
		script := pxe.IPXEDir + "/" + pxe.Hyphens(qemu.NodeMAC(id)) + ".ipxe"
		if !strings.Contains(log, script) {
			t.Errorf("dnsmasq never sent %s (node %d's entry)", script, id)
		}
	}
	for _, f := range []string{kernelName, initrdName} {
		if strings.Count(log, f+" to ") < n {
			t.Errorf("dnsmasq sent %s fewer than %d times", f, n)
		}
	}
}
