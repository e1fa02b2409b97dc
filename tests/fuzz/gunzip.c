/*
 * Fuzz target: multi-member gunzip (src/archive/gunzip.h). Inflates the
 * whole input with a capped output and checks the reader's promises: every
 * compressed byte is reported to member_bytes() exactly once and in order
 * (their concatenation is a prefix of the input), one boundary per member,
 * the last with end = true, after which read() returns 0.
 */
#include <string.h>

#include "archive/gunzip.h"
#include "fuzz.h"

struct seen {
	const uint8_t *in;
	size_t in_n;
	size_t off; /* compressed bytes reported so far */
	bool prefix_ok;
	unsigned boundaries;
	bool ended;
};

static void on_bytes(void *ctx, const void *p, size_t n)
{
	struct seen *s = ctx;

	FUZZ_CHECK(!s->ended);
	if (s->off + n > s->in_n || memcmp(s->in + s->off, p, n) != 0)
		s->prefix_ok = false;
	s->off += n;
}

static int on_boundary(void *ctx, bool end, struct wch_err *err)
{
	struct seen *s = ctx;

	(void)err;
	FUZZ_CHECK(!s->ended);
	s->boundaries++;
	s->ended = end;
	return 0;
}

static void run(const uint8_t *data, size_t size, size_t chunk)
{
	struct seen s = {data, size, 0, true, 0, false};
	struct wch_gunzip_cb cb = {on_bytes, on_boundary, &s};
	struct fuzz_chunk_reader cr;
	struct wch_gunzip *g = NULL;
	struct wch_err err;
	unsigned char buf[4096];
	ssize_t k;
	uint64_t total = 0;

	wch_err_init(&err);
	if (wch_gunzip_new(&g, fuzz_chunk_reader(&cr, data, size, chunk), &cb, 1u << 24, &err))
		return;
	struct wch_reader r = wch_gunzip_reader(g);
	while ((k = wch_read(&r, buf, sizeof(buf), &err)) > 0) {
		total += (uint64_t)k;
		FUZZ_CHECK(total <= (1u << 24));
	}
	FUZZ_CHECK(s.prefix_ok);
	FUZZ_CHECK(s.off == wch_gunzip_compressed(g));
	if (k == 0) {
		/* Clean end: every member ended, the last with end = true. */
		FUZZ_CHECK(s.ended);
		FUZZ_CHECK(s.off == size);
		FUZZ_CHECK(s.boundaries == wch_gunzip_members(g));
		FUZZ_CHECK(wch_read(&r, buf, sizeof(buf), &err) == 0);
	}
	wch_gunzip_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, (size_t)-1);
	run(data, size, size ? (size_t)data[size - 1] * 13 + 1 : 1);
	return 0;
}
