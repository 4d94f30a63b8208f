//! Finding the math in a document: `$$..$$`, `$..$`, `\[..\]` in Markdown;
//! `equation`, `align`, `gather`, `multline` environments, `\[..\]` and `$`/`$$` in LaTeX.

use crate::span::Span;

/// How a document is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DocKind {
    Markdown,
    Latex,
}

impl DocKind {
    /// The kind a file name implies: `.md`/`.markdown`/`.txt` (plain notes with `$` math)
    /// and `.tex`; `None` for anything else (read as a derivation file).
    pub fn from_path(path: &std::path::Path) -> Option<DocKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" | "txt" => Some(DocKind::Markdown),
            "tex" | "latex" => Some(DocKind::Latex),
            _ => None,
        }
    }

    /// "Markdown file", "LaTeX file".
    pub fn describe(self) -> &'static str {
        match self {
            DocKind::Markdown => "Markdown file",
            DocKind::Latex => "LaTeX file",
        }
    }
}

/// One piece of math in a document.
#[derive(Clone, Debug, PartialEq)]
pub struct MathBlock {
    /// The whole block with its delimiters (byte offsets in the document).
    pub span: Span,
    /// The math between the delimiters.
    pub body_span: Span,
    pub body: String,
    /// `$$..$$`, `\[..\]` and environments; `false` for inline `$..$`.
    pub display: bool,
}

const ENVIRONMENTS: &[&str] = &[
    "equation*",
    "equation",
    "align*",
    "align",
    "gather*",
    "gather",
    "multline*",
    "multline",
    "eqnarray*",
    "eqnarray",
];

/// Every math block of `text`, in document order.
pub fn find_math(text: &str, kind: DocKind) -> Vec<MathBlock> {
    let bytes = text.as_bytes();
    let mut blocks = Vec::new();
    let mut k = 0;
    let mut line_start = true;
    while k < bytes.len() {
        if !text.is_char_boundary(k) {
            k += 1;
            continue;
        }
        let rest = &text[k..];
        let c = bytes[k];
        if kind == DocKind::Markdown && line_start && rest.starts_with("```") {
            // a fenced code block holds no math
            let after = k + 3;
            k = match text[after..].find("\n```") {
                Some(end) => after + end + 4,
                None => bytes.len(),
            };
            continue;
        }
        line_start = c == b'\n';
        if kind == DocKind::Markdown && c == b'`' {
            k = match text[k + 1..].find('`') {
                Some(end) if !text[k + 1..k + 1 + end].contains('\n') => k + end + 2,
                _ => k + 1,
            };
            continue;
        }
        if kind == DocKind::Latex && c == b'%' {
            k = text[k..].find('\n').map_or(bytes.len(), |e| k + e);
            continue;
        }
        if c == b'\\' {
            if rest.starts_with("\\$") {
                k += 2;
                continue;
            }
            if rest.starts_with("\\[") {
                if let Some(end) = text[k + 2..].find("\\]") {
                    push(&mut blocks, text, k, k + 2, k + 2 + end, k + 4 + end, true);
                    k = k + 4 + end;
                    continue;
                }
            }
            if kind == DocKind::Latex && rest.starts_with("\\begin{") {
                if let Some(env) = ENVIRONMENTS
                    .iter()
                    .find(|e| rest[7..].starts_with(&format!("{e}}}")))
                {
                    let open_end = k + 7 + env.len() + 1;
                    let close = format!("\\end{{{env}}}");
                    if let Some(end) = text[open_end..].find(&close) {
                        let body_end = open_end + end;
                        let block_end = body_end + close.len();
                        // `align` rows are `&=` chains just like `aligned`
                        push(&mut blocks, text, k, open_end, body_end, block_end, true);
                        k = block_end;
                        continue;
                    }
                }
            }
            k += 1;
            continue;
        }
        if c == b'$' {
            if rest.starts_with("$$") {
                if let Some(end) = text[k + 2..].find("$$") {
                    push(&mut blocks, text, k, k + 2, k + 2 + end, k + 4 + end, true);
                    k = k + 4 + end;
                    continue;
                }
                k += 2;
                continue;
            }
            // inline math ends on the same line
            let line_end = text[k + 1..].find('\n').map_or(bytes.len(), |e| k + 1 + e);
            if let Some(end) = find_unescaped_dollar(&text[k + 1..line_end]) {
                push(&mut blocks, text, k, k + 1, k + 1 + end, k + 2 + end, false);
                k = k + 2 + end;
                continue;
            }
        }
        k += 1;
    }
    blocks
}

fn find_unescaped_dollar(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b'$' && (i == 0 || bytes[i - 1] != b'\\'))
}

fn push(
    blocks: &mut Vec<MathBlock>,
    text: &str,
    start: usize,
    body_start: usize,
    body_end: usize,
    end: usize,
    display: bool,
) {
    blocks.push(MathBlock {
        span: Span::new(start, end),
        body_span: Span::new(body_start, body_end),
        body: text[body_start..body_end].to_string(),
        display,
    });
}
