#!/bin/bash
# Throughput of witchery's gzip writer and gunzip vs GNU gzip on ~100 MB of
# mixed data (APKINDEX text, package payloads, incompressible bytes).
# Prints numbers only; never asserts timings.
#
#   bench/gzip-bench.sh [BUILD_DIR] [MB]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
mb=${2:-100}
fixtures=${WT_FIXTURES:-$src/../shared/fixtures}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ninja -C "$build" src/archive/libwch_archive.a src/util/libwch_util.a >/dev/null
cat >"$work/bench.c" <<'C'
#include "archive/gunzip.h"
#include "archive/gzip.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int null_write(void *ctx, const void *p, size_t n, struct wch_err *err)
{
	(void)p, (void)err;
	*(size_t *)ctx += n;
	return 0;
}

int main(int argc, char **argv)
{
	struct wch_buf in = WCH_BUF_INIT, gz = WCH_BUF_INIT;
	struct wch_err err;
	int levels[] = {6, 9}, threads[] = {1, 2, 0};

	if (argc != 2 || wch_read_file_at(AT_FDCWD, argv[1], &in, (size_t)1 << 34, &err)) {
		fprintf(stderr, "usage: bench FILE\n");
		return 1;
	}
	for (int l = 0; l < 2; l++)
		for (int t = 0; t < 3; t++) {
			size_t outn = 0;
			struct wch_writer w = {null_write, &outn};
			struct wch_gzip *g;
			double t0 = now();
			if (wch_gzip_new(&g, w, levels[l], threads[t], &err))
				return 1;
			struct wch_writer gw = wch_gzip_writer(g);
			if (wch_write(&gw, in.p, in.len, &err) || wch_gzip_finish(g, &err))
				return 1;
			wch_gzip_free(g);
			double dt = now() - t0;
			printf("witchery gzip -%d threads=%-3s %8.1f MB/s  %zu bytes\n", levels[l],
			       threads[t] ? (threads[t] == 1 ? "1" : "2") : "all",
			       in.len / dt / 1e6, outn);
		}
	if (wch_gzip_buffer(in.p, in.len, 9, &gz, &err))
		return 1;
	struct wch_mem_reader m;
	struct wch_gunzip *u;
	static char buf[1 << 16];
	ssize_t got;
	double t0 = now();
	if (wch_gunzip_new(&u, wch_reader_mem(&m, gz.p, gz.len), NULL, 0, &err))
		return 1;
	struct wch_reader r = wch_gunzip_reader(u);
	while ((got = wch_read(&r, buf, sizeof(buf), &err)) > 0)
		;
	wch_gunzip_free(u);
	printf("witchery gunzip             %8.1f MB/s (output)\n", in.len / (now() - t0) / 1e6);
	return got < 0;
}
C
cc -O2 -std=c17 -D_GNU_SOURCE -I"$src/src" "$work/bench.c" -o "$work/bench" \
	"$build/src/archive/libwch_archive.a" "$build/src/util/libwch_util.a" -lz -pthread

# Mixed input: index text, decompressed package payloads, random bytes.
for _ in 1 2 3; do
	for f in "$fixtures"/alpine/indexes/*/*.tar.gz; do
		tar -xzOf "$f" 2>/dev/null || true
	done
	for f in "$fixtures"/alpine/apks/x86_64/alpine-3.19.1-iso-boot/*.apk; do
		gzip -dc "$f" 2>/dev/null || true
	done
	head -c $((mb * 1024 * 1024 / 10)) /dev/urandom
done | head -c $((mb * 1024 * 1024)) >"$work/in" || true # head closes the pipe early
size=$(stat -c %s "$work/in")
echo "input: $size bytes, $(nproc) CPUs"
"$work/bench" "$work/in"
for lvl in 6 9; do
	t0=$(date +%s.%N)
	out=$(gzip -$lvl -n -c "$work/in" | wc -c)
	t1=$(date +%s.%N)
	awk -v s="$size" -v a="$t0" -v b="$t1" -v o="$out" -v l="$lvl" \
		'BEGIN { printf "GNU gzip -%d                %8.1f MB/s  %d bytes\n",
			 l, s / (b - a) / 1e6, o }'
done
gzip -9 -n -c "$work/in" >"$work/in.gz"
t0=$(date +%s.%N)
gzip -dc "$work/in.gz" >/dev/null
t1=$(date +%s.%N)
awk -v s="$size" -v a="$t0" -v b="$t1" \
	'BEGIN { printf "GNU gzip -d                 %8.1f MB/s (output)\n", s / (b - a) / 1e6 }'
