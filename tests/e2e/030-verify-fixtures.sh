# witchery verify accepts every real package in the fixtures: all Alpine ones
# with Alpine's keys, the melange-built third-party ones with their own key;
# and it does not trust a package whose key it was not given.
. "$SRCDIR/tests/e2e/lib.sh"
A=$FIXTURES/alpine
MELANGE=$A/thirdparty/apko-melange-x86_64

find "$A/apks" -name '*.apk' | sort > alpine.txt
n=$(wc -l < alpine.txt)
[ "$n" -ge 290 ] || fail "expected the ~298 Alpine fixture apks, found $n"
if ! xargs -d '\n' "$W" verify -k "$KEYS" -k "$KEYS/historical" < alpine.txt > out.txt \
	2> err.txt; then
	grep -v ': OK$' out.txt >&2
	fail "some Alpine fixture does not verify"
fi
[ "$(grep -c ': OK$' out.txt)" = "$n" ] || fail "not one OK line per file"
# Exactly "FILE: OK", in argument order.
sed 's/$/: OK/' alpine.txt | cmp -s - out.txt || fail "output is not 'FILE: OK' per file"
[ -s err.txt ] && fail "stderr not empty on success: $(cat err.txt)"

# Independent cross-check of a few: openssl verifies the .SIGN over the
# control member, which python splits off with zlib.
need openssl
need python3
for f in "$REPO319/busybox-1.36.1-r15.apk" "$REPO319/musl-1.2.4_git20230717-r4.apk"; do
	python3 - "$f" <<'EOF' || fail "cannot split $f"
import sys, zlib, tarfile, io
d = open(sys.argv[1], 'rb').read()
members, rest = [], d
while rest:
    z = zlib.decompressobj(31)
    z.decompress(rest)
    used = len(rest) - len(z.unused_data)
    members.append(rest[:used])
    rest = z.unused_data
open('control.tar.gz', 'wb').write(members[1])
t = tarfile.open(fileobj=io.BytesIO(zlib.decompress(members[0], 31)))
m = t.next()
open('sig.bin', 'wb').write(t.extractfile(m).read())
open('keyname', 'w').write(m.name[len('.SIGN.RSA.'):])
EOF
	openssl dgst -sha1 -verify "$KEYS/$(cat keyname)" -signature sig.bin control.tar.gz \
		> /dev/null || fail "openssl disagrees on $f"
	"$W" verify -k "$KEYS" "$f" > one.txt || fail "witchery disagrees on $f"
done

# Third-party (melange, RSA256): OK with their key, untrusted with Alpine's.
ls "$MELANGE"/*.apk > mel.txt
[ "$(wc -l < mel.txt)" -ge 3 ] || fail "melange fixtures missing"
xargs -d '\n' "$W" verify -k "$MELANGE" < mel.txt > out.txt || { cat out.txt; fail "melange"; }
[ "$(grep -c ': OK$' out.txt)" = "$(wc -l < mel.txt)" ] || fail "melange: not all OK"
if xargs -d '\n' "$W" verify -k "$KEYS" < mel.txt > out.txt 2> err.txt; then
	fail "melange packages verified with Alpine keys"
fi
grep -q "untrusted signature: no key 'melange.rsa.pub' in keys dir" out.txt ||
	{ cat out.txt; fail "melange with Alpine keys not reported untrusted"; }
expect_grep "^witchery: $(wc -l < mel.txt) of $(wc -l < mel.txt) packages failed" err.txt

# --allow-untrusted accepts them but says so; --quiet prints only failures.
"$W" verify -k "$KEYS" --allow-untrusted "$(head -n1 mel.txt)" > out.txt || fail "-i"
expect_grep ': OK (untrusted)$' out.txt
"$W" verify -q -k "$KEYS" "$REPO319/busybox-1.36.1-r15.apk" > out.txt || fail "-q"
[ -s out.txt ] && fail "--quiet printed: $(cat out.txt)"

# A missing keys dir or file is an error, not "untrusted".
expect_fail "missing keys dir" "$W" verify -k ./nonexistent "$REPO319/busybox-1.36.1-r15.apk"
expect_grep "nonexistent" err.txt
"$W" verify -k "$KEYS" ./missing.apk > out.txt 2>&1 && fail "missing file accepted"
expect_grep "^./missing.apk: cannot open" out.txt
expect_fail "no operands" "$W" verify
exit 0
