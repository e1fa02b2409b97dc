/*
 * Streaming APK v2 package reader: one pass, gunzip boundaries drive the
 * state machine of apk-format §2.6; see package.h for the contract.
 *
 * The digests run over COMPRESSED member bytes (§2.2, §12.1): they are fed
 * from the gunzip's member_bytes callback, and restarted / finalised in its
 * boundary callback, which the gunzip delivers between the tar entries the
 * members separate (§1.3). The control part is verified inside that
 * callback, like apk does, so no data header is parsed from a package whose
 * control part failed.
 */
#include "apk/package.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/pkginfo.h"
#include "archive/gunzip.h"

enum part { PART_SIG, PART_CONTROL, PART_DATA };

/* The tar reader's message for a non-zero block after its end (tar_read.c);
 * t_package checks that this stays in sync. */
#define TAR_AFTER_END_MSG "data after the end of the tar archive"

static const char *const part_names[] = {"signature part", "control part", "data part"};

/* apk-format §4.1 */
static const char *const script_names[] = {
    ".pre-install", ".post-install", ".pre-deinstall", ".post-deinstall",
    ".pre-upgrade", ".post-upgrade", ".trigger",
};
#define NSCRIPT_TYPES (sizeof(script_names) / sizeof(script_names[0]))

struct pr {
	const struct wch_pkg_read_opts *o;
	struct wch_pkg_read_result *res;
	struct wch_gunzip *gz;
	enum part part;
	/* Control digests: h_id for the identity (SHA-1, or the expected
	 * identity's algorithm), h_sig for the chosen signature's algorithm. */
	struct wch_hash h_id, h_sig, h_data;
	enum wch_hash_alg id_alg, sig_alg;
	bool sig_on, data_on;
	unsigned char c_sig[WCH_HASH_MAX];
	/* The signature that will be checked (first one with a known key). */
	const struct wch_pubkey *key;
	unsigned char sig[WCH_PKG_SIG_MAX];
	size_t siglen;
	size_t ncontrol, ndata;
	bool control_cb_done, stop, end_seen;
	/* Errors raised inside gunzip callbacks are kept here, so layers in
	 * between cannot reword them. */
	struct wch_err cb_err;
};

static int cb_fail(struct pr *st, int code, const char *fmt, ...) WCH_PRINTF(3, 4);
static int cb_fail(struct pr *st, int code, const char *fmt, ...)
{
	va_list ap;

	st->cb_err.code = code;
	va_start(ap, fmt);
	vsnprintf(st->cb_err.msg, sizeof(st->cb_err.msg), fmt, ap);
	va_end(ap);
	return code;
}

/* wch_err_prefix() that keeps the code when err is NULL. */
static int prefixed(struct wch_err *err, int r, const char *fmt, ...) WCH_PRINTF(3, 4);
static int prefixed(struct wch_err *err, int r, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err)
		wch_err_prefix(err, "%s", what);
	return r;
}

bool wch_package_path_safe(const char *name)
{
	const char *p = name, *comp = name;

	if (!name || !*name || *name == '/')
		return false;
	for (;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/' || c == 0) {
			size_t n = (size_t)(p - comp);
			if (n == 0 || (n == 1 && comp[0] == '.') ||
			    (n == 2 && comp[0] == '.' && comp[1] == '.'))
				return false;
			if (c == 0)
				return true;
			comp = p + 1;
		} else if (c < 0x20 || c == 0x7f) {
			return false;
		}
	}
}

/* §2.6 rule 2: control/signature entries start with '.' and have no '/'. */
static bool is_control_name(const char *name)
{
	return name[0] == '.' && !strchr(name, '/');
}

static void hash_restart(struct wch_hash *h, enum wch_hash_alg alg, bool *on)
{
	unsigned char scratch[WCH_HASH_MAX];

	if (*on)
		wch_hash_final(h, scratch);
	*on = wch_hash_init(h, alg) == 0;
}

static void on_member_bytes(void *ctx, const void *p, size_t n)
{
	struct pr *st = ctx;

	if (st->part == PART_DATA && !st->res->legacy) {
		if (st->data_on)
			wch_hash_update(&st->h_data, p, n);
		return;
	}
	wch_hash_update(&st->h_id, p, n);
	if (st->sig_on)
		wch_hash_update(&st->h_sig, p, n);
}

static char *fmt_checksum(const struct wch_checksum *c, char out[41])
{
	if (c->alg == WCH_HASH_SHA1)
		return wch_q1_format(c->d, out);
	wch_hex_encode(c->d, c->len, out);
	return out;
}

/* The check of the mode, once the control digests are final (§2.4). */
static int verify_control(struct pr *st)
{
	struct wch_pkg_read_result *res = st->res;
	char want[41], got[41];

	if (st->o->mode == WCH_PKG_VERIFY_IDENTITY) {
		const struct wch_checksum *id = st->o->identity;
		if (id->len != res->identity.len || memcmp(id->d, res->identity.d, id->len))
			return cb_fail(st, -WCH_E_INTEGRITY,
				       "identity mismatch: index says %s, package is %s",
				       fmt_checksum(id, want), fmt_checksum(&res->identity, got));
		res->trusted = res->control_verified = true;
		return 0;
	}
	if (st->key) {
		struct wch_err ignored;
		if (!st->sig_on)
			return cb_fail(
			    st, -WCH_E_SIG_INVALID,
			    "bad signature (key %s): signature not in its own gzip member",
			    res->sig_key);
		if (wch_verify_digest(st->key, st->sig_alg, st->c_sig, wch_hash_len(st->sig_alg),
				      st->sig, st->siglen, &ignored) < 0)
			return cb_fail(st, -WCH_E_SIG_INVALID, "bad signature (key %s, %s)",
				       res->sig_key, res->sig_type);
		res->signature_ok = res->trusted = res->control_verified = true;
		return 0;
	}
	if (st->o->mode == WCH_PKG_VERIFY_NONE) {
		res->control_verified = true;
		return 0;
	}
	if (!res->nsignatures)
		return cb_fail(st, -WCH_E_SIG_UNTRUSTED, "untrusted: package is not signed");
	if (res->sig_key && strcmp(res->sig_type, "DSA") && res->sig_type[0])
		return cb_fail(st, -WCH_E_SIG_UNTRUSTED,
			       "untrusted signature: no key '%s' in keys dir", res->sig_key);
	return cb_fail(st, -WCH_E_SIG_UNTRUSTED, "untrusted signature: no usable signature type");
}

static void final_control_digests(struct pr *st)
{
	struct wch_checksum *id = &st->res->identity;

	id->alg = st->id_alg;
	id->len = (unsigned char)wch_hash_final(&st->h_id, id->d);
	if (st->sig_on)
		wch_hash_final(&st->h_sig, st->c_sig);
	if (st->res->pkg)
		st->res->pkg->identity = *id;
}

/* First boundary after the control part started (§2.6). */
static int end_of_control(struct pr *st)
{
	if (!st->res->pkg)
		return cb_fail(st, -WCH_E_FORMAT, "control part has no .PKGINFO");
	st->part = PART_DATA;
	st->res->data_members = 1;
	if (st->res->legacy)
		return 0; /* §2.3: keep hashing over control + data */
	final_control_digests(st);
	int r = verify_control(st);
	if (r)
		return r;
	if (wch_hash_init(&st->h_data, WCH_HASH_SHA256))
		return cb_fail(st, -ENOMEM, "out of memory");
	st->data_on = true;
	return 0;
}

static int on_boundary(void *ctx, bool end, struct wch_err *err)
{
	struct pr *st = ctx;
	int r;

	(void)err; /* messages go to st->cb_err, see struct pr */
	if (end)
		st->end_seen = true;
	switch (st->part) {
	case PART_SIG:
		if (end)
			return cb_fail(st, -WCH_E_FORMAT, "truncated: no control part");
		/* §2.6: the digest restarts after the signature member(s) */
		hash_restart(&st->h_id, st->id_alg, &(bool){true});
		if (st->key) {
			hash_restart(&st->h_sig, st->sig_alg, &st->sig_on);
			if (!st->sig_on)
				return cb_fail(st, -ENOMEM, "out of memory");
		}
		return 0;
	case PART_CONTROL:
		r = end_of_control(st);
		if (r)
			return r;
		if (end && !st->o->control_only)
			return cb_fail(st, -WCH_E_FORMAT, "truncated: no data part");
		return 0;
	case PART_DATA:
		if (!end)
			st->res->data_members++; /* multi-member data: hashing goes on */
		return 0;
	}
	return 0;
}

static int read_entry_data(struct wch_tar_reader *tr, const struct wch_tar_entry *e, char **out,
			   struct wch_arena *a, struct wch_err *err)
{
	struct wch_reader data = wch_tar_data(tr);
	char *p = wch_arena_alloc(a, (size_t)e->size + 1);

	if (!p)
		return wch_errf(err, -ENOMEM, "out of memory");
	int r = wch_read_full(&data, p, (size_t)e->size, err);
	if (r)
		return r;
	p[e->size] = 0;
	*out = p;
	return 0;
}

static int sig_entry(struct pr *st, struct wch_tar_reader *tr, const struct wch_tar_entry *e,
		     struct wch_err *err)
{
	static const struct {
		const char *prefix;
		enum wch_hash_alg alg;
	} types[] = {{"RSA512.", WCH_HASH_SHA512},
		     {"RSA256.", WCH_HASH_SHA256},
		     {"RSA.", WCH_HASH_SHA1},
		     {"DSA.", WCH_HASH_SHA1}};
	struct wch_pkg_read_result *res = st->res;
	const char *rest = e->name + 6; /* after ".SIGN." */
	const struct wch_pubkey *k = NULL;
	size_t i, n = 0;

	res->nsignatures++;
	if (st->o->mode == WCH_PKG_VERIFY_IDENTITY || st->key)
		return 0; /* §2.4: skipped; §2.1: later signatures are ignored */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i].prefix);
		if (strncmp(rest, types[i].prefix, n) == 0 && rest[n])
			break;
	}
	if (i == sizeof(types) / sizeof(types[0]))
		return 0; /* unknown type: apk ignores it */
	if (st->o->keys && strcmp(types[i].prefix, "DSA."))
		k = wch_keyring_find(st->o->keys, rest + n);
	if (res->sig_key && !k)
		return 0; /* keep reporting the first one seen */
	res->sig_key = wch_arena_strdup(st->o->arena, rest + n);
	if (!res->sig_key)
		return wch_errf(err, -ENOMEM, "out of memory");
	snprintf(res->sig_type, sizeof(res->sig_type), "%.*s", (int)(n - 1), types[i].prefix);
	if (!k)
		return 0;
	if (e->type != WCH_TAR_REG || e->size == 0 || e->size > WCH_PKG_SIG_MAX)
		return wch_errf(err, -WCH_E_FORMAT, "signature '%s': bad size %llu", e->name,
				(unsigned long long)e->size);
	struct wch_reader data = wch_tar_data(tr);
	int r = wch_read_full(&data, st->sig, (size_t)e->size, err);
	if (r)
		return prefixed(err, r, "signature '%s'", e->name);
	st->siglen = (size_t)e->size;
	st->key = k;
	st->sig_alg = types[i].alg;
	return 0;
}

static int add_script(struct pr *st, struct wch_tar_reader *tr, const struct wch_tar_entry *e,
		      struct wch_err *err)
{
	struct wch_pkg_read_result *res = st->res;
	struct wch_pkg_script *s;
	size_t i;

	for (i = 0; i < res->nscripts; i++)
		if (strcmp(res->scripts[i].name, e->name) == 0)
			return wch_errf(err, -WCH_E_FORMAT, "control part: duplicate '%s'",
					e->name);
	if (e->type != WCH_TAR_REG)
		return wch_errf(err, -WCH_E_FORMAT, "control part: '%s' is not a regular file",
				e->name);
	if (e->size > WCH_PKG_SCRIPT_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, "script '%s': %llu bytes (cap %u)", e->name,
				(unsigned long long)e->size, WCH_PKG_SCRIPT_MAX);
	if (!res->scripts) {
		res->scripts = wch_arena_alloc(st->o->arena, NSCRIPT_TYPES * sizeof(*s));
		if (!res->scripts)
			return wch_errf(err, -ENOMEM, "out of memory");
	}
	s = &res->scripts[res->nscripts];
	char *data = NULL;
	int r = read_entry_data(tr, e, &data, st->o->arena, err);
	if (r)
		return prefixed(err, r, "script '%s'", e->name);
	s->name = wch_arena_strdup(st->o->arena, e->name);
	if (!s->name)
		return wch_errf(err, -ENOMEM, "out of memory");
	s->data = data;
	s->len = (size_t)e->size;
	s->mode = (unsigned)e->mode;
	res->nscripts++;
	return 0;
}

static int control_entry(struct pr *st, struct wch_tar_reader *tr, const struct wch_tar_entry *e,
			 struct wch_err *err)
{
	struct wch_pkg_read_result *res = st->res;
	size_t i;

	if (++st->ncontrol > WCH_PKG_CONTROL_ENTRIES_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, "control part: more than %u entries",
				WCH_PKG_CONTROL_ENTRIES_MAX);
	if (strcmp(e->name, ".PKGINFO") == 0) {
		char *text = NULL;
		if (res->pkg)
			return wch_errf(err, -WCH_E_FORMAT, "control part: duplicate .PKGINFO");
		if (e->type != WCH_TAR_REG)
			return wch_errf(err, -WCH_E_FORMAT, ".PKGINFO is not a regular file");
		if (e->size > WCH_PKG_PKGINFO_MAX)
			return wch_errf(err, -WCH_E_TOO_BIG, ".PKGINFO: %llu bytes (cap %u)",
					(unsigned long long)e->size, WCH_PKG_PKGINFO_MAX);
		int r = read_entry_data(tr, e, &text, st->o->arena, err);
		if (r)
			return prefixed(err, r, ".PKGINFO");
		struct wch_pkg *pkg = wch_arena_alloc(st->o->arena, sizeof(*pkg));
		if (!pkg)
			return wch_errf(err, -ENOMEM, "out of memory");
		r = wch_pkginfo_parse(st->o->arena, text, (size_t)e->size, pkg, err);
		if (r)
			return prefixed(err, r, ".PKGINFO");
		pkg->repo = -1;
		res->pkg = pkg;
		res->legacy = !pkg->has_datahash;
		return 0;
	}
	for (i = 0; i < NSCRIPT_TYPES; i++)
		if (strcmp(e->name, script_names[i]) == 0)
			return add_script(st, tr, e, err);
	return 0; /* other dot files (.INSTALL, PaxHeaders) are ignored, §2.9 */
}

/* A reader over an entry's content that hashes every byte read. */
struct hreader {
	struct wch_reader in;
	struct wch_hash *h;
};

static ssize_t hreader_read(void *ctx, void *buf, size_t n, struct wch_err *err)
{
	struct hreader *hr = ctx;
	ssize_t r = wch_read(&hr->in, buf, n, err);

	if (r > 0 && hr->h)
		wch_hash_update(hr->h, buf, (size_t)r);
	return r;
}

static int check_sum(const struct wch_tar_entry *e, struct wch_hash *h, struct wch_err *err)
{
	unsigned char d[WCH_HASH_MAX];
	const unsigned char *want = e->has_sha1 ? e->sha1 : e->md5;
	size_t n = wch_hash_final(h, d);

	if (memcmp(d, want, n) == 0)
		return 0;
	return wch_errf(err, -WCH_E_INTEGRITY, "file '%s': %s mismatch", e->name,
			e->has_sha1 ? "SHA-1" : "MD5");
}

/* §2.7: every regular file and symlink carries a checksum record. */
static int data_entry(struct pr *st, struct wch_tar_reader *tr, const struct wch_tar_entry *e,
		      struct wch_err *err)
{
	const struct wch_pkg_read_opts *o = st->o;
	struct wch_pkg_read_result *res = st->res;
	bool summed = e->type == WCH_TAR_REG || e->type == WCH_TAR_SYMLINK;
	struct wch_hash h = {0};
	struct hreader hr = {wch_tar_data(tr), NULL};
	struct wch_reader data = {hreader_read, &hr};
	bool pass_on;
	int r;

	if (++st->ndata > WCH_PKG_DATA_ENTRIES_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, "data part: more than %u entries",
				WCH_PKG_DATA_ENTRIES_MAX);
	if (!wch_package_path_safe(e->name))
		return wch_errf(err, -WCH_E_UNSAFE_PATH, "data entry '%s': unsafe path", e->name);
	if (e->type == WCH_TAR_HARDLINK && (!e->link || !wch_package_path_safe(e->link)))
		return wch_errf(err, -WCH_E_UNSAFE_PATH, "hard link '%s': unsafe target '%s'",
				e->name, e->link ? e->link : "");
	if (summed && !e->has_sha1 && !e->has_md5)
		return wch_errf(err, -WCH_E_INTEGRITY, "file '%s': no checksum record", e->name);
	if (summed && wch_hash_init(&h, e->has_sha1 ? WCH_HASH_SHA1 : WCH_HASH_MD5))
		return wch_errf(err, -ENOMEM, "out of memory");
	if (e->type == WCH_TAR_REG) {
		hr.h = &h;
		res->data_bytes += e->size;
	} else if (summed) {
		/* §2.7: a symlink's checksum is over its target string */
		const char *l = e->link ? e->link : "";
		wch_hash_update(&h, l, strlen(l));
		r = check_sum(e, &h, err);
		if (r)
			goto out;
	}
	pass_on = e->name[0] != '.'; /* apk ignores top-level dot names (§2.8) */
	if (pass_on && o->entry) {
		r = o->entry(o->ctx, e, &data, err);
		if (r)
			goto out;
	}
	r = wch_read_drain(&data, err);
	if (r)
		goto out;
	if (e->type == WCH_TAR_REG) {
		r = check_sum(e, &h, err);
		if (r)
			goto out;
	}
	if (!pass_on) {
		res->nignored++;
	} else {
		res->nfiles++;
		if (o->entry_end)
			r = o->entry_end(o->ctx, e, err);
	}
out:
	wch_hash_release(&h);
	return r;
}

static int call_control(struct pr *st, struct wch_err *err)
{
	if (st->control_cb_done)
		return 0;
	st->control_cb_done = true;
	if (st->o->control_only && !st->res->legacy)
		st->stop = true;
	if (st->o->control)
		return st->o->control(st->o->ctx, st->res, err);
	return 0;
}

static int handle_entry(struct pr *st, struct wch_tar_reader *tr, const struct wch_tar_entry *e,
			struct wch_err *err)
{
	int r;

	if (st->part != PART_DATA && !is_control_name(e->name)) {
		/* §2.6 rule 2: a v1-style package, data without a boundary */
		if (st->res->pkg && !st->res->legacy)
			return wch_errf(err, -WCH_E_FORMAT,
					"data entry '%s' inside the control part", e->name);
		if (!st->res->pkg)
			return wch_errf(err, -WCH_E_FORMAT, "control part has no .PKGINFO");
		st->part = PART_DATA;
		st->res->data_members = 1;
	}
	if (st->part == PART_DATA) {
		r = call_control(st, err);
		if (r || st->stop)
			return r;
		return data_entry(st, tr, e, err);
	}
	if (st->part == PART_SIG && strncmp(e->name, ".SIGN.", 6) == 0)
		return sig_entry(st, tr, e, err);
	st->part = PART_CONTROL;
	return control_entry(st, tr, e, err);
}

/* After the tar end: the rest of the stream must be zero blocks (§1.2). */
static int drain_after_tar(struct pr *st, enum part part, struct wch_err *err)
{
	struct wch_reader gr = wch_gunzip_reader(st->gz);
	unsigned char buf[4096];
	ssize_t got;

	while ((got = wch_read(&gr, buf, sizeof(buf), err)) > 0) {
		for (ssize_t i = 0; i < got; i++)
			if (buf[i])
				return wch_errf(err, -WCH_E_FORMAT,
						"BAD archive: end-of-archive blocks in %s",
						part_names[part]);
	}
	return (int)got;
}

static int end_of_data(struct pr *st, struct wch_err *err)
{
	struct wch_pkg_read_result *res = st->res;
	char hex[65], want[65];

	if (!st->end_seen)
		return wch_errf(err, -WCH_E_FORMAT, "truncated: no end of data");
	if (res->legacy) {
		final_control_digests(st);
		int r = verify_control(st);
		if (r)
			return wch_errf(err, r, "%s", st->cb_err.msg);
		res->datahash_ok = true;
		return 0;
	}
	wch_hash_final(&st->h_data, res->data_sha256);
	if (memcmp(res->data_sha256, res->pkg->datahash, 32)) {
		wch_hex_encode(res->data_sha256, 32, hex);
		wch_hex_encode(res->pkg->datahash, 32, want);
		return wch_errf(err, -WCH_E_INTEGRITY,
				"datahash mismatch: .PKGINFO says %s, data part is %s", want, hex);
	}
	res->datahash_ok = true;
	return 0;
}

/* Names a tar failure by the part it happened in: st->part, as the boundary
 * callback has already moved on when the failing header (say, the PAX header
 * of the first file) came from the next member. The tar reader reads on
 * after two zero blocks and fails on the next non-zero one; when that block
 * is the data part, the zero blocks were in the signature or control tar
 * (last), which apk calls "BAD archive" (§2.1, §12.2). */
static int tar_failed(struct pr *st, enum part last, int r, struct wch_err *err)
{
	if (st->cb_err.code)
		return wch_errf(err, st->cb_err.code, "%s", st->cb_err.msg);
	if (last != PART_DATA && err && strcmp(err->msg, TAR_AFTER_END_MSG) == 0)
		return wch_errf(err, r, "BAD archive: end-of-archive blocks in %s",
				part_names[last]);
	return prefixed(err, r, "%s", part_names[st->part]);
}

/* The input: a stream, or a whole file in memory. */
struct pkg_src {
	struct wch_reader rd;
	const void *mem;
	size_t n;
};

static int run(struct pr *st, const struct pkg_src *src, struct wch_err *err)
{
	const struct wch_gunzip_cb cb = {on_member_bytes, on_boundary, st};
	struct wch_tar_reader *tr = NULL;
	const struct wch_tar_entry *e;
	enum part last;
	int r;

	r = src->mem ? wch_gunzip_new_mem(&st->gz, src->mem, src->n, &cb, WCH_PKG_INFLATE_MAX, err)
		     : wch_gunzip_new(&st->gz, src->rd, &cb, WCH_PKG_INFLATE_MAX, err);
	if (r)
		return r;
	r = wch_tar_reader_new(&tr, wch_gunzip_reader(st->gz), err);
	if (r)
		return r;
	for (;;) {
		last = st->part;
		st->cb_err.code = 0;
		r = wch_tar_next(tr, &e, err);
		if (r == 0)
			break;
		if (r < 0) {
			r = tar_failed(st, last, r, err);
			goto out;
		}
		r = handle_entry(st, tr, e, err);
		if (r || st->stop)
			goto out;
	}
	st->cb_err.code = 0;
	r = drain_after_tar(st, st->part, err);
	if (r < 0 && st->cb_err.code)
		r = wch_errf(err, st->cb_err.code, "%s", st->cb_err.msg);
	if (r < 0)
		goto out;
	if (st->part != PART_DATA) {
		r = wch_errf(err, -WCH_E_FORMAT, "truncated: no data part");
		goto out;
	}
	r = call_control(st, err);
	if (r || st->stop)
		goto out;
	r = end_of_data(st, err);
	if (r == 0)
		st->res->complete = true;
out:
	wch_tar_reader_free(tr);
	return r;
}

static int read_pkg(const struct pkg_src *src, const struct wch_pkg_read_opts *o,
		    struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct pr *st;
	bool id_on = false;
	int r;

	memset(res, 0, sizeof(*res));
	if (!o->arena ||
	    (o->mode == WCH_PKG_VERIFY_IDENTITY && (!o->identity || !o->identity->len)))
		return wch_errf(err, -EINVAL, "package read: missing arena or identity");
	st = calloc(1, sizeof(*st));
	if (!st)
		return wch_errf(err, -ENOMEM, "out of memory");
	st->o = o;
	st->res = res;
	st->id_alg = o->mode == WCH_PKG_VERIFY_IDENTITY ? o->identity->alg : WCH_HASH_SHA1;
	hash_restart(&st->h_id, st->id_alg, &id_on);
	if (!id_on) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = run(st, src, err);
	if (st->gz) {
		res->file_size = wch_gunzip_compressed(st->gz);
		if (res->pkg)
			res->pkg->file_size = res->file_size;
	}
out:
	wch_gunzip_free(st->gz);
	wch_hash_release(&st->h_id);
	wch_hash_release(&st->h_sig);
	wch_hash_release(&st->h_data);
	free(st);
	return r;
}

int wch_package_read(struct wch_reader src, const struct wch_pkg_read_opts *o,
		     struct wch_pkg_read_result *res, struct wch_err *err)
{
	const struct pkg_src ps = {src, NULL, 0};

	return read_pkg(&ps, o, res, err);
}

int wch_package_read_mem(const void *data, size_t n, const struct wch_pkg_read_opts *o,
			 struct wch_pkg_read_result *res, struct wch_err *err)
{
	const struct pkg_src ps = {{NULL, NULL}, data ? data : "", n};

	return read_pkg(&ps, o, res, err);
}

/* Reads the rest of a regular file of the given size into a new buffer.
 * Returns its length, or < 0 (the file changed size while being read). */
static ssize_t slurp(int fd, size_t size, unsigned char **out, struct wch_err *err)
{
	unsigned char *p = malloc(size + 1);
	size_t len = 0;
	ssize_t got = 0;

	*out = NULL;
	if (!p)
		return wch_errf(err, -ENOMEM, "out of memory");
	/* One byte more than the size, to notice a file that grew. */
	while (len <= size && (got = wch_fd_read(fd, p + len, size + 1 - len)) > 0)
		len += (size_t)got;
	if (got < 0 && len <= size) {
		free(p);
		return wch_err_sys(err, (int)-got, "read error");
	}
	if (len > size) {
		free(p);
		return wch_errf(err, -EIO, "file changed while it was read");
	}
	*out = p;
	return (ssize_t)len;
}

int wch_package_read_fd(int fd, const struct wch_pkg_read_opts *o, struct wch_pkg_read_result *res,
			struct wch_err *err)
{
	struct stat st;
	unsigned char *p;
	off_t at;
	ssize_t n;
	int r;

	if (o->control_only || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (at = lseek(fd, 0, SEEK_CUR)) < 0 || at > st.st_size ||
	    (uint64_t)(st.st_size - at) > WCH_PKG_MEM_MAX)
		return wch_package_read(wch_reader_fd(&fd), o, res, err);
	n = slurp(fd, (size_t)(st.st_size - at), &p, err);
	if (n < 0) {
		memset(res, 0, sizeof(*res));
		return (int)n;
	}
	r = wch_package_read_mem(p, (size_t)n, o, res, err);
	free(p);
	return r;
}
