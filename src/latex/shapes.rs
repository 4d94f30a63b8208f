//! Shapes the text states: `h^s \in \mathbb{R}^{d_h}` declares a name,
//! `\frac{\partial L}{\partial h} \in \mathbb{R}^{1 \times d_h}` and
//! `\sigma : \mathbb{R}^n \to \mathbb{R}` label an expression (a claim about its
//! shape, checked like any step), and `W_{m \times d_h}` in a formula labels `W`.

use super::lex::{Tok, Token};
use super::parse::{is_builtin_function, parse_expression, split_top, Context};
use crate::expr::names::{SPECIAL_CALLS, TENSOR_FUNCTIONS};
use crate::span::Span;
use crate::syntax::ast::{Arg, Expr, ExprKind, Ident};

/// A name's shape as the text states it: no sizes for a number, one for a
/// column vector, rows and columns for a matrix.
#[derive(Clone, Debug)]
pub struct ShapeDecl {
    pub name: String,
    pub sizes: Vec<Expr>,
}

/// What a statement with `\in` or `:` ... `\to` says about shapes.
pub(super) enum ShapeStatement {
    /// Names declared with their shapes (`x \in \mathbb{R}^n`).
    Declares(Vec<ShapeDecl>),
    /// A claim about the shape of an expression.
    Label(Labelled),
}

/// A dimension label: the expression (each way it may be read) and the sizes
/// the label gives it.
pub(super) struct Labelled {
    pub(super) readings: Vec<Expr>,
    pub(super) sizes: Vec<Expr>,
    pub(super) span: Span,
    /// Shapes the label itself gives (the argument of `\sigma : \mathbb{R}^n \to ..`).
    pub(super) given: Vec<ShapeDecl>,
}

fn is_cmd(t: &Token, names: &[&str]) -> bool {
    matches!(&t.tok, Tok::Cmd(c) if names.contains(&c.as_str()))
}

/// `\mathbb{R}^{m \times d_h}`, `\mathbb R^n`, `R^m`, `\mathbb{R}`: the sizes.
fn space(toks: &[Token], ctx: &Context) -> Option<Vec<Expr>> {
    let rest = match toks {
        [Token {
            tok: Tok::Cmd(c), ..
        }, Token {
            tok: Tok::Sym('{'), ..
        }, Token {
            tok: Tok::Letter('R'),
            ..
        }, Token {
            tok: Tok::Sym('}'), ..
        }, rest @ ..]
            if c == "mathbb" || c == "mathbf" =>
        {
            rest
        }
        [Token {
            tok: Tok::Cmd(c), ..
        }, Token {
            tok: Tok::Letter('R'),
            ..
        }, rest @ ..]
            if c == "mathbb" =>
        {
            rest
        }
        [Token {
            tok: Tok::Cmd(c), ..
        }, rest @ ..]
            if c == "R" || c == "Re" || c == "reals" =>
        {
            rest
        }
        [Token {
            tok: Tok::Letter('R'),
            ..
        }, rest @ ..] => rest,
        _ => return None,
    };
    let group = match rest {
        [] => return Some(Vec::new()),
        [Token {
            tok: Tok::Sym('^'), ..
        }, Token {
            tok: Tok::Sym('{'), ..
        }, inner @ .., Token {
            tok: Tok::Sym('}'), ..
        }] => inner,
        [Token {
            tok: Tok::Sym('^'), ..
        }, one] => std::slice::from_ref(one),
        _ => return None,
    };
    let sizes: Option<Vec<Expr>> = split_top(group, |t| is_cmd(t, &["times"]))
        .into_iter()
        .map(|part| parse_expression(part, ctx).ok())
        .collect();
    let sizes = sizes?;
    // `\mathbb{R}^{d_h \times 1}` is a column; more than two sizes is a tensor
    (sizes.len() <= 2 && sizes.iter().all(is_size)).then_some(sizes)
}

/// A size: a number or a name (`m`, `d_h`, `n`), or a product of them.
fn is_size(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number(_) | ExprKind::Ident(_) => true,
        ExprKind::Binary { lhs, rhs, .. } => is_size(lhs) && is_size(rhs),
        _ => false,
    }
}

/// `h^s`, `h^{s}`: a letter with a letter superscript is a name (`hs`) when the
/// text declares its shape.
fn labelled_name(toks: &[Token]) -> Option<String> {
    let letter = |t: &Token| match t.tok {
        Tok::Letter(c) => Some(c),
        _ => None,
    };
    match toks {
        [b, Token {
            tok: Tok::Sym('^'), ..
        }, s] => Some(format!("{}{}", letter(b)?, letter(s)?)),
        [b, Token {
            tok: Tok::Sym('^'), ..
        }, Token {
            tok: Tok::Sym('{'), ..
        }, s, Token {
            tok: Tok::Sym('}'), ..
        }] => Some(format!("{}{}", letter(b)?, letter(s)?)),
        _ => None,
    }
    .filter(|n| !n.ends_with('T'))
}

/// A name that a declaration can give a shape: not an entry (`o_k`), not a call.
fn declarable(e: &Expr) -> Option<String> {
    let ExprKind::Ident(name) = &e.kind else {
        return None;
    };
    if let Some((_, sub)) = name.split_once('_') {
        if sub.chars().count() == 1 && sub.chars().all(char::is_lowercase) {
            return None;
        }
    }
    Some(name.clone())
}

/// A built-in applied entry by entry to a vector (`σ`, `tanh`, `exp`, `softplus`).
pub(super) fn entrywise(name: &str) -> bool {
    is_builtin_function(name) && !TENSOR_FUNCTIONS.contains(&name) && !SPECIAL_CALLS.contains(&name)
}

/// Reads a statement holding another relation for what it says about shapes;
/// `None` when it says nothing nabla can use. `ctx` learns the names declared
/// with a letter superscript (`h^s \in ..` makes `h^s` the name `hs`).
pub(super) fn read_shape_statement(toks: &[Token], ctx: &mut Context) -> Option<ShapeStatement> {
    let span = toks.first()?.span.join(toks.last()?.span);
    if let Some(k) = toks.iter().position(|t| is_cmd(t, &["in"])) {
        let (left, right) = (&toks[..k], &toks[k + 1..]);
        let sizes = space(right, ctx)?;
        if left.is_empty() {
            return None;
        }
        if let Some(name) = labelled_name(left) {
            ctx.labels.insert(name.clone());
        }
        let names = split_top(left, |t| t.tok == Tok::Sym(','));
        let mut declared = Vec::new();
        for part in &names {
            let e = parse_expression(part, ctx).ok()?;
            match declarable(&e) {
                Some(name) => declared.push(ShapeDecl {
                    name,
                    sizes: sizes.clone(),
                }),
                None if names.len() == 1 => {
                    return Some(ShapeStatement::Label(Labelled {
                        readings: vec![e],
                        sizes,
                        span,
                        given: Vec::new(),
                    }))
                }
                None => return None,
            }
        }
        return Some(ShapeStatement::Declares(declared));
    }
    // `\sigma : \mathbb{R}^n \to \mathbb{R}`, `\sigma(x) : \mathbb{R}^n \rightarrow \mathbb{R}`
    let colon = toks.iter().position(|t| t.tok == Tok::Sym(':'))?;
    let arrow = toks
        .iter()
        .position(|t| is_cmd(t, &["to", "rightarrow", "longrightarrow"]))?;
    if arrow < colon {
        return None;
    }
    let domain = space(&toks[colon + 1..arrow], ctx)?;
    let codomain = space(&toks[arrow + 1..], ctx)?;
    let head = &toks[..colon];
    let (func, arg) = match head {
        [Token {
            tok: Tok::Cmd(c), ..
        }] => (c.clone(), None),
        _ => match parse_expression(head, ctx).ok()?.kind {
            ExprKind::Call { func, args, .. } if args.len() == 1 => {
                (func.name, declarable(&args[0].value))
            }
            ExprKind::Ident(name) => (name, None),
            _ => return None,
        },
    };
    if !entrywise(&func) {
        // an unknown function's signature declares it; nothing to check
        return None;
    }
    let arg = arg.unwrap_or_else(|| "x".to_string());
    let applied = Expr {
        kind: ExprKind::Call {
            func: Ident {
                name: func,
                span: head[0].span,
            },
            primes: 0,
            args: vec![Arg {
                name: None,
                value: Expr {
                    kind: ExprKind::Ident(arg.clone()),
                    span: head[0].span,
                },
            }],
        },
        span: head[0].span.join(head[head.len() - 1].span),
    };
    Some(ShapeStatement::Label(Labelled {
        readings: vec![applied],
        sizes: codomain,
        span,
        given: vec![ShapeDecl {
            name: arg,
            sizes: domain,
        }],
    }))
}

/// `b^{(1)} = d_h \times 1`, `\frac{\partial L}{\partial h^s} = 1 \times d_h`: a
/// size written as a value. A name's size declares its shape (a column for
/// `r \times 1`, a matrix for `r \times c`; a row `1 \times c` says too little
/// about a name to declare it); any other expression's is a dimension label.
/// `None` for more than two sizes or sizes nabla cannot read.
pub(super) fn read_size_statement(
    left: &[Token],
    right: &[Token],
    ctx: &Context,
) -> Option<ShapeStatement> {
    let span = left.first()?.span.join(right.last()?.span);
    let sizes: Vec<Expr> = split_top(right, |t| is_cmd(t, &["times"]))
        .into_iter()
        .map(|part| parse_expression(part, ctx).ok())
        .collect::<Option<_>>()?;
    if sizes.len() != 2 || !sizes.iter().all(is_size) {
        return None;
    }
    let e = parse_expression(left, ctx).ok()?;
    let one =
        |s: &Expr| matches!(&s.kind, ExprKind::Number(n) if num_traits::One::is_one(&n.value));
    if let Some(name) = declarable(&e) {
        let sizes = match (one(&sizes[0]), one(&sizes[1])) {
            (_, true) => vec![sizes[0].clone()],
            (true, false) => return None,
            (false, false) => sizes,
        };
        return Some(ShapeStatement::Declares(vec![ShapeDecl { name, sizes }]));
    }
    let labelable = matches!(
        e.kind,
        ExprKind::Derivative { .. }
            | ExprKind::Grad { .. }
            | ExprKind::Transpose(_)
            | ExprKind::Binary { .. }
    );
    labelable.then(|| {
        ShapeStatement::Label(Labelled {
            readings: vec![e],
            sizes,
            span,
            given: Vec::new(),
        })
    })
}
