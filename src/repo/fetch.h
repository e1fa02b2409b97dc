/*
 * HTTP(S) downloads through libcurl (the only libcurl user).
 *
 * TLS is always verified (CA bundle: libcurl's default, or ca_file, or the
 * SSL_CERT_FILE / CURL_CA_BUNDLE environment variables in that order).
 * Redirects are followed (at most 10). Connections time out after
 * connect_timeout seconds; a transfer slower than 1 byte/s for
 * low_speed_time seconds is aborted. Transient failures (connect/resolve
 * errors, timeouts, HTTP 408/429/5xx, a transfer cut short) are retried
 * up to `retries` times with exponential backoff (backoff_ms, doubled each
 * time). Credentials come from the URL (user:password@host) or ~/.netrc
 * (or $NETRC); messages only ever contain the URL with credentials
 * removed (wch_url_redact).
 *
 * A download goes to a temporary file next to the destination and is
 * renamed over it only when complete, so the destination is whole or
 * untouched. Conditional requests: with validators (ETag / Last-Modified
 * from a previous download) a 304 reply leaves the destination as it is.
 */
#ifndef WCH_REPO_FETCH_H
#define WCH_REPO_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct wch_fetch_opts {
	unsigned retries;     /* default 3 */
	unsigned backoff_ms;  /* first retry delay, default 500 */
	long connect_timeout; /* seconds, default 30 */
	long low_speed_time;  /* seconds, default 60 */
	const char *ca_file;  /* NULL: env / libcurl default */
	bool netrc;	      /* use ~/.netrc ($NETRC); default true */
	bool progress;	      /* bar per download + total, on stderr */
	uint64_t max_size;    /* refuse larger bodies; 0 = no cap */
};

/* Validators stored beside a cached file; strings malloc'ed, may be NULL. */
struct wch_fetch_validators {
	char *etag;
	char *last_modified;
};
void wch_fetch_validators_release(struct wch_fetch_validators *v);

struct wch_fetch;

/* opts NULL = defaults. */
void wch_fetch_opts_default(struct wch_fetch_opts *o);
int wch_fetch_new(struct wch_fetch **out, const struct wch_fetch_opts *opts, struct wch_err *err);
void wch_fetch_free(struct wch_fetch *f);

#define WCH_FETCH_NOT_MODIFIED 1

/* Downloads url into the file dest (relative to dirfd). v (may be NULL):
 * in: validators for a conditional request; out: the new ones from the
 * reply. Returns 0 (downloaded), WCH_FETCH_NOT_MODIFIED (304, dest
 * untouched) or a negative code: -WCH_E_NOT_FOUND for 404/410,
 * -WCH_E_NETWORK otherwise, with a message naming the redacted URL. */
int wch_fetch_file(struct wch_fetch *f, const char *url, int dirfd, const char *dest,
		   struct wch_fetch_validators *v, struct wch_err *err);

/* Text shown in front of the next downloads' progress (copied; NULL =
 * the file name of the URL). */
void wch_fetch_set_label(struct wch_fetch *f, const char *label);

/* Downloads so far: files and bytes (for the total line). */
void wch_fetch_stats(const struct wch_fetch *f, unsigned *files, uint64_t *bytes);
/* Prints "fetched N files, X MiB in T s" on stderr when progress is on. */
void wch_fetch_print_total(const struct wch_fetch *f);

/* Copy of url with any "user[:password]@" removed from the authority
 * (malloc'ed; NULL on allocation failure). */
char *wch_url_redact(const char *url);
/* true for http:// and https:// (case-insensitive scheme). */
bool wch_url_is_http(const char *url);

#endif
