#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wch_arena_chunk {
	struct wch_arena_chunk *next;
	size_t cap;
	_Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK (256 * 1024)

void *wch_arena_alloc(struct wch_arena *a, size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	if (!a->head || a->cap - a->used < need) {
		size_t cap = need > ARENA_CHUNK / 4 ? need : ARENA_CHUNK;
		struct wch_arena_chunk *c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		if (a->head && need > ARENA_CHUNK / 4) {
			/* A big block gets its own chunk behind the current one,
			 * so the current chunk's free space is not wasted. */
			c->next = a->head->next;
			a->head->next = c;
			memset(c->data, 0, need);
			a->total += need;
			return c->data;
		}
		c->next = a->head;
		a->head = c;
		a->used = 0;
		a->cap = cap;
	}
	p = a->head->data + a->used;
	a->used += need;
	a->total += need;
	memset(p, 0, need);
	return p;
}

char *wch_arena_strndup(struct wch_arena *a, const char *s, size_t n)
{
	char *p = wch_arena_alloc(a, n + 1);

	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *wch_arena_strdup(struct wch_arena *a, const char *s)
{
	return wch_arena_strndup(a, s, strlen(s));
}

char *wch_arena_viewdup(struct wch_arena *a, struct wch_view v)
{
	return wch_arena_strndup(a, v.p, v.n);
}

void wch_arena_release(struct wch_arena *a)
{
	struct wch_arena_chunk *c = a->head;

	while (c) {
		struct wch_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
	a->used = a->cap = a->total = 0;
}
