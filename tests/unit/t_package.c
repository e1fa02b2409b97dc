/*
 * Package reader tests on the real Alpine fixtures and on packages built
 * here. Expected values never come from the reader: member boundaries are
 * found with zlib directly, digests of members computed separately, file
 * lists compared with GNU tar, identities with the signed APKINDEX.
 */
#include "apk/package.h"
#include "archive/tar.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define ISO	    "alpine/apks/x86_64/alpine-3.19.1-iso-boot"
#define MAX_MEMBERS 16

/* ---- independent helpers ---- */

static int slurp(const char *path, struct wch_buf *b)
{
	wch_buf_release(b);
	return wch_read_file_at(AT_FDCWD, path, b, 256u << 20, NULL);
}

/* Member start offsets found with plain zlib; offs[n] = len. */
static size_t split_members(const unsigned char *p, size_t len, size_t *offs)
{
	size_t n = 0, at = 0;
	unsigned char out[16384];

	while (at < len && n < MAX_MEMBERS) {
		z_stream zs;
		int r;
		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, 16 + 15) != Z_OK)
			return 0;
		zs.next_in = (unsigned char *)p + at;
		zs.avail_in = (uInt)(len - at);
		do {
			zs.next_out = out;
			zs.avail_out = sizeof(out);
			r = inflate(&zs, Z_NO_FLUSH);
		} while (r == Z_OK);
		inflateEnd(&zs);
		if (r != Z_STREAM_END)
			return 0;
		offs[n++] = at;
		at += zs.total_in;
	}
	offs[n] = len;
	return n;
}

static int gzip_buf(const void *p, size_t n, struct wch_buf *out)
{
	z_stream zs;
	unsigned char tmp[16384];
	int r;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = (unsigned char *)p;
	zs.avail_in = (uInt)n;
	do {
		zs.next_out = tmp;
		zs.avail_out = sizeof(tmp);
		r = deflate(&zs, Z_FINISH);
		wch_buf_add(out, tmp, sizeof(tmp) - zs.avail_out);
	} while (r == Z_OK);
	deflateEnd(&zs);
	return r == Z_STREAM_END ? 0 : -1;
}

static void load_all_keys(struct wch_keyring *kr)
{
	wch_keyring_load_dir(kr, wt_fixture("alpine/keys"), NULL);
	wch_keyring_load_dir(kr, wt_fixture("alpine/keys/historical"), NULL);
	wch_keyring_load_file(
	    kr, wt_fixture("alpine/thirdparty/apko-melange-x86_64/melange.rsa.pub"), NULL);
}

/* Collects data entry names; counts events to check their order. */
struct rec {
	struct wch_buf names; /* "name\n" per entry */
	int control_calls, entries, entry_ends;
	bool control_before_entries;
	size_t read_limit; /* bytes entry() reads itself; rest drained by the reader */
	int fail_at;	   /* entry index whose callback fails, -1 never */
};

static int rec_control(void *ctx, const struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct rec *r = ctx;
	(void)err;
	r->control_calls++;
	r->control_before_entries = r->entries == 0 && res->pkg && res->pkg->name;
	return 0;
}

static int rec_entry(void *ctx, const struct wch_tar_entry *e, const struct wch_reader *data,
		     struct wch_err *err)
{
	struct rec *r = ctx;
	char buf[100];

	if (r->fail_at == r->entries)
		return wch_errf(err, -ECANCELED, "stop at '%s'", e->name);
	r->entries++;
	wch_buf_addstr(&r->names, e->name);
	wch_buf_addch(&r->names, '\n');
	if (r->read_limit && e->type == WCH_TAR_REG)
		wch_read(data, buf, r->read_limit < sizeof(buf) ? r->read_limit : sizeof(buf), err);
	return 0;
}

static int rec_entry_end(void *ctx, const struct wch_tar_entry *e, struct wch_err *err)
{
	struct rec *r = ctx;
	(void)e;
	(void)err;
	r->entry_ends++;
	return 0;
}

static bool mem_mode; /* read_pkg() through wch_package_read_mem() */

static int read_pkg(const void *p, size_t n, enum wch_pkg_verify mode, const struct wch_keyring *kr,
		    const struct wch_checksum *id, struct wch_arena *a, struct rec *rec,
		    struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct wch_mem_reader m;
	struct wch_pkg_read_opts o = {0};

	o.mode = mode;
	o.keys = kr;
	o.identity = id;
	o.arena = a;
	if (rec) {
		o.control = rec_control;
		o.entry = rec_entry;
		o.entry_end = rec_entry_end;
		o.ctx = rec;
	}
	wch_err_init(err);
	if (mem_mode)
		return wch_package_read_mem(p, n, &o, res, err);
	return wch_package_read(wch_reader_mem(&m, p, n), &o, res, err);
}

/* ---- real packages ---- */

static void t_iso_repo_against_index_and_gnu_tar(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_buf idx = WCH_BUF_INIT, apk = WCH_BUF_INIT, gnu = WCH_BUF_INIT;
	char cmd[8192], line[4096], P[256] = "", V[256] = "", C[64] = "";
	unsigned long long S = 0;
	int checked = 0;
	FILE *f;

	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));
	snprintf(cmd, sizeof(cmd), "tar -xzOf '%s/APKINDEX.tar.gz' APKINDEX 2>/dev/null",
		 wt_fixture(ISO));
	f = popen(cmd, "r");
	WT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f))
		wch_buf_addstr(&idx, line);
	WT_OK(pclose(f));
	/* A simple stanza scan; the reader must reproduce C: and S:. */
	for (char *l = idx.p, *nl; l && *l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		if (l[0] && l[1] == ':') {
			if (l[0] == 'P')
				snprintf(P, sizeof(P), "%s", l + 2);
			if (l[0] == 'V')
				snprintf(V, sizeof(V), "%s", l + 2);
			if (l[0] == 'C')
				snprintf(C, sizeof(C), "%s", l + 2);
			if (l[0] == 'S')
				S = strtoull(l + 2, NULL, 10);
			continue;
		}
		if (!P[0])
			continue;
		/* End of a stanza: check this package. */
		struct wch_arena a = WCH_ARENA_INIT;
		struct wch_pkg_read_result res;
		struct wch_err err;
		struct rec rec = {WCH_BUF_INIT, 0, 0, 0, false, 0, -1};
		struct wch_checksum want;
		char path[4096], q1[41];
		size_t offs[MAX_MEMBERS + 1], nm;
		unsigned char d[32];

		snprintf(path, sizeof(path), "%s/%s-%s.apk", wt_fixture(ISO), P, V);
		WT_OK(slurp(path, &apk));
		WT_OK(wch_checksum_parse(wch_view_str(C), &want));
		int r = read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, &rec,
				 &res, &err);
		if (r)
			wt_fail(__FILE__, __LINE__, "%s: %s", path, err.msg);
		WT_OK(r);
		WT_STREQ(wch_checksum_format(&res.identity, q1), C);
		WT_EQ(res.file_size, S);
		WT_EQ(res.file_size, apk.len);
		WT_STREQ(res.pkg->name, P);
		WT_STREQ(res.pkg->version, V);
		WT_TRUE(res.trusted && res.signature_ok && res.datahash_ok && res.complete);
		WT_EQ(rec.control_calls, 1);
		WT_TRUE(rec.control_before_entries);
		WT_EQ(rec.entries, rec.entry_ends);
		/* identity = SHA-1 of member 2, datahash = SHA-256 of member 3 */
		nm = split_members((unsigned char *)apk.p, apk.len, offs);
		WT_EQ(nm, 3);
		WT_OK(wch_digest(WCH_HASH_SHA1, apk.p + offs[1], offs[2] - offs[1], d));
		WT_MEMEQ(d, want.d, 20);
		WT_OK(wch_digest(WCH_HASH_SHA256, apk.p + offs[2], offs[3] - offs[2], d));
		WT_MEMEQ(d, res.data_sha256, 32);
		WT_MEMEQ(d, res.pkg->datahash, 32);
		/* The entries passed on are GNU tar's listing minus dot names. */
		snprintf(cmd, sizeof(cmd),
			 "tar -tzf '%s' 2>/dev/null | grep -v '^\\.' | sed 's,/$,,'", path);
		f = popen(cmd, "r");
		WT_TRUE(f != NULL);
		wch_buf_reset(&gnu);
		while (fgets(line, sizeof(line), f))
			wch_buf_addstr(&gnu, line);
		pclose(f);
		WT_EQ(rec.names.len, gnu.len);
		WT_TRUE(rec.names.len == 0 || memcmp(rec.names.p, gnu.p, gnu.len) == 0);
		WT_EQ(res.nfiles, (size_t)rec.entries);
		wch_buf_release(&rec.names);
		wch_arena_release(&a);
		checked++;
		P[0] = V[0] = C[0] = 0;
	}
	WT_EQ(checked, 100);
	wch_buf_release(&idx);
	wch_buf_release(&apk);
	wch_buf_release(&gnu);
	wch_keyring_release(&kr);
}

static struct wch_keyring all_keys = WCH_KEYRING_INIT;
static int all_checked, all_failed;

static int check_one_fixture(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;
	size_t offs[MAX_MEMBERS + 1], nm, len = strlen(path);
	unsigned char d[32];

	(void)st;
	(void)ftw;
	if (flag != FTW_F || len < 4 || strcmp(path + len - 4, ".apk"))
		return 0;
	all_checked++;
	if (slurp(path, &apk) || read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &all_keys, NULL,
					  &a, NULL, &res, &err)) {
		fprintf(stderr, "  %s: %s\n", path, err.msg);
		all_failed++;
		goto out;
	}
	/* Independent: identity is SHA-1 of the member after the signature. */
	nm = split_members((unsigned char *)apk.p, apk.len, offs);
	if (nm < 3 || wch_digest(WCH_HASH_SHA1, apk.p + offs[1], offs[2] - offs[1], d) ||
	    memcmp(d, res.identity.d, 20) || !res.trusted || !res.complete ||
	    (res.pkg->has_datahash &&
	     (wch_digest(WCH_HASH_SHA256, apk.p + offs[2], apk.len - offs[2], d) ||
	      memcmp(d, res.pkg->datahash, 32)))) {
		fprintf(stderr, "  %s: independent check differs (%zu members)\n", path, nm);
		all_failed++;
	}
out:
	wch_arena_release(&a);
	wch_buf_release(&apk);
	return 0;
}

static void t_every_fixture_apk_verifies(void)
{
	load_all_keys(&all_keys);
	WT_TRUE(all_keys.n >= 21);
	WT_OK(nftw(wt_fixture("alpine"), check_one_fixture, 16, FTW_PHYS));
	WT_EQ(all_failed, 0);
	WT_TRUE(all_checked >= 298);
	wch_keyring_release(&all_keys);
}

static const char *busybox(void)
{
	return wt_fixture(ISO "/busybox-1.36.1-r15.apk");
}

static void t_identity_mode(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg_read_result res, res2;
	struct wch_checksum id;
	struct wch_err err;

	WT_OK(slurp(busybox(), &apk));
	/* Signature mode computes the identity; identity mode (no keys at all,
	 * .SIGN skipped) must accept exactly that one. */
	struct wch_keyring kr = WCH_KEYRING_INIT;
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err));
	wch_keyring_release(&kr);
	id = res.identity;
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_IDENTITY, NULL, &id, &a, NULL, &res2, &err));
	WT_TRUE(res2.trusted && !res2.signature_ok && res2.complete);
	WT_EQ(res2.nsignatures, 1);
	id.d[7] ^= 1;
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_IDENTITY, NULL, &id, &a, NULL, &res2, &err),
	      -WCH_E_INTEGRITY);
	WT_TRUE(strstr(err.msg, "identity mismatch") != NULL);
	wch_arena_release(&a);
	wch_buf_release(&apk);
}

static void t_untrusted_vs_allowed(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;

	WT_OK(slurp(busybox(), &apk));
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err),
	      -WCH_E_SIG_UNTRUSTED);
	WT_STREQ(err.msg, "untrusted signature: no key "
			  "'alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub' in keys dir");
	/* A different, valid key is still "untrusted", never "invalid". */
	WT_OK(wch_keyring_load_file(&kr,
				    wt_fixture("alpine/keys/alpine-devel@lists.alpinelinux"
					       ".org-58199dcc.rsa.pub"),
				    NULL));
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err),
	      -WCH_E_SIG_UNTRUSTED);
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_NONE, &kr, NULL, &a, NULL, &res, &err));
	WT_TRUE(!res.trusted && !res.signature_ok && res.datahash_ok && res.complete);
	WT_STREQ(res.sig_type, "RSA");
	WT_STREQ(res.sig_key, "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub");
	wch_keyring_release(&kr);
	wch_arena_release(&a);
	wch_buf_release(&apk);
}

static void t_unsigned_real_package(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;
	size_t offs[MAX_MEMBERS + 1];
	unsigned char d[20];

	WT_OK(slurp(busybox(), &apk));
	WT_EQ(split_members((unsigned char *)apk.p, apk.len, offs), 3);
	const char *p = apk.p + offs[1];
	size_t n = apk.len - offs[1];
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));
	WT_EQ(read_pkg(p, n, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err),
	      -WCH_E_SIG_UNTRUSTED);
	WT_STREQ(err.msg, "untrusted: package is not signed");
	WT_OK(read_pkg(p, n, WCH_PKG_VERIFY_NONE, &kr, NULL, &a, NULL, &res, &err));
	WT_TRUE(!res.trusted && res.datahash_ok && res.nsignatures == 0);
	WT_STREQ(res.sig_type, "");
	WT_OK(wch_digest(WCH_HASH_SHA1, p, offs[2] - offs[1], d));
	WT_MEMEQ(res.identity.d, d, 20);
	WT_EQ(res.file_size, n);
	wch_keyring_release(&kr);
	wch_arena_release(&a);
	wch_buf_release(&apk);
}

/* One byte flipped in each member's gzip header OS field (byte 9): gzip
 * ignores it, so only the hashes can notice. */
static void t_tamper_real_package(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;
	size_t offs[MAX_MEMBERS + 1], cut;

	WT_OK(slurp(busybox(), &apk));
	WT_EQ(split_members((unsigned char *)apk.p, apk.len, offs), 3);
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));

	apk.p[offs[1] + 9] ^= 0x01;
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err),
	      -WCH_E_SIG_INVALID);
	WT_TRUE(strstr(err.msg, "bad signature (key alpine-devel@lists.alpinelinux.org-6165ee59"
				".rsa.pub, RSA)") != NULL);
	/* --allow-untrusted does not excuse a bad signature from a known key */
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_NONE, &kr, NULL, &a, NULL, &res, &err),
	      -WCH_E_SIG_INVALID);
	apk.p[offs[1] + 9] ^= 0x01;

	apk.p[offs[2] + 9] ^= 0x01;
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err),
	      -WCH_E_INTEGRITY);
	WT_TRUE(strncmp(err.msg, "datahash mismatch", 17) == 0);
	apk.p[offs[2] + 9] ^= 0x01;

	/* a byte inside the compressed data */
	apk.p[offs[2] + (offs[3] - offs[2]) / 2] ^= 0x55;
	WT_TRUE(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res,
			 &err) < 0);
	/* whichever notices first: inflate, the file's SHA-1 or the datahash */
	if (strncmp(err.msg, "data part: gzip", 15) && !strstr(err.msg, "SHA-1 mismatch") &&
	    !strstr(err.msg, "datahash mismatch"))
		wt_fail(__FILE__, __LINE__, "got: %s", err.msg);
	apk.p[offs[2] + (offs[3] - offs[2]) / 2] ^= 0x55;

	/* truncation anywhere, including exactly at member boundaries */
	const size_t cuts[] = {0, 10, offs[1], offs[1] + 100, offs[2], offs[2] + 1000, apk.len - 1};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		cut = cuts[i];
		int r =
		    read_pkg(apk.p, cut, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err);
		if (r == 0 || (!strstr(err.msg, "truncated") && !strstr(err.msg, "empty input")))
			wt_fail(__FILE__, __LINE__, "cut %zu: %d %s", cut, r, err.msg);
		WT_TRUE(r < 0);
	}
	/* untouched it still verifies */
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res, &err));
	wch_keyring_release(&kr);
	wch_arena_release(&a);
	wch_buf_release(&apk);
}

static void t_callbacks(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;
	struct rec rec = {WCH_BUF_INIT, 0, 0, 0, false, 7, -1};

	WT_OK(slurp(busybox(), &apk));
	/* partial reads inside entry(): the rest is drained and still checked */
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_NONE, NULL, NULL, &a, &rec, &res, &err));
	WT_TRUE(rec.entries > 5 && rec.entries == rec.entry_ends);
	WT_TRUE(strstr(rec.names.p, "bin/busybox\n") != NULL);
	WT_TRUE(res.nscripts >= 1);
	WT_STREQ(res.scripts[0].name, ".post-install");
	{
		/* the script bytes as GNU tar extracts them */
		struct wch_buf want = WCH_BUF_INIT;
		char cmd[4200], buf[4096];
		size_t got;
		snprintf(cmd, sizeof(cmd), "tar -xzOf '%s' .post-install 2>/dev/null", busybox());
		FILE *f = popen(cmd, "r");
		WT_TRUE(f != NULL);
		while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
			wch_buf_add(&want, buf, got);
		pclose(f);
		WT_EQ(res.scripts[0].len, want.len);
		WT_TRUE(want.len > 0 && memcmp(res.scripts[0].data, want.p, want.len) == 0);
		wch_buf_release(&want);
	}
	/* a failing callback aborts with its code and message */
	wch_buf_release(&rec.names);
	rec = (struct rec){WCH_BUF_INIT, 0, 0, 0, false, 0, 2};
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_NONE, NULL, NULL, &a, &rec, &res, &err),
	      -ECANCELED);
	WT_TRUE(strncmp(err.msg, "stop at '", 9) == 0);
	WT_EQ(rec.entries, 2);
	wch_buf_release(&rec.names);
	wch_arena_release(&a);
	wch_buf_release(&apk);
}

/* ---- packages built here ---- */

struct sfile {
	const char *name;
	char type;
	const char *data; /* content, or link target */
	int sum;	  /* 0 right SHA-1, 1 none, 2 wrong */
};

struct spkg {
	const struct sfile *files;
	size_t nfiles;
	bool legacy;	  /* no datahash: signature over control + data */
	bool control_eof; /* leave the end-of-archive blocks in the control tar */
	const struct wch_privkey *key;
};

static int tar_to(struct wch_buf *tarbuf, const struct wch_tar_hdr *h, size_t nh,
		  const char *const *data, bool eof)
{
	struct wch_tar_writer *tw;
	int r = wch_tar_writer_new(&tw, wch_writer_buf(tarbuf), WCH_TAR_STYLE_APK, NULL);

	for (size_t i = 0; r == 0 && i < nh; i++)
		r = wch_tar_write_file(tw, &h[i], data[i], NULL);
	if (r == 0)
		r = wch_tar_finish(tw, eof, NULL);
	wch_tar_writer_free(tw);
	return r;
}

static int build(const struct spkg *s, struct wch_buf *out)
{
	struct wch_buf t = WCH_BUF_INIT, dz = WCH_BUF_INIT, cz = WCH_BUF_INIT, sz = WCH_BUF_INIT;
	struct wch_buf info = WCH_BUF_INIT, sig = WCH_BUF_INIT, both = WCH_BUF_INIT;
	struct wch_tar_hdr h[16];
	const char *data[16];
	unsigned char sums[16][20], d[64];
	char hex[65], signame[256];
	int r = -1;

	memset(h, 0, sizeof(h));
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct sfile *f = &s->files[i];
		h[i].name = f->name;
		h[i].type = f->type;
		h[i].mode = f->type == WCH_TAR_DIR ? 0755 : 0644;
		h[i].uname = h[i].gname = "root";
		h[i].mtime = 1700000000;
		data[i] = NULL;
		if (f->type == WCH_TAR_REG) {
			h[i].size = strlen(f->data);
			data[i] = f->data;
		} else if (f->type == WCH_TAR_SYMLINK) {
			h[i].link = f->data;
		}
		if (f->type == WCH_TAR_REG || f->type == WCH_TAR_SYMLINK) {
			wch_digest(WCH_HASH_SHA1, f->data, strlen(f->data), sums[i]);
			sums[i][0] ^= f->sum == 2;
			h[i].sha1 = f->sum == 1 ? NULL : sums[i];
		}
	}
	if (tar_to(&t, h, s->nfiles, data, true) || gzip_buf(t.p, t.len, &dz))
		goto out;
	wch_buf_addstr(&info, "pkgname = synth\npkgver = 1.0-r0\narch = noarch\nsize = 10\n"
			      "pkgdesc = a \"test\" package\ndepend = so:libc.musl-x86_64.so.1\n");
	if (!s->legacy) {
		wch_digest(WCH_HASH_SHA256, dz.p, dz.len, d);
		wch_hex_encode(d, 32, hex);
		wch_buf_addf(&info, "datahash = %s\n", hex);
	}
	struct wch_tar_hdr ch[2] = {{0}, {0}};
	const char *cdata[2] = {info.p, "#!/bin/sh\necho hi\n"};
	ch[0].name = ".PKGINFO";
	ch[0].type = WCH_TAR_REG;
	ch[0].mode = 0644;
	ch[0].size = info.len;
	ch[1].name = ".post-install";
	ch[1].type = WCH_TAR_REG;
	ch[1].mode = 0755;
	ch[1].size = strlen(cdata[1]);
	wch_buf_reset(&t);
	if (tar_to(&t, ch, 2, cdata, s->control_eof) || gzip_buf(t.p, t.len, &cz))
		goto out;
	if (s->key) {
		wch_buf_add(&both, cz.p, cz.len);
		if (s->legacy)
			wch_buf_add(&both, dz.p, dz.len);
		wch_digest(WCH_HASH_SHA256, both.p, both.len, d);
		if (wch_sign_digest(s->key, WCH_HASH_SHA256, d, 32, &sig, NULL))
			goto out;
		struct wch_tar_hdr sh = {0};
		const char *sdata = sig.p;
		snprintf(signame, sizeof(signame), ".SIGN.RSA256.%s", s->key->pubname);
		sh.name = signame;
		sh.type = WCH_TAR_REG;
		sh.mode = 0644;
		sh.size = sig.len;
		wch_buf_reset(&t);
		if (tar_to(&t, &sh, 1, &sdata, false) || gzip_buf(t.p, t.len, &sz))
			goto out;
	}
	wch_buf_reset(out);
	wch_buf_add(out, sz.p, sz.len);
	wch_buf_add(out, cz.p, cz.len);
	wch_buf_add(out, dz.p, dz.len);
	r = 0;
out:
	wch_buf_release(&t);
	wch_buf_release(&dz);
	wch_buf_release(&cz);
	wch_buf_release(&sz);
	wch_buf_release(&info);
	wch_buf_release(&sig);
	wch_buf_release(&both);
	return r;
}

static struct wch_privkey test_key;
static struct wch_keyring test_ring = WCH_KEYRING_INIT;

static bool have_test_key(void)
{
	char priv[4096], pub[4200];

	if (test_key.pkey)
		return true;
	snprintf(priv, sizeof(priv), "%s/synth.rsa", wt_tmpdir());
	snprintf(pub, sizeof(pub), "%s.pub", priv);
	return wch_keygen_rsa(priv, 2048, NULL) == 0 &&
	       wch_privkey_load(&test_key, priv, NULL) == 0 &&
	       wch_keyring_load_file(&test_ring, pub, NULL) == 0;
}

static const struct sfile good_files[] = {
    {"usr", WCH_TAR_DIR, NULL, 0},
    {"usr/bin", WCH_TAR_DIR, NULL, 0},
    {"usr/bin/x", WCH_TAR_REG, "#!/bin/sh\nexit 0\n", 0},
    {"usr/bin/y", WCH_TAR_SYMLINK, "x", 0},
    {".hidden", WCH_TAR_REG, "apk ignores me", 0},
};

static void t_synth_signed_and_legacy(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;
	struct rec rec = {WCH_BUF_INIT, 0, 0, 0, false, 0, -1};
	struct spkg s = {good_files, 5, false, false, NULL};
	size_t offs[MAX_MEMBERS + 1];
	unsigned char d[20];

	WT_TRUE(have_test_key());
	s.key = &test_key;
	WT_OK(build(&s, &apk));
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &test_ring, NULL, &a, &rec, &res,
		       &err));
	WT_TRUE(res.signature_ok && res.datahash_ok && !res.legacy);
	WT_STREQ(res.sig_type, "RSA256");
	WT_STREQ(res.sig_key, "synth.rsa.pub");
	WT_STREQ(rec.names.p, "usr\nusr/bin\nusr/bin/x\nusr/bin/y\n");
	WT_EQ(res.nignored, 1);
	WT_EQ(res.data_bytes, strlen(good_files[2].data) + strlen(good_files[4].data));
	WT_STREQ(res.pkg->description, "a \"test\" package");
	WT_EQ(res.nscripts, 1);
	WT_EQ(res.scripts[0].mode, 0755);
	wch_buf_release(&rec.names);

	/* legacy (§2.3): no datahash; signature and identity over C || D */
	s.legacy = true;
	WT_OK(build(&s, &apk));
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &test_ring, NULL, &a, NULL, &res,
		       &err));
	WT_TRUE(res.legacy && res.signature_ok && res.complete);
	WT_EQ(split_members((unsigned char *)apk.p, apk.len, offs), 3);
	WT_OK(wch_digest(WCH_HASH_SHA1, apk.p + offs[1], apk.len - offs[1], d));
	WT_MEMEQ(res.identity.d, d, 20);
	/* ... so touching the data member breaks the signature */
	apk.p[offs[2] + 9] ^= 1;
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &test_ring, NULL, &a, NULL, &res,
		       &err),
	      -WCH_E_SIG_INVALID);
	WT_TRUE(strstr(err.msg, "bad signature (key synth.rsa.pub, RSA256)") != NULL);
	/* unsigned legacy accepted with --allow-untrusted */
	s.key = NULL;
	WT_OK(build(&s, &apk));
	WT_OK(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_NONE, NULL, NULL, &a, NULL, &res, &err));
	WT_OK(wch_digest(WCH_HASH_SHA1, apk.p, apk.len, d));
	WT_MEMEQ(res.identity.d, d, 20);
	wch_arena_release(&a);
	wch_buf_release(&apk);
}

static void expect_synth_error(const struct sfile *files, size_t n, bool control_eof, int code,
			       const char *msg)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;
	struct spkg s = {files, n, false, control_eof, NULL};

	WT_OK(build(&s, &apk));
	WT_EQ(read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_NONE, NULL, NULL, &a, NULL, &res, &err),
	      code);
	WT_STREQ(err.msg, msg);
	wch_arena_release(&a);
	wch_buf_release(&apk);
}

static void t_synth_broken(void)
{
	const struct sfile bad_sum[] = {{"x", WCH_TAR_REG, "content", 2}};
	const struct sfile no_sum[] = {{"x", WCH_TAR_REG, "content", 1}};
	const struct sfile bad_link[] = {{"l", WCH_TAR_SYMLINK, "target", 2}};
	const struct sfile up[] = {{"../etc/passwd", WCH_TAR_REG, "root::0:0::/:/bin/sh", 0}};
	const struct sfile dot[] = {{"./etc", WCH_TAR_DIR, NULL, 0}};
	const struct sfile mid[] = {{"a/../../b", WCH_TAR_DIR, NULL, 0}};

	expect_synth_error(bad_sum, 1, false, -WCH_E_INTEGRITY, "file 'x': SHA-1 mismatch");
	expect_synth_error(no_sum, 1, false, -WCH_E_INTEGRITY, "file 'x': no checksum record");
	expect_synth_error(bad_link, 1, false, -WCH_E_INTEGRITY, "file 'l': SHA-1 mismatch");
	expect_synth_error(up, 1, false, -WCH_E_UNSAFE_PATH,
			   "data entry '../etc/passwd': unsafe path");
	expect_synth_error(dot, 1, false, -WCH_E_UNSAFE_PATH, "data entry './etc': unsafe path");
	expect_synth_error(mid, 1, false, -WCH_E_UNSAFE_PATH,
			   "data entry 'a/../../b': unsafe path");
	expect_synth_error(good_files, 3, true, -WCH_E_FORMAT,
			   "BAD archive: end-of-archive blocks in control part");
}

/* Hostile input: every single-byte corruption of a small real package is
 * rejected, never a crash (this runs under ASan in CI) -- except inside the
 * signature member, which no hash covers (§2.2): there, bytes that inflate
 * ignores (gzip mtime/xfl/os, unused Huffman code lengths) may change. */
static void t_bitflip_every_byte(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_pkg_read_result res;
	struct wch_err err;
	size_t offs[MAX_MEMBERS + 1], i, bad = 0;

	WT_OK(slurp(wt_fixture(ISO "/alpine-base-3.19.1-r0.apk"), &apk));
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));
	WT_EQ(split_members((unsigned char *)apk.p, apk.len, offs), 3);
	for (i = 0; i < apk.len; i++) {
		apk.p[i] ^= 0x20;
		if (read_pkg(apk.p, apk.len, WCH_PKG_VERIFY_SIGNATURE, &kr, NULL, &a, NULL, &res,
			     &err) == 0 &&
		    i >= offs[1]) {
			fprintf(stderr, "  flip at %zu (control/data) accepted\n", i);
			bad++;
		}
		apk.p[i] ^= 0x20;
		wch_arena_release(&a);
	}
	wch_keyring_release(&kr);
	wch_buf_release(&apk);
	WT_EQ(bad, 0);
}

/* The whole-file path (libdeflate per member) against the streaming one:
 * every fixture package verifies in both, and for every single-byte flip
 * of a real package both give the same verdict and the same message. */
static void t_every_fixture_apk_verifies_in_memory(void)
{
	mem_mode = true;
	t_every_fixture_apk_verifies();
	mem_mode = false;
}

static int read_both(const struct wch_buf *apk, const struct wch_keyring *kr, size_t at)
{
	struct wch_arena a1 = WCH_ARENA_INIT, a2 = WCH_ARENA_INIT;
	struct wch_pkg_read_result r1, r2;
	struct rec c1 = {.fail_at = -1}, c2 = {.fail_at = -1};
	struct wch_err e1, e2;
	int x1, x2, bad;

	mem_mode = false;
	x1 = read_pkg(apk->p, apk->len, WCH_PKG_VERIFY_SIGNATURE, kr, NULL, &a1, &c1, &r1, &e1);
	mem_mode = true;
	x2 = read_pkg(apk->p, apk->len, WCH_PKG_VERIFY_SIGNATURE, kr, NULL, &a2, &c2, &r2, &e2);
	mem_mode = false;
	bad = x1 != x2 || (x1 && strcmp(e1.msg, e2.msg)) || c1.entries != c2.entries ||
	      c1.control_calls != c2.control_calls || r1.nfiles != r2.nfiles ||
	      r1.file_size != r2.file_size || r1.complete != r2.complete;
	if (bad)
		wt_fail(__FILE__, __LINE__,
			"flip at %zu: stream %d '%s' (%d entries), mem %d '%s' (%d)", at, x1,
			e1.msg, c1.entries, x2, e2.msg, c2.entries);
	wch_buf_release(&c1.names);
	wch_buf_release(&c2.names);
	wch_arena_release(&a1);
	wch_arena_release(&a2);
	return bad;
}

static void t_memory_mode_same_verdicts(void)
{
	struct wch_buf apk = WCH_BUF_INIT;
	struct wch_keyring kr = WCH_KEYRING_INIT;
	size_t i;

	WT_OK(slurp(wt_fixture(ISO "/alpine-base-3.19.1-r0.apk"), &apk));
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));
	WT_OK(read_both(&apk, &kr, SIZE_MAX));
	for (i = 0; i < apk.len; i++) {
		apk.p[i] ^= 0x20;
		int bad = read_both(&apk, &kr, i);
		apk.p[i] ^= 0x20;
		WT_OK(bad);
	}
	/* Truncated anywhere. */
	for (i = 0; i < apk.len; i += 7) {
		size_t n = apk.len;
		apk.len = i;
		int bad = read_both(&apk, &kr, i);
		apk.len = n;
		WT_OK(bad);
	}
	wch_keyring_release(&kr);
	wch_buf_release(&apk);
}

/* wch_package_read_fd() reads a regular file whole, and a pipe as a stream. */
static void t_read_fd_file_and_pipe(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_pkg_read_opts o = {0};
	struct wch_pkg_read_result res;
	struct wch_err err;
	char cmd[4200];
	FILE *f;
	int fd;

	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));
	o.mode = WCH_PKG_VERIFY_SIGNATURE;
	o.keys = &kr;
	o.arena = &a;
	fd = open(busybox(), O_RDONLY);
	WT_TRUE(fd >= 0);
	WT_OK(wch_package_read_fd(fd, &o, &res, &err));
	close(fd);
	WT_TRUE(res.complete && res.nfiles > 10 && res.datahash_ok);
	snprintf(cmd, sizeof(cmd), "cat '%s'", busybox());
	f = popen(cmd, "r");
	WT_TRUE(f != NULL);
	WT_OK(wch_package_read_fd(fileno(f), &o, &res, &err));
	pclose(f);
	WT_TRUE(res.complete && res.nfiles > 10 && res.datahash_ok);
	wch_arena_release(&a);
	wch_keyring_release(&kr);
}

static void t_path_safe(void)
{
	WT_TRUE(wch_package_path_safe("usr/bin/x"));
	WT_TRUE(wch_package_path_safe("a..b/.c/..d"));
	WT_TRUE(!wch_package_path_safe(""));
	WT_TRUE(!wch_package_path_safe("/etc"));
	WT_TRUE(!wch_package_path_safe("./etc"));
	WT_TRUE(!wch_package_path_safe("../etc"));
	WT_TRUE(!wch_package_path_safe("a/./b"));
	WT_TRUE(!wch_package_path_safe("a/.."));
	WT_TRUE(!wch_package_path_safe("a//b"));
	WT_TRUE(!wch_package_path_safe("a/b/"));
	WT_TRUE(!wch_package_path_safe("a\nb"));
}

static void t_release_key(void)
{
	wch_privkey_release(&test_key);
	wch_keyring_release(&test_ring);
}

WT_MAIN(WT(t_iso_repo_against_index_and_gnu_tar), WT(t_every_fixture_apk_verifies),
	WT(t_identity_mode), WT(t_untrusted_vs_allowed), WT(t_unsigned_real_package),
	WT(t_tamper_real_package), WT(t_callbacks), WT(t_synth_signed_and_legacy),
	WT(t_synth_broken), WT(t_bitflip_every_byte), WT(t_every_fixture_apk_verifies_in_memory),
	WT(t_memory_mode_same_verdicts), WT(t_read_fd_file_and_pipe), WT(t_path_safe),
	WT(t_release_key))
