// SPDX-License-Identifier: Apache-2.0

// Package e2e holds osr's boot tests: real kernels booting shared roots
// under qemu-system-x86_64 with software emulation (TCG, no KVM needed).
//
// The lab they stand on lives in the packages below it, one job each:
//
//	qemu        boot a guest: direct kernel boot, serial console to a log
//	            file and scanned for markers, NICs with given MACs, raw disks
//	            (exclusive, snapshot, read-only, shared read-write), a hard
//	            timeout that kills the qemu it started, several guests at once,
//	            the time to each marker and Measure for boot benchmarks
//	netlab      a private network namespace with a bridge and tap devices
//	ganesha     rpcbind + nfs-ganesha (NFSv3 and v4.x) inside that namespace
//	vlanswitch  a learning 802.1Q switch in userspace: guests' NICs on qemu
//	            stream sockets, the server side on a tap in the namespace,
//	            so VLAN and bond tests need no 8021q, bonding or bridge in
//	            the host's kernel
//	sharedroot  a busybox shared root whose /sbin/init prints the node's
//	            hostname and marker file; ext3, GFS2 and OCFS2 images;
//	            populate boots; OCFS2 heartbeat parameters
//	bbinitrd    the lab's own busybox initrd (shell /init), which mounts
//	            every filesystem above without osr and populates images
//	busybox     a static busybox (busybox-static unpacked if /bin/busybox
//	            is dynamic)
//
// The kernel is Debian's, from internal/testkernel.
//
// A boot test reads like this:
//
//	tree := labTree(t, k, 2)                       // hostdependent /etc/hostname, /etc/osr-marker
//	sharedroot.MakeExt3(ctx, tree, img, 64)
//	m := machine(t, k, "node1", "ext3", "osr.node=mac")
//	m.Disks = []qemu.Disk{{Path: img, Mode: qemu.Snapshot}}
//	m.NICs = []qemu.NIC{{MAC: qemu.NodeMAC(1)}}
//	results, err := qemu.Run(ctx, qemu.Boot{Machine: m, Expect: identity(1)})
//
// The tests need root (namespaces, taps, the NFS server) and the Debian
// packages qemu-system-x86, iproute2, e2fsprogs, gfs2-utils, ocfs2-tools,
// nfs-ganesha, nfs-ganesha-vfs and rpcbind; -short skips them. Set
// OSR_E2E_LOGDIR to keep every console log; a failing boot reports the
// last lines of its log in any case.
package e2e
