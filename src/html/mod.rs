//! `nabla check --format html`: one self-contained page (no network, no
//! script) a person reads in a browser: a summary, then per file every claim
//! and step with its math as MathML from nabla's own reading of it, a badge,
//! the location, the context and rule trace behind a disclosure, a plot of
//! both sides for every refuted scalar step and a table of the entries for a
//! refuted vector claim; a document is also shown as its own text with each
//! checked formula marked in place.

pub mod mathml;
pub mod plot;
pub mod tex;

use crate::check::{Counterexample, Exactness, Verdict};
use crate::numbers::shorten_numbers;
use crate::picture::{EntryTable, NoPlot, Picture, Values, MAX_ENTRIES_SHOWN};
use crate::report::{self, FileReport, ResultRow};
use crate::syntax::ast::Expected;
use mathml::escape;
use std::fmt::Write as _;

const STYLE: &str = r#"
:root { --ok: #1b7f3b; --bad: #c92a2a; --unk: #a86400; --ink: #1d1d1f; --mute: #5f6368; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  margin: 0; background: #f6f7f9; }
header { background: #fff; border-bottom: 1px solid #ddd; padding: 18px 32px 12px; }
h1 { margin: 0 0 8px; font-size: 22px; }
h1 span { color: var(--mute); font-weight: normal; font-size: 15px; }
main { padding: 8px 32px 40px; max-width: 1100px; }
.totals { display: flex; gap: 10px; flex-wrap: wrap; margin: 6px 0; }
.total { border-radius: 8px; padding: 6px 14px; background: #f0f1f3; font-size: 14px; }
.total b { font-size: 20px; margin-right: 4px; }
.total.proved b, .total.checked b { color: var(--ok); }
.total.refuted b { color: var(--bad); }
.total.unknown b { color: var(--unk); }
.verdict-line { margin: 4px 0 0; color: var(--mute); }
.verdict-line.failed { color: var(--bad); font-weight: 600; }
nav ul { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 14px; }
nav a { color: #1a56b0; text-decoration: none; }
section.file { background: #fff; border: 1px solid #e1e3e6; border-radius: 10px; margin: 20px 0; padding: 6px 20px 14px; }
section.file h2 { font-size: 17px; margin: 10px 0 2px; font-family: ui-monospace, Menlo, monospace; }
.counts { color: var(--mute); font-size: 13px; margin: 0 0 8px; }
ol.rows { list-style: none; padding: 0; margin: 0; }
li.row { border-top: 1px solid #eee; padding: 10px 0 8px; }
.head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.badge { display: inline-block; min-width: 92px; text-align: center; border-radius: 12px; padding: 1px 10px;
  font-size: 13px; font-weight: 600; color: #fff; }
.badge.proved { background: var(--ok); }
.badge.checked { background: #2f9e44; }
.badge.refuted { background: var(--bad); }
.badge.unknown { background: var(--unk); }
.where { font-family: ui-monospace, Menlo, monospace; font-size: 13px; color: var(--mute); }
.title { font-weight: 600; }
.expect { font-size: 13px; color: var(--mute); }
.expect.failed { color: var(--bad); font-weight: 600; }
.math { margin: 4px 0 2px 4px; overflow-x: auto; font-size: 17px; }
.math math { text-align: left; }
.math code { font-size: 14px; }
.detail { margin: 2px 0; font-size: 14px; color: #333; overflow-wrap: anywhere; }
details { margin: 4px 0; font-size: 13.5px; }
summary { cursor: pointer; color: #1a56b0; }
details ul { margin: 4px 0; padding-left: 22px; }
details li { overflow-wrap: anywhere; }
.trace { font-family: ui-monospace, Menlo, monospace; font-size: 12.5px; }
svg.plot { display: block; max-width: 100%; height: auto; margin: 6px 0; font-family: system-ui, sans-serif; }
.plot-caption { font-size: 13px; color: var(--mute); margin: 0; }
table.entries { border-collapse: collapse; margin: 6px 12px 6px 0; display: inline-table; font-family: ui-monospace, Menlo, monospace; font-size: 13px; }
table.entries caption { font-family: system-ui, sans-serif; color: var(--mute); text-align: left; white-space: nowrap; font-size: 12px; }
table.entries td { border: 1px solid #ddd; padding: 2px 10px; text-align: right; min-width: 2.5em; }
table.entries td.differ { background: #ffd8d8; font-weight: 700; color: var(--bad); }
table.values td { padding: 4px 14px; text-align: left; }
table.values .side { display: block; font: 11.5px system-ui, sans-serif; color: var(--mute); font-weight: normal; }
.plot-caption.no-plot { font-style: italic; }
.diagnostics li { font-size: 13.5px; }
.diagnostics .error { color: var(--bad); }
pre.source { background: #fbfbfc; border: 1px solid #eee; padding: 10px 12px; white-space: pre-wrap;
  font: 14px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-height: 640px; overflow: auto; }
pre.source code.tex { font: 13px ui-monospace, Menlo, monospace; }
pre.source .formula { border-radius: 4px; padding: 1px 3px; }
pre.source .formula.display { display: flex; align-items: center; gap: 8px; margin: 2px 0; padding: 4px 10px; white-space: normal; }
pre.source .formula.display math { flex: 1; }
pre.source .formula.proved, pre.source .formula.checked { background: #ebfbee; }
pre.source .formula.refuted { background: #fff0f0; outline: 1px solid #ffc9c9; }
pre.source .formula.unknown { background: #fff9db; }
pre.source mark { border-radius: 3px; padding: 0 1px; }
pre.source mark.proved, pre.source mark.checked { background: #d3f9d8; }
pre.source mark.refuted { background: #ffd8d8; }
pre.source mark.unknown { background: #fff3bf; }
pre.source a.pin { text-decoration: none; font-weight: 700; margin-left: 2px; font-family: system-ui, sans-serif; }
a.pin.proved, a.pin.checked { color: var(--ok); }
a.pin.refuted { color: var(--bad); }
a.pin.unknown { color: var(--unk); }
"#;

/// The badge class and text of a verdict.
fn badge(row: &ResultRow) -> (&'static str, &'static str) {
    match row.verdict {
        Verdict::Proved { .. } => ("proved", "✓ proved"),
        Verdict::Checked { .. } => ("checked", "✓ checked"),
        Verdict::Refuted { .. } => ("refuted", "✗ refuted"),
        Verdict::Unknown { .. } => ("unknown", "? unknown"),
    }
}

fn expectation(row: &ResultRow) -> Option<(bool, String)> {
    let word = |e: Expected| match e {
        Expected::Proved => "proved",
        Expected::Checked => "checked",
        Expected::Refuted => "refuted",
    };
    match (row.expected, row.passed) {
        (Some(Expected::Refuted), true) => Some((false, "(expected)".into())),
        (Some(e), false) => Some((true, format!("(expected {})", word(e)))),
        (None, false) => Some((true, "(fails)".into())),
        _ => None,
    }
}

fn location(row: &ResultRow) -> String {
    match row.cell {
        Some(c) => format!("cell {c}:{}:{}", row.line, row.column),
        None => format!("{}:{}", row.line, row.column),
    }
}

/// The page for all reports.
pub fn render(reports: &[FileReport]) -> String {
    let s = report::summarize(reports);
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>nabla report</title>\n<style>",
    );
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<header>\n");
    let _ = writeln!(
        out,
        "<h1>nabla report <span>{} file{}</span></h1>",
        s.files,
        if s.files == 1 { "" } else { "s" }
    );
    out.push_str("<div class=\"totals\">");
    for (class, n) in [
        ("proved", s.proved),
        ("checked", s.checked),
        ("refuted", s.refuted),
        ("unknown", s.unknown),
    ] {
        let _ = write!(out, "<div class=\"total {class}\"><b>{n}</b>{class}</div>");
    }
    out.push_str("</div>\n");
    let failed = s.failed > 0 || s.errors > 0;
    let _ = writeln!(
        out,
        "<p class=\"verdict-line{}\">{} as expected, {} failed, {} input error{}</p>",
        if failed { " failed" } else { "" },
        s.passed,
        s.failed,
        s.errors,
        if s.errors == 1 { "" } else { "s" }
    );
    if reports.len() > 1 {
        out.push_str("<nav><ul>");
        for (k, r) in reports.iter().enumerate() {
            let fs = report::summarize(std::slice::from_ref(r));
            let mark = if fs.failed > 0 || fs.errors > 0 {
                "✗"
            } else {
                "✓"
            };
            let _ = write!(
                out,
                "<li><a href=\"#file-{k}\">{mark} {}</a></li>",
                escape(&r.source.name)
            );
        }
        out.push_str("</ul></nav>");
    }
    out.push_str("</header>\n<main>\n");
    for (k, r) in reports.iter().enumerate() {
        file_section(&mut out, k, r);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn row_id(file: usize, row: usize) -> String {
    format!("f{file}-r{row}")
}

fn file_section(out: &mut String, k: usize, r: &FileReport) {
    let s = report::summarize(std::slice::from_ref(r));
    let _ = writeln!(
        out,
        "<section class=\"file\" id=\"file-{k}\">\n<h2>{}</h2>",
        escape(&r.source.name)
    );
    let _ = writeln!(
        out,
        "<p class=\"counts\">{} proved · {} checked · {} refuted · {} unknown · {} as expected, {} failed</p>",
        s.proved, s.checked, s.refuted, s.unknown, s.passed, s.failed
    );
    diagnostics(out, r);
    if r.coverage.is_some() {
        document_view(out, k, r);
    }
    out.push_str("<ol class=\"rows\">\n");
    for (n, row) in r.results.iter().enumerate() {
        result_row(out, &row_id(k, n), row, r.coverage.is_some());
    }
    out.push_str("</ol>\n</section>\n");
}

fn diagnostics(out: &mut String, r: &FileReport) {
    if r.diagnostics.is_empty() {
        return;
    }
    let errors = r
        .diagnostics
        .iter()
        .filter(|d| d.is_error() || d.is_failure())
        .count();
    let others = r.diagnostics.len() - errors;
    let _ = write!(
        out,
        "<details class=\"diagnostics\"{}><summary>{errors} error{}, {others} note{}</summary><ul>",
        if errors > 0 { " open" } else { "" },
        if errors == 1 { "" } else { "s" },
        if others == 1 { "" } else { "s" }
    );
    for d in &r.diagnostics {
        let at = r.source.line_col(d.span.start as usize);
        let class = if d.is_error() || d.is_failure() {
            "error"
        } else {
            "note"
        };
        let _ = write!(out, "<li class=\"{class}\">{at}: {}", escape(&d.message));
        for note in &d.notes {
            let _ = write!(out, " — {}", escape(note));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul></details>\n");
}

/// The document's own text with its formulas typeset in place (MathML from
/// their LaTeX; a formula that cannot be typeset stays as written, TeX as
/// code), each checked formula marked by its worst verdict, and a pin per
/// step linking to its row.
fn document_view(out: &mut String, k: usize, r: &FileReport) {
    let text = &r.source.text;
    let boundary = |a: usize, b: usize| {
        a <= b && b <= text.len() && text.is_char_boundary(a) && text.is_char_boundary(b)
    };
    let mut rows: Vec<(usize, usize, usize)> = r
        .results
        .iter()
        .enumerate()
        .map(|(n, row)| (row.span.start as usize, row.span.end as usize, n))
        .filter(|&(a, b, _)| boundary(a, b))
        .collect();
    rows.sort();
    let mut math: Vec<report::MathSpan> = r
        .coverage
        .as_ref()
        .map(|c| c.math.clone())
        .unwrap_or_default();
    math.sort_by_key(|m| m.span.start);
    out.push_str(
        "<details class=\"document\" open><summary>the document, its formulas typeset and each checked step marked in place</summary><pre class=\"source\">",
    );
    let mut at = 0;
    for m in &math {
        let (start, end) = (m.span.start as usize, m.span.end as usize);
        let (body_start, body_end) = (m.body.start as usize, m.body.end as usize);
        if start < at || !boundary(start, end) || !boundary(body_start, body_end) {
            continue;
        }
        marked_text(out, k, r, &rows, at, start);
        // an environment is typeset whole (`align` rows need it); else the body
        let tex = if text[start..end].starts_with("\\begin{") {
            &text[start..end]
        } else {
            &text[body_start..body_end]
        };
        let inside: Vec<usize> = rows
            .iter()
            .filter(|&&(a, b, _)| a >= start && b <= end)
            .map(|&(_, _, n)| n)
            .collect();
        match tex::mathml(tex, m.display) {
            Some(typeset) => {
                let worst = inside
                    .iter()
                    .map(|&n| badge(&r.results[n]).0)
                    .max_by_key(|class| severity(class));
                let _ = write!(
                    out,
                    "<span class=\"formula{}{}\" title=\"{}\">{typeset}",
                    if m.display { " display" } else { "" },
                    worst.map(|c| format!(" {c}")).unwrap_or_default(),
                    escape(&text[start..end])
                );
                for n in inside {
                    pin(out, k, n, &r.results[n]);
                }
                out.push_str("</span>");
            }
            None => {
                out.push_str("<code class=\"tex\">");
                marked_text(out, k, r, &rows, start, end);
                out.push_str("</code>");
            }
        }
        at = end;
    }
    marked_text(out, k, r, &rows, at, text.len());
    out.push_str("</pre></details>\n");
}

/// How bad a verdict class is, for the mark of a formula holding several steps.
fn severity(class: &str) -> u8 {
    match class {
        "refuted" => 3,
        "unknown" => 2,
        "checked" => 1,
        _ => 0,
    }
}

/// The link from a formula in the document to its row.
fn pin(out: &mut String, k: usize, n: usize, row: &ResultRow) {
    let (class, _) = badge(row);
    let mark = match row.verdict {
        Verdict::Refuted { .. } => "✗",
        Verdict::Unknown { .. } => "?",
        _ => "✓",
    };
    let _ = write!(
        out,
        "<a class=\"pin {class}\" href=\"#{}\" title=\"{}\">{mark}</a>",
        row_id(k, n),
        escape(&format!("{} {}", report::title(row), row.verdict.word()))
    );
}

/// The text from `from` to `to` as written, each step that stands wholly in
/// it marked with its verdict and pinned.
fn marked_text(
    out: &mut String,
    k: usize,
    r: &FileReport,
    rows: &[(usize, usize, usize)],
    from: usize,
    to: usize,
) {
    let text = &r.source.text;
    let mut at = from;
    for &(start, end, n) in rows {
        if start < at || end > to {
            continue;
        }
        let (class, _) = badge(&r.results[n]);
        let _ = write!(
            out,
            "{}<mark class=\"{class}\">{}</mark>",
            escape(&text[at..start]),
            escape(&text[start..end]),
        );
        pin(out, k, n, &r.results[n]);
        at = end;
    }
    out.push_str(&escape(&text[at..to]));
}

/// One result; `document` when its text is the document's LaTeX.
fn result_row(out: &mut String, id: &str, row: &ResultRow, document: bool) {
    let (class, label) = badge(row);
    let _ = write!(
        out,
        "<li class=\"row {class}\" id=\"{id}\"><div class=\"head\"><span class=\"badge {class}\">{label}</span>\
         <span class=\"where\">{}</span><span class=\"title\">{}</span>",
        escape(&location(row)),
        escape(&report::title(row))
    );
    if let Some((failed, words)) = expectation(row) {
        let _ = write!(
            out,
            "<span class=\"expect{}\">{}</span>",
            if failed { " failed" } else { "" },
            escape(&words)
        );
    }
    out.push_str("</div>");
    match &row.sides {
        Some(sides) => {
            let _ = write!(
                out,
                "<div class=\"math\">{}</div>",
                mathml::relation(sides.lhs.as_ref(), sides.op, &sides.rhs)
            );
        }
        // a document's step as the author wrote it, typeset when it can be
        None => match document.then(|| tex::mathml(&row.text, false)).flatten() {
            Some(typeset) => {
                let _ = write!(out, "<div class=\"math\">{typeset}</div>");
            }
            None => {
                let _ = write!(
                    out,
                    "<div class=\"math\"><code>{}</code></div>",
                    escape(&row.text)
                );
            }
        },
    }
    let detail = match &row.verdict {
        Verdict::Proved { trace } => format!("proved symbolically ({} rewrite steps)", trace.len()),
        Verdict::Checked { .. } => "agrees at every sample point (no proof)".to_string(),
        Verdict::Refuted { counterexample } => {
            format!("counterexample {}", describe_counterexample(counterexample))
        }
        Verdict::Unknown { reason } => reason.clone(),
    };
    let _ = write!(out, "<p class=\"detail\">{}</p>", escape(&detail));
    if let Verdict::Refuted { .. } = &row.verdict {
        match row.picture.as_deref() {
            Some(Picture::Plot(p)) => {
                out.push_str(&plot::svg(p, id));
                let mut caption = format!(
                    "both sides along {}, from nabla's evaluator; the counterexample {} is marked",
                    p.variable, p.at_label
                );
                if !p.fixed.is_empty() {
                    let _ = write!(caption, "; fixed: {}", p.fixed.join(", "));
                }
                let _ = write!(out, "<p class=\"plot-caption\">{}</p>", escape(&caption));
            }
            Some(Picture::Entries(t)) => out.push_str(&entry_tables(t)),
            Some(Picture::Values(v)) => out.push_str(&value_table(v)),
            Some(Picture::Unplotted(why)) => {
                let _ = write!(out, "<p class=\"plot-caption no-plot\">{}</p>", escape(why));
            }
            None => {}
        }
    }
    disclosure(out, row);
    out.push_str("</li>\n");
}

/// The context and rule trace behind a `<details>`.
fn disclosure(out: &mut String, row: &ResultRow) {
    let mut items: Vec<String> = Vec::new();
    for c in &row.context {
        items.push(format!("<li>{}</li>", escape(c)));
    }
    match &row.verdict {
        Verdict::Proved { trace } => {
            for step in trace {
                items.push(format!("<li class=\"trace\">{}</li>", escape(step)));
            }
        }
        _ => {
            items.push(format!("<li>{}</li>", escape(&report::verdict_detail(row))));
        }
    }
    items.push(format!(
        "<li>as written: <code>{}</code></li>",
        escape(&row.text)
    ));
    let what = match row.verdict {
        Verdict::Proved { .. } => "rule trace and context",
        _ => "context and sampling",
    };
    let _ = write!(
        out,
        "<details><summary>{what}</summary><ul>{}</ul></details>",
        items.concat()
    );
}

/// A side's value as the page shows it: an enclosure's midpoint marked `≈`
/// (its digits are approximate; that the sides differ is certain).
fn side_value(text: &str, exactness: Exactness) -> String {
    let short = shorten_numbers(text);
    match exactness {
        Exactness::Enclosure if !short.starts_with('≈') => format!("≈{short}"),
        _ => short,
    }
}

/// "at x = 0: left = 1, right = ≈0.69314718056 (note)", each side marked
/// as exact or not.
fn describe_counterexample(c: &Counterexample) -> String {
    let mut out = String::new();
    if !c.assignment.is_empty() {
        let at: Vec<String> = c
            .assignment
            .iter()
            .map(|(n, v)| format!("{n} = {}", shorten_numbers(v)))
            .collect();
        let _ = write!(out, "at {}: ", at.join(", "));
    }
    let _ = write!(
        out,
        "left = {}, right = {}",
        side_value(&c.lhs, c.exactness[0]),
        side_value(&c.rhs, c.exactness[1])
    );
    if let Some(note) = &c.note {
        let _ = write!(out, " ({note})");
    }
    out
}

/// For a refuted step without variables: both values side by side, each
/// said to be exact or an enclosure, in place of a plot.
fn value_table(v: &Values) -> String {
    let word = |e: Exactness| match e {
        Exactness::Exact => "exact",
        Exactness::Enclosure => "enclosure",
        Exactness::NotANumber => "no number",
    };
    let mut out = String::from("<table class=\"entries values\"><tr>");
    for (name, value, exactness) in [
        ("left side", &v.lhs, v.exactness[0]),
        ("right side", &v.rhs, v.exactness[1]),
    ] {
        let _ = write!(
            out,
            "<td class=\"differ\"><span class=\"side\">{name} ({})</span> {}</td>",
            word(exactness),
            escape(&side_value(value, exactness))
        );
    }
    out.push_str("</tr></table>");
    let _ = write!(
        out,
        "<p class=\"plot-caption\">{}</p>",
        escape(&NoPlot::Constant.reason())
    );
    out
}

/// For a refuted vector or matrix claim: both sides' entries side by side,
/// each in its own shape, the entries that certainly differ highlighted.
fn entry_tables(t: &EntryTable) -> String {
    let mut out = String::new();
    for (name, grid) in [("left side", &t.left), ("right side", &t.right)] {
        let _ = write!(
            out,
            "<table class=\"entries\"><caption>{name}, {}</caption>",
            escape(&grid.shape)
        );
        for row in &grid.cells {
            out.push_str("<tr>");
            for (value, differ) in row {
                let _ = write!(
                    out,
                    "<td{}>{}</td>",
                    if *differ { " class=\"differ\"" } else { "" },
                    escape(value)
                );
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }
    let mut notes = Vec::new();
    if !t.same_shape {
        notes.push("the sides have different shapes, so no entry is compared".to_string());
    }
    if t.left.cut || t.right.cut {
        notes.push(format!("the first {MAX_ENTRIES_SHOWN} rows and columns"));
    }
    if !notes.is_empty() {
        let _ = write!(
            out,
            "<p class=\"plot-caption\">{}</p>",
            escape(&notes.join("; "))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::Grid;

    #[test]
    fn entry_tables_highlight_what_differs() {
        let grid = |a: &str, b: &str| Grid {
            shape: "1×2".into(),
            cells: vec![vec![(a.into(), false), (b.into(), true)]],
            cut: false,
        };
        let t = EntryTable {
            left: grid("1", "2"),
            right: grid("1", "3"),
            same_shape: true,
        };
        let html = entry_tables(&t);
        assert_eq!(html.matches("class=\"differ\"").count(), 2, "{html}");
        assert_eq!(html.matches("<td").count(), 4, "{html}");
    }
}
