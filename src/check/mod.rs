//! Claims and derivation steps to verdicts: proved, checked, refuted or unknown.
//!
//! Every obligation is first given to the symbolic prover; whatever it says, the
//! sides are then compared at sample points. A proof that a sample point
//! contradicts is never reported as proved. A refutation is only reported at a
//! point where the evaluator shows the sides differ for certain (exact rationals,
//! or disjoint rigorous enclosures), so float noise cannot refute a true claim.
//!
//! Invariant: checking does no I/O; the same program and seed give the same verdicts.

pub mod kinks;
mod limit;
pub mod mutate;
#[cfg(test)]
mod proptests;
pub mod sample;

use crate::domain::{Domains, VarDomain};
use crate::eval::{self, Binding, Env, Plan, SideComparison, Value};
use crate::expr::{ExprId, Node, Store, Symbol};
use crate::lower::{DerivativeSite, Obligation, Program};
use crate::simplify;
use crate::syntax::ast::{Expected, RelOp};
use num_rational::BigRational;
use num_traits::{One, Signed};
use sample::{Rng, Sampler};
use std::time::{Duration, Instant};

/// How much checking to do, and how strictly to judge it.
#[derive(Clone, Debug)]
pub struct CheckConfig {
    /// Seed of the sampler; printed with every checked and refuted verdict.
    pub seed: u64,
    /// Anything short of `proved` fails (except what is expected refuted).
    pub strict: bool,
    /// Sample points per obligation.
    pub points: usize,
    /// Fewest usable points for a `checked` verdict.
    pub min_points: usize,
    /// Wall-clock budget per obligation.
    pub time_budget: Duration,
    /// Largest expression (distinct nodes) the prover may build.
    pub node_budget: usize,
    /// Wall-clock budget for all obligations of one file; once it is spent the
    /// remaining ones are `unknown` (the file's other results stay).
    pub file_budget: Duration,
    /// Most distinct expression nodes one file may build while lowering
    /// (see [`crate::lower::LowerConfig::max_nodes`]).
    pub expr_limit: usize,
    /// Threads that check files and claims side by side (`--jobs`); the
    /// verdicts do not depend on it.
    pub jobs: usize,
    /// Whether each refuted claim gets the HTML report's plot of both sides
    /// (`crate::picture::picture`, dozens of evaluations): only `--format html`
    /// shows it, so the other formats skip it. Never changes a verdict.
    pub plots: bool,
    /// Whether a proved claim's rule trace is written out with its terms (JSON,
    /// HTML and `--explain` show it); otherwise each step is named by its rule
    /// alone (`simplify::explain_rules`: as many lines, which is all the other
    /// formats show). Never changes a verdict.
    pub traces: bool,
}

/// The number of cores, the default of `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Default for CheckConfig {
    fn default() -> CheckConfig {
        CheckConfig {
            seed: 1,
            strict: false,
            points: 40,
            min_points: 8,
            time_budget: Duration::from_secs(10),
            node_budget: 200_000,
            file_budget: Duration::from_secs(300),
            expr_limit: crate::lower::DEFAULT_MAX_NODES,
            jobs: default_jobs(),
            plots: true,
            traces: true,
        }
    }
}

/// A point where the two sides differ.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterexample {
    /// `(name, value)` for every variable, exact.
    pub assignment: Vec<(String, String)>,
    pub lhs: String,
    pub rhs: String,
    /// What `lhs` and `rhs` are: exact rationals, enclosures' midpoints, or
    /// no numbers at all.
    pub exactness: [Exactness; 2],
    /// Extra words, e.g. "lengths differ" or the limit sequence.
    pub note: Option<String>,
    /// The exact binding of every sampled symbol (hidden ones included), so
    /// the point can be evaluated again (see [`Counterexample::env`]). For a
    /// limit, the limit's own variable is not bound.
    pub point: Vec<(Symbol, Binding)>,
}

/// What a side of a counterexample is, as its text shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exactness {
    /// A rational computed exactly: the text is the value.
    Exact,
    /// The midpoint of a rigorous enclosure, rounded to about 12 digits: the
    /// sides certainly differ, the digits are approximate.
    Enclosure,
    /// No number: "undefined", "no derivative", an infinite limit, a shape,
    /// a length, an expression.
    NotANumber,
}

impl Exactness {
    pub fn of(v: &Value) -> Exactness {
        if v.is_exact() {
            Exactness::Exact
        } else {
            Exactness::Enclosure
        }
    }
}

impl Counterexample {
    /// The counterexample point as an environment for [`eval::eval`].
    pub fn env(&self) -> Env {
        let mut env = Env::new();
        for (s, b) in &self.point {
            env.bind(*s, b.clone());
        }
        env
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Both sides reach one canonical form; `trace` names the rewrites.
    Proved {
        trace: Vec<String>,
    },
    /// The sides agree at `points` sample points (`skipped` were undefined
    /// there); `explored` says what those points covered.
    Checked {
        points: usize,
        skipped: usize,
        explored: sample::Exploration,
    },
    Refuted {
        counterexample: Counterexample,
    },
    Unknown {
        reason: String,
    },
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Proved { .. } => "proved",
            Verdict::Checked { .. } => "checked",
            Verdict::Refuted { .. } => "refuted",
            Verdict::Unknown { .. } => "unknown",
        }
    }
}

/// The verdict on one obligation and whether it is what the file expects.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub expected: Option<Expected>,
    pub passed: bool,
    pub seed: u64,
    /// Wall time spent on this obligation (JUnit's `time`).
    pub elapsed: std::time::Duration,
}

/// Whether `verdict` meets `expected` (strict: only `proved` meets "holds").
pub fn meets(verdict: &Verdict, expected: Option<Expected>, strict: bool) -> bool {
    match (expected, verdict) {
        (Some(Expected::Refuted), v) => matches!(v, Verdict::Refuted { .. }),
        (_, Verdict::Proved { .. }) => true,
        (Some(Expected::Proved), _) => false,
        (_, Verdict::Checked { .. }) => !strict,
        _ => false,
    }
}

/// Checks every obligation of a lowered program, in order.
///
/// Once `config.file_budget` is spent, the remaining obligations are `unknown`
/// without being looked at, and an obligation still running is cut at the
/// file's deadline.
pub fn check_program(program: &mut Program, config: &CheckConfig) -> Vec<Outcome> {
    check_program_until(program, config, Instant::now() + config.file_budget)
}

/// Like [`check_program`], with the file's deadline given: a document checked as
/// several programs shares one deadline, so `--file-budget` bounds the whole file.
pub fn check_program_until(
    program: &mut Program,
    config: &CheckConfig,
    file_deadline: Instant,
) -> Vec<Outcome> {
    // every obligation starts from the store as lowering left it, so what the
    // prover built for one claim never shapes another: the verdicts are the
    // same whichever thread checks which claim, and in whichever order
    let mark = program.store.mark();
    let checks = CrossChecks::new(program.store.len());
    let obligations = &program.obligations;
    let domains = &program.domains;
    let check_one = |store: &mut Store, ob: &Obligation| {
        let outcome = check_in_budget(store, domains, ob, config, file_deadline, &checks);
        store.rewind(mark);
        outcome
    };
    // outside a pool of big-stack workers (a library caller) everything runs
    // on the caller's thread, as it always did
    if obligations.len() < 2 || rayon::current_num_threads() < 2 || !in_worker_pool() {
        let store = &mut program.store;
        return obligations.iter().map(|ob| check_one(store, ob)).collect();
    }
    let pristine = &program.store;
    use rayon::prelude::*;
    obligations
        .par_iter()
        .map_init(|| pristine.clone(), |store, ob| check_one(store, ob))
        .collect()
}

/// Whether this thread is one of a rayon pool's workers (the driver's pool,
/// whose threads have the big stack deep expressions need).
fn in_worker_pool() -> bool {
    rayon::current_thread_index().is_some()
}

/// One obligation under its own budget and the file's deadline.
fn check_in_budget(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    config: &CheckConfig,
    file_deadline: Instant,
    checks: &CrossChecks,
) -> Outcome {
    let started = Instant::now();
    let verdict = if Instant::now() >= file_deadline {
        Verdict::Unknown {
            reason: file_budget_reason(config),
        }
    } else {
        let claim_deadline = Instant::now() + config.time_budget;
        let deadline = claim_deadline.min(file_deadline);
        let verdict = check_obligation_until(store, domains, ob, config, deadline, checks);
        match verdict {
            Verdict::Unknown { reason }
                if deadline == file_deadline
                    && Instant::now() >= file_deadline
                    && reason.starts_with("budget exceeded") =>
            {
                Verdict::Unknown {
                    reason: file_budget_reason(config),
                }
            }
            v => v,
        }
    };
    Outcome {
        passed: meets(&verdict, ob.expect, config.strict),
        expected: ob.expect,
        verdict,
        seed: config.seed,
        elapsed: started.elapsed(),
    }
}

/// Why an obligation is unknown once the file's budget is spent.
pub fn file_budget_reason(config: &CheckConfig) -> String {
    format!(
        "budget exceeded (file): {} s per file (raise it with --file-budget)",
        config.file_budget.as_secs_f64()
    )
}

/// The verdict on one obligation.
pub fn check_obligation(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    config: &CheckConfig,
) -> Verdict {
    check_obligation_until(
        store,
        domains,
        ob,
        config,
        Instant::now() + config.time_budget,
        &CrossChecks::none(),
    )
}

/// The verdict on one obligation, given up at `deadline`.
fn check_obligation_until(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    config: &CheckConfig,
    deadline: Instant,
    checks: &CrossChecks,
) -> Verdict {
    if let Some(reason) = vacuous_pin(store, domains, ob) {
        return Verdict::Unknown { reason };
    }
    if limit::mentions_limit(store, ob) {
        return limit::check(store, domains, ob, config, deadline);
    }
    // a proof is about entries: it says nothing unless both sides have the same shape
    let same_shape = ob.sizes.as_ref().is_none_or(|(a, b)| {
        let one = store.one();
        let normal = |s: &Vec<ExprId>| {
            if s.is_empty() {
                vec![one, one]
            } else {
                s.clone()
            }
        };
        normal(a) == normal(b)
    });
    let open = open_kinks(store, domains, ob, config, deadline);
    // a proof of a derivative formula says nothing where the derivative may not exist
    let proof = if ob.op == RelOp::Eq && same_shape && open.is_empty() {
        prove(store, domains, ob, config, deadline)
    } else {
        None
    };
    // a proof needs only a sanity sample; without one the sample decides
    let sampling = if proof.is_some() {
        Sampling::Sanity
    } else {
        Sampling::Full
    };
    let how = Looking {
        open: &open,
        sampling,
        checks,
    };
    let numeric = compare_at_points(store, domains, ob, config, deadline, how);
    match (proof, numeric) {
        // a derivative that disagrees with finite differences voids any verdict
        (_, Err(mismatch)) => Verdict::Unknown { reason: mismatch },
        // the prover and the evaluator disagree: neither verdict is given
        (Some(_), Ok(Verdict::Refuted { counterexample })) => Verdict::Unknown {
            reason: format!(
                "a symbolic proof was found, but the sides differ at {} (left = {}, right = {}); \
                 no verdict is given when the two disagree",
                describe_assignment(&counterexample.assignment),
                counterexample.lhs,
                counterexample.rhs
            ),
        },
        (Some(trace), Ok(_)) => Verdict::Proved { trace },
        (None, Ok(numeric)) => numeric,
    }
}

fn describe_assignment(assignment: &[(String, String)]) -> String {
    if assignment.is_empty() {
        return "every point".to_string();
    }
    assignment
        .iter()
        .map(|(n, v)| format!("{n} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The conditions with every `and` taken apart: each conjunct must hold.
fn conjuncts(store: &Store, conditions: &[ExprId]) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut todo: Vec<ExprId> = conditions.iter().rev().copied().collect();
    while let Some(c) = todo.pop() {
        match store.node(c) {
            Node::And(parts) => todo.extend(parts.iter().rev().copied()),
            _ => out.push(c),
        }
    }
    out
}

/// Why no point meets the conditions, when a condition `x == c` fixes a
/// variable to a value outside its declared domain (or two conditions fix it
/// to different values).
fn vacuous_pin(store: &Store, domains: &Domains, ob: &Obligation) -> Option<String> {
    let mut fixed: Vec<(Symbol, BigRational)> = Vec::new();
    // each conjunct of `where x == 0 and y == 0` pins as a condition of its own
    for c in conjuncts(store, &ob.conditions) {
        let Node::Cmp(crate::expr::CmpOp::Eq, a, b) = store.node(c) else {
            continue;
        };
        let (s, value) = match (store.as_sym(*a), store.as_sym(*b)) {
            (Some(s), _) if store.free_symbols(*b).is_empty() => (s, *b),
            (_, Some(s)) if store.free_symbols(*a).is_empty() => (s, *a),
            _ => continue,
        };
        let Ok(Value::Exact(r)) = eval::eval(store, value, &Env::new()) else {
            continue;
        };
        let name = store.display_name(s);
        if let Some(d) = domains.get(s) {
            if d.admits(&r) == Some(false) {
                return Some(format!(
                    "vacuous: no point meets the conditions ({name} == {}, but {name} is {})",
                    Value::Exact(r),
                    d.word()
                ));
            }
        }
        if let Some((_, other)) = fixed.iter().find(|(t, v)| *t == s && *v != r) {
            return Some(format!(
                "vacuous: no point meets the conditions ({name} == {} and {name} == {})",
                Value::Exact(other.clone()),
                Value::Exact(r)
            ));
        }
        fixed.push((s, r));
    }
    None
}

/// Whether every scalar bound at this point lies in its declared domain (a
/// tie `where n == y/2` may give an integer `n` the value 1/4).
fn in_declared_domains(domains: &Domains, symbols: &[Symbol], env: &Env) -> bool {
    symbols.iter().all(|&s| match (domains.get(s), env.get(s)) {
        (Some(d), Some(Binding::Scalar(r))) => d.admits(r) != Some(false),
        _ => true,
    })
}

/// The kinks of the obligation's derivatives that its conditions leave open.
fn open_kinks(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    config: &CheckConfig,
    deadline: Instant,
) -> Vec<kinks::OpenKink> {
    if ob.derivatives.iter().all(|s| s.kinks.is_empty()) {
        return Vec::new();
    }
    let mut scoped = domains.clone();
    for &c in &ob.conditions {
        scoped.assume(c);
    }
    let budget = simplify::Budget {
        max_nodes: config.node_budget,
        deadline: Some(deadline),
        ..simplify::Budget::default()
    };
    kinks::open_kinks(store, &scoped, &ob.derivatives, &ob.conditions, &budget)
}

/// Symbolic proof, when the engine finds one: the rule trace.
fn prove(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    config: &CheckConfig,
    deadline: Instant,
) -> Option<Vec<String>> {
    let mut scoped = domains.clone();
    for &c in &ob.conditions {
        scoped.assume(c);
    }
    let budget = simplify::Budget {
        max_nodes: config.node_budget,
        deadline: Some(deadline),
        ..simplify::Budget::default()
    };
    let outcome = simplify::prove_equal(store, &scoped, ob.lhs, ob.rhs, &budget);
    // a proof that needs a condition the claim rules out (`x ≠ 0` for `x^0 = 1`
    // where x == 0, which would print as `0 ≠ 0`) proves nothing
    if let simplify::ProofOutcome::Proved { conditions, .. } = &outcome {
        for &c in conditions {
            if kinks::contradicted(store, &scoped, &ob.conditions, c) {
                return None;
            }
        }
    }
    outcome.is_proved().then(|| {
        if config.traces {
            simplify::explain(store, &outcome)
        } else {
            simplify::explain_rules(&outcome)
        }
    })
}

/// The free symbols of an obligation: both sides, its conditions and its sizes.
fn obligation_symbols(store: &Store, ob: &Obligation) -> Vec<Symbol> {
    let mut roots = vec![ob.lhs, ob.rhs];
    roots.extend(&ob.conditions);
    // the sizes too: a dimension label has no entries to mention them
    if let Some((left, right)) = &ob.sizes {
        roots.extend(
            left.iter()
                .chain(right)
                .chain(ob.other_sizes.iter().flatten()),
        );
    }
    store.free_symbols_of(roots)
}

/// Assumptions and conditions that hold at this point (undefined counts as not).
/// The conditions a sample point must meet: the obligation's own, and the
/// declared assumptions about its symbols (found once per obligation).
fn point_conditions(
    store: &Store,
    domains: &Domains,
    ob: &Obligation,
    symbols: &[Symbol],
) -> Vec<ExprId> {
    domains
        .assumptions()
        .iter()
        .copied()
        .filter(|&a| store.free_symbols(a).iter().all(|s| symbols.contains(s)))
        .chain(ob.conditions.iter().copied())
        .collect()
}

/// Whether every condition holds at this point (undefined counts as not).
fn admissible(store: &Store, conditions: &[ExprId], env: &Env) -> bool {
    admissible_with(&mut Plan::new(), store, conditions, env)
}

/// [`admissible`] on the claim's plan: the conditions share one evaluator,
/// each with a step budget of its own.
fn admissible_with(plan: &mut Plan, store: &Store, conditions: &[ExprId], env: &Env) -> bool {
    let mut evaluator = eval::Evaluator::with_plan(store, env, plan);
    conditions.iter().all(|&c| {
        evaluator.reset_steps();
        matches!(evaluator.condition(c), Ok(true))
    })
}

/// What one point says about `lhs` vs `rhs`.
enum PointResult {
    Agree,
    Differ {
        lhs: String,
        rhs: String,
        exactness: [Exactness; 2],
        note: Option<String>,
    },
    /// Undefined on a side.
    Skip,
    /// The sides could not be told apart or shown to agree, even at the
    /// highest precision; the reason.
    Undecided(String),
    /// A side passes one of the evaluator's size limits (`eval::MAX_SUM_TERMS`,
    /// `eval::MAX_EVAL_STEPS`, ...); the message names it.
    TooLarge(String),
}

fn compare_point(store: &Store, ob: &Obligation, env: &Env, escalate: bool) -> PointResult {
    compare_point_with(&mut Plan::new(), store, ob, env, escalate)
}

/// [`compare_point`] on the claim's plan, compiled once for all its points.
fn compare_point_with(
    plan: &mut Plan,
    store: &Store,
    ob: &Obligation,
    env: &Env,
    escalate: bool,
) -> PointResult {
    if let Some((left, right)) = &ob.sizes {
        let concrete = |sizes: &[ExprId]| -> Option<Vec<String>> {
            sizes
                .iter()
                .map(|&n| eval::eval(store, n, env).ok().map(|v| v.to_string()))
                .collect()
        };
        // a number has no sizes: it compares as 1 × 1 and is shown as "a number"
        let concrete = |sizes: &[ExprId]| -> Option<Vec<String>> {
            if sizes.is_empty() {
                return Some(vec!["1".to_string(), "1".to_string()]);
            }
            concrete(sizes)
        };
        let shown = |sizes: &[ExprId], values: &[String]| {
            if sizes.is_empty() {
                "a number".to_string()
            } else {
                values.join("×")
            }
        };
        let (Some(a), Some(b)) = (concrete(left), concrete(right)) else {
            return PointResult::Skip;
        };
        let another_reading = || {
            ob.other_sizes
                .iter()
                .any(|other| concrete(other).is_some_and(|o| o == b))
        };
        if a != b && !another_reading() {
            let (lhs, rhs) = (shown(left, &a), shown(right, &b));
            // a dimension label has no entries (both sides are 0): say what it claimed
            let note = if ob.label {
                format!("a shape mistake: the label says {rhs}; the expression is {lhs}")
            } else {
                "the sides have different shapes".to_string()
            };
            return PointResult::Differ {
                lhs,
                rhs,
                exactness: [Exactness::NotANumber; 2],
                note: Some(note),
            };
        }
    }
    let (lhs_node, rhs_node) = (store.node(ob.lhs), store.node(ob.rhs));
    if let (Node::Vector(a), Node::Vector(b)) = (lhs_node, rhs_node) {
        if a.len() != b.len() {
            return PointResult::Differ {
                lhs: format!("{} entries", a.len()),
                rhs: format!("{} entries", b.len()),
                exactness: [Exactness::NotANumber; 2],
                note: Some("the vectors have different lengths".to_string()),
            };
        }
        let mut all_agree = true;
        let mut undecided = None;
        for (k, (&x, &y)) in a.iter().zip(b.iter()).enumerate() {
            match compare_scalars(plan, store, x, y, ob, env, escalate) {
                PointResult::Agree => {}
                PointResult::Differ {
                    lhs,
                    rhs,
                    exactness,
                    ..
                } => {
                    return PointResult::Differ {
                        lhs,
                        rhs,
                        exactness,
                        note: Some(format!("entry {} differs", k + 1)),
                    }
                }
                PointResult::Skip => all_agree = false,
                PointResult::Undecided(why) => {
                    all_agree = false;
                    undecided.get_or_insert(why);
                }
                PointResult::TooLarge(why) => return PointResult::TooLarge(why),
            }
        }
        return match (all_agree, undecided) {
            (true, _) => PointResult::Agree,
            (false, Some(why)) => PointResult::Undecided(why),
            (false, None) => PointResult::Skip,
        };
    }
    if matches!(lhs_node, Node::Vector(_)) != matches!(rhs_node, Node::Vector(_)) {
        return PointResult::Differ {
            lhs: store.display(ob.lhs),
            rhs: store.display(ob.rhs),
            exactness: [Exactness::NotANumber; 2],
            note: Some("one side is a vector and the other is not".to_string()),
        };
    }
    compare_scalars(plan, store, ob.lhs, ob.rhs, ob, env, escalate)
}

fn compare_scalars(
    plan: &mut Plan,
    store: &Store,
    lhs: ExprId,
    rhs: ExprId,
    ob: &Obligation,
    env: &Env,
    escalate: bool,
) -> PointResult {
    let tolerance = match ob.op {
        RelOp::Approx => ob.tolerance.as_ref(),
        _ => None,
    };
    match eval::compare_sides_with(plan, store, lhs, rhs, env, tolerance, escalate) {
        SideComparison::Agree => PointResult::Agree,
        SideComparison::Differ(a, b) => {
            let (lhs, rhs) = (a.to_string(), b.to_string());
            // values that print alike differ below the shown digits: say by how much
            let gap = (lhs == rhs)
                .then(|| a.sub(&b).ok())
                .flatten()
                .map(|d| format!("they differ by {d}"));
            PointResult::Differ {
                lhs,
                rhs,
                exactness: [Exactness::of(&a), Exactness::of(&b)],
                note: tolerance
                    .map(|tol| format!("they differ by more than {}", show_rational(tol)))
                    .or(gap),
            }
        }
        SideComparison::Failed(eval::EvalError::TooLarge(why)) => PointResult::TooLarge(why),
        SideComparison::Failed(_) => PointResult::Skip,
        SideComparison::Undecided(why) => PointResult::Undecided(why),
    }
}

fn show_rational(r: &BigRational) -> String {
    Value::Exact(r.clone()).to_string()
}

/// How hard to look at sample points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sampling {
    /// The sample decides the verdict: every point asked for, boundaries,
    /// points left open by the f64 enclosures re-decided at higher precision.
    Full,
    /// A proof was found: a few points guard against a wrong proof (a point
    /// where the sides differ voids it) and cross-check the derivatives;
    /// no boundary search, and a point the f64 enclosures leave open is dropped.
    Sanity,
}

/// Agreeing points a proved claim's sanity sample looks for.
pub const SANITY_POINTS: usize = 8;

/// The simple points a sanity sample starts with; the rest are wide and random.
const SANITY_SIMPLE_POINTS: usize = 4;

/// How a claim's points are looked at: the kinks its conditions leave open,
/// how hard, and the cross-checks its program keeps.
struct Looking<'a> {
    open: &'a [kinks::OpenKink],
    sampling: Sampling,
    checks: &'a CrossChecks,
}

/// Compares the sides at sample points (and cross-checks derivatives).
fn compare_at_points(
    store: &Store,
    domains: &Domains,
    ob: &Obligation,
    config: &CheckConfig,
    deadline: Instant,
    how: Looking<'_>,
) -> Result<Verdict, String> {
    let Looking {
        open,
        sampling,
        checks,
    } = how;
    let mut symbols = obligation_symbols(store, ob);
    // a derivative's variable is sampled even when the derivative is constant
    for site in ob.derivatives.iter().filter(|_| !open.is_empty()) {
        for s in store.free_symbols(site.body) {
            if !symbols.contains(&s) {
                symbols.push(s);
            }
        }
    }
    let mut sampler = pinned_sampler(store, domains, ob, &symbols);
    let conditions = point_conditions(store, domains, ob, sampler.symbols());
    let roots: Vec<ExprId> = [ob.lhs, ob.rhs]
        .into_iter()
        .chain(conditions.clone())
        .collect();
    let sanity = sampling == Sampling::Sanity;
    if !sanity {
        sampler.find_boundaries(&roots, config.seed, deadline);
    }
    let mut explored = sample::Exploration::default();
    let mut rng = Rng::new(config.seed);
    let points = if sanity {
        config.points.min(SANITY_POINTS)
    } else {
        config.points
    };
    // a finite domain is enumerated once; otherwise points are drawn until
    // `points` of them are usable, trying at most five times as many
    let (wanted, attempts) = match sampler.finite_points() {
        Some(n) => (n.min(points), n.min(points)),
        None => (points, points.saturating_mul(5)),
    };
    // a sanity sample takes a few simple points, then wide and random ones
    let point_index = |k: usize| match sampler.finite_points() {
        None if sanity && k >= SANITY_SIMPLE_POINTS => {
            k - SANITY_SIMPLE_POINTS + sample::SIMPLE_POINTS
        }
        _ => k,
    };
    let needed = config.min_points.min(wanted).max(1);
    let (mut agreed, mut skipped) = (0usize, 0usize);
    // skipped points that fail a condition or assumption (the rest are undefined)
    let mut inadmissible = 0usize;
    // the first evaluator size limit met, named in an `unknown` verdict
    let mut limit_hit: Option<String> = None;
    // points where the sides could not be decided even at the highest
    // precision, and the first reason
    let mut undecided = 0usize;
    let mut undecided_why: Option<String> = None;
    // points left open by the f64 enclosures, decided at higher precision
    // only when the other points do not suffice
    let mut deferred: Vec<Env> = Vec::new();
    // why a point where a derivative may not exist could not be judged
    let mut kink_unknown: Option<String> = None;
    let mut kink_probes = 0usize;
    let mut queued: Vec<Env> = Vec::new();
    // the claim compiled once for all its points: sides, conditions, derivatives
    let mut plan = Plan::new();
    // where a simpler counterexample may move: a point of the claim, at no
    // kink the conditions leave open (a derivative there may have no value)
    let usable = |env: &Env| {
        admissible(store, &conditions, env)
            && in_declared_domains(domains, sampler.symbols(), env)
            && !open.iter().any(|o| kinks::active(store, &o.kink, env))
    };
    for k in 0..attempts {
        if agreed >= wanted {
            break;
        }
        let env = match queued.pop() {
            Some(env) => env,
            None => match next_point(&sampler, point_index(k), &mut rng, deadline, config, "") {
                Ok(env) => env,
                Err(unknown) => return Ok(unknown),
            },
        };
        if !admissible_with(&mut plan, store, &conditions, &env)
            || !in_declared_domains(domains, sampler.symbols(), &env)
        {
            skipped += 1;
            inadmissible += 1;
            continue;
        }
        if !open.is_empty() {
            match kinks::at_point(store, ob, open, &env) {
                Some(kinks::AtKink::NoDerivative { site, why }) => {
                    // a side with no value here makes the claim meaningless at
                    // this point, not false: the point is skipped, as any
                    // point where a side is undefined
                    match other_side(store, ob, open, &env, site) {
                        OtherSide::Value => {
                            return Ok(no_derivative(store, ob, &sampler, &env, site, why));
                        }
                        OtherSide::NoValue => {}
                        OtherSide::Unsure(why) => {
                            kink_unknown.get_or_insert(why);
                        }
                    }
                    skipped += 1;
                    continue;
                }
                Some(kinks::AtKink::Undecided(why)) => {
                    kink_unknown.get_or_insert(why);
                    skipped += 1;
                    continue;
                }
                None => {}
            }
            // look at the kinks near the first few points too
            if kink_probes < 3 {
                kink_probes += 1;
                queued.extend(
                    kinks::kink_points(store, ob, open, &env)
                        .into_iter()
                        .filter(|e| admissible_with(&mut plan, store, &conditions, e)),
                );
            }
        }
        match compare_point_with(&mut plan, store, ob, &env, false) {
            PointResult::Agree => {
                agreed += 1;
                explored.record(&sampler, &env);
                if let Some(failure) =
                    cross_check_with(&mut plan, store, &ob.derivatives, &env, checks)
                {
                    return Err(failure);
                }
            }
            PointResult::Skip => skipped += 1,
            PointResult::Undecided(why) => {
                // decided again at higher precision only if the clean points
                // run short (and never for a sanity sample)
                if deferred.len() < needed && !sanity {
                    deferred.push(env);
                } else {
                    skipped += 1;
                    undecided += 1;
                    undecided_why.get_or_insert(why);
                }
            }
            PointResult::TooLarge(why) => {
                skipped += 1;
                limit_hit.get_or_insert(why);
            }
            PointResult::Differ {
                lhs,
                rhs,
                exactness,
                note,
            } => {
                return Ok(refutation(
                    store,
                    domains,
                    ob,
                    &sampler,
                    &usable,
                    env,
                    (lhs, rhs, exactness, note),
                ));
            }
        }
    }
    for env in deferred {
        if agreed >= needed || Instant::now() > deadline {
            skipped += 1;
            undecided += 1;
            continue;
        }
        match compare_point_with(&mut plan, store, ob, &env, true) {
            PointResult::Agree => {
                agreed += 1;
                if let Some(failure) =
                    cross_check_with(&mut plan, store, &ob.derivatives, &env, checks)
                {
                    return Err(failure);
                }
            }
            PointResult::Differ {
                lhs,
                rhs,
                exactness,
                note,
            } => {
                return Ok(refutation(
                    store,
                    domains,
                    ob,
                    &sampler,
                    &usable,
                    env,
                    (lhs, rhs, exactness, note),
                ));
            }
            PointResult::Undecided(why) => {
                skipped += 1;
                undecided += 1;
                undecided_why = Some(why);
            }
            PointResult::TooLarge(why) => {
                skipped += 1;
                limit_hit.get_or_insert(why);
            }
            PointResult::Skip => skipped += 1,
        }
    }
    // a finite domain enumerated in full: every point met the conditions and agreed, or was left out by them
    let enumerated = sampler.finite_points().is_some_and(|n| n <= config.points)
        && agreed >= 1
        && agreed + inadmissible == attempts;
    Ok(if let Some(why) = kink_unknown {
        Verdict::Unknown { reason: why }
    } else if agreed >= needed || enumerated {
        Verdict::Checked {
            points: agreed,
            skipped,
            explored,
        }
    } else if let Some(why) = undecided_why {
        Verdict::Unknown {
            reason: format!(
                "equality not established: at {undecided} sample point{} the sides could not be \
                 told apart ({why}); they agree at {agreed} (need {needed})",
                if undecided == 1 { "" } else { "s" }
            ),
        }
    } else if let Some(why) = limit_hit {
        Verdict::Unknown {
            reason: format!(
                "size limit: {why}; only {agreed} of {attempts} sample points could be evaluated \
                 (the evaluator's limits are fixed: write the claim with symbolic sizes)"
            ),
        }
    } else {
        Verdict::Unknown {
            reason: format!(
                "only {agreed} of {attempts} sample points could be evaluated (need {needed}): {}",
                why_skipped(inadmissible, skipped - inadmissible)
            ),
        }
    })
}

/// Both sides where they differ, what they are, and a note.
type Found = (String, String, [Exactness; 2], Option<String>);

/// The refuted verdict at a point where the sides differ, shrunk to a simpler point.
fn refutation(
    store: &Store,
    domains: &Domains,
    ob: &Obligation,
    sampler: &Sampler,
    usable: &dyn Fn(&Env) -> bool,
    env: Env,
    found: Found,
) -> Verdict {
    let (env, (lhs, rhs, exactness, note)) =
        shrink(store, domains, ob, sampler, usable, env, found);
    Verdict::Refuted {
        counterexample: Counterexample {
            assignment: show_env(store, sampler.symbols(), &env),
            lhs,
            rhs,
            exactness,
            note,
            point: exact_point(sampler.symbols(), &env),
        },
    }
}

/// Where a derivative of the claim was written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Left,
    Right,
    Condition,
}

fn part_of(ob: &Obligation, site: usize) -> Part {
    if site < ob.left_derivatives {
        Part::Left
    } else if site < ob.side_derivatives {
        Part::Right
    } else {
        Part::Condition
    }
}

/// The other side at a point where derivative `site` does not exist.
enum OtherSide {
    Value,
    /// Undefined there too (`d/dx sqrt(x) = 1/(2·sqrt(x)) where x == 0`, or
    /// `d/dx H(x) = d/dx H(x) where x == 0`): the point is not one of the claim.
    NoValue,
    /// A derivative on the other side may not exist there either.
    Unsure(String),
}

/// Whether the side without derivative `site` has a value at `env`: it must
/// evaluate, and no derivative written on it may be at an active kink.
fn other_side(
    store: &Store,
    ob: &Obligation,
    open: &[kinks::OpenKink],
    env: &Env,
    site: usize,
) -> OtherSide {
    let other = match part_of(ob, site) {
        Part::Left => Part::Right,
        Part::Right => Part::Left,
        // a condition with no value at this point: the point is not in the claim
        Part::Condition => return OtherSide::NoValue,
    };
    let expr = if other == Part::Left { ob.lhs } else { ob.rhs };
    if eval::eval(store, expr, env).is_err() {
        return OtherSide::NoValue;
    }
    // kinks of the derivatives on the other side and in the conditions
    let elsewhere: Vec<kinks::OpenKink> = open
        .iter()
        .filter(|o| part_of(ob, o.site) != part_of(ob, site))
        .cloned()
        .collect();
    match kinks::at_point(store, ob, &elsewhere, env) {
        None => OtherSide::Value,
        Some(kinks::AtKink::NoDerivative { .. }) => OtherSide::NoValue,
        Some(kinks::AtKink::Undecided(why)) => OtherSide::Unsure(why),
    }
}

/// The refutation at a point where a derivative in the claim does not exist.
fn no_derivative(
    store: &Store,
    ob: &Obligation,
    sampler: &Sampler,
    env: &Env,
    site: usize,
    why: String,
) -> Verdict {
    let part = part_of(ob, site);
    let side = |e: ExprId, this: Part| -> (String, Exactness) {
        if this == part {
            return ("no derivative".to_string(), Exactness::NotANumber);
        }
        match eval::eval(store, e, env) {
            Ok(v) => (v.to_string(), Exactness::of(&v)),
            Err(_) => ("undefined".to_string(), Exactness::NotANumber),
        }
    };
    let ((lhs, left), (rhs, right)) = (side(ob.lhs, Part::Left), side(ob.rhs, Part::Right));
    Verdict::Refuted {
        counterexample: Counterexample {
            assignment: show_env(store, sampler.symbols(), env),
            lhs,
            rhs,
            exactness: [left, right],
            note: Some(why),
            point: exact_point(sampler.symbols(), env),
        },
    }
}

/// A sampler for an obligation, with each variable that a condition `x == c`
/// fixes pinned to `c`.
fn pinned_sampler<'a>(
    store: &'a Store,
    domains: &'a Domains,
    ob: &Obligation,
    symbols: &[Symbol],
) -> Sampler<'a> {
    let mut sampler = Sampler::new(store, domains, symbols);
    let free_scalar = |s: Symbol| {
        matches!(
            domains.get(s),
            Some(VarDomain::Real | VarDomain::Integer | VarDomain::Natural | VarDomain::Positive)
                | None
        )
    };
    // each conjunct of `where x == 0 and y == 0` pins as a condition of its own
    for c in conjuncts(store, &ob.conditions) {
        let Node::Cmp(crate::expr::CmpOp::Eq, a, b) = store.node(c) else {
            continue;
        };
        match (store.node(*a), store.node(*b)) {
            (Node::Sym(s), Node::Num(r)) | (Node::Num(r), Node::Sym(s)) if free_scalar(*s) => {
                sampler.pin(*s, r.clone());
            }
            // `where a == c`: a takes c's value (when c does not mention a)
            (Node::Sym(s), _) if free_scalar(*s) && !store.contains_symbol(*b, *s) => {
                sampler.tie(*s, *b)
            }
            (_, Node::Sym(s)) if free_scalar(*s) && !store.contains_symbol(*a, *s) => {
                sampler.tie(*s, *a)
            }
            _ => {}
        }
    }
    sampler
}

/// Sample point `k`, or the `unknown` verdict when the claim's time is up or
/// the point cannot be built (a size past the sampler's limit).
#[allow(clippy::result_large_err)] // a verdict, built once per claim at most
fn next_point(
    sampler: &Sampler,
    k: usize,
    rng: &mut Rng,
    deadline: Instant,
    config: &CheckConfig,
    doing: &str,
) -> Result<Env, Verdict> {
    if Instant::now() > deadline {
        return Err(Verdict::Unknown {
            reason: format!(
                "budget exceeded: {} s per claim{doing} (raise it with --time-budget)",
                config.time_budget.as_secs_f64()
            ),
        });
    }
    sampler
        .point(k, rng)
        .map_err(|reason| Verdict::Unknown { reason })
}

/// Why sample points were skipped: failed conditions, undefined sides, or both.
fn why_skipped(inadmissible: usize, undefined: usize) -> String {
    match (inadmissible, undefined) {
        (_, 0) => "the others do not meet the conditions".to_string(),
        (0, _) => "the sides are undefined or too imprecise at the others".to_string(),
        (i, u) => format!(
            "{i} do not meet the conditions and the sides are undefined or too imprecise at {u}"
        ),
    }
}

/// Tries simpler values for each scalar while the sides still differ.
fn shrink(
    store: &Store,
    domains: &Domains,
    ob: &Obligation,
    sampler: &Sampler,
    usable: &dyn Fn(&Env) -> bool,
    mut env: Env,
    mut found: Found,
) -> (Env, Found) {
    for &s in sampler.symbols() {
        let entries = match (env.get(s).cloned(), domains.get(s)) {
            (Some(Binding::Vector(v)), Some(VarDomain::Vector { .. })) => Some(v),
            (Some(Binding::Matrix { data, .. }), Some(VarDomain::Matrix { .. })) => Some(data),
            _ => None,
        };
        if let Some(mut entries) = entries {
            // a vector or matrix of reals: simplify one entry at a time
            let shape = env.get(s).cloned();
            let rebind = |entries: Vec<BigRational>| match &shape {
                Some(Binding::Matrix { rows, cols, .. }) => Binding::Matrix {
                    rows: *rows,
                    cols: *cols,
                    data: entries,
                },
                _ => Binding::Vector(entries),
            };
            for k in 0..entries.len() {
                for candidate in sample::shrink_candidates(None) {
                    if simplicity(&candidate) >= simplicity(&entries[k]) {
                        continue;
                    }
                    let mut trial_entries = entries.clone();
                    trial_entries[k] = candidate;
                    let mut trial = env.clone();
                    trial.bind(s, rebind(trial_entries.clone()));
                    if !usable(&trial) {
                        continue;
                    }
                    if let PointResult::Differ {
                        lhs,
                        rhs,
                        exactness,
                        note,
                    } = compare_point(store, ob, &trial, true)
                    {
                        env = trial;
                        entries = trial_entries;
                        found = (lhs, rhs, exactness, note);
                        break;
                    }
                }
            }
            continue;
        }
        let Some(Binding::Scalar(current)) = env.get(s).cloned() else {
            continue;
        };
        for candidate in sample::shrink_candidates(domains.get(s)) {
            if simplicity(&candidate) >= simplicity(&current) {
                continue;
            }
            let mut trial = env.clone();
            trial.bind(s, Binding::Scalar(candidate));
            if !usable(&trial) {
                continue;
            }
            if let PointResult::Differ {
                lhs,
                rhs,
                exactness,
                note,
            } = compare_point(store, ob, &trial, true)
            {
                env = trial;
                found = (lhs, rhs, exactness, note);
                break;
            }
        }
    }
    (env, found)
}

/// Smaller is simpler: numerator and denominator sizes.
fn simplicity(r: &BigRational) -> (u64, u64) {
    (r.denom().bits(), r.numer().abs().bits())
}

fn show_env(store: &Store, symbols: &[Symbol], env: &Env) -> Vec<(String, String)> {
    symbols
        .iter()
        .filter_map(|&s| {
            let b = env.get(s)?;
            let name = store.name(s).to_string();
            if name.contains('#') {
                return None;
            }
            Some((name, show_binding(b)))
        })
        .collect()
}

/// The bindings of `symbols` in `env`, exact and in sampling order.
fn exact_point(symbols: &[Symbol], env: &Env) -> Vec<(Symbol, Binding)> {
    symbols
        .iter()
        .filter_map(|&s| Some((s, env.get(s)?.clone())))
        .collect()
}

/// A binding as the user reads it: `3/4`, `[1, 0, 2]`, `a 2×2 matrix [...]`.
fn show_binding(b: &Binding) -> String {
    let show = |r: &BigRational| Value::Exact(r.clone()).to_string();
    match b {
        Binding::Scalar(r) => show(r),
        Binding::Vector(v) => format!("[{}]", v.iter().map(show).collect::<Vec<_>>().join(", ")),
        Binding::Matrix { rows, cols, data } => {
            let rows_text: Vec<String> = data
                .chunks(*cols.max(&1))
                .map(|row| row.iter().map(show).collect::<Vec<_>>().join(", "))
                .collect();
            format!("{rows}×{cols} [{}]", rows_text.join("; "))
        }
        Binding::Function(crate::eval::Function::Seeded(seed)) => {
            format!("a random smooth map (seed {seed})")
        }
        Binding::Function(crate::eval::Function::Sampled { family, seed }) => {
            format!("a random {} map (seed {seed})", family.name())
        }
        Binding::Function(f) => format!("the sample function {f:?}"),
    }
}

/// A finite f64 of a value, if it has one.
fn finite(v: &Value) -> Option<f64> {
    Some(v.to_f64()).filter(|x| x.is_finite())
}

/// One scalar slot of a sample point: a scalar variable, or one entry of a
/// vector or matrix variable (0-based, row-major).
#[derive(Clone, Copy, Debug)]
struct Coordinate {
    symbol: Symbol,
    entry: Option<usize>,
}

impl Coordinate {
    /// The slot a derivative's variable names at this point (`x`, `v_i`, `W_(a,b)`).
    fn of(store: &Store, var: ExprId, env: &Env) -> Option<Coordinate> {
        match store.node(var) {
            Node::Sym(s) => Some(Coordinate {
                symbol: *s,
                entry: None,
            }),
            Node::Index(base, idx) => {
                let symbol = store.as_sym(*base)?;
                let mut at = Vec::with_capacity(idx.len());
                for &i in idx.iter() {
                    let v = eval::eval(store, i, env).ok()?;
                    let n = v.as_exact()?.to_integer();
                    at.push(usize::try_from(n).ok()?.checked_sub(1)?);
                }
                let entry = match (env.get(symbol)?, at.as_slice()) {
                    (Binding::Vector(v), [i]) if *i < v.len() => *i,
                    (Binding::Matrix { rows, cols, .. }, [r, c]) if r < rows && c < cols => {
                        r * cols + c
                    }
                    _ => return None,
                };
                Some(Coordinate {
                    symbol,
                    entry: Some(entry),
                })
            }
            _ => None,
        }
    }

    fn read(self, env: &Env) -> Option<BigRational> {
        match (env.get(self.symbol)?, self.entry) {
            (Binding::Scalar(x), None) => Some(x.clone()),
            (Binding::Vector(v), Some(k)) => v.get(k).cloned(),
            (Binding::Matrix { data, .. }, Some(k)) => data.get(k).cloned(),
            _ => None,
        }
    }

    fn with(self, env: &Env, value: BigRational) -> Option<Env> {
        let binding = match (env.get(self.symbol)?.clone(), self.entry) {
            (Binding::Scalar(_), None) => Binding::Scalar(value),
            (Binding::Vector(mut v), Some(k)) => {
                *v.get_mut(k)? = value;
                Binding::Vector(v)
            }
            (
                Binding::Matrix {
                    rows,
                    cols,
                    mut data,
                },
                Some(k),
            ) => {
                *data.get_mut(k)? = value;
                Binding::Matrix { rows, cols, data }
            }
            _ => return None,
        };
        let mut out = env.clone();
        out.bind(self.symbol, binding);
        Some(out)
    }
}

/// What the cross-check of a set of derivatives found at one point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointCheck {
    /// The first derivative that disagrees with central differences, and how.
    pub failure: Option<String>,
    /// Whether every derivative's formula and body has a value at the point
    /// (false when a failure stopped the check before the last derivative).
    pub defined: bool,
}

/// Checks each derivative taken while lowering against a central difference at
/// this point (for a scalar variable or one entry of a vector or matrix), and
/// tells whether every formula and body has a value there. `plan` is kept by
/// the caller across points, so each body and formula is compiled once for all
/// of them; each formula and its body are evaluated once at the point, for
/// both answers.
pub fn cross_check_derivatives(
    plan: &mut Plan,
    store: &Store,
    sites: &[DerivativeSite],
    env: &Env,
) -> PointCheck {
    let mut defined = true;
    for site in sites {
        let at = AtPoint::evaluate(plan, store, site, env);
        defined &= at.result.is_ok() && at.body.is_ok();
        if let Some(failure) = cross_check_site(plan, store, site, env, Some(&at)) {
            return PointCheck {
                failure: Some(failure),
                defined: false,
            };
        }
    }
    PointCheck {
        failure: None,
        defined,
    }
}

/// A derivative's formula and body at the point itself.
struct AtPoint {
    result: Result<Value, eval::EvalError>,
    body: Result<Value, eval::EvalError>,
}

impl AtPoint {
    /// Both in one evaluation: the body is usually a subterm of the formula
    /// (`σ(u)·(1 − σ(u))` holds `σ(u)`), so it is read off the memo. Each
    /// keeps its own step budget.
    fn evaluate(plan: &mut Plan, store: &Store, site: &DerivativeSite, env: &Env) -> AtPoint {
        let mut evaluator = eval::Evaluator::with_plan(store, env, plan);
        let result = evaluator.value(site.result);
        evaluator.reset_steps();
        let body = evaluator.value(site.body);
        AtPoint { result, body }
    }
}

/// A derivative as the cross-check sees it: body, variable, formula, and
/// where its kinks are (`at` and the guards).
type SiteKey = (ExprId, ExprId, ExprId, Vec<(ExprId, Vec<ExprId>)>);

/// A point (the bindings of the symbols a derivative's cross-check reads)
/// and what the cross-check said there.
type KeptCheck = (Vec<(Symbol, Binding)>, Option<String>);

/// The points one derivative was cross-checked at, with what each said.
#[derive(Default)]
struct SiteChecks {
    /// The symbols the cross-check reads: those of the body, variable,
    /// formula and kinks; a point is these symbols' bindings.
    symbols: Vec<Symbol>,
    done: Vec<KeptCheck>,
}

/// Cross-checks already done, per derivative and point, shared by the
/// claims of one program: the steps of a chain and the claims of a file
/// often carry the same derivative and draw the same points. The answer is
/// a function of the derivative and the point alone, so which claim (or
/// thread) asks first changes nothing. Only derivatives built while
/// lowering are kept (node ids below `pristine`: the store every claim
/// starts from); what a claim builds later is checked afresh.
pub(crate) struct CrossChecks {
    pristine: usize,
    sites: std::sync::Mutex<std::collections::HashMap<SiteKey, SiteChecks>>,
}

/// Most scalars a point of one derivative may bind to be kept.
const CROSS_CHECK_POINT_ENTRIES: usize = 4_096;
/// Most points kept per derivative.
const CROSS_CHECK_POINTS: usize = 512;

impl CrossChecks {
    /// A record for the derivatives of a store with `pristine` nodes.
    fn new(pristine: usize) -> CrossChecks {
        CrossChecks {
            pristine,
            sites: std::sync::Mutex::default(),
        }
    }

    /// Keeps nothing: every cross-check is done afresh.
    fn none() -> CrossChecks {
        CrossChecks::new(0)
    }

    fn key(&self, site: &DerivativeSite) -> Option<SiteKey> {
        let kinks: Vec<(ExprId, Vec<ExprId>)> = site
            .kinks
            .iter()
            .map(|k| (k.at, k.guards.clone()))
            .collect();
        let ids = [site.body, site.var, site.result].into_iter().chain(
            kinks
                .iter()
                .flat_map(|(at, guards)| std::iter::once(*at).chain(guards.iter().copied())),
        );
        ids.into_iter()
            .all(|id| id.index() < self.pristine)
            .then_some((site.body, site.var, site.result, kinks))
    }

    /// The cross-check of `site` at `env`, from the record when it was done.
    fn check(
        &self,
        plan: &mut Plan,
        store: &Store,
        site: &DerivativeSite,
        env: &Env,
    ) -> Option<String> {
        if site.order != 1 {
            return None;
        }
        let Some(key) = self.key(site) else {
            return cross_check_site(plan, store, site, env, None);
        };
        let point = {
            let Ok(mut sites) = self.sites.lock() else {
                return cross_check_site(plan, store, site, env, None);
            };
            let checks = sites.entry(key.clone()).or_insert_with(|| SiteChecks {
                symbols: site_symbols(store, site),
                done: Vec::new(),
            });
            let point = exact_point(&checks.symbols, env);
            if let Some((_, said)) = checks.done.iter().find(|(p, _)| *p == point) {
                return said.clone();
            }
            point
        };
        let said = cross_check_site(plan, store, site, env, None);
        let entries: usize = point.iter().map(|(_, b)| binding_entries(b)).sum();
        if entries <= CROSS_CHECK_POINT_ENTRIES {
            if let Ok(mut sites) = self.sites.lock() {
                if let Some(checks) = sites.get_mut(&key) {
                    if checks.done.len() < CROSS_CHECK_POINTS
                        && !checks.done.iter().any(|(p, _)| *p == point)
                    {
                        checks.done.push((point, said.clone()));
                    }
                }
            }
        }
        said
    }
}

/// The symbols the cross-check of `site` reads at a point.
fn site_symbols(store: &Store, site: &DerivativeSite) -> Vec<Symbol> {
    let mut roots = vec![site.body, site.var, site.result];
    for k in &site.kinks {
        roots.push(k.at);
        roots.extend(&k.guards);
    }
    store.free_symbols_of(roots)
}

/// How many scalars a binding holds (a function counts as one).
fn binding_entries(b: &Binding) -> usize {
    match b {
        Binding::Vector(v) => v.len(),
        Binding::Matrix { data, .. } => data.len(),
        Binding::Scalar(_) | Binding::Function(_) => 1,
    }
}

/// [`cross_check_derivatives`] on the claim's plan: each body is compiled
/// once for its seven evaluations and all the points, and a derivative
/// already cross-checked at this point (by this claim or another of the
/// program) is not checked again.
fn cross_check_with(
    plan: &mut Plan,
    store: &Store,
    sites: &[DerivativeSite],
    env: &Env,
    checks: &CrossChecks,
) -> Option<String> {
    sites
        .iter()
        .find_map(|site| checks.check(plan, store, site, env))
}

/// The finite-difference cross-check of one derivative at one point; `at`
/// the formula and body there when the caller has them already.
fn cross_check_site(
    plan: &mut Plan,
    store: &Store,
    site: &DerivativeSite,
    env: &Env,
    at: Option<&AtPoint>,
) -> Option<String> {
    if site.order != 1 {
        return None;
    }
    // where a kink is active the formula claims nothing; the verdict looks
    // at such points on its own (`kinks::at_point`)
    if site
        .kinks
        .iter()
        .any(|k| kinks::active_with(plan, store, k, env))
    {
        return None;
    }
    let coordinate = Coordinate::of(store, site.var, env)?;
    let x = coordinate.read(env)?;
    let evaluated;
    let at = match at {
        Some(at) => at,
        None => {
            evaluated = AtPoint::evaluate(plan, store, site, env);
            &evaluated
        }
    };
    let symbolic = finite(at.result.as_ref().ok()?)?;
    let steps = [1e-4, 1e-5, 1e-6];
    // the body at x itself (`env` binds the coordinate to x), once for every step
    let center = finite(at.body.as_ref().ok()?)?;
    let mut estimates = Vec::new();
    let mut forward = Vec::new();
    let mut backward = Vec::new();
    let mut smallest_h = f64::INFINITY;
    let mut last = None;
    // a step where the body has no value leaves the derivative unchecked here
    for step in steps {
        let (minus, plus, h) = neighbours(plan, store, site.body, coordinate, &x, step, env)?;
        smallest_h = smallest_h.min(h);
        estimates.push((plus - minus) / (2.0 * h));
        forward.push((plus - center) / h);
        backward.push((center - minus) / h);
        last = Some((minus, plus));
    }
    let (minus, plus) = last?;
    let agrees = |fd: f64| approx::relative_eq!(fd, symbolic, epsilon = 1e-5, max_relative = 1e-4);
    let settled = |v: &[f64]| {
        v.windows(2)
            .all(|w| approx::relative_eq!(w[0], w[1], epsilon = 1e-5, max_relative = 1e-3))
    };
    let var = store.display(site.var);
    if settled(&estimates) && !estimates.iter().any(|&fd| agrees(fd)) {
        return Some(format!(
            "derivative cross-check failed: at {var} = {x} the symbolic derivative is {symbolic:.9} \
             but central differences give {:.9}",
            estimates[1]
        ));
    }
    // the steps scale with |x|: far out they are too long to tell a kink
    // from a function that merely wiggles within a step (an oscillating
    // sampled f at x = -10^5), so the kink tests below only run near
    if smallest_h > 1e-3 {
        return None;
    }
    // a kink the derivative does not know of: one-sided quotients that
    // settle on different slopes (a symmetric kink fools the central one)
    if settled(&forward)
        && settled(&backward)
        && !approx::relative_eq!(forward[2], backward[2], epsilon = 1e-3, max_relative = 1e-2)
    {
        return Some(format!(
            "derivative cross-check failed: at {var} = {x} the one-sided difference quotients \
             are {:.9} and {:.9}, but no kink is known there",
            backward[2], forward[2]
        ));
    }
    // a jump: the quotients grow tenfold per step on one side
    let grows = |v: &[f64]| v.windows(2).all(|w| w[1].abs() > 5.0 * w[0].abs());
    // the change itself must be large, not float noise divided by a tiny step
    // (`minus` and `plus` are at the smallest step, the last one taken)
    let large = |change: f64| change.abs() > 1e-6 * (1.0 + center.abs());
    if (grows(&forward) && large(plus - center)) || (grows(&backward) && large(center - minus)) {
        return Some(format!(
            "derivative cross-check failed: at {var} = {x} the difference quotients grow \
             without bound, but no kink is known there"
        ));
    }
    None
}

/// f(x − h), f(x + h) and h, with h = step·max(1, |x|), evaluated
/// rigorously at exact rational points and returned as f64s.
fn neighbours(
    plan: &mut Plan,
    store: &Store,
    body: ExprId,
    coordinate: Coordinate,
    x: &BigRational,
    step: f64,
    env: &Env,
) -> Option<(f64, f64, f64)> {
    let scale = x.abs().max(BigRational::one());
    let h = BigRational::from_float(step)? * scale;
    let plus = value_at(plan, store, body, coordinate, x + &h, env)?;
    let minus = value_at(plan, store, body, coordinate, x - &h, env)?;
    let h = finite(&Value::Exact(h))?;
    Some((minus, plus, h))
}

/// `body` as an f64 with `coordinate` moved to `point`, rigorously evaluated.
fn value_at(
    plan: &mut Plan,
    store: &Store,
    body: ExprId,
    coordinate: Coordinate,
    point: BigRational,
    env: &Env,
) -> Option<f64> {
    let e = coordinate.with(env, point)?;
    finite(&eval::eval_with(plan, store, body, &e).ok()?)
}

/// A sample point and the value an expression has there.
struct DefinedPoint {
    assignment: Vec<(String, String)>,
    point: Vec<(Symbol, Binding)>,
    value: String,
    exactness: Exactness,
}

/// The first admissible sample point where `e` has a value.
fn defined_point(
    store: &Store,
    domains: &Domains,
    ob: &Obligation,
    e: ExprId,
    config: &CheckConfig,
    deadline: Instant,
) -> Option<DefinedPoint> {
    let symbols = obligation_symbols(store, ob);
    let sampler = pinned_sampler(store, domains, ob, &symbols);
    let conditions = point_conditions(store, domains, ob, sampler.symbols());
    let mut rng = Rng::new(config.seed);
    let attempts = sampler
        .finite_points()
        .map_or(config.points.saturating_mul(5), |n| n.min(config.points));
    for k in 0..attempts {
        let env = next_point(&sampler, k, &mut rng, deadline, config, "").ok()?;
        if !admissible(store, &conditions, &env) {
            continue;
        }
        if let Ok(v) = eval::eval(store, e, &env) {
            return Some(DefinedPoint {
                assignment: show_env(store, sampler.symbols(), &env),
                point: exact_point(sampler.symbols(), &env),
                value: v.to_string(),
                exactness: Exactness::of(&v),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_and_strictness() {
        let proved = Verdict::Proved { trace: vec![] };
        let checked = Verdict::Checked {
            points: 10,
            skipped: 0,
            explored: sample::Exploration::default(),
        };
        let refuted = Verdict::Refuted {
            counterexample: Counterexample {
                assignment: vec![],
                lhs: "1".into(),
                rhs: "2".into(),
                exactness: [Exactness::Exact; 2],
                note: None,
                point: vec![],
            },
        };
        let unknown = Verdict::Unknown { reason: "x".into() };
        assert!(meets(&proved, None, true));
        assert!(meets(&checked, None, false));
        assert!(!meets(&checked, None, true));
        assert!(!meets(&refuted, None, false));
        assert!(meets(&refuted, Some(Expected::Refuted), true));
        assert!(!meets(&proved, Some(Expected::Refuted), false));
        assert!(!meets(&checked, Some(Expected::Proved), false));
        assert!(meets(&checked, Some(Expected::Checked), false));
        assert!(!meets(&unknown, None, false));
        assert!(!meets(&unknown, Some(Expected::Checked), false));
    }

    /// The record of cross-checks answers as a fresh cross-check does, for
    /// each derivative at each point, keeps what it computed, and keeps
    /// nothing a claim built after lowering.
    #[test]
    fn kept_cross_checks_answer_as_fresh_ones() {
        let text = "var x : real\nclaim \"a\": d/dx (x^3 + relu(x)) = 3*x^2 + H(x)\n\
                    claim \"b\": d/dx sin(x)^2 = 2*sin(x)*cos(x)\n";
        let parsed = crate::syntax::parse_file(text);
        let program = crate::lower::lower_file(&parsed.file, Default::default());
        let store = &program.store;
        let sites: Vec<&DerivativeSite> = program
            .obligations
            .iter()
            .flat_map(|ob| &ob.derivatives)
            .collect();
        assert_eq!(sites.len(), 2);
        let checks = CrossChecks::new(store.len());
        let x = store.free_symbols(sites[0].var)[0];
        let mut plan = Plan::new();
        // x = 1/3, -2, 0 (the kink of relu: nothing to check), 7/2
        for (n, d) in [(1, 3), (-2, 1), (0, 1), (7, 2)] {
            let mut env = Env::new();
            env.bind_scalar(x, BigRational::new(n.into(), d.into()));
            for site in &sites {
                let fresh = cross_check_site(&mut Plan::new(), store, site, &env, None);
                assert_eq!(fresh, None);
                assert_eq!(checks.check(&mut plan, store, site, &env), fresh);
                assert_eq!(checks.check(&mut plan, store, site, &env), fresh);
            }
        }
        let kept = |checks: &CrossChecks| -> usize {
            checks
                .sites
                .lock()
                .map_or(0, |s| s.values().map(|c| c.done.len()).sum())
        };
        assert_eq!(kept(&checks), 8);
        // a store with fewer pristine nodes than the sites keeps nothing
        let none = CrossChecks::none();
        let env = Env::new();
        assert_eq!(none.check(&mut plan, store, sites[0], &env), None);
        assert_eq!(kept(&none), 0);
    }

    #[test]
    fn skipped_points_say_why() {
        assert_eq!(why_skipped(40, 0), "the others do not meet the conditions");
        assert_eq!(
            why_skipped(0, 40),
            "the sides are undefined or too imprecise at the others"
        );
        assert_eq!(
            why_skipped(30, 5),
            "30 do not meet the conditions and the sides are undefined or too imprecise at 5"
        );
    }
}
