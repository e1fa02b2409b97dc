/*
 * Repositories and their signed indexes (apk-format §5, §6.5).
 *
 * A struct wch_repos is the ordered list of repositories a command uses
 * plus every package their indexes list. A repository is a base URL R: a
 * local folder, a file:// URL or an http(s):// URL, laid out as
 * R/<arch>/APKINDEX.tar.gz and R/<arch>/<name>-<version>.apk (§5.3).
 *
 * Lifecycle:
 *   wch_repos_init()            defaults (host arch, no keys, default cache)
 *   set keys / arch / flags     plain fields below, before loading
 *   wch_repos_add() / _add_file()
 *   wch_repos_load()            fetch (http, through the cache) + verify +
 *                               parse every index; fills pkgs[]
 *   wch_repos_fetch_pkg()       local path of a package's .apk (cached or
 *                               in a local repository) whose identity (C:)
 *                               was checked
 *   wch_repos_release()
 *
 * Packages live in rs->arena; pkg->repo is the index into rs->v. The same
 * package (same C:) listed by two repositories is kept once, from the first
 * repository that lists it (apk merges them, §5.2).
 *
 * Index trust: an index must carry at least one .SIGN.RSA / .SIGN.RSA256 /
 * .SIGN.RSA512 signature whose key is in rs->keys and which verifies over
 * all bytes after the signature member(s); any one trusted signature
 * suffices. Otherwise loading fails with -WCH_E_SIG_UNTRUSTED /
 * -WCH_E_SIG_INVALID and a message naming the repository and the reason,
 * unless allow_untrusted is set (then the repository loads with
 * trusted = false and rs->warn() is told).
 */
#ifndef WCH_REPO_REPO_H
#define WCH_REPO_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apk/pkg.h"
#include "crypto/key.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

/* apk's limit (§6.5) is 32 including its cache repository. */
#define WCH_REPOS_MAX 32
/* Cap on a decompressed APKINDEX (style.md §4). */
#define WCH_INDEX_MAX (256u << 20)

enum wch_repo_kind {
	WCH_REPO_LOCAL, /* folder path or file:// URL */
	WCH_REPO_HTTP,	/* http:// or https:// */
};

struct wch_repo {
	char *url;     /* as given (may hold credentials: never print it) */
	char *display; /* url with user:password removed: for messages */
	char *tag;     /* without '@'; NULL when untagged */
	enum wch_repo_kind kind;
	char *local; /* LOCAL: the folder path (file:// prefix removed) */
	/* Filled by wch_repos_load(): */
	char *description; /* DESCRIPTION member, NULL if none */
	size_t npkgs;	   /* stanzas accepted from this repository */
	bool trusted;	   /* a trusted signature verified */
	char *signer;	   /* key name of the verifying signature, or NULL */
};

struct wch_fetch;
struct wch_cache;

struct wch_repos {
	struct wch_repo *v;
	size_t n;

	/* Settings (set before wch_repos_load; strings are owned copies made
	 * by the setters, or borrowed where said). */
	char *arch;			/* wch_repos_set_arch(); default host */
	const struct wch_keyring *keys; /* borrowed; NULL = no trusted keys */
	char *cache_dir;		/* wch_repos_set_cache_dir(); NULL =
					 * $XDG_CACHE_HOME/witchery or
					 * ~/.cache/witchery */
	bool allow_untrusted;
	bool offline;  /* never touch the network: only the cache */
	bool progress; /* progress output on stderr (caller decides: tty, -q) */
	/* Optional sink for warnings (untrusted repository allowed, cache
	 * problems); NULL = dropped. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;

	/* Result of wch_repos_load(): */
	struct wch_arena arena;
	struct wch_pkg **pkgs;
	size_t npkgs;

	/* private */
	size_t pkgs_cap;
	struct wch_fetch *fetch;
	struct wch_cache *cache;
	void *identities; /* identity -> pkg lookup used while merging */
};

/* Host architecture as apk names it (x86_64, aarch64, armv7, armhf, x86,
 * ppc64le, s390x, riscv64, loongarch64). */
const char *wch_repo_host_arch(void);

void wch_repos_init(struct wch_repos *rs);
void wch_repos_release(struct wch_repos *rs);
int wch_repos_set_arch(struct wch_repos *rs, const char *arch);
int wch_repos_set_cache_dir(struct wch_repos *rs, const char *dir);

/* Adds one repository. url: a folder path, file://PATH, http://... or
 * https://...; tag may be NULL. Other schemes (ftp://...) are
 * -WCH_E_UNSUPPORTED; more than WCH_REPOS_MAX is -WCH_E_TOO_BIG. A trailing
 * '/' is dropped. */
int wch_repos_add(struct wch_repos *rs, const char *url, const char *tag, struct wch_err *err);

/* Adds the repositories listed in text in /etc/apk/repositories syntax
 * (§6.5): one per line, blank lines and '#' comments ignored, "@tag URL"
 * tags the line. origin names the file in messages ("FILE:LINE: ..."). */
int wch_repos_add_text(struct wch_repos *rs, const char *text, size_t n, const char *origin,
		       struct wch_err *err);
/* Reads path (capped at 1 MiB) and adds its repositories. */
int wch_repos_add_file(struct wch_repos *rs, const char *path, struct wch_err *err);

/* Loads every repository's index (see the trust rules above). HTTP indexes
 * go through the cache and are revalidated with a conditional request;
 * offline uses the cached copy or fails naming the repository. */
int wch_repos_load(struct wch_repos *rs, struct wch_err *err);

/* Verifies and parses one APKINDEX.tar.gz held in memory as repository
 * number repo_idx (used by wch_repos_load; exposed for tests and tools).
 * Packages are appended to rs->pkgs. */
int wch_repos_load_index_mem(struct wch_repos *rs, size_t repo_idx, const void *data, size_t n,
			     struct wch_err *err);

/* "<R>/<arch>/APKINDEX.tar.gz" into out (real URL, may hold credentials). */
int wch_repo_index_url(const struct wch_repos *rs, size_t repo_idx, struct wch_buf *out);
/* "<R>/<A:>/<name>-<version>.apk" (A: of the package, else rs->arch) into
 * out; for a local package (repo < 0) its filename. */
int wch_repo_pkg_url(const struct wch_repos *rs, const struct wch_pkg *p, struct wch_buf *out);

/* Makes the package's .apk available as a local file and appends its path
 * to path_out. Local repositories: the file in the repository folder.
 * HTTP: the cache file "<name>-<ver>.<8 hex>.apk", downloaded if absent.
 * Either way the file's identity (SHA-1 of its control member, §2.2) is
 * checked against pkg->identity; a cached file that does not match is
 * removed and fetched again (offline: an error naming the package), a
 * local one that does not match is -WCH_E_INTEGRITY. The data part is not
 * checked here (the package reader checks datahash while extracting). */
int wch_repos_fetch_pkg(struct wch_repos *rs, const struct wch_pkg *p, struct wch_buf *path_out,
			struct wch_err *err);

/* Fetches several packages (progress counter "[i/n]" and a total line when
 * rs->progress). Unlike wch_repos_fetch_pkg, a package of a local
 * repository only gets its path: the caller must check its identity while
 * reading it (compose streams it with WCH_PKG_VERIFY_IDENTITY).
 * paths[i] receives a malloc'ed path for pkgs[i]; on error
 * every path already set stays set for the caller to free. */
int wch_repos_fetch_pkgs(struct wch_repos *rs, struct wch_pkg *const *pkgs, size_t n, char **paths,
			 struct wch_err *err);

/* Computes the identity (apk-format §2.2 / §2.3: SHA-1 of the control
 * member, or of control+data for a package without datahash) of the .apk
 * at path. */
int wch_apk_identity_file(const char *path, struct wch_checksum *out, struct wch_err *err);

/*
 * Index writing (apk-format §5.1, §5.2, §11.2): what `apk index` +
 * `abuild-sign` produce. Entries are read from the .apk files themselves
 * (control part only, like apk index, §2.4); the signature member is
 * prepended like abuild-sign does.
 */
struct wch_privkey;

struct wch_index_write_opts {
	const char *description;       /* DESCRIPTION member; NULL = none */
	const struct wch_privkey *key; /* NULL = unsigned index */
	bool sign_sha256;	       /* .SIGN.RSA256 instead of .SIGN.RSA */
	int64_t mtime;		       /* tar mtime of all members */
	const char *rewrite_arch;      /* A: for every entry (apk --rewrite-arch) */
};

/* Reads the control part of the .apk at path into a wch_pkg in a (C:, S:
 * from the file, .PKGINFO fields). Signatures of the package are checked
 * when keys (may be NULL) holds their key; an unknown key is accepted (the
 * index signature vouches for the entry). */
int wch_index_pkg_from_apk(struct wch_arena *a, const char *path, const struct wch_keyring *keys,
			   struct wch_pkg **out, struct wch_err *err);

/* Writes a complete APKINDEX.tar.gz for pkgs (sorted here, §5.2; two
 * entries with the same name and version are -WCH_E_CONFLICT) to out. */
int wch_index_write(struct wch_pkg **pkgs, size_t n, const struct wch_index_write_opts *o,
		    struct wch_buf *out, struct wch_err *err);

#endif
