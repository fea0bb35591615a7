#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the test lab's busybox initrd: loads the listed modules, finds the
# node, brings up the network, mounts the shared root on /newroot, binds the
# node's CDSL tree onto /newroot/.cdsl.local and switches root to /sbin/init.
# Kernel parameters (all optional):
#   osr.node=N|mac           node id, or "mac": look eth0's MAC up in /etc/osr-nodemap
#   osr.ip=ADDR/PREFIX|map   static address for eth0 ("map": from /etc/osr-nodemap)
#   osr.root=DEV|nfs:SERVER:/PATH   root device (default /dev/vda) or NFS export
#   osr.fstype=TYPE          ext3, ext4, gfs2, ocfs2, nfs, nfs4 (default ext3)
#   osr.flags=OPTS           mount options (default rw)
#   osr.o2cb=CLUSTER:UUID:BLOCKBYTES:START:BLOCKS   start the in-kernel o2cb stack and
#                            its local heartbeat region through configfs
#   osr.o2nodes=N:IP,…       o2cb cluster members (o2net port 7777)
#   osr.populate=DEV         extract the tar archive on DEV into the mounted root,
#                            unmount, print "OSR-POPULATE: done" and power off
#   osr.shell=1              open a shell on the console before switch_root
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "OSR-INITRD: $*"; }
fail() {
	say "FAILED: $*"
	dmesg | tail -20
	[ -n "$SHELL1" ] && sh
	poweroff -f
}
waitfor() { i=0; while [ ! -e "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -e "$1" ]; }
say "start uptime=$(up)"
for ko in $(cat /etc/modules.order); do
	insmod "/lib/modules/$ko" 2>/dev/null || say "insmod $(basename "$ko") failed (ignored)"
done
NODE=1 ROOT=/dev/vda FSTYPE=ext3 FLAGS=rw IP= O2CB= O2NODES= POPULATE= SHELL1=
for a in $(cat /proc/cmdline); do
	case $a in
	osr.node=*) NODE=${a#*=} ;;
	osr.root=*) ROOT=${a#*=} ;;
	osr.fstype=*) FSTYPE=${a#*=} ;;
	osr.flags=*) FLAGS=${a#*=} ;;
	osr.ip=*) IP=${a#*=} ;;
	osr.o2cb=*) O2CB=${a#*=} ;;
	osr.o2nodes=*) O2NODES=${a#*=} ;;
	osr.populate=*) POPULATE=${a#*=} ;;
	osr.shell=1) SHELL1=1 ;;
	esac
done
say "modules loaded uptime=$(up)"
ip link set lo up
if [ "$NODE" = mac ] || [ "$IP" = map ]; then
	waitfor /sys/class/net/eth0/address || fail "no eth0 to take the MAC from"
	MAC=$(cat /sys/class/net/eth0/address)
	set -- $(grep -i "^$MAC " /etc/osr-nodemap)
	[ -n "$2" ] || fail "MAC $MAC is not in /etc/osr-nodemap"
	[ "$NODE" = mac ] && NODE=$2
	[ "$IP" = map ] && IP=$3
	[ "$IP" = - ] && fail "MAC $MAC has no address in /etc/osr-nodemap"
	say "mac $MAC is node $NODE ip $IP"
fi
if [ -n "$IP" ]; then
	waitfor /sys/class/net/eth0 || fail "no eth0 for $IP"
	ip link set eth0 up && ip addr add "$IP" dev eth0 || fail "cannot configure eth0 as $IP"
	say "eth0 $IP"
fi
if [ -n "$O2CB" ]; then
	IFS=: read -r CL UUID BB START BLOCKS <<EOT
$O2CB
EOT
	mount -t configfs none /sys/kernel/config || fail "mount configfs"
	C=/sys/kernel/config/cluster/$CL
	mkdir "$C" || fail "create o2cb cluster $CL"
	# faster death detection than o2cb's defaults; identical on all nodes
	echo 7 >"$C/heartbeat/dead_threshold"
	echo 10000 >"$C/idle_timeout_ms"
	for n in $(echo "$O2NODES" | tr , ' '); do
		id=${n%%:*}
		mkdir "$C/node/node$id"
		echo "${n#*:}" >"$C/node/node$id/ipv4_address" # address and port before num
		echo 7777 >"$C/node/node$id/ipv4_port"
		echo "$id" >"$C/node/node$id/num"
	done
	echo 1 >"$C/node/node$NODE/local" || fail "node $NODE is not in osr.o2nodes=$O2NODES"
	waitfor "$ROOT" || fail "no device $ROOT"
	R=$C/heartbeat/$UUID
	mkdir "$R"
	echo "$BB" >"$R/block_bytes"
	echo "$START" >"$R/start_block"
	echo "$BLOCKS" >"$R/blocks"
	exec 5<>"$ROOT"
	echo 5 >"$R/dev" || fail "start o2cb heartbeat on $ROOT"
	exec 5<&-
	say "o2cb cluster $CL node $NODE heartbeat up uptime=$(up)"
	FLAGS=$FLAGS,heartbeat=local
fi
case $ROOT in
nfs:*)
	SRC=${ROOT#nfs:}
	mount -t "$FSTYPE" -o "$FLAGS,addr=${SRC%%:*},nolock" "$SRC" /newroot || fail "mount $FSTYPE $SRC"
	;;
*)
	waitfor "$ROOT" || fail "no device $ROOT"
	mount -t "$FSTYPE" -o "$FLAGS" "$ROOT" /newroot || fail "mount $FSTYPE $ROOT"
	;;
esac
say "mounted $(grep ' /newroot ' /proc/mounts) uptime=$(up)"
if [ -n "$POPULATE" ]; then
	waitfor "$POPULATE" || fail "no populate disk $POPULATE"
	tar -x -f "$POPULATE" -C /newroot || fail "extract $POPULATE"
	sync
	umount /newroot || fail "umount after populate"
	echo "OSR-POPULATE: done files from $POPULATE uptime=$(up)"
	poweroff -f
fi
[ -n "$SHELL1" ] && sh
if [ -d "/newroot/.cluster/cdsl/$NODE" ]; then
	mount --bind "/newroot/.cluster/cdsl/$NODE" /newroot/.cdsl.local || fail "bind CDSL tree of node $NODE"
else
	say "no /.cluster/cdsl/$NODE in the root"
fi
mount --move /dev /newroot/dev
if grep -q configfs /proc/mounts; then mount --move /sys /newroot/sys; else umount /sys; fi
say "switch_root uptime=$(up)"
umount /proc
exec switch_root /newroot /sbin/init
