//! What the reader hands on for one chain of equalities: its parts, the
//! definitions and conditions it is read under, and what was assumed. Plain
//! data, shared by the rooms that build it (`chains`, `context`) and the one
//! that declares its names (`declare`).

use crate::span::Span;
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
    /// An equation after a condition word (`\text{if } i = j`): a condition.
    Condition,
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
    /// The reason's class: `relation`, `condition`, `conditional`, `size`, `assignment`,
    /// `definition`, `no-left-side`, `unreadable`, `undefined-derivative`, `not-checked`.
    pub fn class(&self) -> &'static str {
        match self {
            SkipReason::Relation => "relation",
            SkipReason::Condition => "condition",
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
            SkipReason::Condition => "a condition (after if, when, for)".into(),
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
