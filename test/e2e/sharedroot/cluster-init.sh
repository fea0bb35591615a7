#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /sbin/init of the cluster tests' shared root (GFS2 with lock_dlm): proves which
# node booted and that the cluster stack outlived switch_root, keeps appending to
# its own file on the shared filesystem (so it always holds that file's lock),
# and then takes commands, one a line, on the console:
#   write NODE   append to NODE's file (after NODE died: only once the cluster
#                fenced it and replayed its journal) and say how long it took
#   status       print osr cluster status
#   leave        stop writing and shut down cleanly: return into the cluster
#                stack's chroot as systemd-shutdown does and run /shutdown
# Lines printed (for the host to read on the serial console):
#   OSR-HOSTNAME: / OSR-MARKER: / OSR-ROOT:   as the standard test init
#   OSR-STATUS: …        osr cluster status, line by line; OSR-STATUS-END after it
#   OSR-PEERS: …         once osr.e2e.peers=N nodes of osr.e2e.run=ID write
#   OSR-WROTE: NODE (in SECONDS s)
#   OSR-INIT-DONE        after the peers line: the node is up and writing
export PATH=/bin:/sbin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
HOST=$(cat /etc/hostname 2>/dev/null)
[ -n "$HOST" ] && hostname "$HOST"
echo "OSR-HOSTNAME: $HOST"
echo "OSR-MARKER: $(cat /etc/osr-marker 2>/dev/null)"
echo "OSR-ROOT: $(grep -v '^rootfs ' /proc/mounts | awk '$2 == "/"' | tail -1)"
PEERS=1 RUN=run
for a in $(cat /proc/cmdline); do
	case $a in
	osr.e2e.peers=*) PEERS=${a#*=} ;;
	osr.e2e.run=*) RUN=${a#*=} ;;
	esac
done
OSR=/run/initramfs/usr/sbin/osr
up() { cut -d' ' -f1 /proc/uptime; }
status() {
	[ -x $OSR ] && $OSR cluster status 2>&1 | sed "s/^/OSR-STATUS: /"
	echo "OSR-STATUS-END"
}
status
F=/osr-shared/$RUN.$HOST
(
	i=0
	while :; do
		echo "$HOST $i" >>"$F"
		i=$((i + 1))
		sleep 0.2
	done
) &
WRITER=$!
i=0
while [ "$(ls /osr-shared | grep -c "^$RUN\.")" -lt "$PEERS" ] && [ $i -lt 600 ]; do
	sleep 0.5
	i=$((i + 1))
done
echo "OSR-PEERS: $(ls /osr-shared | grep "^$RUN\." | sed "s/^$RUN\.//" | tr '\n' ' ')"
echo "OSR-INIT-DONE"
while read -r cmd arg; do
	case $cmd in
	write)
		t0=$(up)
		echo "written by $HOST" >>"/osr-shared/$RUN.$arg" && sync
		t1=$(up)
		echo "OSR-WROTE: $arg (in $(awk "BEGIN { print $t1 - $t0 }")s)"
		;;
	status) status ;;
	leave)
		kill $WRITER
		wait $WRITER 2>/dev/null
		sleep 0.5 # the writer's last sleep, which keeps the root busy
		sync
		echo "OSR-LEAVING"
		# What systemd-shutdown does at the end: back into /run/initramfs,
		# the old root on /oldroot, and exec /shutdown there.
		mkdir -p /run/initramfs/oldroot
		cd /run/initramfs || exit 1
		pivot_root . oldroot
		exec /oldroot/bin/busybox chroot . /shutdown poweroff </dev/console >/dev/console 2>&1
		;;
	"") ;;
	*) echo "OSR-UNKNOWN: $cmd" ;;
	esac
done
