//! Lowering derivatives: by variables, by named intermediates, at a point; `nabla diff`.

use crate::diagnostic::Diagnostic;
use crate::domain::VarDomain;
use crate::expr::{ExprId, Node, Symbol};
use crate::span::Span;
use crate::syntax::ast::{self, ExprKind};
use std::collections::HashMap;
use std::rc::Rc;

use super::{
    err, tensor, DerivativeSite, Entity, Gradient, Locals, Lowered, Lowerer, MAX_DERIVATIVE_ORDER,
};

impl Lowerer {
    pub(super) fn gradient(
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
    pub(super) fn named_patterns(&mut self) -> Vec<(String, ExprId, Option<Symbol>)> {
        let defs: Vec<Rc<ast::Def>> = self
            .names
            .values()
            .filter_map(|(e, _)| match e {
                Entity::Named(def) => Some(def.clone()),
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

    /// `∂L/∂oa` where `oa` is a named expression (`def oa = W2 hs + b2`): `L` is
    /// lowered with `oa` standing for a fresh variable, differentiated, and the
    /// definition put back. `entry` is the component for a whole-vector `oa`.
    /// `None` when `var` does not name a definition.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn intermediate_derivative(
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
            Some((Entity::Named(def), _)) => Some(def.clone()),
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

    pub(super) fn derivative(
        &mut self,
        body: ExprId,
        var: ExprId,
        order: u32,
        span: Span,
    ) -> Lowered {
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

    /// `body`'s `order`-th derivative in `param`, evaluated at `arg`.
    pub(super) fn derivative_at(
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
}
