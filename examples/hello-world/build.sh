#!/bin/bash
# The hello-world example, end to end: compile a C program against musl,
# pack it with `witchery buildapk -n payload` into /app/hello-world, and
# compose a root folder holding only it and its real dependencies (musl)
# from Alpine's repository.
#
# Usage: examples/hello-world/build.sh [OUTDIR]     (default: ./hello-world-out)
# Environment: WITCHERY (binary to use; default: build it in ./build),
#   ALPINE_REPO (default https://dl-cdn.alpinelinux.org/alpine/v3.19/main).
# Without network, the Alpine 3.19.1 snapshot in ../shared/fixtures is used
# when present (and the script says so).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-hello-world-out}")
repo=${ALPINE_REPO:-https://dl-cdn.alpinelinux.org/alpine/v3.19/main}
snapshot=$top/../shared/fixtures/alpine/apks/x86_64/alpine-3.19.1-iso-boot
keys_snapshot=$top/../shared/fixtures/alpine/keys

say() { printf '==> %s\n' "$*"; }

# 1. Tools: install what is missing on a Debian machine (as root).
missing=
for t in meson ninja cc musl-gcc pkg-config strip curl; do
	command -v $t >/dev/null 2>&1 || missing=1
done
for h in openssl/evp.h zlib.h libdeflate.h curl/curl.h; do
	[ -e /usr/include/$h ] || [ -e /usr/include/x86_64-linux-gnu/$h ] || missing=1
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing build tools with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends build-essential meson ninja-build \
			pkg-config libssl-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev musl-tools \
			binutils openssl ca-certificates curl >/dev/null
	else
		echo "missing tools: run as root on Debian, or install meson ninja-build pkg-config" \
			"libssl-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev musl-tools binutils curl" >&2
		exit 1
	fi
fi

# 2. witchery itself.
if [ -z "${WITCHERY:-}" ]; then
	say "building witchery"
	[ -d "$top/build" ] || meson setup "$top/build" >/dev/null
	ninja -C "$top/build" >/dev/null
	WITCHERY=$top/build/witchery
fi
W=$WITCHERY

# 3. The application, compiled against musl like on Alpine.
rm -rf "$out"
mkdir -p "$out/app/app" "$out/pkgs" "$out/keys"
say "compiling hello-world.c with musl-gcc"
musl-gcc -O2 -o "$out/app/app/hello-world" "$top/examples/hello-world/hello-world.c"

# 4. A signing key and the package.
say "creating a signing key"
"$W" keygen --dir "$out/keys" --name example >/dev/null
key=$(ls "$out"/keys/*.rsa)
say "packing $out/app into payload.apk"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} "$W" buildapk -n payload -v 1.0 \
	-k "$key" "$out/app" "$out/pkgs"

# 5. The repository: Alpine's mirror, or the local snapshot without network.
# Alpine's signing keys: the system's (on Alpine), else fetched over
# verified HTTPS from alpinelinux.org, as apko does.
keysdir=/etc/apk/keys
if [ ! -d "$keysdir" ]; then
	keysdir=$out/alpine-keys
	mkdir -p "$keysdir"
	for k in 6165ee59 61666e3f; do
		name=alpine-devel@lists.alpinelinux.org-$k.rsa.pub
		curl -fsS --max-time 20 -o "$keysdir/$name" \
			"https://alpinelinux.org/keys/$name" 2>/dev/null || rm -f "$keysdir/$name"
	done
fi
repo_args=(-X "$repo")
if ! "$W" resolve -q -k "$keysdir" --cache-dir "$out/cache" "${repo_args[@]}" musl \
	>/dev/null 2>&1; then
	if [ -d "$snapshot" ]; then
		say "no network: using the Alpine 3.19.1 snapshot in $snapshot"
		mkdir -p "$out/snapshot-repo"
		ln -sfn "$snapshot" "$out/snapshot-repo/x86_64"
		repo_args=(-X "$out/snapshot-repo")
		keysdir=$keys_snapshot
	else
		echo "cannot reach $repo and no local snapshot" >&2
		exit 1
	fi
fi

# 6. Compose the root: payload + what it needs, nothing else.
say "composing $out/rootfs"
"$W" compose -v -k "$keysdir" --cache-dir "$out/cache" "${repo_args[@]}" \
	--trust-key "$key.pub" -p "$out"/pkgs/payload-1.0-r0.apk "$out/rootfs"

say "root folder: $out/rootfs ($(du -sb "$out/rootfs" | cut -f1) bytes)"
if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null; then
	say "running it: chroot $out/rootfs /app/hello-world"
	chroot "$out/rootfs" /app/hello-world
fi
