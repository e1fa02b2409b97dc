#!/bin/bash
# Runs every tests/e2e/NNN-*.sh against one witchery binary.
# Usage: tests/run-e2e.sh /path/to/witchery [NAME-FILTER...]
# Each script runs in a fresh temporary directory with WITCHERY, SRCDIR and
# FIXTURES set; exit 0 = pass, 77 = skip, anything else = fail. Failing
# directories are kept. Ends with "N passed, N failed[, N skipped]".
set -u
bin=$(readlink -f "$1"); shift
srcdir=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${WT_FIXTURES:-$srcdir/../shared/fixtures}
fixtures=$(readlink -f "$fixtures")
pass=0 fail=0 skip=0
for t in "$srcdir"/tests/e2e/[0-9]*.sh; do
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		want=0
		for f in "$@"; do case $name in *"$f"*) want=1 ;; esac; done
		[ $want = 1 ] || continue
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/e2e-$name.XXXXXX")
	chmod 755 "$dir"
	(cd "$dir" && WITCHERY=$bin SRCDIR=$srcdir FIXTURES=$fixtures bash "$t") >"$dir.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "ok $name"; pass=$((pass + 1)); rm -rf "$dir" "$dir.log"
	elif [ $rc = 77 ]; then
		echo "skip $name: $(tail -n 1 "$dir.log")"; skip=$((skip + 1)); rm -rf "$dir" "$dir.log"
	else
		echo "FAIL $name (exit $rc; kept $dir, log $dir.log)"
		tail -n 30 "$dir.log" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail = 0 ]
