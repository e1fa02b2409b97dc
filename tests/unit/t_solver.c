#include "apk/index_text.h"
#include "crypto/hash.h"
#include "solver/solver.h"
#include "wt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Packages of one or more repositories loaded for a test. */
struct repos {
	struct wch_arena a;
	struct wch_pkg **v;
	size_t n, cap;
	int repo;
};

static int on_pkg(void *ctx, struct wch_pkg *p, struct wch_err *err)
{
	struct repos *r = ctx;

	(void)err;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct wch_pkg **v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	p->repo = r->repo;
	r->v[r->n++] = p;
	return 0;
}

static int load_text(struct repos *r, const char *text, size_t n, int repo)
{
	struct wch_index_cb cb = {.pkg = on_pkg, .ctx = r};
	struct wch_err e;

	r->repo = repo;
	wch_err_init(&e);
	if (wch_index_text_parse(&r->a, text, n, &cb, &e) < 0) {
		fprintf(stderr, "index: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* Reads all of a stream (a file or a `tar -xzO` pipe). */
static char *slurp(FILE *f, size_t *n)
{
	size_t cap = 1 << 16, len = 0, got;
	char *p = malloc(cap);

	while (p && (got = fread(p + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			char *np = realloc(p, cap *= 2);
			if (!np)
				free(p);
			p = np;
		}
	}
	*n = len;
	return p;
}

static int load_repo(struct repos *r, const char *name, int repo)
{
	char path[512];
	size_t n;
	char *text;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "tests/unit/solver/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	text = slurp(f, &n);
	fclose(f);
	ret = text ? load_text(r, text, n, repo) : -1;
	free(text);
	return ret;
}

static int load_index(struct repos *r, const char *fixture, int repo)
{
	char cmd[1024];
	size_t n;
	char *text;
	FILE *f;
	int ret;

	snprintf(cmd, sizeof(cmd), "tar -xzOf '%s' APKINDEX", wt_fixture(fixture));
	f = popen(cmd, "r");
	if (!f)
		return -1;
	text = slurp(f, &n);
	ret = pclose(f) == 0 && text ? load_text(r, text, n, repo) : -1;
	free(text);
	return ret;
}

static void repos_release(struct repos *r)
{
	free(r->v);
	wch_arena_release(&r->a);
}

/* Result of one solve: "name-ver name-ver ..." in install order, or the
 * error and problem report. */
struct res {
	int rc;
	char got[4096];
	struct wch_buf problems;
	struct wch_err err;
	struct wch_solution sol;
};

static void solve(struct repos *r, const char *world, const struct wch_solver_opts *o,
		  struct res *out)
{
	struct wch_deps w;
	struct wch_buf b = WCH_BUF_INIT;
	size_t i;

	memset(out, 0, sizeof(*out));
	wch_err_init(&out->err);
	out->rc = wch_deps_parse(&r->a, wch_view_str(world), &w, &out->err);
	if (out->rc == 0)
		out->rc = wch_solve(r->v, r->n, &w, o, &out->sol, &out->problems, &out->err);
	for (i = 0; out->rc == 0 && i < out->sol.n; i++) {
		if (i)
			wch_buf_addch(&b, ' ');
		wch_pkg_format_nv(out->sol.pkgs[i], &b);
	}
	snprintf(out->got, sizeof(out->got), "%s", b.p ? b.p : "");
	wch_buf_release(&b);
}

static void res_release(struct res *x)
{
	wch_buf_release(&x->problems);
	wch_solution_release(&x->sol);
}

/* Checks world resolves to exactly want (install order). */
#define SOLVES(r, world, opts, want)                                                               \
	do {                                                                                       \
		struct res x_;                                                                     \
		solve((r), (world), (opts), &x_);                                                  \
		if (x_.rc != 0 || strcmp(x_.got, (want)) != 0) {                                   \
			wt_fail(__FILE__, __LINE__,                                                \
				"world '%s': got rc %d '%s' (%s%s), want '%s'", (world), x_.rc,    \
				x_.got, x_.err.msg, x_.problems.p ? x_.problems.p : "", (want));   \
			res_release(&x_);                                                          \
			return;                                                                    \
		}                                                                                  \
		res_release(&x_);                                                                  \
	} while (0)

/* Checks world fails, err contains wmsg, and the report equals report
 * (or contains it, if report starts with '*'). */
#define FAILS(r, world, opts, wmsg, report)                                                        \
	do {                                                                                       \
		struct res x_;                                                                     \
		const char *rep_ = (report), *p_;                                                  \
		solve((r), (world), (opts), &x_);                                                  \
		p_ = x_.problems.p ? x_.problems.p : "";                                           \
		if (x_.rc != -WCH_E_UNSATISFIABLE || !strstr(x_.err.msg, (wmsg)) ||                \
		    (rep_[0] == '*' ? !strstr(p_, rep_ + 1) : strcmp(p_, rep_) != 0)) {            \
			wt_fail(__FILE__, __LINE__,                                                \
				"world '%s': rc %d got '%s' err '%s' report:\n%s", (world), x_.rc, \
				x_.got, x_.err.msg, p_);                                           \
			res_release(&x_);                                                          \
			return;                                                                    \
		}                                                                                  \
		res_release(&x_);                                                                  \
	} while (0)

/* apk-format §9.1: a-3 needs d>1.5, but b needs d<2.0 and c needs d>1.0:
 * propagation leaves only d-1.5, which disqualifies a-3 before choosing. */
static void t_solver_disqualify_then_choose(void)
{
	struct repos r = {0};

	WT_OK(load_repo(&r, "complicated.repo", 0));
	SOLVES(&r, "a", NULL, "d-1.5 b-1 c-1 a-2");
	SOLVES(&r, "d", NULL, "d-2.0");
	SOLVES(&r, "b c", NULL, "d-1.5 b-1 c-1");
	repos_release(&r);
}

static void t_solver_versions(void)
{
	struct repos r = {0};

	WT_OK(load_repo(&r, "basic.repo", 0));
	SOLVES(&r, "app", NULL, "libx-2.1-r0 app-2.0-r0");
	SOLVES(&r, "app<2", NULL, "libx-2.1-r0 app-1.0-r0");
	/* libx<2 rules out libx-2.1, which rules out app-2.0 (needs libx>=2). */
	SOLVES(&r, "app libx<2", NULL, "libx-1.0-r0 app-1.0-r0");
	SOLVES(&r, "fz", NULL, "fz-3.9");
	SOLVES(&r, "fz~3.8", NULL, "fz-3.8");
	/* Every FAILS report in this file equals apk-tools 2.14's (apk add
	 * --simulate on the same index; apk's 50-column wrapping aside). The
	 * provider apk would have picked is reported, not every candidate. */
	FAILS(&r, "nosuch", NULL, "nosuch (no such package)",
	      "  nosuch (no such package):\n    required by: world[nosuch]\n");
	FAILS(&r, "libx>9", NULL, "libx-2.1-r0: breaks: world[libx>9]",
	      "  libx-2.1-r0:\n    breaks: world[libx>9]\n");
	/* tool-1.0-r0 itself is fine; the missing name is the problem. */
	FAILS(&r, "tool", NULL, "nosuchlib (no such package): required by: tool-1.0-r0[nosuchlib]",
	      "  nosuchlib (no such package):\n    required by: tool-1.0-r0[nosuchlib]\n");
	FAILS(&r, "app>2.0-r0", NULL, "app-2.0-r0",
	      "  app-2.0-r0:\n    breaks: world[app>2.0-r0]\n");
	/* World names in name order, then the packages in changeset order
	 * with the names they miss; satisfies: only once something broke. */
	FAILS(&r, "zzz aaa libx>9", NULL,
	      "aaa (no such package): required by: world[aaa] (and more)",
	      "  aaa (no such package):\n    required by: world[aaa]\n"
	      "  zzz (no such package):\n    required by: world[zzz]\n"
	      "  libx-2.1-r0:\n    breaks: world[libx>9]\n");
	FAILS(&r, "tool app libx<1", NULL, "libx-2.1-r0: breaks: world[libx<1]",
	      "  libx-2.1-r0:\n    breaks: world[libx<1]\n    satisfies: app-2.0-r0[libx>=2]\n"
	      "  nosuchlib (no such package):\n    required by: tool-1.0-r0[nosuchlib]\n");
	repos_release(&r);
}

static void t_solver_order_and_arch(void)
{
	struct repos r = {0};
	struct wch_solver_opts o = {.arch = "x86_64"};

	WT_OK(load_repo(&r, "basic.repo", 0));
	/* apk's order: depth first from the world, dependencies in D: order
	 * before the package; the x <-> y cycle is broken where the walk
	 * re-enters it (z -> x -> y), so y comes first. */
	SOLVES(&r, "z", NULL, "y-1 x-1 z-1");
	SOLVES(&r, "y", NULL, "x-1 y-1");
	/* Unrelated packages sort by name. */
	SOLVES(&r, "libx fz anyarch", NULL, "anyarch-1 fz-3.9 libx-2.1-r0");
	SOLVES(&r, "armonly", NULL, "armonly-1");
	SOLVES(&r, "anyarch", &o, "anyarch-1");
	FAILS(&r, "armonly", &o, "armonly (no such package)", "*world[armonly]");
	repos_release(&r);
}

/* The same answer whatever the order of the available packages. */
static void t_solver_deterministic(void)
{
	struct repos r = {0};
	size_t i;

	WT_OK(load_repo(&r, "basic.repo", 0));
	WT_OK(load_repo(&r, "complicated.repo", 1));
	for (i = 0; i < r.n / 2; i++) {
		struct wch_pkg *t = r.v[i];
		r.v[i] = r.v[r.n - 1 - i];
		r.v[r.n - 1 - i] = t;
	}
	SOLVES(&r, "z", NULL, "y-1 x-1 z-1");
	SOLVES(&r, "app", NULL, "libx-2.1-r0 app-2.0-r0");
	SOLVES(&r, "a", NULL, "d-1.5 b-1 c-1 a-2");
	repos_release(&r);
}

static void t_solver_provides(void)
{
	struct repos r = {0};

	WT_OK(load_repo(&r, "provides.repo", 0));
	/* The higher version of the requested name wins, whether a package
	 * has that name or provides it (apk 2.14, §9.2 step 9). */
	SOLVES(&r, "mail", NULL, "altmail-2");
	SOLVES(&r, "altmail", NULL, "altmail-2");
	/* Unversioned providers with provider_priority: the higher wins. */
	SOLVES(&r, "needsh", NULL, "busybox-binsh-1 needsh-1");
	SOLVES(&r, "cmd:sh", NULL, "busybox-binsh-1");
	/* An explicitly wanted provider satisfies the virtual. */
	SOLVES(&r, "needsh dash-binsh", NULL, "dash-binsh-1 needsh-1");
	/* No priority: a virtual needs an explicit choice (§7.3). apk lists a
	 * provider by name when every package of that name provides it. */
	FAILS(&r, "mail-reader", NULL, "mail-reader (virtual)",
	      "  mail-reader (virtual):\n"
	      "    note: please select one of the 'provided by' packages explicitly\n"
	      "    provided by: mutt alpine\n"
	      "    required by: world[mail-reader]\n");
	/* ... even with a single provider. */
	FAILS(&r, "needvirt", NULL, "thevirt (virtual)",
	      "  thevirt (virtual):\n"
	      "    note: please select one of the 'provided by' packages explicitly\n"
	      "    provided by: onlyprov\n"
	      "    required by: needvirt-1[thevirt]\n");
	SOLVES(&r, "mail-reader mutt", NULL, "mutt-1");
	SOLVES(&r, "alpine mail-reader", NULL, "alpine-1");
	/* Versioned provides are selectable and occupy the name. */
	SOLVES(&r, "theservice", NULL, "svc-b-1");
	SOLVES(&r, "theservice<2", NULL, "svc-a-1");
	FAILS(&r, "svc-a svc-b", NULL, "svc-a-1: conflicts: svc-b-1[theservice=1]",
	      "  svc-a-1:\n    conflicts: svc-b-1[theservice=1]\n    satisfies: world[svc-a]\n"
	      "  svc-b-1:\n    conflicts: svc-a-1[theservice=2]\n    satisfies: world[svc-b]\n");
	SOLVES(&r, "mail altmail", NULL, "altmail-2");
	/* so: names with versions. */
	SOLVES(&r, "usesfoo", NULL, "libfoo-1.2-r0 usesfoo-1");
	SOLVES(&r, "so:libfoo.so.1>=1.2", NULL, "libfoo-1.2-r0");
	FAILS(&r, "so:libfoo.so.1>=2", NULL, "libfoo-1.2-r0",
	      "  libfoo-1.2-r0:\n    breaks: world[so:libfoo.so.1>=2]\n");
	/* A world conflict on a package needed through a provided name. */
	FAILS(&r, "usesfoo !libfoo", NULL, "libfoo-1.2-r0: breaks: world[!libfoo]",
	      "  libfoo-1.2-r0:\n    breaks: world[!libfoo]\n"
	      "    satisfies: usesfoo-1[so:libfoo.so.1]\n");
	/* Providing its own name conflicts with itself. */
	FAILS(&r, "selfish", NULL, "selfish-1: conflicts: selfish-1[selfish=1]",
	      "  selfish-1:\n    conflicts: selfish-1[selfish=1]\n    satisfies: world[selfish]\n");
	repos_release(&r);
}

static void t_solver_conflicts(void)
{
	struct repos r = {0};

	WT_OK(load_repo(&r, "conflict.repo", 0));
	SOLVES(&r, "a", NULL, "a-1");
	/* apk reports the b it would have taken, not every candidate. */
	FAILS(&r, "a b", NULL, "b-2: breaks: a-1[!b] satisfies: world[b]",
	      "  b-2:\n    breaks: a-1[!b]\n    satisfies: world[b]\n");
	/* The other way round the same: a, the name with one way to go, is
	 * settled first. */
	FAILS(&r, "b a", NULL, "b-2: breaks: a-1[!b] satisfies: world[b]",
	      "  b-2:\n    breaks: a-1[!b]\n    satisfies: world[b]\n");
	FAILS(&r, "a needb", NULL, "b-2: breaks: a-1[!b]",
	      "  b-2:\n    breaks: a-1[!b]\n    satisfies: needb-1[b]\n");
	/* !b>1 still allows b-1. */
	SOLVES(&r, "a2 b", NULL, "a2-1 b-1");
	FAILS(&r, "a2 b>1", NULL, "b-2: breaks: a2-1[!b>1]",
	      "  b-2:\n    breaks: a2-1[!b>1]\n    satisfies: world[b>1]\n");
	SOLVES(&r, "b", NULL, "b-2");
	/* A world conflict. */
	FAILS(&r, "needb !b", NULL, "b-2: breaks: world[!b] satisfies: needb-1[b]",
	      "  b-2:\n    breaks: world[!b]\n    satisfies: needb-1[b]\n");
	SOLVES(&r, "needb !b>1", NULL, "b-1 needb-1");
	repos_release(&r);
}

static void t_solver_install_if(void)
{
	struct repos r = {0};

	WT_OK(load_repo(&r, "installif.repo", 0));
	/* foo-bar needs both; foo-bar-extra is triggered by foo-bar (chain);
	 * nobar must not come with bar; foo1-only wants foo=1. */
	/* The world is walked by name; install_if packages come right after
	 * their last condition is installed. */
	SOLVES(&r, "foo bar", NULL, "bar-1 foo-2 foo-bar-2 foo-bar-extra-1");
	/* nobar's `!bar` condition never holds on a fresh root: apk 2.14 does
	 * not decide a name nothing requires. */
	SOLVES(&r, "foo", NULL, "foo-2");
	SOLVES(&r, "foo=1", NULL, "foo-1 foo1-only-1");
	SOLVES(&r, "bar", NULL, "bar-1");
	repos_release(&r);
}

/* Choices apk-tools 2.14 makes on choice.repo (each checked with apk add
 * --simulate on that index). */
static void t_solver_choices(void)
{
	struct repos r = {0};

	WT_OK(load_repo(&r, "choice.repo", 0));
	/* so:x alone: the higher provider_priority. */
	SOLVES(&r, "so:x", NULL, "libb-1");
	/* app needs liba, which provides so:x too: liba (one way to go, its
	 * only requirer decided) is settled before so:x is chosen. */
	SOLVES(&r, "app so:x", NULL, "liba-1 app-1");
	/* Equal providers: the first in the index. */
	SOLVES(&r, "virt", NULL, "zz-1");
	/* The provided version counts before provider_priority. */
	SOLVES(&r, "cmd:tool", NULL, "newer-1");
	/* ... but an unversioned provides has no version to compare: the
	 * priority decides (apk's postgresql-client: postgresql16-client). */
	SOLVES(&r, "pgclient", NULL, "pgclient-new-16");
	/* An install_if with a `!` condition is not pulled in; asked for, it
	 * installs. */
	SOLVES(&r, "x", NULL, "x-1");
	SOLVES(&r, "x notwithy", NULL, "notwithy-1 x-1");
	repos_release(&r);
}

static void t_solver_pinning(void)
{
	static const char *const tags[] = {NULL, "edge"};
	struct wch_solver_opts o = {.repo_tags = tags, .nrepos = 2};
	struct repos r = {0};

	WT_OK(load_repo(&r, "pinning.repo", 0));
	WT_OK(load_repo(&r, "pinning-edge.repo", 1));
	/* Untagged world entries never take tagged packages. */
	SOLVES(&r, "a", &o, "c-1 a-1");
	/* a@edge allows edge for a (newest wins) and its dependencies, but
	 * untagged ones are still preferred for those. */
	SOLVES(&r, "a@edge", &o, "c-1 a-2");
	SOLVES(&r, "a@edge c@edge", &o, "c-2 a-2");
	SOLVES(&r, "b@edge", &o, "e-1 b-1");
	/* apk takes masked packages anyway and reports them (checked with
	 * apk-tools 2.14 and an "@edge" line in /etc/apk/repositories). */
	FAILS(&r, "b", &o, "e-1: masked in: @edge satisfies: b-1[e]",
	      "  e-1:\n    masked in: @edge\n    satisfies: b-1[e]\n"
	      "  b-1:\n    masked in: @edge\n    satisfies: world[b]\n");
	/* A tag that no repository declares is an error (as apk's). */
	FAILS(&r, "a@nosuch", &o, "no repository is tagged @nosuch",
	      "  a@nosuch:\n    no repository is tagged @nosuch\n");
	/* Not a-2: a-1 is still selectable for apk (c-2 is only masked). */
	FAILS(&r, "a c>1", &o, "c-2: masked in: @edge",
	      "  c-2:\n    masked in: @edge\n    satisfies: world[c>1] a-1[c]\n");
	/* foo@edge allows edge for lib, but untagged lib-1 is preferred as
	 * the broken choice; no more "virtual provider" notes for real
	 * packages. */
	FAILS(&r, "foo@edge>=2 lib<2", &o, "lib-1: breaks: foo-2[lib>=2] satisfies: world[lib<2]",
	      "  lib-1:\n    breaks: foo-2[lib>=2]\n    satisfies: world[lib<2]\n");
	FAILS(&r, "foo", &o, "lib-2: masked in: @edge",
	      "  lib-2:\n    masked in: @edge\n    satisfies: foo-2[lib>=2]\n"
	      "  foo-2:\n    masked in: @edge\n    satisfies: world[foo]\n");
	SOLVES(&r, "foo@edge", &o, "lib-2 foo-2");
	/* Without tags both repositories are ordinary: newest wins. */
	SOLVES(&r, "a", NULL, "c-2 a-2");
	repos_release(&r);
}

/* "name><Q1..." picks exactly the package with that identity. */
static void t_solver_identity(void)
{
	struct repos r = {0};
	char world[128], q1[WCH_CHECKSUM_TEXT_MAX];
	size_t i;

	WT_OK(load_repo(&r, "basic.repo", 0));
	for (i = 0; i < r.n; i++)
		if (strcmp(r.v[i]->name, "app") == 0 && strcmp(r.v[i]->version, "1.0-r0") == 0)
			break;
	WT_TRUE(i < r.n);
	WT_EQ(r.v[i]->identity.len, 20);
	snprintf(world, sizeof(world), "app><%s", wch_checksum_format(&r.v[i]->identity, q1));
	SOLVES(&r, world, NULL, "libx-2.1-r0 app-1.0-r0");
	FAILS(&r, "app><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL, "app-2.0-r0",
	      "  app-2.0-r0:\n    breaks: world[app><Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=]\n");
	repos_release(&r);
}

/* Every dependency of every package in the solution is met inside it, and
 * the provider comes first unless both sit in a dependency cycle. */
static int check_closure(const struct wch_solution *s, size_t *backward)
{
	size_t i, j, k, l;

	*backward = 0;
	for (i = 0; i < s->n; i++) {
		const struct wch_deps *d = &s->pkgs[i]->depends;
		for (k = 0; k < d->n; k++) {
			size_t found = (size_t)-1;
			for (j = 0; j < s->n && found == (size_t)-1; j++) {
				const struct wch_pkg *p = s->pkgs[j];
				if (strcmp(p->name, d->v[k].name) == 0 &&
				    wch_dep_version_match(&d->v[k], p->version))
					found = j;
				for (l = 0; l < p->provides.n && found == (size_t)-1; l++)
					if (strcmp(p->provides.v[l].name, d->v[k].name) == 0 &&
					    wch_dep_version_match(&d->v[k],
								  p->provides.v[l].op
								      ? p->provides.v[l].version
								      : NULL))
						found = j;
			}
			if (d->v[k].conflict ? found != (size_t)-1 : found == (size_t)-1) {
				fprintf(stderr, "%s: dependency %s not met\n", s->pkgs[i]->name,
					d->v[k].name);
				return -1;
			}
			if (!d->v[k].conflict && found > i)
				(*backward)++;
		}
	}
	return 0;
}

static size_t pos_of(const struct wch_solution *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->pkgs[i]->name, name) == 0)
			return i;
	return (size_t)-1;
}

static const char *const ISO = "alpine/apks/x86_64/alpine-3.19.1-iso-boot/APKINDEX.tar.gz";

static void t_solver_alpine_base(void)
{
	struct wch_solver_opts o = {.arch = "x86_64"};
	struct repos r = {0};
	struct res x;
	size_t back;

	WT_OK(load_index(&r, ISO, 0));
	WT_EQ(r.n, 100);
	solve(&r, "alpine-base", &o, &x);
	WT_OK(x.rc);
	if (getenv("WT_VERBOSE"))
		fprintf(stderr, "%s\n", x.got);
	/* SOURCES.md: the closure is 24 packages besides alpine-base. */
	WT_EQ(x.sol.n, 25);
	WT_STREQ(x.sol.pkgs[x.sol.n - 1]->name, "alpine-base");
	/* Ties by name: alpine-baselayout-data (no dependencies) first, and
	 * only other dependency-free packages before musl. */
	WT_EQ(pos_of(&x.sol, "alpine-baselayout-data"), 0);
	WT_TRUE(pos_of(&x.sol, "musl") < 8);
	WT_TRUE(pos_of(&x.sol, "busybox") < pos_of(&x.sol, "busybox-binsh"));
	WT_TRUE(pos_of(&x.sol, "apk-tools") != (size_t)-1);
	WT_OK(check_closure(&x.sol, &back));
	WT_EQ(back, 0);
	res_release(&x);

	SOLVES(&r, "so:libc.musl-x86_64.so.1", &o, "musl-1.2.4_git20230717-r4");
	FAILS(&r, "alpine-base nosuchpkg", &o, "nosuchpkg", "*nosuchpkg (no such package):\n");
	FAILS(&r, "musl>9", &o, "musl>9",
	      "  musl-1.2.4_git20230717-r4:\n    breaks: world[musl>9]\n");
	repos_release(&r);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void t_solver_full_branch(void)
{
	struct wch_solver_opts o = {.arch = "x86_64"};
	struct repos r = {0};
	struct res x;
	size_t back, i;
	double t0, t1;

	WT_OK(load_index(&r, "alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.b2c94760.tar.gz", 0));
	WT_OK(load_index(&r, "alpine/indexes/v3.19-x86_64-apk-cache/APKINDEX.be78cdff.tar.gz", 1));
	WT_TRUE(r.n > 23000);
	t0 = now_ms();
	solve(&r, "", &o, &x);
	t1 = now_ms();
	fprintf(stderr, "  empty world: %.1f ms\n", t1 - t0);
	res_release(&x);
	t0 = now_ms();
	solve(&r, "build-base python3 nodejs", &o, &x);
	t1 = now_ms();
	WT_OK(x.rc);
	fprintf(stderr, "  %zu packages resolved from %zu in %.1f ms\n", x.sol.n, r.n, t1 - t0);
	WT_TRUE(t1 - t0 < 1000); /* generous for sanitizer builds; ~10 ms optimised */
	for (i = 0; i < 5; i++) {
		static const char *const must[] = {"build-base", "python3", "nodejs", "gcc",
						   "musl-dev"};
		WT_TRUE(pos_of(&x.sol, must[i]) != (size_t)-1);
	}
	WT_OK(check_closure(&x.sol, &back));
	WT_TRUE(pos_of(&x.sol, "musl") < pos_of(&x.sol, "gcc"));
	res_release(&x);
	repos_release(&r);
}

WT_MAIN(WT(t_solver_disqualify_then_choose), WT(t_solver_versions), WT(t_solver_order_and_arch),
	WT(t_solver_deterministic), WT(t_solver_provides), WT(t_solver_conflicts),
	WT(t_solver_install_if), WT(t_solver_choices), WT(t_solver_pinning), WT(t_solver_identity),
	WT(t_solver_alpine_base), WT(t_solver_full_branch))
