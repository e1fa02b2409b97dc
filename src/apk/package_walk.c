/*
 * Walking a package's source tree into a sorted entry list (see
 * package_walk.h).
 */
#include "apk/package_walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"

/* apk caps names at 4096 bytes including the terminator (tar.h). */
#define PW_PATH_MAX 4095
/* Each level of the walk holds one directory fd open. */
#define PW_DEPTH_MAX   256
#define PW_ENTRIES_MAX (4u << 20) /* what the package reader accepts */

struct pw_ctx {
	const struct wch_pw_opts *o;
	struct wch_pw_tree *t;
	struct wch_err *err;
};

static void pw_warn(struct pw_ctx *c, const char *fmt, const char *path)
{
	struct wch_buf b = WCH_BUF_INIT;

	if (!c->o->warn)
		return;
	if (wch_buf_addf(&b, fmt, path) == 0)
		c->o->warn(c->o->warn_ctx, b.p);
	wch_buf_release(&b);
}

/* apk refuses names with control characters (apk-format §2.8). */
static bool name_ok(const char *name)
{
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static const char *special_kind(mode_t m)
{
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	return "of an unknown file type";
}

static struct wch_pw_entry *add_entry(struct pw_ctx *c, const char *path, const struct stat *st)
{
	struct wch_pw_tree *t = c->t;
	struct wch_pw_entry *e;

	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		void *nv;
		if (t->n >= PW_ENTRIES_MAX) {
			wch_errf(c->err, -WCH_E_TOO_BIG, "more than %u entries", PW_ENTRIES_MAX);
			return NULL;
		}
		nv = realloc(t->v, ncap * sizeof(*t->v));
		if (!nv) {
			wch_errf(c->err, -ENOMEM, "out of memory");
			return NULL;
		}
		t->v = nv;
		t->cap = ncap;
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->mode = st->st_mode;
	e->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
	e->mtime = (int64_t)st->st_mtim.tv_sec;
	e->dev = st->st_dev;
	e->rdev = st->st_rdev;
	e->ino = st->st_ino;
	e->nlink = (unsigned long)st->st_nlink;
	e->hardlink_of = WCH_PW_NO_LINK;
	return e;
}

static int walk_dir(struct pw_ctx *c, int dirfd, const char *prefix, unsigned depth);

/* One directory entry: name relative to dirfd, path relative to the root. */
static int walk_one(struct pw_ctx *c, int dirfd, const char *name, char *path, unsigned depth)
{
	struct wch_pw_entry *e;
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return wch_err_sys(c->err, errno, "cannot stat '%s'", path);
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		/* fine */
	} else if (S_ISLNK(st.st_mode)) {
		char buf[PW_PATH_MAX + 1];
		ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf));
		if (n < 0)
			return wch_err_sys(c->err, errno, "cannot read symlink '%s'", path);
		if ((size_t)n >= sizeof(buf))
			return wch_errf(c->err, -WCH_E_TOO_BIG, "symlink '%s': target too long",
					path);
		buf[n] = 0;
		if (!name_ok(buf))
			return wch_errf(c->err, -WCH_E_FORMAT,
					"symlink '%s': target contains a control character", path);
		if (!(e = add_entry(c, path, &st)))
			return c->err ? c->err->code : -ENOMEM;
		if (!(e->link = wch_arena_strndup(&c->t->arena, buf, (size_t)n)))
			return wch_errf(c->err, -ENOMEM, "out of memory");
		return 0;
	} else if (S_ISSOCK(st.st_mode) && c->o->allow_special) {
		pw_warn(c, "skipping socket '%s' (tar cannot hold sockets)", path);
		return 0;
	} else if (!c->o->allow_special ||
		   !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))) {
		return wch_errf(c->err, -WCH_E_UNSUPPORTED,
				"'%s' is %s; special files are refused unless --allow-special "
				"is given",
				path, special_kind(st.st_mode));
	}
	if (!add_entry(c, path, &st))
		return c->err ? c->err->code : -ENOMEM;
	if (S_ISDIR(st.st_mode)) {
		int fd, r;
		if (c->o->avoid_set && st.st_dev == c->o->avoid_dev && st.st_ino == c->o->avoid_ino)
			return wch_errf(c->err, -WCH_E_USAGE,
					"the output folder '%s' is inside the package tree", path);
		if (depth + 1 > PW_DEPTH_MAX)
			return wch_errf(c->err, -WCH_E_TOO_BIG,
					"'%s': more than %d nested directories", path,
					PW_DEPTH_MAX);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return wch_err_sys(c->err, errno, "cannot open directory '%s'", path);
		r = walk_dir(c, fd, path, depth + 1);
		close(fd);
		return r;
	}
	return 0;
}

static int walk_dir(struct pw_ctx *c, int dirfd, const char *prefix, unsigned depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	/* Read the whole directory first so that only one DIR is open per
	 * level and entries created meanwhile do not confuse readdir. */
	fd = dup(dirfd);
	if (fd < 0)
		return wch_err_sys(c->err, errno, "cannot read directory '%s'",
				   *prefix ? prefix : ".");
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return wch_err_sys(c->err, errno, "cannot read directory '%s'",
				   *prefix ? prefix : ".");
	}
	rewinddir(d);
	for (;;) {
		char *path;
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = wch_err_sys(c->err, errno, "cannot read directory '%s'",
						*prefix ? prefix : ".");
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!*prefix && de->d_name[0] == '.') {
			/* abuild packs `find *`, and apk ignores data entries whose
			 * name starts with '.' (apk-format §2.8). */
			pw_warn(c,
				"skipping '%s': apk does not install top-level names "
				"starting with '.'",
				de->d_name);
			continue;
		}
		{
			struct wch_buf b = WCH_BUF_INIT;
			if (*prefix)
				r = wch_buf_addf(&b, "%s/%s", prefix, de->d_name);
			else
				r = wch_buf_addstr(&b, de->d_name);
			if (r == 0 && b.len > PW_PATH_MAX)
				r = wch_errf(c->err, -WCH_E_TOO_BIG, "path too long: '%.64s...'",
					     b.p);
			else if (r == 0 && !name_ok(de->d_name))
				r = wch_errf(c->err, -WCH_E_FORMAT,
					     "'%s': name contains a control character", b.p);
			else if (r < 0)
				r = wch_errf(c->err, -ENOMEM, "out of memory");
			path = r == 0 ? wch_arena_strdup(&c->t->arena, b.p) : NULL;
			wch_buf_release(&b);
			if (r < 0)
				break;
			if (!path) {
				r = wch_errf(c->err, -ENOMEM, "out of memory");
				break;
			}
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nn = realloc(names, ncap * sizeof(*names));
			if (!nn) {
				r = wch_errf(c->err, -ENOMEM, "out of memory");
				break;
			}
			names = nn;
			cap = ncap;
		}
		names[n++] = path;
	}
	closedir(d);
	for (i = 0; r == 0 && i < n; i++) {
		const char *base = strrchr(names[i], '/');
		r = walk_one(c, dirfd, base ? base + 1 : names[i], names[i], depth);
	}
	free(names);
	return r;
}

static int cmp_path(const void *a, const void *b)
{
	const struct wch_pw_entry *x = a, *y = b;

	/* strcmp compares as unsigned char: LC_ALL=C sort (apk-format §2.8). */
	return strcmp(x->path, y->path);
}

static const struct wch_pw_entry *g_sorted; /* only during qsort of link ids */

static int cmp_inode(const void *a, const void *b)
{
	const struct wch_pw_entry *x = &g_sorted[*(const size_t *)a];
	const struct wch_pw_entry *y = &g_sorted[*(const size_t *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Marks later paths of one inode as hard links to the first in order. */
static int link_hardlinks(struct wch_pw_tree *t, struct wch_err *err)
{
	size_t *ids, n = 0, i, j;

	for (i = 0; i < t->n; i++)
		if (S_ISREG(t->v[i].mode) && t->v[i].nlink > 1)
			n++;
	if (n < 2)
		return 0;
	ids = malloc(n * sizeof(*ids));
	if (!ids)
		return wch_errf(err, -ENOMEM, "out of memory");
	for (i = 0, j = 0; i < t->n; i++)
		if (S_ISREG(t->v[i].mode) && t->v[i].nlink > 1)
			ids[j++] = i;
	g_sorted = t->v;
	qsort(ids, n, sizeof(*ids), cmp_inode);
	g_sorted = NULL;
	for (i = 1; i < n; i++) {
		struct wch_pw_entry *prev = &t->v[ids[i - 1]], *cur = &t->v[ids[i]];
		if (cur->dev == prev->dev && cur->ino == prev->ino)
			cur->hardlink_of =
			    prev->hardlink_of != WCH_PW_NO_LINK ? prev->hardlink_of : ids[i - 1];
	}
	free(ids);
	return 0;
}

int wch_pw_walk(const char *srcdir, const struct wch_pw_opts *o, struct wch_pw_tree *t,
		struct wch_err *err)
{
	struct pw_ctx c = {o, t, err};
	struct stat st;
	int r;

	memset(t, 0, sizeof(*t));
	t->rootfd = open(srcdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0)
		return wch_err_sys(err, errno, "cannot open folder '%s'", srcdir);
	if (fstat(t->rootfd, &st) < 0) {
		r = wch_err_sys(err, errno, "cannot stat '%s'", srcdir);
		goto fail;
	}
	if (o->avoid_set && st.st_dev == o->avoid_dev && st.st_ino == o->avoid_ino) {
		r = wch_errf(err, -WCH_E_USAGE, "the output folder is the package folder '%s'",
			     srcdir);
		goto fail;
	}
	r = walk_dir(&c, t->rootfd, "", 0);
	if (r < 0)
		goto fail;
	qsort(t->v, t->n, sizeof(*t->v), cmp_path);
	r = link_hardlinks(t, err);
	if (r < 0)
		goto fail;
	return 0;
fail:
	wch_pw_release(t);
	return r;
}

void wch_pw_release(struct wch_pw_tree *t)
{
	if (t->rootfd >= 0)
		close(t->rootfd);
	free(t->v);
	wch_arena_release(&t->arena);
	memset(t, 0, sizeof(*t));
	t->rootfd = -1;
}
