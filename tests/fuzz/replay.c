/*
 * Replays a fuzz target's corpus as an ordinary test (t_fuzz_<target>).
 *
 * Without arguments it runs LLVMFuzzerTestOneInput() over every file of
 * WCH_FUZZ_CORPUS (tests/fuzz/corpus/<target>, set by meson); arguments
 * name files or folders to run instead (to reproduce one input). The whole
 * replay counts as one test (inputs are not assertions of their own, so
 * they do not inflate the suite's count): it passes when the target
 * returned on every input and at least one input was found. A crash or
 * sanitizer report ends the process, as it would end the fuzzer; a signal
 * handler and an atexit handler then name the input that was running. Prints "N passed, N failed"
 * like tests/unit/wt.c, with the number of inputs after it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef WCH_FUZZ_CORPUS
#error "WCH_FUZZ_CORPUS must name the corpus folder"
#endif

static int passed, failed;
static char current[4096]; /* the input being run, named if it never returns */

static void name_current(void)
{
	if (current[0]) {
		/* write(2) only: this may run inside a signal handler. */
		static const char pre[] = "\nfuzz replay: died on input ";
		size_t n = strlen(current);
		if (write(2, pre, sizeof(pre) - 1) < 0 || write(2, current, n) < 0 ||
		    write(2, "\n", 1) < 0)
			return;
	}
}

static const int fatal_sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
static struct sigaction old_act[sizeof(fatal_sigs) / sizeof(fatal_sigs[0])];

/* Names the input, puts back the handler that was there before (the
 * sanitizer's, or the default) and returns: a fault re-executes and reaches
 * that handler with its real context; abort() raises again by itself. */
static void on_signal(int sig)
{
	size_t i;

	name_current();
	current[0] = 0;
	for (i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		if (fatal_sigs[i] == sig)
			sigaction(sig, &old_act[i], NULL);
}

static int read_whole(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			uint8_t *q;
			cap = cap ? cap * 2 : 4096;
			q = realloc(p, cap);
			if (!q) {
				free(p);
				fclose(f);
				return -ENOMEM;
			}
			p = q;
		}
		size_t k = fread(p + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		free(p);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*out = p;
	*len = n;
	return 0;
}

static void run_file(const char *path)
{
	uint8_t *data = NULL, *copy;
	size_t n = 0;
	int r = read_whole(path, &data, &n);

	if (r) {
		printf("FAIL %s: cannot read: %s\n", path, strerror(-r));
		failed++;
		return;
	}
	/* An exact-size copy, so ASan sees reads past the input's end. */
	copy = malloc(n ? n : 1);
	if (!copy) {
		free(data);
		printf("FAIL %s: out of memory\n", path);
		failed++;
		return;
	}
	if (n)
		memcpy(copy, data, n);
	free(data);
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(copy, n);
	current[0] = 0;
	free(copy);
	passed++;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (!d) {
		printf("FAIL %s: cannot open: %s\n", dir, strerror(errno));
		failed++;
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **q;
			cap = cap ? cap * 2 : 64;
			q = realloc(names, cap * sizeof(*names));
			if (!q) {
				printf("FAIL %s: out of memory\n", dir);
				failed++;
				break;
			}
			names = q;
		}
		if (!(names[n] = strdup(de->d_name))) {
			printf("FAIL %s: out of memory\n", dir);
			failed++;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(len);
		if (path) {
			snprintf(path, len, "%s/%s", dir, names[i]);
			run_file(path);
		} else {
			printf("FAIL %s: out of memory\n", names[i]);
			failed++;
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

static void run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		run_dir(path);
	else
		run_file(path);
}

int main(int argc, char **argv)
{
	struct sigaction act;
	size_t s;
	int i;

	atexit(name_current);
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigemptyset(&act.sa_mask);
	for (s = 0; s < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); s++)
		sigaction(fatal_sigs[s], &act, &old_act[s]);
	if (argc > 1)
		for (i = 1; i < argc; i++)
			run_path(argv[i]);
	else
		run_dir(WCH_FUZZ_CORPUS);
	if (passed == 0 && failed == 0) {
		printf("FAIL: no inputs\n");
		failed++;
	}
	printf("%d passed, %d failed (%d inputs replayed)\n", failed ? 0 : 1, failed ? 1 : 0,
	       passed);
	return failed ? 1 : 0;
}
