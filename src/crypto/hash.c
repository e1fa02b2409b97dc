/*
 * Running digests and the hashing writer (contract in hash.h).
 *
 * Every byte of every package goes through here, so the EVP_MD objects are
 * fetched once per process (an implicit fetch per EVP_DigestInit costs a
 * provider lookup) and a struct wch_hash keeps its EVP_MD_CTX across
 * init/final cycles.
 */
#include "crypto/hash.h"
#include "crypto/internal.h"

#include <errno.h>
#include <pthread.h>

#include <openssl/evp.h>

static const char *const alg_names[] = {
    [WCH_HASH_SHA1] = "SHA1",
    [WCH_HASH_SHA256] = "SHA256",
    [WCH_HASH_SHA512] = "SHA512",
    [WCH_HASH_MD5] = "MD5",
};
static const size_t alg_lens[] = {
    [WCH_HASH_SHA1] = 20,
    [WCH_HASH_SHA256] = 32,
    [WCH_HASH_SHA512] = 64,
    [WCH_HASH_MD5] = 16,
};
#define N_ALGS (sizeof(alg_names) / sizeof(alg_names[0]))

static EVP_MD *fetched[N_ALGS];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

/* The digests stay fetched for the life of the process (held by a static,
 * so leak checkers see them as reachable). MD5 may be missing under a FIPS
 * provider; it is then reported as unsupported when used. */
static void fetch_all(void)
{
	size_t i;

	for (i = 0; i < N_ALGS; i++)
		fetched[i] = EVP_MD_fetch(NULL, alg_names[i], NULL);
}

const EVP_MD *wch_evp_md(enum wch_hash_alg alg)
{
	if ((size_t)alg >= N_ALGS)
		return NULL;
	pthread_once(&fetch_once, fetch_all);
	return fetched[alg];
}

size_t wch_hash_len(enum wch_hash_alg alg)
{
	return (size_t)alg < N_ALGS ? alg_lens[alg] : 0;
}

const char *wch_hash_name(enum wch_hash_alg alg)
{
	return (size_t)alg < N_ALGS ? alg_names[alg] : "unknown";
}

int wch_hash_init(struct wch_hash *h, enum wch_hash_alg alg)
{
	const EVP_MD *md = wch_evp_md(alg);

	if (!md)
		return -WCH_E_UNSUPPORTED;
	if (!h->ctx) {
		h->ctx = EVP_MD_CTX_new();
		if (!h->ctx)
			return -ENOMEM;
	}
	h->alg = alg;
	if (!EVP_DigestInit_ex2(h->ctx, md, NULL))
		return -ENOMEM;
	return 0;
}

void wch_hash_update(struct wch_hash *h, const void *p, size_t n)
{
	/* Cannot fail for the built-in digests once init succeeded. */
	if (n)
		EVP_DigestUpdate(h->ctx, p, n);
}

size_t wch_hash_final(struct wch_hash *h, unsigned char *out)
{
	unsigned int len = 0;

	if (!h->ctx || !EVP_DigestFinal_ex(h->ctx, out, &len))
		return 0;
	return len;
}

void wch_hash_release(struct wch_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int wch_digest(enum wch_hash_alg alg, const void *p, size_t n, unsigned char *out)
{
	const EVP_MD *md = wch_evp_md(alg);

	if (!md)
		return -WCH_E_UNSUPPORTED;
	if (!EVP_Digest(p, n, out, NULL, md, NULL))
		return -ENOMEM;
	return 0;
}

static int hash_writer_write(void *ctx, const void *buf, size_t n, struct wch_err *err)
{
	struct wch_hash_writer *hw = ctx;

	if (hw->h[0])
		wch_hash_update(hw->h[0], buf, n);
	if (hw->h[1])
		wch_hash_update(hw->h[1], buf, n);
	hw->count += n;
	if (hw->next.write)
		return wch_write(&hw->next, buf, n, err);
	return 0;
}

struct wch_writer wch_hash_writer(struct wch_hash_writer *hw)
{
	struct wch_writer w = {hash_writer_write, hw};
	return w;
}
