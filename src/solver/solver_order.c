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
	unsigned char *state; /* 0 new, 1 on the stack, 2 emitted */
	size_t n, k;
};

static bool provides_name(const struct wch_pkg *p, const char *name)
{
	size_t i;

	if (!strcmp(p->name, name))
		return true;
	for (i = 0; i < p->provides.n; i++)
		if (!strcmp(p->provides.v[i].name, name))
			return true;
	return false;
}

static size_t dfs_find(const struct dfs *d, const struct wch_dep *dep)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->sel[i]->name, dep->name))
			return i;
	for (i = 0; i < d->n; i++)
		if (provides_name(d->sel[i], dep->name))
			return i;
	return d->n;
}

static bool dfs_emitted(const struct dfs *d, const struct wch_dep *dep)
{
	size_t i = dfs_find(d, dep);

	return i < d->n && d->state[i] == 2;
}

static void dfs_visit(struct dfs *d, size_t i)
{
	const struct wch_pkg *p;
	size_t j, k;

	if (i >= d->n || d->state[i])
		return;
	d->state[i] = 1;
	p = d->sel[i];
	for (j = 0; j < p->depends.n; j++)
		if (!p->depends.v[j].conflict)
			dfs_visit(d, dfs_find(d, &p->depends.v[j]));
	d->state[i] = 2;
	d->out[d->k++] = d->sel[i];
	/* install_if packages triggered by what is now installed. */
	for (j = 0; j < d->n; j++) {
		const struct wch_pkg *q = d->sel[j];
		bool met = q->install_if.n > 0 && !d->state[j];
		for (k = 0; met && k < q->install_if.n; k++)
			met = q->install_if.v[k].conflict || dfs_emitted(d, &q->install_if.v[k]);
		if (met)
			dfs_visit(d, j);
	}
}

int sv_apk_order(struct wch_solution *sol, const struct wch_deps *world)
{
	struct dfs d = {0};
	size_t i;

	d.n = sol->n;
	d.sel = sol->pkgs;
	d.out = calloc(d.n ? d.n : 1, sizeof(*d.out));
	d.state = calloc(d.n ? d.n : 1, 1);
	if (!d.out || !d.state) {
		free(d.out);
		free(d.state);
		return -ENOMEM;
	}
	/* apk keeps its world sorted by name (§6.2) and walks it in that order. */
	{
		const struct wch_dep **w = calloc(world && world->n ? world->n : 1, sizeof(*w));
		size_t j;
		if (!w) {
			free(d.out);
			free(d.state);
			return -ENOMEM;
		}
		for (i = 0; world && i < world->n; i++) {
			for (j = i; j > 0 && strcmp(w[j - 1]->name, world->v[i].name) > 0; j--)
				w[j] = w[j - 1];
			w[j] = &world->v[i];
		}
		for (i = 0; world && i < world->n; i++)
			if (!w[i]->conflict)
				dfs_visit(&d, dfs_find(&d, w[i]));
		free(w);
	}
	for (i = 0; i < d.n; i++)
		dfs_visit(&d, i);
	free(sol->pkgs);
	sol->pkgs = d.out;
	free(d.state);
	return 0;
}
