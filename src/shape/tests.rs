//! Tests of net shapes, parameter counts, formulas and layer errors, on hand-built syntax trees.

use super::*;
use crate::expr::Node;
use crate::syntax::ast::{Arg, BinOp, Expr, ExprKind, Ident, Layer, Net};
use num_bigint::BigInt;
use num_rational::BigRational;

// ----- building syntax trees by hand (the parser is written elsewhere) -----

fn span() -> Span {
    Span::new(0, 0)
}

fn ident(name: &str) -> Ident {
    Ident {
        name: name.to_string(),
        span: span(),
    }
}

fn num(n: i64) -> Expr {
    Expr {
        kind: ExprKind::Number(BigRational::from_integer(BigInt::from(n))),
        span: span(),
    }
}

fn frac(n: i64, d: i64) -> Expr {
    Expr {
        kind: ExprKind::Number(BigRational::new(BigInt::from(n), BigInt::from(d))),
        span: span(),
    }
}

fn word(name: &str) -> Expr {
    Expr {
        kind: ExprKind::Ident(name.to_string()),
        span: span(),
    }
}

fn list(items: Vec<Expr>) -> Expr {
    Expr {
        kind: ExprKind::Vector(items),
        span: span(),
    }
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span: span(),
    }
}

fn named(name: &str, value: Expr) -> Arg {
    Arg {
        name: Some(ident(name)),
        value,
    }
}

/// `name = kind(args)`; the span is the layer's index so errors can be told apart.
fn layer(index: usize, name: &str, kind: &str, args: Vec<Arg>) -> Layer {
    Layer {
        name: ident(name),
        kind: ident(kind),
        args,
        span: Span::new(index * 10, index * 10 + 5),
    }
}

fn net(name: &str, input: Expr, layers: Vec<(&str, &str, Vec<Arg>)>) -> Net {
    Net {
        name: ident(name),
        args: vec![named("input", input)],
        layers: layers
            .into_iter()
            .enumerate()
            .map(|(i, (n, k, a))| layer(i + 1, n, k, a))
            .collect(),
    }
}

/// The lowering a test needs: numbers, names as symbols, arithmetic.
fn test_lower(store: &mut Store, expr: &Expr) -> Result<ExprId, Diagnostic> {
    match &expr.kind {
        ExprKind::Number(r) => Ok(store.num(r.clone())),
        ExprKind::Ident(name) => Ok(store.sym(name)),
        ExprKind::Neg(inner) => {
            let a = test_lower(store, inner)?;
            Ok(store.neg(a))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (test_lower(store, lhs)?, test_lower(store, rhs)?);
            Ok(match op {
                BinOp::Add => store.sum(vec![a, b]),
                BinOp::Sub => store.sub(a, b),
                BinOp::Mul => store.product(vec![a, b]),
                BinOp::Div => store.div(a, b),
                BinOp::Pow => store.pow(a, b),
                BinOp::Hadamard => return Err(Diagnostic::error(expr.span, "no ⊙ in sizes")),
            })
        }
        _ => Err(Diagnostic::error(expr.span, "not a size")),
    }
}

fn analyze(store: &mut Store, n: &Net) -> Result<NetShapes, Vec<Diagnostic>> {
    analyze_net(n, store, &mut test_lower)
}

fn texts(store: &Store, ids: &[ExprId]) -> Vec<String> {
    ids.iter().map(|&id| store.display(id)).collect()
}

fn int_of(store: &Store, id: ExprId) -> Option<i64> {
    use num_traits::ToPrimitive;
    match store.node(id) {
        Node::Num(r) if r.is_integer() => r.to_integer().to_i64(),
        _ => None,
    }
}

/// The seed's Q3 network.
fn seed_cnn() -> Net {
    net(
        "cnn",
        list(vec![num(3), num(128), num(128)]),
        vec![
            (
                "conv1",
                "conv2d",
                vec![
                    named("out", num(32)),
                    named("kernel", num(8)),
                    named("stride", num(2)),
                    named("padding", num(3)),
                ],
            ),
            (
                "pool1",
                "maxpool2d",
                vec![named("kernel", num(2)), named("stride", num(2))],
            ),
            (
                "conv2",
                "conv2d",
                vec![
                    named("out", num(64)),
                    named("kernel", num(3)),
                    named("padding", num(1)),
                ],
            ),
        ],
    )
}

#[test]
fn seed_q3_shapes_and_parameters() {
    let mut store = Store::new();
    let shapes = analyze(&mut store, &seed_cnn()).expect("the seed net is valid");
    let shape = |name| texts(&store, shapes.shape_of(name).expect("layer exists"));
    assert_eq!(shape("conv1"), ["32", "64", "64"]);
    assert_eq!(shape("pool1"), ["32", "32", "32"]);
    assert_eq!(shape("conv2"), ["64", "32", "32"]);
    assert_eq!(shape("input"), ["3", "128", "128"]);
    let params = |name, bias| int_of(&store, shapes.params_of(name, bias).expect("layer"));
    assert_eq!(params("conv2", Some(false)), Some(18432));
    assert_eq!(params("conv2", Some(true)), Some(18496));
    assert_eq!(params("conv2", None), Some(18496));
    assert_eq!(params("conv1", None), Some(32 * 3 * 8 * 8 + 32));
    assert_eq!(params("pool1", None), Some(0));
    assert_eq!(
        int_of(&store, shapes.total_params(None)),
        Some(6176 + 18496)
    );
    assert_eq!(
        int_of(&store, shapes.total_params(Some(false))),
        Some(6144 + 18432)
    );
    let conv1 = shapes.layer("conv1").expect("layer");
    assert_eq!(
        conv1.formulas[0].text,
        "⌊(128 + 2·3 − 1·(8 − 1) − 1)/2⌋ + 1 = 64"
    );
    assert_eq!(conv1.formulas[0].axis, "H");
    assert_eq!(conv1.formulas[1].axis, "W");
    assert_eq!(
        shapes.layer("pool1").expect("layer").formulas[0].text,
        "⌊(64 + 2·0 − 1·(2 − 1) − 1)/2⌋ + 1 = 32"
    );
    assert_eq!(int_of(&store, conv1.running_total), Some(6176));
    assert_eq!(
        int_of(&store, shapes.layer("conv2").expect("layer").running_total),
        Some(6176 + 18496)
    );
    assert!(shapes.requirements.is_empty());
    assert!(shapes.warnings.is_empty());
}

#[test]
fn summary_table_lists_every_layer_with_formulas() {
    let mut store = Store::new();
    let shapes = analyze(&mut store, &seed_cnn()).expect("valid");
    let table = summary_table(&store, &shapes);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "net cnn");
    assert!(
        lines[1].starts_with("Layer  Kind       Output shape   Params   Total  Output sizes"),
        "{table}"
    );
    assert!(table.contains("conv1  conv2d     [32, 64, 64]    6,176   6,176  H, W: ⌊(128 + 2·3 − 1·(8 − 1) − 1)/2⌋ + 1 = 64"), "{table}");
    assert!(table.contains("conv2  conv2d     [64, 32, 32]   18,496  24,672  H, W: ⌊(32 + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = 32"), "{table}");
    assert!(table.contains("Total params: 24,672"), "{table}");
    assert!(
        table.contains("Total params without bias: 24,576"),
        "{table}"
    );
}

#[test]
fn symbolic_mlp_parameters() {
    let mut store = Store::new();
    let mlp = net(
        "mlp",
        list(vec![word("d")]),
        vec![
            ("hidden", "linear", vec![named("out", word("d_h"))]),
            ("act", "softplus", vec![]),
            (
                "output",
                "linear",
                vec![named("in", word("d_h")), named("out", word("m"))],
            ),
        ],
    );
    let shapes = analyze(&mut store, &mlp).expect("valid");
    assert_eq!(
        texts(&store, shapes.shape_of("hidden").expect("layer")),
        ["d_h"]
    );
    assert_eq!(
        texts(&store, shapes.shape_of("output").expect("layer")),
        ["m"]
    );
    // d_h(d + 1) + m(d_h + 1), expanded: compare as polynomials
    let total = Size::from_expr(&store, shapes.total_params(None));
    let (d, dh, m) = (store.sym("d"), store.sym("d_h"), store.sym("m"));
    let (d, dh, m) = (Size::atom(d), Size::atom(dh), Size::atom(m));
    let one = Size::int(1);
    let expected = dh.mul(&d.add(&one)).add(&m.mul(&dh.add(&one)));
    assert_eq!(total, expected);
    let without = Size::from_expr(&store, shapes.total_params(Some(false)));
    assert_eq!(without, dh.mul(&d).add(&m.mul(&dh)));
    assert_eq!(
        store.display(shapes.params_of("hidden", None).expect("layer")),
        "d·d_h + d_h"
    );
}

#[test]
fn symbolic_conv_sizes_simplify() {
    let mut store = Store::new();
    let n = net(
        "sym",
        list(vec![word("c"), word("n"), word("n")]),
        vec![
            (
                "same",
                "conv2d",
                vec![
                    named("out", word("c")),
                    named("kernel", num(3)),
                    named("padding", num(1)),
                ],
            ),
            (
                "shrink",
                "conv2d",
                vec![named("out", num(8)), named("kernel", num(3))],
            ),
            (
                "halve",
                "conv2d",
                vec![
                    named("out", num(8)),
                    named("kernel", num(2)),
                    named("stride", num(2)),
                ],
            ),
        ],
    );
    let shapes = analyze(&mut store, &n).expect("valid");
    assert_eq!(
        texts(&store, shapes.shape_of("same").expect("layer")),
        ["c", "n", "n"]
    );
    assert_eq!(
        texts(&store, shapes.shape_of("shrink").expect("layer")),
        ["8", "n − 2", "n − 2"]
    );
    // ⌊(n − 2 − 2)/2⌋ + 1 = ⌊n/2⌋ − 1: the floor stays (n may be odd), the constant moves out
    let halve = texts(&store, shapes.shape_of("halve").expect("layer"));
    assert_eq!(halve[1], "floor(n/2) − 1");
    let same_layer = shapes.layer("same").expect("layer");
    assert_eq!(
        same_layer.formulas[0].text,
        "⌊(n + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = n"
    );
    // c input channels, c output channels, 3×3 kernel, bias
    assert_eq!(store.display(same_layer.params), "9·c^2 + c");
    // symbolic sizes that must be positive are handed back as conditions
    assert!(shapes
        .requirements
        .iter()
        .any(|r| r.layer == "shrink" && r.text.contains("= n − 2 ≥ 1")));
}

#[test]
fn floor_drops_when_the_stride_divides_the_variable_part() {
    let mut store = Store::new();
    let n = net(
        "even",
        list(vec![num(1), binary(BinOp::Mul, num(2), word("n"))]),
        vec![("pool", "maxpool1d", vec![named("kernel", num(2))])],
    );
    let shapes = analyze(&mut store, &n).expect("valid");
    assert_eq!(
        texts(&store, shapes.shape_of("pool").expect("layer")),
        ["1", "n"]
    );
}

#[test]
fn dilation_groups_and_padding_keywords() {
    let mut store = Store::new();
    let n = net(
        "misc",
        list(vec![num(16), num(32), num(20)]),
        vec![
            (
                "dil",
                "conv2d",
                vec![
                    named("out", num(32)),
                    named("kernel", list(vec![num(3), num(5)])),
                    named("dilation", num(2)),
                    named("groups", num(4)),
                    named("bias", word("false")),
                ],
            ),
            (
                "same",
                "conv2d",
                vec![
                    named("out", num(8)),
                    named("kernel", num(4)),
                    named("padding", word("same")),
                ],
            ),
            (
                "valid",
                "conv2d",
                vec![
                    named("out", num(8)),
                    named("kernel", num(3)),
                    named("padding", word("valid")),
                ],
            ),
        ],
    );
    let shapes = analyze(&mut store, &n).expect("valid");
    // H: ⌊(32 − 2·2 − 1)/1⌋ + 1 = 28; W: ⌊(20 − 2·4 − 1)/1⌋ + 1 = 12
    assert_eq!(
        texts(&store, shapes.shape_of("dil").expect("layer")),
        ["32", "28", "12"]
    );
    // weights 32 · (16/4) · 3 · 5 = 1920; bias = false
    let dil = shapes.layer("dil").expect("layer");
    assert_eq!(int_of(&store, dil.params), Some(1920));
    assert_eq!(int_of(&store, dil.params_with_bias), Some(1952));
    assert_eq!(
        texts(&store, shapes.shape_of("same").expect("layer")),
        ["8", "28", "12"]
    );
    assert_eq!(
        texts(&store, shapes.shape_of("valid").expect("layer")),
        ["8", "26", "10"]
    );
}

#[test]
fn pooling_ceil_mode_drops_a_window_starting_in_the_padding() {
    let mut store = Store::new();
    let n = net(
        "pools",
        list(vec![num(1), num(5), num(6)]),
        vec![
            // H: ⌈(5 + 2 − 2)/2⌉ + 1 = 4, but window 4 would start at 6 ≥ 5 + 1: 3
            // W: ⌈(6 + 2 − 2)/2⌉ + 1 = 4, start 6 < 6 + 1: kept
            (
                "ceil",
                "maxpool2d",
                vec![
                    named("kernel", num(2)),
                    named("padding", num(1)),
                    named("ceil_mode", word("true")),
                ],
            ),
            (
                "floor",
                "avgpool2d",
                vec![named("kernel", num(3)), named("stride", num(1))],
            ),
        ],
    );
    let shapes = analyze(&mut store, &n).expect("valid");
    assert_eq!(
        texts(&store, shapes.shape_of("ceil").expect("layer")),
        ["1", "3", "4"]
    );
    let ceil = shapes.layer("ceil").expect("layer");
    assert!(
        ceil.formulas[0].text.contains("right padding"),
        "{}",
        ceil.formulas[0].text
    );
    assert!(
        ceil.formulas[0].text.ends_with("so 4 − 1 = 3"),
        "{}",
        ceil.formulas[0].text
    );
    assert_eq!(
        ceil.formulas[1].text,
        "⌈(6 + 2·1 − 1·(2 − 1) − 1)/2⌉ + 1 = 4"
    );
    // avgpool has no dilation term: ⌊(3 + 2·0 − 3)/1⌋ + 1 = 1
    let floor = shapes.layer("floor").expect("layer");
    assert_eq!(floor.formulas[0].text, "⌊(3 + 2·0 − 3)/1⌋ + 1 = 1");
    assert_eq!(texts(&store, &floor.output), ["1", "1", "2"]);
}

#[test]
fn flatten_batchnorm_dropout_adaptive_and_activations() {
    let mut store = Store::new();
    let n = net(
        "tail",
        list(vec![num(64), num(7), num(9)]),
        vec![
            ("bn", "batchnorm2d", vec![named("features", num(64))]),
            ("act", "relu", vec![]),
            (
                "gap",
                "adaptive_avgpool",
                vec![named("output", list(vec![num(2), num(3)]))],
            ),
            ("drop", "dropout", vec![named("p", frac(1, 2))]),
            ("flat", "flatten", vec![]),
            (
                "fc",
                "linear",
                vec![named("in", num(384)), named("out", num(10))],
            ),
        ],
    );
    let shapes = analyze(&mut store, &n).expect("valid");
    assert_eq!(
        int_of(&store, shapes.params_of("bn", None).expect("layer")),
        Some(128)
    );
    assert_eq!(
        int_of(&store, shapes.params_of("bn", Some(false)).expect("layer")),
        Some(64)
    );
    assert_eq!(
        texts(&store, shapes.shape_of("gap").expect("layer")),
        ["64", "2", "3"]
    );
    assert_eq!(
        texts(&store, shapes.shape_of("flat").expect("layer")),
        ["384"]
    );
    assert_eq!(
        shapes.layer("flat").expect("layer").formulas[0].text,
        "64·2·3 = 384"
    );
    assert_eq!(
        int_of(&store, shapes.params_of("fc", None).expect("layer")),
        Some(3850)
    );
    assert_eq!(int_of(&store, shapes.total_params(None)), Some(128 + 3850));
    assert!(shapes.warnings.is_empty());
}

fn errors_of(n: &Net) -> Vec<Diagnostic> {
    let mut store = Store::new();
    match analyze(&mut store, n) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    }
}

#[test]
fn a_layer_with_no_output_names_layer_formula_and_numbers() {
    let n = net(
        "tiny",
        list(vec![num(3), num(4), num(4)]),
        vec![
            (
                "conv",
                "conv2d",
                vec![named("out", num(8)), named("kernel", num(5))],
            ),
            ("after", "relu", vec![]),
        ],
    );
    let errors = errors_of(&n);
    assert_eq!(errors.len(), 2, "{errors:?}"); // H and W
    assert_eq!(
        errors[0].message,
        "layer `conv` (conv2d): output size H is 0, which is not positive: ⌊(4 + 2·0 − 1·(5 − 1) − 1)/1⌋ + 1 = 0"
    );
    assert_eq!(errors[0].span, Span::new(10, 15));
}

#[test]
fn mismatched_linear_input_is_an_error() {
    let n = net(
        "mlp",
        list(vec![num(128)]),
        vec![
            ("fc1", "linear", vec![named("out", num(64))]),
            (
                "fc2",
                "linear",
                vec![named("in", num(32)), named("out", num(10))],
            ),
        ],
    );
    let errors = errors_of(&n);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .starts_with("layer `fc2` (linear): `in = 32` does not match the input"),
        "{}",
        errors[0].message
    );
    assert!(errors[0].message.contains("[64]"));
    assert_eq!(errors[0].span, Span::new(20, 25));
}

#[test]
fn fractional_and_invalid_arguments_are_errors() {
    let n = net(
        "bad",
        list(vec![num(3), frac(127, 2)]),
        vec![(
            "conv",
            "conv1d",
            vec![named("out", num(4)), named("kernel", num(3))],
        )],
    );
    let errors = errors_of(&n);
    assert!(
        errors[0]
            .message
            .contains("127/2 of net `bad` is not a positive whole number"),
        "{errors:?}"
    );

    let n = net(
        "bad",
        list(vec![num(3), num(10)]),
        vec![(
            "conv",
            "conv1d",
            vec![named("out", num(4)), named("kernel", frac(5, 2))],
        )],
    );
    let errors = errors_of(&n);
    assert_eq!(
        errors[0].message,
        "layer `conv` (conv1d): `kernel` = 5/2 is not a whole number"
    );

    let n = net(
        "bad",
        list(vec![num(6), num(10)]),
        vec![(
            "conv",
            "conv1d",
            vec![
                named("out", num(4)),
                named("kernel", num(3)),
                named("groups", num(4)),
            ],
        )],
    );
    let errors = errors_of(&n);
    assert_eq!(
        errors[0].message,
        "layer `conv` (conv1d): groups = 4 does not divide the 6 input channels"
    );

    let n = net(
        "bad",
        list(vec![num(6), num(10)]),
        vec![(
            "conv",
            "conv1d",
            vec![
                named("out", num(4)),
                named("kernel", num(3)),
                named("stride", num(2)),
                named("padding", word("same")),
            ],
        )],
    );
    assert!(errors_of(&n)[0]
        .message
        .contains("padding = same needs stride 1"));

    let n = net(
        "bad",
        list(vec![num(6), num(10)]),
        vec![(
            "pool",
            "maxpool1d",
            vec![named("kernel", num(2)), named("padding", num(2))],
        )],
    );
    assert!(errors_of(&n)[0]
        .message
        .contains("more than half the kernel"));

    let n = net(
        "bad",
        list(vec![num(6), num(10)]),
        vec![("drop", "dropout", vec![named("p", frac(3, 2))])],
    );
    assert!(errors_of(&n)[0]
        .message
        .contains("p = 3/2 is not between 0 and 1"));
}

#[test]
fn unknown_kinds_and_arguments_list_the_known_ones() {
    let n = net(
        "bad",
        list(vec![num(3), num(32), num(32)]),
        vec![
            ("c", "conv2", vec![]),
            (
                "p",
                "maxpool2d",
                vec![named("kernal", num(2)), named("kernel", num(2))],
            ),
            (
                "r",
                "relu",
                vec![Arg {
                    name: None,
                    value: num(1),
                }],
            ),
        ],
    );
    let errors = errors_of(&n);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(errors[0].message, "layer `c` has unknown kind `conv2`");
    assert!(errors[0].notes[0].starts_with("known kinds: conv1d, conv2d, conv3d, maxpool1d"));
    // later layers are still checked after a failed one
    assert_eq!(
        errors[1].message,
        "layer `p` (maxpool2d) has no argument `kernal`"
    );
    assert_eq!(
        errors[1].notes[0],
        "known arguments: kernel, stride, padding, dilation, ceil_mode"
    );
    assert!(errors[2].message.contains("arguments must be named"));
}

#[test]
fn rank_duplicates_and_missing_arguments() {
    let n = net(
        "bad",
        list(vec![num(3), num(32)]),
        vec![
            (
                "c",
                "conv2d",
                vec![named("out", num(8)), named("kernel", num(3))],
            ),
            ("c", "relu", vec![]),
            ("l", "linear", vec![]),
        ],
    );
    let errors = errors_of(&n);
    assert!(
        errors[0].message.contains(
            "conv2d expects a per-sample input [channels, h, w] of rank 3, got [3, 32] of rank 2"
        ),
        "{errors:?}"
    );
    assert!(errors
        .iter()
        .any(|e| e.message == "net `bad` has two layers named `c`"));
    assert!(errors
        .iter()
        .any(|e| e.message == "layer `l` (linear) needs the argument `out`"));
}

#[test]
fn linear_on_a_feature_map_warns() {
    let mut store = Store::new();
    let n = net(
        "w",
        list(vec![num(3), num(4), num(5)]),
        vec![("fc", "linear", vec![named("out", num(7))])],
    );
    let shapes = analyze(&mut store, &n).expect("legal in PyTorch");
    assert_eq!(
        texts(&store, shapes.shape_of("fc").expect("layer")),
        ["3", "4", "7"]
    );
    assert_eq!(shapes.warnings.len(), 1);
    assert!(shapes.warnings[0]
        .message
        .contains("is a `flatten` missing"));
}

#[test]
fn sizes_fold_and_floor_exactly() {
    let mut store = Store::new();
    let n = store.sym("n");
    let n = Size::atom(n);
    let seven = Size::int(7);
    assert_eq!(seven.floor_div(&Size::int(2), &mut store), Size::int(3));
    assert_eq!(
        Size::int(-7).floor_div(&Size::int(2), &mut store),
        Size::int(-4)
    );
    assert_eq!(
        Size::int(-7).ceil_div(&Size::int(2), &mut store),
        Size::int(-3)
    );
    // ⌊(4n + 5)/2⌋ = 2n + 2
    let p = n
        .scale(&BigRational::from_integer(4.into()))
        .add(&Size::int(5));
    let expected = n
        .scale(&BigRational::from_integer(2.into()))
        .add(&Size::int(2));
    assert_eq!(p.floor_div(&Size::int(2), &mut store), expected);
    // (n + 1)^2 expands
    let square = n.add(&Size::int(1)).pow(2);
    let id = square.to_expr(&mut store);
    assert_eq!(store.display(id), "n^2 + 2·n + 1");
    assert_eq!(Size::from_expr(&store, id), square);
}

#[test]
fn pooling_checks_follow_pytorch() {
    // (kind, input sizes, kernel, dilation, padding, expected error or None)
    type Case = (&'static str, Vec<i64>, i64, i64, i64, Option<&'static str>);
    let cases: [Case; 9] = [
        ("maxpool1d", vec![1, 10], 3, 1, 1, None),
        (
            "maxpool1d",
            vec![1, 10],
            2,
            3,
            2,
            Some("more than half the kernel 2"),
        ),
        (
            "maxpool2d",
            vec![1, 10, 10],
            3,
            2,
            2,
            Some("more than half the kernel 3"),
        ),
        (
            "maxpool3d",
            vec![1, 8, 8, 8],
            2,
            3,
            2,
            Some("more than half the kernel 2"),
        ),
        ("maxpool3d", vec![1, 8, 8, 8], 4, 1, 2, None),
        (
            "avgpool3d",
            vec![1, 2, 8, 8],
            3,
            1,
            1,
            Some("input size 2 on axis"),
        ),
        ("avgpool3d", vec![1, 3, 8, 8], 3, 1, 1, None),
        // 1-D and 2-D average pooling only need a positive output
        ("avgpool2d", vec![1, 2, 8], 3, 1, 1, None),
        ("avgpool1d", vec![1, 2], 3, 1, 1, None),
    ];
    for (kind, input, kernel, dilation, padding, expected) in cases {
        let mut args = vec![named("kernel", num(kernel)), named("padding", num(padding))];
        if kind.starts_with("max") {
            args.push(named("dilation", num(dilation)));
        }
        let n = net(
            "p",
            list(input.iter().map(|&k| num(k)).collect()),
            vec![("pool", kind, args)],
        );
        let errors = errors_of(&n);
        match expected {
            None => assert!(
                errors.is_empty(),
                "{kind} {input:?}: {:?}",
                errors[0].message
            ),
            Some(words) => assert!(
                errors.first().is_some_and(|e| e.message.contains(words)),
                "{kind} {input:?}: {:?}",
                errors.iter().map(|e| &e.message).collect::<Vec<_>>()
            ),
        }
    }
}
