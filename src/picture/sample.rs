//! The plot behind a refuted scalar step: both sides along one variable
//! around the counterexample, every value from nabla's evaluator, the points
//! where the sides certainly differ (disjoint rigorous enclosures or unequal
//! exact values) and the counterexample itself, evaluated exactly.

use crate::check::Counterexample;
use crate::domain::{Domains, VarDomain};
use crate::eval::{self, Agreement, Binding, Value};
use crate::expr::{ExprId, Store, Symbol};
use crate::numbers::shorten_numbers;
use num_rational::BigRational;
use num_traits::Zero;

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
    /// The variable takes whole numbers only (a size, an integer): the
    /// samples are at integer points, drawn as dots.
    pub integer: bool,
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

/// Entries of one vector or matrix tried as the plot's variable.
const MAX_ENTRY_CANDIDATES: usize = 4;

/// Where a plotted variable sits in the point.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    Scalar,
    /// Entry `k` (from 0) of a vector.
    VectorEntry(usize),
    /// Entry `k` (from 0, row-major) of a matrix with `cols` columns.
    MatrixEntry {
        k: usize,
        cols: usize,
    },
}

/// The values a plotted variable may take.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Range {
    Real,
    Positive,
    /// Whole numbers from `lowest` on (none: every integer).
    Integer {
        lowest: Option<i64>,
    },
}

/// A variable the plot may run along: a scalar or a size, or one entry of a
/// vector or matrix.
struct Candidate {
    symbol: Symbol,
    slot: Slot,
    value: BigRational,
    range: Range,
}

/// Why a refuted scalar step has no plot.
#[derive(Clone, Debug, PartialEq)]
pub enum NoPlot {
    /// No variable is free in the step: there is nothing to plot along.
    Constant,
    /// The step has more nodes than a plot evaluates.
    TooLarge,
    /// The step's variables cannot move alone: sizes that shape its vectors,
    /// indices, finite sets, functions.
    NothingToMove,
    /// Neither side has a value anywhere along the chosen variable.
    Undefined,
}

impl NoPlot {
    pub fn reason(&self) -> String {
        match self {
            NoPlot::Constant => "no variable: nothing to plot; both sides' values are shown side by side".into(),
            NoPlot::TooLarge => format!(
                "no plot: the step has more than {MAX_PLOTTED_NODES} nodes, more than a plot evaluates"
            ),
            NoPlot::NothingToMove => "no plot: no variable of the step moves alone (its sizes shape its vectors and matrices; indices, finite sets and functions are not plotted)".into(),
            NoPlot::Undefined => "no plot: the sides have no value around the counterexample".into(),
        }
    }
}

/// Where a scalar variable may go; `None` for one that is not plotted (an
/// index, a finite set, a size that shapes a bound vector or matrix).
fn plottable(
    store: &Store,
    domains: &Domains,
    point: &[(Symbol, Binding)],
    s: Symbol,
) -> Option<Range> {
    let positive = |p| if p { Range::Positive } else { Range::Real };
    match domains.get(s) {
        None | Some(VarDomain::Real) => Some(positive(domains.is_positive(s))),
        Some(VarDomain::Positive) => Some(Range::Positive),
        Some(VarDomain::Integer) => Some(Range::Integer { lowest: None }),
        Some(VarDomain::Natural) => Some(Range::Integer { lowest: Some(0) }),
        // a size moves alone only when nothing bound at the point has it in its shape
        Some(VarDomain::Dim) if !shapes_something(store, domains, point, s) => {
            Some(Range::Integer { lowest: Some(1) })
        }
        _ => None,
    }
}

/// Whether size `s` is in the shape or range of a symbol bound at the point.
fn shapes_something(
    store: &Store,
    domains: &Domains,
    point: &[(Symbol, Binding)],
    s: Symbol,
) -> bool {
    point.iter().any(|(other, _)| {
        let sizes: Vec<ExprId> = match domains.get(*other) {
            Some(
                VarDomain::Vector { size } | VarDomain::OneHot { size } | VarDomain::Index { size },
            ) => vec![*size],
            Some(VarDomain::Matrix { rows, cols }) => vec![*rows, *cols],
            Some(VarDomain::Function { input, output }) => {
                input.iter().chain(output).copied().collect()
            }
            _ => Vec::new(),
        };
        sizes.iter().any(|&e| store.free_symbols(e).contains(&s))
    })
}

/// The plot of `lhs = rhs` under `conditions` around the counterexample `cx`,
/// along the variable whose sides separate most (a real scalar, a size or an
/// integer at integer points, an entry of a vector or matrix), the others
/// fixed at the counterexample; why there is none otherwise.
pub fn sample(
    store: &Store,
    domains: &Domains,
    (lhs, rhs): (ExprId, ExprId),
    conditions: &[ExprId],
    cx: &Counterexample,
) -> Result<Plot, NoPlot> {
    let mut free = store.free_symbols(lhs);
    free.extend(store.free_symbols(rhs));
    if !cx.point.iter().any(|(s, _)| free.contains(s)) {
        return Err(NoPlot::Constant);
    }
    if store.dag_size(lhs) + store.dag_size(rhs) > MAX_PLOTTED_NODES {
        return Err(NoPlot::TooLarge);
    }
    let candidates = candidates(store, domains, &free, cx);
    if candidates.is_empty() {
        return Err(NoPlot::NothingToMove);
    }
    let base = cx.env();
    let at_point = |x: &BigRational, c: &Candidate| {
        let mut env = base.clone();
        let bound = cx
            .point
            .iter()
            .find(|(s, _)| *s == c.symbol)
            .map(|(_, b)| b);
        match (c.slot, bound) {
            (Slot::VectorEntry(k), Some(Binding::Vector(entries))) => {
                let mut entries = entries.clone();
                entries[k] = x.clone();
                env.bind(c.symbol, Binding::Vector(entries));
            }
            (Slot::MatrixEntry { k, .. }, Some(Binding::Matrix { rows, cols, data })) => {
                let mut data = data.clone();
                data[k] = x.clone();
                env.bind(
                    c.symbol,
                    Binding::Matrix {
                        rows: *rows,
                        cols: *cols,
                        data,
                    },
                );
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
        let center = Value::Exact(c.value.clone()).to_f64();
        xs(center, c.range, n)
            .into_iter()
            .filter_map(|x| Some((x, BigRational::from_float(x)?)))
            .map(|(x, exact)| to_sample(x, at_point(&exact, c)))
            .collect()
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
    if samples.iter().all(|s| s.lhs.is_none() && s.rhs.is_none()) {
        return Err(NoPlot::Undefined);
    }
    // the counterexample itself, exactly as the checker found it
    let (at_lhs, at_rhs) = match at_point(&chosen.value, chosen) {
        Some((Some(l), Some(r))) => (l.to_f64(), r.to_f64()),
        _ => (f64::NAN, f64::NAN),
    };
    let own = store.display_name(chosen.symbol).to_string();
    let name = match chosen.slot {
        Slot::Scalar => own.clone(),
        Slot::VectorEntry(k) => format!("{own}_{}", k + 1),
        Slot::MatrixEntry { k, cols } => format!("{own}_{},{}", k / cols + 1, k % cols + 1),
    };
    let label_value = match chosen.slot {
        Slot::Scalar => cx
            .assignment
            .iter()
            .find(|(n, _)| *n == own)
            .map(|(_, v)| shorten_numbers(v))
            .unwrap_or_else(|| format!("{at}")),
        _ => shorten_numbers(&chosen.value.to_string()),
    };
    let fixed = cx
        .assignment
        .iter()
        .filter(|(n, _)| chosen.slot != Slot::Scalar || *n != name)
        .map(|(n, v)| format!("{n} = {}", shorten_numbers(v)))
        .collect();
    Ok(Plot {
        at_label: format!("{name} = {label_value}"),
        variable: name,
        fixed,
        at,
        at_lhs,
        at_rhs,
        integer: matches!(chosen.range, Range::Integer { .. }),
        samples,
    })
}

/// Every variable free in the step that can move alone: real scalars, sizes
/// and integers, and a few entries of each vector and matrix (those the
/// counterexample keeps nonzero first: shrinking zeroed the others).
fn candidates(
    store: &Store,
    domains: &Domains,
    free: &[Symbol],
    cx: &Counterexample,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let entries = |data: &[BigRational]| -> Vec<usize> {
        let (nonzero, zero): (Vec<usize>, Vec<usize>) =
            (0..data.len()).partition(|&k| !data[k].is_zero());
        nonzero
            .into_iter()
            .chain(zero)
            .take(MAX_ENTRY_CANDIDATES)
            .collect()
    };
    for (s, b) in &cx.point {
        if !free.contains(s) {
            continue;
        }
        match b {
            Binding::Scalar(v) => {
                if let Some(range) = plottable(store, domains, &cx.point, *s) {
                    out.push(Candidate {
                        symbol: *s,
                        slot: Slot::Scalar,
                        value: v.clone(),
                        range,
                    });
                }
            }
            Binding::Vector(data) => {
                for k in entries(data) {
                    out.push(Candidate {
                        symbol: *s,
                        slot: Slot::VectorEntry(k),
                        value: data[k].clone(),
                        range: Range::Real,
                    });
                }
            }
            Binding::Matrix { cols, data, .. } => {
                // a one-hot or other constrained tensor is no matrix of reals
                if !matches!(domains.get(*s), Some(VarDomain::Matrix { .. })) {
                    continue;
                }
                for k in entries(data) {
                    out.push(Candidate {
                        symbol: *s,
                        slot: Slot::MatrixEntry { k, cols: *cols },
                        value: data[k].clone(),
                        range: Range::Real,
                    });
                }
            }
            Binding::Function(_) => {}
        }
    }
    out
}

/// The x values of a sweep of about `n` points around `center`: evenly
/// spaced over the window for a real, whole numbers for an integer.
fn xs(center: f64, range: Range, n: usize) -> Vec<f64> {
    match range {
        Range::Integer { lowest } => integer_points(center, lowest, n),
        Range::Real | Range::Positive => {
            let (lo, hi) = window(center, range == Range::Positive);
            (0..n)
                .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
                .collect()
        }
    }
}

/// Whole numbers around `center` (at least 4 either side, or half its size),
/// none below `lowest`; every one when they are at most `n`, else `n` of them
/// evenly spread.
fn integer_points(center: f64, lowest: Option<i64>, n: usize) -> Vec<f64> {
    let center = center.round();
    let half = (center.abs() / 2.0).round().max(4.0);
    let lo = match lowest {
        Some(low) => (center - half).max(low as f64),
        None => center - half,
    };
    let hi = center + half;
    let count = (hi - lo) as usize + 1;
    if count <= n {
        return (0..count).map(|k| lo + k as f64).collect();
    }
    let mut out: Vec<f64> = (0..n)
        .map(|k| (lo + (hi - lo) * k as f64 / (n - 1) as f64).round())
        .collect();
    // the counterexample's own value is always a sample
    out.push(center);
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_stay_in_the_domain() {
        assert_eq!(window(0.0, false), (-2.0, 2.0));
        assert_eq!(window(1.0, true).0, 0.001);
        assert_eq!(window(10.0, false), (5.0, 15.0));
    }

    #[test]
    fn integer_points_are_whole_and_in_range() {
        for (center, lowest, n, expected) in [
            (2.0, Some(1), 161, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            (0.0, None, 161, (-4..=4).map(f64::from).collect()),
            (3.0, Some(0), 5, vec![0.0, 2.0, 3.0, 4.0, 5.0, 7.0]),
        ] {
            assert_eq!(integer_points(center, lowest, n), expected, "{center}");
        }
        let wide = integer_points(768.0, Some(1), 161);
        assert!(wide.len() <= 162 && wide.contains(&768.0));
        assert!(wide
            .iter()
            .all(|x| x.fract() == 0.0 && *x >= 384.0 && *x <= 1152.0));
    }
}
