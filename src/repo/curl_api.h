/*
 * libcurl, loaded when the first download starts.
 *
 * Linking libcurl pulls some thirty libraries into every process (TLS
 * stacks, LDAP, Kerberos, SSH, IDN...), and resolving them costs about
 * 3 ms at every start, more than a whole `vercmp` or a local `resolve`
 * needs otherwise. Most runs never download anything (local repositories,
 * a warm cache), so witchery opens libcurl with dlopen() only then, as git
 * keeps libcurl out of its main binary for the same reason. The ABI is
 * libcurl's stable one (SONAME libcurl.so.4); the headers used to build
 * give the types.
 */
#ifndef WCH_REPO_CURL_API_H
#define WCH_REPO_CURL_API_H

#include <curl/curl.h>

#include "util/err.h"

struct wch_curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *c);
	void (*easy_reset)(CURL *c);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *c);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* Loads libcurl (libcurl.so.4, else Debian's libcurl-gnutls.so.4) and runs
 * curl_global_init once; thread-safe. NULL with -WCH_E_NETWORK "cannot
 * load libcurl: <why>" when it is not installed. */
const struct wch_curl_api *wch_curl_api(struct wch_err *err);

#endif
