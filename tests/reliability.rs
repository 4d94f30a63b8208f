//! Reliability: every limit and every bad input ends in a clear message and
//! the right exit code, and the rest of the run is still checked and reported.

use crate::util::Dir;

/// A file with one claim that is certainly fine, so tests can see that the
/// rest of a run survives whatever went wrong elsewhere.
const GOOD: &str = "claim \"good\": 1 + 1 = 2\n";

// ----- limits: the claim is unknown (exit 1), the message names the limit -----

#[test]
fn file_budget_makes_the_remaining_claims_unknown_and_names_the_flag() {
    let dir = Dir::new();
    let mut text = String::from("var x : real\n");
    for k in 0..5 {
        text.push_str(&format!("claim \"c{k}\": x + {k} = {k} + x\n"));
    }
    dir.create("t.nabla", text);
    dir.create("other.nabla", GOOD);
    let run = dir.run(&["check", "t.nabla", "other.nabla", "--file-budget", "0"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("budget exceeded (file): 0 s per file (raise it with --file-budget)"),
        "{}",
        run.stdout
    );
    // every claim is still listed, none is lost
    for k in 0..5 {
        assert!(
            run.stdout.contains(&format!("claim \"c{k}\"")),
            "{}",
            run.stdout
        );
    }
    assert!(run.stdout.contains("claim \"good\""), "{}", run.stdout);
    assert!(run.stdout.contains("6 unknown"), "{}", run.stdout);
}

#[test]
fn claim_budget_makes_that_claim_unknown_and_names_the_flag() {
    // `≈` claims skip the prover, so with no time at all the sampling loop
    // stops before its first point; the proved claim after it is unaffected
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var x : real\nclaim \"approx\": σ(x) ≈ 1/(1 + exp(-x)) within 0.001\n\
         claim \"after\": x + 1 = 1 + x\n",
    );
    let run = dir.run(&["check", "t.nabla", "--time-budget", "0"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("budget exceeded: 0 s per claim (raise it with --time-budget)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("✗ unknown     2:1"), "{}", run.stdout);
    assert!(
        run.stdout.contains("✓ proved      3:1   claim \"after\""),
        "{}",
        run.stdout
    );
}

#[test]
fn default_file_budget_leaves_claims_alone() {
    let dir = Dir::new();
    dir.create("t.nabla", "var x : real\nclaim \"c\": x + 1 = 1 + x\n");
    let run = dir.run(&["check", "t.nabla"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stdout.contains("budget exceeded"), "{}", run.stdout);
}

#[test]
fn a_huge_concrete_vector_is_unknown_and_the_file_goes_on() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var x : real\nvar w : R^1000000\nclaim \"w\": sum_j w_j^2 = sum_j w_j*w_j + 1\n\
         claim \"after\": x + 1 = 1 + x\n",
    );
    let run = dir.run(&["check", "t.nabla"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains(
            "size limit: `w` would have 1000000 entries; numeric checks build at most 100000"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("✗ unknown"), "{}", run.stdout);
    assert!(
        run.stdout.contains("✓ proved      4:1   claim \"after\""),
        "{}",
        run.stdout
    );
}

#[test]
fn a_billion_entry_matrix_is_refused_without_allocating() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var A : R^(100000 x 100000)\nclaim \"a\": A_(1,1) = A_(1,1) + 1\n",
    );
    let run = dir.run(&["check", "t.nabla"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("size limit: `A` would have 10000000000 entries"),
        "{}",
        run.stdout
    );
}

#[test]
fn huge_exponents_stay_symbolic() {
    // x^(10^100) is never expanded, and 2^(10^9) is not computed exactly
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var x : real\nclaim \"sym\": x^(10^100) * x = x^(10^100 + 1)\n\
         claim \"d\": d/dx x^(10^100) = 10^100 * x^(10^100 - 1)\n\
         claim \"big\": 2^(10^9) = 3\n",
    );
    let run = dir.run(&["check", "t.nabla"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("✓ proved      2:1"), "{}", run.stdout);
    assert!(run.stdout.contains("✓ proved      3:1"), "{}", run.stdout);
    assert!(run.stdout.contains("✗ unknown     4:1"), "{}", run.stdout);
}

#[test]
fn a_sum_past_the_evaluator_limit_names_the_limit() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var x : real\nclaim \"s\": sum_(i=1)^(10^12) i = 10^12*(10^12+1)/2\n\
         claim \"after\": x + 1 = 1 + x\n",
    );
    let run = dir.run(&["check", "t.nabla"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("size limit: a sum of 1000000000000 terms (limit 10000)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✓ proved      3:1   claim \"after\""),
        "{}",
        run.stdout
    );
}

// ----- limits on lowering: an input error (exit 2), the rest of the file goes on -----

#[test]
fn expression_size_limit_names_the_flag() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var x : real\nclaim \"d\": d^8/dx^8 tanh(σ(x)*exp(x)) = 0\nclaim \"after\": x + 1 = 1 + x\n",
    );
    let run = dir.run(&["check", "t.nabla", "--expr-limit", "60"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout
            .contains("expression too large: after 4 of 8 derivatives"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("past the limit of 60 (raise it with --expr-limit)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✓ proved      3:1   claim \"after\""),
        "{}",
        run.stdout
    );
}

#[test]
fn derivative_order_limit_is_named() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var x : real\nclaim \"d\": d^1000/dx^1000 tanh(σ(x)*exp(x)) = 0\nclaim \"after\": x + 1 = 1 + x\n",
    );
    let run = dir.run(&["check", "t.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout
            .contains("a derivative of order 1000 is past the limit of 64 (a fixed limit, MAX_DERIVATIVE_ORDER"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✓ proved      3:1   claim \"after\""),
        "{}",
        run.stdout
    );
}

// ----- bad files: a clear error with exit 2; the other files are still checked -----

#[cfg(unix)]
#[test]
fn a_symlink_loop_inside_a_folder_is_walked_once() {
    let dir = Dir::new();
    dir.create("d/a.nabla", GOOD);
    // d/loop -> d: following it would walk d forever
    std::os::unix::fs::symlink(dir.path().join("d"), dir.path().join("d/loop"))
        .expect("make a symlink");
    let run = dir.run(&["check", "d"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        run.stdout.matches("claim \"good\"").count(),
        1,
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("in 1 file"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn a_path_that_is_a_symlink_loop_is_an_error_and_others_still_run() {
    let dir = Dir::new();
    dir.create("good.nabla", GOOD);
    // self.nabla -> self.nabla never resolves
    std::os::unix::fs::symlink("self.nabla", dir.path().join("self.nabla")).expect("symlink");
    let run = dir.run(&["check", "self.nabla", "good.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_eq!(
        run.stderr,
        "error: cannot read `self.nabla`: too many levels of symbolic links\n"
    );
    assert!(run.stdout.contains("claim \"good\""), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_error_and_others_still_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    dir.create("good.nabla", GOOD);
    let secret = dir.create("secret.nabla", GOOD);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // root (as in many CI containers) reads a mode-000 file anyway; then
    // there is nothing unreadable to test and only the rest is asserted
    let unreadable = std::fs::read(&secret).is_err();
    let run = dir.run(&["check", "secret.nabla", "good.nabla"]);
    if unreadable {
        assert_eq!(run.code, 2, "{}", run.all());
        assert_eq!(
            run.stderr,
            "error: cannot read `secret.nabla`: permission denied\n"
        );
    }
    assert!(run.stdout.contains("claim \"good\""), "{}", run.stdout);
}

#[test]
fn a_folder_named_like_a_file_with_nothing_inside_is_an_error() {
    // a path that cannot be read as a file even as root
    let dir = Dir::new();
    dir.create("good.nabla", GOOD);
    std::fs::create_dir(dir.path().join("x.nabla")).expect("mkdir");
    let run = dir.run(&["check", "x.nabla", "good.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_eq!(run.stderr, "error: no .nabla files in `x.nabla`\n");
    assert!(run.stdout.contains("claim \"good\""), "{}", run.stdout);
}

#[test]
fn a_file_over_the_size_limit_is_refused_and_others_still_run() {
    let dir = Dir::new();
    dir.create("good.nabla", GOOD);
    let big = std::fs::File::create(dir.path().join("big.nabla")).expect("create");
    // a sparse file: no 17 MB written, but metadata says 17 MB
    big.set_len(17 * 1024 * 1024).expect("set_len");
    let run = dir.run(&["check", "big.nabla", "good.nabla"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("`big.nabla` is 17825792 bytes; the limit is 16777216 bytes"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("claim \"good\""), "{}", run.stdout);
}

#[test]
fn json_stays_valid_when_files_are_bad_and_claims_are_unknown() {
    let dir = Dir::new();
    dir.create("b.nabla", [0u8, 1, 2]);
    dir.create(
        "u.nabla",
        "var w : R^1000000\nclaim \"w\": sum_j w_j = sum_j w_j + 1\n",
    );
    let run = dir.run(&[
        "check",
        "b.nabla",
        "missing.nabla",
        "u.nabla",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let text = value.to_string();
    assert!(text.contains("binary file"), "{text}");
    assert!(text.contains("size limit"), "{text}");
    assert!(text.contains("no such file: missing.nabla"), "{text}");
}

// ----- fuzz findings: each file is one input that once crashed or hung nabla -----

#[test]
fn fuzz_findings_are_checked_without_crashing() {
    let dir = Dir::new();
    let folder = crate::util::repo_root().join("tests/fixtures/fuzz");
    let folder = folder.to_string_lossy();
    let run = dir.run(&["check", &folder, "--time-budget", "2"]);
    assert!(
        [0, 1, 2].contains(&run.code),
        "exit {}: {}",
        run.code,
        run.all()
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("stopped unexpectedly"),
        "{}",
        run.stderr
    );
    // every finding is reported, none is lost
    let files = std::fs::read_dir(crate::util::repo_root().join("tests/fixtures/fuzz"))
        .expect("the fixtures folder")
        .count();
    assert!(
        run.stdout.contains(&format!("in {files} file")),
        "{}",
        run.stdout
    );
}

#[test]
fn definitions_that_double_at_every_level_hit_the_expression_limit() {
    // f_k(t) = f_(k-1)(f_(k-1)(t)): f40 would be 2^40 inlined uses (this hung)
    let dir = Dir::new();
    let mut text = String::from("var x : real\ndef f0(t) = t*t + t\n");
    for k in 1..=40 {
        text.push_str(&format!("def f{k}(t) = f{}(f{}(t))\n", k - 1, k - 1));
    }
    text.push_str("claim \"deep\": f40(x) = f39(x)\nclaim \"after\": x + 1 = 1 + x\n");
    dir.create("t.nabla", text);
    let run = dir.run(&["check", "t.nabla", "--expr-limit", "2000"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains(
            "expression too large: definitions expand to more than 2000 inlined uses or \
             distinct nodes (raise the limit with --expr-limit)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✓ proved     44:1   claim \"after\""),
        "{}",
        run.stdout
    );
}

// ----- command-line values that once panicked or ran forever -----

#[test]
fn extreme_option_values_are_handled() {
    let dir = Dir::new();
    dir.create(
        "t.nabla",
        "var x : real\nclaim \"c\": σ(x) ≈ 1/(1 + exp(-x)) within 0.001\n",
    );
    // points * 5 overflowed
    let run = dir.run(&[
        "check",
        "t.nabla",
        "--points",
        "18446744073709551615",
        "--time-budget",
        "0",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("budget exceeded"), "{}", run.stdout);
    // NaN seconds panicked in Duration::from_secs_f64
    let run = dir.run(&["check", "t.nabla", "--time-budget", "nan"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("`nan` is not a number of seconds ≥ 0"),
        "{}",
        run.stderr
    );
    let run = dir.run(&[
        "check",
        "t.nabla",
        "--time-budget",
        "inf",
        "--file-budget",
        "1e300",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    // four billion derivatives ran for hours
    let run = dir.run(&["diff", "σ(x)", "--wrt", "x", "--order", "4000000000"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("--order 4000000000 is past the limit of 64"),
        "{}",
        run.stderr
    );
}

// ----- documents: the same limits, one deadline for the whole document -----

#[test]
fn expr_limit_applies_to_markdown_chains() {
    let dir = Dir::new();
    dir.create(
        "t.md",
        "$$\\frac{d^8}{dx^8} \\tanh(\\sigma(x) e^{x}) = 0$$\n\nand $x + 1 = 1 + x$.\n",
    );
    let run = dir.run(&["check", "t.md", "--expr-limit", "60", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("past the limit of 60 (raise it with --expr-limit); not checked"),
        "{}",
        run.stdout
    );
    // the chain that fits is still checked; the other is counted as skipped
    assert!(
        run.stdout.contains("\"verdict\": \"proved\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"class\": \"not-checked\""),
        "{}",
        run.stdout
    );
    // without the flag the derivative is taken and the step judged
    let run = dir.run(&["check", "t.md", "--format", "json"]);
    assert!(!run.stdout.contains("--expr-limit"), "{}", run.stdout);
}

#[test]
fn file_budget_bounds_the_whole_markdown_document() {
    // the `≈` step samples until the deadline (it cannot reach 2^64 points); a
    // deadline per chain would give the next chain a fresh budget and prove it
    // (one job: with more, the next chain starts beside the first and may finish)
    let dir = Dir::new();
    dir.create(
        "t.md",
        "$$\\sigma(x) \\approx \\frac{1}{1+e^{-x}}$$\n\nand $x + 1 = 1 + x$.\n",
    );
    dir.create("other.nabla", GOOD);
    let run = dir.run(&[
        "check",
        "t.md",
        "other.nabla",
        "--points",
        "18446744073709551615",
        "--time-budget",
        "inf",
        "--file-budget",
        "0.3",
        "--jobs",
        "1",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    let cut = "budget exceeded (file): 0.3 s per file (raise it with --file-budget)";
    assert_eq!(run.stdout.matches(cut).count(), 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("✓ proved      1:1   claim \"good\""),
        "{}",
        run.stdout
    );
}

#[test]
fn a_document_with_nothing_checkable_fails_unless_allowed() {
    let dir = Dir::new();
    dir.create("notes.md", "Only a name, $x$, and a condition $x > 0$.\n");
    let run = dir.run(&["check", "notes.md", "--color", "never"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("error: nothing checkable in this document"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 failed; 0 input errors"),
        "{}",
        run.stdout
    );
    let run = dir.run(&["check", "notes.md", "--allow-empty", "--color", "never"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stdout.contains("nothing checkable"), "{}", run.stdout);
}

#[test]
fn a_misused_logsumexp_is_a_located_input_error() {
    let head = "dim K\nvar x : R^K\nvar M : R^(K x K)\nvar a : real\n";
    for (claim, message) in [
        (
            "logsumexp(M) = a",
            "logsumexp of a matrix is not supported: take it of a row or a column",
        ),
        (
            "logsumexp(x)_1 = a",
            "only a vector or a matrix has entries",
        ),
        (
            "logsumexp(x, dim = 1) = a",
            "logsumexp takes no named argument (it reduces its one vector)",
        ),
        (
            "logsumexp(x, a) = a",
            "logsumexp takes a vector or numbers: logsumexp(x), logsumexp(a, b)",
        ),
        (
            "logsumexp() = a",
            "logsumexp takes a vector or numbers: logsumexp(x), logsumexp(a, b)",
        ),
    ] {
        let dir = Dir::new();
        dir.create("t.nabla", format!("{head}claim {claim}\n"));
        dir.create("other.nabla", GOOD);
        let run = dir.run(&["check", "t.nabla", "other.nabla"]);
        assert_eq!(run.code, 2, "{claim}: {}", run.all());
        assert!(run.all().contains(message), "{claim}: {}", run.all());
        assert!(
            run.stdout.contains("claim \"good\""),
            "{claim}: {}",
            run.stdout
        );
    }
}
