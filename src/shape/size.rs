//! Sizes as polynomials over integer-valued atoms, with exact floor and ceil division.
//!
//! A size is a number or an expression in `dim` symbols (`d`, `d_h`, `m`). To keep
//! results simplified without the full simplifier, a size is held here as a
//! polynomial with rational coefficients whose atoms are store expressions
//! taken to be whole numbers (size symbols, and `floor(...)`/`ceil(...)` terms
//! that could not be resolved). Numbers fold exactly; `⌊p/s⌋` drops the floor
//! when the stride `s` divides every non-constant coefficient, which is sound
//! because the atoms are integers: `⌊(q·s + c)/s⌋ = q + ⌊c/s⌋` for integer `q`.

use crate::expr::{ExprId, Func, Node, Store};
use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::collections::BTreeMap;

/// A product of atoms with positive exponents, sorted by atom id.
type Monomial = Vec<(ExprId, u32)>;

/// A polynomial in integer-valued atoms; no zero coefficients are stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Size {
    terms: BTreeMap<Monomial, BigRational>,
}

/// Largest exponent folded when reading `Pow` nodes (a guard against huge powers).
const MAX_FOLDED_POWER: u32 = 64;

impl Size {
    pub fn constant(value: BigRational) -> Size {
        let mut terms = BTreeMap::new();
        if !value.is_zero() {
            terms.insert(Vec::new(), value);
        }
        Size { terms }
    }

    pub fn int(value: i64) -> Size {
        Size::constant(BigRational::from_integer(BigInt::from(value)))
    }

    pub fn zero() -> Size {
        Size::default()
    }

    /// An opaque integer-valued atom.
    pub fn atom(id: ExprId) -> Size {
        let mut terms = BTreeMap::new();
        terms.insert(vec![(id, 1)], BigRational::one());
        Size { terms }
    }

    /// Reads a store expression: numbers, sums, products and whole powers are
    /// folded; anything else is an atom.
    pub fn from_expr(store: &Store, id: ExprId) -> Size {
        match store.node(id) {
            Node::Num(r) => Size::constant(r.clone()),
            Node::Add(terms) => terms
                .iter()
                .fold(Size::zero(), |acc, &t| acc.add(&Size::from_expr(store, t))),
            Node::Mul(factors) => factors
                .iter()
                .fold(Size::int(1), |acc, &f| acc.mul(&Size::from_expr(store, f))),
            Node::Pow(base, exponent) => {
                let Some(e) = store.as_num(*exponent) else {
                    return Size::atom(id);
                };
                let base_size = Size::from_expr(store, *base);
                if let Some(b) = base_size.as_constant() {
                    if let Some(value) = rational_power(&b, e) {
                        return Size::constant(value);
                    }
                    return Size::atom(id);
                }
                match e.to_integer().to_u32() {
                    Some(n) if e.is_integer() && n <= MAX_FOLDED_POWER => base_size.pow(n),
                    _ => Size::atom(id),
                }
            }
            _ => Size::atom(id),
        }
    }

    /// The value, when the size is a number.
    pub fn as_constant(&self) -> Option<BigRational> {
        match self.terms.len() {
            0 => Some(BigRational::zero()),
            1 => self.terms.get(&Vec::new()).cloned(),
            _ => None,
        }
    }

    /// The value as an integer, when the size is a whole number.
    pub fn as_integer(&self) -> Option<BigInt> {
        self.as_constant()
            .filter(|r| r.is_integer())
            .map(|r| r.to_integer())
    }

    pub fn is_constant(&self) -> bool {
        self.as_constant().is_some()
    }

    /// Whether every coefficient is a whole number (so the size is whole for
    /// whole atoms).
    pub fn has_integer_coefficients(&self) -> bool {
        self.terms.values().all(|c| c.is_integer())
    }

    pub fn add(&self, other: &Size) -> Size {
        let mut terms = self.terms.clone();
        for (mono, c) in &other.terms {
            let sum = terms.get(mono).cloned().unwrap_or_else(BigRational::zero) + c;
            if sum.is_zero() {
                terms.remove(mono);
            } else {
                terms.insert(mono.clone(), sum);
            }
        }
        Size { terms }
    }

    pub fn neg(&self) -> Size {
        Size {
            terms: self
                .terms
                .iter()
                .map(|(m, c)| (m.clone(), -c.clone()))
                .collect(),
        }
    }

    pub fn sub(&self, other: &Size) -> Size {
        self.add(&other.neg())
    }

    pub fn scale(&self, factor: &BigRational) -> Size {
        if factor.is_zero() {
            return Size::zero();
        }
        Size {
            terms: self
                .terms
                .iter()
                .map(|(m, c)| (m.clone(), c * factor))
                .collect(),
        }
    }

    pub fn mul(&self, other: &Size) -> Size {
        let mut out = Size::zero();
        for (m1, c1) in &self.terms {
            for (m2, c2) in &other.terms {
                let term = Size {
                    terms: BTreeMap::from([(multiply_monomials(m1, m2), c1 * c2)]),
                };
                out = out.add(&term);
            }
        }
        out
    }

    pub fn pow(&self, n: u32) -> Size {
        (0..n).fold(Size::int(1), |acc, _| acc.mul(self))
    }

    /// `⌊self / divisor⌋`, simplified where the atoms' integrality allows.
    pub fn floor_div(&self, divisor: &Size, store: &mut Store) -> Size {
        self.rounded_div(divisor, store, Rounding::Floor)
    }

    /// `⌈self / divisor⌉`, simplified where the atoms' integrality allows.
    pub fn ceil_div(&self, divisor: &Size, store: &mut Store) -> Size {
        self.rounded_div(divisor, store, Rounding::Ceil)
    }

    fn rounded_div(&self, divisor: &Size, store: &mut Store, rounding: Rounding) -> Size {
        let Some(s) = divisor.as_constant().filter(|s| !s.is_zero()) else {
            // a symbolic divisor: keep the rounding as an atom
            let numerator = self.to_expr(store);
            let denominator = divisor.to_expr(store);
            let quotient = store.div(numerator, denominator);
            return Size::atom(store.call1(rounding.func(), quotient));
        };
        let constant = self
            .terms
            .get(&Vec::new())
            .cloned()
            .unwrap_or_else(BigRational::zero);
        let variable = self.sub(&Size::constant(constant.clone()));
        let divides_variable = variable.terms.values().all(|c| (c / &s).is_integer())
            && variable.has_integer_coefficients();
        if divides_variable {
            let whole = rounding.apply(&(constant / &s));
            return variable.scale(&s.recip()).add(&Size::constant(whole));
        }
        if !s.is_integer() || !variable.has_integer_coefficients() {
            let numerator = self.to_expr(store);
            let denominator = store.num(s);
            let quotient = store.div(numerator, denominator);
            return Size::atom(store.call1(rounding.func(), quotient));
        }
        // c = q·s + r with 0 ≤ r < s: round((v + c)/s) = q + round((v + r)/s) for whole q
        let whole = (constant.clone() / &s).floor();
        let remainder = constant - &whole * &s;
        let numerator = variable.add(&Size::constant(remainder)).to_expr(store);
        let denominator = store.num(s);
        let quotient = store.div(numerator, denominator);
        Size::atom(store.call1(rounding.func(), quotient)).add(&Size::constant(whole))
    }

    /// Whether the size is at least 1 whenever every symbol in it is: true for
    /// polynomials in plain symbols (sizes are whole, at least 1) with
    /// non-negative coefficients whose value at all symbols = 1 is at least 1.
    pub fn is_positive_for_positive_symbols(&self, store: &Store) -> bool {
        let mut at_one = BigRational::zero();
        for (mono, coeff) in &self.terms {
            if coeff.is_negative() || mono.iter().any(|&(atom, _)| store.as_sym(atom).is_none()) {
                return false;
            }
            at_one += coeff;
        }
        at_one >= BigRational::one()
    }

    /// The size as a store expression: non-constant terms first (highest degree
    /// first), the constant last, so `d − 2` rather than `−2 + d`.
    pub fn to_expr(&self, store: &mut Store) -> ExprId {
        let mut ordered: Vec<(&Monomial, &BigRational)> = self.terms.iter().collect();
        ordered.sort_by(|(a, _), (b, _)| {
            let degree = |m: &Monomial| m.iter().map(|&(_, e)| e).sum::<u32>();
            degree(b).cmp(&degree(a)).then_with(|| a.cmp(b))
        });
        let terms: Vec<ExprId> = ordered
            .into_iter()
            .map(|(mono, coeff)| {
                let mut factors: Vec<ExprId> = mono
                    .iter()
                    .map(|&(atom, e)| {
                        if e == 1 {
                            return atom;
                        }
                        let exponent = store.int(i64::from(e));
                        store.pow(atom, exponent)
                    })
                    .collect();
                if mono.is_empty() || !coeff.is_one() {
                    factors.insert(0, store.num(coeff.clone()));
                }
                store.product(factors)
            })
            .collect();
        store.sum(terms)
    }

    /// The size as display text (`d − 2`, `64`).
    pub fn display(&self, store: &mut Store) -> String {
        let id = self.to_expr(store);
        store.display(id)
    }
}

#[derive(Clone, Copy)]
enum Rounding {
    Floor,
    Ceil,
}

impl Rounding {
    fn func(self) -> Func {
        match self {
            Rounding::Floor => Func::Floor,
            Rounding::Ceil => Func::Ceil,
        }
    }

    fn apply(self, r: &BigRational) -> BigRational {
        match self {
            Rounding::Floor => r.floor(),
            Rounding::Ceil => r.ceil(),
        }
    }
}

fn multiply_monomials(a: &Monomial, b: &Monomial) -> Monomial {
    let mut merged: BTreeMap<ExprId, u32> = a.iter().copied().collect();
    for &(atom, e) in b {
        *merged.entry(atom).or_insert(0) += e;
    }
    merged.into_iter().collect()
}

/// `base^exponent` for a whole exponent of modest size, exactly.
fn rational_power(base: &BigRational, exponent: &BigRational) -> Option<BigRational> {
    if !exponent.is_integer() {
        return None;
    }
    let magnitude = exponent.abs().to_integer().to_u32()?;
    if magnitude > MAX_FOLDED_POWER || (base.is_zero() && exponent.is_negative()) {
        return None;
    }
    let value = num_traits::pow(base.clone(), magnitude as usize);
    Some(if exponent.is_negative() {
        value.recip()
    } else {
        value
    })
}

/// Whether a whole number divides another (for group checks): `None` when
/// either is symbolic.
pub fn divides(divisor: &Size, dividend: &Size) -> Option<bool> {
    let d = divisor.as_integer()?;
    let n = dividend.as_integer()?;
    if d.is_zero() {
        return Some(false);
    }
    Some(n.is_multiple_of(&d))
}
