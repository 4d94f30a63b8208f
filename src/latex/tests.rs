//! Tests of the document reader: finding math, reading LaTeX, splitting chains.
//! Verdicts of checked documents are tested beside the driver.

use super::declare::zero_spans;
use super::lex::tokenize;
use super::parse::{parse_expression, Context};
use super::*;
use crate::syntax::ast::Expr;

fn latex(text: &str) -> Result<Expr, String> {
    let toks = tokenize(text, 0);
    parse_expression(&toks, &Context::default())
        .map(|mut e| {
            zero_spans(&mut e);
            e
        })
        .map_err(|e| e.message)
}

fn nabla(text: &str) -> Expr {
    let mut e = crate::syntax::parse_expr(text).expect("a valid nabla expression");
    zero_spans(&mut e);
    e
}

// ----- finding the math -----

#[test]
fn markdown_display_and_inline_math_are_found_but_code_is_not() {
    let text =
        "a $x = 1$ b\n\n$$y = 2$$\n\n`$not = math$`\n\n```\n$$z = 3$$\n```\n\\$5 and $$\nw\n$$";
    let blocks = find_math(text, DocKind::Markdown);
    let bodies: Vec<(&str, bool)> = blocks
        .iter()
        .map(|b| (b.body.as_str(), b.display))
        .collect();
    assert_eq!(
        bodies,
        vec![("x = 1", false), ("y = 2", true), ("\nw\n", true)]
    );
    assert_eq!(&text[blocks[1].span.range()], "$$y = 2$$");
    assert_eq!(&text[blocks[1].body_span.range()], "y = 2");
}

/// The bodies (trimmed) of the math a Markdown text holds.
fn markdown_bodies(text: &str) -> Vec<String> {
    find_math(text, DocKind::Markdown)
        .into_iter()
        .map(|b| b.body.trim().to_string())
        .collect()
}

#[test]
fn markdown_math_is_found_where_commonmark_puts_it() {
    let cases: &[(&str, &[&str])] = &[
        ("~~~\n$x = 1$\n~~~\n", &[]),
        ("text\n\n    $x = 1$ indented code\n", &[]),
        ("<!-- $x = 1$ -->\n", &[]),
        ("<div>\n$x = 1$\n</div>\n", &[]),
        ("`$x = 1$`\n", &[]),
        ("```math\nx = 1\n```\n", &["x = 1"]),
        ("```python\nx = 1\n```\n", &[]),
        ("\\begin{align}\nx &= 1\n\\end{align}\n", &["x &= 1"]),
        ("\\begin{gather*}\nx = 1\n\\end{gather*}\n", &["x = 1"]),
        ("so \\(x = 1\\) and \\[y = 2\\]\n", &["x = 1", "y = 2"]),
        ("It costs $5, and $x = 1$ holds.\n", &["x = 1"]),
        ("$$\nx = 1\n$$\n", &["x = 1"]),
        ("> $$x\n> = 1$$\n", &["x\n  = 1"]),
        (
            "![](https://latex.codecogs.com/svg.latex?x^2&space;=&space;y)\n",
            &["x^2 = y"],
        ),
        (
            "<img src=\"https://latex.codecogs.com/svg.image?%5Cfrac%7B1%7D%7B2%7D%3Dx\">\n",
            &["\\frac{1}{2}=x"],
        ),
        (
            "![](https://render.githubusercontent.com/render/math?math=a+%2B+b%3Dc)\n",
            &["a + b=c"],
        ),
        ("![cat](https://example.com/cat.png?size=2)\n", &[]),
    ];
    for (text, want) in cases {
        assert_eq!(&markdown_bodies(text), want, "{text:?}");
    }
}

#[test]
fn markdown_spans_are_the_documents_offsets() {
    let text = "It costs $5, and $x = 1$.\n\n```math\ny = 2\n```\n\n\\[z = 3\\]\n";
    for block in find_math(text, DocKind::Markdown) {
        assert_eq!(&text[block.body_span.range()], block.body, "{block:?}");
    }
    let quoted = "> $$x\n> = 1$$\n";
    let block = &find_math(quoted, DocKind::Markdown)[0];
    assert_eq!(block.body.len(), block.body_span.range().len());
}

#[test]
fn notebook_markdown_cells_are_read_and_code_cells_are_not() {
    let json = r##"{"cells": [
        {"cell_type": "markdown", "source": ["# Q1\n", "$x = 1$\n"]},
        {"cell_type": "code", "source": "$y = 2$", "outputs": []},
        {"cell_type": "markdown", "source": "$z = 3$"}
    ], "nbformat": 4}"##;
    let (text, cells) = find::notebook_markdown(json).expect("a notebook");
    assert_eq!(text, "# Q1\n$x = 1$\n\n$z = 3$\n\n");
    let numbers: Vec<(usize, usize)> = cells.iter().map(|c| (c.offset, c.number)).collect();
    assert_eq!(numbers, vec![(0, 1), (14, 3)]);
    let blocks = find::find_math_in_cells(&text, &cells);
    let bodies: Vec<&str> = blocks.iter().map(|b| b.body.as_str()).collect();
    assert_eq!(bodies, vec!["x = 1", "z = 3"]);
    for bad in ["", "[]", "{\"cells\": 3}", "{\"cells\": [{\"source\": 1}]}"] {
        let read = find::notebook_markdown(bad);
        assert!(bad.contains("source") || read.is_err(), "{bad}: {read:?}");
    }
}

#[test]
fn latex_environments_and_brackets_are_found() {
    let text = "% $a = b$ is a comment\n\\begin{equation}x = 1\\end{equation}\n\\begin{align*}\ny &= 2\n\\end{align*}\n\\[ z = 3 \\]";
    let bodies: Vec<String> = find_math(text, DocKind::Latex)
        .into_iter()
        .map(|b| b.body.trim().to_string())
        .collect();
    assert_eq!(bodies, vec!["x = 1", "y &= 2", "z = 3"]);
}

// ----- reading LaTeX -----

#[test]
fn latex_formulas_read_as_the_same_tree_as_nabla_text() {
    let cases = [
        (r"\frac{1}{1 + e^{-x}}", "1/(1 + exp(-x))"),
        (r"\dfrac{a}{b} \cdot c", "a/b * c"),
        (r"\ln \sigma(x)", "ln(σ(x))"),
        (r"\log(1 + \exp(x))", "log(1 + exp(x))"),
        (r"-\text{softplus}(-x)", "-softplus(-x)"),
        (r"\sigma'(x)", "σ'(x)"),
        (r"2kx", "2*k*x"),
        (r"\left(1 - \sigma(x)\right)^{-2}", "(1 - σ(x))^(-2)"),
        (r"\sum_{j=1}^{m} x_j", "sum_(j=1)^m x_j"),
        (r"\sum_j \exp(x_j)", "sum_j exp(x_j)"),
        (r"\frac{d}{dx} \left(x^2\right)", "d/dx (x^2)"),
        (r"\frac{\partial L}{\partial w}", "∂ L / ∂ w"),
        (r"\nabla_u f", "∇_u f"),
        (r"\delta_{ij}", "δ(i, j)"),
        (r"\mathbb{1}_{x>0}", "ind(x > 0)"),
        (r"A^T", "A^T"),
        (r"A^\top", "A^T"),
        (r"\lim_{k \to \infty} \frac{1}{k}", "lim k -> inf of 1/k"),
        (r"\|x\|", "||x||"),
        (r"|x|", "|x|"),
        (r"\cancel{\exp(c)} y", "exp(c) * y"),
        (
            r"\begin{cases} x, & \text{if } x > 0 \\ 0, & \text{otherwise} \end{cases}",
            "piecewise { x if x > 0; 0 otherwise }",
        ),
        (r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}", "[1, 2]"),
        (r"\lfloor \frac{7}{2} \rfloor", "floor(7/2)"),
        (r"0.25", "0.25"),
    ];
    for (tex, text) in cases {
        assert_eq!(latex(tex), Ok(nabla(text)), "{tex}");
    }
}

#[test]
fn notations_people_write_read_as_the_nabla_tree() {
    let cases = [
        // vector fonts and calligraphic names
        (r"\mathbf{x}_i + \boldsymbol{y}", "x_i + y"),
        (r"\bm{x} \cdot \vec{w}", "x * w"),
        (r"\bm x", "x"),
        (r"\mathbb{x}", "x"),
        (r"\boldsymbol{\theta}", "θ"),
        (r"\mathcal{L}", "L"),
        // slash derivatives, upright d, primes on an expression
        (r"\partial L/\partial z", "∂ L / ∂ z"),
        (r"dy/dx", "d y / d x"),
        (r"d/dx (x^2)", "d/dx (x^2)"),
        (r"\partial^2 f/\partial x^2", "d^2/dx^2 f"),
        (r"d^2y/dx^2", "d^2/dx^2 y"),
        (r"d y/d x", "d * y / d * x"),
        (r"\frac{\mathrm d}{\mathrm dx} x^2", "d/dx x^2"),
        (r"\frac{\mathrm{d}y}{\mathrm{d}x}", "d y / d x"),
        (r"\frac{d}{dx} 2x", "d/dx (2*x)"),
        (r"(x^2 + 1)'", "d/dx (x^2 + 1)"),
        (r"(\sigma(x))''", "d^2/dx^2 σ(x)"),
        // operators
        (r"u \odot v", "u ⊙ v"),
        (r"u \circ v", "u ⊙ v"),
        (r"u \otimes v", "u v^T"),
        (r"a * b", "a * b"),
        (r"a \ast b \times c", "a * b * c"),
        (r"\lVert x \rVert", "||x||"),
        (r"\left\| x \right\|_2^2", "||x||^2"),
        (r"\lvert x \rvert", "|x|"),
        // function names, written upright or bare, never split into letters
        (r"\operatorname{softmax}(z)", "softmax(z)"),
        (r"\mathrm{ReLU}(x)", "ReLU(x)"),
        (r"\text{softplus}(x)", "softplus(x)"),
        (r"\text{Softmax}(z)", "softmax(z)"),
        (r"\text{CE}(y, p)", "CE(y, p)"),
        (r"\text{MSE}", "MSE"),
        (r"tanh(x) + sigmoid(x)", "tanh(x) + sigmoid(x)"),
        (r"log(x) - ln(y) + exp(z)", "log(x) - ln(y) + exp(z)"),
        (r"softmax(z) + relu(x)", "softmax(z) + relu(x)"),
        (r"\max(0, x)", "max(0, x)"),
        (r"max(a, b)", "max(a, b)"),
        (r"\min\{a, b\}", "min(a, b)"),
        (r"\max(a, b, c)", "max(a, max(b, c))"),
        (r"2 tanh x", "2 * tanh(x)"),
        // an operator name takes the juxtaposed product after it
        (r"\ln 2x", "ln(2*x)"),
        (r"x \ln 2", "x * ln(2)"),
        (r"\exp 2x", "exp(2*x)"),
        (r"\ln 2x + 1", "ln(2*x) + 1"),
        (r"\ln x \cdot y", "ln(x) * y"),
        (r"\ln x \exp y", "ln(x) * exp(y)"),
        (r"y_i \log p_i", "y_i * log(p_i)"),
        (r"\log \sigma(x)", "log(σ(x))"),
        (r"(\ln x)y", "ln(x) * y"),
        (r"\tanh x (1 - x)", "tanh(x) * (1 - x)"),
        (r"\ln 2\pi x", "ln(2*π*x)"),
        // powers of functions, logarithms to a base, one-token exponents
        (r"\tanh^2(x)", "tanh(x)^2"),
        (r"\tanh^{2}(x)", "tanh(x)^2"),
        (r"\sigma^2(x)", "σ(x)^2"),
        (r"\log^2 x", "log(x)^2"),
        (r"\sigma^2", "σ^2"),
        (r"\exp(x)^2", "exp(x)^2"),
        (r"\sinh x", "sinh(x)"),
        (r"\cosh(2x)", "cosh(2*x)"),
        (r"\cosh^2 x", "cosh(x)^2"),
        (r"\sin 2\theta", "sin(2*θ)"),
        (r"sin(x)^2 + cos(x)^2", "sin(x)^2 + cos(x)^2"),
        (r"\operatorname{cos}(x)", "cos(x)"),
        (r"\arctan x + \tan y", "arctan(x) + tan(y)"),
        (r"\Phi(x) + x \phi(x)", "Φ(x) + x*φ(x)"),
        (r"\operatorname{gelu}(x)", "gelu(x)"),
        (r"2\pi", "2*π"),
        (r"\bigl[ y + 1 \bigr] x", "(y + 1) * x"),
        (r"\log_2\left(x\right)", "log2(x)"),
        (r"\log_{10} x", "log10(x)"),
        (r"e^-x", "exp(-x)"),
        (r"e^x", "exp(x)"),
        (r"w^*", "wstar"),
        // sums with conditions, limits in every spelling
        (
            r"\sum_{k \neq i} x_k",
            "sum_k piecewise { x_k if k != i; 0 otherwise }",
        ),
        (
            r"\sum_{k=1, k \ne i}^{m} x_k",
            "sum_(k=1)^m piecewise { x_k if k != i; 0 otherwise }",
        ),
        (
            r"\sum_{\substack{k=1 \\ k \not= i}}^{m} x_k",
            "sum_(k=1)^m piecewise { x_k if k != i; 0 otherwise }",
        ),
        (r"\sum_{i,j} w_{ij}", "sum_i sum_j w_(i, j)"),
        (r"\lim_{k\to\infty} \frac{1}{k}", "lim k -> inf of 1/k"),
        (
            r"\lim\limits_{k \rightarrow +\infty} \frac{1}{k}",
            "lim k -> inf of 1/k",
        ),
        (
            r"\lim_{k \longrightarrow -\infty} e^{k}",
            "lim k -> -inf of exp(k)",
        ),
        (r"\lim_{\epsilon \to \infty} \epsilon", "lim ε -> inf of ε"),
        // relations
        (r"a \not= b", "a != b"),
        (r"a \neq b", "a != b"),
        (r"a \ne b", "a != b"),
    ];
    for (tex, text) in cases {
        assert_eq!(latex(tex), Ok(nabla(text)), "{tex}");
    }
}

#[test]
fn notations_that_are_not_read_say_why() {
    for (tex, message) in [
        (r"\arcsin 2\theta", "`\\arcsin` is not a built-in function of nabla"),
        (r"\mathbf{W} x", "a bold capital is a matrix; matrices in documents are not read yet"),
        (r"\mathbb{R}", "a set such as `\\mathbb{R}` is not a value"),
        (r"\sigma^{-1}(x)", "a power of `σ` other than a positive integer (an inverse function?) is not read"),
        (r"\log_3 x", "a logarithm to a base other than 2, 10 or e is not read"),
        (r"\max_j x_j", "write the arguments of max and min in parentheses: `\\max(a, b)` (a max over an index is not read)"),
        (r"\lim_{x \to 0^+} x", "a one-sided limit (`x \\to 0^+`) is not read"),
        (r"(x + y)'", "a prime on an expression needs exactly one variable in it"),
        (r"\log(1-p)^{1-y}", "`log(..)^..` is ambiguous: write `(log x)^2` or `log(x^2)`"),
        (r"arcsin(x)^2 + cot(x)^2", "`arcsin` is not a built-in function of nabla"),
        (r"\operatorname{cot}(x)", "`cot` is not a built-in function of nabla"),
        (r"\sigma \circ g", "a composition of functions (`f \\circ g`) is not read"),
        (&"9".repeat(200_000), "number literal too long"),
    ] {
        assert_eq!(latex(tex), Err(message.to_string()), "{tex}");
    }
}

#[test]
fn names_of_the_side_file_are_words() {
    let mut ctx = Context::default();
    ctx.functions.insert("loss".into(), 1);
    ctx.constants.insert("Lce".into());
    let toks = tokenize(r"loss(x) + Lce + lo", 0);
    let mut e = parse_expression(&toks, &ctx).expect("reads");
    zero_spans(&mut e);
    assert_eq!(e, nabla("loss(x) + Lce + l*o"));
}

#[test]
fn subscripts_and_superscripts_name_things() {
    // one index joins the name (lowering splits it), two are a matrix entry
    assert_eq!(latex("x_i"), Ok(nabla("x_i")));
    assert_eq!(latex("w_{jk}"), Ok(nabla("w_(j, k)")));
    assert_eq!(latex(r"L_{CE}"), Ok(nabla("L_CE")));
    assert_eq!(latex(r"L_{\text{mse}}"), Ok(nabla("L_mse")));
    // a layer label is part of the name
    assert_eq!(latex("W^{(1)}"), Ok(nabla("W1")));
    // and stays part of it under a transpose written in the same superscript
    assert_eq!(latex(r"W^{(2)\top}"), Ok(nabla("W2^T")));
    assert_eq!(latex("W^{(2)T}"), Ok(nabla("W2^T")));
    // a letter superscript is a power unless the name is known as a label
    assert_eq!(latex("x^c"), Ok(nabla("x^c")));
    let mut ctx = Context::default();
    ctx.labels.insert("oa".into());
    let toks = tokenize("o_k^a", 0);
    let mut e = parse_expression(&toks, &ctx).expect("reads");
    zero_spans(&mut e);
    assert_eq!(e, nabla("oa_k"));
}

#[test]
fn unknown_macros_are_located_errors_not_crashes() {
    let text = r"x + \foo{y}";
    let toks = tokenize(text, 10);
    let err = parse_expression(&toks, &Context::default()).expect_err("unknown macro");
    assert_eq!(err.message, "unsupported LaTeX command `\\foo`");
    assert_eq!(err.span.start, 14, "the span is in document offsets");
    for bad in [
        r"\frac{1}",
        r"\sum x",
        "(",
        "{",
        r"\left(",
        "^",
        "x_",
        r"\begin{cases}",
    ] {
        assert!(latex(bad).is_err(), "{bad}");
    }
}

// ----- chains and verdicts -----

#[test]
fn latex_produces_statements_and_never_checks() {
    // proptests.rs is left out: it lowers what it reads back to compare it
    // with the expression nabla printed, which is below latex anyway
    let rooms = [
        ("chain.rs", include_str!("chain.rs")),
        ("chains.rs", include_str!("chains.rs")),
        ("context.rs", include_str!("context.rs")),
        ("conventions.rs", include_str!("conventions.rs")),
        ("declare.rs", include_str!("declare.rs")),
        ("find.rs", include_str!("find.rs")),
        ("lex.rs", include_str!("lex.rs")),
        ("mod.rs", include_str!("mod.rs")),
        ("parse.rs", include_str!("parse.rs")),
        ("reader.rs", include_str!("reader.rs")),
        ("shapes.rs", include_str!("shapes.rs")),
        ("statements.rs", include_str!("statements.rs")),
        ("tests.rs", include_str!("tests.rs")),
    ];
    for (name, text) in rooms {
        for module in ["check", "lower", "report", "driver", "cli"] {
            let import = format!("crate::{module}");
            assert!(!text.contains(&import), "{name} uses {import}");
        }
    }
}

// ----- the document's context (a refutation in a document is a real mistake) -----
