# witchery vercmp: compare mode against apk-tools' own test vectors, check
# mode against apk-format §8.3, and usage errors.
. "$SRCDIR/tests/e2e/lib.sh"
DATA=$FIXTURES/apk-tools/version.data
[ -f "$DATA" ] || skip "no $DATA"

# Every 60th vector of apk-tools' version.data (13 pairs), in both directions.
n=0
while read -r a op b _; do
	n=$((n + 1))
	[ $((n % 60)) = 1 ] || continue
	got=$("$W" vercmp "$a" "$b") || fail "vercmp $a $b exit"
	[ "$got" = "$op" ] || fail "vercmp $a $b: got '$got', want '$op'"
	case $op in '<') rop='>' ;; '>') rop='<' ;; *) rop='=' ;; esac
	got=$("$W" vercmp "$b" "$a") || fail "vercmp $b $a exit"
	[ "$got" = "$rop" ] || fail "vercmp $b $a: got '$got', want '$rop'"
done < "$DATA"
[ $n = 733 ] || fail "read $n vectors, expected 733"

# Hand-picked from apk-format §8.2.
[ "$("$W" vercmp 1.0 1.0-r0)" = "<" ] || fail "1.0 < 1.0-r0"
[ "$("$W" vercmp 1.2-r1 1.2-r01)" = "=" ] || fail "1.2-r1 = 1.2-r01"
[ "$("$W" vercmp 1.2_rc1 1.2)" = "<" ] || fail "1.2_rc1 < 1.2"
# A version starting with '-' needs '--'.
[ "$("$W" vercmp -- -r1 -r2)" = "<" ] || fail "-- -r1 -r2"

# Check mode: all valid -> exit 0, no output.
"$W" vercmp --check "" a1 v1.0 .1 1..2 1.2a3 0.1_ 0.1-r 0.1-r2-r3 _pre1 >out.txt ||
	fail "valid versions rejected: $(cat out.txt)"
[ ! -s out.txt ] || fail "check printed something for valid versions"
# Invalid ones are printed, one a line, in order; exit 1.
if "$W" vercmp -c 1.2a.3 1.0 1.0bc 1.0-1 1.0_foo 1.0A 0.1-r2_pre1 0.1__alpha >out.txt; then
	fail "invalid versions accepted"
fi
printf '%s\n' 1.2a.3 1.0bc 1.0-1 1.0_foo 1.0A 0.1-r2_pre1 0.1__alpha >want.txt
cmp -s out.txt want.txt || fail "check output: $(cat out.txt)"
# Quiet: exit status only.
"$W" vercmp --check --quiet 1.0bc >out.txt && fail "quiet check accepted 1.0bc"
[ ! -s out.txt ] || fail "quiet check printed"
"$W" vercmp -q -c 1.0 || fail "quiet check rejected 1.0"

# Usage errors: exit 2, exactly one 'witchery:' line.
usage() {
	desc=$1; shift
	"$W" "$@" >out.txt 2>err.txt
	rc=$?
	[ $rc = 2 ] || fail "$desc: exit $rc, expected 2"
	[ "$(grep -c '^witchery: ' err.txt)" = 1 ] || fail "$desc: stderr: $(cat err.txt)"
}
usage "one version" vercmp 1.0
usage "three versions" vercmp 1 2 3
usage "no versions" vercmp
usage "check without versions" vercmp --check
usage "quiet without check" vercmp -q 1 2
usage "unknown option" vercmp --frobnicate 1 2
"$W" vercmp --help >out.txt || fail "--help exit"
expect_grep "^usage: witchery vercmp" out.txt
exit 0
