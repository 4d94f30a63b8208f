//! Finding the math in a document. Markdown is parsed by a CommonMark parser
//! (`pulldown-cmark` with its math extension), so code blocks, code spans and
//! HTML (comments included) are never read: its `$..$` and `$$..$$`, ```` ```math ````
//! fences, and in prose `\(..\)`, `\[..\]` and bare `\begin{align}` (`equation`,
//! `gather`, ...) blocks, and formulas encoded in image URLs. LaTeX is scanned by
//! hand: environments, `\[..\]` and `$`/`$$`, `%` comments skipped. A Jupyter
//! notebook is its Markdown cells, read as one Markdown text.

use crate::span::{Cell, Span};

/// How a document is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DocKind {
    Markdown,
    Latex,
    /// A Jupyter notebook: its Markdown cells, read as Markdown.
    Notebook,
}

impl DocKind {
    /// The kind a file name implies: `.md`/`.markdown`/`.txt` (plain notes with `$` math)
    /// and `.tex`; `None` for anything else (read as a derivation file).
    pub fn from_path(path: &std::path::Path) -> Option<DocKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" | "txt" => Some(DocKind::Markdown),
            "tex" | "latex" => Some(DocKind::Latex),
            "ipynb" => Some(DocKind::Notebook),
            _ => None,
        }
    }

    /// "Markdown file", "LaTeX file".
    pub fn describe(self) -> &'static str {
        match self {
            DocKind::Markdown => "Markdown file",
            DocKind::Latex => "LaTeX file",
            DocKind::Notebook => "notebook",
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
    /// The body was decoded (a formula in an image URL): it is not a slice of the
    /// document, and everything read from it is located at `span`, the image.
    pub decoded: bool,
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
    match kind {
        DocKind::Markdown | DocKind::Notebook => find_markdown_math(text),
        DocKind::Latex => find_latex_math(text, kind),
    }
}

/// Every math block of a document's source: a notebook's cell by cell, any
/// other document's as one text.
pub fn document_math(source: &crate::span::SourceFile, kind: DocKind) -> Vec<MathBlock> {
    if source.cells.is_empty() {
        find_math(&source.text, kind)
    } else {
        find_math_in_cells(&source.text, &source.cells)
    }
}

/// The math of a notebook's text: each cell on its own (an unclosed fence in
/// one cell never swallows the next), spans in the whole text.
pub fn find_math_in_cells(text: &str, cells: &[Cell]) -> Vec<MathBlock> {
    let mut blocks = Vec::new();
    for (k, cell) in cells.iter().enumerate() {
        let end = cells.get(k + 1).map_or(text.len(), |c| c.offset);
        let Some(cell_text) = text.get(cell.offset..end) else {
            continue;
        };
        for mut block in find_markdown_math(cell_text) {
            block.span = block.span.shift(cell.offset);
            block.body_span = block.body_span.shift(cell.offset);
            blocks.push(block);
        }
    }
    blocks
}

/// The math of a LaTeX document (and, before Markdown had a parser, of Markdown).
fn find_latex_math(text: &str, kind: DocKind) -> Vec<MathBlock> {
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
        decoded: false,
    });
}

// ----- Markdown -----

/// Byte ranges no math is read from: code blocks, code spans, HTML.
type Ranges = Vec<std::ops::Range<usize>>;

fn markdown_math_blocks(text: &str) -> (Vec<MathBlock>, Ranges) {
    use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_MATH | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut blocks = Vec::new();
    let mut excluded: Ranges = Vec::new();
    // the fenced ```math block being read: its content's first and last byte
    let mut math_fence: Option<Option<(usize, usize)>> = None;
    let mut in_code = false;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::InlineMath(_) | Event::DisplayMath(_) => {
                let display = matches!(event, Event::DisplayMath(_));
                let open = if display { 2 } else { 1 };
                if range.end >= range.start + 2 * open {
                    push_markdown(&mut blocks, text, range.clone(), open, display);
                }
                excluded.push(range);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code = true;
                let is_math = matches!(&kind, CodeBlockKind::Fenced(info)
                    if info.split_whitespace().next() == Some("math"));
                if is_math {
                    math_fence = Some(None);
                }
                excluded.push(range);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                if let Some(Some((start, end))) = math_fence.take() {
                    let body = blank_container_marks(&text[start..end]);
                    blocks.push(MathBlock {
                        span: Span::new(start, end),
                        body_span: Span::new(start, end),
                        body,
                        display: true,
                        decoded: false,
                    });
                }
                math_fence = None;
            }
            Event::Text(_) if in_code => {
                if let Some(fence) = &mut math_fence {
                    let (start, _) = fence.unwrap_or((range.start, range.end));
                    *fence = Some((start, range.end));
                }
            }
            Event::Code(_) | Event::Html(_) | Event::InlineHtml(_) => {
                if let Some(url) = img_src(&text[range.clone()]) {
                    push_decoded(&mut blocks, &url, range.clone());
                }
                excluded.push(range);
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                push_decoded(&mut blocks, &dest_url, range.clone());
                excluded.push(range);
            }
            Event::Start(Tag::HtmlBlock) => excluded.push(range),
            _ => {}
        }
    }
    (blocks, excluded)
}

fn push_markdown(
    blocks: &mut Vec<MathBlock>,
    text: &str,
    range: std::ops::Range<usize>,
    open: usize,
    display: bool,
) {
    let (body_start, body_end) = (range.start + open, range.end - open);
    if !text.is_char_boundary(body_start) || !text.is_char_boundary(body_end) {
        return;
    }
    blocks.push(MathBlock {
        span: Span::new(range.start, range.end),
        body_span: Span::new(body_start, body_end),
        body: blank_container_marks(&text[body_start..body_end]),
        display,
        decoded: false,
    });
}

/// Math inside a block quote or a list item spans lines that start with `>` or
/// indentation: those marks become spaces, so offsets stay the document's.
fn blank_container_marks(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for (k, line) in body.split_inclusive('\n').enumerate() {
        if k == 0 {
            out.push_str(line);
            continue;
        }
        let marks = line
            .char_indices()
            .find(|&(_, c)| !(c == '>' || c == ' ' || c == '\t'))
            .map_or(line.len(), |(i, _)| i);
        let quoted = line[..marks].contains('>');
        if quoted {
            out.extend(std::iter::repeat_n(' ', marks));
            out.push_str(&line[marks..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The math of a Markdown document, in document order: what the CommonMark parser
/// finds, then `\(..\)`, `\[..\]` and bare environments in the prose around it.
fn find_markdown_math(text: &str) -> Vec<MathBlock> {
    let (mut blocks, excluded) = markdown_math_blocks(text);
    let excluded = merge(excluded);
    // whether `start..end` touches code, HTML or math already found (binary search)
    let touches = |start: usize, end: usize| {
        let k = excluded.partition_point(|r| r.end <= start);
        excluded
            .get(k)
            .is_some_and(|r| r.start < end.max(start + 1))
    };
    let bytes = text.as_bytes();
    // once a closer is missing it is missing for every later opener too: no rescans
    let mut unclosed: Vec<&'static str> = Vec::new();
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k] != b'\\' || touches(k, k + 1) {
            k += 1;
            continue;
        }
        let rest = &text[k..];
        let pair = if rest.starts_with("\\(") {
            Some(("\\)", false))
        } else if rest.starts_with("\\[") {
            Some(("\\]", true))
        } else {
            None
        };
        if let Some((close, display)) = pair.filter(|(c, _)| !unclosed.contains(c)) {
            match text[k + 2..].find(close) {
                Some(end) => {
                    let body_end = k + 2 + end;
                    if !touches(k + 2, body_end) {
                        push(&mut blocks, text, k, k + 2, body_end, body_end + 2, display);
                        k = body_end + 2;
                        continue;
                    }
                }
                None => unclosed.push(close),
            }
        }
        if rest.starts_with("\\begin{") {
            if let Some(((open_end, body_end), end)) = bare_environment(text, k, &mut unclosed) {
                push(&mut blocks, text, k, open_end, body_end, end, true);
                k = end;
                continue;
            }
        }
        k += 1;
    }
    blocks.sort_by_key(|b| b.span.start);
    blocks
}

/// The ranges sorted by start, overlapping ones merged.
fn merge(mut ranges: Ranges) -> Ranges {
    ranges.sort_by_key(|r| r.start);
    let mut out: Ranges = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// `\begin{align} .. \end{align}` at `k` in Markdown prose: ((body start, body
/// end), block end).
fn bare_environment(
    text: &str,
    k: usize,
    unclosed: &mut Vec<&'static str>,
) -> Option<((usize, usize), usize)> {
    let rest = text[k..].strip_prefix("\\begin{")?;
    let env = ENVIRONMENTS
        .iter()
        .find(|e| rest.starts_with(&format!("{e}}}")))?;
    if unclosed.contains(env) {
        return None;
    }
    let open_end = k + 7 + env.len() + 1;
    let close = format!("\\end{{{env}}}");
    let Some(end) = text[open_end..].find(&close) else {
        unclosed.push(env);
        return None;
    };
    Some(((open_end, open_end + end), open_end + end + close.len()))
}

/// A formula encoded in an image URL (`https://latex.codecogs.com/svg.latex?..`,
/// `..render/math?math=..`, `..chart?cht=tx&chl=..`): the decoded LaTeX, read as
/// display math located at the image.
fn push_decoded(blocks: &mut Vec<MathBlock>, url: &str, range: std::ops::Range<usize>) {
    let Some(body) = formula_in_url(url) else {
        return;
    };
    blocks.push(MathBlock {
        span: Span::new(range.start, range.end),
        body_span: Span::new(range.start, range.end),
        body,
        display: true,
        decoded: true,
    });
}

/// The `src` of an `<img>` tag.
fn img_src(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let tag = lower.find("<img")?;
    let src = tag + lower[tag..].find("src=")? + 4;
    let quote = html[src..].chars().next()?;
    if quote == '"' || quote == '\'' {
        let end = html[src + 1..].find(quote)?;
        Some(html[src + 1..src + 1 + end].to_string())
    } else {
        let end = html[src..]
            .find(|c: char| c.is_whitespace() || c == '>')
            .unwrap_or(html.len() - src);
        Some(html[src..src + end].to_string())
    }
}

/// The LaTeX an equation-rendering URL carries, decoded; `None` for other URLs.
pub fn formula_in_url(url: &str) -> Option<String> {
    let (base, query) = url.split_once('?')?;
    let base = base.to_ascii_lowercase();
    let encoded = if base.contains("codecogs.com") {
        // `svg.latex?\dpi{110}&space;x^2`: the whole query is the formula
        query.to_string()
    } else if base.contains("render/math") || base.contains("chart.googleapis.com") {
        let value = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("math=").or_else(|| kv.strip_prefix("chl=")))?;
        value.replace('+', " ")
    } else {
        return None;
    };
    let decoded = percent_encoding::percent_decode_str(&encoded)
        .decode_utf8()
        .ok()?
        .into_owned();
    // the editors' own escapes for characters a URL cannot hold
    let decoded = decoded
        .replace("&space;", " ")
        .replace("&plus;", "+")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    // rendering options, not math
    let mut body = decoded.trim().to_string();
    for option in [
        "\\dpi{",
        "\\bg_white",
        "\\bg{",
        "\\inline",
        "\\large",
        "\\fn_cm",
    ] {
        while let Some(at) = body.find(option) {
            let end = if option.ends_with('{') {
                body[at..].find('}').map_or(body.len(), |e| at + e + 1)
            } else {
                at + option.len()
            };
            body.replace_range(at..end, "");
        }
    }
    let body = body.trim().to_string();
    (!body.is_empty()).then_some(body)
}

// ----- notebooks -----

/// The Markdown cells of a Jupyter notebook as one text (cells separated by a
/// blank line), with where each starts; code and raw cells are never read.
pub fn notebook_markdown(json: &str) -> Result<(String, Vec<Cell>), String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not a notebook: invalid JSON ({e})"))?;
    let cells = value
        .get("cells")
        .and_then(|c| c.as_array())
        .ok_or("not a notebook: no `cells` list")?;
    let mut text = String::new();
    let mut starts = Vec::new();
    for (k, cell) in cells.iter().enumerate() {
        if cell.get("cell_type").and_then(|t| t.as_str()) != Some("markdown") {
            continue;
        }
        let source = match cell.get("source") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Array(lines)) => {
                lines.iter().filter_map(|l| l.as_str()).collect::<String>()
            }
            _ => continue,
        };
        starts.push(Cell {
            offset: text.len(),
            number: k + 1,
        });
        text.push_str(&source);
        // a blank line, so no block runs from one cell into the next
        text.push_str(if source.ends_with('\n') { "\n" } else { "\n\n" });
    }
    Ok((text, starts))
}
