//! The rewrite rules as one table: name, what it does, and its side condition.
//!
//! The code that applies a rule names it by `RuleId`; the trace shows the rule's
//! `name` from this table, and a rule with a side condition fires only when the
//! named condition is shown (`SideCondition::holds`, which reads the sign
//! analysis). A rule whose condition cannot be shown does not fire.

use super::sign;
use crate::domain::Domains;
use crate::expr::{ExprId, Store};

/// Which rule: the key the rewriting code dispatches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleId {
    // ----- canonical form -----
    FlattenSum,
    FlattenProduct,
    PowerOne,
    PowerZero,
    PowerOfPower,
    PowerOfProduct,
    NumberPower,
    ConstantCall,
    SqrtAsPower,
    AbsOfSigned,
    StepOfSigned,
    // ----- definitions expanded for proving -----
    SigmoidDef,
    SoftplusDef,
    TanhDef,
    ReluDef,
    LogBaseDef,
    /// Any other built-in with a definition in its table row.
    Definition,
    Pythagorean,
    Parity,
    // ----- exp / ln -----
    ExpOfSum,
    ExpOfMultiple,
    ExpOfLn,
    ExpPower,
    PowerAsExp,
    LnOfExp,
    LnOfNumber,
    LnOfProduct,
    LnOfPower,
    LnOfEvenPower,
    LnOfQuotient,
    // ----- index calculus -----
    DeltaSubstitute,
    SumOfDelta,
    SumLinear,
    SumConstantFactor,
    SumOfConstant,
    SumExpand,
    GeometricSum,
    RootAtom,
    OneHotSum,
    DeltaOfDistinct,
    SumExchange,
    // ----- structure -----
    PiecewiseDecided,
    CaseSplit,
    RationalForm,
    // ----- display -----
    GcdCancel,
    FoldSigmoid,
    FoldSoftplus,
    FoldSigmoidDerivative,
}

/// A condition a rule needs before it may fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideCondition {
    /// the argument is shown `> 0` by the sign analysis
    PositiveArgument,
    /// every factor split off is shown `> 0`
    PositiveFactors,
    /// the base of the power is shown `> 0`
    PositiveBase,
    /// the base is shown `≠ 0`, or `base ≠ 0` is recorded as a condition of the result
    NonzeroBaseOrRecorded,
    /// the outer exponent is an integer, or the base is shown `≥ 0`
    IntegerExponentOrNonnegativeBase,
    /// the argument is real (every expression is, where defined)
    RealArgument,
    /// the sign of the argument is decided by the sign analysis
    SignDecided,
    /// the branch condition is decided by the sign analysis
    ConditionDecided,
    /// the denominator is recorded `≠ 0` (it is, wherever the sides are defined)
    DenominatorRecorded,
    /// both arguments of the δ are integer-valued symbols (indices)
    IndexArguments,
    /// the index the sum collapses to ranges over exactly the sum's range
    SameRange,
    /// the sum's range is not negative: upper ≥ lower − 1
    NonnegativeRange,
    /// no sum's bounds depend on the index of another sum in the nest
    IndependentRanges,
    /// the difference of the two arguments is shown `≠ 0`
    DistinctArguments,
    /// a non-integer power is defined only for a base `≥ 0` (a negative base
    /// makes both sides undefined), where `(u^(1/q))^q = u`
    RootDefined,
}

impl SideCondition {
    pub fn name(self) -> &'static str {
        match self {
            SideCondition::PositiveArgument => "positive_argument",
            SideCondition::PositiveFactors => "positive_factors",
            SideCondition::PositiveBase => "positive_base",
            SideCondition::NonzeroBaseOrRecorded => "nonzero_base_or_recorded",
            SideCondition::IntegerExponentOrNonnegativeBase => {
                "integer_exponent_or_nonnegative_base"
            }
            SideCondition::RealArgument => "real_argument",
            SideCondition::SignDecided => "sign_decided",
            SideCondition::ConditionDecided => "condition_decided",
            SideCondition::DenominatorRecorded => "denominator_recorded",
            SideCondition::IndexArguments => "index_arguments",
            SideCondition::SameRange => "same_range",
            SideCondition::NonnegativeRange => "nonnegative_range",
            SideCondition::IndependentRanges => "independent_ranges",
            SideCondition::DistinctArguments => "distinct_arguments",
            SideCondition::RootDefined => "root_defined",
        }
    }

    /// Whether the condition holds for `subject` (the argument, factor or base
    /// the condition is about). Conditions that are recorded rather than shown,
    /// and those decided by the rewriting code itself, hold trivially here.
    pub fn holds(self, store: &Store, domains: &Domains, subject: ExprId) -> bool {
        match self {
            SideCondition::PositiveArgument
            | SideCondition::PositiveFactors
            | SideCondition::PositiveBase => sign::is_positive(store, domains, subject),
            SideCondition::IntegerExponentOrNonnegativeBase => {
                sign::is_nonnegative(store, domains, subject)
            }
            SideCondition::RealArgument => sign::is_real(store, subject),
            // `subject` is `i − j`
            SideCondition::DistinctArguments => sign::is_nonzero(store, domains, subject),
            SideCondition::IndexArguments => match store.node(subject) {
                crate::expr::Node::Sym(s) => domains.is_integer(*s),
                _ => false,
            },
            // `subject` is `upper − lower + 1`
            SideCondition::NonnegativeRange => sign::is_nonnegative(store, domains, subject),
            SideCondition::NonzeroBaseOrRecorded
            | SideCondition::SignDecided
            | SideCondition::ConditionDecided
            | SideCondition::DenominatorRecorded
            | SideCondition::SameRange
            | SideCondition::IndependentRanges
            | SideCondition::RootDefined => true,
        }
    }
}

/// One row of the rule table.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: RuleId,
    pub name: &'static str,
    pub description: &'static str,
    pub side_condition: Option<SideCondition>,
}

const fn rule(
    id: RuleId,
    name: &'static str,
    description: &'static str,
    side_condition: Option<SideCondition>,
) -> Rule {
    Rule {
        id,
        name,
        description,
        side_condition,
    }
}

use RuleId as R;
use SideCondition as C;

static RULES: &[Rule] = &[
    rule(R::FlattenSum, "sum", "a + (b + c) → a + b + c; terms sorted, like terms collected (2x + 3x → 5x), numbers added exactly", None),
    rule(R::FlattenProduct, "product", "a·(b·c) → a·b·c; factors sorted, powers of one base collected (x^a·x^b → x^(a+b)), numbers multiplied exactly; x·x^(−1) → 1 records x ≠ 0", Some(C::NonzeroBaseOrRecorded)),
    rule(R::PowerOne, "power_one", "u^1 → u", None),
    rule(R::PowerZero, "power_zero", "u^0 → 1 (0^0 is left undefined)", Some(C::NonzeroBaseOrRecorded)),
    rule(R::PowerOfPower, "power_of_power", "(u^a)^b → u^(a·b) for exact a, b", Some(C::IntegerExponentOrNonnegativeBase)),
    rule(R::PowerOfProduct, "power_of_product", "(u·v)^n → u^n·v^n", Some(C::IntegerExponentOrNonnegativeBase)),
    rule(R::NumberPower, "number_power", "exact powers of numbers: 2^3 → 8, (9/4)^(1/2) → 3/2", None),
    rule(R::ConstantCall, "constant_value", "exact values: exp(0) → 1, ln(1) → 0, |−2| → 2, H(0) → 1/2, sign(−3) → −1, relu(−1) → 0, σ(0) → 1/2, tanh(0) → 0, δ(i, i) → 1, δ(j, i) → δ(i, j)", None),
    rule(R::SqrtAsPower, "sqrt_as_power", "sqrt(u) → u^(1/2)", None),
    rule(R::AbsOfSigned, "abs_of_signed", "|u| → u where u ≥ 0, |u| → −u where u ≤ 0", Some(C::SignDecided)),
    rule(R::StepOfSigned, "step_of_signed", "H(u), sign(u), relu(u) evaluated where the sign of u is known (H(0) = 1/2)", Some(C::SignDecided)),
    rule(R::SigmoidDef, "sigmoid_def", "σ(t) → 1/(1 + exp(−t))", None),
    rule(R::SoftplusDef, "softplus_def", "softplus(t) → ln(1 + exp(t))", None),
    rule(R::TanhDef, "tanh_def", "tanh(t) → (exp(2t) − 1)/(exp(2t) + 1)", None),
    rule(R::ReluDef, "relu_def", "relu(t) → t·H(t)", None),
    rule(R::LogBaseDef, "log_base_def", "log2(u) → ln(u)/ln(2), log10(u) → ln(u)/ln(10)", None),
    rule(R::Definition, "definition", "a built-in defined over others is its definition (`crate::expr::func`): cosh(t) → (exp(t) + exp(−t))/2, gelu(t) → t·Φ(t), Φ(t) → (1 + erf(t/√2))/2, max(a, b) → b + relu(a − b), …", None),
    rule(R::Pythagorean, "pythagorean", "cos(t)^n → cos(t)^r·(1 − sin(t)^2)^q for an integer n = 2q + r, |n| ≥ 2, r ∈ {−1, 0, 1}", None),
    rule(R::Parity, "parity", "f(−t) → −f(t) for an odd f (sin, atan, erf), f(−t) → f(t) for an even one (cos), t with a negative coefficient", None),
    rule(R::ExpOfSum, "exp_of_sum", "exp(a + b) → exp(a)·exp(b)", None),
    rule(R::ExpOfMultiple, "exp_of_multiple", "exp(c·a) → exp(a)^c for an exact c (exp(−a) → exp(a)^(−1))", None),
    rule(R::ExpOfLn, "exp_of_ln", "exp(ln u) → u", Some(C::PositiveArgument)),
    rule(R::ExpPower, "exp_power", "exp(a)^v → exp(a·v) (exp(a) > 0)", None),
    rule(R::PowerAsExp, "power_as_exp", "u^v → exp(v·ln u) for a non-constant exponent v", Some(C::PositiveBase)),
    rule(R::LnOfExp, "ln_of_exp", "ln(exp(a)) → a", Some(C::RealArgument)),
    rule(R::LnOfNumber, "ln_of_number", "ln(p/q) → ln(p) − ln(q) for positive integers p, q; ln(1) → 0", None),
    rule(R::LnOfProduct, "ln_of_product", "ln(u·v) → ln(u) + ln(v)", Some(C::PositiveFactors)),
    rule(R::LnOfPower, "ln_of_power", "ln(u^r) → r·ln(u)", Some(C::PositiveBase)),
    rule(R::LnOfEvenPower, "ln_of_even_power", "ln(u^(2k)·v) → 2k·ln|u| + ln(v) (u^(2k) = |u|^(2k))", Some(C::PositiveFactors)),
    rule(R::LnOfQuotient, "ln_of_quotient", "ln(c·m·p/q) → ln(c) + ln(m) + ln(p) − ln(q) for a number c, a monomial m and polynomials p, q in the atoms", Some(C::PositiveFactors)),
    rule(R::DeltaSubstitute, "delta_substitute", "δ(i, j)·f(j) → δ(i, j)·f(i) for indices i, j (both sides are 0 unless i = j)", Some(C::IndexArguments)),
    rule(R::SumOfDelta, "sum_of_delta", "Σ_(j=1)^n δ(i, j)·f(j) → f(i) for an index i ranging over 1..n", Some(C::SameRange)),
    rule(R::SumLinear, "sum_linear", "Σ_j (a_j + b_j) → Σ_j a_j + Σ_j b_j", None),
    rule(R::SumConstantFactor, "sum_constant_factor", "Σ_j c·a_j → c·Σ_j a_j when c does not depend on j", None),
    rule(R::SumOfConstant, "sum_of_constant", "Σ_(j=l)^u c → (u − l + 1)·c when c does not depend on j", Some(C::NonnegativeRange)),
    rule(R::SumExpand, "sum_expand", "Σ_j p(j)/q(j) → Σ over the monomials m of p of Σ_j m/q(j) (the body expanded, each term summed on its own)", None),
    rule(R::GeometricSum, "geometric_sum", "Σ_(k=l)^u exp(a·k) → (exp(a·(u + 1)) − exp(a·l))/(exp(a) − 1) for integer bounds with u ≥ l − 1; a ≠ 0 shown or recorded", Some(C::NonzeroBaseOrRecorded)),
    rule(R::RootAtom, "root_atom", "u^(p/q) → u^⌊p/q⌋·(u^(1/q))^(p − q⌊p/q⌋) for a sum u, read with one atom u^(1/q); (u^(1/q))^q → u in the numerator of a difference", Some(C::RootDefined)),
    rule(R::OneHotSum, "onehot_sum", "Σ_(i=1)^n e_i → 1 for a one-hot e of size n", Some(C::SameRange)),
    rule(R::DeltaOfDistinct, "delta_of_distinct", "δ(i, j) → 0 where i ≠ j is shown", Some(C::DistinctArguments)),
    rule(R::SumExchange, "sum_exchange", "Σ_i f(i)·Σ_j g(i, j) → Σ_j Σ_i f(i)·g(i, j): a nest of sums over one product re-nested in one canonical order", Some(C::IndependentRanges)),
    rule(R::PiecewiseDecided, "piecewise_decided", "a piecewise expression whose first true condition is decided takes that branch", Some(C::ConditionDecided)),
    rule(R::CaseSplit, "case_split", "prove separately for t > 0, t = 0 and t < 0, where t is the argument of H, sign, abs, relu or a piecewise condition", None),
    rule(R::RationalForm, "rational_form", "both sides to one fraction N/D over atoms (symbols and non-polynomial subterms); N expands to the zero polynomial", Some(C::DenominatorRecorded)),
    rule(R::GcdCancel, "gcd_cancel", "p·g/(q·g) → p/q by the multivariate polynomial GCD over the rationals (display only)", None),
    rule(R::FoldSigmoid, "fold_sigmoid", "1/(1 + exp(−t)) → σ(t), exp(t)/(1 + exp(t)) → σ(t) (display only)", None),
    rule(R::FoldSoftplus, "fold_softplus", "ln(1 + exp(t)) → softplus(t) (display only)", None),
    rule(R::FoldSigmoidDerivative, "fold_sigmoid_derivative", "exp(−t)/(1 + exp(−t))^2 → σ(t)·(1 − σ(t)) (display only)", None),
];

/// The rule table, in one readable list.
pub fn rules() -> &'static [Rule] {
    RULES
}

/// The table row of a rule.
pub fn rule_of(id: RuleId) -> &'static Rule {
    // every RuleId has exactly one row (checked by a test); fall back to the first
    // row rather than panic if a row were ever missing
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

/// Whether a rule may fire on `subject`: it has no side condition, or its
/// condition is shown.
pub fn may_fire(id: RuleId, store: &Store, domains: &Domains, subject: ExprId) -> bool {
    rule_of(id)
        .side_condition
        .is_none_or(|c| c.holds(store, domains, subject))
}
