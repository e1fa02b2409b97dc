/*
 * The installed database model, its writers and its readers
 * (apk-format §6.1-§6.4). See db.h for the contract.
 */
#include "apk/db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apk/index_text.h"
#include "archive/tar.h"

static int oom(struct wch_err *err)
{
	return wch_errf(err, -ENOMEM, "out of memory");
}

/* Arena arrays grow by doubling; the old copy stays in the arena, which
 * at most doubles what the array itself uses. */
static void *grow(struct wch_arena *a, void *v, size_t n, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *nv;

	if (n < *cap)
		return v;
	if (ncap > ((size_t)-1 / 2) / elem)
		return NULL;
	nv = wch_arena_alloc(a, ncap * elem);
	if (!nv)
		return NULL;
	if (n)
		memcpy(nv, v, n * elem);
	*cap = ncap;
	return nv;
}

void wch_db_init(struct wch_db *db)
{
	memset(db, 0, sizeof(*db));
}

void wch_db_release(struct wch_db *db)
{
	wch_arena_release(&db->arena);
	memset(db, 0, sizeof(*db));
}

static struct wch_db_pkg *append_pkg(struct wch_db *db, struct wch_db_pkg *dp)
{
	struct wch_db_pkg **v = grow(&db->arena, db->pkgs, db->npkgs, &db->cap, sizeof(*v));

	if (!v)
		return NULL;
	db->pkgs = v;
	db->pkgs[db->npkgs++] = dp;
	return dp;
}

struct wch_db_pkg *wch_db_add_pkg(struct wch_db *db, struct wch_pkg *pkg)
{
	struct wch_db_pkg *dp = wch_arena_alloc(&db->arena, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->pkg = pkg;
	return append_pkg(db, dp);
}

struct wch_db_pkg *wch_db_find(const struct wch_db *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->npkgs; i++)
		if (strcmp(db->pkgs[i]->pkg->name, name) == 0)
			return db->pkgs[i];
	return NULL;
}

static const struct wch_db_acl default_dir_acl = {0, 0, 0755, {0}};

/* Most recent directory named name[0..n) of dp; the last one is the
 * common case (files follow their directory entry). */
static struct wch_db_dir *find_dir(struct wch_db_pkg *dp, const char *name, size_t n)
{
	size_t i;

	for (i = dp->ndirs; i-- > 0;) {
		struct wch_db_dir *d = &dp->dirs[i];
		if (strncmp(d->name, name, n) == 0 && d->name[n] == 0)
			return d;
	}
	return NULL;
}

static struct wch_db_dir *new_dir(struct wch_db *db, struct wch_db_pkg *dp, const char *name,
				  size_t n, const struct wch_db_acl *acl)
{
	struct wch_db_dir *v = grow(&db->arena, dp->dirs, dp->ndirs, &dp->cap, sizeof(*v));
	struct wch_db_dir *d;

	if (!v)
		return NULL;
	dp->dirs = v;
	d = &dp->dirs[dp->ndirs];
	memset(d, 0, sizeof(*d));
	d->name = wch_arena_strndup(&db->arena, name, n);
	if (!d->name)
		return NULL;
	d->acl = *acl;
	dp->ndirs++;
	return d;
}

static void strip_slashes(const char **path, size_t *n)
{
	while (*n && **path == '/')
		(*path)++, (*n)--;
	while (*n && (*path)[*n - 1] == '/')
		(*n)--;
}

int wch_db_add_dir(struct wch_db *db, struct wch_db_pkg *dp, const char *path,
		   const struct wch_db_acl *acl, struct wch_err *err)
{
	size_t n = strlen(path);
	struct wch_db_dir *d;

	strip_slashes(&path, &n);
	d = find_dir(dp, path, n);
	if (d) {
		d->acl = *acl;
		return 0;
	}
	return new_dir(db, dp, path, n, acl) ? 0 : oom(err);
}

int wch_db_add_file(struct wch_db *db, struct wch_db_pkg *dp, const char *path,
		    const struct wch_db_acl *acl, const struct wch_checksum *csum,
		    struct wch_err *err)
{
	size_t n = strlen(path), dn;
	const char *slash, *base;
	struct wch_db_dir *d;
	struct wch_db_file *f;

	strip_slashes(&path, &n);
	slash = n ? memrchr(path, '/', n) : NULL;
	dn = slash ? (size_t)(slash - path) : 0;
	base = slash ? slash + 1 : path;
	if (base == path + n)
		return wch_errf(err, -WCH_E_FORMAT, "empty file name in '%s'", path);
	d = find_dir(dp, path, dn);
	if (!d)
		d = new_dir(db, dp, path, dn, &default_dir_acl);
	if (!d)
		return oom(err);
	f = grow(&db->arena, d->files, d->nfiles, &d->cap, sizeof(*f));
	if (!f)
		return oom(err);
	d->files = f;
	f = &d->files[d->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = wch_arena_strndup(&db->arena, base, (size_t)(path + n - base));
	if (!f->name)
		return oom(err);
	f->acl = *acl;
	if (csum)
		f->csum = *csum;
	d->nfiles++;
	return 0;
}

static const char *const script_names[WCH_SCRIPT_MAX] = {
    "pre-install", "post-install", "pre-deinstall", "post-deinstall",
    "pre-upgrade", "post-upgrade", "trigger",
};

const char *wch_db_script_name(enum wch_db_script_type t)
{
	return (unsigned)t < WCH_SCRIPT_MAX ? script_names[t] : NULL;
}

int wch_db_script_type(const char *name)
{
	int i;

	for (i = 0; i < WCH_SCRIPT_MAX; i++)
		if (strcmp(script_names[i], name) == 0)
			return i;
	return -1;
}

int wch_db_add_script(struct wch_db *db, struct wch_db_pkg *dp, const char *type, const void *data,
		      size_t len, struct wch_err *err)
{
	int t = wch_db_script_type(type);
	unsigned char *copy;

	if (t < 0)
		return wch_errf(err, -WCH_E_UNSUPPORTED, "unknown script type '%s'", type);
	copy = wch_arena_alloc(&db->arena, len + 1);
	if (!copy)
		return oom(err);
	if (len)
		memcpy(copy, data, len);
	dp->scripts[t].data = copy;
	dp->scripts[t].len = len;
	return 0;
}

static int cmp_dbpkg(const void *a, const void *b)
{
	const struct wch_db_pkg *x = *(struct wch_db_pkg *const *)a;
	const struct wch_db_pkg *y = *(struct wch_db_pkg *const *)b;

	return wch_pkg_cmp(x->pkg, y->pkg);
}

void wch_db_sort(struct wch_db *db)
{
	if (db->npkgs > 1)
		qsort(db->pkgs, db->npkgs, sizeof(*db->pkgs), cmp_dbpkg);
}

static bool acl_is(const struct wch_db_acl *acl, unsigned mode)
{
	return acl->uid == 0 && acl->gid == 0 && acl->mode == mode && acl->xattr.len == 0;
}

/* "M:uid:gid:mode[:xattr]" (§6.1): decimal ids, octal mode. */
static int write_acl(struct wch_buf *out, char letter, const struct wch_db_acl *acl)
{
	char cs[64];
	int r = wch_buf_addf(out, "%c:%u:%u:%o", letter, acl->uid, acl->gid, acl->mode & 07777);

	if (!r && acl->xattr.len)
		r = wch_buf_addf(out, ":%s", wch_checksum_format(&acl->xattr, cs));
	return r ? r : wch_buf_addch(out, '\n');
}

static int write_stanza(const struct wch_db_pkg *dp, struct wch_buf *out)
{
	const struct wch_pkg *p = dp->pkg;
	char cs[64];
	size_t i, j;
	int r = wch_index_text_write_pkg(p, out);

	if (!r && p->replaces.n) {
		r = wch_buf_addstr(out, "r:");
		r = r ? r : wch_deps_format(&p->replaces, out);
		r = r ? r : wch_buf_addch(out, '\n');
	}
	if (!r && p->replaces_priority)
		r = wch_buf_addf(out, "q:%u\n", p->replaces_priority);
	if (!r && dp->repo_tag)
		r = wch_buf_addf(out, "s:%s\n", dp->repo_tag);
	if (!r && dp->broken)
		r = wch_buf_addf(out, "f:%s\n", dp->broken);
	for (i = 0; i < dp->ndirs && !r; i++) {
		const struct wch_db_dir *d = &dp->dirs[i];
		r = wch_buf_addf(out, "F:%s\n", d->name);
		if (!r && !acl_is(&d->acl, 0755))
			r = write_acl(out, 'M', &d->acl);
		for (j = 0; j < d->nfiles && !r; j++) {
			const struct wch_db_file *f = &d->files[j];
			r = wch_buf_addf(out, "R:%s\n", f->name);
			if (!r && !acl_is(&f->acl, 0644))
				r = write_acl(out, 'a', &f->acl);
			if (!r && f->csum.len)
				r = wch_buf_addf(out, "Z:%s\n", wch_checksum_format(&f->csum, cs));
		}
	}
	return r ? r : wch_buf_addch(out, '\n');
}

int wch_db_write_installed(const struct wch_db *db, struct wch_buf *out)
{
	size_t old = out->len, i;
	int r = 0;

	for (i = 0; i < db->npkgs && !r; i++)
		r = write_stanza(db->pkgs[i], out);
	if (r) {
		out->len = old;
		if (out->p)
			out->p[old] = 0;
	}
	return r;
}

int wch_db_write_triggers(const struct wch_db *db, struct wch_buf *out)
{
	size_t old = out->len, i, j;
	char cs[64];
	int r = 0;

	for (i = 0; i < db->npkgs && !r; i++) {
		const struct wch_pkg *p = db->pkgs[i]->pkg;
		if (!p->ntriggers)
			continue;
		/* The identity is the key apk uses to find the package. */
		if (!p->identity.len) {
			r = -EINVAL;
			break;
		}
		r = wch_buf_addstr(out, wch_checksum_format(&p->identity, cs));
		for (j = 0; j < p->ntriggers && !r; j++)
			r = wch_buf_addf(out, " %s", p->triggers[j]);
		r = r ? r : wch_buf_addch(out, '\n');
	}
	if (r) {
		out->len = old;
		if (out->p)
			out->p[old] = 0;
	}
	return r;
}

static int cmp_dep_name(const void *a, const void *b)
{
	const struct wch_dep *x = *(const struct wch_dep *const *)a;
	const struct wch_dep *y = *(const struct wch_dep *const *)b;
	int r = strcasecmp(x->name, y->name);

	return r ? r : strcmp(x->name, y->name);
}

int wch_db_write_world(const struct wch_db *db, struct wch_buf *out)
{
	const struct wch_deps *w = &db->world;
	const struct wch_dep **v = NULL;
	size_t old = out->len, i;
	int r = 0;

	if (w->n) {
		v = malloc(w->n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (i = 0; i < w->n; i++)
			v[i] = &w->v[i];
		qsort(v, w->n, sizeof(*v), cmp_dep_name);
	}
	for (i = 0; i < w->n && !r; i++) {
		r = wch_dep_format(v[i], out);
		r = r ? r : wch_buf_addch(out, '\n');
	}
	/* apk writes the list and then a final newline even for an empty
	 * world; a world file is never empty. */
	if (!r && w->n == 0)
		r = wch_buf_addch(out, '\n');
	free(v);
	if (r) {
		out->len = old;
		if (out->p)
			out->p[old] = 0;
	}
	return r;
}

int wch_db_script_entry_name(const struct wch_pkg *p, enum wch_db_script_type t, struct wch_buf *b)
{
	char cs[64];

	if (!wch_db_script_name(t))
		return -EINVAL;
	return wch_buf_addf(b, "%s-%s.%s.%s", p->name, p->version,
			    p->identity.len ? wch_checksum_format(&p->identity, cs) : "",
			    script_names[t]);
}

int wch_db_write_scripts(const struct wch_db *db, struct wch_writer out, struct wch_err *err)
{
	struct wch_tar_writer *tw = NULL;
	struct wch_buf name = WCH_BUF_INIT;
	size_t i;
	int t, r;

	r = wch_tar_writer_new(&tw, out, WCH_TAR_STYLE_GNU, err);
	for (i = 0; i < db->npkgs && !r; i++) {
		const struct wch_db_pkg *dp = db->pkgs[i];
		for (t = 0; t < WCH_SCRIPT_MAX && !r; t++) {
			struct wch_tar_hdr h = {0};
			if (!dp->scripts[t].data)
				continue;
			wch_buf_reset(&name);
			if (wch_db_script_entry_name(dp->pkg, t, &name)) {
				r = oom(err);
				break;
			}
			h.name = name.p;
			h.type = WCH_TAR_REG;
			h.mode = 0755;
			h.uname = h.gname = "root";
			h.size = dp->scripts[t].len;
			h.mtime = dp->pkg->build_time;
			r = wch_tar_write_file(tw, &h, dp->scripts[t].data, err);
		}
	}
	if (!r)
		r = wch_tar_finish(tw, true, err);
	if (tw)
		wch_tar_writer_free(tw);
	wch_buf_release(&name);
	return r;
}

/* ---- reading ---- */

struct reader {
	struct wch_db *db;
	struct wch_db_pkg *cur; /* stanza being read; appended at pkg() */
	struct wch_db_dir *dir;
	struct wch_db_file *file;
	struct wch_deps replaces;
	unsigned replaces_priority;
};

static bool parse_uint(const char **s, const char *end, unsigned base, unsigned max, unsigned *out)
{
	unsigned long long x = 0;
	const char *p = *s;

	if (p == end)
		return false;
	for (; p < end && *p != ':'; p++) {
		unsigned d = (unsigned char)*p - '0';
		if (d >= base || x > (max - d) / base)
			return false;
		x = x * base + d;
	}
	if (p == *s)
		return false;
	*s = p;
	*out = (unsigned)x;
	return true;
}

/* "uid:gid:mode[:xattr-checksum]" */
static int parse_acl(struct wch_view v, struct wch_db_acl *acl, struct wch_err *err)
{
	const char *s = v.p, *end = v.p + v.n;

	memset(acl, 0, sizeof(*acl));
	if (!parse_uint(&s, end, 10, 0xffffffffu, &acl->uid) || s == end || *s++ != ':' ||
	    !parse_uint(&s, end, 10, 0xffffffffu, &acl->gid) || s == end || *s++ != ':' ||
	    !parse_uint(&s, end, 8, 07777, &acl->mode))
		goto bad;
	if (s < end) {
		if (*s++ != ':' ||
		    wch_checksum_parse((struct wch_view){s, (size_t)(end - s)}, &acl->xattr) < 0)
			goto bad;
	}
	return 0;
bad:
	return wch_errf(err, -WCH_E_FORMAT, "invalid permissions '%.*s'",
			(int)(v.n > 80 ? 80 : v.n), v.p);
}

static int rd_begin(void *ctx, struct wch_err *err)
{
	struct reader *rd = ctx;

	rd->cur = wch_arena_alloc(&rd->db->arena, sizeof(*rd->cur));
	rd->dir = NULL;
	rd->file = NULL;
	rd->replaces = (struct wch_deps){0};
	rd->replaces_priority = 0;
	return rd->cur ? 0 : oom(err);
}

static int misplaced(struct wch_err *err, char letter, const char *after)
{
	return wch_errf(err, -WCH_E_FORMAT, "%c: line before any %s line", letter, after);
}

/* R: belongs to the current F: (a directory name may repeat, so this is
 * not a path lookup). The name points into the parser's arena copy. */
static int rd_file(struct reader *rd, struct wch_view v, struct wch_err *err)
{
	struct wch_db_dir *d = rd->dir;
	struct wch_db_file *f;

	if (v.n == 0 || memchr(v.p, '/', v.n))
		return wch_errf(err, -WCH_E_FORMAT, "invalid file name '%s'", v.p);
	f = grow(&rd->db->arena, d->files, d->nfiles, &d->cap, sizeof(*f));
	if (!f)
		return oom(err);
	d->files = f;
	f = &d->files[d->nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = v.p;
	f->acl = (struct wch_db_acl){0, 0, 0644, {0}};
	rd->file = f;
	return 0;
}

static int rd_extra(void *ctx, char letter, struct wch_view v, struct wch_err *err)
{
	struct reader *rd = ctx;
	struct wch_db_pkg *dp = rd->cur;
	uint64_t x = 0;
	size_t i;

	switch (letter) {
	case 'r':
		return wch_deps_parse(&rd->db->arena, v, &rd->replaces, err);
	case 'q':
		for (i = 0; i < v.n; i++) {
			unsigned d = (unsigned char)v.p[i] - '0';
			if (d > 9 || x > 0xffffffffu / 10)
				break;
			x = x * 10 + d;
		}
		if (v.n == 0 || i < v.n || x > 0xffffffffu)
			return wch_errf(err, -WCH_E_FORMAT, "invalid q: value");
		rd->replaces_priority = (unsigned)x;
		return 0;
	case 's':
		dp->repo_tag = v.p; /* NUL-terminated inside the arena copy */
		return 0;
	case 'f':
		dp->broken = v.p;
		return 0;
	case 'F':
		/* Each F: is a new entry, even a repeated one (apk never
		 * writes that), so the text is reproduced as read. */
		rd->dir = new_dir(rd->db, dp, v.p, v.n, &default_dir_acl);
		rd->file = NULL;
		return rd->dir ? 0 : oom(err);
	case 'M':
		if (!rd->dir)
			return misplaced(err, letter, "F:");
		return parse_acl(v, &rd->dir->acl, err);
	case 'R':
		if (!rd->dir)
			return misplaced(err, letter, "F:");
		return rd_file(rd, v, err);
	case 'a':
		if (!rd->file)
			return misplaced(err, letter, "R:");
		return parse_acl(v, &rd->file->acl, err);
	case 'Z':
		if (!rd->file)
			return misplaced(err, letter, "R:");
		if (wch_checksum_parse(v, &rd->file->csum) < 0)
			return wch_errf(err, -WCH_E_FORMAT, "invalid checksum '%.*s'",
					(int)(v.n > 80 ? 80 : v.n), v.p);
		return 0;
	}
	return 0;
}

static int rd_unknown(void *ctx, char letter, struct wch_view v, struct wch_err *err)
{
	(void)ctx, (void)v;
	/* §6.1: apk refuses unknown fields in the installed db. */
	return wch_errf(err, -WCH_E_UNSUPPORTED, "unsupported field '%c:'", letter);
}

static int rd_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	struct reader *rd = ctx;
	struct wch_db_pkg *dp = rd->cur;

	p->replaces = rd->replaces;
	p->replaces_priority = rd->replaces_priority;
	dp->pkg = p;
	rd->cur = NULL;
	return append_pkg(rd->db, dp) ? 0 : oom(err);
}

int wch_db_read_installed(struct wch_db *db, const char *text, size_t n, struct wch_err *err)
{
	struct reader rd = {.db = db};
	struct wch_index_cb cb = {
	    .pkg = rd_pkg, .extra = rd_extra, .ctx = &rd, .begin = rd_begin, .unknown = rd_unknown};

	return wch_index_text_parse(&db->arena, text, n, &cb, err);
}

static struct wch_pkg *find_identity(struct wch_db *db, const struct wch_checksum *c)
{
	size_t i;

	for (i = 0; i < db->npkgs; i++) {
		struct wch_pkg *p = db->pkgs[i]->pkg;
		if (p->identity.len == c->len && memcmp(p->identity.d, c->d, c->len) == 0)
			return p;
	}
	return NULL;
}

/* Appends the space-separated globs of s[0..n) to p->triggers. */
static int add_triggers(struct wch_db *db, struct wch_pkg *p, const char *s, size_t n,
			struct wch_err *err)
{
	size_t i, cnt = 0, k = p->ntriggers;
	const char **v;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && (i == 0 || s[i - 1] == ' '))
			cnt++;
	if (!cnt)
		return 0;
	v = wch_arena_alloc(&db->arena, (k + cnt) * sizeof(*v));
	if (!v)
		return oom(err);
	if (k)
		memcpy(v, p->triggers, k * sizeof(*v));
	for (i = 0; i < n;) {
		size_t b;
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		b = i;
		while (i < n && s[i] != ' ')
			i++;
		v[k] = wch_arena_strndup(&db->arena, s + b, i - b);
		if (!v[k++])
			return oom(err);
	}
	p->triggers = v;
	p->ntriggers = k;
	return 0;
}

int wch_db_read_triggers(struct wch_db *db, const char *text, size_t n, struct wch_err *err)
{
	const char *s = text, *end = text + n;

	while (s < end) {
		const char *e = memchr(s, '\n', (size_t)(end - s)), *sp;
		struct wch_checksum c;
		struct wch_pkg *p;
		int r;

		if (!e)
			e = end;
		sp = memchr(s, ' ', (size_t)(e - s));
		if (!sp)
			sp = e;
		/* Like apk: lines it cannot attach are skipped. */
		if (wch_checksum_parse((struct wch_view){s, (size_t)(sp - s)}, &c) == 0 &&
		    (p = find_identity(db, &c)) != NULL) {
			r = add_triggers(db, p, sp, (size_t)(e - sp), err);
			if (r < 0)
				return r;
		}
		s = e + 1;
	}
	return 0;
}

int wch_db_read_world(struct wch_db *db, const char *text, size_t n, struct wch_err *err)
{
	struct wch_view v = {text, n};

	/* §6.2: read as a whitespace-separated list after trimming. */
	while (v.n && (v.p[0] == ' ' || v.p[0] == '\n' || v.p[0] == '\t'))
		v.p++, v.n--;
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\n' || v.p[v.n - 1] == '\t'))
		v.n--;
	return wch_deps_parse(&db->arena, v, &db->world, err);
}
