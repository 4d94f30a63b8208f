//! Sample points: values for every free symbol, drawn from its declared domain.
//!
//! Simple values come first (0, ±1, ±1/2, ±2), then seeded random rationals over
//! several magnitudes, so a counterexample is as readable as can be and a run
//! can be replayed with the same seed.

use crate::domain::{Domains, VarDomain};
use crate::eval::{Binding, Env};
use crate::expr::{ExprId, Store, Symbol};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

/// A small, fixed pseudo-random generator (SplitMix64): the same seed gives
/// the same points on every machine and every version.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }
}

fn ratio(n: i64, d: i64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

fn int(n: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}

/// The simple reals tried first, in order.
pub fn simple_reals() -> Vec<BigRational> {
    vec![
        int(0),
        int(1),
        int(-1),
        ratio(1, 2),
        ratio(-1, 2),
        int(2),
        int(-2),
        int(3),
        ratio(-3, 2),
        ratio(1, 3),
    ]
}

/// A random rational with a small denominator: mostly |x| ≤ 1 or ≤ 10, sometimes
/// up to 100 (the magnitudes where ML expressions live, and one beyond).
fn random_real(rng: &mut Rng) -> BigRational {
    let denominators = [1, 2, 3, 4, 5, 7, 8, 10, 16, 100];
    let d = denominators[rng.range(0, denominators.len() as i64 - 1) as usize];
    let bound = [1, 1, 10, 10, 100][rng.range(0, 4) as usize];
    let n = rng.range(-bound * d, bound * d);
    ratio(n, d)
}

fn random_positive(rng: &mut Rng) -> BigRational {
    let r = random_real(rng).abs();
    if r.is_zero() {
        ratio(1, 7)
    } else {
        r
    }
}

/// Concrete sizes used for symbolic `dim`s, in order.
pub const SIZES: [i64; 5] = [2, 3, 1, 5, 4];

/// Most entries one sampled vector or matrix may have. A concrete size beyond
/// it (`var v : R^(10^9)`) makes the claim `unknown` instead of allocating.
pub const MAX_SAMPLED_ENTRIES: i64 = 100_000;

/// Why a sampled value of `entries` entries cannot be built.
fn too_many_entries(store: &Store, s: Symbol, entries: Option<i64>) -> String {
    let shown = entries.map_or_else(|| "too many".to_string(), |n| n.to_string());
    format!(
        "size limit: `{}` would have {shown} entries; numeric checks build at most \
         {MAX_SAMPLED_ENTRIES} (declare it with a symbolic `dim` size instead)",
        store.display_name(s)
    )
}

/// Builds the environment of sample point `k` for the given symbols.
///
/// Sizes are chosen before the vectors and indices that depend on them.
pub struct Sampler<'a> {
    store: &'a Store,
    domains: &'a Domains,
    symbols: Vec<Symbol>,
    /// Values fixed by a condition such as `where x == 0`.
    pinned: Vec<(Symbol, BigRational)>,
    /// Values tied to others by a condition such as `where a == c`: set from
    /// the expression after every other symbol has its value.
    tied: Vec<(Symbol, ExprId)>,
}

impl<'a> Sampler<'a> {
    /// `symbols`: the free symbols to give values to (sizes used by their
    /// domains are added automatically).
    pub fn new(store: &'a Store, domains: &'a Domains, symbols: &[Symbol]) -> Sampler<'a> {
        let mut all: Vec<Symbol> = Vec::new();
        for &s in symbols {
            for dep in size_symbols(store, domains, s) {
                if !all.contains(&dep) {
                    all.push(dep);
                }
            }
        }
        for &s in symbols {
            if !all.contains(&s) {
                all.push(s);
            }
        }
        // sizes first, then indices (which need sizes), then everything else
        all.sort_by_key(|&s| match domains.get(s) {
            Some(VarDomain::Dim) => 0,
            Some(VarDomain::Index { .. }) => 2,
            _ => 1,
        });
        Sampler {
            store,
            domains,
            symbols: all,
            pinned: Vec::new(),
            tied: Vec::new(),
        }
    }

    /// Gives `symbol` this value at every point (a claim `where x == 0` has
    /// only that point to sample).
    pub fn pin(&mut self, symbol: Symbol, value: BigRational) {
        self.pinned.push((symbol, value));
    }

    /// Gives `symbol` the value of `value` (an expression in the other symbols)
    /// at every point.
    pub fn tie(&mut self, symbol: Symbol, value: ExprId) {
        self.tied.push((symbol, value));
    }

    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// Whether every symbol has a finite domain small enough to enumerate.
    pub fn finite_points(&self) -> Option<usize> {
        let mut count: usize = 1;
        for &s in &self.symbols {
            let n = match self.domains.get(s) {
                Some(VarDomain::Set(values)) => values.len(),
                _ => return None,
            };
            count = count.checked_mul(n)?;
        }
        Some(count)
    }

    /// The environment for point number `k`; the first points use simple values.
    ///
    /// Fails when a vector or matrix would have more than [`MAX_SAMPLED_ENTRIES`] entries.
    pub fn point(&self, k: usize, rng: &mut Rng) -> Result<Env, String> {
        let mut env = Env::new();
        for (v, &s) in self.symbols.iter().enumerate() {
            let binding = match self.pinned.iter().find(|(p, _)| *p == s) {
                Some((_, value)) => Binding::Scalar(value.clone()),
                None => self.value_for(s, k, v, rng, &env)?,
            };
            env.bind(s, binding);
        }
        for (s, value) in &self.tied {
            if let Ok(crate::eval::Value::Exact(r)) = crate::eval::eval(self.store, *value, &env) {
                env.bind(*s, Binding::Scalar(r));
            }
        }
        Ok(env)
    }

    fn value_for(
        &self,
        s: Symbol,
        k: usize,
        v: usize,
        rng: &mut Rng,
        env: &Env,
    ) -> Result<Binding, String> {
        let simple = k < 10;
        // vary which simple value each variable gets so pairs differ
        let pick = |len: usize| (k + v * 3) % len;
        let binding = match self.domains.get(s) {
            Some(VarDomain::Positive) => {
                let options = [int(1), ratio(1, 2), int(2), int(3), ratio(1, 3), int(10)];
                let value = if simple {
                    options[pick(options.len())].clone()
                } else {
                    random_positive(rng)
                };
                Binding::Scalar(value)
            }
            Some(VarDomain::Integer) => Binding::Scalar(int(if simple {
                [0, 1, -1, 2, -2, 3, -3, 5, 7, -4][pick(10)]
            } else {
                rng.range(-20, 20)
            })),
            Some(VarDomain::Natural) => Binding::Scalar(int(if simple {
                [0, 1, 2, 3, 5, 4, 7, 10, 6, 8][pick(10)]
            } else {
                rng.range(0, 30)
            })),
            Some(VarDomain::Set(values)) => {
                // enumerate the product of finite sets in mixed radix
                let radix: usize = self.symbols[..v]
                    .iter()
                    .map(|&t| match self.domains.get(t) {
                        Some(VarDomain::Set(vs)) => vs.len(),
                        _ => 1,
                    })
                    .product();
                Binding::Scalar(values[(k / radix.max(1)) % values.len()].clone())
            }
            // a fixed rotation first (sizes differ), then random draws (sizes may coincide)
            Some(VarDomain::Dim) => Binding::Scalar(int(if k < SIZES.len() {
                SIZES[(k + v) % SIZES.len()]
            } else {
                SIZES[rng.range(0, SIZES.len() as i64 - 1) as usize]
            })),
            Some(VarDomain::Index { size }) => {
                // enumerate: the p-th index runs through 1..=n every n^p points,
                // so together the first points cover every combination
                let n = self.size_value(*size, env).unwrap_or(1).max(1) as usize;
                let p = self.symbols[..v]
                    .iter()
                    .filter(|&&t| matches!(self.domains.get(t), Some(VarDomain::Index { .. })))
                    .count() as u32;
                let stride = n.checked_pow(p).unwrap_or(usize::MAX).max(1);
                Binding::Scalar(int(1 + ((k / stride) % n) as i64))
            }
            Some(VarDomain::Vector { size }) => {
                let n = self.size_value(*size, env).unwrap_or(1).max(1);
                if n > MAX_SAMPLED_ENTRIES {
                    return Err(too_many_entries(self.store, s, Some(n)));
                }
                Binding::Vector((0..n).map(|_| random_real(rng)).collect())
            }
            Some(VarDomain::OneHot { size }) => {
                let n = self.size_value(*size, env).unwrap_or(1).max(1);
                if n > MAX_SAMPLED_ENTRIES {
                    return Err(too_many_entries(self.store, s, Some(n)));
                }
                let hot = rng.range(0, n - 1);
                Binding::Vector(
                    (0..n)
                        .map(|i| {
                            if i == hot {
                                BigRational::one()
                            } else {
                                BigRational::zero()
                            }
                        })
                        .collect(),
                )
            }
            Some(VarDomain::Matrix { rows, cols }) => {
                let r = self.size_value(*rows, env).unwrap_or(1).max(1);
                let c = self.size_value(*cols, env).unwrap_or(1).max(1);
                let entries = r.checked_mul(c);
                if entries.is_none_or(|n| n > MAX_SAMPLED_ENTRIES) {
                    return Err(too_many_entries(self.store, s, entries));
                }
                Binding::Matrix {
                    rows: r as usize,
                    cols: c as usize,
                    data: (0..r * c).map(|_| random_real(rng)).collect(),
                }
            }
            Some(VarDomain::Function { .. }) => {
                Binding::Function(crate::eval::Function::Seeded(rng.next_u64()))
            }
            Some(VarDomain::Real) | None => {
                let options = simple_reals();
                Binding::Scalar(if simple {
                    options[pick(options.len())].clone()
                } else {
                    random_real(rng)
                })
            }
        };
        Ok(binding)
    }

    /// The concrete value of a size expression under `env` (sizes are bound first).
    fn size_value(&self, size: ExprId, env: &Env) -> Option<i64> {
        let value = crate::eval::eval(self.store, size, env).ok()?;
        value.as_exact()?.to_integer().to_i64()
    }
}

/// The `dim` symbols a symbol's domain depends on.
fn size_symbols(store: &Store, domains: &Domains, s: Symbol) -> Vec<Symbol> {
    let sizes: Vec<ExprId> = match domains.get(s) {
        Some(
            VarDomain::Vector { size } | VarDomain::OneHot { size } | VarDomain::Index { size },
        ) => vec![*size],
        Some(VarDomain::Matrix { rows, cols }) => vec![*rows, *cols],
        _ => Vec::new(),
    };
    sizes
        .into_iter()
        .flat_map(|e| store.free_symbols(e))
        .collect()
}

/// Simpler values to try for one scalar when shrinking a counterexample.
pub fn shrink_candidates(domain: Option<&VarDomain>) -> Vec<BigRational> {
    match domain {
        Some(VarDomain::Positive) => vec![int(1), int(2), ratio(1, 2), int(3), int(10)],
        Some(VarDomain::Integer) => vec![int(0), int(1), int(-1), int(2), int(-2)],
        Some(VarDomain::Natural) => vec![int(0), int(1), int(2), int(3)],
        Some(VarDomain::Real) | None => {
            let mut v = simple_reals();
            v.extend([int(-3), int(4), int(5), int(10), int(-10)]);
            v
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_reproducible() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], xs[1]);
        for _ in 0..1000 {
            let r = a.range(-3, 3);
            assert!((-3..=3).contains(&r));
        }
    }
}
