#!/bin/bash
# resolve on the complete 3.19.1 ISO repository: alpine-base gives the 25
# packages apk-tools 2.14 installs (alpine-base + its 24 dependencies). The
# expected set is computed independently from Alpine's own APKINDEX text
# (GNU tar + a python3 closure over D:/p:), and the order is checked:
# every package comes after the providers of its dependencies.
source "$SRCDIR/tests/e2e/lib.sh"
need python3
mkdir repo && ln -s "$REPO319" repo/x86_64
$W resolve -X "$PWD/repo" -k "$KEYS" alpine-base >plan.txt 2>err.txt || { cat err.txt; fail "resolve alpine-base"; }
[ "$(wc -l <plan.txt)" = 25 ] || { cat plan.txt; fail "expected 25 packages, got $(wc -l <plan.txt)"; }
[ "$(tail -n1 plan.txt)" = alpine-base-3.19.1-r0 ] || fail "alpine-base must be last"
head -n2 plan.txt | grep -q '^musl-1.2.4_git20230717-r4$' || fail "musl not first: $(head -n2 plan.txt)"
head -n2 plan.txt | grep -q '^alpine-baselayout-data-3.4.3-r2$' || fail "alpine-baselayout-data not first"
tar -xzOf "$REPO319/APKINDEX.tar.gz" APKINDEX >APKINDEX
python3 - APKINDEX plan.txt <<'PY' || fail "plan does not match the closure computed from APKINDEX"
import re, sys
pkgs, cur = [], {}
for line in open(sys.argv[1]).read().split("\n"):
    if not line:
        if cur: pkgs.append(cur); cur = {}
        continue
    cur[line[0]] = line[2:]
byname, prov = {}, {}
for p in pkgs:
    byname[p["P"]] = p
    for t in p.get("p", "").split():
        prov.setdefault(re.split("[<>=~]", t)[0], []).append(p)
def provider(n):
    if n in byname: return byname[n]
    c = prov.get(n, [])
    assert len(c) == 1, (n, [x["P"] for x in c])
    return c[0]
need, todo = set(), ["alpine-base"]
while todo:
    p = provider(todo.pop())
    if p["P"] in need: continue
    need.add(p["P"])
    todo += [re.split("[<>=~]", d)[0] for d in p.get("D", "").split() if not d.startswith("!")]
    if not todo:  # install_if (§7.5): add packages whose conditions all hold
        for q in pkgs:
            conds = [re.split("[<>=~]", c)[0] for c in q.get("i", "").split()]
            if conds and q["P"] not in need and all(c in need for c in conds):
                todo.append(q["P"])
plan = [l.strip() for l in open(sys.argv[2])]
got = {l: i for i, l in enumerate(plan)}
want = {"%s-%s" % (n, byname[n]["V"]) for n in need}
if set(plan) != want:
    print("missing", want - set(plan), "extra", set(plan) - want); sys.exit(1)
for n in need:
    p = byname[n]
    for d in p.get("D", "").split():
        if d.startswith("!"): continue
        q = provider(re.split("[<>=~]", d)[0])
        if q is p: continue
        if got["%s-%s" % (q["P"], q["V"])] > got["%s-%s" % (n, p["V"])]:
            # a dependency cycle may put one edge backwards; allow only that
            back = [e for e in q.get("D", "").split() if provider(re.split("[<>=~]", e)[0]) is p]
            if not back: print("order:", n, "before", q["P"]); sys.exit(1)
PY
exit 0
