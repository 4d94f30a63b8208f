//! Sign analysis: what can be shown about the sign of an expression.
//!
//! Every answer is conservative: `is_positive(e)` means "at every point of the
//! declared domain (with its assumptions) where `e` is defined, `e > 0`". A
//! `false` means "not shown", never "negative". Sources of facts: positive
//! numbers, `exp`, `σ`, `softplus` (always positive), declared domains (positive
//! reals, sizes, finite sets of values), squares, sums and products of known
//! signs, and assumptions that are linear conditions such as `x > -1` (which
//! shows `x + 1 > 0`).

use crate::domain::{Domains, VarDomain};
use crate::expr::func::SignFact;
use crate::expr::{CmpOp, ExprId, Func, Node, Store};
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use std::collections::{BTreeMap, HashMap};

/// Past this depth nothing more is shown (keeps deep terms from using the stack).
const MAX_DEPTH: usize = 64;

/// What is known about a sign: a set of the possible signs {negative, zero, positive}.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignSet {
    pub negative: bool,
    pub zero: bool,
    pub positive: bool,
}

impl SignSet {
    const UNKNOWN: SignSet = SignSet {
        negative: true,
        zero: true,
        positive: true,
    };
    const POSITIVE: SignSet = SignSet {
        negative: false,
        zero: false,
        positive: true,
    };
    const NEGATIVE: SignSet = SignSet {
        negative: true,
        zero: false,
        positive: false,
    };
    const ZERO: SignSet = SignSet {
        negative: false,
        zero: true,
        positive: false,
    };
    const NONNEGATIVE: SignSet = SignSet {
        negative: false,
        zero: true,
        positive: true,
    };

    fn of_number(r: &BigRational) -> SignSet {
        if r.is_positive() {
            SignSet::POSITIVE
        } else if r.is_negative() {
            SignSet::NEGATIVE
        } else {
            SignSet::ZERO
        }
    }

    fn intersect(self, other: SignSet) -> SignSet {
        let s = SignSet {
            negative: self.negative && other.negative,
            zero: self.zero && other.zero,
            positive: self.positive && other.positive,
        };
        // an empty set means the facts disagree (an inconsistent assumption set);
        // claim nothing rather than everything
        if !s.negative && !s.zero && !s.positive {
            return SignSet::UNKNOWN;
        }
        s
    }

    fn negate(self) -> SignSet {
        SignSet {
            negative: self.positive,
            zero: self.zero,
            positive: self.negative,
        }
    }

    fn times(self, other: SignSet) -> SignSet {
        SignSet {
            negative: (self.negative && other.positive) || (self.positive && other.negative),
            zero: self.zero || other.zero,
            positive: (self.positive && other.positive) || (self.negative && other.negative),
        }
    }

    fn plus(self, other: SignSet) -> SignSet {
        SignSet {
            negative: self.negative || other.negative,
            zero: (self.zero && other.zero)
                || (self.negative && other.positive)
                || (self.positive && other.negative),
            positive: self.positive || other.positive,
        }
    }

    /// The sign of `self` raised to an exact rational power.
    fn power(self, r: &BigRational) -> SignSet {
        if r.is_zero() {
            return SignSet::POSITIVE;
        }
        let zero = self.zero && r.is_positive();
        if !r.is_integer() {
            // a real non-integer power is defined only on a non-negative base
            return SignSet {
                negative: false,
                zero,
                positive: self.positive || self.negative,
            };
        }
        let even = r.numer() % 2 == 0.into();
        if even {
            SignSet {
                negative: false,
                zero,
                positive: self.positive || self.negative,
            }
        } else {
            SignSet {
                negative: self.negative,
                zero,
                positive: self.positive,
            }
        }
    }
}

/// Whether `e` is an integer wherever it is defined: integer numbers,
/// variables declared integer, natural, a size, an index or a set of
/// integers, and sums, products, non-negative integer powers, `floor` and
/// `ceil` of such (a sum's bounds must be integers, see `docs/language.md`).
pub fn is_integer_valued(store: &Store, domains: &Domains, e: ExprId) -> bool {
    let mut stack = vec![(e, 0usize)];
    while let Some((x, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return false;
        }
        let ok = match store.node(x) {
            Node::Num(r) => r.is_integer(),
            Node::Sym(s) => domains.is_integer(*s),
            Node::Add(ts) | Node::Mul(ts) => {
                stack.extend(ts.iter().map(|&t| (t, depth + 1)));
                true
            }
            Node::Pow(b, n) => match store.as_num(*n) {
                Some(r) if r.is_integer() && !r.is_negative() => {
                    stack.push((*b, depth + 1));
                    true
                }
                _ => false,
            },
            Node::Call(Func::Floor | Func::Ceil | Func::Sign | Func::Delta, _) => true,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `e > 0` wherever `e` is defined.
pub fn is_positive(store: &Store, domains: &Domains, e: ExprId) -> bool {
    let s = sign_of(store, domains, e);
    !s.negative && !s.zero
}

/// `e ≥ 0` wherever `e` is defined.
pub fn is_nonnegative(store: &Store, domains: &Domains, e: ExprId) -> bool {
    !sign_of(store, domains, e).negative
}

/// `e < 0` wherever `e` is defined.
pub fn is_negative(store: &Store, domains: &Domains, e: ExprId) -> bool {
    let s = sign_of(store, domains, e);
    !s.positive && !s.zero
}

/// `e ≤ 0` wherever `e` is defined.
pub fn is_nonpositive(store: &Store, domains: &Domains, e: ExprId) -> bool {
    !sign_of(store, domains, e).positive
}

/// `e ≠ 0` wherever `e` is defined.
pub fn is_nonzero(store: &Store, domains: &Domains, e: ExprId) -> bool {
    !sign_of(store, domains, e).zero
}

/// `e = 0` wherever `e` is defined.
pub fn is_zero(store: &Store, domains: &Domains, e: ExprId) -> bool {
    let s = sign_of(store, domains, e);
    !s.positive && !s.negative
}

/// `e` is a real number wherever it is defined: every expression nabla builds
/// is real-valued where defined; conditions (`Cmp`, `And`) and vectors are not numbers.
pub fn is_real(store: &Store, e: ExprId) -> bool {
    !matches!(
        store.node(e),
        Node::Cmp(..) | Node::And(_) | Node::Vector(_)
    )
}

/// The possible signs of `e`.
pub fn sign_of(store: &Store, domains: &Domains, e: ExprId) -> SignSet {
    let mut memo = HashMap::new();
    let structural = structural_sign(store, domains, e, 0, &mut memo);
    if is_decided(structural) {
        return structural;
    }
    structural.intersect(assumed_sign(store, domains, e))
}

fn is_decided(s: SignSet) -> bool {
    [s.negative, s.zero, s.positive]
        .iter()
        .filter(|&&b| b)
        .count()
        == 1
}

/// The sign of a subterm: structure first, then the assumptions (near the top).
fn sub_sign(
    store: &Store,
    domains: &Domains,
    x: ExprId,
    depth: usize,
    memo: &mut HashMap<ExprId, SignSet>,
) -> SignSet {
    let s = structural_sign(store, domains, x, depth + 1, memo);
    if is_decided(s) || depth > 8 {
        return s;
    }
    s.intersect(assumed_sign(store, domains, x))
}

/// Memoized per top-level question: a shared subterm is analysed once (a
/// result cut short by the depth limit is weaker, never wrong, when reused).
fn structural_sign(
    store: &Store,
    domains: &Domains,
    e: ExprId,
    depth: usize,
    memo: &mut HashMap<ExprId, SignSet>,
) -> SignSet {
    if let Some(&known) = memo.get(&e) {
        return known;
    }
    let s = structural_sign_uncached(store, domains, e, depth, memo);
    memo.insert(e, s);
    s
}

fn structural_sign_uncached(
    store: &Store,
    domains: &Domains,
    e: ExprId,
    depth: usize,
    memo: &mut HashMap<ExprId, SignSet>,
) -> SignSet {
    if depth > MAX_DEPTH {
        return SignSet::UNKNOWN;
    }
    let mut sub = |x: ExprId| -> SignSet { sub_sign(store, domains, x, depth, memo) };
    match store.node(e) {
        Node::Num(r) => SignSet::of_number(r),
        Node::Sym(s) => symbol_sign(domains, *s),
        Node::Add(terms) => {
            let mut acc = SignSet::ZERO;
            for &t in terms.iter() {
                acc = acc.plus(sub(t));
                if acc == SignSet::UNKNOWN {
                    break;
                }
            }
            acc
        }
        Node::Mul(factors) => {
            let mut acc = SignSet::POSITIVE;
            for &f in factors.iter() {
                acc = acc.times(sub(f));
            }
            acc
        }
        Node::Pow(base, exponent) => {
            let b = sub(*base);
            match store.node(*exponent) {
                Node::Num(r) => b.power(r),
                // a positive base to any real power is positive; otherwise unknown
                _ if b == SignSet::POSITIVE => SignSet::POSITIVE,
                _ => SignSet::UNKNOWN,
            }
        }
        Node::Call(f, args) => {
            let arg = args.first().map(|&a| sub(a)).unwrap_or(SignSet::UNKNOWN);
            match f.row().sign {
                SignFact::Positive => SignSet::POSITIVE,
                SignFact::Nonnegative => SignSet::NONNEGATIVE,
                SignFact::SameAsArg => arg,
                SignFact::Unknown => SignSet::UNKNOWN,
                SignFact::Sqrt => SignSet {
                    negative: false,
                    zero: arg.zero || arg.negative,
                    positive: true,
                },
                SignFact::Abs => SignSet {
                    negative: false,
                    zero: arg.zero,
                    positive: true,
                },
                SignFact::Heaviside => SignSet {
                    negative: false,
                    zero: arg.negative,
                    positive: arg.zero || arg.positive,
                },
                SignFact::Relu => SignSet {
                    negative: false,
                    zero: arg.zero || arg.negative,
                    positive: arg.positive,
                },
                SignFact::Log => match args.first() {
                    Some(&a) => {
                        let one = BigRational::one();
                        match store.as_num(a) {
                            Some(r) if *r > one => SignSet::POSITIVE,
                            Some(r) if *r == one => SignSet::ZERO,
                            Some(r) if r.is_positive() => SignSet::NEGATIVE,
                            _ => SignSet::UNKNOWN,
                        }
                    }
                    None => SignSet::UNKNOWN,
                },
            }
        }
        Node::Index(base, _) => match store.node(*base) {
            Node::Sym(s) => match domains.get(*s) {
                Some(VarDomain::OneHot { .. }) => SignSet::NONNEGATIVE,
                _ => SignSet::UNKNOWN,
            },
            _ => SignSet::UNKNOWN,
        },
        Node::Sum {
            lower, upper, body, ..
        } => {
            let b = sub(*body);
            // Σ_{j=1}^{n} of positive terms with n ≥ 1 is positive
            let nonempty = store.as_num(*lower).is_some_and(|l| l.is_one())
                && (store
                    .as_num(*upper)
                    .is_some_and(|u| *u >= BigRational::one())
                    || store
                        .as_sym(*upper)
                        .is_some_and(|s| matches!(domains.get(s), Some(VarDomain::Dim))));
            if b == SignSet::POSITIVE && nonempty {
                SignSet::POSITIVE
            } else if !b.negative {
                SignSet::NONNEGATIVE
            } else {
                SignSet::UNKNOWN
            }
        }
        _ => SignSet::UNKNOWN,
    }
}

fn symbol_sign(domains: &Domains, s: crate::expr::Symbol) -> SignSet {
    if domains.is_positive(s) {
        return SignSet::POSITIVE;
    }
    if domains.is_nonnegative(s) {
        return SignSet::NONNEGATIVE;
    }
    if let Some(VarDomain::Set(values)) = domains.get(s) {
        let mut acc = SignSet {
            negative: false,
            zero: false,
            positive: false,
        };
        for v in values {
            let one = SignSet::of_number(v);
            acc = SignSet {
                negative: acc.negative || one.negative,
                zero: acc.zero || one.zero,
                positive: acc.positive || one.positive,
            };
        }
        if acc.negative || acc.zero || acc.positive {
            return acc;
        }
    }
    SignSet::UNKNOWN
}

/// An expression as `constant + Σ coefficient·term`, reading through sums and
/// numeric multiples only; the terms are compared by id.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Linear {
    pub constant: BigRational,
    pub terms: BTreeMap<ExprId, BigRational>,
}

pub(crate) fn linearize(store: &Store, e: ExprId) -> Linear {
    let mut out = Linear {
        constant: BigRational::zero(),
        terms: BTreeMap::new(),
    };
    let mut stack = vec![(e, BigRational::one())];
    let mut visited = 0usize;
    while let Some((x, k)) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            // too large to read as a linear form: treat the rest as one term
            *out.terms.entry(x).or_insert_with(BigRational::zero) += k;
            continue;
        }
        match store.node(x) {
            Node::Num(r) => out.constant += r * &k,
            Node::Add(ts) => stack.extend(ts.iter().map(|&t| (t, k.clone()))),
            Node::Mul(fs) => {
                let coefficient: Option<BigRational> = fs
                    .iter()
                    .filter_map(|&f| store.as_num(f).cloned())
                    .reduce(|a, b| a * b);
                let rest: Vec<ExprId> = fs
                    .iter()
                    .copied()
                    .filter(|&f| store.as_num(f).is_none())
                    .collect();
                match (coefficient, rest.len()) {
                    (Some(c), 1) => stack.push((rest[0], k * c)),
                    (Some(c), 0) => out.constant += c * k,
                    _ => *out.terms.entry(x).or_insert_with(BigRational::zero) += k,
                }
            }
            _ => *out.terms.entry(x).or_insert_with(BigRational::zero) += k,
        }
    }
    out.terms.retain(|_, c| !c.is_zero());
    out
}

/// One assumption as a linear fact `L op 0`.
fn assumption_facts(store: &Store, domains: &Domains) -> Vec<(CmpOp, Linear)> {
    let mut out = Vec::new();
    let mut stack: Vec<ExprId> = domains.assumptions().to_vec();
    while let Some(a) = stack.pop() {
        match store.node(a) {
            Node::And(parts) => stack.extend(parts.iter().copied()),
            Node::Cmp(op, lhs, rhs) => {
                let mut l = linearize(store, *lhs);
                let r = linearize(store, *rhs);
                l.constant -= r.constant;
                for (t, c) in r.terms {
                    *l.terms.entry(t).or_insert_with(BigRational::zero) -= c;
                }
                l.terms.retain(|_, c| !c.is_zero());
                out.push((*op, l));
            }
            _ => {}
        }
    }
    out
}

/// The sign of `e` read off a linear assumption: `e = k·L + c` with `L op 0`.
fn assumed_sign(store: &Store, domains: &Domains, e: ExprId) -> SignSet {
    if domains.assumptions().is_empty() {
        return SignSet::UNKNOWN;
    }
    let target = linearize(store, e);
    if target.terms.is_empty() {
        return SignSet::of_number(&target.constant);
    }
    let mut acc = SignSet::UNKNOWN;
    for (op, fact) in assumption_facts(store, domains) {
        let Some(k) = proportion(&target, &fact) else {
            continue;
        };
        // e = k·L + c
        let c = &target.constant - &k * &fact.constant;
        let l_sign = match op {
            CmpOp::Gt => SignSet::POSITIVE,
            CmpOp::Ge => SignSet::NONNEGATIVE,
            CmpOp::Lt => SignSet::NEGATIVE,
            CmpOp::Le => SignSet::NONNEGATIVE.negate(),
            CmpOp::Eq => SignSet::ZERO,
            CmpOp::Ne => SignSet {
                negative: true,
                zero: false,
                positive: true,
            },
        };
        let scaled = SignSet::of_number(&k).times(l_sign);
        let shifted = shift(scaled, &c);
        acc = acc.intersect(shifted);
    }
    acc
}

/// `k` with `target.terms = k · fact.terms`, if the two are proportional.
fn proportion(target: &Linear, fact: &Linear) -> Option<BigRational> {
    if target.terms.len() != fact.terms.len() || fact.terms.is_empty() {
        return None;
    }
    let mut k: Option<BigRational> = None;
    for (t, c) in &target.terms {
        let f = fact.terms.get(t)?;
        let ratio = c / f;
        match &k {
            None => k = Some(ratio),
            Some(existing) if *existing == ratio => {}
            Some(_) => return None,
        }
    }
    k
}

/// The sign of `v + c` given the sign set of `v`.
fn shift(s: SignSet, c: &BigRational) -> SignSet {
    if c.is_zero() {
        return s;
    }
    if c.is_positive() {
        // v ≥ 0 ⇒ v + c > 0
        if !s.negative {
            return SignSet::POSITIVE;
        }
        return SignSet::UNKNOWN;
    }
    if !s.positive {
        return SignSet::NEGATIVE;
    }
    SignSet::UNKNOWN
}
