//! Large results with their shared subexpressions named once (`where t1 = …`),
//! as a computer-algebra system's common-subexpression output does: the
//! printed size stays linear in the distinct nodes of the DAG, where the
//! inline form repeats every shared subterm and nests without bound.

use super::{ExprId, Node, Store, Symbol};
use std::collections::HashMap;

/// Past this many nodes written out as a tree (shared subterms counted every
/// time they occur) a result is printed in the shared form; below it the
/// inline form reads better.
pub const SHARED_FORM_MIN_TREE: u64 = 1_000;

/// A subexpression that would be written with more nodes than this is named,
/// so every printed line stays short.
const MAX_INLINE_NODES: u64 = 24;

/// A result in terms of named subexpressions, in a store of its own.
#[derive(Clone, Debug)]
pub struct SharedForm {
    pub store: Store,
    /// The result, mentioning the names.
    pub result: ExprId,
    /// The names in order: each value mentions only earlier names.
    pub definitions: Vec<Definition>,
}

/// One named subexpression.
#[derive(Clone, Debug)]
pub struct Definition {
    pub name: String,
    /// The name as an expression (a symbol of the form's store).
    pub symbol: ExprId,
    pub value: ExprId,
}

impl SharedForm {
    /// The result, then one definition a line (`{name} = {value}`), each
    /// expression written by `show`; the first definition's line starts with
    /// `lead` (`where `), the others with `indent`.
    pub fn lines(&self, show: &dyn Fn(ExprId) -> String, lead: &str, indent: &str) -> String {
        let mut out = show(self.result);
        for (k, d) in self.definitions.iter().enumerate() {
            out.push('\n');
            out.push_str(if k == 0 { lead } else { indent });
            out.push_str(&show(d.symbol));
            out.push_str(" = ");
            out.push_str(&show(d.value));
        }
        out
    }

    /// The text form: the result, then `where t1 = …` with one name a line.
    pub fn display(&self, suffix: &str) -> String {
        let mut out = format!("{}{suffix}", self.store.display(self.result));
        for (k, d) in self.definitions.iter().enumerate() {
            let lead = if k == 0 { "\nwhere " } else { "\n      " };
            out.push_str(lead);
            out.push_str(&format!("{} = {}", d.name, self.store.display(d.value)));
        }
        out
    }
}

/// The shared form of `root`, or `None` when the inline form is small enough
/// (at most [`SHARED_FORM_MIN_TREE`] nodes written out).
///
/// Memory stays a few words per node of `root`'s DAG: facts per node are kept
/// in vectors by post-order position, and the form's store holds only the
/// nodes under `root` (with the names of `store`), never a copy of all of it.
pub fn shared_form(store: &Store, root: ExprId) -> Option<SharedForm> {
    let order = store.post_order(root);
    let position: HashMap<ExprId, usize> = order.iter().enumerate().map(|(k, &e)| (e, k)).collect();
    let children: Vec<Vec<usize>> = order
        .iter()
        .map(|&e| store.children(e).iter().map(|c| position[c]).collect())
        .collect();
    let mut uses = vec![0u32; order.len()];
    let mut tree = vec![0u64; order.len()];
    // the bound variables (a `Σ` index, a `lim` variable: `j#3`) free inside:
    // such a term means nothing outside its binder, so it is never named
    let mut bound: Vec<Vec<Symbol>> = vec![Vec::new(); order.len()];
    for (k, &e) in order.iter().enumerate() {
        tree[k] = children[k]
            .iter()
            .fold(1u64, |n, &c| n.saturating_add(tree[c]));
        let mut free: Vec<Symbol> = match store.node(e) {
            Node::Sym(s) if store.name(*s).contains('#') => vec![*s],
            _ => Vec::new(),
        };
        for &c in &children[k] {
            for s in &bound[c] {
                if !free.contains(s) {
                    free.push(*s);
                }
            }
        }
        match store.node(e) {
            Node::Sum { index, .. } => free.retain(|s| s != index),
            Node::Limit { var, .. } => free.retain(|s| s != var),
            _ => {}
        }
        bound[k] = free;
        for &c in &children[k] {
            uses[c] += 1;
        }
    }
    let top = order.len().checked_sub(1)?;
    if tree[top] <= SHARED_FORM_MIN_TREE {
        return None;
    }
    let nameable = |k: usize| {
        k != top
            && bound[k].is_empty()
            && !matches!(
                store.node(order[k]),
                Node::Num(_) | Node::Sym(_) | Node::Cmp(..) | Node::And(_) | Node::Vector(_)
            )
    };
    // inline size with named children counted as one node each
    let mut inline = vec![0u64; order.len()];
    let mut is_named = vec![false; order.len()];
    for k in 0..order.len() {
        let size = children[k].iter().fold(1u64, |n, &c| {
            n.saturating_add(if is_named[c] { 1 } else { inline[c] })
        });
        let shared = uses[k] >= 2 && size > 3;
        inline[k] = size;
        is_named[k] = nameable(k) && (shared || size > MAX_INLINE_NODES);
    }
    let named = is_named.iter().filter(|&&n| n).count();
    let prefix = fresh_prefix(store, named);
    let mut scratch = store.names_only();
    let mut mapped: Vec<ExprId> = Vec::with_capacity(order.len());
    let mut definitions = Vec::with_capacity(named);
    for (k, &e) in order.iter().enumerate() {
        let kids: Vec<ExprId> = children[k].iter().map(|&c| mapped[c]).collect();
        let node = store.node(e).with_children(&kids)?;
        let rebuilt = scratch.add(node);
        if is_named[k] {
            let name = format!("{prefix}{}", definitions.len() + 1);
            let symbol = scratch.sym(&name);
            definitions.push(Definition {
                name,
                symbol,
                value: rebuilt,
            });
            mapped.push(symbol);
        } else {
            mapped.push(rebuilt);
        }
    }
    Some(SharedForm {
        result: mapped[top],
        store: scratch,
        definitions,
    })
}

/// A prefix for `count` names (`t1`, `t2`, …) that no symbol of the store uses.
fn fresh_prefix(store: &Store, count: usize) -> &'static str {
    ["t", "u", "w", "τ", "ν"]
        .into_iter()
        .find(|p| (1..=count).all(|k| store.find_symbol(&format!("{p}{k}")).is_none()))
        .unwrap_or("ν_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Func;

    /// The chain g_n = σ(g_{n−1}/2 + 3/10) from `x`, and its nodes.
    fn chain(store: &mut Store, n: usize) -> ExprId {
        let mut g = store.sym("x");
        for _ in 0..n {
            let half = store.ratio(1, 2);
            let shift = store.ratio(3, 10);
            let scaled = store.product(vec![half, g]);
            let arg = store.sum(vec![scaled, shift]);
            g = store.call1(Func::Sigmoid, arg);
        }
        g
    }

    #[test]
    fn small_results_stay_inline() {
        let mut store = Store::new();
        let g = chain(&mut store, 3);
        assert!(shared_form(&store, g).is_none());
    }

    #[test]
    fn a_shared_square_is_named_once() {
        let mut store = Store::new();
        let g = chain(&mut store, 100);
        // g·g: the chain is shared by both factors
        let two = store.int(2);
        let square = store.pow(g, two);
        let product = store.product(vec![g, square]);
        let form = shared_form(&store, product).expect("large");
        let text = form.display("");
        let first = text.lines().next().unwrap();
        assert!(first.chars().count() < 40 && first.contains('t'), "{text}");
        assert!(text.contains("\nwhere t1 = σ("), "{text}");
        // one line per name, each short
        assert_eq!(text.lines().count(), form.definitions.len() + 1);
        assert!(text.lines().all(|l| l.chars().count() < 120), "{text}");
    }

    #[test]
    fn printed_size_is_linear_in_depth() {
        let sizes: Vec<usize> = [1_000, 2_000, 4_000]
            .iter()
            .map(|&n| {
                let mut store = Store::new();
                let g = chain(&mut store, n);
                shared_form(&store, g).expect("large").display("").len()
            })
            .collect();
        assert!(sizes[1] < sizes[0] * 5 / 2, "{sizes:?}");
        assert!(sizes[2] < sizes[1] * 5 / 2, "{sizes:?}");
    }

    #[test]
    fn the_form_keeps_only_the_nodes_it_shows() {
        let mut store = Store::new();
        let unrelated = chain(&mut store, 3_000);
        let y = store.sym("y");
        let g = store.substitute(unrelated, store.find_symbol("x").unwrap(), y);
        let form = shared_form(&store, g).expect("large");
        // the names of `store` keep their meaning; its other 3,000 links are left out
        assert!(
            form.store.len() < store.dag_size(g) * 2,
            "{}",
            form.store.len()
        );
        assert!(form.store.find_symbol("x").is_some());
        assert!(
            form.display("").contains("σ(y/2 + 3/10)"),
            "{}",
            form.display("")
        );
    }

    #[test]
    fn names_avoid_the_expression_symbols() {
        let mut store = Store::new();
        store.sym("t1");
        let g = chain(&mut store, 500);
        let form = shared_form(&store, g).expect("large");
        assert!(
            form.definitions[0].name.starts_with('u'),
            "{}",
            form.definitions[0].name
        );
    }

    #[test]
    fn terms_with_a_bound_index_are_never_named() {
        let mut store = Store::new();
        let j = store.symbol("j#1");
        let jx = store.sym("j#1");
        let body = chain(&mut store, 0);
        let mut term = store.product(vec![jx, body]);
        for _ in 0..200 {
            term = store.call1(Func::Sigmoid, term);
        }
        let (one, n) = (store.int(1), store.sym("n"));
        let sum = store.add(Node::Sum {
            index: j,
            lower: one,
            upper: n,
            body: term,
        });
        let product = store.product(vec![sum, sum]);
        let big = (0..10).fold(product, |acc, _| store.product(vec![acc, acc]));
        let form = shared_form(&store, big).expect("large");
        // the Σ itself is named (it binds its index); nothing inside it is
        let sums = form
            .definitions
            .iter()
            .filter(|d| matches!(form.store.node(d.value), Node::Sum { .. }))
            .count();
        assert_eq!(sums, 1);
        for d in &form.definitions {
            let mentions_j = form.store.free_symbols(d.value).contains(&j);
            assert!(!mentions_j, "{}", form.store.display(d.value));
        }
    }
}
