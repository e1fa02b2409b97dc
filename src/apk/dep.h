/*
 * Dependencies (apk-format §7): parsing, printing and matching.
 *
 * A dependency token is ["!"] name ["@" tag] [op version]; op is any run of
 * < > = ~ characters OR-ed into WCH_VER_* bits; "><" means "exactly this
 * identity" and its version is a Q1 checksum. Lists are separated by spaces
 * or newlines (not tabs, as in apk 2.14).
 */
#ifndef WCH_APK_DEP_H
#define WCH_APK_DEP_H

#include <stdbool.h>
#include <stddef.h>

#include "apk/version.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

struct wch_dep {
	const char *name;    /* never NULL */
	const char *version; /* NULL when op == 0 */
	const char *tag;     /* without '@', NULL if none */
	unsigned op;	     /* WCH_VER_* bits; 0 = any version */
	bool conflict;	     /* leading '!' */
};

struct wch_deps {
	struct wch_dep *v;
	size_t n;
};

/* Parses one token (no separators inside). Strings are allocated in a.
 * -WCH_E_FORMAT with a message naming the token when invalid (empty name,
 * operator without a valid version, version without operator). */
int wch_dep_parse(struct wch_arena *a, struct wch_view tok, struct wch_dep *out,
		  struct wch_err *err);
/* (extension) The same without copies: cuts the parts out of tok in place
 * by writing NULs into tok[0..n] (tok[n] must be writable; it becomes NUL),
 * and out points into tok. Nothing is written when the token is invalid. */
int wch_dep_parse_inplace(char *tok, size_t n, struct wch_dep *out, struct wch_err *err);
/* Parses a whole list into out (array allocated in a). */
int wch_deps_parse(struct wch_arena *a, struct wch_view list, struct wch_deps *out,
		   struct wch_err *err);
/* Dependencies given on the command line, as apk's world: one per
 * argument (white space in it is an error: "busybox 1" is not one
 * dependency), or, for the _list form (compose -d), separated by spaces.
 * A control character is an error in both. */
int wch_dep_parse_world(struct wch_arena *a, const char *arg, struct wch_dep *out,
			struct wch_err *err);
int wch_deps_parse_world_list(struct wch_arena *a, const char *arg, struct wch_deps *out,
			      struct wch_err *err);
/* Appends the canonical text ("!name@tag>=1.0") to b. */
int wch_dep_format(const struct wch_dep *d, struct wch_buf *b);
/* Space-separated list. */
int wch_deps_format(const struct wch_deps *d, struct wch_buf *b);
/* "<", "<=", "~", "=", ">=", ">", "><", "" for 0, "?" otherwise. */
const char *wch_dep_op_string(unsigned op);

/* Does a provider with version pv (NULL = unversioned provides) satisfy the
 * version constraint of d (ignoring d->conflict and the name)? Implements
 * §7.2: no operator matches anything; an operator never matches an
 * unversioned provider; "><" compares pv with d->version as strings
 * (callers pass the identity as pv for that case). */
bool wch_dep_version_match(const struct wch_dep *d, const char *pv);

#endif
