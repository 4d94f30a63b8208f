//! Command-line paths to the files to check: folders are walked as ripgrep
//! walks them (the `ignore` crate: `.gitignore`, `.ignore` and hidden files
//! respected, `--glob` overrides), files named on the command line are always taken.
//!
//! *Invariant:* the files come back sorted within each folder, in the order of
//! the paths given, each once; a path that yields nothing is an error report,
//! never silently dropped. This room knows paths, not what is in the files.

use crate::latex::DocKind;
use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Deepest folder nesting walked when a folder is given.
const MAX_WALK_DEPTH: usize = 64;

/// What a folder yields (`nabla check` flags, or `nabla.toml`).
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Also take the documents a folder holds (`.md`, `.markdown`, `.tex`, `.ipynb`).
    pub include_documents: bool,
    /// Walk hidden files and folders too.
    pub hidden: bool,
    /// Do not read `.gitignore`, `.ignore` or git's exclude files.
    pub no_ignore: bool,
    /// ripgrep-style globs: `*.md` takes matching files (of any kind nabla
    /// reads), `!drafts/**` leaves matching ones out.
    pub globs: Vec<String>,
}

/// A path given that yields no file: missing, unreadable, or holding nothing to check.
#[derive(Clone, Debug)]
pub struct Unwalkable {
    /// The path as the user wrote it.
    pub shown: String,
    /// One line: `no such file: hw.md`.
    pub message: String,
}

impl Unwalkable {
    fn new(shown: &str, message: String) -> Unwalkable {
        Unwalkable {
            shown: shown.to_string(),
            message,
        }
    }
}

/// Expands folders into the files to check; paths that do not exist or hold
/// nothing to check come back as error reports.
pub fn collect_files(paths: &[PathBuf], options: &WalkOptions) -> (Vec<PathBuf>, Vec<Unwalkable>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        if is_stdin(path) {
            files.push(path.clone());
            continue;
        }
        let shown = path.display().to_string();
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                errors.push(Unwalkable::new(&shown, unreadable(&shown, &e)));
                continue;
            }
        };
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        match walk(path, options) {
            Err(message) => errors.push(Unwalkable::new(&shown, message)),
            Ok(found) if found.is_empty() => {
                errors.push(Unwalkable::new(&shown, nothing_found(&shown, options)))
            }
            Ok(found) => files.extend(found.into_iter().filter(|f| seen.insert(f.clone()))),
        }
    }
    (files, errors)
}

/// "no .nabla files in `notes`", naming what was looked for.
fn nothing_found(shown: &str, options: &WalkOptions) -> String {
    if !options.globs.is_empty() {
        return format!("no files to check in `{shown}` match the globs");
    }
    if options.include_documents {
        return format!("no .nabla files or documents in `{shown}`");
    }
    format!("no .nabla files in `{shown}`")
}

/// The files under `dir` to check, sorted.
fn walk(dir: &Path, options: &WalkOptions) -> Result<Vec<PathBuf>, String> {
    let overrides = {
        let mut builder = OverrideBuilder::new(dir);
        for glob in &options.globs {
            builder
                .add(glob)
                .map_err(|e| format!("bad glob `{glob}`: {}", first_line(&e.to_string())))?;
        }
        builder
            .build()
            .map_err(|e| format!("bad glob: {}", first_line(&e.to_string())))?
    };
    let whitelisted = options.globs.iter().any(|g| !g.starts_with('!'));
    let mut builder = WalkBuilder::new(dir);
    builder
        .hidden(!options.hidden)
        .ignore(!options.no_ignore)
        .git_ignore(!options.no_ignore)
        .git_global(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .parents(!options.no_ignore)
        // a checker's folder need not be a git repository for its .gitignore to count
        .require_git(false)
        .follow_links(true)
        .max_depth(Some(MAX_WALK_DEPTH))
        .overrides(overrides)
        .sort_by_file_path(|a, b| a.cmp(b));
    let mut found = Vec::new();
    for entry in builder.build() {
        let entry = match entry {
            Ok(entry) => entry,
            // a symlink loop is a folder already walked
            Err(e) if is_loop(&e) => continue,
            Err(e) => return Err(first_line(&e.to_string()).to_lowercase()),
        };
        if entry.depth() == 0 || !entry.path().is_file() {
            continue;
        }
        let path = entry.into_path();
        let is_nabla = path.extension().is_some_and(|e| e == "nabla");
        let kind = DocKind::from_path(&path);
        let take = if whitelisted {
            // the walk already left out what the globs do not match
            is_nabla || kind.is_some()
        } else {
            is_nabla
                || (options.include_documents
                    && kind.is_some()
                    && !path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("txt")))
        };
        if take {
            found.push(path);
        }
    }
    Ok(found)
}

/// `-` names standard input, as in most command-line tools.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Why `shown` could not be read, in one line: `no such file: hw.md`.
pub fn unreadable(shown: &str, e: &std::io::Error) -> String {
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

fn is_loop(error: &ignore::Error) -> bool {
    match error {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => is_loop(err),
        _ => false,
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
