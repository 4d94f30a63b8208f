//! Results to text a person or a CI job reads: text, JSON, JUnit XML, GitHub
//! annotations and a Markdown table.
//!
//! The JSON schema is documented in `docs/json.md` and versioned by its
//! `"version"` field; fields are only ever added.

use crate::check::{Counterexample, Exactness, Verdict};
use crate::diagnostic::{Diagnostic, Severity};
use crate::numbers::shorten_numbers;
use crate::span::{SourceFile, Span};
use crate::syntax::ast::Expected;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;
use serde_json::{json, Value as Json};
use std::fmt::Write as _;

/// One checked claim or step, located in its file.
#[derive(Clone, Debug)]
pub struct ResultRow {
    pub span: Span,
    /// The notebook cell the row is in (`line` and `column` are then the cell's).
    pub cell: Option<usize>,
    pub line: usize,
    pub column: usize,
    /// "claim" or "step"
    pub kind: &'static str,
    pub name: Option<String>,
    /// 1-based step number for steps of a derive chain.
    pub step: Option<usize>,
    /// The source text of the claim or step (first line).
    pub text: String,
    pub verdict: Verdict,
    pub expected: Option<Expected>,
    pub passed: bool,
    pub seed: u64,
    /// Time spent checking it.
    pub elapsed: std::time::Duration,
    /// In a document: the context the step was read in (conditions, values, what
    /// a refutation would have rested on).
    pub context: Vec<String>,
    /// Both sides as nabla read them (for the HTML report's math).
    pub sides: Option<Box<crate::picture::Sides>>,
    /// For a refuted step: both sides along one variable (a scalar step), or
    /// entry by entry (a vector or matrix claim), for the HTML report.
    pub picture: Option<Box<crate::picture::Picture>>,
}

/// Everything one file produced.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub source: SourceFile,
    /// Input errors (I/O, parse, names) and warnings.
    pub diagnostics: Vec<Diagnostic>,
    pub results: Vec<ResultRow>,
    /// For a document: how much of its math was read.
    pub coverage: Option<Box<Coverage>>,
}

/// How much of a document's math was read: every `=` is either a result row or
/// part of a skipped formula.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// `=` and `≈` relations at the top level of the document's math.
    pub equalities: usize,
    /// Formulas with no relation at all (not counted as equalities).
    pub without_equality: usize,
    /// Formulas with another relation and no `=` (not counted as equalities).
    pub other_relations: usize,
    pub skipped: Vec<SkippedFormula>,
    /// Every formula of the document's own text, where it stands (a report
    /// may typeset them in place).
    pub math: Vec<MathSpan>,
}

/// A formula of a document's text.
#[derive(Clone, Copy, Debug)]
pub struct MathSpan {
    /// The formula with its delimiters.
    pub span: Span,
    /// The LaTeX between the delimiters.
    pub body: Span,
    /// Set apart (`$$..$$`, `\[..\]`, an environment) rather than inline.
    pub display: bool,
}

/// A formula whose equalities were not judged, and why.
#[derive(Clone, Debug)]
pub struct SkippedFormula {
    pub span: Span,
    pub cell: Option<usize>,
    pub line: usize,
    pub column: usize,
    /// The reason's class (`definition`, `unreadable`, ...; see `docs/json.md`).
    pub class: &'static str,
    /// The reason in words.
    pub reason: String,
    /// How many equalities it holds.
    pub equalities: usize,
    pub text: String,
}

impl FileReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// A path that could not be read at all (missing, unreadable, no files in
    /// a folder): there is no text to point into, only a message.
    pub fn is_unreadable(&self) -> bool {
        self.source.text.is_empty() && self.results.is_empty() && self.has_errors()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Junit,
    Github,
    Markdown,
    /// One self-contained page with MathML, badges and plots (`crate::html`).
    Html,
}

/// How to render text output.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    pub color: bool,
    /// Show the rule trace under every proved result.
    pub explain: bool,
}

/// Counts over all files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub proved: usize,
    pub checked: usize,
    pub refuted: usize,
    pub unknown: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

pub fn summarize(reports: &[FileReport]) -> Summary {
    let mut s = Summary {
        files: reports.len(),
        ..Summary::default()
    };
    for r in reports {
        s.errors += r.diagnostics.iter().filter(|d| d.is_error()).count();
        s.failed += r.diagnostics.iter().filter(|d| d.is_failure()).count();
        for row in &r.results {
            match row.verdict {
                Verdict::Proved { .. } => s.proved += 1,
                Verdict::Checked { .. } => s.checked += 1,
                Verdict::Refuted { .. } => s.refuted += 1,
                Verdict::Unknown { .. } => s.unknown += 1,
            }
            if row.passed {
                s.passed += 1;
            } else {
                s.failed += 1;
            }
        }
    }
    s
}

/// 0 when every result is as expected, 1 when some result failed, 2 on input errors.
pub fn exit_code(reports: &[FileReport]) -> u8 {
    let s = summarize(reports);
    if s.errors > 0 {
        2
    } else if s.failed > 0 {
        1
    } else {
        0
    }
}

// ----- shared wording -----

/// "claim \"name\"" or "step 2 of \"chain\"".
pub fn title(row: &ResultRow) -> String {
    match (row.kind, &row.name, row.step) {
        ("step", Some(n), Some(k)) => format!("step {k} of \"{n}\""),
        ("step", None, Some(k)) => format!("step {k}"),
        (_, Some(n), _) => format!("claim \"{n}\""),
        _ => "claim".to_string(),
    }
}

pub fn describe_counterexample(c: &Counterexample) -> String {
    let at = if c.assignment.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = c
            .assignment
            .iter()
            .map(|(n, v)| format!("{n} = {}", shorten_numbers(v)))
            .collect();
        format!("at {}: ", parts.join(", "))
    };
    let mut out = format!(
        "{at}left = {}, right = {}",
        shorten_numbers(&c.lhs),
        shorten_numbers(&c.rhs)
    );
    if let Some(note) = &c.note {
        let _ = write!(out, " ({note})");
    }
    out
}

/// One line about the verdict: "refuted: at x = 0: left = 1, right = 2".
pub fn verdict_detail(row: &ResultRow) -> String {
    match &row.verdict {
        Verdict::Proved { trace } => format!("proved symbolically ({} rewrite steps)", trace.len()),
        Verdict::Checked {
            points,
            skipped,
            explored,
        } => {
            format!(
                "agrees at {points} sample points ({skipped} skipped), seed {}; explored {}",
                row.seed,
                explored.describe(*points)
            )
        }
        Verdict::Refuted { counterexample } => {
            format!(
                "{}; seed {}",
                describe_counterexample(counterexample),
                row.seed
            )
        }
        Verdict::Unknown { reason } => reason.clone(),
    }
}

fn expectation_word(e: Option<Expected>) -> &'static str {
    match e {
        None => "holds",
        Some(Expected::Proved) => "proved",
        Some(Expected::Checked) => "checked",
        Some(Expected::Refuted) => "refuted",
    }
}

// ----- text -----

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<()> {
    let severity = match d.severity {
        Severity::Error | Severity::Failure => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let mut labels = vec![cs::Label::primary((), d.span.range())];
    labels.extend(
        d.labels
            .iter()
            .map(|(s, m)| cs::Label::secondary((), s.range()).with_message(m.clone())),
    );
    cs::Diagnostic::new(severity)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(d.notes.clone())
}

/// A diagnostic with its source snippet and caret.
pub fn render_diagnostic(source: &SourceFile, d: &Diagnostic, color: bool) -> String {
    if let Some(cell) = source.cell_at(d.span.start as usize) {
        // in a notebook, the snippet and the line numbers are the cell's own
        let end = source
            .cells
            .iter()
            .find(|c| c.offset > cell.offset)
            .map_or(source.text.len(), |c| c.offset);
        let text = source.text.get(cell.offset..end).unwrap_or("");
        let inside = |span: Span| {
            let (start, stop) = (span.start as usize, span.end as usize);
            (start >= cell.offset && stop <= end)
                .then(|| Span::new(start - cell.offset, stop - cell.offset))
        };
        let mut local = d.clone();
        local.span = inside(d.span).unwrap_or_default();
        local.labels = d
            .labels
            .iter()
            .filter_map(|(span, label)| Some((inside(*span)?, label.clone())))
            .collect();
        let name = format!("{}:cell {}", source.name, cell.number);
        return render_diagnostic(&SourceFile::new(name, text), &local, color);
    }
    let file = Lines(source);
    let mut buffer = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let config = term::Config::default();
    if term::emit(&mut buffer, &config, &file, &to_codespan(d)).is_err() {
        let at = source.line_col(d.span.start as usize);
        return format!("{}:{at}: {}\n", source.name, d.message);
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// A source file as codespan reads it, with the line starts `SourceFile`
/// already holds: codespan's `SimpleFile` would scan the whole text again for
/// every diagnostic (quadratic on a large document with many failing steps).
/// Lines are cut as `SimpleFile` cuts them.
struct Lines<'s>(&'s SourceFile);

impl Lines<'_> {
    fn line_start(&self, line: usize) -> Result<usize, FilesError> {
        let starts = self.0.line_starts();
        match line.cmp(&starts.len()) {
            std::cmp::Ordering::Less => Ok(starts[line]),
            std::cmp::Ordering::Equal => Ok(self.0.text.len()),
            std::cmp::Ordering::Greater => Err(FilesError::LineTooLarge {
                given: line,
                max: starts.len() - 1,
            }),
        }
    }
}

impl<'a> Files<'a> for Lines<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(self.0.name.as_str())
    }

    fn source(&'a self, (): ()) -> Result<&'a str, FilesError> {
        Ok(self.0.text.as_str())
    }

    fn line_index(&'a self, (): (), byte_index: usize) -> Result<usize, FilesError> {
        Ok(self
            .0
            .line_starts()
            .binary_search(&byte_index)
            .unwrap_or_else(|next| next - 1))
    }

    fn line_range(&'a self, (): (), line: usize) -> Result<std::ops::Range<usize>, FilesError> {
        Ok(self.line_start(line)?..self.line_start(line + 1)?)
    }
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A step's text cut to a readable length for the human formats.
pub fn shorten(text: &str) -> String {
    if text.chars().count() <= 100 {
        return text.to_string();
    }
    let cut: String = text.chars().take(99).collect();
    format!("{cut}…")
}

/// The one-line errors of paths that could not be read (`error: no such file:
/// hw.md`), which the text output leaves to stderr.
pub fn unreadable_lines(reports: &[FileReport], color: bool) -> String {
    let mut out = String::new();
    for report in reports.iter().filter(|r| r.is_unreadable()) {
        for d in &report.diagnostics {
            let _ = writeln!(out, "{} {}", paint(color, "31", "error:"), d.message);
        }
    }
    out
}

pub fn render_text(reports: &[FileReport], options: TextOptions) -> String {
    let mut out = String::new();
    for report in reports.iter().filter(|r| !r.is_unreadable()) {
        let _ = writeln!(out, "{}", paint(options.color, "1", &report.source.name));
        for d in &report.diagnostics {
            out.push_str(&render_diagnostic(&report.source, d, options.color));
        }
        for row in &report.results {
            let mark = if row.passed {
                paint(options.color, "32", "✓")
            } else {
                paint(options.color, "31", "✗")
            };
            let verdict = format!("{:<8}", row.verdict.word());
            let expected = match (row.expected, row.passed) {
                (Some(Expected::Refuted), true) => " (expected)".to_string(),
                (Some(e), false) => format!(" (expected {})", expectation_word(Some(e))),
                _ => String::new(),
            };
            let at = match row.cell {
                Some(c) => format!("cell {c}:{}:{}", row.line, row.column),
                None => format!("{:>4}:{:<3}", row.line, row.column),
            };
            let _ = writeln!(
                out,
                "  {mark} {verdict} {at} {}{expected}: {}",
                title(row),
                shorten(&row.text)
            );
            match &row.verdict {
                Verdict::Refuted { counterexample } if row.passed => {
                    let _ = writeln!(
                        out,
                        "      counterexample {}",
                        describe_counterexample(counterexample)
                    );
                }
                Verdict::Proved { trace } if options.explain => {
                    for step in trace {
                        let _ = writeln!(out, "      {step}");
                    }
                }
                Verdict::Checked { .. } if options.explain => {
                    let _ = writeln!(out, "      {}", verdict_detail(row));
                }
                Verdict::Checked {
                    points, explored, ..
                } if row.passed => {
                    let _ = writeln!(out, "      explored: {}", explored.describe(*points));
                }
                _ => {}
            }
            if options.explain {
                for note in &row.context {
                    let _ = writeln!(out, "      context: {note}");
                }
            }
            if !row.passed {
                let message = match &row.verdict {
                    Verdict::Refuted { .. } => format!("{} is refuted", title(row)),
                    Verdict::Unknown { .. } => format!("{} could not be decided", title(row)),
                    v => format!(
                        "{} is only {}, expected {}",
                        title(row),
                        v.word(),
                        expectation_word(row.expected)
                    ),
                };
                let mut d = Diagnostic::error(row.span, message).with_note(verdict_detail(row));
                if !options.explain {
                    // a document's step: what it was read under, beside its verdict
                    for note in &row.context {
                        d = d.with_note(format!("context: {note}"));
                    }
                }
                out.push_str(&render_diagnostic(&report.source, &d, options.color));
            }
        }
    }
    let s = summarize(reports);
    let _ = writeln!(
        out,
        "\nsummary: {} proved, {} checked, {} refuted, {} unknown; {} as expected, {} failed; {} input error{} in {} file{}",
        s.proved,
        s.checked,
        s.refuted,
        s.unknown,
        s.passed,
        s.failed,
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.files,
        if s.files == 1 { "" } else { "s" },
    );
    out
}

// ----- JSON -----

fn verdict_json(row: &ResultRow) -> Json {
    match &row.verdict {
        Verdict::Proved { trace } => json!({ "trace": trace }),
        Verdict::Checked {
            points,
            skipped,
            explored,
        } => json!({
            "points": points,
            "skipped": skipped,
            "explored": {
                "summary": explored.describe(*points),
                "magnitudes": explored.magnitudes.map(|(lo, hi)| json!([lo, hi])),
                "sizes": explored.sizes.map(|(lo, hi)| json!([lo, hi])),
                "boundaries": explored.boundaries,
                "functions": explored.families.iter().map(|f| f.name()).collect::<Vec<_>>(),
            },
        }),
        Verdict::Refuted { counterexample: c } => {
            // exact values stay as they are; a long one also gets a `decimal`
            let with_decimal = |mut j: Json, key: &str, v: &str| {
                let short = shorten_numbers(v);
                if short != v {
                    j[key] = json!(short);
                }
                j
            };
            let assignment: Vec<Json> = c
                .assignment
                .iter()
                .map(|(n, v)| with_decimal(json!({"name": n, "value": v}), "decimal", v))
                .collect();
            // true: an exact rational; false: an enclosure's midpoint; null: no number
            let exact = |e: Exactness| match e {
                Exactness::Exact => json!(true),
                Exactness::Enclosure => json!(false),
                Exactness::NotANumber => Json::Null,
            };
            let mut counterexample = json!({
                "assignment": assignment,
                "lhs": c.lhs,
                "rhs": c.rhs,
                "lhs_exact": exact(c.exactness[0]),
                "rhs_exact": exact(c.exactness[1]),
                "note": c.note,
            });
            counterexample = with_decimal(counterexample, "lhs_decimal", &c.lhs);
            counterexample = with_decimal(counterexample, "rhs_decimal", &c.rhs);
            json!({ "counterexample": counterexample })
        }
        Verdict::Unknown { reason } => json!({ "reason": reason }),
    }
}

pub fn to_json(reports: &[FileReport]) -> Json {
    let files: Vec<Json> = reports
        .iter()
        .map(|r| {
            let errors: Vec<Json> = r
                .diagnostics
                .iter()
                .map(|d| {
                    let at = r.source.locate(d.span.start as usize);
                    let mut obj = json!({
                        "severity": if d.is_error() || d.is_failure() { "error" } else { "warning" },
                        "line": at.line,
                        "column": at.col,
                        "message": d.message,
                        "notes": d.notes,
                    });
                    if let (Json::Object(o), Some(cell)) = (&mut obj, at.cell) {
                        o.insert("cell".into(), json!(cell));
                    }
                    obj
                })
                .collect();
            let results: Vec<Json> = r
                .results
                .iter()
                .map(|row| {
                    let mut obj = json!({
                        "line": row.line,
                        "column": row.column,
                        "kind": row.kind,
                        "name": row.name,
                        "step": row.step,
                        "text": row.text,
                        "verdict": row.verdict.word(),
                        "expected": row.expected.map(|e| expectation_word(Some(e))),
                        "passed": row.passed,
                        "seed": row.seed,
                    });
                    if let (Json::Object(o), Json::Object(extra)) = (&mut obj, verdict_json(row)) {
                        o.extend(extra);
                        if let Some(cell) = row.cell {
                            o.insert("cell".into(), json!(cell));
                        }
                    }
                    if let (Json::Object(o), false) = (&mut obj, row.context.is_empty()) {
                        // a document's step: the context it was read in
                        o.insert("context".into(), json!(row.context));
                    }
                    obj
                })
                .collect();
            let mut file = json!({ "file": r.source.name, "diagnostics": errors, "results": results });
            if let (Json::Object(o), Some(c)) = (&mut file, &r.coverage) {
                o.insert("coverage".into(), coverage_json(r, c));
            }
            file
        })
        .collect();
    let s = summarize(reports);
    json!({
        "version": 1,
        "files": files,
        "summary": {
            "files": s.files, "proved": s.proved, "checked": s.checked, "refuted": s.refuted,
            "unknown": s.unknown, "passed": s.passed, "failed": s.failed, "errors": s.errors,
        },
    })
}

/// `"coverage"` of a document: the counts, and every skipped formula with its reason.
fn coverage_json(r: &FileReport, c: &Coverage) -> Json {
    let skipped: Vec<Json> = c
        .skipped
        .iter()
        .map(|s| {
            let mut obj = json!({
                "line": s.line,
                "column": s.column,
                "class": s.class,
                "reason": s.reason,
                "equalities": s.equalities,
                "text": s.text,
            });
            if let (Json::Object(o), Some(cell)) = (&mut obj, s.cell) {
                o.insert("cell".into(), json!(cell));
            }
            obj
        })
        .collect();
    json!({
        "equalities": c.equalities,
        "judged": r.results.len(),
        "skipped": c.skipped.iter().map(|s| s.equalities).sum::<usize>(),
        "without_equality": c.without_equality,
        "other_relations": c.other_relations,
        "formulas": skipped,
    })
}

// ----- JUnit XML -----

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no way to write other control characters, even escaped
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Seconds with millisecond precision, as JUnit consumers expect.
fn seconds(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// JUnit XML: a `<testsuite>` per file and a `<testcase>` per claim or step
/// (`classname` and `file` = the file, `line`, `time`); a result that fails is a
/// `<failure type="refuted|unknown|checked">` with the counterexample or the
/// reason; an input error is an `<error>` case. Validated against the common
/// JUnit schema in the tests (`tests/fixtures/junit.xsd`).
pub fn render_junit(reports: &[FileReport]) -> String {
    let all = summarize(reports);
    let total: std::time::Duration = reports
        .iter()
        .flat_map(|r| &r.results)
        .map(|row| row.elapsed)
        .sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"nabla\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        all.proved + all.checked + all.refuted + all.unknown + all.errors,
        all.failed,
        all.errors,
        seconds(total)
    );
    for r in reports {
        let file = xml_escape(&r.source.name);
        let findings = r.diagnostics.iter().filter(|d| d.is_failure()).count();
        let failures = r.results.iter().filter(|x| !x.passed).count() + findings;
        let errors = r.diagnostics.iter().filter(|d| d.is_error()).count();
        let time: std::time::Duration = r.results.iter().map(|row| row.elapsed).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{}\" file=\"{file}\">",
            r.results.len() + errors + findings,
            seconds(time)
        );
        for d in r.diagnostics.iter().filter(|d| d.is_failure()) {
            let at = r.source.line_col(d.span.start as usize);
            let _ = writeln!(
                out,
                "    <testcase name=\"{at} document\" classname=\"{file}\" file=\"{file}\" line=\"{}\" time=\"0.000\"><failure type=\"document\" message=\"{}\"/></testcase>",
                at.line,
                xml_escape(&d.message)
            );
        }
        for d in r.diagnostics.iter().filter(|d| d.is_error()) {
            let at = r.source.line_col(d.span.start as usize);
            let _ = writeln!(
                out,
                "    <testcase name=\"{at} input\" classname=\"{file}\" file=\"{file}\" line=\"{}\" time=\"0.000\"><error type=\"input\" message=\"{}\"/></testcase>",
                at.line,
                xml_escape(&d.message)
            );
        }
        for row in &r.results {
            let name = format!("{}:{} {}: {}", row.line, row.column, title(row), row.text);
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{file}\" file=\"{file}\" line=\"{}\" time=\"{}\">",
                xml_escape(&name),
                row.line,
                seconds(row.elapsed)
            );
            if !row.passed {
                let _ = write!(
                    out,
                    "<failure type=\"{}\" message=\"{}\">{}</failure>",
                    row.verdict.word(),
                    xml_escape(&format!(
                        "{} is {}, expected {}",
                        title(row),
                        row.verdict.word(),
                        expectation_word(row.expected)
                    )),
                    xml_escape(&verdict_detail(row))
                );
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

// ----- GitHub annotations -----

/// GitHub shows at most this many annotations of one level per step; past it,
/// warnings are folded into one notice so that no error is crowded out.
const GITHUB_SHOWN: usize = 10;

/// Escapes the message of a workflow command.
fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`file=`, `title=`).
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::level file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message` line.
fn github_command(
    level: &str,
    source: &SourceFile,
    span: Span,
    title: &str,
    message: &str,
) -> String {
    let start = source.line_col(span.start as usize);
    // GitHub's endColumn is the last column of the range, not one past it
    let last = (span.end as usize)
        .saturating_sub(1)
        .max(span.start as usize);
    let end = source.line_col(last);
    format!(
        "::{level} file={},line={},endLine={},col={},endColumn={},title={}::{}\n",
        github_property(&source.name),
        start.line,
        end.line,
        start.col,
        end.col,
        github_property(title),
        github_data(message)
    )
}

/// GitHub workflow commands: every error first (input errors, then failed
/// results), then the warnings, folded into one notice when there are more
/// than GitHub shows. The full table goes to the step summary (`step_summary`).
pub fn render_github(reports: &[FileReport]) -> String {
    let mut errors = String::new();
    let mut warnings = Vec::new();
    for r in reports {
        for d in &r.diagnostics {
            if d.is_error() || d.is_failure() {
                let heading = if d.is_error() {
                    "nabla: input error"
                } else {
                    "nabla: document"
                };
                errors.push_str(&github_command(
                    "error", &r.source, d.span, heading, &d.message,
                ));
            } else {
                warnings.push(github_command(
                    "warning", &r.source, d.span, "nabla", &d.message,
                ));
            }
        }
        for row in r.results.iter().filter(|x| !x.passed) {
            let heading = format!("nabla: {} {}", row.kind, row.verdict.word());
            let message = format!(
                "{} is {}: {}",
                title(row),
                row.verdict.word(),
                verdict_detail(row)
            );
            errors.push_str(&github_command(
                "error", &r.source, row.span, &heading, &message,
            ));
        }
    }
    let mut out = errors;
    if warnings.len() <= GITHUB_SHOWN {
        out.extend(warnings);
    } else {
        let files = reports
            .iter()
            .filter(|r| r.diagnostics.iter().any(|d| !d.is_error()))
            .count();
        let _ = writeln!(
            out,
            "::notice title=nabla::{}",
            github_data(&format!(
                "{} warnings in {files} file{} (too many to annotate one by one; run nabla check locally to see them)",
                warnings.len(),
                if files == 1 { "" } else { "s" }
            ))
        );
    }
    let s = summarize(reports);
    let _ = writeln!(out, "{} passed, {} failed", s.passed, s.failed);
    out
}

/// The Markdown written to `$GITHUB_STEP_SUMMARY` under `--format github`: the
/// whole verdict table, which annotations alone cannot show.
pub fn step_summary(reports: &[FileReport]) -> String {
    render_markdown(reports)
}

// ----- Markdown -----

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render_markdown(reports: &[FileReport]) -> String {
    let s = summarize(reports);
    let mut out = format!(
        "# Verdicts\n\nGenerated by `nabla check --format markdown` (do not edit by hand): \
         {} proved, {} checked, {} refuted, {} unknown; {} as expected, {} failed.\n\n",
        s.proved, s.checked, s.refuted, s.unknown, s.passed, s.failed
    );
    out.push_str("| where | what | claim | verdict | details |\n|---|---|---|---|---|\n");
    for r in reports {
        for row in &r.results {
            let details = match &row.verdict {
                Verdict::Refuted { counterexample } => describe_counterexample(counterexample),
                Verdict::Unknown { reason } => reason.clone(),
                Verdict::Checked {
                    points, explored, ..
                } => format!("explored {}", explored.describe(*points)),
                _ => String::new(),
            };
            let verdict = match (row.passed, row.expected) {
                (true, Some(Expected::Refuted)) => "refuted (expected)".to_string(),
                (true, _) => row.verdict.word().to_string(),
                (false, _) => format!(
                    "**{}** (expected {})",
                    row.verdict.word(),
                    expectation_word(row.expected)
                ),
            };
            let _ = writeln!(
                out,
                "| {}:{} | {} | `{}` | {} | {} |",
                md_cell(&r.source.name),
                row.line,
                md_cell(&title(row)),
                md_cell(&shorten(&row.text)).replace('`', "'"),
                verdict,
                md_cell(&details)
            );
        }
    }
    // after the table, set off by a blank line: a list right above a table
    // would swallow the table as the last item's lazy continuation
    let mut errors = String::new();
    for r in reports {
        for d in r
            .diagnostics
            .iter()
            .filter(|d| d.is_error() || d.is_failure())
        {
            let at = r.source.line_col(d.span.start as usize);
            let _ = writeln!(
                errors,
                "- **error** {}:{at}: {}",
                md_cell(&r.source.name),
                md_cell(&d.message)
            );
        }
    }
    if !errors.is_empty() {
        let _ = write!(out, "\n## Errors\n\n{errors}");
    }
    out
}

// ----- an annotated document -----

/// An annotated copy of a Markdown document: `\;\text{✓}` or `\;\text{✗}` after each
/// checked step (inside its math), and a list of the verdicts at the end.
pub fn annotate_markdown(report: &FileReport) -> String {
    let text = &report.source.text;
    let mut marks: Vec<(usize, &'static str)> = report
        .results
        .iter()
        .map(|row| {
            let mark = match (&row.verdict, row.passed) {
                (Verdict::Refuted { .. }, _) => "\\;\\text{✗}",
                (_, true) => "\\;\\text{✓}",
                _ => "\\;\\text{?}",
            };
            (row.span.end as usize, mark)
        })
        .collect();
    marks.sort_by_key(|m| std::cmp::Reverse(m.0));
    let mut out = text.clone();
    for (at, mark) in marks {
        if at <= out.len() && out.is_char_boundary(at) {
            out.insert_str(at, mark);
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let s = summarize(std::slice::from_ref(report));
    out.push_str(&format!(
        "\n---\n\n**nabla**: {} proved, {} checked, {} refuted, {} unknown.\n\n",
        s.proved, s.checked, s.refuted, s.unknown
    ));
    for row in &report.results {
        let mark = match (&row.verdict, row.passed) {
            (Verdict::Refuted { .. }, _) => "✗",
            (_, true) => "✓",
            _ => "?",
        };
        out.push_str(&format!(
            "- {mark} line {}: `{}` — {}{}\n",
            row.line,
            shorten(&row.text).replace('`', "'"),
            row.verdict.word(),
            match verdict_detail(row) {
                d if d.is_empty() => String::new(),
                d => format!(" ({})", d.replace('\n', " ")),
            }
        ));
    }
    out
}

/// The mark written after a checked step of a LaTeX document, in core LaTeX
/// (`\mbox`, `\surd`, `\times`: no package, no Unicode), so the copy compiles
/// wherever the original did.
fn latex_mark(row: &ResultRow) -> String {
    let word = row.verdict.word();
    let sign = match (&row.verdict, row.passed) {
        (Verdict::Refuted { .. }, _) => "$\\times$",
        (_, true) => "$\\surd$",
        _ => "?",
    };
    format!("\\quad\\mbox{{[{sign} {word}]}}")
}

/// An annotated copy of a LaTeX document: a mark after each checked step
/// (inside its math) and, before `\end{document}`, the verdicts as a list. All
/// that nabla adds is ASCII and core LaTeX, so the copy compiles with pdflatex.
pub fn annotate_latex(report: &FileReport) -> String {
    let text = &report.source.text;
    let mut marks: Vec<(usize, String)> = report
        .results
        .iter()
        .map(|row| (row.span.end as usize, latex_mark(row)))
        .collect();
    marks.sort_by_key(|m| std::cmp::Reverse(m.0));
    let mut out = text.clone();
    for (at, mark) in marks {
        if at <= out.len() && out.is_char_boundary(at) {
            out.insert_str(at, &mark);
        }
    }
    let s = summarize(std::slice::from_ref(report));
    let mut summary = format!(
        "\n\\par\\medskip\\noindent\\textbf{{nabla}}: {} proved, {} checked, {} refuted, {} unknown.\n",
        s.proved, s.checked, s.refuted, s.unknown
    );
    if !report.results.is_empty() {
        summary.push_str("\\begin{itemize}\n");
        for row in &report.results {
            let detail = verdict_detail(row).replace('\n', " ");
            let _ = writeln!(
                summary,
                "\\item line {}: {}{}",
                row.line,
                latex_mark(row).trim_start_matches("\\quad"),
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(" {}", crate::expr::ascii_text(&detail))
                }
            );
        }
        summary.push_str("\\end{itemize}\n");
    }
    match out.rfind("\\end{document}") {
        Some(at) => out.insert_str(at, &summary),
        None => {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&summary);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_follow_the_workflow_command_rules() {
        for (raw, property, data) in [
            ("plain.nabla", "plain.nabla", "plain.nabla"),
            ("a,b", "a%2Cb", "a,b"),
            ("a:b", "a%3Ab", "a:b"),
            ("50%", "50%25", "50%25"),
            ("two\nlines\r", "two%0Alines%0D", "two%0Alines%0D"),
            ("%3A", "%253A", "%253A"),
        ] {
            assert_eq!(github_property(raw), property, "property {raw:?}");
            assert_eq!(github_data(raw), data, "data {raw:?}");
        }
    }

    #[test]
    fn shorten_cuts_only_long_texts_at_a_character_boundary() {
        assert_eq!(shorten("x = x"), "x = x");
        let long = "σ".repeat(150);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), 100);
        assert!(short.ends_with('…'));
    }
}
