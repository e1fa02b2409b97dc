#include "fs/compose.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/dep.h"
#include "apk/package.h"
#include "fs/compose_db.h"
#include "fs/owners.h"
#include "fs/prefetch.h"
#include "fs/sink_dir.h"
#include "solver/solver.h"
#include "util/interrupt.h"

/* Everything one compose run holds. */
struct compose {
	const struct wch_compose_opts *o;
	struct wch_sink *sink;
	struct wch_arena arena;
	struct wch_pkg **locals;
	size_t nlocal;
	struct wch_solution sol;
	struct wch_owners owners;
	struct wch_compose_db db;
	struct wch_compose_stats *stats;
	struct wch_prefetch *prefetch; /* reads the plan's packages ahead */
	/* The package being installed. */
	size_t cur;
	struct wch_compose_db_pkg *cur_db;
	const struct wch_pkg_read_result *cur_res;
	size_t cur_files, cur_dirs; /* written for it so far */
	uint64_t cur_bytes;
};

static void note(const struct compose *c, const char *fmt, ...) WCH_PRINTF(2, 3);
static void note(const struct compose *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->o->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->o->note(c->o->note_ctx, msg);
}

/* Reads a local .apk's control part to learn its metadata and identity;
 * its signature must be trusted unless allow_untrusted. */
static int load_local(struct compose *c, const char *path, struct wch_err *err)
{
	struct wch_pkg_read_opts ro = {0};
	struct wch_pkg_read_result res;
	struct wch_reader rd;
	struct wch_pkg **grown;
	struct stat st;
	int fd, r;

	fd = wch_open_input_err(path, err);
	if (fd < 0)
		return fd;
	/* S: is the whole file's size (apk-format §5.2); only the control part
	 * is read here. */
	if (fstat(fd, &st) < 0) {
		r = wch_err_sys(err, errno, "cannot stat '%s'", path);
		close(fd);
		return r;
	}
	rd = wch_reader_fd(&fd);
	ro.mode = c->o->allow_untrusted ? WCH_PKG_VERIFY_NONE : WCH_PKG_VERIFY_SIGNATURE;
	ro.keys = c->o->keys;
	ro.arena = &c->arena;
	ro.control_only = true;
	r = wch_package_read(rd, &ro, &res, err);
	close(fd);
	if (r)
		return wch_err_prefix(err, "'%s'", path);
	grown = realloc(c->locals, (c->nlocal + 1) * sizeof(*grown));
	if (!grown)
		return wch_errf(err, -ENOMEM, "out of memory");
	c->locals = grown;
	res.pkg->repo = -1;
	res.pkg->file_size = (uint64_t)st.st_size;
	res.pkg->filename = wch_arena_strdup(&c->arena, path);
	res.pkg->identity = res.identity;
	if (!res.pkg->filename)
		return wch_errf(err, -ENOMEM, "out of memory");
	c->locals[c->nlocal++] = res.pkg;
	return res.signature_ok ? wch_compose_db_use_key(&c->db, res.sig_key, err) : 0;
}

/* World = the -d dependency strings + "name><identity" for each local file
 * (apk-format §6.2), so exactly that file is installed. */
static int build_world(struct compose *c, struct wch_deps *world, struct wch_err *err)
{
	size_t i, n = c->o->ndeps + c->nlocal, k = 0;
	int r;

	world->v = wch_arena_alloc(&c->arena, (n ? n : 1) * sizeof(*world->v));
	if (!world->v)
		return wch_errf(err, -ENOMEM, "out of memory");
	for (i = 0; i < c->o->ndeps; i++) {
		struct wch_deps part;
		size_t j;
		r = wch_deps_parse_world_list(&c->arena, c->o->deps[i], &part, err);
		if (r)
			return wch_err_prefix(err, "dependency '%s'", c->o->deps[i]);
		if (part.n + k > n) {
			struct wch_dep *v = wch_arena_alloc(&c->arena, (part.n + n) * sizeof(*v));
			if (!v)
				return wch_errf(err, -ENOMEM, "out of memory");
			memcpy(v, world->v, k * sizeof(*v));
			world->v = v;
			n += part.n;
		}
		for (j = 0; j < part.n; j++)
			world->v[k++] = part.v[j];
	}
	for (i = 0; i < c->nlocal; i++) {
		struct wch_dep *d = &world->v[k++];
		char q1[64];
		memset(d, 0, sizeof(*d));
		d->name = c->locals[i]->name;
		d->op = WCH_VER_CHECKSUM;
		d->version =
		    wch_arena_strdup(&c->arena, wch_checksum_format(&c->locals[i]->identity, q1));
		if (!d->version)
			return wch_errf(err, -ENOMEM, "out of memory");
	}
	world->n = k;
	return 0;
}

static int resolve(struct compose *c, struct wch_deps *world, struct wch_buf *problems,
		   struct wch_err *err)
{
	const struct wch_repos *rs = c->o->repos;
	struct wch_pkg **avail;
	const char **tags;
	struct wch_solver_opts so = {0};
	size_t i, n;
	int r;

	for (i = 0; i < c->o->nfiles; i++) {
		r = load_local(c, c->o->files[i], err);
		if (r)
			return r;
	}
	r = build_world(c, world, err);
	if (r)
		return r;
	if (world->n == 0)
		return wch_errf(err, -WCH_E_USAGE,
				"nothing to install (give -d DEP or -p FILE.apk)");
	n = rs->npkgs + c->nlocal;
	avail = wch_arena_alloc(&c->arena, (n ? n : 1) * sizeof(*avail));
	tags = wch_arena_alloc(&c->arena, (rs->n ? rs->n : 1) * sizeof(*tags));
	if (!avail || !tags)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (rs->npkgs)
		memcpy(avail, rs->pkgs, rs->npkgs * sizeof(*avail));
	if (c->nlocal)
		memcpy(avail + rs->npkgs, c->locals, c->nlocal * sizeof(*avail));
	for (i = 0; i < rs->n; i++)
		tags[i] = rs->v[i].tag;
	so.repo_tags = tags;
	so.nrepos = rs->n;
	so.arch = rs->arch;
	return wch_solve(avail, n, world, &so, &c->sol, problems, err);
}

int wch_compose_plan(const struct wch_compose_opts *o, struct wch_buf *plan,
		     struct wch_buf *problems, struct wch_err *err)
{
	struct compose c = {.o = o, .arena = WCH_ARENA_INIT};
	struct wch_deps world;
	size_t i;
	int r;

	wch_compose_db_init(&c.db, o->repos, o->keys);
	r = resolve(&c, &world, problems, err);
	for (i = 0; !r && i < c.sol.n; i++)
		if (wch_pkg_format_nv(c.sol.pkgs[i], plan) || wch_buf_addch(plan, '\n'))
			r = wch_errf(err, -ENOMEM, "out of memory");
	wch_solution_release(&c.sol);
	wch_compose_db_release(&c.db);
	free(c.locals);
	wch_arena_release(&c.arena);
	return r;
}

/* --- streaming one package into the sink --- */

static int on_control(void *ctx, const struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct compose *c = ctx;

	c->cur_res = res;
	return wch_compose_db_begin(&c->db, c->sol.pkgs[c->cur], res, &c->cur_db, err);
}

/* Whether path is dir or lies below it. */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

/* The trees --no-db leaves out: the original witchery's rm -rf. */
static bool in_db_tree(const char *path)
{
	return under(path, "lib/apk") || under(path, "etc/apk") || under(path, "var/cache/apk");
}

/* apk's install-time rules for one data entry (apk-format §2.9), before
 * anything is claimed or written: 1 to install it, 0 to skip it as apk
 * does, or an error for what apk would refuse or mark broken. For a hard
 * link, *target is the record of the file it points at. */
static int check_entry(struct compose *c, const struct wch_pkg *pkg, const struct wch_tar_entry *e,
		       struct wch_owner_slot **target, struct wch_err *err)
{
	const char *slash = strrchr(e->name, '/');
	const char *base = slash ? slash + 1 : e->name;
	struct wch_owner_slot *t;

	/* An installed size of 0 marks a virtual package: never unpacked. */
	if (!pkg->installed_size)
		return 0;
	/* --no-db: never write what packages put in those trees. */
	if (c->o->no_db && in_db_tree(e->name))
		return 0;
	/* apk skips ".keep_<something>", not a file named ".keep_" itself. */
	if (e->type != WCH_TAR_DIR && !strncmp(base, ".keep_", 6) && base[6])
		return 0;
	if (slash) {
		/* The parent must have come earlier in this package's data. */
		char parent[4096];
		size_t n = (size_t)(slash - e->name);
		if (n >= sizeof(parent))
			return wch_errf(err, -WCH_E_UNSAFE_PATH, "'%s': path too long", e->name);
		memcpy(parent, e->name, n);
		parent[n] = 0;
		t = wch_owners_find(&c->owners, parent);
		if (!t || t->type != WCH_TAR_DIR || t->dir_by != pkg)
			return wch_errf(err, -WCH_E_FORMAT,
					"'%s': no entry for its directory '%s' earlier in the "
					"package (apk: no dirent in archive)",
					e->name, parent);
	}
	if (e->type == WCH_TAR_HARDLINK) {
		if (c->o->no_db && e->link && in_db_tree(e->link))
			return wch_errf(err, -WCH_E_UNSUPPORTED,
					"'%s': hard link to '%s', which --no-db leaves out",
					e->name, e->link);
		t = e->link ? wch_owners_find(&c->owners, e->link) : NULL;
		if (!t || t->pkg != pkg || t->type == WCH_TAR_DIR)
			return wch_errf(err, -WCH_E_UNSAFE_PATH,
					"'%s': hard link target '%s' is not a file of this package",
					e->name, e->link ? e->link : "");
		*target = t;
	}
	return 1;
}

/* What a directory that several packages bring gets on disk, as apk
 * 2.14 decides it: the lowest uid:gid wins, with its mode; packages with
 * the same owner AND their modes. */
static void shared_dir(struct wch_owner_slot *slot, bool first, const struct wch_tar_entry *e)
{
	unsigned mode = e->mode & 07777;

	if (first || e->uid < slot->dir_uid ||
	    (e->uid == slot->dir_uid && e->gid < slot->dir_gid)) {
		slot->dir_uid = e->uid;
		slot->dir_gid = e->gid;
		slot->dir_mode = mode;
	} else if (e->uid == slot->dir_uid && e->gid == slot->dir_gid) {
		slot->dir_mode &= mode;
	}
}

static int on_entry(void *ctx, const struct wch_tar_entry *e, const struct wch_reader *data,
		    struct wch_err *err)
{
	struct compose *c = ctx;
	const struct wch_pkg *pkg = c->sol.pkgs[c->cur];
	struct wch_tar_entry fixed = *e;
	struct wch_reader rd = *data;
	enum wch_owner_verdict v;
	struct wch_owner_slot *slot, *link_target = NULL;
	int r;

	r = wch_check_interrupt(err);
	if (r)
		return r;
	r = check_entry(c, pkg, e, &link_target, err);
	if (r <= 0)
		return r; /* 0: skipped as apk skips it; data is drained */
	/* Who may write this path (apk-format §2.9: replaces, origin). */
	r = wch_owners_claim(&c->owners, e->name, e->type, pkg, &v, &slot, err);
	if (r)
		return r;
	/* Owner names resolve against the root being built (§1.2). */
	wch_owners_resolve_ids(&c->owners, e, &fixed.uid, &fixed.gid);
	if (e->type == WCH_TAR_DIR) {
		slot->dir_by = pkg;
		shared_dir(slot, v == WCH_OWNER_NEW, &fixed);
	}
	if (v == WCH_OWNER_KEEP_OLD)
		return 0; /* the other package keeps it; data is drained */
	r = wch_owners_watch(&c->owners, e, &rd);
	if (r)
		return wch_errf(err, r, "out of memory");
	{
		/* The database keeps each package's own mode; the disk gets
		 * the shared directory's combined one. */
		struct wch_tar_entry on_disk = fixed;
		if (e->type == WCH_TAR_DIR) {
			on_disk.mode = (on_disk.mode & ~07777u) | slot->dir_mode;
			on_disk.uid = slot->dir_uid;
			on_disk.gid = slot->dir_gid;
		}
		r = c->sink->ops->entry(c->sink, &on_disk, &rd, err);
	}
	if (r)
		return r; /* install_one() names the package */
	r = wch_owners_watch_end(&c->owners, err);
	if (r)
		return r;
	if (e->type == WCH_TAR_DIR) {
		c->stats->ndirs++;
		c->cur_dirs++;
	} else {
		c->stats->nfiles++;
		c->cur_files++;
	}
	if (e->type == WCH_TAR_REG) {
		c->stats->installed_bytes += e->size;
		c->cur_bytes += e->size;
	}
	/* A hard link carries its target's checksum into the database. */
	return wch_compose_db_entry(&c->db, c->cur_db, &fixed, &slot->data,
				    link_target ? link_target->data : NULL, err);
}

/* Starts pkg's item in one of the summary's lists: "[, ]name-ver (". */
static int list_item(struct wch_buf *b, const struct wch_pkg *pkg)
{
	return (b->len && wch_buf_addstr(b, ", ")) ||
	       wch_buf_addf(b, "%s-%s (", pkg->name, pkg->version);
}

/* Names the package in the summary's lists of what was not run: its
 * install scripts (without the leading dot) and its trigger paths. */
static int record_skipped(struct compose *c, const struct wch_pkg *pkg,
			  const struct wch_pkg_read_result *res)
{
	struct wch_buf *b;
	size_t i;

	if (res->nscripts) {
		c->stats->nscripts_skipped++;
		b = &c->stats->scripts_skipped;
		if (list_item(b, pkg))
			return -ENOMEM;
		for (i = 0; i < res->nscripts; i++) {
			const char *n = res->scripts[i].name;
			if (wch_buf_addf(b, "%s%s", i ? ", " : "", n[0] == '.' ? n + 1 : n))
				return -ENOMEM;
		}
		if (wch_buf_addch(b, ')'))
			return -ENOMEM;
	}
	if (res->pkg && res->pkg->ntriggers) {
		c->stats->ntriggers_skipped++;
		b = &c->stats->triggers_skipped;
		if (list_item(b, pkg))
			return -ENOMEM;
		for (i = 0; i < res->pkg->ntriggers; i++)
			if (wch_buf_addf(b, "%s%s", i ? " " : "", res->pkg->triggers[i]))
				return -ENOMEM;
		if (wch_buf_addch(b, ')'))
			return -ENOMEM;
	}
	return 0;
}

void wch_compose_stats_release(struct wch_compose_stats *stats)
{
	wch_buf_release(&stats->scripts_skipped);
	wch_buf_release(&stats->triggers_skipped);
}

/* Installs package c->cur, which the prefetcher has read (or reads now):
 * a package from a signed index is bound to it by identity (§2.4); a local
 * file was already checked against the keys when loaded, and its identity
 * is now pinned too. */
static int install_one(struct compose *c, struct wch_err *err)
{
	const struct wch_pkg *pkg = c->sol.pkgs[c->cur];
	struct wch_pkg_read_opts ro = {0};
	struct wch_pkg_read_result res;
	int r;

	ro.control = on_control;
	ro.entry = on_entry;
	ro.ctx = c;
	memset(&res, 0, sizeof(res));
	c->cur_files = c->cur_dirs = 0;
	c->cur_bytes = 0;
	r = c->sink->ops->begin_pkg(c->sink, pkg, err);
	if (!r)
		r = wch_prefetch_replay(c->prefetch, c->cur, &ro, &res, err);
	if (!r)
		r = c->sink->ops->end_pkg(c->sink, err);
	if (r)
		return wch_err_prefix(err, "%s-%s", pkg->name, pkg->version);
	r = record_skipped(c, pkg, &res);
	if (r)
		return wch_errf(err, r, "out of memory");
	note(c, "%s-%s: %zu file%s, %zu dir%s, %.1f KiB%s", pkg->name, pkg->version, c->cur_files,
	     c->cur_files == 1 ? "" : "s", c->cur_dirs, c->cur_dirs == 1 ? "" : "s",
	     (double)c->cur_bytes / 1024.0, res.nscripts ? " (install scripts not run)" : "");
	return wch_compose_db_end(&c->db, c->cur_db, &res, err);
}

int wch_compose_run(const struct wch_compose_opts *o, struct wch_sink *sink,
		    struct wch_compose_stats *stats, struct wch_buf *problems, struct wch_err *err)
{
	struct compose c = {.o = o, .sink = sink, .arena = WCH_ARENA_INIT, .stats = stats};
	struct wch_deps world;
	char **paths = NULL;
	size_t i;
	int r;

	memset(stats, 0, sizeof(*stats));
	wch_owners_init(&c.owners);
	wch_compose_db_init(&c.db, o->repos, o->keys);
	r = resolve(&c, &world, problems, err);
	if (r)
		goto out;
	paths = calloc(c.sol.n ? c.sol.n : 1, sizeof(*paths));
	if (!paths) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* Repository packages are fetched (or found locally) first, so a
	 * network failure happens before anything is written. */
	{
		struct wch_pkg **remote = calloc(c.sol.n ? c.sol.n : 1, sizeof(*remote));
		size_t nr = 0, *idx = calloc(c.sol.n ? c.sol.n : 1, sizeof(*idx));
		char **rp = calloc(c.sol.n ? c.sol.n : 1, sizeof(*rp));
		if (!remote || !idx || !rp) {
			free(remote);
			free(idx);
			free(rp);
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < c.sol.n; i++)
			if (c.sol.pkgs[i]->repo >= 0) {
				idx[nr] = i;
				remote[nr++] = c.sol.pkgs[i];
			}
		r = nr ? wch_repos_fetch_pkgs(o->repos, remote, nr, rp, err) : 0;
		for (i = 0; i < nr; i++)
			paths[idx[i]] = rp[i];
		free(remote);
		free(idx);
		free(rp);
		if (r)
			goto out;
	}
	{
		struct wch_prefetch_job *jobs = calloc(c.sol.n ? c.sol.n : 1, sizeof(*jobs));
		if (!jobs) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < c.sol.n; i++) {
			const struct wch_pkg *p = c.sol.pkgs[i];
			jobs[i].path = p->repo >= 0 ? paths[i] : p->filename;
			jobs[i].identity = &p->identity;
			jobs[i].installed_size = p->installed_size;
		}
		r = wch_prefetch_start(&c.prefetch, jobs, c.sol.n, o->keys, err);
		free(jobs);
		if (r)
			goto out;
	}
	for (i = 0; i < c.sol.n; i++) {
		c.cur = i;
		r = install_one(&c, err);
		if (r)
			goto out;
		stats->npkgs++;
	}
	/* Last chances to stop with nothing changed: once committed, the new
	 * root is in place and a late signal no longer undoes it. */
	r = wch_check_interrupt(err);
	if (!r && !o->no_db)
		r = wch_compose_db_write(&c.db, sink, &world, o->db_mtime, err);
	if (!r)
		r = wch_check_interrupt(err);
	if (r)
		goto out;
	r = sink->ops->commit(sink, err);
	if (!r)
		wch_signals_forget();
out:
	/* Before the paths it reads and the results the database points to. */
	wch_compose_db_release(&c.db);
	wch_prefetch_free(c.prefetch);
	if (paths)
		for (i = 0; i < c.sol.n; i++)
			free(paths[i]);
	free(paths);
	wch_owners_release(&c.owners);
	wch_solution_release(&c.sol);
	free(c.locals);
	wch_arena_release(&c.arena);
	return r;
}
