//! `ptsplan stop SCENE…`: stops running load tests — PTS scenes with `StopPtsScene`, JMeter
//! scenes with `StopTestingJMeterScene` — and waits until the backend says they stopped.

use super::scene_ref::{Found, PlanArg, Session, jmeter_label, label};
use super::{Exit, GlobalArgs};

/// Arguments of `ptsplan stop`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenes to stop: plan keys (of PTS or JMeter scenes; `scene.KEY` or
    /// `jmeter_scene.KEY` when both use a key), scene ids or scene names.
    #[arg(value_name = "SCENE", required = true)]
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
    for name in &args.scenes {
        let found = match session.find_any(global, name) {
            Ok(found) => found,
            Err(message) => {
                if let Some(message) = message {
                    eprintln!("error: {message}");
                }
                exit = Exit::Error;
                continue;
            }
        };
        let (shown, id) = match found {
            Found::Pts(scene) => (label(scene), scene.scene.scene_id.clone()),
            Found::JMeter(scene) => (jmeter_label(scene), scene.scene.scene_id.clone()),
        };
        let id = id.unwrap_or_default();
        let client = &connection.client;
        // Whether it runs: the PTS listing's state, the JMeter scene's running data.
        let running = match found {
            Found::Pts(scene) => Ok(scene.running),
            Found::JMeter(_) => runtime
                .block_on(crate::run::jmeter::running_data(client, &id))
                .map(|data| crate::run::jmeter::in_progress(data.status.as_deref())),
        };
        let stopped = match running {
            Ok(false) => {
                println!("{shown}: not running");
                continue;
            }
            Ok(true) => match found {
                Found::Pts(_) => runtime.block_on(crate::run::follow::stop(client, &id)),
                Found::JMeter(_) => runtime.block_on(crate::run::jmeter::stop(client, &id)),
            },
            Err(error) => Err(error),
        };
        match stopped {
            Ok(true) => println!("{shown}: stopped"),
            Ok(false) => {
                eprintln!("error: {shown}: asked to stop, but still not stopped after a minute");
                exit = Exit::Error;
            }
            Err(error) => exit = connection.report(global, &error),
        }
    }
    exit
}
