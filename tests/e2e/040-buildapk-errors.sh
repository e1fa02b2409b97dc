# buildapk on bad input: one clear "witchery: ..." line, a non-zero exit
# and nothing left in the output folder.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/040-buildapk-common.inc"

mkkey key.rsa
mkdir -p tree/usr/bin out
printf 'x\n' > tree/usr/bin/x

# bad DESC CMD...: fails with exactly one witchery line, out stays empty.
bad() {
	desc=$1; shift
	expect_fail "$desc" "$@"
	[ "$(grep -c '^witchery: ' err.txt)" = 1 ] ||
		fail "$desc: not one error line: $(cat err.txt)"
	[ -z "$(ls -A out)" ] || fail "$desc: left files behind: $(ls -A out)"
}
B() { "$W" buildapk -k key.rsa "$@"; }

bad "missing DIR" B -n x -v 1 no-such-dir out
expect_grep "no-such-dir" err.txt
bad "missing OUTDIR" B -n x -v 1 tree no-such-out
expect_grep "no-such-out" err.txt
bad "no name" B -v 1 tree out
bad "invalid name" B -n -bad -v 1 tree out
bad "invalid name (space)" B -n "a b" -v 1 tree out
expect_grep "invalid package name" err.txt
bad "invalid version" B -n x -v 1.0_foo tree out
expect_grep "invalid version '1.0_foo'" err.txt
bad "version with a dash" B -n x -v 1.0-1 tree out
bad "invalid release" B -n x -v 1.0 -r x tree out
# apk 2.14 would take these, apk 3 not: a package must install with both.
for v in "" a v1.0 .1 _pre1 1..2 1.2a3; do
	bad "version '$v'" B -n x -v "$v" tree out
	expect_grep "invalid version '$v'" err.txt
done
# Bad option values are usage errors (exit 2), like unknown options.
B -n x -v a tree out 2>/dev/null; [ $? = 2 ] || fail "invalid -v: exit code is not 2"
B -n "a b" -v 1 tree out 2>/dev/null; [ $? = 2 ] || fail "invalid -n: exit code is not 2"
bad "release inside -v" B -n x -v 1.0-r1 tree out
expect_grep "give the release with -r" err.txt
bad "empty release" B -n x -v 1.0 -r "" tree out
# apk reads a run of 18 or more digits as an invalid version (§8.2)
bad "huge release" B -n x -v 1.0 -r 99999999999999999999 tree out
expect_grep "^witchery: invalid release '99999999999999999999': too large" err.txt
B -n x -v 1 -r 000000000000000001 tree out 2>/dev/null; [ $? = 2 ] || fail "18-digit -r: exit"
# Trigger globs: apk splits them at spaces, abuild's lists at colons (§4.2).
for t in "/a b" "$(printf '/a\tb')" "$(printf '/a\nb')" "/a:/b c" "/ok:rel" "rel" "/a:" "/a::/b"; do
	bad "trigger '$t'" B -n x -v 1 --trigger "$t" tree out
	B -n x -v 1 --trigger "$t" tree out 2>/dev/null; [ $? = 2 ] || fail "trigger '$t': exit"
done
B -n x -v 1 --trigger "/a b" tree out 2> err.txt
expect_grep "^witchery: trigger glob '/a b' contains whitespace" err.txt
B -n x -v 1 --trigger "/ok:rel" tree out 2> err.txt
expect_grep "^witchery: trigger glob 'rel' must be an absolute path" err.txt
bad "missing key" "$W" buildapk -n x -v 1 -k no-such.rsa tree out
expect_grep "no-such.rsa" err.txt
printf 'not a key\n' > junk.rsa
bad "wrong key" "$W" buildapk -n x -v 1 -k junk.rsa tree out
expect_grep "junk.rsa" err.txt
bad "newline in description" B -n x -v 1 -d "$(printf 'a\nb')" tree out
bad "bad depend" B -n x -v 1 -D "foo>=" tree out
bad "bad provide" B -n x -v 1 -P "foo>1" tree out
bad "bad SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=yesterday "$W" buildapk -k key.rsa -n x -v 1 \
	tree out
bad "output inside the tree" B -n x -v 1 tree tree/usr
[ ! -e tree/usr/x-1-r0.apk ] || fail "wrote into the tree"

# Special files are refused unless --allow-special.
mkfifo tree/usr/fifo
bad "fifo" B -n x -v 1 tree out
expect_grep "usr/fifo.*fifo.*--allow-special" err.txt
B -n x -v 1 --allow-special tree out > /dev/null 2>&1 || fail "--allow-special"
tar -tvzf out/x-1-r0.apk 2>/dev/null | grep -q '^p.* usr/fifo$' || fail "fifo not packed"
rm -f out/* tree/usr/fifo

# Unknown install script name.
mkdir scripts && printf '#!/bin/sh\n' > scripts/post-instal
bad "unknown script" B -n x -v 1 --install scripts tree out
expect_grep "post-instal" err.txt

# An unreadable file (only meaningful for a non-root user).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	work=$(mktemp -d /tmp/buildapk-err.XXXXXX)
	chmod 755 "$work"
	cp -a tree key.rsa "$work/"
	mkdir "$work/out"
	printf 'secret\n' > "$work/tree/usr/bin/secret"
	chmod 000 "$work/tree/usr/bin/secret"
	chown -R 65534:65534 "$work"
	(cd "$work" && setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$W" buildapk -k key.rsa -n x -v 1 tree out) > out.txt 2> err.txt && {
		rm -rf "$work"; fail "unreadable file accepted"; }
	left=$(ls -A "$work/out")
	rm -rf "$work"
	[ "$(grep -c '^witchery: ' err.txt)" = 1 ] || fail "unreadable: $(cat err.txt)"
	expect_grep "usr/bin/secret" err.txt
	expect_grep "Permission denied" err.txt
	[ -z "$left" ] || fail "unreadable: left $left"
fi

# Help and usage.
"$W" buildapk --help | grep -q '^usage: witchery buildapk' || fail "--help"
"$W" buildapk -n x > /dev/null 2>&1
[ $? = 2 ] || fail "usage error must exit 2"
exit 0
