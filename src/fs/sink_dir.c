#include "fs/sink_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define PATH_CAP 4095

struct dir_sink {
	struct wch_sink base;
	char *outdir;   /* final name, as given */
	char *tmpname;  /* basename of the temporary root inside parentfd */
	char *outbase;  /* basename of outdir */
	int parentfd;   /* directory holding outdir */
	int rootfd;
	bool force, apply_owner, committed;
	/* The parent directory of the previous entry stays open: tar entries
	 * come grouped by directory, so most lookups are one strcmp. */
	char *cached_dir;
	int cached_fd;
	unsigned skipped;
};

int wch_path_check(const char *path, struct wch_err *err)
{
	const char *p = path, *c;
	size_t len = strlen(path);

	if (len == 0 || len > PATH_CAP)
		return wch_errf(err, -WCH_E_UNSAFE_PATH, "'%s': empty or too long path", path);
	if (path[0] == '/')
		return wch_errf(err, -WCH_E_UNSAFE_PATH, "'%s': absolute path", path);
	while (*p) {
		size_t n;
		c = strchr(p, '/');
		n = c ? (size_t)(c - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return wch_errf(err, -WCH_E_UNSAFE_PATH,
					"'%s': path with an empty, '.' or '..' component", path);
		if (n > NAME_MAX)
			return wch_errf(err, -WCH_E_UNSAFE_PATH, "'%s': component too long", path);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int wch_remove_tree_at(int parent, const char *name)
{
	int fd, r = 0;
	DIR *d;
	struct dirent *de;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A read-only directory from a package must still be emptied. */
	fchmod(fd, 0700);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (wch_remove_tree_at(dirfd(d), de->d_name) < 0)
			r = -EIO;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

static int dir_is_empty(int fd)
{
	DIR *d;
	struct dirent *de;
	int dup_fd = dup(fd), empty = 1;

	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* Opens (creating when missing) the directory holding path's last
 * component; returns an fd owned by the cache, or < 0. */
static int open_parent(struct dir_sink *s, const char *path, struct wch_err *err)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	char comp[NAME_MAX + 1];
	const char *p = path;
	int fd;

	if (dlen == 0)
		return s->rootfd;
	if (s->cached_dir && strlen(s->cached_dir) == dlen && !memcmp(s->cached_dir, path, dlen))
		return s->cached_fd;
	if (s->cached_dir) {
		close(s->cached_fd);
		free(s->cached_dir);
		s->cached_dir = NULL;
	}
	fd = dup(s->rootfd);
	if (fd < 0)
		return wch_err_sys(err, errno, "dup");
	while (p < path + dlen) {
		const char *e = memchr(p, '/', (size_t)(path + dlen - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(path + dlen - p);
		int next;
		memcpy(comp, p, n);
		comp[n] = 0;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			/* apk wants parents as earlier entries (§2.9); we create
			 * missing ones like tar does instead of failing. */
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				int e2 = errno;
				close(fd);
				return wch_err_sys(err, e2, "'%s': cannot create directory '%s'", path,
						   comp);
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e2 = errno;
			close(fd);
			if (e2 == ELOOP || e2 == ENOTDIR)
				return wch_errf(err, -WCH_E_UNSAFE_PATH,
						"'%s': '%.*s' is not a directory (symlink or file in the "
						"way); refusing to write through it",
						path, (int)(p - path + n), path);
			return wch_err_sys(err, e2, "'%s': cannot open directory", path);
		}
		close(fd);
		fd = next;
		p += n + 1;
	}
	s->cached_dir = strndup(path, dlen);
	if (!s->cached_dir) {
		close(fd);
		return wch_errf(err, -ENOMEM, "out of memory");
	}
	s->cached_fd = fd;
	return fd;
}

static void forget_cache(struct dir_sink *s)
{
	if (s->cached_dir) {
		close(s->cached_fd);
		free(s->cached_dir);
		s->cached_dir = NULL;
	}
}

static int apply_meta(struct dir_sink *s, int pfd, const char *base, int fd,
		      const struct wch_tar_entry *e, struct wch_err *err)
{
	size_t i;

	if (s->apply_owner) {
		int r = fd >= 0 ? fchown(fd, e->uid, e->gid)
				: fchownat(pfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			return wch_err_sys(err, errno, "'%s': cannot set owner", e->name);
	}
	if (e->type != WCH_TAR_SYMLINK && fd >= 0 && fchmod(fd, e->mode & 07777) < 0)
		return wch_err_sys(err, errno, "'%s': cannot set mode", e->name);
	for (i = 0; i < e->nxattrs && fd >= 0; i++) {
		if (fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len, 0) < 0) {
			/* security.* and trusted.* need privileges; the database
			 * still records them. */
			if ((errno == EPERM || errno == ENOTSUP) && !s->apply_owner)
				continue;
			return wch_err_sys(err, errno, "'%s': cannot set xattr '%s'", e->name,
					   e->xattrs[i].name);
		}
	}
	if (e->type != WCH_TAR_DIR) {
		struct timespec ts[2] = {{e->mtime, 0}, {e->mtime, 0}};
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return wch_err_sys(err, errno, "'%s': cannot set mtime", e->name);
	}
	return 0;
}

/* Makes room for a non-directory at base: replaces a file or symlink, but
 * never a directory. */
static int clear_slot(int pfd, const char *base, const struct wch_tar_entry *e,
		      struct wch_err *err)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : wch_err_sys(err, errno, "'%s'", e->name);
	if (S_ISDIR(st.st_mode))
		return wch_errf(err, -WCH_E_CONFLICT, "'%s': a directory is in the way", e->name);
	if (unlinkat(pfd, base, 0) < 0)
		return wch_err_sys(err, errno, "'%s': cannot replace", e->name);
	return 0;
}

static int write_regular(struct dir_sink *s, int pfd, const char *base,
			 const struct wch_tar_entry *e, struct wch_reader *data, struct wch_err *err)
{
	char buf[65536];
	uint64_t left = e->size;
	int fd, r;

	r = clear_slot(pfd, base, e, err);
	if (r)
		return r;
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return wch_err_sys(err, errno, "'%s': cannot create", e->name);
	while (left) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t got = wch_read(data, buf, want, err);
		if (got < 0) {
			close(fd);
			return (int)got;
		}
		if (got == 0) {
			close(fd);
			return wch_errf(err, -WCH_E_FORMAT, "'%s': data ends early", e->name);
		}
		r = wch_fd_write_all(fd, buf, (size_t)got);
		if (r < 0) {
			close(fd);
			return wch_err_sys(err, -r, "'%s': cannot write", e->name);
		}
		left -= (uint64_t)got;
	}
	r = apply_meta(s, pfd, base, fd, e, err);
	if (close(fd) < 0 && !r)
		r = wch_err_sys(err, errno, "'%s': cannot write", e->name);
	return r;
}

static int write_dir(struct dir_sink *s, int pfd, const char *base, const struct wch_tar_entry *e,
		     struct wch_err *err)
{
	struct stat st;
	int fd, r;

	if (mkdirat(pfd, base, 0700) < 0) {
		if (errno != EEXIST)
			return wch_err_sys(err, errno, "'%s': cannot create directory", e->name);
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return wch_err_sys(err, errno, "'%s'", e->name);
		if (!S_ISDIR(st.st_mode))
			return wch_errf(err, -WCH_E_CONFLICT,
					"'%s': a file or symlink is in the way of a directory",
					e->name);
	}
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return wch_err_sys(err, errno, "'%s': cannot open directory", e->name);
	r = apply_meta(s, pfd, base, fd, e, err);
	close(fd);
	return r;
}

static int sink_entry(struct wch_sink *sk, const struct wch_tar_entry *e, struct wch_reader *data,
		      struct wch_err *err)
{
	struct dir_sink *s = (struct dir_sink *)sk;
	const char *base;
	int pfd, r;

	r = wch_path_check(e->name, err);
	if (r)
		return r;
	pfd = open_parent(s, e->name, err);
	if (pfd < 0)
		return pfd;
	base = strrchr(e->name, '/');
	base = base ? base + 1 : e->name;

	switch (e->type) {
	case WCH_TAR_REG:
		return write_regular(s, pfd, base, e, data, err);
	case WCH_TAR_DIR:
		return write_dir(s, pfd, base, e, err);
	case WCH_TAR_SYMLINK:
		if (!e->link || !e->link[0])
			return wch_errf(err, -WCH_E_FORMAT, "'%s': symlink without target", e->name);
		r = clear_slot(pfd, base, e, err);
		if (r)
			return r;
		if (symlinkat(e->link, pfd, base) < 0)
			return wch_err_sys(err, errno, "'%s': cannot create symlink", e->name);
		return apply_meta(s, pfd, base, -1, e, err);
	case WCH_TAR_HARDLINK: {
		int tfd;
		const char *tbase;
		char *tdir_path;
		if (!e->link || wch_path_check(e->link, NULL))
			return wch_errf(err, -WCH_E_UNSAFE_PATH, "'%s': unsafe hard link target '%s'",
					e->name, e->link ? e->link : "");
		r = clear_slot(pfd, base, e, err);
		if (r)
			return r;
		/* Resolve the target's parent without disturbing the cached
		 * parent of the link itself. */
		tdir_path = strdup(e->link);
		if (!tdir_path)
			return wch_errf(err, -ENOMEM, "out of memory");
		{
			char *sl = strrchr(tdir_path, '/');
			tbase = sl ? e->link + (sl - tdir_path) + 1 : e->link;
		}
		{
			int keep = dup(pfd);
			if (keep < 0) {
				free(tdir_path);
				return wch_err_sys(err, errno, "dup");
			}
			tfd = open_parent(s, e->link, err);
			if (tfd >= 0)
				tfd = dup(tfd);
			if (tfd >= 0 && linkat(tfd, tbase, keep, base, 0) < 0)
				r = wch_err_sys(err, errno, "'%s': cannot link to '%s'", e->name,
						e->link);
			else if (tfd < 0)
				r = tfd;
			if (tfd >= 0)
				close(tfd);
			close(keep);
		}
		free(tdir_path);
		return r;
	}
	case WCH_TAR_CHAR:
	case WCH_TAR_BLOCK:
	case WCH_TAR_FIFO: {
		mode_t kind = e->type == WCH_TAR_CHAR    ? S_IFCHR
			      : e->type == WCH_TAR_BLOCK ? S_IFBLK
							 : S_IFIFO;
		r = clear_slot(pfd, base, e, err);
		if (r)
			return r;
		if (mknodat(pfd, base, kind | (e->mode & 0777), makedev(e->devmajor, e->devminor)) <
		    0) {
			if (errno == EPERM && !s->apply_owner) {
				s->skipped++;
				return 0;
			}
			return wch_err_sys(err, errno, "'%s': cannot create special file", e->name);
		}
		return apply_meta(s, pfd, base, -1, e, err);
	}
	default:
		return wch_errf(err, -WCH_E_UNSUPPORTED, "'%s': unsupported entry type '%c'", e->name,
				e->type);
	}
}

static int sink_begin(struct wch_sink *s, const struct wch_pkg *p, struct wch_err *err)
{
	(void)s;
	(void)p;
	(void)err;
	return 0;
}

static int sink_end(struct wch_sink *s, struct wch_err *err)
{
	(void)err;
	forget_cache((struct dir_sink *)s);
	return 0;
}

static int sink_commit(struct wch_sink *sk, struct wch_err *err)
{
	struct dir_sink *s = (struct dir_sink *)sk;
	struct stat st;

	forget_cache(s);
	if (fstatat(s->parentfd, s->outbase, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Swap atomically, then remove the old tree now at tmpname. */
		if (renameat2(s->parentfd, s->tmpname, s->parentfd, s->outbase, RENAME_EXCHANGE) < 0)
			return wch_err_sys(err, errno, "cannot replace '%s'", s->outdir);
		s->committed = true;
		if (wch_remove_tree_at(s->parentfd, s->tmpname) < 0)
			return wch_errf(err, -EIO, "'%s' replaced, but the old tree could not be removed",
					s->outdir);
		return 0;
	}
	if (renameat(s->parentfd, s->tmpname, s->parentfd, s->outbase) < 0)
		return wch_err_sys(err, errno, "cannot rename into '%s'", s->outdir);
	s->committed = true;
	return 0;
}

static void sink_free(struct wch_sink *sk)
{
	struct dir_sink *s = (struct dir_sink *)sk;

	if (!s)
		return;
	forget_cache(s);
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (!s->committed && s->tmpname && s->parentfd >= 0)
		wch_remove_tree_at(s->parentfd, s->tmpname);
	if (s->parentfd >= 0)
		close(s->parentfd);
	free(s->outdir);
	free(s->tmpname);
	free(s->outbase);
	free(s);
}

static const struct wch_sink_ops dir_ops = {
	sink_begin, sink_entry, sink_end, sink_commit, sink_free,
};

int wch_sink_dir_new(struct wch_sink **out, const char *outdir, const struct wch_sink_dir_opts *o,
		     struct wch_err *err)
{
	struct dir_sink *s;
	char *copy = NULL, *slash;
	struct stat st;
	int r, tries;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return wch_errf(err, -ENOMEM, "out of memory");
	s->base.ops = &dir_ops;
	s->rootfd = s->parentfd = -1;
	s->force = o && o->force;
	s->apply_owner = o && o->apply_owner;
	s->outdir = strdup(outdir);
	copy = strdup(outdir);
	if (!s->outdir || !copy) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = 0;
	slash = strrchr(copy, '/');
	s->outbase = strdup(slash ? slash + 1 : copy);
	if (slash == copy)
		s->parentfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = 0;
		s->parentfd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else
		s->parentfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!s->outbase) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (s->parentfd < 0) {
		r = wch_err_sys(err, errno, "'%s': cannot open the parent directory", outdir);
		goto fail;
	}
	if (!strcmp(s->outbase, ".") || !strcmp(s->outbase, "..") || !s->outbase[0]) {
		r = wch_errf(err, -WCH_E_USAGE, "'%s': output must name a new or empty directory",
			     outdir);
		goto fail;
	}
	if (fstatat(s->parentfd, s->outbase, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		int fd, empty;
		if (!S_ISDIR(st.st_mode)) {
			r = wch_errf(err, -EEXIST, "'%s' exists and is not a directory", outdir);
			goto fail;
		}
		fd = openat(s->parentfd, s->outbase, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		empty = fd >= 0 ? dir_is_empty(fd) : -errno;
		if (fd >= 0)
			close(fd);
		if (empty < 0) {
			r = wch_err_sys(err, -empty, "'%s'", outdir);
			goto fail;
		}
		if (!empty && !s->force) {
			r = wch_errf(err, -EEXIST, "'%s' exists and is not empty (use --force)",
				     outdir);
			goto fail;
		}
	}
	for (tries = 0; tries < 100 && s->rootfd < 0; tries++) {
		unsigned rnd = (unsigned)getpid() * 2654435761u + (unsigned)tries * 40503u +
			       (unsigned)time(NULL);
		free(s->tmpname);
		if (asprintf(&s->tmpname, ".%s.wch-%08x", s->outbase, rnd) < 0) {
			s->tmpname = NULL;
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto fail;
		}
		if (mkdirat(s->parentfd, s->tmpname, 0755) < 0) {
			if (errno == EEXIST)
				continue;
			r = wch_err_sys(err, errno, "cannot create a directory next to '%s'", outdir);
			free(s->tmpname);
			s->tmpname = NULL;
			goto fail;
		}
		s->rootfd = openat(s->parentfd, s->tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								   O_CLOEXEC);
		if (s->rootfd < 0) {
			r = wch_err_sys(err, errno, "cannot open '%s'", s->tmpname);
			goto fail;
		}
	}
	if (s->rootfd < 0) {
		r = wch_errf(err, -EEXIST, "cannot create a temporary directory next to '%s'", outdir);
		goto fail;
	}
	/* A root folder is world-readable like any distribution root. */
	fchmod(s->rootfd, 0755);
	free(copy);
	*out = &s->base;
	return 0;
fail:
	free(copy);
	sink_free(&s->base);
	return r;
}

int wch_sink_dir_rootfd(struct wch_sink *sk)
{
	return ((struct dir_sink *)sk)->rootfd;
}

unsigned wch_sink_dir_skipped(struct wch_sink *sk)
{
	return ((struct dir_sink *)sk)->skipped;
}
