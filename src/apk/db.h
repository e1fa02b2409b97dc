/*
 * The installed database of a root: lib/apk/db/installed, triggers,
 * scripts.tar and etc/apk/world (apk-format §6.1-§6.4).
 *
 * struct wch_db is an in-memory model that compose fills while it extracts
 * packages and then writes out, and that the reader fills from an existing
 * root, so that write -> read -> write is byte-identical. Everything in it
 * (packages, strings, arrays, script bodies) lives in db->arena and is freed
 * by wch_db_release(); a wch_pkg handed to wch_db_add_pkg() is borrowed and
 * must outlive the db (keep it in the same or a longer-lived arena).
 *
 * Building, per package, in data-tar order:
 *     dp = wch_db_add_pkg(db, pkg);              // pkg->replaces, triggers...
 *     wch_db_add_dir(db, dp, "usr/bin", &acl);   // each directory entry
 *     wch_db_add_file(db, dp, "usr/bin/x", &acl, &csum);
 *     wch_db_add_script(db, dp, "post-install", data, len);
 * then wch_db_sort() (apk writes packages in §5.2 order) and the writers.
 *
 * ACLs: uid/gid numeric as resolved on the target, mode masked to 07777;
 * symlinks must be added with mode 0777 and the SHA-1 of their target text
 * as checksum (§6.1). The writer omits M: for 0:0:755 and a: for 0:0:644
 * when there is no xattr digest.
 */
#ifndef WCH_APK_DB_H
#define WCH_APK_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "apk/pkg.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/io.h"

struct wch_db_acl {
	unsigned uid, gid, mode;
	struct wch_checksum xattr; /* digest of the xattrs, len 0 = none */
};

struct wch_db_file {
	const char *name; /* base name inside its directory */
	struct wch_db_acl acl;
	struct wch_checksum csum; /* Z:, len 0 = none */
};

struct wch_db_dir {
	const char *name; /* no leading or trailing '/'; "" = the root */
	struct wch_db_acl acl;
	struct wch_db_file *files;
	size_t nfiles, cap;
};

/* Script types in apk's order (§4.1), which is also scripts.tar order. */
enum wch_db_script_type {
	WCH_SCRIPT_PRE_INSTALL,
	WCH_SCRIPT_POST_INSTALL,
	WCH_SCRIPT_PRE_DEINSTALL,
	WCH_SCRIPT_POST_DEINSTALL,
	WCH_SCRIPT_PRE_UPGRADE,
	WCH_SCRIPT_POST_UPGRADE,
	WCH_SCRIPT_TRIGGER,
	WCH_SCRIPT_MAX
};

struct wch_db_pkg {
	struct wch_pkg *pkg;	 /* borrowed; replaces, replaces_priority and
				  * triggers are taken from here */
	const char *repo_tag;	 /* s: tag name without '@', NULL if none */
	const char *broken;	 /* f: flag letters (f s x S), NULL if none */
	struct wch_db_dir *dirs; /* in archive order */
	size_t ndirs, cap;
	struct {
		const unsigned char *data; /* NULL = no such script */
		size_t len;
	} scripts[WCH_SCRIPT_MAX];
};

struct wch_db {
	struct wch_arena arena;
	struct wch_db_pkg **pkgs;
	size_t npkgs, cap;
	struct wch_deps world; /* etc/apk/world; strings in arena */
};

void wch_db_init(struct wch_db *db);
void wch_db_release(struct wch_db *db);

/* Appends a package (NULL when out of memory). */
struct wch_db_pkg *wch_db_add_pkg(struct wch_db *db, struct wch_pkg *pkg);
/* Finds an installed package by name (NULL if none). */
struct wch_db_pkg *wch_db_find(const struct wch_db *db, const char *name);

/* A directory entry of dp's data tar. Adding a directory dp already has
 * updates its ACL instead (as apk does for repeated entries). */
int wch_db_add_dir(struct wch_db *db, struct wch_db_pkg *dp, const char *path,
		   const struct wch_db_acl *acl, struct wch_err *err);
/* A non-directory entry at path ("dir/name"). Its directory is the most
 * recent one of that name; if dp has none yet, one with the default ACL
 * 0:0:755 is appended first. csum may be NULL. */
int wch_db_add_file(struct wch_db *db, struct wch_db_pkg *dp, const char *path,
		    const struct wch_db_acl *acl, const struct wch_checksum *csum,
		    struct wch_err *err);
/* Stores a copy of a script (type by name: "post-install", ...). Unknown
 * names are -WCH_E_UNSUPPORTED. */
int wch_db_add_script(struct wch_db *db, struct wch_db_pkg *dp, const char *type, const void *data,
		      size_t len, struct wch_err *err);
const char *wch_db_script_name(enum wch_db_script_type t);
int wch_db_script_type(const char *name); /* -1 if unknown */

/* Sorts packages as apk writes them (§5.2, wch_pkg_cmp). */
void wch_db_sort(struct wch_db *db);

/* lib/apk/db/installed (§6.1), packages in model order. r:/q:/s:/f: are
 * written inside their own stanza even for a package without directories
 * (apk 2.14 leaks them into the next stanza; we do not copy that bug). */
int wch_db_write_installed(const struct wch_db *db, struct wch_buf *out);
/* lib/apk/db/triggers (§6.4): "<identity> <glob>..." per package with
 * triggers, in model order. */
int wch_db_write_triggers(const struct wch_db *db, struct wch_buf *out);
/* etc/apk/world (§6.2): one dependency per line sorted by name as §5.2,
 * ending in a newline. */
int wch_db_write_world(const struct wch_db *db, struct wch_buf *out);
/* scripts.tar entry name "<name>-<version>.<identity>.<type>" (§6.3) into
 * b. */
int wch_db_script_entry_name(const struct wch_pkg *p, enum wch_db_script_type t, struct wch_buf *b);
/* lib/apk/db/scripts.tar (§6.3): GNU-style tar, mode 0755, root:root,
 * mtime = build time, packages in model order, types in enum order. */
int wch_db_write_scripts(const struct wch_db *db, struct wch_writer out, struct wch_err *err);

/* Reads lib/apk/db/installed text into db (appending, in file order).
 * Unknown letters and lines out of place (R: before F:, a:/Z: before R:,
 * M: before F:) are -WCH_E_FORMAT naming the line, as apk refuses them. */
int wch_db_read_installed(struct wch_db *db, const char *text, size_t n, struct wch_err *err);
/* Reads a triggers file: attaches the globs to the package with that
 * identity (lines for unknown packages are ignored, as apk does). */
int wch_db_read_triggers(struct wch_db *db, const char *text, size_t n, struct wch_err *err);
/* Reads etc/apk/world into db->world. */
int wch_db_read_world(struct wch_db *db, const char *text, size_t n, struct wch_err *err);

#endif
