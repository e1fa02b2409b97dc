# witchery info shows a verified package's metadata and files; --json is
# valid JSON whose values agree with the signed APKINDEX, GNU tar and
# sha256sum of the data member.
. "$SRCDIR/tests/e2e/lib.sh"
need python3
PKG=$REPO319/busybox-1.36.1-r15.apk
tar -xzOf "$REPO319/APKINDEX.tar.gz" APKINDEX > APKINDEX 2> /dev/null || fail "index"

# Text form.
"$W" info -k "$KEYS" "$PKG" > info.txt || fail "info busybox"
expect_grep '^name: *busybox$' info.txt
expect_grep '^version: *1.36.1-r15$' info.txt
expect_grep '^arch: *x86_64$' info.txt
c=$(awk -v RS= '/(^|\n)P:busybox\n/' APKINDEX | sed -n 's/^C://p')
[ -n "$c" ] || fail "no C: for busybox in the index"
expect_grep "^identity: *$c\$" info.txt
expect_grep '^signature: *RSA alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub (verified)$' \
	info.txt
expect_grep '^script: *.post-install' info.txt
# the file lines: mode string, owner, size and path as GNU tar lists them
tar -tvzf "$PKG" 2> /dev/null | awk '$6 !~ /^\./ {sub(/\/$/, "", $6); print $1, $2, $3, $6}' \
	> gnu.txt
awk '/^files:/ {f=1; next} f {print $1, $2, $3, $4}' info.txt > ours.txt
cmp -s gnu.txt ours.txt || { diff gnu.txt ours.txt | head >&2; fail "file list differs"; }
expect_grep "^files: *$(wc -l < gnu.txt)\$" info.txt

# JSON for every package of the ISO repository: valid, and C:, D:, S:, the
# datahash and the file list agree with independent sources.
cat > check.py <<'EOF'
import hashlib, json, subprocess, sys, zlib
apk, index = sys.argv[1], sys.argv[2]
j = json.load(open('info.json'))
stanzas = {}
for block in open(index).read().split('\n\n'):
    f = {}
    for line in block.splitlines():
        if len(line) > 1 and line[1] == ':':
            f.setdefault(line[0], line[2:])
    if 'P' in f:
        stanzas[f['P']] = f
s = stanzas[j['name']]
assert j['version'] == s['V'], (j['version'], s['V'])
assert j['identity'] == s['C'], (j['identity'], s['C'])
assert j['file_size'] == int(s['S'])
assert j['installed_size'] == int(s['I'])
assert j['depends'] == s.get('D', '').split(), (j['depends'], s.get('D'))
assert j['provides'] == s.get('p', '').split(), (j['provides'], s.get('p'))
assert j['license'] == s['L'] and j['origin'] == s['o'] and j['build_date'] == int(s['t'])
d, members = open(apk, 'rb').read(), []
while d:
    z = zlib.decompressobj(31)
    z.decompress(d)
    members.append(d[:len(d) - len(z.unused_data)])
    d = z.unused_data
assert j['datahash'] == hashlib.sha256(members[2]).hexdigest()
assert j['signature']['verified'] is True
names = subprocess.run(['tar', '-tzf', apk], capture_output=True, text=True).stdout.split('\n')
names = [n.rstrip('/') for n in names if n and not n.startswith('.')]
assert [f['path'] for f in j['files']] == names
for f in j['files']:
    assert f['type'] in ('file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo')
    assert (f['type'] in ('symlink', 'hardlink')) == ('link' in f), f
EOF
n=0
for f in "$REPO319"/*.apk; do
	"$W" info --json -k "$KEYS" "$f" > info.json || fail "info --json $f"
	python3 -m json.tool info.json > /dev/null || fail "invalid JSON for $f"
	python3 check.py "$f" APKINDEX || fail "JSON disagrees for $f"
	n=$((n + 1))
done
[ "$n" = 100 ] || fail "expected 100 packages, saw $n"

# A symlink's target as tar records it.
"$W" info -k "$KEYS" "$REPO319/alpine-baselayout-3.4.3-r2.apk" > bl.txt || fail "baselayout"
tar -tvzf "$REPO319/alpine-baselayout-3.4.3-r2.apk" 2> /dev/null | awk '$1 ~ /^l/' | head -n1 \
	> link.txt
[ -s link.txt ] || fail "no symlink in alpine-baselayout"
l=$(awk '{print $6 " -> " $8}' link.txt)
grep -qF "$l" bl.txt || fail "symlink '$l' not shown"

# Verification happens: tampering is an error and nothing is printed.
python3 - "$PKG" <<'EOF'
import sys, zlib
d = bytearray(open(sys.argv[1], 'rb').read())
z = zlib.decompressobj(31); z.decompress(bytes(d)); ctrl = len(d) - len(z.unused_data)
z = zlib.decompressobj(31); z.decompress(bytes(d[ctrl:])); data = len(d) - len(z.unused_data)
d[data + 9] ^= 1
open('bad.apk', 'wb').write(d)
EOF
expect_fail "tampered" "$W" info -k "$KEYS" bad.apk
expect_grep "^witchery: bad.apk: datahash mismatch" err.txt
[ -s out.txt ] && fail "info printed a tampered package"
# An unknown key marks the output and warns (not with -i); tampering still
# fails either way.
mkdir empty
"$W" info -k empty "$PKG" >untrusted.txt 2>err.txt || fail "info with an unknown key"
expect_grep "^witchery: warning: .*not trusted; shown anyway" err.txt
[ "$(wc -l <err.txt)" = 1 ] || fail "more than one warning line: $(cat err.txt)"
expect_grep "^signature: .*(untrusted)" untrusted.txt
"$W" info --json -k empty --allow-untrusted "$PKG" > info.json 2>err.txt || fail "info -i"
[ -s err.txt ] && fail "info -i warned: $(cat err.txt)"
python3 -c 'import json; j = json.load(open("info.json")); assert j["signature"]["verified"] is False'
expect_fail "tampered -i" "$W" info -k empty --allow-untrusted bad.apk
expect_grep "datahash mismatch" err.txt
expect_fail "two files" "$W" info "$PKG" "$PKG"
exit 0
