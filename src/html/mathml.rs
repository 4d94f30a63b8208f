//! MathML from nabla's own reading of a claim or step (`syntax::ast::Expr`,
//! from a `.nabla` file or from the LaTeX reader), so the page shows what nabla
//! understood, not a second parser's guess.

use crate::syntax::ast::{BinOp, CmpOp, Expr, ExprKind, LimitPoint, Literal, RelOp};
use num_traits::Signed;

/// `lhs = rhs` (or `≈`) as a block `<math>` element.
pub fn relation(lhs: Option<&Expr>, op: RelOp, rhs: &Expr) -> String {
    let sign = match op {
        RelOp::Eq => "=",
        RelOp::Approx => "≈",
    };
    let left = lhs.map(|l| expr(l, Prec::Relation)).unwrap_or_default();
    format!(
        "<math displaystyle=\"true\"><mrow>{left}<mo>{sign}</mo>{}</mrow></math>",
        expr(rhs, Prec::Relation)
    )
}

/// One expression as an inline `<math>` element.
pub fn inline(e: &Expr) -> String {
    format!("<math><mrow>{}</mrow></math>", expr(e, Prec::Relation))
}

/// Escapes text for an element's content or an attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How tightly an expression binds, loosest first: a child looser than its
/// place needs parentheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Relation,
    Sum,
    Product,
    Power,
    Atom,
}

fn prec(e: &Expr) -> Prec {
    match &e.kind {
        ExprKind::Binary { op, .. } => match op {
            BinOp::Add | BinOp::Sub => Prec::Sum,
            BinOp::Mul | BinOp::Hadamard => Prec::Product,
            // a fraction bar groups both parts
            BinOp::Div => Prec::Atom,
            BinOp::Pow => Prec::Power,
        },
        ExprKind::Neg(_) => Prec::Sum,
        ExprKind::Compare { .. } | ExprKind::And(_) => Prec::Relation,
        ExprKind::Sum { .. }
        | ExprKind::Derivative { .. }
        | ExprKind::Grad { .. }
        | ExprKind::Limit { .. } => Prec::Product,
        ExprKind::Number(l) if l.value.is_negative() => Prec::Sum,
        _ => Prec::Atom,
    }
}

fn mo(op: &str) -> String {
    format!("<mo>{}</mo>", escape(op))
}

/// `inner` between fences, with no space inside them; they stretch only
/// around something tall (a fraction, a sum, cases), since a stretchy fence
/// around one line is drawn with gaps by browsers without a math font.
fn fenced(inner: String, open: &str, close: &str) -> String {
    let tall = ["<mfrac", "<munder", "<mtable", "<msqrt"]
        .iter()
        .any(|t| inner.contains(t));
    let stretchy = if tall { "true" } else { "false" };
    format!(
        "<mrow><mo fence=\"true\" stretchy=\"{stretchy}\" lspace=\"0\" rspace=\"0\">{}</mo>{inner}<mo fence=\"true\" stretchy=\"{stretchy}\" lspace=\"0\" rspace=\"0\">{}</mo></mrow>",
        escape(open),
        escape(close)
    )
}

fn expr(e: &Expr, place: Prec) -> String {
    let body = node(e);
    if prec(e) < place {
        fenced(body, "(", ")")
    } else {
        body
    }
}

/// A name: `d_h` as `d` with subscript `h`, Greek and primes as written.
fn name(raw: &str) -> String {
    match raw.split_once('_') {
        Some((head, tail)) if !head.is_empty() && !tail.is_empty() => format!(
            "<msub><mi>{}</mi><mrow>{}</mrow></msub>",
            escape(head),
            tail.split('_')
                .map(|t| format!("<mi>{}</mi>", escape(t)))
                .collect::<Vec<_>>()
                .join(&mo(","))
        ),
        _ => format!("<mi>{}</mi>", escape(raw)),
    }
}

fn number(l: &Literal) -> String {
    let v = &l.value;
    let sign = if v.is_negative() { "−" } else { "" };
    let m = v.abs();
    let digits = if m.is_integer() {
        m.numer().to_string()
    } else if l.decimals > 0 && l.decimals <= 60 {
        // the decimals written: the value times 10^decimals is an integer then
        let scaled = &m
            * num_rational::BigRational::from_integer(
                num_bigint::BigInt::from(10).pow(l.decimals as u32),
            );
        if scaled.is_integer() {
            let s = format!(
                "{:0>width$}",
                scaled.numer(),
                width = l.decimals as usize + 1
            );
            let (int, frac) = s.split_at(s.len() - l.decimals as usize);
            format!("{int}.{frac}")
        } else {
            return format!(
                "<mrow>{}<mfrac><mn>{}</mn><mn>{}</mn></mfrac></mrow>",
                if sign.is_empty() {
                    String::new()
                } else {
                    mo(sign)
                },
                m.numer(),
                m.denom()
            );
        }
    } else {
        return format!(
            "<mrow>{}<mfrac><mn>{}</mn><mn>{}</mn></mfrac></mrow>",
            if sign.is_empty() {
                String::new()
            } else {
                mo(sign)
            },
            m.numer(),
            m.denom()
        );
    };
    if sign.is_empty() {
        format!("<mn>{digits}</mn>")
    } else {
        format!("<mrow>{}<mn>{digits}</mn></mrow>", mo(sign))
    }
}

fn list(items: &[&Expr]) -> String {
    items
        .iter()
        .map(|e| expr(e, Prec::Relation))
        .collect::<Vec<_>>()
        .join(&mo(","))
}

fn node(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(l) => number(l),
        ExprKind::Ident(n) => name(n),
        ExprKind::Path(parts) => {
            let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
            format!("<mi>{}</mi>", escape(&names.join(".")))
        }
        ExprKind::Call { func, primes, args } => {
            let inner: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!(
                        "<mi>{}</mi>{}{}",
                        escape(&n.name),
                        mo("="),
                        expr(&a.value, Prec::Relation)
                    ),
                    None => expr(&a.value, Prec::Relation),
                })
                .collect();
            match (func.name.as_str(), args.len(), primes) {
                ("sqrt" | "√", 1, 0) => {
                    format!("<msqrt>{}</msqrt>", expr(&args[0].value, Prec::Relation))
                }
                ("abs", 1, 0) => fenced(expr(&args[0].value, Prec::Relation), "|", "|"),
                (f, ..) => {
                    let marks = "′".repeat(*primes as usize);
                    let head = if marks.is_empty() {
                        name(f)
                    } else {
                        format!("<msup>{}<mo>{marks}</mo></msup>", name(f))
                    };
                    format!(
                        "<mrow>{head}<mo>&#x2061;</mo>{}</mrow>",
                        fenced(inner.join(&mo(",")), "(", ")")
                    )
                }
            }
        }
        ExprKind::Subscript { base, indices } => {
            let idx: Vec<&Expr> = indices.iter().collect();
            format!(
                "<msub>{}<mrow>{}</mrow></msub>",
                expr(base, Prec::Atom),
                list(&idx)
            )
        }
        ExprKind::Binary { op, lhs, rhs } => binary(*op, lhs, rhs),
        ExprKind::Neg(x) => format!("<mrow>{}{}</mrow>", mo("−"), expr(x, Prec::Product)),
        ExprKind::Transpose(x) => format!("<msup>{}<mi>T</mi></msup>", expr(x, Prec::Atom)),
        ExprKind::Abs(x) => fenced(expr(x, Prec::Relation), "|", "|"),
        ExprKind::Norm(x) => fenced(expr(x, Prec::Relation), "‖", "‖"),
        ExprKind::Vector(xs) => {
            let items: Vec<&Expr> = xs.iter().collect();
            fenced(list(&items), "[", "]")
        }
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            let mut rows: Vec<String> = branches
                .iter()
                .map(|(value, condition)| {
                    format!(
                        "<mtr><mtd>{}</mtd><mtd><mtext>if&#xA0;</mtext>{}</mtd></mtr>",
                        expr(value, Prec::Relation),
                        expr(condition, Prec::Relation)
                    )
                })
                .collect();
            if let Some(o) = otherwise {
                rows.push(format!(
                    "<mtr><mtd>{}</mtd><mtd><mtext>otherwise</mtext></mtd></mtr>",
                    expr(o, Prec::Relation)
                ));
            }
            format!(
                "<mrow>{}<mtable columnalign=\"left\">{}</mtable></mrow>",
                mo("{"),
                rows.concat()
            )
        }
        ExprKind::Sum {
            index,
            lower,
            upper,
            body,
        } => {
            let under = match lower {
                Some(l) => format!(
                    "<mrow>{}{}{}</mrow>",
                    name(&index.name),
                    mo("="),
                    expr(l, Prec::Sum)
                ),
                None => name(&index.name),
            };
            let op = match upper {
                Some(u) => format!(
                    "<munderover><mo>∑</mo>{under}<mrow>{}</mrow></munderover>",
                    expr(u, Prec::Sum)
                ),
                None => format!("<munder><mo>∑</mo>{under}</munder>"),
            };
            format!("<mrow>{op}{}</mrow>", expr(body, Prec::Product))
        }
        ExprKind::Derivative { order, var, body } => {
            let (top, bottom) = if *order > 1 {
                (
                    format!("<msup><mi>d</mi><mn>{order}</mn></msup>"),
                    format!(
                        "<mrow><mi>d</mi><msup>{}<mn>{order}</mn></msup></mrow>",
                        expr(var, Prec::Atom)
                    ),
                )
            } else {
                (
                    "<mi>d</mi>".to_string(),
                    format!("<mrow><mi>d</mi>{}</mrow>", expr(var, Prec::Atom)),
                )
            };
            format!(
                "<mrow><mfrac>{top}{bottom}</mfrac>{}</mrow>",
                expr(body, Prec::Power)
            )
        }
        ExprKind::Grad { var, body } => format!(
            "<mrow><msub><mo>∇</mo>{}</msub>{}</mrow>",
            expr(var, Prec::Atom),
            expr(body, Prec::Power)
        ),
        ExprKind::Limit { var, to, body } => {
            let target = match to {
                LimitPoint::PosInf => "<mi>∞</mi>".to_string(),
                LimitPoint::NegInf => format!("<mrow>{}<mi>∞</mi></mrow>", mo("−")),
                LimitPoint::Finite(p) => expr(p, Prec::Sum),
            };
            format!(
                "<mrow><munder><mo>lim</mo><mrow>{}{}{target}</mrow></munder>{}</mrow>",
                name(&var.name),
                mo("→"),
                expr(body, Prec::Product)
            )
        }
        ExprKind::Compare { op, lhs, rhs } => {
            let sign = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "≤",
                CmpOp::Gt => ">",
                CmpOp::Ge => "≥",
                CmpOp::Eq => "=",
                CmpOp::Ne => "≠",
            };
            format!(
                "<mrow>{}{}{}</mrow>",
                expr(lhs, Prec::Sum),
                mo(sign),
                expr(rhs, Prec::Sum)
            )
        }
        ExprKind::And(parts) => {
            let items: Vec<String> = parts.iter().map(|p| expr(p, Prec::Sum)).collect();
            format!("<mrow>{}</mrow>", items.join(&mo("∧")))
        }
    }
}

fn binary(op: BinOp, lhs: &Expr, rhs: &Expr) -> String {
    match op {
        BinOp::Add => format!(
            "<mrow>{}{}{}</mrow>",
            expr(lhs, Prec::Sum),
            mo("+"),
            expr(rhs, Prec::Product)
        ),
        BinOp::Sub => format!(
            "<mrow>{}{}{}</mrow>",
            expr(lhs, Prec::Sum),
            mo("−"),
            expr(rhs, Prec::Product)
        ),
        BinOp::Mul | BinOp::Hadamard => {
            // `2x` and `W h` as written; `·` only between two numbers
            let numbers = matches!(rhs.kind, ExprKind::Number(_));
            let sign = match op {
                BinOp::Hadamard => mo("⊙"),
                _ if numbers => mo("·"),
                _ => "<mo>&#x2062;</mo>".to_string(),
            };
            // `−k x` reads as it is meant: a negation first in a product needs no parentheses
            let left = match lhs.kind {
                ExprKind::Neg(_) => node(lhs),
                _ => expr(lhs, Prec::Product),
            };
            format!("<mrow>{left}{sign}{}</mrow>", expr(rhs, Prec::Power))
        }
        BinOp::Div => format!(
            "<mfrac><mrow>{}</mrow><mrow>{}</mrow></mfrac>",
            expr(lhs, Prec::Relation),
            expr(rhs, Prec::Relation)
        ),
        BinOp::Pow => format!(
            "<msup>{}<mrow>{}</mrow></msup>",
            expr(lhs, Prec::Atom),
            expr(rhs, Prec::Relation)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_expr;
    use num_traits::Zero;

    #[test]
    fn expressions_become_mathml() {
        for (text, mathml) in [
            ("x", "<mi>x</mi>"),
            ("d_h", "<msub><mi>d</mi><mrow><mi>h</mi></mrow></msub>"),
            ("2.50", "<mn>2.50</mn>"),
            ("a/b", "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>"),
            (
                "(a + b)^2",
                "<msup><mrow><mo>(</mo><mrow><mi>a</mi><mo>+</mo><mi>b</mi></mrow><mo>)</mo></mrow><mrow><mn>2</mn></mrow></msup>",
            ),
            (
                "a - (b - c)",
                "<mrow><mi>a</mi><mo>−</mo><mrow><mo>(</mo><mrow><mi>b</mi><mo>−</mo><mi>c</mi></mrow><mo>)</mo></mrow></mrow>",
            ),
            (
                "σ(x)",
                "<mrow><mi>σ</mi><mo>&#x2061;</mo><mrow><mo>(</mo><mi>x</mi><mo>)</mo></mrow></mrow>",
            ),
            ("x < 1", "<mrow><mi>x</mi><mo>&lt;</mo><mn>1</mn></mrow>"),
        ] {
            let e = parse_expr(text).expect("parses");
            let fence = |c: &str| {
                format!("<mo fence=\"true\" stretchy=\"false\" lspace=\"0\" rspace=\"0\">{c}</mo>")
            };
            let mathml = mathml
                .replace("<mo>(</mo>", &fence("("))
                .replace("<mo>)</mo>", &fence(")"));
            assert_eq!(node(&e), mathml, "{text}");
        }
    }

    #[test]
    fn zero_is_a_number() {
        let e = parse_expr("0").expect("parses");
        assert!(matches!(&e.kind, ExprKind::Number(l) if l.value.is_zero()));
        assert_eq!(node(&e), "<mn>0</mn>");
    }
}
