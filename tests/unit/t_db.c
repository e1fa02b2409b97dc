/*
 * Installed database: every real installed db of the fixtures is read and
 * written back byte for byte; the builder API reproduces apk's verified
 * example of apk-format §6.1; triggers and scripts.tar are rebuilt from the
 * fixtures (scripts extracted with GNU tar) and compared with the originals.
 */
#include "apk/db.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const dbs[] = {
    "alpine-minirootfs-3.6.5-x86_64",	 "alpine-minirootfs-3.9.6-x86_64",
    "alpine-minirootfs-3.12.12-x86_64",	 "alpine-minirootfs-3.15.11-x86_64",
    "alpine-minirootfs-3.16.9-x86_64",	 "alpine-minirootfs-3.17.10-x86_64",
    "alpine-minirootfs-3.18.9-x86_64",	 "alpine-minirootfs-3.19.4-x86_64",
    "alpine-minirootfs-3.20.3-x86_64",	 "alpine-minirootfs-3.20.3-aarch64",
    "alpine-minirootfs-20240923-x86_64",
};
#define NDBS (sizeof(dbs) / sizeof(*dbs))

static int load(const char *dir, const char *file, struct wch_buf *b)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "alpine/installed-db/%s/%s", dir, file);
	return wch_read_file_at(AT_FDCWD, wt_fixture(rel), b, 64u << 20, NULL);
}

/* Independent counts by a plain line scan. */
static size_t count_lines(const struct wch_buf *b, const char *prefix)
{
	size_t i, c = 0, n = strlen(prefix);

	for (i = 0; i + n <= b->len; i++)
		if ((i == 0 || b->p[i - 1] == '\n') && memcmp(b->p + i, prefix, n) == 0)
			c++;
	return c;
}

static void check_roundtrip(const char *dir, const char *file)
{
	struct wch_buf in = WCH_BUF_INIT, out = WCH_BUF_INIT, again = WCH_BUF_INIT;
	struct wch_db db, db2;
	struct wch_err err;
	size_t i, j, ndirs = 0, nfiles = 0;

	wch_db_init(&db);
	wch_db_init(&db2);
	WT_OK(load(dir, file, &in));
	WT_OK(wch_db_read_installed(&db, in.p, in.len, &err));
	WT_EQ(db.npkgs, count_lines(&in, "P:"));
	for (i = 0; i < db.npkgs; i++) {
		ndirs += db.pkgs[i]->ndirs;
		for (j = 0; j < db.pkgs[i]->ndirs; j++)
			nfiles += db.pkgs[i]->dirs[j].nfiles;
	}
	WT_EQ(ndirs, count_lines(&in, "F:"));
	WT_EQ(nfiles, count_lines(&in, "R:"));
	/* apk 2.14's r:/q: leak (§6.1) would only show for a package that
	 * owns no directory and has replaces; the directory-less packages of
	 * these fixtures (libc-utils, alpine-base, docs) have none, so the
	 * original bytes must come back exactly. */
	WT_OK(wch_db_write_installed(&db, &out));
	if (out.len != in.len || memcmp(out.p, in.p, in.len) != 0) {
		size_t k = 0;
		while (k < out.len && k < in.len && out.p[k] == in.p[k])
			k++;
		wt_fail(__FILE__, __LINE__,
			"%s: differs at byte %zu: orig \"%.60s\" ours \"%.60s\"", dir, k, in.p + k,
			out.p + k);
		goto out;
	}
	/* And once more through our own output. */
	WT_OK(wch_db_read_installed(&db2, out.p, out.len, &err));
	WT_OK(wch_db_write_installed(&db2, &again));
	WT_EQ(again.len, out.len);
	WT_MEMEQ(again.p, out.p, out.len);
out:
	wch_db_release(&db);
	wch_db_release(&db2);
	wch_buf_release(&in);
	wch_buf_release(&out);
	wch_buf_release(&again);
}

static void t_installed_roundtrip(void)
{
	size_t i;

	for (i = 0; i < NDBS && !wt_failed_now; i++)
		check_roundtrip(dbs[i], "installed");
	if (!wt_failed_now)
		check_roundtrip("apk-tools-test-alpine-3.21.3-x86_64", "query-installed.data");
}

static struct wch_db_dir *dir_of(struct wch_db_pkg *dp, const char *name)
{
	size_t i;

	for (i = 0; i < dp->ndirs; i++)
		if (strcmp(dp->dirs[i].name, name) == 0)
			return &dp->dirs[i];
	return NULL;
}

/* Values checked against the text with grep when the test was written. */
static void t_known_fields(void)
{
	struct wch_buf in = WCH_BUF_INIT;
	struct wch_db db;
	struct wch_db_pkg *dp;
	struct wch_db_dir *d;
	char cs[64];

	wch_db_init(&db);
	WT_OK(load("alpine-minirootfs-3.19.4-x86_64", "installed", &in));
	WT_OK(wch_db_read_installed(&db, in.p, in.len, NULL));
	dp = wch_db_find(&db, "musl");
	WT_TRUE(dp != NULL);
	WT_STREQ(dp->pkg->version, "1.2.4_git20230717-r4");
	WT_STREQ(dp->pkg->arch, "x86_64");
	dp = wch_db_find(&db, "alpine-baselayout");
	WT_TRUE(dp != NULL);
	WT_STREQ(wch_checksum_format(&dp->pkg->identity, cs), "Q16vHLRZoP2NZ2lLj3reL8p+l/YE4=");
	WT_STREQ(dp->dirs[0].name, "dev");
	d = dir_of(dp, "etc/crontabs");
	WT_TRUE(d != NULL);
	WT_EQ(d->nfiles, 1);
	WT_STREQ(d->files[0].name, "root");
	WT_EQ(d->files[0].acl.mode, 0600);
	WT_STREQ(wch_checksum_format(&d->files[0].csum, cs), "Q1vfk1apUWI4yLJGhhNRd0kJixfvY=");
	dp = wch_db_find(&db, "busybox");
	WT_TRUE(dp != NULL);
	WT_EQ(dp->pkg->replaces.n, 1);
	WT_STREQ(dp->pkg->replaces.v[0].name, "busybox-initscripts");
	wch_db_release(&db);
	wch_buf_release(&in);
}

static void t_triggers_roundtrip(void)
{
	struct wch_buf in = WCH_BUF_INIT, tr = WCH_BUF_INIT, out = WCH_BUF_INIT;
	struct wch_db db;
	size_t i;

	for (i = 0; i < NDBS && !wt_failed_now; i++) {
		wch_db_init(&db);
		wch_buf_reset(&in);
		wch_buf_reset(&tr);
		wch_buf_reset(&out);
		WT_OK(load(dbs[i], "installed", &in));
		WT_OK(load(dbs[i], "triggers", &tr));
		WT_OK(wch_db_read_installed(&db, in.p, in.len, NULL));
		WT_OK(wch_db_read_triggers(&db, tr.p, tr.len, NULL));
		WT_TRUE(wch_db_find(&db, "busybox")->pkg->ntriggers > 0);
		WT_OK(wch_db_write_triggers(&db, &out));
		WT_EQ(out.len, tr.len);
		WT_MEMEQ(out.p, tr.p, tr.len);
		wch_db_release(&db);
	}
	wch_buf_release(&in);
	wch_buf_release(&tr);
	wch_buf_release(&out);
}

static int run_capture(const char *cmd, struct wch_buf *out)
{
	char tmp[8192];
	size_t n;
	FILE *f = popen(cmd, "r");

	if (!f)
		return -errno;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (wch_buf_add(out, tmp, n))
			break;
	return pclose(f) == 0 ? 0 : -EIO;
}

/* apk of Alpine <= 3.16 stamped every scripts.tar entry with the time it
 * wrote the file (later ones use the package build time, as we do, §6.3;
 * checked with tar -tvf against the t: fields), and the apk of <= 3.12
 * printed size and mtime as 11 octal digits + NUL instead of 12 digits.
 * For those, names, modes, owners, order and contents are compared. */
static bool write_time_mtimes(const char *dir)
{
	static const char *const old[] = {"3.6.5-", "3.9.6-", "3.12.12-", "3.15.11-", "3.16.9-"};
	size_t i;

	for (i = 0; i < sizeof(old) / sizeof(*old); i++)
		if (strstr(dir, old[i]))
			return true;
	return false;
}

/* Blanks size, mtime and header checksum of every entry (walking the
 * headers by their size fields); false if the archive does not parse. */
static bool mask_times(struct wch_buf *b)
{
	size_t off = 0;

	while (off + 512 <= b->len && b->p[off]) {
		char sz[13];
		unsigned long long n;
		memcpy(sz, b->p + off + 124, 12);
		sz[12] = 0;
		n = strtoull(sz, NULL, 8);
		memset(b->p + off + 124, 0, 24);
		memset(b->p + off + 148, 0, 8);
		off += 512 + (size_t)((n + 511) / 512 * 512);
	}
	return off + 1024 == b->len;
}

/* scripts.tar: the scripts (extracted by GNU tar) are attached to their
 * packages in the order the original lists them, written back, and the
 * result must equal the original byte for byte. */
static void check_scripts(const char *dir)
{
	struct wch_buf in = WCH_BUF_INIT, list = WCH_BUF_INIT, body = WCH_BUF_INIT;
	struct wch_buf orig = WCH_BUF_INIT, out = WCH_BUF_INIT, nm = WCH_BUF_INIT;
	struct wch_db db, sdb;
	struct wch_err err;
	char cmd[1024], path[512];
	char *line, *save = NULL;

	wch_db_init(&db);
	wch_db_init(&sdb);
	WT_OK(load(dir, "installed", &in));
	WT_OK(load(dir, "scripts.tar", &orig));
	WT_OK(wch_db_read_installed(&db, in.p, in.len, NULL));
	snprintf(path, sizeof(path), "%s/%s/scripts.tar", wt_fixture("alpine/installed-db"), dir);
	snprintf(cmd, sizeof(cmd), "tar -tf '%s'", path);
	WT_OK(run_capture(cmd, &list));
	for (line = strtok_r(list.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *type = strrchr(line, '.');
		struct wch_db_pkg *dp = NULL;
		size_t i;
		WT_TRUE(type != NULL);
		for (i = 0; i < db.npkgs && !dp; i++) {
			wch_buf_reset(&nm);
			WT_OK(wch_db_script_entry_name(db.pkgs[i]->pkg,
						       wch_db_script_type(type + 1), &nm));
			if (strcmp(nm.p, line) == 0)
				dp = db.pkgs[i];
		}
		WT_TRUE(dp != NULL);
		/* Packages in the order the original archive has them. */
		if (!wch_db_find(&sdb, dp->pkg->name))
			WT_TRUE(wch_db_add_pkg(&sdb, dp->pkg) != NULL);
		wch_buf_reset(&body);
		snprintf(cmd, sizeof(cmd), "tar -xOf '%s' '%s'", path, line);
		WT_OK(run_capture(cmd, &body));
		WT_OK(wch_db_add_script(&sdb, wch_db_find(&sdb, dp->pkg->name), type + 1, body.p,
					body.len, &err));
	}
	WT_OK(wch_db_write_scripts(&sdb, wch_writer_buf(&out), &err));
	WT_EQ(out.len, orig.len);
	if (write_time_mtimes(dir)) {
		WT_TRUE(mask_times(&out) && mask_times(&orig));
	}
	WT_MEMEQ(out.p, orig.p, orig.len);
	wch_db_release(&db);
	wch_db_release(&sdb);
	wch_buf_release(&in);
	wch_buf_release(&list);
	wch_buf_release(&body);
	wch_buf_release(&orig);
	wch_buf_release(&out);
	wch_buf_release(&nm);
}

static void t_scripts_tar(void)
{
	size_t i;

	for (i = 0; i < NDBS && !wt_failed_now; i++)
		check_scripts(dbs[i]);
}

/* The [verified output] example of apk-format §6.1 (apk 2.14.10 installing
 * a test package), rebuilt through the builder API. */
static const char spec_example[] =
    "C:Q1neSxgMANT3A6XHdSubhBACP/0Pc=\n"
    "P:hello\nV:1.0-r0\nA:x86_64\nS:1709\nI:39\nT:test package hello\n"
    "U:https://example.org/\nL:MIT\no:hello\nm:Test <test@example.org>\nt:1700000000\n"
    "c:0000000000000000000000000000000000000000\n"
    "F:etc\nF:etc/hello\nR:hello.conf\nZ:Q1xbburfKYSzNfNw6XTjKmI6aaJf4=\n"
    "F:usr\nF:usr/bin\nM:0:0:2755\n"
    "R:hello\na:0:0:755\nZ:Q1woRL9qqSvx/0pT/Hi1/ZQUchMcA=\n"
    "R:hello-link\na:0:0:777\nZ:Q1qvTGHdzF6KLavt4PO0gs2a6pQ00=\n\n";

static int q1(const char *s, struct wch_checksum *c)
{
	return wch_checksum_parse(wch_view_str(s), c);
}

static void t_builder_matches_spec(void)
{
	struct wch_db db;
	struct wch_pkg p = {0};
	struct wch_db_pkg *dp;
	struct wch_db_acl dir = {0, 0, 0755, {0}}, setgid = {0, 0, 02755, {0}};
	struct wch_db_acl reg = {0, 0, 0644, {0}}, exe = {0, 0, 0755, {0}}, lnk = {0, 0, 0777, {0}};
	struct wch_checksum c1, c2, c3;
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_err err;

	wch_db_init(&db);
	WT_OK(q1("Q1neSxgMANT3A6XHdSubhBACP/0Pc=", &p.identity));
	p.name = "hello", p.version = "1.0-r0", p.arch = "x86_64";
	p.file_size = 1709, p.installed_size = 39, p.description = "test package hello";
	p.url = "https://example.org/", p.license = "MIT", p.origin = "hello";
	p.maintainer = "Test <test@example.org>", p.build_time = 1700000000;
	p.commit = "0000000000000000000000000000000000000000";
	WT_OK(q1("Q1xbburfKYSzNfNw6XTjKmI6aaJf4=", &c1));
	WT_OK(q1("Q1woRL9qqSvx/0pT/Hi1/ZQUchMcA=", &c2));
	/* A symlink's checksum is the SHA-1 of its target text. */
	WT_OK(wch_digest(WCH_HASH_SHA1, "hello", 5, c3.d));
	c3.alg = WCH_HASH_SHA1, c3.len = 20;
	dp = wch_db_add_pkg(&db, &p);
	WT_TRUE(dp != NULL);
	WT_OK(wch_db_add_dir(&db, dp, "etc/", &dir, &err));
	WT_OK(wch_db_add_dir(&db, dp, "etc/hello/", &dir, &err));
	WT_OK(wch_db_add_file(&db, dp, "etc/hello/hello.conf", &reg, &c1, &err));
	WT_OK(wch_db_add_dir(&db, dp, "usr", &dir, &err));
	WT_OK(wch_db_add_dir(&db, dp, "usr/bin", &dir, &err));
	WT_OK(wch_db_add_file(&db, dp, "usr/bin/hello", &exe, &c2, &err));
	WT_OK(wch_db_add_file(&db, dp, "usr/bin/hello-link", &lnk, &c3, &err));
	/* A repeated directory entry updates the ACL in place. */
	WT_OK(wch_db_add_dir(&db, dp, "usr/bin", &setgid, &err));
	WT_OK(wch_db_write_installed(&db, &out));
	WT_STREQ(out.p, spec_example);
	wch_db_release(&db);
	wch_buf_release(&out);
}

/* The 2.14 quirk is not copied: r:/q: stay in a directory-less stanza. */
static void t_no_leak_quirk(void)
{
	static const char text[] = "P:meta\nV:1\nS:0\nI:0\nT:\nU:\nL:\nr:old\nq:7\n\n"
				   "P:next\nV:2\nS:0\nI:0\nT:\nU:\nL:\nF:usr\n\n";
	struct wch_db db;
	struct wch_buf out = WCH_BUF_INIT;

	wch_db_init(&db);
	WT_OK(wch_db_read_installed(&db, text, sizeof(text) - 1, NULL));
	WT_EQ(db.npkgs, 2);
	WT_EQ(db.pkgs[0]->pkg->replaces.n, 1);
	WT_EQ(db.pkgs[0]->pkg->replaces_priority, 7);
	WT_EQ(db.pkgs[1]->pkg->replaces.n, 0);
	WT_OK(wch_db_write_installed(&db, &out));
	WT_STREQ(out.p, text);
	wch_db_release(&db);
	wch_buf_release(&out);
}

static void t_world(void)
{
	static const char in[] = "  musl>=1.2 curl@edge\nBusybox .virtual-pkg=20190603.131426\n"
				 "hello><Q1neSxgMANT3A6XHdSubhBACP/0Pc= alpine-base\n\n";
	/* §6.2: one per line, sorted by name (strcasecmp, then strcmp). */
	static const char want[] = ".virtual-pkg=20190603.131426\nalpine-base\nBusybox\n"
				   "curl@edge\nhello><Q1neSxgMANT3A6XHdSubhBACP/0Pc=\nmusl>=1.2\n";
	struct wch_db db;
	struct wch_buf out = WCH_BUF_INIT;

	wch_db_init(&db);
	WT_OK(wch_db_read_world(&db, in, sizeof(in) - 1, NULL));
	WT_EQ(db.world.n, 6);
	WT_OK(wch_db_write_world(&db, &out));
	WT_STREQ(out.p, want);
	wch_db_release(&db);
	wch_buf_release(&out);
}

static void t_sort(void)
{
	struct wch_db db;
	struct wch_pkg a = {.name = "zlib", .version = "1"}, b = {.name = "Alpha", .version = "1"};
	struct wch_pkg c = {.name = "alpha", .version = "1"};
	struct wch_pkg d = {.name = "alpha", .version = "0.9"};

	wch_db_init(&db);
	WT_TRUE(wch_db_add_pkg(&db, &a) && wch_db_add_pkg(&db, &b));
	WT_TRUE(wch_db_add_pkg(&db, &c) && wch_db_add_pkg(&db, &d));
	wch_db_sort(&db);
	WT_TRUE(db.pkgs[0]->pkg == &b);
	WT_TRUE(db.pkgs[1]->pkg == &d);
	WT_TRUE(db.pkgs[2]->pkg == &c);
	WT_TRUE(db.pkgs[3]->pkg == &a);
	wch_db_release(&db);
}

static void t_errors(void)
{
	static const char *const bad[] = {
	    "P:a\nV:1\nR:file\n",	  /* R: before F: */
	    "P:a\nV:1\nF:d\na:0:0:644\n", /* a: before R: */
	    "P:a\nV:1\nF:d\nZ:Q1neSxgMANT3A6XHdSubhBACP/0Pc=\n",
	    "P:a\nV:1\nM:0:0:755\n",	/* M: before F: */
	    "P:a\nV:1\nF:d\nM:0:0:9\n", /* not octal */
	    "P:a\nV:1\nF:d\nM:0:x:755\n",
	    "P:a\nV:1\nF:d\nR:f\nZ:nope\n",
	    "P:a\nV:1\nq:-1\n",
	    "P:a\nV:1\ny:new\n", /* unknown field */
	    "P:a\nV:1\nF:d\nR:a/b\n",
	};
	struct wch_db db;
	struct wch_err err;
	unsigned char junk[2048];
	unsigned seed = 7;
	size_t i, k;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		wch_db_init(&db);
		wch_err_init(&err);
		if (wch_db_read_installed(&db, bad[i], strlen(bad[i]), &err) >= 0) {
			wt_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
			return;
		}
		WT_TRUE(strstr(err.msg, "line ") != NULL);
		wch_db_release(&db);
	}
	/* Lines of a dropped stanza (no P:) do not leak into the next. */
	wch_db_init(&db);
	WT_OK(wch_db_read_installed(&db, "V:1\nF:x\n\nP:b\nV:1\n", 18, NULL));
	WT_EQ(db.npkgs, 1);
	WT_EQ(db.pkgs[0]->ndirs, 0);
	wch_db_release(&db);
	for (i = 0; i < 1000; i++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(junk));
		for (k = 0; k < n; k++) {
			unsigned x = (unsigned)rand_r(&seed);
			unsigned char c = (unsigned char)"PVFRMaZrq:\n 0:7Q"[x % 16];
			junk[k] = i & 1 ? c : (unsigned char)x;
		}
		wch_db_init(&db);
		wch_db_read_installed(&db, (const char *)junk, n, NULL);
		wch_db_read_triggers(&db, (const char *)junk, n, NULL);
		wch_db_read_world(&db, (const char *)junk, n, NULL);
		wch_db_release(&db);
	}
}

WT_MAIN(WT(t_installed_roundtrip), WT(t_known_fields), WT(t_triggers_roundtrip), WT(t_scripts_tar),
	WT(t_builder_matches_spec), WT(t_no_leak_quirk), WT(t_world), WT(t_sort), WT(t_errors))
