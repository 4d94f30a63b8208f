//! Integration tests: the real `nabla` executable, run in a temporary folder,
//! judged by its exit code and output.

use crate::util::{repo_root, Dir};

const HEADER: &str = "var x, y : real\n";

fn check_one(contents: &str) -> crate::util::Run {
    let dir = Dir::new();
    dir.create("t.nabla", contents);
    dir.run(&["check", "t.nabla"])
}

// ----- verdicts and exit codes -----

#[test]
fn true_claim_passes_with_exit_0() {
    let run = check_one(&format!(
        "{HEADER}claim \"square\": (x + 1)^2 = x^2 + 2*x + 1\n"
    ));
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("claim \"square\""), "{}", run.stdout);
    assert!(
        run.stdout.contains("✓ proved") || run.stdout.contains("✓ checked"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("0 failed"), "{}", run.stdout);
}

#[test]
fn explain_shows_each_rewrite_with_its_terms() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        format!("{HEADER}claim \"sq\": (x + 1)^2 = x^2 + 2*x + 1\n"),
    );
    let explained = dir.run(&["check", "t.nabla", "--explain"]);
    assert_eq!(explained.code, 0, "{}", explained.all());
    assert!(
        explained.stdout.contains("proved: both sides equal"),
        "{}",
        explained.stdout
    );
    assert!(explained.stdout.contains(" ⟶ "), "{}", explained.stdout);
    // the same proof, its steps counted (without --explain the terms are never printed)
    let steps = |text: &str| text.lines().filter(|l| l.contains(" ⟶ ")).count();
    let json = dir.run(&["check", "t.nabla", "--format", "json"]);
    let trace = json.stdout.matches(" ⟶ ").count();
    assert_eq!(trace, steps(&explained.stdout), "{}", json.stdout);
}

#[test]
fn false_claim_is_refuted_with_a_counterexample_and_exit_1() {
    let run = check_one(&format!("{HEADER}claim \"wrong\": (x + 1)^2 = x^2 + 1\n"));
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("✗ refuted"), "{}", run.stdout);
    // the simplest counterexample: (x+1)^2 - x^2 - 1 = 2x is non-zero first at x = 1
    assert!(
        run.stdout.contains("at x = 1: left = 4, right = 2"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("t.nabla:2:1"), "{}", run.stdout);
}

#[test]
fn expected_refutation_passes() {
    let run = check_one(&format!(
        "{HEADER}expect refuted: claim softplus(x) = ln(exp(x))\n"
    ));
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("✓ refuted"), "{}", run.stdout);
    assert!(run.stdout.contains("(expected)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("counterexample at x = 0"),
        "{}",
        run.stdout
    );
}

#[test]
fn derive_chain_reports_each_step_and_names_the_broken_one() {
    let text = format!(
        "{HEADER}derive \"chain\":\n    (x + 1)*(x - 1)\n  = x^2 - 1\n  = x^2 + 1\n  = 1 + x^2\n"
    );
    let run = check_one(&text);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("step 1 of \"chain\""), "{}", run.stdout);
    assert!(
        run.stdout.contains("step 2 of \"chain\" is refuted"),
        "{}",
        run.stdout
    );
    // the chain goes on after the broken step
    assert!(run.stdout.contains("step 3 of \"chain\""), "{}", run.stdout);
    assert!(run.stdout.contains("t.nabla:5:5"), "{}", run.stdout);
}

#[test]
fn decimals_are_exact() {
    let run =
        check_one("claim 0.1 + 0.2 = 0.3\nexpect refuted: claim 0.1 + 0.2 = 0.30000000000000004\n");
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn approximate_claims_use_the_written_precision() {
    let run = check_one("claim -ln(0.1) ≈ 2.302585\nexpect refuted: claim -ln(0.1) ≈ 2.3027\nclaim -ln(0.1) ≈ 2.3 within 0.01\n");
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn strict_fails_checked_claims() {
    let dir = Dir::new();
    // a `≈` claim is only ever checked numerically
    dir.create(
        "t.nabla",
        "var x : real\nclaim σ(x) ≈ 1/(1 + exp(-x)) within 0.001\n",
    );
    let relaxed = dir.run(&["check", "t.nabla"]);
    assert_eq!(relaxed.code, 0, "{}", relaxed.all());
    assert!(relaxed.stdout.contains("checked"), "{}", relaxed.stdout);
    let strict = dir.run(&["check", "--strict", "t.nabla"]);
    assert_eq!(strict.code, 1, "{}", strict.all());
}

#[test]
fn wrong_limit_is_refuted() {
    let run = check_one("var x : real\nclaim lim k -> inf of 1/(1 + exp(-k*x)) = 1/2\n");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("refuted"), "{}", run.stdout);
}

#[test]
fn limit_to_minus_infinity_shows_negative_terms() {
    let run = check_one("var x : real\nclaim lim x -> -inf of tanh(x) = 0\n");
    assert_eq!(run.code, 1, "{}", run.all());
    // the limit is found symbolically and named in the counterexample
    assert!(
        run.stdout
            .contains("left = -1, right = 0 (lim x → −∞ of tanh(x) = −1)"),
        "{}",
        run.stdout
    );
}

#[test]
fn within_needs_approx() {
    // a tolerance on an exact `=` would be silently ignored: it is an input error
    let run = check_one("claim lim k -> inf of 1/k = 0 within 0.1\nclaim 2 = 2\n");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout
            .contains("`within` needs `≈`: an `=` claim is exact"),
        "{}",
        run.all()
    );
    let run = check_one("claim lim k -> inf of 1/k ≈ 0.1 within 0.01\n");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("they differ by more than 1/100"),
        "{}",
        run.stdout
    );
}

#[test]
fn domain_conditions_restrict_the_claim() {
    let run = check_one(
        "var x : real\nclaim sqrt(x^2) = x where x >= 0\nexpect refuted: claim sqrt(x^2) = x\n",
    );
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn vector_literals_compare_exactly() {
    let run =
        check_one("claim [1/4, 0.5] = [0.25, 1/2]\nexpect refuted: claim [1, 2] = [1, 2, 3]\n");
    assert_eq!(run.code, 0, "{}", run.all());
}

// ----- output formats -----

#[test]
fn json_output_is_valid_and_complete() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        format!("{HEADER}claim \"ok\": x + x = 2*x\nclaim \"bad\": x + x = x\n"),
    );
    let run = dir.run(&["check", "--format", "json", "t.nabla"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(v["version"], 1);
    let results = v["files"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["name"], "ok");
    assert_eq!(results[0]["passed"], true);
    assert_eq!(results[0]["line"], 2);
    assert_eq!(results[1]["verdict"], "refuted");
    assert_eq!(results[1]["counterexample"]["assignment"][0]["name"], "x");
    assert_eq!(results[1]["counterexample"]["assignment"][0]["value"], "1");
    assert_eq!(v["summary"]["failed"], 1);
}

#[test]
fn junit_cases_carry_file_line_time_and_the_failure_type() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        format!("{HEADER}claim \"bad\": x + x = x\nclaim \"fine\": x + x = 2*x\n"),
    );
    let junit = dir.run(&["check", "--format", "junit", "t.nabla"]);
    assert_eq!(junit.code, 1);
    assert!(junit.stdout.starts_with("<?xml"), "{}", junit.stdout);
    for needle in [
        "<testsuite name=\"t.nabla\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"",
        "classname=\"t.nabla\" file=\"t.nabla\" line=\"2\" time=\"",
        "<failure type=\"refuted\" message=\"claim &quot;bad&quot; is refuted, expected holds\">at x = 1",
        "name=\"3:1 claim &quot;fine&quot;: x + x = 2*x\" classname=\"t.nabla\" file=\"t.nabla\" line=\"3\"",
    ] {
        assert!(junit.stdout.contains(needle), "no {needle:?} in\n{}", junit.stdout);
    }
}

/// Validates `xml` against the JUnit schema in tests/fixtures with xmllint
/// (CI installs it; elsewhere the check is skipped with a note).
fn assert_valid_junit(dir: &Dir, xml: &str) {
    let path = dir.create("report.xml", xml);
    let schema = repo_root().join("tests/fixtures/junit.xsd");
    let run = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&path)
        .output();
    match run {
        Ok(out) => assert!(
            out.status.success(),
            "not valid JUnit:\n{}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("xmllint not found ({e}); JUnit schema validation skipped")
        }
        Err(e) => panic!("xmllint is needed in CI (.ci/run installs libxml2-utils): {e}"),
    }
}

#[test]
fn junit_validates_against_the_schema_with_failures_and_input_errors() {
    let dir = Dir::new();
    dir.create("bad.nabla", "var x : real\nclaim (x + 1 = x\n");
    let corpus = repo_root().join("derivations");
    let run = dir.run(&[
        "check",
        "--format",
        "junit",
        corpus.to_str().unwrap(),
        "bad.nabla",
        "missing.nabla",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout.contains("<error type=\"input\""),
        "{}",
        run.stdout
    );
    assert_valid_junit(&dir, &run.stdout);
    let one = dir.run(&["check", "--format", "junit", "missing.nabla"]);
    assert_valid_junit(&dir, &one.stdout);
}

#[test]
fn github_annotations_escape_properties_and_put_errors_first() {
    let dir = Dir::new();
    let name = "a,b:c%d.nabla";
    dir.create(
        name,
        format!("{HEADER}claim x + x = x\nclaim x + x = 2*x\n"),
    );
    let gh = dir.run(&["check", "--format", "github", name]);
    assert_eq!(gh.code, 1, "{}", gh.all());
    let lines: Vec<&str> = gh.stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            "::error file=a%2Cb%3Ac%25d.nabla,line=2,endLine=2,col=1,endColumn=15,\
             title=nabla%3A claim refuted::claim is refuted: at x = 1: left = 2, right = 1; seed 1",
            "1 passed, 1 failed",
        ],
        "{}",
        gh.stdout
    );
}

#[test]
fn github_folds_many_warnings_into_one_notice_after_the_errors() {
    let dir = Dir::new();
    // a document with many unreadable formulas gives many warnings (each its own:
    // one warning said at several places is said once)
    let mut doc = String::from("# notes\n\n$$\\sigma(-x) = 1 - \\sigma(x)$$\n\n");
    for k in 0..14u8 {
        let letter = char::from(b'a' + k);
        doc.push_str(&format!("$$\\unknown{letter}{{{k}}} = 1$$\n\n"));
    }
    dir.create("notes.md", &doc);
    dir.create("z.nabla", format!("{HEADER}claim x + x = x\n"));
    let gh = dir.run(&["check", "--format", "github", "notes.md", "z.nabla"]);
    let kinds: Vec<&str> = gh
        .stdout
        .lines()
        .map(|l| l.split([' ', ':']).find(|w| !w.is_empty()).unwrap_or(""))
        .collect();
    // the error of the later file comes before the warnings of the earlier one
    assert_eq!(kinds[..2], ["error", "notice"], "{}", gh.stdout);
    assert!(gh.stdout.ends_with("1 passed, 1 failed\n"), "{}", gh.stdout);
    assert!(
        gh.stdout.contains(" warnings in 1 file (too many"),
        "{}",
        gh.stdout
    );
}

#[test]
fn github_writes_the_verdict_table_to_the_step_summary() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        format!("{HEADER}claim x + x = x\nclaim x + x = 2*x\n"),
    );
    dir.create("summary.md", "earlier step\n");
    let summary = dir.path().join("summary.md");
    let out = dir
        .command(&["check", "--format", "github", "t.nabla"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run nabla");
    assert_eq!(out.status.code(), Some(1));
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("earlier step\n# Verdicts"),
        "appended:\n{written}"
    );
    assert!(
        written.contains(
            "| t.nabla:2 | claim | `x + x = x` | **refuted** (expected holds) | at x = 1"
        ),
        "{written}"
    );
    assert!(
        written.contains("| t.nabla:3 | claim | `x + x = 2*x` | proved |"),
        "{written}"
    );
}

#[test]
fn machine_formats_report_errors_inside_the_format() {
    let dir = Dir::new();
    dir.create("t.nabla", format!("{HEADER}claim x = x\n"));
    let json = dir.run(&[
        "check",
        "--format",
        "json",
        "--defs",
        "nope.nabla",
        "t.nabla",
    ]);
    assert_eq!(json.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON on stdout");
    let message = doc["files"][0]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("nope.nabla"), "{message}");
    let junit = dir.run(&[
        "check",
        "--format",
        "junit",
        "--defs",
        "nope.nabla",
        "t.nabla",
    ]);
    assert!(junit.stdout.starts_with("<?xml"), "{}", junit.stdout);
    assert_valid_junit(&dir, &junit.stdout);
    let gh = dir.run(&[
        "check",
        "--format",
        "github",
        "--defs",
        "nope.nabla",
        "t.nabla",
    ]);
    assert!(
        gh.stdout.starts_with("::error file=nope.nabla"),
        "{}",
        gh.stdout
    );
    for args in [
        &["diff", "x +", "--wrt", "x", "--format", "json"][..],
        &["simplify", "(x", "--format", "json"],
        &[
            "diff", "x", "--wrt", "x", "--order", "99", "--format", "json",
        ],
        &["simplify", "x", "--defs", "nope.nabla", "--format", "json"],
    ] {
        let run = dir.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.all());
        let doc: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", run.all()));
        assert!(doc["error"].is_object(), "{args:?}: {doc}");
        assert!(run.stderr.is_empty(), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn json_keeps_a_long_step_whole_and_text_shortens_it() {
    let long = (1..=40)
        .map(|k| format!("{k}*x"))
        .collect::<Vec<_>>()
        .join(" + ");
    let dir = Dir::new();
    dir.create("t.nabla", format!("{HEADER}claim {long} = 820*x\n"));
    let json = dir.run(&["check", "--format", "json", "t.nabla"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["files"][0]["results"][0]["text"],
        format!("{long} = 820*x")
    );
    let text = dir.run(&["check", "t.nabla"]);
    assert!(text.stdout.contains("…"), "{}", text.stdout);
    assert!(!text.stdout.contains("820*x"), "{}", text.stdout);
}

// ----- bad input -----

#[test]
fn parse_error_is_located_with_exit_2() {
    let run = check_one("var x : real\nclaim (x + 1 = x\n");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("t.nabla:2:"), "{}", run.stdout);
    assert!(run.stdout.contains("expected `)`"), "{}", run.stdout);
}

#[test]
fn unknown_function_is_an_error_and_other_claims_still_run() {
    let run = check_one("var x : real\nclaim frob(x) = x\nclaim \"fine\": x = x\n");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("unknown function `frob`"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("claim \"fine\""), "{}", run.stdout);
}

#[test]
fn unknown_name_is_an_error() {
    let run = check_one("claim q + 1 = 1 + q\n");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("unknown name `q`"), "{}", run.stdout);
}

#[test]
fn empty_file_is_an_error_and_others_still_run() {
    let dir = Dir::new();
    dir.create("empty.nabla", "  \n\n");
    dir.create("good.nabla", "claim \"one\": 1 + 1 = 2\n");
    let run = dir.run(&["check", "empty.nabla", "good.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("`empty.nabla` is empty: there is nothing to check"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("claim \"one\""), "{}", run.stdout);
}

#[test]
fn binary_file_is_refused() {
    let dir = Dir::new();
    dir.create("b.nabla", [0x7f, b'E', b'L', b'F', 0, 1, 2]);
    let run = dir.run(&["check", "b.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("binary file"), "{}", run.stdout);
}

#[test]
fn invalid_utf8_is_located() {
    let dir = Dir::new();
    dir.create("u.nabla", b"var x : real\nclaim x = \xff\n");
    let run = dir.run(&["check", "u.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("invalid UTF-8 at byte 23"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("u.nabla:2:11"), "{}", run.stdout);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        "var x : real\nclaim {}x{} = x\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let run = check_one(&deep);
    assert_eq!(run.code, 2, "{}", &run.all()[..run.all().len().min(2000)]);
    assert!(
        run.stdout.contains("nesting deeper than"),
        "{}",
        &run.stdout[..run.stdout.len().min(2000)]
    );
}

#[test]
fn large_file_is_checked() {
    // about 10 MB of comments and one claim
    let mut text = String::from("var x : real\n");
    let line = "# a long comment line to make this file large, about eighty characters long....\n";
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(line);
    }
    text.push_str("claim \"last\": x + 0 = x\n");
    let run = check_one(&text);
    assert_eq!(run.code, 0, "{}", &run.all()[..run.all().len().min(2000)]);
    assert!(run.stdout.contains("claim \"last\""));
}

#[test]
fn shape_and_diff_of_a_missing_file_say_one_line_and_no_check_summary() {
    let dir = Dir::new();
    let run = dir.run(&["shape", "nets.nabla"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr, "error: no such file: nets.nabla\n");
    assert_eq!(run.stdout, "");
    let run = dir.run(&["diff", "x", "--wrt", "x", "--defs", "d.nabla"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no such file: d.nabla"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains("summary"), "{}", run.all());
}

#[test]
fn missing_path_and_empty_folder_are_errors_and_others_still_run() {
    let dir = Dir::new();
    dir.create("good.nabla", "claim \"one\": 1 + 1 = 2\n");
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let run = dir.run(&["check", "missing.nabla", "empty", "good.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    // one line each on stderr: no snippet of an empty file
    assert_eq!(
        run.stderr,
        "error: no such file: missing.nabla\nerror: no .nabla files in `empty`\n"
    );
    assert!(!run.stdout.contains("missing.nabla"), "{}", run.stdout);
    assert!(run.stdout.contains("claim \"one\""), "{}", run.stdout);
}

#[test]
fn folders_are_walked_recursively() {
    let dir = Dir::new();
    dir.create("d/a.nabla", "claim \"a\": 1 = 1\n");
    dir.create("d/sub/b.nabla", "claim \"b\": 2 = 2\n");
    dir.create("d/sub/notes.txt", "not a derivation");
    let run = dir.run(&["check", "d"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("claim \"a\"") && run.stdout.contains("claim \"b\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("in 2 files"), "{}", run.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new();
    assert_eq!(dir.run(&["check"]).code, 2);
    assert_eq!(dir.run(&["frobnicate"]).code, 2);
    assert_eq!(dir.run(&["--help"]).code, 0);
}

#[test]
fn broken_pipe_does_not_panic() {
    use std::io::Read;
    let dir = Dir::new();
    let mut text = String::from("var x : real\n");
    for k in 0..200 {
        text.push_str(&format!("claim \"c{k}\": x + {k} = {k} + x\n"));
    }
    dir.create("t.nabla", text);
    let mut child = dir
        .command(&["check", "t.nabla"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is now closed
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.code().is_some());
}

// ----- the corpus -----

#[test]
fn bundled_derivations_hold() {
    let dir = Dir::new();
    let corpus = repo_root().join("derivations");
    let run = dir.run(&["check", corpus.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn readme_example_output_is_current() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let marker = "`nabla check examples/readme.nabla` prints";
    let after = &readme[readme
        .find(marker)
        .expect("the README shows the example's output")..];
    let start = after.find("```\n").unwrap() + 4;
    let end = start + after[start..].find("\n```").unwrap();
    let shown = &after[start..end];
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(["check", "examples/readme.nabla"])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let actual = String::from_utf8_lossy(&output.stdout);
    assert_eq!(actual.trim_end(), shown.trim_end());
}

#[test]
fn corpus_table_is_current() {
    let root = repo_root();
    let table = std::fs::read_to_string(root.join("derivations/README.md")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(["check", "derivations/", "--format", "markdown"])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let actual = String::from_utf8_lossy(&output.stdout);
    assert!(
        actual == table,
        "derivations/README.md is stale: regenerate it with \
         `cargo run --release -- check derivations/ --format markdown > derivations/README.md`"
    );
}

#[test]
fn verdicts_do_not_depend_on_the_number_of_jobs() {
    let root = repo_root();
    let run = |jobs: &str, format: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_nabla"))
            .args([
                "check",
                "derivations/",
                "tests/adversarial/",
                "--format",
                format,
            ])
            .args([
                "tests/documents/backprop_scalar_2.md",
                "tests/documents/ctx_values.md",
            ])
            .args(["--jobs", jobs])
            .current_dir(&root)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    for format in ["text", "json"] {
        let (one_code, one) = run("1", format);
        let (two_code, two) = run("2", format);
        assert_eq!(one_code, two_code, "{format}");
        assert!(one.contains("proved") && one.contains("refuted"), "{one}");
        assert!(
            one == two,
            "--jobs 1 and --jobs 2 differ ({format}):\n{one}\n---\n{two}"
        );
    }
}

#[test]
fn jobs_must_be_a_number() {
    let dir = Dir::new();
    dir.create("t.nabla", format!("{HEADER}claim \"c\": x + y = y + x\n"));
    let run = dir.run(&["check", "t.nabla", "--jobs", "many"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("--jobs"), "{}", run.stderr);
    let run = dir.run(&["check", "t.nabla", "-j", "0"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("proved"), "{}", run.stdout);
}

// ----- gradients -----

#[test]
fn the_gradient_of_logsumexp_is_the_softmax() {
    let dir = Dir::new();
    dir.create("d.nabla", "dim K\nvar x : R^K\n");
    let run = dir.run(&["diff", "logsumexp(x)", "--wrt", "x", "--defs", "d.nabla"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "(∂/∂x)_i = softmax(x)_i\nmatrix form: softmax(x)\n"),
        "{}",
        run.all()
    );
    let run = dir.run(&["diff", "logsumexp(a, b)", "--wrt", "a"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "exp(a)/(exp(a) + exp(b))\n"),
        "{}",
        run.all()
    );
}

#[test]
fn diff_prints_scalar_derivatives_folded() {
    let dir = Dir::new();
    let run = dir.run(&["diff", "ln(1 + exp(x))", "--wrt", "x"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "σ(x)\n"),
        "{}",
        run.all()
    );
    let run = dir.run(&["diff", "σ(x)", "--wrt", "x"]);
    assert_eq!(run.stdout, "σ(x)·(1 − σ(x))\n");
    let run = dir.run(&["diff", "x^3", "--wrt", "x", "--order", "2"]);
    assert_eq!(run.stdout, "6·x\n");
}

#[test]
fn diff_prints_where_the_derivative_is_valid() {
    let dir = Dir::new();
    let cases = [
        ("relu(x)", "text", "H(x), for x ≠ 0\n"),
        ("x*floor(x)", "text", "floor(x), for x not an integer\n"),
        (
            "relu(x - 1) + H(2*x)",
            "text",
            "H(−1 + x), for x ≠ 0 and x ≠ 1\n",
        ),
        ("abs(x)^2", "text", "2·|x|·sign(x)\n"),
        (
            "relu(x)",
            "latex",
            "H\\left(x\\right) \\quad \\text{for } x \\neq 0\n",
        ),
    ];
    for (expr, format, expected) in cases {
        let run = dir.run(&["diff", expr, "--wrt", "x", "--format", format]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, expected),
            "{expr}: {}",
            run.all()
        );
    }
    let run = dir.run(&["diff", "relu(x)", "--wrt", "x", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(json["valid_where"], serde_json::json!(["x ≠ 0"]));
    assert_eq!(json["result"], "H(x)");
}

#[test]
fn diff_prints_mlp_gradients_in_index_and_matrix_form() {
    let defs = repo_root().join("examples/mlp.defs.nabla");
    let defs = defs.to_str().unwrap();
    let dir = Dir::new();
    let b2 = dir.run(&["diff", "L", "--wrt", "b2", "--defs", defs]);
    assert_eq!(b2.code, 0, "{}", b2.all());
    assert_eq!(
        b2.stdout,
        "(∂/∂b2)_i = softmax(oa)_i − δ(i, y)\nmatrix form: softmax(oa) − onehot(y)\n"
    );
    let w2 = dir.run(&["diff", "L", "--wrt", "W2", "--defs", defs]);
    assert_eq!(w2.code, 0, "{}", w2.all());
    assert!(
        w2.stdout
            .ends_with("matrix form: softmax(oa) hs^T − onehot(y) hs^T\n"),
        "{}",
        w2.stdout
    );
    // the gradient is never silently zero
    let w1 = dir.run(&["diff", "L", "--wrt", "W1", "--defs", defs]);
    assert!(w1.stdout.contains("x_j·σ(ha_i)"), "{}", w1.stdout);
}

/// Each corpus file's verdict counts: (file, proved, checked, refuted). A change
/// here is a change in what nabla can prove: update the table on purpose.
const CORPUS_COUNTS: &[(&str, usize, usize, usize)] = &[
    ("activations.nabla", 49, 0, 22),
    ("extras/batchnorm.nabla", 6, 1, 5),
    ("extras/logistic_regression.nabla", 3, 0, 4),
    ("extras/logsumexp.nabla", 16, 3, 11),
    ("extras/losses.nabla", 2, 5, 5),
    ("extras/parameter_counts.nabla", 39, 0, 6),
    ("extras/quadratic_form.nabla", 10, 0, 6),
    ("extras/recurrent.nabla", 9, 0, 4),
    ("extras/resnet18.nabla", 20, 0, 3),
    ("extras/tanh.nabla", 9, 0, 8),
    ("q1_activations.nabla", 12, 0, 0),
    ("q1_sigmoid_softplus.nabla", 16, 0, 2),
    ("q1_softmax.nabla", 23, 0, 5),
    ("q2_mlp.nabla", 44, 1, 5),
    ("q3_convnets.nabla", 16, 0, 1),
    ("transformer/activations.nabla", 10, 0, 5),
    ("transformer/attention.nabla", 9, 0, 7),
    ("transformer/bert_base.nabla", 22, 0, 5),
    ("transformer/matrix_calculus.nabla", 18, 0, 7),
    ("transformer/normalization.nabla", 10, 0, 8),
    ("transformer/optimizers.nabla", 7, 0, 4),
];

#[test]
fn corpus_verdict_counts_per_file() {
    let root = repo_root();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(["check", "derivations/", "--format", "json"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut actual = Vec::new();
    for f in v["files"].as_array().unwrap() {
        let name = f["file"]
            .as_str()
            .unwrap()
            .trim_start_matches("derivations/")
            .to_string();
        let count = |word: &str| {
            f["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["verdict"] == word)
                .count()
        };
        assert_eq!(count("unknown"), 0, "{name} has unknown verdicts");
        actual.push((name, count("proved"), count("checked"), count("refuted")));
    }
    let expected: Vec<(String, usize, usize, usize)> = CORPUS_COUNTS
        .iter()
        .map(|&(f, p, c, r)| (f.to_string(), p, c, r))
        .collect();
    assert_eq!(actual, expected);
}

// ----- the package -----

/// `1.88` or `1.85.0` as comparable numbers.
fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[test]
fn rust_version_is_the_oldest_toolchain_every_locked_dependency_supports() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(repo_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let ours = packages
        .iter()
        .find(|p| p["name"] == "nabla-check")
        .and_then(|p| p["rust_version"].as_str())
        .expect("Cargo.toml states rust-version");
    let (needed, by) = packages
        .iter()
        .filter_map(|p| Some((p["rust_version"].as_str()?, p["name"].as_str()?)))
        .max_by_key(|(v, _)| version_key(v))
        .unwrap();
    assert_eq!(
        version_key(ours),
        version_key(needed),
        "rust-version is {ours}, but {by} needs {needed}"
    );
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("({ours} or newer)")),
        "README states {ours}"
    );
}

// ----- nabla shape on today's networks -----

#[test]
fn shape_tables_of_bert_and_resnet_follow_torchinfo() {
    let dir = Dir::new();
    let root = repo_root();
    let bert = root.join("derivations/transformer/bert_base.nabla");
    let run = dir.run(&["shape", bert.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.all());
    for line in [
        "Total params: 109,482,240\n",
        "Trainable params: 109,482,240\n",
        "Non-trainable params: 0\n",
        // torchinfo's rule: in-projections once per position (L), the rest once
        "Total mult-adds: 21261312·L + 88220928\n",
        "Total params without bias: 109,379,328\n",
    ] {
        assert!(run.stdout.contains(line), "{line}{}", run.stdout);
    }
    let row = |name: &str| -> Vec<String> {
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or("");
        line.split_whitespace().map(str::to_string).collect()
    };
    // layer (type), output shape (sizes without separators), Param #, mult-adds
    assert_eq!(
        row("word "),
        [
            "word",
            "(embedding)",
            "[L,",
            "768]",
            "23,440,896",
            "23,440,896"
        ]
    );
    assert_eq!(
        row("layer1 ")[..6],
        [
            "layer1",
            "(transformer_encoder_layer)",
            "[L,",
            "768]",
            "7,087,872",
            "1771776·L"
        ]
    );
    let resnet = root.join("derivations/extras/resnet18.nabla");
    let run = dir.run(&["shape", resnet.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.all());
    for line in [
        "Total params: 11,689,512\n",
        // torchinfo reports 1.81 G for ResNet-18 on 3×224×224
        "Total mult-adds: 1,814,083,944\n",
        // 20 batch norms: running mean and variance of 4,800 channels, 20 counters
        "Buffers (not params): 9,620\n",
        "Total params without bias: 11,683,712\n",
    ] {
        assert!(run.stdout.contains(line), "{line}{}", run.stdout);
    }
}

// ----- the command line -----

#[test]
fn a_dash_reads_standard_input_as_nabla_or_as_a_document() {
    let dir = Dir::new();
    let run = |args: &[&str], input: &str| {
        use std::io::Write as _;
        let mut child = dir
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run nabla");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["check", "-"], "var x : real\nclaim x + x = 3*x\n");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("<stdin>\n  ✗ refuted     2:1"), "{out}");
    let (code, out) = run(
        &["check", "--as", "markdown", "-"],
        "# hw\n\n$$\\sigma(-x) = 1 - \\sigma(x)$$\n",
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("✓ proved      3:16"), "{out}");
}

#[test]
fn misspelt_names_get_a_suggestion_before_the_hint() {
    for (claim, suggestion) in [
        ("sigmoud(x) = x", "did you mean `sigmoid`?"),
        ("softmx(x) = x", "did you mean `softmax`?"),
        ("softplsu(x) = x", "did you mean `softplus`?"),
        ("xx = 1", "did you mean `x`?"),
    ] {
        let run = check_one(&format!("{HEADER}claim {claim}\n"));
        assert_eq!(run.code, 2, "{}", run.all());
        let note = run.stdout.find(suggestion);
        let hint = run.stdout.find("= de");
        assert!(note.is_some() && note < hint, "{claim}: {}", run.stdout);
    }
    let run = check_one(&format!("{HEADER}claim frobnicate(x) = x\n"));
    assert!(!run.stdout.contains("did you mean"), "{}", run.stdout);
}

// ----- the GitHub Action and the pre-commit hook -----

/// The value of `key:` on its own line of a small YAML file (no YAML parser needed
/// for the two lines these tests read).
fn yaml_value(text: &str, key: &str) -> String {
    text.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no `{key}:` in\n{text}"))
        .trim()
        .to_string()
}

#[test]
fn the_pre_commit_hook_checks_the_files_it_matches() {
    let hooks = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let entry = yaml_value(&hooks, "entry");
    let files = regex::Regex::new(&yaml_value(&hooks, "files")).unwrap();
    let dir = Dir::new();
    dir.create("good.nabla", format!("{HEADER}claim x + x = 2*x\n"));
    dir.create("bad.nabla", format!("{HEADER}claim x + x = x\n"));
    dir.create("notes.md", "# notes\n\n$$\\sigma(-x) = 1 - \\sigma(x)$$\n");
    dir.create("train.py", "x = 1\n");
    let staged = ["good.nabla", "notes.md", "train.py"];
    let matched: Vec<&str> = staged
        .iter()
        .copied()
        .filter(|f| files.is_match(f))
        .collect();
    assert_eq!(matched, ["good.nabla", "notes.md"]);
    let words: Vec<&str> = entry.split_whitespace().collect();
    assert_eq!(words[0], "nabla", "the hook runs the installed command");
    let mut args: Vec<&str> = words[1..].to_vec();
    args.extend(&matched);
    assert_eq!(dir.run(&args).code, 0);
    args.push("bad.nabla");
    let run = dir.run(&args);
    assert_eq!(run.code, 1, "{}", run.all());
}

#[test]
fn the_github_action_fails_the_job_and_writes_the_step_summary() {
    let action = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    assert!(
        action.contains("cargo install --locked --quiet --path \"$GITHUB_ACTION_PATH\""),
        "{action}"
    );
    let check = action
        .lines()
        .skip_while(|l| !l.contains("- name: Check"))
        .find(|l| l.contains("check --format github"))
        .expect("the Check step's command")
        .trim()
        .replace(
            "\"$RUNNER_TEMP/nabla/bin/nabla\"",
            env!("CARGO_BIN_EXE_nabla"),
        );
    let dir = Dir::new();
    dir.create("good.nabla", format!("{HEADER}claim x + x = 2*x\n"));
    dir.create("bad.nabla", format!("{HEADER}claim x + x = x\n"));
    let summary = dir.path().join("summary.md");
    for (paths, code) in [("good.nabla", 0), ("good.nabla bad.nabla", 1)] {
        let command = check
            .replace("${{ inputs.args }}", "--seed 1")
            .replace("${{ inputs.paths }}", paths);
        let out = std::process::Command::new("bash")
            .args(["-c", &command])
            .current_dir(dir.path())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .expect("bash");
        assert_eq!(out.status.code(), Some(code), "{command}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.contains("::error file=bad.nabla,line=2"),
            code == 1,
            "{stdout}"
        );
    }
    let written = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(written.matches("# Verdicts").count(), 2, "{written}");
    assert!(
        written.contains("| bad.nabla:2 | claim | `x + x = x` | **refuted**"),
        "{written}"
    );
}

#[test]
fn a_redeclared_name_loses_the_assumptions_of_both_declarations() {
    let dir = Dir::new();
    dir.create("side.nabla", "var a : real, a > 0\n");
    dir.create("main.nabla", "var a : real\nclaim sqrt(a^2) = a\n");
    let run = dir.run(&["check", "--defs", "side.nabla", "main.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.all().contains("`a` is declared twice"), "{}", run.all());
    // `a > 0` from the side file is not used: the claim is not proved
    assert!(!run.stdout.contains("✓ proved"), "{}", run.all());
    assert!(run.stdout.contains("refuted"), "{}", run.all());
}

#[test]
fn a_redeclared_name_loses_the_domains_of_both_declarations() {
    // (side file's declaration, the file's declaration, claim, verdict)
    let cases = [
        (
            "var a : positive",
            "var a : real",
            "sqrt(a^2) = a",
            "refuted",
        ),
        (
            "var a : real",
            "var a : positive",
            "sqrt(a^2) = a",
            "refuted",
        ),
        (
            "var a : natural",
            "var a : integer",
            "floor(a) = a",
            "refuted",
        ),
        ("var a : natural", "var a : real", "floor(a) = a", "refuted"),
        (
            "var a : positive",
            "var a : positive",
            "sqrt(a^2) = a",
            "proved",
        ),
    ];
    for (side, own, claim, verdict) in cases {
        let dir = Dir::new();
        dir.create("side.nabla", format!("{side}\n"));
        dir.create("main.nabla", format!("{own}\nclaim {claim}\n"));
        let run = dir.run(&["check", "--defs", "side.nabla", "main.nabla"]);
        assert_eq!(run.code, 2, "{side} / {own}: {}", run.all());
        assert!(run.all().contains("`a` is declared twice"), "{}", run.all());
        assert!(
            run.stdout.contains(&format!("{verdict} ")),
            "{side} / {own}: {claim} should be {verdict}:\n{}",
            run.all()
        );
    }
}

#[test]
fn conv_rejects_empty_list_entries() {
    let dir = Dir::new();
    let run = dir.run(&["conv", "[1,,2]", "[1]"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("must be a list of exact numbers"),
        "{}",
        run.all()
    );
}

#[test]
fn conv_reads_vectors_from_files_and_stdin() {
    use std::io::Write as _;
    let dir = Dir::new();
    dir.create(
        "x.txt",
        "1.000000000000000000e+00\n2.500000000000000000e-01\n-3\n4\n",
    );
    dir.create("k.txt", "[1/3, 1]\n");
    dir.create("bad.txt", "1\n2\nthree\n");
    let run = dir.run(&["conv", "x.txt", "k.txt", "--mode", "valid"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.stdout, "[7/12, -35/12, 3]\n");
    // the same numbers written on the command line
    let run = dir.run(&["conv", "[1, 0.25, -3, 4]", "[1/3, 1]", "--mode", "valid"]);
    assert_eq!(run.stdout, "[7/12, -35/12, 3]\n");
    let mut child = dir
        .command(&["conv", "-", "[1, 1]"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"1\n2\n3\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "[1, 3, 5, 3]\n");
    let run = dir.run(&["conv", "bad.txt", "[1]"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("the input in `bad.txt`: line 3: `three` is not an exact number"),
        "{}",
        run.all()
    );
    let run = dir.run(&["conv", "-", "-"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("only one of"), "{}", run.all());
}

#[test]
fn long_counterexample_values_print_as_short_decimals() {
    let dir = Dir::new();
    dir.create(
        "tiny.nabla",
        "var x : real\nclaim x * 0 = (1/3)^100 where x == 0\n",
    );
    let run = dir.run(&["check", "tiny.nabla"]);
    assert!(
        run.stdout.contains("right = ≈1.94032521748e-48"),
        "{}",
        run.all()
    );
    let run = dir.run(&["check", "--format", "json", "tiny.nabla"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let c = &json["files"][0]["results"][0]["counterexample"];
    assert!(
        c["rhs"]
            .as_str()
            .is_some_and(|r| r.starts_with("1/515377520732011331036461129765621272702107522001")),
        "{c}"
    );
    assert_eq!(c["rhs_decimal"], "≈1.94032521748e-48");
}

#[test]
fn kinks_and_vacuous_ties_say_why() {
    let dir = Dir::new();
    let cases = [
        (
            "var x : real\nclaim d/dx relu(x) = 1/2 where x == 0\n",
            "relu(x) has no derivative at x = 0: the one-sided difference quotients are 0 and 1",
        ),
        (
            "var x : real\nclaim d/dx floor(x) = 0 where x == 1\n",
            "floor(x) has no derivative at x = 1: it jumps by 1 on the left",
        ),
        (
            "var x : real\nclaim d/dx sqrt(abs(x)) = 0 where x == 0\n",
            "the difference quotients grow without bound (1024, 32768, 1048576)",
        ),
        (
            "var x : real\nclaim d/dx (relu(x) - relu(-x)) = 1 where x == 0\n",
            "the derivative may not exist where",
        ),
        (
            "var k : natural\nclaim k + 1 = 0 where k == -3\n",
            "vacuous: no point meets the conditions (k == -3, but k is natural)",
        ),
        (
            "var n : integer\nvar y : real\nclaim ceil(n) = floor(n) where n == y/2\n",
            "claim: ceil(n) = floor(n) where n == y/2",
        ),
    ];
    for (k, (text, words)) in cases.iter().enumerate() {
        let name = format!("case{k}.nabla");
        dir.create(&name, text);
        let run = dir.run(&["check", &name]);
        assert!(run.stdout.contains(words), "{text}: {}", run.all());
        assert!(!run.stdout.contains("✓ proved"), "{text}: {}", run.all());
        assert!(
            !run.all().contains("internal error"),
            "{text}: {}",
            run.all()
        );
    }
}
