//! The command line: argument parsing and the subcommands, returning fixed exit codes.
//!
//! Exit codes: 0 every claim holds as expected, 1 some claim failed, 2 bad input
//! or usage. All work runs on a thread with a large stack, because derivatives
//! of deep compositions are deep expressions.

use crate::check::CheckConfig;
use crate::driver::{self, Defs};
use crate::expr::{to_latex, ExprId, Store};
use crate::latex::DocKind;
use crate::lower::{self, LowerConfig};
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

/// Stack size of the worker thread.
const STACK_BYTES: usize = 512 * 1024 * 1024;

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
        #[arg(required = true, value_name = "PATH")]
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
        /// Seed of the sampler (printed with every checked and refuted verdict)
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Sample points per claim
        #[arg(long, default_value_t = 40)]
        points: usize,
        /// Seconds allowed per claim before it is `unknown: budget exceeded`
        #[arg(long, default_value = "10", value_parser = parse_seconds)]
        time_budget: Duration,
        /// Largest expression (distinct nodes) the prover may build per claim
        #[arg(long, default_value_t = 200_000)]
        node_budget: usize,
        /// Seconds allowed per file; claims left when it is spent are `unknown: budget exceeded (file)`
        #[arg(long, default_value = "300", value_parser = parse_seconds)]
        file_budget: Duration,
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
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
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
    /// Exact 1-D correlation (no kernel flip, as in deep learning) or convolution (--flip)
    Conv {
        /// The input, e.g. '[1, 1, 4, 4, 4, 1, 1]' (entries exact: 0.25, 1/4)
        x: String,
        /// The kernel, e.g. '[1/4, 1/4, 1/4]'
        k: String,
        #[arg(long, value_enum, default_value = "full")]
        mode: ConvMode,
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
            color,
        } => {
            let defs = match defs.as_deref().map(driver::load_defs) {
                None => Defs::default(),
                Some(Ok(defs)) => defs,
                Some(Err(report)) => {
                    // reported in the format asked for: machine formats stay parseable
                    let reports = [report];
                    if format == Format::Text {
                        emit_err(&report::unreadable_lines(&reports, false));
                    }
                    emit(&report::render(&reports, format, TextOptions::default()));
                    return report::exit_code(&reports);
                }
            };
            let config = CheckConfig {
                seed,
                strict,
                points: points.max(1),
                time_budget,
                node_budget,
                file_budget,
                expr_limit,
                ..CheckConfig::default()
            };
            let options = driver::DocumentOptions {
                read_as,
                allow_empty,
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
            if format == Format::Markdown && documents && read_as != Some(DocKind::Latex) {
                // a document comes back annotated: ✓ / ✗ after each checked step
                let copies: Vec<String> = reports.iter().map(report::annotate_markdown).collect();
                emit(&copies.join("\n"));
            } else {
                if format == Format::Text {
                    emit_err(&report::unreadable_lines(&reports, color));
                }
                emit(&report::render(
                    &reports,
                    format,
                    TextOptions { color, explain },
                ));
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
            flip,
            stride,
            dilation,
        } => conv_command(&x, &k, mode, flip, stride, dilation),
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
    let fail = |d: crate::diagnostic::Diagnostic| expression_error(format, &source, &d);
    let config = LowerConfig {
        declare_unknown_as_real: true,
        ..LowerConfig::default()
    };
    let (mut program, lowered) =
        lower::lower_gradient(&defs_file, &parsed, wrt, order.max(1), config);
    let gradient = match lowered {
        Ok(g) => g,
        Err(d) => return fail(d),
    };
    match crate::gradient::cross_check(&program.store, &program.domains, &gradient.sites, 1) {
        Ok(0) => emit_err(
            "warning: the derivative could not be cross-checked (undefined at every sample point)\n",
        ),
        Ok(_) => {}
        Err(failure) => {
            emit_err(&format!(
                "error: {failure}; nothing is printed (kinks or jumps closer together than the \
                 check's steps, 10^-4 to 10^-6, can cause this)\n"
            ));
            return EXIT_FAILED;
        }
    }
    // where the result is the derivative: off the kinks nothing rules out
    let open = crate::check::kinks::open_kinks(
        &mut program.store,
        &program.domains,
        &gradient.sites,
        &[],
        &crate::simplify::Budget::default(),
    );
    let validity = crate::check::kinks::validity(&program.store, &open);
    let value = if gradient.indices.is_empty() {
        simplify_for_display(&mut program.store, &program.domains, gradient.value)
    } else {
        crate::gradient::display_form(
            &mut program.store,
            &program.domains,
            gradient.value,
            &gradient.named,
        )
    };
    let store = &program.store;
    let names: Vec<String> = gradient.indices.iter().map(|&i| store.display(i)).collect();
    let head = match names.len() {
        0 => format!("d/d{wrt}"),
        1 => format!("(∂/∂{wrt})_{}", names[0]),
        _ => format!("(∂/∂{wrt})_({})", names.join(",")),
    };
    let symbols: Vec<_> = gradient
        .indices
        .iter()
        .filter_map(|&i| store.as_sym(i))
        .collect();
    let matrix = match symbols.as_slice() {
        [i] => crate::gradient::vector_form(store, value, *i),
        [i, j] => crate::gradient::matrix_form(store, value, *i, *j),
        _ => None,
    };
    let out = match format {
        ExprFormat::Text => {
            let mut out = if names.is_empty() {
                store.display(value)
            } else {
                format!("{head} = {}", store.display(value))
            };
            if !validity.is_empty() {
                let words: Vec<&str> = validity.iter().map(|(t, _)| t.as_str()).collect();
                out.push_str(&format!(", for {}", words.join(" and ")));
            }
            if let Some(m) = &matrix {
                out.push_str(&format!("\nmatrix form: {m}"));
            }
            out
        }
        ExprFormat::Latex if validity.is_empty() => to_latex(store, value),
        ExprFormat::Latex => {
            let conditions: Vec<&str> = validity.iter().map(|(_, l)| l.as_str()).collect();
            format!(
                "{} \\quad \\text{{for }} {}",
                to_latex(store, value),
                conditions.join(" \\text{ and } ")
            )
        }
        ExprFormat::Json => serde_json::json!({
            "input": text,
            "wrt": wrt,
            "indices": names,
            "result": store.display(value),
            "ascii": store.display_ascii(value),
            "latex": to_latex(store, value),
            "matrix_form": matrix,
            "nodes": store.dag_size(value),
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
    let mut parsed = syntax::parse_file(&source.text);
    // only declarations matter for shapes; claims are `nabla check`'s business
    parsed.file.items.retain(|i| {
        matches!(
            i.kind,
            syntax::ast::ItemKind::Net(_)
                | syntax::ast::ItemKind::Dim(_)
                | syntax::ast::ItemKind::Var(_)
        )
    });
    let program = lower::lower_file(&parsed.file, LowerConfig::default());
    let mut out = String::new();
    let mut failed = false;
    for d in parsed.errors.iter().chain(program.diagnostics.iter()) {
        failed |= d.is_error();
        out.push_str(&report::render_diagnostic(&source, d, false));
    }
    if program.nets.is_empty() && !failed {
        out.push_str(&format!("no net in `{}`\n", source.name));
        failed = true;
    }
    for net in &program.nets {
        if let Some(shapes) = &net.shapes {
            out.push_str(&crate::shape::summary_table(&program.store, shapes));
            out.push('\n');
        }
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
    flip: bool,
    stride: usize,
    dilation: usize,
) -> u8 {
    use crate::conv;
    let parse = |what: &str, text: &str| {
        conv::parse_rational_list(text).ok_or_else(|| {
            format!(
                "error: {what} must be a list of exact numbers like [1, 1/4, 0.5], not `{text}`"
            )
        })
    };
    let (x, k) = match (parse("the input", x), parse("the kernel", k)) {
        (Ok(x), Ok(k)) => (x, k),
        (Err(e), _) | (_, Err(e)) => {
            emit_err(&format!("{e}\n"));
            return EXIT_BAD_INPUT;
        }
    };
    let mode = match mode {
        ConvMode::Full => conv::Mode::Full,
        ConvMode::Valid => conv::Mode::Valid,
        ConvMode::Same => conv::Mode::Same,
    };
    if flip && (stride != 1 || dilation != 1) {
        emit_err("error: --stride and --dilation apply to correlation only (drop --flip)\n");
        return EXIT_BAD_INPUT;
    }
    let result = if flip {
        conv::convolve(&x, &k, mode)
    } else {
        let mut options = conv::CorrelateOptions::new(mode);
        options.stride = stride;
        options.dilation = dilation;
        conv::correlate(&x, &k, &options)
    };
    match result {
        Ok(values) => {
            let shown: Vec<String> = values.iter().map(conv::format_rational).collect();
            emit(&format!("[{}]\n", shown.join(", ")));
            EXIT_OK
        }
        Err(e) => {
            emit_err(&format!("error: {e}\n"));
            EXIT_BAD_INPUT
        }
    }
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
    let fail = |d: crate::diagnostic::Diagnostic| expression_error(format, &source, &d);
    let config = LowerConfig {
        declare_unknown_as_real: true,
        ..LowerConfig::default()
    };
    let (mut program, lowered) = lower::lower_standalone(&defs_file, &parsed, config);
    let e = match lowered {
        Ok(e) => e,
        Err(d) => return fail(d),
    };
    let result = crate::simplify::simplest_form(&mut program.store, &program.domains, e);
    let store = &program.store;
    let out = match format {
        ExprFormat::Text => store.display(result),
        ExprFormat::Latex => to_latex(store, result),
        ExprFormat::Json => serde_json::json!({
            "input": text,
            "result": store.display(result),
            "ascii": store.display_ascii(result),
            "latex": to_latex(store, result),
            "nodes": store.dag_size(result),
        })
        .to_string(),
    };
    emit(&format!("{out}\n"));
    EXIT_OK
}

/// Display form of a result (canonical, with σ and softplus folded back).
fn simplify_for_display(store: &mut Store, domains: &crate::domain::Domains, e: ExprId) -> ExprId {
    crate::simplify::simplify_for_display(store, domains, e)
}
