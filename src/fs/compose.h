/*
 * compose: install exactly the resolved packages into a new root, the way
 * `apk add --initdb --root` would, with nothing else in it (apk-format §2.9,
 * §4, §6).
 *
 * Flow: local .apk files are read and verified (signature against the
 * keyring, or --allow-untrusted) -> their identities join the world as
 * "name><Q1..." -> the solver picks the install set from the loaded
 * repositories plus the local files -> each package is streamed once from
 * its file through the package reader (identity/signature, datahash and
 * per-file SHA-1 checked on the fly) into the sink, with file-ownership
 * conflicts decided as apk does (replaces, same origin) -> the apk database
 * is written through the same sink -> the sink commits (atomic rename).
 * Install scripts are never run (no chroot, works as non-root); they are
 * stored in scripts.tar and reported.
 */
#ifndef WCH_FS_COMPOSE_H
#define WCH_FS_COMPOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/key.h"
#include "fs/sink.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/err.h"

struct wch_compose_opts {
	struct wch_repos *repos;	/* loaded (may have no repositories) */
	const struct wch_keyring *keys; /* trusted keys (local files, db copy) */
	const char *const *deps;	/* world dependency strings */
	size_t ndeps;
	const char *const *files; /* local .apk paths */
	size_t nfiles;
	bool allow_untrusted;
	bool no_db;	  /* leave out lib/apk, etc/apk, var/cache/apk */
	int64_t db_mtime; /* mtime of generated files (SOURCE_DATE_EPOCH or 0) */
	/* Progress / per-package report (may be NULL). */
	void (*note)(void *ctx, const char *msg);
	void *note_ctx;
};

struct wch_compose_stats {
	size_t npkgs, nfiles, ndirs;
	uint64_t installed_bytes; /* regular file bytes written from packages */
	size_t nscripts_skipped;  /* packages whose install scripts were not run */
	size_t ntriggers_skipped;
	/* "name-ver (post-install, ...), ..." and "name-ver (/usr/share/x ...),
	 * ..." for the summary; freed by wch_compose_stats_release(). */
	struct wch_buf scripts_skipped, triggers_skipped;
};

void wch_compose_stats_release(struct wch_compose_stats *stats);

/* Resolves only: appends "name-version\n" per package in install order to
 * plan. */
int wch_compose_plan(const struct wch_compose_opts *o, struct wch_buf *plan,
		     struct wch_buf *problems, struct wch_err *err);

/* Resolves and installs into sink (which it commits on success). The
 * per-package summary lines go to o->note. On failure the sink is not
 * committed; the caller frees it (which removes what was written). */
int wch_compose_run(const struct wch_compose_opts *o, struct wch_sink *sink,
		    struct wch_compose_stats *stats, struct wch_buf *problems, struct wch_err *err);

#endif
