//! The evaluator proper: an explicit-stack walk over the expression DAG with memoization.
//!
//! A node is visited, asks for the children it still needs (only the ones it
//! needs: a piecewise evaluates its conditions in order and only the chosen
//! value, `And` stops at the first false conjunct), is revisited once they are
//! memoized, and records its own outcome. Errors are memoized like values, so
//! each node is computed once per scope.
//!
//! It runs on a [`Plan`] (the DAG compiled to slots, with the free-symbol
//! masks and the memo table), its own or one the caller keeps across points.
//!
//! Scopes: a `Σ` binds its index, so a value under it may differ from term to
//! term. Each node carries the set of symbols occurring free in it (a bit
//! mask); its outcome is memoized in the innermost active `Σ` scope whose
//! index it depends on, or in the base scope if none. Each scope has a stamp
//! that changes when its index moves, and an entry counts only while its
//! scope still has the stamp it was recorded with, so moving the index
//! clears that scope's memo at no cost. A term that does not mention the
//! index (the `Σ_j exp(v_j)` under `Σ_i`) is thus computed once, not once
//! per term.

use super::elementary::{self, integer_of, position};
use super::interval::Interval;
use super::plan::{Memo, Out, Outcome, Plan};
use super::value::{self, Value};
use super::{Binding, Env, EvalError, MAX_EVAL_STEPS, MAX_FN_DERIV_ORDER, MAX_SUM_TERMS};
use crate::expr::{ExprId, Node, Store, Symbol};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive};

/// One active binding of a `Σ` index (the base scope has none). An outcome
/// recorded in this scope carries its `stamp`, which changes whenever the
/// index moves, so the memo of the previous term is stale at once.
struct Scope {
    binding: Option<(Symbol, BigRational)>,
    bit: u128,
    stamp: u64,
}

enum Frame {
    Visit(u32),
    SumLoop(SumLoop),
}

/// A `Σ` in progress: the scope for `current` is on top of the scope stack.
struct SumLoop {
    slot: u32,
    current: BigInt,
    last: BigInt,
    body: u32,
    total: Value,
}

enum Step {
    /// The missing children were pushed above the node's own frame.
    Need,
    Done(Outcome),
    StartSum {
        index: Symbol,
        first: BigInt,
        last: BigInt,
        body: u32,
    },
}

enum Gather<T> {
    Ready(T),
    Need,
    Fail(EvalError),
}

/// Unwraps a `Gather`, returning the step for a missing child or an error.
macro_rules! ready {
    ($gather:expr) => {
        match $gather {
            Gather::Ready(values) => values,
            Gather::Need => return Step::Need,
            Gather::Fail(e) => return Step::Done(Err(e)),
        }
    };
}

/// How one argument of an uninterpreted function is supplied.
enum ArgumentPlan<'e> {
    Scalar(u32),
    BoundVector(Symbol, &'e [BigRational]),
    LiteralVector(u32),
}

/// The plan an evaluator runs on: its own, or one kept by the caller across points.
enum PlanRef<'p> {
    Owned(Box<Plan>),
    Borrowed(&'p mut Plan),
}

impl PlanRef<'_> {
    fn get(&self) -> &Plan {
        match self {
            PlanRef::Owned(p) => p,
            PlanRef::Borrowed(p) => p,
        }
    }

    fn get_mut(&mut self) -> &mut Plan {
        match self {
            PlanRef::Owned(p) => p,
            PlanRef::Borrowed(p) => p,
        }
    }
}

/// Evaluates expressions of one store at one point, sharing a memo across
/// calls (so both sides of a claim reuse common subterms).
pub struct Evaluator<'a> {
    store: &'a Store,
    env: &'a Env,
    plan: PlanRef<'a>,
    scopes: Vec<Scope>,
    steps: u64,
    frames: Vec<Frame>,
    nudge: Option<Nudge>,
}

/// One scalar slot of the point (a scalar symbol, or one entry of a vector
/// or matrix symbol, row-major) read as an f64 interval instead of its exact
/// binding: the derivative cross-check's neighbours `x ± h` evaluated with
/// enclosures rather than big rationals. A nudged vector handed whole to an
/// uninterpreted function carries the interval in its entry; read whole
/// anywhere else it is an error, never the un-nudged data.
#[derive(Clone, Copy, Debug)]
pub struct Nudge {
    pub symbol: Symbol,
    pub entry: Option<usize>,
    pub value: Interval,
}

impl<'a> Evaluator<'a> {
    pub fn new(store: &'a Store, env: &'a Env) -> Evaluator<'a> {
        Evaluator::start(store, env, PlanRef::Owned(Box::default()))
    }

    /// An evaluator on a plan compiled earlier for the same store (see
    /// [`Plan`]): what was compiled is reused, the memo starts empty.
    pub fn with_plan(store: &'a Store, env: &'a Env, plan: &'a mut Plan) -> Evaluator<'a> {
        Evaluator::start(store, env, PlanRef::Borrowed(plan))
    }

    fn start(store: &'a Store, env: &'a Env, mut plan: PlanRef<'a>) -> Evaluator<'a> {
        let stamp = plan.get_mut().fresh_stamp();
        Evaluator {
            store,
            env,
            plan,
            scopes: vec![Scope {
                binding: None,
                bit: 0,
                stamp,
            }],
            steps: 0,
            frames: Vec::new(),
            nudge: None,
        }
    }

    /// Reads the slot `nudge` names as its interval (see [`Nudge`]).
    pub fn nudged(mut self, nudge: Nudge) -> Evaluator<'a> {
        self.nudge = Some(nudge);
        self
    }

    /// Whether `s` is the nudged symbol.
    fn is_nudged(&self, s: Symbol) -> bool {
        self.nudge.is_some_and(|n| n.symbol == s)
    }

    /// An error for a nudged vector or matrix read whole.
    fn nudged_whole(&self, s: Symbol) -> EvalError {
        EvalError::Unsupported(format!("`{}` read whole while nudged", self.store.name(s)))
    }

    /// Gives the next evaluation a step budget of its own (the memo stays):
    /// two sides evaluated by one evaluator each get [`MAX_EVAL_STEPS`].
    pub fn reset_steps(&mut self) {
        self.steps = 0;
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
            Node::Sym(s) if self.is_nudged(*s) => Err(self.nudged_whole(*s)),
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
        let root = self.plan.get_mut().compile(self.store, root);
        let mut frames = std::mem::take(&mut self.frames);
        frames.clear();
        frames.push(Frame::Visit(root));
        while let Some(frame) = frames.pop() {
            self.steps += 1;
            if self.steps > MAX_EVAL_STEPS {
                // only completed outcomes are memoized, so the base memo stays valid
                self.scopes.truncate(1);
                frames.clear();
                self.frames = frames;
                return Err(EvalError::TooLarge(format!(
                    "more than {MAX_EVAL_STEPS} evaluation steps"
                )));
            }
            match frame {
                Frame::Visit(slot) => {
                    if self.lookup(slot).is_some() {
                        continue;
                    }
                    let mark = frames.len();
                    frames.push(Frame::Visit(slot));
                    match self.step(slot, &mut frames) {
                        Step::Need => {}
                        Step::Done(outcome) => {
                            frames.truncate(mark);
                            self.record(slot, outcome);
                        }
                        Step::StartSum {
                            index,
                            first,
                            last,
                            body,
                        } => {
                            frames.truncate(mark);
                            let bit = self.plan.get_mut().bit_mask(index);
                            let stamp = self.plan.get_mut().fresh_stamp();
                            self.scopes.push(Scope {
                                binding: Some((index, BigRational::from_integer(first.clone()))),
                                bit,
                                stamp,
                            });
                            frames.push(Frame::SumLoop(SumLoop {
                                slot,
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
        self.frames = frames;
        self.lookup(root)
            .cloned()
            .unwrap_or_else(|| Err(internal("the root was not evaluated")))
    }

    /// Adds the current term of a `Σ`; returns the loop state for the next
    /// term, or `None` when the sum is finished (its outcome recorded).
    fn continue_sum(&mut self, mut state: SumLoop) -> Option<SumLoop> {
        let total = match self.lookup(state.body) {
            Some(Ok(Out::Num(t))) => value::add(&state.total, t),
            Some(other) => number(other.clone()),
            None => Err(internal("a sum term was not evaluated")),
        };
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
            self.record(state.slot, outcome);
            return None;
        }
        state.current += 1;
        let stamp = self.plan.get_mut().fresh_stamp();
        if let Some(scope) = self.scopes.last_mut() {
            if let Some((_, value)) = scope.binding.as_mut() {
                *value = BigRational::from_integer(state.current.clone());
            }
            scope.stamp = stamp;
        }
        Some(state)
    }

    // ----- memo and scopes -----

    /// The scope an outcome of `slot` belongs to: the innermost `Σ` scope whose
    /// index the node may mention, else the base scope.
    fn depth(&self, slot: u32) -> usize {
        let mask = self.plan.get().mask(slot);
        if mask == 0 {
            return 0;
        }
        (1..self.scopes.len())
            .rev()
            .find(|&d| self.scopes[d].bit & mask != 0)
            .unwrap_or(0)
    }

    fn lookup(&self, slot: u32) -> Option<&Outcome> {
        let stamp = self.scopes.get(self.depth(slot))?.stamp;
        let memo = self.plan.get().memo.get(slot as usize)?;
        if memo.stamp != stamp {
            return None;
        }
        memo.outcome.as_ref()
    }

    fn record(&mut self, slot: u32, outcome: Outcome) {
        let Some(stamp) = self.scopes.get(self.depth(slot)).map(|s| s.stamp) else {
            return;
        };
        if let Some(memo) = self.plan.get_mut().memo.get_mut(slot as usize) {
            *memo = Memo {
                stamp,
                outcome: Some(outcome),
            };
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

    fn kid(&self, slot: u32, k: usize) -> u32 {
        self.plan.get().kids(slot)[k]
    }

    /// The evaluated numbers of `slots`, in order; stops at the first error
    /// whose predecessors are all known, and otherwise pushes the missing ones.
    fn gather<'s>(&'s self, slots: &[u32], frames: &mut Vec<Frame>) -> Gather<Vec<&'s Value>> {
        let mut values = Vec::with_capacity(slots.len());
        let mark = frames.len();
        for &slot in slots {
            let missing = frames.len() > mark;
            match self.lookup(slot) {
                None => frames.push(Frame::Visit(slot)),
                Some(Err(e)) if !missing => return Gather::Fail(e.clone()),
                Some(Err(_)) => break,
                Some(Ok(Out::Bool(_))) if !missing => {
                    return Gather::Fail(EvalError::Unsupported(
                        "a condition where a number is expected".into(),
                    ))
                }
                Some(Ok(Out::Bool(_))) => break,
                Some(Ok(Out::Num(v))) => values.push(v),
            }
        }
        if frames.len() == mark {
            return Gather::Ready(values);
        }
        // the first missing child is evaluated first
        frames[mark..].reverse();
        Gather::Need
    }

    // ----- one node -----

    fn step(&self, slot: u32, frames: &mut Vec<Frame>) -> Step {
        let done_number = |r: Result<Value, EvalError>| Step::Done(r.map(Out::Num));
        let plan = self.plan.get();
        let kids = plan.kids(slot);
        match self.store.node(plan.id(slot)) {
            Node::Num(r) => Step::Done(Ok(Out::Num(Value::Exact(r.clone())))),
            Node::Sym(s) => done_number(self.symbol_value(*s)),
            Node::Add(_) => done_number(value::sum_all(&ready!(self.gather(kids, frames)))),
            Node::Mul(_) => done_number(value::product_all(&ready!(self.gather(kids, frames)))),
            Node::Pow(..) => {
                let v = ready!(self.gather(kids, frames));
                done_number(value::pow(v[0], v[1]))
            }
            Node::Call(func, args) => {
                if args.len() != func.arity() {
                    return Step::Done(Err(EvalError::Unsupported(format!(
                        "{} applied to {} arguments",
                        func.name(),
                        args.len()
                    ))));
                }
                let values: Vec<Value> = ready!(self.gather(kids, frames))
                    .into_iter()
                    .cloned()
                    .collect();
                done_number(elementary::apply(*func, &values))
            }
            Node::Apply(func, _) => self.function_step(*func, slot, None, &[], frames),
            Node::FnDeriv { func, orders, .. } => {
                self.function_step(*func, slot, Some(orders), &[], frames)
            }
            Node::Index(..) => {
                let indices: Vec<Value> = ready!(self.gather(&kids[1..], frames))
                    .into_iter()
                    .cloned()
                    .collect();
                self.index_step(kids[0], &indices, frames)
            }
            Node::Sum { index, .. } => {
                let bounds = ready!(self.gather(&kids[..2], frames));
                let first = match integer_of(bounds[0], "the lower bound") {
                    Ok(n) => n,
                    Err(e) => return Step::Done(Err(e)),
                };
                let last = match integer_of(bounds[1], "the upper bound") {
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
                    body: kids[2],
                }
            }
            Node::Piecewise { branches, .. } => self.piecewise_step(kids, branches.len(), frames),
            Node::Cmp(op, ..) => {
                let v = ready!(self.gather(kids, frames));
                Step::Done(value::decide(*op, v[0], v[1]).map(Out::Bool))
            }
            Node::And(_) => self.and_step(kids, frames),
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
        if let Some(n) = self.nudge.filter(|n| n.symbol == s) {
            return match (self.env.get(s), n.entry) {
                (Some(Binding::Scalar(_)), None) => Ok(Value::Approx(n.value)),
                _ => Err(self.nudged_whole(s)),
            };
        }
        match self.env.get(s) {
            Some(Binding::Scalar(r)) => Ok(Value::Exact(r.clone())),
            Some(Binding::Vector(_)) | Some(Binding::Matrix { .. }) => Err(EvalError::Unsupported(
                format!("`{}` is not a scalar; index it", self.store.name(s)),
            )),
            Some(Binding::Function(_)) => Err(EvalError::Unsupported(format!(
                "function `{}` used as a number",
                self.store.name(s)
            ))),
            None => Err(EvalError::Unbound(self.store.name(s).to_string())),
        }
    }

    /// A condition's outcome as a step-level answer.
    fn truth(&self, slot: u32) -> Option<Result<bool, EvalError>> {
        Some(match self.lookup(slot)? {
            Ok(Out::Bool(b)) => Ok(*b),
            Ok(Out::Num(_)) => Err(EvalError::Unsupported(
                "a number where a condition is expected".into(),
            )),
            Err(e) => Err(e.clone()),
        })
    }

    /// Asks for `slot` alone.
    fn need(slot: u32, frames: &mut Vec<Frame>) -> Step {
        frames.push(Frame::Visit(slot));
        Step::Need
    }

    /// `kids` are `condition, value` per branch, then `otherwise` if any.
    fn piecewise_step(&self, kids: &[u32], branches: usize, frames: &mut Vec<Frame>) -> Step {
        for pair in kids[..2 * branches].chunks(2) {
            let (condition, value) = (pair[0], pair[1]);
            match self.truth(condition) {
                None => return Self::need(condition, frames),
                Some(Err(e)) => return Step::Done(Err(e)),
                Some(Ok(false)) => continue,
                Some(Ok(true)) => return self.take(value, frames),
            }
        }
        match kids.get(2 * branches) {
            Some(&value) => self.take(value, frames),
            None => Step::Done(Err(EvalError::Undefined(
                "no branch of the piecewise applies".into(),
            ))),
        }
    }

    /// The outcome of `value` as this node's outcome (a number).
    fn take(&self, value: u32, frames: &mut Vec<Frame>) -> Step {
        match self.lookup(value) {
            None => Self::need(value, frames),
            Some(outcome) => Step::Done(number(outcome.clone()).map(Out::Num)),
        }
    }

    /// Conjunction, left to right: false at the first false conjunct. An
    /// undecidable conjunct makes the result undecidable unless a later one
    /// is false.
    fn and_step(&self, conditions: &[u32], frames: &mut Vec<Frame>) -> Step {
        let mut undecided = false;
        for &c in conditions {
            match self.truth(c) {
                None => return Self::need(c, frames),
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

    fn index_step(&self, base: u32, indices: &[Value], frames: &mut Vec<Frame>) -> Step {
        match self.store.node(self.plan.get().id(base)) {
            Node::Sym(s) => Step::Done(self.component(*s, indices).map(Out::Num)),
            Node::Vector(entries) => {
                let [i] = indices else {
                    return Step::Done(Err(EvalError::Unsupported(
                        "a vector literal takes one index".into(),
                    )));
                };
                match position(i, entries.len(), "index") {
                    Ok(p) => self.take(self.kid(base, p), frames),
                    Err(e) => Step::Done(Err(e)),
                }
            }
            Node::Apply(func, _) => self.function_step(*func, base, None, indices, frames),
            Node::FnDeriv { func, orders, .. } => {
                self.function_step(*func, base, Some(orders), indices, frames)
            }
            _ => Step::Done(Err(EvalError::Unsupported(
                "indexing this kind of expression".into(),
            ))),
        }
    }

    /// Entry `k` (row-major) of the vector or matrix `s`, or the nudge's
    /// interval when it names that entry.
    fn entry_value(&self, s: Symbol, k: usize, exact: &BigRational) -> Value {
        match self.nudge {
            Some(n) if n.symbol == s && n.entry == Some(k) => Value::Approx(n.value),
            _ => Value::Exact(exact.clone()),
        }
    }

    /// `v_i` or `W_(i,j)` for a symbol bound to a vector or matrix.
    fn component(&self, s: Symbol, indices: &[Value]) -> Result<Value, EvalError> {
        let name = || self.store.name(s);
        if self.scope_binding(s).is_some() {
            return Err(EvalError::Unsupported(format!(
                "indexing the scalar `{}`",
                name()
            )));
        }
        // the place names are only written when an index is out of range
        let at = |v: &Value, len: usize, what: &dyn Fn() -> String| match position(v, len, "") {
            Ok(p) => Ok(p),
            Err(_) => position(v, len, &what()),
        };
        match (self.env.get(s), indices) {
            (Some(Binding::Vector(data)), [i]) => {
                let p = at(i, data.len(), &|| format!("index of `{}`", name()))?;
                Ok(self.entry_value(s, p, &data[p]))
            }
            (Some(Binding::Matrix { rows, cols, data }), [i, j]) => {
                if data.len() != rows.saturating_mul(*cols) {
                    return Err(EvalError::Unsupported(format!(
                        "matrix `{}` has {} entries, not {rows}×{cols}",
                        name(),
                        data.len()
                    )));
                }
                let r = at(i, *rows, &|| format!("row of `{}`", name()))?;
                let c = at(j, *cols, &|| format!("column of `{}`", name()))?;
                Ok(self.entry_value(s, r * cols + c, &data[r * cols + c]))
            }
            (Some(Binding::Vector(_)), _) | (Some(Binding::Matrix { .. }), _) => {
                Err(EvalError::Unsupported(format!(
                    "`{}` indexed with {} indices",
                    name(),
                    indices.len()
                )))
            }
            (Some(_), _) => Err(EvalError::Unsupported(format!(
                "indexing `{}`, which is not a vector or matrix",
                name()
            ))),
            (None, _) => Err(EvalError::Unbound(name().to_string())),
        }
    }

    fn argument_plan(&self, arg: u32) -> ArgumentPlan<'a> {
        match self.store.node(self.plan.get().id(arg)) {
            Node::Sym(s) if self.scope_binding(*s).is_none() => match self.env.get(*s) {
                Some(Binding::Vector(data)) => ArgumentPlan::BoundVector(*s, data),
                _ => ArgumentPlan::Scalar(arg),
            },
            Node::Vector(_) => ArgumentPlan::LiteralVector(arg),
            _ => ArgumentPlan::Scalar(arg),
        }
    }

    /// An uninterpreted function or one of its partial derivatives, possibly
    /// indexed (`node` is the `Apply` or `FnDeriv`, whose children are the
    /// arguments). Indices are: the output index when the function is
    /// vector-valued, then one index per order of differentiation along each
    /// vector argument (scalar arguments take none). So `x(u)_i` is
    /// `Index(Apply(x, [u]), [i])` and `∂x(u)_i/∂u_j` is
    /// `Index(FnDeriv{x, [1], [u]}, [i, j])`.
    fn function_step(
        &self,
        func: Symbol,
        node: u32,
        orders: Option<&[u32]>,
        indices: &[Value],
        frames: &mut Vec<Frame>,
    ) -> Step {
        let function = match self.env.get(func) {
            Some(Binding::Function(f)) => f,
            Some(_) => {
                return Step::Done(Err(EvalError::Unsupported(format!(
                    "`{}` is applied but is not a function",
                    self.store.name(func)
                ))))
            }
            None => return Step::Done(Err(EvalError::Unbound(self.store.name(func).to_string()))),
        };
        let plan = self.plan.get();
        let plans: Vec<ArgumentPlan> = plan
            .kids(node)
            .iter()
            .map(|&a| self.argument_plan(a))
            .collect();
        let to_evaluate: Vec<u32> = plans
            .iter()
            .flat_map(|p| match p {
                ArgumentPlan::Scalar(e) => vec![*e],
                ArgumentPlan::LiteralVector(v) => plan.kids(*v).to_vec(),
                ArgumentPlan::BoundVector(..) => Vec::new(),
            })
            .collect();
        let mut evaluated = ready!(self.gather(&to_evaluate, frames)).into_iter();
        let mut inputs: Vec<Value> = Vec::new();
        // (offset into inputs, vector length or None for a scalar) per argument
        let mut layout = Vec::new();
        for p in &plans {
            let offset = inputs.len();
            match p {
                ArgumentPlan::Scalar(_) => {
                    inputs.extend(evaluated.next().cloned());
                    layout.push((offset, None));
                }
                ArgumentPlan::LiteralVector(v) => {
                    let len = plan.kids(*v).len();
                    inputs.extend(evaluated.by_ref().take(len).cloned());
                    layout.push((offset, Some(len)));
                }
                ArgumentPlan::BoundVector(s, data) => {
                    let entries = data.iter().enumerate();
                    inputs.extend(entries.map(|(k, x)| self.entry_value(*s, k, x)));
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
