//! Lowering tests: what a file lowers to (obligations, derivative sites) or the first error it names.

use super::{lower_file, LowerConfig, Program};
use crate::syntax::parse_file;

fn lower(source: &str) -> Program {
    let parsed = parse_file(source);
    assert!(parsed.errors.is_empty(), "{source}: {:?}", parsed.errors);
    lower_file(&parsed.file, LowerConfig::default())
}

/// The first error lowering reports, or "" when there is none.
fn first_error(source: &str) -> String {
    let program = lower(source);
    let first = program.diagnostics.first();
    first.map(|d| d.message.clone()).unwrap_or_default()
}

#[test]
fn errors_name_the_mistake() {
    let cases = [
        (
            "def f(t) = t^2\nvar x : real\nclaim f = x",
            "`f` needs arguments",
        ),
        ("var x : real\nvar x : real", "`x` is declared twice"),
        (
            "var exp : real",
            "`exp` is a built-in function and cannot be a variable",
        ),
        ("var x : real\nclaim foo(x) = x", "unknown function `foo`"),
        (
            "def s(t) = s(t)\nvar x : real\nclaim s(x) = x",
            "definitions nest deeper than 64 levels (is `s` recursive?)",
        ),
        ("var x : R^3\nclaim x_i = 1", ""),
        ("var x : real\ndef h = 2*x\nclaim h = x + x", ""),
    ];
    for (source, expected) in cases {
        assert_eq!(first_error(source), expected, "{source}");
    }
}

#[test]
fn claims_and_steps_become_obligations() {
    // (source, obligations, derivative sites over all of them)
    let cases = [
        ("var x : real\nclaim x = x", 1, 0),
        ("var x : real\nclaim d/dx x^2 = 2*x", 1, 1),
        ("var x : real\nderive \"s\":\n    d/dx sigma(x)\n  = sigma(x)*(1 - sigma(x))\n  = sigma(x) - sigma(x)^2", 2, 1),
        ("var x : real\ndef h = 2*x\nclaim d/dh h^2 = 2*h", 1, 1),
        ("var W : R^(2 x 3)\nvar v : R^3\ndef ha = W v\nclaim ha_i = sum_(j=1)^3 W_(i,j) v_j", 1, 0),
    ];
    for (source, obligations, sites) in cases {
        let program = lower(source);
        assert!(
            program.diagnostics.is_empty(),
            "{source}: {:?}",
            program.diagnostics
        );
        assert_eq!(program.obligations.len(), obligations, "{source}");
        let taken: usize = program
            .obligations
            .iter()
            .map(|o| o.derivatives.len())
            .sum();
        assert_eq!(taken, sites, "{source}");
    }
}

#[test]
fn products_and_sums_hold_only_where_their_sizes_agree() {
    // (source, the size conditions of its first obligation)
    let cases: &[(&str, &[&str])] = &[
        // the inner sizes of a product, the sizes of a sum
        ("dim m, n, p\nvar W : R^(m x n)\nvar h : R^p\nvar b : R^m\nclaim W h + b = b + W h", &["n = p"]),
        ("dim n, p\nvar u : R^n\nvar v : R^p\nclaim u^T v = v^T u", &["n = p", "p = n"]),
        ("dim n, p\nvar u : R^n\nvar v : R^p\nclaim u + v = v + u", &["n = p", "p = n"]),
        ("dim m, n, p\nvar A : R^(m x n)\nvar B : R^(p x n)\nclaim (A^T B^T)_(i,j) = (B A)_(j,i)", &["m = n", "n = m"]),
        // sizes that are one name ask nothing
        ("dim m, n\nvar W : R^(m x n)\nvar h : R^n\nclaim W h = W h", &[]),
    ];
    for (source, want) in cases {
        let program = lower(source);
        assert!(
            program.diagnostics.is_empty(),
            "{source}: {:?}",
            program.diagnostics
        );
        let got: Vec<String> = program.obligations[0]
            .conditions
            .iter()
            .map(|&c| program.store.display(c).to_string().replace("==", "="))
            .collect();
        assert_eq!(got, *want, "{source}");
    }
}
