#include "apk/version.h"
#include "wt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int op_bit(const char *op)
{
	if (strcmp(op, "<") == 0)
		return WCH_VER_LESS;
	if (strcmp(op, "=") == 0)
		return WCH_VER_EQUAL;
	if (strcmp(op, ">") == 0)
		return WCH_VER_GREATER;
	return -1;
}

static int reversed(int r)
{
	return r == WCH_VER_LESS ? WCH_VER_GREATER : r == WCH_VER_GREATER ? WCH_VER_LESS : r;
}

/* All vectors of apk-tools 2.14.10's test/version.data, both directions. */
static void t_version_data(void)
{
	FILE *f = fopen(wt_fixture("apk-tools/version.data"), "r");
	char line[512], a[200], op[8], b[200];
	int n = 0, bad = 0;

	WT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		int want;
		if (hash)
			*hash = 0;
		if (sscanf(line, "%199s %7s %199s", a, op, b) != 3)
			continue;
		want = op_bit(op);
		if (want < 0 || wch_version_compare(a, b) != want ||
		    wch_version_compare(b, a) != reversed(want)) {
			wt_fail(__FILE__, __LINE__, "%s %s %s: got %s, reverse %s", a, op, b,
				wch_version_result_string(wch_version_compare(a, b)),
				wch_version_result_string(wch_version_compare(b, a)));
			bad++;
		}
		n++;
	}
	fclose(f);
	WT_EQ(bad, 0);
	WT_EQ(n, 733);
}

struct vec {
	const char *a, *op, *b;
};

/* The consequences listed in apk-format §8.2 (verified there against apk). */
static void t_version_consequences(void)
{
	static const struct vec v[] = {
	    {"1.0", "<", "1.0-r0"},
	    {"1.2-r1", "<", "1.2_p1"},
	    {"1.2_p1", "<", "1.2a"},
	    {"1.2a", "<", "1.2.1"},
	    {"1.2_rc1", "<", "1.2"},
	    {"1.2_rc", "<", "1.2_rc0"},
	    {"1_rc-r1", "<", "1_rc1"},
	    {"1.0_foo", "<", "1.0"},
	    {"1.0", "<", "1.0bc"},
	    {"01", "=", "1"},
	    {"1.2-r1", "=", "1.2-r01"},
	    {"1.0-r1-r2", ">", "1.0-r1"},
	    {"1.05", "<", "1.5"},
	    {"1.005", "<", "1.05"},
	    {"1.00", "<", "1.0"},
	    {"1.010", ">", "1.01"},
	    {"8.2.001", "<", "8.2.0"},
	    {"123456789012345678", "<", "1"},
	    {"12345678901234567", ">", "1"},
	    {"1.2_alpha", "<", "1.2_beta"},
	    {"1.2_beta", "<", "1.2_pre"},
	    {"1.2_pre", "<", "1.2_rc"},
	    {"1.2_cvs", "<", "1.2_svn"},
	    {"1.2_svn", "<", "1.2_git"},
	    {"1.2_git", "<", "1.2_hg"},
	    {"1.2_hg", "<", "1.2_p"},
	    {"1.2", "<", "1.2_cvs"},
	    {"", "=", ""},
	    {"", "<", "1"},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int want = op_bit(v[i].op);
		if (wch_version_compare(v[i].a, v[i].b) != want ||
		    wch_version_compare(v[i].b, v[i].a) != reversed(want)) {
			wt_fail(__FILE__, __LINE__, "%s %s %s", v[i].a, v[i].op, v[i].b);
			return;
		}
	}
	WT_STREQ(wch_version_result_string(WCH_VER_LESS), "<");
	WT_STREQ(wch_version_result_string(WCH_VER_EQUAL), "=");
	WT_STREQ(wch_version_result_string(WCH_VER_GREATER), ">");
	WT_STREQ(wch_version_result_string(WCH_VER_LESS | WCH_VER_EQUAL), "?");
}

/* Fuzzy (`~`) is a symmetric prefix test in 2.14 (apk-format §7.2). */
static void t_version_fuzzy(void)
{
	WT_EQ(wch_version_compare_n("3.8", 3, "3.8.1", 5, true), WCH_VER_EQUAL);
	WT_EQ(wch_version_compare_n("3.8.1", 5, "3.8", 3, true), WCH_VER_EQUAL);
	WT_EQ(wch_version_compare_n("3.8_rc1", 7, "3.8", 3, true), WCH_VER_EQUAL);
	WT_EQ(wch_version_compare_n("3.8-r5", 6, "3.8", 3, true), WCH_VER_EQUAL);
	WT_EQ(wch_version_compare_n("3.8a", 4, "3.8", 3, true), WCH_VER_EQUAL);
	WT_EQ(wch_version_compare_n("30", 2, "3", 1, true), WCH_VER_GREATER);
	WT_EQ(wch_version_compare_n("3.9", 3, "3.8", 3, true), WCH_VER_GREATER);
	WT_EQ(wch_version_compare_n("3.7.9", 5, "3.8", 3, true), WCH_VER_LESS);
	/* Not fuzzy: the same pairs differ. */
	WT_EQ(wch_version_compare_n("3.8", 3, "3.8.1", 5, false), WCH_VER_LESS);
	/* Lengths are honoured: only "1.2" of "1.2.3" is compared. */
	WT_EQ(wch_version_compare_n("1.2.3", 3, "1.2", 3, false), WCH_VER_EQUAL);
}

/* apk-format §8.3: the lax 2.14 validator. */
static void t_version_valid(void)
{
	static const char *const good[] = {"",
					   "a1",
					   "v1.0",
					   ".1",
					   "1..2",
					   "1.2a3",
					   "0.1_",
					   "0.1-r",
					   "0.1-r2-r3",
					   "_pre1",
					   "1.2.3",
					   "1.0_rc1-r0",
					   "2.14.0-r5",
					   "1.2.4_git20230717-r4",
					   "12345678901234567"};
	static const char *const bad[] = {"1.2a.3",
					  "1.0bc",
					  "1.0-1",
					  "1.0_foo",
					  "1.0A",
					  "0.1-r2_pre1",
					  "0.1__alpha",
					  "1 2",
					  "123456789012345678",
					  "1.0-r123456789012345678",
					  "-r1x"};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!wch_version_valid(good[i])) {
			wt_fail(__FILE__, __LINE__, "'%s' should be valid", good[i]);
			return;
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (wch_version_valid(bad[i])) {
			wt_fail(__FILE__, __LINE__, "'%s' should be invalid", bad[i]);
			return;
		}
	WT_TRUE(wch_version_valid_n("1.0bc", 3));
	WT_TRUE(!wch_version_valid_n("1.0bc", 5));
	/* A NUL byte ends the version like the end of the string (apk). */
	WT_TRUE(wch_version_valid_n("1.0\0zz", 6));
}

/* Arbitrary bytes never crash and compare antisymmetrically. */
static void t_version_garbage(void)
{
	unsigned seed = 12345;
	char a[24], b[24];
	int i, j;
	static const char alphabet[] = "0123456789._-rapbc~@\x80\xff";

	for (i = 0; i < 20000; i++) {
		size_t la = 0, lb = 0;
		for (j = 0; j < 12; j++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 13 == 0)
				break;
			a[la++] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
		}
		for (j = 0; j < 12; j++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 13 == 0)
				break;
			b[lb++] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
		}
		int r = wch_version_compare_n(a, la, b, lb, false);
		int s = wch_version_compare_n(b, lb, a, la, false);
		WT_TRUE(r == WCH_VER_LESS || r == WCH_VER_EQUAL || r == WCH_VER_GREATER);
		WT_EQ(s, reversed(r));
		WT_EQ(wch_version_compare_n(a, la, a, la, false), WCH_VER_EQUAL);
		(void)wch_version_valid_n(a, la);
	}
}

/* The portable rule for versions we write: apk 3's validity vectors (its
 * bare "V" and "!V" lines, minus the "~hash" ones apk 2.14 refuses), and
 * every version it accepts is one apk 2.14 accepts too. */
static void t_version_valid_portable(void)
{
	static const char *const more_bad[] = {"",     "a",	"v1.0",	     "1..2",
					       "1.",   "1.2a3", "1.0-r1-r0", "1.0~abc",
					       "1 .0", "1.0-r", "01.0_"};
	static const char *const more_good[] = {
	    "0", "01", "1.2.3-r0", "1.2.4_git20230717-r4", "1.0a_p2", "20240101", "1.0_rc-r12"};
	FILE *f = fopen(wt_fixture("apk-tools/version-v3-additions.data"), "r");
	char line[256];
	int good = 0, bad = 0;
	size_t i;

	WT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || strchr(line, ' ') || strchr(line, '~'))
			continue; /* comparisons, blank lines, commit hashes */
		if (line[0] == '!') {
			if (wch_version_valid_portable(line + 1))
				wt_fail(__FILE__, __LINE__, "'%s' accepted", line + 1);
			bad++;
		} else {
			if (!wch_version_valid_portable(line) || !wch_version_valid(line))
				wt_fail(__FILE__, __LINE__, "'%s' refused", line);
			good++;
		}
	}
	fclose(f);
	WT_TRUE(good >= 5 && bad >= 20);
	for (i = 0; i < sizeof(more_bad) / sizeof(more_bad[0]); i++)
		if (wch_version_valid_portable(more_bad[i]))
			wt_fail(__FILE__, __LINE__, "'%s' accepted", more_bad[i]);
	for (i = 0; i < sizeof(more_good) / sizeof(more_good[0]); i++)
		if (!wch_version_valid_portable(more_good[i]) || !wch_version_valid(more_good[i]))
			wt_fail(__FILE__, __LINE__, "'%s' refused", more_good[i]);
}

WT_MAIN(WT(t_version_data), WT(t_version_consequences), WT(t_version_fuzzy), WT(t_version_valid),
	WT(t_version_valid_portable), WT(t_version_garbage))
