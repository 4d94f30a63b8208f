//! The examples of `docs/latex.md`'s section "Backprop notation, example by
//! example" read as documented: each ```` ```markdown ```` block there is run
//! through `nabla check --as markdown`, and its verdicts, step by step, must be
//! the ones the line after it lists (`Verdicts: `proved` `refuted` ...`).

use crate::util::{repo_root, Dir};
use serde_json::Value as Json;

const SECTION: &str = "## Backprop notation, example by example";

/// Each example's text and the verdicts the documentation gives it.
fn examples(doc: &str) -> Vec<(String, Vec<String>)> {
    let start = doc.find(SECTION).expect("the examples section exists");
    let section = &doc[start..];
    let end = section[SECTION.len()..]
        .find("\n## ")
        .map_or(section.len(), |k| k + SECTION.len());
    let mut lines = section[..end].lines();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line.trim() != "```markdown" {
            continue;
        }
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        let verdicts = lines
            .next()
            .and_then(|l| l.strip_prefix("Verdicts:"))
            .expect("a `Verdicts:` line after each example");
        let words = verdicts
            .split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect();
        out.push((body.join("\n") + "\n", words));
    }
    out
}

#[test]
fn every_notation_example_reads_as_documented() {
    let doc = std::fs::read_to_string(repo_root().join("docs/latex.md")).unwrap();
    let examples = examples(&doc);
    assert!(examples.len() >= 10, "only {} examples", examples.len());
    let dir = Dir::new();
    let mut failures = Vec::new();
    for (k, (text, want)) in examples.iter().enumerate() {
        let name = format!("example{k}.md");
        dir.create(&name, text);
        let output = dir
            .command(&[
                "check",
                "--as",
                "markdown",
                "--allow-empty",
                "--format",
                "json",
                &name,
            ])
            .output()
            .expect("run nabla");
        let json: Json = serde_json::from_slice(&output.stdout).expect("JSON");
        let got: Vec<String> = json["files"][0]["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r["verdict"].as_str().unwrap_or("?").to_string())
            .collect();
        if &got != want {
            failures.push(format!(
                "example {k}:\n{text}  documented: {want:?}\n  got:        {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_examples_are_found_with_their_verdicts() {
    let doc = format!(
        "{SECTION}\n\ntext\n\n```markdown\n$$x = x$$\n```\nVerdicts: `proved` (mistake) `refuted`\n\n## Next\n\n```markdown\nnot this\n```\nVerdicts: `unknown`\n"
    );
    let found = examples(&doc);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "$$x = x$$\n");
    assert_eq!(found[0].1, ["proved", "refuted"]);
}
