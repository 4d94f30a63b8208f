//! One-off calculations as data: `simplify`, `differentiate` and the shapes of
//! nets, each result in every notation (text, ASCII, LaTeX, SymPy). The command
//! line prints them; the Python package hands them on as objects.

use crate::check::kinks;
use crate::diagnostic::Diagnostic;
use crate::expr::{to_latex, to_sympy, ExprId, SharedForm, Store};
use crate::gradient::Notation;
use crate::lower::{self, LowerConfig};
use crate::span::Span;
use crate::syntax::{self, ast};

/// An expression in every notation nabla writes, each written when asked for:
/// a large result's notations cost as much as the rest of `nabla diff`, and
/// the command line prints one.
#[derive(Clone, Debug)]
pub struct Rendered {
    form: Form,
    /// Distinct nodes of the expression.
    pub nodes: usize,
}

/// What a [`Rendered`] writes from.
#[derive(Clone, Debug)]
enum Form {
    /// A large result in its shared form (a store of its own: the result's
    /// nodes and names, never the program's store).
    Shared(SharedForm),
    /// A small result, written out in every notation at once.
    Inline {
        text: String,
        ascii: String,
        latex: String,
        sympy: String,
    },
}

impl Rendered {
    /// A result past [`crate::expr::SHARED_FORM_MIN_TREE`] nodes written out
    /// comes in its shared form: the result in terms of names, then
    /// `where t1 = …` with one name a line (in every notation), so its size
    /// stays linear in the distinct nodes.
    pub fn of(store: &Store, e: ExprId) -> Rendered {
        let nodes = store.dag_size(e);
        let form = match crate::expr::shared_form(store, e) {
            Some(shared) => Form::Shared(shared),
            None => Form::Inline {
                text: store.display(e),
                ascii: store.display_ascii(e),
                latex: to_latex(store, e),
                sympy: to_sympy(store, e),
            },
        };
        Rendered { form, nodes }
    }

    /// Unicode text (`σ(x)·(1 − σ(x))`).
    pub fn text(&self) -> String {
        match &self.form {
            Form::Shared(f) => f.lines(&|x| f.store.display(x), "where ", "      "),
            Form::Inline { text, .. } => text.clone(),
        }
    }

    /// ASCII text that `nabla` parses back (`sigma(x)*(1 - sigma(x))`).
    pub fn ascii(&self) -> String {
        match &self.form {
            Form::Shared(f) => f.lines(&|x| f.store.display_ascii(x), "where ", "      "),
            Form::Inline { ascii, .. } => ascii.clone(),
        }
    }

    pub fn latex(&self) -> String {
        match &self.form {
            Form::Shared(f) => f.lines(&|x| to_latex(&f.store, x), "\\text{where } ", ""),
            Form::Inline { latex, .. } => latex.clone(),
        }
    }

    /// A string `sympy.sympify` reads as the same expression.
    pub fn sympy(&self) -> String {
        match &self.form {
            Form::Shared(f) => f.lines(&|x| to_sympy(&f.store, x), "# where ", "# "),
            Form::Inline { sympy, .. } => sympy.clone(),
        }
    }
}

/// A derivative, checked against central differences before it is returned.
#[derive(Clone, Debug)]
pub struct Derivative {
    pub result: Rendered,
    /// The free indices of a gradient or Jacobian entry (none for a scalar).
    pub indices: Vec<String>,
    /// What the result is: `d/dx`, `(∂/∂W)_(i,j)`.
    pub head: String,
    /// The same head in LaTeX, with ` = ` (empty for a scalar derivative).
    pub head_latex: String,
    /// The matrix form of a gradient, for the common patterns.
    pub matrix_form: Option<String>,
    /// The matrix form in LaTeX, `\frac{\partial}{\partial W} = …`.
    pub matrix_form_latex: Option<String>,
    /// Where the result is the derivative (off the kinks nothing rules out):
    /// each condition as text and as LaTeX.
    pub valid_where: Vec<(String, String)>,
    /// Sample points at which the finite-difference cross-check ran (0: the
    /// derivative was undefined at every sample point, so it is unchecked).
    pub cross_checked: usize,
}

/// Why a derivative could not be given.
#[derive(Clone, Debug)]
pub enum DiffError {
    /// The input is wrong: a located message.
    Input(Diagnostic),
    /// The derivative disagreed with central differences at a sample point.
    CrossCheck(String),
}

/// A derivative past this many distinct nodes is shown as built: the
/// canonical form flattens and sorts nested products again at every level,
/// which is quadratic in the depth of a long chain.
const MAX_SIMPLIFIED_NODES: usize = 5_000;

/// The display form of a derivative, or the derivative as built when it is
/// past [`MAX_SIMPLIFIED_NODES`].
fn display_form(store: &mut Store, domains: &crate::domain::Domains, e: ExprId) -> ExprId {
    if store.dag_size(e) > MAX_SIMPLIFIED_NODES {
        return e;
    }
    crate::simplify::simplify_for_display(store, domains, e)
}

/// The configuration of one-off expressions: unknown names are real variables.
fn standalone_config() -> LowerConfig {
    LowerConfig {
        declare_unknown_as_real: true,
        ..LowerConfig::default()
    }
}

/// The definitions of `text` (a `.nabla` source): its declarations, without
/// claims; a parse error is the first located error.
pub fn definitions(text: &str) -> Result<ast::File, Diagnostic> {
    let parsed = syntax::parse_file(text);
    if let Some(first) = parsed.errors.into_iter().next() {
        return Err(first);
    }
    let items = parsed
        .file
        .items
        .into_iter()
        .filter(|i| !matches!(i.kind, ast::ItemKind::Claim(_) | ast::ItemKind::Derive(_)))
        .collect();
    Ok(ast::File { items })
}

/// The display form of one expression (canonical, σ and softplus folded back).
pub fn simplify(defs: &ast::File, expr: &ast::Expr) -> Result<Rendered, Diagnostic> {
    let (mut program, lowered) = lower::lower_standalone(defs, expr, standalone_config());
    let e = lowered?;
    let result = crate::simplify::simplest_form(&mut program.store, &program.domains, e);
    Ok(Rendered::of(&program.store, result))
}

/// `d^order expr / d wrt^order`, simplified; for a vector or matrix variable the
/// gradient's entry in index form and, for the common patterns, in matrix form.
/// Nothing is returned unless central differences agree with it.
pub fn differentiate(
    defs: &ast::File,
    expr: &ast::Expr,
    wrt: &str,
    order: u32,
) -> Result<Derivative, DiffError> {
    if order > lower::MAX_DERIVATIVE_ORDER {
        return Err(DiffError::Input(Diagnostic::error(
            Span::default(),
            format!(
                "order {order} is past the limit of {} (a fixed limit, MAX_DERIVATIVE_ORDER)",
                lower::MAX_DERIVATIVE_ORDER
            ),
        )));
    }
    let (mut program, lowered) =
        lower::lower_gradient(defs, expr, wrt, order.max(1), standalone_config());
    let gradient = lowered.map_err(DiffError::Input)?;
    let cross_checked =
        crate::gradient::cross_check(&program.store, &program.domains, &gradient.sites, 1)
            .map_err(DiffError::CrossCheck)?;
    // where the result is the derivative: off the kinks nothing rules out
    let open = kinks::open_kinks(
        &mut program.store,
        &program.domains,
        &gradient.sites,
        &[],
        &crate::simplify::Budget::default(),
    );
    let valid_where = kinks::validity(&program.store, &open);
    let value = if gradient.indices.is_empty() {
        display_form(&mut program.store, &program.domains, gradient.value)
    } else {
        crate::gradient::display_form(
            &mut program.store,
            &program.domains,
            gradient.value,
            &gradient.named,
        )
    };
    let store = &program.store;
    let indices: Vec<String> = gradient.indices.iter().map(|&i| store.display(i)).collect();
    let head = match indices.len() {
        0 => format!("d/d{wrt}"),
        1 => format!("(∂/∂{wrt})_{}", indices[0]),
        _ => format!("(∂/∂{wrt})_({})", indices.join(",")),
    };
    let symbols: Vec<_> = gradient
        .indices
        .iter()
        .filter_map(|&i| store.as_sym(i))
        .collect();
    let matrix_form = match symbols.as_slice() {
        [i] => crate::gradient::vector_form(store, value, *i),
        [i, j] => crate::gradient::matrix_form(store, value, *i, *j),
        _ => None,
    };
    let wrt_latex = crate::expr::latex_name(wrt);
    let head_latex = if symbols.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = symbols
            .iter()
            .map(|&s| crate::expr::latex_name(store.display_name(s)))
            .collect();
        format!(
            "\\left(\\frac{{\\partial}}{{\\partial {wrt_latex}}}\\right)_{{{}}} = ",
            names.join(",")
        )
    };
    let matrix_form_latex = match symbols.as_slice() {
        [i] => crate::gradient::vector_form_in(Notation::Latex, store, value, *i),
        [i, j] => crate::gradient::matrix_form_in(Notation::Latex, store, value, *i, *j),
        _ => None,
    }
    .map(|m| format!("\\frac{{\\partial}}{{\\partial {wrt_latex}}} = {m}"));
    Ok(Derivative {
        result: Rendered::of(store, value),
        indices,
        head,
        head_latex,
        matrix_form,
        matrix_form_latex,
        valid_where,
        cross_checked,
    })
}

/// One layer of a net's summary.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRow {
    pub name: String,
    pub kind: String,
    /// The per-sample output shape, one size a text each (`64`, `d − 2`).
    pub output: Vec<String>,
    /// Parameters as declared (`0` for a layer without any).
    pub params: String,
    pub mult_adds: String,
    pub trainable: bool,
    /// The size formulas with their numbers (`H, W: ⌊(128 + 2·3 − 8)/2⌋ + 1 = 64`).
    pub formulas: Vec<String>,
}

/// One net: its table as `nabla shape` prints it, and its rows as data.
#[derive(Clone, Debug, PartialEq)]
pub struct NetSummary {
    pub name: String,
    pub input: Vec<String>,
    pub layers: Vec<LayerRow>,
    pub total_params: String,
    pub trainable_params: String,
    pub mult_adds: String,
    pub table: String,
}

/// The nets of a `.nabla` source (its claims are ignored), with every parse
/// and name error and warning, located in `text`.
pub fn net_summaries(text: &str) -> (Vec<NetSummary>, Vec<Diagnostic>) {
    let mut parsed = syntax::parse_file(text);
    // only declarations matter for shapes; claims are `nabla check`'s business
    parsed.file.items.retain(|i| {
        matches!(
            i.kind,
            ast::ItemKind::Net(_) | ast::ItemKind::Dim(_) | ast::ItemKind::Var(_)
        )
    });
    let program = lower::lower_file(&parsed.file, LowerConfig::default());
    let mut diagnostics = parsed.errors;
    diagnostics.extend(program.diagnostics.iter().cloned());
    let store = &program.store;
    let shown = |ids: &[ExprId]| -> Vec<String> { ids.iter().map(|&i| store.display(i)).collect() };
    let nets = program
        .nets
        .iter()
        .filter_map(|net| net.shapes.as_ref())
        .map(|shapes| NetSummary {
            name: shapes.name.clone(),
            input: shown(&shapes.input),
            layers: shapes
                .layers
                .iter()
                .map(|l| LayerRow {
                    name: l.name.clone(),
                    kind: l.kind.clone(),
                    output: shown(&l.output),
                    params: store.display(l.params),
                    mult_adds: store.display(l.mult_adds),
                    trainable: l.trainable,
                    formulas: l
                        .formulas
                        .iter()
                        .map(|f| format!("{}: {}", f.axis, f.text))
                        .collect(),
                })
                .collect(),
            total_params: store.display(shapes.total),
            trainable_params: store.display(shapes.trainable),
            mult_adds: store.display(shapes.mult_adds),
            table: crate::shape::summary_table(store, shapes),
        })
        .collect();
    (nets, diagnostics)
}
