//! The canonical form: n-ary sums and products, flattened and sorted by the
//! structural order, like terms and powers of one base collected, numbers folded
//! exactly, exponents exact rationals.
//!
//! Each local rule takes a node whose children are already canonical and
//! returns a canonical node; `Ctx::canonical` walks a term bottom-up without
//! recursion (terms 10,000 deep occur) and memoizes shared subterms.

use super::order;
use super::rules::{self, RuleId, SideCondition};
use super::sign;
use super::{Trace, TraceStep};
use crate::domain::Domains;
use crate::expr::{ExprId, Func, Node, Store};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::collections::HashMap;

/// The state shared by canonicalization and normalization: the store, the
/// domains (with any case assumptions added), the trace, and the conditions
/// recorded where a rule extended a domain (`x·x^(−1) → 1` records `x ≠ 0`).
pub(crate) struct Ctx<'s> {
    pub store: &'s mut Store,
    pub domains: Domains,
    pub trace: Trace,
    pub conditions: Vec<ExprId>,
    pub order: order::Order,
}

fn rational(n: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}

/// The exact value of `base^r`, when it is a rational number.
pub(crate) fn number_power(base: &BigRational, r: &BigRational) -> Option<BigRational> {
    let q = r.denom().to_u32()?;
    let p = r.numer().to_i64()?;
    if base.is_zero() {
        // 0^0 and 0^(negative) are undefined; 0^(positive) is 0
        return if p > 0 {
            Some(BigRational::zero())
        } else {
            None
        };
    }
    if p.unsigned_abs() > 4096 {
        return None;
    }
    let root = if q == 1 {
        base.clone()
    } else {
        if base.is_negative() {
            return None;
        }
        let n = base.numer().nth_root(q);
        let d = base.denom().nth_root(q);
        if num_traits::pow(n.clone(), q as usize) != *base.numer()
            || num_traits::pow(d.clone(), q as usize) != *base.denom()
        {
            return None;
        }
        BigRational::new(n, d)
    };
    let magnitude = num_traits::pow(root, p.unsigned_abs() as usize);
    if p < 0 {
        Some(BigRational::one() / magnitude)
    } else {
        Some(magnitude)
    }
}

impl<'s> Ctx<'s> {
    pub fn new(store: &'s mut Store, domains: &Domains) -> Ctx<'s> {
        Ctx {
            store,
            domains: domains.clone(),
            trace: Trace::default(),
            conditions: Vec::new(),
            order: order::Order::default(),
        }
    }

    pub fn step(&mut self, rule: RuleId, before: ExprId, after: ExprId) {
        if before != after {
            self.trace.push(TraceStep {
                rule: super::rules::rule_of(rule).name,
                before,
                after,
            });
        }
    }

    /// Records `e ≠ 0` as a condition of the result, unless it is shown.
    pub fn record_nonzero(&mut self, e: ExprId) {
        if sign::is_nonzero(self.store, &self.domains, e) {
            return;
        }
        let zero = self.store.zero();
        let c = self.store.cmp(crate::expr::CmpOp::Ne, e, zero);
        if !self.conditions.contains(&c) {
            self.conditions.push(c);
        }
    }

    pub fn num(&mut self, r: BigRational) -> ExprId {
        self.store.num(r)
    }

    /// The canonical form of `e` (bottom-up, memoized in `memo`).
    pub fn canonical(&mut self, e: ExprId, memo: &mut HashMap<ExprId, ExprId>) -> ExprId {
        let done: Result<ExprId, std::convert::Infallible> = crate::expr::rebuild_bottom_up(
            self,
            |ctx| &mut *ctx.store,
            e,
            memo,
            true,
            &mut |ctx, rebuilt, _| Ok(ctx.local(rebuilt)),
        );
        let Ok(out) = done;
        out
    }

    /// One canonicalization step on a node whose children are canonical.
    pub fn local(&mut self, id: ExprId) -> ExprId {
        match self.store.node(id).clone() {
            Node::Add(terms) => {
                let out = self.sum(terms.to_vec());
                self.step(RuleId::FlattenSum, id, out);
                out
            }
            Node::Mul(factors) => {
                let out = self.product(factors.to_vec());
                self.step(RuleId::FlattenProduct, id, out);
                out
            }
            Node::Pow(b, e) => {
                let (out, rule) = self.pow_with_rule(b, e);
                if let Some(rule) = rule {
                    self.step(rule, id, out);
                }
                out
            }
            Node::Call(Func::Delta, args)
                if args.len() == 2
                    && self.order.compare(self.store, args[0], args[1])
                        == std::cmp::Ordering::Greater =>
            {
                // δ is symmetric: δ(j, i) → δ(i, j)
                let swapped = self.store.call(Func::Delta, vec![args[1], args[0]]);
                self.step(RuleId::ConstantCall, id, swapped);
                self.call(Func::Delta, &[args[1], args[0]], swapped)
            }
            Node::Call(f, args) => self.call(f, &args, id),
            Node::Sum { .. } => self.sum_node(id),
            _ => id,
        }
    }

    /// Index calculus on a sum whose parts are canonical: linearity, constant
    /// factors and terms out, and `Σ_j δ(i, j)·f(j) → f(i)`.
    fn sum_node(&mut self, id: ExprId) -> ExprId {
        let Node::Sum {
            index,
            lower,
            upper,
            body,
        } = self.store.node(id).clone()
        else {
            return id;
        };
        // rename the index canonically, so Σ_j f(j) and Σ_k f(k) are one node
        let (id, index, body) = self.canonical_index(id, index, lower, upper, body);
        let depends = |store: &Store, e: ExprId| store.contains_symbol(e, index);
        let integer_bounds = [lower, upper].iter().all(|&b| {
            rules::condition_holds(
                RuleId::SumOfConstant,
                SideCondition::IntegerBound,
                self.store,
                &self.domains,
                b,
            )
        });
        if !depends(self.store, body) {
            // Σ_(j=l)^u c = (u − l + 1)·c, for integer bounds only (otherwise
            // the sum is undefined)
            if !integer_bounds {
                return id;
            }
            let one = self.store.one();
            let minus_lower = self.store.neg(lower);
            let count = self.store.sum(vec![upper, minus_lower, one]);
            let count = self.canonical_local(count);
            if !rules::condition_holds(
                RuleId::SumOfConstant,
                SideCondition::NonnegativeRange,
                self.store,
                &self.domains,
                count,
            ) {
                return id;
            }
            let out = self.product(vec![count, body]);
            self.step(RuleId::SumOfConstant, id, out);
            return out;
        }
        if self.is_whole_onehot(index, lower, upper, body) {
            let one = self.store.one();
            self.step(RuleId::OneHotSum, id, one);
            return one;
        }
        match self.store.node(body).clone() {
            Node::Add(terms) => {
                let sums: Vec<ExprId> = terms
                    .iter()
                    .map(|&t| {
                        let s = self.store.add(Node::Sum {
                            index,
                            lower,
                            upper,
                            body: t,
                        });
                        self.sum_node(s)
                    })
                    .collect();
                let out = self.sum(sums);
                self.step(RuleId::SumLinear, id, out);
                out
            }
            Node::Call(Func::Delta, _) => {
                // Σ_j δ(i, j) → 1 when i ranges over the sum's range
                match self.contract_delta(index, lower, upper, &[body]) {
                    Some(out) => {
                        self.step(RuleId::SumOfDelta, id, out);
                        out
                    }
                    None => id,
                }
            }
            Node::Mul(factors) => {
                // Σ_j δ(i, j)·f(j) → f(i) when i ranges over the sum's range
                if let Some(out) = self.contract_delta(index, lower, upper, &factors) {
                    self.step(RuleId::SumOfDelta, id, out);
                    return out;
                }
                let (outside, inside): (Vec<ExprId>, Vec<ExprId>) =
                    factors.iter().partition(|&&f| !depends(self.store, f));
                if outside.is_empty() {
                    return id;
                }
                let inner_body = self.product(inside);
                let inner = self.store.add(Node::Sum {
                    index,
                    lower,
                    upper,
                    body: inner_body,
                });
                let inner = self.sum_node(inner);
                let mut all = outside;
                all.push(inner);
                let out = self.product(all);
                self.step(RuleId::SumConstantFactor, id, out);
                out
            }
            _ => id,
        }
    }

    /// Whether `Σ_(index=lower)^upper body` is `Σ_(i=1)^n e_i` for a one-hot `e`
    /// of size `n` (its entries sum to 1).
    fn is_whole_onehot(
        &self,
        index: crate::expr::Symbol,
        lower: ExprId,
        upper: ExprId,
        body: ExprId,
    ) -> bool {
        if !self.store.as_num(lower).is_some_and(|l| l.is_one()) {
            return false;
        }
        let Node::Index(base, idx) = self.store.node(body) else {
            return false;
        };
        if idx.len() != 1 || self.store.as_sym(idx[0]) != Some(index) {
            return false;
        }
        let Some(vector) = self.store.as_sym(*base) else {
            return false;
        };
        matches!(
            self.domains.get(vector),
            Some(crate::domain::VarDomain::OneHot { size }) if *size == upper
        )
    }

    /// Alpha-renames a sum's index to a name fixed by the sum's nesting height and
    /// range (`k`, `l`, `p`, ... from the innermost out), so sums that differ only
    /// in the name of their index become one node. An inner sum has a smaller
    /// height, and a sum of the same height cannot enclose this one, so the new
    /// name is never captured.
    fn canonical_index(
        &mut self,
        id: ExprId,
        index: crate::expr::Symbol,
        lower: ExprId,
        upper: ExprId,
        body: ExprId,
    ) -> (ExprId, crate::expr::Symbol, ExprId) {
        let height = self.sum_height(body);
        // shown as ι, ι′, ι″, ...: letters a file is unlikely to use for its own indices
        let letter = format!("ι{}", "′".repeat(height));
        let name = format!("{letter}#sum{height}#{}#{}", lower.index(), upper.index());
        let canonical = self.store.symbol(&name);
        if canonical == index {
            return (id, index, body);
        }
        let from_one = self.store.as_num(lower).is_some_and(|l| l.is_one());
        let domain = if from_one {
            crate::domain::VarDomain::Index { size: upper }
        } else {
            crate::domain::VarDomain::Integer
        };
        self.domains.declare(canonical, domain);
        let replacement = self.store.add(Node::Sym(canonical));
        let renamed = self.store.substitute(body, index, replacement);
        let out = self.store.add(Node::Sum {
            index: canonical,
            lower,
            upper,
            body: renamed,
        });
        (out, canonical, renamed)
    }

    /// How deeply sums nest inside `e` (0 when there is none).
    fn sum_height(&self, e: ExprId) -> usize {
        let mut best = 0;
        let mut stack = vec![e];
        let mut seen = std::collections::HashSet::new();
        while let Some(x) = stack.pop() {
            if !seen.insert(x) {
                continue;
            }
            if let Node::Sum { body, .. } = self.store.node(x) {
                best = best.max(1 + self.sum_height(*body));
                continue;
            }
            stack.extend(self.store.children(x));
        }
        best
    }

    /// `f(i)` for `Σ_(j=1)^n δ(i, j)·f(j)` where `i` is an index over `1..n`.
    fn contract_delta(
        &mut self,
        index: crate::expr::Symbol,
        lower: ExprId,
        upper: ExprId,
        factors: &[ExprId],
    ) -> Option<ExprId> {
        if !self.store.as_num(lower).is_some_and(|l| l.is_one()) {
            return None;
        }
        for (k, &f) in factors.iter().enumerate() {
            let Node::Call(Func::Delta, args) = self.store.node(f).clone() else {
                continue;
            };
            let [a, b] = args[..] else {
                continue;
            };
            let other = match (self.store.as_sym(a), self.store.as_sym(b)) {
                (Some(s), _) if s == index => b,
                (_, Some(s)) if s == index => a,
                _ => continue,
            };
            let Some(other_sym) = self.store.as_sym(other) else {
                continue;
            };
            if other_sym == index {
                continue;
            }
            // the other index must range over exactly 1..upper
            let same_range = matches!(
                self.domains.get(other_sym),
                Some(crate::domain::VarDomain::Index { size }) if *size == upper
            );
            if !same_range {
                continue;
            }
            let rest: Vec<ExprId> = factors
                .iter()
                .enumerate()
                .filter(|&(m, _)| m != k)
                .map(|(_, &g)| self.store.substitute(g, index, other))
                .collect();
            let product = self.store.product(rest);
            return Some(self.canonical_local(product));
        }
        None
    }

    /// The canonical form of a small term built from canonical parts.
    fn canonical_local(&mut self, e: ExprId) -> ExprId {
        let mut memo = HashMap::new();
        self.canonical(e, &mut memo)
    }

    /// `δ(i, j)·f(j) → δ(i, j)·f(i)`: in a product with a δ of two indices, the
    /// later index (in the structural order) is replaced by the earlier one
    /// elsewhere in the product.
    fn substitute_deltas(&mut self, factors: Vec<ExprId>) -> Vec<ExprId> {
        let mut factors = factors;
        for k in 0..factors.len() {
            let Node::Call(Func::Delta, args) = self.store.node(factors[k]).clone() else {
                continue;
            };
            let [a, b] = args[..] else {
                continue;
            };
            if a == b
                || !rules::may_fire(RuleId::DeltaSubstitute, self.store, &self.domains, a)
                || !rules::may_fire(RuleId::DeltaSubstitute, self.store, &self.domains, b)
            {
                continue;
            }
            let (keep, gone) =
                if self.order.compare(self.store, a, b) == std::cmp::Ordering::Greater {
                    (b, a)
                } else {
                    (a, b)
                };
            let Some(gone_sym) = self.store.as_sym(gone) else {
                continue;
            };
            let delta = factors[k];
            for factor in factors.iter_mut() {
                if *factor == delta || !self.store.contains_symbol(*factor, gone_sym) {
                    continue;
                }
                let before = *factor;
                let replaced = self.store.substitute(before, gone_sym, keep);
                *factor = self.canonical_local(replaced);
                self.step(RuleId::DeltaSubstitute, before, *factor);
            }
        }
        factors
    }

    /// A term as `(coefficient, rest)`: `3·x·y` is `(3, x·y)`.
    pub fn split_coefficient(&mut self, t: ExprId) -> (BigRational, ExprId) {
        match self.store.node(t).clone() {
            Node::Num(r) => (r, self.store.one()),
            Node::Mul(fs) => match self.store.as_num(fs[0]).cloned() {
                Some(c) if fs.len() > 1 => (c, self.store.product(fs[1..].to_vec())),
                _ => (BigRational::one(), t),
            },
            _ => (BigRational::one(), t),
        }
    }

    /// `c · rest` as a canonical product (the number first).
    pub fn scaled(&mut self, c: BigRational, rest: ExprId) -> ExprId {
        if c.is_zero() {
            return self.store.zero();
        }
        if c.is_one() {
            return rest;
        }
        if let Some(r) = self.store.as_num(rest).cloned() {
            return self.num(c * r);
        }
        let mut factors = vec![self.num(c)];
        match self.store.node(rest) {
            Node::Mul(fs) => factors.extend(fs.iter().copied()),
            _ => factors.push(rest),
        }
        self.store.product(factors)
    }

    /// A canonical sum of canonical terms.
    pub fn sum(&mut self, terms: Vec<ExprId>) -> ExprId {
        let mut flat = Vec::with_capacity(terms.len());
        for t in terms {
            match self.store.node(t) {
                Node::Add(ts) => flat.extend(ts.iter().copied()),
                _ => flat.push(t),
            }
        }
        let mut constant = BigRational::zero();
        let mut order: Vec<ExprId> = Vec::new();
        let mut coefficients: HashMap<ExprId, BigRational> = HashMap::new();
        for t in flat {
            if let Some(r) = self.store.as_num(t) {
                constant += r;
                continue;
            }
            let (c, rest) = self.split_coefficient(t);
            match coefficients.get_mut(&rest) {
                Some(existing) => *existing += c,
                None => {
                    order.push(rest);
                    coefficients.insert(rest, c);
                }
            }
        }
        let store = &*self.store;
        order.sort_by(|a, b| self.order.compare(store, *a, *b));
        let mut out = Vec::new();
        if !constant.is_zero() {
            out.push(self.num(constant));
        }
        for rest in order {
            let c = coefficients.remove(&rest).unwrap_or_else(BigRational::zero);
            if c.is_zero() {
                continue;
            }
            out.push(self.scaled(c, rest));
        }
        self.store.sum(out)
    }

    /// A canonical product of canonical factors.
    pub fn product(&mut self, factors: Vec<ExprId>) -> ExprId {
        let mut flat = Vec::with_capacity(factors.len());
        for f in factors {
            match self.store.node(f) {
                Node::Mul(fs) => flat.extend(fs.iter().copied()),
                _ => flat.push(f),
            }
        }
        let flat = self.substitute_deltas(flat);
        let mut coefficient = BigRational::one();
        let mut order: Vec<ExprId> = Vec::new();
        let mut exponents: HashMap<ExprId, BigRational> = HashMap::new();
        for f in flat {
            if let Some(r) = self.store.as_num(f) {
                coefficient *= r;
                continue;
            }
            let (base, e) = match self.store.node(f) {
                Node::Pow(b, e) => match self.store.as_num(*e) {
                    Some(r) => (*b, r.clone()),
                    None => (f, BigRational::one()),
                },
                _ => (f, BigRational::one()),
            };
            match exponents.get_mut(&base) {
                Some(existing) => *existing += e,
                None => {
                    order.push(base);
                    exponents.insert(base, e);
                }
            }
        }
        if coefficient.is_zero() {
            return self.store.zero();
        }
        let store = &*self.store;
        order.sort_by(|a, b| self.order.compare(store, *a, *b));
        let mut out = Vec::new();
        let mut resort = false;
        for base in order {
            let e = exponents.remove(&base).unwrap_or_else(BigRational::zero);
            if e.is_zero() {
                // x^a·x^(−a) → 1 extends the domain to x = 0: record it
                self.record_nonzero(base);
                continue;
            }
            if let Some(b) = self.store.as_num(base).cloned() {
                if let Some(v) = number_power(&b, &e) {
                    coefficient *= v;
                    continue;
                }
            }
            let exponent = self.num(e);
            let p = self.pow(base, exponent);
            match self.store.node(p).clone() {
                Node::Num(r) => coefficient *= r,
                Node::Mul(fs) => {
                    // a distributed power: its factors need sorting among the rest
                    resort = true;
                    out.extend(fs.iter().copied());
                }
                _ => out.push(p),
            }
        }
        if coefficient.is_zero() {
            return self.store.zero();
        }
        // factors that came out of a power (a distributed product) may need sorting again
        if out.iter().any(|&f| self.store.as_num(f).is_some()) {
            let mut rest = Vec::new();
            for f in out {
                match self.store.as_num(f).cloned() {
                    Some(r) => coefficient *= r,
                    None => rest.push(f),
                }
            }
            out = rest;
        }
        if resort {
            let store = &*self.store;
            out.sort_by(|a, b| self.order.compare_factors(store, *a, *b));
        }
        if !coefficient.is_one() {
            let c = self.num(coefficient);
            out.insert(0, c);
        }
        self.store.product(out)
    }

    /// A canonical power of canonical parts.
    pub fn pow(&mut self, base: ExprId, exponent: ExprId) -> ExprId {
        self.pow_with_rule(base, exponent).0
    }

    /// A canonical power and the rule that produced it (`None`: kept as it was).
    pub fn pow_with_rule(&mut self, base: ExprId, exponent: ExprId) -> (ExprId, Option<RuleId>) {
        let before = self.store.pow(base, exponent);
        let Some(r) = self.store.as_num(exponent).cloned() else {
            if self.store.as_num(base).is_some_and(|b| b.is_one()) {
                let one = self.store.one();
                return (one, Some(RuleId::NumberPower));
            }
            return (before, None);
        };
        if r.is_one() {
            return (base, Some(RuleId::PowerOne));
        }
        if let Some(b) = self.store.as_num(base).cloned() {
            if let Some(v) = number_power(&b, &r) {
                let out = self.num(v);
                return (out, Some(RuleId::NumberPower));
            }
            return (before, None);
        }
        if r.is_zero() {
            self.record_nonzero(base);
            let one = self.store.one();
            return (one, Some(RuleId::PowerZero));
        }
        match self.store.node(base).clone() {
            Node::Pow(inner, s) => {
                if let Some(s) = self.store.as_num(s).cloned() {
                    if r.is_integer()
                        || rules::condition_holds(
                            RuleId::PowerOfPower,
                            SideCondition::IntegerExponentOrNonnegativeBase,
                            self.store,
                            &self.domains,
                            inner,
                        )
                    {
                        let product = self.num(s * &r);
                        let out = self.pow(inner, product);
                        return (out, Some(RuleId::PowerOfPower));
                    }
                }
                (before, None)
            }
            Node::Mul(fs) => {
                let distributable = r.is_integer()
                    || fs.iter().all(|&f| {
                        rules::condition_holds(
                            RuleId::PowerOfProduct,
                            SideCondition::IntegerExponentOrNonnegativeBase,
                            self.store,
                            &self.domains,
                            f,
                        )
                    });
                if !distributable {
                    return (before, None);
                }
                let mut parts = Vec::with_capacity(fs.len());
                for &f in fs.iter() {
                    let e = self.num(r.clone());
                    parts.push(self.pow(f, e));
                }
                let out = self.product(parts);
                (out, Some(RuleId::PowerOfProduct))
            }
            _ => (before, None),
        }
    }

    /// Exact values of built-ins at numbers, and sign-decided steps.
    fn call(&mut self, f: Func, args: &[ExprId], id: ExprId) -> ExprId {
        let arg = args.first().copied().unwrap_or(id);
        let half = BigRational::new(1.into(), 2.into());
        let numbers: Option<Vec<BigRational>> = args
            .iter()
            .map(|&a| self.store.as_num(a).cloned())
            .collect();
        let folded = match (f, args) {
            // δ(i, i) = 1 for any index i
            (Func::Delta, [a, b]) if a == b => Some(BigRational::one()),
            _ => numbers.and_then(|ns| f.exact_value(&ns)),
        };
        if let Some(v) = folded {
            let out = self.num(v);
            self.step(RuleId::ConstantCall, id, out);
            return out;
        }
        if let (Func::Delta, [a, b]) = (f, args) {
            // δ(i, j) → 0 where i ≠ j is shown (a claim's `where i != j`)
            let minus_b = self.store.neg(*b);
            let difference = self.store.sum(vec![*a, minus_b]);
            let difference = self.canonical_local(difference);
            if rules::may_fire(
                RuleId::DeltaOfDistinct,
                self.store,
                &self.domains,
                difference,
            ) {
                let out = self.store.zero();
                self.step(RuleId::DeltaOfDistinct, id, out);
                return out;
            }
        }
        match f {
            Func::Sqrt => {
                let h = self.num(half);
                let out = self.pow(arg, h);
                self.step(RuleId::SqrtAsPower, id, out);
                out
            }
            Func::Abs => {
                let case = |this: &Self, c: SideCondition| {
                    rules::condition_holds(RuleId::AbsOfSigned, c, this.store, &this.domains, arg)
                };
                if case(self, SideCondition::NonnegativeArgument) {
                    self.step(RuleId::AbsOfSigned, id, arg);
                    return arg;
                }
                if case(self, SideCondition::NonpositiveArgument) {
                    let m = rational(-1);
                    let (c, rest) = self.split_coefficient(arg);
                    let out = if let Node::Add(ts) = self.store.node(arg).clone() {
                        let negated: Vec<ExprId> = ts
                            .iter()
                            .map(|&t| {
                                let (c, rest) = self.split_coefficient(t);
                                self.scaled(-c, rest)
                            })
                            .collect();
                        self.sum(negated)
                    } else {
                        self.scaled(c * m, rest)
                    };
                    self.step(RuleId::AbsOfSigned, id, out);
                    return out;
                }
                id
            }
            Func::Heaviside | Func::Sign | Func::Relu => {
                let s = sign::sign_of(self.store, &self.domains, arg);
                let decided = |v: i64| Some(rational(v));
                let value: Option<BigRational> = match (f, s.negative, s.zero, s.positive) {
                    (Func::Heaviside, false, false, true) => decided(1),
                    (Func::Heaviside, true, false, false) => decided(0),
                    (Func::Heaviside, false, true, false) => Some(half),
                    (Func::Sign, false, false, true) => decided(1),
                    (Func::Sign, true, false, false) => decided(-1),
                    (Func::Sign, false, true, false) => decided(0),
                    (Func::Relu, true, _, false) | (Func::Relu, false, true, false) => decided(0),
                    _ => None,
                };
                if let Some(v) = value {
                    let out = self.num(v);
                    self.step(RuleId::StepOfSigned, id, out);
                    return out;
                }
                if f == Func::Relu && !s.negative {
                    self.step(RuleId::StepOfSigned, id, arg);
                    return arg;
                }
                id
            }
            _ => id,
        }
    }
}
