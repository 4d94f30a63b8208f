//! One file from bytes to a report: read, parse, lower, check. Also the walk
//! that turns command-line paths into files.
//!
//! Every failure here is a located diagnostic in the file's report, so one bad
//! file never hides the results of the others.

use crate::check::{self, CheckConfig};
use crate::diagnostic::Diagnostic;
use crate::latex::{self, DocKind};
use crate::lower::{self, LowerConfig, Origin};
use crate::report::{FileReport, ResultRow};
use crate::span::{SourceFile, Span};
use crate::syntax::ast::RelOp;
use crate::syntax::{self, ast};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Files larger than this are refused instead of read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Deepest folder nesting walked when a folder is given.
const MAX_WALK_DEPTH: usize = 64;

/// A report for a path that could not be read or parsed as a whole.
pub fn error_report(name: &str, message: impl Into<String>) -> FileReport {
    FileReport {
        source: SourceFile::new(name, ""),
        diagnostics: vec![Diagnostic::error(Span::default(), message)],
        results: Vec::new(),
    }
}

/// Expands folders into their `*.nabla` files (recursively, sorted); paths that
/// do not exist or hold no derivation files come back as error reports.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileReport>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        match std::fs::metadata(path) {
            Err(e) => errors.push(error_report(&shown, unreadable(&shown, &e))),
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                let mut visited = HashSet::new();
                if let Err(message) = walk(path, 0, &mut visited, &mut found) {
                    errors.push(error_report(&shown, message));
                }
                if found.is_empty() {
                    errors.push(error_report(
                        &shown,
                        format!("no .nabla files in `{shown}`"),
                    ));
                }
                found.sort();
                files.extend(found);
            }
            Ok(_) => files.push(path.clone()),
        }
    }
    (files, errors)
}

fn walk(
    dir: &Path,
    depth: usize,
    visited: &mut HashSet<PathBuf>,
    found: &mut Vec<PathBuf>,
) -> Result<(), String> {
    if depth > MAX_WALK_DEPTH {
        return Err(format!(
            "folders nest deeper than {MAX_WALK_DEPTH} levels at `{}`",
            dir.display()
        ));
    }
    // a symlink loop shows up as a folder we have already been in
    let canonical =
        std::fs::canonicalize(dir).map_err(|e| unreadable(&dir.display().to_string(), &e))?;
    if !visited.insert(canonical) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| unreadable(&dir.display().to_string(), &e))?;
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, depth + 1, visited, found)?;
        } else if path.extension().is_some_and(|e| e == "nabla") {
            found.push(path);
        }
    }
    Ok(())
}

/// Why `shown` could not be read, in one line: `no such file: hw.md`.
fn unreadable(shown: &str, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("no such file: {shown}"),
        std::io::ErrorKind::PermissionDenied => format!("cannot read `{shown}`: permission denied"),
        _ => {
            let reason = e.to_string().to_lowercase();
            // "… (os error 40)" says nothing to a user
            let reason = reason.split(" (os error").next().unwrap_or(&reason);
            format!("cannot read `{shown}`: {reason}")
        }
    }
}

/// Reads a file as UTF-8 text, refusing binary, invalid and oversized input
/// with a located message.
pub fn read_source(path: &Path) -> Result<SourceFile, FileReport> {
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

/// Text from raw bytes: a NUL byte means a binary file; bad UTF-8 is located.
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
    }
}

/// Definitions brought in with `--defs`: their declarations are visible in every file.
#[derive(Clone, Debug, Default)]
pub struct Defs {
    pub items: Vec<ast::Item>,
}

/// Parses a `--defs` file: only its declarations are kept (its claims are not checked here).
pub fn load_defs(path: &Path) -> Result<Defs, FileReport> {
    let source = read_source(path)?;
    let parsed = syntax::parse_file(&source.text);
    if !parsed.errors.is_empty() {
        return Err(FileReport {
            source,
            diagnostics: parsed.errors,
            results: Vec::new(),
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
    let lower_config = LowerConfig {
        max_nodes: config.expr_limit,
        ..LowerConfig::default()
    };
    let mut program = lower::lower_file(&file, lower_config);
    diagnostics.append(&mut program.diagnostics);
    let outcomes = check::check_program(&mut program, config);
    let results = result_rows(&source, &program, outcomes);
    diagnostics.sort_by_key(|d| d.span.start);
    FileReport {
        source,
        diagnostics,
        results,
    }
}

/// One report row per obligation of `program`, located in `source`.
pub fn result_rows(
    source: &SourceFile,
    program: &lower::Program,
    outcomes: Vec<check::Outcome>,
) -> Vec<ResultRow> {
    program
        .obligations
        .iter()
        .zip(outcomes)
        .map(|(ob, outcome)| {
            let at = source.line_col(ob.span.start as usize);
            let (kind, step) = match &ob.origin {
                Origin::Claim => ("claim", None),
                Origin::Step { step, .. } => ("step", Some(*step)),
            };
            ResultRow {
                span: ob.span,
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
                verdict: outcome.verdict,
                expected: outcome.expected,
                passed: outcome.passed,
                seed: outcome.seed,
                elapsed: outcome.elapsed,
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

/// Checks every path (files and folders); the reports come back in path order.
pub fn check_paths(paths: &[PathBuf], defs: &Defs, config: &CheckConfig) -> Vec<FileReport> {
    check_paths_as(paths, defs, config, None)
}

/// Like `check_paths`; `.md`/`.markdown`/`.tex` files (and every file when `read_as`
/// is given) are read as documents: their math is found and its chains checked.
/// Folders still yield only their `*.nabla` files.
pub fn check_paths_as(
    paths: &[PathBuf],
    defs: &Defs,
    config: &CheckConfig,
    read_as: Option<DocKind>,
) -> Vec<FileReport> {
    let (files, mut reports) = collect_files(paths);
    for path in files {
        let kind = read_as.or_else(|| DocKind::from_path(&path));
        match (read_source(&path), kind) {
            (Ok(source), Some(kind)) => {
                reports.push(latex::check_document(source, kind, defs, config))
            }
            (Ok(source), None) => reports.push(check_source(source, defs, config)),
            (Err(report), _) => reports.push(report),
        }
    }
    reports
}
