//! Sample points: values for every free symbol, drawn from its declared domain.
//!
//! Simple values come first (0, ±1, ±1/2, ±2), so a counterexample is as
//! readable as can be; then points at and just beside the boundaries of the
//! claim's conditions ([`boundary`]); then, alternately, wide points (±m·10^e
//! for e from −6 to 6) and seeded random rationals with small denominators.
//! Sizes run through 1..8 (6..8 at a few points only), and uninterpreted
//! functions are drawn from several families ([`Family`]). The same seed
//! replays the same points.

pub mod boundary;

use crate::domain::{Domains, VarDomain};
use crate::eval::{Binding, Env, Family, Function};
use crate::expr::{ExprId, Store, Symbol};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::time::Instant;

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

/// Concrete sizes used for symbolic `dim`s: the first five points rotate
/// through these, and later points draw from them.
pub const SIZES: [i64; 5] = [2, 3, 1, 5, 4];

/// Larger sizes, each given once to every `dim` right after the rotation of
/// [`SIZES`], one `dim` at a time with the others at 1 or 2 (nested sums cost
/// the product of the sizes).
pub const LARGE_SIZES: [i64; 3] = [6, 7, 8];

/// The first points use the simple values.
pub const SIMPLE_POINTS: usize = 10;

/// Most points spent at condition boundaries.
const MAX_BOUNDARY_POINTS: usize = 16;

/// Most (edge, symbol) pairs solved for boundaries per claim.
const MAX_SOLVES: usize = 16;

/// Exponents of the wide points, most extreme first; each is used with both signs.
const WIDE_EXPONENTS: [i32; 12] = [6, -6, 5, -5, 4, -4, 3, -3, 2, -2, 1, -1];

/// `±m·10^e` for wide point number `w` and the `v`-th variable: the exponent
/// and sign from a fixed rotation (so ±10^6 and ±10^-6 come first; odd `v`
/// take the opposite exponent, so one variable is huge where the next is
/// tiny), the mantissa 1, 2 or 3 drawn. Integers use `|e|`.
fn wide_value(w: usize, v: usize, integer: bool, rng: &mut Rng) -> BigRational {
    let e = WIDE_EXPONENTS[(w / 2) % WIDE_EXPONENTS.len()];
    let e = if v % 2 == 1 { -e } else { e };
    let negative = (w + w / 2 + v / 2) % 2 == 1;
    let m = BigInt::from(rng.range(1, 3));
    let e = if integer { e.abs() } else { e };
    let ten = BigInt::from(10).pow(e.unsigned_abs());
    let value = if e >= 0 {
        BigRational::from_integer(m * ten)
    } else {
        BigRational::new(m, ten)
    };
    if negative {
        -value
    } else {
        value
    }
}

/// What point `k` is for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PointKind {
    Simple,
    /// Boundary point number `i` (see [`Sampler::find_boundaries`]).
    Boundary(usize),
    /// Wide point number `w`.
    Wide(usize),
    Random,
}

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
    /// Points at and beside condition boundaries: the values that override a
    /// regular point's.
    boundary_points: Vec<Vec<(Symbol, Binding)>>,
    /// How many distinct boundaries were found.
    boundaries: usize,
    /// How many `dim`s there are (they come first in `symbols`).
    dims: usize,
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
        let dims = all
            .iter()
            .filter(|&&s| matches!(domains.get(s), Some(VarDomain::Dim)))
            .count();
        Sampler {
            store,
            domains,
            dims,
            symbols: all,
            pinned: Vec::new(),
            tied: Vec::new(),
            boundary_points: Vec::new(),
            boundaries: 0,
        }
    }

    /// How many distinct condition boundaries [`Sampler::find_boundaries`] found.
    pub fn boundaries(&self) -> usize {
        self.boundaries
    }

    fn kind_of(&self, k: usize) -> PointKind {
        if k < SIMPLE_POINTS {
            return PointKind::Simple;
        }
        let j = k - SIMPLE_POINTS;
        if j < self.boundary_points.len() {
            return PointKind::Boundary(j);
        }
        let i = j - self.boundary_points.len();
        if i.is_multiple_of(2) {
            PointKind::Wide(i / 2)
        } else {
            PointKind::Random
        }
    }

    /// Finds where the conditions in `roots` (the claim's sides and
    /// conditions) change, one scalar at a time with the others at a base
    /// point, and plans points at each boundary, just below and above it, and
    /// between neighbouring boundaries. Pinned, tied and finite-set symbols
    /// are left alone; the search stops at `deadline`.
    pub fn find_boundaries(&mut self, roots: &[ExprId], seed: u64, deadline: Instant) {
        if self.finite_points().is_some() {
            return;
        }
        let edges = boundary::edges(self.store, roots);
        if edges.is_empty() {
            return;
        }
        let solvable: Vec<Symbol> = self
            .symbols
            .iter()
            .copied()
            .filter(|&s| {
                matches!(
                    self.domains.get(s),
                    Some(
                        VarDomain::Real
                            | VarDomain::Positive
                            | VarDomain::Integer
                            | VarDomain::Natural
                    ) | None
                ) && !self.pinned.iter().any(|(p, _)| *p == s)
                    && !self.tied.iter().any(|(t, _)| *t == s)
            })
            .collect();
        if solvable.is_empty() {
            return;
        }
        let mut rng = Rng::new(seed ^ 0x0b0d_a1e5);
        let Ok(base) = self.point(1, &mut rng) else {
            return;
        };
        // per symbol: the roots found, and the base values that go with each
        let mut found: Vec<(Symbol, BigRational, Vec<Symbol>)> = Vec::new();
        let mut solves = 0;
        let mut budget = boundary::MAX_EDGE_EVALUATIONS;
        'edges: for edge in &edges {
            let mut free = self.store.free_symbols(edge.lhs);
            if let Some(rhs) = edge.rhs {
                free.extend(self.store.free_symbols(rhs));
            }
            for &s in solvable.iter().filter(|s| free.contains(s)) {
                if solves >= MAX_SOLVES || Instant::now() > deadline {
                    break 'edges;
                }
                solves += 1;
                for root in boundary::roots(self.store, edge, s, &base, &mut budget) {
                    let r = root.value();
                    if !found.iter().any(|(t, v, _)| *t == s && *v == r) {
                        found.push((s, r, free.clone()));
                    }
                }
            }
        }
        self.boundaries = found.len();
        // candidates: between neighbouring boundaries (simple numbers, and a
        // sliver between two roots is found whatever its width), on each,
        // then beside each at 1/1000 and at 10^-6 of its size (the simplest
        // rationals there)
        let mut candidates: Vec<(Symbol, BigRational, &[Symbol])> = Vec::new();
        for &s in &solvable {
            let mut here: Vec<&BigRational> = found
                .iter()
                .filter(|(t, ..)| *t == s)
                .map(|(_, r, _)| r)
                .collect();
            here.sort();
            let free: &[Symbol] = &[];
            for pair in here.windows(2) {
                let middle = (pair[0] + pair[1]) / int(2);
                candidates.push((s, middle, free));
            }
        }
        for (s, r, free) in &found {
            candidates.push((*s, r.clone(), free));
        }
        for scale in [1_000, 1_000_000] {
            for (s, r, free) in &found {
                let offset = r.abs().max(BigRational::one()) / int(scale);
                let half = &offset / int(2);
                let below = boundary::simplest_between(&(r - &offset), &(r - &half));
                let above = boundary::simplest_between(&(r + &half), &(r + &offset));
                candidates.push((*s, below, free));
                candidates.push((*s, above, free));
            }
        }
        let mut planned: Vec<Vec<(Symbol, Binding)>> = Vec::new();
        for (s, value, free) in candidates {
            if planned.len() >= MAX_BOUNDARY_POINTS {
                break;
            }
            for value in self.in_domain(s, value) {
                let mut point = vec![(s, Binding::Scalar(value))];
                // the edge's other scalars and functions keep their base values,
                // so the point is where the root was found
                for &t in free.iter().filter(|&&t| t != s) {
                    let keep = matches!(
                        self.domains.get(t),
                        Some(
                            VarDomain::Real
                                | VarDomain::Positive
                                | VarDomain::Integer
                                | VarDomain::Natural
                                | VarDomain::Function { .. }
                        ) | None
                    );
                    if let (true, Some(b)) = (keep, base.get(t)) {
                        point.push((t, b.clone()));
                    }
                }
                if !planned.contains(&point) && planned.len() < MAX_BOUNDARY_POINTS {
                    planned.push(point);
                }
            }
        }
        self.boundary_points = planned;
    }

    /// The values of `s`'s domain that stand for `value`: itself for a real,
    /// the integers on either side for an integer, nothing outside the domain.
    fn in_domain(&self, s: Symbol, value: BigRational) -> Vec<BigRational> {
        match self.domains.get(s) {
            Some(VarDomain::Positive) if !value.is_positive() => Vec::new(),
            Some(VarDomain::Integer | VarDomain::Natural) => {
                let natural = matches!(self.domains.get(s), Some(VarDomain::Natural));
                let (floor, ceil) = (value.floor(), value.ceil());
                let mut out = vec![floor.clone()];
                if ceil != floor {
                    out.push(ceil);
                } else {
                    out.push(floor - BigRational::one());
                    out.push(value + BigRational::one());
                }
                out.retain(|v| !natural || !v.is_negative());
                out
            }
            _ => vec![value],
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
        let kind = self.kind_of(k);
        let mut env = Env::new();
        for (v, &s) in self.symbols.iter().enumerate() {
            // a size tied to one sampled before it takes its value at once, so
            // the vectors it sizes are drawn at that size
            let tied_size = self
                .tied
                .iter()
                .find(|(t, _)| *t == s && matches!(self.domains.get(s), Some(VarDomain::Dim)))
                .and_then(|(_, value)| crate::eval::eval(self.store, *value, &env).ok());
            let binding = match self.pinned.iter().find(|(p, _)| *p == s) {
                Some((_, value)) => Binding::Scalar(value.clone()),
                None => match tied_size {
                    Some(crate::eval::Value::Exact(r)) => Binding::Scalar(r),
                    _ => self.value_for(s, k, v, kind, rng, &env)?,
                },
            };
            env.bind(s, binding);
        }
        if let PointKind::Boundary(i) = kind {
            for (s, b) in &self.boundary_points[i] {
                env.bind(*s, b.clone());
            }
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
        kind: PointKind,
        rng: &mut Rng,
        env: &Env,
    ) -> Result<Binding, String> {
        let simple = kind == PointKind::Simple;
        let wide = match kind {
            PointKind::Wide(w) => Some(w),
            _ => None,
        };
        // vary which simple value each variable gets so pairs differ
        let pick = |len: usize| (k + v * 3) % len;
        let binding = match self.domains.get(s) {
            Some(VarDomain::Positive) => {
                let options = [int(1), ratio(1, 2), int(2), int(3), ratio(1, 3), int(10)];
                let value = if simple {
                    options[pick(options.len())].clone()
                } else if let Some(w) = wide {
                    wide_value(w, v, false, rng).abs()
                } else {
                    random_positive(rng)
                };
                Binding::Scalar(value)
            }
            Some(VarDomain::Integer) => Binding::Scalar(if simple {
                int([0, 1, -1, 2, -2, 3, -3, 5, 7, -4][pick(10)])
            } else if let Some(w) = wide {
                wide_value(w, v, true, rng)
            } else {
                int(rng.range(-20, 20))
            }),
            Some(VarDomain::Natural) => Binding::Scalar(if simple {
                int([0, 1, 2, 3, 5, 4, 7, 10, 6, 8][pick(10)])
            } else if let Some(w) = wide {
                wide_value(w, v, true, rng).abs()
            } else {
                int(rng.range(0, 30))
            }),
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
            Some(VarDomain::Dim) => {
                let dims = self.dims.max(1);
                let large = k
                    .checked_sub(SIZES.len())
                    .filter(|l| *l < LARGE_SIZES.len() * dims);
                Binding::Scalar(int(match large {
                    _ if k < SIZES.len() => SIZES[(k + v) % SIZES.len()],
                    Some(l) if l % dims == v => LARGE_SIZES[l / dims],
                    Some(l) => 1 + ((l + v) % 2) as i64,
                    None => SIZES[rng.range(0, SIZES.len() as i64 - 1) as usize],
                }))
            }
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
                // every family among the first points, then drawn
                let family = if simple {
                    Family::ALL[(k + v) % Family::ALL.len()]
                } else {
                    Family::ALL[rng.range(0, Family::ALL.len() as i64 - 1) as usize]
                };
                let seed = rng.next_u64();
                Binding::Function(match family {
                    Family::Smooth => Function::Seeded(seed),
                    family => Function::Sampled { family, seed },
                })
            }
            Some(VarDomain::Real) | None => {
                let options = simple_reals();
                Binding::Scalar(if simple {
                    options[pick(options.len())].clone()
                } else if let Some(w) = wide {
                    wide_value(w, v, false, rng)
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

/// How much of the domain the agreeing points of a `checked` verdict covered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exploration {
    /// Smallest and largest nonzero |value| of a sampled real or integer (as
    /// powers of ten, rounded), if any was nonzero.
    pub magnitudes: Option<(i32, i32)>,
    /// Smallest and largest size given to a `dim`.
    pub sizes: Option<(i64, i64)>,
    /// Condition boundaries found (each is visited, and sampled beside).
    pub boundaries: usize,
    /// The families uninterpreted functions were drawn from.
    pub families: Vec<Family>,
}

impl Exploration {
    /// Adds one agreeing point.
    pub fn record(&mut self, sampler: &Sampler, env: &Env) {
        self.boundaries = sampler.boundaries();
        for &s in sampler.symbols() {
            let Some(binding) = env.get(s) else {
                continue;
            };
            match (sampler.domains.get(s), binding) {
                (Some(VarDomain::Dim), Binding::Scalar(n)) => {
                    let Some(n) = n.to_integer().to_i64() else {
                        continue;
                    };
                    let (lo, hi) = self.sizes.unwrap_or((n, n));
                    self.sizes = Some((lo.min(n), hi.max(n)));
                }
                (
                    Some(
                        VarDomain::Real
                        | VarDomain::Positive
                        | VarDomain::Integer
                        | VarDomain::Natural,
                    )
                    | None,
                    Binding::Scalar(x),
                ) => self.magnitude(x),
                (Some(VarDomain::Vector { .. }), Binding::Vector(entries))
                | (Some(VarDomain::Matrix { .. }), Binding::Matrix { data: entries, .. }) => {
                    entries.iter().for_each(|x| self.magnitude(x))
                }
                (_, Binding::Function(f)) => {
                    let family = match f {
                        Function::Sampled { family, .. } => *family,
                        _ => Family::Smooth,
                    };
                    if !self.families.contains(&family) {
                        self.families.push(family);
                        self.families.sort();
                    }
                }
                _ => {}
            }
        }
    }

    fn magnitude(&mut self, x: &BigRational) {
        if x.is_zero() {
            return;
        }
        let value = crate::eval::Value::Exact(x.abs()).to_f64();
        if !value.is_finite() || value <= 0.0 {
            return;
        }
        let e = value.log10().round() as i32;
        let (lo, hi) = self.magnitudes.unwrap_or((e, e));
        self.magnitudes = Some((lo.min(e), hi.max(e)));
    }

    /// "40 points; magnitudes 10^-6..10^6; sizes 1..8; 6 condition
    /// boundaries; functions smooth, polynomial": what a `checked` covered.
    pub fn describe(&self, points: usize) -> String {
        let mut parts = vec![format!(
            "{points} point{}",
            if points == 1 { "" } else { "s" }
        )];
        if let Some((lo, hi)) = self.magnitudes {
            parts.push(format!("magnitudes 10^{lo}..10^{hi}"));
        }
        if let Some((lo, hi)) = self.sizes {
            parts.push(format!("sizes {lo}..{hi}"));
        }
        if self.boundaries > 0 {
            parts.push(format!(
                "{} condition boundar{}",
                self.boundaries,
                if self.boundaries == 1 { "y" } else { "ies" }
            ));
        }
        if !self.families.is_empty() {
            let names: Vec<&str> = self.families.iter().map(|f| f.name()).collect();
            parts.push(format!("functions {}", names.join(", ")));
        }
        parts.join("; ")
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

    /// Wide point `w` of the `v`-th variable → its value (mantissas drawn from 1..3).
    #[test]
    fn wide_values_cover_both_extremes_and_signs() {
        let cases: [(usize, usize, bool, i32, bool); 8] = [
            // (w, v, integer, exponent, negative)
            (0, 0, false, 6, false),
            (1, 0, false, 6, true),
            (2, 0, false, -6, true),
            (3, 0, false, -6, false),
            (0, 1, false, -6, false),
            (1, 1, false, -6, true),
            (2, 0, true, 6, true),
            (4, 0, false, 5, false),
        ];
        let mut rng = Rng::new(3);
        for (w, v, integer, exponent, negative) in cases {
            let x = wide_value(w, v, integer, &mut rng);
            let magnitude = crate::eval::Value::Exact(x.abs()).to_f64().log10();
            assert!(
                magnitude >= exponent as f64 - 1e-9 && magnitude < exponent as f64 + 0.48,
                "w {w}, v {v}: {x}"
            );
            assert_eq!(x.is_negative(), negative, "w {w}, v {v}: {x}");
            assert_eq!(
                x.is_integer(),
                integer || exponent >= 0,
                "w {w}, v {v}: {x}"
            );
        }
    }

    /// Every `dim` gets each large size once, early, while the others stay small.
    #[test]
    fn every_dim_gets_the_large_sizes() {
        let mut store = Store::new();
        let mut domains = Domains::new();
        let dims: Vec<Symbol> = ["n", "m", "d"].iter().map(|n| store.symbol(n)).collect();
        for &d in &dims {
            domains.declare(d, VarDomain::Dim);
        }
        let sampler = Sampler::new(&store, &domains, &dims);
        let mut rng = Rng::new(1);
        let points: Vec<Vec<i64>> = (0..20)
            .map(|k| {
                let env = sampler.point(k, &mut rng).expect("small sizes");
                dims.iter()
                    .map(|&d| match env.get(d) {
                        Some(Binding::Scalar(n)) => n.to_integer().to_i64().expect("small"),
                        other => panic!("{other:?}"),
                    })
                    .collect()
            })
            .collect();
        for (v, _) in dims.iter().enumerate() {
            let sizes: Vec<i64> = points.iter().map(|p| p[v]).collect();
            for large in LARGE_SIZES {
                assert!(sizes.contains(&large), "dim {v}: {sizes:?}");
            }
        }
        for p in &points {
            assert!(p.iter().filter(|&&n| n > 5).count() <= 1, "{p:?}");
        }
    }

    #[test]
    fn points_are_reproducible() {
        let mut store = Store::new();
        let mut domains = Domains::new();
        let x = store.symbol("x");
        let f = store.symbol("f");
        domains.declare(x, VarDomain::Real);
        domains.declare(
            f,
            VarDomain::Function {
                input: None,
                output: None,
            },
        );
        let sampler = Sampler::new(&store, &domains, &[x, f]);
        let run = |seed: u64| -> Vec<(Option<Binding>, Option<Binding>)> {
            let mut rng = Rng::new(seed);
            (0..40)
                .map(|k| {
                    let env = sampler.point(k, &mut rng).expect("scalars");
                    (env.get(x).cloned(), env.get(f).cloned())
                })
                .collect()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
    }

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
