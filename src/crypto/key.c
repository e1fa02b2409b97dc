/*
 * Trusted public keys and signature verification (apk-format §2.1, §2.5);
 * contract in key.h.
 *
 * apk reads a key with PEM_read_bio_PUBKEY, so a key is a PEM
 * SubjectPublicKeyInfo; we accept only RSA ones since every signature type
 * apk 2.x produces is RSA PKCS#1 v1.5.
 */
#include "crypto/key.h"
#include "crypto/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

/* A 16384-bit RSA public key is about 2.9 KB of PEM. */
#define PUBKEY_FILE_MAX (64 * 1024)
/* A directory of keys is small; this only stops a runaway directory. */
#define KEYRING_MAX 4096

const char *wch_crypto_ssl_error(const char *fallback)
{
	static _Thread_local char text[256];
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (!last)
		return fallback;
	ERR_error_string_n(last, text, sizeof(text));
	return text;
}

int wch_crypto_read_key_file(int dirfd, const char *path, const char *shown, size_t cap,
			     unsigned char **out, size_t *len, struct wch_err *err)
{
	struct stat st;
	unsigned char *p;
	size_t n = 0;
	int fd, r = 0;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO planted in a keys dir must not hang. */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return wch_err_sys(err, errno, "cannot open '%s'", shown);
	if (fstat(fd, &st) < 0) {
		r = wch_err_sys(err, errno, "cannot stat '%s'", shown);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = wch_errf(err, -WCH_E_FORMAT, "'%s' is not a regular file", shown);
		goto out;
	}
	if ((unsigned long long)st.st_size > cap) {
		r = wch_errf(err, -WCH_E_TOO_BIG, "'%s' is larger than %zu bytes", shown, cap);
		goto out;
	}
	/* One byte more than the size tells us the file grew meanwhile. */
	p = malloc((size_t)st.st_size + 2);
	if (!p) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size + 1) {
		ssize_t got = wch_fd_read(fd, p + n, (size_t)st.st_size + 1 - n);
		if (got < 0) {
			r = wch_err_sys(err, (int)-got, "cannot read '%s'", shown);
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (!r && n != (size_t)st.st_size)
		r = wch_errf(err, -EAGAIN, "'%s' changed while being read", shown);
	if (r) {
		OPENSSL_cleanse(p, n);
		free(p);
		goto out;
	}
	p[n] = 0;
	*out = p;
	*len = n;
out:
	close(fd);
	return r;
}

static int pubkey_parse(const unsigned char *pem, size_t n, const char *shown, EVP_PKEY **pkey,
			struct wch_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)n);

	*pkey = NULL;
	if (!bio)
		return wch_errf(err, -ENOMEM, "out of memory");
	*pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!*pkey)
		return wch_errf(err, -WCH_E_FORMAT, "'%s' is not a PEM public key: %s", shown,
				wch_crypto_ssl_error("no PUBLIC KEY block"));
	if (!EVP_PKEY_is_a(*pkey, "RSA")) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		return wch_errf(err, -WCH_E_UNSUPPORTED, "'%s' is not an RSA key", shown);
	}
	return 0;
}

static bool ensure_parsed(struct wch_pubkey *k);

/* Appends a key under name (copied): a parsed pkey, or (pkey NULL) the PEM
 * text to parse on first use. The ring takes pkey and pem. A name already
 * held by a usable key keeps it, as a keys dir can hold a name only once
 * (the earlier entry is parsed now to tell: names rarely repeat); one held
 * by a file that is no key after all is taken over. */
static int keyring_add(struct wch_keyring *kr, const char *name, EVP_PKEY *pkey, unsigned char *pem,
		       size_t pem_len, struct wch_err *err)
{
	struct wch_pubkey *k;
	size_t i;
	int r = 0;

	for (i = 0; i < kr->n; i++)
		if (strcmp(kr->keys[i].name, name) == 0 && ensure_parsed(&kr->keys[i]))
			goto drop;
	if (kr->n >= KEYRING_MAX) {
		r = wch_errf(err, -WCH_E_TOO_BIG, "more than %d keys", KEYRING_MAX);
		goto drop;
	}
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? 2 * kr->cap : 16;
		k = realloc(kr->keys, cap * sizeof(*k));
		if (!k) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto drop;
		}
		kr->keys = k;
		kr->cap = cap;
	}
	k = &kr->keys[kr->n];
	memset(k, 0, sizeof(*k));
	k->name = strdup(name);
	if (!k->name) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto drop;
	}
	k->pkey = pkey;
	k->pem = pem;
	k->pem_len = pem_len;
	k->state = pkey ? 1 : 0;
	kr->n++;
	return 0;
drop:
	EVP_PKEY_free(pkey);
	free(pem);
	return r;
}

/* A key file from a directory: read now, parsed when first needed. Only a
 * file that cannot be a PEM public key at all is refused here. */
static int load_lazy(struct wch_keyring *kr, int dirfd, const char *path, const char *name,
		     const char *shown, struct wch_err *err)
{
	unsigned char *pem;
	size_t n;
	int r;

	r = wch_crypto_read_key_file(dirfd, path, shown, PUBKEY_FILE_MAX, &pem, &n, err);
	if (r)
		return r;
	if (!strstr((const char *)pem, "-----BEGIN PUBLIC KEY-----")) {
		free(pem);
		return wch_errf(err, -WCH_E_FORMAT, "'%s' is not a PEM public key", shown);
	}
	return keyring_add(kr, name, NULL, pem, n, err);
}

static int load_at(struct wch_keyring *kr, int dirfd, const char *path, const char *name,
		   const char *shown, struct wch_err *err)
{
	unsigned char *pem;
	size_t n;
	EVP_PKEY *pkey;
	int r;

	r = wch_crypto_read_key_file(dirfd, path, shown, PUBKEY_FILE_MAX, &pem, &n, err);
	if (r)
		return r;
	r = pubkey_parse(pem, n, shown, &pkey, err);
	free(pem);
	if (r)
		return r;
	return keyring_add(kr, name, pkey, NULL, 0, err);
}

int wch_keyring_load_file(struct wch_keyring *kr, const char *path, struct wch_err *err)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!*base)
		return wch_errf(err, -EISDIR, "'%s' is not a key file", path);
	return load_at(kr, AT_FDCWD, path, base, path, err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int wch_keyring_load_dir(struct wch_keyring *kr, const char *dir, struct wch_err *err)
{
	struct wch_buf shown = WCH_BUF_INIT;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int dfd, r = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return wch_err_sys(err, errno, "cannot open keys directory '%s'", dir);
	d = fdopendir(dfd);
	if (!d) {
		r = wch_err_sys(err, errno, "cannot open keys directory '%s'", dir);
		close(dfd);
		return r;
	}
	/* Sorted, so that which of two equal keys wins does not depend on the
	 * file system's order. */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn;
			cap = cap ? 2 * cap : 32;
			nn = cap <= KEYRING_MAX ? realloc(names, cap * sizeof(*nn)) : NULL;
			if (!nn) {
				r = wch_errf(err, cap > KEYRING_MAX ? -WCH_E_TOO_BIG : -ENOMEM,
					     "cannot list keys directory '%s': %s", dir,
					     cap > KEYRING_MAX ? "too many files"
							       : "out of memory");
				goto out;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (errno) {
		r = wch_err_sys(err, errno, "cannot read keys directory '%s'", dir);
		goto out;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && !r; i++) {
		struct wch_err skip;
		wch_buf_reset(&shown);
		if (wch_buf_addf(&shown, "%s/%s", dir, names[i])) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			break;
		}
		r = load_lazy(kr, dirfd(d), names[i], names[i], shown.p, &skip);
		/* Not a key (a README, a sub-directory, a dangling link, a
		 * private key, a DSA key): skip it, as apk would never find a
		 * signature's key there either. */
		if (r == -WCH_E_FORMAT || r == -WCH_E_UNSUPPORTED || r == -WCH_E_TOO_BIG ||
		    r == -ENOENT || r == -ELOOP || r == -EISDIR)
			r = 0;
		else if (r)
			r = wch_errf(err, skip.code, "%s", skip.msg);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	wch_buf_release(&shown);
	closedir(d);
	return r;
}

/* Lazy parses may happen on any thread that verifies. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

/* Parses k if that was not tried yet; true if it is a usable key. */
static bool ensure_parsed(struct wch_pubkey *k)
{
	EVP_PKEY *pkey;
	int state;

	pthread_mutex_lock(&parse_lock);
	if (k->state == 0) {
		k->state = pubkey_parse(k->pem, k->pem_len, k->name, &pkey, NULL) == 0 ? 1 : -1;
		if (k->state == 1)
			k->pkey = pkey;
		else
			ERR_clear_error();
		free(k->pem);
		k->pem = NULL;
	}
	state = k->state;
	pthread_mutex_unlock(&parse_lock);
	return state == 1;
}

size_t wch_keyring_count(const struct wch_keyring *kr)
{
	size_t i, n = 0;

	for (i = 0; i < kr->n; i++)
		n += ensure_parsed(&kr->keys[i]);
	return n;
}

const struct wch_pubkey *wch_keyring_find(const struct wch_keyring *kr, const char *name)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (strcmp(kr->keys[i].name, name) == 0 && ensure_parsed(&kr->keys[i]))
			return &kr->keys[i];
	return NULL;
}

void wch_keyring_release(struct wch_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++) {
		free(kr->keys[i].name);
		free(kr->keys[i].pem);
		EVP_PKEY_free(kr->keys[i].pkey);
	}
	free(kr->keys);
	kr->keys = NULL;
	kr->n = kr->cap = 0;
}

int wch_verify_digest(const struct wch_pubkey *k, enum wch_hash_alg alg,
		      const unsigned char *digest, size_t dlen, const unsigned char *sig,
		      size_t siglen, struct wch_err *err)
{
	const EVP_MD *md = wch_evp_md(alg);
	EVP_PKEY_CTX *ctx;
	int ok;

	if (!md || alg == WCH_HASH_MD5)
		return wch_errf(err, -WCH_E_UNSUPPORTED, "%s signatures are not supported",
				wch_hash_name(alg));
	if (dlen != wch_hash_len(alg))
		return wch_errf(err, -EINVAL, "a %s digest has %zu bytes, not %zu",
				wch_hash_name(alg), wch_hash_len(alg), dlen);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!ctx)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (EVP_PKEY_verify_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0) {
		EVP_PKEY_CTX_free(ctx);
		return wch_errf(err, -WCH_E_UNSUPPORTED, "cannot verify with key '%s': %s", k->name,
				wch_crypto_ssl_error("unsupported key"));
	}
	/* 0 is a mismatch, < 0 a malformed signature (e.g. wrong length):
	 * both mean the signature is not valid for this key and digest. */
	ok = EVP_PKEY_verify(ctx, sig, siglen, digest, dlen);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1) {
		ERR_clear_error();
		return wch_errf(err, -WCH_E_SIG_INVALID, "bad %s signature for key '%s'",
				wch_hash_name(alg), k->name);
	}
	return 0;
}
