/*
 * Multi-member gunzip (apk-format §1.3) on top of zlib.
 *
 * Each member is inflated with inflateInit2(15 + 16) (gzip wrapper only);
 * zlib stops at Z_STREAM_END right after the member's 8-byte trailer, so
 * the input consumed by inflate() is exactly that member's compressed bytes,
 * which we hand to member_bytes as they are consumed. The boundary event is
 * postponed to the next read() (as apk does), so the consumer has taken
 * every decompressed byte of member k before it hears that k ended, and no
 * read() ever returns bytes of two members.
 *
 * In memory mode (wch_gunzip_new_mem) zs.next_in/avail_in simply point at
 * the rest of the input. A member is first inflated whole by libdeflate
 * into g->out and served from there; only if that fails is the same member
 * inflated by zlib from the same place, as the streaming mode would.
 */
#include "archive/gunzip.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <zlib.h>

/* Large enough that zlib rarely waits for input; one syscall per 128 KiB. */
#define GUNZIP_INBUF (128u * 1024u)

enum gz_state {
	GZ_MEMBER,   /* inside a member (or before the first one) */
	GZ_BOUNDARY, /* a member ended; its boundary is not yet delivered */
	GZ_DONE,     /* end delivered; reads return 0 */
	GZ_FAILED,   /* sticky error */
};

struct wch_gunzip {
	struct wch_reader src;
	struct wch_gunzip_cb cb;
	uint64_t max_out, out_total, compressed;
	unsigned members;
	enum gz_state state;
	int fail_code;
	bool src_eof;
	bool started; /* current member's header has been checked */
	z_stream zs;
	unsigned char *in;
	/* Memory mode: the inflated current member and how much of it was
	 * returned; member_open is set once the member has been tried. */
	struct libdeflate_decompressor *ld;
	unsigned char *out;
	size_t out_cap, out_len, out_off;
	bool mem, member_open, serving;
};

static int gz_fail(struct wch_gunzip *g, int code)
{
	g->state = GZ_FAILED;
	g->fail_code = code;
	return code;
}

/* Makes at least want bytes available in zs (fewer only at EOF). Returns
 * the number available or a negative code. */
static ssize_t gz_fill(struct wch_gunzip *g, size_t want, struct wch_err *err)
{
	z_stream *zs = &g->zs;

	if (zs->avail_in >= want || g->src_eof)
		return zs->avail_in;
	if (zs->avail_in && zs->next_in != g->in)
		memmove(g->in, zs->next_in, zs->avail_in);
	zs->next_in = g->in;
	while (zs->avail_in < want && !g->src_eof) {
		ssize_t got =
		    wch_read(&g->src, g->in + zs->avail_in, GUNZIP_INBUF - zs->avail_in, err);
		if (got < 0)
			return got;
		if (got == 0)
			g->src_eof = true;
		zs->avail_in += (uInt)got;
	}
	return zs->avail_in;
}

/* Checks that a gzip member starts here (1f 8b): anything else after a
 * member is trailing garbage, which apk treats as an I/O error. Returns 1
 * for a member, 0 for a clean EOF, < 0 on error. */
static int gz_peek_member(struct wch_gunzip *g, struct wch_err *err)
{
	ssize_t avail = gz_fill(g, 2, err);

	if (avail < 0)
		return (int)avail;
	if (avail == 0) {
		if (g->members == 0)
			return wch_errf(err, -WCH_E_FORMAT, "empty input, not gzip data");
		return 0;
	}
	if (avail < 2 || g->zs.next_in[0] != 0x1f || g->zs.next_in[1] != 0x8b) {
		if (g->members == 0)
			return wch_errf(err, -WCH_E_FORMAT, "not in gzip format");
		return wch_errf(err, -WCH_E_FORMAT, "trailing garbage after gzip member %u",
				g->members);
	}
	return 1;
}

static int gz_deliver_boundary(struct wch_gunzip *g, struct wch_err *err)
{
	int more = gz_peek_member(g, err);
	int r;

	if (more < 0)
		return more;
	if (g->cb.boundary) {
		r = g->cb.boundary(g->cb.ctx, more == 0, err);
		if (r < 0)
			return r;
	}
	if (!more) {
		g->state = GZ_DONE;
		return 0;
	}
	if (inflateReset(&g->zs) != Z_OK)
		return wch_errf(err, -WCH_E_FORMAT, "cannot reset inflate state");
	g->state = GZ_MEMBER;
	g->member_open = false;
	return 0;
}

static int gz_inflate_error(struct wch_gunzip *g, int zr, struct wch_err *err)
{
	const char *why = g->zs.msg ? g->zs.msg : zError(zr);

	if (zr == Z_MEM_ERROR)
		return wch_errf(err, -ENOMEM, "out of memory");
	return wch_errf(err, -WCH_E_FORMAT, "gzip member %u: invalid compressed data: %s",
			g->members + 1, why);
}

/* FHCRC: libdeflate skips the header CRC instead of checking it. */
static bool has_header_crc(const z_stream *zs)
{
	return zs->avail_in >= 4 && (zs->next_in[3] & 0x02);
}

/* Memory mode: inflates the member at zs.next_in whole with libdeflate.
 * Returns 1 when it is now served from g->out, 0 when zlib must take this
 * member (libdeflate refused it), < 0 on error. */
static int gz_try_whole(struct wch_gunzip *g, struct wch_err *err)
{
	z_stream *zs = &g->zs;
	size_t used, produced;
	enum libdeflate_result lr;

	if (has_header_crc(zs))
		return 0;
	for (;;) {
		lr = libdeflate_gzip_decompress_ex(g->ld, zs->next_in, zs->avail_in, g->out,
						   g->out_cap, &used, &produced);
		if (lr != LIBDEFLATE_INSUFFICIENT_SPACE)
			break;
		if (g->out_cap >= WCH_GUNZIP_MEM_OUT_MAX ||
		    (g->max_out && g->out_total + g->out_cap > g->max_out))
			return 0; /* too big to hold: zlib streams it (and enforces max_out) */
		free(g->out);
		g->out_cap = g->out_cap > WCH_GUNZIP_MEM_OUT_MAX / 2 ? WCH_GUNZIP_MEM_OUT_MAX
								     : g->out_cap * 2;
		if (!(g->out = malloc(g->out_cap)))
			return wch_errf(err, -ENOMEM, "out of memory");
	}
	if (lr != LIBDEFLATE_SUCCESS)
		return 0;
	if (g->max_out && g->out_total + produced > g->max_out)
		return 0;
	g->compressed += used;
	if (g->cb.member_bytes)
		g->cb.member_bytes(g->cb.ctx, zs->next_in, used);
	zs->next_in += used;
	zs->avail_in -= (uInt)used;
	g->out_total += produced;
	g->out_len = produced;
	g->out_off = 0;
	return 1;
}

/* Memory mode: the next bytes of a member held whole in g->out. */
static ssize_t gz_serve(struct wch_gunzip *g, void *buf, size_t n)
{
	size_t k = g->out_len - g->out_off;

	if (k > n)
		k = n;
	memcpy(buf, g->out + g->out_off, k);
	g->out_off += k;
	if (g->out_off == g->out_len) {
		g->serving = false;
		g->members++;
		g->state = GZ_BOUNDARY;
	}
	return (ssize_t)k;
}

static ssize_t gz_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	struct wch_gunzip *g = ctx;
	z_stream *zs = &g->zs;
	int r;

	for (;;) {
		if (g->state == GZ_FAILED)
			return wch_errf(err, g->fail_code, "gzip stream failed earlier");
		if (g->state == GZ_DONE || n == 0)
			return 0;
		if (g->state == GZ_BOUNDARY) {
			r = gz_deliver_boundary(g, err);
			if (r < 0)
				return gz_fail(g, r);
			continue;
		}
		if (!g->started) {
			/* Only the very first member comes here unchecked. */
			r = gz_peek_member(g, err);
			if (r <= 0)
				return gz_fail(g, r ? r : -WCH_E_FORMAT);
			g->started = true;
		}
		if (g->mem && !g->member_open) {
			g->member_open = true;
			r = gz_try_whole(g, err);
			if (r < 0)
				return gz_fail(g, r);
			g->serving = r == 1;
		}
		if (g->serving) {
			ssize_t k = gz_serve(g, buf, n);
			if (k > 0)
				return k;
			continue; /* an empty member */
		}
		if (zs->avail_in == 0) {
			ssize_t got = gz_fill(g, 1, err);
			if (got < 0)
				return gz_fail(g, (int)got);
			if (got == 0)
				return gz_fail(g, wch_errf(err, -WCH_E_FORMAT,
							   "gzip member %u is truncated",
							   g->members + 1));
		}

		const unsigned char *before = zs->next_in;
		size_t want = n > UINT_MAX ? UINT_MAX : n;
		zs->next_out = buf;
		zs->avail_out = (uInt)want;
		int zr = inflate(zs, Z_NO_FLUSH);
		size_t used = (size_t)(zs->next_in - before);
		size_t produced = want - zs->avail_out;

		if (used) {
			g->compressed += used;
			if (g->cb.member_bytes)
				g->cb.member_bytes(g->cb.ctx, before, used);
		}
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return gz_fail(g, gz_inflate_error(g, zr, err));
		if (zr == Z_BUF_ERROR && zs->avail_in != 0)
			return gz_fail(g, gz_inflate_error(g, zr, err));
		g->out_total += produced;
		if (g->max_out && g->out_total > g->max_out)
			return gz_fail(g, wch_errf(err, -WCH_E_TOO_BIG,
						   "decompressed data exceeds %llu bytes",
						   (unsigned long long)g->max_out));
		if (zr == Z_STREAM_END) {
			g->members++;
			g->state = GZ_BOUNDARY;
		}
		if (produced)
			return (ssize_t)produced;
	}
}

int wch_gunzip_new(struct wch_gunzip **out, struct wch_reader src, const struct wch_gunzip_cb *cb,
		   uint64_t max_out, struct wch_err *err)
{
	struct wch_gunzip *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g || !(g->in = malloc(GUNZIP_INBUF))) {
		free(g);
		return wch_errf(err, -ENOMEM, "out of memory");
	}
	g->src = src;
	if (cb)
		g->cb = *cb;
	g->max_out = max_out;
	g->state = GZ_MEMBER;
	g->zs.next_in = g->in;
	if (inflateInit2(&g->zs, 15 + 16) != Z_OK) {
		free(g->in);
		free(g);
		return wch_errf(err, -ENOMEM, "cannot initialise inflate");
	}
	*out = g;
	return 0;
}

int wch_gunzip_new_mem(struct wch_gunzip **out, const void *data, size_t n,
		       const struct wch_gunzip_cb *cb, uint64_t max_out, struct wch_err *err)
{
	const unsigned char *p = data;
	struct wch_gunzip *g = calloc(1, sizeof(*g));
	size_t hint = 0;

	*out = NULL;
	if (!g)
		return wch_errf(err, -ENOMEM, "out of memory");
	/* The last member's ISIZE sizes the buffer: in a package that is the
	 * data member, by far the largest. A wrong value only costs a retry. */
	if (n >= 18)
		hint = (size_t)p[n - 4] | (size_t)p[n - 3] << 8 | (size_t)p[n - 2] << 16 |
		       (size_t)p[n - 1] << 24;
	g->out_cap = hint < (64u << 10)		     ? 64u << 10
		     : hint > WCH_GUNZIP_MEM_OUT_MAX ? WCH_GUNZIP_MEM_OUT_MAX
						     : hint;
	g->ld = libdeflate_alloc_decompressor();
	g->out = malloc(g->out_cap);
	if (!g->ld || !g->out || inflateInit2(&g->zs, 15 + 16) != Z_OK) {
		libdeflate_free_decompressor(g->ld);
		free(g->out);
		free(g);
		return wch_errf(err, -ENOMEM, "out of memory");
	}
	if (cb)
		g->cb = *cb;
	g->max_out = max_out;
	g->state = GZ_MEMBER;
	g->mem = true;
	g->src_eof = true;
	g->zs.next_in = (unsigned char *)p; /* zlib's API is not const; it only reads */
	/* zlib counts input in uInt: a larger buffer is refused up front. */
	if (n > UINT_MAX) {
		wch_gunzip_free(g);
		return wch_errf(err, -WCH_E_TOO_BIG, "input of %zu bytes is too big", n);
	}
	g->zs.avail_in = (uInt)n;
	*out = g;
	return 0;
}

struct wch_reader wch_gunzip_reader(struct wch_gunzip *g)
{
	struct wch_reader r = {gz_read, g};
	return r;
}

unsigned wch_gunzip_members(const struct wch_gunzip *g)
{
	return g->members;
}

uint64_t wch_gunzip_compressed(const struct wch_gunzip *g)
{
	return g->compressed;
}

void wch_gunzip_free(struct wch_gunzip *g)
{
	if (!g)
		return;
	inflateEnd(&g->zs);
	libdeflate_free_decompressor(g->ld);
	free(g->out);
	free(g->in);
	free(g);
}
