/*
 * witchery index: write a signed APKINDEX.tar.gz for .apk files, like
 * `apk index` followed by `abuild-sign` (apk-format §5.1, §11.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/cmd.h"
#include "crypto/key.h"
#include "repo/repo.h"
#include "util/io.h"

#define OPT_OUTPUT   'o'
#define OPT_DESC     'd'
#define OPT_KEY	     'k'
#define OPT_SHA256   256
#define OPT_ARCH     257
#define OPT_UNSIGNED 258
#define OPT_KEYS_DIR 259

static const struct wch_opt opts[] = {
    {"output", 'o', "FILE", OPT_OUTPUT, "index to write (default APKINDEX.tar.gz)"},
    {"description", 'd', "TEXT", OPT_DESC, "DESCRIPTION of the index"},
    {"key", 'k', "KEY", OPT_KEY, "private key to sign with (default: abuild's PACKAGER_PRIVKEY)"},
    {"sign-sha256", 0, NULL, OPT_SHA256, "sign with RSA/SHA-256 (.SIGN.RSA256) instead of SHA-1"},
    {"rewrite-arch", 0, "ARCH", OPT_ARCH, "write A:ARCH for every package"},
    {"unsigned", 0, NULL, OPT_UNSIGNED, "write the index without a signature"},
    {"keys-dir", 0, "DIR", OPT_KEYS_DIR,
     "check the packages' signatures with the keys in DIR (repeatable)"},
    {0},
};

static const struct wch_cmd_help help = {
    "witchery index [-o FILE] [-d TEXT] [-k KEY] [--sign-sha256] [--rewrite-arch ARCH]\n"
    "               [--unsigned] [--keys-dir DIR]... FILE.apk...",
    "Reads each package's control part (identity C:, size S:, and the .PKGINFO fields) and\n"
    "writes an APKINDEX.tar.gz listing them, sorted like apk does, signed with KEY as\n"
    "abuild-sign would. A folder R/<arch>/ with the packages and this index is a repository\n"
    "for 'witchery resolve -X R' and compose. The tar mtime is $SOURCE_DATE_EPOCH if set.",
    opts,
};

static int64_t index_mtime(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long v;

	if (s && wch_parse_ulong(s, &v))
		return (int64_t)v;
	return (int64_t)time(NULL);
}

#define MAX_KEYS_DIRS 64

struct args {
	const char *output, *desc, *key, *arch;
	const char *keys_dirs[MAX_KEYS_DIRS];
	size_t nkeys_dirs;
	bool sha256, unsigned_;
};

/* A.PKGINFO/APKINDEX arch is one token and a folder name (R/<arch>/). */
static bool arch_ok(const char *a)
{
	const unsigned char *p;

	if (!*a || strcmp(a, ".") == 0 || strcmp(a, "..") == 0)
		return false;
	for (p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/')
			return false;
	return true;
}

static int run(const struct args *a, char **files, int n)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_privkey key;
	struct wch_arena arena = WCH_ARENA_INIT;
	struct wch_index_write_opts o;
	struct wch_pkg **pkgs = NULL;
	struct wch_buf out = WCH_BUF_INIT;
	struct wch_atomic at = {0};
	struct wch_err e;
	char *defkey = NULL;
	bool have_key = false;
	int i, r = 0, rc;

	wch_err_init(&e);
	memset(&key, 0, sizeof(key));
	memset(&o, 0, sizeof(o));
	if (!a->unsigned_) {
		const char *kp = a->key;
		if (!kp) {
			defkey = wch_default_privkey(&e);
			kp = defkey;
		}
		if (!kp) {
			wch_err_prefix(&e, "no signing key (use -k KEY or --unsigned)");
			r = e.code ? e.code : -WCH_E_NOT_FOUND;
			goto out;
		}
		r = wch_privkey_load(&key, kp, &e);
		if (r < 0)
			goto out;
		have_key = true;
		o.key = &key;
	}
	if (a->nkeys_dirs && (r = wch_cmd_load_keys(&kr, a->keys_dirs, a->nkeys_dirs, &e)) < 0)
		goto out;
	pkgs = calloc((size_t)n, sizeof(*pkgs));
	if (!pkgs) {
		r = wch_errf(&e, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = wch_index_pkg_from_apk(&arena, files[i], a->nkeys_dirs ? &kr : NULL, &pkgs[i],
					   &e);
		if (r < 0)
			goto out;
	}
	o.description = a->desc;
	o.sign_sha256 = a->sha256;
	o.mtime = index_mtime();
	o.rewrite_arch = a->arch;
	r = wch_index_write(pkgs, (size_t)n, &o, &out, &e);
	/* the atomic file's messages name the file already */
	if (r == 0)
		r = wch_atomic_open(&at, AT_FDCWD, a->output, 0644, &e);
	if (r == 0) {
		struct wch_writer w = wch_atomic_writer(&at);
		r = wch_write(&w, out.p, out.len, &e);
	}
	if (r == 0)
		r = wch_atomic_commit(&at, &e);
	wch_atomic_abort(&at);
out:
	rc = r < 0 ? wch_report(&e) : WCH_EXIT_OK;
	free(defkey);
	free(pkgs);
	if (have_key)
		wch_privkey_release(&key);
	wch_keyring_release(&kr);
	wch_buf_release(&out);
	wch_arena_release(&arena);
	return rc;
}

int cmd_index(int argc, char **argv)
{
	struct wch_optparse p;
	struct args a;
	struct stat st;
	int c, ret;

	memset(&a, 0, sizeof(a));
	a.output = "APKINDEX.tar.gz";

	wch_opt_init(&p, argc, argv, &help);
	while ((c = wch_opt_next(&p)) != -1) {
		switch (c) {
		case OPT_OUTPUT:
			a.output = p.optarg;
			break;
		case OPT_DESC:
			a.desc = p.optarg;
			break;
		case OPT_KEY:
			a.key = p.optarg;
			break;
		case OPT_SHA256:
			a.sha256 = true;
			break;
		case OPT_ARCH:
			a.arch = p.optarg;
			break;
		case OPT_UNSIGNED:
			a.unsigned_ = true;
			break;
		case OPT_KEYS_DIR:
			if (a.nkeys_dirs == MAX_KEYS_DIRS) {
				wch_opt_release(&p);
				return wch_usage_error(&help, "too many --keys-dir options");
			}
			a.keys_dirs[a.nkeys_dirs++] = p.optarg;
			break;
		default:
			wch_opt_release(&p);
			return c == WCH_OPT_HELP ? WCH_EXIT_OK : WCH_EXIT_USAGE;
		}
	}
	if (p.index >= argc) {
		wch_opt_release(&p);
		return wch_usage_error(&help, "no packages given");
	}
	if (a.unsigned_ && (a.key || a.sha256)) {
		wch_opt_release(&p);
		return wch_usage_error(&help, "--unsigned excludes -k and --sign-sha256");
	}
	if (a.arch && !arch_ok(a.arch)) {
		wch_opt_release(&p);
		return wch_usage_error(&help, "invalid --rewrite-arch '%s'", a.arch);
	}
	if (!*a.output) {
		wch_opt_release(&p);
		return wch_usage_error(&help, "empty --output");
	}
	/* refuse before reading every package, not at the final rename */
	if (stat(a.output, &st) == 0 && S_ISDIR(st.st_mode)) {
		wch_opt_release(&p);
		wch_error("cannot write '%s': Is a directory", a.output);
		return WCH_EXIT_FAIL;
	}
	ret = run(&a, argv + p.index, argc - p.index);
	wch_opt_release(&p);
	return ret;
}
