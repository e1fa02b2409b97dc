/*
 * Multi-member gzip reader (apk-format §1.3).
 *
 * Presents the concatenation of all decompressed members as one byte
 * stream (a wch_reader). For every member the callback sees its exact
 * compressed bytes (from the first header byte to the last trailer byte,
 * in order, each byte exactly once) and then a boundary event. The boundary
 * of member k is delivered after its last compressed byte and before any
 * decompressed byte of member k+1 is returned; a single read() never returns
 * bytes of two members. After the last member the boundary has end = true
 * and the next read returns 0. Garbage after a member, a bad CRC/ISIZE, a
 * truncated member or an empty input are errors (-EIO / -WCH_E_FORMAT with
 * a message saying which). A boundary callback returning < 0 aborts reading
 * with that code.
 *
 * Expansion is capped (max_out, 0 = no cap) so hostile input cannot make us
 * inflate forever: past it read() fails with -WCH_E_TOO_BIG.
 */
#ifndef WCH_ARCHIVE_GUNZIP_H
#define WCH_ARCHIVE_GUNZIP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"
#include "util/io.h"

struct wch_gunzip_cb {
	void (*member_bytes)(void *ctx, const void *p, size_t n);
	int (*boundary)(void *ctx, bool end, struct wch_err *err);
	void *ctx;
};

struct wch_gunzip;

/* src is borrowed; cb may be NULL. */
int wch_gunzip_new(struct wch_gunzip **out, struct wch_reader src, const struct wch_gunzip_cb *cb,
		   uint64_t max_out, struct wch_err *err);
/* The same over input that is in memory as a whole (data[0..n), borrowed
 * until wch_gunzip_free). Each member is inflated in one call with
 * libdeflate, two to three times faster than zlib, into a buffer of at most
 * WCH_GUNZIP_MEM_OUT_MAX bytes; member_bytes then sees the whole member at
 * once. A member that libdeflate refuses (corrupt, truncated, larger than
 * that buffer, or with a header CRC, which libdeflate would not check) is
 * streamed through zlib from its first byte instead, so every error, and
 * every byte returned before it, is exactly what wch_gunzip_new() gives. */
int wch_gunzip_new_mem(struct wch_gunzip **out, const void *data, size_t n,
		       const struct wch_gunzip_cb *cb, uint64_t max_out, struct wch_err *err);
#define WCH_GUNZIP_MEM_OUT_MAX (64u << 20)
struct wch_reader wch_gunzip_reader(struct wch_gunzip *g);
/* Members completed so far; compressed bytes consumed so far. */
unsigned wch_gunzip_members(const struct wch_gunzip *g);
uint64_t wch_gunzip_compressed(const struct wch_gunzip *g);
void wch_gunzip_free(struct wch_gunzip *g);

#endif
