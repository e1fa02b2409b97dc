#!/bin/bash
# Times `witchery buildapk` against abuild's core pipeline on the same trees
# and prints wall time, peak memory and output size side by side.
#
# Usage: bench/buildapk-bench.sh [path/to/witchery] [MB]
#   MB: size of the mixed tree (default 100): ELF binaries copied from
#   /usr/bin and /usr/lib, generated text, and 10 MB of incompressible data.
#
# abuild's core pipeline here is what `abuild rootpkg` runs minus
# abuild-tar --hash and fakeroot (so the baseline is, if anything, faster
# than the real thing; apk-format §2.8, §11.2):
#   find * | sort | tar --format=posix ... | gzip -n -9 > data.tar.gz
#   sha256sum data.tar.gz -> .PKGINFO; tar .PKGINFO | gzip -n -9
#   openssl dgst -sha1 -sign; tar .SIGN.RSA.* | gzip -n -9; cat
# witchery runs with --no-strip so both pack identical payloads; tracing
# stays on. Not a test: nothing is asserted.
set -eu
W=$(readlink -f "${1:-build/witchery}")
MB=${2:-100}
export SOURCE_DATE_EPOCH=1700000000
for t in openssl gzip tar python3 sha256sum; do
	command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/buildapk-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

openssl genrsa -out key.rsa 2048 2>/dev/null
openssl rsa -in key.rsa -pubout -out key.rsa.pub 2>/dev/null

# --- trees ---
mkdir -p big/usr/bin big/usr/lib big/usr/share/doc big/var/lib/blob hello/usr/bin
budget=$(( (MB - 10) * 1024 * 1024 / 2 )) # half binaries, half text
used=0
for f in /usr/bin/* /usr/lib/x86_64-linux-gnu/*.so* /usr/lib/*/*.so*; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	head -c 4 "$f" 2>/dev/null | grep -q ELF || continue
	s=$(stat -c %s "$f")
	[ $((used + s)) -le "$budget" ] || continue
	cp "$f" big/usr/bin/ 2>/dev/null || continue
	used=$((used + s))
done
python3 - big/usr/share/doc "$budget" <<'EOF'
import os, random, sys
random.seed(1)
words = open('/usr/share/dict/words').read().split() if os.path.exists('/usr/share/dict/words') \
    else ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'package', 'alpine', 'witchery', 'build',
          'tar', 'gzip', 'signature', 'control', 'data', 'root', 'folder', 'version']
left, i = int(sys.argv[2]), 0
while left > 0:
    n = min(left, random.randint(2000, 400000))
    text = ' '.join(random.choice(words) for _ in range(n // 6 + 1))[:n]
    open('%s/doc%05d.txt' % (sys.argv[1], i), 'w').write(text)
    left -= n
    i += 1
EOF
head -c $((10 * 1024 * 1024)) /dev/urandom > big/var/lib/blob/random.bin
if command -v musl-gcc >/dev/null; then
	printf '#include <stdio.h>\nint main(void){puts("hello");return 0;}\n' > hello.c
	musl-gcc -Os -o hello/usr/bin/hello hello.c
else
	cp /bin/true hello/usr/bin/hello
fi

# --- runners ---
# measure CMD...: prints "wall_s cpu_s peak_kb" for CMD. Peak = the
# largest single process of the run (GNU time's %M); GNU time is preferred
# because a python parent's RSS would be inherited through exec.
measure() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %U %S %M' -o m.txt "$@" > /dev/null 2>&1
		awk '{printf "%.3f %.3f %d\n", $1, $2 + $3, $4}' m.txt
	else
		python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print('%.3f %.3f %d' % (time.monotonic() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
EOF
	fi
}

cat > abuild-core.sh <<'EOF'
#!/bin/sh
# abuild-core.sh TREE OUT.apk
set -e
tree=$(readlink -f "$1"); out=$(readlink -f "$2"); key=$(readlink -f key.rsa)
tmp=$(mktemp -d); cd "$tree"
find * -print0 | LC_ALL=C sort -z | tar --format=posix \
	--pax-option=exthdr.name=%d/PaxHeaders/%f,atime:=0,ctime:=0 --no-recursion --null \
	-f - -c --mtime=@$SOURCE_DATE_EPOCH --owner=0 --group=0 -T - |
	gzip -n -9 > "$tmp/data.tar.gz"
cd "$tmp"
size=$(find "$tree" -type f -printf '%i %s\n' | sort -u | awk '{s+=$2} END {print s+0}')
printf 'pkgname = bench\npkgver = 1-r0\nbuilddate = %s\nsize = %s\narch = x86_64\ndatahash = %s\n' \
	"$SOURCE_DATE_EPOCH" "$size" "$(sha256sum data.tar.gz | cut -d' ' -f1)" > .PKGINFO
tar --format=posix -b 1 -c --mtime=@$SOURCE_DATE_EPOCH --owner=0 --group=0 .PKGINFO |
	head -c -1024 \
	| gzip -n -9 > control.tar.gz
openssl dgst -sha1 -sign "$key" -out .SIGN.RSA.key.rsa.pub control.tar.gz
tar --format=posix -b 1 -c --owner=0 --group=0 .SIGN.RSA.key.rsa.pub | head -c -1024 \
	| gzip -n -9 > sig.tar.gz
cat sig.tar.gz control.tar.gz data.tar.gz > "$out"
rm -rf "$tmp"
EOF
chmod +x abuild-core.sh

row() { printf '%-6s %-26s %8s %8s %8s %10s\n' "$@"; }
echo "tree: $(du -sb big | cut -f1) bytes in $(find big -type f | wc -l) files; $(nproc) CPUs"
row case tool wall_s cpu_s peak_MB apk_bytes
for case in big hello; do
	mkdir -p "o-$case-w" "o-$case-a" "o-$case-s"
	# Warm the page cache so both read from memory.
	tar -cf - "$case" > /dev/null
	read -r tw cw mw < <(measure "$W" buildapk -n bench -v 1 -k key.rsa --no-strip "$case" \
		"o-$case-w")
	read -r ts cs ms < <(measure "$W" buildapk -n bench -v 1 -k key.rsa "$case" "o-$case-s")
	read -r ta ca ma < <(measure ./abuild-core.sh "$case" "o-$case-a/bench.apk")
	row "$case" "witchery --no-strip" "$tw" "$cw" $((mw / 1024)) "$(stat -c %s o-$case-w/*.apk)"
	row "$case" "witchery (strip+trace)" "$ts" "$cs" $((ms / 1024)) \
		"$(stat -c %s o-$case-s/*.apk)"
	row "$case" "abuild core (tar|gzip -9)" "$ta" "$ca" $((ma / 1024)) \
		"$(stat -c %s o-$case-a/*.apk)"
	python3 -c "print('%-6s wall speedup (no-strip vs abuild core): %.2fx' %
		('$case', $ta / $tw))"
done
