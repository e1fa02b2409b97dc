# witchery-buildapk: the original 2021 tool's interface
# (-n -v -r -d -l -m -h DIR OUTPUT) and its defaults, through a symlink
# named witchery-buildapk; same bytes as `witchery buildapk`.
. "$SRCDIR/tests/e2e/lib.sh"
. "$SRCDIR/tests/e2e/040-buildapk-common.inc"

mkkey key.rsa
ln -s "$W" witchery-buildapk
WB=$PWD/witchery-buildapk
mkdir -p tree/srv/app out
printf 'data\n' > tree/srv/app/index.html
# The key comes from abuild's configuration, as with the original tool.
export PACKAGER_PRIVKEY=$PWD/key.rsa
export SOURCE_DATE_EPOCH=1650000000
export WITCHERY_ARCH=aarch64

"$WB" -h > help.txt || fail "-h"
expect_grep "^usage: witchery-buildapk" help.txt

# Defaults: version = SOURCE_DATE_EPOCH, release 0, description, license,
# arch from WITCHERY_ARCH; OUTPUT as a folder.
"$WB" -n site tree out > /dev/null 2> err.txt || { cat err.txt; fail "defaults"; }
apk=out/site-1650000000-r0.apk
[ -f $apk ] || fail "no $apk: $(ls out)"
members $apk m
P=m/PKGINFO
[ "$(pkginfo_get $P pkgver)" = 1650000000-r0 ] || fail "default version: $(cat $P)"
[ "$(pkginfo_get $P pkgdesc)" = "package generated with witchery-buildapk" ] || fail pkgdesc
[ "$(pkginfo_get $P license)" = Unspecified ] || fail license
[ "$(pkginfo_get $P arch)" = aarch64 ] || fail arch
[ "$(pkginfo_get $P builddate)" = 1650000000 ] || fail builddate
[ "$(tar -tzf m/sig.tar.gz)" = ".SIGN.RSA.key.rsa.pub" ] || fail "signature name"
tar -xzOf m/sig.tar.gz > sig.bin
openssl dgst -sha1 -verify key.rsa.pub -signature sig.bin m/control.tar.gz > /dev/null ||
	fail "signature"

# All the original flags; OUTPUT as a file name.
"$WB" -n site -v 2.1 -r 3 -d "My site" -l "MIT" -m "Ops <ops@example.org>" tree out/my.apk \
	> /dev/null 2> err.txt || { cat err.txt; fail "all flags"; }
members out/my.apk m2
[ "$(pkginfo_get m2/PKGINFO pkgver)" = 2.1-r3 ] || fail pkgver
[ "$(pkginfo_get m2/PKGINFO pkgdesc)" = "My site" ] || fail pkgdesc2
[ "$(pkginfo_get m2/PKGINFO license)" = MIT ] || fail license2
[ "$(pkginfo_get m2/PKGINFO maintainer)" = "Ops <ops@example.org>" ] || fail maintainer

# Same bytes as the subcommand with the same metadata.
mkdir out2
"$W" buildapk -n site -v 2.1 -r 3 -d "My site" -l "MIT" -m "Ops <ops@example.org>" tree out2 \
	> /dev/null || fail "buildapk"
cmp out/my.apk out2/site-2.1-r3.apk || fail "witchery-buildapk and buildapk differ"

# Without SOURCE_DATE_EPOCH the version is the current time.
before=$(date +%s)
mkdir out3
env -u SOURCE_DATE_EPOCH "$WB" -n site tree out3 > /dev/null || fail "no epoch"
after=$(date +%s)
v=$(ls out3 | sed -n 's/^site-\([0-9]*\)-r0\.apk$/\1/p')
[ -n "$v" ] && [ "$v" -ge "$before" ] && [ "$v" -le "$after" ] || fail "version now: $(ls out3)"

# No key anywhere: a clear error, nothing written.
mkdir out4
expect_fail "no key" env -u PACKAGER_PRIVKEY HOME=$PWD/nohome XDG_CONFIG_HOME=$PWD/nohome \
	"$WB" -n site tree out4
expect_grep "key" err.txt
[ -z "$(ls -A out4)" ] || fail "left files"
expect_fail "no name" "$WB" tree out4
exit 0
