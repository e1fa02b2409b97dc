# buildapk: member layout, signature, datahash, per-file checksums, modes,
# links, xattrs and .PKGINFO, each checked with independent tools
# (apk-format §2.1, §2.2, §2.7, §2.8, §3, §4.1).
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/040-buildapk-common.inc"

mkkey key.rsa
export SOURCE_DATE_EPOCH=1700000000

# A tree with every kind of entry abuild packs.
mkdir -p tree/etc tree/usr/bin tree/usr/share/doc/app tree/var/empty tree/var/tmp tree/a out
printf 'port=80\n' > tree/etc/app.conf
: > tree/etc/empty.conf
ln tree/etc/app.conf tree/usr/share/doc/app/app.conf.example   # hard link
ln -s ../../../etc/app.conf tree/usr/share/doc/app/conf          # symlink
printf '#!/bin/sh\necho hi\n' > tree/usr/bin/hi
chmod 0755 tree/usr/bin/hi
cp tree/usr/bin/hi tree/usr/bin/suid
chmod 4750 tree/usr/bin/suid
cp tree/usr/bin/hi tree/usr/bin/sgid
chmod 2755 tree/usr/bin/sgid
chmod 1777 tree/var/tmp
printf b > tree/a/b
printf c > tree/a-c   # sorts before a/b in byte order ('-' < '/')
head -c 3000000 /dev/urandom > tree/usr/share/doc/app/big.bin   # > 1 MiB: two-pass path
cp tree/usr/bin/hi tree/usr/bin/cap
has_cap=0
if command -v setcap >/dev/null && setcap cap_net_bind_service+ep tree/usr/bin/cap 2>/dev/null; then
	has_cap=1
fi
has_user_xattr=0
if python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.witchery", b"v1")' \
	tree/etc/app.conf 2>/dev/null; then
	has_user_xattr=1
fi
mkdir scripts
printf '#!/bin/sh\necho installed\n' > scripts/.post-install
printf '#!/bin/sh\nexit 0\n' > scripts/pre-upgrade

"$W" buildapk -n app -v 1.2.3 -r 4 -d "An app" -l MIT -m "Jane <j@example.org>" \
	-u https://example.org -a x86_64 -k key.rsa -D "musl>=1.2" -P "app-bin=1.2.3-r4" \
	--install scripts tree out > stdout.txt 2> stderr.txt ||
	{ cat stderr.txt; fail "buildapk"; }
apk=out/app-1.2.3-r4.apk
[ -f "$apk" ] || fail "no $apk"
[ "$(cat stdout.txt)" = "out/app-1.2.3-r4.apk" ] || fail "stdout: $(cat stdout.txt)"
[ "$(ls -A out)" = "app-1.2.3-r4.apk" ] || fail "stray files in out: $(ls -A out)"
[ "$(stat -c %a "$apk")" = 644 ] || fail "mode of the .apk"

members "$apk" m

# Each member lists with GNU tar; signature and control are exactly what
# they must be.
tar -tvzf m/sig.tar.gz > sig.lst 2>&1 || { cat sig.lst; fail "tar sig"; }
[ "$(tar -tzf m/sig.tar.gz)" = ".SIGN.RSA.key.rsa.pub" ] || fail "sig member: $(cat sig.lst)"
tar --numeric-owner -tvzf m/sig.tar.gz | grep -q '^-rw-r--r-- 0/0 ' || fail "sig owner/mode"
[ "$(tar -tzf m/control.tar.gz | tr '\n' ' ')" = ".PKGINFO .post-install .pre-upgrade " ] ||
	fail "control entries: $(tar -tzf m/control.tar.gz)"
tar -tvzf m/control.tar.gz | grep '\.post-install' | grep -q '^-rwxr-xr-x root/root ' ||
	fail "script mode: $(tar -tvzf m/control.tar.gz)"
tar -xzOf m/control.tar.gz .post-install | cmp -s - scripts/.post-install || fail "script body"
tar -tvzf m/data.tar.gz > data.lst || fail "tar data"

# Signature over the control member (openssl, SHA-1 for .SIGN.RSA.).
tar -xzOf m/sig.tar.gz .SIGN.RSA.key.rsa.pub > sig.bin
openssl dgst -sha1 -verify key.rsa.pub -signature sig.bin m/control.tar.gz >/dev/null ||
	fail "signature does not verify"
# datahash = SHA-256 of the data member.
dh=$(sha256sum m/data.tar.gz | cut -d' ' -f1)
[ "$(pkginfo_get m/PKGINFO datahash)" = "$dh" ] ||
	fail "datahash $(pkginfo_get m/PKGINFO datahash) != $dh"

# .PKGINFO fields (§3).
P=m/PKGINFO
[ "$(pkginfo_get $P pkgname)" = app ] || fail pkgname
[ "$(pkginfo_get $P pkgver)" = 1.2.3-r4 ] || fail pkgver
[ "$(pkginfo_get $P pkgdesc)" = "An app" ] || fail pkgdesc
[ "$(pkginfo_get $P url)" = https://example.org ] || fail url
[ "$(pkginfo_get $P builddate)" = 1700000000 ] || fail builddate
[ "$(pkginfo_get $P arch)" = x86_64 ] || fail arch
[ "$(pkginfo_get $P origin)" = app ] || fail origin
[ "$(pkginfo_get $P license)" = MIT ] || fail license
[ "$(pkginfo_get $P maintainer)" = "Jane <j@example.org>" ] || fail maintainer
[ -n "$(pkginfo_get $P packager)" ] || fail packager
pkginfo_get $P depend | grep -qx 'musl>=1.2' || fail "explicit depend: $(cat $P)"
pkginfo_get $P depend | grep -qx '/bin/sh' || fail "script /bin/sh depend (§4.1): $(cat $P)"
pkginfo_get $P provides | grep -qx 'app-bin=1.2.3-r4' || fail "explicit provide"
# size: regular files, hard links once (abuild >= 3.14).
want=$(cd tree && find . -type f -printf '%i %s\n' | sort -u | awk '{s+=$2} END {print s}')
[ "$(pkginfo_get $P size)" = "$want" ] || fail "size $(pkginfo_get $P size) != $want"
tail -n 1 $P | grep -q '^datahash = ' || fail "datahash is not last"

# Data tar: byte-sorted names without "./", dirs first, root-owned.
(cd tree && find . -mindepth 1 | sed 's,^\./,,' | LC_ALL=C sort) > want.lst
tar -tzf m/data.tar.gz | sed 's,/$,,' > got.lst
diff want.lst got.lst || fail "data entry order"
if tar --numeric-owner -tvzf m/data.tar.gz | awk '{print $2}' | grep -v '^0/0$'; then
	fail "non-root owner"
fi
if awk '{print $2}' data.lst | grep -v '^root/root$'; then fail "uname/gname not root"; fi

# Entry by entry with python's tarfile: types, modes, link targets, the
# APK-TOOLS.checksum.SHA1 record (file content / symlink target), xattrs,
# clamped mtimes, and the cut/uncut tar ends.
python3 - m tree "$has_cap" "$has_user_xattr" <<'EOF' || fail "entry checks"
import hashlib, io, os, stat, sys, tarfile, zlib
m, tree, has_cap, has_ux = sys.argv[1], sys.argv[2], sys.argv[3] == '1', sys.argv[4] == '1'
def raw(name):
    return zlib.decompress(open('%s/%s' % (m, name), 'rb').read(), 16 + 15)
for name in ('sig.tar.gz', 'control.tar.gz', 'data.tar.gz'):
    b = open('%s/%s' % (m, name), 'rb').read(10)
    assert b[3] == 0 and b[4:8] == b'\0\0\0\0', name + ': gzip header has a name or mtime'
for name in ('sig.tar.gz', 'control.tar.gz'):
    t = raw(name)
    assert len(t) % 512 == 0 and t[-512:] != bytes(512), name + ' is not cut'
d = raw('data.tar.gz')
assert d[-1024:] == bytes(1024), 'data tar lacks end-of-archive blocks'
first = {}
for ti in tarfile.open(fileobj=io.BytesIO(d), mode='r:'):
    p = os.path.join(tree, ti.name)
    st = os.lstat(p)
    assert ti.uid == 0 and ti.gid == 0, ti.name
    assert ti.mode == stat.S_IMODE(st.st_mode), '%s mode %o' % (ti.name, ti.mode)
    assert ti.mtime <= 1700000000, ti.name + ' mtime not clamped'
    ck = ti.pax_headers.get('APK-TOOLS.checksum.SHA1')
    if stat.S_ISDIR(st.st_mode):
        assert ti.isdir() and ck is None, ti.name
    elif stat.S_ISLNK(st.st_mode):
        assert ti.issym() and ti.linkname == os.readlink(p), ti.name
        assert ck == hashlib.sha1(os.readlink(p).encode()).hexdigest(), ti.name + ' link sha1'
    elif (st.st_dev, st.st_ino) in first:
        assert ti.islnk() and ti.linkname == first[(st.st_dev, st.st_ino)], ti.name
        assert ck is None, ti.name
    else:
        first[(st.st_dev, st.st_ino)] = ti.name
        assert ti.isreg() and ti.size == st.st_size, ti.name
        assert ck == hashlib.sha1(open(p, 'rb').read()).hexdigest(), ti.name + ' sha1'
    xa = {k[len('SCHILY.xattr.'):]: v for k, v in ti.pax_headers.items()
          if k.startswith('SCHILY.xattr.')}
    if ti.name == 'usr/bin/cap' and has_cap:
        want = os.getxattr(p, 'security.capability', follow_symlinks=False)
        got = xa.get('security.capability')
        assert got is not None, 'capability xattr missing'
        assert got.encode('utf-8', 'surrogateescape') == want, 'capability xattr value'
    elif ti.name == 'etc/app.conf' and has_ux:
        assert xa.get('user.witchery') == 'v1', 'user xattr: %r' % xa
    else:
        assert not xa, '%s: unexpected xattrs %r' % (ti.name, xa)
EOF

# RSA256 signature type.
"$W" buildapk -n app -v 1.2.3 -r 4 -k key.rsa --sign-sha256 tree out256 2>/dev/null &&
	fail "missing OUTDIR must fail"
mkdir out256
"$W" buildapk -n app -v 1.2.3 -r 4 -k key.rsa --sign-sha256 tree out256 >/dev/null ||
	fail "buildapk --sign-sha256"
members out256/app-1.2.3-r4.apk m256
[ "$(tar -tzf m256/sig.tar.gz)" = ".SIGN.RSA256.key.rsa.pub" ] || fail "RSA256 name"
tar -xzOf m256/sig.tar.gz > sig256.bin
openssl dgst -sha256 -verify key.rsa.pub -signature sig256.bin m256/control.tar.gz >/dev/null ||
	fail "RSA256 signature"

# witchery's own verifier accepts it (when that command exists).
if has_cmd verify; then
	mkdir keys && cp key.rsa.pub keys/
	"$W" verify --keys-dir "$PWD/keys" "$apk" out256/app-1.2.3-r4.apk > v.txt 2>&1 ||
		{ cat v.txt; fail "witchery verify"; }
fi
# PACKAGER is read like abuild's readconfig does: the environment, else the
# user's abuild.conf, else the system one ($ABUILD_CONF, /etc/abuild.conf).
mkdir -p h/.abuild pk small && printf 'x\n' > small/f
printf 'PACKAGER="Conf Person <c@p>"\nPACKAGER_PRIVKEY="%s/key.rsa"\n' "$PWD" \
	> h/.abuild/abuild.conf
printf 'PACKAGER="System Person <s@p>"\n' > sys.conf
# packager_of ENV...: the packager line buildapk writes with ENV.
packager_of() {
	rm -f pk/*
	env -u PACKAGER -u PACKAGER_PRIVKEY -u ABUILD_USERDIR -u XDG_CONFIG_HOME \
		ABUILD_CONF="$PWD/sys.conf" "$@" "$W" buildapk -n p -v 1 small pk > /dev/null ||
		fail "buildapk with $*"
	tar -xzOf pk/p-1-r0.apk .PKGINFO 2>/dev/null | sed -n 's/^packager = //p'
}
[ "$(packager_of HOME="$PWD/h")" = "Conf Person <c@p>" ] || fail "PACKAGER from abuild.conf"
[ "$(packager_of HOME="$PWD/h" PACKAGER="Env <e@p>")" = "Env <e@p>" ] ||
	fail "\$PACKAGER does not win over abuild.conf"
printf 'PACKAGER_PRIVKEY="%s/key.rsa"\n' "$PWD" > h/.abuild/abuild.conf
[ "$(packager_of HOME="$PWD/h")" = "System Person <s@p>" ] || fail "PACKAGER from \$ABUILD_CONF"
rm sys.conf
[ "$(packager_of HOME="$PWD/h")" = "Unknown" ] || fail "no PACKAGER is not 'Unknown'"

# --trigger takes abuild's colon list ($pkgname.trigger=/a:/b): one glob each.
printf '#!/bin/sh\n' > scripts/.trigger
rm -f pk/*
"$W" buildapk -n p -v 1 -k key.rsa --install scripts --trigger '/usr/share/a/*:/opt/b' \
	--trigger /c small pk > /dev/null 2>&1 || fail "buildapk --trigger list"
tar -xzOf pk/p-1-r0.apk .PKGINFO 2>/dev/null > trig.txt
[ "$(pkginfo_get trig.txt triggers)" = "/usr/share/a/* /opt/b /c" ] ||
	fail "triggers: $(pkginfo_get trig.txt triggers)"

# A file name up to NAME_MAX works: the temporary name next to it fits too.
long=$(printf 'n%.0s' $(seq 246))   # + '-1-r0.apk' = 255 bytes
"$W" buildapk -n "$long" -v 1 -k key.rsa small pk > /dev/null 2> err.txt ||
	fail "255-byte output name: $(cat err.txt)"
[ "$(ls pk | grep -c "^$long-1-r0.apk\$")" = 1 ] || fail "long name: $(ls -a pk)"
[ "$(ls -A pk | wc -l)" = 2 ] || fail "temporary files left: $(ls -A pk)"
tar -tzf "pk/$long-1-r0.apk" > /dev/null 2>&1 || fail "long-named package unreadable"
exit 0
