// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/open-sharedroot/osr/framework/cluster"
	"github.com/open-sharedroot/osr/test/e2e/fencehost"
	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// clusterDemo is the demo as FS=, CLUSTER= and KILL= choose it.
type clusterDemo struct {
	// fs is the root filesystem: nfs, gfs2, ocfs2 or ext3.
	fs string
	// clusterFile, when set, is the cluster.conf whose nodes boot.
	clusterFile string
	// kill names the node to kill once all are up.
	kill string
	keep bool
}

// demoFromEnv reads FS, CLUSTER and KILL; ok is false for the plain demo (two
// nodes on NFS), which main runs as before.
func demoFromEnv(keep bool) (clusterDemo, bool, error) {
	d := clusterDemo{fs: os.Getenv("FS"), clusterFile: os.Getenv("CLUSTER"), kill: os.Getenv("KILL"), keep: keep}
	if d.fs == "" {
		d.fs = "nfs"
	}
	switch d.fs {
	case "nfs", "gfs2", "ocfs2", "ext3":
	default:
		return d, false, fmt.Errorf("FS=%s: want nfs, gfs2, ocfs2 or ext3", d.fs)
	}
	return d, d.fs != "nfs" || d.clusterFile != "" || d.kill != "", nil
}

const (
	demoFencePort = 2222
	demoRun       = "demo"
)

// demoNodes are the nodes to boot: those of CLUSTER (names, ids, MACs, first
// static addresses and netmasks, cluster name), else node1 and node2 in the lab's
// default subnet.
func (d clusterDemo) demoNodes() (string, []osrlab.Node, netip.Prefix, error) {
	if d.clusterFile == "" {
		var ns []osrlab.Node
		for id := 1; id <= 2; id++ {
			ns = append(ns, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: netip.AddrFrom4([4]byte{192, 168, 122, byte(10 + id)}).String(), Mask: "255.255.255.0"})
		}
		return "osrdemo", ns, netlab.DefaultPrefix, nil
	}
	c, err := cluster.Load(d.clusterFile)
	if err != nil {
		return "", nil, netip.Prefix{}, fmt.Errorf("CLUSTER=%s: %w", d.clusterFile, err)
	}
	if c.Name == "" {
		return "", nil, netip.Prefix{}, fmt.Errorf("CLUSTER=%s: the cluster has no name", d.clusterFile)
	}
	var ns []osrlab.Node
	var subnet netip.Prefix
	for _, n := range c.Nodes {
		var nic *cluster.NIC
		for i := range n.NICs {
			if n.NICs[i].IP != "" && !n.NICs[i].IsDHCP() && n.NICs[i].MAC != "" {
				nic = &n.NICs[i]
				break
			}
		}
		if nic == nil {
			return "", nil, netip.Prefix{}, fmt.Errorf("%s: node %s has no NIC with a MAC and a static address; the demo boots each node on one", n.Pos, n.Name)
		}
		addr, err := netip.ParseAddr(nic.IP)
		if err != nil {
			return "", nil, netip.Prefix{}, fmt.Errorf("%s: node %s: %w", nic.Pos, n.Name, err)
		}
		bits, err := maskBits(nic.Mask)
		if err != nil {
			return "", nil, netip.Prefix{}, fmt.Errorf("%s: node %s: %w", nic.Pos, n.Name, err)
		}
		p := netip.PrefixFrom(addr, bits).Masked()
		if subnet.IsValid() && p != subnet {
			return "", nil, netip.Prefix{}, fmt.Errorf("%s: node %s is in %s, the others in %s; the demo puts all nodes on one bridge", nic.Pos, n.Name, p, subnet)
		}
		subnet = p
		ns = append(ns, osrlab.Node{ID: n.ID, Name: n.Name, MAC: strings.ToLower(nic.MAC), IP: nic.IP, Mask: nic.Mask})
	}
	if len(ns) == 0 {
		return "", nil, netip.Prefix{}, fmt.Errorf("CLUSTER=%s has no nodes", d.clusterFile)
	}
	// The host side of the bridge takes the subnet's highest address no node uses.
	host := lastFree(subnet, ns)
	if !host.IsValid() {
		return "", nil, netip.Prefix{}, fmt.Errorf("CLUSTER=%s: no free address in %s for the host", d.clusterFile, subnet)
	}
	return c.Name, ns, netip.PrefixFrom(host, subnet.Bits()), nil
}

func maskBits(mask string) (int, error) {
	if mask == "" {
		return 24, nil
	}
	var n int
	if _, err := fmt.Sscanf(mask, "%d", &n); err == nil && !strings.Contains(mask, ".") {
		return n, nil
	}
	a, err := netip.ParseAddr(mask)
	if err != nil || !a.Is4() {
		return 0, fmt.Errorf("netmask %q: want a dotted IPv4 mask or a prefix length", mask)
	}
	b := a.As4()
	bits := 0
	for _, x := range b {
		for i := 7; i >= 0; i-- {
			if x&(1<<i) == 0 {
				return bits, nil
			}
			bits++
		}
	}
	return bits, nil
}

func lastFree(p netip.Prefix, ns []osrlab.Node) netip.Addr {
	used := map[string]bool{}
	for _, n := range ns {
		used[n.IP] = true
	}
	var last netip.Addr
	for a := p.Addr().Next(); p.Contains(a); a = a.Next() {
		if !used[a.String()] && p.Contains(a.Next()) {
			last = a
		}
	}
	return last
}

// runCluster boots the chosen nodes on the chosen filesystem and, with KILL,
// kills one and shows the survivors' fencing, recovery and next write. Any step
// that did not happen is an error.
func (d clusterDemo) run(ctx context.Context) error {
	check := func(nodes []osrlab.Node) error {
		switch {
		case d.kill == "":
			return nil
		case !hasNode(nodes, d.kill):
			return fmt.Errorf("KILL=%s: no such node (the nodes are %s)", d.kill, nodeNames(nodes))
		case len(nodes) < 2:
			return fmt.Errorf("KILL=%s: a survivor is needed; the cluster has one node", d.kill)
		case d.fs == "ext3":
			return fmt.Errorf("KILL=%s with FS=ext3: ext3 nodes each boot a private copy of the image, so no node can recover another; use FS=gfs2, ocfs2 or nfs", d.kill)
		}
		return nil
	}
	return d.withLab(ctx, "(hostname and marker hostdependent by osr cdsl)", check, func(l *demoLab) error {
		if err := l.tree.UseClusterInit(); err != nil {
			return err
		}
		b := &demoBoot{d: d, kit: l.kit, work: l.work, lab: l.net, nodes: l.nodes, name: l.name, tree: l.tree}
		if err := b.prepare(ctx); err != nil {
			return err
		}
		defer b.close()
		return b.boot(ctx)
	})
}

// demoBoot is one run of the cluster demo.
type demoBoot struct {
	d     clusterDemo
	kit   *osrlab.Kit
	work  string
	lab   *netlab.Lab
	nodes []osrlab.Node
	name  string
	tree  *sharedroot.Tree

	disk    qemu.Disk
	initrd  string
	fence   *fencehost.Server
	closers []func() error
	proto   string
}

func (b *demoBoot) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// prepare makes the root filesystem, the cluster.conf and the initrd.
func (b *demoBoot) prepare(ctx context.Context) error {
	conf := filepath.Join(b.work, "cluster.conf")
	osrHCL := ""
	host := b.lab.Addr.Addr().String()
	for i := range b.nodes {
		b.nodes[i].RootFS, b.nodes[i].Root = b.d.fs, "/dev/vda"
	}
	switch b.d.fs {
	case "nfs":
		step("serving the shared root with nfs-ganesha (NFSv4.1)")
		srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: b.lab.NS, Addr: b.lab.Addr.Addr(), Export: b.tree.Dir, StateDir: filepath.Join(b.work, "ganesha")})
		if err != nil {
			return err
		}
		b.closers = append(b.closers, srv.Stop)
		for i := range b.nodes {
			b.nodes[i].RootFS, b.nodes[i].Root = "nfs4", host+":"+ganesha.DefaultPseudo
		}
		b.proto = "NFSv4.1 (the server's locks)"
	case "ext3":
		img := filepath.Join(b.work, "root.ext3")
		step("ext3 image of the shared root (each node boots a private copy-on-write snapshot of it)")
		if err := sharedroot.MakeExt3(ctx, b.tree, img, 64); err != nil {
			return err
		}
		b.disk = qemu.Disk{Path: img, Mode: qemu.Snapshot}
		b.proto = "none (a private snapshot per node)"
	case "gfs2":
		img := filepath.Join(b.work, "root.gfs2")
		step("GFS2 image, lock_dlm, lock table %s:root, %d journals (populated by a qemu boot)", b.name, len(b.nodes))
		if err := sharedroot.MakeGFS2(ctx, img, 256, sharedroot.GFS2Options{LockProto: "lock_dlm", Table: b.name + ":root", Journals: len(b.nodes)}); err != nil {
			return err
		}
		if err := b.populate(ctx, img, "osr.flags=rw,lockproto=lock_nolock"); err != nil {
			return err
		}
		b.disk = qemu.Disk{Path: img, Mode: qemu.Shared}
		fh, err := fencehost.StartInNetns(b.lab.NS, fmt.Sprintf("%s:%d", host, demoFencePort))
		if err != nil {
			return err
		}
		b.closers = append(b.closers, fh.Close)
		b.fence = fh
		id, known, err := fh.WriteClientFiles(b.work)
		if err != nil {
			return err
		}
		key := make([]byte, 256)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		keyPath := filepath.Join(b.work, "authkey")
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			return err
		}
		osrHCL = fmt.Sprintf("cluster_stack {\n  authkey = %q\n  token = 5000\n  files = {\n    %q = %q\n    %q = %q\n  }\n}\n",
			keyPath, osrlab.FenceIdentityFile, id, osrlab.FenceKnownHosts, known)
		step("fence host on %s:%d: the survivors' fence agent logs in with ssh to kill a failed node's qemu", host, demoFencePort)
		b.proto = "lock_dlm (corosync + dlm_controld from the initrd, fenced by osr's agent)"
	case "ocfs2":
		img := filepath.Join(b.work, "root.ocfs2")
		step("OCFS2 image, o2cb cluster %s, %d slots (populated by a qemu boot)", b.name, len(b.nodes))
		if err := sharedroot.MakeOCFS2(ctx, img, 256, sharedroot.OCFS2Options{Cluster: b.name, Slots: len(b.nodes)}); err != nil {
			return err
		}
		hb, err := sharedroot.ReadHeartbeat(ctx, img)
		if err != nil {
			return err
		}
		if err := b.populate(ctx, img, "osr.node=1", hb.Param(), "osr.o2nodes=1:127.0.0.1"); err != nil {
			return err
		}
		b.disk = qemu.Disk{Path: img, Mode: qemu.Shared}
		osrHCL = "driver \"ocfs2\" {\n  cluster_stack   = \"o2cb\"\n  dead_threshold  = 7\n  idle_timeout_ms = 10000\n}\n"
		b.proto = "o2cb (the kernel's OCFS2 cluster stack, disk heartbeat)"
	}
	var err error
	if b.fence != nil {
		err = osrlab.WriteFencedClusterConf(conf, b.name, b.nodes, osrlab.SSHFence{Host: host, Port: demoFencePort})
	} else {
		err = osrlab.WriteClusterConf(conf, b.name, b.nodes)
	}
	if err != nil {
		return err
	}
	table, _ := b.kit.OSR(ctx, "cluster", "nodes", "--cluster", conf)
	fmt.Print(indent(table))
	step("osr build --driver %s", b.d.fs)
	img, summary, err := b.kit.Build(ctx, b.work, b.d.fs, conf, osrHCL)
	if err != nil {
		return err
	}
	fmt.Print(indent(summary + "\n"))
	b.initrd = img
	return nil
}

func (b *demoBoot) populate(ctx context.Context, img string, params ...string) error {
	initrd, err := b.kit.PopulateInitrd(ctx, b.work, b.d.fs)
	if err != nil {
		return err
	}
	m := b.kit.Machine("populate", initrd, b.work, append([]string{"osr.fstype=" + b.d.fs}, params...)...)
	_, err = sharedroot.Populate(ctx, m, b.tree, img)
	return err
}

// boot starts every node, waits until all are up, shows them, and with KILL kills
// one and follows the survivors.
func (b *demoBoot) boot(ctx context.Context) error {
	fmt.Printf("    lock protocol: %s\n", b.proto)
	step("booting %s at once (qemu, software emulation)", nodeNames(b.nodes))
	peers := len(b.nodes)
	if b.d.fs == "ext3" {
		peers = 1
	}
	ins := make([]*qemu.Instance, len(b.nodes))
	start := time.Now()
	for i, n := range b.nodes {
		m := b.kit.Machine(n.NodeName(), b.initrd, b.work, append([]string{"loglevel=7"}, sharedroot.PeersParams(peers, demoRun)...)...)
		m.Timeout = 30 * time.Minute
		m.NetNS = b.lab.NS
		m.NICs = []qemu.NIC{{MAC: n.MAC, Tap: b.lab.Tap(i + 1)}}
		if b.disk.Path != "" {
			m.Disks = []qemu.Disk{b.disk}
		}
		in, err := qemu.Start(ctx, m)
		if err != nil {
			return err
		}
		ins[i] = in
		b.closers = append(b.closers, func() error { in.Kill(); in.Wait(); return nil })
		if b.fence != nil {
			if err := b.fence.Register(n.NodeName(), in.PID()); err != nil {
				return err
			}
		}
	}
	for i, in := range ins {
		for _, text := range []string{sharedroot.MarkerHostname + b.nodes[i].NodeName(), sharedroot.MarkerDone} {
			if _, err := in.WaitFor(ctx, text); err != nil {
				return fmt.Errorf("%s did not come up: %w", b.nodes[i].NodeName(), err)
			}
		}
	}
	fmt.Printf("\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tID\tMAC\tADDRESS\tHOSTNAME\tMARKER\tROOT\tQUORATE\tMOUNTED\tUP")
	for i, in := range ins {
		n := b.nodes[i]
		host, _ := in.Console.Find(sharedroot.MarkerHostname)
		mark, _ := in.Console.Find(sharedroot.MarkerFile)
		root, _ := in.Console.Find(sharedroot.MarkerRoot)
		done, _ := in.Console.Find(sharedroot.MarkerDone)
		fields := strings.Fields(strings.TrimPrefix(root.Text, sharedroot.MarkerRoot))
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1fs\n", n.NodeName(), n.ID, n.MAC, n.IP,
			strings.TrimPrefix(host.Text, sharedroot.MarkerHostname), strings.TrimPrefix(mark.Text, sharedroot.MarkerFile),
			strings.Join(fields[:min(3, len(fields))], " "), uptimeOf(in, "cluster: quorate"), uptimeOf(in, "mount: root mounted"), done.At.Seconds())
		if n.NodeName() != strings.TrimPrefix(host.Text, sharedroot.MarkerHostname) {
			return fmt.Errorf("%s booted as %q", n.NodeName(), host.Text)
		}
	}
	tw.Flush()
	fmt.Printf("\nall %d nodes booted one shared root, each as itself, in %.1fs (QUORATE and MOUNTED: seconds since the node's kernel started)\n",
		len(ins), time.Since(start).Seconds())
	if b.d.kill == "" {
		return nil
	}
	return b.killOne(ctx, ins)
}

// killOne kills KILL's qemu and follows the first survivor: the fencing (GFS2),
// the recovery and its next write into the dead node's file.
func (b *demoBoot) killOne(ctx context.Context, ins []*qemu.Instance) error {
	var victim, survivor *qemu.Instance
	var survivorName string
	for i, n := range b.nodes {
		if n.NodeName() == b.d.kill {
			victim = ins[i]
		} else if survivor == nil {
			survivor, survivorName = ins[i], n.NodeName()
		}
	}
	step("killing %s (SIGKILL to its qemu, pid %d)", b.d.kill, victim.PID())
	before := len(survivor.Console.Lines())
	victim.Kill()
	killed := time.Now()
	if err := survivor.Send("write " + b.d.kill + "\n"); err != nil {
		return err
	}
	if _, err := survivor.Console.WaitFor(ctx, sharedroot.MarkerWrote+b.d.kill); err != nil {
		return fmt.Errorf("%s did not write after %s died: %w", survivorName, b.d.kill, err)
	}
	took := time.Since(killed)
	// The line may still be arriving: wait for its end.
	wrote, err := survivor.Console.WaitFor(ctx, sharedroot.MarkerWrote+b.d.kill+" (in ")
	for err == nil && !strings.HasSuffix(wrote.Text, "s)") && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		wrote, _ = survivor.Console.Find(sharedroot.MarkerWrote + b.d.kill)
	}
	if err != nil {
		return err
	}
	fmt.Printf("    what %s's console said meanwhile:\n", survivorName)
	lines := survivor.Console.Lines()
	for _, l := range lines[min(before, len(lines)):] {
		if interesting(l.Text) {
			fmt.Printf("      %s\n", l.Text)
		}
	}
	if b.fence != nil {
		ev, err := b.fence.WaitFenced(ctx, b.d.kill)
		if err != nil {
			return fmt.Errorf("%s was not fenced: %w", b.d.kill, err)
		}
		fmt.Printf("    fenced: %s's agent ran %q on the fence host (pid %d%s)\n", survivorName, ev.Command, ev.PID, map[bool]string{true: ", already dead", false: ""}[ev.AlreadyOff])
		if _, ok := findAfter(survivor, before, "result success"); !ok {
			return fmt.Errorf("%s shows no journal recovery of %s", survivorName, b.d.kill)
		}
	}
	fmt.Printf("    %s's next write into %s's file: %s; %.1fs after the kill\n", survivorName, b.d.kill, strings.TrimPrefix(wrote.Text, sharedroot.MarkerWrote), took.Seconds())
	return nil
}

// interesting picks the lines about fencing and recovery.
func interesting(s string) bool {
	for _, w := range []string{"fence", "recover", "dlm:", "o2net", "o2hb", "ocfs2:", "TOTEM", "QUORUM", "Members"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func findAfter(in *qemu.Instance, from int, text string) (qemu.Line, bool) {
	lines := in.Console.Lines()
	for _, l := range lines[min(from, len(lines)):] {
		if strings.Contains(l.Text, text) {
			return l, true
		}
	}
	return qemu.Line{}, false
}

// uptimeOf is the "(uptime …)" of the first line with text, or "-".
func uptimeOf(in *qemu.Instance, text string) string {
	l, ok := in.Console.Find(text)
	if !ok {
		return "-"
	}
	i := strings.Index(l.Text, "(uptime ")
	if i < 0 {
		return "-"
	}
	return strings.TrimSuffix(l.Text[i+len("(uptime "):], ")")
}

func hasNode(ns []osrlab.Node, name string) bool {
	for _, n := range ns {
		if n.NodeName() == name {
			return true
		}
	}
	return false
}

func nodeNames(ns []osrlab.Node) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.NodeName())
	}
	return strings.Join(s, ", ")
}
