//! π, sin, cos, atan and erf at multi-precision: alternating series whose
//! remainder is bounded by the last term summed (the terms decrease from there
//! on), with only exact integer arithmetic and outward rounding.

use super::{guard_bits, note_loss, resolution, Dyadic, Precise};
use crate::eval::EvalError;
use std::cell::RefCell;

thread_local! {
    static PI: RefCell<Vec<(u32, Precise)>> = const { RefCell::new(Vec::new()) };
}

/// `Σ_n (−1)^n · z^(2n+1)/(2n+1)` for `|z| <= 1/2`: terms decrease in
/// magnitude, so the tail after a term is at most that term.
fn atan_series(z: &Precise) -> Result<Precise, EvalError> {
    let Some(first) = z.magnitude_top() else {
        return Ok(Precise::int(0, z.bits));
    };
    let work = i64::from(z.bits);
    let z2 = z.mul(z)?;
    let mut power = z.clone();
    let mut sum = z.clone();
    for n in 1..=(4 * work) {
        power = power.mul(&z2)?;
        let term = power.div_int(2 * n + 1)?;
        let signed = if n % 2 == 1 { term.neg() } else { term.clone() };
        sum = sum.add_quietly(&signed)?;
        if term.magnitude_top().is_none_or(|t| t < first - work - 2) {
            return sum.add_quietly(&term.symmetric_bound());
        }
    }
    Err(EvalError::Indeterminate)
}

/// An enclosure of π at `bits`: 16·atan(1/5) − 4·atan(1/239) (cached).
pub(super) fn pi(bits: u32) -> Result<Precise, EvalError> {
    if let Some(hit) = PI.with(|c| {
        c.borrow()
            .iter()
            .find(|(b, _)| *b == bits)
            .map(|(_, v)| v.clone())
    }) {
        return Ok(hit);
    }
    let work = bits + guard_bits(bits);
    let fifth = Precise::int(1, work).div_int(5)?;
    let part = Precise::int(1, work).div_int(239)?;
    let value = atan_series(&fifth)?
        .scale(4)
        .add_quietly(&atan_series(&part)?.scale(2).neg())?
        .rounded_to(bits)?;
    PI.with(|c| c.borrow_mut().push((bits, value.clone())));
    Ok(value)
}

/// `atan a`: `atan a = ±π/2 − atan(1/a)` for `|a| > 1`, and
/// `atan y = 2·atan(y/(1 + √(1 + y²)))` for `1/2 < |y| <= 1`.
fn atan_point(a: &Dyadic, bits: u32) -> Result<Precise, EvalError> {
    if a.is_zero() {
        return Ok(Precise::int(0, bits));
    }
    let extra = a.top().unsigned_abs().min(1 << 20) as u32;
    let work = bits + guard_bits(bits) + extra;
    let x = Precise::point(a.clone(), work)?;
    let one = Precise::int(1, work);
    let big = a.abs() > Dyadic::int(1);
    let y = if big { x.recip()? } else { x };
    let reduce = y.lo.abs().max(y.hi.abs()) > Dyadic { m: 1.into(), e: -1 };
    let z = if reduce {
        let root = one.add_quietly(&y.mul(&y)?)?.sqrt()?;
        y.mul(&one.add_quietly(&root)?.recip()?)?
    } else {
        y
    };
    let mut result = atan_series(&z)?;
    if reduce {
        result = result.scale(1);
    }
    if big {
        let half_pi = pi(work)?.scale(-1);
        let quarter = if a.is_negative() {
            half_pi.neg()
        } else {
            half_pi
        };
        result = quarter.add_quietly(&result.neg())?;
    }
    result.rounded_to(bits)
}

/// `(sin a, cos a)`: `a = k·π/2 + r` with `|r| <= π/4` (nearly: `k` is found in
/// f64, `|r| < 1` is checked), then the Taylor series of `r`.
fn sin_cos_point(a: &Dyadic, bits: u32) -> Result<(Precise, Precise), EvalError> {
    if a.top() > 60 {
        return Err(EvalError::Overflow);
    }
    let work = bits + guard_bits(bits) + a.top().max(0) as u32;
    let x = Precise::point(a.clone(), work)?;
    let approx = a.to_rational();
    let approx = num_traits::ToPrimitive::to_f64(&approx).unwrap_or(0.0);
    let k = (approx / std::f64::consts::FRAC_PI_2).round() as i64;
    let half_pi = pi(work)?.scale(-1);
    let r = x.add_quietly(&half_pi.mul(&Precise::int(k, work))?.neg())?;
    if r.magnitude_top().is_some_and(|t| t >= 0) {
        // |r| >= 1/2 only if k was far off; never expected
        if r.lo.abs().max(r.hi.abs()) >= Dyadic::int(1) {
            return Err(EvalError::Indeterminate);
        }
    }
    let (s, c) = taylor_sin_cos(&r)?;
    let (s, c) = match k.rem_euclid(4) {
        0 => (s, c),
        1 => (c, s.neg()),
        2 => (s.neg(), c.neg()),
        _ => (c.neg(), s),
    };
    Ok((s.rounded_to(bits)?, c.rounded_to(bits)?))
}

/// sin r and cos r for `|r| < 1`: the terms `r^n/n!` decrease from the first.
fn taylor_sin_cos(r: &Precise) -> Result<(Precise, Precise), EvalError> {
    let work = i64::from(r.bits);
    let r2 = r.mul(r)?;
    let mut sin = r.clone();
    let mut cos = Precise::int(1, r.bits);
    let mut sin_term = r.clone();
    let mut cos_term = Precise::int(1, r.bits);
    let mut sin_done = r.magnitude_top().is_none();
    let mut cos_done = false;
    for n in 1..=(4 * work) {
        let negative = n % 2 == 1;
        if !cos_done {
            cos_term = cos_term.mul(&r2)?.div_int((2 * n - 1) * (2 * n))?;
            let signed = if negative {
                cos_term.neg()
            } else {
                cos_term.clone()
            };
            cos = cos.add_quietly(&signed)?;
            if cos_term.magnitude_top().is_none_or(|t| t < -work - 2) {
                cos = cos.add_quietly(&cos_term.symmetric_bound())?;
                cos_done = true;
            }
        }
        if !sin_done {
            sin_term = sin_term.mul(&r2)?.div_int((2 * n) * (2 * n + 1))?;
            let signed = if negative {
                sin_term.neg()
            } else {
                sin_term.clone()
            };
            sin = sin.add_quietly(&signed)?;
            let first = r.magnitude_top().unwrap_or(0);
            if sin_term
                .magnitude_top()
                .is_none_or(|t| t < first - work - 2)
            {
                sin = sin.add_quietly(&sin_term.symmetric_bound())?;
                sin_done = true;
            }
        }
        if sin_done && cos_done {
            return Ok((sin, cos));
        }
    }
    Err(EvalError::Indeterminate)
}

/// `erf a`: for `a² >= bits + 16` (and `a >= 1`), `1 − erf a <= e^(−a²) < 2^(−bits−16)`;
/// otherwise `2/√π · Σ (−1)^n a^(2n+1)/(n!(2n+1))`, summed with enough extra bits
/// for the cancellation (the largest term is about `e^(a²)`), whose terms
/// decrease once `n > a²`.
fn erf_point(a: &Dyadic, bits: u32) -> Result<Precise, EvalError> {
    if a.is_zero() {
        return Ok(Precise::int(0, bits));
    }
    let x = a.abs();
    let square = x.to_rational() * x.to_rational();
    let threshold = num_rational::BigRational::from_integer((i64::from(bits) + 16).into());
    let one = Dyadic::int(1);
    let magnitude = if x >= one && square >= threshold {
        // saturated: the value is 1 to far below the resolution
        note_loss(bits as u64 + 16);
        let tail = Dyadic {
            m: 1.into(),
            e: -(i64::from(bits) + 16),
        };
        let lo = super::add_rounded(&one, &tail.neg(), bits, false)?;
        Precise::new(lo, one, bits)
    } else {
        let square_bits = num_traits::ToPrimitive::to_f64(&square).unwrap_or(0.0);
        let extra = (1.5 * square_bits).ceil() as u32 + 8;
        let work = bits + guard_bits(bits) + extra;
        let y = Precise::point(x.clone(), work)?;
        let y2 = y.mul(&y)?;
        let first = y.magnitude_top().unwrap_or(0);
        let mut power = y.clone();
        let mut sum = y.clone();
        let mut converged = false;
        for n in 1..=(16 * i64::from(work)) {
            power = power.mul(&y2)?.div_int(n)?;
            let term = power.div_int(2 * n + 1)?;
            let signed = if n % 2 == 1 { term.neg() } else { term.clone() };
            sum = sum.add_quietly(&signed)?;
            let decreasing = num_rational::BigRational::from_integer(n.into()) > square;
            if decreasing
                && term
                    .magnitude_top()
                    .is_none_or(|t| t < first - i64::from(work) - 2)
            {
                sum = sum.add_quietly(&term.symmetric_bound())?;
                converged = true;
                break;
            }
        }
        if !converged {
            return Err(EvalError::Indeterminate);
        }
        let root_pi = pi(work)?.sqrt()?;
        let value = sum.mul(&root_pi.recip()?)?.scale(1);
        let value = Precise::new(value.lo.min(one.clone()), value.hi.min(one.clone()), work);
        // near 1 the value is saturated like tanh: 1 − erf lost below the resolution
        let gap = Precise::int(1, work).add_quietly(&value.neg())?;
        if let Some(t) = gap.magnitude_top().filter(|&t| t < -resolution()) {
            note_loss((-t) as u64);
        }
        value.rounded_to(bits)?
    };
    Ok(if a.is_negative() {
        magnitude.neg()
    } else {
        magnitude
    })
}

impl Precise {
    /// π at `bits`.
    pub fn pi(bits: u32) -> Result<Precise, EvalError> {
        pi(bits)
    }

    /// `atan`, increasing.
    pub fn atan(&self) -> Result<Precise, EvalError> {
        let lo = atan_point(&self.lo, self.bits)?.lo;
        let hi = atan_point(&self.hi, self.bits)?.hi;
        Ok(Precise::new(lo, hi, self.bits))
    }

    /// `erf`, increasing.
    pub fn erf(&self) -> Result<Precise, EvalError> {
        let lo = erf_point(&self.lo, self.bits)?.lo;
        let hi = erf_point(&self.hi, self.bits)?.hi;
        Ok(Precise::new(lo, hi, self.bits))
    }

    /// `sin` over the interval: the value at the low end widened by the
    /// interval's width (|sin'| <= 1), within [−1, 1].
    pub fn sin(&self) -> Result<Precise, EvalError> {
        let (s, _) = sin_cos_point(&self.lo, self.bits)?;
        self.lipschitz_widened(s)
    }

    /// `cos`, as `sin`.
    pub fn cos(&self) -> Result<Precise, EvalError> {
        let (_, c) = sin_cos_point(&self.lo, self.bits)?;
        self.lipschitz_widened(c)
    }

    fn lipschitz_widened(&self, at_lo: Precise) -> Result<Precise, EvalError> {
        let width = super::add_rounded(&self.hi, &self.lo.neg(), self.bits, true)?;
        let lo = super::add_rounded(&at_lo.lo, &width.neg(), self.bits, false)?;
        let hi = super::add_rounded(&at_lo.hi, &width, self.bits, true)?;
        Ok(Precise::new(
            lo.max(Dyadic::int(-1)),
            hi.min(Dyadic::int(1)),
            self.bits,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_rational::BigRational;
    use num_traits::Signed;

    fn at(x: f64, bits: u32) -> Precise {
        Precise::from_rational(&BigRational::from_float(x).expect("finite"), bits).expect("fits")
    }

    fn contains(p: &Precise, x: f64) -> bool {
        let (lo, hi) = p.rational_bounds();
        let x = BigRational::from_float(x).expect("finite");
        // f64 references are correct to about 1e-15: compare with that slack
        let slack = BigRational::new(1.into(), 1_000_000_000_000_000i64.into());
        let scale = x.abs() + BigRational::from_integer(1.into());
        lo - &slack * &scale <= x && x <= hi + slack * scale
    }

    fn narrow(p: &Precise, bits: i64) -> bool {
        let (lo, hi) = p.rational_bounds();
        let w = hi - lo;
        let limit = BigRational::new(1.into(), num_bigint::BigInt::from(2).pow(bits as u32));
        w <= limit
    }

    #[test]
    fn pi_to_many_digits() {
        let p = pi(256).expect("pi");
        // π = 3.14159265358979323846264338327950288419716939937510582097494459...
        let digits: num_bigint::BigInt =
            "314159265358979323846264338327950288419716939937510582097494459"
                .parse()
                .expect("digits");
        let scale = num_bigint::BigInt::from(10).pow(62);
        let truncated = BigRational::new(digits, scale.clone());
        let ulp = BigRational::new(1.into(), scale);
        let (lo, hi) = p.rational_bounds();
        assert!(lo <= &truncated + &ulp && truncated <= hi, "{lo} {hi}");
        assert!(narrow(&p, 250));
    }

    #[test]
    fn functions_contain_the_truth() {
        for x in [-40.0, -3.0, -1.0, -0.3, 1e-9, 0.5, 1.0, 2.5, 7.0, 1234.5] {
            for bits in [64, 256] {
                let p = at(x, bits);
                let (s, c, t) = (
                    p.sin().expect("sin"),
                    p.cos().expect("cos"),
                    p.atan().expect("atan"),
                );
                assert!(contains(&s, f64::sin(x)), "sin {x}");
                assert!(contains(&c, f64::cos(x)), "cos {x}");
                assert!(contains(&t, f64::atan(x)), "atan {x}");
                assert!(narrow(&s, i64::from(bits) - 8), "sin {x} at {bits}");
                assert!(narrow(&t, i64::from(bits) - 8), "atan {x} at {bits}");
            }
        }
    }

    #[test]
    fn erf_against_known_values() {
        // erf(1/2), erf(1), erf(2), erf(3) to 20 digits
        for (x, want) in [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
            (-1.0, -0.842_700_792_949_714_9),
        ] {
            let e = at(x, 128).erf().expect("erf");
            assert!(contains(&e, want), "erf {x}");
            assert!(narrow(&e, 110), "erf {x}");
        }
        let far = at(30.0, 64).erf().expect("erf");
        assert!(contains(&far, 1.0));
    }
}
