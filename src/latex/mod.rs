//! Markdown and LaTeX documents: find the math, read it as formulas, and turn
//! every chain of equalities into the statements a `.nabla` file produces.
//!
//! *Invariant:* latex produces statements; it never checks. The module knows
//! nothing of `check`, `report` or `driver`: the driver lowers and checks what
//! `read_document` returns under the same config and deadline as any file.
//!
//! The rooms, in pipeline order: `find` (the math blocks of a document) →
//! `lex` (LaTeX tokens) → `statements` (a block cut into statements and parts at
//! `=`) → `parse` (LaTeX to `ast::Expr`, spans in the document) → `chains`
//! (statements to chains; definitions, assignments and sections from the text;
//! what is skipped and why) → `declare` (the declarations each chain needs, and
//! its `ast::File`) → `reader` (the whole front end: a `Document`).

mod chain;
mod chains;
mod context;
mod conventions;
mod declare;
mod entries;
pub mod find;
mod identity;
pub mod lex;
mod limits;
pub mod parse;
#[cfg(test)]
mod proptests;
mod reader;
mod shapes;
mod statements;
mod tensors;
#[cfg(test)]
mod tests;
mod worded;

pub use chain::{Skip, SkipReason};
pub use context::Assumption;
pub use find::{document_math, find_math, DocKind, MathBlock};
pub use reader::{read_document, single_step, Alternative, Document, Unit};
pub use tensors::NUMERATOR_LAYOUT;
