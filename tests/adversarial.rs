//! The adversarial corpus: claims written to trip a checker (kinks, jumps,
//! limits, tiny and huge values, ties, sampling blind spots), each with the
//! verdict it must get. Any other verdict fails, so a false proved, a false
//! refuted and a false checked all fail here.
//!
//! Format (`tests/adversarial/*.nabla`): the line that a result is reported at
//! (a claim's line, or a derive step's line) ends with `# => VERDICT`, or
//! `# => A|B` where either verdict is right (say, `proved|checked` for a true
//! claim nabla may or may not prove). Every result needs one, and every
//! expectation must be met by a result. Each file runs under several seeds.

use crate::util::{repo_root, Dir};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::PathBuf;

const SEEDS: [&str; 3] = ["1", "7", "20261201"];

/// `line → allowed verdicts` from the `# => …` comments of one file.
fn expectations(text: &str) -> BTreeMap<u64, Vec<String>> {
    let mut out = BTreeMap::new();
    for (k, line) in text.lines().enumerate() {
        if let Some((_, tail)) = line.rsplit_once("# =>") {
            let allowed = tail.split('|').map(|v| v.trim().to_string()).collect();
            out.insert(k as u64 + 1, allowed);
        }
    }
    out
}

fn corpus() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/adversarial");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/adversarial exists")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "nabla"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_adversarial_claim_gets_its_verdict() {
    let dir = Dir::new();
    let mut failures = Vec::new();
    let mut total = 0;
    for path in corpus() {
        let text = std::fs::read_to_string(&path).expect("read a corpus file");
        let expected = expectations(&text);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        dir.create(&name, &text);
        for seed in SEEDS {
            let run = dir.run(&["check", "--format", "json", "--seed", seed, &name]);
            let json: Json = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("{name}: not JSON ({e}):\n{}", run.all()));
            let file = &json["files"][0];
            if let Some(d) = file["diagnostics"].as_array().filter(|d| !d.is_empty()) {
                failures.push(format!("{name}: diagnostics {d:?}"));
            }
            let results = file["results"].as_array().cloned().unwrap_or_default();
            let mut met = BTreeMap::new();
            for r in &results {
                let line = r["line"].as_u64().unwrap_or(0);
                let verdict = r["verdict"].as_str().unwrap_or("?").to_string();
                match expected.get(&line) {
                    None => failures.push(format!(
                        "{name}:{line}: {verdict} but no `# =>` expectation on that line"
                    )),
                    Some(allowed) if !allowed.contains(&verdict) => failures.push(format!(
                        "{name}:{line} (seed {seed}): {verdict}, expected {} — {}",
                        allowed.join("|"),
                        r.get("reason")
                            .or(r.get("counterexample"))
                            .unwrap_or(&Json::Null)
                    )),
                    Some(_) => {}
                }
                met.insert(line, ());
            }
            for line in expected.keys().filter(|l| !met.contains_key(l)) {
                failures.push(format!("{name}:{line}: an expectation with no result"));
            }
            if seed == SEEDS[0] {
                total += results.len();
                eprintln!("{name}: {} claims", results.len());
            }
        }
    }
    eprintln!("adversarial corpus: {total} claims");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
