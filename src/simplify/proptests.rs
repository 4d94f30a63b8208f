//! Soundness as properties, over random expressions (more than 10,000 cases a run):
//! canonical and normal forms agree with the original wherever it is defined,
//! a proof is never found for sides that differ numerically, and derivatives
//! agree with central finite differences.

use super::testkit::{eval, near_discontinuity, overflows};
use super::*;
use crate::diff;
use crate::domain::Domains;
use crate::expr::{Func, Store, Symbol};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::HashMap;

/// A random expression before it is put in a store.
#[derive(Clone, Debug)]
pub(crate) enum Tree {
    X,
    Y,
    Int(i64),
    Half,
    Unary(Func, Box<Tree>),
    Neg(Box<Tree>),
    Add(Box<Tree>, Box<Tree>),
    Sub(Box<Tree>, Box<Tree>),
    Mul(Box<Tree>, Box<Tree>),
    Div(Box<Tree>, Box<Tree>),
    PowInt(Box<Tree>, i64),
    PowHalf(Box<Tree>),
    PowVar(Box<Tree>, Box<Tree>),
    Apply(Box<Tree>),
}

const UNARY: &[Func] = &[
    Func::Exp,
    Func::Ln,
    Func::Sqrt,
    Func::Abs,
    Func::Sigmoid,
    Func::Softplus,
    Func::Tanh,
    Func::Relu,
    Func::Heaviside,
    Func::Sign,
    Func::Log2,
];

pub(crate) fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        3 => Just(Tree::X),
        2 => Just(Tree::Y),
        2 => (-3i64..=3).prop_map(Tree::Int),
        1 => Just(Tree::Half),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            4 => (proptest::sample::select(UNARY), inner.clone())
                .prop_map(|(f, a)| Tree::Unary(f, Box::new(a))),
            1 => inner.clone().prop_map(|a| Tree::Neg(Box::new(a))),
            3 => (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Add(Box::new(a), Box::new(b))),
            2 => (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Sub(Box::new(a), Box::new(b))),
            3 => (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Mul(Box::new(a), Box::new(b))),
            2 => (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Div(Box::new(a), Box::new(b))),
            2 => (inner.clone(), -3i64..=3).prop_map(|(a, n)| Tree::PowInt(Box::new(a), n)),
            1 => inner.clone().prop_map(|a| Tree::PowHalf(Box::new(a))),
            1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::PowVar(Box::new(a), Box::new(b))),
            1 => inner.prop_map(|a| Tree::Apply(Box::new(a))),
        ]
    })
}

pub(crate) fn build(store: &mut Store, t: &Tree) -> ExprId {
    match t {
        Tree::X => store.sym("x"),
        Tree::Y => store.sym("y"),
        Tree::Int(n) => store.int(*n),
        Tree::Half => store.ratio(1, 2),
        Tree::Unary(f, a) => {
            let a = build(store, a);
            store.call1(*f, a)
        }
        Tree::Neg(a) => {
            let a = build(store, a);
            store.neg(a)
        }
        Tree::Add(a, b) | Tree::Sub(a, b) | Tree::Mul(a, b) | Tree::Div(a, b) => {
            let x = build(store, a);
            let y = build(store, b);
            match t {
                Tree::Add(..) => store.sum(vec![x, y]),
                Tree::Sub(..) => store.sub(x, y),
                Tree::Mul(..) => store.product(vec![x, y]),
                _ => store.div(x, y),
            }
        }
        Tree::PowInt(a, n) => {
            let a = build(store, a);
            let n = store.int(*n);
            store.pow(a, n)
        }
        Tree::PowHalf(a) => {
            let a = build(store, a);
            let h = store.ratio(1, 2);
            store.pow(a, h)
        }
        Tree::PowVar(a, b) => {
            let a = build(store, a);
            let b = build(store, b);
            store.pow(a, b)
        }
        Tree::Apply(a) => {
            let a = build(store, a);
            let f = store.symbol("f");
            store.add(crate::expr::Node::Apply(f, vec![a].into()))
        }
    }
}

fn env(store: &mut Store, x: f64, y: f64) -> HashMap<Symbol, f64> {
    let mut m = HashMap::new();
    m.insert(store.symbol("x"), x);
    m.insert(store.symbol("y"), y);
    m
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// Sample points; dyadic values keep some cancellations exact.
const POINTS: &[(f64, f64)] = &[
    (0.75, -1.25),
    (-0.6, 0.35),
    (1.9, 2.4),
    (-2.3, -0.7),
    (0.0, 1.5),
];

/// `simplified` must be defined wherever `original` is, and equal there.
fn agrees_where_defined(
    store: &mut Store,
    original: ExprId,
    simplified: ExprId,
) -> Result<(), String> {
    for &(x, y) in POINTS {
        let env = env(store, x, y);
        let Some(a) = eval(store, original, &env) else {
            continue;
        };
        if near_discontinuity(store, original, &env) || near_discontinuity(store, simplified, &env)
        {
            continue;
        }
        if a.abs() > 1e6 {
            continue;
        }
        let b = eval(store, simplified, &env);
        match b {
            Some(b) if close(a, b, 1e-7) => {}
            None if overflows(store, simplified, &env) => {}
            _ => {
                return Err(format!(
                    "at x = {x}, y = {y}: {} = {a} but {} = {b:?}",
                    store.display(original),
                    store.display(simplified)
                ))
            }
        }
    }
    Ok(())
}

/// The same points as exact rationals, for the shared (rigorous) evaluator.
/// `((x numerator, x denominator), (y numerator, y denominator))`.
type RationalPoint = ((i64, i64), (i64, i64));

const EXACT_POINTS: &[RationalPoint] = &[
    ((3, 4), (-5, 4)),
    ((-3, 5), (7, 20)),
    ((19, 10), (12, 5)),
    ((-23, 10), (-7, 10)),
    ((0, 1), (3, 2)),
    ((-7, 2), (1, 5)),
];

/// Checked with `crate::eval` (exact where possible, else outward-rounded
/// intervals): `second` is defined wherever `first` is (when `same_domain`),
/// and the two are never certainly different where both are defined.
fn rigorous_agreement(
    store: &mut Store,
    first: ExprId,
    second: ExprId,
    same_domain: bool,
) -> Result<(), String> {
    use crate::eval::{self, Agreement, Binding, EvalError, Function};
    for &((xn, xd), (yn, yd)) in EXACT_POINTS {
        let mut env = eval::Env::new();
        let q = |n: i64, d: i64| num_rational::BigRational::new(n.into(), d.into());
        env.bind_scalar(store.symbol("x"), q(xn, xd));
        env.bind_scalar(store.symbol("y"), q(yn, yd));
        env.bind(store.symbol("f"), Binding::Function(Function::Seeded(7)));
        let a = eval::eval(store, first, &env);
        let b = eval::eval(store, second, &env);
        match (a, b) {
            (Ok(a), Ok(b)) if eval::compare(&a, &b) == Agreement::Different => {
                return Err(format!(
                    "at x = {xn}/{xd}, y = {yn}/{yd}: {} = {a:?} but {} = {b:?}",
                    store.display(first),
                    store.display(second)
                ));
            }
            (Ok(a), Err(EvalError::Undefined(why))) if same_domain => {
                return Err(format!(
                    "at x = {xn}/{xd}, y = {yn}/{yd}: {} = {a:?} but {} is undefined ({why})",
                    store.display(first),
                    store.display(second)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn canonical_form_agrees_with_the_original(t in tree()) {
        let mut store = Store::new();
        let e = build(&mut store, &t);
        let c = canonical(&mut store, &Domains::new(), e);
        // an f64 disagreement can be cancellation near a pole (an expanded
        // (x − 2)^−6 at x = 1.9): the rigorous evaluator at the same exact
        // points decides
        if let Err(m) = agrees_where_defined(&mut store, e, c.value) {
            if let Err(r) = rigorous_agreement(&mut store, e, c.value, false) {
                return Err(TestCaseError::fail(format!("{m}; rigorously: {r}")));
            }
        }
        let d = simplify_for_display(&mut store, &Domains::new(), e);
        if let Err(m) = agrees_where_defined(&mut store, e, d) {
            if let Err(r) = rigorous_agreement(&mut store, e, d, false) {
                return Err(TestCaseError::fail(format!("display form: {m}; rigorously: {r}")));
            }
        }
    }

    #[test]
    fn normal_form_agrees_with_the_original(t in tree()) {
        let mut store = Store::new();
        let e = build(&mut store, &t);
        if let Ok(n) = normal_form(&mut store, &Domains::new(), e, &Budget::default()) {
            // the rigorous check decides; an f64 disagreement alone can be cancellation
            if let Err(m) = rigorous_agreement(&mut store, e, n.value, true) {
                return Err(TestCaseError::fail(m));
            }
            if let Err(m) = agrees_where_defined(&mut store, e, n.value) {
                if let Err(r) = rigorous_agreement(&mut store, e, n.value, false) {
                    return Err(TestCaseError::fail(format!("{m}; rigorously: {r}")));
                }
            }
        }
    }
}

/// A rewrite of `t` at its root by a known identity, true or false.
fn rewritten(t: &Tree, which: usize) -> Tree {
    let b = |t: Tree| Box::new(t);
    let exp = |t: Tree| Tree::Unary(Func::Exp, Box::new(t));
    let ln = |t: Tree| Tree::Unary(Func::Ln, Box::new(t));
    let one = || Tree::Int(1);
    let inner = t.clone();
    match which % 10 {
        // true: softplus(t) = t + softplus(−t)
        0 => Tree::Add(
            b(inner.clone()),
            b(Tree::Unary(Func::Softplus, b(Tree::Neg(b(inner))))),
        ),
        // true: σ(t) = exp(t)/(1 + exp(t))
        1 => Tree::Div(b(exp(inner.clone())), b(Tree::Add(b(one()), b(exp(inner))))),
        // true: ln σ(t) = −softplus(−t)
        2 => Tree::Neg(b(Tree::Unary(Func::Softplus, b(Tree::Neg(b(inner)))))),
        // false: softplus(t) = ln(exp(t))
        3 => ln(exp(inner)),
        // false: σ(t) = σ(−t)
        4 => Tree::Unary(Func::Sigmoid, b(Tree::Neg(b(inner)))),
        // false: ln(t^2) = 2 ln t
        5 => Tree::Mul(b(Tree::Int(2)), b(ln(inner))),
        // false: sqrt(t^2) = t
        6 => inner,
        // true: exp(ln t) = t, only where t > 0
        7 => exp(ln(inner)),
        // true: (t + 1)^2 = t^2 + 2t + 1
        8 => Tree::Add(
            b(Tree::PowInt(b(inner.clone()), 2)),
            b(Tree::Add(b(Tree::Mul(b(Tree::Int(2)), b(inner))), b(one()))),
        ),
        // false: relu(t) = t
        _ => inner,
    }
}

/// The left side matching `rewritten`'s right side.
fn original(t: &Tree, which: usize) -> Tree {
    let b = |t: Tree| Box::new(t);
    let inner = t.clone();
    match which % 10 {
        0 | 3 => Tree::Unary(Func::Softplus, b(inner)),
        1 | 4 => Tree::Unary(Func::Sigmoid, b(inner)),
        2 => Tree::Unary(Func::Ln, b(Tree::Unary(Func::Sigmoid, b(inner)))),
        5 => Tree::Unary(Func::Ln, b(Tree::PowInt(b(inner), 2))),
        6 => Tree::Unary(Func::Sqrt, b(Tree::PowInt(b(inner), 2))),
        7 => inner,
        8 => Tree::PowInt(b(Tree::Add(b(inner), b(Tree::Int(1)))), 2),
        _ => Tree::Unary(Func::Relu, b(inner)),
    }
}

/// Wherever both sides are defined, they are equal.
fn equal_where_both_defined(store: &mut Store, l: ExprId, r: ExprId) -> Result<(), String> {
    for &(x, y) in POINTS
        .iter()
        .chain(&[(-3.5, 0.2), (2.75, -2.0), (0.1, 0.1)])
    {
        let env = env(store, x, y);
        let (Some(a), Some(b)) = (eval(store, l, &env), eval(store, r, &env)) else {
            continue;
        };
        if a.abs() > 1e6 || b.abs() > 1e6 {
            continue;
        }
        if near_discontinuity(store, l, &env) || near_discontinuity(store, r, &env) {
            continue;
        }
        if !close(a, b, 1e-6) {
            return Err(format!(
                "proved {} = {}, but at x = {x}, y = {y} they are {a} and {b}",
                store.display(l),
                store.display(r)
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2500))]

    #[test]
    fn proofs_hold_numerically(t in tree(), which in 0usize..10, other in tree(), mix in 0usize..4) {
        let mut store = Store::new();
        let (l, r) = if mix == 0 {
            // two unrelated expressions: a proof must be right (and is rare)
            (build(&mut store, &t), build(&mut store, &other))
        } else {
            (build(&mut store, &original(&t, which)), build(&mut store, &rewritten(&t, which)))
        };
        let budget = Budget { max_nodes: 20_000, max_terms: 300, deadline: None };
        if prove_equal(&mut store, &Domains::new(), l, r, &budget).is_proved() {
            if let Err(m) = equal_where_both_defined(&mut store, l, r) {
                return Err(TestCaseError::fail(m));
            }
            if let Err(m) = rigorous_agreement(&mut store, l, r, false) {
                return Err(TestCaseError::fail(format!("proved, but {m}")));
            }
        }
    }
}

/// Trees in `x` with `y` held fixed, for derivative checks.
fn differentiable_tree() -> impl Strategy<Value = Tree> {
    tree()
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn derivatives_match_central_differences(t in differentiable_tree(), x0 in -2.5f64..2.5) {
        let mut store = Store::new();
        let e = build(&mut store, &t);
        let x = store.sym("x");
        let Ok(d) = diff::derivative(&mut store, &Domains::new(), e, x) else {
            return Err(TestCaseError::fail("no derivative"));
        };
        let h = 1e-5;
        let env_at = |store: &mut Store, v: f64| env(store, v, 0.7);
        let (e_minus, e_0, e_plus) = (env_at(&mut store, x0 - h), env_at(&mut store, x0), env_at(&mut store, x0 + h));
        let (Some(fm), Some(f0), Some(fp)) = (eval(&store, e, &e_minus), eval(&store, e, &e_0), eval(&store, e, &e_plus)) else {
            return Ok(());
        };
        // stay away from the points where the derivative may not exist, and
        // from anything steep enough for the difference quotient to mislead
        for k in &d.kinks {
            if let crate::expr::Node::Cmp(_, a, b) = store.node(k.at).clone() {
                let (Some(va), Some(vb)) = (eval(&store, a, &e_0), eval(&store, b, &e_0)) else {
                    return Ok(());
                };
                if (va - vb).abs() < 1e-2 {
                    return Ok(());
                }
            }
        }
        if f0.abs() > 1e3 {
            return Ok(());
        }
        // an undefined derivative states no wrong value (it happens for degenerate
        // terms such as 0^(2x), whose derivative formula needs ln 0)
        let Some(dv) = eval(&store, d.value, &e_0) else {
            return Ok(());
        };
        // the second difference bounds the curvature; skip where it is large
        let second = (fp - 2.0 * f0 + fm) / (h * h);
        if second.abs() > 1e4 || dv.abs() > 1e4 {
            return Ok(());
        }
        let fd = (fp - fm) / (2.0 * h);
        if !close(dv, fd, 1e-3) {
            return Err(TestCaseError::fail(format!(
                "d/dx {} at x = {x0}: symbolic {dv}, difference {fd}",
                store.display(e)
            )));
        }
        let shown = simplify_for_display(&mut store, &Domains::new(), d.value);
        if let Some(sv) = eval(&store, shown, &e_0) {
            if !close(dv, sv, 1e-7) {
                return Err(TestCaseError::fail(format!("display form of the derivative differs: {} vs {}", store.display(d.value), store.display(shown))));
            }
        }
    }
}
