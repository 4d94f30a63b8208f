//! The document's context: what the prose and the math around a chain say about
//! it (conditions, limits, values, names the text introduces), and what nabla had
//! to assume where the text said nothing.
//!
//! *Invariant:* in a document, `refuted` stands only when the step is wrong under
//! every reading the text allows. Every assumption nabla makes that the text does
//! not state (a name taken as free, a condition it could not attach, a limit it
//! does not take, values it does not have) is an [`Assumption`] on the step, and
//! the driver turns a refutation that rests on one into `unknown` naming it.

use super::declare::is_constant;
pub(super) use super::declare::names;
use crate::syntax::ast::{Expr, ExprKind};

pub use super::chain::Assumption;

/// What the prose before a math block says.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ProseCues {
    /// "at large k", "as k → ∞", "for k large enough": the words that said it.
    pub(super) limit: Option<String>,
    /// The prose ends with a condition word ("when", "for", "if", "where", ...):
    /// a relation in the math right after it is a condition.
    pub(super) condition: bool,
    /// The prose ends with a value word ("let", "with", "suppose", ...).
    pub(super) binding: bool,
    /// The prose ends with "with" or its like ("avec", "con", "mit"): a comparison
    /// right after it (`\epsilon > 0`) is a condition, an equation a value.
    pub(super) with: bool,
    /// Names the prose introduces ("Let the Jacobian of softmax = J", "denote it by J").
    pub(super) named: Vec<String>,
}

/// Words that make the relation after them a condition (English, French, Spanish,
/// Chinese, Korean).
const CONDITION_WORDS: &[&str] = &[
    "for", "when", "if", "where", "whenever", "assuming", "given", "provided", "for all", "pour",
    "si", "quand", "lorsque", "cuando", "para", "当", "若", "如果", "时", "其中", "때", "경우",
    "이면",
];

/// Words after which a comparison is a condition and an equation a value
/// ("with $\epsilon > 0$", "avec", "con", "mit", "où", "donde", "wobei").
const WITH_WORDS: &[&str] = &["with", "avec", "con", "mit", "où", "donde", "wobei"];

/// Whether a statement's cue word (`\text{avec}`) makes a comparison after it a condition.
pub(super) fn is_with_word(word: &str) -> bool {
    WITH_WORDS.contains(&word.trim_end_matches(',').trim().to_lowercase().as_str())
}

/// Words that make an `x = value` after them an instantiation.
const BINDING_WORDS: &[&str] = &[
    "let", "with", "suppose", "take", "set", "soit", "sea", "令", "设", "取", "라고",
];

/// Reads the prose between two math blocks.
pub(super) fn prose_cues(prose: &str) -> ProseCues {
    let lower = prose.to_lowercase();
    let mut cues = ProseCues::default();
    let limit_phrases = [
        "large k",
        "k large",
        "k is large",
        "large values of k",
        "k → ∞",
        "k->∞",
        "k \\to \\infty",
        "k \\rightarrow \\infty",
        "k to infinity",
        "k goes to infinity",
        "as k tends",
        "k grand",
        "k grande",
        "k 很大",
        "k가 커",
    ];
    if let Some(p) = limit_phrases.iter().find(|p| lower.contains(*p)) {
        cues.limit = Some((*p).to_string());
    } else if lower.contains("large enough") || lower.contains("infinity") || lower.contains('∞')
    {
        cues.limit = Some(
            if lower.contains("large enough") {
                "large enough"
            } else {
                "infinity"
            }
            .to_string(),
        );
    }
    let tail = lower
        .trim_end_matches(|c: char| c.is_whitespace() || c == ',' || c == ':' || c == '(')
        .to_string();
    let last_word = tail
        .rsplit(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .next()
        .unwrap_or("");
    let ends_with = |words: &[&str]| {
        words
            .iter()
            .any(|w| last_word == *w || ((!w.is_ascii() || w.contains(' ')) && tail.ends_with(w)))
    };
    cues.condition = ends_with(CONDITION_WORDS);
    cues.binding = ends_with(BINDING_WORDS);
    cues.with = ends_with(WITH_WORDS);
    for line in prose.lines() {
        let l = line.trim().to_lowercase();
        let introduces = l.starts_with("let ")
            || l.contains(" let ")
            || l.contains("denote")
            || l.contains("define")
            || l.contains("call it");
        if !introduces {
            continue;
        }
        // the name is the last short word after `=`, "by" or "as"
        let after = ["=", " by ", " as ", "call it "]
            .iter()
            .filter_map(|m| line.rfind(m).map(|at| &line[at + m.len()..]))
            .min_by_key(|rest| rest.len());
        if let Some(rest) = after {
            let word = rest
                .trim()
                .trim_matches(|c: char| c == '$' || c == '.' || c == ',' || c.is_whitespace());
            if !word.is_empty()
                && word.chars().count() <= 3
                && word.chars().all(char::is_alphanumeric)
            {
                cues.named.push(word.to_string());
            }
        }
    }
    cues
}

/// Whether a statement's cue word (`\text{for}`) makes it a condition.
pub(super) fn is_condition_word(word: &str) -> bool {
    CONDITION_WORDS.contains(&word.trim_end_matches(',').trim())
}

/// A value the text gives a name or an expression (`\sigma(a) = [0.1, 0.9]`: two
/// samples; `y = 1`: one).
#[derive(Clone, Debug)]
pub(super) struct Binding {
    pub(super) lhs: Expr,
    pub(super) values: Vec<Expr>,
    /// How the text wrote it, and where: "`\sigma(a) = [0.1, 0.9]` (line 255)".
    pub(super) shown: String,
}

/// Whether two expressions are the same apart from where they were written.
pub(super) fn same(a: &Expr, b: &Expr) -> bool {
    let (mut a, mut b) = (a.clone(), b.clone());
    super::declare::zero_spans(&mut a);
    super::declare::zero_spans(&mut b);
    a == b
}

/// `e` with every occurrence of a binding's left side replaced by its value in
/// `sample` (the binding's only value when it has one). `None` when no binding
/// occurs in `e`.
pub(super) fn instantiate(e: &Expr, bindings: &[&Binding], sample: usize) -> Expr {
    for b in bindings {
        if same(e, &b.lhs) {
            let v = b.values.get(sample).or_else(|| b.values.first());
            if let Some(v) = v {
                let mut v = v.clone();
                v.span = e.span;
                return v;
            }
        }
    }
    let mut out = e.clone();
    let go = |x: &mut Expr| *x = instantiate(x, bindings, sample);
    match &mut out.kind {
        ExprKind::Call { args, .. } => args.iter_mut().for_each(|a| go(&mut a.value)),
        ExprKind::Subscript { base, .. } => go(base),
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            go(lhs);
            go(rhs);
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => go(x),
        ExprKind::Vector(items) | ExprKind::And(items) => items.iter_mut().for_each(go),
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            for (v, c) in branches {
                go(v);
                go(c);
            }
            if let Some(o) = otherwise {
                go(o);
            }
        }
        _ => {}
    }
    out
}

/// Whether any binding's left side occurs in `e`.
pub(super) fn mentions(e: &Expr, b: &Binding) -> bool {
    let marker = Expr {
        kind: ExprKind::Ident("\u{0}bound".into()),
        span: e.span,
    };
    let probe = Binding {
        lhs: b.lhs.clone(),
        values: vec![marker],
        shown: String::new(),
    };
    instantiate(e, &[&probe], 0) != *e
}

/// Whether `e` is a number written out (no name at all).
pub(super) fn is_number(e: &Expr) -> bool {
    is_constant(e)
}

/// Whether `e` takes a derivative or a gradient anywhere.
pub(super) fn has_derivative(e: &Expr) -> bool {
    let mut found = false;
    let probe = |x: &Expr| matches!(x.kind, ExprKind::Derivative { .. } | ExprKind::Grad { .. });
    visit(e, &mut |x| found |= probe(x));
    found
}

fn visit(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Call { args, .. } => args.iter().for_each(|a| visit(&a.value, f)),
        ExprKind::Subscript { base, indices } => {
            visit(base, f);
            indices.iter().for_each(|i| visit(i, f));
        }
        ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            visit(lhs, f);
            visit(rhs, f);
        }
        ExprKind::Neg(x) | ExprKind::Transpose(x) | ExprKind::Abs(x) | ExprKind::Norm(x) => {
            visit(x, f)
        }
        ExprKind::Vector(items) | ExprKind::And(items) => items.iter().for_each(|x| visit(x, f)),
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            for (v, c) in branches {
                visit(v, f);
                visit(c, f);
            }
            if let Some(o) = otherwise {
                visit(o, f);
            }
        }
        ExprKind::Sum { body, .. } | ExprKind::Limit { body, .. } => visit(body, f),
        ExprKind::Derivative { var, body, .. } | ExprKind::Grad { var, body } => {
            visit(var, f);
            visit(body, f);
        }
        ExprKind::Number(_) | ExprKind::Ident(_) | ExprKind::Path(_) => {}
    }
}
