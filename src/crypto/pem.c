/*
 * PEM export of trusted public keys: compose copies the keys that verified
 * the installed packages into the root's etc/apk/keys (apk-format §2.5).
 */
#include "crypto/key.h"
#include "crypto/internal.h"

#include <errno.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

int wch_pubkey_pem(const struct wch_pubkey *k, struct wch_buf *pem, struct wch_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int r = 0;

	if (!bio)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (!PEM_write_bio_PUBKEY(bio, k->pkey)) {
		r = wch_errf(err, -WCH_E_FORMAT, "key '%s': cannot export: %s", k->name,
			     wch_crypto_ssl_error("unknown error"));
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n < 0 || wch_buf_add(pem, data, (size_t)n))
		r = wch_errf(err, -ENOMEM, "out of memory");
out:
	BIO_free(bio);
	return r;
}
