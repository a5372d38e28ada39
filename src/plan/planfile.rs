//! The saved plan (`ptsplan plan -o plan.json`): the one place that knows its encoding.
//!
//! A saved plan holds what apply will send (each desired scene as PTS takes it) and, for
//! every live scene it was made from, that scene's fingerprint, so `apply plan.json` can
//! refuse a plan whose live state moved since review (a stale plan). Secret values are never
//! written: every value that came from `${secret.NAME}` is stored as that reference and
//! resolved again from the environment when the plan is read back.
//!
//! JMeter environments and JMeter scenes are saved the same way, as entries of their kind
//! (`"kind": "environment"` / `"jmeter_scene"`): the object to send, the environment a
//! scene uses (by key) and its script's text (the view its marker is stamped from). The
//! local data files the plan names (JMX scripts, CSV files) are saved by path and content
//! hash, so that `apply` can store them first, after checking they did not change.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Action, Kind, Plan};
use crate::lower::{Jmx, Lowered, LoweredEnv, LoweredJMeter};
use crate::redact::Redactor;
use crate::spec::interpolate::{RefKind, substitute};
use crate::wire;

/// Version of the saved-plan encoding written: 2 added environments, JMeter scenes and data
/// files (a ptsplan reading format 1 would take their entries for PTS scenes).
pub const FORMAT_VERSION: u32 = 2;
/// The oldest saved-plan encoding still read (format 1 holds PTS scenes only).
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    /// The ptsplan version that wrote it.
    pub tool_version: String,
    /// RFC 3339 time it was made.
    pub created_at: String,
    pub workspace: String,
    /// The planned scenes, environments and JMeter scenes, in the plan's order.
    pub scenes: Vec<SavedScene>,
    /// The local data files the desired objects name, for apply to store first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<SavedDataFile>,
}

/// A local data file of a saved plan: where it was read and what it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDataFile {
    /// As the plan names it.
    pub path: String,
    /// Where it was read from (relative to the directory `plan` ran in, unless absolute).
    pub local: String,
    /// Whether only its CSV records after the header line are stored (PTS data files),
    /// rather than the whole file (JMeter files).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub data_rows: bool,
    /// Lower-case hex SHA-256 of what is stored.
    pub sha256: String,
    /// The address the objects name it by.
    pub address: String,
}

/// One planned scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedScene {
    /// What the entry is about (absent: a PTS scene).
    #[serde(default, skip_serializing_if = "Kind::is_scene")]
    pub kind: Kind,
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
    /// A JMeter scene's environment, by key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// A JMeter scene's script: its address and text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jmx: Option<SavedJmx>,
}

/// The script of a saved JMeter scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedJmx {
    pub address: String,
    pub text: String,
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
        "{path} was written in saved-plan format {found}; this ptsplan reads formats {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"
    )]
    Version { path: String, found: u32 },
    #[error("{path} needs the secret `{name}` in the environment to be applied")]
    MissingSecret { path: String, name: String },
    #[error(
        "the secret `{name}` holds quotes, backslashes or control characters, so a saved plan cannot keep it as a reference; apply from the plan files instead"
    )]
    Unreferenceable { name: String },
    #[error(
        "the data file {path} changed since the plan was saved (sha256 {saved}… then, {now}… now); plan again"
    )]
    DataFileChanged {
        path: String,
        saved: String,
        now: String,
    },
    #[error("cannot read the data file {path} the saved plan names: {source}")]
    DataFile {
        path: String,
        source: std::io::Error,
    },
}

/// What a saved plan is made from: the lowered plan and the data files it names.
#[derive(Debug, Clone, Copy)]
pub struct Desired<'a> {
    pub scenes: &'a [Lowered],
    pub envs: &'a [LoweredEnv],
    pub jmeter: &'a [LoweredJMeter],
    pub files: &'a [crate::oss::DataFile],
}

/// The saved form of `plan`, made from `desired` (the lowered plan) and `redactor` (the
/// secrets lowering resolved).
pub fn save(
    workspace: &str,
    plan: &Plan,
    desired: Desired<'_>,
    redactor: &Redactor,
) -> Result<SavedPlan, PlanFileError> {
    if let Some(name) = redactor.unreferenceable() {
        return Err(PlanFileError::Unreferenceable {
            name: name.to_owned(),
        });
    }
    let text = |value: Option<String>| value.map(|text| redactor.to_references(&text));
    let scenes = plan
        .scenes
        .iter()
        .map(|change| {
            let sent = change.action != Action::Delete;
            let (object, environment, jmx) = match change.kind {
                Kind::Scene => (
                    desired
                        .scenes
                        .iter()
                        .find(|d| d.key == change.key && sent)
                        .and_then(|d| serde_json::to_string(&d.scene).ok()),
                    None,
                    None,
                ),
                Kind::Environment => (
                    desired
                        .envs
                        .iter()
                        .find(|d| d.key == change.key && sent)
                        .and_then(|d| serde_json::to_string(&d.env).ok()),
                    None,
                    None,
                ),
                Kind::JMeterScene => {
                    let found = desired.jmeter.iter().find(|d| d.key == change.key && sent);
                    (
                        found.and_then(|d| serde_json::to_string(&d.scene).ok()),
                        found.and_then(|d| d.environment.clone()),
                        found.and_then(|d| d.jmx.as_ref()).map(|j| SavedJmx {
                            address: j.address.clone(),
                            text: j.text.clone(),
                        }),
                    )
                }
            };
            SavedScene {
                kind: change.kind,
                key: change.key.clone(),
                action: change.action,
                run: change.run,
                scene_id: change.scene_id.clone(),
                live_fingerprint: change.live_fingerprint.clone(),
                desired: text(object),
                environment,
                jmx,
            }
        })
        .collect();
    Ok(SavedPlan {
        format_version: FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: jiff::Timestamp::now().to_string(),
        workspace: workspace.to_owned(),
        scenes,
        data_files: desired
            .files
            .iter()
            .map(|f| SavedDataFile {
                path: f.path.clone(),
                local: f.local.display().to_string(),
                data_rows: f.content == crate::oss::Content::DataRows,
                sha256: f.sha256.clone(),
                address: f.address.clone(),
            })
            .collect(),
    })
}

/// The data files of `saved`, read again from where `plan` read them (relative to `base`
/// unless absolute) and addressed in `store`; a file whose content changed since is an
/// error (the objects name it by its old content).
pub fn data_files(
    saved: &SavedPlan,
    base: &Path,
    store: &crate::oss::DataStore,
) -> Result<Vec<crate::oss::DataFile>, PlanFileError> {
    saved
        .data_files
        .iter()
        .map(|f| {
            let local = base.join(&f.local);
            let dir = local.parent().unwrap_or(base);
            let name = local
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let content = if f.data_rows {
                crate::oss::Content::DataRows
            } else {
                crate::oss::Content::Whole
            };
            let mut file =
                crate::oss::DataFile::read(dir, &name, content, store).map_err(|source| {
                    PlanFileError::DataFile {
                        path: f.local.clone(),
                        source,
                    }
                })?;
            if file.sha256 != f.sha256 {
                return Err(PlanFileError::DataFileChanged {
                    path: f.path.clone(),
                    saved: f.sha256.chars().take(12).collect(),
                    now: file.sha256.chars().take(12).collect(),
                });
            }
            file.path.clone_from(&f.path);
            Ok(file)
        })
        .collect()
}

/// The environment and JMeter scene to send for `saved` (by its kind), its secret
/// references resolved with `env`; the secrets are registered in `redactor`.
pub fn desired_jmeter(
    path: &Path,
    saved: &SavedScene,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<Option<JMeterSide>, PlanFileError> {
    if saved.kind.is_scene() {
        return Ok(None);
    }
    let Some(resolved) = resolved(path, saved, env, redactor)? else {
        return Ok(None);
    };
    let invalid = |e: serde_json::Error| invalid(path, saved, &e);
    // An update of a thing not owned yet is an adoption: the saved id names it.
    let adopt = (saved.action != Action::Create)
        .then(|| saved.scene_id.clone())
        .flatten();
    Ok(match saved.kind {
        Kind::Scene => None,
        Kind::Environment => Some(JMeterSide::Env(Box::new(LoweredEnv {
            key: saved.key.clone(),
            env: serde_json::from_str(&resolved).map_err(invalid)?,
            adopt,
        }))),
        Kind::JMeterScene => Some(JMeterSide::Scene(Box::new(LoweredJMeter {
            key: saved.key.clone(),
            scene: serde_json::from_str(&resolved).map_err(invalid)?,
            environment: saved.environment.clone(),
            jmx: saved.jmx.as_ref().map(|j| Jmx {
                address: j.address.clone(),
                text: j.text.clone(),
            }),
            adopt,
            // Runs are taken from the saved plan, not from a policy.
            run: crate::spec::model::RunPolicy::Manual,
        }))),
    })
}

/// A saved environment or JMeter scene, read back.
#[derive(Debug, Clone)]
pub enum JMeterSide {
    Env(Box<LoweredEnv>),
    Scene(Box<LoweredJMeter>),
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
    if !(u64::from(OLDEST_FORMAT_VERSION)..=u64::from(FORMAT_VERSION)).contains(&found) {
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

/// The scene to send for `saved` (a PTS scene entry), its secret references resolved with
/// `env`; the secrets are registered in `redactor`.
pub fn desired_scene(
    path: &Path,
    saved: &SavedScene,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<Option<wire::Scene>, PlanFileError> {
    if !saved.kind.is_scene() {
        return Ok(None);
    }
    let Some(resolved) = resolved(path, saved, env, redactor)? else {
        return Ok(None);
    };
    serde_json::from_str(&resolved)
        .map(Some)
        .map_err(|e| invalid(path, saved, &e))
}

/// The desired object's text of `saved`, its secret references resolved.
fn resolved(
    path: &Path,
    saved: &SavedScene,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<Option<String>, PlanFileError> {
    let Some(text) = &saved.desired else {
        return Ok(None);
    };
    resolve_references(text, env, redactor)
        .map(Some)
        .map_err(|name| PlanFileError::MissingSecret {
            path: path.display().to_string(),
            name,
        })
}

fn invalid(path: &Path, saved: &SavedScene, error: &serde_json::Error) -> PlanFileError {
    PlanFileError::Invalid {
        path: path.display().to_string(),
        reason: format!("{} `{}`: {error}", saved.kind.prefix(), saved.key),
    }
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

    fn desired(scenes: &[Lowered]) -> Desired<'_> {
        Desired {
            scenes,
            envs: &[],
            jmeter: &[],
            files: &[],
        }
    }

    #[test]
    fn a_saved_plan_holds_references_not_secrets_and_reads_back_the_same_scene() {
        let (plan, lowered, redactor) = fixture();
        let saved = save("mall-mp", &plan, desired(&lowered), &redactor).expect("saves");
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
    fn environments_and_jmeter_scenes_are_saved_with_their_script_and_data_files_checked() {
        let mut redactor = Redactor::default();
        redactor.add_named("WX_APP_SECRET", SECRET);
        let env = LoweredEnv {
            key: "shared".into(),
            env: wire::Env {
                env_name: Some("shared".into()),
                properties: vec![wire::Property {
                    name: Some("secret".into()),
                    value: Some(SECRET.into()),
                    ..wire::Property::default()
                }],
                ..wire::Env::default()
            },
            adopt: None,
        };
        let jmx = Jmx {
            address: "oss://b/k/orders.jmx".into(),
            text: "<jmeterTestPlan/>".into(),
        };
        let scene = LoweredJMeter {
            key: "orders".into(),
            scene: wire::OpenJMeterScene {
                scene_name: Some("orders".into()),
                ..wire::OpenJMeterScene::default()
            },
            environment: Some("shared".into()),
            jmx: Some(jmx.clone()),
            adopt: None,
            run: RunPolicy::Manual,
        };
        let change = |kind, key: &str| SceneChange {
            kind,
            key: key.into(),
            name: key.into(),
            action: Action::Create,
            scene_id: None,
            changes: vec![],
            drifted: false,
            live_fingerprint: None,
            run: false,
        };
        let plan = Plan {
            scenes: vec![
                change(Kind::Environment, "shared"),
                change(Kind::JMeterScene, "orders"),
            ],
            ..Plan::default()
        };
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("orders.jmx"), &jmx.text).expect("jmx");
        let store = crate::oss::DataStore::default();
        let file = crate::oss::DataFile::read(
            dir.path(),
            "orders.jmx",
            crate::oss::Content::Whole,
            &store,
        )
        .expect("file");
        let lowered = Desired {
            scenes: &[],
            envs: std::slice::from_ref(&env),
            jmeter: std::slice::from_ref(&scene),
            files: std::slice::from_ref(&file),
        };
        let saved = save("w", &plan, lowered, &redactor).expect("saves");
        let text = serde_json::to_string(&saved).expect("json");
        assert!(!redactor.leaks(&text), "{text}");

        let path = dir.path().join("plan.json");
        let lookup = |name: &str| (name == "WX_APP_SECRET").then(|| SECRET.to_owned());
        let mut fresh = Redactor::default();
        let Some(JMeterSide::Env(read_env)) =
            desired_jmeter(&path, &saved.scenes[0], &lookup, &mut fresh).expect("resolves")
        else {
            panic!("an environment");
        };
        assert_eq!(*read_env, env);
        let Some(JMeterSide::Scene(read_scene)) =
            desired_jmeter(&path, &saved.scenes[1], &lookup, &mut fresh).expect("resolves")
        else {
            panic!("a JMeter scene");
        };
        assert_eq!(*read_scene, scene);
        assert!(
            desired_scene(&path, &saved.scenes[1], &lookup, &mut fresh)
                .expect("no error")
                .is_none()
        );

        let files = data_files(&saved, dir.path(), &store).expect("unchanged");
        assert_eq!(files[0].address, file.address);
        std::fs::write(
            dir.path().join("orders.jmx"),
            "<jmeterTestPlan>changed</jmeterTestPlan>",
        )
        .expect("edit");
        assert!(matches!(
            data_files(&saved, dir.path(), &store),
            Err(PlanFileError::DataFileChanged { .. })
        ));
    }

    #[test]
    fn a_missing_secret_or_another_format_is_refused() {
        let (plan, lowered, mut redactor) = fixture();
        let saved = save("mall-mp", &plan, desired(&lowered), &redactor).expect("saves");
        redactor.add_named("QUOTED", "has \"quotes\"");
        assert!(matches!(
            save("mall-mp", &plan, desired(&lowered), &redactor),
            Err(PlanFileError::Unreferenceable { .. })
        ));
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("plan.json");
        let err = desired_scene(&path, &saved.scenes[0], &|_| None, &mut Redactor::default())
            .expect_err("no secret");
        assert!(err.to_string().contains("WX_APP_SECRET"));
        let mut older = saved.clone();
        older.format_version = 1;
        std::fs::write(&path, serde_json::to_string(&older).expect("json")).expect("write");
        assert_eq!(read(&path).expect("format 1 is read").scenes, saved.scenes);
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
