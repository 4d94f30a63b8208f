//! Integration tests: the real `nabla` executable, run in a temporary folder,
//! judged by its exit code and output.

mod util;

use util::{repo_root, Dir};

const HEADER: &str = "var x, y : real\n";

fn check_one(contents: &str) -> util::Run {
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
    // a limit is only ever checked numerically
    dir.create(
        "t.nabla",
        "var x : real\nclaim lim k -> inf of 1/(1 + exp(-k*x)) = H(x)\n",
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
    // the sequence runs through x = -2, -4, ..., -2^40
    assert!(run.stdout.contains("x=-2^40: -1.000000"), "{}", run.stdout);
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
fn junit_and_github_formats() {
    let dir = Dir::new();
    dir.create("t.nabla", format!("{HEADER}claim \"bad\": x + x = x\n"));
    let junit = dir.run(&["check", "--format", "junit", "t.nabla"]);
    assert_eq!(junit.code, 1);
    assert!(junit.stdout.starts_with("<?xml"), "{}", junit.stdout);
    assert!(
        junit
            .stdout
            .contains("<failure message=\"refuted (holds)\">"),
        "{}",
        junit.stdout
    );
    let gh = dir.run(&["check", "--format", "github", "t.nabla"]);
    assert!(
        gh.stdout
            .contains("::error file=t.nabla,line=2,col=1::claim \"bad\" is refuted"),
        "{}",
        gh.stdout
    );
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
        run.stdout
            .contains("`empty.nabla` is empty: there is nothing to check"),
        "{}",
        run.stdout
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
fn missing_path_and_empty_folder_are_errors_and_others_still_run() {
    let dir = Dir::new();
    dir.create("good.nabla", "claim \"one\": 1 + 1 = 2\n");
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let run = dir.run(&["check", "missing.nabla", "empty", "good.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout
            .contains("cannot read `missing.nabla`: no such file or folder"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("no .nabla files in `empty`"),
        "{}",
        run.stdout
    );
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

// ----- gradients -----

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
    ("extras/batchnorm.nabla", 5, 2, 5),
    ("extras/logistic_regression.nabla", 1, 2, 4),
    ("extras/logsumexp.nabla", 8, 2, 7),
    ("extras/losses.nabla", 2, 5, 5),
    ("extras/parameter_counts.nabla", 39, 0, 6),
    ("extras/quadratic_form.nabla", 8, 2, 6),
    ("extras/tanh.nabla", 7, 2, 8),
    ("q1_activations.nabla", 8, 4, 0),
    ("q1_sigmoid_softplus.nabla", 16, 0, 2),
    ("q1_softmax.nabla", 18, 5, 5),
    ("q2_mlp.nabla", 37, 8, 5),
    ("q3_convnets.nabla", 16, 0, 1),
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
