/*
 * witchery vercmp: compare two Alpine version strings (like `apk version -t`)
 * or validate some (like `apk version -c`). apk-format §8.
 */
#include <stdio.h>

#include "apk/version.h"
#include "cmd/cmd.h"

#define OPT_CHECK 'c'
#define OPT_QUIET 'q'

static const struct wch_opt opts[] = {
    {"check", 'c', NULL, OPT_CHECK, "validate each VERSION; print the invalid ones"},
    {"quiet", 'q', NULL, OPT_QUIET, "with --check: print nothing, only the exit status"},
    {0},
};

static const struct wch_cmd_help help = {
    "witchery vercmp A B | witchery vercmp --check [-q] VERSION...",
    "Compares Alpine version strings with apk-tools 2.14 rules and prints '<', '=' or '>'\n"
    "(A is less than, equal to or greater than B), like 'apk version -t'. With --check,\n"
    "prints each VERSION that is not valid and exits 1 if there was any, like\n"
    "'apk version -c'.",
    opts,
};

int cmd_vercmp(int argc, char **argv)
{
	struct wch_optparse p;
	bool check = false, quiet = false;
	int c, i, bad = 0;

	wch_opt_init(&p, argc, argv, &help);
	while ((c = wch_opt_next(&p)) != -1) {
		switch (c) {
		case OPT_CHECK:
			check = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case WCH_OPT_HELP:
			wch_opt_release(&p);
			return WCH_EXIT_OK;
		default:
			wch_opt_release(&p);
			return WCH_EXIT_USAGE;
		}
	}
	i = p.index;
	wch_opt_release(&p);

	if (!check) {
		if (quiet)
			return wch_usage_error(&help, "-q only applies to --check");
		if (argc - i != 2)
			return wch_usage_error(&help, "expected two versions, got %d", argc - i);
		printf("%s\n",
		       wch_version_result_string(wch_version_compare(argv[i], argv[i + 1])));
		return wch_finish_stdout();
	}
	if (i == argc)
		return wch_usage_error(&help, "--check needs at least one version");
	for (; i < argc; i++) {
		if (wch_version_valid(argv[i]))
			continue;
		bad++;
		if (!quiet)
			printf("%s\n", argv[i]);
	}
	if (wch_finish_stdout() != WCH_EXIT_OK)
		return WCH_EXIT_FAIL;
	return bad ? WCH_EXIT_FAIL : WCH_EXIT_OK;
}
