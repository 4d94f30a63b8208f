//! The document corpus: Markdown, notebooks, LaTeX and plain-text derivations
//! written for these tests, each with the verdict of every step it holds.
//!
//! Format: beside each document `tests/documents/NAME.EXT` stands
//! `tests/documents/NAME.expect`, one line per judged step in report order,
//! `LOCATION VERDICT`, where LOCATION is the step's line (`12`), or `cell N:LINE`
//! in a notebook. Optional lines: `exit N` (the exit code, default 0 if every
//! verdict is proved or checked, else 1), `args ARG...` (extra arguments, e.g.
//! `args --defs NAME.defs.nabla`), `context LINE TEXT` (a step at LINE shows TEXT
//! in its context or its reason: the condition, convention or assumption it was
//! read under). A step line may end with `mistake`: the author planted that
//! mistake, so it may be `refuted` (or `unknown`, a gap) and never `proved` or
//! `checked`. `#` starts a comment. The test fails on any difference, so a false
//! refutation, a lost step or a new skip all show.

use crate::util::repo_root;
use serde_json::Value as Json;
use std::path::PathBuf;

struct Expect {
    steps: Vec<String>,
    /// The steps (as in `steps`) the author marked as planted mistakes.
    mistakes: Vec<String>,
    /// (line, text): a step at that line shows the text in its context or reason.
    contexts: Vec<(u64, String)>,
    exit: Option<i32>,
    args: Vec<String>,
}

fn parse_expect(text: &str) -> Expect {
    let mut expect = Expect {
        steps: Vec::new(),
        mistakes: Vec::new(),
        contexts: Vec::new(),
        exit: None,
        args: Vec::new(),
    };
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("context ") {
            let (at, shown) = rest.split_once(' ').expect("context LINE TEXT");
            let at = at.parse().expect("context LINE TEXT");
            expect.contexts.push((at, shown.trim().to_string()));
            continue;
        }
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(code) = line.strip_prefix("exit ") {
            expect.exit = Some(code.trim().parse().expect("exit N"));
        } else if let Some(args) = line.strip_prefix("args ") {
            expect.args = args.split_whitespace().map(String::from).collect();
        } else {
            let mut words: Vec<&str> = line.split_whitespace().collect();
            let planted = words.last() == Some(&"mistake");
            if planted {
                words.pop();
            }
            let step = words.join(" ");
            if planted {
                expect.mistakes.push(step.clone());
            }
            expect.steps.push(step);
        }
    }
    expect
}

fn location(result: &Json) -> String {
    let line = result["line"].as_u64().unwrap_or(0);
    match result.get("cell").and_then(Json::as_u64) {
        Some(cell) => format!("cell {cell}:{line}"),
        None => line.to_string(),
    }
}

fn documents() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/documents");
    let mut docs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/documents exists")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            p.with_extension("expect").exists()
                && !name.ends_with(".expect")
                && !name.ends_with(".defs.nabla")
        })
        .collect();
    docs.sort();
    docs
}

#[test]
fn every_document_step_gets_its_verdict() {
    let root = repo_root().join("tests/documents");
    let mut failures = Vec::new();
    let (mut judged, mut refuted) = (0, 0);
    let docs = documents();
    for doc in &docs {
        let name = doc.file_name().unwrap().to_string_lossy().into_owned();
        let expect_text = std::fs::read_to_string(doc.with_extension("expect")).unwrap();
        let expect = parse_expect(&expect_text);
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_nabla"))
            .args(["check", "--format", "json", &name])
            .args(&expect.args)
            .current_dir(&root)
            .env("NO_COLOR", "1")
            .output()
            .expect("run nabla");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let json: Json = match serde_json::from_str(&stdout) {
            Ok(json) => json,
            Err(e) => {
                failures.push(format!("{name}: not JSON ({e}): {stdout}"));
                continue;
            }
        };
        let results = json["files"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let got: Vec<String> = results
            .iter()
            .map(|r| format!("{} {}", location(r), r["verdict"].as_str().unwrap_or("?")))
            .collect();
        for (at, shown) in &expect.contexts {
            let found = results.iter().any(|r| {
                r["line"].as_u64() == Some(*at)
                    && (r["context"].as_array().is_some_and(|c| {
                        c.iter()
                            .any(|c| c.as_str().is_some_and(|c| c.contains(shown.as_str())))
                    }) || r["reason"]
                        .as_str()
                        .is_some_and(|c| c.contains(shown.as_str())))
            });
            if !found {
                failures.push(format!("{name}: no step at line {at} shows `{shown}`"));
            }
        }
        judged += got.len();
        refuted += got.iter().filter(|s| s.ends_with(" refuted")).count();
        if got != expect.steps {
            failures.push(format!(
                "{name}: steps differ\n  expected: {:?}\n  got:      {:?}",
                expect.steps, got
            ));
        }
        let all_hold = got
            .iter()
            .all(|s| s.ends_with(" proved") || s.ends_with(" checked"));
        let want_exit = expect.exit.unwrap_or(if all_hold { 0 } else { 1 });
        let code = output.status.code().unwrap_or(-1);
        if code != want_exit {
            failures.push(format!("{name}: exit {code}, expected {want_exit}"));
        }
    }
    eprintln!(
        "document corpus: {} documents, {judged} steps judged, {refuted} refuted",
        docs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The documents of vectors, matrices and indices (`tensor_*`, `index_*`): at
/// least 14 of them, and none expects a refutation of a step its author wrote as
/// correct. Each expected `refuted` is a planted mistake, marked `mistake` on its
/// line (or, in the older files, vouched for by the header's "refuted rows are the
/// deliberate mistakes"); a document that marks its mistakes marks every one; a
/// planted mistake is never expected `proved` or `checked`.
#[test]
fn tensor_documents_refute_only_planted_mistakes() {
    let tensor_docs: Vec<PathBuf> = documents()
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("tensor_") || name.starts_with("index_")
        })
        .collect();
    assert!(
        tensor_docs.len() >= 14,
        "only {} tensor/index documents",
        tensor_docs.len()
    );
    let mut problems = Vec::new();
    let mut planted = 0;
    for doc in &tensor_docs {
        let name = doc.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(doc.with_extension("expect")).unwrap();
        let expect = parse_expect(&text);
        let vouched = expect.mistakes.is_empty()
            && text
                .lines()
                .next()
                .is_some_and(|l| l.contains("refuted rows are the deliberate mistakes"));
        for step in &expect.steps {
            let marked = expect.mistakes.contains(step);
            if step.ends_with(" refuted") && !marked && !vouched {
                problems.push(format!(
                    "{name}: `{step}` is not marked as a planted mistake"
                ));
            }
        }
        for step in &expect.mistakes {
            planted += 1;
            if !(step.ends_with(" refuted") || step.ends_with(" unknown")) {
                problems.push(format!(
                    "{name}: the planted mistake `{step}` is expected to hold"
                ));
            }
        }
    }
    eprintln!(
        "tensor/index documents: {}, {planted} planted mistakes marked",
        tensor_docs.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_planted_mistake_is_read_from_its_line() {
    let expect =
        parse_expect("# header\n12 refuted mistake\n13 proved\ncell 2:4 unknown mistake # gap\n");
    assert_eq!(
        expect.steps,
        ["12 refuted", "13 proved", "cell 2:4 unknown"]
    );
    assert_eq!(expect.mistakes, ["12 refuted", "cell 2:4 unknown"]);
}
