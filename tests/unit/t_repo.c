/*
 * Repositories: lists, signed index loading on every real fixture index,
 * trust failures, identities, cache names, local package retrieval.
 * Expected counts and hashes come from GNU tar / grep / sha1sum / openssl
 * run by the test itself, not from witchery.
 */
#include "archive/gunzip.h"
#include "crypto/key.h"
#include "repo/cache.h"
#include "repo/fetch.h"
#include "repo/repo.h"
#include "util/io.h"
#include "wt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs a shell command and returns its first output line as a number. */
static long sh_long(const char *cmd)
{
	char line[256] = "";
	FILE *f = popen(cmd, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		v = strtol(line, NULL, 10);
	pclose(f);
	return v;
}

static int sh_str(const char *cmd, char *out, size_t n)
{
	FILE *f = popen(cmd, "r");
	size_t len;

	out[0] = 0;
	if (!f)
		return -1;
	if (!fgets(out, (int)n, f))
		out[0] = 0;
	pclose(f);
	len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = 0;
	return 0;
}

/* Loads one index file as repository 0 of a fresh rs; keys may be NULL. */
static int load_one(struct wch_repos *rs, const char *path, const struct wch_keyring *keys,
		    bool allow_untrusted, struct wch_err *err)
{
	struct wch_buf b = WCH_BUF_INIT;
	int r;

	wch_repos_init(rs);
	rs->keys = keys;
	rs->allow_untrusted = allow_untrusted;
	r = wch_repos_add(rs, "/nonexistent/test-repo", NULL, err);
	if (r == 0)
		r = wch_read_file_at(AT_FDCWD, path, &b, 256u << 20, err);
	if (r == 0)
		r = wch_repos_load_index_mem(rs, 0, b.p, b.len, err);
	wch_buf_release(&b);
	return r;
}

static void t_all_fixture_indexes_verify(void)
{
	static const struct {
		const char *index, *keys;
	} cases[] = {
	    {"alpine/apks/x86_64/alpine-3.19.1-iso-boot/APKINDEX.tar.gz", "alpine/keys"},
	    {"alpine/apks/aarch64/alpine-rpi-3.13.4-boot/APKINDEX.tar.gz", "alpine/keys"},
	    {"alpine/apks/armhf/alpine-uboot-3.3.3-boot/APKINDEX.tar.gz", "alpine/keys"},
	    {"alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.b2c94760.tar.gz", "alpine/keys"},
	    {"alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.be78cdff.tar.gz", "alpine/keys"},
	    {"alpine/indexes/v3.16-main-x86_64/APKINDEX.tar.gz", "alpine/keys"},
	    {"alpine/indexes/v3.17-main-aarch64/APKINDEX.tar.gz", "alpine/keys"},
	    {"alpine/indexes/v2.6-main-x86/APKINDEX.tar.gz", "alpine/keys"},
	    {"alpine/thirdparty/apko-multisig-index/APKINDEX.tar.gz",
	     "alpine/thirdparty/apko-multisig-index/keys"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wch_keyring kr = WCH_KEYRING_INIT;
		struct wch_repos rs;
		struct wch_err e;
		char path[4096], cmd[8192];
		long want;
		int r;

		wch_err_init(&e);
		snprintf(path, sizeof(path), "%s", wt_fixture(cases[i].index));
		WT_OK(wch_keyring_load_dir(&kr, wt_fixture(cases[i].keys), &e));
		snprintf(cmd, sizeof(cmd), "tar -xzOf '%s' APKINDEX | grep -c '^P:'", path);
		want = sh_long(cmd);
		WT_TRUE(want > 0);
		r = load_one(&rs, path, &kr, false, &e);
		if (r)
			wt_fail(__FILE__, __LINE__, "%s: %s", path, e.msg);
		WT_OK(r);
		WT_EQ(rs.npkgs, want);
		WT_TRUE(rs.v[0].trusted);
		WT_TRUE(rs.v[0].signer != NULL);
		WT_EQ(rs.pkgs[0]->repo, 0);
		WT_TRUE(rs.pkgs[rs.npkgs - 1]->identity.len == 20);
		wch_repos_release(&rs);
		wch_keyring_release(&kr);
	}
}

static void t_index_fields_and_description(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_repos rs;
	struct wch_err e;
	size_t i;
	const struct wch_pkg *musl = NULL;

	wch_err_init(&e);
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), &e));
	WT_OK(load_one(&rs, wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/APKINDEX.tar.gz"),
		       &kr, false, &e));
	WT_STREQ(rs.v[0].description, "3.19.1");
	WT_STREQ(rs.v[0].signer, "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub");
	for (i = 0; i < rs.npkgs; i++)
		if (strcmp(rs.pkgs[i]->name, "musl") == 0)
			musl = rs.pkgs[i];
	WT_TRUE(musl != NULL);
	WT_STREQ(musl->version, "1.2.4_git20230717-r4");
	WT_STREQ(musl->arch, "x86_64");
	/* S: equals the real file size. */
	{
		struct stat st;
		WT_OK(stat(wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/"
				      "musl-1.2.4_git20230717-r4.apk"),
			   &st));
		WT_EQ(musl->file_size, st.st_size);
	}
	wch_repos_release(&rs);
	wch_keyring_release(&kr);
}

static void t_untrusted_refused_or_allowed(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_repos rs;
	struct wch_err e;
	const char *idx = wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/APKINDEX.tar.gz");
	char path[4096];

	snprintf(path, sizeof(path), "%s", idx);
	wch_err_init(&e);
	/* No keys at all. */
	WT_EQ(load_one(&rs, path, NULL, false, &e), -WCH_E_SIG_UNTRUSTED);
	WT_TRUE(strstr(e.msg, "repository /nonexistent/test-repo") != NULL);
	WT_TRUE(strstr(e.msg, "UNTRUSTED") != NULL);
	WT_TRUE(strstr(e.msg, "6165ee59") != NULL);
	WT_EQ(rs.npkgs, 0);
	wch_repos_release(&rs);
	/* The wrong key (the aarch64 one). */
	WT_OK(wch_keyring_load_file(
	    &kr, wt_fixture("alpine/keys/alpine-devel@lists.alpinelinux.org-58199dcc.rsa.pub"),
	    &e));
	WT_EQ(load_one(&rs, path, &kr, false, &e), -WCH_E_SIG_UNTRUSTED);
	wch_repos_release(&rs);
	/* Allowed: loads, flagged untrusted. */
	wch_err_init(&e);
	WT_OK(load_one(&rs, path, &kr, true, &e));
	WT_EQ(rs.npkgs, 100);
	WT_TRUE(!rs.v[0].trusted);
	wch_repos_release(&rs);
	wch_keyring_release(&kr);
}

static void t_multisig_any_trusted_suffices(void)
{
	const char *keys[] = {
	    "chainguard-0106f58bac88057c2ff5c2829850df492717a876ed700443550353c7ab23f5a0.rsa.pub",
	    "chainguard-61cb6bccd1f584b007db7be51ebce2b0530a54cc5a94e7650b570d113d537cf3.rsa.pub",
	};
	char idx[4096], kp[4096];
	size_t i;

	snprintf(idx, sizeof(idx), "%s",
		 wt_fixture("alpine/thirdparty/apko-multisig-index/APKINDEX.tar.gz"));
	for (i = 0; i < 2; i++) {
		struct wch_keyring kr = WCH_KEYRING_INIT;
		struct wch_repos rs;
		struct wch_err e;

		wch_err_init(&e);
		snprintf(kp, sizeof(kp), "alpine/thirdparty/apko-multisig-index/keys/%s", keys[i]);
		WT_OK(wch_keyring_load_file(&kr, wt_fixture(kp), &e));
		WT_OK(load_one(&rs, idx, &kr, false, &e));
		WT_EQ(rs.npkgs, 16);
		WT_STREQ(rs.v[0].signer, keys[i]);
		wch_repos_release(&rs);
		wch_keyring_release(&kr);
	}
}

/* Length of the first gzip member of a file (the signature member). */
struct first_member {
	uint64_t n;
	bool done;
};
static void fm_bytes(void *ctx, const void *p, size_t n)
{
	struct first_member *fm = ctx;
	(void)p;
	if (!fm->done)
		fm->n += n;
}
static int fm_boundary(void *ctx, bool end, struct wch_err *err)
{
	(void)end;
	(void)err;
	((struct first_member *)ctx)->done = true;
	return 0;
}

static void t_spliced_index_is_bad_signature(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_buf a = WCH_BUF_INIT, b = WCH_BUF_INIT, mix = WCH_BUF_INIT;
	struct first_member fa = {0, false}, fb = {0, false};
	struct wch_repos rs;
	struct wch_err e;
	char pa[4096];

	/* Signature of the 3.19.1 ISO index + body of the v3.19 main index:
	 * same key, valid gzip, but the signature covers other bytes. */
	wch_err_init(&e);
	snprintf(pa, sizeof(pa), "%s",
		 wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/APKINDEX.tar.gz"));
	WT_OK(wch_read_file_at(AT_FDCWD, pa, &a, 1u << 26, &e));
	WT_OK(wch_read_file_at(
	    AT_FDCWD, wt_fixture("alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.b2c94760.tar.gz"),
	    &b, 1u << 26, &e));
	{
		struct wch_gunzip_cb cba = {fm_bytes, fm_boundary, &fa};
		struct wch_gunzip_cb cbb = {fm_bytes, fm_boundary, &fb};
		struct wch_mem_reader ma, mb;
		struct wch_gunzip *ga, *gb;
		struct wch_reader ra, rb;
		WT_OK(wch_gunzip_new(&ga, wch_reader_mem(&ma, a.p, a.len), &cba, 0, &e));
		WT_OK(wch_gunzip_new(&gb, wch_reader_mem(&mb, b.p, b.len), &cbb, 0, &e));
		ra = wch_gunzip_reader(ga);
		rb = wch_gunzip_reader(gb);
		WT_OK(wch_read_drain(&ra, &e));
		WT_OK(wch_read_drain(&rb, &e));
		wch_gunzip_free(ga);
		wch_gunzip_free(gb);
	}
	WT_TRUE(fa.n > 0 && fa.n < a.len && fb.n > 0 && fb.n < b.len);
	WT_OK(wch_buf_add(&mix, a.p, fa.n));
	WT_OK(wch_buf_add(&mix, b.p + fb.n, b.len - fb.n));
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), &e));
	wch_repos_init(&rs);
	rs.keys = &kr;
	WT_OK(wch_repos_add(&rs, "https://user:secret@example.org/alpine/v3.19/main", NULL, &e));
	WT_EQ(wch_repos_load_index_mem(&rs, 0, mix.p, mix.len, &e), -WCH_E_SIG_INVALID);
	WT_TRUE(strstr(e.msg, "BAD signature") != NULL);
	WT_TRUE(strstr(e.msg, "https://example.org/alpine/v3.19/main") != NULL);
	WT_TRUE(strstr(e.msg, "secret") == NULL);
	WT_EQ(rs.npkgs, 0);
	/* A flipped byte inside the compressed body is also refused. */
	wch_repos_release(&rs);
	wch_repos_init(&rs);
	rs.keys = &kr;
	WT_OK(wch_repos_add(&rs, "/x", NULL, &e));
	a.p[a.len - 100] ^= 0x01;
	WT_TRUE(wch_repos_load_index_mem(&rs, 0, a.p, a.len, &e) < 0);
	wch_repos_release(&rs);
	wch_keyring_release(&kr);
	wch_buf_release(&a);
	wch_buf_release(&b);
	wch_buf_release(&mix);
}

static void t_repositories_file_syntax(void)
{
	static const char text[] = "# comment\n"
				   "\n"
				   "https://dl-cdn.alpinelinux.org/alpine/v3.19/main/\n"
				   "  @edge https://dl-cdn.alpinelinux.org/alpine/edge/testing  \n"
				   "file:///srv/repo\n"
				   "/srv/local\n";
	struct wch_repos rs;
	struct wch_err e;
	struct wch_buf b = WCH_BUF_INIT;

	wch_err_init(&e);
	wch_repos_init(&rs);
	WT_OK(wch_repos_set_arch(&rs, "aarch64"));
	WT_OK(wch_repos_add_text(&rs, text, sizeof(text) - 1, "repos", &e));
	WT_EQ(rs.n, 4);
	WT_STREQ(rs.v[0].url, "https://dl-cdn.alpinelinux.org/alpine/v3.19/main");
	WT_EQ(rs.v[0].kind, WCH_REPO_HTTP);
	WT_TRUE(rs.v[0].tag == NULL);
	WT_STREQ(rs.v[1].tag, "edge");
	WT_STREQ(rs.v[1].url, "https://dl-cdn.alpinelinux.org/alpine/edge/testing");
	WT_EQ(rs.v[2].kind, WCH_REPO_LOCAL);
	WT_STREQ(rs.v[2].local, "/srv/repo");
	WT_STREQ(rs.v[3].local, "/srv/local");
	WT_OK(wch_repo_index_url(&rs, 0, &b));
	WT_STREQ(b.p, "https://dl-cdn.alpinelinux.org/alpine/v3.19/main/aarch64/APKINDEX.tar.gz");
	wch_buf_reset(&b);
	{
		struct wch_pkg p;
		memset(&p, 0, sizeof(p));
		p.name = "musl";
		p.version = "1.2.4-r0";
		p.arch = "noarch";
		p.repo = 2;
		WT_OK(wch_repo_pkg_url(&rs, &p, &b));
		WT_STREQ(b.p, "/srv/repo/noarch/musl-1.2.4-r0.apk");
	}
	/* Errors name the file and line. */
	WT_EQ(wch_repos_add_text(&rs, "ftp://x/y\n", 10, "repos", &e), -WCH_E_UNSUPPORTED);
	WT_TRUE(strstr(e.msg, "repos:1") != NULL);
	WT_EQ(wch_repos_add_text(&rs, "\n@tagonly\n", 10, "f", &e), -WCH_E_FORMAT);
	WT_TRUE(strstr(e.msg, "f:2") != NULL);
	wch_buf_release(&b);
	wch_repos_release(&rs);
}

static void t_url_redact(void)
{
	char *s = wch_url_redact("https://bob:hunter2@example.org:8443/a/b@c?x=@");

	WT_STREQ(s, "https://example.org:8443/a/b@c?x=@");
	free(s);
	s = wch_url_redact("http://example.org/p");
	WT_STREQ(s, "http://example.org/p");
	free(s);
	s = wch_url_redact("/local/path");
	WT_STREQ(s, "/local/path");
	free(s);
}

static void t_cache_names(void)
{
	const char *url = "https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz";
	char name[32], want[64], cmd[512];
	struct wch_pkg p;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_err e;

	wch_cache_index_name(url, name);
	snprintf(cmd, sizeof(cmd), "printf %%s '%s' | sha1sum | cut -c1-8", url);
	WT_OK(sh_str(cmd, want, sizeof(want)));
	WT_TRUE(strlen(want) == 8);
	WT_TRUE(strncmp(name, "APKINDEX.", 9) == 0 && strncmp(name + 9, want, 8) == 0);
	WT_STREQ(name + 17, ".tar.gz");
	/* Package names follow the real /etc/apk/cache fixture's names. */
	memset(&p, 0, sizeof(p));
	p.name = "jq";
	p.version = "1.7.1-r0";
	WT_EQ(wch_cache_pkg_name(&p, &b, &e), -WCH_E_FORMAT);
	wch_err_init(&e);
	WT_OK(wch_checksum_parse(wch_view_str("Q1mWuu6Fdq8LFpXbqAz7k4aCLbcS4="), &p.identity));
	WT_OK(wch_cache_pkg_name(&p, &b, &e));
	{
		char hex[9];
		wch_hex_encode(p.identity.d, 4, hex);
		snprintf(want, sizeof(want), "jq-1.7.1-r0.%s.apk", hex);
		WT_STREQ(b.p, want);
	}
	wch_buf_release(&b);
}

static void t_identity_matches_index(void)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_repos rs;
	struct wch_err e;
	struct wch_buf path = WCH_BUF_INIT;
	const char *dir = "alpine/apks/x86_64/alpine-3.19.1-iso-boot";
	char d[4096];
	size_t i;

	wch_err_init(&e);
	snprintf(d, sizeof(d), "%s", wt_fixture(dir));
	WT_OK(wch_keyring_load_dir(&kr, wt_fixture("alpine/keys"), &e));
	/* A repo folder R with R/x86_64 -> the fixture set (SOURCES.md). */
	{
		char link[4096];
		snprintf(link, sizeof(link), "%s/x86_64", wt_tmpdir());
		WT_OK(symlink(d, link));
	}
	wch_repos_init(&rs);
	rs.keys = &kr;
	WT_OK(wch_repos_add(&rs, wt_tmpdir(), NULL, &e));
	WT_OK(wch_repos_load(&rs, &e));
	WT_EQ(rs.npkgs, 100);
	/* Every package's file has the identity its (Alpine-made) index lists. */
	for (i = 0; i < rs.npkgs; i++) {
		int r;
		wch_buf_reset(&path);
		r = wch_repos_fetch_pkg(&rs, rs.pkgs[i], &path, &e);
		if (r)
			wt_fail(__FILE__, __LINE__, "%s: %s", rs.pkgs[i]->name, e.msg);
		WT_OK(r);
	}
	/* A package whose file holds other bytes is refused. */
	{
		struct wch_pkg fake = *rs.pkgs[0];
		fake.identity.d[0] ^= 1;
		wch_buf_reset(&path);
		WT_EQ(wch_repos_fetch_pkg(&rs, &fake, &path, &e), -WCH_E_INTEGRITY);
		WT_TRUE(strstr(e.msg, rs.pkgs[0]->name) != NULL);
		WT_EQ(path.len, 0);
	}
	wch_buf_release(&path);
	wch_repos_release(&rs);
	wch_keyring_release(&kr);
}

static void t_identity_cross_checked_with_openssl(void)
{
	/* Identity = SHA-1 of the control member (§2.2); cut the member out
	 * with the index-free path: for an RSA256-signed third-party apk the
	 * identity must equal the C: its own index lists (made by melange). */
	const char *apk = "alpine/thirdparty/apko-melange-x86_64/replayout-1.0.0-r0.apk";
	struct wch_checksum c;
	struct wch_err e;
	char q1[31], want[128], cmd[4096];

	wch_err_init(&e);
	WT_OK(wch_apk_identity_file(wt_fixture(apk), &c, &e));
	wch_checksum_format(&c, q1);
	snprintf(cmd, sizeof(cmd),
		 "tar -xzOf '%s' APKINDEX | awk '/^C:/{c=substr($0,3)} "
		 "/^P:replayout$/{print c}'",
		 wt_fixture("alpine/thirdparty/apko-melange-x86_64/APKINDEX.tar.gz"));
	WT_OK(sh_str(cmd, want, sizeof(want)));
	WT_STREQ(q1, want);
}

/* Writes an index for the 100 apks of the 3.19.1 ISO repository and checks
 * that (1) it verifies with the new key, (2) its APKINDEX text equals the
 * one Alpine's apk index wrote for the same files (extracted by GNU tar),
 * (3) openssl verifies the signature over the index member. */
static void t_index_write_matches_alpine(void)
{
	const char *dir = "alpine/apks/x86_64/alpine-3.19.1-iso-boot";
	char d[4096], keyp[4096], cmd[16384], path[8192];
	struct wch_arena arena = WCH_ARENA_INIT;
	struct wch_pkg *pkgs[128];
	struct wch_privkey key;
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_index_write_opts o;
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_repos rs;
	struct wch_err e;
	size_t n = 0;
	FILE *ls;
	int fd;

	wch_err_init(&e);
	snprintf(d, sizeof(d), "%s", wt_fixture(dir));
	snprintf(keyp, sizeof(keyp), "%s/test@example.org-1.rsa", wt_tmpdir());
	WT_OK(wch_keygen_rsa(keyp, 2048, &e));
	WT_OK(wch_privkey_load(&key, keyp, &e));
	snprintf(cmd, sizeof(cmd), "ls '%s'/*.apk", d);
	ls = popen(cmd, "r");
	WT_TRUE(ls != NULL);
	while (n < 128 && fgets(path, sizeof(path), ls)) {
		path[strcspn(path, "\n")] = 0;
		if (wch_index_pkg_from_apk(&arena, path, NULL, &pkgs[n], &e) != 0) {
			wt_fail(__FILE__, __LINE__, "%s", e.msg);
			pclose(ls);
			return;
		}
		n++;
	}
	pclose(ls);
	WT_EQ(n, 100);
	memset(&o, 0, sizeof(o));
	o.description = "3.19.1";
	o.key = &key;
	o.mtime = 1700000000;
	o.rewrite_arch = "x86_64"; /* abuild runs apk index --rewrite-arch (§5.3) */
	WT_OK(wch_index_write(pkgs, n, &o, &out, &e));
	snprintf(path, sizeof(path), "%s/APKINDEX.tar.gz", wt_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	WT_TRUE(fd >= 0);
	WT_OK(wch_fd_write_all(fd, out.p, out.len));
	close(fd);
	/* (1) loads and verifies with the new public key */
	snprintf(keyp, sizeof(keyp), "%s/test@example.org-1.rsa.pub", wt_tmpdir());
	WT_OK(wch_keyring_load_file(&kr, keyp, &e));
	wch_repos_init(&rs);
	rs.keys = &kr;
	WT_OK(wch_repos_add(&rs, "/x", NULL, &e));
	WT_OK(wch_repos_load_index_mem(&rs, 0, out.p, out.len, &e));
	WT_EQ(rs.npkgs, 100);
	WT_STREQ(rs.v[0].signer, "test@example.org-1.rsa.pub");
	WT_STREQ(rs.v[0].description, "3.19.1");
	wch_repos_release(&rs);
	/* (2) same APKINDEX text as Alpine's */
	snprintf(cmd, sizeof(cmd),
		 "cmp <(tar -xzOf '%s/APKINDEX.tar.gz' APKINDEX) <(tar -xzOf '%s' APKINDEX) "
		 ">/dev/null 2>&1 && echo 1 || echo 0",
		 d, path);
	{
		char bcmd[20000];
		snprintf(bcmd, sizeof(bcmd), "bash -c \"%s\"", cmd);
		WT_EQ(sh_long(bcmd), 1);
	}
	/* (3) GNU tar lists exactly the signature, DESCRIPTION, APKINDEX */
	snprintf(cmd, sizeof(cmd), "tar -tzf '%s' | tr '\\n' ' '", path);
	WT_OK(sh_str(cmd, path + 4096, 4096));
	WT_STREQ(path + 4096, ".SIGN.RSA.test@example.org-1.rsa.pub DESCRIPTION APKINDEX");
	wch_privkey_release(&key);
	wch_keyring_release(&kr);
	wch_buf_release(&out);
	wch_arena_release(&arena);
}

WT_MAIN(WT(t_all_fixture_indexes_verify), WT(t_index_fields_and_description),
	WT(t_untrusted_refused_or_allowed), WT(t_multisig_any_trusted_suffices),
	WT(t_spliced_index_is_bad_signature), WT(t_repositories_file_syntax), WT(t_url_redact),
	WT(t_cache_names), WT(t_identity_matches_index), WT(t_identity_cross_checked_with_openssl),
	WT(t_index_write_matches_alpine))
