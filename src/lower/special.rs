//! Lowering calls that compute: net shapes and parameter counts, convolutions.

use crate::conv;
use crate::diagnostic::Diagnostic;
use crate::expr::{ExprId, Node};
use crate::span::Span;
use crate::syntax::ast::{self, ExprKind};
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive};

use super::{err, Entity, Locals, Lowered, Lowerer};

impl Lowerer {
    /// Calls with their own meaning: `diff(e, x)`, `ind(cond)`.
    pub(super) fn special_call(
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
    pub(super) fn net_query(&mut self, name: &str, args: &[ast::Arg], span: Span) -> Lowered {
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
    pub(super) fn convolution(
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
    pub(super) fn number_vector(
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
