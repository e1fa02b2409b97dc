/*
 * Small helpers around struct wch_pkg: "name-version" strings, package name
 * validation and the sort order shared by APKINDEX and the installed db.
 */
#include "apk/pkg.h"

#include <string.h>
#include <strings.h>

#include "apk/version.h"

int wch_pkg_format_nv(const struct wch_pkg *p, struct wch_buf *b)
{
	int r = wch_buf_addstr(b, p->name);

	if (!r)
		r = wch_buf_addch(b, '-');
	if (!r)
		r = wch_buf_addstr(b, p->version);
	return r;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* apk-format §3, as apk_pkg_parse_name(): scan backwards for a '-' followed
 * by a digit; a version may itself hold only one more '-' (the "-r0"), so a
 * second non-matching '-' on the way means "no version here". */
bool wch_pkg_split_nv(const char *nv, struct wch_view *name, struct wch_view *version)
{
	size_t len = nv ? strlen(nv) : 0;
	size_t i;
	int dashes = 0;

	if (len < 2)
		return false;
	for (i = len - 1; i-- > 0;) {
		if (nv[i] != '-')
			continue;
		if (is_digit(nv[i + 1]))
			break;
		if (++dashes >= 2)
			return false;
	}
	/* i wrapped around: no '-' followed by a digit; a name cannot be empty. */
	if (i == (size_t)-1 || i == 0)
		return false;
	if (name) {
		name->p = nv;
		name->n = i;
	}
	if (version) {
		version->p = nv + i + 1;
		version->n = len - i - 1;
	}
	return true;
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool wch_pkg_name_valid(const char *name)
{
	const char *s;

	if (!name || !is_alnum(name[0]))
		return false;
	for (s = name + 1; *s; s++)
		if (!is_alnum(*s) && *s != '.' && *s != '_' && *s != '+' && *s != '-')
			return false;
	return true;
}

/* apk-format §5.2: strcasecmp of names, ties by strcmp, then version. */
int wch_pkg_cmp(const struct wch_pkg *a, const struct wch_pkg *b)
{
	int r = strcasecmp(a->name, b->name);

	if (!r)
		r = strcmp(a->name, b->name);
	if (r)
		return r < 0 ? -1 : 1;
	switch (wch_version_compare(a->version, b->version)) {
	case WCH_VER_LESS:
		return -1;
	case WCH_VER_GREATER:
		return 1;
	default:
		return 0;
	}
}
