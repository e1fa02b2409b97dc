# buildapk is reproducible: the same tree, metadata and key give the same
# bytes on every run, whatever the files' mtimes (clamped to
# SOURCE_DATE_EPOCH), and whether root or an unprivileged user builds it
# (no fakeroot: ownership is always root, apk-format §2.8).
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/040-buildapk-common.inc"
need cmp

export SOURCE_DATE_EPOCH=1600000000
mkkey key.rsa
mkdir -p tree/usr/bin tree/usr/lib tree/etc/empty.d o1 o2 o3
printf 'a\n' > tree/etc/a.conf
printf '#!/bin/sh\nexit 0\n' > tree/usr/bin/tool
chmod 0755 tree/usr/bin/tool
chmod 4755 tree/usr/bin/tool
ln -s tool tree/usr/bin/tool2
ln tree/etc/a.conf tree/etc/b.conf
head -c 2500000 /dev/urandom > tree/usr/lib/blob   # exercises the parallel gzip blocks
seq 1 200000 > tree/usr/lib/text

build() { "$W" buildapk -n repro -v 2.0 -k key.rsa "$@" > /dev/null || fail "buildapk $*"; }
build tree o1
build tree o2
cmp o1/repro-2.0-r0.apk o2/repro-2.0-r0.apk || fail "two runs differ"

# builddate and every entry mtime come from SOURCE_DATE_EPOCH; the gzip
# headers carry no name and no time.
members o1/repro-2.0-r0.apk m
[ "$(pkginfo_get m/PKGINFO builddate)" = 1600000000 ] || fail builddate
tar --full-time -tvzf m/data.tar.gz 2>/dev/null | awk '{print $4" "$5}' | sort -u > times.txt
[ "$(cat times.txt)" = "2020-09-13 12:26:40" ] || fail "mtimes not clamped: $(cat times.txt)"

# Touching files (newer than the epoch) changes nothing.
touch tree/etc/a.conf tree/usr/lib/blob tree/usr
build tree o3
cmp o1/repro-2.0-r0.apk o3/repro-2.0-r0.apk || fail "mtime change leaked into the package"

# A copy of the tree built by an unprivileged user, with its own files
# owned by that user, gives the same bytes as root's build.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	work=$(mktemp -d /tmp/buildapk-nobody.XXXXXX)
	chmod 755 "$work"
	cp -a tree "$work/tree"
	cp key.rsa "$work/key.rsa"
	mkdir "$work/out"
	chown -R 65534:65534 "$work"
	chmod 4755 "$work/tree/usr/bin/tool"   # chown cleared the setuid bit
	touch "$work/tree/usr/lib/text"
	(cd "$work" && setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$W" buildapk -n repro -v 2.0 -k key.rsa tree out) > nobody.txt 2>&1 ||
		{ cat nobody.txt; rm -rf "$work"; fail "unprivileged build"; }
	if ! cmp o1/repro-2.0-r0.apk "$work/out/repro-2.0-r0.apk"; then
		rm -rf "$work"
		fail "unprivileged build differs from root's"
	fi
	rm -rf "$work"
else
	echo "not root or no setpriv: unprivileged comparison skipped"
fi

# Different metadata gives different bytes (the test above is not vacuous).
mkdir o4
build -d other tree o4
cmp -s o1/repro-2.0-r0.apk o4/repro-2.0-r0.apk && fail "description did not change the package"
exit 0
