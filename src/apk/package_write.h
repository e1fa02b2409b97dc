/*
 * Writing APK v2 packages from a folder (apk-format §2.1, §2.2, §2.7, §2.8,
 * §3, §4, §11.2): what `witchery buildapk` and abuild's packaging step do.
 *
 * wch_package_write() walks the source tree without following symlinks,
 * streams the data tar (entries byte-sorted, owned by uid/gid 0 "root",
 * PAX x header with APK-TOOLS.checksum.SHA1 before each entry) through the
 * parallel gzip writer into an anonymous temporary file in the output
 * folder while hashing the compressed bytes for `datahash`, builds the
 * control member in memory, signs it, and finally writes
 * signature ‖ control ‖ data atomically as outname. Memory use does not
 * depend on the size of the payload, only on the number of entries.
 *
 * Reproducibility: with has_epoch, mtimes are clamped to epoch and
 * builddate = epoch; the gzip members carry no name or time. The output
 * then depends only on the tree (names, contents, modes, link structure,
 * kept xattrs), the spec and the key - not on who runs it.
 *
 * Nothing is printed: warnings (glibc payload, missing strip tool, skipped
 * top-level dot files) go to spec->warn when set.
 */
#ifndef WCH_APK_PACKAGE_WRITE_H
#define WCH_APK_PACKAGE_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "apk/pkg.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "util/err.h"

/* Install scripts accepted in the control member (apk-format §4.1). */
extern const char *const wch_package_script_names[];

struct wch_package_spec {
	/* Metadata. name, version (full, "1.0-r0") and arch are required;
	 * description, url, license, maintainer, packager, origin, commit,
	 * depends, provides, replaces, install_if, triggers and the
	 * priorities are used as given. size, builddate and datahash are
	 * computed (the fields of *pkg are not modified). */
	const struct wch_pkg *pkg;
	/* Folder with .pre-install, .post-install, ... (also accepted without
	 * the leading dot); NULL for none. */
	const char *scripts_dir;
	/* Signing key; NULL writes an unsigned package (control ‖ data). */
	const struct wch_privkey *key;
	enum wch_hash_alg sig_alg; /* WCH_HASH_SHA1 (.SIGN.RSA.) or SHA256 (.SIGN.RSA256.) */
	bool has_epoch;		   /* SOURCE_DATE_EPOCH given */
	int64_t epoch;
	bool auto_deps;	    /* trace so:/cmd:/py/pc dependencies and provides */
	bool strip;	    /* strip ELF files (on temporary copies) */
	bool allow_special; /* include devices and fifos instead of failing */
	int level;	    /* gzip level, 0 = 9 (abuild's -9) */
	int threads;	    /* gzip threads, 0 = online CPUs */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct wch_package_result {
	uint64_t file_size;	 /* bytes of the .apk */
	uint64_t installed_size; /* .PKGINFO size */
	uint64_t entries;	 /* data tar entries */
	int64_t builddate;
	unsigned char datahash[32];
	struct wch_checksum identity; /* Q1 SHA-1 of the control member (C:) */
};

/* Builds the package from the folder srcdir into outname (relative to
 * outdirfd; written atomically with mode 0644, nothing is left behind on
 * failure). res may be NULL. Errors name the offending path. */
int wch_package_write(const char *srcdir, int outdirfd, const char *outname,
		      const struct wch_package_spec *spec, struct wch_package_result *res,
		      struct wch_err *err);

/* Checks name and version the way apk will (apk-format §3, §8.3);
 * -WCH_E_USAGE with a message otherwise. */
int wch_package_check_nv(const char *name, const char *version, struct wch_err *err);

/* The apk architecture name of the machine we run on ("x86_64",
 * "aarch64", "armv7", "x86", ...). */
const char *wch_package_host_arch(void);

#endif
