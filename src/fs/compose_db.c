#include "fs/compose_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a file's record sits in the model: arrays only grow, so indexes
 * stay valid; a record taken over by a later package is dropped before
 * writing. */
struct path_rec {
	struct wch_db_pkg *dp;
	size_t dir, file;
	struct wch_checksum csum;
	bool dropped;
	struct path_rec *next_dropped;
};

struct wch_compose_db_pkg {
	struct wch_db_pkg *dp;
	bool signature_key_used;
};

struct compose_db_priv {
	struct wch_db db;
	struct path_rec *dropped;
};

void wch_compose_db_init(struct wch_compose_db *cdb, const struct wch_repos *repos,
			 const struct wch_keyring *keys)
{
	memset(cdb, 0, sizeof(*cdb));
	cdb->repos = repos;
	cdb->keys = keys;
}

static struct compose_db_priv *priv(struct wch_compose_db *cdb, struct wch_err *err)
{
	if (!cdb->priv) {
		struct compose_db_priv *p = calloc(1, sizeof(*p));
		if (!p) {
			wch_errf(err, -ENOMEM, "out of memory");
			return NULL;
		}
		wch_db_init(&p->db);
		cdb->priv = p;
	}
	return cdb->priv;
}

void wch_compose_db_release(struct wch_compose_db *cdb)
{
	struct compose_db_priv *p = cdb->priv;

	if (p) {
		wch_db_release(&p->db);
		free(p);
	}
	free(cdb->used_keys);
	wch_arena_release(&cdb->arena);
	memset(cdb, 0, sizeof(*cdb));
}

int wch_compose_db_use_key(struct wch_compose_db *cdb, const char *name, struct wch_err *err)
{
	const char **g;
	size_t i;

	if (!name || !cdb->keys || !wch_keyring_find(cdb->keys, name))
		return 0;
	for (i = 0; i < cdb->nused_keys; i++)
		if (!strcmp(cdb->used_keys[i], name))
			return 0;
	g = realloc(cdb->used_keys, (cdb->nused_keys + 1) * sizeof(*g));
	if (!g)
		return wch_errf(err, -ENOMEM, "out of memory");
	cdb->used_keys = g;
	g[cdb->nused_keys++] = name;
	return 0;
}

int wch_compose_db_begin(struct wch_compose_db *cdb, const struct wch_pkg *pkg,
			 const struct wch_pkg_read_result *res, struct wch_compose_db_pkg **out,
			 struct wch_err *err)
{
	struct compose_db_priv *p = priv(cdb, err);
	struct wch_compose_db_pkg *cp;
	size_t i;
	int r;

	if (!p)
		return -ENOMEM;
	cp = wch_arena_alloc(&cdb->arena, sizeof(*cp));
	if (!cp)
		return wch_errf(err, -ENOMEM, "out of memory");
	/* The index entry is what the solver chose; the .PKGINFO of the file
	 * adds what the index lacks (replaces, triggers: §3, §12.11). */
	{
		struct wch_pkg *merged = wch_arena_alloc(&cdb->arena, sizeof(*merged));
		if (!merged)
			return wch_errf(err, -ENOMEM, "out of memory");
		*merged = *pkg;
		merged->replaces = res->pkg->replaces;
		merged->replaces_priority = res->pkg->replaces_priority;
		merged->triggers = res->pkg->triggers;
		merged->ntriggers = res->pkg->ntriggers;
		if (!merged->file_size)
			merged->file_size = res->pkg->file_size;
		cp->dp = wch_db_add_pkg(&p->db, merged);
	}
	if (!cp->dp)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (pkg->repo >= 0 && (size_t)pkg->repo < cdb->repos->n)
		cp->dp->repo_tag = cdb->repos->v[pkg->repo].tag;
	for (i = 0; i < res->nscripts; i++) {
		const char *name = res->scripts[i].name;
		if (name[0] == '.')
			name++;
		if (wch_db_script_type(name) < 0)
			continue; /* .INSTALL and other dot files apk ignores (§2.9) */
		r = wch_db_add_script(&p->db, cp->dp, name, res->scripts[i].data,
				      res->scripts[i].len, err);
		if (r)
			return r;
	}
	if (res->signature_ok) {
		r = wch_compose_db_use_key(cdb, res->sig_key, err);
		if (r)
			return r;
	}
	*out = cp;
	return 0;
}

/* SHA-1 over the xattrs sorted by name, each as be32(len) name be32(len)
 * value (apk-format §2.7). */
static int xattr_digest(const struct wch_tar_entry *e, struct wch_checksum *out)
{
	struct wch_buf b = WCH_BUF_INIT;
	size_t i;
	int r = 0;

	out->len = 0;
	if (!e->nxattrs)
		return 0;
	for (i = 0; i < e->nxattrs && !r; i++) {
		size_t nl = strlen(e->xattrs[i].name), vl = e->xattrs[i].len;
		unsigned char be[4] = {(unsigned char)(nl >> 24), (unsigned char)(nl >> 16),
				       (unsigned char)(nl >> 8), (unsigned char)nl};
		unsigned char bv[4] = {(unsigned char)(vl >> 24), (unsigned char)(vl >> 16),
				       (unsigned char)(vl >> 8), (unsigned char)vl};
		r = wch_buf_add(&b, be, 4) || wch_buf_add(&b, e->xattrs[i].name, nl) ||
		    wch_buf_add(&b, bv, 4) || wch_buf_add(&b, e->xattrs[i].value, vl);
	}
	if (!r) {
		r = wch_digest(WCH_HASH_SHA1, b.p, b.len, out->d);
		out->alg = WCH_HASH_SHA1;
		out->len = 20;
	}
	wch_buf_release(&b);
	return r ? -ENOMEM : 0;
}

int wch_compose_db_entry(struct wch_compose_db *cdb, struct wch_compose_db_pkg *cp,
			 const struct wch_tar_entry *e, void **path_data, void *link_data,
			 struct wch_err *err)
{
	struct compose_db_priv *p = cdb->priv;
	struct wch_db_acl acl = {e->uid, e->gid, e->mode & 07777, {0}};
	struct path_rec *old = *path_data, *rec;
	const char *slash;
	size_t d;
	int r;

	if (xattr_digest(e, &acl.xattr))
		return wch_errf(err, -ENOMEM, "out of memory");
	if (e->type == WCH_TAR_DIR)
		return wch_db_add_dir(&p->db, cp->dp, e->name, &acl, err);

	rec = wch_arena_alloc(&cdb->arena, sizeof(*rec));
	if (!rec)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (e->type == WCH_TAR_SYMLINK)
		acl.mode = 0777;
	if (e->has_sha1) {
		rec->csum.alg = WCH_HASH_SHA1;
		rec->csum.len = 20;
		memcpy(rec->csum.d, e->sha1, 20);
	} else if (e->type == WCH_TAR_HARDLINK && link_data) {
		/* A hard link carries its target's checksum (§2.7). */
		rec->csum = ((struct path_rec *)link_data)->csum;
	}
	r = wch_db_add_file(&p->db, cp->dp, e->name, &acl, rec->csum.len ? &rec->csum : NULL, err);
	if (r)
		return r;
	/* Find where it went: the most recent directory of that name. */
	slash = strrchr(e->name, '/');
	for (d = cp->dp->ndirs; d-- > 0;) {
		const char *dn = cp->dp->dirs[d].name;
		size_t dl = slash ? (size_t)(slash - e->name) : 0;
		if (strlen(dn) == dl && !strncmp(dn, e->name, dl))
			break;
	}
	if (d == (size_t)-1)
		return wch_errf(err, -EINVAL, "'%s': database directory not found", e->name);
	rec->dp = cp->dp;
	rec->dir = d;
	rec->file = cp->dp->dirs[d].nfiles - 1;
	if (old && old != rec) {
		old->dropped = true;
		old->next_dropped = p->dropped;
		p->dropped = old;
	}
	*path_data = rec;
	return 0;
}

int wch_compose_db_end(struct wch_compose_db *cdb, struct wch_compose_db_pkg *cp,
		       const struct wch_pkg_read_result *res, struct wch_err *err)
{
	(void)cdb;
	(void)cp;
	(void)res;
	(void)err;
	return 0;
}

/* Removes the records of files a later package took over. Indexes of the
 * other records stay valid because they are not used after this. */
static void drop_taken_over(struct compose_db_priv *p)
{
	struct path_rec *r;

	for (r = p->dropped; r; r = r->next_dropped) {
		struct wch_db_dir *dir = &r->dp->dirs[r->dir];
		/* Mark by clearing the name; compacted below. */
		dir->files[r->file].name = NULL;
	}
	for (r = p->dropped; r; r = r->next_dropped) {
		struct wch_db_dir *dir = &r->dp->dirs[r->dir];
		size_t i, k = 0;
		for (i = 0; i < dir->nfiles; i++)
			if (dir->files[i].name)
				dir->files[k++] = dir->files[i];
		dir->nfiles = k;
	}
	p->dropped = NULL;
}

static int put_dir(struct wch_sink *sink, const char *name, int64_t mtime, struct wch_err *err)
{
	struct wch_tar_entry e;

	memset(&e, 0, sizeof(e));
	e.name = (char *)name;
	e.type = WCH_TAR_DIR;
	e.mode = 0755;
	e.mtime = mtime;
	return sink->ops->entry(sink, &e, NULL, err);
}

static int put_file(struct wch_sink *sink, const char *name, const void *data, size_t n,
		    int64_t mtime, struct wch_err *err)
{
	struct wch_tar_entry e;
	struct wch_mem_reader m;
	struct wch_reader rd = wch_reader_mem(&m, data, n);

	memset(&e, 0, sizeof(e));
	e.name = (char *)name;
	e.type = WCH_TAR_REG;
	e.mode = 0644;
	e.size = n;
	e.mtime = mtime;
	return sink->ops->entry(sink, &e, &rd, err);
}

static int write_config(struct wch_compose_db *cdb, struct wch_sink *sink, int64_t mtime,
			struct wch_err *err)
{
	struct wch_buf b = WCH_BUF_INIT;
	const struct wch_repos *rs = cdb->repos;
	size_t i;
	int r = 0;

	/* Repositories a container could use later: not local folders. */
	for (i = 0; i < rs->n && !r; i++) {
		if (rs->v[i].kind != WCH_REPO_HTTP)
			continue;
		if (rs->v[i].tag)
			r = wch_buf_addf(&b, "@%s %s\n", rs->v[i].tag, rs->v[i].display);
		else
			r = wch_buf_addf(&b, "%s\n", rs->v[i].display);
	}
	if (r)
		return wch_errf(err, -ENOMEM, "out of memory");
	r = put_file(sink, "etc/apk/repositories", b.p ? b.p : "", b.len, mtime, err);
	wch_buf_reset(&b);
	if (!r && !wch_buf_addf(&b, "%s\n", rs->arch ? rs->arch : wch_repo_host_arch()))
		r = put_file(sink, "etc/apk/arch", b.p, b.len, mtime, err);
	/* The keys that verified the indexes and local packages. */
	for (i = 0; !r && i < rs->n; i++)
		if (rs->v[i].trusted && rs->v[i].signer)
			r = wch_compose_db_use_key(cdb, rs->v[i].signer, err);
	for (i = 0; !r && i < cdb->nused_keys; i++) {
		const struct wch_pubkey *k = wch_keyring_find(cdb->keys, cdb->used_keys[i]);
		char path[4200];
		wch_buf_reset(&b);
		r = wch_pubkey_pem(k, &b, err);
		if (r)
			break;
		if (strchr(k->name, '/') || !strcmp(k->name, "..")) {
			r = wch_errf(err, -WCH_E_UNSAFE_PATH, "key name '%s'", k->name);
			break;
		}
		snprintf(path, sizeof(path), "etc/apk/keys/%s", k->name);
		r = put_file(sink, path, b.p, b.len, mtime, err);
	}
	wch_buf_release(&b);
	return r;
}

int wch_compose_db_write(struct wch_compose_db *cdb, struct wch_sink *sink,
			 const struct wch_deps *world, int64_t mtime, struct wch_err *err)
{
	static const char *const dirs[] = {"etc", "etc/apk",   "etc/apk/keys",
					   "lib", "lib/apk",   "lib/apk/db",
					   "var", "var/cache", "var/cache/apk"};
	struct compose_db_priv *p = priv(cdb, err);
	struct wch_buf b = WCH_BUF_INIT, scripts = WCH_BUF_INIT;
	size_t i;
	int r = 0;

	if (!p)
		return -ENOMEM;
	drop_taken_over(p);
	/* apk 2.14 writes scripts.tar in installation order (its installed
	 * list) but the installed file sorted by name (§6.1, §6.3). */
	r = wch_db_write_scripts(&p->db, wch_writer_buf(&scripts), err);
	wch_db_sort(&p->db);
	p->db.world = *world;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !r; i++)
		r = put_dir(sink, dirs[i], mtime, err);
	if (!r)
		r = wch_db_write_installed(&p->db, &b)
			? wch_errf(err, -ENOMEM, "out of memory")
			: put_file(sink, "lib/apk/db/installed", b.p, b.len, mtime, err);
	wch_buf_reset(&b);
	if (!r)
		r = wch_db_write_triggers(&p->db, &b)
			? wch_errf(err, -ENOMEM, "out of memory")
			: put_file(sink, "lib/apk/db/triggers", b.p ? b.p : "", b.len, mtime, err);
	if (!r)
		r = put_file(sink, "lib/apk/db/scripts.tar", scripts.p ? scripts.p : "",
			     scripts.len, mtime, err);
	wch_buf_release(&scripts);
	wch_buf_reset(&b);
	if (!r)
		r = wch_db_write_world(&p->db, &b)
			? wch_errf(err, -ENOMEM, "out of memory")
			: put_file(sink, "etc/apk/world", b.p, b.len, mtime, err);
	if (!r)
		r = write_config(cdb, sink, mtime, err);
	wch_buf_release(&b);
	if (r)
		return wch_err_prefix(err, "writing the apk database");
	return 0;
}
