//! The evaluator proper: an explicit-stack walk over the expression DAG with memoization.
//!
//! A node is visited, asks for the children it still needs (only the ones it
//! needs: a piecewise evaluates its conditions in order and only the chosen
//! value, `And` stops at the first false conjunct), is revisited once they are
//! memoized, and records its own outcome. Errors are memoized like values, so
//! each node is computed once per scope.
//!
//! Scopes: a `Σ` binds its index, so a value under it may differ from term to
//! term. Each node carries the set of symbols occurring free in it (a bit
//! mask); its outcome is memoized in the innermost active `Σ` scope whose
//! index it depends on, or in the base scope if none, and a scope's memo is
//! cleared when its index moves. A term that does not mention the index (the
//! `Σ_j exp(v_j)` under `Σ_i`) is thus computed once, not once per term.

use super::elementary::{self, integer_of, position};
use super::value::{self, Value};
use super::{Binding, Env, EvalError, MAX_EVAL_STEPS, MAX_FN_DERIV_ORDER, MAX_SUM_TERMS};
use crate::expr::id_hash::IdMap;
use crate::expr::{ExprId, Node, Store, Symbol};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive};

/// The bit shared by every symbol past the first 127 (a conservative "may depend").
const SHARED_BIT: u32 = 127;

/// The result of one node: a number or a truth value.
#[derive(Clone, Debug)]
enum Out {
    Num(Value),
    Bool(bool),
}

type Outcome = Result<Out, EvalError>;

/// Memoized outcomes valid while one binding of a `Σ` index holds.
#[derive(Default)]
struct Scope {
    binding: Option<(Symbol, BigRational)>,
    bit: u128,
    memo: IdMap<ExprId, Outcome>,
}

enum Frame {
    Visit(ExprId),
    SumLoop(SumLoop),
}

/// A `Σ` in progress: the scope for `current` is on top of the scope stack.
struct SumLoop {
    id: ExprId,
    current: BigInt,
    last: BigInt,
    body: ExprId,
    total: Value,
}

enum Step {
    Need(Vec<ExprId>),
    Done(Outcome),
    StartSum {
        index: Symbol,
        first: BigInt,
        last: BigInt,
        body: ExprId,
    },
}

enum Gather<T> {
    Ready(T),
    Need(Vec<ExprId>),
    Fail(EvalError),
}

/// Unwraps a `Gather`, returning the step for a missing child or an error.
macro_rules! ready {
    ($gather:expr) => {
        match $gather {
            Gather::Ready(values) => values,
            Gather::Need(ids) => return Step::Need(ids),
            Gather::Fail(e) => return Step::Done(Err(e)),
        }
    };
}

/// How one argument of an uninterpreted function is supplied.
enum ArgumentPlan {
    Scalar(ExprId),
    BoundVector(Vec<BigRational>),
    LiteralVector(Vec<ExprId>),
}

/// Evaluates expressions of one store at one point, sharing a memo across
/// calls (so both sides of a claim reuse common subterms).
pub struct Evaluator<'a> {
    store: &'a Store,
    env: &'a Env,
    symbol_bits: IdMap<Symbol, u32>,
    masks: IdMap<ExprId, u128>,
    scopes: Vec<Scope>,
    steps: u64,
}

impl<'a> Evaluator<'a> {
    pub fn new(store: &'a Store, env: &'a Env) -> Evaluator<'a> {
        Evaluator {
            store,
            env,
            symbol_bits: IdMap::default(),
            masks: IdMap::default(),
            scopes: vec![Scope::default()],
            steps: 0,
        }
    }

    /// The value of `id` (see [`super::eval`]).
    pub fn value(&mut self, id: ExprId) -> Result<Value, EvalError> {
        number(self.run(id))
    }

    /// Whether condition `id` holds (see [`super::eval_condition`]).
    pub fn condition(&mut self, id: ExprId) -> Result<bool, EvalError> {
        match self.run(id)? {
            Out::Bool(b) => Ok(b),
            Out::Num(_) => Err(EvalError::Unsupported(
                "a number where a condition is expected".into(),
            )),
        }
    }

    /// The entries of a vector literal or vector symbol (see [`super::eval_vector`]).
    pub fn vector(&mut self, id: ExprId) -> Result<Vec<Value>, EvalError> {
        match self.store.node(id) {
            Node::Vector(entries) => entries.iter().map(|&e| self.value(e)).collect(),
            Node::Sym(s) => match self.env.get(*s) {
                Some(Binding::Vector(data)) => Ok(data.iter().cloned().map(Value::Exact).collect()),
                Some(_) => Err(EvalError::Unsupported(format!(
                    "`{}` is not a vector",
                    self.store.name(*s)
                ))),
                None => Err(EvalError::Unbound(self.store.name(*s).to_string())),
            },
            _ => Err(EvalError::Unsupported(
                "this expression is not a vector".into(),
            )),
        }
    }

    fn run(&mut self, root: ExprId) -> Outcome {
        self.prepare(root);
        let mut frames = vec![Frame::Visit(root)];
        while let Some(frame) = frames.pop() {
            self.steps += 1;
            if self.steps > MAX_EVAL_STEPS {
                // only completed outcomes are memoized, so the base memo stays valid
                self.scopes.truncate(1);
                return Err(EvalError::TooLarge(format!(
                    "more than {MAX_EVAL_STEPS} evaluation steps"
                )));
            }
            match frame {
                Frame::Visit(id) => {
                    if self.lookup(id).is_some() {
                        continue;
                    }
                    match self.step(id) {
                        Step::Need(children) => {
                            frames.push(Frame::Visit(id));
                            frames.extend(children.into_iter().rev().map(Frame::Visit));
                        }
                        Step::Done(outcome) => self.record(id, outcome),
                        Step::StartSum {
                            index,
                            first,
                            last,
                            body,
                        } => {
                            let bit = self.bit_mask(index);
                            self.scopes.push(Scope {
                                binding: Some((index, BigRational::from_integer(first.clone()))),
                                bit,
                                memo: IdMap::default(),
                            });
                            frames.push(Frame::SumLoop(SumLoop {
                                id,
                                current: first,
                                last,
                                body,
                                total: Value::zero(),
                            }));
                            frames.push(Frame::Visit(body));
                        }
                    }
                }
                Frame::SumLoop(state) => {
                    if let Some(next) = self.continue_sum(state) {
                        let body = next.body;
                        frames.push(Frame::SumLoop(next));
                        frames.push(Frame::Visit(body));
                    }
                }
            }
        }
        self.lookup(root)
            .cloned()
            .unwrap_or_else(|| Err(internal("the root was not evaluated")))
    }

    /// Adds the current term of a `Σ`; returns the loop state for the next
    /// term, or `None` when the sum is finished (its outcome recorded).
    fn continue_sum(&mut self, mut state: SumLoop) -> Option<SumLoop> {
        let term = self
            .lookup(state.body)
            .cloned()
            .unwrap_or_else(|| Err(internal("a sum term was not evaluated")));
        let total = number(term).and_then(|t| value::add(&state.total, &t));
        let finish = match total {
            Err(e) => Some(Err(e)),
            Ok(total) if state.current >= state.last => Some(Ok(Out::Num(total))),
            Ok(total) => {
                state.total = total;
                None
            }
        };
        if let Some(outcome) = finish {
            self.scopes.pop();
            self.record(state.id, outcome);
            return None;
        }
        state.current += 1;
        if let Some(scope) = self.scopes.last_mut() {
            if let Some((_, value)) = scope.binding.as_mut() {
                *value = BigRational::from_integer(state.current.clone());
            }
            scope.memo.clear();
        }
        Some(state)
    }

    // ----- memo and scopes -----

    fn bit_index(&mut self, s: Symbol) -> u32 {
        let next = (self.symbol_bits.len() as u32).min(SHARED_BIT);
        *self.symbol_bits.entry(s).or_insert(next)
    }

    fn bit_mask(&mut self, s: Symbol) -> u128 {
        1u128 << self.bit_index(s)
    }

    /// Computes the free-symbol masks of every node under `root` not seen yet
    /// (children before parents, with an explicit stack).
    fn prepare(&mut self, root: ExprId) {
        let mut stack = vec![(root, false)];
        while let Some((id, children_done)) = stack.pop() {
            if self.masks.contains_key(&id) {
                continue;
            }
            let children = self.store.children(id);
            if !children_done {
                stack.push((id, true));
                stack.extend(
                    children
                        .into_iter()
                        .filter(|c| !self.masks.contains_key(c))
                        .map(|c| (c, false)),
                );
                continue;
            }
            let union = children
                .iter()
                .map(|c| self.masks.get(c).copied().unwrap_or(u128::MAX))
                .fold(0u128, |a, b| a | b);
            let mask = match self.store.node(id) {
                Node::Sym(s) => self.bit_mask(*s),
                Node::Sum {
                    index,
                    lower,
                    upper,
                    body,
                } => {
                    let bit = self.bit_index(*index);
                    let mask_of = |e: &ExprId| self.masks.get(e).copied().unwrap_or(u128::MAX);
                    let body_mask = if bit == SHARED_BIT {
                        mask_of(body)
                    } else {
                        mask_of(body) & !(1u128 << bit)
                    };
                    mask_of(lower) | mask_of(upper) | body_mask
                }
                _ => union,
            };
            self.masks.insert(id, mask);
        }
    }

    /// The scope an outcome of `id` belongs to: the innermost `Σ` scope whose
    /// index `id` may mention, else the base scope.
    fn depth(&self, id: ExprId) -> usize {
        let mask = self.masks.get(&id).copied().unwrap_or(u128::MAX);
        if mask == 0 {
            return 0;
        }
        (1..self.scopes.len())
            .rev()
            .find(|&d| self.scopes[d].bit & mask != 0)
            .unwrap_or(0)
    }

    fn lookup(&self, id: ExprId) -> Option<&Outcome> {
        self.scopes.get(self.depth(id))?.memo.get(&id)
    }

    fn record(&mut self, id: ExprId, outcome: Outcome) {
        let depth = self.depth(id);
        if let Some(scope) = self.scopes.get_mut(depth) {
            scope.memo.insert(id, outcome);
        }
    }

    /// The value a `Σ` currently gives `s`, innermost first.
    fn scope_binding(&self, s: Symbol) -> Option<&BigRational> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| match &scope.binding {
                Some((bound, value)) if *bound == s => Some(value),
                _ => None,
            })
    }

    /// The evaluated numbers of `ids`, in order; stops at the first error
    /// whose predecessors are all known, and otherwise asks for the missing ones.
    fn gather(&self, ids: &[ExprId]) -> Gather<Vec<Value>> {
        let mut values = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for &id in ids {
            match self.lookup(id) {
                None => missing.push(id),
                Some(Err(e)) if missing.is_empty() => return Gather::Fail(e.clone()),
                Some(Err(_)) => break,
                Some(Ok(Out::Bool(_))) if missing.is_empty() => {
                    return Gather::Fail(EvalError::Unsupported(
                        "a condition where a number is expected".into(),
                    ))
                }
                Some(Ok(Out::Bool(_))) => break,
                Some(Ok(Out::Num(v))) => values.push(v.clone()),
            }
        }
        if missing.is_empty() {
            Gather::Ready(values)
        } else {
            Gather::Need(missing)
        }
    }

    // ----- one node -----

    fn step(&self, id: ExprId) -> Step {
        let done_number = |r: Result<Value, EvalError>| Step::Done(r.map(Out::Num));
        match self.store.node(id) {
            Node::Num(r) => Step::Done(Ok(Out::Num(Value::Exact(r.clone())))),
            Node::Sym(s) => done_number(self.symbol_value(*s)),
            Node::Add(terms) => done_number(value::sum_all(&ready!(self.gather(terms)))),
            Node::Mul(factors) => done_number(value::product_all(&ready!(self.gather(factors)))),
            Node::Pow(base, exponent) => {
                let v = ready!(self.gather(&[*base, *exponent]));
                done_number(value::pow(&v[0], &v[1]))
            }
            Node::Call(func, args) => {
                if args.len() != func.arity() {
                    return Step::Done(Err(EvalError::Unsupported(format!(
                        "{} applied to {} arguments",
                        func.name(),
                        args.len()
                    ))));
                }
                done_number(elementary::apply(*func, &ready!(self.gather(args))))
            }
            Node::Apply(func, args) => self.function_step(*func, args, None, &[]),
            Node::FnDeriv { func, orders, args } => {
                self.function_step(*func, args, Some(orders), &[])
            }
            Node::Index(base, indices) => {
                let indices = ready!(self.gather(indices));
                self.index_step(*base, &indices)
            }
            Node::Sum {
                index,
                lower,
                upper,
                body,
            } => {
                let bounds = ready!(self.gather(&[*lower, *upper]));
                let first = match integer_of(&bounds[0], "the lower bound") {
                    Ok(n) => n,
                    Err(e) => return Step::Done(Err(e)),
                };
                let last = match integer_of(&bounds[1], "the upper bound") {
                    Ok(n) => n,
                    Err(e) => return Step::Done(Err(e)),
                };
                let count = &last - &first + BigInt::one();
                if !count.is_positive() {
                    return Step::Done(Ok(Out::Num(Value::zero())));
                }
                if count > BigInt::from(MAX_SUM_TERMS) {
                    return Step::Done(Err(EvalError::TooLarge(format!(
                        "a sum of {count} terms (limit {MAX_SUM_TERMS})"
                    ))));
                }
                Step::StartSum {
                    index: *index,
                    first,
                    last,
                    body: *body,
                }
            }
            Node::Piecewise {
                branches,
                otherwise,
            } => self.piecewise_step(branches, *otherwise),
            Node::Cmp(op, a, b) => {
                let v = ready!(self.gather(&[*a, *b]));
                Step::Done(value::decide(*op, &v[0], &v[1]).map(Out::Bool))
            }
            Node::And(conditions) => self.and_step(conditions),
            Node::Vector(_) => Step::Done(Err(EvalError::Unsupported(
                "a vector where a number is expected".into(),
            ))),
            Node::Limit { .. } => Step::Done(Err(EvalError::Unsupported(
                "a limit (the checker evaluates limits)".into(),
            ))),
        }
    }

    fn symbol_value(&self, s: Symbol) -> Result<Value, EvalError> {
        if let Some(value) = self.scope_binding(s) {
            return Ok(Value::Exact(value.clone()));
        }
        let name = self.store.name(s);
        match self.env.get(s) {
            Some(Binding::Scalar(r)) => Ok(Value::Exact(r.clone())),
            Some(Binding::Vector(_)) | Some(Binding::Matrix { .. }) => Err(EvalError::Unsupported(
                format!("`{name}` is not a scalar; index it"),
            )),
            Some(Binding::Function(_)) => Err(EvalError::Unsupported(format!(
                "function `{name}` used as a number"
            ))),
            None => Err(EvalError::Unbound(name.to_string())),
        }
    }

    /// A condition's outcome as a step-level answer.
    fn truth(&self, id: ExprId) -> Option<Result<bool, EvalError>> {
        Some(match self.lookup(id)? {
            Ok(Out::Bool(b)) => Ok(*b),
            Ok(Out::Num(_)) => Err(EvalError::Unsupported(
                "a number where a condition is expected".into(),
            )),
            Err(e) => Err(e.clone()),
        })
    }

    fn piecewise_step(&self, branches: &[(ExprId, ExprId)], otherwise: Option<ExprId>) -> Step {
        for &(condition, value) in branches {
            match self.truth(condition) {
                None => return Step::Need(vec![condition]),
                Some(Err(e)) => return Step::Done(Err(e)),
                Some(Ok(false)) => continue,
                Some(Ok(true)) => return self.take(value),
            }
        }
        match otherwise {
            Some(value) => self.take(value),
            None => Step::Done(Err(EvalError::Undefined(
                "no branch of the piecewise applies".into(),
            ))),
        }
    }

    /// The outcome of `value` as this node's outcome (a number).
    fn take(&self, value: ExprId) -> Step {
        match self.lookup(value) {
            None => Step::Need(vec![value]),
            Some(outcome) => Step::Done(number(outcome.clone()).map(Out::Num)),
        }
    }

    /// Conjunction, left to right: false at the first false conjunct. An
    /// undecidable conjunct makes the result undecidable unless a later one
    /// is false.
    fn and_step(&self, conditions: &[ExprId]) -> Step {
        let mut undecided = false;
        for &c in conditions {
            match self.truth(c) {
                None => return Step::Need(vec![c]),
                Some(Ok(true)) => {}
                Some(Ok(false)) => return Step::Done(Ok(Out::Bool(false))),
                Some(Err(EvalError::Indeterminate)) => undecided = true,
                Some(Err(e)) => {
                    return Step::Done(Err(if undecided {
                        EvalError::Indeterminate
                    } else {
                        e
                    }))
                }
            }
        }
        Step::Done(if undecided {
            Err(EvalError::Indeterminate)
        } else {
            Ok(Out::Bool(true))
        })
    }

    fn index_step(&self, base: ExprId, indices: &[Value]) -> Step {
        match self.store.node(base) {
            Node::Sym(s) => Step::Done(self.component(*s, indices).map(Out::Num)),
            Node::Vector(entries) => {
                let [i] = indices else {
                    return Step::Done(Err(EvalError::Unsupported(
                        "a vector literal takes one index".into(),
                    )));
                };
                match position(i, entries.len(), "index") {
                    Ok(p) => self.take(entries[p]),
                    Err(e) => Step::Done(Err(e)),
                }
            }
            Node::Apply(func, args) => self.function_step(*func, args, None, indices),
            Node::FnDeriv { func, orders, args } => {
                self.function_step(*func, args, Some(orders), indices)
            }
            _ => Step::Done(Err(EvalError::Unsupported(
                "indexing this kind of expression".into(),
            ))),
        }
    }

    /// `v_i` or `W_(i,j)` for a symbol bound to a vector or matrix.
    fn component(&self, s: Symbol, indices: &[Value]) -> Result<Value, EvalError> {
        let name = self.store.name(s);
        if self.scope_binding(s).is_some() {
            return Err(EvalError::Unsupported(format!(
                "indexing the scalar `{name}`"
            )));
        }
        match (self.env.get(s), indices) {
            (Some(Binding::Vector(data)), [i]) => {
                let p = position(i, data.len(), &format!("index of `{name}`"))?;
                Ok(Value::Exact(data[p].clone()))
            }
            (Some(Binding::Matrix { rows, cols, data }), [i, j]) => {
                if data.len() != rows.saturating_mul(*cols) {
                    return Err(EvalError::Unsupported(format!(
                        "matrix `{name}` has {} entries, not {rows}×{cols}",
                        data.len()
                    )));
                }
                let r = position(i, *rows, &format!("row of `{name}`"))?;
                let c = position(j, *cols, &format!("column of `{name}`"))?;
                Ok(Value::Exact(data[r * cols + c].clone()))
            }
            (Some(Binding::Vector(_)), _) | (Some(Binding::Matrix { .. }), _) => Err(
                EvalError::Unsupported(format!("`{name}` indexed with {} indices", indices.len())),
            ),
            (Some(_), _) => Err(EvalError::Unsupported(format!(
                "indexing `{name}`, which is not a vector or matrix"
            ))),
            (None, _) => Err(EvalError::Unbound(name.to_string())),
        }
    }

    fn argument_plan(&self, arg: ExprId) -> ArgumentPlan {
        match self.store.node(arg) {
            Node::Sym(s) if self.scope_binding(*s).is_none() => match self.env.get(*s) {
                Some(Binding::Vector(data)) => ArgumentPlan::BoundVector(data.clone()),
                _ => ArgumentPlan::Scalar(arg),
            },
            Node::Vector(entries) => ArgumentPlan::LiteralVector(entries.to_vec()),
            _ => ArgumentPlan::Scalar(arg),
        }
    }

    /// An uninterpreted function or one of its partial derivatives, possibly
    /// indexed. Indices are: the output index when the function is
    /// vector-valued, then one index per order of differentiation along each
    /// vector argument (scalar arguments take none). So `x(u)_i` is
    /// `Index(Apply(x, [u]), [i])` and `∂x(u)_i/∂u_j` is
    /// `Index(FnDeriv{x, [1], [u]}, [i, j])`.
    fn function_step(
        &self,
        func: Symbol,
        args: &[ExprId],
        orders: Option<&[u32]>,
        indices: &[Value],
    ) -> Step {
        let name = self.store.name(func);
        let function = match self.env.get(func) {
            Some(Binding::Function(f)) => f,
            Some(_) => {
                return Step::Done(Err(EvalError::Unsupported(format!(
                    "`{name}` is applied but is not a function"
                ))))
            }
            None => return Step::Done(Err(EvalError::Unbound(name.to_string()))),
        };
        let plans: Vec<ArgumentPlan> = args.iter().map(|&a| self.argument_plan(a)).collect();
        let to_evaluate: Vec<ExprId> = plans
            .iter()
            .flat_map(|p| match p {
                ArgumentPlan::Scalar(e) => vec![*e],
                ArgumentPlan::LiteralVector(entries) => entries.clone(),
                ArgumentPlan::BoundVector(_) => Vec::new(),
            })
            .collect();
        let mut evaluated = ready!(self.gather(&to_evaluate)).into_iter();
        let mut inputs = Vec::new();
        // (offset into inputs, vector length or None for a scalar) per argument
        let mut layout = Vec::new();
        for plan in &plans {
            let offset = inputs.len();
            match plan {
                ArgumentPlan::Scalar(_) => {
                    inputs.extend(evaluated.next());
                    layout.push((offset, None));
                }
                ArgumentPlan::LiteralVector(entries) => {
                    inputs.extend(evaluated.by_ref().take(entries.len()));
                    layout.push((offset, Some(entries.len())));
                }
                ArgumentPlan::BoundVector(data) => {
                    inputs.extend(data.iter().cloned().map(Value::Exact));
                    layout.push((offset, Some(data.len())));
                }
            }
        }
        let outcome = derivative_directions(orders, &layout, indices)
            .and_then(|(output, directions)| function.evaluate(output, &inputs, &directions));
        Step::Done(outcome.map(Out::Num))
    }
}

/// Splits the indices of a function application into the output index and
/// the differentiation directions (positions in the flattened inputs).
fn derivative_directions(
    orders: Option<&[u32]>,
    layout: &[(usize, Option<usize>)],
    indices: &[Value],
) -> Result<(Option<usize>, Vec<usize>), EvalError> {
    let no_orders = vec![0u32; layout.len()];
    let orders = orders.unwrap_or(&no_orders);
    if orders.len() != layout.len() {
        return Err(EvalError::Unsupported(format!(
            "derivative orders for {} arguments, but {} arguments",
            orders.len(),
            layout.len()
        )));
    }
    let total: u64 = orders.iter().map(|&o| u64::from(o)).sum();
    if total > u64::from(MAX_FN_DERIV_ORDER) {
        return Err(EvalError::TooLarge(format!(
            "a derivative of order {total} (limit {MAX_FN_DERIV_ORDER})"
        )));
    }
    let direction_indices: usize = orders
        .iter()
        .zip(layout)
        .filter(|(_, (_, len))| len.is_some())
        .map(|(&o, _)| o as usize)
        .sum();
    let (output, mut rest) = if indices.len() == direction_indices + 1 {
        let k = integer_of(&indices[0], "output index")?;
        match k.to_usize() {
            Some(k) if k >= 1 => (Some(k), &indices[1..]),
            _ => return Err(EvalError::Undefined(format!("output index {k} is below 1"))),
        }
    } else if indices.len() == direction_indices {
        (None, indices)
    } else {
        return Err(EvalError::Unsupported(format!(
            "{} indices on a function application that takes {} or {}",
            indices.len(),
            direction_indices,
            direction_indices + 1
        )));
    };
    let mut directions = Vec::new();
    for (&order, &(offset, len)) in orders.iter().zip(layout) {
        match len {
            None => directions.extend(std::iter::repeat_n(offset, order as usize)),
            Some(len) => {
                for _ in 0..order {
                    let Some((first, remaining)) = rest.split_first() else {
                        return Err(internal("direction indices ran out"));
                    };
                    directions.push(offset + position(first, len, "derivative index")?);
                    rest = remaining;
                }
            }
        }
    }
    Ok((output, directions))
}

fn number(outcome: Outcome) -> Result<Value, EvalError> {
    match outcome? {
        Out::Num(v) => Ok(v),
        Out::Bool(_) => Err(EvalError::Unsupported(
            "a condition where a number is expected".into(),
        )),
    }
}

fn internal(what: &str) -> EvalError {
    EvalError::Unsupported(format!("internal evaluator error: {what}"))
}
