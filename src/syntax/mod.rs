//! Text to syntax tree: a nom parser that never panics and always locates its errors.

pub mod ast;
mod expression;
mod lex;
mod parser;
#[cfg(test)]
mod tests;

use crate::diagnostic::Diagnostic;

pub use lex::{number_literal, NumberLiteral};

/// Deepest nesting of parentheses, brackets and operators the parser accepts.
pub const MAX_DEPTH: usize = 256;

/// The result of parsing one file: every item that parsed, and an error for
/// every statement that did not (parsing resumes at the next statement).
#[derive(Debug, Default)]
pub struct Parsed {
    pub file: ast::File,
    pub errors: Vec<Diagnostic>,
}

/// Parses a whole derivation file.
pub fn parse_file(text: &str) -> Parsed {
    parser::parse_file(text)
}

/// Parses one expression (for `nabla simplify EXPR` and `nabla diff EXPR`).
pub fn parse_expr(text: &str) -> Result<ast::Expr, Diagnostic> {
    parser::parse_expr(text)
}
