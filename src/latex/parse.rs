//! LaTeX math tokens to the derivation syntax tree (`syntax::ast::Expr`), by hand-written
//! recursive descent. Spans are byte offsets into the whole document.
//!
//! Loosest to tightest: comparisons; `+ -`; `\cdot \times / *` and juxtaposition;
//! unary minus; `^` `_` `'` scripts; atoms. Every failure is a located message
//! (an unknown macro names itself), never a panic.

use super::lex::{Tok, Token};
use crate::expr::names;
use crate::span::Span;
use crate::syntax::ast::{Arg, BinOp, CmpOp, Expr, ExprKind, Ident, LimitPoint, Literal};
use crate::syntax::MAX_DEPTH;
use num_bigint::BigInt;
use num_rational::BigRational;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// What the reader knows about names before it parses a formula.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Names that take arguments: `S(x)` is a call, not `S·x` (user functions and
    /// definitions; built-ins are always functions). The value is the parameter count.
    pub functions: HashMap<String, usize>,
    /// Joined names declared by the side file: `o^a` is the name `oa` when `oa` is here.
    pub labels: HashSet<String>,
    /// Named expressions without parameters: `o_y^s(x)` drops its `(x)`.
    pub constants: HashSet<String>,
    /// Any name followed by `(` is a call (used to read the left side of a
    /// definition such as `L_{CE}(\sigma(o^a), y) = ...`).
    pub calls_by_default: bool,
    /// The document speaks of convolutions, so `*` is one (not read) rather than a product.
    pub star_is_convolution: bool,
    /// The weights of `E_j[..]` where the text defines it as an average
    /// (`E_j[f_j] = \sum_j p_j f_j`): `p`, so `E_j[g_j]` is `\sum_j p_j g_j`.
    pub expectation: Option<Expr>,
    /// Why a definition of `E_j[..]` the text writes was not read (a sum over an
    /// index its body never writes): named where `E_j[..]` is used.
    pub expectation_slip: Option<String>,
    /// The variables the statement being read differentiates by (`\nabla_u`,
    /// `\frac{d}{du}`): `x(u)` there is `x` applied to `u` or the product `x·u`.
    pub derivative_vars: HashSet<String>,
    /// Bold capitals the text gives a shape (`\mathbf{W} \in \mathbb{R}^{m \times d}`):
    /// read as the plain name; any other bold capital is not read.
    pub bold_capitals: HashSet<String>,
}

impl Context {
    /// Whether a document's text says that its `*` is a convolution.
    pub fn mentions_convolution(text: &str) -> bool {
        let lower = text.to_lowercase();
        ["convol", "correlat", "conv2d", "conv1d", "kernel"]
            .iter()
            .any(|w| lower.contains(w))
    }
}

/// A located parse failure.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
}

type Parsed = Result<Expr, ParseError>;

/// Words the statement splitter keeps inside a formula when they come as prose
/// (`\text{..}`); upright names are `Tok::Name` and never reach it.
pub const WORD_FUNCTIONS: &[&str] = &[
    "softplus", "softmax", "sigmoid", "sign", "sgn", "diag", "onehot", "relu", "ReLU", "tanh",
    "exp", "ln", "log", "abs",
];

/// Greek letters (and a few symbols) that are plain names.
fn greek(name: &str) -> Option<&'static str> {
    Some(match name {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "eta" => "η",
        "theta" => "θ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "phi" | "varphi" => "φ",
        "psi" => "ψ",
        "omega" => "ω",
        "Phi" => "Φ",
        "Sigma" => "Σ",
        "ell" => "ℓ",
        _ => return None,
    })
}

pub use names::is_builtin_function;

/// Commands between two factors (never the start of one).
const INFIX_COMMANDS: &[&str] = &[
    "cdot",
    "times",
    "odot",
    "circ",
    "otimes",
    "ast",
    "leq",
    "le",
    "geq",
    "ge",
    "neq",
    "ne",
    "lt",
    "gt",
    "end",
    "rbrace",
    "rfloor",
    "rceil",
    "to",
    "rightarrow",
    "longrightarrow",
    "mid",
    "approx",
    "in",
    "notin",
    "Rightarrow",
    "land",
    "wedge",
];

/// Commands that start an operator: the argument of `\ln 2x` stops before them
/// (`\ln x \exp y` is ln(x) exp(y)).
const OPERATOR_COMMANDS: &[&str] = &[
    "exp", "ln", "log", "tanh", "max", "min", "sum", "prod", "lim", "nabla", "partial",
];

/// Arrows of a limit: `k \to \infty`, `k \rightarrow \infty`.
const LIMIT_ARROWS: &[&str] = &["to", "rightarrow", "longrightarrow"];

pub struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    ctx: &'a Context,
    depth: usize,
    in_abs: usize,
    /// The document span of the whole slice, for errors at its end.
    end: Span,
    /// The indices of the sums around the cursor: a superscript that one of them
    /// runs over is an index (`\sum_i s^{(i)}`), not a power.
    sum_indices: Vec<String>,
    /// Dimension labels met on the way (`W_{m \times d_h}`), shared with sub-parsers.
    labels: Rc<RefCell<Vec<ShapeLabel>>>,
    /// Indices a summand leaves out (`o_{k \neq y}` in a sum over `k`): the index
    /// and the condition, for the sum over that index to keep.
    exclusions: Rc<RefCell<Vec<(String, Expr)>>>,
}

/// A dimension label written as a subscript: `W^{(2)}_{m \times d_h}` says `W2` is
/// `m × d_h`. The expression reads as if the label were not there.
#[derive(Clone, Debug)]
pub struct ShapeLabel {
    /// What the label may be about: `X` for `X_{r \times c}`; `Xᵀ` and `X` for
    /// `X_{r \times c}^T` (the label sits between the name and its transpose).
    pub readings: Vec<Expr>,
    /// The sizes: rows, then columns.
    pub sizes: Vec<Expr>,
    /// The label as written.
    pub span: Span,
}

pub fn parse_expression(toks: &[Token], ctx: &Context) -> Parsed {
    parse_with_labels(toks, ctx).0
}

/// Parses a formula, and returns with it the dimension labels written in it.
pub fn parse_with_labels(toks: &[Token], ctx: &Context) -> (Parsed, Vec<ShapeLabel>) {
    let Some(first) = toks.first() else {
        let empty = Err(ParseError {
            span: Span::default(),
            message: "empty formula".into(),
        });
        return (empty, Vec::new());
    };
    let last = toks.last().map_or(first.span, |t| t.span);
    let mut p = Parser {
        toks,
        pos: 0,
        ctx,
        depth: 0,
        in_abs: 0,
        end: Span::new(last.end as usize, last.end as usize),
        sum_indices: Vec::new(),
        labels: Rc::default(),
        exclusions: Rc::default(),
    };
    let parsed = p.condition().and_then(|e| match p.peek_token() {
        Some(t) => Err(p.unexpected(t)),
        None => Ok(e),
    });
    let labels = p.labels.borrow().clone();
    (parsed, labels)
}

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn bin(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.join(rhs.span);
    mk(
        ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    )
}

fn ident(name: impl Into<String>, span: Span) -> Expr {
    mk(ExprKind::Ident(name.into()), span)
}

fn call(name: &str, name_span: Span, args: Vec<Expr>, span: Span, primes: u32) -> Expr {
    mk(
        ExprKind::Call {
            func: Ident {
                name: name.to_string(),
                span: name_span,
            },
            primes,
            args: args
                .into_iter()
                .map(|value| Arg { name: None, value })
                .collect(),
        },
        span,
    )
}

/// `name` applied to `args`; the hyperbolic sine and cosine, which nabla has no
/// built-in for, are written with exponentials: `\sinh u` is (e^u − e^−u)/2.
fn applied(
    name: &str,
    name_span: Span,
    mut args: Vec<Expr>,
    span: Span,
    primes: u32,
) -> Result<Expr, ParseError> {
    if !names::EXPANDED_OPERATORS.contains(&name) {
        return Ok(call(name, name_span, args, span, primes));
    }
    if primes > 0 || args.len() != 1 {
        return Err(ParseError {
            span,
            message: format!("`{name}` takes one argument and no primes here"),
        });
    }
    let u = args.remove(0);
    let exp = |e: Expr| call("exp", name_span, vec![e], span, 0);
    let up = exp(u.clone());
    let down = exp(mk(ExprKind::Neg(Box::new(u)), span));
    let op = if name == "sinh" {
        BinOp::Sub
    } else {
        BinOp::Add
    };
    let mut e = bin(
        BinOp::Div,
        mk(bin(op, up, down).kind, span),
        number(2, span),
    );
    e.span = span;
    Ok(e)
}

/// 1 where `cond` holds, else 0; an equation between two index letters
/// (`[i = j]`, `\mathbb{1}_{i=j}`) is the Kronecker delta δ_ij.
fn indicator(cond: Expr, name_span: Span, span: Span) -> Expr {
    if let ExprKind::Compare {
        op: CmpOp::Eq,
        lhs,
        rhs,
    } = &cond.kind
    {
        let index = |e: &Expr| matches!(&e.kind, ExprKind::Ident(n) if n.len() == 1 && "ijklmnpqrsty".contains(n.as_str()));
        if index(lhs) && index(rhs) {
            let pair = vec![(**lhs).clone(), (**rhs).clone()];
            return call("δ", name_span, pair, span, 0);
        }
    }
    call("ind", name_span, vec![cond], span, 0)
}

/// Entry `index` of `weights`: `p` gives `p_j`, `s(x)` gives `s(x)_j`.
fn entry_of(weights: Expr, index: &Ident, span: Span) -> Expr {
    match &weights.kind {
        ExprKind::Ident(n) if !n.contains('_') => ident(format!("{n}_{}", index.name), span),
        _ => mk(
            ExprKind::Subscript {
                base: Box::new(weights),
                indices: vec![ident(index.name.clone(), index.span)],
            },
            span,
        ),
    }
}

/// The index letters `e` writes as subscripts and does not bind (`c_i`,
/// `x(u)_j`): what a `\sum` without a subscript runs over.
fn written_indices(e: &Expr, bound: &mut Vec<String>, out: &mut BTreeSet<String>) {
    let letter = |n: &str| n.len() == 1 && n.chars().all(|c| c.is_ascii_lowercase());
    match &e.kind {
        ExprKind::Ident(n) => {
            if let Some((_, sub)) = n.split_once('_') {
                if letter(sub) && !bound.iter().any(|b| b == sub) {
                    out.insert(sub.to_string());
                }
            }
        }
        ExprKind::Subscript { base, indices } => {
            written_indices(base, bound, out);
            for i in indices {
                match &i.kind {
                    ExprKind::Ident(n) if letter(n) => {
                        if !bound.contains(n) {
                            out.insert(n.clone());
                        }
                    }
                    _ => written_indices(i, bound, out),
                }
            }
        }
        ExprKind::Sum { index, body, .. } => {
            bound.push(index.name.clone());
            written_indices(body, bound, out);
            bound.pop();
        }
        ExprKind::Limit { var, body, .. } => {
            bound.push(var.name.clone());
            written_indices(body, bound, out);
            bound.pop();
        }
        _ => {
            for c in e.children() {
                written_indices(c, bound, out);
            }
        }
    }
}

fn number(value: i64, span: Span) -> Expr {
    mk(
        ExprKind::Number(Literal::integer_places(BigRational::from_integer(
            BigInt::from(value),
        ))),
        span,
    )
}

/// `max(a, b, ...)` or `min(...)`: the built-in of two arguments, nested.
fn extremum(largest: bool, mut args: Vec<Expr>, span: Span) -> Expr {
    // the built-ins max and min, nested for more than two arguments
    let first = args.remove(0);
    if args.is_empty() {
        return first;
    }
    let rest = extremum(largest, args, span);
    let name = if largest { "max" } else { "min" };
    call(name, span, vec![first, rest], span, 0)
}

/// The names an expression uses freely (not bound by a sum or a limit), for the
/// variable of a prime on an expression: `(x^2 + 1)'`.
fn free_names(e: &Expr, bound: &mut Vec<String>, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Ident(n) => {
            if !bound.contains(n) && n != "e" && n != "π" {
                out.insert(n.clone());
            }
        }
        ExprKind::Sum { index, body, .. } => {
            bound.push(index.name.clone());
            free_names(body, bound, out);
            bound.pop();
        }
        ExprKind::Limit { var, body, .. } => {
            bound.push(var.name.clone());
            free_names(body, bound, out);
            bound.pop();
        }
        _ => {
            for c in e.children() {
                free_names(c, bound, out);
            }
        }
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_token(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn here(&self) -> Span {
        self.peek_token().map_or(self.end, |t| t.span)
    }

    fn prev_span(&self) -> Span {
        self.pos
            .checked_sub(1)
            .and_then(|k| self.toks.get(k))
            .map_or(self.end, |t| t.span)
    }

    fn bump(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn is_sym(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Sym(c))
    }

    fn is_cmd(&self, name: &str) -> bool {
        matches!(self.peek(), Some(Tok::Cmd(n)) if n == name)
    }

    fn eat_sym(&mut self, c: char) -> bool {
        if self.is_sym(c) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expect_sym(&mut self, c: char) -> Result<Span, ParseError> {
        if self.is_sym(c) {
            let span = self.here();
            self.pos += 1;
            return Ok(span);
        }
        Err(ParseError {
            span: self.here(),
            message: format!("expected `{c}`"),
        })
    }

    fn unexpected(&self, t: &Token) -> ParseError {
        let message = match &t.tok {
            Tok::Cmd(name) => format!("unsupported LaTeX command `\\{name}`"),
            Tok::Text(word) => format!("prose `\\text{{{word}}}` inside a formula"),
            Tok::Name(word) => format!("unexpected `{word}`"),
            Tok::Letter(c) => format!("unexpected `{c}`"),
            Tok::Number(n) => format!("unexpected `{n}`"),
            Tok::Sym(c) => format!("unexpected `{c}`"),
            Tok::Break => "unexpected line break `\\\\`".into(),
            Tok::Amp => "unexpected `&`".into(),
        };
        ParseError {
            span: t.span,
            message,
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError {
                span: self.here(),
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    /// A `{..}` group's tokens (the braces excluded), or one token when there is no brace.
    fn group(&mut self) -> Result<&'a [Token], ParseError> {
        let start = self.pos;
        if !self.is_sym('{') {
            return match self.bump() {
                Some(_) => Ok(&self.toks[start..start + 1]),
                None => Err(ParseError {
                    span: self.end,
                    message: "expected an argument".into(),
                }),
            };
        }
        let mut depth = 0usize;
        while let Some(t) = self.bump() {
            match t.tok {
                Tok::Sym('{') => depth += 1,
                Tok::Sym('}') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(&self.toks[start + 1..self.pos - 1]);
                    }
                }
                _ => {}
            }
        }
        Err(ParseError {
            span: self.toks[start].span,
            message: "unclosed `{`".into(),
        })
    }

    /// A superscript's tokens: a group, one token, or a sign and one token
    /// (`e^-x` is written for e^{-x}).
    fn script_group(&mut self) -> Result<&'a [Token], ParseError> {
        let signed = matches!(self.peek(), Some(Tok::Sym('-')) | Some(Tok::Sym('+')))
            && matches!(
                self.toks.get(self.pos + 1).map(|t| &t.tok),
                Some(Tok::Letter(_)) | Some(Tok::Number(_)) | Some(Tok::Cmd(_))
            );
        if signed {
            let start = self.pos;
            self.pos += 2;
            return Ok(&self.toks[start..start + 2]);
        }
        self.group()
    }

    fn sub(&self, toks: &'a [Token]) -> Parser<'a> {
        Parser {
            toks,
            pos: 0,
            ctx: self.ctx,
            depth: self.depth,
            in_abs: 0,
            end: toks.last().map_or(self.here(), |t| t.span),
            sum_indices: self.sum_indices.clone(),
            labels: self.labels.clone(),
            exclusions: self.exclusions.clone(),
        }
    }

    /// Parses a whole token slice as a condition (or expression).
    fn parse_all(&self, toks: &'a [Token]) -> Parsed {
        let mut p = self.sub(toks);
        if toks.is_empty() {
            return Err(ParseError {
                span: self.prev_span(),
                message: "empty group".into(),
            });
        }
        let e = p.condition()?;
        if let Some(t) = p.peek_token() {
            return Err(p.unexpected(t));
        }
        Ok(e)
    }

    fn cmp_op(&self) -> Option<CmpOp> {
        match self.peek()? {
            Tok::Sym('<') => Some(CmpOp::Lt),
            Tok::Sym('>') => Some(CmpOp::Gt),
            Tok::Sym('=') => Some(CmpOp::Eq),
            Tok::Cmd(c) => match c.as_str() {
                "leq" | "le" | "leqslant" => Some(CmpOp::Le),
                "geq" | "ge" | "geqslant" => Some(CmpOp::Ge),
                "neq" | "ne" => Some(CmpOp::Ne),
                "lt" => Some(CmpOp::Lt),
                "gt" => Some(CmpOp::Gt),
                _ => None,
            },
            _ => None,
        }
    }

    /// A comparison, or several joined by `\land` / `\wedge` (as nabla prints them).
    fn condition(&mut self) -> Parsed {
        let first = self.comparison()?;
        if !(self.is_cmd("land") || self.is_cmd("wedge")) {
            return Ok(first);
        }
        let mut all = vec![first];
        while self.is_cmd("land") || self.is_cmd("wedge") {
            self.pos += 1;
            all.push(self.comparison()?);
        }
        let span = all[0].span.join(self.prev_span());
        Ok(mk(ExprKind::And(all), span))
    }

    fn comparison(&mut self) -> Parsed {
        let lhs = self.sum()?;
        let Some(op) = self.cmp_op() else {
            return Ok(lhs);
        };
        self.pos += 1;
        let rhs = self.sum()?;
        let span = lhs.span.join(rhs.span);
        Ok(mk(
            ExprKind::Compare {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        ))
    }

    fn sum(&mut self) -> Parsed {
        self.enter()?;
        let start = self.here();
        let mut e = if self.eat_sym('-') {
            let operand = self.product()?;
            let span = start.join(operand.span);
            mk(ExprKind::Neg(Box::new(operand)), span)
        } else {
            self.eat_sym('+');
            self.product()?
        };
        loop {
            let op = if self.is_sym('+') {
                BinOp::Add
            } else if self.is_sym('-') {
                BinOp::Sub
            } else {
                break;
            };
            self.pos += 1;
            let rhs = self.product()?;
            e = bin(op, e, rhs);
        }
        self.depth -= 1;
        Ok(e)
    }

    /// Whether the next token can start a factor multiplied by juxtaposition.
    fn starts_factor(&self) -> bool {
        match self.peek() {
            Some(Tok::Letter(_)) | Some(Tok::Number(_)) | Some(Tok::Name(_)) => true,
            Some(Tok::Sym('(')) | Some(Tok::Sym('[')) | Some(Tok::Sym('{')) => true,
            Some(Tok::Sym('|')) => self.in_abs == 0,
            Some(Tok::Text(w)) => WORD_FUNCTIONS.contains(&w.as_str()),
            Some(Tok::Cmd(c)) => {
                !INFIX_COMMANDS.contains(&c.as_str()) && (c != "Vert" || self.in_abs == 0)
            }
            _ => false,
        }
    }

    /// Whether the next token is a number, a letter or a Greek letter: what an
    /// operator's argument goes on with after its first factor (`\ln 2x`,
    /// `\sin 2\theta`); a bracket ends it (`\tanh x (1 - \tanh x)`).
    fn starts_simple_factor(&self) -> bool {
        match self.peek() {
            Some(Tok::Letter(_)) | Some(Tok::Number(_)) => true,
            Some(Tok::Cmd(c)) => greek(c).is_some(),
            _ => false,
        }
    }

    /// Whether the next token starts an operator (a function written without
    /// parentheses, a sum, a limit): the end of an operator's argument.
    fn starts_operator(&self) -> bool {
        match self.peek() {
            Some(Tok::Cmd(c)) => {
                OPERATOR_COMMANDS.contains(&c.as_str())
                    || names::from_latex_operator(c).is_some()
                    || names::LATEX_UNSUPPORTED_OPERATORS.contains(&c.as_str())
                    || names::EXPANDED_OPERATORS.contains(&c.as_str())
                    || (c == "sigma"
                        && self.toks.get(self.pos + 1).is_some_and(|t| {
                            matches!(t.tok, Tok::Sym('(') | Tok::Sym('\'') | Tok::Sym('^'))
                        }))
            }
            Some(Tok::Name(w)) => self.word_function(w).is_some(),
            Some(Tok::Letter(_)) => self
                .bare_word()
                .is_some_and(|(w, _)| self.word_function(&w).is_some()),
            _ => false,
        }
    }

    fn product(&mut self) -> Parsed {
        self.enter()?;
        let mut e = self.unary()?;
        loop {
            let op = match self.peek() {
                _ if self.ctx.star_is_convolution && self.is_star() => {
                    return Err(ParseError {
                        span: self.here(),
                        message: "`*` (a convolution in this document) is not read".into(),
                    });
                }
                Some(Tok::Sym('*')) => Some(BinOp::Mul),
                Some(Tok::Sym('/')) => Some(BinOp::Div),
                Some(Tok::Cmd(c)) => match c.as_str() {
                    "cdot" | "times" | "ast" => Some(BinOp::Mul),
                    "odot" | "circ" => Some(BinOp::Hadamard),
                    // `u \otimes v` is the outer product u v^T
                    "otimes" => Some(BinOp::Pow),
                    _ => None,
                },
                _ => None,
            };
            if let Some(op) = op {
                let at = self.here();
                self.pos += 1;
                if op == BinOp::Hadamard && self.is_function_name(&e) {
                    return Err(ParseError {
                        span: at,
                        message: "a composition of functions (`f \\circ g`) is not read".into(),
                    });
                }
                let rhs = self.unary()?;
                e = if op == BinOp::Pow {
                    let span = rhs.span;
                    bin(BinOp::Mul, e, mk(ExprKind::Transpose(Box::new(rhs)), span))
                } else {
                    bin(op, e, rhs)
                };
            } else if self.starts_factor() {
                let rhs = self.power()?;
                e = bin(BinOp::Mul, e, rhs);
            } else {
                break;
            }
        }
        self.depth -= 1;
        Ok(e)
    }

    fn is_star(&self) -> bool {
        self.is_sym('*') || self.is_cmd("ast")
    }

    fn is_function_name(&self, e: &Expr) -> bool {
        matches!(&e.kind, ExprKind::Ident(n)
            if is_builtin_function(n) || self.ctx.functions.contains_key(n))
    }

    fn unary(&mut self) -> Parsed {
        if self.is_sym('-') {
            let start = self.here();
            self.pos += 1;
            self.enter()?;
            let operand = self.unary()?;
            self.depth -= 1;
            let span = start.join(operand.span);
            return Ok(mk(ExprKind::Neg(Box::new(operand)), span));
        }
        self.power()
    }

    /// An atom and its scripts: `x_i`, `o_k^a`, `W^{(1)}`, `A^T`, `e^{-x}`, `\sigma'(x)`.
    fn power(&mut self) -> Parsed {
        self.enter()?;
        let e = self.atom()?;
        let e = self.scripts(e)?;
        self.depth -= 1;
        Ok(e)
    }

    fn scripts(&mut self, mut e: Expr) -> Parsed {
        // the label just written on `e`, which a `^T` after it may also be about
        let mut label_here: Option<usize> = None;
        loop {
            if self.is_sym('_') {
                self.pos += 1;
                let group = self.group()?;
                let end = self.prev_span();
                if is_shape(group) {
                    label_here = Some(self.shape_label(&e, group)?);
                    continue;
                }
                e = self.subscript(e, group)?;
                e.span = e.span.join(end);
                label_here = None;
            } else if self.is_sym('^') {
                self.pos += 1;
                let group = self.script_group()?;
                let end = self.prev_span();
                let before = e.clone();
                e = self.superscript(e, group)?;
                e.span = e.span.join(end);
                if let (Some(k), ExprKind::Transpose(_)) = (label_here.take(), &e.kind) {
                    let mut labels = self.labels.borrow_mut();
                    labels[k].readings = vec![e.clone(), before];
                }
            } else {
                return Ok(e);
            }
        }
    }

    /// Records `X_{r \times c}` as a dimension label on `X`; its index.
    fn shape_label(&mut self, on: &Expr, group: &'a [Token]) -> Result<usize, ParseError> {
        let sizes = split_top(group, |t| matches!(&t.tok, Tok::Cmd(c) if c == "times"))
            .into_iter()
            .map(|part| self.parse_all(part))
            .collect::<Result<Vec<_>, _>>()?;
        if sizes.len() != 2 {
            return Err(ParseError {
                span: self.prev_span(),
                message: "a dimension label has two sizes (`_{m \\times n}`)".into(),
            });
        }
        let span = group
            .first()
            .map_or(self.prev_span(), |t| t.span.join(self.prev_span()));
        let mut labels = self.labels.borrow_mut();
        labels.push(ShapeLabel {
            readings: vec![on.clone()],
            sizes,
            span,
        });
        Ok(labels.len() - 1)
    }

    fn subscript(&mut self, base: Expr, group: &'a [Token]) -> Parsed {
        if let Some(t) = group
            .iter()
            .find(|t| matches!(&t.tok, Tok::Cmd(c) if c == "times"))
        {
            return Err(ParseError {
                span: t.span,
                message: "a size written as a subscript (`_{m \\times n}`) is not read".into(),
            });
        }
        let span = base.span.join(group.last().map_or(base.span, |t| t.span));
        if let (ExprKind::Ident(name), [a, eq, b]) = (&base.kind, group) {
            // `s_{i=j}` where `s` is a function (`s(x)_i (s_{i=j} - s(x)_j)`): no entry
            // of a function is meant, so it is the Kronecker delta
            let function = is_builtin_function(name) || self.ctx.functions.contains_key(name);
            if function && eq.tok == Tok::Sym('=') {
                if let (Tok::Letter(_), Tok::Letter(_)) = (&a.tok, &b.tok) {
                    let idx = vec![
                        ident(token_letter(a), a.span),
                        ident(token_letter(b), b.span),
                    ];
                    return Ok(call("δ", base.span, idx, span, 0));
                }
            }
        }
        if let (ExprKind::Ident(name), [first, op, rest @ ..]) = (&base.kind, group) {
            // `o_{k \neq y}` in a sum over `k`: entry `k`, and the sum leaves out `y`
            let excludes = matches!(&op.tok, Tok::Cmd(c) if c == "neq" || c == "ne");
            let index = token_letter(first);
            let entry = excludes && matches!(first.tok, Tok::Letter(_)) && !rest.is_empty();
            if entry && !self.sum_indices.contains(&index) {
                return Err(ParseError {
                    span,
                    message: format!(
                        "an entry with a condition (`{name}_{{{index} \\neq ..}}`) outside a sum over `{index}` is not read"
                    ),
                });
            }
            if entry && !name.contains('_') {
                let other = self.parse_all(rest)?;
                let cond = mk(
                    ExprKind::Compare {
                        op: CmpOp::Ne,
                        lhs: Box::new(ident(index.clone(), first.span)),
                        rhs: Box::new(other),
                    },
                    span,
                );
                self.exclusions.borrow_mut().push((index.clone(), cond));
                return Ok(ident(format!("{name}_{index}"), span));
            }
        }
        // `o_{k=y}`: the entry at y
        let group = match group {
            [Token {
                tok: Tok::Letter(_),
                ..
            }, Token {
                tok: Tok::Sym('='), ..
            }, rest @ ..]
                if !rest.is_empty() =>
            {
                rest
            }
            _ => group,
        };
        let letters: Option<String> = group
            .iter()
            .map(|t| match &t.tok {
                Tok::Letter(c) => Some(*c),
                _ => None,
            })
            .collect();
        let word = match group {
            [Token {
                tok: Tok::Text(w), ..
            }] => Some(w.clone()),
            _ => None,
        };
        if let ExprKind::Ident(name) = &base.kind {
            if let Some(w) = word {
                return Ok(ident(format!("{name}_{w}"), span));
            }
            if let Some(letters) = &letters {
                let upper = letters.chars().all(|c| c.is_uppercase());
                if letters.chars().count() == 1
                    || upper
                    || names::LABEL_SUBSCRIPTS.contains(&letters.as_str())
                {
                    return Ok(ident(format!("{name}_{letters}"), span));
                }
                // `w_{jk}`: two indices
                let indices = group
                    .iter()
                    .map(|t| ident(token_letter(t), t.span))
                    .collect();
                return Ok(mk(
                    ExprKind::Subscript {
                        base: Box::new(base),
                        indices,
                    },
                    span,
                ));
            }
            if let [Token {
                tok: Tok::Number(n),
                ..
            }] = group
            {
                return Ok(ident(format!("{name}_{n}"), span));
            }
        }
        let indices = split_top(group, |t| t.tok == Tok::Sym(','))
            .into_iter()
            .map(|part| self.parse_all(part))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(mk(
            ExprKind::Subscript {
                base: Box::new(base),
                indices,
            },
            span,
        ))
    }

    fn superscript(&mut self, base: Expr, group: &'a [Token]) -> Parsed {
        let span = base.span.join(group.last().map_or(base.span, |t| t.span));
        if let Some(index) = self.index_superscript(&base, group) {
            return Ok(with_index(base, index, span));
        }
        match group {
            [Token {
                tok: Tok::Letter('T'),
                ..
            }]
            | [Token {
                tok: Tok::Cmd(_), ..
            }] if is_transpose(group) => {
                return Ok(mk(ExprKind::Transpose(Box::new(base)), span));
            }
            // `W^{(1)}`: a layer label joined to the name
            [Token {
                tok: Tok::Sym('('), ..
            }, Token {
                tok: Tok::Number(n),
                ..
            }, Token {
                tok: Tok::Sym(')'), ..
            }] => {
                if let Some(joined) = relabel(&base, n, span) {
                    return Ok(joined);
                }
            }
            // `W^{(2)\top}`, `W^{(2)T}`: the labelled name, transposed
            [Token {
                tok: Tok::Sym('('), ..
            }, Token {
                tok: Tok::Number(n),
                ..
            }, Token {
                tok: Tok::Sym(')'), ..
            }, last]
                if is_transpose(std::slice::from_ref(last)) =>
            {
                if let Some(joined) = relabel(&base, n, span) {
                    return Ok(mk(ExprKind::Transpose(Box::new(joined)), span));
                }
            }
            [Token {
                tok: Tok::Text(_), ..
            }] => return Ok(base),
            // `w^*`: the optimum, a name of its own
            [Token {
                tok: Tok::Sym('*'), ..
            }]
            | [Token {
                tok: Tok::Cmd(_), ..
            }] if matches!(group[0].tok, Tok::Sym('*')) || token_letter(&group[0]) == "ast" => {
                if let Some(joined) = relabel(&base, "star", span) {
                    return Ok(joined);
                }
            }
            [Token {
                tok: Tok::Letter(c),
                ..
            }] => {
                let label = c.to_string();
                if self
                    .ctx
                    .labels
                    .contains(&join_label(base_name(&base), &label))
                {
                    if let Some(joined) = relabel(&base, &label, span) {
                        return Ok(joined);
                    }
                }
            }
            _ => {}
        }
        let exponent = self.parse_all(group)?;
        // `e^{x}` is exp(x)
        if matches!(&base.kind, ExprKind::Ident(n) if n == "e") {
            return Ok(call("exp", base.span, vec![exponent], span, 0));
        }
        Ok(bin(BinOp::Pow, base, exponent))
    }

    /// `s^i`, `y^{(i)}` inside a sum over `i`: the superscript is the index the sum
    /// runs over (the i-th sample), not a power.
    fn index_superscript(&self, base: &Expr, group: &[Token]) -> Option<Ident> {
        let letter = match group {
            [t] => t,
            [Token {
                tok: Tok::Sym('('), ..
            }, t, Token {
                tok: Tok::Sym(')'), ..
            }] => t,
            _ => return None,
        };
        let Tok::Letter(c) = letter.tok else {
            return None;
        };
        let name = c.to_string();
        let named = match &base.kind {
            ExprKind::Ident(n) => n != "e",
            ExprKind::Subscript { base, .. } => matches!(base.kind, ExprKind::Ident(_)),
            _ => false,
        };
        if !named || !self.sum_indices.contains(&name) {
            return None;
        }
        Some(Ident {
            name,
            span: letter.span,
        })
    }

    fn atom(&mut self) -> Parsed {
        let Some(t) = self.peek_token() else {
            return Err(ParseError {
                span: self.end,
                message: "expected a formula".into(),
            });
        };
        match &t.tok {
            Tok::Number(digits) => {
                self.pos += 1;
                let literal =
                    crate::syntax::number_literal(digits).map_err(|message| ParseError {
                        span: t.span,
                        message: message.to_string(),
                    })?;
                if digits == "1" && self.is_cmd("lbrace") {
                    // `1\{i = j\}`: the indicator
                    let cond = self.indicator_condition(t.span)?;
                    let span = t.span.join(self.prev_span());
                    return Ok(indicator(cond, t.span, span));
                }
                Ok(mk(
                    ExprKind::Number(Literal {
                        value: literal.value,
                        decimals: literal.decimals,
                    }),
                    t.span,
                ))
            }
            Tok::Letter(c) => {
                if let Some(e) = self.slash_derivative()? {
                    return Ok(e);
                }
                if let Some((word, end)) = self.bare_word() {
                    let span = t.span.join(self.toks[end - 1].span);
                    self.pos = end;
                    return self.word_use(word, span);
                }
                self.pos += 1;
                let name = c.to_string();
                self.name_use(name, t.span)
            }
            Tok::Sym('(') | Tok::Sym('[') => {
                let close = if t.tok == Tok::Sym('(') { ')' } else { ']' };
                self.pos += 1;
                let mut items = vec![self.condition()?];
                while self.eat_sym(',') {
                    items.push(self.condition()?);
                }
                let end = if self.is_sym(')') || self.is_sym(']') {
                    let s = self.here();
                    self.pos += 1;
                    s
                } else {
                    self.expect_sym(close)?
                };
                let span = t.span.join(end);
                // one item in `( )` or `[ ]` is grouping: `\bigl[ y \ln p \bigr]`
                if items.len() == 1 {
                    let mut inner = items.remove(0);
                    inner.span = span;
                    // `[i = j]`: Iverson's bracket, 1 where the condition holds
                    if close == ']' && matches!(inner.kind, ExprKind::Compare { .. }) {
                        return Ok(indicator(inner, t.span, span));
                    }
                    if self.is_sym('\'') {
                        return self.primed(inner);
                    }
                    return Ok(inner);
                }
                Ok(mk(ExprKind::Vector(items), span))
            }
            Tok::Sym('{') => {
                let group = self.group()?;
                let mut e = self.parse_all(group)?;
                e.span = t.span.join(self.prev_span());
                Ok(e)
            }
            Tok::Sym('|') => {
                self.pos += 1;
                self.in_abs += 1;
                let inner = self.sum()?;
                self.in_abs -= 1;
                let end = self.expect_sym('|')?;
                Ok(mk(ExprKind::Abs(Box::new(inner)), t.span.join(end)))
            }
            Tok::Name(word) => {
                self.pos += 1;
                self.word_use(word.clone(), t.span)
            }
            Tok::Text(word) => {
                self.pos += 1;
                if WORD_FUNCTIONS.contains(&word.as_str()) {
                    return self.function_use(word.clone(), t.span);
                }
                Err(self.unexpected(t))
            }
            Tok::Cmd(name) => {
                if name == "partial" {
                    if let Some(e) = self.slash_derivative()? {
                        return Ok(e);
                    }
                }
                self.command(name, t)
            }
            _ => Err(self.unexpected(t)),
        }
    }

    /// The run of adjacent ASCII letters at the cursor when it spells a known word
    /// (`tanh`, `softmax`, `log`, a function of the side file): the word and the
    /// position after it. `kx` stays two letters.
    fn bare_word(&self) -> Option<(String, usize)> {
        let mut word = String::new();
        let mut end = self.pos;
        while let Some(t) = self.toks.get(end) {
            let Tok::Letter(c) = t.tok else { break };
            let adjacent = end == self.pos || self.toks[end - 1].span.end == t.span.start;
            if !c.is_ascii_alphabetic() || !adjacent {
                break;
            }
            word.push(c);
            end += 1;
        }
        if word.len() < 2 {
            return None;
        }
        let known = names::builtin_word(&word).is_some()
            || names::EXPANDED_OPERATORS.contains(&word.as_str())
            || names::LATEX_UNSUPPORTED_OPERATORS.contains(&word.as_str())
            || self.ctx.functions.contains_key(&word)
            || self.ctx.constants.contains(&word);
        known.then_some((word, end))
    }

    /// The built-in (or side-file function) a word names, in its `.nabla` spelling.
    fn word_function(&self, word: &str) -> Option<String> {
        names::builtin_word(word).or_else(|| {
            self.ctx
                .functions
                .contains_key(word)
                .then(|| word.to_string())
        })
    }

    /// A word written as one name: a function (`\operatorname{softmax}(x)`, `tanh x`,
    /// `\max(a, b)`), a name called with `(` (`\text{CE}(y, p)`), else a plain name.
    fn word_use(&mut self, word: String, span: Span) -> Parsed {
        if word == "max" || word == "min" {
            return self.extremum_use(word == "max", span);
        }
        if names::EXPANDED_OPERATORS.contains(&word.as_str()) {
            return self.function_use(word, span);
        }
        if names::LATEX_UNSUPPORTED_OPERATORS.contains(&word.as_str()) {
            // `sin(x)`, `\operatorname{sin}`: never letters, never an unknown function
            return Err(ParseError {
                span,
                message: format!("`{word}` is not a built-in function of nabla"),
            });
        }
        if let Some(f) = self.word_function(&word) {
            return self.function_use(f, span);
        }
        if let Some(f) = names::called_alias(&word).filter(|_| self.is_sym('(')) {
            if !self.ctx.functions.contains_key(&word) {
                return self.function_use(f.to_string(), span);
            }
        }
        if self.is_sym('(') && !self.ctx.constants.contains(&word) {
            return self.function_use(word, span);
        }
        self.name_use(word, span)
    }

    /// `\max(a, b)`, `\max\{a, b\}`, `\min(0, x)`.
    fn extremum_use(&mut self, largest: bool, span: Span) -> Parsed {
        let close = if self.eat_sym('(') {
            Tok::Sym(')')
        } else if self.is_cmd("lbrace") {
            self.pos += 1;
            Tok::Cmd("rbrace".into())
        } else {
            return Err(ParseError {
                span,
                message: "write the arguments of max and min in parentheses: `\\max(a, b)` \
                          (a max over an index is not read)"
                    .into(),
            });
        };
        let mut args = vec![self.condition()?];
        while self.eat_sym(',') {
            args.push(self.condition()?);
        }
        if self.peek() != Some(&close) {
            return Err(ParseError {
                span: self.here(),
                message: "expected the end of the arguments of max or min".into(),
            });
        }
        self.pos += 1;
        let span = span.join(self.prev_span());
        let e = extremum(largest, args, span);
        self.scripts(e)
    }

    /// `(f(x))'`, `(x^2 + 1)''`: the derivative by the one variable the expression uses.
    fn primed(&mut self, inner: Expr) -> Parsed {
        let mut order = 0;
        while self.eat_sym('\'') {
            order += 1;
        }
        let span = inner.span.join(self.prev_span());
        let mut found = BTreeSet::new();
        free_names(&inner, &mut Vec::new(), &mut found);
        let var = match found.len() {
            1 => found.into_iter().next().unwrap_or_default(),
            _ => {
                return Err(ParseError {
                    span,
                    message: "a prime on an expression needs exactly one variable in it".into(),
                })
            }
        };
        let var = ident(var, inner.span);
        let e = mk(
            ExprKind::Derivative {
                order,
                var: Box::new(var),
                body: Box::new(inner),
            },
            span,
        );
        self.scripts(e)
    }

    /// `\partial L/\partial z`, `dy/dx`, `\partial^2 f/\partial x^2`: a derivative
    /// written with a slash. Only when both sides are differentials (`d` followed
    /// by a name, or `\partial`), so `d/2` and `d_h/d` stay divisions.
    fn slash_derivative(&mut self) -> Result<Option<Expr>, ParseError> {
        let rest = &self.toks[self.pos..];
        let Some((order, after)) = differential(rest) else {
            return Ok(None);
        };
        // `d` is a differential before `/`, an order (`d^2y`) or a name it touches (`dy`)
        if rest.first().is_some_and(|t| t.tok == Tok::Letter('d'))
            && !rest.get(1).is_some_and(|t| {
                matches!(t.tok, Tok::Sym('/') | Tok::Sym('^')) || adjacent_name(&rest[0], t)
            })
        {
            return Ok(None);
        }
        // the numerator runs to a `/` with nothing but a name (and its scripts) before it
        let mut depth = 0usize;
        let mut slash = None;
        for (k, t) in after.iter().enumerate() {
            match &t.tok {
                Tok::Sym('{') => depth += 1,
                Tok::Sym('}') => depth = depth.saturating_sub(1),
                Tok::Sym('/') if depth == 0 => {
                    slash = Some(k);
                    break;
                }
                Tok::Letter(_) | Tok::Number(_) | Tok::Sym('_') | Tok::Sym('^') => {}
                Tok::Cmd(c) if greek(c).is_some() => {}
                Tok::Name(_) | Tok::Sym(',') if depth > 0 => {}
                _ if depth > 0 => {}
                _ => return Ok(None),
            }
        }
        let Some(slash) = slash else {
            return Ok(None);
        };
        let body_toks = &after[..slash];
        let denom = &after[slash + 1..];
        let Some((_, var_start)) = differential(denom) else {
            return Ok(None);
        };
        if var_start.is_empty() {
            return Ok(None);
        }
        let start = self.here();
        // the variable is one name with its scripts: `z`, `w_{ij}`, `x^2` (the order)
        let var_at = self.pos + (rest.len() - var_start.len());
        self.pos = var_at;
        let var = self.power()?;
        let var = match (&var.kind, order) {
            (
                ExprKind::Binary {
                    op: BinOp::Pow,
                    lhs,
                    ..
                },
                n,
            ) if n > 1 => (**lhs).clone(),
            _ => var,
        };
        let body = if body_toks.is_empty() {
            // `d/dx (x^2)`: the operator applies to the product after it
            self.operand()?
        } else {
            self.parse_all(body_toks)?
        };
        let span = start.join(self.prev_span()).join(body.span);
        Ok(Some(mk(
            ExprKind::Derivative {
                order,
                var: Box::new(var),
                body: Box::new(body),
            },
            span,
        )))
    }

    /// A name, then a call if it is a function and `(` follows (`S(x)`, `\sigma'(x)`).
    fn name_use(&mut self, name: String, span: Span) -> Parsed {
        if name == "E" && self.expectation_ahead(self.pos) {
            // `E_j[f]`, `E_{j \sim p}[f]`: an average over `j`
            return self.expectation(span);
        }
        // `\sigma^2(x)` is σ(x)², not σ² times x
        if self.is_function(&name) && self.function_power_ahead(true).is_some() {
            return self.function_use(name, span);
        }
        if is_builtin_function(&name) && self.is_sym('^') {
            // `\sigma^{-1}(x)` is an inverse function, not a power
            let mut ahead = self.sub(&self.toks[self.pos + 1..]);
            if ahead.script_group().is_ok() && ahead.is_sym('(') {
                return Err(ParseError {
                    span: span.join(self.here()),
                    message: format!("a power of `{name}` other than a positive integer (an inverse function?) is not read"),
                });
            }
        }
        // scripts bind before the call: `o_y^s(x)`, `x(u)_i` come later
        let mut e = ident(name, span);
        if self.is_sym('_') || self.is_sym('^') {
            let scripted = self.scripts(e.clone())?;
            if let ExprKind::Ident(full) = &scripted.kind {
                let plain = plain_name(full).to_string();
                if self.ctx.constants.contains(&plain) && self.names_in_parens() {
                    // `o_y^s(x)`: the argument only says what it depends on
                    self.skip_parens();
                    return Ok(scripted);
                }
                if self.is_function(full) && self.is_sym('(') {
                    return self.function_use(full.clone(), scripted.span);
                }
                return Ok(scripted);
            }
            return Ok(scripted);
        }
        let name = match &e.kind {
            ExprKind::Ident(n) => n.clone(),
            _ => return Ok(e),
        };
        if self.is_function(&name) && (self.is_sym('(') || self.is_sym('\'')) {
            return self.function_use(name, span);
        }
        if self.ctx.constants.contains(&name) && self.names_in_parens() {
            self.skip_parens();
        } else if let Some(close) = self.event_in_parens() {
            // `P(y=0)`: the probability of an event, which has no value as read
            return Err(ParseError {
                span: span.join(close),
                message: format!(
                    "`{name}` of an event (`{name}(y = 0)`, a probability) is not read"
                ),
            });
        } else if let Some(var) = self.applied_to_derivative_variable() {
            // `\frac{d}{du} x(u)`: as a product it would be x, as a function x'(u)
            return Err(ParseError {
                span: span.join(self.toks[self.pos + 2].span),
                message: format!(
                    "`{name}({var})` may be `{name}` applied to `{var}` or the product `{name}·{var}`, and a derivative by `{var}` is taken here: the text does not say which"
                ),
            });
        }
        e.span = span;
        Ok(e)
    }

    /// `(y = 0)` right after a name (an event, as in `P(y=0)`): where its `)` is.
    fn event_in_parens(&self) -> Option<Span> {
        if !self.is_sym('(') {
            return None;
        }
        let mut depth = 0usize;
        let mut event = false;
        for t in &self.toks[self.pos..] {
            match &t.tok {
                Tok::Sym('(') | Tok::Sym('{') | Tok::Sym('[') => depth += 1,
                Tok::Sym(')') | Tok::Sym('}') | Tok::Sym(']') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return event.then_some(t.span);
                    }
                }
                Tok::Sym('=') if depth == 1 => event = true,
                _ => {}
            }
        }
        None
    }

    /// `(u)` right after a name, with `u` a variable the statement differentiates by.
    fn applied_to_derivative_variable(&self) -> Option<String> {
        if !self.is_sym('(') {
            return None;
        }
        let var = match self.toks.get(self.pos + 1..self.pos + 3) {
            Some(
                [Token {
                    tok: Tok::Letter(v),
                    ..
                }, Token {
                    tok: Tok::Sym(')'), ..
                }],
            ) => v.to_string(),
            _ => return None,
        };
        self.ctx.derivative_vars.contains(&var).then_some(var)
    }

    /// The operand of `\frac{d}{dx}`, `\nabla_u`: the juxtaposed product after it.
    fn operand(&mut self) -> Parsed {
        let mut e = self.power()?;
        while self.starts_factor() {
            let rhs = self.power()?;
            e = bin(BinOp::Mul, e, rhs);
        }
        Ok(e)
    }

    fn is_function(&self, name: &str) -> bool {
        self.ctx.calls_by_default
            || is_builtin_function(name)
            || self.ctx.functions.contains_key(name)
    }

    /// `^2` or `^{2}` right after a function's name with its argument after it
    /// (`\tanh^2(x)`, `\log^2 x`): the number of tokens and the power.
    fn function_power_ahead(&self, needs_parens: bool) -> Option<(usize, u32)> {
        if !self.is_sym('^') {
            return None;
        }
        let (n, len) = match self.toks.get(self.pos + 1..self.pos + 4) {
            Some(
                [Token {
                    tok: Tok::Sym('{'), ..
                }, Token {
                    tok: Tok::Number(n),
                    ..
                }, Token {
                    tok: Tok::Sym('}'), ..
                }],
            ) => (n, 4),
            _ => match self.toks.get(self.pos + 1).map(|t| &t.tok) {
                Some(Tok::Number(n)) => (n, 2),
                _ => return None,
            },
        };
        let power: u32 = n.parse().ok().filter(|&p| (1..=64).contains(&p))?;
        let next = self.toks.get(self.pos + len).map(|t| &t.tok);
        let argument = match next {
            Some(Tok::Sym('(')) => true,
            Some(Tok::Sym('{')) | Some(Tok::Letter(_)) | Some(Tok::Number(_)) => !needs_parens,
            Some(Tok::Cmd(c)) => !needs_parens && !INFIX_COMMANDS.contains(&c.as_str()),
            _ => false,
        };
        argument.then_some((len, power))
    }

    /// Whether the cursor is at parentheses that hold only names (`(x)`, `(x, y)`,
    /// `(\theta)`): what a named expression depends on, not a factor (`s_i (1 - s_i)`).
    fn names_in_parens(&self) -> bool {
        if !self.is_sym('(') {
            return false;
        }
        let mut depth = 0usize;
        for t in &self.toks[self.pos..] {
            match &t.tok {
                Tok::Sym('(') => depth += 1,
                Tok::Sym(')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return true;
                    }
                }
                Tok::Letter(_) | Tok::Sym(',') | Tok::Sym('_') | Tok::Sym('{') | Tok::Sym('}') => {}
                Tok::Number(_) if depth > 0 => {}
                Tok::Cmd(c)
                    if greek(c).is_some()
                        || matches!(c.as_str(), "mathbf" | "boldsymbol" | "bm" | "hat") => {}
                _ => return false,
            }
        }
        false
    }

    fn skip_parens(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.bump() {
            match t.tok {
                Tok::Sym('(') => depth += 1,
                Tok::Sym(')') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// `f(x, y)`, `\sigma'(x)`, `\tanh^2(x)`, or an operator name without
    /// parentheses, which takes the factor after it and the numbers and letters
    /// juxtaposed to it, up to the next operator, sign, relation or bracket:
    /// `\ln 2x` is ln(2x), `\ln \sigma(x)` is ln(σ(x)), `x \ln 2` is x·ln(2),
    /// `\tanh x (1 - x)` is tanh(x)·(1 − x).
    fn function_use(&mut self, name: String, name_span: Span) -> Parsed {
        let mut primes = 0;
        while self.eat_sym('\'') {
            primes += 1;
        }
        // `\text{onehot}_m(y)`: the size as a subscript
        let mut size_arg = None;
        if name == "onehot" && primes == 0 && self.eat_sym('_') {
            let group = self.group()?;
            size_arg = Some(self.parse_all(group)?);
        }
        let power = self.function_power_ahead(false);
        if let Some((len, _)) = power {
            self.pos += len;
        }
        if self.is_sym('^') && primes == 0 {
            return Err(ParseError {
                span: self.here(),
                message: format!("a power of `{name}` other than a positive integer (an inverse function?) is not read"),
            });
        }
        let applied = if self.is_sym('(') {
            let open = self.here();
            self.pos += 1;
            let mut args = vec![self.condition()?];
            while self.eat_sym(',') {
                args.push(self.condition()?);
            }
            args.extend(size_arg.take());
            let close = self.expect_sym(')')?;
            let event = args
                .iter()
                .any(|a| matches!(a.kind, ExprKind::Compare { .. }));
            if event && !is_builtin_function(&name) {
                // `P(y=0)`: the probability of an event, which has no value as read
                return Err(ParseError {
                    span: name_span.join(close),
                    message: format!(
                        "`{name}` of an event (`{name}(y = 0)`, a probability) is not read"
                    ),
                });
            }
            let e = applied(
                &name,
                name_span,
                args,
                name_span.join(open).join(close),
                primes,
            )?;
            let logarithm = matches!(name.as_str(), "ln" | "log" | "log2" | "log10");
            if logarithm && self.is_sym('^') {
                // `\log(1-p)^{1-y}`: the log of a power or a power of the log?
                return Err(ParseError {
                    span: name_span.join(self.here()),
                    message: format!(
                        "`{name}(..)^..` is ambiguous: write `({name} x)^2` or `{name}(x^2)`"
                    ),
                });
            }
            if power.is_some() {
                e
            } else {
                self.scripts(e)?
            }
        } else if self.starts_factor() && !self.is_sym('_') {
            let mut arg = self.power()?;
            while self.starts_simple_factor() && !self.starts_operator() {
                let rhs = self.power()?;
                arg = bin(BinOp::Mul, arg, rhs);
            }
            let span = name_span.join(arg.span);
            applied(&name, name_span, vec![arg], span, primes)?
        } else {
            return Err(ParseError {
                span: name_span,
                message: format!("`{name}` needs an argument"),
            });
        };
        match power {
            Some((_, p)) => {
                let span = applied.span;
                Ok(bin(BinOp::Pow, applied, number(i64::from(p), span)))
            }
            None => Ok(applied),
        }
    }

    fn command(&mut self, name: &str, t: &'a Token) -> Parsed {
        self.pos += 1;
        if let Some(letter) = greek(name) {
            // `\delta_i` after the text's own `\delta = ...` (backprop's error
            // signal) is its entry
            let one_letter = |k: usize| {
                matches!(
                    self.toks.get(self.pos + k).map(|t| &t.tok),
                    Some(Tok::Letter(_))
                )
            };
            let braced = |k: usize, c: char| matches!(self.toks.get(self.pos + k).map(|t| &t.tok), Some(Tok::Sym(s)) if *s == c);
            let own_delta = self.ctx.constants.contains("δ")
                && (one_letter(1) || (braced(1, '{') && one_letter(2) && braced(3, '}')));
            if name == "delta" && self.is_sym('_') && !own_delta {
                // `\delta_{ij}`, `\delta_{i=j}`: the Kronecker delta
                self.pos += 1;
                let group = self.group()?;
                let idx: Vec<Expr> = group
                    .iter()
                    .filter(|t| matches!(t.tok, Tok::Letter(_) | Tok::Number(_)))
                    .map(|t| match &t.tok {
                        Tok::Number(n) => ident(n.clone(), t.span),
                        _ => ident(token_letter(t), t.span),
                    })
                    .collect();
                if idx.len() != 2 {
                    return Err(ParseError {
                        span: t.span,
                        message: "a Kronecker delta needs two indices".into(),
                    });
                }
                let span = t.span.join(self.prev_span());
                return Ok(call("δ", t.span, idx, span, 0));
            }
            return self.name_use(letter.to_string(), t.span);
        }
        if names::from_latex_operator(name).is_some() {
            // every operator command is also the `.nabla` spelling (`\log` is `log`)
            let mut fname = name.to_string();
            if name == "log" && self.is_sym('_') {
                // `\log_2`, `\log_{10}` (nabla prints these), `\log_e`
                self.pos += 1;
                let base = self.group()?;
                fname = match base {
                    [Token {
                        tok: Tok::Number(n),
                        ..
                    }] if n == "2" => "log2".into(),
                    [Token {
                        tok: Tok::Number(n),
                        ..
                    }] if n == "10" => "log10".into(),
                    [Token {
                        tok: Tok::Letter('e'),
                        ..
                    }] => "ln".into(),
                    _ => {
                        return Err(ParseError {
                            span: t.span.join(self.prev_span()),
                            message: "a logarithm to a base other than 2, 10 or e is not read"
                                .into(),
                        })
                    }
                };
            }
            return self.function_use(fname, t.span);
        }
        if names::EXPANDED_OPERATORS.contains(&name) {
            return self.function_use(name.to_string(), t.span);
        }
        if names::LATEX_UNSUPPORTED_OPERATORS.contains(&name) {
            return Err(ParseError {
                span: t.span,
                message: format!("`\\{name}` is not a built-in function of nabla"),
            });
        }
        match name {
            "max" | "min" => self.extremum_use(name == "max", t.span),
            "frac" | "dfrac" | "tfrac" => self.fraction(t),
            "sqrt" => {
                let group = self.group()?;
                let inner = self.parse_all(group)?;
                let span = t.span.join(self.prev_span());
                Ok(call("sqrt", t.span, vec![inner], span, 0))
            }
            "mathbb" | "mathrm" | "operatorname"
                if self.font_letter().is_some_and(|(l, _)| l == "E")
                    && self.expectation_ahead(self.pos + 3) =>
            {
                // `\mathbb{E}_{j \sim p}[f]`: an average over `j`
                self.pos += 3;
                self.expectation(t.span)
            }
            "bm" | "mathbf" | "boldsymbol" | "vec" | "mathbb" | "mathcal" | "mathscr"
                if self.font_letter().is_some() =>
            {
                self.font_name(name, t)
            }
            "cancel" | "boxed" | "bm" | "mathbf" | "boldsymbol" | "mathit" | "mathsf" | "hat"
            | "tilde" | "bar" | "overline" | "vec" => {
                let group = self.group()?;
                let mut inner = self.parse_all(group)?;
                if matches!(name, "hat" | "tilde" | "bar" | "overline") {
                    if let ExprKind::Ident(n) = &inner.kind {
                        let mark = if name == "overline" { "bar" } else { name };
                        // `\hat{R}_{reg}(\theta)`: the marked name takes scripts and
                        // arguments as any name does
                        let span = t.span.join(self.prev_span());
                        return self.name_use(format!("{n}{mark}"), span);
                    }
                }
                inner.span = t.span.join(self.prev_span());
                Ok(inner)
            }
            "mathbb" => {
                let group = self.group()?;
                if !matches!(group, [Token { tok: Tok::Number(n), .. }] if n == "1") {
                    return Err(ParseError {
                        span: t.span,
                        message: "a set such as `\\mathbb{R}` is not a value".into(),
                    });
                }
                // `\mathbb{1}_{x>0}`, `\mathbb{1}[i=j]`, `\mathbb{1}\{i=j\}`: the indicator
                let cond = self.indicator_condition(t.span)?;
                let span = t.span.join(self.prev_span());
                Ok(indicator(cond, t.span, span))
            }
            "sum" => self.big_sum(t),
            "lim" => self.limit(t),
            "nabla" => {
                if !self.eat_sym('_') {
                    return Err(ParseError {
                        span: t.span,
                        message: "write the variable of `\\nabla` as a subscript: `\\nabla_u`"
                            .into(),
                    });
                }
                let group = self.group()?;
                let var = self.parse_all(group)?;
                let body = self.product()?;
                let span = t.span.join(body.span);
                Ok(mk(
                    ExprKind::Grad {
                        var: Box::new(var),
                        body: Box::new(body),
                    },
                    span,
                ))
            }
            "Vert" => {
                self.in_abs += 1;
                let inner = self.sum()?;
                self.in_abs -= 1;
                if !self.is_cmd("Vert") {
                    return Err(ParseError {
                        span: self.here(),
                        message: "expected `\\|` to close the norm".into(),
                    });
                }
                self.pos += 1;
                // `\|x\|_2` is the Euclidean norm nabla means by `\|x\|`
                if self.is_sym('_')
                    && matches!(self.toks.get(self.pos + 1).map(|t| &t.tok), Some(Tok::Number(n)) if n == "2")
                {
                    self.pos += 2;
                } else if self.is_sym('_')
                    && self
                        .toks
                        .get(self.pos + 1)
                        .is_some_and(|t| t.tok == Tok::Sym('{'))
                    && matches!(self.toks.get(self.pos + 2).map(|t| &t.tok), Some(Tok::Number(n)) if n == "2")
                    && self
                        .toks
                        .get(self.pos + 3)
                        .is_some_and(|t| t.tok == Tok::Sym('}'))
                {
                    self.pos += 4;
                }
                let span = t.span.join(self.prev_span());
                let norm = mk(ExprKind::Norm(Box::new(inner)), span);
                Ok(norm)
            }
            "lfloor" | "lceil" => {
                let inner = self.sum()?;
                let close = if name == "lfloor" { "rfloor" } else { "rceil" };
                if !self.is_cmd(close) {
                    return Err(ParseError {
                        span: self.here(),
                        message: format!("expected `\\{close}`"),
                    });
                }
                self.pos += 1;
                let span = t.span.join(self.prev_span());
                let f = if name == "lfloor" { "floor" } else { "ceil" };
                Ok(call(f, t.span, vec![inner], span, 0))
            }
            "lbrace" => {
                let inner = self.condition()?;
                if !self.is_cmd("rbrace") {
                    return Err(ParseError {
                        span: self.here(),
                        message: "expected `\\}`".into(),
                    });
                }
                self.pos += 1;
                Ok(inner)
            }
            "begin" => self.environment(t),
            _ => Err(self.unexpected(t)),
        }
    }

    /// The one letter in a font command's group: `\mathbf{x}`, `\bm x`, `\vec{\theta}`.
    fn font_letter(&self) -> Option<(String, usize)> {
        let letter = |t: &Token| match &t.tok {
            Tok::Letter(c) => Some(c.to_string()),
            Tok::Cmd(c) => greek(c).map(str::to_string),
            _ => None,
        };
        match self.toks.get(self.pos..) {
            Some([open, inner, close, ..])
                if open.tok == Tok::Sym('{') && close.tok == Tok::Sym('}') =>
            {
                letter(inner).map(|l| (l, 3))
            }
            Some([inner, ..]) => letter(inner).map(|l| (l, 1)),
            _ => None,
        }
    }

    /// A letter in a font: a bold or arrowed lowercase letter is the vector of that
    /// name (`\mathbf{x}` is `x`, whose entries are `x_i`), as is `\mathbb{x}`;
    /// `\mathcal{L}` is the name `L`. A bold capital is a matrix, read only when the
    /// text gives it a shape.
    /// The condition of an indicator after `\mathbb{1}` or `1`: `_{c}`, `[c]`, `(c)`, `\{c\}`.
    fn indicator_condition(&mut self, at: Span) -> Parsed {
        if self.eat_sym('_') {
            let group = self.group()?;
            return self.parse_all(group);
        }
        for (open, close) in [('[', ']'), ('(', ')')] {
            if self.eat_sym(open) {
                let cond = self.condition()?;
                self.expect_sym(close)?;
                return Ok(cond);
            }
        }
        if self.is_cmd("lbrace") {
            self.pos += 1;
            let cond = self.condition()?;
            if !self.is_cmd("rbrace") {
                return Err(ParseError {
                    span: self.here(),
                    message: "expected `\\}`".into(),
                });
            }
            self.pos += 1;
            return Ok(cond);
        }
        Err(ParseError {
            span: at,
            message: "an indicator needs its condition: `\\mathbb{1}_{i=j}`, `\\mathbb{1}[i=j]`"
                .into(),
        })
    }

    /// Whether `toks[at..]` is `_j [` or `_{j \sim p} [`: the subscript and bracket
    /// of an expectation `E_j[..]`.
    fn expectation_ahead(&self, at: usize) -> bool {
        if !matches!(self.toks.get(at), Some(t) if t.tok == Tok::Sym('_')) {
            return false;
        }
        let after = match self.toks.get(at + 1).map(|t| &t.tok) {
            Some(Tok::Letter(_)) => at + 2,
            Some(Tok::Sym('{')) => {
                let mut depth = 0usize;
                let close = self.toks[at + 1..].iter().position(|t| {
                    match t.tok {
                        Tok::Sym('{') => depth += 1,
                        Tok::Sym('}') => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    depth == 0
                });
                let Some(len) = close else {
                    return false;
                };
                at + 2 + len
            }
            _ => return false,
        };
        matches!(self.toks.get(after), Some(t) if t.tok == Tok::Sym('['))
    }

    /// `E_j[f]`, `\mathbb{E}_{j \sim p}[f]` after the `E`: the average `\sum_j p_j f`,
    /// with `p` as written or as the text defined `E_j` (never guessed).
    fn expectation(&mut self, start: Span) -> Parsed {
        self.expect_sym('_')?;
        let group = self.script_group()?;
        let (index_tok, rest) = match group {
            [first, rest @ ..] if matches!(first.tok, Tok::Letter(_)) => (first, rest),
            _ => {
                return Err(ParseError {
                    span: start,
                    message: "an expectation is written `E_j[..]` or `\\mathbb{E}_{j \\sim p}[..]`"
                        .into(),
                })
            }
        };
        let index = Ident {
            name: token_letter(index_tok),
            span: index_tok.span,
        };
        let weights = match rest {
            [] => self.ctx.expectation.clone().ok_or_else(|| ParseError {
                span: start,
                message: match &self.ctx.expectation_slip {
                    Some(why) => format!("`E_{}[..]` is not read: {why}", index.name),
                    None => format!(
                        "the text does not say what `E_{}[..]` averages over: write `\\mathbb{{E}}_{{{} \\sim p}}[..]`",
                        index.name, index.name
                    ),
                },
            })?,
            [sim, dist @ ..] if matches!(&sim.tok, Tok::Cmd(c) if c == "sim") && !dist.is_empty() => {
                self.parse_all(dist)?
            }
            _ => {
                return Err(ParseError {
                    span: start,
                    message: "an expectation's subscript is its index and `\\sim` its distribution"
                        .into(),
                })
            }
        };
        self.expect_sym('[')?;
        let depth = self.sum_indices.len();
        self.sum_indices.push(index.name.clone());
        let body = self.condition();
        self.sum_indices.truncate(depth);
        let body = body?;
        let end = self.expect_sym(']')?;
        let span = start.join(end);
        let weight = entry_of(weights, &index, span);
        Ok(mk(
            ExprKind::Sum {
                index,
                lower: None,
                upper: None,
                body: Box::new(bin(BinOp::Mul, weight, body)),
            },
            span,
        ))
    }

    fn font_name(&mut self, font: &str, t: &'a Token) -> Parsed {
        let Some((letter, len)) = self.font_letter() else {
            return Err(self.unexpected(t));
        };
        self.pos += len;
        let span = t.span.join(self.prev_span());
        let lowercase = letter.chars().all(|c| !c.is_uppercase());
        if font == "mathbb" && !lowercase {
            return Err(ParseError {
                span,
                message: "a set such as `\\mathbb{R}` is not a value".into(),
            });
        }
        if matches!(font, "bm" | "mathbf" | "boldsymbol")
            && !lowercase
            && !self.ctx.bold_capitals.contains(&letter)
        {
            return Err(ParseError {
                span,
                message: "a bold capital is a matrix, and the text gives this one no shape".into(),
            });
        }
        self.name_use(letter, span)
    }

    fn fraction(&mut self, t: &'a Token) -> Parsed {
        let numer = self.group()?;
        let denom = self.group()?;
        let span = t.span.join(self.prev_span());
        if let Some((order, body_toks)) = differential(numer) {
            if let Some((_, var_toks)) = differential(denom) {
                if !var_toks.is_empty() {
                    // the denominator's `^2` in `dx^2` is the order, not a power of x
                    let var_toks = strip_order(var_toks);
                    let var = self.parse_all(var_toks)?;
                    let body = if body_toks.is_empty() {
                        // `\frac{d}{dx} 2x`: the operator applies to the product after it
                        self.operand()?
                    } else {
                        self.parse_all(body_toks)?
                    };
                    let span = span.join(body.span);
                    return Ok(mk(
                        ExprKind::Derivative {
                            order,
                            var: Box::new(var),
                            body: Box::new(body),
                        },
                        span,
                    ));
                }
            }
        }
        let n = self.parse_all(numer)?;
        let d = self.parse_all(denom)?;
        let mut e = bin(BinOp::Div, n, d);
        e.span = span;
        Ok(e)
    }

    fn big_sum(&mut self, t: &'a Token) -> Parsed {
        let mut sub: Option<&'a [Token]> = None;
        let mut upper = None;
        loop {
            if self.eat_sym('_') {
                let mut group = self.group()?;
                // `\sum_{\substack{k = 1 \\ k \neq i}}`
                if let [Token {
                    tok: Tok::Cmd(c), ..
                }, ..] = group
                {
                    if c == "substack" {
                        let mut inner = self.sub(group);
                        inner.pos = 1;
                        group = inner.group()?;
                    }
                }
                sub = Some(group);
            } else if self.eat_sym('^') {
                let group = self.group()?;
                upper = Some(Box::new(self.parse_all(group)?));
            } else {
                break;
            }
        }
        let Some(sub) = sub else {
            // `\sum c_i`: the sum runs over the one index its body writes
            let body = self.product()?;
            let mut found = BTreeSet::new();
            written_indices(&body, &mut Vec::new(), &mut found);
            let mut found = found.into_iter();
            let (Some(index), None) = (found.next(), found.next()) else {
                return Err(ParseError {
                    span: t.span,
                    message: "a sum without an index (`\\sum_j`) whose body writes no single index cannot be checked".into(),
                });
            };
            let span = t.span.join(body.span);
            return Ok(mk(
                ExprKind::Sum {
                    index: Ident {
                        name: index,
                        span: t.span,
                    },
                    lower: None,
                    upper,
                    body: Box::new(body),
                },
                span,
            ));
        };
        // `k=1`, `i,j` (two sums), `k \neq i`, `k=1, k \neq y`, `k : k \neq i`
        let parts = split_top(sub, |t| {
            matches!(t.tok, Tok::Sym(',') | Tok::Sym(':') | Tok::Break)
                || matches!(&t.tok, Tok::Cmd(c) if c == "mid")
        });
        let mut indices: Vec<(Ident, Option<Box<Expr>>)> = Vec::new();
        let mut conditions = Vec::new();
        for part in parts {
            let index = match part.first().map(|t| &t.tok) {
                Some(Tok::Letter(c)) => Some(c.to_string()),
                Some(Tok::Cmd(c)) => greek(c).map(str::to_string),
                _ => None,
            };
            match (index, &part[1.min(part.len())..]) {
                (Some(name), []) if conditions.is_empty() => indices.push((
                    Ident {
                        name,
                        span: part[0].span,
                    },
                    None,
                )),
                (
                    Some(name),
                    [Token {
                        tok: Tok::Sym('='), ..
                    }, bound @ ..],
                ) if conditions.is_empty() && !bound.is_empty() => indices.push((
                    Ident {
                        name,
                        span: part[0].span,
                    },
                    Some(Box::new(self.parse_all(bound)?)),
                )),
                _ if part.is_empty() => {}
                _ => {
                    let cond = self.parse_all(part)?;
                    if !matches!(cond.kind, ExprKind::Compare { .. }) {
                        return Err(ParseError {
                            span: part[0].span,
                            message: "expected the index of a sum or a condition on it".into(),
                        });
                    }
                    if indices.is_empty() {
                        // `\sum_{k \neq i}`: the index is the left side of the condition
                        if let ExprKind::Compare { lhs, .. } = &cond.kind {
                            if let ExprKind::Ident(n) = &lhs.kind {
                                indices.push((
                                    Ident {
                                        name: n.clone(),
                                        span: lhs.span,
                                    },
                                    None,
                                ));
                            }
                        }
                    }
                    conditions.push(cond);
                }
            }
        }
        if indices.is_empty() {
            return Err(ParseError {
                span: t.span,
                message: "a sum's subscript must start with its index".into(),
            });
        }
        let depth = self.sum_indices.len();
        self.sum_indices
            .extend(indices.iter().map(|(i, _)| i.name.clone()));
        let body = self.product();
        self.sum_indices.truncate(depth);
        let mut body = body?;
        // what a summand leaves out (`\sum_k o_{k \neq y}`) is a condition of this sum
        self.exclusions.borrow_mut().retain(|(index, cond)| {
            let mine = indices.iter().any(|(i, _)| &i.name == index);
            if mine {
                conditions.push(cond.clone());
            }
            !mine
        });
        let span = t.span.join(body.span);
        if !conditions.is_empty() {
            // a condition under the sum keeps the terms where it holds
            let cond = if conditions.len() == 1 {
                conditions.remove(0)
            } else {
                mk(ExprKind::And(conditions), span)
            };
            body = mk(
                ExprKind::Piecewise {
                    branches: vec![(body, cond)],
                    otherwise: Some(Box::new(number(0, span))),
                },
                span,
            );
        }
        // `\sum_{i,j}`: the last index is the innermost sum; the upper bound is the first's
        let count = indices.len();
        for (k, (index, lower)) in indices.into_iter().enumerate().rev() {
            let upper = if k == 0 || count == 1 {
                upper.take()
            } else {
                None
            };
            body = mk(
                ExprKind::Sum {
                    index,
                    lower,
                    upper,
                    body: Box::new(body),
                },
                span,
            );
        }
        Ok(body)
    }

    fn limit(&mut self, t: &'a Token) -> Parsed {
        self.expect_sym('_')?;
        let group = self.group()?;
        let arrow = group
            .iter()
            .position(|t| matches!(&t.tok, Tok::Cmd(c) if LIMIT_ARROWS.contains(&c.as_str())));
        let var = match (arrow, group.first()) {
            (Some(1), Some(first)) => match &first.tok {
                Tok::Letter(c) => Some(c.to_string()),
                Tok::Cmd(c) => greek(c).map(str::to_string),
                _ => None,
            },
            _ => None,
        };
        let (Some(var), Some(arrow)) = (var, arrow) else {
            return Err(ParseError {
                span: t.span,
                message: "expected `\\lim_{k \\to ...}`".into(),
            });
        };
        let var = Ident {
            name: var,
            span: group[0].span,
        };
        let point = &group[arrow + 1..];
        let infinity = |t: &Token| matches!(&t.tok, Tok::Cmd(c) if c == "infty" || c == "infin");
        let to = match point {
            [i] if infinity(i) => LimitPoint::PosInf,
            [Token {
                tok: Tok::Sym('+'), ..
            }, i]
                if infinity(i) =>
            {
                LimitPoint::PosInf
            }
            [Token {
                tok: Tok::Sym('-'), ..
            }, i]
                if infinity(i) =>
            {
                LimitPoint::NegInf
            }
            [.., Token {
                tok: Tok::Sym('^'), ..
            }, _] => {
                return Err(ParseError {
                    span: t.span,
                    message: "a one-sided limit (`x \\to 0^+`) is not read".into(),
                })
            }
            _ => LimitPoint::Finite(Box::new(self.parse_all(point)?)),
        };
        let body = self.product()?;
        let span = t.span.join(body.span);
        Ok(mk(
            ExprKind::Limit {
                var,
                to,
                body: Box::new(body),
            },
            span,
        ))
    }

    fn environment(&mut self, t: &'a Token) -> Parsed {
        let name_toks = self.group()?;
        let env: String = name_toks.iter().map(token_letter).collect();
        let start = self.pos;
        let mut depth = 0usize;
        let end = loop {
            let Some(tok) = self.bump() else {
                return Err(ParseError {
                    span: t.span,
                    message: format!("unclosed `\\begin{{{env}}}`"),
                });
            };
            match &tok.tok {
                Tok::Cmd(c) if c == "begin" => depth += 1,
                Tok::Cmd(c) if c == "end" => {
                    if depth == 0 {
                        break self.pos - 1;
                    }
                    depth -= 1;
                }
                _ => {}
            }
        };
        let _ = self.group()?;
        let span = t.span.join(self.prev_span());
        let body = &self.toks[start..end];
        let rows = split_top(body, |t| t.tok == Tok::Break);
        let rows: Vec<&[Token]> = rows.into_iter().filter(|r| !r.is_empty()).collect();
        match env.as_str() {
            "cases" => self.cases(&rows, span),
            "bmatrix" | "pmatrix" | "matrix" => {
                let cells: Vec<Vec<&[Token]>> = rows
                    .iter()
                    .map(|r| split_top(r, |t| t.tok == Tok::Amp))
                    .collect();
                let single_column = cells.iter().all(|r| r.len() == 1);
                let single_row = cells.len() == 1;
                if !single_column && !single_row {
                    return Err(ParseError {
                        span,
                        message: "matrices with several rows and columns are not read yet".into(),
                    });
                }
                let items: Result<Vec<Expr>, ParseError> = cells
                    .iter()
                    .flatten()
                    .map(|cell| self.parse_all(cell))
                    .collect();
                Ok(mk(ExprKind::Vector(items?), span))
            }
            _ => Err(ParseError {
                span: t.span,
                message: format!("unsupported environment `{env}` inside a formula"),
            }),
        }
    }

    fn cases(&mut self, rows: &[&'a [Token]], span: Span) -> Parsed {
        let mut branches = Vec::new();
        let mut otherwise = None;
        for row in rows {
            let cells = split_top(row, |t| t.tok == Tok::Amp);
            let (value, cond) = match cells.as_slice() {
                [value, cond] => (*value, *cond),
                _ => {
                    return Err(ParseError {
                        span: row.first().map_or(span, |t| t.span),
                        message: "a case needs a value and a condition separated by `&`".into(),
                    })
                }
            };
            let value = trim_punct(value);
            let cond = trim_punct(cond);
            let value = self.parse_all(value)?;
            let prose: Vec<&str> = cond
                .iter()
                .filter_map(|t| match &t.tok {
                    Tok::Text(w) => Some(w.as_str()),
                    _ => None,
                })
                .collect();
            // prose comes first (`\text{when } x > 0`): the math is what follows it
            let math_start = cond
                .iter()
                .rposition(|t| matches!(t.tok, Tok::Text(_)))
                .map_or(0, |k| k + 1);
            let math = &cond[math_start..];
            if math.is_empty() && prose.iter().any(|w| w.contains("otherwise")) {
                otherwise = Some(Box::new(value));
                continue;
            }
            let cond = self.parse_all(math)?;
            branches.push((value, cond));
        }
        Ok(mk(
            ExprKind::Piecewise {
                branches,
                otherwise,
            },
            span,
        ))
    }
}

fn trim_punct(toks: &[Token]) -> &[Token] {
    let mut toks = toks;
    while let Some((last, rest)) = toks.split_last() {
        if matches!(last.tok, Tok::Sym(',') | Tok::Sym(';') | Tok::Sym('.')) {
            toks = rest;
        } else {
            break;
        }
    }
    while let Some((first, rest)) = toks.split_first() {
        if matches!(first.tok, Tok::Sym(',') | Tok::Sym(';')) {
            toks = rest;
        } else {
            break;
        }
    }
    toks
}

/// Splits at the tokens `is_sep` accepts outside any `{}` `()` `[]` or environment.
pub fn split_top(toks: &[Token], is_sep: impl Fn(&Token) -> bool) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (k, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Sym('{') | Tok::Sym('(') | Tok::Sym('[') => depth += 1,
            Tok::Sym('}') | Tok::Sym(')') | Tok::Sym(']') => depth = depth.saturating_sub(1),
            Tok::Cmd(c) if c == "begin" => depth += 1,
            Tok::Cmd(c) if c == "end" => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && is_sep(t) {
            parts.push(&toks[start..k]);
            start = k + 1;
        }
    }
    parts.push(&toks[start..]);
    parts
}

/// `d`, `d^2`, `\partial`, `\partial^2` at the start of a fraction's part: the order
/// and the tokens after it. `dx` (a letter right after `d`) counts; `d_h` does not.
fn differential(toks: &[Token]) -> Option<(u32, &[Token])> {
    let rest = match toks.first()?.tok {
        Tok::Letter('d') => &toks[1..],
        Tok::Cmd(ref c) if c == "partial" => &toks[1..],
        _ => return None,
    };
    if let [Token {
        tok: Tok::Sym('^'), ..
    }, Token {
        tok: Tok::Number(n),
        ..
    }, after @ ..] = rest
    {
        let order = n.parse().ok()?;
        return Some((order, after));
    }
    if matches!(
        rest.first(),
        Some(Token {
            tok: Tok::Sym('_'),
            ..
        })
    ) {
        return None;
    }
    Some((1, rest))
}

/// Whether `next` is the name of the differential `d` (`dx`, `\mathrm{d}x`, `d\theta`),
/// not a separate factor (`d x` is d times x).
fn adjacent_name(d: &Token, next: &Token) -> bool {
    let is_name = match &next.tok {
        Tok::Letter(_) => true,
        Tok::Cmd(c) => greek(c).is_some(),
        _ => false,
    };
    let upright = d.span.end - d.span.start > 1;
    is_name && (upright || d.span.end == next.span.start)
}

fn strip_order(toks: &[Token]) -> &[Token] {
    if let [head @ .., Token {
        tok: Tok::Sym('^'), ..
    }, Token {
        tok: Tok::Number(_),
        ..
    }] = toks
    {
        return head;
    }
    toks
}

fn is_transpose(group: &[Token]) -> bool {
    matches!(
        group,
        [Token {
            tok: Tok::Letter('T'),
            ..
        }]
    ) || matches!(group, [Token { tok: Tok::Cmd(c), .. }] if c == "top" || c == "intercal")
}

fn token_letter(t: &Token) -> String {
    match &t.tok {
        Tok::Letter(c) => c.to_string(),
        Tok::Number(n) => n.clone(),
        Tok::Text(w) | Tok::Name(w) => w.clone(),
        Tok::Sym(c) => c.to_string(),
        Tok::Cmd(c) => c.clone(),
        Tok::Break | Tok::Amp => String::new(),
    }
}

/// `o` + `s` is `os`; with an index already (`o_k`), the label goes before it: `os_k`.
fn join_label(name: &str, label: &str) -> String {
    match name.split_once('_') {
        Some((base, index)) => format!("{base}{label}_{index}"),
        None => format!("{name}{label}"),
    }
}

/// The plain name under a subscript: `w` of `w_{kj}`, `o` of `o_k`.
fn base_name(e: &Expr) -> &str {
    match &e.kind {
        ExprKind::Ident(n) => plain_name(n),
        ExprKind::Subscript { base, .. } => base_name(base),
        _ => "",
    }
}

/// `base` indexed also by `index`: `s` becomes `s_i`, `x_k` becomes `x_{k,i}`.
fn with_index(base: Expr, index: Ident, span: Span) -> Expr {
    let index_expr = ident(index.name.clone(), index.span);
    match base.kind {
        ExprKind::Ident(name) => match name.split_once('_') {
            None => ident(format!("{name}_{}", index.name), span),
            Some((plain, sub)) if sub.chars().count() == 1 => {
                let first = ident(sub.to_string(), base.span);
                mk(
                    ExprKind::Subscript {
                        base: Box::new(ident(plain.to_string(), base.span)),
                        indices: vec![first, index_expr],
                    },
                    span,
                )
            }
            // `L_{CE}^{(i)}`: a label, then the index
            Some(_) => mk(
                ExprKind::Subscript {
                    base: Box::new(ident(name.clone(), base.span)),
                    indices: vec![index_expr],
                },
                span,
            ),
        },
        ExprKind::Subscript { base, mut indices } => {
            indices.push(index_expr);
            mk(ExprKind::Subscript { base, indices }, span)
        }
        kind => mk(kind, span),
    }
}

/// `base` with `label` joined to its name (`w_{kj}` + `2` is `w2_{kj}`).
fn relabel(base: &Expr, label: &str, span: Span) -> Option<Expr> {
    match &base.kind {
        ExprKind::Ident(name) => Some(ident(join_label(name, label), span)),
        ExprKind::Subscript {
            base: inner,
            indices,
        } => {
            let inner = relabel(inner, label, inner.span)?;
            Some(mk(
                ExprKind::Subscript {
                    base: Box::new(inner),
                    indices: indices.clone(),
                },
                span,
            ))
        }
        _ => None,
    }
}

/// The name without its index: `os_k` → `os`.
pub fn plain_name(name: &str) -> &str {
    name.split_once('_').map_or(name, |(base, _)| base)
}

/// `m \times d_h`, `1 \times m`: sizes joined by `\times` with at least one name.
pub(super) fn is_shape(toks: &[Token]) -> bool {
    let factors = split_top(toks, |t| matches!(&t.tok, Tok::Cmd(c) if c == "times"));
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
