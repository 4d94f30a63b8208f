//! Reliability properties over random expressions (the generator of the
//! symbolic engine's soundness properties):
//!
//! * printing and re-parsing gives the same expression. "Same" means: the
//!   re-lowered expression, copied back into the original store, is the very
//!   same `ExprId` (the store is hash-consed, so that is structural equality),
//!   or the two reach the same canonical form (the printer writes `Pow(z, -2)`
//!   and `Mul[1, Pow(z^2, -1)]` alike as `1/z^2`, and the builders fold
//!   trivial products on the way back). The one exception: both contain a
//!   power of a literal 0 with no value (`1/0`), which the canonical form
//!   leaves alone, so there is no value to compare;
//! * the LaTeX printer never panics and never prints nothing;
//! * checking one claim twice with one seed gives the same verdict, and the
//!   seed is reported with it.

use super::CheckConfig;
use crate::domain::Domains;
use crate::expr::{to_latex, ExprId, Node, Store};
use crate::lower::{self, LowerConfig};
use crate::simplify::proptests::{build, tree};
use crate::syntax;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::time::Duration;

/// Copies `id` from `from` into `into`, matching symbols by name.
///
/// Only the node kinds the generator makes are needed; anything else is a
/// test failure (`None`).
fn import(from: &Store, id: ExprId, into: &mut Store) -> Option<ExprId> {
    let node = match from.node(id).clone() {
        Node::Num(r) => Node::Num(r),
        Node::Sym(s) => Node::Sym(into.symbol(from.name(s))),
        Node::Add(xs) => Node::Add(import_all(from, &xs, into)?),
        Node::Mul(xs) => Node::Mul(import_all(from, &xs, into)?),
        Node::Pow(a, b) => Node::Pow(import(from, a, into)?, import(from, b, into)?),
        Node::Call(f, xs) => Node::Call(f, import_all(from, &xs, into)?),
        Node::Apply(f, xs) => {
            let f = into.symbol(from.name(f));
            Node::Apply(f, import_all(from, &xs, into)?)
        }
        _ => return None,
    };
    Some(into.add(node))
}

fn import_all(from: &Store, xs: &[ExprId], into: &mut Store) -> Option<Box<[ExprId]>> {
    xs.iter().map(|&x| import(from, x, into)).collect()
}

/// Parses and lowers `text` as a one-off expression and copies the result into `store`.
fn reparse(text: &str, store: &mut Store) -> Result<ExprId, String> {
    let parsed = syntax::parse_expr(text).map_err(|d| format!("parse: {}", d.message))?;
    let config = LowerConfig {
        declare_unknown_as_real: true,
        ..LowerConfig::default()
    };
    let (program, lowered) =
        lower::lower_standalone(&syntax::ast::File::default(), &parsed, config);
    let id = lowered.map_err(|d| format!("lower: {}", d.message))?;
    import(&program.store, id, store).ok_or_else(|| "unexpected node kind".to_string())
}

/// Whether `a` and `b` are the same expression (see the module comment).
fn same(store: &mut Store, a: ExprId, b: ExprId) -> bool {
    if a == b {
        return true;
    }
    let domains = Domains::default();
    let ca = crate::simplify::canonical(store, &domains, a).value;
    let cb = crate::simplify::canonical(store, &domains, b).value;
    let undefined =
        |e: ExprId, c: ExprId| has_undefined_power(store, e) || has_undefined_power(store, c);
    ca == cb || (undefined(a, ca) && undefined(b, cb))
}

/// Whether `e` contains a power of a literal 0 (`1/0` is `0^-1`), kept by the canonical form.
fn has_undefined_power(store: &Store, e: ExprId) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let Node::Pow(base, _) = store.node(e) {
            if store.as_num(*base).is_some_and(num_traits::Zero::is_zero) {
                return true;
            }
        }
        stack.extend(store.children(e));
    }
    false
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A small, deterministic check configuration (no budget can be reached by
/// these small claims, so timing never changes a verdict).
fn check_config(seed: u64) -> CheckConfig {
    CheckConfig {
        seed,
        points: 12,
        time_budget: Duration::from_secs(600),
        file_budget: Duration::from_secs(600),
        ..CheckConfig::default()
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn ascii_print_then_parse_is_the_same_expression(t in tree()) {
        let mut store = Store::new();
        let e = build(&mut store, &t);
        let text = store.display_ascii(e);
        let back = reparse(&text, &mut store);
        prop_assert!(back.is_ok(), "`{}` does not parse back: {:?}", text, back);
        let back = back.unwrap_or(e);
        prop_assert!(same(&mut store, e, back), "`{}` came back as `{}`", text, store.display_ascii(back));
    }

    #[test]
    fn unicode_print_then_parse_is_the_same_expression(t in tree()) {
        let mut store = Store::new();
        let e = build(&mut store, &t);
        let text = store.display(e);
        let back = reparse(&text, &mut store);
        prop_assert!(back.is_ok(), "`{}` does not parse back: {:?}", text, back);
        let back = back.unwrap_or(e);
        prop_assert!(same(&mut store, e, back), "`{}` came back as `{}`", text, store.display(back));
    }

    #[test]
    fn latex_printer_never_panics(t in tree()) {
        let mut store = Store::new();
        let e = build(&mut store, &t);
        let latex = to_latex(&store, e);
        prop_assert!(!latex.trim().is_empty());
        // derivatives are printed too (they hold FnDeriv nodes for f')
        let x = store.sym("x");
        if let Ok(d) = crate::diff::derivative(&mut store, &Domains::default(), e, x) {
            prop_assert!(!to_latex(&store, d.value).trim().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn checking_a_claim_twice_gives_the_same_verdict(
        l in tree(),
        r in tree(),
        seed in 0u64..1_000_000,
    ) {
        let mut store = Store::new();
        let (a, b) = (build(&mut store, &l), build(&mut store, &r));
        let text = format!(
            "var x, y : real\nvar f : R -> R\nclaim \"c\": {} = {}\n",
            store.display_ascii(a),
            store.display_ascii(b)
        );
        let run = || {
            let parsed = syntax::parse_file(&text);
            let config = check_config(seed);
            let mut program = lower::lower_file(&parsed.file, LowerConfig { max_nodes: config.expr_limit, ..LowerConfig::default() });
            let errors = parsed.errors.len() + program.diagnostics.len();
            (errors, super::check_program(&mut program, &config))
        };
        let ((errors, first), (_, second)) = (run(), run());
        prop_assert_eq!(errors, 0, "{}", text);
        prop_assert_eq!(first.len(), 1);
        prop_assert_eq!(first[0].seed, seed);
        prop_assert_eq!(&first[0].verdict, &second[0].verdict, "{}", text);
    }
}
