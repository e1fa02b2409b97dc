/*
 * witchery verify: check signatures and checksums of .apk files, like
 * `apk verify` (apk-format §2.4 VERIFY mode): a trusted .SIGN over the
 * control member, datahash over the data member, and every file's
 * APK-TOOLS.checksum record. One line per file; exit 0 only if all are OK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/package.h"
#include "cmd/cmd.h"
#include "crypto/key.h"
#include "util/arena.h"

enum { OPT_KEYS = 'k', OPT_QUIET = 'q', OPT_UNTRUSTED = 'i' };

static const struct wch_opt opts[] = {
    {"keys-dir", 'k', "DIR", OPT_KEYS,
     "trusted public keys (repeatable; default " WCH_DEFAULT_KEYS_DIR ")"},
    {"allow-untrusted", 'i', NULL, OPT_UNTRUSTED,
     "accept unsigned packages and unknown keys (hashes are still checked)"},
    {"quiet", 'q', NULL, OPT_QUIET, "print only the files that fail"},
    {0},
};

static const struct wch_cmd_help help = {
    "witchery verify [-k DIR]... [-i|--allow-untrusted] [-q] FILE.apk...",
    "Checks each package like 'apk verify': its signature must verify with a key\n"
    "from the keys directories, the data part must match the datahash in .PKGINFO,\n"
    "and every file must match its embedded SHA-1. Prints 'FILE: OK' or\n"
    "'FILE: <what failed>' per file and exits 1 if any file failed. An unknown or\n"
    "missing key is reported as untrusted, a wrong signature as bad.",
    opts,
};

static int verify_one(const char *path, const struct wch_keyring *kr, bool allow_untrusted,
		      struct wch_pkg_read_result *res, struct wch_err *err)
{
	struct wch_arena arena = WCH_ARENA_INIT;
	struct wch_pkg_read_opts o = {0};
	int fd, r;

	fd = wch_open_input(path);
	if (fd < 0)
		return wch_err_sys(err, -fd, fd == -EISDIR ? "cannot read" : "cannot open");
	o.mode = allow_untrusted ? WCH_PKG_VERIFY_NONE : WCH_PKG_VERIFY_SIGNATURE;
	o.keys = kr;
	o.arena = &arena;
	r = wch_package_read_fd(fd, &o, res, err);
	close(fd);
	wch_arena_release(&arena); /* res pointers die here; callers use flags only */
	return r;
}

int cmd_verify(int argc, char **argv)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_optparse p;
	const char *dirs[64];
	size_t ndirs = 0;
	bool quiet = false, allow_untrusted = false;
	struct wch_err err;
	int c, i, bad = 0, total = 0, ret = WCH_EXIT_OK;

	wch_opt_init(&p, argc, argv, &help);
	while ((c = wch_opt_next(&p)) != -1) {
		switch (c) {
		case OPT_KEYS:
			if (ndirs == sizeof(dirs) / sizeof(dirs[0])) {
				wch_opt_release(&p);
				return wch_usage_error(&help, "too many --keys-dir options");
			}
			dirs[ndirs++] = p.optarg;
			break;
		case OPT_UNTRUSTED:
			allow_untrusted = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case WCH_OPT_HELP:
			wch_opt_release(&p);
			return WCH_EXIT_OK;
		default:
			wch_opt_release(&p);
			return WCH_EXIT_USAGE;
		}
	}
	i = p.index;
	wch_opt_release(&p);
	if (i == argc)
		return wch_usage_error(&help, "no package files given");

	wch_err_init(&err);
	if (wch_cmd_load_keys(&kr, dirs, ndirs, &err)) {
		wch_keyring_release(&kr);
		return wch_report(&err);
	}
	for (; i < argc; i++) {
		struct wch_pkg_read_result res;
		total++;
		wch_err_init(&err);
		if (verify_one(argv[i], &kr, allow_untrusted, &res, &err) == 0) {
			if (!quiet) {
				wch_fput_safe(argv[i], stdout);
				printf(": OK%s\n", res.trusted ? "" : " (untrusted)");
			}
			continue;
		}
		bad++;
		/* one line per file, whatever bytes the name or the message hold */
		wch_fput_safe(argv[i], stdout);
		fputs(": ", stdout);
		wch_fput_safe(err.msg[0] ? err.msg : wch_strerror(err.code), stdout);
		fputc('\n', stdout);
	}
	wch_keyring_release(&kr);
	if (wch_finish_stdout() != WCH_EXIT_OK)
		return WCH_EXIT_FAIL;
	if (bad) {
		wch_error("%d of %d package%s failed verification", bad, total,
			  total == 1 ? "" : "s");
		ret = WCH_EXIT_FAIL;
	}
	return ret;
}
