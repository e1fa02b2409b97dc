/*
 * Dependency resolution for a fresh root (apk-format §7, §9).
 *
 * Given the available packages and a world (the requested dependencies),
 * wch_solve() picks exactly one package per required name, like apk 2.14's
 * propagate-and-choose solver without an installed database:
 *  - constraints are propagated before choosing: a package whose
 *    dependency can no longer be met is disqualified, and when every
 *    remaining candidate of a required name depends on X, the candidates of
 *    X that fail all those constraints are disqualified (§9.1);
 *  - the best remaining candidate wins: untagged (or explicitly requested
 *    tag) first, a real package of that name before a provider, among
 *    providers the higher provider_priority, then the higher version, then
 *    the lower repository number;
 *  - unversioned (virtual) provides are chosen only if the provider has a
 *    provider_priority > 0 or its own name is required (§7.3); versioned
 *    provides occupy the name like a real package (§7.3, §9.3);
 *  - `!dep` conflicts disqualify matching providers; install_if packages
 *    are added once all their conditions hold (§7.5); repository tags pin
 *    (§7.6); `name><Q1...` matches only the package with that identity.
 * There is no backtracking: an impossible situation is reported, not
 * searched around.
 *
 * The solver never modifies the packages; it does not use pkg->user.
 */
#ifndef WCH_SOLVER_SOLVER_H
#define WCH_SOLVER_SOLVER_H

#include <stddef.h>

#include "apk/dep.h"
#include "apk/pkg.h"
#include "util/buf.h"
#include "util/err.h"

struct wch_solver_opts {
	/* Tag of repository i (pkg->repo == i) without '@', NULL = untagged.
	 * Packages with repo < 0 (local files) or repo >= nrepos count as
	 * untagged: always allowed. */
	const char *const *repo_tags;
	size_t nrepos;
	/* If set, packages whose arch is neither this nor "noarch" are
	 * ignored (packages without an arch are kept). */
	const char *arch;
};

struct wch_solution {
	/* Install order: every package after its dependencies (cycles broken
	 * by name), otherwise by name; deterministic. The pointers are the
	 * caller's packages (borrowed); the array is owned. */
	struct wch_pkg **pkgs;
	size_t n;
};

/* Resolves world against avail (navail packages; uninstallable ones are
 * ignored). opts may be NULL (no tags, any arch). On success fills out and
 * returns 0. When no solution exists returns -WCH_E_UNSATISFIABLE, err says
 * "unable to select packages: <first problem>" and, if problems is not
 * NULL, an apk-like report is appended to it, one line per item, e.g.
 *   "  foo (no such package):\n    required by: world[foo]\n".
 * Other errors: -ENOMEM, -WCH_E_UNSUPPORTED (more than 64 repository
 * tags). */
int wch_solve(struct wch_pkg *const *avail, size_t navail, const struct wch_deps *world,
	      const struct wch_solver_opts *opts, struct wch_solution *out,
	      struct wch_buf *problems, struct wch_err *err);
void wch_solution_release(struct wch_solution *s);

#endif
