/*
 * .PKGINFO reading and writing (apk-format §3).
 */
#ifndef WCH_APK_PKGINFO_H
#define WCH_APK_PKGINFO_H

#include "apk/pkg.h"
#include "util/buf.h"

/* Parses text into *p (zeroed first); strings go to a. Lines starting
 * with '#' or without " = " are ignored; unknown keys are ignored; depend,
 * provides, replaces, install_if and triggers accumulate. Missing pkgname
 * or pkgver is -WCH_E_FORMAT. */
int wch_pkginfo_parse(struct wch_arena *a, const char *text, size_t n, struct wch_pkg *p,
		      struct wch_err *err);

/* Writes .PKGINFO in abuild's field order; auto_provides / auto_depends
 * (may be NULL) follow a "# automatically detected:" line; datahash last
 * if p->has_datahash. */
int wch_pkginfo_write(const struct wch_pkg *p, const struct wch_deps *auto_provides,
		      const struct wch_deps *auto_depends, struct wch_buf *out);

#endif
