#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wch_buf_grow(struct wch_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > (size_t)-1 / 2 - b->len)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int wch_buf_add(struct wch_buf *b, const void *data, size_t n)
{
	int r = wch_buf_grow(b, n);

	if (r)
		return r;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int wch_buf_addstr(struct wch_buf *b, const char *s)
{
	return wch_buf_add(b, s, strlen(s));
}

int wch_buf_addch(struct wch_buf *b, char c)
{
	return wch_buf_add(b, &c, 1);
}

int wch_buf_vaddf(struct wch_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, r;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	r = wch_buf_grow(b, (size_t)n);
	if (r)
		return r;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int wch_buf_addf(struct wch_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = wch_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void wch_buf_reset(struct wch_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

void wch_buf_release(struct wch_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *wch_buf_detach(struct wch_buf *b, size_t *len)
{
	char *p;

	if (!b->p && wch_buf_grow(b, 0))
		return NULL;
	p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

bool wch_view_eq(struct wch_view v, const char *s)
{
	size_t n = strlen(s);

	return v.n == n && memcmp(v.p, s, n) == 0;
}

char *wch_view_dup(struct wch_view v)
{
	char *s = malloc(v.n + 1);

	if (!s)
		return NULL;
	if (v.n)
		memcpy(s, v.p, v.n);
	s[v.n] = 0;
	return s;
}
