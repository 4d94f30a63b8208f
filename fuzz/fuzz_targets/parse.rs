//! Fuzz target: the parser on arbitrary bytes (read as lossy UTF-8) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = nabla::syntax::parse_file(&text);
    // one-off expressions (`nabla simplify`, `nabla diff`) take the expression parser
    let _ = nabla::syntax::parse_expr(&text);
});
