//! `ptsplan schema`: print the JSON Schema of plan files.

use std::io::Write;

use super::Exit;
use crate::spec::schema::plan_schema_text;

/// Arguments of `ptsplan schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Prints the schema to stdout.
pub fn run(_: Args) -> Exit {
    match std::io::stdout().write_all(plan_schema_text().as_bytes()) {
        Ok(()) => Exit::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => {
            eprintln!("error: cannot write the schema: {e}");
            Exit::Error
        }
    }
}
