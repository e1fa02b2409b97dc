#!/bin/bash
# witchery index turns a folder of packages into a repository: the index
# lists the same C:/S:/I:/D:/p: as the packages (checked against Alpine's
# own index for the same files with GNU tar), its signature verifies with
# openssl over the index member, and resolve reads it back.
source "$SRCDIR/tests/e2e/lib.sh"
need openssl
openssl genrsa -out key.rsa 2048 2>/dev/null || fail "openssl genrsa"
openssl rsa -in key.rsa -pubout -out key.rsa.pub 2>/dev/null
mkdir -p repo/x86_64 keys && cp key.rsa.pub keys/
cp "$REPO319"/*.apk repo/x86_64/
SOURCE_DATE_EPOCH=1700000000 $W index -o repo/x86_64/APKINDEX.tar.gz -d "test repo" -k key.rsa \
	--rewrite-arch x86_64 repo/x86_64/*.apk || fail "index"
tar -tzf repo/x86_64/APKINDEX.tar.gz >list.txt || fail "GNU tar cannot list the index"
[ "$(tr '\n' ' ' <list.txt)" = ".SIGN.RSA.key.rsa.pub DESCRIPTION APKINDEX " ] || fail "members: $(cat list.txt)"
tar -xzOf repo/x86_64/APKINDEX.tar.gz APKINDEX >ours
tar -xzOf "$REPO319/APKINDEX.tar.gz" APKINDEX >alpine
cmp ours alpine || { diff alpine ours | head; fail "APKINDEX differs from Alpine's for the same apks"; }
# Signature: split the two gzip members and verify with openssl.
python3 - repo/x86_64/APKINDEX.tar.gz <<'PY' || fail "cannot split members"
import sys, zlib
data = open(sys.argv[1], "rb").read()
d = zlib.decompressobj(31); d.decompress(data)
n = len(data) - len(d.unused_data)
open("sig.gz", "wb").write(data[:n]); open("body.gz", "wb").write(data[n:])
PY
tar -xzOf sig.gz >sig.bin 2>/dev/null || fail "signature member not a tar"
openssl dgst -sha1 -verify key.rsa.pub -signature sig.bin body.gz >/dev/null || fail "openssl: bad signature"
$W resolve -X "$PWD/repo" -k keys alpine-base >plan.txt || fail "resolve over the written index"
[ "$(wc -l <plan.txt)" = 25 ] || fail "resolve gave $(wc -l <plan.txt) packages"
# RSA256
$W index -o idx256.tar.gz -k key.rsa --sign-sha256 repo/x86_64/musl-*.apk || fail "index --sign-sha256"
tar -tzf idx256.tar.gz | grep -q '^.SIGN.RSA256.key.rsa.pub$' || fail "no RSA256 signature"
exit 0
