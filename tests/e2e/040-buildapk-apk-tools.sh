# The real apk-tools 2.14 (Alpine's own binary from the fixture
# repository, run through its musl loader) verifies and installs what
# buildapk writes, without warnings: signature (RSA and RSA256), datahash,
# per-file checksums, modes, links and install scripts.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/040-buildapk-common.inc"

# apk-tools 2.14.0 and its libraries, unpacked from Alpine 3.19.1 packages.
use_fixture_apk

export SOURCE_DATE_EPOCH=1700000000
mkkey key.rsa
mkdir keys && cp key.rsa.pub keys/
mkdir -p tree/etc/app tree/usr/bin tree/var/lib/app out scripts
printf 'x=1\n' > tree/etc/app/app.conf
ln tree/etc/app/app.conf tree/etc/app/default.conf
printf '#!/bin/sh\necho app\n' > tree/usr/bin/app
chmod 4755 tree/usr/bin/app
ln -s app tree/usr/bin/app-alias
head -c 2000000 /dev/urandom > tree/var/lib/app/blob
printf '#!/bin/sh\nexit 0\n' > scripts/.post-install

# No traced or script depends: the test root has no repositories.
B() { "$W" buildapk -n app -v 3.1 -r 2 -k key.rsa --no-auto-deps "$@"; }
B --install scripts tree out > /dev/null 2> b.txt || { cat b.txt; fail "buildapk"; }
pkg=out/app-3.1-r2.apk

apk verify --keys-dir "$PWD/keys" "$pkg" > v.txt 2>&1 || { cat v.txt; fail "apk verify"; }
grep -q ': 0 - OK$' v.txt || fail "apk verify: $(cat v.txt)"

mkdir out256
B --sign-sha256 tree out256 > /dev/null 2>&1 || fail "buildapk --sign-sha256"
apk verify --keys-dir "$PWD/keys" out256/app-3.1-r2.apk > v2.txt 2>&1 ||
	{ cat v2.txt; fail "apk verify RSA256"; }

# Install into an empty root (without the install script: it would make
# the package depend on /bin/sh, which nothing provides there).
mkdir root out2
B tree out2 > /dev/null 2>&1 || fail "buildapk without scripts"
apk add --root "$PWD/root" --initdb --keys-dir "$PWD/keys" --no-network --no-scripts \
	out2/app-3.1-r2.apk > add.txt 2>&1 || { cat add.txt; fail "apk add"; }
grep -qi 'warning\|error\|broken' add.txt && { cat add.txt; fail "apk complained"; }
grep -q 'Installing app (3.1-r2)' add.txt || fail "not installed: $(cat add.txt)"

cmp root/var/lib/app/blob tree/var/lib/app/blob || fail "blob content"
[ "$(readlink root/usr/bin/app-alias)" = app ] || fail symlink
[ "$(stat -c %a root/usr/bin/app)" = 4755 ] || fail "setuid mode: $(stat -c %a root/usr/bin/app)"
[ "$(stat -c %i root/etc/app/app.conf)" = "$(stat -c %i root/etc/app/default.conf)" ] ||
	fail "hard link not installed as a hard link"
db=root/lib/apk/db/installed
sed -n '/^P:app$/,/^$/p' $db > stanza.txt
grep -qx 'V:3.1-r2' stanza.txt || fail "db version"
grep -q '^f:' stanza.txt && fail "apk flagged the package: $(cat stanza.txt)"
# Z: of the blob is the checksum apk took from our PAX record.
want=$(python3 -c 'import base64,hashlib,sys; print("Q1" + base64.b64encode(
	hashlib.sha1(open(sys.argv[1], "rb").read()).digest()).decode())' tree/var/lib/app/blob)
grep -A1 '^R:blob$' stanza.txt | grep -qx "Z:$want" || fail "Z: of blob: $(cat stanza.txt)"
exit 0
