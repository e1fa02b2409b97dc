/*
 * The apk database of a composed root (apk-format §6): what compose records
 * while packages stream through, and the files it writes at the end through
 * the same sink as the package files:
 *   lib/apk/db/installed, lib/apk/db/scripts.tar, lib/apk/db/triggers,
 *   etc/apk/world, etc/apk/repositories, etc/apk/keys/, etc/apk/arch.
 * Owners recorded are the resolved ids (§6.1 "as resolved on the target"),
 * whether or not the sink could apply them.
 */
#ifndef WCH_FS_COMPOSE_DB_H
#define WCH_FS_COMPOSE_DB_H

#include <stdint.h>

#include "apk/db.h"
#include "apk/package.h"
#include "crypto/key.h"
#include "fs/sink.h"
#include "repo/repo.h"

struct wch_compose_db_pkg;

struct wch_compose_db {
	struct wch_arena arena;
	const struct wch_repos *repos;	/* borrowed */
	const struct wch_keyring *keys; /* borrowed */
	void *priv;			/* the struct wch_db model and bookkeeping */
	/* key names that verified something (indexes, local packages) */
	const char **used_keys;
	size_t nused_keys;
};

void wch_compose_db_init(struct wch_compose_db *db, const struct wch_repos *repos,
			 const struct wch_keyring *keys);
void wch_compose_db_release(struct wch_compose_db *db);

/* A package's control part was verified: start its record. */
int wch_compose_db_begin(struct wch_compose_db *db, const struct wch_pkg *pkg,
			 const struct wch_pkg_read_result *res, struct wch_compose_db_pkg **out,
			 struct wch_err *err);
/* An entry was written. *path_data is the per-path slot from the ownership
 * map: it points at the previous owner's record when a package takes a file
 * over (that record is dropped) and is set to this entry's record.
 * link_data: for a hard link, the slot data of its target (its checksum is
 * the link's, §2.7), else NULL. */
int wch_compose_db_entry(struct wch_compose_db *db, struct wch_compose_db_pkg *p,
			 const struct wch_tar_entry *e, void **path_data, void *link_data,
			 struct wch_err *err);
/* The package was fully read and verified. */
int wch_compose_db_end(struct wch_compose_db *db, struct wch_compose_db_pkg *p,
		       const struct wch_pkg_read_result *res, struct wch_err *err);

/* Remembers that the key named name (if in the keyring) verified something,
 * so it is copied into etc/apk/keys. */
int wch_compose_db_use_key(struct wch_compose_db *db, const char *name, struct wch_err *err);

/* Writes the database files into the sink. */
int wch_compose_db_write(struct wch_compose_db *db, struct wch_sink *sink,
			 const struct wch_deps *world, int64_t mtime, struct wch_err *err);

#endif
