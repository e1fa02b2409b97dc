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
# A file under a symlink has no directory entry for its parent in the
# package: refused before the sink is reached (the sink's own refusal to
# write through symlinks is tested in t_sink).
mk viaroot.apk viaroot "l:r=/" "f:r/evil-witchery=x"
compose_fails "file through a symlink to /" "no entry for its directory 'r'" viaroot.apk
# A symlink of an earlier package where a later one has a directory.
mk s1.apk s1 "l:esc=$PWD/outside"
mk s2.apk s2 d:esc f:esc/evil=x
compose_fails "directory over an earlier symlink" "clashes" s1.apk s2.apk
# apk-format §2.9: parents come first in a package; hard links point at a
# file of the same package.
mk noparent.apk noparent f:a/b=x
compose_fails "file without its directory entry" "no entry for its directory 'a'" noparent.apk
mk t1.apk t1 f:t=x
mk t2.apk t2 h:l=t
compose_fails "hard link to another package's file" "not a file of this package" t1.apk t2.apk
mk hl.apk hl "l:s=$PWD/outside" h:x=s/f
compose_fails "hard link through a symlink" "not a file of this package" hl.apk
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
# replaces with a version limit covers only those versions (apk 2.14).
mk e.apk e f:shared=e --replaces 'a<1.0'
compose_fails "replaces a<1.0 against a-1.0" "neither replaces" a.apk e.apk
mk f.apk f f:shared=f --replaces 'a>=1.0'
"$W" compose -i -p a.apk -p f.apk rep2 > out.txt 2>&1 || fail "replaces a>=1.0: $(cat out.txt)"
[ "$(cat rep2/shared)" = f ] || fail "replaces a>=1.0: wrong owner content"
# No error message names the package twice.
grep -rh 'witchery: ' ./*.txt | grep -E '^witchery: ([^:]+): \1:' && fail "package named twice"
exit 0
