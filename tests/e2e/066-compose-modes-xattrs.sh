# Special modes and xattrs go from a package built by buildapk into the
# composed root: setuid/setgid/sticky bits, a security.capability and a
# user.* xattr are applied on disk (as root) and recorded in the installed
# database with apk's xattr digest (apk-format §2.7, §6.1), which is
# recomputed here from what getxattr reads back. As an unprivileged user the
# modes and user.* land, security.* cannot, and the database still records
# the intended ACLs.
. "$SRCDIR/tests/e2e/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (setcap, and to switch to an unprivileged user)"
need setcap
need getcap
need setpriv
need python3

mkdir -p tree/usr/bin tree/srv/drop tree/srv/team pk keys
printf '#!/bin/true\n' >tree/usr/bin/su-ish
printf 'cap\n' >tree/usr/bin/pinger
chmod 4755 tree/usr/bin/su-ish
chmod 0755 tree/usr/bin/pinger
chmod 1777 tree/srv/drop
chmod 2775 tree/srv/team
setcap cap_net_raw+ep tree/usr/bin/pinger || skip "this file system refuses security.capability"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.witchery", b"hello")' \
	tree/usr/bin/pinger 2>/dev/null || skip "this file system refuses user xattrs"

openssl genrsa -out keys/t.rsa 2048 2>/dev/null && openssl rsa -in keys/t.rsa -pubout \
	-out keys/t.rsa.pub 2>/dev/null || fail "openssl key"
"$W" buildapk -n modes -v 1.0 -k keys/t.rsa --no-auto-deps tree pk >/dev/null ||
	fail "buildapk"
APK=pk/modes-1.0-r0.apk

# As root: everything is applied.
"$W" compose --trust-key keys/t.rsa.pub -p "$APK" root >out.txt 2>&1 ||
	fail "compose: $(cat out.txt)"
[ "$(stat -c %a root/usr/bin/su-ish)" = 4755 ] || fail "setuid: $(stat -c %a root/usr/bin/su-ish)"
[ "$(stat -c %a root/srv/drop)" = 1777 ] || fail "sticky: $(stat -c %a root/srv/drop)"
[ "$(stat -c %a root/srv/team)" = 2775 ] || fail "setgid: $(stat -c %a root/srv/team)"
getcap root/usr/bin/pinger | grep -q 'cap_net_raw[=+]ep' ||
	fail "capability not applied: $(getcap root/usr/bin/pinger)"

# The database: recompute apk's digest over the xattrs on disk and compare
# with the 4th field of the file's a: line; directories carry M: lines.
python3 - root <<'EOF' || fail "installed database ACLs"
import base64, hashlib, os, struct, sys
root = sys.argv[1]
db = open(os.path.join(root, 'lib/apk/db/installed')).read().split('\n')
acl, d, last = {}, None, None
for l in db:
    k, _, v = l.partition(':')
    if k == 'F':
        d, last = v, None
        acl[d] = 'M:0:0:755'
    elif k == 'M':
        acl[d] = l
    elif k == 'R':
        last = d + '/' + v
        acl[last] = 'a:0:0:644'
    elif k == 'a' and last:
        acl[last] = l
p = os.path.join(root, 'usr/bin/pinger')
names = sorted(os.listxattr(p, follow_symlinks=False))
blob = b''
for n in names:
    val = os.getxattr(p, n, follow_symlinks=False)
    blob += struct.pack('>I', len(n)) + n.encode() + struct.pack('>I', len(val)) + val
assert names == ['security.capability', 'user.witchery'], names
want = 'a:0:0:755:Q1' + base64.b64encode(hashlib.sha1(blob).digest()).decode()
assert acl['usr/bin/pinger'] == want, (acl['usr/bin/pinger'], want)
assert acl['usr/bin/su-ish'] == 'a:0:0:4755', acl['usr/bin/su-ish']
assert acl['srv/drop'] == 'M:0:0:1777', acl['srv/drop']
assert acl['srv/team'] == 'M:0:0:2775', acl['srv/team']
EOF

# Unprivileged: modes and user.* are applied, security.capability is not
# (it needs CAP_SETFCAP) and the compose still succeeds; the database is the
# same as root's.
mkdir -p u && chmod 777 u
cp -r pk keys u/ && chmod -R a+rX u
setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
	"$W" compose --trust-key u/keys/t.rsa.pub -p u/"$APK" u/root >out.txt 2>&1 ||
	fail "unprivileged compose: $(cat out.txt)"
[ "$(stat -c %u%a u/root/usr/bin/su-ish)" = 655344755 ] ||
	fail "unprivileged setuid: $(stat -c '%u %a' u/root/usr/bin/su-ish)"
[ "$(stat -c %a u/root/srv/drop)" = 1777 ] || fail "unprivileged sticky"
python3 -c 'import os,sys; assert os.getxattr(sys.argv[1], "user.witchery") == b"hello"' \
	u/root/usr/bin/pinger || fail "unprivileged user xattr"
cmp root/lib/apk/db/installed u/root/lib/apk/db/installed ||
	fail "database differs between root and unprivileged compose"
exit 0
