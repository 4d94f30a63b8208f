//! LaTeX math to tokens, every token spanned in the whole document.
//!
//! Spacing commands (`\,`, `\quad`, `\left`, `\displaystyle`, ...) vanish here,
//! so the parser never sees them; `\text{..}`-like commands keep their word.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// `\frac`, `\sigma`: the command name without the backslash.
    Cmd(String),
    /// One letter of a name (in math mode `kx` is `k` times `x`); Greek letters
    /// written in Unicode are letters too.
    Letter(char),
    /// Digits with an optional decimal part.
    Number(String),
    /// Any other single character: `+ - = ( ) { } ^ _ , ; < > ' | / * ! : .`
    Sym(char),
    /// Prose: the word of `\text{..}`, `\textbf{..}`, `\mbox{..}` when it is not a name.
    Text(String),
    /// A name written upright, never split into letters: `\operatorname{softmax}`,
    /// `\mathrm{ReLU}`, `\text{CE}`, `\text{softplus}`.
    Name(String),
    /// `\\`
    Break,
    /// `&`
    Amp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Commands that only space or size things: dropped.
const IGNORED: &[&str] = &[
    ",",
    ";",
    ":",
    "!",
    " ",
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "displaystyle",
    "textstyle",
    "limits",
    "nonumber",
    "notag",
    "middle",
];

/// Commands whose `{..}` argument is a word, not math.
const TEXT_COMMANDS: &[&str] = &[
    "text",
    "mathrm",
    "operatorname",
    "textbf",
    "textit",
    "textrm",
    "textsf",
    "mbox",
];

/// Of those, the ones that write names (never prose).
const NAME_COMMANDS: &[&str] = &["mathrm", "operatorname"];

/// Upright words that mark prose or the sides of an equation, never a name.
const PROSE_WORDS: &[&str] = &[
    "LHS",
    "RHS",
    "QED",
    "if",
    "for",
    "and",
    "or",
    "where",
    "when",
    "with",
    "otherwise",
    "else",
    "then",
    "since",
    "so",
    "as",
    "is",
    "at",
    "by",
    "of",
    "on",
    "in",
    "to",
    "s.t.",
    "iff",
    "let",
];

/// What an upright word is: one letter is that letter (`\mathrm{d}x`), a name is a
/// `Name` (`\operatorname{..}`, `\mathrm{..}`, a built-in such as `\text{softmax}`,
/// an acronym such as `\text{CE}`, or any word called with `(`), the rest is prose.
fn upright_word(command: &str, word: &str, called: bool) -> Tok {
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_alphabetic() {
            return Tok::Letter(c);
        }
    }
    let identifier = word.chars().next().is_some_and(char::is_alphabetic)
        && word.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !identifier || PROSE_WORDS.contains(&word) {
        return Tok::Text(word.to_string());
    }
    let acronym = word.chars().count() <= 5
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if NAME_COMMANDS.contains(&command)
        || crate::expr::names::builtin_word(word).is_some()
        || acronym
        || called
    {
        return Tok::Name(word.to_string());
    }
    Tok::Text(word.to_string())
}

/// Tokens of the math text `body`, which starts at byte `offset` of the document.
pub fn tokenize(body: &str, offset: usize) -> Vec<Token> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut k = 0;
    let at = |k: usize| chars.get(k).map_or(body.len(), |&(i, _)| i);
    while k < chars.len() {
        let (start, c) = chars[k];
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if c == '%' {
            // a TeX comment runs to the end of the line
            while k < chars.len() && chars[k].1 != '\n' {
                k += 1;
            }
            continue;
        }
        if c == '\\' {
            let Some(&(_, next)) = chars.get(k + 1) else {
                k += 1;
                continue;
            };
            if next == '\\' {
                tokens.push(Token {
                    tok: Tok::Break,
                    span: Span::new(offset + start, offset + at(k + 2)),
                });
                k += 2;
                continue;
            }
            let mut end = k + 1;
            if next.is_ascii_alphabetic() {
                while end < chars.len() && chars[end].1.is_ascii_alphabetic() {
                    end += 1;
                }
            } else {
                end += 1;
            }
            let name: String = chars[k + 1..end].iter().map(|&(_, c)| c).collect();
            k = end;
            if IGNORED.contains(&name.as_str()) {
                // `\left.` and `\right.` are invisible delimiters
                if (name == "left" || name == "right") && chars.get(k).is_some_and(|c| c.1 == '.') {
                    k += 1;
                }
                continue;
            }
            if TEXT_COMMANDS.contains(&name.as_str()) {
                if let Some((open, close)) = matching_brace(&chars, k) {
                    let word: String = chars[open + 1..close].iter().map(|&(_, c)| c).collect();
                    let mut after = close + 1;
                    while chars.get(after).is_some_and(|c| c.1.is_whitespace()) {
                        after += 1;
                    }
                    let called = chars.get(after).is_some_and(|c| c.1 == '(');
                    tokens.push(Token {
                        tok: upright_word(&name, word.trim(), called),
                        span: Span::new(offset + start, offset + at(close + 1)),
                    });
                    k = close + 1;
                    continue;
                }
                // `\mathrm d x`: the font applies to the next letter only
                let mut next = k;
                while chars.get(next).is_some_and(|c| c.1 == ' ') {
                    next += 1;
                }
                if let Some(&(_, c)) = chars.get(next).filter(|c| c.1.is_alphabetic()) {
                    tokens.push(Token {
                        tok: Tok::Letter(c),
                        span: Span::new(offset + start, offset + at(next + 1)),
                    });
                    k = next + 1;
                    continue;
                }
            }
            if name == "not" {
                // `\not=`, `\not\in`: one negated relation
                let mut next = k;
                while chars.get(next).is_some_and(|c| c.1 == ' ') {
                    next += 1;
                }
                let rest: String = chars[next.min(chars.len())..]
                    .iter()
                    .take(4)
                    .map(|&(_, c)| c)
                    .collect();
                let negated = if rest.starts_with('=') {
                    Some(("neq", 1))
                } else if rest.starts_with("{=}") {
                    Some(("neq", 3))
                } else if rest.starts_with("\\in") && !rest[3..].starts_with(char::is_alphabetic) {
                    Some(("notin", 3))
                } else {
                    None
                };
                if let Some((relation, len)) = negated {
                    k = next + len;
                    tokens.push(Token {
                        tok: Tok::Cmd(relation.into()),
                        span: Span::new(offset + start, offset + at(k)),
                    });
                    continue;
                }
            }
            let tok = match name.as_str() {
                "{" => Tok::Cmd("lbrace".into()),
                "}" => Tok::Cmd("rbrace".into()),
                "|" | "lVert" | "rVert" => Tok::Cmd("Vert".into()),
                "lvert" | "rvert" | "vert" => Tok::Sym('|'),
                "ne" => Tok::Cmd("neq".into()),
                _ => Tok::Cmd(name),
            };
            tokens.push(Token {
                tok,
                span: Span::new(offset + start, offset + at(k)),
            });
            continue;
        }
        if c.is_ascii_digit() {
            let mut end = k;
            while end < chars.len() && chars[end].1.is_ascii_digit() {
                end += 1;
            }
            if chars.get(end).is_some_and(|c| c.1 == '.')
                && chars.get(end + 1).is_some_and(|c| c.1.is_ascii_digit())
            {
                end += 1;
                while end < chars.len() && chars[end].1.is_ascii_digit() {
                    end += 1;
                }
            }
            let digits: String = chars[k..end].iter().map(|&(_, c)| c).collect();
            tokens.push(Token {
                tok: Tok::Number(digits),
                span: Span::new(offset + start, offset + at(end)),
            });
            k = end;
            continue;
        }
        let tok = if c == '&' {
            Tok::Amp
        } else if c.is_alphabetic() {
            Tok::Letter(c)
        } else {
            Tok::Sym(c)
        };
        tokens.push(Token {
            tok,
            span: Span::new(offset + start, offset + at(k + 1)),
        });
        k += 1;
    }
    tokens
}

/// The indices of the `{` at `open` (after optional spaces) and of the `}` closing it.
fn matching_brace(chars: &[(usize, char)], open: usize) -> Option<(usize, usize)> {
    let mut k = open;
    while chars.get(k).is_some_and(|c| c.1 == ' ') {
        k += 1;
    }
    if chars.get(k).map(|c| c.1) != Some('{') {
        return None;
    }
    let mut depth = 0usize;
    for (j, &(_, c)) in chars.iter().enumerate().skip(k) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some((k, j));
                }
            }
            _ => {}
        }
    }
    None
}
