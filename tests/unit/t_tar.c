/*
 * Tar reader and writer, cross-checked with GNU tar and OpenSSL SHA-1 on
 * the real Alpine fixtures, plus hostile inputs.
 */
#include "archive/gunzip.h"
#include "archive/tar.h"
#include "crypto/hash.h"
#include "util/buf.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int run_capture(const char *cmd, struct wch_buf *out)
{
	FILE *f = popen(cmd, "r");
	char buf[65536];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		wch_buf_add(out, buf, n);
	return pclose(f) == 0 ? 0 : -1;
}

static int write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int r;

	if (fd < 0)
		return -1;
	r = wch_fd_write_all(fd, p, n);
	close(fd);
	return r;
}

/* Tracks which gzip member is current, to check entry/member alignment. */
struct member_track {
	int member;
	int64_t out_at_first_boundary;
};

static int track_boundary(void *ctx, bool end, struct wch_err *err)
{
	struct member_track *t = ctx;

	(void)end, (void)err;
	t->member++;
	return 0;
}

static void t_read_fixture_apks(void)
{
	struct wch_buf list = WCH_BUF_INIT, cmd = WCH_BUF_INIT;
	char *line, *save = NULL;
	int files = 0;
	long checked_sha1 = 0, legacy_entries = 0;

	wch_buf_addf(&cmd, "find '%s' -name '*.apk' | LC_ALL=C sort", wt_fixture("alpine/apks"));
	WT_OK(run_capture(cmd.p, &list));
	for (line = strtok_r(list.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct wch_buf file = WCH_BUF_INIT, ours = WCH_BUF_INIT, gnu = WCH_BUF_INIT;
		struct member_track mt = {0};
		struct wch_gunzip_cb cb = {NULL, track_boundary, &mt};
		struct wch_mem_reader m;
		struct wch_gunzip *g;
		struct wch_tar_reader *tr;
		const struct wch_tar_entry *e;
		struct wch_err err;
		int r, nmembers = 0, data_member = -1;
		bool legacy_pkg = false;

		WT_OK(wch_read_file_at(AT_FDCWD, line, &file, 64u << 20, NULL));
		WT_OK(wch_gunzip_new(&g, wch_reader_mem(&m, file.p, file.len), &cb, 0, &err));
		WT_OK(wch_tar_reader_new(&tr, wch_gunzip_reader(g), &err));
		while ((r = wch_tar_next(tr, &e, &err)) == 1) {
			bool dot = e->name[0] == '.';
			/* Listing in GNU tar -tv style: "type size name [-> target]" */
			wch_buf_addf(
			    &ours, "%c %llu %s%s",
			    e->type == WCH_TAR_DIR	  ? 'd'
			    : e->type == WCH_TAR_SYMLINK  ? 'l'
			    : e->type == WCH_TAR_HARDLINK ? 'h'
			    : e->type == WCH_TAR_REG	  ? '-'
							  : '?',
			    (unsigned long long)(e->type == WCH_TAR_HARDLINK ? 0 : e->size),
			    e->name, e->type == WCH_TAR_DIR ? "/" : "");
			if (e->type == WCH_TAR_SYMLINK)
				wch_buf_addf(&ours, " -> %s", e->link);
			if (e->type == WCH_TAR_HARDLINK)
				wch_buf_addf(&ours, " link to %s", e->link);
			wch_buf_addch(&ours, '\n');
			/* Never read ahead: signature entries come out of the first
			 * member, data entries out of the last one (§2.6). */
			if (!strncmp(e->name, ".SIGN.", 6))
				WT_EQ(mt.member, 0);
			if (!dot) {
				if (data_member < 0)
					data_member = mt.member;
				WT_EQ(mt.member, data_member);
			} else {
				WT_TRUE(data_member < 0);
			}
			/* apk-format §2.7, checked with OpenSSL. */
			if (!dot && (e->type == WCH_TAR_REG || e->type == WCH_TAR_SYMLINK)) {
				struct wch_buf content = WCH_BUF_INIT;
				unsigned char d[20];
				struct wch_reader dr = wch_tar_data(tr);
				char buf[8192];
				ssize_t got;

				/* Pre-PAX packages (2015, apk-format §2.7 "legacy") carry
				 * only the APK2 linkname checksum, which apk ignores. */
				if (!e->has_sha1) {
					legacy_entries++;
					if (!legacy_pkg)
						printf("no PAX checksums: %s\n", line);
					legacy_pkg = true;
					continue;
				}
				WT_TRUE(!legacy_pkg);
				if (e->type == WCH_TAR_SYMLINK)
					wch_buf_addstr(&content, e->link);
				while ((got = wch_read(&dr, buf, sizeof(buf), &err)) > 0)
					wch_buf_add(&content, buf, (size_t)got);
				WT_EQ(got, 0);
				WT_OK(wch_digest(WCH_HASH_SHA1, content.p, content.len, d));
				WT_MEMEQ(d, e->sha1, 20);
				wch_buf_release(&content);
				checked_sha1++;
			}
		}
		if (r != 0)
			wt_fail(__FILE__, __LINE__, "%s: %s", line, err.msg);
		WT_EQ(r, 0);
		nmembers = (int)wch_gunzip_members(g);
		if (data_member >= 0) /* meta packages have no data entries */
			WT_EQ(data_member, nmembers - 1);
		/* The reader read up to the end, so the end event was delivered. */
		WT_EQ(mt.member, nmembers);
		wch_tar_reader_free(tr);
		wch_gunzip_free(g);

		wch_buf_reset(&cmd);
		wch_buf_addf(&cmd,
			     "tar --quoting-style=literal --numeric-owner -tvzf '%s' 2>/dev/null | "
			     "awk '{t=substr($1,1,1); if (t==\"h\") $3=0; "
			     "n=$0; for(i=1;i<=5;i++) sub(/^[^ ]+ +/, \"\", n); "
			     "print t, $3, n}'",
			     line);
		WT_OK(run_capture(cmd.p, &gnu));
		if (!ours.p || !gnu.p || strcmp(ours.p, gnu.p) != 0)
			wt_fail(__FILE__, __LINE__, "%s: listing differs from GNU tar", line);
		WT_STREQ(ours.p, gnu.p);
		wch_buf_release(&file);
		wch_buf_release(&ours);
		wch_buf_release(&gnu);
		files++;
	}
	WT_TRUE(files >= 290);
	printf("%d packages, %ld file checksums verified, %ld legacy entries without\n", files,
	       checked_sha1, legacy_entries);
	WT_TRUE(checked_sha1 > 5000);
	WT_TRUE(legacy_entries < checked_sha1 / 50);
	wch_buf_release(&list);
	wch_buf_release(&cmd);
}

/* ---- writer ---- */

static char *repeat(const char *unit, int times, const char *tail)
{
	struct wch_buf b = WCH_BUF_INIT;
	int i;

	for (i = 0; i < times; i++)
		wch_buf_addstr(&b, unit);
	wch_buf_addstr(&b, tail);
	return wch_buf_detach(&b, NULL);
}

struct sample {
	char *d1, *d2, *f_long, *f_split, *lnk_target;
	struct wch_xattr xa[2];
	unsigned char sha_f[20], sha_l[20];
};

static int write_sample(struct wch_tar_writer *tw, struct sample *s, struct wch_err *err)
{
	const char *data = "hello, tar\n";
	int r = 0;

	/* 120-char dir (no ustar split possible), a 300-char path below it,
	 * a 180-char name that splits into prefix/name, a 150-char symlink
	 * target. */
	s->d1 = repeat("d", 120, "");
	s->d2 = repeat("d", 120, "/sub");
	s->f_long = repeat("d", 120, "/sub/");
	{
		char *t = repeat("f", 176, "");
		struct wch_buf b = WCH_BUF_INIT;
		wch_buf_addf(&b, "%s%s", s->f_long, t);
		free(s->f_long);
		free(t);
		s->f_long = wch_buf_detach(&b, NULL);
	}
	s->f_split =
	    repeat("s", 90,
		   "/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		   "xxxxxxxxxxxx");
	s->lnk_target = repeat("L", 150, "");
	wch_digest(WCH_HASH_SHA1, data, strlen(data), s->sha_f);
	wch_digest(WCH_HASH_SHA1, s->lnk_target, strlen(s->lnk_target), s->sha_l);
	s->xa[0].name = "user.witchery";
	s->xa[0].value = (unsigned char *)"v\0\n=x";
	s->xa[0].len = 5;
	s->xa[1].name = "user.a";
	s->xa[1].value = (unsigned char *)"1";
	s->xa[1].len = 1;

	struct wch_tar_hdr hs[] = {
	    {.name = "etc",
	     .type = WCH_TAR_DIR,
	     .mode = 0755,
	     .uname = "root",
	     .gname = "root",
	     .mtime = 1700000000},
	    {.name = "etc/motd",
	     .type = WCH_TAR_REG,
	     .mode = 0640,
	     .uname = "root",
	     .gname = "wheel",
	     .size = strlen(data),
	     .mtime = 1700000000,
	     .sha1 = s->sha_f,
	     .xattrs = s->xa,
	     .nxattrs = 2},
	    {.name = "etc/hard",
	     .type = WCH_TAR_HARDLINK,
	     .link = "etc/motd",
	     .mode = 0640,
	     .mtime = 1700000000},
	    {.name = "etc/lnk",
	     .type = WCH_TAR_SYMLINK,
	     .link = s->lnk_target,
	     .mode = 0777,
	     .mtime = 1700000000,
	     .sha1 = s->sha_l},
	    {.name = "etc/fifo", .type = WCH_TAR_FIFO, .mode = 0600, .mtime = 1},
	    {.name = s->d1,
	     .type = WCH_TAR_DIR,
	     .mode = 0700,
	     .uid = 1000,
	     .gid = 100,
	     .mtime = 1700000000},
	    {.name = s->d2, .type = WCH_TAR_DIR, .mode = 0755, .mtime = 1700000000},
	    {.name = s->f_long,
	     .type = WCH_TAR_REG,
	     .mode = 04755,
	     .size = strlen(data),
	     .mtime = 1700000000,
	     .sha1 = s->sha_f},
	    {.name = "sss", .type = WCH_TAR_DIR, .mode = 0755},
	};
	size_t i;
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]) && r == 0; i++)
		r = wch_tar_write_file(tw, &hs[i], data, err);
	return r;
}

static void free_sample(struct sample *s)
{
	free(s->d1), free(s->d2), free(s->f_long), free(s->f_split), free(s->lnk_target);
}

static int read_all(const void *p, size_t n, struct wch_buf *listing, struct wch_err *err)
{
	struct wch_mem_reader m;
	struct wch_tar_reader *tr;
	const struct wch_tar_entry *e;
	int r = wch_tar_reader_new(&tr, wch_reader_mem(&m, p, n), err);

	while (r == 0 && (r = wch_tar_next(tr, &e, err)) == 1) {
		r = 0;
		if (!listing)
			continue;
		wch_buf_addf(listing, "%c %o %u %u %s %s %llu %lld %s -> %s sha1=%d xattrs=%zu",
			     e->type, (unsigned)e->mode, (unsigned)e->uid, (unsigned)e->gid,
			     e->uname, e->gname, (unsigned long long)e->size, (long long)e->mtime,
			     e->name, e->link ? e->link : "-", e->has_sha1, e->nxattrs);
		for (size_t i = 0; i < e->nxattrs; i++)
			wch_buf_addf(listing, " %s:%zu", e->xattrs[i].name, e->xattrs[i].len);
		wch_buf_addch(listing, '\n');
	}
	wch_tar_reader_free(tr);
	return r;
}

static void t_write_read_back(void)
{
	struct wch_buf tar = WCH_BUF_INIT, listing = WCH_BUF_INIT;
	struct wch_tar_writer *tw;
	struct wch_err err;
	struct sample s;
	char expect[8192];

	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&tar), WCH_TAR_STYLE_APK, &err));
	WT_OK(write_sample(tw, &s, &err));
	WT_OK(wch_tar_finish(tw, true, &err));
	wch_tar_writer_free(tw);
	WT_EQ(tar.len % 512, 0);
	WT_OK(read_all(tar.p, tar.len, &listing, &err));
	snprintf(expect, sizeof(expect),
		 "5 755 0 0 root root 0 1700000000 etc -> - sha1=0 xattrs=0\n"
		 "0 640 0 0 root wheel 11 1700000000 etc/motd -> - sha1=1 xattrs=2"
		 " user.a:1 user.witchery:5\n"
		 "1 640 0 0   0 1700000000 etc/hard -> etc/motd sha1=0 xattrs=0\n"
		 "2 777 0 0   0 1700000000 etc/lnk -> %s sha1=1 xattrs=0\n"
		 "6 600 0 0   0 1 etc/fifo -> - sha1=0 xattrs=0\n"
		 "5 700 1000 100   0 1700000000 %s -> - sha1=0 xattrs=0\n"
		 "5 755 0 0   0 1700000000 %s -> - sha1=0 xattrs=0\n"
		 "0 4755 0 0   11 1700000000 %s -> - sha1=1 xattrs=0\n"
		 "5 755 0 0   0 0 sss -> - sha1=0 xattrs=0\n",
		 s.lnk_target, s.d1, s.d2, s.f_long);
	WT_STREQ(listing.p, expect);
	WT_TRUE(strlen(s.f_long) > 255);
	free_sample(&s);
	wch_buf_release(&tar);
	wch_buf_release(&listing);
}

static void t_write_gnu_tar_extracts(void)
{
	struct wch_buf tar = WCH_BUF_INIT, out = WCH_BUF_INIT, cmd = WCH_BUF_INIT;
	struct wch_tar_writer *tw;
	struct wch_err err;
	struct sample s;
	char path[8192], lnk[512];
	const char *dir = wt_tmpdir();
	struct stat st, st2;

	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&tar), WCH_TAR_STYLE_APK, &err));
	WT_OK(write_sample(tw, &s, &err));
	WT_OK(wch_tar_finish(tw, true, &err));
	wch_tar_writer_free(tw);
	snprintf(path, sizeof(path), "%s/a.tar", dir);
	WT_OK(write_file(path, tar.p, tar.len));
	/* The listing names GNU tar sees (it reads PAX path/linkpath). */
	wch_buf_addf(&cmd, "tar --quoting-style=literal -tf '%s' 2>/dev/null", path);
	WT_OK(run_capture(cmd.p, &out));
	char expect[4096];
	snprintf(expect, sizeof(expect),
		 "etc/\netc/motd\netc/hard\netc/lnk\netc/fifo\n%s/\n%s/\n%s\nsss/\n", s.d1, s.d2,
		 s.f_long);
	WT_STREQ(out.p, expect);
	/* Extract with xattrs and compare. */
	wch_buf_reset(&cmd);
	wch_buf_addf(&cmd,
		     "mkdir -p '%s/x' && tar --xattrs --xattrs-include='user.*' -C '%s/x' "
		     "--no-same-owner -xf '%s' 2>&1",
		     dir, dir, path);
	wch_buf_reset(&out);
	WT_OK(run_capture(cmd.p, &out));
	snprintf(path, sizeof(path), "%s/x/etc/motd", dir);
	struct wch_buf content = WCH_BUF_INIT;
	WT_OK(wch_read_file_at(AT_FDCWD, path, &content, 1024, NULL));
	WT_STREQ(content.p, "hello, tar\n");
	WT_OK(stat(path, &st));
	WT_EQ(st.st_mode & 07777, 0640);
	char xv[16];
	ssize_t xl = getxattr(path, "user.witchery", xv, sizeof(xv));
	if (xl >= 0) {
		WT_EQ(xl, 5);
		WT_MEMEQ(xv, "v\0\n=x", 5);
	} else {
		printf("note: no user xattrs on this file system (%s)\n", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/x/etc/hard", dir);
	WT_OK(stat(path, &st2));
	WT_EQ(st2.st_ino, st.st_ino);
	snprintf(path, sizeof(path), "%s/x/etc/lnk", dir);
	ssize_t ll = readlink(path, lnk, sizeof(lnk) - 1);
	WT_EQ(ll, 150);
	lnk[ll] = 0;
	WT_STREQ(lnk, s.lnk_target);
	snprintf(path, sizeof(path), "%s/x/%s", dir, s.f_long);
	WT_OK(stat(path, &st));
	WT_EQ(st.st_mode & 07777, 04755);
	WT_EQ(st.st_mtime, 1700000000);
	snprintf(path, sizeof(path), "%s/x/%s", dir, s.d1);
	WT_OK(stat(path, &st));
	WT_TRUE(S_ISDIR(st.st_mode));
	WT_EQ(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/x/etc/fifo", dir);
	WT_OK(lstat(path, &st));
	WT_TRUE(S_ISFIFO(st.st_mode));
	wch_buf_release(&content);
	free_sample(&s);
	wch_buf_release(&tar);
	wch_buf_release(&out);
	wch_buf_release(&cmd);
}

/* Entry headers must be byte-identical to what abuild's GNU tar command
 * (§2.8) writes for the same tree; only the x headers differ (GNU tar adds
 * atime/ctime records), so they are skipped in the comparison. */
static void strip_pax(const struct wch_buf *in, struct wch_buf *out)
{
	size_t off = 0;

	while (off + 512 <= in->len && in->p[off] != 0) {
		const char *h = in->p + off;
		unsigned long long size = strtoull(h + 124, NULL, 8);
		size_t blocks = 1 + (size_t)((size + 511) / 512);
		if (h[156] != 'x')
			wch_buf_add(out, h, blocks * 512);
		off += blocks * 512;
	}
}

static void t_write_matches_gnu_tar_headers(void)
{
	const char *dir = wt_tmpdir();
	struct wch_buf cmd = WCH_BUF_INIT, gnu = WCH_BUF_INIT, ours = WCH_BUF_INIT;
	struct wch_buf a = WCH_BUF_INIT, b = WCH_BUF_INIT;
	struct wch_tar_writer *tw;
	char *longdir = repeat("q", 110, "");
	struct wch_err err;

	wch_buf_addf(&cmd,
		     "set -e; cd '%s'; mkdir -p g/usr/bin g/%s; printf 'abc' > g/usr/bin/tool;"
		     "ln -s tool g/usr/bin/link; chmod 0755 g/usr g/usr/bin g/%s; chmod 0711 "
		     "g/usr/bin/tool; cd g; find * | LC_ALL=C sort | tar --format=posix "
		     "--pax-option=exthdr.name=%%d/PaxHeaders/%%f,atime:=0,ctime:=0 "
		     "--no-recursion --owner=root:0 --group=root:0 --mtime=@1700000000 "
		     "-T - -cf -",
		     dir, longdir, longdir);
	WT_OK(run_capture(cmd.p, &gnu));
	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&ours), WCH_TAR_STYLE_APK, &err));
	struct wch_tar_hdr hs[] = {
	    {.name = longdir, .type = WCH_TAR_DIR, .mode = 0755},
	    {.name = "usr", .type = WCH_TAR_DIR, .mode = 0755},
	    {.name = "usr/bin", .type = WCH_TAR_DIR, .mode = 0755},
	    {.name = "usr/bin/link", .type = WCH_TAR_SYMLINK, .link = "tool", .mode = 0777},
	    {.name = "usr/bin/tool", .type = WCH_TAR_REG, .mode = 0711, .size = 3},
	};
	for (size_t i = 0; i < 5; i++) {
		hs[i].uname = hs[i].gname = "root";
		hs[i].mtime = 1700000000;
		WT_OK(wch_tar_write_file(tw, &hs[i], "abc", &err));
	}
	WT_OK(wch_tar_finish(tw, true, &err));
	wch_tar_writer_free(tw);
	strip_pax(&gnu, &a);
	strip_pax(&ours, &b);
	WT_EQ(a.len, 5 * 512 + 512);
	WT_EQ(b.len, a.len);
	WT_MEMEQ(a.p, b.p, a.len);
	free(longdir);
	wch_buf_release(&cmd), wch_buf_release(&gnu), wch_buf_release(&ours);
	wch_buf_release(&a), wch_buf_release(&b);
}

static void t_cut_archive_concatenates(void)
{
	struct wch_buf tar = WCH_BUF_INIT, listing = WCH_BUF_INIT, out = WCH_BUF_INIT;
	struct wch_tar_writer *tw;
	struct wch_err err;
	char path[4096], cmd[8300];
	struct wch_tar_hdr h = {.name = ".PKGINFO", .type = WCH_TAR_REG, .mode = 0644, .size = 4};

	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&tar), WCH_TAR_STYLE_APK, &err));
	WT_OK(wch_tar_write_file(tw, &h, "pkg\n", &err));
	/* incomplete data is refused at finish */
	h.name = "x";
	WT_OK(wch_tar_write_header(tw, &h, &err));
	WT_EQ(wch_tar_finish(tw, false, &err), -EINVAL);
	WT_OK(wch_tar_write_data(tw, "ab", 2, &err));
	WT_EQ(wch_tar_write_data(tw, "abc", 3, &err), -EINVAL);
	WT_OK(wch_tar_write_data(tw, "cd", 2, &err));
	WT_OK(wch_tar_finish(tw, false, &err));
	wch_tar_writer_free(tw);
	WT_EQ(tar.len, 6 * 512); /* x header, header, data; twice */
	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&tar), WCH_TAR_STYLE_APK, &err));
	h.name = "usr";
	h.type = WCH_TAR_DIR;
	WT_OK(wch_tar_write_file(tw, &h, NULL, &err));
	WT_OK(wch_tar_finish(tw, true, &err));
	wch_tar_writer_free(tw);
	WT_OK(read_all(tar.p, tar.len, &listing, &err));
	WT_TRUE(strstr(listing.p, " .PKGINFO ") && strstr(listing.p, " x ") &&
		strstr(listing.p, " usr "));
	snprintf(path, sizeof(path), "%s/c.tar", wt_tmpdir());
	WT_OK(write_file(path, tar.p, tar.len));
	snprintf(cmd, sizeof(cmd), "tar -tf '%s'", path);
	WT_OK(run_capture(cmd, &out));
	WT_STREQ(out.p, ".PKGINFO\nx\nusr/\n");
	wch_buf_release(&tar), wch_buf_release(&listing), wch_buf_release(&out);
}

/* The index member of a real APKINDEX.tar.gz, rebuilt with the GNU style
 * writer from its own entries, must come out byte-identical (§5.1). */
static int index_boundary(void *ctx, bool end, struct wch_err *err)
{
	(void)end, (void)err;
	(*(int *)ctx)++;
	return 0;
}

static void t_gnu_style_matches_apk_index(void)
{
	const char *path =
	    wt_fixture("alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.b2c94760.tar.gz");
	struct wch_buf file = WCH_BUF_INIT, plain = WCH_BUF_INIT, ours = WCH_BUF_INIT;
	struct wch_mem_reader m, m2;
	struct wch_gunzip *g;
	int members = 0;
	size_t sig_end = 0;
	char buf[65536];
	ssize_t got;
	struct wch_gunzip_cb cb = {NULL, index_boundary, &members};
	struct wch_err err;

	WT_OK(wch_read_file_at(AT_FDCWD, path, &file, 64u << 20, NULL));
	WT_OK(wch_gunzip_new(&g, wch_reader_mem(&m, file.p, file.len), &cb, 0, &err));
	struct wch_reader rd = wch_gunzip_reader(g);
	while ((got = wch_read(&rd, buf, sizeof(buf), &err)) > 0) {
		if (members == 0)
			sig_end += (size_t)got;
		wch_buf_add(&plain, buf, (size_t)got);
	}
	WT_EQ(got, 0);
	wch_gunzip_free(g);
	WT_EQ(members, 2);

	struct wch_tar_reader *tr;
	struct wch_tar_writer *tw;
	const struct wch_tar_entry *e;
	int r, n = 0;
	WT_OK(wch_tar_reader_new(&tr, wch_reader_mem(&m2, plain.p + sig_end, plain.len - sig_end),
				 &err));
	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&ours), WCH_TAR_STYLE_GNU, &err));
	while ((r = wch_tar_next(tr, &e, &err)) == 1) {
		struct wch_buf data = WCH_BUF_INIT;
		struct wch_reader dr = wch_tar_data(tr);
		while ((got = wch_read(&dr, buf, sizeof(buf), &err)) > 0)
			wch_buf_add(&data, buf, (size_t)got);
		struct wch_tar_hdr h = {.name = e->name,
					.type = e->type,
					.mode = e->mode,
					.uid = e->uid,
					.gid = e->gid,
					.uname = e->uname,
					.gname = e->gname,
					.size = e->size,
					.mtime = e->mtime};
		WT_OK(wch_tar_write_file(tw, &h, data.p, &err));
		wch_buf_release(&data);
		n++;
	}
	WT_EQ(r, 0);
	WT_OK(wch_tar_finish(tw, true, &err));
	WT_TRUE(n >= 1);
	WT_EQ(ours.len, plain.len - sig_end);
	WT_MEMEQ(ours.p, plain.p + sig_end, ours.len);
	/* GNU style refuses what it cannot express. */
	struct wch_tar_hdr bad = {.name = "x", .type = WCH_TAR_REG, .sha1 = (unsigned char *)buf};
	WT_EQ(wch_tar_write_header(tw, &bad, &err), -EINVAL); /* finished */
	wch_tar_writer_free(tw);
	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&ours), WCH_TAR_STYLE_GNU, &err));
	WT_EQ(wch_tar_write_header(tw, &bad, &err), -WCH_E_UNSUPPORTED);
	wch_tar_writer_free(tw);
	wch_tar_reader_free(tr);
	wch_buf_release(&file), wch_buf_release(&plain), wch_buf_release(&ours);
}

static void t_write_rejects(void)
{
	struct wch_buf tar = WCH_BUF_INIT;
	struct wch_tar_writer *tw;
	struct wch_err err;
	struct wch_tar_hdr big = {.name = "big", .type = WCH_TAR_REG, .size = 8ULL << 30};
	struct wch_tar_hdr ok = {.name = "ok", .type = WCH_TAR_REG, .size = (8ULL << 30) - 1};

	WT_OK(wch_tar_writer_new(&tw, wch_writer_buf(&tar), WCH_TAR_STYLE_APK, &err));
	WT_EQ(wch_tar_write_header(tw, &big, &err), -WCH_E_TOO_BIG);
	WT_TRUE(strstr(err.msg, "8 GiB") != NULL);
	WT_OK(wch_tar_write_header(tw, &ok, &err));
	/* the largest size round-trips through the 11-digit field */
	const struct wch_tar_entry *e;
	struct wch_mem_reader m;
	struct wch_tar_reader *tr;
	WT_OK(wch_tar_reader_new(&tr, wch_reader_mem(&m, tar.p, tar.len), &err));
	WT_EQ(wch_tar_next(tr, &e, &err), 1);
	WT_EQ(e->size, (8ULL << 30) - 1);
	wch_tar_reader_free(tr);
	wch_tar_writer_free(tw);
	wch_buf_release(&tar);
}

/* ---- hostile input ---- */

static void make_hdr(unsigned char *h, const char *name, char type, const char *size)
{
	unsigned sum = 0;
	int i;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	memcpy(h + 124, size, strlen(size));
	memcpy(h + 136, "00000000000", 12);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static int read_expect(const void *p, size_t n, struct wch_err *err)
{
	return read_all(p, n, NULL, err);
}

static void t_hostile(void)
{
	unsigned char a[4096];
	struct wch_err err;
	char name100[101];

	/* sanity: the builder makes a valid archive */
	make_hdr(a, "f", '0', "00000000004");
	memcpy(a + 512, "abcd", 4);
	WT_OK(read_expect(a, 1024, &err));
	/* bad magic */
	memcpy(a + 257, "ustaR", 5);
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_FORMAT);
	/* bad octal digits / trailing junk / base-256 */
	make_hdr(a, "f", '0', "0000000009");
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_FORMAT);
	make_hdr(a, "f", '0', "4 x");
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_FORMAT);
	make_hdr(a, "f", '0', "\x80\0\0\0\0\0\0\0\0\0\0\x04");
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_FORMAT);
	memcpy(a + 100, "06x4", 4);
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_FORMAT);
	/* huge size with no data: truncated, no allocation */
	make_hdr(a, "f", '0', "77777777777");
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_FORMAT);
	/* truncated header */
	make_hdr(a, "f", '0', "0");
	WT_EQ(read_expect(a, 300, &err), -WCH_E_FORMAT);
	/* truncated data */
	make_hdr(a, "f", '0', "1000");
	WT_EQ(read_expect(a, 700, &err), -WCH_E_FORMAT);
	/* overlong PAX record length, bad records, oversized PAX/L */
	const char *bad_pax[] = {
	    "999 path=x\n",
	    "5 path=x\n",
	    "11 path=abc\n",
	    "x path=a\n",
	    "9 =value\n",
	    "13 path=a\0b\n",
	    "68 APK-TOOLS.checksum.SHA1=zz00000000000000000000000000000000000000\n"};
	for (size_t i = 0; i < sizeof(bad_pax) / sizeof(bad_pax[0]); i++) {
		char sz[32];
		size_t len = strlen(bad_pax[i]);
		if (i == 5)
			len = 13;
		snprintf(sz, sizeof(sz), "%011zo", len);
		make_hdr(a, "p", 'x', sz);
		memcpy(a + 512, bad_pax[i], len);
		make_hdr(a + 1024, "f", '0', "0");
		int r = read_expect(a, 1536, &err);
		if (r != -WCH_E_FORMAT)
			wt_fail(__FILE__, __LINE__, "pax %zu: %d", i, r);
		WT_EQ(r, -WCH_E_FORMAT);
	}
	make_hdr(a, "p", 'x', "10000000000");
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_TOO_BIG);
	make_hdr(a, "p", 'L', "20000");
	WT_EQ(read_expect(a, 1024, &err), -WCH_E_TOO_BIG);
	/* a 100-byte name without NUL is complete, not overread */
	memset(name100, 'n', 100);
	name100[100] = 0;
	make_hdr(a, name100, '0', "0");
	memcpy(a + 345, "", 1);
	struct wch_buf l = WCH_BUF_INIT;
	WT_OK(read_all(a, 512, &l, &err));
	WT_TRUE(strstr(l.p, name100) && !strstr(l.p, "nn0"));
	wch_buf_release(&l);
	/* GNU L name applies to the next entry; K and g are ignored */
	make_hdr(a, "././@LongLink", 'L', "5");
	memcpy(a + 512, "long\0", 5);
	make_hdr(a + 1024, "././@LongLink", 'K', "3");
	memcpy(a + 1536, "tgt", 3);
	make_hdr(a + 2048, "short", '2', "0");
	memcpy(a + 2048 + 157, "dest", 4);
	WT_OK(read_all(a, 2560, &l, &err));
	WT_TRUE(strstr(l.p, " long -> dest ") != NULL);
	wch_buf_release(&l);
	/* end of archive: second zero block ends, junk after it is an error,
	 * zero blocks after it are fine; a lone zero block is skipped */
	memset(a, 0, sizeof(a));
	make_hdr(a + 512, "after-one-zero", '0', "0");
	WT_OK(read_all(a, 4096, &l, &err));
	WT_TRUE(strstr(l.p, "after-one-zero") != NULL);
	wch_buf_release(&l);
	a[3000] = 1;
	WT_EQ(read_expect(a, 4096, &err), -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "after the end") != NULL);
	WT_EQ(read_expect(a, 4000, &err), -WCH_E_FORMAT); /* partial block */
}

static void t_hostile_fuzz_real_archive(void)
{
	const char *path =
	    wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/alpine-baselayout-3.4.3-r2.apk");
	struct wch_buf file = WCH_BUF_INIT, plain = WCH_BUF_INIT;
	struct wch_mem_reader m;
	struct wch_gunzip *g;
	struct wch_err err;
	char buf[65536];
	ssize_t got;
	uint64_t x = 88172645463325252ULL;
	int i, errors = 0;

	WT_OK(wch_read_file_at(AT_FDCWD, path, &file, 64u << 20, NULL));
	WT_OK(wch_gunzip_new(&g, wch_reader_mem(&m, file.p, file.len), NULL, 0, &err));
	struct wch_reader rd = wch_gunzip_reader(g);
	while ((got = wch_read(&rd, buf, sizeof(buf), &err)) > 0)
		wch_buf_add(&plain, buf, (size_t)got);
	wch_gunzip_free(g);
	WT_OK(read_expect(plain.p, plain.len, &err));
	for (i = 0; i < 3000; i++) {
		unsigned char *c = malloc(plain.len);
		size_t n = plain.len, k;
		WT_TRUE(c);
		memcpy(c, plain.p, n);
		for (k = 0; k < 1 + (size_t)(i % 8); k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly headers and PAX bodies: the first 16 KiB */
			c[x % (n < 16384 ? n : 16384)] = (unsigned char)(x >> 40);
		}
		if (i % 5 == 0)
			n = (size_t)(x >> 20) % n;
		if (read_expect(c, n, &err) < 0)
			errors++;
		free(c);
	}
	printf("%d of 3000 mutated archives rejected\n", errors);
	WT_TRUE(errors > 300);
	wch_buf_release(&file), wch_buf_release(&plain);
}

WT_MAIN(WT(t_read_fixture_apks), WT(t_write_read_back), WT(t_write_gnu_tar_extracts),
	WT(t_write_matches_gnu_tar_headers), WT(t_cut_archive_concatenates),
	WT(t_gnu_style_matches_apk_index), WT(t_write_rejects), WT(t_hostile),
	WT(t_hostile_fuzz_real_archive))
