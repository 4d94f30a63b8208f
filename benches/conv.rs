//! Exact correlation of 1,000,000 small rationals with a 31-tap kernel against
//! an f64 direct correlation of the same sizes, timed in the same run.
//!
//! Run with `cargo bench --bench conv`. Prints the median of several runs of
//! each variant and the ratios; nothing is asserted.

use nabla::conv::{correlate, correlate_scaled, CorrelateOptions, Mode, ScaledVec};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::ToPrimitive;
use std::hint::black_box;
use std::time::{Duration, Instant};

const INPUT_LEN: usize = 1_000_000;
const KERNEL_LEN: usize = 31;
const RUNS: usize = 7;

/// A deterministic stream of small rationals: numerators in −50..50,
/// denominators in 1..=12 (xorshift, so the bench needs no extra crate).
fn small_rationals(len: usize, seed: u64) -> Vec<BigRational> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..len)
        .map(|_| {
            let numer = (next() % 101) as i64 - 50;
            let denom = (next() % 12) as i64 + 1;
            BigRational::new(BigInt::from(numer), BigInt::from(denom))
        })
        .collect()
}

/// The direct f64 correlation in valid mode: one dot product per output.
fn correlate_f64(x: &[f64], k: &[f64]) -> Vec<f64> {
    (0..=x.len() - k.len())
        .map(|i| x[i..i + k.len()].iter().zip(k).map(|(a, b)| a * b).sum())
        .collect()
}

fn median_time(mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let x = small_rationals(INPUT_LEN, 0x9E37_79B9_7F4A_7C15);
    let k = small_rationals(KERNEL_LEN, 0xD1B5_4A32_D192_ED03);
    let xf: Vec<f64> = x.iter().map(|r| r.to_f64().unwrap_or(0.0)).collect();
    let kf: Vec<f64> = k.iter().map(|r| r.to_f64().unwrap_or(0.0)).collect();
    let opts = CorrelateOptions::new(Mode::Valid);

    let f64_time = median_time(|| {
        black_box(correlate_f64(black_box(&xf), black_box(&kf)));
    });

    let xs = ScaledVec::from_rationals(&x);
    let ks = ScaledVec::from_rationals(&k);
    let scaled_time = median_time(|| {
        let out = correlate_scaled(black_box(&xs), black_box(&ks), &opts);
        black_box(out.ok());
    });

    let exact_time = median_time(|| {
        let out = correlate(black_box(&x), black_box(&k), &opts);
        black_box(out.ok());
    });

    // the two must agree: the f64 result is within rounding of the exact one
    let exact = correlate(&x, &k, &opts).unwrap_or_default();
    let floats = correlate_f64(&xf, &kf);
    let worst = exact
        .iter()
        .zip(&floats)
        .map(|(e, f)| (e.to_f64().unwrap_or(f64::NAN) - f).abs())
        .fold(0.0f64, f64::max);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("correlate {INPUT_LEN} x {KERNEL_LEN}, valid mode, median of {RUNS} runs");
    println!(
        "  f64 direct                          {:8.2} ms",
        ms(f64_time)
    );
    println!(
        "  exact, scaled integers in and out   {:8.2} ms  ({:.2}x f64)",
        ms(scaled_time),
        ms(scaled_time) / ms(f64_time)
    );
    println!(
        "  exact, BigRational in and out       {:8.2} ms  ({:.2}x f64)",
        ms(exact_time),
        ms(exact_time) / ms(f64_time)
    );
    println!("  largest |exact − f64| over outputs  {worst:.3e}");
}
