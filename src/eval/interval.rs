//! Rigorous enclosures of real numbers: closed intervals with f64 endpoints, rounded outward.
//!
//! Every operation returns an interval that contains the exact real result for
//! every choice of reals in its operands. The four basic operations and `sqrt`
//! use error-free transformations (TwoSum, FMA residuals) to round each endpoint
//! in the safe direction, so exact results stay points. The transcendental
//! functions come from the platform libm, which is not correctly rounded: we
//! assume its error is at most [`LIBM_ULP_SLACK`] ulps (glibc documents at most
//! 2 ulps on x86-64 for `exp`, `ln`, `log2`, `log10`, `ln_1p` and `tanh`, and
//! less than 1 ulp for `sin`, which only the sampler's oscillating maps use) and widen
//! every libm result by that many ulps on each side. This assumption is the only
//! non-proved ingredient of the enclosures.

use super::ledger::{
    check_f64_absorption, check_f64_saturation, check_f64_underflow, note_loss, F64_CONSTANT_BITS,
};
use super::EvalError;
use num_bigint::{BigInt, BigUint};
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// How many ulps a libm result is widened by on each side (see the module docs).
pub const LIBM_ULP_SLACK: u32 = 8;

/// Below this magnitude the FMA residual of a product or quotient may underflow,
/// so the rounding direction is not decided from it and we widen instead.
const RESIDUAL_SAFE: f64 = 1.0e-280;

/// A closed interval `[lo, hi]` with finite endpoints and `lo <= hi`, known to
/// contain the real number it stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    lo: f64,
    hi: f64,
}

impl Interval {
    /// The interval `[lo, hi]`, if both ends are finite and ordered.
    pub fn new(lo: f64, hi: f64) -> Option<Interval> {
        (lo.is_finite() && hi.is_finite() && lo <= hi).then_some(Interval { lo, hi })
    }

    /// The one-point interval `[x, x]`; `None` for a non-finite `x`.
    pub fn point(x: f64) -> Option<Interval> {
        Interval::new(x, x)
    }

    pub fn lo(&self) -> f64 {
        self.lo
    }

    pub fn hi(&self) -> f64 {
        self.hi
    }

    /// The midpoint (a display value, not an enclosure).
    pub fn midpoint(&self) -> f64 {
        self.lo / 2.0 + self.hi / 2.0
    }

    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// Whether 0 is outside the interval.
    pub fn excludes_zero(&self) -> bool {
        self.lo > 0.0 || self.hi < 0.0
    }

    /// The smallest absolute value in the interval.
    pub fn smallest(&self) -> f64 {
        if self.excludes_zero() {
            self.lo.abs().min(self.hi.abs())
        } else {
            0.0
        }
    }

    /// The largest absolute value in the interval.
    pub fn magnitude(&self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }

    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }

    /// Builds the result of an operation: non-finite ends mean the true value
    /// left the f64 range.
    fn checked(lo: f64, hi: f64) -> Result<Interval, EvalError> {
        if !lo.is_finite() || !hi.is_finite() {
            return Err(EvalError::Overflow);
        }
        check_f64_underflow(lo, hi);
        // Endpoints computed by rounding down and up can only cross if the
        // operation was handed an empty interval, which the type forbids.
        Ok(Interval {
            lo: lo.min(hi),
            hi: lo.max(hi),
        })
    }

    /// An outward-rounded enclosure of a rational; `Overflow` when it is beyond
    /// the f64 range.
    pub fn from_rational(r: &BigRational) -> Result<Interval, EvalError> {
        if r.is_zero() {
            return Ok(Interval { lo: 0.0, hi: 0.0 });
        }
        // a constant with far more bits than an f64 holds loses some of them
        let size = r.numer().bits() + r.denom().bits();
        if size > u64::from(F64_CONSTANT_BITS) {
            note_loss(size / 4);
        }
        let (n, d) = (r.numer().magnitude(), r.denom().magnitude());
        let (lo, hi) = match small_ratio_enclosure(n, d) {
            Some(ends) => ends,
            None => positive_ratio_enclosure(n, d)?,
        };
        if r.is_negative() {
            Interval::checked(-hi, -lo)
        } else {
            Interval::checked(lo, hi)
        }
    }

    /// The exact rational endpoints.
    pub fn rational_bounds(&self) -> (BigRational, BigRational) {
        (exact_rational(self.lo), exact_rational(self.hi))
    }

    pub fn neg(&self) -> Interval {
        Interval {
            lo: -self.hi,
            hi: -self.lo,
        }
    }

    /// `self + other`; a certainly nonzero term below the resolution relative
    /// to the other is noted as lost (see `ledger`).
    pub fn add(&self, other: &Interval) -> Result<Interval, EvalError> {
        if self.excludes_zero() && other.excludes_zero() {
            check_f64_absorption(self.smallest(), other.magnitude());
            check_f64_absorption(other.smallest(), self.magnitude());
        }
        Interval::checked(add_down(self.lo, other.lo), add_up(self.hi, other.hi))
    }

    pub fn sub(&self, other: &Interval) -> Result<Interval, EvalError> {
        self.add(&other.neg())
    }

    pub fn mul(&self, other: &Interval) -> Result<Interval, EvalError> {
        self.corner_hull(other, mul_down, mul_up)
    }

    /// `1 / self`: `Undefined` when the value is certainly 0, `Indeterminate`
    /// when the interval merely contains 0.
    pub fn recip(&self) -> Result<Interval, EvalError> {
        Interval::point_one().div(self)
    }

    pub fn div(&self, other: &Interval) -> Result<Interval, EvalError> {
        if other.lo == 0.0 && other.hi == 0.0 {
            return Err(EvalError::Undefined("division by zero".into()));
        }
        if other.lo <= 0.0 && other.hi >= 0.0 {
            return Err(EvalError::Indeterminate);
        }
        self.corner_hull(other, div_down, div_up)
    }

    /// The hull of `op` over the four corners of `self × other`, rounded
    /// outward: right for `·` and `/`, which are monotone in each argument on
    /// a box where they are defined.
    fn corner_hull(
        &self,
        other: &Interval,
        down: fn(f64, f64) -> f64,
        up: fn(f64, f64) -> f64,
    ) -> Result<Interval, EvalError> {
        let corners = [
            (self.lo, other.lo),
            (self.lo, other.hi),
            (self.hi, other.lo),
            (self.hi, other.hi),
        ];
        let lo = corners
            .iter()
            .map(|&(a, b)| down(a, b))
            .fold(f64::INFINITY, f64::min);
        let hi = corners
            .iter()
            .map(|&(a, b)| up(a, b))
            .fold(f64::NEG_INFINITY, f64::max);
        Interval::checked(lo, hi)
    }

    /// The point 1.
    pub fn point_one() -> Interval {
        Interval { lo: 1.0, hi: 1.0 }
    }

    /// `self` raised to a non-negative integer power (`x^0 = 1`).
    pub fn pow_natural(&self, exponent: &BigUint) -> Result<Interval, EvalError> {
        if exponent.is_zero() {
            return Ok(Interval::point_one());
        }
        let odd = exponent.bit(0);
        if self.lo >= 0.0 {
            return Interval::checked(
                pow_magnitude_down(self.lo, exponent),
                pow_magnitude_up(self.hi, exponent)?,
            );
        }
        if self.hi <= 0.0 {
            // both ends negative: x^n = ±|x|^n, and |x| runs from |hi| to |lo|
            let small = pow_magnitude_down(-self.hi, exponent);
            let large = pow_magnitude_up(-self.lo, exponent)?;
            return if odd {
                Interval::checked(-large, -small)
            } else {
                Interval::checked(small, large)
            };
        }
        if odd {
            return Interval::checked(
                -pow_magnitude_up(-self.lo, exponent)?,
                pow_magnitude_up(self.hi, exponent)?,
            );
        }
        Interval::checked(0.0, pow_magnitude_up(self.magnitude(), exponent)?)
    }

    /// `self` raised to any integer power; negative powers go through `recip`.
    pub fn pow_integer(&self, exponent: &BigInt) -> Result<Interval, EvalError> {
        let power = self.pow_natural(exponent.magnitude())?;
        if exponent.is_negative() {
            power.recip()
        } else {
            Ok(power)
        }
    }

    pub fn abs(&self) -> Interval {
        if self.lo >= 0.0 {
            *self
        } else if self.hi <= 0.0 {
            self.neg()
        } else {
            Interval {
                lo: 0.0,
                hi: self.magnitude(),
            }
        }
    }

    pub fn relu(&self) -> Interval {
        Interval {
            lo: self.lo.max(0.0),
            hi: self.hi.max(0.0),
        }
    }

    /// `e^self`; a nonzero argument nearer 0 than the resolution is lost in
    /// `1 + x` and noted.
    pub fn exp(&self) -> Result<Interval, EvalError> {
        if self.excludes_zero() {
            check_f64_absorption(self.magnitude(), 1.0);
        }
        Interval::checked(libm_down(self.lo.exp()).max(0.0), libm_up(self.hi.exp()))
    }

    /// Natural logarithm: `Undefined` when the value is certainly `<= 0`,
    /// `Indeterminate` when the interval reaches 0 or below.
    pub fn ln(&self) -> Result<Interval, EvalError> {
        self.require_positive("ln")?;
        Interval::checked(libm_down(self.lo.ln()), libm_up(self.hi.ln()))
    }

    pub fn log2(&self) -> Result<Interval, EvalError> {
        self.require_positive("log2")?;
        Interval::checked(libm_down(self.lo.log2()), libm_up(self.hi.log2()))
    }

    pub fn log10(&self) -> Result<Interval, EvalError> {
        self.require_positive("log10")?;
        Interval::checked(libm_down(self.lo.log10()), libm_up(self.hi.log10()))
    }

    /// Checks the argument of a logarithm; an argument other than 1 nearer
    /// 1 than the resolution is noted as lost.
    fn require_positive(&self, name: &str) -> Result<(), EvalError> {
        if self.hi <= 0.0 {
            return Err(EvalError::Undefined(format!(
                "{name} of a non-positive number"
            )));
        }
        if self.lo <= 0.0 {
            return Err(EvalError::Indeterminate);
        }
        let offset = (self.lo - 1.0).abs().max((self.hi - 1.0).abs());
        if !(self.lo == 1.0 && self.hi == 1.0) {
            check_f64_absorption(offset, 1.0);
        }
        Ok(())
    }

    /// Square root: `Undefined` when certainly negative, `Indeterminate` when
    /// the interval straddles 0.
    pub fn sqrt(&self) -> Result<Interval, EvalError> {
        if self.hi < 0.0 {
            return Err(EvalError::Undefined("sqrt of a negative number".into()));
        }
        if self.lo < 0.0 {
            return Err(EvalError::Indeterminate);
        }
        Interval::checked(sqrt_down(self.lo), sqrt_up(self.hi))
    }

    /// `tanh`; a saturated value (nearer ±1 than the resolution) is noted.
    pub fn tanh(&self) -> Result<Interval, EvalError> {
        check_f64_saturation(2.0 * self.magnitude());
        Interval::checked(
            libm_down(self.lo.tanh()).max(-1.0),
            libm_up(self.hi.tanh()).min(1.0),
        )
    }

    /// `1 / (1 + e^-x)`, increasing, so its ends come from the ends of `self`.
    pub fn sigmoid(&self) -> Result<Interval, EvalError> {
        let (lo, _) = sigmoid_point(self.lo)?;
        let (_, hi) = sigmoid_point(self.hi)?;
        Interval::checked(lo.max(0.0), hi.min(1.0))
    }

    /// `ln(1 + e^x)`, increasing, computed without overflow for large `x`.
    pub fn softplus(&self) -> Result<Interval, EvalError> {
        let (lo, _) = softplus_point(self.lo)?;
        let (_, hi) = softplus_point(self.hi)?;
        Interval::checked(lo.max(0.0), hi)
    }

    /// Multiplies by `2^k` (exact unless the result leaves the normal range,
    /// in which case the rounding is absorbed by widening).
    pub fn scale_pow2(&self, k: i64) -> Result<Interval, EvalError> {
        let factor = Interval::pow2(k)?;
        self.mul(&factor)
    }

    /// An enclosure of `2^k`.
    pub fn pow2(k: i64) -> Result<Interval, EvalError> {
        if k > 1023 {
            return Err(EvalError::Overflow);
        }
        if k >= -1022 {
            let bits = u64::try_from(k + 1023).map_err(|_| EvalError::Overflow)? << 52;
            let x = f64::from_bits(bits);
            return Ok(Interval { lo: x, hi: x });
        }
        if k >= -1074 {
            let x = f64::from_bits(1u64 << (k + 1074));
            return Ok(Interval { lo: x, hi: x });
        }
        Ok(Interval {
            lo: 0.0,
            hi: f64::from_bits(1),
        })
    }

    /// An enclosure of ln 2 (the f64 constant is the correctly rounded value).
    pub fn ln2() -> Interval {
        Interval {
            lo: std::f64::consts::LN_2.next_down(),
            hi: std::f64::consts::LN_2.next_up(),
        }
    }

    /// An enclosure of log10(2).
    pub fn log10_2() -> Interval {
        Interval {
            lo: std::f64::consts::LOG10_2.next_down(),
            hi: std::f64::consts::LOG10_2.next_up(),
        }
    }

    /// An enclosure of π/2 (the f64 constant is the correctly rounded value).
    pub fn half_pi() -> Interval {
        Interval {
            lo: std::f64::consts::FRAC_PI_2.next_down(),
            hi: std::f64::consts::FRAC_PI_2.next_up(),
        }
    }

    /// `sin` over the interval: the libm values at the ends, widened, and ±1
    /// wherever an extremum `π/2 + mπ` may lie inside. The extrema are located
    /// in f64 with a margin far above its rounding error, so one is never
    /// missed (an extra one only widens the result).
    pub fn sin(&self) -> Result<Interval, EvalError> {
        let whole = Interval { lo: -1.0, hi: 1.0 };
        let margin = 1e-12 * (1.0 + self.magnitude());
        let (lo, hi) = (self.lo - margin, self.hi + margin);
        if hi - lo >= 6.0 {
            return Ok(whole);
        }
        let (a, b) = (self.lo.sin(), self.hi.sin());
        let mut out_lo = libm_down(a.min(b));
        let mut out_hi = libm_up(a.max(b));
        let first = (lo / std::f64::consts::PI - 0.5).floor();
        let last = (hi / std::f64::consts::PI - 0.5).ceil();
        let mut m = first;
        while m <= last {
            let extremum = (m + 0.5) * std::f64::consts::PI;
            if lo <= extremum && extremum <= hi {
                // sin(π/2 + mπ) = (−1)^m
                if m.rem_euclid(2.0) == 0.0 {
                    out_hi = 1.0;
                } else {
                    out_lo = -1.0;
                }
            }
            m += 1.0;
        }
        Interval::checked(out_lo.max(-1.0), out_hi.min(1.0))
    }

    /// Whether every point of `self` is below every point of `other`.
    pub fn certainly_below(&self, other: &Interval) -> bool {
        self.hi < other.lo
    }

    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// The exact value of a finite f64.
pub fn exact_rational(x: f64) -> BigRational {
    BigRational::from_float(x).unwrap_or_else(BigRational::zero)
}

fn libm_down(x: f64) -> f64 {
    (0..LIBM_ULP_SLACK).fold(x, |y, _| y.next_down())
}

fn libm_up(x: f64) -> f64 {
    (0..LIBM_ULP_SLACK).fold(x, |y, _| y.next_up())
}

/// `a + b` rounded down, using TwoSum to see on which side the rounded sum fell.
pub fn add_down(a: f64, b: f64) -> f64 {
    let s = a + b;
    if !s.is_finite() {
        return s;
    }
    if two_sum_error(a, b, s) < 0.0 {
        s.next_down()
    } else {
        s
    }
}

pub fn add_up(a: f64, b: f64) -> f64 {
    let s = a + b;
    if !s.is_finite() {
        return s;
    }
    if two_sum_error(a, b, s) > 0.0 {
        s.next_up()
    } else {
        s
    }
}

/// The exact error `(a + b) - s` of the rounded sum `s` (Knuth's TwoSum).
fn two_sum_error(a: f64, b: f64, s: f64) -> f64 {
    let b_virtual = s - a;
    let a_virtual = s - b_virtual;
    (a - a_virtual) + (b - b_virtual)
}

/// The sign of `a*b - p` for the rounded product `p`, or `None` when the FMA
/// residual could underflow and the sign is not trustworthy.
fn product_residual_sign(a: f64, b: f64, p: f64) -> Option<f64> {
    if p.abs() < RESIDUAL_SAFE {
        return None;
    }
    Some(a.mul_add(b, -p))
}

pub fn mul_down(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        return 0.0;
    }
    let p = a * b;
    if !p.is_finite() {
        return p;
    }
    match product_residual_sign(a, b, p) {
        Some(r) if r >= 0.0 => p,
        _ => p.next_down(),
    }
}

pub fn mul_up(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        return 0.0;
    }
    let p = a * b;
    if !p.is_finite() {
        return p;
    }
    match product_residual_sign(a, b, p) {
        Some(r) if r <= 0.0 => p,
        _ => p.next_up(),
    }
}

/// The sign of `a/b - q` for the rounded quotient `q` (as the sign of the
/// residual `a - q*b` times the sign of `b`), or `None` when it may underflow.
fn quotient_error_sign(a: f64, b: f64, q: f64) -> Option<f64> {
    if q.abs() < RESIDUAL_SAFE || a.abs() < RESIDUAL_SAFE {
        return None;
    }
    let residual = (-q).mul_add(b, a);
    Some(if b > 0.0 { residual } else { -residual })
}

/// `a / b` rounded down; `b` must be non-zero.
pub fn div_down(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    let q = a / b;
    if !q.is_finite() {
        return q;
    }
    match quotient_error_sign(a, b, q) {
        Some(e) if e >= 0.0 => q,
        _ => q.next_down(),
    }
}

pub fn div_up(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    let q = a / b;
    if !q.is_finite() {
        return q;
    }
    match quotient_error_sign(a, b, q) {
        Some(e) if e <= 0.0 => q,
        _ => q.next_up(),
    }
}

/// `sqrt(a)` rounded down, `a >= 0` (IEEE sqrt is correctly rounded; the FMA
/// residual tells on which side it fell).
fn sqrt_down(a: f64) -> f64 {
    let s = a.sqrt();
    if a == 0.0 {
        return 0.0;
    }
    if a < RESIDUAL_SAFE {
        return s.next_down().max(0.0);
    }
    if s.mul_add(s, -a) > 0.0 {
        s.next_down()
    } else {
        s
    }
}

fn sqrt_up(a: f64) -> f64 {
    let s = a.sqrt();
    if a == 0.0 {
        return 0.0;
    }
    if a < RESIDUAL_SAFE {
        return s.next_up();
    }
    if s.mul_add(s, -a) < 0.0 {
        s.next_up()
    } else {
        s
    }
}

/// `a^n` rounded down for `a >= 0`, by binary powering with every product rounded down.
fn pow_magnitude_down(a: f64, n: &BigUint) -> f64 {
    let mut result = 1.0;
    let mut square = a;
    let bits = n.bits();
    for i in 0..bits {
        if n.bit(i) {
            result = mul_down(result, square);
        }
        if i + 1 < bits {
            square = mul_down(square, square);
        }
        if result == 0.0 || !result.is_finite() {
            // once 0 (or past f64::MAX) the lower bound cannot improve usefully
            return result.min(f64::MAX);
        }
    }
    result.min(f64::MAX)
}

/// `a^n` rounded up for `a >= 0`; `Overflow` once the bound passes f64::MAX.
fn pow_magnitude_up(a: f64, n: &BigUint) -> Result<f64, EvalError> {
    let mut result = 1.0;
    let mut square = a;
    let bits = n.bits();
    for i in 0..bits {
        if n.bit(i) {
            result = mul_up(result, square);
        }
        if i + 1 < bits {
            square = mul_up(square, square);
        }
        if !result.is_finite() {
            return Err(EvalError::Overflow);
        }
        if !square.is_finite() {
            // a > 1 and a higher bit is still to come: the power overflows
            if (i + 1..bits).any(|j| n.bit(j)) {
                return Err(EvalError::Overflow);
            }
        }
    }
    Ok(result)
}

/// An enclosure of `sigmoid(x)` for one f64 `x`.
fn sigmoid_point(x: f64) -> Result<(f64, f64), EvalError> {
    // σ(x) = 1 - e^-x or e^x (1 - e^x): the correction is lost when saturated
    check_f64_saturation(x.abs());
    if x >= 0.0 {
        // 1 / (1 + e^-x), with e^-x in (0, 1]
        let e = Interval { lo: -x, hi: -x }.exp()?;
        let denominator = Interval::point_one().add(&e)?;
        let r = denominator.recip()?;
        return Ok((r.lo, r.hi));
    }
    // e^x / (1 + e^x) is increasing in e^x, so each end uses its own end of e^x
    let e = Interval { lo: x, hi: x }.exp()?;
    let lo = div_down(e.lo, add_up(1.0, e.lo));
    let hi = div_up(e.hi, add_down(1.0, e.hi));
    Ok((lo, hi))
}

/// An enclosure of `softplus(x) = ln(1 + e^x)` for one f64 `x`.
fn softplus_point(x: f64) -> Result<(f64, f64), EvalError> {
    // softplus(x) = max(x, 0) + e^-|x| - …: the exponential is lost when saturated
    check_f64_saturation(x.abs());
    // ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), so the exponential never overflows
    let e = Interval {
        lo: -x.abs(),
        hi: -x.abs(),
    }
    .exp()?;
    let tail_lo = libm_down(e.lo.ln_1p()).max(0.0);
    let tail_hi = libm_up(e.hi.ln_1p());
    let linear = x.max(0.0);
    Ok((add_down(linear, tail_lo), add_up(linear, tail_hi)))
}

/// An enclosure of `n / d` for positive integers, from the integer quotient at
/// 53 significant bits (exact construction of the f64 endpoints, no rounding).
/// The same enclosure as [`positive_ratio_enclosure`] when `n` and `d` are
/// exact f64s (below 2^53, the common case at sample points), without big
/// integers: the f64 quotient is correctly rounded and, as `n/d` lies in
/// [2^-53, 2^53] (no underflow), the fused residual `n − q·d` is exact, so
/// its sign says on which side of `q` the value lies: the two floats around
/// `n/d`, or `q` alone when it is exact.
fn small_ratio_enclosure(n: &BigUint, d: &BigUint) -> Option<(f64, f64)> {
    const EXACT: u64 = 1 << 53;
    let (n, d) = (n.to_u64()?, d.to_u64()?);
    if n == 0 || d == 0 || n >= EXACT || d >= EXACT {
        return None;
    }
    let (n, d) = (n as f64, d as f64);
    let q = n / d;
    let residual = (-q).mul_add(d, n);
    Some(if residual == 0.0 {
        (q, q)
    } else if residual > 0.0 {
        (q, q.next_up())
    } else {
        (q.next_down(), q)
    })
}

fn positive_ratio_enclosure(n: &BigUint, d: &BigUint) -> Result<(f64, f64), EvalError> {
    let exponent_estimate = n.bits() as i64 - d.bits() as i64;
    // n/d lies in [2^(e-1), 2^(e+1))
    if exponent_estimate > 1025 {
        return Err(EvalError::Overflow);
    }
    if exponent_estimate < -1076 {
        return Ok((0.0, f64::from_bits(1)));
    }
    let mut shift = 53 - exponent_estimate;
    let (mut quotient, mut exact) = shifted_quotient(n, d, shift);
    if quotient.bits() > 53 {
        shift -= 1;
        (quotient, exact) = shifted_quotient(n, d, shift);
    }
    // value = (quotient + frac) * 2^-shift, with quotient in [2^52, 2^53)
    let exponent = 52 - shift;
    if exponent > 1023 {
        return Err(EvalError::Overflow);
    }
    if exponent >= -1022 {
        let mantissa = u64_of(&quotient);
        let lo = normal_float(mantissa, exponent);
        let hi = if exact {
            lo
        } else {
            normal_float(mantissa + 1, exponent)
        };
        return Ok((lo, hi));
    }
    // subnormal: the value is m * 2^-1074 with m < 2^52
    let (units, exact) = shifted_quotient(n, d, 1074);
    let m = u64_of(&units);
    let lo = f64::from_bits(m);
    let hi = if exact { lo } else { f64::from_bits(m + 1) };
    Ok((lo, hi))
}

/// `floor(n * 2^shift / d)` and whether the division was exact.
fn shifted_quotient(n: &BigUint, d: &BigUint, shift: i64) -> (BigUint, bool) {
    let (numerator, denominator) = if shift >= 0 {
        (n << shift as usize, d.clone())
    } else {
        (n.clone(), d << (-shift) as usize)
    };
    let quotient = &numerator / &denominator;
    let exact = (&quotient * &denominator) == numerator;
    (quotient, exact)
}

fn u64_of(n: &BigUint) -> u64 {
    n.iter_u64_digits().next().unwrap_or(0)
}

/// `mantissa * 2^(exponent - 52)` for `mantissa` in `[2^52, 2^53]` built from
/// its bits (so exact); infinity when it is past the f64 range.
fn normal_float(mantissa: u64, exponent: i64) -> f64 {
    let (mantissa, exponent) = if mantissa == 1u64 << 53 {
        (1u64 << 52, exponent + 1)
    } else {
        (mantissa, exponent)
    };
    if exponent > 1023 {
        return f64::INFINITY;
    }
    let biased = (exponent + 1023) as u64;
    f64::from_bits((biased << 52) | (mantissa & ((1u64 << 52) - 1)))
}

/// `2^k` as an exact rational.
pub fn rational_pow2(k: i64) -> BigRational {
    let magnitude = BigInt::one() << k.unsigned_abs() as usize;
    if k >= 0 {
        BigRational::from_integer(magnitude)
    } else {
        BigRational::new(BigInt::one(), magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rat(n: i64, d: i64) -> BigRational {
        BigRational::new(BigInt::from(n), BigInt::from(d))
    }

    fn contains_rational(i: &Interval, r: &BigRational) -> bool {
        let (lo, hi) = i.rational_bounds();
        lo <= *r && *r <= hi
    }

    /// `[lo, hi]` → must contain these values (a dense f64 scan of sin) and stay within [-1, 1].
    #[test]
    fn sin_encloses_every_point_and_its_extrema() {
        let cases = [
            (0.0, 0.0),
            (1.0, 2.0),
            (1.5, 1.6),
            (4.7, 4.75),
            (-2.0, 3.0),
            (1e6, 1e6 + 0.5),
            (-123456.7, -123455.1),
            (0.0, 10.0),
        ];
        for (lo, hi) in cases {
            let i = Interval::new(lo, hi)
                .expect("ordered")
                .sin()
                .expect("finite");
            assert!(i.lo() >= -1.0 && i.hi() <= 1.0, "[{lo}, {hi}] -> {i:?}");
            for k in 0..=1000 {
                let x = lo + (hi - lo) * k as f64 / 1000.0;
                assert!(i.contains(x.sin()), "sin({x}) outside {i:?}");
            }
        }
        // an extremum inside reaches ±1 exactly
        let around_max = Interval::new(1.5, 1.6)
            .expect("ordered")
            .sin()
            .expect("finite");
        assert_eq!(around_max.hi(), 1.0);
        let around_min = Interval::new(4.7, 4.75)
            .expect("ordered")
            .sin()
            .expect("finite");
        assert_eq!(around_min.lo(), -1.0);
        // a narrow interval away from extrema stays narrow
        let narrow = Interval::new(0.5, 0.5)
            .expect("ordered")
            .sin()
            .expect("finite");
        assert!(narrow.width() < 1e-14, "{narrow:?}");
        let wide = Interval::new(0.0, 10.0)
            .expect("ordered")
            .sin()
            .expect("finite");
        assert_eq!((wide.lo(), wide.hi()), (-1.0, 1.0));
    }

    #[test]
    fn representable_rationals_are_points() {
        for (n, d) in [(3, 1), (-3, 4), (1, 1024), (123456789, 1)] {
            let i = Interval::from_rational(&rat(n, d)).expect("in range");
            assert!(i.is_point(), "{n}/{d} -> {i:?}");
            assert_eq!(i.lo(), n as f64 / d as f64);
        }
    }

    #[test]
    fn non_representable_rationals_are_enclosed_one_ulp_wide() {
        for (n, d) in [(1, 3), (-2, 3), (1, 10), (22, 7), (-1, 1_000_003)] {
            let r = rat(n, d);
            let i = Interval::from_rational(&r).expect("in range");
            assert!(contains_rational(&i, &r), "{n}/{d} -> {i:?}");
            assert_eq!(i.lo().next_up(), i.hi());
        }
    }

    #[test]
    fn huge_and_tiny_rationals() {
        let huge = rational_pow2(1024);
        assert_eq!(Interval::from_rational(&huge), Err(EvalError::Overflow));
        let just_below = rational_pow2(1023) * rat(3, 2);
        let i = Interval::from_rational(&just_below).expect("in range");
        assert_eq!(i.lo(), 1.5 * 2f64.powi(1023));
        let tiny = rational_pow2(-2000);
        let i = Interval::from_rational(&tiny).expect("in range");
        assert_eq!((i.lo(), i.hi()), (0.0, f64::from_bits(1)));
        let subnormal = rational_pow2(-1060) * rat(1, 3);
        let i = Interval::from_rational(&subnormal).expect("in range");
        assert!(contains_rational(&i, &subnormal));
        assert!(i.lo() > 0.0 && i.hi() < f64::MIN_POSITIVE);
    }

    #[test]
    fn arithmetic_rounds_outward() {
        let third = Interval::from_rational(&rat(1, 3)).expect("in range");
        let sum = third
            .add(&third)
            .and_then(|s| s.add(&third))
            .expect("finite");
        assert!(sum.contains(1.0));
        let tenth = Interval::from_rational(&rat(1, 10)).expect("in range");
        let product = tenth.mul(&tenth).expect("finite");
        assert!(contains_rational(&product, &rat(1, 100)));
        let quotient = Interval::point_one().div(&Interval::point(3.0).expect("finite"));
        assert!(contains_rational(&quotient.expect("finite"), &rat(1, 3)));
        let exact = Interval::point(6.0)
            .expect("finite")
            .div(&Interval::point(4.0).expect("finite"))
            .expect("finite");
        assert!(exact.is_point());
        assert_eq!(exact.lo(), 1.5);
    }

    #[test]
    fn division_by_intervals_around_zero() {
        let one = Interval::point_one();
        let zero = Interval::point(0.0).expect("finite");
        assert!(matches!(one.div(&zero), Err(EvalError::Undefined(_))));
        let around = Interval::new(-1e-20, 1e-20).expect("finite");
        assert_eq!(one.div(&around), Err(EvalError::Indeterminate));
    }

    #[test]
    fn integer_powers() {
        let two = Interval::point(2.0).expect("finite");
        let p = two.pow_natural(&BigUint::from(10u32)).expect("finite");
        assert_eq!((p.lo(), p.hi()), (1024.0, 1024.0));
        let around = Interval::new(-2.0, 1.0).expect("finite");
        let sq = around.pow_natural(&BigUint::from(2u32)).expect("finite");
        assert_eq!((sq.lo(), sq.hi()), (0.0, 4.0));
        let cube = around.pow_natural(&BigUint::from(3u32)).expect("finite");
        assert_eq!((cube.lo(), cube.hi()), (-8.0, 1.0));
        let huge = BigUint::from(10u32).pow(100u32);
        assert_eq!(two.pow_natural(&huge), Err(EvalError::Overflow));
        let half = Interval::point(0.5).expect("finite");
        let small = half.pow_natural(&huge).expect("finite");
        assert!(small.lo() <= 0.0 || small.lo() < 1e-300);
        assert!(small.hi() > 0.0 && small.hi() < 1e-300);
    }

    #[test]
    fn transcendental_enclosures() {
        let one = Interval::point_one();
        let e = one.exp().expect("finite");
        assert!(e.contains(std::f64::consts::E));
        assert!(e.width() < 1e-14);
        let ln2 = Interval::point(2.0)
            .expect("finite")
            .ln()
            .expect("positive");
        assert!(ln2.contains(std::f64::consts::LN_2));
        assert!(Interval::point(0.0).expect("finite").ln().is_err());
        let sp = Interval::point(0.0)
            .expect("finite")
            .softplus()
            .expect("finite");
        assert!(sp.contains(std::f64::consts::LN_2));
        let big = Interval::point(1000.0).expect("finite");
        let sp = big.softplus().expect("finite");
        assert!(sp.contains(1000.0));
        let s = Interval::point(-1000.0)
            .expect("finite")
            .sigmoid()
            .expect("finite");
        assert!(s.lo() >= 0.0 && s.hi() < 1e-300);
        assert_eq!(big.exp(), Err(EvalError::Overflow));
    }

    /// The word-sized enclosure of a ratio is the big-integer one, bit for bit.
    #[test]
    fn small_ratios_are_enclosed_as_big_ones() {
        let edge = (1u64 << 53) - 1;
        let samples = [
            1,
            2,
            3,
            7,
            10,
            49,
            97,
            1000,
            65_537,
            1 << 40,
            999_999_937,
            edge - 1,
            edge,
        ];
        for &n in &samples {
            for &d in &samples {
                let (n, d) = (BigUint::from(n), BigUint::from(d));
                let small = small_ratio_enclosure(&n, &d).expect("word-sized");
                let big = positive_ratio_enclosure(&n, &d).expect("in range");
                assert_eq!(small.0.to_bits(), big.0.to_bits(), "{n}/{d}");
                assert_eq!(small.1.to_bits(), big.1.to_bits(), "{n}/{d}");
            }
        }
        assert_eq!(
            small_ratio_enclosure(&BigUint::from(1u64 << 53), &BigUint::from(3u32)),
            None
        );
    }
}
