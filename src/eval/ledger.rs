//! The working precision and the loss ledger of one evaluation: which
//! precision is in force (f64 intervals or a number of bits) and whether a
//! nonzero quantity fell below its resolution on the way. Per thread.

use std::cell::Cell;

/// Significant bits resolved at double precision (the f64 enclosures).
pub const F64_RESOLUTION_BITS: u32 = 30;

/// Bits (numerator plus denominator) an exact constant may have before its
/// f64 enclosure counts as a loss: twice an f64 significand.
pub const F64_CONSTANT_BITS: u32 = 106;

thread_local! {
    static WORKING_BITS: Cell<u32> = const { Cell::new(0) };
    static LOST: Cell<Option<u64>> = const { Cell::new(None) };
}

/// The working precision in bits, `None` while evaluating with f64 intervals.
pub fn working_bits() -> Option<u32> {
    Some(WORKING_BITS.with(Cell::get)).filter(|&b| b > 0)
}

/// Bits a value must agree to at precision `bits` (`None`: f64), and below
/// which a dropped quantity counts as lost.
pub fn resolution_bits(bits: Option<u32>) -> u32 {
    match bits {
        None => F64_RESOLUTION_BITS,
        Some(p) => p / 2,
    }
}

pub(crate) fn resolution() -> i64 {
    i64::from(resolution_bits(working_bits()))
}

/// Records that a nonzero quantity fell below the working resolution, `depth`
/// bits below what it was combined with (0 when unknown): a resolution of
/// more than `depth` bits would have kept it.
pub fn note_loss(depth: u64) {
    LOST.with(|l| l.set(Some(l.get().map_or(depth, |d| d.max(depth)))));
}

/// Runs `f` at `bits` of precision (`None`: f64 intervals) with an empty
/// loss ledger; returns its result and the depth of the deepest loss, if any.
pub fn at_precision<T>(bits: Option<u32>, f: impl FnOnce() -> T) -> (T, Option<u64>) {
    let saved_bits = WORKING_BITS.with(|w| w.replace(bits.unwrap_or(0)));
    let saved_loss = LOST.with(|l| l.replace(None));
    let out = f();
    let lost = LOST.with(|l| l.replace(saved_loss));
    WORKING_BITS.with(|w| w.set(saved_bits));
    (out, lost)
}

/// Notes a loss when an f64 magnitude `small` is below the f64 resolution
/// relative to `scale`.
pub(crate) fn check_f64_absorption(small: f64, scale: f64) {
    if small < scale * F64_RESOLUTION {
        let depth = if small > 0.0 {
            (scale / small).log2()
        } else {
            0.0
        };
        note_loss(if depth.is_finite() { depth as u64 } else { 0 });
    }
}

/// Notes a loss for an exponential `e^-t` (`t >= 0`) dropped next to 1.
pub(crate) fn check_f64_saturation(t: f64) {
    if t > f64::from(F64_RESOLUTION_BITS) * std::f64::consts::LN_2 {
        note_loss((t * std::f64::consts::LOG2_E).min(1e9) as u64);
    }
}

/// `2^-F64_RESOLUTION_BITS`.
const F64_RESOLUTION: f64 = 1.0 / (1u64 << F64_RESOLUTION_BITS) as f64;

/// Below this magnitude an f64 enclosure is near underflow: its relative
/// width is no longer under control.
const F64_UNDERFLOW: f64 = 1e-280;

/// Notes a loss for an f64 enclosure end that is nonzero and near underflow.
pub(crate) fn check_f64_underflow(lo: f64, hi: f64) {
    let tiny = |x: f64| x != 0.0 && x.abs() < F64_UNDERFLOW;
    if tiny(lo) || tiny(hi) {
        note_loss(0);
    }
}
