//! Statements to chains, chains to checked results, results back into the document.
//!
//! Rules (also in docs/latex.md):
//! * A statement ends at a top-level `\\` (unless the next line starts with `=`,
//!   `&=`, `\approx`, `\Rightarrow`, `+` or `-`), `;`, `,`, `\forall`, `\therefore`
//!   and at prose (`\text{where}`, `\text{if}` ...). `&`, `\quad`, `\,` vanish.
//! * `\Rightarrow` at the start of a statement is dropped. Inside a statement it is a
//!   step (like `=`) only after `\text{LHS}` opened the statement (the student is
//!   rewriting the left-hand side); otherwise it ends the statement.
//! * `\text{LHS} =` at the start and `= \text{RHS}` at the end are dropped.
//! * A statement with no `=` is skipped; so is one with another relation at top
//!   level (`<`, `\leq`, `\in`, `\to`, `:` ...).
//! * A statement whose left side is a name (`h_1`, `L_{CE}`) or a call of a function
//!   that is neither built in nor declared (`a(x)`, `L(x, y)`) is a definition: the
//!   first `=` defines the name (used by later formulas), the rest is checked.
//! * A math block that starts with `=` continues the previous statement's chain.

use super::find::{find_math, DocKind};
use super::lex::{tokenize, Tok, Token};
use super::parse::{is_builtin_function, parse_expression, plain_name, Context, ParseError};
use crate::check::Verdict;
use crate::check::{self, CheckConfig};
use crate::diagnostic::Diagnostic;
use crate::driver::{result_rows, Defs};
use crate::lower::{self, LowerConfig};
use crate::report::{self, FileReport, ResultRow};
use crate::span::{SourceFile, Span};
use crate::syntax::ast::{
    Def, Derive, Domain, DomainKind, Expr, ExprKind, Ident, Item, ItemKind, RelOp, Step, VarDecl,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One chain of equalities read from the document.
#[derive(Clone, Debug)]
pub struct Chain {
    pub name: String,
    pub parts: Vec<Expr>,
    /// `ops[k]` joins `parts[k]` and `parts[k + 1]`.
    pub ops: Vec<RelOp>,
    /// The definitions read from the text before this chain (latest first wins).
    pub definitions: Vec<TextDef>,
}

/// `a(x) = \frac{1}{1+e^{-kx}}`: a name the text defines.
#[derive(Clone, Debug)]
pub struct TextDef {
    pub name: Ident,
    pub params: Vec<Ident>,
    pub body: Expr,
}

/// Everything read from one document.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    pub chains: Vec<Chain>,
    /// Statements without `=` (or with only prose).
    pub without_equality: usize,
    /// Statements with another relation (`<`, `\in`, `\to`, ...).
    pub relations: usize,
    /// Definitions picked up from the text.
    pub definitions: usize,
    /// Formulas the reader could not read (each also has a located warning).
    pub unreadable: usize,
    /// Statements after `\Rightarrow` that hold only under the condition before it.
    pub conditional: usize,
    /// Chains that differentiate a name the text never defines.
    pub undefined: usize,
    pub warnings: Vec<Diagnostic>,
}

/// A statement's parts (token lists) and the relations between them.
#[derive(Debug, Default)]
struct Statement {
    parts: Vec<Vec<Token>>,
    ops: Vec<RelOp>,
    other_relation: bool,
    lhs_mode: bool,
    /// It starts with `=`: it continues the chain before it.
    continues: bool,
    /// It follows a `\Rightarrow` that ended the statement before it.
    after_implication: bool,
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

/// `\boxed{..}` around a whole equation: the braces go, the content stays.
fn unwrap_boxed(toks: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::with_capacity(toks.len());
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
    out
}

/// A leading problem label: `(e)`, `f)`, `3b)`, `2)`. Returns it and the rest.
fn strip_label(toks: &[Token]) -> (Option<String>, &[Token]) {
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

fn split_statements(toks: &[Token]) -> Vec<Statement> {
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
                Tok::Cmd(c) if c == "begin" => depth += 1,
                Tok::Cmd(c) if c == "end" => depth -= 1,
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
            Tok::Cmd(c) if c == "begin" => {
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

/// The names the side file declares, and how.
#[derive(Default)]
struct SideFile {
    vars: HashMap<String, DomainKind>,
    /// `def`s and `dim`s (never redeclared by the reader).
    others: HashSet<String>,
    /// `def f(z)_i = ...`: arguments of these are vectors.
    indexed: HashSet<String>,
}

impl SideFile {
    fn new(defs: &Defs) -> SideFile {
        let mut side = SideFile::default();
        for item in &defs.items {
            match &item.kind {
                ItemKind::Var(v) => {
                    for n in &v.names {
                        side.vars.insert(n.name.clone(), v.domain.kind.clone());
                    }
                }
                ItemKind::Dim(names) => side.others.extend(names.iter().map(|n| n.name.clone())),
                ItemKind::Def(d) => {
                    side.others.insert(d.name.name.clone());
                    if d.index.is_some() {
                        side.indexed.insert(d.name.name.clone());
                    }
                }
                ItemKind::Net(n) => {
                    side.others.insert(n.name.name.clone());
                }
                _ => {}
            }
        }
        side
    }

    fn declares(&self, name: &str) -> bool {
        self.vars.contains_key(name) || self.others.contains(name)
    }

    fn context(&self, defs: &Defs) -> Context {
        let mut ctx = Context::default();
        for item in &defs.items {
            match &item.kind {
                ItemKind::Def(d) if !d.params.is_empty() => {
                    ctx.functions.insert(d.name.name.clone(), d.params.len());
                }
                ItemKind::Def(d) => {
                    ctx.constants.insert(d.name.name.clone());
                }
                ItemKind::Var(v) if matches!(v.domain.kind, DomainKind::Function(..)) => {
                    for n in &v.names {
                        ctx.functions.insert(n.name.clone(), 1);
                    }
                }
                _ => {}
            }
        }
        ctx.labels = self
            .vars
            .keys()
            .chain(self.others.iter())
            .cloned()
            .collect();
        ctx
    }
}

/// Names written with both an index and a letter superscript somewhere in the
/// document (`o_k^a`, `h^s_j`): there the superscript labels the name, so `o^a`
/// is the name `oa`, not a power.
fn document_labels(source: &SourceFile, kind: DocKind) -> HashSet<String> {
    let mut labels = HashSet::new();
    for block in find_math(&source.text, kind) {
        let toks = tokenize(&block.body, 0);
        for w in toks.windows(5) {
            let letter = |t: &Token| match &t.tok {
                Tok::Letter(c) => Some(*c),
                _ => None,
            };
            let (Some(base), Some(a), Some(b)) = (letter(&w[0]), letter(&w[2]), letter(&w[4]))
            else {
                continue;
            };
            let label = match (&w[1].tok, &w[3].tok) {
                (Tok::Sym('_'), Tok::Sym('^')) => b,
                (Tok::Sym('^'), Tok::Sym('_')) => a,
                _ => continue,
            };
            if base != 'e' && label != 'T' {
                labels.insert(format!("{base}{label}"));
            }
        }
    }
    labels
}

/// Reads every chain of `source` (the whole document is the span space).
pub fn read_document(source: &SourceFile, kind: DocKind, defs: &Defs) -> Reading {
    let side = SideFile::new(defs);
    let mut ctx = side.context(defs);
    ctx.labels.extend(document_labels(source, kind));
    ctx.star_is_convolution = Context::mentions_convolution(&source.text);
    let mut reading = Reading::default();
    let mut text_defs: Vec<TextDef> = Vec::new();
    let mut open: Option<OpenChain> = None;
    let base_ctx = ctx.clone();
    let mut previous_was_condition = false;
    let mut prose_from = 0usize;
    for block in find_math(&source.text, kind) {
        let toks = unwrap_boxed(tokenize(&block.body, block.body_span.start as usize));
        let (label, toks) = strip_label(&toks);
        let prose = source
            .text
            .get(prose_from..block.span.start as usize)
            .unwrap_or("");
        prose_from = block.span.end as usize;
        if starts_section(prose) {
            // a new question: names the text defined before may mean something else now
            close(&mut open, &mut reading, &text_defs);
            text_defs.clear();
            ctx = base_ctx.clone();
        }
        for statement in split_statements(toks) {
            if !statement.continues {
                close(&mut open, &mut reading, &text_defs);
            }
            let after_condition = std::mem::take(&mut previous_was_condition);
            if statement.other_relation {
                reading.relations += 1;
                previous_was_condition = true;
                close(&mut open, &mut reading, &text_defs);
                continue;
            }
            if statement.after_implication && after_condition {
                // `c \to 1 \Rightarrow S(x^c) = S(x)` holds only under its condition
                reading.conditional += 1;
                continue;
            }
            if statement.parts.iter().any(|p| is_shape(p)) {
                // `\frac{\partial L}{\partial h} = 1 \times d_h`: a size, not a value
                reading.relations += 1;
                close(&mut open, &mut reading, &text_defs);
                continue;
            }
            if statement.parts.len() < 2 {
                reading.without_equality += 1;
                close(&mut open, &mut reading, &text_defs);
                continue;
            }
            let mut parts: Vec<Option<Expr>> = Vec::new();
            let mut ops = statement.ops.clone();
            let mut toks_parts = statement.parts.iter();
            if statement.continues {
                // the empty part before the leading `=`
                toks_parts.next();
                if open.is_none() {
                    ops.remove(0);
                }
            } else if let Some(first) = toks_parts.next() {
                // the left side: a definition, or the start of a chain
                if is_assignment(&statement, &ctx) {
                    // `x = 0`, `c = 1`: a value or a condition, not a derivation
                    reading.definitions += 1;
                    previous_was_condition = true;
                    continue;
                }
                if skipped_lhs(first, &ctx, &side, &text_defs) {
                    // `o_k^a = \sum_j w_{kj} h_j + b_k` states what a variable is
                    reading.definitions += 1;
                    ops.remove(0);
                } else if let Some((name, params)) = defined_name(first, &ctx, &side, &text_defs) {
                    if name.name.chars().count() == 2 && !name.name.contains('_') {
                        // `h^a = ...` names `ha`: later `h_j^a` is its entry
                        ctx.labels.insert(name.name.clone());
                    }
                    // (the body is parsed again below as the chain's start; warnings come from there)
                    let body = statement
                        .parts
                        .get(1)
                        .and_then(|p| parse_expression(p, &ctx).ok())
                        .filter(|b| !is_constant(b));
                    reading.definitions += 1;
                    if let Some(body) = body {
                        if params.is_empty() {
                            ctx.functions.remove(&name.name);
                            ctx.constants.insert(name.name.clone());
                        } else {
                            ctx.constants.remove(&name.name);
                            ctx.functions.insert(name.name.clone(), params.len());
                        }
                        text_defs.retain(|d| d.name.name != name.name);
                        text_defs.push(TextDef { name, params, body });
                    }
                    ops.remove(0);
                } else {
                    parts.push(parse_part(first, &ctx, &mut reading));
                }
            }
            for p in toks_parts {
                parts.push(parse_part(p, &ctx, &mut reading));
            }
            let chain = open.get_or_insert_with(|| OpenChain {
                name: chain_name(
                    source,
                    label.as_deref(),
                    statement.parts.iter().flatten().next(),
                ),
                parts: Vec::new(),
                ops: Vec::new(),
            });
            if chain.parts.is_empty() && !ops.is_empty() && ops.len() == parts.len() {
                ops.remove(0);
            }
            chain.parts.extend(parts);
            chain.ops.extend(ops);
        }
    }
    close(&mut open, &mut reading, &text_defs);
    reading
}

/// Whether prose holds a line that opens a new question: a Markdown heading or a
/// line naming a question (`Q2`, `IFT6390 HW3 Theory Q1`). Sub-parts (`a)`, `(e)`)
/// keep the question's definitions.
fn starts_section(prose: &str) -> bool {
    prose.lines().any(|line| {
        let line = line.trim_start();
        let question = |w: &str| {
            w.strip_prefix('Q')
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        };
        line.starts_with('#') || line.split_whitespace().any(question)
    })
}

struct OpenChain {
    name: String,
    parts: Vec<Option<Expr>>,
    ops: Vec<RelOp>,
}

fn chain_name(source: &SourceFile, label: Option<&str>, first: Option<&Token>) -> String {
    let line = first.map_or(0, |t| source.line_col(t.span.start as usize).line);
    match label {
        Some(l) => format!("{l} line {line}"),
        None => format!("line {line}"),
    }
}

/// Ends the open chain: runs of readable parts become chains (an unreadable part
/// splits the chain, so no step jumps over it).
fn close(open: &mut Option<OpenChain>, reading: &mut Reading, text_defs: &[TextDef]) {
    let Some(chain) = open.take() else {
        return;
    };
    let mut run: Vec<Expr> = Vec::new();
    let mut run_ops: Vec<RelOp> = Vec::new();
    let mut flush = |run: &mut Vec<Expr>, run_ops: &mut Vec<RelOp>| {
        if run.len() >= 2 {
            reading.chains.push(Chain {
                name: chain.name.clone(),
                parts: std::mem::take(run),
                ops: std::mem::take(run_ops),
                definitions: text_defs.to_vec(),
            });
        }
        run.clear();
        run_ops.clear();
    };
    for (k, part) in chain.parts.into_iter().enumerate() {
        match part {
            Some(e) => {
                if !run.is_empty() {
                    let op = k
                        .checked_sub(1)
                        .and_then(|j| chain.ops.get(j))
                        .copied()
                        .unwrap_or(RelOp::Eq);
                    run_ops.push(op);
                }
                run.push(e);
            }
            None => flush(&mut run, &mut run_ops),
        }
    }
    flush(&mut run, &mut run_ops);
}

fn parse_part(toks: &[Token], ctx: &Context, reading: &mut Reading) -> Option<Expr> {
    match parse_expression(toks, ctx) {
        Ok(e) => Some(e),
        Err(ParseError { span, message }) => {
            reading.unreadable += 1;
            reading.warnings.push(
                Diagnostic::warning(span, format!("{message}; this formula is not checked"))
                    .with_note(
                        "the chain is split here: the steps on either side are still checked",
                    ),
            );
            None
        }
    }
}

/// The left side names a variable rather than something to check: an entry of a
/// name without a definition (`o_k^a = ...`, `h_j^s = ...`) or a variable the side
/// file declares (`o^a = W h + b`). The first `=` is then skipped.
fn skipped_lhs(toks: &[Token], ctx: &Context, side: &SideFile, text_defs: &[TextDef]) -> bool {
    let Ok(e) = parse_expression(toks, ctx) else {
        return false;
    };
    let ExprKind::Ident(name) = &e.kind else {
        return false;
    };
    let plain = plain_name(name);
    // an entry is checked against a definition only when that definition is
    // plainly a vector (`o^s = \text{softmax}(o^a)`); `h^a = W^{(1)}x + b^{(1)}` is
    // read with scalar names, so its entries are not compared with it
    let vector_def = |d: &TextDef| {
        matches!(&d.body.kind, ExprKind::Call { func, .. }
            if matches!(func.name.as_str(), "softmax" | "onehot") || side.indexed.contains(&func.name))
    };
    let defined = |n: &str| {
        side.others.contains(n) || text_defs.iter().any(|d| d.name.name == n && vector_def(d))
    };
    if side.vars.contains_key(name.as_str()) {
        return true;
    }
    let entry = name.len() > plain.len() && is_index(&name[plain.len() + 1..]);
    entry && !defined(plain)
}

/// `m \times d_h`, `1 \times m`: sizes joined by `\times` with at least one name.
fn is_shape(toks: &[Token]) -> bool {
    let factors = super::parse::split_top(toks, |t| matches!(&t.tok, Tok::Cmd(c) if c == "times"));
    if factors.len() < 2 {
        return false;
    }
    let size = |f: &[Token]| match f {
        [Token {
            tok: Tok::Number(_),
            ..
        }]
        | [Token {
            tok: Tok::Letter(_),
            ..
        }] => true,
        [Token {
            tok: Tok::Letter(_),
            ..
        }, Token {
            tok: Tok::Sym('_'), ..
        }, rest @ ..] => rest.iter().all(|t| {
            matches!(
                t.tok,
                Tok::Letter(_) | Tok::Sym('{') | Tok::Sym('}') | Tok::Number(_)
            )
        }),
        _ => false,
    };
    let named = toks.iter().any(|t| matches!(t.tok, Tok::Letter(_)));
    named && factors.iter().all(|f| size(f))
}

/// A subscript that is an index (`i`, `k`), not a label (`CE`, `mse`) or a number.
fn is_index(sub: &str) -> bool {
    sub.chars().count() == 1 && sub.chars().all(|c| c.is_lowercase())
}

/// `x = 0`, `\sigma(a) = [0.1, 0.9]`: a name (or a function at names) given a
/// value by example; a condition or an assignment, not a derivation.
fn is_assignment(statement: &Statement, ctx: &Context) -> bool {
    if statement.parts.len() != 2 {
        return false;
    }
    let (Ok(lhs), Ok(rhs)) = (
        parse_expression(&statement.parts[0], ctx),
        parse_expression(&statement.parts[1], ctx),
    ) else {
        return false;
    };
    let name_like = match &lhs.kind {
        ExprKind::Ident(_) => true,
        ExprKind::Call { args, .. } => args
            .iter()
            .all(|a| matches!(a.value.kind, ExprKind::Ident(_))),
        _ => false,
    };
    let number = |e: &Expr| matches!(e.kind, ExprKind::Number(_));
    let value = match &rhs.kind {
        ExprKind::Number(_) => true,
        ExprKind::Vector(items) => items.iter().all(number),
        _ => false,
    };
    name_like && value
}

/// Whether `e` mentions no name at all (`-\log(0.1)`): a number written out.
fn is_constant(e: &Expr) -> bool {
    let mut usage = Usage::default();
    let side = SideFile::default();
    let defs = HashMap::new();
    let scope = Scope {
        side: &side,
        defs: &defs,
    };
    collect(e, &scope, &mut usage, &mut Vec::new(), false);
    usage.scalars.is_empty() && usage.indexed.is_empty() && usage.functions.is_empty()
}

/// The name a statement's left side defines: a plain name (`h_1`, `L_{CE}`) or a call
/// of a function that is neither built in, declared, nor defined earlier in the
/// text (`a(x)`, `L(x, y)`).
fn defined_name(
    toks: &[Token],
    ctx: &Context,
    side: &SideFile,
    text_defs: &[TextDef],
) -> Option<(Ident, Vec<Ident>)> {
    let mut calls = ctx.clone();
    calls.calls_by_default = true;
    let e = parse_expression(toks, &calls).ok()?;
    match &e.kind {
        ExprKind::Ident(name) => {
            let plain = plain_name(name);
            if side.declares(name) || side.declares(plain) || is_builtin_function(name) {
                return None;
            }
            if name.len() > plain.len() && is_index(&name[plain.len() + 1..]) {
                // `o_k^s = ...` states an entry: it is checked, not a definition
                return None;
            }
            Some((
                Ident {
                    name: name.clone(),
                    span: e.span,
                },
                Vec::new(),
            ))
        }
        ExprKind::Call {
            func,
            primes: 0,
            args,
        } => {
            if is_builtin_function(&func.name) || side.declares(&func.name) {
                return None;
            }
            // `a(x) = \sigma(x)` after `a(x) = \frac{1}{1+e^{-x}}`: a claim about `a`
            // (a bare name, `L_{CE} = ...`, is redefined instead)
            if text_defs.iter().any(|d| d.name.name == func.name) {
                return None;
            }
            let mut params: Vec<Ident> = Vec::new();
            for a in args {
                match &a.value.kind {
                    ExprKind::Ident(n)
                        if n.chars().count() == 1 && !params.iter().any(|p| &p.name == n) =>
                    {
                        params.push(Ident {
                            name: n.clone(),
                            span: a.value.span,
                        })
                    }
                    // `L_{CE}(\sigma(o^a), y)`: the arguments only annotate the name
                    _ => return Some((func.clone(), Vec::new())),
                }
            }
            Some((func.clone(), params))
        }
        // `h^a` with no declared `ha`: a labelled name
        ExprKind::Binary {
            op: crate::syntax::ast::BinOp::Pow,
            lhs,
            rhs,
        } => match (&lhs.kind, &rhs.kind) {
            (ExprKind::Ident(b), ExprKind::Ident(l))
                if b.chars().count() == 1 && l.chars().count() == 1 && b != "e" =>
            {
                let name = format!("{b}{l}");
                if side.declares(&name) {
                    return None;
                }
                Some((Ident { name, span: e.span }, Vec::new()))
            }
            _ => None,
        },
        _ => None,
    }
}

// ----- declarations for one chain -----

#[derive(Default)]
struct Usage {
    /// Names used bare: `x`, `L_CE`.
    scalars: BTreeSet<String>,
    /// Names used with an index, and how many indices: `x_i` (1), `w_{kj}` (2).
    indexed: BTreeMap<String, usize>,
    /// Names written as indices.
    indices: BTreeSet<String>,
    /// Upper bounds of sums: sizes.
    sizes: BTreeSet<String>,
    /// Calls of unknown one-argument functions.
    functions: BTreeSet<String>,
    /// Names inside the arguments of an indexed definition (`S(x + c)`): vectors.
    vector_args: BTreeSet<String>,
    /// Text definitions used without arguments.
    bare_defs: BTreeSet<String>,
    /// Text definitions used.
    used_defs: BTreeSet<String>,
    /// Sum indices with a named upper bound, innermost last: `(k, m)` in `\sum_{k=1}^m`.
    sum_bounds: Vec<(String, String)>,
    /// A vector's size read off the sum it is indexed in: `o_k` in `\sum_{k=1}^m` has `m`.
    sizes_of: BTreeMap<String, String>,
}

impl Usage {
    fn note_index(&mut self, base: &str, index: &str) {
        if let Some((_, size)) = self.sum_bounds.iter().rev().find(|(i, _)| i == index) {
            self.sizes_of
                .entry(base.to_string())
                .or_insert_with(|| size.clone());
        }
    }
}

struct Scope<'a> {
    side: &'a SideFile,
    defs: &'a HashMap<String, &'a TextDef>,
}

fn collect(e: &Expr, scope: &Scope, usage: &mut Usage, bound: &mut Vec<String>, in_vec_arg: bool) {
    let walk = |e: &Expr, usage: &mut Usage, bound: &mut Vec<String>| {
        collect(e, scope, usage, bound, in_vec_arg)
    };
    match &e.kind {
        ExprKind::Ident(name) => {
            if bound.contains(name) {
                return;
            }
            if let Some((base, sub)) = name.split_once('_') {
                let index_like = sub.chars().count() == 1 && sub.chars().all(|c| c.is_lowercase());
                if index_like {
                    usage.indexed.entry(base.to_string()).or_insert(1);
                    usage.note_index(base, sub);
                    if !bound.iter().any(|b| b == sub) {
                        usage.indices.insert(sub.to_string());
                    }
                    if scope.defs.contains_key(base) {
                        usage.used_defs.insert(base.to_string());
                        usage.bare_defs.insert(base.to_string());
                    }
                    return;
                }
            }
            if scope.defs.contains_key(name.as_str()) {
                usage.used_defs.insert(name.clone());
                usage.bare_defs.insert(name.clone());
                return;
            }
            if in_vec_arg {
                usage.vector_args.insert(name.clone());
            }
            usage.scalars.insert(name.clone());
        }
        ExprKind::Subscript { base, indices } => {
            if let ExprKind::Ident(b) = &base.kind {
                if !bound.contains(b) {
                    usage.indexed.insert(b.clone(), indices.len());
                    if let [index] = indices.as_slice() {
                        if let ExprKind::Ident(i) = &index.kind {
                            usage.note_index(b, i);
                        }
                    }
                    if scope.defs.contains_key(b.as_str()) {
                        usage.used_defs.insert(b.clone());
                        usage.bare_defs.insert(b.clone());
                    }
                }
            } else {
                walk(base, usage, bound);
            }
            for i in indices {
                match &i.kind {
                    ExprKind::Ident(n) if n.chars().count() == 1 => {
                        if !bound.contains(n) {
                            usage.indices.insert(n.clone());
                        }
                    }
                    _ => walk(i, usage, bound),
                }
            }
        }
        ExprKind::Call { func, args, .. } => {
            let name = func.name.as_str();
            let vector_args =
                scope.side.indexed.contains(name) || matches!(name, "softmax" | "diag");
            if scope.defs.contains_key(name) {
                usage.used_defs.insert(name.to_string());
            } else if !is_builtin_function(name) && !scope.side.declares(name) && args.len() == 1 {
                usage.functions.insert(name.to_string());
            }
            for a in args {
                // only a name that is the whole argument (`S(x)`, not the `c` of `S(x + c)`)
                let whole = vector_args && matches!(a.value.kind, ExprKind::Ident(_));
                collect(&a.value, scope, usage, bound, whole);
            }
        }
        ExprKind::Sum {
            index,
            lower,
            upper,
            body,
        } => {
            if let Some(l) = lower {
                walk(l, usage, bound);
            }
            let mut named_bound = false;
            if let Some(u) = upper {
                match &u.kind {
                    ExprKind::Ident(n) => {
                        usage.sizes.insert(n.clone());
                        usage.sum_bounds.push((index.name.clone(), n.clone()));
                        named_bound = true;
                    }
                    _ => walk(u, usage, bound),
                }
            }
            bound.push(index.name.clone());
            walk(body, usage, bound);
            bound.pop();
            if named_bound {
                usage.sum_bounds.pop();
            }
        }
        ExprKind::Limit { var, body, .. } => {
            bound.push(var.name.clone());
            walk(body, usage, bound);
            bound.pop();
        }
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            walk(lhs, usage, bound);
            walk(rhs, usage, bound);
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            walk(x, usage, bound)
        }
        ExprKind::Vector(items) | ExprKind::And(items) => {
            for x in items {
                walk(x, usage, bound);
            }
        }
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            for (v, c) in branches {
                walk(v, usage, bound);
                walk(c, usage, bound);
            }
            if let Some(o) = otherwise {
                walk(o, usage, bound);
            }
        }
        ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
            walk(var, usage, bound);
            walk(body, usage, bound);
        }
        ExprKind::Number(_) | ExprKind::Path(_) => {}
    }
}

fn domain(kind: DomainKind, span: Span) -> Domain {
    Domain { kind, span }
}

fn var_item(name: &str, kind: DomainKind, span: Span) -> Item {
    Item {
        kind: ItemKind::Var(VarDecl {
            names: vec![Ident {
                name: name.to_string(),
                span,
            }],
            domain: domain(kind, span),
            assumptions: Vec::new(),
        }),
        span,
    }
}

fn is_vector_domain(kind: &DomainKind) -> bool {
    matches!(
        kind,
        DomainKind::Vector(_) | DomainKind::Matrix(..) | DomainKind::OneHot(_)
    )
}

/// The `ast::File` that checks one chain: side-file items (minus the names this
/// chain uses differently), inferred declarations, the text's definitions, the chain.
fn chain_file(chain: &Chain, defs: &Defs, side: &SideFile) -> crate::syntax::ast::File {
    let span = chain.parts[0]
        .span
        .join(chain.parts[chain.parts.len() - 1].span);
    let by_name: HashMap<String, &TextDef> = chain
        .definitions
        .iter()
        .map(|d| (d.name.name.clone(), d))
        .collect();
    let scope = Scope {
        side,
        defs: &by_name,
    };
    let mut usage = Usage::default();
    for p in &chain.parts {
        collect(p, &scope, &mut usage, &mut Vec::new(), false);
    }
    // definitions used, and the definitions they use, transitively
    let mut included: Vec<String> = Vec::new();
    let mut pending: Vec<String> = usage.used_defs.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        if included.contains(&name) {
            continue;
        }
        let Some(def) = by_name.get(&name) else {
            continue;
        };
        let mut inner = Usage::default();
        let mut bound: Vec<String> = def.params.iter().map(|p| p.name.clone()).collect();
        collect(&def.body, &scope, &mut inner, &mut bound, false);
        pending.extend(inner.used_defs.iter().cloned());
        usage.scalars.extend(inner.scalars);
        for (k, v) in inner.indexed {
            usage.indexed.entry(k).or_insert(v);
        }
        usage.indices.extend(inner.indices);
        usage.sizes.extend(inner.sizes);
        usage.functions.extend(inner.functions);
        usage.vector_args.extend(inner.vector_args);
        usage.bare_defs.extend(inner.bare_defs);
        for (k, v) in inner.sizes_of {
            usage.sizes_of.entry(k).or_insert(v);
        }
        included.push(name);
    }
    let mut items: Vec<Item> = Vec::new();
    let mut redeclared: HashSet<String> = HashSet::new();
    let mut need_n = false;
    for (name, count) in &usage.indexed {
        if by_name.contains_key(name) || side.others.contains(name) {
            continue;
        }
        if let Some(kind) = side.vars.get(name) {
            if is_vector_domain(kind) {
                continue;
            }
            redeclared.insert(name.clone());
        }
        let size = usage.sizes_of.get(name).cloned().unwrap_or_else(|| {
            need_n = true;
            "n".to_string()
        });
        let n = || Expr {
            kind: ExprKind::Ident(size.clone()),
            span,
        };
        let kind = if *count >= 2 {
            DomainKind::Matrix(n(), n())
        } else {
            DomainKind::Vector(n())
        };
        items.push(var_item(name, kind, span));
    }
    for name in &usage.scalars {
        if usage.indexed.contains_key(name)
            || by_name.contains_key(name)
            || side.others.contains(name)
            || is_builtin_function(name)
            || name == "e"
        {
            continue;
        }
        if let Some(kind) = side.vars.get(name) {
            // a vector of the side file used bare is a scalar here, unless it is
            // the argument of an indexed definition (`S(x)`)
            if !is_vector_domain(kind) || usage.vector_args.contains(name) {
                continue;
            }
            redeclared.insert(name.clone());
        } else if usage.vector_args.contains(name) {
            // `\text{softmax}(o^a)`, `S(x)`: the argument is a whole vector
            need_n = true;
            let n = Expr {
                kind: ExprKind::Ident("n".into()),
                span,
            };
            items.push(var_item(name, DomainKind::Vector(n), span));
            continue;
        }
        items.push(var_item(name, DomainKind::Real, span));
    }
    for name in &usage.functions {
        if by_name.contains_key(name) {
            continue;
        }
        let real = || Box::new(domain(DomainKind::Real, span));
        items.push(var_item(name, DomainKind::Function(real(), real()), span));
    }
    let mut dims: Vec<Ident> = usage
        .sizes
        .iter()
        .filter(|s| !side.declares(s) && !usage.scalars.contains(*s))
        .map(|s| Ident {
            name: s.clone(),
            span,
        })
        .collect();
    if need_n && !side.declares("n") && !usage.sizes.contains("n") {
        dims.push(Ident {
            name: "n".into(),
            span,
        });
    }
    if !dims.is_empty() {
        items.insert(
            0,
            Item {
                kind: ItemKind::Dim(dims),
                span,
            },
        );
    }
    let mut file_items: Vec<Item> = defs
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Var(v) => {
                let names: Vec<Ident> = v
                    .names
                    .iter()
                    .filter(|n| !redeclared.contains(&n.name))
                    .cloned()
                    .collect();
                (!names.is_empty()).then(|| Item {
                    kind: ItemKind::Var(VarDecl {
                        names,
                        domain: v.domain.clone(),
                        assumptions: v.assumptions.clone(),
                    }),
                    span: item.span,
                })
            }
            _ => Some(item.clone()),
        })
        .collect();
    file_items.extend(items);
    // oldest first, so a definition may use an earlier one
    for def in chain
        .definitions
        .iter()
        .filter(|d| included.contains(&d.name.name))
    {
        let params = if usage.bare_defs.contains(&def.name.name) {
            Vec::new()
        } else {
            def.params.clone()
        };
        file_items.push(Item {
            kind: ItemKind::Def(Def {
                name: def.name.clone(),
                params,
                index: None,
                body: def.body.clone(),
            }),
            span: def.body.span,
        });
    }
    let parts = entrywise(chain, side);
    let steps = parts[1..]
        .iter()
        .zip(&chain.ops)
        .map(|(rhs, op)| Step {
            expect: None,
            op: *op,
            rhs: rhs.clone(),
            span: rhs.span,
        })
        .collect();
    file_items.push(Item {
        kind: ItemKind::Derive(Derive {
            name: Some(chain.name.clone()),
            expect: None,
            conditions: Vec::new(),
            start: parts[0].clone(),
            steps,
        }),
        span,
    });
    crate::syntax::ast::File { items: file_items }
}

/// A chain about entry `i` (`S(x+c)_i = ... = S(x)`): a later bare call of the same
/// indexed definition is read at that entry.
fn entrywise(chain: &Chain, side: &SideFile) -> Vec<Expr> {
    let mut parts = chain.parts.clone();
    let ExprKind::Subscript { base, indices } = &parts[0].kind else {
        return parts;
    };
    let ExprKind::Call { func, .. } = &base.kind else {
        return parts;
    };
    if !side.indexed.contains(&func.name) {
        return parts;
    }
    let (name, indices) = (func.name.clone(), indices.clone());
    for p in parts.iter_mut().skip(1) {
        if matches!(&p.kind, ExprKind::Call { func, .. } if func.name == name) {
            *p = Expr {
                kind: ExprKind::Subscript {
                    base: Box::new(p.clone()),
                    indices: indices.clone(),
                },
                span: p.span,
            };
        }
    }
    parts
}

/// A derivative of a bare name that no definition (text or side file) ties to the
/// variable (`\frac{\partial L}{\partial o_k}` far from L's definition, or
/// `\frac{\partial o_k}{\partial b_k}` with `o` a plain variable): it would be 0.
fn undefined_derivative(chain: &Chain, side: &SideFile) -> Option<(Span, String)> {
    fn base_of(e: &Expr) -> Option<&str> {
        match &e.kind {
            ExprKind::Ident(n) => Some(plain_name(n)),
            ExprKind::Subscript { base, .. } => base_of(base),
            _ => None,
        }
    }
    fn find(e: &Expr, known: &dyn Fn(&str) -> bool) -> Option<(Span, String)> {
        match &e.kind {
            ExprKind::Derivative { body, var, .. } | ExprKind::Grad { body, var } => {
                if let ExprKind::Ident(full) = &body.kind {
                    let n = plain_name(full);
                    if !known(full) && !known(n) && base_of(var) != Some(n) {
                        return Some((body.span, full.clone()));
                    }
                } else if let Some(n) = base_of(body) {
                    if !known(n) && base_of(var) != Some(n) {
                        return Some((body.span, n.to_string()));
                    }
                }
                find(body, known).or_else(|| find(var, known))
            }
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
                find(lhs, known).or_else(|| find(rhs, known))
            }
            ExprKind::Neg(x) => find(x, known),
            ExprKind::Call { args, .. } => args.iter().find_map(|a| find(&a.value, known)),
            ExprKind::Sum { body, .. } | ExprKind::Limit { body, .. } => find(body, known),
            _ => None,
        }
    }
    let known =
        |n: &str| chain.definitions.iter().any(|d| d.name.name == n) || side.others.contains(n);
    chain.parts.iter().find_map(|p| find(p, &known))
}

/// What ML notes take for granted: `S` and `s` are the softmax,
/// `S(x)_i = exp(x_i) / Σ_j exp(x_j)`. Used unless the side file declares the name.
const PRELUDE: &str =
    "def S(z)_i = exp(z_i) / sum_j exp(z_j)\ndef s(z)_i = exp(z_i) / sum_j exp(z_j)\n";

/// The side file plus the prelude's definitions it does not override. Prelude spans
/// are empty at the document's start (they point into no document).
fn with_prelude(defs: &Defs) -> Defs {
    let side = SideFile::new(defs);
    let mut items = defs.items.clone();
    for mut item in crate::syntax::parse_file(PRELUDE).file.items {
        if let ItemKind::Def(d) = &mut item.kind {
            if side.declares(&d.name.name) {
                continue;
            }
            d.name.span = Span::default();
            for p in d.params.iter_mut().chain(d.index.iter_mut()) {
                p.span = Span::default();
            }
            zero_spans(&mut d.body);
            item.span = Span::default();
            items.push(item);
        }
    }
    Defs { items }
}

pub(super) fn zero_spans(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Call { func, args, .. } => {
            func.span = Span::default();
            for a in args {
                zero_spans(&mut a.value);
            }
        }
        ExprKind::Subscript { base, indices } => {
            zero_spans(base);
            indices.iter_mut().for_each(zero_spans);
        }
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            zero_spans(lhs);
            zero_spans(rhs);
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            zero_spans(x)
        }
        ExprKind::Vector(items) | ExprKind::And(items) => items.iter_mut().for_each(zero_spans),
        ExprKind::Sum {
            index,
            lower,
            upper,
            body,
        } => {
            index.span = Span::default();
            for b in lower.iter_mut().chain(upper.iter_mut()) {
                zero_spans(b);
            }
            zero_spans(body);
        }
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            for (v, c) in branches {
                zero_spans(v);
                zero_spans(c);
            }
            if let Some(o) = otherwise {
                zero_spans(o);
            }
        }
        ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
            zero_spans(var);
            zero_spans(body);
        }
        ExprKind::Limit { var, body, .. } => {
            var.span = Span::default();
            zero_spans(body);
        }
        ExprKind::Number(_) | ExprKind::Ident(_) | ExprKind::Path(_) => {}
    }
}

/// Reads, lowers and checks a Markdown or LaTeX document.
pub fn check_document(
    source: SourceFile,
    kind: DocKind,
    defs: &Defs,
    config: &CheckConfig,
) -> FileReport {
    let defs = &with_prelude(defs);
    let reading = read_document(&source, kind, defs);
    let side = SideFile::new(defs);
    let mut diagnostics = reading.warnings.clone();
    let mut results: Vec<ResultRow> = Vec::new();
    let mut undefined = 0;
    let mut checked_chains = 0;
    for chain in &reading.chains {
        if let Some((span, name)) = undefined_derivative(chain, &side) {
            undefined += 1;
            diagnostics.push(
                Diagnostic::warning(
                    span,
                    format!("`{name}` has no definition here, so its derivative is not checked"),
                )
                .with_note("define it in the text (`L = ...`) or in the --defs file"),
            );
            continue;
        }
        let file = chain_file(chain, defs, &side);
        let mut program = lower::lower_file(&file, LowerConfig::default());
        if !program.obligations.is_empty() {
            checked_chains += 1;
        }
        for d in program.diagnostics.drain(..) {
            let message = if d.is_error() {
                format!("{}; not checked", d.message)
            } else {
                d.message.clone()
            };
            let mut w = Diagnostic::warning(d.span, message);
            w.labels = d.labels;
            w.notes = d.notes;
            diagnostics.push(w);
        }
        let outcomes = check::check_program(&mut program, config);
        results.extend(result_rows(&source, &program, outcomes));
    }
    let steps = results.len();
    diagnostics.push(
        Diagnostic::warning(
            Span::default(),
            format!(
                "read {checked_chains} chains ({steps} steps) from the math of this {}",
                match kind {
                    DocKind::Markdown => "Markdown file",
                    DocKind::Latex => "LaTeX file",
                }
            ),
        )
        .with_note(format!(
            "skipped: {} statements without `=`, {} with another relation (<, ∈, →, ...), \
             {} definitions and assignments, {} conclusions under a condition (after ⇒), \
             {} formulas the reader could not read, {} chains differentiating an undefined name",
            reading.without_equality,
            reading.relations,
            reading.definitions,
            reading.conditional,
            reading.unreadable,
            undefined
        )),
    );
    diagnostics.sort_by_key(|d| d.span.start);
    results.sort_by_key(|r| r.span.start);
    FileReport {
        source,
        diagnostics,
        results,
    }
}

/// An annotated copy of a Markdown document: `\;\text{✓}` or `\;\text{✗}` after each
/// checked step (inside its math), and a list of the verdicts at the end.
pub fn annotate_markdown(report: &FileReport) -> String {
    let text = &report.source.text;
    let mut marks: Vec<(usize, &'static str)> = report
        .results
        .iter()
        .map(|row| {
            let mark = match (&row.verdict, row.passed) {
                (Verdict::Refuted { .. }, _) => "\\;\\text{✗}",
                (_, true) => "\\;\\text{✓}",
                _ => "\\;\\text{?}",
            };
            (row.span.end as usize, mark)
        })
        .collect();
    marks.sort_by_key(|m| std::cmp::Reverse(m.0));
    let mut out = text.clone();
    for (at, mark) in marks {
        if at <= out.len() && out.is_char_boundary(at) {
            out.insert_str(at, mark);
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let s = report::summarize(std::slice::from_ref(report));
    out.push_str(&format!(
        "\n---\n\n**nabla**: {} proved, {} checked, {} refuted, {} unknown.\n\n",
        s.proved, s.checked, s.refuted, s.unknown
    ));
    for row in &report.results {
        let mark = match (&row.verdict, row.passed) {
            (Verdict::Refuted { .. }, _) => "✗",
            (_, true) => "✓",
            _ => "?",
        };
        out.push_str(&format!(
            "- {mark} line {}: `{}` — {}{}\n",
            row.line,
            row.text.replace('`', "'"),
            row.verdict.word(),
            match report::verdict_detail(row) {
                d if d.is_empty() => String::new(),
                d => format!(" ({})", d.replace('\n', " ")),
            }
        ));
    }
    out
}
