#!/bin/bash
# Loads the full Alpine v3.19 main + community x86_64 indexes (23k packages,
# signatures checked) and resolves a large request; prints wall time and
# peak memory (best of N runs). apk-tools 2.14 needs ~330 ms for the same;
# the target is <= 100 ms and < 64 MB.
# usage: bench/resolve-bench.sh [WITCHERY] [RUNS]
set -eu
W=${1:-build/witchery}
RUNS=${2:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
FIX=${WT_FIXTURES:-$SRC/../shared/fixtures}
IDX=$FIX/alpine/indexes/v3.19-x86_64-apk-cache
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# The fixture keeps apk's cache names; serve each as a repository.
n=0
for f in "$IDX"/APKINDEX.*.tar.gz; do
	mkdir -p "$T/r$n/x86_64" && ln -s "$f" "$T/r$n/x86_64/APKINDEX.tar.gz"
	n=$((n + 1))
done
REQ="build-base python3 nodejs openjdk17 gtk+3.0"
args=(resolve -q -X "$T/r0" -X "$T/r1" -k "$FIX/alpine/keys" $REQ)
"$W" "${args[@]}" >"$T/plan" || { echo "resolve failed"; exit 1; }
echo "request: $REQ -> $(wc -l <"$T/plan") packages"
best=
for i in $(seq "$RUNS"); do
	if command -v /usr/bin/time >/dev/null; then
		/usr/bin/time -f '%e %M' -o "$T/t" "$W" "${args[@]}" >/dev/null
		read -r secs kb <"$T/t"
	else
		s=$(date +%s.%N); "$W" "${args[@]}" >/dev/null; e=$(date +%s.%N)
		secs=$(echo "$e - $s" | bc); kb=0
	fi
	ms=$(awk -v s="$secs" 'BEGIN{printf "%d", s*1000}')
	echo "run $i: ${ms} ms, peak ${kb} KiB"
	if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; bestkb=$kb; fi
done
echo "best: ${best} ms wall, peak RSS $((bestkb / 1024)) MiB (target <= 100 ms, < 64 MiB)"
