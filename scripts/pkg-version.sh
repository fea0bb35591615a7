#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Prints osr's package version from git tags: v0.2.0 → 0.2.0, five commits after it
# → 0.2.0+git5.gabc1234 (sorts after 0.2.0 for dpkg and rpm), no tag at all →
# 0.0.0+gitN.gHASH with N the number of commits.
set -eu
d=$(git describe --tags --match 'v[0-9]*' 2>/dev/null) ||
	d="v0.0.0-$(git rev-list --count HEAD)-g$(git rev-parse --short HEAD)"
d=${d#v}
case "$d" in
*-*-g*)
	base=${d%-*-g*}
	rest=${d#"$base"-}
	d="$base+git${rest%%-*}.${rest#*-}"
	;;
esac
echo "$d"
