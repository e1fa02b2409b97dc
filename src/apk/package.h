/*
 * Reading and verifying APK v2 package files (apk-format §2.1-§2.7, §12).
 *
 * wch_package_read() makes ONE pass over the file as a stream:
 *     source -> multi-member gunzip -> tar reader -> entries
 * The gunzip's compressed member bytes feed the running digests and its
 * member boundaries drive the state machine of §2.6: signature member(s),
 * control member (.PKGINFO + scripts), data member(s). Nothing is buffered
 * beyond .PKGINFO, the scripts and one signature, so a caller can extract
 * straight to disk (compose) or re-emit entries (a future OCI layer writer)
 * from the callbacks.
 *
 * Order of events for a modern (datahash) package:
 *   1. control part read; .PKGINFO parsed; scripts collected;
 *   2. at the control->data gzip boundary the control part is verified
 *      (signature, identity) -- a failure ends reading here;
 *   3. opts->control() is called (before any data entry);
 *   4. for each data entry: opts->entry() with a reader over its content;
 *      whatever the callback leaves unread is drained; the content's SHA-1
 *      (or the symlink target's) is compared with the entry's
 *      APK-TOOLS.checksum.SHA1 record (§2.7); then opts->entry_end();
 *   5. at the end of the file SHA-256 of the data member(s) is compared
 *      with datahash.
 * Only a 0 return from wch_package_read() means the package is good: a
 * consumer that wrote files from the callbacks must treat them as
 * provisional until then (apk extracts to temporary names for the same
 * reason, §2.9). For legacy packages without datahash (§2.3) the
 * signature/identity covers control and data together and can only be
 * checked at the end, so step 3 then happens BEFORE verification.
 *
 * Safety checks every consumer gets for free: data entry names that are
 * absolute, start with "./" or "../", contain "." or ".." components, empty
 * components or control characters are -WCH_E_UNSAFE_PATH; so are hard link
 * targets of that kind. Regular files and symlinks without a checksum
 * record are -WCH_E_INTEGRITY (§2.7: apk marks such packages broken).
 * Top-level data names starting with '.' are verified but not passed to
 * entry() (apk ignores them, §2.8). Caps: .PKGINFO and each script 1 MiB,
 * signature 8 KiB, 256 control entries, 4 Mi data entries, 64 GiB inflated
 * (-WCH_E_TOO_BIG).
 *
 * Errors name what failed, e.g. "bad signature (key K)", "untrusted
 * signature: no key 'K' in keys dir" (-WCH_E_SIG_UNTRUSTED, distinct from
 * -WCH_E_SIG_INVALID), "datahash mismatch", "file 'usr/bin/x': SHA-1
 * mismatch", "truncated: ...", "BAD archive: end-of-archive blocks in
 * control part", "control part has no .PKGINFO".
 */
#ifndef WCH_APK_PACKAGE_H
#define WCH_APK_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apk/pkg.h"
#include "archive/tar.h"
#include "crypto/hash.h"
#include "crypto/key.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/io.h"

#define WCH_PKG_PKGINFO_MAX	    (1u << 20)
#define WCH_PKG_SCRIPT_MAX	    (1u << 20)
#define WCH_PKG_SIG_MAX		    8192u
#define WCH_PKG_CONTROL_ENTRIES_MAX 256u
#define WCH_PKG_DATA_ENTRIES_MAX    (4u << 20)
#define WCH_PKG_INFLATE_MAX	    (64ull << 30)

enum wch_pkg_verify {
	/* apk verify: a .SIGN entry whose key is in keys must verify the
	 * control part; no usable key is -WCH_E_SIG_UNTRUSTED. */
	WCH_PKG_VERIFY_SIGNATURE,
	/* Installing from a signed index (§2.4 VERIFY_IDENTITY): .SIGN
	 * entries are skipped entirely; the control part's digest must equal
	 * *identity (SHA-1 "Q1", or MD5 for ancient indexes). */
	WCH_PKG_VERIFY_IDENTITY,
	/* --allow-untrusted: all hashes are checked and a signature whose key
	 * is known is still verified (a bad one is an error), but a missing or
	 * unknown key is not an error; res->trusted tells. */
	WCH_PKG_VERIFY_NONE,
};

struct wch_pkg_read_result;

struct wch_pkg_read_opts {
	enum wch_pkg_verify mode;
	const struct wch_keyring *keys;	     /* SIGNATURE/NONE; may be NULL */
	const struct wch_checksum *identity; /* IDENTITY mode: required */
	struct wch_arena *arena;	     /* required: res strings, pkg */
	/* Stop after the control part is verified (like `apk index`, which
	 * never reads the data, §2.4); datahash and files are not checked and
	 * res->file_size is only what was read. Ignored for legacy packages,
	 * whose verification needs the data. */
	bool control_only;
	/* All callbacks are optional; a negative return aborts reading with
	 * that code (the callback fills err). */
	int (*control)(void *ctx, const struct wch_pkg_read_result *res, struct wch_err *err);
	/* data reads the entry's content (e->size bytes); every byte read
	 * through it is hashed. Valid only during the call. */
	int (*entry)(void *ctx, const struct wch_tar_entry *e, const struct wch_reader *data,
		     struct wch_err *err);
	/* After the entry's checksum record was checked. */
	int (*entry_end)(void *ctx, const struct wch_tar_entry *e, struct wch_err *err);
	void *ctx;
};

/* An install script from the control part (§4.1). */
struct wch_pkg_script {
	const char *name; /* as stored, e.g. ".post-install" */
	const char *data; /* NUL-terminated copy (may contain NULs) */
	size_t len;
	unsigned mode; /* permission bits from the tar header */
};

/* Everything lives in opts->arena. Filled progressively: fields of the
 * control part are valid from the control() callback on. */
struct wch_pkg_read_result {
	struct wch_pkg *pkg; /* parsed .PKGINFO; identity and file_size set */
	/* The signature that decided (the first with a known key), or else the
	 * first one seen; "" / NULL for an unsigned package. */
	char sig_type[8];	      /* "RSA", "RSA256", "RSA512", "DSA", "" */
	const char *sig_key;	      /* key file name from .SIGN.<type>.<key> */
	unsigned nsignatures;	      /* .SIGN entries seen */
	bool signature_ok;	      /* a signature verified with a known key */
	bool trusted;		      /* signature_ok, or identity matched */
	bool legacy;		      /* no datahash: hashes cover control+data */
	bool control_verified;	      /* the control part passed the mode's check */
	bool datahash_ok;	      /* SHA-256(data) == datahash (or legacy ok) */
	bool complete;		      /* the whole file was read and verified */
	struct wch_checksum identity; /* C: SHA-1 of the control member (§2.2) */
	unsigned char data_sha256[32];
	unsigned data_members; /* gzip members in the data part (1 normally) */
	size_t nfiles;	       /* data entries passed to entry() */
	size_t nignored;       /* top-level '.' data entries not passed on */
	uint64_t data_bytes;   /* sum of regular file sizes */
	struct wch_pkg_script *scripts;
	size_t nscripts;
	uint64_t file_size; /* compressed bytes read */
};

/* Reads and verifies one package from src (borrowed). res is zeroed first.
 * Returns 0 only if the package passed every check of the mode. */
int wch_package_read(struct wch_reader src, const struct wch_pkg_read_opts *o,
		     struct wch_pkg_read_result *res, struct wch_err *err);

/* The same for the file open at fd (borrowed, read from its offset). A
 * regular file of at most WCH_PKG_MEM_MAX bytes is read whole and each gzip
 * member inflated in one go (archive/gunzip.h memory mode, about twice as
 * fast); pipes, larger files and control_only reads (which stop early) are
 * streamed. Results and errors are the same either way. */
int wch_package_read_fd(int fd, const struct wch_pkg_read_opts *o, struct wch_pkg_read_result *res,
			struct wch_err *err);
/* The same over a package held in memory (data[0..n), borrowed). */
int wch_package_read_mem(const void *data, size_t n, const struct wch_pkg_read_opts *o,
			 struct wch_pkg_read_result *res, struct wch_err *err);
#define WCH_PKG_MEM_MAX (64u << 20)

/* Is name a safe relative data path (the rules above)? */
bool wch_package_path_safe(const char *name);

#endif
