/*
 * Path ownership while composing (apk-format §2.9, §7.7, §1.2).
 *
 * Every entry path written into the root is claimed by the package that
 * brings it. Directories are shared. A non-directory that another package
 * already wrote is a conflict unless both packages share a non-empty
 * origin or one `replaces` the other (replaces_priority breaks a mutual
 * replace; the newer package wins ties), as apk decides. A directory
 * against a non-directory is always a conflict.
 *
 * Ownership names: tar headers from abuild carry uid/gid 0 and the owner in
 * uname/gname, which apk resolves against the target root's etc/passwd and
 * etc/group. wch_owners_watch() captures those two files as packages
 * write them so later entries resolve the same way.
 */
#ifndef WCH_FS_OWNERS_H
#define WCH_FS_OWNERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "apk/pkg.h"
#include "archive/tar.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/io.h"

enum wch_owner_verdict {
	WCH_OWNER_NEW,	      /* first claim on this path */
	WCH_OWNER_SHARED_DIR, /* a directory another package also has */
	WCH_OWNER_TAKE_OVER,  /* replaces a file of an earlier package (or its own) */
	WCH_OWNER_KEEP_OLD,   /* the earlier package keeps it: skip this entry */
};

struct wch_owner_slot {
	const char *path;
	const struct wch_pkg *pkg;
	char type;
	void *data; /* free for the caller (the database record of the path) */
	/* A directory: the last package whose data had an entry for it
	 * (maintained by the caller; §2.9's "no dirent in archive" rule). */
	const struct wch_pkg *dir_by;
	/* A directory: the owner and permission bits it gets on disk when
	 * packages share it, as apk 2.14 decides (maintained by the caller):
	 * the lowest uid:gid wins with its mode, equal owners AND theirs. */
	unsigned dir_mode;
	uid_t dir_uid;
	gid_t dir_gid;
};

struct wch_owners {
	struct wch_arena arena;
	struct wch_owner_slot *slots;
	size_t cap, used;
	/* captured etc/passwd and etc/group of the root being built */
	struct wch_buf passwd, group;
	int capturing; /* 0 none, 1 passwd, 2 group */
	struct wch_reader inner;
	struct wch_buf *capture;
};

void wch_owners_init(struct wch_owners *o);
void wch_owners_release(struct wch_owners *o);

/* Claims path for pkg. On success *slot points at the path's record (its
 * pkg/type already updated unless the verdict is KEEP_OLD). Conflicts are
 * -WCH_E_CONFLICT naming both packages. */
int wch_owners_claim(struct wch_owners *o, const char *path, char type, const struct wch_pkg *pkg,
		     enum wch_owner_verdict *verdict, struct wch_owner_slot **slot,
		     struct wch_err *err);

/* The record of a claimed path, or NULL. */
struct wch_owner_slot *wch_owners_find(const struct wch_owners *o, const char *path);

/* uid/gid for an entry: uname/gname looked up in the captured files, else
 * "root" = 0, else the numeric fields. */
void wch_owners_resolve_ids(const struct wch_owners *o, const struct wch_tar_entry *e, uid_t *uid,
			    gid_t *gid);

/* If e is etc/passwd or etc/group, wraps *rd so its content is captured.
 * Returns 0 or -ENOMEM. */
int wch_owners_watch(struct wch_owners *o, const struct wch_tar_entry *e, struct wch_reader *rd);
/* Ends a capture started by wch_owners_watch (no-op otherwise). */
int wch_owners_watch_end(struct wch_owners *o, struct wch_err *err);

#endif
