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
};

void wch_opt_init(struct wch_optparse *p, int argc, char **argv,
		  const struct wch_cmd_help *help)
{
	size_t n = 0, i, s = 0;
	struct optpriv *pv;

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
	pv->shorts[s++] = '+'; /* stop at the first operand, like POSIX */
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
	}
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

int wch_opt_next(struct wch_optparse *p)
{
	struct optpriv *pv = p->priv;
	int c = getopt_long(p->argc, p->argv, pv->shorts, pv->longs, NULL);

	p->index = optind;
	p->optarg = optarg;
	if (c == -1)
		return -1;
	if (c == WCH_OPT_HELP) {
		wch_opt_print_help(p->help, stdout);
		return WCH_OPT_HELP;
	}
	if (c == '?') {
		if (optopt)
			wch_usage_error(p->help, "unknown option '-%c'", optopt);
		else
			wch_usage_error(p->help, "unknown option '%s'", p->argv[optind - 1]);
		return WCH_OPT_ERROR;
	}
	if (c == ':') {
		wch_usage_error(p->help, "option '%s' needs a value", p->argv[optind - 1]);
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

void wch_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("witchery: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void wch_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("witchery: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int wch_usage_error(const struct wch_cmd_help *help, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("witchery: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", help ? help->usage : "witchery <command> [options]");
	return WCH_EXIT_USAGE;
}

int wch_report(const struct wch_err *e)
{
	wch_error("%s", e->msg[0] ? e->msg : wch_strerror(e->code));
	return WCH_EXIT_FAIL;
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
