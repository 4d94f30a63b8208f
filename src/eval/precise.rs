//! Multi-precision rigorous enclosures: intervals with dyadic ends `m·2^e`, rounded outward.
//!
//! A point the f64 enclosures cannot decide is evaluated again with these (see
//! [`super::compare_sides`]). Every operation is exact integer arithmetic
//! followed by outward rounding to the working number of significant bits;
//! `exp` is a Taylor series after halving the argument and `ln` an atanh series
//! after scaling by a power of 2, each with an explicit bound on the remainder.
//! So no step relies on a library's accuracy.
//!
//! The working precision and the *loss ledger* are per thread: an operation
//! that drops a nonzero quantity below the working resolution (a term absorbed
//! by a much larger one, `exp` of an argument nearer 0 than the resolution,
//! `ln` of an argument nearer 1, a saturated σ/tanh/softplus, an f64
//! underflow, an exact constant with more bits than the resolution) notes it,
//! and an agreement reached after a loss is not evidence of equality.

use super::interval::Interval;
use super::EvalError;
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use std::cell::RefCell;
use std::cmp::Ordering;

/// Largest `|top bit|` of a multi-precision value: about 10^±1,260,000.
pub const MAX_BINARY_EXPONENT: i64 = 1 << 22;

thread_local! {
    static LN2: RefCell<Vec<(u32, Precise)>> = const { RefCell::new(Vec::new()) };
}

mod special;
use super::ledger::resolution;
pub use super::ledger::{
    at_precision, note_loss, resolution_bits, working_bits, F64_RESOLUTION_BITS,
};

/// `m · 2^e`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dyadic {
    m: BigInt,
    e: i64,
}

impl Dyadic {
    fn zero() -> Dyadic {
        Dyadic {
            m: BigInt::zero(),
            e: 0,
        }
    }

    fn int(n: i64) -> Dyadic {
        Dyadic {
            m: BigInt::from(n),
            e: 0,
        }
    }

    fn is_zero(&self) -> bool {
        self.m.is_zero()
    }

    fn is_negative(&self) -> bool {
        self.m.is_negative()
    }

    fn is_positive(&self) -> bool {
        self.m.is_positive()
    }

    /// `|self|` lies in `[2^top, 2^(top+1))` (meaningless for 0).
    fn top(&self) -> i64 {
        self.m.bits() as i64 - 1 + self.e
    }

    fn neg(&self) -> Dyadic {
        Dyadic {
            m: -&self.m,
            e: self.e,
        }
    }

    fn abs(&self) -> Dyadic {
        Dyadic {
            m: self.m.abs(),
            e: self.e,
        }
    }

    fn scaled(&self, k: i64) -> Dyadic {
        Dyadic {
            m: self.m.clone(),
            e: self.e + k,
        }
    }

    /// The exact value (no gcd needed: the mantissa is odd after rounding).
    pub fn to_rational(&self) -> BigRational {
        if self.e >= 0 {
            return BigRational::from_integer(&self.m << (self.e as usize));
        }
        let tz = self.m.trailing_zeros().unwrap_or(0).min((-self.e) as u64);
        let m = &self.m >> tz;
        let shift = (-self.e) as u64 - tz;
        BigRational::new_raw(m, BigInt::one() << shift)
    }

    fn of_f64(x: f64) -> Dyadic {
        match BigRational::from_float(x) {
            None => Dyadic::zero(),
            Some(r) => {
                // the denominator of a finite f64 is a power of 2
                let shift = r.denom().bits() as i64 - 1;
                Dyadic {
                    m: r.numer().clone(),
                    e: -shift,
                }
            }
        }
    }

    fn floor(&self) -> BigInt {
        if self.e >= 0 {
            &self.m << (self.e as usize)
        } else {
            &self.m >> ((-self.e) as usize)
        }
    }

    fn ceil(&self) -> BigInt {
        -(self.neg().floor())
    }
}

impl PartialOrd for Dyadic {
    fn partial_cmp(&self, other: &Dyadic) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dyadic {
    fn cmp(&self, other: &Dyadic) -> Ordering {
        let sign = |d: &Dyadic| d.m.sign();
        match (sign(self), sign(other)) {
            (a, b) if a != b => return rank(a).cmp(&rank(b)),
            (Sign::NoSign, _) => return Ordering::Equal,
            _ => {}
        }
        let magnitude = match self.top().cmp(&other.top()) {
            Ordering::Equal => {
                let e = self.e.min(other.e);
                let a = self.m.abs() << ((self.e - e) as usize);
                let b = other.m.abs() << ((other.e - e) as usize);
                a.cmp(&b)
            }
            o => o,
        };
        if self.is_negative() {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

fn rank(s: Sign) -> i8 {
    match s {
        Sign::Minus => -1,
        Sign::NoSign => 0,
        Sign::Plus => 1,
    }
}

/// `m · 2^e` rounded to `bits` significant bits, down or up.
fn rounded(m: BigInt, e: i64, bits: u32, up: bool) -> Result<Dyadic, EvalError> {
    let len = m.bits();
    let (mut m, mut e) = (m, e);
    if len > u64::from(bits) {
        let shift = len - u64::from(bits);
        m = if up { -((-m) >> shift) } else { m >> shift };
        e += shift as i64;
    }
    if m.is_zero() {
        return Ok(Dyadic::zero());
    }
    let tz = m.trailing_zeros().unwrap_or(0);
    if tz > 0 {
        m >>= tz;
        e += tz as i64;
    }
    let d = Dyadic { m, e };
    if d.top().abs() > MAX_BINARY_EXPONENT {
        return Err(EvalError::Overflow);
    }
    Ok(d)
}

fn round(d: &Dyadic, bits: u32, up: bool) -> Result<Dyadic, EvalError> {
    rounded(d.m.clone(), d.e, bits, up)
}

/// `a + b` rounded; both must already have at most `bits` significant bits.
fn add_rounded(a: &Dyadic, b: &Dyadic, bits: u32, up: bool) -> Result<Dyadic, EvalError> {
    if a.is_zero() {
        return round(b, bits, up);
    }
    if b.is_zero() {
        return round(a, bits, up);
    }
    let (big, small) = if a.top() >= b.top() { (a, b) } else { (b, a) };
    // far below the last kept bit, only the sign of the small term matters
    // for the rounding: replace it by a stand-in in the same rounding cell
    let floor = big.top() - i64::from(bits) - 8;
    let stand_in;
    let small = if small.top() < floor {
        stand_in = Dyadic {
            m: BigInt::from(if small.is_negative() { -1 } else { 1 }),
            e: floor,
        };
        &stand_in
    } else {
        small
    };
    let e = big.e.min(small.e);
    let m = (&big.m << ((big.e - e) as usize)) + (&small.m << ((small.e - e) as usize));
    rounded(m, e, bits, up)
}

fn mul_rounded(a: &Dyadic, b: &Dyadic, bits: u32, up: bool) -> Result<Dyadic, EvalError> {
    rounded(&a.m * &b.m, a.e + b.e, bits, up)
}

/// `a / b` rounded, `b ≠ 0`.
fn div_rounded(a: &Dyadic, b: &Dyadic, bits: u32, up: bool) -> Result<Dyadic, EvalError> {
    if a.is_zero() {
        return Ok(Dyadic::zero());
    }
    let k = (i64::from(bits) + b.m.bits() as i64 - a.m.bits() as i64 + 2).max(0);
    let numerator = &a.m << (k as usize);
    let q = if up {
        -((-numerator).div_floor(&b.m))
    } else {
        numerator.div_floor(&b.m)
    };
    rounded(q, a.e - k - b.e, bits, up)
}

/// `sqrt(a)` rounded, `a >= 0`.
fn sqrt_rounded(a: &Dyadic, bits: u32, up: bool) -> Result<Dyadic, EvalError> {
    if a.is_zero() {
        return Ok(Dyadic::zero());
    }
    let mut k = (2 * i64::from(bits) + 4 - a.m.bits() as i64).max(0);
    if (a.e - k).rem_euclid(2) != 0 {
        k += 1;
    }
    let m = &a.m << (k as usize);
    let mut s = m.sqrt();
    if up && &s * &s != m {
        s += 1;
    }
    rounded(s, (a.e - k) / 2, bits, up)
}

/// A closed interval `[lo, hi]` of dyadic numbers at `bits` significant bits,
/// known to contain the real number it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct Precise {
    lo: Dyadic,
    hi: Dyadic,
    bits: u32,
}

impl Precise {
    fn new(lo: Dyadic, hi: Dyadic, bits: u32) -> Precise {
        Precise { lo, hi, bits }
    }

    fn point(d: Dyadic, bits: u32) -> Result<Precise, EvalError> {
        Ok(Precise::new(
            round(&d, bits, false)?,
            round(&d, bits, true)?,
            bits,
        ))
    }

    fn int(n: i64, bits: u32) -> Precise {
        Precise::new(Dyadic::int(n), Dyadic::int(n), bits)
    }

    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// An outward-rounded enclosure of `r` at `bits`; notes a loss when `r`
    /// carries more bits than the resolution.
    pub fn from_rational(r: &BigRational, bits: u32) -> Result<Precise, EvalError> {
        let size = r.numer().bits() + r.denom().bits();
        if size > 2 * u64::from(bits) {
            note_loss(size / 4);
        }
        let n = Dyadic {
            m: r.numer().clone(),
            e: 0,
        };
        let d = Dyadic {
            m: r.denom().clone(),
            e: 0,
        };
        Ok(Precise::new(
            div_rounded(&n, &d, bits, false)?,
            div_rounded(&n, &d, bits, true)?,
            bits,
        ))
    }

    /// The f64 interval, exactly.
    pub fn from_interval(i: &Interval, bits: u32) -> Result<Precise, EvalError> {
        Ok(Precise::new(
            round(&Dyadic::of_f64(i.lo()), bits, false)?,
            round(&Dyadic::of_f64(i.hi()), bits, true)?,
            bits,
        ))
    }

    /// The exact rational ends.
    pub fn rational_bounds(&self) -> (BigRational, BigRational) {
        (self.lo.to_rational(), self.hi.to_rational())
    }

    /// An outward f64 enclosure (`Overflow` past the f64 range).
    pub fn to_interval(&self) -> Result<Interval, EvalError> {
        let end = |d: &Dyadic, up: bool| -> Result<f64, EvalError> {
            if d.is_zero() {
                return Ok(0.0);
            }
            if d.top() > 1024 {
                return Err(EvalError::Overflow);
            }
            if d.top() < -1080 {
                let tiny = f64::from_bits(1);
                return Ok(match (d.is_negative(), up) {
                    (false, false) | (true, true) => 0.0,
                    (false, true) => tiny,
                    (true, false) => -tiny,
                });
            }
            let i = Interval::from_rational(&d.to_rational())?;
            Ok(if up { i.hi() } else { i.lo() })
        };
        Interval::new(end(&self.lo, false)?, end(&self.hi, true)?).ok_or(EvalError::Overflow)
    }

    /// The midpoint as an f64 (display only; 0 or ±inf outside the range).
    pub fn midpoint(&self) -> f64 {
        let sum = self.lo.to_rational() + self.hi.to_rational();
        let top = self.lo.top().max(self.hi.top());
        if top > 1100 {
            return if self.hi.is_negative() {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
        }
        num_traits::ToPrimitive::to_f64(&(sum / BigRational::from_integer(2.into()))).unwrap_or(0.0)
    }

    /// `top` of the largest magnitude (`None` for the point 0).
    pub fn magnitude_top(&self) -> Option<i64> {
        [&self.lo, &self.hi]
            .iter()
            .filter(|d| !d.is_zero())
            .map(|d| d.top())
            .max()
    }

    /// Whether 0 is outside the interval.
    pub fn excludes_zero(&self) -> bool {
        self.lo.is_positive() || self.hi.is_negative()
    }

    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }

    /// -1, 0 or 1 when the sign is certain.
    pub fn certain_sign(&self) -> Option<i64> {
        if self.lo.is_positive() {
            Some(1)
        } else if self.hi.is_negative() {
            Some(-1)
        } else if self.lo.is_zero() && self.hi.is_zero() {
            Some(0)
        } else {
            None
        }
    }

    pub fn floor(&self) -> Option<BigInt> {
        let f = self.lo.floor();
        (f == self.hi.floor()).then_some(f)
    }

    pub fn ceil(&self) -> Option<BigInt> {
        let c = self.lo.ceil();
        (c == self.hi.ceil()).then_some(c)
    }

    /// The integer the interval certainly is, `Err(true)` when it certainly
    /// holds no integer, `Err(false)` when undecided.
    pub fn integer(&self) -> Result<BigInt, bool> {
        if self.is_point() && self.lo.e >= 0 {
            return Ok(self.lo.floor());
        }
        if self.lo.ceil() > self.hi.floor() {
            return Err(true);
        }
        Err(false)
    }

    fn with_bits(&self, other: &Precise) -> u32 {
        self.bits.max(other.bits)
    }

    pub fn neg(&self) -> Precise {
        Precise::new(self.hi.neg(), self.lo.neg(), self.bits)
    }

    /// `self + other`, noting a loss when a certainly nonzero term is below
    /// the resolution relative to the other.
    pub fn add(&self, other: &Precise) -> Result<Precise, EvalError> {
        if self.excludes_zero() && other.excludes_zero() {
            let smallest = |p: &Precise| p.lo.abs().min(p.hi.abs()).top();
            let (a, b) = (self.magnitude_top(), other.magnitude_top());
            if let (Some(a), Some(b)) = (a, b) {
                let res = resolution();
                let gap = (b - smallest(self)).max(a - smallest(other));
                if gap > res {
                    note_loss(gap as u64);
                }
            }
        }
        self.add_quietly(other)
    }

    /// `self + other` without looking for lost terms (inside series, where
    /// the small terms are meant to vanish).
    fn add_quietly(&self, other: &Precise) -> Result<Precise, EvalError> {
        let bits = self.with_bits(other);
        Ok(Precise::new(
            add_rounded(&self.lo, &other.lo, bits, false)?,
            add_rounded(&self.hi, &other.hi, bits, true)?,
            bits,
        ))
    }

    pub fn sub(&self, other: &Precise) -> Result<Precise, EvalError> {
        self.add(&other.neg())
    }

    pub fn mul(&self, other: &Precise) -> Result<Precise, EvalError> {
        let bits = self.with_bits(other);
        if !self.lo.is_negative() && !other.lo.is_negative() {
            return Ok(Precise::new(
                mul_rounded(&self.lo, &other.lo, bits, false)?,
                mul_rounded(&self.hi, &other.hi, bits, true)?,
                bits,
            ));
        }
        let corners = [
            (&self.lo, &other.lo),
            (&self.lo, &other.hi),
            (&self.hi, &other.lo),
            (&self.hi, &other.hi),
        ];
        let mut lo: Option<Dyadic> = None;
        let mut hi: Option<Dyadic> = None;
        for (a, b) in corners {
            let down = mul_rounded(a, b, bits, false)?;
            let up = mul_rounded(a, b, bits, true)?;
            lo = Some(lo.map_or(down.clone(), |l| l.min(down)));
            hi = Some(hi.map_or(up.clone(), |h| h.max(up)));
        }
        Ok(Precise::new(
            lo.unwrap_or_else(Dyadic::zero),
            hi.unwrap_or_else(Dyadic::zero),
            bits,
        ))
    }

    /// `1 / self`: `Undefined` at 0, `Indeterminate` for an interval around 0.
    pub fn recip(&self) -> Result<Precise, EvalError> {
        if self.lo.is_zero() && self.hi.is_zero() {
            return Err(EvalError::Undefined("division by zero".into()));
        }
        if !self.excludes_zero() {
            return Err(EvalError::Indeterminate);
        }
        let one = Dyadic::int(1);
        Ok(Precise::new(
            div_rounded(&one, &self.hi, self.bits, false)?,
            div_rounded(&one, &self.lo, self.bits, true)?,
            self.bits,
        ))
    }

    fn div_int(&self, k: i64) -> Result<Precise, EvalError> {
        let d = Dyadic::int(k);
        Ok(Precise::new(
            div_rounded(&self.lo, &d, self.bits, false)?,
            div_rounded(&self.hi, &d, self.bits, true)?,
            self.bits,
        ))
    }

    pub fn abs(&self) -> Precise {
        if !self.lo.is_negative() {
            self.clone()
        } else if !self.hi.is_positive() {
            self.neg()
        } else {
            let top = self.lo.abs().max(self.hi.abs());
            Precise::new(Dyadic::zero(), top, self.bits)
        }
    }

    pub fn relu(&self) -> Precise {
        let clamp = |d: &Dyadic| {
            if d.is_negative() {
                Dyadic::zero()
            } else {
                d.clone()
            }
        };
        Precise::new(clamp(&self.lo), clamp(&self.hi), self.bits)
    }

    /// `self^n` for a natural `n`; `Overflow` for an exponent past 2^40.
    pub fn pow_natural(&self, n: &BigUint) -> Result<Precise, EvalError> {
        if n.is_zero() {
            return Ok(Precise::int(1, self.bits));
        }
        if n.bits() > 40 {
            return Err(EvalError::Overflow);
        }
        let bits = self.bits;
        let power = |d: &Dyadic, up: bool| -> Result<Dyadic, EvalError> {
            let mut result = Dyadic::int(1);
            let mut square = d.clone();
            for i in 0..n.bits() {
                if n.bit(i) {
                    result = mul_rounded(&result, &square, bits, up)?;
                }
                if i + 1 < n.bits() {
                    square = mul_rounded(&square, &square, bits, up)?;
                }
            }
            Ok(result)
        };
        let odd = n.bit(0);
        if !self.lo.is_negative() {
            return Ok(Precise::new(
                power(&self.lo, false)?,
                power(&self.hi, true)?,
                bits,
            ));
        }
        if !self.hi.is_positive() {
            let small = power(&self.hi.abs(), false)?;
            let large = power(&self.lo.abs(), true)?;
            return Ok(if odd {
                Precise::new(large.neg(), small.neg(), bits)
            } else {
                Precise::new(small, large, bits)
            });
        }
        if odd {
            return Ok(Precise::new(
                power(&self.lo.abs(), true)?.neg(),
                power(&self.hi, true)?,
                bits,
            ));
        }
        let top = self.lo.abs().max(self.hi.abs());
        Ok(Precise::new(Dyadic::zero(), power(&top, true)?, bits))
    }

    pub fn pow_integer(&self, n: &BigInt) -> Result<Precise, EvalError> {
        let p = self.pow_natural(n.magnitude())?;
        if n.is_negative() {
            p.recip()
        } else {
            Ok(p)
        }
    }

    pub fn sqrt(&self) -> Result<Precise, EvalError> {
        if self.hi.is_negative() {
            return Err(EvalError::Undefined("sqrt of a negative number".into()));
        }
        if self.lo.is_negative() {
            return Err(EvalError::Indeterminate);
        }
        Ok(Precise::new(
            sqrt_rounded(&self.lo, self.bits, false)?,
            sqrt_rounded(&self.hi, self.bits, true)?,
            self.bits,
        ))
    }

    /// `e^self`; notes a loss for a nonzero argument nearer 0 than the resolution.
    pub fn exp(&self) -> Result<Precise, EvalError> {
        if let Some(t) = self.magnitude_top().filter(|_| self.excludes_zero()) {
            if t < -resolution() {
                note_loss((-t) as u64);
            }
        }
        let lo = exp_point(&self.lo, self.bits)?.lo;
        let hi = exp_point(&self.hi, self.bits)?.hi;
        Ok(Precise::new(lo.max(Dyadic::zero()), hi, self.bits))
    }

    /// `ln self`: `Undefined` when certainly `<= 0`, `Indeterminate` when the
    /// interval reaches 0; notes a loss for an argument other than 1 nearer
    /// 1 than the resolution.
    pub fn ln(&self) -> Result<Precise, EvalError> {
        if !self.hi.is_positive() {
            return Err(EvalError::Undefined(
                "logarithm of a non-positive number".into(),
            ));
        }
        if !self.lo.is_positive() {
            return Err(EvalError::Indeterminate);
        }
        let one = Dyadic::int(1);
        if !(self.lo == one && self.hi == one) {
            let offset = self.add_quietly(&Precise::int(-1, self.bits))?;
            if let Some(t) = offset.magnitude_top().filter(|&t| t < -resolution()) {
                note_loss((-t) as u64);
            }
        }
        let lo = ln_point(&self.lo, self.bits)?.lo;
        let hi = ln_point(&self.hi, self.bits)?.hi;
        Ok(Precise::new(lo, hi, self.bits))
    }

    pub fn log2(&self) -> Result<Precise, EvalError> {
        self.ln()?.mul(&ln2(self.bits + 16)?.recip()?)
    }

    pub fn log10(&self) -> Result<Precise, EvalError> {
        let ln10 = ln_point(&Dyadic::int(10), self.bits + 16)?;
        self.ln()?.mul(&ln10.recip()?)
    }

    /// `1 / (1 + e^-x)`: a saturated or near-½ value loses the argument, and
    /// the ledger says so (through `add` and `exp`).
    pub fn sigmoid(&self) -> Result<Precise, EvalError> {
        let one = Precise::int(1, self.bits);
        let lo = one.add(&self.lo_point().neg().exp()?)?.recip()?.lo;
        let hi = one.add(&self.hi_point().neg().exp()?)?.recip()?.hi;
        Ok(Precise::new(lo, hi, self.bits))
    }

    /// `ln(1 + e^x)`, increasing.
    pub fn softplus(&self) -> Result<Precise, EvalError> {
        let one = Precise::int(1, self.bits);
        let lo = one.add(&self.lo_point().exp()?)?.ln()?.lo;
        let hi = one.add(&self.hi_point().exp()?)?.ln()?.hi;
        Ok(Precise::new(lo.max(Dyadic::zero()), hi, self.bits))
    }

    /// `tanh x = 1 - 2/(1 + e^2x)`, increasing.
    pub fn tanh(&self) -> Result<Precise, EvalError> {
        let at = |x: Precise| -> Result<Precise, EvalError> {
            let one = Precise::int(1, self.bits);
            let e = x.scale(1).exp()?;
            let fraction = one.add(&e)?.recip()?.scale(1);
            one.sub(&fraction)
        };
        let lo = at(self.lo_point())?.lo;
        let hi = at(self.hi_point())?.hi;
        let minus_one = Dyadic::int(-1);
        let one = Dyadic::int(1);
        Ok(Precise::new(lo.max(minus_one), hi.min(one), self.bits))
    }

    fn lo_point(&self) -> Precise {
        Precise::new(self.lo.clone(), self.lo.clone(), self.bits)
    }

    fn hi_point(&self) -> Precise {
        Precise::new(self.hi.clone(), self.hi.clone(), self.bits)
    }

    /// `self · 2^k`, exact.
    fn scale(&self, k: i64) -> Precise {
        Precise::new(self.lo.scaled(k), self.hi.scaled(k), self.bits)
    }

    fn square_positive(&self) -> Result<Precise, EvalError> {
        Ok(Precise::new(
            mul_rounded(&self.lo, &self.lo, self.bits, false)?,
            mul_rounded(&self.hi, &self.hi, self.bits, true)?,
            self.bits,
        ))
    }

    /// `[-|self|max, |self|max]`, the bound of a series remainder.
    fn symmetric_bound(&self) -> Precise {
        let m = self.lo.abs().max(self.hi.abs());
        Precise::new(m.neg(), m, self.bits)
    }

    fn rounded_to(&self, bits: u32) -> Result<Precise, EvalError> {
        Ok(Precise::new(
            round(&self.lo, bits, false)?,
            round(&self.hi, bits, true)?,
            bits,
        ))
    }
}

/// Extra bits carried inside a series beyond the target precision.
fn guard_bits(bits: u32) -> u32 {
    24 + 32 - bits.leading_zeros()
}

/// An enclosure of `e^a` at `bits`: `e^a = (e^(a/2^s))^(2^s)` with
/// `|a/2^s| < 2^-r`, `r ≈ √bits` (balancing squarings against terms), the Taylor series of the small exponential summed until
/// a term is below the precision, and the tail bounded by that term.
fn exp_point(a: &Dyadic, bits: u32) -> Result<Precise, EvalError> {
    if a.is_zero() {
        return Ok(Precise::int(1, bits));
    }
    if a.top() > 40 {
        return Err(EvalError::Overflow);
    }
    let reduction = i64::from(bits.isqrt().max(8));
    let halvings = (a.top() + 1 + reduction).max(0);
    let work = bits + guard_bits(bits) + halvings as u32;
    let y = Precise::point(a.scaled(-halvings), work)?;
    let mut sum = Precise::int(1, work);
    let mut term = Precise::int(1, work);
    for k in 1..=(4 * i64::from(work)) {
        term = term.mul(&y)?.div_int(k)?;
        sum = sum.add_quietly(&term)?;
        if term
            .magnitude_top()
            .is_none_or(|t| t < -i64::from(work) - 2)
        {
            // the tail is at most |term| · |y| / (1 - |y|) <= |term|
            sum = sum.add_quietly(&term.symmetric_bound())?;
            break;
        }
    }
    for _ in 0..halvings {
        sum = sum.square_positive()?;
    }
    sum.rounded_to(bits)
}

/// `2·atanh(z) = 2 Σ z^(2n+1)/(2n+1)` for `|z| <= 1/3`, with the tail bounded
/// by the last term (the ratio of terms is at most z² <= 1/9).
fn twice_atanh(z: &Precise) -> Result<Precise, EvalError> {
    let work = i64::from(z.bits);
    let z2 = z.mul(z)?;
    let mut power = z.clone();
    let mut sum = z.clone();
    let Some(first) = z.magnitude_top() else {
        return Ok(Precise::int(0, z.bits));
    };
    for n in 1..=(2 * work) {
        power = power.mul(&z2)?;
        let term = power.div_int(2 * n + 1)?;
        sum = sum.add_quietly(&term)?;
        if term.magnitude_top().is_none_or(|t| t < first - work - 2) {
            sum = sum.add_quietly(&term.symmetric_bound())?;
            break;
        }
    }
    Ok(sum.scale(1))
}

/// An enclosure of ln 2 at `bits` (cached per precision).
fn ln2(bits: u32) -> Result<Precise, EvalError> {
    if let Some(hit) = LN2.with(|c| {
        c.borrow()
            .iter()
            .find(|(b, _)| *b == bits)
            .map(|(_, v)| v.clone())
    }) {
        return Ok(hit);
    }
    let work = bits + guard_bits(bits);
    let third = Precise::int(1, work).div_int(3)?;
    let value = twice_atanh(&third)?.rounded_to(bits)?;
    LN2.with(|c| c.borrow_mut().push((bits, value.clone())));
    Ok(value)
}

/// An enclosure of `ln a` for `a > 0`: `a = 2^k · f` with `f` in `[3/4, 3/2)`,
/// `ln f = 2 atanh((f - 1)/(f + 1))`.
fn ln_point(a: &Dyadic, bits: u32) -> Result<Precise, EvalError> {
    if !a.is_positive() {
        return Err(EvalError::Undefined(
            "logarithm of a non-positive number".into(),
        ));
    }
    let mut k = a.top();
    let mut f = a.scaled(-k);
    if f >= (Dyadic { m: 3.into(), e: -1 }) {
        k += 1;
        f = f.scaled(-1);
    }
    let k_bits = 64 - k.unsigned_abs().leading_zeros();
    let work = bits + guard_bits(bits) + k_bits;
    let f = Precise::point(f, work)?;
    let z = f
        .add_quietly(&Precise::int(-1, work))?
        .mul(&f.add_quietly(&Precise::int(1, work))?.recip()?)?;
    let mut result = twice_atanh(&z)?;
    if k != 0 {
        result = result.add_quietly(&ln2(work)?.mul(&Precise::int(k, work))?)?;
    }
    result.rounded_to(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rat(n: i64, d: i64) -> BigRational {
        BigRational::new(n.into(), d.into())
    }

    fn contains(p: &Precise, x: f64) -> bool {
        let (lo, hi) = p.rational_bounds();
        let x = BigRational::from_float(x).expect("finite");
        // f64 references are within a few ulps: widen them by 1e-15 relative
        let slack = x.abs() * rat(1, 1_000_000_000_000_000) + rat(1, 10i64.pow(18));
        lo <= &x + &slack && &x - &slack <= hi
    }

    fn width_top(p: &Precise) -> i64 {
        let w = add_rounded(&p.hi, &p.lo.neg(), p.bits + 8, true).expect("finite");
        if w.is_zero() {
            i64::MIN
        } else {
            w.top()
        }
    }

    #[test]
    fn rounding_is_outward() {
        let third = Precise::from_rational(&rat(1, 3), 64).expect("finite");
        let (lo, hi) = third.rational_bounds();
        assert!(lo < rat(1, 3) && rat(1, 3) < hi);
        let minus = third.neg();
        let (lo, hi) = minus.rational_bounds();
        assert!(lo < rat(-1, 3) && rat(-1, 3) < hi);
        let exact = Precise::from_rational(&rat(3, 8), 64).expect("finite");
        assert!(exact.is_point());
    }

    #[test]
    fn elementary_functions_contain_the_truth() {
        for bits in [64u32, 256, 1024] {
            let x = |n, d| Precise::from_rational(&rat(n, d), bits).expect("finite");
            let cases: [(Precise, f64); 8] = [
                (x(1, 1).exp().unwrap(), std::f64::consts::E),
                (x(-7, 2).exp().unwrap(), (-3.5f64).exp()),
                (x(2, 1).ln().unwrap(), std::f64::consts::LN_2),
                (x(1, 10).ln().unwrap(), (0.1f64).ln()),
                (x(2, 1).sqrt().unwrap(), std::f64::consts::SQRT_2),
                (x(3, 1).sigmoid().unwrap(), 1.0 / (1.0 + (-3f64).exp())),
                (x(-1, 2).tanh().unwrap(), (-0.5f64).tanh()),
                (x(5, 4).softplus().unwrap(), (1.25f64).exp().ln_1p()),
            ];
            for (k, (p, expected)) in cases.iter().enumerate() {
                assert!(contains(p, *expected), "case {k} at {bits}: {p:?}");
                assert!(
                    width_top(p) < -(bits as i64) + 12,
                    "case {k} at {bits} too wide"
                );
            }
        }
    }

    #[test]
    fn tiny_and_huge_values_stay_resolved() {
        let bits = 2048;
        let minus_thousand = Precise::from_rational(&rat(-1000, 1), bits).unwrap();
        let e = minus_thousand.exp().unwrap();
        assert_eq!(e.certain_sign(), Some(1));
        // e^-1000 = 2^-1442.69...
        assert_eq!(e.magnitude_top(), Some(-1443));
        let near_one = BigRational::one() + BigRational::new(1.into(), BigInt::from(10).pow(400));
        let l = Precise::from_rational(&near_one, bits)
            .unwrap()
            .ln()
            .unwrap();
        assert_eq!(l.certain_sign(), Some(1));
        assert_eq!(l.magnitude_top(), Some(-1329));
        let s = Precise::from_rational(&rat(1000, 1), bits)
            .unwrap()
            .sigmoid()
            .unwrap();
        assert!(s.hi < Dyadic::int(1));
    }

    #[test]
    fn losses_are_noted() {
        let ((), lost) = at_precision(Some(256), || {
            let one = Precise::int(1, 256);
            let tiny = Precise::from_rational(&rat(1, 1), 256).unwrap().scale(-300);
            one.add(&tiny).unwrap();
        });
        assert_eq!(lost, Some(300));
        let ((), lost) = at_precision(Some(256), || {
            let one = Precise::int(1, 256);
            let small = Precise::int(1, 256).scale(-100);
            one.add(&small).unwrap();
        });
        assert_eq!(lost, None);
        let ((), lost) = at_precision(Some(256), || {
            Precise::int(1, 256).scale(-250).exp().unwrap();
        });
        assert_eq!(lost, Some(250));
    }

    #[test]
    fn comparisons_and_integers() {
        let a = Dyadic { m: 3.into(), e: -1 };
        let b = Dyadic { m: 1.into(), e: 0 };
        assert!(a > b && b.neg() > a.neg());
        assert_eq!(
            Dyadic {
                m: (-3).into(),
                e: -1
            }
            .floor(),
            BigInt::from(-2)
        );
        assert_eq!(
            Dyadic {
                m: (-3).into(),
                e: -1
            }
            .ceil(),
            BigInt::from(-1)
        );
        let p = Precise::from_rational(&rat(7, 2), 64).unwrap();
        assert_eq!(p.integer(), Err(true));
        assert_eq!(Precise::int(4, 64).integer(), Ok(BigInt::from(4)));
    }
}
