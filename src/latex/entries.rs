//! Definitions of a name by its entries (`J_{ij} = \frac{\partial s_i}{\partial x_j}`,
//! `h_j^s = \ln(1 + e^{h_j^a})`): later chains that use only entries of the name
//! read each entry as its definition, with the indices put in.
//!
//! A chain that also uses the name otherwise (bare, with another number of
//! indices, or as the variable of a derivative) keeps it as it is: mixing the
//! definition with a free name could refute what the text never claimed.

use crate::syntax::ast::{Expr, ExprKind};
use std::collections::{BTreeSet, HashMap};

/// `J_{ij} = body`: the name, its index letters and the body, where it was said.
#[derive(Clone, Debug)]
pub struct EntryDef {
    pub name: String,
    pub indices: Vec<String>,
    pub body: Expr,
    pub shown: String,
}

fn index_letter(s: &str) -> bool {
    s.len() == 1 && s.chars().all(|c| c.is_ascii_lowercase())
}

/// The name and index letters of an entry `J_{ij}`, `h_j` (as the reader joins
/// `h_j^s`: `hs_j`); `None` for anything else.
fn entry_of(e: &Expr) -> Option<(String, Vec<String>)> {
    match &e.kind {
        ExprKind::Ident(n) => {
            let (base, sub) = n.split_once('_')?;
            (index_letter(sub) && !base.is_empty()).then(|| (base.to_string(), vec![sub.into()]))
        }
        ExprKind::Subscript { base, indices } => {
            let ExprKind::Ident(b) = &base.kind else {
                return None;
            };
            if b.contains('_') {
                return None;
            }
            let letters: Option<Vec<String>> = indices
                .iter()
                .map(|i| match &i.kind {
                    ExprKind::Ident(n) if index_letter(n) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            Some((b.clone(), letters?))
        }
        _ => None,
    }
}

/// `lhs = body` defines `lhs`'s name entry by entry when `lhs` is an entry with
/// distinct index letters that the body does not also bind.
pub fn entry_definition(lhs: &Expr, body: &Expr, shown: String) -> Option<EntryDef> {
    let (name, indices) = entry_of(lhs)?;
    let distinct: BTreeSet<&String> = indices.iter().collect();
    if distinct.len() != indices.len() || mentions(body, &name) {
        return None;
    }
    Some(EntryDef {
        name,
        indices,
        body: body.clone(),
        shown,
    })
}

/// Whether `e` uses the name `name` (bare or as an entry).
fn mentions(e: &Expr, name: &str) -> bool {
    let own = match &e.kind {
        ExprKind::Ident(n) => n == name || n.split_once('_').is_some_and(|(b, _)| b == name),
        _ => false,
    };
    own || e.children().into_iter().any(|c| mentions(c, name))
}

/// How a chain uses a name: as entries with these index counts, or otherwise.
#[derive(Default)]
struct Uses {
    entries: BTreeSet<usize>,
    other: bool,
}

fn uses(e: &Expr, in_variable: bool, out: &mut HashMap<String, Uses>) {
    if let Some((name, indices)) = entry_of(e) {
        let u = out.entry(name).or_default();
        u.entries.insert(indices.len());
        u.other |= in_variable;
        if let ExprKind::Subscript { indices, .. } = &e.kind {
            for i in indices {
                uses(i, in_variable, out);
            }
        }
        return;
    }
    match &e.kind {
        ExprKind::Ident(n) => out.entry(n.clone()).or_default().other = true,
        ExprKind::Subscript { base, indices } => {
            // an entry with another kind of index (`J_{i,1}`, `o_{k=y}`) is kept
            if let ExprKind::Ident(n) = &base.kind {
                out.entry(n.clone()).or_default().other = true;
            }
            uses(base, in_variable, out);
            for i in indices {
                uses(i, in_variable, out);
            }
        }
        ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
            uses(var, true, out);
            uses(body, in_variable, out);
        }
        _ => {
            for c in e.children() {
                uses(c, in_variable, out);
            }
        }
    }
}

/// The letters `e` binds (sum indices, limit variables).
fn bound_letters(e: &Expr, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Sum { index, .. } => {
            out.insert(index.name.clone());
        }
        ExprKind::Limit { var, .. } => {
            out.insert(var.name.clone());
        }
        _ => {}
    }
    for c in e.children() {
        bound_letters(c, out);
    }
}

/// The single letters `e` writes, bare or as an entry's index (`k`, `x_k`).
fn letters_in(e: &Expr, out: &mut BTreeSet<String>) {
    if let ExprKind::Ident(n) = &e.kind {
        let letter = n.split_once('_').map_or(n.as_str(), |(_, sub)| sub);
        if index_letter(letter) {
            out.insert(letter.to_string());
        }
    }
    for c in e.children() {
        letters_in(c, out);
    }
}

/// `e` with every index letter renamed at once (`i ↦ k, j ↦ i`), in bare
/// indices and in joined entries (`x_j` becomes `x_i`).
fn renamed(e: &Expr, map: &HashMap<String, String>) -> Expr {
    let mut out = e.clone();
    rename(&mut out, map);
    out
}

fn rename(e: &mut Expr, map: &HashMap<String, String>) {
    if let ExprKind::Ident(n) = &mut e.kind {
        if let Some(to) = map.get(n.as_str()) {
            *n = to.clone();
        } else if let Some((base, sub)) = n.split_once('_') {
            if let Some(to) = map.get(sub) {
                *n = format!("{base}_{to}");
            }
        }
        return;
    }
    for c in e.children_mut() {
        rename(c, map);
    }
}

/// What `expand` did to a chain: the names it read by their definitions, and
/// those the chain still uses as free names although the text defines them.
#[derive(Default)]
pub struct Expansion {
    /// "`h` entry by entry as the text defines it: `h_j = ...` (line 4)".
    pub used: Vec<String>,
    /// `(name, where the text defines it)`: kept as a free name.
    pub kept: Vec<(String, String)>,
    /// Derivatives of what was put in by a variable it does not mention
    /// (`\partial o_k^a / \partial h_j` with `o_k^a = \sum_j w_{kj} h_j^s`): 0 as read.
    pub unmentioned: Vec<String>,
}

/// Reads the entries of names the text defined entry by entry as their
/// definitions, in a chain that uses those names only as entries, and again in
/// what that put in (`h_j = \ln(1 + e^{a_j})` with `a_j = \sum_k w_{jk} x_k`),
/// up to 8 rounds.
/// `blocked` holds the names other definitions in reach use or define (`o^a = W
/// h^s + b` uses `hs` whole): those are never read entry by entry, so one chain
/// never mixes a definition with the free name.
pub fn expand(parts: &mut [Expr], defs: &[EntryDef], blocked: &BTreeSet<String>) -> Expansion {
    let mut out = Expansion::default();
    let mut done: Vec<String> = Vec::new();
    for _ in 0..8 {
        let mut seen: HashMap<String, Uses> = HashMap::new();
        for p in parts.iter() {
            uses(p, false, &mut seen);
        }
        let mut changed_any = false;
        // the latest definition of a name wins
        let mut tried: Vec<&str> = Vec::new();
        for def in defs.iter().rev() {
            if tried.contains(&def.name.as_str())
                || done.contains(&def.name)
                || blocked.contains(&def.name)
            {
                continue;
            }
            tried.push(&def.name);
            let Some(u) = seen.get(&def.name) else {
                continue;
            };
            if u.other || u.entries.len() != 1 || !u.entries.contains(&def.indices.len()) {
                continue;
            }
            // letters an entry's index must not take: those the body binds, and
            // those it uses for anything but the definition's own indices
            let mut bound = BTreeSet::new();
            bound_letters(&def.body, &mut bound);
            letters_in(&def.body, &mut bound);
            for i in &def.indices {
                bound.remove(i);
            }
            let mut changed = false;
            for p in parts.iter_mut() {
                changed |= put(p, def, &bound);
            }
            if changed {
                done.push(def.name.clone());
                out.used.push(format!(
                    "`{}` entry by entry as the text defines it: {}",
                    def.name, def.shown
                ));
                changed_any = true;
            }
        }
        if !changed_any {
            break;
        }
    }
    let mut seen: HashMap<String, Uses> = HashMap::new();
    for p in parts.iter() {
        uses(p, false, &mut seen);
    }
    let mut variables = BTreeSet::new();
    for p in parts.iter() {
        derivative_variables(p, &mut variables);
    }
    if !done.is_empty() {
        for p in parts.iter() {
            unmentioned(p, &mut out.unmentioned);
        }
    }
    for def in defs.iter().rev() {
        let present = seen.contains_key(&def.name);
        // a derivative by the name's own entries (`\partial h_j / \partial a_j`)
        // treats it as the variable, as the text does
        let only_by_itself = variables.iter().all(|v| *v == def.name);
        if present && !only_by_itself && !out.kept.iter().any(|(n, _)| *n == def.name) {
            out.kept.push((def.name.clone(), def.shown.clone()));
        }
    }
    out
}

/// The variables of derivatives in `e` whose body never mentions them.
fn unmentioned(e: &Expr, out: &mut Vec<String>) {
    if let ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } = &e.kind {
        let name = match (entry_of(var), &var.kind) {
            (Some((name, _)), _) => Some(name),
            (None, ExprKind::Ident(n)) => Some(n.clone()),
            _ => None,
        };
        if let Some(name) = name {
            if !mentions(body, &name) && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    for c in e.children() {
        unmentioned(c, out);
    }
}

/// The names derivatives in `e` are taken by (`a` for `\partial / \partial a_j`).
fn derivative_variables(e: &Expr, out: &mut BTreeSet<String>) {
    if let ExprKind::Derivative { var, .. } | ExprKind::Grad { var, .. } = &e.kind {
        match (entry_of(var), &var.kind) {
            (Some((name, _)), _) => out.insert(name),
            (None, ExprKind::Ident(n)) => out.insert(n.clone()),
            _ => out.insert(String::new()),
        };
    }
    for c in e.children() {
        derivative_variables(c, out);
    }
}

/// Puts `def` in for its entries in `e`; whether it did. An entry whose index
/// the body binds (a sum over `k` in `J_{kj}`'s body) is left as it is.
fn put(e: &mut Expr, def: &EntryDef, bound: &BTreeSet<String>) -> bool {
    if let Some((name, indices)) = entry_of(e) {
        if name == def.name && indices.len() == def.indices.len() {
            if indices.iter().any(|i| bound.contains(i)) {
                return false;
            }
            let map: HashMap<String, String> = def.indices.iter().cloned().zip(indices).collect();
            let span = e.span;
            *e = renamed(&def.body, &map);
            e.span = span;
            return true;
        }
    }
    let mut changed = false;
    for c in e.children_mut() {
        changed |= put(c, def, bound);
    }
    changed
}
