// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/open-sharedroot/osr/internal/testkernel"
	"github.com/open-sharedroot/osr/internal/testos"
	"github.com/open-sharedroot/osr/test/e2e/oslab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
)

// Bounds of the real-OS demo's steps under software emulation.
const (
	debianBootBound     = 10 * time.Minute
	debianExecBound     = 10 * time.Minute
	debianShutdownBound = 3 * time.Minute
)

// debianDemo is `make demo OS=debian`.
type debianDemo struct {
	// fs is the shared root's filesystem: oslab.NFS, GFS2 or OCFS2.
	fs string
	// name, members and addr are the cluster of CLUSTER=FILE: its name, its
	// nodes and the host's address on their subnet; empty members means
	// node1 and node2 of the demo's own cluster.
	name    string
	members []osrlab.Node
	addr    netip.Prefix
	// exec is run on every node in cluster order; empty runs nothing.
	exec string
	keep bool
}

// runDebianFromEnv is OS=debian with FS= (nfs, gfs2, ocfs2) and CLUSTER=.
func runDebianFromEnv(ctx context.Context, exec string, keep bool) error {
	d := debianDemo{fs: os.Getenv("FS"), name: "osrdemo", exec: exec, keep: keep}
	if d.fs == "" {
		d.fs = oslab.NFS
	}
	if d.fs != oslab.NFS && d.fs != oslab.GFS2 && d.fs != oslab.OCFS2 {
		return fmt.Errorf("OS=debian FS=%s: the Debian root boots from nfs, gfs2 or ocfs2 (ext3 is the busybox root's: leave out OS)", d.fs)
	}
	if os.Getenv("KILL") != "" {
		return fmt.Errorf("OS=debian: KILL= is for the busybox root (leave out OS); the Debian demo powers its nodes off cleanly")
	}
	if file := os.Getenv("CLUSTER"); file != "" {
		name, members, addr, err := clusterDemo{clusterFile: file}.demoNodes()
		if err != nil {
			return err
		}
		d.name, d.members, d.addr = name, members, addr
	}
	return runDebian(ctx, d)
}

// runDebian boots a real Debian 12 on the demo's nodes from one NFS shared root,
// runs d.exec on each node over ssh and powers them off. It fails when a node
// does not reach "running", when exec fails on a node, or when a node does not
// power off cleanly.
func runDebian(ctx context.Context, d debianDemo) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the demo needs root (a network namespace, tap devices, an NFS server, mmdebstrap); run it as root")
	}
	repo, err := os.Getwd()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("/var/tmp", "osr-demo-debian-")
	if err != nil {
		return err
	}
	if d.keep {
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
	step("the Debian 12 root (mmdebstrap %s, cached in %s)", strings.Join(testos.Packages, ","), testkernel.CacheDir())
	root, err := testos.Fetch(ctx, testos.Options{Log: os.Stdout})
	if err != nil {
		return err
	}
	fmt.Printf("    %s\n", root.Tar)
	step("building osr and its drivers")
	kit, err := osrlab.NewKit(ctx, repo, k)
	if err != nil {
		return err
	}
	defer kit.Close()

	serve := map[string]string{
		oslab.NFS:   "nfs-ganesha in a private network namespace",
		oslab.GFS2:  "a GFS2 lock_dlm disk filled by a populate boot, a fence host",
		oslab.OCFS2: "an OCFS2 (o2cb) disk filled by a populate boot",
	}[d.fs]
	step("unpacking the root, osr cdsl init --standard, osr build --driver %s, %s", d.fs, serve)
	lab, err := oslab.New(ctx, kit, root, oslab.Options{Nodes: 2, Members: d.members, Addr: d.addr, Name: d.name, Dir: work, FS: d.fs})
	if err != nil {
		return err
	}
	defer lab.Close()
	fmt.Print(indent(lab.PrepareLog))
	nodesTable, _ := kit.OSR(ctx, "cluster", "nodes", "--cluster", lab.ClusterConf)
	fmt.Print(indent(nodesTable))
	fmt.Print(indent(lab.BuildSummary + "\n"))
	if lab.Image != "" {
		fmt.Printf("    %s: the root copied onto the shared disk in %.1fs\n", filepath.Base(lab.Image), lab.PopulateTime.Seconds())
	}

	count := len(lab.Nodes)
	step("booting %d nodes from the one %s root at once (qemu, software emulation: a few minutes)", count, d.fs)
	bootCtx, cancel := context.WithTimeout(ctx, debianBootBound)
	defer cancel()
	nodes := make([]*oslab.Node, count)
	for i := range nodes {
		if nodes[i], err = lab.Start(ctx, i+1); err != nil {
			return err
		}
		defer nodes[i].Stop()
	}
	states := make([]string, count)
	errs := make([]error, count)
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			states[i], errs[i] = n.WaitRunning(bootCtx)
		}()
	}
	wg.Wait()
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tHOSTNAME\tMACHINE-ID\tROOT\tSYSTEM\tMULTI-USER")
	for i, n := range nodes {
		host, mid, fs, secs := "-", "-", "-", "-"
		if errs[i] == nil {
			if out, err := n.Run(ctx, "hostname; cat /etc/machine-id; findmnt -n -o FSTYPE,SOURCE /"); err == nil {
				if f := strings.Fields(out); len(f) >= 4 {
					host, mid, fs = f[0], f[1], f[2]+" "+f[3]
				}
			}
			if s, err := n.MultiUserSeconds(ctx); err == nil {
				secs = fmt.Sprintf("%.1fs", s)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, host, mid, fs, orDash(states[i]), secs)
	}
	tw.Flush()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	var execErrs []error
	if d.exec != "" {
		step("EXEC on every node in cluster order: %s", d.exec)
		for _, n := range nodes {
			execCtx, cancel := context.WithTimeout(ctx, debianExecBound)
			out, err := n.Run(execCtx, d.exec)
			cancel()
			for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				if out != "" {
					fmt.Printf("%s: %s\n", n.Name, line)
				}
			}
			if err != nil {
				fmt.Printf("%s: FAILED: %v\n", n.Name, err)
				execErrs = append(execErrs, fmt.Errorf("EXEC on %s: %w", n.Name, err))
			}
		}
	}

	step("powering every node off (systemctl poweroff)")
	took := make([]time.Duration, count)
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			took[i], errs[i] = n.Shutdown(ctx, "poweroff", debianShutdownBound)
		}()
	}
	wg.Wait()
	for i, n := range nodes {
		if errs[i] == nil {
			fmt.Printf("    %s powered off cleanly in %.1fs (console: %s)\n", n.Name, took[i].Seconds(), filepath.Base(n.Instance.Machine.LogPath))
		}
	}
	if err := errors.Join(append(execErrs, errs...)...); err != nil {
		return err
	}
	if lab.Fence != nil {
		if ev := lab.Fence.Fenced(); len(ev) > 0 {
			return fmt.Errorf("a node was fenced: %+v", ev)
		}
	}
	fmt.Printf("\n%d nodes ran one Debian root on %s as one system\n", count, d.fs)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
