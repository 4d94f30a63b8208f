//! The built-in functions (`Func`) on values: exact where the result is rational, intervals otherwise.

use super::interval::exact_rational;
use super::interval::Interval;
use super::precise::{self, Precise};
use super::value::{ln_interval, log10_interval, log2_interval, Value};
use super::EvalError;
use crate::expr::func::{Algebra, Enclosure};
use crate::expr::Func;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// Applies a built-in function to evaluated arguments (arity already matches the table).
pub(crate) fn apply(func: Func, args: &[Value]) -> Result<Value, EvalError> {
    if args.len() != func.arity() {
        return Err(EvalError::Unsupported(format!(
            "{} takes {} argument(s), got {}",
            func.name(),
            func.arity(),
            args.len()
        )));
    }
    let exact: Option<Vec<BigRational>> = args.iter().map(|a| a.as_exact().cloned()).collect();
    if let Some(v) = exact.and_then(|xs| func.exact_value(&xs)) {
        return Ok(Value::Exact(v));
    }
    let enclosure = func.row().enclosure;
    match (enclosure, args) {
        (Enclosure::ByDefinition, _) => by_definition(func, args),
        (Enclosure::Delta, [a, b]) => delta(a, b),
        (Enclosure::Pi, _) => pi(),
        (_, [x]) => enclose(enclosure, x),
        _ => Err(EvalError::Unsupported(format!(
            "{} takes {} argument(s)",
            func.name(),
            func.arity()
        ))),
    }
}

/// Values put into a definition (`gelu(x) = x·Φ(x)`): rigorous because each
/// step is.
struct Values;

impl Algebra for Values {
    type T = Value;
    type Error = EvalError;
    fn number(&mut self, r: BigRational) -> Result<Value, EvalError> {
        Ok(Value::Exact(r))
    }
    fn add(&mut self, terms: Vec<Value>) -> Result<Value, EvalError> {
        super::value::sum_all(&terms)
    }
    fn mul(&mut self, factors: Vec<Value>) -> Result<Value, EvalError> {
        super::value::product_all(&factors)
    }
    fn powi(&mut self, base: Value, n: i64) -> Result<Value, EvalError> {
        super::value::pow(&base, &Value::integer(n))
    }
    fn call(&mut self, f: Func, args: Vec<Value>) -> Result<Value, EvalError> {
        apply(f, &args)
    }
}

fn by_definition(func: Func, args: &[Value]) -> Result<Value, EvalError> {
    let Some(definition) = func.row().definition else {
        return Err(EvalError::Unsupported(format!(
            "{} has no definition to evaluate",
            func.name()
        )));
    };
    definition.build(&mut Values, args, None)
}

/// π: at the working precision, or an f64 enclosure.
fn pi() -> Result<Value, EvalError> {
    if let Some(bits) = precise::working_bits() {
        return Ok(Value::Precise(Precise::pi(bits)?));
    }
    let i = Interval::new(
        std::f64::consts::PI.next_down(),
        std::f64::consts::PI.next_up(),
    )
    .ok_or(EvalError::Overflow)?;
    Ok(Value::Approx(i))
}

/// A one-argument built-in with its own enclosure.
fn enclose(enclosure: Enclosure, x: &Value) -> Result<Value, EvalError> {
    if let Some(value) = apply_precise(enclosure, x) {
        return value;
    }
    match enclosure {
        Enclosure::Exp => exp(x),
        Enclosure::Ln => ln(x),
        Enclosure::Log2 => log2(x),
        Enclosure::Log10 => log10(x),
        Enclosure::Sqrt => sqrt(x),
        Enclosure::Abs => Ok(abs(x)),
        Enclosure::Sigmoid => sigmoid(x),
        Enclosure::Softplus => Ok(Value::Approx(x.to_interval()?.softplus()?)),
        Enclosure::Tanh => tanh(x),
        Enclosure::Relu => Ok(relu(x)),
        Enclosure::Heaviside => heaviside(x),
        Enclosure::Sign => sign(x),
        Enclosure::Floor => floor(x),
        Enclosure::Ceil => ceil(x),
        Enclosure::Sin => Ok(Value::Approx(x.to_interval()?.sin()?)),
        Enclosure::Cos => Ok(Value::Approx(
            x.to_interval()?.add(&Interval::half_pi())?.sin()?,
        )),
        Enclosure::Atan => atan(x),
        Enclosure::Erf => erf(x),
        Enclosure::Delta | Enclosure::Pi | Enclosure::ByDefinition => Err(EvalError::Unsupported(
            "not a function of one argument".into(),
        )),
    }
}

/// `atan` in f64: increasing, the library's value widened by its error bound.
fn atan(x: &Value) -> Result<Value, EvalError> {
    let i = x.to_interval()?;
    let widen = |v: f64, up: bool| {
        (0..super::interval::LIBM_ULP_SLACK)
            .fold(v, |y, _| if up { y.next_up() } else { y.next_down() })
    };
    let half_pi = std::f64::consts::FRAC_PI_2.next_up();
    let lo = widen(i.lo().atan(), false).max(-half_pi);
    let hi = widen(i.hi().atan(), true).min(half_pi);
    Ok(Value::Approx(
        Interval::new(lo, hi).ok_or(EvalError::Overflow)?,
    ))
}

/// `erf` in f64: no library erf is trusted; the series at 64 bits, rounded out.
fn erf(x: &Value) -> Result<Value, EvalError> {
    let p = Precise::from_interval(&x.to_interval()?, 64)?.erf()?;
    Ok(Value::Approx(p.to_interval()?))
}

/// The multi-precision path: taken when evaluating at a working precision
/// or when the argument is already a multi-precision interval, for the
/// functions whose result is not exact.
fn apply_precise(enclosure: Enclosure, x: &Value) -> Option<Result<Value, EvalError>> {
    let bits = match x {
        Value::Precise(p) => p.bits(),
        _ => precise::working_bits()?,
    };
    if let (Enclosure::Log2 | Enclosure::Log10 | Enclosure::Sqrt, Some(_)) =
        (enclosure, x.as_exact())
    {
        // exact when the argument is a power of the base or a square
        let attempt = match enclosure {
            Enclosure::Log2 => log2(x),
            Enclosure::Log10 => log10(x),
            _ => sqrt(x),
        };
        if matches!(attempt, Ok(Value::Exact(_)) | Err(_)) {
            return Some(attempt);
        }
    }
    let at = |f: fn(&Precise) -> Result<Precise, EvalError>| -> Result<Value, EvalError> {
        Ok(Value::Precise(f(&x.precise(bits)?)?))
    };
    Some(match enclosure {
        Enclosure::Exp => at(Precise::exp),
        Enclosure::Ln => at(Precise::ln),
        Enclosure::Log2 => at(Precise::log2),
        Enclosure::Log10 => at(Precise::log10),
        Enclosure::Sqrt => at(Precise::sqrt),
        Enclosure::Sigmoid => at(Precise::sigmoid),
        Enclosure::Softplus => at(Precise::softplus),
        Enclosure::Tanh => at(Precise::tanh),
        Enclosure::Sin => at(Precise::sin),
        Enclosure::Cos => at(Precise::cos),
        Enclosure::Atan => at(Precise::atan),
        Enclosure::Erf => at(Precise::erf),
        Enclosure::Abs
        | Enclosure::Relu
        | Enclosure::Heaviside
        | Enclosure::Sign
        | Enclosure::Floor
        | Enclosure::Ceil
        | Enclosure::Delta
        | Enclosure::Pi
        | Enclosure::ByDefinition => return None,
    })
}

fn exact(n: i64) -> Value {
    Value::integer(n)
}

fn half() -> Value {
    Value::Exact(BigRational::new(BigInt::one(), BigInt::from(2)))
}

fn exp(x: &Value) -> Result<Value, EvalError> {
    if x.as_exact().is_some_and(|r| r.is_zero()) {
        return Ok(Value::one());
    }
    Ok(Value::Approx(x.to_interval()?.exp()?))
}

fn ln(x: &Value) -> Result<Value, EvalError> {
    if x.as_exact().is_some_and(|r| r.is_one()) {
        return Ok(Value::zero());
    }
    Ok(Value::Approx(ln_interval(x)?))
}

/// `log_base(r)` when `r` is an exact integer power of `base` (`k` may be negative).
fn exact_log(r: &BigRational, base: u32) -> Option<Value> {
    if !r.is_positive() {
        return None;
    }
    let (power, sign) = if r.denom().is_one() {
        (r.numer(), 1)
    } else if r.numer().is_one() {
        (r.denom(), -1)
    } else {
        return None;
    };
    // the exponent is within one of bits / log2(base)
    let estimate = (power.bits() as f64 / f64::from(base).log2()).round() as i64;
    let base = BigInt::from(base);
    (estimate - 1..=estimate + 1)
        .filter(|k| *k >= 0)
        .find(|&k| u32::try_from(k).is_ok_and(|k| num_traits::pow::Pow::pow(&base, k) == *power))
        .map(|k| Value::integer(sign * k))
}

fn log2(x: &Value) -> Result<Value, EvalError> {
    if let Some(v) = x.as_exact().and_then(|r| exact_log(r, 2)) {
        return Ok(v);
    }
    Ok(Value::Approx(log2_interval(x)?))
}

fn log10(x: &Value) -> Result<Value, EvalError> {
    if let Some(v) = x.as_exact().and_then(|r| exact_log(r, 10)) {
        return Ok(v);
    }
    Ok(Value::Approx(log10_interval(x)?))
}

fn sqrt(x: &Value) -> Result<Value, EvalError> {
    if let Value::Exact(r) = x {
        if r.is_negative() {
            return Err(EvalError::Undefined("sqrt of a negative number".into()));
        }
        let numer = r.numer().sqrt();
        let denom = r.denom().sqrt();
        if &numer * &numer == *r.numer() && &denom * &denom == *r.denom() {
            return Ok(Value::Exact(BigRational::new(numer, denom)));
        }
    }
    Ok(Value::Approx(x.to_interval()?.sqrt()?))
}

fn abs(x: &Value) -> Value {
    match x {
        Value::Exact(r) => Value::Exact(r.abs()),
        Value::Approx(i) => Value::Approx(i.abs()),
        Value::Precise(p) => Value::Precise(p.abs()),
    }
}

fn relu(x: &Value) -> Value {
    match x {
        Value::Exact(r) if r.is_negative() => Value::zero(),
        Value::Exact(_) => x.clone(),
        Value::Approx(i) => Value::Approx(i.relu()),
        Value::Precise(p) => Value::Precise(p.relu()),
    }
}

fn sigmoid(x: &Value) -> Result<Value, EvalError> {
    if x.as_exact().is_some_and(|r| r.is_zero()) {
        return Ok(half());
    }
    Ok(Value::Approx(x.to_interval()?.sigmoid()?))
}

fn tanh(x: &Value) -> Result<Value, EvalError> {
    if x.as_exact().is_some_and(|r| r.is_zero()) {
        return Ok(Value::zero());
    }
    Ok(Value::Approx(x.to_interval()?.tanh()?))
}

/// The sign of `x` as -1, 0 or 1 when it is certain.
fn certain_sign(x: &Value) -> Result<i64, EvalError> {
    match x {
        Value::Exact(r) => Ok(if r.is_positive() {
            1
        } else if r.is_negative() {
            -1
        } else {
            0
        }),
        Value::Approx(i) if i.lo() > 0.0 => Ok(1),
        Value::Approx(i) if i.hi() < 0.0 => Ok(-1),
        Value::Approx(i) if i.lo() == 0.0 && i.hi() == 0.0 => Ok(0),
        Value::Approx(_) => Err(EvalError::Indeterminate),
        Value::Precise(p) => p.certain_sign().ok_or(EvalError::Indeterminate),
    }
}

fn sign(x: &Value) -> Result<Value, EvalError> {
    Ok(exact(certain_sign(x)?))
}

/// Heaviside step with `H(0) = 1/2`.
fn heaviside(x: &Value) -> Result<Value, EvalError> {
    Ok(match certain_sign(x)? {
        1 => Value::one(),
        -1 => Value::zero(),
        _ => half(),
    })
}

fn floor(x: &Value) -> Result<Value, EvalError> {
    match x {
        Value::Exact(r) => Ok(Value::Exact(r.floor())),
        Value::Approx(i) if i.lo().floor() == i.hi().floor() => {
            Ok(Value::Exact(exact_rational(i.lo().floor())))
        }
        Value::Approx(_) => Err(EvalError::Indeterminate),
        Value::Precise(p) => p
            .floor()
            .map(|n| Value::Exact(BigRational::from_integer(n)))
            .ok_or(EvalError::Indeterminate),
    }
}

fn ceil(x: &Value) -> Result<Value, EvalError> {
    match x {
        Value::Exact(r) => Ok(Value::Exact(r.ceil())),
        Value::Approx(i) if i.lo().ceil() == i.hi().ceil() => {
            Ok(Value::Exact(exact_rational(i.lo().ceil())))
        }
        Value::Approx(_) => Err(EvalError::Indeterminate),
        Value::Precise(p) => p
            .ceil()
            .map(|n| Value::Exact(BigRational::from_integer(n)))
            .ok_or(EvalError::Indeterminate),
    }
}

/// Kronecker delta of two integers.
fn delta(a: &Value, b: &Value) -> Result<Value, EvalError> {
    match (a, b) {
        (Value::Exact(x), Value::Exact(y)) => {
            if !x.is_integer() || !y.is_integer() {
                return Err(EvalError::Undefined("δ of a non-integer".into()));
            }
            Ok(exact(i64::from(x == y)))
        }
        _ => {
            let disjoint = {
                let (a_lo, a_hi) = a.rational_bounds();
                let (b_lo, b_hi) = b.rational_bounds();
                a_hi < b_lo || b_hi < a_lo
            };
            if disjoint {
                Ok(Value::zero())
            } else {
                Err(EvalError::Indeterminate)
            }
        }
    }
}

/// An exact integer value as an i64-free BigInt, for indices and bounds:
/// `Undefined` for a non-integer, `Indeterminate` for an interval that is not
/// a single integer point.
pub(crate) fn integer_of(v: &Value, what: &str) -> Result<BigInt, EvalError> {
    match v {
        Value::Exact(r) if r.is_integer() => Ok(r.numer().clone()),
        Value::Exact(r) => Err(EvalError::Undefined(format!(
            "{what} {r} is not an integer"
        ))),
        Value::Approx(i) if i.is_point() && i.lo().fract() == 0.0 => {
            Ok(exact_rational(i.lo()).numer().clone())
        }
        Value::Approx(i) if i.lo().ceil() > i.hi() => Err(EvalError::Undefined(format!(
            "{what} {v} is not an integer"
        ))),
        Value::Approx(_) => Err(EvalError::Indeterminate),
        Value::Precise(p) => match p.integer() {
            Ok(n) => Ok(n),
            Err(true) => Err(EvalError::Undefined(format!(
                "{what} {v} is not an integer"
            ))),
            Err(false) => Err(EvalError::Indeterminate),
        },
    }
}

/// A 1-based position `1..=len` as a 0-based offset; `Undefined` out of range.
pub(crate) fn position(v: &Value, len: usize, what: &str) -> Result<usize, EvalError> {
    let i = integer_of(v, what)?;
    match i.to_usize() {
        Some(i) if (1..=len).contains(&i) => Ok(i - 1),
        _ => Err(EvalError::Undefined(format!(
            "{what} {i} is out of range 1..={len}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Interval;

    fn rat(n: i64, d: i64) -> Value {
        Value::Exact(BigRational::new(BigInt::from(n), BigInt::from(d)))
    }

    fn interval_of(v: &Value) -> Interval {
        v.to_interval().expect("finite")
    }

    fn call(f: Func, x: Value) -> Result<Value, EvalError> {
        apply(f, &[x])
    }

    #[test]
    fn exp_ln_logs() {
        assert_eq!(call(Func::Exp, rat(0, 1)), Ok(Value::one()));
        let e = call(Func::Exp, rat(1, 1)).expect("defined");
        assert!(!e.is_exact());
        assert!(interval_of(&e).contains(std::f64::consts::E));
        assert!(interval_of(&e).width() < 1e-14);
        assert_eq!(call(Func::Ln, rat(1, 1)), Ok(Value::zero()));
        assert!(matches!(
            call(Func::Ln, rat(-1, 1)),
            Err(EvalError::Undefined(_))
        ));
        assert!(matches!(
            call(Func::Ln, rat(0, 1)),
            Err(EvalError::Undefined(_))
        ));
        assert_eq!(call(Func::Log2, rat(1024, 1)), Ok(rat(10, 1)));
        assert_eq!(call(Func::Log2, rat(1, 8)), Ok(rat(-3, 1)));
        assert_eq!(call(Func::Log10, rat(1000, 1)), Ok(rat(3, 1)));
        assert_eq!(call(Func::Log10, rat(1, 100)), Ok(rat(-2, 1)));
        let l = call(Func::Log10, rat(2, 1)).expect("defined");
        assert!(interval_of(&l).contains(std::f64::consts::LOG10_2));
        let l = call(Func::Log2, rat(3, 1)).expect("defined");
        assert!(interval_of(&l).contains(3f64.log2()));
        let tenth = call(Func::Ln, rat(1, 10)).expect("defined");
        assert!(interval_of(&tenth).contains(-std::f64::consts::LN_10));
    }

    #[test]
    fn logarithm_of_a_huge_exact_number() {
        let huge = Value::Exact(BigRational::from_integer(BigInt::from(2).pow(5000u32) * 3));
        let l = call(Func::Ln, huge).expect("defined");
        let expected = 5000.0 * std::f64::consts::LN_2 + 3f64.ln();
        let i = interval_of(&l);
        assert!((i.midpoint() - expected).abs() < 1e-9, "{i:?}");
        assert!(i.lo() <= expected + 1e-9 && expected - 1e-9 <= i.hi());
    }

    #[test]
    fn sqrt_exact_and_interval() {
        assert_eq!(call(Func::Sqrt, rat(9, 4)), Ok(rat(3, 2)));
        assert_eq!(call(Func::Sqrt, rat(0, 1)), Ok(Value::zero()));
        let r = call(Func::Sqrt, rat(2, 1)).expect("defined");
        assert!(interval_of(&r).contains(std::f64::consts::SQRT_2));
        assert!(matches!(
            call(Func::Sqrt, rat(-1, 4)),
            Err(EvalError::Undefined(_))
        ));
    }

    #[test]
    fn activations() {
        assert_eq!(call(Func::Sigmoid, rat(0, 1)), Ok(rat(1, 2)));
        let s = call(Func::Sigmoid, rat(2, 1)).expect("defined");
        assert!(interval_of(&s).contains(1.0 / (1.0 + (-2f64).exp())));
        let sp = call(Func::Softplus, rat(0, 1)).expect("defined");
        assert!(interval_of(&sp).contains(std::f64::consts::LN_2));
        assert!(interval_of(&sp).width() < 1e-14);
        assert_eq!(call(Func::Tanh, rat(0, 1)), Ok(Value::zero()));
        let t = call(Func::Tanh, rat(1, 2)).expect("defined");
        assert!(interval_of(&t).contains(0.5f64.tanh()));
        assert_eq!(call(Func::Relu, rat(-3, 2)), Ok(Value::zero()));
        assert_eq!(call(Func::Relu, rat(3, 2)), Ok(rat(3, 2)));
        assert_eq!(call(Func::Abs, rat(-3, 2)), Ok(rat(3, 2)));
    }

    #[test]
    fn steps_and_rounding() {
        assert_eq!(call(Func::Heaviside, rat(0, 1)), Ok(rat(1, 2)));
        assert_eq!(call(Func::Heaviside, rat(1, 100)), Ok(Value::one()));
        assert_eq!(call(Func::Heaviside, rat(-1, 100)), Ok(Value::zero()));
        assert_eq!(call(Func::Sign, rat(-7, 3)), Ok(rat(-1, 1)));
        assert_eq!(call(Func::Sign, rat(0, 1)), Ok(Value::zero()));
        assert_eq!(call(Func::Floor, rat(-7, 3)), Ok(rat(-3, 1)));
        assert_eq!(call(Func::Ceil, rat(-7, 3)), Ok(rat(-2, 1)));
        assert_eq!(call(Func::Floor, rat(4, 1)), Ok(rat(4, 1)));
        let straddle = Value::Approx(Interval::new(-1e-9, 1e-9).expect("finite"));
        assert_eq!(
            call(Func::Heaviside, straddle.clone()),
            Err(EvalError::Indeterminate)
        );
        assert_eq!(
            call(Func::Sign, straddle.clone()),
            Err(EvalError::Indeterminate)
        );
        assert_eq!(call(Func::Floor, straddle), Err(EvalError::Indeterminate));
        let e = call(Func::Exp, rat(1, 1)).expect("defined");
        assert_eq!(call(Func::Floor, e.clone()), Ok(rat(2, 1)));
        assert_eq!(call(Func::Ceil, e.clone()), Ok(rat(3, 1)));
        assert_eq!(call(Func::Heaviside, e), Ok(Value::one()));
    }

    #[test]
    fn kronecker_delta() {
        assert_eq!(
            apply(Func::Delta, &[rat(2, 1), rat(2, 1)]),
            Ok(Value::one())
        );
        assert_eq!(
            apply(Func::Delta, &[rat(2, 1), rat(3, 1)]),
            Ok(Value::zero())
        );
        assert!(matches!(
            apply(Func::Delta, &[rat(1, 2), rat(1, 2)]),
            Err(EvalError::Undefined(_))
        ));
        assert!(matches!(
            apply(Func::Delta, &[rat(1, 1)]),
            Err(EvalError::Unsupported(_))
        ));
    }
}
