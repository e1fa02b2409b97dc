# compose's options: --dry-run, --no-db, existing OUTDIR, missing packages,
# and witchery-compose with the original tool's flags.
. "$SRCDIR/tests/e2e/lib.sh"
mkdir -p repo && ln -s "$REPO319" repo/x86_64
R=(-k "$KEYS" --cache-dir cache -X "$PWD/repo")
"$W" compose "${R[@]}" --dry-run -d musl -d zlib > plan.txt || fail "dry-run"
[ "$(cat plan.txt | tr '\n' ' ')" = "musl-1.2.4_git20230717-r4 zlib-1.3.1-r0 " ] \
	|| fail "plan: $(cat plan.txt)"
[ -e out ] && fail "dry-run wrote something"
"$W" compose "${R[@]}" --no-db -d musl nodb > /dev/null || fail "--no-db"
[ -e nodb/lib/apk ] && fail "--no-db kept lib/apk"
[ -e nodb/etc/apk ] && fail "--no-db kept etc/apk"
[ -e nodb/lib/ld-musl-x86_64.so.1 ] || fail "--no-db lost musl"
# What packages put under those trees goes too (alpine-keys: etc/apk/keys;
# apk-tools: lib/apk/exec), as the original's rm -rf did.
"$W" compose "${R[@]}" --no-db -d alpine-keys -d apk-tools nodb2 > /dev/null || fail "--no-db 2"
[ -e nodb2/etc/apk ] && fail "--no-db kept package files in etc/apk: $(find nodb2/etc/apk)"
[ -e nodb2/lib/apk ] && fail "--no-db kept package files in lib/apk: $(find nodb2/lib/apk)"
[ -e nodb2/usr/share/apk/keys ] || fail "--no-db dropped alpine-keys' other files"
# -v: one line per package with what it wrote, counted here with find.
"$W" compose "${R[@]}" -v -d zlib verbose > v.txt || fail "-v"
for nv in musl-1.2.4_git20230717-r4 zlib-1.3.1-r0; do
	tar -tzf "$REPO319/$nv.apk" 2>/dev/null | grep -v '^\.' > list.txt
	nf=$(grep -vc '/$' list.txt) nd=$(grep -c '/$' list.txt)
	grep -qE "^  $nv: $nf files?, $nd dirs?, [0-9.]+ KiB$" v.txt ||
		fail "-v line for $nv (want $nf files, $nd dirs): $(cat v.txt)"
done
expect_fail "non-empty OUTDIR" "$W" compose "${R[@]}" -d musl nodb
expect_grep "not empty" err.txt
"$W" compose "${R[@]}" --force -d zlib nodb > /dev/null || fail "--force"
# A dry run says what the run would: a non-empty OUTDIR is refused there too.
expect_fail "dry-run on a non-empty OUTDIR" "$W" compose "${R[@]}" --dry-run -d musl nodb
expect_grep "not empty" err.txt
"$W" compose "${R[@]}" --dry-run --force -d musl nodb > plan2.txt || fail "dry-run --force"
grep -q '^musl-' plan2.txt || fail "dry-run --force printed no plan"
[ -e nodb/lib/libz.so.1 ] || fail "--force did not replace"
expect_fail "missing package" "$W" compose "${R[@]}" -d no-such-package x1
expect_grep "no-such-package" err.txt
[ -e x1 ] && fail "OUTDIR left after failure"
expect_fail "impossible version" "$W" compose "${R[@]}" -d 'musl>9' x2
expect_grep "musl" err.txt
expect_fail "no OUTDIR" "$W" compose "${R[@]}" -d musl
# -d takes space-separated dependencies; a tab or other control character
# is no part of one.
expect_fail "tab in -d" "$W" compose "${R[@]}" --dry-run -d "$(printf 'busybox\t1')"
expect_grep "control character" err.txt
expect_fail "missing -p file" "$W" compose "${R[@]}" -p no-such.apk x3
expect_grep "cannot open 'no-such.apk'" err.txt
[ -e x3 ] && fail "OUTDIR left after a missing -p file"
# The original interface, through a link named witchery-compose.
ln -s "$W" witchery-compose
./witchery-compose -h > h.txt || fail "-h"
expect_grep "usage: witchery-compose" h.txt
./witchery-compose -X "$PWD/repo" -k "$KEYS" -d musl compat > /dev/null 2>&1 \
	|| fail "witchery-compose"
[ -e compat/lib/ld-musl-x86_64.so.1 ] || fail "witchery-compose did not install musl"
./witchery-compose -X "$PWD/repo" -k "$KEYS" -d zlib --force compat > /dev/null 2>&1 \
	|| fail "witchery-compose --force"
[ -e compat/lib/libz.so.1 ] || fail "witchery-compose --force did not replace"
# A mount point cannot be renamed over: refused before any work, untouched.
if [ "$(id -u)" = 0 ] && mkdir mnt && mount -t tmpfs -o size=16m tmpfs mnt 2>/dev/null; then
	trap 'umount "$PWD/mnt" 2>/dev/null' EXIT
	expect_fail "mount point" "$W" compose "${R[@]}" -d musl mnt
	expect_grep "mount point" err.txt
	[ -z "$(ls -A mnt)" ] || fail "mount point written to"
	ls -A | grep -q '^\.mnt\.wch' && fail "temporary tree left beside the mount point"
	umount mnt
fi
exit 0
