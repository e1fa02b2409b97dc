/*
 * Package metadata: what .PKGINFO, APKINDEX stanzas and installed-db
 * stanzas describe (apk-format §3, §5.2, §6.1).
 *
 * All strings and arrays of a wch_pkg live in the arena it was parsed into;
 * a wch_pkg is never freed on its own. Absent strings are NULL except name
 * and version (never NULL after a successful parse).
 */
#ifndef WCH_APK_PKG_H
#define WCH_APK_PKG_H

#include <stdbool.h>
#include <stdint.h>

#include "apk/dep.h"
#include "crypto/hash.h"
#include "util/arena.h"

struct wch_pkg {
	const char *name, *version, *arch;
	const char *description, *url, *license;
	const char *origin, *maintainer, *commit, *packager;
	uint64_t file_size;	 /* S: size of the .apk file, 0 if unknown */
	uint64_t installed_size; /* I: / .PKGINFO size */
	int64_t build_time;	 /* t: / builddate */
	unsigned provider_priority, replaces_priority;
	struct wch_deps depends, provides, install_if, replaces;
	const char **triggers;
	size_t ntriggers;
	struct wch_checksum identity; /* C:, len 0 if unknown */
	bool has_datahash;
	unsigned char datahash[32];
	/* Unknown uppercase index letter: apk marks such packages uninstallable
	 * (§5.2). */
	bool uninstallable;
	/* Where it came from: repository number (>= 0), or -1 for a local
	 * file; path of the local file. Set by the repo layer. */
	int repo;
	const char *filename;
	void *user; /* free for the solver and others */
};

/* "name-version" into b. */
int wch_pkg_format_nv(const struct wch_pkg *p, struct wch_buf *b);
/* Split "name-version" at the last '-' followed by a digit (§3). */
bool wch_pkg_split_nv(const char *nv, struct wch_view *name, struct wch_view *version);
/* Valid package name for producing packages: [a-zA-Z0-9._+-], starting
 * alphanumeric (§3). */
bool wch_pkg_name_valid(const char *name);
/* Sort order of §5.2: strcasecmp of names, then strcmp, then version. */
int wch_pkg_cmp(const struct wch_pkg *a, const struct wch_pkg *b);

#endif
