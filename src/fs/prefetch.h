/*
 * Reading packages ahead on a second core (compose's install loop).
 *
 * Installing a package is two kinds of work: reading it (inflate, SHA-1 of
 * every file, SHA-256 of the data member, tar parsing: pure CPU) and
 * writing it (ownership rules, the sink's system calls, the database). The
 * prefetcher runs wch_package_read_fd() for the packages of the plan in
 * order on a worker thread and records what the callbacks saw: the control
 * event, every entry with its content, and the final result. The caller
 * replays package i with wch_prefetch_replay() on its own thread while the
 * worker already reads package i+1, so the two halves overlap.
 *
 * A replay is indistinguishable from reading the file there and then: the
 * same callbacks in the same order with the same entries and bytes, a read
 * error inside an entry's content returned by its reader at the same byte,
 * the same return code and message, and on success the same result (after
 * a failure res is partial either way, and never says complete). Only the
 * time differs.
 *
 * Memory stays bounded: the worker holds at most WCH_PREFETCH_AHEAD bytes
 * of recorded content beyond the package being replayed, and a package
 * whose installed size is above WCH_PREFETCH_PKG_MAX is not recorded at all
 * (its replay reads the file then, streaming). Without a second thread
 * (pthread_create failed) every replay reads the file itself.
 */
#ifndef WCH_FS_PREFETCH_H
#define WCH_FS_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "apk/package.h"
#include "util/err.h"

#define WCH_PREFETCH_AHEAD   (64u << 20)
#define WCH_PREFETCH_PKG_MAX (64u << 20)

struct wch_prefetch_job {
	const char *path;		     /* the package file */
	const struct wch_checksum *identity; /* it must have this identity */
	uint64_t installed_size;	     /* from the index (I:), 0 if unknown */
};

struct wch_prefetch;

/* Starts reading jobs[0..n) (copied; paths and identities borrowed) with
 * keys (borrowed; used for nothing in identity mode, kept for symmetry).
 * Fails only when out of memory. */
int wch_prefetch_start(struct wch_prefetch **out, const struct wch_prefetch_job *jobs, size_t n,
		       const struct wch_keyring *keys, struct wch_err *err);
/* Replays job i into o's control/entry/entry_end callbacks and ctx (the
 * mode, identity, keys and arena of o are ignored: the job's are used).
 * Jobs must be replayed in order, each once. res and the strings it points
 * to stay valid until wch_prefetch_free(). */
int wch_prefetch_replay(struct wch_prefetch *pf, size_t i, const struct wch_pkg_read_opts *o,
			struct wch_pkg_read_result *res, struct wch_err *err);
/* Stops the worker (it finishes the package it is in) and frees all. */
void wch_prefetch_free(struct wch_prefetch *pf);

#endif
