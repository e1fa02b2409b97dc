#include "cmd/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/key.h"

struct optpriv {
	struct option *longs;
	char *shorts;
	bool own_h;
};

void wch_opt_init(struct wch_optparse *p, int argc, char **argv, const struct wch_cmd_help *help)
{
	size_t n = 0, i, s = 0;
	struct optpriv *pv;
	bool own_h = false;

	memset(p, 0, sizeof(*p));
	p->argc = argc;
	p->argv = argv;
	p->help = help;
	while (help->opts && (help->opts[n].lng || help->opts[n].shrt))
		n++;
	pv = calloc(1, sizeof(*pv));
	if (pv) {
		pv->longs = calloc(n + 2, sizeof(struct option));
		pv->shorts = calloc(3 * n + 8, 1);
	}
	if (!pv || !pv->longs || !pv->shorts) {
		fprintf(stderr, "witchery: out of memory\n");
		exit(WCH_EXIT_FAIL);
	}
	/* Options may follow operands, as with apk and GNU tools; "--" ends them. */
	pv->shorts[s++] = ':';
	for (i = 0; i < n; i++) {
		const struct wch_opt *o = &help->opts[i];
		if (o->lng) {
			struct option *lo = &pv->longs[i];
			lo->name = o->lng;
			lo->has_arg = o->arg ? required_argument : no_argument;
			lo->val = o->id;
		}
		if (o->shrt) {
			pv->shorts[s++] = (char)o->shrt;
			if (o->arg)
				pv->shorts[s++] = ':';
		}
		own_h |= o->shrt == 'h';
	}
	if (!own_h) /* -h is help unless the command gives it a meaning */
		pv->shorts[s++] = 'h';
	pv->own_h = own_h;
	/* --help is always there; getopt wants the table without holes. */
	{
		size_t j = 0;
		for (i = 0; i < n; i++)
			if (pv->longs[i].name)
				pv->longs[j++] = pv->longs[i];
		pv->longs[j].name = "help";
		pv->longs[j].has_arg = no_argument;
		pv->longs[j].val = WCH_OPT_HELP;
		memset(&pv->longs[j + 1], 0, sizeof(struct option));
	}
	p->priv = pv;
	optind = 0; /* full reinitialisation of getopt */
	opterr = 0;
}

/* The long options that "--name" (without "=value") could mean: the exact
 * one, else every one it is a prefix of (getopt accepts unique prefixes). */
static size_t long_matches(const struct option *longs, const char *arg, size_t len,
			   const struct option **first)
{
	size_t k = 0, i;

	*first = NULL;
	for (i = 0; longs[i].name; i++) {
		if (strncmp(longs[i].name, arg, len) != 0)
			continue;
		if (longs[i].name[len] == 0) {
			*first = &longs[i];
			return 1;
		}
		if (!k++)
			*first = &longs[i];
	}
	return k;
}

/* A precise message for a long option getopt refused: unknown, ambiguous,
 * or a flag given "=value". (getopt's optopt is no help here: for a long
 * option it holds the option's id, which need not be a character.) */
static void bad_long(struct wch_optparse *p, const char *arg)
{
	struct optpriv *pv = p->priv;
	const struct option *o;
	size_t len = strcspn(arg + 2, "="), k;

	k = long_matches(pv->longs, arg + 2, len, &o);
	if (k == 1 && arg[2 + len] == '=' && o->has_arg == no_argument)
		wch_usage_error(p->help, "option '--%s' takes no value", o->name);
	else if (k > 1)
		wch_usage_error(p->help, "ambiguous option '--%.*s'", (int)len, arg + 2);
	else
		wch_usage_error(p->help, "unknown option '--%.*s'", (int)len, arg + 2);
}

int wch_opt_next(struct wch_optparse *p)
{
	struct optpriv *pv = p->priv;
	int prev = optind;
	int c = getopt_long(p->argc, p->argv, pv->shorts, pv->longs, NULL);
	/* A refused long option is always a whole argument, which getopt has
	 * stepped past; a refused short one may sit inside a cluster ("-qz"). */
	const char *arg = optind > prev && optind > 0 ? p->argv[optind - 1] : "";

	p->index = optind;
	p->optarg = optarg;
	if (c == -1)
		return -1;
	if (c == WCH_OPT_HELP || (c == 'h' && !pv->own_h)) {
		wch_opt_print_help(p->help, stdout);
		return WCH_OPT_HELP;
	}
	if (c == '?') {
		if (strncmp(arg, "--", 2) == 0 && arg[2])
			bad_long(p, arg);
		else
			wch_usage_error(p->help, "unknown option '-%c'", optopt);
		return WCH_OPT_ERROR;
	}
	if (c == ':') {
		if (strncmp(arg, "--", 2) == 0 && arg[2])
			wch_usage_error(p->help, "option '--%.*s' needs a value",
					(int)strcspn(arg + 2, "="), arg + 2);
		else
			wch_usage_error(p->help, "option '-%c' needs a value", optopt);
		return WCH_OPT_ERROR;
	}
	return c;
}

void wch_opt_release(struct wch_optparse *p)
{
	struct optpriv *pv = p->priv;

	if (pv) {
		free(pv->longs);
		free(pv->shorts);
		free(pv);
	}
	p->priv = NULL;
}

void wch_opt_print_help(const struct wch_cmd_help *help, FILE *f)
{
	const struct wch_opt *o;

	fprintf(f, "usage: %s\n\n%s\n", help->usage, help->summary);
	if (!help->opts || (!help->opts[0].lng && !help->opts[0].shrt))
		return;
	fprintf(f, "\noptions:\n");
	for (o = help->opts; o->lng || o->shrt; o++) {
		char left[128];
		int n = 0;
		if (o->shrt)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c", o->shrt);
		if (o->shrt && o->lng)
			n += snprintf(left + n, sizeof(left) - (size_t)n, ", ");
		if (o->lng)
			n += snprintf(left + n, sizeof(left) - (size_t)n, "--%s", o->lng);
		if (o->arg)
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
		if (strlen(left) > 24)
			fprintf(f, "  %s\n  %-24s  %s\n", left, "", o->help);
		else
			fprintf(f, "  %-24s  %s\n", left, o->help);
	}
	fprintf(f, "  %-24s  %s\n", "--help", "show this help");
}

/* Length of the valid UTF-8 sequence at p, or 0 (overlongs, surrogates and
 * code points above U+10FFFF are not valid). */
static size_t utf8_len(const unsigned char *p)
{
	size_t len = 0, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((len == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
	    (len == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
	    (len == 4 && p[0] == 0xf0 && p[1] < 0x90) || (len == 4 && p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

void wch_fput_safe(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t len = *p < 0x80 ? 1 : utf8_len(p);
		if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (*p < 0x20 || *p == 0x7f || len == 0)
			fprintf(f, "\\x%02x", *p);
		else {
			fwrite(p, 1, len, f);
			p += len;
			continue;
		}
		p++;
	}
}

/* Prints "witchery: <prefix><message><suffix>\n" as one line: control
 * characters and bytes that are not UTF-8 (from file names, packages or
 * arguments) are escaped so that they cannot split or garble the line. */
static void vreport(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char small[512], *msg = small;
	va_list ap2;
	int n;

	fflush(stdout);
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (msg)
			vsnprintf(msg, (size_t)n + 1, fmt, ap2);
		else
			msg = small; /* truncated, still one line */
	}
	va_end(ap2);
	fputs("witchery: ", stderr);
	fputs(prefix, stderr);
	wch_fput_safe(n < 0 ? "(unprintable message)" : msg, stderr);
	fputs(suffix, stderr);
	fputc('\n', stderr);
	if (msg != small)
		free(msg);
}

void wch_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", "", fmt, ap);
	va_end(ap);
}

void wch_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", "", fmt, ap);
	va_end(ap);
}

/* One line, ending with where to read more: " (see 'witchery verify
 * --help')", the command taken from the usage text. */
int wch_usage_error(const struct wch_cmd_help *help, const char *fmt, ...)
{
	const char *u = help ? help->usage : "witchery";
	char hint[96];
	size_t n = strcspn(u, " ");
	va_list ap;

	if (strncmp(u, "witchery ", 9) == 0)
		n = 9 + strcspn(u + 9, " ");
	if (help)
		snprintf(hint, sizeof(hint), " (see '%.*s --help')", (int)n, u);
	else
		snprintf(hint, sizeof(hint), " (see 'witchery help')");
	va_start(ap, fmt);
	vreport("", hint, fmt, ap);
	va_end(ap);
	return WCH_EXIT_USAGE;
}

int wch_finish_stdout(void)
{
	static bool reported;
	int e;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return WCH_EXIT_OK;
	e = errno;
	if (!reported)
		wch_error("cannot write to standard output: %s", e ? strerror(e) : "write error");
	reported = true;
	return WCH_EXIT_FAIL;
}

int wch_report(const struct wch_err *e)
{
	wch_error("%s", e->msg[0] ? e->msg : wch_strerror(e->code));
	/* A bad option value found past option parsing is still the caller's
	 * mistake: exit 2, as for the usage errors of the parser itself. */
	return e->code == -WCH_E_USAGE ? WCH_EXIT_USAGE : WCH_EXIT_FAIL;
}

bool wch_parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

int wch_cmd_load_keys(struct wch_keyring *kr, const char *const *dirs, size_t ndirs,
		      struct wch_err *err)
{
	struct stat st;
	size_t i;

	if (ndirs == 0)
		return stat(WCH_DEFAULT_KEYS_DIR, &st) == 0 && S_ISDIR(st.st_mode)
			   ? wch_keyring_load_dir(kr, WCH_DEFAULT_KEYS_DIR, err)
			   : 0;
	for (i = 0; i < ndirs; i++) {
		int r = wch_keyring_load_dir(kr, dirs[i], err);
		if (r)
			return r;
	}
	return 0;
}
