/*
 * APKINDEX text: every real index in the fixtures is parsed, counted
 * against an independent line scan, and every Alpine-written stanza is
 * re-written byte for byte. GNU tar extracts the text (independent of our
 * tar and gzip readers).
 */
#include "apk/index_text.h"
#include "util/arena.h"
#include "wt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Runs cmd and collects its stdout. */
static int run_capture(const char *cmd, struct wch_buf *out)
{
	char tmp[65536];
	size_t n;
	FILE *f = popen(cmd, "r");

	if (!f)
		return -errno;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (wch_buf_add(out, tmp, n))
			break;
	return pclose(f) == 0 ? 0 : -EIO;
}

static int index_text(const char *rel, struct wch_buf *out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "tar -xzOf '%s' APKINDEX 2>/dev/null", wt_fixture(rel));
	return run_capture(cmd, out);
}

/* Independent count: lines starting with "P:". */
static size_t count_p_lines(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i + 1 < n; i++)
		if ((i == 0 || s[i - 1] == '\n') && s[i] == 'P' && s[i + 1] == ':')
			c++;
	return c;
}

struct collect {
	struct wch_pkg **v;
	size_t n, cap;
	size_t extra;
};

static int collect_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	struct collect *c = ctx;

	(void)err;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct wch_pkg **v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = p;
	return 0;
}

static int count_extra(void *ctx, char letter, struct wch_view v, struct wch_err *err)
{
	(void)letter, (void)v, (void)err;
	((struct collect *)ctx)->extra++;
	return 0;
}

static const char *const alpine_indexes[] = {
    "alpine/apks/armhf/alpine-uboot-3.3.3-boot/APKINDEX.tar.gz",
    "alpine/apks/aarch64/alpine-rpi-3.13.4-boot/APKINDEX.tar.gz",
    "alpine/apks/x86_64/alpine-3.19.1-iso-boot/APKINDEX.tar.gz",
    "alpine/indexes/v2.6-main-x86/APKINDEX.tar.gz",
    "alpine/indexes/v3.16-main-x86_64/APKINDEX.tar.gz",
    "alpine/indexes/v3.17-main-aarch64/APKINDEX.tar.gz",
    "alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.b2c94760.tar.gz",
    "alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.be78cdff.tar.gz",
};

/* Written by apko/melange (Go), not apk: they omit empty U: and put k:
 * elsewhere, so they are parsed and counted but not compared byte-wise. */
static const char *const thirdparty_indexes[] = {
    "alpine/thirdparty/apko-rsa256-signed/APKINDEX.tar.gz",
    "alpine/thirdparty/apko-multisig-index/APKINDEX.tar.gz",
    "alpine/thirdparty/apko-melange-x86_64/APKINDEX.tar.gz",
};

static void check_index(const char *rel, bool exact)
{
	struct wch_buf text = WCH_BUF_INIT, w = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct collect c = {0};
	struct wch_index_cb cb = {.pkg = collect_pkg, .extra = count_extra, .ctx = &c};
	struct wch_err err;
	const char *s, *end;
	size_t i;

	WT_OK(index_text(rel, &text));
	WT_TRUE(text.len > 0);
	WT_OK(wch_index_text_parse(&a, text.p, text.len, &cb, &err));
	WT_EQ(c.n, count_p_lines(text.p, text.len));
	WT_EQ(c.extra, 0);
	s = text.p;
	end = text.p + text.len;
	for (i = 0; i < c.n; i++) {
		const struct wch_pkg *p = c.v[i];
		const char *stanza_end;

		WT_TRUE(p->name && *p->name);
		WT_TRUE(p->version && *p->version);
		WT_EQ(p->identity.len, 20);
		WT_TRUE(!p->uninstallable);
		if (!exact)
			continue;
		/* The original stanza: up to the next empty line. */
		stanza_end = strstr(s, "\n\n");
		WT_TRUE(stanza_end != NULL);
		stanza_end++;
		wch_buf_reset(&w);
		WT_OK(wch_index_text_write_pkg(p, &w));
		if (w.len != (size_t)(stanza_end - s) || memcmp(w.p, s, w.len) != 0) {
			wt_fail(__FILE__, __LINE__,
				"%s: stanza %zu differs:\n--- orig\n%.*s--- ours\n%s", rel, i,
				(int)(stanza_end - s), s, w.p);
			break;
		}
		s = stanza_end + 1;
	}
	if (exact && !wt_failed_now)
		WT_TRUE(s == end);
	free(c.v);
	wch_buf_release(&text);
	wch_buf_release(&w);
	wch_arena_release(&a);
}

static void t_alpine_indexes_roundtrip(void)
{
	size_t i;

	for (i = 0; i < sizeof(alpine_indexes) / sizeof(*alpine_indexes) && !wt_failed_now; i++)
		check_index(alpine_indexes[i], true);
}

static void t_thirdparty_indexes_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(thirdparty_indexes) / sizeof(*thirdparty_indexes) && !wt_failed_now;
	     i++)
		check_index(thirdparty_indexes[i], false);
}

static struct wch_pkg *find(struct collect *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i]->name, name) == 0)
			return c->v[i];
	return NULL;
}

/* Known values of the 3.19.1 ISO repository, read from the text with grep
 * when this test was written (busybox stanza). */
static void t_known_fields(void)
{
	struct wch_buf text = WCH_BUF_INIT, nv = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct collect c = {0};
	struct wch_index_cb cb = {.pkg = collect_pkg, .ctx = &c};
	struct wch_pkg *p;

	WT_OK(index_text(alpine_indexes[2], &text));
	WT_OK(wch_index_text_parse(&a, text.p, text.len, &cb, NULL));
	p = find(&c, "busybox");
	WT_TRUE(p != NULL);
	WT_STREQ(p->version, "1.36.1-r15");
	WT_STREQ(p->arch, "x86_64");
	WT_STREQ(p->license, "GPL-2.0-only");
	WT_STREQ(p->origin, "busybox");
	WT_EQ(p->build_time, 1699383189);
	WT_EQ(p->installed_size, 946176);
	WT_EQ(p->depends.n, 1);
	WT_STREQ(p->depends.v[0].name, "so:libc.musl-x86_64.so.1");
	WT_EQ(p->provides.n, 1);
	WT_STREQ(p->provides.v[0].name, "cmd:busybox");
	WT_STREQ(p->provides.v[0].version, "1.36.1-r15");
	WT_OK(wch_pkg_format_nv(p, &nv));
	WT_STREQ(nv.p, "busybox-1.36.1-r15");
	free(c.v);
	wch_buf_release(&text);
	wch_buf_release(&nv);
	wch_arena_release(&a);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The two v3.19 indexes (23k packages) parse completely, three times into a
 * reused arena. The time is printed for information only: speed is
 * measured by bench/resolve-bench.sh, never asserted in tests. */
static void t_parse_full_branch(void)
{
	struct wch_buf t1 = WCH_BUF_INIT, t2 = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct collect c = {0};
	struct wch_index_cb cb = {.pkg = collect_pkg, .ctx = &c};
	double best = 1e9;
	int round;

	WT_OK(index_text(alpine_indexes[6], &t1));
	WT_OK(index_text(alpine_indexes[7], &t2));
	for (round = 0; round < 3; round++) {
		double t0 = now_ms(), dt;
		c.n = 0;
		WT_OK(wch_index_text_parse(&a, t1.p, t1.len, &cb, NULL));
		WT_OK(wch_index_text_parse(&a, t2.p, t2.len, &cb, NULL));
		dt = now_ms() - t0;
		best = dt < best ? dt : best;
		wch_arena_release(&a);
	}
	WT_EQ(c.n, 5443 + 17587);
	printf("  parse v3.19 main+community: %.1f ms CPU\n", best);
	free(c.v);
	wch_buf_release(&t1);
	wch_buf_release(&t2);
}

struct seen {
	char letters[64];
	size_t n, begins, unknown;
};

static int seen_extra(void *ctx, char letter, struct wch_view v, struct wch_err *err)
{
	struct seen *s = ctx;

	(void)v, (void)err;
	if (s->n + 1 < sizeof(s->letters))
		s->letters[s->n++] = letter;
	return 0;
}

static int seen_begin(void *ctx, struct wch_err *err)
{
	(void)err;
	((struct seen *)ctx)->begins++;
	return 0;
}

static int seen_unknown(void *ctx, char letter, struct wch_view v, struct wch_err *err)
{
	(void)letter, (void)v, (void)err;
	((struct seen *)ctx)->unknown++;
	return 0;
}

struct one {
	struct wch_pkg *p[4];
	size_t n;
};

static int one_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	struct one *o = ctx;

	(void)err;
	if (o->n < 4)
		o->p[o->n] = p;
	o->n++;
	return 0;
}

static void t_stanza_rules(void)
{
	/* Stanza 1 has no V: (dropped); a one-char line also ends a stanza;
	 * no final newline; unknown lowercase ignored, uppercase marks it. */
	static const char text[] = "P:novers\nT:x\n\n\n"
				   "C:Q1neSxgMANT3A6XHdSubhBACP/0Pc=\nP:a\nV:1.0-r0\nz:new\n.\n"
				   "P:b\nV:2\nX:what\nD:ok t@edge\ni:x >=bad";
	struct wch_arena a = WCH_ARENA_INIT;
	struct one o = {0};
	struct wch_index_cb cb = {.pkg = one_pkg, .ctx = &o};
	struct wch_err err;

	WT_OK(wch_index_text_parse(&a, text, sizeof(text) - 1, &cb, &err));
	WT_EQ(o.n, 2);
	WT_STREQ(o.p[0]->name, "a");
	WT_EQ(o.p[0]->identity.len, 20);
	WT_TRUE(!o.p[0]->uninstallable);
	WT_STREQ(o.p[1]->name, "b");
	WT_TRUE(o.p[1]->uninstallable);
	/* "D:ok t@edge": a tagged dependency is bad in an index and
	 * truncates the field; a bad install_if token drops all of it. */
	WT_EQ(o.p[1]->depends.n, 1);
	WT_STREQ(o.p[1]->depends.v[0].name, "ok");
	WT_EQ(o.p[1]->install_if.n, 0);
	wch_arena_release(&a);
}

static int seen_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	(void)ctx, (void)p, (void)err;
	return 0;
}

static void t_extra_lines(void)
{
	static const char db[] = "P:x\nV:1\nr:y\nF:etc\nM:0:0:700\nR:f\na:0:0:600\n"
				 "Z:Q1neSxgMANT3A6XHdSubhBACP/0Pc=\nq:5\ns:edge\nf:f\ny:1\n\n"
				 "P:y\nV:1\n";
	struct wch_arena a = WCH_ARENA_INIT;
	struct seen s = {0};
	struct wch_index_cb cb = {.pkg = seen_pkg,
				  .extra = seen_extra,
				  .ctx = &s,
				  .begin = seen_begin,
				  .unknown = seen_unknown};

	WT_OK(wch_index_text_parse(&a, db, sizeof(db) - 1, &cb, NULL));
	s.letters[s.n] = 0;
	WT_STREQ(s.letters, "rFMRaZqsf");
	WT_EQ(s.begins, 2);
	WT_EQ(s.unknown, 1);
	wch_arena_release(&a);
}

static void t_errors(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct one o = {0};
	struct wch_index_cb cb = {.pkg = one_pkg, .ctx = &o};
	struct wch_err err;
	unsigned char junk[4096];
	unsigned seed = 12345;
	int i, r;

	r = wch_index_text_parse(&a, "P:a\nV:1\nbad line\n", 17, &cb, &err);
	WT_EQ(r, -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "line 3") != NULL);
	r = wch_index_text_parse(&a, "P:a\nV:1\nS:12x\n", 14, &cb, &err);
	WT_EQ(r, -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "line 3") != NULL);
	r = wch_index_text_parse(&a, "C:Q1short\nP:a\nV:1\n", 18, &cb, &err);
	WT_EQ(r, -WCH_E_FORMAT);
	WT_OK(wch_index_text_parse(&a, "", 0, &cb, &err));
	/* Garbage and near-garbage: must not crash (ASan build checks). */
	for (i = 0; i < 2000; i++) {
		size_t k, n = (size_t)(rand_r(&seed) % sizeof(junk));
		for (k = 0; k < n; k++) {
			unsigned x = (unsigned)rand_r(&seed);
			unsigned char c = (unsigned char)"PVDCpi:\n 1<=!@a"[x % 15];
			junk[k] = i & 1 ? c : (unsigned char)x;
		}
		wch_index_text_parse(&a, (const char *)junk, n, &cb, NULL);
	}
	wch_arena_release(&a);
}

WT_MAIN(WT(t_alpine_indexes_roundtrip), WT(t_thirdparty_indexes_parse), WT(t_known_fields),
	WT(t_parse_full_branch), WT(t_stanza_rules), WT(t_extra_lines), WT(t_errors))
