//! Vectors and matrices lowered to index notation.
//!
//! A vector or matrix expression is never built as a whole: `component(e, i, j)`
//! lowers the scalar entry `(i, j)` of it, with sums over fresh indices for
//! products (`(W h)_k = Σ_l W_(k,l) h_l`). A claim between two vectors holds
//! when it holds for a free index ranging over the size, so `softmax(v + c) =
//! softmax(v)` becomes `softmax(v + c)_i = softmax(v)_i` for every `i`.

use super::{err, Entity, EntryIndices, Local, Locals, Lowered, Lowerer};
use crate::diagnostic::Diagnostic;
use crate::domain::VarDomain;
use crate::expr::names::TENSOR_FUNCTIONS as TENSOR_BUILTINS;
use crate::expr::{ExprId, Func, Node, Symbol};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, ExprKind};
use std::rc::Rc;

/// The shape of an expression. Sizes are store expressions (numbers or `dim`s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Shape {
    Scalar,
    /// A column vector of the given size.
    Col(ExprId),
    /// A row vector (a transposed column).
    Row(ExprId),
    Matrix(ExprId, ExprId),
    /// A vector literal, `correlate(...)` or `shape(...)`: compared entry by entry as written.
    Literal,
    /// `1^T`: a row of ones whose size comes from what it multiplies.
    OnesRow,
}

impl Shape {
    pub(super) fn is_tensor(self) -> bool {
        matches!(self, Shape::Col(_) | Shape::Row(_) | Shape::Matrix(..))
    }

    fn describe(self, store: &crate::expr::Store) -> String {
        match self {
            Shape::Scalar => "a number".to_string(),
            Shape::Col(n) => format!("a vector of size {}", store.display(n)),
            Shape::Row(n) => format!("a row vector of size {}", store.display(n)),
            Shape::Matrix(r, c) => format!("a {}×{} matrix", store.display(r), store.display(c)),
            Shape::Literal => "a vector of numbers".to_string(),
            Shape::OnesRow => "a row of ones".to_string(),
        }
    }
}

/// The free indices a tensor claim is stated for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Frame {
    pub shape: Shape,
    pub row: Option<ExprId>,
    pub col: Option<ExprId>,
}

impl Lowerer {
    fn vector_entity(&self, name: &str, locals: &Locals) -> Option<Shape> {
        match Self::lookup_local(locals, name) {
            Some(Local::Vector { size, .. } | Local::VectorExpr { size, .. }) => {
                return Some(Shape::Col(*size))
            }
            Some(Local::Scalar(_)) => return Some(Shape::Scalar),
            None => {}
        }
        match self.names.get(name) {
            Some((Entity::Vector { size, .. }, _)) => Some(Shape::Col(*size)),
            Some((Entity::Matrix { sym }, _)) => match self.domains.get(*sym) {
                Some(VarDomain::Matrix { rows, cols }) => Some(Shape::Matrix(*rows, *cols)),
                _ => None,
            },
            _ => None,
        }
    }

    fn is_declared(&self, name: &str, locals: &Locals) -> bool {
        Self::lookup_local(locals, name).is_some() || self.names.contains_key(name)
    }

    /// The shape of an expression, without lowering it.
    pub(super) fn shape_of(&mut self, e: &ast::Expr, locals: &Locals) -> Result<Shape, Diagnostic> {
        Ok(match &e.kind {
            ExprKind::Vector(_) => Shape::Literal,
            ExprKind::Ident(name) => match self.vector_entity(name, locals) {
                Some(s) => s,
                None => match self.names.get(name).cloned() {
                    Some((Entity::Named(def), _)) => {
                        // a definition that uses itself must not recurse forever
                        if self.def_depth >= super::MAX_DEF_DEPTH {
                            return Err(err(
                                e.span,
                                format!(
                                    "definitions nest deeper than {} levels (is `{name}` recursive?)",
                                    super::MAX_DEF_DEPTH
                                ),
                            ));
                        }
                        self.def_depth += 1;
                        let shape = self.shape_of(&def.body, &Vec::new());
                        self.def_depth -= 1;
                        shape?
                    }
                    _ => Shape::Scalar,
                },
            },
            ExprKind::Call { func, args, .. } => self.call_shape(func, args, locals)?,
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.shape_of(lhs, locals)?;
                let b = self.shape_of(rhs, locals)?;
                self.binary_shape(*op, a, b, e.span)?
            }
            ExprKind::Neg(inner) | ExprKind::Abs(inner) => self.shape_of(inner, locals)?,
            ExprKind::Transpose(inner) => match (&inner.kind, self.shape_of(inner, locals)?) {
                (ExprKind::Number(_), Shape::Scalar) => Shape::OnesRow,
                (_, Shape::Col(n)) => Shape::Row(n),
                (_, Shape::Row(n)) => Shape::Col(n),
                (_, Shape::Matrix(r, c)) => Shape::Matrix(c, r),
                (_, s) => s,
            },
            ExprKind::Derivative { var, body, .. } => {
                let var_shape = self.shape_of(var, locals)?;
                let body_shape = self.shape_of(body, locals)?;
                match (body_shape, var_shape) {
                    (Shape::Scalar, s) if s.is_tensor() => s,
                    (Shape::Col(m), Shape::Col(n)) => Shape::Matrix(m, n),
                    (s, Shape::Scalar) => s,
                    _ => {
                        return Err(err(
                            e.span,
                            "this derivative of a tensor by a tensor is not supported",
                        ))
                    }
                }
            }
            ExprKind::Grad { var, .. } => self.shape_of(var, locals)?,
            ExprKind::Sum { index, body, .. } => {
                // the index is a number inside the body
                let mut inner = locals.clone();
                let zero = self.store.zero();
                inner.push((index.name.clone(), Local::Scalar(zero)));
                self.shape_of(body, &inner)?
            }
            _ => Shape::Scalar,
        })
    }

    fn call_shape(
        &mut self,
        func: &ast::Ident,
        args: &[ast::Arg],
        locals: &Locals,
    ) -> Result<Shape, Diagnostic> {
        let name = func.name.as_str();
        let arg_shape = |this: &mut Lowerer, k: usize| -> Result<Shape, Diagnostic> {
            match args.get(k) {
                Some(a) => this.shape_of(&a.value, locals),
                None => Ok(Shape::Scalar),
            }
        };
        if !self.is_declared(name, locals) {
            match name {
                "correlate" | "convolve" | "shape" => return Ok(Shape::Literal),
                "softmax" => return arg_shape(self, 0),
                "diag" => {
                    return match arg_shape(self, 0)? {
                        Shape::Col(n) | Shape::Row(n) => Ok(Shape::Matrix(n, n)),
                        _ => Err(err(func.span, "diag takes a vector")),
                    }
                }
                "onehot" => {
                    let Some(size) = args.get(1) else {
                        return Err(err(
                            func.span,
                            "onehot takes the class and the size: onehot(y, m)",
                        ));
                    };
                    let size = self.expr(&size.value, &mut locals.clone())?;
                    return Ok(Shape::Col(size));
                }
                "jacobian" => {
                    return match (arg_shape(self, 0)?, arg_shape(self, 1)?) {
                        (Shape::Col(m), Shape::Col(n)) => Ok(Shape::Matrix(m, n)),
                        (Shape::Scalar, Shape::Col(n)) => Ok(Shape::Row(n)),
                        _ => Err(err(
                            func.span,
                            "jacobian takes a vector function and a vector variable",
                        )),
                    }
                }
                _ => {}
            }
        }
        if Self::lookup_local(locals, name).is_some() {
            return Ok(Shape::Scalar);
        }
        match self.names.get(name).cloned() {
            Some((Entity::Def(def) | Entity::Named(def), _)) => {
                if def.index.is_some() {
                    // an indexed definition is a vector the size of its first vector argument
                    for k in 0..args.len() {
                        if let Shape::Col(n) = arg_shape(self, k)? {
                            return Ok(Shape::Col(n));
                        }
                    }
                    return Err(err(
                        func.span,
                        format!("cannot tell the size of `{name}(...)`"),
                    ));
                }
                if def.params.len() == 1
                    && args.len() == 1
                    && !uses_as_vector(&def.body, &def.params[0].name)
                {
                    let s = arg_shape(self, 0)?;
                    if s.is_tensor() {
                        // a scalar function of one variable, applied entrywise
                        return Ok(s);
                    }
                }
                Ok(Shape::Scalar)
            }
            Some((Entity::Function { sym }, _)) => match self.domains.get(sym) {
                Some(VarDomain::Function {
                    output: Some(m), ..
                }) => Ok(Shape::Col(*m)),
                _ => Ok(Shape::Scalar),
            },
            Some(_) => Ok(Shape::Scalar),
            None => match Func::from_name(name) {
                Some(f) if f.arity() == 1 => arg_shape(self, 0),
                _ => Ok(Shape::Scalar),
            },
        }
    }

    fn binary_shape(&self, op: BinOp, a: Shape, b: Shape, span: Span) -> Result<Shape, Diagnostic> {
        use Shape::*;
        let mismatch = || {
            err(
                span,
                format!(
                    "cannot combine {} and {} here",
                    a.describe(&self.store),
                    b.describe(&self.store)
                ),
            )
        };
        Ok(match (op, a, b) {
            (_, Literal, _) | (_, _, Literal) => Literal,
            (_, Scalar, Scalar) => Scalar,
            (BinOp::Mul, Scalar, s) | (BinOp::Mul, s, Scalar) | (BinOp::Div, s, Scalar) => s,
            (BinOp::Add | BinOp::Sub, Scalar, s) | (BinOp::Add | BinOp::Sub, s, Scalar) => s,
            (BinOp::Add | BinOp::Sub | BinOp::Hadamard, x, y) if same_kind(x, y) => x,
            (BinOp::Mul, Matrix(r, _), Col(_)) => Col(r),
            (BinOp::Mul, Matrix(r, _), Matrix(_, c)) => Matrix(r, c),
            (BinOp::Mul, Col(m), Row(n)) => Matrix(m, n),
            (BinOp::Mul, Row(_), Col(_)) | (BinOp::Mul, OnesRow, Col(_)) => Scalar,
            (BinOp::Mul, Row(_), Matrix(_, c)) => Row(c),
            // an entrywise power `x^c`
            (BinOp::Pow, x, Scalar) => x,
            _ => return Err(mismatch()),
        })
    }

    /// Records that two sizes must agree for what is being lowered to be
    /// defined (the inner sizes of a product, the sizes of a sum): the
    /// obligation holds only where they do, so no point where a product is
    /// undefined can refute it.
    fn require_same_size(&mut self, a: ExprId, b: ExprId) {
        if a == b {
            return;
        }
        let condition = self.store.cmp(crate::expr::CmpOp::Eq, a, b);
        if !self.size_conditions.contains(&condition) {
            self.size_conditions.push(condition);
        }
    }

    /// Records the agreement of the sizes of two shapes added or multiplied
    /// entrywise.
    fn require_same_shape(&mut self, a: Shape, b: Shape) {
        use Shape::*;
        match (a, b) {
            (Col(m), Col(n)) | (Row(m), Row(n)) => self.require_same_size(m, n),
            (Matrix(r, c), Matrix(s, t)) => {
                self.require_same_size(r, s);
                self.require_same_size(c, t);
            }
            _ => {}
        }
    }

    /// A fresh summation index (its name cannot be written in a file).
    fn fresh_index(&mut self) -> (Symbol, ExprId) {
        let s = self.bound_symbol("k");
        (s, self.store.add(Node::Sym(s)))
    }

    fn sum_over(&mut self, index: Symbol, upper: ExprId, body: ExprId) -> ExprId {
        let one = self.store.one();
        self.declare_bound_index(index, one, upper);
        self.store.add(Node::Sum {
            index,
            lower: one,
            upper,
            body,
        })
    }

    /// The free indices for a claim between two tensors of this shape; named
    /// `i` and `j` unless those names are taken.
    pub(super) fn frame_for(&mut self, shape: Shape, sides: &[&ast::Expr]) -> Frame {
        let mut written = std::collections::HashSet::new();
        for e in sides {
            collect_names(e, &mut written);
        }
        let index = |this: &mut Lowerer, preferred: &str, size: ExprId| {
            let mut name = preferred.to_string();
            let mut n = 1;
            while written.contains(&name)
                || this.names.contains_key(&name)
                || this
                    .store
                    .find_symbol(&name)
                    .and_then(|s| this.domains.get(s))
                    .is_some_and(|d| !matches!(d, VarDomain::Index { size: s2 } if *s2 == size))
            {
                name = format!("{preferred}{n}");
                n += 1;
            }
            let s = this.store.symbol(&name);
            this.domains.declare(s, VarDomain::Index { size });
            this.store.add(Node::Sym(s))
        };
        let (row, col) = match shape {
            Shape::Col(n) => (Some(index(self, "i", n)), None),
            Shape::Row(n) => (None, Some(index(self, "j", n))),
            Shape::Matrix(r, c) => (Some(index(self, "i", r)), Some(index(self, "j", c))),
            _ => (None, None),
        };
        Frame { shape, row, col }
    }

    /// Lowers a side of a claim: the entry at the frame's indices for a tensor claim.
    pub(super) fn side(&mut self, e: &ast::Expr, frame: Option<Frame>) -> Lowered {
        let Some(frame) = frame else {
            return self.expr(e, &mut Vec::new());
        };
        let shape = self.shape_of(e, &Vec::new())?;
        if same_kind(shape, frame.shape) {
            return self.component(e, frame.row, frame.col, &mut Vec::new());
        }
        // a row against a column, a vector against a matrix: the sizes (rows ×
        // columns) are compared first at every point, so this is refuted unless
        // the shapes coincide there (a 1×1 row is a 1×1 column)
        let first = frame.row.or(frame.col);
        let one = self.store.one();
        match shape {
            Shape::Col(_) => self.component(e, first, None, &mut Vec::new()),
            Shape::Row(_) => self.component(e, None, frame.col.or(frame.row), &mut Vec::new()),
            Shape::Matrix(..) => {
                let (row, col) = match frame.shape {
                    Shape::Row(_) => (Some(one), frame.col),
                    _ => (frame.row, Some(one)),
                };
                self.component(e, row, col, &mut Vec::new())
            }
            // a number against a vector or matrix: the sizes differ (a number is
            // 1 × 1), so the claim is refuted as a shape mistake wherever they do
            Shape::Scalar => self.expr(e, &mut Vec::new()),
            _ => Err(err(
                e.span,
                format!(
                    "this side is {}, the other {}",
                    shape.describe(&self.store),
                    frame.shape.describe(&self.store)
                ),
            )),
        }
    }

    /// The free indices [`Self::side`] reads side `e` at, as rows and columns
    /// of that side (the same choices `side` makes when the shapes differ).
    pub(super) fn entry_indices(&mut self, e: &ast::Expr, frame: Option<Frame>) -> EntryIndices {
        let Some(frame) = frame else {
            return EntryIndices::default();
        };
        let Ok(shape) = self.shape_of(e, &Vec::new()) else {
            return EntryIndices::default();
        };
        let store = &self.store;
        let symbol = |id: Option<ExprId>| match id.map(|id| store.node(id)) {
            Some(Node::Sym(s)) => Some(*s),
            _ => None,
        };
        let (row, col) = if same_kind(shape, frame.shape) {
            (frame.row, frame.col)
        } else {
            match shape {
                Shape::Col(_) => (frame.row.or(frame.col), None),
                Shape::Row(_) => (None, frame.col.or(frame.row)),
                Shape::Matrix(..) => match frame.shape {
                    Shape::Row(_) => (None, frame.col),
                    _ => (frame.row, None),
                },
                _ => (None, None),
            }
        };
        EntryIndices {
            row: symbol(row),
            col: symbol(col),
        }
    }

    /// Rows × columns of a shape: a column of n is n × 1, a row 1 × n, a number
    /// has none (it compares as 1 × 1 and is shown as "a number").
    fn shape_sizes(&mut self, shape: Shape, at: Span) -> Result<Vec<ExprId>, Diagnostic> {
        let one = self.store.one();
        Ok(match shape {
            Shape::Scalar => Vec::new(),
            Shape::Col(n) => vec![n, one],
            Shape::Row(n) => vec![one, n],
            Shape::Matrix(r, c) => vec![r, c],
            Shape::Literal | Shape::OnesRow => {
                return Err(err(at, "cannot tell the shape of this expression"))
            }
        })
    }

    /// A dimension label `dims(X) = [r, c]` (`[n]` a column, `[]` a number): the
    /// shape of `X` against the label's. Further arguments (`dims(X^T, X)`) are
    /// readings the label may also mean; a derivative by a vector or matrix may
    /// be laid out either way, so its transpose is one too. Returns the sizes to
    /// compare first, the other readings, and the label's sizes; `None` when the
    /// claim is not a label.
    #[allow(clippy::type_complexity)]
    pub(super) fn label_sizes(
        &mut self,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Result<(Vec<ExprId>, Vec<Vec<ExprId>>, Vec<ExprId>), Diagnostic>> {
        let ExprKind::Call { func, args, .. } = &lhs.kind else {
            return None;
        };
        if func.name != "dims" || args.is_empty() || self.names.contains_key("dims") {
            return None;
        }
        let ExprKind::Vector(items) = &rhs.kind else {
            return Some(Err(err(
                rhs.span,
                "a dimension label is a list of sizes: `dims(X) = [rows, columns]`",
            )));
        };
        Some((|| {
            let one = self.store.one();
            let mut label = Vec::new();
            for item in items {
                label.push(self.expr(item, &mut Vec::new())?);
            }
            match label.len() {
                0 | 2 => {}
                1 => label.push(one),
                _ => return Err(err(rhs.span, "a dimension label has at most two sizes")),
            }
            let mut readings = Vec::new();
            for a in args {
                let shape = self.shape_of(&a.value, &Vec::new())?;
                let sizes = self.shape_sizes(shape, a.value.span)?;
                readings.push(sizes.clone());
                if mentions_derivative(&a.value) && sizes.len() == 2 {
                    readings.push(vec![sizes[1], sizes[0]]);
                }
            }
            // a number is 1 × 1: a label of 1 × 1 on it holds as written
            let normal = |s: &Vec<ExprId>| {
                if s.is_empty() {
                    vec![one, one]
                } else {
                    s.clone()
                }
            };
            let first = readings
                .iter()
                .position(|r| normal(r) == normal(&label))
                .unwrap_or(0);
            let primary = readings.remove(first);
            Ok((primary, readings, label))
        })())
    }

    /// Both sides' sizes for a tensor claim (`None` for a scalar claim).
    #[allow(clippy::type_complexity)]
    pub(super) fn side_sizes(
        &mut self,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        frame: Option<Frame>,
    ) -> Result<Option<(Vec<ExprId>, Vec<ExprId>)>, Diagnostic> {
        if frame.is_none() {
            return Ok(None);
        }
        // rows × columns: a column of n is n × 1, a row 1 × n
        let one = self.store.one();
        let sizes = |shape: Shape| match shape {
            Shape::Col(n) => vec![n, one],
            Shape::Row(n) => vec![one, n],
            Shape::Matrix(r, c) => vec![r, c],
            _ => Vec::new(),
        };
        let a = self.shape_of(lhs, &Vec::new())?;
        let b = self.shape_of(rhs, &Vec::new())?;
        Ok(Some((sizes(a), sizes(b))))
    }

    /// Entry `(row, col)` of a tensor expression (a scalar is the same at every entry).
    pub(super) fn component(
        &mut self,
        e: &ast::Expr,
        row: Option<ExprId>,
        col: Option<ExprId>,
        locals: &mut Locals,
    ) -> Lowered {
        let shape = self.shape_of(e, locals)?;
        if matches!(shape, Shape::Scalar) {
            return self.expr(e, locals);
        }
        // the one index of a vector: a row vector is indexed by `col`
        let vector_index = || row.or(col);
        match &e.kind {
            ExprKind::Ident(name) => self.ident_component(name, e.span, row, col, locals),
            ExprKind::Neg(inner) => {
                let a = self.component(inner, row, col, locals)?;
                Ok(self.store.neg(a))
            }
            ExprKind::Abs(inner) => {
                let a = self.component(inner, row, col, locals)?;
                Ok(self.store.call1(Func::Abs, a))
            }
            ExprKind::Transpose(inner) => self.component(inner, col, row, locals),
            ExprKind::Binary { op, lhs, rhs } => {
                self.binary_component(*op, lhs, rhs, row, col, e.span, locals)
            }
            ExprKind::Call { func, primes, args } => {
                self.call_component(func, *primes, args, row, col, e.span, locals)
            }
            ExprKind::Derivative { order, var, body } => {
                let var_shape = self.shape_of(var, locals)?;
                let body_shape = self.shape_of(body, locals)?;
                if let (Shape::Col(_), Shape::Col(_)) = (body_shape, var_shape) {
                    // a Jacobian: entry (a, b) is ∂body_a/∂var_b
                    if let Some(d) =
                        self.intermediate_derivative(body, var, *order, e.span, col, row, locals)?
                    {
                        return Ok(d);
                    }
                    let var_entry = self.component(var, col, None, locals)?;
                    if !matches!(self.store.node(var_entry), Node::Index(..)) {
                        return Err(err(
                            var.span,
                            "a Jacobian differentiates with respect to a vector variable",
                        ));
                    }
                    let body_id = self.component(body, row, None, locals)?;
                    return self.derivative(body_id, var_entry, *order, e.span);
                }
                if var_shape.is_tensor() {
                    if let Some(d) = self.intermediate_derivative(
                        body,
                        var,
                        *order,
                        e.span,
                        row.or(col),
                        None,
                        locals,
                    )? {
                        return Ok(d);
                    }
                    // a gradient: entry (a, b) is ∂body/∂var_(a,b)
                    let var_entry = self.component(var, row, col, locals)?;
                    let body_id = self.expr(body, locals)?;
                    return self.derivative(body_id, var_entry, *order, e.span);
                }
                let var_id = self.expr(var, locals)?;
                let body_id = self.component(body, row, col, locals)?;
                self.derivative(body_id, var_id, *order, e.span)
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
                Some((row, col)),
                locals,
            ),
            ExprKind::Grad { var, body } => {
                // `∇_oa L` for a named expression `oa` means what `d L / d oa` means
                if let Some(d) =
                    self.intermediate_derivative(body, var, 1, e.span, row.or(col), None, locals)?
                {
                    return Ok(d);
                }
                let var_entry = self.component(var, row, col, locals)?;
                let body_id = self.expr(body, locals)?;
                self.derivative(body_id, var_entry, 1, e.span)
            }
            _ => {
                let _ = vector_index;
                Err(err(e.span, "cannot take an entry of this expression"))
            }
        }
    }

    fn ident_component(
        &mut self,
        name: &str,
        span: Span,
        row: Option<ExprId>,
        col: Option<ExprId>,
        locals: &mut Locals,
    ) -> Lowered {
        let index = row.or(col).ok_or_else(|| err(span, "missing index"))?;
        if let Some(local) = Self::lookup_local(locals, name).cloned() {
            return match local {
                Local::Vector { sym, .. } => {
                    let base = self.store.add(Node::Sym(sym));
                    Ok(self.store.add(Node::Index(base, vec![index].into())))
                }
                Local::VectorExpr { expr, env, .. } => {
                    let mut env = (*env).clone();
                    self.component(&expr, Some(index), None, &mut env)
                }
                Local::Scalar(e) => Ok(e),
            };
        }
        match self.names.get(name).cloned() {
            Some((Entity::Vector { sym, .. }, _)) => {
                let base = self.store.add(Node::Sym(sym));
                Ok(self.store.add(Node::Index(base, vec![index].into())))
            }
            Some((Entity::Matrix { sym }, _)) => {
                let (Some(r), Some(c)) = (row, col) else {
                    return Err(err(
                        span,
                        format!("`{name}` is a matrix: it needs two indices"),
                    ));
                };
                let base = self.store.add(Node::Sym(sym));
                Ok(self.store.add(Node::Index(base, vec![r, c].into())))
            }
            Some((Entity::Named(def), _)) => {
                let body = def.body.clone();
                self.component(&body, row, col, &mut Vec::new())
            }
            _ => self.ident(name, span, locals),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn binary_component(
        &mut self,
        op: BinOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        row: Option<ExprId>,
        col: Option<ExprId>,
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        use Shape::*;
        let a_shape = self.shape_of(lhs, locals)?;
        let b_shape = self.shape_of(rhs, locals)?;
        match (op, a_shape, b_shape) {
            (BinOp::Add | BinOp::Sub | BinOp::Hadamard, _, _) => {
                self.require_same_shape(a_shape, b_shape);
                let a = self.component(lhs, row, col, locals)?;
                let b = self.component(rhs, row, col, locals)?;
                Ok(match op {
                    BinOp::Add => self.store.sum(vec![a, b]),
                    BinOp::Sub => self.store.sub(a, b),
                    _ => self.store.product(vec![a, b]),
                })
            }
            (BinOp::Mul | BinOp::Div, Scalar, _)
            | (BinOp::Mul | BinOp::Div | BinOp::Pow, _, Scalar) => {
                let a = self.component(lhs, row, col, locals)?;
                let b = self.component(rhs, row, col, locals)?;
                Ok(match op {
                    BinOp::Add => self.store.sum(vec![a, b]),
                    BinOp::Sub => self.store.sub(a, b),
                    BinOp::Div => self.store.div(a, b),
                    BinOp::Pow => self.store.pow(a, b),
                    _ => self.store.product(vec![a, b]),
                })
            }
            (BinOp::Mul, Matrix(_, inner), Col(n)) => {
                self.require_same_size(inner, n);
                let (k, kid) = self.fresh_index();
                let a = self.component(lhs, row, Some(kid), locals)?;
                let b = self.component(rhs, Some(kid), None, locals)?;
                let body = self.store.product(vec![a, b]);
                Ok(self.sum_over(k, inner, body))
            }
            (BinOp::Mul, Matrix(_, inner), Matrix(n, _)) => {
                self.require_same_size(inner, n);
                let (k, kid) = self.fresh_index();
                let a = self.component(lhs, row, Some(kid), locals)?;
                let b = self.component(rhs, Some(kid), col, locals)?;
                let body = self.store.product(vec![a, b]);
                Ok(self.sum_over(k, inner, body))
            }
            (BinOp::Mul, Row(inner), Matrix(n, _)) => {
                self.require_same_size(inner, n);
                let (k, kid) = self.fresh_index();
                let a = self.component(lhs, None, Some(kid), locals)?;
                let b = self.component(rhs, Some(kid), col, locals)?;
                let body = self.store.product(vec![a, b]);
                Ok(self.sum_over(k, inner, body))
            }
            (BinOp::Mul, Col(_), Row(_)) => {
                let a = self.component(lhs, row, None, locals)?;
                let b = self.component(rhs, None, col, locals)?;
                Ok(self.store.product(vec![a, b]))
            }
            _ => Err(err(span, "cannot take an entry of this product")),
        }
    }

    /// `logsumexp(v) = ln Σ_k exp(v_k)` of a vector (PyTorch's `torch.logsumexp`
    /// over its one dimension), or `ln(exp(a) + exp(b) + …)` of numbers. Written
    /// out, so its gradient (the softmax), its enclosure and its proofs are those
    /// of `ln`, `exp` and the sum.
    pub(super) fn logsumexp(
        &mut self,
        args: &[ast::Arg],
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        const USE: &str = "logsumexp takes a vector or numbers: logsumexp(x), logsumexp(a, b)";
        if let Some(named) = args.iter().find(|a| a.name.is_some()) {
            return Err(err(
                named.value.span,
                "logsumexp takes no named argument (it reduces its one vector)",
            ));
        }
        let Some(first) = args.first() else {
            return Err(err(span, USE));
        };
        let total = match self.shape_of(&first.value, locals)? {
            Shape::Col(n) | Shape::Row(n) if args.len() == 1 => {
                let (k, kid) = self.fresh_index();
                let entry = self.component(&first.value, Some(kid), Some(kid), locals)?;
                let term = self.store.call1(Func::Exp, entry);
                self.sum_over(k, n, term)
            }
            Shape::Matrix(..) => {
                return Err(err(
                    first.value.span,
                    "logsumexp of a matrix is not supported: take it of a row or a column",
                ))
            }
            _ => {
                let mut terms = Vec::with_capacity(args.len());
                for a in args {
                    if self.shape_of(&a.value, locals)? != Shape::Scalar {
                        return Err(err(a.value.span, USE));
                    }
                    let v = self.expr(&a.value, locals)?;
                    terms.push(self.store.call1(Func::Exp, v));
                }
                self.store.sum(terms)
            }
        };
        Ok(self.store.call1(Func::Ln, total))
    }

    /// A scalar formed from tensors: an inner product `u^T v`, `1^T v`, or a norm.
    pub(super) fn scalar_from_tensors(
        &mut self,
        e: &ast::Expr,
        locals: &mut Locals,
    ) -> Result<Option<ExprId>, Diagnostic> {
        match &e.kind {
            ExprKind::Binary {
                op: BinOp::Mul,
                lhs,
                rhs,
            } => {
                let a = self.shape_of(lhs, locals)?;
                let b = self.shape_of(rhs, locals)?;
                let size = match (a, b) {
                    (Shape::Row(n), Shape::Col(m)) => {
                        self.require_same_size(n, m);
                        n
                    }
                    (Shape::OnesRow, Shape::Col(n)) => n,
                    _ => return Ok(None),
                };
                let (k, kid) = self.fresh_index();
                let right = self.component(rhs, Some(kid), None, locals)?;
                let body = if matches!(a, Shape::OnesRow) {
                    right
                } else {
                    let left = self.component(lhs, None, Some(kid), locals)?;
                    self.store.product(vec![left, right])
                };
                Ok(Some(self.sum_over(k, size, body)))
            }
            ExprKind::Norm(inner) => {
                let shape = self.shape_of(inner, locals)?;
                let two = self.store.int(2);
                let squares = match shape {
                    Shape::Col(n) | Shape::Row(n) => {
                        let (k, kid) = self.fresh_index();
                        let entry = self.component(inner, Some(kid), Some(kid), locals)?;
                        let sq = self.store.pow(entry, two);
                        self.sum_over(k, n, sq)
                    }
                    Shape::Matrix(r, c) => {
                        let (k, kid) = self.fresh_index();
                        let (l, lid) = self.fresh_index();
                        let entry = self.component(inner, Some(kid), Some(lid), locals)?;
                        let sq = self.store.pow(entry, two);
                        let inner_sum = self.sum_over(l, c, sq);
                        self.sum_over(k, r, inner_sum)
                    }
                    _ => {
                        let v = self.expr(inner, locals)?;
                        return Ok(Some(self.store.call1(Func::Abs, v)));
                    }
                };
                Ok(Some(self.store.call1(Func::Sqrt, squares)))
            }
            _ => Ok(None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call_component(
        &mut self,
        func: &ast::Ident,
        primes: u32,
        args: &[ast::Arg],
        row: Option<ExprId>,
        col: Option<ExprId>,
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        let name = func.name.as_str();
        let index = row.or(col).ok_or_else(|| err(span, "missing index"))?;
        if !self.is_declared(name, locals) && TENSOR_BUILTINS.contains(&name) {
            return self.tensor_builtin(name, args, row, col, span, locals);
        }
        match self.names.get(name).cloned() {
            Some((Entity::Def(def), _)) if def.index.is_some() => {
                self.call(func, primes, args, Some(index), span, locals)
            }
            Some((Entity::Def(def) | Entity::Named(def), _)) => {
                // a scalar definition applied entrywise
                if def.params.len() != 1 || args.len() != 1 {
                    return Err(err(span, format!("`{name}` is not applied to one vector")));
                }
                let entry = self.component(&args[0].value, row, col, locals)?;
                let bound = [Local::Scalar(entry)];
                if primes > 0 {
                    return Err(err(
                        span,
                        "primes on an entrywise definition are not supported",
                    ));
                }
                self.inline_def(&def, &bound, None, span)
            }
            Some((Entity::Function { sym }, _)) => {
                let mut lowered = Vec::with_capacity(args.len());
                for a in args {
                    lowered.push(self.function_arg(&a.value, locals)?);
                }
                let applied = self.store.add(Node::Apply(sym, lowered.into()));
                Ok(self.store.add(Node::Index(applied, vec![index].into())))
            }
            _ => match Func::from_name(name) {
                Some(f) if f.arity() == 1 && args.len() == 1 && primes == 0 => {
                    let entry = self.component(&args[0].value, row, col, locals)?;
                    Ok(self.store.call1(f, entry))
                }
                Some(f) if f.arity() == 1 && args.len() == 1 => {
                    // `σ'(z)` of a vector: the derivative entry by entry, `σ'(z_i)`
                    let entry = self.component(&args[0].value, row, col, locals)?;
                    let param = self.bound_symbol("t");
                    self.domains.declare(param, VarDomain::Real);
                    let param_id = self.store.add(Node::Sym(param));
                    let body = self.store.call1(f, param_id);
                    self.derivative_at(body, param, param_id, primes, entry, span)
                }
                _ => Err(err(span, format!("cannot take an entry of `{name}(...)`"))),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tensor_builtin(
        &mut self,
        name: &str,
        args: &[ast::Arg],
        row: Option<ExprId>,
        col: Option<ExprId>,
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
        let index = row.or(col).ok_or_else(|| err(span, "missing index"))?;
        let arg = |k: usize| {
            args.get(k)
                .map(|a| &a.value)
                .ok_or_else(|| err(span, format!("{name} needs more arguments")))
        };
        match name {
            "softmax" => {
                let v = arg(0)?;
                let n = match self.shape_of(v, locals)? {
                    Shape::Col(n) => n,
                    // a matrix row by row (PyTorch's dim = -1): each row sums to 1
                    Shape::Matrix(_, n) => {
                        let (Some(r), Some(c)) = (row, col) else {
                            return Err(err(
                                span,
                                "softmax of a matrix is a matrix: it needs two indices",
                            ));
                        };
                        let top = self.component(v, Some(r), Some(c), locals)?;
                        let top = self.store.call1(Func::Exp, top);
                        let (k, kid) = self.fresh_index();
                        let entry = self.component(v, Some(r), Some(kid), locals)?;
                        let term = self.store.call1(Func::Exp, entry);
                        let total = self.sum_over(k, n, term);
                        return Ok(self.store.div(top, total));
                    }
                    _ => {
                        return Err(err(
                            v.span,
                            "softmax takes a vector or a matrix (row by row)",
                        ))
                    }
                };
                let top = self.component(v, Some(index), None, locals)?;
                let top = self.store.call1(Func::Exp, top);
                let (k, kid) = self.fresh_index();
                let entry = self.component(v, Some(kid), None, locals)?;
                let term = self.store.call1(Func::Exp, entry);
                let total = self.sum_over(k, n, term);
                Ok(self.store.div(top, total))
            }
            "logsumexp" => Err(err(span, "logsumexp(...) is a number: it has no entries")),
            "diag" => {
                let (Some(r), Some(c)) = (row, col) else {
                    return Err(err(span, "diag(v) is a matrix: it needs two indices"));
                };
                let entry = self.component(arg(0)?, Some(r), None, locals)?;
                let delta = self.store.call(Func::Delta, vec![r, c]);
                Ok(self.store.product(vec![delta, entry]))
            }
            "onehot" => {
                // `onehot(y, m)` with `y` declared nowhere: a class, an index in 1..=m
                let class = match (&arg(0)?.kind, args.get(1)) {
                    (ExprKind::Ident(y), Some(size)) if !self.is_declared(y, locals) => {
                        let size = self.expr(&size.value, &mut locals.clone())?;
                        self.index_name(y, size, span, locals)?
                    }
                    _ => self.expr(arg(0)?, locals)?,
                };
                Ok(self.store.call(Func::Delta, vec![index, class]))
            }
            "jacobian" => {
                let f = arg(0)?;
                let v = arg(1)?;
                let var_entry = match self.shape_of(f, locals)? {
                    Shape::Scalar => self.component(v, col.or(row), None, locals)?,
                    _ => self.component(v, col, None, locals)?,
                };
                if !matches!(self.store.node(var_entry), Node::Index(..)) {
                    return Err(err(
                        v.span,
                        "jacobian differentiates with respect to a vector variable",
                    ));
                }
                let body = match self.shape_of(f, locals)? {
                    Shape::Scalar => self.expr(f, locals)?,
                    _ => self.component(f, row, None, locals)?,
                };
                self.derivative(body, var_entry, 1, span)
            }
            _ => Err(err(span, format!("unknown tensor function `{name}`"))),
        }
    }

    /// Binds a def argument: a vector variable by name, a vector expression lazily.
    pub(super) fn bind_tensor_arg(
        &mut self,
        e: &ast::Expr,
        locals: &mut Locals,
    ) -> Result<Option<Local>, Diagnostic> {
        match self.shape_of(e, locals)? {
            Shape::Col(size) => {
                if let ExprKind::Ident(n) = &e.kind {
                    if let Some(l @ Local::VectorExpr { .. }) = Self::lookup_local(locals, n) {
                        return Ok(Some(l.clone()));
                    }
                    if let Some((sym, size)) = self.vector_variable(n, locals) {
                        return Ok(Some(Local::Vector { sym, size }));
                    }
                }
                Ok(Some(Local::VectorExpr {
                    expr: Rc::new(e.clone()),
                    env: Rc::new(locals.clone()),
                    size,
                }))
            }
            _ => Ok(None),
        }
    }

    /// `v_i` for a parameter bound to a vector expression.
    pub(super) fn bound_component(
        &mut self,
        local: &Local,
        index: ExprId,
    ) -> Result<Option<ExprId>, Diagnostic> {
        match local {
            Local::VectorExpr { expr, env, .. } => {
                let mut env = (**env).clone();
                Ok(Some(self.component(expr, Some(index), None, &mut env)?))
            }
            Local::Vector { sym, .. } => {
                let base = self.store.add(Node::Sym(*sym));
                Ok(Some(self.store.add(Node::Index(base, vec![index].into()))))
            }
            Local::Scalar(_) => Ok(None),
        }
    }
}

/// Every name written in an expression, and every part of a name split at `_`
/// (so `v_i` reserves `i`): the free indices of a tensor claim avoid them all.
fn collect_names(e: &ast::Expr, out: &mut std::collections::HashSet<String>) {
    let mut add = |name: &str| {
        out.insert(name.to_string());
        for part in name.split('_') {
            out.insert(part.to_string());
        }
    };
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Ident(n) => add(n),
            ExprKind::Call { func, .. } => add(&func.name),
            ExprKind::Sum { index, .. } => add(&index.name),
            ExprKind::Limit { var, .. } => add(&var.name),
            _ => {}
        }
        stack.extend(e.children());
    }
}

/// Vectors match vectors and matrices match matrices (sizes are checked by sampling).
fn same_kind(a: Shape, b: Shape) -> bool {
    matches!(
        (a, b),
        (Shape::Col(_), Shape::Col(_))
            | (Shape::Row(_), Shape::Row(_))
            | (Shape::Matrix(..), Shape::Matrix(..))
            | (Shape::Scalar, Shape::Scalar)
    )
}

/// Whether a definition's body uses parameter `param` as a vector: indexed
/// (`z_j`, `z_(j)`), transposed, normed, or passed whole to a vector function.
/// Such a `def` is a function of the whole vector, not applied entrywise.
fn uses_as_vector(body: &ast::Expr, param: &str) -> bool {
    let is_param = |e: &ast::Expr| matches!(&e.kind, ExprKind::Ident(n) if n == param);
    let prefix = format!("{param}_");
    let mut stack = vec![body];
    while let Some(e) = stack.pop() {
        let vector_use = match &e.kind {
            ExprKind::Ident(n) => n.starts_with(&prefix),
            ExprKind::Subscript { base, .. } => is_param(base),
            ExprKind::Transpose(x) | ExprKind::Norm(x) => is_param(x),
            ExprKind::Call { func, args, .. } => {
                TENSOR_BUILTINS.contains(&func.name.as_str())
                    && args.iter().any(|a| is_param(&a.value))
            }
            _ => false,
        };
        if vector_use {
            return true;
        }
        stack.extend(e.children());
    }
    false
}

/// Whether a derivative (or gradient) is written anywhere in `e`.
fn mentions_derivative(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Derivative { .. } | ExprKind::Grad { .. } => true,
        ExprKind::Call { args, .. } => args.iter().any(|a| mentions_derivative(&a.value)),
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            mentions_derivative(lhs) || mentions_derivative(rhs)
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            mentions_derivative(x)
        }
        ExprKind::Subscript { base, .. } => mentions_derivative(base),
        _ => false,
    }
}
