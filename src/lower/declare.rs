//! Lowering declarations: `var`, `dim`, `def` and `net`, collected before any claim.

use crate::diagnostic::Diagnostic;
use crate::domain::VarDomain;
use crate::expr::{ExprId, Func, Node, Store, Symbol};
use crate::shape::{self};
use crate::syntax::ast::{self, BinOp, ExprKind};
use num_traits::Signed;
use std::collections::HashMap;

use super::{err, Entity, Lowered, Lowerer, NetDecl};

impl Lowerer {
    pub(super) fn define(&mut self, ident: &ast::Ident, entity: Entity) {
        if let Some((_, first)) = self.names.get(&ident.name) {
            let d = err(ident.span, format!("`{}` is declared twice", ident.name))
                .with_label(*first, "first declared here");
            self.diagnostics.push(d);
            return;
        }
        if Func::from_name(&ident.name).is_some()
            && !matches!(entity, Entity::Def(_) | Entity::Named(_))
        {
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
    pub(super) fn declare_all(&mut self, file: &ast::File) {
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
                    self.define(&def.name, Entity::of_def(def));
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
    pub(super) fn analyze_nets(&mut self) {
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

    pub(super) fn declare_var(&mut self, decl: &ast::VarDecl) {
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
    pub(super) fn widen_contested_domain(&mut self, s: Symbol, second: VarDomain) {
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

    pub(super) fn var_domain(&mut self, domain: &ast::Domain) -> Result<VarDomain, Diagnostic> {
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

    pub(super) fn function_side(&mut self, d: &ast::Domain) -> Result<Option<ExprId>, Diagnostic> {
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
    pub(super) fn size(&mut self, e: &ast::Expr) -> Lowered {
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
