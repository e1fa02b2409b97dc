/*
 * The solver's problem report (apk-format §9.3, without apk's 50-column
 * wrapping). The install order is in solver_order.c.
 */
#include "solver/solver_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Most entries listed per line or per name, so that a report on a huge
 * index stays readable. */
#define REPORT_MAX 20
/* Length of the one-line summary in the error message. */
#define SUMMARY_MAX 240

static int add_nv(struct wch_buf *b, const struct sv_pkg *p)
{
	return p ? wch_pkg_format_nv(p->pkg, b) : wch_buf_addstr(b, "world");
}

/* "world[dep]" or "name-ver[dep]". */
static int add_ref(struct wch_buf *b, const struct sv_pkg *from, const struct wch_dep *d)
{
	int r = add_nv(b, from);

	if (!r && d)
		r = wch_buf_addch(b, '[');
	if (!r && d)
		r = wch_dep_format(d, b);
	if (!r && d)
		r = wch_buf_addch(b, ']');
	return r;
}

/* Appends a finished item to the report; the first one also becomes the
 * one-line summary for the error message. */
int sv_report_item(struct sv *s, const struct wch_buf *item)
{
	int r = 0;
	size_t i;

	if (s->nproblems++ == 0) {
		bool space = false;
		for (i = 0; i < item->len && !r; i++) {
			char c = item->p[i];
			if (s->first.len >= SUMMARY_MAX) {
				r = wch_buf_addstr(&s->first, " ...");
				break;
			}
			if (c == '\n' || c == ' ') {
				space = s->first.len > 0;
				continue;
			}
			if (space)
				r = wch_buf_addch(&s->first, ' ');
			space = false;
			if (!r)
				r = wch_buf_addch(&s->first, c);
		}
		/* The summary ends at its last detail, no trailing colon. */
		if (!r && s->first.len && s->first.p[s->first.len - 1] == ':')
			s->first.p[--s->first.len] = 0;
	}
	if (!r && s->problems)
		r = wch_buf_add(s->problems, item->p, item->len);
	return r;
}

/* ---- the problem report: apk 2.14's apk_solver_print_errors() ----
 *
 * Like apk, the solver does not stop at a broken constraint: a name whose
 * providers are all ruled out still gets the one apk would pick, and the
 * report then looks at the whole selection ("marked" packages): for each
 * package in changeset order its masking, the other selected packages
 * providing its names (conflicts:), the dependencies of the world and of
 * selected packages it fails (breaks:, `!x` included) and, if anything was
 * wrong, those it meets (satisfies:); and each required name that nothing
 * selected provides ("no such package" or "virtual"). One line per detail:
 * apk's wrapping to 50 columns is left out. */

enum { DEP_IRRELEVANT, DEP_SATISFIES, DEP_CONFLICTS };

struct pr {
	struct sv *s;
	struct wch_buf item, head; /* the item being built; its heading */
	size_t *world;		   /* world dependencies sorted by name */
	size_t n;		   /* entries on the open line */
	size_t labels;		   /* items written */
	bool pending, open;	   /* heading not yet written; a line is open */
	int r;			   /* first error */
};

static void put(struct pr *ps, int r)
{
	if (r < 0 && !ps->r)
		ps->r = r;
}

static void label_start(struct pr *ps, const char *text)
{
	if (ps->pending) {
		put(ps, wch_buf_addf(&ps->item, "  %s:\n", ps->head.p ? ps->head.p : ""));
		ps->pending = false;
		ps->labels++;
	}
	if (!ps->open) {
		put(ps, wch_buf_addf(&ps->item, "    %s", text));
		ps->open = true;
		ps->n = 0;
	}
}

static void label_end(struct pr *ps)
{
	if (ps->open)
		put(ps, wch_buf_addch(&ps->item, '\n'));
	ps->open = false;
}

/* Starts the next entry of the open line; false once REPORT_MAX are
 * written (the first one left out becomes " ..."). */
static bool entry(struct pr *ps)
{
	if (ps->n++ < REPORT_MAX) {
		put(ps, wch_buf_addch(&ps->item, ' '));
		return true;
	}
	if (ps->n == REPORT_MAX + 1)
		put(ps, wch_buf_addstr(&ps->item, " ..."));
	return false;
}

static void entry_ref(struct pr *ps, const struct sv_pkg *from, const struct wch_dep *d)
{
	if (entry(ps))
		put(ps, add_ref(&ps->item, from, d));
}

static void item_begin(struct pr *ps)
{
	ps->item.len = ps->head.len = 0;
	if (ps->item.p)
		ps->item.p[0] = 0;
	if (ps->head.p)
		ps->head.p[0] = 0;
	ps->pending = true;
	ps->open = false;
}

static void item_end(struct pr *ps)
{
	if (ps->item.len && !ps->r)
		put(ps, sv_report_item(ps->s, &ps->item));
}

/* apk_dep_analyze(): does p meet d (on name dn), fail it, or not touch it? */
static int dep_analyze(const struct wch_dep *d, const struct sv_name *dn, struct sv_pkg *p)
{
	struct sv_prov pv = {p, p->pkg->version, true};
	size_t k;

	if (dn != p->name) {
		for (k = 0; k < p->pkg->provides.n && p->prov_names[k] != dn; k++)
			;
		if (k == p->pkg->provides.n)
			return DEP_IRRELEVANT;
		pv.version = p->pkg->provides.v[k].op ? p->pkg->provides.v[k].version : NULL;
		pv.real = false;
	}
	return d->conflict != sv_prov_matches(&pv, d) ? DEP_SATISFIES : DEP_CONFLICTS;
}

/* A provider apk counts as the name itself, not a virtual. */
static bool is_concrete(const struct sv_pkg *p, const struct sv_name *n)
{
	size_t k;

	if (p->name == n)
		return true;
	for (k = 0; k < p->pkg->provides.n; k++)
		if (p->prov_names[k] == n && p->pkg->provides.v[k].op)
			return true;
	return false;
}

static int push2(struct sv_vec *st, struct sv_name *n, unsigned state)
{
	int r = sv_vec_push(st, (void *)(uintptr_t)state);

	return r ? r : sv_vec_push(st, n);
}

/* Selected install_if packages whose conditions hold now that a provider of
 * n is present (discover_reverse_iif). */
static int reverse_iif(struct sv_vec *st, const struct sv_name *n)
{
	size_t i, k;
	int r = 0;

	for (i = n->niif; i-- > 0 && !r;) {
		struct sv_pkg *c = n->iif[i];
		const struct wch_deps *d = &c->pkg->install_if;
		bool ok = c->selected;
		for (k = 0; ok && k < d->n; k++)
			ok = d->v[k].conflict !=
			     ((c->iif_names[k]->rstate & (SV_RS_PRESENT | SV_RS_INSTALLIF)) != 0);
		if (!ok)
			continue;
		for (k = c->pkg->provides.n; k-- > 0 && !r;)
			r = push2(st, c->prov_names[k], SV_RS_INSTALLIF);
		if (!r)
			r = push2(st, c->name, SV_RS_INSTALLIF);
	}
	return r;
}

/* discover_name(): marks which names the selection makes present, walking
 * from the world (a worklist rather than apk's recursion). */
static int discover_name(struct sv_vec *st, struct sv_name *n, unsigned pstate)
{
	size_t j, k;
	int r = 0;

	for (j = 0; j < n->nprov && !r; j++) {
		struct sv_pkg *p = n->prov[j].p;
		const struct wch_pkg *pk = p->pkg;
		unsigned state = pstate;
		if (!p->selected)
			continue;
		if (pk->provider_priority <= 0 && !is_concrete(p, n))
			state = SV_RS_VIRTUAL_ONLY;
		if (p->rstate & state)
			continue;
		p->rstate |= state;
		p->name->rstate |= state;
		for (k = 0; k < pk->provides.n; k++)
			p->prov_names[k]->rstate |=
			    state == SV_RS_INSTALLIF && !pk->provides.v[k].op ? SV_RS_VIRTUAL_ONLY
									      : state;
		if (state != SV_RS_VIRTUAL_ONLY) {
			for (k = pk->provides.n; k-- > 0 && !r;)
				r = reverse_iif(st, p->prov_names[k]);
			if (!r)
				r = reverse_iif(st, p->name);
		}
		for (k = pk->depends.n; k-- > 0 && !r;)
			if (!pk->depends.v[k].conflict)
				r = push2(st, p->dep_names[k], SV_RS_PRESENT);
	}
	return r;
}

static int discover(struct pr *ps)
{
	const struct wch_deps *w = ps->s->world;
	struct sv_vec st = {0};
	size_t i;
	int r = 0;

	for (i = w ? w->n : 0; i-- > 0 && !r;)
		if (!w->v[ps->world[i]].conflict)
			r = push2(&st, ps->s->wnames[ps->world[i]], SV_RS_PRESENT);
	while (!r && st.n) {
		struct sv_name *n = st.v[st.n - 1];
		unsigned state = (unsigned)(uintptr_t)st.v[st.n - 2];
		st.n -= 2;
		r = discover_name(&st, n, state);
	}
	sv_vec_free(&st);
	return r;
}

static void print_pinning_errors(struct pr *ps, const struct sv_pkg *p)
{
	if (sv_tag_ok(p))
		return;
	label_start(ps, "masked in:");
	if (entry(ps))
		put(ps, wch_buf_addf(&ps->item, "@%s", ps->s->tags[p->tag]));
	label_end(ps);
}

static bool same_version(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Other selected packages providing p's names. */
static void print_conflicts(struct pr *ps, const struct sv_pkg *p)
{
	const struct sv_name *n = p->name;
	size_t j, k;

	for (j = 0; j < n->nprov; j++) {
		const struct sv_pkg *o = n->prov[j].p;
		if (o == p || !o->selected)
			continue;
		label_start(ps, "conflicts:");
		if (entry(ps))
			put(ps, add_nv(&ps->item, o));
	}
	for (k = 0; k < p->pkg->provides.n; k++) {
		const struct wch_dep *d = &p->pkg->provides.v[k];
		const char *dv = d->op ? d->version : NULL;
		bool once = true;
		n = p->prov_names[k];
		for (j = 0; j < n->nprov; j++) {
			const struct sv_prov *pv = &n->prov[j];
			if (!pv->p->selected || (!dv && !pv->version))
				continue;
			if (once && pv->p == p && same_version(pv->version, dv)) {
				once = false;
				continue;
			}
			label_start(ps, "conflicts:");
			entry_ref(ps, pv->p, d);
		}
	}
	label_end(ps);
}

/* The dependencies of the world and of selected packages that p meets or
 * fails (want), on one line. */
static void print_deps(struct pr *ps, struct sv_pkg *p, int want)
{
	const char *label = want == DEP_SATISFIES ? "satisfies:" : "breaks:";
	const struct wch_deps *w = ps->s->world;
	unsigned genid = ++ps->s->genid;
	size_t i, k, l;

	for (i = 0; w && i < w->n; i++) {
		const struct wch_dep *d = &w->v[ps->world[i]];
		if (dep_analyze(d, ps->s->wnames[ps->world[i]], p) != want)
			continue;
		label_start(ps, label);
		entry_ref(ps, NULL, d);
	}
	for (l = 0; l <= p->pkg->provides.n; l++) {
		const struct sv_name *n = l ? p->prov_names[l - 1] : p->name;
		for (i = 0; i < n->nrdeps + n->nrconf; i++) {
			struct sv_pkg *o = i < n->nrdeps ? n->rdeps[i] : n->rconf[i - n->nrdeps];
			if (!o->selected || o->genid == genid)
				continue;
			o->genid = genid;
			for (k = 0; k < o->pkg->depends.n; k++) {
				const struct wch_dep *d = &o->pkg->depends.v[k];
				if (dep_analyze(d, o->dep_names[k], p) != want)
					continue;
				label_start(ps, label);
				entry_ref(ps, o, d);
			}
		}
	}
	label_end(ps);
}

static void analyze_package(struct pr *ps, struct sv_pkg *p)
{
	item_begin(ps);
	put(ps, wch_pkg_format_nv(p->pkg, &ps->head));
	print_pinning_errors(ps, p);
	print_conflicts(ps, p);
	print_deps(ps, p, DEP_CONFLICTS);
	if (!ps->pending)
		print_deps(ps, p, DEP_SATISFIES);
	item_end(ps);
}

/* A required name nothing selected provides. */
static void analyze_missing_name(struct pr *ps, struct sv_name *n)
{
	const struct wch_deps *w = ps->s->world;
	unsigned genid = ++ps->s->genid;
	size_t i, j, k;

	item_begin(ps);
	if (n->nprov) {
		put(ps, wch_buf_addf(&ps->head, "%s (virtual)", n->s));
		label_start(ps, "note:");
		put(ps,
		    wch_buf_addstr(&ps->item,
				   " please select one of the 'provided by' packages explicitly"));
		label_end(ps);
		label_start(ps, "provided by:");
		for (j = 0; j < n->nprov; j++)
			n->prov[j].p->name->refs++;
		/* A name all of whose providers provide n is listed by name. */
		for (j = 0; j < n->nprov; j++) {
			const struct sv_pkg *p = n->prov[j].p;
			struct sv_name *m = p->name;
			if (m->refs == m->nprov) {
				if (entry(ps))
					put(ps, wch_buf_addstr(&ps->item, m->s));
				m->refs = 0;
			} else if (m->refs > 0) {
				if (entry(ps))
					put(ps, add_nv(&ps->item, p));
				m->refs--;
			}
		}
		label_end(ps);
	} else {
		put(ps, wch_buf_addf(&ps->head, "%s (no such package)", n->s));
	}
	label_start(ps, "required by:");
	for (i = 0; w && i < w->n; i++)
		if (ps->s->wnames[ps->world[i]] == n && !w->v[ps->world[i]].conflict)
			entry_ref(ps, NULL, &w->v[ps->world[i]]);
	for (i = 0; i < n->nrdeps; i++) {
		struct sv_pkg *o = n->rdeps[i];
		if (!o->selected || o->genid == genid)
			continue;
		o->genid = genid;
		for (k = 0; k < o->pkg->depends.n; k++)
			if (o->dep_names[k] == n && !o->pkg->depends.v[k].conflict)
				break;
		if (k < o->pkg->depends.n)
			entry_ref(ps, o, &o->pkg->depends.v[k]);
	}
	label_end(ps);
	item_end(ps);
}

static void analyze_deps(struct pr *ps, const struct wch_deps *d, struct sv_name *const *names,
			 const size_t *order)
{
	size_t i;

	for (i = 0; d && i < d->n && !ps->r; i++) {
		size_t k = order ? order[i] : i;
		struct sv_name *n = names[k];
		if (d->v[k].conflict ||
		    (n->rstate & (SV_RS_INSTALLIF | SV_RS_PRESENT | SV_RS_MISSING)))
			continue;
		n->rstate |= SV_RS_MISSING;
		analyze_missing_name(ps, n);
	}
}

static int cmp_by_pkg(const void *a, const void *b)
{
	const struct wch_pkg *x = (*(struct sv_pkg *const *)a)->pkg;
	const struct wch_pkg *y = (*(struct sv_pkg *const *)b)->pkg;

	return x < y ? -1 : x > y;
}

int sv_report(struct sv *s)
{
	const struct wch_deps *w = s->world;
	struct wch_solution sol = {0};
	struct sv_pkg **bypkg = NULL;
	struct pr ps = {.s = s};
	size_t i, j, n = s->selected.n, nw = w ? w->n : 0;

	ps.world = calloc(nw ? nw : 1, sizeof(*ps.world));
	bypkg = calloc(n ? n : 1, sizeof(*bypkg));
	if (!ps.world || !bypkg) {
		put(&ps, -ENOMEM);
		goto out;
	}
	/* apk keeps its world sorted by name (§6.2). */
	for (i = 0; i < nw; i++) {
		for (j = i; j > 0 && strcmp(w->v[ps.world[j - 1]].name, w->v[i].name) > 0; j--)
			ps.world[j] = ps.world[j - 1];
		ps.world[j] = i;
	}
	put(&ps, discover(&ps));
	/* The packages in apk's changeset order. */
	if (!ps.r)
		put(&ps, sv_install_order(s, &sol));
	if (!ps.r)
		put(&ps, sv_apk_order(s, &sol, w));
	if (ps.r)
		goto out;
	if (n)
		memcpy(bypkg, s->selected.v, n * sizeof(*bypkg));
	qsort(bypkg, n, sizeof(*bypkg), cmp_by_pkg);
	analyze_deps(&ps, w, s->wnames, ps.world);
	for (i = 0; i < sol.n && !ps.r; i++) {
		struct sv_pkg key = {.pkg = sol.pkgs[i]}, *kp = &key, **f;
		f = bsearch(&kp, bypkg, n, sizeof(*bypkg), cmp_by_pkg);
		if (!f)
			continue;
		analyze_package(&ps, *f);
		analyze_deps(&ps, &(*f)->pkg->depends, (*f)->dep_names, NULL);
	}
	if (!ps.r && !ps.labels && !s->nproblems) {
		item_begin(&ps);
		put(&ps, wch_buf_addstr(&ps.item, "  Huh? Error reporter did not find the "
						  "broken constraints.\n"));
		item_end(&ps);
	}
out:
	wch_solution_release(&sol);
	wch_buf_release(&ps.item);
	wch_buf_release(&ps.head);
	free(ps.world);
	free(bypkg);
	return ps.r;
}
