//! Concrete stand-ins for uninterpreted functions, with exact or rigorous derivatives of any order.
//!
//! A checker instantiates `f(x)` or `x(u)_i` with one of these smooth maps to
//! sample a claim. All inputs of an application are flattened into one vector
//! `u` (a scalar argument is one entry, a vector argument its entries in order),
//! and every output `k` is a *ridge map*
//!
//! ```text
//! f_k(u) = a + Σ_j b_j u_j + Σ_t c_t · tanh(Σ_j d_tj u_j + e_t)
//! ```
//!
//! whose partial derivatives are closed-form: a derivative of total order `n`
//! along directions `j_1..j_n` is `b_j` (order 1 only) plus
//! `Σ_t c_t · tanh⁽ⁿ⁾(z_t) · Π d_t,j_i`, and `tanh⁽ⁿ⁾ = P_n(tanh)` for integer
//! polynomials `P_0 = T`, `P_{n+1} = P_n'(T)·(1 − T²)`. So `FnDeriv` evaluates
//! from the same family, consistently with `Apply`. Two `tanh` terms keep the
//! Hessian from being rank one (a single ridge would satisfy identities that
//! general functions do not). A polynomial is also offered for scalar maps.
//!
//! The sampler draws each point's map from a [`Family`]: the smooth ridge
//! above, or the same shape with other wave profiles and scales (a cubic and a
//! square for polynomial growth, sines for oscillation, steep `tanh` steps),
//! so a claim that holds only for tame functions is refuted. Every profile has
//! closed-form derivatives of any order (`sin⁽ⁿ⁾(z) = sin(z + nπ/2)`).

use super::interval::Interval;
use super::value::{add, mul, sum_all, Value};
use super::{EvalError, MAX_FN_DERIV_ORDER};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};

/// A concrete smooth map bound to an uninterpreted function symbol.
#[derive(Clone, Debug, PartialEq)]
pub enum Function {
    /// `Σ_k c_k t^k` with coefficients from the constant term up; one scalar input, exact.
    Poly(Vec<BigRational>),
    /// One ridge map per output (output `k` is entry `k - 1`).
    Ridge(Vec<RidgeMap>),
    /// Ridge maps with small rational coefficients drawn deterministically from
    /// the seed, the output index and the input position, for any number of
    /// inputs and outputs (see [`RidgeMap::seeded`]).
    Seeded(u64),
    /// A seeded map from one [`Family`] (`Family::Smooth` is `Seeded`).
    Sampled { family: Family, seed: u64 },
}

/// The kinds of random maps a sample point binds an uninterpreted function to,
/// so a claim that holds only for tame functions is caught. Every family is
/// smooth (derivatives of any order, in closed form) and evaluates exactly or
/// with rigorous enclosures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Linear plus two gentle `tanh` ridges: slope and excursion below 3.
    Smooth,
    /// Linear plus a cubic and a square ridge: grows like `|x|^3`.
    Polynomial,
    /// Linear plus two sine ridges of frequency 1/2 to 4.
    Oscillating,
    /// Linear plus two `tanh` steps of slope 4 to 32 and height up to 4.
    Steep,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Smooth,
        Family::Polynomial,
        Family::Oscillating,
        Family::Steep,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Smooth => "smooth",
            Family::Polynomial => "polynomial",
            Family::Oscillating => "oscillating",
            Family::Steep => "steep",
        }
    }

    /// The ridge map of output `output` on `inputs` flattened inputs, and the
    /// profile of each of its two waves.
    fn map(self, seed: u64, output: usize, inputs: usize) -> (RidgeMap, [Profile; 2]) {
        let mut map = RidgeMap::seeded(seed, output, inputs);
        let (amplitude, weight, profiles) = match self {
            Family::Smooth => return (map, [Profile::Tanh, Profile::Tanh]),
            Family::Polynomial => (2, 2, [Profile::Cube, Profile::Square]),
            Family::Oscillating => (2, 4, [Profile::Sin, Profile::Sin]),
            Family::Steep => (4, 32, [Profile::Tanh, Profile::Tanh]),
        };
        let (amplitude, weight) = (
            BigRational::from_integer(BigInt::from(amplitude)),
            BigRational::from_integer(BigInt::from(weight)),
        );
        for wave in &mut map.waves {
            wave.amplitude *= &amplitude;
            for w in &mut wave.weights {
                *w *= &weight;
            }
        }
        (map, profiles)
    }
}

/// The one-variable shape of a wave: `tanh`, `sin`, `z³` or `z²`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    Tanh,
    Sin,
    Cube,
    Square,
}

impl Profile {
    /// The `order`-th derivative of the profile at `z`.
    fn derivative(self, z: &Value, order: usize) -> Result<Value, EvalError> {
        if order > MAX_FN_DERIV_ORDER as usize {
            return Err(EvalError::TooLarge(format!(
                "derivative of order {order} (limit {MAX_FN_DERIV_ORDER})"
            )));
        }
        let power = |n: usize| {
            let mut c = vec![BigRational::zero(); n + 1];
            c[n] = BigRational::one();
            rational_horner(&poly_derivative(&c, order), z)
        };
        match self {
            Profile::Tanh => {
                let t = super::elementary::apply(crate::expr::Func::Tanh, std::slice::from_ref(z))?;
                horner(&tanh_derivative_polynomial(order)?, &t)
            }
            Profile::Sin => {
                // sin⁽ⁿ⁾(z) = sin(z + nπ/2)
                if order == 0 && z.as_exact().is_some_and(|r| r.is_zero()) {
                    return Ok(Value::zero());
                }
                let turns = Interval::from_rational(&BigRational::from_integer(order.into()))?;
                let shifted = z.to_interval()?.add(&Interval::half_pi().mul(&turns)?)?;
                Ok(Value::Approx(shifted.sin()?))
            }
            Profile::Cube => power(3),
            Profile::Square => power(2),
        }
    }
}

/// `a + Σ_j b_j u_j + Σ_t c_t tanh(Σ_j d_tj u_j + e_t)`; missing `b_j`, `d_tj` are 0.
#[derive(Clone, Debug, PartialEq)]
pub struct RidgeMap {
    pub constant: BigRational,
    pub linear: Vec<BigRational>,
    pub waves: Vec<Wave>,
}

/// One term `amplitude · tanh(Σ_j weights_j u_j + shift)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Wave {
    pub amplitude: BigRational,
    pub weights: Vec<BigRational>,
    pub shift: BigRational,
}

impl RidgeMap {
    /// The scalar map `a + b·t + c·tanh(d·t + e)`.
    pub fn scalar(
        a: BigRational,
        b: BigRational,
        c: BigRational,
        d: BigRational,
        e: BigRational,
    ) -> RidgeMap {
        RidgeMap {
            constant: a,
            linear: vec![b],
            waves: vec![Wave {
                amplitude: c,
                weights: vec![d],
                shift: e,
            }],
        }
    }

    /// The map for output `output` (1-based) of `Function::Seeded(seed)` on
    /// `inputs` flattened inputs. Coefficients are multiples of 1/8 in
    /// [-1, 1]; amplitudes and weights are never 0, so every partial derivative
    /// is a non-trivial function.
    pub fn seeded(seed: u64, output: usize, inputs: usize) -> RidgeMap {
        let draw = |kind: u64, a: usize, b: usize| -> u64 {
            splitmix64(seed ^ splitmix64(kind ^ splitmix64((a as u64) << 32 ^ b as u64 ^ 0x5eed)))
        };
        let any_eighth = |h: u64| eighths(h % 17) - BigRational::one();
        let nonzero_eighth = |h: u64| {
            let magnitude = eighths(h % 8 + 1);
            if (h >> 32) & 1 == 1 {
                -magnitude
            } else {
                magnitude
            }
        };
        let waves = (0..2)
            .map(|t| Wave {
                amplitude: nonzero_eighth(draw(1, output, t)),
                weights: (0..inputs)
                    .map(|j| nonzero_eighth(draw(2 + t as u64, output, j)))
                    .collect(),
                shift: any_eighth(draw(4, output, t)),
            })
            .collect();
        RidgeMap {
            constant: any_eighth(draw(5, output, 0)),
            linear: (0..inputs)
                .map(|j| any_eighth(draw(6, output, j)))
                .collect(),
            waves,
        }
    }

    /// The partial derivative along `directions` (0-based input positions,
    /// one per order of differentiation; empty for the value) at `inputs`.
    pub fn derivative(&self, inputs: &[Value], directions: &[usize]) -> Result<Value, EvalError> {
        self.derivative_with(inputs, directions, &[])
    }

    /// [`RidgeMap::derivative`] with wave `t` shaped by `profiles[t]` (`tanh` when missing).
    fn derivative_with(
        &self,
        inputs: &[Value],
        directions: &[usize],
        profiles: &[Profile],
    ) -> Result<Value, EvalError> {
        let coefficient =
            |v: &[BigRational], j: usize| v.get(j).cloned().unwrap_or_else(BigRational::zero);
        let mut terms = Vec::new();
        match directions {
            [] => terms.push(Value::Exact(self.constant.clone())),
            [j] => terms.push(Value::Exact(coefficient(&self.linear, *j))),
            _ => {}
        }
        if directions.is_empty() {
            for (j, u) in inputs.iter().enumerate() {
                terms.push(mul(&Value::Exact(coefficient(&self.linear, j)), u)?);
            }
        }
        let order = directions.len();
        if order > MAX_FN_DERIV_ORDER as usize {
            return Err(EvalError::TooLarge(format!(
                "derivative of order {order} (limit {MAX_FN_DERIV_ORDER})"
            )));
        }
        for (t, wave) in self.waves.iter().enumerate() {
            let mut factor = wave.amplitude.clone();
            for &j in directions {
                factor *= coefficient(&wave.weights, j);
            }
            if factor.is_zero() {
                continue;
            }
            let mut argument = vec![Value::Exact(wave.shift.clone())];
            for (j, u) in inputs.iter().enumerate() {
                argument.push(mul(&Value::Exact(coefficient(&wave.weights, j)), u)?);
            }
            let z = sum_all(&argument)?;
            let profile = profiles.get(t).copied().unwrap_or(Profile::Tanh);
            let derivative = profile.derivative(&z, order)?;
            terms.push(mul(&Value::Exact(factor), &derivative)?);
        }
        sum_all(&terms)
    }
}

fn eighths(n: u64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(8))
}

/// SplitMix64: a small, well-mixed hash for drawing coefficients.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Integer coefficients (constant term first) of `P_n` with `tanh⁽ⁿ⁾ = P_n(tanh)`.
fn tanh_derivative_polynomial(order: usize) -> Result<Vec<BigInt>, EvalError> {
    if order > MAX_FN_DERIV_ORDER as usize {
        return Err(EvalError::TooLarge(format!(
            "derivative of order {order} (limit {MAX_FN_DERIV_ORDER})"
        )));
    }
    let mut p = vec![BigInt::zero(), BigInt::one()];
    for _ in 0..order {
        // P' · (1 − T²)
        let derivative: Vec<BigInt> = p
            .iter()
            .enumerate()
            .skip(1)
            .map(|(k, c)| c * BigInt::from(k))
            .collect();
        let mut next = vec![BigInt::zero(); derivative.len() + 2];
        for (k, c) in derivative.iter().enumerate() {
            next[k] += c;
            next[k + 2] -= c;
        }
        p = next;
    }
    Ok(p)
}

/// `Σ_k coefficients[k] · x^k` by Horner's rule on values.
fn horner(coefficients: &[BigInt], x: &Value) -> Result<Value, EvalError> {
    let mut acc = Value::zero();
    for c in coefficients.iter().rev() {
        acc = add(
            &mul(&acc, x)?,
            &Value::Exact(BigRational::from_integer(c.clone())),
        )?;
    }
    Ok(acc)
}

fn rational_horner(coefficients: &[BigRational], x: &Value) -> Result<Value, EvalError> {
    let mut acc = Value::zero();
    for c in coefficients.iter().rev() {
        acc = add(&mul(&acc, x)?, &Value::Exact(c.clone()))?;
    }
    Ok(acc)
}

impl Function {
    /// The value (no `directions`) or a partial derivative of output `output`
    /// (1-based; `None` for a scalar-valued use) at the flattened `inputs`.
    pub fn evaluate(
        &self,
        output: Option<usize>,
        inputs: &[Value],
        directions: &[usize],
    ) -> Result<Value, EvalError> {
        match self {
            Function::Poly(coefficients) => {
                let [x] = inputs else {
                    return Err(EvalError::Unsupported(format!(
                        "a polynomial function takes one scalar input, got {}",
                        inputs.len()
                    )));
                };
                if output.is_some_and(|k| k != 1) {
                    return Err(EvalError::Undefined(
                        "a scalar function has only output 1".into(),
                    ));
                }
                rational_horner(&poly_derivative(coefficients, directions.len()), x)
            }
            Function::Ridge(maps) => {
                let map = match (output, maps.as_slice()) {
                    (None, [only]) => only,
                    (None, _) => {
                        return Err(EvalError::Unsupported(
                            "a vector-valued function used without an index".into(),
                        ))
                    }
                    (Some(k), maps) => maps.get(k.wrapping_sub(1)).ok_or_else(|| {
                        EvalError::Undefined(format!(
                            "output {k} is out of range 1..={}",
                            maps.len()
                        ))
                    })?,
                };
                map.derivative(inputs, directions)
            }
            Function::Seeded(seed) => RidgeMap::seeded(*seed, output.unwrap_or(1), inputs.len())
                .derivative(inputs, directions),
            Function::Sampled { family, seed } => {
                let (map, profiles) = family.map(*seed, output.unwrap_or(1), inputs.len());
                map.derivative_with(inputs, directions, &profiles)
            }
        }
    }
}

/// The coefficients of the `order`-th derivative of a polynomial.
fn poly_derivative(coefficients: &[BigRational], order: usize) -> Vec<BigRational> {
    coefficients
        .iter()
        .enumerate()
        .skip(order)
        .map(|(k, c)| {
            let falling: BigInt = ((k - order + 1)..=k).map(BigInt::from).product();
            c * BigRational::from_integer(falling)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rat(n: i64, d: i64) -> BigRational {
        BigRational::new(BigInt::from(n), BigInt::from(d))
    }

    fn exact(n: i64, d: i64) -> Value {
        Value::Exact(rat(n, d))
    }

    #[test]
    fn tanh_derivative_polynomials() {
        // tanh' = 1 - T², tanh'' = -2T + 2T³
        let p1 = tanh_derivative_polynomial(1).expect("small order");
        assert_eq!(p1, vec![1.into(), 0.into(), BigInt::from(-1)]);
        let p2 = tanh_derivative_polynomial(2).expect("small order");
        let expected: Vec<BigInt> = vec![0.into(), (-2).into(), 0.into(), 2.into()];
        assert_eq!(p2, expected);
        assert!(matches!(
            tanh_derivative_polynomial(MAX_FN_DERIV_ORDER as usize + 1),
            Err(EvalError::TooLarge(_))
        ));
    }

    #[test]
    fn polynomial_and_its_derivatives_are_exact() {
        // p(t) = 1 + 2t + 3t²
        let p = Function::Poly(vec![rat(1, 1), rat(2, 1), rat(3, 1)]);
        let at = [exact(1, 2)];
        assert_eq!(p.evaluate(None, &at, &[]), Ok(exact(11, 4)));
        assert_eq!(p.evaluate(None, &at, &[0]), Ok(exact(5, 1)));
        assert_eq!(p.evaluate(None, &at, &[0, 0]), Ok(exact(6, 1)));
        assert_eq!(p.evaluate(None, &at, &[0, 0, 0]), Ok(Value::zero()));
    }

    #[test]
    fn scalar_ridge_is_exact_where_tanh_vanishes() {
        // f(t) = 1 + 2t + 3 tanh(t - 1/2), at t = 1/2: tanh(0) = 0
        let f = Function::Ridge(vec![RidgeMap::scalar(
            rat(1, 1),
            rat(2, 1),
            rat(3, 1),
            rat(1, 1),
            rat(-1, 2),
        )]);
        let at = [exact(1, 2)];
        assert_eq!(f.evaluate(None, &at, &[]), Ok(exact(2, 1)));
        // f' = 2 + 3 (1 - T²) = 5 at T = 0
        assert_eq!(f.evaluate(None, &at, &[0]), Ok(exact(5, 1)));
        // f'' = 3 (-2T + 2T³) = 0; f''' = 3 · P_3(0) = 3 · (-2) = -6
        assert_eq!(f.evaluate(None, &at, &[0, 0]), Ok(Value::zero()));
        assert_eq!(f.evaluate(None, &at, &[0, 0, 0]), Ok(exact(-6, 1)));
    }

    #[test]
    fn seeded_derivative_matches_a_difference_quotient() {
        let f = Function::Seeded(7);
        let point = [exact(1, 3), exact(-1, 5)];
        let h = rat(1, 1_000_000);
        for direction in 0..2 {
            let mut moved = point.to_vec();
            moved[direction] = add(&moved[direction], &Value::Exact(h.clone())).expect("finite");
            let f0 = f.evaluate(Some(2), &point, &[]).expect("defined").to_f64();
            let f1 = f.evaluate(Some(2), &moved, &[]).expect("defined").to_f64();
            let slope = f
                .evaluate(Some(2), &point, &[direction])
                .expect("defined")
                .to_f64();
            assert!(
                ((f1 - f0) * 1e6 - slope).abs() < 1e-5,
                "direction {direction}"
            );
        }
        // mixed partials agree
        let xy = f.evaluate(Some(1), &point, &[0, 1]).expect("defined");
        let yx = f.evaluate(Some(1), &point, &[1, 0]).expect("defined");
        assert_eq!(xy, yx);
    }

    /// Every family's first and second derivatives agree with difference
    /// quotients of its values, at small and large inputs, for one and two inputs.
    #[test]
    fn every_family_has_consistent_derivatives() {
        for family in Family::ALL {
            for seed in [1u64, 7, 99] {
                let f = Function::Sampled { family, seed };
                for at in [
                    vec![exact(1, 3)],
                    vec![exact(-5, 2)],
                    vec![exact(40, 1)],
                    vec![exact(1, 5), exact(-2, 3)],
                ] {
                    let h = 1e-6;
                    for direction in 0..at.len() {
                        let shifted = |delta: f64| {
                            let mut moved = at.clone();
                            let step =
                                Value::Exact(BigRational::from_float(delta).expect("finite"));
                            moved[direction] = add(&moved[direction], &step).expect("finite");
                            moved
                        };
                        let value = |p: &[Value], d: &[usize]| {
                            f.evaluate(Some(1), p, d).expect("defined").to_f64()
                        };
                        let slope = value(&at, &[direction]);
                        let quotient =
                            (value(&shifted(h), &[]) - value(&shifted(-h), &[])) / (2.0 * h);
                        let scale = 1.0 + slope.abs();
                        assert!(
                            (quotient - slope).abs() < 1e-4 * scale,
                            "{family:?} seed {seed} at {at:?}: {quotient} vs {slope}"
                        );
                        let curvature = value(&at, &[direction, direction]);
                        let slope_quotient = (value(&shifted(h), &[direction])
                            - value(&shifted(-h), &[direction]))
                            / (2.0 * h);
                        assert!(
                            (slope_quotient - curvature).abs() < 1e-3 * (1.0 + curvature.abs()),
                            "{family:?} seed {seed} at {at:?}: {slope_quotient} vs {curvature}"
                        );
                    }
                }
            }
        }
    }

    /// The families differ where they should: the polynomial one outgrows
    /// `3 + |x|`, the oscillating one changes the sign of its slope within a
    /// short span, and the steep one is steeper than any smooth map.
    #[test]
    fn families_have_their_character() {
        let at = |f: &Function, x: i64, d: &[usize]| {
            f.evaluate(None, &[exact(x, 1)], d)
                .expect("defined")
                .to_f64()
        };
        for seed in [1u64, 7, 99] {
            let smooth = Function::Sampled {
                family: Family::Smooth,
                seed,
            };
            assert_eq!(
                smooth.evaluate(None, &[exact(1, 3)], &[0]),
                Function::Seeded(seed).evaluate(None, &[exact(1, 3)], &[0])
            );
            let cubic = Function::Sampled {
                family: Family::Polynomial,
                seed,
            };
            assert!(at(&cubic, 100, &[]).abs() > 103.0, "seed {seed}");
            let wave = Function::Sampled {
                family: Family::Oscillating,
                seed,
            };
            let slopes: Vec<f64> = (0..40).map(|x| at(&wave, x, &[0])).collect();
            assert!(
                slopes.windows(2).any(|w| w[0] * w[1] < 0.0),
                "seed {seed}: {slopes:?}"
            );
            let steep = Function::Sampled {
                family: Family::Steep,
                seed,
            };
            let steepest = (-40..40)
                .map(|k| {
                    steep
                        .evaluate(None, &[exact(k, 40)], &[0])
                        .expect("defined")
                        .to_f64()
                        .abs()
                })
                .fold(0.0, f64::max);
            assert!(steepest > 3.0, "seed {seed}: {steepest}");
        }
    }

    #[test]
    fn ridge_output_out_of_range() {
        let f = Function::Ridge(vec![RidgeMap::scalar(
            rat(0, 1),
            rat(1, 1),
            rat(1, 1),
            rat(1, 1),
            rat(0, 1),
        )]);
        assert!(matches!(
            f.evaluate(Some(2), &[exact(0, 1)], &[]),
            Err(EvalError::Undefined(_))
        ));
    }
}
