//! The expression store: hash-consed nodes in one arena, addressed by `ExprId`.
//!
//! Invariant: a `Node` is stored once; adding an equal node returns the id it
//! already has, so equal subterms share one id and `ExprId` equality is
//! structural equality. Nodes are immutable once added.
//!
//! The store keeps what it is given: `a - b` is `Add[a, Mul[-1, b]]` and `a / b`
//! is `Mul[a, Pow[b, -1]]`, but sums and products are not flattened or sorted
//! here; that is the canonical form's job (`crate::simplify`).

pub mod func;
pub mod id_hash;
mod latex;
pub mod names;
mod print;
mod shared;
mod sympy;

pub use func::{Func, LatexForm};
pub use latex::{ascii_math, ascii_text, latex_name, to_latex};
pub use print::{PrintStyle, Printer};
pub use shared::{shared_form, Definition, SharedForm, SHARED_FORM_MIN_TREE};
pub use sympy::to_sympy;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};
use std::collections::HashMap;

/// An expression in a `Store`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(u32);

impl ExprId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An interned name (variable, size, index, or uninterpreted function).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

/// Where a limit's variable goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitTo {
    PosInf,
    NegInf,
    Point(ExprId),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// An exact rational number.
    Num(BigRational),
    /// A scalar variable, a size (`dim`) or an index variable.
    Sym(Symbol),
    Add(Box<[ExprId]>),
    Mul(Box<[ExprId]>),
    Pow(ExprId, ExprId),
    /// A built-in function applied to its arguments.
    Call(Func, Box<[ExprId]>),
    /// An uninterpreted function applied: `f(x)`, `x(u)`.
    Apply(Symbol, Box<[ExprId]>),
    /// A partial derivative of an uninterpreted function at its arguments:
    /// `orders[k]` times with respect to argument `k` (`f'(x)` is orders `[1]`).
    FnDeriv {
        func: Symbol,
        orders: Box<[u32]>,
        args: Box<[ExprId]>,
    },
    /// A component: `v_i` (base `Sym(v)`), `W_(k,j)`, `x(u)_i` (base `Apply`).
    Index(ExprId, Box<[ExprId]>),
    /// `Σ_{index = lower}^{upper} body`.
    Sum {
        index: Symbol,
        lower: ExprId,
        upper: ExprId,
        body: ExprId,
    },
    /// `branches` are `(condition, value)`, tried in order; with no `otherwise`
    /// and no condition true, the expression is undefined there.
    Piecewise {
        branches: Box<[(ExprId, ExprId)]>,
        otherwise: Option<ExprId>,
    },
    /// A comparison (a condition, not a number).
    Cmp(CmpOp, ExprId, ExprId),
    /// All conditions hold.
    And(Box<[ExprId]>),
    /// A vector literal with one expression per entry.
    Vector(Box<[ExprId]>),
    /// `lim var -> to of body`.
    Limit {
        var: Symbol,
        to: LimitTo,
        body: ExprId,
    },
}

impl Node {
    /// The direct children, in order (conditions included). This and
    /// [`Node::with_children`] are the one place the node layout is spelled out;
    /// every walk over the DAG goes through them.
    pub fn children(&self) -> Vec<ExprId> {
        match self {
            Node::Num(_) | Node::Sym(_) => Vec::new(),
            Node::Add(xs) | Node::Mul(xs) | Node::And(xs) | Node::Vector(xs) => xs.to_vec(),
            Node::Call(_, xs) | Node::Apply(_, xs) => xs.to_vec(),
            Node::FnDeriv { args, .. } => args.to_vec(),
            Node::Pow(a, b) | Node::Cmp(_, a, b) => vec![*a, *b],
            Node::Index(base, idx) => std::iter::once(*base).chain(idx.iter().copied()).collect(),
            Node::Sum {
                lower, upper, body, ..
            } => vec![*lower, *upper, *body],
            Node::Piecewise {
                branches,
                otherwise,
            } => branches
                .iter()
                .flat_map(|&(c, v)| [c, v])
                .chain(*otherwise)
                .collect(),
            Node::Limit { to, body, .. } => match to {
                LimitTo::Point(p) => vec![*p, *body],
                _ => vec![*body],
            },
        }
    }

    /// The same node with `kids` as its children (as [`Node::children`] lists
    /// them; binders, operators and names kept), or `None` when `kids` does not
    /// fit the node's layout.
    pub fn with_children(&self, kids: &[ExprId]) -> Option<Node> {
        if kids.len() != self.children().len() {
            return None;
        }
        Some(match self {
            Node::Num(_) | Node::Sym(_) => self.clone(),
            Node::Add(_) => Node::Add(kids.into()),
            Node::Mul(_) => Node::Mul(kids.into()),
            Node::And(_) => Node::And(kids.into()),
            Node::Vector(_) => Node::Vector(kids.into()),
            Node::Call(f, _) => Node::Call(*f, kids.into()),
            Node::Apply(f, _) => Node::Apply(*f, kids.into()),
            Node::FnDeriv { func, orders, .. } => Node::FnDeriv {
                func: *func,
                orders: orders.clone(),
                args: kids.into(),
            },
            Node::Pow(..) => Node::Pow(kids[0], kids[1]),
            Node::Cmp(op, ..) => Node::Cmp(*op, kids[0], kids[1]),
            Node::Index(..) => Node::Index(kids[0], kids[1..].into()),
            Node::Sum { index, .. } => Node::Sum {
                index: *index,
                lower: kids[0],
                upper: kids[1],
                body: kids[2],
            },
            Node::Piecewise { branches, .. } => {
                let n = branches.len();
                Node::Piecewise {
                    branches: kids[..2 * n].chunks(2).map(|p| (p[0], p[1])).collect(),
                    otherwise: kids.get(2 * n).copied(),
                }
            }
            Node::Limit { var, to, .. } => match to {
                LimitTo::Point(_) => Node::Limit {
                    var: *var,
                    to: LimitTo::Point(kids[0]),
                    body: kids[1],
                },
                other => Node::Limit {
                    var: *var,
                    to: *other,
                    body: kids[0],
                },
            },
        })
    }
}

/// A point in a store's history (see [`Store::mark`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreMark {
    nodes: usize,
    names: usize,
}

/// The arena of nodes and the table of interned names.
#[derive(Clone, Debug, Default)]
pub struct Store {
    nodes: Vec<Node>,
    ids: HashMap<Node, ExprId>,
    names: Vec<String>,
    symbols: HashMap<String, Symbol>,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// An empty store with this store's names, so a `Symbol` means the same
    /// in both: a place to copy a few of this store's expressions into.
    pub fn names_only(&self) -> Store {
        Store {
            nodes: Vec::new(),
            ids: HashMap::new(),
            names: self.names.clone(),
            symbols: self.symbols.clone(),
        }
    }

    /// The number of distinct nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// How far the store reaches now: [`Store::rewind`] to it forgets every
    /// node and name added since.
    pub fn mark(&self) -> StoreMark {
        StoreMark {
            nodes: self.nodes.len(),
            names: self.names.len(),
        }
    }

    /// Forgets every node and name added after `mark`, so the store is as it
    /// was then: ids and names handed out afterwards are handed out again the
    /// same way (each claim is checked from the same store, whatever ran before).
    pub fn rewind(&mut self, mark: StoreMark) {
        for node in self.nodes.drain(mark.nodes.min(self.nodes.len())..) {
            self.ids.remove(&node);
        }
        for name in self.names.drain(mark.names.min(self.names.len())..) {
            self.symbols.remove(&name);
        }
    }

    /// Adds a node, or returns the id of the equal node already stored.
    pub fn add(&mut self, node: Node) -> ExprId {
        if let Some(&id) = self.ids.get(&node) {
            return id;
        }
        let id = ExprId(u32::try_from(self.nodes.len()).expect("fewer than 2^32 nodes"));
        self.nodes.push(node.clone());
        self.ids.insert(node, id);
        id
    }

    pub fn node(&self, id: ExprId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn symbol(&mut self, name: &str) -> Symbol {
        if let Some(&s) = self.symbols.get(name) {
            return s;
        }
        let s = Symbol(u32::try_from(self.names.len()).expect("fewer than 2^32 names"));
        self.names.push(name.to_string());
        self.symbols.insert(name.to_string(), s);
        s
    }

    /// The symbol for `name` if it was ever interned.
    pub fn find_symbol(&self, name: &str) -> Option<Symbol> {
        self.symbols.get(name).copied()
    }

    pub fn name(&self, s: Symbol) -> &str {
        &self.names[s.0 as usize]
    }

    /// The name as a person reads it: a bound index `j#3` (renamed apart so it
    /// can never capture a free `j`) shows as `j`.
    pub fn display_name(&self, s: Symbol) -> &str {
        let name = self.name(s);
        name.split_once('#').map_or(name, |(head, _)| head)
    }

    // ----- builders: they intern, and fold only the trivial cases noted -----

    pub fn num(&mut self, r: BigRational) -> ExprId {
        self.add(Node::Num(r))
    }

    pub fn int(&mut self, n: i64) -> ExprId {
        self.num(BigRational::from_integer(BigInt::from(n)))
    }

    pub fn ratio(&mut self, numer: i64, denom: i64) -> ExprId {
        self.num(BigRational::new(BigInt::from(numer), BigInt::from(denom)))
    }

    pub fn zero(&mut self) -> ExprId {
        self.num(BigRational::zero())
    }

    pub fn one(&mut self) -> ExprId {
        self.num(BigRational::one())
    }

    pub fn sym(&mut self, name: &str) -> ExprId {
        let s = self.symbol(name);
        self.add(Node::Sym(s))
    }

    /// A sum; `[]` is 0 and `[a]` is `a`.
    pub fn sum(&mut self, terms: Vec<ExprId>) -> ExprId {
        match terms.len() {
            0 => self.zero(),
            1 => terms[0],
            _ => self.add(Node::Add(terms.into())),
        }
    }

    /// A product; `[]` is 1 and `[a]` is `a`.
    pub fn product(&mut self, factors: Vec<ExprId>) -> ExprId {
        match factors.len() {
            0 => self.one(),
            1 => factors[0],
            _ => self.add(Node::Mul(factors.into())),
        }
    }

    pub fn pow(&mut self, base: ExprId, exponent: ExprId) -> ExprId {
        self.add(Node::Pow(base, exponent))
    }

    /// `-a` as `Mul[-1, a]` (a number is negated directly).
    pub fn neg(&mut self, a: ExprId) -> ExprId {
        if let Node::Num(r) = self.node(a) {
            let r = -r.clone();
            return self.num(r);
        }
        let minus_one = self.int(-1);
        self.product(vec![minus_one, a])
    }

    pub fn sub(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let nb = self.neg(b);
        self.sum(vec![a, nb])
    }

    /// `a / b` as `Mul[a, Pow[b, -1]]`.
    pub fn div(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let inv = self.recip(b);
        if self.as_num(a).is_some_and(|r| r.is_one()) {
            return inv;
        }
        self.product(vec![a, inv])
    }

    /// `1 / b` as `Pow[b, -1]`.
    pub fn recip(&mut self, b: ExprId) -> ExprId {
        let minus_one = self.int(-1);
        self.pow(b, minus_one)
    }

    pub fn call(&mut self, f: Func, args: Vec<ExprId>) -> ExprId {
        self.add(Node::Call(f, args.into()))
    }

    pub fn call1(&mut self, f: Func, a: ExprId) -> ExprId {
        self.call(f, vec![a])
    }

    pub fn cmp(&mut self, op: CmpOp, a: ExprId, b: ExprId) -> ExprId {
        self.add(Node::Cmp(op, a, b))
    }

    // ----- queries -----

    pub fn as_num(&self, id: ExprId) -> Option<&BigRational> {
        match self.node(id) {
            Node::Num(r) => Some(r),
            _ => None,
        }
    }

    pub fn as_sym(&self, id: ExprId) -> Option<Symbol> {
        match self.node(id) {
            Node::Sym(s) => Some(*s),
            _ => None,
        }
    }

    /// The direct children of a node, in order (conditions included).
    pub fn children(&self, id: ExprId) -> Vec<ExprId> {
        self.node(id).children()
    }

    /// `id` with `kids` as its children (`id` itself when they are its own or
    /// do not fit its layout).
    pub fn with_children(&mut self, id: ExprId, kids: &[ExprId]) -> ExprId {
        let node = self.node(id);
        if node.children() == kids {
            return id;
        }
        match node.with_children(kids) {
            Some(rebuilt) => self.add(rebuilt),
            None => id,
        }
    }

    /// `id` with child `k` replaced by `new`.
    pub fn with_child(&mut self, id: ExprId, k: usize, new: ExprId) -> ExprId {
        let mut kids = self.children(id);
        match kids.get_mut(k) {
            Some(slot) => *slot = new,
            None => return id,
        }
        self.with_children(id, &kids)
    }

    /// Whether symbol `s` occurs free in `id` (a `Sum` binds its index; a
    /// `Limit` binds its variable).
    /// Whether `target` occurs in `id` (the DAG walked once).
    pub fn contains_node(&self, id: ExprId, target: ExprId) -> bool {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![id];
        while let Some(e) = stack.pop() {
            if e == target {
                return true;
            }
            if seen.insert(e) {
                stack.extend(self.children(e));
            }
        }
        false
    }

    pub fn contains_symbol(&self, id: ExprId, s: Symbol) -> bool {
        let mut memo = HashMap::new();
        self.contains_symbol_memo(id, s, &mut memo)
    }

    fn contains_symbol_memo(
        &self,
        id: ExprId,
        s: Symbol,
        memo: &mut HashMap<ExprId, bool>,
    ) -> bool {
        if let Some(&known) = memo.get(&id) {
            return known;
        }
        let found = match self.node(id) {
            Node::Sym(t) => *t == s,
            Node::Sum { index, .. } | Node::Limit { var: index, .. } if *index == s => {
                // the bound variable shadows `s` in the body; the bounds may still use it
                let bounds: Vec<ExprId> = match self.node(id) {
                    Node::Sum { lower, upper, .. } => vec![*lower, *upper],
                    _ => Vec::new(),
                };
                bounds
                    .into_iter()
                    .any(|c| self.contains_symbol_memo(c, s, memo))
            }
            Node::Apply(f, _) | Node::FnDeriv { func: f, .. } if *f == s => true,
            _ => self
                .children(id)
                .into_iter()
                .any(|c| self.contains_symbol_memo(c, s, memo)),
        };
        memo.insert(id, found);
        found
    }

    /// The free symbols of `id` (bound sum indices and limit variables excluded;
    /// function names included), sorted by name for reproducible sampling.
    pub fn free_symbols(&self, id: ExprId) -> Vec<Symbol> {
        let mut found = std::collections::BTreeSet::new();
        let mut seen = std::collections::HashSet::new();
        self.collect_free(id, &mut Vec::new(), &mut seen, &mut found);
        let mut out: Vec<Symbol> = found.into_iter().collect();
        out.sort_by(|a, b| self.name(*a).cmp(self.name(*b)));
        out
    }

    /// The free symbols of several roots: each root's [`Store::free_symbols`] in
    /// turn, a symbol listed where it first appears.
    pub fn free_symbols_of(&self, roots: impl IntoIterator<Item = ExprId>) -> Vec<Symbol> {
        let mut symbols: Vec<Symbol> = Vec::new();
        for r in roots {
            for s in self.free_symbols(r) {
                if !symbols.contains(&s) {
                    symbols.push(s);
                }
            }
        }
        symbols
    }

    fn collect_free(
        &self,
        id: ExprId,
        bound: &mut Vec<Symbol>,
        seen: &mut std::collections::HashSet<(ExprId, usize)>,
        found: &mut std::collections::BTreeSet<Symbol>,
    ) {
        // with no binders in scope a node's free symbols are fixed: visit it once
        if bound.is_empty() && !seen.insert((id, 0)) {
            return;
        }
        match self.node(id) {
            Node::Sym(s) => {
                if !bound.contains(s) {
                    found.insert(*s);
                }
            }
            Node::Apply(f, _) | Node::FnDeriv { func: f, .. } => {
                if !bound.contains(f) {
                    found.insert(*f);
                }
                for c in self.children(id) {
                    self.collect_free(c, bound, seen, found);
                }
            }
            Node::Sum {
                index,
                lower,
                upper,
                body,
            } => {
                self.collect_free(*lower, bound, seen, found);
                self.collect_free(*upper, bound, seen, found);
                bound.push(*index);
                self.collect_free(*body, bound, seen, found);
                bound.pop();
            }
            Node::Limit { var, to, body } => {
                if let LimitTo::Point(p) = to {
                    self.collect_free(*p, bound, seen, found);
                }
                bound.push(*var);
                self.collect_free(*body, bound, seen, found);
                bound.pop();
            }
            _ => {
                for c in self.children(id) {
                    self.collect_free(c, bound, seen, found);
                }
            }
        }
    }

    /// `id` with every free occurrence of symbol `s` replaced by `value`
    /// (a `Sum` or `Limit` that binds `s` is left alone inside).
    pub fn substitute(&mut self, id: ExprId, s: Symbol, value: ExprId) -> ExprId {
        self.substitute_with(id, s, value, &mut HashMap::new())
    }

    /// [`Store::substitute`] with the memo kept by the caller, so several
    /// expressions substituted alike share the work.
    pub fn substitute_with(
        &mut self,
        id: ExprId,
        s: Symbol,
        value: ExprId,
        memo: &mut HashMap<ExprId, ExprId>,
    ) -> ExprId {
        self.rebuild(
            id,
            memo,
            &mut |store, e| match store.node(e) {
                Node::Sym(t) if *t == s => Some(value),
                Node::Sum { index, .. } | Node::Limit { var: index, .. } if *index == s => Some(e),
                _ => None,
            },
            &mut |_, rebuilt, _| rebuilt,
        )
    }

    /// `id` with each node in `replacements` swapped for its value (children
    /// of a replaced node are not visited).
    pub fn replace(&mut self, id: ExprId, replacements: &HashMap<ExprId, ExprId>) -> ExprId {
        let mut memo = replacements.clone();
        self.rebuild(id, &mut memo, &mut |_, _| None, &mut |_, rebuilt, _| {
            rebuilt
        })
    }

    /// The DAG under `root` rebuilt bottom-up by [`rebuild_dag`] on the store
    /// alone: `enter(store, node)` may answer for a node before its children
    /// are visited, `visit(store, rebuilt, original)` gives each other node's result.
    pub fn rebuild(
        &mut self,
        root: ExprId,
        memo: &mut HashMap<ExprId, ExprId>,
        enter: &mut dyn FnMut(&Store, ExprId) -> Option<ExprId>,
        visit: &mut dyn FnMut(&mut Store, ExprId, ExprId) -> ExprId,
    ) -> ExprId {
        let done: Result<ExprId, std::convert::Infallible> = rebuild_dag(
            self,
            |s| s,
            root,
            memo,
            Walk {
                final_results: false,
                enter: &mut |store: &mut Store, e| enter(store, e),
                visit: &mut |store: &mut Store, rebuilt, original| {
                    Ok(visit(store, rebuilt, original))
                },
            },
        );
        let Ok(out) = done;
        out
    }

    /// The nodes under `root`, children before parents (left to right), each
    /// once; iterative, so a 10,000-deep chain needs no deep stack.
    pub fn post_order(&self, root: ExprId) -> Vec<ExprId> {
        let mut order = Vec::new();
        let mut seen: std::collections::HashSet<ExprId> = std::collections::HashSet::new();
        let mut stack = vec![(root, false)];
        while let Some((e, expanded)) = stack.pop() {
            if expanded {
                order.push(e);
                continue;
            }
            if !seen.insert(e) {
                continue;
            }
            stack.push((e, true));
            for c in self.children(e).into_iter().rev() {
                if !seen.contains(&c) {
                    stack.push((c, false));
                }
            }
        }
        order
    }

    /// The number of distinct nodes reachable from `id` (its size as a DAG).
    pub fn dag_size(&self, id: ExprId) -> usize {
        self.dag_size_of(&[id])
    }

    /// Distinct nodes under all of `roots` together (shared ones counted once).
    pub fn dag_size_of(&self, roots: &[ExprId]) -> usize {
        let mut seen = std::collections::HashSet::new();
        let mut stack = roots.to_vec();
        while let Some(e) = stack.pop() {
            if seen.insert(e) {
                stack.extend(self.children(e));
            }
        }
        seen.len()
    }

    /// Plain text with Unicode operators (`σ(x)·(1 − σ(x))`), on one line.
    pub fn display(&self, id: ExprId) -> String {
        Printer::new(self, PrintStyle::default()).to_string(id)
    }

    /// ASCII text that the parser reads back (`sigma(x)*(1 - sigma(x))`).
    pub fn display_ascii(&self, id: ExprId) -> String {
        Printer::new(self, PrintStyle::ascii()).to_string(id)
    }
}

/// Rebuilds the DAG under `root` bottom-up without recursion (see
/// [`rebuild_dag`]), with every node entered.
pub fn rebuild_bottom_up<C, E>(
    ctx: &mut C,
    store_of: fn(&mut C) -> &mut Store,
    root: ExprId,
    memo: &mut HashMap<ExprId, ExprId>,
    final_results: bool,
    visit: &mut dyn FnMut(&mut C, ExprId, ExprId) -> Result<ExprId, E>,
) -> Result<ExprId, E> {
    rebuild_dag(
        ctx,
        store_of,
        root,
        memo,
        Walk {
            final_results,
            enter: &mut |_, _| None,
            visit,
        },
    )
}

/// What a bottom-up rebuild does at each node (see [`rebuild_dag`]).
pub struct Walk<'a, C, E> {
    /// A result is also its own result: the pass is idempotent, so a node it
    /// produced is never entered again.
    pub final_results: bool,
    /// Asked when a node is first reached: `Some(result)` answers for it and
    /// its children are not visited (a binder of the substituted symbol, a leaf).
    pub enter: &'a mut dyn FnMut(&mut C, ExprId) -> Option<ExprId>,
    /// Called after the children, as `visit(ctx, rebuilt, original)`, where
    /// `rebuilt` is the node with its children's results in place.
    pub visit: &'a mut dyn FnMut(&mut C, ExprId, ExprId) -> Result<ExprId, E>,
}

/// The one bottom-up rebuild loop every rewriting pass shares (canonical form,
/// normalization, display folding, substitution, replacement, distribution,
/// the shared form): each node is visited once, after its children, without
/// recursion (a 100,000-deep chain needs no deep stack). `memo` holds the
/// results and may be pre-filled (those nodes are not entered).
pub fn rebuild_dag<C, E>(
    ctx: &mut C,
    store_of: fn(&mut C) -> &mut Store,
    root: ExprId,
    memo: &mut HashMap<ExprId, ExprId>,
    walk: Walk<'_, C, E>,
) -> Result<ExprId, E> {
    let mut stack = vec![(root, false)];
    while let Some((id, expanded)) = stack.pop() {
        if memo.contains_key(&id) {
            continue;
        }
        if !expanded {
            if let Some(out) = (walk.enter)(ctx, id) {
                memo.insert(id, out);
                continue;
            }
        }
        let store = store_of(ctx);
        let kids = store.children(id);
        if !expanded {
            stack.push((id, true));
            stack.extend(
                kids.iter()
                    .filter(|k| !memo.contains_key(k))
                    .map(|&k| (k, false)),
            );
            continue;
        }
        let new_kids: Vec<ExprId> = kids
            .iter()
            .map(|k| memo.get(k).copied().unwrap_or(*k))
            .collect();
        let rebuilt = store.with_children(id, &new_kids);
        let out = (walk.visit)(ctx, rebuilt, id)?;
        memo.insert(id, out);
        if walk.final_results {
            memo.insert(out, out);
        }
    }
    Ok(memo.get(&root).copied().unwrap_or(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_keeps_bound_symbols_and_needs_no_deep_stack() {
        let mut s = Store::new();
        let x = s.sym("x");
        let j = s.symbol("j");
        let jx = s.add(Node::Sym(j));
        let one = s.one();
        let n = s.sym("n");
        let body = s.product(vec![jx, x]);
        let sum = s.add(Node::Sum {
            index: j,
            lower: one,
            upper: n,
            body,
        });
        let two = s.int(2);
        // j is bound in the sum: substituting it changes nothing there
        assert_eq!(s.substitute(sum, j, two), sum);
        let xs = s.find_symbol("x").expect("x");
        let got = s.substitute(sum, xs, two);
        assert_eq!(s.display(got), "Σ_(j=1)^n 2·j");
        // a chain 100,000 deep: the walk is iterative
        let mut e = x;
        for _ in 0..100_000 {
            e = s.call1(Func::Exp, e);
        }
        let y = s.sym("y");
        let swapped = s.substitute(e, xs, y);
        let back = s.replace(swapped, &HashMap::from([(y, x)]));
        assert_eq!(back, e);
        assert_eq!(s.post_order(e).len(), 100_001);
    }

    #[test]
    fn equal_nodes_share_one_id() {
        let mut s = Store::new();
        let x = s.sym("x");
        let a = s.call1(Func::Exp, x);
        let b = s.call1(Func::Exp, x);
        assert_eq!(a, b);
        let one = s.one();
        let sum1 = s.sum(vec![one, a]);
        let sum2 = s.sum(vec![one, b]);
        assert_eq!(sum1, sum2);
        assert_eq!(s.dag_size(sum1), 4);
    }

    #[test]
    fn sum_binds_its_index() {
        let mut s = Store::new();
        let j = s.symbol("j");
        let vj = s.sym("j");
        let one = s.one();
        let n = s.sym("n");
        let body = s.pow(vj, one);
        let total = s.add(Node::Sum {
            index: j,
            lower: one,
            upper: n,
            body,
        });
        assert!(!s.contains_symbol(total, j));
        assert!(s.contains_symbol(body, j));
    }

    #[test]
    fn func_names_resolve_with_aliases() {
        assert_eq!(Func::from_name("log"), Some(Func::Ln));
        assert_eq!(Func::from_name("σ"), Some(Func::Sigmoid));
        assert_eq!(Func::from_name("sigmoid"), Some(Func::Sigmoid));
        assert_eq!(Func::from_name("nope"), None);
    }
}
