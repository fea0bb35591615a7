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
	if _, err := qemu.FindNetBootROM(); err != nil {
		t.Fatal(err)
	}
	const n = 3
	ctx := context.Background()
	tree := sharedRoot(t, k, n)
	lab, srv := nfsLab(t, ctx, n, tree.Dir)
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
		nic, err := qemu.NetBootNIC(qemu.NodeMAC(id), lab.Tap(id))
		if err != nil {
			t.Fatal(err)
		}
		m := qemu.Machine{
			Name: fmt.Sprintf("pxe-node%d", id), NetBoot: true, MemoryMB: 1024,
			NICs:        []qemu.NIC{nic},
			NetNS:       lab.NS,
			LogPath:     filepath.Join(logDir, fmt.Sprintf("pxe-node%d.log", id)),
			FirmwareLog: filepath.Join(logDir, fmt.Sprintf("pxe-node%d.firmware.log", id)),
			Timeout:     osrlab.BootTimeout + osrlab.BootTimeout/2,
		}
		want := append(osrlab.Identity(id), fmt.Sprintf("node %d (%s), from nodeid=", id, osrlab.NodeName(id)),
			fmt.Sprintf("kernel command line: initrd=%s nodeid=%d ", initrdName, id), fmt.Sprintf("network: eth0 (%s)", qemu.NodeMAC(id)),
			sharedroot.MarkerRoot+srv.V4Source()+" / nfs4 rw", sharedroot.MarkerPeers+"written by node1;written by node2;written by node3;")
		if id == n {
			want = append(want, "from DHCP server "+lab.Addr.Addr().String())
		}
		boots = append(boots, qemu.Boot{Machine: m, Expect: want})
	}
	results, err := qemu.Run(ctx, boots...)
	logTimes(t, results)
	for _, r := range results {
		if r == nil {
			continue
		}
		if at, ok := r.Marker("osr init starting"); ok {
			t.Logf("%s: kernel and initrd over TFTP, osr started %.1fs after power-on", r.Name, at.Seconds())
		}
	}
	if err != nil {
		for _, b := range boots {
			if fw, rerr := os.ReadFile(b.Machine.FirmwareLog); rerr == nil {
				t.Logf("%s: SeaBIOS log:\n%s", b.Machine.Name, tail(string(fw), 15))
			}
		}
		t.Fatal(err)
	}
	// Each node fetched the script of its own MAC, then the kernel and the
	// initrd, over TFTP, at the address dnsmasq leased to that MAC.
	served, err := tftpByMAC(dhcp.Log(), tftp)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= n; id++ {
		mac := qemu.NodeMAC(id)
		script := pxe.IPXEDir + "/" + pxe.Hyphens(mac) + ".ipxe"
		for _, f := range []string{pxe.IPXEMenu, script, kernelName, initrdName} {
			if !served[mac][f] {
				t.Errorf("dnsmasq never sent %s to %s (node %d); it sent %v", f, mac, id, served[mac])
			}
		}
	}
}

// tftpByMAC reads dnsmasq's log: which files (relative to the TFTP root) it
// from root sent to each MAC, through the address it acknowledged for that
// MAC.
func tftpByMAC(log, root string) (map[string]map[string]bool, error) {
	macOf := map[string]string{}
	out := map[string]map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.HasPrefix(f[0], "dnsmasq-dhcp[") && strings.HasPrefix(f[2], "DHCPACK("):
			macOf[f[3]] = strings.ToLower(f[4])
		case len(f) == 5 && strings.HasPrefix(f[0], "dnsmasq-tftp[") && f[1] == "sent" && f[3] == "to":
			mac, ok := macOf[f[4]]
			if !ok {
				return nil, fmt.Errorf("dnsmasq sent %s to %s, an address it never acknowledged: %q", f[2], f[4], line)
			}
			rel, err := filepath.Rel(root, f[2])
			if err != nil || strings.HasPrefix(rel, "..") {
				return nil, fmt.Errorf("dnsmasq sent %s, outside the TFTP root %s", f[2], root)
			}
			if out[mac] == nil {
				out[mac] = map[string]bool{}
			}
			out[mac][rel] = true
		}
	}
	return out, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
