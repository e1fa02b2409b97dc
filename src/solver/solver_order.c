/*
 * The install order of a solution: dependencies first (strongly connected
 * components kept together), then reordered the way apk 2.14 lists its
 * changeset (apk-format §9).
 */
#include "solver/solver_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The selected package that satisfies d (on name x), if any. */
static const struct sv_pkg *provider_of(const struct sv_name *x, const struct wch_dep *d)
{
	size_t j;

	for (j = 0; j < x->nprov; j++)
		if (x->prov[j].p == x->chosen && x->chosen->selected &&
		    sv_prov_matches(&x->prov[j], d))
			return x->chosen;
	for (j = 0; j < x->nprov; j++)
		if (x->prov[j].p->selected && sv_prov_matches(&x->prov[j], d))
			return x->prov[j].p;
	return NULL;
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct sv_pkg *x = *(struct sv_pkg *const *)a, *y = *(struct sv_pkg *const *)b;
	int c = wch_pkg_cmp(x->pkg, y->pkg);

	return c ? c : (x < y ? -1 : x > y);
}

/* Edges u -> v mean "u needs v first": dependencies and install_if
 * triggers. Calls fn for each; returns the count. */
static size_t each_edge(struct sv_pkg *u, size_t *out)
{
	const struct wch_deps *lists[2] = {&u->pkg->depends, &u->pkg->install_if};
	struct sv_name **names[2] = {u->dep_names, u->iif_names};
	size_t l, k, n = 0;

	for (l = 0; l < 2; l++) {
		for (k = 0; k < lists[l]->n; k++) {
			const struct sv_pkg *v;
			if (lists[l]->v[k].conflict)
				continue;
			v = provider_of(names[l][k], &lists[l]->v[k]);
			if (!v || v == u)
				continue;
			if (out)
				out[n] = v->rank;
			n++;
		}
	}
	return n;
}

struct order {
	size_t m, *off, *adj, *roff, *radj, *idx, *low, *stk, *cs_u, *cs_e, *scc, *pend, *heap;
	size_t *first; /* per SCC: lowest rank (its members are listed by rank) */
	bool *onst;
};

static void heap_up(struct order *o, size_t n)
{
	size_t i = n;

	while (i > 0 && o->first[o->heap[(i - 1) / 2]] > o->first[o->heap[i]]) {
		size_t t = o->heap[i];
		o->heap[i] = o->heap[(i - 1) / 2];
		o->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static size_t heap_take(struct order *o, size_t *n)
{
	size_t top = o->heap[0], i = 0;

	o->heap[0] = o->heap[--*n];
	for (;;) {
		size_t l = 2 * i + 1, m = i, t;
		if (l < *n && o->first[o->heap[l]] < o->first[o->heap[m]])
			m = l;
		if (l + 1 < *n && o->first[o->heap[l + 1]] < o->first[o->heap[m]])
			m = l + 1;
		if (m == i)
			return top;
		t = o->heap[i];
		o->heap[i] = o->heap[m];
		o->heap[m] = t;
		i = m;
	}
}

/* Tarjan's strongly connected components, iteratively. */
static size_t find_sccs(struct order *o)
{
	const size_t unset = (size_t)-1;
	size_t root, counter = 0, sp = 0, csp, nscc = 0, i;

	for (i = 0; i < o->m; i++)
		o->idx[i] = unset;
	for (root = 0; root < o->m; root++) {
		if (o->idx[root] != unset)
			continue;
		csp = 0;
		o->cs_u[csp] = root;
		o->cs_e[csp++] = o->off[root];
		o->idx[root] = o->low[root] = counter++;
		o->stk[sp++] = root;
		o->onst[root] = true;
		while (csp) {
			size_t u = o->cs_u[csp - 1];
			if (o->cs_e[csp - 1] < o->off[u + 1]) {
				size_t v = o->adj[o->cs_e[csp - 1]++];
				if (o->idx[v] == unset) {
					o->idx[v] = o->low[v] = counter++;
					o->stk[sp++] = v;
					o->onst[v] = true;
					o->cs_u[csp] = v;
					o->cs_e[csp++] = o->off[v];
				} else if (o->onst[v] && o->idx[v] < o->low[u]) {
					o->low[u] = o->idx[v];
				}
				continue;
			}
			if (--csp && o->low[u] < o->low[o->cs_u[csp - 1]])
				o->low[o->cs_u[csp - 1]] = o->low[u];
			if (o->low[u] == o->idx[u]) {
				size_t w;
				do {
					w = o->stk[--sp];
					o->onst[w] = false;
					o->scc[w] = nscc;
				} while (w != u);
				nscc++;
			}
		}
	}
	return nscc;
}

/* Dependencies first (Kahn over the components), ready components by
 * their lowest-sorting name; a cycle's members are listed by name. */
int sv_install_order(struct sv *s, struct wch_solution *out)
{
	size_t m = s->selected.n, i, e, nscc, nheap = 0, k = 0;
	struct sv_pkg **sorted = calloc(m ? m : 1, sizeof(*sorted));
	size_t *mem = NULL, *bucket, *boff;
	struct order o = {0};
	int r = -ENOMEM;

	o.m = m;
	out->pkgs = calloc(m ? m : 1, sizeof(*out->pkgs));
	o.onst = calloc(m ? m : 1, sizeof(bool));
	/* off, roff, boff: m+1 each; the rest m each. */
	mem = calloc(15 * (m + 1), sizeof(size_t));
	if (!sorted || !out->pkgs || !o.onst || !mem)
		goto out;
	if (m) {
		memcpy(sorted, s->selected.v, m * sizeof(*sorted));
		qsort(sorted, m, sizeof(*sorted), cmp_pkg);
	}
	for (i = 0; i < m; i++)
		sorted[i]->rank = i;
	o.off = mem;
	o.roff = mem + (m + 1);
	boff = mem + 2 * (m + 1);
	o.idx = mem + 3 * (m + 1);
	o.low = mem + 4 * (m + 1);
	o.stk = mem + 5 * (m + 1);
	o.cs_u = mem + 6 * (m + 1);
	o.cs_e = mem + 7 * (m + 1);
	o.scc = mem + 8 * (m + 1);
	o.pend = mem + 9 * (m + 1);
	o.heap = mem + 10 * (m + 1);
	o.first = mem + 11 * (m + 1);
	bucket = mem + 12 * (m + 1);
	for (i = 0; i < m; i++)
		o.off[i + 1] = o.off[i] + each_edge(sorted[i], NULL);
	o.adj = malloc((o.off[m] ? o.off[m] : 1) * sizeof(size_t));
	o.radj = malloc((o.off[m] ? o.off[m] : 1) * sizeof(size_t));
	if (!o.adj || !o.radj)
		goto out;
	for (i = 0; i < m; i++)
		each_edge(sorted[i], o.adj + o.off[i]);
	for (e = 0; e < o.off[m]; e++)
		o.roff[o.adj[e] + 1]++;
	for (i = 0; i < m; i++)
		o.roff[i + 1] += o.roff[i];
	memcpy(o.pend, o.roff, m * sizeof(size_t)); /* fill positions */
	for (i = 0; i < m; i++)
		for (e = o.off[i]; e < o.off[i + 1]; e++)
			o.radj[o.pend[o.adj[e]]++] = i;
	nscc = find_sccs(&o);
	/* Members of each component in rank order (counting sort). */
	for (i = 0; i < m; i++)
		boff[o.scc[i] + 1]++;
	for (i = 0; i < nscc; i++)
		boff[i + 1] += boff[i];
	memset(o.pend, 0, m * sizeof(size_t));
	for (i = 0; i < m; i++) {
		size_t c = o.scc[i];
		if (o.pend[c] == 0)
			o.first[c] = i;
		bucket[boff[c] + o.pend[c]++] = i;
	}
	memset(o.pend, 0, m * sizeof(size_t));
	for (i = 0; i < m; i++)
		for (e = o.off[i]; e < o.off[i + 1]; e++)
			o.pend[o.scc[i]] += o.scc[o.adj[e]] != o.scc[i];
	for (i = 0; i < nscc; i++)
		if (o.pend[i] == 0) {
			o.heap[nheap] = i;
			heap_up(&o, nheap++);
		}
	while (nheap) {
		size_t c = heap_take(&o, &nheap), b;
		for (b = boff[c]; b < boff[c + 1]; b++) {
			size_t v = bucket[b];
			out->pkgs[k++] = sorted[v]->pkg;
			for (e = o.roff[v]; e < o.roff[v + 1]; e++) {
				size_t cu = o.scc[o.radj[e]];
				if (cu != c && --o.pend[cu] == 0) {
					o.heap[nheap] = cu;
					heap_up(&o, nheap++);
				}
			}
		}
	}
	out->n = k;
	r = k == m ? 0 : -EINVAL; /* cannot happen: the condensation is acyclic */
out:
	if (r < 0) {
		free(out->pkgs);
		out->pkgs = NULL;
		out->n = 0;
	}
	free(o.adj);
	free(o.radj);
	free(o.onst);
	free(mem);
	free(sorted);
	return r;
}

/*
 * apk's changeset order (apk-format §9.3 output): walk the world by name
 * and, depth first, each package's dependencies in D: order before the
 * package itself; right after a package, the install_if packages whose
 * conditions are now all met. So alpine-base starts alpine-baselayout-data,
 * musl, busybox, busybox-binsh, alpine-baselayout as apk installs it.
 * Input: a valid topological order (dependencies first) of the selection,
 * which still decides where cycles are broken and what is left over.
 */
struct dfs {
	struct wch_pkg **sel, **out;
	struct sv_pkg **sp;   /* the solver's record of sel[i] */
	unsigned char *state; /* 0 new, 1 in the changeset, 2 listed */
	size_t n, k;
	/* install_if packages held back so as not to come before a
	 * dependency still being visited; a generation-stamped mark for the
	 * walk that decides it. */
	size_t *held, nheld;
	unsigned *mark, gen;
};

/* Index in sel of the selected package providing name x (d->n if none),
 * its chosen one first; *pv is set to the matching provider entry. */
static size_t chosen_of(const struct dfs *d, const struct sv_name *x, const struct sv_prov **pv)
{
	size_t j;

	for (j = 0; j < x->nprov; j++)
		if (x->prov[j].p == x->chosen && x->chosen->cset) {
			*pv = &x->prov[j];
			return x->chosen->cset - 1;
		}
	for (j = 0; j < x->nprov; j++)
		if (x->prov[j].p->cset) {
			*pv = &x->prov[j];
			return x->prov[j].p->cset - 1;
		}
	return d->n;
}

/* apk's cset_check_install_by_iif(): every install_if condition of c is
 * in the changeset, with a provider that satisfies it. */
static bool iif_ready(const struct dfs *d, const struct sv_pkg *c)
{
	const struct wch_deps *iif = &c->pkg->install_if;
	const struct sv_prov *pv;
	size_t k, j;

	for (k = 0; k < iif->n; k++) {
		j = chosen_of(d, c->iif_names[k], &pv);
		if (iif->v[k].conflict || j == d->n || !d->state[j] ||
		    !sv_prov_matches(pv, &iif->v[k]))
			return false;
	}
	return true;
}

static void dfs_visit(struct dfs *d, size_t i);

/* apk's cset_check_by_reverse_iif() for name m of a package just listed:
 * every package (selected or not) with m among its install_if conditions
 * stands for its own name and the names it provides, and the selected
 * package chosen for each of those names is listed now if it is ready.
 * Hence busybox-mdev-openrc (providing dev-openrc, which udev-init-
 * scripts-openrc, install_if openrc, also provides) right after openrc. */
/* Would listing c now put it before a package it needs, directly or
 * through packages not yet visited, that is still being visited? */
static bool needs_unlisted(struct dfs *d, size_t c)
{
	const struct sv_prov *pv;
	const struct sv_pkg *p;
	size_t k, j;

	if (d->mark[c] == d->gen)
		return false;
	d->mark[c] = d->gen;
	p = d->sp[c];
	for (k = 0; k < p->pkg->depends.n; k++) {
		if (p->pkg->depends.v[k].conflict)
			continue;
		j = chosen_of(d, p->dep_names[k], &pv);
		if (j < d->n && (d->state[j] == 1 || (!d->state[j] && needs_unlisted(d, j))))
			return true;
	}
	return false;
}

static void try_iif(struct dfs *d, size_t c)
{
	size_t i;

	d->gen++;
	if (!needs_unlisted(d, c)) {
		dfs_visit(d, c);
		return;
	}
	for (i = 0; i < d->nheld && d->held[i] != c; i++)
		;
	if (i == d->nheld)
		d->held[d->nheld++] = c;
}

static void after_listing(struct dfs *d, const struct sv_name *m)
{
	const struct sv_prov *pv;
	size_t i, k, c;

	for (i = 0; i < m->niif; i++) {
		const struct sv_pkg *q = m->iif[i];
		for (k = 0; k <= q->pkg->provides.n; k++) {
			c = chosen_of(d, k == 0 ? q->name : q->prov_names[k - 1], &pv);
			if (c < d->n && !d->state[c] && iif_ready(d, d->sp[c]))
				try_iif(d, c);
		}
	}
}

/* apk 2.14's cset_gen_name_change(): a package is in the changeset from
 * the moment it is visited (so cycles end there); its dependencies are
 * listed first, then the package, then what its names complete (above).
 * Conditions count packages still being visited, which is why apk lists
 * py3-foo-pyc (install_if py3-foo and pyc) before py3-foo when pyc comes
 * in through py3-foo's dependencies. Where apk would list such a package
 * before one of its own dependencies (it does for qt5-qtdeclarative and
 * qt5-qtbase-x11), it waits until that dependency is listed: the plan
 * keeps dependencies first. */
static void dfs_visit(struct dfs *d, size_t i)
{
	const struct sv_pkg *p;
	const struct sv_prov *pv;
	size_t k, h;

	if (i >= d->n || d->state[i])
		return;
	d->state[i] = 1;
	p = d->sp[i];
	for (k = 0; k < p->pkg->depends.n; k++)
		if (!p->pkg->depends.v[k].conflict)
			dfs_visit(d, chosen_of(d, p->dep_names[k], &pv));
	d->state[i] = 2;
	d->out[d->k++] = d->sel[i];
	after_listing(d, p->name);
	for (k = 0; k < p->pkg->provides.n; k++)
		after_listing(d, p->prov_names[k]);
	/* What waited for this package may go now. */
	for (h = 0; h < d->nheld;) {
		size_t c = d->held[h];
		if (d->state[c]) {
			d->held[h] = d->held[--d->nheld];
			continue;
		}
		d->gen++;
		if (needs_unlisted(d, c)) {
			h++;
			continue;
		}
		d->held[h] = d->held[--d->nheld];
		dfs_visit(d, c);
		h = 0; /* the list may have changed */
	}
}

static int cmp_dep_name(const void *a, const void *b)
{
	const struct wch_dep *x = *(const struct wch_dep *const *)a;
	const struct wch_dep *y = *(const struct wch_dep *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x < y ? -1 : x > y);
}

int sv_apk_order(struct sv *s, struct wch_solution *sol, const struct wch_deps *world)
{
	struct dfs d = {0};
	const struct wch_dep **w = NULL;
	const struct sv_prov *pv;
	size_t i, j, nw = world ? world->n : 0;
	int r = -ENOMEM;

	d.n = sol->n;
	d.sel = sol->pkgs;
	d.out = calloc(d.n ? d.n : 1, sizeof(*d.out));
	d.sp = calloc(d.n ? d.n : 1, sizeof(*d.sp));
	d.state = calloc(d.n ? d.n : 1, 1);
	d.held = calloc(d.n ? d.n : 1, sizeof(*d.held));
	d.mark = calloc(d.n ? d.n : 1, sizeof(*d.mark));
	w = calloc(nw ? nw : 1, sizeof(*w));
	if (!d.out || !d.sp || !d.state || !d.held || !d.mark || !w)
		goto out;
	/* Number the solution's packages (cset = index + 1). */
	for (i = 0; i < s->selected.n; i++) {
		struct sv_pkg *p = s->selected.v[i];
		for (j = 0; j < d.n && d.sel[j] != p->pkg; j++)
			;
		if (j < d.n) {
			p->cset = j + 1;
			d.sp[j] = p;
		}
	}
	for (j = 0; j < d.n; j++)
		if (!d.sp[j]) { /* cannot happen: the solution is the selection */
			r = -EINVAL;
			goto out;
		}
	/* apk keeps its world sorted by name (§6.2) and walks it in that order. */
	for (i = 0; i < nw; i++)
		w[i] = &world->v[i];
	qsort(w, nw, sizeof(*w), cmp_dep_name);
	for (i = 0; i < nw; i++) {
		struct sv_name *x;
		if (w[i]->conflict)
			continue;
		for (j = 0; j < d.n; j++)
			if (!strcmp(d.sp[j]->name->s, w[i]->name))
				break;
		/* The world name may be provided rather than a package name. */
		x = NULL;
		for (size_t t = 0; t < d.n && !x; t++) {
			const struct sv_pkg *p = d.sp[t];
			if (!strcmp(p->name->s, w[i]->name))
				x = p->name;
			for (size_t k = 0; k < p->pkg->provides.n && !x; k++)
				if (!strcmp(p->prov_names[k]->s, w[i]->name))
					x = p->prov_names[k];
		}
		if (x)
			dfs_visit(&d, chosen_of(&d, x, &pv));
	}
	for (i = 0; i < d.n; i++)
		dfs_visit(&d, i);
	free(sol->pkgs);
	sol->pkgs = d.out;
	d.out = NULL;
	r = 0;
out:
	for (i = 0; i < s->selected.n; i++)
		((struct sv_pkg *)s->selected.v[i])->cset = 0;
	free(d.out);
	free(d.sp);
	free(d.state);
	free(d.held);
	free(d.mark);
	free(w);
	return r;
}
