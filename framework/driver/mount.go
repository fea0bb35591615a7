// SPDX-License-Identifier: Apache-2.0

package driver

import (
	"context"
	"time"
)

// CapabilityMount is announced by drivers that implement Mounter. Serve adds it.
const CapabilityMount = "mount"

// Mounter is implemented by drivers that mount the root at boot. It is separate from
// Driver so a driver can be written (and used for planning) before it can mount.
type Mounter interface {
	// Mount mounts req.Source on req.Target, starting whatever the filesystem needs
	// first. It runs inside the initrd as a child of osr's init, in the same mount
	// namespace. On failure the error must say what failed and what was tried.
	//
	// Make the mount(2) calls with a MountExecutor, trying req.Tries times, and log
	// through the logger Serve handed to the driver: osr shows those lines in the
	// boot log while the mount runs.
	Mount(ctx context.Context, req MountRequest) (*MountResult, error)
}

// ClusterNode is a member of the cluster as a mount needs it.
type ClusterNode struct {
	ID   int
	Name string
	// Addresses are the node's static IPv4 addresses, the cluster network's first.
	Addresses []string
}

// MountRequest is what the init knows when it asks for the root.
type MountRequest struct {
	Config Config
	FSType string
	// Source is the root volume: a device, "server:/path", … (rootvolume or root=).
	Source string
	// Target is where the root goes (/sysroot).
	Target string
	// Options are mount options from the cluster configuration and the command line.
	Options  []string
	ReadOnly bool
	// Node is this node; Nodes are all members of the cluster.
	Node        ClusterNode
	Nodes       []ClusterNode
	ClusterName string
	// Parameters are the kernel command line's name=value pairs.
	Parameters map[string]string
	// Attempts is how often to try the mount (the command line's mounttimes);
	// 0 means the driver's default. See Tries.
	Attempts int
	// Wait is the pause between tries (the command line's mountwait); 0 means the
	// driver's default.
	Wait time.Duration
}

// MountResult tells what the driver did beyond its log.
type MountResult struct {
	// Diagnostics are warnings worth showing (errors are returned as the error).
	Diagnostics Diagnostics
}
