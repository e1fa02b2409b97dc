#!/bin/bash
# resolve over https with a CA made here (TLS verified: without the CA it
# fails), a 404 naming the URL, the cache filled under apk's names, then
# --offline from the cache and --offline without one.
# The CA is passed through SSL_CERT_FILE (CURL_CA_BUNDLE works too).
source "$SRCDIR/tests/e2e/lib.sh"
need python3
need openssl
mkdir -p www/repo && ln -s "$REPO319" www/repo/x86_64
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj "/CN=witchery test CA" 2>/dev/null || fail "CA"
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
	-extfile ext.cnf 2>/dev/null || fail "server cert"
cat >server.py <<'PY'
import http.server, ssl, sys, os
os.chdir(sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain("../srv.pem", "../srv.key")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
open("../port.tmp", "w").write(str(s.server_port)); os.rename("../port.tmp", "../port")
s.serve_forever()
PY
python3 server.py www 2>server.log &
SPID=$!
trap 'kill $SPID 2>/dev/null' EXIT
for i in $(seq 100); do [ -f port ] && break; sleep 0.1; done
[ -f port ] || fail "server did not start"
URL="https://127.0.0.1:$(cat port)/repo"

expect_fail "unknown CA" env SSL_CERT_FILE=/nonexistent CURL_CA_BUNDLE= $W resolve -q --cache-dir c0 -X "$URL" -k "$KEYS" musl
grep -q "$URL" err.txt || fail "TLS failure does not name the URL: $ERR"

SSL_CERT_FILE=$PWD/ca.pem LD_DEBUG=libs LD_DEBUG_OUTPUT=$PWD/ld.https \
	$W resolve -q --cache-dir cache -X "$URL" -k "$KEYS" alpine-base >plan.txt 2>err.txt \
	|| fail "resolve over https: $(cat err.txt)"
# libcurl is loaded for a download and only then (src/repo/curl_api.h).
cat ld.https.* | grep -q 'calling init: .*libcurl' || fail "https resolve did not load libcurl"
LD_DEBUG=libs LD_DEBUG_OUTPUT=$PWD/ld.local $W resolve -q -X "$PWD/www/repo" -k "$KEYS" \
	--arch x86_64 musl >/dev/null || fail "local resolve"
ls ld.local.* >/dev/null 2>&1 || fail "LD_DEBUG wrote nothing"
! cat ld.local.* | grep -q 'libcurl' || fail "a local resolve loaded libcurl"
[ "$(wc -l <plan.txt)" = 25 ] || fail "https plan has $(wc -l <plan.txt) lines"
name=APKINDEX.$(printf %s "$URL/x86_64/APKINDEX.tar.gz" | sha1sum | cut -c1-8).tar.gz
[ -f "cache/$name" ] || fail "index not cached as $name: $(ls cache)"
cmp "cache/$name" "$REPO319/APKINDEX.tar.gz" || fail "cached index differs"

expect_fail "404" env SSL_CERT_FILE=$PWD/ca.pem $W resolve -q --cache-dir c2 -X "${URL%/repo}/nothere" -k "$KEYS" musl
grep -q "${URL%/repo}/nothere/x86_64/APKINDEX.tar.gz" err.txt || fail "404 does not name the URL: $ERR"

kill $SPID; wait $SPID 2>/dev/null
$W resolve -q --offline --cache-dir cache -X "$URL" -k "$KEYS" alpine-base >plan2.txt || fail "offline from cache"
cmp plan.txt plan2.txt || fail "offline plan differs"
expect_fail "offline, no cache" $W resolve -q --offline --cache-dir empty -X "$URL" -k "$KEYS" musl
grep -q offline err.txt || fail "offline message: $ERR"
exit 0
