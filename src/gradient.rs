//! Gradients for `nabla diff`: the entry in index form, a matrix form for the
//! common patterns, and a numeric cross-check that runs before anything is printed.
//!
//! The matrix form is recognized, not derived: an entry `f(i)·g(j)` is the outer
//! product `f g^T`, `δ(i, j)·f(i)` is `diag(f)`, `Σ_l M_(i,l)·g(l)` is `M g`,
//! `x_i` is `x`, `δ(i, c)` is `onehot(c)`, and a built-in applied to an entry is
//! applied entrywise. Terms with the same matrix and the same factors on one
//! side are gathered into one `diag` (the distributive law, a factor common to
//! all taken out at its least power): `diag(σ(W x) ⊙ (1 − σ(W x))) W`. Anything
//! else stays in index form.

use crate::check::cross_check_derivatives;
use crate::check::sample::{Rng, Sampler};
use crate::domain::Domains;
use crate::eval;
use crate::expr::{to_latex, ExprId, Func, Node, Store, Symbol};
use crate::lower::DerivativeSite;

/// How many sample points the cross-check tries.
const CROSS_CHECK_POINTS: usize = 24;

/// Fewest sample points the cross-check tries, however large the derivative.
const MIN_CROSS_CHECK_POINTS: usize = 6;

/// Node evaluations the cross-check spends before it tries fewer points: each
/// point evaluates every body seven times and every result once, so a
/// derivative of up to 20,000 distinct nodes gets all [`CROSS_CHECK_POINTS`]
/// and a 10,000-deep chain (about 100,000) gets [`MIN_CROSS_CHECK_POINTS`]. A
/// count, not a time, so the points are the same on every machine.
const CROSS_CHECK_NODE_EVALUATIONS: usize = 24 * 10 * 20_000;

/// The points the cross-check tries for derivatives of `size` distinct nodes
/// (bodies and results together).
fn cross_check_points(size: usize) -> usize {
    (CROSS_CHECK_NODE_EVALUATIONS / size.saturating_mul(10).max(1))
        .clamp(MIN_CROSS_CHECK_POINTS, CROSS_CHECK_POINTS)
}

/// How a vector or matrix form is written: as nabla's text or as LaTeX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notation {
    Text,
    Latex,
}

impl Notation {
    fn expr(self, store: &Store, e: ExprId) -> String {
        match self {
            Notation::Text => store.display(e),
            Notation::Latex => to_latex(store, e),
        }
    }

    /// A matrix's own name.
    fn name(self, store: &Store, m: Symbol) -> String {
        match self {
            Notation::Text => store.name(m).to_string(),
            Notation::Latex => crate::expr::latex_name(store.display_name(m)),
        }
    }

    /// `f(inner)`: `onehot`, `diag` or a built-in applied entrywise.
    fn call(self, function: &str, inner: &str) -> String {
        match (self, function) {
            (Notation::Text, _) => format!("{function}({inner})"),
            (Notation::Latex, "abs") => format!("\\left|{inner}\\right|"),
            (Notation::Latex, "σ") => format!("\\sigma\\left({inner}\\right)"),
            (Notation::Latex, "exp" | "ln" | "tanh") => {
                format!("\\{function}\\left({inner}\\right)")
            }
            (Notation::Latex, _) => {
                format!("\\operatorname{{{function}}}\\left({inner}\\right)")
            }
        }
    }

    fn paren(self, inner: &str) -> String {
        match self {
            Notation::Text => format!("({inner})"),
            Notation::Latex => format!("\\left({inner}\\right)"),
        }
    }

    fn transpose(self) -> &'static str {
        match self {
            Notation::Text => "^T",
            Notation::Latex => "^{\\top}",
        }
    }

    fn entrywise(self) -> &'static str {
        match self {
            Notation::Text => " ⊙ ",
            Notation::Latex => " \\odot ",
        }
    }

    fn times(self) -> &'static str {
        match self {
            Notation::Text => "·",
            Notation::Latex => " \\cdot ",
        }
    }

    fn minus(self) -> char {
        match self {
            Notation::Text => '−',
            Notation::Latex => '-',
        }
    }

    fn power(self, base: &str, exponent: &str) -> String {
        match self {
            Notation::Text => format!("({base})^{exponent}"),
            Notation::Latex => format!("\\left({base}\\right)^{{{exponent}}}"),
        }
    }
}

/// The vector form of an entry expression `e` in index `i`, if it has one.
pub fn vector_form(store: &Store, e: ExprId, i: Symbol) -> Option<String> {
    vector_form_in(Notation::Text, store, e, i)
}

/// [`vector_form`] written in `n`.
pub fn vector_form_in(n: Notation, store: &Store, e: ExprId, i: Symbol) -> Option<String> {
    if !store.contains_symbol(e, i) {
        return Some(n.expr(store, e));
    }
    match store.node(e) {
        Node::Index(base, idx) if idx.len() == 1 && store.as_sym(idx[0]) == Some(i) => {
            match store.node(*base) {
                Node::Sym(_) | Node::Apply(..) => Some(n.expr(store, *base)),
                _ => None,
            }
        }
        // a row or column of a matrix: M_(c,i) is (M^T onehot(c))_i, M_(i,c) is (M onehot(c))_i
        Node::Index(base, idx) if idx.len() == 2 && store.as_sym(*base).is_some() => {
            let name = n.expr(store, *base);
            match (
                store.as_sym(idx[0]) == Some(i),
                store.as_sym(idx[1]) == Some(i),
            ) {
                (false, true) if !store.contains_symbol(idx[0], i) => Some(format!(
                    "{name}{} {}",
                    n.transpose(),
                    n.call("onehot", &n.expr(store, idx[0]))
                )),
                (true, false) if !store.contains_symbol(idx[1], i) => Some(format!(
                    "{name} {}",
                    n.call("onehot", &n.expr(store, idx[1]))
                )),
                _ => None,
            }
        }
        Node::Call(Func::Delta, args) if args.len() == 2 => {
            let other = if store.as_sym(args[0]) == Some(i) {
                args[1]
            } else if store.as_sym(args[1]) == Some(i) {
                args[0]
            } else {
                return None;
            };
            (!store.contains_symbol(other, i)).then(|| n.call("onehot", &n.expr(store, other)))
        }
        Node::Call(f, args) if args.len() == 1 => {
            let inner = vector_form_in(n, store, args[0], i)?;
            let name = if *f == Func::Abs { "abs" } else { f.name() };
            Some(n.call(name, &inner))
        }
        Node::Add(terms) => {
            let parts: Option<Vec<String>> = terms
                .iter()
                .map(|&t| vector_form_in(n, store, t, i))
                .collect();
            Some(join_sum(n, parts?))
        }
        Node::Mul(factors) => {
            let (negative, scalars) = scalar_factors(n, store, factors, &[i]);
            let vectors: Option<Vec<String>> = factors
                .iter()
                .filter(|&&f| store.contains_symbol(f, i))
                .map(|&f| factor_text(n, store, f, i))
                .collect();
            Some(signed(n, negative, scalars, vectors?.join(n.entrywise())))
        }
        Node::Sum {
            index, upper, body, ..
        } => matrix_vector_product(n, store, *index, *upper, *body, i),
        _ => None,
    }
}

/// One factor of an entrywise product, parenthesized when it is a sum.
fn factor_text(n: Notation, store: &Store, f: ExprId, i: Symbol) -> Option<String> {
    match store.node(f) {
        Node::Pow(b, k) if store.as_num(*k).is_some() => {
            let base = vector_form_in(n, store, *b, i)?;
            Some(n.power(&base, &n.expr(store, *k)))
        }
        _ => Some(paren_if_sum(n, store, f, vector_form_in(n, store, f, i)?)),
    }
}

/// The factors that depend on none of `indices`, as text, and whether the
/// numeric coefficient among them is negative (its magnitude 1 is not written).
fn scalar_factors(
    n: Notation,
    store: &Store,
    factors: &[ExprId],
    indices: &[Symbol],
) -> (bool, Vec<String>) {
    let mut negative = false;
    let mut out = Vec::new();
    for &f in factors {
        if indices.iter().any(|&s| store.contains_symbol(f, s)) {
            continue;
        }
        if let Some(r) = store.as_num(f) {
            use num_traits::Signed;
            negative ^= r.is_negative();
            let magnitude = r.abs();
            if !num_traits::One::is_one(&magnitude) {
                out.push(n.expr(store, f).trim_start_matches(n.minus()).to_string());
            }
            continue;
        }
        out.push(paren_if_sum(n, store, f, n.expr(store, f)));
    }
    (negative, out)
}

/// `−a·b·rest` from a sign, scalar parts and the rest.
fn signed(n: Notation, negative: bool, scalars: Vec<String>, rest: String) -> String {
    let mut text = if negative {
        n.minus().to_string()
    } else {
        String::new()
    };
    for s in scalars {
        text.push_str(&s);
        text.push_str(n.times());
    }
    text.push_str(&rest);
    text
}

fn paren_if_sum(n: Notation, store: &Store, e: ExprId, text: String) -> String {
    if matches!(store.node(e), Node::Add(_)) {
        n.paren(&text)
    } else {
        text
    }
}

fn join_sum(n: Notation, parts: Vec<String>) -> String {
    let mut out = String::new();
    for (k, p) in parts.into_iter().enumerate() {
        match (k, p.strip_prefix(n.minus())) {
            (0, _) => out.push_str(&p),
            (_, Some(rest)) => {
                out.push_str(&format!(" {} ", n.minus()));
                out.push_str(rest.trim_start());
            }
            (_, None) => {
                out.push_str(" + ");
                out.push_str(&p);
            }
        }
    }
    out
}

/// `Σ_l M_(i,l)·g(l)` is `M g` (and `Σ_l M_(l,i)·g(l)` is `M^T g`).
fn matrix_vector_product(
    n: Notation,
    store: &Store,
    l: Symbol,
    _upper: ExprId,
    body: ExprId,
    i: Symbol,
) -> Option<String> {
    let Node::Mul(factors) = store.node(body) else {
        return None;
    };
    let mut matrix = None;
    let mut rest = Vec::new();
    for &f in factors.iter() {
        if let Node::Index(base, idx) = store.node(f) {
            if let (Some(m), [a, b]) = (store.as_sym(*base), &idx[..]) {
                let (a, b) = (store.as_sym(*a), store.as_sym(*b));
                if matrix.is_none() && a == Some(i) && b == Some(l) {
                    matrix = Some(n.name(store, m));
                    continue;
                }
                if matrix.is_none() && a == Some(l) && b == Some(i) {
                    matrix = Some(format!("{}{}", n.name(store, m), n.transpose()));
                    continue;
                }
            }
        }
        if store.contains_symbol(f, i) {
            return None;
        }
        rest.push(f);
    }
    let matrix = matrix?;
    let vector: Vec<String> = rest
        .iter()
        .map(|&f| Some(paren_if_sum(n, store, f, vector_form_in(n, store, f, l)?)))
        .collect::<Option<_>>()?;
    Some(format!("{matrix} {}", operand(n, vector)))
}

/// Text that reads as one operand without parentheses: no space outside
/// brackets (`x`, `σ(W x)`, `(W x)`, `\\sigma\\left(W x\\right)`).
fn is_atom(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            ' ' if depth == 0 => return false,
            _ => {}
        }
    }
    true
}

/// Entrywise factors as one operand of a product: `x`, `σ(x)`, `(x ⊙ y)`,
/// `(W x)`; nothing written is the vector of ones.
fn operand(n: Notation, parts: Vec<String>) -> String {
    match parts.as_slice() {
        [] => "1".to_string(),
        [p] if is_atom(p) => p.clone(),
        [p] => n.paren(p),
        _ => n.paren(&parts.join(n.entrywise())),
    }
}

/// The matrix form of an entry expression `e` in indices `i` (row) and `j` (column).
pub fn matrix_form(store: &Store, e: ExprId, i: Symbol, j: Symbol) -> Option<String> {
    matrix_form_in(Notation::Text, store, e, i, j)
}

/// [`matrix_form`] written in `n`.
pub fn matrix_form_in(
    n: Notation,
    store: &Store,
    e: ExprId,
    i: Symbol,
    j: Symbol,
) -> Option<String> {
    if let Node::Add(terms) = store.node(e) {
        if let Some(merged) = merged_sum(n, store, terms, i, j) {
            return Some(merged);
        }
        let parts: Option<Vec<String>> = terms
            .iter()
            .map(|&t| matrix_form_in(n, store, t, i, j))
            .collect();
        return Some(join_sum(n, parts?));
    }
    let factors: Vec<ExprId> = match store.node(e) {
        Node::Mul(fs) => fs.to_vec(),
        _ => vec![e],
    };
    // M_(i,j) is M and M_(j,i) is M^T, with scalar factors in front
    let (negative, scalar) = scalar_factors(n, store, &factors, &[i, j]);
    let entry_of = |f: ExprId| match store.node(f) {
        Node::Index(base, idx) if idx.len() == 2 => {
            let m = store.as_sym(*base)?;
            match (store.as_sym(idx[0]), store.as_sym(idx[1])) {
                (Some(a), Some(b)) if (a, b) == (i, j) => Some(n.name(store, m)),
                (Some(a), Some(b)) if (a, b) == (j, i) => {
                    Some(format!("{}{}", n.name(store, m), n.transpose()))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let indexed: Vec<ExprId> = factors
        .iter()
        .copied()
        .filter(|&f| store.contains_symbol(f, i) || store.contains_symbol(f, j))
        .collect();
    // f(i)·M_(i,j)·g(j) is diag(f) M diag(g)
    if let Some(k) = indexed.iter().position(|&f| entry_of(f).is_some()) {
        let mut left = Vec::new();
        let mut right = Vec::new();
        for (m, &f) in indexed.iter().enumerate() {
            if m == k {
                continue;
            }
            match (store.contains_symbol(f, i), store.contains_symbol(f, j)) {
                (true, false) => left.push(factor_text(n, store, f, i)?),
                (false, true) => right.push(factor_text(n, store, f, j)?),
                _ => return None,
            }
        }
        let mut parts = Vec::new();
        if !left.is_empty() {
            parts.push(n.call("diag", &left.join(n.entrywise())));
        }
        parts.extend(entry_of(indexed[k]));
        if !right.is_empty() {
            parts.push(n.call("diag", &right.join(n.entrywise())));
        }
        return Some(signed(n, negative, scalar, parts.join(" ")));
    }
    // δ(i, j)·f(i) is diag(f), and δ(i, j) alone the identity
    let is_diag_delta = |f: ExprId| match store.node(f) {
        Node::Call(Func::Delta, a) if a.len() == 2 => {
            let (x, y) = (store.as_sym(a[0]), store.as_sym(a[1]));
            (x == Some(i) && y == Some(j)) || (x == Some(j) && y == Some(i))
        }
        _ => false,
    };
    if let Some(k) = factors.iter().position(|&f| is_diag_delta(f)) {
        let rest: Vec<ExprId> = factors
            .iter()
            .enumerate()
            .filter(|&(m, _)| m != k)
            .map(|(_, &f)| f)
            .collect();
        if rest.iter().any(|&f| store.contains_symbol(f, j)) {
            return None;
        }
        let parts: Option<Vec<String>> = rest
            .iter()
            .filter(|&&f| store.contains_symbol(f, i))
            .map(|&f| factor_text(n, store, f, i))
            .collect();
        let parts = parts?;
        let matrix = if parts.is_empty() {
            "I".to_string()
        } else {
            n.call("diag", &parts.join(n.entrywise()))
        };
        return Some(signed(n, negative, scalar, matrix));
    }
    // f(i)·g(j) is the outer product f g^T
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for &f in &factors {
        match (store.contains_symbol(f, i), store.contains_symbol(f, j)) {
            (false, false) => {}
            (true, false) => left.push(factor_text(n, store, f, i)?),
            (false, true) => right.push(factor_text(n, store, f, j)?),
            (true, true) => return None,
        }
    }
    Some(signed(
        n,
        negative,
        scalar,
        format!(
            "{} {}{}",
            operand(n, left),
            operand(n, right),
            n.transpose()
        ),
    ))
}

/// One term of a matrix entry, `c·s·f(i)·M_(i,j)·g(j)`, as its factors: the
/// number `c`, the scalars `s`, the row factors `f`, the matrix `M` (as
/// text) and the column factors `g`.
struct MatrixTerm {
    term: ExprId,
    number: Option<ExprId>,
    scalars: Vec<ExprId>,
    rows: Vec<ExprId>,
    matrix: String,
    columns: Vec<ExprId>,
}

impl MatrixTerm {
    fn of(n: Notation, store: &Store, term: ExprId, i: Symbol, j: Symbol) -> Option<MatrixTerm> {
        let factors: Vec<ExprId> = match store.node(term) {
            Node::Mul(fs) => fs.to_vec(),
            _ => vec![term],
        };
        let mut out = MatrixTerm {
            term,
            number: None,
            scalars: Vec::new(),
            rows: Vec::new(),
            matrix: String::new(),
            columns: Vec::new(),
        };
        for f in factors {
            match (store.contains_symbol(f, i), store.contains_symbol(f, j)) {
                (false, false) if store.as_num(f).is_some() && out.number.is_none() => {
                    out.number = Some(f)
                }
                (false, false) => out.scalars.push(f),
                (true, false) => out.rows.push(f),
                (false, true) => out.columns.push(f),
                (true, true) if out.matrix.is_empty() => {
                    out.matrix = matrix_entry(n, store, f, i, j)?
                }
                (true, true) => return None,
            }
        }
        (!out.matrix.is_empty()).then_some(out)
    }
}

/// `M` for the entry `M_(i,j)`, `M^T` for `M_(j,i)`.
fn matrix_entry(n: Notation, store: &Store, f: ExprId, i: Symbol, j: Symbol) -> Option<String> {
    let Node::Index(base, idx) = store.node(f) else {
        return None;
    };
    let m = store.as_sym(*base)?;
    let [a, b] = idx[..] else {
        return None;
    };
    match (store.as_sym(a), store.as_sym(b)) {
        (Some(a), Some(b)) if (a, b) == (i, j) => Some(n.name(store, m)),
        (Some(a), Some(b)) if (a, b) == (j, i) => {
            Some(format!("{}{}", n.name(store, m), n.transpose()))
        }
        _ => None,
    }
}

/// A factor as a base and a whole positive power (`σ(u)^2` is `(σ(u), 2)`,
/// `σ(u)` is `(σ(u), 1)`); `None` for any other power.
fn whole_power(store: &Store, f: ExprId) -> Option<(ExprId, u32)> {
    let Node::Pow(base, k) = store.node(f) else {
        return Some((f, 1));
    };
    let r = store.as_num(*k)?;
    if !r.is_integer() {
        return None;
    }
    num_traits::ToPrimitive::to_u32(r.numer())
        .filter(|&p| p > 0)
        .map(|p| (*base, p))
}

/// A sum of matrix terms that share their matrix, scalars and the factors on
/// one side, written with the other side's factors gathered in one `diag`:
/// `diag(σ(W x)) W − diag((σ(W x))^2) W` is `diag(σ(W x) ⊙ (1 − σ(W x))) W`.
/// Exact: it is the distributive law, and a factor common to every gathered
/// term (the same base, whole positive powers) is taken out at its least
/// power. `None` when no two terms gather (the terms are then written one by
/// one as before).
fn merged_sum(
    n: Notation,
    store: &Store,
    terms: &[ExprId],
    i: Symbol,
    j: Symbol,
) -> Option<String> {
    let parsed: Vec<MatrixTerm> = terms
        .iter()
        .map(|&t| MatrixTerm::of(n, store, t, i, j))
        .collect::<Option<_>>()?;
    // gather the row factors of terms with the same columns, else the columns
    for gather_rows in [true, false] {
        let mut groups: Vec<Vec<&MatrixTerm>> = Vec::new();
        for t in &parsed {
            let same = |u: &MatrixTerm| {
                u.scalars == t.scalars
                    && u.matrix == t.matrix
                    && if gather_rows {
                        u.columns == t.columns
                    } else {
                        u.rows == t.rows
                    }
            };
            match groups.iter_mut().find(|g| same(g[0])) {
                Some(g) => g.push(t),
                None => groups.push(vec![t]),
            }
        }
        if groups.len() == parsed.len() {
            continue;
        }
        let parts: Option<Vec<String>> = groups
            .iter()
            .map(|g| match g.as_slice() {
                [one] => matrix_form_in(n, store, one.term, i, j),
                _ => merged_group(n, store, g, gather_rows, i, j),
            })
            .collect();
        return Some(join_sum(n, parts?));
    }
    None
}

/// Two or more terms of [`merged_sum`] that differ only on one side (and in
/// their numbers), as one term.
fn merged_group(
    n: Notation,
    store: &Store,
    group: &[&MatrixTerm],
    gather_rows: bool,
    i: Symbol,
    j: Symbol,
) -> Option<String> {
    let (index, other) = if gather_rows { (i, j) } else { (j, i) };
    let side = |t: &MatrixTerm| -> Option<Vec<(ExprId, u32)>> {
        let fs = if gather_rows { &t.rows } else { &t.columns };
        fs.iter().map(|&f| whole_power(store, f)).collect()
    };
    let sides: Vec<Vec<(ExprId, u32)>> = group.iter().map(|t| side(t)).collect::<Option<_>>()?;
    // the bases every term has, at their least power
    let mut common: Vec<(ExprId, u32)> = Vec::new();
    for &(base, _) in &sides[0] {
        let least = sides
            .iter()
            .map(|s| s.iter().find(|&&(b, _)| b == base).map(|&(_, p)| p))
            .collect::<Option<Vec<u32>>>()
            .and_then(|ps| ps.into_iter().min());
        if let Some(least) = least {
            if !common.iter().any(|&(b, _)| b == base) {
                common.push((base, least));
            }
        }
    }
    let power_text = |base: ExprId, p: u32| -> Option<String> {
        let text = vector_form_in(n, store, base, index)?;
        Some(match p {
            1 => paren_if_sum(n, store, base, text),
            _ => n.power(&text, &p.to_string()),
        })
    };
    let mut remainders = Vec::new();
    for (t, s) in group.iter().zip(&sides) {
        let mut factors = Vec::new();
        for &(base, p) in s {
            let taken = common
                .iter()
                .find(|&&(b, _)| b == base)
                .map_or(0, |&(_, c)| c);
            if p > taken {
                factors.push(power_text(base, p - taken)?);
            }
        }
        let (negative, number) = match t.number {
            Some(c) => scalar_factors(n, store, &[c], &[]),
            None => (false, Vec::new()),
        };
        remainders.push(match (factors.is_empty(), number.is_empty()) {
            (false, _) => signed(n, negative, number, factors.join(n.entrywise())),
            (true, false) => signed(n, negative, Vec::new(), number.join(n.times())),
            (true, true) => signed(n, negative, Vec::new(), "1".to_string()),
        });
    }
    let sum = join_sum(n, remainders);
    let mut inside: Vec<String> = common
        .iter()
        .map(|&(b, p)| power_text(b, p))
        .collect::<Option<_>>()?;
    inside.push(if inside.is_empty() {
        sum
    } else {
        n.paren(&sum)
    });
    let gathered = n.call("diag", &inside.join(n.entrywise()));
    let first = group[0];
    let fixed: Vec<String> = if gather_rows {
        &first.columns
    } else {
        &first.rows
    }
    .iter()
    .map(|&f| factor_text(n, store, f, other))
    .collect::<Option<_>>()?;
    let fixed = (!fixed.is_empty()).then(|| n.call("diag", &fixed.join(n.entrywise())));
    let mut parts = Vec::new();
    if gather_rows {
        parts.push(gathered);
        parts.push(first.matrix.clone());
        parts.extend(fixed);
    } else {
        parts.extend(fixed);
        parts.push(first.matrix.clone());
        parts.push(gathered);
    }
    let (negative, scalars) = scalar_factors(n, store, &first.scalars, &[]);
    Some(signed(n, negative, scalars, parts.join(" ")))
}

/// Cross-checks every derivative taken while lowering against central
/// differences at sample points. `Ok(points)` with the number of points where a
/// check could run; `Err` with the first disagreement.
pub fn cross_check(
    store: &Store,
    domains: &Domains,
    sites: &[DerivativeSite],
    seed: u64,
) -> Result<usize, String> {
    let mut symbols: Vec<Symbol> = Vec::new();
    for site in sites {
        for root in [site.body, site.result, site.var] {
            for s in store.free_symbols(root) {
                if !symbols.contains(&s) {
                    symbols.push(s);
                }
            }
        }
    }
    let sampler = Sampler::new(store, domains, &symbols);
    let mut rng = Rng::new(seed);
    let mut usable = 0;
    // one compiled plan for every point: the bodies and results are compiled once
    let mut plan = eval::Plan::new();
    let roots: Vec<ExprId> = sites.iter().flat_map(|s| [s.body, s.result]).collect();
    for k in 0..cross_check_points(store.dag_size_of(&roots)) {
        let Ok(env) = sampler.point(k, &mut rng) else {
            continue;
        };
        let checked = cross_check_derivatives(&mut plan, store, sites, &env);
        if let Some(failure) = checked.failure {
            return Err(failure);
        }
        if checked.defined {
            usable += 1;
        }
    }
    Ok(usable)
}

/// The form `nabla diff` prints: canonical, with named expressions folded back
/// (`oa_i` for the entries of `def oa = W2 hs + b2`), products distributed over
/// sums where that lets terms cancel, `exp(v_i)/Σ_l exp(v_l)` shown as
/// `softmax(v)_i`, and σ and softplus folded back.
pub fn display_form(
    store: &mut Store,
    domains: &Domains,
    value: ExprId,
    named: &[(String, ExprId, Option<Symbol>)],
) -> ExprId {
    let mut e = crate::simplify::canonical(store, domains, value).value;
    e = fold_named_expressions(store, domains, e, named);
    e = distribute(store, e);
    e = crate::simplify::canonical(store, domains, e).value;
    e = fold_softmax(store, e);
    crate::simplify::simplify_for_display(store, domains, e)
}

fn subterms(store: &Store, e: ExprId) -> std::collections::HashSet<ExprId> {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        if seen.insert(x) {
            stack.extend(store.children(x));
        }
    }
    seen
}

/// Replaces each occurrence of a named expression's value by its name.
fn fold_named_expressions(
    store: &mut Store,
    domains: &Domains,
    mut e: ExprId,
    named: &[(String, ExprId, Option<Symbol>)],
) -> ExprId {
    for (name, pattern, hole) in named {
        let present = subterms(store, e);
        let label = store.symbol(&format!("{name}#named"));
        let label_id = store.add(Node::Sym(label));
        let mut replacements = std::collections::HashMap::new();
        match hole {
            None => {
                let p = crate::simplify::canonical(store, domains, *pattern).value;
                if present.contains(&p) && store.as_num(p).is_none() {
                    replacements.insert(p, label_id);
                }
            }
            Some(h) => {
                // candidate indices: every symbol used as an index
                let candidates: Vec<ExprId> = present
                    .iter()
                    .filter_map(|&x| match store.node(x) {
                        Node::Index(_, idx) => Some(idx.to_vec()),
                        _ => None,
                    })
                    .flatten()
                    .filter(|&t| store.as_sym(t).is_some())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                for t in candidates {
                    let at = store.substitute(*pattern, *h, t);
                    let p = crate::simplify::canonical(store, domains, at).value;
                    if present.contains(&p) {
                        let entry = store.add(Node::Index(label_id, vec![t].into()));
                        replacements.insert(p, entry);
                    }
                }
            }
        }
        if !replacements.is_empty() {
            e = store.replace(e, &replacements);
        }
    }
    e
}

/// Products distributed over sums, bottom-up, while the result stays small
/// (at most this many terms per product).
const MAX_DISTRIBUTED_TERMS: usize = 32;

fn distribute(store: &mut Store, e: ExprId) -> ExprId {
    let mut memo = std::collections::HashMap::new();
    store.rebuild(e, &mut memo, &mut |_, _| None, &mut |store, rebuilt, _| {
        distribute_product(store, rebuilt)
    })
}

/// A product (its factors already distributed) multiplied out over the sums
/// among its factors, when that stays small.
fn distribute_product(store: &mut Store, rebuilt: ExprId) -> ExprId {
    match store.node(rebuilt).clone() {
        Node::Mul(factors) => {
            let mut terms: Vec<Vec<ExprId>> = vec![Vec::new()];
            for &f in factors.iter() {
                let parts: Vec<ExprId> = match store.node(f) {
                    Node::Add(ts) => ts.to_vec(),
                    _ => vec![f],
                };
                if terms.len() * parts.len() > MAX_DISTRIBUTED_TERMS {
                    terms = vec![factors.to_vec()];
                    break;
                }
                terms = terms
                    .iter()
                    .flat_map(|t| {
                        parts.iter().map(move |&p| {
                            let mut t = t.clone();
                            t.push(p);
                            t
                        })
                    })
                    .collect();
            }
            let products: Vec<ExprId> = terms.into_iter().map(|t| store.product(t)).collect();
            store.sum(products)
        }
        _ => rebuilt,
    }
}

/// `exp(v_i)·(Σ_l exp(v_l))^(−1)` shown as `softmax(v)_i`.
fn fold_softmax(store: &mut Store, e: ExprId) -> ExprId {
    let e = softmax_into_sums(store, e);
    let mut replacements = std::collections::HashMap::new();
    for x in subterms(store, e) {
        let Node::Mul(factors) = store.node(x).clone() else {
            continue;
        };
        for (a, &top) in factors.iter().enumerate() {
            let Node::Call(Func::Exp, arg) = store.node(top).clone() else {
                continue;
            };
            let Node::Index(base, idx) = store.node(arg[0]).clone() else {
                continue;
            };
            let [i] = idx[..] else {
                continue;
            };
            for (b, &bottom) in factors.iter().enumerate() {
                let Node::Pow(sum, minus_one) = store.node(bottom).clone() else {
                    continue;
                };
                if store
                    .as_num(minus_one)
                    .is_none_or(|r| *r != num_rational::BigRational::from_integer((-1).into()))
                {
                    continue;
                }
                let Node::Sum { index, body, .. } = store.node(sum).clone() else {
                    continue;
                };
                let l = store.add(Node::Sym(index));
                let term = store.add(Node::Index(base, vec![l].into()));
                let expected = store.call1(Func::Exp, term);
                if body != expected {
                    continue;
                }
                let label = store.symbol(&format!("softmax({})#named", store.display(base)));
                let label_id = store.add(Node::Sym(label));
                let entry = store.add(Node::Index(label_id, vec![i].into()));
                let rest: Vec<ExprId> = factors
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != a && k != b)
                    .map(|(_, &f)| f)
                    .chain(std::iter::once(entry))
                    .collect();
                let folded = store.product(rest);
                replacements.insert(x, folded);
            }
        }
    }
    if replacements.is_empty() {
        return e;
    }
    store.replace(e, &replacements)
}

/// `(Σ_l f(l)·exp(v_l))·(Σ_k exp(v_k))^(−1)` becomes `Σ_l f(l)·exp(v_l)·(Σ_k exp(v_k))^(−1)`,
/// so the softmax fold can see `exp(v_l)` and its normalizer in one product.
fn softmax_into_sums(store: &mut Store, e: ExprId) -> ExprId {
    let mut replacements = std::collections::HashMap::new();
    for x in subterms(store, e) {
        let Node::Mul(factors) = store.node(x).clone() else {
            continue;
        };
        let normalizer = factors.iter().position(|&f| match store.node(f) {
            Node::Pow(base, k) => {
                store
                    .as_num(*k)
                    .is_some_and(|r| *r == num_rational::BigRational::from_integer((-1).into()))
                    && matches!(store.node(*base), Node::Sum { body, .. }
                        if matches!(store.node(*body), Node::Call(Func::Exp, _)))
            }
            _ => false,
        });
        let Some(n) = normalizer else {
            continue;
        };
        let Some(s) = factors.iter().enumerate().position(|(k, &f)| {
            k != n && matches!(store.node(f), Node::Sum { body, .. } if store.node(*body) != store.node(factors[n]))
        }) else {
            continue;
        };
        let Node::Sum {
            index,
            lower,
            upper,
            body,
        } = store.node(factors[s]).clone()
        else {
            continue;
        };
        let inner = store.product(vec![body, factors[n]]);
        let moved = store.add(Node::Sum {
            index,
            lower,
            upper,
            body: inner,
        });
        let rest: Vec<ExprId> = factors
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != n && k != s)
            .map(|(_, &f)| f)
            .chain(std::iter::once(moved))
            .collect();
        let out = store.product(rest);
        replacements.insert(x, out);
    }
    if replacements.is_empty() {
        return e;
    }
    store.replace(e, &replacements)
}

#[cfg(test)]
mod tests {
    use super::{
        cross_check_points, display_form, matrix_form_in, vector_form_in, Notation,
        CROSS_CHECK_POINTS, MIN_CROSS_CHECK_POINTS,
    };
    use crate::lower::{lower_gradient, LowerConfig};
    use crate::syntax::{parse_expr, parse_file};

    const DEFS: &str =
        "dim n, m\nvar W : R^(m x n)\nvar x : R^n\nvar b : R^m\nvar y : R^m\nvar lam : real\n";

    /// The matrix form `nabla diff` prints for `d expr / d wrt`, in `notation`.
    fn form(notation: Notation, expr: &str, wrt: &str) -> Option<String> {
        let defs = parse_file(DEFS).file;
        let expr = parse_expr(expr).expect("the test's expression parses");
        let config = LowerConfig {
            declare_unknown_as_real: true,
            ..LowerConfig::default()
        };
        let (mut program, gradient) = lower_gradient(&defs, &expr, wrt, 1, config);
        let gradient = gradient.expect("the test's gradient lowers");
        let value = display_form(
            &mut program.store,
            &program.domains,
            gradient.value,
            &gradient.named,
        );
        let store = &program.store;
        let symbols: Vec<_> = gradient
            .indices
            .iter()
            .filter_map(|&i| store.as_sym(i))
            .collect();
        match symbols.as_slice() {
            [i] => vector_form_in(notation, store, value, *i),
            [i, j] => matrix_form_in(notation, store, value, *i, *j),
            _ => None,
        }
    }

    #[test]
    fn matrix_forms_read_as_people_write_them() {
        let cases = [
            ("W x + b", "x", "W"),
            ("W x + b", "b", "I"),
            ("lam * b", "b", "lam·I"),
            ("3*lam*W x", "x", "3·lam·W"),
            ("x^T W^T y", "W", "y x^T"),
            ("x^T W^T y", "x", "W^T y"),
            ("lam*||x||^2", "x", "2·lam·x"),
            ("||W x - y||^2", "W", "−2·y x^T + 2·(W x) x^T"),
            ("sum_(i=1)^m softplus((W x)_i)", "x", "W^T σ(W x)"),
            ("sigma(W x)", "x", "diag(σ(W x) ⊙ (1 − σ(W x))) W"),
            ("W sigma(x)", "x", "W diag(σ(x) ⊙ (1 − σ(x)))"),
            ("tanh(W x)", "x", "diag(1 − (tanh(W x))^2) W"),
            (
                "lam*sigma(W x + b)",
                "x",
                "lam·diag(σ(b + W x) ⊙ (1 − σ(b + W x))) W",
            ),
            ("sigma(W x)^2", "x", "diag((σ(W x))^2 ⊙ (2 − 2·σ(W x))) W"),
            ("3*tanh(W x)", "x", "diag(3 − 3·(tanh(W x))^2) W"),
            (
                "tanh(W x) + sigma(W x)",
                "x",
                "diag(1 + σ(W x) − (tanh(W x))^2 − (σ(W x))^2) W",
            ),
            ("exp(W x)", "x", "diag(exp(W x)) W"),
        ];
        for (expr, wrt, expected) in cases {
            let found = form(Notation::Text, expr, wrt);
            assert_eq!(found.as_deref(), Some(expected), "d({expr})/d{wrt}");
        }
    }

    #[test]
    fn latex_forms_parenthesize_only_what_needs_it() {
        let cases = [
            ("W x + b", "b", "I"),
            ("x^T W^T y", "W", "y x^{\\top}"),
            (
                "sum_(i=1)^m softplus((W x)_i)",
                "x",
                "W^{\\top} \\sigma\\left(W x\\right)",
            ),
            (
                "sigma(W x)",
                "x",
                "\\operatorname{diag}\\left(\\sigma\\left(W x\\right) \\odot \\left(1 - \\sigma\\left(W x\\right)\\right)\\right) W",
            ),
        ];
        for (expr, wrt, expected) in cases {
            let found = form(Notation::Latex, expr, wrt);
            assert_eq!(found.as_deref(), Some(expected), "d({expr})/d{wrt}");
        }
    }

    #[test]
    fn large_derivatives_are_cross_checked_at_fewer_points() {
        let cases = [
            (0, CROSS_CHECK_POINTS),
            (1_000, CROSS_CHECK_POINTS),
            (20_000, CROSS_CHECK_POINTS),
            (40_000, 12),
            (80_000, MIN_CROSS_CHECK_POINTS),
            (10_000_000, MIN_CROSS_CHECK_POINTS),
        ];
        for (size, points) in cases {
            assert_eq!(cross_check_points(size), points, "{size} nodes");
        }
    }
}
