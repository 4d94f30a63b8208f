//! Property: every `proved` and every `refuted` that nabla gives to randomly
//! generated claims (around abs, relu, H, sign, floor, sqrt, fractional
//! powers, ln and exp, pinned points, derivatives at and off kinks, and
//! limits) agrees with a reference written here, independently of nabla's
//! evaluator.
//!
//! The reference is interval arithmetic on exact rationals: `+ − · /`,
//! integer powers, abs, relu, H, sign and floor are exact; square and `q`-th
//! roots come from integer roots of scaled numbers, `ln` from the Mercator
//! series of `ln(1 + u)` for `|u| <= 1/3` plus `k · ln 2` (`ln 2 = Σ 1/(j 2^j)`),
//! `exp` from its Taylor series after halving; every series carries a bound
//! on its tail, and every rounding is outward. A claim is generated as a tree,
//! printed as nabla text, checked by the library, and then:
//!
//! * `refuted`: the counterexample must meet the claim's pin, both sides must
//!   be defined there, and the reference must find them certainly different
//!   (for a derivative: the one-sided difference quotients at `2^-100` must
//!   not both be within `2^-25` of the right side; for a limit: the body at
//!   `k = 2^80` and `k = 2^120` must stay `2^-20` away from the claimed value);
//! * `proved`: at every point of a grid (integers, halves, thirds, tiny and
//!   large values, the kinks of the generated functions, random rationals)
//!   where the reference defines both sides, they must overlap (derivatives:
//!   both one-sided quotients within `2^-25` of the right side; limits: the
//!   body at `k = 2^80` within `2^-30` of the value).
//!
//! The cases are drawn from a fixed seed (so a failure is reproducible);
//! `NABLA_REFERENCE_CASES` raises the number of claims of each kind.

use nabla::check::{CheckConfig, Verdict};
use nabla::driver::{check_source, Defs};
use nabla::span::SourceFile;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::fmt::Write as _;
use std::str::FromStr;

type Q = BigRational;

/// Significant bits of the reference's roundings.
const PRECISION: i64 = 256;

fn q(n: i64, d: i64) -> Q {
    Q::new(n.into(), d.into())
}

fn pow2(e: i64) -> Q {
    if e >= 0 {
        Q::from_integer(BigInt::one() << e as usize)
    } else {
        Q::new(BigInt::one(), BigInt::one() << (-e) as usize)
    }
}

/// `x` rounded to `PRECISION` significant bits, down or up (exact when it fits).
fn round(x: &Q, up: bool) -> Q {
    if x.is_zero() || (x.numer().bits() + x.denom().bits()) as i64 <= 2 * PRECISION + 64 {
        return x.clone();
    }
    let top = x.numer().bits() as i64 - x.denom().bits() as i64;
    let scale = PRECISION - top;
    let scaled = x * pow2(scale);
    let m = if up { scaled.ceil() } else { scaled.floor() };
    m * pow2(-scale)
}

/// Why the reference has no value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fail {
    /// Certainly undefined (ln of a negative, division by 0, ...).
    Undefined,
    /// The enclosure cannot decide a branch (or a value is out of range).
    Unsure,
}

/// A closed interval of rationals known to hold the value.
#[derive(Clone, Debug)]
struct Iv {
    lo: Q,
    hi: Q,
}

type R = Result<Iv, Fail>;

impl Iv {
    fn point(x: Q) -> Iv {
        Iv {
            lo: x.clone(),
            hi: x,
        }
    }

    fn new(lo: Q, hi: Q) -> Iv {
        Iv {
            lo: round(&lo, false),
            hi: round(&hi, true),
        }
    }

    fn is_point(&self) -> bool {
        self.lo == self.hi
    }

    fn add(&self, o: &Iv) -> Iv {
        Iv::new(&self.lo + &o.lo, &self.hi + &o.hi)
    }

    fn neg(&self) -> Iv {
        Iv::point(Q::zero()).sub(self)
    }

    fn sub(&self, o: &Iv) -> Iv {
        Iv::new(&self.lo - &o.hi, &self.hi - &o.lo)
    }

    fn mul(&self, o: &Iv) -> Iv {
        let c = [
            &self.lo * &o.lo,
            &self.lo * &o.hi,
            &self.hi * &o.lo,
            &self.hi * &o.hi,
        ];
        let lo = c.iter().min().cloned().unwrap_or_default();
        let hi = c.iter().max().cloned().unwrap_or_default();
        Iv::new(lo, hi)
    }

    fn recip(&self) -> R {
        if self.lo.is_zero() && self.hi.is_zero() {
            return Err(Fail::Undefined);
        }
        if !self.lo.is_positive() && !self.hi.is_negative() {
            return Err(Fail::Unsure);
        }
        Ok(Iv::new(self.hi.recip(), self.lo.recip()))
    }

    fn abs(&self) -> Iv {
        if !self.lo.is_negative() {
            self.clone()
        } else if !self.hi.is_positive() {
            self.neg()
        } else {
            Iv::new(Q::zero(), self.lo.abs().max(self.hi.clone()))
        }
    }

    /// Certainly different (disjoint).
    fn differs(&self, o: &Iv) -> bool {
        self.hi < o.lo || o.hi < self.lo
    }

    /// Within `tol` of each other for certain.
    fn within(&self, o: &Iv, tol: &Q) -> bool {
        let a = (&self.hi - &o.lo).abs();
        let b = (&o.hi - &self.lo).abs();
        a <= *tol && b <= *tol
    }

    /// At least `tol` apart for certain.
    fn apart(&self, o: &Iv, tol: &Q) -> bool {
        &self.lo - &o.hi > *tol || &o.lo - &self.hi > *tol
    }
}

/// `x^n`, `n >= 0` (the sign handled by monotone pieces).
fn pow_natural(x: &Iv, n: u32) -> Iv {
    let p = |v: &Q| num_traits::pow(v.clone(), n as usize);
    if n == 0 {
        return Iv::point(Q::one());
    }
    if !x.lo.is_negative() {
        return Iv::new(p(&x.lo), p(&x.hi));
    }
    if n % 2 == 1 {
        return Iv::new(p(&x.lo), p(&x.hi));
    }
    let a = x.abs();
    Iv::new(p(&a.lo), p(&a.hi))
}

/// The `q`-th root of `x >= 0`, rounded down or up.
fn root(x: &Q, q: u32, up: bool) -> Q {
    let scale = PRECISION + 8;
    let scaled = x * pow2(q as i64 * scale);
    let n = if up { scaled.ceil() } else { scaled.floor() }.to_integer();
    let mut r = n.nth_root(q);
    if up && num_traits::pow(r.clone(), q as usize) != n {
        r += 1;
    }
    Q::from_integer(r) * pow2(-scale)
}

/// `ln 2` as an interval: `Σ_{j>=1} 1/(j·2^j)`, the tail after `n` terms at most `1/((n+1)·2^n)`.
fn ln2() -> Iv {
    static LN2: std::sync::OnceLock<Iv> = std::sync::OnceLock::new();
    LN2.get_or_init(ln2_series).clone()
}

fn ln2_series() -> Iv {
    // Σ 1/(j 2^j) in fixed point: each term truncated (at most 1 unit off),
    // the tail after the terms reach 0 at most 2 units
    let one = BigInt::one() << SERIES_BITS as usize;
    let mut sum = BigInt::zero();
    let mut j = 1i64;
    loop {
        let term = (&one >> j as usize) / BigInt::from(j);
        if term.is_zero() {
            return fixed(sum, j + 2);
        }
        sum += term;
        j += 1;
    }
}

/// Bits of the fixed-point series sums (units of `2^-SERIES_BITS`).
const SERIES_BITS: i64 = PRECISION + 40;

/// `[sum − err, sum + err] · 2^-SERIES_BITS`.
fn fixed(sum: BigInt, err: i64) -> Iv {
    let unit = pow2(-SERIES_BITS);
    let err = BigInt::from(err);
    Iv::new(
        Q::from_integer(&sum - &err) * &unit,
        Q::from_integer(sum + err) * unit,
    )
}

/// `ln(1 + u)` for a rational `|u| <= 1/3`: `−Σ_{n>=1} (−u)^n / n` in fixed
/// point. Each truncated power is off by at most 1.5 units (the error
/// shrinks by `|u| <= 1/3` per step and one truncation adds at most 1), each
/// term by at most 2.5; once a power is at most 1 unit the tail is below 2.
fn ln1p(u: &Q) -> Iv {
    let (a, d) = ((-u).numer().clone(), u.denom().clone());
    let mut power = BigInt::one() << SERIES_BITS as usize;
    let mut sum = BigInt::zero();
    let mut n = 1i64;
    loop {
        power = &power * &a / &d;
        sum -= &power / BigInt::from(n);
        if power.abs() <= BigInt::one() {
            return fixed(sum, 3 * n + 8);
        }
        n += 1;
    }
}

/// `ln x` for a rational `x > 0`: `x = 2^k · m` with `m` in `[2/3, 4/3]`.
fn ln_point(x: &Q) -> Iv {
    if x.is_one() {
        return Iv::point(Q::zero());
    }
    let mut k = x.numer().bits() as i64 - x.denom().bits() as i64;
    let mut m = x * pow2(-k);
    while m > q(4, 3) {
        m /= Q::from_integer(2.into());
        k += 1;
    }
    while m < q(2, 3) {
        m *= Q::from_integer(2.into());
        k -= 1;
    }
    let u = round(&(m - Q::one()), false);
    ln1p(&u)
        .add(&ln2().mul(&Iv::point(Q::from_integer(k.into()))))
        .add(&Iv::new(-pow2(-PRECISION), pow2(-PRECISION)))
}

/// `e^x` for a rational `x` (`x <= 2000`): `(e^(x/2^s))^(2^s)` with
/// `|x/2^s| < 2^-10`, squared in fixed point (the lower end rounded down,
/// the upper up); below -2000, `[0, 2^-2885]` (`e^-2000 < 2^-2885`).
fn exp_point(x: &Q) -> Result<Iv, Fail> {
    if *x < Q::from_integer((-2000).into()) {
        return Ok(Iv::new(Q::zero(), pow2(-2885)));
    }
    if *x > Q::from_integer(2000.into()) {
        return Err(Fail::Unsure);
    }
    let top = (x.numer().bits() as i64 - x.denom().bits() as i64).max(0);
    let s = top + 12;
    let (mut lo, mut hi) = exp_small(&(x * pow2(-s)));
    let w = SERIES_BITS as usize;
    for _ in 0..s {
        lo = (&lo * &lo) >> w;
        let square = &hi * &hi;
        hi = (&square >> w) + BigInt::one();
    }
    let unit = pow2(-SERIES_BITS);
    Ok(Iv::new(
        Q::from_integer(lo) * &unit,
        Q::from_integer(hi) * unit,
    ))
}

/// `e^y` for a rational `|y| < 2^-10`: the Taylor series in fixed point,
/// `(lo, hi)` in units of `2^-SERIES_BITS`. Each truncated term is off by at
/// most 2 units (the error shrinks by `|y|/k` per step, one truncation adds
/// at most 1); once a term is at most 1 unit the tail is below 2.
fn exp_small(y: &Q) -> (BigInt, BigInt) {
    let (a, d) = (y.numer().clone(), y.denom().clone());
    let mut term = BigInt::one() << SERIES_BITS as usize;
    let mut sum = term.clone();
    let mut k = 1i64;
    loop {
        term = &term * &a / (&d * BigInt::from(k));
        sum += &term;
        if term.abs() <= BigInt::one() {
            let err = BigInt::from(2 * k + 8);
            return (&sum - &err, sum + err);
        }
        k += 1;
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fun {
    Abs,
    Relu,
    H,
    Sign,
    Floor,
    Sqrt,
    Ln,
    Exp,
}

const FUNS: [Fun; 8] = [
    Fun::Abs,
    Fun::Relu,
    Fun::H,
    Fun::Sign,
    Fun::Floor,
    Fun::Sqrt,
    Fun::Ln,
    Fun::Exp,
];

impl Fun {
    fn name(self) -> &'static str {
        match self {
            Fun::Abs => "abs",
            Fun::Relu => "relu",
            Fun::H => "H",
            Fun::Sign => "sign",
            Fun::Floor => "floor",
            Fun::Sqrt => "sqrt",
            Fun::Ln => "ln",
            Fun::Exp => "exp",
        }
    }
}

/// A generated expression. `X` and `Y` are reals, `P` is positive, `K` is a limit's variable.
#[derive(Clone, Debug)]
enum E {
    X,
    Y,
    P,
    K,
    C(Q),
    Add(Box<E>, Box<E>),
    Sub(Box<E>, Box<E>),
    Mul(Box<E>, Box<E>),
    Div(Box<E>, Box<E>),
    PowI(Box<E>, i32),
    PowQ(Box<E>, i64, i64),
    F(Fun, Box<E>),
}

use E::*;

fn b(e: E) -> Box<E> {
    Box::new(e)
}

fn f(fun: Fun, e: E) -> E {
    F(fun, b(e))
}

fn show_q(r: &Q) -> String {
    if r.is_negative() {
        format!("(-{})", show_q(&-r))
    } else if r.is_integer() {
        r.to_string()
    } else {
        format!("({r})")
    }
}

impl E {
    fn text(&self) -> String {
        match self {
            X => "x".into(),
            Y => "y".into(),
            P => "p".into(),
            K => "k".into(),
            C(r) => show_q(r),
            Add(a, c) => format!("({} + {})", a.text(), c.text()),
            Sub(a, c) => format!("({} - {})", a.text(), c.text()),
            Mul(a, c) => format!("({} * {})", a.text(), c.text()),
            Div(a, c) => format!("({} / {})", a.text(), c.text()),
            PowI(a, n) if *n < 0 => format!("({})^({n})", a.text()),
            PowI(a, n) => format!("({})^{n}", a.text()),
            PowQ(a, n, d) => format!("({})^({n}/{d})", a.text()),
            F(fun, a) => format!("{}({})", fun.name(), a.text()),
        }
    }

    fn has(&self, v: &dyn Fn(&E) -> bool) -> bool {
        if v(self) {
            return true;
        }
        match self {
            Add(a, c) | Sub(a, c) | Mul(a, c) | Div(a, c) => a.has(v) || c.has(v),
            PowI(a, _) | PowQ(a, _, _) | F(_, a) => a.has(v),
            _ => false,
        }
    }
}

/// The values of the variables at one point.
#[derive(Clone, Debug, Default)]
struct Pt {
    x: Q,
    y: Q,
    p: Q,
    k: Q,
}

fn ev(e: &E, pt: &Pt) -> R {
    Ok(match e {
        X => Iv::point(pt.x.clone()),
        Y => Iv::point(pt.y.clone()),
        P => Iv::point(pt.p.clone()),
        K => Iv::point(pt.k.clone()),
        C(r) => Iv::point(r.clone()),
        Add(a, c) => ev(a, pt)?.add(&ev(c, pt)?),
        Sub(a, c) => ev(a, pt)?.sub(&ev(c, pt)?),
        Mul(a, c) => ev(a, pt)?.mul(&ev(c, pt)?),
        Div(a, c) => {
            let (a, c) = (ev(a, pt), ev(c, pt));
            let inv = c?.recip()?;
            a?.mul(&inv)
        }
        PowI(a, n) => {
            let a = ev(a, pt)?;
            if *n == 0 {
                if a.lo.is_zero() && a.hi.is_zero() {
                    return Err(Fail::Undefined);
                }
                if !a.lo.is_positive() && !a.hi.is_negative() {
                    return Err(Fail::Unsure);
                }
                return Ok(Iv::point(Q::one()));
            }
            let p = pow_natural(&a, n.unsigned_abs());
            if *n < 0 {
                p.recip()?
            } else {
                p
            }
        }
        PowQ(a, n, d) => {
            let a = ev(a, pt)?;
            if a.hi.is_negative() {
                return Err(Fail::Undefined);
            }
            if a.is_point() && a.lo.is_zero() {
                return if *n > 0 {
                    Ok(Iv::point(Q::zero()))
                } else {
                    Err(Fail::Undefined)
                };
            }
            if !a.lo.is_positive() {
                return Err(Fail::Unsure);
            }
            let r = Iv::new(root(&a.lo, *d as u32, false), root(&a.hi, *d as u32, true));
            let p = pow_natural(&r, n.unsigned_abs() as u32);
            if *n < 0 {
                p.recip()?
            } else {
                p
            }
        }
        F(fun, a) => {
            let a = ev(a, pt)?;
            let step = |at_zero: Q, below: Q, above: Q| -> R {
                if a.lo.is_positive() {
                    Ok(Iv::point(above))
                } else if a.hi.is_negative() {
                    Ok(Iv::point(below))
                } else if a.lo.is_zero() && a.hi.is_zero() {
                    Ok(Iv::point(at_zero))
                } else {
                    Err(Fail::Unsure)
                }
            };
            match fun {
                Fun::Abs => a.abs(),
                Fun::Relu => Iv::new(a.lo.clone().max(Q::zero()), a.hi.clone().max(Q::zero())),
                Fun::H => step(q(1, 2), Q::zero(), Q::one())?,
                Fun::Sign => step(Q::zero(), -Q::one(), Q::one())?,
                Fun::Floor => {
                    let (lo, hi) = (a.lo.floor(), a.hi.floor());
                    if lo != hi {
                        return Err(Fail::Unsure);
                    }
                    Iv::point(lo)
                }
                Fun::Sqrt => {
                    if a.hi.is_negative() {
                        return Err(Fail::Undefined);
                    }
                    if a.lo.is_negative() {
                        return Err(Fail::Unsure);
                    }
                    Iv::new(root(&a.lo, 2, false), root(&a.hi, 2, true))
                }
                Fun::Ln => {
                    if !a.hi.is_positive() {
                        return Err(Fail::Undefined);
                    }
                    if !a.lo.is_positive() {
                        return Err(Fail::Unsure);
                    }
                    let (lo, hi) = (ln_point(&a.lo), ln_point(&a.hi));
                    Iv::new(lo.lo, hi.hi)
                }
                Fun::Exp if a.is_point() && a.lo.is_zero() => Iv::point(Q::one()),
                Fun::Exp => {
                    let (lo, hi) = (exp_point(&a.lo)?, exp_point(&a.hi)?);
                    Iv::new(lo.lo, hi.hi)
                }
            }
        }
    })
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize].clone()
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn small(&mut self) -> Q {
        let choices = [
            q(0, 1),
            q(1, 1),
            q(-1, 1),
            q(2, 1),
            q(-2, 1),
            q(3, 1),
            q(1, 2),
            q(-1, 2),
            q(1, 3),
            q(5, 2),
            q(-7, 3),
        ];
        self.pick(&choices)
    }

    /// A random expression in the variables `vars`, at most `depth` deep.
    fn expr(&mut self, depth: u32, vars: &[E]) -> E {
        if depth == 0 || self.chance(25) {
            return if self.chance(70) {
                self.pick(vars)
            } else {
                C(self.small())
            };
        }
        let sub = |r: &mut Rng| r.expr(depth - 1, vars);
        match self.below(12) {
            0 => Add(b(sub(self)), b(sub(self))),
            1 => Sub(b(sub(self)), b(sub(self))),
            2 => Mul(b(sub(self)), b(sub(self))),
            3 => Div(b(sub(self)), b(sub(self))),
            4 => PowI(b(sub(self)), self.pick(&[2, 3, -1, 0])),
            5 => {
                let (n, d) = self.pick(&[(1, 2), (1, 3), (2, 3), (3, 2), (-1, 2)]);
                PowQ(b(sub(self)), n, d)
            }
            _ => {
                let fun = self.pick(&FUNS);
                f(fun, sub(self))
            }
        }
    }
}

/// Its true counterpart and a near miss: identities around the kink functions.
fn identity(r: &mut Rng, u: E, v: E) -> (E, E, bool) {
    let cases: Vec<(E, E, bool)> = vec![
        (
            f(Fun::Relu, u.clone()),
            Div(
                b(Add(b(u.clone()), b(f(Fun::Abs, u.clone())))),
                b(C(q(2, 1))),
            ),
            true,
        ),
        (
            f(Fun::Relu, u.clone()),
            Div(
                b(Sub(b(u.clone()), b(f(Fun::Abs, u.clone())))),
                b(C(q(2, 1))),
            ),
            false,
        ),
        (
            Mul(b(u.clone()), b(f(Fun::Sign, u.clone()))),
            f(Fun::Abs, u.clone()),
            true,
        ),
        (
            Mul(b(u.clone()), b(f(Fun::H, u.clone()))),
            f(Fun::Relu, u.clone()),
            true,
        ),
        (f(Fun::H, u.clone()), f(Fun::Sign, u.clone()), false),
        (
            Add(
                b(f(Fun::H, u.clone())),
                b(f(Fun::H, Sub(b(C(Q::zero())), b(u.clone())))),
            ),
            C(Q::one()),
            true,
        ),
        (
            Add(b(f(Fun::Sign, u.clone())), b(C(Q::one()))),
            Mul(b(C(q(2, 1))), b(f(Fun::H, u.clone()))),
            true,
        ),
        (
            f(Fun::Sqrt, PowI(b(u.clone()), 2)),
            f(Fun::Abs, u.clone()),
            true,
        ),
        (f(Fun::Sqrt, PowI(b(u.clone()), 2)), u.clone(), false),
        (
            PowQ(b(PowI(b(u.clone()), 2)), 1, 2),
            f(Fun::Abs, u.clone()),
            true,
        ),
        (
            PowI(b(f(Fun::Abs, u.clone())), 2),
            PowI(b(u.clone()), 2),
            true,
        ),
        (
            f(Fun::Floor, Add(b(u.clone()), b(C(Q::one())))),
            Add(b(f(Fun::Floor, u.clone())), b(C(Q::one()))),
            true,
        ),
        (
            f(Fun::Floor, Sub(b(C(Q::zero())), b(u.clone()))),
            Sub(b(C(Q::zero())), b(f(Fun::Floor, u.clone()))),
            false,
        ),
        (
            f(
                Fun::Ln,
                Mul(b(f(Fun::Exp, u.clone())), b(f(Fun::Exp, v.clone()))),
            ),
            Add(b(u.clone()), b(v.clone())),
            true,
        ),
        (
            f(Fun::Ln, PowI(b(u.clone()), 2)),
            Mul(b(C(q(2, 1))), b(f(Fun::Ln, f(Fun::Abs, u.clone())))),
            true,
        ),
        (
            f(Fun::Ln, PowI(b(u.clone()), 2)),
            Mul(b(C(q(2, 1))), b(f(Fun::Ln, u.clone()))),
            false,
        ),
        (Mul(b(PowQ(b(P), 1, 3)), b(PowQ(b(P), 2, 3))), P, true),
        (PowQ(b(PowI(b(u.clone()), 3)), 1, 3), u.clone(), false),
        (
            f(Fun::Abs, Mul(b(u.clone()), b(v.clone()))),
            Mul(b(f(Fun::Abs, u.clone())), b(f(Fun::Abs, v.clone()))),
            true,
        ),
        (
            f(Fun::Relu, Mul(b(u.clone()), b(v.clone()))),
            Mul(b(f(Fun::Relu, u.clone())), b(f(Fun::Relu, v.clone()))),
            false,
        ),
        (
            f(Fun::Relu, f(Fun::Relu, u.clone())),
            f(Fun::Relu, u.clone()),
            true,
        ),
        (f(Fun::Sign, f(Fun::Exp, u.clone())), C(Q::one()), true),
        (
            f(Fun::Floor, f(Fun::Floor, u.clone())),
            f(Fun::Floor, u.clone()),
            true,
        ),
        (
            f(Fun::Sqrt, Mul(b(u.clone()), b(u.clone()))),
            Mul(b(f(Fun::Sign, u.clone())), b(u.clone())),
            true,
        ),
    ];
    r.pick(&cases)
}

/// The derivative of `e` by `x` with the textbook rules (relu' = H, |u|' =
/// sign(u), H' = sign' = floor' = 0): right off the kinks, wrong at them.
fn textbook_derivative(e: &E) -> E {
    let d = textbook_derivative;
    match e {
        X => C(Q::one()),
        Y | P | K | C(_) => C(Q::zero()),
        Add(a, c) => Add(b(d(a)), b(d(c))),
        Sub(a, c) => Sub(b(d(a)), b(d(c))),
        Mul(a, c) => Add(b(Mul(b(d(a)), c.clone())), b(Mul(a.clone(), b(d(c))))),
        Div(a, c) => Div(
            b(Sub(b(Mul(b(d(a)), c.clone())), b(Mul(a.clone(), b(d(c)))))),
            b(PowI(c.clone(), 2)),
        ),
        PowI(a, n) => Mul(
            b(Mul(b(C(q(*n as i64, 1))), b(PowI(a.clone(), n - 1)))),
            b(d(a)),
        ),
        PowQ(a, n, m) => Mul(
            b(Mul(b(C(q(*n, *m))), b(PowQ(a.clone(), n - m, *m)))),
            b(d(a)),
        ),
        F(fun, a) => {
            let outer = match fun {
                Fun::Abs => f(Fun::Sign, (**a).clone()),
                Fun::Relu => f(Fun::H, (**a).clone()),
                Fun::H | Fun::Sign | Fun::Floor => C(Q::zero()),
                Fun::Sqrt => Div(b(C(q(1, 2))), b(f(Fun::Sqrt, (**a).clone()))),
                Fun::Ln => Div(b(C(Q::one())), a.clone()),
                Fun::Exp => f(Fun::Exp, (**a).clone()),
            };
            Mul(b(outer), b(d(a)))
        }
    }
}

/// One generated claim and what the reference needs to judge it.
#[derive(Clone, Debug)]
enum Claim {
    /// `lhs = rhs`, with `x` pinned to a value or free.
    Equal { lhs: E, rhs: E, pin: Option<Q> },
    /// `d/dx body = rhs`, pinned or free.
    Derivative { body: E, rhs: E, pin: Option<Q> },
    /// `lim k -> inf of body = value` (`x` and `p` free).
    Limit { body: E, value: E },
}

impl Claim {
    fn text(&self) -> String {
        let pin = |p: &Option<Q>| {
            p.as_ref()
                .map(|c| format!(" where x == {}", show_q(c)))
                .unwrap_or_default()
        };
        match self {
            Claim::Equal { lhs, rhs, pin: p } => {
                format!("claim {} = {}{}", lhs.text(), rhs.text(), pin(p))
            }
            Claim::Derivative { body, rhs, pin: p } => {
                format!("claim d/dx ({}) = {}{}", body.text(), rhs.text(), pin(p))
            }
            Claim::Limit { body, value } => {
                format!("claim lim k -> inf of {} = {}", body.text(), value.text())
            }
        }
    }
}

fn pins(r: &mut Rng) -> Q {
    r.pick(&[
        q(0, 1),
        q(1, 1),
        q(-1, 1),
        q(2, 1),
        q(1, 2),
        q(-1, 2),
        q(1, 3),
        q(3, 1),
    ])
}

/// The claims of one run: each kind drawn `n` times.
fn claims(r: &mut Rng, n: usize) -> Vec<Claim> {
    let mut out = Vec::new();
    let vars = [X, Y, P];
    for _ in 0..n {
        // two random sides: mostly false, so mostly refutations
        out.push(Claim::Equal {
            lhs: r.expr(3, &vars),
            rhs: r.expr(3, &vars),
            pin: None,
        });
        // an identity (or a near miss) around a random argument
        let (u, v) = (r.expr(2, &[X, Y]), r.expr(1, &vars));
        let (lhs, rhs, _) = identity(r, u, v);
        let pin = r.chance(30).then(|| pins(r));
        out.push(Claim::Equal { lhs, rhs, pin });
        // a random claim at a pinned point (often at a kink)
        out.push(Claim::Equal {
            lhs: r.expr(3, &[X, P]),
            rhs: r.expr(2, &[X, P]),
            pin: Some(pins(r)),
        });
        // a derivative: the textbook rule (wrong at kinks), or a near miss
        let body = r.expr(3, &[X, X, C(q(1, 2))]);
        let mut rhs = textbook_derivative(&body);
        if r.chance(30) {
            rhs = Add(b(rhs), b(C(r.pick(&[q(1, 1), q(-1, 2), q(1, 1000)]))));
        }
        let pin = r.chance(60).then(|| pins(r));
        out.push(Claim::Derivative { body, rhs, pin });
        out.push(limit_claim(r));
    }
    out
}

/// A limit: a ratio of polynomials in `k`, or a difference quotient `k·(g(x + 1/k) − g(x))`.
fn limit_claim(r: &mut Rng) -> Claim {
    if r.chance(50) {
        let poly = |r: &mut Rng, degree: i32| -> (E, i64) {
            let lead = r.pick(&[1i64, 2, -3, 5]);
            let mut e = Mul(b(C(q(lead, 1))), b(PowI(b(K), degree)));
            for d in 0..degree {
                let c = r.pick(&[0i64, 1, -2, 7]);
                e = Add(b(e), b(Mul(b(C(q(c, 1))), b(PowI(b(K), d)))));
            }
            (e, lead)
        };
        let (dn, dd) = (r.pick(&[0, 1, 2]), r.pick(&[1, 2]));
        let (num, a) = poly(r, dn);
        let (den, c) = poly(r, dd);
        let truth = if dn == dd { q(a, c) } else { Q::zero() };
        let value = if r.chance(70) {
            truth
        } else {
            truth + r.pick(&[q(1, 1), q(-1, 3), q(1, 100)])
        };
        let body = Div(b(num), b(den));
        // sometimes with a decaying extra term
        let body = if r.chance(30) {
            Add(b(body), b(f(Fun::Exp, Sub(b(C(Q::zero())), b(K)))))
        } else {
            body
        };
        return Claim::Limit {
            body,
            value: C(value),
        };
    }
    let g = r.pick(&[
        f(Fun::Exp, X),
        f(Fun::Ln, P),
        f(Fun::Sqrt, P),
        PowI(b(X), 3),
        PowQ(b(P), 3, 2),
        Mul(b(X), b(f(Fun::Exp, X))),
    ]);
    let shift = |e: &E| -> E { subst_step(e) };
    let body = Mul(b(K), b(Sub(b(shift(&g)), b(g.clone()))));
    let mut value = derivative_in_x_or_p(&g);
    if r.chance(30) {
        value = Mul(b(value), b(C(r.pick(&[q(2, 1), q(1, 2), q(-1, 1)]))));
    }
    Claim::Limit { body, value }
}

/// `g` with its variable (`x` or `p`) moved by `1/k`.
fn subst_step(e: &E) -> E {
    let step = |v: E| Add(b(v), b(Div(b(C(Q::one())), b(K))));
    match e {
        X => step(X),
        P => step(P),
        Add(a, c) => Add(b(subst_step(a)), b(subst_step(c))),
        Sub(a, c) => Sub(b(subst_step(a)), b(subst_step(c))),
        Mul(a, c) => Mul(b(subst_step(a)), b(subst_step(c))),
        Div(a, c) => Div(b(subst_step(a)), b(subst_step(c))),
        PowI(a, n) => PowI(b(subst_step(a)), *n),
        PowQ(a, n, d) => PowQ(b(subst_step(a)), *n, *d),
        F(fun, a) => F(*fun, b(subst_step(a))),
        other => other.clone(),
    }
}

/// The derivative of `g` by its variable (the generated `g`s are smooth).
fn derivative_in_x_or_p(g: &E) -> E {
    let swap = |e: &E| -> E { swap_x_p(e) };
    if g.has(&|e| matches!(e, P)) {
        // differentiate with p renamed to x, then rename back
        return swap(&textbook_derivative(&swap(g)));
    }
    textbook_derivative(g)
}

fn swap_x_p(e: &E) -> E {
    match e {
        X => P,
        P => X,
        Add(a, c) => Add(b(swap_x_p(a)), b(swap_x_p(c))),
        Sub(a, c) => Sub(b(swap_x_p(a)), b(swap_x_p(c))),
        Mul(a, c) => Mul(b(swap_x_p(a)), b(swap_x_p(c))),
        Div(a, c) => Div(b(swap_x_p(a)), b(swap_x_p(c))),
        PowI(a, n) => PowI(b(swap_x_p(a)), *n),
        PowQ(a, n, d) => PowQ(b(swap_x_p(a)), *n, *d),
        F(fun, a) => F(*fun, b(swap_x_p(a))),
        other => other.clone(),
    }
}

/// Points a proof is tested at: small integers and fractions, tiny and large
/// values, near the integers, random rationals.
fn grid(r: &mut Rng) -> Vec<Q> {
    let mut xs: Vec<Q> = (-4..=4).map(|n| q(n, 1)).collect();
    for (n, d) in [
        (1, 2),
        (-1, 2),
        (1, 3),
        (-2, 3),
        (5, 2),
        (-7, 2),
        (1, 1000),
        (-1, 1000),
    ] {
        xs.push(q(n, d));
    }
    xs.push(pow2(-40));
    xs.push(-pow2(-40));
    xs.push(q(1000, 1));
    xs.push(q(-999, 1));
    xs.push(Q::one() + pow2(-50));
    xs.push(Q::one() - pow2(-50));
    for _ in 0..8 {
        let n = r.below(2001) as i64 - 1000;
        let d = r.below(97) as i64 + 1;
        xs.push(q(n, d));
    }
    xs
}

/// The points a proof of `claim` is tested at (a pin fixes `x`).
fn proof_points(r: &mut Rng, pin: &Option<Q>) -> Vec<Pt> {
    let xs = grid(r);
    let positives: Vec<Q> = xs.iter().filter(|v| v.is_positive()).cloned().collect();
    let mut out = Vec::new();
    for (k, x) in xs.iter().enumerate() {
        let x = pin.clone().unwrap_or_else(|| x.clone());
        let y = xs[(k * 7 + 3) % xs.len()].clone();
        let p = positives[(k * 5 + 1) % positives.len()].clone();
        out.push(Pt {
            x,
            y,
            p,
            k: Q::zero(),
        });
    }
    out
}

/// The one-sided difference quotients of `body` at `pt.x` with step `h`
/// (left, right); a side where `body` has no value is an `Err`.
fn quotients(body: &E, pt: &Pt, h: &Q) -> (R, R) {
    let at = |x: Q| {
        let mut moved = pt.clone();
        moved.x = x;
        ev(body, &moved)
    };
    let center = match at(pt.x.clone()) {
        Ok(c) => c,
        Err(e) => return (Err(e), Err(e)),
    };
    let step = Iv::point(h.recip());
    let right = at(&pt.x + h).map(|v| v.sub(&center).mul(&step));
    let left = at(&pt.x - h).map(|v| center.sub(&v).mul(&step));
    (left, right)
}

/// What the reference says about a claim at one point, for a proof: `Err`
/// names a disagreement; `Ok(false)` when it cannot judge there.
fn agrees_at(claim: &Claim, pt: &Pt) -> Result<bool, String> {
    match claim {
        Claim::Equal { lhs, rhs, .. } => match (ev(lhs, pt), ev(rhs, pt)) {
            (Ok(a), Ok(c)) if a.differs(&c) => Err(format!("{a:?} vs {c:?}")),
            (Ok(_), Ok(_)) => Ok(true),
            _ => Ok(false),
        },
        Claim::Derivative { body, rhs, .. } => {
            let Ok(value) = ev(rhs, pt) else {
                return Ok(false);
            };
            let (left, right) = quotients(body, pt, &pow2(-100));
            let tol = pow2(-25) * value.lo.abs().max(Q::one());
            let sides: Vec<Iv> = [left, right].into_iter().flatten().collect();
            if sides.is_empty() {
                return Ok(false);
            }
            if sides.iter().all(|q| q.within(&value, &tol)) {
                Ok(true)
            } else {
                let shown: Vec<f64> = sides.iter().map(mid).collect();
                Err(format!(
                    "quotients {shown:?}, right side {:.6}",
                    mid(&value)
                ))
            }
        }
        Claim::Limit { body, value } => {
            let mut far = pt.clone();
            far.k = pow2(80);
            let (Ok(v), Ok(l)) = (ev(body, &far), ev(value, pt)) else {
                return Ok(false);
            };
            let tol = pow2(-30) * l.lo.abs().max(Q::one());
            if v.within(&l, &tol) {
                Ok(true)
            } else {
                Err(format!(
                    "body at k = 2^80 is {:.6}, value {:.6}",
                    mid(&v),
                    mid(&l)
                ))
            }
        }
    }
}

/// Whether the reference confirms a refutation at `pt`: `Err` says why not.
fn confirms(claim: &Claim, pt: &Pt) -> Result<(), String> {
    match claim {
        Claim::Equal { lhs, rhs, .. } => match (ev(lhs, pt), ev(rhs, pt)) {
            (Ok(a), Ok(c)) if a.differs(&c) => Ok(()),
            (a, c) => Err(format!("reference: {a:?} vs {c:?}")),
        },
        Claim::Derivative { body, rhs, .. } => {
            let value = ev(rhs, pt).map_err(|e| format!("right side: {e:?}"))?;
            let (left, right) = quotients(body, pt, &pow2(-100));
            let tol = pow2(-25) * value.lo.abs().max(Q::one());
            let sides: Vec<Iv> = [left, right].into_iter().flatten().collect();
            if sides.is_empty() {
                return Err("the function has no value beside the point".to_string());
            }
            if sides.iter().all(|q| q.within(&value, &tol)) {
                return Err(format!(
                    "both quotients are within 2^-25 of {:.6}",
                    mid(&value)
                ));
            }
            Ok(())
        }
        Claim::Limit { body, value } => {
            let l = ev(value, pt).map_err(|e| format!("value: {e:?}"))?;
            let tol = pow2(-20) * l.lo.abs().min(Q::one());
            for e in [80, 120] {
                let mut far = pt.clone();
                far.k = pow2(e);
                let v = ev(body, &far).map_err(|f| format!("body at 2^{e}: {f:?}"))?;
                if !v.apart(&l, &tol) {
                    return Err(format!(
                        "body at 2^{e} is {:.9}, value {:.9}",
                        mid(&v),
                        mid(&l)
                    ));
                }
            }
            Ok(())
        }
    }
}

fn mid(v: &Iv) -> f64 {
    ((&v.lo + &v.hi) / Q::from_integer(2.into()))
        .to_f64()
        .unwrap_or(f64::NAN)
}

const HEADER: &str = "var x, y : real\nvar p : positive\n";

/// The counterexample's point (`x`, `y`, `p` as reported; absent ones 0, or 1 for `p`).
fn point_of(assignment: &[(String, String)]) -> Result<Pt, String> {
    let mut pt = Pt {
        p: Q::one(),
        ..Pt::default()
    };
    for (name, value) in assignment {
        let v = Q::from_str(value).map_err(|_| format!("`{name} = {value}` is not exact"))?;
        match name.as_str() {
            "x" => pt.x = v,
            "y" => pt.y = v,
            "p" => pt.p = v,
            other => return Err(format!("unexpected variable `{other}`")),
        }
    }
    Ok(pt)
}

/// Counts of what was judged, for the message.
#[derive(Default, Debug)]
struct Tally {
    proved: usize,
    refuted: usize,
    other: usize,
    /// proofs with fewer than 3 points the reference could judge
    thin: usize,
}

fn run(seed: u64, n: usize) -> (Tally, Vec<String>) {
    let mut r = Rng(seed);
    let all = claims(&mut r, n);
    let mut text = String::from(HEADER);
    for c in &all {
        writeln!(text, "{}", c.text()).expect("write to a string");
    }
    let config = CheckConfig {
        seed,
        points: 24,
        ..CheckConfig::default()
    };
    let report = check_source(
        SourceFile::new("reference.nabla", text.clone()),
        &Defs::default(),
        &config,
    );
    let mut failures = Vec::new();
    for d in &report.diagnostics {
        failures.push(format!("diagnostic: {} in\n{text}", d.message));
    }
    let mut tally = Tally::default();
    for row in &report.results {
        let Some(claim) = all.get(row.line - 3) else {
            failures.push(format!("a result on line {} beyond the claims", row.line));
            continue;
        };
        let pin = match claim {
            Claim::Equal { pin, .. } | Claim::Derivative { pin, .. } => pin.clone(),
            Claim::Limit { .. } => None,
        };
        match &row.verdict {
            Verdict::Refuted { counterexample } => {
                tally.refuted += 1;
                let judged = point_of(&counterexample.assignment).and_then(|pt| {
                    if pin.as_ref().is_some_and(|c| *c != pt.x) {
                        return Err(format!("x = {} is not the pinned point", pt.x));
                    }
                    confirms(claim, &pt)
                });
                if let Err(why) = judged {
                    failures.push(format!(
                        "false refuted? {} at {:?} (nabla: {} vs {}; {:?}): {why}",
                        claim.text(),
                        counterexample.assignment,
                        counterexample.lhs,
                        counterexample.rhs,
                        counterexample.note
                    ));
                }
            }
            Verdict::Proved { .. } => {
                tally.proved += 1;
                let mut judged = 0;
                for pt in proof_points(&mut r, &pin) {
                    match agrees_at(claim, &pt) {
                        Ok(true) => judged += 1,
                        Ok(false) => {}
                        Err(why) => {
                            failures.push(format!(
                                "false proved: {} at x = {}, y = {}, p = {}: {why}",
                                claim.text(),
                                pt.x,
                                pt.y,
                                pt.p
                            ));
                            break;
                        }
                    }
                }
                if judged < 3 {
                    tally.thin += 1;
                }
            }
            _ => tally.other += 1,
        }
    }
    (tally, failures)
}

#[test]
fn proofs_and_refutations_agree_with_an_independent_reference() {
    let n = std::env::var("NABLA_REFERENCE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut failures = Vec::new();
    let mut totals = Tally::default();
    for seed in [11u64, 2026, 7] {
        let (t, f) = run(seed, n);
        totals.proved += t.proved;
        totals.refuted += t.refuted;
        totals.other += t.other;
        totals.thin += t.thin;
        failures.extend(f);
    }
    eprintln!("reference: {totals:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // the generator must keep producing both verdicts, or the test proves nothing
    assert!(totals.proved >= 100, "too few proofs: {totals:?}");
    assert!(totals.refuted >= 200, "too few refutations: {totals:?}");
}

#[test]
fn the_reference_itself_is_right() {
    let pt = Pt {
        x: q(1, 2),
        ..Pt::default()
    };
    let near = |e: &E, v: f64| {
        let iv = ev(e, &pt).expect("defined");
        assert!(
            (mid(&iv) - v).abs() < 1e-12,
            "{} = {:?}, expected {v}",
            e.text(),
            mid(&iv)
        );
        assert!((&iv.hi - &iv.lo) < pow2(-200), "{} too wide", e.text());
    };
    near(&f(Fun::Ln, C(q(10, 1))), 10f64.ln());
    near(&f(Fun::Ln, C(q(1, 7))), (1.0f64 / 7.0).ln());
    near(&f(Fun::Exp, C(q(-37, 3))), (-37.0f64 / 3.0).exp());
    near(&f(Fun::Exp, X), 0.5f64.exp());
    near(&f(Fun::Sqrt, C(q(2, 1))), 2f64.sqrt());
    near(&PowQ(b(C(q(5, 1))), 2, 3), 5f64.powf(2.0 / 3.0));
    assert_eq!(ev(&f(Fun::H, C(Q::zero())), &pt).map(|v| v.lo), Ok(q(1, 2)));
    assert_eq!(
        ev(&f(Fun::Ln, C(Q::zero())), &pt).map(|v| v.lo),
        Err(Fail::Undefined)
    );
    assert_eq!(
        ev(&PowI(b(C(Q::zero())), 0), &pt).map(|v| v.lo),
        Err(Fail::Undefined)
    );
    // ln(exp(3)) is 3 to the reference's precision
    let back = ev(&f(Fun::Ln, f(Fun::Exp, C(q(3, 1)))), &pt).expect("defined");
    assert!(back.within(&Iv::point(q(3, 1)), &pow2(-200)));
    // relu has no derivative at 0: the quotients are 0 and 1
    let (left, right) = quotients(&f(Fun::Relu, X), &Pt::default(), &pow2(-100));
    let (left, right) = (left.expect("defined"), right.expect("defined"));
    assert!(left.within(&Iv::point(Q::zero()), &pow2(-90)));
    assert!(right.within(&Iv::point(Q::one()), &pow2(-90)));
}
