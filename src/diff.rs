//! Symbolic differentiation of every built-in, of piecewise expressions and of
//! uninterpreted functions, with the points where a derivative does not exist.
//!
//! The walk is an iterative post-order over the term DAG with a memo, so a
//! subterm shared by many parents is differentiated once and the derivative of
//! a deep composition (nested softplus, 10,000 deep) stays linear in size and
//! never recurses. The result is not simplified beyond dropping zeros and ones;
//! `crate::simplify` brings it to canonical or display form.

use crate::domain::Domains;
use crate::expr::func::Derivative as FuncDerivative;
use crate::expr::{CmpOp, ExprId, Func, Node, Store, Symbol};
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use std::collections::HashMap;
use std::fmt;

/// A derivative and the kinks where its formula may be wrong: the points where
/// the expression may be defined but have no derivative (`x == 0` for
/// `relu(x)`). The formula is the derivative wherever no kink is active.
#[derive(Clone, Debug)]
pub struct Derivative {
    pub value: ExprId,
    pub kinks: Vec<Kink>,
}

/// One place where a derivative formula may fail.
#[derive(Clone, Debug, PartialEq)]
pub struct Kink {
    /// The condition (a `Cmp`) that holds at the kink: `u == 0`, or
    /// `floor(u) == u` for the steps of `floor` and `ceil`.
    pub at: ExprId,
    /// `u` (or `a − b` for a piecewise boundary `a op b`), for finding the kink
    /// along a variable; `None` when `at` is not of that form (a kink inside a
    /// sum over a bound index).
    pub arg: Option<ExprId>,
    /// The kink is at the integers of `arg`, not at its zero.
    pub at_integers: bool,
    /// What kinks there, for messages: `relu`, `|·|`, `H`, `floor`, `piecewise`, ...
    pub what: &'static str,
    /// The closures of the piecewise branch conditions it lives under: where
    /// one of them is false for certain the kink does not matter.
    pub guards: Vec<ExprId>,
    /// For a piecewise boundary: the pieces that meet there. The derivative
    /// exists at the boundary when they meet with equal values and slopes.
    pub join: Option<Join>,
    /// The node whose rule recorded the kink.
    source: ExprId,
    /// Folded into "some term of a sum kinks" (its guards are inside `at`).
    in_sum: bool,
}

/// The two pieces of a piecewise expression that meet at a boundary.
#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    pub inside: ExprId,
    pub outside: ExprId,
    pub inside_slope: ExprId,
    pub outside_slope: ExprId,
}

impl Kink {
    /// The kink with `s` replaced by `value` everywhere (a def's parameter by
    /// its argument).
    pub fn substitute(&self, store: &mut Store, s: crate::expr::Symbol, value: ExprId) -> Kink {
        let mut sub = |e: ExprId| store.substitute(e, s, value);
        Kink {
            at: sub(self.at),
            arg: self.arg.map(&mut sub),
            at_integers: self.at_integers,
            what: self.what,
            guards: self.guards.iter().map(|&g| sub(g)).collect(),
            join: self.join.as_ref().map(|j| Join {
                inside: sub(j.inside),
                outside: sub(j.outside),
                inside_slope: sub(j.inside_slope),
                outside_slope: sub(j.outside_slope),
            }),
            source: self.source,
            in_sum: self.in_sum,
        }
    }

    /// Where the derivative is valid as far as this kink goes, as text:
    /// `x ≠ 0`, `x ∉ ℤ`.
    pub fn validity(&self, store: &Store) -> String {
        match store.node(self.at) {
            Node::Cmp(CmpOp::Eq, _, u) if self.at_integers => {
                format!("{} not an integer", store.display(*u))
            }
            Node::Cmp(CmpOp::Eq, a, b) => {
                format!("{} ≠ {}", store.display(*a), store.display(*b))
            }
            _ => format!("not {}", store.display(self.at)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffError {
    /// The variable is not a symbol (or a component `v_i`).
    BadVariable(String),
    /// A condition, or a node kind the derivative is not defined for yet.
    Unsupported(String),
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiffError::BadVariable(m) => write!(f, "cannot differentiate with respect to {m}"),
            DiffError::Unsupported(m) => write!(f, "cannot differentiate {m}"),
        }
    }
}

impl std::error::Error for DiffError {}

/// What the expression is differentiated with respect to.
#[derive(Clone, Debug)]
enum Var {
    Symbol(crate::expr::Symbol),
    /// A component `v_(i, ...)`: its base symbol and indices.
    Component(crate::expr::Symbol, Vec<ExprId>),
}

/// `d e / d var`.
pub fn derivative(
    store: &mut Store,
    _domains: &Domains,
    e: ExprId,
    var: ExprId,
) -> Result<Derivative, DiffError> {
    let var = match store.node(var).clone() {
        Node::Sym(s) => Var::Symbol(s),
        Node::Index(base, idx) => match store.node(base) {
            Node::Sym(s) => Var::Component(*s, idx.to_vec()),
            _ => return Err(DiffError::BadVariable(store.display(var))),
        },
        _ => return Err(DiffError::BadVariable(store.display(var))),
    };
    if matches!(store.node(e), Node::Cmp(..) | Node::And(_)) {
        return Err(DiffError::Unsupported(format!(
            "{} (a condition, not a number)",
            store.display(e)
        )));
    }
    let mut d = Differentiator {
        store,
        var,
        memo: HashMap::new(),
        depends: HashMap::new(),
        kinks: Vec::new(),
        uses: HashMap::new(),
        absorbed: HashMap::new(),
        post_order: Vec::new(),
        definitions: HashMap::new(),
    };
    let value = d.run(e)?;
    let kinks = d.finish_kinks(e);
    Ok(Derivative { value, kinks })
}

/// The `n`-th derivative (`n = 0` gives `e`); kinks of every order are collected.
pub fn nth_derivative(
    store: &mut Store,
    domains: &Domains,
    e: ExprId,
    var: ExprId,
    n: u32,
) -> Result<Derivative, DiffError> {
    let mut value = e;
    let mut kinks: Vec<Kink> = Vec::new();
    for _ in 0..n {
        let d = derivative(store, domains, value, var)?;
        value = d.value;
        for k in d.kinks {
            if !kinks.contains(&k) {
                kinks.push(k);
            }
        }
    }
    Ok(Derivative { value, kinks })
}

/// The closure of a condition (`x > 0` gives `x >= 0`), as conditions that
/// must all hold; `x != 0` has the whole line as its closure (no condition).
fn closure(store: &mut Store, c: ExprId, negated: bool) -> Vec<ExprId> {
    match store.node(c).clone() {
        Node::Cmp(op, a, b) => {
            let op = if negated { negate(op) } else { op };
            let closed = match op {
                CmpOp::Gt | CmpOp::Ge => CmpOp::Ge,
                CmpOp::Lt | CmpOp::Le => CmpOp::Le,
                CmpOp::Eq => CmpOp::Eq,
                CmpOp::Ne => return Vec::new(),
            };
            vec![store.cmp(closed, a, b)]
        }
        Node::And(parts) if !negated => parts
            .iter()
            .flat_map(|&p| closure(store, p, false))
            .collect(),
        _ => Vec::new(),
    }
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
    }
}

/// The comparisons a condition is made of (`And` flattened).
fn comparisons(store: &Store, c: ExprId) -> Vec<(CmpOp, ExprId, ExprId)> {
    match store.node(c) {
        Node::Cmp(op, a, b) => vec![(*op, *a, *b)],
        Node::And(parts) => parts.iter().flat_map(|&p| comparisons(store, p)).collect(),
        _ => Vec::new(),
    }
}

struct Differentiator<'s> {
    store: &'s mut Store,
    var: Var,
    memo: HashMap<ExprId, ExprId>,
    /// Whether a node depends on the variable.
    depends: HashMap<ExprId, bool>,
    kinks: Vec<Kink>,
    /// How many parents use each node (edges of the term DAG).
    uses: HashMap<ExprId, usize>,
    /// How many of a kinked node's parents make its kink harmless: an integer
    /// power ≥ 2 (`relu(x)^2` is differentiable at 0) or a function undefined
    /// at the kink (`ln(relu(x))`, `|x|^-1`).
    absorbed: HashMap<ExprId, usize>,
    /// Every node, children before parents.
    post_order: Vec<ExprId>,
    /// The definition each call differentiated through its definition was expanded to.
    definitions: HashMap<ExprId, ExprId>,
}

impl Differentiator<'_> {
    fn run(&mut self, root: ExprId) -> Result<ExprId, DiffError> {
        let mut stack = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            if self.memo.contains_key(&id) {
                continue;
            }
            let kids = self.store.children(id);
            if !expanded {
                stack.push((id, true));
                stack.extend(
                    kids.iter()
                        .filter(|k| !self.memo.contains_key(k))
                        .map(|&k| (k, false)),
                );
                continue;
            }
            for &k in &kids {
                *self.uses.entry(k).or_insert(0) += 1;
            }
            self.post_order.push(id);
            let depends = self.node_depends(id, &kids);
            self.depends.insert(id, depends);
            let d = if depends {
                self.rule(id)?
            } else {
                self.store.zero()
            };
            self.memo.insert(id, d);
        }
        Ok(self
            .memo
            .get(&root)
            .copied()
            .unwrap_or_else(|| self.store.zero()))
    }

    fn node_depends(&self, id: ExprId, kids: &[ExprId]) -> bool {
        match (self.store.node(id), &self.var) {
            (Node::Sym(s), Var::Symbol(v)) => s == v,
            // a whole vector depends on its entries (it appears as an argument `x(u)`)
            (Node::Sym(s), Var::Component(v, _)) => s == v,
            (Node::Index(base, _), Var::Component(v, _)) => {
                self.store.as_sym(*base) == Some(*v)
                    || kids.iter().any(|k| self.depends.get(k) == Some(&true))
            }
            // a sum over the variable's own name binds it
            (
                Node::Sum {
                    index,
                    lower,
                    upper,
                    ..
                },
                Var::Symbol(v),
            ) if index == v => [lower, upper]
                .iter()
                .any(|k| self.depends.get(k) == Some(&true)),
            _ => kids.iter().any(|k| self.depends.get(k) == Some(&true)),
        }
    }

    fn d(&self, e: ExprId) -> ExprId {
        // children are always differentiated before their parent
        self.memo.get(&e).copied().unwrap_or(e)
    }

    fn is_zero(&self, e: ExprId) -> bool {
        self.store.as_num(e).is_some_and(|r| r.is_zero())
    }

    fn is_one(&self, e: ExprId) -> bool {
        self.store.as_num(e).is_some_and(|r| r.is_one())
    }

    /// A product with zeros absorbing, ones dropped and numbers multiplied.
    fn mul(&mut self, factors: Vec<ExprId>) -> ExprId {
        let mut coefficient = BigRational::one();
        let mut rest = Vec::with_capacity(factors.len());
        for f in factors {
            match self.store.as_num(f) {
                Some(r) => coefficient *= r,
                None => rest.push(f),
            }
        }
        if coefficient.is_zero() {
            return self.store.zero();
        }
        if !coefficient.is_one() {
            let c = self.store.num(coefficient);
            rest.insert(0, c);
        }
        self.store.product(rest)
    }

    /// A sum with zeros dropped.
    fn add(&mut self, terms: Vec<ExprId>) -> ExprId {
        let kept: Vec<ExprId> = terms.into_iter().filter(|&t| !self.is_zero(t)).collect();
        self.store.sum(kept)
    }

    fn record(&mut self, kink: Kink) {
        if !self.kinks.contains(&kink) {
            self.kinks.push(kink);
        }
    }

    /// A kink of `source = what(u)` where `u == 0`.
    fn zero_of(&mut self, source: ExprId, u: ExprId, what: &'static str) {
        let zero = self.store.zero();
        let at = self.store.cmp(CmpOp::Eq, u, zero);
        self.record(Kink {
            at,
            arg: Some(u),
            at_integers: false,
            what,
            guards: Vec::new(),
            join: None,
            source,
            in_sum: false,
        });
    }

    /// relu and abs are continuous with bounded slopes, so where their argument
    /// does not move (`u' = 0`, as for `relu(x^2)` at 0 or the other terms of
    /// `Σ_i relu(v_i)` under `∂/∂v_a`) the kink just recorded is harmless: its
    /// guard is `u' ≠ 0`.
    fn unless_flat(&mut self, source: ExprId, du: ExprId) {
        if self.store.as_num(du).is_some() {
            return;
        }
        let zero = self.store.zero();
        let moving = self.store.cmp(CmpOp::Ne, du, zero);
        if let Some(kink) = self.kinks.iter_mut().rev().find(|k| k.source == source) {
            if !kink.guards.contains(&moving) {
                kink.guards.push(moving);
            }
        }
    }

    /// The kinks with the harmless ones dropped and each one's guards added:
    /// the closures of the piecewise branches its node lives under (a node
    /// reached through several branches keeps only the guards they share).
    fn finish_kinks(&mut self, root: ExprId) -> Vec<Kink> {
        let mut guards: HashMap<ExprId, Vec<ExprId>> = HashMap::new();
        guards.insert(root, Vec::new());
        let order: Vec<ExprId> = self.post_order.iter().rev().copied().collect();
        for id in order {
            let Some(mine) = guards.get(&id).cloned() else {
                continue;
            };
            let mut reach: Vec<(ExprId, Vec<ExprId>)> = Vec::new();
            if let Node::Piecewise {
                branches,
                otherwise,
            } = self.store.node(id).clone()
            {
                let mut before: Vec<ExprId> = Vec::new();
                for &(cond, value) in branches.iter() {
                    let mut g = mine.clone();
                    g.extend(before.iter().copied());
                    g.extend(closure(self.store, cond, false));
                    // conditions are not differentiated: their kinks do not matter
                    reach.push((value, g));
                    before.extend(closure(self.store, cond, true));
                }
                if let Some(o) = otherwise {
                    let mut g = mine.clone();
                    g.extend(before);
                    reach.push((o, g));
                }
            } else {
                for k in self.store.children(id) {
                    reach.push((k, mine.clone()));
                }
                if let Some(&definition) = self.definitions.get(&id) {
                    reach.push((definition, mine.clone()));
                }
            }
            for (child, g) in reach {
                match guards.get_mut(&child) {
                    None => {
                        guards.insert(child, g);
                    }
                    Some(existing) => existing.retain(|c| g.contains(c)),
                }
            }
        }
        let mut out: Vec<Kink> = Vec::new();
        for mut kink in std::mem::take(&mut self.kinks) {
            if !guards.contains_key(&kink.source) {
                // only inside conditions, which are not differentiated
                continue;
            }
            let uses = self.uses.get(&kink.source).copied().unwrap_or(0);
            let absorbed = self.absorbed.get(&kink.source).copied().unwrap_or(0);
            if uses > 0 && absorbed >= uses {
                continue;
            }
            if !kink.in_sum {
                for &g in guards.get(&kink.source).into_iter().flatten() {
                    if !kink.guards.contains(&g) {
                        kink.guards.push(g);
                    }
                }
            }
            let same = |k: &Kink| {
                k.at == kink.at
                    && k.guards == kink.guards
                    && k.join == kink.join
                    && k.at_integers == kink.at_integers
            };
            if !out.iter().any(same) {
                out.push(kink);
            }
        }
        out
    }

    /// The derivative of `id`, its children's derivatives being known.
    fn rule(&mut self, id: ExprId) -> Result<ExprId, DiffError> {
        let node = self.store.node(id).clone();
        let out = match node {
            Node::Num(_) => self.store.zero(),
            // only `Var::Symbol` reaches here as a number; a whole vector under a
            // component variable is handled by the `Apply`/`Index` parents
            Node::Sym(_) => match self.var {
                Var::Symbol(_) => self.store.one(),
                Var::Component(..) => self.store.zero(),
            },
            Node::Add(ts) => {
                let ds: Vec<ExprId> = ts.iter().map(|&t| self.d(t)).collect();
                self.add(ds)
            }
            Node::Mul(fs) => {
                let mut terms = Vec::new();
                for i in 0..fs.len() {
                    let di = self.d(fs[i]);
                    if self.is_zero(di) {
                        continue;
                    }
                    let mut factors: Vec<ExprId> = Vec::with_capacity(fs.len());
                    factors.extend(fs[..i].iter().copied());
                    factors.push(di);
                    factors.extend(fs[i + 1..].iter().copied());
                    terms.push(self.mul(factors));
                }
                self.add(terms)
            }
            Node::Pow(b, x) => self.power(id, b, x),
            Node::Call(f, args) => self.call(id, f, &args)?,
            Node::Apply(f, args) => {
                let mut terms = Vec::new();
                if let Some(term) = self.vector_argument_term(f, &[0; 0], &args, &[])? {
                    terms.push(term);
                }
                for k in 0..args.len() {
                    if self.is_whole_vector_var(args[k]) {
                        continue;
                    }
                    let dk = self.d(args[k]);
                    if self.is_zero(dk) {
                        continue;
                    }
                    let mut orders = vec![0u32; args.len()];
                    orders[k] = 1;
                    let fd = self.store.add(Node::FnDeriv {
                        func: f,
                        orders: orders.into(),
                        args: args.clone(),
                    });
                    terms.push(self.mul(vec![fd, dk]));
                }
                self.add(terms)
            }
            Node::FnDeriv { func, orders, args } => {
                let mut terms = Vec::new();
                for k in 0..args.len() {
                    let dk = self.d(args[k]);
                    if self.is_zero(dk) {
                        continue;
                    }
                    let mut higher = orders.to_vec();
                    if let Some(o) = higher.get_mut(k) {
                        *o = o.saturating_add(1);
                    }
                    let fd = self.store.add(Node::FnDeriv {
                        func,
                        orders: higher.into(),
                        args: args.clone(),
                    });
                    terms.push(self.mul(vec![fd, dk]));
                }
                self.add(terms)
            }
            Node::Index(base, idx) => self.component(id, base, &idx)?,
            Node::Sum {
                index,
                lower,
                upper,
                body,
            } => {
                if self.depends.get(&lower) == Some(&true)
                    || self.depends.get(&upper) == Some(&true)
                {
                    return Err(DiffError::Unsupported(format!(
                        "{} (its bounds depend on the variable)",
                        self.store.display(id)
                    )));
                }
                self.fold_kinks_into_sum(index, lower, upper);
                let db = self.d(body);
                if self.is_zero(db) {
                    db
                } else {
                    self.store.add(Node::Sum {
                        index,
                        lower,
                        upper,
                        body: db,
                    })
                }
            }
            Node::Piecewise {
                branches,
                otherwise,
            } => {
                let mut new_branches = Vec::with_capacity(branches.len());
                let mut before: Vec<ExprId> = Vec::new();
                for (k, &(cond, value)) in branches.iter().enumerate() {
                    self.boundaries(id, k, &branches, otherwise, &before);
                    before.extend(closure(self.store, cond, true));
                    new_branches.push((cond, self.d(value)));
                }
                let new_otherwise = otherwise.map(|o| self.d(o));
                self.store.add(Node::Piecewise {
                    branches: new_branches.into(),
                    otherwise: new_otherwise,
                })
            }
            Node::Vector(xs) => {
                let ds: Vec<ExprId> = xs.iter().map(|&x| self.d(x)).collect();
                self.store.add(Node::Vector(ds.into()))
            }
            // conditions are visited as children of a piecewise expression, whose
            // rule reads only the branch values; a condition as the whole
            // expression is refused in `derivative`
            Node::Cmp(..) | Node::And(_) => id,
            Node::Limit { .. } => {
                return Err(DiffError::Unsupported(self.store.display(id)));
            }
        };
        Ok(out)
    }

    /// One parent of `b` that makes a kink of `b` harmless (see `absorbed`):
    /// `b` is relu, abs or sqrt, which are 0 at their kinks.
    fn absorb(&mut self, b: ExprId) {
        if matches!(
            self.store.node(b),
            Node::Call(Func::Relu | Func::Abs | Func::Sqrt, _)
        ) {
            *self.absorbed.entry(b).or_insert(0) += 1;
        }
    }

    /// The kinks at the boundaries of branch `k`'s condition: each comparison
    /// `a op b` in it that depends on the variable, where branch `k` meets the
    /// branches after it (the earlier ones are ruled out by `before`).
    fn boundaries(
        &mut self,
        id: ExprId,
        k: usize,
        branches: &[(ExprId, ExprId)],
        otherwise: Option<ExprId>,
        before: &[ExprId],
    ) {
        let (cond, inside) = branches[k];
        let rest = &branches[k + 1..];
        let outside = match (rest.is_empty(), otherwise) {
            (true, None) => None,
            (true, Some(o)) => Some((o, self.d(o))),
            (false, _) => {
                let value = self.store.add(Node::Piecewise {
                    branches: rest.to_vec().into(),
                    otherwise,
                });
                let slope = self.store.add(Node::Piecewise {
                    branches: rest.iter().map(|&(c, v)| (c, self.d(v))).collect(),
                    otherwise: otherwise.map(|o| self.d(o)),
                });
                Some((value, slope))
            }
        };
        for (_, a, b) in comparisons(self.store, cond) {
            let moves = |e: ExprId| self.depends.get(&e) == Some(&true);
            if !moves(a) && !moves(b) {
                continue;
            }
            let at = self.store.cmp(CmpOp::Eq, a, b);
            let arg = self.store.sub(a, b);
            let join = outside.map(|(value, slope)| Join {
                inside,
                outside: value,
                inside_slope: self.d(inside),
                outside_slope: slope,
            });
            self.record(Kink {
                at,
                arg: Some(arg),
                at_integers: false,
                what: "piecewise",
                guards: before.to_vec(),
                join,
                source: id,
                in_sum: false,
            });
        }
    }

    /// Kinks of a sum's terms are kinks of the sum where some term kinks:
    /// `Σ_j ind(kink_j) > 0`.
    fn fold_kinks_into_sum(&mut self, index: Symbol, lower: ExprId, upper: ExprId) {
        for k in 0..self.kinks.len() {
            let kink = self.kinks[k].clone();
            let mentions = |e: ExprId| self.store.contains_symbol(e, index);
            if !mentions(kink.at) && !kink.guards.iter().any(|&g| mentions(g)) {
                continue;
            }
            let mut parts = vec![kink.at];
            parts.extend(kink.guards.iter().copied());
            let cond = if parts.len() == 1 {
                parts[0]
            } else {
                self.store.add(Node::And(parts.into()))
            };
            let one = self.store.one();
            let zero = self.store.zero();
            let ind = self.store.add(Node::Piecewise {
                branches: vec![(cond, one)].into(),
                otherwise: Some(zero),
            });
            let count = self.store.add(Node::Sum {
                index,
                lower,
                upper,
                body: ind,
            });
            let at = self.store.cmp(CmpOp::Gt, count, zero);
            self.kinks[k] = Kink {
                at,
                arg: None,
                at_integers: false,
                what: kink.what,
                guards: Vec::new(),
                join: None,
                source: kink.source,
                in_sum: true,
            };
        }
    }

    fn power(&mut self, id: ExprId, b: ExprId, x: ExprId) -> ExprId {
        let db = self.d(b);
        let dx = self.d(x);
        let exponent_constant = self.is_zero(dx) && self.depends.get(&x) != Some(&true);
        if exponent_constant {
            // (b^x)' = x·b^(x−1)·b'
            let exact = self.store.as_num(x).cloned().or_else(|| {
                // a constant exponent written as `1/3`
                if !self.store.free_symbols(x).is_empty() {
                    return None;
                }
                let v = crate::eval::eval(self.store, x, &crate::eval::Env::new()).ok()?;
                v.as_exact().cloned()
            });
            if let Some(r) = exact {
                if r.is_zero() {
                    return self.store.zero();
                }
                let two = BigRational::from_integer(2.into());
                if (r.is_integer() && r >= two) || r.is_negative() {
                    self.absorb(b);
                }
                if !r.is_integer() && r < BigRational::one() {
                    // b^(1/2) and the like have no derivative where b = 0
                    self.zero_of(id, b, "a fractional power");
                }
                let lowered = self.store.num(&r - BigRational::one());
                let p = if self.is_one(lowered) {
                    b
                } else {
                    self.store.pow(b, lowered)
                };
                let rx = self.store.num(r);
                return self.mul(vec![rx, p, db]);
            }
            let m1 = self.store.int(-1);
            let x_minus_1 = self.add(vec![x, m1]);
            let p = self.store.pow(b, x_minus_1);
            return self.mul(vec![x, p, db]);
        }
        // (b^x)' = b^x·(x'·ln b + x·b'/b)
        let ln_b = self.store.call1(Func::Ln, b);
        let t1 = self.mul(vec![dx, ln_b]);
        let t2 = if self.is_zero(db) {
            self.store.zero()
        } else {
            let inv = self.store.recip(b);
            self.mul(vec![x, db, inv])
        };
        let inner = self.add(vec![t1, t2]);
        self.mul(vec![id, inner])
    }

    fn call(&mut self, id: ExprId, f: Func, args: &[ExprId]) -> Result<ExprId, DiffError> {
        match f.row().derivative {
            FuncDerivative::Partials(_) => {
                if matches!(f, Func::Ln | Func::Log2 | Func::Log10) {
                    // undefined where a relu, |·| or √ argument is 0
                    if let Some(&u) = args.first() {
                        self.absorb(u);
                    }
                }
                let mut terms = Vec::new();
                for (k, &u) in args.iter().enumerate() {
                    let du = self.d(u);
                    if self.is_zero(du) {
                        continue;
                    }
                    let Some(outer) = self.store.partial(f, k, args, id) else {
                        return Err(DiffError::Unsupported(self.store.display(id)));
                    };
                    if self.is_zero(outer) {
                        continue;
                    }
                    terms.push(self.mul(vec![outer, du]));
                }
                Ok(self.add(terms))
            }
            FuncDerivative::ByDefinition => {
                let Some(definition) = self.store.definition(f, args) else {
                    return Err(DiffError::Unsupported(self.store.display(id)));
                };
                let d = self.run(definition)?;
                // the call's kinks are its definition's: reached from the call,
                // which stays after the definition's nodes in post-order
                self.definitions.insert(id, definition);
                if let Some(at) = self.post_order.iter().rposition(|&x| x == id) {
                    self.post_order.remove(at);
                    self.post_order.push(id);
                }
                Ok(d)
            }
            FuncDerivative::Own => self.own_call(id, f, args),
        }
    }

    /// The built-ins whose derivative carries kinks worked out here.
    fn own_call(&mut self, id: ExprId, f: Func, args: &[ExprId]) -> Result<ExprId, DiffError> {
        if f == Func::Delta {
            // δ(i, j) of indices is constant
            return Ok(self.store.zero());
        }
        let Some(&u) = args.first() else {
            return Err(DiffError::Unsupported(self.store.display(id)));
        };
        let du = self.d(u);
        let outer = match f {
            Func::Sqrt => {
                // (√u)' = u'/(2√u), undefined where u = 0
                self.zero_of(id, u, "sqrt");
                let half = self.store.ratio(1, 2);
                let inv = self.store.recip(id);
                self.mul(vec![half, inv])
            }
            Func::Abs => {
                self.zero_of(id, u, "abs");
                self.unless_flat(id, du);
                self.store.call1(Func::Sign, u)
            }
            Func::Relu => {
                self.zero_of(id, u, "relu");
                self.unless_flat(id, du);
                self.store.call1(Func::Heaviside, u)
            }
            Func::Heaviside | Func::Sign => {
                self.zero_of(id, u, if f == Func::Sign { "sign" } else { "H" });
                self.store.zero()
            }
            Func::Floor | Func::Ceil => {
                // the steps are where the argument is an integer
                let floor_u = self.store.call1(Func::Floor, u);
                let at = self.store.cmp(CmpOp::Eq, floor_u, u);
                self.record(Kink {
                    at,
                    arg: Some(u),
                    at_integers: true,
                    what: if f == Func::Floor { "floor" } else { "ceil" },
                    guards: Vec::new(),
                    join: None,
                    source: id,
                    in_sum: false,
                });
                self.store.zero()
            }
            // a row marked `Derivative::Own` without a rule here
            _ => return Err(DiffError::Unsupported(self.store.display(id))),
        };
        if self.is_zero(outer) {
            return Ok(outer);
        }
        Ok(self.mul(vec![outer, du]))
    }

    /// Whether `e` is the whole vector the variable is a component of.
    fn is_whole_vector_var(&self, e: ExprId) -> bool {
        match (&self.var, self.store.node(e)) {
            (Var::Component(v, _), Node::Sym(s)) => s == v,
            _ => false,
        }
    }

    /// The term of `∂ f(..., u, ...)_idx / ∂ u_a` from a whole-vector argument `u`:
    /// `Index(FnDeriv{f, orders + 1 at u's position, args}, idx ++ a)`, following
    /// the evaluator's convention (output index first, then one index per order).
    fn vector_argument_term(
        &mut self,
        f: crate::expr::Symbol,
        orders: &[u32],
        args: &[ExprId],
        idx: &[ExprId],
    ) -> Result<Option<ExprId>, DiffError> {
        let Var::Component(_, vidx) = self.var.clone() else {
            return Ok(None);
        };
        let Some(k) = args.iter().position(|&a| self.is_whole_vector_var(a)) else {
            return Ok(None);
        };
        if args
            .iter()
            .filter(|&&a| self.is_whole_vector_var(a))
            .count()
            > 1
        {
            return Err(DiffError::Unsupported(
                "a function taking the same vector twice".to_string(),
            ));
        }
        let mut higher: Vec<u32> = if orders.is_empty() {
            vec![0; args.len()]
        } else {
            orders.to_vec()
        };
        higher[k] = higher[k].saturating_add(1);
        let fd = self.store.add(Node::FnDeriv {
            func: f,
            orders: higher.into(),
            args: args.into(),
        });
        let mut all_idx = idx.to_vec();
        all_idx.extend(vidx);
        Ok(Some(self.store.add(Node::Index(fd, all_idx.into()))))
    }

    /// `d v_i / d v_j` = δ(i, j) (a product of deltas for several indices).
    fn component(&mut self, id: ExprId, base: ExprId, idx: &[ExprId]) -> Result<ExprId, DiffError> {
        match (&self.var, self.store.node(base).clone()) {
            (Var::Component(v, vidx), Node::Sym(s)) if s == *v && vidx.len() == idx.len() => {
                let vidx = vidx.clone();
                let deltas: Vec<ExprId> = idx
                    .iter()
                    .zip(vidx.iter())
                    .map(|(&i, &j)| {
                        if i == j {
                            self.store.one()
                        } else {
                            self.store.call(Func::Delta, vec![i, j])
                        }
                    })
                    .collect();
                Ok(self.mul(deltas))
            }
            _ if self.depends.get(&base) != Some(&true) => {
                // only the indices depend on the variable: a component is piecewise constant
                if idx.iter().any(|i| self.depends.get(i) == Some(&true)) {
                    return Err(DiffError::Unsupported(format!(
                        "{} (an index depends on the variable)",
                        self.store.display(id)
                    )));
                }
                Ok(self.store.zero())
            }
            (_, Node::Apply(f, args)) => {
                let scalar_args_depend = args
                    .iter()
                    .any(|&a| !self.is_whole_vector_var(a) && self.depends.get(&a) == Some(&true));
                if scalar_args_depend {
                    return Err(DiffError::Unsupported(format!(
                        "{} (a vector function of an expression that depends on the variable)",
                        self.store.display(id)
                    )));
                }
                Ok(self
                    .vector_argument_term(f, &[], &args, idx)?
                    .unwrap_or_else(|| self.store.zero()))
            }
            (_, Node::FnDeriv { func, orders, args }) => {
                let scalar_args_depend = args
                    .iter()
                    .any(|&a| !self.is_whole_vector_var(a) && self.depends.get(&a) == Some(&true));
                if scalar_args_depend {
                    return Err(DiffError::Unsupported(format!(
                        "{} (a derivative of a vector function of an expression that depends on the variable)",
                        self.store.display(id)
                    )));
                }
                Ok(self
                    .vector_argument_term(func, &orders, &args, idx)?
                    .unwrap_or_else(|| self.store.zero()))
            }
            _ => Err(DiffError::Unsupported(format!(
                "{} (a component of a computed vector)",
                self.store.display(id)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simplify::testkit::read;
    use crate::simplify::{prove_equal, Budget};

    fn d(store: &mut Store, e: &str, x: &str) -> Derivative {
        let e = read(store, e);
        let x = read(store, x);
        derivative(store, &Domains::new(), e, x).expect("differentiable")
    }

    fn shown(store: &Store, kinks: &[Kink]) -> Vec<String> {
        kinks.iter().map(|k| store.display(k.at)).collect()
    }

    fn equal(store: &mut Store, a: ExprId, b: &str) -> bool {
        let b = read(store, b);
        prove_equal(store, &Domains::new(), a, b, &Budget::default()).is_proved()
    }

    #[test]
    fn relu_has_heaviside_derivative_and_no_derivative_at_zero() {
        let mut s = Store::new();
        let r = d(&mut s, "(relu x)", "x");
        assert_eq!(s.display(r.value), "H(x)");
        assert_eq!(shown(&s, &r.kinks), vec!["x == 0"]);
        let a = d(&mut s, "(abs (* 2 x))", "x");
        assert_eq!(shown(&s, &a.kinks), vec!["2·x == 0"]);
        assert!(equal(&mut s, a.value, "(* 2 (sign (* 2 x)))"));
        let h = d(&mut s, "(+ (H x) (sign x))", "x");
        assert_eq!(s.display(h.value), "0");
        assert_eq!(shown(&s, &h.kinks), vec!["x == 0"]);
    }

    #[test]
    fn kinks_of_every_kinked_builtin() {
        let mut s = Store::new();
        let cases: [(&str, &[&str]); 9] = [
            ("(relu x)", &["x == 0"]),
            ("(abs x)", &["x == 0"]),
            ("(H x)", &["x == 0"]),
            ("(sign x)", &["x == 0"]),
            ("(floor x)", &["floor(x) == x"]),
            ("(ceil x)", &["floor(x) == x"]),
            ("(sqrt x)", &["x == 0"]),
            ("(^ x (/ 1 3))", &["x == 0"]),
            ("(exp x)", &[]),
        ];
        for (e, expected) in cases {
            let r = d(&mut s, e, "x");
            assert_eq!(shown(&s, &r.kinks), expected.to_vec(), "{e}");
        }
    }

    #[test]
    fn harmless_kinks_are_dropped() {
        let mut s = Store::new();
        // squares of relu, abs and sqrt are differentiable at 0; ln is undefined there
        for e in [
            "(^ (relu x) 2)",
            "(^ (abs x) 3)",
            "(^ (sqrt x) 2)",
            "(ln (abs x))",
            "(^ (abs x) -1)",
        ] {
            let r = d(&mut s, e, "x");
            assert!(r.kinks.is_empty(), "{e}: {:?}", shown(&s, &r.kinks));
        }
        // the same relu used bare as well keeps its kink
        let r = d(&mut s, "(+ (^ (relu x) 2) (relu x))", "x");
        assert_eq!(shown(&s, &r.kinks), vec!["x == 0"]);
        // a kink only inside a condition is not differentiated
        let r = d(&mut s, "(piecewise ((> (abs y) 1) x) 0)", "x");
        assert!(r.kinks.is_empty(), "{:?}", shown(&s, &r.kinks));
    }

    #[test]
    fn kinks_inside_a_branch_carry_its_closure_as_guard() {
        let mut s = Store::new();
        let r = d(&mut s, "(piecewise ((> x 1) (abs x)) 0)", "x");
        let abs = r.kinks.iter().find(|k| k.what == "abs").expect("abs kink");
        let guards: Vec<String> = abs.guards.iter().map(|&g| s.display(g)).collect();
        assert_eq!(guards, vec!["x ≥ 1"]);
        let boundary = r
            .kinks
            .iter()
            .find(|k| k.what == "piecewise")
            .expect("boundary");
        assert_eq!(s.display(boundary.at), "x == 1");
        assert!(boundary.join.is_some());
    }

    #[test]
    fn every_builtin_differentiates() {
        let mut s = Store::new();
        let cases = [
            ("(exp (* 3 x))", "(* 3 (exp (* 3 x)))"),
            ("(ln x)", "(/ 1 x)"),
            ("(log2 x)", "(/ 1 (* x (ln 2)))"),
            ("(log10 x)", "(/ 1 (* x (ln 10)))"),
            ("(sqrt x)", "(/ 1 (* 2 (sqrt x)))"),
            ("(sigma x)", "(* (sigma x) (- 1 (sigma x)))"),
            ("(softplus x)", "(sigma x)"),
            ("(tanh x)", "(- 1 (^ (tanh x) 2))"),
            ("(^ x 3)", "(* 3 (^ x 2))"),
            ("(/ 1 x)", "(- (/ 1 (^ x 2)))"),
            ("(^ 2 x)", "(* (^ 2 x) (ln 2))"),
            ("(^ x x)", "(* (^ x x) (+ (ln x) 1))"),
            ("(* x (exp x))", "(+ (exp x) (* x (exp x)))"),
            ("(- (* x y) y)", "y"),
            ("(floor x)", "0"),
        ];
        for (e, expected) in cases {
            let r = d(&mut s, e, "x");
            assert!(
                equal(&mut s, r.value, expected),
                "d/dx {e} = {}",
                s.display(r.value)
            );
        }
    }

    #[test]
    fn higher_derivatives() {
        let mut s = Store::new();
        let e = read(&mut s, "(sigma x)");
        let x = read(&mut s, "x");
        let second = nth_derivative(&mut s, &Domains::new(), e, x, 2).expect("twice");
        assert!(equal(
            &mut s,
            second.value,
            "(* (sigma x) (- 1 (sigma x)) (- 1 (* 2 (sigma x))))"
        ));
        let e = read(&mut s, "(^ x 5)");
        let third = nth_derivative(&mut s, &Domains::new(), e, x, 3).expect("thrice");
        assert!(equal(&mut s, third.value, "(* 60 (^ x 2))"));
    }

    #[test]
    fn uninterpreted_functions_keep_symbolic_derivatives() {
        let mut s = Store::new();
        let r = d(&mut s, "(f (^ x 2))", "x");
        assert_eq!(s.display(r.value), "2·f'(x^2)·x");
        let x = read(&mut s, "x");
        let r2 = derivative(&mut s, &Domains::new(), r.value, x).expect("again");
        let text = s.display(r2.value);
        assert!(text.contains("f''(x^2)"), "{text}");
        let g = d(&mut s, "(g x y)", "y");
        match s.node(g.value) {
            Node::FnDeriv { orders, .. } => assert_eq!(orders.to_vec(), vec![0, 1]),
            other => panic!("expected ∂g, got {other:?}"),
        }
    }

    #[test]
    fn piecewise_derivative_per_branch_with_boundaries() {
        let mut s = Store::new();
        let r = d(&mut s, "(piecewise ((> x 0) (^ x 2)) 0)", "x");
        assert!(matches!(s.node(r.value), Node::Piecewise { .. }));
        assert_eq!(shown(&s, &r.kinks), vec!["x == 0"]);
        assert!(equal(&mut s, r.value, "(piecewise ((> x 0) (* 2 x)) 0)"));
    }

    #[test]
    fn components_differentiate_to_deltas() {
        let mut s = Store::new();
        let vi = read(&mut s, "v");
        let i = read(&mut s, "i");
        let j = read(&mut s, "j");
        let v_i = s.add(Node::Index(vi, vec![i].into()));
        let v_j = s.add(Node::Index(vi, vec![j].into()));
        let e = s.call1(Func::Exp, v_i);
        let r = derivative(&mut s, &Domains::new(), e, v_j).expect("component");
        assert_eq!(s.display(r.value), "exp(v_i)·δ(i, j)");
        let same = derivative(&mut s, &Domains::new(), v_i, v_i).expect("itself");
        assert_eq!(s.display(same.value), "1");
    }

    #[test]
    fn conditions_cannot_be_differentiated() {
        let mut s = Store::new();
        let c = read(&mut s, "(> x 0)");
        let x = read(&mut s, "x");
        assert!(derivative(&mut s, &Domains::new(), c, x).is_err());
        let n = read(&mut s, "3");
        assert!(matches!(
            derivative(&mut s, &Domains::new(), x, n),
            Err(DiffError::BadVariable(_))
        ));
    }

    /// f_0 = x, f_k = softplus(w·f_(k−1)).
    fn nested_softplus(s: &mut Store, n: usize) -> ExprId {
        let w = s.sym("w");
        let mut f = s.sym("x");
        for _ in 0..n {
            let wf = s.product(vec![w, f]);
            f = s.call1(Func::Softplus, wf);
        }
        f
    }

    #[test]
    fn nested_softplus_derivative_grows_linearly_without_recursion() {
        let mut sizes = Vec::new();
        for n in [1_000usize, 2_000, 10_000] {
            let mut s = Store::new();
            let f = nested_softplus(&mut s, n);
            let x = s.sym("x");
            let r = derivative(&mut s, &Domains::new(), f, x).expect("deep");
            sizes.push(s.dag_size(r.value));
        }
        // about the same number of new nodes per level
        let per_level_small = sizes[1] - sizes[0];
        let per_level_large = (sizes[2] - sizes[1]) / 8;
        assert_eq!(per_level_small, per_level_large, "{sizes:?}");
        assert!(sizes[2] < 10 * 10_000, "{sizes:?}");
    }
}

#[cfg(test)]
mod deep_tests {
    use super::*;
    use crate::simplify::{canonical, prove_equal, simplify_for_display, Budget};

    #[test]
    fn deep_terms_simplify_and_prove_without_exhausting_the_stack() {
        // differentiation is linear; the canonical form flattens the nested
        // products, which costs time quadratic in the depth, so it is held to
        // a smaller depth here
        for (depth, simplify) in [(10_000, false), (300, true)] {
            deep_case(depth, simplify);
        }
    }

    fn deep_case(depth: usize, simplify: bool) {
        let mut s = Store::new();
        let w = s.sym("w");
        let x = s.sym("x");
        let mut f = x;
        for _ in 0..depth {
            let wf = s.product(vec![w, f]);
            f = s.call1(Func::Softplus, wf);
        }
        let d = derivative(&mut s, &Domains::new(), f, x).expect("deep");
        assert!(s.dag_size(d.value) <= 5 * depth + 5);
        if !simplify {
            return;
        }
        let c = canonical(&mut s, &Domains::new(), d.value);
        assert!(s.dag_size(c.value) < 200_000);
        let shown = simplify_for_display(&mut s, &Domains::new(), d.value);
        assert!(s.dag_size(shown) > depth);
        let tight = Budget {
            max_nodes: 50_000,
            max_terms: 200,
            deadline: None,
        };
        // the same term on both sides is proved; a different one is not, within budget
        assert!(prove_equal(&mut s, &Domains::new(), d.value, d.value, &tight).is_proved());
        assert!(!prove_equal(&mut s, &Domains::new(), d.value, f, &tight).is_proved());
    }
}
