/*
 * Repository lists, URLs, index loading through the cache, and package
 * retrieval (apk-format §5.3, §6.5).
 */
#include "repo/repo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo/cache.h"
#include "repo/fetch.h"
#include "repo/internal.h"
#include "util/io.h"

#define REPOS_FILE_MAX (1u << 20)
#define INDEX_FILE_MAX (128u << 20) /* compressed */

const char *wch_repo_host_arch(void)
{
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#elif defined(__i386__)
	return "x86";
#elif defined(__arm__) && defined(__ARM_ARCH_7A__)
	return "armv7";
#elif defined(__arm__)
	return "armhf";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#elif defined(__loongarch64)
	return "loongarch64";
#else
	return "noarch";
#endif
}

void wch_repos_init(struct wch_repos *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->arena = (struct wch_arena)WCH_ARENA_INIT;
}

static void repo_release(struct wch_repo *r)
{
	free(r->url);
	free(r->display);
	free(r->tag);
	free(r->local);
	free(r->description);
	free(r->signer);
}

void wch_repos_release(struct wch_repos *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		repo_release(&rs->v[i]);
	free(rs->v);
	free(rs->arch);
	free(rs->cache_dir);
	free(rs->pkgs);
	wch_repo_identities_free(rs->identities);
	wch_arena_release(&rs->arena);
	if (rs->fetch)
		wch_fetch_free(rs->fetch);
	if (rs->cache) {
		wch_cache_close(rs->cache);
		free(rs->cache);
	}
	memset(rs, 0, sizeof(*rs));
}

static int set_str(char **dst, const char *s)
{
	char *c = s ? strdup(s) : NULL;

	if (s && !c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

int wch_repos_set_arch(struct wch_repos *rs, const char *arch)
{
	return set_str(&rs->arch, arch);
}

int wch_repos_set_cache_dir(struct wch_repos *rs, const char *dir)
{
	return set_str(&rs->cache_dir, dir);
}

static const char *arch_of(const struct wch_repos *rs)
{
	return rs->arch ? rs->arch : wch_repo_host_arch();
}

static bool has_scheme(const char *url, const char *scheme)
{
	return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

int wch_repos_add(struct wch_repos *rs, const char *url, const char *tag, struct wch_err *err)
{
	struct wch_repo r;
	struct wch_repo *nv;
	size_t len = strlen(url);

	memset(&r, 0, sizeof(r));
	if (len == 0)
		return wch_errf(err, -WCH_E_USAGE, "empty repository URL");
	if (rs->n >= WCH_REPOS_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, "more than %d repositories", WCH_REPOS_MAX);
	if (tag && (!*tag || strpbrk(tag, " \t/")))
		return wch_errf(err, -WCH_E_USAGE, "invalid repository tag '%s'", tag);
	while (len > 1 && url[len - 1] == '/')
		len--;
	r.url = strndup(url, len);
	if (!r.url)
		goto nomem;
	if (wch_url_is_http(r.url)) {
		r.kind = WCH_REPO_HTTP;
	} else if (has_scheme(r.url, "file://")) {
		r.kind = WCH_REPO_LOCAL;
		r.local = strdup(r.url + 7);
	} else if (strstr(r.url, "://")) {
		repo_release(&r);
		return wch_errf(err, -WCH_E_UNSUPPORTED,
				"repository '%s': only folders, file://, http:// and https:// "
				"are supported",
				url);
	} else {
		r.kind = WCH_REPO_LOCAL;
		r.local = strdup(r.url);
	}
	if (r.kind == WCH_REPO_LOCAL && (!r.local || !*r.local)) {
		if (r.local) {
			repo_release(&r);
			return wch_errf(err, -WCH_E_USAGE, "repository '%s' has no path", url);
		}
		goto nomem;
	}
	r.display = wch_url_redact(r.url);
	if (!r.display || (tag && !(r.tag = strdup(tag))))
		goto nomem;
	nv = realloc(rs->v, (rs->n + 1) * sizeof(*nv));
	if (!nv)
		goto nomem;
	rs->v = nv;
	rs->v[rs->n++] = r;
	return 0;
nomem:
	repo_release(&r);
	return wch_errf(err, -ENOMEM, "out of memory");
}

int wch_repos_add_text(struct wch_repos *rs, const char *text, size_t n, const char *origin,
		       struct wch_err *err)
{
	const char *p = text, *end = text + n;
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *s = p, *e = le;
		char *line, *url, *tag = NULL;
		int r;

		lineno++;
		p = nl ? nl + 1 : end;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		line = strndup(s, (size_t)(e - s));
		if (!line)
			return wch_errf(err, -ENOMEM, "out of memory");
		url = line;
		if (*line == '@') {
			/* §6.5: "@tag URL", split at the first space, tab or ':'.
			 * A ':' split would cut "https:", so only whitespace ends
			 * the tag when the rest looks like a URL. */
			size_t k = strcspn(line, " \t");
			if (line[k] == 0) {
				free(line);
				return wch_errf(err, -WCH_E_FORMAT,
						"%s:%u: tag without a repository", origin, lineno);
			}
			line[k] = 0;
			tag = line + 1;
			url = line + k + 1;
			while (*url == ' ' || *url == '\t')
				url++;
		}
		r = wch_repos_add(rs, url, tag, err);
		free(line);
		if (r < 0) {
			if (err)
				wch_err_prefix(err, "%s:%u", origin, lineno);
			return r;
		}
	}
	return 0;
}

int wch_repos_add_file(struct wch_repos *rs, const char *path, struct wch_err *err)
{
	struct wch_buf b = WCH_BUF_INIT;
	int r = wch_read_file_at(AT_FDCWD, path, &b, REPOS_FILE_MAX, err);

	if (r == 0)
		r = wch_repos_add_text(rs, b.p ? b.p : "", b.len, path, err);
	wch_buf_release(&b);
	return r;
}

/* Joins base + "/" + rest, as apk does (§5.3). */
static int join_url(struct wch_buf *out, const char *base, const char *a, const char *b)
{
	return wch_buf_addf(out, "%s/%s/%s", base, a, b);
}

int wch_repo_index_url(const struct wch_repos *rs, size_t repo_idx, struct wch_buf *out)
{
	const struct wch_repo *r = &rs->v[repo_idx];

	return join_url(out, r->kind == WCH_REPO_LOCAL ? r->local : r->url, arch_of(rs),
			"APKINDEX.tar.gz");
}

int wch_repo_pkg_url(const struct wch_repos *rs, const struct wch_pkg *p, struct wch_buf *out)
{
	const struct wch_repo *r;

	if (p->repo < 0 || (size_t)p->repo >= rs->n)
		return p->filename ? wch_buf_addstr(out, p->filename) : -EINVAL;
	r = &rs->v[p->repo];
	return wch_buf_addf(out, "%s/%s/%s-%s.apk", r->kind == WCH_REPO_LOCAL ? r->local : r->url,
			    p->arch && *p->arch ? p->arch : arch_of(rs), p->name, p->version);
}

static void warn(struct wch_repos *rs, const char *fmt, ...) WCH_PRINTF(2, 3);
static void warn(struct wch_repos *rs, const char *fmt, ...)
{
	char msg[WCH_ERR_MSG_MAX];
	va_list ap;

	if (!rs->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs->warn(rs->warn_ctx, msg);
}

static int need_cache(struct wch_repos *rs, struct wch_err *err)
{
	int r;

	if (rs->cache)
		return 0;
	rs->cache = calloc(1, sizeof(*rs->cache));
	if (!rs->cache)
		return wch_errf(err, -ENOMEM, "out of memory");
	rs->cache->dirfd = -1;
	r = wch_cache_open(rs->cache, rs->cache_dir, !rs->offline, err);
	if (r < 0) {
		free(rs->cache);
		rs->cache = NULL;
	}
	return r;
}

static int need_fetch(struct wch_repos *rs, struct wch_err *err)
{
	struct wch_fetch_opts o;

	if (rs->fetch)
		return 0;
	wch_fetch_opts_default(&o);
	o.progress = rs->progress;
	return wch_fetch_new(&rs->fetch, &o, err);
}

static bool exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

/* Brings the index of an http repository into the cache; *name receives
 * the cache file name. */
static int refresh_http_index(struct wch_repos *rs, size_t i, const char *url, char name[32],
			      struct wch_err *err)
{
	struct wch_repo *repo = &rs->v[i];
	struct wch_fetch_validators v = {NULL, NULL};
	bool cached;
	int r;

	r = need_cache(rs, err);
	if (r == -ENOENT && rs->offline) {
		char why[WCH_ERR_MSG_MAX]; /* err->msg cannot be an argument of itself */
		snprintf(why, sizeof(why), "%s", err ? err->msg : "no cache folder");
		return wch_errf(err, -WCH_E_NOT_FOUND,
				"offline and the index of repository %s is not in the cache "
				"(%s)",
				repo->display, why);
	}
	if (r < 0)
		return r;
	wch_cache_index_name(url, name);
	cached = exists_at(rs->cache->dirfd, name);
	if (rs->offline) {
		if (!cached)
			return wch_errf(
			    err, -WCH_E_NOT_FOUND,
			    "offline and the index of repository %s is not in the cache "
			    "(%s/%s)",
			    repo->display, rs->cache->dir, name);
		return 0;
	}
	if (cached && wch_cache_load_validators(rs->cache, name, &v, NULL) < 0)
		wch_fetch_validators_release(&v);
	r = need_fetch(rs, err);
	if (r == 0)
		r = wch_fetch_file(rs->fetch, url, rs->cache->dirfd, name, &v, err);
	if (r == 0) {
		if (wch_cache_save_validators(rs->cache, name, &v, NULL) < 0)
			warn(rs, "cannot save validators for %s", name);
	} else if (r == WCH_FETCH_NOT_MODIFIED) {
		r = 0;
	} else if (cached) {
		/* A network failure with a cached copy: use it, like apk. */
		warn(rs, "%s; using the cached index of %s", err ? err->msg : wch_strerror(r),
		     repo->display);
		if (err)
			wch_err_init(err);
		r = 0;
	}
	wch_fetch_validators_release(&v);
	return r;
}

int wch_repos_load(struct wch_repos *rs, struct wch_err *err)
{
	struct wch_buf url = WCH_BUF_INIT, data = WCH_BUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < rs->n && r == 0; i++) {
		struct wch_repo *repo = &rs->v[i];
		char name[32];

		wch_buf_reset(&url);
		wch_buf_reset(&data);
		if (wch_repo_index_url(rs, i, &url)) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			break;
		}
		if (repo->kind == WCH_REPO_LOCAL) {
			r = wch_read_file_at(AT_FDCWD, url.p, &data, INDEX_FILE_MAX, err);
		} else {
			r = refresh_http_index(rs, i, url.p, name, err);
			if (r == 0)
				r = wch_read_file_at(rs->cache->dirfd, name, &data, INDEX_FILE_MAX,
						     err);
		}
		if (r < 0) {
			if (err)
				wch_err_prefix(err, "repository %s", repo->display);
			break;
		}
		r = wch_repos_load_index_mem(rs, i, data.p, data.len, err);
	}
	wch_buf_release(&url);
	wch_buf_release(&data);
	return r;
}

static bool identity_matches(const char *path, const struct wch_pkg *p, struct wch_err *err,
			     int *code)
{
	struct wch_checksum c;

	*code = wch_apk_identity_file(path, &c, err);
	if (*code < 0)
		return false;
	if (p->identity.len == 0)
		return true; /* nothing to check against (local package) */
	return p->identity.alg == c.alg && p->identity.len == c.len &&
	       memcmp(p->identity.d, c.d, c.len) == 0;
}

int wch_repos_fetch_pkg(struct wch_repos *rs, const struct wch_pkg *p, struct wch_buf *path_out,
			struct wch_err *err)
{
	struct wch_buf url = WCH_BUF_INIT, name = WCH_BUF_INIT;
	const struct wch_repo *repo;
	size_t mark = path_out->len;
	int r, code = 0;

	if (p->repo < 0 || (size_t)p->repo >= rs->n) {
		if (!p->filename)
			return wch_errf(err, -EINVAL, "package %s-%s has no file", p->name,
					p->version);
		return wch_buf_addstr(path_out, p->filename)
			   ? wch_errf(err, -ENOMEM, "out of memory")
			   : 0;
	}
	repo = &rs->v[p->repo];
	if (wch_repo_pkg_url(rs, p, &url)) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (repo->kind == WCH_REPO_LOCAL) {
		r = wch_buf_addstr(path_out, url.p) ? wch_errf(err, -ENOMEM, "out of memory") : 0;
		if (r == 0 && !identity_matches(url.p, p, err, &code)) {
			r = code < 0 ? code
				     : wch_errf(err, -WCH_E_INTEGRITY,
						"'%s' does not match the identity the index "
						"lists for %s-%s",
						url.p, p->name, p->version);
		}
		goto out;
	}
	r = need_cache(rs, err);
	if (r == -ENOENT && rs->offline) {
		char why[WCH_ERR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", err ? err->msg : "no cache folder");
		r = wch_errf(err, -WCH_E_NOT_FOUND,
			     "offline and package %s-%s is not in the cache (%s)", p->name,
			     p->version, why);
		goto out;
	}
	if (r == 0)
		r = wch_cache_pkg_name(p, &name, err);
	if (r < 0)
		goto out;
	r = wch_buf_addf(path_out, "%s/%s", rs->cache->dir, name.p) ? -ENOMEM : 0;
	if (r < 0) {
		wch_errf(err, r, "out of memory");
		goto out;
	}
	if (exists_at(rs->cache->dirfd, name.p)) {
		if (identity_matches(path_out->p + mark, p, NULL, &code))
			goto out; /* a verified cache hit */
		warn(rs, "cached %s does not match its identity; fetching it again", name.p);
		unlinkat(rs->cache->dirfd, name.p, 0);
	}
	if (rs->offline) {
		r = wch_errf(err, -WCH_E_NOT_FOUND,
			     "offline and package %s-%s is not in the cache (%s)", p->name,
			     p->version, path_out->p + mark);
		goto out;
	}
	r = need_fetch(rs, err);
	if (r == 0)
		r = wch_fetch_file(rs->fetch, url.p, rs->cache->dirfd, name.p, NULL, err);
	if (r < 0)
		goto out;
	if (!identity_matches(path_out->p + mark, p, err, &code)) {
		unlinkat(rs->cache->dirfd, name.p, 0);
		if (code < 0)
			r = code;
		else {
			char *shown = wch_url_redact(url.p);
			r = wch_errf(err, -WCH_E_INTEGRITY,
				     "%s does not match the identity the index lists for %s-%s",
				     shown ? shown : repo->display, p->name, p->version);
			free(shown);
		}
	}
out:
	if (r < 0) {
		path_out->len = mark;
		if (path_out->p)
			path_out->p[mark] = 0;
	}
	wch_buf_release(&url);
	wch_buf_release(&name);
	return r;
}

int wch_repos_fetch_pkgs(struct wch_repos *rs, struct wch_pkg *const *pkgs, size_t n, char **paths,
			 struct wch_err *err)
{
	struct wch_buf b = WCH_BUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		const struct wch_pkg *p = pkgs[i];
		bool local = p->repo >= 0 && (size_t)p->repo < rs->n &&
			     rs->v[p->repo].kind == WCH_REPO_LOCAL;
		wch_buf_reset(&b);
		if (local) {
			/* Only the path: reading each control part here would
			 * read every package twice, and the caller's package
			 * reader checks the identity while it streams. */
			r = wch_repo_pkg_url(rs, p, &b) ? wch_errf(err, -ENOMEM, "out of memory")
							: 0;
		} else {
			if (rs->fetch || (!rs->offline && need_fetch(rs, NULL) == 0)) {
				char label[256];
				snprintf(label, sizeof(label), "(%zu/%zu) %s-%s", i + 1, n, p->name,
					 p->version);
				wch_fetch_set_label(rs->fetch, label);
			}
			r = wch_repos_fetch_pkg(rs, p, &b, err);
		}
		if (r < 0)
			break;
		paths[i] = wch_buf_detach(&b, NULL);
		if (!paths[i]) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			break;
		}
	}
	if (rs->fetch)
		wch_fetch_print_total(rs->fetch);
	wch_buf_release(&b);
	return r;
}
