//! Lowering: the syntax tree to store expressions, every name resolved.
//!
//! Declarations (`var`, `dim`, `def`, `net`) are collected first, so their order
//! in the file does not matter. User `def`s are inlined at each use (hash-consing
//! keeps the copies shared). Derivatives written in the file (`d/dx f`) are taken
//! here with `crate::diff`, and each one is recorded as a `DerivativeSite` so the
//! checker can cross-check it against finite differences.
//!
//! Invariant: every `Obligation` refers only to symbols declared in `domains`
//! (or bound inside it by a `Sum` or `Limit`).

use crate::diagnostic::Diagnostic;
use crate::domain::Domains;
use crate::expr::{ExprId, Store, Symbol};
use crate::shape::NetShapes;
use crate::span::Span;
use crate::syntax::ast::{self, Expected, RelOp};
use num_rational::BigRational;
use std::collections::HashMap;
use std::rc::Rc;

mod calls;
mod claims;
mod declare;
mod derivative;
mod expr;
mod special;
mod tensor;
#[cfg(test)]
mod tests;

/// Most distinct expression nodes one file may build while lowering, unless
/// configured otherwise (`nabla check --expr-limit`).
pub const DEFAULT_MAX_NODES: usize = 500_000;

/// Highest order of a derivative written in a file: each order differentiates
/// the previous result, whose size grows with the order, so the work grows
/// faster than the order (`d^1000/dx^1000 tanh(σ(x)·exp(x))` would run for hours).
pub const MAX_DERIVATIVE_ORDER: u32 = 64;

/// How names that were never declared are treated, and how large lowering may grow.
#[derive(Clone, Copy, Debug)]
pub struct LowerConfig {
    /// Unknown plain names become real variables (for one-off `nabla simplify`
    /// and `nabla diff` expressions); in files they are errors.
    pub declare_unknown_as_real: bool,
    /// Most distinct nodes the file's store may hold after a derivative is
    /// taken; past it the derivative is an error naming the limit (a high-order
    /// derivative of a composition grows without bound).
    pub max_nodes: usize,
    /// A derivative of a number by a vector may be laid out as a row (documents
    /// write both layouts): against a row it is read as one. In `.nabla` files
    /// the gradient is a column, and a row against it is a shape mistake.
    pub either_layout: bool,
}

impl Default for LowerConfig {
    fn default() -> LowerConfig {
        LowerConfig {
            declare_unknown_as_real: false,
            either_layout: false,
            max_nodes: DEFAULT_MAX_NODES,
        }
    }
}

/// A derivative taken while lowering: `result` is d^order(body)/d(var)^order.
#[derive(Clone, Debug)]
pub struct DerivativeSite {
    pub body: ExprId,
    pub var: ExprId,
    pub order: u32,
    pub result: ExprId,
    pub span: Span,
    /// Where `result` may not be the derivative (of this order or a lower
    /// one): the derivative is valid wherever none of them is active.
    pub kinks: Vec<crate::diff::Kink>,
}

/// Where an obligation comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Claim,
    /// Step `step` (1-based) of a derive chain.
    Step {
        chain: Option<String>,
        step: usize,
    },
}

/// The free indices that run over one side's rows and columns in a claim
/// between vectors or matrices, so a report can list the side entry by entry.
/// `None` where the side is not indexed that way: a number, the column of a
/// column vector, or the rows of a matrix read at row 1 against a row vector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntryIndices {
    pub row: Option<Symbol>,
    pub col: Option<Symbol>,
}

/// One thing to check: `lhs op rhs` wherever `conditions` hold.
#[derive(Clone, Debug)]
pub struct Obligation {
    pub origin: Origin,
    pub name: Option<String>,
    /// The claim, or the step from its `=` to its end.
    pub span: Span,
    /// What to show as the text of the claim: `lhs = rhs` without the name.
    pub text_span: Span,
    pub lhs: ExprId,
    pub rhs: ExprId,
    pub op: RelOp,
    /// For `≈`: the largest allowed |lhs − rhs| (stated with `within`, or from the
    /// number of decimals written on the right).
    pub tolerance: Option<BigRational>,
    pub conditions: Vec<ExprId>,
    pub expect: Option<Expected>,
    pub derivatives: Vec<DerivativeSite>,
    /// Where each derivative was written: `derivatives[..left_derivatives]` on
    /// the left side, then up to `side_derivatives` on the right, the rest in
    /// the conditions (a node id alone cannot say: `d/dx H(x) = d/dx H(x)` is
    /// one node on both sides).
    pub left_derivatives: usize,
    pub side_derivatives: usize,
    /// For a claim between vectors or matrices: each side's sizes (rows, then
    /// columns), compared at every sample point before the entries are.
    pub sizes: Option<(Vec<ExprId>, Vec<ExprId>)>,
    /// For a claim between vectors or matrices: the free indices each side's
    /// entry `lhs`/`rhs` is read at (left, right); default for a scalar claim.
    pub entry_indices: [EntryIndices; 2],
    /// For a dimension label: other shapes the left side may mean (the other
    /// layout of a derivative); the label holds at a point if one of them matches.
    pub other_sizes: Vec<Vec<ExprId>>,
    /// A dimension label (`dims(X) = [r, c]`): only the shapes are compared.
    pub label: bool,
}

/// A net declared in the file, with its shapes (`None` when a layer has an error).
#[derive(Clone, Debug)]
pub struct NetDecl {
    pub net: ast::Net,
    pub span: Span,
    pub shapes: Option<NetShapes>,
}

/// A lowered file.
#[derive(Debug, Default)]
pub struct Program {
    pub store: Store,
    pub domains: Domains,
    pub obligations: Vec<Obligation>,
    pub nets: Vec<NetDecl>,
    /// Name errors and warnings (parse errors are reported separately).
    pub diagnostics: Vec<Diagnostic>,
}

/// What a declared name stands for.
#[derive(Clone, Debug)]
enum Entity {
    Scalar(Symbol),
    Dim(Symbol),
    Vector {
        sym: Symbol,
        size: ExprId,
    },
    Matrix {
        sym: Symbol,
    },
    Function {
        sym: Symbol,
    },
    /// A `def` with parameters or an index: a function or an indexed vector.
    Def(Rc<ast::Def>),
    /// A `def` with neither (`def ha = W1 x + b1`): a name for an expression.
    Named(Rc<ast::Def>),
    Net(usize),
}

impl Entity {
    fn of_def(def: &ast::Def) -> Entity {
        let def = Rc::new(def.clone());
        if def.params.is_empty() && def.index.is_none() {
            Entity::Named(def)
        } else {
            Entity::Def(def)
        }
    }
}

/// A name bound inside an expression: a def parameter, a sum index, a limit variable.
#[derive(Clone, Debug)]
enum Local {
    Scalar(ExprId),
    /// A def parameter bound to a vector variable.
    Vector {
        sym: Symbol,
        size: ExprId,
    },
    /// A def parameter bound to a vector expression, lowered entry by entry.
    VectorExpr {
        expr: Rc<ast::Expr>,
        env: Rc<Locals>,
        size: ExprId,
    },
}

type Locals = Vec<(String, Local)>;

type Lowered = Result<ExprId, Diagnostic>;

/// Deepest inlining of user definitions (a def that calls itself never ends).
const MAX_DEF_DEPTH: usize = 64;

/// Lowers a parsed file.
pub fn lower_file(file: &ast::File, config: LowerConfig) -> Program {
    let mut lowerer = Lowerer::new(config);
    lowerer.declare_all(file);
    for item in &file.items {
        lowerer.lower_item(item);
    }
    lowerer.finish()
}

/// Lowers one expression against the declarations of `defs` (may be empty).
/// Returns the program (for its store and domains) and the expression.
pub fn lower_standalone(
    defs: &ast::File,
    expr: &ast::Expr,
    config: LowerConfig,
) -> (Program, Result<ExprId, Diagnostic>) {
    let mut lowerer = Lowerer::new(config);
    lowerer.declare_all(defs);
    let result = lowerer.expr(expr, &mut Vec::new());
    (lowerer.finish(), result)
}

/// A derivative for `nabla diff`: the entry at free `indices` (none for a
/// scalar), and the derivatives taken, for the numeric cross-check.
#[derive(Clone, Debug)]
pub struct Gradient {
    pub value: ExprId,
    /// The free row index, then the free column index (as present).
    pub indices: Vec<ExprId>,
    pub sites: Vec<DerivativeSite>,
    /// Each named expression (`def oa = W2 hs + b2`) as a pattern, for display:
    /// `(name, pattern, hole)`: the pattern is entry `hole` of a named vector, or
    /// the whole value of a named scalar (no hole). Largest first.
    pub named: Vec<(String, ExprId, Option<Symbol>)>,
}

/// `d expr / d wrt`, `order` times; for a vector or matrix variable (or a
/// vector expression) one entry of the gradient or Jacobian, at free indices.
pub fn lower_gradient(
    defs: &ast::File,
    expr: &ast::Expr,
    wrt: &str,
    order: u32,
    config: LowerConfig,
) -> (Program, Result<Gradient, Diagnostic>) {
    let mut lowerer = Lowerer::new(config);
    lowerer.declare_all(defs);
    let result = lowerer.gradient(expr, wrt, order);
    (lowerer.finish(), result)
}

struct Lowerer {
    store: Store,
    domains: Domains,
    names: HashMap<String, (Entity, Span)>,
    config: LowerConfig,
    obligations: Vec<Obligation>,
    nets: Vec<NetDecl>,
    diagnostics: Vec<Diagnostic>,
    /// Derivatives taken while lowering the current obligation.
    sites: Vec<DerivativeSite>,
    def_depth: usize,
    /// Definitions inlined for the current item; each use re-lowers the body,
    /// so `def f1(t) = f0(f0(t))`, ... `f40` would be 2^40 expansions.
    inlined: usize,
    /// Counter for fresh summation indices.
    fresh: usize,
    /// The size of the vector each bound index was first used to index.
    range_hints: HashMap<Symbol, ExprId>,
    /// Sizes that must agree for the current obligation's products and sums to
    /// be defined (`W h` with `W` an `m × n` matrix and `h` of size `d`: `n = d`).
    size_conditions: Vec<ExprId>,
}

fn err(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(span, message)
}

impl Lowerer {
    fn new(config: LowerConfig) -> Lowerer {
        Lowerer {
            store: Store::new(),
            domains: Domains::new(),
            names: HashMap::new(),
            config,
            obligations: Vec::new(),
            nets: Vec::new(),
            diagnostics: Vec::new(),
            sites: Vec::new(),
            def_depth: 0,
            inlined: 0,
            fresh: 0,
            range_hints: HashMap::new(),
            size_conditions: Vec::new(),
        }
    }

    fn finish(self) -> Program {
        Program {
            store: self.store,
            domains: self.domains,
            obligations: self.obligations,
            nets: self.nets,
            diagnostics: self.diagnostics,
        }
    }
}
