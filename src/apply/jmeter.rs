//! The steps of an apply on JMeter environments and JMeter scenes: `SaveEnv`/`RemoveEnv`,
//! `SaveOpenJMeterScene`/`RemoveOpenJMeterScene`, `StopTestingJMeterScene`.
//!
//! Journaled and ordered like the steps on PTS scenes (the executor calls [`run_step`]); a
//! saved environment or scene carries its marker property stamped with the fingerprint of
//! its view, as PTS scenes do. A JMeter scene is saved with the id of its environment: the
//! one created or adopted earlier in this apply, else the live one the workspace owns.
//!
//! A step whose answer was lost is never sent again: as for PTS scenes, the environments
//! and JMeter scenes are read back and the step decided from them ([`resolve`]) — a save
//! took effect when the thing its marker names has the fingerprint it was stamped with, a
//! deletion when it is gone, a stop when the scene no longer runs.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::executor::{Context, Done};
use super::journal::Outcome;
use super::order::{Step, StepKind};
use crate::api::ApiError;
use crate::plan::Kind;
use crate::plan::jmeter::{self, State};
use crate::plan::view::fingerprint;
use crate::wire::{
    self, ListOpenJMeterScenes, MARKER_PARAM, Marker, RemoveEnv, RemoveOpenJMeterScene, SaveEnv,
    SaveOpenJMeterScene, StopTestingJMeterScene,
};

/// How long a stopped JMeter run may take to wind down before the update gives up.
const STOP_WAIT: Duration = Duration::from_secs(300);

/// Sends one step on an environment or a JMeter scene. `ids` holds the ids learned so far
/// in this apply, by address.
pub(super) async fn run_step(
    cx: &Context<'_>,
    step: &Step,
    id: Option<String>,
    ids: &BTreeMap<String, String>,
) -> Done {
    let done = |outcome, scene_id, error| Done::of(step, outcome, scene_id, error);
    let mut applied = None;
    let answer: Result<Option<String>, ApiError> = match (step.resource, step.kind) {
        (Kind::Environment, StepKind::Create | StepKind::Update) => {
            let Some(desired) = cx.jmeter.desired_envs.iter().find(|d| d.key == step.key) else {
                return done(Outcome::Failed, id, Some(not_planned(step)));
            };
            let mut env = desired.env.clone();
            let stamp = fingerprint(&jmeter::env_view(&env));
            stamp_marker(&mut env.properties, &stamp);
            env.env_id = id.clone().filter(|_| step.kind == StepKind::Update);
            applied = Some(stamp);
            cx.client
                .call(&SaveEnv { env })
                .await
                .map(|answer| answer.env_id.or(id.clone()))
        }
        (Kind::JMeterScene, StepKind::Create | StepKind::Update) => {
            let Some(desired) = cx.jmeter.desired_scenes.iter().find(|d| d.key == step.key) else {
                return done(Outcome::Failed, id, Some(not_planned(step)));
            };
            let mut scene = desired.scene.clone();
            if let Some(env_key) = &desired.environment {
                let Some(env_id) = env_id(cx.jmeter, cx.workspace, env_key, ids) else {
                    return done(
                        Outcome::Failed,
                        id,
                        Some(format!(
                            "{} uses environment `{env_key}`, which is not on the backend",
                            step.address()
                        )),
                    );
                };
                scene.environment_id = Some(env_id);
            }
            let stamp = fingerprint(&jmeter::desired_scene_view(desired));
            stamp_marker(&mut scene.j_meter_properties, &stamp);
            scene.scene_id = id.clone().filter(|_| step.kind == StepKind::Update);
            applied = Some(stamp);
            cx.client
                .call(&SaveOpenJMeterScene {
                    open_j_meter_scene: scene,
                })
                .await
                .map(|answer| answer.scene_id.or(id.clone()))
        }
        (resource, kind) => {
            let Some(scene_id) = id.clone() else {
                return done(
                    Outcome::Failed,
                    None,
                    Some(format!("`{}` has no id", step.address())),
                );
            };
            let sent = match (resource, kind) {
                (Kind::Environment, StepKind::Delete) => cx
                    .client
                    .call(&RemoveEnv { env_id: scene_id })
                    .await
                    .map(drop),
                (Kind::JMeterScene, StepKind::Delete) => cx
                    .client
                    .call(&RemoveOpenJMeterScene { scene_id })
                    .await
                    .map(drop),
                (Kind::JMeterScene, StepKind::Stop) => stop_and_wait(cx, &scene_id).await,
                _ => {
                    return done(
                        Outcome::Failed,
                        id,
                        Some(format!(
                            "{} cannot be done by apply on {}",
                            kind.verb(),
                            step.address()
                        )),
                    );
                }
            };
            sent.map(|()| id.clone().filter(|_| kind != StepKind::Delete))
        }
    };
    match answer {
        Ok(new_id) => Done {
            applied_fingerprint: applied,
            ..done(Outcome::Ok, new_id, None)
        },
        Err(error @ ApiError::OutcomeUnknown { .. }) => {
            resolve(cx, step, id, applied, &error).await
        }
        Err(error) => Done {
            request_id: match &error {
                ApiError::Api { request_id, .. } => request_id.clone(),
                _ => None,
            },
            ..done(Outcome::Failed, id, Some(error.to_string()))
        },
    }
}

/// Decides a step whose answer was lost by reading the environments and JMeter scenes
/// (never by resending). `applied` is the fingerprint a save stamped.
async fn resolve(
    cx: &Context<'_>,
    step: &Step,
    id: Option<String>,
    applied: Option<String>,
    lost: &ApiError,
) -> Done {
    let mut done = Done {
        resolved_by_read: true,
        ..Done::of(step, Outcome::Unknown, id.clone(), Some(lost.to_string()))
    };
    let read = match read_settled(cx).await {
        Ok(read) => read,
        Err(error) => {
            done.resolved_by_read = false;
            done.error = Some(format!(
                "{lost}; reading the JMeter side to resolve it failed: {error} (it is not sent again; `ptsplan plan` shows whether it took effect)"
            ));
            return done;
        }
    };
    // The thing as the backend holds it now: (its id, its view's fingerprint, running).
    let found: Option<(Option<String>, String, bool)> = match step.resource {
        Kind::Environment => read
            .owned_env(cx.workspace, &step.key)
            .or_else(|| {
                read.live_envs
                    .iter()
                    .find(|l| id.is_some() && l.env.env_id == id)
            })
            .map(|l| {
                (
                    l.env.env_id.clone(),
                    fingerprint(&jmeter::env_view(&l.env)),
                    false,
                )
            }),
        _ => read
            .owned_scene(cx.workspace, &step.key)
            .or_else(|| {
                read.live_scenes
                    .iter()
                    .find(|l| id.is_some() && l.scene.scene_id == id)
            })
            .map(|l| {
                (
                    l.scene.scene_id.clone(),
                    fingerprint(&read.live_scene_view(cx.workspace, l)),
                    l.running,
                )
            }),
    };
    let took_effect = match step.kind {
        StepKind::Create | StepKind::Update => found
            .as_ref()
            .is_some_and(|(_, now, _)| applied.as_deref() == Some(now.as_str())),
        StepKind::Delete => found.is_none(),
        StepKind::Stop => found.as_ref().is_some_and(|(_, _, running)| !running),
        StepKind::Start => found.as_ref().is_some_and(|(_, _, running)| *running),
    };
    if took_effect {
        done.outcome = Outcome::Ok;
        done.error = None;
        done.applied_fingerprint = applied;
        if step.kind != StepKind::Delete {
            done.scene_id = found.and_then(|(id, _, _)| id);
        } else {
            done.scene_id = None;
        }
    } else {
        done.outcome = Outcome::Failed;
        done.error = Some(format!(
            "{lost}; the live state shows it did not take effect (it is not sent again)"
        ));
    }
    done
}

/// The environments and JMeter scenes as the backend holds them now, with the plan's
/// desired side (their views depend on it), read again while a read fails
/// ([`super::executor::settled`]): other steps of the phase may still be in flight.
async fn read_settled(cx: &Context<'_>) -> Result<State, ApiError> {
    let known = cx.jmeter.known_scripts();
    let (live_envs, live_scenes) =
        super::executor::settled(|| crate::live::read_jmeter(cx.client, None, &known)).await?;
    Ok(State {
        desired_envs: cx.jmeter.desired_envs.clone(),
        desired_scenes: cx.jmeter.desired_scenes.clone(),
        live_envs,
        live_scenes,
    })
}

fn not_planned(step: &Step) -> String {
    format!("{} is not in the lowered plan", step.address())
}

/// The id of the environment `key`: saved earlier in this apply, else owned on the backend.
fn env_id(
    state: &State,
    workspace: &str,
    key: &str,
    ids: &BTreeMap<String, String>,
) -> Option<String> {
    ids.get(&Kind::Environment.address(key))
        .cloned()
        .or_else(|| state.owned_env(workspace, key)?.env.env_id.clone())
}

/// Records `stamp` as the applied fingerprint in the marker property of `properties`.
fn stamp_marker(properties: &mut [wire::Property], stamp: &str) {
    let Some(mut marker) = Marker::of_properties(properties) else {
        return;
    };
    marker.fingerprint = Some(stamp.to_owned());
    let stamped = marker.to_property();
    for p in properties {
        if p.name.as_deref() == Some(MARKER_PARAM) {
            *p = stamped.clone();
        }
    }
}

/// Stops the run of JMeter scene `id` and waits (polling its listed status, backing off to
/// 5 s, up to [`STOP_WAIT`]) until it no longer runs.
async fn stop_and_wait(cx: &Context<'_>, id: &str) -> Result<(), ApiError> {
    cx.client
        .call(&StopTestingJMeterScene {
            scene_id: id.to_owned(),
        })
        .await?;
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        let listed = cx
            .client
            .call(&ListOpenJMeterScenes {
                page_number: 1,
                page_size: 10,
                scene_id: Some(id.to_owned()),
                ..ListOpenJMeterScenes::default()
            })
            .await?;
        let running = listed
            .j_meter_scene
            .iter()
            .any(|v| jmeter::is_running(v.status.as_ref()));
        if !running {
            return Ok(());
        }
        if started.elapsed() >= STOP_WAIT {
            return Err(ApiError::Interrupted {
                action: <ListOpenJMeterScenes as wire::Action>::ACTION,
                cause: format!(
                    "JMeter scene {id} still runs {} s after StopTestingJMeterScene",
                    STOP_WAIT.as_secs()
                ),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// After a complete apply: reads the environments and JMeter scenes back and compares each
/// one saved with the fingerprint it was saved with. One line per inconsistency.
pub(super) async fn verify(cx: &Context<'_>, done: &[Done]) -> Result<Vec<String>, ApiError> {
    let saved: Vec<&Done> = done
        .iter()
        .filter(|d| !d.step.resource.is_scene() && d.applied_fingerprint.is_some())
        .collect();
    if saved.is_empty() {
        return Ok(Vec::new());
    }
    let known = cx.jmeter.known_scripts();
    let (live_envs, live_scenes) = crate::live::read_jmeter(cx.client, None, &known).await?;
    let read = State {
        live_envs,
        live_scenes,
        ..State::default()
    };
    Ok(saved
        .into_iter()
        .filter_map(|d| {
            let applied = d.applied_fingerprint.as_deref()?;
            let address = d.step.address();
            let view: Option<Value> = match d.step.resource {
                Kind::Environment => read
                    .owned_env(cx.workspace, &d.step.key)
                    .map(|l| jmeter::env_view(&l.env)),
                _ => read
                    .owned_scene(cx.workspace, &d.step.key)
                    .map(|l| read.live_scene_view(cx.workspace, l)),
            };
            match view.map(|v| fingerprint(&v)) {
                Some(now) if now == applied => None,
                Some(now) => Some(format!(
                    "{address}: saved with fingerprint {applied}, read back as {now}"
                )),
                None => Some(format!("{address}: saved, but not found when read back")),
            }
        })
        .collect())
}

/// Adds to `images` the live environments and JMeter scenes that `steps` update or delete
/// (their before-images, for rollback).
pub fn before_images(state: &State, steps: &[Step], images: &mut crate::evidence::BeforeImages) {
    for step in steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Update | StepKind::Delete))
    {
        let Some(id) = step.scene_id.as_deref() else {
            continue;
        };
        match step.resource {
            Kind::Environment => {
                if let Some(live) = state
                    .live_envs
                    .iter()
                    .find(|l| l.env.env_id.as_deref() == Some(id))
                {
                    images
                        .environments
                        .insert(step.key.clone(), live.env.clone());
                }
            }
            Kind::JMeterScene => {
                if let Some(live) = state
                    .live_scenes
                    .iter()
                    .find(|l| l.scene.scene_id.as_deref() == Some(id))
                {
                    images
                        .jmeter_scenes
                        .insert(step.key.clone(), live.scene.clone());
                }
            }
            Kind::Scene => {}
        }
    }
}

/// Undoes the environment and JMeter-scene steps of `steps`, JMeter scenes first (they name
/// environments): a thing with a before-image is saved back as it was (unless it already
/// is), a created one is deleted. Decided from the live state, so it is safe to repeat.
pub(super) async fn rollback(
    client: &crate::api::Client,
    workspace: &str,
    steps: &[Step],
    images: &crate::evidence::BeforeImages,
    journal: &mut super::journal::Journal,
) -> Result<Vec<super::rollback::Undone>, ApiError> {
    use super::journal::{Phase, Record};
    let mut undone: Vec<super::rollback::Undone> = Vec::new();
    let mut keys: Vec<(Kind, &str)> = Vec::new();
    for resource in [Kind::JMeterScene, Kind::Environment] {
        for step in steps.iter().rev().filter(|s| s.resource == resource) {
            if !keys.contains(&(resource, step.key.as_str())) {
                keys.push((resource, step.key.as_str()));
            }
        }
    }
    if keys.is_empty() {
        return Ok(undone);
    }
    let (live_envs, live_scenes) = crate::live::read_jmeter(client, None, &[]).await?;
    let live = State {
        live_envs,
        live_scenes,
        ..State::default()
    };
    for (number, (resource, key)) in keys.into_iter().enumerate() {
        let step_id = steps
            .iter()
            .find(|s| s.resource == resource && s.key == key)
            .and_then(|s| s.scene_id.clone());
        let undo = match resource {
            Kind::Environment => {
                let current = live
                    .owned_env(workspace, key)
                    .or_else(|| {
                        live.live_envs
                            .iter()
                            .find(|l| l.env.env_id.is_some() && l.env.env_id == step_id)
                    })
                    .map(|l| &l.env);
                env_undo(images.environments.get(key), current)
            }
            _ => {
                let current = live
                    .owned_scene(workspace, key)
                    .or_else(|| {
                        live.live_scenes
                            .iter()
                            .find(|l| l.scene.scene_id.is_some() && l.scene.scene_id == step_id)
                    })
                    .map(|l| &l.scene);
                scene_undo(images.jmeter_scenes.get(key), current)
            }
        };
        let Some(undo) = undo else {
            undone.push(super::rollback::Undone {
                resource,
                key: key.to_owned(),
                action: None,
                outcome: Outcome::Ok,
                error: None,
            });
            continue;
        };
        let action = undo.kind();
        let intent = Record::Intent {
            phase: Phase::Rollback,
            step: number + 1,
            action,
            resource,
            key: key.to_owned(),
            scene_id: undo.id(),
            before_fingerprint: None,
            at: super::journal::now(),
        };
        let sent = match journal.append(&intent) {
            Err(error) => Err(format!("cannot write the journal, not sent: {error}")),
            Ok(()) => undo.send(client).await.map_err(|e| e.to_string()),
        };
        let outcome = if sent.is_ok() {
            Outcome::Ok
        } else {
            Outcome::Failed
        };
        let error = sent.err();
        let _ = journal.append(&Record::Outcome {
            phase: Phase::Rollback,
            step: number + 1,
            outcome,
            request_id: None,
            scene_id: None,
            resolved_by_read: false,
            error: error.clone(),
            at: super::journal::now(),
        });
        undone.push(super::rollback::Undone {
            resource,
            key: key.to_owned(),
            action: Some(action),
            outcome,
            error,
        });
    }
    Ok(undone)
}

/// One mutation of a rollback.
enum Undo {
    SaveEnv(Box<wire::Env>),
    RemoveEnv(String),
    SaveScene(Box<wire::OpenJMeterScene>),
    RemoveScene(String),
}

impl Undo {
    fn kind(&self) -> StepKind {
        match self {
            Undo::SaveEnv(env) if env.env_id.is_none() => StepKind::Create,
            Undo::SaveScene(scene) if scene.scene_id.is_none() => StepKind::Create,
            Undo::SaveEnv(_) | Undo::SaveScene(_) => StepKind::Update,
            Undo::RemoveEnv(_) | Undo::RemoveScene(_) => StepKind::Delete,
        }
    }

    fn id(&self) -> Option<String> {
        match self {
            Undo::SaveEnv(env) => env.env_id.clone(),
            Undo::SaveScene(scene) => scene.scene_id.clone(),
            Undo::RemoveEnv(id) | Undo::RemoveScene(id) => Some(id.clone()),
        }
    }

    async fn send(self, client: &crate::api::Client) -> Result<(), ApiError> {
        match self {
            Undo::SaveEnv(env) => client.call(&SaveEnv { env: *env }).await.map(drop),
            Undo::RemoveEnv(env_id) => client.call(&RemoveEnv { env_id }).await.map(drop),
            Undo::SaveScene(scene) => client
                .call(&SaveOpenJMeterScene {
                    open_j_meter_scene: *scene,
                })
                .await
                .map(drop),
            Undo::RemoveScene(scene_id) => client
                .call(&RemoveOpenJMeterScene { scene_id })
                .await
                .map(drop),
        }
    }
}

/// What puts an environment back: its image saved (in place, or anew when it is gone), or
/// the environment the apply created removed; nothing when it is already as before.
fn env_undo(image: Option<&wire::Env>, current: Option<&wire::Env>) -> Option<Undo> {
    let Some(image) = image else {
        return Some(Undo::RemoveEnv(current?.env_id.clone()?));
    };
    let same = |env: &wire::Env| {
        jmeter::env_view(env) == jmeter::env_view(image)
            && Marker::of_properties(&env.properties) == Marker::of_properties(&image.properties)
    };
    if current.is_some_and(same) {
        return None;
    }
    let mut env = image.clone();
    env.env_id = current.and_then(|c| c.env_id.clone());
    env.create_time = None;
    env.modified_time = None;
    env.used_capacity = None;
    env.related_scenes.clear();
    env.running_scenes.clear();
    Some(Undo::SaveEnv(Box::new(env)))
}

/// [`env_undo`] for a JMeter scene.
fn scene_undo(
    image: Option<&wire::OpenJMeterScene>,
    current: Option<&wire::OpenJMeterScene>,
) -> Option<Undo> {
    let Some(image) = image else {
        return Some(Undo::RemoveScene(current?.scene_id.clone()?));
    };
    let mut scene = image.clone();
    scene.base_info = None;
    scene.pool = None;
    scene.mode = scene.mode.as_ref().map(wire::TestMode::to_save_form);
    scene.scene_id = current.and_then(|c| c.scene_id.clone());
    let comparable = |s: &wire::OpenJMeterScene| {
        let mut s = s.clone();
        s.scene_id = None;
        s.base_info = None;
        s.pool = None;
        s.mode = s.mode.as_ref().map(wire::TestMode::to_save_form);
        s
    };
    if current.is_some_and(|c| comparable(c) == comparable(&scene)) {
        return None;
    }
    Some(Undo::SaveScene(Box::new(scene)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(id: &str, host: &str) -> wire::Env {
        wire::Env {
            env_id: Some(id.into()),
            env_name: Some("shared".into()),
            properties: vec![wire::Property {
                name: Some("host".into()),
                value: Some(host.into()),
                ..wire::Property::default()
            }],
            create_time: Some(1),
            ..wire::Env::default()
        }
    }

    #[test]
    fn an_environment_is_left_alone_restored_in_place_recreated_or_removed() {
        let before = env("E1", "a");
        assert!(env_undo(Some(&before), Some(&before)).is_none());
        let Some(Undo::SaveEnv(saved)) = env_undo(Some(&before), Some(&env("E1", "b"))) else {
            panic!("a save in place");
        };
        assert_eq!(
            (saved.env_id.as_deref(), saved.create_time),
            (Some("E1"), None)
        );
        let Some(undo @ Undo::SaveEnv(_)) = env_undo(Some(&before), None) else {
            panic!("a create");
        };
        assert_eq!((undo.kind(), undo.id()), (StepKind::Create, None));
        let Some(undo @ Undo::RemoveEnv(_)) = env_undo(None, Some(&before)) else {
            panic!("the created environment is removed");
        };
        assert_eq!(
            (undo.kind(), undo.id()),
            (StepKind::Delete, Some("E1".into()))
        );
        assert!(env_undo(None, None).is_none());
    }

    #[test]
    fn a_jmeter_scene_is_compared_in_its_save_form() {
        let before = wire::OpenJMeterScene {
            scene_id: Some("J1".into()),
            scene_name: Some("orders".into()),
            mode: Some(wire::TestMode::Concurrency),
            pool: Some(String::new()),
            ..wire::OpenJMeterScene::default()
        };
        assert!(scene_undo(Some(&before), Some(&before)).is_none());
        let renamed = wire::OpenJMeterScene {
            scene_name: Some("other".into()),
            ..before.clone()
        };
        let Some(Undo::SaveScene(saved)) = scene_undo(Some(&before), Some(&renamed)) else {
            panic!("a save in place");
        };
        assert_eq!(saved.scene_name.as_deref(), Some("orders"));
        assert_eq!(saved.mode, Some(wire::TestMode::ConcurrencyMode));
        assert_eq!(saved.pool, None);
    }
}
