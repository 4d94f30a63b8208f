//! The rewrite rules as one table: name, what it does, and its side conditions.
//!
//! The code that applies a rule names it by `RuleId`; the trace shows the rule's
//! `name` from this table. The enum and the table are written once (the
//! `rule_table!` list below), so a rule id without a row cannot exist. A side
//! condition is a named `SideCondition` listed in the rule's row and decided by
//! `condition_holds` (or `may_fire`), which reads the sign analysis; a rule
//! whose condition cannot be shown does not fire.

use super::sign;
use crate::domain::Domains;
use crate::expr::{ExprId, Store};

/// The rule ids and their rows from one list: `Id = "name", "description",
/// [side conditions];`.
macro_rules! rule_table {
    ($( $(#[$doc:meta])* $id:ident = $name:literal, $desc:literal, [$($cond:ident),*]; )*) => {
        /// Which rule: the key the rewriting code dispatches on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RuleId {
            $( $(#[$doc])* $id, )*
        }

        /// The rows, in the order of `RuleId` (so `RULES[id as usize]` is `id`'s).
        static RULES: &[Rule] = &[
            $( Rule {
                id: RuleId::$id,
                name: $name,
                description: $desc,
                side_conditions: &[$(SideCondition::$cond),*],
            }, )*
        ];
    };
}

rule_table! {
    // ----- canonical form -----
    FlattenSum = "sum", "a + (b + c) → a + b + c; terms sorted, like terms collected (2x + 3x → 5x), numbers added exactly", [];
    FlattenProduct = "product", "a·(b·c) → a·b·c; factors sorted, powers of one base collected (x^a·x^b → x^(a+b)), numbers multiplied exactly; x·x^(−1) → 1 records x ≠ 0", [NonzeroBaseOrRecorded];
    PowerOne = "power_one", "u^1 → u", [];
    PowerZero = "power_zero", "u^0 → 1 (0^0 is left undefined)", [NonzeroBaseOrRecorded];
    PowerOfPower = "power_of_power", "(u^a)^b → u^(a·b) for exact a, b", [IntegerExponentOrNonnegativeBase];
    PowerOfProduct = "power_of_product", "(u·v)^n → u^n·v^n", [IntegerExponentOrNonnegativeBase];
    NumberPower = "number_power", "exact powers of numbers: 2^3 → 8, (9/4)^(1/2) → 3/2", [];
    ConstantCall = "constant_value", "exact values: exp(0) → 1, ln(1) → 0, |−2| → 2, H(0) → 1/2, sign(−3) → −1, relu(−1) → 0, σ(0) → 1/2, tanh(0) → 0, δ(i, i) → 1, δ(j, i) → δ(i, j)", [];
    SqrtAsPower = "sqrt_as_power", "sqrt(u) → u^(1/2)", [];
    AbsOfSigned = "abs_of_signed", "|u| → u where u ≥ 0, |u| → −u where u ≤ 0", [NonnegativeArgument, NonpositiveArgument];
    StepOfSigned = "step_of_signed", "H(u), sign(u), relu(u) evaluated where the sign of u is known (H(0) = 1/2)", [SignDecided];
    // ----- definitions expanded for proving -----
    SigmoidDef = "sigmoid_def", "σ(t) → 1/(1 + exp(−t))", [];
    SoftplusDef = "softplus_def", "softplus(t) → ln(1 + exp(t))", [];
    TanhDef = "tanh_def", "tanh(t) → (exp(2t) − 1)/(exp(2t) + 1)", [];
    ReluDef = "relu_def", "relu(t) → t·H(t)", [];
    LogBaseDef = "log_base_def", "log2(u) → ln(u)/ln(2), log10(u) → ln(u)/ln(10)", [];
    /// Any other built-in with a definition in its table row.
    Definition = "definition", "a built-in defined over others is its definition (`crate::expr::func`): cosh(t) → (exp(t) + exp(−t))/2, gelu(t) → t·Φ(t), Φ(t) → (1 + erf(t/√2))/2, max(a, b) → b + relu(a − b), …", [];
    Pythagorean = "pythagorean", "cos(t)^n → cos(t)^r·(1 − sin(t)^2)^q for an integer n = 2q + r, |n| ≥ 2, r ∈ {−1, 0, 1}", [];
    Parity = "parity", "f(−t) → −f(t) for an odd f (sin, atan, erf), f(−t) → f(t) for an even one (cos), t with a negative coefficient", [];
    // ----- exp / ln -----
    ExpOfSum = "exp_of_sum", "exp(a + b) → exp(a)·exp(b)", [];
    ExpOfMultiple = "exp_of_multiple", "exp(c·a) → exp(a)^c for an exact c (exp(−a) → exp(a)^(−1))", [];
    ExpOfLn = "exp_of_ln", "exp(ln u) → u", [PositiveArgument];
    ExpPower = "exp_power", "exp(a)^v → exp(a·v) (exp(a) > 0)", [];
    PowerAsExp = "power_as_exp", "u^v → exp(v·ln u) for a non-constant exponent v", [PositiveBase];
    LnOfExp = "ln_of_exp", "ln(exp(a)) → a", [RealArgument];
    LnOfNumber = "ln_of_number", "ln(p/q) → ln(p) − ln(q) for positive integers p, q; ln(1) → 0", [];
    LnOfProduct = "ln_of_product", "ln(u·v) → ln(u) + ln(v)", [PositiveFactors];
    LnOfPower = "ln_of_power", "ln(u^r) → r·ln(u)", [PositiveBase];
    LnOfEvenPower = "ln_of_even_power", "ln(u^(2k)·v) → 2k·ln|u| + ln(v) (u^(2k) = |u|^(2k))", [PositiveFactors];
    LnOfQuotient = "ln_of_quotient", "ln(c·m·p/q) → ln(c) + ln(m) + ln(p) − ln(q) for a number c, a monomial m and polynomials p, q in the atoms", [PositiveFactors];
    // ----- index calculus -----
    DeltaSubstitute = "delta_substitute", "δ(i, j)·f(j) → δ(i, j)·f(i) for indices i, j (both sides are 0 unless i = j)", [IndexArguments];
    SumOfDelta = "sum_of_delta", "Σ_(j=1)^n δ(i, j)·f(j) → f(i) for an index i ranging over 1..n", [SameRange];
    SumLinear = "sum_linear", "Σ_j (a_j + b_j) → Σ_j a_j + Σ_j b_j", [];
    SumConstantFactor = "sum_constant_factor", "Σ_j c·a_j → c·Σ_j a_j when c does not depend on j", [];
    SumOfConstant = "sum_of_constant", "Σ_(j=l)^u c → (u − l + 1)·c when c does not depend on j", [IntegerBound, NonnegativeRange];
    SumExpand = "sum_expand", "Σ_j p(j)/q(j) → Σ over the monomials m of p of Σ_j m/q(j) (the body expanded, each term summed on its own)", [];
    GeometricSum = "geometric_sum", "Σ_(k=l)^u exp(a·k) → (exp(a·(u + 1)) − exp(a·l))/(exp(a) − 1) for integer bounds with u ≥ l − 1; a ≠ 0 shown or recorded", [IntegerBound, NonnegativeRange, NonzeroBaseOrRecorded];
    RootAtom = "root_atom", "u^(p/q) → u^⌊p/q⌋·(u^(1/q))^(p − q⌊p/q⌋) for a sum u, read with one atom u^(1/q); (u^(1/q))^q → u in the numerator of a difference", [RootDefined];
    OneHotSum = "onehot_sum", "Σ_(i=1)^n e_i → 1 for a one-hot e of size n", [SameRange];
    DeltaOfDistinct = "delta_of_distinct", "δ(i, j) → 0 where i ≠ j is shown", [DistinctArguments];
    SumExchange = "sum_exchange", "Σ_i f(i)·Σ_j g(i, j) → Σ_j Σ_i f(i)·g(i, j): a nest of sums over one product re-nested in one canonical order", [IndependentRanges];
    // ----- structure -----
    PiecewiseDecided = "piecewise_decided", "a piecewise expression whose first true condition is decided takes that branch", [ConditionDecided];
    CaseSplit = "case_split", "prove separately for t > 0, t = 0 and t < 0, where t is the argument of H, sign, abs, relu or a piecewise condition", [];
    RationalForm = "rational_form", "both sides to one fraction N/D over atoms (symbols and non-polynomial subterms); N expands to the zero polynomial", [DenominatorRecorded];
    // ----- display -----
    GcdCancel = "gcd_cancel", "p·g/(q·g) → p/q by the multivariate polynomial GCD over the rationals (display only)", [];
    FoldSigmoid = "fold_sigmoid", "1/(1 + exp(−t)) → σ(t), exp(t)/(1 + exp(t)) → σ(t) (display only)", [];
    FoldSoftplus = "fold_softplus", "ln(1 + exp(t)) → softplus(t) (display only)", [];
    FoldSigmoidDerivative = "fold_sigmoid_derivative", "exp(−t)/(1 + exp(−t))^2 → σ(t)·(1 − σ(t)) (display only)", [];
}

/// A condition a rule needs before it may fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideCondition {
    /// the argument is shown `> 0` by the sign analysis
    PositiveArgument,
    /// the argument is shown `≥ 0` by the sign analysis
    NonnegativeArgument,
    /// the argument is shown `≤ 0` by the sign analysis
    NonpositiveArgument,
    /// the bound of the sum is integer-valued (a sum is defined only for integer bounds)
    IntegerBound,
    /// every factor split off is shown `> 0`
    PositiveFactors,
    /// the base of the power is shown `> 0`
    PositiveBase,
    /// the base is shown `≠ 0`, or `base ≠ 0` is recorded as a condition of the result
    NonzeroBaseOrRecorded,
    /// the outer exponent is an integer (the rule's own case), or the base is shown `≥ 0`
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
    /// Every condition (the completeness test checks each is used by a rule).
    pub const ALL: &'static [SideCondition] = &[
        SideCondition::PositiveArgument,
        SideCondition::NonnegativeArgument,
        SideCondition::NonpositiveArgument,
        SideCondition::IntegerBound,
        SideCondition::PositiveFactors,
        SideCondition::PositiveBase,
        SideCondition::NonzeroBaseOrRecorded,
        SideCondition::IntegerExponentOrNonnegativeBase,
        SideCondition::RealArgument,
        SideCondition::SignDecided,
        SideCondition::ConditionDecided,
        SideCondition::DenominatorRecorded,
        SideCondition::IndexArguments,
        SideCondition::SameRange,
        SideCondition::NonnegativeRange,
        SideCondition::IndependentRanges,
        SideCondition::DistinctArguments,
        SideCondition::RootDefined,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SideCondition::PositiveArgument => "positive_argument",
            SideCondition::NonnegativeArgument => "nonnegative_argument",
            SideCondition::NonpositiveArgument => "nonpositive_argument",
            SideCondition::IntegerBound => "integer_bound",
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
            SideCondition::IntegerExponentOrNonnegativeBase
            | SideCondition::NonnegativeArgument => sign::is_nonnegative(store, domains, subject),
            SideCondition::NonpositiveArgument => sign::is_nonpositive(store, domains, subject),
            SideCondition::IntegerBound => sign::is_integer_valued(store, domains, subject),
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
    /// The named conditions the rule is applied under (a rule with cases, such
    /// as `|u| → ±u`, lists the condition of each case).
    pub side_conditions: &'static [SideCondition],
}

/// The rule table, in one readable list.
pub fn rules() -> &'static [Rule] {
    RULES
}

/// The table row of a rule.
pub fn rule_of(id: RuleId) -> &'static Rule {
    // the enum and the rows come from one list, in one order
    &RULES[id as usize]
}

/// Whether `condition` holds for `subject` where rule `id` uses it: the one
/// place a rule's side condition is decided. A condition the rule's row does
/// not list never holds (the rule does not fire), and a test run stops there.
pub fn condition_holds(
    id: RuleId,
    condition: SideCondition,
    store: &Store,
    domains: &Domains,
    subject: ExprId,
) -> bool {
    let listed = rule_of(id).side_conditions.contains(&condition);
    debug_assert!(listed, "rule {id:?} does not list {condition:?}");
    listed && condition.holds(store, domains, subject)
}

/// Whether a rule may fire on `subject`: every condition of its row holds
/// there (for rules whose conditions are all about one subject).
pub fn may_fire(id: RuleId, store: &Store, domains: &Domains, subject: ExprId) -> bool {
    rule_of(id)
        .side_conditions
        .iter()
        .all(|&c| condition_holds(id, c, store, domains, subject))
}
