#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make install with PREFIX=/usr/local into a DESTDIR, then: the installed osr reports
# the compiled-in paths, finds its four drivers when run chrooted into the DESTDIR
# (the binaries are static), reads the listfiles from DATADIR inside a root, and
# make uninstall removes everything but osr.hcl. Needs root for chroot.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-install: $*" >&2; exit 1; }

make -s install DESTDIR="$tmp" PREFIX=/usr/local >/dev/null
osr="$tmp/usr/local/bin/osr"
paths=$("$osr" version --paths)
for want in 'config +/etc/osr/osr.hcl' 'drivers +/usr/local/libexec/osr/drivers' \
	'listfiles +/usr/local/share/osr/listfiles' 'listfiles.d +/etc/osr/listfiles.d'; do
	grep -Eq "^$want\$" <<<"$paths" || fail "osr version --paths lacks '$want':"$'\n'"$paths"
done

mkdir -p "$tmp/tmp" # go-plugin's sockets
drivers=$(chroot "$tmp" /usr/local/bin/osr drivers)
for d in nfs gfs2 ocfs2 ext3; do
	grep -Eq "^$d .* /usr/local/libexec/osr/drivers/osr-driver-$d\$" <<<"$drivers" ||
		fail "chrooted osr drivers does not list $d from /usr/local/libexec:"$'\n'"$drivers"
done

printf 'ID=debian\nVERSION_ID=12\n' >"$tmp/etc/os-release"
json=$("$osr" listfiles --root "$tmp" --driver nfs --json || true)
grep -q "$tmp/usr/local/share/osr/listfiles/base.hcl" <<<"$json" ||
	fail "osr listfiles --root did not read DATADIR's listfiles:"$'\n'"${json:0:600}"

make -s uninstall DESTDIR="$tmp" PREFIX=/usr/local
left=$(find "$tmp/usr" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
[ -f "$tmp/etc/osr/osr.hcl" ] || fail "make uninstall removed osr.hcl"
echo "test-install: ok"
