# Hostile packages: each is refused with a clear message, nothing is written
# outside the target, and no OUTDIR (or temporary tree) is left behind.
. "$SRCDIR/tests/e2e/lib.sh"
need python3
mk() { python3 "$SRCDIR/tests/e2e/mkapk.py" "$@" || fail "mkapk $*"; }
mkdir outside
compose_fails() { # DESC PATTERN FILES...
	desc=$1 pat=$2; shift 2
	args=()
	for f in "$@"; do args+=(-p "$f"); done
	expect_fail "$desc" "$W" compose -i "${args[@]}" out
	grep -q -- "$pat" err.txt || fail "$desc: message lacks '$pat': $ERR"
	[ "$(wc -l < err.txt)" -ge 1 ] || fail "$desc: no message"
	[ -e out ] && fail "$desc: OUTDIR left behind"
	ls -A | grep -q '^\.out\.wch' && fail "$desc: temporary tree left behind"
	[ -z "$(ls -A outside)" ] || fail "$desc: wrote outside: $(ls -A outside)"
	[ -e /evil-witchery ] && fail "$desc: wrote /evil-witchery"
	return 0
}

# A benign package built the same way composes fine (the harness is sound).
mk ok.apk good d:app f:app/x=hello l:app/y=x h:app/z=app/x
"$W" compose -i -p ok.apk good > out.txt 2>&1 || fail "benign package: $(cat out.txt)"
[ "$(cat good/app/x)" = hello ] || fail "benign content"
[ "$(readlink good/app/y)" = x ] || fail "benign symlink"
[ "$(stat -c %h good/app/x)" = 2 ] || fail "benign hard link"

mk dotdot.apk dotdot "f:../outside/evil=x"
compose_fails "'..' path" "unsafe" dotdot.apk
mk abs.apk abs "f:/evil-witchery=x"
compose_fails "absolute path" "unsafe" abs.apk
mk viasym.apk viasym "l:esc=$PWD/outside" "f:esc/evil=x"
compose_fails "file through a symlink" "esc" viasym.apk
mk viaroot.apk viaroot "l:r=/" "f:r/evil-witchery=x"
compose_fails "file through a symlink to /" "not a directory" viaroot.apk
mk a.apk a d:x f:shared=a
mk b.apk b f:x=b
compose_fails "file over directory" "clashes" a.apk b.apk
mk c.apk c f:shared=c
compose_fails "same file in two packages" "neither replaces" a.apk c.apk
mk trunc.apk trunc d:app f:app/x=hello --truncate 40
compose_fails "truncated data member" "trunc" trunc.apk
mk hash.apk badhash d:app f:app/x=hello \
	--datahash 0000000000000000000000000000000000000000000000000000000000000000
compose_fails "wrong datahash" "datahash" hash.apk
# A package that replaces the other may take its file over.
mk d.apk d f:shared=d --replaces a
"$W" compose -i -p a.apk -p d.apk rep > out.txt 2>&1 || fail "replaces: $(cat out.txt)"
[ "$(cat rep/shared)" = d ] || fail "replaces: wrong owner content"
exit 0
