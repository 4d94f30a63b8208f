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

pub use super::chain::{Chain, TextDef};
use super::chain::{Skip, SkipReason};
use super::context::{
    has_derivative, instantiate, is_condition_word, is_number, is_with_word, mentions, names,
    prose_cues, Assumption, Binding,
};
use super::conventions::{
    bare_index_superscripts, conventions_in, einstein, letter_runs, lone_letters, with_log_base,
    LogBase,
};
use super::declare::{is_constant, reached, SideFile};
use super::find::MathBlock;
use super::lex::{tokenize, Tok, Token};
use super::parse::is_shape;
use super::parse::{
    is_builtin_function, parse_expression, parse_with_labels, plain_name, Context, ParseError,
    ShapeLabel,
};
use super::shapes::{
    read_shape_statement, read_size_statement, Labelled, ShapeDecl, ShapeStatement,
};
use super::statements::{split_statements, strip_label, unwrap_boxed, Statement};
use super::worded::worded_shapes;
use crate::diagnostic::Diagnostic;
use crate::span::{SourceFile, Span};
use crate::syntax::ast::{DomainKind, Expr, ExprKind, Ident, Item, RelOp};
use std::collections::{BTreeSet, HashSet};

/// A condition the text states, and where.
#[derive(Clone, Debug)]
struct Condition {
    expr: Expr,
    shown: String,
    /// The block it stands in; it applies to the chains of that block and of the
    /// next block with chains, and is only recalled after that.
    block: usize,
    next_used: bool,
}

/// A definition the text writes that the reader does not use (an entry such as
/// `o_k^a = \sum_j w_{kj} h_j + b_k`, or a name `--defs` declares a variable).
#[derive(Clone, Debug)]
struct Cut {
    name: String,
    shown: String,
}

/// The context a chain is read in.
#[derive(Clone, Debug, Default)]
struct Situation {
    attach: Vec<(Expr, String)>,
    recalled: Vec<(Expr, String)>,
    /// The words that said the chain holds in a limit ("large k"), and where.
    limit: Option<(String, String)>,
    bindings: Vec<Binding>,
    cuts: Vec<Cut>,
    /// The base the text gives `\log`, and where it says so.
    log_base: Option<(LogBase, String)>,
    /// Names the text calls one-hot, and where.
    one_hot: Vec<(String, String)>,
    /// Where the text adopts Einstein notation.
    einstein: Option<String>,
    /// Built-in letters the text introduces as its own names, and where.
    own_letters: Vec<(String, String)>,
    /// Letters the document's math writes on their own somewhere (`$x$`).
    lone: std::rc::Rc<HashSet<String>>,
    shapes: Vec<ShapeDecl>,
    /// The shapes stated anywhere in the question so far (earlier sub-parts too).
    question_shapes: Vec<ShapeDecl>,
    /// The text's vector definitions of names `--defs` declares variables
    /// (`o^a = W^{(2)} h^s + b^{(2)}` with `var oa`), used where a derivative needs them.
    overrides: Vec<TextDef>,
    /// Names the text defined entry by entry (`J_{ij} = ...`) so far in the question.
    entries: Vec<super::entries::EntryDef>,
    /// Comparisons the text states after "with" (`avec $\epsilon > 0$`): they hold
    /// for the rest of the question, wherever a chain reaches their names.
    standing: Vec<(Expr, String)>,
    /// The text makes `I` a name of its own ("let $I$ be the input"): it is never
    /// read as the identity matrix.
    identity_owned: bool,
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
    /// Dimension labels read in the statement being read, not yet made claims.
    labels: Vec<ShapeLabel>,
    /// Names the text defines in a formula whose body the reader could not read
    /// (`\text{where } H = \begin{bmatrix} \dots \end{bmatrix}`), and where.
    pub unread_definitions: Vec<(String, Span)>,
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

/// The bold capitals the document gives a shape (`\mathbf{W} \in \mathbb{R}^{m \times d}`,
/// `\mathbf{W}, \mathbf{V} \in ..`): a bold capital is a matrix, read as its letter only
/// when the text says which.
fn document_bold_capitals(blocks: &[MathBlock]) -> HashSet<String> {
    let bold = |t: &Token| matches!(&t.tok, Tok::Cmd(c) if matches!(c.as_str(), "mathbf" | "bm" | "boldsymbol"));
    let mut out = HashSet::new();
    for block in blocks {
        let toks = tokenize(&block.body, 0);
        let mut pending: Vec<String> = Vec::new();
        let mut k = 0;
        while k < toks.len() {
            match (&toks[k], toks.get(k + 1), toks.get(k + 2), toks.get(k + 3)) {
                (b, Some(open), Some(letter), Some(close))
                    if bold(b)
                        && open.tok == Tok::Sym('{')
                        && close.tok == Tok::Sym('}')
                        && matches!(letter.tok, Tok::Letter(c) if c.is_ascii_uppercase()) =>
                {
                    if let Tok::Letter(c) = letter.tok {
                        pending.push(c.to_string());
                    }
                    k += 4;
                    continue;
                }
                (t, ..) if t.tok == Tok::Sym(',') && !pending.is_empty() => {}
                (t, ..) if matches!(&t.tok, Tok::Cmd(c) if c == "in") => {
                    out.extend(pending.drain(..));
                }
                _ => pending.clear(),
            }
            k += 1;
        }
    }
    out
}

/// The letters a document's math writes on their own somewhere (`an input $x$`,
/// `\partial w`): a run `wx` of such letters is read as a product without assuming.
fn document_lone_letters(blocks: &[MathBlock]) -> HashSet<String> {
    let mut lone = HashSet::new();
    for block in blocks {
        let toks = tokenize(&block.body, 0);
        for (k, t) in toks.iter().enumerate() {
            let Tok::Letter(c) = t.tok else {
                continue;
            };
            let touches = |other: Option<&Token>, before: bool| {
                other.is_some_and(|o| {
                    matches!(o.tok, Tok::Letter(_))
                        && if before {
                            o.span.end == t.span.start
                        } else {
                            o.span.start == t.span.end
                        }
                })
            };
            let previous = k.checked_sub(1).and_then(|j| toks.get(j));
            if !touches(previous, true) && !touches(toks.get(k + 1), false) {
                lone.insert(c.to_string());
            }
        }
    }
    lone
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
    ctx.bold_capitals = document_bold_capitals(blocks);
    // shapes stated in words ("$z$ is a vector of length $D$"), as the math would
    // state them; each holds from its phrase on
    let worded: Vec<MathBlock> = worded_shapes(&source.text, blocks)
        .into_iter()
        .map(|w| MathBlock {
            span: w.span,
            body_span: w.span,
            body: w.latex,
            display: false,
            decoded: true,
        })
        .collect();
    ctx.labels.extend(document_labels(&worded));
    ctx.bold_capitals.extend(document_bold_capitals(&worded));
    let mut worded = worded.iter().peekable();
    let lone = std::rc::Rc::new(document_lone_letters(blocks));
    let identity_owned = super::identity::identity_owned(&source.text, blocks);
    ctx.star_is_convolution = Context::mentions_convolution(&source.text);
    let mut reading = Reading::default();
    let mut text_defs: Vec<TextDef> = Vec::new();
    let mut open: Option<OpenChain> = None;
    let base_ctx = ctx.clone();
    let mut previous_was_condition = false;
    let mut prose_from = 0usize;
    // the document's context: conditions, a limit, values and names the text gave
    let mut conditions: Vec<Condition> = Vec::new();
    let mut limit: Option<(String, usize)> = None;
    let mut bindings: Vec<Binding> = Vec::new();
    let mut named: HashSet<String> = HashSet::new();
    let mut cuts: Vec<Cut> = Vec::new();
    // conventions the text states: the log's base and Einstein notation hold from
    // where they are stated on; a one-hot name for its question
    let mut log_base: Option<(LogBase, String)> = None;
    let mut one_hot: Vec<(String, String)> = Vec::new();
    let mut einstein_at: Option<String> = None;
    let mut own_letters: Vec<(String, String)> = Vec::new();
    // the comparison of the previous statement (`i \neq j` before `\Rightarrow`)
    let mut last_relation: Option<(Expr, String)> = None;
    // the shapes the text states (`h^s \in \mathbb{R}^{d_h}`), for the rest of the question
    let mut shapes: Vec<ShapeDecl> = Vec::new();
    // those stated in the current sub-part: they declare the names of its chains
    // (a later sub-part may use the same letter as a number again)
    let mut part_shapes: Vec<ShapeDecl> = Vec::new();
    // the text's definitions of names `--defs` declares vectors, for its question
    let mut overrides: Vec<TextDef> = Vec::new();
    // names the text defines entry by entry (`h_j^s = \ln(1 + e^{h_j^a})`), for the question
    let mut entry_defs: Vec<super::entries::EntryDef> = Vec::new();
    // functions defined under an earlier heading: written again (`f(x) = ...`), they
    // are defined anew, not claimed
    let mut rebindable: Vec<Ident> = Vec::new();
    // comparisons stated after "with" (`avec $\epsilon > 0$`), for the question
    let mut standing: Vec<(Expr, String)> = Vec::new();
    let line_of = |span: Span| source.line_col(span.start as usize).line;
    // how a statement of the text is shown in a context line: "`x > 0` (line 3)"
    let shown_at =
        |span: Span| format!("`{}` (line {})", source.snippet(span).trim(), line_of(span));
    for (block_index, block) in blocks.iter().enumerate() {
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
        let prose_start = prose_from;
        prose_from = block.span.end as usize;
        let cues = prose_cues(prose);
        match section_break(prose) {
            Some(Section::Question) => {
                // a new question: names the text defined before may mean something else now
                close(&mut open, &mut reading, &text_defs, side, &source.text);
                text_defs.clear();
                rebindable.clear();
                standing.clear();
                ctx = base_ctx.clone();
                conditions.clear();
                bindings.clear();
                named.clear();
                cuts.clear();
                one_hot.clear();
                own_letters.clear();
                shapes.clear();
                part_shapes.clear();
                overrides.clear();
                entry_defs.clear();
                limit = None;
            }
            Some(Section::Heading) => {
                // `## Backward pass` after `## Forward pass`: the same text goes on, so
                // its definitions, shapes and conventions stay; conditions, example
                // values and a limit end here, as at a sub-part. A function defined
                // before may be defined anew here rather than claimed.
                close(&mut open, &mut reading, &text_defs, side, &source.text);
                rebindable = text_defs.iter().map(|d| d.name.clone()).collect();
                conditions.clear();
                bindings.clear();
                limit = None;
                if label.is_some() || starts_subpart(prose) {
                    // `## (b)`: a sub-part's own shapes of names
                    part_shapes.clear();
                }
            }
            None if label.is_some() || starts_subpart(prose) => {
                // a sub-part: its own conditions, example values and shapes of names
                conditions.clear();
                bindings.clear();
                part_shapes.clear();
            }
            None => {}
        }
        while let Some(phrase) = worded.next_if(|w| w.span.start <= block.span.start) {
            let mut toks = tokenize(&phrase.body, 0);
            for t in &mut toks {
                t.span = phrase.span;
            }
            // a name's shape only: "$\sigma(x)$ is a vector of length $n$" claims nothing here
            if let Some(stated @ ShapeStatement::Declares(_)) =
                read_shape_statement(&toks, &mut ctx)
            {
                let scopes = (&mut shapes, &mut part_shapes);
                state_shapes(Some(stated), &text_defs, scopes, side, source, &mut reading);
            }
        }
        if let Some(phrase) = &cues.limit {
            limit = Some((phrase.clone(), line_of(block.span)));
        }
        if let Some(phrase) = super::limits::limit_statement(&block.body) {
            // "As $k \to \infty$, ..." states the limit in the math itself
            limit = Some((phrase, line_of(block.span)));
        }
        // whole lines, inline math included: "the target $y$ is one-hot"
        let mut offset = prose_start;
        let block_start = (block.span.start as usize).min(source.text.len());
        while offset < block_start {
            let text = &source.text;
            let start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
            let end = text[offset..].find('\n').map_or(text.len(), |p| offset + p);
            let line = text.get(start..end).unwrap_or("");
            let stated = conventions_in(line);
            let at = format!("line {}", source.line_col(start).line);
            offset = end + 1;
            if let Some(base) = stated.log_base {
                log_base = Some((base, at.clone()));
            }
            if stated.einstein {
                einstein_at = Some(at.clone());
            }
            for name in stated.own_letters {
                own_letters.retain(|(n, _)| *n != name);
                own_letters.push((name, format!("\"{}\" ({at})", line.trim())));
            }
            for name in stated.one_hot {
                one_hot.retain(|(n, _)| *n != name);
                one_hot.push((name, at.clone()));
            }
        }
        named.extend(cues.named.iter().cloned());
        let mut block_has_chain = false;
        // "for $x < 0$ and $x > 0$": a bound in a sentence that says when is no standing one
        let in_conditional_sentence = {
            let before = source.text.get(..block.span.start as usize).unwrap_or("");
            let from = before.rfind(['.', '\n']).map_or(0, |k| k + 1);
            before[from..]
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| is_condition_word(&w.to_lowercase()))
        };
        for (statement_index, statement) in split_statements(toks).into_iter().enumerate() {
            reading.equalities += statement.ops.len();
            let span = statement.span().unwrap_or(block.span);
            // `x(u)` beside a derivative by `u` is ambiguous (a chain's rows share it)
            let differentiated = derivative_letters(&statement);
            if statement.continues {
                ctx.derivative_vars.extend(differentiated);
            } else {
                ctx.derivative_vars = differentiated;
            }
            let trailing = open
                .as_mut()
                .filter(|c| c.block == block_index && statement_index > 0 && !statement.continues);
            if let Some((chain, condition)) =
                trailing.and_then(|c| Some((c, trailing_condition(&statement, &ctx)?)))
            {
                // `\frac{\partial p_j}{\partial o_i} = -p_i p_j, \quad i \neq j`: the
                // formula before it holds under it
                let shown = shown_at(span);
                chain.situation.attach.push((condition, shown));
                reading.other_relations += usize::from(statement.ops.is_empty());
                reading.skip(span, SkipReason::Condition, statement.ops.len());
                continue;
            }
            if !statement.continues {
                close(&mut open, &mut reading, &text_defs, side, &source.text);
            }
            let after_condition = std::mem::take(&mut previous_was_condition);
            let relation_before = last_relation.take();
            let cue_condition = statement.cue.as_deref().is_some_and(is_condition_word)
                || (statement_index == 0 && cues.condition);
            // "avec $\epsilon > 0$": a comparison after "with" holds from here on
            let cue_with = !cue_condition
                && (statement.cue.as_deref().is_some_and(is_with_word)
                    || (statement_index == 0 && cues.with));
            if statement.other_relation {
                let stated = match (statement.parts.first(), statement.parts.last()) {
                    (Some(toks), _) if statement.ops.is_empty() => {
                        read_shape_statement(toks, &mut ctx)
                    }
                    // `h^s = [\dots]^T \in \mathbb{R}^{d_h}`: the name's shape
                    (Some(first), Some(last)) => last
                        .iter()
                        .position(|t| matches!(&t.tok, Tok::Cmd(c) if c == "in"))
                        .and_then(|k| {
                            let mut toks = first.clone();
                            toks.extend_from_slice(&last[k..]);
                            match read_shape_statement(&toks, &mut ctx) {
                                Some(ShapeStatement::Declares(d)) => {
                                    Some(ShapeStatement::Declares(d))
                                }
                                _ => None,
                            }
                        }),
                    _ => None,
                };
                let scopes = (&mut shapes, &mut part_shapes);
                // a claim about a shape counts as a judged equality, not as another relation
                let claimed = state_shapes(stated, &text_defs, scopes, side, source, &mut reading);
                if statement.ops.is_empty() {
                    reading.other_relations += usize::from(!claimed);
                    if let Some(Ok(expr)) =
                        statement.parts.first().map(|t| parse_expression(t, &ctx))
                    {
                        if matches!(expr.kind, ExprKind::Compare { .. }) {
                            let shown = shown_at(span);
                            last_relation = Some((expr, shown));
                        }
                    }
                    if cue_with || (!block.display && !cue_condition && !in_conditional_sentence) {
                        if let Some(Ok(expr)) =
                            statement.parts.first().map(|t| parse_expression(t, &ctx))
                        {
                            // "with $\tau > 0$", and a bound on one name said in
                            // passing: "Let ... and $\varepsilon > 0$."
                            if cue_with && matches!(expr.kind, ExprKind::Compare { .. })
                                || bounds_a_name(&expr)
                            {
                                let shown = shown_at(span);
                                standing.push((expr, shown));
                            }
                        }
                    }
                    if cue_condition {
                        if let Some(toks) = statement.parts.first() {
                            if let Ok(expr) = parse_expression(toks, &ctx) {
                                if matches!(expr.kind, ExprKind::Compare { .. }) {
                                    // a new condition replaces the ones before it
                                    replace_conditions(
                                        &mut conditions,
                                        expr,
                                        shown_at(span),
                                        block_index,
                                    );
                                }
                            }
                        }
                    }
                }
                reading.skip(span, SkipReason::Relation, statement.ops.len());
                previous_was_condition = true;
                close(&mut open, &mut reading, &text_defs, side, &source.text);
                continue;
            }
            if statement.after_implication && after_condition {
                match relation_before {
                    // `i \neq j \Rightarrow J_{ij} = ...`: checked under `i \neq j`
                    Some((expr, shown)) => {
                        replace_conditions(&mut conditions, expr, shown, block_index);
                    }
                    // `c \to 1 \Rightarrow S(x^c) = S(x)` holds only under its condition,
                    // which is not a comparison the check can take
                    None => {
                        reading.skip(span, SkipReason::Conditional, statement.ops.len());
                        continue;
                    }
                }
            }
            if statement.parts.iter().any(|p| is_shape(p)) {
                // `\frac{\partial L}{\partial h} = 1 \times d_h`: a size, not a value; it
                // still states a shape (`b^{(1)} = d_h \times 1`) or labels an expression
                let stated = match statement.parts.as_slice() {
                    [left, right] if !statement.continues && is_shape(right) && !is_shape(left) => {
                        read_size_statement(left, right, &ctx)
                    }
                    _ => None,
                };
                let scopes = (&mut shapes, &mut part_shapes);
                if state_shapes(stated, &text_defs, scopes, side, source, &mut reading) {
                    // the label is this statement's one equality, judged
                    reading.equalities -= 1;
                    close(&mut open, &mut reading, &text_defs, side, &source.text);
                    continue;
                }
                reading.skip(span, SkipReason::Size, statement.ops.len());
                close(&mut open, &mut reading, &text_defs, side, &source.text);
                continue;
            }
            if statement.parts.len() < 2 {
                reading.without_equality += 1;
                // `(W^T \delta)_{H \times 1}` named in prose: its labels are still claims
                if let Some(toks) = statement.parts.first().filter(|t| !t.is_empty()) {
                    if let (Ok(_), labels) = parse_with_labels(toks, &ctx) {
                        for l in labels {
                            let scopes = (&mut shapes, &mut part_shapes);
                            label_chain(l.into(), &text_defs, scopes, side, source, &mut reading);
                        }
                    }
                }
                close(&mut open, &mut reading, &text_defs, side, &source.text);
                continue;
            }
            if statement.cue.as_deref().is_some_and(is_condition_word)
                && !statement.cue.as_deref().is_some_and(is_definition_word)
                && statement.parts.len() == 2
                && !statement.continues
            {
                // `\text{if } i=j \Rightarrow ...`: a condition, not a definition of `i`
                let sides = (
                    parse_expression(&statement.parts[0], &ctx),
                    parse_expression(&statement.parts[1], &ctx),
                );
                if let (Ok(lhs), Ok(rhs)) = sides {
                    let shown = shown_at(span);
                    let expr = Expr {
                        span,
                        kind: ExprKind::Compare {
                            op: crate::syntax::ast::CmpOp::Eq,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                    };
                    last_relation = Some((expr, shown));
                    reading.skip(span, SkipReason::Condition, statement.ops.len());
                    previous_was_condition = true;
                    close(&mut open, &mut reading, &text_defs, side, &source.text);
                    continue;
                }
            }
            if statement_index == 0 && cues.condition && !ends_with_definition_word(prose) {
                // "when $x = 0$," before a formula: the formulas after it hold at `x = 0`
                if let Some(expr) = equation_condition(&statement, &ctx, span) {
                    replace_conditions(&mut conditions, expr, shown_at(span), block_index);
                    reading.skip(span, SkipReason::Condition, statement.ops.len());
                    previous_was_condition = true;
                    close(&mut open, &mut reading, &text_defs, side, &source.text);
                    continue;
                }
            }
            if let Some(def) = named_function(&statement, &ctx) {
                close(&mut open, &mut reading, &text_defs, side, &source.text);
                // `\text{Activation function} = \phi(O^A) = \text{softmax}(O^A)`: the text
                // names a function of its own with a built-in's letter, and defines it
                let shown = shown_at(span);
                own_letters.retain(|(n, _)| *n != def.name.name);
                own_letters.push((def.name.name.clone(), shown));
                record_definition(&mut ctx, &mut text_defs, def.name, def.params, def.body);
                reading.skip(span, SkipReason::Definition, statement.ops.len());
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
                    // `e_i = 1`: a vector given entry by entry (for every `i`), not an example
                    let entry = statement
                        .parts
                        .first()
                        .zip(statement.parts.get(1))
                        .and_then(|(l, r)| {
                            let lhs = parse_expression(l, &ctx).ok()?;
                            let body = parse_expression(r, &ctx).ok()?;
                            let at = shown_at(span);
                            super::entries::entry_definition(&lhs, &body, at)
                        })
                        .filter(|d| conditions.is_empty() && !side.declares(&d.name));
                    if let Some(def) = entry {
                        entry_defs.retain(|d| d.name != def.name);
                        entry_defs.push(def);
                        continue;
                    }
                    if let Some(b) = binding(&statement, &ctx, source, span) {
                        bindings.retain(|old| !super::context::same(&old.lhs, &b.lhs));
                        bindings.push(b);
                    }
                    continue;
                }
                let worded = statement.cue.as_deref().is_some_and(is_definition_word)
                    || (statement_index == 0 && ends_with_definition_word(prose));
                // "where, $\frac{\partial \sigma}{\partial a} = ...$" still claims: only a
                // left side that names something is defined by the words
                let definitional = statement.defines
                    || (worded
                        && defined_name(first, &ctx, side, (&text_defs, &rebindable)).is_some());
                if definitional {
                    // `x_1 = g_2(x_2) = \frac{c}{x_2}` after "let", or `f := ...`:
                    // every name on the left of an `=` is defined, nothing is claimed
                    for name in define_all(&statement, &mut ctx, side, &mut text_defs, &rebindable)
                    {
                        reading.unread_definitions.push((name, span));
                    }
                    reading.skip(span, SkipReason::Definition, statement.ops.len());
                    continue;
                }
                let definition_span = statement.part_span(0).unwrap_or(span);
                let expectation = statement
                    .parts
                    .get(1)
                    .and_then(|second| expectation_definition(first, second, &ctx));
                let slip = statement
                    .parts
                    .get(1)
                    .filter(|_| expectation.is_none() && ctx.expectation.is_none())
                    .and_then(|second| expectation_slip(first, second));
                if let Some(weights) = expectation {
                    // `E_j[f_j] = \sum_j p_j f_j`: later `E_j[..]` are averages under `p`
                    ctx.expectation = Some(weights);
                    reading.skip(definition_span, SkipReason::Definition, 1);
                    ops.remove(0);
                } else if let Some((index, sum_index)) = slip {
                    // `E_j[f_j] = \sum_i f_j p_j`: the sum's index is not the body's, so
                    // the weights are not read; every later `E_j[..]` names why
                    ctx.expectation_slip = Some(format!(
                        "the text defines it at line {} by a sum over `{sum_index}`, which its body never writes (over `{index}`?), so the reader does not know its weights",
                        line_of(definition_span)
                    ));
                    reading.skip(definition_span, SkipReason::Definition, 1);
                    ops.remove(0);
                } else if skipped_lhs(first, &ctx, side, &text_defs, &named) {
                    // `o_k^a = \sum_j w_{kj} h_j + b_k` states what a variable is
                    reading.skip(definition_span, SkipReason::Definition, 1);
                    if let Ok(lhs) = parse_expression(first, &ctx) {
                        let shown = source.snippet(definition_span).trim().to_string();
                        // said for every index (no condition in force): later chains
                        // may read the entries by it
                        let body = statement
                            .parts
                            .get(1)
                            .and_then(|p| parse_expression(p, &ctx).ok());
                        let unconditional = conditions.is_empty() && !statement.after_implication;
                        let mut recorded = false;
                        if let (Some(body), true) = (body, unconditional) {
                            let at = format!("`{shown}` (line {})", line_of(span));
                            if let Some(def) = super::entries::entry_definition(&lhs, &body, at) {
                                if !side.declares(&def.name) {
                                    entry_defs.retain(|d| d.name != def.name);
                                    entry_defs.push(def);
                                    recorded = true;
                                }
                            }
                        }
                        // the name it defines, not the names its indices mention
                        // (`J_{\sigma(x)}` defines `J`, never `x`)
                        let head = match &lhs.kind {
                            ExprKind::Subscript { base, .. } => names(base),
                            _ => names(&lhs),
                        };
                        // a name read entry by entry has its own assumption where it is kept free
                        for n in head.into_iter().filter(|_| !recorded) {
                            if n.chars().count() > 1 || side.declares(&n) {
                                cuts.push(Cut {
                                    name: n,
                                    shown: format!("`{shown}` (line {})", line_of(span)),
                                });
                            }
                        }
                        if let ExprKind::Ident(n) = &lhs.kind {
                            let vector_var = side.vars.get(n.as_str()).is_some_and(|k| {
                                matches!(k, DomainKind::Vector(_) | DomainKind::Matrix(..))
                            });
                            let body = statement
                                .parts
                                .get(1)
                                .and_then(|p| parse_expression(p, &ctx).ok());
                            if let (true, Some(body)) = (vector_var, body) {
                                overrides.retain(|d| d.name.name != *n);
                                overrides.push(TextDef {
                                    name: Ident {
                                        name: n.clone(),
                                        span: lhs.span,
                                    },
                                    params: Vec::new(),
                                    body,
                                });
                            }
                            if side.vars.contains_key(n.as_str()) {
                                reading.warnings.push(
                                    Diagnostic::warning(
                                        definition_span,
                                        format!(
                                            "the text defines `{shown}`, but --defs declares `{n}` a variable: the text's definition is not used"
                                        ),
                                    )
                                    .with_note("steps that depend on it through a derivative are not refuted"),
                                );
                            }
                        }
                    }
                    ops.remove(0);
                } else if let Some((name, params)) =
                    defined_name(first, &ctx, side, (&text_defs, &rebindable))
                {
                    if name.name.chars().count() == 2 && !name.name.contains('_') {
                        // `h^a = ...` names `ha`: later `h_j^a` is its entry
                        ctx.labels.insert(name.name.clone());
                    }
                    // (the body is parsed again below as the chain's start; warnings come from there)
                    let body = statement
                        .parts
                        .get(1)
                        .and_then(|p| parse_expression(p, &ctx).ok());
                    if body.is_none() {
                        reading.unread_definitions.push((name.name.clone(), span));
                    }
                    let body = body.filter(|b| !is_constant(b));
                    reading.skip(definition_span, SkipReason::Definition, 1);
                    if let Some(body) = body {
                        record_definition(&mut ctx, &mut text_defs, name, params, body);
                    }
                    ops.remove(0);
                } else {
                    parts.push(parse_part(first, &ctx, &mut reading));
                }
            }
            for p in toks_parts {
                parts.push(parse_part(p, &ctx, &mut reading));
            }
            // a definition alone (`L = -\ln s_y`) is no chain: a condition before it
            // still applies to the next formulas
            block_has_chain |= !ops.is_empty();
            let chain = open.get_or_insert_with(|| {
                let mut situation = Situation {
                    limit: limit
                        .as_ref()
                        .map(|(p, line)| (p.clone(), format!("\"{p}\" (line {line})"))),
                    bindings: bindings.clone(),
                    cuts: cuts.clone(),
                    log_base: log_base.clone(),
                    one_hot: one_hot.clone(),
                    einstein: einstein_at.clone(),
                    own_letters: own_letters.clone(),
                    lone: lone.clone(),
                    shapes: part_shapes.clone(),
                    question_shapes: shapes.clone(),
                    overrides: overrides.clone(),
                    entries: entry_defs.clone(),
                    identity_owned,
                    standing: standing.clone(),
                    ..Situation::default()
                };
                for c in &conditions {
                    let pair = (c.expr.clone(), c.shown.clone());
                    if c.block == block_index || !c.next_used {
                        situation.attach.push(pair);
                    } else {
                        situation.recalled.push(pair);
                    }
                }
                OpenChain {
                    block: block_index,
                    name: chain_name(
                        source,
                        label.as_deref(),
                        statement.parts.iter().flatten().next(),
                    ),
                    parts: Vec::new(),
                    ops: Vec::new(),
                    situation,
                }
            });
            if chain.parts.is_empty() && !ops.is_empty() && ops.len() == parts.len() {
                reading.skip(span, SkipReason::NoLeftSide, 1);
                ops.remove(0);
            }
            chain.parts.extend(parts);
            chain.ops.extend(ops);
            for l in std::mem::take(&mut reading.labels) {
                let scopes = (&mut shapes, &mut part_shapes);
                label_chain(l.into(), &text_defs, scopes, side, source, &mut reading);
            }
        }
        if block_has_chain {
            // a limit named in the prose is about the next formulas only
            limit = None;
            for c in conditions.iter_mut() {
                if c.block != block_index {
                    c.next_used = true;
                }
            }
        }
    }
    close(&mut open, &mut reading, &text_defs, side, &source.text);
    super::tensors::join_case_variants(&mut reading.chains);
    reading
}

/// A new condition the text states replaces the ones before it.
fn replace_conditions(conditions: &mut Vec<Condition>, expr: Expr, shown: String, block: usize) {
    conditions.clear();
    conditions.push(Condition {
        expr,
        shown,
        block,
        next_used: false,
    });
}

/// `\varepsilon > 0`, `0 < \tau`, `\lambda \geq 0`: a bound on one name by a number.
fn bounds_a_name(e: &Expr) -> bool {
    use crate::syntax::ast::CmpOp;
    let ExprKind::Compare { op, lhs, rhs } = &e.kind else {
        return false;
    };
    let number = |x: &Expr| match &x.kind {
        ExprKind::Number(_) => true,
        ExprKind::Neg(inner) => matches!(inner.kind, ExprKind::Number(_)),
        _ => false,
    };
    let name = |x: &Expr| matches!(x.kind, ExprKind::Ident(_));
    matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
        && (name(lhs) && number(rhs) || number(lhs) && name(rhs))
}

/// A statement that is only a condition, written after a formula in the same
/// block: a comparison (`i \neq j`, `(x > 0)`, `\text{if } k \neq y`) or an index
/// set equal to an index or a number (`i = j`, `k = 1`).
fn trailing_condition(statement: &Statement, ctx: &Context) -> Option<Expr> {
    let [first, rest @ ..] = statement.parts.as_slice() else {
        return None;
    };
    let unwrapped = |toks: &[Token]| -> Vec<Token> {
        match toks {
            [open, inner @ .., close]
                if open.tok == Tok::Sym('(') && close.tok == Tok::Sym(')') =>
            {
                inner.to_vec()
            }
            _ => toks.to_vec(),
        }
    };
    if statement.ops.is_empty() {
        let e = parse_expression(&unwrapped(first), ctx).ok()?;
        let comparison = |e: &Expr| matches!(e.kind, ExprKind::Compare { .. });
        let all = match &e.kind {
            ExprKind::And(items) => items.iter().all(comparison),
            _ => comparison(&e),
        };
        return all.then_some(e);
    }
    let ([second], [RelOp::Eq]) = (rest, statement.ops.as_slice()) else {
        return None;
    };
    if statement.defines {
        return None;
    }
    let index = |e: &Expr| matches!(&e.kind, ExprKind::Ident(n) if n.chars().count() == 1);
    let lhs = parse_expression(first, ctx).ok()?;
    let rhs = parse_expression(&unwrapped(second), ctx).ok()?;
    if !index(&lhs) || !(index(&rhs) || matches!(rhs.kind, ExprKind::Number(_))) {
        return None;
    }
    let span = lhs.span.join(rhs.span);
    Some(Expr {
        kind: ExprKind::Compare {
            op: crate::syntax::ast::CmpOp::Eq,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    })
}

/// `= \phi(O^A) = \text{softmax}(O^A)` after a name in words (`\text{Activation
/// function}`): the text defines a function of its own named by a built-in's letter.
fn named_function(statement: &Statement, ctx: &Context) -> Option<TextDef> {
    let cue = statement.cue.as_deref()?;
    let connective = [
        "so",
        "then",
        "thus",
        "hence",
        "and",
        "therefore",
        "since",
        "i.e.",
        "or",
    ];
    if !statement.continues
        || connective.contains(&cue)
        || is_condition_word(cue)
        || is_definition_word(cue)
        || statement.parts.len() != 3
    {
        return None;
    }
    let head = parse_expression(&statement.parts[1], ctx).ok()?;
    let body = parse_expression(&statement.parts[2], ctx).ok()?;
    let ExprKind::Call {
        func,
        primes: 0,
        args,
    } = &head.kind
    else {
        return None;
    };
    super::conventions::ownable(&func.name)?;
    let [arg] = args.as_slice() else {
        return None;
    };
    // a longer argument (`O^A`, the name `OA`) only annotates the name, as for
    // `L_{CE}(\sigma(o^a), y)`: the body says what it is applied to
    let params = match &arg.value.kind {
        ExprKind::Ident(n) if n.chars().count() == 1 => vec![Ident {
            name: n.clone(),
            span: arg.value.span,
        }],
        _ => Vec::new(),
    };
    Some(TextDef {
        name: func.clone(),
        params,
        body,
    })
}

/// `E_j[f_j] = \sum_j p_j f_j` (or `f_j p_j`): the text defines `E_j[..]` as the
/// average under `p`; returns `p`. Any other right side defines nothing.
fn expectation_definition(first: &[Token], second: &[Token], ctx: &Context) -> Option<Expr> {
    let opens = matches!(first.first().map(|t| &t.tok), Some(Tok::Letter('E')))
        || matches!(first.first().map(|t| &t.tok), Some(Tok::Cmd(c)) if c == "mathbb");
    if !opens || ctx.expectation.is_some() {
        return None;
    }
    let marker = "ω";
    let mut marked = ctx.clone();
    marked.expectation = Some(Expr {
        kind: ExprKind::Ident(marker.into()),
        span: Span::default(),
    });
    let lhs = parse_expression(first, &marked).ok()?;
    let ExprKind::Sum { index, body, .. } = &lhs.kind else {
        return None;
    };
    let ExprKind::Binary {
        op: crate::syntax::ast::BinOp::Mul,
        lhs: weight,
        rhs: argument,
    } = &body.kind
    else {
        return None;
    };
    if !matches!(&weight.kind, ExprKind::Ident(n) if n.starts_with(marker)) {
        return None;
    }
    let rhs = parse_expression(second, ctx).ok()?;
    let ExprKind::Sum { index: j, body, .. } = &rhs.kind else {
        return None;
    };
    if j.name != index.name {
        return None;
    }
    let plain = |e: &Expr| {
        let mut e = e.clone();
        super::declare::zero_spans(&mut e);
        e
    };
    let mut wanted: Vec<Expr> = Vec::new();
    product_factors(argument, &mut wanted);
    let wanted: Vec<Expr> = wanted.iter().map(plain).collect();
    let mut factors: Vec<Expr> = Vec::new();
    product_factors(body, &mut factors);
    let mut rest: Vec<Expr> = factors.iter().map(plain).collect();
    for w in &wanted {
        let at = rest.iter().position(|f| f == w)?;
        rest.remove(at);
    }
    let [entry] = rest.as_slice() else {
        return None;
    };
    match &entry.kind {
        ExprKind::Ident(n) => {
            let (base, sub) = n.split_once('_')?;
            (sub == index.name).then(|| Expr {
                kind: ExprKind::Ident(base.to_string()),
                span: Span::default(),
            })
        }
        ExprKind::Subscript { base, indices } => match indices.as_slice() {
            [i] if matches!(&i.kind, ExprKind::Ident(n) if *n == index.name) => {
                Some((**base).clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// `E_j[..] = \sum_i ...` with a body that writes `j` and never `i`: a definition
/// of the average whose sum runs over the wrong index. The two indices.
fn expectation_slip(first: &[Token], second: &[Token]) -> Option<(char, char)> {
    let letter = |t: Option<&Token>| match t.map(|t| &t.tok) {
        Some(Tok::Letter(c)) => Some(*c),
        _ => None,
    };
    let index = match first {
        [e, under, j, open, ..]
            if e.tok == Tok::Letter('E')
                && under.tok == Tok::Sym('_')
                && open.tok == Tok::Sym('[') =>
        {
            letter(Some(j))?
        }
        _ => return None,
    };
    let (sum_index, body) = match second {
        [sum, under, i, body @ ..]
            if matches!(&sum.tok, Tok::Cmd(c) if c == "sum") && under.tok == Tok::Sym('_') =>
        {
            (letter(Some(i))?, body)
        }
        _ => return None,
    };
    let writes = |c: char| body.iter().any(|t| t.tok == Tok::Letter(c));
    (sum_index != index && writes(index) && !writes(sum_index)).then_some((index, sum_index))
}

/// The variables a statement differentiates by: `u` of `\nabla_u`, `\nabla_{u}`,
/// `\partial u` and `du` (as in `\frac{d}{du}`).
fn derivative_letters(statement: &Statement) -> HashSet<String> {
    let mut out = HashSet::new();
    for toks in &statement.parts {
        for (k, t) in toks.iter().enumerate() {
            let next = |j: usize| toks.get(k + j).map(|t| &t.tok);
            let var = match &t.tok {
                Tok::Cmd(c) if c == "nabla" && next(1) == Some(&Tok::Sym('_')) => {
                    match (next(2), next(3)) {
                        (Some(Tok::Letter(v)), _) => Some(*v),
                        (Some(Tok::Sym('{')), Some(Tok::Letter(v))) => Some(*v),
                        _ => None,
                    }
                }
                Tok::Cmd(c) if c == "partial" => match next(1) {
                    Some(Tok::Letter(v)) => Some(*v),
                    _ => None,
                },
                Tok::Letter('d') => match toks.get(k + 1) {
                    Some(n) if n.span.start == t.span.end => match n.tok {
                        Tok::Letter(v) => Some(v),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            out.extend(var.map(|v| v.to_string()));
        }
    }
    out
}

fn product_factors(e: &Expr, out: &mut Vec<Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: crate::syntax::ast::BinOp::Mul,
            lhs,
            rhs,
        } => {
            product_factors(lhs, out);
            product_factors(rhs, out);
        }
        _ => out.push(e.clone()),
    }
}

/// Words after which an equation defines rather than claims.
fn is_definition_word(word: &str) -> bool {
    matches!(
        word.trim().trim_end_matches(',').trim(),
        "let"
            | "define"
            | "denote"
            | "where"
            | "set"
            | "soit"
            | "posons"
            | "sea"
            | "definimos"
            | "令"
            | "设"
            | "记"
            | "定义"
            | "정의"
    )
}

/// Prose that ends with a definition word right before the math ("Let $x = ...$").
fn ends_with_definition_word(prose: &str) -> bool {
    let last = prose
        .trim_end()
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .to_lowercase();
    is_definition_word(&last)
        || ["令", "设", "记"]
            .iter()
            .any(|w| prose.trim_end().ends_with(w))
}

fn record_definition(
    ctx: &mut Context,
    text_defs: &mut Vec<TextDef>,
    name: Ident,
    params: Vec<Ident>,
    body: Expr,
) {
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

/// A let-chain `x_1 = g_2(x_2) = \frac{c}{x_2}`: each name left of an `=` is
/// defined by the part after it (the last definition first, so `x_1` may use `g_2`).
fn define_all(
    statement: &Statement,
    ctx: &mut Context,
    side: &SideFile,
    text_defs: &mut Vec<TextDef>,
    rebindable: &[Ident],
) -> Vec<String> {
    let mut unread = Vec::new();
    for k in (0..statement.parts.len().saturating_sub(1)).rev() {
        let defs = (text_defs.as_slice(), rebindable);
        let Some((name, params)) = defined_name(&statement.parts[k], ctx, side, defs) else {
            continue;
        };
        let Ok(body) = parse_expression(&statement.parts[k + 1], ctx) else {
            unread.push(name.name);
            continue;
        };
        if is_constant(&body) {
            continue;
        }
        record_definition(ctx, text_defs, name, params, body);
    }
    unread
}

/// `\sigma(a) = [0.1, 0.9]`, `y = 1`: the values the text gives.
fn binding(
    statement: &Statement,
    ctx: &Context,
    source: &SourceFile,
    span: Span,
) -> Option<Binding> {
    let lhs = parse_expression(&statement.parts[0], ctx).ok()?;
    let rhs = parse_expression(&statement.parts[1], ctx).ok()?;
    let values = match rhs.kind {
        ExprKind::Vector(items) => items,
        _ => vec![rhs],
    };
    Some(Binding {
        lhs,
        values,
        shown: format!(
            "`{}` (line {})",
            source.snippet(span).trim(),
            source.line_col(span.start as usize).line
        ),
    })
}

/// What a prose line opens: a new question, or a Markdown heading of the same text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    /// A line naming a question (`Q2`, `IFT6390 HW3 Theory Q1`, `## Problem 2`):
    /// the text's names may mean something else from here.
    Question,
    /// Any other Markdown heading (`## Backward pass`): the text goes on.
    Heading,
}

/// Words that make a heading (or a line) a new question, lowercase.
const QUESTION_WORDS: &[&str] = &[
    "question",
    "problem",
    "exercise",
    "exercice",
    "ejercicio",
    "problema",
    "aufgabe",
    "homework",
    "assignment",
    "task",
    "problème",
    "题",
    "문제",
];

/// Whether prose holds a line that opens a new question, or else a plain Markdown
/// heading. Sub-parts (`a)`, `(e)`, also as a heading) keep the question's definitions.
fn section_break(prose: &str) -> Option<Section> {
    let mut found = None;
    for line in prose.lines() {
        let line = line.trim_start();
        let question = |w: &str| {
            w.strip_prefix('Q')
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        };
        let words = line.trim_start_matches('#').trim_start();
        if line.split_whitespace().any(question) {
            return Some(Section::Question);
        }
        if !line.starts_with('#') {
            continue;
        }
        let lower = words.to_lowercase();
        let mut heading_words = lower
            .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
            .filter(|w| !w.is_empty());
        let names_question = heading_words.any(|w| QUESTION_WORDS.contains(&w))
            || QUESTION_WORDS
                .iter()
                .any(|q| !q.is_ascii() && lower.contains(q));
        if names_question {
            return Some(Section::Question);
        }
        found = Some(Section::Heading);
    }
    found
}

/// Whether prose holds a line that opens a sub-part (`k) Let ...`, `(b) ...`).
fn starts_subpart(prose: &str) -> bool {
    prose.lines().any(|line| {
        // `| d) ...`, `> (b) ...`, `### (c)`: a label behind a table bar, a quote
        // mark or a heading's marks
        let line = line
            .trim_start()
            .trim_start_matches(['|', '>', '#'])
            .trim_start()
            .trim_start_matches('(');
        let mut cs = line.chars();
        matches!(
            (cs.next(), cs.next()),
            (Some(c), Some(')')) if c.is_ascii_lowercase()
        )
    })
}

/// A part of a statement: read, or the place and message of why not.
type Part = Result<Expr, (Span, String)>;

struct OpenChain {
    name: String,
    /// The math block it started in: a condition written after it in the same
    /// block (`= -p_i p_j, \quad i \neq j`) is its own.
    block: usize,
    parts: Vec<Part>,
    ops: Vec<RelOp>,
    situation: Situation,
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
fn close(
    open: &mut Option<OpenChain>,
    reading: &mut Reading,
    text_defs: &[TextDef],
    side: &SideFile,
    text: &str,
) {
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
    let situation = &chain.situation;
    let mut run: Vec<Expr> = Vec::new();
    let mut run_ops: Vec<RelOp> = Vec::new();
    let mut flush = |run: &mut Vec<Expr>, run_ops: &mut Vec<RelOp>| {
        if run.len() >= 2 {
            // names other definitions in reach define or use whole stay as they are
            let mut blocked: std::collections::BTreeSet<String> = text_defs
                .iter()
                .flat_map(|d| names(&d.body).into_iter().chain([d.name.name.clone()]))
                .map(|n| plain_name(&n).to_string())
                .collect();
            blocked.extend(
                side.def_names
                    .iter()
                    .flat_map(|(n, used)| used.iter().chain([n]))
                    .map(|n| plain_name(n).to_string()),
            );
            let used = super::entries::expand(run, &situation.entries, &blocked);
            for (parts, ops, numeric) in
                split_at_values(std::mem::take(run), std::mem::take(run_ops), situation)
            {
                let mut c = Chain {
                    name: chain.name.clone(),
                    parts,
                    ops,
                    definitions: text_defs.to_vec(),
                    conditions: Vec::new(),
                    context: Vec::new(),
                    assumptions: Vec::new(),
                    one_hot: Vec::new(),
                    log_unsettled: false,
                    shapes: situation.shapes.clone(),
                };
                if let Some(note) = numeric {
                    c.context.push(note);
                }
                c.context.extend(used.used.iter().cloned());
                for v in &used.unmentioned {
                    c.assumptions.push(Assumption {
                        step: None,
                        text: format!(
                            "refuted only if what the text defines entry by entry does not depend on `{v}`: the definition does not mention it, so the derivative is 0 as read"
                        ),
                    });
                }
                if c.parts.iter().any(has_derivative) {
                    // a derivative through a name the text defines but this chain
                    // keeps free would be 0 as read
                    for (name, shown) in &used.kept {
                        c.assumptions.push(Assumption {
                            step: None,
                            text: format!(
                                "refuted only if `{name}` is a free variable; the text defines it entry by entry by {shown}, which the reader did not use here"
                            ),
                        });
                    }
                }
                situate(&mut c, situation, side, text);
                reading.chains.push(c);
            }
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

/// Attaches the conditions the text states to a chain, and records what the
/// reader assumed where the text said nothing.
fn situate(chain: &mut Chain, situation: &Situation, side: &SideFile, text: &str) {
    let limit_taken = about_limit(chain, situation);
    let overridden = super::tensors::use_overrides(chain, &situation.overrides, side);
    for name in &overridden {
        chain.context.push(format!(
            "`{name}` as the text defines it (the --defs file declares it a variable)"
        ));
    }
    super::tensors::question_shapes(chain, &situation.question_shapes, side);
    conventions(chain, situation, text);
    for name in super::declare::shadowed_prelude(chain, side) {
        chain.context.push(format!(
            "`{name}` is the text's own name here, not the softmax (the text never calls it)"
        ));
    }
    hidden_dependence(chain, side);
    let own: std::collections::BTreeSet<String> = chain.parts.iter().flat_map(names).collect();
    let mut reached = reached(chain, None);
    // through the side file's definitions too (`os = softmax(oa)`)
    let mut pending: Vec<String> = reached.iter().cloned().collect();
    while let Some(n) = pending.pop() {
        for m in side.def_names.get(&n).into_iter().flatten() {
            if reached.insert(m.clone()) {
                pending.push(m.clone());
            }
        }
    }
    let known = |n: &str| {
        own.contains(n) || reached.contains(n) || chain.definitions.iter().any(|d| d.name.name == n)
    };
    for (expr, shown) in &situation.attach {
        let needed = names(expr);
        // a condition on a free index (`k \neq y` with `o_k`) is a condition of the
        // check like any other: the claim holds for the indices that meet it
        if needed.iter().all(|n| known(n)) {
            chain.conditions.push(expr.clone());
            chain.context.push(format!("under {shown}"));
        } else if let Some(free) = unconstraining(expr, &known, side) {
            // `\text{if } i=j \Rightarrow J_{ii} = ...`: the chain writes `j` as `i`
            chain.context.push(format!(
                "the condition {shown} does not constrain this step (it never uses `{free}`)"
            ));
        } else if needed.iter().any(|n| reached.contains(n)) {
            chain.assumptions.push(Assumption {
                step: None,
                text: format!(
                    "refuted only without the condition {shown}, which the reader could not attach"
                ),
            });
        }
    }
    for (expr, shown) in &situation.standing {
        // a standing assumption only narrows where the chain is checked
        if names(expr).iter().all(|n| known(n)) {
            chain.conditions.push(expr.clone());
            chain.context.push(format!("under {shown}"));
        }
    }
    for (expr, shown) in &situation.recalled {
        if names(expr).iter().any(|n| reached.contains(n)) {
            chain.assumptions.push(Assumption {
                step: None,
                text: format!(
                    "refuted only if the condition {shown} stated before it does not apply"
                ),
            });
        }
    }
    if let Some((_, limit)) = &situation.limit {
        if !limit_taken {
            chain.assumptions.push(Assumption {
                step: None,
                text: format!(
                    "the text says this holds at {limit}: refuted only if it is meant for every value, and the reader does not take that limit"
                ),
            });
        }
    }
    if chain.parts.iter().any(has_derivative) {
        // one reason per name, listing every definition the reader did not use
        let mut unused: Vec<(String, Vec<String>)> = Vec::new();
        for cut in &situation.cuts {
            // `o_k^a` is an entry of `o^a`: read by `o^a`'s definition when that is used
            let entry_of_overridden = cut.name.split_once('_').is_some_and(|(base, sub)| {
                sub.chars().count() == 1 && overridden.iter().any(|o| o == base)
            });
            if !reached.contains(&cut.name) || overridden.contains(&cut.name) || entry_of_overridden
            {
                continue;
            }
            match unused.iter_mut().find(|(n, _)| *n == cut.name) {
                Some((_, shown)) if !shown.contains(&cut.shown) => shown.push(cut.shown.clone()),
                Some(_) => {}
                None => unused.push((cut.name.clone(), vec![cut.shown.clone()])),
            }
        }
        for (name, shown) in unused {
            let shown = match shown.as_slice() {
                [one] => one.clone(),
                [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
                [] => continue,
            };
            chain.assumptions.push(Assumption {
                step: None,
                text: format!(
                    "refuted only if `{name}` is a free variable; the text defines it by {shown}, which the reader did not use"
                ),
            });
        }
    }
    // a step from an expression to a number with no values in scope
    for k in 1..chain.parts.len() {
        let (from, to) = (&chain.parts[k - 1], &chain.parts[k]);
        if !is_number(to) || is_number(from) {
            continue;
        }
        let free: Vec<String> = names(from)
            .into_iter()
            .filter(|n| {
                !is_builtin_function(n)
                    && !n.contains('_')
                    && !chain.definitions.iter().any(|d| &d.name.name == n)
                    && !side.others.contains(n)
                    && !pinned(chain, n)
            })
            .collect();
        if free.is_empty() {
            continue;
        }
        chain.assumptions.push(Assumption {
            step: Some(k),
            text: format!(
                "needs values for {}: the text gives none here, so a refutation would rest on values the reader chose",
                free.join(" and ")
            ),
        });
    }
    // a left side that names something the text never defines (`J_{ij} = ...`)
    let head = match &chain.parts[0].kind {
        ExprKind::Ident(n) => Some(plain_name(n).to_string()),
        ExprKind::Subscript { base, .. } => match &base.kind {
            ExprKind::Ident(n) => Some(plain_name(n).to_string()),
            _ => None,
        },
        ExprKind::Call { func, .. } if !is_builtin_function(&func.name) => Some(func.name.clone()),
        _ => None,
    };
    if let Some(head) = head {
        let later = chain.parts[1..].iter().any(|p| names(p).contains(&head));
        let defined = chain.definitions.iter().any(|d| d.name.name == head) || side.declares(&head);
        if !later && !defined {
            chain.assumptions.push(Assumption {
                step: Some(1),
                text: format!(
                    "refuted only if `{head}` is free; the text does not define `{head}`"
                ),
            });
        }
    }
    let read = (!situation.identity_owned)
        .then(|| super::identity::read_identity(chain, side))
        .flatten();
    if let Some(read) = read {
        chain.context.push(read);
    }
    if let Some(identity) = unread_identity(chain, side) {
        chain.assumptions.push(Assumption {
            step: None,
            text: format!(
                "refuted only if `{identity}` is a number; beside matrices it is usually the identity matrix, which the reader does not read"
            ),
        });
    }
}

/// Whether a condition of the chain gives `name` one value (`x = 0`).
fn pinned(chain: &Chain, name: &str) -> bool {
    chain.conditions.iter().any(|c| match &c.kind {
        ExprKind::Compare {
            op: crate::syntax::ast::CmpOp::Eq,
            lhs,
            rhs,
        } => matches!(&lhs.kind, ExprKind::Ident(n) if n == name) && is_number(rhs),
        _ => false,
    })
}

/// Limits: the text's definitions written out inside a `\lim` over a variable
/// they use, and a chain after "at large k" read as a statement about the limit
/// (each side that uses `k` is its limit as `k → ∞`). Whether the limit the words
/// state is taken (or needs no taking: no side uses its variable).
fn about_limit(chain: &mut Chain, situation: &Situation) -> bool {
    let mut written: Vec<String> = Vec::new();
    for p in chain.parts.iter_mut() {
        super::limits::inline_in_limits(p, &chain.definitions, &mut written);
    }
    let mut taken = false;
    if let Some((phrase, shown)) = &situation.limit {
        match super::limits::read_as_limit(chain, phrase) {
            super::limits::LimitReading::Taken => {
                for p in chain.parts.iter_mut() {
                    super::limits::inline_in_limits(p, &chain.definitions, &mut written);
                }
                let var = super::limits::phrase_variable(phrase).unwrap_or_default();
                chain.context.push(format!(
                    "read as the limit {var} → ∞: the text says this holds at {shown}"
                ));
                taken = true;
            }
            super::limits::LimitReading::Already => taken = true,
            super::limits::LimitReading::NotTaken => {}
        }
    }
    for name in written {
        chain.context.push(format!(
            "`{name}` written out by its definition inside the limit (its body uses the limit's variable)"
        ));
    }
    taken
}

/// `(X^\top X + \lambda I) w`: a capital `I` (`I_d`, `I_n`) the text neither defines
/// nor gives a shape, in a chain about matrices, is the identity matrix; read as a
/// number it would be added to every entry, and a refutation would rest on that.
fn unread_identity(chain: &Chain, side: &SideFile) -> Option<String> {
    let matrices = chain.shapes.iter().any(|d| d.sizes.len() == 2)
        || chain.parts.iter().any(mentions_transpose);
    if !matrices {
        return None;
    }
    chain.parts.iter().flat_map(names).find(|n| {
        super::identity::is_identity_name(n)
            && !chain.definitions.iter().any(|d| &d.name.name == n)
            && !chain.shapes.iter().any(|d| &d.name == n)
            && !side.declares(n)
    })
}

fn mentions_transpose(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Transpose(_)) || e.children().into_iter().any(mentions_transpose)
}

/// The conventions the text states, applied to a chain (Einstein notation, the
/// base of `\log`, one-hot names), and the readings the reader picked where the
/// text is silent (letters written together as a product, a bare superscript as
/// an index, the natural log), each an assumption or an alternative reading.
fn conventions(chain: &mut Chain, situation: &Situation, text: &str) {
    own_letters(chain, situation);
    if let Some(at) = &situation.einstein {
        let mut summed: Vec<String> = Vec::new();
        for p in chain.parts.iter_mut() {
            for i in einstein(p) {
                if !summed.contains(&i) {
                    summed.push(i);
                }
            }
        }
        if !summed.is_empty() {
            let shown: Vec<String> = summed.iter().map(|i| format!("`{i}`")).collect();
            chain.context.push(format!(
                "summed over the repeated index {} (Einstein notation, {at})",
                shown.join(" and ")
            ));
        }
    }
    let reached = reached(chain, None);
    if reached.contains("log") {
        match &situation.log_base {
            Some((base, at)) => {
                for p in chain.parts.iter_mut() {
                    *p = with_log_base(p, *base);
                }
                for d in chain.definitions.iter_mut() {
                    d.body = with_log_base(&d.body, *base);
                }
                chain
                    .context
                    .push(format!("`\\log` is {} ({at})", base.describe()));
            }
            None => chain.log_unsettled = true,
        }
    }
    for (name, at) in &situation.one_hot {
        if reached.contains(name) {
            chain.one_hot.push(name.clone());
            chain.context.push(format!("`{name}` is one-hot ({at})"));
        }
    }
    // letters written together: a product only if the text also uses each alone
    let mut lone: std::collections::BTreeSet<String> = situation.lone.iter().cloned().collect();
    let used_defs: Vec<&TextDef> = chain
        .definitions
        .iter()
        .filter(|d| reached.contains(&d.name.name))
        .collect();
    for e in chain.parts.iter().chain(used_defs.iter().map(|d| &d.body)) {
        lone.extend(lone_letters(e));
    }
    for d in &used_defs {
        lone.extend(d.params.iter().map(|p| p.name.clone()));
    }
    let steps = chain.ops.len();
    let mut noted: Vec<(Option<usize>, String)> = Vec::new();
    let mut note = |part: Option<usize>, text: String| {
        // a part is the right side of the step before it and the left of the one after
        let at: Vec<Option<usize>> = match part {
            None => vec![None],
            Some(p) => [p, p + 1]
                .into_iter()
                .filter(|s| *s >= 1 && *s <= steps)
                .map(Some)
                .collect(),
        };
        for step in at {
            if !noted.contains(&(step, text.clone())) {
                noted.push((step, text.clone()));
            }
        }
    };
    let sources: Vec<(Option<usize>, &Expr)> = chain
        .parts
        .iter()
        .enumerate()
        .map(|(k, e)| (Some(k), e))
        .chain(used_defs.iter().map(|d| (None, &d.body)))
        .collect();
    for (part, e) in sources {
        for run in letter_runs(e) {
            let written: String = run.iter().map(|(l, _)| l.as_str()).collect();
            if let Some((alone, _)) = run.iter().find(|(l, _)| !lone.contains(l)) {
                note(
                    part,
                    format!(
                        "refuted only if `{written}` means {}: the text never writes `{alone}` on its own",
                        run.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join("·")
                    ),
                );
            }
        }
        for written in bare_index_superscripts(e, text) {
            note(
                part,
                format!(
                    "refuted only if `{written}` is an entry (the sum runs over its superscript), not a power"
                ),
            );
        }
    }
    for (step, text) in noted {
        chain.assumptions.push(Assumption { step, text });
    }
}

/// The document's names beat built-ins: a built-in letter the chain uses as a
/// value (`\sigma^2`, `H \cdot d`), or one the text introduces as its own and calls
/// (`h = \phi(a)` after "where $\phi$ is the activation"), is read as the text's own
/// name, never as the built-in. A function the text introduces without saying which
/// it is stays any function: a refutation by one concrete function rests on that.
fn own_letters(chain: &mut Chain, situation: &Situation) {
    let reached = reached(chain, None);
    for letter in super::conventions::OWNABLE_LETTERS {
        let name = letter.name;
        if !reached.contains(name) {
            continue;
        }
        let introduced = situation.own_letters.iter().find(|(n, _)| n == name);
        if let Some(def) = chain.definitions.iter().rev().find(|d| d.name.name == name) {
            // the text's definition is used (declared as it writes it); defined on a
            // name that only annotates it (`\phi(O^A) = ...`), a call is the name
            if def.params.is_empty() {
                for e in chain.parts.iter_mut() {
                    super::conventions::uncall(e, name);
                }
            }
            let at = introduced.map_or(String::new(), |(_, shown)| format!(" ({shown})"));
            chain.context.push(format!(
                "`{name}` is the text's own function as it defines it{at}, not {}",
                letter.builtin
            ));
            continue;
        }
        let (mut called, mut bare) = (BTreeSet::new(), BTreeSet::new());
        for p in chain.parts.iter().chain(&chain.conditions) {
            super::conventions::letter_uses(p, &mut called, &mut bare);
        }
        for d in chain
            .definitions
            .iter()
            .filter(|d| reached.contains(&d.name.name))
        {
            super::conventions::letter_uses(&d.body, &mut called, &mut bare);
        }
        let (is_bare, is_called) = (bare.contains(name), called.contains(name));
        let owned = is_bare || (is_called && introduced.is_some());
        if !owned {
            continue;
        }
        if is_bare && is_called && introduced.is_none() {
            // `\sigma(x)` and `\sigma` alone: the text does not say which it means
            continue;
        }
        let own = letter.own;
        for e in chain.parts.iter_mut().chain(chain.conditions.iter_mut()) {
            super::conventions::own_letter(e, name, own, is_bare);
        }
        for d in chain.definitions.iter_mut() {
            super::conventions::own_letter(&mut d.body, name, own, is_bare);
        }
        let at = introduced.map_or(String::new(), |(_, shown)| format!(" ({shown})"));
        if is_bare {
            chain.context.push(format!(
                "`{name}` is the text's own name here{at}, a number, not {} (read as `{own}`)",
                letter.builtin
            ));
        } else {
            chain.context.push(format!(
                "`{name}` is the text's own function here{at}, not {} (read as `{own}`)",
                letter.builtin
            ));
            chain.assumptions.push(Assumption {
                step: None,
                text: format!(
                    "refuted only if `{name}` may be any function: the text introduces it{at} but does not say which function it is"
                ),
            });
        }
    }
}

/// A derivative of a name whose definition does not mention the variable
/// (`\partial \hat{R} / \partial \theta` with `\hat{R} = \frac{1}{n}\sum_i L_i`) is 0 as
/// read, but the text may mean a dependence it does not write out: a refutation
/// rests on it unless the derivative is a term both sides of the step share (it
/// then cancels whatever its value).
fn hidden_dependence(chain: &mut Chain, side: &SideFile) {
    let reach_of = |head: &str| {
        let mut seen = std::collections::BTreeSet::new();
        let mut pending = vec![head.to_string()];
        while let Some(n) = pending.pop() {
            if !seen.insert(n.clone()) {
                continue;
            }
            for d in chain.definitions.iter().filter(|d| d.name.name == n) {
                pending.extend(names(&d.body));
                pending.extend(d.params.iter().map(|p| p.name.clone()));
            }
            pending.extend(side.def_names.get(&n).into_iter().flatten().cloned());
        }
        seen
    };
    let mut found: Vec<(usize, String)> = Vec::new();
    for k in 1..chain.parts.len() {
        let (from, to) = (&chain.parts[k - 1], &chain.parts[k]);
        for e in [from, to] {
            let mut derivatives = Vec::new();
            derivatives_in(e, &mut derivatives);
            for d in derivatives {
                let ExprKind::Derivative { body, var, .. } = &d.kind else {
                    continue;
                };
                let defined = |n: &str| chain.definitions.iter().any(|t| t.name.name == n);
                let head = match &body.kind {
                    // `Rhat_reg` is a name of its own; `o_k` an entry of `o`
                    ExprKind::Ident(n) if defined(n) => n.clone(),
                    ExprKind::Ident(n) => plain_name(n).to_string(),
                    ExprKind::Call { func, .. } => func.name.clone(),
                    ExprKind::Subscript { base, .. } => match &base.kind {
                        ExprKind::Ident(n) => plain_name(n).to_string(),
                        _ => continue,
                    },
                    _ => continue,
                };
                if !chain.definitions.iter().any(|t| t.name.name == head) {
                    continue;
                }
                let reached = reach_of(&head);
                let vars = var_names(var);
                if vars.iter().any(|v| reached.contains(v)) {
                    continue;
                }
                if shared_term(from, to, d, &chain.definitions) {
                    continue;
                }
                let v = vars.first().cloned().unwrap_or_default();
                let text = format!(
                    "refuted only if `{head}` does not depend on `{v}`: its definition in the text does not mention `{v}`, so its derivative is 0 as read"
                );
                if !found.contains(&(k, text.clone())) {
                    found.push((k, text));
                }
            }
        }
    }
    for (k, text) in found {
        chain.assumptions.push(Assumption {
            step: Some(k),
            text,
        });
    }
}

/// The names a derivative's variable stands for, without its indices: `x_j`
/// gives `x_j` and `x`.
fn var_names(var: &Expr) -> Vec<String> {
    match &var.kind {
        ExprKind::Ident(n) => {
            let mut v = vec![n.clone()];
            if plain_name(n) != n {
                v.push(plain_name(n).to_string());
            }
            v
        }
        ExprKind::Subscript { base, .. } => names(base).into_iter().collect(),
        _ => names(var).into_iter().collect(),
    }
}

fn derivatives_in<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if matches!(e.kind, ExprKind::Derivative { .. }) {
        out.push(e);
    }
    for c in e.children() {
        derivatives_in(c, out);
    }
}

/// Whether `term` is a whole additive term of both sides, with the same sign
/// (a derivative of a sum counts as the sum of the derivatives, a name the text
/// defines as its definition: `\partial (\hat{R}(\theta) + \lambda \|\theta\|^2)`
/// holds the term `\partial \hat{R}(\theta)`).
fn shared_term(from: &Expr, to: &Expr, term: &Expr, defs: &[TextDef]) -> bool {
    fn inline(e: &Expr, defs: &[TextDef]) -> Option<Expr> {
        let (name, args): (&str, Vec<&Expr>) = match &e.kind {
            ExprKind::Ident(n) => (n, Vec::new()),
            ExprKind::Call { func, args, .. } => {
                (&func.name, args.iter().map(|a| &a.value).collect())
            }
            _ => return None,
        };
        let def = defs.iter().rev().find(|d| d.name.name == name)?;
        if def.params.len() != args.len() {
            return None;
        }
        let mut body = def.body.clone();
        fn put(e: &mut Expr, params: &[Ident], args: &[&Expr]) {
            if let ExprKind::Ident(n) = &e.kind {
                if let Some(k) = params.iter().position(|p| &p.name == n) {
                    *e = args[k].clone();
                    return;
                }
            }
            for c in e.children_mut() {
                put(c, params, args);
            }
        }
        put(&mut body, &def.params, &args);
        Some(body)
    }
    fn terms(e: &Expr, positive: bool, defs: &[TextDef], out: &mut Vec<(bool, Expr)>) {
        if let ExprKind::Derivative {
            order: 1,
            var,
            body,
        } = &e.kind
        {
            let inner = inline(body, defs).unwrap_or_else(|| (**body).clone());
            let mut parts = Vec::new();
            terms(&inner, positive, &[], &mut parts);
            if parts.len() > 1 {
                for (sign, t) in parts {
                    let d = Expr {
                        kind: ExprKind::Derivative {
                            order: 1,
                            var: var.clone(),
                            body: Box::new(t),
                        },
                        span: e.span,
                    };
                    terms(&d, sign, &[], out);
                }
                return;
            }
        }
        let terms =
            |e: &Expr, positive: bool, out: &mut Vec<(bool, Expr)>| terms(e, positive, defs, out);
        match &e.kind {
            ExprKind::Binary {
                op: crate::syntax::ast::BinOp::Add,
                lhs,
                rhs,
            } => {
                terms(lhs, positive, out);
                terms(rhs, positive, out);
            }
            ExprKind::Binary {
                op: crate::syntax::ast::BinOp::Sub,
                lhs,
                rhs,
            } => {
                terms(lhs, positive, out);
                terms(rhs, !positive, out);
            }
            ExprKind::Neg(x) => terms(x, !positive, out),
            _ => {
                let mut t = e.clone();
                super::declare::zero_spans(&mut t);
                out.push((positive, t));
            }
        }
    }
    let mut wanted = term.clone();
    super::declare::zero_spans(&mut wanted);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    terms(from, true, defs, &mut a);
    terms(to, true, defs, &mut b);

    [true, false].into_iter().any(|sign| {
        let count =
            |v: &Vec<(bool, Expr)>| v.iter().filter(|(s, t)| *s == sign && *t == wanted).count();
        count(&a) == 1 && count(&b) == 1
    })
}

/// The index a condition merely renames: `i = j` where the step uses the index `i`
/// and never `j` (`\text{if } i=j \Rightarrow J_{ii} = ...` writes the diagonal entry
/// for every `i`). Only an equation between two index letters: an inequality, or a
/// name that could be a fixed constant (`x = a`), still restricts the step.
fn unconstraining(expr: &Expr, known: &dyn Fn(&str) -> bool, side: &SideFile) -> Option<String> {
    let ExprKind::Compare {
        op: crate::syntax::ast::CmpOp::Eq,
        lhs,
        rhs,
    } = &expr.kind
    else {
        return None;
    };
    let letter = |e: &Expr| match &e.kind {
        ExprKind::Ident(n) if n.len() == 1 && n.chars().all(|c| c.is_ascii_lowercase()) => {
            Some(n.clone())
        }
        _ => None,
    };
    let (a, b) = (letter(lhs)?, letter(rhs)?);
    let unused = |n: &str| !known(n) && !side.declares(n);
    match (unused(&a), unused(&b)) {
        (false, true) => Some(b),
        (true, false) => Some(a),
        _ => None,
    }
}

/// Cuts the steps that go from an expression to a number out of a chain. With
/// values the text gave in scope (`\sigma(a) = [0.1, 0.9]`, `y = [1, 0]`), such a
/// step is checked under them (with several samples, it must hold for one:
/// `(A₁ − c)(A₂ − c) = 0`); without, it keeps its place and needs values.
fn split_at_values(
    parts: Vec<Expr>,
    ops: Vec<RelOp>,
    situation: &Situation,
) -> Vec<(Vec<Expr>, Vec<RelOp>, Option<String>)> {
    let mut out: Vec<(Vec<Expr>, Vec<RelOp>, Option<String>)> = Vec::new();
    let mut cur: Vec<Expr> = vec![parts[0].clone()];
    let mut cur_ops: Vec<RelOp> = Vec::new();
    for (k, op) in ops.iter().enumerate() {
        let (from, to) = (&parts[k], &parts[k + 1]);
        let numeric = is_number(to) && !is_number(from);
        let used: Vec<&Binding> = situation
            .bindings
            .iter()
            .filter(|b| numeric && mentions(from, b))
            .collect();
        let samples = used.iter().map(|b| b.values.len()).max().unwrap_or(0);
        let instances: Vec<Expr> = (0..samples).map(|s| instantiate(from, &used, s)).collect();
        if samples == 0 || !instances.iter().all(is_number) {
            cur.push(to.clone());
            cur_ops.push(*op);
            continue;
        }
        if cur.len() >= 2 {
            out.push((std::mem::take(&mut cur), std::mem::take(&mut cur_ops), None));
        }
        let shown: Vec<&str> = used.iter().map(|b| b.shown.as_str()).collect();
        let (start, rhs) = if samples == 1 {
            (instances[0].clone(), to.clone())
        } else {
            let factor = |a: &Expr| Expr {
                kind: ExprKind::Binary {
                    op: crate::syntax::ast::BinOp::Sub,
                    lhs: Box::new(a.clone()),
                    rhs: Box::new(to.clone()),
                },
                span: a.span,
            };
            let product = instances[1..]
                .iter()
                .fold(factor(&instances[0]), |acc, a| Expr {
                    kind: ExprKind::Binary {
                        op: crate::syntax::ast::BinOp::Mul,
                        lhs: Box::new(acc),
                        rhs: Box::new(factor(a)),
                    },
                    span: from.span,
                });
            let zero = Expr {
                kind: ExprKind::Number(crate::syntax::ast::Literal::integer_places(
                    num_rational::BigRational::from_integer(0.into()),
                )),
                span: to.span,
            };
            (product, zero)
        };
        let note = if samples == 1 {
            format!("with {}", shown.join(", "))
        } else {
            format!(
                "with {}: {samples} samples, the step must hold for one of them",
                shown.join(", ")
            )
        };
        out.push((vec![start, rhs], vec![*op], Some(note)));
        cur = vec![to.clone()];
        cur_ops = Vec::new();
    }
    if cur.len() >= 2 {
        out.push((cur, cur_ops, None));
    }
    out
}

fn parse_part(toks: &[Token], ctx: &Context, reading: &mut Reading) -> Part {
    let (parsed, labels) = parse_with_labels(toks, ctx);
    if parsed.is_ok() {
        reading.labels.extend(labels);
    }
    parsed.map_err(|ParseError { span, mut message }| {
        // a part with two things the reader cannot read names both
        let expectation = toks
            .windows(2)
            .any(|w| w[0].tok == Tok::Letter('E') && w[1].tok == Tok::Sym('_'));
        if let (true, Some(why), false) =
            (expectation, &ctx.expectation_slip, message.contains("E_"))
        {
            message = format!("{message}; and `E_j[..]` is not read: {why}");
        }
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
fn skipped_lhs(
    toks: &[Token],
    ctx: &Context,
    side: &SideFile,
    text_defs: &[TextDef],
    named: &HashSet<String>,
) -> bool {
    let Ok(e) = parse_expression(toks, ctx) else {
        return false;
    };
    if let ExprKind::Subscript { base, .. } = &e.kind {
        // `J_{ij} = ...` after "Let the Jacobian = J": an entry of a name the text
        // introduces (or never defines) says what it is
        if let ExprKind::Ident(b) = &base.kind {
            let defined = side.declares(b) || text_defs.iter().any(|d| &d.name.name == b);
            return named.contains(b.as_str()) || !defined;
        }
        return false;
    }
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
    let sub = name.get(plain.len() + 1..).unwrap_or("");
    let entry = name.len() > plain.len()
        && (is_index(sub)
            || (named.contains(plain) && sub.chars().all(|c| "ijklmnpqrst,".contains(c))));
    entry && !defined(plain)
}

/// A subscript that is an index (`i`, `k`), not a label (`CE`, `mse`) or a number.
fn is_index(sub: &str) -> bool {
    sub.chars().count() == 1 && sub.chars().all(|c| c.is_lowercase())
}

/// `x = 0`, `i = k` after a condition word in the prose ("when $x = 0$,"): the
/// condition `x = 0` (a name equal to a number or to another name, nothing more).
fn equation_condition(statement: &Statement, ctx: &Context, span: Span) -> Option<Expr> {
    if statement.parts.len() != 2 || statement.continues {
        return None;
    }
    let lhs = parse_expression(&statement.parts[0], ctx).ok()?;
    let rhs = parse_expression(&statement.parts[1], ctx).ok()?;
    let single = |e: &Expr| matches!(&e.kind, ExprKind::Ident(n) if n.chars().count() == 1);
    let number = matches!(rhs.kind, ExprKind::Number(_))
        || matches!(&rhs.kind, ExprKind::Neg(x) if matches!(x.kind, ExprKind::Number(_)));
    if !single(&lhs) || !(number || single(&rhs)) {
        return None;
    }
    Some(Expr {
        span,
        kind: ExprKind::Compare {
            op: crate::syntax::ast::CmpOp::Eq,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
    })
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
    (text_defs, rebindable): (&[TextDef], &[Ident]),
) -> Option<(Ident, Vec<Ident>)> {
    let mut calls = ctx.clone();
    calls.calls_by_default = true;
    let e = parse_expression(toks, &calls).ok()?;
    match &e.kind {
        ExprKind::Ident(name) => {
            let plain = plain_name(name);
            // `\delta = ...` names the error signal of backprop: the Kronecker
            // delta is never written bare; nor is a built-in the text may own
            // (`H = -\sum_i p_i \log p_i`, `\sigma = \sqrt{v}`): written bare on the
            // left, it is the text's own name
            let builtin = is_builtin_function(name)
                && name != "δ"
                && super::conventions::ownable(name).is_none();
            if side.declares_for_text(name) || side.declares_for_text(plain) || builtin {
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
            if is_builtin_function(&func.name) || side.declares_for_text(&func.name) {
                return None;
            }
            // `x(1 - x) = x - x^2`: a name applied to an expression of itself is a product
            if args.iter().any(|a| mentions_name(&a.value, &func.name)) {
                return None;
            }
            // `a(x) = \sigma(x)` after `a(x) = \frac{1}{1+e^{-x}}`: a claim about `a`
            // (a bare name, `L_{CE} = ...`, is redefined instead; so is a function
            // defined under an earlier heading and not since)
            let claimed = |d: &TextDef| {
                d.name.name == func.name
                    && !rebindable
                        .iter()
                        .any(|r| r.name == d.name.name && r.span == d.name.span)
            };
            if text_defs.iter().any(claimed) {
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
                    // `S(x + c) = S(x)` states something of the built-in `S`
                    _ if side.declares(&func.name) => return None,
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
fn mentions_name(e: &Expr, name: &str) -> bool {
    match &e.kind {
        ExprKind::Ident(n) => n == name,
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            mentions_name(lhs, name) || mentions_name(rhs, name)
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            mentions_name(x, name)
        }
        ExprKind::Call { func, args, .. } => {
            func.name == name || args.iter().any(|a| mentions_name(&a.value, name))
        }
        ExprKind::Subscript { base, indices } => {
            mentions_name(base, name) || indices.iter().any(|i| mentions_name(i, name))
        }
        ExprKind::Vector(items) | ExprKind::And(items) => {
            items.iter().any(|i| mentions_name(i, name))
        }
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

/// A label written in a formula (`W_{m \times d}`): nothing stated with it.
impl From<ShapeLabel> for Labelled {
    fn from(l: ShapeLabel) -> Labelled {
        Labelled {
            readings: l.readings,
            sizes: l.sizes,
            span: l.span,
            given: Vec::new(),
        }
    }
}

/// Whether the text gives `name` a shape: stated (`\in`), a `def` of the side
/// file, or defined by the text from names whose shapes it gives. A variable of
/// the side file is not enough: a name written bare may be a number in the text.
fn shape_known(
    name: &str,
    shapes: &[ShapeDecl],
    text_defs: &[TextDef],
    side: &SideFile,
    depth: usize,
) -> bool {
    if shapes.iter().any(|d| d.name == name)
        || side.others.contains(name)
        || is_builtin_function(name)
    {
        return true;
    }
    if depth > 8 {
        return false;
    }
    text_defs
        .iter()
        .rev()
        .find(|d| d.name.name == name)
        .is_some_and(|d| {
            let params: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
            names(&d.body)
                .iter()
                .filter(|n| !params.contains(&n.as_str()))
                .all(|n| shape_known(n, shapes, text_defs, side, depth + 1) || is_entry_or_index(n))
        })
}

/// `o_k` (an entry) or `k` (an index): no shape of their own to state.
fn is_entry_or_index(name: &str) -> bool {
    name.chars().count() == 1
        || name
            .split_once('_')
            .is_some_and(|(_, sub)| sub.chars().count() == 1 && sub.chars().all(char::is_lowercase))
}

/// What a shape statement states: declared shapes join the scopes; a label
/// becomes a claim about a shape (true when one was made).
fn state_shapes(
    stated: Option<ShapeStatement>,
    text_defs: &[TextDef],
    (shapes, part_shapes): (&mut Vec<ShapeDecl>, &mut Vec<ShapeDecl>),
    side: &SideFile,
    source: &SourceFile,
    reading: &mut Reading,
) -> bool {
    match stated {
        Some(ShapeStatement::Declares(decls)) => {
            part_shapes.extend(decls.iter().cloned());
            shapes.extend(decls);
            false
        }
        Some(ShapeStatement::Label(labelled)) => label_chain(
            labelled,
            text_defs,
            (shapes, part_shapes),
            side,
            source,
            reading,
        ),
        None => false,
    }
}

/// Makes a dimension label a claim (a chain `dims(X) = [r, c]` of one step);
/// a label on a name whose shape the text gives nowhere else declares it instead.
/// Returns whether a claim was made.
fn label_chain(
    label: Labelled,
    text_defs: &[TextDef],
    (shapes, part_shapes): (&mut Vec<ShapeDecl>, &mut Vec<ShapeDecl>),
    side: &SideFile,
    source: &SourceFile,
    reading: &mut Reading,
) -> bool {
    // what this sub-part states is known; an earlier sub-part's statement is used
    // but assumed (the letter may mean something else now)
    let mut in_reach = part_shapes.clone();
    in_reach.extend(label.given.iter().cloned());
    let mut declared = shapes.clone();
    declared.extend(in_reach.iter().cloned());
    let mentioned: std::collections::BTreeSet<String> =
        label.readings.iter().flat_map(names).collect();
    let sizes: std::collections::BTreeSet<String> = label.sizes.iter().flat_map(names).collect();
    // an entry with a free index (`\frac{\partial L}{\partial o_k} \in \mathbb{R}^m`)
    // is loose notation for the whole vector: not judged
    let free_entry = mentioned.iter().any(|n| {
        n.split_once('_')
            .is_some_and(|(_, sub)| sub.chars().count() == 1 && sub.chars().all(char::is_lowercase))
    });
    if free_entry {
        return false;
    }
    if let [reading_] = label.readings.as_slice() {
        if let ExprKind::Ident(name) = &reading_.kind {
            if !shape_known(name, &in_reach, text_defs, side, 0) {
                // `W^{(2)}_{m \times d_h}` where nothing else says what W is: a declaration
                let decl = ShapeDecl {
                    name: name.clone(),
                    sizes: label.sizes,
                };
                part_shapes.push(decl.clone());
                shapes.push(decl);
                return false;
            }
        }
    }
    let classes: std::collections::BTreeSet<String> =
        label.readings.iter().flat_map(onehot_classes).collect();
    let inferred: Vec<String> = mentioned
        .iter()
        .filter(|n| {
            !sizes.contains(*n)
                && !classes.contains(*n)
                && !shape_known(n, &in_reach, text_defs, side, 0)
        })
        .cloned()
        .collect();
    let assumptions = inferred
        .iter()
        .map(|n| Assumption {
            step: None,
            text: format!(
                "refuted only if `{n}` has the shape the reader inferred; the text does not state it"
            ),
        })
        .collect();
    let span = label
        .readings
        .iter()
        .fold(label.span, |s, r| s.join(r.span));
    let dims = Expr {
        kind: ExprKind::Call {
            func: Ident {
                name: "dims".into(),
                span,
            },
            primes: 0,
            args: label
                .readings
                .into_iter()
                .map(|value| crate::syntax::ast::Arg { name: None, value })
                .collect(),
        },
        span,
    };
    let line = source.line_col(span.start as usize).line;
    reading.equalities += 1;
    reading.chains.push(Chain {
        name: format!("shape label (line {line})"),
        parts: vec![
            dims,
            Expr {
                kind: ExprKind::Vector(label.sizes),
                span,
            },
        ],
        ops: vec![RelOp::Eq],
        definitions: text_defs.to_vec(),
        conditions: Vec::new(),
        context: Vec::new(),
        assumptions,
        shapes: declared,
        one_hot: Vec::new(),
        log_unsettled: false,
    });
    true
}

/// The classes of `\text{onehot}_m(y)` in `e` (`y`): indices, with no shape of their own.
fn onehot_classes(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Call { func, args, .. } => {
                if func.name == "onehot" {
                    if let Some(ExprKind::Ident(y)) = args.first().map(|a| &a.value.kind) {
                        out.push(y.clone());
                    }
                }
                stack.extend(args.iter().map(|a| &a.value));
            }
            ExprKind::Binary { lhs, rhs, .. } => stack.extend([&**lhs, &**rhs]),
            ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
                stack.push(x)
            }
            _ => {}
        }
    }
    out
}
