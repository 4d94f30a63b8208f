//! Table tests: one limit per line, with the value it must have.

use super::*;
use crate::lower::{self, LowerConfig};
use crate::syntax;
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
