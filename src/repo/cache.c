/*
 * The download cache: folder, apk-compatible names (apk-format §5.3) and
 * the validators kept beside cached indexes for conditional requests.
 */
#include "repo/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/hash.h"
#include "util/io.h"

#define VALIDATORS_MAX 8192
#define VALUE_MAX      1024

int wch_cache_default_dir(struct wch_buf *out, struct wch_err *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	/* XDG base dir spec: a relative XDG_CACHE_HOME is invalid, ignore it. */
	if (xdg && xdg[0] == '/')
		return wch_buf_addf(out, "%s/witchery", xdg)
			   ? wch_errf(err, -ENOMEM, "out of memory")
			   : 0;
	if (home && *home)
		return wch_buf_addf(out, "%s/.cache/witchery", home)
			   ? wch_errf(err, -ENOMEM, "out of memory")
			   : 0;
	return wch_errf(err, -WCH_E_NOT_FOUND,
			"no cache folder: set --cache-dir, XDG_CACHE_HOME or HOME");
}

/* mkdir -p */
static int make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int wch_cache_open(struct wch_cache *c, const char *dir, bool create, struct wch_err *err)
{
	struct wch_buf b = WCH_BUF_INIT;
	int r;

	c->dir = NULL;
	c->dirfd = -1;
	if (dir)
		r = wch_buf_addstr(&b, dir) ? wch_errf(err, -ENOMEM, "out of memory") : 0;
	else
		r = wch_cache_default_dir(&b, err);
	if (r < 0)
		goto out;
	if (create) {
		r = make_dirs(b.p);
		if (r < 0) {
			wch_err_sys(err, -r, "cannot create cache folder '%s'", b.p);
			goto out;
		}
	}
	c->dirfd = open(b.p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		r = wch_err_sys(err, errno, "cannot open cache folder '%s'", b.p);
		goto out;
	}
	c->dir = wch_buf_detach(&b, NULL);
	if (!c->dir) {
		close(c->dirfd);
		c->dirfd = -1;
		r = wch_errf(err, -ENOMEM, "out of memory");
	}
out:
	wch_buf_release(&b);
	return r;
}

void wch_cache_close(struct wch_cache *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->dir);
	c->dir = NULL;
	c->dirfd = -1;
}

void wch_cache_index_name(const char *url, char out[32])
{
	unsigned char d[20] = {0};
	char hex[9];

	wch_digest(WCH_HASH_SHA1, url, strlen(url), d);
	wch_hex_encode(d, 4, hex);
	snprintf(out, 32, "APKINDEX.%s.tar.gz", hex);
}

int wch_cache_pkg_name(const struct wch_pkg *p, struct wch_buf *out, struct wch_err *err)
{
	char hex[9];

	if (p->identity.len < 4)
		return wch_errf(err, -WCH_E_FORMAT, "package %s-%s has no identity (C:)", p->name,
				p->version);
	/* Names come from an index; never let one escape the cache folder. */
	if (strchr(p->name, '/') || strchr(p->version, '/') || p->name[0] == '.')
		return wch_errf(err, -WCH_E_UNSAFE_PATH, "package name '%s-%s' is not a file name",
				p->name, p->version);
	wch_hex_encode(p->identity.d, 4, hex);
	if (wch_buf_addf(out, "%s-%s.%s.apk", p->name, p->version, hex))
		return wch_errf(err, -ENOMEM, "out of memory");
	return 0;
}

static int take_value(const char *line, size_t len, const char *key, char **dst)
{
	size_t k = strlen(key);

	if (len <= k || strncmp(line, key, k) != 0)
		return 0;
	if (len - k > VALUE_MAX)
		return 0;
	free(*dst);
	*dst = strndup(line + k, len - k);
	return *dst ? 1 : -ENOMEM;
}

int wch_cache_load_validators(struct wch_cache *c, const char *name, struct wch_fetch_validators *v,
			      struct wch_err *err)
{
	struct wch_buf path = WCH_BUF_INIT, b = WCH_BUF_INIT;
	const char *p, *end;
	int r;

	if (wch_buf_addf(&path, "%s.etag", name))
		return wch_errf(err, -ENOMEM, "out of memory");
	r = wch_read_file_at(c->dirfd, path.p, &b, VALIDATORS_MAX, err);
	wch_buf_release(&path);
	if (r == -ENOENT) {
		if (err)
			wch_err_init(err);
		r = 0;
	}
	for (p = b.p, end = b.p + b.len; r == 0 && p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int t = take_value(p, len, "etag: ", &v->etag);
		if (t == 0)
			t = take_value(p, len, "last-modified: ", &v->last_modified);
		if (t < 0)
			r = wch_errf(err, -ENOMEM, "out of memory");
		p += len + 1;
	}
	wch_buf_release(&b);
	return r;
}

int wch_cache_save_validators(struct wch_cache *c, const char *name,
			      const struct wch_fetch_validators *v, struct wch_err *err)
{
	struct wch_buf path = WCH_BUF_INIT, b = WCH_BUF_INIT;
	struct wch_atomic a = {0};
	int r = 0;

	if (wch_buf_addf(&path, "%s.etag", name))
		return wch_errf(err, -ENOMEM, "out of memory");
	if (!v->etag && !v->last_modified) {
		unlinkat(c->dirfd, path.p, 0);
		goto out;
	}
	if ((v->etag && wch_buf_addf(&b, "etag: %s\n", v->etag)) ||
	    (v->last_modified && wch_buf_addf(&b, "last-modified: %s\n", v->last_modified))) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = wch_atomic_open(&a, c->dirfd, path.p, 0644, err);
	if (r == 0) {
		struct wch_writer w = wch_atomic_writer(&a);
		r = wch_write(&w, b.p, b.len, err);
	}
	if (r == 0)
		r = wch_atomic_commit(&a, err);
	wch_atomic_abort(&a);
out:
	wch_buf_release(&path);
	wch_buf_release(&b);
	return r;
}
