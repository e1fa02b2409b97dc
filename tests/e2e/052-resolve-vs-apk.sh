# resolve against the real apk-tools 2.14 (Alpine's binary from the fixture
# snapshot, through its musl loader) on the full v3.19 main + community
# indexes: for each request below both must succeed and choose the same
# packages (apk add --simulate on an empty root), and witchery's plan must
# list every package after the packages it depends on (but for cycles). The requests cover
# what once differed: version before provider_priority (npm), unversioned
# providers with a priority (acf-provisioning: postgresql-client), a name
# settled by another request (polkit), install_if with a `!` condition
# (libcanberra-alsa, alsa-plugins-pulse), conflicts between alternatives
# (pulseaudio/pipewire), and large desktop closures.
. "$SRCDIR/tests/e2e/lib.sh"
need python3
IDX=$FIXTURES/alpine/indexes/v3.19-x86_64-apk-cache

use_fixture_apk
mkdir root
mkdir -p root/etc/apk root/lib/apk/db
touch root/etc/apk/world root/lib/apk/db/installed

WR=() AR=() n=0
for f in "$IDX"/APKINDEX.*.tar.gz; do
	mkdir -p "r$n/x86_64" && ln -s "$f" "r$n/x86_64/APKINDEX.tar.gz"
	WR+=(-X "$PWD/r$n") AR+=(--repository "$PWD/r$n")
	n=$((n + 1))
done
[ $n = 2 ] || fail "expected the main and community indexes, found $n"

# The dependency check reads the indexes independently of witchery.
cat >deps.py <<'PY'
import gzip, io, sys, tarfile
pkgs = {}
for path in sys.argv[2:]:
    with tarfile.open(fileobj=io.BytesIO(gzip.open(path).read())) as t:
        text = t.extractfile("APKINDEX").read().decode()
    for st in text.split("\n\n"):
        f = {}
        for line in st.splitlines():
            if len(line) > 2 and line[1] == ":":
                f.setdefault(line[0], line[2:])
        if "P" in f:
            pkgs.setdefault(f["P"] + "-" + f["V"], f)
plan = open(sys.argv[1]).read().split()
def name(tok):
    tok = tok.lstrip("!")
    for op in "<>=~":
        tok = tok.split(op)[0]
    return tok
provides = {}
for j, nv in enumerate(plan):
    f = pkgs[nv]
    for n in [f["P"]] + [name(x) for x in f.get("p", "").split()]:
        provides.setdefault(n, []).append(j)
# per package: for each dependency, the plan's packages that provide it
deps = [[sorted(set(provides.get(name(d), []))) for d in pkgs[nv].get("D", "").split()
         if not d.startswith("!")] for nv in plan]
def reaches(a, b):  # does plan[a] depend on plan[b], directly or not?
    todo, seen = [a], {a}
    while todo:
        for ks in deps[todo.pop()]:
            for k in ks:
                if k == b:
                    return True
                if k not in seen:
                    seen.add(k); todo.append(k)
    return False
for i in range(len(plan)):
    for ks in deps[i]:
        # some provider must come earlier, unless the two form a cycle
        if ks and min(ks) > i and not any(reaches(k, i) for k in ks):
            sys.exit("%s listed before its dependency %s" % (plan[i], plan[min(ks)]))
PY

while read -r req; do
	[ -n "$req" ] || continue
	# shellcheck disable=SC2086
	"$W" resolve -q -k "$KEYS" "${WR[@]}" --arch x86_64 $req >w.txt 2>err.txt ||
		fail "witchery could not resolve '$req': $(cat err.txt)"
	# shellcheck disable=SC2086
	apk add --simulate --root "$PWD/root" --keys-dir "$KEYS" "${AR[@]}" --arch x86_64 \
		$req >a.txt 2>&1 || { cat a.txt; fail "apk could not resolve '$req'"; }
	sed -n 's/^([0-9]*\/[0-9]*) Installing \([^ ]*\) (\(.*\))$/\1-\2/p' a.txt | sort >a.set
	sort w.txt >w.set
	[ -s a.set ] || fail "apk planned nothing for '$req'"
	diff a.set w.set >d.txt || fail "'$req': packages differ from apk's (< apk, > witchery): $(cat d.txt)"
	python3 deps.py w.txt "$IDX"/APKINDEX.*.tar.gz || fail "'$req': order"
done <<'EOF'
alpine-base
build-base python3 nodejs openjdk17 gtk+3.0
npm
acf-provisioning
polkit-elogind so:libpolkit-gobject-1.so.0
polkit-qt5 polkit-elogind
pulseaudio pipewire-pulse
pulseaudio
libcanberra alsa-lib
breeze-dev
gnome
plasma-desktop
py3-pip
ceph18-base
nginx php83-fpm
postgresql16 redis
cmd:sh
so:libssl.so.3
EOF
exit 0
