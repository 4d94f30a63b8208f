//! `nabla check --format html`: the page of the seed homework is kept in
//! `examples/report.html`; every claim and step has its MathML, every refuted
//! scalar step its plot with the counterexample marked, and in headless
//! Chromium (where installed; CI installs it) every formula renders as MathML
//! and a screenshot is kept under `target/html-report/`.

use crate::util::{repo_root, Dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The seed homework as `.nabla` files (the derivations' top level).
const SEED: &[&str] = &[
    "derivations/q1_activations.nabla",
    "derivations/q1_sigmoid_softplus.nabla",
    "derivations/q1_softmax.nabla",
    "derivations/q2_mlp.nabla",
    "derivations/q3_convnets.nabla",
];

/// Steps with slips of one and of two variables, a vector claim, a document.
const SLIPS: &str = "\
var x : real
var y : real
var t : real, t > 0
dim n
var v : R^n
var u : R^n

derive \"a square, expanded\":
  (x + 1)^2
  = x^2 + 2*x + 1
  = x^2 + x + 1

claim \"exp of a sum\": exp(x + y) = exp(x) + exp(y)
claim \"log of a power\": ln(t^2) = 2*ln(t) + t
claim \"doubling\": 2*v = v + u
claim \"transposed\": v^T = v
claim \"written out\": [1, 2, 3] = [1, 2, 4]
dim h
claim \"parameters\": 4*h*(h + 1) = 4*h^2
claim \"a constant\": 2^10 = 1000
";

const NOTES: &str = "# Notes on the sigmoid

For every real $x$, $\\sigma(-x) = 1 - \\sigma(x)$, and

$$\\frac{d}{dx} x^2 = 3x$$

which is a slip.
";

fn html(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_nabla"))
        .args(["check", "--format", "html"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run nabla");
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The rows of a page: `(class, body)` per `<li class="row ...">`.
fn rows(page: &str) -> Vec<(String, String)> {
    page.split("<li class=\"row ")
        .skip(1)
        .map(|rest| {
            let (class, body) = rest.split_once('"').unwrap_or((rest, ""));
            let body = body.split("</li>\n").next().unwrap_or("");
            (class.to_string(), body.to_string())
        })
        .collect()
}

/// What every page must hold: self-contained, a summary, MathML per row, a
/// plot with the counterexample per refuted scalar step.
fn assert_well_formed(page: &str, plotted_at_least: usize) {
    assert!(page.starts_with("<!DOCTYPE html>"), "not a page");
    for outside in [
        "<script",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(http",
    ] {
        assert!(
            !page.contains(outside),
            "the page reaches outside: {outside}"
        );
    }
    assert!(page.contains("<div class=\"totals\">"), "no summary");
    let rows = rows(page);
    assert!(!rows.is_empty());
    let mut plotted = 0;
    for (class, body) in &rows {
        assert!(body.contains("<math"), "a row without MathML: {body}");
        assert!(
            body.contains(&format!("<span class=\"badge {class}\">")),
            "{body}"
        );
        assert!(body.contains("<details>"), "no disclosure: {body}");
        // a refuted step shows a plot, its entries, its two values, or why none
        if class == "refuted" {
            assert!(
                ["<svg class=\"plot\"", "<table class=\"entries", "no-plot"]
                    .iter()
                    .any(|shown| body.contains(shown)),
                "a refuted step with no picture and no reason: {body}"
            );
        }
        if body.contains("<svg class=\"plot\"") {
            plotted += 1;
            assert_eq!(class, "refuted");
            assert!(
                body.contains("<circle class=\"counterexample\""),
                "a plot without its counterexample: {body}"
            );
            assert!(body.contains("class=\"lhs\"") && body.contains("class=\"rhs\""));
        }
    }
    assert!(plotted >= plotted_at_least, "{plotted} plots");
}

#[test]
fn html_report_of_the_seed_is_current() {
    let root = repo_root();
    let page = html(&root, SEED);
    assert_well_formed(&page, 3);
    let kept = std::fs::read_to_string(root.join("examples/report.html")).unwrap_or_default();
    assert!(
        kept == page,
        "examples/report.html is stale: regenerate it with `cargo run -- check --format html {} > examples/report.html`",
        SEED.join(" ")
    );
}

#[test]
fn html_report_plots_refuted_steps_and_tables_vector_claims() {
    let dir = Dir::new();
    dir.create("slips.nabla", SLIPS);
    dir.create("notes.md", NOTES);
    let page = html(dir.path(), &["slips.nabla", "notes.md"]);
    assert_well_formed(&page, 5);
    let rows = rows(&page);
    let verdicts: Vec<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        verdicts,
        [
            "proved", "refuted", "refuted", "refuted", "refuted", "refuted", "refuted", "refuted",
            "refuted", "proved", "refuted"
        ]
    );
    // two variables: the plot runs along the one that separates the sides most,
    // the other fixed at the counterexample
    assert!(rows[2].1.contains("fixed: "), "{}", rows[2].1);
    // a positive variable is plotted over positive values only
    assert!(rows[3].1.contains("both sides along t"), "{}", rows[3].1);
    // the vector claim: both sides entry by entry, the differing entry marked
    assert!(
        rows[4].1.contains("<table class=\"entries\">"),
        "{}",
        rows[4].1
    );
    assert!(rows[4].1.contains("<td class=\"differ\">"), "{}", rows[4].1);
    // a row against a column: each side in its own shape, nothing compared
    let transposed = &rows[5].1;
    assert!(
        transposed.contains("<caption>left side, 1×2</caption>"),
        "{transposed}"
    );
    assert!(
        transposed.contains("<caption>right side, 2×1</caption>"),
        "{transposed}"
    );
    assert!(transposed.contains("different shapes") && !transposed.contains("differ\""));
    // vectors written out: the third entry differs, the others do not
    let written = &rows[6].1;
    assert!(
        written.contains("<td>1</td><td>2</td><td class=\"differ\">4</td>"),
        "{written}"
    );
    // a size: plotted at whole numbers, a dot per side at each
    let sizes = &rows[7].1;
    assert!(sizes.contains("both sides along h"), "{sizes}");
    assert!(
        sizes.contains("<circle class=\"lhs-dot\"") && sizes.contains("<circle class=\"rhs-dot\""),
        "{sizes}"
    );
    // no variable: both exact values side by side instead of a plot, and why
    let constant = &rows[8].1;
    assert!(!constant.contains("<svg"), "{constant}");
    assert!(
        constant.contains("left side (exact)</span> 1024</td>")
            && constant.contains("right side (exact)</span> 1000</td>"),
        "{constant}"
    );
    assert!(
        constant.contains("no variable: nothing to plot"),
        "{constant}"
    );
    // the document: its own text, its formulas typeset in place (MathML from
    // their LaTeX, never the raw TeX), each checked formula marked
    let view = page
        .split("<pre class=\"source\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .expect("the document's own text");
    assert!(view.contains("# Notes on the sigmoid"), "{view}");
    assert!(
        view.contains("<span class=\"formula display refuted\""),
        "{view}"
    );
    assert!(
        view.contains("<mfrac>"),
        "the display formula is not typeset: {view}"
    );
    assert!(view.contains("<span class=\"formula proved\""), "{view}");
    let shown: String = view
        .split('<')
        .map(|t| t.split_once('>').map_or(t, |(_, a)| a))
        .collect();
    assert!(
        !shown.contains("\\frac") && !shown.contains('$'),
        "raw TeX shown: {shown}"
    );
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
            (found.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
        })
}

fn headless(browser: &Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ]);
    cmd
}

/// In the browser, a probe appended to a copy of the page counts the `<math>`
/// elements the browser parsed as MathML with a box of their own and no
/// `<merror>`, and the plots with a drawn counterexample; `--dump-dom` shows
/// the counts.
#[test]
fn html_report_renders_in_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "headless Chromium is needed in CI (.ci/run installs it)"
        );
        eprintln!("chromium is not installed: the page was not rendered");
        return;
    };
    let root = repo_root();
    let out = root.join("target/html-report");
    std::fs::create_dir_all(&out).expect("target/html-report");
    let dir = Dir::new();
    dir.create("slips.nabla", SLIPS);
    dir.create("notes.md", NOTES);
    // the slips' page is taller: its last rows (a size, a constant) show too
    for (name, page, height) in [
        ("seed", html(&root, SEED), 2400),
        (
            "slips",
            html(dir.path(), &["slips.nabla", "notes.md"]),
            4400,
        ),
    ] {
        let maths = page.matches("<math").count();
        let plots = page.matches("<svg class=\"plot\"").count();
        let probe = "<script>(function () {\
            var ns = 'http://www.w3.org/1998/Math/MathML', ok = 0, bad = 0;\
            document.querySelectorAll('math').forEach(function (m) {\
              var r = m.getBoundingClientRect();\
              if (m.namespaceURI === ns && r.width > 0 && r.height > 0 && !m.querySelector('merror')) { ok++; } else { bad++; }\
            });\
            var marked = 0;\
            document.querySelectorAll('svg.plot').forEach(function (s) {\
              var c = s.querySelector('circle.counterexample');\
              if (c && c.getBoundingClientRect().width > 0) { marked++; }\
            });\
            document.body.setAttribute('data-probe', 'math ' + ok + ' bad ' + bad + ' marked ' + marked);\
          })();</script>";
        let probed = page.replace("</body>", &format!("{probe}</body>"));
        let file = out.join(format!("{name}-probe.html"));
        std::fs::write(&file, probed).expect("write the probe page");
        let dom = headless(&browser)
            .arg("--dump-dom")
            .arg(format!("file://{}", file.display()))
            .output()
            .expect("run chromium");
        let dom = String::from_utf8_lossy(&dom.stdout);
        let expected = format!("data-probe=\"math {maths} bad 0 marked {plots}\"");
        assert!(
            dom.contains(&expected),
            "{name}: expected {expected}, the browser says {:?}",
            dom.split("data-probe=")
                .nth(1)
                .map(|s| &s[..s.len().min(60)])
        );
        let page_file = out.join(format!("{name}.html"));
        std::fs::write(&page_file, &page).expect("write the page");
        let shot = out.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let status = headless(&browser)
            .arg(format!("--window-size=1200,{height}"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page_file.display()))
            .output()
            .expect("run chromium");
        assert!(
            shot.exists(),
            "no screenshot: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
}
