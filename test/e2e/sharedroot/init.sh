#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /sbin/init of the test shared root: proves which node booted, then powers off.
# Prints (one line each, for the host to read on the serial console):
#   OSR-HOSTNAME: <contents of /etc/hostname>   (hostdependent: differs per node)
#   OSR-MARKER: <contents of /etc/osr-marker>   (hostdependent: differs per node)
#   OSR-ROOT: <the mount entry of />
#   OSR-EXTRA: <source mountpoint type of each mount below /srv, ';'-separated>
#   OSR-PEERS: …   with osr.e2e.peers=N osr.e2e.run=ID: after this node wrote
#                  /osr-shared/ID.<hostname> and saw N such files, what they say
#   OSR-INIT-DONE
export PATH=/bin:/sbin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null
HOST=$(cat /etc/hostname 2>/dev/null)
[ -n "$HOST" ] && hostname "$HOST"
echo "OSR-HOSTNAME: $HOST"
echo "OSR-MARKER: $(cat /etc/osr-marker 2>/dev/null)"
echo "OSR-ROOT: $(grep -v '^rootfs ' /proc/mounts | awk '$2 == "/"' | tail -1)"
echo "OSR-EXTRA: $(awk '$2 ~ /^\/srv\// {print $1, $2, $3}' /proc/mounts | tr '\n' ';')"
PEERS= RUN=
for a in $(cat /proc/cmdline); do
	case $a in
	osr.e2e.peers=*) PEERS=${a#*=} ;;
	osr.e2e.run=*) RUN=${a#*=} ;;
	esac
done
if [ -n "$PEERS" ] && [ -n "$RUN" ]; then
	# A barrier on the shared filesystem: every node writes its file and waits
	# for the others' (at most 120 s), so each reads what the others wrote and
	# none powers off while a peer may still need a cluster lock it holds.
	echo "written by $HOST" >"/osr-shared/$RUN.$HOST"
	sync
	i=0
	while [ "$(ls /osr-shared | grep -c "^$RUN\.")" -lt "$PEERS" ] && [ $i -lt 240 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	echo "OSR-PEERS: $(cat /osr-shared/"$RUN".* | tr '\n' ';')"
	sleep 5
fi
echo "OSR-INIT-DONE"
sync
poweroff -f
