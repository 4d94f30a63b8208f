//! Fuzz target: the document reader and the checker on arbitrary bytes read as
//! Markdown, LaTeX and a Jupyter notebook never panic, hang or blow up.
//!
//! The first byte picks the kind of document; the rest is the document. The
//! configuration is tight, as in the `check` target, so anything slower than
//! libFuzzer's `-timeout` is a real hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nabla::check::CheckConfig;
use nabla::driver::{self, Defs, DocumentOptions};
use nabla::latex::DocKind;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (kind, name) = match pick % 3 {
        0 => (DocKind::Markdown, "fuzz.md"),
        1 => (DocKind::Latex, "fuzz.tex"),
        _ => (DocKind::Notebook, "fuzz.ipynb"),
    };
    let Ok(source) = driver::source_from_bytes(name, rest.to_vec()) else {
        return;
    };
    let config = CheckConfig {
        points: 4,
        min_points: 2,
        time_budget: Duration::from_millis(200),
        node_budget: 20_000,
        file_budget: Duration::from_secs(2),
        expr_limit: 50_000,
        ..CheckConfig::default()
    };
    let options = DocumentOptions::default();
    let report = match driver::document_source(source, kind) {
        Ok(source) => driver::check_document(source, kind, &Defs::default(), &config, &options),
        Err(report) => report,
    };
    // the renderers must survive whatever the check produced
    for format in [
        nabla::report::Format::Json,
        nabla::report::Format::Text,
        nabla::report::Format::Github,
        nabla::report::Format::Junit,
    ] {
        let _ = nabla::report::render(
            std::slice::from_ref(&report),
            format,
            nabla::report::TextOptions::default(),
        );
    }
    let _ = nabla::report::annotate_markdown(&report);
});
