/*
 * Gzip writer: exactly one gzip member per wch_gzip (apk-format §2.1: the
 * data member must be a single member), with a reproducible header (no
 * name, mtime 0, OS 3, like `gzip -n`).
 *
 * With threads > 1 input is cut into blocks compressed in parallel and
 * joined into one deflate stream, as pigz does (each block primed with the
 * previous 32 KiB as dictionary, ended by a sync flush; CRCs combined), so
 * memory stays bounded (a few blocks per thread) whatever the input size.
 * The output bytes depend only on the input, level and block size, never on
 * thread timing or count.
 */
#ifndef WCH_ARCHIVE_GZIP_H
#define WCH_ARCHIVE_GZIP_H

#include <stdint.h>

#include "util/err.h"
#include "util/io.h"

struct wch_gzip;

/* dst is borrowed and receives the compressed bytes in order. level 1-9;
 * threads 0 = number of online CPUs. */
int wch_gzip_new(struct wch_gzip **out, struct wch_writer dst, int level, int threads,
		 struct wch_err *err);
struct wch_writer wch_gzip_writer(struct wch_gzip *g);
/* Compresses what is pending and writes the trailer. Required before free
 * for a complete member. */
int wch_gzip_finish(struct wch_gzip *g, struct wch_err *err);
uint64_t wch_gzip_in_bytes(const struct wch_gzip *g);
void wch_gzip_free(struct wch_gzip *g);

/* One-shot helper: compress p[0..n) into one member appended to out. */
int wch_gzip_buffer(const void *p, size_t n, int level, struct wch_buf *out, struct wch_err *err);

#endif
