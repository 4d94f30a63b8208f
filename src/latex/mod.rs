//! Markdown and LaTeX documents: find the display math, read it as formulas, and
//! turn every chain of equalities into a `derive` chain for the ordinary checker.
//!
//! The pipeline per document: `find::find_math` → `lex::tokenize` → statements
//! (split at `\\`, `;`, prose, `\Rightarrow`) → `parse` (LaTeX to `ast::Expr`, spans
//! in the document) → one small `ast::File` per chain (declarations inferred from
//! use, the `--defs` side file, definitions read from the text) → lowering and
//! checking as for a `.nabla` file. Report rows point at the document's lines.

pub mod find;
pub mod lex;
pub mod parse;
#[cfg(test)]
mod proptests;
mod reader;
#[cfg(test)]
mod tests;

pub use find::{find_math, DocKind, MathBlock};
pub use reader::{annotate_markdown, check_document, read_document, Chain, Reading};
