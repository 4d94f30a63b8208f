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
    /// The word of `\text{..}`, `\mathrm{..}`, `\operatorname{..}`, `\textbf{..}`.
    Text(String),
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
    "mbox",
];

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
                    tokens.push(Token {
                        tok: Tok::Text(word.trim().to_string()),
                        span: Span::new(offset + start, offset + at(close + 1)),
                    });
                    k = close + 1;
                    continue;
                }
            }
            let tok = match name.as_str() {
                "{" => Tok::Cmd("lbrace".into()),
                "}" => Tok::Cmd("rbrace".into()),
                "|" => Tok::Cmd("Vert".into()),
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
