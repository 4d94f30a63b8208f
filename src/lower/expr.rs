//! Lowering expressions: names, subscripts and entries, sums over indices.

use crate::diagnostic::Diagnostic;
use crate::domain::VarDomain;
use crate::expr::{CmpOp, ExprId, Func, LimitTo, Node, Store, Symbol};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, ExprKind};
use num_traits::One;

use super::{err, tensor, Entity, Local, Locals, Lowered, Lowerer};

impl Lowerer {
    pub(super) fn expr(&mut self, e: &ast::Expr, locals: &mut Locals) -> Lowered {
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
    pub(super) fn broadcast(
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

    pub(super) fn lookup_local<'l>(locals: &'l Locals, name: &str) -> Option<&'l Local> {
        locals.iter().rev().find(|(n, _)| n == name).map(|(_, l)| l)
    }

    /// The vector variable `name` stands for (a declared vector or onehot, or a
    /// def parameter bound to one), with its size; a local scalar shadows it.
    pub(super) fn vector_variable(&self, name: &str, locals: &Locals) -> Option<(Symbol, ExprId)> {
        match Self::lookup_local(locals, name) {
            Some(Local::Vector { sym, size }) => Some((*sym, *size)),
            Some(_) => None,
            None => match self.names.get(name) {
                Some((Entity::Vector { sym, size }, _)) => Some((*sym, *size)),
                _ => None,
            },
        }
    }

    pub(super) fn ident(&mut self, name: &str, span: Span, locals: &mut Locals) -> Lowered {
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
                Entity::Named(def) => self.inline_def(&def, &[], None, span),
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
    pub(super) fn split_component(
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
                Some((Entity::Named(def), _)) => {
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
    pub(super) fn introduce_free_indices(&mut self, e: &ast::Expr, bound: &mut Vec<String>) {
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
    pub(super) fn index_name(
        &mut self,
        sub: &str,
        size: ExprId,
        span: Span,
        locals: &mut Locals,
    ) -> Lowered {
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

    pub(super) fn subscript(
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
                && matches!(self.names.get(name), Some((Entity::Named(_), _)));
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
    pub(super) fn tensor_subscript(
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

    pub(super) fn sum(
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
    pub(super) fn declare_bound_index(&mut self, s: Symbol, lower: ExprId, upper: ExprId) {
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
    pub(super) fn bound_symbol(&mut self, name: &str) -> Symbol {
        self.fresh += 1;
        self.store.symbol(&format!("{name}#{}", self.fresh))
    }

    /// The size of the first vector indexed directly by `index` in `body`.
    pub(super) fn infer_range(&self, body: ExprId, index: Symbol) -> Option<ExprId> {
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
