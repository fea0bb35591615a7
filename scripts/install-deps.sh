#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages osr's tests and demo use, when some are missing.
# Needs root (apt-get); does nothing when everything is there.
set -euo pipefail
pkgs=(
	ca-certificates curl unzip git make gcc protobuf-compiler
	kmod cpio zstd xz-utils lz4 bzip2 gzip
	qemu-system-x86 qemu-utils busybox-static e2fsprogs gfs2-utils ocfs2-tools
	nfs-ganesha nfs-ganesha-vfs rpcbind iproute2 dnsmasq-base ipxe-qemu
	squashfs-tools mount
	openipmi
	corosync dlm-controld
	mmdebstrap openssh-client
	rpm
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "osr: missing Debian packages: ${missing[*]}; install them as root (apt-get install …)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
