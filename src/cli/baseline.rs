//! `ptsplan baseline set SCENE REPORT_ID` (`CreatePtsSceneBaseLineFromReport`) and
//! `ptsplan baseline show SCENE` (`GetPtsSceneBaseLine`): the yardstick `run` compares
//! each report with (docs/runs.md, "Baselines").

use std::io::Write;

use super::scene_ref::{PlanArg, Session, label};
use super::{Exit, GlobalArgs};
use crate::wire::CreatePtsSceneBaseLineFromReport;

/// Arguments of `ptsplan baseline`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: BaselineCommand,
    #[command(flatten)]
    pub plan: PlanArg,
}

/// The `baseline` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum BaselineCommand {
    /// Make a report the scene's baseline.
    Set {
        /// The scene: plan key, scene id or scene name.
        scene: String,
        /// The report (a run's plan id, as `ptsplan run` prints it).
        report: String,
    },
    /// Show the scene's baseline.
    Show {
        /// The scene: plan key, scene id or scene name.
        scene: String,
    },
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let session = match Session::open(global, &args.plan) {
        Ok(session) => session,
        Err(exit) => return exit,
    };
    let (connection, runtime) = (&session.connection, &session.runtime);
    let name = match &args.command {
        BaselineCommand::Set { scene, .. } | BaselineCommand::Show { scene } => scene,
    };
    let scene = match session.find(name) {
        Ok(scene) => scene,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Error;
        }
    };
    let scene_id = scene.scene.scene_id.clone().unwrap_or_default();
    match args.command {
        BaselineCommand::Set { report, .. } => {
            let request = CreatePtsSceneBaseLineFromReport {
                report_id: report.clone(),
                scene_id,
            };
            match runtime.block_on(connection.client.call(&request)) {
                Ok(_) => {
                    println!("{}: baseline set from report {report}", label(scene));
                    Exit::Ok
                }
                Err(error) => connection.report(global, &error),
            }
        }
        BaselineCommand::Show { .. } => {
            match runtime.block_on(crate::run::baseline(&connection.client, &scene_id)) {
                Some(baseline) => {
                    let mut text = serde_json::to_string_pretty(&baseline).unwrap_or_default();
                    text.push('\n');
                    let _ = std::io::stdout().write_all(text.as_bytes());
                    Exit::Ok
                }
                None => {
                    println!("{}: no baseline", label(scene));
                    Exit::Ok
                }
            }
        }
    }
}
