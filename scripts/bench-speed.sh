#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Per-process speed and image weight, each measured side by side with its anchor
# in this run and printed as a ratio (median wall time of $RUNS runs each, the
# two commands alternating):
#   - osr version against a Go hello-world built here with the same flags, and
#     whether gRPC/protobuf initialise when a command talks to no driver;
#   - a cluster query on a 1000-node cluster.conf against xmllint --xpath
#     answering the same question on the same file (the node of a MAC, the node
#     list), and the parse alone in-process (go test -bench);
#   - osr inspect IMAGE >/dev/null against the decompressor alone, TOOL -dc
#     IMAGE >/dev/null (zstd, pigz and gzip, xz), on the same image: built by
#     osr for the test kernel, and the same cpio archive compressed as one
#     stream by the tool (as dracut and initramfs-tools do); with osr's peak RSS; a 3,000,000-entry image listed and --cat'ed (peak RSS); a
#     64-byte zstd frame declaring a 2 GiB window (refused; peak RSS);
#   - an xz build against a zstd build of the same image (no cache: --force),
#     at zstd's default level and at 7, and xz -0 against zstd -3 alone on one
#     16 MiB chunk (what the compressors cost per byte);
#   - the whole build against dracut's on the same kernel: from scratch, from
#     the segment cache, and with dracut's module set;
#   - the Go code an image carries: osr-init with a built-in driver, and
#     osr-init-plugin with the driver program of its own.
# Needs root (apt-get for libxml2-utils, pigz and dracut-core).
# bench-speed.sh startup: the start-up section alone (osr version against the
# hello-world), without the test kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
only=${1:-}
case $only in
"" | startup) ;;
*) echo "usage: $0 [startup]" >&2; exit 2 ;;
esac

missing=()
for p in libxml2-utils pigz zstd xz-utils gzip time python3 bc dracut-core; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

make -s build
work=$(mktemp -d /var/tmp/osr-speed.XXXXXX)
trap 'rm -rf "$work"' EXIT

# best_ns CMD…: the best wall time of $runs runs, in nanoseconds.
best_ns() {
	local b=0 t0 t1
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>"$work/last.err" || {
			echo "failed: $(cut -c1-200 <<<"$*"):" >&2
			tail -5 "$work/last.err" >&2
			exit 1
		}
		t1=$(date +%s%N)
		if [ "$b" = 0 ] || [ $((t1 - t0)) -lt "$b" ]; then b=$((t1 - t0)); fi
	done
	echo "$b"
}
# peak_kb CMD…: the command's peak resident set in KiB (its exit status ignored).
peak_kb() { /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1 || true; tail -1 "$work/rss"; }
# median LIST…: the median of the numbers.
# (printf %.0f: mawk prints integers past 2^31 in exponent form, which bc cannot read.)
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{printf "%.0f\n", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
# compare LABEL ANCHOR-LABEL TARGET CMD1… -- CMD2…: times both, alternating, prints the ratio of the medians.
compare() {
	local label=$1 anchor=$2 target=$3 a=() b=() xs=() ys=() ta tb
	shift 3
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	for _ in $(seq "$runs"); do
		xs+=("$(runs=1 best_ns "${a[@]}")")
		ys+=("$(runs=1 best_ns "${b[@]}")")
	done
	ta=$(median "${xs[@]}")
	tb=$(median "${ys[@]}")
	if [ -z "$ta" ] || [ -z "$tb" ] || [ "$ta" = 0 ] || [ "$tb" = 0 ]; then
		printf '%-46s a run failed (see above): no ratio\n' "$label"
		return
	fi
	printf '%-46s %9.3f s  %-16s %9.3f s  %6.2fx  (target %s)\n' "$label" "$(bc -l <<<"$ta/1000000000")" \
		"$anchor" "$(bc -l <<<"$tb/1000000000")" "$(bc -l <<<"$ta/$tb")" "$target"
}

printf '\n%s cores, load %s, median of %s runs\n\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs"

# Start-up.
mkdir -p "$work/hello"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' >"$work/hello/main.go"
printf 'module hello\n\ngo 1.22\n' >"$work/hello/go.mod"
(cd "$work/hello" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o hello .)
runs=$((runs * 6)) compare "osr version" "hello-world" "<= 3x" bin/osr version -- "$work/hello/hello"
inits=$(GODEBUG=inittrace=1 bin/osr version 2>&1 >/dev/null | grep -c '^init ' || true)
rpc=$(GODEBUG=inittrace=1 bin/osr version 2>&1 >/dev/null | grep -cE '^init (google.golang.org/(grpc|protobuf)|github.com/hashicorp/go-plugin)' || true)
initms=$(GODEBUG=inittrace=1 bin/osr version 2>&1 >/dev/null | awk '/^init /{s+=$5} END{printf "%.1f", s}')
printf '%-46s %d packages initialised, %s ms of init, %d of them gRPC/protobuf (target 0)\n' "osr version start-up" "$inits" "$initms" "$rpc"
printf '%-46s %.1f MB\n' "osr binary" "$(bc -l <<<"$(stat -c %s bin/osr)/1000000")"
[ "$only" = startup ] && exit 0

eval "$(go run ./internal/testkernel/cmd/osr-testkernel)"

# A cluster query on 1000 nodes.
OSR_WRITE_BIG_CLUSTER="$work/cluster.conf" go test -count=1 -run TestGenerated1000 ./framework/cluster/query >/dev/null
mac=00:1A:03:E8:00:02
xpath="string(/cluster/clusternodes/clusternode[com_info/eth[translate(@mac,'abcdef','ABCDEF')='$mac']]/@nodeid)"
[ "$(bin/osr cluster query -c "$work/cluster.conf" nodeid "$mac")" = 1000 ]
[ "$(xmllint --xpath "$xpath" "$work/cluster.conf")" = 1000 ]
runs=$((runs * 2)) compare "osr cluster query nodeid MAC (1000 nodes)" "xmllint --xpath" "<= 1x" \
	bin/osr cluster query -c "$work/cluster.conf" nodeid "$mac" -- xmllint --xpath "$xpath" "$work/cluster.conf"
[ "$(bin/osr cluster query -c "$work/cluster.conf" nodeids | wc -w)" = 1000 ]
[ "$(xmllint --xpath /cluster/clusternodes/clusternode/@nodeid "$work/cluster.conf" | wc -w)" = 1000 ]
runs=$((runs * 2)) compare "osr cluster query nodeids (1000 nodes)" "xmllint --xpath" "<= 1x" \
	bin/osr cluster query -c "$work/cluster.conf" nodeids -- xmllint --xpath /cluster/clusternodes/clusternode/@nodeid "$work/cluster.conf"
go test -run '^$' -bench 'ParseXML1000|ReadClusterConf1000' -benchtime 20x ./framework/cluster |
	awk '/^Benchmark/{printf "%-46s %9.2f ms in-process\n", $1, $3/1e6}'

# Builds and inspect. --force: every segment is compressed, none taken from the cache.
# build COMPRESSION [FLAG…]: the image $work/COMPRESSION.img, or $work/$out.img.
build() {
	bin/osr build --driver nfs --modules "$OSR_KERNEL_MODULES" --output "$work/${out:-$1}.img" \
		--listfile-dir listfiles --driver-dir bin --config /dev/null --compress "$1" \
		--cache-dir "$work/cache" --force "${@:2}"
}
build_zstd7() { out=zstd7 build zstd --level 7; }
for c in zstd gzip xz; do build "$c" >/dev/null; done
printf '%-46s %s\n' "xz writer" "$(command -v xz >/dev/null && xz --version | head -1 || echo "built-in (no xz program)")"
runs=2 compare "osr build --compress xz" "--compress zstd" "<= 2x" build xz -- build zstd
runs=2 compare "osr build --compress xz" "--compress zstd --level 7" "(no target)" build xz -- build_zstd7
# The same archive as one stream, compressed the way dracut and initramfs-tools do.
zstd -dcq "$work/zstd.img" >"$work/main.cpio"
zstd -q -T0 -c "$work/main.cpio" >"$work/zstd1.img"
gzip -n -c "$work/main.cpio" >"$work/gzip1.img"
xz --check=crc32 -T0 -c "$work/main.cpio" >"$work/xz1.img"
# What the compressors alone cost per byte, on one 16 MiB chunk as osr gives each
# worker: the floor of the xz/zstd build ratio at any number of cores.
head -c 16777216 "$work/main.cpio" >"$work/chunk"
runs=3 compare "xz -0 -T1 (one chunk, the compressor alone)" "zstd -3" "(floor)" \
	xz -0 -T1 --check=crc32 -c "$work/chunk" -- zstd -3 -q -c "$work/chunk"
rm -f "$work/main.cpio" "$work/chunk"
compare "osr inspect (zstd image)" "zstd -dc" "<= 1.2x" bin/osr inspect "$work/zstd.img" -- zstd -dc "$work/zstd.img"
compare "osr inspect (zstd, one stream by zstd)" "zstd -dc" "<= 1.2x" bin/osr inspect "$work/zstd1.img" -- zstd -dc "$work/zstd1.img"
compare "osr inspect (gzip image)" "pigz -dc" "<= 1.2x" bin/osr inspect "$work/gzip.img" -- pigz -dc "$work/gzip.img"
compare "osr inspect (gzip image)" "gzip -dc" "<= 1.2x" bin/osr inspect "$work/gzip.img" -- gzip -dc "$work/gzip.img"
compare "osr inspect (gzip, one stream by gzip)" "pigz -dc" "<= 1.2x" bin/osr inspect "$work/gzip1.img" -- pigz -dc "$work/gzip1.img"
runs=3 compare "osr inspect (xz image)" "xz -dc" "<= 1.2x" bin/osr inspect "$work/xz.img" -- xz -dc "$work/xz.img"
runs=3 compare "osr inspect (xz, one stream by xz -T0)" "xz -dc" "<= 1.2x" bin/osr inspect "$work/xz1.img" -- xz -dc "$work/xz1.img"
for c in zstd gzip xz; do
	printf '%-46s %9d KiB peak RSS\n' "osr inspect ($c image)" "$(peak_kb bin/osr inspect "$work/$c.img")"
done

# The whole build against dracut's (--no-hostonly, zstd) on the same kernel, alternating:
# osr from scratch (--force), osr again with every segment in its cache, and osr
# with dracut's module set (each module dracut took, by name, with --module).
kver=$(basename "$OSR_KERNEL_MODULES")
dracut_build() {
	dracut --no-hostonly --no-early-microcode --zstd --force --kver "$kver" --kmoddir "$OSR_KERNEL_MODULES" "$work/dracut.img"
}
dracut_build >/dev/null 2>&1 || { echo "dracut failed"; exit 1; }
mapfile -t dmods < <(bin/osr inspect "$work/dracut.img" | sed -nE 's#.*/([^/ ]+)\.ko(\.(xz|zst|gz))?( .*)?$#\1#p' | sort -u)
modargs=()
for m in "${dmods[@]}"; do modargs+=(--module "$m"); done
dset_build() { bin/osr build --driver nfs --modules "$OSR_KERNEL_MODULES" --output "$work/dset.img" \
	--listfile-dir listfiles --driver-dir bin --config /dev/null --cache-dir "$work/cache" --force "${modargs[@]}"; }
osr_rebuild() { bin/osr build --driver nfs --modules "$OSR_KERNEL_MODULES" --output "$work/rebuild.img" \
	--listfile-dir listfiles --driver-dir bin --config /dev/null --cache-dir "$work/cache"; }
osr_rebuild >/dev/null
declare -A bt=()
for _ in $(seq "${DRACUT_RUNS:-2}"); do
	for n in cold rebuild dracutset dracut; do
		case $n in
		cold) t=$(runs=1 best_ns build zstd) ;;
		rebuild) t=$(runs=1 best_ns osr_rebuild) ;;
		dracutset) t=$(runs=1 best_ns dset_build) ;;
		dracut) t=$(runs=1 best_ns dracut_build) ;;
		esac
		if [ -z "${bt[$n]:-}" ] || [ "$t" -lt "${bt[$n]}" ]; then bt[$n]=$t; fi
	done
done
nmods() { bin/osr inspect "$1" | grep -cE '\.ko(\.(xz|zst|gz))?( |$)' || true; }
s() { bc -l <<<"${bt[$1]}/1000000000"; }
printf '%-46s %9.3f s  %d modules, %.1f MB\n' "osr build, no cache (--force)" "$(s cold)" "$(nmods "$work/zstd.img")" "$(bc -l <<<"$(stat -c %s "$work/zstd.img")/1000000")"
printf '%-46s %9.3f s\n' "osr rebuild, every segment cached" "$(s rebuild)"
printf '%-46s %9.3f s  %d modules, %.1f MB\n' "osr build, dracut's module set, no cache" "$(s dracutset)" "$(nmods "$work/dset.img")" "$(bc -l <<<"$(stat -c %s "$work/dset.img")/1000000")"
printf '%-46s %9.3f s  %d modules, %.1f MB\n' "dracut --no-hostonly --zstd" "$(s dracut)" "$(nmods "$work/dracut.img")" "$(bc -l <<<"$(stat -c %s "$work/dracut.img")/1000000")"
printf '%-46s %9.1fx  (target >= 40x)\n' "dracut / osr build" "$(bc -l <<<"${bt[dracut]}/${bt[cold]}")"
printf '%-46s %9.1fx  (target >= 40x)\n' "dracut / osr build, same module set" "$(bc -l <<<"${bt[dracut]}/${bt[dracutset]}")"
printf '%-46s %9.1fx\n' "dracut / osr rebuild" "$(bc -l <<<"${bt[dracut]}/${bt[rebuild]}")"
printf '%-46s %9.3f s  (booster, published: universal image 1.2-3.5 s on 2 vCPUs)\n' "osr build, no cache" "$(s cold)"

# Memory bounds: three million tiny entries, and a frame declaring a 2 GiB window.
python3 - "$work/many.cpio" <<'PY'
import sys
out = open(sys.argv[1], "wb")
def hdr(ino, mode, name, size=0):
    n = name.encode() + b"\0"
    h = b"070701" + b"".join(b"%08X" % v for v in (ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(n), 0)) + n
    return h + b"\0" * ((4 - len(h) % 4) % 4)
buf = []
for i in range(3_000_000):
    buf.append(hdr(i + 1, 0o100644, "d%d/f%d" % (i % 1000, i)))
    if len(buf) == 100_000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf) + hdr(0, 0, "TRAILER!!!"))
PY
zstd -q --rm "$work/many.cpio" -o "$work/many.img"
printf '%-46s %9d KiB peak RSS (%d bytes compressed)\n' "osr inspect, 3,000,000 entries" \
	"$(peak_kb bin/osr inspect "$work/many.img")" "$(stat -c %s "$work/many.img")"
printf '%-46s %9d KiB peak RSS\n' "osr inspect --cat, 3,000,000 entries" \
	"$(peak_kb bin/osr inspect "$work/many.img" --cat d999/f2999999)"
printf '\x28\xb5\x2f\xfd\x00\xa8\x01\x00\x00' >"$work/bomb.img"
printf '%-46s %9d KiB peak RSS: %s\n' "osr inspect, 2 GiB zstd window" "$(peak_kb bin/osr inspect "$work/bomb.img")" \
	"$(bin/osr inspect "$work/bomb.img" 2>&1 | sed 's/.*: decoder/decoder/' | cut -c1-60)…"

# The Go code an image carries (regular files only: /init and driver programs).
# With a built-in driver /init is osr-init, which calls it in process; with a
# driver program of its own (here the nfs driver built on its own) /init is
# osr-init-plugin, which starts it (docs/layout.md).
gobytes() { bin/osr inspect --long "$1" | awk '$1 ~ /^-/ && ($NF=="init" || $NF ~ /osr-driver-/) {s+=$5} END{print s}'; }
printf '%-46s %9.1f MB (target <= 15 MB)\n' "Go code in the image (built-in nfs: osr-init)" "$(bc -l <<<"$(gobytes "$work/zstd.img")/1000000")"
mkdir -p "$work/own"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/own/osr-driver-nfs" ./drivers/nfs
bin/osr build --driver nfs --modules "$OSR_KERNEL_MODULES" --output "$work/own.img" --listfile-dir listfiles \
	--driver-dir "$work/own" --config /dev/null --cache-dir "$work/cache" >/dev/null
printf '%-46s %9.1f MB\n' "Go code, nfs as a program (osr-init-plugin + it)" "$(bc -l <<<"$(gobytes "$work/own.img")/1000000")"
