//! Parser tests: tree shapes (through a small S-expression printer), the
//! fixture files under tests/fixtures/parse, depth and robustness.

use super::ast::{BinOp, CmpOp, DomainKind, Expected, Expr, ExprKind, ItemKind, LimitPoint, RelOp};
use super::{parse_expr, parse_file, MAX_DEPTH};
use crate::span::SourceFile;
use proptest::prelude::*;
use std::fmt::Write;
use std::path::Path;

/// Prints an expression as an S-expression: `(+ a (* 2 x))`.
fn sexp(expr: &Expr) -> String {
    let mut out = String::new();
    write_sexp(&mut out, expr);
    out
}

fn write_list(out: &mut String, head: &str, items: &[&Expr]) {
    out.push('(');
    out.push_str(head);
    for item in items {
        out.push(' ');
        write_sexp(out, item);
    }
    out.push(')');
}

fn write_sexp(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Number(number) => {
            let _ = write!(out, "{}", number.value);
        }
        ExprKind::Ident(name) => out.push_str(name),
        ExprKind::Path(segments) => {
            let names: Vec<&str> = segments.iter().map(|s| s.name.as_str()).collect();
            out.push_str(&names.join("."));
        }
        ExprKind::Call { func, primes, args } => {
            out.push('(');
            out.push_str(&func.name);
            out.push_str(&"'".repeat(*primes as usize));
            for arg in args {
                out.push(' ');
                if let Some(name) = &arg.name {
                    let _ = write!(out, ":{} ", name.name);
                }
                write_sexp(out, &arg.value);
            }
            out.push(')');
        }
        ExprKind::Subscript { base, indices } => {
            let mut items = vec![base.as_ref()];
            items.extend(indices.iter());
            write_list(out, "_", &items);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let head = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::Pow => "^",
                BinOp::Hadamard => "⊙",
            };
            write_list(out, head, &[lhs, rhs]);
        }
        ExprKind::Neg(inner) => write_list(out, "neg", &[inner]),
        ExprKind::Transpose(inner) => write_list(out, "T", &[inner]),
        ExprKind::Abs(inner) => write_list(out, "abs", &[inner]),
        ExprKind::Norm(inner) => write_list(out, "norm", &[inner]),
        ExprKind::Vector(items) => {
            let items: Vec<&Expr> = items.iter().collect();
            write_list(out, "vec", &items);
        }
        ExprKind::Piecewise {
            branches,
            otherwise,
        } => {
            out.push_str("(piecewise");
            for (value, condition) in branches {
                out.push(' ');
                write_list(out, "if", &[condition, value]);
            }
            if let Some(value) = otherwise {
                out.push(' ');
                write_list(out, "otherwise", &[value]);
            }
            out.push(')');
        }
        ExprKind::Sum {
            index,
            lower,
            upper,
            body,
        } => {
            let _ = write!(out, "(sum {}", index.name);
            for bound in [lower, upper].into_iter().flatten() {
                out.push(' ');
                write_sexp(out, bound);
            }
            out.push(' ');
            write_sexp(out, body);
            out.push(')');
        }
        ExprKind::Derivative { order, var, body } => {
            write_list(out, &format!("d{order}"), &[var, body]);
        }
        ExprKind::Grad { var, body } => write_list(out, "grad", &[var, body]),
        ExprKind::Limit { var, to, body } => {
            let _ = write!(out, "(lim {} ", var.name);
            match to {
                LimitPoint::PosInf => out.push_str("inf"),
                LimitPoint::NegInf => out.push_str("-inf"),
                LimitPoint::Finite(point) => write_sexp(out, point),
            }
            out.push(' ');
            write_sexp(out, body);
            out.push(')');
        }
        ExprKind::Compare { op, lhs, rhs } => {
            let head = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
            };
            write_list(out, head, &[lhs, rhs]);
        }
        ExprKind::And(parts) => {
            let parts: Vec<&Expr> = parts.iter().collect();
            write_list(out, "and", &parts);
        }
    }
}

/// The S-expression of `text`, or the error message.
fn shape(text: &str) -> String {
    match parse_expr(text) {
        Ok(expr) => sexp(&expr),
        Err(error) => format!("error: {}", error.message),
    }
}

#[test]
fn precedence_of_sums_products_and_powers() {
    assert_eq!(shape("a + b * c"), "(+ a (* b c))");
    assert_eq!(shape("a - b - c"), "(- (- a b) c)");
    assert_eq!(shape("a − b"), "(- a b)");
    assert_eq!(shape("a / b * c"), "(* (/ a b) c)");
    assert_eq!(shape("2^x^2"), "(^ 2 (^ x 2))");
    assert_eq!(shape("-x^2"), "(neg (^ x 2))");
    assert_eq!(shape("x^-2"), "(^ x (neg 2))");
    assert_eq!(shape("e^-x"), "(^ e (neg x))");
    assert_eq!(shape("a * -b"), "(* a (neg b))");
    assert_eq!(shape("a ⊙ b .* c · d × e"), "(* (* (⊙ (⊙ a b) c) d) e)");
}

#[test]
fn juxtaposition_is_multiplication_but_never_starts_with_a_sign() {
    assert_eq!(shape("2x"), "(* 2 x)");
    assert_eq!(shape("2 x"), "(* 2 x)");
    assert_eq!(shape("W h + b"), "(+ (* W h) b)");
    assert_eq!(shape("a -b"), "(- a b)");
    assert_eq!(shape("x^2 y"), "(* (^ x 2) y)");
    assert_eq!(shape("σ(x)(1 − σ(x))"), "(* (σ x) (- 1 (σ x)))");
    assert_eq!(shape("f (x)"), "(* f x)");
    assert_eq!(shape("|x| |y|"), "(* (abs x) (abs y))");
    assert_eq!(shape("|a b|"), "(abs (* a b))");
}

#[test]
fn numbers_are_exact_rationals() {
    assert_eq!(shape("0.1"), "1/10");
    assert_eq!(shape("1e-3"), "1/1000");
    assert_eq!(shape("2.5E+2"), "250");
    assert_eq!(shape("2.5x"), "(* 5/2 x)");
}

#[test]
fn calls_subscripts_and_paths() {
    assert_eq!(shape("f'(x)"), "(f' x)");
    assert_eq!(shape("σ''(x)"), "(σ'' x)");
    assert_eq!(shape("conv(a, b, mode = full)"), "(conv a b :mode full)");
    assert_eq!(shape("s(v)_i"), "(_ (s v) i)");
    assert_eq!(shape("(W h)_k"), "(_ (* W h) k)");
    assert_eq!(shape("W_(k, j)"), "(_ W k j)");
    assert_eq!(shape("x_12"), "x_12");
    assert_eq!(shape("s(v)_12"), "(_ (s v) 12)");
    assert_eq!(shape("v_i + onehot_y"), "(+ v_i onehot_y)");
    assert_eq!(shape("cnn.conv1"), "cnn.conv1");
    assert_eq!(shape("shape(cnn.conv1)"), "(shape cnn.conv1)");
    assert_eq!(shape("δ(i, j)"), "(δ i j)");
    assert_eq!(shape("A^T B"), "(* (T A) B)");
    assert_eq!(shape("A^⊤"), "(T A)");
    assert_eq!(shape("x^T1"), "(^ x T1)");
}

#[test]
fn the_size_d_stays_a_name() {
    assert_eq!(shape("d + 1"), "(+ d 1)");
    assert_eq!(shape("d_h(d + 1)"), "(d_h (+ d 1))");
    assert_eq!(shape("W_(k,d)"), "(_ W k d)");
    assert_eq!(shape("d x"), "(* d x)");
    assert_eq!(shape("d(x)"), "(d x)");
    assert_eq!(shape("2 d / d_h"), "(/ (* 2 d) d_h)");
    assert_eq!(shape("d / 2"), "(/ d 2)");
    assert_eq!(shape("d^2 + d"), "(+ (^ d 2) d)");
    assert_eq!(shape("d (x) / 2"), "(/ (* d x) 2)");
    assert_eq!(shape("dx / d"), "(/ dx d)");
}

#[test]
fn derivatives_in_every_notation() {
    assert_eq!(shape("d/dx sigma(x)"), "(d1 x (sigma x))");
    assert_eq!(shape("d/dx x^2 + 1"), "(+ (d1 x (^ x 2)) 1)");
    assert_eq!(shape("∂/∂x f(x) g(x)"), "(d1 x (* (f x) (g x)))");
    assert_eq!(shape("d^2/dx^2 f(x)"), "(d2 x (f x))");
    assert_eq!(shape("∂/∂W_(a,b) L"), "(d1 (_ W a b) L)");
    assert_eq!(shape("d s(v)_i / d v_j"), "(d1 v_j (_ (s v) i))");
    assert_eq!(shape("∂ L / ∂ x_j"), "(d1 x_j L)");
    assert_eq!(shape("∂σ/∂x"), "(d1 x σ)");
    assert_eq!(shape("d (x^2) / dx * 3"), "(* (d1 x (^ x 2)) 3)");
    assert_eq!(shape("grad_u L(x, c)"), "(grad u (L x c))");
    assert_eq!(shape("∇_W1 L"), "(grad W1 L)");
    assert_eq!(
        shape("d^2/dx^3 f"),
        "error: derivative order `^3` does not match `^2`"
    );
    assert_eq!(
        shape("∂ + 1"),
        "error: expected a derivative: `∂/∂x f` or `∂f / ∂x`"
    );
}

#[test]
fn sums_limits_and_piecewise() {
    assert_eq!(shape("sum_j a_j b_j + 1"), "(+ (sum j (* a_j b_j)) 1)");
    assert_eq!(shape("Σ_j exp(v_j)"), "(sum j (exp v_j))");
    assert_eq!(shape("sum_(j=1)^m x_j"), "(sum j 1 m x_j)");
    assert_eq!(shape("Σ_(j=1)^(m) x_j"), "(sum j 1 m x_j)");
    assert_eq!(
        shape("exp(v_i) / sum_j exp(v_j)"),
        "(/ (exp v_i) (sum j (exp v_j)))"
    );
    assert_eq!(
        shape("lim k -> inf of 1 / (1 + exp(-k * x))"),
        "(lim k inf (/ 1 (+ 1 (exp (* (neg k) x)))))"
    );
    assert_eq!(shape("lim k → -∞ of k"), "(lim k -inf k)");
    assert_eq!(shape("lim h -> 0 of h + 1"), "(lim h 0 (+ h 1))");
    assert_eq!(
        shape("piecewise { t if t > 0; 0 otherwise }"),
        "(piecewise (if (> t 0) t) (otherwise 0))"
    );
    assert_eq!(
        shape("piecewise { 1 if x > 0, 1/2 if x = 0, 0 if x < 0 }"),
        "(piecewise (if (> x 0) 1) (if (== x 0) (/ 1 2)) (if (< x 0) 0))"
    );
    assert_eq!(
        shape("inf"),
        "error: `inf` is only allowed as a limit point"
    );
}

#[test]
fn conditions_chain_and_join() {
    assert_eq!(shape("0 < x < 1"), "(and (< 0 x) (< x 1))");
    assert_eq!(shape("x ≥ 0 and y ≠ 0"), "(and (>= x 0) (!= y 0))");
    assert_eq!(
        shape("0 ≤ x < 1 ∧ y == 2"),
        "(and (<= 0 x) (< x 1) (== y 2))"
    );
    assert_eq!(shape("ind(x > 0)"), "(ind (> x 0))");
    assert_eq!(shape("[1, 1/4, 0.5]"), "(vec 1 (/ 1 4) 1/2)");
    assert_eq!(shape("||x|| + ‖y‖"), "(+ (norm x) (norm y))");
}

#[test]
fn spans_are_file_relative_and_tight() {
    let text = "var x : real\n\nclaim \"c\": (x + 1) * 2 = 2x + 2  # done\n";
    let parsed = parse_file(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let file = SourceFile::new("t", text);
    let ItemKind::Claim(claim) = &parsed.file.items[1].kind else {
        panic!("expected a claim");
    };
    assert_eq!(file.snippet(claim.lhs.span), "(x + 1) * 2");
    assert_eq!(file.snippet(claim.rhs.span), "2x + 2");
    assert_eq!(
        file.snippet(parsed.file.items[1].span),
        "claim \"c\": (x + 1) * 2 = 2x + 2"
    );
    assert_eq!(claim.name.as_deref(), Some("c"));
}

#[test]
fn statements_have_the_documented_shapes() {
    let text = "\
var a : real, a > 0
var W1 ∈ ℝ^(d_h × d)
var f : R^n -> R -> R
dim n, d_h
def s(v)_i = exp(v_i) / sum_j exp(v_j)
expect refuted: claim \"bad\": softplus(x) = ln(exp(x)) where x > 0
claim -ln(1/10) ≈ 2.302585 within 1e-6
derive \"d\" where x > 0:
    d/dx x^2
  = 2x
  expect refuted ≈ 3x
net cnn(input = [3, 128, 128]):
  conv1 = conv2d(out = 32, padding = same)
  flat = flatten
";
    let parsed = parse_file(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let kinds: Vec<&ItemKind> = parsed.file.items.iter().map(|item| &item.kind).collect();
    let [ItemKind::Var(a), ItemKind::Var(w), ItemKind::Var(f), ItemKind::Dim(dims), ItemKind::Def(def), ItemKind::Claim(bad), ItemKind::Claim(approx), ItemKind::Derive(derive), ItemKind::Net(net)] =
        kinds.as_slice()
    else {
        panic!("unexpected items: {kinds:?}");
    };
    assert_eq!(a.domain.kind, DomainKind::Real);
    assert_eq!(
        a.assumptions.iter().map(sexp).collect::<Vec<_>>(),
        ["(> a 0)"]
    );
    let DomainKind::Matrix(rows, columns) = &w.domain.kind else {
        panic!("expected a matrix domain");
    };
    assert_eq!(
        (sexp(rows), sexp(columns)),
        ("d_h".to_string(), "d".to_string())
    );
    let DomainKind::Function(argument, result) = &f.domain.kind else {
        panic!("expected a function domain");
    };
    assert!(matches!(argument.kind, DomainKind::Vector(_)));
    assert!(matches!(result.kind, DomainKind::Function(_, _)));
    assert_eq!(dims.len(), 2);
    assert_eq!(def.index.as_ref().map(|i| i.name.as_str()), Some("i"));
    assert_eq!(def.params.len(), 1);
    assert_eq!(bad.expect.map(|e| e.verdict), Some(Expected::Refuted));
    assert_eq!(bad.conditions.len(), 1);
    assert_eq!(approx.op, RelOp::Approx);
    assert_eq!(
        approx.tolerance.as_ref().map(sexp).as_deref(),
        Some("1/1000000")
    );
    assert_eq!(derive.name.as_deref(), Some("d"));
    assert_eq!(derive.steps.len(), 2);
    assert_eq!(
        derive.steps[1].expect.map(|e| e.verdict),
        Some(Expected::Refuted)
    );
    assert_eq!(derive.steps[1].op, RelOp::Approx);
    let file = SourceFile::new("t", text);
    assert_eq!(file.snippet(derive.steps[0].span), "= 2x");
    assert_eq!(file.snippet(derive.steps[1].span), "expect refuted ≈ 3x");
    assert_eq!(net.layers.len(), 2);
    assert_eq!(net.layers[1].kind.name, "flatten");
    assert_eq!(
        file.snippet(net.layers[0].span),
        "conv1 = conv2d(out = 32, padding = same)"
    );
}

// ---- depth and robustness ----

fn nested(depth: usize) -> String {
    format!("claim {}x{} = x", "(".repeat(depth), ")".repeat(depth))
}

#[test]
fn nesting_up_to_the_limit_parses() {
    let parsed = parse_file(&nested(MAX_DEPTH));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
}

#[test]
fn nesting_past_the_limit_is_an_error_not_a_crash() {
    let parsed = parse_file(&nested(MAX_DEPTH + 1));
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].message, "nesting deeper than 256 levels");
    // The 257th `(` is the one too deep.
    assert_eq!(
        parsed.errors[0].span.start as usize,
        "claim ".len() + MAX_DEPTH
    );

    let parsed = parse_file(&format!("claim {} = 1", "(".repeat(100_000)));
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].message, "nesting deeper than 256 levels");
    let minus = parse_file(&format!("claim {}x = 1", "-".repeat(100_000)));
    assert_eq!(minus.errors[0].message, "nesting deeper than 256 levels");
    let powers = parse_file(&format!("claim x{} = 1", "^x".repeat(100_000)));
    assert_eq!(powers.errors[0].message, "nesting deeper than 256 levels");
    let derivatives = parse_file(&format!("claim {}x = 1", "d(".repeat(100_000)));
    assert_eq!(
        derivatives.errors[0].message,
        "nesting deeper than 256 levels"
    );
}

#[test]
fn a_large_file_parses_every_statement() {
    let statement = "claim \"s\": d s(v)_i / d v_j = s(v)_i * (delta(i, j) - s(v)_j) where x > 0\n";
    let text = statement.repeat(5_000);
    let parsed = parse_file(&text);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.file.items.len(), 5_000);
}

#[test]
fn odd_inputs_give_errors_not_panics() {
    for text in [
        "=",
        "\"",
        "claim \"",
        "var",
        "claim",
        "derive",
        "net",
        "(",
        "\u{feff}",
        "claim x = ∂",
        "def f(",
        "var x : R^(",
        "claim |",
        "claim ‖x|",
    ] {
        let parsed = parse_file(text);
        assert!(
            parsed.file.items.is_empty() || !parsed.errors.is_empty() || text == "\u{feff}",
            "{text:?}"
        );
    }
    assert!(parse_file("").errors.is_empty());
    assert_eq!(
        parse_expr("").map_err(|e| e.message),
        Err("expected an expression".to_string())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parse_file_never_panics(text in "\\PC{0,80}") {
        let _ = parse_file(&text);
    }

    #[test]
    fn parse_file_never_panics_on_language_like_text(
        tokens in prop::collection::vec(prop::sample::select(LANGUAGE_TOKENS), 0..60)
    ) {
        let text = tokens.concat();
        let parsed = parse_file(&text);
        for error in parsed.errors {
            prop_assert!(error.span.start <= error.span.end);
            prop_assert!((error.span.end as usize) <= text.len());
            prop_assert!(text.is_char_boundary(error.span.start as usize));
            prop_assert!(!error.message.is_empty());
        }
    }
}

/// Pieces of the language (and of its traps) for building random statements.
const LANGUAGE_TOKENS: &[&str] = &[
    "var ",
    "dim ",
    "def ",
    "claim ",
    "derive ",
    "net ",
    "expect ",
    "refuted",
    ":",
    " ",
    "\n",
    "\n  ",
    "x",
    "d",
    "d_h",
    "v_i",
    "W",
    "_",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "|",
    "||",
    "‖",
    "∂",
    "∇_u",
    "/",
    "^",
    "-",
    "−",
    "+",
    "*",
    "=",
    "==",
    "≈",
    "<",
    ">=",
    ",",
    ";",
    "\"",
    "#",
    "1",
    "0.5",
    "1e-3",
    ".",
    "'",
    "sum_j ",
    "sum_",
    "Σ_",
    "lim ",
    "->",
    "inf",
    " of ",
    " if ",
    " otherwise",
    "piecewise",
    " and ",
    " where ",
    " within ",
    "T",
    "R",
    "ℝ^",
    " x ",
    "onehot",
    "real",
    "σ",
];

// ---- fixtures ----

fn fixture_dir(kind: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parse")
        .join(kind)
}

fn fixture_files(kind: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(fixture_dir(kind))
        .expect("fixture directory exists")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "nabla"))
        .collect();
    files.sort();
    files
}

#[test]
fn ok_fixtures_parse_without_errors() {
    let files = fixture_files("ok");
    assert!(files.len() >= 10, "only {} ok fixtures", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let parsed = parse_file(&text);
        let file = SourceFile::new(path.display().to_string(), text.as_str());
        let errors: Vec<String> = parsed
            .errors
            .iter()
            .map(|e| format!("{}: {}", file.line_col(e.span.start as usize), e.message))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert!(
            !parsed.file.items.is_empty(),
            "{} has no items",
            path.display()
        );
    }
}

#[test]
fn err_fixtures_report_exactly_the_annotated_errors() {
    let files = fixture_files("err");
    assert!(files.len() >= 15, "only {} err fixtures", files.len());
    let mut mismatches = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture is readable");
        let expected: Vec<String> = text
            .lines()
            .filter_map(|line| line.strip_prefix("#! error "))
            .map(str::to_string)
            .collect();
        assert!(
            !expected.is_empty(),
            "{} has no `#! error` lines",
            path.display()
        );
        let parsed = parse_file(&text);
        let file = SourceFile::new(path.display().to_string(), text.as_str());
        let found: Vec<String> = parsed
            .errors
            .iter()
            .map(|e| format!("{}: {}", file.line_col(e.span.start as usize), e.message))
            .collect();
        if found != expected {
            mismatches.push(format!(
                "{}:\n  expected {expected:?}\n  found    {found:?}",
                path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn long_operator_chains_count_as_nesting() {
    // `a + a + ...` nests as `((a + a) + a) + ...`: a chain of 200 is fine,
    // one of 100,000 stops at the limit instead of building a tree too deep
    // for later passes (and for dropping it) to recurse over.
    let fine = parse_file(&format!("claim x = {}x", "x + ".repeat(200)));
    assert!(fine.errors.is_empty(), "{:?}", fine.errors);
    for chain in ["x + ", "x * ", "x ", "x/"] {
        let parsed = parse_file(&format!("claim x = {}x", chain.repeat(100_000)));
        assert_eq!(parsed.errors.len(), 1, "{chain:?}");
        assert_eq!(parsed.errors[0].message, "nesting deeper than 256 levels");
    }
    let subscripts = parse_file(&format!("claim x = f(x){} = 1", "_(1)".repeat(100_000)));
    assert_eq!(
        subscripts.errors[0].message,
        "nesting deeper than 256 levels"
    );
    let transposes = parse_file(&format!("claim x = A{} = 1", "^T".repeat(100_000)));
    assert_eq!(
        transposes.errors[0].message,
        "nesting deeper than 256 levels"
    );
}

#[test]
fn documented_expression_examples_parse() {
    for text in [
        "0.1",
        "v_i",
        "cnn.conv1",
        "a + b - c",
        "u ⊙ v",
        "u .* v",
        "f(x, mode = full)",
        "x_(1)",
        "|x|",
        "‖x‖",
        "grad_(W1) L",
        "lim k -> inf of 1 / (1 + exp(-k x))",
        "x > 0 ∧ y > 0",
        "∂L/∂b_k",
        "2 d / d_h",
    ] {
        assert!(parse_expr(text).is_ok(), "{text}: {:?}", parse_expr(text));
    }
}
