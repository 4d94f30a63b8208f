//! Tests of whole-expression evaluation: every node kind, the limits, deep and shared DAGs, properties.

use super::interval::{add_down, add_up, div_down, div_up, exact_rational, mul_down, mul_up};
use super::*;
use crate::expr::{CmpOp, Func, LimitTo, Node};
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;

fn rat(n: i64, d: i64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

fn exact(n: i64, d: i64) -> Value {
    Value::Exact(rat(n, d))
}

fn interval_of(v: &Value) -> Interval {
    v.to_interval().expect("finite")
}

/// A store with `x` bound to `x_value` in the returned env.
fn with_x(x_value: BigRational) -> (Store, Env, ExprId) {
    let mut store = Store::new();
    let x = store.sym("x");
    let mut env = Env::new();
    env.bind_scalar(store.symbol("x"), x_value);
    (store, env, x)
}

fn sum_node(store: &mut Store, index: &str, lower: ExprId, upper: ExprId, body: ExprId) -> ExprId {
    let index = store.symbol(index);
    store.add(Node::Sum {
        index,
        lower,
        upper,
        body,
    })
}

#[test]
fn numbers_symbols_and_arithmetic() {
    let (mut s, env, x) = with_x(rat(3, 4));
    let two = s.int(2);
    let half = s.ratio(1, 2);
    // 2·x + 1/2 - x/3 = 3/2 + 1/2 - 1/4 = 7/4
    let two_x = s.product(vec![two, x]);
    let three = s.int(3);
    let x_third = s.div(x, three);
    let sum = s.sum(vec![two_x, half]);
    let e = s.sub(sum, x_third);
    assert_eq!(eval(&s, e, &env), Ok(exact(7, 4)));
    assert_eq!(eval(&s, x, &env), Ok(exact(3, 4)));
    let y = s.sym("y");
    assert_eq!(eval(&s, y, &env), Err(EvalError::Unbound("y".into())));
    assert!(eval(&s, e, &env).expect("defined").is_exact());
}

#[test]
fn division_by_zero_and_domain_errors() {
    let mut s = Store::new();
    let env = Env::new();
    let one = s.one();
    let zero = s.zero();
    let e = s.div(one, zero);
    assert!(matches!(eval(&s, e, &env), Err(EvalError::Undefined(_))));
    let minus_one = s.int(-1);
    let ln = s.call1(Func::Ln, minus_one);
    assert!(matches!(eval(&s, ln, &env), Err(EvalError::Undefined(_))));
    let minus_eight = s.int(-8);
    let third = s.ratio(1, 3);
    let root = s.pow(minus_eight, third);
    assert!(matches!(eval(&s, root, &env), Err(EvalError::Undefined(_))));
    let sqrt = s.call1(Func::Sqrt, minus_one);
    assert!(matches!(eval(&s, sqrt, &env), Err(EvalError::Undefined(_))));
    let neg_power = s.pow(zero, minus_one);
    assert!(matches!(
        eval(&s, neg_power, &env),
        Err(EvalError::Undefined(_))
    ));
    // an undefined factor is not rescued by a zero factor
    let product = s.product(vec![zero, ln]);
    assert!(matches!(
        eval(&s, product, &env),
        Err(EvalError::Undefined(_))
    ));
}

#[test]
fn powers_exact_and_bounded() {
    let mut s = Store::new();
    let env = Env::new();
    let two = s.int(2);
    let ten = s.int(10);
    let p = s.pow(two, ten);
    assert_eq!(eval(&s, p, &env), Ok(exact(1024, 1)));
    let billion = s.int(1_000_000_000);
    let huge = s.pow(two, billion);
    assert_eq!(eval(&s, huge, &env), Err(EvalError::Overflow));
    let googol = s.num(BigRational::from_integer(BigInt::from(10).pow(100u32)));
    let half = s.ratio(1, 2);
    let tiny = s.pow(half, googol);
    let v = eval(&s, tiny, &env).expect("defined");
    assert!(!v.is_exact());
    assert!(interval_of(&v).hi() < 1e-300 && interval_of(&v).lo() <= 0.0 + 1e-300);
    let nine_quarters = s.ratio(9, 4);
    let root = s.pow(nine_quarters, half);
    assert_eq!(eval(&s, root, &env), Ok(exact(3, 2)));
    let irrational = s.pow(two, half);
    let v = eval(&s, irrational, &env).expect("defined");
    assert!(interval_of(&v).contains(std::f64::consts::SQRT_2));
    // an interval exponent: 2^(ln 3 / ln 2) encloses 3
    let three = s.int(3);
    let ln3 = s.call1(Func::Ln, three);
    let ln2 = s.call1(Func::Ln, two);
    let exponent = s.div(ln3, ln2);
    let p = s.pow(two, exponent);
    let v = eval(&s, p, &env).expect("defined");
    assert!(interval_of(&v).contains(3.0) && interval_of(&v).width() < 1e-12);
}

#[test]
fn every_builtin_through_the_store() {
    let mut s = Store::new();
    let env = Env::new();
    let zero = s.zero();
    let one = s.one();
    let check_exact = |s: &mut Store, f: Func, arg: ExprId, expected: Value| {
        let e = s.call1(f, arg);
        assert_eq!(eval(s, e, &env), Ok(expected), "{f:?}");
    };
    check_exact(&mut s, Func::Exp, zero, Value::one());
    check_exact(&mut s, Func::Ln, one, Value::zero());
    let eight = s.int(8);
    check_exact(&mut s, Func::Log2, eight, exact(3, 1));
    let hundred = s.int(100);
    check_exact(&mut s, Func::Log10, hundred, exact(2, 1));
    let quarter = s.ratio(1, 4);
    check_exact(&mut s, Func::Sqrt, quarter, exact(1, 2));
    let minus = s.ratio(-5, 3);
    check_exact(&mut s, Func::Abs, minus, exact(5, 3));
    check_exact(&mut s, Func::Sigmoid, zero, exact(1, 2));
    check_exact(&mut s, Func::Tanh, zero, Value::zero());
    check_exact(&mut s, Func::Relu, minus, Value::zero());
    check_exact(&mut s, Func::Heaviside, zero, exact(1, 2));
    check_exact(&mut s, Func::Sign, minus, exact(-1, 1));
    check_exact(&mut s, Func::Floor, minus, exact(-2, 1));
    check_exact(&mut s, Func::Ceil, minus, exact(-1, 1));
    let two = s.int(2);
    let delta_same = s.call(Func::Delta, vec![two, two]);
    assert_eq!(eval(&s, delta_same, &env), Ok(Value::one()));
    let delta_other = s.call(Func::Delta, vec![two, one]);
    assert_eq!(eval(&s, delta_other, &env), Ok(Value::zero()));
    let softplus = s.call1(Func::Softplus, zero);
    let v = eval(&s, softplus, &env).expect("defined");
    assert!(interval_of(&v).contains(std::f64::consts::LN_2));
    let e = s.call1(Func::Exp, one);
    let v = eval(&s, e, &env).expect("defined");
    assert!(interval_of(&v).contains(std::f64::consts::E));
    assert!(interval_of(&v).width() < 1e-14);
    assert_eq!(v.to_string(), "2.71828182846");
    let wrong_arity = s.call(Func::Exp, vec![one, one]);
    assert!(matches!(
        eval(&s, wrong_arity, &env),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn sigmoid_identity_is_close_not_different() {
    // σ(x)·(1 − σ(x)) versus e^−x / (1 + e^−x)² at x = 3/7
    let (mut s, env, x) = with_x(rat(3, 7));
    let sig = s.call1(Func::Sigmoid, x);
    let one = s.one();
    let one_minus = s.sub(one, sig);
    let lhs = s.product(vec![sig, one_minus]);
    let minus_x = s.neg(x);
    let e = s.call1(Func::Exp, minus_x);
    let denom = s.sum(vec![one, e]);
    let two = s.int(2);
    let square = s.pow(denom, two);
    let rhs = s.div(e, square);
    let mut evaluator = Evaluator::new(&s, &env);
    let a = evaluator.value(lhs).expect("defined");
    let b = evaluator.value(rhs).expect("defined");
    assert_eq!(Value::compare(&a, &b), Agreement::Close);
    // and a wrong right-hand side is certainly different
    let wrong = s.div(e, denom);
    let c = eval(&s, wrong, &env).expect("defined");
    assert_eq!(Value::compare(&a, &c), Agreement::Different);
}

#[test]
fn sums_over_an_index() {
    let mut s = Store::new();
    let mut env = Env::new();
    let n_sym = s.symbol("n");
    env.bind_integer(n_sym, 100);
    let n = s.sym("n");
    let i = s.sym("i");
    let one = s.one();
    let total = sum_node(&mut s, "i", one, n, i);
    assert_eq!(eval(&s, total, &env), Ok(exact(5050, 1)));
    // Σ_i Σ_j δ(i, j) over 1..n = n
    let j = s.sym("j");
    let delta = s.call(Func::Delta, vec![i, j]);
    let inner = sum_node(&mut s, "j", one, n, delta);
    let outer = sum_node(&mut s, "i", one, n, inner);
    assert_eq!(eval(&s, outer, &env), Ok(exact(100, 1)));
    // shadowing: Σ_{i=1}^{3} (i + Σ_{i=1}^{3} i) = 6 + 3·6 = 24
    let three = s.int(3);
    let inner_same = sum_node(&mut s, "i", one, three, i);
    let body = s.sum(vec![i, inner_same]);
    let shadowed = sum_node(&mut s, "i", one, three, body);
    assert_eq!(eval(&s, shadowed, &env), Ok(exact(24, 1)));
    // empty range
    let zero = s.zero();
    let empty = sum_node(&mut s, "i", one, zero, i);
    assert_eq!(eval(&s, empty, &env), Ok(Value::zero()));
    // too many terms
    let million = s.int(1_000_000);
    let big = sum_node(&mut s, "i", one, million, i);
    assert!(matches!(eval(&s, big, &env), Err(EvalError::TooLarge(_))));
    // non-integer bound
    let half = s.ratio(1, 2);
    let bad = sum_node(&mut s, "i", half, n, i);
    assert!(matches!(eval(&s, bad, &env), Err(EvalError::Undefined(_))));
    // the index is not visible outside its sum
    let outside = s.sum(vec![total, i]);
    assert_eq!(eval(&s, outside, &env), Err(EvalError::Unbound("i".into())));
}

/// `v` bound to `entries` and `n` to its length.
fn with_vector(entries: &[(i64, i64)]) -> (Store, Env) {
    let mut store = Store::new();
    let mut env = Env::new();
    let v = store.symbol("v");
    env.bind(
        v,
        Binding::Vector(entries.iter().map(|&(a, b)| rat(a, b)).collect()),
    );
    let n = store.symbol("n");
    env.bind_integer(n, entries.len() as i64);
    (store, env)
}

#[test]
fn softmax_sums_to_one_and_entries_match() {
    let (mut s, env) = with_vector(&[(1, 2), (-3, 4), (2, 1), (0, 1)]);
    let v = s.sym("v");
    let n = s.sym("n");
    let i = s.sym("i");
    let j = s.sym("j");
    let one = s.one();
    let v_i = s.add(Node::Index(v, vec![i].into()));
    let v_j = s.add(Node::Index(v, vec![j].into()));
    let exp_i = s.call1(Func::Exp, v_i);
    let exp_j = s.call1(Func::Exp, v_j);
    let normalizer = sum_node(&mut s, "j", one, n, exp_j);
    let softmax_i = s.div(exp_i, normalizer);
    let total = sum_node(&mut s, "i", one, n, softmax_i);
    let v = eval(&s, total, &env).expect("defined");
    assert!(!v.is_exact());
    assert!(matches!(
        Value::compare(&v, &Value::one()),
        Agreement::Close
    ));
    assert!(interval_of(&v).contains(1.0));
}

#[test]
fn piecewise_boundaries_and_laziness() {
    let relu_like = |s: &mut Store, x: ExprId| {
        let zero = s.zero();
        let positive = s.cmp(CmpOp::Gt, x, zero);
        s.add(Node::Piecewise {
            branches: vec![(positive, x)].into(),
            otherwise: Some(zero),
        })
    };
    for (x_value, expected) in [
        (rat(0, 1), rat(0, 1)),
        (rat(1, 2), rat(1, 2)),
        (rat(-1, 2), rat(0, 1)),
    ] {
        let (mut s, env, x) = with_x(x_value);
        let e = relu_like(&mut s, x);
        assert_eq!(eval(&s, e, &env), Ok(Value::Exact(expected)));
    }
    // the unchosen branch is never evaluated: {ln x if x > 0; 0 otherwise} at x = -1
    let (mut s, env, x) = with_x(rat(-1, 1));
    let zero = s.zero();
    let positive = s.cmp(CmpOp::Gt, x, zero);
    let ln = s.call1(Func::Ln, x);
    let guarded = s.add(Node::Piecewise {
        branches: vec![(positive, ln)].into(),
        otherwise: Some(zero),
    });
    assert_eq!(eval(&s, guarded, &env), Ok(Value::zero()));
    // no branch applies
    let partial = s.add(Node::Piecewise {
        branches: vec![(positive, x)].into(),
        otherwise: None,
    });
    assert!(matches!(
        eval(&s, partial, &env),
        Err(EvalError::Undefined(_))
    ));
    // a condition the enclosures cannot decide: exp(1) − exp(1) > 0
    let one = s.one();
    let e = s.call1(Func::Exp, one);
    let difference = s.sub(e, e);
    let undecidable = s.cmp(CmpOp::Gt, difference, zero);
    let piece = s.add(Node::Piecewise {
        branches: vec![(undecidable, one)].into(),
        otherwise: Some(zero),
    });
    assert_eq!(eval(&s, piece, &env), Err(EvalError::Indeterminate));
    // a domain edge inside the enclosure is undecidable too: ln(e − e)
    let ln_of_difference = s.call1(Func::Ln, difference);
    assert_eq!(
        eval(&s, ln_of_difference, &env),
        Err(EvalError::Indeterminate)
    );
    // but an approximate value far from the boundary decides it
    let clear = s.cmp(CmpOp::Gt, e, one);
    assert_eq!(eval_condition(&s, clear, &env), Ok(true));
}

#[test]
fn conditions_and_conjunctions() {
    let (mut s, env, x) = with_x(rat(-1, 1));
    let zero = s.zero();
    let one = s.one();
    let positive = s.cmp(CmpOp::Gt, x, zero);
    let ln = s.call1(Func::Ln, x);
    let ln_small = s.cmp(CmpOp::Lt, ln, one);
    // short-circuit: x > 0 is false, so ln(x) is never evaluated
    let both = s.add(Node::And(vec![positive, ln_small].into()));
    assert_eq!(eval_condition(&s, both, &env), Ok(false));
    // the other order reaches ln(-1) first
    let reversed = s.add(Node::And(vec![ln_small, positive].into()));
    assert!(matches!(
        eval_condition(&s, reversed, &env),
        Err(EvalError::Undefined(_))
    ));
    let le = s.cmp(CmpOp::Le, x, x);
    let ne = s.cmp(CmpOp::Ne, x, zero);
    let eq = s.cmp(CmpOp::Eq, x, one);
    let ge = s.cmp(CmpOp::Ge, zero, x);
    assert_eq!(eval_condition(&s, le, &env), Ok(true));
    assert_eq!(eval_condition(&s, ne, &env), Ok(true));
    assert_eq!(eval_condition(&s, eq, &env), Ok(false));
    assert_eq!(eval_condition(&s, ge, &env), Ok(true));
    // conditions and numbers do not mix
    assert!(matches!(eval(&s, le, &env), Err(EvalError::Unsupported(_))));
    assert!(matches!(
        eval_condition(&s, x, &env),
        Err(EvalError::Unsupported(_))
    ));
    let mixed = s.sum(vec![le, one]);
    assert!(matches!(
        eval(&s, mixed, &env),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn vectors_matrices_and_indices() {
    let (mut s, mut env) = with_vector(&[(1, 1), (2, 1), (3, 1)]);
    let w = s.symbol("W");
    env.bind(
        w,
        Binding::Matrix {
            rows: 2,
            cols: 3,
            data: (1..=6).map(|k| rat(k, 1)).collect(),
        },
    );
    let v = s.sym("v");
    let w_expr = s.sym("W");
    let two = s.int(2);
    let three = s.int(3);
    let four = s.int(4);
    let v2 = s.add(Node::Index(v, vec![two].into()));
    assert_eq!(eval(&s, v2, &env), Ok(exact(2, 1)));
    let w23 = s.add(Node::Index(w_expr, vec![two, three].into()));
    assert_eq!(eval(&s, w23, &env), Ok(exact(6, 1)));
    let v4 = s.add(Node::Index(v, vec![four].into()));
    assert!(matches!(eval(&s, v4, &env), Err(EvalError::Undefined(_))));
    let zero = s.zero();
    let v0 = s.add(Node::Index(v, vec![zero].into()));
    assert!(matches!(eval(&s, v0, &env), Err(EvalError::Undefined(_))));
    let w31 = s.add(Node::Index(w_expr, vec![three, two].into()));
    assert!(matches!(eval(&s, w31, &env), Err(EvalError::Undefined(_))));
    let half = s.ratio(1, 2);
    let v_half = s.add(Node::Index(v, vec![half].into()));
    assert!(matches!(
        eval(&s, v_half, &env),
        Err(EvalError::Undefined(_))
    ));
    // a vector is not a number, but eval_vector reads it
    assert!(matches!(eval(&s, v, &env), Err(EvalError::Unsupported(_))));
    assert_eq!(
        eval_vector(&s, v, &env),
        Ok(vec![exact(1, 1), exact(2, 1), exact(3, 1)])
    );
    let literal = s.add(Node::Vector(vec![half, v2].into()));
    assert!(matches!(
        eval(&s, literal, &env),
        Err(EvalError::Unsupported(_))
    ));
    assert_eq!(
        eval_vector(&s, literal, &env),
        Ok(vec![exact(1, 2), exact(2, 1)])
    );
    let literal_2 = s.add(Node::Index(literal, vec![two].into()));
    assert_eq!(eval(&s, literal_2, &env), Ok(exact(2, 1)));
}

#[test]
fn limits_are_left_to_the_checker() {
    let (mut s, env, x) = with_x(rat(1, 1));
    let k = s.symbol("k");
    let limit = s.add(Node::Limit {
        var: k,
        to: LimitTo::PosInf,
        body: x,
    });
    assert!(matches!(
        eval(&s, limit, &env),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn scalar_uninterpreted_function_and_derivatives() {
    let (mut s, mut env, x) = with_x(rat(1, 2));
    let f = s.symbol("f");
    // f(t) = 1 + 2t + 3t²
    env.bind(
        f,
        Binding::Function(Function::Poly(vec![rat(1, 1), rat(2, 1), rat(3, 1)])),
    );
    let applied = s.add(Node::Apply(f, vec![x].into()));
    assert_eq!(eval(&s, applied, &env), Ok(exact(11, 4)));
    let first = s.add(Node::FnDeriv {
        func: f,
        orders: vec![1].into(),
        args: vec![x].into(),
    });
    assert_eq!(eval(&s, first, &env), Ok(exact(5, 1)));
    let second = s.add(Node::FnDeriv {
        func: f,
        orders: vec![2].into(),
        args: vec![x].into(),
    });
    assert_eq!(eval(&s, second, &env), Ok(exact(6, 1)));
    // chain rule at a point: d/dx f(x²) = f'(x²)·2x, compare with a difference quotient
    env.bind(f, Binding::Function(Function::Seeded(11)));
    let two = s.int(2);
    let x_squared = s.pow(x, two);
    let f_outer = s.add(Node::FnDeriv {
        func: f,
        orders: vec![1].into(),
        args: vec![x_squared].into(),
    });
    let derivative = s.product(vec![f_outer, two, x]);
    let slope = eval(&s, derivative, &env).expect("defined").to_f64();
    let at = |t: f64| {
        let (mut s2, env2, y) = with_x(exact_rational(t));
        let mut env2 = env2;
        let g = s2.symbol("f");
        env2.bind(g, Binding::Function(Function::Seeded(11)));
        let two = s2.int(2);
        let y2 = s2.pow(y, two);
        let e = s2.add(Node::Apply(g, vec![y2].into()));
        eval(&s2, e, &env2).expect("defined").to_f64()
    };
    let h = 1e-6;
    let quotient = (at(0.5 + h) - at(0.5 - h)) / (2.0 * h);
    assert!((quotient - slope).abs() < 1e-6, "{quotient} vs {slope}");
    // unbound and misused functions
    let g = s.symbol("g");
    let unbound = s.add(Node::Apply(g, vec![x].into()));
    assert_eq!(eval(&s, unbound, &env), Err(EvalError::Unbound("g".into())));
    let x_sym = s.symbol("x");
    let not_function = s.add(Node::Apply(x_sym, vec![x].into()));
    assert!(matches!(
        eval(&s, not_function, &env),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn vector_function_jacobian_matches_finite_differences() {
    // x(u)_i with u in R^3; Index(FnDeriv{x,[1],[u]}, [i, j]) is ∂x(u)_i/∂u_j
    let point = [rat(1, 3), rat(-1, 2), rat(2, 5)];
    let build = |u_values: Vec<BigRational>| {
        let mut s = Store::new();
        let mut env = Env::new();
        let u_sym = s.symbol("u");
        env.bind(u_sym, Binding::Vector(u_values));
        let x_sym = s.symbol("x");
        env.bind(x_sym, Binding::Function(Function::Seeded(3)));
        (s, env, u_sym, x_sym)
    };
    let component = |u_values: Vec<BigRational>, i: i64| {
        let (mut s, env, u_sym, x_sym) = build(u_values);
        let u = s.add(Node::Sym(u_sym));
        let applied = s.add(Node::Apply(x_sym, vec![u].into()));
        let i = s.int(i);
        let e = s.add(Node::Index(applied, vec![i].into()));
        eval(&s, e, &env).expect("defined").to_f64()
    };
    let (mut s, env, u_sym, x_sym) = build(point.to_vec());
    let u = s.add(Node::Sym(u_sym));
    let jacobian = s.add(Node::FnDeriv {
        func: x_sym,
        orders: vec![1].into(),
        args: vec![u].into(),
    });
    let h = rat(1, 10_000_000);
    for i in 1..=2 {
        for j in 1..=3usize {
            let i_e = s.int(i);
            let j_e = s.int(j as i64);
            let entry = s.add(Node::Index(jacobian, vec![i_e, j_e].into()));
            let analytic = eval(&s, entry, &env).expect("defined").to_f64();
            let mut plus = point.to_vec();
            plus[j - 1] += &h;
            let mut minus = point.to_vec();
            minus[j - 1] -= &h;
            let numeric = (component(plus, i) - component(minus, i)) / 2e-7;
            assert!(
                (analytic - numeric).abs() < 1e-5,
                "({i},{j}) {analytic} vs {numeric}"
            );
        }
    }
    // wrong index counts and out-of-range directions
    let one = s.int(1);
    let four = s.int(4);
    let too_few = s.add(Node::Index(jacobian, vec![one].into()));
    assert_eq!(
        eval(&s, too_few, &env).map(|_| ()),
        Ok(()),
        "one index = direction, output 1"
    );
    let bad_direction = s.add(Node::Index(jacobian, vec![one, four].into()));
    assert!(matches!(
        eval(&s, bad_direction, &env),
        Err(EvalError::Undefined(_))
    ));
    assert!(matches!(
        eval(&s, jacobian, &env),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn two_argument_function_mixed_partials_agree() {
    let mut s = Store::new();
    let mut env = Env::new();
    let f = s.symbol("f");
    env.bind(f, Binding::Function(Function::Seeded(5)));
    let a = s.ratio(1, 3);
    let b = s.ratio(-2, 7);
    let xy = s.add(Node::FnDeriv {
        func: f,
        orders: vec![1, 1].into(),
        args: vec![a, b].into(),
    });
    let v = eval(&s, xy, &env).expect("defined");
    assert!(v.to_f64().abs() > 1e-6, "a non-trivial mixed partial");
    let huge_order = s.add(Node::FnDeriv {
        func: f,
        orders: vec![1000, 0].into(),
        args: vec![a, b].into(),
    });
    assert!(matches!(
        eval(&s, huge_order, &env),
        Err(EvalError::TooLarge(_))
    ));
}

#[test]
fn deep_nesting_runs_on_a_normal_thread() {
    // f_{k+1} = softplus(w · f_k), 10,000 deep
    let (mut s, env, x) = with_x(rat(1, 3));
    let w = s.ratio(1, 2);
    let mut f = x;
    for _ in 0..10_000 {
        let scaled = s.product(vec![w, f]);
        f = s.call1(Func::Softplus, scaled);
    }
    let v = eval(&s, f, &env).expect("defined");
    // the fixed point of t = softplus(t/2) is near 1.0
    let i = interval_of(&v);
    assert!(i.lo() > 0.9 && i.hi() < 1.4, "{i:?}");
    assert!(i.width() < 1e-9);
    // its derivative as a shared DAG: d_{k+1} = σ(w·f_k) · w · d_k
    let mut f = x;
    let mut d = s.one();
    for _ in 0..10_000 {
        let scaled = s.product(vec![w, f]);
        let slope = s.call1(Func::Sigmoid, scaled);
        d = s.product(vec![slope, w, d]);
        f = s.call1(Func::Softplus, scaled);
    }
    let derivative = eval(&s, d, &env).expect("defined");
    let i = interval_of(&derivative);
    assert!(i.lo() >= 0.0 && i.hi() < 1e-300, "{i:?}");
    // a 10,000-deep chain of additions stays exact
    let one = s.one();
    let mut chain = x;
    for _ in 0..10_000 {
        chain = s.sum(vec![chain, one]);
    }
    assert_eq!(eval(&s, chain, &env), Ok(exact(30_001, 3)));
}

#[test]
fn shared_dag_is_evaluated_once_per_node() {
    // d_{k+1} = d_k + d_k: 2^10000 · x as a tree, 10,001 nodes as a DAG
    let (mut s, env, x) = with_x(rat(1, 1));
    let mut d = x;
    for _ in 0..10_000 {
        d = s.sum(vec![d, d]);
    }
    let v = eval(&s, d, &env).expect("defined");
    let expected = BigRational::from_integer(BigInt::one() << 10_000usize);
    assert_eq!(v, Value::Exact(expected));
    // products double the size each level and must fall back to intervals, not blow up
    let mut p = s.int(3);
    for _ in 0..100 {
        p = s.product(vec![p, p]);
    }
    assert_eq!(eval(&s, p, &env), Err(EvalError::Overflow));
}

#[test]
fn evaluator_shares_memo_across_calls() {
    let (mut s, env, x) = with_x(rat(2, 1));
    let e = s.call1(Func::Exp, x);
    let two = s.int(2);
    let a = s.product(vec![two, e]);
    let b = s.sum(vec![e, e]);
    let mut evaluator = Evaluator::new(&s, &env);
    let va = evaluator.value(a).expect("defined");
    let vb = evaluator.value(b).expect("defined");
    assert!(matches!(
        Value::compare(&va, &vb),
        Agreement::Close | Agreement::Equal
    ));
}

#[test]
fn sum_with_an_inner_term_independent_of_the_index() {
    // Σ_{i=1}^{n} (i · Σ_{j=1}^{n} j) = (n(n+1)/2)²
    let mut s = Store::new();
    let mut env = Env::new();
    let n_sym = s.symbol("n");
    env.bind_integer(n_sym, 50);
    let n = s.sym("n");
    let i = s.sym("i");
    let j = s.sym("j");
    let one = s.one();
    let inner = sum_node(&mut s, "j", one, n, j);
    let body = s.product(vec![i, inner]);
    let outer = sum_node(&mut s, "i", one, n, body);
    assert_eq!(eval(&s, outer, &env), Ok(exact(1275 * 1275, 1)));
}

/// A random polynomial expression in `x` (as a recipe, built into a store later).
#[derive(Clone, Debug)]
enum Poly {
    X,
    Const(i64, i64),
    Add(Box<Poly>, Box<Poly>),
    Mul(Box<Poly>, Box<Poly>),
    Pow(Box<Poly>, u32),
    Neg(Box<Poly>),
}

fn poly_strategy() -> impl Strategy<Value = Poly> {
    let leaf = prop_oneof![
        Just(Poly::X),
        (-20i64..20, 1i64..9).prop_map(|(a, b)| Poly::Const(a, b)),
    ];
    leaf.prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Poly::Add(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Poly::Mul(Box::new(a), Box::new(b))),
            (inner.clone(), 0u32..5).prop_map(|(a, k)| Poly::Pow(Box::new(a), k)),
            inner.prop_map(|a| Poly::Neg(Box::new(a))),
        ]
    })
}

fn build(store: &mut Store, p: &Poly, x: ExprId) -> ExprId {
    match p {
        Poly::X => x,
        Poly::Const(a, b) => store.ratio(*a, *b),
        Poly::Add(a, b) => {
            let (a, b) = (build(store, a, x), build(store, b, x));
            store.sum(vec![a, b])
        }
        Poly::Mul(a, b) => {
            let (a, b) = (build(store, a, x), build(store, b, x));
            store.product(vec![a, b])
        }
        Poly::Pow(a, k) => {
            let a = build(store, a, x);
            let k = store.int(i64::from(*k));
            store.pow(a, k)
        }
        Poly::Neg(a) => {
            let a = build(store, a, x);
            store.neg(a)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn transcendental_enclosures_contain_the_f64_result(n in -4000i64..4000, d in 1i64..97) {
        let x = rat(n, d);
        let xf = n as f64 / d as f64;
        let (mut s, env, xe) = with_x(x);
        let cases: [(Func, f64); 4] = [
            (Func::Exp, xf.exp()),
            (Func::Sigmoid, if xf >= 0.0 { 1.0 / (1.0 + (-xf).exp()) } else { xf.exp() / (1.0 + xf.exp()) }),
            (Func::Softplus, xf.max(0.0) + (-xf.abs()).exp().ln_1p()),
            (Func::Tanh, xf.tanh()),
        ];
        for (f, reference) in cases {
            let e = s.call1(f, xe);
            match eval(&s, e, &env) {
                Ok(v) => {
                    let i = interval_of(&v);
                    prop_assert!(i.contains(reference), "{:?}({}) = {} not in {:?}", f, xf, reference, i);
                    // the input is a one-ulp enclosure, so the width grows with |x| (exp's condition number)
                    let relative_limit = 1e-15 * (xf.abs() + 20.0);
                    prop_assert!(i.width() <= relative_limit * i.magnitude() || i.width() < 1e-300,
                        "{:?}({}) enclosure too wide: {:?}", f, xf, i);
                }
                Err(EvalError::Overflow) => prop_assert!(f == Func::Exp && xf > 709.0),
                Err(other) => prop_assert!(false, "{:?}({}) failed: {}", f, xf, other),
            }
        }
        let ln = s.call1(Func::Ln, xe);
        match eval(&s, ln, &env) {
            Ok(v) => {
                prop_assert!(xf > 0.0);
                prop_assert!(interval_of(&v).contains(xf.ln()) || xf == 1.0);
            }
            Err(EvalError::Undefined(_)) => prop_assert!(xf <= 0.0),
            Err(other) => prop_assert!(false, "ln({}) failed: {}", xf, other),
        }
    }

    #[test]
    fn exact_and_interval_arithmetic_agree(p in poly_strategy(), n in -30i64..30, d in 1i64..7) {
        // evaluate p(x) exactly, and p(x · u) with u = exp(y)·exp(−y), an interval around 1
        let mut s = Store::new();
        let mut env = Env::new();
        env.bind_scalar(s.symbol("x"), rat(n, d));
        env.bind_scalar(s.symbol("y"), rat(1, 3));
        let x = s.sym("x");
        let y = s.sym("y");
        let exact_expr = build(&mut s, &p, x);
        let e_y = s.call1(Func::Exp, y);
        let minus_y = s.neg(y);
        let e_minus_y = s.call1(Func::Exp, minus_y);
        let approx_x = s.product(vec![x, e_y, e_minus_y]);
        let approx_expr = build(&mut s, &p, approx_x);
        let exact_value = eval(&s, exact_expr, &env);
        let approx_value = eval(&s, approx_expr, &env);
        match (exact_value, approx_value) {
            (Ok(Value::Exact(r)), Ok(approx)) => {
                let (lo, hi) = approx.rational_bounds();
                prop_assert!(lo <= r && r <= hi, "{} not in [{}, {}]", r, lo, hi);
                prop_assert_ne!(Value::compare(&Value::Exact(r), &approx), Agreement::Different);
            }
            (Ok(exact_value), Ok(approx)) => {
                // an exact result past the size limit continues as an interval
                prop_assert_ne!(Value::compare(&exact_value, &approx), Agreement::Different);
            }
            (Ok(_), Err(EvalError::Overflow)) | (Err(EvalError::Overflow), Err(EvalError::Overflow)) => {}
            // undefined in both (0^0 at x = 0; an enclosure of 0 cannot take `^0`)
            (Err(EvalError::Undefined(_)), Err(EvalError::Undefined(_) | EvalError::Indeterminate)) => {}
            (exact_value, approx_value) => {
                prop_assert!(false, "exact {:?}, approx {:?}", exact_value, approx_value);
            }
        }
    }

    #[test]
    fn directed_rounding_encloses_exact_results(
        a in prop_oneof![-1e6..1e6f64, -1e-300..1e-300f64, -1e300..1e300f64],
        b in prop_oneof![-1e6..1e6f64, -1e-300..1e-300f64, -1e300..1e300f64],
    ) {
        let (ra, rb) = (exact_rational(a), exact_rational(b));
        let sum = &ra + &rb;
        let (lo, hi) = (add_down(a, b), add_up(a, b));
        if lo.is_finite() && hi.is_finite() {
            prop_assert!(exact_rational(lo) <= sum && sum <= exact_rational(hi));
        }
        let product = &ra * &rb;
        let (lo, hi) = (mul_down(a, b), mul_up(a, b));
        if lo.is_finite() && hi.is_finite() {
            prop_assert!(exact_rational(lo) <= product && product <= exact_rational(hi));
        }
        if b != 0.0 {
            let quotient = &ra / &rb;
            let (lo, hi) = (div_down(a, b), div_up(a, b));
            if lo.is_finite() && hi.is_finite() {
                prop_assert!(exact_rational(lo) <= quotient && quotient <= exact_rational(hi));
            }
        }
    }

    #[test]
    fn rational_enclosures_contain_the_rational(n in any::<i64>(), d in 1i64..i64::MAX, shift in -1100i32..1100) {
        let r = rat(n, d) * super::interval::rational_pow2(i64::from(shift));
        match Interval::from_rational(&r) {
            Ok(i) => {
                let (lo, hi) = i.rational_bounds();
                prop_assert!(lo <= r && r <= hi);
                prop_assert!(i.lo() == i.hi() || i.lo().next_up() == i.hi(), "{:?}", i);
            }
            Err(EvalError::Overflow) => prop_assert!(r.abs() > exact_rational(f64::MAX)),
            Err(other) => prop_assert!(false, "{}", other),
        }
        prop_assert!(!r.is_zero() || Interval::from_rational(&r) == Ok(Interval::point(0.0).expect("finite")));
    }
}

#[test]
fn value_api() {
    let third = exact(1, 3);
    assert!(third.is_exact());
    assert_eq!(third.to_f64(), 1.0 / 3.0);
    let sum = third.add(&exact(2, 3)).expect("defined");
    assert_eq!(sum, Value::one());
    assert_eq!(third.sub(&third), Ok(Value::zero()));
    assert_eq!(third.mul(&exact(3, 1)), Ok(Value::one()));
    assert_eq!(third.div(&exact(1, 6)), Ok(exact(2, 1)));
    assert!(matches!(
        third.div(&Value::zero()),
        Err(EvalError::Undefined(_))
    ));
    assert_eq!(third.neg(), exact(-1, 3));
    assert_eq!(exact(1, 3).pow(&exact(-2, 1)), Ok(exact(9, 1)));
    let e = Value::Approx(Interval::point(1.0).expect("finite").exp().expect("finite"));
    assert!(!e.is_exact());
    assert!((e.to_f64() - std::f64::consts::E).abs() < 1e-15);
    // an index computed through an interval that pins down one integer
    let (mut s, env) = with_vector(&[(5, 1), (7, 1), (9, 1)]);
    let v = s.sym("v");
    let one = s.one();
    let e_expr = s.call1(Func::Exp, one);
    let floor_e = s.call1(Func::Floor, e_expr);
    let entry = s.add(Node::Index(v, vec![floor_e].into()));
    assert_eq!(eval(&s, entry, &env), Ok(exact(7, 1)));
}

/// One plan kept across points gives what a fresh evaluation gives at each
/// point: a memo entry of an earlier point, or of an earlier term of a `Σ`,
/// never answers for a later one.
#[test]
fn a_plan_kept_across_points_gives_fresh_values() {
    let mut s = Store::new();
    let x = s.sym("x");
    let i = s.sym("i");
    let n = s.sym("n");
    let one = s.one();
    let zero = s.zero();
    // Σ_{i=1}^{n} x^i / i, piecewise(x > 0: ln(x), otherwise: x²), x / (x − 1)
    let power = s.pow(x, i);
    let term = s.div(power, i);
    let sum = sum_node(&mut s, "i", one, n, term);
    let positive = s.add(Node::Cmp(CmpOp::Gt, x, zero));
    let ln = s.call1(Func::Ln, x);
    let two = s.int(2);
    let square = s.pow(x, two);
    let piecewise = s.add(Node::Piecewise {
        branches: vec![(positive, ln)].into(),
        otherwise: Some(square),
    });
    let x_minus_one = s.sub(x, one);
    let ratio = s.div(x, x_minus_one);
    let exprs = [sum, piecewise, ratio, positive];
    let mut plan = Plan::new();
    // (x, n) per point, the last one where x / (x − 1) is undefined
    let points = [
        (rat(1, 2), 3),
        (rat(-3, 2), 4),
        (rat(5, 1), 2),
        (rat(1, 1), 5),
    ];
    for (x_value, n_value) in points {
        let mut env = Env::new();
        env.bind_scalar(s.symbol("x"), x_value);
        env.bind_integer(s.symbol("n"), n_value);
        for e in exprs {
            if e == positive {
                assert_eq!(
                    eval_condition_with(&mut plan, &s, e, &env),
                    eval_condition(&s, e, &env)
                );
                continue;
            }
            assert_eq!(eval_with(&mut plan, &s, e, &env), eval(&s, e, &env));
        }
        assert_eq!(
            compare_sides_with(&mut plan, &s, sum, ratio, &env, None, true),
            compare_sides(&s, sum, ratio, &env, None, true)
        );
    }
    // the point x = 1/2, n = 3: 1/2 + 1/8 + 1/24 = 2/3
    let mut env = Env::new();
    env.bind_scalar(s.symbol("x"), rat(1, 2));
    env.bind_integer(s.symbol("n"), 3);
    assert_eq!(eval_with(&mut plan, &s, sum, &env), Ok(exact(2, 3)));
}
