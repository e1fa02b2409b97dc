/*
 * Internal to the package writer (package_write.c: data member and
 * assembly; package_control.c: metadata checks, install scripts, control
 * and signature members). Not a public interface.
 */
#ifndef WCH_APK_PACKAGE_INTERNAL_H
#define WCH_APK_PACKAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "apk/package_walk.h"
#include "apk/package_write.h"
#include "apk/trace.h"
#include "archive/tar.h"
#include "crypto/hash.h"
#include "util/buf.h"

#define NSCRIPTS 7 /* entries of wch_package_script_names */

/* Files up to this size are read once into memory; bigger ones are read
 * twice (hash, then copy) so memory stays bounded (§2.7: the checksum
 * record precedes the data). */
#define PW_BUF	     (1u << 20)
#define PW_XATTR_MAX 65536 /* XATTR_SIZE_MAX / XATTR_LIST_MAX */

struct wch_pkgw {
	const struct wch_package_spec *s;
	struct wch_err *err;
	struct wch_pw_tree tree;
	int64_t builddate;
	unsigned char *buf; /* PW_BUF bytes */
	struct wch_hash sha1;
	bool strip_ok, strip_warned;
	struct wch_tar_writer *tw;
	uint64_t installed;
	/* scripts */
	struct wch_buf script[NSCRIPTS];
	bool has_script[NSCRIPTS];
	/* xattrs of the current entry */
	struct wch_xattr xa[32];
	size_t nxa;
	char *xa_names;
};

void wch_pkgw_warnf(struct wch_pkgw *w, const char *fmt, ...) WCH_PRINTF(2, 3);
int wch_pkgw_check_spec(const struct wch_package_spec *s, struct wch_err *err);
int wch_pkgw_load_scripts(struct wch_pkgw *w, const char *dir);
/* Depends implied by install scripts' "#!" lines, appended to deps. */
int wch_pkgw_script_depends(struct wch_pkgw *w, struct wch_arena *a, struct wch_deps *deps);
/* .PKGINFO + scripts -> cut tar -> one gzip member appended to gz. */
int wch_pkgw_write_control(struct wch_pkgw *w, const struct wch_pkg *p,
			   const struct wch_trace_result *tr, struct wch_buf *gz);
/* Signs the control member; the signature member is appended to gz. */
int wch_pkgw_write_signature(struct wch_pkgw *w, const struct wch_buf *control, struct wch_buf *gz);

#endif
