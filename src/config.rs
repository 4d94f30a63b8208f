//! Project defaults: a `nabla.toml`, or a `[tool.nabla]` table in
//! `pyproject.toml`, found by walking up from the working folder as rustfmt
//! and ruff find theirs. Command-line flags win over the file.
//!
//! *Invariant:* paths in the file are relative to the file's folder, so the
//! same project checks the same way from any subfolder. Unknown keys are
//! errors (a misspelt `strcit = true` must not pass silently).

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The settings a project file may hold; every key is optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// What `nabla check` checks when no path is given.
    pub paths: Option<Vec<PathBuf>>,
    /// Declarations every checked file can use (`--defs`).
    pub defs: Option<PathBuf>,
    pub seed: Option<u64>,
    pub points: Option<usize>,
    pub strict: Option<bool>,
    pub allow_empty: Option<bool>,
    pub include_documents: Option<bool>,
    pub hidden: Option<bool>,
    pub no_ignore: Option<bool>,
    pub glob: Option<Vec<String>>,
    /// Threads (`--jobs`); 0 means the number of cores.
    pub jobs: Option<usize>,
    /// Seconds per claim.
    pub time_budget: Option<f64>,
    /// Seconds per file.
    pub file_budget: Option<f64>,
}

/// A project file that was found and read.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectConfig {
    /// The file the settings came from.
    pub file: PathBuf,
    /// Its settings, paths already resolved against the file's folder.
    pub settings: Settings,
}

/// A project file that exists but cannot be used: where and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub text: String,
    /// Byte range of the offending key or value, when the parser knows it.
    pub span: Option<std::ops::Range<usize>>,
    pub message: String,
}

/// The nearest project file at or above `start`: `nabla.toml`, else a
/// `pyproject.toml` with a `[tool.nabla]` table. `Ok(None)` when there is none.
pub fn discover(start: &Path) -> Result<Option<ProjectConfig>, ConfigError> {
    for dir in start.ancestors() {
        let own = dir.join("nabla.toml");
        if own.is_file() {
            return load(&own).map(Some);
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file() {
            if let Some(found) = load_pyproject(&pyproject)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// Reads one `nabla.toml` (or any file in its syntax, `--config FILE`).
pub fn load(file: &Path) -> Result<ProjectConfig, ConfigError> {
    let text = read(file)?;
    let settings: Settings = toml::from_str(&text).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        span: e.span(),
        message: e.message().trim().to_string(),
        text: text.clone(),
    })?;
    Ok(resolved(file, settings))
}

/// The `[tool.nabla]` table of a `pyproject.toml`, if it has one.
fn load_pyproject(file: &Path) -> Result<Option<ProjectConfig>, ConfigError> {
    let text = read(file)?;
    let error = |span, message: String| ConfigError {
        file: file.to_path_buf(),
        text: text.clone(),
        span,
        message,
    };
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| error(e.span(), e.message().trim().to_string()))?;
    let Some(ours) = table.get("tool").and_then(|tool| tool.get("nabla")) else {
        return Ok(None);
    };
    let settings: Settings = ours.clone().try_into().map_err(|e: toml::de::Error| {
        error(None, format!("in [tool.nabla]: {}", e.message().trim()))
    })?;
    Ok(Some(resolved(file, settings)))
}

fn read(file: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(file).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        text: String::new(),
        span: None,
        message: crate::files::unreadable(&file.display().to_string(), &e),
    })
}

/// Paths in the file are relative to its folder (shown as written when that
/// folder is the working folder).
fn resolved(file: &Path, mut settings: Settings) -> ProjectConfig {
    let here = std::env::current_dir().ok();
    let base = match file.parent() {
        Some(dir) if Some(dir) == here.as_deref() => Path::new(""),
        Some(dir) => dir,
        None => Path::new(""),
    };
    let rebase = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        }
    };
    settings.defs = settings.defs.as_ref().map(rebase);
    settings.paths = settings
        .paths
        .as_ref()
        .map(|paths| paths.iter().map(rebase).collect());
    ProjectConfig {
        file: file.to_path_buf(),
        settings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, String> {
        toml::from_str::<Settings>(text).map_err(|e| e.message().trim().to_string())
    }

    #[test]
    fn keys_are_read() {
        let s = parse(
            "seed = 7\npoints = 12\nstrict = true\nglob = [\"*.md\"]\ninclude-documents = true\n",
        )
        .unwrap();
        assert_eq!(s.seed, Some(7));
        assert_eq!(s.points, Some(12));
        assert_eq!(s.strict, Some(true));
        assert_eq!(s.glob, Some(vec!["*.md".to_string()]));
        assert_eq!(s.include_documents, Some(true));
        assert_eq!(s.defs, None);
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let e = parse("strcit = true\n").unwrap_err();
        assert!(e.contains("unknown field `strcit`"), "{e}");
    }

    #[test]
    fn a_wrong_type_is_an_error() {
        let e = parse("points = \"many\"\n").unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let c = resolved(
            Path::new("/p/q/nabla.toml"),
            Settings {
                defs: Some("d.nabla".into()),
                paths: Some(vec!["derivations".into(), "/abs".into()]),
                ..Settings::default()
            },
        );
        assert_eq!(c.settings.defs, Some(PathBuf::from("/p/q/d.nabla")));
        assert_eq!(
            c.settings.paths,
            Some(vec![
                PathBuf::from("/p/q/derivations"),
                PathBuf::from("/abs")
            ])
        );
    }
}
