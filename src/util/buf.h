/*
 * Growable byte buffer and borrowed slices.
 *
 * struct wch_buf owns p; after any successful add, p[len] == 0 so the
 * content can be used as a C string (it may also hold NUL bytes). All adders
 * return 0 or -ENOMEM and leave the buffer unchanged on failure.
 * struct wch_view is a borrowed (pointer, length) slice; never freed.
 */
#ifndef WCH_UTIL_BUF_H
#define WCH_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct wch_buf {
	char *p;
	size_t len, cap;
};
#define WCH_BUF_INIT                                                                               \
	{                                                                                          \
		0, 0, 0                                                                            \
	}

struct wch_view {
	const char *p;
	size_t n;
};

int wch_buf_grow(struct wch_buf *b, size_t extra);
int wch_buf_add(struct wch_buf *b, const void *data, size_t n);
int wch_buf_addstr(struct wch_buf *b, const char *s);
int wch_buf_addch(struct wch_buf *b, char c);
int wch_buf_addf(struct wch_buf *b, const char *fmt, ...) WCH_PRINTF(2, 3);
int wch_buf_vaddf(struct wch_buf *b, const char *fmt, va_list ap);
/* Empties the buffer, keeping its memory. */
void wch_buf_reset(struct wch_buf *b);
/* Frees the memory; the buffer is WCH_BUF_INIT afterwards. */
void wch_buf_release(struct wch_buf *b);
/* Hands over the memory (never NULL on success; "" for empty); the buffer
 * is WCH_BUF_INIT afterwards. Returns NULL on allocation failure. */
char *wch_buf_detach(struct wch_buf *b, size_t *len);

static inline struct wch_view wch_view_str(const char *s);
bool wch_view_eq(struct wch_view v, const char *s);
/* Returns a malloc'ed NUL-terminated copy, or NULL on allocation failure. */
char *wch_view_dup(struct wch_view v);

#include <string.h>
static inline struct wch_view wch_view_str(const char *s)
{
	struct wch_view v = {s, s ? strlen(s) : 0};
	return v;
}

#endif
