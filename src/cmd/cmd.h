/*
 * Subcommands.
 *
 * Adding `witchery foo`: write src/cmd/foo.c with `int cmd_foo(int argc, char
 * **argv)`, add it to src/cmd/meson.build, one row in the table in
 * src/main.c, a section in README.md, and tests/e2e/NNN-foo-*.sh. The e2e
 * help test walks `witchery help` and checks that every command's --help
 * works.
 *
 * A command returns the process exit status: 0 success, 1 the operation
 * failed (errors already printed with wch_die/wch_error), 2 usage error.
 * argv[0] is the command name; options are parsed with wch_opt_parse().
 */
#ifndef WCH_CMD_CMD_H
#define WCH_CMD_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "util/err.h"

#define WCH_EXIT_OK    0
#define WCH_EXIT_FAIL  1
#define WCH_EXIT_USAGE 2

/* One option: long name (NULL if none), short letter (0 if none), argument
 * name (NULL for a flag), help text. id is returned by wch_opt_next; use the
 * short letter when there is one, else a value >= 256. */
struct wch_opt {
	const char *lng;
	int shrt;
	const char *arg;
	int id;
	const char *help;
};

struct wch_cmd_help {
	const char *usage;	    /* e.g. "witchery verify [options] FILE.apk..." */
	const char *summary;	    /* one paragraph */
	const struct wch_opt *opts; /* terminated by an all-zero row */
};

struct wch_optparse {
	int argc;
	char **argv;
	const struct wch_cmd_help *help;
	int index; /* next argv index after parsing */
	const char *optarg;
	/* private */
	void *priv;
};

/* Starts option parsing. --help, and -h unless the command's table gives
 * 'h' a meaning, are handled by wch_opt_next (prints help to stdout and
 * returns WCH_OPT_HELP). Options may come after operands (GNU getopt
 * permutation, as apk does); "--" ends the options. */
void wch_opt_init(struct wch_optparse *p, int argc, char **argv, const struct wch_cmd_help *help);
/* Returns the next option id, -1 at the end of options (p->index is then the
 * first operand), WCH_OPT_HELP after printing help, or WCH_OPT_ERROR after
 * printing a usage error. */
#define WCH_OPT_HELP  2000
#define WCH_OPT_ERROR 2001
int wch_opt_next(struct wch_optparse *p);
void wch_opt_release(struct wch_optparse *p);
void wch_opt_print_help(const struct wch_cmd_help *help, FILE *f);

/* Print "witchery: <msg>" to stderr. */
void wch_error(const char *fmt, ...) WCH_PRINTF(1, 2);
void wch_warn(const char *fmt, ...) WCH_PRINTF(1, 2);
/* Print a usage error and return WCH_EXIT_USAGE. One line, like every
 * error: "witchery: <msg> (see 'witchery <command> --help')". */
int wch_usage_error(const struct wch_cmd_help *help, const char *fmt, ...) WCH_PRINTF(2, 3);
/* Writes s with control characters and bytes that are not UTF-8 escaped
 * (\n, \t, \xNN), so that a hostile name cannot split a line of output.
 * wch_error, wch_warn and wch_usage_error print their messages this way. */
void wch_fput_safe(const char *s, FILE *f);
/* Flushes stdout; on a write error (full disk, closed pipe reader) prints
 * "witchery: cannot write to standard output: <why>" (once per process)
 * and returns WCH_EXIT_FAIL, else WCH_EXIT_OK. main() calls it after
 * every command, so output that failed never exits 0. */
int wch_finish_stdout(void);
/* Print the error from e and return WCH_EXIT_FAIL, or WCH_EXIT_USAGE when
 * its code is -WCH_E_USAGE. */
int wch_report(const struct wch_err *e);
/* Trusted keys: every dir given, or /etc/apk/keys when none is given and
 * it exists (apk's default, apk-format §2.5). */
#define WCH_DEFAULT_KEYS_DIR "/etc/apk/keys"
struct wch_keyring;
int wch_cmd_load_keys(struct wch_keyring *kr, const char *const *dirs, size_t ndirs,
		      struct wch_err *err);

/* Parse an unsigned decimal number; false if not a number or too big. */
bool wch_parse_ulong(const char *s, unsigned long *out);

int cmd_keygen(int argc, char **argv);
int cmd_buildapk(int argc, char **argv);
int cmd_buildapk_compat(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_vercmp(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_compose(int argc, char **argv);
int cmd_compose_compat(int argc, char **argv);

#endif
