//! Located messages about a source file: parse errors, name errors, layer errors.

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Bad input: the file could not be read, parsed or named (exit 2).
    Error,
    /// A finding about the content that fails the file like a refuted step
    /// (exit 1): "nothing checkable in this document".
    Failure,
    Warning,
}

/// A message about one place in a source file.
///
/// Messages are short and lowercase ("expected `)` to close `(` opened at 3:14");
/// `labels` point at other places that explain it, `notes` add a line each.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    pub labels: Vec<(Span, String)>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    pub fn failure(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Failure,
            ..Diagnostic::error(span, message)
        }
    }

    pub fn with_label(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.labels.push((span, label.into()));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// An input error (exit 2); a failure is not one.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn is_failure(&self) -> bool {
        self.severity == Severity::Failure
    }
}

/// The candidate closest to a misspelt `name` (`sigmoud` → `sigmoid`), if any is
/// close enough to be worth a "did you mean" (the threshold clap uses).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::jaro(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}
