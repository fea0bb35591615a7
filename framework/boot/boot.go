// SPDX-License-Identifier: Apache-2.0

// Package boot is the osr init: what runs as /init in the initrd. Run mounts
// the API filesystems, reads the kernel command line, loads drivers for the
// hardware and for the root filesystem, finds the node by the MACs of its
// NICs (or nodeid=), brings up its network, has the driver mount the shared
// root on /sysroot, binds the node's CDSL tree and the initrd's cdsltab
// entries, and switches root to the real init. Each stage is a named step
// (see StepNames) that a break parameter can stop before; a failing step is
// reported with what failed, what was tried and what to do, and a rescue
// shell opens when the image has one.
//
// The cluster model, module loading, the driver and the CDSL layout come in
// through small interfaces (NodeFinder, ModuleLoader, RootMounter,
// CDSLBinder), so this package needs nothing of their implementations;
// package wiring builds them from the image.
//
// Usage, in the osr binary when it runs as PID 1:
//
//	err := boot.Run(ctx, wiring.Image(wiring.Options{Args: os.Args[1:]}))
package boot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-sharedroot/osr/framework/boot/bootlog"
	"github.com/open-sharedroot/osr/framework/boot/cmdline"
	"github.com/open-sharedroot/osr/framework/boot/netconf"
	"github.com/open-sharedroot/osr/framework/boot/reaper"
	"github.com/open-sharedroot/osr/framework/boot/steps"
	"github.com/open-sharedroot/osr/framework/boot/switchroot"
	"github.com/open-sharedroot/osr/framework/shutdown"
)

// Node is what the init needs to know of its cluster node.
type Node struct {
	// ID is the cluster node id (nodeid); 0 when unknown.
	ID int
	// Name is the node name.
	Name string
	// NICs are the node's network interfaces (com_info/eth).
	NICs []netconf.Interface
	// Root, RootFS and MountOpts are the node's root volume, its filesystem
	// type and mount options (com_info/rootvolume); the command line's root=,
	// rootfs= and mountopts= override them.
	Root, RootFS, MountOpts string
	// Filesystems are the node's extra filesystems (com_info/filesystems),
	// mounted in the root before the switch.
	Filesystems []Filesystem
}

// Filesystem is an extra filesystem the init mounts for a node: Source on
// Dest inside the root. "%(param0)s" (the node id, as in the originals),
// "%(nodeid)s" and "%(nodename)s" in Source, Dest and MountOpts are replaced
// for the node; bind and rbind sources are paths in the root.
type Filesystem struct {
	Source, Dest, FSType, MountOpts string
	// MountTimes is how often a mount is tried (at least once), MountWait
	// the seconds between tries.
	MountTimes, MountWait int
	// Where names where it is written ("cluster.conf:12") for messages.
	Where string
}

// String names the node for messages: "node 2 (n2)", or what is known of it.
func (n Node) String() string {
	switch {
	case n.ID != 0 && n.Name != "":
		return fmt.Sprintf("node %d (%s)", n.ID, n.Name)
	case n.ID != 0:
		return fmt.Sprintf("node %d", n.ID)
	}
	return "node " + n.Name
}

// ErrNoNode is what a NodeFinder returns (wrapped) when no node matches.
var ErrNoNode = errors.New("no such node in the cluster configuration")

// NodeFinder looks the node up in the cluster configuration embedded in
// the image.
type NodeFinder interface {
	// NodeByID returns the node with that node id.
	NodeByID(id int) (Node, error)
	// NodeByName returns the node with that name.
	NodeByName(name string) (Node, error)
	// NodeByMAC returns the node that owns a NIC with one of the MACs,
	// compared without regard to case.
	NodeByMAC(macs []string) (Node, error)
	// All returns every node (a single-node cluster needs no
	// identification; the count goes into error messages).
	All() []Node
}

// ModuleLoader loads kernel modules with their dependencies
// (framework/kmod/loader's Loader, through a one-line adapter for
// LoadHardware's report).
type ModuleLoader interface {
	// LoadHardware loads the drivers for the devices under sysfs (every
	// module whose alias matches a device's modalias, round after round as
	// drivers bring up new devices) and returns the modules loaded. Devices
	// no module matches are not errors.
	LoadHardware(ctx context.Context, sysfs string) ([]string, error)
	// Load loads the named modules; a missing one is an error.
	Load(ctx context.Context, names ...string) error
}

// MountSpec says what root to mount where.
type MountSpec struct {
	// Target is the mount point, /sysroot.
	Target string
	// Source, FSType and Options come from the command line or the node.
	Source, FSType, Options string
	// ReadOnly is set by the kernel's ro flag.
	ReadOnly bool
	// Tries and Wait are the command line's mounttimes and mountwait (0:
	// the driver's defaults).
	Tries int
	Wait  time.Duration
	// Node is the node being booted.
	Node Node
	// Params is the whole command line, for parameters a driver reads
	// itself (quorumack, votes, lockmethod …).
	Params cmdline.Params
}

// RootMounter mounts the shared root: the driver, started from the image's
// manifest.
type RootMounter interface {
	MountRoot(ctx context.Context, spec MountSpec) error
}

// CDSLBinder makes the node's context dependent files appear in the mounted
// root.
type CDSLBinder interface {
	// Bind binds the node's CDSL tree onto the link directory (layout from
	// the root's inventory) and describes what it bound.
	Bind(ctx context.Context, root string, node Node, o BindOptions) (string, error)
	// MountTab mounts the node's extra filesystems or, when it has none (as
	// the originals did), the cdsltab entries marked for the initrd, and
	// returns one description per mount.
	MountTab(ctx context.Context, root string, node Node) ([]string, error)
}

// BindOptions say where the node's CDSL tree comes from when the root is
// not the shared filesystem itself.
type BindOptions struct {
	// Tree, when set, is the mount of the shared filesystem the node's tree
	// is taken from (the read-only lower of a tmpfs overlay), so writes to
	// the tree reach the shared filesystem rather than the overlay; "" takes
	// it from the root.
	Tree string
	// Writable makes the bind of the tree read-write although Tree is
	// mounted read-only.
	Writable bool
}

// Config is everything Run needs. Only the interfaces are required for a
// real boot; the rest have the defaults of an initrd.
type Config struct {
	// Args are the init's arguments from the kernel, handed to the real init.
	Args []string
	// Cmdline is the kernel command line; "" reads /proc/cmdline.
	Cmdline string
	// DefaultCmdline holds the image's default parameters (osr.hcl's
	// initrd { cmdline }, from the manifest); the kernel command line
	// follows them, so its parameters win.
	DefaultCmdline string
	// Modules loads kernel modules; nil skips module loading.
	Modules ModuleLoader
	// DriverModules are the modules the driver needs (from the manifest).
	DriverModules []string
	// OptionalDriverModules are the modules the driver can do without: each
	// is loaded after DriverModules, and one that fails is only a warning.
	OptionalDriverModules []string
	// Nodes finds the node; nil means a machine without a cluster
	// configuration (the node is then only what the command line says).
	Nodes NodeFinder
	// Root mounts the root filesystem.
	Root RootMounter
	// CDSL binds the CDSL tree; nil skips the cdsl and cdsltab steps.
	CDSL CDSLBinder
	// Cluster starts the cluster stack before the mount; nil skips step
	// cluster (the root needs none).
	Cluster ClusterStarter

	// Sysroot is where the root is mounted; "" means /sysroot.
	Sysroot string
	// OverlayLower is where the driver mounts the shared root under
	// osr.overlay=tmpfs; "" means DefaultOverlayLower.
	OverlayLower string
	// OverlayDir is where the overlay's tmpfs (upper and work directories)
	// is mounted; "" means DefaultOverlayDir.
	OverlayDir string
	// Sysfs is where sysfs is mounted; "" means /sys.
	Sysfs string
	// LogPath is where the boot log is saved; "" means /run/osr/boot.log.
	LogPath string
	// Log is the boot log; nil starts one on stderr.
	Log *bootlog.Log
	// Reaper reaps orphans; nil makes one. Run runs its loop when it is
	// PID 1 (whoever made the reaper).
	Reaper *reaper.Reaper
	// Shell is the break and rescue shell; nil looks for one in the image.
	Shell steps.Shell
	// NICWait is how long identify waits for a NIC with a known MAC to
	// appear; 0 means 20 s.
	NICWait time.Duration

	// The following replace the real machinery in tests.

	// MountAPI mounts the API filesystems and the console; nil does it for
	// real.
	MountAPI func(log *bootlog.Log) error
	// NetworkUp brings up interfaces; nil is netconf.Up.
	NetworkUp func(ctx context.Context, ifaces []netconf.Interface, o netconf.Options) (netconf.Result, error)
	// SwitchRoot switches to the new root; nil is switchroot.Switch.
	SwitchRoot func(o switchroot.Options) error
	// Handover prepares the running system right before the switch: the
	// exitrd in /run/initramfs and systemd's runtime configuration in /run
	// (shutdown.Handover), and systemd-tmpfiles' lines for CDSL links
	// (cdsltmpfiles); nil does that when SwitchRoot is the real switch, else
	// nothing.
	Handover func(o shutdown.HandoverOptions) (shutdown.Runtime, error)
	// SetHostname gives the machine the node's name once it is identified;
	// nil is sethostname(2) when SwitchRoot is the real switch, else nothing.
	SetHostname func(name string) error
}

// StepNames are the boot's steps in order; each is a valid break point.
var StepNames = []string{"api-mounts", "cmdline", "modules", "identify", "network", "cluster", "mount", "overlay", "cdsl", "cdsltab", "switch-root"}
