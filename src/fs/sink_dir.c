#include "fs/sink_dir.h"

#include "util/interrupt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define PATH_CAP   4095
#define DIRS_SLOTS 256		/* power of two */
#define DIRS_MAX   128		/* open directory fds at most */
#define SINK_BUF   (128u << 10) /* file data moves in chunks this big */

struct dir_sink {
	struct wch_sink base;
	char *outdir;  /* final name, as given */
	char *tmpname; /* basename of the temporary root inside parentfd */
	char *outbase; /* basename of outdir */
	int parentfd;  /* directory holding outdir */
	int rootfd;
	bool force, apply_owner, committed;
	/* Directories stay open by path (a package's entries jump between
	 * directories, and packages share them), so writing an entry costs no
	 * path walk. Directory fds stay valid: nothing replaces a directory
	 * (clear_slot and write_dir refuse). When full, all are closed. */
	struct dir_slot {
		char *path;
		int fd;
	} dirs[DIRS_SLOTS];
	size_t ndirs;
	unsigned skipped;	 /* special files not created (no privilege) */
	unsigned xattrs_skipped; /* xattrs not set (no privilege) */
	unsigned char *buf;	 /* SINK_BUF bytes */
	/* Directories whose mode would lock the (non-root) writer out of
	 * them, e.g. 0555: written as mode | 0700 and given their mode at
	 * commit, deepest first (as tar does). */
	struct late_mode {
		char *path;
		mode_t mode;
	} * late;
	size_t nlate, late_cap;
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
	if (fd < 0 && errno == EACCES) {
		/* A package's directory may lock its owner out (mode 0000,
		 * 0111): unlock it, making sure it is still a directory. */
		struct stat st;
		if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
		    fchmodat(parent, name, 0700, 0) == 0)
			fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
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

static size_t dirs_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return (size_t)h & (DIRS_SLOTS - 1);
}

/* The slot of directory path[0..n), found or where it would go. */
static struct dir_slot *dirs_slot(struct dir_sink *s, const char *path, size_t n)
{
	size_t j = dirs_hash(path, n);

	while (s->dirs[j].path &&
	       (strlen(s->dirs[j].path) != n || memcmp(s->dirs[j].path, path, n)))
		j = (j + 1) & (DIRS_SLOTS - 1);
	return &s->dirs[j];
}

static void forget_cache(struct dir_sink *s)
{
	size_t j;

	for (j = 0; j < DIRS_SLOTS; j++)
		if (s->dirs[j].path) {
			close(s->dirs[j].fd);
			free(s->dirs[j].path);
			s->dirs[j].path = NULL;
		}
	s->ndirs = 0;
}

/* Keeps fd open as directory path[0..n) (takes it over); returns it, or
 * -ENOMEM after closing it. */
static int dirs_add(struct dir_sink *s, const char *path, size_t n, int fd)
{
	struct dir_slot *sl;

	if (s->ndirs >= DIRS_MAX)
		forget_cache(s);
	sl = dirs_slot(s, path, n);
	if (sl->path) { /* already there (cannot happen: callers look up first) */
		close(fd);
		return sl->fd;
	}
	sl->path = strndup(path, n);
	if (!sl->path) {
		close(fd);
		return -ENOMEM;
	}
	sl->fd = fd;
	s->ndirs++;
	return fd;
}

/* Opens (creating when missing) the directory holding path's last
 * component; returns an fd owned by the cache, or < 0. The walk starts at
 * the nearest open ancestor. */
static int open_parent(struct dir_sink *s, const char *path, struct wch_err *err)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0, start;
	char comp[NAME_MAX + 1];
	const char *p;
	struct dir_slot *sl;
	int fd, r;

	if (dlen == 0)
		return s->rootfd;
	sl = dirs_slot(s, path, dlen);
	if (sl->path)
		return sl->fd;
	/* Start at the nearest ancestor that is open. */
	fd = -1;
	start = 0;
	for (size_t k = dlen; fd < 0;) {
		const char *prev = memrchr(path, '/', k);
		if (!prev)
			break;
		k = (size_t)(prev - path);
		sl = dirs_slot(s, path, k);
		if (sl->path) {
			fd = dup(sl->fd);
			if (fd < 0)
				return wch_err_sys(err, errno, "dup");
			start = k + 1;
		}
	}
	if (fd < 0) {
		fd = dup(s->rootfd);
		if (fd < 0)
			return wch_err_sys(err, errno, "dup");
	}
	p = path + start;
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
				return wch_err_sys(err, e2, "'%s': cannot create directory '%s'",
						   path, comp);
			}
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e2 = errno;
			close(fd);
			if (e2 == ELOOP || e2 == ENOTDIR)
				return wch_errf(
				    err, -WCH_E_UNSAFE_PATH,
				    "'%s': '%.*s' is not a directory (symlink or file in the "
				    "way); refusing to write through it",
				    path, (int)(p - path + n), path);
			return wch_err_sys(err, e2, "'%s': cannot open directory", path);
		}
		close(fd);
		fd = next;
		p += n + 1;
	}
	r = dirs_add(s, path, dlen, fd);
	return r < 0 ? wch_errf(err, r, "out of memory") : r;
}

/* A non-root writer needs rwx on a directory to fill it: a mode without
 * them is applied at commit (sink_commit) instead of now. */
static int set_dir_mode_later(struct dir_sink *s, int fd, const struct wch_tar_entry *e,
			      struct wch_err *err)
{
	mode_t mode = e->mode & 07777;
	size_t i;

	for (i = 0; i < s->nlate; i++)
		if (!strcmp(s->late[i].path, e->name)) {
			s->late[i].mode = mode;
			break;
		}
	if (i == s->nlate && (mode & 0700) != 0700) {
		if (s->nlate == s->late_cap) {
			size_t cap = s->late_cap ? s->late_cap * 2 : 16;
			struct late_mode *g = realloc(s->late, cap * sizeof(*g));
			if (!g)
				return wch_errf(err, -ENOMEM, "out of memory");
			s->late = g;
			s->late_cap = cap;
		}
		s->late[s->nlate].path = strdup(e->name);
		if (!s->late[s->nlate].path)
			return wch_errf(err, -ENOMEM, "out of memory");
		s->late[s->nlate++].mode = mode;
	}
	if (i < s->nlate)
		mode |= 0700;
	if (fchmod(fd, mode) < 0)
		return wch_err_sys(err, errno, "'%s': cannot set mode", e->name);
	return 0;
}

/* Number of '/' in path. */
static size_t depth(const char *path)
{
	size_t n = 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

static int cmp_deeper_first(const void *a, const void *b)
{
	const struct late_mode *x = a, *y = b;
	size_t dx = depth(x->path), dy = depth(y->path);

	return dx != dy ? (dx < dy ? 1 : -1) : strcmp(x->path, y->path);
}

/* Gives the late directories their modes, children before parents. */
static int apply_late_modes(struct dir_sink *s, struct wch_err *err)
{
	size_t i;
	int fd;

	/* Deepest first: a parent that loses its x bit must come after
	 * everything below it, whichever package set which mode. */
	if (s->nlate > 1)
		qsort(s->late, s->nlate, sizeof(*s->late), cmp_deeper_first);
	for (i = 0; i < s->nlate; i++) {
		fd = openat(s->rootfd, s->late[i].path,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, s->late[i].mode) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return wch_err_sys(err, e, "'%s': cannot set mode", s->late[i].path);
		}
		close(fd);
	}
	return 0;
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
	if (e->type == WCH_TAR_DIR && !s->apply_owner) {
		int r = set_dir_mode_later(s, fd, e, err);
		if (r)
			return r;
	} else if (e->type != WCH_TAR_SYMLINK && fd >= 0 && fchmod(fd, e->mode & 07777) < 0) {
		return wch_err_sys(err, errno, "'%s': cannot set mode", e->name);
	} else if (fd < 0 && e->type != WCH_TAR_SYMLINK && e->type != WCH_TAR_HARDLINK &&
		   fchmodat(pfd, base, e->mode & 07777, 0) < 0) {
		/* A device node or fifo just made by mknodat(), whose mode
		 * the umask cut. */
		return wch_err_sys(err, errno, "'%s': cannot set mode", e->name);
	}
	for (i = 0; i < e->nxattrs && fd >= 0; i++) {
		if (fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len, 0) < 0) {
			/* security.* and trusted.* need privileges; the database
			 * still records them. */
			if ((errno == EPERM || errno == ENOTSUP) && !s->apply_owner) {
				s->xattrs_skipped++;
				continue;
			}
			return wch_err_sys(err, errno, "'%s': cannot set xattr '%s'", e->name,
					   e->xattrs[i].name);
		}
	}
	if (e->type != WCH_TAR_DIR) {
		struct timespec ts[2] = {{e->mtime, 0}, {e->mtime, 0}};
		if ((fd >= 0 ? futimens(fd, ts) : utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW)) <
		    0)
			return wch_err_sys(err, errno, "'%s': cannot set mtime", e->name);
	}
	return 0;
}

/* Makes room for a non-directory at base: replaces a file or symlink, but
 * never a directory. */
static int clear_slot(int pfd, const char *base, const struct wch_tar_entry *e, struct wch_err *err)
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

/* Non-directories are created exclusively; only when the name is taken
 * (a package replacing a file, or a path written twice) is the old entry
 * checked and removed, so a new path costs no stat. */
static int create_node(int pfd, const char *base, const struct wch_tar_entry *e, int tfd,
		       const char *tbase)
{
	switch (e->type) {
	case WCH_TAR_SYMLINK:
		return symlinkat(e->link, pfd, base);
	case WCH_TAR_HARDLINK:
		return linkat(tfd, tbase, pfd, base, 0);
	default: {
		mode_t kind = e->type == WCH_TAR_CHAR	 ? S_IFCHR
			      : e->type == WCH_TAR_BLOCK ? S_IFBLK
							 : S_IFIFO;
		return mknodat(pfd, base, kind | (e->mode & 0777),
			       makedev(e->devmajor, e->devminor));
	}
	}
}

/* create_node(), replacing what is in the way (never a directory). On
 * failure of the creation itself *sys_errno is its errno (the caller words
 * the message), else 0. */
static int create_replacing(int pfd, const char *base, const struct wch_tar_entry *e, int tfd,
			    const char *tbase, int *sys_errno, struct wch_err *err)
{
	int r;

	*sys_errno = 0;
	if (create_node(pfd, base, e, tfd, tbase) == 0)
		return 0;
	if (errno == EEXIST) {
		r = clear_slot(pfd, base, e, err);
		if (r)
			return r;
		if (create_node(pfd, base, e, tfd, tbase) == 0)
			return 0;
	}
	*sys_errno = errno;
	return -errno;
}

static int write_regular(struct dir_sink *s, int pfd, const char *base,
			 const struct wch_tar_entry *e, struct wch_reader *data,
			 struct wch_err *err)
{
	uint64_t left = e->size;
	int fd, r;

	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		r = clear_slot(pfd, base, e, err);
		if (r)
			return r;
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return wch_err_sys(err, errno, "'%s': cannot create", e->name);
	while (left) {
		size_t want = left < SINK_BUF ? (size_t)left : SINK_BUF;
		ssize_t got = wch_check_interrupt(err);
		if (!got)
			got = wch_read(data, s->buf, want, err);
		if (got < 0) {
			close(fd);
			return (int)got;
		}
		if (got == 0) {
			close(fd);
			return wch_errf(err, -WCH_E_FORMAT, "'%s': data ends early", e->name);
		}
		r = wch_fd_write_all(fd, s->buf, (size_t)got);
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

/* Creates (or reuses) a directory and keeps it open in the cache, where
 * its entries will look for it. */
static int write_dir(struct dir_sink *s, int pfd, const char *base, const struct wch_tar_entry *e,
		     struct wch_err *err)
{
	struct dir_slot *sl = dirs_slot(s, e->name, strlen(e->name));
	int fd, r;

	if (sl->path) /* already written by an earlier entry */
		return apply_meta(s, pfd, base, sl->fd, e, err);
	if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
		return wch_err_sys(err, errno, "'%s': cannot create directory", e->name);
	fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return wch_errf(err, -WCH_E_CONFLICT,
				"'%s': a file or symlink is in the way of a directory", e->name);
	if (fd < 0)
		return wch_err_sys(err, errno, "'%s': cannot open directory", e->name);
	r = apply_meta(s, pfd, base, fd, e, err);
	if (r) {
		close(fd);
		return r;
	}
	r = dirs_add(s, e->name, strlen(e->name), fd);
	return r < 0 ? wch_errf(err, r, "out of memory") : 0;
}

static int sink_entry(struct wch_sink *sk, const struct wch_tar_entry *e, struct wch_reader *data,
		      struct wch_err *err)
{
	struct dir_sink *s = (struct dir_sink *)sk;
	const char *base;
	int pfd, r, sys;

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
			return wch_errf(err, -WCH_E_FORMAT, "'%s': symlink without target",
					e->name);
		r = create_replacing(pfd, base, e, -1, NULL, &sys, err);
		if (r)
			return sys ? wch_err_sys(err, sys, "'%s': cannot create symlink", e->name)
				   : r;
		return apply_meta(s, pfd, base, -1, e, err);
	case WCH_TAR_HARDLINK: {
		const char *tbase;
		int keep, tfd;

		sys = 0;
		if (!e->link || wch_path_check(e->link, NULL))
			return wch_errf(err, -WCH_E_UNSAFE_PATH,
					"'%s': unsafe hard link target '%s'", e->name,
					e->link ? e->link : "");
		tbase = strrchr(e->link, '/');
		tbase = tbase ? tbase + 1 : e->link;
		/* Opening the target's parent may evict the link's parent
		 * from the cache: hold on to it. */
		keep = dup(pfd);
		if (keep < 0)
			return wch_err_sys(err, errno, "dup");
		tfd = open_parent(s, e->link, err);
		r = tfd < 0 ? tfd : create_replacing(keep, base, e, tfd, tbase, &sys, err);
		close(keep);
		if (r && sys)
			return wch_err_sys(err, sys, "'%s': cannot link to '%s'", e->name, e->link);
		return r;
	}
	case WCH_TAR_CHAR:
	case WCH_TAR_BLOCK:
	case WCH_TAR_FIFO:
		r = create_replacing(pfd, base, e, -1, NULL, &sys, err);
		if (r && sys == EPERM && !s->apply_owner) {
			s->skipped++;
			return 0;
		}
		if (r)
			return sys ? wch_err_sys(err, sys, "'%s': cannot create special file",
						 e->name)
				   : r;
		return apply_meta(s, pfd, base, -1, e, err);
	default:
		return wch_errf(err, -WCH_E_UNSUPPORTED, "'%s': unsupported entry type '%c'",
				e->name, e->type);
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
	(void)s;
	(void)err;
	return 0;
}

static int sink_commit(struct wch_sink *sk, struct wch_err *err)
{
	struct dir_sink *s = (struct dir_sink *)sk;
	struct stat st;
	int r;

	forget_cache(s);
	r = apply_late_modes(s, err);
	if (r)
		return r;
	if (fstatat(s->parentfd, s->outbase, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Swap atomically, then remove the old tree now at tmpname. */
		if (renameat2(s->parentfd, s->tmpname, s->parentfd, s->outbase, RENAME_EXCHANGE) <
		    0)
			return wch_err_sys(err, errno, "cannot replace '%s'", s->outdir);
		s->committed = true;
		if (wch_remove_tree_at(s->parentfd, s->tmpname) < 0)
			return wch_errf(err, -EIO,
					"'%s' replaced, but the old tree could not be removed",
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
	for (size_t i = 0; i < s->nlate; i++)
		free(s->late[i].path);
	free(s->late);
	free(s->buf);
	free(s->outdir);
	free(s->tmpname);
	free(s->outbase);
	free(s);
}

static const struct wch_sink_ops dir_ops = {
    sink_begin, sink_entry, sink_end, sink_commit, sink_free,
};

/* OUTDIR is replaced by a rename, which a mount point refuses (EBUSY):
 * better said before the work than after it. */
static bool is_mount_point(int parentfd, const char *name, const struct stat *st)
{
	struct statx sx;
	struct stat pst;

	if (statx(parentfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	return fstat(parentfd, &pst) == 0 && pst.st_dev != st->st_dev;
}

/* Opens the folder that holds outdir (*parentfd) and checks that outdir
 * may become the new root: absent, or an empty directory (any directory
 * with force), never a mount point. *base is outdir's last component,
 * malloc'ed. On failure nothing stays open. */
static int open_target(const char *outdir, bool force, int *parentfd, char **base,
		       struct wch_err *err)
{
	char *copy = strdup(outdir), *slash;
	struct stat st;
	int r = 0;

	*parentfd = -1;
	*base = NULL;
	if (!copy)
		return wch_errf(err, -ENOMEM, "out of memory");
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = 0;
	slash = strrchr(copy, '/');
	*base = strdup(slash ? slash + 1 : copy);
	if (slash == copy)
		*parentfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = 0;
		*parentfd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else
		*parentfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!*base)
		r = wch_errf(err, -ENOMEM, "out of memory");
	else if (*parentfd < 0)
		r = wch_err_sys(err, errno, "'%s': cannot open the parent directory", outdir);
	else if (!strcmp(*base, ".") || !strcmp(*base, "..") || !(*base)[0])
		r = wch_errf(err, -WCH_E_USAGE, "'%s': output must name a new or empty directory",
			     outdir);
	else if (fstatat(*parentfd, *base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		int fd, empty;
		if (!S_ISDIR(st.st_mode)) {
			r = wch_errf(err, -EEXIST, "'%s' exists and is not a directory", outdir);
		} else if (is_mount_point(*parentfd, *base, &st)) {
			r = wch_errf(err, -EBUSY,
				     "'%s' is a mount point: it cannot be replaced atomically "
				     "(compose into a new folder inside it)",
				     outdir);
		} else {
			fd = openat(*parentfd, *base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			empty = fd >= 0 ? dir_is_empty(fd) : -errno;
			if (fd >= 0)
				close(fd);
			if (empty < 0)
				r = wch_err_sys(err, -empty, "'%s'", outdir);
			else if (!empty && !force)
				r = wch_errf(err, -EEXIST,
					     "'%s' exists and is not empty (use --force)", outdir);
		}
	}
	free(copy);
	if (r) {
		if (*parentfd >= 0)
			close(*parentfd);
		*parentfd = -1;
		free(*base);
		*base = NULL;
	}
	return r;
}

int wch_sink_dir_check(const char *outdir, bool force, struct wch_err *err)
{
	char *base;
	int fd, r = open_target(outdir, force, &fd, &base, err);

	if (!r) {
		close(fd);
		free(base);
	}
	return r;
}

int wch_sink_dir_new(struct wch_sink **out, const char *outdir, const struct wch_sink_dir_opts *o,
		     struct wch_err *err)
{
	struct dir_sink *s;
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
	s->buf = malloc(SINK_BUF);
	if (!s->outdir || !s->buf) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	r = open_target(outdir, s->force, &s->parentfd, &s->outbase, err);
	if (r)
		goto fail;
	for (tries = 0; tries < 100 && s->rootfd < 0; tries++) {
		unsigned rnd = (unsigned)getpid() * 2654435761u + (unsigned)tries * 40503u +
			       (unsigned)time(NULL);
		free(s->tmpname);
		if (asprintf(&s->tmpname, ".%.200s.wch-%08x", s->outbase, rnd) < 0) {
			s->tmpname = NULL;
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto fail;
		}
		if (mkdirat(s->parentfd, s->tmpname, 0755) < 0) {
			if (errno == EEXIST)
				continue;
			r = wch_err_sys(err, errno, "cannot create a directory next to '%s'",
					outdir);
			free(s->tmpname);
			s->tmpname = NULL;
			goto fail;
		}
		s->rootfd = openat(s->parentfd, s->tmpname,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->rootfd < 0) {
			r = wch_err_sys(err, errno, "cannot open '%s'", s->tmpname);
			goto fail;
		}
	}
	if (s->rootfd < 0) {
		r = wch_errf(err, -EEXIST, "cannot create a temporary directory next to '%s'",
			     outdir);
		goto fail;
	}
	/* A root folder is world-readable like any distribution root. */
	fchmod(s->rootfd, 0755);
	*out = &s->base;
	return 0;
fail:
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

unsigned wch_sink_dir_xattrs_skipped(struct wch_sink *sk)
{
	return ((struct dir_sink *)sk)->xattrs_skipped;
}
