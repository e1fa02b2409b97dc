/*
 * The download cache (apk-format §5.3 names).
 *
 * One folder (default $XDG_CACHE_HOME/witchery, else ~/.cache/witchery,
 * created 0755 on first use) holding:
 *   APKINDEX.<8 hex>.tar.gz      index of URL U, hex = first 4 bytes of
 *                                SHA-1(U) where U = R/<arch>/APKINDEX.tar.gz
 *   APKINDEX.<8 hex>.tar.gz.etag  validators for the conditional request:
 *                                "etag: ...\nlast-modified: ...\n"
 *   <name>-<ver>.<8 hex>.apk     package, hex = first 4 bytes of its C:
 * Every write is atomic. A cached package is only trusted after its
 * identity was checked (repo.h wch_repos_fetch_pkg).
 */
#ifndef WCH_REPO_CACHE_H
#define WCH_REPO_CACHE_H

#include "apk/pkg.h"
#include "repo/fetch.h"
#include "util/buf.h"
#include "util/err.h"

struct wch_cache {
	char *dir;
	int dirfd; /* -1 until wch_cache_open succeeded */
};

/* Default folder into out (no trailing '/'). -WCH_E_NOT_FOUND if neither
 * XDG_CACHE_HOME nor HOME is set. */
int wch_cache_default_dir(struct wch_buf *out, struct wch_err *err);
/* dir NULL = default. create: make the folder (and parents) if missing. */
int wch_cache_open(struct wch_cache *c, const char *dir, bool create, struct wch_err *err);
void wch_cache_close(struct wch_cache *c);

/* "APKINDEX.<8 hex>.tar.gz" for index URL url; out holds >= 26 bytes. */
void wch_cache_index_name(const char *url, char out[32]);
/* "<name>-<ver>.<8 hex>.apk" (hex of the identity's first 4 bytes). A
 * package without identity is -WCH_E_FORMAT. Names with '/' are refused. */
int wch_cache_pkg_name(const struct wch_pkg *p, struct wch_buf *out, struct wch_err *err);

/* Reads/writes the validators file "<name>.etag" (missing = empty). */
int wch_cache_load_validators(struct wch_cache *c, const char *name, struct wch_fetch_validators *v,
			      struct wch_err *err);
int wch_cache_save_validators(struct wch_cache *c, const char *name,
			      const struct wch_fetch_validators *v, struct wch_err *err);

#endif
