//! `ptsplan stop SCENE…`: stops running load tests (`StopPtsScene`) and waits until the
//! backend says they stopped.

use super::scene_ref::{PlanArg, Session, label};
use super::{Exit, GlobalArgs};

/// Arguments of `ptsplan stop`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenes to stop: plan keys, scene ids or scene names.
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
        let scene = match session.find(name) {
            Ok(scene) => scene,
            Err(message) => {
                eprintln!("error: {message}");
                exit = Exit::Error;
                continue;
            }
        };
        if !scene.running {
            println!("{}: not running", label(scene));
            continue;
        }
        let id = scene.scene.scene_id.clone().unwrap_or_default();
        match runtime.block_on(crate::run::follow::stop(&connection.client, &id)) {
            Ok(true) => println!("{}: stopped", label(scene)),
            Ok(false) => {
                eprintln!(
                    "error: {}: asked to stop, but still not stopped after a minute",
                    label(scene)
                );
                exit = Exit::Error;
            }
            Err(error) => exit = connection.report(global, &error),
        }
    }
    exit
}
