//! Exit codes: stable, documented in README.md, distinct for what CI branches on.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success; for `plan --detailed-exitcode`, no changes.
    Ok = 0,
    /// An error (invalid plan, failed call…), explained on stderr.
    Error = 1,
    /// `plan --detailed-exitcode`: changes are present.
    Changes = 2,
    /// `apply PLANFILE`: the live state changed since the plan was saved.
    StalePlan = 3,
    /// `run`: the run finished but its thresholds failed.
    ThresholdsFailed = 4,
    /// `run`: interrupted with Ctrl-C; the scene was stopped on the backend first (128 +
    /// SIGINT, as shells report it).
    Interrupted = 130,
    /// Bad command-line usage (EX_USAGE), kept apart from 1 and 2 for CI scripts.
    Usage = 64,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}
