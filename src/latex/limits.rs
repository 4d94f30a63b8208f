//! Limits in a document: a `\lim_{k \to \infty}` whose body reaches `k` through a
//! definition the text writes (`a(x) = \frac{1}{1 + e^{-kx}}`, then `\lim_{k \to
//! \infty} a(x)`), and a formula after "at large k" or "as k → ∞", which states
//! something about the limit.
//!
//! A bound variable of a `.nabla` limit never captures a name outside it, so the
//! `k` of `a`'s definition would stay free under `\lim_{k \to \infty} a(x)`. The
//! text means its own `k`: inside a limit over `k`, a definition whose body uses
//! `k` (not as a parameter) is written out in place. The limit itself is taken
//! exactly by the checker (`src/limit`), never from floating-point values.

use super::chain::{Chain, TextDef};
use super::declare::names;
use crate::syntax::ast::{Expr, ExprKind, Ident, LimitPoint};

/// How deep definitions are written out inside one limit.
const MAX_ROUNDS: usize = 8;

/// The variable a limit phrase names ("large k", "k → ∞", "k \to \infty": `k`);
/// `None` when the words name none ("large enough", "infinity").
pub(super) fn phrase_variable(phrase: &str) -> Option<String> {
    let words: Vec<&str> = phrase
        .split(|c: char| !c.is_alphanumeric() && c != '\\')
        .filter(|w| !w.is_empty())
        .collect();
    let mut letters = words
        .iter()
        .filter(|w| w.chars().count() == 1 && w.chars().all(|c| c.is_ascii_alphabetic()));
    let first = letters.next()?;
    // "k to infinity" names `k` once; two different letters are no one variable
    letters.all(|w| w == first).then(|| first.to_string())
}

/// A formula that only says a variable grows without bound (`k \to \infty`,
/// `k \rightarrow +\infty`, as in "As $k \to \infty$, ..."): the phrase `k → ∞`.
pub(super) fn limit_statement(body: &str) -> Option<String> {
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let var = text.chars().next().filter(char::is_ascii_alphabetic)?;
    let rest = &text[var.len_utf8()..];
    let arrow = ["\\to", "\\rightarrow", "\\longrightarrow", "→"]
        .iter()
        .find_map(|a| rest.strip_prefix(a))?;
    let point = arrow.strip_prefix('+').unwrap_or(arrow);
    matches!(point, "\\infty" | "∞").then(|| format!("{var} → ∞"))
}

/// Whether `e` uses `var` free, directly or through the text's definitions (a
/// definition's own parameter named `var` is not it).
fn reaches(e: &Expr, var: &str, defs: &[TextDef]) -> bool {
    let mut seen: Vec<String> = Vec::new();
    let mut pending: Vec<String> = names(e).into_iter().collect();
    while let Some(n) = pending.pop() {
        if n == var {
            return true;
        }
        if seen.contains(&n) {
            continue;
        }
        seen.push(n.clone());
        for d in defs.iter().filter(|d| d.name.name == n) {
            if d.params.iter().any(|p| p.name == var) {
                continue;
            }
            pending.extend(names(&d.body));
        }
    }
    false
}

/// The names bound inside `e` (indices of sums, variables of limits).
fn binders(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Sum { index, .. } => out.push(index.name.clone()),
        ExprKind::Limit { var, .. } => out.push(var.name.clone()),
        _ => {}
    }
    for c in e.children() {
        binders(c, out);
    }
}

/// `body` with each parameter replaced by its argument.
fn substituted(body: &Expr, params: &[Ident], args: &[Expr]) -> Expr {
    let mut out = body.clone();
    fn go(e: &mut Expr, params: &[Ident], args: &[Expr]) {
        if let ExprKind::Ident(n) = &e.kind {
            if let Some(k) = params.iter().position(|p| &p.name == n) {
                let span = e.span;
                *e = args[k].clone();
                e.span = span;
            }
            return;
        }
        for c in e.children_mut() {
            go(c, params, args);
        }
    }
    go(&mut out, params, args);
    out
}

/// The definition `e` names or calls, with its arguments, when that definition
/// uses `var` and can be written out in place without capturing a name.
fn written_out(e: &Expr, var: &str, defs: &[TextDef]) -> Option<(Expr, String)> {
    let (name, args): (&str, Vec<Expr>) = match &e.kind {
        ExprKind::Ident(n) => (n.as_str(), Vec::new()),
        ExprKind::Call {
            func,
            primes: 0,
            args,
        } if args.iter().all(|a| a.name.is_none()) => (
            func.name.as_str(),
            args.iter().map(|a| a.value.clone()).collect(),
        ),
        _ => return None,
    };
    let def = defs.iter().find(|d| d.name.name == name)?;
    if def.params.len() != args.len()
        || def.params.iter().any(|p| p.name == var)
        || !reaches(&def.body, var, defs)
    {
        return None;
    }
    let mut bound = Vec::new();
    binders(&def.body, &mut bound);
    let used: Vec<String> = args.iter().flat_map(names).collect();
    if bound.iter().any(|b| used.contains(b)) {
        return None;
    }
    Some((substituted(&def.body, &def.params, &args), name.to_string()))
}

/// Writes out, inside `e` (the body of a limit over `var`), every definition that
/// uses `var`; the names written out are added to `used`.
fn write_out(e: &mut Expr, var: &str, defs: &[TextDef], used: &mut Vec<String>, round: usize) {
    if round < MAX_ROUNDS {
        if let Some((body, name)) = written_out(e, var, defs) {
            let span = e.span;
            *e = body;
            e.span = span;
            if !used.contains(&name) {
                used.push(name);
            }
            write_out(e, var, defs, used, round + 1);
            return;
        }
    }
    if let ExprKind::Limit { var: inner, .. } = &e.kind {
        if inner.name != var {
            // a limit of its own inside: its variable is another name
            inline_in_limits(e, defs, used);
            return;
        }
    }
    for c in e.children_mut() {
        write_out(c, var, defs, used, round);
    }
}

/// Inside every limit of `e`, the text's definitions that use the limit's
/// variable written out (`\lim_{k \to \infty} a(x)` with `a(x) = \frac{1}{1 +
/// e^{-kx}}`); returns the names written out.
pub(super) fn inline_in_limits(e: &mut Expr, defs: &[TextDef], used: &mut Vec<String>) {
    if let ExprKind::Limit { var, body, .. } = &mut e.kind {
        let var = var.name.clone();
        write_out(body, &var, defs, used, 0);
        return;
    }
    for c in e.children_mut() {
        inline_in_limits(c, defs, used);
    }
}

/// What reading a chain about a limit did.
pub(super) enum LimitReading {
    /// Sides that use `var` were read as their limits as `var → ∞`.
    Taken,
    /// The chain takes the limit over `var` itself, or never uses `var`.
    Already,
    /// The phrase names no variable: the limit is not taken.
    NotTaken,
}

/// Reads a chain after the text says it holds "at large k": every side that uses
/// `k` (also through a definition) is its limit as `k → ∞`.
pub(super) fn read_as_limit(chain: &mut Chain, phrase: &str) -> LimitReading {
    let Some(var) = phrase_variable(phrase) else {
        return LimitReading::NotTaken;
    };
    let mut taken = false;
    for part in chain.parts.iter_mut() {
        if !reaches(part, &var, &chain.definitions) {
            continue;
        }
        let span = part.span;
        let body = std::mem::replace(
            part,
            Expr {
                kind: ExprKind::Number(crate::syntax::ast::Literal::integer_places(
                    num_rational::BigRational::from_integer(0.into()),
                )),
                span,
            },
        );
        *part = Expr {
            kind: ExprKind::Limit {
                var: Ident {
                    name: var.clone(),
                    span,
                },
                to: LimitPoint::PosInf,
                body: Box::new(body),
            },
            span,
        };
        taken = true;
    }
    if taken {
        return LimitReading::Taken;
    }
    LimitReading::Already
}
