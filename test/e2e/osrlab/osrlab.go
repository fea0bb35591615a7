// SPDX-License-Identifier: Apache-2.0

// Package osrlab prepares boots of osr's own initrd for the end-to-end tests and the
// demo: it builds osr and its drivers, makes a busybox shared root whose hostname
// and marker are hostdependent through `osr cdsl`, writes a cluster.conf for the
// nodes, runs `osr build` and describes the qemu machines.
package osrlab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/open-sharedroot/osr/internal/testkernel"
	"github.com/open-sharedroot/osr/test/e2e/bbinitrd"
	"github.com/open-sharedroot/osr/test/e2e/busybox"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
	"github.com/open-sharedroot/osr/test/e2e/sharedroot"
)

// BootTimeout bounds each boot: a hang fails instead of blocking.
const BootTimeout = 4 * time.Minute

// Kit is what every boot needs: the kernel, a static busybox and osr's binaries.
type Kit struct {
	Kernel  testkernel.Kernel
	Busybox string
	// Bin holds osr, osr-driverhost, osr-init, osr-init-plugin, the drivers
	// osr-driver-* (links to osr-init-plugin, which serves them, as make install
	// lays them out) and an empty osr.hcl.
	Bin string
	// Repo is the source tree (for listfiles/).
	Repo string
}

// Drivers are the driver binaries NewKit builds.
var Drivers = []string{"nfs", "ext3", "gfs2", "ocfs2"}

// NewKit builds osr's programs from repo into a new directory (removed by
// Close), links the drivers to osr-init-plugin, and finds busybox.
func NewKit(ctx context.Context, repo string, k testkernel.Kernel) (*Kit, error) {
	kit := &Kit{Kernel: k, Repo: repo}
	var err error
	if kit.Busybox, err = busybox.Find(ctx, testkernel.CacheDir()); err != nil {
		return nil, err
	}
	if kit.Bin, err = os.MkdirTemp("", "osr-lab-bin-"); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(kit.Bin, "osr.hcl"), nil, 0o644); err != nil {
		return nil, err
	}
	pkgs := map[string]string{"osr": "./cmd/osr", "osr-driverhost": "./cmd/osr-driverhost", "osr-init": "./cmd/osr-init", "osr-init-plugin": "./cmd/osr-init-plugin"}
	for out, pkg := range pkgs {
		// osr-init-plugin as make build makes it (INIT_TAGS); the tags change nothing in the others.
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "grpcnotrace,nethttpomithttp2", "-ldflags", "-s -w", "-o", filepath.Join(kit.Bin, out), pkg)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			kit.Close()
			return nil, fmt.Errorf("build %s: %v\n%s", pkg, err, b)
		}
	}
	for _, d := range Drivers {
		if err := os.Symlink("osr-init-plugin", filepath.Join(kit.Bin, "osr-driver-"+d)); err != nil {
			kit.Close()
			return nil, err
		}
	}
	return kit, nil
}

// DriverProgram builds the built-in driver name on its own (go build
// ./drivers/<name>), as a driver of a third party is a program of its own,
// into a directory of the kit, and returns that directory. An image built with
// it has osr-init-plugin as /init, which starts the program at boot.
func (k *Kit) DriverProgram(ctx context.Context, name string) (string, error) {
	dir := filepath.Join(k.Bin, "program-"+name)
	out := filepath.Join(dir, "osr-driver-"+name)
	if _, err := os.Stat(out); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./drivers/"+name)
	cmd.Dir = k.Repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ./drivers/%s: %v\n%s", name, err, b)
	}
	return dir, nil
}

// Close removes the built binaries.
func (k *Kit) Close() error { return os.RemoveAll(k.Bin) }

// OSR runs the kit's osr with the given arguments and returns its output. An empty
// osr.hcl and no cluster source from the environment keep the host's /etc/osr out;
// osr build keeps its segment cache in the kit's directory, shared by the kit's builds.
func (k *Kit) OSR(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(k.Bin, "osr"), args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.Env = append(os.Environ(), "OSR_CONFIG="+filepath.Join(k.Bin, "osr.hcl"), "OSR_DRIVER_PATH="+k.Bin, "OSR_CLUSTER_CONF=",
		"OSR_CACHE_DIR="+filepath.Join(k.Bin, "cache"))
	if err := cmd.Run(); err != nil {
		return buf.String(), fmt.Errorf("osr %s: %w\n%s", strings.Join(args, " "), err, buf.String())
	}
	return buf.String(), nil
}

// NodeName and Marker are what node id's hostdependent files say.
func NodeName(id int) string { return fmt.Sprintf("node%d", id) }

// Marker is the content of node id's /etc/osr-marker.
func Marker(id int) string { return fmt.Sprintf("marker of node %d", id) }

// SharedRoot makes a busybox shared root in dir whose /etc/hostname and
// /etc/osr-marker are made hostdependent by osr cdsl, one copy per node 1…nodes.
func (k *Kit) SharedRoot(ctx context.Context, dir string, nodes int) (*sharedroot.Tree, error) {
	var ns []Node
	for id := 1; id <= nodes; id++ {
		ns = append(ns, Node{ID: id})
	}
	return k.SharedRootFor(ctx, dir, ns)
}

// SharedRootFor is SharedRoot for the given nodes: node n's hostname is
// n.NodeName() and its marker Marker(n.ID).
func (k *Kit) SharedRootFor(ctx context.Context, dir string, nodes []Node) (*sharedroot.Tree, error) {
	tree, err := sharedroot.NewTree(ctx, dir, k.Busybox)
	if err != nil {
		return nil, err
	}
	for _, rel := range []string{sharedroot.HostnameFile, sharedroot.MarkerPath} {
		if err := tree.WriteFile(rel, []byte("shared\n"), 0o644); err != nil {
			return nil, err
		}
	}
	// An OS tree has an os-release; systemd-based initrds refuse to switch to a
	// root without one.
	if err := tree.WriteFile("etc/os-release", []byte("ID=osrtest\nNAME=\"osr test root\"\n"), 0o644); err != nil {
		return nil, err
	}
	maxID := 0
	for _, n := range nodes {
		maxID = max(maxID, n.ID)
	}
	if _, err := k.OSR(ctx, "cdsl", "init", "-r", dir, "--nodes", fmt.Sprint(maxID)); err != nil {
		return nil, err
	}
	if _, err := k.OSR(ctx, "cdsl", "add", "-r", dir, "-a", "/"+sharedroot.HostnameFile, "/"+sharedroot.MarkerPath); err != nil {
		return nil, err
	}
	for _, n := range nodes {
		for rel, content := range map[string]string{sharedroot.HostnameFile: n.NodeName(), sharedroot.MarkerPath: Marker(n.ID)} {
			p := filepath.Join(dir, sharedroot.CDSLTree, fmt.Sprint(n.ID), rel)
			if err := os.WriteFile(p, []byte(content+"\n"), 0o644); err != nil {
				return nil, err
			}
		}
	}
	return tree, nil
}

// Node is one cluster member of a generated cluster.conf.
type Node struct {
	ID int
	// Name is the node's name; "" means NodeName(ID).
	Name    string
	MAC, IP string
	Mask    string
	// RootFS and Root are the rootvolume's fstype and name.
	RootFS, Root string
	// Filesystems are com_info's extra filesystems.
	Filesystems []Filesystem
}

// Filesystem is one <filesystem> of a node's com_info.
type Filesystem struct {
	Source, Dest, FSType, MountOpts string
}

// NodeName is the node's name: Name, else NodeName(ID).
func (n Node) NodeName() string {
	if n.Name != "" {
		return n.Name
	}
	return NodeName(n.ID)
}

// WriteClusterConf writes a cluster.conf with com_info for the nodes to path.
func WriteClusterConf(path, name string, nodes []Node) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\"?>\n<cluster name=%q config_version=\"1\">\n <clusternodes>\n", name)
	for _, n := range nodes {
		ip := n.IP
		if ip == "" {
			ip = "dhcp"
		}
		fmt.Fprintf(&b, "  <clusternode name=%q nodeid=\"%d\" votes=\"1\">\n   <com_info>\n", n.NodeName(), n.ID)
		fmt.Fprintf(&b, "    <rootvolume name=%q fstype=%q/>\n", n.Root, n.RootFS)
		fmt.Fprintf(&b, "    <eth name=\"eth0\" mac=%q ip=%q mask=%q/>\n", strings.ToUpper(n.MAC), ip, n.Mask)
		if len(n.Filesystems) > 0 {
			b.WriteString("    <filesystems>\n")
			for _, f := range n.Filesystems {
				fmt.Fprintf(&b, "     <filesystem source=%q dest=%q fstype=%q mountopts=%q/>\n", f.Source, f.Dest, f.FSType, f.MountOpts)
			}
			b.WriteString("    </filesystems>\n")
		}
		b.WriteString("   </com_info>\n  </clusternode>\n")
	}
	b.WriteString(" </clusternodes>\n</cluster>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// Build runs osr build for the driver and cluster configuration, writing the image
// into dir; osrHCL, when set, is the osr.hcl to build with. It returns the image's
// path and osr's summary.
func (k *Kit) Build(ctx context.Context, dir, driverName, clusterFile, osrHCL string) (string, string, error) {
	return k.BuildWith(ctx, dir, driverName, clusterFile, osrHCL)
}

// BuildWith is Build with driverDirs searched for the driver before the kit's
// own (built-in) drivers.
func (k *Kit) BuildWith(ctx context.Context, dir, driverName, clusterFile, osrHCL string, driverDirs ...string) (string, string, error) {
	out := filepath.Join(dir, "initrd_sr.img")
	args := []string{"build", "--driver", driverName, "--modules", k.Kernel.ModulesDir, "--cluster", clusterFile,
		"--output", out, "--listfile-dir", filepath.Join(k.Repo, "listfiles")}
	for _, d := range append(driverDirs, k.Bin) {
		args = append(args, "--driver-dir", d)
	}
	if osrHCL != "" {
		cfg := filepath.Join(dir, "osr.hcl")
		if err := os.WriteFile(cfg, []byte(osrHCL), 0o644); err != nil {
			return "", "", err
		}
		args = append(args, "--config", cfg)
	}
	summary, err := k.OSR(ctx, args...)
	return out, strings.TrimSpace(summary), err
}

// Machine describes a qemu guest booting an osr initrd; its console goes to logDir.
func (k *Kit) Machine(name, initrd, logDir string, params ...string) qemu.Machine {
	return qemu.Machine{
		Name:     name,
		Kernel:   k.Kernel.Vmlinuz,
		Initrd:   initrd,
		Append:   append([]string{"console=ttyS0", "panic=-1", "loglevel=4"}, params...),
		MemoryMB: 1024,
		LogPath:  filepath.Join(logDir, name+".log"),
		Timeout:  BootTimeout,
	}
}

// Identity is what node id prints when it booted as itself.
func Identity(id int) []string {
	return []string{sharedroot.MarkerHostname + NodeName(id), sharedroot.MarkerFile + Marker(id), sharedroot.MarkerDone}
}

// PopulateInitrd builds the lab's busybox initrd with the modules for fs ("gfs2" or
// "ocfs2") into dir. Its populate mode fills a fresh image from a tar of the shared
// root, which the host cannot do for filesystems it cannot mount.
func (k *Kit) PopulateInitrd(ctx context.Context, dir, fs string) (string, error) {
	mods := map[string][]string{"gfs2": bbinitrd.GFS2Modules, "ocfs2": bbinitrd.OCFS2Modules}[fs]
	if mods == nil {
		return "", fmt.Errorf("no populate initrd for %q", fs)
	}
	out := filepath.Join(dir, "populate-"+fs+".img")
	_, err := bbinitrd.Build(ctx, bbinitrd.Spec{
		Busybox: k.Busybox, ModulesDir: k.Kernel.ModulesDir,
		Modules: append(append([]string(nil), bbinitrd.BlockModules...), mods...),
	}, out)
	return out, err
}

// DracutNFS builds a generic (not host-only) dracut initrd for the kit's kernel
// that boots an NFS root through dracut's nfs and network-legacy modules: the
// anchor the boot benchmarks compare osr's image with. Needs dracut-core,
// dracut-network, isc-dhcp-client and iputils-arping.
func (k *Kit) DracutNFS(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "dracut", "--no-hostonly", "--no-early-microcode", "--zstd", "--force",
		"--add", "nfs network-legacy", "--omit", "systemd-networkd network-manager",
		"--kver", k.Kernel.Version, "--kmoddir", k.Kernel.ModulesDir, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dracut: %w\n%s", err, b)
	}
	return nil
}

// DracutNFSParams are the kernel parameters that make a DracutNFS image mount
// server:path over NFSv4 read-write with the static address ip/24 on eth0.
func DracutNFSParams(server, path, ip string) []string {
	return []string{"root=nfs4:" + server + ":" + path, "rw", "rd.neednet=1", "net.ifnames=0",
		fmt.Sprintf("ip=%s::%s:255.255.255.0::eth0:off", ip, server), "rd.retry=60"}
}
