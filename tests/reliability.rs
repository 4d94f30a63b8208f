//! Reliability: every limit and every bad input ends in a clear message and
//! the right exit code, and the rest of the run is still checked and reported.

mod util;

use util::Dir;

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
