#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /sbin/init of the network test's shared root: shows how the initrd built the
# node's network (bond0 of two NICs, a VLAN on it, a bridge over the VLAN), then
# takes one command on the console:
#   failover TOKEN   the host pulled the active NIC's cable: wait until bond0 made
#                    the other NIC active, read /osr-shared/host-TOKEN (written by
#                    the host after the pull) and write /osr-shared/node-TOKEN over
#                    the root, then power off
# Lines printed (for the host to read on the serial console):
#   OSR-HOSTNAME: / OSR-ROOT:   as the standard test init
#   OSR-NET: <link address;…> of every address the node has
#   OSR-BOND: mode … slaves … active NIC MAC
#   OSR-VLAN: <VLAN device | id | link;…> from /proc/net/vlan/config
#   OSR-BRIDGE: br1 ports …
#   OSR-ROUTE: the route to the NFS server (osr.e2e.server=ADDR)
#   OSR-NETFILES: networkd … | NetworkManager … | ifupdown …   the network
#                 configuration the init handed over in /run, by system
#   OSR-NETFILE: NAME: <the lines of each networkd file>
#   OSR-NET-READY               waiting for the command
#   OSR-FAILOVER: active NIC MAC, OLDNIC <its operstate>
#   OSR-FAILOVER-READ: what host-TOKEN says
#   OSR-FAILOVER-WROTE: TOKEN
#   OSR-INIT-DONE
export PATH=/bin:/sbin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
HOST=$(cat /etc/hostname 2>/dev/null)
[ -n "$HOST" ] && hostname "$HOST"
SERVER=
for a in $(cat /proc/cmdline); do
	case $a in
	osr.e2e.server=*) SERVER=${a#*=} ;;
	esac
done
B=/sys/class/net/bond0/bonding
# The active slave and its own MAC: in active-backup every slave carries the
# bond's MAC, /proc/net/bonding keeps each one's permanent address.
active() {
	a=$(cat $B/active_slave)
	echo "$a $(awk -v s="$a" '/^Slave Interface:/ { cur = $3 } /^Permanent HW addr:/ && cur == s { print $4 }' /proc/net/bonding/bond0)"
}
ACTIVE=$(cat $B/active_slave)
echo "OSR-HOSTNAME: $HOST"
echo "OSR-ROOT: $(grep -v '^rootfs ' /proc/mounts | awk '$2 == "/"' | tail -1)"
echo "OSR-NET: $(ip -o addr show 2>/dev/null | awk '{print $2, $4}' | tr '\n' ';')"
echo "OSR-BOND: mode $(cat $B/mode) slaves $(cat $B/slaves) active $(active)"
echo "OSR-VLAN: $(tail -n +3 /proc/net/vlan/config | tr -s ' ' | tr '\n' ';')"
echo "OSR-BRIDGE: br1 ports $(ls /sys/class/net/br1/brif | tr '\n' ' ')"
echo "OSR-ROUTE: $(ip -6 route get "$SERVER" 2>&1 | head -1)"
files() { ls "$1" 2>/dev/null | grep osr | tr '\n' ' '; }
echo "OSR-NETFILES: networkd $(files /run/systemd/network)| NetworkManager $(files /run/NetworkManager/system-connections)| ifupdown $(files /run/network/interfaces.d)"
for f in /run/systemd/network/*osr*; do
	echo "OSR-NETFILE: ${f##*/}: $(grep -v '^#' "$f" | grep . | tr '\n' ' ')"
done
echo "OSR-NET-READY"
read -r cmd TOKEN
if [ "$cmd" = failover ]; then
	i=0
	while [ "$(cat $B/active_slave)" = "$ACTIVE" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "OSR-FAILOVER: active $(active), $ACTIVE $(cat /sys/class/net/"$ACTIVE"/operstate)"
	echo "OSR-FAILOVER-READ: $(cat /osr-shared/host-"$TOKEN")"
	echo "written by $HOST after the failover" >/osr-shared/node-"$TOKEN" && sync && echo "OSR-FAILOVER-WROTE: $TOKEN"
fi
echo "OSR-INIT-DONE"
sync
poweroff -f
