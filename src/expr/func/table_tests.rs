//! One line per built-in: its value against a reference written to 16 digits
//! (from tables of the functions), its enclosures at f64 and at 256 and 1024
//! bits (each must contain the reference, and the finer nest in the coarser),
//! its derivative against a difference quotient of those enclosures, and its
//! LaTeX read back as the same call.

use crate::eval::{at_precision, eval, Env, Value};
use crate::expr::{to_latex, ExprId, Func, Store};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive};

fn rat(x: f64) -> BigRational {
    BigRational::from_float(x).expect("finite")
}

/// `f(args)` in a fresh store over symbols `x`, `y`.
fn call(store: &mut Store, f: Func, n: usize) -> (ExprId, Vec<ExprId>) {
    let vars: Vec<ExprId> = ["x", "y"].iter().take(n).map(|v| store.sym(v)).collect();
    (store.call(f, vars.clone()), vars)
}

fn env_at(store: &mut Store, at: &[f64]) -> Env {
    let mut env = Env::new();
    for (name, &v) in ["x", "y"].iter().zip(at) {
        let s = store.symbol(name);
        env.bind_scalar(s, rat(v));
    }
    env
}

fn bounds(v: &Value) -> (BigRational, BigRational) {
    v.rational_bounds()
}

/// Whether the enclosure holds `reference` (known to about 1e-16 relative).
fn holds(v: &Value, reference: f64) -> bool {
    let (lo, hi) = bounds(v);
    let slack = rat(reference.abs().max(1e-300) * 4e-16);
    lo - &slack <= rat(reference) && rat(reference) <= hi + slack
}

fn width(v: &Value) -> f64 {
    let (lo, hi) = bounds(v);
    (hi - lo).to_f64().unwrap_or(f64::INFINITY)
}

fn nests(inner: &Value, outer: &Value) -> bool {
    let (a, b) = bounds(inner);
    let (c, d) = bounds(outer);
    c <= a && b <= d
}

#[test]
fn every_function_value_derivative_enclosure_and_latex() {
    let sqrt_half_pi = (2.0 / std::f64::consts::PI).sqrt();
    // (function, point, reference value, reference derivative in x)
    let cases: &[(Func, &[f64], f64, f64)] = &[
        (
            Func::Sin,
            &[1.0],
            0.841_470_984_807_896_5,
            0.540_302_305_868_139_8,
        ),
        (
            Func::Cos,
            &[1.0],
            0.540_302_305_868_139_8,
            -0.841_470_984_807_896_5,
        ),
        (
            Func::Tan,
            &[1.0],
            1.557_407_724_654_902_3,
            3.425_518_820_814_759,
        ),
        (Func::Atan, &[1.0], std::f64::consts::FRAC_PI_4, 0.5),
        (Func::Atan, &[-3.0], -1.249_045_772_398_254_4, 0.1),
        (
            Func::Sinh,
            &[1.0],
            1.175_201_193_643_801_4,
            1.543_080_634_815_243_7,
        ),
        (
            Func::Cosh,
            &[1.0],
            1.543_080_634_815_243_7,
            1.175_201_193_643_801_4,
        ),
        (
            Func::Erf,
            &[1.0],
            0.842_700_792_949_714_9,
            0.415_107_497_420_594_7,
        ),
        (
            Func::Erf,
            &[-0.5],
            -0.520_499_877_813_046_5,
            0.878_782_578_935_444_6,
        ),
        (
            Func::Erfc,
            &[1.0],
            0.157_299_207_050_285_13,
            -0.415_107_497_420_594_7,
        ),
        (
            Func::NormalCdf,
            &[1.0],
            0.841_344_746_068_542_9,
            0.241_970_724_519_143_37,
        ),
        (
            Func::NormalPdf,
            &[1.0],
            0.241_970_724_519_143_37,
            -0.241_970_724_519_143_37,
        ),
        (
            Func::Gelu,
            &[1.0],
            0.841_344_746_068_542_9,
            1.083_315_470_587_686_3,
        ),
        (
            Func::Silu,
            &[1.0],
            0.731_058_578_630_004_9,
            0.927_670_511_871_486_9,
        ),
        (
            Func::Mish,
            &[1.0],
            0.865_098_388_267_310_3,
            1.049_036_220_099_792_2,
        ),
        (Func::Softsign, &[1.0], 0.5, 0.25),
        (Func::Softsign, &[-3.0], -0.75, 0.0625),
        (Func::Hardtanh, &[0.5], 0.5, 1.0),
        (Func::Hardtanh, &[2.0], 1.0, 0.0),
        (
            Func::Elu,
            &[-1.0, 2.0],
            -1.264_241_117_657_115_4,
            0.735_758_882_342_884_7,
        ),
        (Func::Elu, &[1.5, 2.0], 1.5, 1.0),
        (
            Func::Selu,
            &[1.0],
            1.050_700_987_355_480_5,
            1.050_700_987_355_480_5,
        ),
        (
            Func::Selu,
            &[-1.0],
            -1.111_330_737_812_562_5,
            0.646_768_603_034_814,
        ),
        (Func::LeakyRelu, &[-2.0, 0.01], -0.02, 0.01),
        (Func::LeakyRelu, &[3.0, 0.01], 3.0, 1.0),
        (Func::Max, &[1.0, 2.0], 2.0, 0.0),
        (Func::Max, &[3.0, 2.0], 3.0, 1.0),
        (Func::Min, &[1.0, 2.0], 1.0, 1.0),
        (Func::Log1p, &[1.0], std::f64::consts::LN_2, 0.5),
        (
            Func::Expm1,
            &[1.0],
            1.718_281_828_459_045,
            std::f64::consts::E,
        ),
        (Func::Exp, &[1.0], std::f64::consts::E, std::f64::consts::E),
        (
            Func::Tanh,
            &[1.0],
            0.761_594_155_955_764_9,
            0.419_974_341_614_026_1,
        ),
        (
            Func::Sigmoid,
            &[1.0],
            0.731_058_578_630_004_9,
            0.196_611_933_241_481_85,
        ),
        (
            Func::Softplus,
            &[1.0],
            1.313_261_687_518_223,
            0.731_058_578_630_004_9,
        ),
        // gelu_tanh(1) = ½(1 + tanh(√(2/π)·1.044715))
        (
            Func::GeluTanh,
            &[1.0],
            0.5 * (1.0 + (sqrt_half_pi * 1.044_715_f64).tanh()),
            0.0,
        ),
    ];
    for &(f, at, value, slope) in cases {
        let mut store = Store::new();
        let (e, vars) = call(&mut store, f, at.len());
        let env = env_at(&mut store, at);
        // the enclosures, at f64 and two precisions, all hold the reference and nest
        let coarse = eval(&store, e, &env).unwrap_or_else(|err| panic!("{f:?}: {err:?}"));
        let (fine, _) = at_precision(Some(256), || eval(&store, e, &env));
        let (finest, _) = at_precision(Some(1024), || eval(&store, e, &env));
        let (fine, finest) = (fine.expect("256 bits"), finest.expect("1024 bits"));
        assert!(holds(&coarse, value), "{f:?}{at:?}: {coarse} vs {value}");
        assert!(holds(&fine, value), "{f:?}{at:?} at 256 bits: {fine}");
        assert!(
            nests(&finest, &coarse),
            "{f:?}{at:?}: 1024 bits outside f64"
        );
        assert!(nests(&finest, &fine), "{f:?}{at:?}: 1024 bits outside 256");
        assert!(
            width(&coarse) < 1e-12,
            "{f:?}{at:?}: f64 width {}",
            width(&coarse)
        );
        assert!(
            width(&fine) < 1e-60,
            "{f:?}{at:?}: 256-bit width {}",
            width(&fine)
        );
        // the derivative, against its reference and a difference quotient
        let d = crate::diff::derivative(&mut store, &crate::domain::Domains::default(), e, vars[0])
            .unwrap_or_else(|err| panic!("{f:?}: {err:?}"));
        let dv = eval(&store, d.value, &env).unwrap_or_else(|err| panic!("{f:?}' {err:?}"));
        let h = 1e-6;
        let shifted = |delta: f64, store: &mut Store| {
            let mut moved = at.to_vec();
            moved[0] += delta;
            let env = env_at(store, &moved);
            let (v, _) = at_precision(Some(256), || eval(store, e, &env));
            v.expect("defined nearby").to_f64()
        };
        let quotient = (shifted(h, &mut store) - shifted(-h, &mut store)) / (2.0 * h);
        assert!(
            (dv.to_f64() - quotient).abs() < 1e-7,
            "{f:?}'{at:?}: {dv} vs {quotient}"
        );
        if f != Func::GeluTanh {
            assert!(
                holds(&dv, slope) || (dv.to_f64() - slope).abs() < 1e-15,
                "{f:?}'{at:?}: {dv} vs {slope}"
            );
        }
        // LaTeX out and back in
        let latex = to_latex(&store, e);
        let toks = crate::latex::lex::tokenize(&latex, 0);
        let ctx = crate::latex::parse::Context::default();
        let parsed = crate::latex::parse::parse_expression(&toks, &ctx)
            .unwrap_or_else(|err| panic!("{f:?}: {latex} does not read: {}", err.message));
        let config = crate::lower::LowerConfig {
            declare_unknown_as_real: true,
            ..crate::lower::LowerConfig::default()
        };
        let (program, lowered) =
            crate::lower::lower_standalone(&crate::syntax::ast::File::default(), &parsed, config);
        let back = lowered.unwrap_or_else(|d| panic!("{f:?}: {latex}: {}", d.message));
        assert_eq!(
            program.store.display(back),
            store.display(e),
            "{f:?}: {latex}"
        );
    }
}

#[test]
fn exact_values_are_exact_and_sin_has_no_others() {
    let mut store = Store::new();
    let zero = store.zero();
    for (f, want) in [
        (Func::Sin, Some(0)),
        (Func::Cos, Some(1)),
        (Func::Tan, Some(0)),
        (Func::Atan, Some(0)),
        (Func::Sinh, Some(0)),
        (Func::Cosh, Some(1)),
        (Func::Erf, Some(0)),
        (Func::Erfc, Some(1)),
        (Func::Gelu, Some(0)),
        (Func::Silu, Some(0)),
        (Func::Mish, Some(0)),
        (Func::Log1p, Some(0)),
        (Func::Expm1, Some(0)),
        (Func::NormalPdf, None),
    ] {
        let e = store.call1(f, zero);
        let v = eval(&store, e, &Env::new()).expect("defined");
        let got = v.as_exact().map(|r| r.to_integer());
        assert_eq!(got, want.map(BigInt::from), "{f:?}(0)");
    }
    // sin, cos of a nonzero rational are never exact (Niven)
    let third = store.ratio(1, 3);
    for f in [Func::Sin, Func::Cos, Func::Atan, Func::Erf] {
        let e = store.call1(f, third);
        let v = eval(&store, e, &Env::new()).expect("defined");
        assert!(!v.is_exact(), "{f:?}(1/3) is irrational");
    }
    let pi = store.call(Func::Pi, Vec::new());
    let v = eval(&store, pi, &Env::new()).expect("π");
    assert!(holds(&v, std::f64::consts::PI));
    assert!(!v.is_exact());
}

#[test]
fn sign_facts_hold_at_sample_points() {
    use crate::simplify::sign::sign_of;
    let domains_positive = {
        let mut store = Store::new();
        let x = store.symbol("x");
        let mut d = crate::domain::Domains::default();
        d.declare(x, crate::domain::VarDomain::Positive);
        (store, d)
    };
    let (mut store, domains) = domains_positive;
    let x = store.sym("x");
    for f in Func::ALL.iter().copied().filter(|f| f.arity() == 1) {
        let e = store.call1(f, x);
        let s = sign_of(&store, &domains, e);
        let env = env_at(&mut store, &[0.75]);
        let v = eval(&store, e, &env).expect("defined at 3/4");
        let (lo, hi) = bounds(&v);
        if !s.negative && !s.zero {
            assert!(lo.is_positive(), "{f:?}(3/4) is said positive: {v}");
        }
        if !s.positive && !s.zero {
            assert!(hi.is_negative(), "{f:?}(3/4) is said negative: {v}");
        }
    }
}

/// A function that is only a row of the table (`fake(x) = x² + 1`, behind
/// `cfg(test)`) evaluates, differentiates, prints, reads back and is proved
/// through its definition, with no code anywhere else.
#[test]
fn a_new_row_is_all_a_function_needs() {
    let mut store = Store::new();
    let x = store.sym("x");
    let fake = store.call1(Func::Fake, x);
    let env = env_at(&mut store, &[3.0]);
    assert_eq!(eval(&store, fake, &env), Ok(Value::integer(10)));
    let d = crate::diff::derivative(&mut store, &crate::domain::Domains::default(), fake, x)
        .expect("differentiates");
    assert_eq!(eval(&store, d.value, &env), Ok(Value::integer(6)));
    assert_eq!(store.display(fake), "fake(x)");
    assert_eq!(
        to_latex(&store, fake),
        "\\operatorname{fake}\\left(x\\right)"
    );
    // SymPy has no fake: its definition is written out
    assert_eq!(
        crate::expr::sympy::to_sympy(&store, fake),
        "((x)**(2) + Rational(1, 1))"
    );
    let parsed = crate::syntax::parse_expr("fake(x) - x^2").expect("parses");
    let config = crate::lower::LowerConfig {
        declare_unknown_as_real: true,
        ..crate::lower::LowerConfig::default()
    };
    let (mut program, lowered) =
        crate::lower::lower_standalone(&crate::syntax::ast::File::default(), &parsed, config);
    let e = lowered.expect("lowers");
    let one = program.store.one();
    let outcome = crate::simplify::prove_equal(
        &mut program.store,
        &crate::domain::Domains::default(),
        e,
        one,
        &crate::simplify::Budget::default(),
    );
    assert!(
        outcome.is_proved(),
        "fake(x) − x² = 1 through the definition"
    );
}
