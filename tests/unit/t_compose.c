/*
 * compose through the library: alpine-base from the 3.19.1 snapshot; the
 * written lib/apk/db/installed is read back with the project's own reader
 * and every package's index fields equal the repository index's; file
 * counts equal what GNU tar lists in each package's data member.
 */
#include "apk/db.h"
#include "apk/index_text.h"
#include "fs/compose.h"
#include "fs/sink_dir.h"
#include "util/io.h"
#include "wt.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct env {
	struct wch_keyring kr;
	struct wch_repos rs;
	char repo[4096];
};

static int setup(struct env *v, struct wch_err *err)
{
	char link[4200], target[4096];
	int r;

	memset(v, 0, sizeof(*v));
	snprintf(v->repo, sizeof(v->repo), "%s/repo", wt_tmpdir());
	snprintf(link, sizeof(link), "%s/x86_64", v->repo);
	if (!realpath(wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot"), target))
		return -1;
	mkdir(v->repo, 0755);
	if (symlink(target, link) < 0 && access(link, F_OK) < 0)
		return -1;
	r = wch_keyring_load_dir(&v->kr, wt_fixture("alpine/keys"), err);
	if (r)
		return r;
	wch_repos_init(&v->rs);
	v->rs.keys = &v->kr;
	r = wch_repos_set_arch(&v->rs, "x86_64");
	if (!r)
		r = wch_repos_add(&v->rs, v->repo, NULL, err);
	if (!r)
		r = wch_repos_load(&v->rs, err);
	return r;
}

static void teardown(struct env *v)
{
	wch_repos_release(&v->rs);
	wch_keyring_release(&v->kr);
}

static const struct wch_pkg *index_pkg(const struct wch_repos *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->npkgs; i++)
		if (!strcmp(rs->pkgs[i]->name, name))
			return rs->pkgs[i];
	return NULL;
}

/* Entries of the data member that apk installs (GNU tar's view): every
 * name except the control/signature ones and top-level dot files. */
static long tar_count(const char *repo, const struct wch_pkg *p)
{
	char cmd[8192];
	FILE *f;
	long n = -1;

	snprintf(cmd, sizeof(cmd),
		 "tar -tzf '%s/x86_64/%s-%s.apk' 2>/dev/null | grep -v '^\\.' | wc -l", repo,
		 p->name, p->version);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

static void t_alpine_base_db_reads_back(void)
{
	struct env v;
	struct wch_err err;
	struct wch_sink *sink;
	struct wch_compose_opts o = {0};
	struct wch_compose_stats st;
	struct wch_buf problems = WCH_BUF_INIT, text = WCH_BUF_INIT;
	struct wch_buf a = WCH_BUF_INIT, b = WCH_BUF_INIT;
	const char *deps[] = {"alpine-base"};
	char out[4200], dbpath[4300];
	struct wch_db db;
	size_t i, j;

	wch_err_init(&err);
	if (setup(&v, &err)) {
		wt_fail(__FILE__, __LINE__, "setup: %s", err.msg);
		return;
	}
	snprintf(out, sizeof(out), "%s/root", wt_tmpdir());
	o.repos = &v.rs;
	o.keys = &v.kr;
	o.deps = deps;
	o.ndeps = 1;
	WT_OK(wch_sink_dir_new(&sink, out, NULL, &err));
	WT_OK(wch_compose_run(&o, sink, &st, &problems, &err));
	wch_compose_stats_release(&st);
	sink->ops->free(sink);
	WT_EQ(st.npkgs, 25);

	snprintf(dbpath, sizeof(dbpath), "%s/lib/apk/db/installed", out);
	WT_OK(wch_read_file_at(AT_FDCWD, dbpath, &text, 16u << 20, &err));
	wch_db_init(&db);
	WT_OK(wch_db_read_installed(&db, text.p, text.len, &err));
	WT_EQ(db.npkgs, 25);
	for (i = 0; i < db.npkgs; i++) {
		const struct wch_pkg *got = db.pkgs[i]->pkg;
		const struct wch_pkg *want = index_pkg(&v.rs, got->name);
		size_t files = 0;
		WT_TRUE(want != NULL);
		wch_buf_reset(&a);
		wch_buf_reset(&b);
		WT_OK(wch_index_text_write_pkg(got, &a));
		WT_OK(wch_index_text_write_pkg(want, &b));
		if (strcmp(a.p, b.p)) {
			wt_fail(__FILE__, __LINE__, "%s: db stanza differs:\n%s\nindex:\n%s",
				got->name, a.p, b.p);
			break;
		}
		/* Directories + files recorded = entries in the data member. */
		for (j = 0; j < db.pkgs[i]->ndirs; j++)
			files += db.pkgs[i]->dirs[j].nfiles + (db.pkgs[i]->dirs[j].name[0] != 0);
		WT_EQ(files, tar_count(v.repo, want));
	}
	wch_db_release(&db);
	wch_buf_release(&a);
	wch_buf_release(&b);
	wch_buf_release(&text);
	wch_buf_release(&problems);
	teardown(&v);
}

static void t_unsatisfiable_leaves_nothing(void)
{
	struct env v;
	struct wch_err err;
	struct wch_sink *sink;
	struct wch_compose_opts o = {0};
	struct wch_compose_stats st;
	struct wch_buf problems = WCH_BUF_INIT;
	const char *deps[] = {"musl>99"};
	char out[4200];
	struct stat sb;

	wch_err_init(&err);
	if (setup(&v, &err)) {
		wt_fail(__FILE__, __LINE__, "setup: %s", err.msg);
		return;
	}
	snprintf(out, sizeof(out), "%s/bad", wt_tmpdir());
	o.repos = &v.rs;
	o.keys = &v.kr;
	o.deps = deps;
	o.ndeps = 1;
	WT_OK(wch_sink_dir_new(&sink, out, NULL, &err));
	WT_EQ(wch_compose_run(&o, sink, &st, &problems, &err), -WCH_E_UNSATISFIABLE);
	wch_compose_stats_release(&st);
	WT_TRUE(strstr(err.msg, "musl") != NULL);
	sink->ops->free(sink);
	WT_TRUE(stat(out, &sb) < 0);
	wch_buf_release(&problems);
	teardown(&v);
}

/* A local repository is trusted only through its signed index: a package
 * file swapped for another (here musl's for zlib's) is refused while it
 * streams (compose reads each file once, with no separate pre-check), and
 * nothing is left behind. */
static void t_swapped_local_file_refused(void)
{
	struct env v;
	struct wch_err err;
	struct wch_sink *sink;
	struct wch_compose_opts o = {0};
	struct wch_compose_stats st;
	struct wch_buf problems = WCH_BUF_INIT;
	struct wch_repos rs;
	const char *deps[] = {"musl"};
	char dir[4200], src[4400], dst[4600], out[4200], snap[4096];
	struct dirent *de;
	struct stat sb;
	DIR *d;

	wch_err_init(&err);
	if (setup(&v, &err)) {
		wt_fail(__FILE__, __LINE__, "setup: %s", err.msg);
		return;
	}
	if (!realpath(wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot"), snap)) {
		wt_fail(__FILE__, __LINE__, "no fixture");
		teardown(&v);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/swapped", wt_tmpdir());
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/swapped/x86_64", wt_tmpdir());
	WT_OK(mkdir(dir, 0755));
	d = opendir(snap);
	WT_TRUE(d != NULL);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", snap, de->d_name);
		if (!strcmp(de->d_name, "musl-1.2.4_git20230717-r4.apk"))
			snprintf(src, sizeof(src), "%s/zlib-1.3.1-r0.apk", snap);
		snprintf(dst, sizeof(dst), "%s/%s", dir, de->d_name);
		WT_OK(symlink(src, dst));
	}
	if (d)
		closedir(d);
	wch_repos_init(&rs);
	rs.keys = &v.kr;
	WT_OK(wch_repos_set_arch(&rs, "x86_64"));
	snprintf(dir, sizeof(dir), "%s/swapped", wt_tmpdir());
	WT_OK(wch_repos_add(&rs, dir, NULL, &err));
	if (wch_repos_load(&rs, &err))
		wt_fail(__FILE__, __LINE__, "load: %s", err.msg);
	snprintf(out, sizeof(out), "%s/swapped-out", wt_tmpdir());
	o.repos = &rs;
	o.keys = &v.kr;
	o.deps = deps;
	o.ndeps = 1;
	WT_OK(wch_sink_dir_new(&sink, out, NULL, &err));
	WT_EQ(wch_compose_run(&o, sink, &st, &problems, &err), -WCH_E_INTEGRITY);
	wch_compose_stats_release(&st);
	WT_TRUE(strstr(err.msg, "musl") != NULL && strstr(err.msg, "identity") != NULL);
	sink->ops->free(sink);
	WT_TRUE(stat(out, &sb) < 0);
	d = opendir(wt_tmpdir());
	while (d && (de = readdir(d)))
		WT_TRUE(strncmp(de->d_name, ".swapped-out.wch", 16) != 0);
	if (d)
		closedir(d);
	wch_buf_release(&problems);
	wch_repos_release(&rs);
	teardown(&v);
}

WT_MAIN(WT(t_alpine_base_db_reads_back), WT(t_unsatisfiable_leaves_nothing),
	WT(t_swapped_local_file_refused))
