/*
 * Private keys: loading, signing, key generation and abuild's key lookup
 * (apk-format §2.1, §11.1, §11.2); contract in key.h.
 *
 * Secrets are handled like signify: private key bytes live only in buffers
 * that are cleansed before they are freed, new keys are created with
 * O_EXCL|O_NOFOLLOW and mode 0600, and no existing file is ever replaced.
 */
#include "crypto/internal.h"
#include "crypto/key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define PRIVKEY_FILE_MAX (256 * 1024)
#define CONF_FILE_MAX	 (1024 * 1024)
#define KEYGEN_BITS_MIN	 1024
#define KEYGEN_BITS_MAX	 16384

/* A key with a passphrase must fail, not prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

int wch_privkey_load(struct wch_privkey *k, const char *path, struct wch_err *err)
{
	const char *base = strrchr(path, '/');
	unsigned char *pem = NULL;
	size_t n = 0;
	BIO *bio;
	int r;

	memset(k, 0, sizeof(*k));
	base = base ? base + 1 : path;
	r = wch_crypto_read_key_file(AT_FDCWD, path, path, PRIVKEY_FILE_MAX, &pem, &n, err);
	if (r)
		return r;
	bio = BIO_new_mem_buf(pem, (int)n);
	if (!bio) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!k->pkey) {
		const char *why = wch_crypto_ssl_error("no PRIVATE KEY block");
		if (strstr((char *)pem, "ENCRYPTED"))
			why = "keys protected by a passphrase are not supported";
		r = wch_errf(err, -WCH_E_FORMAT, "'%s' is not a PEM private key: %s", path, why);
		goto out;
	}
	if (!EVP_PKEY_is_a(k->pkey, "RSA")) {
		r = wch_errf(err, -WCH_E_UNSUPPORTED, "'%s' is not an RSA key", path);
		goto out;
	}
	k->path = strdup(path);
	k->pubname = malloc(strlen(base) + 5);
	if (!k->path || !k->pubname) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	sprintf(k->pubname, "%s.pub", base);
out:
	OPENSSL_cleanse(pem, n);
	free(pem);
	if (r)
		wch_privkey_release(k);
	return r;
}

void wch_privkey_release(struct wch_privkey *k)
{
	EVP_PKEY_free(k->pkey);
	free(k->path);
	free(k->pubname);
	memset(k, 0, sizeof(*k));
}

int wch_sign_digest(const struct wch_privkey *k, enum wch_hash_alg alg, const unsigned char *digest,
		    size_t dlen, struct wch_buf *sig, struct wch_err *err)
{
	const EVP_MD *md = wch_evp_md(alg);
	EVP_PKEY_CTX *ctx;
	size_t len = 0;
	int r = 0;

	if (!md || alg == WCH_HASH_MD5)
		return wch_errf(err, -WCH_E_UNSUPPORTED, "%s signatures are not supported",
				wch_hash_name(alg));
	if (dlen != wch_hash_len(alg))
		return wch_errf(err, -EINVAL, "a %s digest has %zu bytes, not %zu",
				wch_hash_name(alg), wch_hash_len(alg), dlen);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!ctx)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0 ||
	    EVP_PKEY_sign(ctx, NULL, &len, digest, dlen) <= 0) {
		r = wch_errf(err, -WCH_E_UNSUPPORTED, "cannot sign with '%s': %s", k->path,
			     wch_crypto_ssl_error("unsupported key"));
		goto out;
	}
	if (wch_buf_grow(sig, len)) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_PKEY_sign(ctx, (unsigned char *)sig->p + sig->len, &len, digest, dlen) <= 0) {
		r = wch_errf(err, -EINVAL, "cannot sign with '%s': %s", k->path,
			     wch_crypto_ssl_error("signing failed"));
		goto out;
	}
	sig->len += len;
	sig->p[sig->len] = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int public_pem(EVP_PKEY *pkey, struct wch_buf *pem, struct wch_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int r = 0;

	if (!bio)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (!PEM_write_bio_PUBKEY(bio, pkey)) {
		r = wch_errf(err, -ENOMEM, "cannot encode public key: %s",
			     wch_crypto_ssl_error("out of memory"));
	} else {
		n = BIO_get_mem_data(bio, &p);
		if (n <= 0 || wch_buf_add(pem, p, (size_t)n))
			r = wch_errf(err, -ENOMEM, "out of memory");
	}
	BIO_free(bio);
	return r;
}

int wch_privkey_public_pem(const struct wch_privkey *k, struct wch_buf *pem, struct wch_err *err)
{
	return public_pem(k->pkey, pem, err);
}

/* Fsyncs the directory holding path, so that a new key survives a crash
 * together with its name. Best effort: some file systems refuse it. */
static void sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Writes a new file whole (temporary name, fsync, rename) without ever
 * replacing an existing one: RENAME_NOREPLACE, or link(2) where the file
 * system lacks it. */
static int write_new_file(const char *path, mode_t mode, const void *p, size_t n,
			  struct wch_err *err)
{
	struct wch_atomic a;
	int r, fd;

	r = wch_atomic_open(&a, AT_FDCWD, path, mode, err);
	if (r)
		return r;
	r = wch_fd_write_all(a.fd, p, n);
	if (!r && fsync(a.fd) < 0)
		r = -errno;
	fd = a.fd;
	a.fd = -1;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r) {
		wch_atomic_abort(&a);
		return wch_err_sys(err, -r, "cannot write '%s'", path);
	}
	if (renameat2(AT_FDCWD, a.tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
		free(a.tmp);
		a.tmp = NULL;
	} else if ((errno == EINVAL || errno == ENOSYS) && link(a.tmp, path) == 0) {
		/* a.tmp is unlinked by the abort below. */
	} else {
		r = errno == EEXIST ? wch_errf(err, -EEXIST, "'%s' already exists", path)
				    : wch_err_sys(err, errno, "cannot create '%s'", path);
	}
	wch_atomic_abort(&a);
	if (!r)
		sync_parent(path);
	return r;
}

static int refuse_existing(const char *path, struct wch_err *err)
{
	struct stat st;

	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return wch_errf(err, -EEXIST, "'%s' already exists", path);
	if (errno != ENOENT)
		return wch_err_sys(err, errno, "cannot check '%s'", path);
	return 0;
}

int wch_keygen_rsa(const char *priv_path, unsigned bits, struct wch_err *err)
{
	struct wch_buf pub = WCH_BUF_INIT, pubpath = WCH_BUF_INIT;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *pem;
	long pemlen = 0;
	int r;

	if (bits < KEYGEN_BITS_MIN || bits > KEYGEN_BITS_MAX)
		return wch_errf(err, -EINVAL, "key size %u is outside %d..%d bits", bits,
				KEYGEN_BITS_MIN, KEYGEN_BITS_MAX);
	if (wch_buf_addf(&pubpath, "%s.pub", priv_path))
		return wch_errf(err, -ENOMEM, "out of memory");
	/* Check both names before spending seconds on a 4096-bit prime search;
	 * write_new_file() re-checks atomically. */
	r = refuse_existing(priv_path, err);
	if (!r)
		r = refuse_existing(pubpath.p, err);
	if (r)
		goto out;
	pkey = EVP_RSA_gen(bits);
	if (!pkey) {
		r = wch_errf(err, -ENOMEM, "cannot generate a %u-bit RSA key: %s", bits,
			     wch_crypto_ssl_error("out of memory"));
		goto out;
	}
	/* Secure-heap memory BIO: its buffer is cleared when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (!bio || !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = wch_errf(err, -ENOMEM, "cannot encode private key: %s",
			     wch_crypto_ssl_error("out of memory"));
		goto out;
	}
	r = public_pem(pkey, &pub, err);
	if (r)
		goto out;
	r = write_new_file(priv_path, 0600, pem, (size_t)pemlen, err);
	OPENSSL_cleanse(pem, (size_t)pemlen);
	if (r)
		goto out;
	r = write_new_file(pubpath.p, 0644, pub.p, pub.len, err);
	if (r) /* a key pair is whole or not at all */
		unlink(priv_path);
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	wch_buf_release(&pub);
	wch_buf_release(&pubpath);
	return r;
}

static bool is_name_char(char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Expands a leading $HOME / ${HOME} (what people write in abuild.conf);
 * any other '$' is taken literally. */
static int add_home_prefix(struct wch_buf *out, const char **s, const char *end)
{
	const char *home = getenv("HOME");
	size_t skip = 0;

	if (end - *s >= 5 && strncmp(*s, "$HOME", 5) == 0 &&
	    (end - *s == 5 || !is_name_char((*s)[5])))
		skip = 5;
	else if (end - *s >= 7 && strncmp(*s, "${HOME}", 7) == 0)
		skip = 7;
	if (!skip || !home)
		return 0;
	*s += skip;
	return wch_buf_addstr(out, home);
}

/* Parses the shell word after "PACKAGER_PRIVKEY=": quotes and backslash
 * escapes as sh reads them; a leading ~/ or $HOME expands. */
static int parse_shell_word(const char *s, const char *end, struct wch_buf *out)
{
	int r = 0;

	if (end - s >= 2 && s[0] == '~' && s[1] == '/' && getenv("HOME")) {
		r = wch_buf_addstr(out, getenv("HOME"));
		s++;
	} else {
		r = add_home_prefix(out, &s, end);
	}
	while (!r && s < end && *s != ' ' && *s != '\t' && *s != ';') {
		if (*s == '\'') {
			const char *q = memchr(s + 1, '\'', (size_t)(end - s - 1));
			if (!q)
				return -WCH_E_FORMAT;
			r = wch_buf_add(out, s + 1, (size_t)(q - s - 1));
			s = q + 1;
		} else if (*s == '"') {
			s++;
			if (out->len == 0)
				r = add_home_prefix(out, &s, end);
			while (!r && s < end && *s != '"') {
				if (*s == '\\' && s + 1 < end && s[1] && strchr("\"\\$`", s[1]))
					s++;
				r = wch_buf_addch(out, *s++);
			}
			if (!r && s >= end)
				return -WCH_E_FORMAT;
			s++;
		} else {
			if (*s == '\\' && s + 1 < end)
				s++;
			r = wch_buf_addch(out, *s++);
		}
	}
	return r;
}

/* The value of the last VAR= line in an abuild.conf, or NULL (also for a
 * missing or unreadable file: abuild would skip it too). */
static char *conf_value(const char *path, const char *var)
{
	size_t vlen = strlen(var);
	struct wch_buf conf = WCH_BUF_INIT, val = WCH_BUF_INIT;
	char *found = NULL;
	const char *line, *end;

	if (wch_read_file_at(AT_FDCWD, path, &conf, CONF_FILE_MAX, NULL) || !conf.p)
		goto out;
	for (line = conf.p; line < conf.p + conf.len; line = end + 1) {
		end = memchr(line, '\n', conf.len - (size_t)(line - conf.p));
		if (!end)
			end = conf.p + conf.len;
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if (end - line > 7 && strncmp(line, "export", 6) == 0 &&
		    (line[6] == ' ' || line[6] == '\t'))
			for (line += 7; line < end && (*line == ' ' || *line == '\t');)
				line++;
		if ((size_t)(end - line) <= vlen || strncmp(line, var, vlen) != 0 ||
		    line[vlen] != '=')
			continue;
		wch_buf_reset(&val);
		if (parse_shell_word(line + vlen + 1, end, &val) || !val.len)
			continue;
		free(found);
		found = strdup(val.p);
	}
out:
	wch_buf_release(&conf);
	wch_buf_release(&val);
	return found;
}

/* VAR from the first user abuild.conf that sets it: $ABUILD_USERDIR/,
 * ${XDG_CONFIG_HOME:-~/.config}/abuild/, ~/.abuild/; NULL if none does. */
static char *user_conf_value(const char *var)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *userdir = getenv("ABUILD_USERDIR");
	struct wch_buf path = WCH_BUF_INIT;
	char *found = NULL;
	int i;

	for (i = 0; i < 3 && !found; i++) {
		wch_buf_reset(&path);
		if (i == 0 && userdir && *userdir)
			wch_buf_addf(&path, "%s/abuild.conf", userdir);
		else if (i == 1 && xdg && *xdg)
			wch_buf_addf(&path, "%s/abuild/abuild.conf", xdg);
		else if (i == 1 && home && *home)
			wch_buf_addf(&path, "%s/.config/abuild/abuild.conf", home);
		else if (i == 2 && home && *home)
			wch_buf_addf(&path, "%s/.abuild/abuild.conf", home);
		if (path.len)
			found = conf_value(path.p, var);
	}
	wch_buf_release(&path);
	return found;
}

char *wch_abuild_conf_get(const char *var, struct wch_err *err)
{
	const char *env = getenv(var), *sys = getenv("ABUILD_CONF");
	char *found;

	/* abuild's readconfig: a variable set in the environment (even to
	 * "") wins over both files; the user's file is read after (so over)
	 * the system one. */
	if (env)
		found = strdup(env);
	else if (!(found = user_conf_value(var)))
		found = conf_value(sys && *sys ? sys : "/etc/abuild.conf", var);
	if (!found && env)
		wch_errf(err, -ENOMEM, "out of memory");
	else if (!found)
		wch_errf(err, -WCH_E_NOT_FOUND, "%s is not set in the environment or abuild.conf",
			 var);
	return found;
}

char *wch_default_privkey(struct wch_err *err)
{
	const char *env = getenv("PACKAGER_PRIVKEY");
	char *found;

	if (env && *env) {
		found = strdup(env);
		if (!found)
			wch_errf(err, -ENOMEM, "out of memory");
		return found;
	}
	found = user_conf_value("PACKAGER_PRIVKEY");
	if (!found)
		wch_errf(err, -WCH_E_NOT_FOUND,
			 "no signing key: PACKAGER_PRIVKEY is not set in the environment or "
			 "abuild.conf");
	return found;
}
