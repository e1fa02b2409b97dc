/*
 * Byte streams and file helpers.
 *
 * struct wch_reader is a pull source: read() returns the number of bytes
 * placed in buf (> 0), 0 at end of stream, or a negative code with the
 * message in err. struct wch_writer is a push sink: write() consumes all n
 * bytes or returns a negative code. Both are small value types that borrow
 * their ctx; whoever built the ctx frees it.
 *
 * struct wch_atomic writes a file whole or not at all: the data goes to a
 * temporary name in the target directory and is renamed over the final name
 * by wch_atomic_commit(); wch_atomic_abort() (safe after commit, and on a
 * zeroed struct) removes the temporary file.
 */
#ifndef WCH_UTIL_IO_H
#define WCH_UTIL_IO_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/err.h"

struct wch_reader {
	ssize_t (*read)(void *ctx, void *buf, size_t n, struct wch_err *err);
	void *ctx;
};

struct wch_writer {
	int (*write)(void *ctx, const void *buf, size_t n, struct wch_err *err);
	void *ctx;
};

static inline ssize_t wch_read(const struct wch_reader *r, void *buf, size_t n, struct wch_err *err)
{
	return r->read(r->ctx, buf, n, err);
}

static inline int wch_write(const struct wch_writer *w, const void *buf, size_t n,
			    struct wch_err *err)
{
	return w->write(w->ctx, buf, n, err);
}

/* Reads exactly n bytes; a short stream is -WCH_E_FORMAT "unexpected end of
 * data". */
int wch_read_full(const struct wch_reader *r, void *buf, size_t n, struct wch_err *err);

/* Reads and discards until end of stream. */
int wch_read_drain(const struct wch_reader *r, struct wch_err *err);

/* File descriptors. The ctx of the reader/writer is a pointer to an int. */
struct wch_reader wch_reader_fd(int *fd);
struct wch_writer wch_writer_fd(int *fd);

/* A memory source: ctx is a struct wch_mem_reader the caller keeps alive. */
struct wch_mem_reader {
	const unsigned char *p;
	size_t n, off;
};
struct wch_reader wch_reader_mem(struct wch_mem_reader *m, const void *p, size_t n);

/* A memory sink appending to a wch_buf. */
struct wch_writer wch_writer_buf(struct wch_buf *b);

/* read(2)/write(2) with EINTR handled; write_all writes everything.
 * Return bytes / 0, or -errno. */
ssize_t wch_fd_read(int fd, void *buf, size_t n);
int wch_fd_write_all(int fd, const void *buf, size_t n);

/* Opens a file to read as input: like open(O_RDONLY | O_CLOEXEC), but a
 * FIFO without a writer does not block (it reads as empty) and a directory
 * fails with -EISDIR at once. Returns the fd or -errno. */
int wch_open_input(const char *path);
/* The same, with the failure in err: "cannot open 'PATH': why" (or
 * "cannot read" for a directory). */
int wch_open_input_err(const char *path, struct wch_err *err);

/* Reads a whole file (relative to dirfd, AT_FDCWD for cwd) into b, failing
 * with -WCH_E_TOO_BIG past cap bytes. Message names the path. */
int wch_read_file_at(int dirfd, const char *path, struct wch_buf *b, size_t cap,
		     struct wch_err *err);

struct wch_atomic {
	int dirfd; /* borrowed */
	int fd;	   /* -1 when closed */
	char *name, *tmp;
};

/* Opens a temporary file next to name (in dirfd) with mode. */
int wch_atomic_open(struct wch_atomic *a, int dirfd, const char *name, mode_t mode,
		    struct wch_err *err);
/* Closes and renames the temporary file over name. */
int wch_atomic_commit(struct wch_atomic *a, struct wch_err *err);
/* Closes and unlinks the temporary file if still present; frees names. */
void wch_atomic_abort(struct wch_atomic *a);
/* A writer appending to the temporary file. */
struct wch_writer wch_atomic_writer(struct wch_atomic *a);

#endif
