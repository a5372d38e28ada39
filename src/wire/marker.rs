//! ptsplan's marker on the scenes it manages: one global parameter holding compact JSON.
//!
//! PTS scenes have no tags, so ownership, the scene's key in the plan and the settings PTS
//! cannot express (sub-minute durations for the local backend, token refresh policies) ride
//! in a global parameter named [`MARKER_PARAM`]. PTS treats it as an unused constant; the
//! planner reads it to recognise owned scenes, and the local engine reads it to run the
//! scene exactly as planned.

use serde::{Deserialize, Serialize};

use super::{GlobalParameter, Property, Scene};

/// Name of the marker global parameter (the `ptsplan_` prefix is reserved in plans).
pub const MARKER_PARAM: &str = "ptsplan_meta";

/// What the marker holds. Unknown keys are ignored so older ptsplan versions can read
/// markers written by newer ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Marker format version.
    pub v: u32,
    /// The plan workspace that owns the scene.
    pub workspace: String,
    /// The scene's key in the plan (stable across renames of the PTS scene name).
    pub key: String,
    /// Exact run length in milliseconds when it is not a whole number of minutes
    /// (`LoadConfig.MaxRunningTime` holds it rounded up); honoured by the local engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Exact time per ramp level in milliseconds (`LoadConfig.KeepTime` holds minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_time_ms: Option<u64>,
    /// Token steps and how they refresh, per relation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenStep>,
    /// Fingerprint of the scene as ptsplan last applied it (written by the applier); a live
    /// scene whose own fingerprint differs was changed outside ptsplan (drift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// The token request at the head of a relation and its refresh policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenStep {
    /// `RelationName` of the relation whose first API fetches the token.
    pub relation: String,
    /// `ApiName` of that token API.
    pub api: String,
    /// Declared token lifetime in milliseconds.
    pub ttl_ms: u64,
    /// `per_iteration`, `before_expiry`, `interval` or `once`.
    pub refresh: String,
    /// Refresh period in milliseconds for `interval`, margin before expiry for
    /// `before_expiry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_ms: Option<u64>,
}

impl Marker {
    /// The marker of a scene, if it carries a readable one.
    pub fn of(scene: &Scene) -> Option<Marker> {
        let param = scene
            .global_parameter_list
            .iter()
            .find(|p| p.param_name.as_deref() == Some(MARKER_PARAM))?;
        serde_json::from_str(param.param_value.as_deref()?).ok()
    }

    /// The marker of a JMeter scene or environment: the JMeter property named
    /// [`MARKER_PARAM`] (neither has tags or a free description that `Save…` keeps, and
    /// properties round-trip unchanged; JMeter ignores a property no script reads).
    pub fn of_properties(properties: &[Property]) -> Option<Marker> {
        let property = properties
            .iter()
            .find(|p| p.name.as_deref() == Some(MARKER_PARAM))?;
        serde_json::from_str(property.value.as_deref()?).ok()
    }

    /// The marker as the JMeter property that carries it.
    pub fn to_property(&self) -> Property {
        Property {
            name: Some(MARKER_PARAM.to_owned()),
            value: Some(serde_json::to_string(self).unwrap_or_default()),
            ..Property::default()
        }
    }

    /// The marker as the global parameter that carries it.
    pub fn to_parameter(&self) -> GlobalParameter {
        GlobalParameter {
            param_name: Some(MARKER_PARAM.to_owned()),
            param_value: Some(serde_json::to_string(self).unwrap_or_default()),
            ..GlobalParameter::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_round_trips_through_the_scene() {
        let marker = Marker {
            v: 1,
            workspace: "mall-mp".into(),
            key: "create-order".into(),
            duration_ms: Some(10_000),
            keep_time_ms: None,
            tokens: vec![TokenStep {
                relation: "buyer".into(),
                api: "token".into(),
                ttl_ms: 7_200_000,
                refresh: "before_expiry".into(),
                refresh_ms: Some(300_000),
            }],
            fingerprint: Some("0123456789abcdef".into()),
        };
        let scene = Scene {
            global_parameter_list: vec![marker.to_parameter()],
            ..Scene::default()
        };
        assert_eq!(Marker::of(&scene), Some(marker.clone()));
        assert_eq!(Marker::of(&Scene::default()), None);
        let properties = [Property::default(), marker.to_property()];
        assert_eq!(Marker::of_properties(&properties), Some(marker));
        assert_eq!(Marker::of_properties(&properties[..1]), None);
    }
}
