//! Table tests of the tensor rooms of the reader: shapes worked out from the
//! text, abstract losses, case variants, layouts and when a chain is about tensors.

use super::*;
use crate::latex::chain::{Skip, SkipReason};
use crate::latex::lex::tokenize;
use crate::latex::parse::{parse_expression, Context};
use crate::span::Span;
use crate::syntax::ast::{Ident, RelOp};

fn latex(text: &str) -> Expr {
    let toks = tokenize(text, 0);
    parse_expression(&toks, &Context::default()).expect("readable LaTeX")
}

/// `name: size x size` entries, `name := latex` definitions.
fn shapes(decls: &[(&str, &[&str])]) -> Vec<ShapeDecl> {
    decls
        .iter()
        .map(|(name, sizes)| ShapeDecl {
            name: name.to_string(),
            sizes: sizes.iter().map(|s| latex(s)).collect(),
        })
        .collect()
}

fn defs(list: &[(&str, &str)]) -> Vec<TextDef> {
    list.iter()
        .map(|(name, body)| TextDef {
            name: Ident {
                name: name.to_string(),
                span: Span::default(),
            },
            params: Vec::new(),
            body: latex(body),
        })
        .collect()
}

fn chain(parts: &[&str], definitions: &[(&str, &str)], stated: &[(&str, &[&str])]) -> Chain {
    Chain {
        name: "test".into(),
        parts: parts.iter().map(|p| latex(p)).collect(),
        ops: vec![RelOp::Eq; parts.len().saturating_sub(1)],
        definitions: defs(definitions),
        conditions: Vec::new(),
        context: Vec::new(),
        assumptions: Vec::new(),
        one_hot: Vec::new(),
        log_unsettled: false,
        shapes: shapes(stated),
    }
}

fn shown(sizes: Option<Vec<Expr>>) -> Option<String> {
    sizes.map(|s| {
        s.iter()
            .map(|e| match &e.kind {
                ExprKind::Ident(n) => n.clone(),
                ExprKind::Number(n) => n.value.to_string(),
                _ => "?".into(),
            })
            .collect::<Vec<_>>()
            .join("×")
    })
}

const LAYER: &[(&str, &[&str])] = &[("x", &["n"]), ("W", &["m", "n"]), ("b", &["m"]), ("c", &[])];

#[test]
fn sizes_are_read_from_statements_and_definitions() {
    let definitions = defs(&[("z", "W x + b"), ("a", "\\sigma(z)"), ("r", "x^T x")]);
    let side = SideFile::default();
    let cases: &[(&str, Option<&str>)] = &[
        ("x", Some("n")),
        ("W", Some("m×n")),
        ("c", Some("")),
        ("3", Some("")),
        ("W x", Some("m")),
        ("W x + b", Some("m")),
        ("c W x - b", Some("m")),
        ("\\tanh(W x) \\odot b", Some("m")),
        ("z", Some("m")),
        ("a", Some("m")),
        ("\\text{softmax}(z)", Some("m")),
        ("(W x) / c", Some("m")),
        // sizes that do not fit, and what is not read
        ("W b", None),
        ("x + b", None),
        ("x^T", None),
        ("r", None),
        ("q", None),
    ];
    for (text, want) in cases {
        let got = shown(sizes_of_expr(
            &latex(text),
            &shapes(LAYER),
            &definitions,
            &side,
            0,
        ));
        assert_eq!(got.as_deref(), *want, "{text}");
    }
}

#[test]
fn a_definition_that_refers_to_itself_has_no_size() {
    let side = SideFile::default();
    let looping = defs(&[("p", "q + 1"), ("q", "p + 1")]);
    assert_eq!(
        sizes_of_name("p", &[], &looping, &side, 0).map(|s| s.len()),
        None
    );
}

#[test]
fn the_left_sides_of_unreadable_formulas_are_names() {
    let text = "$\\mathcal{L} = \\foo$ and $L(\\hat y, y) = \\bar$ and $\\ell = \\baz$ and $x + 1$";
    let span = |from: &str, to: &str| {
        let start = text.find(from).expect("in text") + 1;
        let end = text[start..].find(to).expect("in text") + start + to.len();
        Span {
            start: start as u32,
            end: end as u32,
        }
    };
    let unreadable = |s: Span| Skip {
        span: s,
        reason: SkipReason::Unreadable("no".into()),
        equalities: 1,
    };
    let skipped = vec![
        unreadable(span("$\\mathcal", "\\foo")),
        unreadable(span("$L(", "\\bar")),
        unreadable(span("$\\ell", "\\baz")),
        // no `=`: nothing is defined
        unreadable(span("$x", "1")),
        // read, so not listed
        Skip {
            span: span("$L(", "\\bar"),
            reason: SkipReason::Definition,
            equalities: 1,
        },
    ];
    assert_eq!(unread_left_sides(&skipped, text), vec!["L", "L", "ℓ"]);
}

/// A chain's parts, the text's definitions, another chain's first part, and the
/// name `L` is defined from (`None`: it stays undefined).
type LossCase<'a> = (
    &'a [&'a str],
    &'a [(&'a str, &'a str)],
    &'a [&'a str],
    Option<&'a str>,
);

#[test]
fn a_loss_the_text_never_defines_is_a_linear_function_of_its_anchor() {
    let layer: &[(&str, &str)] = &[("z", "W x + b"), ("a", "\\sigma(z)")];
    let side = SideFile::default();
    // (parts, definitions, what L is defined as: None when it stays undefined)
    let cases: &[LossCase] = &[
        // the anchor is `a`: the only name whose definition reaches every other one
        (
            &[
                "\\frac{\\partial L}{\\partial z}",
                "\\frac{\\partial L}{\\partial a} \\odot \\sigma'(z)",
            ],
            layer,
            &[],
            Some("a"),
        ),
        // every chain of the document counts: `W` alone is led to `a` by the other chain
        (
            &["\\frac{\\partial L}{\\partial W}", "\\delta x^T"],
            layer,
            &["\\frac{\\partial L}{\\partial a}"],
            Some("a"),
        ),
        // entries are derivatives by their matrix
        (
            &["\\frac{\\partial L}{\\partial W_{ij}}", "x_j"],
            layer,
            &["\\nabla_a L"],
            Some("a"),
        ),
        // a name used otherwise is no abstract loss
        (&["\\frac{\\partial L}{\\partial a}", "L"], layer, &[], None),
        // two names neither of which leads to the other: no single anchor
        (
            &[
                "\\frac{\\partial L}{\\partial a}",
                "\\frac{\\partial L}{\\partial y}",
            ],
            layer,
            &[],
            None,
        ),
        // a second derivative is not a first-order use
        (
            &["\\frac{\\partial^2 L}{\\partial a^2}", "0"],
            layer,
            &[],
            None,
        ),
    ];
    for (parts, definitions, other, want) in cases {
        let mut chains = vec![
            chain(
                parts,
                definitions,
                &[("x", &["n"]), ("W", &["m", "n"]), ("b", &["m"])],
            ),
            chain(
                &[other.first().copied().unwrap_or("0"), "0"],
                definitions,
                &[],
            ),
        ];
        abstract_losses(&mut chains, &side, &[]);
        let loss = chains[0].definitions.iter().find(|d| d.name.name == "L");
        let anchor = loss.map(|d| {
            names(&d.body)
                .into_iter()
                .filter(|n| !n.starts_with('∂'))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            anchor.as_ref().map(|a| a.join(",")).as_deref(),
            *want,
            "{parts:?}"
        );
        if let Some(d) = loss {
            let upstream = chains[0].shapes.iter().find(|s| s.name.starts_with('∂'));
            assert_eq!(
                upstream.map(|s| s.name.as_str()),
                Some("∂L/∂a"),
                "{parts:?}"
            );
            assert!(matches!(
                d.body.kind,
                ExprKind::Binary { op: BinOp::Mul, .. }
            ));
        }
    }
}

#[test]
fn a_loss_is_not_abstract_where_the_text_may_define_it() {
    let layer: &[(&str, &str)] = &[("z", "W x + b")];
    let side = SideFile::default();
    let stated: &[(&str, &[&str])] = &[("x", &["n"]), ("W", &["m", "n"]), ("b", &["m"])];
    let fresh = || {
        vec![chain(
            &[
                "\\frac{\\partial L}{\\partial z}",
                "\\frac{\\partial L}{\\partial b}",
            ],
            layer,
            stated,
        )]
    };
    // as read: defined as gᵀz
    let mut chains = fresh();
    abstract_losses(&mut chains, &side, &[]);
    assert!(chains[0].definitions.iter().any(|d| d.name.name == "L"));
    // an unreadable `L = ...` may define it
    let mut chains = fresh();
    abstract_losses(&mut chains, &side, &["L".to_string()]);
    assert!(!chains[0].definitions.iter().any(|d| d.name.name == "L"));
    // the text defines it
    let mut chains = fresh();
    chains[0].definitions.extend(defs(&[("L", "z^T z")]));
    let before = chains[0].definitions.len();
    abstract_losses(&mut chains, &side, &[]);
    assert_eq!(chains[0].definitions.len(), before);
    // the anchor's size cannot be read: left alone
    let mut chains = vec![chain(
        &["\\frac{\\partial L}{\\partial z}", "0"],
        layer,
        &[],
    )];
    abstract_losses(&mut chains, &side, &[]);
    assert!(!chains[0].definitions.iter().any(|d| d.name.name == "L"));
}

#[test]
fn chains_about_tensors_are_told_from_chains_about_numbers() {
    let side = SideFile::default();
    let cases: &[(&[&str], bool)] = &[
        (&["x^T W", "0"], true),
        (&["a \\odot b", "0"], true),
        (&["\\text{diag}(b)", "0"], true),
        (&["\\frac{\\partial L}{\\partial W}", "0"], true),
        // an entry stands for its vector
        (&["\\frac{\\partial L}{\\partial b_k}", "0"], true),
        (&["\\frac{d}{dc} c^2", "2c"], false),
        (&["x + 1", "1 + x"], false),
    ];
    for (parts, want) in cases {
        let c = chain(parts, &[], LAYER);
        assert_eq!(tensor_flavoured(&c, &[], &side, false), *want, "{parts:?}");
    }
}

#[test]
fn gradients_by_whole_matrices_are_transposed_in_the_numerator_layout() {
    let side = SideFile::default();
    let cases: &[(&str, &[&str])] = &[
        ("\\frac{\\partial L}{\\partial W}", &["W"]),
        ("\\nabla_W L + \\frac{\\partial L}{\\partial b}", &["W"]),
        ("\\frac{\\partial L}{\\partial W_{ij}}", &[]),
        ("\\frac{\\partial L}{\\partial x}", &[]),
    ];
    for (text, want) in cases {
        let c = chain(&[text, "0"], &[], LAYER);
        let found = matrix_gradients(&c, &side);
        assert_eq!(
            found.iter().map(String::as_str).collect::<Vec<_>>(),
            *want,
            "{text}"
        );
        let flipped = numerator_layout(&c, &found);
        let transposed = matches!(&flipped.parts[0].kind, ExprKind::Transpose(_))
            || matches!(&flipped.parts[0].kind, ExprKind::Binary { lhs, .. } if matches!(lhs.kind, ExprKind::Transpose(_)));
        assert_eq!(transposed, !want.is_empty(), "{text}");
    }
}

#[test]
fn a_matrix_written_in_both_cases_is_one_matrix() {
    let mut chains = vec![
        chain(&["w_{kj}", "0"], &[], &[]),
        chain(&["W h", "0"], &[], &[("W", &["m", "d"])]),
        // a vector `x` and a data matrix `X` stay apart
        chain(&["x_j", "X_{ij}"], &[], &[]),
    ];
    join_case_variants(&mut chains);
    let written = |c: &Chain| names(&c.parts[0]).into_iter().collect::<Vec<_>>();
    assert!(
        written(&chains[0]).contains(&"W".to_string()),
        "{:?}",
        written(&chains[0])
    );
    assert!(chains[0].context.iter().any(|c| c.contains("one matrix")));
    assert!(written(&chains[2]).contains(&"x".to_string()));
    assert!(chains[2].context.is_empty());
}

/// What `question_shapes` gives a chain: the shapes carried, and the names whose
/// carried shape is only assumed.
fn carried(chain: &Chain) -> (Vec<String>, Vec<String>) {
    let shapes = chain
        .shapes
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d.name,
                shown(Some(d.sizes.clone())).unwrap_or_default()
            )
        })
        .collect();
    let assumed = chain
        .assumptions
        .iter()
        .filter_map(|a| a.text.split('`').nth(1).map(str::to_string))
        .collect();
    (shapes, assumed)
}

#[test]
fn shapes_from_earlier_sub_parts_carry_when_the_question_never_restates_them() {
    let parts: &[&str] = &["\\frac{\\partial L}{\\partial h_j}", "w_{jj}"];
    let definitions: &[(&str, &str)] = &[("L", "u^T W h")];
    // (the question's statements, the shapes carried, the names only assumed)
    type Statements<'a> = &'a [(&'a str, &'a [&'a str])];
    let cases: &[(Statements, &[&str], &[&str])] = &[
        // one statement each: carried as the text's own, `w_{jj}` for `W` included
        (
            &[("h", &["n"]), ("u", &["m"]), ("W", &["m", "n"])],
            &["W:m×n", "h:n", "u:m"],
            &[],
        ),
        // `W` stated a number first: written only as entries, it is the matrix;
        // `u`, reached through `L`, keeps its latest shape as an assumption
        (
            &[
                ("h", &["n"]),
                ("W", &[]),
                ("u", &[]),
                ("W", &["m", "n"]),
                ("u", &["m"]),
            ],
            &["W:m×n", "h:n", "u:m"],
            &["u"],
        ),
        // `h` written as an entry, stated with two sizes: the reader's reading stays
        (&[("h", &["n"]), ("h", &["m"])], &[], &[]),
        // a column written `n \times 1` is the vector stated `\mathbb{R}^n`
        (&[("h", &["n", "1"]), ("h", &["n"])], &["h:n"], &[]),
    ];
    for (question, want, assumed) in cases {
        let mut c = chain(parts, definitions, &[]);
        question_shapes(&mut c, &shapes(question), &SideFile::default());
        let (got, got_assumed) = carried(&c);
        let mut got = got;
        got.sort();
        assert_eq!(got, *want, "{question:?}");
        assert_eq!(got_assumed, *assumed, "{question:?}");
    }
    let mut c = chain(
        &["\\frac{\\partial L}{\\partial h_j}", "h_{jk}"],
        definitions,
        &[],
    );
    question_shapes(&mut c, &shapes(&[("h", &["n"])]), &SideFile::default());
    assert!(carried(&c).0.is_empty(), "{:?}", carried(&c));
}
