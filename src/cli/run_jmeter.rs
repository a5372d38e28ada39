//! `ptsplan run KEY…` for JMeter scenes (`jmeter_scenes` of the plan), and their runs after
//! `apply --run`: started, followed with progress lines, stopped remotely on Ctrl-C, and
//! reported like PTS scenes — the same report model, renderings, thresholds verdict,
//! evidence bundle and exit codes ([`super::run`]), through [`crate::run::jmeter`].
//!
//! The scene must be on the backend as planned (`apply` first). A scene on the backend that
//! differs from the plan runs as it is there, with a warning. Scoped thresholds name the
//! thread groups and samplers of the plan's script (else of the script read back).

use super::plan::Prepared;
use super::run::{
    Progress, Ran, RunFlags, SceneResult, create_bundle, ctrl_c, finish, finished_result, options,
    until_set,
};
use super::{Exit, GlobalArgs};
use crate::api::ApiError;
use crate::evidence::Bundle;
use crate::plan::Kind;
use crate::redact::Redactor;
use crate::run::jmeter::{Evidence, Target};
use crate::run::{Event, Outcome};

/// Error log lines printed on the terminal (all of them are in the bundle).
const SHOWN_LOG_LINES: usize = 5;

/// Whether every key of `keys` names a JMeter scene of the plan (and at least one does).
pub(super) fn all_jmeter(prepared: &Prepared, keys: &[String]) -> bool {
    !keys.is_empty()
        && keys
            .iter()
            .all(|key| prepared.plan.jmeter_scenes.contains_key(key))
}

/// Whether some key of `keys` names a JMeter scene of the plan.
pub(super) fn any_jmeter(prepared: &Prepared, keys: &[String]) -> bool {
    keys.iter()
        .any(|key| prepared.plan.jmeter_scenes.contains_key(key))
}

/// `ptsplan run KEY…` where every key is a JMeter scene: with `detach`, starts them and
/// prints their report ids; otherwise runs them one after the other into a new evidence
/// bundle under `evidence_dir`.
pub(super) fn run(
    global: &GlobalArgs,
    prepared: &Prepared,
    keys: &[String],
    detach: bool,
    flags: &RunFlags,
    evidence_dir: Option<&std::path::Path>,
) -> Exit {
    let targets = match targets(prepared, &prepared.jmeter, keys, true) {
        Ok(targets) => targets,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Error;
        }
    };
    if detach {
        return self::detach(global, prepared, &targets, flags);
    }
    let bundle = match create_bundle(prepared, evidence_dir) {
        Ok(bundle) => bundle,
        Err(exit) => return exit,
    };
    let meta = super::apply::meta(prepared, crate::apply::journal::now());
    if let Err(error) = bundle.write_json("meta.json", &meta) {
        eprintln!("warning: cannot write the evidence bundle: {error}");
    }
    run_targets(prepared, bundle, &targets, flags, meta, global)
}

/// After a successful `apply --run`: the JMeter scenes `keys` the plan marked to run, read
/// back first (new scenes have new ids); the error is printed.
pub(super) fn targets_after_apply(
    global: &GlobalArgs,
    prepared: &Prepared,
    keys: &[String],
) -> Result<Vec<Target>, Exit> {
    let known = prepared.jmeter.known_scripts();
    let read = prepared.runtime.block_on(crate::live::read_jmeter(
        &prepared.connection.client,
        None,
        &known,
    ));
    let state = match read {
        Ok((live_envs, live_scenes)) => crate::plan::jmeter::State {
            desired_scenes: prepared.jmeter.desired_scenes.clone(),
            live_envs,
            live_scenes,
            ..crate::plan::jmeter::State::default()
        },
        Err(error) => return Err(prepared.connection.report(global, &error)),
    };
    targets(prepared, &state, keys, false).map_err(|message| {
        eprintln!("error: {message}");
        Exit::Error
    })
}

/// The JMeter scenes of `state` to run, by plan key, with their thresholds and script
/// layout. Refuses scenes never applied and scenes already running; with `planned_against`
/// (`state` is what the plan was made from) warns about scenes that differ from the plan.
fn targets(
    prepared: &Prepared,
    state: &crate::plan::jmeter::State,
    keys: &[String],
    planned_against: bool,
) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for key in keys {
        let address = Kind::JMeterScene.address(key);
        let spec = prepared
            .plan
            .jmeter_scenes
            .get(key)
            .ok_or_else(|| format!("the plan has no JMeter scene `{key}`"))?;
        let live = state.owned_scene(&prepared.workspace, key).ok_or_else(|| {
            format!("{address} is not on the backend yet; create it with `ptsplan apply` first")
        })?;
        if live.scene.scene_id.is_none() {
            return Err(format!("{address} has no scene id on the backend"));
        }
        if live.running {
            return Err(format!(
                "{address} is already running; wait for it or `ptsplan stop {key}`"
            ));
        }
        let changed = prepared
            .proposal
            .scenes
            .iter()
            .any(|c| c.kind == Kind::JMeterScene && &c.key == key && !c.changes.is_empty());
        if planned_against && changed {
            eprintln!(
                "warning: {address} on the backend differs from the plan; running it as it is on \
                 the backend — `ptsplan apply` first to run the plan's version"
            );
        }
        let script = state
            .desired_scenes
            .iter()
            .find(|d| &d.key == key)
            .and_then(|d| d.jmx.as_ref().map(|j| j.text.as_str()))
            .or(live.jmx.as_deref());
        out.push(Target {
            key: key.clone(),
            scene: live.scene.clone(),
            thresholds: spec.thresholds.clone().unwrap_or_default(),
            groups: script
                .and_then(crate::spec::jmx::layout)
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// `--detach`: starts each scene and prints its report id.
fn detach(global: &GlobalArgs, prepared: &Prepared, targets: &[Target], flags: &RunFlags) -> Exit {
    let options = options(flags, true);
    for target in targets {
        let outcome = one(global, prepared, target, &options, std::future::pending());
        match outcome {
            Ok(Outcome::Detached { plan_id }) => {
                println!("{plan_id}");
                if !global.quiet {
                    eprintln!(
                        "{} started, report id {plan_id}; `ptsplan status {}` shows it, \
                         `ptsplan stop {}` stops it",
                        Kind::JMeterScene.address(&target.key),
                        target.key,
                        target.key
                    );
                }
            }
            Ok(_) => {}
            Err(error) => return prepared.connection.report(global, &error),
        }
    }
    Exit::Ok
}

/// Runs one JMeter scene with its progress display.
fn one(
    global: &GlobalArgs,
    prepared: &Prepared,
    target: &Target,
    options: &crate::run::Options,
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<Outcome, ApiError> {
    let planned = target.planned().map(|d| d.as_secs_f64());
    let mut progress = Progress::labelled(global, Kind::JMeterScene, &target.key, planned);
    let outcome = prepared.runtime.block_on(crate::run::jmeter::run_scene(
        &prepared.connection.client,
        target,
        options,
        &mut |event: Event<'_>| progress.event(event),
        interrupt,
    ));
    progress.finish();
    outcome
}

/// Runs every target in turn, writes their evidence into the bundle, prints the reports,
/// decides the exit code; Ctrl-C stops the current scene remotely and skips the rest.
fn run_targets(
    prepared: &Prepared,
    bundle: Bundle,
    targets: &[Target],
    flags: &RunFlags,
    meta: crate::evidence::Meta,
    global: &GlobalArgs,
) -> Exit {
    let (rx, _listener) = ctrl_c(prepared);
    let mut results = Vec::new();
    let interrupted = run_each(global, prepared, &bundle, targets, flags, &rx, &mut results);
    finish(
        &bundle,
        &results,
        interrupted,
        flags,
        meta,
        &prepared.redactor,
    )
}

/// Runs `targets` one after the other (until Ctrl-C sets `rx`), writing their evidence into
/// `bundle` and adding their results to `results`; whether it was interrupted.
pub(super) fn run_each(
    global: &GlobalArgs,
    prepared: &Prepared,
    bundle: &Bundle,
    targets: &[Target],
    flags: &RunFlags,
    rx: &tokio::sync::watch::Receiver<bool>,
    results: &mut Vec<Ran>,
) -> bool {
    let options = options(flags, false);
    let redactor = &prepared.redactor;
    for target in targets {
        if *rx.borrow() {
            return true;
        }
        let address = Kind::JMeterScene.address(&target.key);
        let dir = format!("reports/{}", target.key);
        let mut interrupted = false;
        let result = match one(global, prepared, target, &options, until_set(rx)) {
            Err(error) => {
                eprintln!(
                    "error: {address} (scene {}) did not run:",
                    target.scene_id()
                );
                prepared.connection.report(global, &error);
                SceneResult::NotJudged {
                    stage: "run",
                    message: redactor.redact(&error.to_string()),
                }
            }
            Ok(Outcome::Finished(finished)) => {
                interrupted = finished.interrupted;
                if let Some(evidence) = &finished.jmeter {
                    show_errors(&address, &dir, evidence, redactor, global.quiet);
                }
                finished_result(bundle, &dir, &address, &target.key, &finished, redactor)
            }
            // Neither a detached start nor a debug run happens here.
            Ok(_) => continue,
        };
        results.push((Kind::JMeterScene, target.key.clone(), result));
        if interrupted {
            return true;
        }
    }
    false
}

/// The run's error and the first engine error lines on stderr.
fn show_errors(address: &str, dir: &str, evidence: &Evidence, redactor: &Redactor, quiet: bool) {
    if let Some(error) = &evidence.run_error {
        eprintln!(
            "error: {address}: the run failed on the backend: {}",
            redactor.redact(error)
        );
    }
    if !evidence.error_log.is_empty() && !quiet {
        eprintln!(
            "{address}: {} engine error line(s) ({dir}/errors.log in the bundle has them all):",
            evidence.error_log.len()
        );
        for line in evidence.error_log.iter().take(SHOWN_LOG_LINES) {
            eprintln!("  {}", redactor.redact(line));
        }
    }
    for note in &evidence.notes {
        eprintln!("warning: {address}: {}", redactor.redact(note));
    }
}
