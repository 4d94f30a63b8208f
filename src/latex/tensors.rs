//! Vectors and matrices in a chain: which of the text's definitions and stated
//! shapes a chain about gradients needs, and one name for the case variants of
//! one matrix (`W^{(2)}` and its entries `w^{(2)}_{kj}`).

use super::chain::{Assumption, Chain, TextDef};
use super::declare::{names, SideFile};
use super::shapes::ShapeDecl;
use crate::syntax::ast::{BinOp, DomainKind, Expr, ExprKind};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The names a chain reaches: its parts, the text's definitions and the side
/// file's `def`s they use, transitively.
fn reached(chain: &Chain, side: &SideFile) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<String> = chain.parts.iter().flat_map(names).collect();
    while let Some(n) = pending.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        for d in chain.definitions.iter().filter(|d| d.name.name == n) {
            pending.extend(names(&d.body));
        }
        pending.extend(side.def_names.get(&n).into_iter().flatten().cloned());
    }
    seen
}

/// The names the derivatives of a chain differentiate by (`W2` in
/// `\frac{\partial L}{\partial W^{(2)}}`, `ha` in `\nabla_{h^a}`), entries by their
/// vector (`w2_kj` by `w2`).
fn derivative_vars(chain: &Chain) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack: Vec<&Expr> = chain.parts.iter().collect();
    while let Some(e) = stack.pop() {
        if let ExprKind::Derivative { var, .. } | ExprKind::Grad { var, .. } = &e.kind {
            for n in names(var) {
                if let Some((base, _)) = n.split_once('_') {
                    out.insert(base.to_string());
                }
                out.insert(n);
            }
        }
        stack.extend(e.children());
    }
    out
}

/// The text's definitions of side-file variables (`o^a = W^{(2)} h^s + b^{(2)}`
/// with `var oa : R^m`) that a derivative of the chain needs: the chain reaches
/// the variable, and differentiates by something its definition reaches (`W2`),
/// where the variable alone would make the derivative 0. They join the chain's
/// definitions; returns their names.
pub(super) fn use_overrides(
    chain: &mut Chain,
    overrides: &[TextDef],
    side: &SideFile,
) -> Vec<String> {
    let vars: BTreeSet<String> = derivative_vars(chain)
        .into_iter()
        .map(|v| v.to_lowercase())
        .collect();
    if vars.is_empty() || overrides.is_empty() {
        return Vec::new();
    }
    let mut used = Vec::new();
    for o in overrides {
        let name = &o.name.name;
        if chain.definitions.iter().any(|d| &d.name.name == name) {
            continue;
        }
        if !reached(chain, side).contains(name) {
            continue;
        }
        // what the definition reaches, through the text's definitions and the other overrides
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut pending: Vec<String> = names(&o.body).into_iter().collect();
        while let Some(n) = pending.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            let defs = chain.definitions.iter().chain(overrides.iter());
            for d in defs.filter(|d| d.name.name == n && &d.name.name != name) {
                pending.extend(names(&d.body));
            }
        }
        let needed = seen
            .iter()
            .any(|n| n != name && vars.contains(&n.to_lowercase()));
        if needed {
            chain.definitions.push(o.clone());
            used.push(name.clone());
        }
    }
    used
}

/// Whether a chain is about vectors and matrices: a transpose, a Hadamard
/// product, `onehot`, `diag` or `softmax`, or a derivative by (or of) a name
/// with a stated vector or matrix shape.
/// With `side_vars`, a name the side file declares a vector counts as stated
/// (the side file may declare a letter the text also uses as a number).
pub(super) fn tensor_flavoured(
    chain: &Chain,
    shapes: &[ShapeDecl],
    side: &SideFile,
    side_vars: bool,
) -> bool {
    let tensor_name = |e: &Expr| match &e.kind {
        ExprKind::Ident(n) => {
            // an entry (`b2_k`) by its vector
            let n = match n.split_once('_') {
                Some((base, sub)) if sub.chars().count() == 1 => base,
                _ => n.as_str(),
            };
            shapes.iter().any(|d| d.name == n && !d.sizes.is_empty())
                || chain
                    .shapes
                    .iter()
                    .any(|d| d.name == n && !d.sizes.is_empty())
                || (side_vars
                    && side.vars.get(n).is_some_and(|k| {
                        matches!(k, DomainKind::Vector(_) | DomainKind::Matrix(..))
                    }))
        }
        _ => false,
    };
    let mut stack: Vec<&Expr> = chain.parts.iter().collect();
    while let Some(e) = stack.pop() {
        let flavoured = match &e.kind {
            ExprKind::Transpose(_)
            | ExprKind::Binary {
                op: BinOp::Hadamard,
                ..
            } => true,
            ExprKind::Call { func, .. } => {
                matches!(func.name.as_str(), "onehot" | "diag" | "softmax")
            }
            ExprKind::Derivative { var, body, .. } => tensor_name(var) || tensor_name(body),
            ExprKind::Grad { var, .. } => tensor_name(var),
            _ => false,
        };
        if flavoured {
            return true;
        }
        stack.extend(e.children());
    }
    false
}

/// In a chain about vectors and matrices, a name it reaches through the text's
/// definitions (not one it writes) whose shape an earlier sub-part of the question states (`W^{(1)} \in \mathbb{R}^{d_h \times d}`
/// in (a), used by `h^a`'s definition in (n)) is declared so; a refutation then
/// rests on that shape still holding, which the sub-part does not say.
pub(super) fn question_shapes(chain: &mut Chain, question: &[ShapeDecl], side: &SideFile) {
    if question.is_empty() || !tensor_flavoured(chain, question, side, true) {
        return;
    }
    let reach = reached(chain, side);
    // the names the chain writes itself are read as they are used there
    let written: BTreeSet<String> = chain.parts.iter().flat_map(names).collect();
    // the latest statement of each name
    let mut latest: BTreeMap<String, ShapeDecl> = BTreeMap::new();
    for d in question {
        if reach.contains(&d.name)
            && !written.contains(&d.name)
            && !chain.shapes.iter().any(|s| s.name == d.name)
        {
            latest.insert(d.name.clone(), d.clone());
        }
    }
    // a shape the side file gives the name already is no assumption; a number
    // stated earlier (`o^a \in \mathbb{R}` for a binary classifier) is another use
    // of the letter
    latest.retain(|name, d| !d.sizes.is_empty() && !side_gives(side, name, &d.sizes));
    if latest.is_empty() {
        return;
    }
    for name in latest.keys() {
        chain.assumptions.push(Assumption {
            step: None,
            text: format!(
                "refuted only if `{name}` still has the shape an earlier sub-part states; this one does not state it"
            ),
        });
    }
    let mut shapes: Vec<ShapeDecl> = latest.into_values().collect();
    shapes.append(&mut chain.shapes);
    chain.shapes = shapes;
}

/// Whether the side file declares `name` with these sizes (`var x : R^n` and
/// `x \in \mathbb{R}^n`).
fn side_gives(side: &SideFile, name: &str, sizes: &[Expr]) -> bool {
    let same = |a: &Expr, b: &Expr| match (&a.kind, &b.kind) {
        (ExprKind::Ident(x), ExprKind::Ident(y)) => x == y,
        _ => false,
    };
    match (side.vars.get(name), sizes) {
        (Some(DomainKind::Vector(n)), [s]) => same(n, s),
        (Some(DomainKind::Matrix(r, c)), [s, t]) => same(r, s) && same(c, t),
        (Some(DomainKind::Real), []) => true,
        _ => false,
    }
}

/// Every name written in `e`, entries with their vector's name.
fn each_name(e: &Expr, out: &mut Vec<String>) {
    if let ExprKind::Ident(n) = &e.kind {
        out.push(n.clone());
    }
    for c in e.children() {
        each_name(c, out);
    }
}

/// Names written with two indices (`w2_(k, j)`): matrices.
fn indexed_twice(e: &Expr, out: &mut HashSet<String>) {
    if let ExprKind::Subscript { base, indices } = &e.kind {
        if let (ExprKind::Ident(b), 2) = (&base.kind, indices.len()) {
            out.insert(b.clone());
        }
    }
    for c in e.children() {
        indexed_twice(c, out);
    }
}

/// `w2` renamed `W2` in an expression (and entries `w2_kj` written as one name).
fn rename(e: &mut Expr, from: &str, to: &str) {
    if let ExprKind::Ident(n) = &mut e.kind {
        if n == from {
            *n = to.to_string();
        } else if let Some(rest) = n.strip_prefix(from).filter(|r| r.starts_with('_')) {
            *n = format!("{to}{rest}");
        }
    }
    for c in e.children_mut() {
        rename(c, from, to);
    }
}

/// A matrix the text writes both as `W^{(2)}` and `w^{(2)}` (its entries
/// `w^{(2)}_{kj}`, or the lowercase name with a matrix shape) is one matrix: the
/// lowercase name is renamed to the capital in every chain. Only names both
/// read as matrices (two indices or a stated matrix shape) are joined, so a
/// vector `x` and a data matrix `X` stay apart.
pub(super) fn join_case_variants(chains: &mut [Chain]) {
    let mut matrices: HashSet<String> = HashSet::new();
    for c in chains.iter() {
        for e in c.parts.iter().chain(c.definitions.iter().map(|d| &d.body)) {
            indexed_twice(e, &mut matrices);
        }
        for d in &c.shapes {
            if d.sizes.len() == 2 {
                matrices.insert(d.name.clone());
            }
        }
    }
    let pairs: BTreeMap<String, String> = matrices
        .iter()
        .filter_map(|n| {
            let mut chars = n.chars();
            let first = chars.next()?;
            if !first.is_lowercase() {
                return None;
            }
            let capital: String = first.to_uppercase().chain(chars).collect();
            (matrices.contains(&capital) && &capital != n).then(|| (n.clone(), capital))
        })
        .collect();
    if pairs.is_empty() {
        return;
    }
    for c in chains.iter_mut() {
        let mut written = Vec::new();
        for e in c.parts.iter().chain(c.definitions.iter().map(|d| &d.body)) {
            each_name(e, &mut written);
        }
        written.extend(c.definitions.iter().map(|d| d.name.name.clone()));
        written.extend(c.shapes.iter().map(|d| d.name.clone()));
        for (from, to) in &pairs {
            let uses = written.iter().any(|n| {
                n == from
                    || n.strip_prefix(from.as_str())
                        .is_some_and(|r| r.starts_with('_'))
            });
            if !uses {
                continue;
            }
            for p in c.parts.iter_mut().chain(c.conditions.iter_mut()) {
                rename(p, from, to);
            }
            for d in c.definitions.iter_mut() {
                if d.name.name == *from {
                    d.name.name = to.clone();
                }
                rename(&mut d.body, from, to);
            }
            for d in c.shapes.iter_mut() {
                if d.name == *from {
                    d.name = to.clone();
                }
            }
            c.context.push(format!(
                "`{from}` and `{to}` are read as one matrix (the text writes it both ways)"
            ));
        }
    }
}
