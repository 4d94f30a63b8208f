"""A report as one self-contained HTML table, for Jupyter (`_repr_html_`).

No scripts and no network: a badge per step (✓ proved, ✓ checked, ✗ refuted,
? unknown), the location, the step (as MathML from nabla's own reading of it;
a document step it has no reading of is left as LaTeX between `\\(`…`\\)` for
the notebook's own MathJax, any other as code),
the counterexample or reason, and the rule trace and context behind a
disclosure.
"""

from __future__ import annotations

import html
from typing import Iterable, List, Optional

# `Report` and `Step` (nabla._types) appear in annotations only, as strings:
# importing them here would tie the two modules in a loop

_COLORS = {
    "proved": ("#1a7f37", "#dafbe1"),
    "checked": ("#1f6feb", "#ddf4ff"),
    "refuted": ("#cf222e", "#ffebe9"),
    "unknown": ("#9a6700", "#fff8c5"),
}

_STYLE = (
    "<style>"
    ".nabla-report{border-collapse:collapse;font-size:13px;margin:4px 0}"
    ".nabla-report th,.nabla-report td{border-bottom:1px solid #d0d7de;padding:4px 8px;"
    "text-align:left;vertical-align:top}"
    ".nabla-report .badge{border-radius:10px;padding:1px 8px;white-space:nowrap;font-weight:600}"
    ".nabla-report code{white-space:pre-wrap}"
    ".nabla-report .loc{white-space:nowrap;color:#57606a}"
    ".nabla-report details summary{cursor:pointer;color:#57606a}"
    "</style>"
)


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def _math(step: "Step") -> str:
    if step.mathml:
        # MathML nabla wrote from its own reading of the step (escaped there)
        return step.mathml
    if step.document:
        # the notebook typesets \( \) itself; escaped so no text becomes markup
        return f"\\({escape(step.text)}\\)"
    return f"<code>{escape(step.text)}</code>"


def _badge(step: "Step") -> str:
    word = step.verdict.value
    fg, bg = _COLORS[word]
    return (
        f'<span class="badge" style="color:{fg};background:{bg}">'
        f"{step.verdict.mark} {word}</span>"
    )


def _detail(step: "Step") -> str:
    parts: List[str] = []
    c = step.counterexample
    if c is not None:
        values = "".join(
            f"<tr><td><code>{escape(k)}</code></td><td><code>{escape(_show(v))}</code></td></tr>"
            for k, v in c.values.items()
        )
        if values:
            parts.append(f'<table class="nabla-values">{values}</table>')
        # an enclosure's midpoint is marked ≈ (its digits are approximate, the difference is not)
        def side(text: str, exact: Optional[bool]) -> str:
            approx = "≈" if exact is False else ""
            return f"<code>{approx}{escape(text)}</code>"

        parts.append(
            f"left = {side(c.lhs_text, c.lhs_exact)}, right = {side(c.rhs_text, c.rhs_exact)}"
            + (f" ({escape(c.note)})" if c.note else "")
        )
    elif step.reason:
        parts.append(escape(step.reason))
    elif step.points is not None:
        parts.append(f"agrees at {step.points} sample points")
    elif step.trace:
        parts.append("proved symbolically")
    extra: List[str] = []
    if step.trace:
        rules = "".join(f"<li><code>{escape(r)}</code></li>" for r in step.trace)
        extra.append(f"<details><summary>rule trace ({len(step.trace)})</summary><ol>{rules}</ol></details>")
    if step.explored is not None:
        extra.append(f"<details><summary>explored</summary>{escape(step.explored.summary)}</details>")
    if step.context:
        items = "".join(f"<li>{escape(x)}</li>" for x in step.context)
        extra.append(f"<details><summary>context</summary><ul>{items}</ul></details>")
    expected = f" (expected {escape(step.expected)})" if step.expected else ""
    mark = "" if step.passed else ' <b style="color:#cf222e">failed</b>'
    return "<br>".join(parts) + expected + mark + "".join(extra)


def _show(v: object) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return str(v)


def steps_table(steps: Iterable["Step"]) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{_badge(s)}</td>"
        f'<td class="loc">{escape(_where(s))}</td>'
        f"<td>{escape(s.title)}<br>{_math(s)}</td>"
        f"<td>{_detail(s)}</td>"
        "</tr>"
        for s in steps
    )
    head = "<tr><th>verdict</th><th>where</th><th>step</th><th>why</th></tr>"
    return f'{_STYLE}<table class="nabla-report">{head}{rows}</table>'


def _where(step: "Step") -> str:
    loc = step.location
    cell = f"cell {loc.cell}, " if loc.cell is not None else ""
    return f"{cell}line {loc.line}:{loc.column}"


def report_html(report: "Report") -> str:
    s = report.summary
    summary = (
        f"<p><b>{s.proved}</b> proved, <b>{s.checked}</b> checked, "
        f"<b>{s.refuted}</b> refuted, <b>{s.unknown}</b> unknown"
        f"{'' if s.errors == 0 else f', <b>{s.errors}</b> input errors'}"
        f" &mdash; {'all as expected' if report.passed else 'some failed'}</p>"
    )
    messages = "".join(
        f'<li style="color:{"#cf222e" if d.kind != "warning" else "#57606a"}">'
        f"{escape(d.kind)}: {escape(_where_diag(d))}{escape(d.message)}</li>"
        for d in report.diagnostics
        if d.kind != "warning"
    )
    files = {f.file for f in report.files}
    body = ""
    for f in report.files:
        if not f.steps:
            continue
        title = f"<p><code>{escape(f.file)}</code></p>" if len(files) > 1 else ""
        body += title + steps_table(f.steps)
    return summary + (f"<ul>{messages}</ul>" if messages else "") + body


def _where_diag(d: object) -> str:
    loc = getattr(d, "location")
    if loc.line <= 0:
        return ""
    cell = f"cell {loc.cell}, " if loc.cell is not None else ""
    return f"{cell}line {loc.line}:{loc.column}: "
