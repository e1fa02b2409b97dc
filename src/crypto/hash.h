/*
 * Hashes and checksum encodings (OpenSSL EVP underneath; this folder is the
 * only user of OpenSSL).
 *
 * struct wch_hash is a running digest; wch_hash_final() writes the digest and
 * leaves the context ready for wch_hash_init() again. A hashing writer feeds
 * every byte it forwards to up to two digests and counts them, so a stream
 * can be hashed while it is written (apk-format §2.2: C and D are hashed as
 * compressed bytes).
 *
 * Checksum text forms (apk-format §1.1): "Q1"+base64(sha1) is what apk
 * writes for C:/Z:; "X1"+hex and 32-hex MD5 are accepted when parsing.
 */
#ifndef WCH_CRYPTO_HASH_H
#define WCH_CRYPTO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/io.h"

enum wch_hash_alg { WCH_HASH_SHA1, WCH_HASH_SHA256, WCH_HASH_SHA512, WCH_HASH_MD5 };
#define WCH_HASH_MAX 64

struct wch_hash {
	void *ctx; /* EVP_MD_CTX */
	enum wch_hash_alg alg;
};

/* Length in bytes of a digest of alg (20, 32, 64, 16). */
size_t wch_hash_len(enum wch_hash_alg alg);
/* Name as used in signatures and messages: "SHA1", "SHA256", ... */
const char *wch_hash_name(enum wch_hash_alg alg);

/* init may be called on a fresh (zeroed) or a finalised context; it
 * allocates on first use. Returns 0 or -ENOMEM. */
int wch_hash_init(struct wch_hash *h, enum wch_hash_alg alg);
void wch_hash_update(struct wch_hash *h, const void *p, size_t n);
/* Writes wch_hash_len() bytes to out and returns that length. */
size_t wch_hash_final(struct wch_hash *h, unsigned char *out);
void wch_hash_release(struct wch_hash *h);
/* One-shot digest. */
int wch_digest(enum wch_hash_alg alg, const void *p, size_t n, unsigned char *out);

/* A writer that hashes and counts what passes through to next (next.write
 * may be NULL: then bytes are only hashed and counted). h[0]/h[1] may be
 * NULL. The caller owns the struct and the hashes. */
struct wch_hash_writer {
	struct wch_writer next;
	struct wch_hash *h[2];
	uint64_t count;
};
struct wch_writer wch_hash_writer(struct wch_hash_writer *hw);

/* Lowercase hex; out must hold 2*n+1 bytes. */
void wch_hex_encode(const unsigned char *p, size_t n, char *out);
/* Parses exactly 2*n hex digits (either case) from s; false if invalid. */
bool wch_hex_decode(const char *s, size_t slen, unsigned char *out, size_t n);

/* Standard base64 with padding. encode: out must hold 4*((n+2)/3)+1 bytes;
 * returns the length written (without NUL). decode: returns decoded length
 * or -1 if invalid; out must hold 3*(slen/4) bytes. */
size_t wch_base64_encode(const unsigned char *p, size_t n, char *out);
long wch_base64_decode(const char *s, size_t slen, unsigned char *out);

/* A parsed checksum (apk-format §1.1). */
struct wch_checksum {
	enum wch_hash_alg alg; /* SHA1 or MD5 */
	unsigned char d[20];
	unsigned char len; /* 20 or 16; 0 = none */
};
/* "Q1..." (30 chars), "X1..." (42) or 32-hex MD5. -WCH_E_FORMAT if invalid. */
int wch_checksum_parse(struct wch_view s, struct wch_checksum *out);
/* Q1 form of a SHA-1 (30 chars), MD5 as 32 hex digits; out must hold
 * WCH_CHECKSUM_TEXT_MAX bytes (returns out; "" for len 0). */
#define WCH_CHECKSUM_TEXT_MAX 33
char *wch_checksum_format(const struct wch_checksum *c, char *out);
/* Q1 form directly from 20 digest bytes. */
char *wch_q1_format(const unsigned char sha1[20], char out[31]);

#endif
