#!/bin/bash
# so: requests, missing packages, impossible versions, untrusted indexes.
source "$SRCDIR/tests/e2e/lib.sh"
mkdir repo && ln -s "$REPO319" repo/x86_64
$W resolve -X "$PWD/repo" -k "$KEYS" so:libc.musl-x86_64.so.1 >plan.txt || fail "resolve so:libc"
[ "$(cat plan.txt)" = musl-1.2.4_git20230717-r4 ] || fail "so:libc.musl gave: $(cat plan.txt)"

expect_fail "missing package" $W resolve -X "$PWD/repo" -k "$KEYS" no-such-package
grep -q 'no-such-package' err.txt || fail "message does not name the package: $ERR"

expect_fail "impossible version" $W resolve -X "$PWD/repo" -k "$KEYS" 'musl>=9'
grep -q 'musl' err.txt || fail "message does not name musl: $ERR"

# No trusted key: refused, naming the repository and the reason.
mkdir nokeys
expect_fail "untrusted" $W resolve -X "$PWD/repo" -k nokeys musl
grep -q "$PWD/repo" err.txt || fail "untrusted message lacks the repository: $ERR"
grep -qi 'untrusted' err.txt || fail "untrusted message lacks the reason: $ERR"
# ... unless -i.
$W resolve -X "$PWD/repo" -k nokeys -i musl >plan.txt 2>err.txt || fail "-i should allow: $(cat err.txt)"
grep -q '^musl-' plan.txt || fail "-i: no musl"

# --repositories-file with comments and a tag; @tag packages need name@tag.
printf '# test\n\n@local %s\n' "$PWD/repo" >repos
expect_fail "tagged only" $W resolve --repositories-file repos -k "$KEYS" musl
$W resolve --repositories-file repos -k "$KEYS" musl@local >plan.txt || fail "musl@local"
grep -q '^musl-' plan.txt || fail "musl@local gave nothing"
# A tag no repository declares is an error naming it, as in apk.
expect_fail "undeclared tag" $W resolve --repositories-file repos -k "$KEYS" musl@nosuch
grep -q 'no repository is tagged @nosuch' err.txt || fail "undeclared tag message: $ERR"
# One argument is one dependency: white space in it is refused.
expect_fail "space in a dependency" $W resolve -X "$PWD/repo" -k "$KEYS" 'busybox 1'
grep -q "invalid dependency 'busybox 1'" err.txt || fail "space message: $ERR"

# No repository at all is a usage error (exit 2).
$W resolve -k "$KEYS" musl 2>err.txt; [ $? = 2 ] || fail "no repository should exit 2"
exit 0
