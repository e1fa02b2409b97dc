/*
 * .PKGINFO: the .PKGINFO of every package of the three complete Alpine
 * repositories in the fixtures (extracted with GNU tar) parses and agrees
 * with that package's APKINDEX entry, which apk derived from it; writing
 * and re-reading keeps every field.
 */
#include "apk/index_text.h"
#include "apk/pkginfo.h"
#include "wt.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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

struct index {
	struct wch_pkg *v[256];
	size_t n;
};

static int add_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	struct index *ix = ctx;

	(void)err;
	if (ix->n == 256)
		return -WCH_E_TOO_BIG;
	ix->v[ix->n++] = p;
	return 0;
}

static struct wch_pkg *lookup(struct index *ix, const char *name)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		if (strcmp(ix->v[i]->name, name) == 0)
			return ix->v[i];
	return NULL;
}

/* Dependency lists compared as text, order included. */
static bool same_deps(const struct wch_deps *a, const struct wch_deps *b)
{
	struct wch_buf x = WCH_BUF_INIT, y = WCH_BUF_INIT;
	bool same;

	wch_deps_format(a, &x);
	wch_deps_format(b, &y);
	same = x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
	if (!same)
		fprintf(stderr, "  deps differ: '%s' vs '%s'\n", x.p ? x.p : "", y.p ? y.p : "");
	wch_buf_release(&x);
	wch_buf_release(&y);
	return same;
}

static bool same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* P V A I T U L o m t c k D p i: every index field that comes from
 * .PKGINFO (C and S describe the .apk file itself). */
static void check_against_index(const struct wch_pkg *p, const struct wch_pkg *x)
{
	WT_STREQ(p->version, x->version);
	/* abuild indexes with --rewrite-arch $CARCH (§5.3): noarch packages
	 * appear under the repository's arch. */
	if (!same_str(p->arch, "noarch"))
		WT_STREQ(p->arch, x->arch);
	WT_EQ(p->installed_size, x->installed_size);
	WT_TRUE(same_str(p->description, x->description));
	WT_TRUE(same_str(p->url, x->url));
	WT_TRUE(same_str(p->license, x->license));
	WT_TRUE(same_str(p->origin, x->origin));
	WT_TRUE(same_str(p->maintainer, x->maintainer));
	WT_TRUE(same_str(p->commit, x->commit));
	WT_EQ(p->build_time, x->build_time);
	WT_EQ(p->provider_priority, x->provider_priority);
	WT_TRUE(same_deps(&p->depends, &x->depends));
	WT_TRUE(same_deps(&p->provides, &x->provides));
	WT_TRUE(same_deps(&p->install_if, &x->install_if));
}

/* write -> parse keeps every field (auto-detected ones move into the
 * main lists, which is where the parser put them in the first place). */
static void check_rewrite(struct wch_arena *a, const struct wch_pkg *p)
{
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_pkg q;
	size_t i;

	WT_OK(wch_pkginfo_write(p, NULL, NULL, &out));
	WT_OK(wch_pkginfo_parse(a, out.p, out.len, &q, NULL));
	check_against_index(&q, p);
	WT_TRUE(same_str(q.packager, p->packager));
	WT_TRUE(same_deps(&q.replaces, &p->replaces));
	WT_EQ(q.replaces_priority, p->replaces_priority);
	WT_EQ(q.has_datahash, p->has_datahash);
	WT_MEMEQ(q.datahash, p->datahash, 32);
	WT_EQ(q.ntriggers, p->ntriggers);
	for (i = 0; i < q.ntriggers; i++)
		WT_STREQ(q.triggers[i], p->triggers[i]);
	wch_buf_release(&out);
}

static void check_repo(const char *rel, size_t expect)
{
	char dir[512], cmd[1024];
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf text = WCH_BUF_INIT, info = WCH_BUF_INIT;
	struct index *ix = calloc(1, sizeof(*ix));
	struct wch_index_cb cb = {.pkg = add_pkg, .ctx = ix};
	struct wch_err err;
	struct dirent *de;
	size_t checked = 0;
	DIR *d;

	WT_TRUE(ix != NULL);
	snprintf(dir, sizeof(dir), "%s", wt_fixture(rel));
	snprintf(cmd, sizeof(cmd), "tar -xzOf '%s/APKINDEX.tar.gz' APKINDEX 2>/dev/null", dir);
	WT_OK(run_capture(cmd, &text));
	WT_OK(wch_index_text_parse(&a, text.p, text.len, &cb, NULL));
	d = opendir(dir);
	WT_TRUE(d != NULL);
	while ((de = readdir(d)) && !wt_failed_now) {
		struct wch_pkg p, *x;
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".apk") != 0)
			continue;
		wch_buf_reset(&info);
		snprintf(cmd, sizeof(cmd), "tar -xzOf '%s/%s' .PKGINFO 2>/dev/null", dir,
			 de->d_name);
		WT_OK(run_capture(cmd, &info));
		if (wch_pkginfo_parse(&a, info.p, info.len, &p, &err)) {
			wt_fail(__FILE__, __LINE__, "%s: %s", de->d_name, err.msg);
			break;
		}
		x = lookup(ix, p.name);
		WT_TRUE(x != NULL);
		check_against_index(&p, x);
		if (!wt_failed_now)
			check_rewrite(&a, &p);
		if (wt_failed_now)
			fprintf(stderr, "  in %s\n", de->d_name);
		checked++;
	}
	closedir(d);
	if (!wt_failed_now)
		WT_EQ(checked, expect);
	free(ix);
	wch_buf_release(&text);
	wch_buf_release(&info);
	wch_arena_release(&a);
}

static void t_x86_64_3_19(void)
{
	check_repo("alpine/apks/x86_64/alpine-3.19.1-iso-boot", 100);
}

static void t_aarch64_3_13(void)
{
	check_repo("alpine/apks/aarch64/alpine-rpi-3.13.4-boot", 65);
}

static void t_armhf_3_3(void)
{
	check_repo("alpine/apks/armhf/alpine-uboot-3.3.3-boot", 50);
}

/* The exact text, in abuild's order (apk-format §3). */
static void t_write_format(void)
{
	static const char want[] =
	    "# Generated by witchery " WCH_VERSION "\n"
	    "pkgname = hello\npkgver = 1.0-r0\npkgdesc = test package\n"
	    "url = https://example.org/\nbuilddate = 1700000000\nsize = 39\n"
	    "arch = x86_64\norigin = hello\nmaintainer = Test <t@example.org>\n"
	    "replaces_priority = 100\nprovider_priority = 10\nlicense = MIT\n"
	    "replaces = old-hello\ndepend = musl\ndepend = !conflict\n"
	    "provides = world=2.0-r1\ntriggers = /usr/share/a/* /usr/lib\n"
	    "install_if = hello-core docs\n# automatically detected:\n"
	    "provides = cmd:hello=1.0-r0\ndepend = so:libc.musl-x86_64.so.1\n"
	    "datahash = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
	static const char *const trig[] = {"/usr/share/a/*", "/usr/lib"};
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg p = {0}, q;
	struct wch_deps ap, ad;
	struct wch_buf out = WCH_BUF_INIT;

	p.name = "hello", p.version = "1.0-r0", p.description = "test package";
	p.url = "https://example.org/", p.build_time = 1700000000, p.installed_size = 39;
	p.arch = "x86_64", p.maintainer = "Test <t@example.org>", p.license = "MIT";
	p.replaces_priority = 100, p.provider_priority = 10;
	WT_OK(wch_deps_parse(&a, wch_view_str("old-hello"), &p.replaces, NULL));
	WT_OK(wch_deps_parse(&a, wch_view_str("musl !conflict"), &p.depends, NULL));
	WT_OK(wch_deps_parse(&a, wch_view_str("world=2.0-r1"), &p.provides, NULL));
	WT_OK(wch_deps_parse(&a, wch_view_str("hello-core docs"), &p.install_if, NULL));
	WT_OK(wch_deps_parse(&a, wch_view_str("cmd:hello=1.0-r0"), &ap, NULL));
	WT_OK(wch_deps_parse(&a, wch_view_str("so:libc.musl-x86_64.so.1"), &ad, NULL));
	p.triggers = (const char **)trig, p.ntriggers = 2;
	p.has_datahash = true;
	WT_TRUE(wch_hex_decode("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
			       64, p.datahash, 32));
	WT_OK(wch_pkginfo_write(&p, &ap, &ad, &out));
	WT_STREQ(out.p, want);
	/* Reading it back merges the detected lists into the main ones. */
	WT_OK(wch_pkginfo_parse(&a, out.p, out.len, &q, NULL));
	WT_EQ(q.depends.n, 3);
	WT_EQ(q.provides.n, 2);
	WT_TRUE(q.depends.v[1].conflict);
	WT_EQ(q.ntriggers, 2);
	WT_STREQ(q.triggers[0], "/usr/share/a/*");
	wch_buf_release(&out);
	wch_arena_release(&a);
}

static void t_errors(void)
{
	static const char *const bad[] = {
	    "pkgver = 1.0-r0\n", /* no pkgname */
	    "pkgname = x\n",	 /* no pkgver */
	    "pkgname = x\npkgver = 1\nsize = 12k\n",
	    "pkgname = x\npkgver = 1\nbuilddate = -5\n",
	    "pkgname = x\npkgver = 1\ndatahash = 00\n",
	    "pkgname = x\npkgver = 1\ndepend = foo=\n",
	};
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg p;
	struct wch_err err;
	char *big;
	unsigned char junk[1024];
	unsigned seed = 99;
	size_t i, k;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		WT_EQ(wch_pkginfo_parse(&a, bad[i], strlen(bad[i]), &p, &err), -WCH_E_FORMAT);
	/* Comments, lines without " = " and unknown keys are ignored. */
	WT_OK(
	    wch_pkginfo_parse(&a, "# c\nnoise\nfuture = 1\npkgname = x\npkgver = 1", 43, &p, &err));
	WT_STREQ(p.name, "x");
	WT_STREQ(p.version, "1");
	WT_EQ(wch_pkginfo_parse(&a, "pkgname = x\0\npkgver = 1\n", 24, &p, &err), -WCH_E_FORMAT);
	big = calloc(1, (1u << 20) + 1);
	WT_TRUE(big != NULL);
	WT_EQ(wch_pkginfo_parse(&a, big, (1u << 20) + 1, &p, &err), -WCH_E_TOO_BIG);
	free(big);
	for (i = 0; i < 2000; i++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(junk));
		for (k = 0; k < n; k++) {
			unsigned x = (unsigned)rand_r(&seed);
			unsigned char c = (unsigned char)"pkgname = dep\n1<>"[x % 17];
			junk[k] = i & 1 ? c : (unsigned char)x;
		}
		wch_pkginfo_parse(&a, (const char *)junk, n, &p, NULL);
	}
	wch_arena_release(&a);
}

WT_MAIN(WT(t_x86_64_3_19), WT(t_aarch64_3_13), WT(t_armhf_3_3), WT(t_write_format), WT(t_errors))
