/*
 * Signed APKINDEX.tar.gz loading (apk-format §5.1, §5.2) and the identity
 * of .apk files (§2.2, §2.3).
 *
 * Both walk the same structure: gzip members whose decompressed tars form
 * one archive, leading signature entries (.SIGN.*), then the signed part.
 * We hash the exact compressed bytes of what follows the signature
 * member(s). A package file is streamed: the gunzip boundary callback says
 * where members end. An index is in memory already, so it is inflated whole
 * (libdeflate), its signed part hashed in one go, and its text parsed in
 * place in the inflated buffer, which the repositories then keep.
 */
#include "repo/repo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apk/index_text.h"
#include "archive/gunzip.h"
#include "archive/tar.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "repo/internal.h"
#include "util/io.h"

#include <libdeflate.h>

#define SIG_MAX	      16   /* signatures looked at per file */
#define SIG_BYTES_MAX 4096 /* a 16384-bit RSA signature is 2048 bytes */
#define DESC_MAX      4096

struct sig {
	enum wch_hash_alg alg;
	char *keyname;
	unsigned char *sig;
	size_t len;
};

/* Hashing state shared by the index and the identity walkers. */
struct walk {
	bool signed_part;	       /* a non-.SIGN entry has been seen */
	bool hashing;		       /* member bytes go into the digests */
	bool keep_hashing_at_boundary; /* identity: legacy packages (§2.3) */
	bool control_done;
	struct wch_hash h[3]; /* SHA1, SHA256, SHA512 */
	bool want[3];
	struct sig sigs[SIG_MAX];
	size_t nsigs;
	unsigned char digest[3][WCH_HASH_MAX];
	bool have_digest;
};

static int alg_slot(enum wch_hash_alg alg)
{
	return alg == WCH_HASH_SHA1 ? 0 : alg == WCH_HASH_SHA256 ? 1 : 2;
}

static const enum wch_hash_alg slot_alg[3] = {WCH_HASH_SHA1, WCH_HASH_SHA256, WCH_HASH_SHA512};

static void walk_bytes(void *ctx, const void *p, size_t n)
{
	struct walk *w = ctx;
	int i;

	if (!w->hashing)
		return;
	for (i = 0; i < 3; i++)
		if (w->want[i])
			wch_hash_update(&w->h[i], p, n);
}

static void walk_finish(struct walk *w)
{
	int i;

	for (i = 0; i < 3; i++)
		if (w->want[i])
			wch_hash_final(&w->h[i], w->digest[i]);
	w->have_digest = true;
	w->hashing = false;
}

static int walk_boundary(void *ctx, bool end, struct wch_err *err)
{
	struct walk *w = ctx;
	int i;

	if (!w->signed_part) {
		/* §2.6: every boundary before the signed part (re)starts the
		 * digests, so only bytes after the last signature member count. */
		if (end)
			return wch_errf(err, -WCH_E_FORMAT, "nothing after the signature");
		for (i = 0; i < 3; i++) {
			unsigned char scratch[WCH_HASH_MAX];
			if (!w->want[i])
				continue;
			if (w->h[i].ctx && w->hashing)
				wch_hash_final(&w->h[i], scratch);
			if (wch_hash_init(&w->h[i], slot_alg[i]))
				return wch_errf(err, -ENOMEM, "out of memory");
		}
		w->hashing = true;
		return 0;
	}
	if (w->control_done || w->have_digest)
		return 0;
	if (end || !w->keep_hashing_at_boundary) {
		walk_finish(w);
		w->control_done = true;
	}
	return 0;
}

static void walk_release(struct walk *w)
{
	size_t i;

	for (i = 0; i < 3; i++)
		wch_hash_release(&w->h[i]);
	for (i = 0; i < w->nsigs; i++) {
		free(w->sigs[i].keyname);
		free(w->sigs[i].sig);
	}
}

/* Reads a .SIGN.<TYPE>.<key> entry (§2.1); unknown types are ignored. */
static int walk_add_sig(struct walk *w, const struct wch_tar_entry *e, struct wch_tar_reader *tr,
			struct wch_err *err)
{
	static const struct {
		const char *prefix;
		enum wch_hash_alg alg;
	} types[] = {{".SIGN.RSA512.", WCH_HASH_SHA512},
		     {".SIGN.RSA256.", WCH_HASH_SHA256},
		     {".SIGN.RSA.", WCH_HASH_SHA1}};
	struct wch_reader data = wch_tar_data(tr);
	struct sig *s;
	size_t i;
	int r;

	for (i = 0; i < 3; i++)
		if (strncmp(e->name, types[i].prefix, strlen(types[i].prefix)) == 0)
			break;
	if (i == 3 || w->nsigs == SIG_MAX || e->size == 0 || e->size > SIG_BYTES_MAX ||
	    e->type != WCH_TAR_REG)
		return 0;
	s = &w->sigs[w->nsigs];
	s->keyname = strdup(e->name + strlen(types[i].prefix));
	s->sig = malloc(e->size);
	if (!s->keyname || !s->sig) {
		free(s->keyname);
		free(s->sig);
		return wch_errf(err, -ENOMEM, "out of memory");
	}
	r = wch_read_full(&data, s->sig, e->size, err);
	if (r < 0) {
		free(s->keyname);
		free(s->sig);
		return r;
	}
	s->len = e->size;
	s->alg = types[i].alg;
	w->want[alg_slot(s->alg)] = true;
	w->nsigs++;
	return 0;
}

/* Reads an entry's data into b, capped. */
static int read_entry(struct wch_tar_reader *tr, const struct wch_tar_entry *e, size_t cap,
		      struct wch_buf *b, struct wch_err *err)
{
	struct wch_reader data = wch_tar_data(tr);

	if (e->size > cap)
		return wch_errf(err, -WCH_E_TOO_BIG, "%s is larger than %zu bytes", e->name, cap);
	wch_buf_reset(b);
	if (wch_buf_grow(b, (size_t)e->size + 1))
		return wch_errf(err, -ENOMEM, "out of memory");
	if (wch_read_full(&data, b->p, (size_t)e->size, err) < 0)
		return err ? err->code : -WCH_E_FORMAT;
	b->len = (size_t)e->size;
	b->p[b->len] = 0;
	return 0;
}

/* Checks the signatures: any trusted one that verifies suffices. Returns
 * 0 with *signer set, or -WCH_E_SIG_UNTRUSTED / -WCH_E_SIG_INVALID. */
static int check_sigs(const struct walk *w, const struct wch_keyring *keys, const char **signer,
		      struct wch_err *err)
{
	const char *bad = NULL;
	size_t i;

	for (i = 0; i < w->nsigs; i++) {
		const struct sig *s = &w->sigs[i];
		const struct wch_pubkey *k = keys ? wch_keyring_find(keys, s->keyname) : NULL;
		int slot = alg_slot(s->alg);

		if (!k)
			continue;
		if (wch_verify_digest(k, s->alg, w->digest[slot], wch_hash_len(s->alg), s->sig,
				      s->len, NULL) == 0) {
			*signer = s->keyname;
			return 0;
		}
		bad = s->keyname;
	}
	if (bad)
		return wch_errf(err, -WCH_E_SIG_INVALID,
				"BAD signature (key %s does not verify the index)", bad);
	if (w->nsigs == 0)
		return wch_errf(err, -WCH_E_SIG_UNTRUSTED, "UNTRUSTED: the index is not signed");
	return wch_errf(err, -WCH_E_SIG_UNTRUSTED, "UNTRUSTED signature (no trusted key %s%s)",
			w->sigs[0].keyname, w->nsigs > 1 ? " or the other signers" : "");
}

struct identity_table {
	const struct wch_pkg **slot;
	size_t cap, n;
};

static size_t id_hash(const struct wch_checksum *c)
{
	size_t h;

	memcpy(&h, c->d, sizeof(h));
	return h;
}

/* Returns the already-known package with the same identity, or adds p. */
static int identity_merge(struct identity_table *t, const struct wch_pkg *p,
			  const struct wch_pkg **known)
{
	size_t i;

	*known = NULL;
	if (p->identity.len == 0)
		return 0;
	if ((t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 4096, j;
		const struct wch_pkg **ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (j = 0; j < t->cap; j++) {
			const struct wch_pkg *q = t->slot[j];
			if (!q)
				continue;
			for (i = id_hash(&q->identity) & (ncap - 1); ns[i];
			     i = (i + 1) & (ncap - 1))
				;
			ns[i] = q;
		}
		free(t->slot);
		t->slot = ns;
		t->cap = ncap;
	}
	for (i = id_hash(&p->identity) & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1)) {
		const struct wch_pkg *q = t->slot[i];
		if (q->identity.len == p->identity.len &&
		    memcmp(q->identity.d, p->identity.d, p->identity.len) == 0) {
			*known = q;
			return 0;
		}
	}
	t->slot[i] = p;
	t->n++;
	return 0;
}

/* Private state of the repositories kept until wch_repos_release(). */
struct repos_state {
	struct identity_table ids;
	char **texts; /* inflated indexes; package strings point into them */
	size_t ntexts;
};

static struct repos_state *repos_state(struct wch_repos *rs)
{
	if (!rs->identities)
		rs->identities = calloc(1, sizeof(struct repos_state));
	return rs->identities;
}

struct parse_ctx {
	struct wch_repos *rs;
	struct identity_table *ids;
	int repo;
	size_t added;
};

static int on_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	struct parse_ctx *pc = ctx;
	struct wch_repos *rs = pc->rs;
	const struct wch_pkg *known;

	if (identity_merge(pc->ids, p, &known))
		return wch_errf(err, -ENOMEM, "out of memory");
	if (known)
		return 0; /* §5.2: same C: = same package; the first repository wins */
	if (rs->npkgs == rs->pkgs_cap) {
		size_t ncap = rs->pkgs_cap ? rs->pkgs_cap * 2 : 1024;
		struct wch_pkg **np = realloc(rs->pkgs, ncap * sizeof(*np));
		if (!np)
			return wch_errf(err, -ENOMEM, "out of memory");
		rs->pkgs = np;
		rs->pkgs_cap = ncap;
	}
	p->repo = pc->repo;
	rs->pkgs[rs->npkgs++] = p;
	pc->added++;
	return 0;
}

void wch_repo_identities_free(void *t)
{
	struct repos_state *st = t;
	size_t i;

	if (!st)
		return;
	free(st->ids.slot);
	for (i = 0; i < st->ntexts; i++)
		free(st->texts[i]);
	free(st->texts);
	free(st);
}

/* Gzip members of an index held in memory, inflated one after the other
 * into one buffer (the concatenated tar stream, apk-format §1.3). */
struct members {
	size_t n, cap;
	size_t *in_off;	 /* compressed start of each member */
	size_t *out_end; /* decompressed end of each member */
	char *out;
	size_t len, outcap;
};

static void members_release(struct members *m)
{
	free(m->in_off);
	free(m->out_end);
	free(m->out);
}

static int members_push(struct members *m, size_t in_off, size_t out_end)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 8;
		size_t *a = realloc(m->in_off, ncap * sizeof(*a));
		if (a)
			m->in_off = a;
		size_t *b = a ? realloc(m->out_end, ncap * sizeof(*b)) : NULL;
		if (!b)
			return -ENOMEM;
		m->out_end = b;
		m->cap = ncap;
	}
	m->in_off[m->n] = in_off;
	m->out_end[m->n] = out_end;
	m->n++;
	return 0;
}

/* Inflates every member of data with libdeflate (about three times faster
 * than zlib on whole buffers; the index is in memory anyway), with the
 * checks of archive/gunzip.h: gzip magic, CRC and ISIZE of each member, no
 * trailing garbage, at most max_out bytes in all. The output buffer starts
 * at the last member's ISIZE (the index text) plus room for the signature
 * members, and grows (re-inflating that member) only if that was a lie. */
static int inflate_members(struct members *m, const unsigned char *data, size_t n, size_t max_out,
			   struct wch_err *err)
{
	struct libdeflate_decompressor *d;
	size_t pos = 0;
	int r = 0;

	if (n == 0)
		return wch_errf(err, -WCH_E_FORMAT, "empty input, not gzip data");
	if (n >= 18) {
		size_t isize = (size_t)data[n - 4] | (size_t)data[n - 3] << 8 |
			       (size_t)data[n - 2] << 16 | (size_t)data[n - 1] << 24;
		m->outcap = isize + (64u << 10);
	}
	if (m->outcap < (64u << 10) || m->outcap > max_out)
		m->outcap = m->outcap > max_out ? max_out : 64u << 10;
	/* One spare byte: the in-place text parser may write a NUL at the end. */
	if (!(m->out = malloc(m->outcap + 1)))
		return wch_errf(err, -ENOMEM, "out of memory");
	if (!(d = libdeflate_alloc_decompressor()))
		return wch_errf(err, -ENOMEM, "out of memory");
	while (pos < n) {
		size_t used = 0, produced = 0;
		enum libdeflate_result lr;

		if (n - pos < 2 || data[pos] != 0x1f || data[pos + 1] != 0x8b) {
			r = m->n == 0 ? wch_errf(err, -WCH_E_FORMAT, "not in gzip format")
				      : wch_errf(err, -WCH_E_FORMAT,
						 "trailing garbage after gzip member %zu", m->n);
			break;
		}
		lr = libdeflate_gzip_decompress_ex(d, data + pos, n - pos, m->out + m->len,
						   m->outcap - m->len, &used, &produced);
		if (lr == LIBDEFLATE_INSUFFICIENT_SPACE) {
			size_t ncap = m->outcap > max_out / 2 ? max_out : m->outcap * 2;
			char *no;
			if (m->outcap >= max_out) {
				r = wch_errf(err, -WCH_E_TOO_BIG,
					     "decompressed data exceeds %zu bytes", max_out);
				break;
			}
			if (!(no = realloc(m->out, ncap + 1))) {
				r = wch_errf(err, -ENOMEM, "out of memory");
				break;
			}
			m->out = no;
			m->outcap = ncap;
			continue;
		}
		if (lr != LIBDEFLATE_SUCCESS) {
			r = wch_errf(err, -WCH_E_FORMAT,
				     "gzip member %zu: invalid or truncated compressed data",
				     m->n + 1);
			break;
		}
		if (members_push(m, pos, m->len + produced) < 0) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			break;
		}
		pos += used;
		m->len += produced;
	}
	libdeflate_free_decompressor(d);
	return r;
}

/* Keeps buf alive as long as rs. */
static int keep_text(struct wch_repos *rs, char *buf)
{
	struct repos_state *st = repos_state(rs);
	char **nt;

	if (!st || !(nt = realloc(st->texts, (st->ntexts + 1) * sizeof(*nt))))
		return -ENOMEM;
	st->texts = nt;
	st->texts[st->ntexts++] = buf;
	return 0;
}

/* The signed part (§5.1, §2.6) begins with the first member that starts
 * after the last signature byte read, i.e. after every member that ended
 * before the first non-signature header's end pos (what the streaming
 * walk's boundary events would restart the digests at). Returns the
 * member's number, or m->n if the first member already holds it. */
static size_t signed_start(const struct members *m, size_t pos)
{
	size_t k = 0;

	while (k < m->n && m->out_end[k] < pos)
		k++;
	return k == 0 ? m->n : k;
}

/* Digests of data[from..n) for the algorithms of signatures by trusted
 * keys: the only ones check_sigs() looks at; each byte hashed once per
 * algorithm. */
static int digest_signed(struct walk *w, const struct wch_keyring *keys, const unsigned char *p,
			 size_t n, struct wch_err *err)
{
	size_t i;

	for (i = 0; i < w->nsigs; i++)
		if (keys && wch_keyring_find(keys, w->sigs[i].keyname))
			w->want[alg_slot(w->sigs[i].alg)] = true;
	for (i = 0; i < 3; i++) {
		if (!w->want[i])
			continue;
		if (wch_hash_init(&w->h[i], slot_alg[i]))
			return wch_errf(err, -ENOMEM, "out of memory");
		wch_hash_update(&w->h[i], p, n);
		wch_hash_final(&w->h[i], w->digest[i]);
	}
	w->have_digest = true;
	return 0;
}

int wch_repos_load_index_mem(struct wch_repos *rs, size_t repo_idx, const void *data, size_t n,
			     struct wch_err *err)
{
	struct wch_repo *repo = &rs->v[repo_idx];
	struct walk w;
	struct members m;
	struct wch_mem_reader mr;
	struct wch_tar_reader *tr = NULL;
	struct wch_buf desc = WCH_BUF_INIT;
	const struct wch_tar_entry *e;
	const char *signer = NULL;
	size_t text_off = 0, text_len = 0, first = 0;
	bool have_index = false;
	int r;

	memset(&w, 0, sizeof(w));
	memset(&m, 0, sizeof(m));
	r = inflate_members(&m, data, n, WCH_INDEX_MAX + (1u << 20), err);
	if (r < 0)
		goto out;
	r = wch_tar_reader_new(&tr, wch_reader_mem(&mr, m.out, m.len), err);
	if (r < 0)
		goto out;
	while ((r = wch_tar_next(tr, &e, err)) == 1) {
		r = 0;
		if (!w.signed_part && strncmp(e->name, ".SIGN.", 6) == 0) {
			if ((r = walk_add_sig(&w, e, tr, err)) < 0)
				goto out;
			continue;
		}
		if (!w.signed_part)
			first = signed_start(&m, mr.off);
		w.signed_part = true;
		if (strcmp(e->name, "APKINDEX") == 0) {
			/* Parsed in place: the tar reader reads no further
			 * than asked, so the data is what follows here. */
			size_t at = mr.off;
			if (e->size > WCH_INDEX_MAX) {
				r = wch_errf(err, -WCH_E_TOO_BIG, "%s is larger than %u bytes",
					     e->name, WCH_INDEX_MAX);
			} else {
				struct wch_reader dr = wch_tar_data(tr);
				r = wch_read_drain(&dr, err);
				if (r == 0 && mr.off - at != e->size)
					r = wch_errf(err, -WCH_E_FORMAT, "APKINDEX data misplaced");
			}
			text_off = at;
			text_len = (size_t)e->size;
			have_index = true;
		} else if (strcmp(e->name, "DESCRIPTION") == 0) {
			r = read_entry(tr, e, DESC_MAX, &desc, err);
		}
		if (r < 0)
			goto out;
	}
	if (r < 0)
		goto out;
	if (!w.signed_part) {
		r = wch_errf(err, -WCH_E_FORMAT, "nothing after the signature");
		goto out;
	}
	if (!have_index) {
		r = wch_errf(err, -WCH_E_FORMAT, "no APKINDEX in the index archive");
		goto out;
	}
	/* The signed part runs to the end of the file (§5.1). */
	if (first < m.n &&
	    (r = digest_signed(&w, rs->keys, (const unsigned char *)data + m.in_off[first],
			       n - m.in_off[first], err)) < 0)
		goto out;
	r = check_sigs(&w, rs->keys, &signer, err);
	if (r < 0) {
		if (!rs->allow_untrusted)
			goto out;
		if (rs->warn) {
			char msg[WCH_ERR_MSG_MAX + 256];
			snprintf(msg, sizeof(msg),
				 "repository %s: %s (allowed by --allow-untrusted)", repo->display,
				 err ? err->msg : wch_strerror(r));
			rs->warn(rs->warn_ctx, msg);
		}
		if (err)
			wch_err_init(err);
		r = 0;
	} else {
		repo->trusted = true;
		free(repo->signer);
		repo->signer = strdup(signer);
		if (!repo->signer) {
			r = wch_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (desc.len) {
		while (desc.len && (desc.p[desc.len - 1] == '\n' || desc.p[desc.len - 1] == 0))
			desc.p[--desc.len] = 0;
		free(repo->description);
		repo->description = wch_buf_detach(&desc, NULL);
	}
	if (keep_text(rs, m.out) < 0) {
		r = wch_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	{
		struct parse_ctx pc = {rs, &repos_state(rs)->ids, (int)repo_idx, 0};
		struct wch_index_cb icb = {.pkg = on_pkg, .ctx = &pc};
		char *text = m.out + text_off;
		m.out = NULL; /* now owned by rs */
		r = wch_index_text_parse_inplace(&rs->arena, text, text_len, &icb, err);
		repo->npkgs += pc.added;
	}
out:
	if (r < 0 && err)
		wch_err_prefix(err, "repository %s", repo->display);
	wch_tar_reader_free(tr);
	members_release(&m);
	walk_release(&w);
	wch_buf_release(&desc);
	return r < 0 ? r : 0;
}

/* Does the .PKGINFO text carry a datahash line (§2.2)? */
static bool has_datahash(const struct wch_buf *b)
{
	const char *p = b->p, *end = b->p + b->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 11 && strncmp(p, "datahash = ", 11) == 0)
			return true;
		p += len + 1;
	}
	return false;
}

int wch_apk_identity_file(const char *path, struct wch_checksum *out, struct wch_err *err)
{
	struct walk w;
	struct wch_gunzip_cb cb = {walk_bytes, walk_boundary, &w};
	struct wch_gunzip *gz = NULL;
	struct wch_tar_reader *tr = NULL;
	struct wch_buf info = WCH_BUF_INIT;
	const struct wch_tar_entry *e;
	int fd, r;

	memset(&w, 0, sizeof(w));
	w.want[0] = true;
	w.keep_hashing_at_boundary = true;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wch_err_sys(err, errno, "cannot open '%s'", path);
	/* Hashing starts at the first byte unless a signature member comes
	 * first (then walk_boundary restarts it). */
	r = wch_hash_init(&w.h[0], WCH_HASH_SHA1) ? -ENOMEM : 0;
	w.hashing = true;
	if (r == 0)
		r = wch_gunzip_new(&gz, wch_reader_fd(&fd), &cb, 0, err);
	if (r == 0)
		r = wch_tar_reader_new(&tr, wch_gunzip_reader(gz), err);
	while (r == 0 && !w.control_done && (r = wch_tar_next(tr, &e, err)) == 1) {
		r = 0;
		if (!w.signed_part && strncmp(e->name, ".SIGN.", 6) == 0)
			continue;
		w.signed_part = true;
		if (strcmp(e->name, ".PKGINFO") == 0) {
			r = read_entry(tr, e, 1u << 20, &info, err);
			/* With datahash the identity covers the control member only. */
			if (r == 0 && has_datahash(&info))
				w.keep_hashing_at_boundary = false;
		}
	}
	if (r > 0)
		r = 0;
	if (r == 0 && !w.control_done) {
		/* Legacy (§2.3): the identity runs to the end of the file. */
		struct wch_reader gr = wch_gunzip_reader(gz);
		r = wch_read_drain(&gr, err);
		if (r == 0 && !w.have_digest)
			walk_finish(&w);
	}
	if (r == 0 && !w.signed_part)
		r = wch_errf(err, -WCH_E_FORMAT, "no control part");
	if (r == 0) {
		out->alg = WCH_HASH_SHA1;
		out->len = 20;
		memcpy(out->d, w.digest[0], 20);
	} else if (r == -ENOMEM) {
		wch_errf(err, r, "out of memory");
	}
	if (r < 0 && err)
		wch_err_prefix(err, "'%s'", path);
	wch_tar_reader_free(tr);
	wch_gunzip_free(gz);
	walk_release(&w);
	wch_buf_release(&info);
	close(fd);
	return r;
}
