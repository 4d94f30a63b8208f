//! Table tests for canonical form, proofs and display, in the style of
//! `proves("softplus(x) - softplus(-x)", "x")` with an s-expression reader.

use super::testkit::read;
use super::*;
use crate::domain::{Domains, VarDomain};
use crate::expr::Store;

fn prove_in(store: &mut Store, domains: &Domains, lhs: &str, rhs: &str) -> ProofOutcome {
    let l = read(store, lhs);
    let r = read(store, rhs);
    prove_equal(store, domains, l, r, &Budget::default())
}

fn proves_where(assumptions: &[&str], lhs: &str, rhs: &str) {
    let mut store = Store::new();
    let mut domains = Domains::new();
    for a in assumptions {
        let c = read(&mut store, a);
        domains.assume(c);
    }
    let outcome = prove_in(&mut store, &domains, lhs, rhs);
    assert!(
        outcome.is_proved(),
        "expected a proof of {lhs} = {rhs}:\n{}",
        explain(&store, &outcome).join("\n")
    );
}

fn proves(lhs: &str, rhs: &str) {
    proves_where(&[], lhs, rhs);
}

fn not_proved_where(assumptions: &[&str], lhs: &str, rhs: &str) {
    let mut store = Store::new();
    let mut domains = Domains::new();
    for a in assumptions {
        let c = read(&mut store, a);
        domains.assume(c);
    }
    let outcome = prove_in(&mut store, &domains, lhs, rhs);
    assert!(
        !outcome.is_proved(),
        "{lhs} = {rhs} must not be proved:\n{}",
        explain(&store, &outcome).join("\n")
    );
}

fn not_proved(lhs: &str, rhs: &str) {
    not_proved_where(&[], lhs, rhs);
}

// σ(x) spelled out: 1/(1 + e^(−x))
const SIG: &str = "(/ 1 (+ 1 (exp (- x))))";

#[test]
fn softplus_symmetry() {
    proves("(- (softplus x) (softplus (- x)))", "x");
}

#[test]
fn log_sigmoid_is_minus_softplus_of_minus() {
    proves("(ln (sigma x))", "(- (softplus (- x)))");
}

#[test]
fn sigmoid_derivative_and_every_step_of_the_seed_chain() {
    let step0 = format!("(d x {SIG})");
    let step1 = "(* (- (^ (+ 1 (exp (- x))) -2)) (- (exp (- x))))";
    let step2 = format!("(* {SIG} (/ (exp (- x)) (+ 1 (exp (- x)))))");
    let step3 = format!("(* {SIG} (/ (- (+ 1 (exp (- x))) 1) (+ 1 (exp (- x)))))");
    let step4 = format!("(* {SIG} (- 1 {SIG}))");
    let step5 = "(* (sigma x) (- 1 (sigma x)))";
    proves(&step0, step1);
    proves(step1, &step2);
    proves(&step2, &step3);
    proves(&step3, &step4);
    proves(&step4, step5);
    proves("(d x (sigma x))", step5);
    proves(&step0, step5);
}

#[test]
fn softplus_derivative_is_sigmoid() {
    proves("(d x (softplus x))", "(sigma x)");
    proves("(d x (ln (+ 1 (exp x))))", "(sigma x)");
}

#[test]
fn two_class_softmax_is_a_sigmoid() {
    proves("(/ (exp o1) (+ (exp o1) (exp o2)))", "(sigma (- o1 o2))");
}

#[test]
fn binary_cross_entropy_gradient() {
    proves(
        "(d a (- (- (* y (ln (sigma a)))) (* (- 1 y) (ln (- 1 (sigma a))))))",
        "(- (sigma a) y)",
    );
}

#[test]
fn squared_error_through_sigmoid_gradient() {
    proves(
        "(d a (^ (- (sigma a) y) 2))",
        "(* 2 (- (sigma a) y) (sigma a) (- 1 (sigma a)))",
    );
}

#[test]
fn relu_is_x_times_heaviside() {
    proves("(relu x)", "(* x (H x))");
    proves("(piecewise ((> x 0) x) 0)", "(* x (H x))");
}

#[test]
fn shifted_power_of_heaviside_is_relu_above_minus_one() {
    proves_where(&["(> x -1)"], "(- (^ (+ x 1) (H x)) 1)", "(relu x)");
}

#[test]
fn tanh_derivative() {
    proves("(d x (tanh x))", "(- 1 (^ (tanh x) 2))");
    // and through the definition in exponentials
    proves(
        "(d x (/ (- (exp (* 2 x)) 1) (+ (exp (* 2 x)) 1)))",
        "(- 1 (^ (tanh x) 2))",
    );
}

#[test]
fn seed_q1g_chain_steps() {
    proves(
        "(- (softplus x) (softplus (- x)))",
        "(- (ln (+ 1 (exp x))) (ln (+ 1 (exp (- x)))))",
    );
    proves(
        "(- (ln (+ 1 (exp x))) (ln (+ 1 (exp (- x)))))",
        "(- (ln (+ 1 (exp x))) (ln (+ 1 (/ 1 (exp x)))))",
    );
    proves(
        "(- (ln (+ 1 (exp x))) (ln (+ 1 (/ 1 (exp x)))))",
        "(- (ln (+ 1 (exp x))) (ln (/ (+ 1 (exp x)) (exp x))))",
    );
    proves(
        "(- (ln (+ 1 (exp x))) (ln (/ (+ 1 (exp x)) (exp x))))",
        "(ln (/ (* (+ 1 (exp x)) (exp x)) (+ 1 (exp x))))",
    );
    proves(
        "(ln (/ (* (+ 1 (exp x)) (exp x)) (+ 1 (exp x))))",
        "(ln (exp x))",
    );
    proves("(ln (exp x))", "x");
}

#[test]
fn exp_rules() {
    proves("(exp (+ a b))", "(* (exp a) (exp b))");
    proves("(exp (- a))", "(/ 1 (exp a))");
    proves("(exp (* 3 a))", "(^ (exp a) 3)");
    proves("(^ (exp (/ a 2)) 2)", "(exp a)");
    proves("(exp (+ (ln (exp a)) b))", "(* (exp a) (exp b))");
    proves("(ln (* (exp a) (exp b)))", "(+ a b)");
    proves_where(&["(> u 0)"], "(exp (ln u))", "u");
    proves_where(&["(> u 0)", "(> v 0)"], "(ln (* u v))", "(+ (ln u) (ln v))");
    proves_where(&["(> u 0)"], "(ln (^ u 3))", "(* 3 (ln u))");
    proves("(ln (^ x 2))", "(* 2 (ln (abs x)))");
    proves("(log2 8)", "(/ (ln 8) (ln 2))");
}

#[test]
fn rational_identities() {
    proves("(/ (- (^ x 2) 1) (- x 1))", "(+ x 1)");
    proves("(+ (/ 1 (+ 1 (exp x))) (/ (exp x) (+ 1 (exp x))))", "1");
    proves("(- (sigma x) (- 1 (sigma (- x))))", "0");
    proves("(* (+ a b) (- a b))", "(- (^ a 2) (^ b 2))");
}

#[test]
fn positive_domain_from_declaration() {
    let mut store = Store::new();
    let mut domains = Domains::new();
    let a = store.symbol("a");
    let b = store.symbol("b");
    domains.declare(a, VarDomain::Positive);
    domains.declare(b, VarDomain::Positive);
    let outcome = prove_in(&mut store, &domains, "(ln (/ a b))", "(- (ln a) (ln b))");
    assert!(outcome.is_proved());
    let outcome = prove_in(&mut store, &domains, "(sqrt (^ a 2))", "a");
    assert!(outcome.is_proved(), "{:?}", explain(&store, &outcome));
}

#[test]
fn false_or_unshown_claims_stay_not_proved() {
    not_proved("(softplus x)", "(ln (exp x))");
    not_proved("(ln (^ x 2))", "(* 2 (ln x))");
    not_proved("(sqrt (^ x 2))", "x");
    not_proved("(sigma x)", "(sigma (- x))");
    not_proved("(exp (ln x))", "x");
    not_proved("(ln (* u v))", "(+ (ln u) (ln v))");
    not_proved("(relu x)", "x");
    not_proved("(abs x)", "x");
    not_proved("(H x)", "1");
    not_proved("(^ (^ x 2) (/ 1 2))", "x");
    not_proved("(^ (^ x (/ 1 2)) 2)", "(abs x)");
    not_proved("(- (^ (+ x 1) (H x)) 1)", "x");
    not_proved("(ln (sigma x))", "(softplus (- x))");
    not_proved("(d x (sigma x))", "(* (sigma x) (sigma x))");
    not_proved("(d x (softplus x))", "(sigma (- x))");
    not_proved_where(&["(> x -1)"], "(ln (+ x 2))", "(ln (+ x 1))");
}

#[test]
fn budget_exhaustion_is_not_proved_and_says_so() {
    let mut store = Store::new();
    let domains = Domains::new();
    let l = read(&mut store, "(^ (+ a b c d e f g h) 12)");
    let r = read(&mut store, "(^ (+ a b c d e f g h) 12)");
    let tight = Budget {
        max_nodes: 100_000,
        max_terms: 50,
        deadline: None,
    };
    // equal ids are proved at once; a shifted copy needs expansion
    let one = store.one();
    let r2 = store.sum(vec![r, one]);
    let l2 = store.sum(vec![one, l]);
    assert!(prove_equal(&mut store, &domains, l2, r2, &tight).is_proved());
    let l3 = read(&mut store, "(^ (+ a b c d e f g h) 12)");
    let r3 = read(&mut store, "(^ (+ h g f e d c b a) 12)");
    // both canonicalize to the same sum, so the proof needs no expansion either
    assert!(prove_equal(&mut store, &domains, l3, r3, &tight).is_proved());
    let l4 = read(&mut store, "(* (^ (+ a b c d e f g h) 12) (+ a 1))");
    let r4 = read(
        &mut store,
        "(+ (* a (^ (+ a b c d e f g h) 12)) (^ (+ a b c d e f g h) 12) 1)",
    );
    match prove_equal(&mut store, &domains, l4, r4, &tight) {
        ProofOutcome::NotProved { reason } => {
            assert!(
                reason.contains("budget exceeded") || reason.contains("different"),
                "{reason}"
            )
        }
        ProofOutcome::Proved { .. } => panic!("a false claim was proved"),
    }
}

#[test]
fn proofs_carry_readable_traces() {
    let mut store = Store::new();
    let domains = Domains::new();
    let outcome = prove_in(
        &mut store,
        &domains,
        "(- (softplus x) (softplus (- x)))",
        "x",
    );
    let ProofOutcome::Proved { lhs_trace, .. } = &outcome else {
        panic!("not proved");
    };
    let names: Vec<&str> = lhs_trace.iter().map(|s| s.rule).collect();
    assert!(names.contains(&"softplus_def"), "{names:?}");
    assert!(names.contains(&"ln_of_quotient"), "{names:?}");
    assert!(names.contains(&"ln_of_exp"), "{names:?}");
    let text = explain(&store, &outcome).join("\n");
    assert!(text.contains("softplus_def"));
    // every rule named in a trace is in the table
    for s in lhs_trace {
        assert!(rules().iter().any(|r| r.name == s.rule), "{}", s.rule);
    }
}

#[test]
fn the_rules_alone_name_every_step_of_the_trace() {
    let cases = [
        ("(- (softplus x) (softplus (- x)))", "x"),
        ("(/ x x)", "1"),
        ("x", "x"),
    ];
    for (lhs, rhs) in cases {
        let mut store = Store::new();
        let outcome = prove_in(&mut store, &Domains::new(), lhs, rhs);
        let full = explain(&store, &outcome);
        let brief = explain_rules(&outcome);
        assert_eq!(full.len(), brief.len(), "{lhs} = {rhs}");
        for (long, short) in full.iter().zip(&brief).skip(1) {
            let head = short.trim_end_matches(" a condition");
            assert!(long.starts_with(head), "{long} / {short}");
        }
    }
}

#[test]
fn cancellation_records_its_condition() {
    let mut store = Store::new();
    let domains = Domains::new();
    let outcome = prove_in(&mut store, &domains, "(/ x x)", "1");
    let ProofOutcome::Proved { conditions, .. } = &outcome else {
        panic!("not proved");
    };
    let shown: Vec<String> = conditions.iter().map(|c| store.display(*c)).collect();
    assert!(shown.iter().any(|s| s.contains('x')), "{shown:?}");
}

#[test]
fn rule_table_is_complete_and_named_uniquely() {
    let table = rules();
    for (i, r) in table.iter().enumerate() {
        assert!(!r.description.is_empty());
        assert!(table[i + 1..]
            .iter()
            .all(|o| o.name != r.name && o.id != r.id));
        assert_eq!(
            rules::rule_of(r.id).id,
            r.id,
            "{}: row {i} out of order",
            r.name
        );
        assert_eq!(r.id as usize, i, "{}", r.name);
    }
    // every named condition is used by some rule, and names are unique
    for (i, c) in rules::SideCondition::ALL.iter().enumerate() {
        assert!(
            table.iter().any(|r| r.side_conditions.contains(c)),
            "{} is used by no rule",
            c.name()
        );
        assert!(rules::SideCondition::ALL[i + 1..]
            .iter()
            .all(|o| o.name() != c.name()));
    }
    // a trace names the rule that fired, never a generic row
    let mut store = Store::new();
    let domains = Domains::new();
    let outcome = prove_in(&mut store, &domains, "(ln (exp x))", "x");
    let ProofOutcome::Proved { lhs_trace, .. } = &outcome else {
        panic!("not proved");
    };
    let names: Vec<&str> = lhs_trace.iter().map(|t| t.rule).collect();
    assert!(names.contains(&"ln_of_exp"), "{names:?}");
    let exp_ln = rules::rule_of(RuleId::ExpOfLn);
    assert_eq!(
        exp_ln
            .side_conditions
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>(),
        ["positive_argument"]
    );
}

// ----- canonical form -----

fn canon_text(text: &str) -> String {
    let mut store = Store::new();
    let e = read(&mut store, text);
    let c = canonical(&mut store, &Domains::new(), e);
    store.display(c.value)
}

#[test]
fn canonical_form_flattens_sorts_and_collects() {
    let mut store = Store::new();
    let d = Domains::new();
    let a = read(&mut store, "(+ y (+ x 1) (* 2 x))");
    let b = read(&mut store, "(+ (* 3 x) 1 y)");
    assert_eq!(
        canonical(&mut store, &d, a).value,
        canonical(&mut store, &d, b).value
    );
    assert_eq!(canon_text("(* x (* x y) (/ 1 2) 4)"), "2·x^2·y");
    assert_eq!(canon_text("(+ (* 1/3 x) (* 2/3 x))"), "x");
    assert_eq!(canon_text("(^ (^ x (/ 1 2)) 2)"), "x");
    assert_eq!(canon_text("(^ 8 (/ 2 3))"), "4");
    assert_eq!(canon_text("(sqrt (/ 9 4))"), "3/2");
    assert_eq!(canon_text("(H 0)"), "1/2");
    assert_eq!(canon_text("(^ 0 0)"), "0^0");
}

#[test]
fn canonical_form_keeps_unsound_merges_apart() {
    // (x^2)^(1/2) is |x|, not x
    assert_ne!(canon_text("(^ (^ x 2) (/ 1 2))"), "x");
    assert_ne!(canon_text("(sqrt (^ x 2))"), "x");
}

#[test]
fn canonical_form_is_independent_of_insertion_order() {
    let mut s1 = Store::new();
    let e1 = read(&mut s1, "(+ b a (exp c))");
    let c1 = canonical(&mut s1, &Domains::new(), e1).value;
    let mut s2 = Store::new();
    let _ = read(&mut s2, "(exp c)");
    let _ = read(&mut s2, "a");
    let e2 = read(&mut s2, "(+ (exp c) a b)");
    let c2 = canonical(&mut s2, &Domains::new(), e2).value;
    assert_eq!(s1.display(c1), s2.display(c2));
}

// ----- display -----

fn display_of(text: &str) -> String {
    let mut store = Store::new();
    let e = read(&mut store, text);
    let d = simplify_for_display(&mut store, &Domains::new(), e);
    store.display(d)
}

#[test]
fn display_folds_named_functions() {
    assert_eq!(display_of("(d x (ln (+ 1 (exp x))))"), "σ(x)");
    assert_eq!(display_of("(d x (sigma x))"), "σ(x)·(1 − σ(x))");
    assert_eq!(display_of(SIG), "σ(x)");
    assert_eq!(display_of(&format!("(d x {SIG})")), "σ(x)·(1 − σ(x))");
    assert_eq!(display_of("(ln (+ (exp x) 1))"), "softplus(x)");
}

#[test]
fn display_cancels_common_factors() {
    assert_eq!(
        display_of("(/ (* (+ 1 (exp x)) (exp x)) (+ 1 (exp x)))"),
        "exp(x)"
    );
    assert_eq!(display_of("(/ (- (^ x 2) 1) (- x 1))"), "1 + x");
    assert_eq!(display_of("(/ (+ (* x y) x) (+ y 1))"), "x");
}
