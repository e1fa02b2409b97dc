/*
 * `witchery buildapk` and `witchery-buildapk`: pack a folder into a signed
 * Alpine package (the library does the work: src/apk/package_write.h).
 *
 * witchery-buildapk is the original 2021 tool's interface:
 *     witchery-buildapk -n NAME [-v VER] [-r REL] [-d DESC] [-l LICENSE]
 *                       [-m MAINTAINER] [-h] DIR OUTPUT
 * with its defaults; both interfaces produce the same bytes for the same
 * input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apk/dep.h"
#include "apk/package_write.h"
#include "apk/pkg.h"
#include "apk/version.h"
#include "cmd/cmd.h"
#include "crypto/key.h"
#include "util/arena.h"
#include "util/buf.h"

#define DEFAULT_DESC	   "package generated with witchery-buildapk"
#define DEFAULT_LICENSE	   "Unspecified"
#define RELEASE_DIGITS_MAX 17

enum {
	OPT_NO_AUTO_DEPS = 256,
	OPT_INSTALL,
	OPT_SIGN_SHA256,
	OPT_NO_STRIP,
	OPT_ALLOW_SPECIAL,
	OPT_TRIGGER,
	OPT_ORIGIN,
	OPT_REPLACES,
	OPT_LEVEL,
};

static const struct wch_opt buildapk_opts[] = {
    {"name", 'n', "NAME", 'n', "package name (required)"},
    {"version", 'v', "VER", 'v', "version without release (default: $SOURCE_DATE_EPOCH or now)"},
    {"release", 'r', "REL", 'r', "release number, the N of -rN (default: 0)"},
    {"description", 'd', "DESC", 'd', "one-line description"},
    {"license", 'l', "LICENSE", 'l', "license (default: Unspecified)"},
    {"maintainer", 'm', "MAINTAINER", 'm', "maintainer, 'Name <email>'"},
    {"url", 'u', "URL", 'u', "home page"},
    {"arch", 'a', "ARCH", 'a', "architecture (default: $WITCHERY_ARCH or this machine's)"},
    {"key", 'k', "KEY", 'k', "private RSA key (default: abuild's PACKAGER_PRIVKEY lookup)"},
    {"depend", 'D', "DEP", 'D', "add a dependency (repeatable; 'a b>=1' adds two)"},
    {"provide", 'P', "NAME[=VER]", 'P', "add a provided name (repeatable)"},
    {"replaces", 0, "PKG", OPT_REPLACES, "packages whose files this one may overwrite"},
    {"origin", 0, "NAME", OPT_ORIGIN, "origin (source package) name (default: NAME)"},
    {"trigger", 0, "GLOB", OPT_TRIGGER,
     "directory glob that runs .trigger (repeatable; '/a:/b' adds two)"},
    {"install", 0, "SCRIPTDIR", OPT_INSTALL,
     "take .pre-install, .post-install, ... .trigger from SCRIPTDIR"},
    {"no-auto-deps", 0, NULL, OPT_NO_AUTO_DEPS, "do not trace so:/cmd:/pc: dependencies"},
    {"no-strip", 0, NULL, OPT_NO_STRIP, "keep symbols in ELF files"},
    {"sign-sha256", 0, NULL, OPT_SIGN_SHA256, "sign with RSA/SHA-256 (.SIGN.RSA256.)"},
    {"allow-special", 0, NULL, OPT_ALLOW_SPECIAL, "pack device files and fifos"},
    {"compression-level", 0, "N", OPT_LEVEL,
     "gzip level 1-9 of the data member (default 9, as abuild)"},
    {0, 0, 0, 0, 0},
};

static const struct wch_cmd_help buildapk_help = {
    "witchery buildapk -n NAME [options] DIR OUTDIR",
    "Packs the folder DIR into the signed Alpine package OUTDIR/NAME-VER-rREL.apk.\n"
    "Entries are owned by root, sorted, with modes, links and capabilities kept;\n"
    "ELF files are stripped; so:, cmd: and interpreter dependencies are traced.\n"
    "With SOURCE_DATE_EPOCH set the output is byte-for-byte reproducible.",
    buildapk_opts,
};

static const struct wch_opt compat_opts[] = {
    {NULL, 'n', "NAME", 'n', "package name (required)"},
    {NULL, 'v', "VER", 'v', "version (default: $SOURCE_DATE_EPOCH or now)"},
    {NULL, 'r', "REL", 'r', "release (default: 0)"},
    {NULL, 'd', "DESC", 'd', "description (default: '" DEFAULT_DESC "')"},
    {NULL, 'l', "LICENSE", 'l', "license (default: Unspecified)"},
    {NULL, 'm', "MAINTAINER", 'm', "maintainer"},
    {NULL, 'h', NULL, 'h', "show this help"},
    {0, 0, 0, 0, 0},
};

static const struct wch_cmd_help compat_help = {
    "witchery-buildapk -n NAME [-v VER] [-r REL] [-d DESC] [-l LICENSE] [-m MAINTAINER] "
    "DIR OUTPUT",
    "Packs DIR into a signed Alpine package. OUTPUT is the .apk file to write, or a\n"
    "folder that receives NAME-VER-rREL.apk. The key is found like abuild does\n"
    "($PACKAGER_PRIVKEY, abuild.conf); the architecture is $WITCHERY_ARCH or this\n"
    "machine's. Same as 'witchery buildapk' with its defaults.",
    compat_opts,
};

struct build {
	const char *name, *ver, *rel, *desc, *license, *maintainer, *url, *arch, *key;
	const char *origin, *scripts;
	const char *dir, *outdir, *outname; /* outname NULL: NAME-VER-rREL.apk */
	bool auto_deps, strip, sha256, allow_special;
	int level; /* 0: the library default */
	struct wch_arena arena;
	struct wch_deps depends, provides, replaces;
	const char **triggers;
	size_t ntriggers;
};

static void warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	wch_warn("%s", msg);
}

/* Appends the parsed list text to *d (arrays live in the arena). */
static int add_deps(struct build *b, struct wch_deps *d, const char *text, bool provide,
		    struct wch_err *err)
{
	struct wch_deps more;
	struct wch_dep *v;
	size_t i;
	int r;

	r = wch_deps_parse(&b->arena, wch_view_str(text), &more, err);
	if (r < 0)
		return r;
	for (i = 0; provide && i < more.n; i++)
		if (more.v[i].conflict || (more.v[i].op && more.v[i].op != WCH_VER_EQUAL))
			return wch_errf(err, -WCH_E_USAGE,
					"invalid provide '%s' (use NAME or NAME=VERSION)", text);
	v = wch_arena_alloc(&b->arena, (d->n + more.n + 1) * sizeof(*v));
	if (!v)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (d->n)
		memcpy(v, d->v, d->n * sizeof(*v));
	if (more.n)
		memcpy(v + d->n, more.v, more.n * sizeof(*v));
	d->v = v;
	d->n += more.n;
	return 0;
}

static int parse_epoch(bool *has, int64_t *epoch, struct wch_err *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	unsigned long v;

	*has = false;
	if (!s || !*s)
		return 0;
	if (!wch_parse_ulong(s, &v) || v > (unsigned long)INT64_MAX / 2)
		return wch_errf(err, -WCH_E_USAGE,
				"SOURCE_DATE_EPOCH '%s' is not a number of seconds", s);
	*has = true;
	*epoch = (int64_t)v;
	return 0;
}

static int run_build(struct build *b)
{
	struct wch_package_result res;
	struct wch_package_spec spec;
	struct wch_privkey key = {0};
	struct wch_buf ver = WCH_BUF_INIT, out = WCH_BUF_INIT, defver = WCH_BUF_INIT;
	struct wch_err err;
	struct wch_pkg p;
	char *keypath = NULL, *packager = NULL;
	int outfd = -1, rc = WCH_EXIT_FAIL, r;

	wch_err_init(&err);
	memset(&spec, 0, sizeof(spec));
	memset(&p, 0, sizeof(p));
	if ((r = parse_epoch(&spec.has_epoch, &spec.epoch, &err)) < 0)
		goto out;
	if (!b->ver) {
		/* The original tool's default: the build time as the version. */
		if (wch_buf_addf(&defver, "%lld",
				 spec.has_epoch ? (long long)spec.epoch : (long long)time(NULL)) <
		    0)
			goto oom;
		b->ver = defver.p;
	}
	/* Said in terms of the options before the combined check below. */
	if (strstr(b->ver, "-r")) {
		r = wch_errf(&err, -WCH_E_USAGE,
			     "invalid version '%s': give the release with -r, not in -v", b->ver);
		goto out;
	}
	if (b->rel && (!*b->rel || strspn(b->rel, "0123456789") != strlen(b->rel))) {
		r = wch_errf(&err, -WCH_E_USAGE, "invalid release '%s': expected a number", b->rel);
		goto out;
	}
	/* apk-format §8.2: apk reads a run of 18 or more digits as invalid. */
	if (b->rel && strlen(b->rel) > RELEASE_DIGITS_MAX) {
		r = wch_errf(&err, -WCH_E_USAGE,
			     "invalid release '%s': too large (apk reads at most %d digits)",
			     b->rel, RELEASE_DIGITS_MAX);
		goto out;
	}
	if (wch_buf_addf(&ver, "%s-r%s", b->ver, b->rel ? b->rel : "0") < 0)
		goto oom;
	if (!wch_version_valid_portable(ver.p)) {
		r = wch_errf(
		    &err, -WCH_E_USAGE,
		    "invalid version '%s' (expected digits and dots, e.g. 1.2.3, then "
		    "optionally one letter and _alpha/_beta/_pre/_rc/_cvs/_svn/_git/_hg/_p "
		    "suffixes, as apk 2 and 3 both accept)",
		    b->ver);
		goto out;
	}
	if ((r = wch_package_check_nv(b->name, ver.p, &err)) < 0)
		goto out;
	if (!b->arch || !*b->arch)
		b->arch = getenv("WITCHERY_ARCH");
	if (!b->arch || !*b->arch)
		b->arch = wch_package_host_arch();

	if (b->key) {
		keypath = strdup(b->key);
		if (!keypath)
			goto oom;
	} else if (!(keypath = wch_default_privkey(&err))) {
		wch_err_prefix(&err, "-k KEY not given");
		goto out;
	}
	if ((r = wch_privkey_load(&key, keypath, &err)) < 0) {
		wch_err_prefix(&err, "signing key");
		goto out;
	}

	p.name = b->name;
	p.version = ver.p;
	p.arch = b->arch;
	p.description = b->desc ? b->desc : DEFAULT_DESC;
	p.url = b->url ? b->url : "";
	p.license = b->license ? b->license : DEFAULT_LICENSE;
	p.maintainer = b->maintainer;
	p.origin = b->origin;
	/* abuild: ${PACKAGER:-Unknown}, PACKAGER read like abuild.conf's. */
	packager = wch_abuild_conf_get("PACKAGER", NULL);
	if (!packager && !(packager = strdup("")))
		goto oom;
	p.packager = *packager ? packager : "Unknown";
	p.depends = b->depends;
	p.provides = b->provides;
	p.replaces = b->replaces;
	p.triggers = b->triggers;
	p.ntriggers = b->ntriggers;

	spec.pkg = &p;
	spec.scripts_dir = b->scripts;
	spec.key = &key;
	spec.sig_alg = b->sha256 ? WCH_HASH_SHA256 : WCH_HASH_SHA1;
	spec.auto_deps = b->auto_deps;
	spec.strip = b->strip;
	spec.allow_special = b->allow_special;
	spec.level = b->level;
	spec.warn = warn_cb;

	if (b->outname) {
		if (wch_buf_addstr(&out, b->outname) < 0)
			goto oom;
	} else if (wch_buf_addf(&out, "%s-%s.apk", b->name, ver.p) < 0) {
		goto oom;
	}
	outfd = open(b->outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (outfd < 0) {
		r = wch_err_sys(&err, errno, "cannot open output folder '%s'", b->outdir);
		goto out;
	}
	if ((r = wch_package_write(b->dir, outfd, out.p, &spec, &res, &err)) < 0) {
		wch_err_prefix(&err, "cannot build %s-%s", b->name, ver.p);
		goto out;
	}
	printf("%s/%s\n", b->outdir, out.p);
	rc = WCH_EXIT_OK;
	goto out;
oom:
	wch_errf(&err, -ENOMEM, "out of memory");
out:
	if (rc != WCH_EXIT_OK)
		rc = wch_report(&err);
	if (outfd >= 0)
		close(outfd);
	wch_privkey_release(&key);
	free(keypath);
	free(packager);
	wch_buf_release(&ver);
	wch_buf_release(&out);
	wch_buf_release(&defver);
	wch_arena_release(&b->arena);
	return rc;
}

static int add_trigger(struct build *b, const char *glob)
{
	const char **nv = realloc(b->triggers, (b->ntriggers + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[b->ntriggers++] = glob;
	b->triggers = nv;
	return 0;
}

/* --trigger takes one glob or abuild's colon list ($pkgname.trigger=/a:/b).
 * apk splits `triggers` at spaces (§4.2), so a glob with whitespace would
 * silently become two; control characters would break the .PKGINFO line. */
static int add_triggers(struct build *b, const char *arg, struct wch_err *err)
{
	const char *p = arg, *end;
	char *glob;
	size_t i, n;

	for (;;) {
		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || p[0] != '/')
			return wch_errf(err, -WCH_E_USAGE,
					"trigger glob '%.*s' must be an absolute path", (int)n, p);
		for (i = 0; i < n; i++)
			if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
				return wch_errf(err, -WCH_E_USAGE,
						"trigger glob '%.*s' contains whitespace or a "
						"control character (apk splits triggers at spaces)",
						(int)n, p);
		if (!(glob = wch_arena_strndup(&b->arena, p, n)) || add_trigger(b, glob) < 0)
			return wch_errf(err, -ENOMEM, "out of memory");
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* The options both interfaces share, with the original tool's letters. */
static void set_shared(struct build *b, int c, const char *arg)
{
	switch (c) {
	case 'n':
		b->name = arg;
		break;
	case 'v':
		b->ver = arg;
		break;
	case 'r':
		b->rel = arg;
		break;
	case 'd':
		b->desc = arg;
		break;
	case 'l':
		b->license = arg;
		break;
	case 'm':
		b->maintainer = arg;
		break;
	}
}

int cmd_buildapk(int argc, char **argv)
{
	struct wch_optparse op;
	struct build b;
	struct wch_err err;
	int c, rc;

	memset(&b, 0, sizeof(b));
	b.auto_deps = b.strip = true;
	wch_err_init(&err);
	wch_opt_init(&op, argc, argv, &buildapk_help);
	while ((c = wch_opt_next(&op)) != -1) {
		int r = 0;
		switch (c) {
		case WCH_OPT_HELP:
			wch_opt_release(&op);
			free(b.triggers);
			return WCH_EXIT_OK;
		case WCH_OPT_ERROR:
			wch_opt_release(&op);
			free(b.triggers);
			return WCH_EXIT_USAGE;
		case 'n':
		case 'v':
		case 'r':
		case 'd':
		case 'l':
		case 'm':
			set_shared(&b, c, op.optarg);
			break;
		case 'u':
			b.url = op.optarg;
			break;
		case 'a':
			b.arch = op.optarg;
			break;
		case 'k':
			b.key = op.optarg;
			break;
		case 'D':
			r = add_deps(&b, &b.depends, op.optarg, false, &err);
			break;
		case 'P':
			r = add_deps(&b, &b.provides, op.optarg, true, &err);
			break;
		case OPT_REPLACES:
			r = add_deps(&b, &b.replaces, op.optarg, false, &err);
			break;
		case OPT_ORIGIN:
			b.origin = op.optarg;
			break;
		case OPT_TRIGGER:
			r = add_triggers(&b, op.optarg, &err);
			break;
		case OPT_INSTALL:
			b.scripts = op.optarg;
			break;
		case OPT_NO_AUTO_DEPS:
			b.auto_deps = false;
			break;
		case OPT_NO_STRIP:
			b.strip = false;
			break;
		case OPT_SIGN_SHA256:
			b.sha256 = true;
			break;
		case OPT_ALLOW_SPECIAL:
			b.allow_special = true;
			break;
		case OPT_LEVEL:
			if (op.optarg[0] < '1' || op.optarg[0] > '9' || op.optarg[1])
				r = wch_errf(&err, -WCH_E_USAGE,
					     "compression level '%s' is not a number 1-9",
					     op.optarg);
			else
				b.level = op.optarg[0] - '0';
			break;
		}
		if (r < 0) {
			wch_opt_release(&op);
			wch_arena_release(&b.arena);
			free(b.triggers);
			wch_report(&err);
			return err.code == -WCH_E_USAGE || err.code == -WCH_E_FORMAT
				   ? WCH_EXIT_USAGE
				   : WCH_EXIT_FAIL;
		}
	}
	c = op.index;
	wch_opt_release(&op);
	if (!b.name || argc - c != 2) {
		wch_arena_release(&b.arena);
		free(b.triggers);
		return wch_usage_error(&buildapk_help,
				       !b.name ? "-n NAME is required" : "expected DIR and OUTDIR");
	}
	b.dir = argv[c];
	b.outdir = argv[c + 1];
	rc = run_build(&b);
	free(b.triggers);
	return rc;
}

int cmd_buildapk_compat(int argc, char **argv)
{
	struct wch_optparse op;
	struct build b;
	struct stat st;
	int c, rc;

	memset(&b, 0, sizeof(b));
	b.auto_deps = b.strip = true;
	wch_opt_init(&op, argc, argv, &compat_help);
	while ((c = wch_opt_next(&op)) != -1) {
		switch (c) {
		case 'h':
			wch_opt_print_help(&compat_help, stdout);
			/* fall through */
		case WCH_OPT_HELP:
			wch_opt_release(&op);
			return WCH_EXIT_OK;
		case WCH_OPT_ERROR:
			wch_opt_release(&op);
			return WCH_EXIT_USAGE;
		case 'n':
		case 'v':
		case 'r':
		case 'd':
		case 'l':
		case 'm':
			set_shared(&b, c, op.optarg);
			break;
		}
	}
	c = op.index;
	wch_opt_release(&op);
	if (!b.name || argc - c != 2)
		return wch_usage_error(&compat_help,
				       !b.name ? "-n NAME is required" : "expected DIR and OUTPUT");
	b.dir = argv[c];
	if (stat(argv[c + 1], &st) == 0 && S_ISDIR(st.st_mode)) {
		b.outdir = argv[c + 1];
	} else {
		/* OUTPUT names the file: split into its folder and name. */
		char *slash = strrchr(argv[c + 1], '/');
		if (!slash) {
			b.outdir = ".";
			b.outname = argv[c + 1];
		} else {
			*slash = 0;
			b.outdir = slash == argv[c + 1] ? "/" : argv[c + 1];
			b.outname = slash + 1;
		}
		if (!*b.outname)
			return wch_usage_error(&compat_help, "OUTPUT names no file");
	}
	rc = run_build(&b);
	return rc;
}
