/*
 * Repository options shared by `resolve` and `compose`.
 *
 * A command puts WCH_REPO_OPT_ROWS into its option table (before the
 * all-zero terminator), and in its wch_opt_next() loop first offers every
 * id to wch_repo_opts_handle(). After parsing, wch_repo_opts_open() turns
 * the options into a ready (not yet loaded) struct wch_repos.
 *
 *   -X, --repository URL       add a repository (repeatable, in order)
 *   --repositories-file FILE   /etc/apk/repositories syntax (@tag URL lines)
 *   -k, --keys-dir DIR         trusted public keys, repeatable (default /etc/apk/keys
 *                              if it exists, else none)
 *   -i, --allow-untrusted      accept unsigned / untrusted indexes
 *   --arch ARCH                default: the host's
 *   --cache-dir DIR            default $XDG_CACHE_HOME/witchery
 *   --offline                  only the cache, never the network
 *   -q, --quiet                no progress output
 *
 * Option ids: the short letters 'X', 'k', 'i', 'q' and
 * WCH_REPO_OPT_ID_BASE (0x300) .. +15 for long-only options; a command must
 * not use these ids for other options. Repositories from the file come
 * first, then -X ones, as apk orders them.
 */
#ifndef WCH_CMD_REPO_OPTS_H
#define WCH_CMD_REPO_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cmd.h"
#include "crypto/key.h"
#include "repo/repo.h"

#define WCH_REPO_OPT_ID_BASE	0x300
#define WCH_REPO_OPT_REPOS_FILE (WCH_REPO_OPT_ID_BASE + 0)
#define WCH_REPO_OPT_ARCH	(WCH_REPO_OPT_ID_BASE + 1)
#define WCH_REPO_OPT_CACHE_DIR	(WCH_REPO_OPT_ID_BASE + 2)
#define WCH_REPO_OPT_OFFLINE	(WCH_REPO_OPT_ID_BASE + 3)

#define WCH_REPO_OPT_ROWS                                                                          \
	{"repository", 'X', "URL", 'X', "add a repository (folder, file://, http(s)://)"},         \
	    {"repositories-file", 0, "FILE", WCH_REPO_OPT_REPOS_FILE,                              \
	     "read repositories from FILE (/etc/apk/repositories syntax)"},                        \
	    {"keys-dir", 'k', "DIR", 'k',                                                          \
	     "trusted public keys (repeatable; default /etc/apk/keys)"},                           \
	    {"allow-untrusted", 'i', NULL, 'i', "accept indexes without a trusted signature"},     \
	    {"arch", 0, "ARCH", WCH_REPO_OPT_ARCH, "package architecture (default: host)"},        \
	    {"cache-dir", 0, "DIR", WCH_REPO_OPT_CACHE_DIR,                                        \
	     "download cache (default $XDG_CACHE_HOME/witchery)"},                                 \
	    {"offline", 0, NULL, WCH_REPO_OPT_OFFLINE, "use only the cache, never the network"},   \
	{                                                                                          \
		"quiet", 'q', NULL, 'q', "no progress output"                                      \
	}

struct wch_repo_opts {
	const char **repos; /* -X values in order (borrowed argv strings) */
	size_t nrepos;
	const char *repos_file;
	const char **keys_dirs; /* -k values (repeatable) */
	size_t nkeys_dirs;
	const char *arch;
	const char *cache_dir;
	bool allow_untrusted, offline, quiet;
};

void wch_repo_opts_init(struct wch_repo_opts *o);
void wch_repo_opts_release(struct wch_repo_opts *o);

/* Returns 1 if id is a repository option (consumed, optarg stored),
 * 0 if it is not one, or -ENOMEM. */
int wch_repo_opts_handle(struct wch_repo_opts *o, int id, const char *optarg);

/* Loads the keys into kr (which must outlive rs) and sets up rs (already
 * wch_repos_init'ed by the caller): arch, cache, flags, repositories,
 * progress (stderr is a terminal and not -q). No repository at all is
 * -WCH_E_USAGE "no repositories (use -X URL or --repositories-file FILE)"
 * unless allow_none. Does not load the indexes. */
int wch_repo_opts_open(const struct wch_repo_opts *o, struct wch_repos *rs, struct wch_keyring *kr,
		       bool allow_none, struct wch_err *err);

#endif
