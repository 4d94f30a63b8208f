//! LaTeX that nabla writes (`diff`/`simplify --format latex`, the annotated
//! copy of a `.tex` document) is plain ASCII, compiles with pdflatex and
//! `amsmath` alone, and reads back through nabla's own LaTeX reader as the
//! expression it stands for.

use crate::util::{repo_root, Dir};
use std::process::Command;

/// `nabla` arguments (after the command) and a piece each output must hold.
fn cases(mlp: &str, defs: &str) -> Vec<(Vec<String>, &'static str)> {
    let diff = |e: &str, wrt: &str, d: &str| {
        let mut args = vec![
            "diff".to_string(),
            e.to_string(),
            "--wrt".into(),
            wrt.into(),
        ];
        if !d.is_empty() {
            args.extend(["--defs".to_string(), d.to_string()]);
        }
        args
    };
    let simplify = |e: &str, d: &str| {
        let mut args = vec!["simplify".to_string(), e.to_string()];
        if !d.is_empty() {
            args.extend(["--defs".to_string(), d.to_string()]);
        }
        args
    };
    vec![
        (
            diff("L", "W2", mlp),
            r"\operatorname{softmax}\left(\mathrm{oa}\right) \mathrm{hs}^{\top} - \operatorname{onehot}\left(y\right) \mathrm{hs}^{\top}",
        ),
        (
            diff("L", "b2", mlp),
            r"\frac{\partial}{\partial \mathrm{b2}} = \operatorname{softmax}\left(\mathrm{oa}\right) - \operatorname{onehot}\left(y\right)",
        ),
        (diff("L", "W1", mlp), r"\sum_{k=1}^{m} {\mathrm{W2}}_{k,i}"),
        (diff("L", "b1", mlp), r"\mathrm{W2}^{\top}"),
        (diff("L", "x", mlp), r"\sum_{p=1}^{d_{h}}"),
        (
            diff("sum_(i=1)^n sum_(j=1)^n A_(i,j)*x_i*x_j", "x", defs),
            r"{A}_{\mathrm{i1},k}",
        ),
        (
            simplify("sum_(j=1)^n A_(i,j)*x_j*τ", defs),
            r"\tau \cdot \left(\sum_{k=1}^{n} {A}_{i,k} \cdot {x}_{k}\right)",
        ),
        (
            simplify("τ*exp(ν*ξ) + π + θ + ℓ", ""),
            r"\tau \cdot \exp\left(\nu \cdot \xi\right)",
        ),
        (
            diff("relu(x)", "x", ""),
            r"H\left(x\right) \quad \text{for } x \neq 0",
        ),
        (diff("x*floor(x)", "x", ""), r"\text{ not an integer}"),
        (
            diff("softmax2(x) + f(x)", "x", ""),
            r"\operatorname{softmax2}'\left(x\right)",
        ),
        (
            simplify("t + (lim t -> inf of (1 + x/t)^t)", ""),
            r"\lim_{k \to \infty}",
        ),
    ]
}

#[test]
fn latex_out_is_ascii_compiles_and_names_bound_indices_apart() {
    let dir = Dir::new();
    let mlp = repo_root().join("examples/mlp.defs.nabla");
    let defs = dir.create(
        "defs.nabla",
        "dim n\nvar x : R^n\nvar A : R^(n x n)\nvar τ : real\n",
    );
    let mut body = String::new();
    for (args, piece) in cases(mlp.to_str().unwrap(), defs.to_str().unwrap()) {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--format", "latex"]);
        let run = dir.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.all());
        assert!(
            run.stdout.is_ascii(),
            "{args:?} is not ASCII: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains(piece),
            "{args:?}: {} lacks {piece}",
            run.stdout
        );
        for line in run.stdout.lines() {
            body.push_str(&format!("\\[ {line} \\]\n"));
        }
    }
    let tex = format!(
        "\\documentclass{{article}}\n\\usepackage{{amsmath}}\n\\begin{{document}}\n{body}\\end{{document}}\n"
    );
    compile(&dir, "out.tex", &tex);
}

/// Compiles `text` with pdflatex where it is installed (CI installs it; a
/// machine without it skips, loudly).
fn compile(dir: &Dir, name: &str, text: &str) {
    dir.create(name, text);
    let pdflatex = Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", name])
        .current_dir(dir.path())
        .output();
    let output = match pdflatex {
        Ok(output) => output,
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("pdflatex is not installed: {name} was not compiled");
            return;
        }
        Err(e) => panic!("pdflatex is needed in CI (.ci/run installs it): {e}"),
    };
    assert!(
        output.status.success(),
        "{name} does not compile:\n{}\n{text}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// The right sides are nabla's own LaTeX, the left sides written by hand: each
/// step is proved only if the reader reads nabla's LaTeX as the same expression.
#[test]
fn latex_out_reads_back_as_the_same_expression() {
    let dir = Dir::new();
    let mlp = repo_root().join("examples/mlp.defs.nabla");
    let mlp = mlp.to_str().unwrap();
    let entry = |wrt: &str| {
        let run = dir.run(&[
            "diff", "L", "--wrt", wrt, "--defs", mlp, "--format", "latex",
        ]);
        assert_eq!(run.code, 0, "{}", run.all());
        let first = run.stdout.lines().next().unwrap_or_default().to_string();
        let (_, value) = first.split_once(" = ").expect("a head and a value");
        value.to_string()
    };
    let softmax = r"\frac{\exp(oa_i)}{\sum_{k=1}^{m} \exp(oa_k)}";
    let doc = format!(
        "The gradients of the MLP.\n\n\
         $$ {softmax} - \\delta_{{iy}} = {} $$\n\n\
         $$ hs_j \\cdot \\left({softmax} - \\delta_{{iy}}\\right) = {} $$\n\n\
         $$ x_j \\sigma(ha_i) \\cdot \\left(\\sum_{{l=1}}^{{m}} \\mathrm{{W2}}_{{l,i}} \\frac{{\\exp(oa_l)}}{{\\sum_{{k=1}}^{{m}} \\exp(oa_k)}} - \\mathrm{{W2}}_{{y,i}}\\right) = {} $$\n",
        entry("b2"),
        entry("W2"),
        entry("W1"),
    );
    dir.create("gradients.md", &doc);
    let run = dir.run(&["check", "gradients.md", "--defs", mlp]);
    assert_eq!(run.code, 0, "{}\n{doc}", run.all());
    assert!(
        run.stdout.contains("summary: 3 proved"),
        "{}\n{doc}",
        run.stdout
    );
}

#[test]
fn annotated_latex_copy_compiles() {
    let dir = Dir::new();
    let doc = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\
        For every real $x$:\n\\begin{align}\n\\sigma(-x) &= 1 - \\sigma(x) \\\\\n\
        \\frac{d}{dx} x^2 &= 3x\n\\end{align}\n\
        and $\\ln(e^{x}) = x$.\n\\end{document}\n";
    dir.create("notes.tex", doc);
    let run = dir.run(&["check", "notes.tex", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.is_ascii(), "{}", run.stdout);
    for piece in [
        "1 - \\sigma(x)\\quad\\mbox{[$\\surd$ proved]}",
        "3x\\quad\\mbox{[$\\times$ refuted]}",
        "\\item line 7: \\mbox{[$\\times$ refuted]} at x = 1: left = 2, right = 3",
        "proved, 0 checked, 1 refuted, 0 unknown.\n\\begin{itemize}",
    ] {
        assert!(run.stdout.contains(piece), "{piece}:\n{}", run.stdout);
    }
    assert!(
        run.stdout.ends_with("\\end{itemize}\n\\end{document}\n"),
        "{}",
        run.stdout
    );
    compile(&dir, "annotated.tex", &run.stdout);
}
