//! Table tests: one limit per line, with the value it must have.

use super::*;
use crate::lower::{self, LowerConfig};
use crate::syntax;
use num_bigint::BigInt;
use std::time::Duration;

/// What a row expects: a value (`claim`'s right side, shown equal by the
/// prover), an infinity, a split the caller must make, or no value.
#[derive(Debug)]
enum Want {
    Value(&'static str),
    PosInf,
    NegInf,
    SplitOnSign,
    SplitOnParity,
    Undefined,
    Unknown,
}

const DECLARATIONS: &str = "var x : real\nvar p : positive\nvar n : natural\n";

/// `lim v -> point of body` (the approach from the right at a finite point)
/// and what it must come to, with `odd` fixing the parity of `k` when given.
fn limit_of(point: &str, body: &str, odd: Option<bool>, want: Want) {
    let expected = match want {
        Want::Value(v) => v,
        _ => "0",
    };
    let text = format!("{DECLARATIONS}claim lim k -> {point} of {body} = {expected}\n");
    let parsed = syntax::parse_file(&text);
    assert!(parsed.errors.is_empty(), "{body}: {:?}", parsed.errors);
    let mut program = lower::lower_file(&parsed.file, LowerConfig::default());
    let ob = program.obligations[0].clone();
    let Node::Limit { var, to, body: b } = program.store.node(ob.lhs).clone() else {
        panic!("{body}: not a limit");
    };
    let approach = match to {
        crate::expr::LimitTo::PosInf => Approach::PosInf,
        crate::expr::LimitTo::NegInf => Approach::NegInf,
        crate::expr::LimitTo::Point(p) => Approach::Right(p),
    };
    let facts = Facts {
        signs: Vec::new(),
        odd,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let store = &mut program.store;
    let domains = &program.domains;
    let got = find_limit(store, domains, var, approach, b, &facts, deadline);
    match (&want, &got) {
        (Want::PosInf, Ok(LimitValue::PosInf)) | (Want::NegInf, Ok(LimitValue::NegInf)) => {}
        (Want::SplitOnSign, Err(Stuck::Sign(_))) | (Want::SplitOnParity, Err(Stuck::Parity)) => {}
        (Want::Undefined, Err(Stuck::Undefined(_))) | (Want::Unknown, Err(Stuck::Unknown(_))) => {}
        (Want::Value(_), Ok(LimitValue::Finite(v))) => {
            let budget = simplify::Budget::default();
            let proved = simplify::prove_equal(store, domains, *v, ob.rhs, &budget);
            assert!(
                proved.is_proved(),
                "lim k -> {point} of {body}: got {}, expected {expected}",
                store.display(*v)
            );
        }
        _ => panic!("lim k -> {point} of {body}: got {got:?}, expected {want:?}"),
    }
}

#[test]
fn limits_at_infinity() {
    use Want::*;
    limit_of("inf", "1/k", None, Value("0"));
    limit_of("inf", "k", None, PosInf);
    limit_of("-inf", "k", None, NegInf);
    limit_of("inf", "k/(k + 10^30)", None, Value("1"));
    limit_of("inf", "(k^2 + 1)/(2*k^2 + k)", None, Value("1/2"));
    limit_of("inf", "exp(-(2^60)/k)", None, Value("1"));
    limit_of("inf", "exp(k)/(exp(k) + exp(700))", None, Value("1"));
    limit_of("inf", "exp(k^2)/exp(k^2 + 1)", None, Value("exp(-1)"));
    limit_of("inf", "k^100/exp(k)", None, Value("0"));
    limit_of("inf", "exp(k)/k^100", None, PosInf);
    limit_of("inf", "ln(k)/10^8", None, PosInf);
    limit_of("inf", "ln(k)/k", None, Value("0"));
    limit_of("inf", "k^(1/k)", None, Value("1"));
    limit_of("inf", "(1 + 1/k)^k", None, Value("e"));
    limit_of("inf", "(1 + x/k)^k", None, Value("exp(x)"));
    limit_of("inf", "(1 + 1/k)^(k^2)", None, PosInf);
    limit_of("inf", "k*ln(1 + 1/k)", None, Value("1"));
    limit_of("inf", "sqrt(k^2 + k) - k", None, Value("1/2"));
    limit_of("inf", "k - sqrt(k^2 + 1)", None, Value("0"));
    limit_of("inf", "k^2*(exp(1/k) - 1 - 1/k)", None, Value("1/2"));
    limit_of("inf", "(k^5 + 1) - k^5", None, Value("1"));
    limit_of("-inf", "tanh(k)", None, Value("-1"));
    limit_of("inf", "softplus(k) - k", None, Value("0"));
    limit_of("-inf", "softplus(k)", None, Value("0"));
    limit_of("inf", "σ(k)", None, Value("1"));
}

#[test]
fn difference_quotients_are_derivatives() {
    use Want::*;
    limit_of("inf", "k*(exp(x + 1/k) - exp(x))", None, Value("exp(x)"));
    limit_of(
        "inf",
        "k*(σ(x + 1/k) - σ(x))",
        None,
        Value("σ(x)*(1 - σ(x))"),
    );
    limit_of(
        "inf",
        "k*(softplus(x + 1/k) - softplus(x))",
        None,
        Value("σ(x)"),
    );
    limit_of(
        "inf",
        "k*(tanh(x + 1/k) - tanh(x))",
        None,
        Value("1 - tanh(x)^2"),
    );
    limit_of("inf", "k*(ln(p + 1/k) - ln(p))", None, Value("1/p"));
    limit_of(
        "inf",
        "k*(sqrt(p + 1/k) - sqrt(p))",
        None,
        Value("1/(2*sqrt(p))"),
    );
    limit_of("inf", "k*((x + 1/k)^3 - x^3)", None, Value("3*x^2"));
    limit_of("0", "(exp(x + k) - exp(x))/k", None, Value("exp(x)"));
}

#[test]
fn signs_kinks_and_steps() {
    use Want::*;
    limit_of("inf", "σ(k*x)", None, SplitOnSign);
    limit_of("inf", "σ(k*p)", None, Value("1"));
    limit_of("inf", "σ(-k*p)", None, Value("0"));
    limit_of("inf", "relu(x - 1/k)", None, SplitOnSign);
    limit_of("inf", "H(1/k)", None, Value("1"));
    limit_of("inf", "H(-1/k)", None, Value("0"));
    limit_of("inf", "H(0*k)", None, Value("1/2"));
    limit_of("inf", "abs(-1/k)*k", None, Value("1"));
    limit_of("inf", "floor(1/k)", None, Value("0"));
    limit_of("inf", "floor(-1/k)", None, Value("-1"));
    limit_of("inf", "ceil(1/k)", None, Value("1"));
    limit_of("inf", "floor(1/2 + 1/k)", None, Value("0"));
    limit_of(
        "inf",
        "piecewise { 1 if k > 100; 0 otherwise }",
        None,
        Value("1"),
    );
    limit_of("0", "x*ln(k)", None, SplitOnSign);
    limit_of("0", "k*ln(k)", None, Value("0"));
    limit_of("inf", "1/(k*ln(k) + k)", None, Value("0"));
    limit_of("inf", "1/(ln(k) + 1)", None, Unknown);
}

#[test]
fn oscillation_and_domains() {
    use Want::*;
    limit_of("inf", "(-1)^k", None, SplitOnParity);
    limit_of("inf", "(-1)^k", Some(false), Value("1"));
    limit_of("inf", "(-1)^k", Some(true), Value("-1"));
    limit_of("inf", "(-1)^(k + 1)/k", Some(true), Value("0"));
    limit_of("inf", "(-2)^k/3^k", Some(true), Value("0"));
    limit_of("inf", "(-1)^(2*k)", None, Unknown);
    limit_of("inf", "ln(-k)", None, Undefined);
    limit_of("inf", "sqrt(-k)", None, Undefined);
    limit_of("inf", "k^x", None, Unknown);
    limit_of("inf", "exp(exp(k))", None, Unknown);
}

/// A tiny deterministic generator (no dependency on the sampler under test).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A random body in `k`: sums, products, quotients, powers and the smooth
/// built-ins over `k`, `1/k` and small numbers.
fn random_body(rng: &mut Lcg, depth: u32) -> String {
    if depth == 0 || rng.next(4) == 0 {
        return match rng.next(6) {
            0 | 1 => "k".to_string(),
            2 => "1/k".to_string(),
            3 => format!("{}", rng.next(3) + 1),
            4 => "(1 + 1/k)".to_string(),
            _ => format!("(k + {})", rng.next(5)),
        };
    }
    let a = random_body(rng, depth - 1);
    let b = random_body(rng, depth - 1);
    let smooth = ["exp", "σ", "tanh", "softplus", "ln", "sqrt"][rng.next(6) as usize];
    match rng.next(16) {
        13 => format!("(k*({smooth}(2 + 1/{a}) - {smooth}(2)))"),
        14 => format!("({a}*({smooth}(3 + 1/k) - {smooth}(3 - 1/k)))"),
        15 => format!("(k^2*({smooth}(1 + 1/k) - 2*{smooth}(1) + {smooth}(1 - 1/k)))"),
        0 => format!("({a} + {b})"),
        1 => format!("({a} - {b})"),
        2 | 3 => format!("({a} * {b})"),
        4 | 5 => format!("({a} / {b})"),
        6 => format!("exp(1/{a})"),
        // a bounded logarithm: a slowly growing one (ln k − 161) would fool
        // the far-out oracle, which sees it still negative at k = 10^40
        7 => format!("ln(2 + σ({a}))"),
        8 => format!("sqrt({a})"),
        9 => format!("σ({a})"),
        10 => format!("tanh({a} - {b})"),
        11 => format!("({a})^2"),
        _ => format!("softplus({a} - {b})"),
    }
}

/// The body at `k`, as a midpoint of a narrow rigorous enclosure.
fn body_at(store: &Store, var: Symbol, body: ExprId, k: &BigRational) -> Option<f64> {
    let mut env = Env::new();
    env.bind_scalar(var, k.clone());
    let v = eval::eval(store, body, &env).ok()?;
    let x = match v {
        Value::Exact(r) => r.to_f64()?,
        Value::Approx(iv) if iv.hi() - iv.lo() < 1e-9 * (1.0 + iv.lo().abs()) => {
            (iv.lo() + iv.hi()) / 2.0
        }
        Value::Approx(_) | Value::Precise(_) => return None,
    };
    x.is_finite().then_some(x)
}

/// The body at the farthest three of k = 10^4, 10^5, 10^6, 10^20, 10^40,
/// 10^80 where it has a narrow enclosure (nearer points stand in where the
/// evaluator overflows or loses precision far out).
fn far_values(store: &Store, var: Symbol, body: ExprId) -> Option<[f64; 3]> {
    let values: Vec<f64> = [4u32, 5, 6, 20, 40, 80]
        .iter()
        .filter_map(|&p| {
            let k = BigRational::from_integer(BigInt::from(10).pow(p));
            body_at(store, var, body, &k)
        })
        .collect();
    match values[..] {
        [.., a, b, c] => Some([a, b, c]),
        _ => None,
    }
}

/// Random bodies against rigorous evaluation far out, independent of the
/// engine: when the body visibly settles there, a finite limit the engine
/// finds must be that value, and an infinite one is wrong. A test oracle
/// with its own margins (the engine has none); slowly converging bodies,
/// which do not visibly settle, are not compared.
#[test]
fn random_limits_agree_with_far_evaluation() {
    let seed = std::env::var("LIMIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261201);
    let count: usize = std::env::var("LIMIT_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let mut rng = Lcg(seed);
    let (mut compared, mut stuck, mut disagreements) = (0, 0, Vec::new());
    for _ in 0..count {
        let body = random_body(&mut rng, 3);
        let text = format!("claim lim k -> inf of {body} = 0\n");
        let parsed = syntax::parse_file(&text);
        if !parsed.errors.is_empty() {
            continue;
        }
        let mut program = lower::lower_file(&parsed.file, LowerConfig::default());
        let Some(ob) = program.obligations.first().cloned() else {
            continue;
        };
        let Node::Limit { var, body: b, .. } = program.store.node(ob.lhs).clone() else {
            continue;
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let store = &mut program.store;
        let facts = Facts::default();
        let domains = &program.domains;
        let found = find_limit(store, domains, var, Approach::PosInf, b, &facts, deadline);
        let Some([f1, f2, f3]) = far_values(store, var, b) else {
            continue;
        };
        let settled = (f1 - f3).abs() <= 1e-7 * (1.0 + f3.abs())
            && (f2 - f3).abs() <= 1e-7 * (1.0 + f3.abs());
        if !settled {
            continue;
        }
        match found {
            Ok(LimitValue::Finite(v)) => {
                // a value past the evaluator (exp(exp(8))) cannot be compared
                let Ok(value) = eval::eval(store, v, &Env::new()) else {
                    continue;
                };
                let value = value.to_f64();
                compared += 1;
                if (value - f3).abs() > 1e-4 * (1.0 + f3.abs()) {
                    disagreements.push(format!("{body}: engine {value}, far out {f3}"));
                }
            }
            Ok(infinite) => {
                compared += 1;
                disagreements.push(format!("{body}: engine {infinite:?}, far out {f3}"));
            }
            Err(_) => stuck += 1,
        }
    }
    eprintln!("random limits: {compared} compared, {stuck} that settle far out not found");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert!(compared >= 100, "only {compared} limits were compared");
}
