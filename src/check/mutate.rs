//! Mechanical mutants of an expression: one small, deliberate mistake each, to
//! test that the checker refutes what is wrong (and not only proves what is right).
//!
//! A mutant changes exactly one occurrence (one position in the tree, not one
//! shared node), by one of these deterministic rules:
//!
//! - [`MutationKind::FlipSign`]: in a sum, one term `t` becomes `−t` (one mutant
//!   per term); in a product, the first factor is negated (negating any factor
//!   gives the same value, so one mutant per product). A number is negated in
//!   place and `(−1)·t` or `c·t` has its coefficient negated.
//! - [`MutationKind::DropFactor`]: a product loses one factor that is not a
//!   number (one mutant per such factor); `a / b` is `a · b^−1`, so this also
//!   drops a denominator.
//! - [`MutationKind::ChangeConstant`]: a number `c` becomes `c + 1` (exponents,
//!   coefficients, comparison bounds and vector entries alike).
//! - [`MutationKind::SwapExpLn`]: `exp(a)` ↔ `ln(a)`.
//! - [`MutationKind::SwapActivation`]: each of `σ`, `softplus` and `tanh` becomes
//!   each of the other two (two mutants per call).
//! - [`MutationKind::SwapIndices`]: `v_(i, j)` becomes `v_(j, i)` (adjacent
//!   indices swapped when they differ), and `v_i` becomes `v_k` for every other
//!   index symbol `k` in the context (see [`index_symbols`]).
//!
//! Nodes are immutable and hash-consed, so a mutant is built by rebuilding the
//! path from the changed node up to the root; everything off that path is shared
//! with the original. Mutants that come out identical (as whole expressions) are
//! kept once.
//!
//! Invariant: generation does no evaluation and no proving; it only adds nodes
//! to the store, never changes one, and visits at most [`MAX_POSITIONS`] positions.

use crate::expr::{ExprId, Func, Node, Store};
use num_rational::BigRational;
use num_traits::One;

/// Most tree positions visited per expression (a heavily shared DAG can have
/// exponentially many positions; the first ones in pre-order are used).
pub const MAX_POSITIONS: usize = 10_000;

/// Which rule made a mutant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MutationKind {
    FlipSign,
    DropFactor,
    ChangeConstant,
    SwapExpLn,
    SwapActivation,
    SwapIndices,
}

impl MutationKind {
    /// Every kind, in the order [`select`] takes them.
    pub const ALL: [MutationKind; 6] = [
        MutationKind::FlipSign,
        MutationKind::DropFactor,
        MutationKind::ChangeConstant,
        MutationKind::SwapExpLn,
        MutationKind::SwapActivation,
        MutationKind::SwapIndices,
    ];

    /// A short name for reports: "flip sign", "drop factor", ...
    pub fn name(self) -> &'static str {
        match self {
            MutationKind::FlipSign => "flip sign",
            MutationKind::DropFactor => "drop factor",
            MutationKind::ChangeConstant => "change constant",
            MutationKind::SwapExpLn => "swap exp/ln",
            MutationKind::SwapActivation => "swap activation",
            MutationKind::SwapIndices => "swap indices",
        }
    }
}

/// One mutant of an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mutant {
    pub kind: MutationKind,
    /// The subterm that was changed...
    pub original: ExprId,
    /// ...and what it became.
    pub replacement: ExprId,
    /// The whole expression with that one occurrence changed.
    pub root: ExprId,
}

/// The symbols used as indices (`v_i`, `W_(i,j)`) anywhere in `roots` that are
/// free there (a `Σ` index is bound, and moving it out of its sum would leave it
/// without a value). The candidates for [`MutationKind::SwapIndices`], in order
/// of first appearance.
pub fn index_symbols(store: &Store, roots: &[ExprId]) -> Vec<ExprId> {
    let mut free = Vec::new();
    for &r in roots {
        free.extend(store.free_symbols(r));
    }
    let mut found: Vec<ExprId> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<ExprId> = roots.iter().rev().copied().collect();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Node::Index(_, idx) = store.node(id) {
            for &i in idx.iter() {
                let is_free_symbol = store.as_sym(i).is_some_and(|s| free.contains(&s));
                if is_free_symbol && !found.contains(&i) {
                    found.push(i);
                }
            }
        }
        let mut children = store.children(id);
        children.reverse();
        stack.extend(children);
    }
    found
}

/// Every mutant of `root`, in pre-order of the changed position (and rule order
/// within a position), without duplicates and without mutants equal to `root`.
/// `index_symbols` are the candidates for replacing a single index.
pub fn mutants(store: &mut Store, root: ExprId, index_symbols: &[ExprId]) -> Vec<Mutant> {
    let mut out: Vec<Mutant> = Vec::new();
    let mut roots_seen = std::collections::HashSet::new();
    roots_seen.insert(root);
    // explicit stack: deep expressions must not overflow the thread's stack
    let mut stack: Vec<Vec<usize>> = vec![Vec::new()];
    let mut visited = 0usize;
    while let Some(path) = stack.pop() {
        visited += 1;
        if visited > MAX_POSITIONS {
            break;
        }
        let Some(chain) = path_ids(store, root, &path) else {
            continue;
        };
        let Some(&here) = chain.last() else {
            continue;
        };
        for (kind, replacement) in local_mutations(store, here, index_symbols) {
            if replacement == here {
                continue;
            }
            let new_root = rebuild(store, &chain, &path, replacement);
            if roots_seen.insert(new_root) {
                out.push(Mutant {
                    kind,
                    original: here,
                    replacement,
                    root: new_root,
                });
            }
        }
        let count = store.children(here).len();
        for k in (0..count).rev() {
            let mut child = path.clone();
            child.push(k);
            stack.push(child);
        }
    }
    out
}

/// At most `cap` mutants, taken round-robin over the kinds (in
/// [`MutationKind::ALL`] order) so every rule that applies is represented;
/// within a kind the original order is kept. Deterministic.
pub fn select(mutants: &[Mutant], cap: usize) -> Vec<Mutant> {
    let by_kind: Vec<Vec<Mutant>> = MutationKind::ALL
        .iter()
        .map(|&k| mutants.iter().copied().filter(|m| m.kind == k).collect())
        .collect();
    let mut out = Vec::new();
    let mut round = 0;
    while out.len() < cap {
        let mut took = false;
        for group in &by_kind {
            if let Some(&m) = group.get(round) {
                if out.len() < cap {
                    out.push(m);
                }
                took = true;
            }
        }
        if !took {
            break;
        }
        round += 1;
    }
    out
}

/// The ids from `root` down along `path` (child positions), `root` first.
fn path_ids(store: &Store, root: ExprId, path: &[usize]) -> Option<Vec<ExprId>> {
    let mut chain = Vec::with_capacity(path.len() + 1);
    chain.push(root);
    let mut here = root;
    for &k in path {
        here = *store.children(here).get(k)?;
        chain.push(here);
    }
    Some(chain)
}

/// `chain` (from [`path_ids`]) with its last node replaced by `replacement`,
/// every ancestor rebuilt with its new child: the new root.
fn rebuild(store: &mut Store, chain: &[ExprId], path: &[usize], replacement: ExprId) -> ExprId {
    let mut current = replacement;
    for (&parent, &k) in chain.iter().zip(path.iter()).rev() {
        current = with_child(store, parent, k, current);
    }
    current
}

/// Node `id` with its `k`-th child (in [`Store::children`] order) replaced.
/// A `k` out of range leaves the node as it is.
pub fn with_child(store: &mut Store, id: ExprId, k: usize, new: ExprId) -> ExprId {
    store.with_child(id, k, new)
}

/// `−e`, written the way a person would: a number negated in place, a
/// coefficient negated (`(−1)·t` becomes `t`), otherwise `(−1)·e`.
pub fn negate(store: &mut Store, e: ExprId) -> ExprId {
    if let Node::Mul(xs) = store.node(e).clone() {
        if let Some(c) = xs.first().and_then(|&f| store.as_num(f)).cloned() {
            let rest = xs[1..].to_vec();
            if (-&c).is_one() {
                return store.product(rest);
            }
            let negated = store.num(-c);
            let mut factors = vec![negated];
            factors.extend(rest);
            return store.product(factors);
        }
    }
    store.neg(e)
}

/// The replacements one position allows, by rule.
fn local_mutations(
    store: &mut Store,
    id: ExprId,
    index_symbols: &[ExprId],
) -> Vec<(MutationKind, ExprId)> {
    let mut out = Vec::new();
    match store.node(id).clone() {
        Node::Num(c) => {
            let bumped = store.num(c + BigRational::one());
            out.push((MutationKind::ChangeConstant, bumped));
        }
        Node::Add(terms) => {
            for k in 0..terms.len() {
                let flipped = negate(store, terms[k]);
                let mut v = terms.to_vec();
                v[k] = flipped;
                let sum = store.add(Node::Add(v.into()));
                out.push((MutationKind::FlipSign, sum));
            }
        }
        Node::Mul(factors) => {
            if let Some(&first) = factors.first() {
                let flipped = negate(store, first);
                let mut v = factors.to_vec();
                // (−1)·t flipped is t, not 1·t
                if store.as_num(flipped).is_some_and(|c| c.is_one()) {
                    v.remove(0);
                } else {
                    v[0] = flipped;
                }
                let product = store.product(v);
                out.push((MutationKind::FlipSign, product));
            }
            for k in 0..factors.len() {
                if store.as_num(factors[k]).is_some() {
                    continue;
                }
                let mut rest = factors.to_vec();
                rest.remove(k);
                let product = store.product(rest);
                out.push((MutationKind::DropFactor, product));
            }
        }
        Node::Call(f, args) => {
            let swapped: &[Func] = match f {
                Func::Exp => &[Func::Ln],
                Func::Ln => &[Func::Exp],
                Func::Sigmoid => &[Func::Softplus, Func::Tanh],
                Func::Softplus => &[Func::Tanh, Func::Sigmoid],
                Func::Tanh => &[Func::Sigmoid, Func::Softplus],
                Func::Sin => &[Func::Cos],
                Func::Cos => &[Func::Sin],
                Func::Sinh => &[Func::Cosh],
                Func::Cosh => &[Func::Sinh],
                Func::Gelu => &[Func::Silu],
                Func::Silu => &[Func::Gelu],
                Func::NormalCdf => &[Func::Sigmoid],
                Func::Max => &[Func::Min],
                Func::Min => &[Func::Max],
                _ => &[],
            };
            let kind = if matches!(f, Func::Exp | Func::Ln) {
                MutationKind::SwapExpLn
            } else {
                MutationKind::SwapActivation
            };
            for &g in swapped {
                let call = store.add(Node::Call(g, args.clone()));
                out.push((kind, call));
            }
        }
        Node::Index(base, idx) => {
            for k in 0..idx.len().saturating_sub(1) {
                if idx[k] == idx[k + 1] {
                    continue;
                }
                let mut v = idx.to_vec();
                v.swap(k, k + 1);
                let swapped = store.add(Node::Index(base, v.into()));
                out.push((MutationKind::SwapIndices, swapped));
            }
            if let [only] = idx[..] {
                for &other in index_symbols.iter().filter(|&&s| s != only) {
                    let moved = store.add(Node::Index(base, vec![other].into()));
                    out.push((MutationKind::SwapIndices, moved));
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::CmpOp;
    use crate::expr::LimitTo;

    fn shown(store: &Store, ms: &[Mutant]) -> Vec<String> {
        ms.iter()
            .map(|m| format!("{}: {}", m.kind.name(), store.display_ascii(m.root)))
            .collect()
    }

    #[test]
    fn sums_products_and_constants() {
        let mut s = Store::new();
        let x = s.sym("x");
        let y = s.sym("y");
        let two = s.int(2);
        let two_x = s.product(vec![two, x]);
        // 2·x − y, stored as Add[Mul[2, x], Mul[−1, y]]
        let e = s.sub(two_x, y);
        let ms = mutants(&mut s, e, &[]);
        assert_eq!(
            shown(&s, &ms),
            [
                "flip sign: -2*x - y",
                "flip sign: 2*x + y",
                "drop factor: 2 - y",
                "change constant: 3*x - y",
                "drop factor: 2*x - 1",
                "change constant: 2*x + 0*y",
            ]
        );
        // every mutant records the occurrence it changed
        assert_eq!(ms[0].original, e);
        assert_eq!(ms[3].original, two);
        assert_eq!(
            s.as_num(ms[3].replacement),
            Some(&BigRational::from_integer(3.into()))
        );
    }

    #[test]
    fn exp_ln_and_activations_swap() {
        let mut s = Store::new();
        let x = s.sym("x");
        let ex = s.call1(Func::Exp, x);
        let one = s.one();
        let inner = s.sum(vec![one, ex]);
        let log = s.call1(Func::Ln, inner);
        let sig = s.call1(Func::Sigmoid, x);
        // ln(1 + exp(x)) · σ(x)
        let e = s.product(vec![log, sig]);
        let ms = mutants(&mut s, e, &[]);
        assert_eq!(
            shown(&s, &ms),
            [
                "flip sign: -ln(1 + exp(x))*sigma(x)",
                "drop factor: sigma(x)",
                "drop factor: ln(1 + exp(x))",
                "swap exp/ln: exp(1 + exp(x))*sigma(x)",
                "flip sign: ln(-1 + exp(x))*sigma(x)",
                "flip sign: ln(1 - exp(x))*sigma(x)",
                "change constant: ln(2 + exp(x))*sigma(x)",
                "swap exp/ln: ln(1 + ln(x))*sigma(x)",
                "swap activation: ln(1 + exp(x))*softplus(x)",
                "swap activation: ln(1 + exp(x))*tanh(x)",
            ]
        );
    }

    #[test]
    fn indices_swap_and_move() {
        let mut s = Store::new();
        let w = s.sym("W");
        let v = s.sym("v");
        let i = s.sym("i");
        let j = s.sym("j");
        let wij = s.add(Node::Index(w, vec![i, j].into()));
        let vi = s.add(Node::Index(v, vec![i].into()));
        let e = s.product(vec![wij, vi]);
        let candidates = index_symbols(&s, &[e]);
        assert_eq!(candidates, vec![i, j]);
        let ms = mutants(&mut s, e, &candidates);
        let swaps: Vec<Mutant> = ms
            .iter()
            .copied()
            .filter(|m| m.kind == MutationKind::SwapIndices)
            .collect();
        assert_eq!(swaps.len(), 2);
        let wji = s.add(Node::Index(w, vec![j, i].into()));
        let vj = s.add(Node::Index(v, vec![j].into()));
        assert_eq!(swaps[0].root, s.product(vec![wji, vi]));
        assert_eq!(swaps[1].root, s.product(vec![wij, vj]));
        // equal indices have nothing to swap
        let wii = s.add(Node::Index(w, vec![i, i].into()));
        assert!(mutants(&mut s, wii, &[i]).is_empty());
    }

    #[test]
    fn a_bound_sum_index_is_not_a_candidate() {
        let mut s = Store::new();
        let v = s.sym("v");
        let i = s.sym("i");
        let k = s.symbol("k");
        let k_id = s.add(Node::Sym(k));
        let vk = s.add(Node::Index(v, vec![k_id].into()));
        let one = s.one();
        let n = s.sym("n");
        let total = s.add(Node::Sum {
            index: k,
            lower: one,
            upper: n,
            body: vk,
        });
        let vi = s.add(Node::Index(v, vec![i].into()));
        assert_eq!(index_symbols(&s, &[total, vi]), vec![i]);
    }

    #[test]
    fn only_the_chosen_occurrence_changes() {
        let mut s = Store::new();
        let x = s.sym("x");
        let ex = s.call1(Func::Exp, x);
        // exp(x) + exp(x): one shared node, two positions
        let e = s.add(Node::Add(vec![ex, ex].into()));
        let ms = mutants(&mut s, e, &[]);
        let swaps: Vec<String> = shown(&s, &ms)
            .into_iter()
            .filter(|t| t.starts_with("swap"))
            .collect();
        assert_eq!(
            swaps,
            ["swap exp/ln: ln(x) + exp(x)", "swap exp/ln: exp(x) + ln(x)"]
        );
        // the original is untouched
        assert_eq!(s.display_ascii(e), "exp(x) + exp(x)");
    }

    #[test]
    fn with_child_agrees_with_children_for_every_node_kind() {
        let mut s = Store::new();
        let x = s.sym("x");
        let y = s.sym("y");
        let f = s.symbol("f");
        let k = s.symbol("k");
        let zero = s.zero();
        let one = s.one();
        let gt = s.cmp(CmpOp::Gt, x, zero);
        let lt = s.cmp(CmpOp::Lt, x, one);
        let nodes = vec![
            s.add(Node::Add(vec![x, y].into())),
            s.add(Node::Mul(vec![x, y].into())),
            s.pow(x, y),
            s.call1(Func::Exp, x),
            s.add(Node::Apply(f, vec![x, y].into())),
            s.add(Node::FnDeriv {
                func: f,
                orders: vec![1, 0].into(),
                args: vec![x, y].into(),
            }),
            s.add(Node::Index(x, vec![y, one].into())),
            s.add(Node::Sum {
                index: k,
                lower: one,
                upper: y,
                body: x,
            }),
            s.add(Node::Piecewise {
                branches: vec![(gt, x), (lt, y)].into(),
                otherwise: Some(one),
            }),
            gt,
            s.add(Node::And(vec![gt, lt].into())),
            s.add(Node::Vector(vec![x, y, one].into())),
            s.add(Node::Limit {
                var: k,
                to: LimitTo::PosInf,
                body: x,
            }),
            s.add(Node::Limit {
                var: k,
                to: LimitTo::Point(zero),
                body: x,
            }),
        ];
        let marker = s.sym("marker");
        for id in nodes {
            let children = s.children(id);
            assert!(!children.is_empty(), "{}", s.display(id));
            for (pos, &c) in children.iter().enumerate() {
                assert_eq!(with_child(&mut s, id, pos, c), id, "{}", s.display(id));
                let changed = with_child(&mut s, id, pos, marker);
                let mut expected = children.clone();
                expected[pos] = marker;
                assert_eq!(s.children(changed), expected, "{}", s.display(id));
            }
        }
    }

    #[test]
    fn select_takes_kinds_round_robin() {
        let mut s = Store::new();
        let x = s.sym("x");
        let terms: Vec<ExprId> = (1..=5)
            .map(|c| {
                let c = s.int(c);
                s.product(vec![c, x])
            })
            .collect();
        let e = s.sum(terms);
        let ms = mutants(&mut s, e, &[]);
        let picked: Vec<MutationKind> = select(&ms, 4).iter().map(|m| m.kind).collect();
        assert_eq!(
            picked,
            [
                MutationKind::FlipSign,
                MutationKind::DropFactor,
                MutationKind::ChangeConstant,
                MutationKind::FlipSign
            ]
        );
        assert_eq!(select(&ms, 1000).len(), ms.len());
        assert!(select(&ms, 0).is_empty());
    }

    #[test]
    fn shared_dags_are_cut_off_at_max_positions() {
        let mut s = Store::new();
        let x = s.sym("x");
        let mut e = x;
        // 2^20 leaves as a tree, 21 nodes as a DAG
        for _ in 0..20 {
            e = s.add(Node::Add(vec![e, e].into()));
        }
        let ms = mutants(&mut s, e, &[]);
        // pre-order visits 20 sums on the way down to the first leaf, then
        // alternates; each visited sum gives two sign flips
        assert!(ms.iter().all(|m| m.kind == MutationKind::FlipSign));
        let half = s.children(e)[0];
        let negated = s.neg(half);
        assert_eq!(ms[0].root, s.add(Node::Add(vec![negated, half].into())));
        // of the first 10,000 positions in pre-order, 5,008 are sums
        assert_eq!(ms.len(), 10_016);
    }
}
