/*
 * Parallel gzip writer, the pigz way (apk-format §2.1, §2.8: one member,
 * `gzip -n` header).
 *
 * Input is cut into fixed GZ_BLOCK-sized blocks; only the last block may be
 * shorter (or empty). Block i is raw-deflated on its own, primed with the
 * last 32 KiB of block i-1 as preset dictionary, and ended by Z_SYNC_FLUSH
 * (which byte-aligns it with an empty stored block) or, for the last block,
 * Z_FINISH. The concatenation of the blocks is then one valid deflate
 * stream. Since a block's bytes depend only on its input, its dictionary
 * and the level, the output is the same for any thread count; one thread
 * simply runs the same jobs inline.
 *
 * Jobs live in a ring of 2 * threads slots; the caller thread fills slots,
 * workers compress them, and the caller writes finished slots in order
 * (dst is only ever used from the caller's thread). A slot is reused only
 * after its output was written, so memory is bounded by the ring size.
 */
#include "archive/gzip.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define GZ_BLOCK       (128u * 1024u)
#define GZ_DICT	       (32u * 1024u)
#define GZ_MAX_THREADS 64

enum job_state { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct gz_job {
	enum job_state state;
	uint64_t seq;
	bool last;
	unsigned char *in;
	size_t in_len;
	unsigned char dict[GZ_DICT];
	size_t dict_len;
	unsigned char *out;
	size_t out_len, out_cap;
	uLong crc;
	int rc; /* 0 or a negative code from the worker */
};

struct wch_gzip {
	struct wch_writer dst;
	int level, nthreads;
	size_t nslots;
	struct gz_job *slots;
	pthread_t *workers;
	size_t nworkers;
	z_stream inline_zs; /* used when nthreads == 1 */
	bool inline_ready;
	pthread_mutex_t lock;
	pthread_cond_t work_cv, done_cv;
	bool stop;
	uint64_t next_fill, next_write; /* sequence numbers */
	struct gz_job *cur;		/* slot being filled */
	unsigned char window[GZ_DICT];	/* tail of the last submitted block */
	size_t window_len;
	uLong crc;
	uint64_t in_total;
	bool header_done, finished;
	int fail_code;
};

static int zs_init(z_stream *zs, int level)
{
	memset(zs, 0, sizeof(*zs));
	return deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0
										       : -ENOMEM;
}

/* Compresses one block into job->out; runs on any thread. */
static int compress_job(z_stream *zs, struct gz_job *job)
{
	int flush = job->last ? Z_FINISH : Z_SYNC_FLUSH;
	int zr;

	if (deflateReset(zs) != Z_OK)
		return -ENOMEM;
	if (job->dict_len && deflateSetDictionary(zs, job->dict, (uInt)job->dict_len) != Z_OK)
		return -ENOMEM;
	job->crc = crc32(0L, job->in, (uInt)job->in_len);
	job->out_len = 0;
	zs->next_in = job->in;
	zs->avail_in = (uInt)job->in_len;
	for (;;) {
		if (job->out_len == job->out_cap) {
			size_t cap = job->out_cap ? job->out_cap * 2 : GZ_BLOCK;
			unsigned char *p = realloc(job->out, cap);
			if (!p)
				return -ENOMEM;
			job->out = p;
			job->out_cap = cap;
		}
		zs->next_out = job->out + job->out_len;
		zs->avail_out = (uInt)(job->out_cap - job->out_len);
		zr = deflate(zs, flush);
		job->out_len = job->out_cap - zs->avail_out;
		if (zr == Z_STREAM_ERROR)
			return -ENOMEM;
		if (flush == Z_FINISH ? zr == Z_STREAM_END
				      : (zs->avail_in == 0 && zs->avail_out != 0))
			return 0;
	}
}

static void *worker_main(void *arg)
{
	struct wch_gzip *g = arg;
	z_stream zs;
	bool ok = zs_init(&zs, g->level) == 0;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct gz_job *job = NULL;
		size_t i;

		while (!g->stop) {
			/* Oldest first: the caller writes in order. */
			for (i = 0; i < g->nslots; i++)
				if (g->slots[i].state == JOB_QUEUED &&
				    (!job || g->slots[i].seq < job->seq))
					job = &g->slots[i];
			if (job)
				break;
			pthread_cond_wait(&g->work_cv, &g->lock);
		}
		if (!job)
			break;
		job->state = JOB_RUNNING;
		pthread_mutex_unlock(&g->lock);
		int rc = ok ? compress_job(&zs, job) : -ENOMEM;
		pthread_mutex_lock(&g->lock);
		job->rc = rc;
		job->state = JOB_DONE;
		pthread_cond_broadcast(&g->done_cv);
	}
	pthread_mutex_unlock(&g->lock);
	if (ok)
		deflateEnd(&zs);
	return NULL;
}

static int gz_fail(struct wch_gzip *g, int code)
{
	g->fail_code = code;
	return code;
}

static int write_header(struct wch_gzip *g, struct wch_err *err)
{
	/* `gzip -n`: no name, mtime 0, OS 3 (Unix); XFL as gzip sets it. */
	unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

	h[8] = g->level == 9 ? 2 : g->level == 1 ? 4 : 0;
	g->header_done = true;
	return wch_write(&g->dst, h, sizeof(h), err);
}

/* Waits for the oldest outstanding job and writes it out. Job states are
 * only ever changed under the lock; a DONE job is no longer touched by the
 * workers, so its buffers can be used without it. */
static int write_oldest(struct wch_gzip *g, struct wch_err *err)
{
	struct gz_job *job = &g->slots[g->next_write % g->nslots];
	int r;

	pthread_mutex_lock(&g->lock);
	while (job->state != JOB_DONE)
		pthread_cond_wait(&g->done_cv, &g->lock);
	job->state = JOB_FREE;
	pthread_mutex_unlock(&g->lock);
	g->next_write++;
	if (job->rc < 0)
		return wch_errf(err, job->rc, "cannot compress: out of memory");
	if (!g->header_done && (r = write_header(g, err)) < 0)
		return r;
	r = wch_write(&g->dst, job->out, job->out_len, err);
	if (r < 0)
		return r;
	g->crc = crc32_combine(g->crc, job->crc, (z_off_t)job->in_len);
	return 0;
}

/* Hands the slot being filled to the workers (or compresses it inline). */
static int submit(struct wch_gzip *g, bool last, struct wch_err *err)
{
	struct gz_job *job = g->cur;
	size_t tail = job->in_len < GZ_DICT ? job->in_len : GZ_DICT;

	/* The next block's dictionary: the last 32 KiB of this one. Blocks
	 * before the last are always full, so this is always 32 KiB. */
	memcpy(g->window, job->in + job->in_len - tail, tail);
	g->window_len = tail;
	job->last = last;
	g->cur = NULL;
	g->next_fill++;
	if (!g->nworkers) {
		job->rc = compress_job(&g->inline_zs, job);
		pthread_mutex_lock(&g->lock);
		job->state = JOB_DONE;
		pthread_mutex_unlock(&g->lock);
		return write_oldest(g, err);
	}
	pthread_mutex_lock(&g->lock);
	job->state = JOB_QUEUED;
	pthread_cond_signal(&g->work_cv);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

/* Makes g->cur a slot ready for filling, writing out the job that held it. */
static int acquire(struct wch_gzip *g, struct wch_err *err)
{
	struct gz_job *job = &g->slots[g->next_fill % g->nslots];
	int r;

	/* The slot is free once the job that used it was written out; the
	 * counters are the caller thread's own, so no lock is needed. */
	while (g->next_fill - g->next_write >= g->nslots)
		if ((r = write_oldest(g, err)) < 0)
			return r;
	if (!job->in && !(job->in = malloc(GZ_BLOCK)))
		return wch_errf(err, -ENOMEM, "out of memory");
	job->seq = g->next_fill;
	job->in_len = 0;
	job->rc = 0;
	memcpy(job->dict, g->window, g->window_len);
	job->dict_len = g->window_len;
	g->cur = job;
	return 0;
}

static int gz_write(void *ctx, const void *buf, size_t n, struct wch_err *err)
{
	struct wch_gzip *g = ctx;
	const unsigned char *p = buf;
	int r;

	if (g->fail_code)
		return wch_errf(err, g->fail_code, "gzip stream failed earlier");
	if (g->finished)
		return wch_errf(err, -EINVAL, "write after gzip finish");
	g->in_total += n;
	while (n) {
		if (!g->cur && (r = acquire(g, err)) < 0)
			return gz_fail(g, r);
		size_t room = GZ_BLOCK - g->cur->in_len;
		size_t take = n < room ? n : room;
		memcpy(g->cur->in + g->cur->in_len, p, take);
		g->cur->in_len += take;
		p += take;
		n -= take;
		/* A full block is submitted only when more input arrives, so
		 * the last block is known when finish() comes. */
		if (n && g->cur->in_len == GZ_BLOCK && (r = submit(g, false, err)) < 0)
			return gz_fail(g, r);
	}
	return 0;
}

int wch_gzip_finish(struct wch_gzip *g, struct wch_err *err)
{
	unsigned char t[8];
	uint32_t isize = (uint32_t)g->in_total;
	int r, i;

	if (g->fail_code)
		return wch_errf(err, g->fail_code, "gzip stream failed earlier");
	if (g->finished)
		return 0;
	if (!g->cur && (r = acquire(g, err)) < 0)
		return gz_fail(g, r);
	if ((r = submit(g, true, err)) < 0)
		return gz_fail(g, r);
	while (g->next_write < g->next_fill)
		if ((r = write_oldest(g, err)) < 0)
			return gz_fail(g, r);
	for (i = 0; i < 4; i++) {
		t[i] = (unsigned char)(g->crc >> (8 * i));
		t[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	if ((r = wch_write(&g->dst, t, sizeof(t), err)) < 0)
		return gz_fail(g, r);
	g->finished = true;
	return 0;
}

static void stop_workers(struct wch_gzip *g)
{
	size_t i;

	if (!g->nworkers)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_broadcast(&g->work_cv);
	pthread_mutex_unlock(&g->lock);
	for (i = 0; i < g->nworkers; i++)
		pthread_join(g->workers[i], NULL);
	g->nworkers = 0;
}

void wch_gzip_free(struct wch_gzip *g)
{
	size_t i;

	if (!g)
		return;
	stop_workers(g);
	if (g->inline_ready)
		deflateEnd(&g->inline_zs);
	for (i = 0; g->slots && i < g->nslots; i++) {
		free(g->slots[i].in);
		free(g->slots[i].out);
	}
	free(g->slots);
	free(g->workers);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->work_cv);
	pthread_cond_destroy(&g->done_cv);
	free(g);
}

int wch_gzip_new(struct wch_gzip **out, struct wch_writer dst, int level, int threads,
		 struct wch_err *err)
{
	struct wch_gzip *g;
	size_t i;

	*out = NULL;
	if (level < 1 || level > 9)
		return wch_errf(err, -EINVAL, "gzip level %d is not in 1-9", level);
	if (threads <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 ? (int)(cpus < GZ_MAX_THREADS ? cpus : GZ_MAX_THREADS) : 1;
	}
	if (threads > GZ_MAX_THREADS)
		threads = GZ_MAX_THREADS;
	if (!(g = calloc(1, sizeof(*g))))
		return wch_errf(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work_cv, NULL);
	pthread_cond_init(&g->done_cv, NULL);
	g->dst = dst;
	g->level = level;
	g->nthreads = threads;
	g->crc = crc32(0L, Z_NULL, 0);
	g->nslots = threads == 1 ? 1 : 2 * (size_t)threads;
	if (!(g->slots = calloc(g->nslots, sizeof(*g->slots))))
		goto nomem;
	if (threads == 1) {
		if (zs_init(&g->inline_zs, level) < 0)
			goto nomem;
		g->inline_ready = true;
	} else {
		if (!(g->workers = calloc((size_t)threads, sizeof(*g->workers))))
			goto nomem;
		for (i = 0; i < (size_t)threads; i++) {
			int r = pthread_create(&g->workers[i], NULL, worker_main, g);
			if (r) {
				wch_gzip_free(g);
				return wch_err_sys(err, r, "cannot start gzip thread");
			}
			g->nworkers++;
		}
	}
	*out = g;
	return 0;
nomem:
	wch_gzip_free(g);
	return wch_errf(err, -ENOMEM, "out of memory");
}

struct wch_writer wch_gzip_writer(struct wch_gzip *g)
{
	struct wch_writer w = {gz_write, g};
	return w;
}

uint64_t wch_gzip_in_bytes(const struct wch_gzip *g)
{
	return g->in_total;
}

int wch_gzip_buffer(const void *p, size_t n, int level, struct wch_buf *out, struct wch_err *err)
{
	struct wch_gzip *g;
	/* Threads only pay off past a few blocks; output is the same. */
	int threads = n > 4 * (size_t)GZ_BLOCK ? 0 : 1;
	int r = wch_gzip_new(&g, wch_writer_buf(out), level, threads, err);

	if (r < 0)
		return r;
	size_t old_len = out->len;
	r = gz_write(g, p, n, err);
	if (r == 0)
		r = wch_gzip_finish(g, err);
	wch_gzip_free(g);
	if (r < 0 && out->p) {
		out->len = old_len;
		out->p[old_len] = 0;
	}
	return r;
}
