//! `ptsplan import` of JMeter environments and JMeter scenes (`--env-id`,
//! `--jmeter-scene-id`, and `--all`): each becomes `DIR/environment-KEY.yaml` or
//! `DIR/jmeter-KEY.yaml` with `adopt: ID`, and the files they name (the JMX script, CSV,
//! JAR) are copied from OSS to `DIR/files/KEY/NAME` when the `[data]` store can read them;
//! a file it cannot read stays named by its OSS address. A JMeter scene's environment is
//! imported with it unless the workspace owns it already.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::backend::Connection;
use super::{Exit, GlobalArgs};
use crate::lift::jmeter::{key_of, lift_env, lift_scene};
use crate::lift::secrets::Secrets;
use crate::lift::yaml::Document;
use crate::plan::jmeter::{LiveEnv, LiveJMeter};
use crate::spec::model::Plan;
use crate::wire::{GetOpenJMeterScene, Marker};

/// What to import.
pub(super) struct Wanted<'a> {
    pub all: bool,
    pub scene_ids: &'a [String],
    pub env_ids: &'a [String],
    pub out: &'a Path,
    pub workspace: &'a str,
    pub force: bool,
}

/// Imports the JMeter side; returns the files written (none when there was nothing to
/// import). Problems are printed and their exit code returned.
pub(super) fn import(
    global: &GlobalArgs,
    connection: &Connection,
    runtime: &tokio::runtime::Runtime,
    wanted: &Wanted<'_>,
) -> Result<Vec<PathBuf>, Exit> {
    let client = &connection.client;
    let live_envs = runtime
        .block_on(crate::live::read_envs(client))
        .map_err(|e| connection.report(global, &e))?;
    let owned = |properties: &[crate::wire::Property]| {
        Marker::of_properties(properties).is_some_and(|m| m.workspace == wanted.workspace)
    };
    let scenes: Vec<LiveJMeter> = if wanted.all {
        let (_, scenes) = runtime
            .block_on(crate::live::read_jmeter(client, None, &[]))
            .map_err(|e| connection.report(global, &e))?;
        scenes
            .into_iter()
            .filter(|s| !owned(&s.scene.j_meter_properties))
            .collect()
    } else {
        let mut scenes = Vec::new();
        for id in wanted.scene_ids {
            let request = GetOpenJMeterScene {
                scene_id: id.clone(),
            };
            let answer = runtime
                .block_on(client.call(&request))
                .map_err(|e| connection.report(global, &e))?;
            scenes.extend(answer.scene.map(|scene| LiveJMeter {
                scene,
                ..LiveJMeter::default()
            }));
        }
        scenes
    };
    // The environments to import: asked for, or used by an imported scene, and not owned.
    let used: Vec<&str> = scenes
        .iter()
        .filter_map(|s| s.scene.environment_id.as_deref())
        .collect();
    let envs: Vec<&LiveEnv> = live_envs
        .iter()
        .filter(|e| {
            let id = e.env.env_id.as_deref().unwrap_or_default();
            (wanted.all || wanted.env_ids.iter().any(|w| w == id) || used.contains(&id))
                && !owned(&e.env.properties)
        })
        .collect();
    for id in wanted.env_ids {
        if !live_envs
            .iter()
            .any(|e| e.env.env_id.as_deref() == Some(id.as_str()))
        {
            eprintln!("error: environment {id} does not exist");
            return Err(Exit::Error);
        }
    }
    if envs.is_empty() && scenes.is_empty() {
        return Ok(Vec::new());
    }
    let settings = &connection.settings;
    let data = super::plan::data_store(global)?;
    let oss = crate::oss::OssClient::new(
        data.clone(),
        settings.endpoint.clone(),
        settings.credential.credential.clone(),
    )
    .ok();
    let mut fetched: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut unread: Vec<String> = Vec::new();
    let mut copy = |key: &str, name: &str, address: &str| -> String {
        let bytes = oss.as_ref().and_then(|oss| {
            let (_, object) = crate::oss::candidates(address)
                .into_iter()
                .find(|(bucket, _)| *bucket == oss.store().bucket)?;
            runtime.block_on(oss.get_object(&object)).ok()?
        });
        match bytes {
            Some(bytes) => {
                let local = format!("files/{key}/{}", crate::oss::safe_file_name(name, "file"));
                fetched.push((wanted.out.join(&local), bytes));
                local
            }
            None => {
                unread.push(address.to_owned());
                address.to_owned()
            }
        }
    };
    let mut secrets = Secrets::default();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut env_keys: BTreeMap<String, String> = BTreeMap::new();
    for live in &live_envs {
        let env = &live.env;
        if let (Some(id), Some(m)) = (&env.env_id, Marker::of_properties(&env.properties)) {
            if m.workspace == wanted.workspace {
                env_keys.insert(id.clone(), m.key);
            }
        }
    }
    let mut taken: Vec<String> = Vec::new();
    for live in &envs {
        let env = &live.env;
        let key = unique(
            key_of(
                &env.properties,
                env.env_name.as_deref(),
                env.env_id.as_deref(),
            ),
            &mut taken,
        );
        let id = env.env_id.clone().unwrap_or_default();
        env_keys.insert(id.clone(), key.clone());
        let before = secrets.uses.len();
        let mut lifted = lift_env(env, &key, &mut secrets, &mut |name, address| {
            copy(&key, name, address)
        });
        lifted.adopt = Some(id.clone());
        let plan = Plan {
            version: 1,
            workspace: wanted.workspace.to_owned(),
            environments: [(key.clone(), lifted)].into_iter().collect(),
            ..Plan::default()
        };
        let header = header(&format!("JMeter environment {id}"), &secrets, before);
        files.push((
            wanted.out.join(format!("environment-{key}.yaml")),
            write(
                plan,
                header,
                &["environments", &key, "adopt"],
                &id,
                wanted.workspace,
            ),
        ));
    }
    let mut taken: Vec<String> = Vec::new();
    for live in &scenes {
        let scene = &live.scene;
        let key = unique(
            key_of(
                &scene.j_meter_properties,
                scene.scene_name.as_deref(),
                scene.scene_id.as_deref(),
            ),
            &mut taken,
        );
        let id = scene.scene_id.clone().unwrap_or_default();
        let environment = scene
            .environment_id
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(|e| env_keys.get(e).cloned().unwrap_or_else(|| e.to_owned()));
        let before = secrets.uses.len();
        let mut lifted = lift_scene(
            scene,
            &key,
            environment,
            &mut secrets,
            &mut |name, address| copy(&key, name, address),
        );
        if !owned(&scene.j_meter_properties) {
            lifted.adopt = Some(id.clone());
        }
        let plan = Plan {
            version: 1,
            workspace: wanted.workspace.to_owned(),
            jmeter_scenes: [(key.clone(), lifted)].into_iter().collect(),
            ..Plan::default()
        };
        let header = header(&format!("JMeter scene {id}"), &secrets, before);
        files.push((
            wanted.out.join(format!("jmeter-{key}.yaml")),
            write(
                plan,
                header,
                &["jmeter_scenes", &key, "adopt"],
                &id,
                wanted.workspace,
            ),
        ));
    }
    let existing: Vec<String> = files
        .iter()
        .map(|(p, _)| p)
        .chain(fetched.iter().map(|(p, _)| p))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !wanted.force && !existing.is_empty() {
        eprintln!(
            "error: would overwrite {}\n  help: pass --force to overwrite them, or choose another --out directory",
            existing.join(", ")
        );
        return Err(Exit::Error);
    }
    for (path, bytes) in files
        .iter()
        .map(|(p, t)| (p, t.as_bytes()))
        .chain(fetched.iter().map(|(p, b)| (p, b.as_slice())))
    {
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(path, bytes));
        if let Err(error) = written {
            eprintln!("error: cannot write {}: {error}", path.display());
            return Err(Exit::Error);
        }
    }
    for address in unread {
        eprintln!(
            "warning: {address} cannot be read through the [data] store; the plan names it by its address"
        );
    }
    if !secrets.uses.is_empty() {
        eprintln!(
            "Secrets were replaced by ${{secret.NAME}} references (values not shown); set before `plan`:"
        );
        for s in &secrets.uses {
            eprintln!("  {}  ({})", s.name, s.place);
        }
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// `key`, or `key-2`, `key-3`… when taken; the result is taken.
fn unique(key: String, taken: &mut Vec<String>) -> String {
    let mut candidate = key.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{key}-{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

fn header(what: &str, secrets: &Secrets, before: usize) -> Vec<String> {
    let mut lines = vec![
        format!(
            "Imported by ptsplan {} from PTS {what}.",
            env!("CARGO_PKG_VERSION")
        ),
        "Review it, then `ptsplan plan`: it shows as updated in place with `owner` changing"
            .to_owned(),
        "(it is adopted); `ptsplan apply` marks it as owned (docs/import.md).".to_owned(),
    ];
    let mine = &secrets.uses[before..];
    if !mine.is_empty() {
        lines.push(String::new());
        lines.push(
            "Secrets were replaced by ${secret.NAME} references; set them before `plan`:".into(),
        );
        for s in mine {
            lines.push(format!("  {}  ({})", s.name, s.place));
        }
    }
    lines
}

fn write(plan: Plan, header: Vec<String>, adopt: &[&str], id: &str, workspace: &str) -> String {
    let mut doc = Document {
        header,
        ..Document::default()
    };
    doc.comment(
        adopt.iter().map(|s| (*s).to_owned()).collect(),
        format!("the first apply takes over {id} for workspace `{workspace}`"),
    );
    doc.write(&serde_json::to_value(&plan).unwrap_or_default())
}
