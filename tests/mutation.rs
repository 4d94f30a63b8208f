//! Mutation test: every claim and step of `derivations/` that holds is broken on
//! purpose, one mechanical mistake at a time (`nabla::check::mutate`), and the
//! checker must reject every broken version. Each mutant ends in one class:
//!
//! - refuted: the checker refutes it, and the test re-evaluates both sides at
//!   the counterexample's exact point and confirms they certainly differ there
//!   (and that the point meets the conditions). For a limit the oracle never
//!   asks nabla's limit engine: a mutated right side is compared with the
//!   original right side (the corpus claim, so the exact limit); a mutated body
//!   is evaluated far along the approach and must settle (within `MARGIN`)
//!   away from the right side, or grow past `1/MARGIN`;
//! - equivalent: the prover shows the mutated side equal to the original one
//!   (an equivalent rewrite, not a mistake);
//! - undefined: the checker says `unknown` and the mutated side has no value at
//!   any point of an independent grid (`1/(1 − 1)`, `ln(−e^x)`): the claim became
//!   meaningless, so no counterexample exists and `unknown` is the right verdict;
//! - limit kept: the body of a limit was mutated, the checker did not refute it
//!   (or proved the mutated claim), and at no grid point do the original and
//!   mutated bodies, evaluated with rigorous enclosures far along the approach
//!   (the farthest six of k = ±10 … ±(10^12 + 1) that evaluate), stay apart by
//!   more than `MARGIN` (`1/(2 + e^{−kx})` → 0 for x < 0 just like
//!   `1/(1 + e^{−kx})`);
//! - survivor: anything else. Survivors fail the test with a readable list.
//!
//! Which side is mutated: the right-hand side; when it gives fewer than
//! `MIN_RHS_MUTANTS` mutants, the left-hand side too. At most
//! `MAX_MUTANTS_PER_OBLIGATION` per obligation, taken round-robin over the kinds
//! of mutation (`mutate::select`). The grid is the checker's sampler run with a
//! different seed and more points (`GRID_SEED`, `GRID_POINTS`).

use nabla::check::sample::{Rng, Sampler};
use nabla::check::{self, mutate, CheckConfig, Counterexample, Verdict};
use nabla::domain::Domains;
use nabla::eval::{self, Agreement, Binding, Env, Value};
use nabla::expr::{ExprId, LimitTo, Node, Store, Symbol};
use nabla::lower::{self, LowerConfig, Obligation};
use nabla::simplify;
use nabla::span::SourceFile;
use nabla::syntax::{self, ast::Expected, ast::RelOp};
use num_bigint::BigInt;
use num_rational::BigRational;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const MAX_MUTANTS_PER_OBLIGATION: usize = 12;
const MIN_RHS_MUTANTS: usize = 4;
const GRID_SEED: u64 = 0x6d75_7461_6e74;
const GRID_POINTS: usize = 120;
/// How far apart values of a limit's body far along the approach may be and
/// still count as one value (the test's own margin; the checker has none).
const MARGIN: f64 = 1e-3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Lhs,
    Rhs,
}

#[derive(Default)]
struct Tally {
    obligations: usize,
    mutants: usize,
    refuted: usize,
    refuted_by_kind: std::collections::BTreeMap<&'static str, usize>,
    equivalent: usize,
    undefined: usize,
    limit_kept: usize,
    /// The non-refuted mutants that were accepted, with their class, for the log.
    accepted: Vec<String>,
    /// Mutants that were not refuted and not shown equivalent.
    survivors: Vec<String>,
    /// Refutations whose counterexample does not hold up when re-evaluated.
    bad_counterexamples: Vec<String>,
}

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("derivations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("derivations/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "nabla"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_mutant_of_a_true_claim_is_refuted() {
    let config = CheckConfig::default();
    let mut tally = Tally::default();
    let files = corpus();
    assert!(!files.is_empty(), "no derivations found");
    for path in files {
        mutate_file(&path, &config, &mut tally);
    }
    report(&tally);
    // the corpus is not trivial: these fail if the test silently stops mutating
    assert!(tally.obligations >= 40, "{} obligations", tally.obligations);
    assert!(tally.refuted >= 300, "{} refuted", tally.refuted);
}

/// Prints the totals and fails on any survivor or bad counterexample.
fn report(tally: &Tally) {
    eprintln!("{}", tally.accepted.join("\n"));
    eprintln!(
        "mutation test: {} obligations, {} mutants: {} refuted, {} equivalent, {} undefined, \
         {} limit kept, {} survivors, {} bad counterexamples; refuted by kind: {:?}",
        tally.obligations,
        tally.mutants,
        tally.refuted,
        tally.equivalent,
        tally.undefined,
        tally.limit_kept,
        tally.survivors.len(),
        tally.bad_counterexamples.len(),
        tally.refuted_by_kind
    );
    assert!(
        tally.survivors.is_empty() && tally.bad_counterexamples.is_empty(),
        "surviving mutants:\n{}\n\ncounterexamples that do not hold up:\n{}",
        tally.survivors.join("\n"),
        tally.bad_counterexamples.join("\n")
    );
}

/// Vector, matrix and sum claims (the corpus has none yet), so index swaps
/// and sums are mutated too.
const INDEXED: &str = "\
dim m, n
var v, y : R^m
var W : R^(m x n)
var x : real
claim \"shifted sum\": Σ_(j=1)^m (v_j + 1) = Σ_j v_j + m
claim \"commute\": v_i * y_i = y_i * v_i
claim \"two indices\": v_i - y_k = -(y_k - v_i)
claim \"matrix\": W_(i,j) * x = x * W_(i,j)
claim \"softmax\": exp(v_i) / Σ_j exp(v_j) = 1/(Σ_j exp(v_j - v_i))
claim \"log-sum\": ln(Σ_j exp(v_j)) - v_i = -ln(exp(v_i) / Σ_j exp(v_j))
claim \"sigmoid\": σ(v_i) = 1/(1 + exp(-v_i))
claim \"tanh\": tanh(x) = 2*σ(2*x) - 1
claim \"softplus\": softplus(v_i) - softplus(-v_i) = v_i
";

#[test]
fn every_mutant_of_an_indexed_claim_is_refuted() {
    let mut tally = Tally::default();
    mutate_source(
        "indexed.nabla",
        INDEXED,
        &CheckConfig::default(),
        &mut tally,
    );
    report(&tally);
    assert_eq!(tally.obligations, 9);
    let refuted = |kind: &str| tally.refuted_by_kind.get(kind).copied().unwrap_or(0);
    assert!(refuted("swap indices") >= 4, "{:?}", tally.refuted_by_kind);
    assert!(
        refuted("swap activation") >= 2,
        "{:?}",
        tally.refuted_by_kind
    );
}

fn mutate_file(path: &PathBuf, config: &CheckConfig, tally: &mut Tally) {
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).expect("a derivation file is UTF-8");
    mutate_source(&name, &text, config, tally);
}

fn mutate_source(name: &str, text: &str, config: &CheckConfig, tally: &mut Tally) {
    let parsed = syntax::parse_file(text);
    assert!(parsed.errors.is_empty(), "{name} does not parse");
    let mut program = lower::lower_file(&parsed.file, LowerConfig::default());
    assert!(
        !program.diagnostics.iter().any(|d| d.is_error()),
        "{name} does not lower"
    );
    let source = SourceFile::new(name, text);
    let obligations = program.obligations.clone();
    for ob in &obligations {
        if ob.expect == Some(Expected::Refuted) {
            continue;
        }
        let store = &mut program.store;
        let domains = &program.domains;
        let verdict = check::check_obligation(store, domains, ob, config);
        if !matches!(verdict, Verdict::Proved { .. } | Verdict::Checked { .. }) {
            continue;
        }
        tally.obligations += 1;
        let at = source.line_col(ob.span.start as usize);
        let place = format!("{name}:{}:{}", at.line, at.col);
        let candidates = mutate::index_symbols(store, &[ob.lhs, ob.rhs]);
        let rhs_mutants = mutate::mutants(store, ob.rhs, &candidates);
        let mut chosen: Vec<(Side, mutate::Mutant)> =
            mutate::select(&rhs_mutants, MAX_MUTANTS_PER_OBLIGATION)
                .into_iter()
                .map(|m| (Side::Rhs, m))
                .collect();
        if rhs_mutants.len() < MIN_RHS_MUTANTS {
            let lhs_mutants = mutate::mutants(store, ob.lhs, &candidates);
            let room = MAX_MUTANTS_PER_OBLIGATION - chosen.len();
            chosen.extend(
                mutate::select(&lhs_mutants, room)
                    .into_iter()
                    .map(|m| (Side::Lhs, m)),
            );
        }
        for (side, m) in chosen {
            tally.mutants += 1;
            let mut mutated = ob.clone();
            let original_side = match side {
                Side::Lhs => std::mem::replace(&mut mutated.lhs, m.root),
                Side::Rhs => std::mem::replace(&mut mutated.rhs, m.root),
            };
            let describe = |store: &Store, verdict: &str| {
                format!(
                    "{place} [{}, {side:?}] original: {}  mutant: {}  verdict: {verdict}",
                    m.kind.name(),
                    store.display(original_side),
                    store.display(m.root)
                )
            };
            match check::check_obligation(store, domains, &mutated, config) {
                Verdict::Refuted { counterexample } => {
                    let oracle = Oracle {
                        side,
                        original_side,
                    };
                    match verify(store, domains, &mutated, &counterexample, oracle) {
                        Ok(()) => {
                            tally.refuted += 1;
                            *tally.refuted_by_kind.entry(m.kind.name()).or_default() += 1;
                        }
                        Err(why) => tally
                            .bad_counterexamples
                            .push(describe(store, &format!("refuted, but {why}"))),
                    }
                }
                other => {
                    let detail = match &other {
                        Verdict::Unknown { reason } => format!("unknown ({reason})"),
                        v => v.word().to_string(),
                    };
                    let class = classify(store, domains, &mutated, side, original_side, &other);
                    match class {
                        Class::Equivalent => tally.equivalent += 1,
                        Class::Undefined => tally.undefined += 1,
                        Class::LimitKept => tally.limit_kept += 1,
                        Class::Survivor => {
                            tally.survivors.push(describe(store, &detail));
                            continue;
                        }
                    }
                    tally
                        .accepted
                        .push(describe(store, &format!("{detail}; {class:?}")));
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Equivalent,
    Undefined,
    LimitKept,
    Survivor,
}

/// Why a mutant that was not refuted is acceptable, if it is (see the module doc).
fn classify(
    store: &mut Store,
    domains: &Domains,
    mutated: &Obligation,
    side: Side,
    original_side: ExprId,
    verdict: &Verdict,
) -> Class {
    let mutant_side = match side {
        Side::Lhs => mutated.lhs,
        Side::Rhs => mutated.rhs,
    };
    if shown_equal(store, domains, mutated, original_side, mutant_side) {
        return Class::Equivalent;
    }
    let points = grid(store, domains, mutated);
    let limit = match store.node(mutated.lhs).clone() {
        Node::Limit { var, to, body } => Some((var, to, body)),
        _ => None,
    };
    let unknown = matches!(verdict, Verdict::Unknown { .. });
    let undefined_everywhere = match (limit, side) {
        (Some((var, to, body)), Side::Lhs) => points
            .iter()
            .all(|env| far_terms(store, var, to, body, env).is_empty()),
        _ => points.iter().all(|env| !defined(store, mutant_side, env)),
    };
    if unknown && undefined_everywhere {
        return Class::Undefined;
    }
    let Some((var, to, body)) = limit else {
        return Class::Survivor;
    };
    let Node::Limit {
        body: original_body,
        ..
    } = store.node(original_side).clone()
    else {
        return Class::Survivor;
    };
    // a proved mutant of the body is accepted only when the oracle finds its
    // limit unchanged: a false proof shows up as a body that settles elsewhere
    if side != Side::Lhs {
        return Class::Survivor;
    }
    let changed_somewhere = points.iter().any(|env| {
        let before = settled(&far_terms(store, var, to, original_body, env));
        let after = settled(&far_terms(store, var, to, body, env));
        matches!((before, after), (Some(a), Some(b)) if (a - b).abs() > MARGIN)
    });
    if changed_somewhere {
        Class::Survivor
    } else {
        Class::LimitKept
    }
}

/// Points of the obligation's free symbols that meet its conditions and the
/// assumptions: the checker's sampler with another seed and more points.
fn grid(store: &Store, domains: &Domains, ob: &Obligation) -> Vec<Env> {
    let mut symbols = Vec::new();
    for r in [ob.lhs, ob.rhs].iter().chain(&ob.conditions) {
        for s in store.free_symbols(*r) {
            if !symbols.contains(&s) {
                symbols.push(s);
            }
        }
    }
    let sampler = Sampler::new(store, domains, &symbols);
    let mut rng = Rng::new(GRID_SEED);
    let count = sampler
        .finite_points()
        .map_or(GRID_POINTS, |n| n.min(GRID_POINTS));
    (0..count)
        .filter_map(|k| sampler.point(k, &mut rng).ok())
        .filter(|env| admissible(store, domains, ob, env, |_| true))
        .collect()
}

fn defined(store: &Store, e: ExprId, env: &Env) -> bool {
    match store.node(e) {
        Node::Vector(xs) => xs.iter().all(|&x| eval::eval(store, x, env).is_ok()),
        _ => eval::eval(store, e, env).is_ok(),
    }
}

/// Where the limit variable is put to read a body far along its approach, in
/// increasing distance: ±(10, 30, 100, 300, 10^3, 10^4, 10^6, 10^9, 10^12),
/// each with the next integer (even and odd), or the point plus and minus
/// 10^-1 … 10^-12.
fn far_points(store: &Store, to: LimitTo, env: &Env) -> Vec<BigRational> {
    let int = |n: u64| BigRational::from_integer(BigInt::from(n));
    let scales = [
        10u64,
        30,
        100,
        300,
        1_000,
        10_000,
        1_000_000,
        1_000_000_000,
        1_000_000_000_000,
    ];
    let huge = scales.iter().flat_map(|&n| [int(n), int(n + 1)]);
    match to {
        LimitTo::PosInf => huge.collect(),
        LimitTo::NegInf => huge.map(|x| -x).collect(),
        LimitTo::Point(p) => {
            let Some(at) = eval::eval(store, p, env)
                .ok()
                .and_then(|v| v.as_exact().cloned())
            else {
                return Vec::new();
            };
            scales
                .iter()
                .flat_map(|&n| [&at + int(n).recip(), &at - int(n).recip()])
                .collect()
        }
    }
}

/// The body at the farthest six `far_points` where it has a rigorous
/// enclosure narrower than `MARGIN / 10` (as its midpoint); nearer points
/// stand in where the evaluator overflows far out (`exp(10^6)`).
fn far_terms(store: &Store, var: Symbol, to: LimitTo, body: ExprId, env: &Env) -> Vec<f64> {
    let values: Vec<f64> = far_points(store, to, env)
        .into_iter()
        .filter_map(|x| {
            let mut at = env.clone();
            at.bind(var, Binding::Scalar(x));
            match eval::eval(store, body, &at).ok()? {
                Value::Exact(r) => num_traits::ToPrimitive::to_f64(&r),
                Value::Approx(iv) if iv.hi() - iv.lo() < MARGIN / 10.0 => {
                    Some((iv.lo() + iv.hi()) / 2.0)
                }
                Value::Approx(_) | Value::Precise(_) => None,
            }
        })
        .filter(|v| v.is_finite())
        .collect();
    values[values.len().saturating_sub(6)..].to_vec()
}

/// The value all far terms share (within `MARGIN`), if they are all there and do.
fn settled(terms: &[f64]) -> Option<f64> {
    if terms.len() < 6 {
        return None;
    }
    let lo = terms.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (hi - lo <= MARGIN).then_some(terms[terms.len() - 1])
}

/// Whether the conditions hold at `env`, and the assumptions among those whose
/// symbols `is_bound` (undefined counts as not holding).
fn admissible(
    store: &Store,
    domains: &Domains,
    ob: &Obligation,
    env: &Env,
    is_bound: impl Fn(ExprId) -> bool,
) -> bool {
    let holds = |c: ExprId| matches!(eval::eval_condition(store, c, env), Ok(true));
    let relevant = domains.assumptions().iter().filter(|&&c| {
        let symbols = store.free_symbols(c);
        symbols.iter().all(|&s| env.get(s).is_some()) && is_bound(c)
    });
    relevant.chain(ob.conditions.iter()).all(|&c| holds(c))
}

/// Whether the prover shows the mutated side equal to the original one, under
/// the obligation's conditions.
fn shown_equal(
    store: &mut Store,
    domains: &Domains,
    ob: &Obligation,
    original: ExprId,
    mutant: ExprId,
) -> bool {
    let mut scoped = domains.clone();
    for &c in &ob.conditions {
        scoped.assume(c);
    }
    let budget = simplify::Budget {
        deadline: Some(Instant::now() + Duration::from_secs(10)),
        ..simplify::Budget::default()
    };
    simplify::prove_equal(store, &scoped, original, mutant, &budget).is_proved()
}

/// Re-evaluates the obligation at the counterexample's exact point: the point
/// must satisfy the conditions and assumptions, and the sides must differ there
/// for certain. `Err` says what does not hold up.
/// What the oracle knows about a mutant: which side changed, and the side it replaced.
#[derive(Clone, Copy)]
struct Oracle {
    side: Side,
    original_side: ExprId,
}

fn verify(
    store: &Store,
    domains: &Domains,
    ob: &Obligation,
    counterexample: &Counterexample,
    oracle: Oracle,
) -> Result<(), String> {
    let env = counterexample.env();
    let bound = |c: ExprId| {
        store
            .free_symbols(c)
            .iter()
            .all(|&s| counterexample.point.iter().any(|(t, _)| *t == s))
    };
    if !admissible(store, domains, ob, &env, bound) {
        return Err("the point does not meet the conditions".to_string());
    }
    if let Node::Limit { var, to, body } = store.node(ob.lhs).clone() {
        return match oracle.side {
            // the corpus claim holds: its right side is the exact limit
            Side::Rhs if sides_differ(store, ob, oracle.original_side, ob.rhs, &env)? => Ok(()),
            Side::Rhs => Err("the mutated right side equals the true limit there".to_string()),
            Side::Lhs => verify_limit(store, ob, &env, var, to, body),
        };
    }
    if let (Node::Vector(a), Node::Vector(b)) = (store.node(ob.lhs), store.node(ob.rhs)) {
        if a.len() != b.len() {
            return Ok(());
        }
        for (&x, &y) in a.iter().zip(b.iter()) {
            if sides_differ(store, ob, x, y, &env)? {
                return Ok(());
            }
        }
        return Err("every entry agrees there".to_string());
    }
    if sides_differ(store, ob, ob.lhs, ob.rhs, &env)? {
        Ok(())
    } else {
        Err("the sides do not certainly differ there".to_string())
    }
}

fn sides_differ(
    store: &Store,
    ob: &Obligation,
    lhs: ExprId,
    rhs: ExprId,
    env: &Env,
) -> Result<bool, String> {
    let value = |e: ExprId| {
        eval::eval(store, e, env).map_err(|err| format!("{} is {err}", store.display(e)))
    };
    let (a, b) = match (value(lhs), value(rhs)) {
        (Ok(a), Ok(b)) => (a, b),
        // past the f64 range (a wide sample point): the multi-precision
        // comparison the evaluator offers decides, or the point does not hold up
        (Err(why), _) | (_, Err(why)) => {
            let tolerance = ob.tolerance.as_ref().filter(|_| ob.op == RelOp::Approx);
            return match eval::compare_sides(store, lhs, rhs, env, tolerance, true) {
                eval::SideComparison::Differ(..) => Ok(true),
                eval::SideComparison::Failed(_) => Err(why),
                _ => Ok(false),
            };
        }
    };
    if let (RelOp::Approx, Some(tol)) = (ob.op, &ob.tolerance) {
        return Ok(Value::approx_equal(&a, &b, tol) == Some(false));
    }
    Ok(Value::compare(&a, &b) == Agreement::Different)
}

/// A mutated body against the right side, without nabla's limit engine: far
/// along the approach the body settles (within `MARGIN`) more than `MARGIN`
/// away from the right side, or every far term is past `1/MARGIN` and growing.
fn verify_limit(
    store: &Store,
    ob: &Obligation,
    env: &Env,
    var: Symbol,
    to: LimitTo,
    body: ExprId,
) -> Result<(), String> {
    let target = eval::eval(store, ob.rhs, env)
        .map_err(|e| format!("the right side is {e}"))?
        .to_f64();
    let terms = far_terms(store, var, to, body, env);
    let diverges = terms.len() == 6
        && terms.iter().all(|v| v.abs() > 1.0 / MARGIN)
        && terms[4].abs() > terms[0].abs();
    if diverges {
        return Ok(());
    }
    let Some(limit) = settled(&terms) else {
        return Err(format!("the body does not settle far along: {terms:?}"));
    };
    if (limit - target).abs() <= MARGIN {
        return Err(format!(
            "far along, the body is {limit}, the right side is {target}"
        ));
    }
    Ok(())
}
