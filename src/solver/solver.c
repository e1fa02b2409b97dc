/*
 * The solver: indexing, discovery, constraint propagation and choice
 * (apk-format §7, §9). See solver.h for the rules; solver_report.c writes
 * the problem report and the install order.
 */
#include "solver/solver_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sv_vec_push(struct sv_vec *v, void *x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		void **nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}

void sv_vec_free(struct sv_vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

/* ---- names ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int tab_grow(struct sv *s)
{
	size_t cap = s->tabcap ? s->tabcap * 2 : 4096, i, j;
	struct sv_slot *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < s->tabcap; i++) {
		if (!s->tab[i].n)
			continue;
		for (j = s->tab[i].hash & (cap - 1); t[j].n; j = (j + 1) & (cap - 1))
			;
		t[j] = s->tab[i];
	}
	free(s->tab);
	s->tab = t;
	s->tabcap = cap;
	return 0;
}

/* Finds or adds name str (which must outlive the solve). NULL = ENOMEM. */
static struct sv_name *intern(struct sv *s, const char *str)
{
	uint64_t h = hash_str(str);
	struct sv_name *n;
	size_t j;

	if ((s->nnames + 1) * 2 > s->tabcap && tab_grow(s) < 0)
		return NULL;
	for (j = h & (s->tabcap - 1); s->tab[j].n; j = (j + 1) & (s->tabcap - 1))
		if (s->tab[j].hash == h && strcmp(s->tab[j].n->s, str) == 0)
			return s->tab[j].n;
	n = wch_arena_alloc(&s->a, sizeof(*n));
	if (!n)
		return NULL;
	n->s = str;
	n->hash = h;
	if (sv_vec_push(&s->names, n) < 0)
		return NULL;
	s->tab[j].hash = h;
	s->tab[j].n = n;
	s->nnames++;
	return n;
}

static int tag_index(const struct sv *s, const char *tag)
{
	size_t i;

	for (i = 0; tag && i < s->ntags; i++)
		if (strcmp(s->tags[i], tag) == 0)
			return (int)i;
	return -1;
}

static uint64_t tag_bit(const struct sv *s, const char *tag)
{
	int i = tag_index(s, tag);

	return i < 0 ? 0 : (uint64_t)1 << i;
}

/* ---- building the tables ---- */

static bool keep_pkg(const struct wch_pkg *p, const struct wch_solver_opts *o)
{
	if (p->uninstallable || !p->name || !p->version)
		return false;
	if (o && o->arch && p->arch && strcmp(p->arch, o->arch) != 0 &&
	    strcmp(p->arch, "noarch") != 0)
		return false;
	return true;
}

static struct sv_name **intern_deps(struct sv *s, const struct wch_deps *d)
{
	struct sv_name **v;
	size_t i;

	if (d->n == 0)
		return NULL;
	v = wch_arena_alloc(&s->a, d->n * sizeof(*v));
	for (i = 0; v && i < d->n; i++)
		if (!(v[i] = intern(s, d->v[i].name)))
			return NULL;
	return v;
}

/* Room for every name build() may intern at a load of at most 1/2, so the
 * table is allocated once instead of being rehashed as it fills. */
static int tab_presize(struct sv *s, size_t names)
{
	while (s->tabcap / 2 < names)
		if (tab_grow(s) < 0)
			return -ENOMEM;
	return 0;
}

/* Two passes: count the providers and install_if users of each name, then
 * fill arrays of exactly that size (the counters are reused as fill
 * positions); all the arrays are carved from two blocks, in the order the
 * names were created (which walks memory forward). Dependencies are indexed
 * only when a package is discovered. */
static int build(struct sv *s, struct wch_pkg *const *avail, size_t navail,
		 const struct wch_solver_opts *o)
{
	size_t i, k, j, nprov = 0, niif = 0;
	struct sv_prov *prov;
	struct sv_pkg **iif;

	s->pkgs = calloc(navail ? navail : 1, sizeof(*s->pkgs));
	if (!s->pkgs)
		return -ENOMEM;
	for (i = 0; o && o->repo_tags && i < o->nrepos; i++) {
		const char *t = o->repo_tags[i];
		if (!t || tag_index(s, t) >= 0)
			continue;
		if (s->ntags == SV_MAX_TAGS)
			return -WCH_E_UNSUPPORTED;
		s->tags[s->ntags++] = t;
	}
	for (i = 0; i < navail; i++) {
		nprov += 1 + avail[i]->provides.n;
		niif += avail[i]->install_if.n;
	}
	if (tab_presize(s, nprov + niif) < 0)
		return -ENOMEM;
	for (i = 0; i < navail; i++) {
		struct wch_pkg *p = avail[i];
		struct sv_pkg *sp = &s->pkgs[s->npkgs];
		if (!keep_pkg(p, o))
			continue;
		s->npkgs++;
		sp->pkg = p;
		sp->tag = -1;
		if (o && o->repo_tags && p->repo >= 0 && (size_t)p->repo < o->nrepos)
			sp->tag = tag_index(s, o->repo_tags[p->repo]);
		sp->tagbit = sp->tag < 0 ? 0 : (uint64_t)1 << sp->tag;
		if (!(sp->name = intern(s, p->name)))
			return -ENOMEM;
		if ((p->provides.n && !(sp->prov_names = intern_deps(s, &p->provides))) ||
		    (p->install_if.n && !(sp->iif_names = intern_deps(s, &p->install_if))))
			return -ENOMEM;
		sp->name->nprov++;
		for (k = 0; k < p->provides.n; k++)
			sp->prov_names[k]->nprov++;
		for (k = 0; k < p->install_if.n; k++)
			sp->iif_names[k]->niif++;
	}
	prov = nprov ? wch_arena_alloc(&s->a, nprov * sizeof(*prov)) : NULL;
	iif = niif ? wch_arena_alloc(&s->a, niif * sizeof(*iif)) : NULL;
	if ((nprov && !prov) || (niif && !iif))
		return -ENOMEM;
	for (j = 0; j < s->names.n; j++) {
		struct sv_name *n = s->names.v[j];
		if (n->nprov) {
			n->prov = prov;
			prov += n->nprov;
		}
		if (n->niif) {
			n->iif = iif;
			iif += n->niif;
		}
		n->nprov = n->niif = 0;
	}
	for (i = 0; i < s->npkgs; i++) {
		struct sv_pkg *sp = &s->pkgs[i];
		const struct wch_pkg *p = sp->pkg;
		sp->name->prov[sp->name->nprov++] = (struct sv_prov){sp, p->version, true};
		for (k = 0; k < p->provides.n; k++) {
			struct sv_name *n = sp->prov_names[k];
			const struct wch_dep *d = &p->provides.v[k];
			n->prov[n->nprov++] =
			    (struct sv_prov){sp, d->op ? d->version : NULL, false};
			/* Providing its own name, or a versioned name twice,
			 * conflicts with itself (§7.3). */
			if (n == sp->name)
				sp->why = SV_SELF;
			for (j = 0; j < k && d->op; j++)
				if (sp->prov_names[j] == n && p->provides.v[j].op)
					sp->why = SV_SELF;
		}
		for (k = 0; k < p->install_if.n; k++) {
			struct sv_name *n = sp->iif_names[k];
			n->iif[n->niif++] = sp;
		}
	}
	return 0;
}

/* ---- matching ---- */

bool sv_prov_matches(const struct sv_prov *pv, const struct wch_dep *d)
{
	if (d->op == WCH_VER_CHECKSUM) {
		char buf[WCH_CHECKSUM_TEXT_MAX];
		if (!pv->p->pkg->identity.len)
			return false;
		return strcmp(wch_checksum_format(&pv->p->pkg->identity, buf), d->version) == 0;
	}
	return wch_dep_version_match(d, pv->version);
}

static bool matches_reqs(const struct sv_name *n, const struct sv_prov *pv)
{
	const struct sv_req *r;

	for (r = n->reqs; r; r = r->next)
		if (!sv_prov_matches(pv, r->dep))
			return false;
	return true;
}

/* Can pv be chosen for required name n? Unversioned providers only if
 * they have a priority or their own name is wanted too (§7.3). */
static bool candidate_ok(const struct sv_name *n, const struct sv_prov *pv)
{
	if (pv->p->dq || !matches_reqs(n, pv))
		return false;
	return SV_OCCUPIES(pv) || pv->p->pkg->provider_priority > 0 || pv->p->name->required;
}

/* Is a better than b as the provider of n? apk 2.14's compare_providers
 * for a fresh root (apk-format §9.2): a preferred repository tag, then the
 * higher version of the requested name itself (a package's own version,
 * or what it provides: a real name has no precedence over a provider),
 * then, between versions of one package, the higher one, then the higher
 * provider_priority, then the lower repository, then index order (apk
 * keeps the first of equals). */
static bool better(const struct sv_name *n, const struct sv_prov *a, const struct sv_prov *b)
{
	const struct wch_pkg *pa = a->p->pkg, *pb = b->p->pkg;
	bool prefa = !a->p->tagbit || (a->p->tagbit & n->preferred);
	bool prefb = !b->p->tagbit || (b->p->tagbit & n->preferred);
	int c;

	if (prefa != prefb)
		return prefa;
	/* An unversioned provides does not compare with a version (apk's
	 * compare of a null version answers "unordered"): the later rules
	 * decide, so a provider_priority can beat a versioned provider. */
	if (a->version && b->version) {
		c = wch_version_compare(a->version, b->version);
		if (c != WCH_VER_EQUAL)
			return c == WCH_VER_GREATER;
	}
	if (!strcmp(pa->name, pb->name)) {
		c = wch_version_compare(pa->version, pb->version);
		if (c != WCH_VER_EQUAL)
			return c == WCH_VER_GREATER;
	}
	if (pa->provider_priority != pb->provider_priority)
		return pa->provider_priority > pb->provider_priority;
	if (pa->repo != pb->repo)
		return pa->repo < pb->repo;
	return a->p < b->p; /* avail order */
}

/* ---- worklists ---- */

static int changed(struct sv *s, struct sv_name *n)
{
	if (n->in_changed)
		return 0;
	n->in_changed = true;
	return sv_vec_push(&s->changed, n);
}

static int heap_push(struct sv *s, struct sv_name *n)
{
	struct sv_name **h;
	size_t i;
	int r;

	if (n->in_heap)
		return 0;
	if ((r = sv_vec_push(&s->heap, n)) < 0)
		return r;
	n->in_heap = true;
	h = (struct sv_name **)s->heap.v;
	for (i = s->heap.n - 1; i > 0 && h[(i - 1) / 2]->order > h[i]->order; i = (i - 1) / 2) {
		struct sv_name *t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
	}
	return 0;
}

static struct sv_name *heap_pop(struct sv *s)
{
	struct sv_name **h = (struct sv_name **)s->heap.v, *top;
	size_t i = 0, n = s->heap.n;

	if (n == 0)
		return NULL;
	top = h[0];
	top->in_heap = false;
	h[0] = h[--n];
	s->heap.n = n;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct sv_name *t;
		if (l < n && h[l]->order < h[m]->order)
			m = l;
		if (l + 1 < n && h[l + 1]->order < h[m]->order)
			m = l + 1;
		if (m == i)
			break;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
	return top;
}

static int disq(struct sv *s, struct sv_pkg *p, enum sv_why why, struct sv_pkg *from,
		const struct wch_dep *d)
{
	size_t k;
	int r;

	if (p->dq || p->selected)
		return 0;
	p->dq = true;
	p->why = why;
	p->why_pkg = from;
	p->why_dep = d;
	if ((r = changed(s, p->name)) < 0)
		return r;
	for (k = 0; k < p->pkg->provides.n; k++)
		if ((r = changed(s, p->prov_names[k])) < 0)
			return r;
	return 0;
}

/* ---- discovery ---- */

static int discover(struct sv *s, struct sv_name *n, uint64_t pin)
{
	if (n->discovered && (pin & ~n->pin) == 0)
		return 0;
	if (!n->discovered) {
		n->discovered = true;
		n->order = s->next_order++;
	}
	n->pin |= pin;
	return sv_vec_push(&s->discq, n);
}

static int arr_push(struct sv *s, struct sv_pkg ***arr, size_t *n, size_t *cap, struct sv_pkg *p)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct sv_pkg **na = wch_arena_alloc(&s->a, nc * sizeof(*na));
		if (!na)
			return -ENOMEM;
		if (*n)
			memcpy(na, *arr, *n * sizeof(*na));
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = p;
	return 0;
}

/* A newly discovered package: intern its dependency names and enter it in
 * their reverse lists, then queue it for the first checks. */
static int index_deps(struct sv *s, struct sv_pkg *p)
{
	const struct wch_deps *d = &p->pkg->depends;
	size_t k;
	int r;

	p->discovered = true;
	if (d->n && !(p->dep_names = intern_deps(s, d)))
		return -ENOMEM;
	for (k = 0; k < d->n; k++) {
		struct sv_name *n = p->dep_names[k];
		if (d->v[k].conflict)
			r = arr_push(s, &n->rconf, &n->nrconf, &n->caprconf, p);
		else
			r = arr_push(s, &n->rdeps, &n->nrdeps, &n->caprdeps, p);
		if (r < 0)
			return r;
	}
	return sv_vec_push(&s->fresh, p);
}

/* Breadth first from the queued names through every provider's
 * dependencies; dependencies inherit the allowed tags (§7.6). */
static int run_discovery(struct sv *s)
{
	size_t i, j, k;
	int r;

	for (i = 0; i < s->discq.n; i++) {
		struct sv_name *n = s->discq.v[i];
		for (j = 0; j < n->nprov; j++) {
			struct sv_pkg *p = n->prov[j].p;
			const struct wch_deps *d = &p->pkg->depends;
			if (!p->discovered && (r = index_deps(s, p)) < 0)
				return r;
			for (k = 0; k < d->n; k++) {
				if (d->v[k].conflict)
					continue;
				r = discover(s, p->dep_names[k], n->pin | tag_bit(s, d->v[k].tag));
				if (r < 0)
					return r;
			}
		}
	}
	s->discq.n = 0;
	return 0;
}

/* Disqualifies p if one of its dependencies has no possible provider left
 * or it conflicts with a selected package. */
static int check_pkg(struct sv *s, struct sv_pkg *p)
{
	const struct wch_deps *d = &p->pkg->depends;
	size_t k, j;

	if (!p->discovered || p->dq || p->selected)
		return 0;
	for (k = 0; k < d->n; k++) {
		const struct sv_name *x = p->dep_names[k];
		bool found = false;
		for (j = 0; j < x->nprov; j++) {
			const struct sv_prov *pv = &x->prov[j];
			if (d->v[k].conflict) {
				if (pv->p->selected && pv->p != p && sv_prov_matches(pv, &d->v[k]))
					return disq(s, p, SV_CONFLICTS_SEL, pv->p, &d->v[k]);
			} else if (!pv->p->dq && sv_prov_matches(pv, &d->v[k])) {
				found = true;
				break;
			}
		}
		if (!found && !d->v[k].conflict)
			return disq(s, p, SV_DEP, NULL, &d->v[k]);
	}
	return 0;
}

bool sv_tag_ok(const struct sv_pkg *p)
{
	uint64_t allowed = p->name->pin;
	size_t k;

	for (k = 0; k < p->pkg->provides.n; k++)
		allowed |= p->prov_names[k]->pin;
	return !p->tagbit || (p->tagbit & allowed);
}

/* Newly discovered packages: masked by pinning? self-conflicting? */
static int settle_fresh(struct sv *s)
{
	size_t i, n = s->fresh.n;
	int r;

	for (i = 0; i < n; i++) {
		struct sv_pkg *p = s->fresh.v[i];
		r = 0;
		if (p->why == SV_SELF)
			r = disq(s, p, SV_SELF, NULL, NULL);
		else if (!sv_tag_ok(p))
			r = disq(s, p, SV_MASKED, NULL, NULL);
		if (r < 0)
			return r;
	}
	for (i = 0; i < n; i++)
		if ((r = check_pkg(s, s->fresh.v[i])) < 0)
			return r;
	s->fresh.n = 0;
	return 0;
}

/* ---- propagation ---- */

static bool has_dep_on(const struct sv_pkg *p, const struct sv_name *x)
{
	size_t k;

	for (k = 0; k < p->pkg->depends.n; k++)
		if (p->dep_names[k] == x && !p->pkg->depends.v[k].conflict)
			return true;
	return false;
}

/* The dependency of p on x that pv fails, or NULL. */
static const struct wch_dep *failed_dep(const struct sv_pkg *p, const struct sv_name *x,
					const struct sv_prov *pv)
{
	size_t k;

	for (k = 0; k < p->pkg->depends.n; k++)
		if (p->dep_names[k] == x && !p->pkg->depends.v[k].conflict &&
		    !sv_prov_matches(pv, &p->pkg->depends.v[k]))
			return &p->pkg->depends.v[k];
	return NULL;
}

/* n will be installed one way or another: what all its remaining
 * candidates depend on is required too, and a provider that fails the
 * constraints of every candidate can be disqualified now (§9.1). */
static int merge(struct sv *s, struct sv_name *n)
{
	struct sv_pkg *c0;
	size_t i, j, k;
	int r;

	s->cand.n = 0;
	for (i = 0; i < n->nprov; i++)
		if (candidate_ok(n, &n->prov[i]) && (r = sv_vec_push(&s->cand, n->prov[i].p)) < 0)
			return r;
	if (s->cand.n == 0)
		return 0;
	c0 = s->cand.v[0];
	for (k = 0; k < c0->pkg->depends.n; k++) {
		struct sv_name *x = c0->dep_names[k];
		if (c0->pkg->depends.v[k].conflict || x == n)
			continue;
		for (i = 1; i < s->cand.n; i++)
			if (!has_dep_on(s->cand.v[i], x))
				break;
		if (i < s->cand.n)
			continue;
		if (!x->required) {
			x->required = true;
			if ((r = changed(s, x)) < 0)
				return r;
		}
		for (j = 0; j < x->nprov; j++) {
			const struct sv_prov *pv = &x->prov[j];
			const struct wch_dep *why = NULL;
			if (!SV_OCCUPIES(pv) || pv->p->dq || pv->p->selected)
				continue;
			for (i = 0; i < s->cand.n; i++) {
				const struct wch_dep *f = failed_dep(s->cand.v[i], x, pv);
				if (!f)
					break;
				if (!why)
					why = f;
			}
			if (i == s->cand.n && (r = disq(s, pv->p, SV_REQ, c0, why)) < 0)
				return r;
		}
	}
	return 0;
}

static int propagate(struct sv *s)
{
	size_t i;
	int r;

	for (;;) {
		struct sv_name *n;
		if (s->discq.n && (r = run_discovery(s)) < 0)
			return r;
		if (s->fresh.n) {
			if ((r = settle_fresh(s)) < 0)
				return r;
			continue;
		}
		if (!s->changed.n)
			return 0;
		n = s->changed.v[--s->changed.n];
		n->in_changed = false;
		for (i = 0; i < n->nrdeps; i++)
			if ((r = check_pkg(s, n->rdeps[i])) < 0)
				return r;
		if (n->required && !n->resolved && !n->failed && (r = merge(s, n)) < 0)
			return r;
	}
}

/* ---- requirements and selection ---- */

static int add_req(struct sv *s, struct sv_name *x, struct sv_pkg *from, const struct wch_dep *d)
{
	struct sv_req *q = wch_arena_alloc(&s->a, sizeof(*q));
	size_t j;
	int r;

	if (!q)
		return -ENOMEM;
	q->from = from;
	q->dep = d;
	if (x->reqs_tail)
		x->reqs_tail->next = q;
	else
		x->reqs = q;
	x->reqs_tail = q;
	x->required = true;
	if ((r = discover(s, x, from ? from->name->pin : 0)) < 0)
		return r;
	for (j = 0; j < x->nprov; j++) {
		const struct sv_prov *pv = &x->prov[j];
		if (!SV_OCCUPIES(pv) || sv_prov_matches(pv, d))
			continue;
		if (pv->p->selected) {
			x->failed = true;
			s->nerrors++; /* reported by sv_report() */
		} else if ((r = disq(s, pv->p, SV_REQ, from, d)) < 0) {
			return r;
		}
	}
	if (x->resolved && !x->failed) {
		for (j = 0; j < x->nprov; j++)
			if (x->prov[j].p == x->chosen && sv_prov_matches(&x->prov[j], d))
				break;
		if (j == x->nprov) { /* an unversioned provider no longer does */
			x->resolved = false;
			x->chosen = NULL;
		}
	}
	if (!x->resolved && !x->failed && (r = heap_push(s, x)) < 0)
		return r;
	return changed(s, x);
}

/* Takes the names p occupies away from every other package. */
static int occupy(struct sv *s, struct sv_pkg *p, struct sv_name *m)
{
	size_t j;
	int r;

	for (j = 0; j < m->nprov; j++) {
		struct sv_pkg *o = m->prov[j].p;
		if (o == p || !SV_OCCUPIES(&m->prov[j]))
			continue;
		if (o->selected)
			s->nerrors++;
		else if ((r = disq(s, o, SV_TAKEN, p, NULL)) < 0)
			return r;
	}
	return 0;
}

/* Packages whose `!` dependencies match p (provided as pv) must go. */
static int conflicted_by(struct sv *s, struct sv_pkg *p, struct sv_name *m,
			 const struct sv_prov *pv)
{
	size_t i, k;
	int r;

	for (i = 0; i < m->nrconf; i++) {
		struct sv_pkg *o = m->rconf[i];
		const struct wch_deps *d = &o->pkg->depends;
		if (o == p || o->dq)
			continue;
		for (k = 0; k < d->n; k++) {
			if (o->dep_names[k] != m || !d->v[k].conflict ||
			    !sv_prov_matches(pv, &d->v[k]))
				continue;
			if (o->selected)
				s->nerrors++;
			else if ((r = disq(s, o, SV_CONFLICTS_SEL, p, &d->v[k])) < 0)
				return r;
			break;
		}
	}
	return 0;
}

static int select_pkg(struct sv *s, struct sv_pkg *p, struct sv_name *n)
{
	const struct wch_pkg *pk = p->pkg;
	struct sv_prov self = {p, pk->version, true};
	size_t k, j;
	int r;

	p->selected = true;
	n->chosen = p;
	n->resolved = true;
	if ((r = sv_vec_push(&s->selected, p)) < 0 || (r = occupy(s, p, p->name)) < 0 ||
	    (r = conflicted_by(s, p, p->name, &self)) < 0)
		return r;
	for (k = 0; k < pk->provides.n; k++) {
		const struct wch_dep *d = &pk->provides.v[k];
		struct sv_prov pv = {p, d->op ? d->version : NULL, false};
		if (d->op && (r = occupy(s, p, p->prov_names[k])) < 0)
			return r;
		if ((r = conflicted_by(s, p, p->prov_names[k], &pv)) < 0)
			return r;
	}
	for (k = 0; k < pk->depends.n; k++) {
		const struct wch_dep *d = &pk->depends.v[k];
		struct sv_name *x = p->dep_names[k];
		if (!d->conflict) {
			if ((r = add_req(s, x, p, d)) < 0)
				return r;
			continue;
		}
		for (j = 0; j < x->nprov; j++) {
			const struct sv_prov *pv = &x->prov[j];
			if (pv->p == p || !sv_prov_matches(pv, d))
				continue;
			if (pv->p->selected)
				s->nerrors++;
			else if ((r = disq(s, pv->p, SV_CONFLICT, p, d)) < 0)
				return r;
		}
	}
	return 0;
}

/* Whether apk would still count p as selectable: it rules nothing out for
 * pinning alone (it reports that instead), not even a dependency whose
 * providers are all masked. */
static bool apk_selectable(const struct sv_pkg *p)
{
	const struct wch_deps *d = &p->pkg->depends;
	size_t j, k;

	if (!p->dq || p->why == SV_MASKED)
		return true;
	if (p->why != SV_DEP)
		return false;
	for (k = 0; k < d->n && &d->v[k] != p->why_dep; k++)
		;
	for (j = 0; k < d->n && j < p->dep_names[k]->nprov; j++) {
		const struct sv_prov *pv = &p->dep_names[k]->prov[j];
		if ((!pv->p->dq || pv->p->why == SV_MASKED) && sv_prov_matches(pv, &d->v[k]))
			return true;
	}
	return false;
}

/* With no candidate left apk 2.14 still selects the provider it likes best
 * and reports what that one breaks (apk-format §9.3): a selectable one (in
 * apk's sense) first, then one allowed by pinning, then the usual order.
 * Virtual providers without a priority are never taken. */
static const struct sv_prov *error_pick(const struct sv_name *n)
{
	const struct sv_prov *best = NULL;
	bool bsel = false, btag = false;
	size_t j;

	for (j = 0; j < n->nprov; j++) {
		const struct sv_prov *pv = &n->prov[j];
		bool sel, tag;
		if (pv->p->selected) /* an unversioned provider that no longer fits */
			continue;
		if (!SV_OCCUPIES(pv) && pv->p->pkg->provider_priority <= 0 &&
		    !pv->p->name->required)
			continue;
		sel = apk_selectable(pv->p) && matches_reqs(n, pv);
		tag = sv_tag_ok(pv->p);
		if (!best || sel > bsel || (sel == bsel && tag > btag) ||
		    (sel == bsel && tag == btag && better(n, pv, best))) {
			best = pv;
			bsel = sel;
			btag = tag;
		}
	}
	return best;
}

static int resolve(struct sv *s, struct sv_name *n)
{
	const struct sv_prov *best = NULL;
	size_t j;

	if (n->resolved || n->failed)
		return 0;
	for (j = 0; j < n->nprov; j++) {
		if (n->prov[j].p->selected && matches_reqs(n, &n->prov[j])) {
			n->chosen = n->prov[j].p;
			n->resolved = true;
			return 0;
		}
	}
	for (j = 0; j < n->nprov; j++)
		if (candidate_ok(n, &n->prov[j]) && (!best || better(n, &n->prov[j], best)))
			best = &n->prov[j];
	if (!best) {
		s->nerrors++;
		if ((best = error_pick(n)) == NULL) {
			n->failed = true;
			return 0;
		}
	}
	return select_pkg(s, best->p, n);
}

/* apk's "take it now" test (§9.1): n is required, exactly one provider
 * can still be chosen, and every package depending on n is decided. */
static bool immediate(const struct sv_name *n)
{
	size_t j, k = 0;

	if (n->resolved || n->failed || !n->required)
		return false;
	for (j = 0; j < n->nprov; j++)
		if (candidate_ok(n, &n->prov[j]) && ++k > 1)
			return false;
	if (k != 1)
		return false;
	for (j = 0; j < n->nrdeps; j++) {
		const struct sv_pkg *p = n->rdeps[j];
		if (!p->selected && !p->dq && !p->name->resolved)
			return false;
	}
	return true;
}

/* The next name to resolve: the earliest discovered immediate one, else the
 * earliest discovered. So a name that can only go one way is settled
 * before a name with a choice that it would narrow (apk resolves `app
 * so:x`, where app needs liba providing so:x, to liba alone). A name taken
 * out of order stays in the heap and is skipped when popped. */
static struct sv_name *next_name(struct sv *s)
{
	struct sv_name **h = (struct sv_name **)s->heap.v, *best = NULL;
	size_t i;

	for (i = 0; i < s->heap.n; i++)
		if ((!best || h[i]->order < best->order) && immediate(h[i]))
			best = h[i];
	return best ? best : heap_pop(s);
}

/* ---- install_if (§7.5) ---- */

/* Whether every install_if condition of p holds. A `!x` condition needs x
 * to be decided as absent, which apk 2.14 never does for a name nothing
 * requires: on a fresh root such a package is never pulled in (checked
 * against apk: `libcanberra alsa-lib` does not bring libcanberra-alsa,
 * whose install_if has `!pulseaudio`). */
static bool triggered(const struct sv_pkg *p)
{
	const struct wch_deps *d = &p->pkg->install_if;
	size_t k, j;

	for (k = 0; k < d->n; k++) {
		const struct sv_name *x = p->iif_names[k];
		bool sat = false;
		if (d->v[k].conflict)
			return false;
		for (j = 0; j < x->nprov && !sat; j++)
			sat = x->prov[j].p->selected && sv_prov_matches(&x->prov[j], &d->v[k]);
		if (!sat)
			return false;
	}
	return true;
}

static int cmp_by_name(const void *a, const void *b)
{
	const struct sv_pkg *x = *(struct sv_pkg *const *)a, *y = *(struct sv_pkg *const *)b;
	int c = strcmp(x->name->s, y->name->s);

	return c ? c : (x < y ? -1 : x > y);
}

/* Adds the best triggered package of each name; *added tells whether
 * anything was selected (then the caller resolves its dependencies and
 * calls again, until nothing more triggers). */
static int install_if_round(struct sv *s, bool *added)
{
	size_t i, j, k, nsel = s->selected.n;
	int r = 0;

	*added = false;
	s->iifc.n = 0;
	for (i = 0; i < nsel; i++) {
		struct sv_pkg *q = s->selected.v[i];
		for (k = 0; k <= q->pkg->provides.n; k++) {
			struct sv_name *m = k == 0 ? q->name : q->prov_names[k - 1];
			for (j = 0; j < m->niif; j++) {
				struct sv_pkg *c = m->iif[j];
				if (c->candidate || c->selected || c->dq || !triggered(c))
					continue;
				c->candidate = true;
				if ((r = sv_vec_push(&s->iifc, c)) < 0)
					goto out;
				if ((r = discover(s, c->name, 0)) < 0)
					goto out;
			}
		}
	}
	if (s->iifc.n)
		qsort(s->iifc.v, s->iifc.n, sizeof(void *), cmp_by_name);
	for (i = 0; i < s->iifc.n; i = j) {
		struct sv_pkg *c = s->iifc.v[i], *best = NULL;
		struct sv_prov bp = {0}, cp;
		if ((r = propagate(s)) < 0)
			goto out;
		for (j = i; j < s->iifc.n && ((struct sv_pkg *)s->iifc.v[j])->name == c->name;
		     j++) {
			struct sv_pkg *o = s->iifc.v[j];
			cp = (struct sv_prov){o, o->pkg->version, true};
			if (!o->dq && !o->selected && (!best || better(c->name, &cp, &bp))) {
				best = o;
				bp = cp;
			}
		}
		if (best && !c->name->resolved) {
			if ((r = select_pkg(s, best, c->name)) < 0)
				goto out;
			*added = true;
		}
	}
out:
	for (i = 0; i < s->iifc.n; i++)
		((struct sv_pkg *)s->iifc.v[i])->candidate = false;
	return r;
}

/* ---- entry point ---- */

static int solve_world(struct sv *s, const struct wch_deps *world)
{
	size_t i, j;
	bool added;
	int r;

	if (world && world->n && !(s->wnames = wch_arena_alloc(&s->a, world->n * sizeof(void *))))
		return -ENOMEM;
	for (i = 0; world && i < world->n; i++) {
		const struct wch_dep *d = &world->v[i];
		struct sv_name *n = intern(s, d->name);
		if (!n)
			return -ENOMEM;
		s->wnames[i] = n;
		if (d->conflict)
			continue;
		/* As apk: a tag no repository declares is an error, not a
		 * silent fallback to the untagged repositories. */
		if (d->tag && d->tag[0] && tag_index(s, d->tag) < 0) {
			struct wch_buf b = WCH_BUF_INIT;
			r = wch_buf_addstr(&b, "  ");
			if (!r)
				r = wch_dep_format(d, &b);
			if (!r)
				r = wch_buf_addf(&b, ":\n    no repository is tagged @%s\n",
						 d->tag);
			if (!r)
				r = sv_report_item(s, &b);
			wch_buf_release(&b);
			if (r < 0)
				return r;
			n->failed = true;
			n->rstate |= SV_RS_MISSING; /* reported here */
			continue;
		}
		n->preferred |= tag_bit(s, d->tag);
		if ((r = discover(s, n, tag_bit(s, d->tag))) < 0)
			return r;
	}
	/* All pins must be known before packages are judged masked. */
	if ((r = run_discovery(s)) < 0)
		return r;
	for (i = 0; world && i < world->n; i++) {
		const struct wch_dep *d = &world->v[i];
		struct sv_name *n = intern(s, d->name);
		if (!d->conflict) {
			r = add_req(s, n, NULL, d);
		} else {
			for (j = 0; j < n->nprov && r >= 0; j++)
				if (sv_prov_matches(&n->prov[j], d))
					r = disq(s, n->prov[j].p, SV_CONFLICT, NULL, d);
		}
		if (r < 0)
			return r;
	}
	for (;;) {
		struct sv_name *n;
		if ((r = propagate(s)) < 0)
			return r;
		if ((n = next_name(s)) != NULL) {
			if ((r = resolve(s, n)) < 0)
				return r;
			continue;
		}
		if ((r = install_if_round(s, &added)) < 0)
			return r;
		if (!added)
			return 0;
	}
}

int wch_solve(struct wch_pkg *const *avail, size_t navail, const struct wch_deps *world,
	      const struct wch_solver_opts *opts, struct wch_solution *out,
	      struct wch_buf *problems, struct wch_err *err)
{
	struct sv s;
	int r;

	memset(&s, 0, sizeof(s));
	s.problems = problems;
	s.world = world;
	out->pkgs = NULL;
	out->n = 0;
	r = build(&s, avail, navail, opts);
	if (r == -WCH_E_UNSUPPORTED) {
		wch_errf(err, r, "more than %d repository tags", SV_MAX_TAGS);
		goto out;
	}
	if (r >= 0)
		r = solve_world(&s, world);
	if (r >= 0 && s.nerrors)
		r = sv_report(&s);
	if (r < 0) {
		wch_errf(err, r, "out of memory");
		goto out;
	}
	if (s.nproblems) {
		r = wch_errf(err, -WCH_E_UNSATISFIABLE, "unable to select packages: %s%s",
			     s.first.p ? s.first.p : "", s.nproblems > 1 ? " (and more)" : "");
		goto out;
	}
	r = sv_install_order(&s, out);
	if (r >= 0)
		r = sv_apk_order(&s, out, world);
	if (r < 0)
		wch_errf(err, r, "out of memory");
out:
	sv_vec_free(&s.names);
	sv_vec_free(&s.changed);
	sv_vec_free(&s.heap);
	sv_vec_free(&s.selected);
	sv_vec_free(&s.discq);
	sv_vec_free(&s.fresh);
	sv_vec_free(&s.cand);
	sv_vec_free(&s.iifc);
	wch_buf_release(&s.first);
	free(s.tab);
	free(s.pkgs);
	wch_arena_release(&s.a);
	return r;
}

void wch_solution_release(struct wch_solution *s)
{
	free(s->pkgs);
	s->pkgs = NULL;
	s->n = 0;
}
