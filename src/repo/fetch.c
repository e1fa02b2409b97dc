/*
 * HTTP(S) downloads with libcurl: verified TLS, redirects, timeouts,
 * retries with backoff, netrc, conditional requests and a progress bar.
 * This file is the only libcurl user (loaded on first use, curl_api.h).
 */
#include "repo/fetch.h"
#include "repo/curl_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/io.h"
#include "util/interrupt.h"

#define HEADER_VALUE_MAX 1024

struct wch_fetch {
	struct wch_fetch_opts o;
	const struct wch_curl_api *api;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char *label;
	unsigned files;
	uint64_t bytes;
	struct timespec start;
	bool started;
};

/* Per-transfer state handed to the callbacks. */
struct xfer {
	struct wch_fetch *f;
	struct wch_atomic *out;
	struct wch_err *err;
	int write_error;
	uint64_t got;
	struct wch_fetch_validators nv;
	bool header_oom;
	double last_draw;
	const char *label;
	bool drew;
};

void wch_fetch_opts_default(struct wch_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->retries = 3;
	o->backoff_ms = 500;
	o->connect_timeout = 30;
	o->low_speed_time = 60;
	o->netrc = true;
}

void wch_fetch_validators_release(struct wch_fetch_validators *v)
{
	free(v->etag);
	free(v->last_modified);
	v->etag = v->last_modified = NULL;
}

bool wch_url_is_http(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

char *wch_url_redact(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *p;
	size_t pre;
	char *out;

	if (!auth)
		return strdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return strdup(url);
	pre = (size_t)(auth - url);
	out = malloc(strlen(url) + 1);
	if (!out)
		return NULL;
	memcpy(out, url, pre);
	strcpy(out + pre, at + 1);
	return out;
}

int wch_fetch_new(struct wch_fetch **out, const struct wch_fetch_opts *opts, struct wch_err *err)
{
	const struct wch_curl_api *api = wch_curl_api(err);
	struct wch_fetch *f;

	*out = NULL;
	if (!api)
		return -WCH_E_NETWORK;
	f = calloc(1, sizeof(*f));
	if (!f)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (opts)
		f->o = *opts;
	else
		wch_fetch_opts_default(&f->o);
	f->api = api;
	f->curl = api->easy_init();
	if (!f->curl) {
		free(f);
		return wch_errf(err, -ENOMEM, "cannot create a libcurl handle");
	}
	*out = f;
	return 0;
}

void wch_fetch_free(struct wch_fetch *f)
{
	if (!f)
		return;
	f->api->easy_cleanup(f->curl);
	free(f->label);
	free(f);
}

void wch_fetch_set_label(struct wch_fetch *f, const char *label)
{
	char *c = label ? strdup(label) : NULL;

	free(f->label);
	f->label = c; /* NULL on allocation failure: the URL's name is shown */
}

void wch_fetch_stats(const struct wch_fetch *f, unsigned *files, uint64_t *bytes)
{
	*files = f->files;
	*bytes = f->bytes;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void wch_fetch_print_total(const struct wch_fetch *f)
{
	double t;

	if (!f || !f->o.progress || !f->started)
		return;
	t = now_s() - ((double)f->start.tv_sec + (double)f->start.tv_nsec / 1e9);
	fprintf(stderr, "fetched %u file%s, %.1f MiB in %.1f s\n", f->files,
		f->files == 1 ? "" : "s", (double)f->bytes / (1024.0 * 1024.0), t);
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb;
	struct wch_writer w;
	long code = 0;

	x->f->api->easy_getinfo(x->f->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return n; /* error pages and 304 bodies are not the file */
	if (x->f->o.max_size && x->got + n > x->f->o.max_size) {
		x->write_error = wch_errf(x->err, -WCH_E_TOO_BIG, "larger than %llu bytes",
					  (unsigned long long)x->f->o.max_size);
		return 0;
	}
	w = wch_atomic_writer(x->out);
	x->write_error = wch_write(&w, p, n, x->err);
	if (x->write_error < 0)
		return 0;
	x->got += n;
	return n;
}

static void keep_header(struct xfer *x, const char *p, size_t n, const char *key, char **dst)
{
	size_t k = strlen(key);

	if (n <= k || strncasecmp(p, key, k) != 0)
		return;
	p += k;
	n -= k;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	if (n == 0 || n > HEADER_VALUE_MAX || memchr(p, '\n', n))
		return;
	free(*dst);
	*dst = strndup(p, n);
	if (!*dst)
		x->header_oom = true;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb;

	/* A new status line (after a redirect) starts a new header set. */
	if (n > 5 && strncmp(p, "HTTP/", 5) == 0)
		wch_fetch_validators_release(&x->nv);
	keep_header(x, p, n, "etag:", &x->nv.etag);
	keep_header(x, p, n, "last-modified:", &x->nv.last_modified);
	return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = ctx;
	double t = now_s();
	char bar[31];
	int fill, i;

	(void)ultotal;
	(void)ulnow;
	/* libcurl calls this as data arrives and about once a second while
	 * nothing does, so any transfer ends promptly on SIGINT/SIGTERM. */
	x->write_error = wch_check_interrupt(x->err);
	if (x->write_error)
		return 1;
	if (!x->f->o.progress)
		return 0;
	if (t - x->last_draw < 0.1 && !(dltotal > 0 && dlnow == dltotal))
		return 0;
	x->last_draw = t;
	if (dltotal > 0) {
		fill = (int)(dlnow * 30 / dltotal);
		for (i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : ' ';
		bar[30] = 0;
		fprintf(stderr, "\r%-40.40s [%s] %3d%% %7.1f KiB", x->label, bar,
			(int)(dlnow * 100 / dltotal), (double)dlnow / 1024.0);
	} else {
		fprintf(stderr, "\r%-40.40s %7.1f KiB", x->label, (double)dlnow / 1024.0);
	}
	x->drew = true;
	return 0;
}

static bool transient_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool transient_http(long code)
{
	return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 ||
	       code == 504;
}

static int setup(struct wch_fetch *f, const char *url, struct curl_slist *hdrs, struct xfer *x)
{
	CURL *c = f->curl;
	const char *ca = f->o.ca_file;
	CURLcode r = CURLE_OK;

	if (!ca)
		ca = getenv("SSL_CERT_FILE");
	if (!ca || !*ca)
		ca = getenv("CURL_CA_BUNDLE");
	f->api->easy_reset(c);
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (r == CURLE_OK)                                                                 \
			r = f->api->easy_setopt(c, opt, val);                                      \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_ERRORBUFFER, f->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, 10L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca && *ca)
		SET(CURLOPT_CAINFO, ca);
	SET(CURLOPT_CONNECTTIMEOUT, f->o.connect_timeout);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, f->o.low_speed_time);
	SET(CURLOPT_USERAGENT, "witchery/" WCH_VERSION);
	SET(CURLOPT_NOSIGNAL, 1L);
	if (f->o.netrc) {
		const char *nf = getenv("NETRC");
		SET(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (nf && *nf)
			SET(CURLOPT_NETRC_FILE, nf);
	}
	if (f->o.max_size)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_size);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, x);
#undef SET
	return r == CURLE_OK ? 0 : -1;
}

static struct curl_slist *cond_headers(const struct wch_curl_api *api,
				       const struct wch_fetch_validators *v, bool *oom)
{
	struct curl_slist *h = NULL, *t;
	struct wch_buf b = WCH_BUF_INIT;

	*oom = false;
	if (v && v->etag) {
		if (wch_buf_addf(&b, "If-None-Match: %s", v->etag) ||
		    !(t = api->slist_append(h, b.p)))
			goto oom;
		h = t;
	}
	if (v && v->last_modified) {
		wch_buf_reset(&b);
		if (wch_buf_addf(&b, "If-Modified-Since: %s", v->last_modified) ||
		    !(t = api->slist_append(h, b.p)))
			goto oom;
		h = t;
	}
	wch_buf_release(&b);
	return h;
oom:
	*oom = true;
	wch_buf_release(&b);
	api->slist_free_all(h);
	return NULL;
}

static void base_name(const char *url, char *out, size_t n)
{
	const char *end = url + strcspn(url, "?#"), *s = end;

	while (s > url && s[-1] != '/')
		s--;
	snprintf(out, n, "%.*s", (int)(end - s), s);
}

int wch_fetch_file(struct wch_fetch *f, const char *url, int dirfd, const char *dest,
		   struct wch_fetch_validators *v, struct wch_err *err)
{
	char *shown = wch_url_redact(url), name[128];
	struct curl_slist *hdrs;
	unsigned attempt, delay = f->o.backoff_ms;
	bool oom;
	int r = -WCH_E_NETWORK;

	if (!shown)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (!wch_url_is_http(url)) {
		r = wch_errf(err, -WCH_E_UNSUPPORTED, "cannot fetch '%s': not http(s)", shown);
		free(shown);
		return r;
	}
	hdrs = cond_headers(f->api, v, &oom);
	if (oom) {
		free(shown);
		return wch_errf(err, -ENOMEM, "out of memory");
	}
	base_name(shown, name, sizeof(name));
	if (!f->started) {
		clock_gettime(CLOCK_MONOTONIC, &f->start);
		f->started = true;
	}
	for (attempt = 0;; attempt++) {
		struct wch_atomic a = {0};
		struct xfer x;
		CURLcode cr;
		long code = 0;
		bool retry = false;

		memset(&x, 0, sizeof(x));
		x.f = f;
		x.out = &a;
		x.err = err;
		x.label = f->label ? f->label : name;
		f->errbuf[0] = 0;
		r = wch_atomic_open(&a, dirfd, dest, 0644, err);
		if (r < 0)
			break;
		if (setup(f, url, hdrs, &x) < 0) {
			wch_atomic_abort(&a);
			r = wch_errf(err, -WCH_E_NETWORK, "cannot set up the transfer of %s",
				     shown);
			break;
		}
		cr = f->api->easy_perform(f->curl);
		f->api->easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
		if (x.drew)
			fputc('\n', stderr);
		if (x.write_error == -EINTR) {
			r = x.write_error; /* "interrupted by ..." says it all */
		} else if (x.write_error < 0) {
			r = x.write_error;
			wch_err_prefix(err, "cannot store %s", shown);
		} else if (cr != CURLE_OK) {
			r = wch_errf(err, -WCH_E_NETWORK, "cannot fetch %s: %s", shown,
				     f->errbuf[0] ? f->errbuf : f->api->easy_strerror(cr));
			retry = transient_curl(cr);
		} else if (code == 304 && v && (v->etag || v->last_modified)) {
			r = WCH_FETCH_NOT_MODIFIED;
		} else if (code == 200) {
			r = x.header_oom ? wch_errf(err, -ENOMEM, "out of memory") : 0;
			if (r == 0)
				r = wch_atomic_commit(&a, err);
			if (r == 0) {
				f->files++;
				f->bytes += x.got;
				if (v) {
					wch_fetch_validators_release(v);
					*v = x.nv;
					memset(&x.nv, 0, sizeof(x.nv));
				}
			}
		} else if (code == 404 || code == 410) {
			r = wch_errf(err, -WCH_E_NOT_FOUND, "cannot fetch %s: HTTP %ld (not found)",
				     shown, code);
		} else {
			r = wch_errf(err, -WCH_E_NETWORK, "cannot fetch %s: HTTP %ld", shown, code);
			retry = transient_http(code);
		}
		wch_atomic_abort(&a);
		wch_fetch_validators_release(&x.nv);
		if (!retry || attempt >= f->o.retries || wch_signal_caught())
			break;
		usleep((useconds_t)delay * 1000);
		delay = delay > 30000 ? 60000 : delay * 2;
	}
	f->api->slist_free_all(hdrs);
	free(shown);
	return r;
}
