//! Expressions and conditions, loosest to tightest: `and`, comparisons, `+ -`,
//! products (explicit and by juxtaposition), unary minus, `^`, postfix calls
//! and subscripts, primaries (including the prefix forms `sum_j`, `d/dx`,
//! `grad_u`, `lim` whose bodies extend to the right).
//!
//! Every construct that nests (brackets, unary minus, exponents, prefix-form
//! bodies) goes through `Parser::enter`, so depth is bounded by `MAX_DEPTH`
//! and the recursion can never overflow the stack.

use super::ast::{Arg, BinOp, CmpOp, Expr, ExprKind, Ident, LimitPoint, Literal};
use super::lex::{self, skip_trivia};
use super::parser::{Mode, Parser, Res};

fn boxed(expr: Expr) -> Box<Expr> {
    Box::new(expr)
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.join(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: boxed(lhs),
            rhs: boxed(rhs),
        },
        span,
    }
}

/// Strips a minus sign (`-` or `−`), but not the arrow `->`.
fn strip_minus(rest: &str) -> Option<&str> {
    if rest.starts_with("->") {
        return None;
    }
    rest.strip_prefix('-').or_else(|| rest.strip_prefix('−'))
}

/// Which derivative notation starts at a `d` or `∂`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DerivativeForm {
    /// `d/dx body`, `d^2/dx^2 body`
    Operator,
    /// `d f / d x`
    Leibniz,
}

impl<'t> Parser<'t> {
    /// Comparisons joined by `and` / `∧` (chained comparisons are flattened in).
    pub(super) fn condition(&self, rest: &'t str) -> Res<'t, Expr> {
        let (mut rest, first) = self.comparison(rest)?;
        let mut parts = vec![first];
        while let Some(after) = self.eat_word(rest, "and").or_else(|| self.eat(rest, "∧")) {
            let (after, part) = self.comparison(after)?;
            parts.push(part);
            rest = after;
        }
        if parts.len() == 1 {
            if let Some(only) = parts.pop() {
                return Ok((rest, only));
            }
        }
        let span = parts
            .iter()
            .map(|part| part.span)
            .reduce(|a, b| a.join(b))
            .unwrap_or_default();
        let flattened = parts
            .into_iter()
            .flat_map(|part| match part.kind {
                ExprKind::And(inner) => inner,
                _ => vec![part],
            })
            .collect();
        Ok((
            rest,
            Expr {
                kind: ExprKind::And(flattened),
                span,
            },
        ))
    }

    /// A condition where a single `=` compares (after `where`, `if`, and in
    /// variable assumptions; elsewhere `=` separates sides or names arguments).
    pub(super) fn condition_with_eq(&self, rest: &'t str) -> Res<'t, Expr> {
        let mode = Mode {
            single_eq_compares: true,
            ..self.mode()
        };
        self.with_mode(mode, || self.condition(rest))
    }

    /// `a < b`, and chains `0 < x < 1` as the `And` of two comparisons.
    fn comparison(&self, rest: &'t str) -> Res<'t, Expr> {
        let (mut rest, first) = self.additive(rest)?;
        let mut left = first;
        let mut compares: Vec<Expr> = Vec::new();
        while let Some((after_op, op)) = self.compare_op(rest) {
            let (after, right) = self.additive(after_op)?;
            let span = left.span.join(right.span);
            compares.push(Expr {
                kind: ExprKind::Compare {
                    op,
                    lhs: boxed(left),
                    rhs: boxed(right.clone()),
                },
                span,
            });
            left = right;
            rest = after;
        }
        match compares.len() {
            0 => Ok((rest, left)),
            1 => match compares.pop() {
                Some(only) => Ok((rest, only)),
                None => Ok((rest, left)),
            },
            _ => {
                let span = compares[0].span.join(left.span);
                Ok((
                    rest,
                    Expr {
                        kind: ExprKind::And(compares),
                        span,
                    },
                ))
            }
        }
    }

    fn compare_op(&self, rest: &'t str) -> Option<(&'t str, CmpOp)> {
        let rest = skip_trivia(rest);
        const OPS: &[(&str, CmpOp)] = &[
            ("<=", CmpOp::Le),
            ("≤", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("≥", CmpOp::Ge),
            ("!=", CmpOp::Ne),
            ("≠", CmpOp::Ne),
            ("==", CmpOp::Eq),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
        ];
        let found = OPS
            .iter()
            .find_map(|&(token, op)| rest.strip_prefix(token).map(|after| (after, op)));
        if found.is_some() || !self.mode().single_eq_compares {
            return found;
        }
        rest.strip_prefix('=').map(|after| (after, CmpOp::Eq))
    }

    /// `a + b - c` (left-associative). Each operator of a chain nests the
    /// tree one level deeper (`(a + b) - c`), so it counts toward `MAX_DEPTH`:
    /// later passes can then recurse over any tree the parser returns.
    pub(super) fn additive(&self, rest: &'t str) -> Res<'t, Expr> {
        let (mut rest, mut acc) = self.product(rest)?;
        let mut chain = Vec::new();
        loop {
            let next = skip_trivia(rest);
            let (after_op, op) = if let Some(after) = next.strip_prefix('+') {
                (after, BinOp::Add)
            } else if let Some(after) = strip_minus(next) {
                (after, BinOp::Sub)
            } else {
                break;
            };
            chain.push(self.enter(next)?);
            let (after, rhs) = self.product(after_op)?;
            acc = binary(op, acc, rhs);
            rest = after;
        }
        Ok((rest, acc))
    }

    /// The multiplicative operator next, if any.
    fn product_op(&self, rest: &'t str) -> Option<(&'t str, BinOp)> {
        let rest = skip_trivia(rest);
        let in_dims = self.mode().in_matrix_dims;
        if let Some(after) = rest.strip_prefix(".*").or_else(|| rest.strip_prefix('⊙')) {
            return Some((after, BinOp::Hadamard));
        }
        if let Some(after) = rest.strip_prefix('/') {
            return Some((after, BinOp::Div));
        }
        if let Some(after) = rest.strip_prefix('·') {
            return Some((after, BinOp::Mul));
        }
        if in_dims {
            return None;
        }
        rest.strip_prefix('*')
            .or_else(|| rest.strip_prefix('×'))
            .map(|after| (after, BinOp::Mul))
    }

    /// Whether an implicitly multiplied operand starts here (never a sign, so
    /// `a -b` stays a subtraction).
    fn starts_operand(&self, rest: &str) -> bool {
        let mode = self.mode();
        let Some(c) = rest.chars().next() else {
            return false;
        };
        match c {
            '(' | '[' | '‖' | '∂' | '∇' => !(c == '‖' && mode.in_bars),
            '|' => !mode.in_bars,
            '0'..='9' => true,
            _ if lex::is_ident_start(c) => match lex::ident(rest) {
                Some((word, _)) => {
                    let ends_dims = mode.in_matrix_dims && word == "x";
                    !(lex::STOP_WORDS.contains(&word) || ends_dims)
                }
                None => false,
            },
            _ => false,
        }
    }

    /// `a * b / c`, `2x`, `W h` (left-associative). An operand after an
    /// explicit operator may carry a sign (`a * -b`); a juxtaposed one may not.
    pub(super) fn product(&self, rest: &'t str) -> Res<'t, Expr> {
        let (mut rest, mut acc) = self.unary(rest)?;
        let mut chain = Vec::new();
        loop {
            if let Some((after_op, op)) = self.product_op(rest) {
                chain.push(self.enter(rest)?);
                let (after, rhs) = self.unary(after_op)?;
                acc = binary(op, acc, rhs);
                rest = after;
                continue;
            }
            let next = skip_trivia(rest);
            if !self.starts_operand(next) {
                break;
            }
            chain.push(self.enter(next)?);
            let (after, rhs) = self.power(next)?;
            acc = binary(BinOp::Mul, acc, rhs);
            rest = after;
        }
        Ok((rest, acc))
    }

    /// `-x` (binds looser than `^`: `-x^2` is `-(x^2)`).
    fn unary(&self, rest: &'t str) -> Res<'t, Expr> {
        let start = skip_trivia(rest);
        let Some(after_minus) = strip_minus(start) else {
            return self.power(start);
        };
        let _guard = self.enter(start)?;
        let (rest, operand) = self.unary(after_minus)?;
        let span = self.span(start, rest);
        Ok((
            rest,
            Expr {
                kind: ExprKind::Neg(boxed(operand)),
                span,
            },
        ))
    }

    /// `x^2`, `x^-2`, `2^x^2` (right-associative), `A^T`, `A^⊤`.
    fn power(&self, rest: &'t str) -> Res<'t, Expr> {
        let (mut rest, mut base) = self.postfix(rest)?;
        let mut chain = Vec::new();
        while let Some(after_caret) = self.eat(rest, "^") {
            let exponent_start = skip_trivia(after_caret);
            let transpose_end = exponent_start.strip_prefix('⊤').or_else(|| {
                lex::ident(exponent_start)
                    .filter(|(word, _)| *word == "T")
                    .map(|(_, after)| after)
            });
            if let Some(after) = transpose_end {
                chain.push(self.enter(exponent_start)?);
                let span = base.span.join(self.span(exponent_start, after));
                base = Expr {
                    kind: ExprKind::Transpose(boxed(base)),
                    span,
                };
                rest = after;
                continue;
            }
            let (after, exponent) = self.exponent(after_caret)?;
            return Ok((after, binary(BinOp::Pow, base, exponent)));
        }
        Ok((rest, base))
    }

    /// The right side of `^`: a power, possibly negated (`x^-2`, `e^-x`).
    fn exponent(&self, rest: &'t str) -> Res<'t, Expr> {
        let start = skip_trivia(rest);
        let _guard = self.enter(start)?;
        let Some(after_minus) = strip_minus(start) else {
            return self.power(start);
        };
        let (rest, operand) = self.exponent(after_minus)?;
        let span = self.span(start, rest);
        Ok((
            rest,
            Expr {
                kind: ExprKind::Neg(boxed(operand)),
                span,
            },
        ))
    }

    /// A primary followed by subscripts: `s(v)_i`, `(W h)_k`, `W_(k, j)`.
    pub(super) fn postfix(&self, rest: &'t str) -> Res<'t, Expr> {
        let (mut rest, (mut expr, subscriptable)) = self.primary(rest)?;
        if !subscriptable {
            return Ok((rest, expr));
        }
        let mut chain = Vec::new();
        while let Some(after_underscore) = rest.strip_prefix('_') {
            chain.push(self.enter(rest)?);
            let (after, indices) = self.subscript(rest, after_underscore)?;
            let span = expr.span.join(self.span(rest, after));
            expr = Expr {
                kind: ExprKind::Subscript {
                    base: boxed(expr),
                    indices,
                },
                span,
            };
            rest = after;
        }
        Ok((rest, expr))
    }

    /// After `_`: `i`, `12`, or `(i, j)`.
    fn subscript(&self, underscore: &'t str, rest: &'t str) -> Res<'t, Vec<Expr>> {
        if rest.starts_with('(') {
            let _guard = self.enter(rest)?;
            return self.with_mode(Mode::default(), || {
                self.delimited_list(rest, "(", ")", |item| self.additive(item))
            });
        }
        if let Some((name, after)) = lex::ident(rest) {
            let index = Expr {
                kind: ExprKind::Ident(name.to_string()),
                span: self.span(rest, after),
            };
            return Ok((after, vec![index]));
        }
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            let (after, number) = self.number(rest)?;
            return Ok((after, vec![number]));
        }
        self.fail(underscore, "expected a subscript after `_`")
    }

    fn number(&self, start: &'t str) -> Res<'t, Expr> {
        match lex::number(start) {
            Ok((len, value, decimals)) => Ok((
                &start[len..],
                Expr {
                    kind: ExprKind::Number(Literal { value, decimals }),
                    span: self.span(start, &start[len..]),
                },
            )),
            Err(message) => self.fail(start, message),
        }
    }

    /// A primary expression, and whether a subscript `_i` may follow it.
    fn primary(&self, rest: &'t str) -> Res<'t, (Expr, bool)> {
        let start = skip_trivia(rest);
        let Some(first) = start.chars().next() else {
            return self.fail(start, "expected an expression");
        };
        match first {
            '0'..='9' => {
                let (rest, number) = self.number(start)?;
                Ok((rest, (number, false)))
            }
            '(' => {
                let (rest, group) = self.group(start)?;
                Ok((rest, (group, true)))
            }
            '[' => {
                let _guard = self.enter(start)?;
                let (rest, items) = self.with_mode(Mode::default(), || {
                    self.delimited_list(start, "[", "]", |item| self.condition(item))
                })?;
                let vector = Expr {
                    kind: ExprKind::Vector(items),
                    span: self.span(start, rest),
                };
                Ok((rest, (vector, true)))
            }
            '|' | '‖' => {
                let (rest, bars) = self.bars(start)?;
                Ok((rest, (bars, true)))
            }
            '∂' => {
                let (rest, derivative) = self.derivative_at(start, "∂")?;
                Ok((rest, (derivative, false)))
            }
            '∇' => {
                let after = &start['∇'.len_utf8()..];
                let Some(after_underscore) = after.strip_prefix('_') else {
                    return self.fail(start, "expected `_` and a variable after `∇`");
                };
                let (rest, grad) = self.grad(start, after_underscore)?;
                Ok((rest, (grad, false)))
            }
            '∞' => self.fail(start, "`∞` is only allowed as a limit point"),
            _ if lex::is_ident_start(first) => self.word(start),
            _ => Err(self.expected(start, "expected an expression")),
        }
    }

    /// `( expr )`; the span covers the parentheses.
    fn group(&self, open: &'t str) -> Res<'t, Expr> {
        let _guard = self.enter(open)?;
        let (inner, mut expr) = self.with_mode(Mode::default(), || self.condition(&open[1..]))?;
        let Some(rest) = self.eat(inner, ")") else {
            return Err(self.unclosed(inner, open, "(", ")"));
        };
        expr.span = self.span(open, rest);
        Ok((rest, expr))
    }

    /// `|x|`, `||x||`, `‖x‖`
    fn bars(&self, open: &'t str) -> Res<'t, Expr> {
        let _guard = self.enter(open)?;
        let bar = if open.starts_with("||") {
            "||"
        } else if open.starts_with('‖') {
            "‖"
        } else {
            "|"
        };
        let in_bars = Mode {
            in_bars: true,
            ..Mode::default()
        };
        let (inner, value) = self.with_mode(in_bars, || self.additive(&open[bar.len()..]))?;
        let Some(rest) = self.eat(inner, bar) else {
            return Err(self.unclosed(inner, open, bar, bar));
        };
        let kind = match bar {
            "|" => ExprKind::Abs(boxed(value)),
            _ => ExprKind::Norm(boxed(value)),
        };
        Ok((
            rest,
            Expr {
                kind,
                span: self.span(open, rest),
            },
        ))
    }

    /// A primary that starts with a name: keyword forms, calls, paths, names.
    fn word(&self, start: &'t str) -> Res<'t, (Expr, bool)> {
        let Some((name, after)) = lex::ident(start) else {
            return self.fail(start, "expected an expression");
        };
        let prefix_form = |parsed: Res<'t, Expr>| parsed.map(|(rest, expr)| (rest, (expr, false)));
        match name {
            "piecewise" => return self.piecewise(start, after).map(|(r, e)| (r, (e, true))),
            "lim" => return prefix_form(self.limit(start, after)),
            "inf" => return self.fail(start, "`inf` is only allowed as a limit point"),
            "sum" | "Σ" if after.starts_with("_(") => {
                return prefix_form(self.bounded_sum(start, &after[1..]))
            }
            "grad" if after.starts_with("_(") => return prefix_form(self.grad(start, &after[1..])),
            "d" if self.derivative_form(start, "d").is_some() => {
                return prefix_form(self.derivative_at(start, "d"));
            }
            _ if lex::STOP_WORDS.contains(&name) => {
                return self.fail(start, "expected an expression")
            }
            _ => {}
        }
        for prefix in ["sum_", "Σ_"] {
            if let Some(index) = name.strip_prefix(prefix) {
                let index_start = &start[prefix.len()..];
                let index = Ident {
                    name: index.to_string(),
                    span: self.span(index_start, after),
                };
                return prefix_form(self.sum_body(start, index, None, None, after));
            }
        }
        if name.starts_with("grad_") {
            return prefix_form(self.grad(start, &start["grad_".len()..]));
        }
        self.name_use(start, name, after)
    }

    /// A name, a call `f(x)` / `f'(x)`, or a path `cnn.conv1`.
    fn name_use(&self, start: &'t str, name: &str, after: &'t str) -> Res<'t, (Expr, bool)> {
        let func = Ident {
            name: name.to_string(),
            span: self.span(start, after),
        };
        let mut primes = 0u32;
        let mut rest = after;
        while let Some(after_prime) = rest.strip_prefix('\'').or_else(|| rest.strip_prefix('′')) {
            primes = primes.saturating_add(1);
            rest = after_prime;
        }
        if rest.starts_with('(') {
            let (after_args, args) = self.call_args(rest)?;
            let call = Expr {
                kind: ExprKind::Call { func, primes, args },
                span: self.span(start, after_args),
            };
            return Ok((after_args, (call, true)));
        }
        if primes > 0 {
            return self.fail(rest, format!("expected `(` after `{name}'`"));
        }
        let mut segments = vec![func];
        while let Some((segment, after_segment)) = rest.strip_prefix('.').and_then(lex::ident) {
            segments.push(Ident {
                name: segment.to_string(),
                span: self.span(&rest[1..], after_segment),
            });
            rest = after_segment;
        }
        let kind = if segments.len() == 1 {
            ExprKind::Ident(name.to_string())
        } else {
            ExprKind::Path(segments)
        };
        let expr = Expr {
            kind,
            span: self.span(start, rest),
        };
        Ok((rest, (expr, true)))
    }

    /// `(a, name = b)` after a function or layer name; `open` is at `(`.
    pub(super) fn call_args(&self, open: &'t str) -> Res<'t, Vec<Arg>> {
        let _guard = self.enter(open)?;
        self.with_mode(Mode::default(), || {
            self.delimited_list(open, "(", ")", |item| {
                let item = skip_trivia(item);
                if let Some((name, after_name)) = lex::ident(item) {
                    if let Some((after_eq, super::ast::RelOp::Eq)) = self.rel_op(after_name) {
                        let name = Ident {
                            name: name.to_string(),
                            span: self.span(item, after_name),
                        };
                        let (rest, value) = self.condition(after_eq)?;
                        return Ok((
                            rest,
                            Arg {
                                name: Some(name),
                                value,
                            },
                        ));
                    }
                }
                let (rest, value) = self.condition(item)?;
                Ok((rest, Arg { name: None, value }))
            })
        })
    }

    /// `piecewise { v if cond; v otherwise }` (`;` or `,` between branches).
    fn piecewise(&self, start: &'t str, after_keyword: &'t str) -> Res<'t, Expr> {
        let open = skip_trivia(after_keyword);
        if !open.starts_with('{') {
            return Err(self.expected(open, "expected `{` after `piecewise`"));
        }
        let _guard = self.enter(open)?;
        let (rest, (branches, otherwise)) =
            self.with_mode(Mode::default(), || self.piecewise_branches(open))?;
        Ok((
            rest,
            Expr {
                kind: ExprKind::Piecewise {
                    branches,
                    otherwise: otherwise.map(boxed),
                },
                span: self.span(start, rest),
            },
        ))
    }

    #[allow(clippy::type_complexity)]
    fn piecewise_branches(&self, open: &'t str) -> Res<'t, (Vec<(Expr, Expr)>, Option<Expr>)> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut rest = &open[1..];
        loop {
            let branch_start = skip_trivia(rest);
            if let Some(after_close) = branch_start.strip_prefix('}') {
                if branches.is_empty() && otherwise.is_none() {
                    return self.fail(branch_start, "expected a piecewise branch");
                }
                return Ok((after_close, (branches, otherwise)));
            }
            if otherwise.is_some() {
                return self.fail(branch_start, "`otherwise` must be the last branch");
            }
            let (after_value, value) = self.additive(branch_start)?;
            let after_branch = if let Some(after_if) = self.eat_word(after_value, "if") {
                let (after, condition) = self.condition_with_eq(after_if)?;
                branches.push((value, condition));
                after
            } else if let Some(after) = self.eat_word(after_value, "otherwise") {
                otherwise = Some(value);
                after
            } else {
                return Err(self.expected(
                    after_value,
                    "expected `if` or `otherwise` after a piecewise value",
                ));
            };
            if let Some(after_separator) = self
                .eat(after_branch, ";")
                .or_else(|| self.eat(after_branch, ","))
            {
                rest = after_separator;
                continue;
            }
            match self.eat(after_branch, "}") {
                Some(after_close) => return Ok((after_close, (branches, otherwise))),
                None => return Err(self.unclosed(after_branch, open, "{", "}")),
            }
        }
    }

    /// `sum_(j=1)^m body`, from the `(` after `sum_`.
    fn bounded_sum(&self, start: &'t str, open: &'t str) -> Res<'t, Expr> {
        let _guard = self.enter(open)?;
        let (after_index, index) = self.ident(&open[1..], "expected the summation index")?;
        let (inner, lower) = match self.rel_op(after_index) {
            Some((after_eq, super::ast::RelOp::Eq)) => {
                let (inner, lower) = self.with_mode(Mode::default(), || self.additive(after_eq))?;
                (inner, Some(lower))
            }
            _ => (after_index, None),
        };
        let Some(mut rest) = self.eat(inner, ")") else {
            return Err(self.unclosed(inner, open, "(", ")"));
        };
        let mut upper = None;
        if let Some(after_caret) = self.eat(rest, "^") {
            let (after, bound) = self.postfix(after_caret)?;
            upper = Some(bound);
            rest = after;
        }
        self.sum_body(start, index, lower, upper, rest)
    }

    fn sum_body(
        &self,
        start: &'t str,
        index: Ident,
        lower: Option<Expr>,
        upper: Option<Expr>,
        rest: &'t str,
    ) -> Res<'t, Expr> {
        let _guard = self.enter(start)?;
        let (rest, body) = self.product(rest)?;
        Ok((
            rest,
            Expr {
                kind: ExprKind::Sum {
                    index,
                    lower: lower.map(boxed),
                    upper: upper.map(boxed),
                    body: boxed(body),
                },
                span: self.span(start, rest),
            },
        ))
    }

    /// `grad_u body` / `∇_u body` / `grad_(W) body`, from after the `_`.
    fn grad(&self, start: &'t str, var_start: &'t str) -> Res<'t, Expr> {
        let _guard = self.enter(start)?;
        let (rest, var) = if var_start.starts_with('(') {
            self.group(var_start)?
        } else {
            self.differentiation_variable(var_start, "expected a variable after `grad_`")?
        };
        let (rest, body) = self.product(rest)?;
        Ok((
            rest,
            Expr {
                kind: ExprKind::Grad {
                    var: boxed(var),
                    body: boxed(body),
                },
                span: self.span(start, rest),
            },
        ))
    }

    /// `lim k -> inf of body` (also `→`, `∞`, `-inf`, or a finite point).
    fn limit(&self, start: &'t str, after_keyword: &'t str) -> Res<'t, Expr> {
        let _guard = self.enter(start)?;
        let (rest, var) = self.ident(after_keyword, "expected the limit variable after `lim`")?;
        let Some(after_arrow) = self.eat(rest, "->").or_else(|| self.eat(rest, "→")) else {
            return Err(self.expected(rest, "expected `->` after the limit variable"));
        };
        let infinity = |rest: &'t str| self.eat_word(rest, "inf").or_else(|| self.eat(rest, "∞"));
        let point_start = skip_trivia(after_arrow);
        let (rest, to) = if let Some(after) = infinity(point_start) {
            (after, LimitPoint::PosInf)
        } else if let Some(after) = point_start.strip_prefix('+').and_then(infinity) {
            (after, LimitPoint::PosInf)
        } else if let Some(after) = strip_minus(point_start).and_then(infinity) {
            (after, LimitPoint::NegInf)
        } else {
            let (after, point) = self.additive(point_start)?;
            (after, LimitPoint::Finite(boxed(point)))
        };
        let Some(after_of) = self.eat_word(rest, "of") else {
            return Err(self.expected(rest, "expected `of` before the limit body"));
        };
        let (rest, body) = self.additive(after_of)?;
        Ok((
            rest,
            Expr {
                kind: ExprKind::Limit {
                    var,
                    to,
                    body: boxed(body),
                },
                span: self.span(start, rest),
            },
        ))
    }

    // ---- derivatives ----

    /// Looks ahead (without building anything) for `d/dx`, `d^2/dx^2` or
    /// `d F / d x` at `start`, where `mark` is `d` or `∂`. Anything else means
    /// `d` is an ordinary name (the input size `d`).
    fn derivative_form(&self, start: &'t str, mark: &str) -> Option<DerivativeForm> {
        let mut rest = start.get(mark.len()..)?;
        if let Some(after_caret) = self.eat(rest, "^") {
            let order_start = skip_trivia(after_caret);
            let digits = lex::digits_len(order_start);
            if digits == 0 {
                return None;
            }
            rest = &order_start[digits..];
        }
        if let Some(after_slash) = self.eat(rest, "/") {
            return self
                .differential_follows(after_slash, mark)
                .then_some(DerivativeForm::Operator);
        }
        // Leibniz: the operand must be set apart from a `d` (`dx` is a name).
        if mark == "d" && !rest.starts_with(|c: char| c.is_whitespace() || c == '(') {
            return None;
        }
        let after_operand = self.skip_operand(skip_trivia(rest))?;
        let after_slash = self.eat(after_operand, "/")?;
        self.differential_follows(after_slash, mark)
            .then_some(DerivativeForm::Leibniz)
    }

    /// Whether `d x` / `dx` / `∂x` follows (a mark, then a name).
    fn differential_follows(&self, rest: &str, mark: &str) -> bool {
        skip_trivia(rest)
            .strip_prefix(mark)
            .map(skip_trivia)
            .and_then(|var| var.chars().next())
            .is_some_and(lex::is_ident_start)
    }

    /// The rest after a postfix-level operand, recognized by its tokens only:
    /// a name (with primes, a path, call arguments) or a parenthesized group,
    /// then subscripts. Groups are skipped through the precomputed bracket
    /// pairs, so this costs a few steps however deep the operand nests.
    fn skip_operand(&self, start: &'t str) -> Option<&'t str> {
        let mut rest = if start.starts_with('(') {
            self.skip_group(start)?
        } else if let Some((_, after)) = lex::ident(start) {
            let mut rest = after.trim_start_matches(['\'', '′']);
            while let Some((_, after_segment)) = rest.strip_prefix('.').and_then(lex::ident) {
                rest = after_segment;
            }
            if rest.starts_with('(') {
                rest = self.skip_group(rest)?;
            }
            rest
        } else if start.starts_with(|c: char| c.is_ascii_digit()) {
            let (len, _, _) = lex::number(start).ok()?;
            &start[len..]
        } else {
            return None;
        };
        while let Some(after_underscore) = rest.strip_prefix('_') {
            rest = if after_underscore.starts_with('(') {
                self.skip_group(after_underscore)?
            } else {
                let len = after_underscore
                    .find(|c: char| !lex::is_ident_continue(c))
                    .unwrap_or(after_underscore.len());
                if len == 0 {
                    return None;
                }
                &after_underscore[len..]
            };
        }
        Some(rest)
    }

    /// A derivative starting with `mark` (`d` or `∂`) at `start`.
    fn derivative_at(&self, start: &'t str, mark: &str) -> Res<'t, Expr> {
        let Some(form) = self.derivative_form(start, mark) else {
            return self.fail(start, "expected a derivative: `∂/∂x f` or `∂f / ∂x`");
        };
        let _guard = self.enter(start)?;
        let (rest, order) = self.derivative_order(&start[mark.len()..])?;
        let (rest, body) = match form {
            DerivativeForm::Operator => (rest, None),
            DerivativeForm::Leibniz => {
                let (rest, body) = self.postfix(rest)?;
                (rest, Some(body))
            }
        };
        let Some(after_slash) = self.eat(rest, "/") else {
            return Err(self.expected(rest, "expected `/` in the derivative"));
        };
        let Some(after_mark) = self.eat(after_slash, mark) else {
            return Err(self.expected(after_slash, "expected the differential after `/`"));
        };
        let (rest, var) =
            self.differentiation_variable(after_mark, "expected the variable of differentiation")?;
        let rest = self.matching_order(rest, order)?;
        let (rest, body) = match body {
            Some(body) => (rest, body),
            None => self.product(rest)?,
        };
        Ok((
            rest,
            Expr {
                kind: ExprKind::Derivative {
                    order,
                    var: boxed(var),
                    body: boxed(body),
                },
                span: self.span(start, rest),
            },
        ))
    }

    /// The optional `^N` after the leading `d`.
    fn derivative_order(&self, rest: &'t str) -> Res<'t, u32> {
        let Some(after_caret) = self.eat(rest, "^") else {
            return Ok((rest, 1));
        };
        let digits_start = skip_trivia(after_caret);
        let digits = lex::digits_len(digits_start);
        match digits_start[..digits].parse::<u32>() {
            Ok(order) if order > 0 => Ok((&digits_start[digits..], order)),
            _ => self.fail(digits_start, "expected a positive derivative order"),
        }
    }

    /// After the variable of a higher derivative: `^N` matching the leading `d^N`.
    fn matching_order(
        &self,
        rest: &'t str,
        order: u32,
    ) -> Result<&'t str, nom::Err<super::parser::PError>> {
        if order == 1 {
            return Ok(rest);
        }
        let caret = skip_trivia(rest);
        if !caret.starts_with('^') {
            return Err(self.expected(caret, &format!("expected `^{order}` after the variable")));
        }
        let (after, found) = self.derivative_order(caret)?;
        if found != order {
            return Err(self.error(
                caret,
                format!("derivative order `^{found}` does not match `^{order}`"),
            ));
        }
        Ok(after)
    }

    /// `x`, `v_j` or `W_(a, b)`.
    fn differentiation_variable(&self, rest: &'t str, message: &str) -> Res<'t, Expr> {
        let start = skip_trivia(rest);
        let (mut rest, name) = self.ident(start, message)?;
        let mut var = Expr {
            kind: ExprKind::Ident(name.name),
            span: name.span,
        };
        let mut chain = Vec::new();
        while let Some(after_underscore) = rest.strip_prefix('_') {
            chain.push(self.enter(rest)?);
            let (after, indices) = self.subscript(rest, after_underscore)?;
            var = Expr {
                kind: ExprKind::Subscript {
                    base: boxed(var),
                    indices,
                },
                span: self.span(start, after),
            };
            rest = after;
        }
        Ok((rest, var))
    }
}
