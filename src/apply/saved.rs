//! Applying a saved plan (`ptsplan plan -o plan.json`, then `ptsplan apply plan.json`).
//!
//! A saved plan is applied exactly as it was reviewed, or not at all: the scenes it sends
//! are the saved ones (secret references resolved again from the environment), and before
//! anything is sent every live scene it touches is read again and compared with the
//! fingerprint stored when the plan was made. A scene changed, created, deleted, replaced
//! or started/stopped since then makes the plan stale (after Terraform's "saved plan is
//! stale"): the reviewer approved changes against a state that no longer exists.
//!
//! JMeter environments and scenes are checked the same way: the fresh plan of the JMeter
//! side (made against the live environments and scenes, scripts read back as for `plan`)
//! gives each one's live fingerprint, compared with the saved one.

use std::path::Path;

use super::owned;
use crate::lower::{Lowered, LoweredEnv, LoweredJMeter};
use crate::plan::planfile::{self, PlanFileError, SavedPlan};
use crate::plan::{self, Action, Live, Options, Plan, SceneChange};
use crate::redact::Redactor;
use crate::spec::model::RunPolicy;

/// A scene whose live state moved since the plan was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// What it is (a PTS scene, an environment, a JMeter scene).
    pub kind: crate::plan::Kind,
    /// The scene's key in the plan.
    pub key: String,
    /// What changed, for the message.
    pub why: String,
}

/// The desired scenes of `saved` (every scene but deletions), their secret references
/// resolved with `env`; the secrets are registered in `redactor`.
pub fn desired(
    path: &Path,
    saved: &SavedPlan,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<Vec<Lowered>, PlanFileError> {
    let mut out = Vec::new();
    for scene in &saved.scenes {
        if let Some(wire) = planfile::desired_scene(path, scene, env, redactor)? {
            out.push(Lowered {
                key: scene.key.clone(),
                scene: wire,
                // Runs are taken from the saved plan, not from a policy.
                run: RunPolicy::Manual,
                // An update of a scene not owned yet is an adoption (plan::adopt): the
                // saved id names it; for a scene owned under its key the id is not used.
                adopt: (scene.action != Action::Create)
                    .then(|| scene.scene_id.clone())
                    .flatten(),
            });
        }
    }
    Ok(out)
}

/// The desired environments and JMeter scenes of `saved` (every one but deletions), their
/// secret references resolved with `env`; the secrets are registered in `redactor`.
pub fn desired_jmeter(
    path: &Path,
    saved: &SavedPlan,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<(Vec<LoweredEnv>, Vec<LoweredJMeter>), PlanFileError> {
    let (mut envs, mut scenes) = (Vec::new(), Vec::new());
    for entry in &saved.scenes {
        match planfile::desired_jmeter(path, entry, env, redactor)? {
            Some(planfile::JMeterSide::Env(lowered)) => envs.push(*lowered),
            Some(planfile::JMeterSide::Scene(lowered)) => scenes.push(*lowered),
            None => {}
        }
    }
    Ok((envs, scenes))
}

/// The plan to perform: the saved actions, with the field changes computed against `live`
/// (and the JMeter side against `jmeter`, whose desired side is the saved plan's) for
/// display. `Err` lists every touched scene whose live state moved (a stale plan).
pub fn proposal(
    saved: &SavedPlan,
    desired: &[Lowered],
    live: &[Live],
    jmeter: &crate::plan::jmeter::State,
) -> Result<Plan, Vec<Moved>> {
    let options = Options {
        prune: true,
        run: false,
    };
    let mut fresh = plan::plan(&saved.workspace, desired, live, options);
    crate::plan::jmeter::plan(&saved.workspace, jmeter, options, &mut fresh);
    let mut moved = Vec::new();
    let mut out = Plan::default();
    for scene in &saved.scenes {
        let now = fresh
            .scenes
            .iter()
            .find(|c| c.kind == scene.kind && c.key == scene.key);
        if scene.action != Action::NoOp {
            let current = if scene.kind.is_scene() {
                // An adopted scene carries no marker of the workspace yet: found by its id.
                owned(live, &saved.workspace, &scene.key)
                    .or_else(|| {
                        let id = scene.scene_id.as_deref()?;
                        live.iter()
                            .find(|l| l.scene.scene_id.as_deref() == Some(id))
                    })
                    .map(|l| (l.scene.scene_id.clone(), super::fingerprint(&l.scene)))
            } else {
                // The fresh plan found it (owned, or adopted by id) unless it creates it.
                now.filter(|c| c.action != Action::Create).map(|c| {
                    (
                        c.scene_id.clone(),
                        c.live_fingerprint.clone().unwrap_or_default(),
                    )
                })
            };
            if let Some(why) = moved_since(scene, current, now) {
                moved.push(Moved {
                    kind: scene.kind,
                    key: scene.key.clone(),
                    why,
                });
            }
        }
        out.scenes.push(SceneChange {
            kind: scene.kind,
            key: scene.key.clone(),
            name: now.map_or_else(|| scene.key.clone(), |c| c.name.clone()),
            action: scene.action,
            scene_id: scene.scene_id.clone(),
            changes: now.map(|c| c.changes.clone()).unwrap_or_default(),
            drifted: now.is_some_and(|c| c.drifted),
            live_fingerprint: scene.live_fingerprint.clone(),
            run: scene.run,
        });
    }
    if moved.is_empty() {
        Ok(out)
    } else {
        Err(moved)
    }
}

/// Why the live thing of `saved` — `current`: its id and fingerprint, when it exists — is
/// no longer the one the plan was made from, if it is not.
fn moved_since(
    saved: &planfile::SavedScene,
    current: Option<(Option<String>, String)>,
    now: Option<&SceneChange>,
) -> Option<String> {
    match (&saved.live_fingerprint, current) {
        (None, Some((id, _))) => {
            return Some(format!(
                "was to be created, but one with its key exists now (id {})",
                id.as_deref().unwrap_or("?")
            ));
        }
        (None, None) => return None,
        (Some(_), None) => return Some("was deleted".to_owned()),
        (Some(planned), Some((id, read))) => {
            if read != *planned {
                return Some(format!("was changed (fingerprint {planned} → {read})"));
            }
            if id != saved.scene_id {
                return Some(format!(
                    "was replaced (id {} → {})",
                    saved.scene_id.as_deref().unwrap_or("?"),
                    id.as_deref().unwrap_or("?")
                ));
            }
        }
    }
    // Same definition: only the running state can make the action differ.
    let planned = comparable(saved.action);
    let action = now.map_or(Action::NoOp, |c| comparable(c.action));
    (action != planned).then(|| {
        if matches!(action, Action::StopThenUpdate | Action::StopThenReplace) {
            "started running".to_owned()
        } else {
            "stopped running".to_owned()
        }
    })
}

/// The action without its run (a fresh plan is made without runs).
fn comparable(action: Action) -> Action {
    match action {
        Action::Start => Action::NoOp,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::planfile::SavedScene;
    use crate::wire::{self, Marker};

    fn scene(key: &str, name: &str, id: Option<&str>) -> wire::Scene {
        let marker = Marker {
            v: 1,
            workspace: "w".into(),
            key: key.into(),
            ..Marker::default()
        };
        wire::Scene {
            scene_id: id.map(str::to_owned),
            scene_name: Some(name.into()),
            global_parameter_list: vec![marker.to_parameter()],
            ..wire::Scene::default()
        }
    }

    fn saved(entries: Vec<SavedScene>) -> SavedPlan {
        SavedPlan {
            format_version: planfile::FORMAT_VERSION,
            tool_version: "0".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            workspace: "w".into(),
            scenes: entries,
            data_files: Vec::new(),
        }
    }

    fn entry(key: &str, action: Action, live: Option<&wire::Scene>) -> SavedScene {
        SavedScene {
            kind: crate::plan::Kind::Scene,
            key: key.into(),
            action,
            run: false,
            scene_id: live.and_then(|l| l.scene_id.clone()),
            live_fingerprint: live.map(super::super::fingerprint),
            desired: None,
            environment: None,
            jmx: None,
        }
    }

    fn lowered(key: &str, name: &str) -> Lowered {
        Lowered {
            key: key.into(),
            scene: scene(key, name, None),
            run: RunPolicy::Manual,
            adopt: None,
        }
    }

    #[test]
    fn an_unchanged_live_state_gives_back_the_saved_actions() {
        let old = scene("a", "old", Some("ID1"));
        let plan = saved(vec![
            entry("a", Action::Update, Some(&old)),
            entry("b", Action::Create, None),
        ]);
        let desired = [lowered("a", "new"), lowered("b", "b")];
        let live = [Live {
            scene: old,
            running: false,
        }];
        let proposal = proposal(&plan, &desired, &live, &Default::default()).expect("not stale");
        let actions: Vec<Action> = proposal.scenes.iter().map(|s| s.action).collect();
        assert_eq!(actions, [Action::Update, Action::Create]);
        assert!(!proposal.scenes[0].changes.is_empty(), "changes shown");
    }

    #[test]
    fn every_moved_scene_is_named() {
        let old = scene("a", "old", Some("ID1"));
        let plan = saved(vec![
            entry("a", Action::Update, Some(&old)),
            entry("b", Action::Create, None),
            entry("c", Action::Update, Some(&scene("c", "c0", Some("ID3")))),
            entry("d", Action::Update, Some(&scene("d", "d0", Some("ID4")))),
        ]);
        let desired = [
            lowered("a", "new"),
            lowered("b", "b"),
            lowered("c", "c1"),
            lowered("d", "d1"),
        ];
        let mut edited = old.clone();
        edited.scene_name = Some("edited elsewhere".into());
        let live = [
            Live {
                scene: edited,
                running: false,
            },
            Live {
                scene: scene("b", "b", Some("ID2")),
                running: false,
            },
            Live {
                scene: scene("d", "d0", Some("ID4")),
                running: true,
            },
        ];
        let moved = proposal(&plan, &desired, &live, &Default::default()).expect_err("stale");
        let keys: Vec<(&str, &str)> = moved
            .iter()
            .map(|m| (m.key.as_str(), m.why.split(' ').next().unwrap_or("")))
            .collect();
        assert_eq!(
            keys,
            [("a", "was"), ("b", "was"), ("c", "was"), ("d", "started")]
        );
        assert!(moved[0].why.contains("changed"), "{}", moved[0].why);
        assert!(moved[2].why.contains("deleted"), "{}", moved[2].why);
    }
}
