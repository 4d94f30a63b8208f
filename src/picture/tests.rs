//! The pictures of the corpus: every refuted claim of `derivations/` between
//! vectors or matrices shows both sides entry by entry.

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
            let Some(Picture::Entries(t)) = picture(&program, ob, counterexample) else {
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
