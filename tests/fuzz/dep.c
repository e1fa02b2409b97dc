/*
 * Fuzz target: dependency lists (src/apk/dep.h). Parses the input as a
 * list, formats it, parses the text again and formats again: the two
 * parses must agree field by field and the two texts byte for byte. Each
 * dependency is also matched against the versions of the others.
 */
#include <string.h>

#include "apk/dep.h"
#include "fuzz.h"

static bool streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf t1 = WCH_BUF_INIT, t2 = WCH_BUF_INIT;
	struct wch_deps d1, d2;
	struct wch_view v = {(const char *)data, size};
	struct wch_err err;
	size_t i;

	wch_err_init(&err);
	if (wch_deps_parse(&a, v, &d1, &err) == 0 && wch_deps_format(&d1, &t1) == 0) {
		struct wch_view v2 = {t1.p, t1.len};
		int r = wch_deps_parse(&a, v2, &d2, &err);

		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(d1.n == d2.n);
		for (i = 0; i < d1.n; i++) {
			FUZZ_CHECK(streq(d1.v[i].name, d2.v[i].name));
			FUZZ_CHECK(streq(d1.v[i].version, d2.v[i].version));
			FUZZ_CHECK(streq(d1.v[i].tag, d2.v[i].tag));
			FUZZ_CHECK(d1.v[i].op == d2.v[i].op);
			FUZZ_CHECK(d1.v[i].conflict == d2.v[i].conflict);
			wch_dep_op_string(d1.v[i].op);
			wch_dep_version_match(&d1.v[i], d1.v[(i + 1) % d1.n].version);
			wch_dep_version_match(&d1.v[i], NULL);
		}
		FUZZ_CHECK(wch_deps_format(&d2, &t2) == 0);
		FUZZ_CHECK(fuzz_memeq(t1.p, t1.len, t2.p, t2.len));
	}
	/* A single token too (no separators inside). */
	if (size && !memchr(data, ' ', size) && !memchr(data, '\n', size)) {
		struct wch_dep d;
		if (wch_dep_parse(&a, v, &d, &err) == 0) {
			wch_buf_reset(&t1);
			FUZZ_CHECK(wch_dep_format(&d, &t1) == 0);
		}
	}
	wch_buf_release(&t1);
	wch_buf_release(&t2);
	wch_arena_release(&a);
	return 0;
}
