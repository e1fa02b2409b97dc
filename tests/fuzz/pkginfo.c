/*
 * Fuzz target: .PKGINFO parser (src/apk/pkginfo.h), then the writer over
 * what was parsed; the written text must parse again to the same name,
 * version and dependency lists.
 */
#include <string.h>

#include "apk/pkginfo.h"
#include "fuzz.h"

static void same_deps(const struct wch_deps *x, const struct wch_deps *y)
{
	struct wch_buf a = WCH_BUF_INIT, b = WCH_BUF_INIT;

	FUZZ_CHECK(x->n == y->n);
	if (!wch_deps_format(x, &a) && !wch_deps_format(y, &b))
		FUZZ_CHECK(fuzz_memeq(a.p, a.len, b.p, b.len));
	wch_buf_release(&a);
	wch_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_pkg p, q;
	struct wch_err err;

	wch_err_init(&err);
	if (wch_pkginfo_parse(&a, (const char *)data, size, &p, &err) == 0) {
		FUZZ_CHECK(p.name && p.version);
		if (wch_pkginfo_write(&p, NULL, NULL, &out) == 0 && !memchr(out.p, 0, out.len) &&
		    wch_pkginfo_parse(&a, out.p, out.len, &q, &err) == 0) {
			FUZZ_CHECK(strcmp(p.name, q.name) == 0);
			FUZZ_CHECK(strcmp(p.version, q.version) == 0);
			same_deps(&p.depends, &q.depends);
			same_deps(&p.provides, &q.provides);
			same_deps(&p.replaces, &q.replaces);
			same_deps(&p.install_if, &q.install_if);
		}
	}
	wch_buf_release(&out);
	wch_arena_release(&a);
	return 0;
}
