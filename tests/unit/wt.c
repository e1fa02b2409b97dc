#include "wt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int wt_failed_now;
int wt_skipped_now;
static char wt_tmp[4096];
static bool wt_any_failed;

void wt_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	wt_failed_now = 1;
}

void wt_skip(const char *why)
{
	printf("skip: %s\n", why);
	wt_skipped_now = 1;
}

const char *wt_fixture(const char *rel)
{
	static char path[4096];
	const char *base = getenv("WT_FIXTURES");

	if (!base)
		base = "../shared/fixtures";
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	return path;
}

const char *wt_tmpdir(void)
{
	if (!wt_tmp[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(wt_tmp, sizeof(wt_tmp), "%s/wt.XXXXXX", t ? t : "/tmp");
		if (!mkdtemp(wt_tmp)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return wt_tmp;
}

static void wt_cleanup(void)
{
	char cmd[4200];

	if (!wt_tmp[0])
		return;
	if (wt_any_failed) {
		printf("kept %s\n", wt_tmp);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", wt_tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", wt_tmp);
}

int wt_main(int argc, char **argv, const struct wt_test *tests, size_t n)
{
	size_t i;
	int passed = 0, failed = 0, skipped = 0, a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	for (i = 0; i < n; i++) {
		bool want = argc < 2;
		for (a = 1; a < argc; a++) {
			if (strstr(tests[i].name, argv[a]))
				want = true;
		}
		if (!want)
			continue;
		wt_failed_now = wt_skipped_now = 0;
		tests[i].fn();
		if (wt_failed_now) {
			printf("FAIL %s\n", tests[i].name);
			failed++;
			wt_any_failed = true;
		} else if (wt_skipped_now) {
			printf("skip %s\n", tests[i].name);
			skipped++;
		} else {
			printf("ok %s\n", tests[i].name);
			passed++;
		}
	}
	wt_cleanup();
	if (skipped)
		printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
