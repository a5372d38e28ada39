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
pub mod jmeter;
pub mod planfile;
pub mod view;

pub use action::Action;
pub use diff::FieldChange;
pub use jmeter::Kind;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

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
    /// What the change is about: a PTS scene, a JMeter environment or a JMeter scene.
    pub kind: Kind,
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
    /// How many scenes are replaced (running or not).
    pub fn replacements(&self) -> usize {
        self.scenes.iter().filter(|s| s.action.replaces()).count()
    }

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
        // A fold from +0.0: `sum` of no estimates would be -0.0.
        self.estimates
            .iter()
            .fold(0.0, |total, (_, e)| total + e.vum)
    }

    /// How many scenes will be run.
    pub fn runs(&self) -> usize {
        self.scenes.iter().filter(|s| s.run).count()
    }
}

/// A scene's normalized [view](view::view) and its fingerprint, computed once. The caller
/// may compute them ahead (the desired ones while the live state is read, each live one as
/// it arrives) so that planning after the last read is short.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewed {
    pub view: serde_json::Value,
    pub fingerprint: String,
}

impl Viewed {
    /// The view and fingerprint of `scene`.
    pub fn of(scene: &wire::Scene) -> Self {
        let view = view::view(scene);
        let fingerprint = view::fingerprint(&view);
        Viewed { view, fingerprint }
    }
}

/// Plans `desired` (the lowered plan of `workspace`) against `live` (every scene read).
pub fn plan(workspace: &str, desired: &[Lowered], live: &[Live], options: Options) -> Plan {
    let desired_views: Vec<Viewed> = desired.iter().map(|d| Viewed::of(&d.scene)).collect();
    plan_viewed(workspace, desired, &desired_views, live, None, options)
}

/// [`plan`] with views computed ahead: `desired_views[i]` is the view of `desired[i]` and,
/// when given, `live_views[i]` the view of `live[i]`; otherwise live views are computed
/// here.
pub fn plan_viewed(
    workspace: &str,
    desired: &[Lowered],
    desired_views: &[Viewed],
    live: &[Live],
    live_views: Option<&[Viewed]>,
    options: Options,
) -> Plan {
    let owned: Vec<(Marker, &Live, Cow<'_, Viewed>)> = live
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Marker::of(&l.scene).map(|m| (m, i, l)))
        .filter(|(m, _, _)| m.workspace == workspace)
        .map(|(m, i, l)| {
            let viewed = live_views
                .and_then(|views| views.get(i))
                .map_or_else(|| Cow::Owned(Viewed::of(&l.scene)), Cow::Borrowed);
            (m, l, viewed)
        })
        .collect();
    // The first owned scene of each key, as listed: the one planned against.
    let mut by_key: HashMap<&str, usize> = HashMap::with_capacity(owned.len());
    for (index, (marker, _, _)) in owned.iter().enumerate() {
        by_key.entry(marker.key.as_str()).or_insert(index);
    }
    let mut out = Plan::default();
    for (lowered, desired_viewed) in desired.iter().zip(desired_views) {
        let name = lowered.scene.scene_name.clone().unwrap_or_default();
        let desired_view = &desired_viewed.view;
        let Some((marker, current, live_viewed)) = by_key
            .get(lowered.key.as_str())
            .and_then(|&index| owned.get(index))
        else {
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
                kind: Kind::Scene,
                key: lowered.key.clone(),
                name,
                action: Action::Create,
                scene_id: None,
                changes: diff::diff(&serde_json::json!({}), desired_view),
                drifted: false,
                live_fingerprint: None,
                run: runs(options, lowered.run, true),
            });
            continue;
        };
        let live_fingerprint = live_viewed.fingerprint.clone();
        // Most scenes of a plan are unchanged, and equal fingerprints (SHA-256 of the
        // canonical view) are equal views: neither a walk nor a comparison of the trees.
        let mut changes = if live_fingerprint == desired_viewed.fingerprint {
            Vec::new()
        } else {
            diff::diff(&live_viewed.view, desired_view)
        };
        for change in &mut changes {
            change.forces_replacement = view::forces_replacement(&change.path);
        }
        let replace = changes.iter().any(|c| c.forces_replacement);
        let run = runs(options, lowered.run, !changes.is_empty());
        let action = match (changes.is_empty(), replace, current.running) {
            (true, _, _) if run => Action::Start,
            (true, _, _) => Action::NoOp,
            (false, false, false) => Action::Update,
            (false, false, true) => Action::StopThenUpdate,
            (false, true, false) => Action::Replace,
            (false, true, true) => Action::StopThenReplace,
        };
        out.scenes.push(SceneChange {
            kind: Kind::Scene,
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
    let desired_keys: HashSet<&str> = desired.iter().map(|d| d.key.as_str()).collect();
    for (marker, current, live_viewed) in &owned {
        if desired_keys.contains(marker.key.as_str()) {
            continue;
        }
        let name = current.scene.scene_name.clone().unwrap_or_default();
        if options.prune {
            out.scenes.push(SceneChange {
                kind: Kind::Scene,
                key: marker.key.clone(),
                name,
                action: Action::Delete,
                scene_id: current.scene.scene_id.clone(),
                changes: diff::diff(&live_viewed.view, &serde_json::json!({})),
                drifted: false,
                live_fingerprint: Some(live_viewed.fingerprint.clone()),
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
