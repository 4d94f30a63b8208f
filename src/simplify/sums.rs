//! Index sums in normal form: a sum's body is expanded into monomials and each
//! is summed on its own (so δ-weighted products and constant factors come out
//! term by term), and a nest of sums over one product is re-nested in one
//! canonical order (sum exchange), so that `Σ_i Σ_j f(i, j)` and
//! `Σ_j Σ_i f(i, j)` meet.
//!
//! Both rewrites are exact for finite sums with integer bounds: distributing a
//! sum over the terms of its body is linearity, and exchanging the order of
//! two sums is valid when neither range depends on the other's index (checked
//! before a nest is merged).

use super::normalize::{Abort, Normalizer};
use super::rules::{RuleId, SideCondition};
use crate::domain::VarDomain;
use crate::expr::{ExprId, Node, Symbol};
use num_traits::One;
use std::collections::HashMap;

/// A body with more monomials than this is summed as it stands.
const MAX_EXPANDED_TERMS: usize = 256;
/// Nests of at most this many sums are tried in every order (4! = 24 orders);
/// deeper nests keep their order.
const MAX_EXCHANGED_SUMS: usize = 4;

/// One index of a merged nest: its (fresh) symbol and its bounds.
#[derive(Clone, Copy)]
struct NestIndex {
    symbol: Symbol,
    lower: ExprId,
    upper: ExprId,
}

impl Normalizer<'_> {
    /// The normal form of a sum whose body is normal.
    pub(super) fn normalize_sum(&mut self, id: ExprId) -> Result<ExprId, Abort> {
        let Node::Sum {
            index,
            lower,
            upper,
            body,
        } = self.ctx.store.node(id).clone()
        else {
            return Ok(self.ctx.local(id));
        };
        let expanded = self.expand_sum(index, lower, upper, body)?;
        let out = match expanded {
            Some(e) => {
                self.ctx.step(RuleId::SumExpand, id, e);
                e
            }
            None => self.ctx.local(id),
        };
        let out = self.geometric_in(out)?;
        Ok(self.exchange_in(out))
    }

    /// `e` (a canonical sum of products) with every geometric sum among its
    /// terms' factors in closed form.
    fn geometric_in(&mut self, e: ExprId) -> Result<ExprId, Abort> {
        let terms = match self.ctx.store.node(e) {
            Node::Add(ts) => ts.to_vec(),
            _ => vec![e],
        };
        let mut changed = false;
        let mut new_terms = Vec::with_capacity(terms.len());
        for t in terms {
            let factors = match self.ctx.store.node(t) {
                Node::Mul(fs) => fs.to_vec(),
                _ => vec![t],
            };
            let mut new_factors = Vec::with_capacity(factors.len());
            for f in factors {
                match self.geometric(f)? {
                    Some(g) => {
                        self.ctx.step(RuleId::GeometricSum, f, g);
                        changed = true;
                        new_factors.push(g);
                    }
                    None => new_factors.push(f),
                }
            }
            new_terms.push(self.ctx.product(new_factors));
        }
        if !changed {
            return Ok(e);
        }
        Ok(self.ctx.sum(new_terms))
    }

    /// `Σ_(k=l)^u exp(a·k) = (exp(a·(u + 1)) − exp(a·l)) / (exp(a) − 1)` for a
    /// body that is a product of powers `exp(a_j·k)^(c_j)` (so `a = Σ c_j a_j`),
    /// integer bounds with `u ≥ l − 1`, and `a ≠ 0` shown or recorded (at
    /// `a = 0` the sum is `u − l + 1`, which the formula does not give).
    fn geometric(&mut self, s: ExprId) -> Result<Option<ExprId>, Abort> {
        let Node::Sum {
            index,
            lower,
            upper,
            body,
        } = self.ctx.store.node(s).clone()
        else {
            return Ok(None);
        };
        let integer_bounds = [lower, upper].iter().all(|&b| {
            super::rules::condition_holds(
                RuleId::GeometricSum,
                SideCondition::IntegerBound,
                self.ctx.store,
                &self.ctx.domains,
                b,
            )
        });
        if !integer_bounds {
            return Ok(None);
        }
        let factors = match self.ctx.store.node(body) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![body],
        };
        let mut rates = Vec::new();
        let mut outside = Vec::new();
        for f in factors {
            if !self.ctx.store.contains_symbol(f, index) {
                outside.push(f);
                continue;
            }
            let (base, c) = match self.ctx.store.node(f) {
                Node::Pow(b, c) => match self.ctx.store.as_num(*c) {
                    Some(c) => (*b, c.clone()),
                    None => return Ok(None),
                },
                _ => (f, num_rational::BigRational::one()),
            };
            let Node::Call(crate::expr::Func::Exp, args) = self.ctx.store.node(base).clone() else {
                return Ok(None);
            };
            let Some(rate) = self.linear_rate(args[0], index) else {
                return Ok(None);
            };
            rates.push(self.ctx.scaled(c, rate));
        }
        if rates.is_empty() {
            return Ok(None);
        }
        let a = self.ctx.sum(rates);
        let one = self.ctx.store.one();
        let minus_lower = self.ctx.store.neg(lower);
        let count = self.ctx.store.sum(vec![upper, minus_lower, one]);
        let mut memo = HashMap::new();
        let count = self.ctx.canonical(count, &mut memo);
        if !super::rules::condition_holds(
            RuleId::GeometricSum,
            SideCondition::NonnegativeRange,
            self.ctx.store,
            &self.ctx.domains,
            count,
        ) {
            return Ok(None);
        }
        // a ≠ 0: shown, or recorded as a condition of the proof
        self.ctx.record_nonzero(a);
        let upper_plus_one = self.ctx.sum(vec![upper, one]);
        let top_arg = self.ctx.product(vec![a, upper_plus_one]);
        let low_arg = self.ctx.product(vec![a, lower]);
        let top = self.exp_of(top_arg)?;
        let low = self.exp_of(low_arg)?;
        let ratio = self.exp_of(a)?;
        let minus_low = self.ctx.scaled(-num_rational::BigRational::one(), low);
        let numerator = self.ctx.sum(vec![top, minus_low]);
        let minus_one = self.ctx.store.int(-1);
        let denominator = self.ctx.sum(vec![ratio, minus_one]);
        let inverse = self.ctx.pow(denominator, minus_one);
        outside.push(numerator);
        outside.push(inverse);
        Ok(Some(self.ctx.product(outside)))
    }

    /// `a` when `e = a·k` with `a` free of the index `k`.
    fn linear_rate(&mut self, e: ExprId, index: Symbol) -> Option<ExprId> {
        let factors = match self.ctx.store.node(e) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![e],
        };
        let k = factors
            .iter()
            .position(|&f| self.ctx.store.as_sym(f) == Some(index))?;
        let rest: Vec<ExprId> = factors
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != k)
            .map(|(_, &f)| f)
            .collect();
        if rest
            .iter()
            .any(|&f| self.ctx.store.contains_symbol(f, index))
        {
            return None;
        }
        Some(self.ctx.product(rest))
    }

    /// `Σ_j p(j)/q(j)` as the sum over the monomials `m` of `p` of `Σ_j m/q(j)`,
    /// each through the canonical sum rules (constant factors out, δ contracted).
    /// `None` when the body is a single monomial already or too large.
    fn expand_sum(
        &mut self,
        index: Symbol,
        lower: ExprId,
        upper: ExprId,
        body: ExprId,
    ) -> Result<Option<ExprId>, Abort> {
        let r = self.ratfn(body)?;
        if r.num.len() < 2 && r.has_unit_denominator() || r.num.len() > MAX_EXPANDED_TERMS {
            return Ok(None);
        }
        let over = if r.has_unit_denominator() {
            None
        } else {
            let d = self.poly_expr(&r.den);
            let m1 = self.ctx.store.int(-1);
            Some(self.ctx.pow(d, m1))
        };
        let terms: Vec<_> = r.num.terms.clone().into_iter().collect();
        let mut sums = Vec::with_capacity(terms.len());
        for (m, c) in terms {
            let me = self.monomial_expr(&m);
            let mut term = self.ctx.scaled(c, me);
            if let Some(inv) = over {
                term = self.ctx.product(vec![term, inv]);
            }
            let s = self.ctx.store.add(Node::Sum {
                index,
                lower,
                upper,
                body: term,
            });
            sums.push(self.ctx.local(s));
        }
        Ok(Some(self.ctx.sum(sums)))
    }

    /// `e` (a canonical sum of products) with every nest of sums among its terms'
    /// factors put in the canonical order.
    fn exchange_in(&mut self, e: ExprId) -> ExprId {
        let terms = match self.ctx.store.node(e) {
            Node::Add(ts) => ts.to_vec(),
            _ => vec![e],
        };
        let mut changed = false;
        let mut new_terms = Vec::with_capacity(terms.len());
        for t in terms {
            let factors = match self.ctx.store.node(t) {
                Node::Mul(fs) => fs.to_vec(),
                _ => vec![t],
            };
            let mut new_factors = Vec::with_capacity(factors.len());
            for f in factors {
                let g = self.exchange(f);
                changed |= g != f;
                new_factors.push(g);
            }
            new_terms.push(self.ctx.product(new_factors));
        }
        if !changed {
            return e;
        }
        let out = self.ctx.sum(new_terms);
        self.ctx.step(RuleId::SumExchange, e, out);
        out
    }

    /// A sum whose body holds further sums that depend on its index, merged into
    /// one nest and re-nested in the order whose canonical form comes first in
    /// the structural order. The candidates are the same for every order the
    /// nest was written in, so equal nests meet.
    fn exchange(&mut self, s: ExprId) -> ExprId {
        if !matches!(self.ctx.store.node(s), Node::Sum { .. }) {
            return s;
        }
        let mut indices = Vec::new();
        let mut factors = Vec::new();
        if !self.flatten_nest(s, &mut indices, &mut factors) {
            return s;
        }
        if indices.len() < 2 || indices.len() > MAX_EXCHANGED_SUMS {
            return s;
        }
        let mut best: Option<ExprId> = None;
        for order in permutations(indices.len()) {
            let candidate = self.build_nest(&order, &indices, &factors);
            best = Some(match best {
                Some(b)
                    if self.ctx.order.compare(self.ctx.store, b, candidate)
                        != std::cmp::Ordering::Greater =>
                {
                    b
                }
                _ => candidate,
            });
        }
        best.unwrap_or(s)
    }

    /// Collects the indices and the factors of the nest rooted at `s`, each index
    /// renamed to a fresh symbol (siblings may share a canonical name). `false`
    /// when a range depends on an index of the nest (no exchange then).
    fn flatten_nest(
        &mut self,
        s: ExprId,
        indices: &mut Vec<NestIndex>,
        factors: &mut Vec<ExprId>,
    ) -> bool {
        let Node::Sum {
            index,
            lower,
            upper,
            body,
        } = self.ctx.store.node(s).clone()
        else {
            factors.push(s);
            return true;
        };
        let bound_in_range = indices.iter().any(|i| {
            self.ctx.store.contains_symbol(lower, i.symbol)
                || self.ctx.store.contains_symbol(upper, i.symbol)
        });
        if bound_in_range
            || self.ctx.store.contains_symbol(lower, index)
            || self.ctx.store.contains_symbol(upper, index)
        {
            return false;
        }
        let name = format!("ι#nest{}", indices.len());
        let fresh = self.ctx.store.symbol(&name);
        let from_one = self.ctx.store.as_num(lower).is_some_and(|l| l.is_one());
        self.ctx.domains.declare(
            fresh,
            if from_one {
                VarDomain::Index { size: upper }
            } else {
                VarDomain::Integer
            },
        );
        let replacement = self.ctx.store.add(Node::Sym(fresh));
        let renamed = self.ctx.store.substitute(body, index, replacement);
        indices.push(NestIndex {
            symbol: fresh,
            lower,
            upper,
        });
        let parts = match self.ctx.store.node(renamed) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![renamed],
        };
        for p in parts {
            let nested = matches!(self.ctx.store.node(p), Node::Sum { .. })
                && self.ctx.store.contains_symbol(p, fresh);
            if !nested {
                factors.push(p);
                continue;
            }
            if !self.flatten_nest(p, indices, factors) {
                return false;
            }
        }
        true
    }

    /// The nest with `order[0]` outermost, in canonical form.
    fn build_nest(&mut self, order: &[usize], indices: &[NestIndex], factors: &[ExprId]) -> ExprId {
        let mut e = self.ctx.product(factors.to_vec());
        for &k in order.iter().rev() {
            let i = indices[k];
            let s = self.ctx.store.add(Node::Sum {
                index: i.symbol,
                lower: i.lower,
                upper: i.upper,
                body: e,
            });
            e = self.ctx.local(s);
        }
        // renaming to canonical index names may change how factors sort
        let mut memo = HashMap::new();
        self.ctx.canonical(e, &mut memo)
    }
}

/// Every order of `0..n` (n ≤ MAX_EXCHANGED_SUMS), the identity first.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for k in 0..n {
        let mut next = Vec::new();
        for p in &out {
            for pos in 0..=p.len() {
                let mut q = p.clone();
                q.insert(pos, k);
                next.push(q);
            }
        }
        out = next;
    }
    out.sort();
    out
}
