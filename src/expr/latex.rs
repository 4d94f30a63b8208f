//! LaTeX printing: `\frac`, `\sigma`, `\sum_{j=1}^{m}`, `\delta_{ij}`, `\begin{cases}`.

use super::print::{classify_factor, signed_term, Factor, Prec};
use super::{CmpOp, ExprId, Func, LatexForm, LimitTo, Node, Store};
use num_rational::BigRational;
use num_traits::{One, Signed};

/// The expression as LaTeX math (without surrounding `$`).
pub fn to_latex(store: &Store, id: ExprId) -> String {
    Latex { store }.expr(id, Prec::Relation)
}

struct Latex<'s> {
    store: &'s Store,
}

fn paren(s: String) -> String {
    format!("\\left({s}\\right)")
}

fn number(r: &BigRational) -> String {
    let m = r.abs();
    let body = if m.is_integer() {
        m.numer().to_string()
    } else {
        format!("\\frac{{{}}}{{{}}}", m.numer(), m.denom())
    };
    if r.is_negative() {
        format!("-{body}")
    } else {
        body
    }
}

impl Latex<'_> {
    fn expr(&self, id: ExprId, ctx: Prec) -> String {
        let (s, prec) = self.with_prec(id);
        if prec < ctx {
            paren(s)
        } else {
            s
        }
    }

    fn name(&self, raw: &str) -> String {
        // `d_h` -> `d_{h}`; Greek letters -> their macros
        let greek = [
            ("α", "\\alpha"),
            ("β", "\\beta"),
            ("γ", "\\gamma"),
            ("θ", "\\theta"),
            ("λ", "\\lambda"),
            ("μ", "\\mu"),
            ("σ", "\\sigma"),
            ("ε", "\\varepsilon"),
            ("η", "\\eta"),
        ];
        let (head, tail) = raw
            .split_once('_')
            .map_or((raw, None), |(h, t)| (h, Some(t)));
        // a name of several letters is written upright, so it reads back as one name
        let mut head = if head.chars().count() > 1 && !greek.iter().any(|(g, _)| *g == head) {
            format!("\\mathrm{{{head}}}")
        } else {
            head.to_string()
        };
        for (g, m) in greek {
            head = head.replace(g, m);
        }
        match tail {
            Some(tail) => format!("{head}_{{{}}}", tail.replace('_', ",")),
            None => head,
        }
    }

    fn with_prec(&self, id: ExprId) -> (String, Prec) {
        let s = self.store;
        match s.node(id) {
            Node::Num(r) => {
                let prec = if r.is_negative() {
                    Prec::Neg
                } else {
                    Prec::Atom
                };
                (number(r), prec)
            }
            Node::Sym(sym) => (self.name(s.display_name(*sym)), Prec::Atom),
            Node::Add(terms) => {
                let mut out = String::new();
                for (k, &t) in terms.iter().enumerate() {
                    let st = signed_term(s, t);
                    let mag = self.magnitude(&st.coeff, &st.factors);
                    match (k, st.negative) {
                        (0, false) => out.push_str(&mag),
                        (0, true) => out.push_str(&format!("-{mag}")),
                        (_, true) => out.push_str(&format!(" - {mag}")),
                        (_, false) => out.push_str(&format!(" + {mag}")),
                    }
                }
                (out, Prec::Sum)
            }
            Node::Mul(_) => self.term(id),
            Node::Pow(base, exp) => {
                if s.as_num(*exp).is_some_and(|r| r.is_negative()) {
                    return self.term(id);
                }
                let b = self.power_base(*base);
                let e = self.expr(*exp, Prec::Relation);
                (format!("{b}^{{{e}}}"), Prec::Power)
            }
            Node::Call(f, args) => (self.call(*f, args), Prec::Atom),
            Node::Apply(f, args) => (
                format!("{}{}", self.name(s.name(*f)), self.args(args)),
                Prec::Atom,
            ),
            Node::FnDeriv { func, orders, args } => {
                let primes = if orders.len() == 1 {
                    "'".repeat(orders[0] as usize)
                } else {
                    let list: Vec<String> = orders.iter().map(u32::to_string).collect();
                    format!("^{{({})}}", list.join(","))
                };
                (
                    format!("{}{primes}{}", self.name(s.name(*func)), self.args(args)),
                    Prec::Atom,
                )
            }
            Node::Index(base, idx) => {
                let b = self.expr(*base, Prec::Atom);
                let parts: Vec<String> = idx.iter().map(|&i| self.expr(i, Prec::Sum)).collect();
                (format!("{{{b}}}_{{{}}}", parts.join(",")), Prec::Atom)
            }
            Node::Sum {
                index,
                lower,
                upper,
                body,
            } => (
                format!(
                    "\\sum_{{{}={}}}^{{{}}} {}",
                    self.name(s.display_name(*index)),
                    self.expr(*lower, Prec::Sum),
                    self.expr(*upper, Prec::Sum),
                    self.expr(*body, Prec::Product)
                ),
                Prec::Sum,
            ),
            Node::Piecewise {
                branches,
                otherwise,
            } => {
                let mut rows: Vec<String> = branches
                    .iter()
                    .map(|&(c, v)| {
                        format!(
                            "{} & \\text{{if }} {}",
                            self.expr(v, Prec::Sum),
                            self.expr(c, Prec::Relation)
                        )
                    })
                    .collect();
                if let Some(o) = otherwise {
                    rows.push(format!(
                        "{} & \\text{{otherwise}}",
                        self.expr(*o, Prec::Sum)
                    ));
                }
                (
                    format!("\\begin{{cases}} {} \\end{{cases}}", rows.join(" \\\\ ")),
                    Prec::Atom,
                )
            }
            Node::Cmp(op, a, b) => {
                let sym = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Le => "\\le",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => "\\ge",
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "\\ne",
                };
                (
                    format!(
                        "{} {sym} {}",
                        self.expr(*a, Prec::Sum),
                        self.expr(*b, Prec::Sum)
                    ),
                    Prec::Relation,
                )
            }
            Node::And(cs) => {
                let parts: Vec<String> = cs.iter().map(|&c| self.expr(c, Prec::Sum)).collect();
                (parts.join(" \\land "), Prec::Relation)
            }
            Node::Vector(xs) => {
                let parts: Vec<String> = xs.iter().map(|&x| self.expr(x, Prec::Relation)).collect();
                (
                    format!(
                        "\\begin{{bmatrix}} {} \\end{{bmatrix}}",
                        parts.join(" \\\\ ")
                    ),
                    Prec::Atom,
                )
            }
            Node::Limit { var, to, body } => {
                let target = match to {
                    LimitTo::PosInf => "\\infty".to_string(),
                    LimitTo::NegInf => "-\\infty".to_string(),
                    LimitTo::Point(p) => self.expr(*p, Prec::Sum),
                };
                (
                    format!(
                        "\\lim_{{{} \\to {target}}} {}",
                        self.name(s.display_name(*var)),
                        self.expr(*body, Prec::Product)
                    ),
                    Prec::Sum,
                )
            }
        }
    }

    /// The base of a power. `\ln(x)^2` is ambiguous to a reader (the log of a
    /// square?), so the power of a log is bracketed: `\left(\ln(x)\right)^{2}`.
    fn power_base(&self, base: ExprId) -> String {
        let b = self.expr(base, Prec::Atom);
        let log = matches!(
            self.store.node(base),
            Node::Call(Func::Ln | Func::Log2 | Func::Log10, _)
        );
        if log {
            paren(b)
        } else {
            b
        }
    }

    fn args(&self, args: &[ExprId]) -> String {
        let parts: Vec<String> = args.iter().map(|&a| self.expr(a, Prec::Relation)).collect();
        paren(parts.join(", "))
    }

    fn call(&self, f: Func, args: &[ExprId]) -> String {
        if args.is_empty() {
            return match f.row().latex {
                LatexForm::Letter(command) | LatexForm::Operator(command) => format!("\\{command}"),
                _ => format!("\\operatorname{{{}}}", f.ascii_name()),
            };
        }
        let a = self.args(args);
        let one = || self.expr(args[0], Prec::Relation);
        match f.row().latex {
            LatexForm::Operator(command) | LatexForm::Letter(command) => format!("\\{command}{a}"),
            LatexForm::Named => format!("\\operatorname{{{}}}{a}", f.ascii_name()),
            LatexForm::Log2 => format!("\\log_2{a}"),
            LatexForm::Log10 => format!("\\log_{{10}}{a}"),
            LatexForm::Sqrt => format!("\\sqrt{{{}}}", one()),
            LatexForm::Abs => format!("\\left|{}\\right|", one()),
            LatexForm::Floor => format!("\\left\\lfloor {} \\right\\rfloor", one()),
            LatexForm::Ceil => format!("\\left\\lceil {} \\right\\rceil", one()),
            LatexForm::Delta if args.len() == 2 => format!(
                "\\delta_{{{} {}}}",
                self.expr(args[0], Prec::Atom),
                self.expr(args[1], Prec::Atom)
            ),
            LatexForm::Delta => format!("\\operatorname{{delta}}{a}"),
            LatexForm::Heaviside => format!("H{a}"),
        }
    }

    fn term(&self, id: ExprId) -> (String, Prec) {
        let st = signed_term(self.store, id);
        let mag = self.magnitude(&st.coeff, &st.factors);
        if st.negative {
            (format!("-{mag}"), Prec::Neg)
        } else if st.coeff.is_one() && st.factors.len() == 1 {
            match classify_factor(self.store, st.factors[0]) {
                Factor::Above(e) => self.with_prec(e),
                Factor::Below(..) => (mag, Prec::Atom),
            }
        } else {
            (mag, Prec::Product)
        }
    }

    fn magnitude(&self, coeff: &BigRational, factors: &[ExprId]) -> String {
        let mut above = Vec::new();
        let mut below = Vec::new();
        if !coeff.numer().is_one() {
            above.push(coeff.numer().to_string());
        }
        if !coeff.denom().is_one() {
            below.push(coeff.denom().to_string());
        }
        let below_count = factors
            .iter()
            .filter(|&&f| matches!(classify_factor(self.store, f), Factor::Below(..)))
            .count()
            + below.len();
        // `\frac` groups its denominator: one factor there needs no parentheses
        let below_ctx = if below_count == 1 {
            Prec::Relation
        } else {
            Prec::Neg
        };
        for &f in factors {
            match classify_factor(self.store, f) {
                Factor::Above(e) => above.push(self.expr(e, Prec::Neg)),
                Factor::Below(b, k) if k.is_one() => below.push(self.expr(b, below_ctx)),
                Factor::Below(b, k) => {
                    below.push(format!("{}^{{{}}}", self.power_base(b), number(&k)))
                }
            }
        }
        let top = if above.is_empty() {
            "1".to_string()
        } else {
            above.join(" \\cdot ")
        };
        if below.is_empty() {
            top
        } else {
            format!("\\frac{{{top}}}{{{}}}", below.join(" \\cdot "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_and_functions() {
        let mut s = Store::new();
        let x = s.sym("x");
        let one = s.one();
        let mx = s.neg(x);
        let e = s.call1(Func::Exp, mx);
        let den = s.sum(vec![one, e]);
        let q = s.div(one, den);
        assert_eq!(to_latex(&s, q), "\\frac{1}{1 + \\exp\\left(-x\\right)}");
        let sig = s.call1(Func::Sigmoid, x);
        assert_eq!(to_latex(&s, sig), "\\sigma\\left(x\\right)");
    }
}
