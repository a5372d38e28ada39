//! `ptsplan rollback EVIDENCE_DIR`: undo an apply from its evidence bundle.
//!
//! Reads the bundle's `rollback.json` and the before-images it names (their
//! `${secret.NAME}` references resolved from the environment), compares every scene
//! the apply touched with the live state, and restores or deletes only what differs; each
//! mutation is appended to the bundle's journal (`"phase": "rollback"`). Safe to run again.
//! Exit codes: 0 (everything is as before the apply), 1 (an error, or a scene that could
//! not be restored).

use std::path::{Path, PathBuf};

use super::backend::{Connection, connect_with_runtime};
use super::{Exit, GlobalArgs};
use crate::apply::journal::{Journal, Outcome};
use crate::apply::rollback;
use crate::evidence;
use crate::redact::Redactor;

/// Arguments of `ptsplan rollback`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The evidence bundle of the apply to undo (`output/ptsplan/<time>-<id>`).
    #[arg(value_name = "EVIDENCE_DIR")]
    pub dir: PathBuf,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let (connection, runtime) = match connect_with_runtime(global) {
        Ok(connected) => connected,
        Err(exit) => return exit,
    };
    undo(global, &connection, &runtime, &args.dir)
}

/// Undoes the apply recorded in the bundle `dir`, printing what was done.
pub(super) fn undo(
    global: &GlobalArgs,
    connection: &Connection,
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
) -> Exit {
    // The rollback's journal lines hold keys, ids and error messages; the credential's
    // secrets and the secrets the before-images refer to are the ones they could meet.
    let mut redactor = Redactor::default();
    connection.redact_credentials(&mut redactor);
    let lookup = |name: &str| std::env::var(name).ok();
    let (record, images) = match evidence::read_rollback(dir, &lookup, &mut redactor) {
        Ok(read) => read,
        Err(error) => {
            eprintln!("error: {}", redactor.redact(&error));
            return Exit::Error;
        }
    };
    let path = dir.join(evidence::JOURNAL);
    let mut journal = match Journal::open(&path, redactor.clone()) {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!(
                "error: cannot open the journal {}: {error}; nothing was changed",
                path.display()
            );
            return Exit::Error;
        }
    };
    let undone = match runtime.block_on(rollback::rollback(
        &connection.client,
        &record.workspace,
        &record.steps,
        &images,
        &mut journal,
    )) {
        Ok(undone) => undone,
        Err(error) => return connection.report(global, &error),
    };
    let mut failed = 0;
    for u in &undone {
        let line = match (u.action, u.outcome) {
            (None, _) => format!(
                "{}: already as before the apply",
                u.resource.address(&u.key)
            ),
            (Some(action), Outcome::Ok) => {
                format!("{}: {}… ok", u.resource.address(&u.key), action.verb())
            }
            (Some(action), _) => {
                failed += 1;
                format!(
                    "{}: {}… failed: {}",
                    u.resource.address(&u.key),
                    action.verb(),
                    u.error.as_deref().unwrap_or("")
                )
            }
        };
        println!("{}", redactor.redact(&line));
    }
    if failed > 0 {
        eprintln!(
            "error: {failed} scene(s) could not be restored; fix the cause and run `ptsplan rollback {}` again",
            dir.display()
        );
        return Exit::Error;
    }
    println!("Rollback complete: every scene the apply touched is as it was before.");
    Exit::Ok
}
