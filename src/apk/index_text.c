/*
 * APKINDEX text and installed-db stanzas (apk-format §5.2, §6.1).
 *
 * Speed matters here: the v3.19 main+community indexes are 10 MB and 23k
 * packages. The parser works in place (the repository layer hands over the
 * inflated index; wch_index_text_parse() copies once into the arena), turns
 * each '\n' into a NUL while it walks the lines, and lets string fields
 * point straight into the text: one pass, no per-string allocation, no
 * strlen. Dependencies are the only per-field allocations (in the arena).
 */
#include "apk/index_text.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define INDEX_TEXT_MAX ((size_t)256 << 20) /* style.md §4: APKINDEX cap */

struct parser {
	struct wch_arena *a;
	const struct wch_index_cb *cb;
	struct wch_err *err;
	struct wch_pkg *p; /* stanza being read, NULL between stanzas */
	size_t lineno;
	bool has_nul; /* NULs in the text: no in-place name fast path */
};

static int oom(struct wch_err *err)
{
	return wch_errf(err, -ENOMEM, "out of memory");
}

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

static int bad_line(struct parser *ps, char letter, const char *why)
{
	return wch_errf(ps->err, -WCH_E_FORMAT, "line %zu: %s in %c: field", ps->lineno, why,
			letter);
}

/* Byte classes for splitting dependency fields: a token is a bare name
 * unless it holds one of the bytes that make wch_dep_parse() work. */
enum { DC_NAME, DC_SPACE, DC_SPECIAL };
static const unsigned char dep_class[256] = {
    [0] = DC_SPECIAL,	[' '] = DC_SPACE,   ['<'] = DC_SPECIAL, ['>'] = DC_SPECIAL,
    ['='] = DC_SPECIAL, ['~'] = DC_SPECIAL, ['@'] = DC_SPECIAL, ['!'] = DC_SPECIAL,
};

/* apk_blob_pull_deps() semantics (§5.2, §7.1): tokens separated by runs
 * of spaces; the first bad token truncates the rest of the field and the
 * caller decides what that means. Returns false if a token was bad.
 *
 * Tokens are cut out of the parser's text in place (their separator, or
 * the line's own NUL, becomes the NUL) instead of being copied into the
 * arena; most are bare names ("so:libc.musl-x86_64.so.1") that need no
 * parsing at all. v.p must point into the parser's text. */
static bool deps_add(struct parser *ps, struct wch_deps *d, struct wch_view v, int *r)
{
	size_t ntok = 1, i, k;
	struct wch_dep *nv;
	char *p = (char *)v.p;
	bool ok = true;

	*r = 0;
	if (v.n == 0)
		return true;
	for (i = 0; i < v.n; i++)
		ntok += p[i] == ' '; /* an upper bound; runs of spaces are rare */
	nv = wch_arena_alloc(ps->a, (d->n + ntok) * sizeof(*nv));
	if (!nv) {
		*r = oom(ps->err);
		return false;
	}
	if (d->n)
		memcpy(nv, d->v, d->n * sizeof(*nv));
	k = d->n;
	for (i = 0; i < v.n;) {
		unsigned cls = 0, c;
		char *tok;
		size_t n;
		int pr;
		while (i < v.n && p[i] == ' ')
			i++;
		if (i == v.n)
			break;
		tok = p + i;
		while (i < v.n && (c = dep_class[(unsigned char)p[i]]) != DC_SPACE) {
			cls |= c;
			i++;
		}
		n = (size_t)(p + i - tok);
		i++; /* past the separator, which becomes the token's NUL */
		if (cls == DC_NAME) {
			tok[n] = 0;
			nv[k] = (struct wch_dep){.name = tok};
			k++;
			continue;
		}
		/* A NUL inside the text would end a string early: copy then. */
		pr = ps->has_nul ? wch_dep_parse(ps->a, (struct wch_view){tok, n}, &nv[k], NULL)
				 : wch_dep_parse_inplace(tok, n, &nv[k], NULL);
		/* Index dependencies carry no repository tag (apk parses them
		 * with allow_tag = false). */
		if (pr < 0 || nv[k].tag) {
			ok = false;
			break;
		}
		k++;
	}
	d->v = nv;
	d->n = k;
	return ok;
}

static int num_field(struct parser *ps, char letter, struct wch_view v, uint64_t max, uint64_t *out)
{
	return parse_u64(v, max, out) ? 0 : bad_line(ps, letter, "invalid number");
}

/* A callback's message does not know which line it is about; add it. */
static int located(struct parser *ps, int r)
{
	if (r < 0 && ps->err)
		wch_err_prefix(ps->err, "line %zu", ps->lineno);
	return r;
}

static int field(struct parser *ps, char letter, struct wch_view v)
{
	struct wch_pkg *p = ps->p;
	const char *s = v.p; /* NUL-terminated in the arena copy */
	uint64_t x = 0;
	int r = 0;

	switch (letter) {
	case 'P':
		p->name = s;
		break;
	case 'V':
		p->version = s;
		break;
	case 'A':
		p->arch = s;
		break;
	case 'T':
		p->description = s;
		break;
	case 'U':
		p->url = s;
		break;
	case 'L':
		p->license = s;
		break;
	case 'o':
		p->origin = s;
		break;
	case 'm':
		p->maintainer = s;
		break;
	case 'c':
		p->commit = s;
		break;
	case 'C':
		if (wch_checksum_parse(v, &p->identity) < 0)
			return bad_line(ps, letter, "invalid checksum");
		break;
	case 'S':
		r = num_field(ps, letter, v, UINT64_MAX, &p->file_size);
		break;
	case 'I':
		r = num_field(ps, letter, v, UINT64_MAX, &p->installed_size);
		break;
	case 't':
		r = num_field(ps, letter, v, INT64_MAX, &x);
		p->build_time = (int64_t)x;
		break;
	case 'k':
		r = num_field(ps, letter, v, UINT32_MAX, &x);
		p->provider_priority = (unsigned)x;
		break;
	case 'D':
		/* A package whose dependencies we cannot read must not be
		 * installed (apk sets uninstallable the same way). */
		if (!deps_add(ps, &p->depends, v, &r))
			p->uninstallable = true;
		break;
	case 'p':
		deps_add(ps, &p->provides, v, &r);
		break;
	case 'i':
		/* apk drops a partially readable install_if entirely. */
		if (!deps_add(ps, &p->install_if, v, &r))
			p->install_if.n = 0;
		break;
	case 'F':
	case 'M':
	case 'R':
	case 'Z':
	case 'r':
	case 'q':
	case 'a':
	case 's':
	case 'f':
		if (ps->cb->extra)
			r = located(ps, ps->cb->extra(ps->cb->ctx, letter, v, ps->err));
		break;
	default:
		/* Lowercase: a newer apk's optional field. Anything else is
		 * something this package needs that we do not understand. */
		if (!(letter >= 'a' && letter <= 'z'))
			p->uninstallable = true;
		if (ps->cb->unknown)
			r = located(ps, ps->cb->unknown(ps->cb->ctx, letter, v, ps->err));
		break;
	}
	return r;
}

static int begin(struct parser *ps)
{
	if (!ps->p) {
		ps->p = wch_arena_alloc(ps->a, sizeof(*ps->p));
		if (!ps->p)
			return oom(ps->err);
	}
	return ps->cb->begin ? ps->cb->begin(ps->cb->ctx, ps->err) : 0;
}

/* End of a stanza: hand over a complete package, forget an incomplete
 * one (§5.2: a stanza without P: or V: is dropped). */
static int finish(struct parser *ps, bool *open)
{
	struct wch_pkg *p = ps->p;
	int r = 0;

	if (!*open)
		return 0;
	*open = false;
	if (p->name && p->version) {
		ps->p = NULL;
		r = ps->cb->pkg(ps->cb->ctx, p, ps->err);
	} else {
		memset(p, 0, sizeof(*p));
	}
	return r < 0 ? r : 0;
}

int wch_index_text_parse_inplace(struct wch_arena *a, char *buf, size_t n,
				 const struct wch_index_cb *cb, struct wch_err *err)
{
	struct parser ps = {a, cb, err, NULL, 0, false};
	char *s, *end;
	bool open = false;
	int r;

	if (n > INDEX_TEXT_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, "index text is larger than %zu bytes",
				INDEX_TEXT_MAX);
	ps.has_nul = memchr(buf, 0, n) != NULL;
	buf[n] = 0;
	s = buf;
	end = buf + n;
	while (s < end) {
		char *e = memchr(s, '\n', (size_t)(end - s));
		size_t len;

		if (!e)
			e = end;
		*e = 0;
		len = (size_t)(e - s);
		ps.lineno++;
		if (len < 2) {
			r = finish(&ps, &open);
		} else if (s[1] != ':') {
			r = wch_errf(err, -WCH_E_FORMAT, "line %zu: expected '<letter>:'",
				     ps.lineno);
		} else {
			r = 0;
			if (!open) {
				open = true;
				r = begin(&ps);
			}
			if (!r)
				r = field(&ps, s[0], (struct wch_view){s + 2, len - 2});
		}
		if (r < 0)
			return r;
		s = e + 1;
	}
	return finish(&ps, &open);
}

int wch_index_text_parse(struct wch_arena *a, const char *text, size_t n,
			 const struct wch_index_cb *cb, struct wch_err *err)
{
	char *buf;

	if (n > INDEX_TEXT_MAX)
		return wch_errf(err, -WCH_E_TOO_BIG, "index text is larger than %zu bytes",
				INDEX_TEXT_MAX);
	buf = wch_arena_alloc(a, n + 1);
	if (!buf)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (n)
		memcpy(buf, text, n);
	return wch_index_text_parse_inplace(a, buf, n, cb, err);
}

static int add_line(struct wch_buf *out, char letter, const char *s)
{
	char hdr[3] = {letter, ':', 0};
	int r = wch_buf_addstr(out, hdr);

	if (!r && s)
		r = wch_buf_addstr(out, s);
	return r ? r : wch_buf_addch(out, '\n');
}

static int add_deps(struct wch_buf *out, char letter, const struct wch_deps *d)
{
	char hdr[3] = {letter, ':', 0};
	int r;

	if (d->n == 0)
		return 0;
	r = wch_buf_addstr(out, hdr);
	if (!r)
		r = wch_deps_format(d, out);
	return r ? r : wch_buf_addch(out, '\n');
}

/* apk_pkg_write_index_header() order: C P V A S I T U L o m t c k D p i. */
int wch_index_text_write_pkg(const struct wch_pkg *p, struct wch_buf *out)
{
	size_t old = out->len;
	char csum[64];
	int r = 0;

	if (p->identity.len)
		r = add_line(out, 'C', wch_checksum_format(&p->identity, csum));
	r = r ? r : add_line(out, 'P', p->name);
	r = r ? r : add_line(out, 'V', p->version);
	if (p->arch)
		r = r ? r : add_line(out, 'A', p->arch);
	r = r ? r
	      : wch_buf_addf(out, "S:%" PRIu64 "\nI:%" PRIu64 "\n", p->file_size,
			     p->installed_size);
	/* T, U and L are written even when empty. */
	r = r ? r : add_line(out, 'T', p->description);
	r = r ? r : add_line(out, 'U', p->url);
	r = r ? r : add_line(out, 'L', p->license);
	if (p->origin)
		r = r ? r : add_line(out, 'o', p->origin);
	if (p->maintainer)
		r = r ? r : add_line(out, 'm', p->maintainer);
	if (p->build_time)
		r = r ? r : wch_buf_addf(out, "t:%" PRId64 "\n", p->build_time);
	if (p->commit)
		r = r ? r : add_line(out, 'c', p->commit);
	if (p->provider_priority)
		r = r ? r : wch_buf_addf(out, "k:%u\n", p->provider_priority);
	r = r ? r : add_deps(out, 'D', &p->depends);
	r = r ? r : add_deps(out, 'p', &p->provides);
	r = r ? r : add_deps(out, 'i', &p->install_if);
	if (r) {
		out->len = old;
		if (out->p)
			out->p[old] = 0;
	}
	return r;
}
