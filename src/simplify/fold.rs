//! Display forms: named functions folded back (`1/(1 + exp(−t))` → `σ(t)`,
//! `ln(1 + exp(t))` → `softplus(t)`) and common polynomial factors of quotients
//! cancelled. These are for showing results, not for proving.

use super::canon::Ctx;
use super::gcd;
use super::poly::{AtomId, Monomial, Poly, RatFn};
use crate::domain::Domains;
use crate::expr::{ExprId, Func, Node, Store};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};
use std::collections::HashMap;

/// Past this depth a term is shown as it is.
const MAX_FOLD_DEPTH: usize = 500;
/// Quotients with more terms than this are not searched for common factors.
const MAX_CANCEL_TERMS: usize = 400;

fn is_num(store: &Store, e: ExprId, v: i64) -> bool {
    store
        .as_num(e)
        .is_some_and(|r| *r == BigRational::from_integer(BigInt::from(v)))
}

/// `t` when `e` is `1 + exp(t)`.
fn one_plus_exp(store: &Store, e: ExprId) -> Option<ExprId> {
    match store.node(e) {
        Node::Add(ts) if ts.len() == 2 && is_num(store, ts[0], 1) => match store.node(ts[1]) {
            Node::Call(Func::Exp, a) => Some(a[0]),
            _ => None,
        },
        _ => None,
    }
}

/// `−t` in canonical form.
fn negated(store: &mut Store, t: ExprId) -> ExprId {
    let domains = Domains::new();
    let mut ctx = Ctx::new(store, &domains);
    let minus_one = ctx.store.int(-1);
    let m = ctx.store.product(vec![minus_one, t]);
    let mut memo = HashMap::new();
    ctx.canonical(m, &mut memo)
}

/// Named functions folded back into a canonical term, for display.
pub fn fold_named(store: &mut Store, e: ExprId) -> ExprId {
    let mut memo = HashMap::new();
    fold_at(store, e, 0, &mut memo)
}

fn fold_at(
    store: &mut Store,
    e: ExprId,
    depth: usize,
    memo: &mut HashMap<ExprId, ExprId>,
) -> ExprId {
    if depth > MAX_FOLD_DEPTH {
        return e;
    }
    if let Some(&done) = memo.get(&e) {
        return done;
    }
    let out = fold_node(store, e, depth, memo);
    memo.insert(e, out);
    out
}

fn fold_node(
    store: &mut Store,
    e: ExprId,
    depth: usize,
    memo: &mut HashMap<ExprId, ExprId>,
) -> ExprId {
    match store.node(e).clone() {
        // 1/(1 + exp(u)) → σ(−u)
        Node::Pow(b, x) if is_num(store, x, -1) => {
            if let Some(u) = one_plus_exp(store, b) {
                let t = negated(store, u);
                let t = fold_at(store, t, depth + 1, memo);
                return store.call1(Func::Sigmoid, t);
            }
        }
        // ln(1 + exp(t)) → softplus(t)
        Node::Call(Func::Ln, args) => {
            if let Some(t) = one_plus_exp(store, args[0]) {
                let t = fold_at(store, t, depth + 1, memo);
                return store.call1(Func::Softplus, t);
            }
        }
        Node::Mul(fs) => return fold_product(store, &fs, depth, memo),
        _ => {}
    }
    let kids = store.children(e);
    let new_kids: Vec<ExprId> = kids
        .iter()
        .map(|&k| fold_at(store, k, depth + 1, memo))
        .collect();
    store.with_children(e, &new_kids)
}

/// In a product: `exp(u)·(1 + exp(u))^(−1)` → `σ(u)` and
/// `exp(u)·(1 + exp(u))^(−2)` → `σ(v)·(1 − σ(v))` (with `v = ±u`, the simpler).
fn fold_product(
    store: &mut Store,
    fs: &[ExprId],
    depth: usize,
    memo: &mut HashMap<ExprId, ExprId>,
) -> ExprId {
    let mut factors: Vec<Option<ExprId>> = fs.iter().map(|&f| Some(f)).collect();
    let mut extra = Vec::new();
    for i in 0..factors.len() {
        let Some(f) = factors[i] else { continue };
        let Node::Pow(b, x) = store.node(f).clone() else {
            continue;
        };
        let Some(u) = one_plus_exp(store, b) else {
            continue;
        };
        let square = is_num(store, x, -2);
        if !square && !is_num(store, x, -1) {
            continue;
        }
        let exp_u = store.call1(Func::Exp, u);
        let Some(j) = factors.iter().position(|g| *g == Some(exp_u)) else {
            continue;
        };
        factors[i] = None;
        factors[j] = None;
        let u_folded = fold_at(store, u, depth + 1, memo);
        if !square {
            extra.push(store.call1(Func::Sigmoid, u_folded));
            continue;
        }
        // σ(u)(1 − σ(u)) is even in u: show it with the argument without a minus sign
        let v = match store.node(u).clone() {
            Node::Mul(ms) if ms.len() == 2 && is_num(store, ms[0], -1) => {
                fold_at(store, ms[1], depth + 1, memo)
            }
            _ => u_folded,
        };
        let s = store.call1(Func::Sigmoid, v);
        let one = store.one();
        let minus_one = store.int(-1);
        let ms = store.product(vec![minus_one, s]);
        let rest = store.sum(vec![one, ms]);
        extra.push(s);
        extra.push(rest);
    }
    let mut out: Vec<ExprId> = Vec::new();
    for f in factors.into_iter().flatten() {
        out.push(fold_at(store, f, depth + 1, memo));
    }
    // numbers stay first; the folded factors go before the rest
    let split = out
        .iter()
        .position(|&f| store.as_num(f).is_none())
        .unwrap_or(out.len());
    let mut result: Vec<ExprId> = out[..split].to_vec();
    result.extend(extra);
    result.extend(out[split..].iter().copied());
    store.product(result)
}

/// Quotients with a common polynomial factor in numerator and denominator
/// cancelled (`(x^2 − 1)/(x − 1)` → `x + 1`), bottom-up on products.
pub(crate) fn cancel_common_factors(store: &mut Store, domains: &Domains, e: ExprId) -> ExprId {
    let done: Result<ExprId, std::convert::Infallible> = crate::expr::rebuild_bottom_up(
        store,
        |s| s,
        e,
        &mut HashMap::new(),
        false,
        &mut |store, rebuilt, _| {
            Ok(match store.node(rebuilt) {
                Node::Mul(_) => cancel_in_product(store, domains, rebuilt).unwrap_or(rebuilt),
                _ => rebuilt,
            })
        },
    );
    let Ok(out) = done;
    out
}

/// Polynomial reading of a canonical term for cancellation: sums, products,
/// non-negative integer powers; everything else is an atom.
struct Reader {
    atoms: Vec<ExprId>,
    ids: HashMap<ExprId, AtomId>,
}

impl Reader {
    fn poly(&mut self, store: &Store, e: ExprId, depth: usize) -> Option<Poly> {
        if depth > 64 {
            return None;
        }
        let limit = MAX_CANCEL_TERMS;
        match store.node(e) {
            Node::Num(r) => Some(Poly::constant(r.clone())),
            Node::Add(ts) => {
                let mut acc = Poly::zero();
                for &t in ts.iter() {
                    acc = acc.add(&self.poly(store, t, depth + 1)?, limit).ok()?;
                }
                Some(acc)
            }
            Node::Mul(fs) => {
                let mut acc = Poly::one();
                for &f in fs.iter() {
                    acc = acc.mul(&self.poly(store, f, depth + 1)?, limit).ok()?;
                }
                Some(acc)
            }
            Node::Pow(b, x) => {
                let r = store.as_num(*x)?;
                let n = r.to_integer().to_u32().filter(|_| r.is_integer())?;
                if n > 16 {
                    return None;
                }
                self.poly(store, *b, depth + 1)?.pow(n, limit).ok()
            }
            _ => {
                let a = match self.ids.get(&e) {
                    Some(&a) => a,
                    None => {
                        let a = self.atoms.len() as AtomId;
                        self.atoms.push(e);
                        self.ids.insert(e, a);
                        a
                    }
                };
                Some(Poly::term(
                    Monomial::atom(a, BigRational::one()),
                    BigRational::one(),
                ))
            }
        }
    }

    fn expr(&self, ctx: &mut Ctx, p: &Poly) -> ExprId {
        let mut terms = Vec::new();
        for (m, c) in &p.terms {
            let mut factors = Vec::new();
            for (a, e) in &m.0 {
                let x = ctx.num(e.clone());
                let base = self.atoms[*a as usize];
                factors.push(ctx.pow(base, x));
            }
            let mono = ctx.product(factors);
            terms.push(ctx.scaled(c.clone(), mono));
        }
        ctx.sum(terms)
    }
}

fn cancel_in_product(store: &mut Store, domains: &Domains, e: ExprId) -> Option<ExprId> {
    let Node::Mul(fs) = store.node(e).clone() else {
        return None;
    };
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    for &f in fs.iter() {
        match store.node(f) {
            Node::Pow(b, x) => match store.as_num(*x) {
                Some(r) if r.is_integer() && *r < BigRational::zero() => {
                    let minus = -r.clone();
                    bottom.push((*b, minus));
                }
                _ => top.push(f),
            },
            _ => top.push(f),
        }
    }
    if !bottom
        .iter()
        .any(|(b, _)| matches!(store.node(*b), Node::Add(_)))
    {
        return None;
    }
    let mut reader = Reader {
        atoms: Vec::new(),
        ids: HashMap::new(),
    };
    let mut num = Poly::one();
    for &f in &top {
        num = num.mul(&reader.poly(store, f, 0)?, MAX_CANCEL_TERMS).ok()?;
    }
    let mut den = Poly::one();
    for (b, k) in &bottom {
        let n = k.to_integer().to_u32()?;
        if n > 16 {
            return None;
        }
        let p = reader.poly(store, *b, 0)?.pow(n, MAX_CANCEL_TERMS).ok()?;
        den = den.mul(&p, MAX_CANCEL_TERMS).ok()?;
    }
    let g = gcd::gcd(&num, &den, MAX_CANCEL_TERMS)?;
    if g.as_constant().is_some() {
        return None;
    }
    let num = gcd::divide(&num, &g, MAX_CANCEL_TERMS)?;
    let den = gcd::divide(&den, &g, MAX_CANCEL_TERMS)?;
    let reduced = RatFn { num, den };
    let mut ctx = Ctx::new(store, domains);
    let n = reader.expr(&mut ctx, &reduced.num);
    let out = if reduced.den.as_constant().is_some_and(|c| c.is_one()) {
        n
    } else if let Some(c) = reduced.den.as_constant().filter(|c| !c.is_zero()) {
        ctx.scaled(BigRational::one() / c, n)
    } else {
        let d = reader.expr(&mut ctx, &reduced.den);
        let m1 = ctx.store.int(-1);
        let inv = ctx.pow(d, m1);
        ctx.product(vec![n, inv])
    };
    ctx.step(super::rules::RuleId::GcdCancel, e, out);
    Some(out)
}
