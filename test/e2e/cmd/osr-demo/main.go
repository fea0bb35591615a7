// SPDX-License-Identifier: Apache-2.0

// Command osr-demo is `make demo`: it builds osr, fetches Debian's kernel, makes a
// shared root whose hostname and marker are hostdependent CDSLs, builds the initrd
// with `osr build --driver nfs`, serves the root with nfs-ganesha inside a private
// network namespace, boots two nodes from it under qemu at once, and shows what each
// node says it is and how long each took.
//
// Run it as root from the repository (it creates a network namespace and taps):
//
//	go run ./test/e2e/cmd/osr-demo
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/open-sharedroot/osr/internal/testkernel"
	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

func main() {
	keep := flag.Bool("keep", false, "keep the work directory (shared root, initrd, console logs)")
	osName := flag.String("os", os.Getenv("OS"), "the OS the nodes boot: empty for the busybox root, debian for Debian 12 with systemd (make demo OS=debian)")
	execCmd := flag.String("exec", os.Getenv("EXEC"), "with -os debian: a shell command run on every node over ssh (make demo EXEC='…')")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	switch *osName {
	case "":
		if *execCmd != "" {
			err = fmt.Errorf("EXEC needs a real OS with sshd: add OS=debian")
		} else if d, custom, derr := demoFromEnv(*keep); derr != nil {
			err = derr
		} else if boot := os.Getenv("BOOT"); boot == "pxe" {
			err = d.runPXE(ctx)
		} else if boot != "" {
			err = fmt.Errorf("BOOT=%s: the demo boots with BOOT=pxe (over the network) or, without BOOT, the kernel and initrd given to qemu", boot)
		} else if custom {
			err = d.run(ctx)
		} else {
			err = run(ctx, *keep)
		}
	case "debian":
		err = runDebianFromEnv(ctx, *execCmd, *keep)
	default:
		err = fmt.Errorf("OS=%s: the demo boots OS=debian (Debian 12 with systemd) or, without OS, a busybox root", *osName)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "osr-demo: %v\n", err)
		os.Exit(1)
	}
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

func run(ctx context.Context, keep bool) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the demo needs root (a network namespace, tap devices, an NFS server); run it as root")
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "osr-demo-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Printf("work directory kept: %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}

	step("fetching Debian's kernel (apt-get download, unpacked into %s)", testkernel.CacheDir())
	k, err := testkernel.Fetch(ctx, testkernel.Options{})
	if err != nil {
		return err
	}
	fmt.Printf("    kernel %s\n", k.Version)
	step("building osr and its drivers")
	kit, err := osrlab.NewKit(ctx, repo, k)
	if err != nil {
		return err
	}
	defer kit.Close()

	step("making the shared root with osr cdsl (/etc/hostname and /etc/osr-marker hostdependent)")
	rootDir := filepath.Join(work, "root")
	tree, err := kit.SharedRoot(ctx, rootDir, 2)
	if err != nil {
		return err
	}
	list, _ := kit.OSR(ctx, "cdsl", "list", "-r", rootDir)
	fmt.Print(indent(list))

	step("starting nfs-ganesha in a private network namespace")
	lab, err := netlab.New(ctx, netlab.Options{Taps: 2, Prefix: "osrdemo"})
	if err != nil {
		return err
	}
	defer lab.Close()
	srv, err := ganesha.Start(ctx, ganesha.Config{NetNS: lab.NS, Addr: lab.Addr.Addr(), Export: tree.Dir, StateDir: filepath.Join(work, "ganesha")})
	if err != nil {
		return err
	}
	defer srv.Stop()
	server := lab.Addr.Addr().String()
	fmt.Printf("    exporting %s as %s:%s (NFSv4.1)\n", tree.Dir, server, ganesha.DefaultPseudo)

	var nodes []osrlab.Node
	for id := 1; id <= 2; id++ {
		nodes = append(nodes, osrlab.Node{ID: id, MAC: qemu.NodeMAC(id), IP: lab.NodeAddr(id).Addr().String(), Mask: "255.255.255.0",
			RootFS: "nfs4", Root: server + ":" + ganesha.DefaultPseudo})
	}
	conf := filepath.Join(work, "cluster.conf")
	if err := osrlab.WriteClusterConf(conf, "osrdemo", nodes); err != nil {
		return err
	}
	nodesTable, _ := kit.OSR(ctx, "cluster", "nodes", "--cluster", conf)
	fmt.Print(indent(nodesTable))

	step("osr build --driver nfs")
	img, summary, err := kit.Build(ctx, work, "nfs", conf, "")
	if err != nil {
		return err
	}
	fmt.Print(indent(summary + "\n"))

	step("booting node1 and node2 from the same NFS root (qemu, software emulation)")
	var boots []qemu.Boot
	for id := 1; id <= 2; id++ {
		m := kit.Machine(osrlab.NodeName(id), img, work, sharedroot.PeersParams(2, "demo")...)
		m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(id), Tap: lab.Tap(id)}}
		m.NetNS = lab.NS
		boots = append(boots, qemu.Boot{Machine: m, Expect: append(osrlab.Identity(id), sharedroot.MarkerPeers)})
	}
	start := time.Now()
	results, err := qemu.Run(ctx, boots...)
	if err != nil {
		return err
	}
	fmt.Printf("\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tMAC\tHOSTNAME\tMARKER\tROOT\tSWITCH_ROOT\tBOOTED\tWALL")
	for i, r := range results {
		host, _ := r.Console.Find(sharedroot.MarkerHostname)
		mark, _ := r.Console.Find(sharedroot.MarkerFile)
		root, _ := r.Console.Find(sharedroot.MarkerRoot)
		sw, _ := r.Console.Find("switching to /sysroot")
		done, _ := r.Console.Find(sharedroot.MarkerDone)
		fields := strings.Fields(strings.TrimPrefix(root.Text, sharedroot.MarkerRoot))
		rootDesc := strings.Join(fields[:min(3, len(fields))], " ")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1fs\t%.1fs\t%.1fs\n", r.Name, qemu.NodeMAC(i+1),
			strings.TrimPrefix(host.Text, sharedroot.MarkerHostname), strings.TrimPrefix(mark.Text, sharedroot.MarkerFile),
			rootDesc, sw.At.Seconds(), done.At.Seconds(), r.Wall.Seconds())
	}
	tw.Flush()
	fmt.Printf("\nboth nodes booted one shared root, each as itself, in %.1fs\n", time.Since(start).Seconds())
	return nil
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}
