# apk's install-time rules (apk-format §2.9), checked against Alpine's own
# apk-tools 2.14 on the same hand-made packages: .keep_* files are not
# installed, a package of installed size 0 is never unpacked, a device node
# keeps its mode whatever the umask, a directory shared by packages ends up
# with the AND of their modes, a read-only directory still gets its files.
# Then the same as an unprivileged user: nothing refused, the device node
# and its privilege reported as skipped, the database equal to root's.
. "$SRCDIR/tests/e2e/lib.sh"
[ "$(uname -m)" = x86_64 ] || skip "the fixture apk-tools is x86_64"
[ "$(id -u)" = 0 ] || skip "needs root (apk makes device nodes; setpriv)"
need python3
need setpriv
mk() { python3 "$SRCDIR/tests/e2e/mkapk.py" "$@" || fail "mkapk $*"; }

mkdir apkroot
for p in apk-tools-2.14.0-r5 libcrypto3-3.1.4-r5 libssl3-3.1.4-r5 \
	musl-1.2.4_git20230717-r4 zlib-1.3.1-r0; do
	tar -xzf "$REPO319/$p.apk" -C apkroot 2>/dev/null || fail "unpack $p"
done
A=$PWD/apkroot
apk() { "$A/lib/ld-musl-x86_64.so.1" --library-path "$A/lib:$A/usr/lib" "$A/sbin/apk" "$@"; }
apk --version | grep -q '^apk-tools 2\.14' || skip "cannot run the fixture apk-tools here"

mkdir pk
mk pk/keep.apk keep d:app f:app/.keep_app= f:app/x=1
mk pk/virt.apk virt --size 0 d:v f:v/file=x
mk pk/dev.apk devs d:dev c:dev/null=1,3,666
mk pk/dm1.apk dm1 d:shared=0750 f:shared/one=1
mk pk/dm2.apk dm2 d:shared=0711 f:shared/two=2
mk pk/ro.apk ro d:ro=0555 f:ro/f=hi
P=(pk/keep.apk pk/virt.apk pk/dev.apk pk/dm1.apk pk/dm2.apk pk/ro.apk)

(umask 077 && "$W" compose -i "${P[@]/#/-p}" ours >out.txt 2>&1) || fail "compose: $(cat out.txt)"
(umask 077 && apk add -q --root "$PWD/theirs" --initdb --allow-untrusted --no-scripts \
	--force-non-repository "${P[@]}" >add.txt 2>&1) || { cat add.txt; fail "apk add"; }

# The payload paths (apk's initdb adds its own dev/, proc/ and db files).
list() {
	(cd "$1" && find app v dev/null shared ro -printf '%p %M %s\n' 2>/dev/null | sort)
}
list ours >ours.txt
list theirs >theirs.txt
[ -s theirs.txt ] || fail "apk installed nothing"
diff theirs.txt ours.txt >tree.diff || { cat tree.diff; fail "trees differ from apk's"; }
# What the rules mean, said directly as well.
[ ! -e ours/app/.keep_app ] && [ -e ours/app/x ] || fail ".keep_ file installed"
[ ! -e ours/v ] || fail "package of size 0 unpacked"
[ "$(stat -c %a ours/dev/null)" = 666 ] || fail "device mode: $(stat -c %a ours/dev/null)"
[ "$(stat -c %a ours/shared)" = 710 ] || fail "shared dir mode: $(stat -c %a ours/shared)"
[ "$(stat -c %a ours/ro)" = 555 ] && [ "$(cat ours/ro/f)" = hi ] || fail "read-only dir"
grep -q '^R:\.keep_app$' ours/lib/apk/db/installed && fail ".keep_ file in the database"

# Unprivileged: the read-only directory is filled, then locked; the device
# node cannot be made and is reported; the database is root's.
mkdir -p u && chmod 777 u && cp -r pk u/ && chmod -R a+rX u
setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
	"$W" compose -i "${P[@]/#/-pu/}" u/root >uout.txt 2>&1 || fail "unprivileged: $(cat uout.txt)"
[ "$(stat -c %a u/root/ro)" = 555 ] && [ "$(cat u/root/ro/f)" = hi ] ||
	fail "unprivileged read-only dir: $(stat -c %a u/root/ro)"
[ "$(stat -c %a u/root/shared)" = 710 ] || fail "unprivileged shared dir mode"
grep -q '^note: not root: 1 device node(s) not created' uout.txt ||
	fail "skipped device node not reported: $(cat uout.txt)"
cmp ours/lib/apk/db/installed u/root/lib/apk/db/installed || fail "databases differ"
rm -rf u/root || fail "cannot remove the unprivileged root"
exit 0
