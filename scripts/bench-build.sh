#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build benchmark: a generic NFS-capable initrd for the same Debian kernel, built by
# osr, dracut (--no-hostonly) and initramfs-tools (MODULES=most) in one run. Prints
# wall time, image size and module count for each, and the ratios against osr; then
# osr's rebuild from its segment cache after a change of the cluster configuration,
# against dracut's full build.
# Needs root (apt-get for dracut-core and initramfs-tools, /lib/modules link).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-2}

missing=()
# dracut-network with the network-legacy module (dhclient, arping) is what the boot
# benchmark builds its NFS-root dracut image with.
for p in dracut-core dracut-network isc-dhcp-client iputils-arping initramfs-tools; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

eval "$(go run ./internal/testkernel/cmd/osr-testkernel)"
kver=$(basename "$OSR_KERNEL_MODULES")
make -s build

work=$(mktemp -d /var/tmp/osr-bench.XXXXXX)
link=/lib/modules/$kver
config=/boot/config-$kver
made_link= made_config=
cleanup() {
	[ -n "$made_link" ] && rm -f "$link"
	[ -n "$made_config" ] && rm -f "$config"
	rm -rf "$work"
}
trap cleanup EXIT
# mkinitramfs reads the kernel's modules from /lib/modules/VERSION only.
if [ ! -e "$link" ]; then
	mkdir -p /lib/modules
	ln -s "$OSR_KERNEL_MODULES" "$link"
	made_link=1
fi
# …and checks the kernel's compression support in /boot/config-VERSION.
if [ ! -e "$config" ] && [ -n "${OSR_KERNEL_CONFIG:-}" ]; then
	mkdir -p /boot
	ln -s "$OSR_KERNEL_CONFIG" "$config"
	made_config=1
fi
mkdir -p "$work/itconf/conf.d" "$work/itconf/scripts" "$work/itconf/hooks"
cp -r /etc/initramfs-tools/. "$work/itconf/"
sed -i 's/^MODULES=.*/MODULES=most/; s/^COMPRESS=.*/COMPRESS=zstd/' "$work/itconf/initramfs.conf"
grep -q '^BOOT=' "$work/itconf/initramfs.conf" || echo 'BOOT=nfs' >>"$work/itconf/initramfs.conf"

# time_build NAME IMAGE CMD…: best wall time of $runs runs.
declare -A secs size mods
time_build() {
	local name=$1 img=$2 best=
	shift 2
	for _ in $(seq "$runs"); do
		rm -f "$img"
		local t0 t1
		t0=$(date +%s.%N)
		"$@" >"$work/$name.log" 2>&1 || { echo "$name failed:"; tail -20 "$work/$name.log"; exit 1; }
		t1=$(date +%s.%N)
		local s
		s=$(echo "$t1 - $t0" | bc)
		if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
	done
	secs[$name]=$best
	size[$name]=$(stat -c %s "$img")
	mods[$name]=$(bin/osr inspect "$img" | grep -cE '\.ko(\.(xz|zst|gz))?( |$)' || true)
}

# A full build: --force compresses every segment, whatever the cache holds.
time_build osr "$work/osr.img" bin/osr build --driver nfs --modules "$OSR_KERNEL_MODULES" --output "$work/osr.img" \
	--listfile-dir listfiles --driver-dir bin --config /dev/null --cache-dir "$work/cache" --force
# The rebuild: a build with a cluster configuration fills the segment cache; then
# the configuration changes (a node's address) before every timed rebuild.
cluster_conf() {
	cat >"$work/cluster.conf" <<EOF
<?xml version="1.0"?>
<cluster name="bench" config_version="$1">
 <clusternodes>
  <clusternode name="node1" nodeid="1" votes="1">
   <com_info>
    <rootvolume name="192.168.122.1:/nfsroot" fstype="nfs4"/>
    <eth name="eth0" mac="52:54:00:00:01:71" ip="192.168.122.$((10 + $1))" mask="255.255.255.0"/>
   </com_info>
  </clusternode>
 </clusternodes>
</cluster>
EOF
}
rebuild=(bin/osr build --driver nfs --modules "$OSR_KERNEL_MODULES" --output "$work/rebuild.img" --listfile-dir listfiles
	--driver-dir bin --config /dev/null --cluster "$work/cluster.conf" --cache-dir "$work/cache")
cluster_conf 1
"${rebuild[@]}" >"$work/rebuild.log" 2>&1 || { echo "osr build with the cache failed:"; cat "$work/rebuild.log"; exit 1; }
best=
for i in $(seq "$runs"); do
	cluster_conf $((i + 1))
	t0=$(date +%s.%N)
	"${rebuild[@]}" >"$work/rebuild.log" 2>&1 || { echo "osr rebuild failed:"; cat "$work/rebuild.log"; exit 1; }
	t1=$(date +%s.%N)
	s=$(echo "$t1 - $t0" | bc)
	if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
done
grep -q '3 of 4 segments from the cache' "$work/rebuild.log" || { echo "the rebuild did not use the cache:"; cat "$work/rebuild.log"; exit 1; }
secs[osr-rebuild]=$best
size[osr-rebuild]=$(stat -c %s "$work/rebuild.img")
mods[osr-rebuild]=$(bin/osr inspect "$work/rebuild.img" | grep -cE '\.ko(\.(xz|zst|gz))?( |$)' || true)

time_build dracut "$work/dracut.img" dracut --no-hostonly --no-early-microcode --zstd --force \
	--kver "$kver" --kmoddir "$OSR_KERNEL_MODULES" "$work/dracut.img"
time_build initramfs-tools "$work/it.img" mkinitramfs -d "$work/itconf" -o "$work/it.img" "$kver"

printf '\nkernel %s, best of %s runs, %s cores, load %s\n\n' "$kver" "$runs" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %10s %12s %8s %14s %14s\n' tool "wall (s)" "size (MB)" modules "time vs osr" "size vs osr"
for n in osr osr-rebuild dracut initramfs-tools; do
	printf '%-16s %10.2f %12.1f %8s %13.1fx %13.2fx\n' "$n" "${secs[$n]}" "$(echo "${size[$n]}/1000000" | bc -l)" "${mods[$n]}" \
		"$(echo "${secs[$n]}/${secs[osr]}" | bc -l)" "$(echo "${size[$n]}/${size[osr]}" | bc -l)"
done
printf '\nosr rebuild after a cluster configuration change (segment cache): %.3f s, 1/%.0f of dracut'"'"'s full build (%.2f s)\n' \
	"${secs[osr-rebuild]}" "$(echo "${secs[dracut]}/${secs[osr-rebuild]}" | bc -l)" "${secs[dracut]}"
printf 'dracut / osr: %.1fx (target >= 40x); osr %.2f s against booster'"'"'s published universal image, 1.2-3.5 s on 2 vCPUs\n' \
	"$(echo "${secs[dracut]}/${secs[osr]}" | bc -l)" "${secs[osr]}"
