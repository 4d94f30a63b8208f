//! Golden verdict tests: small files that produce every verdict (proved,
//! checked, refuted, unknown), run through the real `nabla` executable, with the
//! whole text output and every JSON result compared exactly. Also: no claim of
//! `derivations/` that is not expected refuted is ever refuted, whatever the seed.

use crate::util::{repo_root, Dir};
use serde_json::{json, Value as Json};

/// One claim for each verdict, and an expected refutation.
const VERDICTS: &str = "\
# one claim for each verdict
var x : real

claim \"square\": (x + 1)^2 = x^2 + 2*x + 1
claim \"close\": σ(x) ≈ 1/(1 + exp(-x)) within 0.001
claim \"wrong square\": (x + 1)^2 = x^2 + 1
claim \"nowhere defined\": ln(-1 - x^2) = x
expect refuted: claim \"softplus is not ln exp\": softplus(x) = ln(exp(x))
";

/// Derivation steps, a condition no sample point meets.
const STEPS: &str = "\
var x : real

derive \"difference of squares\":
    (x + 1)*(x - 1)
  = x^2 - 1
  expect refuted
  = x^2 + 1
claim \"double\": x + x = 2*x
claim \"no point qualifies\": x = x + 1 where x > 1 and x < 0
";

/// One refuted claim for each kind of counterexample side.
const EXACTNESS: &str = "\
var x : real
claim \"exact\": (x + 1)^2 = x^2 + 1
claim \"an enclosure\": exp(x) = 1 + x
claim \"saturated\": σ(x) = 1 where x == 40
claim \"lengths\": [x, 1] = [x, 1, 2]
claim \"a kink\": d/dx relu(x) = H(x)
";

fn run(name: &str, contents: &str, format: &str) -> crate::util::Run {
    let dir = Dir::new();
    dir.create(name, contents);
    dir.run(&["check", "--format", format, name])
}

fn json_of(run: &crate::util::Run) -> Json {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.all()))
}

/// Compares each result object whole, then everything else in the document.
fn assert_json(document: &Json, file: &str, results: &[Json], summary: Json) {
    let actual = document["files"][0]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results array in {document:#}"));
    assert_eq!(actual.len(), results.len(), "{document:#}");
    for (k, (got, want)) in actual.iter().zip(results).enumerate() {
        assert_eq!(got, want, "result {k}:\n{got:#}\nexpected:\n{want:#}");
    }
    let expected = json!({
        "version": 1,
        "files": [{ "file": file, "diagnostics": [], "results": results }],
        "summary": summary,
    });
    assert_eq!(document, &expected, "{document:#}");
}

#[test]
fn every_verdict_in_text() {
    let run = run("verdicts.nabla", VERDICTS, "text");
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.stderr, "");
    let expected = "\
verdicts.nabla
  ✓ proved      4:1   claim \"square\": (x + 1)^2 = x^2 + 2*x + 1
  ✓ checked     5:1   claim \"close\": σ(x) ≈ 1/(1 + exp(-x))
      explored: 40 points; magnitudes 10^-6..10^6
  ✗ refuted     6:1   claim \"wrong square\": (x + 1)^2 = x^2 + 1
error: claim \"wrong square\" is refuted
  ┌─ verdicts.nabla:6:1
  │
6 │ claim \"wrong square\": (x + 1)^2 = x^2 + 1
  │ ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  │
  = at x = 1: left = 4, right = 2; seed 1

  ✗ unknown     7:1   claim \"nowhere defined\": ln(-1 - x^2) = x
error: claim \"nowhere defined\" could not be decided
  ┌─ verdicts.nabla:7:1
  │
7 │ claim \"nowhere defined\": ln(-1 - x^2) = x
  │ ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  │
  = only 0 of 200 sample points could be evaluated (need 8): the sides are undefined or too imprecise at the others

  ✓ refuted     8:1   claim \"softplus is not ln exp\" (expected): softplus(x) = ln(exp(x))
      counterexample at x = 0: left = 0.69314718056, right = 0

summary: 1 proved, 1 checked, 2 refuted, 1 unknown; 3 as expected, 2 failed; 0 input errors in 1 file
";
    assert_eq!(run.stdout, expected);
}

#[test]
fn every_verdict_in_json() {
    let run = run("verdicts.nabla", VERDICTS, "json");
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.stderr, "");
    let results = [
        json!({
            "line": 4, "column": 1, "kind": "claim", "name": "square", "step": null,
            "text": "(x + 1)^2 = x^2 + 2*x + 1",
            "verdict": "proved", "expected": null, "passed": true, "seed": 1,
            "trace": [
                "proved: both sides equal 1 + 2·x + x^2",
                "  left [sum] x + 1 ⟶ 1 + x",
                "  left [rational_form] (1 + x)^2 ⟶ 1 + 2·x + x^2",
                "  right [sum] x^2 + 2·x ⟶ 2·x + x^2",
                "  right [sum] (2·x + x^2) + 1 ⟶ 1 + 2·x + x^2"
            ],
        }),
        json!({
            "line": 5, "column": 1, "kind": "claim", "name": "close", "step": null,
            "text": "σ(x) ≈ 1/(1 + exp(-x))",
            "verdict": "checked", "expected": null, "passed": true, "seed": 1,
            // exp(-x) overflows f64 at some wide points x = -m·10^e: skipped, not refuted
            "points": 40, "skipped": 4,
            "explored": {
                "summary": "40 points; magnitudes 10^-6..10^6", "magnitudes": [-6, 6], "sizes": null,
                "boundaries": 0, "functions": [],
            },
        }),
        json!({
            "line": 6, "column": 1, "kind": "claim", "name": "wrong square", "step": null,
            "text": "(x + 1)^2 = x^2 + 1",
            "verdict": "refuted", "expected": null, "passed": false, "seed": 1,
            "counterexample": {
                "assignment": [{ "name": "x", "value": "1" }],
                "lhs": "4", "rhs": "2", "lhs_exact": true, "rhs_exact": true, "note": null,
            },
        }),
        json!({
            "line": 7, "column": 1, "kind": "claim", "name": "nowhere defined", "step": null,
            "text": "ln(-1 - x^2) = x",
            "verdict": "unknown", "expected": null, "passed": false, "seed": 1,
            "reason": "only 0 of 200 sample points could be evaluated (need 8): \
                       the sides are undefined or too imprecise at the others",
        }),
        json!({
            "line": 8, "column": 1, "kind": "claim", "name": "softplus is not ln exp",
            "step": null, "text": "softplus(x) = ln(exp(x))",
            "verdict": "refuted", "expected": "refuted", "passed": true, "seed": 1,
            "counterexample": {
                "assignment": [{ "name": "x", "value": "0" }],
                "lhs": "0.69314718056", "rhs": "0", "lhs_exact": false, "rhs_exact": true,
                "note": null,
            },
        }),
    ];
    let summary = json!({
        "files": 1, "proved": 1, "checked": 1, "refuted": 2, "unknown": 1,
        "passed": 3, "failed": 2, "errors": 0,
    });
    assert_json(&json_of(&run), "verdicts.nabla", &results, summary);
}

/// Each side of a counterexample says what it is: an exact rational (true),
/// an enclosure's midpoint (false, even when it prints as a whole number), or
/// no number at all (null).
#[test]
fn counterexample_sides_say_whether_they_are_exact() {
    let run = run("exactness.nabla", EXACTNESS, "json");
    assert_eq!(run.code, 1, "{}", run.all());
    let document = json_of(&run);
    let sides: Vec<(String, Json, String, Json)> = document["files"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let c = &r["counterexample"];
            let text = |k: &str| c[k].as_str().unwrap_or_else(|| panic!("{r:#}")).to_string();
            (
                text("lhs"),
                c["lhs_exact"].clone(),
                text("rhs"),
                c["rhs_exact"].clone(),
            )
        })
        .collect();
    let expected = [
        ("4", json!(true), "2", json!(true)),
        ("2.71828182846", json!(false), "2", json!(true)),
        ("1", json!(false), "1", json!(true)),
        ("2 entries", Json::Null, "3 entries", Json::Null),
        ("no derivative", Json::Null, "1/2", json!(true)),
    ];
    assert_eq!(sides.len(), expected.len(), "{document:#}");
    for (got, (l, le, r, re)) in sides.iter().zip(expected) {
        assert_eq!(got, &(l.to_string(), le, r.to_string(), re));
    }
}

#[test]
fn steps_and_unmet_conditions_in_text() {
    let run = run("steps.nabla", STEPS, "text");
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.stderr, "");
    let expected = "\
steps.nabla
  ✓ proved      5:5   step 1 of \"difference of squares\": = x^2 - 1
  ✓ refuted     7:5   step 2 of \"difference of squares\" (expected): = x^2 + 1
      counterexample at x = 0: left = -1, right = 1
  ✓ proved      8:1   claim \"double\": x + x = 2*x
  ✗ unknown     9:1   claim \"no point qualifies\": x = x + 1 where x > 1 and x < 0
error: claim \"no point qualifies\" could not be decided
  ┌─ steps.nabla:9:1
  │
9 │ claim \"no point qualifies\": x = x + 1 where x > 1 and x < 0
  │ ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  │
  = only 0 of 200 sample points could be evaluated (need 8): the others do not meet the conditions


summary: 2 proved, 0 checked, 1 refuted, 1 unknown; 3 as expected, 1 failed; 0 input errors in 1 file
";
    assert_eq!(run.stdout, expected);
}

#[test]
fn steps_and_unmet_conditions_in_json() {
    let run = run("steps.nabla", STEPS, "json");
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(run.stderr, "");
    let results = [
        json!({
            "line": 5, "column": 5, "kind": "step", "name": "difference of squares", "step": 1,
            "text": "= x^2 - 1",
            "verdict": "proved", "expected": null, "passed": true, "seed": 1,
            "trace": [
                "proved: both sides equal −1 + x^2",
                "  left [sum] x − 1 ⟶ −1 + x",
                "  left [sum] x + 1 ⟶ 1 + x",
                "  left [product] (1 + x)·(−1 + x) ⟶ (−1 + x)·(1 + x)",
                "  left [rational_form] (−1 + x)·(1 + x) ⟶ −1 + x^2",
                "  right [sum] x^2 − 1 ⟶ −1 + x^2"
            ],
        }),
        json!({
            "line": 7, "column": 5, "kind": "step", "name": "difference of squares", "step": 2,
            "text": "= x^2 + 1",
            "verdict": "refuted", "expected": "refuted", "passed": true, "seed": 1,
            "counterexample": {
                "assignment": [{ "name": "x", "value": "0" }],
                "lhs": "-1", "rhs": "1", "lhs_exact": true, "rhs_exact": true, "note": null,
            },
        }),
        json!({
            "line": 8, "column": 1, "kind": "claim", "name": "double", "step": null,
            "text": "x + x = 2*x",
            "verdict": "proved", "expected": null, "passed": true, "seed": 1,
            "trace": [
                "proved: both sides equal 2·x",
                "  left [sum] x + x ⟶ 2·x",
                "  right side: already in normal form"
            ],
        }),
        json!({
            "line": 9, "column": 1, "kind": "claim", "name": "no point qualifies", "step": null,
            "text": "x = x + 1 where x > 1 and x < 0",
            "verdict": "unknown", "expected": null, "passed": false, "seed": 1,
            "reason": "only 0 of 200 sample points could be evaluated (need 8): \
                       the others do not meet the conditions",
        }),
    ];
    let summary = json!({
        "files": 1, "proved": 2, "checked": 0, "refuted": 1, "unknown": 1,
        "passed": 3, "failed": 1, "errors": 0,
    });
    assert_json(&json_of(&run), "steps.nabla", &results, summary);
}

#[test]
fn a_seed_changes_only_the_seed_field_of_exact_verdicts() {
    let dir = Dir::new();
    dir.create("verdicts.nabla", VERDICTS);
    let run = dir.run(&["check", "--format", "json", "--seed", "7", "verdicts.nabla"]);
    let document = json_of(&run);
    let results = document["files"][0]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{document:#}"));
    let seeds: Vec<&Json> = results.iter().map(|r| &r["seed"]).collect();
    assert_eq!(seeds, vec![&json!(7); 5]);
    let verdicts: Vec<&str> = results
        .iter()
        .map(|r| r["verdict"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        verdicts,
        ["proved", "checked", "refuted", "unknown", "refuted"]
    );
    // the simple points come first whatever the seed, so the shrunk
    // counterexample is the same
    assert_eq!(
        results[2]["counterexample"]["assignment"],
        json!([{ "name": "x", "value": "1" }])
    );
}

/// Every result of `derivations/` under `seed`, as JSON objects.
fn corpus_results(seed: u64) -> Vec<Json> {
    let dir = Dir::new();
    let corpus = repo_root().join("derivations");
    let corpus = corpus.to_string_lossy();
    let seed_text = seed.to_string();
    let run = dir.run(&["check", "--format", "json", "--seed", &seed_text, &corpus]);
    assert_eq!(run.code, 0, "seed {seed}:\n{}", run.all());
    let document = json_of(&run);
    document["files"]
        .as_array()
        .unwrap_or_else(|| panic!("{document:#}"))
        .iter()
        .flat_map(|f| {
            let file = f["file"].clone();
            f["results"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |mut r| {
                    r["file"] = file.clone();
                    r
                })
        })
        .collect()
}

#[test]
fn no_true_claim_of_the_corpus_is_refuted_under_any_seed() {
    let mut counts = Vec::new();
    for seed in [2, 3, 0x5eed_cafe] {
        let results = corpus_results(seed);
        assert!(
            results.len() >= 40,
            "seed {seed}: {} results",
            results.len()
        );
        for r in &results {
            let place = format!("{}:{} (seed {seed})", r["file"], r["line"]);
            assert_eq!(r["seed"], json!(seed), "{place}");
            let expected_refuted = r["expected"] == json!("refuted");
            let refuted = r["verdict"] == json!("refuted");
            // a true identity is never refuted; a known mistake always is
            assert_eq!(refuted, expected_refuted, "{place}: {r:#}");
            assert_eq!(r["passed"], json!(true), "{place}: {r:#}");
        }
        counts.push(results.len());
    }
    // the same obligations under every seed
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
}

/// Checked claims say what their points covered; a sliver of falsehood between
/// two roots is found by the boundary points.
const EXPLORED: &str = "\
var x : real
var f : R -> R
dim n
var v : R^n
claim \"sliver\": ind(x*x + x/3 < 0) = 0
claim \"parabola\": ind(x*x + x/3 >= -1/36) = 1
claim \"sizes\": sum_(i=1)^n v_i * ind(i <= 8) = sum_(i=1)^n v_i
claim \"functions\": ind(f(x)^2 + 1 >= 2*f(x)) = 1
";

#[test]
fn checked_says_what_it_explored() {
    let text = run("explored.nabla", EXPLORED, "text");
    assert_eq!(text.code, 1, "{}", text.all());
    let expected = "\
explored.nabla
  ✗ refuted     5:1   claim \"sliver\": ind(x*x + x/3 < 0) = 0
error: claim \"sliver\" is refuted
  ┌─ explored.nabla:5:1
  │
5 │ claim \"sliver\": ind(x*x + x/3 < 0) = 0
  │ ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  │
  = at x = -1/6: left = 1, right = 0; seed 1

  ✓ checked     6:1   claim \"parabola\": ind(x*x + x/3 >= -1/36) = 1
      explored: 40 points; magnitudes 10^-6..10^6; 1 condition boundary
  ✓ checked     7:1   claim \"sizes\": sum_(i=1)^n v_i * ind(i <= 8) = sum_(i=1)^n v_i
      explored: 40 points; magnitudes 10^-1..10^2; sizes 1..8
  ✓ checked     8:1   claim \"functions\": ind(f(x)^2 + 1 >= 2*f(x)) = 1
      explored: 40 points; magnitudes 10^-6..10^6; functions smooth, polynomial, oscillating, steep

summary: 0 proved, 3 checked, 1 refuted, 0 unknown; 3 as expected, 1 failed; 0 input errors in 1 file
";
    assert_eq!(text.stdout, expected);
    let document = json_of(&run("explored.nabla", EXPLORED, "json"));
    let explored: Vec<&Json> = document["files"][0]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{document:#}"))
        .iter()
        .map(|r| &r["explored"])
        .collect();
    assert_eq!(
        explored,
        [
            &Json::Null,
            &json!({
                "summary": "40 points; magnitudes 10^-6..10^6; 1 condition boundary",
                "magnitudes": [-6, 6], "sizes": null, "boundaries": 1, "functions": [],
            }),
            &json!({
                "summary": "40 points; magnitudes 10^-1..10^2; sizes 1..8",
                "magnitudes": [-1, 2], "sizes": [1, 8], "boundaries": 0, "functions": [],
            }),
            &json!({
                "summary": "40 points; magnitudes 10^-6..10^6; \
                            functions smooth, polynomial, oscillating, steep",
                "magnitudes": [-6, 6], "sizes": null, "boundaries": 0,
                "functions": ["smooth", "polynomial", "oscillating", "steep"],
            }),
        ]
    );
}

#[test]
fn a_counterexample_is_never_moved_to_a_kink() {
    // (claim, a point the shown counterexample must not be): the sides differ
    // at x = -1; at x = 0 neither derivative exists, so it is no counterexample
    let cases = [
        ("d/dx relu(x) = d/dx abs(x)", "0"),
        ("d/dx abs(x) = 2 * d/dx relu(x)", "0"),
        ("d/dx floor(x) = 1", "1"),
    ];
    for (claim, kink) in cases {
        let run = run(
            "kink.nabla",
            &format!("var x : real\nclaim {claim}\n"),
            "json",
        );
        let json = json_of(&run);
        let result = &json["files"][0]["results"][0];
        assert_eq!(result["verdict"], "refuted", "{claim}: {result}");
        let at = &result["counterexample"]["assignment"][0]["value"];
        assert_ne!(at, kink, "{claim}: {result}");
    }
}
