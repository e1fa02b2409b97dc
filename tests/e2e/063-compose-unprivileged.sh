# An unprivileged user composes alpine-base: the tree gets the caller's
# ownership, the database keeps the intended owners (etc/shadow: group
# shadow = 42 in alpine-baselayout's etc/group).
. "$SRCDIR/tests/e2e/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to switch to an unprivileged user"
need setpriv
mkdir -p repo && ln -s "$REPO319" repo/x86_64
chmod 777 .
setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
	"$W" compose -k "$KEYS" --cache-dir "$PWD/cache" -X "$PWD/repo" -d alpine-base root \
	> out.txt 2>&1 || fail "unprivileged compose failed: $(cat out.txt)"
expect_grep "^OK: 25 packages" out.txt
[ "$(stat -c %u root/etc/shadow)" = 65534 ] || fail "tree not owned by the caller"
# etc/shadow's intended owner is recorded: a:0:42:640 after R:shadow under F:etc.
awk '/^F:etc$/ {d=1; next} /^F:/ {d=0} d && /^R:shadow$/ {getline; print; exit}' \
	root/lib/apk/db/installed > acl.txt
[ "$(cat acl.txt)" = "a:0:42:640" ] || fail "recorded owner of etc/shadow: $(cat acl.txt)"
exit 0
