//! `ptsplan run KEY` for JMeter scenes (`jmeter_scenes` of the plan): starts the scene with
//! `StartTestingJMeterScene` and prints the run's report id.
//!
//! The scene must be on the backend as planned (`apply` first). A backend that cannot run
//! JMeter — the local backend — answers `JMeterNotSupported`, printed with what to do
//! instead; the command then exits 1 without waiting for anything.

use super::plan::Prepared;
use super::{Exit, GlobalArgs};
use crate::wire::StartTestingJMeterScene;

/// Whether every key of `keys` names a JMeter scene of the plan (and at least one does).
pub(super) fn all_jmeter(prepared: &Prepared, keys: &[String]) -> bool {
    !keys.is_empty()
        && keys
            .iter()
            .all(|key| prepared.jmeter.desired_scenes.iter().any(|d| &d.key == key))
}

/// Whether some key of `keys` names a JMeter scene of the plan.
pub(super) fn any_jmeter(prepared: &Prepared, keys: &[String]) -> bool {
    keys.iter()
        .any(|key| prepared.jmeter.desired_scenes.iter().any(|d| &d.key == key))
}

/// Starts the JMeter scenes `keys`, one after the other; stops at the first failure.
pub(super) fn run(global: &GlobalArgs, prepared: &Prepared, keys: &[String]) -> Exit {
    for key in keys {
        let address = crate::plan::Kind::JMeterScene.address(key);
        let Some(live) = prepared.jmeter.owned_scene(&prepared.workspace, key) else {
            eprintln!(
                "error: {address} is not on the backend yet; create it with `ptsplan apply` first"
            );
            return Exit::Error;
        };
        let Some(scene_id) = live.scene.scene_id.clone() else {
            eprintln!("error: {address} has no scene id on the backend");
            return Exit::Error;
        };
        if live.running {
            eprintln!("error: {address} is already running; wait for it to end");
            return Exit::Error;
        }
        let changed = prepared.proposal.scenes.iter().any(|c| {
            c.kind == crate::plan::Kind::JMeterScene && &c.key == key && !c.changes.is_empty()
        });
        if changed {
            eprintln!(
                "warning: {address} on the backend differs from the plan; it runs as it is on the backend (apply first to run the plan)"
            );
        }
        let started =
            prepared
                .runtime
                .block_on(prepared.connection.client.call(&StartTestingJMeterScene {
                    scene_id: scene_id.clone(),
                }));
        match started {
            Ok(answer) => println!(
                "{address} started on the backend (scene {scene_id}, report {}); follow it in the PTS console",
                answer.report_id.as_deref().unwrap_or("?")
            ),
            Err(error) => {
                eprintln!("error: {address} (scene {scene_id}) cannot be started:");
                return prepared.connection.report(global, &error);
            }
        }
    }
    Exit::Ok
}
