/*
 * Repository options shared by resolve and compose (see repo_opts.h).
 */
#include "cmd/repo_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void wch_repo_opts_init(struct wch_repo_opts *o)
{
	memset(o, 0, sizeof(*o));
}

void wch_repo_opts_release(struct wch_repo_opts *o)
{
	free(o->repos);
	free(o->keys_dirs);
	memset(o, 0, sizeof(*o));
}

int wch_repo_opts_handle(struct wch_repo_opts *o, int id, const char *optarg)
{
	switch (id) {
	case 'X': {
		const char **nv = realloc(o->repos, (o->nrepos + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		o->repos = nv;
		o->repos[o->nrepos++] = optarg;
		return 1;
	}
	case WCH_REPO_OPT_REPOS_FILE:
		o->repos_file = optarg;
		return 1;
	case 'k': {
		const char **nv = realloc(o->keys_dirs, (o->nkeys_dirs + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		o->keys_dirs = nv;
		o->keys_dirs[o->nkeys_dirs++] = optarg;
		return 1;
	}
	case 'i':
		o->allow_untrusted = true;
		return 1;
	case WCH_REPO_OPT_ARCH:
		o->arch = optarg;
		return 1;
	case WCH_REPO_OPT_CACHE_DIR:
		o->cache_dir = optarg;
		return 1;
	case WCH_REPO_OPT_OFFLINE:
		o->offline = true;
		return 1;
	case 'q':
		o->quiet = true;
		return 1;
	default:
		return 0;
	}
}

/* The arch names a folder in every repository (URL/<arch>/APKINDEX.tar.gz):
 * one path component, no "..", nothing that would garble a URL. */
static bool arch_ok(const char *a)
{
	const unsigned char *p;

	if (!*a || strcmp(a, ".") == 0 || strcmp(a, "..") == 0)
		return false;
	for (p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("/?#%\\", *p))
			return false;
	return true;
}

static void warn_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	wch_warn("%s", msg);
}

int wch_repo_opts_open(const struct wch_repo_opts *o, struct wch_repos *rs, struct wch_keyring *kr,
		       bool allow_none, struct wch_err *err)
{
	size_t i;
	int r;

	r = wch_cmd_load_keys(kr, o->keys_dirs, o->nkeys_dirs, err);
	if (r < 0)
		return r;
	rs->keys = kr;
	rs->allow_untrusted = o->allow_untrusted;
	rs->offline = o->offline;
	rs->progress = !o->quiet && isatty(STDERR_FILENO);
	rs->warn = warn_stderr;
	if ((o->arch && wch_repos_set_arch(rs, o->arch)) ||
	    (o->cache_dir && wch_repos_set_cache_dir(rs, o->cache_dir)))
		return wch_errf(err, -ENOMEM, "out of memory");
	if (o->arch && !arch_ok(o->arch))
		return wch_errf(err, -WCH_E_USAGE, "invalid --arch '%s'", o->arch);
	if (o->repos_file) {
		r = wch_repos_add_file(rs, o->repos_file, err);
		if (r < 0)
			return r;
	}
	for (i = 0; i < o->nrepos; i++) {
		r = wch_repos_add(rs, o->repos[i], NULL, err);
		if (r < 0)
			return r;
	}
	if (rs->n == 0 && !allow_none)
		return wch_errf(err, -WCH_E_USAGE,
				"no repositories (use -X URL or --repositories-file FILE)");
	return 0;
}
