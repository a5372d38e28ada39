//! The saved plan (`ptsplan plan -o plan.json`): the one place that knows its encoding.
//!
//! A saved plan holds what apply will send (each desired scene as PTS takes it) and, for
//! every live scene it was made from, that scene's fingerprint, so `apply plan.json` can
//! refuse a plan whose live state moved since review (a stale plan). Secret values are never
//! written: every value that came from `${secret.NAME}` is stored as that reference and
//! resolved again from the environment when the plan is read back.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Action, Plan};
use crate::lower::Lowered;
use crate::redact::Redactor;
use crate::spec::interpolate::{RefKind, substitute};
use crate::wire;

/// Version of the saved-plan encoding.
pub const FORMAT_VERSION: u32 = 1;

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    /// The ptsplan version that wrote it.
    pub tool_version: String,
    /// RFC 3339 time it was made.
    pub created_at: String,
    pub workspace: String,
    /// The planned scenes, in apply order of the plan.
    pub scenes: Vec<SavedScene>,
}

/// One planned scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedScene {
    pub key: String,
    pub action: Action,
    pub run: bool,
    /// The live scene's id (absent for creations).
    pub scene_id: Option<String>,
    /// The fingerprint of the live scene the plan was made from (absent for creations).
    pub live_fingerprint: Option<String>,
    /// The scene to send, as JSON text with `${secret.NAME}` references in place of secret
    /// values (absent for deletions and runs of unchanged scenes).
    pub desired: Option<String>,
}

/// Why a saved plan cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a ptsplan saved plan: {reason}")]
    Invalid { path: String, reason: String },
    #[error(
        "{path} was written in saved-plan format {found}; this ptsplan reads format {FORMAT_VERSION}"
    )]
    Version { path: String, found: u32 },
    #[error("{path} needs the secret `{name}` in the environment to be applied")]
    MissingSecret { path: String, name: String },
    #[error(
        "the secret `{name}` holds quotes, backslashes or control characters, so a saved plan cannot keep it as a reference; apply from the plan files instead"
    )]
    Unreferenceable { name: String },
    #[error(
        "{address} would change, and saved plans do not carry JMeter scenes or environments yet; apply from the plan files instead (`ptsplan apply PATH`)"
    )]
    JMeter { address: String },
}

/// The saved form of `plan`, made from `desired` (the lowered scenes) and `redactor` (the
/// secrets lowering resolved).
pub fn save(
    workspace: &str,
    plan: &Plan,
    desired: &[Lowered],
    redactor: &Redactor,
) -> Result<SavedPlan, PlanFileError> {
    if let Some(name) = redactor.unreferenceable() {
        return Err(PlanFileError::Unreferenceable {
            name: name.to_owned(),
        });
    }
    if let Some(change) = plan
        .scenes
        .iter()
        .find(|c| !c.kind.is_scene() && c.action != Action::NoOp)
    {
        return Err(PlanFileError::JMeter {
            address: change.kind.address(&change.key),
        });
    }
    let scenes = plan
        .scenes
        .iter()
        .filter(|change| change.kind.is_scene())
        .map(|change| {
            let desired = desired
                .iter()
                .find(|d| d.key == change.key && change.action != Action::Delete)
                .and_then(|d| serde_json::to_string(&d.scene).ok())
                .map(|text| redactor.to_references(&text));
            SavedScene {
                key: change.key.clone(),
                action: change.action,
                run: change.run,
                scene_id: change.scene_id.clone(),
                live_fingerprint: change.live_fingerprint.clone(),
                desired,
            }
        })
        .collect();
    Ok(SavedPlan {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: jiff::Timestamp::now().to_string(),
        workspace: workspace.to_owned(),
        scenes,
    })
}

/// Reads a saved plan and checks its version.
pub fn read(path: &Path) -> Result<SavedPlan, PlanFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let probe: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| PlanFileError::Invalid {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
    let found = probe["format_version"].as_u64().unwrap_or(0);
    if found != u64::from(FORMAT_VERSION) {
        return Err(PlanFileError::Version {
            path: shown,
            found: u32::try_from(found).unwrap_or(u32::MAX),
        });
    }
    serde_json::from_value(probe).map_err(|e| PlanFileError::Invalid {
        path: shown,
        reason: e.to_string(),
    })
}

/// Whether `path` is a saved plan rather than a plan file or directory, judged by its
/// content (a JSON object with `format_version` and `scenes`), whatever its name.
pub fn is_saved_plan(path: &Path) -> bool {
    if !path.is_file() {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    if !text.trim_start().starts_with('{') {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|value| value.get("format_version").is_some() && value.get("scenes").is_some())
}

/// The scene to send for `saved`, its secret references resolved with `env`; the secrets
/// are registered in `redactor`.
pub fn desired_scene(
    path: &Path,
    saved: &SavedScene,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<Option<wire::Scene>, PlanFileError> {
    let Some(text) = &saved.desired else {
        return Ok(None);
    };
    let resolved =
        resolve_references(text, env, redactor).map_err(|name| PlanFileError::MissingSecret {
            path: path.display().to_string(),
            name,
        })?;
    serde_json::from_str(&resolved)
        .map(Some)
        .map_err(|e| PlanFileError::Invalid {
            path: path.display().to_string(),
            reason: format!("scene `{}`: {e}", saved.key),
        })
}

/// JSON `text` (as written by [`Redactor::to_references`]) with every `${secret.NAME}`
/// replaced by the value of `NAME` in `env`, escaped for a JSON string; each value is
/// registered in `redactor`. `Err` names the first secret `env` does not have.
pub fn resolve_references(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<String, String> {
    let mut missing = None;
    let resolved = substitute(text, |kind| match kind {
        RefKind::Secret(name) => match env(name) {
            Some(value) => {
                redactor.add_named(name, &value);
                // The reference sits inside a JSON string: insert the value escaped.
                let quoted = serde_json::Value::from(value).to_string();
                Some(quoted[1..quoted.len() - 1].to_owned())
            }
            None => {
                missing.get_or_insert_with(|| (*name).to_owned());
                None
            }
        },
        _ => None,
    });
    match missing {
        Some(name) => Err(name),
        None => Ok(resolved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::SceneChange;
    use crate::spec::model::RunPolicy;

    const SECRET: &str = "wx-app-secret-value";

    fn fixture() -> (Plan, Vec<Lowered>, Redactor) {
        let scene: wire::Scene = serde_json::from_value(serde_json::json!({
            "SceneName": "mp-checkout",
            "RelationList": [{"RelationName": "buyer", "ApiList": [{"ApiName": "token:wx",
                "Url": "http://127.0.0.1/token", "Method": "POST",
                "Body": {"ContentType": "application/json", "BodyValue": format!("{{\"secret\":\"{SECRET}\"}}")}}]}]
        }))
        .expect("scene");
        let mut redactor = Redactor::default();
        redactor.add_named("WX_APP_SECRET", SECRET);
        let lowered = vec![Lowered {
            key: "checkout".into(),
            scene,
            run: RunPolicy::Manual,
            adopt: None,
        }];
        let plan = Plan {
            scenes: vec![SceneChange {
                kind: crate::plan::Kind::Scene,
                key: "checkout".into(),
                name: "mp-checkout".into(),
                action: Action::Update,
                scene_id: Some("NHBG6V".into()),
                changes: vec![],
                drifted: false,
                live_fingerprint: Some("00112233aabbccdd".into()),
                run: false,
            }],
            ..Plan::default()
        };
        (plan, lowered, redactor)
    }

    #[test]
    fn a_saved_plan_holds_references_not_secrets_and_reads_back_the_same_scene() {
        let (plan, lowered, redactor) = fixture();
        let saved = save("mall-mp", &plan, &lowered, &redactor).expect("saves");
        let text = serde_json::to_string_pretty(&saved).expect("json");
        assert!(!redactor.leaks(&text), "{text}");
        assert!(text.contains("${secret.WX_APP_SECRET}"));

        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("plan.json");
        std::fs::write(&path, &text).expect("write");
        let read_back = read(&path).expect("reads");
        assert_eq!(read_back, saved);
        let env = |name: &str| (name == "WX_APP_SECRET").then(|| SECRET.to_owned());
        let mut fresh = Redactor::default();
        let scene = desired_scene(&path, &read_back.scenes[0], &env, &mut fresh)
            .expect("resolves")
            .expect("a scene");
        assert_eq!(scene, lowered[0].scene);
        assert!(fresh.leaks(&serde_json::to_string(&scene).expect("json")));
    }

    #[test]
    fn a_missing_secret_or_another_format_is_refused() {
        let (plan, lowered, mut redactor) = fixture();
        let saved = save("mall-mp", &plan, &lowered, &redactor).expect("saves");
        redactor.add_named("QUOTED", "has \"quotes\"");
        assert!(matches!(
            save("mall-mp", &plan, &lowered, &redactor),
            Err(PlanFileError::Unreferenceable { .. })
        ));
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("plan.json");
        let err = desired_scene(&path, &saved.scenes[0], &|_| None, &mut Redactor::default())
            .expect_err("no secret");
        assert!(err.to_string().contains("WX_APP_SECRET"));
        std::fs::write(&path, r#"{"format_version": 9}"#).expect("write");
        assert!(matches!(
            read(&path),
            Err(PlanFileError::Version { found: 9, .. })
        ));
        std::fs::write(&path, "not json").expect("write");
        assert!(matches!(read(&path), Err(PlanFileError::Invalid { .. })));
        assert!(!is_saved_plan(&path));
        std::fs::write(&path, serde_json::to_string(&saved).expect("json")).expect("write");
        assert!(is_saved_plan(&path));
        assert!(!is_saved_plan(dir.path()));
    }
}
