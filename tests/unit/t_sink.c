#include "fs/sink_dir.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(struct wch_sink *s, const char *name, char type, const char *content,
	       const char *link, struct wch_err *e)
{
	struct wch_tar_entry en;
	struct wch_mem_reader m;
	struct wch_reader r =
	    wch_reader_mem(&m, content ? content : "", content ? strlen(content) : 0);

	memset(&en, 0, sizeof(en));
	en.name = (char *)name;
	en.link = (char *)link;
	en.type = type;
	en.mode = type == WCH_TAR_DIR ? 0755 : 0644;
	en.size = content ? strlen(content) : 0;
	en.mtime = 1700000000;
	return s->ops->entry(s, &en, &r, e);
}

static char *outpath(const char *name)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/%s", wt_tmpdir(), name);
	return p;
}

static int count_entries(const char *dir)
{
	char cmd[4200];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

static void t_writes_and_commits(void)
{
	struct wch_sink *s;
	struct wch_err e;
	struct stat st;
	char buf[64] = {0};
	char path[4200];
	int fd;

	wch_err_init(&e);
	WT_OK(wch_sink_dir_new(&s, outpath("root1"), NULL, &e));
	WT_OK(put(s, "etc", WCH_TAR_DIR, NULL, NULL, &e));
	WT_OK(put(s, "etc/hello.conf", WCH_TAR_REG, "hi\n", NULL, &e));
	WT_OK(put(s, "etc/link", WCH_TAR_SYMLINK, NULL, "/etc/hello.conf", &e));
	WT_OK(put(s, "etc/hard", WCH_TAR_HARDLINK, NULL, "etc/hello.conf", &e));
	/* Missing parents are created. */
	WT_OK(put(s, "usr/share/x", WCH_TAR_REG, "x", NULL, &e));
	/* Nothing visible before commit. */
	WT_TRUE(stat(outpath("root1"), &st) < 0);
	WT_OK(s->ops->commit(s, &e));
	s->ops->free(s);
	snprintf(path, sizeof(path), "%s/etc/hello.conf", outpath("root1"));
	fd = open(path, O_RDONLY);
	WT_TRUE(fd >= 0);
	WT_EQ(read(fd, buf, sizeof(buf)), 3);
	close(fd);
	WT_STREQ(buf, "hi\n");
	WT_OK(stat(path, &st));
	WT_EQ(st.st_nlink, 2);
	WT_EQ(st.st_mtime, 1700000000);
	snprintf(path, sizeof(path), "%s/etc/link", outpath("root1"));
	WT_EQ(readlink(path, buf, sizeof(buf)), 15);
	/* Only root1 in the tmpdir: the temporary tree was renamed. */
	WT_EQ(count_entries(wt_tmpdir()), 1);
}

static void t_refuses_escapes(void)
{
	struct wch_sink *s;
	struct wch_err e;
	struct stat st;
	char path[4200];

	wch_err_init(&e);
	WT_OK(wch_sink_dir_new(&s, outpath("root2"), NULL, &e));
	WT_EQ(put(s, "../evil", WCH_TAR_REG, "x", NULL, &e), -WCH_E_UNSAFE_PATH);
	WT_EQ(put(s, "/etc/evil", WCH_TAR_REG, "x", NULL, &e), -WCH_E_UNSAFE_PATH);
	WT_EQ(put(s, "a/../../evil", WCH_TAR_REG, "x", NULL, &e), -WCH_E_UNSAFE_PATH);
	/* A symlink to a directory outside, then a file through it. */
	WT_OK(put(s, "escape", WCH_TAR_SYMLINK, NULL, wt_tmpdir(), &e));
	WT_EQ(put(s, "escape/evil", WCH_TAR_REG, "x", NULL, &e), -WCH_E_UNSAFE_PATH);
	WT_TRUE(strstr(e.msg, "escape") != NULL);
	snprintf(path, sizeof(path), "%s/evil", wt_tmpdir());
	WT_TRUE(stat(path, &st) < 0);
	/* Hard link to something outside. */
	WT_EQ(put(s, "h", WCH_TAR_HARDLINK, NULL, "../../etc/passwd", &e), -WCH_E_UNSAFE_PATH);
	WT_EQ(put(s, "h2", WCH_TAR_HARDLINK, NULL, "escape/x", &e), -WCH_E_UNSAFE_PATH);
	/* File over directory and directory over file. */
	WT_OK(put(s, "d", WCH_TAR_DIR, NULL, NULL, &e));
	WT_EQ(put(s, "d", WCH_TAR_REG, "x", NULL, &e), -WCH_E_CONFLICT);
	WT_OK(put(s, "f", WCH_TAR_REG, "x", NULL, &e));
	WT_EQ(put(s, "f", WCH_TAR_DIR, NULL, NULL, &e), -WCH_E_CONFLICT);
	WT_EQ(put(s, "f/x", WCH_TAR_REG, "x", NULL, &e), -WCH_E_UNSAFE_PATH);
	/* Abandoned: nothing left behind. */
	s->ops->free(s);
	WT_TRUE(stat(outpath("root2"), &st) < 0);
	WT_EQ(count_entries(wt_tmpdir()), 1); /* root1 from the previous test */
}

static void t_existing_outdir(void)
{
	struct wch_sink *s;
	struct wch_err e;
	struct wch_sink_dir_opts force = {.force = true};
	char path[4200];
	struct stat st;

	wch_err_init(&e);
	/* root1 is not empty: refused without force. */
	WT_EQ(wch_sink_dir_new(&s, outpath("root1"), NULL, &e), -EEXIST);
	WT_TRUE(strstr(e.msg, "--force") != NULL);
	WT_OK(wch_sink_dir_new(&s, outpath("root1"), &force, &e));
	WT_OK(put(s, "new", WCH_TAR_REG, "n", NULL, &e));
	WT_OK(s->ops->commit(s, &e));
	s->ops->free(s);
	snprintf(path, sizeof(path), "%s/new", outpath("root1"));
	WT_OK(stat(path, &st));
	snprintf(path, sizeof(path), "%s/etc", outpath("root1"));
	WT_TRUE(stat(path, &st) < 0);
	/* An empty existing dir is fine without force. */
	WT_OK(mkdir(outpath("empty"), 0755));
	WT_OK(wch_sink_dir_new(&s, outpath("empty"), NULL, &e));
	WT_OK(s->ops->commit(s, &e));
	s->ops->free(s);
}

static char *slurp_link(const char *root, const char *name, char *buf, size_t n)
{
	char path[4400];
	ssize_t got;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	got = readlink(path, buf, n - 1);
	buf[got < 0 ? 0 : got] = 0;
	return buf;
}

static char *slurp(const char *root, const char *name, char *buf, size_t n)
{
	char path[4400];
	ssize_t got = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	if (fd >= 0) {
		got = read(fd, buf, n - 1);
		close(fd);
	}
	buf[got < 0 ? 0 : got] = 0;
	return buf;
}

/* Entries replacing earlier ones (what compose allows when a package
 * replaces another): files and symlinks give way, directories never, and
 * nothing is followed. Then more directories than the sink keeps open,
 * revisited after they were closed. */
static void t_replaces_and_many_dirs(void)
{
	struct wch_sink *s;
	struct wch_err e;
	struct stat st;
	char name[64], buf[64], outside[4200];
	const char *root = outpath("root4");
	int i;

	wch_err_init(&e);
	snprintf(outside, sizeof(outside), "%s/outside", wt_tmpdir());
	WT_OK(mkdir(outside, 0700));
	WT_OK(wch_sink_dir_new(&s, root, NULL, &e));
	WT_OK(put(s, "a/f", WCH_TAR_REG, "one", NULL, &e));
	WT_OK(put(s, "a/f", WCH_TAR_REG, "two", NULL, &e));
	WT_OK(put(s, "a/l", WCH_TAR_REG, "file", NULL, &e));
	WT_OK(put(s, "a/l", WCH_TAR_SYMLINK, NULL, "f", &e));
	WT_OK(put(s, "a/m", WCH_TAR_SYMLINK, NULL, "f", &e));
	WT_OK(put(s, "a/m", WCH_TAR_REG, "not a link", NULL, &e));
	WT_OK(put(s, "a/h", WCH_TAR_REG, "old", NULL, &e));
	WT_OK(put(s, "a/h", WCH_TAR_HARDLINK, NULL, "a/f", &e));
	/* A symlink to a directory outside: a directory entry of that name
	 * must not adopt (or chmod) the outside directory. */
	WT_OK(put(s, "esc", WCH_TAR_SYMLINK, NULL, outside, &e));
	WT_EQ(put(s, "esc", WCH_TAR_DIR, NULL, NULL, &e), -WCH_E_CONFLICT);
	WT_OK(stat(outside, &st));
	WT_EQ(st.st_mode & 07777, 0700);
	WT_OK(put(s, "a", WCH_TAR_DIR, NULL, NULL, &e));
	WT_EQ(put(s, "a", WCH_TAR_SYMLINK, NULL, outside, &e), -WCH_E_CONFLICT);
	WT_EQ(put(s, "a", WCH_TAR_HARDLINK, NULL, "a/f", &e), -WCH_E_CONFLICT);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "many/d%03d", i);
		WT_OK(put(s, name, WCH_TAR_DIR, NULL, NULL, &e));
		snprintf(name, sizeof(name), "many/d%03d/x", i);
		WT_OK(put(s, name, WCH_TAR_REG, "x", NULL, &e));
	}
	for (i = 0; i < 300; i += 7) {
		snprintf(name, sizeof(name), "many/d%03d/y", i);
		WT_OK(put(s, name, WCH_TAR_REG, "y", NULL, &e));
	}
	WT_OK(s->ops->commit(s, &e));
	s->ops->free(s);
	WT_STREQ(slurp(root, "a/f", buf, sizeof(buf)), "two");
	WT_STREQ(slurp_link(root, "a/l", buf, sizeof(buf)), "f");
	WT_STREQ(slurp(root, "a/m", buf, sizeof(buf)), "not a link");
	WT_STREQ(slurp(root, "a/h", buf, sizeof(buf)), "two");
	{
		char p[4400];
		snprintf(p, sizeof(p), "%s/a/h", root);
		WT_OK(stat(p, &st));
		WT_EQ(st.st_nlink, 2);
		snprintf(p, sizeof(p), "%s/many", root);
		WT_EQ(count_entries(p), 300);
	}
	WT_STREQ(slurp(root, "many/d000/x", buf, sizeof(buf)), "x");
	WT_STREQ(slurp(root, "many/d294/y", buf, sizeof(buf)), "y");
	WT_STREQ(slurp(root, "many/d299/x", buf, sizeof(buf)), "x");
	WT_EQ(count_entries(outside), 0);
}

WT_MAIN(WT(t_writes_and_commits), WT(t_refuses_escapes), WT(t_existing_outdir),
	WT(t_replaces_and_many_dirs))
