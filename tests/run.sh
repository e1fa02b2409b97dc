#!/bin/bash
# The whole test suite: unit tests and e2e tests for each given build dir
# (default: build). Prints per-test lines and, last, the total as
# "N passed, N failed". Exit status is non-zero iff anything failed.
set -u
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- build
export WT_FIXTURES=${WT_FIXTURES:-$(readlink -f ../shared/fixtures)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0 skip=0
count() { # reads a runner's output, adds its summary line to the totals
	local line p f s
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then fail=$((fail + 1)); echo "FAIL $2: no summary line"; return; fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
}
for b in "$@"; do
	echo "== $b: unit"
	for t in "$b"/tests/t_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		log=$(mktemp)
		"$t" > "$log" 2>&1
		rc=$?
		sed "s|^|$(basename "$t"): |" "$log"
		count "$log" "$(basename "$t")"
		if [ $rc != 0 ] && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' "$log"; then
			echo "FAIL $(basename "$t"): exit $rc"; fail=$((fail + 1))
		fi
		rm -f "$log"
	done
	echo "== $b: e2e"
	log=$(mktemp)
	tests/run-e2e.sh "$b/witchery" 2>&1 | tee "$log"
	count "$log" e2e
	rm -f "$log"
done
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail = 0 ]
