#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make package, then: the .deb and .rpm hold osr, the four drivers, the listfiles, the
# kernel hooks, the man pages, the shell completions and osr.hcl as a conffile, carry
# scripts/pkg-version.sh's version, and the osr unpacked from the .deb reports the /usr
# layout and finds its drivers when run chrooted into the unpacked tree (the binaries
# are static); osr-compat holds the links at the originals' paths and depends on that
# osr. Needs root for chroot.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "test-package: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -f dist/osr_*.deb dist/osr-*.rpm dist/osr-compat_*.deb
make -s package >/dev/null
v=$(scripts/pkg-version.sh)
deb=$(ls dist/osr_*.deb) rpmf=$(ls dist/osr-[0-9]*.rpm)
cdeb=$(ls dist/osr-compat_*.deb) crpm=$(ls dist/osr-compat-[0-9]*.rpm)
[ "$(dpkg-deb -f "$deb" Version)" = "$v" ] || fail "$deb has version $(dpkg-deb -f "$deb" Version), want $v"

want=(/usr/bin/osr /usr/libexec/osr/{osr-driverhost,osr-init,osr-init-plugin} /usr/libexec/osr/drivers/osr-driver-{nfs,gfs2,ocfs2,ext3}
	/usr/share/osr/listfiles/base.hcl /usr/lib/kernel/install.d/50-osr.install
	/etc/kernel/postinst.d/osr /etc/kernel/postrm.d/osr /etc/osr/osr.hcl /usr/share/doc/osr/LICENSE
	/usr/share/man/man5/osr.hcl.5 /usr/share/man/man7/osr-cmdline.7
	/usr/share/man/man8/osr{,-build,-cdsl,-cluster,-config,-drivers,-inspect}.8
	/usr/share/bash-completion/completions/osr /usr/share/zsh/site-functions/_osr
	/usr/share/fish/vendor_completions.d/osr.fish)
debfiles=$(dpkg-deb -c "$deb" | awk '{print substr($6, 2)}')
for f in "${want[@]}"; do grep -qx "$f" <<<"$debfiles" || fail "$deb lacks $f"; done
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
for f in /etc/osr/osr.hcl /etc/kernel/postinst.d/osr /etc/kernel/postrm.d/osr; do
	grep -qx "$f" <<<"$conffiles" || fail "$deb: $f is not a conffile"
done
if command -v rpm >/dev/null; then
	[ "$(rpm -qp --qf '%{VERSION}' "$rpmf" 2>/dev/null)" = "$v" ] || fail "$rpmf has not version $v"
	rpmfiles=$(rpm -qlp "$rpmf" 2>/dev/null)
	for f in "${want[@]}"; do grep -qx "$f" <<<"$rpmfiles" || fail "$rpmf lacks $f"; done
	grep -qx /etc/osr/osr.hcl <<<"$(rpm -qp --configfiles "$rpmf" 2>/dev/null)" || fail "$rpmf: osr.hcl is not a config file"
fi

# osr-compat: the links of make install-compat, to /usr/bin/osr, and a dependency on this osr.
links=(/usr/bin/com-{queryclusterconf,mkcdsl,rmcdsl,cdslinvadm,cdslinvchk,mkcdslinfrastructure}
	/opt/atix/comoonics-bootimage/mkinitrd)
clist=$(dpkg-deb -c "$cdeb")
for l in "${links[@]}"; do
	grep -Eq "^l.* \.$l -> /usr/bin/osr\$" <<<"$clist" || fail "$cdeb lacks the link $l -> /usr/bin/osr:"$'\n'"$clist"
done
[ "$(dpkg-deb -f "$cdeb" Depends)" = "osr (= $v)" ] || fail "$cdeb depends on '$(dpkg-deb -f "$cdeb" Depends)', want 'osr (= $v)'"
grep -Eq '^-.* \./usr/bin/osr$' <<<"$clist" && fail "$cdeb holds osr itself"
if command -v rpm >/dev/null; then
	crpmfiles=$(rpm -qlp "$crpm" 2>/dev/null)
	for l in "${links[@]}"; do grep -qx "$l" <<<"$crpmfiles" || fail "$crpm lacks $l"; done
	rpm -qp --requires "$crpm" 2>/dev/null | grep -qx "osr = $v" || fail "$crpm does not require osr = $v"
fi

dpkg-deb -x "$deb" "$tmp"
grep -q 'osr=${OSR_BIN:-/usr/bin/osr}' "$tmp/etc/kernel/postinst.d/osr" || fail "the postinst hook does not call /usr/bin/osr"
out=$("$tmp/usr/bin/osr" version --paths)
grep -q "^osr $v " <<<"$out" || fail "osr version says: $out; want $v"
grep -Eq '^drivers +/usr/libexec/osr/drivers$' <<<"$out" || fail "osr version --paths: $out"
mkdir -p "$tmp/tmp"
drivers=$(chroot "$tmp" /usr/bin/osr drivers)
for d in nfs gfs2 ocfs2 ext3; do
	grep -Eq "^$d .* /usr/libexec/osr/drivers/osr-driver-$d\$" <<<"$drivers" || fail "osr drivers in the unpacked .deb:"$'\n'"$drivers"
done
if command -v man >/dev/null; then
	man -l "$tmp/usr/share/man/man8/osr-build.8" 2>/dev/null | grep -q -- '--output' || fail "osr-build(8) does not render with --output"
fi
echo "test-package: ok ($deb, $rpmf, $cdeb, $crpm)"
