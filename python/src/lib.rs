//! The extension module `nabla._nabla`: nabla's library called in-process, each
//! call on a worker thread with the command line's large stack (derivatives of
//! deep compositions are deep expressions) and without the GIL. Every function
//! takes and returns plain strings: reports as the JSON of `docs/json.md` (plus
//! a few fields noted below), errors as `{"error": {...}}`; the Python package
//! turns them into typed objects and exceptions.

use nabla::calc::{self, DiffError, Rendered};
use nabla::check::CheckConfig;
use nabla::diagnostic::Diagnostic;
use nabla::driver::{self, Defs, DocumentOptions};
use nabla::html::mathml;
use nabla::latex::DocKind;
use nabla::report::{self, FileReport};
use nabla::span::SourceFile;
use nabla::syntax::{self, ast};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use serde_json::{json, Value as Json};
use std::path::PathBuf;
use std::time::Duration;

/// Stack of the worker thread, as the command line's.
const STACK_BYTES: usize = 512 * 1024 * 1024;

/// Runs `work` on a big-stack thread with the GIL released; a panic becomes a
/// `RuntimeError` (it is a bug in nabla, never the caller's input).
fn on_worker<F>(py: Python<'_>, work: F) -> PyResult<String>
where
    F: FnOnce() -> Json + Send + 'static,
{
    py.detach(move || {
        std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn(work)
            .map_err(|e| PyRuntimeError::new_err(format!("could not start nabla's worker: {e}")))?
            .join()
            .map(|json| json.to_string())
            .map_err(|_| {
                PyRuntimeError::new_err(
                    "nabla stopped unexpectedly (this is a bug; please report it)",
                )
            })
    })
}

/// `{"error": {...}}`: a located message in `source`.
fn located_error(source: &SourceFile, d: &Diagnostic, origin: &str) -> Json {
    let at = source.locate(d.span.start as usize);
    json!({ "error": {
        "message": d.message,
        "line": at.line,
        "column": at.col,
        "cell": at.cell,
        "notes": d.notes,
        "file": source.name,
        "origin": origin,
    }})
}

/// The declarations of a `defs` text; an error is located in it.
fn parse_defs(defs: Option<&str>) -> Result<Defs, Json> {
    let Some(text) = defs else {
        return Ok(Defs::default());
    };
    match calc::definitions(text) {
        Ok(file) => Ok(Defs { items: file.items }),
        Err(d) => Err(located_error(&SourceFile::new("<defs>", text), &d, "defs")),
    }
}

/// The JSON report, with each step's `"mathml"` (where nabla has its own
/// reading of the step) and each diagnostic's `"kind"`: `error` (bad input),
/// `failure` (a finding, such as "nothing checkable") or `warning`.
fn report_json(reports: &[FileReport]) -> Json {
    let mut json = report::to_json(reports);
    for (k, r) in reports.iter().enumerate() {
        for (j, d) in r.diagnostics.iter().enumerate() {
            let kind = if d.is_error() {
                "error"
            } else if d.is_failure() {
                "failure"
            } else {
                "warning"
            };
            json["files"][k]["diagnostics"][j]["kind"] = json!(kind);
        }
        // each step as MathML from nabla's own reading of it, for the notebook's table
        for (n, row) in r.results.iter().enumerate() {
            if let Some(sides) = &row.sides {
                json["files"][k]["results"][n]["mathml"] =
                    json!(mathml::relation(sides.lhs.as_ref(), sides.op, &sides.rhs));
            }
        }
    }
    json
}

fn config(seed: u64, points: usize, time_budget: f64, file_budget: f64) -> CheckConfig {
    let seconds = |s: f64| Duration::from_secs_f64(s.clamp(0.0, 86_400.0 * 365.0));
    CheckConfig {
        seed,
        points: points.max(1),
        time_budget: seconds(time_budget),
        file_budget: seconds(file_budget),
        ..CheckConfig::default()
    }
}

fn doc_kind(kind: &str) -> Result<Option<DocKind>, String> {
    match kind {
        "nabla" => Ok(None),
        "markdown" | "md" => Ok(Some(DocKind::Markdown)),
        "latex" | "tex" => Ok(Some(DocKind::Latex)),
        "notebook" | "ipynb" => Ok(Some(DocKind::Notebook)),
        other => Err(format!(
            "unknown kind `{other}`: use \"nabla\", \"markdown\", \"latex\" or \"notebook\""
        )),
    }
}

/// Checks `text` as a `.nabla` source or a document of `kind`.
#[pyfunction]
#[pyo3(signature = (text, kind, name, defs, seed, points, time_budget, file_budget, allow_empty))]
#[allow(clippy::too_many_arguments)]
fn check_text(
    py: Python<'_>,
    text: String,
    kind: String,
    name: String,
    defs: Option<String>,
    seed: u64,
    points: usize,
    time_budget: f64,
    file_budget: f64,
    allow_empty: bool,
) -> PyResult<String> {
    on_worker(py, move || {
        let kind = match doc_kind(&kind) {
            Ok(k) => k,
            Err(message) => return json!({ "error": { "message": message, "origin": "usage" } }),
        };
        let defs = match parse_defs(defs.as_deref()) {
            Ok(d) => d,
            Err(e) => return e,
        };
        let config = config(seed, points, time_budget, file_budget);
        let report = match driver::source_from_bytes(&name, text.into_bytes()) {
            Err(report) => report,
            Ok(source) => match kind {
                None => driver::check_source(source, &defs, &config),
                Some(kind) => match driver::document_source(source, kind) {
                    Err(report) => report,
                    Ok(source) => {
                        let options = DocumentOptions {
                            read_as: Some(kind),
                            allow_empty,
                            ..DocumentOptions::default()
                        };
                        driver::check_document(source, kind, &defs, &config, &options)
                    }
                },
            },
        };
        report_json(&[report])
    })
}

/// Checks files and folders as `nabla check` does (`kind` forces the reading, as `--as`).
#[pyfunction]
#[pyo3(signature = (paths, kind, defs, seed, points, time_budget, file_budget, allow_empty))]
#[allow(clippy::too_many_arguments)]
fn check_paths(
    py: Python<'_>,
    paths: Vec<String>,
    kind: Option<String>,
    defs: Option<String>,
    seed: u64,
    points: usize,
    time_budget: f64,
    file_budget: f64,
    allow_empty: bool,
) -> PyResult<String> {
    on_worker(py, move || {
        let read_as = match kind.as_deref().map(doc_kind) {
            None | Some(Ok(None)) => None,
            Some(Ok(k)) => k,
            Some(Err(message)) => {
                return json!({ "error": { "message": message, "origin": "usage" } })
            }
        };
        let defs = match parse_defs(defs.as_deref()) {
            Ok(d) => d,
            Err(e) => return e,
        };
        let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
        let options = DocumentOptions {
            read_as,
            allow_empty,
            ..DocumentOptions::default()
        };
        let config = config(seed, points, time_budget, file_budget);
        report_json(&driver::check_paths_as(&paths, &defs, &config, &options))
    })
}

fn rendered(r: &Rendered) -> Json {
    json!({
        "text": r.text(), "ascii": r.ascii(), "latex": r.latex(), "sympy": r.sympy(), "nodes": r.nodes,
    })
}

/// One expression and its declarations, or the located error.
fn expression(text: &str, defs: Option<&str>) -> Result<(ast::Expr, ast::File), Json> {
    let defs = parse_defs(defs)?;
    let source = SourceFile::new("<expression>", text);
    match syntax::parse_expr(text) {
        Ok(e) => Ok((e, ast::File { items: defs.items })),
        Err(d) => Err(located_error(&source, &d, "expression")),
    }
}

#[pyfunction]
#[pyo3(signature = (text, defs))]
fn simplify(py: Python<'_>, text: String, defs: Option<String>) -> PyResult<String> {
    on_worker(py, move || {
        let (expr, defs_file) = match expression(&text, defs.as_deref()) {
            Ok(parts) => parts,
            Err(e) => return e,
        };
        match calc::simplify(&defs_file, &expr) {
            Ok(r) => json!({ "result": rendered(&r) }),
            Err(d) => located_error(&SourceFile::new("<expression>", text), &d, "expression"),
        }
    })
}

#[pyfunction]
#[pyo3(signature = (text, wrt, order, defs))]
fn diff(
    py: Python<'_>,
    text: String,
    wrt: String,
    order: u32,
    defs: Option<String>,
) -> PyResult<String> {
    on_worker(py, move || {
        let (expr, defs_file) = match expression(&text, defs.as_deref()) {
            Ok(parts) => parts,
            Err(e) => return e,
        };
        match calc::differentiate(&defs_file, &expr, &wrt, order) {
            Ok(d) => json!({ "result": rendered(&d.result),
                "indices": d.indices,
                "head": d.head,
                "matrix_form": d.matrix_form,
                "valid_where": d.valid_where.iter().map(|(t, l)| json!([t, l])).collect::<Vec<_>>(),
                "cross_checked": d.cross_checked,
            }),
            Err(DiffError::Input(d)) => {
                located_error(&SourceFile::new("<expression>", text), &d, "expression")
            }
            Err(DiffError::CrossCheck(message)) => {
                json!({ "error": { "message": message, "origin": "cross-check" } })
            }
        }
    })
}

#[pyfunction]
#[pyo3(signature = (text, name))]
fn shape(py: Python<'_>, text: String, name: String) -> PyResult<String> {
    on_worker(py, move || {
        let source = SourceFile::new(name, text);
        let (nets, diagnostics) = calc::net_summaries(&source.text);
        if let Some(first) = diagnostics.iter().find(|d| d.is_error()) {
            return located_error(&source, first, "source");
        }
        let warnings: Vec<Json> = diagnostics
            .iter()
            .map(|d| {
                let at = source.locate(d.span.start as usize);
                json!({ "message": d.message, "line": at.line, "column": at.col, "notes": d.notes })
            })
            .collect();
        let nets: Vec<Json> = nets
            .iter()
            .map(|n| {
                let layers: Vec<Json> = n
                    .layers
                    .iter()
                    .map(|l| {
                        json!({
                            "name": l.name, "kind": l.kind, "output": l.output, "params": l.params,
                            "mult_adds": l.mult_adds, "trainable": l.trainable, "formulas": l.formulas,
                        })
                    })
                    .collect();
                json!({
                    "name": n.name, "input": n.input, "layers": layers,
                    "total_params": n.total_params, "trainable_params": n.trainable_params,
                    "mult_adds": n.mult_adds, "table": n.table,
                })
            })
            .collect();
        json!({ "nets": nets, "warnings": warnings })
    })
}

/// The version of the nabla library this module was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _nabla(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_text, m)?)?;
    m.add_function(wrap_pyfunction!(check_paths, m)?)?;
    m.add_function(wrap_pyfunction!(simplify, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(shape, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
