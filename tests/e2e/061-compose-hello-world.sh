# The README's main job: hello-world in C -> payload.apk -> a root with only
# musl and payload, within the size budget, and it runs.
. "$SRCDIR/tests/e2e/lib.sh"
need musl-gcc
WITCHERY=$W bash "$SRCDIR/examples/hello-world/build.sh" "$PWD/hw" > log.txt 2>&1 \
	|| { tail -20 log.txt; fail "example failed"; }
root=hw/rootfs
[ "$(grep '^P:' $root/lib/apk/db/installed | sort | tr '\n' ' ')" = "P:musl P:payload " ] \
	|| fail "unexpected packages: $(grep '^P:' $root/lib/apk/db/installed)"
[ -e $root/bin/busybox ] && fail "busybox in the root"
[ -e $root/sbin/apk ] && fail "apk-tools in the root"
total=$(find $root -type f -printf '%s\n' | awk '{s += $1} END {print s}')
[ "$total" -le 680000 ] || fail "regular files add up to $total bytes (> 680000)"
grep -q '^D:so:libc.musl-x86_64.so.1$' $root/lib/apk/db/installed || fail "payload dep"
# The payload's signing key is trusted in the root, like Alpine's.
ls $root/etc/apk/keys/example-*.rsa.pub > /dev/null 2>&1 || fail "payload key not in etc/apk/keys"
if [ "$(id -u)" = 0 ] && command -v chroot > /dev/null; then
	[ "$(chroot $root /app/hello-world)" = "Hello world" ] || fail "hello-world does not run"
fi
exit 0
