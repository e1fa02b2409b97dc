/*
 * Arena: a bump allocator for many small objects freed together (package
 * metadata of whole indexes, solver state). Memory comes in chunks; nothing
 * is freed individually. wch_arena_release() frees everything.
 * Allocation functions return NULL when out of memory.
 */
#ifndef WCH_UTIL_ARENA_H
#define WCH_UTIL_ARENA_H

#include <stddef.h>

#include "util/buf.h"

struct wch_arena_chunk;

struct wch_arena {
	struct wch_arena_chunk *head;
	size_t used, cap; /* within head */
	size_t total;	  /* bytes handed out, for statistics */
};
#define WCH_ARENA_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void *wch_arena_alloc(struct wch_arena *a, size_t n); /* aligned to 16, zeroed */
char *wch_arena_strdup(struct wch_arena *a, const char *s);
char *wch_arena_strndup(struct wch_arena *a, const char *s, size_t n);
char *wch_arena_viewdup(struct wch_arena *a, struct wch_view v);
void wch_arena_release(struct wch_arena *a);

#endif
