/*
 * Shared bits of the fuzz targets (tests/fuzz/<target>.c).
 *
 * Each target defines LLVMFuzzerTestOneInput(); the same file links either
 * with libFuzzer (fuzz_<target>, -Dfuzz=true) or with replay.c
 * (t_fuzz_<target>, every build), which runs it over the target's corpus.
 * A target returns 0 for every input; a bug shows as a crash, a sanitizer
 * report, a leak or FUZZ_CHECK() failing (an invariant such as a round trip
 * that must hold for all inputs).
 */
#ifndef WCH_TESTS_FUZZ_H
#define WCH_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() so that libFuzzer saves the input and replay.c reports it. */
#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Equal byte strings (memcmp is undefined on NULL even for 0 bytes, and an
 * empty wch_buf has p == NULL). */
static inline int fuzz_memeq(const void *a, size_t an, const void *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* A reader handing out at most `chunk` bytes per read() (1..N), so targets
 * also exercise the short-read paths of stream consumers. */
struct fuzz_chunk_reader {
	const uint8_t *p;
	size_t n, off, chunk;
};

#include <sys/types.h>

#include "util/io.h"

static inline ssize_t fuzz_chunk_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	struct fuzz_chunk_reader *r = ctx;
	size_t k = r->n - r->off;

	(void)err;
	if (k > n)
		k = n;
	if (k > r->chunk)
		k = r->chunk;
	if (k)
		memcpy(buf, r->p + r->off, k);
	r->off += k;
	return (ssize_t)k;
}

static inline struct wch_reader fuzz_chunk_reader(struct fuzz_chunk_reader *r, const uint8_t *p,
						  size_t n, size_t chunk)
{
	r->p = p;
	r->n = n;
	r->off = 0;
	r->chunk = chunk ? chunk : 1;
	return (struct wch_reader){fuzz_chunk_read, r};
}

#endif
