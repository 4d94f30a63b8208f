//! The pictures of the corpus: every refuted claim of `derivations/` between
//! vectors or matrices shows both sides entry by entry; every refuted scalar
//! step has its plot, its two values side by side (no variable), or a reason.

use super::{picture, Picture};
use crate::check::{self, CheckConfig, Verdict};
use crate::expr::Node;
use crate::lower::{self, LowerConfig, Program};
use crate::syntax;
use std::path::{Path, PathBuf};

fn nabla_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("derivations/")
        .map(|e| e.expect("a folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            nabla_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "nabla") {
            out.push(path);
        }
    }
}

/// Each file of the corpus lowered and checked, with its verdicts.
fn corpus() -> Vec<(String, Program, Vec<check::Outcome>)> {
    let mut files = Vec::new();
    nabla_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("derivations"),
        &mut files,
    );
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a corpus file");
            let parsed = syntax::parse_file(&text);
            let mut program = lower::lower_file(&parsed.file, LowerConfig::default());
            let outcomes = check::check_program(&mut program, &CheckConfig::default());
            (path.display().to_string(), program, outcomes)
        })
        .collect()
}

#[test]
fn every_refuted_vector_claim_of_the_corpus_has_its_entry_table() {
    let mut tables = 0;
    for (path, program, outcomes) in corpus() {
        for (ob, outcome) in program.obligations.iter().zip(&outcomes) {
            let Verdict::Refuted { counterexample } = &outcome.verdict else {
                continue;
            };
            let written = |e| matches!(program.store.node(e), Node::Vector(_));
            let tensor = (ob.sizes.is_some() && !ob.label) || written(ob.lhs) || written(ob.rhs);
            if !tensor {
                continue;
            }
            let at = format!("{path}: {:?} {:?}", ob.name, ob.origin);
            let Picture::Entries(t) = picture(&program, ob, counterexample) else {
                panic!("{at}: no entry table");
            };
            tables += 1;
            let cells = |g: &super::Grid| g.cells.iter().flatten().cloned().collect::<Vec<_>>();
            let (left, right) = (cells(&t.left), cells(&t.right));
            assert!(
                left.iter().chain(&right).all(|(v, _)| v != "undefined"),
                "{at}: {t:?}"
            );
            if t.same_shape {
                // the entry the counterexample names is among those marked
                assert!(left.iter().any(|(_, d)| *d), "{at}: nothing marked: {t:?}");
                assert_eq!(
                    left.iter().map(|(_, d)| d).collect::<Vec<_>>(),
                    right.iter().map(|(_, d)| d).collect::<Vec<_>>(),
                    "{at}"
                );
            } else {
                assert_ne!(t.left.shape, t.right.shape, "{at}");
                assert!(left.iter().chain(&right).all(|(_, d)| !d), "{at}");
            }
        }
    }
    // the corpus's vector and matrix slips (37 when this test was written)
    assert!(tables >= 37, "{tables} entry tables");
}

/// Every refuted scalar step of the corpus: a plot with the counterexample on
/// it, or (no variable) both values side by side; one that has neither must say
/// why, and only the reasons listed here are accepted.
#[test]
fn every_refuted_scalar_step_of_the_corpus_has_a_plot_or_a_reason() {
    let (mut plots, mut integer_plots, mut matrix_plots, mut values) = (0, 0, 0, 0);
    for (path, program, outcomes) in corpus() {
        for (ob, outcome) in program.obligations.iter().zip(&outcomes) {
            let Verdict::Refuted { counterexample } = &outcome.verdict else {
                continue;
            };
            let written = |e| matches!(program.store.node(e), Node::Vector(_));
            if ob.sizes.is_some() || written(ob.lhs) || written(ob.rhs) {
                continue;
            }
            let at = format!("{path}: {:?} {:?}", ob.name, ob.origin);
            match picture(&program, ob, counterexample) {
                Picture::Plot(p) => {
                    plots += 1;
                    integer_plots += usize::from(p.integer);
                    matrix_plots += usize::from(p.variable.contains(','));
                    // the counterexample is on the plot, both sides there, and
                    // the sides differ somewhere along it
                    assert!(p.at_label.starts_with(&p.variable), "{at}: {p:?}");
                    assert!(p.samples.iter().any(|s| s.differ), "{at}: {p:?}");
                    let near = |x: f64| (x - p.at).abs() <= 1e-9 * (1.0 + p.at.abs());
                    assert!(p.samples.iter().any(|s| near(s.x)) || !p.integer, "{at}");
                    if p.integer {
                        assert!(p.samples.iter().all(|s| s.x.fract() == 0.0), "{at}: {p:?}");
                    }
                }
                Picture::Values(v) => {
                    values += 1;
                    // no variable at all: the values are the counterexample's
                    assert!(counterexample.assignment.is_empty(), "{at}");
                    assert_eq!(v.exactness, counterexample.exactness, "{at}");
                }
                Picture::Unplotted(why) => panic!("{at}: no plot: {why}"),
                Picture::Entries(t) => panic!("{at}: a scalar step with an entry table: {t:?}"),
            }
        }
    }
    // when this test was written: 71 plots, of them 4 at whole numbers (the
    // recurrent and attention parameter counts) and 3 along a matrix entry
    // (attention, the MLP's backward pass), and 15 steps without variables
    assert!(plots >= 71, "{plots} plots");
    assert!(integer_plots >= 4, "{integer_plots} plots at whole numbers");
    assert!(
        matrix_plots >= 3,
        "{matrix_plots} plots along a matrix entry"
    );
    assert!(values >= 15, "{values} steps shown as two values");
}

/// The reasons a step shows no plot, one per kind of step.
#[test]
fn steps_without_a_plot_say_why() {
    let cases = [
        ("claim 1/3 = 1/2", "values"),
        ("claim σ(40) = 1", "values"),
        ("var x : real\nclaim exp(1) = 3 + 0*x", "plot"),
        (
            "dim n\nvar v : R^n\nclaim sum_i v_i = 2*sum_i v_i + n",
            "plot",
        ),
        ("dim n\nclaim 3*n^2 + 3*n = 3*n^2", "plot n"),
        ("var f : R -> R\nclaim f(0) = f(0) + 1", "no variable moves"),
    ];
    for (text, want) in cases {
        let parsed = syntax::parse_file(text);
        let mut program = lower::lower_file(&parsed.file, LowerConfig::default());
        let outcomes = check::check_program(&mut program, &CheckConfig::default());
        let Verdict::Refuted { counterexample } = &outcomes[0].verdict else {
            panic!("{text}: {:?}", outcomes[0].verdict);
        };
        let got = match picture(&program, &program.obligations[0], counterexample) {
            Picture::Plot(p) if p.integer => format!("plot {}", p.variable),
            Picture::Plot(_) => "plot".to_string(),
            Picture::Values(_) => "values".to_string(),
            Picture::Unplotted(why) if why.contains("no variable of the step moves") => {
                "no variable moves".to_string()
            }
            other => format!("{other:?}"),
        };
        assert_eq!(got, want, "{text}");
    }
}
