//! Shapes the prose states in words: "$\mathbf z$ is a vector of length $D$",
//! "an $m \times n$ matrix $W$", "$x$ est un vecteur de taille $n$". Each becomes
//! the statement the math would have written (`\mathbf z \in \mathbb{R}^{D}`),
//! placed right after the phrase, so the reader treats it like one written inline.

use super::find::MathBlock;
use crate::span::Span;

/// A shape stated in words: the statement it stands for, located at the phrase.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Worded {
    /// From the first name to the last size.
    pub(super) span: Span,
    /// `\mathbf{z} \in \mathbb{R}^{D}`.
    pub(super) latex: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Item<'a> {
    Word(&'a str),
    Comma,
    Math(&'a MathBlock),
    /// The end of a sentence, a blank line or a display formula.
    Break,
}

const ARTICLES: &[&str] = &["a", "an", "un", "une", "una"];
const COPULAS: &[&str] = &[
    "is",
    "are",
    "be",
    "denotes",
    "denote",
    "represents",
    "est",
    "sont",
    "es",
    "son",
    "sea",
    "soit",
    "soient",
];
const VECTOR_WORDS: &[&str] = &["vector", "vectors", "vecteur", "vecteurs", "vectores"];
const MATRIX_WORDS: &[&str] = &["matrix", "matrices", "matrice", "matriz"];
const OF_WORDS: &[&str] = &["of", "with", "de", "con", "having"];
const SIZE_WORDS: &[&str] = &[
    "length",
    "size",
    "dimension",
    "dimensions",
    "dim",
    "shape",
    "taille",
    "longueur",
    "tamaño",
    "longitud",
    "dimensión",
    "forme",
];
const ENTRY_WORDS: &[&str] = &[
    "entries",
    "components",
    "elements",
    "coordinates",
    "composantes",
    "éléments",
    "componentes",
];
/// Words that end the run of words between the copula and "vector": the phrase
/// speaks of something else ("the size of the vector $x$", "an entry of a vector").
const STOP_WORDS: &[&str] = &[
    "not",
    "no",
    "entry",
    "entries",
    "element",
    "elements",
    "component",
    "components",
    "size",
    "length",
    "dimension",
    "sum",
    "norm",
    "mean",
    "each",
    "every",
    "of",
    "in",
    "number",
    "index",
    "function",
    "derivative",
    "part",
    "pas",
    "ne",
    "de",
    "du",
    "des",
    "del",
    "función",
];

/// The shapes the prose around the inline formulas of `text` states.
pub(super) fn worded_shapes(text: &str, blocks: &[MathBlock]) -> Vec<Worded> {
    let items = items(text, blocks);
    let mut out = Vec::new();
    for k in 0..items.len() {
        if let Some(found) = after_copula(&items, k).or_else(|| before_name(&items, k)) {
            if !out.contains(&found) {
                out.push(found);
            }
        }
    }
    out
}

/// The document as words, commas, inline formulas and breaks.
fn items<'a>(text: &'a str, blocks: &'a [MathBlock]) -> Vec<Item<'a>> {
    let mut out = Vec::new();
    let mut from = 0usize;
    for block in blocks {
        let start = (block.span.start as usize).min(text.len());
        if start < from {
            continue;
        }
        words(text.get(from..start).unwrap_or(""), &mut out);
        out.push(if block.display || block.decoded {
            Item::Break
        } else {
            Item::Math(block)
        });
        from = (block.span.end as usize).clamp(start, text.len());
    }
    words(text.get(from..).unwrap_or(""), &mut out);
    out
}

fn words<'a>(prose: &'a str, out: &mut Vec<Item<'a>>) {
    if prose.contains("\n\n") || prose.contains("\r\n\r\n") {
        // a blank line ends a paragraph; keep the words on either side apart
        let (first, rest) = prose.split_once("\n\n").unwrap_or((prose, ""));
        words(first, out);
        out.push(Item::Break);
        words(rest, out);
        return;
    }
    for raw in prose.split_whitespace() {
        let mut word = raw;
        let mut ends = false;
        while let Some(last) = word.chars().last() {
            if ".;:!?)".contains(last) {
                ends |= last != ')';
            } else if last != ',' {
                break;
            }
            word = &word[..word.len() - last.len_utf8()];
        }
        let word = word.trim_start_matches(['(', '"', '\'']);
        if !word.is_empty() {
            out.push(Item::Word(word));
        }
        if raw.ends_with(',') {
            out.push(Item::Comma);
        }
        if ends {
            out.push(Item::Break);
        }
    }
}

fn word_is(item: Option<&Item>, set: &[&str]) -> bool {
    matches!(item, Some(Item::Word(w)) if set.iter().any(|s| w.eq_ignore_ascii_case(s)))
}

fn math<'a>(item: Option<&Item<'a>>) -> Option<&'a MathBlock> {
    match item {
        Some(Item::Math(b)) => Some(b),
        _ => None,
    }
}

/// "$x$ and $y$ are vectors of length $n$": the names before the copula at `k`.
fn names_before<'a>(items: &[Item<'a>], k: usize) -> Vec<&'a MathBlock> {
    let mut names = Vec::new();
    let mut j = k;
    while let Some(b) = j.checked_sub(1).and_then(|i| math(items.get(i))) {
        names.push(b);
        j -= 1;
        let joined = j > 0
            && (matches!(items.get(j - 1), Some(Item::Comma))
                || word_is(items.get(j - 1), &["and", "et", "y"]));
        if !joined || j < 2 || math(items.get(j - 2)).is_none() {
            break;
        }
        j -= 1;
    }
    names.reverse();
    names
}

/// The kind of thing a phrase names, and whether a vector is a row.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Vector { row: bool },
    Matrix,
}

/// `vector`, `row vector`, `matrix` at `j`: the kind and the index after it.
fn kind_at(items: &[Item], j: usize) -> Option<(Kind, usize)> {
    if word_is(items.get(j), VECTOR_WORDS) {
        return Some((Kind::Vector { row: false }, j + 1));
    }
    if word_is(items.get(j), MATRIX_WORDS) {
        return Some((Kind::Matrix, j + 1));
    }
    None
}

/// A size written after "of length" / "of size" / "with shape" at `j` (or "with
/// $n$ entries"): the sizes and the index after them.
fn sizes_after(items: &[Item], j: usize, kind: Kind) -> Option<(Vec<String>, Span)> {
    if !word_is(items.get(j), OF_WORDS) {
        return None;
    }
    let mut k = j + 1;
    if word_is(items.get(k), &["the", "la", "el"]) {
        k += 1;
    }
    if word_is(items.get(k), SIZE_WORDS) {
        k += 1;
        if word_is(items.get(k), &["of", "de"]) {
            k += 1;
        }
        let b = math(items.get(k))?;
        return Some((sizes_of(&b.body, kind)?, b.span));
    }
    // "with $n$ entries"
    let b = math(items.get(k))?;
    if kind != (Kind::Vector { row: false }) || !word_is(items.get(k + 1), ENTRY_WORDS) {
        return None;
    }
    Some((sizes_of(&b.body, kind)?, b.span))
}

/// The sizes a formula gives: `n`, `m \times n`, `(m, n)`, `(n,)`.
fn sizes_of(body: &str, kind: Kind) -> Option<Vec<String>> {
    let body = body.trim();
    let inner = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .or_else(|| body.strip_prefix('[').and_then(|b| b.strip_suffix(']')));
    let sizes: Vec<String> = match inner {
        Some(tuple) => tuple
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        None => body
            .split("\\times")
            .flat_map(|s| s.split('×'))
            .map(|s| s.trim().to_string())
            .collect(),
    };
    if sizes.is_empty()
        || sizes
            .iter()
            .any(|s| s.is_empty() || s.contains(['=', '<', '>']))
    {
        return None;
    }
    match (kind, sizes.len()) {
        (Kind::Vector { row: false }, 1) | (Kind::Matrix, 2) => Some(sizes),
        (Kind::Vector { row: true }, 1) => Some(vec!["1".into(), sizes[0].clone()]),
        // a vector of shape (n, 1) is a column; (1, n) a row
        (Kind::Vector { .. }, 2) if sizes.contains(&"1".to_string()) => Some(sizes),
        _ => None,
    }
}

/// "$z$ is a vector of length $D$", "$W$ is an $m \times n$ matrix", "$x$ is a
/// $D$-dimensional vector", "$z$ is a vector in $\mathbb{R}^D$", "$x$ has $n$
/// entries", with `items[k]` the copula.
fn after_copula(items: &[Item], k: usize) -> Option<Worded> {
    let has = word_is(items.get(k), &["has", "have", "tiene"]);
    // "for $x$ a vector of length $n$", "Soit $x$ un vecteur de taille $n$"
    // "$o$, a vector of length $K$": the comma stands for the copula
    let comma = k >= 2 && matches!(items.get(k - 1), Some(Item::Comma));
    let name_end = if comma { k - 1 } else { k };
    let apposition = word_is(items.get(k), ARTICLES)
        && name_end
            .checked_sub(1)
            .is_some_and(|i| math(items.get(i)).is_some());
    if !word_is(items.get(k), COPULAS) && !has && !apposition {
        return None;
    }
    let names = names_before(items, name_end);
    let first = *names.first()?;
    if has {
        // "$x$ has $n$ entries"
        let size = math(items.get(k + 1))?;
        if !word_is(items.get(k + 2), ENTRY_WORDS) {
            return None;
        }
        let sizes = sizes_of(&size.body, Kind::Vector { row: false })?;
        return Some(statement(&names, &sizes, first.span.join(size.span)));
    }
    let mut j = k + 1;
    let mut row = false;
    let mut skipped = 0;
    loop {
        match items.get(j) {
            Some(Item::Word(w)) if w.eq_ignore_ascii_case("row") => row = true,
            Some(Item::Word(w))
                if ["in", "dans", "en"]
                    .iter()
                    .any(|s| w.eq_ignore_ascii_case(s)) =>
            {
                // "a vector in $\mathbb{R}^D$"
                let space = math(items.get(j + 1))?;
                let body = space.body.trim();
                let is_space = ["\\mathbb{R}", "\\mathbb R", "\\R", "\\Re", "\\mathbf{R}"]
                    .iter()
                    .any(|p| body.starts_with(p));
                if !is_space {
                    return None;
                }
                let names: Vec<&str> = names.iter().map(|b| b.body.trim()).collect();
                return Some(Worded {
                    span: first.span.join(space.span),
                    latex: format!("{} \\in {body}", names.join(", ")),
                });
            }
            Some(Item::Word(w))
                if VECTOR_WORDS
                    .iter()
                    .chain(MATRIX_WORDS)
                    .any(|s| w.eq_ignore_ascii_case(s)) =>
            {
                let (kind, after) = kind_at(items, j)?;
                let kind = match kind {
                    Kind::Vector { .. } => Kind::Vector { row },
                    k => k,
                };
                if word_is(items.get(after), &["in", "dans", "en"]) {
                    // "a vector in $\mathbb{R}^D$"
                    j = after;
                    continue;
                }
                let (sizes, end) = sizes_after(items, after, kind)?;
                return Some(statement(&names, &sizes, first.span.join(end)));
            }
            Some(Item::Word(w)) if STOP_WORDS.iter().any(|s| w.eq_ignore_ascii_case(s)) => {
                return None
            }
            Some(Item::Word(_)) => {}
            Some(Item::Math(size)) => {
                // "an $m \times n$ matrix", "a $D$-dimensional vector", "an $m$ by $n$ matrix"
                return sized_kind(items, j, size, row)
                    .map(|(sizes, end, _)| statement(&names, &sizes, first.span.join(end)));
            }
            _ => return None,
        }
        skipped += 1;
        if skipped > 5 {
            return None;
        }
        j += 1;
    }
}

/// A size formula at `j` followed by its kind: "$m \times n$ matrix", "$D$-dimensional
/// vector", "$m$ by $n$ matrix", "$m$-by-$n$ matrix". The sizes and the span they end at.
fn sized_kind(
    items: &[Item],
    j: usize,
    size: &MathBlock,
    row: bool,
) -> Option<(Vec<String>, Span, usize)> {
    let mut k = j + 1;
    let mut dimensional = false;
    if let Some(Item::Word(w)) = items.get(k) {
        let w = w.to_lowercase();
        if w.starts_with("-dim") || w.starts_with("-dimensional") || w == "dimensional" {
            dimensional = true;
            k += 1;
        } else if matches!(w.as_str(), "by" | "x" | "×" | "-by-" | "-by") {
            // "$m$ by $n$ matrix"
            let second = math(items.get(k + 1))?;
            if !word_is(items.get(k + 2), MATRIX_WORDS) {
                return None;
            }
            let sizes = vec![size.body.trim().to_string(), second.body.trim().to_string()];
            if sizes
                .iter()
                .any(|s| s.is_empty() || s.contains(['=', '<', '>', ',']))
            {
                return None;
            }
            return Some((sizes, second.span, k + 3));
        }
    }
    // "a $D$-dimensional input vector": at most two words between the size and the kind
    let mut fillers = 0;
    while let Some(Item::Word(w)) = items.get(k) {
        if kind_at(items, k).is_some()
            || fillers == 2
            || STOP_WORDS.contains(&w.to_lowercase().as_str())
        {
            break;
        }
        fillers += 1;
        k += 1;
    }
    let (kind, after) = kind_at(items, k)?;
    let sizes = match kind {
        Kind::Vector { .. } if dimensional || !size.body.contains("\\times") => {
            sizes_of(&size.body, Kind::Vector { row })
        }
        Kind::Matrix if !dimensional => sizes_of(&size.body, Kind::Matrix),
        _ => None,
    }?;
    Some((sizes, size.span, after))
}

/// "a vector $z$ of length $D$", "an $m \times n$ matrix $W$", "a $D$-dimensional
/// vector $x$", with `items[k]` the article.
fn before_name(items: &[Item], k: usize) -> Option<Worded> {
    if !word_is(items.get(k), ARTICLES) {
        return None;
    }
    let mut j = k + 1;
    // "a real vector", "an input vector", "a column vector"
    let mut row = false;
    while let Some(Item::Word(w)) = items.get(j) {
        if VECTOR_WORDS
            .iter()
            .chain(MATRIX_WORDS)
            .any(|s| w.eq_ignore_ascii_case(s))
            || STOP_WORDS.iter().any(|s| w.eq_ignore_ascii_case(s))
            || j > k + 3
        {
            break;
        }
        row |= w.eq_ignore_ascii_case("row");
        j += 1;
    }
    if let Some(size) = math(items.get(j)) {
        // "an $m \times n$ matrix $W$"
        let (sizes, _, after) = sized_kind(items, j, size, row)?;
        let name = math(items.get(after))?;
        return Some(statement(&[name], &sizes, size.span.join(name.span)));
    }
    let (kind, after) = kind_at(items, j)?;
    let kind = match kind {
        Kind::Vector { .. } => Kind::Vector { row },
        k => k,
    };
    // "a vector $z$ of length $D$"
    let name = math(items.get(after))?;
    let (sizes, end) = sizes_after(items, after + 1, kind)?;
    Some(statement(&[name], &sizes, name.span.join(end)))
}

fn statement(names: &[&MathBlock], sizes: &[String], span: Span) -> Worded {
    let names: Vec<&str> = names.iter().map(|b| b.body.trim()).collect();
    Worded {
        span,
        latex: format!(
            "{} \\in \\mathbb{{R}}^{{{}}}",
            names.join(", "),
            sizes.join(" \\times ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latex::find::{find_math, DocKind};

    fn read(text: &str) -> Vec<String> {
        worded_shapes(text, &find_math(text, DocKind::Markdown))
            .into_iter()
            .map(|w| w.latex)
            .collect()
    }

    #[test]
    fn shapes_stated_in_words() {
        let cases: &[(&str, &[&str])] = &[
            (
                "$\\mathbf{z}$ is one token's vector of length $D$.",
                &["\\mathbf{z} \\in \\mathbb{R}^{D}"],
            ),
            (
                "Let $x$ be a vector of size $n$.",
                &["x \\in \\mathbb{R}^{n}"],
            ),
            (
                "where $h$ is the hidden vector of dimension $d_h$",
                &["h \\in \\mathbb{R}^{d_h}"],
            ),
            (
                "$g$ and $b$ are vectors of length $D$",
                &["g, b \\in \\mathbb{R}^{D}"],
            ),
            (
                "$g$, $b$ are vectors with $D$ entries",
                &["g, b \\in \\mathbb{R}^{D}"],
            ),
            ("$x$ has $n$ components", &["x \\in \\mathbb{R}^{n}"]),
            (
                "$W$ is an $m \\times n$ matrix",
                &["W \\in \\mathbb{R}^{m \\times n}"],
            ),
            (
                "$W$ is an $m$ by $n$ matrix",
                &["W \\in \\mathbb{R}^{m \\times n}"],
            ),
            (
                "$W$ is a matrix of shape $(m, n)$",
                &["W \\in \\mathbb{R}^{m \\times n}"],
            ),
            (
                "$x$ is a $D$-dimensional vector",
                &["x \\in \\mathbb{R}^{D}"],
            ),
            (
                "$u$ is a row vector of length $n$",
                &["u \\in \\mathbb{R}^{1 \\times n}"],
            ),
            (
                "$z$ is a vector in $\\mathbb{R}^D$",
                &["z \\in \\mathbb{R}^D"],
            ),
            (
                "Take a vector $z$ of length $K$ and",
                &["z \\in \\mathbb{R}^{K}"],
            ),
            (
                "Write the logits as $o$, a vector of length $K$.",
                &["o \\in \\mathbb{R}^{K}"],
            ),
            ("$x$, $y$, the inputs", &[]),
            (
                "for an $m \\times n$ matrix $A$,",
                &["A \\in \\mathbb{R}^{m \\times n}"],
            ),
            ("given a $d$-dimensional input $x$", &[]),
            (
                "given a $d$-dimensional vector $x$",
                &["x \\in \\mathbb{R}^{d}"],
            ),
            (
                "Soit $x$ un vecteur de taille $n$.",
                &["x \\in \\mathbb{R}^{n}"],
            ),
            (
                "Sea $x$ un vector de longitud $n$.",
                &["x \\in \\mathbb{R}^{n}"],
            ),
            // not shapes
            ("where $n$ is the size of the vector $x$", &[]),
            ("$x_i$ is an entry of a vector of length $n$", &[]),
            ("$f$ is not a vector of length $n$", &[]),
            ("$W$ is an $n$ matrix", &[]),
            ("$x$ is a vector.\n\nIts length is $n$.", &[]),
            ("$x$ is a vector of length $n = 3$", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(read(text), *want, "{text}");
        }
    }
}
