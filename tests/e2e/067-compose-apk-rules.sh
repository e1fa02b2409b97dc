# apk's install-time rules (apk-format §2.9), checked against Alpine's own
# apk-tools 2.14 on the same hand-made packages: .keep_* files are not
# installed, a package of installed size 0 is never unpacked, a device node
# keeps its mode whatever the umask, a directory shared by packages ends up
# with the AND of their modes, a read-only directory still gets its files.
# Then the same as an unprivileged user: nothing refused, the device node
# and its privilege reported as skipped, the database equal to root's.
. "$SRCDIR/tests/e2e/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (apk makes device nodes; setpriv)"
need python3
need setpriv
mk() { python3 "$SRCDIR/tests/e2e/mkapk.py" "$@" || fail "mkapk $*"; }

use_fixture_apk

mkdir pk
mk pk/keep.apk keep d:app f:app/.keep_app= f:app/.keep_=k f:app/x=1
mk pk/virt.apk virt --size 0 d:v f:v/file=x
mk pk/dev.apk devs d:dev c:dev/null=1,3,666
mk pk/dm1.apk dm1 d:shared=0750 f:shared/one=1
mk pk/dm2.apk dm2 d:shared=0711 f:shared/two=2
mk pk/ro.apk ro d:ro=0555 f:ro/f=hi
# A later package takes the x bit off a parent of a read-only directory.
mk pk/pa.apk pa d:p=0755 d:p/q=0555 f:p/q/f=1
mk pk/pb.apk pb d:p=0644
P=(pk/keep.apk pk/virt.apk pk/dev.apk pk/dm1.apk pk/dm2.apk pk/ro.apk pk/pa.apk pk/pb.apk)

(umask 077 && "$W" compose -i "${P[@]/#/-p}" ours >out.txt 2>&1) || fail "compose: $(cat out.txt)"
(umask 077 && apk add -q --root "$PWD/theirs" --initdb --allow-untrusted --no-scripts \
	--force-non-repository "${P[@]}" >add.txt 2>&1) || { cat add.txt; fail "apk add"; }

# The payload paths (apk's initdb adds its own dev/, proc/ and db files).
list() {
	(cd "$1" && find app v dev/null shared ro p p/q -maxdepth 0 -printf '%p %M %s\n' \
		2>/dev/null | sort)
	(cd "$1" && find app shared ro -mindepth 1 -printf '%p %M %s\n' 2>/dev/null | sort)
}
list ours >ours.txt
list theirs >theirs.txt
[ -s theirs.txt ] || fail "apk installed nothing"
diff theirs.txt ours.txt >tree.diff || { cat tree.diff; fail "trees differ from apk's"; }
# What the rules mean, said directly as well.
[ ! -e ours/app/.keep_app ] && [ -e ours/app/x ] || fail ".keep_ file installed"
[ "$(cat ours/app/.keep_)" = k ] || fail "a file named .keep_ itself was skipped"
[ "$(stat -c %a ours/p)" = 644 ] && [ "$(stat -c %a ours/p/q)" = 555 ] || fail "p, p/q modes"
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
[ "$(stat -c %a u/root/p)" = 644 ] && [ "$(stat -c %a u/root/p/q)" = 555 ] ||
	fail "unprivileged p, p/q: $(stat -c %a u/root/p u/root/p/q 2>&1)"
cmp ours/lib/apk/db/installed u/root/lib/apk/db/installed || fail "databases differ"
# --force over a tree whose directories lock their owner out (0000, 0111).
mk u/pk/locked.apk locked d:a d:a/x=0000 f:a/x/f=1 d:a/y=0111 f:a/y/g=2
chmod a+r u/pk/locked.apk
for _ in 1 2; do
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
		"$W" compose -q -i --force -p u/pk/locked.apk u/locked >uout.txt 2>&1 ||
		fail "unprivileged --force over locked directories: $(cat uout.txt)"
done
[ "$(stat -c %a u/locked/a/x)" = 0 ] || fail "a/x mode"
ls -A u | grep -q '^\.locked\.wch' && fail "old tree left behind"
rm -rf u/root u/locked || fail "cannot remove the unprivileged roots"
exit 0
