//! Plain-text printing with minimal parentheses and line breaking at a width.
//!
//! `Add[a, Mul[-1, b]]` prints as `a − b` and `Mul[a, Pow[b, -1]]` as `a/b`: the
//! printer undoes the store's encoding of subtraction and division. The ASCII
//! style prints text that `crate::syntax` parses back to the same expression.

use super::{ExprId, Func, LimitTo, Node, Store};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed};
use pretty::RcDoc;

/// How to print: Unicode (`σ`, `·`, `−`, `Σ`) or ASCII, and the line width.
#[derive(Clone, Copy, Debug)]
pub struct PrintStyle {
    pub unicode: bool,
    pub width: usize,
}

impl Default for PrintStyle {
    fn default() -> PrintStyle {
        PrintStyle {
            unicode: true,
            width: 100,
        }
    }
}

impl PrintStyle {
    pub fn ascii() -> PrintStyle {
        PrintStyle {
            unicode: false,
            ..PrintStyle::default()
        }
    }
}

/// Binding strength of the printed forms, loosest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prec {
    /// comparisons, `and`, `lim`
    Relation,
    Sum,
    Product,
    /// unary minus
    Neg,
    Power,
    /// atoms, calls, components
    Atom,
}

/// A term of a sum, split into its sign and magnitude: `Mul[-3, x]` is `(true, 3·x)`.
pub(crate) struct SignedTerm {
    pub negative: bool,
    /// The coefficient's magnitude (1 when there is none).
    pub coeff: BigRational,
    /// The non-numeric factors.
    pub factors: Vec<ExprId>,
}

/// Splits a product (or any expression, as a one-factor product) into sign,
/// numeric coefficient and other factors.
pub(crate) fn signed_term(store: &Store, id: ExprId) -> SignedTerm {
    let mut coeff = BigRational::one();
    let mut rest = Vec::new();
    // nested products (`-(x/2)` is `Mul[-1, Mul[1/2, x]]`) print as one
    let mut stack = vec![id];
    while let Some(f) = stack.pop() {
        match store.node(f) {
            Node::Num(r) => coeff *= r,
            Node::Mul(fs) => stack.extend(fs.iter().rev()),
            _ => rest.push(f),
        }
    }
    SignedTerm {
        negative: coeff.is_negative(),
        coeff: coeff.abs(),
        factors: rest,
    }
}

/// A factor as it appears in a fraction: `Pow[b, -k]` goes below the line as `b^k`.
pub(crate) enum Factor {
    Above(ExprId),
    /// base and the (positive) power it has below the line
    Below(ExprId, BigRational),
}

pub(crate) fn classify_factor(store: &Store, f: ExprId) -> Factor {
    if let Node::Pow(base, exp) = store.node(f) {
        if let Some(r) = store.as_num(*exp) {
            if r.is_negative() {
                return Factor::Below(*base, -r.clone());
            }
        }
    }
    Factor::Above(f)
}

/// Prints expressions of one store.
pub struct Printer<'s> {
    store: &'s Store,
    style: PrintStyle,
}

type Doc = RcDoc<'static, ()>;

impl<'s> Printer<'s> {
    pub fn new(store: &'s Store, style: PrintStyle) -> Printer<'s> {
        Printer { store, style }
    }

    pub fn to_string(&self, id: ExprId) -> String {
        let doc = self.doc(id, Prec::Relation);
        let mut out = Vec::new();
        doc.render(self.style.width, &mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("the printer writes UTF-8")
    }

    fn text(&self, unicode: &'static str, ascii: &'static str) -> Doc {
        RcDoc::text(if self.style.unicode { unicode } else { ascii })
    }

    fn paren_if(&self, cond: bool, doc: Doc) -> Doc {
        if cond {
            RcDoc::text("(")
                .append(doc.nest(1))
                .append(RcDoc::text(")"))
        } else {
            doc
        }
    }

    fn doc(&self, id: ExprId, ctx: Prec) -> Doc {
        let (doc, prec) = self.doc_with_prec(id);
        self.paren_if(prec < ctx, doc)
    }

    fn number(&self, r: &BigRational) -> (Doc, Prec) {
        let minus = self.text("−", "-");
        let magnitude = r.abs();
        let body = if magnitude.is_integer() {
            RcDoc::text(magnitude.numer().to_string())
        } else {
            RcDoc::text(format!("{}/{}", magnitude.numer(), magnitude.denom()))
        };
        match (r.is_negative(), magnitude.is_integer()) {
            (false, true) => (body, Prec::Atom),
            (false, false) => (body, Prec::Product),
            (true, _) => (minus.append(body), Prec::Neg),
        }
    }

    fn doc_with_prec(&self, id: ExprId) -> (Doc, Prec) {
        let s = self.store;
        match s.node(id) {
            Node::Num(r) => self.number(r),
            Node::Sym(sym) => (RcDoc::text(s.display_name(*sym).to_string()), Prec::Atom),
            Node::Add(terms) => (self.sum_doc(terms), Prec::Sum),
            Node::Mul(_) => self.term_doc(id),
            Node::Pow(base, exp) => self.pow_doc(id, *base, *exp),
            Node::Call(f, args) => (self.call_doc(*f, args), Prec::Atom),
            Node::Apply(f, args) => (
                RcDoc::text(s.name(*f).to_string()).append(self.args_doc(args)),
                Prec::Atom,
            ),
            Node::FnDeriv { func, orders, args } => {
                let name = s.name(*func).to_string();
                let head = if orders.len() == 1 {
                    format!("{name}{}", "'".repeat(orders[0] as usize))
                } else {
                    let list: Vec<String> = orders.iter().map(u32::to_string).collect();
                    format!("D[{}]{name}", list.join(","))
                };
                (RcDoc::text(head).append(self.args_doc(args)), Prec::Atom)
            }
            Node::Index(base, idx) => (self.index_doc(*base, idx), Prec::Atom),
            Node::Sum {
                index,
                lower,
                upper,
                body,
            } => {
                let head = self
                    .text("Σ", "sum")
                    .append(RcDoc::text(format!("_({}=", s.display_name(*index))))
                    .append(self.doc(*lower, Prec::Sum))
                    .append(RcDoc::text(")^"))
                    .append(self.doc(*upper, Prec::Atom));
                let body = self.doc(*body, Prec::Product);
                (head.append(RcDoc::space()).append(body), Prec::Sum)
            }
            Node::Piecewise {
                branches,
                otherwise,
            } => {
                let mut parts: Vec<Doc> = branches
                    .iter()
                    .map(|&(c, v)| {
                        self.doc(v, Prec::Sum)
                            .append(RcDoc::text(" if "))
                            .append(self.doc(c, Prec::Relation))
                    })
                    .collect();
                if let Some(o) = otherwise {
                    parts.push(self.doc(*o, Prec::Sum).append(RcDoc::text(" otherwise")));
                }
                let doc = RcDoc::text("piecewise { ")
                    .append(RcDoc::intersperse(parts, RcDoc::text("; ")))
                    .append(RcDoc::text(" }"));
                (doc, Prec::Atom)
            }
            Node::Cmp(op, a, b) => {
                let sym = match (op, self.style.unicode) {
                    (super::CmpOp::Le, true) => "≤",
                    (super::CmpOp::Ge, true) => "≥",
                    (super::CmpOp::Ne, true) => "≠",
                    _ => op.symbol(),
                };
                let doc = self
                    .doc(*a, Prec::Sum)
                    .append(RcDoc::text(format!(" {sym} ")))
                    .append(self.doc(*b, Prec::Sum));
                (doc, Prec::Relation)
            }
            Node::And(cs) => {
                let parts: Vec<Doc> = cs.iter().map(|&c| self.doc(c, Prec::Sum)).collect();
                (
                    RcDoc::intersperse(parts, RcDoc::text(" and ")),
                    Prec::Relation,
                )
            }
            Node::Vector(xs) => {
                let parts: Vec<Doc> = xs.iter().map(|&x| self.doc(x, Prec::Relation)).collect();
                let doc = RcDoc::text("[")
                    .append(
                        RcDoc::intersperse(parts, RcDoc::text(",").append(RcDoc::line()))
                            .nest(1)
                            .group(),
                    )
                    .append(RcDoc::text("]"));
                (doc, Prec::Atom)
            }
            Node::Limit { var, to, body } => {
                let target = match to {
                    LimitTo::PosInf => self.text("∞", "inf"),
                    LimitTo::NegInf => self.text("−∞", "-inf"),
                    LimitTo::Point(p) => self.doc(*p, Prec::Sum),
                };
                let doc = RcDoc::text(format!("lim {} ", s.display_name(*var)))
                    .append(self.text("→", "->"))
                    .append(RcDoc::space())
                    .append(target)
                    .append(RcDoc::text(" of "))
                    .append(self.doc(*body, Prec::Sum));
                (doc, Prec::Relation)
            }
        }
    }

    fn args_doc(&self, args: &[ExprId]) -> Doc {
        let parts: Vec<Doc> = args.iter().map(|&a| self.doc(a, Prec::Relation)).collect();
        RcDoc::text("(")
            .append(RcDoc::intersperse(parts, RcDoc::text(", ")).nest(1))
            .append(RcDoc::text(")"))
    }

    fn call_doc(&self, f: Func, args: &[ExprId]) -> Doc {
        if args.is_empty() {
            // a constant: `π`
            return RcDoc::text(if self.style.unicode {
                f.name()
            } else {
                f.ascii_name()
            });
        }
        // `|x|`, except around another `|…|`: `||x|^0|` would read as a norm
        let nested_bars = || {
            let mut stack = vec![args[0]];
            while let Some(e) = stack.pop() {
                if matches!(self.store.node(e), Node::Call(Func::Abs, _)) {
                    return true;
                }
                stack.extend(self.store.children(e));
            }
            false
        };
        if f == Func::Abs && args.len() == 1 && !nested_bars() {
            return RcDoc::text("|")
                .append(self.doc(args[0], Prec::Relation))
                .append(RcDoc::text("|"));
        }
        let name = if self.style.unicode {
            f.name()
        } else {
            f.ascii_name()
        };
        RcDoc::text(name).append(self.args_doc(args))
    }

    fn index_doc(&self, base: ExprId, idx: &[ExprId]) -> Doc {
        let base_doc = match self.store.node(base) {
            Node::Sym(_) | Node::Apply(..) | Node::Call(..) => self.doc(base, Prec::Atom),
            _ => self.paren_if(true, self.doc(base, Prec::Relation)),
        };
        let simple = idx.len() == 1 && matches!(self.store.node(idx[0]), Node::Sym(_))
            || idx.len() == 1
                && self
                    .store
                    .as_num(idx[0])
                    .is_some_and(|r| r.is_integer() && !r.is_negative());
        let sub = if simple {
            self.doc(idx[0], Prec::Atom)
        } else {
            let parts: Vec<Doc> = idx.iter().map(|&i| self.doc(i, Prec::Sum)).collect();
            RcDoc::text("(")
                .append(RcDoc::intersperse(parts, RcDoc::text(",")))
                .append(RcDoc::text(")"))
        };
        base_doc.append(RcDoc::text("_")).append(sub)
    }

    fn sum_doc(&self, terms: &[ExprId]) -> Doc {
        let mut doc = RcDoc::nil();
        for (k, &t) in terms.iter().enumerate() {
            let st = signed_term(self.store, t);
            let magnitude = self.magnitude_doc(&st);
            doc = match (k, st.negative) {
                (0, false) => magnitude,
                (0, true) => self.text("−", "-").append(magnitude),
                (_, neg) => {
                    let op = if neg {
                        self.text("− ", "- ")
                    } else {
                        RcDoc::text("+ ")
                    };
                    doc.append(RcDoc::line()).append(op).append(magnitude)
                }
            };
        }
        doc.group()
    }

    /// A product, or a negated product: `−x/2`, `σ(x)·(1 − σ(x))`.
    fn term_doc(&self, id: ExprId) -> (Doc, Prec) {
        let st = signed_term(self.store, id);
        if st.factors.is_empty() {
            let value = if st.negative {
                -st.coeff.clone()
            } else {
                st.coeff.clone()
            };
            return self.number(&value);
        }
        let magnitude = self.magnitude_doc(&st);
        if st.negative {
            (self.text("−", "-").append(magnitude), Prec::Neg)
        } else {
            let single = st.coeff.is_one()
                && st.factors.len() == 1
                && matches!(classify_factor(self.store, st.factors[0]), Factor::Above(_));
            if single {
                return self.doc_with_prec(st.factors[0]);
            }
            (magnitude, Prec::Product)
        }
    }

    /// The unsigned part of a term: `coeff · factors`, as a fraction where needed.
    /// Printed at product level; the caller adds parentheses around it as needed.
    fn magnitude_doc(&self, st: &SignedTerm) -> Doc {
        let mut above: Vec<ExprId> = Vec::new();
        let mut below: Vec<(ExprId, BigRational)> = Vec::new();
        for &f in &st.factors {
            match classify_factor(self.store, f) {
                Factor::Above(e) => above.push(e),
                Factor::Below(b, k) => below.push((b, k)),
            }
        }
        let times = || self.text("·", "*");
        let mut num_parts: Vec<Doc> = Vec::new();
        if !st.coeff.numer().is_one() || above.is_empty() {
            num_parts.push(RcDoc::text(st.coeff.numer().to_string()));
        }
        let last = above.len().saturating_sub(1);
        for (k, &e) in above.iter().enumerate() {
            // a sum-like prefix form (Σ, lim) swallows what follows it: parenthesize unless last
            let ctx = if k == last && below.is_empty() {
                Prec::Product
            } else {
                Prec::Neg
            };
            num_parts.push(self.factor_doc(e, ctx));
        }
        let mut doc = RcDoc::intersperse(num_parts, times());
        let denom_coeff: BigInt = st.coeff.denom().clone();
        let mut den_parts: Vec<Doc> = Vec::new();
        if !denom_coeff.is_one() {
            den_parts.push(RcDoc::text(denom_coeff.to_string()));
        }
        for (b, k) in &below {
            if k.is_one() {
                den_parts.push(self.doc(*b, Prec::Power));
            } else {
                den_parts.push(self.pow_parts(*b, k));
            }
        }
        if !den_parts.is_empty() {
            let several = den_parts.len() > 1;
            let den = RcDoc::intersperse(den_parts, times());
            doc = doc
                .append(RcDoc::text("/"))
                .append(self.paren_if(several, den));
        }
        doc
    }

    fn factor_doc(&self, e: ExprId, ctx: Prec) -> Doc {
        match self.store.node(e) {
            Node::Sum { .. } | Node::Limit { .. } if ctx > Prec::Product => {
                self.paren_if(true, self.doc(e, Prec::Relation))
            }
            Node::Sum { .. } => self.doc_with_prec(e).0,
            _ => self.doc(e, ctx.max(Prec::Neg)),
        }
    }

    fn pow_parts(&self, base: ExprId, exp: &BigRational) -> Doc {
        let exp_doc = if exp.is_integer() && !exp.is_negative() {
            RcDoc::text(exp.numer().to_string())
        } else {
            self.paren_if(true, self.number(exp).0)
        };
        self.doc(base, Prec::Atom)
            .append(RcDoc::text("^"))
            .append(exp_doc)
    }

    fn pow_doc(&self, id: ExprId, base: ExprId, exp: ExprId) -> (Doc, Prec) {
        if let Some(r) = self.store.as_num(exp) {
            if r.is_negative() {
                return self.term_doc(id);
            }
            return (self.pow_parts(base, r), Prec::Power);
        }
        let exp_doc = self.doc(exp, Prec::Atom);
        let doc = self
            .doc(base, Prec::Atom)
            .append(RcDoc::text("^"))
            .append(exp_doc);
        (doc, Prec::Power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Store, ExprId) {
        let mut s = Store::new();
        let x = s.sym("x");
        (s, x)
    }

    #[test]
    fn subtraction_and_division_print_as_written() {
        let (mut s, x) = setup();
        let one = s.one();
        let sig = s.call1(Func::Sigmoid, x);
        let one_minus = s.sub(one, sig);
        let e = s.product(vec![sig, one_minus]);
        assert_eq!(s.display(e), "σ(x)·(1 − σ(x))");
        assert_eq!(s.display_ascii(e), "sigma(x)*(1 - sigma(x))");
        let ex = s.call1(Func::Exp, x);
        let den = s.sum(vec![one, ex]);
        let q = s.div(one, den);
        assert_eq!(s.display(q), "1/(1 + exp(x))");
        let half = s.ratio(1, 2);
        let hx = s.product(vec![half, x]);
        assert_eq!(s.display(hx), "x/2");
        let m = s.neg(hx);
        assert_eq!(s.display_ascii(m), "-x/2");
    }

    #[test]
    fn nested_absolute_values_print_as_abs() {
        // found by the print/re-parse property: `||x|^0|` reads as a norm
        let (mut s, x) = setup();
        let inner = s.call1(Func::Abs, x);
        let zero = s.zero();
        let power = s.pow(inner, zero);
        let outer = s.call1(Func::Abs, power);
        assert_eq!(s.display_ascii(outer), "abs(|x|^0)");
        assert_eq!(s.display_ascii(inner), "|x|");
    }

    #[test]
    fn powers_parenthesize_base_and_negative_exponent() {
        let (mut s, x) = setup();
        let one = s.one();
        let ex = s.call1(Func::Exp, x);
        let base = s.sum(vec![one, ex]);
        let m2 = s.int(-2);
        let p = s.pow(base, m2);
        assert_eq!(s.display(p), "1/(1 + exp(x))^2");
        let two = s.int(2);
        let sq = s.pow(x, two);
        let neg = s.neg(sq);
        assert_eq!(s.display_ascii(neg), "-x^2");
    }
}
