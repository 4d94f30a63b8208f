//! nabla: a proof checker and calculator for the math of machine learning.
//!
//! The pipeline: `syntax` (text to a spanned tree) → `lower` (names resolved,
//! expressions into the hash-consed `expr::Store`) → `check` (each claim and
//! derivation step to a verdict, using `simplify`, `diff` and `eval`) →
//! `report` (text, JSON, JUnit, GitHub annotations). `cli` wires it to the
//! command line; `main.rs` only calls `cli::main`.

pub mod calc;
pub mod check;
pub mod cli;
pub mod config;
pub mod conv;
pub mod diagnostic;
pub mod diff;
pub mod domain;
pub mod driver;
pub mod eval;
pub mod expr;
pub mod files;
pub mod gradient;
pub mod html;
pub mod latex;
pub mod limit;
pub mod lower;
pub mod numbers;
pub mod picture;
pub mod report;
pub mod shape;
pub mod simplify;
pub mod span;
pub mod syntax;
