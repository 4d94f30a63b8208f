//! A document's own LaTeX typeset as MathML through `pulldown-latex`: the
//! formulas of its prose, and a step nabla could not give its own reading of.
//! Anything the crate reports as an error, or past the size and nesting
//! bounds below, is `None`, and the caller shows the TeX as code instead.

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{push_mathml, Parser, RenderConfig, Storage};

/// Longest formula typeset (bytes); a longer one is shown as written.
const MAX_TEX_BYTES: usize = 4_000;
/// Deepest `{`/`\left` nesting typeset: the crate renders recursively.
const MAX_TEX_DEPTH: usize = 64;

/// `tex` as one `<math>` element (`display` for a formula set apart), or
/// `None` when it cannot be typeset without an error.
pub fn mathml(tex: &str, display: bool) -> Option<String> {
    if tex.trim().is_empty() || tex.len() > MAX_TEX_BYTES || depth(tex) > MAX_TEX_DEPTH {
        return None;
    }
    let storage = Storage::new();
    let events = Parser::new(tex, &storage)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let config = RenderConfig {
        display_mode: if display {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        ..RenderConfig::default()
    };
    let mut out = String::new();
    push_mathml(
        &mut out,
        events.into_iter().map(Ok::<_, pulldown_latex::ParserError>),
        config,
    )
    .ok()?;
    // an error the parser let through is drawn as <merror>: not typeset
    (!out.contains("<merror")).then_some(out)
}

/// The deepest nesting of groups in `tex` (`{`, `\left`, `\begin`).
fn depth(tex: &str) -> usize {
    let (mut now, mut most) = (0usize, 0usize);
    let mut rest = tex;
    while let Some(c) = rest.chars().next() {
        let open = c == '{' || rest.starts_with("\\left") || rest.starts_with("\\begin");
        let close = c == '}' || rest.starts_with("\\right") || rest.starts_with("\\end");
        if rest.starts_with("\\{") || rest.starts_with("\\}") {
            rest = &rest[2..];
            continue;
        }
        if open {
            now += 1;
            most = most.max(now);
        } else if close {
            now = now.saturating_sub(1);
        }
        rest = &rest[c.len_utf8()..];
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typesets_or_declines() {
        let cases: &[(&str, bool, Option<&str>)] = &[
            // (tex, display, a piece of the MathML, or None: shown as code)
            (r"\sigma(-x) = 1 - \sigma(x)", false, Some("<mi>σ</mi>")),
            (r"\frac{d}{dx} x^2 = 3x", true, Some("<mfrac>")),
            (r"x \in \mathbb{R}", false, Some("ℝ")),
            (
                r"\begin{align} a &= b \\ &= c \end{align}",
                true,
                Some("<mtable"),
            ),
            (r"\frac{1}{", false, None),
            (r"\undefinedcommand{x}", false, None),
            ("", false, None),
        ];
        for (tex, display, piece) in cases {
            let got = mathml(tex, *display);
            match piece {
                Some(p) => {
                    let got = got.unwrap_or_else(|| panic!("{tex}: not typeset"));
                    assert!(got.starts_with("<math"), "{tex}: {got}");
                    assert!(got.contains(p), "{tex}: {got}");
                    assert_eq!(got.contains("display=\"block\""), *display, "{tex}: {got}");
                }
                None => assert_eq!(got, None, "{tex}"),
            }
        }
    }

    // any token soup a document may hold is typeset or declined, never a panic
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics(tokens in proptest::collection::vec(proptest::sample::select(vec![
            "x", "2", "{", "}", "^", "_", "\\frac", "\\sqrt", "\\left(", "\\right)", "(", ")",
            "&", "\\\\", "\\begin{align}", "\\end{align}", "\\begin{pmatrix}", "\\end{pmatrix}",
            "\\text{", "\\operatorname{", "\\mathbb{", "'", "\\sum", "\\int", "\\over", "#", "%",
            "\\", "\\left.", "\\middle|", "\\hat", "\\\\[2pt]", " ", "\\limits", "\\color{red}",
        ]), 0..24)) {
            let tex: String = tokens.concat();
            let _ = mathml(&tex, false);
            let _ = mathml(&tex, true);
        }
    }

    #[test]
    fn deep_nesting_is_shown_as_written() {
        let deep = format!("{}x{}", "{".repeat(200), "}".repeat(200));
        assert_eq!(mathml(&deep, false), None);
        assert_eq!(depth(r"\{ {a} \}"), 1);
    }
}
