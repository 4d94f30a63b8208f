//! Exact rational correlation and convolution, 1-D and 2-D, with NumPy's length rules.
//!
//! # Definitions
//!
//! For an input `x` of length `n` and a kernel `k` of length `m`, the *full*
//! correlation has `n + m − 1` entries,
//!
//! ```text
//! full[f] = Σ_j x[f − (m − 1) + j] · k[j]        f = 0 .. n + m − 2
//! ```
//!
//! with `x` taken as zero outside `0 .. n`: no kernel flip, so correlating with
//! `[1/4, 1/4, 1/4]` is a moving average. Convolution flips the kernel
//! (`numpy.convolve`): `full[t] = Σ_i x[i] · k[t − i]`, which is the correlation
//! with the reversed kernel, index for index.
//!
//! Every mode keeps one contiguous window of that full result. With
//! `short = min(n, m)` and `long = max(n, m)`:
//!
//! | mode  | length                  | first kept index of `full` |
//! |-------|-------------------------|----------------------------|
//! | full  | `n + m − 1`             | `0` |
//! | valid | `long − short + 1`      | `short − 1` |
//! | same  | `long` (= `max(n, m)`)  | convolve: `⌊(short − 1)/2⌋`; correlate: `⌊(m − 1)/2⌋` when `m ≤ n`, `⌊n/2⌋` when `m > n` |
//!
//! These are exactly NumPy's rules (`numpy.convolve` / `numpy.correlate`, whose C
//! core swaps the two arrays when the second is longer):
//!
//! * **valid** never fails: when the kernel is longer than the input, NumPy swaps
//!   them, so `valid` has `m − n + 1` entries (the positions where the *input*
//!   lies wholly inside the kernel), for `convolve` and `correlate` alike.
//! * **same** has `max(n, m)` entries, not `n`. With an even `short` length the
//!   window is off-centre: `convolve` drops `⌊(short − 1)/2⌋` entries of `full`
//!   on the left and `⌈(short − 1)/2⌉` on the right, so
//!   `convolve([1, 2, 3, 4], [1, 1], same) = [1, 3, 5, 7]` (full is `[1, 3, 5, 7, 4]`).
//! * `convolve` is symmetric: `convolve(x, k) = convolve(k, x)` in every mode.
//! * `correlate` is not: `correlate(k, x)` is `correlate(x, k)` reversed in full
//!   and valid mode, and when the kernel is longer than the input NumPy
//!   correlates the swapped arrays and reverses the result, which moves the
//!   `same` window: `correlate([1, 2], [1, 2, 3], same) = [8, 5, 2]` (full is
//!   `[3, 8, 5, 2]`, kept from index `⌊2/2⌋ = 1`), while
//!   `correlate([1, 2, 3], [1, 2], same) = [2, 5, 8]` (full `[2, 5, 8, 3]`, kept from 0).
//!
//! # Stride and dilation (correlate only; NumPy has neither)
//!
//! Dilation `D` correlates with the kernel spread out by `D − 1` zeros between
//! taps (effective length `D·(m − 1) + 1`, which is the `m` of the table above),
//! and stride `s` keeps every `s`-th entry of the selected window, starting with
//! its first: the result is `numpy.correlate(x, dilated_k, mode)[::s]`. In
//! `valid` mode this is PyTorch's `conv1d` without padding.
//!
//! # 2-D
//!
//! `correlate2d` / `convolve2d` apply the 1-D window rule on each axis
//! independently (rows with the row lengths, columns with the column lengths);
//! `convolve2d` flips the kernel on both axes. `convolve2d` then equals
//! `scipy.signal.convolve2d` (checked for kernels no larger than the input).
//! `correlate2d` equals `scipy.signal.correlate2d` in full and valid mode; in
//! same mode an axis with an even kernel length keeps NumPy's 1-D window
//! (starting at full index `⌊(m − 1)/2⌋`), one entry left of SciPy's, so that a
//! one-row `correlate2d` is exactly the 1-D `correlate`.
//!
//! # The exact fast path
//!
//! Entries are rationals. Each operand is scaled by the least common multiple
//! of its denominators to integers (`ScaledVec`), the integer correlation runs
//! in `i64` when a bound on every partial sum (`max|x| · max|k| · taps`) fits,
//! in `i128` when that bound fits there, and in `BigInt` otherwise, so no sum can
//! overflow; the result is the integer vector over the product of the two
//! denominators, divided only when entries are turned back into rationals.
//! That last step factors the shared denominator once, so reducing each entry
//! costs a few multiplications instead of a gcd loop. [`correlate_scaled`]
//! skips the rational conversions altogether (inputs and output stay scaled
//! integer vectors), which is the form to use for very long inputs.

pub mod input;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::fmt;

/// Which window of the full correlation to keep (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Full,
    Valid,
    /// NumPy's `same` window (see the table above).
    Same,
    /// PyTorch's `padding='same'`: `D·(m − 1)` zeros in all, `⌊D·(m − 1)/2⌋` on
    /// the left, the rest on the right; the output is as long as the input.
    /// For an even effective kernel this is one entry right of NumPy's window.
    /// Correlation only, stride 1 (as PyTorch requires).
    SameTorch,
}

impl Mode {
    /// The mode a name stands for: `full`, `valid` or `same`.
    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "full" => Some(Mode::Full),
            "valid" => Some(Mode::Valid),
            "same" => Some(Mode::Same),
            "same_torch" => Some(Mode::SameTorch),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Valid => "valid",
            Mode::Same => "same",
            Mode::SameTorch => "same_torch",
        }
    }
}

/// Mode, stride and dilation of a 1-D correlation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorrelateOptions {
    pub mode: Mode,
    pub stride: usize,
    pub dilation: usize,
}

impl CorrelateOptions {
    /// `mode` with stride 1 and dilation 1.
    pub fn new(mode: Mode) -> CorrelateOptions {
        CorrelateOptions {
            mode,
            stride: 1,
            dilation: 1,
        }
    }
}

/// Mode, and stride and dilation per axis (rows, columns), of a 2-D correlation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorrelateOptions2d {
    pub mode: Mode,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
}

impl CorrelateOptions2d {
    /// `mode` with stride 1 and dilation 1 on both axes.
    pub fn new(mode: Mode) -> CorrelateOptions2d {
        CorrelateOptions2d {
            mode,
            stride: (1, 1),
            dilation: (1, 1),
        }
    }
}

/// Why a correlation could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConvError {
    /// The input has no entries (NumPy: "a cannot be empty").
    EmptyInput,
    /// The kernel has no entries (NumPy: "v cannot be empty").
    EmptyKernel,
    ZeroStride,
    ZeroDilation,
    /// A 2-D operand whose rows differ in length.
    Ragged {
        operand: &'static str,
        row: usize,
        expected: usize,
        found: usize,
    },
    /// A size that does not fit in memory addressing (`usize` overflow).
    TooLarge,
    /// PyTorch's `same` padding with a stride other than 1 (PyTorch refuses it).
    SameTorchStride,
    /// PyTorch's `same` padding asked of a flipped convolution, which PyTorch lacks.
    SameTorchFlip,
}

impl fmt::Display for ConvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvError::EmptyInput => write!(f, "the input is empty"),
            ConvError::EmptyKernel => write!(f, "the kernel is empty"),
            ConvError::ZeroStride => write!(f, "the stride must be at least 1"),
            ConvError::ZeroDilation => write!(f, "the dilation must be at least 1"),
            ConvError::SameTorchStride => write!(
                f,
                "PyTorch's padding='same' needs stride 1 (PyTorch refuses other strides)"
            ),
            ConvError::SameTorchFlip => write!(
                f,
                "PyTorch's padding='same' is for correlation (PyTorch's conv); drop --flip"
            ),
            ConvError::Ragged {
                operand,
                row,
                expected,
                found,
            } => write!(
                f,
                "the {operand} is ragged: row {row} has {found} entries, row 0 has {expected}"
            ),
            ConvError::TooLarge => write!(f, "the sizes are too large"),
        }
    }
}

impl std::error::Error for ConvError {}

// ----- scaled integer vectors -----

/// Integer entries in the narrowest representation that holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ints {
    Small(Vec<i64>),
    Wide(Vec<i128>),
    Big(Vec<BigInt>),
}

impl Ints {
    fn len(&self) -> usize {
        match self {
            Ints::Small(v) => v.len(),
            Ints::Wide(v) => v.len(),
            Ints::Big(v) => v.len(),
        }
    }

    fn big(&self, i: usize) -> BigInt {
        match self {
            Ints::Small(v) => BigInt::from(v[i]),
            Ints::Wide(v) => BigInt::from(v[i]),
            Ints::Big(v) => v[i].clone(),
        }
    }

    /// The entries as `BigInt`s (used by the slow path).
    fn to_big(&self) -> Vec<BigInt> {
        (0..self.len()).map(|i| self.big(i)).collect()
    }

    /// The largest magnitude, when every entry fits in an `i64`.
    fn small_max_abs(&self) -> Option<u64> {
        match self {
            Ints::Small(v) => Some(v.iter().map(|a| a.unsigned_abs()).max().unwrap_or(0)),
            _ => None,
        }
    }
}

/// Exact rationals stored as integers over one common denominator:
/// entry `i` is `numerators[i] / denominator`, with `denominator > 0`.
///
/// This is the form the fast path computes in; build one with
/// [`ScaledVec::from_rationals`] and read it back with [`ScaledVec::to_rationals`]
/// or [`ScaledVec::get`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaledVec {
    numerators: Ints,
    denominator: BigInt,
}

impl ScaledVec {
    /// Scales `values` by the least common multiple of their denominators.
    pub fn from_rationals(values: &[BigRational]) -> ScaledVec {
        if let Some(scaled) = Self::from_small_rationals(values) {
            return scaled;
        }
        let mut lcm = BigInt::one();
        for r in values {
            lcm = lcm.lcm(r.denom());
        }
        let numerators = values
            .iter()
            .map(|r| r.numer() * (&lcm / r.denom()))
            .collect();
        ScaledVec {
            numerators: Ints::Big(numerators),
            denominator: lcm,
        }
    }

    /// The `i64` scaling, when the common denominator and every scaled
    /// numerator fit (the common case: small rationals). One pass reads the
    /// rationals (the costly part: two heap values each); small denominators
    /// are folded into the lcm once and their scale factors looked up.
    fn from_small_rationals(values: &[BigRational]) -> Option<ScaledVec> {
        let mut pairs = Vec::with_capacity(values.len());
        let mut lcm: i64 = 1;
        let mut folded = [false; SMALL_DENOMINATORS];
        for r in values {
            let (numer, denom) = (r.numer().to_i64()?, r.denom().to_i64()?);
            pairs.push((numer, denom));
            let small = usize::try_from(denom)
                .ok()
                .filter(|&d| d < SMALL_DENOMINATORS);
            if let Some(d) = small {
                if folded[d] {
                    continue;
                }
                folded[d] = true;
            }
            if lcm % denom != 0 {
                lcm = (lcm / lcm.gcd(&denom)).checked_mul(denom)?;
            }
        }
        let factors: Vec<i64> = (0..SMALL_DENOMINATORS as i64)
            .map(|d| if d > 0 && lcm % d == 0 { lcm / d } else { 0 })
            .collect();
        let numerators = pairs
            .into_iter()
            .map(|(numer, denom)| {
                let factor = match usize::try_from(denom) {
                    Ok(d) if d < SMALL_DENOMINATORS => factors[d],
                    _ => lcm / denom,
                };
                numer.checked_mul(factor)
            })
            .collect::<Option<Vec<i64>>>()?;
        Some(ScaledVec {
            numerators: Ints::Small(numerators),
            denominator: BigInt::from(lcm),
        })
    }

    /// `numerators[i] / denominator` (`denominator > 0`), as given.
    pub fn from_scaled(numerators: Vec<i64>, denominator: BigInt) -> ScaledVec {
        ScaledVec {
            numerators: Ints::Small(numerators),
            denominator,
        }
    }

    /// Integers over denominator 1.
    pub fn from_integers(values: Vec<i64>) -> ScaledVec {
        ScaledVec {
            numerators: Ints::Small(values),
            denominator: BigInt::one(),
        }
    }

    pub fn len(&self) -> usize {
        self.numerators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The common denominator (positive; not necessarily the least one).
    pub fn denominator(&self) -> &BigInt {
        &self.denominator
    }

    /// Entry `i` as a reduced rational, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<BigRational> {
        if i >= self.len() {
            return None;
        }
        Some(BigRational::new(
            self.numerators.big(i),
            self.denominator.clone(),
        ))
    }

    /// Every entry as a reduced rational: the single division of the fast path.
    pub fn to_rationals(&self) -> Vec<BigRational> {
        if let (Ints::Small(nums), Some(den)) = (&self.numerators, self.denominator.to_u64()) {
            let reducer = FixedDenominator::new(den);
            return nums.iter().map(|&n| reducer.ratio(n)).collect();
        }
        (0..self.len())
            .map(|i| BigRational::new(self.numerators.big(i), self.denominator.clone()))
            .collect()
    }

    /// Entry `i` as an `f64` (for display and comparisons against float code).
    pub fn to_f64(&self, i: usize) -> Option<f64> {
        self.get(i).and_then(|r| r.to_f64())
    }
}

/// Denominators below this are cached while scaling.
const SMALL_DENOMINATORS: usize = 64;

/// Odd primes up to this bound are found by trial division when reducing
/// over a fixed denominator; a larger remaining factor is handled by gcd.
const TRIAL_DIVISION_LIMIT: u64 = 1000;

/// One odd prime power `p^exponent` exactly dividing the fixed denominator,
/// with what a division-free divisibility test needs.
#[derive(Clone, Copy, Debug)]
struct OddPrime {
    /// `prime⁻¹ mod 2⁶⁴`: `a·inverse` is `a/prime` when `prime` divides `a`.
    inverse: u64,
    /// `u64::MAX / prime`: `prime` divides `a` exactly when `a·inverse ≤ limit`.
    limit: u64,
    exponent: u32,
}

/// Reduces many numerators over one denominator: the denominator is factored
/// once, then each `gcd(n, D)` is a few multiplications (no division, no
/// Euclid loop), which is what makes turning a million results into reduced
/// rationals cheap.
struct FixedDenominator {
    denominator: u64,
    twos: u32,
    odd_primes: Vec<OddPrime>,
    /// The part of the denominator with no prime factor below the trial limit.
    cofactor: u64,
}

impl FixedDenominator {
    fn new(denominator: u64) -> FixedDenominator {
        let twos = denominator.trailing_zeros().min(63);
        let mut rest = denominator >> twos;
        let mut odd_primes = Vec::new();
        let mut p = 3u64;
        while p <= TRIAL_DIVISION_LIMIT && p.saturating_mul(p) <= rest {
            if rest.is_multiple_of(p) {
                let mut exponent = 0;
                while rest.is_multiple_of(p) {
                    rest /= p;
                    exponent += 1;
                }
                odd_primes.push(OddPrime::new(p, exponent));
            }
            p += 2;
        }
        // what is left below the square of the last trial divisor is prime
        if rest > 1 && rest <= TRIAL_DIVISION_LIMIT * TRIAL_DIVISION_LIMIT {
            odd_primes.push(OddPrime::new(rest, 1));
            rest = 1;
        }
        FixedDenominator {
            denominator,
            twos,
            odd_primes,
            cofactor: rest,
        }
    }

    /// `numer / denominator` in lowest terms.
    fn ratio(&self, numer: i64) -> BigRational {
        let mut magnitude = numer.unsigned_abs();
        let mut denom = self.denominator;
        let shift = magnitude.trailing_zeros().min(self.twos);
        magnitude >>= shift;
        denom >>= shift;
        for prime in &self.odd_primes {
            for _ in 0..prime.exponent {
                let quotient = magnitude.wrapping_mul(prime.inverse);
                if quotient > prime.limit {
                    break;
                }
                magnitude = quotient;
                // `prime` divides what is left of the denominator: exact, no division
                denom = denom.wrapping_mul(prime.inverse);
            }
        }
        if self.cofactor > 1 {
            let common = magnitude.gcd(&self.cofactor);
            magnitude /= common;
            denom /= common;
        }
        let reduced = BigInt::from(magnitude);
        let reduced = if numer < 0 { -reduced } else { reduced };
        BigRational::new_raw(reduced, BigInt::from(denom))
    }
}

impl OddPrime {
    fn new(prime: u64, exponent: u32) -> OddPrime {
        // Newton's iteration doubles the correct low bits: 3 → 6 → 12 → 24 → 48 → 96
        let mut inverse = prime;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(prime.wrapping_mul(inverse)));
        }
        OddPrime {
            inverse,
            limit: u64::MAX / prime,
            exponent,
        }
    }
}

// ----- the window each mode keeps -----

/// Which entries of the full correlation along one axis are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AxisPlan {
    /// Taps of the (undilated) kernel along this axis.
    taps: usize,
    dilation: usize,
    /// First kept index of the full result.
    start: usize,
    /// Number of kept entries after striding.
    count: usize,
    stride: usize,
    /// Zeros added on each side of the input: `dilated kernel length − 1`.
    pad: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Correlate,
    Convolve,
}

fn axis_plan(
    n: usize,
    taps: usize,
    mode: Mode,
    stride: usize,
    dilation: usize,
    operation: Operation,
) -> Result<AxisPlan, ConvError> {
    if stride == 0 {
        return Err(ConvError::ZeroStride);
    }
    if dilation == 0 {
        return Err(ConvError::ZeroDilation);
    }
    let m = (taps - 1)
        .checked_mul(dilation)
        .and_then(|e| e.checked_add(1))
        .ok_or(ConvError::TooLarge)?;
    let full_len = n.checked_add(m - 1).ok_or(ConvError::TooLarge)?;
    let (short, long) = (n.min(m), n.max(m));
    let (start, len) = match mode {
        Mode::Full => (0, full_len),
        Mode::Valid => (short - 1, long - short + 1),
        Mode::Same => {
            // NumPy's C core swaps so the kernel is the shorter operand; a
            // swapped correlation is then reversed, which moves the window.
            let start = if operation == Operation::Correlate && m > n {
                n / 2
            } else {
                (short - 1) / 2
            };
            (start, long)
        }
        Mode::SameTorch if operation == Operation::Convolve => {
            return Err(ConvError::SameTorchFlip)
        }
        Mode::SameTorch if stride != 1 => return Err(ConvError::SameTorchStride),
        // output i reads x from i − left; in the full correlation that is index i + (m − 1) − left
        Mode::SameTorch => ((m - 1) - (m - 1) / 2, n),
    };
    Ok(AxisPlan {
        taps,
        dilation,
        start,
        count: len.div_ceil(stride),
        stride,
        pad: m - 1,
    })
}

// ----- the integer core -----

/// An exact accumulator for products of `Input`s.
trait Accumulator: Clone {
    type Input: Clone;
    fn start() -> Self;
    fn input_zero() -> Self::Input;
    fn add_product(&mut self, a: &Self::Input, b: &Self::Input);
}

impl Accumulator for i64 {
    type Input = i64;
    fn start() -> i64 {
        0
    }
    fn input_zero() -> i64 {
        0
    }
    #[inline(always)]
    fn add_product(&mut self, a: &i64, b: &i64) {
        // the caller's bound guarantees no overflow
        *self += a * b;
    }
}

impl Accumulator for i128 {
    type Input = i64;
    fn start() -> i128 {
        0
    }
    fn input_zero() -> i64 {
        0
    }
    #[inline(always)]
    fn add_product(&mut self, a: &i64, b: &i64) {
        *self += i128::from(*a) * i128::from(*b);
    }
}

impl Accumulator for BigInt {
    type Input = BigInt;
    fn start() -> BigInt {
        BigInt::zero()
    }
    fn input_zero() -> BigInt {
        BigInt::zero()
    }
    fn add_product(&mut self, a: &BigInt, b: &BigInt) {
        if a.is_zero() || b.is_zero() {
            return;
        }
        *self += a * b;
    }
}

/// A row-major grid of entries.
struct Grid<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
}

/// The planned entries of the full correlation of `x` with `k`.
fn correlate_grid<A: Accumulator>(
    x: Grid<'_, A::Input>,
    k: Grid<'_, A::Input>,
    row_plan: &AxisPlan,
    col_plan: &AxisPlan,
) -> Vec<A> {
    // zero-pad once so every tap reads in bounds: padded index = full index + tap offset
    let padded_cols = x.cols + 2 * col_plan.pad;
    let padded_rows = x.rows + 2 * row_plan.pad;
    let mut padded = vec![A::input_zero(); padded_rows * padded_cols];
    for r in 0..x.rows {
        let dst = (r + row_plan.pad) * padded_cols + col_plan.pad;
        padded[dst..dst + x.cols].clone_from_slice(&x.data[r * x.cols..(r + 1) * x.cols]);
    }
    let mut out = Vec::with_capacity(row_plan.count * col_plan.count);
    for out_row in 0..row_plan.count {
        let full_row = row_plan.start + out_row * row_plan.stride;
        for out_col in 0..col_plan.count {
            let full_col = col_plan.start + out_col * col_plan.stride;
            let mut acc = A::start();
            for tap_row in 0..k.rows {
                let base = (full_row + tap_row * row_plan.dilation) * padded_cols + full_col;
                let kernel_row = &k.data[tap_row * k.cols..(tap_row + 1) * k.cols];
                if col_plan.dilation == 1 {
                    let window = &padded[base..base + col_plan.taps];
                    for (xv, kv) in window.iter().zip(kernel_row) {
                        acc.add_product(xv, kv);
                    }
                } else {
                    let window = padded[base..].iter().step_by(col_plan.dilation);
                    for (xv, kv) in window.zip(kernel_row) {
                        acc.add_product(xv, kv);
                    }
                }
            }
            out.push(acc);
        }
    }
    out
}

/// Outputs computed together in the 1-D `i64` kernel: independent sums that
/// the processor can overlap (one sum alone is a chain of dependent adds).
const ROW_BLOCK: usize = 8;

/// The common 1-D case (no dilation, stride 1) in `i64`, blocked by
/// `ROW_BLOCK` outputs. The caller's bound guarantees no sum overflows.
fn correlate_row_i64(x: &[i64], kernel: &[i64], plan: &AxisPlan) -> Vec<i64> {
    let taps = kernel.len();
    let mut padded = vec![0i64; x.len() + 2 * plan.pad];
    padded[plan.pad..plan.pad + x.len()].copy_from_slice(x);
    let mut out = vec![0i64; plan.count];
    let mut blocks = out.chunks_exact_mut(ROW_BLOCK);
    let mut base = plan.start;
    for block in &mut blocks {
        let window = &padded[base..base + taps + ROW_BLOCK - 1];
        let mut acc = [0i64; ROW_BLOCK];
        for (j, &kv) in kernel.iter().enumerate() {
            let xs = &window[j..j + ROW_BLOCK];
            for (a, &xv) in acc.iter_mut().zip(xs) {
                *a += kv * xv;
            }
        }
        block.copy_from_slice(&acc);
        base += ROW_BLOCK;
    }
    for slot in blocks.into_remainder() {
        let window = &padded[base..base + taps];
        *slot = window.iter().zip(kernel).map(|(a, b)| a * b).sum();
        base += 1;
    }
    out
}

/// Correlates two scaled grids, choosing the narrowest exact integer type.
fn correlate_scaled_grid(
    x: (&ScaledVec, usize, usize),
    k: (&ScaledVec, usize, usize),
    row_plan: &AxisPlan,
    col_plan: &AxisPlan,
) -> ScaledVec {
    let (xs, x_rows, x_cols) = x;
    let (ks, k_rows, k_cols) = k;
    let denominator = &xs.denominator * &ks.denominator;
    let taps = (k_rows * k_cols) as u128;
    let bound = match (xs.numerators.small_max_abs(), ks.numerators.small_max_abs()) {
        (Some(a), Some(b)) => u128::from(a)
            .checked_mul(u128::from(b))
            .and_then(|p| p.checked_mul(taps)),
        _ => None,
    };
    let numerators = match (&xs.numerators, &ks.numerators, bound) {
        (Ints::Small(xv), Ints::Small(kv), Some(bound))
            if bound <= i64::MAX as u128
                && x_rows == 1
                && k_rows == 1
                && col_plan.dilation == 1
                && col_plan.stride == 1 =>
        {
            Ints::Small(correlate_row_i64(xv, kv, col_plan))
        }
        (Ints::Small(xv), Ints::Small(kv), Some(bound)) if bound <= i64::MAX as u128 => {
            Ints::Small(correlate_grid::<i64>(
                Grid {
                    data: xv,
                    rows: x_rows,
                    cols: x_cols,
                },
                Grid {
                    data: kv,
                    rows: k_rows,
                    cols: k_cols,
                },
                row_plan,
                col_plan,
            ))
        }
        (Ints::Small(xv), Ints::Small(kv), Some(bound)) if bound <= i128::MAX as u128 => {
            Ints::Wide(correlate_grid::<i128>(
                Grid {
                    data: xv,
                    rows: x_rows,
                    cols: x_cols,
                },
                Grid {
                    data: kv,
                    rows: k_rows,
                    cols: k_cols,
                },
                row_plan,
                col_plan,
            ))
        }
        _ => {
            let xb = xs.numerators.to_big();
            let kb = ks.numerators.to_big();
            Ints::Big(correlate_grid::<BigInt>(
                Grid {
                    data: &xb,
                    rows: x_rows,
                    cols: x_cols,
                },
                Grid {
                    data: &kb,
                    rows: k_rows,
                    cols: k_cols,
                },
                row_plan,
                col_plan,
            ))
        }
    };
    ScaledVec {
        numerators,
        denominator,
    }
}

/// Reverses a scaled vector (a 1-D kernel flip).
fn reversed(v: &ScaledVec) -> ScaledVec {
    let numerators = match &v.numerators {
        Ints::Small(a) => Ints::Small(a.iter().rev().copied().collect()),
        Ints::Wide(a) => Ints::Wide(a.iter().rev().copied().collect()),
        Ints::Big(a) => Ints::Big(a.iter().rev().cloned().collect()),
    };
    ScaledVec {
        numerators,
        denominator: v.denominator.clone(),
    }
}

/// Narrows `i128` entries to `i64` (the core reads `i64` or `BigInt` inputs).
fn as_core_input(v: &ScaledVec) -> std::borrow::Cow<'_, ScaledVec> {
    use std::borrow::Cow;
    match &v.numerators {
        Ints::Wide(a) => {
            let small: Option<Vec<i64>> = a.iter().map(|&e| i64::try_from(e).ok()).collect();
            let numerators = match small {
                Some(s) => Ints::Small(s),
                None => Ints::Big(a.iter().map(|&e| BigInt::from(e)).collect()),
            };
            Cow::Owned(ScaledVec {
                numerators,
                denominator: v.denominator.clone(),
            })
        }
        _ => Cow::Borrowed(v),
    }
}

// ----- 1-D API -----

/// Correlation (no kernel flip) of scaled vectors: the fast path without
/// converting entries to rationals. Semantics as [`correlate`].
pub fn correlate_scaled(
    x: &ScaledVec,
    k: &ScaledVec,
    opts: &CorrelateOptions,
) -> Result<ScaledVec, ConvError> {
    scaled_1d(x, k, opts, Operation::Correlate)
}

fn scaled_1d(
    x: &ScaledVec,
    k: &ScaledVec,
    opts: &CorrelateOptions,
    operation: Operation,
) -> Result<ScaledVec, ConvError> {
    if x.is_empty() {
        return Err(ConvError::EmptyInput);
    }
    if k.is_empty() {
        return Err(ConvError::EmptyKernel);
    }
    let col_plan = axis_plan(
        x.len(),
        k.len(),
        opts.mode,
        opts.stride,
        opts.dilation,
        operation,
    )?;
    let row_plan = axis_plan(1, 1, Mode::Full, 1, 1, operation)?;
    let x = as_core_input(x);
    let flipped;
    let kernel = match operation {
        Operation::Correlate => as_core_input(k),
        Operation::Convolve => {
            flipped = reversed(k);
            as_core_input(&flipped)
        }
    };
    Ok(correlate_scaled_grid(
        (&x, 1, x.len()),
        (&kernel, 1, kernel.len()),
        &row_plan,
        &col_plan,
    ))
}

/// `numpy.correlate(x, k, mode)` in exact arithmetic, with optional stride and
/// dilation: entry `f` of the full result is `Σ_j x[f − (m − 1) + j]·k[j]` (no
/// flip), and the mode keeps the window described in the module docs,
/// including NumPy's behaviour when `k` is longer than `x` (swap, then reverse).
///
/// Errors: an empty input or kernel, a zero stride or dilation.
pub fn correlate(
    x: &[BigRational],
    k: &[BigRational],
    opts: &CorrelateOptions,
) -> Result<Vec<BigRational>, ConvError> {
    let xs = ScaledVec::from_rationals(x);
    let ks = ScaledVec::from_rationals(k);
    Ok(correlate_scaled(&xs, &ks, opts)?.to_rationals())
}

/// Convolution of scaled vectors: the fast path of [`convolve`].
pub fn convolve_scaled(x: &ScaledVec, k: &ScaledVec, mode: Mode) -> Result<ScaledVec, ConvError> {
    scaled_1d(x, k, &CorrelateOptions::new(mode), Operation::Convolve)
}

/// `numpy.convolve(x, k, mode)` in exact arithmetic: the kernel is flipped,
/// `full[t] = Σ_i x[i]·k[t − i]`; lengths `n + m − 1` (full),
/// `max(n, m) − min(n, m) + 1` (valid), `max(n, m)` (same, dropping
/// `⌊(min(n, m) − 1)/2⌋` entries of full on the left). Symmetric in `x` and `k`.
pub fn convolve(
    x: &[BigRational],
    k: &[BigRational],
    mode: Mode,
) -> Result<Vec<BigRational>, ConvError> {
    let xs = ScaledVec::from_rationals(x);
    let ks = ScaledVec::from_rationals(k);
    Ok(scaled_1d(&xs, &ks, &CorrelateOptions::new(mode), Operation::Convolve)?.to_rationals())
}

// ----- 2-D API -----

/// A rectangular grid's row and column counts, or why it is not one.
fn grid_dims(
    rows: &[Vec<BigRational>],
    operand: &'static str,
) -> Result<(usize, usize), ConvError> {
    let empty = if operand == "input" {
        ConvError::EmptyInput
    } else {
        ConvError::EmptyKernel
    };
    let Some(first) = rows.first() else {
        return Err(empty);
    };
    let cols = first.len();
    if let Some((row, found)) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != cols)
        .map(|(i, r)| (i, r.len()))
    {
        return Err(ConvError::Ragged {
            operand,
            row,
            expected: cols,
            found,
        });
    }
    if cols == 0 {
        return Err(empty);
    }
    Ok((rows.len(), cols))
}

fn grid_2d(
    x: &[Vec<BigRational>],
    k: &[Vec<BigRational>],
    opts: &CorrelateOptions2d,
    operation: Operation,
) -> Result<Vec<Vec<BigRational>>, ConvError> {
    let (x_rows, x_cols) = grid_dims(x, "input")?;
    let (k_rows, k_cols) = grid_dims(k, "kernel")?;
    let row_plan = axis_plan(
        x_rows,
        k_rows,
        opts.mode,
        opts.stride.0,
        opts.dilation.0,
        operation,
    )?;
    let col_plan = axis_plan(
        x_cols,
        k_cols,
        opts.mode,
        opts.stride.1,
        opts.dilation.1,
        operation,
    )?;
    let flat_x: Vec<BigRational> = x.iter().flatten().cloned().collect();
    let mut flat_k: Vec<BigRational> = k.iter().flatten().cloned().collect();
    if operation == Operation::Convolve {
        // a 180° turn of a row-major grid is the reversal of its entries
        flat_k.reverse();
    }
    let (xs, ks) = (
        ScaledVec::from_rationals(&flat_x),
        ScaledVec::from_rationals(&flat_k),
    );
    let (xs, ks) = (as_core_input(&xs), as_core_input(&ks));
    let out = correlate_scaled_grid(
        (&xs, x_rows, x_cols),
        (&ks, k_rows, k_cols),
        &row_plan,
        &col_plan,
    );
    let flat = out.to_rationals();
    if col_plan.count == 0 {
        return Ok(vec![Vec::new(); row_plan.count]);
    }
    Ok(flat.chunks(col_plan.count).map(<[_]>::to_vec).collect())
}

/// 2-D correlation (no flip): the 1-D rules of [`correlate`] on each axis, with
/// stride and dilation per axis (see the module docs for how `same` differs
/// from SciPy's on even kernel lengths). Errors: empty or ragged operands, zero
/// stride or dilation.
pub fn correlate2d(
    x: &[Vec<BigRational>],
    k: &[Vec<BigRational>],
    opts: &CorrelateOptions2d,
) -> Result<Vec<Vec<BigRational>>, ConvError> {
    grid_2d(x, k, opts, Operation::Correlate)
}

/// 2-D convolution (kernel flipped on both axes): the 1-D rules of
/// [`convolve`] on each axis; for a kernel no larger than the input this is
/// `scipy.signal.convolve2d(x, k, mode)`.
pub fn convolve2d(
    x: &[Vec<BigRational>],
    k: &[Vec<BigRational>],
    mode: Mode,
) -> Result<Vec<Vec<BigRational>>, ConvError> {
    grid_2d(x, k, &CorrelateOptions2d::new(mode), Operation::Convolve)
}

/// A decimal numeral cut into its parts (`-12.50e3`: negative, `12`, `50`,
/// 3); the digits are not yet checked.
struct Decimal<'a> {
    negative: bool,
    whole: &'a str,
    fraction: &'a str,
    exponent: i32,
}

impl<'a> Decimal<'a> {
    /// `None` when there are no digits or the exponent is not an `i32`.
    fn split(text: &'a str) -> Option<Decimal<'a>> {
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (negative, digits) = match mantissa.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        Some(Decimal {
            negative,
            whole,
            fraction,
            exponent,
        })
    }
}

/// Parses `"1/4"`, `"-3"`, `"0.25"` or `"1e-3"` as an exact rational (for the
/// command line). Decimals are exact: `0.1` is `1/10`.
pub fn parse_rational(text: &str) -> Option<BigRational> {
    let text = text.trim();
    if let Some((numer, denom)) = text.split_once('/') {
        let numer = parse_rational(numer)?;
        let denom = parse_rational(denom)?;
        if denom.is_zero() {
            return None;
        }
        return Some(numer / denom);
    }
    let Decimal {
        negative,
        whole,
        fraction,
        exponent,
    } = Decimal::split(text)?;
    if !whole
        .chars()
        .chain(fraction.chars())
        .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let all_digits = format!("{whole}{fraction}");
    let integer: BigInt = if all_digits.is_empty() {
        BigInt::zero()
    } else {
        all_digits.parse().ok()?
    };
    let scale = i64::from(exponent) - fraction.len() as i64;
    let ten = BigInt::from(10);
    let magnitude = u32::try_from(scale.unsigned_abs()).ok()?;
    if magnitude > 10_000 {
        return None;
    }
    let power = num_traits::pow(ten, magnitude as usize);
    let value = if scale >= 0 {
        BigRational::from_integer(integer * power)
    } else {
        BigRational::new(integer, power)
    };
    Some(if negative { -value } else { value })
}

/// Parses a comma- or space-separated list of rationals, with optional
/// brackets. An empty entry between commas (`[1,,2]`, `[1,2,]`) is an error,
/// not a skipped one.
pub fn parse_rational_list(text: &str) -> Option<Vec<BigRational>> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    let mut out = Vec::new();
    let with_commas = inner.contains(',');
    for item in inner.split(',') {
        let words: Vec<&str> = item.split_whitespace().collect();
        if words.is_empty() && with_commas {
            return None;
        }
        for w in words {
            out.push(parse_rational(w)?);
        }
    }
    Some(out)
}

/// A rational as text: `3`, `-1/4`.
pub fn format_rational(r: &BigRational) -> String {
    if r.is_integer() {
        return r.numer().to_string();
    }
    let sign = if r.is_negative() { "-" } else { "" };
    format!("{sign}{}/{}", r.numer().abs(), r.denom())
}

#[cfg(test)]
mod tests;
