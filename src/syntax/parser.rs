//! The statement-level parser: splits a file into statements, parses each one
//! on its own (so one bad statement costs one error, not the rest of the file),
//! and turns parse failures into located diagnostics.
//!
//! Every parsing function takes the unparsed rest of its statement, skips the
//! trivia in front of its first token itself, and returns the rest right after
//! its last token, so spans end exactly where the text does. Byte offsets are
//! file-relative: a statement is a slice `text[start..end]` of the file, and
//! the offset of a rest is `end - rest.len()`.

use super::ast::{
    Claim, Def, Derive, Domain, DomainKind, Expect, Expected, Ident, Item, ItemKind, Layer, Net,
    RelOp, Step, VarDecl,
};
use super::lex::{self, skip_trivia};
use super::{ast, Parsed, MAX_DEPTH};
use crate::diagnostic::Diagnostic;
use crate::span::{LineCol, SourceFile, Span};
use nom::error::{ErrorKind, ParseError};
use nom::IResult;
use std::cell::{Cell, OnceCell};
use std::collections::HashMap;
use std::sync::Mutex;

pub(super) type Res<'t, T> = IResult<&'t str, T, PError>;

const STATEMENT_EXPECTED: &str =
    "expected a statement: var, dim, def, claim, derive, net or expect";

/// A parse failure: where it is (as the length of the statement text left
/// after it), what went wrong, and optionally a second place that explains it.
#[derive(Debug)]
pub(super) struct PError {
    remaining: usize,
    /// Length of the offending text; `None` means "the token there".
    len: Option<usize>,
    message: String,
    label: Option<(Span, String)>,
}

impl<'t> ParseError<&'t str> for PError {
    fn from_error_kind(input: &'t str, kind: ErrorKind) -> Self {
        PError {
            remaining: input.len(),
            len: None,
            message: format!("unexpected input ({})", kind.description()),
            label: None,
        }
    }

    fn append(_: &'t str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

/// Which tokens mean something special at the current point of an expression.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Mode {
    /// Inside `|...|` or `‖...‖`: a bar closes the group rather than starting
    /// an implicitly multiplied `|y|`.
    pub in_bars: bool,
    /// Inside `R^(m x n)`: `x`, `×` and `*` separate the two sizes.
    pub in_matrix_dims: bool,
    /// In a condition after `where` or `if`: a single `=` is a comparison.
    pub single_eq_compares: bool,
}

/// One statement's worth of text, as byte offsets into the file.
#[derive(Clone, Copy, Debug)]
struct Chunk {
    start: usize,
    end: usize,
    /// End of the last code character (before trailing whitespace and comments):
    /// errors "at the end of the statement" point here.
    content_end: usize,
}

/// The parser of one statement (or of one expression for `parse_expr`).
pub(super) struct Parser<'t> {
    text: &'t str,
    chunk: Chunk,
    source: &'t OnceCell<SourceFile>,
    depth: Cell<usize>,
    mode: Cell<Mode>,
    /// Offset of each opening bracket to the offset just after its match,
    /// built on first use (only the Leibniz look-ahead needs it).
    brackets: OnceCell<HashMap<usize, usize>>,
}

/// Decrements the nesting depth when a nested construct is done.
pub(super) struct DepthGuard<'p> {
    depth: &'p Cell<usize>,
}

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }
}

/// Stack for the parsing thread. Debug builds spend up to ~32 KB of stack per
/// nesting level (release builds far less), so `MAX_DEPTH` levels need ~8 MB:
/// more than a test thread's 2 MB. Parsing on a thread of its own keeps the
/// depth limit safe whatever thread the caller runs on; the space is only
/// reserved, and touched as deep as the input actually nests.
const PARSER_STACK_BYTES: usize = 64 << 20;

/// Runs `parse` on a thread with `PARSER_STACK_BYTES` of stack, or on the
/// current thread if no thread can be started. (`None` only if the closure
/// somehow ran nowhere, which the slot hand-off rules out.)
fn on_parser_stack<T: Send>(parse: impl FnOnce() -> T + Send) -> Option<T> {
    let slot = Mutex::new(Some(parse));
    let take = || slot.lock().ok().and_then(|mut parse| parse.take());
    let spawned = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || take().map(|parse| parse()))
            .ok()?;
        match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    spawned.or_else(|| take().map(|parse| parse()))
}

fn parser_did_not_run() -> Diagnostic {
    Diagnostic::error(Span::default(), "internal error: the parser did not run")
}

pub fn parse_file(text: &str) -> Parsed {
    on_parser_stack(|| parse_file_here(text)).unwrap_or_else(|| Parsed {
        file: ast::File::default(),
        errors: vec![parser_did_not_run()],
    })
}

fn parse_file_here(text: &str) -> Parsed {
    let source = OnceCell::new();
    let mut parsed = Parsed::default();
    for chunk in split_statements(text) {
        let parser = Parser::new(text, chunk, &source);
        match parser.statement() {
            Ok(item) => parsed.file.items.push(item),
            Err(error) => parsed.errors.push(error),
        }
    }
    parsed
}

pub fn parse_expr(text: &str) -> Result<ast::Expr, Diagnostic> {
    on_parser_stack(|| parse_expr_here(text)).unwrap_or_else(|| Err(parser_did_not_run()))
}

fn parse_expr_here(text: &str) -> Result<ast::Expr, Diagnostic> {
    let source = OnceCell::new();
    let content_end = text
        .split_inclusive('\n')
        .scan(0, |line_start, line| {
            let start = *line_start;
            *line_start += line.len();
            Some(lex::code_len(line.trim_end_matches(['\n', '\r'])).map(|len| start + len))
        })
        .flatten()
        .last()
        .unwrap_or(0);
    let chunk = Chunk {
        start: 0,
        end: text.len(),
        content_end,
    };
    let parser = Parser::new(text, chunk, &source);
    let parsed = parser.condition(text).and_then(|(rest, expr)| {
        let rest = skip_trivia(rest);
        if rest.is_empty() {
            Ok(expr)
        } else {
            Err(parser.unexpected(rest))
        }
    });
    parsed.map_err(|error| parser.diagnostic(error))
}

/// Splits a file into statements: a line starting at column 0 with code starts
/// one; indented lines, blank or comment-only lines, and lines starting with a
/// closing bracket continue it.
fn split_statements(text: &str) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut offset = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while offset < text.len() {
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        let next = (line_end + 1).min(text.len());
        let line = &text[offset..line_end];
        if let Some(code_len) = lex::code_len(line) {
            let content_end = offset + code_len;
            // A closing bracket can never start a statement: a `}` at column 0
            // closes the statement above (`piecewise {` ... `}`).
            let continues = line.starts_with(|c: char| c.is_whitespace() || ")]}".contains(c));
            match chunks.last_mut() {
                Some(chunk) if continues => chunk.content_end = content_end,
                _ => chunks.push(Chunk {
                    start: offset,
                    end: next,
                    content_end,
                }),
            }
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.end = next;
        }
        offset = next;
    }
    chunks
}

impl<'t> Parser<'t> {
    fn new(text: &'t str, chunk: Chunk, source: &'t OnceCell<SourceFile>) -> Parser<'t> {
        Parser {
            text,
            chunk,
            source,
            depth: Cell::new(0),
            mode: Cell::new(Mode::default()),
            brackets: OnceCell::new(),
        }
    }

    // ---- positions and errors ----

    /// File offset of a rest of this statement.
    pub(super) fn pos(&self, rest: &str) -> usize {
        self.chunk.end.saturating_sub(rest.len())
    }

    pub(super) fn span(&self, from: &str, to: &str) -> Span {
        let start = self.pos(from);
        Span::new(start, self.pos(to).max(start))
    }

    pub(super) fn line_col(&self, offset: usize) -> LineCol {
        self.source
            .get_or_init(|| SourceFile::new("", self.text))
            .line_col(offset)
    }

    /// A failure at the token starting `at`.
    pub(super) fn error(&self, at: &str, message: impl Into<String>) -> nom::Err<PError> {
        nom::Err::Failure(PError {
            remaining: at.len(),
            len: None,
            message: message.into(),
            label: None,
        })
    }

    pub(super) fn fail<T>(&self, at: &'t str, message: impl Into<String>) -> Res<'t, T> {
        Err(self.error(at, message))
    }

    /// "unexpected `X`" for the token at `at`.
    pub(super) fn unexpected(&self, at: &str) -> nom::Err<PError> {
        let at = skip_trivia(at);
        if at.is_empty() {
            return self.error(at, "unexpected end of statement");
        }
        self.error(at, format!("unexpected `{}`", lex::describe_token(at)))
    }

    /// `message`, unless the token at `at` is a stray closing bracket, which
    /// is better reported as unexpected.
    pub(super) fn expected(&self, at: &str, message: &str) -> nom::Err<PError> {
        let at = skip_trivia(at);
        if at.starts_with([')', ']', '}']) {
            return self.unexpected(at);
        }
        self.error(at, message)
    }

    /// "expected `)` to close `(` opened at L:C", labelled at the opener.
    pub(super) fn unclosed(
        &self,
        at: &str,
        open: &str,
        opener: &str,
        closer: &str,
    ) -> nom::Err<PError> {
        let open_offset = self.pos(open);
        nom::Err::Failure(PError {
            remaining: at.len(),
            len: None,
            message: format!(
                "expected `{closer}` to close `{opener}` opened at {}",
                self.line_col(open_offset)
            ),
            label: Some((
                Span::new(open_offset, open_offset + opener.len()),
                format!("`{opener}` opened here"),
            )),
        })
    }

    fn diagnostic(&self, error: nom::Err<PError>) -> Diagnostic {
        let error = match error {
            nom::Err::Error(error) | nom::Err::Failure(error) => error,
            nom::Err::Incomplete(_) => PError {
                remaining: 0,
                len: None,
                message: "unexpected end of statement".to_string(),
                label: None,
            },
        };
        let offset = self
            .chunk
            .end
            .saturating_sub(error.remaining)
            .max(self.chunk.start);
        let span = match error.len {
            Some(len) => Span::new(offset, (offset + len).min(self.chunk.end)),
            None => {
                let at = skip_trivia(&self.text[offset..self.chunk.end]);
                if at.is_empty() {
                    // Nothing but trivia follows: point just after the last token.
                    let end = self
                        .chunk
                        .content_end
                        .clamp(self.chunk.start, self.chunk.end);
                    Span::new(end, end)
                } else {
                    let start = self.pos(at);
                    Span::new(start, start + lex::token_len(at))
                }
            }
        };
        let diagnostic = Diagnostic::error(span, error.message);
        match error.label {
            Some((label_span, label)) => diagnostic.with_label(label_span, label),
            None => diagnostic,
        }
    }

    /// Enters one level of nesting, failing at `at` past `MAX_DEPTH`.
    pub(super) fn enter(&self, at: &str) -> Result<DepthGuard<'_>, nom::Err<PError>> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            return Err(self.error(at, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.depth.set(depth);
        Ok(DepthGuard { depth: &self.depth })
    }

    pub(super) fn mode(&self) -> Mode {
        self.mode.get()
    }

    /// Runs `parse` with `mode`, restoring the previous mode afterwards.
    pub(super) fn with_mode<T>(&self, mode: Mode, parse: impl FnOnce() -> T) -> T {
        let saved = self.mode.replace(mode);
        let result = parse();
        self.mode.set(saved);
        result
    }

    /// The rest after the bracket group opening at `open`, if it is closed.
    pub(super) fn skip_group(&self, open: &'t str) -> Option<&'t str> {
        let brackets = self.brackets.get_or_init(|| self.match_brackets());
        let close_end = *brackets.get(&self.pos(open))?;
        let skipped = close_end.checked_sub(self.pos(open))?;
        open.get(skipped..)
    }

    /// Pairs every bracket of the statement with its match in one pass, so
    /// look-ahead never rescans nested groups (which would be quadratic).
    fn match_brackets(&self) -> HashMap<usize, usize> {
        let mut pairs = HashMap::new();
        let mut open: Vec<(char, usize)> = Vec::new();
        let text = &self.text[self.chunk.start..self.chunk.end];
        let mut in_string = false;
        let mut in_comment = false;
        for (index, c) in text.char_indices() {
            let offset = self.chunk.start + index;
            match c {
                '\n' => {
                    in_string = false;
                    in_comment = false;
                }
                _ if in_comment => {}
                '"' => in_string = !in_string,
                _ if in_string => {}
                '#' => in_comment = true,
                '(' | '[' | '{' => open.push((c, offset)),
                ')' | ']' | '}' => {
                    let opener = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if open.last().is_some_and(|&(kind, _)| kind == opener) {
                        if let Some((_, start)) = open.pop() {
                            pairs.insert(start, offset + 1);
                        }
                    }
                }
                _ => {}
            }
        }
        pairs
    }

    // ---- small token helpers ----

    /// The rest after `token` (after trivia), if it is next.
    pub(super) fn eat(&self, rest: &'t str, token: &str) -> Option<&'t str> {
        skip_trivia(rest).strip_prefix(token)
    }

    /// The rest after the keyword `word` (a whole identifier), if it is next.
    pub(super) fn eat_word(&self, rest: &'t str, word: &str) -> Option<&'t str> {
        match lex::ident(skip_trivia(rest)) {
            Some((name, after)) if name == word => Some(after),
            _ => None,
        }
    }

    /// An identifier (not a reserved word), or a failure with `message`.
    pub(super) fn ident(&self, rest: &'t str, message: &str) -> Res<'t, Ident> {
        let rest = skip_trivia(rest);
        match lex::ident(rest) {
            Some((name, after)) if !lex::STOP_WORDS.contains(&name) => Ok((
                after,
                Ident {
                    name: name.to_string(),
                    span: self.span(rest, after),
                },
            )),
            _ => Err(self.expected(rest, message)),
        }
    }

    fn ident_list(&self, rest: &'t str, message: &str) -> Res<'t, Vec<Ident>> {
        let (mut rest, first) = self.ident(rest, message)?;
        let mut names = vec![first];
        while let Some(after_comma) = self.eat(rest, ",") {
            let (after, name) = self.ident(after_comma, message)?;
            names.push(name);
            rest = after;
        }
        Ok((rest, names))
    }

    /// `=`, `≈` or `~=` between two sides (`==` is not one).
    pub(super) fn rel_op(&self, rest: &'t str) -> Option<(&'t str, RelOp)> {
        let rest = skip_trivia(rest);
        if let Some(after) = rest.strip_prefix('=') {
            return (!after.starts_with('=')).then_some((after, RelOp::Eq));
        }
        if let Some(after) = rest.strip_prefix('≈').or_else(|| rest.strip_prefix("~=")) {
            return Some((after, RelOp::Approx));
        }
        None
    }

    /// A double-quoted name.
    fn string(&self, rest: &'t str) -> Res<'t, String> {
        let rest = skip_trivia(rest);
        match lex::string(rest) {
            Ok((len, contents)) => Ok((&rest[len..], contents.to_string())),
            Err(len) => Err(nom::Err::Failure(PError {
                remaining: rest.len(),
                len: Some(len),
                message: "unterminated string".to_string(),
                label: None,
            })),
        }
    }

    // ---- statements ----

    fn statement(&self) -> Result<Item, Diagnostic> {
        let text = &self.text[self.chunk.start..self.chunk.end];
        self.item(text).map_err(|error| self.diagnostic(error))
    }

    fn item(&self, text: &'t str) -> Result<Item, nom::Err<PError>> {
        let start = skip_trivia(text);
        let Some((keyword, after)) = lex::ident(start) else {
            return Err(self.error(start, STATEMENT_EXPECTED));
        };
        let (rest, kind) = match keyword {
            "var" => self.var_decl(after)?,
            "dim" => {
                let (rest, names) = self.ident_list(after, "expected a size name")?;
                (rest, ItemKind::Dim(names))
            }
            "def" => self.def(after)?,
            "claim" => self.claim(after, None)?,
            "derive" => self.derive(after, None)?,
            "net" => self.net(after)?,
            "expect" => self.expected_statement(start, after)?,
            _ => return Err(self.error(start, STATEMENT_EXPECTED)),
        };
        let trailing = skip_trivia(rest);
        if !trailing.is_empty() {
            return Err(self.unexpected(trailing));
        }
        Ok(Item {
            kind,
            span: self.span(start, rest),
        })
    }

    /// `expect V: claim ...` / `expect V: derive ...`
    fn expected_statement(&self, start: &'t str, after_keyword: &'t str) -> Res<'t, ItemKind> {
        let (rest, expect) = self.verdict(start, after_keyword)?;
        let rest = self
            .eat(rest, ":")
            .ok_or_else(|| self.expected(rest, "expected `:` after the expected verdict"))?;
        if let Some(after) = self.eat_word(rest, "claim") {
            return self.claim(after, Some(expect));
        }
        if let Some(after) = self.eat_word(rest, "derive") {
            return self.derive(after, Some(expect));
        }
        self.fail(
            skip_trivia(rest),
            "expected `claim` or `derive` after `expect`",
        )
    }

    /// The verdict word after `expect`; the span runs from `expect` through it.
    fn verdict(&self, start: &'t str, after_keyword: &'t str) -> Res<'t, Expect> {
        let word_start = skip_trivia(after_keyword);
        let (rest, verdict) = match lex::ident(word_start) {
            Some(("proved", rest)) => (rest, Expected::Proved),
            Some(("checked", rest)) => (rest, Expected::Checked),
            Some(("refuted", rest)) => (rest, Expected::Refuted),
            Some((word, _)) => {
                return self.fail(
                    word_start,
                    format!("unknown verdict `{word}`: expected proved, checked or refuted"),
                )
            }
            None => {
                return Err(self.expected(
                    word_start,
                    "expected a verdict after `expect`: proved, checked or refuted",
                ))
            }
        };
        let expect = Expect {
            verdict,
            span: self.span(start, rest),
        };
        Ok((rest, expect))
    }

    fn var_decl(&self, rest: &'t str) -> Res<'t, ItemKind> {
        let (rest, names) = self.ident_list(rest, "expected a variable name")?;
        let rest = self
            .eat(rest, ":")
            .or_else(|| self.eat(rest, "∈"))
            .ok_or_else(|| self.expected(rest, "expected `:` or `∈` after the variable names"))?;
        let (mut rest, domain) = self.domain(rest)?;
        let mut assumptions = Vec::new();
        while let Some(after_comma) = self.eat(rest, ",") {
            let (after, condition) = self.condition_with_eq(after_comma)?;
            assumptions.push(condition);
            rest = after;
        }
        Ok((
            rest,
            ItemKind::Var(VarDecl {
                names,
                domain,
                assumptions,
            }),
        ))
    }

    /// `def f(a, b) = body`, `def s(v)_i = body`, `def L = body`
    fn def(&self, rest: &'t str) -> Res<'t, ItemKind> {
        let (mut rest, name) = self.ident(rest, "expected a name after `def`")?;
        let mut params = Vec::new();
        let mut index = None;
        let open = skip_trivia(rest);
        if let Some(after_open) = open.strip_prefix('(') {
            let _guard = self.enter(open)?;
            let mut inner = after_open;
            if let Some(after) = self.eat(inner, ")") {
                rest = after;
            } else {
                loop {
                    let (after, param) = self.ident(inner, "expected a parameter name")?;
                    params.push(param);
                    if let Some(after_comma) = self.eat(after, ",") {
                        inner = after_comma;
                        continue;
                    }
                    match self.eat(after, ")") {
                        Some(after_close) => {
                            rest = after_close;
                            break;
                        }
                        None => return Err(self.unclosed(after, open, "(", ")")),
                    }
                }
            }
            if let Some(after_underscore) = rest.strip_prefix('_') {
                let (after, name) =
                    self.ident(after_underscore, "expected an index name after `_`")?;
                index = Some(name);
                rest = after;
            }
        }
        let Some((after_eq, RelOp::Eq)) = self.rel_op(rest) else {
            return Err(self.expected(rest, "expected `=` after the definition head"));
        };
        let (rest, body) = self.additive(after_eq)?;
        Ok((
            rest,
            ItemKind::Def(Def {
                name,
                params,
                index,
                body,
            }),
        ))
    }

    /// An optional `"name"` followed by `:` (for claims) or not (for derives).
    fn optional_name(&self, rest: &'t str, colon: bool) -> Res<'t, Option<String>> {
        if !skip_trivia(rest).starts_with('"') {
            return Ok((rest, None));
        }
        let (rest, name) = self.string(rest)?;
        if !colon {
            return Ok((rest, Some(name)));
        }
        match self.eat(rest, ":") {
            Some(after) => Ok((after, Some(name))),
            None => Err(self.expected(rest, "expected `:` after the claim name")),
        }
    }

    /// `cond, cond, ...` after `where`.
    fn conditions(&self, rest: &'t str) -> Res<'t, Vec<ast::Expr>> {
        let (mut rest, first) = self.condition_with_eq(rest)?;
        let mut conditions = vec![first];
        while let Some(after_comma) = self.eat(rest, ",") {
            let (after, condition) = self.condition_with_eq(after_comma)?;
            conditions.push(condition);
            rest = after;
        }
        Ok((rest, conditions))
    }

    fn claim(&self, rest: &'t str, expect: Option<Expect>) -> Res<'t, ItemKind> {
        let (rest, name) = self.optional_name(rest, true)?;
        if skip_trivia(rest).is_empty() {
            return self.fail(skip_trivia(rest), "expected an expression after `claim`");
        }
        let (rest, lhs) = self.additive(rest)?;
        let Some((rest, op)) = self.rel_op(rest) else {
            return Err(self.expected(rest, "expected `=` or `≈` after the left-hand side"));
        };
        let (mut rest, rhs) = self.additive(rest)?;
        let mut tolerance = None;
        if let Some(after) = self.eat_word(rest, "within") {
            let (after, value) = self.additive(after)?;
            tolerance = Some(value);
            rest = after;
        }
        let mut conditions = Vec::new();
        if let Some(after) = self.eat_word(rest, "where") {
            (rest, conditions) = self.conditions(after)?;
        }
        Ok((
            rest,
            ItemKind::Claim(Claim {
                name,
                expect,
                lhs,
                op,
                rhs,
                tolerance,
                conditions,
            }),
        ))
    }

    fn derive(&self, rest: &'t str, expect: Option<Expect>) -> Res<'t, ItemKind> {
        let (mut rest, name) = self.optional_name(rest, false)?;
        let mut conditions = Vec::new();
        if let Some(after) = self.eat_word(rest, "where") {
            (rest, conditions) = self.conditions(after)?;
        }
        let rest = self
            .eat(rest, ":")
            .ok_or_else(|| self.expected(rest, "expected `:` after the derive header"))?;
        if skip_trivia(rest).is_empty() {
            return self.fail(
                skip_trivia(rest),
                "empty derivation: expected a starting expression",
            );
        }
        let (mut rest, start) = self.additive(rest)?;
        let mut steps = Vec::new();
        loop {
            let step_start = skip_trivia(rest);
            if step_start.is_empty() {
                break;
            }
            let (after_expect, step_expect) = match lex::ident(step_start) {
                Some(("expect", after)) => {
                    let (after, expect) = self.verdict(step_start, after)?;
                    (self.eat(after, ":").unwrap_or(after), Some(expect))
                }
                _ => (step_start, None),
            };
            let Some((after_op, op)) = self.rel_op(after_expect) else {
                if step_expect.is_some() {
                    return Err(
                        self.expected(after_expect, "expected `=` or `≈` after the verdict")
                    );
                }
                break;
            };
            let (after, rhs) = self.additive(after_op)?;
            steps.push(Step {
                expect: step_expect,
                op,
                rhs,
                span: self.span(step_start, after),
            });
            rest = after;
        }
        if steps.is_empty() && skip_trivia(rest).is_empty() {
            return self.fail(
                skip_trivia(rest),
                "expected `=` and a step after the starting expression",
            );
        }
        Ok((
            rest,
            ItemKind::Derive(Derive {
                name,
                expect,
                conditions,
                start,
                steps,
            }),
        ))
    }

    /// `net NAME(args):` then `layer = kind(args)` entries.
    fn net(&self, rest: &'t str) -> Res<'t, ItemKind> {
        let (mut rest, name) = self.ident(rest, "expected a network name after `net`")?;
        let mut args = Vec::new();
        let open = skip_trivia(rest);
        if open.starts_with('(') {
            (rest, args) = self.call_args(open)?;
        }
        let mut rest = self
            .eat(rest, ":")
            .ok_or_else(|| self.expected(rest, "expected `:` after the network header"))?;
        let mut layers = Vec::new();
        loop {
            let layer_start = skip_trivia(rest);
            if layer_start.is_empty() {
                break;
            }
            let (after, layer_name) = self.ident(layer_start, "expected a layer name")?;
            let Some((after_eq, RelOp::Eq)) = self.rel_op(after) else {
                return Err(self.expected(after, "expected `=` after the layer name"));
            };
            let (mut after, kind) = self.ident(after_eq, "expected a layer kind after `=`")?;
            let mut layer_args = Vec::new();
            let open = skip_trivia(after);
            if open.starts_with('(') {
                (after, layer_args) = self.call_args(open)?;
            }
            layers.push(Layer {
                name: layer_name,
                kind,
                args: layer_args,
                span: self.span(layer_start, after),
            });
            rest = after;
        }
        Ok((rest, ItemKind::Net(Net { name, args, layers })))
    }

    // ---- domains ----

    /// A domain, with `->` function arrows (right-associative).
    fn domain(&self, rest: &'t str) -> Res<'t, Domain> {
        let (mut rest, first) = self.domain_atom(rest)?;
        let mut parts = vec![first];
        while let Some(after_arrow) = self.eat(rest, "->").or_else(|| self.eat(rest, "→")) {
            let (after, part) = self.domain_atom(after_arrow)?;
            parts.push(part);
            rest = after;
        }
        let Some(mut result) = parts.pop() else {
            return self.fail(rest, "expected a domain");
        };
        while let Some(argument) = parts.pop() {
            let span = argument.span.join(result.span);
            result = Domain {
                kind: DomainKind::Function(Box::new(argument), Box::new(result)),
                span,
            };
        }
        Ok((rest, result))
    }

    fn domain_atom(&self, rest: &'t str) -> Res<'t, Domain> {
        let start = skip_trivia(rest);
        if start.starts_with('{') {
            return self.set_domain(start);
        }
        let Some((word, after)) = lex::ident(start) else {
            return Err(self.expected(start, "expected a domain"));
        };
        let (rest, kind) = match word {
            "real" | "R" | "ℝ" => {
                if let Some(after_plus) = after.strip_prefix('+') {
                    (after_plus, DomainKind::Positive)
                } else if let Some(after_caret) = self.eat(after, "^") {
                    self.real_power(after_caret)?
                } else {
                    (after, DomainKind::Real)
                }
            }
            "positive" => (after, DomainKind::Positive),
            "integer" | "Z" | "ℤ" => (after, DomainKind::Integer),
            "natural" | "N" | "ℕ" => (after, DomainKind::Natural),
            "onehot" => {
                let open = skip_trivia(after);
                if !open.starts_with('(') {
                    return Err(self.expected(open, "expected `(` and a size after `onehot`"));
                }
                let _guard = self.enter(open)?;
                let (inner, size) =
                    self.with_mode(Mode::default(), || self.additive(&open[1..]))?;
                let rest = self
                    .eat(inner, ")")
                    .ok_or_else(|| self.unclosed(inner, open, "(", ")"))?;
                (rest, DomainKind::OneHot(size))
            }
            _ => return self.fail(start, format!("unknown domain `{word}`")),
        };
        Ok((
            rest,
            Domain {
                kind,
                span: self.span(start, rest),
            },
        ))
    }

    /// After `R^`: `n` (a vector) or `(m x n)` (a matrix).
    fn real_power(&self, rest: &'t str) -> Res<'t, DomainKind> {
        let open = skip_trivia(rest);
        if !open.starts_with('(') {
            let (rest, size) = self.postfix(open)?;
            return Ok((rest, DomainKind::Vector(size)));
        }
        let _guard = self.enter(open)?;
        let dims_mode = Mode {
            in_matrix_dims: true,
            ..Mode::default()
        };
        let (inner, rows) = self.with_mode(dims_mode, || self.additive(&open[1..]))?;
        if let Some(rest) = self.eat(inner, ")") {
            return Ok((rest, DomainKind::Vector(rows)));
        }
        let after_times = self
            .eat(inner, "×")
            .or_else(|| self.eat(inner, "*"))
            .or_else(|| self.eat_word(inner, "x"))
            .ok_or_else(|| self.unclosed(inner, open, "(", ")"))?;
        let (inner, columns) = self.with_mode(dims_mode, || self.additive(after_times))?;
        let rest = self
            .eat(inner, ")")
            .ok_or_else(|| self.unclosed(inner, open, "(", ")"))?;
        Ok((rest, DomainKind::Matrix(rows, columns)))
    }

    /// `{0, 1}`
    fn set_domain(&self, open: &'t str) -> Res<'t, Domain> {
        let _guard = self.enter(open)?;
        let (rest, values) = self.with_mode(Mode::default(), || {
            self.delimited_list(open, "{", "}", |rest| self.additive(rest))
        })?;
        Ok((
            rest,
            Domain {
                kind: DomainKind::Set(values),
                span: self.span(open, rest),
            },
        ))
    }

    /// `item, item, ...` between `opener` (at `open`) and `closer`; may be empty.
    pub(super) fn delimited_list<T>(
        &self,
        open: &'t str,
        opener: &str,
        closer: &str,
        mut item: impl FnMut(&'t str) -> Res<'t, T>,
    ) -> Res<'t, Vec<T>> {
        let inner = &open[opener.len()..];
        let mut items = Vec::new();
        if let Some(after) = self.eat(inner, closer) {
            return Ok((after, items));
        }
        let mut rest = inner;
        loop {
            let (after, value) = item(rest)?;
            items.push(value);
            if let Some(after_comma) = self.eat(after, ",") {
                rest = after_comma;
                continue;
            }
            return match self.eat(after, closer) {
                Some(after_close) => Ok((after_close, items)),
                None => Err(self.unclosed(after, open, opener, closer)),
            };
        }
    }
}
