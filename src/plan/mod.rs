//! The planner: desired scenes + live scenes → the changes an apply would make.
//!
//! Pure: the caller reads live state (through the client) and lowers the plan; this module
//! matches them, normalizes both into [views](view::view), diffs them and decides an
//! [`Action`] per scene. Identity: a live scene belongs to the plan's workspace when its
//! [marker](crate::wire::Marker) says so, and is matched to a plan scene by the marker's
//! key — never by name alone, so renaming a PTS scene is an update, and a scene someone
//! else made with the same name is never touched.

pub mod action;
pub mod adopt;
pub mod cost;
pub mod diff;
pub mod planfile;
pub mod view;

pub use action::Action;
pub use diff::FieldChange;

use crate::lower::Lowered;
use crate::spec::model::RunPolicy;
use crate::wire::{self, Marker};

/// A live scene as read from the backend.
#[derive(Debug, Clone)]
pub struct Live {
    pub scene: wire::Scene,
    /// Whether a load test or debug run of it is in progress.
    pub running: bool,
}

/// Planner switches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Delete owned scenes that left the plan (otherwise they are only noted).
    pub prune: bool,
    /// Propose runs per each scene's run policy (`apply --run`).
    pub run: bool,
}

/// The proposal for one scene.
#[derive(Debug, Clone)]
pub struct SceneChange {
    /// The scene's key in the plan (from the live marker for deletions).
    pub key: String,
    /// The PTS scene name (desired, or live for deletions).
    pub name: String,
    pub action: Action,
    /// The live scene's id, when it exists.
    pub scene_id: Option<String>,
    /// Field changes from live to desired (empty for no-ops).
    pub changes: Vec<FieldChange>,
    /// Whether the live scene was changed outside ptsplan since it was last applied.
    pub drifted: bool,
    /// Fingerprint of the live scene's view (a saved plan refuses to apply if it moved).
    pub live_fingerprint: Option<String>,
    /// Whether a run of the scene follows (its run policy, with `Options::run`).
    pub run: bool,
}

/// The whole proposal.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub scenes: Vec<SceneChange>,
    /// Things a reviewer should know that change nothing (owned scenes left out of the
    /// plan without `prune`, name clashes with scenes of other owners).
    pub notes: Vec<String>,
    /// Load and cost estimate per scene key (filled by the caller from the plan files).
    pub estimates: Vec<(String, cost::Estimate)>,
}

impl Plan {
    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        self.scenes
            .iter()
            .any(|s| s.action != Action::NoOp || s.run)
    }

    /// How many scenes get `action`.
    pub fn count(&self, action: Action) -> usize {
        self.scenes.iter().filter(|s| s.action == action).count()
    }

    /// Total VUM of every scene's estimate.
    pub fn total_vum(&self) -> f64 {
        self.estimates.iter().map(|(_, e)| e.vum).sum()
    }

    /// How many scenes will be run.
    pub fn runs(&self) -> usize {
        self.scenes.iter().filter(|s| s.run).count()
    }
}

/// Plans `desired` (the lowered plan of `workspace`) against `live` (every scene read).
pub fn plan(workspace: &str, desired: &[Lowered], live: &[Live], options: Options) -> Plan {
    let owned: Vec<(Marker, &Live)> = live
        .iter()
        .filter_map(|l| Marker::of(&l.scene).map(|m| (m, l)))
        .filter(|(m, _)| m.workspace == workspace)
        .collect();
    let mut out = Plan::default();
    for lowered in desired {
        let name = lowered.scene.scene_name.clone().unwrap_or_default();
        let desired_view = view::view(&lowered.scene);
        let Some((marker, current)) = owned.iter().find(|(m, _)| m.key == lowered.key) else {
            if let Some(change) = adopt::adoption(workspace, lowered, live, options) {
                out.scenes.push(change);
                continue;
            }
            let clash = live.iter().any(|l| {
                l.scene.scene_name.as_deref() == Some(name.as_str())
                    && Marker::of(&l.scene).is_none_or(|m| m.workspace != workspace)
            });
            if clash {
                out.notes.push(format!(
                    "a scene named `{name}` already exists and is not owned by workspace `{workspace}`; `{}` is created beside it",
                    lowered.key
                ));
            }
            out.scenes.push(SceneChange {
                key: lowered.key.clone(),
                name,
                action: Action::Create,
                scene_id: None,
                changes: diff::diff(&serde_json::json!({}), &desired_view),
                drifted: false,
                live_fingerprint: None,
                run: runs(options, lowered.run, true),
            });
            continue;
        };
        let live_view = view::view(&current.scene);
        let live_fingerprint = view::fingerprint(&live_view);
        let changes = diff::diff(&live_view, &desired_view);
        let run = runs(options, lowered.run, !changes.is_empty());
        let action = match (changes.is_empty(), current.running) {
            (true, _) if run => Action::Start,
            (true, _) => Action::NoOp,
            (false, false) => Action::Update,
            (false, true) => Action::StopThenUpdate,
        };
        out.scenes.push(SceneChange {
            key: lowered.key.clone(),
            name,
            action,
            scene_id: current.scene.scene_id.clone(),
            changes,
            drifted: marker
                .fingerprint
                .as_ref()
                .is_some_and(|applied| *applied != live_fingerprint),
            live_fingerprint: Some(live_fingerprint),
            run,
        });
    }
    for (marker, current) in &owned {
        if desired.iter().any(|d| d.key == marker.key) {
            continue;
        }
        let name = current.scene.scene_name.clone().unwrap_or_default();
        if options.prune {
            let live_view = view::view(&current.scene);
            out.scenes.push(SceneChange {
                key: marker.key.clone(),
                name,
                action: Action::Delete,
                scene_id: current.scene.scene_id.clone(),
                changes: diff::diff(&live_view, &serde_json::json!({})),
                drifted: false,
                live_fingerprint: Some(view::fingerprint(&live_view)),
                run: false,
            });
        } else {
            out.notes.push(format!(
                "scene `{}` (`{name}`) is owned by workspace `{workspace}` but no longer in the plan; it is kept (plan with --prune to delete it)",
                marker.key
            ));
        }
    }
    out
}

/// Whether a scene runs after apply: only with `--run`, then per its policy.
fn runs(options: Options, policy: RunPolicy, changed: bool) -> bool {
    options.run
        && match policy {
            RunPolicy::Manual => false,
            RunPolicy::OnApply => true,
            RunPolicy::OnChange => changed,
        }
}

#[cfg(test)]
mod tests;
