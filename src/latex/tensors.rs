//! Vectors and matrices in a chain: which of the text's definitions and stated
//! shapes a chain about gradients needs, and one name for the case variants of
//! one matrix (`W^{(2)}` and its entries `w^{(2)}_{kj}`).

use super::chain::{Assumption, Chain, TextDef};
use super::chain::{Skip, SkipReason};
use super::declare::{names, reached, SideFile};
use super::shapes::ShapeDecl;
use crate::syntax::ast::{BinOp, DomainKind, Expr, ExprKind};
use std::collections::{BTreeMap, BTreeSet, HashSet};

#[cfg(test)]
mod tests;

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
        if !reached(chain, Some(side)).contains(name) {
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

/// In a chain about vectors and matrices, the shapes an earlier sub-part of the
/// question states (`W^{(1)} \in \mathbb{R}^{d_h \times d}` in (a)) for names it
/// reaches through the text's definitions (`h^a`'s in (n)), or writes as whole
/// vectors and entries (`w^{(2)}_{kj}` in (q)), declare them so. A shape carries
/// as the text's own when every statement of the name in the question agrees
/// and the chain writes the name with as many indices as the shape has (or
/// bare): sub-parts keep the question's names as they keep its definitions.
/// Where the question states the name with different shapes (`o^a \in
/// \mathbb{R}` for a binary classifier, `\mathbb{R}^m` later) the latest is
/// used and a refutation rests on it still holding, which the sub-part does not
/// say. A name written with another count of indices keeps the reader's reading.
pub(super) fn question_shapes(chain: &mut Chain, question: &[ShapeDecl], side: &SideFile) {
    if question.is_empty() || !tensor_flavoured(chain, question, side, true) {
        return;
    }
    let reach = reached(chain, Some(side));
    let mut written = index_counts(chain);
    // `w^{(2)}_{kj}` is written for `W^{(2)}` (the case variants are joined later)
    let variants: Vec<(String, BTreeSet<usize>)> = written
        .iter()
        .filter(|(_, counts)| counts.contains(&2))
        .filter_map(|(n, counts)| {
            let mut chars = n.chars();
            let first = chars.next()?;
            let capital: String = first.to_uppercase().chain(chars).collect();
            (first.is_lowercase()
                && question
                    .iter()
                    .any(|d| d.name == capital && d.sizes.len() == 2))
            .then(|| (capital, counts.clone()))
        })
        .collect();
    for (capital, counts) in variants {
        written.entry(capital).or_default().extend(counts);
    }
    // the latest statement of each name
    let mut latest: BTreeMap<String, ShapeDecl> = BTreeMap::new();
    for d in question {
        if reach.contains(&d.name) && !chain.shapes.iter().any(|s| s.name == d.name) {
            latest.insert(d.name.clone(), d.clone());
        }
    }
    // a shape the side file gives the name already is no assumption; a number
    // stated earlier (`o^a \in \mathbb{R}` for a binary classifier) is another use
    // of the letter
    latest.retain(|name, d| {
        let fits = match written.get(name) {
            None => true,
            // a name the chain writes is read with the shape only where its
            // indices fit it, and only where the question never restates it
            Some(counts) => {
                // written only as entries, it is no number: a number stated for
                // the letter elsewhere is another use of it
                let entries_only = !counts.contains(&0);
                agreed(question, name, entries_only)
                    && counts.iter().all(|&c| c == 0 || c == rank(&d.sizes))
            }
        };
        fits && !d.sizes.is_empty() && !side_gives(side, name, &d.sizes)
    });
    if latest.is_empty() {
        return;
    }
    let entries_only = |n: &str| written.get(n).is_some_and(|c| !c.contains(&0));
    for name in latest
        .keys()
        .filter(|n| !agreed(question, n, entries_only(n)))
    {
        chain.assumptions.push(Assumption {
            step: None,
            text: format!(
                "refuted only if `{name}` still has the shape the latest earlier sub-part states; the question states it with other shapes too, and this sub-part does not say"
            ),
        });
    }
    let mut shapes: Vec<ShapeDecl> = latest.into_values().collect();
    shapes.append(&mut chain.shapes);
    chain.shapes = shapes;
}

/// Whether every statement of `name`'s shape in the question says the same
/// (`d_h \times 1` and `\mathbb{R}^{d_h}` are one column); with `tensors_only`,
/// statements of a number are left out.
fn agreed(question: &[ShapeDecl], name: &str, tensors_only: bool) -> bool {
    let column = |sizes: &[Expr]| -> Vec<Expr> {
        match sizes {
            [n, one] if matches!(&one.kind, ExprKind::Number(l) if l.value == num_rational::BigRational::from_integer(1.into())) =>
            {
                vec![n.clone()]
            }
            _ => sizes.to_vec(),
        }
    };
    let mut stated = question
        .iter()
        .filter(|d| d.name == name && !(tensors_only && d.sizes.is_empty()))
        .map(|d| column(&d.sizes));
    let Some(first) = stated.next() else {
        return true;
    };
    stated.all(|s| same_sizes(&s, &first))
}

/// How many indices a shape takes (`d_h \times 1` is a column).
fn rank(sizes: &[Expr]) -> usize {
    match sizes {
        [_, one] if matches!(&one.kind, ExprKind::Number(l) if l.value == num_rational::BigRational::from_integer(1.into())) => {
            1
        }
        _ => sizes.len(),
    }
}

/// Each name the chain writes, with the counts of indices it is written with
/// (0 bare, 1 for `h^s_j`, 2 for `w^{(2)}_{kj}`).
fn index_counts(chain: &Chain) -> BTreeMap<String, BTreeSet<usize>> {
    fn walk(e: &Expr, out: &mut BTreeMap<String, BTreeSet<usize>>) {
        match &e.kind {
            ExprKind::Ident(n) => {
                let (base, count) = match n.split_once('_') {
                    Some((base, sub)) if sub.chars().count() == 1 => (base, 1),
                    Some((base, sub))
                        if sub.chars().count() == 2 && sub.chars().all(char::is_lowercase) =>
                    {
                        (base, 2)
                    }
                    _ => (n.as_str(), 0),
                };
                out.entry(base.to_string()).or_default().insert(count);
                if count > 0 {
                    // `d_h` is a name of its own too
                    out.entry(n.clone()).or_default().insert(0);
                }
            }
            ExprKind::Subscript { base, indices } => {
                if let ExprKind::Ident(b) = &base.kind {
                    out.entry(b.clone()).or_default().insert(indices.len());
                } else {
                    walk(base, out);
                }
                for i in indices {
                    walk(i, out);
                }
            }
            _ => {
                for c in e.children() {
                    walk(c, out);
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for p in &chain.parts {
        walk(p, &mut out);
    }
    out
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

// ----- upstream gradients of a loss the text never defines -----

/// How a document uses names as losses: which names it differentiates (to first
/// order) and by what, and which names it uses any other way.
#[derive(Default)]
struct LossUses {
    /// `L` ↦ the variables of `\frac{\partial L}{\partial ..}` and `\nabla_{..} L`.
    by: BTreeMap<String, Vec<Expr>>,
    /// Names written anywhere but as a first derivative's body (an entry `L_i` also by `L`).
    other: BTreeSet<String>,
}

impl LossUses {
    fn scan(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Derivative { order, var, body } if *order == 1 => {
                if let ExprKind::Ident(n) = &body.kind {
                    self.by.entry(n.clone()).or_default().push((**var).clone());
                } else {
                    self.scan(body);
                }
                self.scan(var);
            }
            ExprKind::Grad { var, body } => {
                if let ExprKind::Ident(n) = &body.kind {
                    self.by.entry(n.clone()).or_default().push((**var).clone());
                } else {
                    self.scan(body);
                }
                self.scan(var);
            }
            ExprKind::Ident(n) => {
                self.other.insert(n.clone());
                self.other.insert(super::parse::plain_name(n).to_string());
            }
            ExprKind::Call { func, args, .. } => {
                self.other.insert(func.name.clone());
                for a in args {
                    self.scan(&a.value);
                }
            }
            _ => {
                for c in e.children() {
                    self.scan(c);
                }
            }
        }
    }
}

/// The name a derivative's variable stands for: `W` for `W`, `W_kj` and `W_(k, j)`.
fn variable_base(var: &Expr) -> Option<String> {
    match &var.kind {
        ExprKind::Ident(n) => Some(super::parse::plain_name(n).to_string()),
        ExprKind::Subscript { base, .. } => variable_base(base),
        _ => None,
    }
}

/// The names `name`'s definition reaches, through the definitions given and the
/// side file's `def`s, transitively.
fn reached_from(name: &str, defs: &[TextDef], side: &SideFile) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<String> = defs
        .iter()
        .filter(|d| d.name.name == name && d.params.is_empty())
        .flat_map(|d| names(&d.body))
        .chain(side.def_names.get(name).into_iter().flatten().cloned())
        .collect();
    while let Some(n) = pending.pop() {
        if n == name || !seen.insert(n.clone()) {
            continue;
        }
        for d in defs.iter().filter(|d| d.name.name == n) {
            pending.extend(names(&d.body));
        }
        pending.extend(side.def_names.get(&n).into_iter().flatten().cloned());
    }
    seen
}

/// Deepest definition followed when working out a shape.
const MAX_SHAPE_DEPTH: usize = 16;

/// The sizes of a name as the text states them (latest statement), as the side
/// file declares it, or as its definition gives them (`z = W x + b` with `W` an
/// `m × n` matrix is a column of `m`); `None` when nothing says.
pub(super) fn sizes_of_name(
    name: &str,
    shapes: &[ShapeDecl],
    defs: &[TextDef],
    side: &SideFile,
    depth: usize,
) -> Option<Vec<Expr>> {
    if let Some(d) = shapes.iter().rev().find(|d| d.name == name) {
        return Some(d.sizes.clone());
    }
    match side.vars.get(name) {
        Some(DomainKind::Real) => return Some(Vec::new()),
        Some(DomainKind::Vector(n)) => return Some(vec![n.clone()]),
        Some(DomainKind::Matrix(r, c)) => return Some(vec![r.clone(), c.clone()]),
        Some(_) => return None,
        None => {}
    }
    if depth >= MAX_SHAPE_DEPTH {
        return None;
    }
    let def = defs
        .iter()
        .rev()
        .find(|d| d.name.name == name && d.params.is_empty())?;
    sizes_of_expr(&def.body, shapes, defs, side, depth + 1)
}

/// The sizes of an expression built from names of known shape by sums,
/// products, `\odot` and entrywise functions; `None` when they cannot be read
/// or do not fit together.
pub(super) fn sizes_of_expr(
    e: &Expr,
    shapes: &[ShapeDecl],
    defs: &[TextDef],
    side: &SideFile,
    depth: usize,
) -> Option<Vec<Expr>> {
    let of = |x: &Expr| sizes_of_expr(x, shapes, defs, side, depth);
    match &e.kind {
        ExprKind::Number(_) => Some(Vec::new()),
        ExprKind::Ident(n) => sizes_of_name(n, shapes, defs, side, depth),
        ExprKind::Neg(x) => of(x),
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (of(lhs)?, of(rhs)?);
            match op {
                BinOp::Add | BinOp::Sub | BinOp::Hadamard => match (a.is_empty(), b.is_empty()) {
                    (true, _) => Some(b),
                    (_, true) => Some(a),
                    _ if same_sizes(&a, &b) => Some(a),
                    _ => None,
                },
                BinOp::Mul => match (a.as_slice(), b.as_slice()) {
                    ([], _) => Some(b),
                    (_, []) => Some(a),
                    ([r, c], [n]) if same_size(c, n) => Some(vec![r.clone()]),
                    ([r, c], [n, k]) if same_size(c, n) => Some(vec![r.clone(), k.clone()]),
                    _ => None,
                },
                BinOp::Div => b.is_empty().then_some(a),
                _ => None,
            }
        }
        ExprKind::Call { func, args, .. } if args.len() == 1 => {
            let entrywise = super::shapes::entrywise(&func.name) || func.name == "softmax";
            entrywise.then(|| of(&args[0].value)).flatten()
        }
        _ => None,
    }
}

/// Two sizes written the same way (`m` and `m`, `2` and `2`).
fn same_size(a: &Expr, b: &Expr) -> bool {
    match (&a.kind, &b.kind) {
        (ExprKind::Ident(x), ExprKind::Ident(y)) => x == y,
        (ExprKind::Number(x), ExprKind::Number(y)) => x.value == y.value,
        _ => false,
    }
}

fn same_sizes(a: &[Expr], b: &[Expr]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_size(x, y))
}

/// The name of the upstream gradient `∂L/∂a` as a variable of the check.
fn upstream_name(loss: &str, anchor: &str) -> String {
    format!("∂{loss}/∂{anchor}")
}

/// A loss the text differentiates but never defines (`\frac{\partial L}{\partial a}`
/// with no `L = ...`) is read as any differentiable function of the one name all
/// its derivatives lead to: `a` when the text writes `\frac{\partial L}{\partial a}`,
/// `\frac{\partial L}{\partial z}` and `\frac{\partial L}{\partial W}` with
/// `a = \sigma(z)` and `z = W x + b`. A step that uses the loss only through
/// first derivatives holds for every such function exactly when it holds for
/// every linear one, `L = gᵀ a` with `g` any vector of `a`'s shape (the chain
/// rule uses the loss only through its gradient at `a`), so that is how the loss
/// is defined for the check: `∂L/∂a` is the free vector `g`, shown as `∂L/∂a`.
///
/// `unread` holds the left sides of formulas the reader could not read: a loss
/// the text may define there is not abstract.
pub(super) fn abstract_losses(chains: &mut [Chain], side: &SideFile, unread: &[String]) {
    let mut uses = LossUses::default();
    let mut defined: BTreeSet<String> = BTreeSet::new();
    for c in chains.iter() {
        for p in &c.parts {
            uses.scan(p);
        }
        for d in &c.definitions {
            uses.scan(&d.body);
            defined.insert(d.name.name.clone());
        }
    }
    let all_defs: Vec<TextDef> = chains
        .iter()
        .flat_map(|c| c.definitions.iter().cloned())
        .collect();
    for (loss, vars) in &uses.by {
        let abstract_loss = !uses.other.contains(loss)
            && !defined.contains(loss)
            && !side.declares(loss)
            && !unread.iter().any(|u| u == loss)
            && !loss.contains('_');
        if !abstract_loss {
            continue;
        }
        let bases: BTreeSet<String> = vars.iter().filter_map(variable_base).collect();
        if vars.iter().any(|v| variable_base(v).is_none()) || bases.contains(loss) {
            continue;
        }
        // the one name whose definition reaches every other variable
        let anchors: Vec<&String> = bases
            .iter()
            .filter(|a| {
                let reach = reached_from(a, &all_defs, side);
                bases.iter().all(|b| b == *a || reach.contains(b))
            })
            .collect();
        let [anchor] = anchors.as_slice() else {
            continue;
        };
        for chain in chains.iter_mut() {
            read_loss_in_chain(chain, loss, anchor, side);
        }
    }
}

/// Gives one chain the definition `L = gᵀ a` of an abstract loss, when every
/// derivative of `L` it uses is by a name `a`'s definition reaches in this chain
/// and `a`'s shape is known.
fn read_loss_in_chain(chain: &mut Chain, loss: &str, anchor: &str, side: &SideFile) {
    let reach = reached(chain, Some(side));
    let mut uses = LossUses::default();
    for p in &chain.parts {
        uses.scan(p);
    }
    for d in chain
        .definitions
        .iter()
        .filter(|d| reach.contains(&d.name.name))
    {
        uses.scan(&d.body);
    }
    let Some(vars) = uses.by.get(loss) else {
        return;
    };
    let from_anchor = reached_from(anchor, &chain.definitions, side);
    let all_reached = vars
        .iter()
        .all(|v| variable_base(v).is_some_and(|b| b == anchor || from_anchor.contains(&b)));
    if !all_reached {
        return;
    }
    let Some(sizes) = sizes_of_name(anchor, &chain.shapes, &chain.definitions, side, 0) else {
        return;
    };
    let span = chain.parts[0].span;
    let ident = |n: &str| Expr {
        kind: ExprKind::Ident(n.to_string()),
        span,
    };
    let upstream = upstream_name(loss, anchor);
    let body = match sizes.len() {
        0 => Expr {
            kind: ExprKind::Binary {
                op: BinOp::Mul,
                lhs: Box::new(ident(&upstream)),
                rhs: Box::new(ident(anchor)),
            },
            span,
        },
        1 => Expr {
            kind: ExprKind::Binary {
                op: BinOp::Mul,
                lhs: Box::new(Expr {
                    kind: ExprKind::Transpose(Box::new(ident(&upstream))),
                    span,
                }),
                rhs: Box::new(ident(anchor)),
            },
            span,
        },
        // a loss of a matrix is not read yet
        _ => return,
    };
    chain.shapes.push(ShapeDecl {
        name: upstream.clone(),
        sizes,
    });
    chain.definitions.push(TextDef {
        name: crate::syntax::ast::Ident {
            name: loss.to_string(),
            span,
        },
        params: Vec::new(),
        body,
    });
    chain.context.push(format!(
        "`{loss}` is any loss of `{anchor}` (the text does not define it): its gradient `{upstream}` is any value of `{anchor}`'s shape"
    ));
    // a step that gives the gradient a value of its own (`\frac{\partial L}{\partial z}
    // = p - y`) is about one loss the prose may name, not about every loss
    let through_loss: BTreeSet<String> = chain
        .definitions
        .iter()
        .filter(|d| d.name.name != loss && differentiates(&d.body, loss))
        .map(|d| d.name.name.clone())
        .collect();
    let mentions = |e: &Expr| {
        differentiates(e, loss)
            || names(e).iter().any(|n| {
                through_loss.contains(n)
                    || reached_from(n, &chain.definitions, side)
                        .iter()
                        .any(|m| through_loss.contains(m))
            })
    };
    let sides: Vec<bool> = chain.parts.iter().map(mentions).collect();
    for k in 1..sides.len() {
        if sides[k - 1] != sides[k] {
            chain.assumptions.push(Assumption {
                step: Some(k),
                text: format!(
                    "refuted only if `{loss}` is any loss of `{anchor}`: the text does not define it, and this step gives its gradient a value of its own"
                ),
            });
        }
    }
}

/// Whether `e` writes a derivative of `loss`.
fn differentiates(e: &Expr, loss: &str) -> bool {
    match &e.kind {
        ExprKind::Derivative { body, .. } | ExprKind::Grad { body, .. } if matches!(&body.kind, ExprKind::Ident(n) if n == loss) => {
            true
        }
        _ => e.children().into_iter().any(|c| differentiates(c, loss)),
    }
}

/// The names on the left of the formulas the reader could not read (`L` of an
/// unreadable `\mathcal{L} = ...` or `L(\hat y, y) = ...`): the text may define
/// them there.
pub(super) fn unread_left_sides(skipped: &[Skip], text: &str) -> Vec<String> {
    unread_definitions(skipped, text, false)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// [`unread_left_sides`] with where each formula is; with `whole_line`, a skip
/// of one token (`\dots` in `H = [\dots]`) is read with the line before it.
pub(super) fn unread_definitions(
    skipped: &[Skip],
    text: &str,
    whole_line: bool,
) -> Vec<(String, crate::span::Span)> {
    let mut out = Vec::new();
    for s in skipped {
        if !matches!(s.reason, SkipReason::Unreadable(_)) {
            continue;
        }
        let (start, end) = (s.span.start as usize, s.span.end as usize);
        let Some(mut formula) = text.get(start..end) else {
            continue;
        };
        if whole_line && !formula.contains('=') {
            let line_start = text
                .get(..start)
                .and_then(|before| before.rfind('\n'))
                .map_or(0, |at| at + 1);
            let Some(line) = text.get(line_start..end) else {
                continue;
            };
            formula = line.trim_start_matches(['$', ' ']);
        }
        let Some((left, _)) = formula.split_once('=') else {
            continue;
        };
        // a leading word of prose (`\text{where } H = ...`) is not the name
        let left = left.trim_start().trim_start_matches('$').trim_start();
        let left = match left
            .strip_prefix("\\text{")
            .and_then(|rest| rest.split_once('}'))
        {
            Some((word, after))
                if DEFINING_WORDS.contains(&word.trim().trim_end_matches([',', ':'])) =>
            {
                after
            }
            _ => left,
        };
        let left = left.split('(').next().unwrap_or_default();
        let mut name = String::new();
        for word in left.split(|c: char| c == '\\' || c == '{' || c == '}' || c.is_whitespace()) {
            if !matches!(
                word,
                "mathcal" | "mathrm" | "mathbf" | "operatorname" | "text" | ""
            ) {
                name.push_str(word);
            }
        }
        let name = match name.as_str() {
            "ell" => "ℓ".to_string(),
            _ => name.trim_matches('$').to_string(),
        };
        if !name.is_empty() {
            out.push((name, s.span));
        }
    }
    out
}

/// Words of prose before a definition in the math (`\text{where } H = ...`).
const DEFINING_WORDS: &[&str] = &["where", "let", "with", "and", "here", "define", "set"];

/// A name a chain uses free (no definition in reach, none in the side file)
/// that the text defines in a formula the reader could not read (`\text{where }
/// H = \begin{bmatrix} \dots \end{bmatrix}`): a refutation of the chain rests on
/// the name being any value, which the text does not allow.
pub(super) fn unread_names(chains: &mut [Chain], unread: &[(String, usize)], side: &SideFile) {
    if unread.is_empty() {
        return;
    }
    for chain in chains.iter_mut() {
        let reach = reached(chain, Some(side));
        // the prelude's softmax `s` is defined, unless the chain uses the letter
        // as its own name
        let shadowed = super::declare::shadowed_prelude(chain, side);
        let mut found: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for n in &reach {
            // the text's own letter is read as a look-alike (`H` as `Н`)
            let written = super::conventions::OWNABLE_LETTERS
                .iter()
                .find(|l| l.own == n)
                .map_or(n.as_str(), |l| l.name);
            let defined = chain.definitions.iter().any(|d| &d.name.name == n)
                || (side.declares(n) && !shadowed.contains(n));
            if defined {
                continue;
            }
            for (name, line) in unread.iter().filter(|(u, _)| u == written) {
                let lines = found.entry(name.clone()).or_default();
                if !lines.contains(line) {
                    lines.push(*line);
                }
            }
        }
        for (name, lines) in found {
            let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let at = match lines.as_slice() {
                [one] => format!("line {one}"),
                _ => format!("lines {}", lines.join(", ")),
            };
            chain.assumptions.push(Assumption {
                step: None,
                text: format!(
                    "refuted only if `{name}` is free; the text defines it in a formula the reader could not read ({at})"
                ),
            });
        }
    }
}

/// What a refutation of one of the chain's steps between sides of different
/// shapes rests on, or `None` when the text states the shape of every vector and
/// matrix the chain's file declares (`x \in \mathbb{R}^n`, or the --defs file
/// does). The layout of a gradient by a matrix is another reading
/// ([`numerator_layout`]).
pub(super) fn shape_assumption(
    chain: &Chain,
    file: &crate::syntax::ast::File,
    side: &SideFile,
) -> Option<String> {
    use crate::syntax::ast::ItemKind;
    let inferred = || {
        Some(
            "refuted only if the shapes are as the reader inferred them; the text does not state them"
                .to_string(),
        )
    };
    // a chain between entries and whole vectors (`J_{ii} = s(x)(-s(x))^T`) is read
    // by the reader's cut, not by shapes the text states
    if chain.parts.iter().any(has_free_index) {
        return inferred();
    }
    for item in &file.items {
        let ItemKind::Var(v) = &item.kind else {
            continue;
        };
        let tensor = matches!(
            v.domain.kind,
            DomainKind::Vector(_) | DomainKind::Matrix(..) | DomainKind::OneHot(_)
        );
        if !tensor {
            continue;
        }
        for n in &v.names {
            let stated = chain.shapes.iter().any(|d| d.name == n.name)
                || side.vars.get(&n.name) == Some(&v.domain.kind);
            if !stated {
                return inferred();
            }
        }
    }
    None
}

/// Whether `e` writes an entry at an index no sum binds (`s(x)_i`, `o_k`, `W_{kj}`).
fn has_free_index(e: &Expr) -> bool {
    fn walk(e: &Expr, bound: &mut Vec<String>) -> bool {
        let index = |i: &Expr, bound: &[String]| match &i.kind {
            ExprKind::Ident(n) => n.chars().count() == 1 && !bound.contains(n),
            _ => false,
        };
        match &e.kind {
            ExprKind::Ident(n) => n.split_once('_').is_some_and(|(_, sub)| {
                sub.chars().count() == 1
                    && sub.chars().all(char::is_lowercase)
                    && !bound.iter().any(|b| b == sub)
            }),
            ExprKind::Subscript { base, indices } => {
                indices.iter().any(|i| index(i, bound)) || walk(base, bound)
            }
            ExprKind::Sum { index, body, .. } => {
                bound.push(index.name.clone());
                let found = walk(body, bound);
                bound.pop();
                found
            }
            _ => e.children().into_iter().any(|c| walk(c, bound)),
        }
    }
    walk(e, &mut Vec::new())
}

/// What marks the reading of a gradient by a matrix in the numerator layout.
pub const NUMERATOR_LAYOUT: &str = "numerator layout";

/// The matrices the chain differentiates by as a whole (`\frac{\partial L}{\partial W}`
/// with `W \in \mathbb{R}^{m \times n}`), in its parts and the definitions it reaches.
pub(super) fn matrix_gradients(chain: &Chain, side: &SideFile) -> BTreeSet<String> {
    layout_questions(chain, side).0
}

/// The vectors the chain differentiates vectors by as a whole (`\frac{\partial z}{\partial x}`,
/// `W` as read, `W^T` in the denominator layout).
pub(super) fn jacobians(chain: &Chain, side: &SideFile) -> BTreeSet<String> {
    layout_questions(chain, side).1
}

/// The names of whole-matrix gradients and of Jacobians in the chain.
fn layout_questions(chain: &Chain, side: &SideFile) -> (BTreeSet<String>, BTreeSet<String>) {
    let reach = reached(chain, Some(side));
    let mut stack: Vec<&Expr> = chain.parts.iter().collect();
    stack.extend(
        chain
            .definitions
            .iter()
            .filter(|d| reach.contains(&d.name.name))
            .map(|d| &d.body),
    );
    let (mut out, mut jacobian_vars) = (BTreeSet::new(), BTreeSet::new());
    while let Some(e) = stack.pop() {
        if let ExprKind::Derivative { var, .. } | ExprKind::Grad { var, .. } = &e.kind {
            if let ExprKind::Ident(w) = &var.kind {
                let sizes = sizes_of_name(w, &chain.shapes, &chain.definitions, side, 0);
                let body = match &e.kind {
                    ExprKind::Derivative { body, .. } | ExprKind::Grad { body, .. } => {
                        sizes_of_expr(body, &chain.shapes, &chain.definitions, side, 0)
                    }
                    _ => None,
                };
                // a matrix, or a vector a vector is differentiated by (a Jacobian:
                // `\frac{\partial z}{\partial x}` is `W` or `W^T` by the layout)
                let by_matrix = sizes.as_ref().is_some_and(|s| s.len() == 2);
                let jacobian =
                    sizes.is_some_and(|s| s.len() == 1) && body.is_some_and(|b| !b.is_empty());
                if by_matrix {
                    out.insert(w.clone());
                }
                if jacobian {
                    jacobian_vars.insert(w.clone());
                }
            }
        }
        stack.extend(e.children());
    }
    (out, jacobian_vars)
}

/// The chain read in the numerator layout: every gradient of a number by one of
/// `matrices` has the transposed shape (`\frac{\partial L}{\partial W}` is `n × m`
/// for an `m × n` matrix `W`). Some texts lay gradients out so; the text rarely says.
pub(super) fn numerator_layout(chain: &Chain, matrices: &BTreeSet<String>) -> Chain {
    fn flip(e: &mut Expr, matrices: &BTreeSet<String>) {
        let by_matrix = match &e.kind {
            ExprKind::Derivative { order: 1, var, .. } | ExprKind::Grad { var, .. } => {
                matches!(&var.kind, ExprKind::Ident(w) if matrices.contains(w))
            }
            _ => false,
        };
        if by_matrix {
            let inner = std::mem::replace(
                e,
                Expr {
                    kind: ExprKind::Number(crate::syntax::ast::Literal::integer_places(
                        num_traits::Zero::zero(),
                    )),
                    span: e.span,
                },
            );
            e.kind = ExprKind::Transpose(Box::new(inner));
            return;
        }
        for c in e.children_mut() {
            flip(c, matrices);
        }
    }
    let mut other = chain.clone();
    for p in other.parts.iter_mut() {
        flip(p, matrices);
    }
    for d in other.definitions.iter_mut() {
        flip(&mut d.body, matrices);
    }
    other
}
