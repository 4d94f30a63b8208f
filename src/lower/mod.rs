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

use crate::conv;
use crate::diagnostic::Diagnostic;
use crate::domain::{Domains, VarDomain};
use crate::expr::{CmpOp, ExprId, Func, LimitTo, Node, Store, Symbol};
use crate::shape::{self, NetShapes};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, Expected, ExprKind, RelOp};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive};
use std::collections::HashMap;
use std::rc::Rc;

mod tensor;
use tensor::Frame;

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
    Vector { sym: Symbol, size: ExprId },
    Matrix { sym: Symbol },
    Function { sym: Symbol },
    Def(Rc<ast::Def>),
    Net(usize),
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

    fn gradient(
        &mut self,
        expr: &ast::Expr,
        wrt: &str,
        order: u32,
    ) -> Result<Gradient, Diagnostic> {
        let span = expr.span;
        let var = ast::Expr {
            kind: ExprKind::Ident(wrt.to_string()),
            span,
        };
        let known = self.names.contains_key(wrt)
            || self.store.find_symbol(wrt).is_some()
            || wrt.contains('_');
        if !known && !self.config.declare_unknown_as_real {
            return Err(err(span, format!("unknown variable `{wrt}`")));
        }
        let body_shape = self.shape_of(expr, &Vec::new())?;
        let var_shape = self.shape_of(&var, &Vec::new())?;
        let derivative = if body_shape.is_tensor() && var_shape.is_tensor() {
            if order != 1 {
                return Err(err(span, "a Jacobian can only be taken once (--order 1)"));
            }
            let f = ast::Arg {
                name: None,
                value: expr.clone(),
            };
            let v = ast::Arg {
                name: None,
                value: var,
            };
            ast::Expr {
                kind: ExprKind::Call {
                    func: ast::Ident {
                        name: "jacobian".to_string(),
                        span,
                    },
                    primes: 0,
                    args: vec![f, v],
                },
                span,
            }
        } else {
            if order != 1 && var_shape.is_tensor() {
                return Err(err(span, "a gradient can only be taken once (--order 1)"));
            }
            ast::Expr {
                kind: ExprKind::Derivative {
                    order,
                    var: Box::new(var),
                    body: Box::new(expr.clone()),
                },
                span,
            }
        };
        self.sites.clear();
        let frame = self.claim_frame(&[&derivative])?;
        let value = self.side(&derivative, frame)?;
        let indices = frame.map_or_else(Vec::new, |f| f.row.into_iter().chain(f.col).collect());
        let sites = std::mem::take(&mut self.sites);
        let named = self.named_patterns();
        Ok(Gradient {
            value,
            indices,
            sites,
            named,
        })
    }

    /// Every parameterless `def` lowered once, as a display pattern (see `Gradient::named`).
    fn named_patterns(&mut self) -> Vec<(String, ExprId, Option<Symbol>)> {
        let defs: Vec<Rc<ast::Def>> = self
            .names
            .values()
            .filter_map(|(e, _)| match e {
                Entity::Def(def) if def.params.is_empty() && def.index.is_none() => {
                    Some(def.clone())
                }
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for def in defs {
            let lowered = match self.shape_of(&def.body, &Vec::new()) {
                Ok(tensor::Shape::Col(size)) => {
                    let hole = self.bound_symbol("hole");
                    self.domains.declare(hole, VarDomain::Index { size });
                    let hole_id = self.store.add(Node::Sym(hole));
                    self.component(&def.body, Some(hole_id), None, &mut Vec::new())
                        .map(|p| (p, Some(hole)))
                }
                Ok(tensor::Shape::Scalar) => {
                    self.expr(&def.body, &mut Vec::new()).map(|p| (p, None))
                }
                _ => continue,
            };
            if let Ok((pattern, hole)) = lowered {
                out.push((def.name.name.clone(), pattern, hole));
            }
        }
        out.sort_by_key(|&(ref name, p, _)| {
            (std::cmp::Reverse(self.store.dag_size(p)), name.clone())
        });
        out
    }

    // ----- declarations -----

    fn define(&mut self, ident: &ast::Ident, entity: Entity) {
        if let Some((_, first)) = self.names.get(&ident.name) {
            let d = err(ident.span, format!("`{}` is declared twice", ident.name))
                .with_label(*first, "first declared here");
            self.diagnostics.push(d);
            return;
        }
        if Func::from_name(&ident.name).is_some() && !matches!(entity, Entity::Def(_)) {
            let d = err(
                ident.span,
                format!(
                    "`{}` is a built-in function and cannot be a variable",
                    ident.name
                ),
            );
            self.diagnostics.push(d);
            return;
        }
        self.names.insert(ident.name.clone(), (entity, ident.span));
    }

    /// Declares every name first (two passes: sizes before the vectors using them).
    fn declare_all(&mut self, file: &ast::File) {
        for item in &file.items {
            match &item.kind {
                ast::ItemKind::Dim(names) => {
                    for n in names {
                        let s = self.store.symbol(&n.name);
                        self.domains.declare(s, VarDomain::Dim);
                        self.define(n, Entity::Dim(s));
                    }
                }
                ast::ItemKind::Def(def) => {
                    self.define(&def.name, Entity::Def(Rc::new(def.clone())));
                }
                ast::ItemKind::Net(net) => {
                    self.define(&net.name, Entity::Net(self.nets.len()));
                    self.nets.push(NetDecl {
                        net: net.clone(),
                        span: item.span,
                        shapes: None,
                    });
                }
                _ => {}
            }
        }
        for item in &file.items {
            if let ast::ItemKind::Var(decl) = &item.kind {
                self.declare_var(decl);
            }
        }
        self.analyze_nets();
    }

    /// Computes every net's shapes; layer errors become diagnostics.
    fn analyze_nets(&mut self) {
        let sizes: HashMap<String, Symbol> = self
            .names
            .iter()
            .filter_map(|(n, (e, _))| match e {
                Entity::Scalar(s) | Entity::Dim(s) => Some((n.clone(), *s)),
                _ => None,
            })
            .collect();
        for k in 0..self.nets.len() {
            let net = self.nets[k].net.clone();
            let mut lower = |store: &mut Store, e: &ast::Expr| lower_size(store, &sizes, e);
            match shape::analyze_net(&net, &mut self.store, &mut lower) {
                Ok(shapes) => {
                    self.diagnostics.extend(shapes.warnings.iter().cloned());
                    self.nets[k].shapes = Some(shapes);
                }
                Err(errors) => self.diagnostics.extend(errors),
            }
        }
    }

    fn declare_var(&mut self, decl: &ast::VarDecl) {
        let mut contested = Vec::new();
        for name in &decl.names {
            let s = self.store.symbol(&name.name);
            if self.names.contains_key(&name.name) {
                // declared twice (say in `--defs` and in the file): an error, and
                // neither declaration's assumptions about it are used; two scalar
                // domains that differ are widened to the reals, so no proof rests
                // on the one declaration that may not be meant
                self.define(name, Entity::Scalar(s));
                contested.push(s);
                if let Ok(second) = self.var_domain(&decl.domain) {
                    self.widen_contested_domain(s, second);
                }
                continue;
            }
            match self.var_domain(&decl.domain) {
                Ok(domain) => {
                    let entity = match &domain {
                        VarDomain::Vector { size } | VarDomain::OneHot { size } => Entity::Vector {
                            sym: s,
                            size: *size,
                        },
                        VarDomain::Matrix { .. } => Entity::Matrix { sym: s },
                        VarDomain::Function { .. } => Entity::Function { sym: s },
                        _ => Entity::Scalar(s),
                    };
                    self.domains.declare(s, domain);
                    self.define(name, entity);
                }
                Err(d) => self.diagnostics.push(d),
            }
        }
        for cond in &decl.assumptions {
            match self.expr(cond, &mut Vec::new()) {
                Ok(c) => self.domains.assume(c),
                Err(d) => self.diagnostics.push(d),
            }
        }
        for s in contested {
            self.domains.forget_assumptions_about(&self.store, s);
        }
    }

    /// A scalar declared twice with two different domains keeps only what both
    /// say: the reals (a vector or matrix keeps its first shape; the error stands).
    fn widen_contested_domain(&mut self, s: Symbol, second: VarDomain) {
        let scalar = |d: &VarDomain| {
            matches!(
                d,
                VarDomain::Real
                    | VarDomain::Positive
                    | VarDomain::Integer
                    | VarDomain::Natural
                    | VarDomain::Set(_)
            )
        };
        let Some(first) = self.domains.get(s) else {
            return;
        };
        if scalar(first) && scalar(&second) && *first != second {
            self.domains.declare(s, VarDomain::Real);
        }
    }

    fn var_domain(&mut self, domain: &ast::Domain) -> Result<VarDomain, Diagnostic> {
        use ast::DomainKind as K;
        Ok(match &domain.kind {
            K::Real => VarDomain::Real,
            K::Positive => VarDomain::Positive,
            K::Integer => VarDomain::Integer,
            K::Natural => VarDomain::Natural,
            K::Set(values) => {
                let mut out = Vec::new();
                for v in values {
                    let e = self.expr(v, &mut Vec::new())?;
                    match self.store.as_num(e) {
                        Some(r) => out.push(r.clone()),
                        None => return Err(err(v.span, "set entries must be numbers")),
                    }
                }
                if out.is_empty() {
                    return Err(err(domain.span, "a set needs at least one value"));
                }
                VarDomain::Set(out)
            }
            K::Vector(size) => VarDomain::Vector {
                size: self.size(size)?,
            },
            K::Matrix(rows, cols) => VarDomain::Matrix {
                rows: self.size(rows)?,
                cols: self.size(cols)?,
            },
            K::OneHot(size) => VarDomain::OneHot {
                size: self.size(size)?,
            },
            K::Function(from, to) => VarDomain::Function {
                input: self.function_side(from)?,
                output: self.function_side(to)?,
            },
        })
    }

    fn function_side(&mut self, d: &ast::Domain) -> Result<Option<ExprId>, Diagnostic> {
        match &d.kind {
            ast::DomainKind::Real => Ok(None),
            ast::DomainKind::Vector(size) => Ok(Some(self.size(size)?)),
            _ => Err(err(
                d.span,
                "a function maps R or R^n to R or R^m (a function of several reals is \
                 `R -> R`, applied to several arguments: `g(x, y)`)",
            )),
        }
    }

    /// A size: a positive integer or an expression in `dim`s.
    fn size(&mut self, e: &ast::Expr) -> Lowered {
        let id = self.expr(e, &mut Vec::new())?;
        if let Some(r) = self.store.as_num(id) {
            if !r.is_integer() || !r.is_positive() {
                return Err(err(
                    e.span,
                    format!("a size must be a positive integer, not {r}"),
                ));
            }
        }
        Ok(id)
    }

    // ----- items -----

    fn lower_item(&mut self, item: &ast::Item) {
        // the expansion limit is per claim or chain, so one huge claim does not sink the rest
        self.inlined = 0;
        match &item.kind {
            ast::ItemKind::Claim(claim) => self.lower_claim(claim, item.span),
            ast::ItemKind::Derive(derive) => self.lower_derive(derive),
            _ => {}
        }
    }

    fn conditions(&mut self, conds: &[ast::Expr]) -> Result<Vec<ExprId>, Diagnostic> {
        conds
            .iter()
            .map(|c| self.expr(c, &mut Vec::new()))
            .collect()
    }

    fn lower_claim(&mut self, claim: &ast::Claim, span: Span) {
        self.sites.clear();
        if let Some(label) = self.label_sizes(&claim.lhs, &claim.rhs) {
            let text_span = claim.lhs.span.join(claim.rhs.span);
            let expect = claim.expect.map(|e| e.verdict);
            self.push_label(
                label,
                Origin::Claim,
                claim.name.clone(),
                span,
                text_span,
                expect,
            );
            return;
        }
        let laid_out = self.laid_out(&[&claim.lhs, &claim.rhs]);
        let (claim_lhs, claim_rhs) = (&laid_out[0], &laid_out[1]);
        let lowered = (|| {
            let frame = self.claim_frame(&[claim_lhs, claim_rhs])?;
            let lhs = self.side(claim_lhs, frame)?;
            let left_derivatives = self.sites.len();
            let rhs = self.side(claim_rhs, frame)?;
            let side_derivatives = self.sites.len();
            // after the sides, so a condition may name a free index they use
            let conditions = self.conditions(&claim.conditions)?;
            let sizes = self.side_sizes(claim_lhs, claim_rhs, frame)?;
            let tolerance = self.tolerance(claim)?;
            let split = (left_derivatives, side_derivatives);
            let entry_indices = [
                self.entry_indices(&claim.lhs, frame),
                self.entry_indices(&claim.rhs, frame),
            ];
            Ok((conditions, lhs, rhs, tolerance, sizes, split, entry_indices))
        })();
        match lowered {
            Ok((conditions, lhs, rhs, tolerance, sizes, split, entry_indices)) => {
                let derivatives = std::mem::take(&mut self.sites);
                self.obligations.push(Obligation {
                    origin: Origin::Claim,
                    name: claim.name.clone(),
                    span,
                    text_span: claim
                        .conditions
                        .iter()
                        .fold(claim.lhs.span.join(claim.rhs.span), |s, c| s.join(c.span)),
                    lhs,
                    rhs,
                    op: claim.op,
                    tolerance,
                    conditions,
                    expect: claim.expect.map(|e| e.verdict),
                    derivatives,
                    left_derivatives: split.0,
                    side_derivatives: split.1,
                    sizes,
                    entry_indices,
                    other_sizes: Vec::new(),
                    label: false,
                });
            }
            Err(d) => self.diagnostics.push(d),
        }
    }

    /// The sides as they are read: with `either_layout`, a side that is a
    /// derivative of a number by a vector (a column) is transposed when another
    /// side is a row, as `∂L/∂h = δᵀ W` writes it. Everything else as written.
    fn laid_out(&mut self, sides: &[&ast::Expr]) -> Vec<ast::Expr> {
        if !self.config.either_layout {
            return sides.iter().map(|e| (*e).clone()).collect();
        }
        let mut out: Vec<ast::Expr> = sides.iter().map(|e| self.chain_rule_rows(e)).collect();
        let shapes: Vec<Option<tensor::Shape>> = out
            .iter()
            .map(|e| self.shape_of(e, &Vec::new()).ok())
            .collect();
        if !shapes
            .iter()
            .any(|s| matches!(s, Some(tensor::Shape::Row(_))))
        {
            return out;
        }
        for e in out.iter_mut() {
            if self.is_gradient_column(e) {
                let column = std::mem::replace(
                    e,
                    ast::Expr {
                        span: e.span,
                        kind: ExprKind::Vector(Vec::new()),
                    },
                );
                *e = ast::Expr {
                    span: column.span,
                    kind: ExprKind::Transpose(Box::new(column)),
                };
            }
        }
        out
    }

    /// Whether `e` is a derivative of a number by a vector (a column as nabla
    /// lays it out).
    fn is_gradient_column(&mut self, e: &ast::Expr) -> bool {
        let (ExprKind::Derivative { body, .. } | ExprKind::Grad { body, .. }) = &e.kind else {
            return false;
        };
        matches!(self.shape_of(body, &Vec::new()), Ok(tensor::Shape::Scalar))
            && matches!(self.shape_of(e, &Vec::new()), Ok(tensor::Shape::Col(_)))
    }

    /// The chain rule as documents write it, `∂L/∂h · ∂h/∂a`: a gradient
    /// multiplied by a matrix on its right is a row.
    fn chain_rule_rows(&mut self, e: &ast::Expr) -> ast::Expr {
        let ExprKind::Binary {
            op: BinOp::Mul,
            lhs,
            rhs,
        } = &e.kind
        else {
            return e.clone();
        };
        let lhs = self.chain_rule_rows(lhs);
        let matrix_right = matches!(
            self.shape_of(rhs, &Vec::new()),
            Ok(tensor::Shape::Matrix(..))
        );
        let lhs = if matrix_right && self.is_gradient_column(&lhs) {
            ast::Expr {
                span: lhs.span,
                kind: ExprKind::Transpose(Box::new(lhs)),
            }
        } else {
            lhs
        };
        ast::Expr {
            span: e.span,
            kind: ExprKind::Binary {
                op: BinOp::Mul,
                lhs: Box::new(lhs),
                rhs: rhs.clone(),
            },
        }
    }

    /// Free indices when the sides are vectors or matrices (the first tensor
    /// side decides the shape); `None` for scalar claims.
    fn claim_frame(&mut self, sides: &[&ast::Expr]) -> Result<Option<Frame>, Diagnostic> {
        for e in sides {
            let shape = self.shape_of(e, &Vec::new())?;
            if shape.is_tensor() {
                return Ok(Some(self.frame_for(shape, sides)));
            }
        }
        Ok(None)
    }

    fn tolerance(&mut self, claim: &ast::Claim) -> Result<Option<BigRational>, Diagnostic> {
        if claim.op != RelOp::Approx {
            return match &claim.tolerance {
                // `=` is exact: a tolerance would be silently ignored
                Some(t) => Err(err(t.span, "`within` needs `≈`: an `=` claim is exact")),
                None => Ok(None),
            };
        }
        if let Some(t) = &claim.tolerance {
            let id = self.expr(t, &mut Vec::new())?;
            return match self.store.as_num(id) {
                Some(r) if !r.is_negative() => Ok(Some(r.clone())),
                _ => Err(err(t.span, "a tolerance must be a non-negative number")),
            };
        }
        Ok(Some(default_tolerance(&claim.rhs)))
    }

    /// A dimension label as an obligation: both sides are 0 and only the shapes
    /// are compared (at every sample point, as for any tensor claim).
    #[allow(clippy::type_complexity)]
    fn push_label(
        &mut self,
        label: Result<(Vec<ExprId>, Vec<Vec<ExprId>>, Vec<ExprId>), Diagnostic>,
        origin: Origin,
        name: Option<String>,
        span: Span,
        text_span: Span,
        expect: Option<Expected>,
    ) {
        match label {
            Ok((shape, other_sizes, label)) => {
                let zero = self.store.zero();
                self.obligations.push(Obligation {
                    origin,
                    name,
                    span,
                    text_span,
                    lhs: zero,
                    rhs: zero,
                    op: RelOp::Eq,
                    tolerance: None,
                    conditions: Vec::new(),
                    expect,
                    derivatives: Vec::new(),
                    left_derivatives: 0,
                    side_derivatives: 0,
                    sizes: Some((shape, label)),
                    entry_indices: Default::default(),
                    other_sizes,
                    label: true,
                });
            }
            Err(d) => self.diagnostics.push(d),
        }
    }

    fn lower_derive(&mut self, derive: &ast::Derive) {
        if let [step] = derive.steps.as_slice() {
            if let Some(label) = self.label_sizes(&derive.start, &step.rhs) {
                let origin = Origin::Step {
                    chain: derive.name.clone(),
                    step: 1,
                };
                let expect = step.expect.or(derive.expect).map(|e| e.verdict);
                let name = derive.name.clone();
                self.push_label(label, origin, name, step.rhs.span, step.rhs.span, expect);
                return;
            }
        }
        self.sites.clear();
        let mut written: Vec<&ast::Expr> = vec![&derive.start];
        written.extend(derive.steps.iter().map(|s| &s.rhs));
        let laid_out = self.laid_out(&written);
        let exprs: Vec<&ast::Expr> = laid_out.iter().collect();
        let frame = match self.claim_frame(&exprs) {
            Ok(f) => f,
            Err(d) => {
                self.diagnostics.push(d);
                return;
            }
        };
        // the sides first, so a condition may name a free index they use (`where i != j`)
        let mut sides: Vec<Option<(ExprId, Vec<DerivativeSite>)>> = Vec::new();
        let mut failed: Vec<(usize, Diagnostic)> = Vec::new();
        for (k, e) in exprs.iter().enumerate() {
            self.sites.clear();
            match self.side(e, frame) {
                Ok(id) => sides.push(Some((id, std::mem::take(&mut self.sites)))),
                Err(d) => {
                    failed.push((k, d));
                    sides.push(None);
                }
            }
        }
        // a side may name a free index before any entry introduces it
        // (`\sum_{j \neq i} x_j = ... - x_i`): with the chain's free indices
        // introduced, it is tried once more
        if !failed.is_empty() {
            for e in &exprs {
                self.introduce_free_indices(e, &mut Vec::new());
            }
        }
        for (k, d) in failed {
            self.sites.clear();
            match self.side(exprs[k], frame) {
                Ok(id) => sides[k] = Some((id, std::mem::take(&mut self.sites))),
                Err(_) => self.diagnostics.push(d),
            }
        }
        let conditions = match self.conditions(&derive.conditions) {
            Ok(c) => c,
            Err(d) => {
                self.diagnostics.push(d);
                return;
            }
        };
        for (k, step) in derive.steps.iter().enumerate() {
            let sizes = match self.side_sizes(exprs[k], exprs[k + 1], frame) {
                Ok(sizes) => sizes,
                Err(d) => {
                    self.diagnostics.push(d);
                    None
                }
            };
            if let (Some((lhs, lhs_sites)), Some((rhs, rhs_sites))) = (&sides[k], &sides[k + 1]) {
                let mut derivatives = lhs_sites.clone();
                derivatives.extend(rhs_sites.iter().cloned());
                let (left_derivatives, side_derivatives) = (lhs_sites.len(), derivatives.len());
                let tolerance = (step.op == RelOp::Approx).then(|| default_tolerance(&step.rhs));
                let entry_indices = [
                    self.entry_indices(exprs[k], frame),
                    self.entry_indices(&step.rhs, frame),
                ];
                self.obligations.push(Obligation {
                    origin: Origin::Step {
                        chain: derive.name.clone(),
                        step: k + 1,
                    },
                    name: derive.name.clone(),
                    // located at the expression, not at an `expect` line above it
                    span: step.rhs.span,
                    text_span: step.rhs.span,
                    lhs: *lhs,
                    rhs: *rhs,
                    op: step.op,
                    tolerance,
                    conditions: conditions.clone(),
                    expect: step.expect.or(derive.expect).map(|e| e.verdict),
                    derivatives,
                    left_derivatives,
                    side_derivatives,
                    sizes,
                    entry_indices,
                    other_sizes: Vec::new(),
                    label: false,
                });
            }
        }
    }

    // ----- expressions -----

    fn expr(&mut self, e: &ast::Expr, locals: &mut Locals) -> Lowered {
        if matches!(
            e.kind,
            ExprKind::Binary { op: BinOp::Mul, .. } | ExprKind::Norm(_)
        ) {
            if let Some(v) = self.scalar_from_tensors(e, locals)? {
                return Ok(v);
            }
        }
        match &e.kind {
            ExprKind::Number(n) => Ok(self.store.num(n.value.clone())),
            ExprKind::Ident(name) => self.ident(name, e.span, locals),
            ExprKind::Path(_) => Err(err(
                e.span,
                "a layer path like `net.layer` only goes inside shape(...) or params(...)",
            )),
            ExprKind::Call { func, primes, args } => {
                self.call(func, *primes, args, None, e.span, locals)
            }
            ExprKind::Subscript { base, indices } => self.subscript(base, indices, e.span, locals),
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.expr(lhs, locals)?;
                let b = self.expr(rhs, locals)?;
                if let Some(v) = self.broadcast(*op, a, b, e.span)? {
                    return Ok(v);
                }
                Ok(match op {
                    BinOp::Add => self.store.sum(vec![a, b]),
                    BinOp::Sub => self.store.sub(a, b),
                    BinOp::Mul | BinOp::Hadamard => self.store.product(vec![a, b]),
                    BinOp::Div => self.store.div(a, b),
                    BinOp::Pow => self.store.pow(a, b),
                })
            }
            ExprKind::Neg(inner) => {
                let a = self.expr(inner, locals)?;
                Ok(self.store.neg(a))
            }
            ExprKind::Abs(inner) => {
                let a = self.expr(inner, locals)?;
                Ok(self.store.call1(Func::Abs, a))
            }
            ExprKind::Vector(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.expr(item, locals)?);
                }
                Ok(self.store.add(Node::Vector(out.into())))
            }
            ExprKind::Piecewise {
                branches,
                otherwise,
            } => {
                let mut out = Vec::with_capacity(branches.len());
                for (value, cond) in branches {
                    let v = self.expr(value, locals)?;
                    let c = self.expr(cond, locals)?;
                    out.push((c, v));
                }
                let otherwise = match otherwise {
                    Some(o) => Some(self.expr(o, locals)?),
                    None => None,
                };
                Ok(self.store.add(Node::Piecewise {
                    branches: out.into(),
                    otherwise,
                }))
            }
            ExprKind::Sum {
                index,
                lower,
                upper,
                body,
            } => self.sum(
                index,
                lower.as_deref(),
                upper.as_deref(),
                body,
                None,
                locals,
            ),
            ExprKind::Derivative { order, var, body } => {
                if let Some(d) =
                    self.intermediate_derivative(body, var, *order, e.span, None, None, locals)?
                {
                    return Ok(d);
                }
                let var_id = self.expr(var, locals)?;
                if !matches!(self.store.node(var_id), Node::Sym(_) | Node::Index(..)) {
                    return Err(err(
                        var.span,
                        "can only differentiate with respect to a variable",
                    ));
                }
                let body_id = self.expr(body, locals)?;
                self.derivative(body_id, var_id, *order, e.span)
            }
            ExprKind::Grad { .. } | ExprKind::Transpose(_) | ExprKind::Norm(_) => {
                Err(err(e.span, "a vector or matrix where a number is expected"))
            }
            ExprKind::Limit { var, to, body } => {
                let s = self.bound_symbol(&var.name);
                let sym = self.store.add(Node::Sym(s));
                let to = match to {
                    ast::LimitPoint::PosInf => LimitTo::PosInf,
                    ast::LimitPoint::NegInf => LimitTo::NegInf,
                    ast::LimitPoint::Finite(p) => LimitTo::Point(self.expr(p, locals)?),
                };
                locals.push((var.name.clone(), Local::Scalar(sym)));
                let body = self.expr(body, locals);
                locals.pop();
                Ok(self.store.add(Node::Limit {
                    var: s,
                    to,
                    body: body?,
                }))
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let a = self.expr(lhs, locals)?;
                let b = self.expr(rhs, locals)?;
                Ok(self.store.cmp(cmp_op(*op), a, b))
            }
            ExprKind::And(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.expr(item, locals)?);
                }
                Ok(self.store.add(Node::And(out.into())))
            }
        }
    }

    /// Arithmetic with a vector literal on either side, entry by entry (a
    /// scalar is used for every entry). `None` when neither side is a vector.
    fn broadcast(
        &mut self,
        op: BinOp,
        a: ExprId,
        b: ExprId,
        span: Span,
    ) -> Result<Option<ExprId>, Diagnostic> {
        let entries = |store: &Store, id: ExprId| match store.node(id) {
            Node::Vector(xs) => Some(xs.to_vec()),
            _ => None,
        };
        let (xs, ys) = (entries(&self.store, a), entries(&self.store, b));
        if xs.is_none() && ys.is_none() {
            return Ok(None);
        }
        let n = xs.as_ref().or(ys.as_ref()).map_or(0, Vec::len);
        if let (Some(x), Some(y)) = (&xs, &ys) {
            if x.len() != y.len() {
                return Err(err(
                    span,
                    format!(
                        "vectors of lengths {} and {} cannot be combined",
                        x.len(),
                        y.len()
                    ),
                ));
            }
        }
        if matches!(op, BinOp::Pow) {
            return Err(err(
                span,
                "a power of a vector is not defined; use ⊙ for entrywise products",
            ));
        }
        let mut out = Vec::with_capacity(n);
        for k in 0..n {
            let x = xs.as_ref().map_or(a, |v| v[k]);
            let y = ys.as_ref().map_or(b, |v| v[k]);
            out.push(match op {
                BinOp::Add => self.store.sum(vec![x, y]),
                BinOp::Sub => self.store.sub(x, y),
                BinOp::Mul | BinOp::Hadamard => self.store.product(vec![x, y]),
                BinOp::Div => self.store.div(x, y),
                BinOp::Pow => self.store.pow(x, y),
            });
        }
        Ok(Some(self.store.add(Node::Vector(out.into()))))
    }

    fn lookup_local<'l>(locals: &'l Locals, name: &str) -> Option<&'l Local> {
        locals.iter().rev().find(|(n, _)| n == name).map(|(_, l)| l)
    }

    /// The vector variable `name` stands for (a declared vector or onehot, or a
    /// def parameter bound to one), with its size; a local scalar shadows it.
    fn vector_variable(&self, name: &str, locals: &Locals) -> Option<(Symbol, ExprId)> {
        match Self::lookup_local(locals, name) {
            Some(Local::Vector { sym, size }) => Some((*sym, *size)),
            Some(_) => None,
            None => match self.names.get(name) {
                Some((Entity::Vector { sym, size }, _)) => Some((*sym, *size)),
                _ => None,
            },
        }
    }

    fn ident(&mut self, name: &str, span: Span, locals: &mut Locals) -> Lowered {
        if let Some(local) = Self::lookup_local(locals, name) {
            return match local {
                Local::Scalar(e) => Ok(*e),
                Local::Vector { .. } | Local::VectorExpr { .. } => Err(err(
                    span,
                    format!("`{name}` is a vector here; use a component such as `{name}_i`"),
                )),
            };
        }
        if let Some((entity, _)) = self.names.get(name).cloned() {
            return match entity {
                Entity::Scalar(s) | Entity::Dim(s) => Ok(self.store.add(Node::Sym(s))),
                Entity::Vector { .. } | Entity::Matrix { .. } => Err(err(
                    span,
                    format!("`{name}` is a vector or matrix; use a component such as `{name}_i`"),
                )),
                Entity::Function { .. } => Err(err(
                    span,
                    format!("`{name}` is a function; call it: `{name}(...)`"),
                )),
                Entity::Def(def) if def.params.is_empty() && def.index.is_none() => {
                    self.inline_def(&def, &[], None, span)
                }
                Entity::Def(_) => Err(err(span, format!("`{name}` needs arguments"))),
                Entity::Net(_) => Err(err(
                    span,
                    format!("`{name}` is a net; use shape({name}.layer) or params({name})"),
                )),
            };
        }
        if let Some(component) = self.split_component(name, span, locals)? {
            return Ok(component);
        }
        // a free index introduced earlier in this claim by a subscript (`v_i`)
        if let Some(s) = self.store.find_symbol(name) {
            if let Some(VarDomain::Index { .. }) = self.domains.get(s) {
                return Ok(self.store.add(Node::Sym(s)));
            }
        }
        if name == "e" {
            let one = self.store.one();
            return Ok(self.store.call1(Func::Exp, one));
        }
        if let Some(f) = Func::from_name(name) {
            if f.arity() == 0 {
                // a constant: `pi`, `π`
                return Ok(self.store.call(f, Vec::new()));
            }
            return Err(err(
                span,
                format!("`{name}` is a function; call it: `{name}(...)`"),
            ));
        }
        if self.config.declare_unknown_as_real {
            let s = self.store.symbol(name);
            self.domains.declare(s, VarDomain::Real);
            self.names
                .insert(name.to_string(), (Entity::Scalar(s), span));
            return Ok(self.store.add(Node::Sym(s)));
        }
        let mut error = err(span, format!("unknown name `{name}`"));
        let known = self.names.keys().map(String::as_str);
        if let Some(near) = crate::diagnostic::closest(name, known) {
            error = error.with_note(format!("did you mean `{near}`?"));
        }
        Err(error.with_note(format!("declare it, e.g. `var {name} : real`")))
    }

    /// `v_i` where `v` is a vector: the component. `None` when `name` is not of that form.
    fn split_component(
        &mut self,
        name: &str,
        span: Span,
        locals: &mut Locals,
    ) -> Result<Option<ExprId>, Diagnostic> {
        let Some((base, sub)) = name.rsplit_once('_') else {
            return Ok(None);
        };
        if base.is_empty() || sub.is_empty() {
            return Ok(None);
        }
        let vector = match Self::lookup_local(locals, base).cloned() {
            Some(local @ Local::VectorExpr { size, .. }) => {
                let index = self.index_name(sub, size, span, locals)?;
                return self.bound_component(&local, index);
            }
            Some(Local::Vector { sym, size }) => Some((sym, size)),
            Some(Local::Scalar(_)) => None,
            None => match self.names.get(base).cloned() {
                Some((Entity::Vector { sym, size }, _)) => Some((sym, size)),
                Some((Entity::Def(def), _)) if def.params.is_empty() && def.index.is_none() => {
                    // `ha_j` for `def ha = W1 x + b1`: an entry of a named vector
                    if let tensor::Shape::Col(size) = self.shape_of(&def.body, &Vec::new())? {
                        let index = self.index_name(sub, size, span, locals)?;
                        return Ok(Some(self.component(
                            &def.body,
                            Some(index),
                            None,
                            &mut Vec::new(),
                        )?));
                    }
                    None
                }
                _ => None,
            },
        };
        let Some((sym, size)) = vector else {
            return Ok(None);
        };
        let index = self.index_name(sub, size, span, locals)?;
        let base_id = self.store.add(Node::Sym(sym));
        Ok(Some(
            self.store.add(Node::Index(base_id, vec![index].into())),
        ))
    }

    /// The free indices a chain writes as entries of declared vectors (`x_i`, not
    /// bound by a sum), introduced before any side is lowered, so a side may
    /// name one in a condition or a delta before its first entry (`\sum_{k \neq y}
    /// p_k = 1 - p_y`, `\delta_{ky}`).
    fn introduce_free_indices(&mut self, e: &ast::Expr, bound: &mut Vec<String>) {
        match &e.kind {
            ast::ExprKind::Ident(name) => {
                let Some((base, sub)) = name.rsplit_once('_') else {
                    return;
                };
                let index_letter = sub.len() == 1 && sub.chars().all(|c| c.is_ascii_lowercase());
                if !index_letter || bound.iter().any(|b| b == sub) || self.names.contains_key(sub) {
                    return;
                }
                if self.store.find_symbol(sub).is_some() {
                    return;
                }
                if let Some((Entity::Vector { size, .. }, _)) = self.names.get(base).cloned() {
                    let _ = self.index_name(sub, size, e.span, &mut Vec::new());
                }
            }
            ast::ExprKind::Sum { index, body, .. } => {
                bound.push(index.name.clone());
                self.introduce_free_indices(body, bound);
                bound.pop();
            }
            ast::ExprKind::Limit { var, body, .. } => {
                bound.push(var.name.clone());
                self.introduce_free_indices(body, bound);
                bound.pop();
            }
            _ => {
                for c in e.children() {
                    self.introduce_free_indices(c, bound);
                }
            }
        }
    }

    /// An index written as a name or number; an undeclared name becomes a free
    /// index ranging over `1..=size`.
    fn index_name(&mut self, sub: &str, size: ExprId, span: Span, locals: &mut Locals) -> Lowered {
        if let Ok(n) = sub.parse::<i64>() {
            return Ok(self.store.int(n));
        }
        if let Some(Local::Scalar(e)) = Self::lookup_local(locals, sub) {
            if let Some(s) = self.store.as_sym(*e) {
                self.range_hints.entry(s).or_insert(size);
            }
        }
        if Self::lookup_local(locals, sub).is_some() || self.names.contains_key(sub) {
            return self.ident(sub, span, locals);
        }
        let s = self.store.symbol(sub);
        if self.domains.get(s).is_none() {
            self.domains.declare(s, VarDomain::Index { size });
        }
        Ok(self.store.add(Node::Sym(s)))
    }

    fn subscript(
        &mut self,
        base: &ast::Expr,
        indices: &[ast::Expr],
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        if let ExprKind::Call { func, primes, args } = &base.kind {
            if let Some((Entity::Def(def), _)) = self.names.get(&func.name).cloned() {
                if def.index.is_some() {
                    if indices.len() != 1 {
                        return Err(err(span, "an indexed definition takes one index"));
                    }
                    if *primes > 0 {
                        return Err(err(
                            func.span,
                            "primes on an indexed definition are not supported",
                        ));
                    }
                    let index = match (&indices[0].kind, self.shape_of(base, locals)?) {
                        (ExprKind::Ident(n), tensor::Shape::Col(size)) => {
                            self.index_name(n, size, indices[0].span, locals)?
                        }
                        _ => self.expr(&indices[0], locals)?,
                    };
                    return self.call(func, 0, args, Some(index), span, locals);
                }
            }
        }
        let bound_expr = matches!(&base.kind, ExprKind::Ident(n)
            if matches!(Self::lookup_local(locals, n), Some(Local::VectorExpr { .. })));
        if bound_expr || !matches!(base.kind, ExprKind::Ident(_)) {
            return self.tensor_subscript(base, indices, span, locals);
        }
        // an entry of a named matrix expression (`def A = softmax(Q K^T)`: `A_(s,t)`)
        if let ExprKind::Ident(name) = &base.kind {
            let named_matrix = Self::lookup_local(locals, name).is_none()
                && matches!(self.names.get(name), Some((Entity::Def(def), _))
                    if def.params.is_empty() && def.index.is_none());
            if named_matrix && matches!(self.shape_of(base, locals)?, tensor::Shape::Matrix(..)) {
                return self.tensor_subscript(base, indices, span, locals);
            }
        }
        let (sym, size) = match &base.kind {
            ExprKind::Ident(name) => {
                let matrix = match (Self::lookup_local(locals, name), self.names.get(name)) {
                    (None, Some((Entity::Matrix { sym }, _))) => Some((*sym, None)),
                    _ => None,
                };
                let found = self
                    .vector_variable(name, locals)
                    .map(|(sym, size)| (sym, Some(size)))
                    .or(matrix);
                match found {
                    Some(f) => f,
                    None => {
                        return Err(err(
                            base.span,
                            format!("`{name}` is not a vector or matrix"),
                        ))
                    }
                }
            }
            _ => return self.tensor_subscript(base, indices, span, locals),
        };
        let mut idx = Vec::with_capacity(indices.len());
        for (k, i) in indices.iter().enumerate() {
            let size_k = match (size, self.domains.get(sym)) {
                (Some(s), _) => s,
                (None, Some(VarDomain::Matrix { rows, cols })) => {
                    if k == 0 {
                        *rows
                    } else {
                        *cols
                    }
                }
                _ => self.store.one(),
            };
            idx.push(match &i.kind {
                ExprKind::Ident(n) => self.index_name(n, size_k, i.span, locals)?,
                _ => self.expr(i, locals)?,
            });
        }
        let base_id = self.store.add(Node::Sym(sym));
        Ok(self.store.add(Node::Index(base_id, idx.into())))
    }

    /// `(W h)_k`, `softmax(o)_y`, `x(u)_i`: an entry of a vector or matrix expression.
    fn tensor_subscript(
        &mut self,
        base: &ast::Expr,
        indices: &[ast::Expr],
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        let shape = self.shape_of(base, locals)?;
        let sizes: Vec<ExprId> = match shape {
            tensor::Shape::Col(n) | tensor::Shape::Row(n) => vec![n],
            tensor::Shape::Matrix(r, c) => vec![r, c],
            _ => return Err(err(base.span, "only a vector or a matrix has entries")),
        };
        if indices.len() != sizes.len() {
            return Err(err(
                span,
                format!(
                    "expected {} ind{}",
                    sizes.len(),
                    if sizes.len() == 1 { "ex" } else { "ices" }
                ),
            ));
        }
        let mut idx = Vec::with_capacity(indices.len());
        for (i, &size) in indices.iter().zip(&sizes) {
            idx.push(match &i.kind {
                ExprKind::Ident(n) => self.index_name(n, size, i.span, locals)?,
                _ => self.expr(i, locals)?,
            });
        }
        let (row, col) = match shape {
            tensor::Shape::Row(_) => (None, Some(idx[0])),
            _ => (Some(idx[0]), idx.get(1).copied()),
        };
        self.component(base, row, col, locals)
    }

    fn sum(
        &mut self,
        index: &ast::Ident,
        lower: Option<&ast::Expr>,
        upper: Option<&ast::Expr>,
        body: &ast::Expr,
        entry: Option<(Option<ExprId>, Option<ExprId>)>,
        locals: &mut Locals,
    ) -> Lowered {
        let s = self.bound_symbol(&index.name);
        let sym = self.store.add(Node::Sym(s));
        let lower = match lower {
            Some(l) => self.expr(l, locals)?,
            None => self.store.one(),
        };
        let explicit_upper = match upper {
            Some(u) => Some(self.expr(u, locals)?),
            None => None,
        };
        locals.push((index.name.clone(), Local::Scalar(sym)));
        // a sum of vectors is lowered entry by entry
        let body_id = match entry {
            Some((row, col)) => self.component(body, row, col, locals),
            None => self.expr(body, locals),
        };
        locals.pop();
        let body_id = body_id?;
        let upper = match explicit_upper {
            Some(u) => u,
            None => self
                .range_hints
                .get(&s)
                .copied()
                .or_else(|| self.infer_range(body_id, s))
                .ok_or_else(|| {
                    err(
                        index.span,
                        format!(
                            "cannot tell the range of `{0}`; write sum_({0}=1)^n",
                            index.name
                        ),
                    )
                })?,
        };
        self.declare_bound_index(s, lower, upper);
        Ok(self.store.add(Node::Sum {
            index: s,
            lower,
            upper,
            body: body_id,
        }))
    }

    /// Tells the simplifier what a summation index ranges over: `1..=upper`
    /// (an `Index`) when the sum starts at 1, otherwise just the integers.
    fn declare_bound_index(&mut self, s: Symbol, lower: ExprId, upper: ExprId) {
        let from_one = self.store.as_num(lower).is_some_and(|l| l.is_one());
        let domain = if from_one {
            VarDomain::Index { size: upper }
        } else {
            VarDomain::Integer
        };
        self.domains.declare(s, domain);
    }

    /// A new symbol for a bound variable (`sum_j`, `lim k`): renamed apart from
    /// every other symbol, so differentiating by a free `v_j` cannot capture it.
    fn bound_symbol(&mut self, name: &str) -> Symbol {
        self.fresh += 1;
        self.store.symbol(&format!("{name}#{}", self.fresh))
    }

    /// The size of the first vector indexed directly by `index` in `body`.
    fn infer_range(&self, body: ExprId, index: Symbol) -> Option<ExprId> {
        let mut stack = vec![body];
        let mut seen = std::collections::HashSet::new();
        while let Some(e) = stack.pop() {
            if !seen.insert(e) {
                continue;
            }
            if let Node::Index(base, idx) = self.store.node(e) {
                if let Some(v) = self.store.as_sym(*base) {
                    for (k, &i) in idx.iter().enumerate() {
                        if self.store.as_sym(i) != Some(index) {
                            continue;
                        }
                        match self.domains.get(v) {
                            Some(VarDomain::Vector { size } | VarDomain::OneHot { size }) => {
                                return Some(*size)
                            }
                            Some(VarDomain::Matrix { rows, cols }) => {
                                return Some(if k == 0 { *rows } else { *cols })
                            }
                            _ => {}
                        }
                    }
                }
            }
            stack.extend(self.store.children(e));
        }
        None
    }

    /// `∂L/∂oa` where `oa` is a named expression (`def oa = W2 hs + b2`): `L` is
    /// lowered with `oa` standing for a fresh variable, differentiated, and the
    /// definition put back. `entry` is the component for a whole-vector `oa`.
    /// `None` when `var` does not name a definition.
    #[allow(clippy::too_many_arguments)]
    fn intermediate_derivative(
        &mut self,
        body: &ast::Expr,
        var: &ast::Expr,
        order: u32,
        span: Span,
        entry: Option<ExprId>,
        body_entry: Option<ExprId>,
        locals: &mut Locals,
    ) -> Result<Option<ExprId>, Diagnostic> {
        let named_def = |this: &Lowerer, n: &str| match this.names.get(n) {
            Some((Entity::Def(def), _)) if def.params.is_empty() && def.index.is_none() => {
                Some(def.clone())
            }
            _ => None,
        };
        let (name, def) = match &var.kind {
            ExprKind::Ident(n) => match named_def(self, n) {
                Some(def) => (n.clone(), def),
                None => match n
                    .rsplit_once('_')
                    .and_then(|(b, _)| named_def(self, b).map(|d| (b.to_string(), d)))
                {
                    Some(found) => found,
                    None => return Ok(None),
                },
            },
            ExprKind::Subscript { base, .. } => match &base.kind {
                ExprKind::Ident(n) => match named_def(self, n) {
                    Some(def) => (n.clone(), def),
                    None => return Ok(None),
                },
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let shape = self.shape_of(&def.body, &Vec::new())?;
        let sym = self.bound_symbol(&name);
        let stand_in = match shape {
            tensor::Shape::Col(size) => {
                self.domains.declare(sym, VarDomain::Vector { size });
                Entity::Vector { sym, size }
            }
            tensor::Shape::Scalar => {
                self.domains.declare(sym, VarDomain::Real);
                Entity::Scalar(sym)
            }
            _ => {
                return Err(err(
                    var.span,
                    format!(
                        "cannot differentiate with respect to `{name}`: only numbers and vectors"
                    ),
                ))
            }
        };
        let saved = self.names.insert(name.clone(), (stand_in, def.name.span));
        let lowered = (|| {
            let var_id = match entry {
                Some(index) => {
                    let base = self.store.add(Node::Sym(sym));
                    self.store.add(Node::Index(base, vec![index].into()))
                }
                None => self.expr(var, locals)?,
            };
            // a Jacobian's row: entry `body_entry` of a vector body
            let body_id = match body_entry {
                Some(r) => self.component(body, Some(r), None, locals)?,
                None => self.expr(body, locals)?,
            };
            Ok::<_, Diagnostic>((var_id, body_id))
        })();
        if let Some(old) = saved {
            self.names.insert(name, old);
        }
        let (var_id, body_id) = lowered?;
        let d = self.derivative(body_id, var_id, order, span)?;
        // put the definition back in place of the stand-in variable
        if matches!(shape, tensor::Shape::Scalar) {
            let value = self.expr(&def.body, &mut Vec::new())?;
            return Ok(Some(self.store.substitute(d, sym, value)));
        }
        let mut replacements = HashMap::new();
        let mut stack = vec![d];
        let mut seen = std::collections::HashSet::new();
        while let Some(e) = stack.pop() {
            if !seen.insert(e) {
                continue;
            }
            if let Node::Index(base, idx) = self.store.node(e).clone() {
                if self.store.as_sym(base) == Some(sym) && idx.len() == 1 {
                    let value = self.component(&def.body, Some(idx[0]), None, &mut Vec::new())?;
                    replacements.insert(e, value);
                    continue;
                }
            }
            stack.extend(self.store.children(e));
        }
        Ok(Some(self.store.replace(d, &replacements)))
    }

    fn derivative(&mut self, body: ExprId, var: ExprId, order: u32, span: Span) -> Lowered {
        if order > MAX_DERIVATIVE_ORDER {
            return Err(err(
                span,
                format!(
                    "a derivative of order {order} is past the limit of {MAX_DERIVATIVE_ORDER} \
                     (a fixed limit, MAX_DERIVATIVE_ORDER: name an intermediate derivative and \
                     differentiate that)"
                ),
            ));
        }
        let mut result = body;
        let mut kinks: Vec<crate::diff::Kink> = Vec::new();
        for taken in 1..=order {
            let d = crate::diff::derivative(&mut self.store, &self.domains, result, var)
                .map_err(|e| err(span, e.to_string()))?;
            result = d.value;
            for k in d.kinks {
                if !kinks.contains(&k) {
                    kinks.push(k);
                }
            }
            if self.store.len() > self.config.max_nodes {
                return Err(err(
                    span,
                    format!(
                        "expression too large: after {taken} of {order} derivatives the file's \
                         expressions have {} distinct nodes, past the limit of {} \
                         (raise it with --expr-limit)",
                        self.store.len(),
                        self.config.max_nodes
                    ),
                ));
            }
        }
        self.sites.push(DerivativeSite {
            body,
            var,
            order,
            result,
            span,
            kinks,
        });
        Ok(result)
    }

    fn call(
        &mut self,
        func: &ast::Ident,
        primes: u32,
        args: &[ast::Arg],
        index: Option<ExprId>,
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        let name = func.name.as_str();
        if let Some(special) = self.special_call(name, args, span, locals)? {
            return Ok(special);
        }
        if let Some(arg) = args.iter().find(|a| a.name.is_some()) {
            let arg_name = arg
                .name
                .as_ref()
                .map(|n| n.name.as_str())
                .unwrap_or_default();
            return Err(err(
                arg.value.span,
                format!("`{name}` takes no named argument `{arg_name}`"),
            ));
        }
        // a local or a declared scalar followed by parentheses is a product: d_h(d + 1)
        let local_scalar = matches!(Self::lookup_local(locals, name), Some(Local::Scalar(_)));
        let declared_scalar = matches!(
            self.names.get(name),
            Some((Entity::Scalar(_) | Entity::Dim(_), _))
        );
        if (local_scalar || (declared_scalar && Self::lookup_local(locals, name).is_none()))
            && primes == 0
        {
            let factor = self.ident(name, func.span, locals)?;
            let mut factors = vec![factor];
            for a in args {
                factors.push(self.expr(&a.value, locals)?);
            }
            return Ok(self.store.product(factors));
        }
        match self.names.get(name).cloned() {
            // a document's `δ = ∂L/∂z` beside the Kronecker delta `δ(i, j)`
            Some((Entity::Def(def), _))
                if def.params.is_empty()
                    && def.index.is_none()
                    && !args.is_empty()
                    && Func::from_name(name).is_some() =>
            {
                self.builtin_call(func, primes, args, span, locals)
            }
            Some((Entity::Def(def), _)) => {
                if def.index.is_some() && index.is_none() {
                    return Err(err(
                        span,
                        format!("`{name}` is indexed: write `{name}(...)_i`"),
                    ));
                }
                if primes == 0 {
                    let bound = self.bind_params(&def, args, span, locals)?;
                    return self.inline_def(&def, &bound, index, span);
                }
                if def.params.len() != 1 || args.len() != 1 {
                    return Err(err(span, "primes (f') need a function of one variable"));
                }
                let param = self.bound_symbol(&def.params[0].name);
                self.domains.declare(param, VarDomain::Real);
                let param_id = self.store.add(Node::Sym(param));
                let body = self.inline_def(&def, &[Local::Scalar(param_id)], index, span)?;
                let arg = self.expr(&args[0].value, locals)?;
                self.derivative_at(body, param, param_id, primes, arg, span)
            }
            Some((Entity::Function { sym }, _)) => {
                let mut lowered = Vec::with_capacity(args.len());
                for a in args {
                    lowered.push(self.function_arg(&a.value, locals)?);
                }
                let applied = if primes == 0 {
                    self.store.add(Node::Apply(sym, lowered.into()))
                } else if lowered.len() == 1 {
                    self.store.add(Node::FnDeriv {
                        func: sym,
                        orders: vec![primes].into(),
                        args: lowered.into(),
                    })
                } else {
                    return Err(err(span, "primes (f') need a function of one variable"));
                };
                Ok(match index {
                    Some(i) => self.store.add(Node::Index(applied, vec![i].into())),
                    None => applied,
                })
            }
            _ => self.builtin_call(func, primes, args, span, locals),
        }
    }

    /// An argument of an uninterpreted function: a scalar, or a whole vector variable.
    fn function_arg(&mut self, e: &ast::Expr, locals: &mut Locals) -> Lowered {
        if let ExprKind::Ident(n) = &e.kind {
            if let Some((sym, _)) = self.vector_variable(n, locals) {
                return Ok(self.store.add(Node::Sym(sym)));
            }
        }
        self.expr(e, locals)
    }

    fn builtin_call(
        &mut self,
        func: &ast::Ident,
        primes: u32,
        args: &[ast::Arg],
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        let name = func.name.as_str();
        if Func::from_name(name).is_none() && self.config.declare_unknown_as_real {
            // one-off expressions: an unknown function is an uninterpreted R -> R
            let sym = self.store.symbol(name);
            self.domains.declare(
                sym,
                VarDomain::Function {
                    input: None,
                    output: None,
                },
            );
            self.names
                .insert(name.to_string(), (Entity::Function { sym }, func.span));
            return self.call(func, primes, args, None, span, locals);
        }
        let Some(f) = Func::from_name(name) else {
            let mut error = err(func.span, format!("unknown function `{name}`"));
            let builtins = Func::ALL
                .iter()
                .flat_map(|f| std::iter::once(f.row().name).chain(f.row().aliases.iter().copied()))
                .chain(crate::expr::names::TENSOR_FUNCTIONS.iter().copied());
            let defined = self
                .names
                .iter()
                .filter_map(|(n, (entity, _))| match entity {
                    Entity::Function { .. } | Entity::Def(_) => Some(n.as_str()),
                    _ => None,
                });
            if let Some(near) = crate::diagnostic::closest(name, builtins.chain(defined)) {
                error = error.with_note(format!("did you mean `{near}`?"));
            }
            return Err(error.with_note(format!(
                "define it (`def {name}(t) = ...`) or declare it (`var {name} : R -> R`)"
            )));
        };
        if args.len() != f.arity() {
            return Err(err(
                span,
                format!(
                    "`{name}` takes {} argument{}, not {}",
                    f.arity(),
                    if f.arity() == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
        }
        let mut lowered = Vec::with_capacity(args.len());
        for a in args {
            lowered.push(self.expr(&a.value, locals)?);
        }
        if primes == 0 {
            return Ok(self.store.call(f, lowered));
        }
        if lowered.len() != 1 {
            return Err(err(span, "primes (f') need a function of one variable"));
        }
        let param = self.bound_symbol("t");
        self.domains.declare(param, VarDomain::Real);
        let param_id = self.store.add(Node::Sym(param));
        let body = self.store.call1(f, param_id);
        self.derivative_at(body, param, param_id, primes, lowered[0], span)
    }

    /// `body`'s `order`-th derivative in `param`, evaluated at `arg`.
    fn derivative_at(
        &mut self,
        body: ExprId,
        param: Symbol,
        param_id: ExprId,
        order: u32,
        arg: ExprId,
        span: Span,
    ) -> Lowered {
        let d = self.derivative(body, param_id, order, span)?;
        // the recorded site is in terms of the parameter; move it to the argument
        if let Some(site) = self.sites.last_mut() {
            site.body = self.store.substitute(body, param, arg);
            site.result = self.store.substitute(d, param, arg);
            site.var = arg;
            let kinks = std::mem::take(&mut site.kinks);
            site.kinks = kinks
                .iter()
                .map(|k| k.substitute(&mut self.store, param, arg))
                .collect();
        }
        Ok(self.store.substitute(d, param, arg))
    }

    fn bind_params(
        &mut self,
        def: &ast::Def,
        args: &[ast::Arg],
        span: Span,
        locals: &mut Locals,
    ) -> Result<Vec<Local>, Diagnostic> {
        if args.len() != def.params.len() {
            return Err(err(
                span,
                format!(
                    "`{}` takes {} argument{}, not {}",
                    def.name.name,
                    def.params.len(),
                    if def.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
        }
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            // vector arguments (variables or expressions) bind lazily
            let local = match self.bind_tensor_arg(&a.value, locals)? {
                Some(local) => local,
                None => Local::Scalar(self.expr(&a.value, locals)?),
            };
            bound.push(local);
        }
        Ok(bound)
    }

    fn inline_def(
        &mut self,
        def: &ast::Def,
        bound: &[Local],
        index: Option<ExprId>,
        span: Span,
    ) -> Lowered {
        if self.def_depth >= MAX_DEF_DEPTH {
            return Err(err(
                span,
                format!(
                    "definitions nest deeper than {MAX_DEF_DEPTH} levels (is `{}` recursive?)",
                    def.name.name
                ),
            ));
        }
        self.inlined += 1;
        if self.inlined > self.config.max_nodes || self.store.len() > self.config.max_nodes {
            return Err(err(
                span,
                format!(
                    "expression too large: definitions expand to more than {} inlined uses \
                     or distinct nodes (raise the limit with --expr-limit)",
                    self.config.max_nodes
                ),
            ));
        }
        let mut inner: Locals = def
            .params
            .iter()
            .zip(bound)
            .map(|(p, l)| (p.name.clone(), l.clone()))
            .collect();
        if let (Some(i), Some(ix)) = (&def.index, index) {
            inner.push((i.name.clone(), Local::Scalar(ix)));
        }
        self.def_depth += 1;
        let out = self.expr(&def.body, &mut inner);
        self.def_depth -= 1;
        out
    }

    /// Calls with their own meaning: `diff(e, x)`, `ind(cond)`.
    fn special_call(
        &mut self,
        name: &str,
        args: &[ast::Arg],
        span: Span,
        locals: &mut Locals,
    ) -> Result<Option<ExprId>, Diagnostic> {
        if self.names.contains_key(name) || Self::lookup_local(locals, name).is_some() {
            return Ok(None);
        }
        match name {
            "diff" => {
                let (body, var, order) = match args {
                    [b, v] => (b, v, 1),
                    [b, v, n] => {
                        let n_id = self.expr(&n.value, locals)?;
                        let order = self
                            .store
                            .as_num(n_id)
                            .filter(|r| r.is_integer() && r.is_positive())
                            .and_then(|r| r.to_integer().to_u32())
                            .ok_or_else(|| {
                                err(n.value.span, "the order must be a positive integer")
                            })?;
                        (b, v, order)
                    }
                    _ => return Err(err(span, "diff takes (expression, variable[, order])")),
                };
                let var_id = self.expr(&var.value, locals)?;
                if !matches!(self.store.node(var_id), Node::Sym(_) | Node::Index(..)) {
                    return Err(err(
                        var.value.span,
                        "can only differentiate with respect to a variable",
                    ));
                }
                let body_id = self.expr(&body.value, locals)?;
                Ok(Some(self.derivative(body_id, var_id, order, span)?))
            }
            "ind" => {
                let [cond] = args else {
                    return Err(err(span, "ind takes one condition: ind(x > 0)"));
                };
                let c = self.expr(&cond.value, locals)?;
                if !matches!(self.store.node(c), Node::Cmp(..) | Node::And(_)) {
                    return Err(err(cond.value.span, "ind needs a condition such as x > 0"));
                }
                let one = self.store.one();
                let zero = self.store.zero();
                Ok(Some(self.store.add(Node::Piecewise {
                    branches: vec![(c, one)].into(),
                    otherwise: Some(zero),
                })))
            }
            "logsumexp" => self.logsumexp(args, span, locals).map(Some),
            "shape" | "params" => self.net_query(name, args, span).map(Some),
            "correlate" | "convolve" => self.convolution(name, args, span, locals).map(Some),
            _ => Ok(None),
        }
    }

    /// `shape(net.layer)`, `params(net.layer[, bias = false])`, `params(net)`.
    fn net_query(&mut self, name: &str, args: &[ast::Arg], span: Span) -> Lowered {
        let Some((target, rest)) = args.split_first() else {
            return Err(err(
                span,
                format!("{name} takes a layer: {name}(net.layer)"),
            ));
        };
        let path: Vec<&ast::Ident> = match &target.value.kind {
            ExprKind::Path(parts) => parts.iter().collect(),
            ExprKind::Ident(_) => Vec::new(),
            _ => {
                return Err(err(
                    target.value.span,
                    "expected a net or a layer: `net.layer`",
                ))
            }
        };
        let (net_name, layer) = match (&target.value.kind, path.as_slice()) {
            (ExprKind::Ident(n), _) => (n.clone(), None),
            (_, [net, layer]) => (net.name.clone(), Some(layer.name.clone())),
            _ => return Err(err(target.value.span, "expected `net.layer`")),
        };
        let mut bias = None;
        for a in rest {
            match (a.name.as_ref().map(|n| n.name.as_str()), &a.value.kind) {
                (Some("bias"), ExprKind::Ident(v)) if v == "true" || v == "false" => {
                    bias = Some(v == "true")
                }
                _ => {
                    return Err(err(
                        a.value.span,
                        format!("{name} takes only `bias = true|false` after the layer"),
                    ))
                }
            }
        }
        let Some((Entity::Net(k), _)) = self.names.get(&net_name).cloned() else {
            return Err(err(target.value.span, format!("unknown net `{net_name}`")));
        };
        let Some(shapes) = &self.nets[k].shapes else {
            return Err(err(
                target.value.span,
                format!("net `{net_name}` has errors (see above)"),
            ));
        };
        match (name, layer) {
            ("params", None) => Ok(shapes.total_params(bias)),
            ("params", Some(l)) => shapes.params_of(&l, bias).ok_or_else(|| {
                err(
                    target.value.span,
                    format!("net `{net_name}` has no layer `{l}`"),
                )
            }),
            ("shape", Some(l)) => {
                if bias.is_some() {
                    return Err(err(span, "shape takes no `bias`"));
                }
                let dims = shapes
                    .shape_of(&l)
                    .ok_or_else(|| {
                        err(
                            target.value.span,
                            format!("net `{net_name}` has no layer `{l}`"),
                        )
                    })?
                    .to_vec();
                Ok(self.store.add(Node::Vector(dims.into())))
            }
            _ => Err(err(
                target.value.span,
                "shape needs a layer: shape(net.layer)",
            )),
        }
    }

    /// `correlate(x, k, mode = full|valid|same, stride = s, dilation = d)` and
    /// `convolve(x, k, mode = ...)`, computed exactly.
    fn convolution(
        &mut self,
        name: &str,
        args: &[ast::Arg],
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        let positional: Vec<&ast::Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        let [x, k] = positional.as_slice() else {
            return Err(err(
                span,
                format!("{name} takes two vectors: {name}(x, k, mode = full)"),
            ));
        };
        let x = self.number_vector(&x.value, locals)?;
        let k = self.number_vector(&k.value, locals)?;
        let mut options = conv::CorrelateOptions::new(conv::Mode::Full);
        for a in args.iter().filter(|a| a.name.is_some()) {
            let key = a.name.as_ref().map(|n| n.name.as_str()).unwrap_or_default();
            match (key, &a.value.kind) {
                ("mode", ExprKind::Ident(m)) => {
                    options.mode = conv::Mode::from_name(m)
                        .ok_or_else(|| err(a.value.span, "mode is full, valid or same"))?;
                }
                ("stride" | "dilation", _) if name == "correlate" => {
                    let v = self.expr(&a.value, locals)?;
                    let n = self
                        .store
                        .as_num(v)
                        .filter(|r| r.is_integer() && r.is_positive())
                        .and_then(|r| r.to_integer().to_usize())
                        .ok_or_else(|| {
                            err(a.value.span, format!("{key} must be a positive integer"))
                        })?;
                    if key == "stride" {
                        options.stride = n;
                    } else {
                        options.dilation = n;
                    }
                }
                _ => {
                    let known = if name == "correlate" {
                        "mode, stride, dilation"
                    } else {
                        "mode"
                    };
                    return Err(err(
                        a.value.span,
                        format!("{name} takes {known}, not `{key}`"),
                    ));
                }
            }
        }
        let result = if name == "correlate" {
            conv::correlate(&x, &k, &options)
        } else {
            conv::convolve(&x, &k, options.mode)
        }
        .map_err(|e| err(span, e.to_string()))?;
        let entries: Vec<ExprId> = result.into_iter().map(|r| self.store.num(r)).collect();
        Ok(self.store.add(Node::Vector(entries.into())))
    }

    /// A vector literal whose entries are exact numbers.
    fn number_vector(
        &mut self,
        e: &ast::Expr,
        locals: &mut Locals,
    ) -> Result<Vec<BigRational>, Diagnostic> {
        let id = self.expr(e, locals)?;
        let Node::Vector(items) = self.store.node(id).clone() else {
            return Err(err(e.span, "expected a vector of numbers: [1, 1/4, 0.5]"));
        };
        let env = crate::eval::Env::new();
        items
            .iter()
            .map(|&i| match crate::eval::eval(&self.store, i, &env) {
                Ok(crate::eval::Value::Exact(r)) => Ok(r),
                _ => Err(err(e.span, "the entries must be exact numbers")),
            })
            .collect()
    }
}

/// Lowers a size or hyperparameter of a layer: numbers, sizes (`dim`s and
/// scalar variables), `+ - * / ^`, and juxtaposed products such as `d_h(d + 1)`.
fn lower_size(store: &mut Store, sizes: &HashMap<String, Symbol>, e: &ast::Expr) -> Lowered {
    match &e.kind {
        ExprKind::Number(n) => Ok(store.num(n.value.clone())),
        ExprKind::Ident(name) => match sizes.get(name) {
            Some(&s) => Ok(store.add(Node::Sym(s))),
            None => Err(err(e.span, format!("unknown size `{name}`"))
                .with_note(format!("declare it: `dim {name}`"))),
        },
        ExprKind::Neg(inner) => {
            let a = lower_size(store, sizes, inner)?;
            Ok(store.neg(a))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let a = lower_size(store, sizes, lhs)?;
            let b = lower_size(store, sizes, rhs)?;
            Ok(match op {
                BinOp::Add => store.sum(vec![a, b]),
                BinOp::Sub => store.sub(a, b),
                BinOp::Mul | BinOp::Hadamard => store.product(vec![a, b]),
                BinOp::Div => store.div(a, b),
                BinOp::Pow => store.pow(a, b),
            })
        }
        ExprKind::Call {
            func,
            primes: 0,
            args,
        } if sizes.contains_key(&func.name) => {
            let mut factors = vec![store.add(Node::Sym(sizes[&func.name]))];
            for a in args {
                factors.push(lower_size(store, sizes, &a.value)?);
            }
            Ok(store.product(factors))
        }
        _ => Err(err(
            e.span,
            "expected a size: a number or an expression in `dim`s",
        )),
    }
}

fn cmp_op(op: ast::CmpOp) -> CmpOp {
    match op {
        ast::CmpOp::Lt => CmpOp::Lt,
        ast::CmpOp::Le => CmpOp::Le,
        ast::CmpOp::Gt => CmpOp::Gt,
        ast::CmpOp::Ge => CmpOp::Ge,
        ast::CmpOp::Eq => CmpOp::Eq,
        ast::CmpOp::Ne => CmpOp::Ne,
    }
}

/// Half a unit in the last digit written on the right of `≈`, as written:
/// `≈ 2.70` allows 0.005, `≈ 3` allows 1/2, `≈ 2e3` allows 500. When the
/// right side is an expression, its finest decimal literal decides (`≈ 0.25 * x`
/// allows 0.005); with none, 10^-9.
fn default_tolerance(rhs: &ast::Expr) -> BigRational {
    let half = BigRational::new(BigInt::one(), BigInt::from(2));
    let Some(decimals) = written_decimals(rhs) else {
        return BigRational::new(BigInt::one(), BigInt::from(10).pow(9));
    };
    let unit = BigRational::from_integer(BigInt::from(10).pow(decimals.unsigned_abs() as u32));
    if decimals >= 0 {
        half / unit
    } else {
        half * unit
    }
}

/// The decimals that set the tolerance: those of the number on the right
/// (integers included), or the most of any decimal literal in an expression.
fn written_decimals(rhs: &ast::Expr) -> Option<i64> {
    let mut plain = rhs;
    while let ExprKind::Neg(inner) = &plain.kind {
        plain = inner;
    }
    if let ExprKind::Number(n) = &plain.kind {
        return Some(n.decimals);
    }
    let mut best: Option<i64> = None;
    let mut stack = vec![rhs];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Number(n) if n.decimals > 0 => {
                best = Some(best.map_or(n.decimals, |b| b.max(n.decimals)))
            }
            ExprKind::Neg(inner) => stack.push(inner),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            _ => {}
        }
    }
    best
}
