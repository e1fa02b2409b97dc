/*
 * Alpine version strings (apk-format §8): comparison and validation with
 * apk-tools 2.14 semantics, including its quirks (zero-prefixed components
 * after a dot, 18-digit numbers are invalid tokens, fuzzy = symmetric
 * prefix).
 */
#ifndef WCH_APK_VERSION_H
#define WCH_APK_VERSION_H

#include <stdbool.h>
#include <stddef.h>

/* Result bits, also the dependency operator bits (apk's values). */
#define WCH_VER_LESS	 1
#define WCH_VER_EQUAL	 2
#define WCH_VER_GREATER	 4
#define WCH_VER_FUZZY	 8
#define WCH_VER_CHECKSUM (WCH_VER_LESS | WCH_VER_GREATER)

/* Returns WCH_VER_LESS, WCH_VER_EQUAL or WCH_VER_GREATER for a vs b.
 * fuzzy: the `~` comparison (EQUAL as soon as either side runs out). */
int wch_version_compare_n(const char *a, size_t alen, const char *b, size_t blen, bool fuzzy);
int wch_version_compare(const char *a, const char *b);
/* `apk version -c`: valid iff tokenizing reaches END without INVALID. */
bool wch_version_valid_n(const char *v, size_t n);
bool wch_version_valid(const char *v);
/* (extension) A version that apk 2.14 and apk 3 both accept, for packages
 * we write: <digits>{.<digits>}[<letter>]{_<suffix>[<digits>]}[-r<digits>]
 * with the suffixes of apk-format §8.1. Stricter than apk 2.14's validator
 * (which takes "", "a", ".1", "0.1-r", "0.1-r2-r3", §8.3) and without apk
 * 3's "~<hash>", which apk 2.14 refuses. */
bool wch_version_valid_portable(const char *v);
/* "<", "=", ">" for a single result bit; "?" otherwise. */
const char *wch_version_result_string(int r);

#endif
