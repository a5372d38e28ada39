//! Shared helpers: running the binary, temporary plan directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `ptsplan` command run from `dir`, with colour off and a fixed terminal width so that
/// output is stable.
pub fn ptsplan(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ptsplan"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env_remove("WX_APP_SECRET");
    cmd
}

/// Runs `ptsplan ARGS` from the repository root.
pub fn run(args: &[&str]) -> Output {
    ptsplan(&repo()).args(args).output().expect("ptsplan runs")
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
