// SPDX-License-Identifier: Apache-2.0

// Package bbinitrd builds the test lab's own initrd: a static busybox, a
// few kernel modules with their dependencies and a shell /init (init.sh)
// that mounts a shared root — ext3, GFS2, OCFS2 with the o2cb stack, NFSv3
// or NFSv4 — binds the node's CDSL tree and switches root. It needs none of
// osr, so the lab can boot, populate and be tested on its own; osr's own
// initrd takes its place in the end-to-end tests.
//
// Its populate mode (osr.populate=DEV) fills a freshly made filesystem
// image from a tar archive on a second disk: the host cannot mount GFS2 or
// OCFS2, and their mkfs has no option to copy a tree in.
package bbinitrd

import (
	"context"
	_ "embed"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-sharedroot/osr/test/e2e/busybox"
)

//go:embed init.sh
var initScript []byte

// Node maps a NIC's MAC address to a node id and, optionally, the address
// its eth0 gets with osr.ip=map.
type Node struct {
	MAC  string
	ID   int
	Addr netip.Prefix
}

// Spec says what goes into an initrd.
type Spec struct {
	// Busybox is the path of a static busybox (see busybox.Find).
	Busybox string
	// ModulesDir is the kernel's module tree (lib/modules/<version>, with
	// modules.dep).
	ModulesDir string
	// Modules are loaded in dependency order at boot; their dependencies
	// come along. Modules built into the kernel may be named too.
	Modules []string
	// Nodes become /etc/osr-nodemap for osr.node=mac and osr.ip=map.
	Nodes []Node
}

// Module sets for the filesystems the lab boots.
var (
	// BlockModules give virtio disks and NICs.
	BlockModules = []string{"virtio_pci", "virtio_blk", "virtio_net"}
	// Ext3Modules mount ext3 (the ext4 driver) roots.
	Ext3Modules = []string{"crc32c_generic", "ext4"}
	// GFS2Modules mount GFS2 (libcrc32c needs a crc32c implementation loaded first).
	GFS2Modules = []string{"crc32c_generic", "gfs2"}
	// OCFS2Modules mount OCFS2 in local and o2cb cluster mode.
	OCFS2Modules = []string{"ocfs2", "ocfs2_stack_o2cb"}
	// NFSModules mount NFSv3 and NFSv4 roots.
	NFSModules = []string{"nfs", "nfsv3", "nfsv4"}
)

// AllModules returns every module set above: one initrd for all tests.
func AllModules() []string {
	var all []string
	for _, set := range [][]string{BlockModules, Ext3Modules, GFS2Modules, OCFS2Modules, NFSModules} {
		all = append(all, set...)
	}
	return all
}

// Build writes the initrd that spec describes to dest (gzip compressed
// newc cpio) and returns the module files it loads, in order.
func Build(ctx context.Context, spec Spec, dest string) ([]string, error) {
	if spec.Busybox == "" || spec.ModulesDir == "" {
		return nil, fmt.Errorf("initrd %s: busybox and modules dir are required", dest)
	}
	a := newArchive()
	for _, d := range []string{"bin", "sbin", "dev", "proc", "sys", "run", "tmp", "etc", "newroot", "lib/modules"} {
		a.dir(d)
	}
	a.copyFile("bin/busybox", spec.Busybox, 0o755)
	applets, err := busybox.Applets(ctx, spec.Busybox)
	if err != nil {
		return nil, fmt.Errorf("initrd %s: %w", dest, err)
	}
	for _, name := range applets {
		a.symlink("bin/"+name, "busybox")
	}
	a.file("init", 0o755, initScript)

	mods, err := ResolveModules(spec.ModulesDir, spec.Modules)
	if err != nil {
		return nil, fmt.Errorf("initrd %s: %w", dest, err)
	}
	for _, m := range mods {
		a.copyFile("lib/modules/"+m, filepath.Join(spec.ModulesDir, m), 0o644)
	}
	a.file("etc/modules.order", 0o644, []byte(strings.Join(mods, "\n")+"\n"))
	a.file("etc/osr-nodemap", 0o644, nodeMap(spec.Nodes))

	if err := a.writeFile(dest); err != nil {
		return nil, err
	}
	return mods, nil
}

// nodeMap renders /etc/osr-nodemap: "MAC ID ADDR/PREFIX" per line.
func nodeMap(nodes []Node) []byte {
	sorted := append([]Node(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	var b strings.Builder
	for _, n := range sorted {
		addr := "-"
		if n.Addr.IsValid() {
			addr = n.Addr.String()
		}
		fmt.Fprintf(&b, "%s %d %s\n", strings.ToLower(n.MAC), n.ID, addr)
	}
	return []byte(b.String())
}
