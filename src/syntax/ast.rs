//! The syntax tree of a derivation file, exactly as written: every node has a span.
//!
//! Names are not resolved here (`d_h(d + 1)` is a call until lowering learns that
//! `d_h` is a size); Unicode spellings are normalized by the parser (`−` is `Sub`,
//! `Σ_j` is `Sum`, `σ` stays the identifier `σ` and is resolved as a builtin later).

use crate::span::Span;
use num_rational::BigRational;

/// A parsed file: its items in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `var x, c : real` / `var a : real, a > 0` / `var W1 : R^(d_h x d)`
    Var(VarDecl),
    /// `dim n, m, d, d_h`
    Dim(Vec<Ident>),
    /// `def softplus(t) = ln(1 + exp(t))` / `def s(v)_i = ...` / `def L = ...`
    Def(Def),
    /// `[expect V:] claim ["name":] lhs = rhs [where cond, ...]`
    Claim(Claim),
    /// `derive ["name"] [where cond, ...]:` then `expr (= expr)+`
    Derive(Derive),
    /// `net cnn(input = [3, 128, 128]):` then `name = kind(args)` lines
    Net(Net),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    pub names: Vec<Ident>,
    pub domain: Domain,
    /// Conditions after the domain: `var a : real, a > 0`.
    pub assumptions: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    pub kind: DomainKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DomainKind {
    /// `real`, `R`, `ℝ`
    Real,
    /// `positive`, `R+`, `ℝ+` (strictly positive reals)
    Positive,
    /// `integer`, `Z`, `ℤ`
    Integer,
    /// `natural`, `N`, `ℕ` (0, 1, 2, ...)
    Natural,
    /// `{0, 1}`: a finite set of exact values
    Set(Vec<Expr>),
    /// `R^n`, `ℝ^n`
    Vector(Expr),
    /// `R^(m x n)`, `ℝ^(m × n)`
    Matrix(Expr, Expr),
    /// `onehot(m)`: a vector of size `m` with one entry 1 and the rest 0
    OneHot(Expr),
    /// `R -> R`, `R^n -> R^m`: an uninterpreted function (`var f : R -> R`)
    Function(Box<Domain>, Box<Domain>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Def {
    pub name: Ident,
    /// Empty for a named expression (`def L = ...`).
    pub params: Vec<Ident>,
    /// `Some(i)` for an indexed definition `def s(v)_i = ...`.
    pub index: Option<Ident>,
    pub body: Expr,
}

/// What the author expects a claim or step to come out as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    Proved,
    Checked,
    Refuted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    pub verdict: Expected,
    pub span: Span,
}

/// `=` or `≈` between two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelOp {
    Eq,
    Approx,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    pub name: Option<String>,
    pub expect: Option<Expect>,
    pub lhs: Expr,
    pub op: RelOp,
    pub rhs: Expr,
    /// `within 1e-6` after a `≈` claim.
    pub tolerance: Option<Expr>,
    /// `where x > -1, y != 0`: the claim is asserted only on this domain.
    pub conditions: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Derive {
    pub name: Option<String>,
    pub expect: Option<Expect>,
    pub conditions: Vec<Expr>,
    /// The expression the chain starts from.
    pub start: Expr,
    pub steps: Vec<Step>,
}

/// One `= expr` line of a derive chain, checked against the expression before it.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub expect: Option<Expect>,
    pub op: RelOp,
    pub rhs: Expr,
    /// From the `=` (or the `expect`) to the end of the expression.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    pub name: Ident,
    /// Arguments of the header: `input = [3, 128, 128]`.
    pub args: Vec<Arg>,
    pub layers: Vec<Layer>,
}

/// `conv1 = conv2d(out = 32, kernel = 8)`; `flatten1 = flatten`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub name: Ident,
    pub kind: Ident,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// A call argument, positional (`x`) or named (`mode = full`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    /// `*`, `·`, `×` and juxtaposition (`2x`, `W h`).
    Mul,
    Div,
    Pow,
    /// `⊙` or `.*`: elementwise product.
    Hadamard,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// Where a limit variable goes.
#[derive(Clone, Debug, PartialEq)]
pub enum LimitPoint {
    PosInf,
    NegInf,
    Finite(Box<Expr>),
}

/// A number literal as written: its exact value, and how many decimals were
/// written (`2.70` → 2, `3` → 0, `1.5e-3` → 4, `2e3` → -3), which sets the
/// default tolerance of `≈` (half a unit in the last written digit).
#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    pub value: BigRational,
    pub decimals: i64,
}

impl Literal {
    /// A number with no written digits after the point (built, not read).
    pub fn integer_places(value: BigRational) -> Literal {
        Literal { value, decimals: 0 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An exact number: `3`, `0.1` (= 1/10), `1e-3` (= 1/1000), with the
    /// place of its last written digit.
    Number(Literal),
    /// A name: `x`, `d_h`, `v_i` (split into `v` and `i` by lowering if `v` is a vector), `σ`.
    Ident(String),
    /// `cnn.conv1`
    Path(Vec<Ident>),
    /// `f(x, mode = full)`; `primes` counts `'` marks: `f'(x)`, `σ''(x)`.
    Call {
        func: Ident,
        primes: u32,
        args: Vec<Arg>,
    },
    /// `W_(k, j)`, `s(v)_i`, `(W h)_k`
    Subscript {
        base: Box<Expr>,
        indices: Vec<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Neg(Box<Expr>),
    /// `A^T`, `A^⊤`
    Transpose(Box<Expr>),
    /// `|x|`
    Abs(Box<Expr>),
    /// `||x||`, `‖x‖`
    Norm(Box<Expr>),
    /// `[1, 1/4, 0.5]`
    Vector(Vec<Expr>),
    /// `piecewise { t if t > 0; 0 otherwise }`
    Piecewise {
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    /// `sum_j body`, `Σ_j body`, `sum_(j=1)^m body`
    Sum {
        index: Ident,
        lower: Option<Box<Expr>>,
        upper: Option<Box<Expr>>,
        body: Box<Expr>,
    },
    /// `d/dx f`, `∂/∂x f`, `d f / d x`, `∂ f / ∂ W_(a,b)`, `d^2/dx^2 f`
    Derivative {
        order: u32,
        var: Box<Expr>,
        body: Box<Expr>,
    },
    /// `grad_u f`, `∇_u f`
    Grad {
        var: Box<Expr>,
        body: Box<Expr>,
    },
    /// `lim k -> inf of body`
    Limit {
        var: Ident,
        to: LimitPoint,
        body: Box<Expr>,
    },
    /// `a < b`, `x >= 0` (in conditions, piecewise branches and `ind(...)`)
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `c1 and c2`
    And(Vec<Expr>),
}

impl Expr {
    /// The direct sub-expressions, mutably, in source order (for rewrites of the tree).
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Number(_) | ExprKind::Ident(_) | ExprKind::Path(_) => Vec::new(),
            ExprKind::Call { args, .. } => args.iter_mut().map(|a| &mut a.value).collect(),
            ExprKind::Subscript { base, indices } => std::iter::once(&mut **base)
                .chain(indices.iter_mut())
                .collect(),
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
                vec![&mut **lhs, &mut **rhs]
            }
            ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
                vec![&mut **x]
            }
            ExprKind::Vector(xs) | ExprKind::And(xs) => xs.iter_mut().collect(),
            ExprKind::Piecewise {
                branches,
                otherwise,
            } => branches
                .iter_mut()
                .flat_map(|(v, c)| [v, c])
                .chain(otherwise.as_deref_mut())
                .collect(),
            ExprKind::Sum {
                lower, upper, body, ..
            } => lower
                .as_deref_mut()
                .into_iter()
                .chain(upper.as_deref_mut())
                .chain([&mut **body])
                .collect(),
            ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
                vec![&mut **var, &mut **body]
            }
            ExprKind::Limit { to, body, .. } => match to {
                LimitPoint::Finite(p) => vec![&mut **p, &mut **body],
                _ => vec![&mut **body],
            },
        }
    }

    /// The direct sub-expressions, in source order (for walks over the tree).
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Ident(_) | ExprKind::Path(_) => Vec::new(),
            ExprKind::Call { args, .. } => args.iter().map(|a| &a.value).collect(),
            ExprKind::Subscript { base, indices } => {
                std::iter::once(&**base).chain(indices.iter()).collect()
            }
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
                vec![lhs, rhs]
            }
            ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
                vec![x]
            }
            ExprKind::Vector(xs) | ExprKind::And(xs) => xs.iter().collect(),
            ExprKind::Piecewise {
                branches,
                otherwise,
            } => branches
                .iter()
                .flat_map(|(v, c)| [v, c])
                .chain(otherwise.as_deref())
                .collect(),
            ExprKind::Sum {
                lower, upper, body, ..
            } => lower
                .as_deref()
                .into_iter()
                .chain(upper.as_deref())
                .chain([&**body])
                .collect(),
            ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
                vec![var, body]
            }
            ExprKind::Limit { to, body, .. } => match to {
                LimitPoint::Finite(p) => vec![p, body],
                _ => vec![body],
            },
        }
    }
}
