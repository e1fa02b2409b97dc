#!/bin/bash
# Builds the libFuzzer targets (clang, -Dfuzz=true) and runs each for
# SECONDS (default 60) against its corpus tests/fuzz/corpus/<target>/,
# then merges the new interesting inputs into the corpus (-merge=1 keeps
# only inputs that add coverage). Crashes are left as crash-*/leak-*/
# timeout-* files in the build dir's fuzz-out/<target>/ and make the script
# fail; copy one into the corpus as a regression test once it is fixed.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
# Environment: BUILD (default build-fuzz), JOBS (parallel targets, default 1).
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${BUILD:-build-fuzz}
jobs=${JOBS:-1}
if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=(index_text db pkginfo tar tar_roundtrip gunzip package version dep elf repo_index)
fi
if [ ! -d "$build" ]; then
	CC=${CC:-clang} meson setup "$build" -Dfuzz=true -Db_lundef=false >/dev/null || exit 1
fi
ninja -C "$build" $(printf 'tests/fuzz_%s ' "${targets[@]}") >/dev/null || exit 1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

run_one() { # target
	local t=$1 out=$build/fuzz-out/$1 corpus=tests/fuzz/corpus/$1 rc
	mkdir -p "$out/new" "$corpus"
	"$build/tests/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 -artifact_prefix="$out/" \
		"$out/new" "$corpus" > "$out/log" 2>&1
	rc=$?
	# Keep only inputs that add coverage to the committed corpus.
	"$build/tests/fuzz_$t" -merge=1 "$corpus" "$out/new" > "$out/merge.log" 2>&1
	rm -rf "$out/new"
	echo "$t: exit $rc, $(grep -E '^#[0-9]+.*(DONE|cov:)' "$out/log" | tail -n 1)," \
		"corpus $(ls "$corpus" | wc -l) files"
	[ $rc = 0 ] || { grep -E 'ERROR|SUMMARY|FUZZ_CHECK' "$out/log" | head -n 5; return 1; }
}

fail=0
pids=()
for t in "${targets[@]}"; do
	run_one "$t" &
	pids+=($!)
	if [ ${#pids[@]} -ge "$jobs" ]; then
		wait "${pids[0]}" || fail=1
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail
