//! The symbolic core: canonical form, the rewrite-rule table, exp/log
//! normalization with side conditions, rational-function normalization, and
//! proofs of equalities with a trace a person can read.
//!
//! Soundness is the first concern: `prove_equal` answers `Proved` only when
//! both sides reach one normal form by rewrites from the table (`rules()`),
//! each valid on the declared domain. It never answers "false": telling
//! "checked" from "refuted" is the numeric checker's job.

mod canon;
mod fold;
pub mod gcd;
mod normalize;
mod order;
pub mod poly;
#[cfg(test)]
pub(crate) mod proptests;
pub mod rules;
pub mod sign;
mod sums;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

pub use fold::fold_named;
pub use order::compare as structural_order;
pub use rules::{rules, Rule, RuleId, SideCondition};

use crate::domain::Domains;
use crate::expr::{CmpOp, ExprId, Func, Node, Store};
use canon::Ctx;
use normalize::{Abort, Normalizer};
use num_rational::BigRational;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// The most steps a trace keeps (later steps are counted, not kept).
pub const MAX_TRACE_STEPS: usize = 256;
/// How many nested case splits (on the sign of an H / sign / abs / relu
/// argument or a piecewise condition) a proof may use.
const MAX_SPLIT_DEPTH: usize = 3;

/// One rewrite: the rule (its name in `rules()`), the subterm before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceStep {
    pub rule: &'static str,
    pub before: ExprId,
    pub after: ExprId,
}

/// A capped list of steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trace {
    pub steps: Vec<TraceStep>,
    pub dropped: usize,
}

impl Trace {
    pub fn push(&mut self, step: TraceStep) {
        if self.steps.len() < MAX_TRACE_STEPS {
            self.steps.push(step);
        } else {
            self.dropped += 1;
        }
    }
}

/// A canonical form, the steps that reached it, and the conditions recorded
/// where a step extended the domain (`x·x^(−1) → 1` records `x ≠ 0`).
#[derive(Clone, Debug)]
pub struct Canonical {
    pub value: ExprId,
    pub trace: Vec<TraceStep>,
    pub conditions: Vec<ExprId>,
}

/// Resource limits of one proof attempt.
#[derive(Clone, Debug)]
pub struct Budget {
    /// New nodes the attempt may add to the store.
    pub max_nodes: usize,
    /// Terms one polynomial may have.
    pub max_terms: usize,
    pub deadline: Option<Instant>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            max_nodes: 200_000,
            max_terms: 4_000,
            deadline: None,
        }
    }
}

/// The result of `prove_equal`.
#[derive(Clone, Debug)]
pub enum ProofOutcome {
    /// `lhs = rhs` at every point of the declared domain (with its assumptions)
    /// where both sides are defined and every condition in `conditions` holds.
    Proved {
        lhs_trace: Vec<TraceStep>,
        rhs_trace: Vec<TraceStep>,
        /// The form both sides reach (a piecewise form after a case split).
        common: ExprId,
        conditions: Vec<ExprId>,
    },
    /// No proof was found (the claim may still hold; it may also be false).
    NotProved { reason: String },
}

impl ProofOutcome {
    pub fn is_proved(&self) -> bool {
        matches!(self, ProofOutcome::Proved { .. })
    }
}

/// The canonical form of `e`: sums and products flattened and sorted, like
/// terms and powers collected, numbers folded exactly.
pub fn canonical(store: &mut Store, domains: &Domains, e: ExprId) -> Canonical {
    let mut ctx = Ctx::new(store, domains);
    let mut memo = HashMap::new();
    let value = ctx.canonical(e, &mut memo);
    Canonical {
        value,
        trace: ctx.trace.steps,
        conditions: ctx.conditions,
    }
}

/// The normal form used for proving: named functions expanded into exp/ln, the
/// exp/log rules applied where their side conditions are shown, and the result
/// written as one rational function over atoms.
pub fn normal_form(
    store: &mut Store,
    domains: &Domains,
    e: ExprId,
    budget: &Budget,
) -> Result<Canonical, String> {
    let ctx = Ctx::new(store, domains);
    let mut n = Normalizer::new(ctx, budget);
    let run = |n: &mut Normalizer| -> Result<ExprId, Abort> {
        let v = n.normalize(e)?;
        let r = n.ratfn(v)?;
        let out = n.ratfn_expr(&r);
        n.ctx.step(RuleId::RationalForm, v, out);
        Ok(out)
    };
    match run(&mut n) {
        Ok(value) => Ok(Canonical {
            value,
            trace: n.ctx.trace.steps,
            conditions: n.ctx.conditions,
        }),
        Err(Abort::Budget(m)) => Err(format!("budget exceeded: {m}")),
        Err(Abort::Undefined(m)) => Err(m),
    }
}

struct Proof {
    lhs_trace: Vec<TraceStep>,
    rhs_trace: Vec<TraceStep>,
    common: ExprId,
}

/// Tries to prove `lhs = rhs` on the declared domain.
pub fn prove_equal(
    store: &mut Store,
    domains: &Domains,
    lhs: ExprId,
    rhs: ExprId,
    budget: &Budget,
) -> ProofOutcome {
    let ctx = Ctx::new(store, domains);
    let mut n = Normalizer::new(ctx, budget);
    match prove_cases(&mut n, lhs, rhs, 0) {
        Ok(Some(p)) => ProofOutcome::Proved {
            lhs_trace: p.lhs_trace,
            rhs_trace: p.rhs_trace,
            common: p.common,
            conditions: n.ctx.conditions,
        },
        Ok(None) => ProofOutcome::NotProved {
            reason: "the two sides reach different normal forms (they may still be equal: \
                     the atoms of a normal form need not be independent)"
                .to_string(),
        },
        Err(Abort::Budget(m)) => ProofOutcome::NotProved {
            reason: format!("budget exceeded: {m}"),
        },
        Err(Abort::Undefined(m)) => ProofOutcome::NotProved { reason: m },
    }
}

fn take_trace(n: &mut Normalizer) -> Vec<TraceStep> {
    std::mem::take(&mut n.ctx.trace).steps
}

fn prove_once(n: &mut Normalizer, lhs: ExprId, rhs: ExprId) -> Result<Option<Proof>, Abort> {
    take_trace(n);
    let nl = n.normalize(lhs)?;
    let mut lhs_trace = take_trace(n);
    let nr = n.normalize(rhs)?;
    let mut rhs_trace = take_trace(n);
    if nl == nr {
        return Ok(Some(Proof {
            lhs_trace,
            rhs_trace,
            common: nl,
        }));
    }
    let rl = n.ratfn(nl)?;
    let rr = n.ratfn(nr)?;
    let difference = rl.sub(&rr, n.budget_terms())?;
    let zero = difference.is_zero() || delta_round_is_zero(n, &difference)?;
    let by_roots = !zero
        && n.reduce_roots(&difference.num)?
            .is_some_and(|r| r.is_zero());
    if !zero && !by_roots {
        return Ok(None);
    }
    let common = n.ratfn_expr(&rl);
    let rule = rules::rule_of(if by_roots {
        RuleId::RootAtom
    } else {
        RuleId::RationalForm
    })
    .name;
    for (trace, from) in [(&mut lhs_trace, nl), (&mut rhs_trace, nr)] {
        if from != common && trace.len() < MAX_TRACE_STEPS {
            trace.push(TraceStep {
                rule,
                before: from,
                after: common,
            });
        }
    }
    Ok(Some(Proof {
        lhs_trace,
        rhs_trace,
        common,
    }))
}

/// One more round for differences that contain a Kronecker δ: the expanded
/// numerator's monomials go through the canonical form again, where
/// `delta_substitute` can now see each δ next to the factors it constrains
/// (expansion puts them in one product only after the first round).
fn delta_round_is_zero(n: &mut Normalizer, difference: &poly::RatFn) -> Result<bool, Abort> {
    // building the expression already puts each monomial through the canonical
    // product, where δ substitution happens: it may come out 0 right away
    let expanded = n.ratfn_expr(difference);
    if n.ctx
        .store
        .as_num(expanded)
        .is_some_and(num_traits::Zero::is_zero)
    {
        return Ok(true);
    }
    let has_delta = {
        let store = &*n.ctx.store;
        let mut stack = vec![expanded];
        let mut seen = std::collections::HashSet::new();
        let mut found = false;
        while let Some(e) = stack.pop() {
            if !seen.insert(e) {
                continue;
            }
            if matches!(store.node(e), Node::Call(crate::expr::Func::Delta, _)) {
                found = true;
                break;
            }
            stack.extend(store.children(e));
        }
        found
    };
    if !has_delta {
        return Ok(false);
    }
    let mut memo = HashMap::new();
    let again = n.ctx.canonical(expanded, &mut memo);
    n.forget_normal_forms();
    let normal = n.normalize(again)?;
    Ok(n.ratfn(normal)?.is_zero())
}

fn prove_cases(
    n: &mut Normalizer,
    lhs: ExprId,
    rhs: ExprId,
    depth: usize,
) -> Result<Option<Proof>, Abort> {
    if let Some(p) = prove_once(n, lhs, rhs)? {
        return Ok(Some(p));
    }
    if depth >= MAX_SPLIT_DEPTH {
        return Ok(None);
    }
    let candidates = split_candidates(n, lhs, rhs);
    'candidates: for t in candidates.into_iter().take(3) {
        let mut branches = Vec::new();
        let mut lhs_trace = Vec::new();
        let mut rhs_trace = Vec::new();
        for op in [CmpOp::Gt, CmpOp::Eq, CmpOp::Lt] {
            let saved = n.ctx.domains.clone();
            let zero = n.ctx.store.zero();
            let condition = n.ctx.store.cmp(op, t, zero);
            n.ctx.domains.assume(condition);
            let (l, r) = if op == CmpOp::Eq {
                substitute_root(n, t, lhs, rhs)
            } else {
                (lhs, rhs)
            };
            n.forget_normal_forms();
            let sub = prove_cases(n, l, r, depth + 1);
            n.ctx.domains = saved;
            n.forget_normal_forms();
            let Some(p) = sub? else {
                continue 'candidates;
            };
            let split = rules::rule_of(RuleId::CaseSplit).name;
            for (trace, side, part) in [
                (&mut lhs_trace, lhs, p.lhs_trace),
                (&mut rhs_trace, rhs, p.rhs_trace),
            ] {
                trace.push(TraceStep {
                    rule: split,
                    before: side,
                    after: condition,
                });
                trace.extend(part);
                trace.truncate(MAX_TRACE_STEPS);
            }
            branches.push((condition, p.common));
        }
        let common = n.ctx.store.add(Node::Piecewise {
            branches: branches.into(),
            otherwise: None,
        });
        return Ok(Some(Proof {
            lhs_trace,
            rhs_trace,
            common,
        }));
    }
    Ok(None)
}

/// Where a case split may help: arguments of H, sign, abs and relu, and the
/// differences `a − b` of piecewise conditions `a op b`.
fn split_candidates(n: &mut Normalizer, lhs: ExprId, rhs: ExprId) -> Vec<ExprId> {
    let mut raw = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![lhs, rhs];
    while let Some(e) = stack.pop() {
        if !seen.insert(e) || seen.len() > 10_000 {
            continue;
        }
        match n.ctx.store.node(e).clone() {
            Node::Call(Func::Heaviside | Func::Sign | Func::Abs | Func::Relu, args) => {
                raw.extend(args.first().copied());
            }
            Node::Piecewise { branches, .. } => {
                let mut conds: Vec<ExprId> = branches.iter().map(|b| b.0).collect();
                while let Some(c) = conds.pop() {
                    match n.ctx.store.node(c).clone() {
                        Node::Cmp(_, a, b) => {
                            let minus_one = n.ctx.store.int(-1);
                            let nb = n.ctx.store.product(vec![minus_one, b]);
                            raw.push(n.ctx.store.sum(vec![a, nb]));
                        }
                        Node::And(parts) => conds.extend(parts.iter().copied()),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        stack.extend(n.ctx.store.children(e));
    }
    let mut out = Vec::new();
    let mut memo = HashMap::new();
    for t in raw {
        let c = n.ctx.canonical(t, &mut memo);
        if n.ctx.store.as_num(c).is_none() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// In the case `t = 0` with `t = k·x + c` for a symbol `x`, both sides with
/// `x` replaced by `−c/k`; otherwise both sides unchanged.
fn substitute_root(n: &mut Normalizer, t: ExprId, lhs: ExprId, rhs: ExprId) -> (ExprId, ExprId) {
    let lin = sign::linearize(n.ctx.store, t);
    let single = lin.terms.iter().next().map(|(x, k)| (*x, k.clone()));
    let (Some((x, k)), 1) = (single, lin.terms.len()) else {
        return (lhs, rhs);
    };
    let Some(symbol) = n.ctx.store.as_sym(x) else {
        return (lhs, rhs);
    };
    let value: BigRational = -lin.constant / k;
    let v = n.ctx.store.num(value);
    let mut memo = HashMap::new();
    let l = n.ctx.store.substitute_with(lhs, symbol, v, &mut memo);
    let r = n.ctx.store.substitute_with(rhs, symbol, v, &mut memo);
    (l, r)
}

/// `e` with the free symbol `s` replaced by `v` (bound occurrences kept):
/// [`Store::substitute_with`], the one substitution.
pub fn substitute(
    store: &mut Store,
    e: ExprId,
    s: crate::expr::Symbol,
    v: ExprId,
    memo: &mut HashMap<ExprId, ExprId>,
) -> ExprId {
    store.substitute_with(e, s, v, memo)
}

/// The form `nabla diff` and `nabla simplify` show: canonical form, common
/// polynomial factors of quotients cancelled, and `σ`/`softplus` folded back.
pub fn simplify_for_display(store: &mut Store, domains: &Domains, e: ExprId) -> ExprId {
    let c = canonical(store, domains, e).value;
    let cancelled = fold::cancel_common_factors(store, domains, c);
    fold_named(store, cancelled)
}

/// The form `nabla simplify` shows: the display form, or the prover's normal
/// form (definitions expanded, one rational function over atoms) with σ and
/// softplus folded back, whichever has fewer distinct nodes. The normal form is taken
/// only when it holds without recorded conditions (no `x ≠ 0` was needed).
pub fn simplest_form(store: &mut Store, domains: &Domains, e: ExprId) -> ExprId {
    let shown = simplify_for_display(store, domains, e);
    let Ok(normal) = normal_form(store, domains, e, &Budget::default()) else {
        return shown;
    };
    if !normal.conditions.is_empty() {
        return shown;
    }
    let folded = simplify_for_display(store, domains, normal.value);
    // fewer distinct nodes, not fewer characters: `relu(x)` stays itself rather
    // than the shorter-printed `x·H(x)`
    if store.dag_size(folded) < store.dag_size(shown) {
        folded
    } else {
        shown
    }
}

/// The lines of [`explain`] with the rules alone, no terms printed: as many
/// lines, for a report that shows only how many steps a proof took (printing
/// every term of every step is most of a proved claim's cost in a large
/// document).
pub fn explain_rules(outcome: &ProofOutcome) -> Vec<String> {
    match outcome {
        ProofOutcome::NotProved { reason } => vec![format!("not proved: {reason}")],
        ProofOutcome::Proved {
            lhs_trace,
            rhs_trace,
            conditions,
            ..
        } => {
            let mut lines = vec!["proved: both sides have one normal form".to_string()];
            for (label, trace) in [("left", lhs_trace), ("right", rhs_trace)] {
                if trace.is_empty() {
                    lines.push(format!("  {label} side: already in normal form"));
                }
                for s in trace.iter() {
                    lines.push(format!("  {label} [{}]", s.rule));
                }
            }
            lines.extend(conditions.iter().map(|_| "  where a condition".to_string()));
            lines
        }
    }
}

/// Readable lines for a proof: the rules that took each side to the common form.
pub fn explain(store: &Store, outcome: &ProofOutcome) -> Vec<String> {
    match outcome {
        ProofOutcome::NotProved { reason } => vec![format!("not proved: {reason}")],
        ProofOutcome::Proved {
            lhs_trace,
            rhs_trace,
            common,
            conditions,
        } => {
            let mut lines = vec![format!(
                "proved: both sides equal {}",
                store.display(*common)
            )];
            for (label, trace) in [("left", lhs_trace), ("right", rhs_trace)] {
                if trace.is_empty() {
                    lines.push(format!("  {label} side: already in normal form"));
                }
                for s in trace.iter() {
                    lines.push(format!(
                        "  {label} [{}] {} ⟶ {}",
                        s.rule,
                        store.display(s.before),
                        store.display(s.after)
                    ));
                }
            }
            for c in conditions {
                lines.push(format!("  where {}", store.display(*c)));
            }
            lines
        }
    }
}
