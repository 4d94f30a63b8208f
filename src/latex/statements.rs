//! Splitting a math block into statements, and each statement into the parts
//! between its relations (`=`, `&=`, `\approx`).
//!
//! A statement ends at a top-level `\\` (unless the next row starts with `=`,
//! `&=`, `\approx`, `\Rightarrow`, `+` or `-`), `;`, `,`, `\forall`, `\therefore`
//! and at prose (`\text{where}`, `\text{if}` ...). `&`, `\quad`, `\,` vanish.
//! `\Rightarrow` at the start of a statement is dropped; inside one it is a step only
//! after `\text{LHS}` opened the statement, otherwise it ends the statement.

use super::lex::{Tok, Token};
use crate::span::Span;
use crate::syntax::ast::RelOp;

#[derive(Debug, Default)]
pub(super) struct Statement {
    pub(super) parts: Vec<Vec<Token>>,
    pub(super) ops: Vec<RelOp>,
    pub(super) other_relation: bool,
    lhs_mode: bool,
    /// It starts with `=`: it continues the chain before it.
    pub(super) continues: bool,
    /// It follows a `\Rightarrow` that ended the statement before it.
    pub(super) after_implication: bool,
    /// The prose word just before it in the math (`\text{for } k \neq y`,
    /// `\text{let } x = 1`), lowercase.
    pub(super) cue: Option<String>,
    /// Its first relation is definitional: `:=`, `\coloneqq`, `\triangleq`,
    /// `\equiv`, `\stackrel{\text{def}}{=}`.
    pub(super) defines: bool,
}

impl Statement {
    fn new() -> Statement {
        Statement {
            parts: vec![Vec::new()],
            ..Statement::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.parts.len() == 1 && self.parts[0].is_empty()
    }

    fn new_part(&mut self, op: RelOp) {
        if self.is_empty() {
            self.continues = true;
        }
        self.ops.push(op);
        self.parts.push(Vec::new());
    }

    /// From the first token to the last.
    pub(super) fn span(&self) -> Option<Span> {
        let mut toks = self.parts.iter().flatten();
        let first = toks.next()?.span;
        Some(toks.fold(first, |s, t| s.join(t.span)))
    }

    /// The span of part `k`'s tokens.
    pub(super) fn part_span(&self, k: usize) -> Option<Span> {
        let mut toks = self.parts.get(k)?.iter();
        let first = toks.next()?.span;
        Some(toks.fold(first, |s, t| s.join(t.span)))
    }

    fn push(&mut self, t: &Token) {
        if let Some(part) = self.parts.last_mut() {
            part.push(t.clone());
        }
    }
}

const OTHER_RELATIONS: &[&str] = &[
    "leq",
    "le",
    "geq",
    "ge",
    "neq",
    "ne",
    "in",
    "notin",
    "subset",
    "subseteq",
    "to",
    "rightarrow",
    "mapsto",
    "sim",
    "propto",
    "equiv",
    "leftarrow",
    "gets",
    "lt",
    "gt",
    "ll",
    "gg",
    "iff",
    "Leftrightarrow",
    "perp",
];

const STATEMENT_ENDS: &[&str] = &[
    "forall",
    "therefore",
    "because",
    "exists",
    "checkmark",
    "label",
    "tag",
];

const LAYOUT_ENVIRONMENTS: &[&str] = &[
    "aligned",
    "align",
    "align*",
    "split",
    "gathered",
    "equation",
    "equation*",
    "alignedat",
];

fn is_layout_begin(toks: &[Token], k: usize) -> Option<usize> {
    let is_cmd = matches!(&toks.get(k)?.tok, Tok::Cmd(c) if c == "begin" || c == "end");
    if !is_cmd || toks.get(k + 1)?.tok != Tok::Sym('{') {
        return None;
    }
    let close = (k + 2..toks.len()).find(|&j| toks[j].tok == Tok::Sym('}'))?;
    let name: String = toks[k + 2..close]
        .iter()
        .map(|t| match &t.tok {
            Tok::Letter(c) => c.to_string(),
            Tok::Sym(c) => c.to_string(),
            _ => String::new(),
        })
        .collect();
    LAYOUT_ENVIRONMENTS
        .contains(&name.as_str())
        .then_some(close + 1)
}

/// `\boxed{X}`, `\fbox{X}`: `X`; `\color{red}{X}`, `\textcolor{red}{X}`: `X`; an
/// empty script (`^{ }`) goes. `\underbrace{X}_{A}` and `\overbrace{X}^{A}`:
/// `X`, and when the note `A` starts with `=` (`\underbrace{\frac{\partial y}{\partial b}}_{=\,1}`)
/// the note is a claim of its own, `X = 1`, appended as a statement after `;`.
pub(super) fn unwrap_boxed(toks: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::with_capacity(toks.len());
    let mut asides: Vec<Vec<Token>> = Vec::new();
    let mut closers: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut k = 0;
    while k < toks.len() {
        let t = &toks[k];
        match &t.tok {
            Tok::Cmd(c)
                if (c == "boxed" || c == "fbox")
                    && toks.get(k + 1).is_some_and(|n| n.tok == Tok::Sym('{')) =>
            {
                depth += 1;
                closers.push(depth);
                k += 2;
                continue;
            }
            Tok::Cmd(c) if matches!(c.as_str(), "color" | "textcolor" | "colorbox") => {
                // `\color{red}{x}`, `\color{blue} x`, `\textcolor{red}{x}`: only the colour goes
                k = group_at(&toks, k + 1).map_or(k + 1, |(_, after)| after);
                continue;
            }
            Tok::Sym('^' | '_')
                if toks.get(k + 1).is_some_and(|n| n.tok == Tok::Sym('{'))
                    && toks.get(k + 2).is_some_and(|n| n.tok == Tok::Sym('}')) =>
            {
                // `\sum_{k}^{ }`: an empty script is no script
                k += 3;
                continue;
            }
            Tok::Cmd(c) if c == "underbrace" || c == "overbrace" => {
                let script = if c == "underbrace" { '_' } else { '^' };
                let Some((body, after)) = group_at(&toks, k + 1) else {
                    k += 1;
                    continue;
                };
                let body = unwrap_boxed(body.to_vec());
                let mut next = after;
                if toks.get(after).is_some_and(|n| n.tok == Tok::Sym(script)) {
                    let (note, end) = match group_at(&toks, after + 1) {
                        Some((note, end)) => (note.to_vec(), end),
                        None => (
                            toks.get(after + 1).into_iter().cloned().collect(),
                            after + 2,
                        ),
                    };
                    let note = unwrap_boxed(note);
                    let starts_with_equals = note
                        .iter()
                        .find(|n| !matches!(&n.tok, Tok::Cmd(s) if SPACING.contains(&s.as_str())))
                        .is_some_and(|n| n.tok == Tok::Sym('='));
                    // `\underbrace{a+b}_{= c}` with `c` nowhere else names the sum: no claim
                    let outside = |n: &Token| {
                        toks[..after]
                            .iter()
                            .chain(&toks[end.min(toks.len())..])
                            .any(|o| o.tok == n.tok)
                    };
                    let names_only_known = note
                        .iter()
                        .filter(|n| matches!(n.tok, Tok::Letter(_) | Tok::Name(_)))
                        .all(outside);
                    if starts_with_equals && names_only_known && !body.is_empty() {
                        let mut aside = body.clone();
                        aside.extend(note);
                        asides.push(aside);
                    }
                    next = end.min(toks.len());
                }
                // keep the body grouped so `\underbrace{a+b}^2` stays a power of the sum
                out.push(Token {
                    tok: Tok::Sym('{'),
                    span: t.span,
                });
                out.extend(body);
                // located at the end of the note, so the part shows the whole brace
                let end = toks.get(next.saturating_sub(1)).map_or(t.span, |e| e.span);
                out.push(Token {
                    tok: Tok::Sym('}'),
                    span: end,
                });
                k = next;
                continue;
            }
            Tok::Sym('{') => depth += 1,
            Tok::Sym('}') => {
                if closers.last() == Some(&depth) {
                    closers.pop();
                    depth -= 1;
                    k += 1;
                    continue;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        out.push(t.clone());
        k += 1;
    }
    for aside in asides {
        let span = aside.first().map_or(Span::default(), |t| t.span);
        out.push(Token {
            tok: Tok::Sym(';'),
            span,
        });
        out.extend(aside);
    }
    out
}

/// Spacing commands a note may start with (`=\,1`).
const SPACING: &[&str] = &[",", ";", ":", "!", "quad", "qquad", " "];

/// The tokens inside the brace group that opens at `open`, and the index after it.
fn group_at(toks: &[Token], open: usize) -> Option<(&[Token], usize)> {
    if toks.get(open)?.tok != Tok::Sym('{') {
        return None;
    }
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.tok {
            Tok::Sym('{') => depth += 1,
            Tok::Sym('}') => {
                depth -= 1;
                if depth == 0 {
                    return Some((&toks[open + 1..j], j + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// A leading problem label: `(e)`, `f)`, `3b)`, `2)`. Returns it and the rest.
pub(super) fn strip_label(toks: &[Token]) -> (Option<String>, &[Token]) {
    let word = |t: &Token| match &t.tok {
        Tok::Letter(c) => Some(c.to_string()),
        Tok::Number(n) => Some(n.clone()),
        _ => None,
    };
    let scripted = |k: usize| {
        matches!(
            toks.get(k).map(|t| &t.tok),
            Some(Tok::Sym('^')) | Some(Tok::Sym('_')) | Some(Tok::Sym('('))
        )
    };
    if let [Token {
        tok: Tok::Sym('('), ..
    }, a, Token {
        tok: Tok::Sym(')'), ..
    }, ..] = toks
    {
        if let Some(w) = word(a) {
            if w.chars().all(|c| c.is_ascii_alphabetic()) && !scripted(3) {
                return (Some(format!("({w})")), &toks[3..]);
            }
        }
    }
    for len in 1..=2 {
        if toks.len() > len && toks[len].tok == Tok::Sym(')') && !scripted(len + 1) {
            let words: Option<String> = toks[..len].iter().map(word).collect();
            if let Some(w) = words {
                return (Some(format!("({w})")), &toks[len + 1..]);
            }
        }
    }
    (None, toks)
}

pub(super) fn split_statements(toks: &[Token]) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut cur = Statement::new();
    let mut depth = 0usize;
    let mut k = 0;
    let finish = |cur: &mut Statement, out: &mut Vec<Statement>| {
        let done = std::mem::replace(cur, Statement::new());
        if !done.is_empty() {
            out.push(done);
        }
    };
    while k < toks.len() {
        let t = &toks[k];
        if depth == 0 {
            if let Some(next) = is_layout_begin(toks, k) {
                k = next;
                continue;
            }
        }
        if matches!(&t.tok, Tok::Cmd(c) if c == "quad" || c == "qquad") {
            // wide space: between two formulas at the top level, inside one it is only space
            if depth == 0 {
                finish(&mut cur, &mut out);
            }
            k += 1;
            continue;
        }
        if depth > 0 {
            match &t.tok {
                Tok::Sym('{') | Tok::Sym('(') | Tok::Sym('[') => depth += 1,
                Tok::Sym('}') | Tok::Sym(')') | Tok::Sym(']') => depth -= 1,
                Tok::Cmd(c) if c == "begin" || c == "lbrace" => depth += 1,
                Tok::Cmd(c) if c == "end" || c == "rbrace" => depth -= 1,
                _ => {}
            }
            cur.push(t);
            k += 1;
            continue;
        }
        match &t.tok {
            Tok::Sym('{') | Tok::Sym('(') | Tok::Sym('[') => {
                depth += 1;
                cur.push(t);
            }
            // `\{i = j\}` (an indicator's condition) holds its `=` like a bracket
            Tok::Cmd(c) if c == "begin" || c == "lbrace" => {
                depth += 1;
                cur.push(t);
            }
            Tok::Sym('}') | Tok::Sym(')') | Tok::Sym(']') => cur.push(t),
            Tok::Break => {
                let next = toks[k + 1..].iter().find(|n| n.tok != Tok::Amp);
                let continues = next.is_some_and(|n| match &n.tok {
                    Tok::Sym('=') | Tok::Sym('+') | Tok::Sym('-') => true,
                    Tok::Cmd(c) => matches!(c.as_str(), "approx" | "Rightarrow" | "implies"),
                    _ => false,
                });
                if !continues {
                    finish(&mut cur, &mut out);
                }
            }
            Tok::Amp => {}
            Tok::Sym(':') if toks.get(k + 1).is_some_and(|n| n.tok == Tok::Sym('=')) => {
                // `:=` defines its left side
                cur.defines |= cur.ops.is_empty();
                cur.new_part(RelOp::Eq);
                k += 2;
                continue;
            }
            Tok::Cmd(c)
                if matches!(c.as_str(), "coloneqq" | "triangleq" | "equiv" | "eqqcolon") =>
            {
                cur.defines |= cur.ops.is_empty();
                cur.new_part(RelOp::Eq);
            }
            Tok::Cmd(c) if matches!(c.as_str(), "stackrel" | "overset") => {
                // `\stackrel{\text{def}}{=}`: a definitional `=`; `\overset{(1)}{=}`,
                // `\stackrel{\text{chain rule}}{=}`: a step with its reason written over it
                match stacked_equals(toks, k) {
                    Some((next, definitional)) => {
                        cur.defines |= definitional && cur.ops.is_empty();
                        cur.new_part(RelOp::Eq);
                        k = next;
                        continue;
                    }
                    None => cur.push(t),
                }
            }
            Tok::Sym('=') => cur.new_part(RelOp::Eq),
            Tok::Cmd(c) if c == "approx" => cur.new_part(RelOp::Approx),
            Tok::Cmd(c) if matches!(c.as_str(), "Rightarrow" | "implies" | "Longrightarrow") => {
                if cur.is_empty() {
                    // a leading `\Rightarrow` only says "so"
                } else if cur.lhs_mode {
                    cur.new_part(RelOp::Eq);
                } else {
                    finish(&mut cur, &mut out);
                    cur.after_implication = true;
                }
            }
            Tok::Sym(';') | Tok::Sym(',') => finish(&mut cur, &mut out),
            Tok::Cmd(c) if STATEMENT_ENDS.contains(&c.as_str()) => finish(&mut cur, &mut out),
            Tok::Text(w) if w == "LHS" => {
                if cur.is_empty() {
                    cur.lhs_mode = true;
                    if toks.get(k + 1).is_some_and(|n| n.tok == Tok::Amp) {
                        k += 1;
                    }
                    if toks.get(k + 1).is_some_and(|n| n.tok == Tok::Sym('=')) {
                        k += 1;
                    }
                }
            }
            Tok::Text(w) if w == "RHS" => {
                if cur.parts.len() > 1 && cur.parts.last().is_some_and(|p| p.is_empty()) {
                    cur.parts.pop();
                    cur.ops.pop();
                }
            }
            Tok::Text(w) if !super::parse::WORD_FUNCTIONS.contains(&w.as_str()) => {
                finish(&mut cur, &mut out);
                let word = w.trim().to_lowercase();
                if !word.is_empty() {
                    cur.cue = Some(word);
                }
            }
            Tok::Sym('<') | Tok::Sym('>') | Tok::Sym(':') => {
                cur.other_relation = true;
                cur.push(t);
            }
            Tok::Cmd(c) if OTHER_RELATIONS.contains(&c.as_str()) => {
                cur.other_relation = true;
                cur.push(t);
            }
            Tok::Sym('.') if k + 1 == toks.len() => {}
            _ => cur.push(t),
        }
        k += 1;
    }
    finish(&mut cur, &mut out);
    out
}

/// `\stackrel{..}{=}` or `\overset{..}{=}` at `k`: the index after it, and whether
/// the note over it says "definition" (`def`, `:`, `\triangle`, `\Delta`).
fn stacked_equals(toks: &[Token], k: usize) -> Option<(usize, bool)> {
    let group_end = |open: usize| group_at(toks, open).map(|(_, after)| after - 1);
    let first = group_end(k + 1)?;
    let second = group_end(first + 1)?;
    let inner = toks.get(first + 2..second)?;
    if !matches!(
        inner,
        [Token {
            tok: Tok::Sym('='),
            ..
        }]
    ) {
        return None;
    }
    let note: String = toks
        .get(k + 2..first)?
        .iter()
        .map(|t| match &t.tok {
            Tok::Letter(c) | Tok::Sym(c) => c.to_string(),
            Tok::Cmd(c) | Tok::Text(c) | Tok::Name(c) => c.to_lowercase(),
            _ => String::new(),
        })
        .collect();
    let definitional = note.is_empty()
        || note.contains("def")
        || note.contains(':')
        || note.contains("triangle")
        || note.contains("delta")
        || note.contains('Δ');
    Some((second + 1, definitional))
}
