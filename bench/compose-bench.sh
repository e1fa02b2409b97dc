#!/bin/bash
# Composes two roots from the local Alpine 3.19.1 snapshot with a warm cache
# and times witchery against the real apk-tools 2.14 (Alpine's own binary
# from the snapshot, through its musl loader) doing the same work:
#   alpine-base  25 packages, ~10 MB: compose -d alpine-base
#                vs apk add --initdb --no-scripts alpine-base
#   hello-world  musl + a payload.apk built here with musl-gcc and
#                `witchery buildapk`: compose -p payload.apk
#                vs apk add --initdb --no-scripts payload.apk
# Everything (repository links, outputs) lives on a tmpfs: a disk gets
# slower run after run in delete-and-rewrite loops. Each run writes a fresh
# root (removed outside the timing). Prints per tool the median and minimum
# wall time, the median user+sys CPU time and the median peak RSS (GNU
# time), and the ratio of the medians. Timings are never asserted.
# Target: witchery >= 2x faster than apk on alpine-base.
# usage: bench/compose-bench.sh [WITCHERY] [RUNS]     (needs root for apk)
set -eu
W=$(readlink -f "${1:-build/witchery}")
RUNS=${2:-15}
SRC=$(cd "$(dirname "$0")/.." && pwd)
FIX=$(readlink -f "${WT_FIXTURES:-$SRC/../shared/fixtures}")
SNAP=$FIX/alpine/apks/x86_64/alpine-3.19.1-iso-boot
KEYS=$FIX/alpine/keys

[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package 'time')" >&2; exit 1; }
command -v musl-gcc >/dev/null || { echo "needs musl-gcc (Debian package 'musl-tools')" >&2; exit 1; }
[ "$(id -u)" = 0 ] || echo "note: not root; apk add --initdb may fail (it makes device nodes)"

# /dev/shm is a tmpfs on Linux; else mount one (root) or say we could not.
T=
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	T=$(mktemp -d /dev/shm/compose-bench.XXXXXX)
	trap 'rm -rf "$T"' EXIT
elif [ "$(id -u)" = 0 ]; then
	T=$(mktemp -d)
	mount -t tmpfs -o size=512m tmpfs "$T"
	trap 'umount "$T"; rmdir "$T"' EXIT
else
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	echo "warning: no tmpfs available; timing on $(stat -f -c %T "$T")"
fi
cd "$T"

# apk-tools 2.14 and its libraries, unpacked from the snapshot.
mkdir apkroot
for p in apk-tools-2.14.0-r5 libcrypto3-3.1.4-r5 libssl3-3.1.4-r5 \
	musl-1.2.4_git20230717-r4 zlib-1.3.1-r0; do
	tar -xzf "$SNAP/$p.apk" -C apkroot 2>/dev/null
done
APK=("$T/apkroot/lib/ld-musl-x86_64.so.1" --library-path "$T/apkroot/lib:$T/apkroot/usr/lib"
	"$T/apkroot/sbin/apk")
"${APK[@]}" --version

mkdir -p repo && ln -s "$SNAP" repo/x86_64

# The hello-world payload, as examples/hello-world/build.sh makes it.
mkdir -p hw/app/app hw/pkgs hw/keys
musl-gcc -O2 -o hw/app/app/hello-world "$SRC/examples/hello-world/hello-world.c"
"$W" keygen --dir hw/keys --name bench >/dev/null
key=$(ls hw/keys/*.rsa)
SOURCE_DATE_EPOCH=1700000000 "$W" buildapk -n payload -v 1.0 -k "$key" hw/app hw/pkgs >/dev/null
payload=$T/hw/pkgs/payload-1.0-r0.apk
# apk trusts a directory of keys: Alpine's plus the payload's.
mkdir allkeys && cp "$KEYS"/*.pub "$key.pub" allkeys/

w_base=("$W" compose -q -k "$KEYS" --cache-dir "$T/cache" -X "$T/repo" -d alpine-base)
a_base=("${APK[@]}" add -q --initdb --keys-dir "$T/allkeys" --repository "$T/repo"
	--no-scripts alpine-base)
w_hw=("$W" compose -q -k "$KEYS" --trust-key "$key.pub" --cache-dir "$T/cache" -X "$T/repo"
	-p "$payload")
# A file outside any repository needs --force-non-repository (apk wants it
# cached to survive a reboot; witchery's -p FILE has no such notion).
a_hw=("${APK[@]}" add -q --initdb --keys-dir "$T/allkeys" --repository "$T/repo"
	--no-scripts --force-non-repository "$payload")

# run_one OUT CMD...: one timed run writing a new root at OUT; appends
# "wall_ms cpu_ms peak_kib" to $T/samples.
run_one() {
	local out=$1 t0 t1 r
	shift
	rm -rf "$out"
	TIMEFORMAT='%3U %3S'
	t0=$EPOCHREALTIME
	{ time /usr/bin/time -f %M -o "$T/rss" "$@" >"$T/log" 2>&1; } 2>"$T/cpu" || r=$?
	t1=$EPOCHREALTIME
	if [ "${r:-0}" != 0 ]; then
		echo "failed: $*" >&2
		cat "$T/log" >&2
		exit 1
	fi
	awk -v a="$t0" -v b="$t1" -v rss="$(tail -n 1 "$T/rss")" \
		'{ printf "%.2f %.2f %d\n", (b - a) * 1000, ($1 + $2) * 1000, rss }' \
		"$T/cpu" >>"$T/samples"
}

# bench NAME CMD...: warm-up run, then RUNS runs; prints the summary and
# leaves the median wall time in $MED.
bench() {
	local name=$1 kind=$2
	shift 2
	: >"$T/samples"
	# Warm-up (page cache, witchery's --cache-dir).
	if [ "$kind" = apk ]; then
		run_one "$T/out" "$@" --root "$T/out"
	else
		run_one "$T/out" "$@" "$T/out"
	fi
	: >"$T/samples"
	for _ in $(seq "$RUNS"); do
		if [ "$kind" = apk ]; then
			run_one "$T/out" "$@" --root "$T/out"
		else
			run_one "$T/out" "$@" "$T/out"
		fi
	done
	MED=$(sort -n "$T/samples" | awk '{ w[NR] = $1 } END { print w[int((NR + 1) / 2)] }')
	local min cpu rss
	min=$(sort -n "$T/samples" | head -n 1 | cut -d' ' -f1)
	cpu=$(cut -d' ' -f2 "$T/samples" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	rss=$(cut -d' ' -f3 "$T/samples" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf '%-24s median %7.1f ms  min %7.1f ms  user+sys %7.1f ms  peak RSS %6.1f MiB\n' \
		"$name" "$MED" "$min" "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
}

echo "$RUNS runs each on $(stat -f -c %T "$T"), $(nproc) CPUs"
for work in base hw; do
	if [ $work = base ]; then
		echo "alpine-base (25 packages):"
		bench "  witchery compose" w "${w_base[@]}"
		wm=$MED
		bench "  apk-tools 2.14 add" apk "${a_base[@]}"
	else
		echo "hello-world (musl + payload.apk):"
		bench "  witchery compose" w "${w_hw[@]}"
		wm=$MED
		bench "  apk-tools 2.14 add" apk "${a_hw[@]}"
	fi
	awk -v a="$MED" -v w="$wm" 'BEGIN { printf "  apk / witchery (median wall): %.2fx\n", a / w }'
done
