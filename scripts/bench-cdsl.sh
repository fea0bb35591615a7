#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench-cdsl.sh — time 'osr cdsl add -a' of a tree of FILES files with 3 nodes
# against the floor, 'cp -a' of the same tree 4 times (nodes 1, 2, 3 and default).
#
#   scripts/bench-cdsl.sh [FILES [ROUNDS]]      (defaults: 20000 files, 3 rounds)
#
# Work files go to $BENCH_DIR (default: a new directory under ${TMPDIR:-/tmp}),
# removed at the end. Prints each round and the median ratio osr/cp (each phase
# ends with sync, so writeback is counted on both sides).
set -eu
files=${1:-20000}
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/bench-cdsl.XXXXXX")}
trap 'rm -rf "$work"' EXIT INT TERM
go=${GO:-go}
command -v "$go" >/dev/null 2>&1 || go=/usr/local/go/bin/go
(cd "$here" && CGO_ENABLED=0 "$go" build -o "$work/osr" ./cmd/osr)

# The tree: 100 files a directory, sizes 0.5–16 KiB, a symlink every 50 files.
python3 - "$work/src" "$files" <<'PY'
import os, sys, random
top, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
for i in range(n):
    d = os.path.join(top, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "f%05d" % i)
    if i % 50 == 49:
        os.symlink("f%05d" % (i - 1), p)
        continue
    with open(p, "wb") as f:
        f.write(rnd.randbytes(rnd.randint(512, 16384)))
PY

now() { date +%s.%N; }
ratios=""
for round in $(seq 1 "$rounds"); do
	rm -rf "$work/cp" "$work/root"
	mkdir -p "$work/cp" "$work/root"
	sync
	t0=$(now)
	for n in 1 2 3 default; do cp -a "$work/src" "$work/cp/$n"; done
	sync
	t1=$(now)
	cp -a "$work/src" "$work/root/data"
	"$work/osr" cdsl init -r "$work/root" --nodes 3 >/dev/null
	sync
	t2=$(now)
	"$work/osr" cdsl add -r "$work/root" -a /data >/dev/null
	sync
	t3=$(now)
	ratio=$(echo "$t0 $t1 $t2 $t3" | awk '{ printf "%.2f", ($4-$3)/($2-$1) }')
	echo "$round: cp -a x4 $(echo "$t0 $t1" | awk '{printf "%.2fs", $2-$1}'), osr cdsl add -a $(echo "$t2 $t3" | awk '{printf "%.2fs", $2-$1}'), ratio $ratio"
	ratios="$ratios $ratio"
done
median=$(echo $ratios | tr ' ' '\n' | sort -n | awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')
echo "files=$files nodes=3 ratios osr/cp:$ratios median $median (goal <= 1.5; load $(cut -d' ' -f1-3 /proc/loadavg))"
