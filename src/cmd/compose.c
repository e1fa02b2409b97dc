/*
 * witchery compose / witchery-compose: a root folder holding exactly the
 * resolved packages.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/repo_opts.h"
#include "fs/compose.h"
#include "fs/sink_dir.h"
#include "util/interrupt.h"

enum {
	OPT_NO_DB = 0x400,
	OPT_DRY_RUN,
	OPT_FORCE,
	OPT_TRUST_KEY,
};

static const struct wch_opt compose_opts[] = {
    {"depend", 'd', "DEP", 'd', "install DEP (apk dependency syntax; repeatable)"},
    {"package", 'p', "FILE.apk", 'p', "install this local package file (repeatable)"},
    WCH_REPO_OPT_ROWS,
    {"trust-key", 0, "FILE", OPT_TRUST_KEY, "also trust this public key (repeatable)"},
    {"no-db", 0, NULL, OPT_NO_DB,
     "leave out lib/apk, etc/apk and var/cache/apk (the apk database)"},
    {"dry-run", 0, NULL, OPT_DRY_RUN, "only print the packages that would be installed"},
    {"force", 0, NULL, OPT_FORCE, "replace an existing non-empty OUTDIR"},
    {"verbose", 'v', NULL, 'v', "list each installed package"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct wch_cmd_help compose_help = {
    "witchery compose [options] [-d DEP]... [-p FILE.apk]... OUTDIR",
    "Resolves the requested packages and their dependencies from the repositories,\n"
    "verifies every signature and checksum, and writes exactly those packages into a\n"
    "new root folder OUTDIR (built beside it and renamed into place). Install scripts\n"
    "are not run. The apk database is kept so that scanners and apk see what is\n"
    "installed. Without -X or --repositories-file, /etc/apk/repositories is used when\n"
    "it exists.",
    compose_opts,
};

/* The original 2021 tool's interface: -d -p -X -k -i -h OUTPUT. */
static const struct wch_opt compat_opts[] = {
    {NULL, 'd', "DEP", 'd', "install DEP (repeatable)"},
    {NULL, 'p', "FILE.apk", 'p', "install a local package file (repeatable)"},
    {NULL, 'X', "URL", 'X', "add a repository (repeatable)"},
    {NULL, 'k', "DIR", 'k', "trusted public keys directory"},
    {NULL, 'i', NULL, 'i', "allow untrusted packages and indexes"},
    {NULL, 'h', NULL, 'h', "show this help"},
    /* (extension) so that the "use --force" advice works here too */
    {"force", 0, NULL, OPT_FORCE, "replace an existing non-empty OUTPUT"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct wch_cmd_help compat_help = {
    "witchery-compose [-d DEP]... [-p FILE.apk]... [-X URL]... [-k KEYSDIR] [-i] OUTPUT",
    "Composes a root folder OUTPUT from packages (the original witchery-compose\n"
    "interface; see 'witchery compose --help' for all options).",
    compat_opts,
};

struct compose_args {
	const char **deps, **files, **trust;
	size_t ndeps, nfiles, ntrust;
	bool no_db, dry_run, force, verbose;
	const char *outdir;
	struct wch_repo_opts ro;
};

static int push(const char ***v, size_t *n, const char *s)
{
	const char **g = realloc(*v, (*n + 1) * sizeof(**v));

	if (!g)
		return -ENOMEM;
	g[(*n)++] = s;
	*v = g;
	return 0;
}

static void print_note(void *ctx, const char *msg)
{
	(void)ctx;
	printf("  %s\n", msg);
}

static void print_warning(void *ctx, const char *msg)
{
	(void)ctx;
	wch_warn("%s", msg);
}

static int run(struct compose_args *a)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_repos rs;
	struct wch_compose_opts co = {0};
	struct wch_compose_stats st = {0};
	struct wch_buf problems = WCH_BUF_INIT, plan = WCH_BUF_INIT;
	struct wch_sink *sink = NULL;
	struct wch_sink_dir_opts so = {0};
	struct wch_err err;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	size_t i;
	int r, rc = WCH_EXIT_FAIL;

	wch_err_init(&err);
	/* Ctrl-C or a kill ends the run at the next entry, the temporary tree
	 * is removed, and main() dies of the signal. */
	wch_signals_catch();
	/* Every package passes through buffers of a few MiB (the file, its
	 * inflated members, the recorded content) that come and go package by
	 * package: served from the heap and kept, they are reused instead of
	 * being mapped and faulted in afresh each time (~10% of a compose). */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	wch_repos_init(&rs);
	rs.warn = print_warning;
	r = wch_repo_opts_open(&a->ro, &rs, &kr, true, &err);
	if (!r && rs.n == 0 && !a->ro.repos_file && access("/etc/apk/repositories", R_OK) == 0)
		r = wch_repos_add_file(&rs, "/etc/apk/repositories", &err);
	for (i = 0; !r && i < a->ntrust; i++)
		r = wch_keyring_load_file(&kr, a->trust[i], &err);
	if (!r)
		r = wch_repos_load(&rs, &err);
	if (r)
		goto out;

	co.repos = &rs;
	co.keys = &kr;
	co.deps = a->deps;
	co.ndeps = a->ndeps;
	co.files = a->files;
	co.nfiles = a->nfiles;
	co.allow_untrusted = a->ro.allow_untrusted;
	co.no_db = a->no_db;
	co.db_mtime = sde ? strtoll(sde, NULL, 10) : 0;
	if (a->verbose) {
		co.note = print_note;
	}
	if (a->dry_run) {
		/* A dry run says what the real run would: also that OUTDIR
		 * would be refused. */
		r = a->outdir ? wch_sink_dir_check(a->outdir, a->force, &err) : 0;
		if (!r)
			r = wch_compose_plan(&co, &plan, &problems, &err);
		if (!r) {
			fwrite(plan.p ? plan.p : "", 1, plan.len, stdout);
			rc = WCH_EXIT_OK;
		}
		goto out;
	}
	so.force = a->force;
	so.apply_owner = geteuid() == 0;
	r = wch_sink_dir_new(&sink, a->outdir, &so, &err);
	if (r)
		goto out;
	if (a->verbose)
		printf("composing %s:\n", a->outdir);
	r = wch_compose_run(&co, sink, &st, &problems, &err);
	if (r)
		goto out;
	printf("OK: %zu packages, %zu files, %zu dirs, %.1f MiB in %s\n", st.npkgs, st.nfiles,
	       st.ndirs, (double)st.installed_bytes / (1024.0 * 1024.0), a->outdir);
	/* Nothing is run in the new root (no chroot, no root needed): say
	 * exactly what a real `apk add` would have run there. */
	if (st.nscripts_skipped) {
		printf("note: install scripts not run (kept in lib/apk/db/scripts.tar): ");
		wch_fput_safe(st.scripts_skipped.p, stdout);
		putchar('\n');
	}
	if (st.ntriggers_skipped) {
		printf("note: triggers not run: ");
		wch_fput_safe(st.triggers_skipped.p, stdout);
		putchar('\n');
	}
	if (!so.apply_owner) {
		unsigned nspecial = wch_sink_dir_skipped(sink);
		unsigned nxattr = wch_sink_dir_xattrs_skipped(sink);
		printf("note: not root: files are owned by the caller; intended owners are in "
		       "lib/apk/db/installed\n");
		if (nspecial || nxattr)
			printf("note: not root: %u device node(s) not created and %u privileged "
			       "xattr(s) (e.g. security.capability) not set; both are recorded "
			       "in lib/apk/db/installed\n",
			       nspecial, nxattr);
	}
	rc = WCH_EXIT_OK;
out:
	if (r) {
		rc = wch_report(&err);
		if (problems.len)
			fprintf(stderr, "%s", problems.p);
	}
	if (sink)
		sink->ops->free(sink);
	wch_buf_release(&problems);
	wch_buf_release(&plan);
	wch_compose_stats_release(&st);
	wch_repos_release(&rs);
	wch_keyring_release(&kr);
	return rc;
}

static int parse_and_run(int argc, char **argv, const struct wch_cmd_help *help, bool compat)
{
	struct compose_args a = {0};
	struct wch_optparse p;
	int c, rc = WCH_EXIT_OK;

	wch_repo_opts_init(&a.ro);
	wch_opt_init(&p, argc, argv, help);
	while ((c = wch_opt_next(&p)) != -1) {
		int h = wch_repo_opts_handle(&a.ro, c, p.optarg);
		if (h < 0) {
			rc = WCH_EXIT_FAIL;
			wch_error("out of memory");
			goto out;
		}
		if (h)
			continue;
		switch (c) {
		case 'd':
			if (push(&a.deps, &a.ndeps, p.optarg))
				goto oom;
			break;
		case 'p':
			if (push(&a.files, &a.nfiles, p.optarg))
				goto oom;
			break;
		case OPT_TRUST_KEY:
			if (push(&a.trust, &a.ntrust, p.optarg))
				goto oom;
			break;
		case OPT_NO_DB:
			a.no_db = true;
			break;
		case OPT_DRY_RUN:
			a.dry_run = true;
			break;
		case OPT_FORCE:
			a.force = true;
			break;
		case 'v':
			a.verbose = true;
			break;
		case 'h':
			if (compat) {
				wch_opt_print_help(help, stdout);
				goto out;
			}
			/* fallthrough */
		case WCH_OPT_HELP:
			goto out;
		default:
			rc = WCH_EXIT_USAGE;
			goto out;
		}
	}
	if (a.dry_run && p.index == argc) {
		a.outdir = NULL;
	} else if (p.index != argc - 1) {
		rc = wch_usage_error(help,
				     p.index == argc ? "missing OUTDIR" : "too many arguments");
		goto out;
	} else {
		a.outdir = argv[p.index];
	}
	rc = run(&a);
	goto out;
oom:
	wch_error("out of memory");
	rc = WCH_EXIT_FAIL;
out:
	wch_opt_release(&p);
	wch_repo_opts_release(&a.ro);
	free(a.deps);
	free(a.files);
	free(a.trust);
	return rc;
}

int cmd_compose(int argc, char **argv)
{
	return parse_and_run(argc, argv, &compose_help, false);
}

int cmd_compose_compat(int argc, char **argv)
{
	return parse_and_run(argc, argv, &compat_help, true);
}
