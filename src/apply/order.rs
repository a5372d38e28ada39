//! The order an apply performs a plan's changes in.
//!
//! Runs that must stop come first (a running scene cannot be saved), then saves of existing
//! scenes, then creates, then deletions (`--prune`), and runs start last so that they run
//! the scenes as planned. Within a phase the plan's order is kept, so the step numbers in
//! the journal are stable for one plan.
//!
//! A replacement is two steps on one key: the live scene is deleted (with the saves of
//! existing scenes), then created anew (with the creates). Deleting first keeps one live
//! scene per address at any time, so ownership by marker key stays unambiguous; if the create
//! fails, rollback re-creates the deleted scene from its before-image. The create and any
//! start of a replaced scene carry no scene id: the executor uses the id the create returns.
//!
//! JMeter environments are saved right after the stops, before any scene is saved or
//! created (a JMeter scene names its environment's id, which must exist), and deleted after
//! every scene deletion (PTS keeps an environment a scene still uses).

use serde::{Deserialize, Serialize};

use crate::plan::{Action, Kind, Plan};

/// What one step does to one scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// `StopPtsScene` on a running scene that is about to be updated.
    Stop,
    /// `SavePtsScene` of an existing scene.
    Update,
    /// `SavePtsScene` without an id.
    Create,
    /// `DeletePtsScene`.
    Delete,
    /// `StartPtsScene`.
    Start,
}

impl StepKind {
    /// The verb shown while the step runs.
    pub fn verb(self) -> &'static str {
        match self {
            StepKind::Stop => "stopping",
            StepKind::Update => "updating",
            StepKind::Create => "creating",
            StepKind::Delete => "deleting",
            StepKind::Start => "starting",
        }
    }
}

/// One mutation of an apply (also the step list of `rollback.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// From 1, in execution order.
    pub number: usize,
    pub kind: StepKind,
    /// What the step works on (a PTS scene unless said otherwise).
    #[serde(default, skip_serializing_if = "Kind::is_scene")]
    pub resource: Kind,
    /// The scene's key in the plan.
    pub key: String,
    /// The live scene's id (none for creates).
    pub scene_id: Option<String>,
    /// Fingerprint of the live scene's view before the apply (none for creates).
    pub before_fingerprint: Option<String>,
}

impl Step {
    /// The phase of the step (lower runs first; steps of one phase may run in parallel).
    pub fn phase(&self) -> u8 {
        phase(self.kind, self.resource)
    }

    /// `scene.KEY`, `environment.KEY` or `jmeter_scene.KEY`.
    pub fn address(&self) -> String {
        self.resource.address(&self.key)
    }
}

/// The phase of a `kind` step on a `resource`: environments are saved before the scenes
/// and deleted after them.
fn phase(kind: StepKind, resource: Kind) -> u8 {
    match (resource, kind) {
        (_, StepKind::Stop) => 0,
        (Kind::Environment, StepKind::Create | StepKind::Update) => 1,
        (_, StepKind::Update) => 2,
        (_, StepKind::Create) => 3,
        (Kind::Environment, StepKind::Delete) => 5,
        (_, StepKind::Delete) => 4,
        (_, StepKind::Start) => 6,
    }
}

/// The steps that perform `plan`, in execution order.
pub fn steps(plan: &Plan) -> Vec<Step> {
    let mut phased: Vec<(u8, Step)> = plan
        .scenes
        .iter()
        .flat_map(|change| {
            let kinds: &[StepKind] = match change.action {
                Action::Create => &[StepKind::Create],
                Action::Update => &[StepKind::Update],
                Action::StopThenUpdate => &[StepKind::Stop, StepKind::Update],
                Action::Replace => &[StepKind::Delete, StepKind::Create],
                Action::StopThenReplace => &[StepKind::Stop, StepKind::Delete, StepKind::Create],
                Action::Delete => &[StepKind::Delete],
                Action::Start | Action::NoOp => &[],
            };
            let replacing = change.action.replaces();
            let start = change.run.then_some(StepKind::Start);
            kinds.iter().copied().chain(start).map(move |kind| {
                // After a replacement's deletion the old id is gone.
                let old_scene = !(replacing && matches!(kind, StepKind::Create | StepKind::Start));
                let step = Step {
                    number: 0,
                    kind,
                    resource: change.kind,
                    key: change.key.clone(),
                    scene_id: change.scene_id.clone().filter(|_| old_scene),
                    before_fingerprint: change.live_fingerprint.clone().filter(|_| old_scene),
                };
                // The deletion half of a replacement goes with the saves, before creates.
                let phase = if replacing && kind == StepKind::Delete {
                    phase(StepKind::Update, change.kind)
                } else {
                    phase(kind, change.kind)
                };
                (phase, step)
            })
        })
        .collect();
    // A stable sort keeps the plan's order within each phase.
    phased.sort_by_key(|(phase, _)| *phase);
    let mut out: Vec<Step> = phased.into_iter().map(|(_, step)| step).collect();
    for (index, step) in out.iter_mut().enumerate() {
        step.number = index + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::SceneChange;

    fn change(key: &str, action: Action, run: bool) -> SceneChange {
        SceneChange {
            kind: crate::plan::Kind::Scene,
            key: key.into(),
            name: key.into(),
            action,
            scene_id: (action != Action::Create).then(|| format!("id-{key}")),
            changes: Vec::new(),
            drifted: false,
            live_fingerprint: None,
            run,
        }
    }

    #[test]
    fn stops_then_updates_then_creates_then_deletes_then_starts() {
        let plan = Plan {
            scenes: vec![
                change("new", Action::Create, true),
                change("gone", Action::Delete, false),
                change("busy", Action::StopThenUpdate, false),
                change("same", Action::NoOp, false),
                change("edit", Action::Update, false),
                change("go", Action::Start, true),
                change("swap", Action::Replace, true),
                change("busy-swap", Action::StopThenReplace, false),
            ],
            ..Plan::default()
        };
        let keys: Vec<(usize, StepKind, String)> = steps(&plan)
            .into_iter()
            .map(|s| (s.number, s.kind, s.key))
            .collect();
        assert_eq!(
            keys,
            vec![
                (1, StepKind::Stop, "busy".into()),
                (2, StepKind::Stop, "busy-swap".into()),
                (3, StepKind::Update, "busy".into()),
                (4, StepKind::Update, "edit".into()),
                (5, StepKind::Delete, "swap".into()),
                (6, StepKind::Delete, "busy-swap".into()),
                (7, StepKind::Create, "new".into()),
                (8, StepKind::Create, "swap".into()),
                (9, StepKind::Create, "busy-swap".into()),
                (10, StepKind::Delete, "gone".into()),
                (11, StepKind::Start, "new".into()),
                (12, StepKind::Start, "go".into()),
                (13, StepKind::Start, "swap".into()),
            ]
        );
    }

    #[test]
    fn environments_are_saved_before_scenes_and_deleted_after_them() {
        let of = |kind: Kind, key: &str, action: Action| SceneChange {
            kind,
            ..change(key, action, false)
        };
        let plan = Plan {
            scenes: vec![
                of(Kind::JMeterScene, "jm", Action::Create),
                of(Kind::JMeterScene, "old-jm", Action::Delete),
                of(Kind::Environment, "env", Action::Create),
                of(Kind::Environment, "old-env", Action::Delete),
                of(Kind::JMeterScene, "edit-jm", Action::Update),
                of(Kind::Environment, "edit-env", Action::Update),
            ],
            ..Plan::default()
        };
        let order: Vec<String> = steps(&plan)
            .iter()
            .map(|s| format!("{} {}", s.kind.verb(), s.address()))
            .collect();
        assert_eq!(
            order,
            [
                "creating environment.env",
                "updating environment.edit-env",
                "updating jmeter_scene.edit-jm",
                "creating jmeter_scene.jm",
                "deleting jmeter_scene.old-jm",
                "deleting environment.old-env",
            ]
        );
    }

    #[test]
    fn a_replacement_deletes_the_old_scene_then_creates_and_runs_one_without_its_id() {
        let plan = Plan {
            scenes: vec![SceneChange {
                live_fingerprint: Some("before".into()),
                ..change("swap", Action::Replace, true)
            }],
            ..Plan::default()
        };
        let ids: Vec<(StepKind, Option<String>, Option<String>)> = steps(&plan)
            .into_iter()
            .map(|s| (s.kind, s.scene_id, s.before_fingerprint))
            .collect();
        assert_eq!(
            ids,
            vec![
                (
                    StepKind::Delete,
                    Some("id-swap".into()),
                    Some("before".into())
                ),
                (StepKind::Create, None, None),
                (StepKind::Start, None, None),
            ]
        );
    }
}
