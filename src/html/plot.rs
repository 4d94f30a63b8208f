//! The plot behind a refuted scalar step: both sides along one variable
//! around the counterexample, every value from nabla's evaluator, the points
//! where the sides certainly differ (disjoint rigorous enclosures or unequal
//! exact values) shaded, and the counterexample itself, evaluated exactly,
//! marked. Drawn as an inline SVG by hand (no script, no library), so the page
//! stays self-contained and deterministic.

use crate::check::Counterexample;
use crate::domain::{Domains, VarDomain};
use crate::eval::{self, Agreement, Binding, Value};
use crate::expr::{ExprId, Store, Symbol};
use crate::html::mathml::escape;
use num_rational::BigRational;

/// Points along the chosen variable.
const SAMPLES: usize = 161;
/// Points per candidate when choosing the variable.
const PROBES: usize = 33;
/// Largest step (distinct nodes of both sides) plotted: a count, not a time,
/// so the page is the same on every machine.
const MAX_PLOTTED_NODES: usize = 4_000;

/// The sides along one variable, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The variable along the x axis.
    pub variable: String,
    /// The other variables, fixed at the counterexample (`y = 2`).
    pub fixed: Vec<String>,
    /// The counterexample's value of the variable, and both sides there.
    pub at: f64,
    pub at_lhs: f64,
    pub at_rhs: f64,
    /// The exact values as text (`x = 1/2`), as the counterexample states them.
    pub at_label: String,
    pub samples: Vec<Sample>,
}

/// Both sides at one x; `None` where a side is undefined there or the point
/// breaks the step's conditions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub x: f64,
    pub lhs: Option<f64>,
    pub rhs: Option<f64>,
    /// The evaluator shows the sides differ here for certain.
    pub differ: bool,
}

/// Entries of one vector tried as the plot's variable.
const MAX_ENTRY_CANDIDATES: usize = 4;

/// A variable the plot may run along: a scalar, or one entry of a vector.
struct Candidate {
    symbol: Symbol,
    entry: Option<usize>,
    value: BigRational,
    positive: bool,
}

/// Where a scalar variable may go: `Some(true)` for a positive one.
fn plottable(domains: &Domains, s: Symbol) -> Option<bool> {
    match domains.get(s) {
        None | Some(VarDomain::Real) => Some(domains.is_positive(s)),
        Some(VarDomain::Positive) => Some(true),
        _ => None,
    }
}

/// The plot of `lhs = rhs` under `conditions` around the counterexample `cx`,
/// along the scalar variable whose sides separate most; `None` when no real
/// scalar variable is free in the step (a vector claim, a step about sizes).
pub fn sample(
    store: &Store,
    domains: &Domains,
    (lhs, rhs): (ExprId, ExprId),
    conditions: &[ExprId],
    cx: &Counterexample,
) -> Option<Plot> {
    if store.dag_size(lhs) + store.dag_size(rhs) > MAX_PLOTTED_NODES {
        return None;
    }
    let mut free = store.free_symbols(lhs);
    free.extend(store.free_symbols(rhs));
    // every real scalar, and the first entries of every vector, free in the step
    let mut candidates: Vec<Candidate> = Vec::new();
    for (s, b) in &cx.point {
        if !free.contains(s) {
            continue;
        }
        match b {
            Binding::Scalar(v) => {
                if let Some(positive) = plottable(domains, *s) {
                    candidates.push(Candidate {
                        symbol: *s,
                        entry: None,
                        value: v.clone(),
                        positive,
                    });
                }
            }
            Binding::Vector(entries) => {
                for (k, v) in entries.iter().enumerate().take(MAX_ENTRY_CANDIDATES) {
                    candidates.push(Candidate {
                        symbol: *s,
                        entry: Some(k),
                        value: v.clone(),
                        positive: false,
                    });
                }
            }
            _ => {}
        }
    }
    if candidates.is_empty() {
        return None;
    }
    let base = cx.env();
    let at_point = |x: &BigRational, c: &Candidate| {
        let mut env = base.clone();
        match (c.entry, cx.point.iter().find(|(s, _)| *s == c.symbol)) {
            (Some(k), Some((_, Binding::Vector(entries)))) => {
                let mut entries = entries.clone();
                entries[k] = x.clone();
                env.bind(c.symbol, Binding::Vector(entries));
            }
            _ => env.bind_scalar(c.symbol, x.clone()),
        }
        // the step's conditions must hold; so must the declarations' (`t > 0`),
        // where they can be decided at all
        let holds = conditions
            .iter()
            .all(|&c| eval::eval_condition(store, c, &env).unwrap_or(false))
            && domains
                .assumptions()
                .iter()
                .all(|&c| eval::eval_condition(store, c, &env).unwrap_or(true));
        if !holds {
            return None;
        }
        let l = eval::eval(store, lhs, &env).ok();
        let r = eval::eval(store, rhs, &env).ok();
        Some((l, r))
    };
    let to_sample = |x: f64, values: Option<(Option<Value>, Option<Value>)>| {
        let (l, r) = values.unwrap_or((None, None));
        let differ = match (&l, &r) {
            (Some(a), Some(b)) => Value::compare(a, b) == Agreement::Different,
            _ => false,
        };
        let finite = |v: Option<Value>| v.map(|v| v.to_f64()).filter(|f| f.is_finite());
        Sample {
            x,
            lhs: finite(l),
            rhs: finite(r),
            differ,
        }
    };
    let sweep = |c: &Candidate, n: usize| -> Vec<Sample> {
        let (lo, hi) = window(Value::Exact(c.value.clone()).to_f64(), c.positive);
        let mut out = Vec::with_capacity(n);
        for k in 0..n {
            let x = lo + (hi - lo) * k as f64 / (n - 1) as f64;
            let Some(exact) = BigRational::from_float(x) else {
                continue;
            };
            out.push(to_sample(x, at_point(&exact, c)));
        }
        out
    };
    // the variable along which the sides separate most
    let mut best: Option<(f64, usize)> = None;
    if candidates.len() > 1 {
        for (k, c) in candidates.iter().enumerate() {
            let score: f64 = sweep(c, PROBES)
                .iter()
                .filter_map(|p| Some((p.lhs?, p.rhs?)))
                .map(|(a, b)| ((a - b).abs() / (a.abs() + b.abs() + 1e-300)).min(1.0))
                .sum();
            if best.is_none_or(|(top, _)| score > top) {
                best = Some((score, k));
            }
        }
    }
    let chosen = &candidates[best.map_or(0, |(_, k)| k)];
    let at = Value::Exact(chosen.value.clone()).to_f64();
    let samples = sweep(chosen, SAMPLES);
    // the counterexample itself, exactly as the checker found it
    let (at_lhs, at_rhs) = match at_point(&chosen.value, chosen) {
        Some((Some(l), Some(r))) => (l.to_f64(), r.to_f64()),
        _ => (f64::NAN, f64::NAN),
    };
    let own = store.display_name(chosen.symbol).to_string();
    let name = match chosen.entry {
        Some(k) => format!("{own}_{}", k + 1),
        None => own.clone(),
    };
    let label_value = match chosen.entry {
        Some(_) => crate::report::shorten_numbers(&chosen.value.to_string()),
        None => cx
            .assignment
            .iter()
            .find(|(n, _)| *n == own)
            .map(|(_, v)| crate::report::shorten_numbers(v))
            .unwrap_or_else(|| format!("{at}")),
    };
    let fixed = cx
        .assignment
        .iter()
        .filter(|(n, _)| chosen.entry.is_some() || *n != name)
        .map(|(n, v)| format!("{n} = {}", crate::report::shorten_numbers(v)))
        .collect();
    Some(Plot {
        at_label: format!("{name} = {label_value}"),
        variable: name,
        fixed,
        at,
        at_lhs,
        at_rhs,
        samples,
    })
}

/// The x range around `center`: wide enough to see the shape, inside the domain.
fn window(center: f64, positive: bool) -> (f64, f64) {
    let half = (center.abs() * 0.5).max(2.0);
    let (mut lo, hi) = (center - half, center + half);
    if positive && lo <= 0.0 {
        lo = (center / 1000.0).max(f64::MIN_POSITIVE);
    }
    (lo, hi)
}

/// A round step for about `count` ticks over `span`.
fn tick_step(span: f64, count: f64) -> f64 {
    let raw = span / count;
    let magnitude = 10f64.powf(raw.log10().floor());
    let unit = raw / magnitude;
    let nice = if unit < 1.5 {
        1.0
    } else if unit < 3.5 {
        2.0
    } else if unit < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn number_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.replace('-', "−")
}

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 44.0;

/// The plot as an inline `<svg>`: both sides, the shaded region where they
/// differ, the counterexample marked (class `counterexample`), axes and a legend.
pub fn svg(plot: &Plot, id: &str) -> String {
    // the x range where either side is defined (a domain such as `t > 0` trims it)
    let xs: Vec<f64> = plot
        .samples
        .iter()
        .filter(|s| s.lhs.is_some() || s.rhs.is_some())
        .map(|s| s.x)
        .chain([plot.at])
        .collect();
    let xs = {
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        [lo, hi]
    };
    let (Some(&x_lo), Some(&x_hi)) = (xs.first(), xs.last()) else {
        return String::new();
    };
    let mut ys: Vec<f64> = plot
        .samples
        .iter()
        .flat_map(|s| [s.lhs, s.rhs])
        .flatten()
        .collect();
    ys.sort_by(|a, b| a.total_cmp(b));
    // the 2%..98% band, so one pole does not flatten the rest; the marked values always show
    let pick = |q: f64| {
        ys.get(((ys.len() as f64 - 1.0) * q).round() as usize)
            .copied()
    };
    let mut y_lo = pick(0.02).unwrap_or(-1.0);
    let mut y_hi = pick(0.98).unwrap_or(1.0);
    for v in [plot.at_lhs, plot.at_rhs] {
        if v.is_finite() {
            y_lo = y_lo.min(v);
            y_hi = y_hi.max(v);
        }
    }
    if y_hi - y_lo < 1e-9 * (1.0 + y_hi.abs()) {
        y_lo -= 1.0;
        y_hi += 1.0;
    }
    let pad = (y_hi - y_lo) * 0.08;
    let (y_lo, y_hi) = (y_lo - pad, y_hi + pad);
    let (x_lo, x_hi) = if x_hi > x_lo {
        (x_lo, x_hi)
    } else {
        (x_lo - 1.0, x_hi + 1.0)
    };
    let px = |x: f64| LEFT + (x - x_lo) / (x_hi - x_lo) * (WIDTH - LEFT - RIGHT);
    let py = |y: f64| TOP + (y_hi - y) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM);
    let inside = |y: f64| y >= y_lo && y <= y_hi;
    let mut out = format!(
        "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"both sides along {}\">",
        escape(&plot.variable)
    );
    out.push_str(&format!(
        "<defs><clipPath id=\"clip-{id}\"><rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\"/></clipPath></defs>",
        WIDTH - LEFT - RIGHT,
        HEIGHT - TOP - BOTTOM
    ));
    out.push_str(&format!(
        "<rect class=\"frame\" x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#bbb\"/>",
        WIDTH - LEFT - RIGHT,
        HEIGHT - TOP - BOTTOM
    ));
    // grid and ticks
    let step = tick_step(x_hi - x_lo, 6.0);
    let mut t = (x_lo / step).ceil() * step;
    while t <= x_hi + step * 1e-9 {
        let x = px(t);
        out.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 14.0,
            number_label(t)
        ));
        t += step;
    }
    let step = tick_step(y_hi - y_lo, 5.0);
    let mut t = (y_lo / step).ceil() * step;
    while t <= y_hi + step * 1e-9 {
        let y = py(t);
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 5.0,
            y + 4.0,
            number_label(t)
        ));
        t += step;
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" font-style=\"italic\">{}</text>",
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 8.0,
        escape(&plot.variable)
    ));
    out.push_str(&format!("<g clip-path=\"url(#clip-{id})\">"));
    // where the sides certainly differ: the band between them
    for pair in plot.samples.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (Some(al), Some(ar), Some(bl), Some(br)) = (a.lhs, a.rhs, b.lhs, b.rhs) else {
            continue;
        };
        if !(a.differ && b.differ) {
            continue;
        }
        let clamp = |y: f64| py(y.clamp(y_lo, y_hi));
        out.push_str(&format!(
            "<polygon class=\"differ\" points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"#f4a7a7\" fill-opacity=\"0.45\"/>",
            px(a.x), clamp(al), px(b.x), clamp(bl), px(b.x), clamp(br), px(a.x), clamp(ar)
        ));
    }
    // the two sides, broken where undefined or off the chart
    for (class, color, dash, side) in [
        ("lhs", "#1f5fbf", "", 0),
        ("rhs", "#d9480f", " stroke-dasharray=\"6 4\"", 1),
    ] {
        let mut path = String::new();
        let mut pen_down = false;
        for s in &plot.samples {
            let y = if side == 0 { s.lhs } else { s.rhs };
            match y.filter(|&y| inside(y)) {
                Some(y) => {
                    path.push_str(&format!(
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        px(s.x),
                        py(y)
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        out.push_str(&format!(
            "<path class=\"{class}\" d=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>",
            path.trim_end()
        ));
    }
    out.push_str("</g>");
    // the counterexample
    let cx = px(plot.at);
    out.push_str(&format!(
        "<g class=\"counterexample\"><line x1=\"{cx:.1}\" y1=\"{TOP}\" x2=\"{cx:.1}\" y2=\"{:.1}\" stroke=\"#333\" stroke-dasharray=\"2 3\"/>",
        HEIGHT - BOTTOM
    ));
    for (v, color) in [(plot.at_lhs, "#1f5fbf"), (plot.at_rhs, "#d9480f")] {
        if v.is_finite() {
            out.push_str(&format!(
                "<circle class=\"counterexample\" cx=\"{cx:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{color}\" stroke=\"#000\"/>",
                py(v)
            ));
        }
    }
    let anchor = if cx > WIDTH * 0.7 { "end" } else { "start" };
    let shift = if anchor == "end" { -6.0 } else { 6.0 };
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"{anchor}\" fill=\"#000\">{}</text></g>",
        cx + shift,
        TOP + 14.0,
        escape(&plot.at_label)
    ));
    // legend
    let lx = LEFT + 10.0;
    out.push_str(&format!(
        "<g class=\"legend\" font-size=\"11\"><rect x=\"{lx}\" y=\"{:.1}\" width=\"176\" height=\"54\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1f5fbf\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">left side</text>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d9480f\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"{:.1}\">right side</text>\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"22\" height=\"9\" fill=\"#f4a7a7\" fill-opacity=\"0.6\"/><text x=\"{:.1}\" y=\"{:.1}\">sides differ (certainly)</text></g>",
        TOP + 24.0,
        lx + 6.0, TOP + 36.0, lx + 28.0, TOP + 36.0, lx + 34.0, TOP + 40.0,
        lx + 6.0, TOP + 52.0, lx + 28.0, TOP + 52.0, lx + 34.0, TOP + 56.0,
        lx + 6.0, TOP + 63.0, lx + 34.0, TOP + 71.0,
    ));
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        for (span, count, step) in [
            (10.0, 5.0, 2.0),
            (1.0, 5.0, 0.2),
            (4.0, 6.0, 0.5),
            (700.0, 6.0, 100.0),
        ] {
            assert!(
                (tick_step(span, count) - step).abs() < 1e-12,
                "{span}/{count}"
            );
        }
        assert_eq!(window(0.0, false), (-2.0, 2.0));
        assert_eq!(window(1.0, true).0, 0.001);
        assert_eq!(number_label(-0.5), "−0.5");
    }
}

/// Most rows and columns of a refuted vector or matrix claim shown.
const MAX_ENTRIES_SHOWN: usize = 8;

/// Both sides of a refuted vector or matrix claim at the counterexample, entry
/// by entry (at most [`MAX_ENTRIES_SHOWN`] rows and columns).
#[derive(Clone, Debug, PartialEq)]
pub struct EntryTable {
    /// `(left, right, certainly different)` per entry, row by row.
    pub rows: Vec<Vec<(String, String, bool)>>,
    /// Whether rows or columns were left out.
    pub cut: bool,
}

/// The entries of both sides of a claim between vectors or matrices of sizes
/// `sizes` at the counterexample, its free indices (the first `sizes.len()`
/// index symbols of the point) run over every entry.
pub fn entry_table(
    store: &Store,
    domains: &Domains,
    (lhs, rhs): (ExprId, ExprId),
    sizes: &[ExprId],
    cx: &Counterexample,
) -> Option<EntryTable> {
    let base = cx.env();
    let dims: Vec<usize> = sizes
        .iter()
        .map(|&s| {
            let v = eval::eval(store, s, &base).ok()?;
            let n = v.as_exact()?;
            n.is_integer()
                .then(|| n.numer().to_string().parse::<usize>().ok())
                .flatten()
        })
        .collect::<Option<_>>()?;
    let mut free = store.free_symbols(lhs);
    free.extend(store.free_symbols(rhs));
    let indices: Vec<Symbol> = cx
        .point
        .iter()
        .filter(|(s, b)| {
            matches!(b, Binding::Scalar(_))
                && free.contains(s)
                && matches!(domains.get(*s), Some(VarDomain::Index { .. }))
        })
        .map(|(s, _)| *s)
        .take(2)
        .collect();
    // which index runs along the rows and which along the columns; a vector
    // (n × 1 or 1 × n) is shown as one row
    let dim = |k: usize| dims.get(k).copied().unwrap_or(1);
    let (rows, cols, row_index, col_index) = match indices.as_slice() {
        [i, j] => (dim(0), dim(1), Some(*i), Some(*j)),
        [i] if dim(1) == 1 => (1, dim(0), None, Some(*i)),
        [j] if dim(0) == 1 => (1, dim(1), None, Some(*j)),
        _ => return None,
    };
    let cut = rows > MAX_ENTRIES_SHOWN || cols > MAX_ENTRIES_SHOWN;
    let show = |v: &Value| crate::report::shorten_numbers(&v.to_string());
    let mut table = Vec::new();
    for r in 0..rows.min(MAX_ENTRIES_SHOWN) {
        let mut row = Vec::new();
        for c in 0..cols.min(MAX_ENTRIES_SHOWN) {
            let mut env = base.clone();
            if let Some(i) = row_index {
                env.bind_integer(i, r as i64 + 1);
            }
            if let Some(j) = col_index {
                env.bind_integer(j, c as i64 + 1);
            }
            let l = eval::eval(store, lhs, &env);
            let rv = eval::eval(store, rhs, &env);
            let entry = match (&l, &rv) {
                (Ok(a), Ok(b)) => (
                    show(a),
                    show(b),
                    Value::compare(a, b) == Agreement::Different,
                ),
                _ => (
                    l.map(|v| show(&v)).unwrap_or_else(|_| "undefined".into()),
                    rv.map(|v| show(&v)).unwrap_or_else(|_| "undefined".into()),
                    false,
                ),
            };
            row.push(entry);
        }
        table.push(row);
    }
    Some(EntryTable { rows: table, cut })
}
