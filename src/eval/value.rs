//! Values of evaluated expressions: exact rationals where possible, rigorous intervals otherwise.
//!
//! Arithmetic stays exact until an operand is an interval or an exact result
//! would grow past [`MAX_EXACT_BITS`](super::MAX_EXACT_BITS); then it continues
//! on outward-rounded intervals, so a `Value` always encloses the true number.

use super::interval::{exact_rational, rational_pow2, Interval};
use super::precise::{self, Precise};
use super::{
    EvalError, MAX_EXACT_BITS, MAX_EXACT_EXPONENT, MAX_EXACT_POWER_BITS, MAX_EXACT_ROOT_DEGREE,
};
use crate::expr::CmpOp;
use num_bigint::{BigInt, BigUint};
use num_rational::BigRational;
use num_traits::{One, Pow, Signed, ToPrimitive, Zero};
use std::borrow::Borrow;
use std::fmt;

/// The value of an expression at a point.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// The exact value.
    Exact(BigRational),
    /// An f64 interval known to contain the value.
    Approx(Interval),
    /// A multi-precision interval known to contain the value (evaluation at
    /// a working precision, see [`precise::at_precision`]).
    Precise(Precise),
}

/// How two values relate, as far as their enclosures can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// Exactly equal.
    Equal,
    /// Certainly different: unequal exact values or disjoint enclosures.
    Different,
    /// The enclosures overlap and are narrow: relative width at most
    /// [`CLOSE_RELATIVE`], or absolute width at most [`CLOSE_ABSOLUTE`].
    Close,
    /// The enclosures overlap but are too wide to call the values close.
    Inconclusive,
}

/// Relative width under which overlapping enclosures count as `Close`.
pub const CLOSE_RELATIVE: f64 = 1e-9;
/// Absolute width under which overlapping enclosures count as `Close` (near 0).
pub const CLOSE_ABSOLUTE: f64 = 1e-12;

impl Value {
    pub fn integer(n: i64) -> Value {
        Value::Exact(BigRational::from_integer(BigInt::from(n)))
    }

    pub fn zero() -> Value {
        Value::Exact(BigRational::zero())
    }

    pub fn one() -> Value {
        Value::Exact(BigRational::one())
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Value::Exact(_))
    }

    pub fn as_exact(&self) -> Option<&BigRational> {
        match self {
            Value::Exact(r) => Some(r),
            Value::Approx(_) | Value::Precise(_) => None,
        }
    }

    /// The value as a multi-precision interval at `bits` (exact ends for an
    /// f64 interval; an exact value is rounded outward).
    pub fn precise(&self, bits: u32) -> Result<Precise, EvalError> {
        match self {
            Value::Exact(r) => Precise::from_rational(r, bits),
            Value::Approx(i) => Precise::from_interval(i, bits),
            Value::Precise(p) => Ok(p.clone()),
        }
    }

    fn precise_bits(&self) -> Option<u32> {
        match self {
            Value::Precise(p) => Some(p.bits()),
            _ => None,
        }
    }

    /// The nearest f64 of an exact value (±inf past the range), or the midpoint
    /// of an interval. For display and heuristics only.
    pub fn to_f64(&self) -> f64 {
        match self {
            Value::Exact(r) => r.to_f64().unwrap_or_else(|| {
                if r.is_negative() {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }),
            Value::Approx(i) => i.midpoint(),
            Value::Precise(p) => p.midpoint(),
        }
    }

    /// An enclosing interval (`Overflow` for exact values beyond the f64 range).
    pub fn to_interval(&self) -> Result<Interval, EvalError> {
        match self {
            Value::Exact(r) => Interval::from_rational(r),
            Value::Approx(i) => Ok(*i),
            Value::Precise(p) => p.to_interval(),
        }
    }

    /// Exact rational bounds `(lo, hi)` of the value.
    pub fn rational_bounds(&self) -> (BigRational, BigRational) {
        match self {
            Value::Exact(r) => (r.clone(), r.clone()),
            Value::Approx(i) => i.rational_bounds(),
            Value::Precise(p) => p.rational_bounds(),
        }
    }

    /// How `a` and `b` relate (see [`Agreement`]); decided with exact rational
    /// comparisons of the enclosures' ends, so float error cannot flip it.
    pub fn compare(a: &Value, b: &Value) -> Agreement {
        if let (Value::Exact(x), Value::Exact(y)) = (a, b) {
            return if x == y {
                Agreement::Equal
            } else {
                Agreement::Different
            };
        }
        if let (Value::Approx(x), Value::Approx(y)) = (a, b) {
            if let Some(answer) = compare_f64_intervals(x, y) {
                return answer;
            }
        }
        Value::compare_by_rationals(a, b)
    }

    /// [`Value::compare`] on the exact rational ends of the enclosures.
    fn compare_by_rationals(a: &Value, b: &Value) -> Agreement {
        let (a_lo, a_hi) = a.rational_bounds();
        let (b_lo, b_hi) = b.rational_bounds();
        if a_hi < b_lo || b_hi < a_lo {
            return Agreement::Different;
        }
        if a_lo == a_hi && b_lo == b_hi {
            // two overlapping points are the same point
            return Agreement::Equal;
        }
        let lo = a_lo.min(b_lo);
        let hi = a_hi.max(b_hi);
        let width = &hi - &lo;
        let magnitude = lo.abs().max(hi.abs());
        let (relative, absolute) = match a.precise_bits().max(b.precise_bits()) {
            None => (
                exact_rational(CLOSE_RELATIVE),
                exact_rational(CLOSE_ABSOLUTE),
            ),
            Some(bits) => {
                let res = i64::from(precise::resolution_bits(Some(bits)));
                (rational_pow2(-res), rational_pow2(-res - 10))
            }
        };
        if width <= absolute || width <= relative * magnitude {
            Agreement::Close
        } else {
            Agreement::Inconclusive
        }
    }

    /// Whether `|a - b| <= tol`, decided rigorously from the enclosures:
    /// `None` when the enclosures allow both answers.
    pub fn approx_equal(a: &Value, b: &Value, tol: &BigRational) -> Option<bool> {
        let (a_lo, a_hi) = a.rational_bounds();
        let (b_lo, b_hi) = b.rational_bounds();
        let diff_lo = a_lo - &b_hi;
        let diff_hi = a_hi - &b_lo;
        let largest = diff_lo.abs().max(diff_hi.abs());
        let smallest = if diff_lo <= BigRational::zero() && diff_hi >= BigRational::zero() {
            BigRational::zero()
        } else {
            diff_lo.abs().min(diff_hi.abs())
        };
        if largest <= *tol {
            Some(true)
        } else if smallest > *tol {
            Some(false)
        } else {
            None
        }
    }
}

/// [`Value::compare`] of two f64 intervals without leaving f64: the ends are
/// exact f64 numbers, so comparing them is exact, and a rounded width or
/// product is bounded by its neighbours one ulp either side. `None` when a
/// bound lands within an ulp of the threshold (the exact comparison decides).
fn compare_f64_intervals(x: &Interval, y: &Interval) -> Option<Agreement> {
    if x.hi() < y.lo() || y.hi() < x.lo() {
        return Some(Agreement::Different);
    }
    if x.lo() == x.hi() && y.lo() == y.hi() {
        return Some(Agreement::Equal);
    }
    let lo = x.lo().min(y.lo());
    let hi = x.hi().max(y.hi());
    let width = hi - lo;
    let scaled = CLOSE_RELATIVE * lo.abs().max(hi.abs());
    if !width.is_finite() || !scaled.is_finite() {
        return None;
    }
    // the exact width lies in [width⁻, width⁺], the exact product in [scaled⁻, scaled⁺]
    let (width_lo, width_hi) = (width.next_down(), width.next_up());
    let (scaled_lo, scaled_hi) = (scaled.next_down(), scaled.next_up());
    if width_hi <= CLOSE_ABSOLUTE || width_hi <= scaled_lo {
        return Some(Agreement::Close);
    }
    if width_lo > CLOSE_ABSOLUTE && width_lo > scaled_hi {
        return Some(Agreement::Inconclusive);
    }
    None
}

/// Arithmetic for callers (finite differences, claim sides): exact when both
/// operands are, rigorous intervals otherwise.
impl Value {
    pub fn add(&self, other: &Value) -> Result<Value, EvalError> {
        add(self, other)
    }

    pub fn sub(&self, other: &Value) -> Result<Value, EvalError> {
        sub(self, other)
    }

    pub fn mul(&self, other: &Value) -> Result<Value, EvalError> {
        mul(self, other)
    }

    /// `self / other`; `Undefined` for a zero divisor, `Indeterminate` for an
    /// interval divisor around 0.
    pub fn div(&self, other: &Value) -> Result<Value, EvalError> {
        mul(self, &recip(other)?)
    }

    pub fn neg(&self) -> Value {
        neg(self)
    }

    pub fn pow(&self, exponent: &Value) -> Result<Value, EvalError> {
        pow(self, exponent)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Exact(r) => write!(f, "{r}"),
            Value::Approx(i) => write!(f, "{}", significant_digits(i.midpoint(), 12)),
            Value::Precise(p) => {
                let mid = p.midpoint();
                if mid == 0.0 || !mid.is_finite() || mid.abs() < 1e-300 {
                    let (lo, hi) = p.rational_bounds();
                    write!(
                        f,
                        "{}",
                        decimal_of_rational(&((lo + hi) / BigRational::from_integer(2.into())))
                    )
                } else {
                    write!(f, "{}", significant_digits(mid, 12))
                }
            }
        }
    }
}

/// `x` with `digits` significant digits, in plain notation for moderate
/// magnitudes and scientific notation otherwise, trailing zeros trimmed.
fn significant_digits(x: f64, digits: usize) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    let scientific = format!("{:.*e}", digits.saturating_sub(1), x);
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let exponent: i64 = exponent.parse().unwrap_or(0);
    if (-5..15).contains(&exponent) {
        let decimals = (digits as i64 - 1 - exponent).max(0) as usize;
        return trim_zeros(&format!("{x:.decimals$}"));
    }
    format!("{}e{exponent}", trim_zeros(mantissa))
}

/// A rational outside the f64 range in scientific notation (`5.07595889e-435`).
fn decimal_of_rational(q: &BigRational) -> String {
    if q.is_zero() {
        return "0".to_string();
    }
    let top = q.numer().bits() as i64 - q.denom().bits() as i64;
    let k = (top as f64 * std::f64::consts::LOG10_2).floor() as i64;
    if k.abs() > 100_000 {
        return format!("about 2^{top}");
    }
    let ten = BigRational::from_integer(BigInt::from(10));
    let scaled = q * Pow::pow(&ten, -k);
    let mut m = scaled.to_f64().unwrap_or(0.0);
    let mut k = k;
    if m.abs() >= 9.9999999995 {
        m /= 10.0;
        k += 1;
    }
    let text = significant_digits(m, 9);
    match text.split_once('e') {
        Some((mantissa, e)) => format!("{mantissa}e{}", e.parse::<i64>().unwrap_or(0) + k),
        None => format!("{text}e{k}"),
    }
}

fn trim_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn bit_sizes(r: &BigRational) -> (u64, u64) {
    (r.numer().bits(), r.denom().bits())
}

/// Whether an exact `a + b` stays within the size limit.
fn sum_fits(a: &BigRational, b: &BigRational) -> bool {
    let (an, ad) = bit_sizes(a);
    let (bn, bd) = bit_sizes(b);
    (an + bd).max(bn + ad) < MAX_EXACT_BITS && ad + bd <= MAX_EXACT_BITS
}

fn product_fits(a: &BigRational, b: &BigRational) -> bool {
    let (an, ad) = bit_sizes(a);
    let (bn, bd) = bit_sizes(b);
    an + bn <= MAX_EXACT_BITS && ad + bd <= MAX_EXACT_BITS
}

/// The working precision of an approximate result of `a` and `b`: the
/// evaluator's, or the finer operand's (`None`: f64 intervals).
fn precision_of(values: &[&Value]) -> Option<u32> {
    let operand = values.iter().filter_map(|v| v.precise_bits()).max();
    precise::working_bits().max(operand)
}

pub(crate) fn add(a: &Value, b: &Value) -> Result<Value, EvalError> {
    if let (Value::Exact(x), Value::Exact(y)) = (a, b) {
        if sum_fits(x, y) {
            return Ok(Value::Exact(super::small::add(x, y)));
        }
    }
    if let Some(bits) = precision_of(&[a, b]) {
        return Ok(Value::Precise(a.precise(bits)?.add(&b.precise(bits)?)?));
    }
    Ok(Value::Approx(a.to_interval()?.add(&b.to_interval()?)?))
}

pub(crate) fn neg(a: &Value) -> Value {
    match a {
        Value::Exact(x) => Value::Exact(-x),
        Value::Approx(i) => Value::Approx(i.neg()),
        Value::Precise(p) => Value::Precise(p.neg()),
    }
}

pub(crate) fn sub(a: &Value, b: &Value) -> Result<Value, EvalError> {
    add(a, &neg(b))
}

pub(crate) fn mul(a: &Value, b: &Value) -> Result<Value, EvalError> {
    match (a, b) {
        (Value::Exact(x), _) | (_, Value::Exact(x)) if x.is_zero() => return Ok(Value::zero()),
        (Value::Exact(x), Value::Exact(y)) if product_fits(x, y) => {
            return Ok(Value::Exact(super::small::mul(x, y)));
        }
        _ => {}
    }
    if let Some(bits) = precision_of(&[a, b]) {
        return Ok(Value::Precise(a.precise(bits)?.mul(&b.precise(bits)?)?));
    }
    Ok(Value::Approx(a.to_interval()?.mul(&b.to_interval()?)?))
}

/// `1 / a`; `Undefined` at 0.
pub(crate) fn recip(a: &Value) -> Result<Value, EvalError> {
    match a {
        Value::Exact(x) if x.is_zero() => Err(EvalError::Undefined("division by zero".into())),
        Value::Exact(x) => Ok(Value::Exact(x.recip())),
        Value::Approx(i) => Ok(Value::Approx(i.recip()?)),
        Value::Precise(p) => Ok(Value::Precise(p.recip()?)),
    }
}

/// The sum of many values: exact terms are added exactly first, so one
/// interval term does not make the exact ones lose precision.
pub(crate) fn sum_all<V: Borrow<Value>>(values: &[V]) -> Result<Value, EvalError> {
    let mut exact = Value::zero();
    let mut approx: Option<Value> = None;
    for v in values {
        let v = v.borrow();
        match v {
            Value::Exact(_) => exact = add(&exact, v)?,
            _ => {
                approx = Some(match approx {
                    None => v.clone(),
                    Some(acc) => add(&acc, v)?,
                })
            }
        }
    }
    match approx {
        None => Ok(exact),
        Some(v) => add(&exact, &v),
    }
}

pub(crate) fn product_all<V: Borrow<Value>>(values: &[V]) -> Result<Value, EvalError> {
    if values
        .iter()
        .any(|v| v.borrow().as_exact().is_some_and(|r| r.is_zero()))
    {
        return Ok(Value::zero());
    }
    let mut exact = Value::one();
    let mut approx: Option<Value> = None;
    for v in values {
        let v = v.borrow();
        match v {
            Value::Exact(_) => exact = mul(&exact, v)?,
            _ => {
                approx = Some(match approx {
                    None => v.clone(),
                    Some(acc) => mul(&acc, v)?,
                })
            }
        }
    }
    match approx {
        None => Ok(exact),
        Some(v) => mul(&exact, &v),
    }
}

/// Decides a comparison; `Indeterminate` when the enclosures allow both answers.
pub(crate) fn decide(op: CmpOp, a: &Value, b: &Value) -> Result<bool, EvalError> {
    let (a_lo, a_hi) = a.rational_bounds();
    let (b_lo, b_hi) = b.rational_bounds();
    let less = |x_lo: &BigRational, x_hi: &BigRational, y_lo: &BigRational, y_hi: &BigRational| {
        if x_hi < y_lo {
            Ok(true)
        } else if x_lo >= y_hi {
            Ok(false)
        } else {
            Err(EvalError::Indeterminate)
        }
    };
    let less_or_equal =
        |x_lo: &BigRational, x_hi: &BigRational, y_lo: &BigRational, y_hi: &BigRational| {
            if x_hi <= y_lo {
                Ok(true)
            } else if x_lo > y_hi {
                Ok(false)
            } else {
                Err(EvalError::Indeterminate)
            }
        };
    let equal = || {
        if a_lo == a_hi && b_lo == b_hi {
            Ok(a_lo == b_lo)
        } else if a_hi < b_lo || b_hi < a_lo {
            Ok(false)
        } else {
            Err(EvalError::Indeterminate)
        }
    };
    match op {
        CmpOp::Lt => less(&a_lo, &a_hi, &b_lo, &b_hi),
        CmpOp::Gt => less(&b_lo, &b_hi, &a_lo, &a_hi),
        CmpOp::Le => less_or_equal(&a_lo, &a_hi, &b_lo, &b_hi),
        CmpOp::Ge => less_or_equal(&b_lo, &b_hi, &a_lo, &a_hi),
        CmpOp::Eq => equal(),
        CmpOp::Ne => equal().map(|e| !e),
    }
}

/// `base ^ exponent` (`0^0` is undefined, as in the prover and the docs).
pub(crate) fn pow(base: &Value, exponent: &Value) -> Result<Value, EvalError> {
    match exponent {
        Value::Exact(e) if e.is_integer() => pow_integer(base, e.numer()),
        Value::Exact(e) => pow_fraction(base, e),
        Value::Approx(e) => match precision_of(&[base]) {
            Some(bits) => pow_precise_exponent(base, &Precise::from_interval(e, bits)?),
            None => pow_approximate_exponent(base, e),
        },
        Value::Precise(e) => pow_precise_exponent(base, e),
    }
}

/// Whether `b^n` may be computed exactly under the size limits.
fn exact_power_fits(b: &BigRational, n: &BigInt) -> bool {
    let Some(n) = n.magnitude().to_u64() else {
        return false;
    };
    let (numer_bits, denom_bits) = bit_sizes(b);
    n <= MAX_EXACT_EXPONENT
        && numer_bits.saturating_mul(n) <= MAX_EXACT_POWER_BITS
        && denom_bits.saturating_mul(n) <= MAX_EXACT_POWER_BITS
}

fn pow_integer(base: &Value, n: &BigInt) -> Result<Value, EvalError> {
    let b = match base {
        // an enclosure of 0 may be 0 itself, where `u^0` is undefined
        Value::Approx(i) if n.is_zero() && i.lo() <= 0.0 && i.hi() >= 0.0 => {
            return Err(EvalError::Indeterminate)
        }
        Value::Approx(i) => return Ok(Value::Approx(i.pow_integer(n)?)),
        Value::Precise(p) => return Ok(Value::Precise(p.pow_integer(n)?)),
        Value::Exact(b) => b,
    };
    if b.is_zero() {
        return match n.sign() {
            num_bigint::Sign::Plus => Ok(Value::zero()),
            num_bigint::Sign::NoSign => Err(EvalError::Undefined("0^0 is undefined".into())),
            num_bigint::Sign::Minus => {
                Err(EvalError::Undefined("0 raised to a negative power".into()))
            }
        };
    }
    if b.is_one() {
        return Ok(Value::one());
    }
    if *b == -BigRational::one() {
        return Ok(if n.bit(0) {
            Value::integer(-1)
        } else {
            Value::one()
        });
    }
    if exact_power_fits(b, n) {
        return Ok(Value::Exact(Pow::pow(b, n)));
    }
    if let Some(bits) = precise::working_bits() {
        return Ok(Value::Precise(
            Precise::from_rational(b, bits)?.pow_integer(n)?,
        ));
    }
    Ok(Value::Approx(Interval::from_rational(b)?.pow_integer(n)?))
}

/// `base ^ (p/q)` for a non-integer rational exponent.
fn pow_fraction(base: &Value, e: &BigRational) -> Result<Value, EvalError> {
    let positive_exponent = e.is_positive();
    match base {
        Value::Exact(b) => {
            if b.is_negative() {
                return Err(EvalError::Undefined(
                    "a negative number raised to a non-integer power".into(),
                ));
            }
            if b.is_zero() {
                return if positive_exponent {
                    Ok(Value::zero())
                } else {
                    Err(EvalError::Undefined("0 raised to a negative power".into()))
                };
            }
            if b.is_one() {
                return Ok(Value::one());
            }
            if let Some(root) = exact_root(b, e.denom()) {
                return pow_integer(&Value::Exact(root), e.numer());
            }
            positive_base_power(base, e)
        }
        Value::Approx(x) => {
            if x.hi() < 0.0 {
                return Err(EvalError::Undefined(
                    "a negative number raised to a non-integer power".into(),
                ));
            }
            if x.lo() < 0.0 {
                return Err(EvalError::Indeterminate);
            }
            if x.lo() > 0.0 {
                return positive_base_power(base, e);
            }
            // the base is in [0, hi]
            if !positive_exponent {
                return if x.hi() == 0.0 {
                    Err(EvalError::Undefined("0 raised to a negative power".into()))
                } else {
                    Err(EvalError::Indeterminate)
                };
            }
            if x.hi() == 0.0 {
                return Ok(Value::zero());
            }
            // t^e is increasing in t for e > 0, so [0, hi^e] encloses it
            let top = positive_base_power(
                &Value::Approx(Interval::point(x.hi()).ok_or(EvalError::Overflow)?),
                e,
            )?;
            let top = top.to_interval()?;
            Ok(Value::Approx(
                Interval::new(0.0, top.hi()).ok_or(EvalError::Overflow)?,
            ))
        }
        Value::Precise(x) => match x.certain_sign() {
            Some(-1) => Err(EvalError::Undefined(
                "a negative number raised to a non-integer power".into(),
            )),
            Some(1) => positive_base_power(base, e),
            Some(_) if positive_exponent => Ok(Value::zero()),
            Some(_) => Err(EvalError::Undefined("0 raised to a negative power".into())),
            // an interval [0, hi] or one straddling 0: the sign decides
            None => Err(EvalError::Indeterminate),
        },
    }
}

/// `b^e` for `b > 0` and a non-integer rational `e`, via sqrt for `e = ±1/2`
/// and `exp(e · ln b)` otherwise.
fn positive_base_power(base: &Value, e: &BigRational) -> Result<Value, EvalError> {
    if let Some(bits) = precision_of(&[base]) {
        let b = base.precise(bits)?;
        let half = BigRational::new(BigInt::one(), BigInt::from(2));
        if e.abs() == half {
            let root = b.sqrt()?;
            return Ok(Value::Precise(if e.is_negative() {
                root.recip()?
            } else {
                root
            }));
        }
        let exponent = Precise::from_rational(e, bits)?;
        return Ok(Value::Precise(exponent.mul(&b.ln()?)?.exp()?));
    }
    let half = BigRational::new(BigInt::one(), BigInt::from(2));
    if *e == half || *e == -half.clone() {
        let root = base.to_interval()?.sqrt()?;
        return Ok(Value::Approx(if e.is_negative() {
            root.recip()?
        } else {
            root
        }));
    }
    let exponent = Interval::from_rational(e)?;
    Ok(Value::Approx(exp_of_product(
        &exponent,
        &ln_interval(base)?,
    )?))
}

fn exp_of_product(exponent: &Interval, log_base: &Interval) -> Result<Interval, EvalError> {
    exponent.mul(log_base)?.exp()
}

/// `base ^ E` for an exponent known only as a multi-precision interval.
fn pow_precise_exponent(base: &Value, e: &Precise) -> Result<Value, EvalError> {
    let bits = e.bits().max(base.precise_bits().unwrap_or(0));
    if base.as_exact().is_some_and(|b| b.is_one()) {
        return Ok(Value::one());
    }
    let b = base.precise(bits)?;
    match b.certain_sign() {
        Some(1) => Ok(Value::Precise(e.mul(&b.ln()?)?.exp()?)),
        Some(0) => match e.certain_sign() {
            Some(1) => Ok(Value::zero()),
            Some(-1) => Err(EvalError::Undefined("0 raised to a negative power".into())),
            _ => Err(EvalError::Indeterminate),
        },
        Some(_) if e.integer() == Err(true) => Err(EvalError::Undefined(
            "a negative number raised to a non-integer power".into(),
        )),
        _ => Err(EvalError::Indeterminate),
    }
}

/// `base ^ E` for an exponent known only as an interval.
fn pow_approximate_exponent(base: &Value, e: &Interval) -> Result<Value, EvalError> {
    let contains_integer = e.lo().ceil() <= e.hi();
    let negative_base = || {
        if contains_integer {
            Err(EvalError::Indeterminate)
        } else {
            Err(EvalError::Undefined(
                "a negative number raised to a non-integer power".into(),
            ))
        }
    };
    match base {
        Value::Exact(b) if b.is_one() => Ok(Value::one()),
        Value::Exact(b) if b.is_positive() => {
            Ok(Value::Approx(exp_of_product(e, &ln_interval(base)?)?))
        }
        Value::Exact(b) if b.is_zero() => {
            if e.lo() > 0.0 {
                Ok(Value::zero())
            } else if e.hi() < 0.0 {
                Err(EvalError::Undefined("0 raised to a negative power".into()))
            } else {
                Err(EvalError::Indeterminate)
            }
        }
        Value::Exact(_) => negative_base(),
        Value::Approx(x) if x.lo() > 0.0 => {
            Ok(Value::Approx(exp_of_product(e, &ln_interval(base)?)?))
        }
        Value::Approx(x) if x.hi() < 0.0 => negative_base(),
        Value::Approx(_) | Value::Precise(_) => Err(EvalError::Indeterminate),
    }
}

/// The exact `q`-th root of `b >= 0` when it is rational (numerator and
/// denominator both perfect powers) and small enough to try.
fn exact_root(b: &BigRational, q: &BigInt) -> Option<BigRational> {
    let q = q.to_u32()?;
    if q > MAX_EXACT_ROOT_DEGREE || b.is_negative() {
        return None;
    }
    let (numer_bits, denom_bits) = bit_sizes(b);
    if numer_bits.max(denom_bits) > MAX_EXACT_BITS {
        return None;
    }
    let root_of = |n: &BigUint| -> Option<BigUint> {
        let r = n.nth_root(q);
        (Pow::pow(&r, q) == *n).then_some(r)
    };
    let numer = root_of(b.numer().magnitude())?;
    let denom = root_of(b.denom().magnitude())?;
    Some(BigRational::new(BigInt::from(numer), BigInt::from(denom)))
}

/// An enclosure of `ln v`: `Undefined` for certainly non-positive `v`,
/// `Indeterminate` when the enclosure reaches 0. Exact values far outside the
/// f64 range are scaled by a power of 2 first: `ln(m·2^k) = ln m + k ln 2`.
pub(crate) fn ln_interval(v: &Value) -> Result<Interval, EvalError> {
    log_interval(v, Interval::ln, Interval::ln2())
}

pub(crate) fn log2_interval(v: &Value) -> Result<Interval, EvalError> {
    log_interval(v, Interval::log2, Interval::point_one())
}

pub(crate) fn log10_interval(v: &Value) -> Result<Interval, EvalError> {
    log_interval(v, Interval::log10, Interval::log10_2())
}

/// `log(v)` for a logarithm `log` whose value at 2 is `log_of_two`.
fn log_interval(
    v: &Value,
    log: fn(&Interval) -> Result<Interval, EvalError>,
    log_of_two: Interval,
) -> Result<Interval, EvalError> {
    let r = match v {
        Value::Approx(i) => return log(i),
        Value::Precise(p) => return log(&p.to_interval()?),
        Value::Exact(r) => r,
    };
    if !r.is_positive() {
        return Err(EvalError::Undefined(
            "logarithm of a non-positive number".into(),
        ));
    }
    let k = r.numer().bits() as i64 - r.denom().bits() as i64;
    if k.abs() < 1000 {
        return log(&Interval::from_rational(r)?);
    }
    let mantissa = r * rational_pow2(-k);
    let k_interval = Interval::from_rational(&BigRational::from_integer(BigInt::from(k)))?;
    log(&Interval::from_rational(&mantissa)?)?.add(&k_interval.mul(&log_of_two)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rat(n: i64, d: i64) -> Value {
        Value::Exact(BigRational::new(BigInt::from(n), BigInt::from(d)))
    }

    #[test]
    fn exact_arithmetic_stays_exact() {
        let sum = add(&rat(1, 3), &rat(1, 6)).expect("defined");
        assert_eq!(sum, rat(1, 2));
        let product = mul(&rat(2, 3), &rat(3, 4)).expect("defined");
        assert_eq!(product, rat(1, 2));
        assert!(matches!(recip(&rat(0, 1)), Err(EvalError::Undefined(_))));
    }

    #[test]
    fn exact_zero_absorbs_intervals() {
        let approx = Value::Approx(Interval::new(1.0, 2.0).expect("finite"));
        assert_eq!(mul(&rat(0, 1), &approx).expect("defined"), Value::zero());
    }

    #[test]
    fn powers() {
        assert_eq!(pow(&rat(2, 1), &rat(10, 1)).expect("defined"), rat(1024, 1));
        assert_eq!(pow(&rat(2, 3), &rat(-2, 1)).expect("defined"), rat(9, 4));
        assert_eq!(pow(&rat(4, 9), &rat(1, 2)).expect("defined"), rat(2, 3));
        assert_eq!(pow(&rat(8, 1), &rat(-2, 3)).expect("defined"), rat(1, 4));
        assert!(matches!(
            pow(&rat(-8, 1), &rat(1, 3)),
            Err(EvalError::Undefined(_))
        ));
        assert!(matches!(
            pow(&rat(0, 1), &rat(-1, 1)),
            Err(EvalError::Undefined(_))
        ));
        assert!(matches!(
            pow(&rat(0, 1), &rat(0, 1)),
            Err(EvalError::Undefined(_))
        ));
        let root2 = pow(&rat(2, 1), &rat(1, 2)).expect("defined");
        let i = root2.to_interval().expect("finite");
        assert!(i.contains(std::f64::consts::SQRT_2));
        let cube_root = pow(&rat(2, 1), &rat(1, 3)).expect("defined");
        assert!(cube_root
            .to_interval()
            .expect("finite")
            .contains(2f64.cbrt()));
    }

    #[test]
    fn huge_exponents_are_not_computed_exactly() {
        let billion = Value::Exact(BigRational::from_integer(BigInt::from(10).pow(9u32)));
        assert_eq!(pow(&rat(2, 1), &billion), Err(EvalError::Overflow));
        let googol = Value::Exact(BigRational::from_integer(BigInt::from(10).pow(100u32)));
        let tiny = pow(&rat(1, 2), &googol).expect("defined");
        assert!(!tiny.is_exact());
        assert_eq!(pow(&rat(-1, 1), &googol).expect("defined"), Value::one());
    }

    #[test]
    fn comparisons_are_decided_or_indeterminate() {
        let near_half = Value::Approx(Interval::new(0.4999, 0.5001).expect("finite"));
        assert_eq!(decide(CmpOp::Lt, &rat(1, 3), &near_half), Ok(true));
        assert_eq!(
            decide(CmpOp::Lt, &rat(1, 2), &near_half),
            Err(EvalError::Indeterminate)
        );
        assert_eq!(decide(CmpOp::Eq, &rat(1, 2), &rat(2, 4)), Ok(true));
        assert_eq!(decide(CmpOp::Ne, &rat(1, 2), &rat(1, 3)), Ok(true));
        assert_eq!(decide(CmpOp::Ge, &rat(1, 2), &rat(1, 2)), Ok(true));
        assert_eq!(decide(CmpOp::Gt, &rat(1, 2), &rat(1, 2)), Ok(false));
    }

    #[test]
    fn agreement() {
        assert_eq!(Value::compare(&rat(1, 2), &rat(2, 4)), Agreement::Equal);
        assert_eq!(Value::compare(&rat(1, 2), &rat(1, 3)), Agreement::Different);
        let third = Value::Approx(
            Interval::from_rational(&BigRational::new(1.into(), 3.into())).expect("finite"),
        );
        assert_eq!(Value::compare(&third, &rat(1, 3)), Agreement::Close);
        let wide = Value::Approx(Interval::new(0.0, 1.0).expect("finite"));
        assert_eq!(Value::compare(&wide, &rat(1, 3)), Agreement::Inconclusive);
        assert_eq!(Value::compare(&wide, &rat(2, 1)), Agreement::Different);
    }

    #[test]
    fn the_f64_comparison_agrees_with_the_rational_one() {
        // intervals around thresholds (1e-12 wide, 1e-9 relative), points,
        // disjoint and touching ends, huge and tiny magnitudes
        let mut ends: Vec<f64> = vec![0.0, 1.0, -1.0, 1e-300, 5e-324, 1e300, -1e300, 3.0];
        for base in [1.0f64, 1e-12, 1e6, 1e-200, 7.25] {
            for w in [0.0, 1e-12, 1e-9 * base, 1e-9 * base * 2.0, base] {
                ends.push(base + w);
                ends.push((base + w).next_up());
                ends.push((base + w).next_down());
                ends.push(-(base + w));
            }
            ends.push(1e-12);
            ends.push(1e-12f64.next_up());
        }
        let intervals: Vec<Interval> = ends
            .iter()
            .flat_map(|&a| ends.iter().filter_map(move |&b| Interval::new(a, b)))
            .collect();
        let mut fast = 0;
        for (k, x) in intervals.iter().enumerate().step_by(97) {
            for y in intervals.iter().skip(k % 13).step_by(89) {
                let (a, b) = (Value::Approx(*x), Value::Approx(*y));
                let exact = Value::compare_by_rationals(&a, &b);
                if let Some(answer) = compare_f64_intervals(x, y) {
                    fast += 1;
                    assert_eq!(answer, exact, "{x:?} vs {y:?}");
                }
                assert_eq!(Value::compare(&a, &b), exact, "{x:?} vs {y:?}");
            }
        }
        assert!(fast > 100, "the fast path decided only {fast} pairs");
    }

    #[test]
    fn approx_equal_uses_the_enclosures() {
        let tol = BigRational::new(1.into(), 1_000_000.into());
        let ln10 = Value::Approx(
            Interval::point(10.0)
                .expect("finite")
                .ln()
                .expect("positive"),
        );
        let claimed = rat(2_302_585, 1_000_000);
        assert_eq!(Value::approx_equal(&ln10, &claimed, &tol), Some(true));
        let wrong = rat(2_303, 1_000);
        assert_eq!(Value::approx_equal(&ln10, &wrong, &tol), Some(false));
        let wide = Value::Approx(Interval::new(2.3, 2.31).expect("finite"));
        assert_eq!(Value::approx_equal(&wide, &claimed, &tol), None);
    }

    #[test]
    fn display() {
        assert_eq!(rat(3, 4).to_string(), "3/4");
        assert_eq!(rat(-5, 1).to_string(), "-5");
        let e = Value::Approx(Interval::point(1.0).expect("finite").exp().expect("finite"));
        assert_eq!(e.to_string(), "2.71828182846");
        let big = Value::Approx(Interval::point(6.02214076e23).expect("finite"));
        assert_eq!(big.to_string(), "6.02214076e23");
        let small = Value::Approx(Interval::point(1.5e-7).expect("finite"));
        assert_eq!(small.to_string(), "1.5e-7");
    }
}
