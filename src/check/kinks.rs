//! Where a derivative is valid: the kinks of an obligation's derivatives that
//! its conditions rule out, and what a sample point at an open kink says.
//!
//! A derivative formula from `crate::diff` is the derivative wherever none of
//! its kinks is active. A claim is proved only when every kink is ruled out
//! under the claim's conditions and declared domains (or shown harmless: the
//! pieces of a piecewise expression meet with equal values and slopes). At a
//! sample point where a kink is active the formula is no evidence: the claim is
//! refuted there when the derivative certainly does not exist (a corner, a jump,
//! an infinite slope), and is unknown otherwise.

use super::Coordinate;
use crate::diff::Kink;
use crate::domain::Domains;
use crate::eval::{self, Env, Value};
use crate::expr::{CmpOp, ExprId, Node, Store, Symbol};
use crate::lower::{DerivativeSite, Obligation};
use crate::simplify::{self, sign};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

/// A kink of one derivative site that the conditions do not rule out.
#[derive(Clone, Debug)]
pub struct OpenKink {
    pub site: usize,
    pub kink: Kink,
}

/// The kinks of the derivatives taken at `sites` that `conditions` (assumed
/// in `scoped`) do not rule out.
pub fn open_kinks(
    store: &mut Store,
    scoped: &Domains,
    sites: &[DerivativeSite],
    conditions: &[ExprId],
    budget: &simplify::Budget,
) -> Vec<OpenKink> {
    let pins = pins(store, conditions);
    let canonical = canonical_scope(store, scoped);
    let mut out = Vec::new();
    for (site, s) in sites.iter().enumerate() {
        for kink in &s.kinks {
            if !ruled_out(store, scoped, &canonical, &pins, kink, budget) {
                out.push(OpenKink {
                    site,
                    kink: kink.clone(),
                });
            }
        }
    }
    out
}

/// Whether a condition a proof relies on (`x ≠ 0` for `x^0 = 1`) is false
/// wherever the claim's conditions hold (`where x == 0`).
pub fn contradicted(
    store: &mut Store,
    scoped: &Domains,
    conditions: &[ExprId],
    needed: ExprId,
) -> bool {
    let pins = pins(store, conditions);
    let c = pinned(store, &pins, needed);
    certainly_false(store, scoped, c)
}

/// The variables that a condition `x == c` fixes to a number.
fn pins(store: &mut Store, conditions: &[ExprId]) -> Vec<(Symbol, ExprId)> {
    let mut out = Vec::new();
    for &c in conditions {
        let Node::Cmp(CmpOp::Eq, a, b) = store.node(c).clone() else {
            continue;
        };
        let number = |store: &mut Store, e: ExprId| -> Option<ExprId> {
            if !store.free_symbols(e).is_empty() {
                return None;
            }
            let v = eval::eval(store, e, &Env::new()).ok()?.as_exact()?.clone();
            Some(store.num(v))
        };
        match (store.as_sym(a), store.as_sym(b)) {
            (Some(s), _) => out.extend(number(store, b).map(|v| (s, v))),
            (_, Some(s)) => out.extend(number(store, a).map(|v| (s, v))),
            _ => {}
        }
    }
    out
}

fn pinned(store: &mut Store, pins: &[(Symbol, ExprId)], e: ExprId) -> ExprId {
    pins.iter().fold(e, |e, &(s, v)| put(store, e, s, v))
}

/// `e` with `s` replaced by `v`, numbers folded on the way (`|0|` is `0`).
fn put(store: &mut Store, e: ExprId, s: Symbol, v: ExprId) -> ExprId {
    simplify::substitute(store, e, s, v, &mut std::collections::HashMap::new())
}

/// `e` as a number when it has no free symbols and an exact value.
fn fold_closed(store: &mut Store, e: ExprId) -> ExprId {
    if !store.free_symbols(e).is_empty() {
        return e;
    }
    match eval::eval(store, e, &Env::new()) {
        Ok(Value::Exact(r)) => store.num(r),
        _ => e,
    }
}

/// Whether the condition `c` is false wherever the scoped facts hold: closed
/// and false, or a comparison the sign analysis contradicts.
fn certainly_false(store: &mut Store, scoped: &Domains, c: ExprId) -> bool {
    if store.free_symbols(c).is_empty() {
        return matches!(eval::eval_condition(store, c, &Env::new()), Ok(false));
    }
    let Node::Cmp(op, a, b) = store.node(c).clone() else {
        return false;
    };
    let (a, b) = (fold_closed(store, a), fold_closed(store, b));
    if op == CmpOp::Eq && store.as_num(b).is_some_and(|r| r.is_zero()) {
        // `u == 0` is `√u == 0` and `|u| == 0`, which a condition may name
        for f in [crate::expr::Func::Sqrt, crate::expr::Func::Abs] {
            let g = store.call1(f, a);
            let g = simplify::canonical(store, scoped, g).value;
            if sign::is_nonzero(store, scoped, g) {
                return true;
            }
        }
    }
    let difference = store.sub(a, b);
    let s = sign::sign_of(store, scoped, difference);
    match op {
        CmpOp::Eq => !s.zero,
        CmpOp::Ne => !s.negative && !s.positive,
        CmpOp::Gt => !s.positive,
        CmpOp::Ge => !s.positive && !s.zero,
        CmpOp::Lt => !s.negative,
        CmpOp::Le => !s.negative && !s.zero,
    }
}

/// The scoped facts with every assumption in canonical form, so that a sum
/// written twice (with two fresh indices) is one atom for the sign analysis.
fn canonical_scope(store: &mut Store, scoped: &Domains) -> Domains {
    let mut out = Domains::new();
    for (s, d) in scoped.iter() {
        out.declare(s, d.clone());
    }
    for &a in scoped.assumptions() {
        let c = match store.node(a).clone() {
            Node::Cmp(op, l, r) => {
                let l = simplify::canonical(store, scoped, l).value;
                let r = simplify::canonical(store, scoped, r).value;
                store.cmp(op, l, r)
            }
            _ => a,
        };
        out.assume(c);
    }
    out
}

fn ruled_out(
    store: &mut Store,
    scoped: &Domains,
    canonical: &Domains,
    pins: &[(Symbol, ExprId)],
    kink: &Kink,
    budget: &simplify::Budget,
) -> bool {
    let at = pinned(store, pins, kink.at);
    if certainly_false(store, scoped, at) || certainly_false(store, canonical, at) {
        return true;
    }
    let guards: Vec<ExprId> = kink
        .guards
        .iter()
        .map(|&g| pinned(store, pins, g))
        .collect();
    if guards.iter().any(|&g| certainly_false(store, scoped, g)) {
        return true;
    }
    // a kink at `k·x + c = 0`: the branch it lives in does not reach x = −c/k
    if let (Some(arg), false) = (kink.arg, kink.at_integers) {
        let arg = pinned(store, pins, arg);
        let lin = sign::linearize(store, arg);
        if let (Some((&x, k)), 1) = (lin.terms.iter().next(), lin.terms.len()) {
            if let Some(symbol) = store.as_sym(x) {
                let root = store.num(-&lin.constant / k);
                for &g in &guards {
                    let at_root = put(store, g, symbol, root);
                    if certainly_false(store, scoped, at_root) {
                        return true;
                    }
                }
            }
        }
    }
    smooth_join(store, scoped, pins, kink, budget)
}

/// A piecewise boundary where the two pieces meet with equal values and
/// equal slopes (the Huber loss at |a| = c) has a derivative.
fn smooth_join(
    store: &mut Store,
    scoped: &Domains,
    pins: &[(Symbol, ExprId)],
    kink: &Kink,
    budget: &simplify::Budget,
) -> bool {
    let Some(join) = &kink.join else {
        return false;
    };
    let mut on_boundary = scoped.clone();
    on_boundary.assume(kink.at);
    for &g in &kink.guards {
        on_boundary.assume(g);
    }
    // on `a == b` with `b` a variable, `b` is `a`
    let mut sides = [
        join.inside,
        join.outside,
        join.inside_slope,
        join.outside_slope,
    ];
    for e in sides.iter_mut() {
        *e = pinned(store, pins, *e);
    }
    if let Node::Cmp(_, a, b) = store.node(kink.at).clone() {
        let swap = match (store.as_sym(a), store.as_sym(b)) {
            (_, Some(s)) if !store.contains_symbol(a, s) => Some((s, a)),
            (Some(s), _) if !store.contains_symbol(b, s) => Some((s, b)),
            _ => None,
        };
        if let Some((s, value)) = swap {
            for e in sides.iter_mut() {
                *e = put(store, *e, s, value);
            }
        }
    }
    let [inside, outside, inside_slope, outside_slope] = sides;
    simplify::prove_equal(store, &on_boundary, inside, outside, budget).is_proved()
        && simplify::prove_equal(store, &on_boundary, inside_slope, outside_slope, budget)
            .is_proved()
}

/// `x ≠ 0` / `x not an integer` and its LaTeX, for each open kink (once each).
pub fn validity(store: &Store, open: &[OpenKink]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for o in open {
        if let Some((text, latex)) = simple_validity(store, &o.kink) {
            if !out.iter().any(|(t, _)| *t == text) {
                out.push((text, latex));
            }
            continue;
        }
        let text = o.kink.validity(store);
        if out.iter().any(|(t, _)| *t == text) {
            continue;
        }
        let latex = match store.node(o.kink.at) {
            Node::Cmp(CmpOp::Eq, _, u) if o.kink.at_integers => {
                format!(
                    "{} \\text{{ not an integer}}",
                    crate::expr::to_latex(store, *u)
                )
            }
            Node::Cmp(CmpOp::Eq, a, b) => format!(
                "{} \\neq {}",
                crate::expr::to_latex(store, *a),
                crate::expr::to_latex(store, *b)
            ),
            _ => format!("\\text{{{}}}", crate::expr::ascii_text(&text)),
        };
        out.push((text, latex));
    }
    out
}

/// `x ≠ c` for a kink at the zero of `k·x − k·c` (or of `|·|`, `√` of it).
fn simple_validity(store: &Store, kink: &Kink) -> Option<(String, String)> {
    if kink.at_integers {
        return None;
    }
    let mut arg = kink.arg?;
    while let Node::Call(crate::expr::Func::Abs | crate::expr::Func::Sqrt, args) = store.node(arg) {
        arg = *args.first()?;
    }
    let lin = sign::linearize(store, arg);
    let (Some((&x, k)), 1) = (lin.terms.iter().next(), lin.terms.len()) else {
        return None;
    };
    store.as_sym(x)?;
    let root = Value::Exact(-&lin.constant / k).to_string();
    let name = store.display(x);
    Some((
        format!("{name} ≠ {root}"),
        format!("{} \\neq {root}", crate::expr::to_latex(store, x)),
    ))
}

/// What a point where a kink is active says about the claim.
pub enum AtKink {
    /// The derivative certainly does not exist here; the words say why.
    NoDerivative { site: usize, why: String },
    /// The formula may be wrong here and nabla cannot tell.
    Undecided(String),
}

/// The first open kink active at `env` (its guards not false), judged by
/// exact one-sided difference quotients of the differentiated expression.
pub fn at_point(store: &Store, ob: &Obligation, open: &[OpenKink], env: &Env) -> Option<AtKink> {
    let mut undecided: Option<AtKink> = None;
    for o in open {
        if !active(store, &o.kink, env) {
            continue;
        }
        let site = &ob.derivatives[o.site];
        match one_sided(store, site, env) {
            Some(why) => {
                return Some(AtKink::NoDerivative { site: o.site, why });
            }
            None => {
                undecided.get_or_insert_with(|| {
                    AtKink::Undecided(format!(
                        "the derivative may not exist where {} (a kink of {}), and nabla \
                         cannot tell at {}; add `where {}` if the claim is meant away from it",
                        store.display(o.kink.at),
                        o.kink.what,
                        show_point(store, site, env),
                        o.kink.validity(store)
                    ))
                });
            }
        }
    }
    undecided
}

/// Whether the kink is active at `env`: its condition holds and none of its
/// guards is false.
pub fn active(store: &Store, kink: &Kink, env: &Env) -> bool {
    active_with(&mut eval::Plan::new(), store, kink, env)
}

/// [`active`] on a plan kept across points (see [`eval::Plan`]).
pub fn active_with(plan: &mut eval::Plan, store: &Store, kink: &Kink, env: &Env) -> bool {
    matches!(
        eval::eval_condition_with(plan, store, kink.at, env),
        Ok(true)
    ) && !kink
        .guards
        .iter()
        .any(|&g| matches!(eval::eval_condition_with(plan, store, g, env), Ok(false)))
}

fn show_point(store: &Store, site: &DerivativeSite, env: &Env) -> String {
    let var = store.display(site.var);
    match Coordinate::of(store, site.var, env).and_then(|c| c.read(env)) {
        Some(x) => format!("{var} = {}", Value::Exact(x)),
        None => "this point".to_string(),
    }
}

/// Steps of the one-sided difference quotients: 2^-20, 2^-30, 2^-40.
fn steps() -> [BigRational; 3] {
    [20u32, 30, 40].map(|p| BigRational::new(BigInt::one(), BigInt::from(2).pow(p)))
}

/// Why the derivative of `site.body` certainly does not exist at `env`: the
/// exact one-sided differences on each side are constant over three scales
/// (a jump), or their quotients are (a corner, with different slopes), or
/// the quotients grow at least 2^5-fold per scale (an infinite slope).
/// `None` when the values are not exact or follow no such pattern.
fn one_sided(store: &Store, site: &DerivativeSite, env: &Env) -> Option<String> {
    if site.order != 1 {
        return None;
    }
    let coordinate = Coordinate::of(store, site.var, env)?;
    let x = coordinate.read(env)?;
    let value = |at: BigRational| -> Option<BigRational> {
        let e = coordinate.with(env, at)?;
        eval::eval(store, site.body, &e).ok()?.as_exact().cloned()
    };
    let f0 = value(x.clone())?;
    let var = store.display(site.var);
    let point = format!("{var} = {}", Value::Exact(x.clone()));
    let body = store.display(site.body);
    let what = if body.chars().count() <= 40 {
        body
    } else {
        "the function".to_string()
    };
    let side = |sign: i64| -> Option<Vec<BigRational>> {
        steps()
            .iter()
            .map(|h| {
                let moved = &x + h * BigRational::from_integer(sign.into());
                value(moved).map(|f| (f - &f0) * BigRational::from_integer(sign.into()))
            })
            .collect()
    };
    let (right, left) = (side(1), side(-1));
    let constant = |v: &[BigRational]| v.windows(2).all(|w| w[0] == w[1]);
    let factor = BigRational::from_integer(32.into());
    // a jump: f moves by a nonzero amount that settles (changes at least
    // 32 times less than its size) as the step shrinks
    for (d, words) in [(&right, "right"), (&left, "left")] {
        let Some(d) = d else { continue };
        let settled = !d[2].is_zero()
            && d.windows(2)
                .all(|w| (&w[0] - &w[1]).abs() * &factor <= d[2].abs());
        if constant(d) && !d[0].is_zero() {
            return Some(format!(
                "{what} has no derivative at {point}: it jumps by {} on the {words}",
                Value::Exact(d[0].abs())
            ));
        }
        if settled {
            return Some(format!(
                "{what} has no derivative at {point}: it jumps on the {words} (by {} over a step of 2^-40)",
                Value::Exact(d[2].abs())
            ));
        }
    }
    let quotients = |d: &Vec<BigRational>| -> Vec<BigRational> {
        d.iter().zip(steps()).map(|(d, h)| d / h).collect()
    };
    let steep = |q: &[BigRational]| {
        q.windows(2)
            .all(|w| !w[0].is_zero() && w[1].abs() >= &factor * w[0].abs())
    };
    let (qr, ql) = (right.as_ref().map(quotients), left.as_ref().map(quotients));
    for q in [&qr, &ql].into_iter().flatten() {
        if steep(q) {
            return Some(format!(
                "{what} has no derivative at {point}: the difference quotients grow without \
                 bound ({})",
                q.iter()
                    .map(|v| Value::Exact(v.clone()).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let (Some(qr), Some(ql)) = (qr, ql) else {
        return None;
    };
    if constant(&qr) && constant(&ql) && qr[0] != ql[0] {
        return Some(format!(
            "{what} has no derivative at {point}: the one-sided difference quotients are {} and {}",
            Value::Exact(ql[0].clone()),
            Value::Exact(qr[0].clone())
        ));
    }
    None
}

/// Points where an open kink is active near `env`: along each site's variable,
/// the root of the kink's argument (or the nearest integer of it, for floor
/// and ceil) found by a secant step, kept only when the kink is active there.
pub fn kink_points(store: &Store, ob: &Obligation, open: &[OpenKink], env: &Env) -> Vec<Env> {
    let mut out = Vec::new();
    for o in open {
        let (Some(arg), Some(site)) = (o.kink.arg, ob.derivatives.get(o.site)) else {
            continue;
        };
        let Some(coordinate) = Coordinate::of(store, site.var, env) else {
            continue;
        };
        let Some(x) = coordinate.read(env) else {
            continue;
        };
        let at = |t: &BigRational| -> Option<BigRational> {
            let e = coordinate.with(env, t.clone())?;
            eval::eval(store, arg, &e).ok()?.as_exact().cloned()
        };
        let next = &x + BigRational::one();
        let (Some(u0), Some(u1)) = (at(&x), at(&next)) else {
            continue;
        };
        let slope = &u1 - &u0;
        if slope.is_zero() {
            continue;
        }
        let target = if o.kink.at_integers {
            u0.round()
        } else {
            BigRational::zero()
        };
        let root = &x + (target - &u0) / slope;
        if let Some(e) = coordinate.with(env, root) {
            if active(store, &o.kink, &e) {
                out.push(e);
            }
        }
    }
    out
}
