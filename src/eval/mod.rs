//! Evaluation of store expressions at a point: the numeric ground truth of the checker.
//!
//! [`eval`] gives a [`Value`]: an exact `BigRational` wherever the expression
//! allows (`+ − · /`, integer powers within [`MAX_EXACT_EXPONENT`], `exp(0)`,
//! `ln(1)`, rational roots, `abs`, `sign`, `floor`, `ceil`, `H`, `relu`, `δ`,
//! `σ(0)`, ...), and otherwise an [`Interval`] that rigorously encloses the
//! true value. Soundness rests on two facts only: interval arithmetic rounds
//! outward, and libm's transcendental functions are within
//! [`LIBM_ULP_SLACK`] ulps of the truth (see `interval`). So two values whose
//! enclosures are disjoint certainly differ, and an undecidable condition is
//! reported as [`EvalError::Indeterminate`], never guessed.
//!
//! Evaluation is iterative (an explicit work stack, no recursion), so a
//! 10,000-deep expression runs on an ordinary thread, and memoized per
//! evaluation, so a DAG with heavy sharing costs time linear in its size.
//! Values under a `Σ` that depend on its index are memoized per term.
//!
//! Uninterpreted functions are bound in the [`Env`] to a concrete [`Function`]
//! (a polynomial, explicit ridge maps, or seeded random ridge maps); all the
//! arguments of an application are flattened into one input vector. Indices on
//! an application are: the output index when the function is vector-valued,
//! then one index per order of differentiation along each *vector* argument
//! (scalar arguments take none). So `x(u)_i` is `Index(Apply(x, [u]), [i])`,
//! `∂x(u)_i/∂u_j` is `Index(FnDeriv{x, [1], [u]}, [i, j])`, `∂²f/∂u_j∂u_k` of a
//! scalar `f(u)` is `Index(FnDeriv{f, [2], [u]}, [j, k])`, and `f'(x)` is
//! `FnDeriv{f, [1], [x]}` with no index.

mod elementary;
mod engine;
mod function;
mod interval;
mod ledger;
mod plan;
mod precise;
mod small;
mod value;

#[cfg(test)]
mod tests;

pub use engine::{Evaluator, Nudge};
pub use function::{Family, Function, RidgeMap, Wave};
pub use interval::{Interval, LIBM_ULP_SLACK};
pub use plan::Plan;
pub use precise::{at_precision, resolution_bits, Precise, F64_RESOLUTION_BITS};
pub use value::{Agreement, Value, CLOSE_ABSOLUTE, CLOSE_RELATIVE};

use crate::expr::id_hash::IdMap;
use crate::expr::{ExprId, Store, Symbol};
use num_bigint::BigInt;
use num_rational::BigRational;
use std::fmt;

/// Largest exponent `|n|` for which `x^n` is computed exactly.
pub const MAX_EXACT_EXPONENT: u64 = 1_000_000;
/// Largest numerator or denominator (in bits) an exact result may have; a
/// larger result continues as an interval.
pub const MAX_EXACT_BITS: u64 = 100_000;
/// Largest numerator or denominator (in bits) of an exact power `x^n`: one
/// power is cheap (`(1/2)^200000` is exact), sums of such numbers are not.
pub const MAX_EXACT_POWER_BITS: u64 = 262_144;
/// Largest `q` for which an exact `q`-th root of a rational is attempted.
pub const MAX_EXACT_ROOT_DEGREE: u32 = 64;
/// Most terms one `Σ` may have.
pub const MAX_SUM_TERMS: u64 = 10_000;
/// Most evaluation steps one evaluator may take (nested sums multiply).
pub const MAX_EVAL_STEPS: u64 = 20_000_000;
/// Highest total order of a derivative of an uninterpreted function.
pub const MAX_FN_DERIV_ORDER: u32 = 64;

/// Why an expression has no value at a point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// Certainly undefined here: division by zero, `ln` of a non-positive
    /// number, `0^negative`, `sqrt` of a negative, a piecewise with no branch,
    /// an index out of range.
    Undefined(String),
    /// A value beyond the f64 range where an interval was needed.
    Overflow,
    /// An expression this evaluator does not handle (limits, vectors where a
    /// number is expected, ...).
    Unsupported(String),
    /// A symbol with no binding.
    Unbound(String),
    /// The enclosures cannot decide a condition (a comparison straddling a
    /// branch boundary, a domain edge such as `ln` of an interval around 0).
    Indeterminate,
    /// An exact computation would pass a size limit.
    TooLarge(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Undefined(why) => write!(f, "undefined: {why}"),
            EvalError::Overflow => write!(f, "a value is beyond the floating-point range"),
            EvalError::Unsupported(what) => write!(f, "cannot evaluate {what}"),
            EvalError::Unbound(name) => write!(f, "`{name}` has no value"),
            EvalError::Indeterminate => {
                write!(f, "the numeric enclosure is too wide to decide a condition")
            }
            EvalError::TooLarge(what) => write!(f, "too large to compute: {what}"),
        }
    }
}

impl std::error::Error for EvalError {}

/// What a symbol stands for at the evaluation point.
#[derive(Clone, Debug, PartialEq)]
pub enum Binding {
    /// A scalar, a size (`dim`) or an index (sizes and indices hold integers).
    Scalar(BigRational),
    /// A vector, indexed from 1 by `Index(Sym v, [i])`.
    Vector(Vec<BigRational>),
    /// A `rows × cols` matrix in row-major `data`, indexed by `Index(Sym W, [i, j])`.
    Matrix {
        rows: usize,
        cols: usize,
        data: Vec<BigRational>,
    },
    /// A concrete map for an uninterpreted function.
    Function(Function),
}

/// The point: a binding for every free symbol.
#[derive(Clone, Debug, Default)]
pub struct Env {
    bindings: IdMap<Symbol, Binding>,
}

impl Env {
    pub fn new() -> Env {
        Env::default()
    }

    pub fn bind(&mut self, symbol: Symbol, binding: Binding) {
        self.bindings.insert(symbol, binding);
    }

    pub fn bind_scalar(&mut self, symbol: Symbol, value: BigRational) {
        self.bind(symbol, Binding::Scalar(value));
    }

    pub fn bind_integer(&mut self, symbol: Symbol, value: i64) {
        self.bind_scalar(symbol, BigRational::from_integer(BigInt::from(value)));
    }

    pub fn get(&self, symbol: Symbol) -> Option<&Binding> {
        self.bindings.get(&symbol)
    }
}

/// The value of expression `id` at the point `env`.
///
/// `Vector` nodes are not numbers (use [`eval_vector`]); `Limit` is
/// `Unsupported` (the checker handles limits); a condition is not a number
/// (use [`eval_condition`]).
pub fn eval(store: &Store, id: ExprId, env: &Env) -> Result<Value, EvalError> {
    Evaluator::new(store, env).value(id)
}

/// [`eval`] on a plan kept across points (see [`Plan`]): the same value,
/// without compiling the expression again.
pub fn eval_with(
    plan: &mut Plan,
    store: &Store,
    id: ExprId,
    env: &Env,
) -> Result<Value, EvalError> {
    Evaluator::with_plan(store, env, plan).value(id)
}

/// [`eval_with`] with one scalar slot of the point read as an interval
/// (see [`Nudge`]): an enclosure of `id` at every point of that interval.
pub fn eval_nudged(
    plan: &mut Plan,
    store: &Store,
    id: ExprId,
    env: &Env,
    nudge: Nudge,
) -> Result<Value, EvalError> {
    Evaluator::with_plan(store, env, plan)
        .nudged(nudge)
        .value(id)
}

/// Whether condition `id` (a `Cmp` or `And`) holds at `env`; `Indeterminate`
/// when the enclosures cannot decide it.
pub fn eval_condition(store: &Store, id: ExprId, env: &Env) -> Result<bool, EvalError> {
    Evaluator::new(store, env).condition(id)
}

/// [`eval_condition`] on a plan kept across points.
pub fn eval_condition_with(
    plan: &mut Plan,
    store: &Store,
    id: ExprId,
    env: &Env,
) -> Result<bool, EvalError> {
    Evaluator::with_plan(store, env, plan).condition(id)
}

/// The entries of a vector expression (a `Vector` literal or a symbol bound to
/// a vector) at `env`.
pub fn eval_vector(store: &Store, id: ExprId, env: &Env) -> Result<Vec<Value>, EvalError> {
    Evaluator::new(store, env).vector(id)
}

/// The precisions (bits) a point is decided again at, in order, when the f64
/// enclosures cannot decide it.
pub const ESCALATION_BITS: [u32; 2] = [256, 1024];

/// The highest precision an adaptive re-decision may use. Past the fixed
/// ladder, a point that agreed only after a loss `2^-d` below a neighbour is
/// decided again at about `2d` bits (the resolution is half the precision),
/// at least twice the last precision, up to this many: about `10^-610`
/// relative, so `ln(1 + 10^-400)`, `σ(1000)` and `exp(x) + exp(-1000)` are
/// separated from their neighbours, `exp(-10000)` next to 1 is not (`ln`
/// costs a number of series terms proportional to the precision).
pub const MAX_ESCALATION_BITS: u32 = 1 << 12;

/// Bits beyond a loss's depth that an adaptive resolution adds.
const ESCALATION_MARGIN_BITS: u64 = 64;

/// The precision whose resolution holds a loss `2^-depth` below its
/// neighbour, with a margin, in multiples of 256 bits; `None` past
/// [`MAX_ESCALATION_BITS`].
fn adaptive_bits(depth: u64) -> Option<u32> {
    let bits = depth
        .saturating_add(ESCALATION_MARGIN_BITS)
        .saturating_mul(2)
        .div_ceil(256)
        .saturating_mul(256);
    u32::try_from(bits)
        .ok()
        .filter(|&b| b <= MAX_ESCALATION_BITS)
}

/// What both sides of a claim say at one point.
#[derive(Clone, Debug, PartialEq)]
pub enum SideComparison {
    /// Exactly equal; or (for `≈`) certainly within the tolerance; or rigorous
    /// enclosures that overlap and agree to the resolution of a precision at
    /// which no evaluation step lost a nonzero quantity (see `precise`).
    Agree,
    /// Certainly different: unequal exact values or disjoint enclosures (for
    /// `≈`: certainly farther apart than the tolerance).
    Differ(Value, Value),
    /// Not decided even at the highest precision; the reason.
    Undecided(String),
    /// A side has no value here (the error of the first side that failed).
    Failed(EvalError),
}

/// One precision's answer: decided, or open with the reason and the depth of
/// the deepest loss (0 when none or unknown).
enum Attempt {
    Decided(SideComparison),
    Open(String, u64),
}

/// Compares `lhs` and `rhs` (with `|lhs − rhs| <= tolerance` for `≈`) at
/// `env`: first with f64 enclosures, then at each of [`ESCALATION_BITS`]
/// whose resolution is deep enough, then at precisions chosen from the depth
/// of the last loss (up to [`MAX_ESCALATION_BITS`]), while the answer is
/// open: enclosures that agree only after a loss, a comparison straddling the
/// tolerance, an f64 overflow. Wide enclosures and undecidable conditions are
/// not re-decided (`Failed(Indeterminate)`: the point is skipped). Without
/// `escalate`, an open answer after the f64 enclosures is `Undecided` at once
/// (the checker re-decides such points only when it lacks others).
pub fn compare_sides(
    store: &Store,
    lhs: ExprId,
    rhs: ExprId,
    env: &Env,
    tolerance: Option<&BigRational>,
    escalate: bool,
) -> SideComparison {
    compare_sides_with(&mut Plan::new(), store, lhs, rhs, env, tolerance, escalate)
}

/// [`compare_sides`] on a plan kept across points (see [`Plan`]).
pub fn compare_sides_with(
    plan: &mut Plan,
    store: &Store,
    lhs: ExprId,
    rhs: ExprId,
    env: &Env,
    tolerance: Option<&BigRational>,
    escalate: bool,
) -> SideComparison {
    let mut bits: Option<u32> = None;
    let mut ladder = ESCALATION_BITS.iter().copied();
    loop {
        let (why, depth) = match attempt(plan, store, lhs, rhs, env, tolerance, bits) {
            Attempt::Decided(answer) => return answer,
            Attempt::Open(why, depth) => (why, depth),
        };
        let Some(current) = bits else {
            if !escalate {
                return SideComparison::Undecided(format!("with f64 enclosures: {why}"));
            }
            bits = ladder.find(|&b| u64::from(resolution_bits(Some(b))) > depth);
            if bits.is_none() {
                bits = adaptive_bits(depth);
            }
            if bits.is_none() {
                return SideComparison::Undecided(too_deep(None, depth, &why));
            }
            continue;
        };
        let next = ladder
            .find(|&b| b > current && u64::from(resolution_bits(Some(b))) > depth)
            .or_else(|| {
                // at least doubling, so a loss that deepens with the precision
                // costs a few rounds, not hundreds
                let bits = adaptive_bits(depth)?.max(current.saturating_mul(2));
                (bits <= MAX_ESCALATION_BITS).then_some(bits)
            });
        match next {
            Some(b) => bits = Some(b),
            None => return SideComparison::Undecided(too_deep(Some(current), depth, &why)),
        }
    }
}

/// Why a point stays undecided after `tried` bits (`None`: f64 only).
fn too_deep(tried: Option<u32>, depth: u64, why: &str) -> String {
    let at = tried.map_or("with f64 enclosures".to_string(), |b| {
        format!("up to {b} bits")
    });
    if adaptive_bits(depth).is_none() {
        return format!(
            "{at}: {why}; resolving it needs more than the {MAX_ESCALATION_BITS} bits \
             nabla works with"
        );
    }
    format!("{at}: {why}")
}

/// The sides at one precision (`None`: f64 enclosures), evaluated by one
/// evaluator: a subterm both sides share is computed once. Its losses are
/// noted in the one ledger of this precision either way, so sharing it
/// changes no answer; each side keeps a step budget of its own.
fn attempt(
    plan: &mut Plan,
    store: &Store,
    lhs: ExprId,
    rhs: ExprId,
    env: &Env,
    tolerance: Option<&BigRational>,
    bits: Option<u32>,
) -> Attempt {
    let ((a, b), lost) = at_precision(bits, || {
        let mut evaluator = Evaluator::with_plan(store, env, plan);
        let a = evaluator.value(lhs);
        evaluator.reset_steps();
        (a, evaluator.value(rhs))
    });
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e @ EvalError::TooLarge(_)), _) | (_, Err(e @ EvalError::TooLarge(_))) => {
            return Attempt::Decided(SideComparison::Failed(e))
        }
        (Err(e), other) | (other, Err(e)) => {
            // an f64 overflow may fit at a working precision; anything else
            // is decided (or, for an undecidable condition, left as it was:
            // re-deciding conditions is not worth its cost)
            let open = |e: &EvalError| bits.is_none() && matches!(e, EvalError::Overflow);
            let certain = [Some(&e), other.as_ref().err()]
                .into_iter()
                .flatten()
                .find(|e| !open(e));
            if let Some(e) = certain {
                return Attempt::Decided(SideComparison::Failed(e.clone()));
            }
            return Attempt::Open(e.to_string(), 0);
        }
    };
    if let Some(tol) = tolerance {
        return match Value::approx_equal(&a, &b, tol) {
            Some(true) => Attempt::Decided(SideComparison::Agree),
            Some(false) => Attempt::Decided(SideComparison::Differ(a, b)),
            None => Attempt::Open("the enclosures straddle the tolerance".to_string(), 0),
        };
    }
    match Value::compare(&a, &b) {
        Agreement::Equal => Attempt::Decided(SideComparison::Agree),
        Agreement::Different => Attempt::Decided(SideComparison::Differ(a, b)),
        Agreement::Close => match lost {
            None => Attempt::Decided(SideComparison::Agree),
            Some(depth) => Attempt::Open(
                format!(
                    "they agree only after a quantity about 2^-{depth} of its neighbour \
                     fell below the working precision"
                ),
                depth,
            ),
        },
        // wide enclosures are not re-decided (the cost is not worth it): the
        // point is skipped as too imprecise
        Agreement::Inconclusive => {
            Attempt::Decided(SideComparison::Failed(EvalError::Indeterminate))
        }
    }
}

/// How two values relate (see [`Value::compare`]).
pub fn compare(a: &Value, b: &Value) -> Agreement {
    Value::compare(a, b)
}

/// Whether `|a − b| <= tol`, decided rigorously (see [`Value::approx_equal`]).
pub fn approx_equal(a: &Value, b: &Value, tol: &BigRational) -> Option<bool> {
    Value::approx_equal(a, b, tol)
}
