//! Documents checked end to end inside the library: verdicts at the
//! document's lines, the context each step was read under, the annotated copy,
//! and inputs that must never panic.

use super::{check_document, Defs, DocumentOptions};
use crate::check::{CheckConfig, Verdict};
use crate::latex::{find_math, DocKind};
use crate::report::{annotate_markdown, FileReport};
use crate::span::SourceFile;

const MARKDOWN: &str = "# Sigmoid facts

The derivative:

$$\\sigma'(x) = \\frac{d}{dx} \\frac{1}{1+e^{-x}}$$

$$\\begin{aligned}
&= \\frac{e^{-x}}{(1+e^{-x})^2} \\\\
&= \\sigma(x)(1 - \\sigma(x))
\\end{aligned}$$

A slip: $\\ln(1 + e^{x}) = x$, and a statement with no equation: $x > 0$.

$$\\text{LHS} = \\ln \\sigma(x) \\Rightarrow -\\ln(1+e^{-x}) \\\\ \\Rightarrow -\\text{softplus}(x) = \\text{RHS}$$
";

fn check_md(text: &str) -> FileReport {
    check_document(
        SourceFile::new("t.md", text),
        DocKind::Markdown,
        &Defs::default(),
        &CheckConfig::default(),
        &DocumentOptions::default(),
    )
}

/// (line, verdict word) of every result row.
fn verdicts(report: &FileReport) -> Vec<(usize, &'static str)> {
    report
        .results
        .iter()
        .map(|r| (r.line, r.verdict.word()))
        .collect()
}

#[test]
fn unclosed_delimiters_and_multibyte_text_do_not_panic() {
    for text in [
        "$$x = 1",
        "é $x",
        "\\[ x",
        "$",
        "$$",
        "\\begin{align} x",
        "σ$σ$σ",
    ] {
        let _ = find_math(text, DocKind::Markdown);
        let _ = find_math(text, DocKind::Latex);
        let report = check_md(text);
        assert!(report.results.is_empty(), "{text}");
    }
}

#[test]
fn an_operator_argument_is_the_product_after_it_so_a_false_proof_is_gone() {
    // ln(2x) = x ln 2 was proved when `\ln` took only the `2`
    let report = check_md("$$\\ln 2x = x \\ln 2$$\n\n$$\\ln 2x = \\ln 2 + \\ln x$$\n");
    assert_eq!(verdicts(&report), vec![(1, "refuted"), (3, "checked")]);
}

#[test]
fn markdown_chains_are_checked_at_their_lines() {
    let report = check_md(MARKDOWN);
    assert_eq!(
        verdicts(&report),
        vec![
            (5, "proved"),   // σ'(x) = d/dx ...
            (8, "proved"),   // &= e^{-x}/(1+e^{-x})^2 (continues the block above)
            (9, "proved"),   // &= σ(x)(1 - σ(x))
            (12, "refuted"), // ln(1 + e^x) = x
            (14, "proved"),  // ⇒ -ln(1+e^{-x}) after LHS
            (14, "refuted"), // ⇒ -softplus(x): the sign is wrong
        ]
    );
    // rows show the LaTeX of the step and point at its column
    let slip = &report.results[3];
    assert_eq!(slip.text, "= x");
    assert_eq!(slip.column, 27);
    let Verdict::Refuted { counterexample } = &report.results[5].verdict else {
        panic!("expected a refutation");
    };
    assert!(!counterexample.assignment.is_empty());
    // the reading summary counts the statement without `=`
    let summary = report
        .diagnostics
        .iter()
        .find(|d| d.message.starts_with("read "))
        .expect("a summary");
    assert!(
        summary.message.contains("read 3 chains (6 steps)"),
        "{}",
        summary.message
    );
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("1 with another relation")),
        "{:?}",
        summary.notes
    );
}

#[test]
fn definitions_in_the_text_are_used_by_later_chains() {
    let text = "Let $a(x) = \\frac{1}{1 + e^{-x}}$. Then $a(x) = \\sigma(x)$ and $a(x) = 1 - a(-x)$.\n\nAlso $g(t) = t^2$ gives $g(3) = 9$ but not $g(2) = 5$.\n";
    let report = check_md(text);
    assert_eq!(
        verdicts(&report),
        vec![(1, "proved"), (1, "proved"), (3, "proved"), (3, "refuted")]
    );
}

#[test]
fn a_name_applied_to_an_expression_of_itself_is_a_product_not_a_definition() {
    let cases: &[(&str, &[(usize, &str)])] = &[
        ("$x(1 - x) = x - x^2$", &[(1, "proved")]),
        ("$x(1 - x) = x - 2x^2$", &[(1, "refuted")]),
        // a new function of a plain name is still a definition, then used
        ("$f(x) = x^2$ and $f(3) = 9$", &[(1, "proved")]),
    ];
    for (text, want) in cases {
        assert_eq!(&verdicts(&check_md(text)), want, "{text}");
    }
}

#[test]
fn latex_align_chains_are_checked() {
    let text = "\\documentclass{article}\n\\begin{document}\n\\begin{align}\n(x+1)^2 &= x^2 + 2x + 1 \\\\\n        &= x^2 + 1\n\\end{align}\n\\[ \\text{softplus}(x) - \\text{softplus}(-x) = x \\]\n\\end{document}\n";
    let report = check_document(
        SourceFile::new("t.tex", text),
        DocKind::Latex,
        &Defs::default(),
        &CheckConfig::default(),
        &DocumentOptions::default(),
    );
    assert_eq!(
        verdicts(&report),
        vec![(4, "proved"), (5, "refuted"), (7, "proved")]
    );
}

#[test]
fn indexed_names_become_vectors_and_softmax_is_known() {
    let text = "$$S(x)_i = \\frac{\\exp(x_i)}{\\sum_j \\exp(x_j)} = \\frac{\\exp(x_i + c)}{\\sum_j \\exp(x_j + c)} = \\frac{\\exp(x_i)}{\\sum_j \\exp(x_j)^2}$$\n";
    let report = check_md(text);
    assert_eq!(
        verdicts(&report),
        vec![(1, "proved"), (1, "proved"), (1, "refuted")]
    );
}

#[test]
fn unreadable_formulas_split_the_chain_with_a_located_warning() {
    let text = "$$x + x = 2x = \\foo{x} = 2x$$\n";
    let report = check_md(text);
    assert_eq!(verdicts(&report), vec![(1, "proved")]);
    let warning = report
        .diagnostics
        .iter()
        .find(|d| d.message.contains("\\foo"))
        .expect("a warning about the unknown macro");
    assert!(!warning.is_error());
    assert_eq!(&text[warning.span.range()], "\\foo");
}

#[test]
fn annotated_markdown_marks_each_step() {
    let report = check_md("$$x + x = 2x$$ and $$x \\cdot x = 2x$$\n");
    let annotated = annotate_markdown(&report);
    assert!(
        annotated.starts_with("$$x + x = 2x\\;\\text{✓}$$ and $$x \\cdot x = 2x\\;\\text{✗}$$"),
        "{annotated}"
    );
    assert!(
        annotated.contains("- ✗ line 1: `= 2x` — refuted"),
        "{annotated}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("$${}x{} = x$$", "{".repeat(5000), "}".repeat(5000));
    let report = check_md(&deep);
    assert!(report.results.is_empty());
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.message.contains("nesting deeper than")));
    let fractions = format!("$${}1{} = 1$$", "\\frac{1}{".repeat(3000), "}".repeat(3000));
    let _ = check_md(&fractions);
}

#[test]
fn scrambled_latex_never_panics() {
    // a fixed pseudo-random walk over LaTeX-ish pieces (no input may panic the reader)
    let pieces = [
        "$",
        "$$",
        "\\frac",
        "{",
        "}",
        "x",
        "_",
        "^",
        "=",
        "&=",
        "\\\\",
        "\\sum",
        "\\left(",
        "\\right)",
        "(",
        ")",
        "\\begin{cases}",
        "\\end{cases}",
        "\\begin{aligned}",
        "\\text{LHS}",
        "\\Rightarrow",
        "σ",
        "\\partial",
        "d",
        "1",
        "+",
        "-",
        "\\mathbb{1}",
        "|",
        "\\|",
        "\n",
        "\\lim",
        "\\to",
        "\\infty",
        "\\sigma",
        "'",
        ",",
        "&",
        "\\boxed",
        "\\cancel",
        "é",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..200 {
        let mut text = String::new();
        for _ in 0..40 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        let _ = check_md(&text);
        let _ = check_document(
            SourceFile::new("t.tex", text.as_str()),
            DocKind::Latex,
            &Defs::default(),
            &CheckConfig {
                points: 2,
                ..CheckConfig::default()
            },
            &DocumentOptions::default(),
        );
    }
}

/// Every judged step as (line, verdict, the context shown and the reason of an
/// unknown, joined).
fn in_context(text: &str) -> Vec<(usize, &'static str, String)> {
    check_md(text)
        .results
        .iter()
        .map(|r| {
            let mut shown = r.context.join("; ");
            if let Verdict::Unknown { reason } = &r.verdict {
                shown = format!("{shown} | {reason}");
            }
            (r.line, r.verdict.word(), shown)
        })
        .collect()
}

#[test]
fn each_kind_of_context_gives_its_verdict_and_is_shown() {
    // (document, the line, its verdict, a piece of what the report shows)
    let cases: &[(&str, usize, &str, &str)] = &[
        // a definition: `:=` defines, the derivative after it uses it
        ("$$h := 3u + 1$$\n\n$$\\frac{d h}{d u} = 3u$$", 3, "refuted", ""),
        ("$$h := 3u + 1$$\n\n$$\\frac{d h}{d u} = 3$$", 3, "proved", ""),
        // a let-chain defines both names, nothing is claimed; the next line uses g
        ("Let $x_1 = g(v) = 2v$.\n\n$$g(v) = v + v$$", 3, "proved", ""),
        // an entry of a name introduced in prose is a definition, not a claim
        ("Let the Jacobian be $J$.\n\n$$J_{ij} = \\frac{\\partial q_i}{\\partial u_j}$$\n\n$$2 = 1 + 1$$", 5, "proved", ""),
        // a condition in the prose before the math
        ("When $x > 0$,\n\n$$|x| = x$$", 3, "proved", "under `x > 0` (line 1)"),
        // a condition as a case label in display math
        ("$$\\text{if } t < 0, \\quad |t| = -t$$", 1, "proved", "under `t < 0`"),
        // a condition word in another language
        ("Pour $t > 0$,\n\n$$|t| = t$$", 3, "proved", "under `t > 0`"),
        // a comparison after "with" and its like is a condition
        ("Avec $\\epsilon > 0$,\n\n$$\\sqrt{\\epsilon^2} = \\epsilon$$", 3, "proved", "under `\\epsilon > 0`"),
        ("Con $a > 0$,\n\n$$|a| = a$$", 3, "proved", "under `a > 0`"),
        ("Mit $b > 0$,\n\n$$|b| = b$$", 3, "proved", "under `b > 0`"),
        ("其中 $c > 0$,\n\n$$|c| = c$$", 3, "proved", "under `c > 0`"),
        ("with $d > 0$,\n\n$$|d| = d$$", 3, "proved", "under `d > 0`"),
        ("$$\\text{avec } u > 0, \\quad |u| = u$$", 1, "proved", "under `u > 0`"),
        // the same claim without a condition is a real mistake
        ("$$|t| = t$$", 1, "refuted", ""),
        // a condition on a class index is a condition of the check: for k ≠ y the
        // entry is s_k, so the `- 1` is a real slip
        ("$$L = -\\log \\frac{e^{z_y}}{\\sum_{j=1}^m e^{z_j}}$$\n\n$$\\text{for } k \\neq y, \\quad \\frac{\\partial L}{\\partial z_k} = \\frac{e^{z_k}}{\\sum_{j=1}^m e^{z_j}} - 1$$", 3, "refuted", "under `k \\neq y` (line 3)"),
        // one-hot / class index: `k = y` in a case label makes y an index in 1..m
        ("$$L = -\\log \\frac{e^{z_y}}{\\sum_{j=1}^m e^{z_j}}$$\n\n$$\\frac{\\partial L}{\\partial z_k} = \\begin{cases} \\frac{e^{z_k}}{\\sum_{j=1}^m e^{z_j}} - 1 & k = y \\\\ \\frac{e^{z_k}}{\\sum_{j=1}^m e^{z_j}} & k \\neq y \\end{cases}$$", 3, "checked", ""),
        // a limit said in words: the step is about the limit k → ∞, taken exactly
        ("$$r(x) = \\frac{1}{1 + e^{-kx}}$$\n\nAt large k,\n\n$$r(x) = \\begin{cases} 1 & x > 0 \\\\ \\frac{1}{2} & x = 0 \\\\ 0 & x < 0 \\end{cases}$$", 5, "proved", "read as the limit k → ∞: the text says this holds at \"large k\" (line 5)"),
        ("$$r(x) = \\frac{1}{1 + e^{-kx}}$$\n\nAs $k \\to \\infty$,\n\n$$r(x) = \\begin{cases} 1 & x \\geq 0 \\\\ 0 & x < 0 \\end{cases}$$", 5, "refuted", "read as the limit k → ∞"),
        // words that name no variable: the limit is not taken, and a refutation would rest on that
        ("$$r(x) = \\frac{1}{1 + e^{-kx}}$$\n\nFor large enough values,\n\n$$r(x) = \\begin{cases} 1 & x > 0 \\\\ 0 & x < 0 \\end{cases}$$", 5, "unknown", "at \"large enough\""),
        // an equation after a condition word is a condition; inside `\lim` the text's
        // definition that uses the limit's variable is written out
        ("$$r(x) = \\frac{1}{1 + e^{-kx}}$$\n\nWhen $x = 0$,\n\n$$\\lim_{k \\to \\infty} r(x) = \\frac{1}{2}$$", 5, "proved", "under `x = 0` (line 3)"),
        ("$$r(x) = \\frac{1}{1 + e^{-kx}}$$\n\nWhen $x = 0$,\n\n$$\\lim_{k \\to \\infty} r(x) = 1$$", 5, "refuted", "`r` written out by its definition inside the limit"),
        // an instantiation: the number is checked under the values in scope
        ("$$\\text{let } \\sigma(a) = 0.2$$\n\n$$y = 1$$\n\n$$\\sigma(a) - y = -0.8$$", 5, "proved", "with `\\sigma(a) = 0.2` (line 1), `y = 1` (line 3)"),
        ("$$\\text{let } \\sigma(a) = 0.2$$\n\n$$y = 1$$\n\n$$\\sigma(a) - y = -0.7$$", 5, "refuted", "with"),
        // two samples: it must hold for one of them
        ("$$\\text{let } \\sigma(a) = [0.3, 0.6]$$\n\n$$y = [0, 1]$$\n\n$$\\sigma(a) - y = -0.4$$", 5, "proved", "2 samples"),
        // no values in scope: unknown, naming what is needed
        ("$$2p + q = 5$$", 1, "unknown", "needs values for p and q"),
        // a shadowed built-in: the document's own s is a sigmoid, not the softmax
        ("Soit $s(t) = \\frac{1}{1 + e^{-t}}$.\n\n$$\\frac{d}{dt} s(t) = s(t)(1 - s(t))$$", 3, "proved", ""),
        ("Soit $s(t) = \\frac{1}{1 + e^{-t}}$.\n\n$$\\frac{d}{dt} s(t) = s(t)^2$$", 3, "refuted", ""),
        // the document's names beat built-ins: σ as a standard deviation, an activation φ
        // the text introduces, e as the vector of ones it defines entry by entry
        ("Let $\\sigma$ be the standard deviation.\n\n$$\\frac{\\sigma^2}{\\sigma} = \\sigma$$", 3, "proved", "`σ` is the text's own name here"),
        ("Let $\\sigma$ be the standard deviation.\n\n$$\\frac{\\sigma^2}{\\sigma} = 2\\sigma$$", 3, "refuted", "`σ` is the text's own name here"),
        ("where $\\phi$ is the activation,\n\n$$\\frac{d}{da} \\phi(a) = \\phi'(a)$$", 3, "proved", "`φ` is the text's own function here"),
        ("$$\\text{Output activation} = \\phi(t) = \\tanh(t)$$\n\n$$\\frac{d}{dt} \\phi(t) = 1 - \\phi(t)$$", 3, "refuted", "as it defines it"),
        ("Let $e$ be the vector of ones:\n\n$$e_i = 1$$\n\n$$\\sum_{i=1}^n e_i x_i = \\sum_{i=1}^n x_i$$", 5, "proved", "`e_i = 1` (line 3)"),
        // a condition recalled later in the same part: not refuted, and named
        ("When $x > 0$,\n\n$$|x| = x$$\n\n$$2 = 2$$\n\n$$|x| + 0 = x$$", 7, "unknown", "stated before it"),
    ];
    for (text, line, verdict, shown) in cases {
        let rows = in_context(text);
        let row = rows.iter().find(|(l, _, _)| l == line);
        let Some((_, got, context)) = row else {
            panic!("no step at line {line} of {text:?}: {rows:?}");
        };
        assert_eq!(got, verdict, "{text:?}: {rows:?}");
        assert!(
            context.contains(shown),
            "{text:?}: {context:?} lacks {shown:?}"
        );
    }
}

#[test]
fn each_way_of_breaking_the_document_rule_leaves_the_step_unknown() {
    // (document, the line, its verdict, the assumption named): a refutation that rests
    // on what the reader assumed rather than read is `unknown`, naming the assumption
    let cases: &[(&str, usize, &str, &str)] = &[
        // letters written together split into a product the text never writes apart
        ("$$\\frac{d}{dt}(vt) = vt$$", 1, "unknown", "refuted only if `vt` means v·t"),
        // a built-in meaning for a letter the text introduces as its own
        ("where $\\phi$ is the activation,\n\n$$\\frac{d}{da} \\phi(a) = \\phi(a)(1 - \\phi(a))$$", 3, "unknown", "refuted only if `φ` may be any function"),
        // a size the reader inferred: the text never states the shape of `o`
        ("$$L = \\sum_{k=1}^m o_k^2$$\n\n$$\\frac{\\partial L}{\\partial o} \\in \\mathbb{R}^{2m}$$", 3, "unknown", "refuted only if `o` has the shape the reader inferred"),
        // a condition in the prose the reader could not attach (`c` is nowhere in the step)
        ("When $x > c$,\n\n$$|x| = x$$", 3, "unknown", "which the reader could not attach"),
        // a name the text defines in a formula the reader cannot read (`\dots`)
        ("$$\\text{where } c = \\begin{bmatrix} 1 & \\dots & 1 \\end{bmatrix}^T$$\n\n$$\\sum_{i=1}^n c_i x_i = \\sum_{i=1}^n x_i$$", 3, "unknown", "refuted only if `c` is free; the text defines it in a formula the reader could not read (line 1)"),
        // a matrix stated as a number and as a matrix in earlier sub-parts, reached
        // through a definition: its latest shape is assumed
        ("a) $A \\in \\mathbb{R}$\n\nb) Let $A \\in \\mathbb{R}^{m \\times n}$, $x \\in \\mathbb{R}^n$, $r = A x$ and $y = \\text{softplus}(r)$.\n\nc)\n\n$$\\frac{\\partial y}{\\partial r} = \\text{diag}(r)$$", 7, "unknown", "the question states it with other shapes too"),
    ];
    for (text, line, verdict, shown) in cases {
        let rows = in_context(text);
        let row = rows.iter().find(|(l, _, _)| l == line);
        let Some((_, got, context)) = row else {
            panic!("no step at line {line} of {text:?}: {rows:?}");
        };
        assert_eq!(got, verdict, "{text:?}: {rows:?}");
        assert!(
            context.contains(shown),
            "{text:?}: {context:?} lacks {shown:?}"
        );
    }
    // a name the text never defines is never judged as free: `J_{ij} = ...` defines it
    let rows = in_context("$$J_{ij} = \\frac{\\partial q_i}{\\partial u_j}$$\n\n$$2 = 1 + 1$$");
    assert!(rows.iter().all(|(l, _, _)| *l != 1), "{rows:?}");
}

#[test]
fn a_shape_statement_alone_never_overflows_the_counts() {
    // a shape label of a derivative of an undefined name, then a definition: no panic
    let report =
        check_md("$$\\frac{\\partial L}{\\partial o} \\in \\mathbb{R}^m$$\n\n$$y_k = o_k + 1$$\n");
    assert!(verdicts(&report).is_empty(), "{:?}", verdicts(&report));
}

#[test]
fn shapes_stated_in_earlier_sub_parts_carry_to_an_index_slip() {
    // the shapes of (a) and (b) hold in (c): the class `t` written as `j` is wrong
    // at every size they allow, and the counterexample is at sizes where `V g` is
    // defined
    let text = "a) $g \\in \\mathbb{R}^p$ and $V \\in \\mathbb{R}^{c \\times p}$.\n\nb) $z = V g$, $q = \\text{softmax}(z)$, $\\ell = -\\log q_t$.\n\nc)\n\n$$\\frac{\\partial \\ell}{\\partial g_j} = \\sum_{k=1}^c q_k v_{kj} - v_{tj}$$\n\n$$\\frac{\\partial \\ell}{\\partial g_j} = \\sum_{k=1}^c q_k v_{kj} - v_{jj}$$";
    let report = check_md(text);
    assert_eq!(
        verdicts(&report),
        vec![(7, "proved"), (9, "refuted")],
        "{:?}",
        report.results
    );
    let Verdict::Refuted { counterexample } = &report.results[1].verdict else {
        unreachable!()
    };
    let shown = crate::report::describe_counterexample(counterexample);
    let size = |name: &str| {
        shown
            .split(&format!("{name} = "))
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .map(str::to_string)
    };
    // `V` is c × p as stated, whatever sizes the point picked
    let (c, p) = (size("c").expect("c"), size("p").expect("p"));
    assert!(shown.contains(&format!("V = {c}×{p}")), "{shown}");
}

#[test]
fn formulas_the_text_leaves_ambiguous_are_not_read_and_say_why() {
    // (document, a piece of the located warning): nothing of it is judged
    let cases: &[(&str, &str)] = &[
        // beside a derivative by `u`, `x(u)` is `x` applied to `u` or `x·u`: as a
        // product d/du would give x, as a function x'(u)
        (
            "$$\\frac{d}{du} x(u) = x$$",
            "`x(u)` may be `x` applied to `u` or the product `x·u`",
        ),
        (
            "$$\\nabla_u f(u) = f$$",
            "a derivative by `u` is taken here",
        ),
        // the probability of an event has no value as read
        ("$$P(y=0) = \\frac{1}{2}$$", "`P` of an event"),
        // `E_j` defined by a sum over an index its body never writes: no weights read
        (
            "$$E_j[v_j] = \\sum_i v_j q_j$$\n\n$$E_j[v_j] = 1$$",
            "`E_j[..]` is not read: the text defines it at line 1 by a sum over `i`",
        ),
    ];
    for (text, shown) in cases {
        let report = check_md(text);
        assert!(
            report.results.is_empty(),
            "{text:?}: {:?}",
            verdicts(&report)
        );
        assert!(
            report.diagnostics.iter().any(|d| d.message.contains(shown)),
            "{text:?}: {:?}",
            report.diagnostics
        );
    }
    // without a derivative by `u` either reading gives the same values
    let report = check_md("$$x(u) + 1 = 1 + x(u)$$");
    assert_eq!(verdicts(&report), vec![(1, "proved")]);
}

#[test]
fn a_heading_keeps_the_text_going_and_a_question_starts_anew() {
    // (document, the line, its verdict; "none" when the line is not judged)
    let cases: &[(&str, usize, &str)] = &[
        // a definition under `## Forward pass` is used under `## Backward pass`
        ("## Forward pass\n\n$$h := 3u + 1$$\n\n## Backward pass\n\n$$\\frac{d h}{d u} = 3u$$", 7, "refuted"),
        ("## Forward pass\n\n$$h := 3u + 1$$\n\n## Backward pass\n\n$$\\frac{d h}{d u} = 3$$", 7, "proved"),
        // shapes stated under `## Setup` hold under later headings
        ("## Setup\n\nLet $x \\in \\mathbb{R}^{d}$, $W \\in \\mathbb{R}^{m \\times d}$.\n\n## Forward\n\n$$z = W x$$\n\n$$L = \\frac{1}{2}\\|z\\|^2$$\n\n## Backward\n\n$$\\frac{\\partial L}{\\partial W} = z x^\\top$$", 13, "proved"),
        // a heading naming a new question starts anew: `h` has no definition there
        ("## Problem 1\n\n$$h := 3u + 1$$\n\n## Problem 2\n\n$$\\frac{d h}{d u} = 3u$$", 7, "none"),
        ("## Forward\n\n$$h := 3u + 1$$\n\nQ2\n\n$$\\frac{d h}{d u} = 3u$$", 7, "none"),
        // a function defined under an earlier heading is defined anew, not claimed
        ("## Sigmoid\n\n$$f(t) = \\frac{1}{1 + e^{-t}}$$\n\n## Tanh\n\n$$f(t) = \\tanh(t)$$\n\n$$f'(t) = 1 - f(t)^2$$", 7, "none"),
        ("## Sigmoid\n\n$$f(t) = \\frac{1}{1 + e^{-t}}$$\n\n## Tanh\n\n$$f(t) = \\tanh(t)$$\n\n$$f'(t) = 1 - f(t)^2$$", 9, "proved"),
        // ... but written twice under one heading it is a claim
        ("## Sigmoid\n\n$$f(t) = \\frac{1}{1 + e^{-t}}$$\n\n$$f(t) = \\tanh(t)$$", 5, "refuted"),
        // a condition ends at a heading, as at a sub-part
        ("When $x > 0$,\n\n$$|x| = x$$\n\n## Next\n\n$$|x| + 0 = x$$", 7, "refuted"),
    ];
    for (text, line, verdict) in cases {
        let rows = in_context(text);
        let got = rows
            .iter()
            .find(|(l, _, _)| l == line)
            .map_or("none", |(_, v, _)| *v);
        assert_eq!(got, *verdict, "line {line} of {text:?}: {rows:?}");
    }
}

#[test]
fn the_identity_beside_matrices_is_read_where_the_text_leaves_it_so() {
    let shapes = "Let $X \\in \\mathbb{R}^{n \\times d}$, $y \\in \\mathbb{R}^n$ and $w \\in \\mathbb{R}^{d}$.\n\n";
    // (the math after the shapes, its verdict, a piece of what the report shows)
    let cases: &[(&str, &str, &str)] = &[
        (
            "$$(X^\\top X + \\lambda I) w = X^\\top X w + \\lambda w$$",
            "proved",
            "`I` read as the identity matrix",
        ),
        (
            "$$(X^\\top X + 2\\lambda I) w = X^\\top X w + \\lambda w$$",
            "refuted",
            "`I` read as the identity matrix",
        ),
        (
            "$$(X^\\top X + \\lambda I_d) w - X^\\top y = X^\\top (X w - y) + \\lambda w$$",
            "proved",
            "`I_d`",
        ),
        ("$$I w = w$$", "proved", "identity"),
        // an identity with no product around it is not read: never refuted
        (
            "$$X^\\top X + \\lambda I = X^\\top X$$",
            "unknown",
            "refuted only if `I` is a number",
        ),
        // one `I` only beside numbers may be the text's own number: none is read
        (
            "$$\\nabla_w \\left(\\frac{I}{2} \\|w\\|^2\\right) = \\frac{I}{2} \\cdot 2 I w$$",
            "unknown",
            "refuted only if `I` is a number",
        ),
    ];
    for (math, verdict, shown) in cases {
        let text = format!("{shapes}{math}");
        let rows = in_context(&text);
        let Some((_, got, context)) = rows.iter().find(|(l, _, _)| *l == 3) else {
            panic!("no step at line 3 of {text:?}: {rows:?}");
        };
        assert_eq!(got, verdict, "{text:?}: {rows:?}");
        assert!(
            context.contains(shown),
            "{text:?}: {context:?} lacks {shown:?}"
        );
    }
    // a text that makes `I` its own name: never the identity
    let text = format!("{shapes}Let $I$ denote the input current.\n\n$$I w = w$$");
    let rows = in_context(&text);
    assert!(
        rows.iter().any(|(l, v, _)| *l == 5 && *v == "unknown"),
        "{rows:?}"
    );
}

#[test]
fn notes_over_equals_and_under_braces_are_read() {
    // (document, verdicts of its steps in order)
    let cases: &[(&str, &[(usize, &str)])] = &[
        // a reason over `=` makes an ordinary step; `def` over it, a definition
        (
            "$$\\sigma(x)(1-\\sigma(x)) \\overset{(a)}{=} \\sigma(x)^2$$",
            &[(1, "refuted")],
        ),
        (
            "$$e^{\\ln x} \\stackrel{\\text{chain rule}}{=} x$$",
            &[(1, "checked")],
        ),
        (
            "$$f(x) \\stackrel{\\text{def}}{=} x^2$$\n\n$$f(2) = 4$$",
            &[(3, "proved")],
        ),
        (
            "$$f(x) \\overset{\\Delta}{=} x^2$$\n\n$$f(2) = 5$$",
            &[(3, "refuted")],
        ),
        // an underbrace reads as its body; a note `= v` is a claim about the body
        (
            "$$\\underbrace{(a+b)^2}_{=\\,a^2+2ab+b^2} = a^2 + 2ab + b^2$$",
            &[(1, "proved"), (1, "proved")],
        ),
        (
            "$$\\underbrace{(a+b)^2}_{=\\,a^2+b^2} - 2ab = a^2 - b^2$$",
            &[(1, "refuted"), (1, "refuted")],
        ),
        (
            "$$\\overbrace{\\frac{d}{dx} x^2}^{= 2x} + 1 = 2x + 1$$",
            &[(1, "proved"), (1, "proved")],
        ),
        // a note naming the body with a letter used nowhere else is no claim
        (
            "$$\\underbrace{(a+b)}_{=\\,c}^2 = a^2 + 2ab + b^2$$",
            &[(1, "proved")],
        ),
    ];
    for (text, expected) in cases {
        let report = check_md(text);
        let got: Vec<(usize, &str)> = verdicts(&report);
        let want: Vec<(usize, &str)> = expected.to_vec();
        assert_eq!(got, want, "{text}");
    }
}

#[test]
fn a_warning_is_said_once_per_document_with_the_places_it_applies_to() {
    // (document, the warning, how many times it is printed, the note it carries)
    let cases: &[(&str, &str, usize, &str)] = &[
        // one place met by two readings of its chain: once, no note
        ("Let $z \\in \\mathbb{R}^n$.\n\n$$\\frac{d}{dz} \\sigma(z) = \\sigma(z)(1 - \\sigma(z))$$", "not checked", 1, ""),
        // two places: once, at the first, naming the second
        ("$$\\frac{\\partial L}{\\partial z} = z$$\n\n$$\\frac{\\partial L}{\\partial w} = w$$", "has no definition here", 1, "also at line 3"),
    ];
    for (text, message, count, note) in cases {
        let report = check_md(text);
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.message.contains(message))
            .collect();
        assert_eq!(found.len(), *count, "{text:?}: {:?}", report.diagnostics);
        let also: Vec<&String> = found[0]
            .notes
            .iter()
            .filter(|n| n.starts_with("also"))
            .collect();
        assert!(
            also.iter().all(|n| n == note) && also.is_empty() == note.is_empty(),
            "{text:?}: {:?}",
            found[0].notes
        );
    }
}

#[test]
fn a_condition_written_after_a_formula_is_the_formula_s_own() {
    const SOFTMAX: &str =
        "Let $o \\in \\mathbb{R}^K$ and $p_j = \\frac{e^{o_j}}{\\sum_k e^{o_k}}$.\n\n";
    // (the formula after the definitions, the verdict of its one step)
    let cases: &[(&str, &str)] = &[
        ("$$\\frac{\\partial p_j}{\\partial o_i} = -p_i p_j, \\quad i \\neq j$$", "proved"),
        ("$$\\frac{\\partial p_j}{\\partial o_i} = -p_i p_j, \\quad \\text{if } i \\neq j$$", "proved"),
        ("$$\\frac{\\partial p_j}{\\partial o_i} = -p_i p_j \\qquad (i \\neq j)$$", "proved"),
        ("$$\\frac{\\partial p_j}{\\partial o_i} = -p_i p_j, \\text{ when } i \\ne j$$", "proved"),
        // (the prover does not substitute `i = j`; the samples under it agree)
        ("$$\\frac{\\partial p_j}{\\partial o_i} = p_i (1 - p_i), \\quad i = j$$", "checked"),
        // the condition is used, not ignored: wrong under it stays refuted
        ("$$\\frac{\\partial p_j}{\\partial o_i} = -p_i p_j, \\quad i = j$$", "refuted"),
        ("$$\\frac{\\partial p_j}{\\partial o_i} = p_i (1 - p_i), \\quad i \\neq j$$", "refuted"),
        // without a condition the case formula is wrong
        ("$$\\frac{\\partial p_j}{\\partial o_i} = -p_i p_j$$", "refuted"),
        // colours and an empty script are only looks
        ("$$\\frac{\\partial p_j}{\\partial o_i} = {\\color{red}{-p_i}} \\textcolor{blue}{p_j}, \\quad i \\neq j$$", "proved"),
        ("$$\\sum_{i}^{ } p_i = 1$$", "proved"),
    ];
    for (formula, want) in cases {
        let text = format!("{SOFTMAX}{formula}\n");
        let report = check_md(&text);
        let got: Vec<&str> = report.results.iter().map(|r| r.verdict.word()).collect();
        assert_eq!(got, vec![*want], "{formula}");
    }
}

#[test]
fn a_bound_on_a_name_said_in_passing_holds_for_the_counterexample() {
    // "and $\varepsilon > 0$": the refutation stands, at a point where ε > 0
    let text = "Let $v \\geq 0$ and $\\varepsilon > 0$.\n\n\
                $$\\frac{d}{dv} (v+\\varepsilon)^{-1/2} = -\\tfrac{1}{2}(v+\\varepsilon)^{-1/2}$$\n";
    let rows = in_context(text);
    assert!(
        rows.iter().any(|(l, v, c)| *l == 3
            && *v == "refuted"
            && c.contains("under `\\varepsilon > 0` (line 1)")),
        "{rows:?}"
    );
    // a bound after "if" is a condition of what follows, not a standing one
    let rows = in_context("If $x > 0$, then\n\n$$|x| = x$$\n\nand in general\n\n$$|x| = x$$\n");
    let verdicts: Vec<&str> = rows.iter().map(|(_, v, _)| *v).collect();
    // (a standing bound would have proved the second; recalled, it is unknown)
    assert_eq!(verdicts, ["proved", "unknown"], "{rows:?}");
}

#[test]
fn a_built_in_letter_written_bare_on_the_left_is_the_text_s_definition() {
    // `H = ...` defines the text's entropy, not a claim about the Heaviside step
    let text = "Let $p \\in \\mathbb{R}^n$.\n\n$$H = -\\sum_i p_i \\log p_i$$\n\n\
                $$\\frac{\\partial H}{\\partial p_j} = -\\log p_j - 1$$\n\n\
                $$\\frac{\\partial H}{\\partial p_j} = -\\log p_j$$\n";
    let report = check_md(text);
    assert_eq!(verdicts(&report), vec![(5, "proved"), (7, "refuted")]);
}
