//! Multivariate polynomial GCD over the rationals (recursive primitive PRS).
//!
//! Polynomials are `Poly`s whose exponents are non-negative integers. The
//! algorithm views a polynomial as univariate in its first atom with
//! coefficients in the remaining atoms, takes contents recursively, and runs a
//! primitive pseudo-remainder sequence. Every exact division is checked; any
//! failure (a fractional exponent, the size limit) gives `None`, and callers
//! then keep the quotient as it was: cancelling is never needed for soundness.

use super::poly::{AtomId, Monomial, Poly};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed};
use std::collections::BTreeMap;

/// The most pseudo-remainder steps one GCD may take.
const MAX_STEPS: usize = 200;

fn is_polynomial(p: &Poly) -> bool {
    p.terms
        .keys()
        .all(|m| m.0.iter().all(|(_, e)| e.is_integer() && !e.is_negative()))
}

fn first_atom(p: &Poly) -> Option<AtomId> {
    p.terms
        .keys()
        .filter_map(|m| m.0.first().map(|(a, _)| *a))
        .min()
}

fn degree_in(p: &Poly, v: AtomId) -> i64 {
    p.terms
        .keys()
        .map(|m| exponent_i64(m, v))
        .max()
        .unwrap_or(0)
}

fn exponent_i64(m: &Monomial, v: AtomId) -> i64 {
    let e = m.exponent(v);
    e.to_integer().try_into().unwrap_or(0)
}

/// `p` as `Σ coefficient_k · v^k`.
fn coefficients_in(p: &Poly, v: AtomId) -> BTreeMap<i64, Poly> {
    let mut out: BTreeMap<i64, Poly> = BTreeMap::new();
    for (m, c) in &p.terms {
        let k = exponent_i64(m, v);
        let rest = Monomial(m.0.iter().filter(|(a, _)| *a != v).cloned().collect());
        let entry = out.entry(k).or_default();
        entry.terms.insert(rest, c.clone());
    }
    out
}

fn power_of(v: AtomId, k: i64) -> Monomial {
    Monomial::atom(v, BigRational::from_integer(BigInt::from(k)))
}

fn leading_coefficient(p: &Poly, v: AtomId) -> Poly {
    coefficients_in(p, v)
        .into_iter()
        .next_back()
        .map(|(_, c)| c)
        .unwrap_or_default()
}

/// `a / b` when `b` divides `a` exactly.
pub fn divide(a: &Poly, b: &Poly, limit: usize) -> Option<Poly> {
    if b.is_zero() {
        return None;
    }
    if a.is_zero() {
        return Some(Poly::zero());
    }
    if let Some(c) = b.as_constant() {
        return Some(a.scale(&(BigRational::one() / c), &Monomial::one()));
    }
    let v = first_atom(a).into_iter().chain(first_atom(b)).min()?;
    let db = degree_in(b, v);
    if db == 0 {
        // b is free of v: divide each coefficient
        let mut out = Poly::zero();
        for (k, c) in coefficients_in(a, v) {
            let q = divide(&c, b, limit)?;
            out = out
                .add(&q.scale(&BigRational::one(), &power_of(v, k)), limit)
                .ok()?;
        }
        return Some(out);
    }
    let lb = leading_coefficient(b, v);
    let mut rest = a.clone();
    let mut quotient = Poly::zero();
    let mut steps = 0;
    while !rest.is_zero() && degree_in(&rest, v) >= db {
        steps += 1;
        if steps > MAX_STEPS {
            return None;
        }
        let shift = degree_in(&rest, v) - db;
        let lr = leading_coefficient(&rest, v);
        let q = divide(&lr, &lb, limit)?.scale(&BigRational::one(), &power_of(v, shift));
        rest = rest.sub(&q.mul(b, limit).ok()?, limit).ok()?;
        quotient = quotient.add(&q, limit).ok()?;
    }
    if !rest.is_zero() {
        return None;
    }
    Some(quotient)
}

/// A fixed representative of `p` up to a rational factor: integer coprime
/// coefficients with a positive leading one (in the map's order).
fn normalize(p: &Poly) -> Poly {
    let (_, m, rest) = p.split_content();
    let rest = rest.scale(&BigRational::one(), &m);
    let negative = rest
        .terms
        .values()
        .next_back()
        .is_some_and(|c| c.is_negative());
    if negative {
        rest.neg()
    } else {
        rest
    }
}

/// The content of `p` as a polynomial in `v`, and its primitive part.
fn content_and_primitive(p: &Poly, v: AtomId, limit: usize, depth: usize) -> Option<(Poly, Poly)> {
    let mut content = Poly::zero();
    for (_, c) in coefficients_in(p, v) {
        content = gcd_at(&content, &c, limit, depth + 1)?;
        if content.as_constant().is_some() {
            break;
        }
    }
    let primitive = divide(p, &content, limit)?;
    Some((content, primitive))
}

fn pseudo_remainder(a: &Poly, b: &Poly, v: AtomId, limit: usize) -> Option<Poly> {
    let db = degree_in(b, v);
    let lb = leading_coefficient(b, v);
    let mut r = a.clone();
    let mut steps = 0;
    while !r.is_zero() && degree_in(&r, v) >= db {
        steps += 1;
        if steps > MAX_STEPS {
            return None;
        }
        let shift = degree_in(&r, v) - db;
        let lr = leading_coefficient(&r, v);
        let scaled = r.mul(&lb, limit).ok()?;
        let cancel = lr
            .scale(&BigRational::one(), &power_of(v, shift))
            .mul(b, limit)
            .ok()?;
        r = scaled.sub(&cancel, limit).ok()?;
    }
    Some(r)
}

/// The greatest common divisor of two polynomials (up to a rational factor,
/// normalized), or `None` if it cannot be computed within `limit` terms.
pub fn gcd(a: &Poly, b: &Poly, limit: usize) -> Option<Poly> {
    if !is_polynomial(a) || !is_polynomial(b) {
        return None;
    }
    gcd_at(a, b, limit, 0)
}

fn gcd_at(a: &Poly, b: &Poly, limit: usize, depth: usize) -> Option<Poly> {
    if depth > 64 {
        return None;
    }
    if a.is_zero() {
        return Some(normalize(b));
    }
    if b.is_zero() {
        return Some(normalize(a));
    }
    if a.as_constant().is_some() || b.as_constant().is_some() {
        return Some(Poly::one());
    }
    let v = first_atom(a).into_iter().chain(first_atom(b)).min()?;
    let (ca, pa) = content_and_primitive(a, v, limit, depth)?;
    let (cb, pb) = content_and_primitive(b, v, limit, depth)?;
    let content = gcd_at(&ca, &cb, limit, depth + 1)?;
    if degree_in(&pa, v) == 0 || degree_in(&pb, v) == 0 {
        return Some(normalize(&content));
    }
    let (mut x, mut y) = if degree_in(&pa, v) >= degree_in(&pb, v) {
        (pa, pb)
    } else {
        (pb, pa)
    };
    let mut steps = 0;
    let g = loop {
        steps += 1;
        if steps > MAX_STEPS {
            return None;
        }
        let r = pseudo_remainder(&x, &y, v, limit)?;
        if r.is_zero() {
            break y;
        }
        if degree_in(&r, v) == 0 {
            break Poly::one();
        }
        let (_, pr) = content_and_primitive(&r, v, limit, depth)?;
        x = y;
        y = pr;
    };
    let (_, pg) = content_and_primitive(&g, v, limit, depth)?;
    Some(normalize(&pg.mul(&content, limit).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64) -> BigRational {
        BigRational::from_integer(BigInt::from(n))
    }

    fn poly(terms: &[(i64, &[(AtomId, i64)])]) -> Poly {
        let mut p = Poly::zero();
        for (c, m) in terms {
            let mono = Monomial(m.iter().map(|(a, e)| (*a, q(*e))).collect());
            p = p.add(&Poly::term(mono, q(*c)), 1000).unwrap();
        }
        p
    }

    #[test]
    fn gcd_of_difference_of_squares_and_linear() {
        // x^2 - 1 and x - 1 have gcd x - 1
        let a = poly(&[(1, &[(0, 2)]), (-1, &[])]);
        let b = poly(&[(1, &[(0, 1)]), (-1, &[])]);
        let g = gcd(&a, &b, 1000).unwrap();
        assert_eq!(normalize(&g), normalize(&b));
        let q = divide(&a, &g, 1000).unwrap();
        assert_eq!(q, poly(&[(1, &[(0, 1)]), (1, &[])]));
    }

    #[test]
    fn multivariate_gcd_finds_the_common_factor() {
        // (x + y)(x - 2y) and (x + y)(y + 3)
        let f = poly(&[(1, &[(0, 1)]), (1, &[(1, 1)])]);
        let g1 = poly(&[(1, &[(0, 1)]), (-2, &[(1, 1)])]);
        let g2 = poly(&[(1, &[(1, 1)]), (3, &[])]);
        let a = f.mul(&g1, 1000).unwrap();
        let b = f.mul(&g2, 1000).unwrap();
        let g = gcd(&a, &b, 1000).unwrap();
        assert_eq!(normalize(&g), normalize(&f));
    }

    #[test]
    fn coprime_polynomials_have_gcd_one() {
        let a = poly(&[(1, &[(0, 1)]), (1, &[])]);
        let b = poly(&[(1, &[(1, 1)]), (1, &[])]);
        assert_eq!(gcd(&a, &b, 1000), Some(Poly::one()));
    }

    #[test]
    fn inexact_division_is_refused() {
        let a = poly(&[(1, &[(0, 2)]), (1, &[])]);
        let b = poly(&[(1, &[(0, 1)]), (-1, &[])]);
        assert_eq!(divide(&a, &b, 1000), None);
    }
}
