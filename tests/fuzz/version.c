/*
 * Fuzz target: version compare and validate (src/apk/version.h). The
 * input is split at its first NUL (or in the middle) into two versions;
 * checks that compare is antisymmetric, reflexive and agrees with the
 * NUL-terminated entry points.
 */
#include <string.h>

#include "apk/version.h"
#include "fuzz.h"

static int flip(int r)
{
	return r == WCH_VER_LESS ? WCH_VER_GREATER : r == WCH_VER_GREATER ? WCH_VER_LESS : r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nul = memchr(p, 0, size);
	size_t an = nul ? (size_t)(nul - p) : size / 2;
	const char *b = p + an + (nul ? 1 : 0);
	size_t bn = size - an - (nul ? 1 : 0);
	int r, s;

	wch_version_valid_n(p, an);
	wch_version_valid_n(b, bn);
	r = wch_version_compare_n(p, an, b, bn, false);
	s = wch_version_compare_n(b, bn, p, an, false);
	FUZZ_CHECK(r == WCH_VER_LESS || r == WCH_VER_EQUAL || r == WCH_VER_GREATER);
	FUZZ_CHECK(s == flip(r));
	FUZZ_CHECK(wch_version_compare_n(p, an, p, an, false) == WCH_VER_EQUAL);
	r = wch_version_compare_n(p, an, b, bn, true);
	s = wch_version_compare_n(b, bn, p, an, true);
	FUZZ_CHECK(s == flip(r));

	/* The C-string forms, when neither side holds a NUL. */
	char *x = strndup(p, an), *y = strndup(b, bn);
	if (x && y && strlen(x) == an && strlen(y) == bn) {
		FUZZ_CHECK(wch_version_compare(x, y) == wch_version_compare_n(p, an, b, bn, false));
		FUZZ_CHECK(wch_version_valid(x) == wch_version_valid_n(p, an));
	}
	wch_version_result_string(r);
	free(x);
	free(y);
	return 0;
}
