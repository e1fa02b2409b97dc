/*
 * The prefetcher: replaying a package read on a worker thread must be
 * indistinguishable from reading the file there and then. Each test logs
 * every callback (entries with their metadata and a digest of the content
 * the consumer read) and the final result, once through the prefetcher and
 * once through wch_package_read_fd(), and compares the logs; on the 100
 * packages of the Alpine 3.19.1 snapshot, on damaged copies of them, with
 * consumers that stop early or read part of a file, and with jobs too big
 * to record.
 */
#include "crypto/hash.h"
#include "fs/prefetch.h"
#include "repo/repo.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define ISO "alpine/apks/x86_64/alpine-3.19.1-iso-boot"

/* What a consumer saw, as text. */
struct log {
	struct wch_buf t;
	size_t entries;
	size_t fail_at;	 /* entry() fails at this entry (SIZE_MAX: never) */
	size_t read_max; /* bytes entry() reads of each file (SIZE_MAX: all) */
};

static int read_errors; /* content reads that failed, in all logs */

static int log_control(void *ctx, const struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct log *l = ctx;

	(void)err;
	wch_buf_addf(&l->t, "control %s-%s scripts=%zu\n", res->pkg->name, res->pkg->version,
		     res->nscripts);
	return 0;
}

static int log_entry(void *ctx, const struct wch_tar_entry *e, const struct wch_reader *data,
		     struct wch_err *err)
{
	struct log *l = ctx;
	struct wch_hash h = {0};
	unsigned char buf[3000], d[32];
	char hex[65];
	size_t got_total = 0, i;
	ssize_t got = 0;

	if (l->entries++ == l->fail_at)
		return wch_errf(err, -ECANCELED, "consumer stops at '%s'", e->name);
	wch_buf_addf(&l->t, "entry %s type=%c mode=%o uid=%u gid=%u %s/%s size=%llu mtime=%lld",
		     e->name, e->type, (unsigned)e->mode, (unsigned)e->uid, (unsigned)e->gid,
		     e->uname, e->gname, (unsigned long long)e->size, (long long)e->mtime);
	if (e->link)
		wch_buf_addf(&l->t, " link=%s", e->link);
	for (i = 0; i < e->nxattrs; i++)
		wch_buf_addf(&l->t, " xattr=%s:%zu", e->xattrs[i].name, e->xattrs[i].len);
	if (wch_hash_init(&h, WCH_HASH_SHA256))
		return wch_errf(err, -ENOMEM, "out of memory");
	while (got_total < l->read_max) {
		size_t want = sizeof(buf);
		if (l->read_max - got_total < want)
			want = l->read_max - got_total;
		got = wch_read(data, buf, want, err);
		if (got <= 0)
			break;
		wch_hash_update(&h, buf, (size_t)got);
		got_total += (size_t)got;
	}
	wch_hash_final(&h, d);
	wch_hash_release(&h);
	wch_hex_encode(d, 32, hex);
	wch_buf_addf(&l->t, " read=%zu sha256=%s\n", got_total, hex);
	if (got < 0) {
		read_errors++;
		wch_buf_addf(&l->t, "read error %d %s\n", (int)got, err->msg);
		return wch_err_prefix(err, "consumer");
	}
	return 0;
}

static int log_entry_end(void *ctx, const struct wch_tar_entry *e, struct wch_err *err)
{
	struct log *l = ctx;

	(void)err;
	wch_buf_addf(&l->t, "end %s\n", e->name);
	return 0;
}

static void log_result(struct log *l, int r, const struct wch_err *err,
		       const struct wch_pkg_read_result *res)
{
	/* After a failure only the error is defined, not how far res got. */
	if (r)
		wch_buf_addf(&l->t, "result %d '%s' complete=%d\n", r, err->msg, res->complete);
	else
		wch_buf_addf(&l->t, "result 0 files=%zu bytes=%llu complete=%d size=%llu\n",
			     res->nfiles, (unsigned long long)res->data_bytes, res->complete,
			     (unsigned long long)res->file_size);
}

static struct wch_pkg_read_opts log_opts(struct log *l)
{
	struct wch_pkg_read_opts o = {0};

	o.control = log_control;
	o.entry = log_entry;
	o.entry_end = log_entry_end;
	o.ctx = l;
	return o;
}

/* The reference: the file read directly with the same callbacks. */
static void read_direct(const struct wch_prefetch_job *j, struct log *l)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg_read_opts o = log_opts(l);
	struct wch_pkg_read_result res;
	struct wch_err err;
	int fd, r;

	wch_err_init(&err);
	memset(&res, 0, sizeof(res));
	fd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = wch_err_sys(&err, errno, "cannot open '%s'", j->path);
	} else {
		o.mode = WCH_PKG_VERIFY_IDENTITY;
		o.identity = j->identity;
		o.arena = &a;
		r = wch_package_read_fd(fd, &o, &res, &err);
		close(fd);
	}
	log_result(l, r, &err, &res);
	wch_arena_release(&a);
}

/* Replays jobs[0..n) through the prefetcher and compares each with the
 * direct read. fail_at / read_max shape the consumer. Returns the number of
 * jobs whose logs differ. */
static int compare(const struct wch_prefetch_job *jobs, size_t n, size_t fail_at, size_t read_max)
{
	struct wch_prefetch *pf;
	struct wch_err err;
	size_t i;
	int bad = 0;

	if (wch_prefetch_start(&pf, jobs, n, NULL, &err)) {
		wt_fail(__FILE__, __LINE__, "start: %s", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct log a = {WCH_BUF_INIT, 0, fail_at, read_max};
		struct log b = {WCH_BUF_INIT, 0, fail_at, read_max};
		struct wch_pkg_read_opts o = log_opts(&a);
		struct wch_pkg_read_result res;
		int r;

		wch_err_init(&err);
		r = wch_prefetch_replay(pf, i, &o, &res, &err);
		log_result(&a, r, &err, &res);
		read_direct(&jobs[i], &b);
		if (a.t.len != b.t.len || memcmp(a.t.p, b.t.p, a.t.len)) {
			wt_fail(__FILE__, __LINE__,
				"%s: replay differs\n--- replay\n%.2000s--- direct\n%.2000s",
				jobs[i].path, a.t.p, b.t.p);
			bad++;
		}
		wch_buf_release(&a.t);
		wch_buf_release(&b.t);
	}
	wch_prefetch_free(pf);
	return bad;
}

struct snapshot {
	struct wch_keyring kr;
	struct wch_repos rs;
	struct wch_prefetch_job *jobs;
	char (*paths)[8192];
	size_t n;
};

static int load_snapshot(struct snapshot *s)
{
	struct wch_err err;
	char repo[4096], link[4200], target[4096];
	size_t i;

	memset(s, 0, sizeof(*s));
	snprintf(repo, sizeof(repo), "%s/repo", wt_tmpdir());
	snprintf(link, sizeof(link), "%s/x86_64", repo);
	if (!realpath(wt_fixture(ISO), target))
		return -1;
	mkdir(repo, 0755);
	if (symlink(target, link) < 0 && access(link, F_OK) < 0)
		return -1;
	if (wch_keyring_load_dir(&s->kr, wt_fixture("alpine/keys"), &err))
		return -1;
	wch_repos_init(&s->rs);
	s->rs.keys = &s->kr;
	if (wch_repos_set_arch(&s->rs, "x86_64") || wch_repos_add(&s->rs, repo, NULL, &err) ||
	    wch_repos_load(&s->rs, &err))
		return -1;
	s->n = s->rs.npkgs;
	s->jobs = calloc(s->n, sizeof(*s->jobs));
	s->paths = calloc(s->n, sizeof(*s->paths));
	if (!s->jobs || !s->paths)
		return -1;
	for (i = 0; i < s->n; i++) {
		const struct wch_pkg *p = s->rs.pkgs[i];
		if (snprintf(s->paths[i], sizeof(s->paths[i]), "%s/%s-%s.apk", target, p->name,
			     p->version) >= (int)sizeof(s->paths[i]))
			return -1;
		s->jobs[i].path = s->paths[i];
		s->jobs[i].identity = &p->identity;
		s->jobs[i].installed_size = p->installed_size;
	}
	return 0;
}

static void free_snapshot(struct snapshot *s)
{
	free(s->jobs);
	free(s->paths);
	wch_repos_release(&s->rs);
	wch_keyring_release(&s->kr);
}

static void t_replay_equals_direct_read(void)
{
	struct snapshot s;

	WT_OK(load_snapshot(&s));
	WT_EQ(s.n, 100);
	WT_OK(compare(s.jobs, s.n, SIZE_MAX, SIZE_MAX));
	/* Consumers that read only the start of each file, or nothing. */
	WT_OK(compare(s.jobs, s.n, SIZE_MAX, 100));
	WT_OK(compare(s.jobs, s.n, SIZE_MAX, 0));
	/* A consumer that fails at its fourth entry. */
	WT_OK(compare(s.jobs, s.n, 3, SIZE_MAX));
	free_snapshot(&s);
}

/* Jobs too big to record (by the index's size) are read at their turn. */
static void t_big_jobs_read_directly(void)
{
	struct snapshot s;
	size_t i;

	WT_OK(load_snapshot(&s));
	for (i = 0; i < s.n; i += 3)
		s.jobs[i].installed_size = (uint64_t)WCH_PREFETCH_PKG_MAX + 1;
	WT_OK(compare(s.jobs, s.n, SIZE_MAX, SIZE_MAX));
	free_snapshot(&s);
}

static int copy_with(const char *from, const char *to, size_t cut, size_t flip_at)
{
	struct wch_buf b = WCH_BUF_INIT;
	int fd, r;

	if (wch_read_file_at(AT_FDCWD, from, &b, 64u << 20, NULL))
		return -1;
	if (flip_at < b.len)
		b.p[flip_at] ^= 0x10;
	if (cut < b.len)
		b.len = cut;
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	r = fd < 0 ? -1 : wch_fd_write_all(fd, b.p, b.len);
	if (fd >= 0)
		close(fd);
	wch_buf_release(&b);
	return r;
}

/* Damaged packages: the replay fails where and how the direct read does,
 * after the same entries (a truncated content is reported by the entry's
 * reader at the same byte), and a missing file is the same error. */
static void t_damaged_packages_fail_the_same(void)
{
	struct snapshot s;
	struct wch_prefetch_job jobs[41];
	static char paths[41][4300];
	size_t n = 0, i, k;

	WT_OK(load_snapshot(&s));
	/* The biggest packages carry the most entries to cut through. */
	for (i = 0; i < s.n && n + 8 <= 40; i++) {
		if (s.rs.pkgs[i]->installed_size < (200u << 10))
			continue;
		struct stat st;
		WT_OK(stat(s.jobs[i].path, &st));
		size_t len = (size_t)st.st_size;
		const size_t cuts[] = {len / 3, len / 2, len - 9, len - 1};
		const size_t flips[] = {len / 2, len - 20, len - 6, len - 2};
		for (k = 0; k < 4; k++) {
			snprintf(paths[n], sizeof(paths[n]), "%s/cut%zu", wt_tmpdir(), n);
			WT_OK(copy_with(s.jobs[i].path, paths[n], cuts[k], SIZE_MAX));
			jobs[n] = s.jobs[i];
			jobs[n].path = paths[n];
			n++;
			snprintf(paths[n], sizeof(paths[n]), "%s/flip%zu", wt_tmpdir(), n);
			WT_OK(copy_with(s.jobs[i].path, paths[n], SIZE_MAX, flips[k]));
			jobs[n] = s.jobs[i];
			jobs[n].path = paths[n];
			n++;
		}
	}
	WT_TRUE(n >= 16);
	snprintf(paths[n], sizeof(paths[n]), "%s/missing.apk", wt_tmpdir());
	jobs[n] = s.jobs[0];
	jobs[n].path = paths[n];
	n++;
	read_errors = 0;
	WT_OK(compare(jobs, n, SIZE_MAX, SIZE_MAX));
	WT_TRUE(read_errors >= 4); /* cuts inside a file's content were seen */
	WT_OK(compare(jobs, n, SIZE_MAX, 5000));
	free_snapshot(&s);
}

/* Stopping after a few replays (a compose that failed) neither hangs nor
 * leaks (ASan checks the latter), also while workers are mid-package. */
static void t_free_early(void)
{
	struct snapshot s;
	struct wch_prefetch *pf;
	struct wch_err err;
	size_t stop;

	WT_OK(load_snapshot(&s));
	for (stop = 0; stop < 4; stop++) {
		size_t i;
		WT_OK(wch_prefetch_start(&pf, s.jobs, s.n, NULL, &err));
		for (i = 0; i < stop; i++) {
			struct log l = {WCH_BUF_INIT, 0, SIZE_MAX, SIZE_MAX};
			struct wch_pkg_read_opts o = log_opts(&l);
			struct wch_pkg_read_result res;
			WT_OK(wch_prefetch_replay(pf, i, &o, &res, &err));
			WT_TRUE(res.complete);
			wch_buf_release(&l.t);
		}
		wch_prefetch_free(pf);
	}
	free_snapshot(&s);
}

WT_MAIN(WT(t_replay_equals_direct_read), WT(t_big_jobs_read_directly),
	WT(t_damaged_packages_fail_the_same), WT(t_free_early))
