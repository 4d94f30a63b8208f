//! A deterministic structural order on expressions, independent of insertion order.
//!
//! `ExprId`s depend on the order nodes were interned, so sorting by id would make
//! the canonical form of `x + y` depend on which symbol was seen first. This order
//! compares structure: numbers first, then symbols by name, then compound nodes by
//! kind and children. Deep comparisons stop at a fixed depth and fall back to a
//! structural fingerprint so that 10,000-deep terms cannot exhaust the stack.

use crate::expr::{ExprId, Node, Store};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Past this depth two terms are ordered by fingerprint instead of structure.
const MAX_COMPARE_DEPTH: usize = 3;

fn kind_rank(node: &Node) -> u8 {
    match node {
        Node::Num(_) => 0,
        Node::Sym(_) => 1,
        Node::Index(..) => 2,
        Node::Apply(..) => 3,
        Node::FnDeriv { .. } => 4,
        Node::Call(..) => 5,
        Node::Pow(..) => 6,
        Node::Mul(_) => 7,
        Node::Add(_) => 8,
        Node::Sum { .. } => 9,
        Node::Piecewise { .. } => 10,
        Node::Vector(_) => 11,
        Node::Limit { .. } => 12,
        Node::Cmp(..) => 13,
        Node::And(_) => 14,
    }
}

/// The structural order: total, deterministic, and `Equal` only for equal ids
/// (up to a 64-bit fingerprint collision in terms deeper than the depth limit,
/// where the ids break the tie).
pub fn compare(store: &Store, a: ExprId, b: ExprId) -> Ordering {
    Order::default().compare(store, a, b)
}

/// The structural order with its fingerprints cached, so that sorting many
/// deep terms costs a bounded amount per comparison.
#[derive(Debug, Default)]
pub struct Order {
    fingerprints: RefCell<HashMap<ExprId, u64>>,
}

impl Order {
    pub fn compare(&self, store: &Store, a: ExprId, b: ExprId) -> Ordering {
        compare_at(store, a, b, 0, self)
    }

    /// The order of factors in a product: by base first, so `x^2·y` reads in
    /// alphabetical order, then by the whole factor.
    pub fn compare_factors(&self, store: &Store, a: ExprId, b: ExprId) -> Ordering {
        let base = |e: ExprId| match store.node(e) {
            Node::Pow(b, _) => *b,
            _ => e,
        };
        self.compare(store, base(a), base(b))
            .then_with(|| self.compare(store, a, b))
    }

    fn fingerprint(&self, store: &Store, e: ExprId) -> u64 {
        let mut cache = self.fingerprints.borrow_mut();
        fingerprint_cached(store, e, &mut cache)
    }
}

fn compare_slices(
    store: &Store,
    xs: &[ExprId],
    ys: &[ExprId],
    depth: usize,
    order: &Order,
) -> Ordering {
    for (&x, &y) in xs.iter().zip(ys.iter()) {
        let o = compare_at(store, x, y, depth + 1, order);
        if o != Ordering::Equal {
            return o;
        }
    }
    xs.len().cmp(&ys.len())
}

fn compare_at(store: &Store, a: ExprId, b: ExprId, depth: usize, order: &Order) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if depth > MAX_COMPARE_DEPTH {
        return order
            .fingerprint(store, a)
            .cmp(&order.fingerprint(store, b))
            .then(a.cmp(&b));
    }
    let (na, nb) = (store.node(a), store.node(b));
    let rank = kind_rank(na).cmp(&kind_rank(nb));
    if rank != Ordering::Equal {
        return rank;
    }
    let o = match (na, nb) {
        (Node::Num(x), Node::Num(y)) => x.cmp(y),
        (Node::Sym(x), Node::Sym(y)) => store.name(*x).cmp(store.name(*y)),
        (Node::Index(bx, ix), Node::Index(by, iy)) => compare_at(store, *bx, *by, depth + 1, order)
            .then_with(|| compare_slices(store, ix, iy, depth, order)),
        (Node::Apply(f, xs), Node::Apply(g, ys)) => store
            .name(*f)
            .cmp(store.name(*g))
            .then_with(|| compare_slices(store, xs, ys, depth, order)),
        (
            Node::FnDeriv {
                func: f,
                orders: of,
                args: xs,
            },
            Node::FnDeriv {
                func: g,
                orders: og,
                args: ys,
            },
        ) => store
            .name(*f)
            .cmp(store.name(*g))
            .then_with(|| of.cmp(og))
            .then_with(|| compare_slices(store, xs, ys, depth, order)),
        (Node::Call(f, xs), Node::Call(g, ys)) => f
            .name()
            .cmp(g.name())
            .then_with(|| compare_slices(store, xs, ys, depth, order)),
        (Node::Pow(bx, ex), Node::Pow(by, ey)) => compare_at(store, *bx, *by, depth + 1, order)
            .then_with(|| compare_at(store, *ex, *ey, depth + 1, order)),
        _ => compare_slices(store, &store.children(a), &store.children(b), depth, order),
    };
    // distinct ids can only compare equal here for nodes that differ outside their
    // children (a Sum's bound index, a Cmp's operator): the fingerprint decides
    o.then_with(|| {
        order
            .fingerprint(store, a)
            .cmp(&order.fingerprint(store, b))
    })
    .then(a.cmp(&b))
}

/// A hash of the structure (names and numbers, not ids), computed bottom-up
/// without recursion; `done` caches it for every node visited.
fn fingerprint_cached(store: &Store, root: ExprId, done: &mut HashMap<ExprId, u64>) -> u64 {
    let mut stack = vec![(root, false)];
    while let Some((id, expanded)) = stack.pop() {
        if done.contains_key(&id) {
            continue;
        }
        let children = store.children(id);
        if !expanded {
            stack.push((id, true));
            stack.extend(children.iter().map(|&c| (c, false)));
            continue;
        }
        let mut h = DefaultHasher::new();
        let node = store.node(id);
        kind_rank(node).hash(&mut h);
        match node {
            Node::Num(r) => r.hash(&mut h),
            Node::Sym(s) => store.name(*s).hash(&mut h),
            Node::Apply(f, _) => store.name(*f).hash(&mut h),
            Node::FnDeriv { func, orders, .. } => {
                store.name(*func).hash(&mut h);
                orders.hash(&mut h);
            }
            Node::Call(f, _) => f.name().hash(&mut h),
            Node::Cmp(op, ..) => op.hash(&mut h),
            Node::Sum { index, .. } => store.name(*index).hash(&mut h),
            Node::Limit { var, to, .. } => {
                store.name(*var).hash(&mut h);
                std::mem::discriminant(to).hash(&mut h);
            }
            _ => {}
        }
        for c in children {
            done.get(&c).copied().unwrap_or(0).hash(&mut h);
        }
        done.insert(id, h.finish());
    }
    done.get(&root).copied().unwrap_or(0)
}
