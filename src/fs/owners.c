#include "fs/owners.h"

#include "apk/dep.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OWNERS_CAPTURE_MAX (1u << 20)

void wch_owners_init(struct wch_owners *o)
{
	memset(o, 0, sizeof(*o));
}

void wch_owners_release(struct wch_owners *o)
{
	free(o->slots);
	wch_arena_release(&o->arena);
	wch_buf_release(&o->passwd);
	wch_buf_release(&o->group);
	memset(o, 0, sizeof(*o));
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int grow(struct wch_owners *o)
{
	size_t cap = o->cap ? o->cap * 2 : 1024, i;
	struct wch_owner_slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < o->cap; i++) {
		size_t j;
		if (!o->slots[i].path)
			continue;
		j = hash_str(o->slots[i].path) & (cap - 1);
		while (s[j].path)
			j = (j + 1) & (cap - 1);
		s[j] = o->slots[i];
	}
	free(o->slots);
	o->slots = s;
	o->cap = cap;
	return 0;
}

/* Whether p's replaces cover other, version limit included (apk 2.14
 * matches each replaces entry against the other package as a dependency,
 * so "replaces=foo<2" does not cover foo-2.1). */
static bool pkg_replaces(const struct wch_pkg *p, const struct wch_pkg *other)
{
	size_t i;

	for (i = 0; i < p->replaces.n; i++) {
		const struct wch_dep *d = &p->replaces.v[i];
		if (!d->conflict && !strcmp(d->name, other->name) &&
		    wch_dep_version_match(d, other->version))
			return true;
	}
	return false;
}

static const char *kind(char type)
{
	return type == WCH_TAR_DIR ? "directory" : type == WCH_TAR_SYMLINK ? "symlink" : "file";
}

int wch_owners_claim(struct wch_owners *o, const char *path, char type, const struct wch_pkg *pkg,
		     enum wch_owner_verdict *verdict, struct wch_owner_slot **slot,
		     struct wch_err *err)
{
	struct wch_owner_slot *s;
	const struct wch_pkg *old;
	bool new_wins, old_wins;
	size_t j;

	if (o->used * 2 >= o->cap && grow(o))
		return wch_errf(err, -ENOMEM, "out of memory");
	j = hash_str(path) & (o->cap - 1);
	while (o->slots[j].path && strcmp(o->slots[j].path, path))
		j = (j + 1) & (o->cap - 1);
	s = &o->slots[j];
	*slot = s;
	if (!s->path) {
		s->path = wch_arena_strdup(&o->arena, path);
		if (!s->path)
			return wch_errf(err, -ENOMEM, "out of memory");
		s->pkg = pkg;
		s->type = type;
		o->used++;
		*verdict = WCH_OWNER_NEW;
		return 0;
	}
	old = s->pkg;
	if (s->type == WCH_TAR_DIR && type == WCH_TAR_DIR) {
		*verdict = WCH_OWNER_SHARED_DIR;
		return 0;
	}
	if ((s->type == WCH_TAR_DIR) != (type == WCH_TAR_DIR))
		return wch_errf(err, -WCH_E_CONFLICT,
				"'%s': %s of %s-%s clashes with the %s of %s-%s", path, kind(type),
				pkg->name, pkg->version, kind(s->type), old->name, old->version);
	if (old == pkg) {
		/* The same path twice in one package: the later entry wins. */
		s->type = type;
		*verdict = WCH_OWNER_TAKE_OVER;
		return 0;
	}
	/* apk 2.14's order: a shared origin lets the newer package overwrite
	 * before replaces are looked at; then the higher replaces_priority
	 * among the packages that replace the other wins, the newer on a tie. */
	if (pkg->origin && old->origin && pkg->origin[0] && !strcmp(pkg->origin, old->origin)) {
		new_wins = true;
		old_wins = false;
	} else {
		new_wins = pkg_replaces(pkg, old);
		old_wins = pkg_replaces(old, pkg);
		if (new_wins && old_wins) {
			new_wins = pkg->replaces_priority >= old->replaces_priority;
			old_wins = !new_wins;
		}
	}
	if (new_wins) {
		s->pkg = pkg;
		s->type = type;
		*verdict = WCH_OWNER_TAKE_OVER;
		return 0;
	}
	if (old_wins) {
		*verdict = WCH_OWNER_KEEP_OLD;
		return 0;
	}
	return wch_errf(err, -WCH_E_CONFLICT,
			"'%s' is in both %s-%s and %s-%s (neither replaces the other)", path,
			old->name, old->version, pkg->name, pkg->version);
}

struct wch_owner_slot *wch_owners_find(const struct wch_owners *o, const char *path)
{
	size_t j;

	if (!o->cap)
		return NULL;
	j = hash_str(path) & (o->cap - 1);
	while (o->slots[j].path) {
		if (!strcmp(o->slots[j].path, path))
			return &o->slots[j];
		j = (j + 1) & (o->cap - 1);
	}
	return NULL;
}

/* Finds name in a passwd/group text; returns the id field (3rd) or -1. */
static long lookup_id(const struct wch_buf *b, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = b->p, *end = b->p + b->len;

	if (!p || !nlen)
		return -1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *f;
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nlen && !memcmp(p, name, nlen) && p[nlen] == ':') {
			f = memchr(p + nlen + 1, ':', (size_t)(eol - p - (long)nlen - 1));
			if (f && f + 1 < eol) {
				char *q;
				long v = strtol(f + 1, &q, 10);
				if (q > f + 1 && (*q == ':' || q == eol) && v >= 0)
					return v;
			}
		}
		p = eol + 1;
	}
	return -1;
}

void wch_owners_resolve_ids(const struct wch_owners *o, const struct wch_tar_entry *e, uid_t *uid,
			    gid_t *gid)
{
	long v;

	*uid = e->uid;
	*gid = e->gid;
	if (e->uname[0]) {
		v = lookup_id(&o->passwd, e->uname);
		if (v >= 0)
			*uid = (uid_t)v;
		else if (!strcmp(e->uname, "root"))
			*uid = 0;
	}
	if (e->gname[0]) {
		v = lookup_id(&o->group, e->gname);
		if (v >= 0)
			*gid = (gid_t)v;
		else if (!strcmp(e->gname, "root"))
			*gid = 0;
	}
}

static ssize_t capture_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	struct wch_owners *o = ctx;
	ssize_t got = wch_read(&o->inner, buf, n, err);

	if (got > 0 && o->capture->len + (size_t)got <= OWNERS_CAPTURE_MAX &&
	    wch_buf_add(o->capture, buf, (size_t)got))
		return wch_errf(err, -ENOMEM, "out of memory");
	return got;
}

int wch_owners_watch(struct wch_owners *o, const struct wch_tar_entry *e, struct wch_reader *rd)
{
	o->capturing = 0;
	if (e->type != WCH_TAR_REG)
		return 0;
	if (!strcmp(e->name, "etc/passwd"))
		o->capturing = 1;
	else if (!strcmp(e->name, "etc/group"))
		o->capturing = 2;
	else
		return 0;
	o->capture = o->capturing == 1 ? &o->passwd : &o->group;
	wch_buf_reset(o->capture);
	o->inner = *rd;
	rd->read = capture_read;
	rd->ctx = o;
	return 0;
}

int wch_owners_watch_end(struct wch_owners *o, struct wch_err *err)
{
	(void)err;
	o->capturing = 0;
	return 0;
}
