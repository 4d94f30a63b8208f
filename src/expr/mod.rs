//! The expression store: hash-consed nodes in one arena, addressed by `ExprId`.
//!
//! Invariant: a `Node` is stored once; adding an equal node returns the id it
//! already has, so equal subterms share one id and `ExprId` equality is
//! structural equality. Nodes are immutable once added.
//!
//! The store keeps what it is given: `a - b` is `Add[a, Mul[-1, b]]` and `a / b`
//! is `Mul[a, Pow[b, -1]]`, but sums and products are not flattened or sorted
//! here; that is the canonical form's job (`crate::simplify`).

mod latex;
pub mod names;
mod print;
mod sympy;

pub use latex::{ascii_math, ascii_text, latex_name, to_latex};
pub use print::{PrintStyle, Printer};
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

/// A built-in scalar function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    Exp,
    /// Natural logarithm (`ln` and `log` both mean this).
    Ln,
    Log2,
    Log10,
    Sqrt,
    Abs,
    Sigmoid,
    Softplus,
    Tanh,
    Relu,
    /// Heaviside step with H(0) = 1/2.
    Heaviside,
    Sign,
    Floor,
    Ceil,
    /// Kronecker delta of two indices.
    Delta,
}

/// The table of built-in functions: the canonical name, accepted spellings, arity.
pub const FUNCS: &[(Func, &str, &[&str], usize)] = &[
    (Func::Exp, "exp", &[], 1),
    (Func::Ln, "ln", &["log"], 1),
    (Func::Log2, "log2", &[], 1),
    (Func::Log10, "log10", &[], 1),
    (Func::Sqrt, "sqrt", &["√"], 1),
    (Func::Abs, "abs", &[], 1),
    (Func::Sigmoid, "σ", &["sigma", "sigmoid"], 1),
    (Func::Softplus, "softplus", &[], 1),
    (Func::Tanh, "tanh", &[], 1),
    (Func::Relu, "relu", &["ReLU"], 1),
    (Func::Heaviside, "H", &["heaviside"], 1),
    (Func::Sign, "sign", &["sgn"], 1),
    (Func::Floor, "floor", &[], 1),
    (Func::Ceil, "ceil", &[], 1),
    (Func::Delta, "δ", &["delta"], 2),
];

impl Func {
    /// The built-in a name stands for, if any (`log` is the natural log).
    pub fn from_name(name: &str) -> Option<Func> {
        FUNCS
            .iter()
            .find(|(_, canonical, aliases, _)| *canonical == name || aliases.contains(&name))
            .map(|&(f, ..)| f)
    }

    fn entry(self) -> &'static (Func, &'static str, &'static [&'static str], usize) {
        FUNCS
            .iter()
            .find(|(f, ..)| *f == self)
            .expect("every Func has a row in FUNCS")
    }

    /// The name used when printing (`σ` for the sigmoid).
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// An ASCII name that parses back to this function.
    pub fn ascii_name(self) -> &'static str {
        match self {
            Func::Sigmoid => "sigma",
            Func::Delta => "delta",
            _ => self.name(),
        }
    }

    pub fn arity(self) -> usize {
        self.entry().3
    }
}

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
        match self.node(id) {
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
        let mut memo = HashMap::new();
        self.substitute_memo(id, s, value, &mut memo)
    }

    fn substitute_memo(
        &mut self,
        id: ExprId,
        s: Symbol,
        value: ExprId,
        memo: &mut HashMap<ExprId, ExprId>,
    ) -> ExprId {
        if let Some(&done) = memo.get(&id) {
            return done;
        }
        let out = match self.node(id) {
            Node::Sym(t) if *t == s => value,
            Node::Sum { index, .. } | Node::Limit { var: index, .. } if *index == s => id,
            _ => self.map_children(id, &mut |store, e| store.substitute_memo(e, s, value, memo)),
        };
        memo.insert(id, out);
        out
    }

    /// `id` with each node in `replacements` swapped for its value (children
    /// of a replaced node are not visited).
    pub fn replace(&mut self, id: ExprId, replacements: &HashMap<ExprId, ExprId>) -> ExprId {
        let mut memo = replacements.clone();
        self.replace_memo(id, &mut memo)
    }

    fn replace_memo(&mut self, id: ExprId, memo: &mut HashMap<ExprId, ExprId>) -> ExprId {
        if let Some(&done) = memo.get(&id) {
            return done;
        }
        let out = self.map_children(id, &mut |store, e| store.replace_memo(e, memo));
        memo.insert(id, out);
        out
    }

    /// The node `id` rebuilt with `f` applied to each child (binders kept).
    pub fn map_children(
        &mut self,
        id: ExprId,
        f: &mut dyn FnMut(&mut Store, ExprId) -> ExprId,
    ) -> ExprId {
        let node = self.node(id).clone();
        let mut all = |store: &mut Store, xs: &[ExprId]| -> Box<[ExprId]> {
            xs.iter().map(|&x| f(store, x)).collect()
        };
        let rebuilt = match node {
            Node::Num(_) | Node::Sym(_) => return id,
            Node::Add(xs) => Node::Add(all(self, &xs)),
            Node::Mul(xs) => Node::Mul(all(self, &xs)),
            Node::And(xs) => Node::And(all(self, &xs)),
            Node::Vector(xs) => Node::Vector(all(self, &xs)),
            Node::Call(func, xs) => Node::Call(func, all(self, &xs)),
            Node::Apply(func, xs) => Node::Apply(func, all(self, &xs)),
            Node::FnDeriv { func, orders, args } => Node::FnDeriv {
                func,
                orders,
                args: all(self, &args),
            },
            Node::Pow(a, b) => {
                let ab = all(self, &[a, b]);
                Node::Pow(ab[0], ab[1])
            }
            Node::Cmp(op, a, b) => {
                let ab = all(self, &[a, b]);
                Node::Cmp(op, ab[0], ab[1])
            }
            Node::Index(base, idx) => {
                let base = all(self, &[base])[0];
                Node::Index(base, all(self, &idx))
            }
            Node::Sum {
                index,
                lower,
                upper,
                body,
            } => {
                let lub = all(self, &[lower, upper, body]);
                Node::Sum {
                    index,
                    lower: lub[0],
                    upper: lub[1],
                    body: lub[2],
                }
            }
            Node::Piecewise {
                branches,
                otherwise,
            } => {
                let flat: Vec<ExprId> = branches.iter().flat_map(|&(c, v)| [c, v]).collect();
                let mapped = all(self, &flat);
                Node::Piecewise {
                    branches: mapped.chunks(2).map(|p| (p[0], p[1])).collect(),
                    otherwise: otherwise.map(|o| all(self, &[o])[0]),
                }
            }
            Node::Limit { var, to, body } => {
                let to = match to {
                    LimitTo::Point(p) => LimitTo::Point(all(self, &[p])[0]),
                    other => other,
                };
                Node::Limit {
                    var,
                    to,
                    body: all(self, &[body])[0],
                }
            }
        };
        self.add(rebuilt)
    }

    /// The number of distinct nodes reachable from `id` (its size as a DAG).
    pub fn dag_size(&self, id: ExprId) -> usize {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![id];
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

#[cfg(test)]
mod tests {
    use super::*;

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
