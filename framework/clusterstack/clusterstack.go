// SPDX-License-Identifier: Apache-2.0

// Package clusterstack runs the cluster services a shared root needs before it can
// be mounted: corosync (membership and quorum) and dlm_controld (the kernel DLM's
// lockspaces) for GFS2 with lock_dlm.
//
// At build time Files renders what the services read (corosync.conf from the
// cluster model, the cluster's authkey, dlm.conf, a minimal /etc) for a chroot
// whose programs and libraries the build takes from the gfs2-dlm listfile; the
// build lays them out under ImageDir. At boot Stack.Start copies that tree onto a
// tmpfs at RunDir (/run/initramfs), mounts the API filesystems inside it, starts
// corosync, waits for quorum, starts dlm_controld and waits until it is ready, so
// the driver can mount the root with lock_dlm. The daemons run from RAM and keep
// running after switch_root: the init's /run, with RunDir in it, moves into the
// new root, systemd treats mounts under /run/initramfs as extrinsic and spares
// processes whose argv[0] starts with '@', and systemd-shutdown pivots back into
// RunDir at the end, where Leave stops dlm_controld and then corosync once the root
// is unmounted, so the peers see a leave instead of a failure.
//
// The package imports only the cluster model (and its corosync renderer).
//
// Usage, at build time:
//
//	files, err := clusterstack.Files(c, clusterstack.Settings{AuthKey: "/etc/corosync/authkey"})
//	// add each file under clusterstack.ImageDir
//
// at boot:
//
//	s := &clusterstack.Stack{Cluster: c, Runner: reaper, Logf: log.Infof}
//	err := s.Start(ctx, clusterstack.StartRequest{NodeID: 1, NodeName: "node1"})
//
// on a running node:
//
//	st := clusterstack.ReadStatus(ctx, clusterstack.RunDir, nil)
//	err = st.Write(os.Stdout)
//
// and at shutdown, from /shutdown inside the chroot once the root is unmounted:
//
//	err := clusterstack.Leave(ctx, clusterstack.LeaveOptions{})
package clusterstack

// ImageDir is where an image keeps the chroot's files; the init copies them to
// RunDir.
const ImageDir = "/usr/lib/osr/clusterstack"

// RunDir is the chroot the daemons run in: a tmpfs the init mounts there. systemd
// never unmounts what is mounted under /run/initramfs and systemd-shutdown returns
// into it at the end.
const RunDir = "/run/initramfs"

// Listfile is the listfile whose items (the daemons, their tools and the files they
// load with dlopen) make up the chroot.
const Listfile = "gfs2-dlm"

// DefaultAuthKey is where the build host keeps the cluster's corosync key.
const DefaultAuthKey = "/etc/corosync/authkey"

// Paths inside the chroot.
const (
	CorosyncConfPath = "/etc/corosync/corosync.conf"
	AuthKeyPath      = "/etc/corosync/authkey"
	DLMConfPath      = "/etc/dlm/dlm.conf"
	// PIDDir holds the daemons' pid files (corosync.pid, dlm_controld.pid).
	PIDDir = "/run/osr"
	// OSRPath is osr itself inside the chroot; FenceAgentPath and ShutdownPath
	// are hard links to it (osr dispatches on its name).
	OSRPath        = "/usr/sbin/osr"
	FenceAgentPath = "/usr/sbin/fence_osr"
	ShutdownPath   = "/shutdown"
)

// The daemons and tools, inside the chroot.
const (
	corosyncBin    = "/usr/sbin/corosync"
	dlmControldBin = "/usr/sbin/dlm_controld"
	quorumToolBin  = "/usr/sbin/corosync-quorumtool"
	cfgToolBin     = "/usr/sbin/corosync-cfgtool"
	dlmToolBin     = "/usr/sbin/dlm_tool"
)

// ClusterConfigPath is where the build installs the cluster configuration inside
// the chroot (mode 0600): the fence agent reads the nodes' fence methods there.
const ClusterConfigPath = "/etc/osr/cluster.conf"
