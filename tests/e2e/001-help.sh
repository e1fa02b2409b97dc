# witchery help lists commands; every command answers --help with exit 0.
. "$SRCDIR/tests/e2e/lib.sh"
"$W" --version | grep -q '^witchery [0-9]' || fail "--version"
"$W" help > help.txt || fail "help exit"
expect_grep "usage: witchery" help.txt
cmds=$(sed -n '/^commands:/,/^$/p' help.txt | awk 'NF>1 {print $1}')
for c in $cmds; do
	"$W" "$c" --help > h.txt || fail "$c --help exit"
	grep -q "^usage: " h.txt || fail "$c --help has no usage line"
	"$W" help "$c" > h2.txt || fail "help $c"
	cmp -s h.txt h2.txt || fail "help $c differs from $c --help"
	# The README has a reference section for every command, and names
	# every long option of its --help there.
	grep -q "^### \`witchery $c\`" "$SRCDIR/README.md" || fail "README has no section for $c"
	for o in $(grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' h.txt | grep -oE -- '--[a-z0-9-]+'); do
		[ "$o" = --help ] && continue
		grep -q -- "$o" "$SRCDIR/README.md" || fail "README does not mention $c $o"
	done
done
expect_fail "unknown command" "$W" no-such-command
expect_grep "unknown command" err.txt
exit 0
