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

# use_fixture_apk: Alpine's own apk-tools 2.14 and its libraries, unpacked
# from the 3.19.1 snapshot into ./apkroot and run through its musl loader
# as apk(); skips the test where that cannot run.
use_fixture_apk() {
	[ "$(uname -m)" = x86_64 ] || skip "the fixture apk-tools is x86_64"
	mkdir -p apkroot
	for p in apk-tools-2.14.0-r5 libcrypto3-3.1.4-r5 libssl3-3.1.4-r5 \
		musl-1.2.4_git20230717-r4 zlib-1.3.1-r0; do
		tar -xzf "$REPO319/$p.apk" -C apkroot 2>/dev/null || fail "unpack $p"
	done
	APKROOT=$PWD/apkroot
	apk --version | grep -q '^apk-tools 2\.14' || skip "cannot run the fixture apk-tools here"
}
apk() {
	"$APKROOT/lib/ld-musl-x86_64.so.1" --library-path "$APKROOT/lib:$APKROOT/usr/lib" \
		"$APKROOT/sbin/apk" "$@"
}
