#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* wch_atomic_open's temporary name is "." + name part + ".tmp.%08x". */
#define TMP_BASE_MAX (NAME_MAX - 14)

int wch_read_full(const struct wch_reader *r, void *buf, size_t n, struct wch_err *err)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t got = wch_read(r, p, n, err);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return wch_errf(err, -WCH_E_FORMAT, "unexpected end of data");
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int wch_read_drain(const struct wch_reader *r, struct wch_err *err)
{
	char buf[16384];
	ssize_t got;

	while ((got = wch_read(r, buf, sizeof(buf), err)) > 0)
		;
	return got < 0 ? (int)got : 0;
}

ssize_t wch_fd_read(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int wch_fd_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static ssize_t fd_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	ssize_t r = wch_fd_read(*(int *)ctx, buf, n);

	if (r < 0)
		return wch_err_sys(err, (int)-r, "read error");
	return r;
}

static int fd_write(void *ctx, const void *buf, size_t n, struct wch_err *err)
{
	int r = wch_fd_write_all(*(int *)ctx, buf, n);

	if (r < 0)
		return wch_err_sys(err, -r, "write error");
	return 0;
}

struct wch_reader wch_reader_fd(int *fd)
{
	struct wch_reader r = {fd_read, fd};
	return r;
}

struct wch_writer wch_writer_fd(int *fd)
{
	struct wch_writer w = {fd_write, fd};
	return w;
}

static ssize_t mem_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	struct wch_mem_reader *m = ctx;
	size_t left = m->n - m->off;

	(void)err;
	if (n > left)
		n = left;
	if (n)
		memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

struct wch_reader wch_reader_mem(struct wch_mem_reader *m, const void *p, size_t n)
{
	struct wch_reader r = {mem_read, m};

	m->p = p;
	m->n = n;
	m->off = 0;
	return r;
}

static int buf_write(void *ctx, const void *buf, size_t n, struct wch_err *err)
{
	if (wch_buf_add(ctx, buf, n))
		return wch_errf(err, -ENOMEM, "out of memory");
	return 0;
}

struct wch_writer wch_writer_buf(struct wch_buf *b)
{
	struct wch_writer w = {buf_write, b};
	return w;
}

int wch_read_file_at(int dirfd, const char *path, struct wch_buf *b, size_t cap,
		     struct wch_err *err)
{
	char tmp[65536];
	int fd, r = 0;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wch_err_sys(err, errno, "cannot open '%s'", path);
	for (;;) {
		ssize_t got = wch_fd_read(fd, tmp, sizeof(tmp));
		if (got < 0) {
			r = wch_err_sys(err, (int)-got, "cannot read '%s'", path);
			break;
		}
		if (got == 0)
			break;
		if (b->len + (size_t)got > cap) {
			r = wch_errf(err, -WCH_E_TOO_BIG, "'%s' is larger than %zu bytes", path,
				     cap);
			break;
		}
		if (wch_buf_add(b, tmp, (size_t)got)) {
			r = wch_errf(err, -ENOMEM, "out of memory reading '%s'", path);
			break;
		}
	}
	close(fd);
	return r;
}

int wch_atomic_open(struct wch_atomic *a, int dirfd, const char *name, mode_t mode,
		    struct wch_err *err)
{
	const char *base = strrchr(name, '/');
	size_t dirlen = base ? (size_t)(base - name + 1) : 0, baselen;
	int tries;

	a->dirfd = dirfd;
	a->fd = -1;
	a->tmp = NULL;
	a->name = strdup(name);
	if (!a->name)
		return wch_errf(err, -ENOMEM, "out of memory");
	base = base ? base + 1 : name;
	/* ".<name>.tmp.XXXXXXXX" must stay a valid name when name itself is
	 * close to NAME_MAX: keep only as much of it as fits. */
	baselen = strlen(base);
	if (baselen > TMP_BASE_MAX)
		baselen = TMP_BASE_MAX;
	for (tries = 0; tries < 100; tries++) {
		unsigned int rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (unsigned int)getpid() * 2654435761u + (unsigned int)tries;
		free(a->tmp);
		if (asprintf(&a->tmp, "%.*s.%.*s.tmp.%08x", (int)dirlen, name, (int)baselen, base,
			     rnd) < 0) {
			a->tmp = NULL;
			wch_atomic_abort(a);
			return wch_errf(err, -ENOMEM, "out of memory");
		}
		a->fd = openat(dirfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			       mode);
		if (a->fd >= 0)
			break;
		if (errno != EEXIST) {
			int e = errno;
			free(a->tmp);
			a->tmp = NULL;
			wch_atomic_abort(a);
			return wch_err_sys(err, e, "cannot create '%s'", name);
		}
	}
	if (a->fd < 0) {
		free(a->tmp);
		a->tmp = NULL;
		wch_atomic_abort(a);
		return wch_errf(err, -EEXIST, "cannot create a temporary file for '%s'", name);
	}
	/* The umask must not weaken or widen what the caller asked for. */
	if (fchmod(a->fd, mode) < 0) {
		int e = errno;
		wch_atomic_abort(a);
		return wch_err_sys(err, e, "cannot set mode of '%s'", name);
	}
	return 0;
}

int wch_atomic_commit(struct wch_atomic *a, struct wch_err *err)
{
	int r = 0;

	if (a->fd >= 0) {
		if (close(a->fd) < 0)
			r = wch_err_sys(err, errno, "cannot write '%s'", a->name);
		a->fd = -1;
	}
	if (!r && renameat(a->dirfd, a->tmp, a->dirfd, a->name) < 0)
		r = wch_err_sys(err, errno, "cannot rename to '%s'", a->name);
	if (!r) {
		free(a->tmp);
		a->tmp = NULL;
	}
	wch_atomic_abort(a);
	return r;
}

void wch_atomic_abort(struct wch_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp)
		unlinkat(a->dirfd, a->tmp, 0);
	free(a->tmp);
	free(a->name);
	a->tmp = a->name = NULL;
}

static int atomic_write(void *ctx, const void *buf, size_t n, struct wch_err *err)
{
	struct wch_atomic *a = ctx;
	int r = wch_fd_write_all(a->fd, buf, n);

	if (r < 0)
		return wch_err_sys(err, -r, "cannot write '%s'", a->name);
	return 0;
}

struct wch_writer wch_atomic_writer(struct wch_atomic *a)
{
	struct wch_writer w = {atomic_write, a};
	return w;
}

int wch_open_input(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), flags, e;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode) || (flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		e = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		return -e;
	}
	return fd;
}

int wch_open_input_err(const char *path, struct wch_err *err)
{
	int fd = wch_open_input(path);

	if (fd < 0)
		return wch_err_sys(err, -fd, "cannot %s '%s'", fd == -EISDIR ? "read" : "open",
				   path);
	return fd;
}
