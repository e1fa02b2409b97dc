/*
 * RSA keys and signatures (apk-format §2.1, §2.5, §11).
 *
 * A keyring holds trusted public keys by file name (the name a .SIGN entry
 * refers to, e.g. "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub").
 * Keys are PEM SubjectPublicKeyInfo files. A private key (PKCS#8 or PKCS#1
 * PEM) signs with RSA PKCS#1 v1.5 over SHA-1, SHA-256 or SHA-512.
 */
#ifndef WCH_CRYPTO_KEY_H
#define WCH_CRYPTO_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/hash.h"
#include "util/buf.h"
#include "util/err.h"

struct wch_pubkey {
	char *name; /* file name, no directory */
	void *pkey; /* EVP_PKEY; NULL until parsed */
	/* A key from a directory is kept as its PEM text and parsed the first
	 * time a signature names it (OpenSSL 3 takes ~0.3 ms per key, and a
	 * keys dir holds many keys of which a run uses one or two). */
	unsigned char *pem;
	size_t pem_len;
	int state; /* 0 not parsed yet, 1 parsed, -1 not a usable key */
};

struct wch_keyring {
	struct wch_pubkey *keys;
	size_t n, cap;
};
#define WCH_KEYRING_INIT                                                                           \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Adds every regular file in dir that parses as a public key (files that do
 * not parse are skipped; a missing dir is an error naming it). Files are
 * read in name order; FIFOs, folders, dangling links, private keys and
 * non-RSA keys are skipped. A name already in the ring keeps its first key
 * (also for wch_keyring_load_file). The files are read now but parsed on
 * first use by wch_keyring_find(), which skips the ones that turn out not to
 * be RSA public keys, so the result is the same as parsing them all here. */
int wch_keyring_load_dir(struct wch_keyring *kr, const char *dir, struct wch_err *err);
/* Adds one key file; its name in the ring is the basename. Errors name it. */
int wch_keyring_load_file(struct wch_keyring *kr, const char *path, struct wch_err *err);
/* The first usable key of that name, parsing it if need be (thread-safe). */
/* How many usable keys the ring holds (parses every one not parsed yet). */
size_t wch_keyring_count(const struct wch_keyring *kr);
const struct wch_pubkey *wch_keyring_find(const struct wch_keyring *kr, const char *name);
void wch_keyring_release(struct wch_keyring *kr);
/* Appends the key as PEM SubjectPublicKeyInfo (what apk reads). */
int wch_pubkey_pem(const struct wch_pubkey *k, struct wch_buf *pem, struct wch_err *err);

/* Verifies an RSA PKCS#1 v1.5 signature over an already computed digest.
 * Returns 0, or -WCH_E_SIG_INVALID (message says so). */
int wch_verify_digest(const struct wch_pubkey *k, enum wch_hash_alg alg,
		      const unsigned char *digest, size_t dlen, const unsigned char *sig,
		      size_t siglen, struct wch_err *err);

struct wch_privkey {
	char *path;    /* as given */
	char *pubname; /* basename(path) + ".pub": the name signatures carry */
	void *pkey;    /* EVP_PKEY */
};

int wch_privkey_load(struct wch_privkey *k, const char *path, struct wch_err *err);
void wch_privkey_release(struct wch_privkey *k);
/* Signs a digest; the signature bytes are appended to sig. */
int wch_sign_digest(const struct wch_privkey *k, enum wch_hash_alg alg, const unsigned char *digest,
		    size_t dlen, struct wch_buf *sig, struct wch_err *err);
/* Writes the PEM SubjectPublicKeyInfo of a private key. */
int wch_privkey_public_pem(const struct wch_privkey *k, struct wch_buf *pem, struct wch_err *err);

/* Generates an RSA key pair: PEM private key (PKCS#8, mode 0600, created
 * with O_EXCL so nothing is overwritten) at priv_path and PEM public key at
 * priv_path + ".pub" (0644). Both written atomically. */
int wch_keygen_rsa(const char *priv_path, unsigned bits, struct wch_err *err);

/* Finds the default signing key the way abuild does: $PACKAGER_PRIVKEY,
 * then PACKAGER_PRIVKEY="..." in $ABUILD_USERDIR/abuild.conf,
 * ${XDG_CONFIG_HOME:-~/.config}/abuild/abuild.conf, ~/.abuild/abuild.conf.
 * Returns a malloc'ed path, or NULL with -WCH_E_NOT_FOUND in err. */
char *wch_default_privkey(struct wch_err *err);

/* A setting (e.g. "PACKAGER") the way abuild's readconfig finds it: the
 * environment variable if set (even to ""), else the last VAR= line of the
 * first user abuild.conf (same files as above) that has one, else of
 * $ABUILD_CONF or /etc/abuild.conf. Returns a malloc'ed value, or NULL
 * with -WCH_E_NOT_FOUND (or -ENOMEM) in err. */
char *wch_abuild_conf_get(const char *var, struct wch_err *err);

#endif
