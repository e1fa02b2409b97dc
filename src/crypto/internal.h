/*
 * Private to src/crypto/ (never included from outside it).
 */
#ifndef WCH_CRYPTO_INTERNAL_H
#define WCH_CRYPTO_INTERNAL_H

#include <stddef.h>

#include <openssl/evp.h>

#include "crypto/hash.h"
#include "util/err.h"

/* The process-wide EVP_MD for alg: fetched once, never freed; NULL if the
 * provider lacks it (MD5 under FIPS). */
const EVP_MD *wch_evp_md(enum wch_hash_alg alg);

/* Reads a small regular file (a key) relative to dirfd into a malloc'ed
 * buffer of exactly st_size bytes (+ a NUL). FIFOs and devices are refused
 * without blocking; files over cap are -WCH_E_TOO_BIG. Messages name
 * shown. The caller frees (and cleanses, for secrets) *out. */
int wch_crypto_read_key_file(int dirfd, const char *path, const char *shown, size_t cap,
			     unsigned char **out, size_t *len, struct wch_err *err);

/* Drops OpenSSL's queued errors and returns the reason text of the last
 * one (or fallback), so errors never leak from one call into the next. */
const char *wch_crypto_ssl_error(const char *fallback);

#endif
