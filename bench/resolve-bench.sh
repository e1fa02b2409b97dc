#!/bin/bash
# Loads the full Alpine v3.19 main + community x86_64 indexes (23k packages,
# signatures checked) and resolves a large request, with witchery and with
# the real apk-tools 2.14 (Alpine's own binary from the 3.19.1 snapshot,
# through its musl loader: `apk add --simulate` on an empty database) on
# the same indexes. Prints per tool the median and minimum wall time and
# the median peak RSS (GNU time), the ratio of the medians, and whether
# both chose the same packages in the same order. Timings are never
# asserted. Target: witchery >= 3x faster than apk (~100 ms), < 64 MiB.
# usage: bench/resolve-bench.sh [WITCHERY] [RUNS]
set -eu
W=$(readlink -f "${1:-build/witchery}")
RUNS=${2:-11}
SRC=$(cd "$(dirname "$0")/.." && pwd)
FIX=$(readlink -f "${WT_FIXTURES:-$SRC/../shared/fixtures}")
IDX=$FIX/alpine/indexes/v3.19-x86_64-apk-cache
SNAP=$FIX/alpine/apks/x86_64/alpine-3.19.1-iso-boot
KEYS=$FIX/alpine/keys
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package 'time')" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
# The fixture keeps apk's cache names; serve each as a repository.
n=0
for f in "$IDX"/APKINDEX.*.tar.gz; do
	mkdir -p "r$n/x86_64" && ln -s "$f" "r$n/x86_64/APKINDEX.tar.gz"
	n=$((n + 1))
done
REQ="build-base python3 nodejs openjdk17 gtk+3.0"

# apk-tools 2.14 and its libraries, unpacked from the snapshot; an empty
# database for it to plan against.
mkdir apkroot root
for p in apk-tools-2.14.0-r5 libcrypto3-3.1.4-r5 libssl3-3.1.4-r5 \
	musl-1.2.4_git20230717-r4 zlib-1.3.1-r0; do
	tar -xzf "$SNAP/$p.apk" -C apkroot 2>/dev/null
done
APK=("$T/apkroot/lib/ld-musl-x86_64.so.1" --library-path "$T/apkroot/lib:$T/apkroot/usr/lib"
	"$T/apkroot/sbin/apk")
"${APK[@]}" --version
"${APK[@]}" --root "$T/root" --initdb --no-cache --arch x86_64 --keys-dir "$KEYS" add >/dev/null

w_args=("$W" resolve -q -X "$T/r0" -X "$T/r1" -k "$KEYS" --arch x86_64 $REQ)
a_args=("${APK[@]}" --root "$T/root" add --simulate --no-cache --arch x86_64 --keys-dir "$KEYS"
	-X "$T/r0" -X "$T/r1" $REQ)
"${w_args[@]}" >w.plan || { echo "witchery resolve failed"; exit 1; }
"${a_args[@]}" >a.out || { echo "apk add --simulate failed"; exit 1; }
sed -n 's/^([0-9]*\/[0-9]*) Installing \([^ ]*\) (\(.*\))$/\1-\2/p' a.out >a.plan
echo "request: $REQ -> witchery $(wc -l <w.plan) packages, apk $(wc -l <a.plan)"
if cmp -s w.plan a.plan; then echo "plans: identical, same order"; else echo "plans: DIFFER"; fi

# bench NAME CMD...: RUNS timed runs after a warm-up; prints the summary
# and leaves the median wall time in $MED.
bench() {
	local name=$1 t0 t1 min rss
	shift
	"$@" >/dev/null
	: >samples
	for _ in $(seq "$RUNS"); do
		t0=$EPOCHREALTIME
		/usr/bin/time -f %M -o rss "$@" >/dev/null
		t1=$EPOCHREALTIME
		awk -v a="$t0" -v b="$t1" -v k="$(tail -n 1 rss)" \
			'BEGIN { printf "%.2f %d\n", (b - a) * 1000, k }' >>samples
	done
	MED=$(cut -d' ' -f1 samples | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	min=$(cut -d' ' -f1 samples | sort -n | head -n 1)
	rss=$(cut -d' ' -f2 samples | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	printf '%-22s median %7.1f ms  min %7.1f ms  peak RSS %6.1f MiB\n' "$name" "$MED" "$min" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
}

echo "$RUNS runs each, $(nproc) CPUs"
bench "witchery resolve" "${w_args[@]}"
wm=$MED
bench "apk-tools 2.14 add -s" "${a_args[@]}"
awk -v a="$MED" -v w="$wm" 'BEGIN { printf "apk / witchery (median wall): %.2fx\n", a / w }'
