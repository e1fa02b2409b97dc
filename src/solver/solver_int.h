/*
 * Solver internals shared by solver.c (tables, propagation, choice) and
 * solver_report.c (problem report, install order). Not a public API.
 *
 * Every package and name of one wch_solve() call has a state record in the
 * call's arena; names are interned in an open-addressing hash table so a
 * full branch index (20k+ packages) is indexed in a few milliseconds.
 */
#ifndef WCH_SOLVER_INT_H
#define WCH_SOLVER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "solver/solver.h"
#include "util/arena.h"

/* A growable array of pointers (worklists). */
struct sv_vec {
	void **v;
	size_t n, cap;
};
int sv_vec_push(struct sv_vec *v, void *x);
void sv_vec_free(struct sv_vec *v);

struct sv_pkg;

/* A constraint on a name that must hold: from the world (from == NULL) or
 * from a selected package. */
struct sv_req {
	struct sv_req *next;
	struct sv_pkg *from;
	const struct wch_dep *dep;
};

/* One way a name can be provided: by a package of that name (real), by a
 * versioned provides entry, or by an unversioned one (version NULL). */
struct sv_prov {
	struct sv_pkg *p;
	const char *version;
	bool real;
};
/* Real and versioned providers occupy the name: at most one of them can
 * be installed (apk-format §7.3, §9.3). */
#define SV_OCCUPIES(pv) ((pv)->real || (pv)->version != NULL)

struct sv_name {
	const char *s;
	uint64_t hash;
	struct sv_prov *prov;  /* in avail order */
	struct sv_pkg **rdeps; /* packages depending on this name */
	struct sv_pkg **rconf; /* packages with a `!` dependency on it */
	struct sv_pkg **iif;   /* packages with it in install_if */
	size_t nprov, nrdeps, nrconf, niif;
	size_t caprdeps, caprconf; /* filled as packages are discovered */
	struct sv_req *reqs, *reqs_tail;
	struct sv_pkg *chosen; /* the selected package that resolved it */
	uint64_t pin;	       /* repository tags allowed (§7.6) */
	uint64_t preferred;    /* tags asked for explicitly (world name@tag) */
	unsigned order;	       /* discovery order: lower is resolved first */
	bool discovered, required, resolved, failed;
	bool in_heap, in_changed;
	unsigned rstate, refs; /* used by the problem report */
};

/* Why a package was disqualified (for the problem report). */
enum sv_why {
	SV_OK,
	SV_MASKED,	  /* only in a repository tag not allowed for it */
	SV_SELF,	  /* its provides conflict with itself */
	SV_DEP,		  /* why_dep (its own) has no possible provider */
	SV_REQ,		  /* fails why_dep of why_pkg (NULL = world) */
	SV_CONFLICT,	  /* excluded by why_pkg's (or world's) `!` why_dep */
	SV_CONFLICTS_SEL, /* its own `!` why_dep matches selected why_pkg */
	SV_TAKEN,	  /* why_pkg occupies a name it needs */
};

struct sv_pkg {
	struct wch_pkg *pkg;
	struct sv_name *name;
	/* Parallel to depends, provides, install_if; dep_names is only set
	 * once the package is discovered (most of an index never is). */
	struct sv_name **dep_names, **prov_names, **iif_names;
	uint64_t tagbit; /* 0 = untagged or local */
	int tag;	 /* index in sv.tags, -1 if untagged */
	bool discovered, selected, dq, candidate;
	enum sv_why why;
	struct sv_pkg *why_pkg;
	const struct wch_dep *why_dep;
	size_t rank, scc;	/* used by the install order */
	size_t cset;		/* sv_apk_order: 1 + index in the solution, 0 = not in it */
	unsigned rstate, genid; /* used by the problem report */
};

/* Problem report states of names and packages (apk 2.14's commit.c). */
#define SV_RS_PRESENT	   0x1u
#define SV_RS_MISSING	   0x2u
#define SV_RS_VIRTUAL_ONLY 0x4u
#define SV_RS_INSTALLIF	   0x8u

#define SV_MAX_TAGS 64

/* Hash table slot; the hash is kept here so most probes need not touch
 * the name itself. */
struct sv_slot {
	uint64_t hash;
	struct sv_name *n;
};

struct sv {
	struct wch_arena a;
	struct sv_pkg *pkgs;
	size_t npkgs;
	struct sv_slot *tab;
	size_t tabcap, nnames;
	struct sv_vec names; /* every interned name, in creation order */
	const char *tags[SV_MAX_TAGS];
	size_t ntags;
	const struct wch_deps *world;
	struct sv_name **wnames; /* the name of each world dependency */
	struct sv_vec changed, heap, selected, discq, fresh, cand, iifc;
	unsigned next_order;
	struct wch_buf *problems;
	struct wch_buf first; /* summary of the first problem, for err */
	size_t nproblems;
	size_t nerrors; /* broken constraints found while solving */
	unsigned genid;
};

bool sv_prov_matches(const struct sv_prov *pv, const struct wch_dep *d);
/* Whether p's repository tag is allowed for the names it provides (§7.6). */
bool sv_tag_ok(const struct sv_pkg *p);
/* Adds a finished report item ("  what:\n    detail\n"). */
int sv_report_item(struct sv *s, const struct wch_buf *item);
/* After a solve with errors: analyses the selection as apk 2.14 does and
 * adds its report items. */
int sv_report(struct sv *s);
/* Fills out with the selected packages in install order. */
int sv_install_order(struct sv *s, struct wch_solution *out);
/* Reorders a dependencies-first solution the way apk lists its changeset. */
int sv_apk_order(struct sv *s, struct wch_solution *sol, const struct wch_deps *world);

#endif
