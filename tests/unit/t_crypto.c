/*
 * Tests for src/crypto: digests, encodings, checksums, keys, signatures.
 *
 * Expected values come from published vectors (FIPS 180, RFC 1321, RFC
 * 4648), from the openssl/sha256sum command line tools, and from Alpine's
 * own signed fixtures (a real APKINDEX's C: fields and real .SIGN entries).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "crypto/hash.h"
#include "crypto/key.h"
#include "wt.h"

#define ABC_SHA1   "a9993e364706816aba3e25717850c26c9cd0d89d"
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA512                                                                                 \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"                         \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define ABC_MD5 "900150983cd24fb0d6963f7d28e17f72"
/* printf abc | openssl dgst -sha1 -binary | base64 */
#define ABC_SHA1_B64 "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="

#define REPO	"alpine/apks/x86_64/alpine-3.19.1-iso-boot"
#define KEY6165 "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"

static const char *hex_of(const unsigned char *p, size_t n)
{
	static char out[2 * WCH_HASH_MAX + 1];
	wch_hex_encode(p, n, out);
	return out;
}

static void t_digest_vectors(void)
{
	unsigned char d[WCH_HASH_MAX];

	WT_OK(wch_digest(WCH_HASH_SHA1, "abc", 3, d));
	WT_STREQ(hex_of(d, 20), ABC_SHA1);
	WT_OK(wch_digest(WCH_HASH_SHA256, "abc", 3, d));
	WT_STREQ(hex_of(d, 32), ABC_SHA256);
	WT_OK(wch_digest(WCH_HASH_SHA512, "abc", 3, d));
	WT_STREQ(hex_of(d, 64), ABC_SHA512);
	WT_OK(wch_digest(WCH_HASH_MD5, "abc", 3, d));
	WT_STREQ(hex_of(d, 16), ABC_MD5);
	WT_OK(wch_digest(WCH_HASH_SHA1, "", 0, d));
	WT_STREQ(hex_of(d, 20), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	WT_EQ(wch_hash_len(WCH_HASH_SHA1), 20);
	WT_EQ(wch_hash_len(WCH_HASH_SHA256), 32);
	WT_EQ(wch_hash_len(WCH_HASH_SHA512), 64);
	WT_EQ(wch_hash_len(WCH_HASH_MD5), 16);
	WT_STREQ(wch_hash_name(WCH_HASH_SHA256), "SHA256");
}

static void t_hash_reuse(void)
{
	struct wch_hash h = {0};
	unsigned char d[WCH_HASH_MAX];
	size_t i;

	WT_OK(wch_hash_init(&h, WCH_HASH_SHA1));
	wch_hash_update(&h, "something else", 14);
	WT_EQ(wch_hash_final(&h, d), 20);
	/* The same context, finalised, serves again, also for another alg. */
	WT_OK(wch_hash_init(&h, WCH_HASH_SHA1));
	wch_hash_update(&h, "a", 1);
	wch_hash_update(&h, "", 0);
	wch_hash_update(&h, "bc", 2);
	WT_EQ(wch_hash_final(&h, d), 20);
	WT_STREQ(hex_of(d, 20), ABC_SHA1);
	WT_OK(wch_hash_init(&h, WCH_HASH_SHA256));
	for (i = 0; i < 3; i++)
		wch_hash_update(&h, "abc" + i, 1);
	WT_EQ(wch_hash_final(&h, d), 32);
	WT_STREQ(hex_of(d, 32), ABC_SHA256);
	WT_OK(wch_hash_init(&h, WCH_HASH_SHA512));
	wch_hash_update(&h, "abc", 3);
	WT_EQ(wch_hash_final(&h, d), 64);
	WT_STREQ(hex_of(d, 64), ABC_SHA512);
	wch_hash_release(&h);
	WT_TRUE(h.ctx == NULL);
	wch_hash_release(&h); /* twice is harmless */
}

static int read_whole(const char *path, struct wch_buf *b)
{
	return wch_read_file_at(AT_FDCWD, path, b, 64u << 20, NULL);
}

/* Runs a shell command and returns its first output line (static). */
static const char *run_line(const char *cmd)
{
	static char line[4096];
	FILE *f = popen(cmd, "r");

	line[0] = 0;
	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	line[strcspn(line, "\n")] = 0;
	if (pclose(f) != 0)
		return NULL;
	return line;
}

/* Hashing a whole real package in odd-sized pieces equals sha256sum. */
static void t_hash_file_vs_sha256sum(void)
{
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_hash h = {0};
	unsigned char d[32];
	char cmd[4096];
	const char *path = wt_fixture(REPO "/busybox-1.36.1-r15.apk"), *want;
	size_t off, step = 1;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s' | cut -d' ' -f1", path);
	want = run_line(cmd);
	WT_TRUE(want && strlen(want) == 64);
	WT_OK(read_whole(path, &b));
	WT_OK(wch_hash_init(&h, WCH_HASH_SHA256));
	for (off = 0; off < b.len; off += step, step = step * 3 % 65537 + 1)
		wch_hash_update(&h, b.p + off, off + step > b.len ? b.len - off : step);
	wch_hash_final(&h, d);
	wch_hash_release(&h);
	wch_buf_release(&b);
	WT_STREQ(hex_of(d, 32), want);
}

static int failing_write(void *ctx, const void *buf, size_t n, struct wch_err *err)
{
	(void)ctx, (void)buf, (void)n;
	return wch_errf(err, -ENOSPC, "disk full");
}

static void t_hash_writer(void)
{
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_hash h1 = {0}, h2 = {0};
	struct wch_hash_writer hw = {0};
	struct wch_writer w;
	struct wch_err err;
	unsigned char d[WCH_HASH_MAX];

	WT_OK(wch_hash_init(&h1, WCH_HASH_SHA1));
	WT_OK(wch_hash_init(&h2, WCH_HASH_SHA256));
	hw.next = wch_writer_buf(&out);
	hw.h[0] = &h1;
	hw.h[1] = &h2;
	w = wch_hash_writer(&hw);
	WT_OK(wch_write(&w, "a", 1, NULL));
	WT_OK(wch_write(&w, "bc", 2, NULL));
	WT_EQ(hw.count, 3);
	WT_EQ(out.len, 3);
	WT_MEMEQ(out.p, "abc", 3);
	wch_hash_final(&h1, d);
	WT_STREQ(hex_of(d, 20), ABC_SHA1);
	wch_hash_final(&h2, d);
	WT_STREQ(hex_of(d, 32), ABC_SHA256);

	/* Without a next writer, bytes are only hashed and counted. */
	WT_OK(wch_hash_init(&h1, WCH_HASH_MD5));
	memset(&hw, 0, sizeof(hw));
	hw.h[1] = &h1;
	w = wch_hash_writer(&hw);
	WT_OK(wch_write(&w, "abc", 3, NULL));
	WT_EQ(hw.count, 3);
	wch_hash_final(&h1, d);
	WT_STREQ(hex_of(d, 16), ABC_MD5);

	/* The next writer's error comes back unchanged. */
	hw.next.write = failing_write;
	WT_EQ(wch_write(&w, "x", 1, &err), -ENOSPC);
	WT_STREQ(err.msg, "disk full");
	wch_hash_release(&h1);
	wch_hash_release(&h2);
	wch_buf_release(&out);
}

static void t_hex(void)
{
	unsigned char d[20], back[20];
	char hex[41];

	WT_TRUE(wch_hex_decode(ABC_SHA1, 40, d, 20));
	wch_hex_encode(d, 20, hex);
	WT_STREQ(hex, ABC_SHA1);
	WT_TRUE(wch_hex_decode("A9993E364706816ABA3E25717850C26C9CD0D89D", 40, back, 20));
	WT_MEMEQ(d, back, 20);
	WT_TRUE(!wch_hex_decode(ABC_SHA1, 39, d, 20));
	WT_TRUE(!wch_hex_decode("g9993e364706816aba3e25717850c26c9cd0d89d", 40, d, 20));
	WT_TRUE(!wch_hex_decode("a9993e36470681 aba3e25717850c26c9cd0d89d", 40, d, 20));
	WT_TRUE(wch_hex_decode("", 0, d, 0));
}

static void t_base64(void)
{
	static const char *const rfc[][2] = {{"", ""},
					     {"f", "Zg=="},
					     {"fo", "Zm8="},
					     {"foo", "Zm9v"},
					     {"foob", "Zm9vYg=="},
					     {"fooba", "Zm9vYmE="},
					     {"foobar", "Zm9vYmFy"}};
	static const char *const bad[] = {
	    "Zg=",  "Zg",	"Z===", "====",	    "Zg==Zg==", "Zh==",
	    "Zm9=", "Zm9v!A==", "=AAA", "Zm9vY=g=", "Zm 9",	"Zm9\nYmFy"};
	unsigned char raw[300], back[300];
	char enc[401];
	size_t i, n;

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		n = strlen(rfc[i][0]);
		WT_EQ(wch_base64_encode((const unsigned char *)rfc[i][0], n, enc),
		      strlen(rfc[i][1]));
		WT_STREQ(enc, rfc[i][1]);
		WT_EQ(wch_base64_decode(enc, strlen(enc), back), n);
		WT_MEMEQ(back, rfc[i][0], n);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (wch_base64_decode(bad[i], strlen(bad[i]), back) != -1) {
			wt_fail(__FILE__, __LINE__, "'%s' decoded", bad[i]);
			return;
		}
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7919 >> 3);
	for (n = 0; n <= sizeof(raw); n += 1 + n / 8) {
		size_t len = wch_base64_encode(raw, n, enc);
		WT_EQ(len, 4 * ((n + 2) / 3));
		WT_EQ(wch_base64_decode(enc, len, back), n);
		WT_MEMEQ(back, raw, n);
	}
}

static void t_checksum_parse(void)
{
	struct wch_checksum c;
	unsigned char want[20];
	char text[WCH_CHECKSUM_TEXT_MAX];

	WT_TRUE(wch_hex_decode(ABC_SHA1, 40, want, 20));
	WT_OK(wch_checksum_parse(wch_view_str("Q1" ABC_SHA1_B64), &c));
	WT_EQ(c.alg, WCH_HASH_SHA1);
	WT_EQ(c.len, 20);
	WT_MEMEQ(c.d, want, 20);
	WT_STREQ(wch_checksum_format(&c, text), "Q1" ABC_SHA1_B64);
	WT_STREQ(wch_q1_format(want, text), "Q1" ABC_SHA1_B64);

	WT_OK(wch_checksum_parse(wch_view_str("X1" ABC_SHA1), &c));
	WT_EQ(c.alg, WCH_HASH_SHA1);
	WT_MEMEQ(c.d, want, 20);
	WT_STREQ(wch_checksum_format(&c, text), "Q1" ABC_SHA1_B64); /* writer emits Q1 */

	WT_OK(wch_checksum_parse(wch_view_str(ABC_MD5), &c));
	WT_EQ(c.alg, WCH_HASH_MD5);
	WT_EQ(c.len, 16);
	WT_STREQ(wch_checksum_format(&c, text), ABC_MD5);

	/* A view need not be NUL-terminated where it ends. */
	WT_OK(wch_checksum_parse((struct wch_view){"Q1" ABC_SHA1_B64 "trailing", 30}, &c));
	WT_MEMEQ(c.d, want, 20);

	{
		static const char *const bad[] = {
		    "",
		    "Q1",
		    "Q1qZk+NkcGgWq6PiVxeFDCbJzQ2J0",		  /* 29 chars */
		    "Q1qZk+NkcGgWq6PiVxeFDCbJzQ2J0==",		  /* 31 */
		    "Q2qZk+NkcGgWq6PiVxeFDCbJzQ2J0=",		  /* not SHA-1 */
		    "Q1qZk+NkcGgWq6PiVxeFDCbJzQ2J0A",		  /* 21 bytes, no padding */
		    "Q1qZk+NkcGgWq6PiVxeFDCbJzQ2J!=",		  /* bad char */
		    "X1a9993e364706816aba3e25717850c26c9cd0d89",  /* 41 */
		    "X1g9993e364706816aba3e25717850c26c9cd0d89d", /* not hex */
		    "X2a9993e364706816aba3e25717850c26c9cd0d89d",
		    "900150983cd24fb0d6963f7d28e17f7",	/* 31 hex */
		    "900150983cd24fb0d6963f7d28e17f7g", /* not hex */
		    "g00150983cd24fb0d6963f7d28e17f72",
		    ABC_SHA1, /* bare 40 hex is no apk form */
		};
		size_t i;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (wch_checksum_parse(wch_view_str(bad[i]), &c) != -WCH_E_FORMAT) {
				wt_fail(__FILE__, __LINE__, "'%s' parsed", bad[i]);
				return;
			}
	}
}

/* --- real packages ------------------------------------------------------ */

/* Length of the gzip member at the start of p (apk-format §1.3), or 0. */
static size_t gzip_member_len(const unsigned char *p, size_t n, struct wch_buf *out)
{
	z_stream z;
	unsigned char tmp[16384];
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		r = inflate(&z, Z_NO_FLUSH);
		if (out && wch_buf_add(out, tmp, sizeof(tmp) - z.avail_out))
			r = Z_MEM_ERROR;
	} while (r == Z_OK);
	inflateEnd(&z);
	return r == Z_STREAM_END ? n - z.avail_in : 0;
}

/* Finds the first ".SIGN.<type>." entry in an uncompressed tar (ustar
 * header: name at 0, size in octal at 124). */
static bool find_sign_entry(const struct wch_buf *tar, char *name, size_t namecap,
			    struct wch_view *data)
{
	size_t off = 0;

	while (off + 512 <= tar->len && tar->p[off]) {
		char hdr_name[101], size_text[13];
		unsigned long size;
		memcpy(hdr_name, tar->p + off, 100);
		hdr_name[100] = 0;
		memcpy(size_text, tar->p + off + 124, 12);
		size_text[12] = 0;
		size = strtoul(size_text, NULL, 8);
		if (off + 512 + size > tar->len)
			return false;
		if (strncmp(hdr_name, ".SIGN.", 6) == 0) {
			snprintf(name, namecap, "%s", hdr_name);
			data->p = tar->p + off + 512;
			data->n = size;
			return true;
		}
		off += 512 + (size + 511) / 512 * 512;
	}
	return false;
}

/* Verifies the signature of a package or index (first member) over the
 * second member (SHA-1/256 by type) and yields the SHA-1 of that member. */
static int verify_signed_file(const struct wch_keyring *kr, const struct wch_buf *file,
			      unsigned char sha1[20], struct wch_err *err)
{
	struct wch_buf sigtar = WCH_BUF_INIT;
	const unsigned char *p = (const unsigned char *)file->p;
	const struct wch_pubkey *k;
	struct wch_view sig;
	enum wch_hash_alg alg;
	unsigned char d[WCH_HASH_MAX];
	char name[101];
	const char *keyname;
	size_t m1, m2;
	int r = -WCH_E_FORMAT;

	m1 = gzip_member_len(p, file->len, &sigtar);
	m2 = m1 ? gzip_member_len(p + m1, file->len - m1, NULL) : 0;
	if (!m2 || !find_sign_entry(&sigtar, name, sizeof(name), &sig))
		goto out;
	if (strncmp(name, ".SIGN.RSA.", 10) == 0) {
		alg = WCH_HASH_SHA1;
		keyname = name + 10;
	} else if (strncmp(name, ".SIGN.RSA256.", 13) == 0) {
		alg = WCH_HASH_SHA256;
		keyname = name + 13;
	} else {
		goto out;
	}
	k = wch_keyring_find(kr, keyname);
	if (!k) {
		r = -WCH_E_SIG_UNTRUSTED;
		goto out;
	}
	wch_digest(alg, p + m1, m2, d);
	r = wch_verify_digest(k, alg, d, wch_hash_len(alg), (const unsigned char *)sig.p, sig.n,
			      err);
	if (!r)
		wch_digest(WCH_HASH_SHA1, p + m1, m2, sha1);
	/* One bit off in the digest must break it. */
	if (!r) {
		d[7] ^= 0x10;
		if (wch_verify_digest(k, alg, d, wch_hash_len(alg), (const unsigned char *)sig.p,
				      sig.n, NULL) != -WCH_E_SIG_INVALID)
			r = -EINVAL;
	}
out:
	wch_buf_release(&sigtar);
	return r;
}

static void t_keyring_fixture_dir(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_err err;
	size_t i;

	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), &err));
	WT_EQ(wch_keyring_count(&kr), 18); /* historical/ is a directory and is skipped */
	WT_TRUE(wch_keyring_find(&kr, KEY6165) != NULL);
	WT_TRUE(wch_keyring_find(&kr, "alpine-devel@lists.alpinelinux.org-66ba20fe.rsa.pub"));
	WT_TRUE(wch_keyring_find(&kr, "alpine-devel@lists.alpinelinux.org-57a8ad0e.rsa.pub") ==
		NULL);
	for (i = 1; i < kr.n; i++)
		WT_TRUE(strcmp(kr.keys[i - 1].name, kr.keys[i].name) < 0);
	/* Loading again adds nothing: names are unique in a ring. */
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), &err));
	WT_EQ(wch_keyring_count(&kr), 18);
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys/historical"), &err));
	WT_EQ(wch_keyring_count(&kr), 20);
	wch_keyring_release(&kr);
	WT_EQ(kr.n, 0);

	WT_EQ(wch_keyring_load_dir(&kr, "/nonexistent/keys", &err), -ENOENT);
	WT_TRUE(strstr(err.msg, "'/nonexistent/keys'") != NULL);
	WT_EQ(wch_keyring_load_dir(&kr, wt_fixture(REPO "/APKINDEX.tar.gz"), &err), -ENOTDIR);
	WT_EQ(kr.n, 0);
}

/* Every package of the 3.19.1 boot repo: its .SIGN.RSA signature verifies
 * with the real key over its control member, and Q1 of that member is the
 * C: the signed APKINDEX gives for it (apk-format §2.2). */
static void t_real_packages(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_buf idx = WCH_BUF_INIT, file = WCH_BUF_INIT;
	struct wch_err err;
	unsigned char sha1[20];
	char cmd[4096], q1[31];
	const char *st;
	int checked = 0;
	FILE *f;

	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), &err));
	/* The index itself: signed over its second member. */
	WT_OK(read_whole(wt_fixture(REPO "/APKINDEX.tar.gz"), &file));
	WT_OK(verify_signed_file(&kr, &file, sha1, &err));

	snprintf(cmd, sizeof(cmd), "tar -xzOf '%s' APKINDEX", wt_fixture(REPO "/APKINDEX.tar.gz"));
	f = popen(cmd, "r");
	WT_TRUE(f != NULL);
	for (;;) {
		char tmp[65536];
		size_t got = fread(tmp, 1, sizeof(tmp), f);
		if (!got)
			break;
		WT_OK(wch_buf_add(&idx, tmp, got));
	}
	WT_EQ(pclose(f), 0);
	WT_TRUE(idx.len > 1000);

	for (st = idx.p; st && *st; st = strstr(st, "\n\n"), st = st ? st + 2 : NULL) {
		char c[64] = "", p[256] = "", v[256] = "", path[1024];
		const char *l;
		for (l = st; *l && *l != '\n'; l = strchr(l, '\n') + 1) {
			int len = (int)strcspn(l, "\n");
			if (l[0] == 'C' && l[1] == ':')
				snprintf(c, sizeof(c), "%.*s", len - 2, l + 2);
			else if (l[0] == 'P' && l[1] == ':')
				snprintf(p, sizeof(p), "%.*s", len - 2, l + 2);
			else if (l[0] == 'V' && l[1] == ':')
				snprintf(v, sizeof(v), "%.*s", len - 2, l + 2);
			if (!l[len])
				break;
		}
		if (!p[0])
			continue;
		snprintf(path, sizeof(path), "%s/%s-%s.apk", wt_fixture(REPO), p, v);
		wch_buf_reset(&file);
		WT_OK(read_whole(path, &file));
		if (verify_signed_file(&kr, &file, sha1, &err) != 0) {
			wt_fail(__FILE__, __LINE__, "%s: signature does not verify", path);
			return;
		}
		WT_STREQ(wch_q1_format(sha1, q1), c);
		checked++;
	}
	WT_EQ(checked, 100);
	wch_keyring_release(&kr);
	wch_buf_release(&idx);
	wch_buf_release(&file);
}

/* The same check with the wrong key gives invalid, not a crash. */
static void t_real_package_wrong_key(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_buf file = WCH_BUF_INIT, sigtar = WCH_BUF_INIT;
	const struct wch_pubkey *other;
	struct wch_view sig;
	unsigned char d[32];
	char name[101];
	size_t m1, m2;
	const unsigned char *p;

	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), NULL));
	WT_OK(read_whole(wt_fixture(REPO "/musl-1.2.4_git20230717-r4.apk"), &file));
	p = (const unsigned char *)file.p;
	m1 = gzip_member_len(p, file.len, &sigtar);
	m2 = gzip_member_len(p + m1, file.len - m1, NULL);
	WT_TRUE(m1 && m2);
	WT_TRUE(find_sign_entry(&sigtar, name, sizeof(name), &sig));
	WT_STREQ(name, ".SIGN.RSA." KEY6165);
	WT_OK(wch_digest(WCH_HASH_SHA1, p + m1, m2, d));
	WT_OK(wch_verify_digest(wch_keyring_find(&kr, KEY6165), WCH_HASH_SHA1, d, 20,
				(const unsigned char *)sig.p, sig.n, NULL));
	other = wch_keyring_find(&kr, "alpine-devel@lists.alpinelinux.org-66ba20fe.rsa.pub");
	WT_TRUE(other != NULL);
	WT_EQ(wch_verify_digest(other, WCH_HASH_SHA1, d, 20, (const unsigned char *)sig.p, sig.n,
				NULL),
	      -WCH_E_SIG_INVALID);
	/* Right key, right bytes, wrong algorithm claimed. */
	WT_OK(wch_digest(WCH_HASH_SHA256, p + m1, m2, d));
	WT_EQ(wch_verify_digest(wch_keyring_find(&kr, KEY6165), WCH_HASH_SHA256, d, 32,
				(const unsigned char *)sig.p, sig.n, NULL),
	      -WCH_E_SIG_INVALID);
	wch_keyring_release(&kr);
	wch_buf_release(&file);
	wch_buf_release(&sigtar);
}

/* --- keys and signatures ---------------------------------------------- */

/* A 2048-bit key made once per run by wch_keygen_rsa (keygen is slow). */
static const char *test_key(void)
{
	static char path[4200];

	if (!path[0]) {
		snprintf(path, sizeof(path), "%s/test.rsa", wt_tmpdir());
		if (wch_keygen_rsa(path, 2048, NULL) != 0)
			path[0] = 0;
	}
	return path[0] ? path : NULL;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int r = 0;

	if (!f)
		return -1;
	if (fwrite(p, 1, n, f) != n)
		r = -1;
	if (fclose(f) != 0)
		r = -1;
	return r;
}

static int sh(const char *fmt, const char *a, const char *b, const char *c)
{
	char cmd[16384];
	int st;

	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void t_keygen_sign_verify(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_privkey pk;
	struct wch_buf sig = WCH_BUF_INIT, pem = WCH_BUF_INIT, pubfile = WCH_BUF_INIT,
		       privfile = WCH_BUF_INIT, again = WCH_BUF_INIT;
	const struct wch_pubkey *k;
	struct wch_err err;
	unsigned char d[WCH_HASH_MAX];
	char pub[4300];
	struct stat st;
	const char *key = test_key();
	enum wch_hash_alg alg;

	WT_TRUE(key != NULL);
	snprintf(pub, sizeof(pub), "%s.pub", key);
	WT_OK(stat(key, &st));
	WT_EQ(st.st_mode & 07777, 0600);
	WT_OK(stat(pub, &st));
	WT_EQ(st.st_mode & 07777, 0644);
	WT_OK(read_whole(key, &privfile));
	WT_TRUE(strncmp(privfile.p, "-----BEGIN PRIVATE KEY-----\n", 28) == 0); /* PKCS#8 */
	WT_OK(read_whole(pub, &pubfile));
	WT_TRUE(strncmp(pubfile.p, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);

	/* Never overwritten: both names are refused and left as they were. */
	WT_EQ(wch_keygen_rsa(key, 2048, &err), -EEXIST);
	WT_TRUE(strstr(err.msg, "already exists") != NULL);
	WT_OK(read_whole(key, &again));
	WT_EQ(again.len, privfile.len);
	WT_MEMEQ(again.p, privfile.p, again.len);
	WT_EQ(wch_keygen_rsa(key, 512, &err), -EINVAL);
	WT_EQ(wch_keygen_rsa(key, 16385, &err), -EINVAL);

	WT_OK(wch_privkey_load(&pk, key, &err));
	WT_STREQ(pk.pubname, "test.rsa.pub");
	WT_STREQ(pk.path, key);
	WT_OK(wch_privkey_public_pem(&pk, &pem, &err));
	WT_EQ(pem.len, pubfile.len);
	WT_MEMEQ(pem.p, pubfile.p, pem.len);
	WT_OK(wch_keyring_load_file(&kr, pub, &err));
	k = wch_keyring_find(&kr, "test.rsa.pub");
	WT_TRUE(k != NULL);

	for (alg = WCH_HASH_SHA1; alg <= WCH_HASH_SHA512; alg++) {
		size_t dl = wch_hash_len(alg);
		wch_buf_reset(&sig);
		WT_OK(wch_digest(alg, "control.tar.gz bytes", 20, d));
		WT_OK(wch_sign_digest(&pk, alg, d, dl, &sig, &err));
		WT_EQ(sig.len, 256);
		WT_OK(wch_verify_digest(k, alg, d, dl, (unsigned char *)sig.p, sig.len, &err));
		sig.p[100] ^= 1;
		WT_EQ(wch_verify_digest(k, alg, d, dl, (unsigned char *)sig.p, sig.len, &err),
		      -WCH_E_SIG_INVALID);
		WT_TRUE(strstr(err.msg, "test.rsa.pub") != NULL);
		sig.p[100] ^= 1;
		d[0] ^= 1;
		WT_EQ(wch_verify_digest(k, alg, d, dl, (unsigned char *)sig.p, sig.len, NULL),
		      -WCH_E_SIG_INVALID);
		d[0] ^= 1;
		WT_EQ(wch_verify_digest(k, alg, d, dl, (unsigned char *)sig.p, sig.len - 1, NULL),
		      -WCH_E_SIG_INVALID);
		WT_EQ(wch_verify_digest(k, alg, d, dl, (unsigned char *)sig.p, 0, NULL),
		      -WCH_E_SIG_INVALID);
	}
	/* A signature is appended to what the buffer holds. */
	wch_buf_reset(&sig);
	WT_OK(wch_buf_addstr(&sig, "xyz"));
	WT_OK(wch_digest(WCH_HASH_SHA256, "abc", 3, d));
	WT_OK(wch_sign_digest(&pk, WCH_HASH_SHA256, d, 32, &sig, &err));
	WT_EQ(sig.len, 3 + 256);
	WT_OK(wch_verify_digest(k, WCH_HASH_SHA256, d, 32, (unsigned char *)sig.p + 3, 256, &err));
	/* A digest of the wrong length is refused, not signed. */
	WT_EQ(wch_sign_digest(&pk, WCH_HASH_SHA256, d, 20, &sig, &err), -EINVAL);
	WT_EQ(wch_sign_digest(&pk, WCH_HASH_MD5, d, 16, &sig, &err), -WCH_E_UNSUPPORTED);

	wch_privkey_release(&pk);
	wch_keyring_release(&kr);
	wch_buf_release(&sig);
	wch_buf_release(&pem);
	wch_buf_release(&pubfile);
	wch_buf_release(&privfile);
	wch_buf_release(&again);
}

/* Our signatures verify with `openssl dgst -verify`, openssl's with ours,
 * and both are byte-identical (PKCS#1 v1.5 is deterministic). */
static void t_openssl_cross_check(void)
{
	static const char data[] = "the compressed control member, say";
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_privkey pk;
	struct wch_buf sig = WCH_BUF_INIT, theirs = WCH_BUF_INIT;
	struct wch_err err;
	unsigned char d[32];
	char dir[4200], datap[4300], sigp[4300], theirsp[4300], pub[4300];
	const char *key = test_key();

	WT_TRUE(key != NULL);
	snprintf(dir, sizeof(dir), "%s/xcheck", wt_tmpdir());
	WT_OK(mkdir(dir, 0700));
	snprintf(datap, sizeof(datap), "%s/data", dir);
	snprintf(sigp, sizeof(sigp), "%s/ours.sig", dir);
	snprintf(theirsp, sizeof(theirsp), "%s/theirs.sig", dir);
	snprintf(pub, sizeof(pub), "%s.pub", key);
	WT_OK(write_file(datap, data, sizeof(data) - 1));

	WT_OK(wch_privkey_load(&pk, key, &err));
	WT_OK(wch_digest(WCH_HASH_SHA256, data, sizeof(data) - 1, d));
	WT_OK(wch_sign_digest(&pk, WCH_HASH_SHA256, d, 32, &sig, &err));
	WT_OK(write_file(sigp, sig.p, sig.len));
	WT_EQ(sh("openssl dgst -sha256 -verify '%s' -signature '%s' '%s' >/dev/null", pub, sigp,
		 datap),
	      0);
	/* openssl must also be able to say no. */
	WT_TRUE(sh("openssl dgst -sha1 -verify '%s' -signature '%s' '%s' >/dev/null 2>&1", pub,
		   sigp, datap) != 0);

	WT_EQ(sh("openssl dgst -sha1 -sign '%s' -out '%s' '%s'", key, theirsp, datap), 0);
	WT_OK(read_whole(theirsp, &theirs));
	WT_OK(wch_keyring_load_file(&kr, pub, &err));
	WT_OK(wch_digest(WCH_HASH_SHA1, data, sizeof(data) - 1, d));
	WT_OK(wch_verify_digest(&kr.keys[0], WCH_HASH_SHA1, d, 20, (unsigned char *)theirs.p,
				theirs.len, &err));
	wch_buf_reset(&sig);
	WT_OK(wch_sign_digest(&pk, WCH_HASH_SHA1, d, 20, &sig, &err));
	WT_EQ(sig.len, theirs.len);
	WT_MEMEQ(sig.p, theirs.p, sig.len);

	/* A PKCS#1 ("BEGIN RSA PRIVATE KEY") key as made by OpenSSL 1.1's
	 * abuild-keygen loads too. */
	WT_EQ(
	    sh("openssl rsa -in '%s' -traditional -out '%s/pkcs1.rsa' 2>/dev/null%s", key, dir, ""),
	    0);
	wch_privkey_release(&pk);
	snprintf(theirsp, sizeof(theirsp), "%s/pkcs1.rsa", dir);
	WT_OK(wch_privkey_load(&pk, theirsp, &err));
	WT_STREQ(pk.pubname, "pkcs1.rsa.pub");
	wch_buf_reset(&sig);
	WT_OK(wch_sign_digest(&pk, WCH_HASH_SHA1, d, 20, &sig, &err));
	WT_MEMEQ(sig.p, theirs.p, sig.len);

	wch_privkey_release(&pk);
	wch_keyring_release(&kr);
	wch_buf_release(&sig);
	wch_buf_release(&theirs);
}

static void t_keyring_skips_junk(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_buf pubpem = WCH_BUF_INIT;
	struct wch_err err;
	char dir[4200], p[4300];
	const char *key = test_key();

	WT_TRUE(key != NULL);
	snprintf(dir, sizeof(dir), "%s/keys", wt_tmpdir());
	WT_OK(mkdir(dir, 0700));
	snprintf(p, sizeof(p), "%s.pub", key);
	WT_OK(read_whole(p, &pubpem));
	snprintf(p, sizeof(p), "%s/mine.rsa.pub", dir);
	WT_OK(write_file(p, pubpem.p, pubpem.len));
	snprintf(p, sizeof(p), "%s/README", dir);
	WT_OK(write_file(p, "keys go here\n", 13));
	snprintf(p, sizeof(p), "%s/empty.pub", dir);
	WT_OK(write_file(p, "", 0));
	snprintf(p, sizeof(p), "%s/truncated.pub", dir);
	WT_OK(write_file(p, pubpem.p, pubpem.len / 2));
	snprintf(p, sizeof(p), "%s/sub", dir);
	WT_OK(mkdir(p, 0700));
	snprintf(p, sizeof(p), "%s/fifo.pub", dir);
	WT_OK(mkfifo(p, 0600)); /* must not block */
	snprintf(p, sizeof(p), "%s/dangling.pub", dir);
	WT_OK(symlink("/nonexistent/x.pub", p));
	WT_EQ(sh("cp '%s' '%s/private.rsa'%s", key, dir, ""), 0);
	WT_EQ(sh("openssl genpkey -algorithm ED25519 2>/dev/null | openssl pkey -pubout "
		 "-out '%s/ed25519.pub'%s%s",
		 dir, "", ""),
	      0);

	WT_OK(wch_keyring_load_dir(&kr, dir, &err));
	WT_EQ(wch_keyring_count(&kr), 1);
	WT_TRUE(wch_keyring_find(&kr, "mine.rsa.pub") != NULL);
	WT_TRUE(wch_keyring_find(&kr, "ed25519.pub") == NULL);
	WT_TRUE(wch_keyring_find(&kr, "truncated.pub") == NULL);
	WT_TRUE(wch_keyring_find(&kr, "private.rsa") == NULL);

	/* One file named on purpose is an error that names it. */
	snprintf(p, sizeof(p), "%s/README", dir);
	WT_EQ(wch_keyring_load_file(&kr, p, &err), -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "README'") != NULL);
	snprintf(p, sizeof(p), "%s/ed25519.pub", dir);
	WT_EQ(wch_keyring_load_file(&kr, p, &err), -WCH_E_UNSUPPORTED);
	snprintf(p, sizeof(p), "%s/fifo.pub", dir);
	WT_EQ(wch_keyring_load_file(&kr, p, &err), -WCH_E_FORMAT);
	snprintf(p, sizeof(p), "%s/nothere.pub", dir);
	WT_EQ(wch_keyring_load_file(&kr, p, &err), -ENOENT);
	WT_TRUE(strstr(err.msg, "nothere.pub") != NULL);
	WT_EQ(wch_keyring_count(&kr), 1);
	wch_keyring_release(&kr);

	/* Keys are parsed lazily, yet a name whose first file is no key is
	 * taken by a later real key of that name, as when all are parsed. */
	{
		char d2[4200];
		snprintf(d2, sizeof(d2), "%s/keys2", wt_tmpdir());
		WT_OK(mkdir(d2, 0700));
		snprintf(p, sizeof(p), "%s/mine.rsa.pub", d2);
		WT_OK(write_file(p, pubpem.p, pubpem.len));
		snprintf(p, sizeof(p), "%s/ed25519.pub", d2);
		WT_OK(write_file(p, pubpem.p, pubpem.len));
		WT_OK(wch_keyring_load_dir(&kr, dir, &err)); /* ed25519.pub: not RSA */
		WT_OK(wch_keyring_load_dir(&kr, d2, &err));  /* ed25519.pub: RSA */
		WT_OK(wch_keyring_load_dir(&kr, dir, &err)); /* again: nothing new */
		WT_TRUE(wch_keyring_find(&kr, "ed25519.pub") != NULL);
		WT_EQ(wch_keyring_count(&kr), 2);
		wch_keyring_release(&kr);
	}
	wch_buf_release(&pubpem);
}

static void t_privkey_load_errors(void)
{
	struct wch_privkey pk;
	struct wch_err err;
	char p[4300];
	const char *key = test_key();

	WT_TRUE(key != NULL);
	WT_EQ(wch_privkey_load(&pk, "/nonexistent/k.rsa", &err), -ENOENT);
	WT_TRUE(strstr(err.msg, "'/nonexistent/k.rsa'") != NULL);
	WT_TRUE(pk.pkey == NULL && pk.path == NULL);
	snprintf(p, sizeof(p), "%s.pub", key);
	WT_EQ(wch_privkey_load(&pk, p, &err), -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "not a PEM private key") != NULL);
	/* A passphrase-protected key fails without prompting. */
	snprintf(p, sizeof(p), "%s/enc.rsa", wt_tmpdir());
	WT_EQ(sh("openssl pkey -in '%s' -aes256 -passout pass:secret -out '%s'%s </dev/null", key,
		 p, ""),
	      0);
	WT_EQ(wch_privkey_load(&pk, p, &err), -WCH_E_FORMAT);
	WT_TRUE(strstr(err.msg, "passphrase") != NULL);
	WT_EQ(wch_privkey_load(&pk, wt_tmpdir(), &err), -WCH_E_FORMAT);
}

static void write_conf(const char *dir, const char *text)
{
	char p[4300];

	snprintf(p, sizeof(p), "mkdir -p '%s'", dir);
	if (system(p) != 0)
		return;
	snprintf(p, sizeof(p), "%s/abuild.conf", dir);
	write_file(p, text, strlen(text));
}

static void t_default_privkey(void)
{
	struct wch_err err;
	char home[4200], d[4300], want[4400];
	char *k;

	snprintf(home, sizeof(home), "%s/home", wt_tmpdir());
	WT_OK(mkdir(home, 0700));
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("ABUILD_USERDIR");
	setenv("PACKAGER_PRIVKEY", "/from/env.rsa", 1);
	k = wch_default_privkey(&err);
	WT_STREQ(k, "/from/env.rsa");
	free(k);
	unsetenv("PACKAGER_PRIVKEY");

	WT_TRUE(wch_default_privkey(&err) == NULL);
	WT_EQ(err.code, -WCH_E_NOT_FOUND);

	/* ~/.abuild: the last assignment wins, shell quoting applies. */
	snprintf(d, sizeof(d), "%s/.abuild", home);
	write_conf(d, "# comment PACKAGER_PRIVKEY=\"/no\"\n"
		      "PACKAGER_PRIVKEY=\"$HOME/.abuild/first.rsa\"\n"
		      "  export PACKAGER_PRIVKEY='/x/b c.rsa' # trailing comment\n"
		      "PACKAGER=\"Me <me@example.org>\"\n");
	k = wch_default_privkey(&err);
	WT_STREQ(k, "/x/b c.rsa");
	free(k);
	write_conf(d, "PACKAGER_PRIVKEY=\"$HOME/.abuild/a\\\"b.rsa\"\n");
	k = wch_default_privkey(&err);
	snprintf(want, sizeof(want), "%s/.abuild/a\"b.rsa", home);
	WT_STREQ(k, want);
	free(k);
	write_conf(d, "PACKAGER_PRIVKEY=~/k.rsa\nPACKAGER_PRIVKEY=\"unterminated\n");
	k = wch_default_privkey(&err);
	snprintf(want, sizeof(want), "%s/k.rsa", home);
	WT_STREQ(k, want);
	free(k);

	/* ~/.config/abuild comes before ~/.abuild, $XDG_CONFIG_HOME moves it,
	 * and $ABUILD_USERDIR comes first. */
	snprintf(d, sizeof(d), "%s/.config/abuild", home);
	write_conf(d, "PACKAGER_PRIVKEY=/xdg-default.rsa\n");
	k = wch_default_privkey(&err);
	WT_STREQ(k, "/xdg-default.rsa");
	free(k);
	snprintf(d, sizeof(d), "%s/xdg", home);
	setenv("XDG_CONFIG_HOME", d, 1);
	snprintf(d, sizeof(d), "%s/xdg/abuild", home);
	write_conf(d, "PACKAGER_PRIVKEY=${HOME}/xdg.rsa\n");
	k = wch_default_privkey(&err);
	snprintf(want, sizeof(want), "%s/xdg.rsa", home);
	WT_STREQ(k, want);
	free(k);
	snprintf(d, sizeof(d), "%s/userdir", home);
	setenv("ABUILD_USERDIR", d, 1);
	write_conf(d, "PACKAGER_PRIVKEY=/userdir.rsa\n");
	k = wch_default_privkey(&err);
	WT_STREQ(k, "/userdir.rsa");
	free(k);
	unsetenv("ABUILD_USERDIR");
	unsetenv("XDG_CONFIG_HOME");
}

/* abuild's readconfig: environment (even ""), user abuild.conf, system one. */
static void t_abuild_conf_get(void)
{
	struct wch_err err;
	char home[4200], d[4300];
	char *v;

	snprintf(home, sizeof(home), "%s/confhome", wt_tmpdir());
	WT_OK(mkdir(home, 0700));
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("ABUILD_USERDIR");
	unsetenv("PACKAGER");
	snprintf(d, sizeof(d), "%s/sys", home);
	write_conf(d, "PACKAGER=\"Sys <s@p>\"\nJOBS=2\n");
	snprintf(d, sizeof(d), "%s/sys/abuild.conf", home);
	setenv("ABUILD_CONF", d, 1);
	v = wch_abuild_conf_get("PACKAGER", &err);
	WT_STREQ(v, "Sys <s@p>");
	free(v);
	snprintf(d, sizeof(d), "%s/.abuild", home);
	write_conf(d, "PACKAGER_X=no\nexport PACKAGER='Me <me@p>'\n");
	v = wch_abuild_conf_get("PACKAGER", &err);
	WT_STREQ(v, "Me <me@p>");
	free(v);
	setenv("PACKAGER", "", 1);
	v = wch_abuild_conf_get("PACKAGER", &err);
	WT_STREQ(v, "");
	free(v);
	unsetenv("PACKAGER");
	WT_TRUE(wch_abuild_conf_get("NO_SUCH", &err) == NULL);
	WT_EQ(err.code, -WCH_E_NOT_FOUND);
	WT_TRUE(strstr(err.msg, "NO_SUCH") != NULL);
	unsetenv("ABUILD_CONF");
}

WT_MAIN(WT(t_digest_vectors), WT(t_hash_reuse), WT(t_hash_file_vs_sha256sum), WT(t_hash_writer),
	WT(t_hex), WT(t_base64), WT(t_checksum_parse), WT(t_keyring_fixture_dir),
	WT(t_real_packages), WT(t_real_package_wrong_key), WT(t_keygen_sign_verify),
	WT(t_openssl_cross_check), WT(t_keyring_skips_junk), WT(t_privkey_load_errors),
	WT(t_default_privkey), WT(t_abuild_conf_get))
