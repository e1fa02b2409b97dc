#include "apk/dep.h"
#include "wt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(struct wch_arena *a, const char *s, struct wch_dep *d)
{
	return wch_dep_parse(a, wch_view_str(s), d, NULL);
}

static void t_dep_parse(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_dep d;

	WT_OK(parse(&a, "musl", &d));
	WT_STREQ(d.name, "musl");
	WT_TRUE(d.version == NULL && d.tag == NULL && d.op == 0 && !d.conflict);

	WT_OK(parse(&a, "!foo>=1.2-r3", &d));
	WT_TRUE(d.conflict);
	WT_STREQ(d.name, "foo");
	WT_STREQ(d.version, "1.2-r3");
	WT_EQ(d.op, WCH_VER_GREATER | WCH_VER_EQUAL);

	/* Set semantics: the order of operator characters does not matter. */
	WT_OK(parse(&a, "foo=>1", &d));
	WT_EQ(d.op, WCH_VER_GREATER | WCH_VER_EQUAL);
	WT_OK(parse(&a, "foo~3.8", &d));
	WT_EQ(d.op, WCH_VER_FUZZY | WCH_VER_EQUAL);
	WT_OK(parse(&a, "foo>~3.8", &d));
	WT_EQ(d.op, WCH_VER_GREATER | WCH_VER_FUZZY | WCH_VER_EQUAL);
	WT_OK(parse(&a, "so:libc.musl-x86_64.so.1", &d));
	WT_STREQ(d.name, "so:libc.musl-x86_64.so.1");

	/* Tag before the operator; the name is cut at the first '@'. */
	WT_OK(parse(&a, "busybox@edge>=1.36", &d));
	WT_STREQ(d.name, "busybox");
	WT_STREQ(d.tag, "edge");
	WT_STREQ(d.version, "1.36");
	WT_OK(parse(&a, "a@b@c", &d));
	WT_STREQ(d.name, "a");
	WT_STREQ(d.tag, "b@c");

	/* "><": identity; the Q1 value is not a version and is not validated. */
	WT_OK(parse(&a, "foo><Q1Jm8cJa4gFd/Gb2N7sZ6vEbzXc0M=", &d));
	WT_EQ(d.op, WCH_VER_CHECKSUM);
	WT_STREQ(d.version, "Q1Jm8cJa4gFd/Gb2N7sZ6vEbzXc0M=");
	wch_arena_release(&a);
}

static void t_dep_parse_errors(void)
{
	static const char *const bad[] = {"foo=", "foo==",     "foo>=1@tag",  "=1.0", "!",
					  "!>1",  "foo>1.0-1", "foo=1.0_foo", "foo@", "@x",
					  "",	  "foo<~",     "foo>=1 2"};
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_err e;
	struct wch_dep d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wch_err_init(&e);
		if (wch_dep_parse(&a, wch_view_str(bad[i]), &d, &e) != -WCH_E_FORMAT) {
			wt_fail(__FILE__, __LINE__, "'%s' should be rejected", bad[i]);
			break;
		}
		/* The message names the token. */
		if (bad[i][0] && !strstr(e.msg, bad[i])) {
			wt_fail(__FILE__, __LINE__, "message '%s' lacks '%s'", e.msg, bad[i]);
			break;
		}
	}
	/* A NUL inside the token must not silently truncate it. */
	WT_EQ(wch_dep_parse(&a, (struct wch_view){"foo\0bar", 7}, &d, NULL), -WCH_E_FORMAT);
	wch_arena_release(&a);
}

static void t_deps_list(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_deps l;
	struct wch_err e;

	WT_OK(wch_deps_parse(&a, wch_view_str("  a b>1\nc  !d=2 \n"), &l, NULL));
	WT_EQ(l.n, 4);
	WT_STREQ(l.v[0].name, "a");
	WT_STREQ(l.v[1].name, "b");
	WT_STREQ(l.v[2].name, "c");
	WT_TRUE(l.v[3].conflict);
	WT_OK(wch_deps_format(&l, &b));
	WT_STREQ(b.p, "a b>1 c !d=2");

	/* Tab is not a separator in 2.14: one token with a tab in its name. */
	WT_OK(wch_deps_parse(&a, wch_view_str("a\tb"), &l, NULL));
	WT_EQ(l.n, 1);
	WT_STREQ(l.v[0].name, "a\tb");

	WT_OK(wch_deps_parse(&a, wch_view_str(""), &l, NULL));
	WT_EQ(l.n, 0);
	WT_OK(wch_deps_parse(&a, wch_view_str(" \n "), &l, NULL));
	WT_EQ(l.n, 0);

	wch_err_init(&e);
	WT_EQ(wch_deps_parse(&a, wch_view_str("a b= c"), &l, &e), -WCH_E_FORMAT);
	WT_TRUE(strstr(e.msg, "'b='") != NULL);
	WT_EQ(l.n, 0);
	wch_buf_release(&b);
	wch_arena_release(&a);
}

static void t_dep_format(void)
{
	static const char *const pairs[][2] = {
	    {"foo", "foo"},	      {"foo=>1", "foo>=1"},
	    {"foo=<1", "foo<=1"},     {"!foo<2", "!foo<2"},
	    {"foo~1.2", "foo~1.2"},   {"foo=~1.2", "foo~1.2"},
	    {"x@edge=1", "x@edge=1"}, {"foo<~1", "foo<~1"},
	    {"foo>~1", "foo>~1"},     {"foo<>Q1abc=", "foo><Q1abc="},
	};
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_dep d, d2;
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		wch_buf_reset(&b);
		WT_OK(parse(&a, pairs[i][0], &d));
		WT_OK(wch_dep_format(&d, &b));
		WT_STREQ(b.p, pairs[i][1]);
		/* Formatting is reparseable to the same dependency. */
		WT_OK(parse(&a, b.p, &d2));
		WT_EQ(d2.op, d.op);
	}
	WT_STREQ(wch_dep_op_string(0), "");
	WT_STREQ(wch_dep_op_string(WCH_VER_LESS), "<");
	WT_STREQ(wch_dep_op_string(WCH_VER_LESS | WCH_VER_EQUAL), "<=");
	WT_STREQ(wch_dep_op_string(WCH_VER_EQUAL | WCH_VER_FUZZY), "~");
	WT_STREQ(wch_dep_op_string(WCH_VER_EQUAL), "=");
	WT_STREQ(wch_dep_op_string(WCH_VER_GREATER | WCH_VER_EQUAL), ">=");
	WT_STREQ(wch_dep_op_string(WCH_VER_GREATER), ">");
	WT_STREQ(wch_dep_op_string(WCH_VER_CHECKSUM), "><");
	WT_STREQ(wch_dep_op_string(WCH_VER_LESS | WCH_VER_FUZZY | WCH_VER_EQUAL), "?");
	wch_buf_release(&b);
	wch_arena_release(&a);
}

static bool m(struct wch_arena *a, const char *dep, const char *pv)
{
	struct wch_dep d;

	if (parse(a, dep, &d) != 0)
		return false;
	return wch_dep_version_match(&d, pv);
}

/* apk-format §7.2. */
static void t_dep_match(void)
{
	struct wch_arena a = WCH_ARENA_INIT;

	WT_TRUE(m(&a, "foo", "1.0"));
	WT_TRUE(m(&a, "foo", NULL)); /* no operator: even unversioned provides */
	WT_TRUE(!m(&a, "foo>=1", NULL));
	WT_TRUE(!m(&a, "foo=1", NULL));
	WT_TRUE(m(&a, "foo>=1.2", "1.2"));
	WT_TRUE(m(&a, "foo>=1.2", "1.10"));
	WT_TRUE(!m(&a, "foo>1.2", "1.2"));
	WT_TRUE(m(&a, "foo<1.2", "1.2_rc1"));
	WT_TRUE(!m(&a, "foo=3.8", "3.8-r0"));
	WT_TRUE(m(&a, "foo=3.8-r0", "3.8-r0"));
	/* Fuzzy is a symmetric prefix in 2.14. */
	WT_TRUE(m(&a, "foo~3.8", "3.8"));
	WT_TRUE(m(&a, "foo~3.8", "3.8.1"));
	WT_TRUE(m(&a, "foo~3.8", "3.8_rc1"));
	WT_TRUE(m(&a, "foo~3.8", "3.8-r5"));
	WT_TRUE(m(&a, "foo~3.8", "3.8a"));
	WT_TRUE(m(&a, "foo~3.8.1", "3.8"));
	WT_TRUE(!m(&a, "foo~3", "30"));
	WT_TRUE(!m(&a, "foo~3.8", "3.9"));
	WT_TRUE(m(&a, "foo>~3.8", "3.9"));
	WT_TRUE(m(&a, "foo>~3.8", "3.8.7"));
	WT_TRUE(!m(&a, "foo>~3.8", "3.7"));
	/* Conflict flag is ignored here: only the version constraint. */
	WT_TRUE(m(&a, "!foo>1", "2"));
	WT_TRUE(!m(&a, "!foo>1", "1"));
	/* Identity: exact string match with the C: value. */
	WT_TRUE(m(&a, "foo><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	WT_TRUE(!m(&a, "foo><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Q1BAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
	WT_TRUE(!m(&a, "foo><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL));
	wch_arena_release(&a);
}

/* The in-place parse agrees with the copying one on good and bad tokens,
 * points into the token, and leaves a rejected token untouched. */
static void t_dep_parse_inplace(void)
{
	static const char *const toks[] = {"musl",
					   "!foo>=1.2-r3",
					   "foo=>1",
					   "foo~3.8",
					   "so:libc.musl-x86_64.so.1",
					   "busybox@edge>=1.36",
					   "a@b@c",
					   "foo><Q1Jm8cJa4gFd/Gb2N7sZ6vEbzXc0M=",
					   "cmd:ls=1.36.1-r19",
					   "foo=",
					   "foo>=1@tag",
					   "=1.0",
					   "!",
					   "foo=1.0_foo",
					   "foo@",
					   "@x",
					   "",
					   "foo<~"};
	struct wch_arena a = WCH_ARENA_INIT;
	size_t i;

	for (i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
		size_t n = strlen(toks[i]);
		char buf[64];
		struct wch_dep c, d;
		int rc = wch_dep_parse(&a, wch_view_str(toks[i]), &c, NULL);
		int ri;

		memcpy(buf, toks[i], n);
		buf[n] = ' ';
		ri = wch_dep_parse_inplace(buf, n, &d, NULL);
		if (rc != ri) {
			wt_fail(__FILE__, __LINE__, "'%s': %d in place, %d copied", toks[i], ri,
				rc);
			continue;
		}
		if (ri < 0) {
			WT_TRUE(memcmp(buf, toks[i], n) == 0 && buf[n] == ' ');
			continue;
		}
		WT_TRUE(d.name >= buf && d.name < buf + n && buf[n] == 0);
		WT_STREQ(d.name, c.name);
		WT_TRUE((d.version == NULL) == (c.version == NULL));
		if (d.version)
			WT_STREQ(d.version, c.version);
		WT_TRUE((d.tag == NULL) == (c.tag == NULL));
		if (d.tag)
			WT_STREQ(d.tag, c.tag);
		WT_EQ(d.op, c.op);
		WT_EQ(d.conflict, c.conflict);
	}
	{
		char nul[] = "foo\0bar";
		struct wch_dep d;
		WT_EQ(wch_dep_parse_inplace(nul, 7, &d, NULL), -WCH_E_FORMAT);
	}
	wch_arena_release(&a);
}

/* Every D:, p: and i: line of a real index (written by apk) parses and
 * formats back to exactly the same text. */
static void t_deps_real_index(void)
{
	char cmd[1024];
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf b = WCH_BUF_INIT;
	char *line = NULL;
	size_t cap = 0, lines = 0, deps = 0, fuzzy = 0;
	ssize_t len;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tar -xzOf '%s' APKINDEX",
		 wt_fixture("alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.b2c94760.tar.gz"));
	f = popen(cmd, "r");
	WT_TRUE(f != NULL);
	while ((len = getline(&line, &cap, f)) > 0) {
		struct wch_deps l;
		size_t i;
		if (line[len - 1] == '\n')
			line[--len] = 0;
		if (len < 2 || line[1] != ':' || !strchr("Dpi", line[0]))
			continue;
		lines++;
		if (wch_deps_parse(&a, (struct wch_view){line + 2, (size_t)len - 2}, &l, NULL)) {
			wt_fail(__FILE__, __LINE__, "cannot parse '%s'", line);
			break;
		}
		deps += l.n;
		for (i = 0; i < l.n; i++)
			fuzzy += l.v[i].op == (WCH_VER_FUZZY | WCH_VER_EQUAL);
		wch_buf_reset(&b);
		if (wch_deps_format(&l, &b) || strcmp(b.p, line + 2) != 0) {
			wt_fail(__FILE__, __LINE__, "'%s' formats as '%s'", line + 2, b.p);
			break;
		}
	}
	free(line);
	WT_EQ(pclose(f), 0);
	WT_TRUE(lines > 5000);
	WT_TRUE(deps > lines);
	WT_TRUE(fuzzy > 0);
	wch_buf_release(&b);
	wch_arena_release(&a);
}

/* Command-line dependencies: one per argument for resolve, a space-
 * separated list for compose -d; control characters never. */
static void t_dep_parse_world(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_deps l;
	struct wch_dep d;

	WT_OK(wch_dep_parse_world(&a, "busybox>=1.36", &d, NULL));
	WT_STREQ(d.name, "busybox");
	WT_EQ(wch_dep_parse_world(&a, "busybox 1", &d, NULL), -WCH_E_FORMAT);
	WT_EQ(wch_dep_parse_world(&a, "busybox\t1", &d, NULL), -WCH_E_FORMAT);
	WT_EQ(wch_dep_parse_world(&a, "", &d, NULL), -WCH_E_FORMAT);
	WT_OK(wch_deps_parse_world_list(&a, "musl zlib>1", &l, NULL));
	WT_EQ(l.n, 2);
	WT_STREQ(l.v[1].name, "zlib");
	WT_EQ(wch_deps_parse_world_list(&a, "musl\tzlib", &l, NULL), -WCH_E_FORMAT);
	WT_EQ(wch_deps_parse_world_list(&a, "musl\x7f", &l, NULL), -WCH_E_FORMAT);
	wch_arena_release(&a);
}

WT_MAIN(WT(t_dep_parse), WT(t_dep_parse_errors), WT(t_deps_list), WT(t_dep_format), WT(t_dep_match),
	WT(t_dep_parse_inplace), WT(t_deps_real_index), WT(t_dep_parse_world))
