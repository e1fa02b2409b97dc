/*
 * Automatic dependency tracing (see trace.h; apk-format §10).
 *
 * One walk over the tree collects ELF facts, executables in the command
 * dirs, .pc files and script interpreters; the rules that need the whole
 * picture (self-provided sonames, rpath library dirs) run afterwards.
 */
#include "apk/trace.h"

#include "apk/elf.h"
#include "apk/version.h"
#include "util/buf.h"
#include "util/io.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A growable array of pointers inside the arena (the old block is simply
 * abandoned on growth; the arena frees everything at once). */
struct vec {
	void **v;
	size_t n, cap;
};

static int vec_push(struct wch_arena *a, struct vec *x, void *p)
{
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 16;
		void **nv = wch_arena_alloc(a, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		if (x->n)
			memcpy(nv, x->v, x->n * sizeof(*nv));
		x->v = nv;
		x->cap = nc;
	}
	x->v[x->n++] = p;
	return 0;
}

struct elf_file {
	const char *path, *dir; /* relative to the root, no leading '/' */
	struct wch_elf_info info;
};

struct item {
	const char *key; /* canonical text, the sort key */
	struct wch_dep dep;
};

struct tracer {
	const struct wch_trace_opts *o;
	struct wch_arena *a;
	struct wch_err *err;
	size_t nfiles;
	bool pkgconfig_dir;
	struct vec paths;	      /* every entry's relative path (sorted after the walk) */
	struct vec elfs;	      /* struct elf_file * */
	struct vec scripts;	      /* triples: path, depend, interpreter */
	struct vec provides, depends; /* struct item * */
	struct vec warnings;
};

static int nomem(struct tracer *t)
{
	return wch_errf(t->err, -ENOMEM, "out of memory");
}

static int warnf(struct tracer *t, const char *fmt, ...) WCH_PRINTF(2, 3);
static int warnf(struct tracer *t, const char *fmt, ...)
{
	struct wch_buf b = WCH_BUF_INIT;
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (wch_buf_vaddf(&b, fmt, ap) == 0)
		s = wch_arena_strdup(t->a, b.p);
	va_end(ap);
	wch_buf_release(&b);
	if (!s || vec_push(t->a, &t->warnings, s) < 0)
		return nomem(t);
	return 0;
}

/* A traced name must stay one dependency token when apk reads it back
 * (§7.1): file names and sonames may hold spaces or operators, and
 * "cmd:x busybox" would otherwise provide busybox. */
static bool token_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (!*p || *p == '!')
		return false;
	for (; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("<>=~@", *p))
			return false;
	return true;
}

/* Adds name[op version] to a result list; a name that would not survive
 * as one token is left out with a warning. */
static int add_dep(struct tracer *t, struct vec *list, const char *name, unsigned op,
		   const char *version)
{
	struct item *it;
	struct wch_buf b = WCH_BUF_INIT;

	if (!token_ok(name) || (version && !wch_version_valid(version)))
		return warnf(t, "not recording %s '%s%s%s': not a valid apk name or version",
			     list == &t->provides ? "provide" : "dependency", name,
			     version ? "=" : "", version ? version : "");
	it = wch_arena_alloc(t->a, sizeof(*it));
	if (!it)
		return nomem(t);
	it->dep.name = wch_arena_strdup(t->a, name);
	it->dep.op = version ? op : 0;
	it->dep.version = version ? wch_arena_strdup(t->a, version) : NULL;
	if (!it->dep.name || (version && !it->dep.version) || wch_dep_format(&it->dep, &b) < 0)
		goto oom;
	it->key = wch_arena_strdup(t->a, b.p);
	wch_buf_release(&b);
	if (!it->key || vec_push(t->a, list, it) < 0)
		return nomem(t);
	return 0;
oom:
	wch_buf_release(&b);
	return nomem(t);
}

static bool has_provide(const struct tracer *t, const char *name)
{
	for (size_t i = 0; i < t->provides.n; i++) {
		const struct item *it = t->provides.v[i];
		if (strcmp(it->dep.name, name) == 0)
			return true;
	}
	return false;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Does the tree hold this absolute path (as walked, symlinks not resolved)? */
static bool has_path(const struct tracer *t, const char *abs)
{
	while (*abs == '/')
		abs++;
	return bsearch(&abs, t->paths.v, t->paths.n, sizeof(void *), cmp_str) != NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static bool in_somask(const struct tracer *t, const char *soname)
{
	for (size_t i = 0; i < t->o->nsomask; i++)
		if (strcmp(t->o->somask[i], soname) == 0)
			return true;
	return false;
}

/* ---- scripts ------------------------------------------------------------ */

/* A name we are willing to turn into cmd:<name>. */
static bool cmd_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || strchr("@<>=~!/", c))
			return false;
	}
	return true;
}

struct words {
	struct wch_view w[32];
	size_t n;
};

static void split_words(struct wch_view line, struct words *ws)
{
	size_t i = 0;

	ws->n = 0;
	while (i < line.n && ws->n < sizeof(ws->w) / sizeof(ws->w[0])) {
		while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
			i++;
		size_t st = i;
		while (i < line.n && line.p[i] != ' ' && line.p[i] != '\t')
			i++;
		if (i > st)
			ws->w[ws->n++] = (struct wch_view){line.p + st, i - st};
	}
}

static bool word_is(struct wch_view w, const char *s)
{
	return wch_view_eq(w, s);
}

static bool word_starts(struct wch_view w, const char *s)
{
	size_t n = strlen(s);
	return w.n >= n && memcmp(w.p, s, n) == 0;
}

static int cmd_dep(struct wch_arena *a, struct wch_view path, const char **dep)
{
	size_t i = path.n;
	while (i > 0 && path.p[i - 1] != '/')
		i--;
	if (!cmd_name_ok(path.p + i, path.n - i))
		return 0;
	struct wch_buf b = WCH_BUF_INIT;
	int r = wch_buf_addstr(&b, "cmd:");
	if (r == 0)
		r = wch_buf_add(&b, path.p + i, path.n - i);
	if (r == 0) {
		*dep = wch_arena_strdup(a, b.p);
		if (!*dep)
			r = -ENOMEM;
	}
	wch_buf_release(&b);
	return r;
}

int wch_trace_shebang(struct wch_view line, struct wch_arena *a, const char **dep)
{
	struct words ws;
	size_t i;

	*dep = NULL;
	if (line.n && line.p[line.n - 1] == '\r')
		line.n--;
	split_words(line, &ws);
	if (ws.n == 0 || ws.w[0].p[0] != '/')
		return 0;
	struct wch_view interp = ws.w[0];
	if (word_is(interp, "/bin/sh")) {
		/* Alpine's busybox-binsh provides the file name "/bin/sh"
		 * (apk-format §4.1, §7.3); that is the name to depend on. */
		*dep = wch_arena_strdup(a, "/bin/sh");
		return *dep ? 0 : -ENOMEM;
	}
	size_t bi = interp.n;
	while (bi > 0 && interp.p[bi - 1] != '/')
		bi--;
	struct wch_view base = {interp.p + bi, interp.n - bi};
	if (!word_is(base, "env"))
		return cmd_dep(a, interp, dep);
	/* env [-i] [-u NAME] [-C DIR] [-S] [NAME=VALUE]... COMMAND [ARG]...
	 * Linux passes everything after the interpreter as one argument, so
	 * "env -S python3 -u" is how scripts pass options; "-Spython3" too. */
	for (i = 1; i < ws.n; i++) {
		struct wch_view w = ws.w[i];
		if (word_is(w, "--")) {
			i++;
			break;
		}
		if (word_is(w, "-u") || word_is(w, "-C") || word_is(w, "--unset") ||
		    word_is(w, "--chdir")) {
			i++;
			continue;
		}
		if (word_starts(w, "--split-string=")) {
			w.p += 15;
			w.n -= 15;
			return w.n ? cmd_dep(a, w, dep) : 0;
		}
		if (word_starts(w, "-S") && w.n > 2) {
			w.p += 2;
			w.n -= 2;
			return cmd_dep(a, w, dep);
		}
		if (w.p[0] == '-')
			continue;
		if (memchr(w.p, '=', w.n))
			continue; /* NAME=VALUE */
		break;
	}
	for (; i < ws.n && memchr(ws.w[i].p, '=', ws.w[i].n); i++)
		;
	if (i >= ws.n)
		return 0;
	return cmd_dep(a, ws.w[i], dep);
}

/* ---- pkg-config ----------------------------------------------------------- */

const char *wch_trace_pc_version(struct wch_arena *a, const char *v)
{
	static const char *const tags[] = {"alpha", "beta", "rc", "pre"};
	struct wch_buf b = WCH_BUF_INIT;
	const char *out = NULL;

	if (*v == 'v')
		v++;
	if (!*v)
		return wch_arena_strdup(a, "0");
	for (const char *p = v; *p; p++) {
		char c = *p;
		if (c == '-' || c == '.') {
			for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
				if (strncmp(p + 1, tags[i], strlen(tags[i])) == 0)
					c = '_';
		}
		if (wch_buf_addch(&b, c) < 0)
			goto out;
	}
	out = wch_arena_strdup(a, b.p);
out:
	wch_buf_release(&b);
	return out;
}

struct pcvar {
	const char *name, *value;
};

struct pcfile {
	struct vec vars; /* struct pcvar * */
	const char *version, *requires, *requires_private;
};

#define PC_MAX_VALUE 65536

/* Expands ${var} (and "$$" -> "$") with the variables defined so far, as
 * pkg-config does when it reads a line. Unknown variables expand to "". */
static int pc_expand(struct tracer *t, struct pcfile *pc, struct wch_view v, const char **out)
{
	struct wch_buf b = WCH_BUF_INIT;
	int r = 0;

	*out = NULL;
	for (size_t i = 0; i < v.n && r == 0; i++) {
		if (v.p[i] == '$' && i + 1 < v.n && v.p[i + 1] == '$') {
			r = wch_buf_addch(&b, '$');
			i++;
		} else if (v.p[i] == '$' && i + 1 < v.n && v.p[i + 1] == '{') {
			const char *end = memchr(v.p + i + 2, '}', v.n - i - 2);
			if (!end) {
				r = wch_buf_add(&b, v.p + i, v.n - i);
				break;
			}
			struct wch_view name = {v.p + i + 2, (size_t)(end - v.p - i - 2)};
			for (size_t k = pc->vars.n; k-- > 0;) {
				const struct pcvar *pv = pc->vars.v[k];
				if (wch_view_eq(name, pv->name)) {
					r = wch_buf_addstr(&b, pv->value);
					break;
				}
			}
			i = (size_t)(end - v.p);
		} else {
			r = wch_buf_addch(&b, v.p[i]);
		}
		if (b.len > PC_MAX_VALUE) {
			wch_buf_release(&b);
			return wch_errf(t->err, -WCH_E_TOO_BIG, "pkg-config value too long");
		}
	}
	if (r == 0)
		*out = wch_arena_strdup(t->a, b.p ? b.p : "");
	wch_buf_release(&b);
	if (r < 0 || !*out)
		return nomem(t);
	return 0;
}

static struct wch_view trim(struct wch_view v)
{
	while (v.n && (v.p[0] == ' ' || v.p[0] == '\t'))
		v.p++, v.n--;
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' || v.p[v.n - 1] == '\r'))
		v.n--;
	return v;
}

static int pc_parse(struct tracer *t, const char *text, size_t len, struct pcfile *pc)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct wch_view line = {p, (size_t)((nl ? nl : end) - p)};
		p = nl ? nl + 1 : end;
		const char *hash = memchr(line.p, '#', line.n);
		if (hash)
			line.n = (size_t)(hash - line.p);
		line = trim(line);
		size_t k = 0;
		while (k < line.n &&
		       (isalnum((unsigned char)line.p[k]) || line.p[k] == '_' || line.p[k] == '.'))
			k++;
		if (k == 0 || k == line.n)
			continue;
		struct wch_view key = {line.p, k};
		struct wch_view rest = trim((struct wch_view){line.p + k, line.n - k});
		if (!rest.n || (rest.p[0] != '=' && rest.p[0] != ':'))
			continue;
		bool is_var = rest.p[0] == '=';
		const char *value;
		int r = pc_expand(t, pc, trim((struct wch_view){rest.p + 1, rest.n - 1}), &value);
		if (r < 0)
			return r;
		if (is_var) {
			struct pcvar *v = wch_arena_alloc(t->a, sizeof(*v));
			if (!v || !(v->name = wch_arena_viewdup(t->a, key)))
				return nomem(t);
			v->value = value;
			if (pc->vars.n >= 10000)
				return wch_errf(t->err, -WCH_E_TOO_BIG, "too many variables");
			if (vec_push(t->a, &pc->vars, v) < 0)
				return nomem(t);
		} else if (wch_view_eq(key, "Version")) {
			pc->version = value;
		} else if (wch_view_eq(key, "Requires")) {
			pc->requires = value;
		} else if (wch_view_eq(key, "Requires.private")) {
			pc->requires_private = value;
		}
	}
	return 0;
}

static bool pc_opchar(char c)
{
	return c == '<' || c == '>' || c == '=' || c == '!';
}

/* Adds the modules of a Requires list (pkg-config syntax: names separated
 * by commas and/or spaces, each optionally followed by an operator and a
 * version) to the depends, as pc:<name>[<op><version>]. */
static int pc_requires(struct tracer *t, const char *pcpath, const char *list)
{
	const char *p = list;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *ns = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',' && !pc_opchar(*p))
			p++;
		struct wch_view name = {ns, (size_t)(p - ns)};
		while (*p == ' ' || *p == '\t')
			p++;
		struct wch_view op = {p, 0}, ver = {p, 0};
		if (pc_opchar(*p)) {
			while (pc_opchar(p[op.n]))
				op.n++;
			p += op.n;
			while (*p == ' ' || *p == '\t')
				p++;
			ver.p = p;
			while (*p && *p != ' ' && *p != '\t' && *p != ',')
				p++;
			ver.n = (size_t)(p - ver.p);
		}
		if (!name.n)
			continue;
		unsigned bits = 0;
		if (wch_view_eq(op, "<"))
			bits = WCH_VER_LESS;
		else if (wch_view_eq(op, "<="))
			bits = WCH_VER_LESS | WCH_VER_EQUAL;
		else if (wch_view_eq(op, "=") || wch_view_eq(op, "=="))
			bits = WCH_VER_EQUAL;
		else if (wch_view_eq(op, ">="))
			bits = WCH_VER_GREATER | WCH_VER_EQUAL;
		else if (wch_view_eq(op, ">"))
			bits = WCH_VER_GREATER;
		/* "!=" has no apk equivalent: the module is required unversioned. */
		char *n = wch_arena_viewdup(t->a, name);
		char *v = wch_arena_viewdup(t->a, ver);
		struct wch_buf b = WCH_BUF_INIT;
		if (!n || !v || wch_buf_addf(&b, "pc:%s", n) < 0) {
			wch_buf_release(&b);
			return nomem(t);
		}
		const char *nv = bits && ver.n ? wch_trace_pc_version(t->a, v) : NULL;
		if (nv && !wch_version_valid(nv)) {
			int r = warnf(t,
				      "'%s': version '%s' of required module '%s' is not a "
				      "valid apk version; requiring it unversioned",
				      pcpath, v, n);
			if (r < 0) {
				wch_buf_release(&b);
				return r;
			}
			nv = NULL;
		}
		int r = add_dep(t, &t->depends, b.p, bits, nv);
		wch_buf_release(&b);
		if (r < 0)
			return r;
	}
	return 0;
}

static int trace_pc(struct tracer *t, int dirfd, const char *name, const char *path)
{
	struct wch_buf b = WCH_BUF_INIT;
	struct pcfile pc;
	int fd, r;

	memset(&pc, 0, sizeof(pc));
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return wch_err_sys(t->err, errno, "cannot open '%s'", path);
	for (;;) {
		char tmp[8192];
		ssize_t got = wch_fd_read(fd, tmp, sizeof(tmp));
		if (got < 0) {
			r = wch_err_sys(t->err, (int)-got, "cannot read '%s'", path);
			goto out;
		}
		if (got == 0)
			break;
		if (b.len + (size_t)got > WCH_TRACE_MAX_PC) {
			r = wch_errf(t->err, -WCH_E_TOO_BIG, "'%s' is larger than %u bytes", path,
				     WCH_TRACE_MAX_PC);
			goto out;
		}
		if (wch_buf_add(&b, tmp, (size_t)got) < 0) {
			r = nomem(t);
			goto out;
		}
	}
	r = pc_parse(t, b.p ? b.p : "", b.len, &pc);
	if (r < 0) {
		wch_err_prefix(t->err, "'%s'", path);
		goto out;
	}
	/* pkg-config --print-provides names the module after the file. */
	const char *base = base_name(path);
	char *mod = wch_arena_strndup(t->a, base, strlen(base) - 3);
	struct wch_buf pn = WCH_BUF_INIT;
	if (!mod || wch_buf_addf(&pn, "pc:%s", mod) < 0) {
		wch_buf_release(&pn);
		r = nomem(t);
		goto out;
	}
	const char *ver = wch_trace_pc_version(t->a, pc.version ? pc.version : "");
	if (!ver) {
		r = nomem(t);
	} else if (wch_version_valid(ver)) {
		r = add_dep(t, &t->provides, pn.p, WCH_VER_EQUAL, ver);
	} else {
		r = warnf(t,
			  "'%s': Version '%s' is not a valid apk version; providing %s "
			  "unversioned",
			  path, pc.version, pn.p);
		if (r == 0)
			r = add_dep(t, &t->provides, pn.p, 0, NULL);
	}
	wch_buf_release(&pn);
	if (r == 0 && pc.requires)
		r = pc_requires(t, path, pc.requires);
	if (r == 0 && pc.requires_private)
		r = pc_requires(t, path, pc.requires_private);
out:
	close(fd);
	wch_buf_release(&b);
	return r;
}

/* ---- the walk --------------------------------------------------------------- */

static bool is_cmd_dir(const char *rel)
{
	return !strcmp(rel, "bin") || !strcmp(rel, "sbin") || !strcmp(rel, "usr/bin") ||
	       !strcmp(rel, "usr/sbin");
}

static bool is_pc_dir(const char *rel)
{
	return !strcmp(rel, "usr/lib/pkgconfig") || !strcmp(rel, "usr/share/pkgconfig");
}

static int add_cmd(struct tracer *t, const char *name)
{
	struct wch_buf b = WCH_BUF_INIT;
	int r;

	if (strchr(name, '@'))
		return 0;
	if (wch_buf_addf(&b, "cmd:%s", name) < 0)
		return nomem(t);
	r = add_dep(t, &t->provides, b.p, WCH_VER_EQUAL, t->o->version);
	wch_buf_release(&b);
	return r;
}

/* The interpreter's own path (first word after "#!"), "" if none. */
static void *interp_path(struct wch_arena *a, struct wch_view line)
{
	struct words ws;
	split_words(line, &ws);
	char *p = ws.n ? wch_arena_viewdup(a, ws.w[0]) : wch_arena_strdup(a, "");
	return p;
}

static int trace_file(struct tracer *t, int dirfd, const char *name, const char *dir,
		      const char *path, const struct stat *st)
{
	unsigned char head[256];
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return wch_err_sys(t->err, errno, "cannot open '%s'", path);
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = wch_err_sys(t->err, errno, "cannot read '%s'", path);
		goto out;
	}
	if (wch_elf_magic(head, (size_t)n)) {
		struct elf_file *f = wch_arena_alloc(t->a, sizeof(*f));
		struct wch_err e;
		if (!f) {
			r = nomem(t);
			goto out;
		}
		wch_err_init(&e);
		r = wch_elf_parse_fd(fd, t->a, &f->info, &e);
		if (r == -ENOMEM) {
			r = nomem(t);
		} else if (r < 0) {
			/* Like scanelf, a broken ELF file is skipped, not fatal. */
			r = warnf(t, "'%s' looks like ELF but cannot be parsed (%s); not traced",
				  path, e.msg);
		} else {
			f->path = path;
			f->dir = dir;
			r = vec_push(t->a, &t->elfs, f) < 0 ? nomem(t) : 0;
		}
	} else if (n >= 2 && head[0] == '#' && head[1] == '!' && (st->st_mode & 0111)) {
		const unsigned char *nl = memchr(head, '\n', (size_t)n);
		struct wch_view line = {(const char *)head + 2,
					(size_t)((nl ? nl : head + n) - head) - 2};
		const char *dep;
		r = wch_trace_shebang(line, t->a, &dep);
		if (r < 0)
			r = nomem(t);
		else if (dep && (vec_push(t->a, &t->scripts, (void *)path) < 0 ||
				 vec_push(t->a, &t->scripts, (void *)dep) < 0 ||
				 vec_push(t->a, &t->scripts, interp_path(t->a, line)) < 0))
			r = nomem(t);
	}
out:
	close(fd);
	return r;
}

static int walk(struct tracer *t, int dirfd, const char *rel, int depth);

static int walk_entry(struct tracer *t, int dirfd, const char *rel, const char *name, int depth)
{
	struct stat st;
	char *path;
	int r = 0;

	path = *rel ? wch_arena_alloc(t->a, strlen(rel) + strlen(name) + 2)
		    : wch_arena_strdup(t->a, name);
	if (!path)
		return nomem(t);
	if (*rel)
		strcat(strcat(strcpy(path, rel), "/"), name);
	if (++t->nfiles > WCH_TRACE_MAX_FILES)
		return wch_errf(t->err, -WCH_E_TOO_BIG, "more than %u files in the tree",
				WCH_TRACE_MAX_FILES);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return wch_err_sys(t->err, errno, "cannot stat '%s'", path);
	if (vec_push(t->a, &t->paths, path) < 0)
		return nomem(t);
	if (S_ISDIR(st.st_mode)) {
		if (depth >= WCH_TRACE_MAX_DEPTH)
			return wch_errf(t->err, -WCH_E_TOO_BIG, "'%s' is nested too deep", path);
		if (is_pc_dir(path))
			t->pkgconfig_dir = true;
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return wch_err_sys(t->err, errno, "cannot open '%s'", path);
		return walk(t, fd, path, depth + 1);
	}
	if (is_cmd_dir(rel) &&
	    (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && (st.st_mode & 0111))))
		r = add_cmd(t, name);
	if (r == 0 && S_ISREG(st.st_mode) && is_pc_dir(rel) && ends_with(name, ".pc") &&
	    strlen(name) > 3)
		r = trace_pc(t, dirfd, name, path);
	if (r == 0 && S_ISREG(st.st_mode))
		r = trace_file(t, dirfd, name, rel, path, &st);
	return r;
}

/* Walks one directory (takes ownership of dirfd); entries in byte order so
 * warnings come out the same on every run. */
static int walk(struct tracer *t, int dirfd, const char *rel, int depth)
{
	struct vec names = {0};
	struct dirent *de;
	DIR *d = fdopendir(dirfd);
	int r = 0;

	if (!d) {
		r = wch_err_sys(t->err, errno, "cannot read directory '%s'", *rel ? rel : ".");
		close(dirfd);
		return r;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = wch_err_sys(t->err, errno, "cannot read directory '%s'",
						*rel ? rel : ".");
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *nm = wch_arena_strdup(t->a, de->d_name);
		if (!nm || vec_push(t->a, &names, nm) < 0) {
			r = nomem(t);
			break;
		}
		if (names.n > WCH_TRACE_MAX_FILES) {
			r = wch_errf(t->err, -WCH_E_TOO_BIG, "too many entries in '%s'", rel);
			break;
		}
	}
	if (r == 0 && names.n)
		qsort(names.v, names.n, sizeof(void *), cmp_str);
	for (size_t i = 0; r == 0 && i < names.n; i++)
		r = walk_entry(t, dirfd, rel, names.v[i], depth);
	closedir(d);
	return r;
}

/* ---- rules over the whole tree -------------------------------------------------- */

/* An rpath entry as a directory relative to the root ("" = the root), or
 * NULL when it is relative or leaves the tree. $ORIGIN is the directory of
 * the file that carries the rpath. */
static char *rpath_dir(struct wch_arena *a, const char *origin, const char *entry)
{
	struct wch_buf in = WCH_BUF_INIT, out = WCH_BUF_INIT;
	char *res = NULL;
	const char *rest = NULL;

	if (!strncmp(entry, "$ORIGIN", 7))
		rest = entry + 7;
	else if (!strncmp(entry, "${ORIGIN}", 9))
		rest = entry + 9;
	if (rest) {
		if (wch_buf_addf(&in, "/%s%s", origin, rest) < 0)
			goto out;
	} else if (entry[0] == '/') {
		if (wch_buf_addstr(&in, entry) < 0)
			goto out;
	} else {
		goto out;
	}
	/* Normalise: drop "" and "." components, ".." pops one. */
	for (char *p = in.p; *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || n == 0) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (out.len == 0)
				goto out; /* above the root */
			char *slash = memrchr(out.p, '/', out.len);
			out.len = slash ? (size_t)(slash - out.p) : 0;
			out.p[out.len] = 0;
		} else if ((out.len && wch_buf_addch(&out, '/') < 0) ||
			   wch_buf_add(&out, p, n) < 0) {
			goto out;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	res = wch_arena_strdup(a, out.p ? out.p : "");
out:
	wch_buf_release(&in);
	wch_buf_release(&out);
	return res;
}

/* abuild keeps sonames matching *.so, *.so.[0-9]* or *.c32 (§10.1). */
static bool soname_ok(const char *s)
{
	if (ends_with(s, ".so") || ends_with(s, ".c32"))
		return true;
	for (const char *p = strstr(s, ".so."); p; p = strstr(p + 1, ".so."))
		if (isdigit((unsigned char)p[4]))
			return true;
	return false;
}

/* The version of a shared object comes from its file name (§10.1). */
static const char *so_file_version(const char *fname)
{
	const char *last = NULL;
	for (const char *p = strstr(fname, ".so."); p; p = strstr(p + 1, ".so."))
		last = p;
	return last && last[4] ? last + 4 : "0";
}

static int so_provides(struct tracer *t)
{
	struct vec dirs = {0}, names = {0}, vers = {0};
	int r;

	if (vec_push(t->a, &dirs, "lib") < 0 || vec_push(t->a, &dirs, "usr/lib") < 0)
		return nomem(t);
	for (size_t i = 0; i < t->elfs.n; i++) {
		const struct elf_file *f = t->elfs.v[i];
		for (size_t k = 0; k < f->info.nrpath; k++) {
			const char *e = f->info.rpath[k];
			if (strstr(e, "/home/") || !strcmp(e, "/home"))
				return wch_errf(t->err, -WCH_E_FORMAT,
						"'%s' has an rpath into /home (%s)", f->path, e);
			char *d = rpath_dir(t->a, f->dir, e);
			if (d && vec_push(t->a, &dirs, d) < 0)
				return nomem(t);
		}
	}
	for (size_t i = 0; i < t->elfs.n; i++) {
		const struct elf_file *f = t->elfs.v[i];
		bool in_dir = false;
		if (f->info.type != WCH_ELF_ET_DYN)
			continue;
		for (size_t k = 0; k < dirs.n && !in_dir; k++)
			in_dir = !strcmp(dirs.v[k], f->dir);
		const char *fname = base_name(f->path);
		const char *so = f->info.soname ? f->info.soname : fname;
		if (!in_dir || !soname_ok(so) || in_somask(t, so))
			continue;
		if (!strncmp(f->path, "usr/lib/debug/", 14) && ends_with(f->path, ".debug"))
			continue;
		const char *ver = so_file_version(fname);
		if (!wch_version_valid(ver)) {
			r = warnf(t, "'%s': '%s' is not a valid version; %s not provided", f->path,
				  ver, so);
			if (r < 0)
				return r;
			continue;
		}
		size_t k;
		for (k = 0; k < names.n && strcmp(names.v[k], so); k++)
			;
		if (k == names.n) {
			if (vec_push(t->a, &names, (void *)so) < 0 ||
			    vec_push(t->a, &vers, (void *)ver) < 0)
				return nomem(t);
		} else if (!strcmp(vers.v[k], "0") ||
			   (strcmp(ver, "0") &&
			    wch_version_compare(ver, vers.v[k]) == WCH_VER_GREATER)) {
			/* Duplicates of one soname keep a non-0 version. */
			vers.v[k] = (void *)ver;
		}
	}
	for (size_t k = 0; k < names.n; k++) {
		struct wch_buf b = WCH_BUF_INIT;
		if (wch_buf_addf(&b, "so:%s", (const char *)names.v[k]) < 0)
			return nomem(t);
		r = add_dep(t, &t->provides, b.p, WCH_VER_EQUAL, vers.v[k]);
		wch_buf_release(&b);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_glibc(const char *needed)
{
	return !strcmp(needed, "libc.so.6") || !strncmp(needed, "ld-linux", 8);
}

/* Alpine arch names (CARCH) by e_machine, for musl's soname. */
static const char *carch_of_machine(unsigned m, bool is64)
{
	switch (m) {
	case 62:
		return "x86_64";
	case 3:
		return "x86";
	case 183:
		return "aarch64";
	case 40:
		return "armhf";
	case 21:
		return is64 ? "ppc64le" : NULL;
	case 22:
		return is64 ? "s390x" : NULL;
	case 243:
		return is64 ? "riscv64" : NULL;
	case 258:
		return "loongarch64";
	}
	return NULL;
}

/*
 * Debian's musl-gcc links against "libc.so" (DT_NEEDED "libc.so"; glibc
 * programs need "libc.so.6"), while Alpine builds the same musl with the
 * soname libc.musl-$CARCH.so.1, which is what abuild would have recorded
 * and what Alpine's musl provides. $CARCH is the package's arch when known;
 * otherwise it comes from the loader name /lib/ld-musl-<arch>.so.1 (i386 is
 * Alpine's x86) or, for shared objects without PT_INTERP, from e_machine.
 */
static int musl_libc_dep(struct tracer *t, const struct elf_file *f, struct wch_buf *b)
{
	const char *arch = t->o->arch, *in = f->info.interp;
	char loader[64];

	if (!arch || !strcmp(arch, "noarch"))
		arch = NULL;
	if (!arch && in && !strncmp(in, "/lib/ld-musl-", 13) && ends_with(in, ".so.1") &&
	    strlen(in) > 18 && strlen(in) - 18 < sizeof(loader)) {
		snprintf(loader, sizeof(loader), "%.*s", (int)(strlen(in) - 18), in + 13);
		arch = !strcmp(loader, "i386") ? "x86" : loader;
	}
	if (!arch)
		arch = carch_of_machine(f->info.machine, f->info.is64);
	if (!arch)
		return wch_buf_addstr(b, "so:libc.so");
	return wch_buf_addf(b, "so:libc.musl-%s.so.1", arch);
}

static int so_depends(struct tracer *t)
{
	int r;

	for (size_t i = 0; i < t->elfs.n; i++) {
		const struct elf_file *f = t->elfs.v[i];
		const char *glibc = NULL;
		if (f->info.type != WCH_ELF_ET_DYN && f->info.type != WCH_ELF_ET_EXEC)
			continue;
		if (f->info.interp && is_glibc(base_name(f->info.interp)))
			glibc = f->info.interp;
		for (size_t k = 0; k < f->info.nneeded; k++) {
			const char *n = f->info.needed[k];
			struct wch_buf b = WCH_BUF_INIT;
			if (is_glibc(n) && !glibc)
				glibc = n;
			if (!strcmp(n, "libc.so"))
				r = musl_libc_dep(t, f, &b);
			else
				r = wch_buf_addf(&b, "so:%s", n);
			if (r < 0)
				return nomem(t);
			if (!in_somask(t, b.p + 3) && !in_somask(t, n))
				r = add_dep(t, &t->depends, b.p, 0, NULL);
			wch_buf_release(&b);
			if (r < 0)
				return r;
		}
		if (glibc) {
			r = warnf(t,
				  "'%s' is linked against glibc (%s), which Alpine "
				  "repositories do not provide",
				  f->path, glibc);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int cmp_item(const void *x, const void *y)
{
	const struct item *a = *(const struct item *const *)x, *b = *(const struct item *const *)y;
	return strcmp(a->key, b->key);
}

/* Sorted, unique, as abuild's `sort -u`; depends on oneself dropped. */
static int finish(struct tracer *t, struct vec *in, struct wch_deps *out, bool is_depends)
{
	out->n = 0;
	out->v = wch_arena_alloc(t->a, (in->n + 1) * sizeof(*out->v));
	if (!out->v)
		return nomem(t);
	if (in->n)
		qsort(in->v, in->n, sizeof(void *), cmp_item);
	for (size_t i = 0; i < in->n; i++) {
		const struct item *it = in->v[i];
		if (i && !strcmp(it->key, ((const struct item *)in->v[i - 1])->key))
			continue;
		if (is_depends && (has_provide(t, it->dep.name) ||
				   (t->o->pkgname && !strcmp(it->dep.name, t->o->pkgname))))
			continue;
		out->v[out->n++] = it->dep;
	}
	return 0;
}

int wch_trace_tree(int rootfd, const struct wch_trace_opts *o, struct wch_arena *a,
		   struct wch_trace_result *r, struct wch_err *err)
{
	struct tracer t = {.o = o, .a = a, .err = err};
	int fd, rc;

	memset(r, 0, sizeof(*r));
	if (!o->version)
		return wch_errf(err, -EINVAL, "tracing needs the package version");
	fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return wch_err_sys(err, errno, "cannot open the package tree");
	rc = walk(&t, fd, "", 0);
	if (rc < 0)
		return rc;
	if (t.paths.n)
		qsort(t.paths.v, t.paths.n, sizeof(void *), cmp_str);
	if (!o->arch || strcmp(o->arch, "noarch")) {
		rc = so_provides(&t);
		if (rc < 0)
			return rc;
	}
	rc = so_depends(&t);
	if (rc < 0)
		return rc;
	if (t.pkgconfig_dir && (rc = add_dep(&t, &t.depends, "pkgconfig", 0, NULL)) < 0)
		return rc;
	for (size_t i = 0; i + 2 < t.scripts.n; i += 3) {
		const char *dep = t.scripts.v[i + 1], *interp = t.scripts.v[i + 2];
		/* A package that ships its interpreter needs no provider. */
		if (*interp && has_path(&t, interp))
			continue;
		if ((rc = add_dep(&t, &t.depends, dep, 0, NULL)) < 0)
			return rc;
	}
	rc = finish(&t, &t.provides, &r->provides, false);
	if (rc == 0)
		rc = finish(&t, &t.depends, &r->depends, true);
	if (rc < 0)
		return rc;
	r->warnings = (const char **)t.warnings.v;
	r->nwarnings = t.warnings.n;
	return 0;
}
