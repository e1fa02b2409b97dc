/*
 * Replays a fuzz target's corpus as an ordinary test (t_fuzz_<target>).
 *
 * Without arguments it runs LLVMFuzzerTestOneInput() over every file of
 * WCH_FUZZ_CORPUS (tests/fuzz/corpus/<target>, set by meson); arguments
 * name files or folders to run instead (to reproduce one input). Each file
 * is one test: it passes when the target returns. A crash or sanitizer
 * report ends the process (the "running" line on stderr names the file), as
 * it would end the fuzzer. Prints "N passed, N failed" like tests/unit/wt.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef WCH_FUZZ_CORPUS
#error "WCH_FUZZ_CORPUS must name the corpus folder"
#endif

static int passed, failed;

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
	fprintf(stderr, "running %s (%zu bytes)\n", path, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	printf("ok %s\n", path);
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
			if (!q)
				break;
			names = q;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
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
	int i;

	if (argc > 1)
		for (i = 1; i < argc; i++)
			run_path(argv[i]);
	else
		run_dir(WCH_FUZZ_CORPUS);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
