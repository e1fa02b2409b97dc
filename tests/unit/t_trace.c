/*
 * Dependency tracing. The reference is abuild itself: every package of the
 * Alpine 3.19 fixture sets (built by abuild 3.18) is extracted and traced,
 * and the so:/cmd:/pc:/pkgconfig part of our result must equal what abuild
 * wrote into its .PKGINFO. Synthetic trees built with gcc/musl-gcc cover
 * what Alpine packages do not show (interpreters, glibc, rpaths, pc
 * versions).
 */
#include "apk/dep.h"
#include "apk/trace.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "wt.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

static bool have(const char *prog)
{
	return sh("command -v %s >/dev/null 2>&1", prog) == 0;
}

/* "name=ver name2 ..." of a dep list, in result order. */
static const char *text(const struct wch_deps *d, struct wch_buf *b)
{
	wch_buf_reset(b);
	for (size_t i = 0; i < d->n; i++) {
		if (i)
			wch_buf_addch(b, ' ');
		wch_dep_format(&d->v[i], b);
	}
	return b->p ? b->p : "";
}

static int trace_dir(const char *dir, const char *name, const char *ver, const char *arch,
		     struct wch_arena *a, struct wch_trace_result *r, struct wch_err *e)
{
	struct wch_trace_opts o = {.pkgname = name, .version = ver, .arch = arch};
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	wch_err_init(e);
	int rc = wch_trace_tree(fd, &o, a, r, e);
	close(fd);
	return rc;
}

/* The fields abuild traces: provides so:/cmd:/pc:, depends so:/pc:/pkgconfig. */
static bool traced_kind(const char *key, const char *val)
{
	if (!strcmp(key, "provides"))
		return !strncmp(val, "so:", 3) || !strncmp(val, "cmd:", 4) ||
		       !strncmp(val, "pc:", 3);
	return !strncmp(val, "so:", 3) || !strncmp(val, "pc:", 3) || !strcmp(val, "pkgconfig");
}

/* Sorted "provides = x" / "depend = y" lines of the traced kinds from
 * a .PKGINFO (abuild's view). */
static int pkginfo_lines(const char *dir, struct wch_buf *out, char *name, char *ver, char *arch)
{
	char path[4200], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/.PKGINFO", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	wch_buf_reset(out);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *eq = strstr(line, " = ");
		if (!eq)
			continue;
		*eq = 0;
		const char *val = eq + 3;
		if (!strcmp(line, "pkgname"))
			snprintf(name, 256, "%s", val);
		else if (!strcmp(line, "pkgver"))
			snprintf(ver, 256, "%s", val);
		else if (!strcmp(line, "arch"))
			snprintf(arch, 256, "%s", val);
		else if ((!strcmp(line, "provides") || !strcmp(line, "depend")) &&
			 traced_kind(line, val))
			wch_buf_addf(out, "%s = %s\n", line, val);
	}
	fclose(f);
	return 0;
}

static int cmp_lines(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sorts the lines of b in place (abuild's sort). */
static void sort_lines(struct wch_buf *b)
{
	char *lines[4096];
	size_t n = 0;
	struct wch_buf s = WCH_BUF_INIT;

	for (char *p = b->p; p && *p && n < 4096;) {
		lines[n++] = p;
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
	qsort(lines, n, sizeof(lines[0]), cmp_lines);
	for (size_t i = 0; i < n; i++)
		wch_buf_addf(&s, "%s\n", lines[i]);
	wch_buf_reset(b);
	wch_buf_add(b, s.p ? s.p : "", s.len);
	wch_buf_release(&s);
}

static void check_set(const char *set, const char *skip, int *count)
{
	char setdir[4096];
	struct dirent *de;
	DIR *d;

	snprintf(setdir, sizeof(setdir), "%s", wt_fixture(set));
	d = opendir(setdir);
	WT_TRUE(d != NULL);
	while ((de = readdir(d))) {
		struct wch_buf want = WCH_BUF_INIT, got = WCH_BUF_INIT, tmp = WCH_BUF_INIT;
		struct wch_arena a = WCH_ARENA_INIT;
		struct wch_trace_result r;
		struct wch_err e;
		char dir[4096], name[256] = "", ver[256] = "", arch[256] = "";

		if (strlen(de->d_name) < 5 || strcmp(de->d_name + strlen(de->d_name) - 4, ".apk"))
			continue;
		if (skip && !strncmp(de->d_name, skip, strlen(skip)))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s.d", wt_tmpdir(), de->d_name);
		WT_EQ(sh("mkdir -p '%s' && tar -xzf '%s/%s' -C '%s' 2>/dev/null", dir, setdir,
			 de->d_name, dir),
		      0);
		WT_EQ(pkginfo_lines(dir, &want, name, ver, arch), 0);
		sort_lines(&want);
		/* Control files are not payload. */
		sh("rm -f '%s'/.PKGINFO '%s'/.SIGN.* '%s'/.pre-* '%s'/.post-* '%s'/.trigger", dir,
		   dir, dir, dir, dir);
		int rc = trace_dir(dir, name, ver, arch, &a, &r, &e);
		if (rc != 0)
			wt_fail(__FILE__, __LINE__, "%s: %s", de->d_name, e.msg);
		WT_OK(rc);
		for (size_t i = 0; i < r.provides.n; i++) {
			wch_buf_reset(&tmp);
			wch_dep_format(&r.provides.v[i], &tmp);
			if (traced_kind("provides", tmp.p))
				wch_buf_addf(&got, "provides = %s\n", tmp.p);
		}
		for (size_t i = 0; i < r.depends.n; i++) {
			wch_buf_reset(&tmp);
			wch_dep_format(&r.depends.v[i], &tmp);
			if (traced_kind("depend", tmp.p))
				wch_buf_addf(&got, "depend = %s\n", tmp.p);
		}
		sort_lines(&got);
		if (strcmp(want.p ? want.p : "", got.p ? got.p : ""))
			wt_fail(__FILE__, __LINE__, "%s: abuild:\n%s-- ours:\n%s", de->d_name,
				want.p ? want.p : "", got.p ? got.p : "");
		WT_STREQ(want.p ? want.p : "", got.p ? got.p : "");
		(*count)++;
		sh("rm -rf '%s'", dir);
		wch_buf_release(&want);
		wch_buf_release(&got);
		wch_buf_release(&tmp);
		wch_arena_release(&a);
	}
	closedir(d);
}

static void t_alpine_319_matches_abuild(void)
{
	int n = 0;

	check_set("alpine/apks/x86_64/alpine-3.19.1-iso-boot", NULL, &n);
	if (wt_failed_now)
		return;
	WT_EQ(n, 100);
	/* py3-pyserial has usr/bin symlinks with absolute targets: abuild's
	 * `[ -x ]` resolved them on the build host, where the target did not
	 * exist; we resolve nothing outside the tree and provide cmd: for any
	 * symlink, as apk-format §10.3 states. */
	check_set("alpine/apks/x86_64/alpine-3.19-apk-cache", "py3-pyserial-3", &n);
	WT_TRUE(n > 150);
}

/* The real musl package: exactly what its .PKGINFO says. */
static void t_musl_package(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_trace_result r;
	struct wch_err e;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/musl", wt_tmpdir());
	WT_EQ(sh("mkdir -p '%s' && tar -xzf '%s' -C '%s' 2>/dev/null && rm '%s'/.PKGINFO "
		 "'%s'/.SIGN.*",
		 dir,
		 wt_fixture("alpine/apks/x86_64/alpine-3.19.1-iso-boot/"
			    "musl-1.2.4_git20230717-r4.apk"),
		 dir, dir, dir),
	      0);
	WT_OK(trace_dir(dir, "musl", "1.2.4_git20230717-r4", "x86_64", &a, &r, &e));
	WT_STREQ(text(&r.provides, &b), "so:libc.musl-x86_64.so.1=1");
	WT_STREQ(text(&r.depends, &b), "");
	WT_EQ(r.nwarnings, 0);
	/* noarch: no so: provides (§10.1). */
	WT_OK(trace_dir(dir, "musl", "1.2.4_git20230717-r4", "noarch", &a, &r, &e));
	WT_STREQ(text(&r.provides, &b), "");
	wch_buf_release(&b);
	wch_arena_release(&a);
}

static int put(const char *dir, const char *rel, mode_t mode, const char *content)
{
	char path[8200];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(content, f);
	fclose(f);
	return chmod(path, mode);
}

/* An app folder as a user would hand it to buildapk. */
static void t_synthetic_tree(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_trace_result r;
	struct wch_err e;
	char root[4096], src[4096];

	if (!have("musl-gcc") || !have("gcc")) {
		wt_skip("musl-gcc (musl-tools) or gcc not installed");
		return;
	}
	snprintf(root, sizeof(root), "%s/app", wt_tmpdir());
	snprintf(src, sizeof(src), "%s/src", wt_tmpdir());
	WT_EQ(sh("mkdir -p '%s' %s/usr/bin %s/usr/lib/pkgconfig %s/usr/libexec "
		 "%s/opt/app/bin %s/opt/app/lib %s/opt/glibc && "
		 "echo 'int foo(void){return 42;}' > '%s/foo.c' && "
		 "echo 'int foo(void); int main(void){return foo()-42;}' > '%s/app.c' && "
		 "echo 'int main(void){return 0;}' > '%s/g.c'",
		 src, root, root, root, root, root, root, src, src, src),
	      0);
	/* libfoo.so.1 in usr/lib: so:libfoo.so.1=1.2.3; the app needing it
	 * gets no so:libfoo depend (self-provided). libbar lives in an rpath
	 * dir reached through $ORIGIN. */
	WT_EQ(sh("cd '%s' && musl-gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "
		 "'%s/usr/lib/libfoo.so.1.2.3' foo.c && ln -s libfoo.so.1.2.3 "
		 "'%s/usr/lib/libfoo.so.1' && musl-gcc -shared -fPIC -Wl,-soname,libbar.so.2 "
		 "-o '%s/opt/app/lib/libbar.so.2' foo.c && musl-gcc -o '%s/usr/bin/app' app.c "
		 "'%s/usr/lib/libfoo.so.1.2.3' && musl-gcc -o '%s/opt/app/bin/app2' app.c "
		 "-Wl,-rpath,'$ORIGIN/../lib' '%s/opt/app/lib/libbar.so.2' && "
		 "gcc -o '%s/opt/glibc/hello' g.c",
		 src, root, root, root, root, root, root, root, root),
	      0);
	WT_EQ(put(root, "usr/bin/tool", 0755, "#!/usr/bin/env python3\nprint(1)\n"), 0);
	WT_EQ(put(root, "usr/bin/run.sh", 0755, "#!/bin/sh\necho\n"), 0);
	WT_EQ(put(root, "usr/bin/not@cmd", 0755, "#!/usr/bin/env -S node --harmony\n"), 0);
	WT_EQ(put(root, "usr/libexec/helper", 0755, "#!/bin/bash -e\ntrue\n"), 0);
	WT_EQ(put(root, "usr/libexec/plain.pl", 0644, "#!/usr/bin/perl\n1;\n"), 0);
	WT_EQ(put(root, "usr/lib/pkgconfig/foo.pc", 0644,
		  "prefix=/usr\nver=1.0-rc1\n# comment\nName: foo\nVersion: ${ver}\n"
		  "Requires: glib-2.0 >= 2.56, bar\nRequires.private: zlib\n"
		  "Libs: -L${prefix}/lib -lfoo\n"),
	      0);
	WT_EQ(put(root, "usr/lib/pkgconfig/bar.pc", 0644, "Name: bar\nVersion: v2.1\n"), 0);
	WT_OK(trace_dir(root, "app", "1.0-r0", "x86_64", &a, &r, &e));
	WT_STREQ(text(&r.provides, &b),
		 "cmd:app=1.0-r0 cmd:run.sh=1.0-r0 cmd:tool=1.0-r0 pc:bar=2.1 pc:foo=1.0_rc1 "
		 "so:libbar.so.2=2 so:libfoo.so.1=1.2.3");
	WT_STREQ(text(&r.depends, &b),
		 "/bin/sh cmd:bash cmd:node cmd:python3 pc:glib-2.0>=2.56 pc:zlib pkgconfig "
		 "so:libc.musl-x86_64.so.1 so:libc.so.6");
	WT_EQ(r.nwarnings, 1);
	WT_TRUE(strstr(r.warnings[0], "'opt/glibc/hello' is linked against glibc") != NULL);
	/* Without a package arch, musl's arch comes from the loader path and,
	 * for shared objects, from e_machine. */
	WT_OK(trace_dir(root, "app", "1.0-r0", NULL, &a, &r, &e));
	WT_TRUE(strstr(text(&r.depends, &b), " so:libc.musl-x86_64.so.1 so:libc.so.6") != NULL);
	WT_TRUE(strstr(text(&r.depends, &b), "so:libc.so ") == NULL);

	/* The package that ships its interpreter needs no provider for it. */
	WT_EQ(sh("mkdir -p '%s/bin' && cp /bin/true '%s/usr/bin/python3' && "
		 "cp /bin/true '%s/bin/sh'",
		 root, root, root),
	      0);
	WT_OK(trace_dir(root, "app", "1.0-r0", "x86_64", &a, &r, &e));
	WT_TRUE(strstr(text(&r.depends, &b), "python3") == NULL);
	WT_TRUE(strstr(text(&r.depends, &b), "/bin/sh") == NULL);
	WT_TRUE(strstr(text(&r.provides, &b), "cmd:python3=1.0-r0") != NULL);
	wch_buf_release(&b);
	wch_arena_release(&a);
}

/* Symlinks are never followed: a link to the host's /usr/lib adds nothing,
 * an rpath out of the tree is ignored, an rpath into /home is refused. */
static void t_tree_confinement(void)
{
	struct wch_arena a = WCH_ARENA_INIT;
	struct wch_buf b = WCH_BUF_INIT;
	struct wch_trace_result r;
	struct wch_err e;
	char root[4096];

	snprintf(root, sizeof(root), "%s/conf", wt_tmpdir());
	WT_EQ(sh("mkdir -p '%s/usr' && ln -s /usr/lib '%s/usr/lib' && ln -s /lib '%s/lib' && "
		 "ln -s /usr/bin '%s/bin'",
		 root, root, root, root),
	      0);
	WT_OK(trace_dir(root, "c", "1-r0", "x86_64", &a, &r, &e));
	WT_STREQ(text(&r.provides, &b), "");
	WT_STREQ(text(&r.depends, &b), "");
	if (have("gcc")) {
		WT_EQ(sh("mkdir -p '%s/x' && echo 'int main(void){return 0;}' > '%s/m.c' && "
			 "gcc -Wl,-rpath,/home/me/lib -o '%s/x/m' '%s/m.c'",
			 root, root, root, root),
		      0);
		WT_EQ(trace_dir(root, "c", "1-r0", "x86_64", &a, &r, &e), -WCH_E_FORMAT);
		WT_TRUE(strstr(e.msg, "rpath into /home") != NULL);
	}
	wch_buf_release(&b);
	wch_arena_release(&a);
}

static void t_shebang(void)
{
	static const char *const cases[][2] = {
	    {"/bin/sh", "/bin/sh"},
	    {" /bin/sh -e", "/bin/sh"},
	    {"/bin/bash", "cmd:bash"},
	    {"/usr/bin/python3", "cmd:python3"},
	    {"/usr/bin/env python3", "cmd:python3"},
	    {"/usr/bin/env python3\r", "cmd:python3"},
	    {"/usr/bin/env -S python3 -u", "cmd:python3"},
	    {"/usr/bin/env -Spython3 -u", "cmd:python3"},
	    {"/usr/bin/env --split-string=perl -w", "cmd:perl"},
	    {"/usr/bin/env -i -u HOME LANG=C ruby", "cmd:ruby"},
	    {"/usr/bin/env -- node", "cmd:node"},
	    {"/usr/bin/env /usr/bin/python3", "cmd:python3"},
	    {"/usr/bin/env", NULL},
	    {"/usr/bin/env -i", NULL},
	    {"python3", NULL},
	    {"", NULL},
	    {"/usr/bin/a@b", NULL},
	    {"/usr/bin/", NULL},
	};
	struct wch_arena a = WCH_ARENA_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *dep = "unset";
		WT_OK(wch_trace_shebang(wch_view_str(cases[i][0]), &a, &dep));
		if (!cases[i][1] && dep)
			wt_fail(__FILE__, __LINE__, "'%s' -> '%s', want nothing", cases[i][0], dep);
		if (cases[i][1] && (!dep || strcmp(dep, cases[i][1])))
			wt_fail(__FILE__, __LINE__, "'%s' -> '%s', want '%s'", cases[i][0],
				dep ? dep : "(none)", cases[i][1]);
		if (wt_failed_now)
			return;
	}
	wch_arena_release(&a);
}

static void t_pc_version(void)
{
	static const char *const cases[][2] = {
	    {"1.0-rc1", "1.0_rc1"},
	    {"1.0.rc1", "1.0_rc1"},
	    {"2.0-alpha", "2.0_alpha"},
	    {"3.1.beta2", "3.1_beta2"},
	    {"0.9-pre", "0.9_pre"},
	    {"v1.2.3", "1.2.3"},
	    {"", "0"},
	    {"1.2.3", "1.2.3"},
	    {"1.0-foo", "1.0-foo"},
	};
	struct wch_arena a = WCH_ARENA_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		WT_STREQ(wch_trace_pc_version(&a, cases[i][0]), cases[i][1]);
	wch_arena_release(&a);
}

WT_MAIN(WT(t_alpine_319_matches_abuild), WT(t_musl_package), WT(t_synthetic_tree),
	WT(t_tree_confinement), WT(t_shebang), WT(t_pc_version))
