// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/open-sharedroot/osr/framework/pxe"
	"github.com/open-sharedroot/osr/test/e2e/dnsmasq"
	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// runPXE is make demo BOOT=pxe: the nodes (CLUSTER's, else node1 and node2)
// boot over the network from what osr pxe wrote, served by dnsmasq (DHCP and
// TFTP) in a private namespace, with qemu's iPXE boot ROM, and mount one
// NFSv4.1 shared root from nfs-ganesha.
func (d clusterDemo) runPXE(ctx context.Context) error {
	if d.fs != "nfs" || d.kill != "" {
		return fmt.Errorf("BOOT=pxe boots the nodes from an NFS root: drop FS= and KILL=")
	}
	if _, err := qemu.FindNetBootROM(); err != nil {
		return fmt.Errorf("BOOT=pxe: %w", err)
	}
	return d.withLab(ctx, "", nil, func(l *demoLab) error { return d.bootPXE(ctx, l) })
}

// bootPXE serves the shared root, the image and the boot entries in l and
// network-boots the nodes.
func (d clusterDemo) bootPXE(ctx context.Context, l *demoLab) error {
	work, name, nodes, k, kit, tree, lab := l.work, l.name, l.nodes, l.kernel, l.kit, l.tree, l.net
	step("serving the shared root with nfs-ganesha (NFSv4.1)")
	srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: lab.NS, Addr: lab.Addr.Addr(), Export: tree.Dir, StateDir: filepath.Join(work, "ganesha")})
	if err != nil {
		return err
	}
	defer srv.Stop()
	for i := range nodes {
		nodes[i].RootFS, nodes[i].Root = "nfs4", srv.V4Source()
	}
	conf := filepath.Join(work, "cluster.conf")
	if err := osrlab.WriteClusterConf(conf, name, nodes); err != nil {
		return err
	}
	step("osr build --driver nfs")
	img, summary, err := kit.Build(ctx, work, "nfs", conf, "")
	if err != nil {
		return err
	}
	fmt.Print(indent(summary + "\n"))

	tftp := filepath.Join(work, "tftp")
	step("osr pxe --output %s", tftp)
	args := []string{"pxe", "--cluster", conf, "--kernel", k.Vmlinuz, "--initrd", img, "--output", tftp}
	for _, a := range append([]string{"console=ttyS0", "panic=-1", "loglevel=4"}, sharedroot.PeersParams(len(nodes), demoRun)...) {
		args = append(args, "--append", a)
	}
	out, err := kit.OSR(ctx, args...)
	if err != nil {
		return err
	}
	fmt.Print(indent(out))

	step("dnsmasq (DHCP and TFTP) on the lab's bridge, boot file %s", pxe.IPXEMenu)
	free := freeRange(lab.Addr, nodes)
	if len(free) < 2 {
		return fmt.Errorf("no free addresses in %s for DHCP", lab.Addr)
	}
	dhcp, err := dnsmasq.Start(ctx, dnsmasq.Config{NetNS: lab.NS, Interface: netlab.Bridge, RangeStart: free[0], RangeEnd: free[1],
		Prefix: lab.Addr, TFTPRoot: tftp, BootFile: pxe.IPXEMenu, StateDir: filepath.Join(work, "dnsmasq")})
	if err != nil {
		return err
	}
	defer dhcp.Stop()

	step("network-booting %s at once (qemu's iPXE ROM, software emulation)", nodeNames(nodes))
	var boots []qemu.Boot
	for i, n := range nodes {
		nic, err := qemu.NetBootNIC(n.MAC, lab.Tap(i+1))
		if err != nil {
			return err
		}
		boots = append(boots, qemu.Boot{Machine: qemu.Machine{
			Name: n.NodeName(), NetBoot: true, MemoryMB: 1024, NICs: []qemu.NIC{nic}, NetNS: lab.NS,
			LogPath: filepath.Join(work, n.NodeName()+".log"), FirmwareLog: filepath.Join(work, n.NodeName()+".firmware.log"),
			Timeout: 2 * osrlab.BootTimeout,
		}, Expect: []string{sharedroot.MarkerHostname + n.NodeName(), sharedroot.MarkerDone, sharedroot.MarkerPeers}})
	}
	start := time.Now()
	results, err := qemu.Run(ctx, boots...)
	if err != nil {
		return fmt.Errorf("%w\n(dnsmasq's log: %s)", err, dhcp.LogPath())
	}
	log := dhcp.Log()
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tMAC\tENTRY SERVED\tHOSTNAME\tROOT\tBOOTED\tWALL")
	for i, r := range results {
		script := pxe.IPXEDir + "/" + pxe.Hyphens(nodes[i].MAC) + ".ipxe"
		served := "no"
		if strings.Contains(log, script) {
			served = script
		}
		host, _ := r.Console.Find(sharedroot.MarkerHostname)
		root, _ := r.Console.Find(sharedroot.MarkerRoot)
		done, _ := r.Console.Find(sharedroot.MarkerDone)
		fields := strings.Fields(strings.TrimPrefix(root.Text, sharedroot.MarkerRoot))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1fs\t%.1fs\n", r.Name, nodes[i].MAC, served, strings.TrimPrefix(host.Text, sharedroot.MarkerHostname),
			strings.Join(fields[:min(3, len(fields))], " "), done.At.Seconds(), r.Wall.Seconds())
		if served == "no" {
			tw.Flush()
			return fmt.Errorf("%s booted, but dnsmasq never served its entry %s", r.Name, script)
		}
	}
	tw.Flush()
	fmt.Printf("\n%d nodes booted over the network from one shared root, each as itself, in %.1fs\n", len(results), time.Since(start).Seconds())
	return nil
}

// freeRange returns the first and last address of the longest run of up to
// 40 consecutive addresses of p (neither the network nor the broadcast
// address) that are neither the host's nor a node's, for DHCP: the nodes
// with static addresses take a lease too while their boot ROM loads.
func freeRange(p netip.Prefix, nodes []osrlab.Node) []netip.Addr {
	used := map[netip.Addr]bool{p.Addr(): true}
	for _, n := range nodes {
		if a, err := netip.ParseAddr(n.IP); err == nil {
			used[a] = true
		}
	}
	subnet := p.Masked()
	var best, run []netip.Addr
	for a := subnet.Addr().Next(); subnet.Contains(a.Next()); a = a.Next() {
		if used[a] {
			run = nil
			continue
		}
		if run = append(run, a); len(run) > len(best) {
			best = run
		}
		if len(best) == 40 {
			break
		}
	}
	if len(best) < 2 {
		return nil
	}
	return []netip.Addr{best[0], best[len(best)-1]}
}
