//! The derivative cross-check's quick pass: the body at `x ± h` enclosed
//! with f64 intervals (the neighbour read as an interval around the exact
//! `x ± h`), and the cross-check's own f64 tests run on every value those
//! enclosures allow. When no value they allow could fail a test, the exact
//! pass would not fail either and is skipped; anything less certain (an
//! enclosure too wide, an evaluation that needs exact arithmetic) falls back
//! to the exact pass, so the answer is always the exact pass's answer.
//!
//! Why every allowed value covers the exact pass's: the exact pass reads
//! each neighbour as the f64 nearest its exact value or the midpoint of a
//! narrower enclosure, both inside this pass's enclosure (interval
//! arithmetic only widens with a wider input; each enclosure is widened
//! again by its own width to absorb a library function that is not
//! monotone to the last ulp). Its tests are f64 expressions, each monotone
//! in every operand (rounding to nearest is monotone), so their ranges are
//! the same expressions at the enclosures' ends.

use crate::eval::{self, Env, Interval, Nudge, Plan, Value};
use crate::expr::{ExprId, Store, Symbol};
use num_rational::BigRational;

/// The ends of what an f64 expression of the exact pass can be.
#[derive(Clone, Copy, Debug)]
struct Range {
    lo: f64,
    hi: f64,
}

impl Range {
    fn point(x: f64) -> Range {
        Range { lo: x, hi: x }
    }

    /// `self − other`, as the exact pass computes it.
    fn minus(self, other: Range) -> Range {
        Range {
            lo: self.lo - other.hi,
            hi: self.hi - other.lo,
        }
    }

    /// `(self − other) / d` for `d` in a range of positive numbers, as the
    /// exact pass computes it (f64 division is monotone in both operands).
    fn quotient(self, other: Range, d: Range) -> Range {
        let n = self.minus(other);
        let corners = [n.lo / d.lo, n.lo / d.hi, n.hi / d.lo, n.hi / d.hi];
        Range {
            lo: corners.iter().copied().fold(f64::INFINITY, f64::min),
            hi: corners.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    fn largest_abs(self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }

    fn smallest_abs(self) -> f64 {
        if self.lo > 0.0 || self.hi < 0.0 {
            self.lo.abs().min(self.hi.abs())
        } else {
            0.0
        }
    }

    fn finite(self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
}

/// Whether `approx::relative_eq!(a, b, epsilon, max_relative)` holds for
/// every `a` and `b` in the ranges.
fn surely_relative_eq(a: Range, b: Range, epsilon: f64, max_relative: f64) -> bool {
    let diff = a.minus(b).largest_abs();
    diff <= epsilon || diff <= a.smallest_abs().max(b.smallest_abs()) * max_relative
}

/// Whether `approx::relative_eq!(a, b, epsilon, max_relative)` fails for
/// every `a` and `b` in the ranges.
fn surely_not_relative_eq(a: Range, b: Range, epsilon: f64, max_relative: f64) -> bool {
    let diff = a.minus(b).smallest_abs();
    diff > epsilon && diff > a.largest_abs().max(b.largest_abs()) * max_relative
}

/// What the cross-check knows at `x` before it steps away: the point's
/// scalar slot, the steps (as fractions of max(1, |x|)), the symbolic
/// derivative and the body at `x` (as the exact pass has them).
pub(super) struct Around<'a> {
    pub symbol: Symbol,
    pub entry: Option<usize>,
    pub x: &'a BigRational,
    pub steps: &'a [f64],
    pub symbolic: f64,
    pub center: f64,
}

/// Whether the exact cross-check of `body` around `at` certainly finds
/// nothing wrong; `false` when that is not certain (then the exact pass
/// decides).
pub(super) fn surely_passes(
    plan: &mut Plan,
    store: &Store,
    body: ExprId,
    at: &Around,
    env: &Env,
) -> bool {
    let (passes, _) = eval::at_precision(None, || {
        let x = Interval::from_rational(at.x).ok()?;
        let scale = Interval::new(x.smallest().max(1.0), x.magnitude().max(1.0))?;
        let mut hs = Vec::with_capacity(at.steps.len());
        let mut plus = Vec::with_capacity(at.steps.len());
        let mut minus = Vec::with_capacity(at.steps.len());
        for &step in at.steps {
            // encloses the exact h = step·max(1, |x|), and so its nearest f64
            let h = Interval::point(step)?.mul(&scale).ok()?;
            plus.push(enclosure(plan, store, body, at, x.add(&h).ok()?, env)?);
            minus.push(enclosure(plan, store, body, at, x.sub(&h).ok()?, env)?);
            hs.push(Range {
                lo: h.lo(),
                hi: h.hi(),
            });
        }
        Some(no_test_fails(at, &hs, &plus, &minus))
    });
    passes.unwrap_or(false)
}

/// The body with the slot at `point`, widened by its own width and two
/// ulps; `None` unless it is a finite f64 enclosure.
fn enclosure(
    plan: &mut Plan,
    store: &Store,
    body: ExprId,
    at: &Around,
    point: Interval,
    env: &Env,
) -> Option<Range> {
    let nudge = Nudge {
        symbol: at.symbol,
        entry: at.entry,
        value: point,
    };
    let (lo, hi) = match eval::eval_nudged(plan, store, body, env, nudge).ok()? {
        Value::Approx(i) => (i.lo(), i.hi()),
        exact @ Value::Exact(_) => (exact.to_f64(), exact.to_f64()),
        Value::Precise(_) => return None,
    };
    let width = hi - lo;
    let range = Range {
        lo: (lo - width).next_down().next_down(),
        hi: (hi + width).next_up().next_up(),
    };
    range.finite().then_some(range)
}

/// The exact pass's tests (`cross_check_site`) on ranges, with each step's
/// f64 `h` somewhere in `hs`: `true` when none can fail for any values in
/// them.
fn no_test_fails(at: &Around, hs: &[Range], plus: &[Range], minus: &[Range]) -> bool {
    let center = Range::point(at.center);
    let mut estimates = Vec::new();
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    for ((&h, &p), &m) in hs.iter().zip(plus).zip(minus) {
        let twice = Range {
            lo: 2.0 * h.lo,
            hi: 2.0 * h.hi,
        };
        estimates.push(p.quotient(m, twice));
        forward.push(p.quotient(center, h));
        backward.push(center.quotient(m, h));
    }
    let (Some(&last_plus), Some(&last_minus)) = (plus.last(), minus.last()) else {
        return false;
    };
    let all = estimates.iter().chain(&forward).chain(&backward);
    if !all.clone().all(|r| r.finite()) || hs.iter().any(|h| h.lo <= 0.0) {
        return false;
    }
    // the estimates settle on a slope the symbolic derivative does not have:
    // ruled out when one estimate agrees whatever its value, or when two
    // neighbouring ones surely do not settle
    let symbolic = Range::point(at.symbolic);
    let agrees = estimates
        .iter()
        .any(|&e| surely_relative_eq(e, symbolic, 1e-5, 1e-4));
    let unsettled = estimates
        .windows(2)
        .any(|w| surely_not_relative_eq(w[0], w[1], 1e-5, 1e-3));
    if !agrees && !unsettled {
        return false;
    }
    // far out the exact pass stops here (its smallest h above 10^-3)
    if hs.iter().all(|h| h.lo > 1e-3) {
        return true;
    }
    if !hs.iter().any(|h| h.hi <= 1e-3) {
        // which way the exact pass goes is not certain
        return false;
    }
    // an unknown kink: the last one-sided quotients surely agree
    let (Some(&f), Some(&b)) = (forward.last(), backward.last()) else {
        return false;
    };
    if !surely_relative_eq(f, b, 1e-3, 1e-2) {
        return false;
    }
    // a jump: on each side the quotients surely stop growing fivefold
    // somewhere, or the change at the smallest step is surely small
    let stops_growing = |v: &[Range]| {
        v.windows(2)
            .any(|w| w[1].largest_abs() <= 5.0 * w[0].smallest_abs())
    };
    let small = |change: Range| change.largest_abs() <= 1e-6 * (1.0 + center.lo.abs());
    (stops_growing(&forward) || small(last_plus.minus(center)))
        && (stops_growing(&backward) || small(center.minus(last_minus)))
}
