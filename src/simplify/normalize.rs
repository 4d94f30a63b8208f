//! Normalization for proving: named functions expanded into `exp`/`ln`, the
//! exp/log rules applied where their side conditions are shown, and terms read
//! as rational functions over atoms.
//!
//! Every rewrite maps a term to one that is defined wherever the term is (and
//! equal there); the only rewrites that extend a domain cancel a removable
//! singularity (`x·x^(−1) → 1`), and they record the condition (`x ≠ 0`).

use super::canon::Ctx;
use super::gcd;
use super::poly::{AtomId, Monomial, Poly, PolyError, RatFn};
use super::rules::{may_fire, RuleId};
use super::sign;
use super::Budget;
use crate::expr::func::Parity;
use crate::expr::{CmpOp, ExprId, Func, Node};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::collections::HashMap;

/// Reading a term as a rational function stops (the rest is one atom) past this depth.
const MAX_RATFN_DEPTH: usize = 200;
/// Integer powers of sums are expanded only up to this exponent.
const MAX_EXPANDED_POWER: i64 = 64;
/// Roots `u^(1/q)` of sums are one atom each up to this degree.
const MAX_ROOT_DEGREE: u32 = 12;

/// Why normalization stopped.
#[derive(Clone, Debug)]
pub(crate) enum Abort {
    Budget(String),
    Undefined(String),
}

impl From<PolyError> for Abort {
    fn from(e: PolyError) -> Abort {
        match e {
            PolyError::Budget(m) => Abort::Budget(m),
            PolyError::DivisionByZero => {
                Abort::Undefined("a denominator is identically zero".to_string())
            }
        }
    }
}

pub(crate) struct Normalizer<'s> {
    pub ctx: Ctx<'s>,
    atoms: Vec<ExprId>,
    atom_ids: HashMap<ExprId, AtomId>,
    memo: HashMap<ExprId, ExprId>,
    ratfn_memo: HashMap<ExprId, RatFn>,
    /// Atoms that are roots `u^(1/q)` of a sum `u`: the base and the degree.
    roots: HashMap<AtomId, (ExprId, u32)>,
    budget: Budget,
    start_len: usize,
}

fn q(n: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}

impl<'s> Normalizer<'s> {
    pub fn new(ctx: Ctx<'s>, budget: &Budget) -> Normalizer<'s> {
        let start_len = ctx.store.len();
        Normalizer {
            ctx,
            atoms: Vec::new(),
            atom_ids: HashMap::new(),
            memo: HashMap::new(),
            ratfn_memo: HashMap::new(),
            roots: HashMap::new(),
            budget: budget.clone(),
            start_len,
        }
    }

    pub fn budget_terms(&self) -> usize {
        self.budget.max_terms
    }

    /// Forgets normalizations that depended on the assumptions (after they change).
    pub fn forget_normal_forms(&mut self) {
        self.memo.clear();
    }

    fn check_budget(&self) -> Result<(), Abort> {
        if self.ctx.store.len().saturating_sub(self.start_len) > self.budget.max_nodes {
            return Err(Abort::Budget(format!(
                "more than {} new nodes",
                self.budget.max_nodes
            )));
        }
        if let Some(deadline) = self.budget.deadline {
            if std::time::Instant::now() > deadline {
                return Err(Abort::Budget("the deadline passed".to_string()));
            }
        }
        Ok(())
    }

    /// The normal form of `e` (bottom-up, memoized).
    pub fn normalize(&mut self, e: ExprId) -> Result<ExprId, Abort> {
        let mut memo = std::mem::take(&mut self.memo);
        let mut visited = 0usize;
        let out = crate::expr::rebuild_bottom_up(
            self,
            |n| &mut *n.ctx.store,
            e,
            &mut memo,
            true,
            &mut |n, rebuilt, _| {
                visited += 1;
                if visited.is_multiple_of(64) {
                    n.check_budget()?;
                }
                n.rewrite(rebuilt)
            },
        );
        // a nested normalization (of a definition) filled `self.memo` meanwhile
        memo.extend(self.memo.drain());
        self.memo = memo;
        out
    }

    /// One normalization step on a node whose children are normal.
    fn rewrite(&mut self, id: ExprId) -> Result<ExprId, Abort> {
        let node = self.ctx.store.node(id).clone();
        match node {
            Node::Mul(_) => {
                let out = self.ctx.local(id);
                self.pythagorean_factors(out)
            }
            Node::Add(_) => Ok(self.ctx.local(id)),
            Node::Sum { .. } => self.normalize_sum(id),
            Node::Pow(b, e) => {
                if let Some(out) = self.pythagorean(b, e)? {
                    self.ctx.step(RuleId::Pythagorean, id, out);
                    return Ok(out);
                }
                if self.ctx.store.as_num(e).is_some() {
                    // (sin t/cos t)^2 becomes sin(t)^2·cos(t)^(−2) here
                    let out = self.ctx.local(id);
                    return self.pythagorean_factors(out);
                }
                if let Node::Call(Func::Exp, a) = self.ctx.store.node(b).clone() {
                    let product = self.ctx.product(vec![a[0], e]);
                    let out = self.exp_of(product)?;
                    self.ctx.step(RuleId::ExpPower, id, out);
                    return Ok(out);
                }
                if may_fire(RuleId::PowerAsExp, self.ctx.store, &self.ctx.domains, b) {
                    let ln_b = self.ln_of(b)?;
                    let product = self.ctx.product(vec![e, ln_b]);
                    let out = self.exp_of(product)?;
                    self.ctx.step(RuleId::PowerAsExp, id, out);
                    return Ok(out);
                }
                Ok(self.ctx.local(id))
            }
            Node::Call(f, args) => {
                let Some(&t) = args.first() else {
                    return Ok(id);
                };
                let out = match f {
                    Func::Exp => self.exp_of(t)?,
                    Func::Ln => self.ln_of(t)?,
                    Func::Sigmoid => {
                        let minus_t = self.ctx.scaled(q(-1), t);
                        let minus_t = self.ctx.local(minus_t);
                        let e = self.exp_of(minus_t)?;
                        let one = self.ctx.store.one();
                        let s = self.ctx.sum(vec![one, e]);
                        let m1 = self.ctx.store.int(-1);
                        let out = self.ctx.pow(s, m1);
                        self.ctx.step(RuleId::SigmoidDef, id, out);
                        out
                    }
                    Func::Softplus => {
                        let e = self.exp_of(t)?;
                        let one = self.ctx.store.one();
                        let s = self.ctx.sum(vec![one, e]);
                        let out = self.ln_of(s)?;
                        self.ctx.step(RuleId::SoftplusDef, id, out);
                        out
                    }
                    Func::Tanh => {
                        let two_t = self.ctx.scaled(q(2), t);
                        let two_t = self.ctx.local(two_t);
                        let e = self.exp_of(two_t)?;
                        let one = self.ctx.store.one();
                        let m1 = self.ctx.store.int(-1);
                        let top = self.ctx.sum(vec![e, m1]);
                        let bottom = self.ctx.sum(vec![e, one]);
                        let inv = self.ctx.pow(bottom, m1);
                        let out = self.ctx.product(vec![top, inv]);
                        self.ctx.step(RuleId::TanhDef, id, out);
                        out
                    }
                    Func::Relu => {
                        let h = self.ctx.store.call1(Func::Heaviside, t);
                        let h = self.ctx.local(h);
                        let out = self.ctx.product(vec![t, h]);
                        self.ctx.step(RuleId::ReluDef, id, out);
                        out
                    }
                    Func::Log2 | Func::Log10 => {
                        let base = if f == Func::Log2 { 2 } else { 10 };
                        let l = self.ln_of(t)?;
                        let b = self.ctx.store.int(base);
                        let lb = self.ctx.store.call1(Func::Ln, b);
                        let m1 = self.ctx.store.int(-1);
                        let inv = self.ctx.pow(lb, m1);
                        let out = self.ctx.product(vec![l, inv]);
                        self.ctx.step(RuleId::LogBaseDef, id, out);
                        out
                    }
                    _ if args.len() == 1 && f.parity() != Parity::Neither && {
                        let (c, _) = self.ctx.split_coefficient(t);
                        c.is_negative()
                    } =>
                    {
                        // sin(−t) → −sin(t), cos(−t) → cos(t)
                        let minus_t = self.ctx.scaled(q(-1), t);
                        let minus_t = self.ctx.local(minus_t);
                        let call = self.ctx.store.call1(f, minus_t);
                        let flipped = match f.parity() {
                            Parity::Odd => self.ctx.scaled(q(-1), call),
                            _ => call,
                        };
                        let out = self.normalize(flipped)?;
                        self.ctx.step(RuleId::Parity, id, out);
                        out
                    }
                    _ => match self.ctx.store.definition(f, &args) {
                        // a built-in defined over others (gelu, cosh, max, …) is its definition
                        Some(definition) => {
                            let out = self.normalize(definition)?;
                            self.ctx.step(RuleId::Definition, id, out);
                            out
                        }
                        None => self.ctx.local(id),
                    },
                };
                Ok(out)
            }
            Node::Piecewise {
                branches,
                otherwise,
            } => {
                for &(cond, value) in branches.iter() {
                    match self.decide(cond) {
                        Some(true) => {
                            self.ctx.step(RuleId::PiecewiseDecided, id, value);
                            return Ok(value);
                        }
                        Some(false) => continue,
                        None => return Ok(id),
                    }
                }
                match otherwise {
                    Some(o) => {
                        self.ctx.step(RuleId::PiecewiseDecided, id, o);
                        Ok(o)
                    }
                    None => Ok(id),
                }
            }
            _ => Ok(id),
        }
    }

    /// `cos(t)^n → cos(t)^r·(1 − sin(t)²)^q` for an integer `n = 2q + r` with
    /// `|n| >= 2` and `r` in {−1, 0, 1}, so that sin² + cos² meets 1 (and
    /// 1/cos² meets 1 + tan²) in the rational form. Where cos t = 0 a negative
    /// power is undefined on both sides.
    fn pythagorean(&mut self, base: ExprId, exponent: ExprId) -> Result<Option<ExprId>, Abort> {
        let Node::Call(Func::Cos, args) = self.ctx.store.node(base).clone() else {
            return Ok(None);
        };
        let Some(n) = self
            .ctx
            .store
            .as_num(exponent)
            .filter(|r| r.is_integer())
            .and_then(|r| r.numer().to_i64())
            .filter(|&n| (2..=64).contains(&n.abs()))
        else {
            return Ok(None);
        };
        let sin = self.ctx.store.call(Func::Sin, args.to_vec());
        let two = self.ctx.store.int(2);
        let sin2 = self.ctx.store.pow(sin, two);
        let m1 = self.ctx.store.int(-1);
        let minus = self.ctx.store.product(vec![m1, sin2]);
        let one = self.ctx.store.one();
        let rest = self.ctx.store.sum(vec![one, minus]);
        // cos^n = cos^r·(cos²)^q with n = 2q + r, r in {−1, 0, 1}
        let half = self.ctx.store.int(n / 2);
        let mut factors = vec![self.ctx.store.pow(rest, half)];
        if n % 2 != 0 {
            let r = self.ctx.store.int(n % 2);
            factors.push(self.ctx.store.pow(base, r));
        }
        let out = self.ctx.store.product(factors);
        Ok(Some(self.normalize(out)?))
    }

    /// A product whose factors include a power of cos (as the canonical form
    /// makes of `(sin t/cos t)^2`) with each such power rewritten as above.
    fn pythagorean_factors(&mut self, product: ExprId) -> Result<ExprId, Abort> {
        let factors = match self.ctx.store.node(product).clone() {
            Node::Mul(fs) => fs.to_vec(),
            Node::Pow(b, e) => {
                return Ok(match self.pythagorean(b, e)? {
                    Some(out) => {
                        self.ctx.step(RuleId::Pythagorean, product, out);
                        out
                    }
                    None => product,
                })
            }
            _ => return Ok(product),
        };
        let mut changed = false;
        let mut rewritten = Vec::with_capacity(factors.len());
        for f in factors {
            let replaced = match self.ctx.store.node(f).clone() {
                Node::Pow(b, e) => self.pythagorean(b, e)?,
                _ => None,
            };
            changed |= replaced.is_some();
            rewritten.push(replaced.unwrap_or(f));
        }
        if !changed {
            return Ok(product);
        }
        let joined = self.ctx.product(rewritten);
        let out = self.normalize(joined)?;
        self.ctx.step(RuleId::Pythagorean, product, out);
        Ok(out)
    }

    /// Whether a condition is decided true or false on the current domain.
    pub fn decide(&mut self, cond: ExprId) -> Option<bool> {
        match self.ctx.store.node(cond).clone() {
            Node::And(parts) => {
                let mut all = true;
                for p in parts.iter() {
                    match self.decide(*p) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => all = false,
                    }
                }
                if all {
                    Some(true)
                } else {
                    None
                }
            }
            Node::Cmp(op, a, b) => {
                let minus_b = self.ctx.scaled(q(-1), b);
                let minus_b = self.ctx.local(minus_b);
                let d = self.ctx.sum(vec![a, minus_b]);
                let s = sign::sign_of(self.ctx.store, &self.ctx.domains, d);
                let (neg, zero, pos) = (s.negative, s.zero, s.positive);
                let holds_when = |n: bool, z: bool, p: bool| -> Option<bool> {
                    // the condition is true on the signs n/z/p
                    let can_true = (neg && n) || (zero && z) || (pos && p);
                    let can_false = (neg && !n) || (zero && !z) || (pos && !p);
                    match (can_true, can_false) {
                        (true, false) => Some(true),
                        (false, true) => Some(false),
                        _ => None,
                    }
                };
                match op {
                    CmpOp::Gt => holds_when(false, false, true),
                    CmpOp::Ge => holds_when(false, true, true),
                    CmpOp::Lt => holds_when(true, false, false),
                    CmpOp::Le => holds_when(true, true, false),
                    CmpOp::Eq => holds_when(false, true, false),
                    CmpOp::Ne => holds_when(true, false, true),
                }
            }
            _ => None,
        }
    }

    fn atom(&mut self, e: ExprId) -> AtomId {
        if let Some(&a) = self.atom_ids.get(&e) {
            return a;
        }
        let a = self.atoms.len() as AtomId;
        self.atoms.push(e);
        self.atom_ids.insert(e, a);
        a
    }

    /// `e` (a normal form) as a rational function over atoms.
    pub fn ratfn(&mut self, e: ExprId) -> Result<RatFn, Abort> {
        self.ratfn_at(e, 0)
    }

    fn ratfn_at(&mut self, e: ExprId, depth: usize) -> Result<RatFn, Abort> {
        if let Some(r) = self.ratfn_memo.get(&e) {
            return Ok(r.clone());
        }
        let limit = self.budget.max_terms;
        let node = self.ctx.store.node(e).clone();
        let out = if depth > MAX_RATFN_DEPTH {
            let a = self.atom(e);
            RatFn::atom(a, q(1))
        } else {
            match node {
                Node::Num(r) => RatFn::constant(r),
                Node::Add(ts) => {
                    let mut acc = RatFn::constant(BigRational::zero());
                    for t in ts.iter() {
                        let r = self.ratfn_at(*t, depth + 1)?;
                        acc = acc.add(&r, limit)?;
                    }
                    acc
                }
                Node::Mul(fs) => {
                    let mut acc = RatFn::constant(BigRational::one());
                    for f in fs.iter() {
                        let r = self.ratfn_at(*f, depth + 1)?;
                        acc = acc.mul(&r, limit)?;
                    }
                    acc
                }
                Node::Pow(b, x) => match self.ctx.store.as_num(x).cloned() {
                    Some(r) if r.is_integer() && self.ctx.store.as_num(b).is_none() => {
                        let n = r.to_integer().to_i64().unwrap_or(i64::MAX);
                        if n.abs() <= MAX_EXPANDED_POWER
                            || matches!(self.ctx.store.node(b), Node::Sym(_) | Node::Call(..))
                        {
                            let base = self.ratfn_at(b, depth + 1)?;
                            match base.num.as_single_term() {
                                Some((m, c)) if base.has_unit_denominator() => {
                                    RatFn::from_poly(Poly::term(m.pow(&r), power_rational(&c, n)))
                                }
                                _ => base.pow(n, limit)?,
                            }
                        } else {
                            let a = self.atom(e);
                            RatFn::atom(a, q(1))
                        }
                    }
                    Some(r) if is_atomic(&self.ctx.store.node(b).clone()) => {
                        let a = self.atom(b);
                        RatFn::atom(a, r)
                    }
                    Some(r)
                        if !r.is_integer()
                            && self.ctx.store.as_num(b).is_none()
                            && r.denom().to_u32().is_some_and(|q| q <= MAX_ROOT_DEGREE) =>
                    {
                        // u^(p/q) = u^⌊p/q⌋·(u^(1/q))^(p − q⌊p/q⌋): one atom per root,
                        // so u^(3/2) and u·u^(1/2) meet (`reduce_roots` folds
                        // (u^(1/q))^q back to u)
                        let q_deg = r.denom().to_u32().unwrap_or(1);
                        let whole = r.floor();
                        let rest = (&r - &whole) * BigRational::from_integer(BigInt::from(q_deg));
                        let inv_q = self
                            .ctx
                            .num(BigRational::new(BigInt::one(), BigInt::from(q_deg)));
                        let root = self.ctx.pow(b, inv_q);
                        let a = self.atom(root);
                        self.roots.insert(a, (b, q_deg));
                        let root_part = RatFn::atom(a, rest);
                        let n = whole.to_integer().to_i64().unwrap_or(i64::MAX);
                        if n == 0 {
                            root_part
                        } else if n.abs() <= MAX_EXPANDED_POWER {
                            let base = self.ratfn_at(b, depth + 1)?;
                            base.pow(n, limit)?.mul(&root_part, limit)?
                        } else {
                            let a = self.atom(e);
                            RatFn::atom(a, q(1))
                        }
                    }
                    _ => {
                        let a = self.atom(e);
                        RatFn::atom(a, q(1))
                    }
                },
                _ => {
                    let a = self.atom(e);
                    RatFn::atom(a, q(1))
                }
            }
        };
        self.ratfn_memo.insert(e, out.clone());
        Ok(out)
    }

    /// `p` with every power of a root atom `(u^(1/q))^e` written as
    /// `u^k·(u^(1/q))^(e − qk)` with `0 ≤ e − qk < q` (an identity wherever the
    /// root is defined), so that a numerator that vanishes only through
    /// `(u^(1/q))^q = u` reduces to zero. `None` when `p` has no such power.
    pub fn reduce_roots(&mut self, p: &Poly) -> Result<Option<RatFn>, Abort> {
        let limit = self.budget.max_terms;
        let roots = self.roots.clone();
        let needs = p.terms.keys().any(|m| {
            m.0.iter().any(|(a, e)| {
                roots.get(a).is_some_and(|&(_, qd)| {
                    let qd = BigRational::from_integer(BigInt::from(qd));
                    e.is_negative() || *e >= qd
                })
            })
        });
        if !needs {
            return Ok(None);
        }
        let mut acc = RatFn::constant(BigRational::zero());
        for (m, c) in p.terms.clone() {
            let mut term = RatFn::constant(c);
            for (a, e) in m.0 {
                let Some(&(base, qd)) = roots.get(&a) else {
                    term = term.mul(&RatFn::atom(a, e), limit)?;
                    continue;
                };
                let qr = BigRational::from_integer(BigInt::from(qd));
                let k = (&e / &qr).floor();
                let left = &e - &k * &qr;
                let k = k.to_integer().to_i64().unwrap_or(i64::MAX);
                if k.abs() > MAX_EXPANDED_POWER {
                    return Ok(None);
                }
                let b = self.ratfn(base)?;
                term = term
                    .mul(&b.pow(k, limit)?, limit)?
                    .mul(&RatFn::atom(a, left), limit)?;
            }
            acc = acc.add(&term, limit)?;
        }
        Ok(Some(acc))
    }

    /// A monomial as a canonical expression.
    pub(super) fn monomial_expr(&mut self, m: &Monomial) -> ExprId {
        let mut factors = Vec::with_capacity(m.0.len());
        for (a, e) in &m.0 {
            let base = self.atoms[*a as usize];
            let x = self.ctx.num(e.clone());
            factors.push(self.ctx.pow(base, x));
        }
        self.ctx.product(factors)
    }

    pub fn poly_expr(&mut self, p: &Poly) -> ExprId {
        let mut terms = Vec::with_capacity(p.len());
        for (m, c) in &p.terms {
            let me = self.monomial_expr(m);
            terms.push(self.ctx.scaled(c.clone(), me));
        }
        self.ctx.sum(terms)
    }

    pub fn ratfn_expr(&mut self, r: &RatFn) -> ExprId {
        let n = self.poly_expr(&r.num);
        if r.has_unit_denominator() {
            return n;
        }
        let d = self.poly_expr(&r.den);
        let m1 = self.ctx.store.int(-1);
        let inv = self.ctx.pow(d, m1);
        self.ctx.product(vec![n, inv])
    }

    /// `exp(a)` for a normal `a`: sums split, multiples to powers, `exp(ln u) → u`.
    pub(super) fn exp_of(&mut self, a: ExprId) -> Result<ExprId, Abort> {
        let before = self.ctx.store.call1(Func::Exp, a);
        if self.ctx.store.as_num(a).is_some_and(|r| r.is_zero()) {
            return Ok(self.ctx.store.one());
        }
        let rf = self.ratfn(a)?;
        if !rf.has_unit_denominator() {
            let arg = self.ratfn_expr(&rf);
            return Ok(self.ctx.store.call1(Func::Exp, arg));
        }
        let mut factors = Vec::with_capacity(rf.num.len());
        let mut scaled = false;
        let mut used_ln = false;
        for (m, c) in rf.num.terms.iter() {
            let c_expr = self.ctx.num(c.clone());
            if !c.is_one() {
                scaled = true;
            }
            if m.is_one() {
                let one = self.ctx.store.one();
                let e1 = self.ctx.store.call1(Func::Exp, one);
                factors.push(self.ctx.pow(e1, c_expr));
                continue;
            }
            if let [(atom, e)] = m.0.as_slice() {
                if e.is_one() {
                    let atom_expr = self.atoms[*atom as usize];
                    if let Node::Call(Func::Ln, u) = self.ctx.store.node(atom_expr).clone() {
                        if may_fire(RuleId::ExpOfLn, self.ctx.store, &self.ctx.domains, u[0]) {
                            used_ln = true;
                            factors.push(self.ctx.pow(u[0], c_expr));
                            continue;
                        }
                    }
                }
            }
            let me = self.monomial_expr(m);
            let e = self.ctx.store.call1(Func::Exp, me);
            factors.push(self.ctx.pow(e, c_expr));
        }
        let out = self.ctx.product(factors);
        if rf.num.len() > 1 {
            self.ctx.step(RuleId::ExpOfSum, before, out);
        } else if used_ln {
            self.ctx.step(RuleId::ExpOfLn, before, out);
        } else if scaled {
            self.ctx.step(RuleId::ExpOfMultiple, before, out);
        }
        Ok(out)
    }

    /// `ln` of a positive rational: `ln(p) − ln(q)` with integer atoms.
    fn ln_number(&mut self, r: &BigRational) -> ExprId {
        let mut pieces = Vec::new();
        if !r.numer().is_one() {
            let p = self.ctx.num(BigRational::from_integer(r.numer().clone()));
            pieces.push(self.ctx.store.call1(Func::Ln, p));
        }
        if !r.denom().is_one() {
            let d = self.ctx.num(BigRational::from_integer(r.denom().clone()));
            let l = self.ctx.store.call1(Func::Ln, d);
            pieces.push(self.ctx.scaled(q(-1), l));
        }
        self.ctx.sum(pieces)
    }

    /// `ln` of an atom shown positive (or of `|atom|` for an even power).
    fn ln_atom(&mut self, atom: ExprId, use_abs: bool) -> Result<ExprId, Abort> {
        if use_abs {
            let a = self.ctx.store.call1(Func::Abs, atom);
            let a = self.ctx.local(a);
            return Ok(self.ctx.store.call1(Func::Ln, a));
        }
        match self.ctx.store.node(atom).clone() {
            Node::Call(Func::Exp, b) => {
                let out = b[0];
                let before = self.ctx.store.call1(Func::Ln, atom);
                self.ctx.step(RuleId::LnOfExp, before, out);
                Ok(out)
            }
            Node::Pow(b, x)
                if may_fire(RuleId::LnOfPower, self.ctx.store, &self.ctx.domains, b) =>
            {
                let lb = self.ln_of(b)?;
                let out = self.ctx.product(vec![x, lb]);
                let before = self.ctx.store.call1(Func::Ln, atom);
                self.ctx.step(RuleId::LnOfPower, before, out);
                Ok(out)
            }
            _ => Ok(self.ctx.store.call1(Func::Ln, atom)),
        }
    }

    /// `ln(a)` for a normal `a`: split into logs of positive pieces where shown.
    fn ln_of(&mut self, a: ExprId) -> Result<ExprId, Abort> {
        let before = self.ctx.store.call1(Func::Ln, a);
        if let Some(r) = self.ctx.store.as_num(a).cloned() {
            if !r.is_positive() {
                return Ok(before);
            }
            let out = self.ln_number(&r);
            self.ctx.step(RuleId::LnOfNumber, before, out);
            return Ok(out);
        }
        let limit = self.budget.max_terms;
        let rf = self.ratfn(a)?;
        let (cn, mn, mut pn) = rf.num.split_content();
        let (cd, md, mut pd) = rf.den.split_content();
        if !pd.as_constant().is_some_and(|c| c.is_one()) {
            if let Some(g) = gcd::gcd(&pn, &pd, limit) {
                if g.as_constant().is_none() {
                    if let (Some(n2), Some(d2)) =
                        (gcd::divide(&pn, &g, limit), gcd::divide(&pd, &g, limit))
                    {
                        pn = n2;
                        pd = d2;
                    }
                }
            }
        }
        let mut c = cn / cd;
        let mut pieces: Vec<ExprId> = Vec::new();
        let mut ok = true;
        let mut polys: Vec<(Poly, bool)> = Vec::new();
        for (p, is_den) in [(pn.clone(), false), (pd.clone(), true)] {
            if let Some(k) = p.as_constant() {
                c = if is_den { c / k } else { c * k };
                continue;
            }
            let (_, _, prim) = p.split_content();
            let scale = p
                .terms
                .values()
                .next()
                .cloned()
                .unwrap_or_else(BigRational::one)
                / prim
                    .terms
                    .values()
                    .next()
                    .cloned()
                    .unwrap_or_else(BigRational::one);
            let expr = self.poly_expr(&prim);
            let (prim, scale) = if may_fire(
                RuleId::LnOfQuotient,
                self.ctx.store,
                &self.ctx.domains,
                expr,
            ) {
                (prim, scale)
            } else {
                let negated = prim.neg();
                let expr = self.poly_expr(&negated);
                if may_fire(
                    RuleId::LnOfQuotient,
                    self.ctx.store,
                    &self.ctx.domains,
                    expr,
                ) {
                    (negated, -scale)
                } else {
                    ok = false;
                    break;
                }
            };
            c = if is_den { c / scale } else { c * scale };
            polys.push((prim, is_den));
        }
        let monomial = mn.mul(&md.pow(&q(-1)));
        let mut uses_abs = Vec::new();
        if ok {
            for (atom, e) in &monomial.0 {
                let ae = self.atoms[*atom as usize];
                if may_fire(RuleId::LnOfProduct, self.ctx.store, &self.ctx.domains, ae) {
                    uses_abs.push(false);
                } else if e.is_integer() && (e.numer() % 2) == BigInt::zero() {
                    uses_abs.push(true);
                } else {
                    ok = false;
                    break;
                }
            }
        }
        if !ok || !c.is_positive() {
            let canonical_arg = self.ratfn_expr(&rf);
            return Ok(self.ctx.store.call1(Func::Ln, canonical_arg));
        }
        if !c.is_one() {
            pieces.push(self.ln_number(&c));
        }
        for ((atom, e), use_abs) in monomial.0.iter().zip(uses_abs) {
            let ae = self.atoms[*atom as usize];
            let l = self.ln_atom(ae, use_abs)?;
            let ex = self.ctx.num(e.clone());
            pieces.push(self.ctx.product(vec![ex, l]));
        }
        for (p, is_den) in polys {
            let pe = self.poly_expr(&p);
            let l = self.ctx.store.call1(Func::Ln, pe);
            pieces.push(if is_den { self.ctx.scaled(q(-1), l) } else { l });
        }
        let out = self.ctx.sum(pieces);
        let rule = if rf.has_unit_denominator() && monomial.0.iter().all(|(_, e)| e.is_positive()) {
            RuleId::LnOfProduct
        } else {
            RuleId::LnOfQuotient
        };
        if out != before {
            self.ctx.step(rule, before, out);
        }
        Ok(out)
    }
}

fn power_rational(c: &BigRational, n: i64) -> BigRational {
    let magnitude = num_traits::pow(c.clone(), n.unsigned_abs() as usize);
    if n < 0 {
        BigRational::one() / magnitude
    } else {
        magnitude
    }
}

/// Nodes read as one atom with an exponent (`x^(1/2)` is atom `x` to the 1/2).
fn is_atomic(node: &Node) -> bool {
    !matches!(
        node,
        Node::Add(_) | Node::Mul(_) | Node::Num(_) | Node::Pow(..)
    )
}
