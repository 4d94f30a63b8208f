#!/usr/bin/env python3
"""Counts what nabla judges in documents: steps judged, verdicts, refutations,
false refutations (a step refuted where NAME.expect says otherwise) and unknowns by
reason. Compares each document with its NAME.expect when there is one (steps and
`context` lines, as tests/document_corpus.rs does).

    NABLA=target/debug/nabla scripts/document_stats.py tests/documents/*.md ...
    NABLA=target/debug/nabla NABLA_ARGS="--as markdown --defs examples/seed.defs.nabla" \
        scripts/document_stats.py path/to/seed.txt
"""
import json, subprocess, sys, os, re, collections
nabla = os.environ.get("NABLA", "nabla")
if os.sep in nabla:
    nabla = os.path.abspath(nabla)
# the caller's arguments: paths among them are the caller's
CALLER_ARGS = [os.path.abspath(a) if os.path.exists(a) else a
               for a in os.environ.get("NABLA_ARGS", "").split()]
def reason_class(reason):
    for key, cls in [("refuted only if `\\log`", "log base"), ("needs values", "needs values"),
                     ("refuted only if the condition", "condition recalled"),
                     ("refuted only without the condition", "condition not attached"),
                     ("the text says this holds at", "limit in words"),
                     ("is a free variable; the text defines", "definition not used"),
                     ("is free; the text does not define", "undefined name"),
                     ("means ", "letters as product"), ("is an entry", "superscript as index"),
                     ("does not depend on", "hidden dependence"), ("budget", "budget"),
                     ("equality not established", "not established"), ("could not find lim", "limit engine"),
                     ("cross-check", "derivative cross-check"), ("kink", "kink"), ("vacuous", "vacuous"),
                     ("size limit", "size limit"), ("sample points could be evaluated", "too few points")]:
        if key in reason:
            return cls
    return "other: " + reason[:60]
def run(path, args):
    # relative arguments (a --defs file) are the caller's, except in a .expect
    out = subprocess.run([nabla, "check", "--format", "json", os.path.abspath(path)] + args,
                         cwd=os.path.dirname(os.path.abspath(path)), capture_output=True, text=True)
    return json.loads(out.stdout)["files"][0]["results"]
def main():
    total = collections.Counter(); reasons = collections.Counter(); failures = []
    for path in sys.argv[1:]:
        base, _ = os.path.splitext(path)
        exp = base + ".expect"; args = list(CALLER_ARGS); steps = []; contexts = []
        if os.path.exists(exp):
            for line in open(exp):
                if line.strip().startswith("context "):
                    at, text = line.strip()[8:].split(" ", 1); contexts.append((int(at), text.strip())); continue
                line = line.split("#")[0].strip()
                if not line or line.startswith("exit "): continue
                if line.startswith("args "): args = line[5:].split(); continue
                steps.append(" ".join(line.split()))
        results = run(path, args)
        got = [f"{('cell %d:' % r['cell']) if r.get('cell') else ''}{r['line']} {r['verdict']}" for r in results]
        for r in results:
            total["judged"] += 1; total[r["verdict"]] += 1
            if r["verdict"] == "unknown": reasons[reason_class(r.get("reason", ""))] += 1
        if os.path.exists(exp):
            if got != steps: failures.append(f"{path}: expected {steps}\n   got {got}")
            for at, text in contexts:
                if not any(r["line"] == at and (any(text in c for c in r.get("context") or []) or text in (r.get("reason") or "")) for r in results):
                    failures.append(f"{path}: no step at line {at} shows `{text}`")
            total["false refutations"] += sum(1 for g, e in zip(got, steps) if g.endswith(" refuted") and not e.endswith(" refuted"))
    print(dict(total)); print("unknown by reason:", dict(reasons))
    for f in failures: print("FAIL", f)
main()
