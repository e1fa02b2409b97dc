# buildapk traces dependencies (apk-format §10) and strips ELF files like
# abuild: a musl hello-world depends on musl's soname, a shared library
# provides its soname, a Python script depends on cmd:python3, a glibc
# binary draws a warning; --no-auto-deps and --no-strip turn it off.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/040-buildapk-common.inc"
need musl-gcc
need gcc
need readelf

export SOURCE_DATE_EPOCH=1700000000
mkkey key.rsa
mkdir -p tree/usr/bin tree/usr/lib out
printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > hello.c
musl-gcc -g -o tree/usr/bin/hello hello.c || fail "musl-gcc"
printf 'int foo(void){return 42;}\n' > foo.c
musl-gcc -g -shared -fPIC -Wl,-soname,libfoo.so.1 -o tree/usr/lib/libfoo.so.1.2.3 foo.c ||
	fail "musl-gcc -shared"
ln -s libfoo.so.1.2.3 tree/usr/lib/libfoo.so.1
printf '#!/usr/bin/env python3\nprint("hi")\n' > tree/usr/bin/greet
chmod 0755 tree/usr/bin/greet
orig=$(sha256sum tree/usr/bin/hello)

"$W" buildapk -n hello -v 1.0 -k key.rsa tree out > /dev/null 2> warn.txt ||
	{ cat warn.txt; fail "buildapk"; }
[ "$(sha256sum tree/usr/bin/hello)" = "$orig" ] || fail "the input file was modified"
members out/hello-1.0-r0.apk m
P=m/PKGINFO
pkginfo_get $P depend > dep.txt
pkginfo_get $P provides > prov.txt
grep -qx 'so:libc.musl-x86_64.so.1' dep.txt || fail "musl depend missing: $(cat $P)"
grep -qx 'cmd:python3' dep.txt || fail "python3 depend missing: $(cat $P)"
grep -qx 'so:libfoo.so.1=1.2.3' prov.txt || fail "so: provide missing: $(cat $P)"
grep -qx 'cmd:hello=1.0-r0' prov.txt || fail "cmd: provide missing: $(cat $P)"
sed -n '/^# automatically detected:/,$p' $P | grep -q '^depend = so:libc.musl' ||
	fail "traced depends are not after '# automatically detected:'"

# Stripped: no .symtab in the packed copy, size and checksum of the copy.
mkdir x && tar -xzf m/data.tar.gz -C x 2>/dev/null || fail "extract data"
readelf -S tree/usr/bin/hello | grep -q '\.symtab' || fail "test binary has no symbols to strip"
if readelf -S x/usr/bin/hello | grep -q '\.symtab'; then fail "hello not stripped"; fi
readelf -d x/usr/lib/libfoo.so.1.2.3 | grep -q 'SONAME.*libfoo.so.1' ||
	fail "library broken by strip"
[ "$(stat -c %s x/usr/bin/hello)" -lt "$(stat -c %s tree/usr/bin/hello)" ] || fail "not smaller"
python3 - m/data.tar.gz x <<'EOF' || fail "checksums of stripped files"
import hashlib, sys, tarfile
for ti in tarfile.open(sys.argv[1]):
    if ti.isreg():
        got = hashlib.sha1(open(sys.argv[2] + '/' + ti.name, 'rb').read()).hexdigest()
        assert ti.pax_headers['APK-TOOLS.checksum.SHA1'] == got, ti.name
EOF
want=$(find x -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
[ "$(pkginfo_get $P size)" = "$want" ] || fail "size is not the stripped size"
if has_cmd verify; then
	mkdir keys && cp key.rsa.pub keys/
	"$W" verify --keys-dir "$PWD/keys" out/hello-1.0-r0.apk > /dev/null || fail "verify"
fi

# --no-strip keeps symbols; --no-auto-deps traces nothing, -D/-P still apply.
mkdir out2
"$W" buildapk -n hello -v 1.0 -k key.rsa --no-strip --no-auto-deps -D "musl" -P "greeter=1" \
	tree out2 > /dev/null 2>&1 || fail "buildapk --no-strip --no-auto-deps"
members out2/hello-1.0-r0.apk m2
mkdir x2 && tar -xzf m2/data.tar.gz -C x2 2>/dev/null
cmp -s x2/usr/bin/hello tree/usr/bin/hello || fail "--no-strip changed the binary"
[ "$(pkginfo_get m2/PKGINFO depend)" = musl ] || fail "--no-auto-deps depends: $(cat m2/PKGINFO)"
[ "$(pkginfo_get m2/PKGINFO provides)" = greeter=1 ] || fail "--no-auto-deps provides"

# A glibc payload: traced as so:libc.so.6, with a warning that Alpine
# repositories do not provide it.
mkdir -p gtree/usr/bin out3
gcc -o gtree/usr/bin/ghello hello.c || fail gcc
"$W" buildapk -n ghello -v 1.0 -k key.rsa gtree out3 > /dev/null 2> gwarn.txt ||
	{ cat gwarn.txt; fail "buildapk glibc"; }
grep -q '^witchery: warning: .*glibc' gwarn.txt || fail "no glibc warning: $(cat gwarn.txt)"
members out3/ghello-1.0-r0.apk m3
pkginfo_get m3/PKGINFO depend | grep -qx 'so:libc.so.6' || fail "glibc depend: $(cat m3/PKGINFO)"

# Traced names must stay single tokens: a command named "x busybox" (or
# "y busybox=9") would otherwise provide busybox. It is left out with a
# warning; an explicit -P for a traced name replaces the traced entry.
mkdir -p ntree/usr/bin out4
printf '#!/bin/true\n' >"ntree/usr/bin/x busybox"
printf '#!/bin/true\n' >"ntree/usr/bin/y busybox=9"
printf '#!/bin/true\n' >ntree/usr/bin/plain
chmod 755 ntree/usr/bin/*
"$W" buildapk -n names -v 1.0 -k key.rsa -P cmd:plain=5 ntree out4 >/dev/null 2>nwarn.txt ||
	{ cat nwarn.txt; fail "buildapk with odd command names"; }
grep -q "^witchery: warning: .*'cmd:x busybox=1.0-r0'.*not a valid apk name" nwarn.txt ||
	fail "no warning for 'x busybox': $(cat nwarn.txt)"
members out4/names-1.0-r0.apk m4
grep -E '^provides = ' m4/PKGINFO | grep -q busybox && fail "busybox provided: $(cat m4/PKGINFO)"
[ "$(grep -c '^provides = cmd:plain' m4/PKGINFO)" = 1 ] || fail "cmd:plain twice: $(cat m4/PKGINFO)"
grep -qx 'provides = cmd:plain=5' m4/PKGINFO || fail "explicit -P lost: $(cat m4/PKGINFO)"
if has_cmd verify; then
	"$W" verify --keys-dir "$PWD/keys" out4/names-1.0-r0.apk >/dev/null || fail "verify names"
fi
exit 0
