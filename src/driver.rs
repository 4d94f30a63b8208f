//! One file from bytes to a report: read, parse (a `.nabla` file) or read as a
//! document (`latex`), lower, check. Every kind of file goes through the same
//! lowering config and one deadline per file.
//!
//! Every failure here is a located diagnostic in the file's report, so one bad
//! file never hides the results of the others.

use crate::check::{self, CheckConfig};
use crate::diagnostic::{Diagnostic, Severity};
use crate::files::{is_stdin, unreadable};
use crate::latex::{self, DocKind};
use crate::lower::{self, LowerConfig, Origin};
use crate::report::{Coverage, FileReport, MathSpan, ResultRow, SkippedFormula};
use crate::span::{SourceFile, Span};
use crate::syntax::ast::RelOp;
use crate::syntax::{self, ast};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Files larger than this are refused instead of read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A report for a path that could not be read or parsed as a whole.
pub fn error_report(name: &str, message: impl Into<String>) -> FileReport {
    FileReport {
        source: SourceFile::new(name, ""),
        diagnostics: vec![Diagnostic::error(Span::default(), message)],
        results: Vec::new(),
        coverage: None,
    }
}

/// Reads a file as UTF-8 text, refusing binary, invalid and oversized input
/// with a located message.
// the error is the file's whole report, located, so nothing is lost on the way
#[allow(clippy::result_large_err)]
pub fn read_source(path: &Path) -> Result<SourceFile, FileReport> {
    if is_stdin(path) {
        return read_stdin();
    }
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| error_report(&name, unreadable(&name, &e)))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(error_report(
            &name,
            format!(
                "`{name}` is {} bytes; the limit is {MAX_FILE_BYTES} bytes",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| error_report(&name, unreadable(&name, &e)))?;
    source_from_bytes(&name, bytes)
}

/// Standard input as a source named `<stdin>`, under the same size limit as a file.
#[allow(clippy::result_large_err)]
fn read_stdin() -> Result<SourceFile, FileReport> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes);
    if let Err(e) = read {
        return Err(error_report("<stdin>", unreadable("<stdin>", &e)));
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(error_report(
            "<stdin>",
            format!("standard input is over the limit of {MAX_FILE_BYTES} bytes"),
        ));
    }
    source_from_bytes("<stdin>", bytes)
}

/// Text from raw bytes: a NUL byte means a binary file; bad UTF-8 is located.
// the error is the file's whole report, located, so nothing is lost on the way
#[allow(clippy::result_large_err)]
pub fn source_from_bytes(name: &str, bytes: Vec<u8>) -> Result<SourceFile, FileReport> {
    // an empty file in a CI run is almost always a wrong path or a lost write
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(error_report(
            name,
            format!("`{name}` is empty: there is nothing to check"),
        ));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(located_byte_error(
            name,
            &bytes,
            at,
            "this is a binary file (it contains a NUL byte)",
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            Err(located_byte_error(
                name,
                &bytes,
                at,
                format!("invalid UTF-8 at byte {at}"),
            ))
        }
    }
}

fn located_byte_error(
    name: &str,
    bytes: &[u8],
    at: usize,
    message: impl Into<String>,
) -> FileReport {
    // keep the valid prefix so the error can point at its line and column
    let prefix = String::from_utf8_lossy(&bytes[..at]).into_owned();
    let len = prefix.len();
    FileReport {
        source: SourceFile::new(name, prefix),
        diagnostics: vec![Diagnostic::error(Span::new(len, len), message)],
        results: Vec::new(),
        coverage: None,
    }
}

/// Definitions brought in with `--defs`: their declarations are visible in every file.
#[derive(Clone, Debug, Default)]
pub struct Defs {
    pub items: Vec<ast::Item>,
}

/// Parses a `--defs` file: only its declarations are kept (its claims are not checked here).
// the error is the file's whole report, located, so nothing is lost on the way
#[allow(clippy::result_large_err)]
pub fn load_defs(path: &Path) -> Result<Defs, FileReport> {
    let source = read_source(path)?;
    let parsed = syntax::parse_file(&source.text);
    if !parsed.errors.is_empty() {
        return Err(FileReport {
            source,
            diagnostics: parsed.errors,
            results: Vec::new(),
            coverage: None,
        });
    }
    let items = parsed
        .file
        .items
        .into_iter()
        .filter(|i| !matches!(i.kind, ast::ItemKind::Claim(_) | ast::ItemKind::Derive(_)))
        .collect();
    Ok(Defs { items })
}

/// Parses, lowers and checks one source.
pub fn check_source(source: SourceFile, defs: &Defs, config: &CheckConfig) -> FileReport {
    let parsed = syntax::parse_file(&source.text);
    let mut diagnostics = parsed.errors;
    let mut file = parsed.file;
    file.items.splice(0..0, defs.items.iter().cloned());
    let mut program = lower::lower_file(&file, lower_config(config));
    diagnostics.append(&mut program.diagnostics);
    let outcomes = check::check_program(&mut program, config);
    let results = result_rows(&source, &file, &program, outcomes, config.plots);
    diagnostics.sort_by_key(|d| d.span.start);
    FileReport {
        source,
        diagnostics,
        results,
        coverage: None,
    }
}

/// One report row per obligation of `program`, located in `source`.
pub fn result_rows(
    source: &SourceFile,
    file: &ast::File,
    program: &lower::Program,
    outcomes: Vec<check::Outcome>,
    plots: bool,
) -> Vec<ResultRow> {
    program
        .obligations
        .iter()
        .zip(outcomes)
        .map(|(ob, outcome)| {
            let at = source.locate(ob.span.start as usize);
            let (kind, step) = match &ob.origin {
                Origin::Claim => ("claim", None),
                Origin::Step { step, .. } => ("step", Some(*step)),
            };
            ResultRow {
                span: ob.span,
                cell: at.cell,
                line: at.line,
                column: at.col,
                kind,
                name: ob.name.clone(),
                step,
                text: match (&ob.origin, ob.op) {
                    (Origin::Step { .. }, RelOp::Eq) => {
                        format!("= {}", one_line(source.snippet(ob.text_span)))
                    }
                    (Origin::Step { .. }, RelOp::Approx) => {
                        format!("≈ {}", one_line(source.snippet(ob.text_span)))
                    }
                    _ => one_line(source.snippet(ob.text_span)),
                },
                expected: outcome.expected,
                passed: outcome.passed,
                seed: outcome.seed,
                elapsed: outcome.elapsed,
                context: Vec::new(),
                sides: crate::picture::sides_of(file, ob).map(Box::new),
                picture: match &outcome.verdict {
                    check::Verdict::Refuted { counterexample } if plots => Some(Box::new(
                        crate::picture::picture(program, ob, counterexample),
                    )),
                    _ => None,
                },
                verdict: outcome.verdict,
            }
        })
        .collect()
}

/// A snippet on one line (comments dropped, white space folded), whole: the
/// human formats shorten it, the machine formats never do.
fn one_line(snippet: &str) -> String {
    let folded: Vec<&str> = snippet
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    folded.join(" ")
}

/// How documents are read and judged.
#[derive(Clone, Debug, Default)]
pub struct DocumentOptions {
    /// What a folder yields.
    pub walk: crate::files::WalkOptions,
    /// Read every file as this kind of document (`--as`).
    pub read_as: Option<DocKind>,
    /// A document with nothing checkable passes (`--allow-empty`).
    pub allow_empty: bool,
}

/// Checks every path (files and folders); the reports come back in path order.
pub fn check_paths(paths: &[PathBuf], defs: &Defs, config: &CheckConfig) -> Vec<FileReport> {
    check_paths_as(paths, defs, config, &DocumentOptions::default())
}

/// Like `check_paths`; `.md`/`.markdown`/`.txt`/`.tex` files (and every file when
/// `options.read_as` is given) are read as documents: their math is found and its
/// chains checked. Folders yield their `*.nabla` files, and their documents when
/// `options.walk` asks for them.
pub fn check_paths_as(
    paths: &[PathBuf],
    defs: &Defs,
    config: &CheckConfig,
    options: &DocumentOptions,
) -> Vec<FileReport> {
    let (files, unwalkable) = crate::files::collect_files(paths, &options.walk);
    let mut reports: Vec<FileReport> = unwalkable
        .into_iter()
        .map(|u| error_report(&u.shown, u.message))
        .collect();
    let check_all = || {
        use rayon::prelude::*;
        files
            .par_iter()
            .map(|path| check_path(path, defs, config, options))
            .collect::<Vec<FileReport>>()
    };
    // files and claims are checked side by side on `config.jobs` threads, each
    // with the big stack deep expressions need; the reports keep path order
    match worker_pool(config.jobs) {
        Ok(pool) => reports.extend(pool.install(check_all)),
        Err(_) => reports.extend(files.iter().map(|p| check_path(p, defs, config, options))),
    }
    reports
}

/// Stack size of every thread that lowers or checks: derivatives of deep
/// compositions are deep expressions.
pub const WORKER_STACK_BYTES: usize = 512 * 1024 * 1024;

/// A pool of `jobs` threads with big stacks.
fn worker_pool(jobs: usize) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .stack_size(WORKER_STACK_BYTES)
        .thread_name(|k| format!("nabla-worker-{k}"))
        .build()
}

/// One path read, parsed or read as a document, lowered and checked.
fn check_path(
    path: &Path,
    defs: &Defs,
    config: &CheckConfig,
    options: &DocumentOptions,
) -> FileReport {
    let kind = options.read_as.or_else(|| DocKind::from_path(path));
    match (read_source(path), kind) {
        (Ok(source), Some(kind)) => match document_source(source, kind) {
            Ok(source) => check_document(source, kind, defs, config, options),
            Err(report) => report,
        },
        (Ok(source), None) => check_source(source, defs, config),
        (Err(report), _) => report,
    }
}

/// The text a document is read from: the file itself, or for a notebook its
/// Markdown cells as one text that knows where each cell starts.
#[allow(clippy::result_large_err)]
pub fn document_source(source: SourceFile, kind: DocKind) -> Result<SourceFile, FileReport> {
    if kind != DocKind::Notebook {
        return Ok(source);
    }
    match latex::find::notebook_markdown(&source.text) {
        Ok((text, cells)) => Ok(SourceFile::with_cells(source.name, text, cells)),
        Err(message) => Err(error_report(&source.name, message)),
    }
}

/// The lowering config every file is lowered under.
fn lower_config(config: &CheckConfig) -> LowerConfig {
    LowerConfig {
        max_nodes: config.expr_limit,
        ..LowerConfig::default()
    }
}

/// The lowering config of a document's chains: a derivative by a vector may be
/// laid out as a row, as documents write it.
fn document_lower_config(config: &CheckConfig) -> LowerConfig {
    LowerConfig {
        either_layout: true,
        ..lower_config(config)
    }
}

/// Reads a Markdown or LaTeX document and checks every chain it holds, under the
/// same config as a `.nabla` file and one deadline for the whole document. Each
/// chain is lowered as a program of its own (so `--expr-limit` bounds each
/// chain's store); a formula lowering refuses is a located warning, and its steps
/// are counted as skipped.
pub fn check_document(
    source: SourceFile,
    kind: DocKind,
    defs: &Defs,
    config: &CheckConfig,
    options: &DocumentOptions,
) -> FileReport {
    let document = latex::read_document(&source, kind, &defs.items);
    let deadline = Instant::now() + config.file_budget;
    let mut diagnostics = document.warnings;
    let mut skipped = document.skipped;
    let mut results: Vec<ResultRow> = Vec::new();
    let mut checked_chains = 0;
    // chains are programs of their own: checked side by side, gathered in order
    let check_unit = |unit: &latex::Unit| check_unit(&source, unit, config, deadline);
    let units: Vec<UnitResult> = if rayon::current_thread_index().is_some() {
        use rayon::prelude::*;
        document.units.par_iter().map(check_unit).collect()
    } else {
        document.units.iter().map(check_unit).collect()
    };
    // rows a reading of `\log` demoted, and where every row came from
    let mut demoted: Vec<(usize, usize, ResultRow)> = Vec::new();
    let mut placed: Vec<(usize, Option<usize>, usize)> = Vec::new();
    for (unit_index, unit) in units.into_iter().enumerate() {
        checked_chains += usize::from(unit.checked);
        diagnostics.extend(unit.warnings);
        skipped.extend(unit.skipped);
        for row in unit.rows {
            if let Some(original) = row.demoted {
                demoted.push((results.len(), unit_index, original));
            }
            placed.push((unit_index, row.single, results.len()));
            results.push(row.row);
        }
    }
    settle_log_base(
        &document.units,
        &placed,
        &demoted,
        &mut results,
        config,
        deadline,
    );
    skipped.sort_by_key(|s| s.span.start);
    let coverage = Coverage {
        equalities: document.equalities,
        without_equality: document.without_equality,
        other_relations: document.other_relations,
        skipped: skipped.iter().map(|s| skipped_row(&source, s)).collect(),
        // a formula decoded from an image URL is no slice of the text: it stays as written
        math: latex::document_math(&source, kind)
            .into_iter()
            .filter(|b| !b.decoded)
            .map(|b| MathSpan {
                span: b.span,
                body: b.body_span,
                display: b.display,
            })
            .collect(),
    };
    let mut diagnostics = merge_repeated_warnings(diagnostics, &source);
    diagnostics.push(coverage_summary(kind, checked_chains, &results, &coverage));
    if results.is_empty() && !options.allow_empty {
        diagnostics.push(
            Diagnostic::failure(Span::default(), "nothing checkable in this document").with_note(
                format!(
                    "no step of its {} equalities could be judged; pass --allow-empty to accept it",
                    coverage.equalities
                ),
            ),
        );
    }
    diagnostics.sort_by_key(|d| d.span.start);
    results.sort_by_key(|r| r.span.start);
    FileReport {
        source,
        diagnostics,
        results,
        coverage: Some(Box::new(coverage)),
    }
}

/// A document's warnings with each message said once: the same warning at the same
/// place (one per chain that met it) is dropped, and one met at several places is
/// kept at the first with a note naming the others ("also at lines 9, 16").
fn merge_repeated_warnings(diagnostics: Vec<Diagnostic>, source: &SourceFile) -> Vec<Diagnostic> {
    let mut diagnostics = diagnostics;
    diagnostics.sort_by_key(|d| d.span.start);
    let mut out: Vec<Diagnostic> = Vec::new();
    // for each message kept: its index in `out` and the places seen
    let mut seen: Vec<(String, usize, Vec<Span>)> = Vec::new();
    for d in diagnostics {
        if d.severity != Severity::Warning {
            out.push(d);
            continue;
        }
        match seen.iter_mut().find(|(m, _, _)| *m == d.message) {
            Some((_, _, spans)) => {
                if !spans.iter().any(|s| s.start == d.span.start) {
                    spans.push(d.span);
                }
            }
            None => {
                seen.push((d.message.clone(), out.len(), vec![d.span]));
                out.push(d);
            }
        }
    }
    for (_, at, spans) in seen {
        let mut places: Vec<String> = Vec::new();
        for span in &spans[1..] {
            let l = source.locate(span.start as usize);
            let place = match l.cell {
                Some(cell) => format!("cell {cell}:{}", l.line),
                None => l.line.to_string(),
            };
            if !places.contains(&place) {
                places.push(place);
            }
        }
        let note = match places.as_slice() {
            [] => continue,
            [one] if !one.starts_with("cell") => format!("also at line {one}"),
            _ if !places[0].starts_with("cell") => format!("also at lines {}", places.join(", ")),
            _ => format!("also at {}", places.join(", ")),
        };
        out[at].notes.push(note);
    }
    out
}

/// What one chain of a document gives: its rows, warnings and what was skipped.
struct UnitResult {
    checked: bool,
    warnings: Vec<Diagnostic>,
    skipped: Option<latex::Skip>,
    rows: Vec<UnitRow>,
}

/// One row of a chain, with what the document-wide pass needs to know of it.
struct UnitRow {
    row: ResultRow,
    /// The step it was checked alone as (the chain as a whole was refused).
    single: Option<usize>,
    /// The refuted row as first found, when another reading demoted it.
    demoted: Option<ResultRow>,
}

/// Lowers and checks one chain of a document. A chain lowering refuses as a whole
/// (a matrix among scalars) is checked step by step, so the steps it can read are
/// still checked; a refuted step is read every other way the text allows.
fn check_unit(
    source: &SourceFile,
    unit: &latex::Unit,
    config: &CheckConfig,
    deadline: Instant,
) -> UnitResult {
    let program = lower::lower_file(&unit.file, document_lower_config(config));
    let mut programs: Vec<(Option<usize>, lower::Program)> = vec![(None, program)];
    let mut warnings = Vec::new();
    let mut refusal: Option<String> = None;
    for d in programs[0].1.diagnostics.drain(..) {
        let message = if d.is_error() {
            refusal.get_or_insert_with(|| d.message.clone());
            format!("{}; not checked", d.message)
        } else {
            d.message.clone()
        };
        let mut w = Diagnostic::warning(d.span, message);
        w.labels = d.labels;
        w.notes = d.notes;
        warnings.push(w);
    }
    if refusal.is_some() && unit.steps > 1 && programs[0].1.obligations.len() < unit.steps {
        let singles: Vec<(Option<usize>, lower::Program)> = (1..=unit.steps)
            .filter_map(|k| {
                let file = latex::single_step(&unit.file, k)?;
                let p = lower::lower_file(&file, document_lower_config(config));
                (!p.obligations.is_empty()).then_some((Some(k), p))
            })
            .collect();
        if singles.len() > programs[0].1.obligations.len() {
            programs = singles;
        }
    }
    let judged: usize = programs.iter().map(|(_, p)| p.obligations.len()).sum();
    let missing = unit.steps.saturating_sub(judged);
    let skipped = (missing > 0).then(|| latex::Skip {
        span: unit.span,
        reason: latex::SkipReason::NotChecked(
            refusal.unwrap_or_else(|| "lowering refused it".to_string()),
        ),
        equalities: missing,
    });
    let mut rows = Vec::new();
    for (single, mut program) in programs {
        if let Some(k) = single {
            for ob in program.obligations.iter_mut() {
                if let Origin::Step { step, .. } = &mut ob.origin {
                    *step = k;
                }
            }
        }
        let outcomes = check::check_program_until(&mut program, config, deadline);
        for row in result_rows(source, &unit.file, &program, outcomes, config.plots) {
            let original = row.clone();
            let row = read_otherwise(row, unit, single, config, deadline);
            let refuted = |r: &ResultRow| matches!(r.verdict, check::Verdict::Refuted { .. });
            let demoted = (refuted(&original) && !refuted(&row)).then_some(original);
            rows.push(UnitRow {
                row: in_context(row, unit),
                single,
                demoted,
            });
        }
    }
    UnitResult {
        checked: judged > 0,
        warnings,
        skipped,
        rows,
    }
}

fn skipped_row(source: &SourceFile, skip: &latex::Skip) -> SkippedFormula {
    let at = source.locate(skip.span.start as usize);
    SkippedFormula {
        span: skip.span,
        cell: at.cell,
        line: at.line,
        column: at.col,
        class: skip.reason.class(),
        reason: skip.reason.describe(),
        equalities: skip.equalities,
        text: one_line(source.snippet(skip.span)),
    }
}

/// "read 2 chains (5 steps) from the math of this Markdown file: judged 5 of 7
/// equalities; 2 skipped", with the skipped ones counted by reason.
fn coverage_summary(
    kind: DocKind,
    chains: usize,
    results: &[ResultRow],
    coverage: &Coverage,
) -> Diagnostic {
    let judged = results.len();
    let skipped: usize = coverage.skipped.iter().map(|s| s.equalities).sum();
    let mut by_class: Vec<(&str, usize)> = Vec::new();
    for s in &coverage.skipped {
        match by_class.iter_mut().find(|(c, _)| *c == s.class) {
            Some((_, n)) => *n += s.equalities,
            None => by_class.push((s.class, s.equalities)),
        }
    }
    let reasons: Vec<String> = by_class.iter().map(|(c, n)| format!("{n} {c}")).collect();
    let mut summary = Diagnostic::warning(
        Span::default(),
        format!(
            "read {chains} chains ({judged} steps) from the math of this {}: judged {judged} of {} \
             equalities; {skipped} skipped",
            kind.describe(),
            coverage.equalities,
        ),
    );
    if !reasons.is_empty() {
        summary = summary.with_note(format!("skipped: {}", reasons.join(", ")));
    }
    summary.with_note(format!(
        "not equalities: {} formulas without a relation, {} with another relation (<, ∈, →, ...)",
        coverage.without_equality, coverage.other_relations
    ))
}

/// A refuted step read every other way the text allows (`\log` to base 10 when the
/// text does not say which base): the refutation stands only when every reading
/// refutes the step; otherwise the step is `unknown`, naming what the reading
/// that refuted it assumed and what the other reading found.
fn read_otherwise(
    mut row: ResultRow,
    unit: &latex::Unit,
    single: Option<usize>,
    config: &CheckConfig,
    deadline: Instant,
) -> ResultRow {
    if !matches!(row.verdict, check::Verdict::Refuted { .. }) || unit.alternatives.is_empty() {
        return row;
    }
    let Some(step) = row.step else {
        return row;
    };
    for alternative in &unit.alternatives {
        let found = verdict_otherwise(alternative, single, step, config, deadline);
        let holds = match &found {
            Some(check::Verdict::Refuted { .. }) => continue,
            Some(check::Verdict::Proved { .. }) | Some(check::Verdict::Checked { .. }) => "holds",
            _ => "is not refuted",
        };
        if let check::Verdict::Refuted { counterexample } = &row.verdict {
            row.context.push(format!(
                "wrong as read, {}",
                crate::report::describe_counterexample(counterexample)
            ));
        }
        row.verdict = check::Verdict::Unknown {
            reason: format!(
                "refuted only if {}: with {} the step {holds}",
                alternative.assumption, alternative.reading
            ),
        };
        row.passed = false;
        return row;
    }
    if !unit.alternatives.is_empty() {
        row.context.push(
            "wrong under every reading the text allows (also with `\\log` to base 10 or 2)".into(),
        );
    }
    row
}

/// The verdict of step `step` of a chain read another way (`single`: the chain was
/// checked step by step).
fn verdict_otherwise(
    alternative: &latex::Alternative,
    single: Option<usize>,
    step: usize,
    config: &CheckConfig,
    deadline: Instant,
) -> Option<check::Verdict> {
    let file = match single {
        Some(k) => latex::single_step(&alternative.file, k)?,
        None => alternative.file.clone(),
    };
    let mut program = lower::lower_file(&file, document_lower_config(config));
    let at = program.obligations.iter().position(
        |ob| matches!(ob.origin, Origin::Step { step: s, .. } if s == step || single.is_some()),
    )?;
    program.obligations = vec![program.obligations.swap_remove(at)];
    let outcome = check::check_program_until(&mut program, config, deadline).pop()?;
    Some(outcome.verdict)
}

/// How many of a document's holding steps are read again to learn one of its
/// conventions (a bound on the work; the first ones in the document are tried).
const MAX_BASE_WITNESSES: usize = 12;

/// The conventions a document's own steps can settle: what marks a reading of
/// that kind (in `Alternative::reading`, and so in the reason of a row it
/// demoted), and the context a settled row shows.
const SETTLEABLE: [(&str, &str); 2] = [
    (
        "read as the log to base",
        "`\\log` read as the natural log: the text's own step at line {line} holds only so",
    ),
    (
        latex::NUMERATOR_LAYOUT,
        "a gradient by a matrix has the matrix's shape: the text's own step at line {line} holds only so",
    ),
];

/// A refutation demoted because the text does not state a convention (the base
/// of `\log`, the layout of a gradient by a matrix) stands after all when the
/// text's own steps settle it: a step that holds as read and is wrong under every
/// other reading of that kind (`\log e^{x} = x` is wrong in base 10 and base 2)
/// shows which convention this document uses. The refutation is restored only
/// when the readings of every other kind refute the step too.
fn settle_log_base(
    units: &[latex::Unit],
    placed: &[(usize, Option<usize>, usize)],
    demoted: &[(usize, usize, ResultRow)],
    results: &mut [ResultRow],
    config: &CheckConfig,
    deadline: Instant,
) {
    for (marker, context) in SETTLEABLE {
        let of_kind = |a: &&latex::Alternative| a.reading.contains(marker);
        let by_kind = |row: &ResultRow| matches!(&row.verdict, check::Verdict::Unknown { reason } if reason.contains(marker));
        let pending: Vec<&(usize, usize, ResultRow)> = demoted
            .iter()
            .filter(|(at, _, _)| by_kind(&results[*at]))
            .collect();
        if pending.is_empty() {
            continue;
        }
        let mut witness: Option<usize> = None;
        let candidates = placed.iter().filter(|(unit, _, at)| {
            units[*unit].alternatives.iter().any(|a| of_kind(&a))
                && matches!(results[*at].verdict, check::Verdict::Proved { .. })
        });
        for (unit, single, at) in candidates.take(MAX_BASE_WITNESSES) {
            let Some(step) = results[*at].step else {
                continue;
            };
            let wrong_otherwise = units[*unit].alternatives.iter().filter(of_kind).all(|a| {
                matches!(
                    verdict_otherwise(a, *single, step, config, deadline),
                    Some(check::Verdict::Refuted { .. })
                )
            });
            if wrong_otherwise {
                witness = Some(results[*at].line);
                break;
            }
        }
        let Some(line) = witness else {
            continue;
        };
        for (at, unit, original) in pending {
            let Some(step) = original.step else {
                continue;
            };
            let single = placed
                .iter()
                .find(|(_, _, a)| a == at)
                .and_then(|(_, single, _)| *single);
            let others_refute = units[*unit]
                .alternatives
                .iter()
                .filter(|a| !a.reading.contains(marker))
                .all(|a| {
                    matches!(
                        verdict_otherwise(a, single, step, config, deadline),
                        Some(check::Verdict::Refuted { .. })
                    )
                });
            if !others_refute {
                continue;
            }
            let mut row = original.clone();
            row.context
                .push(context.replace("{line}", &line.to_string()));
            results[*at] = in_context(row, &units[*unit]);
        }
    }
}

/// The note of a refutation between sides of different shapes (`check`).
const SHAPES_DIFFER: &str = "the sides have different shapes";

/// A document's step in its context: the context the reader used is shown, and a
/// refutation that rests on something the reader assumed rather than read is
/// `unknown`, naming the assumption (the rule of `latex::context`).
fn in_context(mut row: ResultRow, unit: &latex::Unit) -> ResultRow {
    let mut context = unit.context.clone();
    context.append(&mut row.context);
    row.context = context;
    if !matches!(row.verdict, check::Verdict::Refuted { .. }) {
        return row;
    }
    let mut resting: Vec<&str> = unit
        .assumptions
        .iter()
        .filter(|a| a.step.is_none() || a.step == row.step)
        .map(|a| a.text.as_str())
        .collect();
    let shapes_inferred = matches!(&row.verdict, check::Verdict::Refuted { counterexample }
        if counterexample.note.as_deref() == Some(SHAPES_DIFFER));
    if shapes_inferred {
        // outside a dimension label the shapes are the reader's inference, unless
        // the text states every one of them (`x \in \mathbb{R}^n`)
        if let Some(assumed) = unit.shape_assumption.as_deref() {
            resting.push(assumed);
        }
    }
    if resting.is_empty() {
        return row;
    }
    if let check::Verdict::Refuted { counterexample } = &row.verdict {
        row.context.push(format!(
            "wrong as read, {}",
            crate::report::describe_counterexample(counterexample)
        ));
    }
    row.verdict = check::Verdict::Unknown {
        reason: resting.join("; "),
    };
    row.passed = false;
    row
}

#[cfg(test)]
mod tests;
