//! Laurent polynomials and rational functions over atoms, with exact coefficients.
//!
//! An atom is any subterm the algebra does not look inside (a symbol, `exp(x)`,
//! `ln(1 + exp(x))`, `Σ_j exp(v_j)`, ...), numbered by the caller. Monomials may
//! carry negative and fractional exponents (`exp(x)^(−1)`, `x^(1/2)`), so a
//! denominator that is a single term never needs a fraction. Every operation
//! counts terms against a limit and fails with `PolyError::Budget` rather than
//! grow without bound.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use std::collections::BTreeMap;

pub type AtomId = u32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolyError {
    /// An operation would exceed the term limit.
    Budget(String),
    /// Division by the zero polynomial.
    DivisionByZero,
}

/// A product of atoms to exact rational powers, sorted by atom, no zero exponents.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Monomial(pub Vec<(AtomId, BigRational)>);

impl Monomial {
    pub fn one() -> Monomial {
        Monomial(Vec::new())
    }

    pub fn atom(a: AtomId, e: BigRational) -> Monomial {
        if e.is_zero() {
            return Monomial::one();
        }
        Monomial(vec![(a, e)])
    }

    pub fn is_one(&self) -> bool {
        self.0.is_empty()
    }

    pub fn mul(&self, other: &Monomial) -> Monomial {
        let mut out: BTreeMap<AtomId, BigRational> = self.0.iter().cloned().collect();
        for (a, e) in &other.0 {
            *out.entry(*a).or_insert_with(BigRational::zero) += e;
        }
        Monomial(out.into_iter().filter(|(_, e)| !e.is_zero()).collect())
    }

    pub fn pow(&self, r: &BigRational) -> Monomial {
        if r.is_zero() {
            return Monomial::one();
        }
        Monomial(self.0.iter().map(|(a, e)| (*a, e * r)).collect())
    }

    pub fn exponent(&self, a: AtomId) -> BigRational {
        self.0
            .iter()
            .find(|(x, _)| *x == a)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(BigRational::zero)
    }
}

/// A finite sum of `coefficient · monomial`, no zero coefficients.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Poly {
    pub terms: BTreeMap<Monomial, BigRational>,
}

impl Poly {
    pub fn zero() -> Poly {
        Poly::default()
    }

    pub fn constant(c: BigRational) -> Poly {
        Poly::term(Monomial::one(), c)
    }

    pub fn one() -> Poly {
        Poly::constant(BigRational::one())
    }

    pub fn term(m: Monomial, c: BigRational) -> Poly {
        let mut terms = BTreeMap::new();
        if !c.is_zero() {
            terms.insert(m, c);
        }
        Poly { terms }
    }

    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The constant this polynomial is, if it is one.
    pub fn as_constant(&self) -> Option<BigRational> {
        match self.terms.len() {
            0 => Some(BigRational::zero()),
            1 => self
                .terms
                .iter()
                .next()
                .filter(|(m, _)| m.is_one())
                .map(|(_, c)| c.clone()),
            _ => None,
        }
    }

    /// The single term of a one-term polynomial.
    pub fn as_single_term(&self) -> Option<(Monomial, BigRational)> {
        if self.terms.len() != 1 {
            return None;
        }
        self.terms
            .iter()
            .next()
            .map(|(m, c)| (m.clone(), c.clone()))
    }

    pub fn add(&self, other: &Poly, limit: usize) -> Result<Poly, PolyError> {
        let mut terms = self.terms.clone();
        for (m, c) in &other.terms {
            let entry = terms.entry(m.clone()).or_insert_with(BigRational::zero);
            *entry += c;
            if entry.is_zero() {
                terms.remove(m);
            }
        }
        check_size(terms.len(), limit)?;
        Ok(Poly { terms })
    }

    pub fn neg(&self) -> Poly {
        Poly {
            terms: self.terms.iter().map(|(m, c)| (m.clone(), -c)).collect(),
        }
    }

    pub fn sub(&self, other: &Poly, limit: usize) -> Result<Poly, PolyError> {
        self.add(&other.neg(), limit)
    }

    pub fn scale(&self, k: &BigRational, m: &Monomial) -> Poly {
        if k.is_zero() {
            return Poly::zero();
        }
        Poly {
            terms: self
                .terms
                .iter()
                .map(|(mm, c)| (mm.mul(m), c * k))
                .collect(),
        }
    }

    pub fn mul(&self, other: &Poly, limit: usize) -> Result<Poly, PolyError> {
        check_size(self.len().saturating_mul(other.len()) / 4, limit)?;
        let mut terms: BTreeMap<Monomial, BigRational> = BTreeMap::new();
        for (m1, c1) in &self.terms {
            for (m2, c2) in &other.terms {
                let m = m1.mul(m2);
                *terms.entry(m).or_insert_with(BigRational::zero) += c1 * c2;
            }
            check_size(terms.len(), limit)?;
        }
        terms.retain(|_, c| !c.is_zero());
        Ok(Poly { terms })
    }

    pub fn pow(&self, n: u32, limit: usize) -> Result<Poly, PolyError> {
        if let Some((m, c)) = self.as_single_term() {
            let e = BigRational::from_integer(BigInt::from(n));
            return Ok(Poly::term(m.pow(&e), num_traits::pow(c, n as usize)));
        }
        let mut result = Poly::one();
        let mut base = self.clone();
        let mut k = n;
        while k > 0 {
            if k & 1 == 1 {
                result = result.mul(&base, limit)?;
            }
            k >>= 1;
            if k > 0 {
                base = base.mul(&base, limit)?;
            }
        }
        Ok(result)
    }

    /// `(c, m, p)` with `self = c·m·p`: `c` the positive rational content (sign
    /// folded into `p`'s coefficients as they are), `m` the largest monomial
    /// dividing every term, and `p` with integer coprime coefficients and no
    /// monomial factor.
    pub fn split_content(&self) -> (BigRational, Monomial, Poly) {
        if self.is_zero() {
            return (BigRational::one(), Monomial::one(), Poly::zero());
        }
        // monomial content: the least exponent of each atom over all terms
        let mut atoms: BTreeMap<AtomId, BigRational> = BTreeMap::new();
        for m in self.terms.keys() {
            for (a, _) in &m.0 {
                atoms.entry(*a).or_insert_with(BigRational::zero);
            }
        }
        for (a, least) in atoms.iter_mut() {
            *least = self
                .terms
                .keys()
                .map(|m| m.exponent(*a))
                .min()
                .unwrap_or_else(BigRational::zero);
        }
        let content_monomial = Monomial(atoms.into_iter().filter(|(_, e)| !e.is_zero()).collect());
        let inverse = content_monomial.pow(&-BigRational::one());
        // numeric content: gcd of numerators over lcm of denominators
        let mut numer_gcd = BigInt::zero();
        let mut denom_lcm = BigInt::one();
        for c in self.terms.values() {
            numer_gcd = numer_gcd.gcd(c.numer());
            denom_lcm = denom_lcm.lcm(c.denom());
        }
        let content = BigRational::new(numer_gcd.abs(), denom_lcm);
        let k = BigRational::one() / &content;
        let rest = self.scale(&k, &inverse);
        (content, content_monomial, rest)
    }
}

fn check_size(n: usize, limit: usize) -> Result<(), PolyError> {
    if n > limit {
        return Err(PolyError::Budget(format!(
            "a polynomial grew past {limit} terms"
        )));
    }
    Ok(())
}

/// A quotient of two polynomials; the denominator is 1 or has two or more terms
/// (a one-term denominator is moved into the numerator as negative exponents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatFn {
    pub num: Poly,
    pub den: Poly,
}

impl RatFn {
    pub fn from_poly(p: Poly) -> RatFn {
        RatFn {
            num: p,
            den: Poly::one(),
        }
    }

    pub fn constant(c: BigRational) -> RatFn {
        RatFn::from_poly(Poly::constant(c))
    }

    pub fn atom(a: AtomId, e: BigRational) -> RatFn {
        RatFn::from_poly(Poly::term(Monomial::atom(a, e), BigRational::one()))
    }

    pub fn is_zero(&self) -> bool {
        self.num.is_zero()
    }

    pub fn has_unit_denominator(&self) -> bool {
        self.den.as_constant().is_some_and(|c| c.is_one())
    }

    /// Moves a one-term denominator into the numerator.
    fn normalized(num: Poly, den: Poly) -> Result<RatFn, PolyError> {
        if den.is_zero() {
            return Err(PolyError::DivisionByZero);
        }
        if num.is_zero() {
            return Ok(RatFn::from_poly(Poly::zero()));
        }
        if let Some((m, c)) = den.as_single_term() {
            let k = BigRational::one() / c;
            let num = num.scale(&k, &m.pow(&-BigRational::one()));
            return Ok(RatFn::from_poly(num));
        }
        // scale so the denominator's first coefficient is 1: equal quotients then
        // more often share one representation
        let lead = den
            .terms
            .values()
            .next()
            .cloned()
            .unwrap_or_else(BigRational::one);
        let k = BigRational::one() / lead;
        let one = Monomial::one();
        Ok(RatFn {
            num: num.scale(&k, &one),
            den: den.scale(&k, &one),
        })
    }

    pub fn add(&self, other: &RatFn, limit: usize) -> Result<RatFn, PolyError> {
        if self.den == other.den {
            return RatFn::normalized(self.num.add(&other.num, limit)?, self.den.clone());
        }
        let left = self.num.mul(&other.den, limit)?;
        let right = other.num.mul(&self.den, limit)?;
        let den = self.den.mul(&other.den, limit)?;
        RatFn::normalized(left.add(&right, limit)?, den)
    }

    pub fn neg(&self) -> RatFn {
        RatFn {
            num: self.num.neg(),
            den: self.den.clone(),
        }
    }

    pub fn sub(&self, other: &RatFn, limit: usize) -> Result<RatFn, PolyError> {
        self.add(&other.neg(), limit)
    }

    pub fn mul(&self, other: &RatFn, limit: usize) -> Result<RatFn, PolyError> {
        let num = self.num.mul(&other.num, limit)?;
        let den = self.den.mul(&other.den, limit)?;
        RatFn::normalized(num, den)
    }

    pub fn recip(&self) -> Result<RatFn, PolyError> {
        RatFn::normalized(self.den.clone(), self.num.clone())
    }

    pub fn pow(&self, n: i64, limit: usize) -> Result<RatFn, PolyError> {
        let base = if n < 0 { self.recip()? } else { self.clone() };
        let k = u32::try_from(n.unsigned_abs())
            .map_err(|_| PolyError::Budget(format!("the power {n} is too large to expand")))?;
        let num = base.num.pow(k, limit)?;
        let den = base.den.pow(k, limit)?;
        RatFn::normalized(num, den)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64) -> BigRational {
        BigRational::from_integer(BigInt::from(n))
    }

    #[test]
    fn laurent_terms_cancel_without_a_denominator() {
        // (1 + e) · e^(-1) - e^(-1) = 1
        let e = RatFn::atom(0, q(1));
        let inv = RatFn::atom(0, q(-1));
        let one = RatFn::constant(q(1));
        let lhs = one.add(&e, 100).unwrap().mul(&inv, 100).unwrap();
        let diff = lhs.sub(&inv, 100).unwrap();
        assert_eq!(diff, one);
    }

    #[test]
    fn quotients_add_over_a_common_denominator() {
        // 1/(1+e) + e/(1+e) = 1
        let e = RatFn::atom(0, q(1));
        let one = RatFn::constant(q(1));
        let d = one.add(&e, 100).unwrap();
        let a = d.recip().unwrap();
        let b = e.mul(&a, 100).unwrap();
        assert!(a.add(&b, 100).unwrap().sub(&one, 100).unwrap().is_zero());
    }

    #[test]
    fn content_splits_numbers_and_monomials() {
        // 6x^2 + 4x = 2 · x · (3x + 2)
        let p = Poly::term(Monomial::atom(0, q(2)), q(6))
            .add(&Poly::term(Monomial::atom(0, q(1)), q(4)), 100)
            .unwrap();
        let (c, m, rest) = p.split_content();
        assert_eq!(c, q(2));
        assert_eq!(m, Monomial::atom(0, q(1)));
        assert_eq!(rest.terms.get(&Monomial::one()), Some(&q(2)));
        assert_eq!(rest.terms.get(&Monomial::atom(0, q(1))), Some(&q(3)));
    }

    #[test]
    fn expansion_stops_at_the_term_limit() {
        let mut p = Poly::zero();
        for a in 0..20 {
            p = p
                .add(&Poly::term(Monomial::atom(a, q(1)), q(1)), 100)
                .unwrap();
        }
        assert!(matches!(p.pow(4, 500), Err(PolyError::Budget(_))));
    }
}
