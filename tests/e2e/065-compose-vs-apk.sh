# Cross-check against the real apk-tools 2.14 (Alpine's own binary from the
# fixture repository, run through its musl loader, as in 040): compose
# alpine-base from the 3.19.1 snapshot with witchery, install the same with
# `apk add --initdb`, and compare the installed database, the file trees and
# the file contents; then let apk itself inspect witchery's root (info,
# audit, add --simulate).
#
# Differences that remain are apk's, listed and justified where they are
# filtered out below; everything else must be identical.
. "$SRCDIR/tests/e2e/lib.sh"
# apk applies owners and creates device nodes: both need root.
[ "$(id -u)" = 0 ] || skip "needs root (apk add --initdb makes device nodes and chowns)"
need sha256sum
need tar

use_fixture_apk

mkdir -p repo && ln -s "$REPO319" repo/x86_64
"$W" compose -k "$KEYS" --cache-dir cache -X "$PWD/repo" -d alpine-base ours > out.txt 2>&1 ||
	fail "compose failed: $(cat out.txt)"
expect_grep "^OK: 25 packages" out.txt

# The reference. A local repository folder needs neither network nor cache
# flags: apk reads APKINDEX.tar.gz and the .apk files in place (it caches
# only with an etc/apk/cache link, which a new root has not). --keys-dir
# gives the trust that etc/apk/keys would, so --allow-untrusted is not
# needed and every index and package signature is checked as usual.
apk add --root "$PWD/theirs" --initdb --keys-dir "$KEYS" --repository "$PWD/repo" \
	--no-scripts alpine-base > add.txt 2>&1 || { cat add.txt; fail "apk add"; }
grep -qi 'warning\|error\|broken' add.txt && { cat add.txt; fail "apk complained"; }
expect_grep '^OK: .* in 25 packages' add.txt

# --- (a) lib/apk/db/installed ---
db=lib/apk/db/installed
grep '^P:' theirs/$db > pkgs.theirs
grep '^P:' ours/$db > pkgs.ours
[ "$(wc -l < pkgs.theirs)" = 25 ] || fail "apk installed $(wc -l < pkgs.theirs) packages"
diff pkgs.theirs pkgs.ours > pkgs.diff || { cat pkgs.diff; fail "package set or order differs"; }
# apk-format §6.1 quirk: apk 2.14 buffers r:/q:/s:/f: and flushes them with
# the first F: line, so those of a package without directories leak into
# the next stanza (here alpine-base's "r:alpine-baselayout" lands in
# alpine-baselayout's record, which then claims to replace itself).
# witchery writes each line into its own stanza on purpose. Replay the quirk
# on our file; after that every line of every stanza must be identical.
awk '
	/^[rqsf]:/ { pend = pend $0 "\n"; next }
	/^F:/ { printf "%s", pend; pend = "" }
	{ print }
' ours/$db > installed.quirked
grep -c '^r:' ours/$db > /dev/null || fail "no r: line in our db (the quirk test is moot)"
diff theirs/$db installed.quirked > db.diff || { head -40 db.diff; fail "installed db differs"; }
# The quirk replay must matter, or the fixture no longer shows it.
cmp -s theirs/$db ours/$db && fail "databases identical without the quirk replay: update the test"
for f in lib/apk/db/triggers etc/apk/world etc/apk/arch; do
	cmp -s "theirs/$f" "ours/$f" || { diff "theirs/$f" "ours/$f"; fail "$f differs"; }
done
# scripts.tar: same entries, modes, owners, sizes and contents. Only the
# mtimes differ: apk 2.14.0 stamps the time of installation, witchery the
# package build time (reproducible output, apk-format §6.3).
tarlist() { tar -tvf "$1" | awk '{ print $1, $2, $3, $6 }'; }
tarlist theirs/lib/apk/db/scripts.tar > scripts.theirs
tarlist ours/lib/apk/db/scripts.tar > scripts.ours
[ -s scripts.theirs ] || fail "apk stored no scripts"
diff scripts.theirs scripts.ours || fail "scripts.tar entries differ"
mkdir st.theirs st.ours
for t in theirs ours; do
	tar -xf $t/lib/apk/db/scripts.tar -C st.$t || fail "cannot extract $t's scripts.tar"
done
diff -r st.theirs st.ours || fail "scripts.tar contents differ"

# --- (b) the file trees ---
# Left out, each for a reason:
#  lib/apk/db/lock   apk's lock file.
#  dev/{console,null,random,urandom,zero}
#                    apk's initdb makes these device nodes; a container
#                    runtime mounts its own /dev, and witchery builds roots
#                    without privileges too, so it writes no device nodes
#                    that no package carries.
#  etc/apk/repositories
#                    witchery lists the remote repositories it used, so apk
#                    in the container can use them (README); a local folder
#                    is not one, so the file is empty here. apk writes none
#                    for --repository.
#  proc's mode       apk's initdb makes proc 0555 before installing, and
#                    2.14 keeps the mode of a directory that already exists;
#                    alpine-baselayout ships proc 0755 and both databases
#                    say 0755 (no M: line), which is what witchery writes.
listing() {
	(cd "$1" && find . \( -path ./lib/apk/db/lock -o -path ./etc/apk/repositories \
		-o -path ./dev/console -o -path ./dev/null -o -path ./dev/random \
		-o -path ./dev/urandom -o -path ./dev/zero \) -prune -o \
		-printf '%p %y %m %U %G %l\n' | sed 's|^\./proc d 555 |./proc d 755 |' | sort)
}
listing theirs > tree.theirs
listing ours > tree.ours
[ "$(wc -l < tree.theirs)" -gt 400 ] || fail "apk's tree is suspiciously small"
diff tree.theirs tree.ours > tree.diff || { head -40 tree.diff; fail "file trees differ"; }
for dev in console null random urandom zero; do
	[ -c "theirs/dev/$dev" ] || fail "apk no longer makes dev/$dev: update the test"
	[ -e "ours/dev/$dev" ] && fail "witchery wrote dev/$dev"
done
[ "$(stat -c %a theirs/proc)" = 555 ] || fail "apk's proc mode changed: update the test"
[ -s ours/etc/apk/repositories ] && fail "etc/apk/repositories lists a local folder"
# Contents of every regular file except the database, and the mtimes of the
# packages' files (etc/apk and lib/apk/db are written by the tools at
# their own times).
sums() { (cd "$1" && find . -type f ! -path './lib/apk/db/*' ! -path ./etc/apk/repositories \
	-exec sha256sum {} + | sort -k2); }
sums theirs > sum.theirs
sums ours > sum.ours
diff sum.theirs sum.ours > sum.diff || { head sum.diff; fail "file contents differ"; }
mtimes() { (cd "$1" && find . -type f ! -path './lib/apk/*' ! -path './etc/apk/*' \
	-printf '%p %T@\n' | sort); }
mtimes theirs > mt.theirs
mtimes ours > mt.ours
diff mt.theirs mt.ours > mt.diff || { head mt.diff; fail "file mtimes differ"; }

# --- (c) apk on our root ---
apk --root "$PWD/ours" info > info.txt 2>&1 || { cat info.txt; fail "apk info"; }
sed 's/^/P:/' info.txt | sort > info.sorted
sort pkgs.ours | cmp -s - info.sorted || { cat info.txt; fail "apk info does not list the 25"; }
# audit --system checks every installed file (except etc, which apk treats
# as configuration) against the checksums and owners of the database.
# A control first: a changed copy must be reported, so silence means
# something.
cp -a ours tampered
echo x >> tampered/usr/share/apk/keys/alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub
chmod 700 tampered/sbin/setup-apkrepos
apk --root "$PWD/tampered" audit --system --check-permissions > tamper.txt 2>&1
grep -q '^U usr/share/apk/keys/alpine-devel@lists.alpinelinux.org-6165ee59' tamper.txt &&
	grep -q '^M sbin/setup-apkrepos' tamper.txt ||
	{ cat tamper.txt; fail "apk audit did not notice the tampered copy"; }
apk --root "$PWD/ours" audit --system --check-permissions > audit.txt 2>&1 ||
	{ cat audit.txt; fail "apk audit failed"; }
[ -s audit.txt ] && { cat audit.txt; fail "apk audit reports differences on our root"; }
# The full audit (etc included) may only list the files the tools write
# themselves: the same as on apk's own root, plus our repositories file.
apk --root "$PWD/ours" audit > audit-all.txt 2>&1 || fail "apk audit (full)"
apk --root "$PWD/theirs" audit > audit-ref.txt 2>&1 || fail "apk audit (reference)"
echo 'A etc/apk/repositories' | sort - audit-ref.txt > audit-want.txt
sort audit-all.txt | diff audit-want.txt - || fail "apk audit of etc differs"
apk --root "$PWD/ours" add --no-network --simulate alpine-base > sim.txt 2>&1 ||
	{ cat sim.txt; fail "apk add --simulate"; }
grep -qi 'installing\|upgrading\|purging\|warning\|error' sim.txt &&
	{ cat sim.txt; fail "apk wants changes"; }
expect_grep '^OK: .* in 25 packages' sim.txt
exit 0
