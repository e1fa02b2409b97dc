/*
 * The root-folder sink: writes entries under a new directory that replaces
 * OUTDIR atomically on commit.
 *
 * Everything is built in a sibling temporary directory "<OUTDIR>.wch-XXXXXX"
 * and renamed into place by commit (exchanged with an existing OUTDIR when
 * force is set, which is then removed). Without commit, free() removes the
 * temporary tree. All writes go through directory file descriptors opened
 * with O_NOFOLLOW from the root fd, so no entry can write outside the root,
 * even through a symlink written by an earlier entry (apk-format §2.9).
 *
 * Entry uid/gid are applied only when apply_owner is set (running as root);
 * otherwise the tree gets the caller's ownership. Setuid/setgid bits are
 * applied after chown, xattrs when permitted (security.* needs root).
 * An existing regular file or symlink at an entry's path is replaced (the
 * caller has already decided the overwrite is allowed); an existing
 * directory where a non-directory goes, or a non-directory where a
 * directory goes, is -WCH_E_CONFLICT.
 */
#ifndef WCH_FS_SINK_DIR_H
#define WCH_FS_SINK_DIR_H

#include <stdbool.h>

#include "fs/sink.h"

struct wch_sink_dir_opts {
	bool force;	  /* replace a non-empty OUTDIR */
	bool apply_owner; /* chown entries (needs root) */
};

int wch_sink_dir_new(struct wch_sink **out, const char *outdir, const struct wch_sink_dir_opts *o,
		     struct wch_err *err);
/* The root directory fd of the tree being built (for reading back). */
/* The checks wch_sink_dir_new() makes of outdir, without writing anything
 * (for --dry-run). */
int wch_sink_dir_check(const char *outdir, bool force, struct wch_err *err);
int wch_sink_dir_rootfd(struct wch_sink *s);
/* Special files skipped because we lack privileges (counted). */
/* What a non-root run could not do: special files not created, xattrs
 * (security.*, trusted.*) not set. Both stay in the database. */
unsigned wch_sink_dir_skipped(struct wch_sink *s);
unsigned wch_sink_dir_xattrs_skipped(struct wch_sink *s);

/* Checks a relative entry path: non-empty components, no "." or "..", no
 * leading '/', at most 4095 bytes. Returns 0 or -WCH_E_UNSAFE_PATH. */
int wch_path_check(const char *path, struct wch_err *err);

/* Removes a tree below dirfd/name without following symlinks. */
int wch_remove_tree_at(int dirfd, const char *name);

#endif
