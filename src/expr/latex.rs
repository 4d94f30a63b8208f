//! LaTeX printing: `\frac`, `\sigma`, `\sum_{j=1}^{m}`, `\delta_{ij}`, `\begin{cases}`.
//!
//! The output compiles with pdflatex and `amsmath` alone: every character is
//! ASCII (Greek letters as macros, primes as `'`), names of several letters are
//! upright (`\mathrm{hs}`, functions `\operatorname{softmax}`), and each bound
//! index (a sum's, a limit's) gets a letter that no free name in the
//! expression uses, so `A_{i,k}` never reads as `A_{i,i}`.

use super::print::{classify_factor, signed_term, Factor, Prec};
use super::{CmpOp, ExprId, Func, LatexForm, LimitTo, Node, Store, Symbol};
use num_rational::BigRational;
use num_traits::{One, Signed};
use std::collections::{HashMap, HashSet};

/// The expression as LaTeX math (without surrounding `$`).
pub fn to_latex(store: &Store, id: ExprId) -> String {
    let bound = bound_names(store, id);
    Latex { store, bound }.expr(id, Prec::Relation)
}

struct Latex<'s> {
    store: &'s Store,
    /// The letter each bound index is printed as.
    bound: HashMap<Symbol, String>,
}

/// Letters for bound indices, in the order they are handed out.
const INDEX_LETTERS: &[&str] = &[
    "k", "l", "p", "q", "r", "s", "t", "u", "v", "w", "a", "b", "c", "g", "h", "m", "n",
];

/// A letter for every symbol bound by a sum or a limit in `root`: its own name
/// when that is a plain ASCII word no free name (nor another bound index) uses,
/// else the first free letter of [`INDEX_LETTERS`] (then `k_{1}`, `k_{2}`, ...).
fn bound_names(store: &Store, root: ExprId) -> HashMap<Symbol, String> {
    let mut bound_order: Vec<Symbol> = Vec::new();
    let mut mentioned: Vec<Symbol> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        if !seen.insert(e) {
            continue;
        }
        match store.node(e) {
            Node::Sym(s) => mentioned.push(*s),
            Node::Sum { index: s, .. } | Node::Limit { var: s, .. } if !bound_order.contains(s) => {
                bound_order.push(*s);
            }
            Node::Apply(f, _) | Node::FnDeriv { func: f, .. } => {
                taken.insert(store.display_name(*f).to_string());
            }
            _ => {}
        }
        // children in reverse, so the first bound index met is the outermost, leftmost
        let mut children = store.children(e);
        children.reverse();
        stack.extend(children);
    }
    for s in mentioned.iter().filter(|s| !bound_order.contains(s)) {
        let name = store.display_name(*s);
        taken.insert(name.to_string());
        // `k_1` makes `k` look taken too
        if let Some((head, _)) = name.split_once('_') {
            taken.insert(head.to_string());
        }
    }
    let mut out = HashMap::new();
    let mut extra = 0;
    for s in bound_order {
        let own = store.display_name(s);
        let plain = !own.is_empty() && own.chars().all(|c| c.is_ascii_alphabetic());
        let letter = if plain && !taken.contains(own) {
            own.to_string()
        } else if let Some(l) = INDEX_LETTERS.iter().find(|l| !taken.contains(**l)) {
            l.to_string()
        } else {
            extra += 1;
            format!("k_{{{extra}}}")
        };
        taken.insert(letter.clone());
        out.insert(s, letter);
    }
    out
}

/// The LaTeX macro of a Greek letter or symbol nabla's names may hold.
fn symbol_macro(c: char) -> Option<&'static str> {
    Some(match c {
        'α' => "\\alpha",
        'β' => "\\beta",
        'γ' => "\\gamma",
        'δ' => "\\delta",
        'ε' => "\\varepsilon",
        'ϵ' => "\\epsilon",
        'ζ' => "\\zeta",
        'η' => "\\eta",
        'θ' => "\\theta",
        'ϑ' => "\\vartheta",
        'ι' => "\\iota",
        'κ' => "\\kappa",
        'λ' => "\\lambda",
        'μ' => "\\mu",
        'ν' => "\\nu",
        'ξ' => "\\xi",
        'π' => "\\pi",
        'ρ' => "\\rho",
        'σ' => "\\sigma",
        'ς' => "\\varsigma",
        'τ' => "\\tau",
        'υ' => "\\upsilon",
        'φ' | 'ϕ' => "\\phi",
        'χ' => "\\chi",
        'ψ' => "\\psi",
        'ω' => "\\omega",
        'Γ' => "\\Gamma",
        'Δ' => "\\Delta",
        'Θ' => "\\Theta",
        'Λ' => "\\Lambda",
        'Ξ' => "\\Xi",
        'Π' => "\\Pi",
        'Σ' => "\\Sigma",
        'Υ' => "\\Upsilon",
        'Φ' => "\\Phi",
        'Ψ' => "\\Psi",
        'Ω' => "\\Omega",
        'ℓ' => "\\ell",
        '∞' => "\\infty",
        '∂' => "\\partial",
        '∇' => "\\nabla",
        _ => return None,
    })
}

/// A name in ASCII LaTeX math: Greek letters as macros (a letter after one is
/// spaced off, so `\alpha x` never runs into `\alphax`), primes as `'`,
/// anything else outside ASCII as its code point (`\mathrm{u2603}`), never raw.
pub fn ascii_math(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphabetic() && out.ends_with(|p: char| p.is_ascii_alphabetic()) {
                // after a macro, a letter would lengthen its name
                let macro_end = out
                    .rfind('\\')
                    .is_some_and(|k| out[k + 1..].chars().all(|p| p.is_ascii_alphabetic()));
                if macro_end {
                    out.push(' ');
                }
            }
            out.push(c);
            continue;
        }
        match c {
            '′' => out.push('\''),
            '″' => out.push_str("''"),
            '‴' => out.push_str("'''"),
            c => match symbol_macro(c) {
                Some(m) => out.push_str(m),
                None => out.push_str(&format!("\\mathrm{{u{:04x}}}", c as u32)),
            },
        }
    }
    out
}

/// Prose for `\text{..}` in ASCII: math symbols go back into math (`$\neq$`),
/// Greek letters as macros, and TeX's special characters escaped.
pub fn ascii_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' | '$' | '%' | '&' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\textbackslash{}"),
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            '≠' => out.push_str("$\\neq$"),
            '≤' => out.push_str("$\\le$"),
            '≥' => out.push_str("$\\ge$"),
            '·' | '⋅' => out.push_str("$\\cdot$"),
            '−' => out.push('-'),
            '×' => out.push_str("$\\times$"),
            '→' => out.push_str("$\\to$"),
            '∈' => out.push_str("$\\in$"),
            '∉' => out.push_str("$\\notin$"),
            '≈' => out.push_str("$\\approx$"),
            '✓' => out.push_str("$\\surd$"),
            '✗' => out.push_str("$\\times$"),
            '…' => out.push_str("\\ldots{}"),
            '—' => out.push_str("---"),
            '–' => out.push_str("--"),
            '‘' | '’' | '′' => out.push('\''),
            '“' => out.push_str("``"),
            '”' => out.push_str("''"),
            c if c.is_ascii() => out.push(c),
            c => match symbol_macro(c) {
                Some(m) => out.push_str(&format!("${m}$")),
                None => out.push_str(&format!("\\textsf{{u{:04x}}}", c as u32)),
            },
        }
    }
    out
}

/// A name: `d_h` -> `d_{h}`, Greek letters as macros, a head of several
/// letters upright (`\mathrm{hs}`), a named value such as `softmax(oa)` as
/// the function applied (`\operatorname{softmax}\left(\mathrm{oa}\right)`).
pub fn latex_name(raw: &str) -> String {
    if let Some((function, rest)) = raw.split_once('(') {
        if let Some(inner) = rest.strip_suffix(')') {
            let args: Vec<String> = inner.split(',').map(|a| latex_name(a.trim())).collect();
            return format!("{}{}", function_name(function), paren(args.join(", ")));
        }
    }
    let (head, tail) = raw
        .split_once('_')
        .map_or((raw, None), |(h, t)| (h, Some(t)));
    // a name of several letters is written upright, so it reads back as one name
    let letters = head.chars().filter(|&c| c != '′').count();
    let head = if letters > 1 {
        format!("\\mathrm{{{}}}", ascii_math(head))
    } else {
        ascii_math(head)
    };
    match tail {
        Some(tail) => format!("{head}_{{{}}}", ascii_math(&tail.replace('_', ","))),
        None => head,
    }
}

/// The name of a function: one letter as it is (`f`), several as an operator
/// (`\operatorname{softmax}`), so a reader never takes it for a product.
fn function_name(name: &str) -> String {
    let mut chars = name.chars();
    let one_letter = chars.next().is_some() && chars.next().is_none();
    if one_letter {
        ascii_math(name)
    } else {
        format!("\\operatorname{{{}}}", ascii_math(name))
    }
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

    /// A symbol as written: a bound index by its letter, anything else by its name.
    fn symbol(&self, sym: Symbol) -> String {
        match self.bound.get(&sym) {
            Some(letter) => letter.clone(),
            None => latex_name(self.store.display_name(sym)),
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
            Node::Sym(sym) => (self.symbol(*sym), Prec::Atom),
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
                format!("{}{}", function_name(s.display_name(*f)), self.args(args)),
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
                    format!(
                        "{}{primes}{}",
                        function_name(s.display_name(*func)),
                        self.args(args)
                    ),
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
                    self.symbol(*index),
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
                        self.symbol(*var),
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
        // by the printed text, not the node: `1·log2(x)` prints as the log alone
        let log = b.starts_with("\\ln") || b.starts_with("\\log");
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

    #[test]
    fn names_are_ascii_and_upright() {
        for (raw, latex) in [
            ("x", "x"),
            ("d_h", "d_{h}"),
            ("hs", "\\mathrm{hs}"),
            ("W2", "\\mathrm{W2}"),
            ("τ", "\\tau"),
            ("ξ_ν", "\\xi_{\\nu}"),
            ("αβ", "\\mathrm{\\alpha\\beta}"),
            ("θ′", "\\theta'"),
            ("λx", "\\mathrm{\\lambda x}"),
            ("ℓ", "\\ell"),
            ("☃", "\\mathrm{u2603}"),
            (
                "softmax(oa)",
                "\\operatorname{softmax}\\left(\\mathrm{oa}\\right)",
            ),
        ] {
            assert_eq!(latex_name(raw), latex, "{raw}");
        }
        for (raw, text) in [
            ("x ≠ 0", "x $\\neq$ 0"),
            ("50% of σ_1", "50\\% of $\\sigma$\\_1"),
            ("a ✓ b", "a $\\surd$ b"),
        ] {
            assert_eq!(ascii_text(raw), text, "{raw}");
        }
    }

    #[test]
    fn bound_indices_get_letters_no_free_name_uses() {
        let mut s = Store::new();
        let (i, n) = (s.sym("i"), s.sym("n"));
        let a = s.symbol("A");
        let a = s.add(Node::Sym(a));
        // two sums whose index shows as `ι` (the canonical form's) and `i`
        let iota = s.symbol("ι#sum0#1#2");
        let iota_id = s.add(Node::Sym(iota));
        let entry = s.add(Node::Index(a, vec![i, iota_id].into()));
        let one = s.one();
        let inner = s.add(Node::Sum {
            index: iota,
            lower: one,
            upper: n,
            body: entry,
        });
        let bound_i = s.symbol("i#7");
        let bound_i_id = s.add(Node::Sym(bound_i));
        let outer = s.add(Node::Sum {
            index: bound_i,
            lower: one,
            upper: n,
            body: bound_i_id,
        });
        let both = s.sum(vec![inner, outer]);
        assert_eq!(
            to_latex(&s, both),
            "\\left(\\sum_{k=1}^{n} {A}_{i,k}\\right) + \\left(\\sum_{l=1}^{n} l\\right)"
        );
        // a plain letter no free name uses is kept
        let j = s.symbol("j#3");
        let j_id = s.add(Node::Sym(j));
        let sum_j = s.add(Node::Sum {
            index: j,
            lower: one,
            upper: n,
            body: j_id,
        });
        assert_eq!(to_latex(&s, sum_j), "\\sum_{j=1}^{n} j");
        // a function of several letters is an operator
        let f = s.symbol("softmax2");
        let x = s.sym("x");
        let fx = s.add(Node::Apply(f, vec![x].into()));
        assert_eq!(to_latex(&s, fx), "\\operatorname{softmax2}\\left(x\\right)");
    }
}
