/*
 * APKINDEX text and installed-database stanzas (apk-format §5.2, §6.1).
 *
 * The parser hands each complete package to a callback; installed-db-only
 * letters (F M R Z r q a s f) are passed to an optional per-line callback
 * so the installed-db reader can collect file lists, and otherwise ignored.
 */
#ifndef WCH_APK_INDEX_TEXT_H
#define WCH_APK_INDEX_TEXT_H

#include "apk/pkg.h"
#include "util/buf.h"

struct wch_index_cb {
	/* Called for each stanza with P: and V:; the pkg lives in the arena.
	 * A negative return stops parsing with that code. */
	int (*pkg)(void *ctx, struct wch_pkg *p, struct wch_err *err);
	/* Optional: every installed-db-only line (letter, value) of the stanza
	 * currently being read, in order, before pkg() is called for it. */
	int (*extra)(void *ctx, char letter, struct wch_view value, struct wch_err *err);
	void *ctx;
	/* Optional (extension): called at the first line of every stanza, so
	 * a reader collecting extra() lines can forget those of a dropped
	 * stanza (one without P: or V:). */
	int (*begin)(void *ctx, struct wch_err *err);
	/* Optional (extension): lines with a letter apk does not know, after
	 * the index rule was applied (lowercase ignored, uppercase marks the
	 * package uninstallable). The installed-db reader rejects them, as apk
	 * does (§6.1). */
	int (*unknown)(void *ctx, char letter, struct wch_view value, struct wch_err *err);
};

/* Parses text. A line whose second char is not ':' is -WCH_E_FORMAT naming
 * the line number. Stanzas without P: or V: are dropped. */
int wch_index_text_parse(struct wch_arena *a, const char *text, size_t n,
			 const struct wch_index_cb *cb, struct wch_err *err);
/* (extension) The same without copying text: parses it in place, writing
 * NULs into text[0..n] (text[n] must be writable). The packages' strings
 * point into text, which must outlive them. */
int wch_index_text_parse_inplace(struct wch_arena *a, char *text, size_t n,
				 const struct wch_index_cb *cb, struct wch_err *err);

/* Appends one stanza's header fields in apk's order C P V A S I T U L o m t
 * c k D p i (no trailing empty line). */
int wch_index_text_write_pkg(const struct wch_pkg *p, struct wch_buf *out);

#endif
