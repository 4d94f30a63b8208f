//! What the reader hands on for one chain of equalities: its parts, the
//! definitions and conditions it is read under, and what was assumed. Plain
//! data, shared by the rooms that build it (`chains`, `context`) and the one
//! that declares its names (`declare`).

use crate::syntax::ast::{Expr, Ident, RelOp};

/// One chain of equalities read from the document.
#[derive(Clone, Debug)]
pub struct Chain {
    pub name: String,
    pub parts: Vec<Expr>,
    /// `ops[k]` joins `parts[k]` and `parts[k + 1]`.
    pub ops: Vec<RelOp>,
    /// The definitions read from the text before this chain (latest first wins).
    pub definitions: Vec<TextDef>,
    /// Conditions the text states for it (`\text{for } k \neq y`): checked under them.
    pub conditions: Vec<Expr>,
    /// What the text around it said and the reader used ("under `k \neq y` (line 331)").
    pub context: Vec<String>,
    /// What the reader assumed where the text said nothing.
    pub assumptions: Vec<Assumption>,
    /// Names the text calls one-hot that this chain uses (declared `onehot`).
    pub one_hot: Vec<String>,
    /// The chain reaches `\log` and the text does not say its base: the natural log
    /// is read, and the other bases are alternative readings.
    pub log_unsettled: bool,
    /// The shapes the text states for names in reach (`h^s \in \mathbb{R}^{d_h}`), latest last.
    pub shapes: Vec<super::shapes::ShapeDecl>,
}

/// `a(x) = \frac{1}{1+e^{-kx}}`: a name the text defines.
#[derive(Clone, Debug)]
pub struct TextDef {
    pub name: Ident,
    pub params: Vec<Ident>,
    pub body: Expr,
}

/// Something nabla assumed for a step rather than read: a refutation of that step
/// is reported as `unknown` with this text ("refuted only if ...").
#[derive(Clone, Debug, PartialEq)]
pub struct Assumption {
    /// The chain's step (1-based) it concerns; `None` for every step.
    pub step: Option<usize>,
    pub text: String,
}
