//! Lowering calls: user definitions inlined with their arguments bound; built-ins.

use crate::diagnostic::Diagnostic;
use crate::domain::VarDomain;
use crate::expr::{ExprId, Func, Node};
use crate::span::Span;
use crate::syntax::ast::{self, ExprKind};

use super::{err, Entity, Local, Locals, Lowered, Lowerer, MAX_DEF_DEPTH};

impl Lowerer {
    pub(super) fn call(
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
            Some((Entity::Def(def) | Entity::Named(def), _)) => {
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
    pub(super) fn function_arg(&mut self, e: &ast::Expr, locals: &mut Locals) -> Lowered {
        if let ExprKind::Ident(n) = &e.kind {
            if let Some((sym, _)) = self.vector_variable(n, locals) {
                return Ok(self.store.add(Node::Sym(sym)));
            }
        }
        self.expr(e, locals)
    }

    pub(super) fn builtin_call(
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
                    Entity::Function { .. } | Entity::Def(_) | Entity::Named(_) => Some(n.as_str()),
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

    pub(super) fn bind_params(
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

    pub(super) fn inline_def(
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
}
