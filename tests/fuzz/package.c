/*
 * Fuzz target: the whole package reader (src/apk/package.h
 * wch_package_read in NONE mode, no keys) with callbacks that read each
 * entry's data in small pieces, as compose's extraction does. Checks that
 * only a fully verified package reads as success.
 */
#include <string.h>

#include "apk/package.h"
#include "fuzz.h"

struct seen {
	bool control;
	size_t entries, ends;
};

static int on_control(void *ctx, const struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct seen *s = ctx;

	(void)err;
	FUZZ_CHECK(!s->control);
	FUZZ_CHECK(res->pkg && res->pkg->name && res->pkg->version);
	for (size_t i = 0; i < res->nscripts; i++)
		FUZZ_CHECK(res->scripts[i].name && res->scripts[i].data &&
			   res->scripts[i].data[res->scripts[i].len] == 0);
	s->control = true;
	return 0;
}

static int on_entry(void *ctx, const struct wch_tar_entry *e, const struct wch_reader *data,
		    struct wch_err *err)
{
	struct seen *s = ctx;
	unsigned char buf[97];
	ssize_t k;

	FUZZ_CHECK(wch_package_path_safe(e->name));
	s->entries++;
	/* Leave the tail of every third entry unread: the reader drains it. */
	if (s->entries % 3 == 0)
		return 0;
	while ((k = wch_read(data, buf, sizeof(buf), err)) > 0)
		;
	return k < 0 ? (int)k : 0;
}

static int on_entry_end(void *ctx, const struct wch_tar_entry *e, struct wch_err *err)
{
	struct seen *s = ctx;

	(void)e;
	(void)err;
	s->ends++;
	FUZZ_CHECK(s->ends == s->entries);
	return 0;
}

static void run(const uint8_t *data, size_t size, bool control_only)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct seen s = {0};
	struct wch_pkg_read_opts o = {
	    .mode = WCH_PKG_VERIFY_NONE,
	    .arena = &a,
	    .control_only = control_only,
	    .control = on_control,
	    .entry = on_entry,
	    .entry_end = on_entry_end,
	    .ctx = &s,
	};
	struct wch_pkg_read_result res;
	struct wch_mem_reader m;
	struct wch_err err;

	wch_err_init(&err);
	if (wch_package_read(wch_reader_mem(&m, data, size), &o, &res, &err) == 0) {
		FUZZ_CHECK(s.control);
		FUZZ_CHECK(res.control_verified);
		if (!control_only || res.legacy)
			FUZZ_CHECK(res.complete && res.datahash_ok);
		FUZZ_CHECK(res.nfiles == s.entries);
	}
	wch_arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, false);
	run(data, size, true);
	return 0;
}
