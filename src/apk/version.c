/*
 * Alpine version comparison and validation, apk-tools 2.14 semantics
 * (apk-format §8.2, §8.3). The tokenizer below is deliberately a faithful
 * copy of apk's state machine, quirks included: the results must agree with
 * `apk version -t` byte for byte, including for versions apk calls invalid.
 */
#include "apk/version.h"

#include <stdint.h>
#include <string.h>

/* Token classes; the numeric order matters (apk-format §8.2). */
enum tok {
	TOK_INVALID = -1,
	TOK_DOT_DIGIT = 0,
	TOK_DIGIT,
	TOK_LETTER,
	TOK_SUFFIX,
	TOK_SUFFIX_NO,
	TOK_REVISION,
	TOK_END,
};

/* The remaining, unread part of a version string. */
struct cursor {
	const char *p;
	size_t n;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decides the class of the next token after one of class *t was consumed;
 * may consume the separator. */
static void next_class(enum tok *t, struct cursor *s)
{
	enum tok n = TOK_INVALID;
	char c = s->n ? s->p[0] : 0;

	if (s->n == 0 || c == 0) {
		n = TOK_END;
	} else if ((*t == TOK_DIGIT || *t == TOK_DOT_DIGIT) && c >= 'a' && c <= 'z') {
		n = TOK_LETTER;
	} else if (*t == TOK_LETTER && is_digit(c)) {
		n = TOK_DIGIT;
	} else if (*t == TOK_SUFFIX && is_digit(c)) {
		n = TOK_SUFFIX_NO;
	} else {
		if (c == '.') {
			n = TOK_DOT_DIGIT;
		} else if (c == '_') {
			n = TOK_SUFFIX;
		} else if (c == '-' && s->n > 1 && s->p[1] == 'r') {
			n = TOK_REVISION;
			s->p++;
			s->n--;
		}
		s->p++;
		s->n--;
	}
	/* Going back to a lower class is only allowed for these three steps. */
	if (n < *t &&
	    !((n == TOK_DOT_DIGIT && *t == TOK_DIGIT) || (n == TOK_SUFFIX && *t == TOK_SUFFIX_NO) ||
	      (n == TOK_DIGIT && *t == TOK_LETTER)))
		n = TOK_INVALID;
	*t = n;
}

static int64_t match_suffix(const struct cursor *s, size_t *len, bool *ok)
{
	static const char *const pre[] = {"alpha", "beta", "pre", "rc"};
	static const char *const post[] = {"cvs", "svn", "git", "hg", "p"};
	size_t i, l;

	*ok = true;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		l = strlen(pre[i]);
		if (l <= s->n && memcmp(pre[i], s->p, l) == 0) {
			*len = l;
			return (int64_t)i - 4;
		}
	}
	for (i = 0; i < sizeof(post) / sizeof(post[0]); i++) {
		l = strlen(post[i]);
		if (l <= s->n && memcmp(post[i], s->p, l) == 0) {
			*len = l;
			return (int64_t)i;
		}
	}
	*ok = false;
	return -1;
}

/* Reads one token of class *t and advances *t to the next class. */
static int64_t read_token(enum tok *t, struct cursor *s)
{
	int64_t v = 0;
	size_t i = 0;
	enum tok forced = TOK_INVALID;
	bool ok;

	if (s->n == 0) {
		*t = TOK_END;
		return 0;
	}
	switch (*t) {
	case TOK_DOT_DIGIT:
		/* z leading zeros after a dot: value -(z-1), the last zero is
		 * left for the DIGIT token that follows. */
		if (s->p[0] == '0') {
			while (i + 1 < s->n && s->p[i + 1] == '0')
				i++;
			v = -(int64_t)i;
			forced = TOK_DIGIT;
			break;
		}
		/* fallthrough */
	case TOK_DIGIT:
	case TOK_SUFFIX_NO:
	case TOK_REVISION:
		while (i < s->n && is_digit(s->p[i])) {
			v = v * 10 + (s->p[i++] - '0');
			if (i >= 18) {
				*t = TOK_INVALID;
				return -1;
			}
		}
		break;
	case TOK_LETTER:
		v = (unsigned char)s->p[i++];
		break;
	case TOK_SUFFIX:
		v = match_suffix(s, &i, &ok);
		if (ok)
			break;
		/* fallthrough */
	default:
		*t = TOK_INVALID;
		return -1;
	}
	s->p += i;
	s->n -= i;
	if (s->n == 0)
		*t = TOK_END;
	else if (forced != TOK_INVALID)
		*t = forced;
	else
		next_class(t, s);
	return v;
}

int wch_version_compare_n(const char *a, size_t alen, const char *b, size_t blen, bool fuzzy)
{
	struct cursor ca = {a ? a : "", a ? alen : 0}, cb = {b ? b : "", b ? blen : 0};
	enum tok at = TOK_DIGIT, bt = TOK_DIGIT, tt;
	int64_t av = 0, bv = 0;

	while (at == bt && at != TOK_END && at != TOK_INVALID && av == bv) {
		av = read_token(&at, &ca);
		bv = read_token(&bt, &cb);
	}
	if (av < bv)
		return WCH_VER_LESS;
	if (av > bv)
		return WCH_VER_GREATER;
	if (at == bt || fuzzy)
		return WCH_VER_EQUAL;
	/* Equal so far: the longer one is greater, unless what follows is a
	 * pre-release suffix (or an unknown one, which reads as -1). */
	tt = at;
	if (at == TOK_SUFFIX && read_token(&tt, &ca) < 0)
		return WCH_VER_LESS;
	tt = bt;
	if (bt == TOK_SUFFIX && read_token(&tt, &cb) < 0)
		return WCH_VER_GREATER;
	if (at > bt)
		return WCH_VER_LESS;
	if (bt > at)
		return WCH_VER_GREATER;
	return WCH_VER_EQUAL;
}

int wch_version_compare(const char *a, const char *b)
{
	return wch_version_compare_n(a, a ? strlen(a) : 0, b, b ? strlen(b) : 0, false);
}

bool wch_version_valid_n(const char *v, size_t n)
{
	struct cursor c = {v ? v : "", v ? n : 0};
	enum tok t = TOK_DIGIT;

	while (t != TOK_END && t != TOK_INVALID)
		read_token(&t, &c);
	return t == TOK_END;
}

bool wch_version_valid(const char *v)
{
	return wch_version_valid_n(v, v ? strlen(v) : 0);
}

static bool eat_digits(const char **p)
{
	const char *s = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p != s;
}

bool wch_version_valid_portable(const char *v)
{
	static const char *const suffixes[] = {"alpha", "beta", "pre", "rc", "cvs",
					       "svn",	"git",	"hg",  "p"};
	const char *p = v;
	size_t i;

	if (!p || !eat_digits(&p))
		return false;
	while (*p == '.') {
		p++;
		if (!eat_digits(&p))
			return false;
	}
	if (*p >= 'a' && *p <= 'z')
		p++;
	while (*p == '_') {
		p++;
		for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
			if (strncmp(p, suffixes[i], strlen(suffixes[i])) == 0)
				break;
		if (i == sizeof(suffixes) / sizeof(suffixes[0]))
			return false;
		p += strlen(suffixes[i]);
		eat_digits(&p);
	}
	if (p[0] == '-' && p[1] == 'r') {
		p += 2;
		if (!eat_digits(&p))
			return false;
	}
	/* Whatever apk 2.14 makes of it must agree (it always does when the
	 * grammar above matched; kept as a guard for future edits). */
	return *p == 0 && wch_version_valid(v);
}

const char *wch_version_result_string(int r)
{
	switch (r) {
	case WCH_VER_LESS:
		return "<";
	case WCH_VER_EQUAL:
		return "=";
	case WCH_VER_GREATER:
		return ">";
	default:
		return "?";
	}
}
