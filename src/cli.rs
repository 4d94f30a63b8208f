//! The command line: argument parsing and the subcommands, returning fixed exit codes.
//!
//! Exit codes: 0 every claim holds as expected, 1 some claim failed, 2 bad input
//! or usage. All work runs on a thread with a large stack, because derivatives
//! of deep compositions are deep expressions.

use crate::calc;
use crate::check::CheckConfig;
use crate::driver::{self, Defs};
use crate::latex::DocKind;
use crate::lower;
use crate::report::{self, Format, TextOptions};
use crate::span::SourceFile;
use crate::syntax;
use clap::CommandFactory as _;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;

/// Stack size of the worker thread (the same as the checking pool's).
const STACK_BYTES: usize = driver::WORKER_STACK_BYTES;

#[derive(Parser, Debug)]
#[command(
    name = "nabla",
    version,
    about = "A proof checker and calculator for the math of machine learning",
    long_about = "nabla reads derivation files (*.nabla) and says, for every claim and every `=` step, \
whether it is proved (symbolically), checked (numerically at many points) or refuted (with a \
counterexample).\n\nExamples:\n  nabla check derivations/\n  nabla diff 'ln(1 + exp(x))' --wrt x\n  \
nabla simplify 'exp(x)/(exp(x) + 1)'\n\nExit codes: 0 everything holds as expected, 1 some claim \
failed, 2 bad input or usage."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ConvMode {
    Full,
    Valid,
    Same,
}

/// Whose `same` window `nabla conv --mode same` keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SameAs {
    /// numpy.correlate / numpy.convolve: ⌊(m − 1)/2⌋ from the full result's start
    Numpy,
    /// PyTorch's conv1d(padding='same'): ⌊(m − 1)/2⌋ zeros on the left, the rest on the right
    Torch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExprFormat {
    Text,
    Latex,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every claim and derivation step in files or folders (folders: every *.nabla inside;
    /// .md, .markdown, .txt, .tex and .ipynb files are read as documents: every chain of equalities in their math)
    Check {
        /// Files and folders (`-` reads standard input); none given: the `paths` of nabla.toml
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Fail anything short of `proved` (claims expected refuted still pass when refuted)
        #[arg(long)]
        strict: bool,
        /// Show the rewrite rules behind each proof and the sampling behind each check
        #[arg(long)]
        explain: bool,
        /// Seed of the sampler (printed with every checked and refuted verdict) [default: 1]
        #[arg(long)]
        seed: Option<u64>,
        /// Sample points per claim [default: 40]
        #[arg(long)]
        points: Option<usize>,
        /// Seconds allowed per claim before it is `unknown: budget exceeded` [default: 10]
        #[arg(long, value_parser = parse_seconds)]
        time_budget: Option<Duration>,
        /// Largest expression (distinct nodes) the prover may build per claim
        #[arg(long, default_value_t = 200_000)]
        node_budget: usize,
        /// Seconds allowed per file; claims left when it is spent are `unknown: budget exceeded (file)` [default: 300]
        #[arg(long, value_parser = parse_seconds)]
        file_budget: Option<Duration>,
        /// Most distinct expression nodes one file may build while lowering (derivatives taken, defs inlined)
        #[arg(long, default_value_t = crate::lower::DEFAULT_MAX_NODES)]
        expr_limit: usize,
        /// A file whose declarations (var, dim, def, net) every checked file can use
        #[arg(long, value_name = "FILE")]
        defs: Option<PathBuf>,
        /// Read every given file as a document (.md/.markdown and .tex are read so anyway):
        /// its math is found and every chain of equalities checked
        #[arg(long = "as", value_enum, value_name = "KIND")]
        read_as: Option<DocKind>,
        /// Let a document in which no step could be judged pass (by default it fails:
        /// "nothing checkable in this document")
        #[arg(long)]
        allow_empty: bool,
        /// Folders also yield their documents (.md, .markdown, .tex, .ipynb), not only *.nabla
        #[arg(long)]
        include_documents: bool,
        /// Take (`*.md`) or leave out (`!drafts/**`) files in folders, as ripgrep's -g;
        /// repeatable
        #[arg(short = 'g', long = "glob", value_name = "GLOB")]
        globs: Vec<String>,
        /// Walk hidden files and folders too
        #[arg(long)]
        hidden: bool,
        /// Do not respect .gitignore, .ignore and git's exclude files when walking folders
        #[arg(long)]
        no_ignore: bool,
        /// Project defaults from this file instead of the nearest nabla.toml (or
        /// pyproject.toml's [tool.nabla]) at or above the working folder
        #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
        config: Option<PathBuf>,
        /// Ignore nabla.toml and pyproject.toml
        #[arg(long)]
        no_config: bool,
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
        /// Threads checking files and claims side by side (default, and 0: the number of
        /// cores); the verdicts are the same for every value
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
    },
    /// Simplify an expression (unknown names are real variables)
    Simplify {
        expr: String,
        #[arg(long, value_name = "FILE")]
        defs: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: ExprFormat,
    },
    /// Print a summary table (shapes, parameters, formulas) of every net in a file
    Shape { file: PathBuf },
    /// Exact 1-D correlation (no kernel flip, as PyTorch's conv1d) or convolution (--flip, as
    /// numpy.convolve); `--mode same` keeps NumPy's window unless `--same-as torch`
    Conv {
        /// The input, e.g. '[1, 1, 4, 4, 4, 1, 1]' (entries exact: 0.25, 1/4); or a file
        /// holding such a list or one number per line (as numpy.savetxt writes); `-` reads
        /// standard input
        x: String,
        /// The kernel, e.g. '[1/4, 1/4, 1/4]'; or a file, or `-`, as for the input
        k: String,
        #[arg(long, value_enum, default_value = "full")]
        mode: ConvMode,
        /// Whose `same` window to keep: NumPy's, or PyTorch's padding='same' (they differ
        /// by one entry for an even kernel)
        #[arg(long, value_enum, default_value = "numpy")]
        same_as: SameAs,
        /// Flip the kernel (numpy.convolve) instead of correlating
        #[arg(long)]
        flip: bool,
        #[arg(long, default_value_t = 1)]
        stride: usize,
        #[arg(long, default_value_t = 1)]
        dilation: usize,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout: `nabla man > nabla.1`
    Man,
    /// Differentiate an expression (unknown names are real variables)
    Diff {
        expr: String,
        /// The variable to differentiate with respect to
        #[arg(long)]
        wrt: String,
        /// How many times
        #[arg(long, default_value_t = 1)]
        order: u32,
        #[arg(long, value_name = "FILE")]
        defs: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: ExprFormat,
    },
}

/// Parses arguments and runs; returns the exit code. Clap prints usage errors (exit 2).
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
        }
    };
    let worker = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || run(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            emit_err("error: nabla stopped unexpectedly (this is a bug; please report it)\n");
            EXIT_BAD_INPUT
        }
    }
}

/// Longest budget: anything larger (`inf` included) means one year.
const MAX_BUDGET_SECS: f64 = 86_400.0 * 365.0;

/// A budget in seconds: a number ≥ 0 (`0.5`, `inf`), never NaN.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs.is_nan() || secs < 0.0 {
        return Err(format!("`{text}` is not a number of seconds ≥ 0"));
    }
    Ok(Duration::from_secs_f64(secs.min(MAX_BUDGET_SECS)))
}

/// Appends the verdict table to `$GITHUB_STEP_SUMMARY` when GitHub Actions sets it.
fn write_step_summary(reports: &[report::FileReport]) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(report::step_summary(reports).as_bytes()));
    if let Err(e) = written {
        emit_err(&format!(
            "warning: could not write the step summary to {}: {e}\n",
            std::path::Path::new(&path).display()
        ));
    }
}

/// Writes to stdout; a closed pipe (`nabla check | head`) is not an error.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Writes to stderr; unlike `eprintln!`, a closed pipe does not panic.
fn emit_err(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check {
            paths,
            format,
            strict,
            explain,
            seed,
            points,
            time_budget,
            node_budget,
            file_budget,
            expr_limit,
            defs,
            read_as,
            allow_empty,
            include_documents,
            globs,
            hidden,
            no_ignore,
            config,
            no_config,
            color,
            jobs,
        } => {
            // flags win over the project file, which wins over the built-in defaults
            let project = match project_settings(config.as_deref(), no_config) {
                Ok(settings) => settings,
                Err(report) => return fail_before_checking(report, format),
            };
            let paths = if paths.is_empty() {
                project.paths.clone().unwrap_or_default()
            } else {
                paths
            };
            if paths.is_empty() {
                let report = driver::error_report(
                    "nabla.toml",
                    "no paths given, and no `paths` in a nabla.toml at or above this folder",
                );
                return fail_before_checking(report, format);
            }
            let defs_path = defs.or(project.defs.clone());
            let defs = match defs_path.as_deref().map(driver::load_defs) {
                None => Defs::default(),
                Some(Ok(defs)) => defs,
                Some(Err(report)) => return fail_before_checking(report, format),
            };
            let seconds = |s: f64| parse_seconds(&s.to_string()).ok();
            let base = CheckConfig::default();
            let config = CheckConfig {
                seed: seed.or(project.seed).unwrap_or(base.seed),
                strict: strict || project.strict.unwrap_or(base.strict),
                points: points.or(project.points).unwrap_or(base.points).max(1),
                time_budget: time_budget
                    .or_else(|| project.time_budget.and_then(seconds))
                    .unwrap_or(base.time_budget),
                node_budget,
                file_budget: file_budget
                    .or_else(|| project.file_budget.and_then(seconds))
                    .unwrap_or(base.file_budget),
                expr_limit,
                jobs: jobs
                    .or(project.jobs)
                    .filter(|&n| n > 0)
                    .unwrap_or_else(crate::check::default_jobs),
                plots: format == Format::Html,
                traces: explain || matches!(format, Format::Json | Format::Html),
                ..base
            };
            let mut globs = globs;
            if globs.is_empty() {
                globs = project.glob.clone().unwrap_or_default();
            }
            let options = driver::DocumentOptions {
                read_as,
                allow_empty: allow_empty || project.allow_empty.unwrap_or(false),
                walk: crate::files::WalkOptions {
                    include_documents: include_documents
                        || project.include_documents.unwrap_or(false),
                    hidden: hidden || project.hidden.unwrap_or(false),
                    no_ignore: no_ignore || project.no_ignore.unwrap_or(false),
                    globs,
                },
            };
            let reports = driver::check_paths_as(&paths, &defs, &config, &options);
            let color = match color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            let documents = paths
                .iter()
                .all(|p| read_as.is_some() || DocKind::from_path(p).is_some());
            if format == Format::Markdown && documents {
                // a document comes back annotated: ✓ / ✗ after each checked step
                let copies: Vec<String> = reports
                    .iter()
                    .map(|r| {
                        let kind = read_as
                            .or_else(|| DocKind::from_path(std::path::Path::new(&r.source.name)));
                        match kind {
                            Some(DocKind::Latex) => report::annotate_latex(r),
                            _ => report::annotate_markdown(r),
                        }
                    })
                    .collect();
                emit(&copies.join("\n"));
            } else {
                if format == Format::Text {
                    emit_err(&report::unreadable_lines(&reports, color));
                }
                emit(&render(&reports, format, TextOptions { color, explain }));
            }
            if format == Format::Github {
                write_step_summary(&reports);
            }
            report::exit_code(&reports)
        }
        Command::Shape { file } => shape_command(&file),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "nabla", &mut script);
            emit(&String::from_utf8_lossy(&script));
            EXIT_OK
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => {
                    emit(&String::from_utf8_lossy(&page));
                    EXIT_OK
                }
                Err(e) => {
                    emit_err(&format!("error: could not render the manual page: {e}\n"));
                    EXIT_BAD_INPUT
                }
            }
        }
        Command::Conv {
            x,
            k,
            mode,
            same_as,
            flip,
            stride,
            dilation,
        } => conv_command(&x, &k, mode, same_as, flip, stride, dilation),
        Command::Simplify { expr, defs, format } => simplify_command(&expr, defs.as_ref(), format),
        Command::Diff {
            expr,
            wrt,
            order,
            defs,
            format,
        } => diff_command(&expr, &wrt, order, defs.as_ref(), format),
    }
}

/// The project file's settings (`--config FILE`, else the nearest one found
/// walking up; none with `--no-config`), or its error as a report.
#[allow(clippy::result_large_err)]
fn project_settings(
    explicit: Option<&std::path::Path>,
    no_config: bool,
) -> Result<crate::config::Settings, report::FileReport> {
    if no_config {
        return Ok(Default::default());
    }
    let found = match explicit {
        Some(file) => crate::config::load(file).map(Some),
        None => match std::env::current_dir() {
            Ok(dir) => crate::config::discover(&dir),
            Err(_) => Ok(None),
        },
    };
    match found {
        Ok(found) => Ok(found.map(|c| c.settings).unwrap_or_default()),
        Err(e) => Err(config_report(e)),
    }
}

/// A project file's error as a located report of that file.
fn config_report(e: crate::config::ConfigError) -> report::FileReport {
    let name = e.file.display().to_string();
    let span = e
        .span
        .map(|r| crate::span::Span::new(r.start, r.end.max(r.start)))
        .unwrap_or_default();
    report::FileReport {
        source: SourceFile::new(name, e.text),
        diagnostics: vec![crate::diagnostic::Diagnostic::error(span, e.message)],
        results: Vec::new(),
        coverage: None,
    }
}

/// Reports an error found before any file was checked (a bad project file, a
/// missing `--defs`), in the format asked for: machine formats stay parseable.
fn fail_before_checking(report: report::FileReport, format: Format) -> u8 {
    let reports = [report];
    if format == Format::Text {
        emit_err(&report::unreadable_lines(&reports, false));
    }
    emit(&render(&reports, format, TextOptions::default()));
    report::exit_code(&reports)
}

/// `nabla diff`: the derivative, simplified; for a vector or matrix variable the
/// gradient's entry in index form and, for the common patterns, in matrix form.
/// Nothing is printed unless central differences agree with it.
fn diff_command(
    text: &str,
    wrt: &str,
    order: u32,
    defs_path: Option<&PathBuf>,
    format: ExprFormat,
) -> u8 {
    if order > lower::MAX_DERIVATIVE_ORDER {
        let message = format!(
            "--order {order} is past the limit of {} (a fixed limit, MAX_DERIVATIVE_ORDER)",
            lower::MAX_DERIVATIVE_ORDER
        );
        return usage_error(format, &message);
    }
    let (source, parsed, defs_file) = match parse_one_expression(text, defs_path, format) {
        Ok(parts) => parts,
        Err(code) => return code,
    };
    let derivative = match calc::differentiate(&defs_file, &parsed, wrt, order) {
        Ok(d) => d,
        Err(calc::DiffError::Input(d)) => return expression_error(format, &source, &d),
        Err(calc::DiffError::CrossCheck(failure)) => {
            emit_err(&format!(
                "error: {failure}; nothing is printed (kinks or jumps closer together than the \
                 check's steps, 10^-4 to 10^-6, can cause this)\n"
            ));
            return EXIT_FAILED;
        }
    };
    if derivative.cross_checked == 0 {
        emit_err(
            "warning: the derivative could not be cross-checked (undefined at every sample point)\n",
        );
    }
    let result = &derivative.result;
    let validity = &derivative.valid_where;
    let out = match format {
        ExprFormat::Text => {
            let mut out = if derivative.indices.is_empty() {
                result.text()
            } else {
                format!("{} = {}", derivative.head, result.text())
            };
            if !validity.is_empty() {
                let words: Vec<&str> = validity.iter().map(|(t, _)| t.as_str()).collect();
                out.push_str(&format!(", for {}", words.join(" and ")));
            }
            if let Some(m) = &derivative.matrix_form {
                out.push_str(&format!("\nmatrix form: {m}"));
            }
            out
        }
        ExprFormat::Latex => {
            let mut out = format!("{}{}", derivative.head_latex, result.latex());
            if !validity.is_empty() {
                let conditions: Vec<&str> = validity.iter().map(|(_, l)| l.as_str()).collect();
                out.push_str(&format!(
                    " \\quad \\text{{for }} {}",
                    conditions.join(" \\text{ and } ")
                ));
            }
            if let Some(m) = &derivative.matrix_form_latex {
                out.push_str(&format!("\n{m}"));
            }
            out
        }
        ExprFormat::Json => serde_json::json!({
            "input": text,
            "wrt": wrt,
            "indices": derivative.indices,
            "result": result.text(),
            "ascii": result.ascii(),
            "latex": result.latex(),
            "sympy": result.sympy(),
            "matrix_form": derivative.matrix_form,
            "nodes": result.nodes,
            "valid_where": validity.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        })
        .to_string(),
    };
    emit(&format!("{out}\n"));
    EXIT_OK
}

fn shape_command(path: &std::path::Path) -> u8 {
    let source = match driver::read_source(path) {
        Ok(s) => s,
        Err(report) if report.is_unreadable() => {
            emit_err(&report::unreadable_lines(&[report], false));
            return EXIT_BAD_INPUT;
        }
        Err(report) => {
            // readable but refused (binary, too large, empty): located
            for d in &report.diagnostics {
                emit_err(&report::render_diagnostic(&report.source, d, false));
            }
            return EXIT_BAD_INPUT;
        }
    };
    let (nets, diagnostics) = calc::net_summaries(&source.text);
    let mut out = String::new();
    let mut failed = false;
    for d in &diagnostics {
        failed |= d.is_error();
        out.push_str(&report::render_diagnostic(&source, d, false));
    }
    if nets.is_empty() && !failed {
        out.push_str(&format!("no net in `{}`\n", source.name));
        failed = true;
    }
    for net in &nets {
        out.push_str(&net.table);
        out.push('\n');
    }
    emit(&out);
    if failed {
        EXIT_BAD_INPUT
    } else {
        EXIT_OK
    }
}

fn conv_command(
    x: &str,
    k: &str,
    mode: ConvMode,
    same_as: SameAs,
    flip: bool,
    stride: usize,
    dilation: usize,
) -> u8 {
    use crate::conv;
    if x == "-" && k == "-" {
        emit_err("error: only one of the input and the kernel can come from standard input\n");
        return EXIT_BAD_INPUT;
    }
    let (x, k) = match (conv_operand("the input", x), conv_operand("the kernel", k)) {
        (Ok(x), Ok(k)) => (x, k),
        (Err(e), _) | (_, Err(e)) => {
            emit_err(&format!("{e}\n"));
            return EXIT_BAD_INPUT;
        }
    };
    if same_as == SameAs::Torch && mode != ConvMode::Same {
        emit_err("error: --same-as applies to --mode same only\n");
        return EXIT_BAD_INPUT;
    }
    let mode = match mode {
        ConvMode::Full => conv::Mode::Full,
        ConvMode::Valid => conv::Mode::Valid,
        ConvMode::Same if same_as == SameAs::Torch => conv::Mode::SameTorch,
        ConvMode::Same => conv::Mode::Same,
    };
    if flip && (stride != 1 || dilation != 1) {
        emit_err("error: --stride and --dilation apply to correlation only (drop --flip)\n");
        return EXIT_BAD_INPUT;
    }
    let result = if flip {
        conv::convolve_scaled(&x, &k, mode)
    } else {
        let mut options = conv::CorrelateOptions::new(mode);
        options.stride = stride;
        options.dilation = dilation;
        conv::correlate_scaled(&x, &k, &options)
    };
    match result {
        Ok(values) => {
            let shown: Vec<String> = values
                .to_rationals()
                .iter()
                .map(conv::format_rational)
                .collect();
            emit(&format!("[{}]\n", shown.join(", ")));
            EXIT_OK
        }
        Err(e) => {
            emit_err(&format!("error: {e}\n"));
            EXIT_BAD_INPUT
        }
    }
}

/// An operand of `nabla conv`: a list written on the command line, a file
/// (the list syntax, or one number per line), or `-` for standard input.
fn conv_operand(what: &str, text: &str) -> Result<crate::conv::ScaledVec, String> {
    use crate::conv::input::read_vector;
    let from = |name: &str, contents: Result<String, std::io::Error>| {
        let contents =
            contents.map_err(|e| format!("error: cannot read {what} from {name}: {e}"))?;
        read_vector(&contents).map_err(|e| format!("error: {what} in {name}: {e}"))
    };
    if text == "-" {
        let mut contents = String::new();
        let read = std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut contents);
        return from("standard input", read.map(|_| contents));
    }
    let path = std::path::Path::new(text);
    if !text.trim_start().starts_with('[') && path.is_file() {
        return from(&format!("`{text}`"), std::fs::read_to_string(path));
    }
    crate::conv::parse_rational_list(text)
        .map(|values| crate::conv::ScaledVec::from_rationals(&values))
        .ok_or_else(|| {
            format!(
                "error: {what} must be a list of exact numbers like [1, 1/4, 0.5], or a file, not `{text}`"
            )
        })
}

/// A one-off expression and the `--defs` declarations; on an error, the
/// located message is printed (as JSON under `--format json`) and the exit code
/// returned.
fn parse_one_expression(
    text: &str,
    defs_path: Option<&PathBuf>,
    format: ExprFormat,
) -> Result<(SourceFile, syntax::ast::Expr, syntax::ast::File), u8> {
    let defs = match defs_path.map(PathBuf::as_path).map(driver::load_defs) {
        None => Defs::default(),
        Some(Ok(defs)) => defs,
        Some(Err(report)) if format == ExprFormat::Json => {
            let json = report::to_json(&[report]);
            emit(&format!(
                "{}\n",
                serde_json::json!({ "error": json["files"][0] })
            ));
            return Err(EXIT_BAD_INPUT);
        }
        Some(Err(report)) => {
            emit_err(&report::unreadable_lines(
                std::slice::from_ref(&report),
                false,
            ));
            if !report.is_unreadable() {
                for d in &report.diagnostics {
                    emit_err(&report::render_diagnostic(&report.source, d, false));
                }
            }
            return Err(EXIT_BAD_INPUT);
        }
    };
    let source = SourceFile::new("<expression>", text);
    match syntax::parse_expr(text) {
        Ok(e) => Ok((source, e, syntax::ast::File { items: defs.items })),
        Err(d) => Err(expression_error(format, &source, &d)),
    }
}

/// A located error about a one-off expression: a snippet on stderr, or one JSON
/// object on stdout under `--format json`.
fn expression_error(
    format: ExprFormat,
    source: &SourceFile,
    d: &crate::diagnostic::Diagnostic,
) -> u8 {
    if format != ExprFormat::Json {
        emit_err(&report::render_diagnostic(source, d, false));
        return EXIT_BAD_INPUT;
    }
    let at = source.line_col(d.span.start as usize);
    let error = serde_json::json!({
        "error": { "message": d.message, "line": at.line, "column": at.col, "notes": d.notes }
    });
    emit(&format!("{error}\n"));
    EXIT_BAD_INPUT
}

/// An error about the command line itself, in the asked format.
fn usage_error(format: ExprFormat, message: &str) -> u8 {
    if format == ExprFormat::Json {
        emit(&format!(
            "{}\n",
            serde_json::json!({ "error": { "message": message } })
        ));
    } else {
        emit_err(&format!("error: {message}\n"));
    }
    EXIT_BAD_INPUT
}

/// `nabla simplify`: the display form of one expression.
fn simplify_command(text: &str, defs_path: Option<&PathBuf>, format: ExprFormat) -> u8 {
    let (source, parsed, defs_file) = match parse_one_expression(text, defs_path, format) {
        Ok(parts) => parts,
        Err(code) => return code,
    };
    let result = match calc::simplify(&defs_file, &parsed) {
        Ok(r) => r,
        Err(d) => return expression_error(format, &source, &d),
    };
    let out = match format {
        ExprFormat::Text => result.text(),
        ExprFormat::Latex => result.latex(),
        ExprFormat::Json => serde_json::json!({
            "input": text,
            "result": result.text(),
            "ascii": result.ascii(),
            "latex": result.latex(),
            "sympy": result.sympy(),
            "nodes": result.nodes,
        })
        .to_string(),
    };
    emit(&format!("{out}\n"));
    EXIT_OK
}

/// The whole run in `format`: `report` writes the text-like formats, `html`
/// the page.
fn render(reports: &[report::FileReport], format: Format, options: TextOptions) -> String {
    match format {
        Format::Text => report::render_text(reports, options),
        Format::Json => {
            serde_json::to_string_pretty(&report::to_json(reports)).unwrap_or_default() + "\n"
        }
        Format::Junit => report::render_junit(reports),
        Format::Github => report::render_github(reports),
        Format::Markdown => report::render_markdown(reports),
        Format::Html => crate::html::render(reports),
    }
}
