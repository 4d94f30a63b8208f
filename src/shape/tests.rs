//! Tests of net shapes, parameter counts, formulas and layer errors, on hand-built syntax trees.

use super::*;
use crate::expr::Node;
use crate::syntax::ast::{Arg, BinOp, Expr, ExprKind, Ident, Layer, Literal, Net};
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
        kind: ExprKind::Number(Literal::integer_places(BigRational::from_integer(
            BigInt::from(n),
        ))),
        span: span(),
    }
}

fn frac(n: i64, d: i64) -> Expr {
    Expr {
        kind: ExprKind::Number(Literal::integer_places(BigRational::new(
            BigInt::from(n),
            BigInt::from(d),
        ))),
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
        ExprKind::Number(n) => Ok(store.num(n.value.clone())),
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
    // torchinfo's layout: mult-adds of a convolution are its parameters once per
    // output position (6,176 · 64 · 64), `--` where there are none
    let expected = "\
net cnn
Layer (type)       Output shape   Param #   Mult-adds  Output sizes and counts
─────────────────────────────────────────────────────────────────────────────────────────────────────
input              [3, 128, 128]       --          --
conv1 (conv2d)     [32, 64, 64]     6,176  25,296,896  H, W: ⌊(128 + 2·3 − 1·(8 − 1) − 1)/2⌋ + 1 = 64
pool1 (maxpool2d)  [32, 32, 32]        --          --  H, W: ⌊(64 + 2·0 − 1·(2 − 1) − 1)/2⌋ + 1 = 32
conv2 (conv2d)     [64, 32, 32]    18,496  18,939,904  H, W: ⌊(32 + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = 32
─────────────────────────────────────────────────────────────────────────────────────────────────────
Total params: 24,672
Trainable params: 24,672
Non-trainable params: 0
Total mult-adds: 44,236,800
Total params without bias: 24,576
";
    assert_eq!(table, expected);
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

// ----- layers of today's networks, written as text -----

/// Parses `net NAME(input = ...):` and its layers.
fn parse_net(text: &str) -> Net {
    let parsed = crate::syntax::parse_file(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed
        .file
        .items
        .into_iter()
        .find_map(|item| match item.kind {
            crate::syntax::ast::ItemKind::Net(n) => Some(n),
            _ => None,
        })
        .expect("a net")
}

/// `(params, params without bias, output shape, mult-adds)` of the last layer.
fn last_layer(input: &str, layer: &str) -> (String, String, String, String) {
    let mut store = Store::new();
    let n = parse_net(&format!("net t(input = {input}):\n  x = {layer}\n"));
    let shapes = analyze(&mut store, &n).unwrap_or_else(|e| panic!("{layer}: {e:?}"));
    assert!(shapes.warnings.is_empty(), "{layer}: {:?}", shapes.warnings);
    let l = shapes.layer("x").expect("layer");
    (
        store.display(l.params),
        store.display(l.params_without_bias),
        format!("[{}]", texts(&store, &l.output).join(", ")),
        store.display(l.mult_adds),
    )
}

#[test]
fn parameter_counts_follow_pytorch() {
    // (input, layer, params, without bias, output, mult-adds); the counts by hand:
    // attention 4·8² + 4·8 with d = 8; lstm 4·6·(4 + 6) + 2·4·6 with H = 6, in = 4
    let cases = [
        ("[5, 8]", "layernorm", "16", "8", "[5, 8]", "16"),
        ("[5, 8]", "layernorm(features = 8, bias = false)", "8", "8", "[5, 8]", "8"),
        ("[5, 8]", "layernorm(elementwise_affine = false)", "0", "0", "[5, 8]", "0"),
        ("[5, 8]", "rmsnorm", "8", "8", "[5, 8]", "8"),
        ("[5, 8]", "layernorm(normalized_shape = [5, 8])", "80", "40", "[5, 8]", "80"),
        ("[5, 8]", "rmsnorm(features = [8])", "8", "8", "[5, 8]", "8"),
        ("[5]", "embedding(num = 10, dim = 4)", "40", "40", "[5, 4]", "40"),
        ("[5, 8]", "multihead_attention(heads = 2)", "288", "256", "[5, 8]", "1152"),
        ("[5, 8]", "multihead_attention(heads = 2, bias = false)", "256", "256", "[5, 8]", "1024"),
        ("[5, 8]", "multihead_attention(heads = 2, kdim = 3, vdim = 5)", "224", "192", "[5, 8]", "832"),
        ("[5, 8]", "multihead_attention(heads = 2, add_bias_kv = true)", "304", "272", "[5, 8]", "1232"),
        ("[5, 8]", "transformer_encoder_layer(heads = 2, feedforward = 16)", "600", "528", "[5, 8]", "1464"),
        ("[5, 8]", "transformer_encoder_layer(nhead = 2, dim_feedforward = 16, norm_first = true, activation = gelu)", "600", "528", "[5, 8]", "1464"),
        ("[5, 8]", "transformer_encoder_layer(heads = 2, feedforward = 16, bias = false)", "528", "528", "[5, 8]", "1296"),
        ("[5, 8]", "transformer_encoder(layers = 3, heads = 2, feedforward = 16)", "1800", "1584", "[5, 8]", "4392"),
        ("[5, 4]", "lstm(hidden = 6)", "288", "240", "[5, 6]", "1440"),
        ("[5, 4]", "lstm(input_size = 4, hidden_size = 6, bias = false)", "240", "240", "[5, 6]", "1200"),
        ("[5, 4]", "lstm(hidden = 6, layers = 2, bidirectional = true)", "1536", "1344", "[5, 12]", "7680"),
        ("[5, 4]", "lstm(hidden = 6, proj = 2)", "204", "156", "[5, 2]", "1020"),
        ("[5, 4]", "gru(hidden = 6)", "216", "180", "[5, 6]", "1080"),
        ("[5, 4]", "gru(hidden = 6, bidirectional = true)", "432", "360", "[5, 12]", "2160"),
        ("[5, 4]", "rnn(hidden = 6, nonlinearity = relu)", "72", "60", "[5, 6]", "360"),
        ("[5, 4]", "batchnorm1d", "10", "5", "[5, 4]", "10"),
        ("[5, 4]", "select(dim = 1, index = -1)", "0", "0", "[5]", "0"),
        ("[5, 4]", "linear(out = 3)", "15", "12", "[5, 3]", "15"),
        ("[4, 10]", "conv1d(out = 2, kernel = 3)", "26", "24", "[2, 8]", "208"),
        ("[L, d]", "multihead_attention(heads = 1)", "4·d^2 + 4·d", "4·d^2", "[L, d]", "3·L·d^2 + 3·L·d + d^2 + d"),
        ("[L, d]", "gru(hidden = h)", "3·d·h + 3·h^2 + 6·h", "3·d·h + 3·h^2", "[L, h]", "3·L·d·h + 3·L·h^2 + 6·L·h"),
        ("[L]", "embedding(num = n, dim = d)", "n·d", "n·d", "[L, d]", "n·d"),
    ];
    for (input, layer, params, weights, output, mult_adds) in cases {
        let got = last_layer(input, layer);
        let expected = (
            params.to_string(),
            weights.to_string(),
            output.to_string(),
            mult_adds.to_string(),
        );
        assert_eq!(got, expected, "{layer} on {input}");
    }
}

/// The messages of a net that does not analyze.
fn messages(text: &str) -> Vec<String> {
    let mut store = Store::new();
    match analyze(&mut store, &parse_net(text)) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.message).collect(),
    }
}

#[test]
fn new_layer_errors_name_the_layer_and_the_numbers() {
    let cases = [
        ("net n(input = [3, 8, 8]):\n  c = conv2d(out = 4, kernel = 3)\n  s = add(skip = input)\n",
            "layer `s` (add): cannot add the output of `input`, [3, 8, 8], to the input [4, 6, 6]: the shapes differ"),
        ("net n(input = [5, 8]):\n  s = add(skip = later)\n  later = relu\n",
            "layer `s` (add): `skip = later` names no earlier layer"),
        ("net n(input = [5, 8]):\n  a = relu(from = nowhere)\n",
            "layer `a` (relu): `from = nowhere` names no earlier layer"),
        ("net n(input = [5, 8]):\n  a = relu(from = 3)\n",
            "layer `a` (relu): `from` must be the name of a layer or `input`"),
        ("net n(input = [5, 8]):\n  a = relu(trainable = maybe)\n",
            "layer `a` (relu): `trainable` must be `true` or `false`"),
        ("net n(input = [5, 10]):\n  a = multihead_attention(heads = 3)\n",
            "layer `a` (multihead_attention): embed_dim 10 is not divisible by num_heads 3 (PyTorch: embed_dim must be divisible by num_heads)"),
        ("net n(input = [5, 8]):\n  a = multihead_attention(heads = 2, dim = 16)\n",
            "layer `a` (multihead_attention): `dim = 16` does not match the input [5, 8], whose last size is 8"),
        ("net n(input = [5, 8, 8]):\n  a = transformer_encoder_layer(heads = 2)\n",
            "layer `a` (transformer_encoder_layer): expects a per-sample input [length, features], got [5, 8, 8] of rank 3"),
        ("net n(input = [5, 8]):\n  a = transformer_encoder_layer(heads = 2, activation = tanh)\n",
            "layer `a` (transformer_encoder_layer): `activation` must be one of `relu`, `gelu`"),
        ("net n(input = [5, 8]):\n  a = lstm(hidden = 4, proj = 4)\n",
            "layer `a` (lstm): proj_size 4 must be smaller than hidden_size 4, as PyTorch requires"),
        ("net n(input = [5, 8]):\n  a = gru(hidden = 4, proj = 2)\n",
            "layer `a` (gru) has no argument `proj`"),
        ("net n(input = [5, 8]):\n  a = lstm(hidden = 4, in = 7)\n",
            "layer `a` (lstm): `in = 7` does not match the input [5, 8], whose last size is 8"),
        ("net n(input = [5]):\n  a = embedding(num = 10, dim = 4, padding_idx = 10)\n",
            "layer `a` (embedding): padding_idx 10 is outside the 10 embeddings (PyTorch: it must be within num_embeddings)"),
        ("net n(input = [5, 8]):\n  a = select(dim = 2)\n",
            "layer `a` (select): `dim = 2` is outside the 2 per-sample dimensions (0 to 1)"),
        ("net n(input = [5, 8]):\n  a = select(index = 5)\n",
            "layer `a` (select): `index = 5` is outside the 5 entries of dimension 0"),
        ("net n(input = [5, 8]):\n  a = layernorm(features = 5)\n",
            "layer `a` (layernorm): `features = 5` does not match the input [5, 8], whose last size is 8"),
        ("net n(input = [5, 8]):\n  a = layernorm(features = [8, 5])\n",
            "layer `a` (layernorm): `features = [8, 5]` is not the trailing sizes of the input [5, 8]"),
        ("net n(input = [5, 8]):\n  a = layernorm(features = [])\n",
            "layer `a` (layernorm): `features = []` is not the trailing sizes of the input [5, 8]"),
    ];
    for (text, message) in cases {
        let got = messages(text);
        assert!(got.iter().any(|m| m == message), "{text}\n{got:#?}");
    }
}

#[test]
fn residual_blocks_branches_buffers_and_frozen_layers() {
    let mut store = Store::new();
    let n = parse_net(
        "net block(input = [16, 8, 8]):
  conv1 = conv2d(out = 32, kernel = 3, stride = 2, padding = 1, bias = false)
  bn1 = batchnorm2d
  down = conv2d(from = input, out = 32, kernel = 1, stride = 2, bias = false, trainable = false)
  sum = add(skip = bn1)
  out = relu
",
    );
    let shapes = analyze(&mut store, &n).expect("valid");
    let number = |id| int_of(&store, id);
    // the downsample path reads the block input, [16, 8, 8], not bn1's output
    assert_eq!(
        texts(&store, shapes.shape_of("down").expect("layer")),
        ["32", "4", "4"]
    );
    assert_eq!(
        texts(&store, shapes.shape_of("sum").expect("layer")),
        ["32", "4", "4"]
    );
    // 32·16·9 + 2·32 + 32·16 = 4608 + 64 + 512
    assert_eq!(number(shapes.total), Some(5184));
    assert_eq!(number(shapes.non_trainable), Some(512));
    assert_eq!(number(shapes.trainable), Some(4672));
    // running_mean, running_var and num_batches_tracked: 2·32 + 1
    assert_eq!(number(shapes.buffers), Some(65));
    let table = summary_table(&store, &shapes);
    let expected = "\
net block
Layer (type)       Output shape  Param #  Mult-adds  Output sizes and counts
────────────────────────────────────────────────────────────────────────────────────────────────
input              [16, 8, 8]         --         --
conv1 (conv2d)     [32, 4, 4]      4,608     73,728  H, W: ⌊(8 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 4
bn1 (batchnorm2d)  [32, 4, 4]         64         64
down (conv2d)      [32, 4, 4]      (512)      8,192  H, W: ⌊(8 + 2·0 − 1·(1 − 1) − 1)/2⌋ + 1 = 4
sum (add)          [32, 4, 4]         --         --
out (relu)         [32, 4, 4]         --         --
────────────────────────────────────────────────────────────────────────────────────────────────
Total params: 5,184
Trainable params: 4,672
Non-trainable params: 512
Total mult-adds: 81,984
Buffers (not params): 65
Total params with every bias: 5,248
Total params without bias: 5,152
";
    assert_eq!(table, expected);
}

#[test]
fn transformer_table_shows_each_part_and_symbolic_sizes() {
    let mut store = Store::new();
    let n = parse_net(
        "net tiny(input = [L]):
  tok = embedding(num = 1000, dim = 64)
  enc = transformer_encoder_layer(heads = 4, feedforward = 4096)
  rnn = lstm(hidden = 32, bidirectional = true)
  first = select(dim = 0, index = 0)
  head = linear(out = 2)
",
    );
    let shapes = analyze(&mut store, &n).expect("valid");
    let table = summary_table(&store, &shapes);
    // sizes inside shapes have no thousands separators ([L, 4096] would never be [L, 4,096])
    let expected = "\
net tiny
Layer (type)                     Output shape  Param #         Mult-adds  Output sizes and counts
──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
input                            [L]                --                --
tok (embedding)                  [L, 64]        64,000            64,000
enc (transformer_encoder_layer)  [L, 64]       545,344  12480·L + 532864  self_attn: in_proj_weight 3·64·64 + in_proj_bias 3·64 + out_proj 64·64 + 64 = 16640
                                                                          linear1, linear2: 64·4096 + 4096 + 4096·64 + 64 = 528448
                                                                          norm1, norm2: 2·64 + 2·64 = 256
                                                                          params: 16640 + 528448 + 256 = 545344 (post-norm)
rnn (lstm)                       [L, 64]        25,088           25088·L  params: 2 directions × (weight_ih 4·32·64 + weight_hh 4·32·32 + bias_ih, bias_hh 2·4·32) = 25088
first (select)                   [64]               --                --
head (linear)                    [2]               130               130
──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
Total params: 634,562
Trainable params: 634,562
Non-trainable params: 0
Total mult-adds: 37568·L + 596994
Total params without bias: 629,504
";
    assert_eq!(table, expected, "{table}");
}

#[test]
fn sizes_in_shapes_never_get_thousands_separators() {
    let mut store = Store::new();
    let n =
        parse_net("net wide(input = [64, 8, 8]):\n  flat = flatten\n  fc = linear(out = 1000)\n");
    let shapes = analyze(&mut store, &n).expect("valid");
    let table = summary_table(&store, &shapes);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or("")
            .to_string()
    };
    // 64·8·8 = 4096 features: a size in a shape, then 4096·1000 + 1000 as a count
    assert!(row("flat ").contains("[4096] "), "{table}");
    assert!(
        row("fc ").contains("[1000]        4,097,000  4,097,000"),
        "{table}"
    );
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
