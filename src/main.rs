//! The `nabla` command: all logic lives in the library; this only maps it to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(nabla::cli::main())
}
