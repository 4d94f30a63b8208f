#!/usr/bin/env python3
"""Tallies nabla's verdicts on documents: steps judged, proved / checked /
refuted / unknown, the unknowns by reason, and (for documents with a `.expect`
file beside them, as in tests/documents/) the false refutations: steps refuted
where the expectation says otherwise.

    python3 benches/document_verdicts.py tests/documents
    python3 benches/document_verdicts.py SEED.txt --as markdown --defs examples/seed.defs.nabla

The binary is target/debug/nabla unless --nabla says otherwise.
"""

import argparse
import collections
import json
import pathlib
import re
import subprocess

KINDS = (".md", ".tex", ".ipynb", ".txt")

# the reasons of an unknown, first match wins: (class, pattern)
REASONS = [
    ("condition or limit before the step", r"condition .* stated before|could not attach|holds at .*limit"),
    ("shape inferred or stated earlier", r"shape|shapes"),
    ("name kept free though defined", r"is a free variable; the text defines"),
    ("does not depend on", r"does not depend on"),
    ("needs values", r"needs values"),
    ("letters read as a product", r"means .*·"),
    ("superscript read as an index", r"not a power"),
    ("log base", r"\\log"),
    ("any function", r"may be any function"),
    ("free name", r"is free; the text does not define"),
    ("too few sample points", r"sample points could be evaluated"),
]


def reason_class(reason):
    for name, pattern in REASONS:
        if re.search(pattern, reason or ""):
            return name
    return "other: " + (reason or "")[:60]


def expectations(path):
    """(location -> expected verdicts, extra arguments) from NAME.expect."""
    expect = path.with_suffix(".expect")
    if not expect.exists():
        return None, []
    table, extra = {}, []
    for line in expect.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("args "):
            extra = line[5:].split()
            continue
        m = re.match(r"^((?:cell \d+:)?\d+)\s+(\S+)", line)
        if m:
            table[m.group(1)] = m.group(2).split("|")
    return table, extra


def location(result):
    cell = result.get("cell")
    return f"cell {cell}:{result['line']}" if cell is not None else str(result["line"])


def run(nabla, path, extra):
    out = subprocess.run(
        [nabla, "check", str(path), "--format", "json", *extra],
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(out.stdout)["files"][0]["results"]
    except (ValueError, KeyError, IndexError):
        return []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("--nabla", default="target/debug/nabla")
    parser.add_argument("--as", dest="kind")
    parser.add_argument("--defs")
    args = parser.parse_args()
    extra = []
    if args.kind:
        extra += ["--as", args.kind]
    if args.defs:
        extra += ["--defs", args.defs]
    target = pathlib.Path(args.target)
    paths = sorted(p for p in target.iterdir() if p.suffix in KINDS) if target.is_dir() else [target]
    verdicts = collections.Counter()
    reasons = collections.Counter()
    false_refutations = []
    refuted_at = []
    for path in paths:
        expected, own = expectations(path)
        # the expectation's own arguments name files beside the document
        own = [str(path.parent / a) if (path.parent / a).exists() else a for a in own]
        for r in run(args.nabla, path, extra + own):
            verdicts[r["verdict"]] += 1
            if r["verdict"] == "unknown":
                reasons[reason_class(r.get("reason"))] += 1
            if r["verdict"] == "refuted":
                refuted_at.append(f"{path.name}:{location(r)}")
                if expected is not None and "refuted" not in expected.get(location(r), []):
                    false_refutations.append(f"{path.name}:{location(r)}")
    print(f"documents: {len(paths)}")
    print(f"steps judged: {sum(verdicts.values())}")
    for v in ("proved", "checked", "refuted", "unknown"):
        print(f"  {v}: {verdicts[v]}")
    if any(expectations(p)[0] is not None for p in paths):
        print(f"false refutations: {len(false_refutations)} {false_refutations}")
    else:
        print(f"refuted at: {', '.join(refuted_at)}")
    print("unknowns by reason:")
    for name, count in reasons.most_common():
        print(f"  {count:3} {name}")


if __name__ == "__main__":
    main()
