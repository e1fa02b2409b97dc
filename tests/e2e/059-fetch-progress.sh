# Downloads show progress on a terminal (a bar per package and a total
# line), and nothing when stderr is not a terminal or with -q.
. "$SRCDIR/tests/e2e/lib.sh"
need python3
need script
mkdir -p srv/repo && ln -s "$REPO319" srv/repo/x86_64
cat > server.py <<'PY'
import http.server, os
os.chdir("srv")
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
open("../port.tmp", "w").write(str(s.server_port)); os.rename("../port.tmp", "../port")
s.serve_forever()
PY
python3 server.py > server.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
for i in $(seq 100); do [ -f port ] && break; sleep 0.1; done
[ -f port ] || fail "server did not start"
URL="http://127.0.0.1:$(cat port)/repo"
C=(-k "$KEYS" -X "$URL")

# On a terminal (script(1) gives the command a pty).
script -qec "'$W' compose ${C[*]} --cache-dir c1 -d zlib tty-root" /dev/null > tty.txt 2>&1 \
	|| { cat tty.txt; fail "compose on a tty"; }
grep -q '(1/2) musl-1.2.4_git20230717-r4' tty.txt || fail "no per-package counter: $(cat -A tty.txt | head)"
grep -q '100%' tty.txt || fail "no progress bar"
grep -q '^fetched [0-9]* files, ' tty.txt || fail "no total line"

# Not a terminal: no progress at all.
"$W" compose "${C[@]}" --cache-dir c2 -d zlib pipe-root > pipe.txt 2>&1 || fail "compose"
grep -q '100%\|fetched' pipe.txt && fail "progress printed without a terminal"
# -q on a terminal: quiet too.
script -qec "'$W' compose -q ${C[*]} --cache-dir c3 -d zlib q-root" /dev/null > q.txt 2>&1 \
	|| fail "compose -q"
grep -q '100%\|fetched' q.txt && fail "progress printed with -q"
[ -e q-root/lib/libz.so.1 ] || fail "-q root incomplete"
exit 0
