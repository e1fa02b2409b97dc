# witchery verify rejects every kind of tampering with a real Alpine package
# and names what failed; "untrusted" (no key) stays distinct from "bad".
. "$SRCDIR/tests/e2e/lib.sh"
need python3
PKG=$REPO319/busybox-1.36.1-r15.apk
KEY=alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub
OTHER=alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub

# tamper.py IN OUT HOW: writes a modified copy. Members are split with zlib;
# rebuilt members are gzip'ed by python and tars cut like abuild-tar --cut.
cat > tamper.py <<'EOF'
import gzip, io, sys, tarfile, zlib
src, dst, how = sys.argv[1], sys.argv[2], sys.argv[3]
d = open(src, 'rb').read()
m, rest = [], d
while rest:
    z = zlib.decompressobj(31)
    z.decompress(rest)
    used = len(rest) - len(z.unused_data)
    m.append(bytearray(rest[:used]))
    rest = z.unused_data
assert len(m) == 3

def cut(tarbytes):
    # keep entries, drop the end-of-archive blocks (abuild-tar --cut)
    out, i = b'', 0
    while i < len(tarbytes) and tarbytes[i] != 0:
        size = int(tarbytes[i + 124:i + 136].strip(b'\0 ') or b'0', 8)
        n = 512 + (size + 511) // 512 * 512
        out += tarbytes[i:i + n]
        i += n
    return out

def retar(member, rename=None, flip_data=False, keep_eof=False):
    t = tarfile.open(fileobj=io.BytesIO(zlib.decompress(bytes(member), 31)))
    buf = io.BytesIO()
    o = tarfile.open(fileobj=buf, mode='w', format=tarfile.GNU_FORMAT)
    for e in t.getmembers():
        data = t.extractfile(e).read() if e.isfile() else None
        if rename and e.name.startswith('.SIGN.'):
            e.name = '.SIGN.RSA.' + rename
        if flip_data and data:
            data = bytearray(data)
            data[len(data) // 2] ^= 0x01
            data = bytes(data)
        o.addfile(e, io.BytesIO(data) if data is not None else None)
    o.close()
    tb = buf.getvalue() if keep_eof else cut(buf.getvalue())
    return bytearray(gzip.compress(tb, 9, mtime=0))

if how == 'sigbytes':
    m[0] = retar(m[0], flip_data=True)
elif how == 'ctrl-header':
    m[1][9] ^= 0x01                     # gzip OS byte: inflates fine, hash differs
elif how == 'ctrl-deflate':
    m[1][len(m[1]) // 2] ^= 0x01
elif how == 'data-header':
    m[2][9] ^= 0x01
elif how == 'data-deflate':
    m[2][len(m[2]) // 2] ^= 0x01
elif how.startswith('rename='):
    m[0] = retar(m[0], rename=how[7:])
elif how == 'unsigned':
    m = m[1:]
elif how == 'unsigned-ctrl-eof':
    m = [retar(m[1], keep_eof=True), m[2]]
elif how == 'sig-eof':
    m[0] = retar(m[0], keep_eof=True)
else:
    sys.exit('unknown ' + how)
open(dst, 'wb').write(b''.join(bytes(x) for x in m))
EOF

# verify_bad NAME PATTERN [verify options]: NAME.apk must fail with PATTERN.
verify_bad() {
	name=$1 pat=$2; shift 2
	if "$W" verify "$@" "$name.apk" > out.txt 2> err.txt; then
		fail "$name: accepted: $(cat out.txt)"
	fi
	grep -q -- "^$name.apk: .*$pat" out.txt || fail "$name: wanted '$pat', got: $(cat out.txt)"
	expect_grep '^witchery: 1 of 1 package failed verification' err.txt
}

"$W" verify -k "$KEYS" "$PKG" > out.txt || fail "untouched package does not verify"

for how in sigbytes ctrl-header ctrl-deflate data-header data-deflate unsigned \
	unsigned-ctrl-eof sig-eof; do
	python3 tamper.py "$PKG" "${how%%=*}.apk" "$how" || fail "tamper.py $how"
done
cmp -s "$PKG" sigbytes.apk && fail "tamper.py did nothing"

# signature member: a flipped bit inside the RSA signature bytes
verify_bad sigbytes "bad signature (key $KEY, RSA)" -k "$KEYS"
# control member: the gzip header (only the hash can see it) and the deflate data
verify_bad ctrl-header "bad signature (key $KEY, RSA)" -k "$KEYS"
# (inflate, the tar parser or the signature notices, whichever comes first)
verify_bad ctrl-deflate "control part: \|bad signature" -k "$KEYS"
# data member: datahash, or the inflater / per-file SHA-1 if they notice first
verify_bad data-header "datahash mismatch" -k "$KEYS"
verify_bad data-deflate "data part: gzip\|SHA-1 mismatch\|datahash mismatch" -k "$KEYS"
# even --allow-untrusted (which only relaxes trust) catches data tampering
verify_bad data-header "datahash mismatch" --allow-untrusted -k "$KEYS"

# truncation at several places, including exactly at member boundaries
size=$(stat -c %s "$PKG")
for keep in 5 600 "$((size / 2))" "$((size - 1))"; do
	head -c "$keep" "$PKG" > trunc.apk
	verify_bad trunc "truncated" -k "$KEYS"
done

# keys: an empty keys dir and a different real key are "untrusted", never "bad"
mkdir empty other
cp "$KEYS/$OTHER" other/
cp "$PKG" nokey.apk
verify_bad nokey "untrusted signature: no key '$KEY' in keys dir" -k empty
verify_bad nokey "untrusted signature: no key '$KEY' in keys dir" -k other
"$W" verify -k empty --allow-untrusted nokey.apk > out.txt || fail "-i with empty keys"
expect_grep '^nokey.apk: OK (untrusted)$' out.txt

# a renamed .SIGN entry: unknown key -> untrusted; a real other key -> bad
python3 tamper.py "$PKG" rename-unknown.apk "rename=nosuchkey.rsa.pub" || fail "rename"
python3 tamper.py "$PKG" rename-other.apk "rename=$OTHER" || fail "rename"
verify_bad rename-unknown "untrusted signature: no key 'nosuchkey.rsa.pub' in keys dir" \
	-k "$KEYS"
verify_bad rename-other "bad signature (key $OTHER, RSA)" -k "$KEYS"

# unsigned: untrusted unless allowed
verify_bad unsigned "untrusted: package is not signed" -k "$KEYS"
"$W" verify -k "$KEYS" --allow-untrusted unsigned.apk > out.txt || fail "unsigned with -i"
expect_grep '^unsigned.apk: OK (untrusted)$' out.txt

# end-of-archive blocks left in the control or signature tar (§2.1)
verify_bad unsigned-ctrl-eof "BAD archive: end-of-archive blocks in control part" \
	--allow-untrusted -k "$KEYS"
verify_bad sig-eof "BAD archive: end-of-archive blocks in signature part" -k "$KEYS"

# mkbad.py OUT HOW: an unsigned package (files a, b; PAX headers as abuild
# writes them) with one header field spoiled. apk rejects each ("package
# file format error"): it parses every numeric field of every header, PAX
# and GNU long-name headers included (§1.2).
cat > mkbad.py <<'EOF'
import gzip, hashlib, io, sys, tarfile
out, how = sys.argv[1], sys.argv[2]

def tar(members, fmt, cut):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=fmt) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    while cut and raw.endswith(b'\0' * 512):
        raw = raw[:-512]
    return bytearray(raw)

def spoil(raw, off, field):
    # field at off in the first header block, with a recomputed checksum
    raw[off:off + len(field)] = field
    raw[148:156] = b'        '
    raw[148:156] = b'%06o\0 ' % sum(raw[:512])

members = []
for name in ['a', 'b' * (120 if how == 'long-mtime' else 1)]:
    data = name[0].encode() + b'\n'
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
    ti.pax_headers = {'APK-TOOLS.checksum.SHA1': hashlib.sha1(data).hexdigest()}
    members.append((ti, data))
if how == 'sha1-first':
    members[0][0].pax_headers['APK-TOOLS.checksum.SHA1'] = ''
if how == 'sha1-later':
    members[1][0].pax_headers['APK-TOOLS.checksum.SHA1'] = 'xyz'
if how == 'long-mtime':
    # GNU tar carries no checksum records: the long name goes first
    data = tar(members[1:], tarfile.GNU_FORMAT, False)
    assert data[156] == ord('L')
    spoil(data, 136, b'0000z000000\0')
else:
    data = tar(members, tarfile.PAX_FORMAT, False)
    assert data[156] == ord('x')
    if how == 'pax-uid':
        spoil(data, 108, b'00000z0\0')
    elif how == 'pax-size':
        spoil(data, 124, b'0000000012x\0')
data_gz = gzip.compress(bytes(data), 9, mtime=0)
pkginfo = ('pkgname = bad\npkgver = 1-r0\narch = noarch\nsize = 4\ndatahash = %s\n'
           % hashlib.sha256(data_gz).hexdigest()).encode()
ti = tarfile.TarInfo('.PKGINFO')
ti.size, ti.mtime = len(pkginfo), 1700000000
ctrl = tar([(ti, pkginfo)], tarfile.PAX_FORMAT, True)
open(out, 'wb').write(gzip.compress(bytes(ctrl), 9, mtime=0) + data_gz)
EOF
for how in good pax-uid pax-size long-mtime sha1-first sha1-later; do
	python3 mkbad.py "$how.apk" "$how" || fail "mkbad.py $how"
done
"$W" verify --allow-untrusted good.apk > out.txt || fail "good.apk: $(cat out.txt)"
verify_bad pax-uid "data part: bad octal number in tar uid field of a PAX extended header$" \
	--allow-untrusted
verify_bad pax-size "data part: bad octal number in tar size field of a PAX extended header$" \
	--allow-untrusted
verify_bad long-mtime "data part: bad octal number in tar mtime field of a GNU long name header$" \
	--allow-untrusted
# a bad checksum record names the data part and the file it belongs to
verify_bad sha1-first "data part: 'a': bad APK-TOOLS.checksum.SHA1 value$" --allow-untrusted
verify_bad sha1-later "data part: 'b': bad APK-TOOLS.checksum.SHA1 value$" --allow-untrusted

# several files: each gets its line, the exit status says "some failed"
"$W" verify -k "$KEYS" "$PKG" ctrl-header.apk unsigned.apk > out.txt 2> err.txt &&
	fail "mixed batch accepted"
[ "$(wc -l < out.txt)" = 3 ] || fail "one line per file: $(cat out.txt)"
expect_grep "^$PKG: OK$" out.txt
expect_grep '^witchery: 2 of 3 packages failed verification' err.txt
exit 0
