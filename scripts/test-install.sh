#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make install with PREFIX=/usr/local into a DESTDIR, then: the installed osr reports
# the compiled-in paths and starts without gRPC or protobuf, osr-driverhost and
# osr-init and osr-init-plugin lie in LIBEXECDIR/osr, the four drivers are links to
# osr-init-plugin and osr-init links no gRPC, osr
# finds its four drivers when run chrooted into the DESTDIR (the binaries are
# static; osr execs osr-driverhost) and says clearly when osr-driverhost is missing, reads the listfiles from DATADIR inside a root, has its
# man pages and bash, zsh and fish completions under DATADIR, make install-compat
# links the originals' names to it, and make uninstall and uninstall-compat remove
# everything but osr.hcl. Needs root for chroot.
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

libexec="$tmp/usr/local/libexec/osr"
for p in osr-driverhost osr-init osr-init-plugin; do [ -x "$libexec/$p" ] || fail "make install did not install $libexec/$p"; done
for d in nfs gfs2 ocfs2 ext3; do
	[ "$(readlink "$libexec/drivers/osr-driver-$d")" = ../osr-init-plugin ] || fail "osr-driver-$d is not a link to ../osr-init-plugin"
done
# osr-init, the /init of images with a built-in driver, calls it in process.
rpc=$(GODEBUG=inittrace=1 "$libexec/osr-init" version 2>&1 >/dev/null | grep -cE '^init (google.golang.org/(grpc|protobuf)|github.com/hashicorp/go-plugin)' || true)
[ "$rpc" = 0 ] || fail "osr-init initialises $rpc gRPC/protobuf/go-plugin packages"
rpc=$(GODEBUG=inittrace=1 "$osr" version 2>&1 >/dev/null | grep -cE '^init (google.golang.org/(grpc|protobuf)|github.com/hashicorp/go-plugin)' || true)
[ "$rpc" = 0 ] || fail "osr version initialises $rpc gRPC/protobuf/go-plugin packages"
# Nor go-cmp, whose init compiles regular expressions (hclwrite and gohcl link it).
cmp=$(GODEBUG=inittrace=1 "$osr" version 2>&1 >/dev/null | grep -cE '^init (github.com/google/go-cmp|github.com/hashicorp/hcl/v2/(hclwrite|gohcl))' || true)
[ "$cmp" = 0 ] || fail "osr version initialises $cmp go-cmp/hclwrite/gohcl packages"
# Nor the fence methods' libraries: osr cluster fence, fence-ack, status and watch run in osr-driverhost.
fence=$(GODEBUG=inittrace=1 "$osr" version 2>&1 >/dev/null | grep -cE '^init (github.com/bougou/go-ipmi|github.com/olekukonko)' || true)
[ "$fence" = 0 ] || fail "osr version initialises $fence packages of the fence methods"

mkdir -p "$tmp/tmp" # go-plugin's sockets
drivers=$(chroot "$tmp" /usr/local/bin/osr drivers)
for d in nfs gfs2 ocfs2 ext3; do
	grep -Eq "^$d .* /usr/local/libexec/osr/drivers/osr-driver-$d\$" <<<"$drivers" ||
		fail "chrooted osr drivers does not list $d from /usr/local/libexec:"$'\n'"$drivers"
done

help=$(chroot "$tmp" /usr/local/bin/osr cluster fence --help)
grep -q '^Usage: osr cluster fence NODE' <<<"$help" || fail "chrooted osr cluster fence --help (run by osr-driverhost):"$'\n'"$help"

mv "$libexec/osr-driverhost" "$tmp/osr-driverhost.away"
if out=$(chroot "$tmp" /usr/local/bin/osr drivers 2>&1); then fail "osr drivers ran without osr-driverhost"; fi
grep -q "osr-driverhost is not installed: looked in .*/usr/local/libexec/osr" <<<"$out" ||
	fail "osr drivers without osr-driverhost: $out"
mv "$tmp/osr-driverhost.away" "$libexec/osr-driverhost"

printf 'ID=debian\nVERSION_ID=12\n' >"$tmp/etc/os-release"
# Run from the DESTDIR, not chrooted: LIBEXECDIR is not where make install put it.
json=$(OSR_LIBEXEC_DIR="$libexec" "$osr" listfiles --root "$tmp" --driver nfs --json || true)
grep -q "$tmp/usr/local/share/osr/listfiles/base.hcl" <<<"$json" ||
	fail "osr listfiles --root did not read DATADIR's listfiles:"$'\n'"${json:0:600}"

share="$tmp/usr/local/share"
for f in man/man8/osr.8 man/man8/osr-build.8 man/man8/osr-cdsl.8 man/man8/osr-cluster.8 \
	man/man5/osr.hcl.5 man/man7/osr-cmdline.7 bash-completion/completions/osr \
	zsh/site-functions/_osr fish/vendor_completions.d/osr.fish; do
	[ -s "$share/$f" ] || fail "make install did not install $share/$f"
done
grep -q '__start_osr' "$share/bash-completion/completions/osr" || fail "the bash completion is not osr's"

make -s install-compat DESTDIR="$tmp" PREFIX=/usr/local BOOTIMAGEDIR=/usr/local/lib/comoonics-bootimage >/dev/null
for l in bin/com-queryclusterconf bin/com-mkcdsl lib/comoonics-bootimage/mkinitrd; do
	[ "$(readlink "$tmp/usr/local/$l")" = /usr/local/bin/osr ] || fail "make install-compat: $l is not a link to /usr/local/bin/osr"
done
make -s uninstall-compat DESTDIR="$tmp" PREFIX=/usr/local BOOTIMAGEDIR=/usr/local/lib/comoonics-bootimage
make -s uninstall DESTDIR="$tmp" PREFIX=/usr/local
left=$(find "$tmp/usr" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
[ -f "$tmp/etc/osr/osr.hcl" ] || fail "make uninstall removed osr.hcl"
echo "test-install: ok"
