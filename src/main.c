/*
 * witchery: entry point, command table and multi-call names.
 *
 * `witchery <command> ...` dispatches through the table below. The binary
 * installed (or linked) as `witchery-buildapk` or `witchery-compose` speaks
 * the original 2021 tools' interfaces instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/interrupt.h"

struct wch_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Keep in the order `witchery help` shows them. */
static const struct wch_command commands[] = {
    /* COMMAND TABLE: one row per subcommand (see src/cmd/cmd.h) */
    {"keygen", cmd_keygen, "create an RSA signing key pair (like abuild-keygen -n)"},
    {"buildapk", cmd_buildapk, "pack a folder into a signed Alpine .apk"},
    {"vercmp", cmd_vercmp, "compare or validate Alpine version strings"},
    {"verify", cmd_verify, "check signatures and checksums of .apk files"},
    {"info", cmd_info, "show a package's metadata and files"},
    {"resolve", cmd_resolve, "print the packages a request resolves to"},
    {"index", cmd_index, "write a signed APKINDEX.tar.gz for .apk files"},
    {"compose", cmd_compose, "write a root folder with exactly the resolved packages"},
    {NULL, NULL, NULL},
};

/* Names the binary may be called by, mapped to compatibility entry points. */
static const struct wch_command multicall[] = {
    /* MULTICALL TABLE */
    {"witchery-compose", cmd_compose_compat, NULL},
    {"witchery-buildapk", cmd_buildapk_compat, NULL},
    {NULL, NULL, NULL},
};

static void print_help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: witchery <command> [options] [args]\n\n"
		   "Builds distroless container roots from Alpine's package format.\n\n"
		   "commands:\n");
	for (i = 0; commands[i].name; i++)
		fprintf(f, "  %-10s  %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'witchery <command> --help' describes a command; "
		   "'witchery --version' prints the version.\n");
}

static const struct wch_command *find(const char *name)
{
	size_t i;

	for (i = 0; commands[i].name; i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* `witchery help [COMMAND]` (also --help, -h): the list, or COMMAND --help. */
static int help(int argc, char **argv)
{
	const struct wch_command *c;
	char *sub[] = {NULL, "--help", NULL};

	if (argc > 3) {
		wch_error("unexpected argument '%s' (see 'witchery help')", argv[3]);
		return WCH_EXIT_USAGE;
	}
	if (argc < 3 || strcmp(argv[2], "help") == 0 || strcmp(argv[2], "--help") == 0) {
		print_help(stdout);
		return WCH_EXIT_OK;
	}
	c = find(argv[2]);
	if (!c) {
		wch_error("unknown command '%s' (see 'witchery help')", argv[2]);
		return WCH_EXIT_USAGE;
	}
	sub[0] = argv[2];
	return c->fn(2, sub);
}

static int run(int argc, char **argv)
{
	const char *self = argv[0] ? argv[0] : "witchery";
	const char *base = strrchr(self, '/');
	const struct wch_command *c;
	size_t i;

	base = base ? base + 1 : self;
	for (i = 0; multicall[i].name; i++)
		if (strcmp(base, multicall[i].name) == 0)
			return multicall[i].fn(argc, argv);

	if (argc < 2) {
		wch_error("no command given (see 'witchery help')");
		return WCH_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		if (argc > 2) {
			wch_error("unexpected argument '%s' (see 'witchery help')", argv[2]);
			return WCH_EXIT_USAGE;
		}
		printf("witchery %s\n", WCH_VERSION);
		return WCH_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return help(argc, argv);
	c = find(argv[1]);
	if (c)
		return c->fn(argc - 1, argv + 1);
	wch_error("unknown command '%s' (see 'witchery help')", argv[1]);
	return WCH_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);
	/* A command whose output could not be written has failed, whatever it
	 * returned (help, --version and plans go to stdout too). */
	int out = wch_finish_stdout();

	/* A command that caught SIGINT/SIGTERM/SIGHUP has cleaned up by now:
	 * die of that signal, as the caller expects. */
	wch_signals_reraise();
	return rc == WCH_EXIT_OK ? out : rc;
}
