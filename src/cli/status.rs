//! `ptsplan status [SCENE…]`: the run state of scenes — PTS scenes from
//! `GetPtsSceneRunningStatus`, JMeter scenes from `GetJMeterSceneRunningData` — the named
//! ones, or every scene of the plan's workspace (JMeter scenes too when the plan has any).

use std::io::Write;

use super::scene_ref::{Found, PlanArg, Session, jmeter_label, label};
use super::{Exit, GlobalArgs};
use crate::wire::{JMeterRunningData, Marker};

/// Arguments of `ptsplan status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenes to show: plan keys (of PTS or JMeter scenes; `scene.KEY` or
    /// `jmeter_scene.KEY` when both use a key), scene ids or scene names (default: every
    /// scene of the plan's workspace).
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
    let chosen: Vec<Found<'_>> = if args.scenes.is_empty() {
        let mut all: Vec<Found<'_>> = session
            .live
            .iter()
            .filter(|l| {
                Marker::of(&l.scene).is_some_and(|m| Some(m.workspace) == session.workspace)
            })
            .map(Found::Pts)
            .collect();
        if session.plans_jmeter {
            match session.owned_jmeter(global) {
                Ok(owned) => all.extend(owned.into_iter().map(Found::JMeter)),
                Err(code) => exit = code,
            }
        }
        all
    } else {
        args.scenes
            .iter()
            .filter_map(|name| match session.find_any(global, name) {
                Ok(scene) => Some(scene),
                Err(message) => {
                    if let Some(message) = message {
                        eprintln!("error: {message}");
                    }
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
        match scene {
            Found::Pts(scene) => {
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
            Found::JMeter(scene) => {
                let id = scene.scene.scene_id.clone().unwrap_or_default();
                match runtime.block_on(crate::run::jmeter::running_data(&connection.client, &id)) {
                    Ok(data) => out.push_str(&format!(
                        "{}: {}\n",
                        jmeter_label(scene),
                        jmeter_state(&data)
                    )),
                    Err(error) => exit = connection.report(global, &error),
                }
            }
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    exit
}

/// A JMeter scene's state in one line: `RUNNING (report R1, 5 threads, stage …)`, or
/// `STOPPED`; a debug run and an error are said.
fn jmeter_state(data: &JMeterRunningData) -> String {
    let status = data.status.clone().unwrap_or_else(|| "unknown".to_owned());
    let mut facts = Vec::new();
    if crate::run::jmeter::in_progress(data.status.as_deref()) {
        if let Some(report) = &data.report_id {
            facts.push(format!("report {report}"));
        }
        if let Some(threads) = data.concurrency {
            facts.push(format!("{threads} threads"));
        }
        if let Some(stage) = data.stage_name.as_deref().filter(|s| !s.is_empty()) {
            facts.push(format!("stage {stage}"));
        }
        if data.is_debugging == Some(true) {
            facts.push("debugging".to_owned());
        }
    }
    if data.has_error == Some(true) {
        facts.push(format!(
            "error: {}",
            data.error_message.as_deref().unwrap_or("(no message)")
        ));
    }
    if facts.is_empty() {
        status
    } else {
        format!("{status} ({})", facts.join(", "))
    }
}
