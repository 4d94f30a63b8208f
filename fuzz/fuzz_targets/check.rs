//! Fuzz target: the whole check of a file (parse, lower, simplify,
//! differentiate, evaluate) on arbitrary bytes never panics, hangs or blows up.
//!
//! The configuration is tight (few points, short claim and file budgets, small
//! node and expression limits) so one input takes milliseconds, and anything
//! slower than libFuzzer's `-timeout` is a real hang, not a slow check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nabla::check::CheckConfig;
use nabla::driver::{self, Defs};
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = driver::source_from_bytes("fuzz.nabla", data.to_vec()) else {
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
    let report = driver::check_source(source, &Defs::default(), &config);
    // the renderers must survive whatever the check produced
    let _ = nabla::report::render(
        std::slice::from_ref(&report),
        nabla::report::Format::Json,
        nabla::report::TextOptions::default(),
    );
    let _ = nabla::report::render(
        &[report],
        nabla::report::Format::Text,
        nabla::report::TextOptions::default(),
    );
});
