# witchery keygen: files, modes and names like abuild-keygen; the keys are
# checked with openssl (apk-format §11.1).
. "$SRCDIR/tests/e2e/lib.sh"
need openssl

# one_error: exactly one "witchery:" line in err.txt
one_error() {
	[ "$(grep -c '^witchery: ' err.txt)" = 1 ] || { cat err.txt >&2; fail "$1: not one error line"; }
}

# check_pair PRIV BITS: a usable RSA key pair as apk and abuild-sign need it
check_pair() {
	priv=$1 bits=$2
	{ [ -f "$priv" ] && [ -f "$priv.pub" ]; } || fail "missing $priv or its .pub"
	[ "$(stat -c %a "$priv")" = 600 ] || fail "$priv mode $(stat -c %a "$priv")"
	[ "$(stat -c %a "$priv.pub")" = 644 ] || fail "$priv.pub mode $(stat -c %a "$priv.pub")"
	head -n 1 "$priv" | grep -qx -- '-----BEGIN PRIVATE KEY-----' || fail "$priv is not PKCS#8"
	head -n 1 "$priv.pub" | grep -qx -- '-----BEGIN PUBLIC KEY-----' || fail "$priv.pub not SPKI"
	openssl rsa -in "$priv" -check -noout >check.txt 2>&1 || { cat check.txt; fail "rsa -check"; }
	grep -q "RSA key ok" check.txt || fail "rsa -check says: $(cat check.txt)"
	openssl pkey -pubin -in "$priv.pub" -noout || fail "pkey -pubin $priv.pub"
	openssl rsa -in "$priv" -noout -text | head -n 1 | grep -q "($bits bit" ||
		fail "$priv is not $bits bits"
	openssl pkey -in "$priv" -pubout | cmp -s - "$priv.pub" || fail ".pub does not match key"
	echo "control member" >data
	openssl dgst -sha1 -sign "$priv" -out data.sig data || fail "openssl cannot sign"
	openssl dgst -sha1 -verify "$priv.pub" -signature data.sig data >/dev/null ||
		fail "openssl cannot verify with .pub"
}

# Explicit folder and name; folder created 0700; stdout lists both files.
t0=$(date +%s)
"$W" keygen -n --dir keys --name tester@example.org -b 1024 >out.txt 2>err.txt ||
	{ cat err.txt; fail "keygen --dir"; }
t1=$(date +%s)
[ -s err.txt ] && fail "keygen printed to stderr: $(cat err.txt)"
[ "$(stat -c %a keys)" = 700 ] || fail "keys dir mode $(stat -c %a keys)"
[ "$(wc -l <out.txt)" = 2 ] || fail "expected 2 lines, got: $(cat out.txt)"
priv=$(sed -n 1p out.txt)
[ "$(sed -n 2p out.txt)" = "$priv.pub" ] || fail "second line is not the .pub: $(cat out.txt)"
[ "$(dirname "$priv")" = "$(cd keys && pwd -P)" ] || fail "not an absolute path in keys: $priv"
base=$(basename "$priv")
echo "$base" | grep -Eqx 'tester@example\.org-[0-9a-f]{8}\.rsa' || fail "bad name $base"
hex=${base#tester@example.org-}
hex=${hex%.rsa}
when=$((16#$hex))
{ [ "$when" -ge "$t0" ] && [ "$when" -le "$t1" ]; } || fail "$hex is not the time ($t0..$t1)"
check_pair "$priv" 1024
[ "$(find keys -mindepth 1 | wc -l)" = 2 ] || fail "stray files in keys: $(ls -a keys)"

# Default size is 4096 bits; the id comes from $PACKAGER's e-mail.
PACKAGER="Jane Doe <jane@example.org>" "$W" keygen --dir k4096 >out.txt 2>err.txt ||
	{ cat err.txt; fail "keygen default size"; }
priv=$(sed -n 1p out.txt)
basename "$priv" | grep -Eqx 'jane@example\.org-[0-9a-f]{8}\.rsa' || fail "bad name $priv"
check_pair "$priv" 4096

# Without an e-mail in $PACKAGER: git's user.email, then $USER.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$PWD/gitconfig
: >gitconfig
PACKAGER="No Address" USER=someone "$W" keygen --dir kuser -b 1024 >out.txt 2>err.txt ||
	{ cat err.txt; fail "keygen via USER"; }
basename "$(sed -n 1p out.txt)" | grep -Eqx 'someone-[0-9a-f]{8}\.rsa' ||
	fail "not named after USER: $(cat out.txt)"
if command -v git >/dev/null 2>&1; then
	printf '[user]\n\temail = gitter@example.net\n' >gitconfig
	PACKAGER='' USER=someone "$W" keygen --dir kgit -b 1024 >out.txt 2>err.txt ||
		{ cat err.txt; fail "keygen via git"; }
	basename "$(sed -n 1p out.txt)" | grep -Eqx 'gitter@example\.net-[0-9a-f]{8}\.rsa' ||
		fail "not named after git user.email: $(cat out.txt)"
fi

# -a with the default folder ~/.abuild: created 0700, abuild.conf gets
# PACKAGER_PRIVKEY="<absolute path>" that a shell (abuild) reads back.
mkdir home
export HOME=$PWD/home
unset ABUILD_USERDIR
"$W" keygen -a -n --name me -b 1024 >out.txt 2>err.txt || { cat err.txt; fail "keygen -a"; }
[ "$(stat -c %a home/.abuild)" = 700 ] || fail "$HOME/.abuild mode"
priv=$(sed -n 1p out.txt)
[ "$(sed -n 3p out.txt)" = "$HOME/.abuild/abuild.conf" ] || fail "conf not listed: $(cat out.txt)"
[ "$(dirname "$priv")" = "$HOME/.abuild" ] || fail "not in ~/.abuild: $priv"
grep -qx "PACKAGER_PRIVKEY=\"$priv\"" home/.abuild/abuild.conf || fail "abuild.conf line"
check_pair "$priv" 1024
got=$(sh -c '. "$HOME/.abuild/abuild.conf"; printf %s "$PACKAGER_PRIVKEY"')
[ "$got" = "$priv" ] || fail "sh reads PACKAGER_PRIVKEY as '$got'"

# -a keeps what abuild.conf held (even without a final newline) and uses
# shell quoting for odd folder names; $ABUILD_USERDIR is the default folder.
odd="odd \$dir \"q\""
mkdir "$odd"
printf 'JOBS=4' >"$odd/abuild.conf"
ABUILD_USERDIR="$PWD/$odd" "$W" keygen -a --name odd -b 1024 >out.txt 2>err.txt ||
	{ cat err.txt; fail "keygen -a in ABUILD_USERDIR"; }
priv=$(sed -n 1p out.txt)
[ "$(dirname "$priv")" = "$PWD/$odd" ] || fail "ABUILD_USERDIR not used: $priv"
[ "$(sed -n 1p "$odd/abuild.conf")" = "JOBS=4" ] || fail "abuild.conf first line lost"
got=$(sh -c '. "$1"; printf "%s|%s" "$JOBS" "$PACKAGER_PRIVKEY"' sh "$odd/abuild.conf")
[ "$got" = "4|$priv" ] || fail "abuild.conf reads back as '$got'"

# -a with --dir elsewhere still records the key in the user's abuild.conf,
# where buildapk's default-key lookup finds it.
mkdir -p h2 elsewhere tree pk && echo x >tree/f
HOME=$PWD/h2 "$W" keygen --dir elsewhere -a --name dirkey -b 1024 >out.txt 2>err.txt ||
	{ cat err.txt; fail "keygen --dir -a"; }
[ "$(sed -n 3p out.txt)" = "$PWD/h2/.abuild/abuild.conf" ] || fail "--dir -a conf: $(cat out.txt)"
[ ! -e elsewhere/abuild.conf ] || fail "--dir -a wrote elsewhere/abuild.conf"
HOME=$PWD/h2 PACKAGER_PRIVKEY= "$W" buildapk -n found -v 1 tree pk >/dev/null 2>err.txt ||
	fail "buildapk did not find the --dir -a key: $(cat err.txt)"

# The default name takes PACKAGER the way abuild reads it: the environment,
# else the user's abuild.conf, else the system one ($ABUILD_CONF).
mkdir -p h3/.abuild
printf 'PACKAGER="Conf Person <conf@example.org>"\n' >h3/.abuild/abuild.conf
printf 'PACKAGER="Sys Person <sys@example.org>"\n' >sys.conf
# keyname ENV...: the name of the key keygen makes with ENV.
keyname() {
	rm -rf kc
	env -u PACKAGER -u ABUILD_USERDIR -u XDG_CONFIG_HOME ABUILD_CONF="$PWD/sys.conf" \
		USER=someone "$@" "$W" keygen --dir kc -b 1024 >out.txt 2>err.txt ||
		{ cat err.txt; fail "keygen with $*"; }
	basename "$(sed -n 1p out.txt)" | sed 's/-[0-9a-f]*\.rsa$//'
}
[ "$(keyname HOME="$PWD/h3")" = conf@example.org ] || fail "PACKAGER from abuild.conf"
[ "$(keyname HOME="$PWD/h3" PACKAGER="E <env@example.org>")" = env@example.org ] ||
	fail "\$PACKAGER does not win over abuild.conf"
[ "$(keyname HOME="$PWD/h2")" = sys@example.org ] || fail "PACKAGER from \$ABUILD_CONF"

# -a that cannot write abuild.conf takes the new pair back and prints nothing.
mkdir -p h6/.abuild/abuild.conf
HOME=$PWD/h6 "$W" keygen -a -b 1024 >out.txt 2>err.txt && fail "keygen -a: conf is a dir"
one_error "keygen -a, conf is a dir"
expect_grep "abuild.conf" err.txt
[ -s out.txt ] && fail "keygen -a printed paths after failing: $(cat out.txt)"
[ "$(ls -A h6/.abuild)" = abuild.conf ] || fail "keygen -a left files: $(ls -A h6/.abuild)"

# Never overwrite. The name has one-second resolution, so a second key in
# the same second would collide: witchery refuses instead of replacing or
# renaming. Occupy the names of the next seconds to make that certain.
mkdir taken
now=$(date +%s)
for s in $(seq "$now" $((now + 20))); do
	echo sentinel >"taken/dup-$(printf %x "$s").rsa"
done
expect_fail "existing private key" "$W" keygen --dir taken --name dup -b 1024
one_error "existing private key"
expect_grep "already exists" err.txt
[ "$(cat taken/* | grep -cx sentinel)" = 21 ] || fail "a sentinel was changed"
[ "$(find taken -mindepth 1 | wc -l)" = 21 ] || fail "files left behind: $(ls -a taken)"
for s in $(seq "$now" $((now + 20))); do
	echo sentinel >"taken/pub-$(printf %x "$s").rsa.pub"
done
expect_fail "existing public key" "$W" keygen --dir taken --name pub -b 1024
one_error "existing public key"
[ -n "$(find taken -name 'pub-*.rsa')" ] && fail "a private key was left without its .pub"

# Usage errors: exit 2 and one "witchery:" line.
for args in "-b 512" "-b 1023" "--bits 16385" "-b abc" "--numbits -1" "-b" \
	"--name a/b" "--name .hidden" "extra-arg" "--no-such-option"; do
	# shellcheck disable=SC2086
	"$W" keygen --dir usage $args >out.txt 2>err.txt
	rc=$?
	[ $rc = 2 ] || fail "keygen $args: exit $rc, want 2"
	one_error "keygen $args"
done
[ -e usage ] && fail "a usage error created the key folder"

# Operational errors: exit 1 and one line naming the problem.
: >afile
expect_fail "dir is a file" "$W" keygen --dir afile/sub -b 1024
one_error "dir is a file"
expect_grep "afile/sub" err.txt
exit 0
