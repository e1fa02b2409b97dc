/*
 * Fuzz target: APKINDEX / installed-db stanza parser (src/apk/index_text.h).
 *
 * Parses the input with both entry points and checks that every package
 * survives a round trip through the stanza writer: write it, parse the
 * stanza again, and the name, version, arch, identity and dependency lists
 * read back equal.
 */
#include <string.h>

#include "apk/index_text.h"
#include "fuzz.h"

struct rt {
	struct wch_buf text, a, b;
	unsigned npkgs;
	struct wch_pkg *last;
};

static int deps_text(const struct wch_deps *d, struct wch_buf *b)
{
	wch_buf_reset(b);
	return wch_deps_format(d, b);
}

static void same_deps(struct rt *rt, const struct wch_deps *x, const struct wch_deps *y)
{
	FUZZ_CHECK(x->n == y->n);
	if (deps_text(x, &rt->a) || deps_text(y, &rt->b))
		return;
	FUZZ_CHECK(fuzz_memeq(rt->a.p, rt->a.len, rt->b.p, rt->b.len));
}

static int take_last(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	(void)err;
	struct rt *rt = ctx;
	rt->last = p;
	rt->npkgs++;
	return 0;
}

static bool streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int on_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	struct rt *rt = ctx, again = {WCH_BUF_INIT, WCH_BUF_INIT, WCH_BUF_INIT, 0, NULL};
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_index_cb cb = {.pkg = take_last, .ctx = &again};
	struct wch_pkg *q;

	(void)err;
	FUZZ_CHECK(p->name && p->version);
	wch_buf_reset(&rt->text);
	if (wch_index_text_write_pkg(p, &rt->text))
		return 0;
	/* A value holding a NUL or a newline cannot be written back as the
	 * same line; the parser keeps such bytes, so skip those packages. */
	if (memchr(rt->text.p, 0, rt->text.len))
		return 0;
	if (wch_index_text_parse(&a, rt->text.p, rt->text.len, &cb, NULL) == 0) {
		FUZZ_CHECK(again.npkgs == 1);
		q = again.last;
		FUZZ_CHECK(strcmp(p->name, q->name) == 0);
		FUZZ_CHECK(strcmp(p->version, q->version) == 0);
		FUZZ_CHECK(streq(p->arch, q->arch));
		FUZZ_CHECK(p->identity.len == q->identity.len &&
			   memcmp(p->identity.d, q->identity.d, p->identity.len) == 0);
		FUZZ_CHECK(p->file_size == q->file_size);
		FUZZ_CHECK(p->installed_size == q->installed_size);
		FUZZ_CHECK(p->build_time == q->build_time);
		same_deps(rt, &p->depends, &q->depends);
		same_deps(rt, &p->provides, &q->provides);
		same_deps(rt, &p->install_if, &q->install_if);
	} else {
		/* What the parser accepted, the writer must write parseably. */
		FUZZ_CHECK(!"written stanza does not parse");
	}
	wch_arena_release(&a);
	return 0;
}

static volatile unsigned sink;

static int on_extra(void *ctx, char letter, struct wch_view v, struct wch_err *err)
{
	(void)ctx;
	(void)err;
	/* Touch every byte so ASan checks the view's bounds. */
	unsigned sum = (unsigned char)letter;
	for (size_t i = 0; i < v.n; i++)
		sum += (unsigned char)v.p[i];
	sink = sum;
	return 0;
}

static int on_begin(void *ctx, struct wch_err *err)
{
	(void)ctx;
	(void)err;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt rt = {WCH_BUF_INIT, WCH_BUF_INIT, WCH_BUF_INIT, 0, NULL};
	struct wch_index_cb cb = {
	    .pkg = on_pkg, .extra = on_extra, .ctx = &rt, .begin = on_begin, .unknown = on_extra};
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_err err;
	char *copy;

	wch_err_init(&err);
	wch_index_text_parse(&a, (const char *)data, size, &cb, &err);
	wch_arena_release(&a);

	/* The in-place parser, with an exact-size buffer (text[n] writable). */
	copy = malloc(size + 1);
	if (copy) {
		if (size)
			memcpy(copy, data, size);
		copy[size] = 0;
		struct wch_index_cb plain = {.pkg = take_last, .ctx = &rt};
		wch_index_text_parse_inplace(&a, copy, size, &plain, &err);
		wch_arena_release(&a);
		free(copy);
	}
	wch_buf_release(&rt.text);
	wch_buf_release(&rt.a);
	wch_buf_release(&rt.b);
	return 0;
}
