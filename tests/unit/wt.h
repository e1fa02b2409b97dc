/*
 * wt: the unit-test harness.
 *
 * A test file defines static void test functions and ends with
 *     WT_MAIN(WT(t_one), WT(t_two))
 * Checks print "FAIL file:line: expr -> detail" and return from the test
 * function; later checks in that test are skipped. The runner prints ok/FAIL
 * per test and always ends with "N passed, N failed"; it exits non-zero iff
 * a test failed. Arguments filter tests by substring; --list lists them.
 * Environment: WT_FIXTURES points at ../shared/fixtures (set by meson and
 * tests/run.sh); wt_fixture("alpine/keys") builds a path under it.
 */
#ifndef WCH_TESTS_WT_H
#define WCH_TESTS_WT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct wt_test {
	const char *name;
	void (*fn)(void);
};

extern int wt_failed_now;
void wt_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wt_main(int argc, char **argv, const struct wt_test *tests, size_t n);
/* Path under the fixtures folder (static buffer, valid until the next call). */
const char *wt_fixture(const char *rel);
/* A fresh temporary directory for this test (removed at exit if all pass). */
const char *wt_tmpdir(void);
/* Skip the current test with a reason. */
void wt_skip(const char *why);
extern int wt_skipped_now;

#define WT(fn)                                                                                     \
	{                                                                                          \
#fn, fn                                                                            \
	}
#define WT_MAIN(...)                                                                               \
	static const struct wt_test wt_tests_[] = {__VA_ARGS__};                                   \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return wt_main(argc, argv, wt_tests_, sizeof(wt_tests_) / sizeof(wt_tests_[0]));   \
	}

#define WT_TRUE(c)                                                                                 \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			wt_fail(__FILE__, __LINE__, "WT_TRUE(%s)", #c);                            \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define WT_EQ(a, b)                                                                                \
	do {                                                                                       \
		long long wt_a_ = (long long)(a), wt_b_ = (long long)(b);                          \
		if (wt_a_ != wt_b_) {                                                              \
			wt_fail(__FILE__, __LINE__, "WT_EQ(%s, %s) -> %lld != %lld", #a, #b,       \
				wt_a_, wt_b_);                                                     \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* r must be 0; prints the code's text otherwise. */
#define WT_OK(r)                                                                                   \
	do {                                                                                       \
		long long wt_r_ = (long long)(r);                                                  \
		if (wt_r_ != 0) {                                                                  \
			wt_fail(__FILE__, __LINE__, "WT_OK(%s) -> %lld", #r, wt_r_);               \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define WT_STREQ(a, b)                                                                             \
	do {                                                                                       \
		const char *wt_a_ = (a), *wt_b_ = (b);                                             \
		if (!wt_a_ || !wt_b_ || strcmp(wt_a_, wt_b_) != 0) {                               \
			wt_fail(__FILE__, __LINE__, "WT_STREQ(%s, %s) -> \"%s\" != \"%s\"", #a,    \
				#b, wt_a_ ? wt_a_ : "(null)", wt_b_ ? wt_b_ : "(null)");           \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#define WT_MEMEQ(a, b, n)                                                                          \
	do {                                                                                       \
		if (memcmp((a), (b), (n)) != 0) {                                                  \
			wt_fail(__FILE__, __LINE__, "WT_MEMEQ(%s, %s, %s)", #a, #b, #n);           \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#endif
