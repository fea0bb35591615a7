// SPDX-License-Identifier: Apache-2.0

// Package oslab boots a real operating system from one shared root: the Debian 12
// root of internal/testos unpacked into a directory, made a shared root with
// `osr cdsl` (one hostname, machine-id, set of ssh host keys, log and state
// directory per node), exported by nfs-ganesha inside a private network
// namespace, and booted by several qemu nodes through osr's NFS initrd. The
// tests, the demo and the benchmark reach the nodes over ssh with a key the lab
// makes.
package oslab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/open-sharedroot/osr/internal/testos"
	"github.com/open-sharedroot/osr/test/e2e/fencehost"
	"github.com/open-sharedroot/osr/test/e2e/ganesha"
	"github.com/open-sharedroot/osr/test/e2e/guestssh"
	"github.com/open-sharedroot/osr/test/e2e/netlab"
	"github.com/open-sharedroot/osr/test/e2e/osrlab"
	"github.com/open-sharedroot/osr/test/e2e/qemu"
)

// MemoryMB is each node's memory: systemd, udev, sshd and the NFS client need
// more than the busybox roots of the other tests.
const MemoryMB = 1024

// NoTimerCheck is the kernel parameter that skips the check of the IO-APIC
// timer at boot: on a host loaded by other guests a TCG guest's timer
// interrupts come late, and the check panics the kernel ("IO-APIC + timer
// doesn't work!"). Virtual machines' kernels commonly boot with it.
const NoTimerCheck = "no_timer_check"

// MachineTimeout bounds the life of one qemu process (a boot, the test's work
// on the running node and its shutdown); the steps have their own bounds.
const MachineTimeout = 30 * time.Minute

// Options configure New.
type Options struct {
	// Nodes is the number of cluster nodes (1…150).
	Nodes int
	// Name is the cluster's name and the prefix of the network namespace.
	Name string
	// Dir is the work directory: the root, the initrd, the console logs.
	Dir string
	// LogDir receives the console logs; empty means Dir/console.
	LogDir string
	// Plain leaves the root as installed, not a shared root, for an initrd
	// that knows no CDSLs (the dracut comparison): node 1's hostname and a
	// machine-id are written into it directly. Only for one node, over NFS.
	Plain bool
	// FS is the shared root's filesystem: NFS (the default), GFS2 or OCFS2.
	FS string
	// Members are the cluster's nodes (ID, Name, MAC, IP, Mask; the rest is
	// filled in); nil means node1…nodeN with the lab's MACs and addresses.
	// Nodes is then their number.
	Members []osrlab.Node
	// Addr is the host's address on the nodes' bridge; zero means netlab's
	// default.
	Addr netip.Prefix
}

// Lab is a shared Debian root served to the nodes of a cluster.
type Lab struct {
	Kit *osrlab.Kit
	// Dir is the work directory and RootDir the exported shared root.
	Dir, RootDir string
	// LogDir holds the console logs, one per node and boot.
	LogDir string
	// FS is the shared root's filesystem (NFS, GFS2, OCFS2).
	FS string
	// Net is the private network; Server serves RootDir on it (NFS).
	Net    *netlab.Lab
	Server *ganesha.Server
	// Image is the shared disk the nodes boot (GFS2, OCFS2), made from
	// RootDir in PopulateTime; RootDir is not the nodes' root then.
	Image        string
	PopulateTime time.Duration
	// Fence kills a node's qemu when a peer's fence agent asks (GFS2).
	Fence *fencehost.Server
	// Nodes are the cluster's members as cluster.conf describes them.
	Nodes []osrlab.Node
	// ClusterConf is the cluster configuration, Initrd osr's image built for it.
	ClusterConf, Initrd string
	// BuildSummary is what osr build said.
	BuildSummary string
	// Key logs in as root on every node.
	Key guestssh.Key
	// MachineIDs are the nodes' machine-ids, by node id.
	MachineIDs map[int]string
	// PrepareLog is what osr cdsl init --standard said.
	PrepareLog string

	mu    sync.Mutex
	boots map[int]int // boots so far, by node position
}

// nextBoot counts one more boot of the node at position pos and returns it.
func (l *Lab) nextBoot(pos int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.boots == nil {
		l.boots = map[int]int{}
	}
	l.boots[pos]++
	return l.boots[pos]
}

// New unpacks the Debian root into o.Dir, makes it a shared root for o.Nodes
// nodes, serves it (an NFS server, or a GFS2 or OCFS2 disk made from it) and
// builds osr's initrd. Close undoes it.
func New(ctx context.Context, kit *osrlab.Kit, root testos.Root, o Options) (_ *Lab, err error) {
	if o.Members != nil {
		o.Nodes = len(o.Members)
	}
	if o.Nodes < 1 || o.Nodes > 150 {
		return nil, fmt.Errorf("oslab: %d nodes, want 1…150", o.Nodes)
	}
	if o.Name == "" {
		o.Name = "osros"
	}
	if o.LogDir == "" {
		o.LogDir = filepath.Join(o.Dir, "console")
	}
	if o.FS == "" {
		o.FS = NFS
	}
	switch {
	case o.FS != NFS && o.FS != GFS2 && o.FS != OCFS2:
		return nil, fmt.Errorf("oslab: filesystem %q, want %s, %s or %s", o.FS, NFS, GFS2, OCFS2)
	case o.FS != NFS && o.Plain:
		return nil, fmt.Errorf("oslab: a plain root is served over NFS, not %s", o.FS)
	}
	l := &Lab{Kit: kit, FS: o.FS, Dir: o.Dir, RootDir: filepath.Join(o.Dir, "root"), LogDir: o.LogDir, MachineIDs: map[int]string{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Close())
		}
	}()
	if err := root.Unpack(ctx, l.RootDir, kit.Kernel); err != nil {
		return nil, err
	}
	keyDir := filepath.Join(o.Dir, "ssh")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, err
	}
	if l.Key, err = guestssh.NewKey(ctx, keyDir, "osr-test@host"); err != nil {
		return nil, err
	}
	if err := l.authorize(); err != nil {
		return nil, err
	}

	if l.Net, err = netlab.New(ctx, netlab.Options{Taps: o.Nodes, Prefix: o.Name, Addr: o.Addr}); err != nil {
		return nil, err
	}
	server := l.Net.Addr.Addr().String()
	for pos := 1; pos <= o.Nodes; pos++ {
		n := osrlab.Node{ID: pos, MAC: qemu.NodeMAC(pos), IP: l.Net.NodeAddr(pos).Addr().String(), Mask: "255.255.255.0"}
		if o.Members != nil {
			m := o.Members[pos-1]
			n = osrlab.Node{ID: m.ID, Name: m.Name, MAC: m.MAC, IP: m.IP, Mask: m.Mask}
		}
		n.RootFS, n.Root = "nfs4", server+":"+ganesha.DefaultPseudo
		if o.FS != NFS {
			n.RootFS, n.Root = o.FS, diskDevice
		}
		l.Nodes = append(l.Nodes, n)
	}
	osrHCL, err := l.osrHCL(o)
	if err != nil {
		return nil, err
	}
	l.ClusterConf = filepath.Join(o.Dir, "cluster.conf")
	if err := l.writeClusterConf(o); err != nil {
		return nil, err
	}
	if o.Plain {
		if o.Nodes != 1 {
			return nil, fmt.Errorf("oslab: a plain root boots one node, not %d", o.Nodes)
		}
		err = l.writeIdentity()
	} else {
		err = l.makeShared(ctx)
	}
	if err != nil {
		return nil, err
	}
	if l.Initrd, l.BuildSummary, err = kit.Build(ctx, o.Dir, o.FS, l.ClusterConf, osrHCL); err != nil {
		return nil, err
	}
	if o.FS != NFS {
		return l, l.makeDisk(ctx, o)
	}
	stateDir := filepath.Join(o.Dir, "ganesha")
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, err
	}
	if l.Server, err = ganesha.Start(ctx, ganesha.Config{NetNS: l.Net.NS, Addr: l.Net.Addr.Addr(), Export: l.RootDir, StateDir: stateDir}); err != nil {
		return nil, err
	}
	return l, nil
}

// authorize lets the lab's key log in as root.
func (l *Lab) authorize() error {
	dir := filepath.Join(l.RootDir, "root", ".ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("authorize the lab's key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(l.Key.Public+"\n"), 0o600); err != nil {
		return fmt.Errorf("authorize the lab's key: %w", err)
	}
	return nil
}

// Close stops the NFS server or the fence host and removes the network
// namespace. The nodes must have been stopped first.
func (l *Lab) Close() error {
	var errs []error
	if l.Server != nil {
		errs = append(errs, l.Server.Stop())
		l.Server = nil
	}
	if l.Fence != nil {
		errs = append(errs, l.Fence.Close())
		l.Fence = nil
	}
	if l.Net != nil {
		errs = append(errs, l.Net.Close())
		l.Net = nil
	}
	return errors.Join(errs...)
}

// SSH returns the ssh target of the node at position pos (1…) of Nodes.
func (l *Lab) SSH(pos int) guestssh.Target {
	return guestssh.Target{NetNS: l.Net.NS, Addr: l.Nodes[pos-1].IP, Key: l.Key.Private}
}

// Machine describes the qemu guest of the node at position pos (1…) of
// Nodes; boot counts the node's boots and names the console log.
func (l *Lab) Machine(pos, boot int, params ...string) qemu.Machine {
	name := l.Nodes[pos-1].NodeName()
	m := l.Kit.Machine(name, l.Initrd, l.LogDir, append([]string{NoTimerCheck}, params...)...)
	m.LogPath = filepath.Join(l.LogDir, fmt.Sprintf("%s-boot%d.log", name, boot))
	m.MemoryMB = MemoryMB
	m.Timeout = MachineTimeout
	m.NetNS = l.Net.NS
	m.NICs = []qemu.NIC{{MAC: l.Nodes[pos-1].MAC, Tap: l.Net.Tap(pos)}}
	if l.Image != "" {
		m.Disks = []qemu.Disk{{Path: l.Image, Mode: qemu.Shared}}
	}
	return m
}
