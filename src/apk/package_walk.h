/*
 * Internal to package_write.c: the source tree of a package as a sorted
 * list of entries (apk-format §2.8 steps 1-2: names relative without "./",
 * byte-sorted, so every directory precedes its contents).
 *
 * The walk never follows symlinks (openat/fstatat relative to directory
 * file descriptors with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW) and keeps the
 * root folder open so that package_write.c can open entries relative to it.
 * Hard links: for every (dev, ino) of a regular file seen more than once,
 * the first path in sort order is the file and later ones point to it.
 */
#ifndef WCH_APK_PACKAGE_WALK_H
#define WCH_APK_PACKAGE_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/arena.h"
#include "util/err.h"

#define WCH_PW_NO_LINK SIZE_MAX

struct wch_pw_entry {
	const char *path; /* relative, in the tree's arena */
	const char *link; /* symlink target, else NULL */
	mode_t mode;	  /* st_mode: type and permission bits */
	uint64_t size;	  /* regular files */
	int64_t mtime;
	dev_t dev, rdev;
	ino_t ino;
	unsigned long nlink;
	size_t hardlink_of; /* index of the entry this is a hard link to */
};

struct wch_pw_tree {
	struct wch_arena arena;
	struct wch_pw_entry *v;
	size_t n, cap;
	int rootfd; /* the source folder, O_DIRECTORY */
};

struct wch_pw_opts {
	bool allow_special; /* keep devices and fifos (sockets are skipped with a warning) */
	bool avoid_set;	    /* fail if the walk meets this directory (the output folder) */
	dev_t avoid_dev;
	ino_t avoid_ino;
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* Walks srcdir into t (zeroed first). */
int wch_pw_walk(const char *srcdir, const struct wch_pw_opts *o, struct wch_pw_tree *t,
		struct wch_err *err);
void wch_pw_release(struct wch_pw_tree *t);

#endif
