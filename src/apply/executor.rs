//! Sends an apply's steps through the client, journaling each before and after.
//!
//! Phases run one after the other (see [`super::order`]); within a phase, steps touch
//! different scenes and up to [`Context::parallelism`] of them are in flight at once. The
//! journal is written by one coordinator only: a step's intent is on disk before the step
//! is sent, its outcome as soon as it ends, so the journal is consistent at every instant
//! whatever the parallelism.
//!
//! A step whose answer was lost ([`ApiError::OutcomeUnknown`]) is never sent again: the live
//! state is read and the step is decided from it (a create is found by its marker key and
//! the fingerprint it was stamped with) before that scene's next step or the next phase.
//! The first step that fails stops the apply: nothing new is sent, the steps already in
//! flight are awaited and journaled. The report of what was done is returned either way,
//! because partial progress is what a rollback and a reviewer need.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::journal::{self, Journal, Outcome, Phase, Record};
use super::order::{Step, StepKind};
use super::{fingerprint, owned};
use crate::api::{ApiError, Client};
use crate::lower::{self, Lowered};
use crate::plan::Live;
use crate::wire::{
    self, Action as _, DeletePtsScene, GetPtsScene, MARKER_PARAM, Marker, SavePtsScene,
    SceneStatus, StartPtsScene, StopPtsScene,
};

/// How many steps of one phase are in flight at once when nothing else is said.
pub const DEFAULT_PARALLELISM: u16 = 4;

/// How many times a lost answer's resolution reads the live state before giving up.
const READ_ATTEMPTS: u32 = 5;

/// How long a stopped run may take to wind down before the update that follows gives up.
const STOP_WAIT: Duration = Duration::from_secs(300);

/// What the executor works on.
pub struct Context<'a> {
    pub client: &'a Client,
    /// The plan's workspace (the owner named in markers).
    pub workspace: &'a str,
    /// The lowered plan (desired scenes by key).
    pub desired: &'a [Lowered],
    /// The live state the plan was made from.
    pub live: &'a [Live],
    /// The desired and live JMeter environments and scenes.
    pub jmeter: &'a crate::plan::jmeter::State,
    /// Steps of one phase in flight at once (at least 1).
    pub parallelism: usize,
}

/// How one step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub step: Step,
    pub outcome: Outcome,
    /// The scene's id after the step (the new id of a created scene).
    pub scene_id: Option<String>,
    /// The answer was lost and the outcome was read from the live state.
    pub resolved_by_read: bool,
    /// For a save that took effect: the fingerprint of the view sent (checked by [`verify`]).
    pub applied_fingerprint: Option<String>,
    /// The service's request id of an error answer.
    pub request_id: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

impl Done {
    /// How `step` ended, with nothing read back, learned or stamped yet.
    pub(super) fn of(
        step: &Step,
        outcome: Outcome,
        scene_id: Option<String>,
        error: Option<String>,
    ) -> Done {
        Done {
            step: step.clone(),
            outcome,
            scene_id,
            resolved_by_read: false,
            applied_fingerprint: None,
            request_id: None,
            error,
        }
    }
}

/// What the executor reports to its observer (progress on the terminal, counters).
#[derive(Debug)]
pub enum Event<'a> {
    /// A step is about to be sent (its intent is journaled).
    Before(&'a Step),
    /// A step ended (its outcome is journaled).
    After(&'a Done),
}

/// Everything that happened, in the order steps ended. Returned on failure too.
#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<Done>,
    /// Why the apply stopped early: a failed or unknown step, or a journal that cannot be
    /// written (then nothing more is sent).
    pub stopped: Option<String>,
}

/// Runs `steps` phase by phase, appending to `journal`, until one fails.
pub async fn execute(
    cx: &Context<'_>,
    steps: &[Step],
    journal: &mut Journal,
    observe: &mut dyn FnMut(Event<'_>),
) -> Report {
    let mut report = Report::default();
    // Ids learned during the apply (created scenes), by address, for later phases.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut rest = steps;
    while let Some(first) = rest.first() {
        let len = rest
            .iter()
            .take_while(|s| s.phase() == first.phase())
            .count();
        let (phase, later) = rest.split_at(len);
        run_phase(cx, phase, &mut ids, journal, observe, &mut report).await;
        if report.stopped.is_some() {
            break;
        }
        rest = later;
    }
    report
}

/// Runs the steps of one phase, up to `cx.parallelism` at once; records into `report`.
async fn run_phase(
    cx: &Context<'_>,
    steps: &[Step],
    ids: &mut BTreeMap<String, String>,
    journal: &mut Journal,
    observe: &mut dyn FnMut(Event<'_>),
    report: &mut Report,
) {
    let mut pending = steps.iter();
    let mut in_flight = FuturesUnordered::new();
    loop {
        while report.stopped.is_none() && in_flight.len() < cx.parallelism.max(1) {
            let Some(step) = pending.next() else { break };
            let scene_id = step
                .scene_id
                .clone()
                .or_else(|| ids.get(&step.address()).cloned());
            let intent = Record::Intent {
                phase: Phase::Apply,
                step: step.number,
                action: step.kind,
                resource: step.resource,
                key: step.key.clone(),
                scene_id: scene_id.clone(),
                before_fingerprint: step.before_fingerprint.clone(),
                at: journal::now(),
            };
            if let Err(error) = journal.append(&intent) {
                report.stopped = Some(format!(
                    "cannot write the journal, step {} was not sent: {error}",
                    step.number
                ));
                break;
            }
            observe(Event::Before(step));
            // Environments are saved in an earlier phase than the scenes naming them.
            let env_ids = ids.clone();
            in_flight.push(async move {
                if step.resource.is_scene() {
                    run_step(cx, step, scene_id).await
                } else {
                    super::jmeter::run_step(cx, step, scene_id, &env_ids).await
                }
            });
        }
        let Some(done) = in_flight.next().await else {
            return;
        };
        let outcome = Record::Outcome {
            phase: Phase::Apply,
            step: done.step.number,
            outcome: done.outcome,
            request_id: done.request_id.clone(),
            scene_id: done.scene_id.clone(),
            resolved_by_read: done.resolved_by_read,
            error: done.error.clone(),
            at: journal::now(),
        };
        let written = journal.append(&outcome);
        observe(Event::After(&done));
        if let Some(id) = &done.scene_id {
            ids.insert(done.step.address(), id.clone());
        }
        let failed = done.outcome != Outcome::Ok;
        let (number, kind, key) = (done.step.number, done.step.kind, done.step.key.clone());
        report.done.push(done);
        if report.stopped.is_some() {
            continue;
        }
        if let Err(error) = written {
            report.stopped = Some(format!(
                "cannot write the journal after step {number}: {error}"
            ));
        } else if failed {
            report.stopped = Some(format!("step {number} ({} `{key}`) failed", kind.verb()));
        }
    }
}

/// Reads the live state after an apply and compares every scene it saved with what was
/// sent. After Terraform: a backend that stores something other than what it was given is
/// reported as an inconsistency, never ignored. Returns one line per inconsistent scene.
pub async fn verify(cx: &Context<'_>, done: &[Done]) -> Result<Vec<String>, ApiError> {
    let live = crate::live::read_all(cx.client).await?;
    let mut lines = super::jmeter::verify(cx, done).await?;
    lines.extend(
        done.iter()
            .filter(|d| d.step.resource.is_scene())
            .filter_map(|d| {
                let applied = d.applied_fingerprint.as_deref()?;
                let key = &d.step.key;
                match owned(&live, cx.workspace, key).map(|l| fingerprint(&l.scene)) {
                    Some(read) if read == applied => None,
                    Some(read) => Some(format!(
                        "scene.{key}: saved with fingerprint {applied}, read back as {read}"
                    )),
                    None => Some(format!("scene.{key}: saved, but not found when read back")),
                }
            }),
    );
    Ok(lines)
}

/// Sends one step and decides its outcome.
async fn run_step(cx: &Context<'_>, step: &Step, scene_id: Option<String>) -> Done {
    let done = |outcome, scene_id, error| Done::of(step, outcome, scene_id, error);
    // What the scene looks like once the step took effect, for reading back a lost answer.
    let mut applied_fingerprint = None;
    let answer: Result<Option<String>, ApiError> = match step.kind {
        StepKind::Create | StepKind::Update => {
            let Some(scene) = desired_scene(cx, step) else {
                return done(
                    Outcome::Failed,
                    scene_id,
                    Some(format!("`{}` is not in the lowered plan", step.key)),
                );
            };
            let (scene, fingerprint) = stamped(scene);
            applied_fingerprint = Some(fingerprint);
            cx.client
                .call(&SavePtsScene { scene })
                .await
                .map(|answer| answer.scene_id.or(scene_id.clone()))
        }
        StepKind::Stop | StepKind::Delete | StepKind::Start => {
            let Some(id) = scene_id.clone() else {
                return done(
                    Outcome::Failed,
                    None,
                    Some(format!("`{}` has no scene id", step.key)),
                );
            };
            let sent = match step.kind {
                StepKind::Stop => stop_and_wait(cx.client, &id).await,
                StepKind::Delete => cx
                    .client
                    .call(&DeletePtsScene {
                        scene_id: id.clone(),
                    })
                    .await
                    .map(drop),
                _ => cx
                    .client
                    .call(&StartPtsScene {
                        scene_id: id.clone(),
                    })
                    .await
                    .map(drop),
            };
            sent.map(|()| (step.kind != StepKind::Delete).then_some(id))
        }
    };
    match answer {
        Ok(id) => Done {
            applied_fingerprint,
            ..done(Outcome::Ok, id, None)
        },
        Err(error @ ApiError::OutcomeUnknown { .. }) => {
            resolve(cx, step, scene_id, applied_fingerprint, &error).await
        }
        Err(error) => Done {
            request_id: match &error {
                ApiError::Api { request_id, .. } => request_id.clone(),
                _ => None,
            },
            ..done(Outcome::Failed, scene_id, Some(error.to_string()))
        },
    }
}

/// Stops the run of scene `id` and waits until the scene no longer runs. A load run is
/// stopped with `StopPtsScene`; a debug run (which PTS stops only by a plan id apply does
/// not know) passes each chain once and ends by itself, so it is only waited for; a scene
/// that no longer runs needs nothing.
async fn stop_and_wait(client: &Client, id: &str) -> Result<(), ApiError> {
    if status_of(client, id).await? == Some(SceneStatus::Running) {
        client
            .call(&StopPtsScene {
                scene_id: id.to_owned(),
            })
            .await?;
    }
    wait_until_stopped(client, id).await
}

/// The status of scene `id`, read with `GetPtsScene`.
async fn status_of(client: &Client, id: &str) -> Result<Option<SceneStatus>, ApiError> {
    let answer = client
        .call(&GetPtsScene {
            scene_id: id.to_owned(),
        })
        .await?;
    Ok(answer.scene.and_then(|scene| scene.status))
}

/// Waits until the scene `id` no longer runs: PTS stops a run asynchronously, and a
/// running scene cannot be saved. Polls `GetPtsScene`, backing off to 5 s, up to
/// [`STOP_WAIT`]; a scene still running then is an error (the update is not sent).
async fn wait_until_stopped(client: &Client, id: &str) -> Result<(), ApiError> {
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        let status = status_of(client, id).await?;
        if !matches!(status, Some(SceneStatus::Running | SceneStatus::Debugging)) {
            return Ok(());
        }
        if started.elapsed() >= STOP_WAIT {
            return Err(ApiError::Interrupted {
                action: GetPtsScene::ACTION,
                cause: format!(
                    "scene {id} still runs {} s after StopPtsScene",
                    STOP_WAIT.as_secs()
                ),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// Decides a step whose answer was lost by reading the live state (never by resending).
async fn resolve(
    cx: &Context<'_>,
    step: &Step,
    scene_id: Option<String>,
    applied_fingerprint: Option<String>,
    lost: &ApiError,
) -> Done {
    let mut done = Done {
        step: step.clone(),
        outcome: Outcome::Unknown,
        scene_id,
        resolved_by_read: true,
        applied_fingerprint: None,
        request_id: None,
        error: Some(lost.to_string()),
    };
    let live = match read_settled(cx.client).await {
        Ok(live) => live,
        Err(error) => {
            done.resolved_by_read = false;
            done.error = Some(format!(
                "{lost}; reading the live state to resolve it failed: {error}"
            ));
            return done;
        }
    };
    let found = owned(&live, cx.workspace, &step.key);
    let took_effect = match step.kind {
        StepKind::Create | StepKind::Update => found.is_some_and(|l| {
            applied_fingerprint.as_deref() == Some(fingerprint(&l.scene).as_str())
        }),
        StepKind::Delete => found.is_none(),
        StepKind::Stop => found.is_some_and(|l| !l.running),
        StepKind::Start => found.is_some_and(|l| l.running),
    };
    if took_effect {
        done.outcome = Outcome::Ok;
        done.error = None;
        done.applied_fingerprint = applied_fingerprint;
        if let Some(l) = found {
            done.scene_id = l.scene.scene_id.clone();
        }
    } else {
        done.outcome = Outcome::Failed;
        done.error = Some(format!(
            "{lost}; the live state shows it did not take effect (it is not sent again)"
        ));
    }
    done
}

/// The live state, read again (up to [`READ_ATTEMPTS`] times, backing off) when a read
/// fails: other steps of the phase may still be in flight, and a scene deleted between the
/// listing and its `GetPtsScene` makes one read fail. Reads are harmless to repeat.
async fn read_settled(client: &Client) -> Result<Vec<Live>, ApiError> {
    settled(|| crate::live::read_all(client)).await
}

/// `read()`'s answer, asked again (up to [`READ_ATTEMPTS`] times, backing off from 100 ms)
/// while it fails; for reads only, which are harmless to repeat.
pub(super) async fn settled<T, F, Fut>(mut read: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut pause = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match read().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt >= READ_ATTEMPTS => return Err(error),
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
        }
    }
}

/// The desired scene of a create or update step, with the live ids for an update.
fn desired_scene(cx: &Context<'_>, step: &Step) -> Option<wire::Scene> {
    let mut scene = cx.desired.iter().find(|d| d.key == step.key)?.scene.clone();
    if step.kind == StepKind::Update {
        let live = owned(cx.live, cx.workspace, &step.key)?;
        lower::attach_ids(&mut scene, &live.scene);
    }
    Some(scene)
}

/// `scene` with its marker stamped with the fingerprint of its view, and that fingerprint.
/// The view leaves the marker's fingerprint out, so stamping does not change it; a later
/// plan compares the live view with it to detect changes made outside ptsplan.
pub(super) fn stamped(mut scene: wire::Scene) -> (wire::Scene, String) {
    let applied = fingerprint(&scene);
    if let Some(mut marker) = Marker::of(&scene) {
        marker.fingerprint = Some(applied.clone());
        let parameter = marker.to_parameter();
        for p in &mut scene.global_parameter_list {
            if p.param_name.as_deref() == Some(MARKER_PARAM) {
                *p = parameter.clone();
            }
        }
    }
    (scene, applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamping_records_the_view_fingerprint_without_changing_the_view() {
        let marker = Marker {
            v: 1,
            workspace: "w".into(),
            key: "k".into(),
            ..Marker::default()
        };
        let scene = wire::Scene {
            scene_name: Some("s".into()),
            global_parameter_list: vec![marker.to_parameter()],
            ..wire::Scene::default()
        };
        let (stamped_scene, applied) = stamped(scene.clone());
        assert_eq!(fingerprint(&stamped_scene), fingerprint(&scene));
        assert_eq!(
            Marker::of(&stamped_scene).and_then(|m| m.fingerprint),
            Some(applied)
        );
    }
}
