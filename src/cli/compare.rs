//! `ptsplan compare A B`: configuration and metrics of two runs side by side. Each side is
//! a report id (`REPORT_ID` or `SCENE_ID:REPORT_ID`) or an evidence bundle / report
//! directory holding `details.json`. Read-only.

use std::io::Write;

use super::lifted::read_run;
use super::{Exit, GlobalArgs};
use crate::compare;

/// Output formats of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CompareFormat {
    /// Aligned tables for terminals.
    #[default]
    Text,
    /// For pull-request comments and CI step summaries.
    Markdown,
    /// Versioned, machine-readable (`format_version` 1).
    Json,
}

/// Arguments of `ptsplan compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier run: report id or evidence directory.
    #[arg(value_name = "A")]
    pub a: String,
    /// The later run: report id or evidence directory.
    #[arg(value_name = "B")]
    pub b: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let mut connection = None;
    let a = match read_run(global, &args.a, &mut connection) {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    let b = match read_run(global, &args.b, &mut connection) {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    let comparison = compare::compare(&a, &b);
    let text = match args.format {
        CompareFormat::Text => compare::text(&comparison),
        CompareFormat::Markdown => compare::markdown(&comparison),
        CompareFormat::Json => {
            let mut json =
                serde_json::to_string_pretty(&compare::json(&comparison)).unwrap_or_default();
            json.push('\n');
            json
        }
    };
    match std::io::stdout().write_all(text.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the comparison: {error}");
            Exit::Error
        }
        _ => Exit::Ok,
    }
}
