//! Planning JMeter environments and JMeter scenes: the same identity, adoption, diff and
//! action rules as PTS scenes ([`super::plan_viewed`]), over their own views.
//!
//! Views are name-keyed JSON like a PTS scene's: properties and files by name, the ownership
//! marker left out. A JMeter scene's script is in its view as XML **text** (`jmx`), so a
//! changed script diffs as lines (the renderer shows multi-line text as a unified diff). The
//! live text is read back from OSS by the caller; an unchanged script has the same
//! content-addressed address as the plan's, whose text is then used without a read. A script
//! that cannot be read shows as its address. The environment a scene uses is shown by its
//! key in the plan (live: the key of the owned environment with that id), so re-creating an
//! environment does not show as a change of every scene using it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Action, FieldChange, Options, Plan, SceneChange, adopt::OWNER, diff, view};
use crate::lower::{LoweredEnv, LoweredJMeter};
use crate::spec::model::RunPolicy;
use crate::wire::{self, MARKER_PARAM, Marker};

/// What kind of thing a planned change is about; it names the address (`scene.KEY`…).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A PTS scene (`scenes`).
    #[default]
    Scene,
    /// A JMeter environment (`environments`).
    Environment,
    /// A JMeter scene (`jmeter_scenes`).
    #[serde(rename = "jmeter_scene")]
    JMeterScene,
}

impl Kind {
    /// The address prefix of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Scene => "scene",
            Kind::Environment => "environment",
            Kind::JMeterScene => "jmeter_scene",
        }
    }

    /// `prefix.key`, how plans, progress and journals name one thing.
    pub fn address(self, key: &str) -> String {
        format!("{}.{key}", self.prefix())
    }

    /// Whether this is a PTS scene (for `skip_serializing_if`).
    pub fn is_scene(&self) -> bool {
        *self == Kind::Scene
    }
}

/// A live JMeter scene as read from the backend.
#[derive(Debug, Clone, Default)]
pub struct LiveJMeter {
    pub scene: wire::OpenJMeterScene,
    /// Whether a run is in progress.
    pub running: bool,
    /// The script's text, when it could be read (see the module documentation).
    pub jmx: Option<String>,
}

/// A live environment as read from the backend.
#[derive(Debug, Clone, Default)]
pub struct LiveEnv {
    pub env: wire::Env,
}

/// The desired and live JMeter environments and scenes of one plan.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub desired_envs: Vec<LoweredEnv>,
    pub desired_scenes: Vec<LoweredJMeter>,
    pub live_envs: Vec<LiveEnv>,
    pub live_scenes: Vec<LiveJMeter>,
}

impl State {
    /// The live environment `workspace` owns under `key`.
    pub fn owned_env(&self, workspace: &str, key: &str) -> Option<&LiveEnv> {
        self.live_envs
            .iter()
            .find(|l| owns(Marker::of_properties(&l.env.properties), workspace, key))
    }

    /// The live JMeter scene `workspace` owns under `key`.
    pub fn owned_scene(&self, workspace: &str, key: &str) -> Option<&LiveJMeter> {
        self.live_scenes.iter().find(|l| {
            owns(
                Marker::of_properties(&l.scene.j_meter_properties),
                workspace,
                key,
            )
        })
    }

    /// The scripts the plan knows as text, by address: a live scene whose script has one of
    /// these addresses has that text (addresses are content-addressed).
    pub fn known_scripts(&self) -> Vec<crate::lower::Jmx> {
        self.desired_scenes
            .iter()
            .filter_map(|d| d.jmx.clone())
            .collect()
    }

    /// Whether the plan or the backend holds any JMeter environment or scene.
    pub fn is_empty(&self) -> bool {
        self.desired_envs.is_empty()
            && self.desired_scenes.is_empty()
            && self.live_envs.is_empty()
            && self.live_scenes.is_empty()
    }

    /// The key of the environment with live id `id`, as the plan names it: the key of the
    /// environment the plan adopts with that id, or of the owned one, else `id:ID`.
    fn env_key(&self, workspace: &str, id: &str) -> String {
        // An environment this plan adopts is named by its key already.
        if let Some(adopting) = self
            .desired_envs
            .iter()
            .find(|d| d.adopt.as_deref() == Some(id))
        {
            return adopting.key.clone();
        }
        self.live_envs
            .iter()
            .find(|l| l.env.env_id.as_deref() == Some(id))
            .and_then(|l| Marker::of_properties(&l.env.properties))
            .filter(|m| m.workspace == workspace)
            .map_or_else(|| format!("id:{id}"), |m| m.key)
    }

    /// The view of a live JMeter scene. Its script shows as text only when the plan's
    /// scene for it knows its own script as text (a plan naming the script by URL compares
    /// addresses).
    pub fn live_scene_view(&self, workspace: &str, live: &LiveJMeter) -> Value {
        let env = live
            .scene
            .environment_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .map(|id| self.env_key(workspace, id));
        let marker = Marker::of_properties(&live.scene.j_meter_properties)
            .filter(|m| m.workspace == workspace);
        let by_url = self.desired_scenes.iter().any(|d| {
            d.jmx.is_none()
                && (marker.as_ref().is_some_and(|m| m.key == d.key)
                    || (d.adopt.is_some() && d.adopt == live.scene.scene_id))
        });
        let jmx = live.jmx.as_deref().filter(|_| !by_url);
        scene_view(&live.scene, jmx, env)
    }
}

fn owns(marker: Option<Marker>, workspace: &str, key: &str) -> bool {
    marker.is_some_and(|m| m.workspace == workspace && m.key == key)
}

/// The view of a desired JMeter scene.
pub fn desired_scene_view(lowered: &LoweredJMeter) -> Value {
    scene_view(
        &lowered.scene,
        lowered.jmx.as_ref().map(|j| j.text.as_str()),
        lowered.environment.clone(),
    )
}

fn named_properties(properties: &[wire::Property]) -> Value {
    Value::Object(
        properties
            .iter()
            .filter(|p| p.name.as_deref() != Some(MARKER_PARAM))
            .map(|p| {
                (
                    p.name.clone().unwrap_or_default(),
                    Value::from(p.value.clone().unwrap_or_default()),
                )
            })
            .collect(),
    )
}

fn named_files<'a>(files: impl Iterator<Item = &'a wire::OssFile>) -> Value {
    Value::Object(
        files
            .map(|f| {
                (
                    f.file_name.clone().unwrap_or_default(),
                    Value::from(f.file_oss_address.clone().unwrap_or_default()),
                )
            })
            .collect(),
    )
}

/// The normalized view of an environment.
pub fn env_view(env: &wire::Env) -> Value {
    json!({
        "name": env.env_name.clone().unwrap_or_default(),
        "properties": named_properties(&env.properties),
        "files": named_files(env.files.iter()),
    })
}

/// The normalized view of a JMeter scene whose script reads as `jmx` and which uses the
/// environment `env` (a plan key).
pub fn scene_view(scene: &wire::OpenJMeterScene, jmx: Option<&str>, env: Option<String>) -> Value {
    let test_file = scene.test_file.clone().unwrap_or_default();
    let script = scene
        .file_list
        .iter()
        .find(|f| f.file_name.as_deref() == Some(test_file.as_str()));
    let jmx = jmx.map(str::to_owned).unwrap_or_else(|| {
        script
            .and_then(|f| f.file_oss_address.clone())
            .unwrap_or_default()
    });
    let others = || {
        scene
            .file_list
            .iter()
            .filter(|f| f.file_name.as_deref() != Some(test_file.as_str()))
    };
    let split: Vec<Value> = others()
        .filter(|f| f.split_csv == Some(true))
        .filter_map(|f| f.file_name.clone().map(Value::from))
        .collect();
    let rps = scene.mode.as_ref().is_some_and(wire::TestMode::is_tps);
    let mut load = Map::new();
    load.insert(
        "mode".into(),
        Value::from(if rps { "rps" } else { "concurrency" }),
    );
    let pairs = [
        ("duration_seconds", scene.duration),
        ("agents", scene.agent_count),
        (
            "start",
            if rps {
                scene.start_rps
            } else {
                scene.start_concurrency
            },
        ),
        (
            "max",
            if rps {
                scene.max_rps
            } else {
                scene.concurrency
            },
        ),
        ("ramp_up_seconds", scene.ramp_up.filter(|r| *r > 0)),
        ("ramp_steps", scene.steps.filter(|s| *s > 0)),
    ];
    for (key, value) in pairs {
        if let Some(value) = value {
            load.insert(key.into(), Value::from(value));
        }
    }
    let mut out = Map::new();
    out.insert(
        "name".into(),
        Value::from(scene.scene_name.clone().unwrap_or_default()),
    );
    out.insert("test_file".into(), Value::from(test_file.clone()));
    out.insert("jmx".into(), Value::from(jmx));
    out.insert("files".into(), named_files(others()));
    if !split.is_empty() {
        out.insert("split_csv".into(), Value::Array(split));
    }
    out.insert(
        "properties".into(),
        named_properties(&scene.j_meter_properties),
    );
    out.insert("load".into(), Value::Object(load));
    let regions: Map<String, Value> = scene
        .regional_condition
        .iter()
        .map(|r| {
            (
                r.region.clone().unwrap_or_default(),
                Value::from(r.amount.unwrap_or(0)),
            )
        })
        .collect();
    out.insert("regions".into(), Value::Object(regions));
    // A DNS setting with nothing set (what PTS may return for none) is no setting.
    let dns = scene.dns_cache_config.as_ref().filter(|dns| {
        dns.clear_cache_each_iteration == Some(true)
            || !dns.dns_servers.is_empty()
            || dns.host_table.as_ref().is_some_and(|t| !t.is_empty())
    });
    if let Some(dns) = dns {
        let mut servers = dns.dns_servers.clone();
        servers.sort();
        out.insert(
            "dns".into(),
            json!({
                "clear_cache_each_iteration": dns.clear_cache_each_iteration.unwrap_or(false),
                "servers": servers,
                "hosts": dns.host_table.clone().unwrap_or_default(),
            }),
        );
    }
    if let Some(env) = env {
        out.insert("environment".into(), Value::from(env));
    }
    Value::Object(out)
}

/// One thing the plan wants, in the terms the shared rules need.
struct Wanted<'a> {
    key: &'a str,
    name: String,
    adopt: Option<&'a str>,
    view: Value,
    /// When it runs (environments never do).
    run: RunPolicy,
}

/// One thing read from the backend.
struct Found {
    id: Option<String>,
    name: String,
    marker: Option<Marker>,
    running: bool,
    view: Value,
}

/// Plans the environments and JMeter scenes of `state` for `workspace`: environment changes
/// first, then JMeter scenes. Adds to `out` (changes and notes).
pub fn plan(workspace: &str, state: &State, options: Options, out: &mut Plan) {
    let wanted: Vec<Wanted<'_>> = state
        .desired_envs
        .iter()
        .map(|d| Wanted {
            key: &d.key,
            name: d.env.env_name.clone().unwrap_or_default(),
            adopt: d.adopt.as_deref(),
            view: env_view(&d.env),
            run: RunPolicy::Manual,
        })
        .collect();
    let found: Vec<Found> = state
        .live_envs
        .iter()
        .map(|l| Found {
            id: l.env.env_id.clone(),
            name: l.env.env_name.clone().unwrap_or_default(),
            marker: Marker::of_properties(&l.env.properties),
            running: false,
            view: env_view(&l.env),
        })
        .collect();
    plan_kind(Kind::Environment, workspace, &wanted, &found, options, out);
    let wanted: Vec<Wanted<'_>> = state
        .desired_scenes
        .iter()
        .map(|d| Wanted {
            key: &d.key,
            name: d.scene.scene_name.clone().unwrap_or_default(),
            adopt: d.adopt.as_deref(),
            view: desired_scene_view(d),
            run: d.run,
        })
        .collect();
    let found: Vec<Found> = state
        .live_scenes
        .iter()
        .map(|l| Found {
            id: l.scene.scene_id.clone(),
            name: l.scene.scene_name.clone().unwrap_or_default(),
            marker: Marker::of_properties(&l.scene.j_meter_properties),
            running: l.running,
            view: state.live_scene_view(workspace, l),
        })
        .collect();
    plan_kind(Kind::JMeterScene, workspace, &wanted, &found, options, out);
}

/// The shared rules for one kind: owned (by marker key) → diff; `adopt` of an existing id →
/// an update whose first change is the owner; otherwise create. Owned things left out of
/// the plan are deleted with `prune`, else noted. Updates are always in place (`SaveEnv`
/// and `SaveOpenJMeterScene` take every field); a running scene is stopped first.
fn plan_kind(
    kind: Kind,
    workspace: &str,
    wanted: &[Wanted<'_>],
    found: &[Found],
    options: Options,
    out: &mut Plan,
) {
    let owned: Vec<(&Marker, &Found)> = found
        .iter()
        .filter_map(|f| f.marker.as_ref().map(|m| (m, f)))
        .filter(|(m, _)| m.workspace == workspace)
        .collect();
    let change = |key: &str, name: String, action, current: Option<&Found>, changes| SceneChange {
        kind,
        key: key.to_owned(),
        name,
        action,
        scene_id: current.and_then(|f| f.id.clone()),
        changes,
        drifted: false,
        live_fingerprint: current.map(|f| view::fingerprint(&f.view)),
        run: false,
    };
    let in_place = |running: bool| {
        if running {
            Action::StopThenUpdate
        } else {
            Action::Update
        }
    };
    for w in wanted {
        if let Some((marker, current)) = owned.iter().find(|(m, _)| m.key == w.key) {
            let changes = diff::diff(&current.view, &w.view);
            let run = super::runs(options, w.run, !changes.is_empty());
            let action = match (changes.is_empty(), run) {
                (true, true) => Action::Start,
                (true, false) => Action::NoOp,
                (false, _) => in_place(current.running),
            };
            let mut planned = change(w.key, w.name.clone(), action, Some(current), changes);
            planned.run = run;
            planned.drifted = marker
                .fingerprint
                .as_ref()
                .is_some_and(|applied| Some(applied) != planned.live_fingerprint.as_ref());
            out.scenes.push(planned);
            continue;
        }
        let adopted = w
            .adopt
            .and_then(|id| found.iter().find(|f| f.id.as_deref() == Some(id)));
        if let Some(current) = adopted {
            let mut changes = vec![FieldChange {
                path: vec![OWNER.to_owned()],
                before: current
                    .marker
                    .as_ref()
                    .map(|m| Value::from(m.workspace.clone())),
                after: Some(Value::from(workspace)),
                forces_replacement: false,
            }];
            changes.extend(diff::diff(&current.view, &w.view));
            let action = in_place(current.running);
            let mut planned = change(w.key, w.name.clone(), action, Some(current), changes);
            planned.run = super::runs(options, w.run, true);
            out.scenes.push(planned);
            continue;
        }
        let changes = diff::diff(&json!({}), &w.view);
        let mut planned = change(w.key, w.name.clone(), Action::Create, None, changes);
        planned.run = super::runs(options, w.run, true);
        out.scenes.push(planned);
    }
    for (marker, current) in &owned {
        if wanted.iter().any(|w| w.key == marker.key) {
            continue;
        }
        if options.prune {
            let changes = diff::diff(&current.view, &json!({}));
            let action = Action::Delete;
            out.scenes.push(change(
                &marker.key,
                current.name.clone(),
                action,
                Some(current),
                changes,
            ));
        } else {
            out.notes.push(format!(
                "{} (`{}`) is owned by workspace `{workspace}` but no longer in the plan; it is kept (plan with --prune to delete it)",
                kind.address(&marker.key),
                current.name
            ));
        }
    }
}

/// Whether a JMeter scene's status says it runs.
pub fn is_running(status: Option<&wire::JMeterSceneStatus>) -> bool {
    use wire::JMeterSceneStatus as S;
    matches!(
        status,
        Some(S::Preparing | S::Prepared | S::Starting | S::Running | S::Stopping)
    )
}

#[cfg(test)]
pub(crate) mod tests;
