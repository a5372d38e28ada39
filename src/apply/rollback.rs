//! Undoing an apply: every touched scene back to its before-image, every created scene
//! deleted.
//!
//! Decided from the live state, not from the journal: each scene is compared with what it
//! was before the apply and only a scene that differs is touched. Steps the apply never
//! reached, steps undone by an earlier rollback and steps whose answer was lost are all
//! handled the same way, so a rollback can be run again after any failure, its own
//! included. Runs are not restarted: a scene the apply stopped stays stopped.

use super::journal::{self, Journal, Outcome, Phase, Record};
use super::order::{Step, StepKind};
use super::{fingerprint, owned};
use crate::api::{ApiError, Client};
use crate::lower;
use crate::wire::Marker;
use crate::wire::{self, DeletePtsScene, SavePtsScene, StopPtsScene};

/// What a rollback did for one scene.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undone {
    /// What was undone (a PTS scene unless said otherwise).
    pub resource: crate::plan::Kind,
    /// The scene's key in the plan.
    pub key: String,
    /// The mutation sent, or none when the scene was already as before the apply.
    pub action: Option<StepKind>,
    pub outcome: Outcome,
    /// Why it failed.
    pub error: Option<String>,
}

/// Undoes `steps` (an apply's, from its rollback record) for `workspace`. `before` holds the
/// before-image of every scene the apply updated or deleted, by key.
pub async fn rollback(
    client: &Client,
    workspace: &str,
    steps: &[Step],
    images: &crate::evidence::BeforeImages,
    journal: &mut Journal,
) -> Result<Vec<Undone>, ApiError> {
    let mut undone = super::jmeter::rollback(client, workspace, steps, images, journal).await?;
    let before = &images.scenes;
    let steps: Vec<Step> = steps
        .iter()
        .filter(|s| s.resource.is_scene())
        .cloned()
        .collect();
    let steps = steps.as_slice();
    if steps.is_empty() {
        return Ok(undone);
    }
    let live = crate::live::read_all(client).await?;
    let mut number = undone.iter().filter(|u| u.action.is_some()).count();
    let jmeter_undone = undone.len();
    for step in steps.iter().rev() {
        if undone[jmeter_undone..].iter().any(|u| u.key == step.key) {
            continue;
        }
        let kinds: Vec<StepKind> = steps
            .iter()
            .filter(|s| s.key == step.key)
            .map(|s| s.kind)
            .collect();
        // An adopted scene carried another owner's marker (or none) before: found by id.
        let current = owned(&live, workspace, &step.key).or_else(|| {
            live.iter()
                .find(|l| l.scene.scene_id.is_some() && l.scene.scene_id == step.scene_id)
        });
        // A before-image comes first: a replaced scene (deleted, then created) is put back
        // as it was, not deleted.
        let undo: Option<(StepKind, Option<String>, Option<wire::Scene>)> =
            if let Some(image) = before.get(&step.key) {
                restore(image, step, current.map(|l| &l.scene))
            } else if kinds.contains(&StepKind::Create) {
                current.map(|l| (StepKind::Delete, l.scene.scene_id.clone(), None))
            } else if kinds.contains(&StepKind::Start) {
                current
                    .filter(|l| l.running)
                    .map(|l| (StepKind::Stop, l.scene.scene_id.clone(), None))
            } else {
                None
            };
        let Some((action, scene_id, scene)) = undo else {
            undone.push(Undone {
                resource: step.resource,
                key: step.key.clone(),
                action: None,
                outcome: Outcome::Ok,
                error: None,
            });
            continue;
        };
        number += 1;
        let intent = Record::Intent {
            phase: Phase::Rollback,
            step: number,
            action,
            resource: step.resource,
            key: step.key.clone(),
            scene_id: scene_id.clone(),
            before_fingerprint: current.map(|l| fingerprint(&l.scene)),
            at: journal::now(),
        };
        if let Err(error) = journal.append(&intent) {
            undone.push(Undone {
                resource: step.resource,
                key: step.key.clone(),
                action: Some(action),
                outcome: Outcome::Failed,
                error: Some(format!("cannot write the journal, not sent: {error}")),
            });
            break;
        }
        let id = scene_id.unwrap_or_default();
        let sent: Result<Option<String>, ApiError> = match (action, scene) {
            (StepKind::Create | StepKind::Update, Some(scene)) => client
                .call(&SavePtsScene { scene })
                .await
                .map(|answer| answer.scene_id),
            (StepKind::Delete, _) => client
                .call(&DeletePtsScene { scene_id: id })
                .await
                .map(|_| None),
            _ => client
                .call(&StopPtsScene { scene_id: id })
                .await
                .map(|_| None),
        };
        let (outcome, new_id, error) = match sent {
            Ok(new_id) => (Outcome::Ok, new_id, None),
            Err(error @ ApiError::OutcomeUnknown { .. }) => {
                (Outcome::Unknown, None, Some(error.to_string()))
            }
            Err(error) => (Outcome::Failed, None, Some(error.to_string())),
        };
        let written = journal.append(&Record::Outcome {
            phase: Phase::Rollback,
            step: number,
            outcome,
            request_id: None,
            scene_id: new_id,
            resolved_by_read: false,
            error: error.clone(),
            at: journal::now(),
        });
        undone.push(Undone {
            resource: step.resource,
            key: step.key.clone(),
            action: Some(action),
            outcome,
            error: error.or_else(|| {
                written
                    .err()
                    .map(|e| format!("cannot write the journal: {e}"))
            }),
        });
    }
    Ok(undone)
}

/// The save that puts `image` back, or none when the live scene already matches it.
fn restore(
    image: &wire::Scene,
    step: &Step,
    current: Option<&wire::Scene>,
) -> Option<(StepKind, Option<String>, Option<wire::Scene>)> {
    let before = step
        .before_fingerprint
        .clone()
        .unwrap_or_else(|| fingerprint(image));
    // The view leaves ownership out: an adoption changed only the marker.
    let owner = |scene: &wire::Scene| Marker::of(scene).map(|m| (m.workspace, m.key));
    if current.is_some_and(|c| fingerprint(c) == before && owner(c) == owner(image)) {
        return None;
    }
    let mut scene = save_form(image);
    match current {
        // Saved in place, keeping the ids PTS has now.
        Some(live) => {
            lower::attach_ids(&mut scene, live);
            Some((StepKind::Update, live.scene_id.clone(), Some(scene)))
        }
        // Deleted: created again, with fresh ids.
        None => {
            clear_ids(&mut scene);
            Some((StepKind::Create, None, Some(scene)))
        }
    }
}

/// A scene as `GetPtsScene` returned it, in the form `SavePtsScene` takes: no status, times
/// or read-only headers, and the save spelling of the test mode.
pub(crate) fn save_form(scene: &wire::Scene) -> wire::Scene {
    let mut out = scene.clone();
    out.status = None;
    out.create_time = None;
    out.modified_time = None;
    out.headers.clear();
    if let Some(load) = &mut out.load_config {
        load.test_mode = load.test_mode.as_ref().map(wire::TestMode::to_save_form);
    }
    out
}

/// Removes every service-assigned id, so the scene is created anew.
fn clear_ids(scene: &mut wire::Scene) {
    scene.scene_id = None;
    for relation in &mut scene.relation_list {
        relation.relation_id = None;
        for api in &mut relation.api_list {
            api.api_id = None;
        }
    }
    if let Some(load) = &mut scene.load_config {
        for config in &mut load.relation_load_config_list {
            config.relation_id = None;
        }
        for config in &mut load.api_load_config_list {
            config.api_id = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> wire::Scene {
        wire::Scene {
            scene_id: Some("OLD".into()),
            scene_name: Some("s".into()),
            status: Some(wire::SceneStatus::Running),
            relation_list: vec![wire::Relation {
                relation_id: Some("R1".into()),
                relation_name: Some("chain".into()),
                ..wire::Relation::default()
            }],
            ..wire::Scene::default()
        }
    }

    fn step(before: &wire::Scene) -> Step {
        Step {
            number: 1,
            kind: StepKind::Update,
            resource: crate::plan::Kind::Scene,
            key: "k".into(),
            scene_id: before.scene_id.clone(),
            before_fingerprint: Some(fingerprint(before)),
        }
    }

    #[test]
    fn a_scene_already_as_before_is_left_alone() {
        let before = image();
        assert_eq!(restore(&before, &step(&before), Some(&before)), None);
    }

    #[test]
    fn a_changed_scene_is_saved_in_place_and_a_deleted_one_created_without_ids() {
        let before = image();
        let mut changed = before.clone();
        changed.scene_name = Some("renamed".into());
        changed.scene_id = Some("NOW".into());
        let Some((kind, id, Some(scene))) = restore(&before, &step(&before), Some(&changed)) else {
            panic!("a save is proposed");
        };
        assert_eq!((kind, id.as_deref()), (StepKind::Update, Some("NOW")));
        assert_eq!(
            (scene.scene_id.as_deref(), scene.status.clone()),
            (Some("NOW"), None)
        );
        assert_eq!(fingerprint(&scene), fingerprint(&before));

        let Some((kind, id, Some(scene))) = restore(&before, &step(&before), None) else {
            panic!("a create is proposed");
        };
        assert_eq!((kind, id), (StepKind::Create, None));
        assert_eq!(scene.scene_id, None);
        assert_eq!(scene.relation_list[0].relation_id, None);
    }
}
