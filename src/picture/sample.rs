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
        Some(_) => shorten_numbers(&chosen.value.to_string()),
        None => cx
            .assignment
            .iter()
            .find(|(n, _)| *n == own)
            .map(|(_, v)| shorten_numbers(v))
            .unwrap_or_else(|| format!("{at}")),
    };
    let fixed = cx
        .assignment
        .iter()
        .filter(|(n, _)| chosen.entry.is_some() || *n != name)
        .map(|(n, v)| format!("{n} = {}", shorten_numbers(v)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_stay_in_the_domain() {
        assert_eq!(window(0.0, false), (-2.0, 2.0));
        assert_eq!(window(1.0, true).0, 0.001);
        assert_eq!(window(10.0, false), (5.0, 15.0));
    }
}
