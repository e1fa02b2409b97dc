/*
 * Dependency tokens and lists (apk-format §7.1, §7.2), parsed like apk 2.14's
 * apk_blob_pull_dep(): the name runs up to the first operator character,
 * the operator is a set of < > = ~ characters, and the tag is cut off the
 * name at the first '@' (so it must come before the operator).
 */
#include "apk/dep.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Longest token we show in an error message. */
#define SHOW_MAX 200

static bool is_op_char(char c)
{
	return c == '<' || c == '>' || c == '=' || c == '~';
}

static bool is_separator(char c)
{
	return c == ' ' || c == '\n'; /* not '\t' (apk 2.14) */
}

static int bad_token(struct wch_err *err, struct wch_view tok, const char *why)
{
	int n = tok.n > SHOW_MAX ? SHOW_MAX : (int)tok.n;

	return wch_errf(err, -WCH_E_FORMAT, "invalid dependency '%.*s'%s: %s", n, tok.p,
			tok.n > SHOW_MAX ? "..." : "", why);
}

/* A token cut into views of itself (no copies). */
struct dep_parts {
	struct wch_view name, ver, tag;
	unsigned op;
	bool conflict;
};

static int dep_split(struct wch_view tok, struct dep_parts *d, struct wch_err *err)
{
	struct wch_view name = tok;
	const char *at;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (tok.n == 0)
		return bad_token(err, tok, "empty");
	if (memchr(tok.p, 0, tok.n))
		return bad_token(err, tok, "NUL byte");
	if (name.p[0] == '!') {
		d->conflict = true;
		name.p++;
		name.n--;
	}
	for (i = 0; i < name.n && !is_op_char(name.p[i]); i++)
		;
	if (i < name.n) {
		size_t j;
		for (j = i; j < name.n && is_op_char(name.p[j]); j++) {
			switch (name.p[j]) {
			case '<':
				d->op |= WCH_VER_LESS;
				break;
			case '>':
				d->op |= WCH_VER_GREATER;
				break;
			case '=':
				d->op |= WCH_VER_EQUAL;
				break;
			default: /* '~' */
				d->op |= WCH_VER_FUZZY | WCH_VER_EQUAL;
				break;
			}
		}
		if (j == name.n) /* "foo=", "foo==": apk's spn finds no version */
			return bad_token(err, tok, "operator without version");
		d->ver.p = name.p + j;
		d->ver.n = name.n - j;
		/* "><" (and any mask with both < and >) carries a checksum, not a
		 * version, so apk does not validate it (§7.1). */
		if ((d->op & WCH_VER_CHECKSUM) != WCH_VER_CHECKSUM &&
		    !wch_version_valid_n(d->ver.p, d->ver.n))
			return bad_token(err, tok, "invalid version");
		name.n = i;
	}
	at = memchr(name.p, '@', name.n);
	if (at) {
		d->tag.p = at + 1;
		d->tag.n = name.n - (size_t)(d->tag.p - name.p);
		name.n = (size_t)(at - name.p);
		if (d->tag.n == 0)
			return bad_token(err, tok, "empty repository tag");
	}
	if (name.n == 0)
		return bad_token(err, tok, "empty name");
	d->name = name;
	return 0;
}

int wch_dep_parse(struct wch_arena *a, struct wch_view tok, struct wch_dep *out,
		  struct wch_err *err)
{
	struct dep_parts d;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = dep_split(tok, &d, err)) < 0)
		return r;
	out->op = d.op;
	out->conflict = d.conflict;
	out->name = wch_arena_viewdup(a, d.name);
	if (!out->name)
		return wch_errf(err, -ENOMEM, "out of memory");
	if (d.op) {
		out->version = wch_arena_viewdup(a, d.ver);
		if (!out->version)
			return wch_errf(err, -ENOMEM, "out of memory");
	}
	if (d.tag.p) {
		out->tag = wch_arena_viewdup(a, d.tag);
		if (!out->tag)
			return wch_errf(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int wch_dep_parse_inplace(char *tok, size_t n, struct wch_dep *out, struct wch_err *err)
{
	struct dep_parts d;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = dep_split((struct wch_view){tok, n}, &d, err)) < 0)
		return r;
	/* Every part ends at an '@', an operator or the token's end, none of
	 * which is inside another part; cut only after the whole token was
	 * read. */
	out->op = d.op;
	out->conflict = d.conflict;
	out->name = d.name.p;
	tok[d.name.p + d.name.n - tok] = 0;
	if (d.op)
		out->version = d.ver.p;
	if (d.tag.p) {
		out->tag = d.tag.p;
		tok[d.tag.p + d.tag.n - tok] = 0;
	}
	tok[n] = 0;
	return 0;
}

static size_t count_tokens(struct wch_view l)
{
	size_t i, n = 0;

	for (i = 0; i < l.n; i++)
		if (!is_separator(l.p[i]) && (i == 0 || is_separator(l.p[i - 1])))
			n++;
	return n;
}

int wch_deps_parse(struct wch_arena *a, struct wch_view list, struct wch_deps *out,
		   struct wch_err *err)
{
	size_t n = count_tokens(list), i = 0, k = 0;

	out->v = NULL;
	out->n = 0;
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof(*out->v))
		return wch_errf(err, -WCH_E_TOO_BIG, "too many dependencies");
	out->v = wch_arena_alloc(a, n * sizeof(*out->v));
	if (!out->v)
		return wch_errf(err, -ENOMEM, "out of memory");
	while (i < list.n) {
		struct wch_view tok;
		int r;
		while (i < list.n && is_separator(list.p[i]))
			i++;
		if (i == list.n)
			break;
		tok.p = list.p + i;
		while (i < list.n && !is_separator(list.p[i]))
			i++;
		tok.n = (size_t)(list.p + i - tok.p);
		r = wch_dep_parse(a, tok, &out->v[k], err);
		if (r < 0) {
			out->v = NULL;
			return r;
		}
		k++;
	}
	out->n = k;
	return 0;
}

const char *wch_dep_op_string(unsigned op)
{
	switch (op) {
	case 0:
		return "";
	case WCH_VER_LESS:
		return "<";
	case WCH_VER_LESS | WCH_VER_EQUAL:
		return "<=";
	case WCH_VER_EQUAL | WCH_VER_FUZZY:
		return "~";
	case WCH_VER_EQUAL:
		return "=";
	case WCH_VER_GREATER | WCH_VER_EQUAL:
		return ">=";
	case WCH_VER_GREATER:
		return ">";
	case WCH_VER_CHECKSUM:
		return "><";
	default:
		return "?";
	}
}

int wch_dep_format(const struct wch_dep *d, struct wch_buf *b)
{
	size_t old = b->len;
	char op[5];
	size_t n = 0;
	int r = 0;

	/* apk's canonical string where there is one; otherwise built from the
	 * bits so that masks like ">~" and "<~" (apk prints "?") read back the
	 * same. */
	if (d->op & WCH_VER_LESS)
		op[n++] = '<';
	if (d->op & WCH_VER_GREATER)
		op[n++] = '>';
	if (d->op & WCH_VER_FUZZY)
		op[n++] = '~';
	else if (d->op & WCH_VER_EQUAL)
		op[n++] = '=';
	op[n] = 0;
	if (strcmp(wch_dep_op_string(d->op), "?") != 0)
		snprintf(op, sizeof(op), "%s", wch_dep_op_string(d->op));
	if (d->conflict)
		r = wch_buf_addch(b, '!');
	if (!r)
		r = wch_buf_addstr(b, d->name);
	if (!r && d->tag)
		r = wch_buf_addf(b, "@%s", d->tag);
	if (!r && d->op && d->version)
		r = wch_buf_addf(b, "%s%s", op, d->version);
	if (r) {
		b->len = old;
		if (b->p)
			b->p[old] = 0;
	}
	return r;
}

int wch_deps_format(const struct wch_deps *d, struct wch_buf *b)
{
	size_t old = b->len, i;
	int r = 0;

	for (i = 0; i < d->n && !r; i++) {
		if (i)
			r = wch_buf_addch(b, ' ');
		if (!r)
			r = wch_dep_format(&d->v[i], b);
	}
	if (r) {
		b->len = old;
		if (b->p)
			b->p[old] = 0;
	}
	return r;
}

bool wch_dep_version_match(const struct wch_dep *d, const char *pv)
{
	if (d->op == 0)
		return true;
	if (!pv || !d->version)
		return false;
	if (d->op == WCH_VER_CHECKSUM)
		return strcmp(pv, d->version) == 0;
	return (wch_version_compare_n(pv, strlen(pv), d->version, strlen(d->version),
				      (d->op & WCH_VER_FUZZY) != 0) &
		d->op) != 0;
}

/* Whether a command-line argument holds a character no dependency has:
 * a control character, or (one per argument) a space. */
static bool bad_world_char(struct wch_view v, bool space_ok)
{
	size_t i;

	for (i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] < ' ' || v.p[i] == 0x7f || (v.p[i] == ' ' && !space_ok))
			return true;
	return false;
}

int wch_dep_parse_world(struct wch_arena *a, const char *arg, struct wch_dep *out,
			struct wch_err *err)
{
	struct wch_view tok = wch_view_str(arg);

	if (bad_world_char(tok, false))
		return bad_token(err, tok, "white space or control character");
	return wch_dep_parse(a, tok, out, err);
}

int wch_deps_parse_world_list(struct wch_arena *a, const char *arg, struct wch_deps *out,
			      struct wch_err *err)
{
	struct wch_view list = wch_view_str(arg);

	if (bad_world_char(list, true)) /* the caller names the argument */
		return wch_errf(err, -WCH_E_FORMAT, "control character in a dependency");
	return wch_deps_parse(a, list, out, err);
}
