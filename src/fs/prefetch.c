/*
 * Packages read ahead on a worker thread, replayed in order; contract in
 * prefetch.h.
 */
#include "fs/prefetch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One data entry as the entry() callback saw it. */
struct rec_entry {
	struct wch_tar_entry e; /* strings in the job's scratch arena */
	size_t off, len;	/* its content in job->data */
	bool ended;		/* entry_end() was called for it */
};

enum job_state { JOB_PENDING, JOB_READY, JOB_DIRECT };

struct job {
	struct wch_prefetch_job in;
	enum job_state state;
	bool taken;		  /* a worker has started it */
	struct wch_arena arena;	  /* res and its strings: until wch_prefetch_free */
	struct wch_arena scratch; /* entries: until the replay is done */
	struct wch_buf data;
	struct rec_entry *ents;
	size_t nents, cap;
	bool control_called;
	size_t control_at; /* entries recorded before control() */
	/* A failed read of an entry's content: after read_at bytes of entry
	 * read_entry its reader returned read_err. */
	bool read_failed;
	size_t read_entry, read_at;
	struct wch_err read_err;
	bool too_big; /* recording stopped: the replay reads the file itself */
	struct wch_pkg_read_result res;
	int rc;
	struct wch_err err;
};

struct wch_prefetch;
struct worker_arg {
	struct wch_prefetch *pf;
	unsigned self;
};

/* Workers: one per core, so that two cores inflate two packages while the
 * caller writes a third; a few at most. */
#define MAX_WORKERS 4

struct wch_prefetch {
	struct job *jobs;
	size_t n;
	const struct wch_keyring *keys;
	pthread_t threads[MAX_WORKERS];
	struct worker_arg args[MAX_WORKERS];
	unsigned nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t next;	  /* the first job no worker has taken */
	size_t replaying; /* the job the caller waits for or replays */
	size_t ahead;	  /* recorded content bytes not yet released */
	bool stop;
};

/* --- recording (worker thread) --- */

static int record_control(void *ctx, const struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct job *j = ctx;

	(void)res;
	(void)err;
	j->control_called = true;
	j->control_at = j->nents;
	return 0;
}

static int copy_entry(struct job *j, const struct wch_tar_entry *e, struct wch_tar_entry *to)
{
	size_t i;

	*to = *e;
	to->name = wch_arena_strdup(&j->scratch, e->name);
	to->link = e->link ? wch_arena_strdup(&j->scratch, e->link) : NULL;
	if (!to->name || (e->link && !to->link))
		return -ENOMEM;
	if (!e->nxattrs)
		return 0;
	to->xattrs = wch_arena_alloc(&j->scratch, e->nxattrs * sizeof(*to->xattrs));
	if (!to->xattrs)
		return -ENOMEM;
	for (i = 0; i < e->nxattrs; i++) {
		struct wch_xattr *x = &to->xattrs[i];
		x->name = wch_arena_strdup(&j->scratch, e->xattrs[i].name);
		x->len = e->xattrs[i].len;
		x->value = wch_arena_alloc(&j->scratch, x->len ? x->len : 1);
		if (!x->name || !x->value)
			return -ENOMEM;
		if (x->len)
			memcpy(x->value, e->xattrs[i].value, x->len);
	}
	return 0;
}

/* Returned by the recorder to stop a package that grew too big to hold;
 * never leaves this file. */
#define STOP_TOO_BIG (-ECANCELED)

static int record_entry(void *ctx, const struct wch_tar_entry *e, const struct wch_reader *data,
			struct wch_err *err)
{
	struct job *j = ctx;
	struct rec_entry *re;
	ssize_t got;

	if (j->nents == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct rec_entry *v = realloc(j->ents, cap * sizeof(*v));
		if (!v)
			return wch_errf(err, -ENOMEM, "out of memory");
		j->ents = v;
		j->cap = cap;
	}
	re = &j->ents[j->nents];
	memset(re, 0, sizeof(*re));
	if (copy_entry(j, e, &re->e) < 0)
		return wch_errf(err, -ENOMEM, "out of memory");
	re->off = j->data.len;
	j->nents++;
	for (;;) {
		if (j->data.cap - j->data.len < 65536 + 1 && wch_buf_grow(&j->data, 65536 + 1))
			return wch_errf(err, -ENOMEM, "out of memory");
		got = wch_read(data, j->data.p + j->data.len, j->data.cap - j->data.len - 1, err);
		if (got <= 0)
			break;
		j->data.len += (size_t)got;
		if (j->data.len > WCH_PREFETCH_PKG_MAX) {
			j->too_big = true;
			return STOP_TOO_BIG;
		}
	}
	re->len = j->data.len - re->off;
	if (got < 0) {
		/* The replay's reader fails at the same byte with the same error,
		 * which the consumer then handles as it would have here. */
		j->read_failed = true;
		j->read_entry = j->nents - 1;
		j->read_at = re->len;
		j->read_err = *err;
		return (int)got;
	}
	return 0;
}

static int record_entry_end(void *ctx, const struct wch_tar_entry *e, struct wch_err *err)
{
	struct job *j = ctx;

	(void)e;
	(void)err;
	j->ents[j->nents - 1].ended = true;
	return 0;
}

static void job_release_recording(struct job *j)
{
	wch_buf_release(&j->data);
	free(j->ents);
	j->ents = NULL;
	j->nents = j->cap = 0;
	wch_arena_release(&j->scratch);
}

/* Reads the package of job j with the given callbacks (the job's identity
 * and arena); the result lands in j->res / j->rc / j->err. */
static void read_job(struct wch_prefetch *pf, struct job *j, const struct wch_pkg_read_opts *cb)
{
	struct wch_pkg_read_opts ro = {0};
	int fd;

	wch_err_init(&j->err);
	memset(&j->res, 0, sizeof(j->res));
	fd = wch_open_input_err(j->in.path, &j->err);
	if (fd < 0) {
		j->rc = fd;
		return;
	}
	ro.mode = WCH_PKG_VERIFY_IDENTITY;
	ro.identity = j->in.identity;
	ro.keys = pf->keys;
	ro.arena = &j->arena;
	ro.control = cb->control;
	ro.entry = cb->entry;
	ro.entry_end = cb->entry_end;
	ro.ctx = cb->ctx;
	j->rc = wch_package_read_fd(fd, &ro, &j->res, &j->err);
	close(fd);
}

/* The job a worker takes next (under the lock), or NULL if none may be
 * taken now. The caller replays in plan order, so the first worker takes
 * jobs in that order; the others take the biggest job not yet taken, so
 * that one large package (libcrypto3 is half of alpine-base) is read in
 * parallel with the many small ones instead of holding up the caller at
 * its turn. A job the caller waits for is taken first by anyone; other
 * jobs only while little recorded content waits for its replay. */
static struct job *pick(struct wch_prefetch *pf, unsigned self)
{
	size_t i, best = pf->n;

	while (pf->next < pf->n && pf->jobs[pf->next].taken)
		pf->next++;
	if (pf->next >= pf->n)
		return NULL;
	if (pf->replaying < pf->n && !pf->jobs[pf->replaying].taken)
		best = pf->replaying;
	else if (pf->ahead > WCH_PREFETCH_AHEAD)
		return NULL;
	else if (self == 0)
		best = pf->next;
	else
		for (i = pf->next; i < pf->n; i++)
			if (!pf->jobs[i].taken &&
			    (best == pf->n ||
			     pf->jobs[i].in.installed_size > pf->jobs[best].in.installed_size))
				best = i;
	pf->jobs[best].taken = true;
	return &pf->jobs[best];
}

static void *worker(void *arg)
{
	struct wch_prefetch *pf = ((struct worker_arg *)arg)->pf;
	unsigned self = ((struct worker_arg *)arg)->self;

	for (;;) {
		struct wch_pkg_read_opts cb = {0};
		struct job *j = NULL;
		bool direct;

		pthread_mutex_lock(&pf->mu);
		while (!pf->stop && pf->next < pf->n && !(j = pick(pf, self)))
			pthread_cond_wait(&pf->cv, &pf->mu);
		pthread_mutex_unlock(&pf->mu);
		if (!j)
			break;

		direct = j->in.installed_size > WCH_PREFETCH_PKG_MAX;
		if (!direct) {
			cb.control = record_control;
			cb.entry = record_entry;
			cb.entry_end = record_entry_end;
			cb.ctx = j;
			if (j->in.installed_size &&
			    wch_buf_grow(&j->data, j->in.installed_size + 1))
				direct = true;
		}
		if (!direct) {
			read_job(pf, j, &cb);
			if (j->too_big) {
				direct = true;
				job_release_recording(j);
				wch_arena_release(&j->arena);
			}
		}
		pthread_mutex_lock(&pf->mu);
		j->state = direct ? JOB_DIRECT : JOB_READY;
		if (!direct)
			pf->ahead += j->data.len;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
	}
	return NULL;
}

int wch_prefetch_start(struct wch_prefetch **out, const struct wch_prefetch_job *jobs, size_t n,
		       const struct wch_keyring *keys, struct wch_err *err)
{
	struct wch_prefetch *pf = calloc(1, sizeof(*pf));
	size_t i;

	*out = NULL;
	if (!pf || !(pf->jobs = calloc(n ? n : 1, sizeof(*pf->jobs)))) {
		free(pf);
		return wch_errf(err, -ENOMEM, "out of memory");
	}
	pf->n = n;
	pf->keys = keys;
	for (i = 0; i < n; i++) {
		pf->jobs[i].in = jobs[i];
		pf->jobs[i].arena = (struct wch_arena)WCH_ARENA_INIT;
		pf->jobs[i].scratch = (struct wch_arena)WCH_ARENA_INIT;
	}
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	/* No thread (a tight RLIMIT_NPROC, say) only means no overlap: the
	 * replays then read the files themselves. */
	{
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned want = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (unsigned)cpus;
		if (n < 2)
			want = 0;
		else if (want > n)
			want = (unsigned)n;
		while (pf->nthreads < want) {
			struct worker_arg *a = &pf->args[pf->nthreads];
			a->pf = pf;
			a->self = pf->nthreads;
			if (pthread_create(&pf->threads[pf->nthreads], NULL, worker, a) != 0)
				break;
			pf->nthreads++;
		}
	}
	*out = pf;
	return 0;
}

/* --- replay (caller's thread) --- */

/* A reader over recorded content that ends like the original did. */
struct replay_reader {
	const unsigned char *p;
	size_t n, off;
	const struct wch_err *fail; /* after the n bytes, or NULL for a clean end */
};

static ssize_t replay_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	struct replay_reader *r = ctx;
	size_t k = r->n - r->off;

	if (k == 0) {
		if (!r->fail)
			return 0;
		if (err)
			*err = *r->fail;
		return r->fail->code;
	}
	if (k > n)
		k = n;
	memcpy(buf, r->p + r->off, k);
	r->off += k;
	return (ssize_t)k;
}

static int replay_events(struct job *j, const struct wch_pkg_read_opts *o, struct wch_err *err)
{
	size_t i;
	int r;

	for (i = 0; i <= j->nents; i++) {
		if (j->control_called && j->control_at == i && o->control) {
			r = o->control(o->ctx, &j->res, err);
			if (r)
				return r;
		}
		if (i == j->nents)
			break;
		struct rec_entry *re = &j->ents[i];
		bool fails = j->read_failed && j->read_entry == i;
		struct replay_reader rr = {(const unsigned char *)j->data.p + re->off, re->len, 0,
					   fails ? &j->read_err : NULL};
		struct wch_reader rd = {replay_read, &rr};
		if (o->entry) {
			r = o->entry(o->ctx, &re->e, &rd, err);
			if (r)
				return r;
		}
		/* What the consumer left is drained, reaching the error if any. */
		if (fails || rr.off < rr.n) {
			char sink[4096];
			ssize_t got;
			while ((got = replay_read(&rr, sink, sizeof(sink), err)) > 0)
				;
			if (got < 0)
				return (int)got;
		}
		if (re->ended && o->entry_end) {
			r = o->entry_end(o->ctx, &re->e, err);
			if (r)
				return r;
		}
	}
	if (j->rc && err)
		*err = j->err;
	return j->rc;
}

int wch_prefetch_replay(struct wch_prefetch *pf, size_t i, const struct wch_pkg_read_opts *o,
			struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct job *j = &pf->jobs[i];
	enum job_state st = JOB_DIRECT;
	size_t bytes = 0;
	int r;

	pthread_mutex_lock(&pf->mu);
	pf->replaying = i;
	pthread_cond_broadcast(&pf->cv);
	if (pf->nthreads) {
		while (j->state == JOB_PENDING)
			pthread_cond_wait(&pf->cv, &pf->mu);
		st = j->state;
	}
	pthread_mutex_unlock(&pf->mu);

	if (st == JOB_DIRECT) {
		read_job(pf, j, o);
		r = j->rc;
		if (r && err)
			*err = j->err;
	} else {
		bytes = j->data.len;
		r = replay_events(j, o, err);
	}
	*res = j->res;
	if (r)
		res->complete = false; /* the consumer may have stopped it early */
	job_release_recording(j);
	pthread_mutex_lock(&pf->mu);
	pf->ahead -= bytes;
	pf->replaying = i + 1;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	return r;
}

void wch_prefetch_free(struct wch_prefetch *pf)
{
	size_t i;

	if (!pf)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->stop = true;
	pthread_cond_broadcast(&pf->cv);
	pthread_mutex_unlock(&pf->mu);
	for (i = 0; i < pf->nthreads; i++)
		pthread_join(pf->threads[i], NULL);
	for (i = 0; i < pf->n; i++) {
		job_release_recording(&pf->jobs[i]);
		wch_arena_release(&pf->jobs[i].arena);
	}
	pthread_mutex_destroy(&pf->mu);
	pthread_cond_destroy(&pf->cv);
	free(pf->jobs);
	free(pf);
}
