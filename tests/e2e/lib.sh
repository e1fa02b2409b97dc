# Shared helpers for e2e scripts: source "$SRCDIR/tests/e2e/lib.sh".
# Each helper prints what went wrong and exits 1 on failure.
set -u
W=$WITCHERY
KEYS=$FIXTURES/alpine/keys
REPO319=$FIXTURES/alpine/apks/x86_64/alpine-3.19.1-iso-boot

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || skip "needs $1"; }

# expect_fail DESC CMD...: CMD must exit non-zero and print exactly one
# "witchery: ..." line on stderr; the line is left in $ERR.
expect_fail() {
	desc=$1; shift
	if "$@" >out.txt 2>err.txt; then
		fail "$desc: expected failure from: $*"
	fi
	ERR=$(cat err.txt)
	grep -q '^witchery: ' err.txt || fail "$desc: no 'witchery:' error line, got: $ERR"
}

# expect_grep PATTERN FILE
expect_grep() { grep -q -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not in $2"; }; }
