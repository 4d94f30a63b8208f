//! Claims with limits: each `lim` is replaced by the value `crate::limit` finds
//! for it, case by case, and the result is judged by the ordinary machinery.
//!
//! Cases: a limit at a finite point is followed from the right and from the
//! left; a sign the limit depends on (`σ(k·x)` and the sign of `x`) splits
//! the claim into `x > 0`, `x < 0` and `x = 0`; a power `(−1)^k` splits the
//! integers into even and odd `k`. The claim holds when it holds in every case
//! and is refuted when one case refutes it: each case is a part of the domain,
//! or a subsequence, whose limit the true limit must equal.
//!
//! Invariant: no verdict here comes from following a sequence in floating
//! point. A limit nabla cannot find is `unknown` with the reason.

use super::{
    check_obligation_until, defined_point, CheckConfig, Counterexample, CrossChecks, DefinedPoint,
    Exactness, Verdict,
};
use crate::domain::Domains;
use crate::expr::{ExprId, LimitTo, Node, Store, Symbol};
use crate::limit::{self, Approach, Facts, LimitValue, Sign, Stuck};
use crate::lower::Obligation;
use num_rational::BigRational;
use num_traits::{Signed, Zero};
use std::collections::HashMap;
use std::time::Instant;

/// Most cases one claim is split into.
const MAX_CASES: usize = 16;

/// Whether the obligation mentions a limit anywhere.
pub fn mentions_limit(store: &Store, ob: &Obligation) -> bool {
    let mut roots = vec![ob.lhs, ob.rhs];
    roots.extend(&ob.conditions);
    roots.into_iter().any(|r| !limits_in(store, r).is_empty())
}

/// The limit nodes in `root`, in a fixed order (outer limits only).
fn limits_in(store: &Store, root: ExprId) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        if !seen.insert(e) {
            continue;
        }
        if let Node::Limit { .. } = store.node(e) {
            out.push(e);
            continue;
        }
        let mut kids = store.children(e);
        kids.reverse();
        stack.extend(kids);
    }
    out
}

/// One part of the claim: sign facts, a substitution for a variable shown to
/// be a point (`x = 0`), the parity of each `(−1)^k` limit, and the side of
/// each limit at a finite point.
#[derive(Clone, Debug, Default)]
struct Case {
    signs: Vec<(ExprId, Sign)>,
    substitutions: Vec<(Symbol, ExprId)>,
    /// Index of a limit (in `limits_in` order) → `k` odd.
    parity: Vec<(usize, bool)>,
    /// Indices of the limits at a finite point followed from the left.
    left: Vec<usize>,
}

impl Case {
    fn describe(&self, store: &Store, limits: &[ExprId]) -> String {
        let mut parts: Vec<String> = Vec::new();
        for &(e, s) in &self.signs {
            let op = match s {
                Sign::Negative => "<",
                Sign::Zero => "=",
                Sign::Positive => ">",
            };
            parts.push(format!("where {} {op} 0", store.display(e)));
        }
        for &(i, odd) in &self.parity {
            let var = limit_var(store, limits, i)
                .map_or("k".to_string(), |v| store.display_name(v).to_string());
            parts.push(format!("along {} {var}", if odd { "odd" } else { "even" }));
        }
        for (i, &l) in limits.iter().enumerate() {
            if let Node::Limit {
                var,
                to: LimitTo::Point(_),
                ..
            } = store.node(l)
            {
                let side = if self.left.contains(&i) {
                    "left"
                } else {
                    "right"
                };
                parts.push(format!("{} from the {side}", store.display_name(*var)));
            }
        }
        parts.join(", ")
    }
}

fn limit_var(store: &Store, limits: &[ExprId], i: usize) -> Option<Symbol> {
    match store.node(*limits.get(i)?) {
        Node::Limit { var, .. } => Some(*var),
        _ => None,
    }
}

/// What one case comes to: the obligation with every limit replaced by its
/// value, or a side that is infinite.
struct Resolved {
    obligation: Obligation,
    /// `(side is lhs, +∞?)` when a whole side is an infinite limit.
    infinite: Vec<(bool, bool)>,
    /// `lim … = value` for each limit, for the trace.
    found: Vec<String>,
}

/// The verdict on an obligation that mentions a limit.
pub(super) fn check(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    config: &CheckConfig,
    deadline: Instant,
) -> Verdict {
    if ob
        .conditions
        .iter()
        .any(|&c| !limits_in(store, c).is_empty())
    {
        return unknown("a limit in a `where` condition is not supported".to_string());
    }
    let limits: Vec<ExprId> = [ob.lhs, ob.rhs]
        .iter()
        .flat_map(|&r| limits_in(store, r))
        .collect();
    for &l in &limits {
        if let Node::Limit { body, .. } = store.node(l) {
            if !limits_in(store, *body).is_empty() {
                return unknown("nested limits are not supported".to_string());
            }
        }
    }
    // a limit at a finite point is followed from both sides
    let mut queue = vec![Case::default()];
    for (i, &l) in limits.iter().enumerate() {
        if let Node::Limit {
            to: LimitTo::Point(_),
            ..
        } = store.node(l)
        {
            let mut next = Vec::new();
            for case in queue {
                let mut left = case.clone();
                left.left.push(i);
                next.push(case);
                next.push(left);
            }
            queue = next;
        }
    }
    let mut done: Vec<(Case, Resolved)> = Vec::new();
    // cases where the body has no value near the point (outside its domain)
    let mut outside: Vec<String> = Vec::new();
    while let Some(case) = queue.pop() {
        if done.len() + queue.len() >= MAX_CASES {
            return unknown(format!("the limit splits into more than {MAX_CASES} cases"));
        }
        match resolve(store, domains, ob, &case, deadline) {
            Ok(resolved) => done.push((case, resolved)),
            Err((Stuck::Sign(c), _)) if case.signs.iter().any(|&(e, _)| e == c) => {
                return unknown(format!(
                    "could not decide the sign of {} for the limit",
                    store.display(c)
                ));
            }
            Err((Stuck::Sign(c), _)) => {
                let mut scoped = domains.clone();
                for &cond in &ob.conditions {
                    scoped.assume(cond);
                }
                for sign in limit::possible_signs(store, &scoped, c) {
                    let mut next = case.clone();
                    next.signs.push((c, sign));
                    if sign == Sign::Zero {
                        match solve_linear(store, domains, ob, c) {
                            Root::At(x, value) => next.substitutions.push((x, value)),
                            // no admissible point has c = 0: the case is empty
                            Root::Nowhere => continue,
                            Root::Unsolved => {}
                        }
                    }
                    queue.push(next);
                }
            }
            Err((Stuck::Parity, Some(i))) => {
                for odd in [false, true] {
                    let mut next = case.clone();
                    next.parity.push((i, odd));
                    queue.push(next);
                }
            }
            Err((Stuck::Parity, None)) => {
                return unknown("an oscillating power nabla cannot follow".to_string())
            }
            Err((Stuck::Unknown(why), Some(i))) => {
                let shown = store.display(limits[i]);
                if why.starts_with("budget exceeded") {
                    return Verdict::Unknown {
                        reason: format!(
                            "budget exceeded: {} s per claim while finding {shown} \
                             (raise it with --time-budget)",
                            config.time_budget.as_secs_f64()
                        ),
                    };
                }
                return unknown(format!("could not find {shown}: {why}"));
            }
            Err((Stuck::Undefined(why), _)) => {
                let label = case.describe(store, &limits);
                outside.push(if label.is_empty() {
                    why
                } else {
                    format!("{why} ({label})")
                });
            }
            Err((Stuck::Unknown(why), None)) => return unknown(why),
        }
    }
    if done.is_empty() {
        let why = outside.first().cloned().unwrap_or_default();
        return unknown(format!(
            "the limit's body has no value near its point: {why}"
        ));
    }
    done.reverse();
    judge(store, domains, config, deadline, &limits, done, &outside)
}

fn unknown(reason: String) -> Verdict {
    Verdict::Unknown { reason }
}

/// Where `c = 0`, for a case split on the sign of `c`.
enum Root {
    /// Only at `x = value`, which meets `x`'s domain and every condition on `x`.
    At(Symbol, ExprId),
    /// At no admissible point (`2·n − 1` for an integer `n`, a root outside `x > 1`).
    Nowhere,
    Unsolved,
}

/// `c = 0` solved for a variable when `c` is `a·x + b` with numbers `a ≠ 0`,
/// `b`, or a number times a positive power of one (`x^2`, `3·(x − 1)^2`); the
/// root is checked against `x`'s domain and the conditions that mention only `x`.
fn solve_linear(store: &mut Store, domains: &Domains, ob: &Obligation, c: ExprId) -> Root {
    let Some((x, root)) = linear_root(store, domains, c) else {
        return Root::Unsolved;
    };
    use crate::domain::VarDomain;
    let fits = match domains.get(x) {
        Some(VarDomain::Integer) => root.is_integer(),
        Some(VarDomain::Natural) => root.is_integer() && !root.is_negative(),
        Some(VarDomain::Positive) => root.is_positive(),
        _ => true,
    };
    if !fits {
        return Root::Nowhere;
    }
    let mut env = crate::eval::Env::new();
    env.bind_scalar(x, root.clone());
    let conditions: Vec<ExprId> = domains
        .assumptions()
        .iter()
        .chain(&ob.conditions)
        .copied()
        .filter(|&cond| store.contains_symbol(cond, x))
        .collect();
    for cond in conditions {
        if store.free_symbols(cond) != [x] {
            return Root::Unsolved;
        }
        match crate::eval::eval_condition(store, cond, &env) {
            Ok(true) => {}
            Ok(false) => return Root::Nowhere,
            Err(_) => return Root::Unsolved,
        }
    }
    Root::At(x, store.num(root))
}

fn linear_root(store: &mut Store, domains: &Domains, c: ExprId) -> Option<(Symbol, BigRational)> {
    let c = linear_core(store, c);
    let symbols = store.free_symbols(c);
    let [x] = symbols[..] else {
        return None;
    };
    if !matches!(
        domains.get(x),
        None | Some(crate::domain::VarDomain::Real)
            | Some(crate::domain::VarDomain::Positive)
            | Some(crate::domain::VarDomain::Integer)
            | Some(crate::domain::VarDomain::Natural)
    ) {
        return None;
    }
    let at = |store: &mut Store, v: i64| -> Option<BigRational> {
        let value = store.int(v);
        let e = store.substitute(c, x, value);
        let e = crate::simplify::canonical(store, domains, e).value;
        store.as_num(e).cloned()
    };
    let (b, a1) = (at(store, 0)?, at(store, 1)?);
    let a = &a1 - &b;
    if a.is_zero() {
        return None;
    }
    // linear for certain: c + (−a)·x + (−b) is 0 in canonical form (one flat sum)
    let slope = store.num(-a.clone());
    let offset = store.num(-b.clone());
    let xe = store.add(Node::Sym(x));
    let ax = store.product(vec![slope, xe]);
    let difference = store.sum(vec![c, ax, offset]);
    let difference = crate::simplify::canonical(store, domains, difference).value;
    if !store.as_num(difference).is_some_and(|r| r.is_zero()) {
        return None;
    }
    Some((x, -b / a))
}

/// The factor whose zero is the zero of `c`: `c` without a numeric factor and
/// a positive exponent (the roots of `3·u^2` are those of `u`).
fn linear_core(store: &Store, c: ExprId) -> ExprId {
    match store.node(c) {
        Node::Pow(base, exponent)
            if store
                .as_num(*exponent)
                .is_some_and(num_traits::Signed::is_positive) =>
        {
            linear_core(store, *base)
        }
        Node::Mul(factors) => {
            let symbolic: Vec<ExprId> = factors
                .iter()
                .copied()
                .filter(|&f| store.as_num(f).is_none())
                .collect();
            let nonzero_numbers = factors
                .iter()
                .all(|&f| store.as_num(f).is_none_or(|r| !r.is_zero()));
            match symbolic[..] {
                [one] if nonzero_numbers => linear_core(store, one),
                _ => c,
            }
        }
        _ => c,
    }
}

/// The obligation of one case with every limit replaced by its value.
/// `Err` carries why it is stuck and the index of the limit that is.
fn resolve(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    case: &Case,
    deadline: Instant,
) -> Result<Resolved, (Stuck, Option<usize>)> {
    let mut derived = ob.clone();
    for &(x, value) in &case.substitutions {
        derived.lhs = store.substitute(derived.lhs, x, value);
        derived.rhs = store.substitute(derived.rhs, x, value);
        derived.conditions = derived
            .conditions
            .iter()
            .map(|&c| store.substitute(c, x, value))
            .collect();
    }
    let mut scoped = domains.clone();
    for &c in &derived.conditions {
        scoped.assume(c);
    }
    let mut sign_conditions = Vec::new();
    let mut facts = Facts::default();
    for &(e, s) in &case.signs {
        let mut e = e;
        for &(x, value) in &case.substitutions {
            e = store.substitute(e, x, value);
        }
        let condition = s.condition(store, e);
        scoped.assume(condition);
        sign_conditions.push(condition);
        facts.signs.push((e, s));
    }
    let limits: Vec<ExprId> = [derived.lhs, derived.rhs]
        .iter()
        .flat_map(|&r| limits_in(store, r))
        .collect();
    let mut replacements = HashMap::new();
    let mut infinite = Vec::new();
    let mut found = Vec::new();
    for (i, &l) in limits.iter().enumerate() {
        let Node::Limit { var, to, body } = store.node(l).clone() else {
            continue;
        };
        let approach = match to {
            LimitTo::PosInf => Approach::PosInf,
            LimitTo::NegInf => Approach::NegInf,
            LimitTo::Point(p) if case.left.contains(&i) => Approach::Left(p),
            LimitTo::Point(p) => Approach::Right(p),
        };
        facts.odd = case
            .parity
            .iter()
            .find(|(j, _)| *j == i)
            .map(|&(_, odd)| odd);
        let value = limit::find_limit(store, &scoped, var, approach, body, &facts, deadline)
            .map_err(|s| (s, Some(i)))?;
        let shown = match value {
            LimitValue::Finite(v) => {
                replacements.insert(l, v);
                store.display(v)
            }
            LimitValue::PosInf | LimitValue::NegInf => {
                let positive = value == LimitValue::PosInf;
                let side = if l == derived.lhs {
                    true
                } else if l == derived.rhs {
                    false
                } else {
                    return Err((
                        Stuck::Unknown(
                            "the limit is infinite inside a larger expression".to_string(),
                        ),
                        Some(i),
                    ));
                };
                infinite.push((side, positive));
                if positive { "+∞" } else { "−∞" }.to_string()
            }
        };
        found.push(format!("{} = {shown}", store.display(l)));
    }
    derived.lhs = store.replace(derived.lhs, &replacements);
    derived.rhs = store.replace(derived.rhs, &replacements);
    derived.conditions.extend(sign_conditions);
    Ok(Resolved {
        obligation: derived,
        infinite,
        found,
    })
}

/// The verdicts of the cases, combined: any refutation refutes; proved when
/// every case is proved; checked when every case is at least checked.
fn judge(
    store: &mut Store,
    domains: &Domains,
    config: &CheckConfig,
    deadline: Instant,
    limits: &[ExprId],
    cases: Vec<(Case, Resolved)>,
    outside: &[String],
) -> Verdict {
    let several = cases.len() > 1;
    let mut trace: Vec<String> = outside
        .iter()
        .map(|why| format!("outside the domain: {why}"))
        .collect();
    let (mut points, mut skipped) = (0usize, 0usize);
    let mut all_proved = true;
    let mut explored: Option<super::sample::Exploration> = None;
    let mut first_unknown: Option<String> = None;
    for (case, resolved) in cases {
        let label = case.describe(store, limits);
        let within = if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        };
        let verdict = judge_case(store, domains, &resolved, config, deadline);
        let found = resolved.found.join("; ");
        match verdict {
            Verdict::Refuted { mut counterexample } => {
                let mut note = format!("{found}{within}");
                if let Some(more) = counterexample.note.take() {
                    note = format!("{note}; {more}");
                }
                counterexample.note = Some(note);
                return Verdict::Refuted { counterexample };
            }
            Verdict::Proved { trace: steps } => {
                trace.push(format!("limit{within}: {found}"));
                trace.extend(steps);
            }
            Verdict::Checked {
                points: p,
                skipped: s,
                explored: e,
            } => {
                all_proved = false;
                points += p;
                skipped += s;
                // the cases explore alike; the first one's summary stands for all
                explored.get_or_insert(e);
            }
            Verdict::Unknown { reason } => {
                all_proved = false;
                if first_unknown.is_none() {
                    first_unknown = Some(if several || !found.is_empty() {
                        format!("{found}{within}: {reason}")
                    } else {
                        reason
                    });
                }
            }
        }
    }
    if let Some(reason) = first_unknown {
        return Verdict::Unknown { reason };
    }
    if all_proved {
        return Verdict::Proved { trace };
    }
    Verdict::Checked {
        points,
        skipped,
        explored: explored.unwrap_or_default(),
    }
}

fn judge_case(
    store: &mut Store,
    domains: &Domains,
    resolved: &Resolved,
    config: &CheckConfig,
    deadline: Instant,
) -> Verdict {
    let ob = &resolved.obligation;
    match resolved.infinite[..] {
        // the case's obligation is built here, so no cross-check of it is kept
        [] => check_obligation_until(store, domains, ob, config, deadline, &CrossChecks::none()),
        [(lhs_side, positive)] => {
            let finite = if lhs_side { ob.rhs } else { ob.lhs };
            let infinity = if positive { "+∞" } else { "−∞" };
            match defined_point(store, domains, ob, finite, config, deadline) {
                Some(DefinedPoint {
                    assignment,
                    point,
                    value,
                    exactness,
                }) => {
                    let ((lhs, left), (rhs, right)) = if lhs_side {
                        (
                            (infinity.to_string(), Exactness::NotANumber),
                            (value, exactness),
                        )
                    } else {
                        (
                            (value, exactness),
                            (infinity.to_string(), Exactness::NotANumber),
                        )
                    };
                    Verdict::Refuted {
                        counterexample: Counterexample {
                            assignment,
                            lhs,
                            rhs,
                            exactness: [left, right],
                            note: Some("an infinite limit is no real number".to_string()),
                            point,
                        },
                    }
                }
                None => unknown(format!(
                    "the limit is {infinity} and the other side has no value at any sample point"
                )),
            }
        }
        _ => unknown("both sides are infinite limits".to_string()),
    }
}
