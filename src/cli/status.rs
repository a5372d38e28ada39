//! `ptsplan status [SCENE…]`: the run state of scenes (`GetPtsSceneRunningStatus`): the
//! named ones, or every scene of the plan's workspace.

use std::io::Write;

use super::scene_ref::{PlanArg, Session, label};
use super::{Exit, GlobalArgs};
use crate::plan::Live;
use crate::wire::Marker;

/// Arguments of `ptsplan status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenes to show: plan keys, scene ids or scene names (default: every scene of the
    /// plan's workspace).
    #[arg(value_name = "SCENE")]
    pub scenes: Vec<String>,
    #[command(flatten)]
    pub plan: PlanArg,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let session = match Session::open(global, &args.plan) {
        Ok(session) => session,
        Err(exit) => return exit,
    };
    let (connection, runtime) = (&session.connection, &session.runtime);
    let mut exit = Exit::Ok;
    let chosen: Vec<&Live> = if args.scenes.is_empty() {
        session
            .live
            .iter()
            .filter(|l| {
                Marker::of(&l.scene).is_some_and(|m| Some(m.workspace) == session.workspace)
            })
            .collect()
    } else {
        args.scenes
            .iter()
            .filter_map(|name| match session.find(name) {
                Ok(scene) => Some(scene),
                Err(message) => {
                    eprintln!("error: {message}");
                    exit = Exit::Error;
                    None
                }
            })
            .collect()
    };
    if chosen.is_empty() && args.scenes.is_empty() {
        eprintln!(
            "no scene of workspace `{}` on the backend",
            session.workspace.as_deref().unwrap_or("(no plan found)")
        );
    }
    let mut out = String::new();
    for scene in chosen {
        let id = scene.scene.scene_id.clone().unwrap_or_default();
        match runtime.block_on(crate::run::follow::status(&connection.client, &id)) {
            Ok(status) => {
                let status = status.map_or_else(|| "unknown".to_owned(), |s| s.to_string());
                let note = if scene.running && status != "RUNNING" {
                    " (debugging)"
                } else {
                    ""
                };
                out.push_str(&format!("{}: {status}{note}\n", label(scene)));
            }
            Err(error) => exit = connection.report(global, &error),
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    exit
}
