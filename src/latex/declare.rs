//! Inferring declarations: the names a chain uses and how (scalar, vector,
//! matrix, size, unknown function), the side file's declarations, and the one
//! `ast::File` that checks one chain.

use super::chain::{Chain, TextDef};
use super::parse::{is_builtin_function, Context};
use crate::span::Span;
use crate::syntax::ast::{
    Def, Derive, Domain, DomainKind, Expr, ExprKind, Ident, Item, ItemKind, Step, VarDecl,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The names the side file declares, and how.
#[derive(Default)]
pub(super) struct SideFile {
    pub(super) vars: HashMap<String, DomainKind>,
    /// `def`s and `dim`s (never redeclared by the reader).
    pub(super) others: HashSet<String>,
    /// `def f(z)_i = ...`: arguments of these are vectors.
    pub(super) indexed: HashSet<String>,
    /// The names each `def` uses (`os` uses `oa`): what a chain reaches through them.
    pub(super) def_names: HashMap<String, BTreeSet<String>>,
    /// Names only the prelude gives a meaning (`S`, `s` as the softmax): the
    /// document's own definition of them wins.
    pub(super) prelude: HashSet<String>,
}

impl SideFile {
    pub(super) fn new(items: &[Item]) -> SideFile {
        let mut side = SideFile::default();
        for item in items {
            match &item.kind {
                ItemKind::Var(v) => {
                    for n in &v.names {
                        side.vars.insert(n.name.clone(), v.domain.kind.clone());
                    }
                }
                ItemKind::Dim(names) => side.others.extend(names.iter().map(|n| n.name.clone())),
                ItemKind::Def(d) => {
                    side.others.insert(d.name.name.clone());
                    side.def_names.insert(d.name.name.clone(), names(&d.body));
                    if d.index.is_some() {
                        side.indexed.insert(d.name.name.clone());
                    }
                }
                ItemKind::Net(n) => {
                    side.others.insert(n.name.name.clone());
                }
                _ => {}
            }
        }
        side
    }

    pub(super) fn declares(&self, name: &str) -> bool {
        self.vars.contains_key(name) || self.others.contains(name)
    }

    /// Whether the side file (not the prelude) declares `name`: the text may define
    /// a name only the prelude knows.
    pub(super) fn declares_for_text(&self, name: &str) -> bool {
        self.declares(name) && !self.prelude.contains(name)
    }

    pub(super) fn context(&self, items: &[Item]) -> Context {
        let mut ctx = Context::default();
        for item in items {
            match &item.kind {
                ItemKind::Def(d) if !d.params.is_empty() => {
                    ctx.functions.insert(d.name.name.clone(), d.params.len());
                }
                ItemKind::Def(d) => {
                    ctx.constants.insert(d.name.name.clone());
                }
                ItemKind::Var(v) if matches!(v.domain.kind, DomainKind::Function(..)) => {
                    for n in &v.names {
                        ctx.functions.insert(n.name.clone(), 1);
                    }
                }
                _ => {}
            }
        }
        ctx.labels = self
            .vars
            .keys()
            .chain(self.others.iter())
            .cloned()
            .collect();
        ctx
    }
}

/// Whether `e` mentions no name at all (`-\log(0.1)`): a number written out.
pub(super) fn is_constant(e: &Expr) -> bool {
    let mut usage = Usage::default();
    let side = SideFile::default();
    let defs = HashMap::new();
    let scope = Scope {
        side: &side,
        defs: &defs,
    };
    collect(e, &scope, &mut usage, &mut Vec::new(), false);
    usage.scalars.is_empty()
        && usage.compared.is_empty()
        && usage.indexed.is_empty()
        && usage.functions.is_empty()
}

// ----- declarations for one chain -----

#[derive(Default)]
struct Usage {
    /// Names used bare: `x`, `L_CE`.
    scalars: BTreeSet<String>,
    /// Names compared bare (`k = y` in a case label): an index if used as one elsewhere.
    compared: BTreeSet<String>,
    /// Names used with an index, and how many indices: `x_i` (1), `w_{kj}` (2).
    indexed: BTreeMap<String, usize>,
    /// Names written as indices.
    indices: BTreeSet<String>,
    /// Upper bounds of sums: sizes.
    sizes: BTreeSet<String>,
    /// Calls of unknown one-argument functions.
    functions: BTreeSet<String>,
    /// Every name called (`s(x)`), known or not.
    called: BTreeSet<String>,
    /// Names inside the arguments of an indexed definition (`S(x + c)`): vectors.
    vector_args: BTreeSet<String>,
    /// Text definitions used without arguments.
    bare_defs: BTreeSet<String>,
    /// Text definitions used.
    used_defs: BTreeSet<String>,
    /// Sum indices with a named upper bound, innermost last: `(k, m)` in `\sum_{k=1}^m`.
    sum_bounds: Vec<(String, String)>,
    /// A vector's size read off the sum it is indexed in: `o_k` in `\sum_{k=1}^m` has `m`.
    sizes_of: BTreeMap<String, String>,
    /// Names written bare as the variable of a derivative (`\partial o^a`): they
    /// keep the vector shape the side file gives them.
    derivative_vars: BTreeSet<String>,
}

impl Usage {
    fn note_index(&mut self, base: &str, index: &str) {
        if let Some((_, size)) = self.sum_bounds.iter().rev().find(|(i, _)| i == index) {
            self.sizes_of
                .entry(base.to_string())
                .or_insert_with(|| size.clone());
        }
    }
}

struct Scope<'a> {
    side: &'a SideFile,
    defs: &'a HashMap<String, &'a TextDef>,
}

fn collect(e: &Expr, scope: &Scope, usage: &mut Usage, bound: &mut Vec<String>, in_vec_arg: bool) {
    let walk = |e: &Expr, usage: &mut Usage, bound: &mut Vec<String>| {
        collect(e, scope, usage, bound, in_vec_arg)
    };
    match &e.kind {
        ExprKind::Ident(name) => {
            if bound.contains(name) {
                return;
            }
            if let Some((base, sub)) = name.split_once('_') {
                let index_like = sub.chars().count() == 1 && sub.chars().all(|c| c.is_lowercase());
                if index_like {
                    usage.indexed.entry(base.to_string()).or_insert(1);
                    usage.note_index(base, sub);
                    if !bound.iter().any(|b| b == sub) {
                        usage.indices.insert(sub.to_string());
                    }
                    if scope.defs.contains_key(base) {
                        usage.used_defs.insert(base.to_string());
                        usage.bare_defs.insert(base.to_string());
                    }
                    return;
                }
            }
            if scope.defs.contains_key(name.as_str()) {
                usage.used_defs.insert(name.clone());
                usage.bare_defs.insert(name.clone());
                return;
            }
            if in_vec_arg {
                usage.vector_args.insert(name.clone());
            }
            usage.scalars.insert(name.clone());
        }
        ExprKind::Subscript { base, indices } => {
            if let ExprKind::Ident(b) = &base.kind {
                if !bound.contains(b) {
                    usage.indexed.insert(b.clone(), indices.len());
                    if let [index] = indices.as_slice() {
                        if let ExprKind::Ident(i) = &index.kind {
                            usage.note_index(b, i);
                        }
                    }
                    if scope.defs.contains_key(b.as_str()) {
                        usage.used_defs.insert(b.clone());
                        usage.bare_defs.insert(b.clone());
                    }
                }
            } else {
                walk(base, usage, bound);
            }
            for i in indices {
                match &i.kind {
                    ExprKind::Ident(n) if n.chars().count() == 1 => {
                        if !bound.contains(n) {
                            usage.indices.insert(n.clone());
                        }
                    }
                    _ => walk(i, usage, bound),
                }
            }
        }
        ExprKind::Call { func, args, .. } if func.name == "dims" => {
            // a dimension label: its arguments keep the shapes they are declared with
            for a in args {
                collect(&a.value, scope, usage, bound, true);
            }
        }
        ExprKind::Call { func, args, .. } if matches!(func.name.as_str(), "δ" | "delta") => {
            // the Kronecker delta's arguments are indices (`\delta_{ij}`, `[i = j]`)
            for a in args {
                match &a.value.kind {
                    ExprKind::Ident(i) if i.chars().count() == 1 && !bound.contains(i) => {
                        usage.indices.insert(i.clone());
                    }
                    ExprKind::Ident(i) if bound.contains(i) => {}
                    _ => walk(&a.value, usage, bound),
                }
            }
        }
        ExprKind::Call { func, args, .. } if func.name == "onehot" && args.len() == 2 => {
            // `\text{onehot}_m(y)`: `y` is a class, an index in 1..m
            match &args[0].value.kind {
                ExprKind::Ident(y) if !bound.contains(y) => {
                    usage.indices.insert(y.clone());
                }
                _ => walk(&args[0].value, usage, bound),
            }
            match &args[1].value.kind {
                ExprKind::Ident(m) => {
                    usage.sizes.insert(m.clone());
                }
                _ => walk(&args[1].value, usage, bound),
            }
        }
        ExprKind::Call { func, args, .. } => {
            let name = func.name.as_str();
            usage.called.insert(name.to_string());
            let vector_args = !scope.defs.contains_key(name)
                && (scope.side.indexed.contains(name) || matches!(name, "softmax" | "diag"));
            if scope.defs.contains_key(name) {
                usage.used_defs.insert(name.to_string());
            } else if !is_builtin_function(name) && !scope.side.declares(name) && args.len() == 1 {
                usage.functions.insert(name.to_string());
            }
            for a in args {
                // only a name that is the whole argument (`S(x)`, not the `c` of `S(x + c)`)
                let whole = vector_args && matches!(a.value.kind, ExprKind::Ident(_));
                collect(&a.value, scope, usage, bound, whole);
            }
        }
        ExprKind::Sum {
            index,
            lower,
            upper,
            body,
        } => {
            if let Some(l) = lower {
                walk(l, usage, bound);
            }
            let mut named_bound = false;
            if let Some(u) = upper {
                match &u.kind {
                    ExprKind::Ident(n) => {
                        usage.sizes.insert(n.clone());
                        usage.sum_bounds.push((index.name.clone(), n.clone()));
                        named_bound = true;
                    }
                    _ => walk(u, usage, bound),
                }
            }
            bound.push(index.name.clone());
            walk(body, usage, bound);
            bound.pop();
            if named_bound {
                usage.sum_bounds.pop();
            }
        }
        ExprKind::Limit { var, body, .. } => {
            bound.push(var.name.clone());
            walk(body, usage, bound);
            bound.pop();
        }
        ExprKind::Compare { lhs, rhs, .. } => {
            for side in [lhs, rhs] {
                match &side.kind {
                    ExprKind::Ident(n) if !bound.contains(n) && !n.contains('_') => {
                        usage.compared.insert(n.clone());
                    }
                    _ => walk(side, usage, bound),
                }
            }
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            walk(lhs, usage, bound);
            walk(rhs, usage, bound);
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            walk(x, usage, bound)
        }
        ExprKind::Vector(items) | ExprKind::And(items) => {
            for x in items {
                walk(x, usage, bound);
            }
        }
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            for (v, c) in branches {
                walk(v, usage, bound);
                walk(c, usage, bound);
            }
            if let Some(o) = otherwise {
                walk(o, usage, bound);
            }
        }
        ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
            if let ExprKind::Ident(n) = &var.kind {
                usage.derivative_vars.insert(n.clone());
            }
            walk(var, usage, bound);
            walk(body, usage, bound);
        }
        ExprKind::Number(_) | ExprKind::Path(_) => {}
    }
}

fn domain(kind: DomainKind, span: Span) -> Domain {
    Domain { kind, span }
}

fn var_item(name: &str, kind: DomainKind, span: Span) -> Item {
    Item {
        kind: ItemKind::Var(VarDecl {
            names: vec![Ident {
                name: name.to_string(),
                span,
            }],
            domain: domain(kind, span),
            assumptions: Vec::new(),
        }),
        span,
    }
}

/// The domain of a name of these sizes, stated or inferred: a number, a column
/// of `n`, an `r × c` matrix.
fn sized_kind(sizes: &[Expr]) -> Option<DomainKind> {
    match sizes {
        [] => Some(DomainKind::Real),
        [n] => Some(DomainKind::Vector(n.clone())),
        [r, c] => Some(DomainKind::Matrix(r.clone(), c.clone())),
        _ => None,
    }
}

fn is_vector_domain(kind: &DomainKind) -> bool {
    matches!(
        kind,
        DomainKind::Vector(_) | DomainKind::Matrix(..) | DomainKind::OneHot(_)
    )
}

/// The `ast::File` that checks one chain: side-file items (minus the names this
/// chain uses differently), inferred declarations, the text's definitions, the
/// chain. `about_tensors`: the chain is about vectors and matrices
/// (`tensors::tensor_flavoured`), so a derivative's variable keeps its shape.
pub(super) fn chain_file(
    chain: &Chain,
    side_items: &[Item],
    side: &SideFile,
    about_tensors: bool,
) -> crate::syntax::ast::File {
    let span = chain.parts[0]
        .span
        .join(chain.parts[chain.parts.len() - 1].span);
    let by_name: HashMap<String, &TextDef> = chain
        .definitions
        .iter()
        .map(|d| (d.name.name.clone(), d))
        .collect();
    let scope = Scope {
        side,
        defs: &by_name,
    };
    let mut usage = Usage::default();
    for p in &chain.parts {
        collect(p, &scope, &mut usage, &mut Vec::new(), false);
    }
    if !about_tensors {
        // `\frac{d}{dx}` in a chain about numbers: `x` is a number, whatever the side file says
        usage.derivative_vars.clear();
    }
    // definitions used, and the definitions they use, transitively
    let mut included: Vec<String> = Vec::new();
    let mut pending: Vec<String> = usage.used_defs.iter().cloned().collect();
    // the text's definition of a side-file variable (`o^a = W h + b` with `var oa`)
    // stands in for it: the side file's `def`s reach it by name
    pending.extend(
        by_name
            .keys()
            .filter(|n| side.vars.contains_key(n.as_str()))
            .cloned(),
    );
    while let Some(name) = pending.pop() {
        if included.contains(&name) {
            continue;
        }
        let Some(def) = by_name.get(&name) else {
            continue;
        };
        let mut inner = Usage::default();
        let mut bound: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
        collect(&def.body, &scope, &mut inner, &mut bound, false);
        pending.extend(inner.used_defs.iter().cloned());
        usage.scalars.extend(inner.scalars);
        for (k, v) in inner.indexed {
            usage.indexed.entry(k).or_insert(v);
        }
        usage.indices.extend(inner.indices);
        usage.compared.extend(inner.compared);
        usage.sizes.extend(inner.sizes);
        usage.functions.extend(inner.functions);
        usage.called.extend(inner.called);
        usage.vector_args.extend(inner.vector_args);
        usage.bare_defs.extend(inner.bare_defs);
        for (k, v) in inner.sizes_of {
            usage.sizes_of.entry(k).or_insert(v);
        }
        included.push(name);
    }
    // a dimension label's sizes are sizes, never values
    if let (Some(ExprKind::Call { func, .. }), Some(ExprKind::Vector(items))) = (
        chain.parts.first().map(|p| &p.kind),
        chain.parts.get(1).map(|p| &p.kind),
    ) {
        if func.name == "dims" {
            for n in items.iter().flat_map(size_names) {
                usage.scalars.remove(&n);
                usage.sizes.insert(n);
            }
        }
    }
    // the shapes the text states (latest wins): a name used bare or with an index
    // is declared as the text says, and its sizes are sizes
    let mut stated: BTreeMap<String, Vec<Expr>> = BTreeMap::new();
    for d in &chain.shapes {
        let used = usage.scalars.contains(&d.name) || usage.indexed.contains_key(&d.name);
        if !used || by_name.contains_key(&d.name) || side.others.contains(&d.name) {
            continue;
        }
        stated.insert(d.name.clone(), d.sizes.clone());
    }
    for sizes in stated.values() {
        for n in sizes.iter().flat_map(size_names) {
            usage.scalars.remove(&n);
            usage.sizes.insert(n);
        }
    }
    // `d_h` is a size, not entry `h` of a vector `d`, when `d` is a size too
    usage.indexed.retain(|name, _| !usage.sizes.contains(name));
    // `k = y` with `o_y` elsewhere: `y` is an index (a class in 1..m), never any real
    for n in std::mem::take(&mut usage.compared) {
        if !usage.indices.contains(&n) {
            usage.scalars.insert(n);
        }
    }
    let mut items: Vec<Item> = Vec::new();
    let mut redeclared: HashSet<String> = by_name
        .keys()
        .filter(|n| side.vars.contains_key(n.as_str()))
        .cloned()
        .collect();
    // a name only the prelude gives a meaning (`s` as the softmax) that the chain
    // never calls is the text's own (`s^i`, the i-th output)
    let shadowed = shadowed_prelude(chain, side);
    let taken = |name: &str| side.others.contains(name) && !shadowed.contains(name);
    let mut need_n = false;
    for (name, sizes) in &stated {
        let kind = match sizes.as_slice() {
            // `c \in \mathbb{R}^n` and "c is one-hot": the shape and the convention both hold
            [n] if chain.one_hot.contains(name) => DomainKind::OneHot(n.clone()),
            _ => match sized_kind(sizes) {
                Some(kind) => kind,
                None => continue,
            },
        };
        if side.vars.contains_key(name) {
            redeclared.insert(name.clone());
        }
        items.push(var_item(name, kind, span));
    }
    for (name, count) in &usage.indexed {
        if by_name.contains_key(name) || taken(name) || stated.contains_key(name) {
            continue;
        }
        if let Some(kind) = side.vars.get(name) {
            if is_vector_domain(kind) {
                continue;
            }
            redeclared.insert(name.clone());
        }
        let size = usage.sizes_of.get(name).cloned().unwrap_or_else(|| {
            need_n = true;
            "n".to_string()
        });
        let n = || Expr {
            kind: ExprKind::Ident(size.clone()),
            span,
        };
        let kind = if *count < 2 && chain.one_hot.contains(name) {
            // "y is one-hot": Σ_k y_k = 1 and every y_k is 0 or 1
            DomainKind::OneHot(n())
        } else {
            // a name with two indices is a square matrix until the text says otherwise
            let sizes = vec![n(); (*count).min(2)];
            let Some(kind) = sized_kind(&sizes) else {
                continue;
            };
            kind
        };
        items.push(var_item(name, kind, span));
    }
    for name in &usage.scalars {
        if usage.indexed.contains_key(name)
            || stated.contains_key(name)
            || by_name.contains_key(name)
            || taken(name)
            || is_builtin_function(name)
            || name == "e"
        {
            continue;
        }

        if let Some(kind) = side.vars.get(name) {
            // a vector of the side file used bare is a scalar here, unless it is
            // the argument of an indexed definition (`S(x)`)
            if !is_vector_domain(kind)
                || usage.vector_args.contains(name)
                || usage.derivative_vars.contains(name)
            {
                continue;
            }
            redeclared.insert(name.clone());
        } else if usage.vector_args.contains(name) {
            // `\text{softmax}(o^a)`, `S(x)`: the argument is a whole vector
            need_n = true;
            let n = Expr {
                kind: ExprKind::Ident("n".into()),
                span,
            };
            items.push(var_item(name, DomainKind::Vector(n), span));
            continue;
        }
        items.push(var_item(name, DomainKind::Real, span));
    }
    for name in &usage.functions {
        if by_name.contains_key(name) {
            continue;
        }
        let real = || Box::new(domain(DomainKind::Real, span));
        items.push(var_item(name, DomainKind::Function(real(), real()), span));
    }
    let mut dims: Vec<Ident> = usage
        .sizes
        .iter()
        .filter(|s| !side.declares(s) && !usage.scalars.contains(*s))
        .map(|s| Ident {
            name: s.clone(),
            span,
        })
        .collect();
    if need_n && !side.declares("n") && !usage.sizes.contains("n") {
        dims.push(Ident {
            name: "n".into(),
            span,
        });
    }
    if !dims.is_empty() {
        items.insert(
            0,
            Item {
                kind: ItemKind::Dim(dims),
                span,
            },
        );
    }
    let mut file_items: Vec<Item> = side_items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Var(v) => {
                let names: Vec<Ident> = v
                    .names
                    .iter()
                    .filter(|n| !redeclared.contains(&n.name))
                    .cloned()
                    .collect();
                (!names.is_empty()).then(|| Item {
                    kind: ItemKind::Var(VarDecl {
                        names,
                        domain: v.domain.clone(),
                        assumptions: v.assumptions.clone(),
                    }),
                    span: item.span,
                })
            }
            // the text's own definition of a name wins over the prelude's
            ItemKind::Def(d)
                if by_name.contains_key(&d.name.name) || shadowed.contains(&d.name.name) =>
            {
                None
            }
            _ => Some(item.clone()),
        })
        .collect();
    file_items.extend(items);
    // oldest first, so a definition may use an earlier one
    for def in chain
        .definitions
        .iter()
        .filter(|d| included.contains(&d.name.name))
    {
        let params = if usage.bare_defs.contains(&def.name.name) {
            Vec::new()
        } else {
            def.params.clone()
        };
        file_items.push(Item {
            kind: ItemKind::Def(Def {
                name: def.name.clone(),
                params,
                index: None,
                body: def.body.clone(),
            }),
            span: def.body.span,
        });
    }
    let parts = entrywise(chain, side);
    let steps = parts[1..]
        .iter()
        .zip(&chain.ops)
        .map(|(rhs, op)| Step {
            expect: None,
            op: *op,
            rhs: rhs.clone(),
            span: rhs.span,
        })
        .collect();
    file_items.push(Item {
        kind: ItemKind::Derive(Derive {
            name: Some(chain.name.clone()),
            expect: None,
            conditions: chain.conditions.clone(),
            start: parts[0].clone(),
            steps,
        }),
        span,
    });
    crate::syntax::ast::File { items: file_items }
}

/// The names only the prelude gives a meaning (`S`, `s` as the softmax) that the
/// chain uses, but never calls: there the name is the text's own.
pub(super) fn shadowed_prelude(chain: &Chain, side: &SideFile) -> HashSet<String> {
    let by_name: HashMap<String, &TextDef> = chain
        .definitions
        .iter()
        .map(|d| (d.name.name.clone(), d))
        .collect();
    let scope = Scope {
        side,
        defs: &by_name,
    };
    let mut usage = Usage::default();
    for p in &chain.parts {
        collect(p, &scope, &mut usage, &mut Vec::new(), false);
    }
    side.prelude
        .iter()
        .filter(|n| {
            !usage.called.contains(*n)
                && !by_name.contains_key(*n)
                && (usage.indexed.contains_key(*n) || usage.scalars.contains(*n))
        })
        .cloned()
        .collect()
}

/// A chain about entry `i` (`S(x+c)_i = ... = S(x)`): a later bare call of the same
/// indexed definition is read at that entry.
fn entrywise(chain: &Chain, side: &SideFile) -> Vec<Expr> {
    let mut parts = chain.parts.clone();
    let ExprKind::Subscript { base, indices } = &parts[0].kind else {
        return parts;
    };
    let ExprKind::Call { func, .. } = &base.kind else {
        return parts;
    };
    if !side.indexed.contains(&func.name) {
        return parts;
    }
    let (name, indices) = (func.name.clone(), indices.clone());
    for p in parts.iter_mut().skip(1) {
        if matches!(&p.kind, ExprKind::Call { func, .. } if func.name == name) {
            *p = Expr {
                kind: ExprKind::Subscript {
                    base: Box::new(p.clone()),
                    indices: indices.clone(),
                },
                span: p.span,
            };
        }
    }
    parts
}

/// What ML notes take for granted: `S` and `s` are the softmax,
/// `S(x)_i = exp(x_i) / Σ_j exp(x_j)`. Used unless the side file declares the name.
const PRELUDE: &str =
    "def S(z)_i = exp(z_i) / sum_j exp(z_j)\ndef s(z)_i = exp(z_i) / sum_j exp(z_j)\n";

/// The side file plus the prelude's definitions it does not override. Prelude spans
/// are empty at the document's start (they point into no document).
pub(super) fn with_prelude(side_items: &[Item]) -> Vec<Item> {
    let side = SideFile::new(side_items);
    let mut items = side_items.to_vec();
    for mut item in crate::syntax::parse_file(PRELUDE).file.items {
        if let ItemKind::Def(d) = &mut item.kind {
            if side.declares(&d.name.name) {
                continue;
            }
            d.name.span = Span::default();
            for p in d.params.iter_mut().chain(d.index.iter_mut()) {
                p.span = Span::default();
            }
            zero_spans(&mut d.body);
            item.span = Span::default();
            items.push(item);
        }
    }
    items
}

pub(super) fn zero_spans(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Call { func, args, .. } => {
            func.span = Span::default();
            for a in args {
                zero_spans(&mut a.value);
            }
        }
        ExprKind::Subscript { base, indices } => {
            zero_spans(base);
            indices.iter_mut().for_each(zero_spans);
        }
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            zero_spans(lhs);
            zero_spans(rhs);
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            zero_spans(x)
        }
        ExprKind::Vector(items) | ExprKind::And(items) => items.iter_mut().for_each(zero_spans),
        ExprKind::Sum {
            index,
            lower,
            upper,
            body,
        } => {
            index.span = Span::default();
            for b in lower.iter_mut().chain(upper.iter_mut()) {
                zero_spans(b);
            }
            zero_spans(body);
        }
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            for (v, c) in branches {
                zero_spans(v);
                zero_spans(c);
            }
            if let Some(o) = otherwise {
                zero_spans(o);
            }
        }
        ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
            zero_spans(var);
            zero_spans(body);
        }
        ExprKind::Limit { var, body, .. } => {
            var.span = Span::default();
            zero_spans(body);
        }
        ExprKind::Number(_) | ExprKind::Ident(_) | ExprKind::Path(_) => {}
    }
}

/// The names a size mentions: `d_h` is the size `d_h` whole, never also an
/// index `h` (a text with a hidden vector `h` and a width `d_h` means both).
fn size_names(e: &Expr) -> std::collections::BTreeSet<String> {
    match &e.kind {
        ExprKind::Ident(n) => std::iter::once(n.clone()).collect(),
        ExprKind::Binary { lhs, rhs, .. } => {
            let mut out = size_names(lhs);
            out.extend(size_names(rhs));
            out
        }
        _ => names(e),
    }
}

/// The names a chain reaches: its parts and the text's definitions they use,
/// transitively, and with `side` also the side file's `def`s.
pub(super) fn reached(
    chain: &Chain,
    side: Option<&SideFile>,
) -> std::collections::BTreeSet<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut pending: Vec<String> = chain.parts.iter().flat_map(names).collect();
    while let Some(n) = pending.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        for d in chain.definitions.iter().filter(|d| d.name.name == n) {
            pending.extend(names(&d.body));
        }
        if let Some(side) = side {
            pending.extend(side.def_names.get(&n).into_iter().flatten().cloned());
        }
    }
    seen
}

/// The names `e` mentions (a name written with an index also by its base:
/// `o_k` gives `o_k` and `o`), without the indices of sums and limits.
pub(super) fn names(e: &Expr) -> std::collections::BTreeSet<String> {
    fn walk(e: &Expr, bound: &mut Vec<String>, out: &mut std::collections::BTreeSet<String>) {
        let mut go = |x: &Expr, bound: &mut Vec<String>| walk(x, bound, out);
        match &e.kind {
            ExprKind::Ident(n) => {
                if !bound.contains(n) {
                    out.insert(n.clone());
                    let plain = super::parse::plain_name(n);
                    if plain != n {
                        out.insert(plain.to_string());
                    }
                    if let Some((_, sub)) = n.split_once('_') {
                        if !bound.iter().any(|b| b == sub) && sub.chars().count() == 1 {
                            out.insert(sub.to_string());
                        }
                    }
                }
            }
            ExprKind::Call { func, args, .. } => {
                go(
                    &Expr {
                        kind: ExprKind::Ident(func.name.clone()),
                        span: func.span,
                    },
                    bound,
                );
                for a in args {
                    go(&a.value, bound);
                }
            }
            ExprKind::Subscript { base, indices } => {
                go(base, bound);
                for i in indices {
                    go(i, bound);
                }
            }
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
                go(lhs, bound);
                go(rhs, bound);
            }
            ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
                go(x, bound)
            }
            ExprKind::Vector(items) | ExprKind::And(items) => {
                for x in items {
                    go(x, bound);
                }
            }
            ExprKind::Piecewise {
                branches,
                otherwise,
            } => {
                for (v, c) in branches {
                    go(v, bound);
                    go(c, bound);
                }
                if let Some(o) = otherwise {
                    go(o, bound);
                }
            }
            ExprKind::Sum {
                index,
                lower,
                upper,
                body,
            } => {
                for b in lower.iter().chain(upper.iter()) {
                    go(b, bound);
                }
                bound.push(index.name.clone());
                go(body, bound);
                bound.pop();
            }
            ExprKind::Limit { var, body, .. } => {
                bound.push(var.name.clone());
                go(body, bound);
                bound.pop();
            }
            ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
                go(var, bound);
                go(body, bound);
            }
            ExprKind::Number(_) | ExprKind::Path(_) => {}
        }
    }
    let mut out = std::collections::BTreeSet::new();
    walk(e, &mut Vec::new(), &mut out);
    out
}
