//! Adoption: a plan scene with `adopt: SCENE_ID` takes over that live scene instead of
//! creating a new one (the path `ptsplan import` writes).
//!
//! The planner normally matches live scenes by their ownership marker only, so a scene made
//! in the console or through the API is never touched. `adopt` is the explicit exception:
//! it names one scene by id. While that scene is not yet owned by the workspace under the
//! plan scene's key, the proposal is an update in place whose first field change is
//! [`OWNER`] (`null` or the previous workspace → this workspace), followed by any real
//! configuration changes; a freshly imported scene therefore plans as an update whose only
//! change is `owner`. Applying saves the scene with the marker; from then on the key matches
//! and the plan says "No changes". When the id no longer exists, the scene is created.

use serde_json::Value;

use super::{Action, FieldChange, Live, Options, SceneChange, diff, runs, view};
use crate::lower::{Lowered, MARKER_VERSION};
use crate::wire::{MARKER_PARAM, Marker};

/// The view path of the ownership change an adoption shows.
pub const OWNER: &str = "owner";

/// The proposal for `lowered` when it names a live scene to adopt that exists; `None`
/// otherwise (the caller creates it).
pub fn adoption(
    workspace: &str,
    lowered: &Lowered,
    live: &[Live],
    options: Options,
) -> Option<SceneChange> {
    let id = lowered.adopt.as_deref()?;
    let current = live
        .iter()
        .find(|l| l.scene.scene_id.as_deref() == Some(id))?;
    let previous = Marker::of(&current.scene).map(|m| m.workspace);
    let live_view = view::view(&current.scene);
    let mut changes = vec![FieldChange {
        path: vec![OWNER.to_owned()],
        before: previous.map(Value::from),
        after: Some(Value::from(workspace)),
        forces_replacement: false,
    }];
    changes.extend(diff::diff(&live_view, &view::view(&lowered.scene)));
    Some(SceneChange {
        kind: super::Kind::Scene,
        key: lowered.key.clone(),
        name: lowered.scene.scene_name.clone().unwrap_or_default(),
        action: if current.running {
            Action::StopThenUpdate
        } else {
            Action::Update
        },
        scene_id: current.scene.scene_id.clone(),
        changes,
        drifted: false,
        live_fingerprint: Some(view::fingerprint(&live_view)),
        run: runs(options, lowered.run, true),
    })
}

/// Whether a proposed change is an adoption.
pub fn is_adoption(change: &SceneChange) -> bool {
    change
        .changes
        .first()
        .is_some_and(|c| c.path.len() == 1 && c.path[0] == OWNER)
}

/// `live` with every scene an adoption of `plan` takes over carrying this workspace's
/// marker under its key, as the applier expects to find the scenes it updates. Only the
/// applier's view changes: before-images are taken from the scenes as read.
pub fn as_owned(live: &[Live], plan: &super::Plan, workspace: &str) -> Vec<Live> {
    let mut out = live.to_vec();
    for change in plan
        .scenes
        .iter()
        .filter(|c| c.kind.is_scene() && is_adoption(c))
    {
        let Some(l) = out
            .iter_mut()
            .find(|l| l.scene.scene_id.is_some() && l.scene.scene_id == change.scene_id)
        else {
            continue;
        };
        let marker = Marker {
            v: MARKER_VERSION,
            workspace: workspace.to_owned(),
            key: change.key.clone(),
            ..Marker::default()
        };
        l.scene
            .global_parameter_list
            .retain(|p| p.param_name.as_deref() != Some(MARKER_PARAM));
        l.scene.global_parameter_list.push(marker.to_parameter());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::RunPolicy;
    use crate::wire;

    fn scene(json: serde_json::Value) -> wire::Scene {
        serde_json::from_value(json).expect("scene")
    }

    #[test]
    fn an_unowned_scene_named_by_adopt_is_updated_with_only_the_owner_changing() {
        let made_elsewhere = scene(serde_json::json!({
            "SceneId": "ABC123", "SceneName": "order",
            "RelationList": [{"RelationName": "r", "ApiList": [{"ApiName": "a",
                "Url": "http://127.0.0.1/", "Method": "GET"}]}],
        }));
        let mut desired = made_elsewhere.clone();
        desired.scene_id = None;
        desired.global_parameter_list.push(
            Marker {
                v: 1,
                workspace: "w".into(),
                key: "order".into(),
                ..Marker::default()
            }
            .to_parameter(),
        );
        let lowered = Lowered {
            key: "order".into(),
            scene: desired,
            run: RunPolicy::Manual,
            adopt: Some("ABC123".into()),
        };
        let live = vec![Live {
            scene: made_elsewhere,
            running: false,
        }];
        let p = super::super::plan(
            "w",
            std::slice::from_ref(&lowered),
            &live,
            Options::default(),
        );
        let change = &p.scenes[0];
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.scene_id.as_deref(), Some("ABC123"));
        assert!(is_adoption(change));
        assert_eq!(change.changes.len(), 1, "{:#?}", change.changes);
        assert_eq!(change.changes[0].after, Some(Value::from("w")));
        let owned = as_owned(&live, &p, "w");
        let marker = Marker::of(&owned[0].scene).expect("marker");
        assert_eq!(
            (marker.workspace.as_str(), marker.key.as_str()),
            ("w", "order")
        );
        assert!(
            Marker::of(&live[0].scene).is_none(),
            "the live state read is kept"
        );

        // A vanished id is created anew.
        let p = super::super::plan("w", &[lowered], &[], Options::default());
        assert_eq!(p.scenes[0].action, Action::Create);
    }
}
