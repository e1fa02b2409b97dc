/*
 * witchery resolve: load the repositories' signed indexes, solve the
 * request and print the plan (one name-version per line, install order).
 * Local .apk files given by path join the world as exact identities.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apk/dep.h"
#include "cmd/cmd.h"
#include "cmd/repo_opts.h"
#include "repo/repo.h"
#include "solver/solver.h"

#define OPT_VERBOSE 'v'

static const struct wch_opt opts[] = {
    WCH_REPO_OPT_ROWS,
    {"verbose", 'v', NULL, OPT_VERBOSE, "also print each package's repository"},
    {0},
};

static const struct wch_cmd_help help = {
    "witchery resolve [options] DEP|FILE.apk...",
    "Loads the signed APKINDEX of every repository (-X, --repositories-file), resolves the\n"
    "dependencies DEP (apk syntax: name, name>=1.2, so:libc.musl-x86_64.so.1, name@tag)\n"
    "like apk 2.14 would for an empty root, and prints the packages, one name-version per\n"
    "line, dependencies first. Arguments ending in .apk that name a file are local\n"
    "packages: they join the request as exactly that package. When there is no solution\n"
    "the problems are listed as apk does and the exit status is 1.",
    opts,
};

static bool is_local_apk(const char *arg)
{
	size_t n = strlen(arg);
	struct stat st;

	return n > 4 && strcmp(arg + n - 4, ".apk") == 0 && stat(arg, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

/* Adds the local packages to rs->pkgs and the world. */
static int add_local(struct wch_repos *rs, const char *path, struct wch_dep *d, struct wch_err *err)
{
	struct wch_pkg *p, **np;
	char q1[64];
	int r;

	r = wch_index_pkg_from_apk(&rs->arena, path, rs->keys, &p, err);
	if (r < 0)
		return r;
	np = realloc(rs->pkgs, (rs->npkgs + 1) * sizeof(*np));
	if (!np)
		return wch_errf(err, -ENOMEM, "out of memory");
	rs->pkgs = np;
	rs->pkgs_cap = rs->npkgs + 1;
	rs->pkgs[rs->npkgs++] = p;
	memset(d, 0, sizeof(*d));
	d->name = p->name;
	d->op = WCH_VER_CHECKSUM; /* "name><Q1...": exactly this file (§7.1) */
	d->version = wch_arena_strdup(&rs->arena, wch_checksum_format(&p->identity, q1));
	if (!d->version)
		return wch_errf(err, -ENOMEM, "out of memory");
	return 0;
}

static int run(struct wch_repo_opts *ro, char **args, int nargs, bool verbose)
{
	struct wch_keyring kr = WCH_KEYRING_INIT;
	struct wch_repos rs;
	struct wch_deps world = {NULL, 0};
	struct wch_solution sol = {NULL, 0};
	struct wch_buf problems = WCH_BUF_INIT;
	struct wch_solver_opts so;
	const char **tags = NULL;
	struct wch_err e;
	bool any_local = false;
	int i, r, ret = WCH_EXIT_FAIL;

	wch_err_init(&e);
	wch_repos_init(&rs);
	for (i = 0; i < nargs; i++)
		any_local |= is_local_apk(args[i]);
	r = wch_repo_opts_open(ro, &rs, &kr, any_local, &e);
	if (r == -WCH_E_USAGE) {
		ret = wch_usage_error(&help, "%s", e.msg);
		goto out;
	}
	if (r == 0)
		r = wch_repos_load(&rs, &e);
	if (r < 0)
		goto fail;
	world.v = wch_arena_alloc(&rs.arena, (size_t)nargs * sizeof(*world.v));
	if (!world.v) {
		r = wch_errf(&e, -ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < nargs; i++, world.n++) {
		if (is_local_apk(args[i]))
			r = add_local(&rs, args[i], &world.v[world.n], &e);
		else
			r = wch_dep_parse_world(&rs.arena, args[i], &world.v[world.n], &e);
		if (r < 0)
			goto fail;
	}
	tags = calloc(rs.n ? rs.n : 1, sizeof(*tags));
	if (!tags) {
		r = wch_errf(&e, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t k = 0; k < rs.n; k++)
		tags[k] = rs.v[k].tag;
	memset(&so, 0, sizeof(so));
	so.repo_tags = tags;
	so.nrepos = rs.n;
	r = wch_solve(rs.pkgs, rs.npkgs, &world, &so, &sol, &problems, &e);
	if (r < 0) {
		wch_report(&e);
		if (problems.len)
			fputs(problems.p, stderr);
		goto out;
	}
	for (size_t k = 0; k < sol.n; k++) {
		const struct wch_pkg *p = sol.pkgs[k];
		if (!verbose)
			printf("%s-%s\n", p->name, p->version);
		else if (p->repo >= 0)
			printf("%s-%s %s\n", p->name, p->version, rs.v[p->repo].display);
		else
			printf("%s-%s %s\n", p->name, p->version, p->filename);
	}
	ret = wch_finish_stdout();
	goto out;
fail:
	ret = wch_report(&e);
out:
	free(tags);
	wch_solution_release(&sol);
	wch_buf_release(&problems);
	wch_repos_release(&rs);
	wch_keyring_release(&kr);
	return ret;
}

int cmd_resolve(int argc, char **argv)
{
	struct wch_optparse p;
	struct wch_repo_opts ro;
	bool verbose = false;
	int c, ret;

	wch_repo_opts_init(&ro);
	wch_opt_init(&p, argc, argv, &help);
	while ((c = wch_opt_next(&p)) != -1) {
		int h = wch_repo_opts_handle(&ro, c, p.optarg);
		if (h < 0) {
			wch_error("out of memory");
			ret = WCH_EXIT_FAIL;
			goto out;
		}
		if (h > 0)
			continue;
		if (c == OPT_VERBOSE) {
			verbose = true;
			continue;
		}
		ret = c == WCH_OPT_HELP ? WCH_EXIT_OK : WCH_EXIT_USAGE;
		goto out;
	}
	if (p.index >= argc) {
		ret = wch_usage_error(&help, "nothing to resolve: give at least one DEP");
		goto out;
	}
	ret = run(&ro, argv + p.index, argc - p.index, verbose);
out:
	wch_opt_release(&p);
	wch_repo_opts_release(&ro);
	return ret;
}
