//! An expression DAG compiled once for evaluation at many points: a flat list of slots.
//!
//! Compiling numbers every node reachable from a root with a slot, children
//! before parents (post-order), and records per slot the node's id, its
//! children's slots (in `Node::children` order) and the bit mask of the
//! symbols free in it. None of that depends on the point, so a checker that
//! evaluates one claim at forty points builds it once instead of rebuilding
//! masks and hashing ids at every point. The plan also keeps the evaluator's
//! memo (one entry per slot, stamped with the evaluation scope it belongs to),
//! so a new evaluation starts with a fresh stamp instead of a fresh table.
//!
//! A plan describes one store as it is while the plan is used: nodes are only
//! read, and a store that is rewound and rebuilt needs a new plan.

use super::{EvalError, Value};
use crate::expr::id_hash::IdMap;
use crate::expr::{ExprId, Node, Store, Symbol};

/// The result of one node: a number or a truth value.
#[derive(Clone, Debug)]
pub(super) enum Out {
    Num(Value),
    Bool(bool),
}

pub(super) type Outcome = Result<Out, EvalError>;

/// The bit shared by every symbol past the first 127 (a conservative "may depend").
pub(super) const SHARED_BIT: u32 = 127;

/// One memoized outcome: valid while the scope that recorded it still has `stamp`.
pub(super) struct Memo {
    pub(super) stamp: u64,
    pub(super) outcome: Option<Outcome>,
}

/// A compiled DAG and the memo of the evaluation running on it.
#[derive(Default)]
pub struct Plan {
    slot_of: IdMap<ExprId, u32>,
    ids: Vec<ExprId>,
    /// `(start, len)` of each slot's children in `kids`.
    spans: Vec<(u32, u32)>,
    kids: Vec<u32>,
    masks: Vec<u128>,
    symbol_bits: IdMap<Symbol, u32>,
    pub(super) memo: Vec<Memo>,
    /// The last stamp handed out; stamps only grow, so an entry recorded by
    /// an earlier evaluation (or an earlier term of a `Σ`) is never current.
    stamp: u64,
}

impl Plan {
    pub fn new() -> Plan {
        Plan::default()
    }

    /// A stamp no memo entry carries yet.
    pub(super) fn fresh_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.stamp
    }

    pub(super) fn id(&self, slot: u32) -> ExprId {
        self.ids[slot as usize]
    }

    pub(super) fn kids(&self, slot: u32) -> &[u32] {
        let (start, len) = self.spans[slot as usize];
        &self.kids[start as usize..(start + len) as usize]
    }

    pub(super) fn mask(&self, slot: u32) -> u128 {
        self.masks[slot as usize]
    }

    pub(super) fn bit_index(&mut self, s: Symbol) -> u32 {
        let next = (self.symbol_bits.len() as u32).min(SHARED_BIT);
        *self.symbol_bits.entry(s).or_insert(next)
    }

    pub(super) fn bit_mask(&mut self, s: Symbol) -> u128 {
        1u128 << self.bit_index(s)
    }

    /// The slot of `root`, compiling every node under it not compiled yet
    /// (children before parents, with an explicit stack).
    pub(super) fn compile(&mut self, store: &Store, root: ExprId) -> u32 {
        if let Some(&slot) = self.slot_of.get(&root) {
            return slot;
        }
        let mut stack = vec![(root, false)];
        while let Some((id, children_done)) = stack.pop() {
            if self.slot_of.contains_key(&id) {
                continue;
            }
            let node = store.node(id);
            let children = node.children();
            if !children_done {
                stack.push((id, true));
                stack.extend(
                    children
                        .into_iter()
                        .filter(|c| !self.slot_of.contains_key(c))
                        .map(|c| (c, false)),
                );
                continue;
            }
            let start = self.kids.len() as u32;
            let mut union = 0u128;
            for c in &children {
                let slot = self.slot_of[c];
                union |= self.masks[slot as usize];
                self.kids.push(slot);
            }
            let mask_of = |plan: &Plan, e: &ExprId| plan.masks[plan.slot_of[e] as usize];
            let mask = match node {
                Node::Sym(s) => self.bit_mask(*s),
                Node::Sum {
                    index,
                    lower,
                    upper,
                    body,
                } => {
                    let bit = self.bit_index(*index);
                    let body_mask = if bit == SHARED_BIT {
                        mask_of(self, body)
                    } else {
                        mask_of(self, body) & !(1u128 << bit)
                    };
                    mask_of(self, lower) | mask_of(self, upper) | body_mask
                }
                _ => union,
            };
            let slot = self.ids.len() as u32;
            self.ids.push(id);
            self.spans.push((start, children.len() as u32));
            self.masks.push(mask);
            self.memo.push(Memo {
                stamp: 0,
                outcome: None,
            });
            self.slot_of.insert(id, slot);
        }
        self.slot_of[&root]
    }

    /// The number of compiled nodes.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}
