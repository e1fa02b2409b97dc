/*
 * .PKGINFO reading and writing (apk-format §3).
 *
 * Reading follows apk: one "key = value" per line split at the first
 * " = ", '#' lines and lines without the separator ignored, unknown keys
 * ignored, list keys accumulating. Unlike apk we reject malformed numbers
 * and datahash values instead of reading them as 0, since a .PKGINFO that
 * witchery accepts is one it will also sign and index.
 */
#include "apk/pkginfo.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define PKGINFO_MAX (1u << 20) /* style.md §4: .PKGINFO cap */

static int oom(struct wch_err *err)
{
	return wch_errf(err, -ENOMEM, "out of memory");
}

/* Decimal digits only, no sign, no overflow. */
static bool parse_u64(struct wch_view v, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (v.n == 0)
		return false;
	for (i = 0; i < v.n; i++) {
		unsigned d = (unsigned char)v.p[i] - '0';
		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

/* Appends the dependencies in list to *deps (both in the arena). */
static int deps_append(struct wch_arena *a, struct wch_deps *deps, struct wch_view list,
		       struct wch_err *err)
{
	struct wch_deps more;
	struct wch_dep *v;
	int r = wch_deps_parse(a, list, &more, err);

	if (r < 0)
		return r;
	if (more.n == 0)
		return 0;
	if (deps->n == 0) {
		*deps = more;
		return 0;
	}
	v = wch_arena_alloc(a, (deps->n + more.n) * sizeof(*v));
	if (!v)
		return oom(err);
	memcpy(v, deps->v, deps->n * sizeof(*v));
	memcpy(v + deps->n, more.v, more.n * sizeof(*v));
	deps->v = v;
	deps->n += more.n;
	return 0;
}

/* triggers = /a /b: space-separated, accumulating. */
static int triggers_append(struct wch_arena *a, struct wch_pkg *p, struct wch_view list,
			   struct wch_err *err)
{
	size_t n = 0, i = 0, k;
	const char **v;

	for (i = 0; i < list.n; i++)
		if (list.p[i] != ' ' && (i == 0 || list.p[i - 1] == ' '))
			n++;
	if (n == 0)
		return 0;
	v = wch_arena_alloc(a, (p->ntriggers + n) * sizeof(*v));
	if (!v)
		return oom(err);
	if (p->ntriggers)
		memcpy(v, p->triggers, p->ntriggers * sizeof(*v));
	k = p->ntriggers;
	for (i = 0; i < list.n;) {
		size_t s;
		while (i < list.n && list.p[i] == ' ')
			i++;
		if (i == list.n)
			break;
		s = i;
		while (i < list.n && list.p[i] != ' ')
			i++;
		v[k] = wch_arena_strndup(a, list.p + s, i - s);
		if (!v[k++])
			return oom(err);
	}
	p->triggers = v;
	p->ntriggers = k;
	return 0;
}

static int set_str(struct wch_arena *a, const char **dst, struct wch_view v, struct wch_err *err)
{
	*dst = wch_arena_viewdup(a, v);
	return *dst ? 0 : oom(err);
}

static int bad_value(struct wch_err *err, struct wch_view key, struct wch_view v)
{
	return wch_errf(err, -WCH_E_FORMAT, "invalid %.*s '%.*s'", (int)key.n, key.p,
			(int)(v.n > 80 ? 80 : v.n), v.p);
}

static int add_field(struct wch_arena *a, struct wch_pkg *p, struct wch_view key, struct wch_view v,
		     struct wch_err *err)
{
	uint64_t x;

#define KEY(s) wch_view_eq(key, s)
	if (KEY("pkgname"))
		return set_str(a, &p->name, v, err);
	if (KEY("pkgver"))
		return set_str(a, &p->version, v, err);
	if (KEY("pkgdesc"))
		return set_str(a, &p->description, v, err);
	if (KEY("url"))
		return set_str(a, &p->url, v, err);
	if (KEY("packager"))
		return set_str(a, &p->packager, v, err);
	if (KEY("arch"))
		return set_str(a, &p->arch, v, err);
	if (KEY("origin"))
		return set_str(a, &p->origin, v, err);
	if (KEY("commit"))
		return set_str(a, &p->commit, v, err);
	if (KEY("maintainer"))
		return set_str(a, &p->maintainer, v, err);
	if (KEY("license"))
		return set_str(a, &p->license, v, err);
	if (KEY("depend"))
		return deps_append(a, &p->depends, v, err);
	if (KEY("provides"))
		return deps_append(a, &p->provides, v, err);
	if (KEY("replaces"))
		return deps_append(a, &p->replaces, v, err);
	if (KEY("install_if"))
		return deps_append(a, &p->install_if, v, err);
	if (KEY("triggers"))
		return triggers_append(a, p, v, err);
	if (KEY("size")) {
		if (!parse_u64(v, UINT64_MAX, &p->installed_size))
			return bad_value(err, key, v);
	} else if (KEY("builddate")) {
		if (!parse_u64(v, INT64_MAX, &x))
			return bad_value(err, key, v);
		p->build_time = (int64_t)x;
	} else if (KEY("provider_priority")) {
		if (!parse_u64(v, UINT32_MAX, &x))
			return bad_value(err, key, v);
		p->provider_priority = (unsigned)x;
	} else if (KEY("replaces_priority")) {
		if (!parse_u64(v, UINT32_MAX, &x))
			return bad_value(err, key, v);
		p->replaces_priority = (unsigned)x;
	} else if (KEY("datahash")) {
		/* apk-format §2.2: hex SHA-256 of the data member. */
		if (v.n != 64 || !wch_hex_decode(v.p, v.n, p->datahash, 32))
			return bad_value(err, key, v);
		p->has_datahash = true;
	}
#undef KEY
	return 0;
}

int wch_pkginfo_parse(struct wch_arena *a, const char *text, size_t n, struct wch_pkg *p,
		      struct wch_err *err)
{
	const char *s = text, *end = text + n;
	size_t lineno = 0;

	memset(p, 0, sizeof(*p));
	p->repo = -1;
	if (n > PKGINFO_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, ".PKGINFO is larger than %u bytes",
				PKGINFO_MAX);
	if (n && memchr(text, 0, n))
		return wch_errf(err, -WCH_E_FORMAT, ".PKGINFO contains a NUL byte");
	while (s < end) {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		const char *sep;
		struct wch_view key, val;
		int r;

		if (!e)
			e = end;
		lineno++;
		sep = s < e && *s != '#' ? memmem(s, (size_t)(e - s), " = ", 3) : NULL;
		if (sep) {
			key = (struct wch_view){s, (size_t)(sep - s)};
			val = (struct wch_view){sep + 3, (size_t)(e - sep - 3)};
			r = add_field(a, p, key, val, err);
			if (r < 0)
				return wch_err_prefix(err, ".PKGINFO line %zu", lineno);
		}
		s = e + (e < end);
	}
	if (!p->name || !*p->name)
		return wch_errf(err, -WCH_E_FORMAT, ".PKGINFO has no pkgname");
	if (!p->version || !*p->version)
		return wch_errf(err, -WCH_E_FORMAT, ".PKGINFO has no pkgver");
	return 0;
}

static int write_kv(struct wch_buf *out, const char *key, const char *val)
{
	return wch_buf_addf(out, "%s = %s\n", key, val ? val : "");
}

/* One "key = dep" line per dependency, as abuild writes them. */
static int write_deps(struct wch_buf *out, const char *key, const struct wch_deps *d)
{
	size_t i;
	int r = 0;

	for (i = 0; d && i < d->n && !r; i++) {
		r = wch_buf_addf(out, "%s = ", key);
		if (!r)
			r = wch_dep_format(&d->v[i], out);
		if (!r)
			r = wch_buf_addch(out, '\n');
	}
	return r;
}

/* abuild's write_pkginfo order (apk-format §3). */
int wch_pkginfo_write(const struct wch_pkg *p, const struct wch_deps *auto_provides,
		      const struct wch_deps *auto_depends, struct wch_buf *out)
{
	size_t old = out->len, i;
	int r;

	r = wch_buf_addstr(out, "# Generated by witchery " WCH_VERSION "\n");
	r = r ? r : write_kv(out, "pkgname", p->name);
	r = r ? r : write_kv(out, "pkgver", p->version);
	r = r ? r : write_kv(out, "pkgdesc", p->description);
	r = r ? r : write_kv(out, "url", p->url);
	r = r ? r : wch_buf_addf(out, "builddate = %" PRId64 "\n", p->build_time);
	if (p->packager)
		r = r ? r : write_kv(out, "packager", p->packager);
	r = r ? r : wch_buf_addf(out, "size = %" PRIu64 "\n", p->installed_size);
	if (p->arch)
		r = r ? r : write_kv(out, "arch", p->arch);
	r = r ? r : write_kv(out, "origin", p->origin ? p->origin : p->name);
	if (p->commit)
		r = r ? r : write_kv(out, "commit", p->commit);
	if (p->maintainer)
		r = r ? r : write_kv(out, "maintainer", p->maintainer);
	if (p->replaces_priority)
		r = r ? r : wch_buf_addf(out, "replaces_priority = %u\n", p->replaces_priority);
	if (p->provider_priority)
		r = r ? r : wch_buf_addf(out, "provider_priority = %u\n", p->provider_priority);
	r = r ? r : write_kv(out, "license", p->license);
	r = r ? r : write_deps(out, "replaces", &p->replaces);
	r = r ? r : write_deps(out, "depend", &p->depends);
	r = r ? r : write_deps(out, "provides", &p->provides);
	if (p->ntriggers) {
		r = r ? r : wch_buf_addstr(out, "triggers =");
		for (i = 0; i < p->ntriggers && !r; i++)
			r = wch_buf_addf(out, " %s", p->triggers[i]);
		r = r ? r : wch_buf_addch(out, '\n');
	}
	if (p->install_if.n) {
		r = r ? r : wch_buf_addstr(out, "install_if = ");
		r = r ? r : wch_deps_format(&p->install_if, out);
		r = r ? r : wch_buf_addch(out, '\n');
	}
	r = r ? r : wch_buf_addstr(out, "# automatically detected:\n");
	r = r ? r : write_deps(out, "provides", auto_provides);
	r = r ? r : write_deps(out, "depend", auto_depends);
	if (p->has_datahash) {
		char hex[65];
		wch_hex_encode(p->datahash, 32, hex);
		r = r ? r : write_kv(out, "datahash", hex);
	}
	if (r) {
		out->len = old;
		if (out->p)
			out->p[old] = 0;
	}
	return r;
}
