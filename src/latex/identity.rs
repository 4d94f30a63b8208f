//! The identity matrix beside matrices: an `I` (`I_d`, `I_n`) the text neither
//! defines nor gives a shape, multiplied by a vector or matrix, is the identity of
//! the size that product demands, so it is dropped from the product
//! (`(X^\top X + \lambda I) w` is read as `X^\top X w + \lambda w`).
//!
//! Dropping is exact: in a product with at least one vector or matrix factor, the
//! identity of the size the product demands where it stands changes nothing (the
//! numbers beside it commute). A sum holding an identity is multiplied out first.
//! An `I` left anywhere else (`A + \lambda I` with no product around it) is not
//! read, and a refutation of its chain stays `unknown`.

use super::chain::Chain;
use super::conventions::factors;
use super::declare::SideFile;
use super::find::MathBlock;
use super::lex::{tokenize, Tok, Token};
use crate::syntax::ast::{BinOp, DomainKind, Expr, ExprKind};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};

/// Whether the document makes `I` a name of its own: a formula that is `I` (or
/// `I_d`) alone on a prose line that does not call it the identity ("let $I$ be
/// the input current"), or a statement `I = ...`. Then no `I` is read as the
/// identity matrix.
pub(super) fn identity_owned(text: &str, blocks: &[MathBlock]) -> bool {
    blocks.iter().any(|block| {
        let toks = tokenize(&block.body, 0);
        let is_i = |t: Option<&Token>| matches!(t.map(|t| &t.tok), Some(Tok::Letter('I')));
        if !is_i(toks.first()) {
            return false;
        }
        let rest: Vec<&Tok> = toks[1..].iter().map(|t| &t.tok).collect();
        match rest.as_slice() {
            // `I = ...`, `I_d = ...`
            [Tok::Sym('='), ..] | [Tok::Sym('_'), _, Tok::Sym('='), ..] => true,
            // `$I$`, `$I_d$`, `$I_{d}$` named in prose
            [] | [Tok::Sym('_'), ..] if rest.len() <= 4 => {
                let start = (block.span.start as usize).min(text.len());
                let end = (block.span.end as usize).min(text.len());
                let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
                let line_end = text[end..].find('\n').map_or(text.len(), |p| end + p);
                let line = text.get(line_start..line_end).unwrap_or("").to_lowercase();
                !IDENTITY_WORDS.iter().any(|w| line.contains(w))
            }
            _ => false,
        }
    })
}

/// Words that call a matrix the identity, lowercase.
const IDENTITY_WORDS: &[&str] = &["identit", "identidad", "einheitsmatrix", "单位", "항등"];

/// Whether `name` spells the identity: `I`, `I_d`, `I_{n}`.
pub(super) fn is_identity_name(name: &str) -> bool {
    name == "I" || name.strip_prefix("I_").is_some_and(|s| !s.is_empty())
}

/// The identity names a chain writes that the text leaves to their usual meaning
/// (not defined, given no shape, not a name of the text's own).
fn identities(chain: &Chain, side: &SideFile) -> HashSet<String> {
    chain
        .parts
        .iter()
        .flat_map(super::context::names)
        .filter(|n| {
            is_identity_name(n)
                && !chain.definitions.iter().any(|d| &d.name.name == n)
                && !chain.shapes.iter().any(|d| &d.name == n)
                && !side.declares(n)
        })
        .collect()
}

/// Reads the identities of the chain's parts (each dropped from a product with a
/// vector or matrix) when every one of them can be read so; the note for the
/// report when it read them.
pub(super) fn read_identity(chain: &mut Chain, side: &SideFile) -> Option<String> {
    let ids = identities(chain, side);
    if ids.is_empty() {
        return None;
    }
    // the names the text states as vectors or matrices
    let mut tensors: HashSet<String> = chain
        .shapes
        .iter()
        .filter(|d| !d.sizes.is_empty())
        .map(|d| d.name.clone())
        .collect();
    tensors.extend(
        side.vars
            .iter()
            .filter(|(_, k)| matches!(k, DomainKind::Vector(_) | DomainKind::Matrix(..)))
            .map(|(n, _)| n.to_string()),
    );
    let read = Reader {
        ids: &ids,
        tensors: &tensors,
        dropped: RefCell::new(BTreeSet::new()),
    };
    let read_parts: Vec<Expr> = chain.parts.iter().map(|p| read.rewrite(p)).collect();
    // every identity of the chain must be read so: one left beside numbers only
    // (`I` in `\nabla_w (\frac{I}{2} \|w\|^2)`) may be the text's own number, and then so may the others
    if read_parts
        .iter()
        .flat_map(super::context::names)
        .any(|n| ids.contains(&n))
    {
        return None;
    }
    let dropped = read.dropped.into_inner();
    if dropped.is_empty() {
        return None;
    }
    chain.parts = read_parts;
    let shown: Vec<String> = dropped.iter().map(|n| format!("`{n}`")).collect();
    Some(format!(
        "{} read as the identity matrix of the size its product demands (the text does not define it otherwise)",
        shown.join(", ")
    ))
}

struct Reader<'a> {
    ids: &'a HashSet<String>,
    tensors: &'a HashSet<String>,
    /// The identities dropped, for the report.
    dropped: RefCell<BTreeSet<String>>,
}

impl Reader<'_> {
    fn is_id(&self, e: &Expr) -> bool {
        matches!(&e.kind, ExprKind::Ident(n) if self.ids.contains(n))
    }

    /// Whether `e` is surely a vector or matrix: a name the text gives a shape, its
    /// transpose, or a product with such a factor.
    fn is_tensor(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Ident(n) => self.tensors.contains(n),
            ExprKind::Transpose(x) | ExprKind::Neg(x) => self.is_tensor(x),
            ExprKind::Binary {
                op: BinOp::Mul,
                lhs,
                rhs,
            } => self.is_tensor(lhs) || self.is_tensor(rhs),
            _ => false,
        }
    }

    /// Whether `e` is a sum one of whose terms holds an identity as a factor.
    fn sum_with_identity(&self, e: &Expr) -> bool {
        terms(e).is_some_and(|ts| ts.iter().any(|(_, t)| self.has_id_factor(t)))
    }

    fn has_id_factor(&self, e: &Expr) -> bool {
        let mut fs = Vec::new();
        factors(e, &mut fs);
        fs.iter().any(|f| self.is_id(f))
    }

    fn rewrite(&self, e: &Expr) -> Expr {
        if let ExprKind::Binary { op: BinOp::Mul, .. } = &e.kind {
            return self.product(e);
        }
        let mut out = e.clone();
        for c in out.children_mut() {
            *c = self.rewrite(c);
        }
        out
    }

    /// A product: its sums with an identity multiplied out, then every identity
    /// dropped from a product that has a vector or matrix factor.
    fn product(&self, e: &Expr) -> Expr {
        let mut fs = Vec::new();
        factors(e, &mut fs);
        let fs: Vec<Expr> = fs.iter().map(|f| self.rewrite(f)).collect();
        let at = fs.iter().position(|f| self.sum_with_identity(f));
        if let (Some(k), true) = (at, fs.len() > 1) {
            let Some(ts) = terms(&fs[k]) else {
                return product_of(fs, e.span);
            };
            let mut sum: Option<Expr> = None;
            for (negative, t) in ts {
                let mut with = fs.clone();
                with[k] = t;
                let term = self.product(&product_of(with, e.span));
                sum = Some(match sum {
                    None if negative => Expr {
                        span: e.span,
                        kind: ExprKind::Neg(Box::new(term)),
                    },
                    None => term,
                    Some(acc) => Expr {
                        span: e.span,
                        kind: ExprKind::Binary {
                            op: if negative { BinOp::Sub } else { BinOp::Add },
                            lhs: Box::new(acc),
                            rhs: Box::new(term),
                        },
                    },
                });
            }
            return sum.unwrap_or_else(|| e.clone());
        }
        let ids = fs.iter().filter(|f| self.is_id(f)).count();
        if ids > 0 && ids < fs.len() && fs.iter().any(|f| self.is_tensor(f)) {
            let (ids, kept): (Vec<Expr>, Vec<Expr>) = fs.into_iter().partition(|f| self.is_id(f));
            for id in ids {
                if let ExprKind::Ident(n) = id.kind {
                    self.dropped.borrow_mut().insert(n);
                }
            }
            return product_of(kept, e.span);
        }
        product_of(fs, e.span)
    }
}

/// The terms of a sum, each with whether it is subtracted; `None` for no sum.
fn terms(e: &Expr) -> Option<Vec<(bool, Expr)>> {
    fn walk(e: &Expr, negative: bool, out: &mut Vec<(bool, Expr)>) {
        match &e.kind {
            ExprKind::Binary {
                op: op @ (BinOp::Add | BinOp::Sub),
                lhs,
                rhs,
            } => {
                walk(lhs, negative, out);
                walk(rhs, negative ^ (*op == BinOp::Sub), out);
            }
            _ => out.push((negative, e.clone())),
        }
    }
    if !matches!(
        e.kind,
        ExprKind::Binary {
            op: BinOp::Add | BinOp::Sub,
            ..
        }
    ) {
        return None;
    }
    let mut out = Vec::new();
    walk(e, false, &mut out);
    Some(out)
}

/// The product of `fs` (one factor at least), left to right.
fn product_of(fs: Vec<Expr>, span: crate::span::Span) -> Expr {
    let mut it = fs.into_iter();
    let Some(first) = it.next() else {
        let one = crate::syntax::ast::Literal::integer_places(
            num_rational::BigRational::from_integer(1.into()),
        );
        return Expr {
            span,
            kind: ExprKind::Number(one),
        };
    };
    it.fold(first, |acc, f| Expr {
        span,
        kind: ExprKind::Binary {
            op: BinOp::Mul,
            lhs: Box::new(acc),
            rhs: Box::new(f),
        },
    })
}
