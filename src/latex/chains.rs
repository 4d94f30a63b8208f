//! Building chains: statements in document order become chains of equalities;
//! definitions read from the text, assignments, conditions and sections decide
//! what each `=` is.
//!
//! * A statement with no `=` is skipped; so is one with another relation at top
//!   level (`<`, `\leq`, `\in`, `\to`, `:` ...).
//! * A statement whose left side is a name (`h_1`, `L_{CE}`) or a call of a function
//!   that is neither built in nor declared (`a(x)`, `L(x, y)`) is a definition: the
//!   first `=` defines the name (used by later formulas), the rest is checked.
//! * A math block that starts with `=` continues the previous statement's chain.

use super::declare::{is_constant, SideFile};
use super::find::MathBlock;
use super::lex::{tokenize, Tok, Token};
use super::parse::{is_builtin_function, parse_expression, plain_name, Context, ParseError};
use super::statements::{is_shape, split_statements, strip_label, unwrap_boxed, Statement};
use crate::diagnostic::Diagnostic;
use crate::span::{SourceFile, Span};
use crate::syntax::ast::{Expr, ExprKind, Ident, Item, RelOp};
use std::collections::HashSet;

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
    /// `=` and `≈` relations at the top level of the document's statements.
    pub equalities: usize,
    /// Statements without any relation (a formula named in prose).
    pub without_equality: usize,
    /// Statements with another relation and no `=` (`x > 0`, `x \in \mathbb{R}`).
    pub other_relations: usize,
    /// Formulas holding equalities that no chain checks, with why.
    pub skipped: Vec<Skip>,
    pub warnings: Vec<Diagnostic>,
}

/// A formula whose equalities are not judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Skip {
    pub span: Span,
    pub reason: SkipReason,
    /// How many of the document's equalities this accounts for.
    pub equalities: usize,
}

/// Why a formula is not judged; [`SkipReason::class`] is the short name reports use.
#[derive(Clone, Debug, PartialEq)]
pub enum SkipReason {
    /// Another relation at top level (`<`, `\in`, `\to`, `:`).
    Relation,
    /// A conclusion after `\Rightarrow` that holds only under the condition before it.
    Conditional,
    /// `= m \times d_h`: a size, not a value.
    Size,
    /// `x = 0`, `\sigma(a) = [0.1, 0.9]`: a value given by example.
    Assignment,
    /// The first `=` of a definition (`a(x) = ...`), or a left side that states
    /// what a variable is (`o_k^a = ...`).
    Definition,
    /// A leading `=` with nothing before it to continue.
    NoLeftSide,
    /// A formula the reader cannot read; the message says what.
    Unreadable(String),
    /// A derivative of a name no definition ties to the variable.
    UndefinedDerivative(String),
    /// Read, but lowering refused it (the message says why).
    NotChecked(String),
}

impl SkipReason {
    /// The reason's class: `relation`, `conditional`, `size`, `assignment`,
    /// `definition`, `no-left-side`, `unreadable`, `undefined-derivative`, `not-checked`.
    pub fn class(&self) -> &'static str {
        match self {
            SkipReason::Relation => "relation",
            SkipReason::Conditional => "conditional",
            SkipReason::Size => "size",
            SkipReason::Assignment => "assignment",
            SkipReason::Definition => "definition",
            SkipReason::NoLeftSide => "no-left-side",
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::UndefinedDerivative(_) => "undefined-derivative",
            SkipReason::NotChecked(_) => "not-checked",
        }
    }

    /// The reason in words, for a person.
    pub fn describe(&self) -> String {
        match self {
            SkipReason::Relation => "another relation (<, ∈, →, ...) at top level".into(),
            SkipReason::Conditional => "a conclusion under a condition (after ⇒)".into(),
            SkipReason::Size => "a size, not a value".into(),
            SkipReason::Assignment => "an assignment of a value".into(),
            SkipReason::Definition => "definition only".into(),
            SkipReason::NoLeftSide => "a leading `=` that continues nothing".into(),
            SkipReason::Unreadable(m) => m.clone(),
            SkipReason::UndefinedDerivative(n) => {
                format!("differentiates `{n}`, which has no definition here")
            }
            SkipReason::NotChecked(m) => format!("not checked: {m}"),
        }
    }
}

impl Reading {
    fn skip(&mut self, span: Span, reason: SkipReason, equalities: usize) {
        if equalities > 0 {
            self.skipped.push(Skip {
                span,
                reason,
                equalities,
            });
        }
    }
}

/// Names written with both an index and a letter superscript somewhere in the
/// document (`o_k^a`, `h^s_j`): there the superscript labels the name, so `o^a`
/// is the name `oa`, not a power.
fn document_labels(blocks: &[MathBlock]) -> HashSet<String> {
    let mut labels = HashSet::new();
    for block in blocks {
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

/// Reads every chain of the math `blocks` of `source` (the whole document is the
/// span space), with the side file's names in `side`.
pub fn read_chains(
    source: &SourceFile,
    blocks: &[MathBlock],
    side: &SideFile,
    side_items: &[Item],
) -> Reading {
    let mut ctx = side.context(side_items);
    ctx.labels.extend(document_labels(blocks));
    ctx.star_is_convolution = Context::mentions_convolution(&source.text);
    let mut reading = Reading::default();
    let mut text_defs: Vec<TextDef> = Vec::new();
    let mut open: Option<OpenChain> = None;
    let base_ctx = ctx.clone();
    let mut previous_was_condition = false;
    let mut prose_from = 0usize;
    for block in blocks {
        let mut toks = tokenize(&block.body, block.body_span.start as usize);
        if block.decoded {
            // a formula decoded from an image URL is located at the image
            for t in &mut toks {
                t.span = block.span;
            }
        }
        let toks = unwrap_boxed(toks);
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
            reading.equalities += statement.ops.len();
            let span = statement.span().unwrap_or(block.span);
            if !statement.continues {
                close(&mut open, &mut reading, &text_defs);
            }
            let after_condition = std::mem::take(&mut previous_was_condition);
            if statement.other_relation {
                if statement.ops.is_empty() {
                    reading.other_relations += 1;
                }
                reading.skip(span, SkipReason::Relation, statement.ops.len());
                previous_was_condition = true;
                close(&mut open, &mut reading, &text_defs);
                continue;
            }
            if statement.after_implication && after_condition {
                // `c \to 1 \Rightarrow S(x^c) = S(x)` holds only under its condition
                reading.skip(span, SkipReason::Conditional, statement.ops.len());
                continue;
            }
            if statement.parts.iter().any(|p| is_shape(p)) {
                // `\frac{\partial L}{\partial h} = 1 \times d_h`: a size, not a value
                reading.skip(span, SkipReason::Size, statement.ops.len());
                close(&mut open, &mut reading, &text_defs);
                continue;
            }
            if statement.parts.len() < 2 {
                reading.without_equality += 1;
                close(&mut open, &mut reading, &text_defs);
                continue;
            }
            let mut parts: Vec<Part> = Vec::new();
            let mut ops = statement.ops.clone();
            let mut toks_parts = statement.parts.iter();
            if statement.continues {
                // the empty part before the leading `=`
                toks_parts.next();
                if open.is_none() {
                    reading.skip(span, SkipReason::NoLeftSide, 1);
                    ops.remove(0);
                }
            } else if let Some(first) = toks_parts.next() {
                // the left side: a definition, or the start of a chain
                if is_assignment(&statement, &ctx) {
                    // `x = 0`, `c = 1`: a value or a condition, not a derivation
                    reading.skip(span, SkipReason::Assignment, statement.ops.len());
                    previous_was_condition = true;
                    continue;
                }
                let definition_span = statement.part_span(0).unwrap_or(span);
                if skipped_lhs(first, &ctx, side, &text_defs) {
                    // `o_k^a = \sum_j w_{kj} h_j + b_k` states what a variable is
                    reading.skip(definition_span, SkipReason::Definition, 1);
                    ops.remove(0);
                } else if let Some((name, params)) = defined_name(first, &ctx, side, &text_defs) {
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
                    reading.skip(definition_span, SkipReason::Definition, 1);
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
                reading.skip(span, SkipReason::NoLeftSide, 1);
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

/// A part of a statement: read, or the place and message of why not.
type Part = Result<Expr, (Span, String)>;

struct OpenChain {
    name: String,
    parts: Vec<Part>,
    ops: Vec<RelOp>,
}

fn chain_name(source: &SourceFile, label: Option<&str>, first: Option<&Token>) -> String {
    let at = first.map(|t| source.locate(t.span.start as usize));
    let line = at.map_or(0, |a| a.line);
    let place = match at.and_then(|a| a.cell) {
        Some(cell) => format!("cell {cell} line {line}"),
        None => format!("line {line}"),
    };
    match label {
        Some(l) => format!("{l} {place}"),
        None => place,
    }
}

/// Ends the open chain: runs of readable parts become chains (an unreadable part
/// splits the chain, so no step jumps over it, and the steps it touches are skipped).
fn close(open: &mut Option<OpenChain>, reading: &mut Reading, text_defs: &[TextDef]) {
    let Some(chain) = open.take() else {
        return;
    };
    // the relations an unreadable part takes with it: the one before it and the one after
    for (k, part) in chain.parts.iter().enumerate() {
        let Err((span, message)) = part else {
            continue;
        };
        let before = k > 0 && k <= chain.ops.len() && chain.parts[k - 1].is_ok();
        let after = k < chain.ops.len();
        let lost = usize::from(before) + usize::from(after);
        reading.skip(*span, SkipReason::Unreadable(message.clone()), lost);
    }
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
            Ok(e) => {
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
            Err(_) => flush(&mut run, &mut run_ops),
        }
    }
    flush(&mut run, &mut run_ops);
}

fn parse_part(toks: &[Token], ctx: &Context, reading: &mut Reading) -> Part {
    parse_expression(toks, ctx).map_err(|ParseError { span, message }| {
        reading.warnings.push(
            Diagnostic::warning(span, format!("{message}; this formula is not checked"))
                .with_note("the chain is split here: the steps on either side are still checked"),
        );
        (span, message)
    })
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
            // `x(1 - x) = x - x^2`: a name applied to an expression of itself is a product
            if args.iter().any(|a| mentions(&a.value, &func.name)) {
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

/// Whether `e` uses the plain name `name` anywhere.
fn mentions(e: &Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Ident(n) => n == name,
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            mentions(lhs, name) || mentions(rhs, name)
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            mentions(x, name)
        }
        ExprKind::Call { func, args, .. } => {
            func.name == name || args.iter().any(|a| mentions(&a.value, name))
        }
        ExprKind::Subscript { base, indices } => {
            mentions(base, name) || indices.iter().any(|i| mentions(i, name))
        }
        ExprKind::Vector(items) | ExprKind::And(items) => items.iter().any(|i| mentions(i, name)),
        _ => false,
    }
}

/// A derivative of a bare name that no definition (text or side file) ties to the
/// variable (`\frac{\partial L}{\partial o_k}` far from L's definition, or
/// `\frac{\partial o_k}{\partial b_k}` with `o` a plain variable): it would be 0.
pub(super) fn undefined_derivative(chain: &Chain, side: &SideFile) -> Option<(Span, String)> {
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
