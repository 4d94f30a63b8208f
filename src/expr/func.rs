//! The built-in functions, one row each: names, arity, LaTeX spellings, the
//! definition the prover and the evaluator expand, the derivative, exact
//! values, sign facts and how values are enclosed.
//!
//! A function defined by a formula over other built-ins (`gelu(x) = x·Φ(x)`)
//! needs this row and nothing else: proofs expand the definition, values are
//! enclosed through it, and the derivative is either the row's formula or the
//! definition's (which carries its kinks). A function with its own enclosure,
//! sign rule or LaTeX form names an `Enclosure`, `SignFact` or `Latex` variant,
//! and the compiler then lists every place that variant needs code.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

/// A built-in scalar function (or constant, with arity 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    Exp,
    /// Natural logarithm (`ln` and `log` both mean this).
    Ln,
    Log2,
    Log10,
    Sqrt,
    Abs,
    Sigmoid,
    Softplus,
    Tanh,
    Relu,
    /// Heaviside step with H(0) = 1/2.
    Heaviside,
    Sign,
    Floor,
    Ceil,
    /// Kronecker delta of two indices.
    Delta,
    /// The constant π.
    Pi,
    Sin,
    Cos,
    Tan,
    Atan,
    Sinh,
    Cosh,
    Erf,
    Erfc,
    /// The standard normal CDF Φ.
    NormalCdf,
    /// The standard normal density φ.
    NormalPdf,
    /// `x·Φ(x)`, exact GELU.
    Gelu,
    /// The tanh approximation of GELU.
    GeluTanh,
    /// `x·σ(x)` (swish).
    Silu,
    Mish,
    /// `elu(x, α)`.
    Elu,
    Selu,
    /// `leaky_relu(x, α)`.
    LeakyRelu,
    Softsign,
    Hardtanh,
    Max,
    Min,
    Log1p,
    Expm1,
    /// A function that exists only for the test that one row is enough.
    #[cfg(test)]
    Fake,
}

/// How a built-in is written in LaTeX (printed, and read back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatexForm {
    /// An operator command: `\exp(x)`; also read without parentheses.
    Operator(&'static str),
    /// A command that is a letter: `\sigma(x)`, `\Phi(x)`, `\pi`.
    Letter(&'static str),
    /// `\operatorname{gelu}(x)`, read back through the word.
    Named,
    /// `\log_2`, `\sqrt{}`, `|x|`, `⌊x⌋`, `δ_{ij}`, `H(x)`: the printer's own.
    Log2,
    Log10,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Delta,
    Heaviside,
}

/// What the sign of a call is, from the sign of its (first) argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignFact {
    Positive,
    Nonnegative,
    /// Same sign as the argument (odd and increasing through 0).
    SameAsArg,
    Unknown,
    /// Worked out by the sign analysis itself (√, |·|, H, relu, logarithms).
    Sqrt,
    Abs,
    Heaviside,
    Relu,
    Log,
}

/// How a value is enclosed: through the definition, or by the evaluator's own rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enclosure {
    ByDefinition,
    Exp,
    Ln,
    Log2,
    Log10,
    Sqrt,
    Abs,
    Sigmoid,
    Softplus,
    Tanh,
    Relu,
    Heaviside,
    Sign,
    Floor,
    Ceil,
    Delta,
    Pi,
    Sin,
    Cos,
    Atan,
    Erf,
}

/// How a built-in is written for SymPy (`sympy.sympify` reads it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SympyForm {
    /// SymPy's function of that name, the arguments as given: `exp(x)`, `Abs(x)`.
    Named(&'static str),
    /// A text with `{0}`, `{1}` for the arguments: `log({0}, 2)`, `pi`.
    Template(&'static str),
    /// The row's definition written out (SymPy has no such function).
    ByDefinition,
}

/// The derivative of a built-in.
#[derive(Clone, Copy, Debug)]
pub enum Derivative {
    /// One formula per argument (`Formula::Value` is the call itself).
    Partials(&'static [Formula]),
    /// The derivative of the definition, kinks included (max, hardtanh, elu, …).
    ByDefinition,
    /// Worked out by `crate::diff` (kinks of relu, |·|, √, steps, rounding).
    Own,
}

/// A formula over a call's arguments, the language of definitions and derivatives.
#[derive(Clone, Copy, Debug)]
pub enum Formula {
    Arg(usize),
    /// The call itself (in a derivative: `exp' = exp`).
    Value,
    Int(i64),
    Ratio(i64, i64),
    /// An exact decimal constant, as PyTorch writes it (`selu`'s λ and α).
    Decimal(&'static str),
    Add(&'static [Formula]),
    Mul(&'static [Formula]),
    Pow(&'static Formula, i64),
    Call(Func, &'static [Formula]),
}

/// Symmetry under `x → −x` of the first argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parity {
    Odd,
    Even,
    Neither,
}

/// A row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The name printed (`σ`, `Φ`).
    pub name: &'static str,
    /// An ASCII name the parser reads back (`sigma`, `Phi`).
    pub ascii: &'static str,
    pub aliases: &'static [&'static str],
    pub arity: usize,
    pub latex: LatexForm,
    /// The definition over other built-ins, expanded by proofs.
    pub definition: Option<Formula>,
    pub derivative: Derivative,
    /// Exact values at exact arguments (`sin 0 = 0`), `None` where not rational.
    pub values: fn(&[BigRational]) -> Option<BigRational>,
    pub sign: SignFact,
    pub enclosure: Enclosure,
    /// How SymPy writes it (`crate::expr::sympy`).
    pub sympy: SympyForm,
}

use Formula::{Add, Arg, Call, Int, Mul, Pow, Ratio, Value};

const X: Formula = Arg(0);
const NEG_X: Formula = Mul(&[Int(-1), X]);

fn none(_: &[BigRational]) -> Option<BigRational> {
    None
}

fn one_arg(args: &[BigRational]) -> Option<&BigRational> {
    match args {
        [x] => Some(x),
        _ => None,
    }
}

/// `f(0) = v` and nothing else exact.
fn at_zero(args: &[BigRational], v: i64) -> Option<BigRational> {
    one_arg(args)
        .filter(|x| x.is_zero())
        .map(|_| BigRational::from_integer(BigInt::from(v)))
}

fn zero_at_zero(args: &[BigRational]) -> Option<BigRational> {
    at_zero(args, 0)
}

fn one_at_zero(args: &[BigRational]) -> Option<BigRational> {
    at_zero(args, 1)
}

fn half() -> BigRational {
    BigRational::new(BigInt::one(), BigInt::from(2))
}

fn relu_of(x: &BigRational) -> BigRational {
    if x.is_positive() {
        x.clone()
    } else {
        BigRational::zero()
    }
}

fn parse_decimal(text: &str) -> BigRational {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits: BigInt = format!("{int}{frac}").parse().unwrap_or_default();
    let scale = num_traits::pow::pow(BigInt::from(10), frac.len());
    BigRational::new(digits, scale)
}

/// SELU's constants as PyTorch writes them.
pub(crate) const SELU_SCALE: &str = "1.0507009873554804934193349852946";
pub(crate) const SELU_ALPHA: &str = "1.6732632423543772848170429916717";

impl Func {
    /// Every built-in, in table order.
    pub const ALL: &'static [Func] = &[
        Func::Exp,
        Func::Ln,
        Func::Log2,
        Func::Log10,
        Func::Sqrt,
        Func::Abs,
        Func::Sigmoid,
        Func::Softplus,
        Func::Tanh,
        Func::Relu,
        Func::Heaviside,
        Func::Sign,
        Func::Floor,
        Func::Ceil,
        Func::Delta,
        Func::Pi,
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Atan,
        Func::Sinh,
        Func::Cosh,
        Func::Erf,
        Func::Erfc,
        Func::NormalCdf,
        Func::NormalPdf,
        Func::Gelu,
        Func::GeluTanh,
        Func::Silu,
        Func::Mish,
        Func::Elu,
        Func::Selu,
        Func::LeakyRelu,
        Func::Softsign,
        Func::Hardtanh,
        Func::Max,
        Func::Min,
        Func::Log1p,
        Func::Expm1,
        #[cfg(test)]
        Func::Fake,
    ];

    /// The row of this built-in.
    pub fn row(self) -> &'static Row {
        match self {
            Func::Exp => &Row {
                name: "exp",
                ascii: "exp",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Operator("exp"),
                definition: None,
                derivative: Derivative::Partials(&[Value]),
                values: zero_is_one_exp,
                sign: SignFact::Positive,
                enclosure: Enclosure::Exp,
                sympy: SympyForm::Named("exp"),
            },
            Func::Ln => &Row {
                name: "ln",
                ascii: "ln",
                aliases: &["log"],
                arity: 1,
                latex: LatexForm::Operator("ln"),
                definition: None,
                derivative: Derivative::Partials(&[Pow(&X, -1)]),
                values: log_of_one,
                sign: SignFact::Log,
                enclosure: Enclosure::Ln,
                sympy: SympyForm::Named("log"),
            },
            Func::Log2 => &Row {
                name: "log2",
                ascii: "log2",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Log2,
                definition: None,
                derivative: Derivative::Partials(&[Pow(&Mul(&[X, Call(Func::Ln, &[Int(2)])]), -1)]),
                values: log_of_one,
                sign: SignFact::Log,
                enclosure: Enclosure::Log2,
                sympy: SympyForm::Template("log({0}, 2)"),
            },
            Func::Log10 => &Row {
                name: "log10",
                ascii: "log10",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Log10,
                definition: None,
                derivative: Derivative::Partials(&[Pow(
                    &Mul(&[X, Call(Func::Ln, &[Int(10)])]),
                    -1,
                )]),
                values: log_of_one,
                sign: SignFact::Log,
                enclosure: Enclosure::Log10,
                sympy: SympyForm::Template("log({0}, 10)"),
            },
            Func::Sqrt => &Row {
                name: "sqrt",
                ascii: "sqrt",
                aliases: &["√"],
                arity: 1,
                latex: LatexForm::Sqrt,
                definition: None,
                derivative: Derivative::Own,
                values: sqrt_value,
                sign: SignFact::Sqrt,
                enclosure: Enclosure::Sqrt,
                sympy: SympyForm::Named("sqrt"),
            },
            Func::Abs => &Row {
                name: "abs",
                ascii: "abs",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Abs,
                definition: None,
                derivative: Derivative::Own,
                values: |a| one_arg(a).map(Signed::abs),
                sign: SignFact::Abs,
                enclosure: Enclosure::Abs,
                sympy: SympyForm::Named("Abs"),
            },
            Func::Sigmoid => &Row {
                name: "σ",
                ascii: "sigma",
                aliases: &["sigma", "sigmoid"],
                arity: 1,
                latex: LatexForm::Letter("sigma"),
                definition: None,
                derivative: Derivative::Partials(&[Mul(&[
                    Value,
                    Add(&[Int(1), Mul(&[Int(-1), Value])]),
                ])]),
                values: |a| one_arg(a).filter(|x| x.is_zero()).map(|_| half()),
                sign: SignFact::Positive,
                enclosure: Enclosure::Sigmoid,
                sympy: SympyForm::Template("(1/(1 + exp(-({0}))))"),
            },
            Func::Softplus => &Row {
                name: "softplus",
                ascii: "softplus",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                definition: None,
                derivative: Derivative::Partials(&[Call(Func::Sigmoid, &[X])]),
                values: none,
                sign: SignFact::Positive,
                enclosure: Enclosure::Softplus,
                sympy: SympyForm::Template("log(1 + exp({0}))"),
            },
            Func::Tanh => &Row {
                name: "tanh",
                ascii: "tanh",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Operator("tanh"),
                definition: None,
                derivative: Derivative::Partials(&[Add(&[
                    Int(1),
                    Mul(&[Int(-1), Pow(&Value, 2)]),
                ])]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::Tanh,
                sympy: SympyForm::Named("tanh"),
            },
            Func::Relu => &Row {
                name: "relu",
                ascii: "relu",
                aliases: &["ReLU"],
                arity: 1,
                latex: LatexForm::Named,
                definition: None,
                derivative: Derivative::Own,
                values: |a| one_arg(a).map(relu_of),
                sign: SignFact::Relu,
                enclosure: Enclosure::Relu,
                sympy: SympyForm::Template("Max(0, {0})"),
            },
            Func::Heaviside => &Row {
                name: "H",
                ascii: "H",
                aliases: &["heaviside"],
                arity: 1,
                latex: LatexForm::Heaviside,
                definition: None,
                derivative: Derivative::Own,
                values: |a| {
                    one_arg(a).map(|x| {
                        if x.is_positive() {
                            BigRational::one()
                        } else if x.is_zero() {
                            half()
                        } else {
                            BigRational::zero()
                        }
                    })
                },
                sign: SignFact::Heaviside,
                enclosure: Enclosure::Heaviside,
                sympy: SympyForm::Template("Heaviside({0}, Rational(1, 2))"),
            },
            Func::Sign => &Row {
                name: "sign",
                ascii: "sign",
                aliases: &["sgn"],
                arity: 1,
                latex: LatexForm::Named,
                definition: None,
                derivative: Derivative::Own,
                values: |a| one_arg(a).map(Signed::signum),
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::Sign,
                sympy: SympyForm::Named("sign"),
            },
            Func::Floor => &Row {
                name: "floor",
                ascii: "floor",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Floor,
                definition: None,
                derivative: Derivative::Own,
                values: |a| one_arg(a).map(BigRational::floor),
                sign: SignFact::Unknown,
                enclosure: Enclosure::Floor,
                sympy: SympyForm::Named("floor"),
            },
            Func::Ceil => &Row {
                name: "ceil",
                ascii: "ceil",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Ceil,
                definition: None,
                derivative: Derivative::Own,
                values: |a| one_arg(a).map(BigRational::ceil),
                sign: SignFact::Unknown,
                enclosure: Enclosure::Ceil,
                sympy: SympyForm::Named("ceiling"),
            },
            Func::Delta => &Row {
                name: "δ",
                ascii: "delta",
                aliases: &["delta"],
                arity: 2,
                latex: LatexForm::Delta,
                definition: None,
                derivative: Derivative::Own,
                values: |a| match a {
                    [x, y] if x.is_integer() && y.is_integer() => {
                        Some(BigRational::from_integer(BigInt::from(i64::from(x == y))))
                    }
                    _ => None,
                },
                sign: SignFact::Nonnegative,
                enclosure: Enclosure::Delta,
                sympy: SympyForm::Named("KroneckerDelta"),
            },
            Func::Pi => &Row {
                name: "π",
                ascii: "pi",
                aliases: &["pi"],
                arity: 0,
                latex: LatexForm::Letter("pi"),
                definition: None,
                derivative: Derivative::Partials(&[]),
                values: none,
                sign: SignFact::Positive,
                enclosure: Enclosure::Pi,
                sympy: SympyForm::Template("pi"),
            },
            Func::Sin => &Row {
                name: "sin",
                ascii: "sin",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Operator("sin"),
                definition: None,
                derivative: Derivative::Partials(&[Call(Func::Cos, &[X])]),
                // sin of a nonzero rational is irrational (Niven): only sin 0 is exact
                values: zero_at_zero,
                sign: SignFact::Unknown,
                enclosure: Enclosure::Sin,
                sympy: SympyForm::Named("sin"),
            },
            Func::Cos => &Row {
                name: "cos",
                ascii: "cos",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Operator("cos"),
                definition: None,
                derivative: Derivative::Partials(&[Mul(&[Int(-1), Call(Func::Sin, &[X])])]),
                values: one_at_zero,
                sign: SignFact::Unknown,
                enclosure: Enclosure::Cos,
                sympy: SympyForm::Named("cos"),
            },
            Func::Tan => &Row {
                name: "tan",
                ascii: "tan",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Operator("tan"),
                definition: Some(Mul(&[
                    Call(Func::Sin, &[X]),
                    Pow(&Call(Func::Cos, &[X]), -1),
                ])),
                derivative: Derivative::Partials(&[Add(&[Int(1), Pow(&Value, 2)])]),
                values: zero_at_zero,
                sign: SignFact::Unknown,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::Named("tan"),
            },
            Func::Atan => &Row {
                name: "atan",
                ascii: "atan",
                aliases: &["arctan"],
                arity: 1,
                latex: LatexForm::Operator("arctan"),
                definition: None,
                derivative: Derivative::Partials(&[Pow(&Add(&[Int(1), Pow(&X, 2)]), -1)]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::Atan,
                sympy: SympyForm::Named("atan"),
            },
            Func::Sinh => &Row {
                name: "sinh",
                ascii: "sinh",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Operator("sinh"),
                definition: Some(Mul(&[
                    Ratio(1, 2),
                    Add(&[
                        Call(Func::Exp, &[X]),
                        Mul(&[Int(-1), Call(Func::Exp, &[NEG_X])]),
                    ]),
                ])),
                derivative: Derivative::Partials(&[Call(Func::Cosh, &[X])]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::Named("sinh"),
            },
            Func::Cosh => &Row {
                name: "cosh",
                ascii: "cosh",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Operator("cosh"),
                definition: Some(Mul(&[
                    Ratio(1, 2),
                    Add(&[Call(Func::Exp, &[X]), Call(Func::Exp, &[NEG_X])]),
                ])),
                derivative: Derivative::Partials(&[Call(Func::Sinh, &[X])]),
                values: one_at_zero,
                sign: SignFact::Positive,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::Named("cosh"),
            },
            Func::Erf => &Row {
                name: "erf",
                ascii: "erf",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                definition: None,
                derivative: Derivative::Partials(&[ERF_SLOPE]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::Erf,
                sympy: SympyForm::Named("erf"),
            },
            Func::Erfc => &Row {
                name: "erfc",
                ascii: "erfc",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Add(&[Int(1), Mul(&[Int(-1), Call(Func::Erf, &[X])])])),
                derivative: Derivative::Partials(&[Mul(&[Int(-1), ERF_SLOPE])]),
                values: one_at_zero,
                sign: SignFact::Positive,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::Named("erfc"),
            },
            Func::NormalCdf => &Row {
                name: "Φ",
                ascii: "Phi",
                aliases: &["Phi", "normal_cdf"],
                arity: 1,
                latex: LatexForm::Letter("Phi"),
                // Φ(x) = (1 + erf(x/√2))/2
                definition: Some(Mul(&[
                    Ratio(1, 2),
                    Add(&[
                        Int(1),
                        Call(
                            Func::Erf,
                            &[Mul(&[X, Pow(&Call(Func::Sqrt, &[Int(2)]), -1)])],
                        ),
                    ]),
                ])),
                derivative: Derivative::Partials(&[Call(Func::NormalPdf, &[X])]),
                values: |a| one_arg(a).filter(|x| x.is_zero()).map(|_| half()),
                sign: SignFact::Positive,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::NormalPdf => &Row {
                name: "φ",
                ascii: "phi",
                aliases: &["phi", "normal_pdf"],
                arity: 1,
                latex: LatexForm::Letter("phi"),
                // φ(x) = exp(−x²/2)/√(2π)
                definition: Some(Mul(&[
                    Call(Func::Exp, &[Mul(&[Ratio(-1, 2), Pow(&X, 2)])]),
                    Pow(
                        &Call(Func::Sqrt, &[Mul(&[Int(2), Call(Func::Pi, &[])])]),
                        -1,
                    ),
                ])),
                derivative: Derivative::Partials(&[Mul(&[Int(-1), X, Value])]),
                values: none,
                sign: SignFact::Positive,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Gelu => &Row {
                name: "gelu",
                ascii: "gelu",
                aliases: &["GELU"],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Mul(&[X, Call(Func::NormalCdf, &[X])])),
                derivative: Derivative::Partials(&[Add(&[
                    Call(Func::NormalCdf, &[X]),
                    Mul(&[X, Call(Func::NormalPdf, &[X])]),
                ])]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::GeluTanh => &Row {
                name: "gelu_tanh",
                ascii: "gelu_tanh",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                // x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))
                definition: Some(Mul(&[
                    Ratio(1, 2),
                    X,
                    Add(&[
                        Int(1),
                        Call(
                            Func::Tanh,
                            &[Mul(&[
                                Call(Func::Sqrt, &[Mul(&[Int(2), Pow(&Call(Func::Pi, &[]), -1)])]),
                                Add(&[X, Mul(&[Formula::Decimal("0.044715"), Pow(&X, 3)])]),
                            ])],
                        ),
                    ]),
                ])),
                derivative: Derivative::ByDefinition,
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Silu => &Row {
                name: "silu",
                ascii: "silu",
                aliases: &["swish", "SiLU"],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Mul(&[X, Call(Func::Sigmoid, &[X])])),
                // σ(x)·(1 + x·(1 − σ(x)))
                derivative: Derivative::Partials(&[Mul(&[
                    Call(Func::Sigmoid, &[X]),
                    Add(&[
                        Int(1),
                        Mul(&[
                            X,
                            Add(&[Int(1), Mul(&[Int(-1), Call(Func::Sigmoid, &[X])])]),
                        ]),
                    ]),
                ])]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Mish => &Row {
                name: "mish",
                ascii: "mish",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Mul(&[X, Call(Func::Tanh, &[SOFTPLUS_X])])),
                // tanh(sp(x)) + x·σ(x)·(1 − tanh(sp(x))²)
                derivative: Derivative::Partials(&[Add(&[
                    Call(Func::Tanh, &[SOFTPLUS_X]),
                    Mul(&[
                        X,
                        Call(Func::Sigmoid, &[X]),
                        Add(&[
                            Int(1),
                            Mul(&[Int(-1), Pow(&Call(Func::Tanh, &[SOFTPLUS_X]), 2)]),
                        ]),
                    ]),
                ])]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Elu => &Row {
                name: "elu",
                ascii: "elu",
                aliases: &["ELU"],
                arity: 2,
                latex: LatexForm::Named,
                // relu(x) + α·(exp(−relu(−x)) − 1)
                definition: Some(Add(&[
                    Call(Func::Relu, &[X]),
                    Mul(&[
                        Arg(1),
                        Add(&[
                            Call(Func::Exp, &[Mul(&[Int(-1), Call(Func::Relu, &[NEG_X])])]),
                            Int(-1),
                        ]),
                    ]),
                ])),
                derivative: Derivative::ByDefinition,
                values: |a| match a {
                    [x, _] if !x.is_negative() => Some(x.clone()),
                    [x, alpha] if alpha.is_zero() && x.is_negative() => Some(BigRational::zero()),
                    _ => None,
                },
                sign: SignFact::Unknown,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Selu => &Row {
                name: "selu",
                ascii: "selu",
                aliases: &["SELU"],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Mul(&[
                    Formula::Decimal(SELU_SCALE),
                    Call(Func::Elu, &[X, Formula::Decimal(SELU_ALPHA)]),
                ])),
                derivative: Derivative::ByDefinition,
                values: |a| {
                    one_arg(a)
                        .filter(|x| !x.is_negative())
                        .map(|x| x * parse_decimal(SELU_SCALE))
                },
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::LeakyRelu => &Row {
                name: "leaky_relu",
                ascii: "leaky_relu",
                aliases: &["LeakyReLU"],
                arity: 2,
                latex: LatexForm::Named,
                // relu(x) − α·relu(−x)
                definition: Some(Add(&[
                    Call(Func::Relu, &[X]),
                    Mul(&[Int(-1), Arg(1), Call(Func::Relu, &[NEG_X])]),
                ])),
                derivative: Derivative::ByDefinition,
                values: |a| match a {
                    [x, alpha] => Some(if x.is_negative() {
                        alpha * x
                    } else {
                        x.clone()
                    }),
                    _ => None,
                },
                sign: SignFact::Unknown,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Softsign => &Row {
                name: "softsign",
                ascii: "softsign",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Mul(&[X, Pow(&ONE_PLUS_ABS_X, -1)])),
                // 1/(1 + |x|)², continuous: no kink of its own
                derivative: Derivative::Partials(&[Pow(&ONE_PLUS_ABS_X, -2)]),
                values: |a| one_arg(a).map(|x| x / (BigRational::one() + x.abs())),
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Hardtanh => &Row {
                name: "hardtanh",
                ascii: "hardtanh",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                // relu(x + 1) − relu(x − 1) − 1
                definition: Some(Add(&[
                    Call(Func::Relu, &[Add(&[X, Int(1)])]),
                    Mul(&[Int(-1), Call(Func::Relu, &[Add(&[X, Int(-1)])])]),
                    Int(-1),
                ])),
                derivative: Derivative::ByDefinition,
                values: |a| {
                    one_arg(a).map(|x| {
                        let one = BigRational::one();
                        x.clone().max(-one.clone()).min(one)
                    })
                },
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Max => &Row {
                name: "max",
                ascii: "max",
                aliases: &[],
                arity: 2,
                latex: LatexForm::Operator("max"),
                // y + relu(x − y)
                definition: Some(Add(&[Arg(1), Call(Func::Relu, &[X_MINUS_Y])])),
                derivative: Derivative::ByDefinition,
                values: |a| match a {
                    [x, y] => Some(x.clone().max(y.clone())),
                    _ => None,
                },
                sign: SignFact::Unknown,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::Named("Max"),
            },
            Func::Min => &Row {
                name: "min",
                ascii: "min",
                aliases: &[],
                arity: 2,
                latex: LatexForm::Operator("min"),
                // x − relu(x − y)
                definition: Some(Add(&[X, Mul(&[Int(-1), Call(Func::Relu, &[X_MINUS_Y])])])),
                derivative: Derivative::ByDefinition,
                values: |a| match a {
                    [x, y] => Some(x.clone().min(y.clone())),
                    _ => None,
                },
                sign: SignFact::Unknown,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::Named("Min"),
            },
            Func::Log1p => &Row {
                name: "log1p",
                ascii: "log1p",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Call(Func::Ln, &[Add(&[Int(1), X])])),
                derivative: Derivative::Partials(&[Pow(&Add(&[Int(1), X]), -1)]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            Func::Expm1 => &Row {
                name: "expm1",
                ascii: "expm1",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                definition: Some(Add(&[Call(Func::Exp, &[X]), Int(-1)])),
                derivative: Derivative::Partials(&[Call(Func::Exp, &[X])]),
                values: zero_at_zero,
                sign: SignFact::SameAsArg,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
            #[cfg(test)]
            Func::Fake => &Row {
                name: "fake",
                ascii: "fake",
                aliases: &[],
                arity: 1,
                latex: LatexForm::Named,
                // x² + 1
                definition: Some(Add(&[Pow(&X, 2), Int(1)])),
                derivative: Derivative::ByDefinition,
                values: none,
                sign: SignFact::Positive,
                enclosure: Enclosure::ByDefinition,
                sympy: SympyForm::ByDefinition,
            },
        }
    }

    /// Odd (`f(−x) = −f(x)`), even (`f(−x) = f(x)`) or neither, in the first
    /// argument; the prover pulls a negative coefficient out of an atom's argument.
    pub fn parity(self) -> Parity {
        match self {
            Func::Sin
            | Func::Tan
            | Func::Atan
            | Func::Sinh
            | Func::Tanh
            | Func::Erf
            | Func::Sign
            | Func::Softsign
            | Func::Hardtanh => Parity::Odd,
            Func::Cos | Func::Cosh | Func::Abs | Func::NormalPdf => Parity::Even,
            Func::Exp
            | Func::Ln
            | Func::Log2
            | Func::Log10
            | Func::Sqrt
            | Func::Sigmoid
            | Func::Softplus
            | Func::Relu
            | Func::Heaviside
            | Func::Floor
            | Func::Ceil
            | Func::Delta
            | Func::Pi
            | Func::Erfc
            | Func::NormalCdf
            | Func::Gelu
            | Func::GeluTanh
            | Func::Silu
            | Func::Mish
            | Func::Elu
            | Func::Selu
            | Func::LeakyRelu
            | Func::Max
            | Func::Min
            | Func::Log1p
            | Func::Expm1 => Parity::Neither,
            #[cfg(test)]
            Func::Fake => Parity::Even,
        }
    }

    /// The built-in a name stands for, if any (`log` is the natural log).
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| {
            let row = f.row();
            row.name == name || row.aliases.contains(&name)
        })
    }

    /// The name used when printing (`σ` for the sigmoid).
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// An ASCII name that parses back to this function.
    pub fn ascii_name(self) -> &'static str {
        self.row().ascii
    }

    pub fn arity(self) -> usize {
        self.row().arity
    }

    /// The exact value at exact arguments, where it is rational.
    pub fn exact_value(self, args: &[BigRational]) -> Option<BigRational> {
        if args.len() != self.arity() {
            return None;
        }
        (self.row().values)(args)
    }

    /// The built-in a LaTeX operator or letter command stands for (`\sinh`, `\Phi`).
    pub fn from_latex_command(command: &str) -> Option<Func> {
        if command == "log" {
            return Some(Func::Ln);
        }
        Func::ALL.iter().copied().find(|f| match f.row().latex {
            LatexForm::Operator(c) => c == command,
            _ => false,
        })
    }
}

/// `2/√π · exp(−x²)`, the slope of erf.
const ERF_SLOPE: Formula = Mul(&[
    Int(2),
    Pow(&Call(Func::Sqrt, &[Call(Func::Pi, &[])]), -1),
    Call(Func::Exp, &[Mul(&[Int(-1), Pow(&X, 2)])]),
]);
const SOFTPLUS_X: Formula = Call(Func::Softplus, &[X]);
const ONE_PLUS_ABS_X: Formula = Add(&[Int(1), Call(Func::Abs, &[X])]);
const X_MINUS_Y: Formula = Add(&[X, Mul(&[Int(-1), Arg(1)])]);

fn zero_is_one_exp(args: &[BigRational]) -> Option<BigRational> {
    at_zero(args, 1)
}

fn log_of_one(args: &[BigRational]) -> Option<BigRational> {
    one_arg(args)
        .filter(|x| x.is_one())
        .map(|_| BigRational::zero())
}

fn sqrt_value(args: &[BigRational]) -> Option<BigRational> {
    let x = one_arg(args)?;
    if x.is_negative() {
        return None;
    }
    let (n, d) = (x.numer().sqrt(), x.denom().sqrt());
    (&n * &n == *x.numer() && &d * &d == *x.denom()).then(|| BigRational::new(n, d))
}

/// What a formula is built into: the store (proofs, derivatives) or values (enclosures).
pub trait Algebra {
    type T: Clone;
    type Error;
    fn number(&mut self, r: BigRational) -> Result<Self::T, Self::Error>;
    fn add(&mut self, terms: Vec<Self::T>) -> Result<Self::T, Self::Error>;
    fn mul(&mut self, factors: Vec<Self::T>) -> Result<Self::T, Self::Error>;
    fn powi(&mut self, base: Self::T, n: i64) -> Result<Self::T, Self::Error>;
    fn call(&mut self, f: Func, args: Vec<Self::T>) -> Result<Self::T, Self::Error>;
}

impl Formula {
    /// The formula with `args` put in (`value` is the call itself, for derivatives).
    pub fn build<A: Algebra>(
        &self,
        alg: &mut A,
        args: &[A::T],
        value: Option<&A::T>,
    ) -> Result<A::T, A::Error> {
        let all = |alg: &mut A, fs: &[Formula]| -> Result<Vec<A::T>, A::Error> {
            fs.iter().map(|f| f.build(alg, args, value)).collect()
        };
        match self {
            Formula::Arg(k) => match args.get(*k) {
                Some(a) => Ok(a.clone()),
                None => alg.number(BigRational::zero()),
            },
            Formula::Value => match value {
                Some(v) => Ok(v.clone()),
                None => alg.number(BigRational::zero()),
            },
            Formula::Int(n) => alg.number(BigRational::from_integer(BigInt::from(*n))),
            Formula::Ratio(n, d) => {
                alg.number(BigRational::new(BigInt::from(*n), BigInt::from(*d)))
            }
            Formula::Decimal(text) => alg.number(parse_decimal(text)),
            Formula::Add(fs) => {
                let terms = all(alg, fs)?;
                alg.add(terms)
            }
            Formula::Mul(fs) => {
                let factors = all(alg, fs)?;
                alg.mul(factors)
            }
            Formula::Pow(base, n) => {
                let b = base.build(alg, args, value)?;
                alg.powi(b, *n)
            }
            Formula::Call(f, fs) => {
                let xs = all(alg, fs)?;
                alg.call(*f, xs)
            }
        }
    }
}

impl Algebra for super::Store {
    type T = super::ExprId;
    type Error = std::convert::Infallible;
    fn number(&mut self, r: BigRational) -> Result<super::ExprId, Self::Error> {
        Ok(self.num(r))
    }
    fn add(&mut self, terms: Vec<super::ExprId>) -> Result<super::ExprId, Self::Error> {
        Ok(self.sum(terms))
    }
    fn mul(&mut self, factors: Vec<super::ExprId>) -> Result<super::ExprId, Self::Error> {
        Ok(self.product(factors))
    }
    fn powi(&mut self, base: super::ExprId, n: i64) -> Result<super::ExprId, Self::Error> {
        if n == 1 {
            return Ok(base);
        }
        let e = self.int(n);
        Ok(self.pow(base, e))
    }
    fn call(&mut self, f: Func, args: Vec<super::ExprId>) -> Result<super::ExprId, Self::Error> {
        Ok(super::Store::call(self, f, args))
    }
}

impl super::Store {
    /// The definition of `f` at `args` in the store, if `f` has one.
    pub fn definition(&mut self, f: Func, args: &[super::ExprId]) -> Option<super::ExprId> {
        let def = f.row().definition?;
        let Ok(e) = def.build(self, args, None);
        Some(e)
    }

    /// `∂f/∂(argument k)` at `args` from the row's formula (`call` is `f(args)`).
    pub fn partial(
        &mut self,
        f: Func,
        k: usize,
        args: &[super::ExprId],
        call: super::ExprId,
    ) -> Option<super::ExprId> {
        let Derivative::Partials(partials) = f.row().derivative else {
            return None;
        };
        let formula = partials.get(k)?;
        let Ok(e) = formula.build(self, args, Some(&call));
        Some(e)
    }
}

#[cfg(test)]
mod table_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_one_row_and_its_names_resolve() {
        for (i, &f) in Func::ALL.iter().enumerate() {
            assert!(!Func::ALL[..i].contains(&f), "{f:?} listed twice");
            let row = f.row();
            assert_eq!(Func::from_name(row.name), Some(f), "{f:?}");
            assert_eq!(Func::from_name(row.ascii), Some(f), "{f:?}");
            for alias in row.aliases {
                assert_eq!(Func::from_name(alias), Some(f), "{alias}");
            }
            if let LatexForm::Operator(c) = row.latex {
                assert_eq!(Func::from_latex_command(c), Some(f), "{c}");
            }
            if let Derivative::Partials(p) = row.derivative {
                assert_eq!(p.len(), row.arity, "{f:?}: one partial per argument");
            }
            if row.enclosure == Enclosure::ByDefinition {
                assert!(
                    row.definition.is_some(),
                    "{f:?} is enclosed by a definition it lacks"
                );
            }
        }
    }

    #[test]
    fn exact_values() {
        let r = |n: i64, d: i64| BigRational::new(n.into(), d.into());
        for (f, args, want) in [
            (Func::Sin, vec![r(0, 1)], Some(r(0, 1))),
            (Func::Sin, vec![r(1, 2)], None),
            (Func::Cos, vec![r(0, 1)], Some(r(1, 1))),
            (Func::Cos, vec![r(1, 1)], None),
            (Func::Tan, vec![r(0, 1)], Some(r(0, 1))),
            (Func::Cosh, vec![r(0, 1)], Some(r(1, 1))),
            (Func::Erf, vec![r(0, 1)], Some(r(0, 1))),
            (Func::Erfc, vec![r(0, 1)], Some(r(1, 1))),
            (Func::NormalCdf, vec![r(0, 1)], Some(r(1, 2))),
            (Func::NormalPdf, vec![r(0, 1)], None),
            (Func::Max, vec![r(-1, 2), r(1, 3)], Some(r(1, 3))),
            (Func::Min, vec![r(-1, 2), r(1, 3)], Some(r(-1, 2))),
            (Func::LeakyRelu, vec![r(-2, 1), r(1, 100)], Some(r(-1, 50))),
            (Func::Hardtanh, vec![r(-3, 1)], Some(r(-1, 1))),
            (Func::Hardtanh, vec![r(1, 3)], Some(r(1, 3))),
            (Func::Softsign, vec![r(-1, 1)], Some(r(-1, 2))),
            (Func::Elu, vec![r(2, 1), r(1, 1)], Some(r(2, 1))),
            (Func::Elu, vec![r(-2, 1), r(1, 1)], None),
            (Func::Log1p, vec![r(0, 1)], Some(r(0, 1))),
            (Func::Expm1, vec![r(0, 1)], Some(r(0, 1))),
            (Func::Sqrt, vec![r(9, 4)], Some(r(3, 2))),
            (Func::Sqrt, vec![r(2, 1)], None),
            (Func::Delta, vec![r(2, 1), r(2, 1)], Some(r(1, 1))),
        ] {
            assert_eq!(f.exact_value(&args), want, "{f:?}{args:?}");
        }
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(
            parse_decimal("0.044715"),
            BigRational::new(44715.into(), 1_000_000.into())
        );
    }
}
