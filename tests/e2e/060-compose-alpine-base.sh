# compose alpine-base from the 3.19.1 snapshot writes exactly the files of
# the 25 resolved packages' data members (contents, modes, link targets),
# as GNU tar extracts them, plus the apk database; busybox runs in it.
. "$SRCDIR/tests/e2e/lib.sh"
mkdir -p repo && ln -s "$REPO319" repo/x86_64
"$W" compose -k "$KEYS" --cache-dir cache -X "$PWD/repo" -d alpine-base root > out.txt \
	|| fail "compose failed: $(cat out.txt)"
expect_grep "^OK: 25 packages" out.txt
ls -A . | grep -q '^\.root\.wch' && fail "temporary tree left behind"

# Reference: GNU tar extracts each resolved package's data member.
"$W" resolve -k "$KEYS" --cache-dir cache -X "$PWD/repo" alpine-base > plan.txt
[ "$(wc -l < plan.txt)" = 25 ] || fail "plan is not 25 packages"
mkdir ref
while read -r nv; do
	tar -xzf "$REPO319/$nv.apk" -C ref --numeric-owner --same-permissions \
		--exclude='.SIGN.*' --exclude='.PKGINFO' --exclude='.pre-*' --exclude='.post-*' \
		--exclude='.trigger' 2>/dev/null || fail "GNU tar could not extract $nv"
done < plan.txt
# The summary names every package whose install scripts or triggers were
# skipped, in plan order, as GNU tar lists its control member.
scripts= triggers=
while read -r nv; do
	s=$(tar -tzf "$REPO319/$nv.apk" 2>/dev/null | grep -E '^\.(pre|post)-|^\.trigger$' |
		sed 's/^\.//' | paste -sd, | sed 's/,/, /g')
	[ -n "$s" ] && scripts="${scripts:+$scripts, }$nv ($s)"
	t=$(tar -xzOf "$REPO319/$nv.apk" .PKGINFO 2>/dev/null | sed -n 's/^triggers = //p')
	[ -n "$t" ] && triggers="${triggers:+$triggers, }$nv ($t)"
done < plan.txt
[ -n "$scripts" ] && [ -n "$triggers" ] || fail "the reference found no scripts or triggers"
grep -qxF "note: install scripts not run (kept in lib/apk/db/scripts.tar): $scripts" out.txt ||
	fail "scripts summary: $(grep '^note' out.txt) (expected: $scripts)"
grep -qxF "note: triggers not run: $triggers" out.txt ||
	fail "triggers summary: $(grep '^note' out.txt) (expected: $triggers)"
# apk ignores top-level data names starting with '.' (apk-format §2.8).
find ref -mindepth 1 -maxdepth 1 -name '.*' -exec rm -rf {} +
# Our root minus the database files must equal the reference tree.
listing() {
	(cd "$1" && find . \( -path ./lib/apk -o -path ./var/cache/apk -o -path ./etc/apk/world \
		-o -path ./etc/apk/arch -o -path ./etc/apk/repositories \) -prune -o \
		-printf '%p %y %m %l\n' | sort)
}
listing root > got.txt
listing ref > want.txt
# Directories the database adds (lib/apk, var/cache/apk) are pruned above.
diff want.txt got.txt > listing.diff || { head -40 listing.diff; fail "file lists differ"; }
# Contents of every regular file.
(cd ref && find . -type f -exec sha256sum {} + | sort -k2) > want.sum
(cd root && sha256sum $(cd ../ref && find . -type f) | sort -k2) > got.sum
cmp -s want.sum got.sum || { diff want.sum got.sum | head; fail "contents differ"; }

# The database: one stanza per package, files with checksums.
[ "$(grep -c '^P:' root/lib/apk/db/installed)" = 25 ] || fail "installed db has not 25 packages"
expect_grep '^P:busybox$' root/lib/apk/db/installed
grep -q '^R:busybox$' root/lib/apk/db/installed || fail "busybox file missing in db"
[ "$(cat root/etc/apk/world)" = alpine-base ] || fail "world: $(cat root/etc/apk/world)"
[ "$(cat root/etc/apk/arch)" = x86_64 ] || fail "arch"
[ -s root/etc/apk/keys/alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub ] || fail "key not copied"
tar -tf root/lib/apk/db/scripts.tar | grep -q '^busybox-1.36.1-r15\.Q1.*\.post-install$' \
	|| fail "scripts.tar lacks busybox's post-install"

if [ "$(id -u)" = 0 ] && command -v chroot > /dev/null; then
	[ "$(chroot root /bin/busybox echo ok)" = ok ] || fail "busybox does not run in the root"
	[ "$(stat -c %a root/bin/bbsuid)" = 4111 ] || fail "setuid bit not kept: $(stat -c %a root/bin/bbsuid)"
fi
exit 0
