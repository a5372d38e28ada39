//! Lowering JMeter scenes and environments: plan entries → what `SaveOpenJMeterScene` and
//! `SaveEnv` take. Pure, like the rest of [`crate::lower`] (it reads the files it names).
//!
//! - The JMX script and every other file are addressed like data files: a content-addressed
//!   key in the `[data]` store, uploaded by `apply` before anything is saved; URLs stay.
//! - The JMX text is kept beside the scene ([`Jmx`]) so the planner can diff it as text.
//! - Ownership rides in a JMeter property named `ptsplan_meta` ([`Marker::to_property`]).
//! - The environment is referenced by key; the applier puts the live `EnvironmentId` in.

use std::path::Path;

use super::{MARKER_VERSION, Resolver, stored_file};
use crate::spec::model::{Environment, JMeterScene, LoadMode, Scalar};
use crate::wire::{self, Marker};

/// A JMeter scene as PTS should hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoweredJMeter {
    /// The scene's key in the plan.
    pub key: String,
    /// The desired scene: no `SceneId` and no `EnvironmentId` (the applier fills both).
    pub scene: wire::OpenJMeterScene,
    /// The key of the environment it uses.
    pub environment: Option<String>,
    /// The script's text, when it is a local file.
    pub jmx: Option<Jmx>,
    /// The id of an unowned live JMeter scene to take over.
    pub adopt: Option<String>,
    /// When the scene runs (the planner proposes runs from it).
    pub run: crate::spec::model::RunPolicy,
}

/// A JMX script: where the scene names it and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jmx {
    /// The `FileOssAddress` of the script.
    pub address: String,
    /// The XML text (lossy UTF-8).
    pub text: String,
}

/// An environment as PTS should hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoweredEnv {
    /// The environment's key in the plan.
    pub key: String,
    /// The desired environment (no `EnvId`).
    pub env: wire::Env,
    /// The id of an unowned live environment to take over.
    pub adopt: Option<String>,
}

/// Lowers every environment of the plan.
pub(super) fn lower_envs(r: &mut Resolver<'_>, dir: &Path) -> Vec<LoweredEnv> {
    let plan = r.plan;
    plan.environments
        .iter()
        .map(|(key, env)| {
            r.place = format!("environments.{key}");
            LoweredEnv {
                key: key.clone(),
                env: lower_env(r, dir, key, env),
                adopt: env.adopt.clone(),
            }
        })
        .collect()
}

/// Lowers every JMeter scene of the plan.
pub(super) fn lower_scenes(r: &mut Resolver<'_>, dir: &Path) -> Vec<LoweredJMeter> {
    let plan = r.plan;
    plan.jmeter_scenes
        .iter()
        .map(|(key, scene)| {
            r.place = format!("jmeter_scenes.{key}");
            lower_scene(r, dir, key, scene)
        })
        .collect()
}

fn marker(r: &Resolver<'_>, key: &str) -> wire::Property {
    Marker {
        v: MARKER_VERSION,
        workspace: r.plan.workspace.clone(),
        key: key.to_owned(),
        ..Marker::default()
    }
    .to_property()
}

fn properties(
    r: &mut Resolver<'_>,
    properties: &indexmap::IndexMap<String, Scalar>,
) -> Vec<wire::Property> {
    properties
        .iter()
        .map(|(name, value)| wire::Property {
            name: Some(name.clone()),
            value: Some(r.text(&value.to_string())),
            ..wire::Property::default()
        })
        .collect()
}

fn oss_file(r: &mut Resolver<'_>, dir: &Path, file: &str, split: bool) -> wire::OssFile {
    let (name, address) = stored_file(r, dir, file, crate::oss::Content::Whole);
    let csv = name.to_ascii_lowercase().ends_with(".csv");
    wire::OssFile {
        file_name: Some(name),
        file_oss_address: Some(address),
        split_csv: (split && csv).then_some(true),
        ..wire::OssFile::default()
    }
}

fn lower_env(r: &mut Resolver<'_>, dir: &Path, key: &str, env: &Environment) -> wire::Env {
    let mut props = properties(r, &env.properties);
    props.push(marker(r, key));
    wire::Env {
        env_name: Some(env.name.clone().unwrap_or_else(|| key.to_owned())),
        files: env
            .files
            .iter()
            .map(|f| oss_file(r, dir, f, false))
            .collect(),
        properties: props,
        ..wire::Env::default()
    }
}

fn lower_scene(r: &mut Resolver<'_>, dir: &Path, key: &str, scene: &JMeterScene) -> LoweredJMeter {
    let jmx_file = oss_file(r, dir, &scene.jmx, false);
    let jmx = (!scene.jmx.contains("://"))
        .then(|| std::fs::read(dir.join(r.text(&scene.jmx))).ok())
        .flatten()
        .map(|bytes| Jmx {
            address: jmx_file.file_oss_address.clone().unwrap_or_default(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        });
    let test_file = jmx_file.file_name.clone();
    let mut files = vec![jmx_file];
    for f in &scene.files {
        let file = oss_file(r, dir, f, scene.split_csv);
        if !files.iter().any(|other| other.file_name == file.file_name) {
            files.push(file);
        }
    }
    let mut props = properties(r, &scene.properties);
    props.push(marker(r, key));
    let load = &scene.load;
    let start = i64::from(load.start.unwrap_or(load.max));
    let max = i64::from(load.max);
    let rps = load.mode == Some(LoadMode::Rps);
    let seconds =
        |d: crate::spec::units::Duration| i64::try_from(d.as_millis() / 1000).unwrap_or(i64::MAX);
    let dns = scene.dns.as_ref().map(|dns| wire::DnsCacheConfig {
        clear_cache_each_iteration: Some(dns.clear_cache_each_iteration),
        dns_servers: dns.servers.clone(),
        host_table: (!dns.hosts.is_empty()).then(|| {
            dns.hosts
                .iter()
                .map(|(host, ip)| (host.clone(), serde_json::Value::from(r.text(ip))))
                .collect()
        }),
        ..wire::DnsCacheConfig::default()
    });
    let wire_scene = wire::OpenJMeterScene {
        scene_name: Some(scene.name.clone().unwrap_or_else(|| key.to_owned())),
        test_file,
        file_list: files,
        mode: Some(if rps {
            wire::TestMode::TpsMode
        } else {
            wire::TestMode::ConcurrencyMode
        }),
        duration: Some(seconds(load.duration)),
        agent_count: Some(i64::from(load.agents.unwrap_or(1))),
        concurrency: (!rps).then_some(max),
        start_concurrency: (!rps).then_some(start),
        max_rps: rps.then_some(max),
        start_rps: rps.then_some(start),
        ramp_up: load.ramp_up.map(seconds),
        steps: load.ramp_steps.map(i64::from),
        j_meter_properties: props,
        dns_cache_config: dns,
        regional_condition: scene
            .regions
            .iter()
            .map(|(region, amount)| wire::RegionalCondition {
                region: Some(region.clone()),
                amount: Some(i64::from(*amount)),
                ..wire::RegionalCondition::default()
            })
            .collect(),
        ..wire::OpenJMeterScene::default()
    };
    LoweredJMeter {
        key: key.to_owned(),
        scene: wire_scene,
        environment: scene.environment.clone(),
        jmx,
        adopt: scene.adopt.clone(),
        run: scene.run.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::jmeter::tests::{PLAN, SCRIPT, lowered};
    use crate::wire::{self, Marker};

    #[test]
    fn a_jmeter_scene_lowers_to_the_wire_shape_with_its_script_and_marker() {
        let lowering = lowered(PLAN, SCRIPT);
        let scene = &lowering.jmeter[0];
        assert_eq!(scene.environment.as_deref(), Some("shared"));
        let wire = &scene.scene;
        assert_eq!(wire.scene_name.as_deref(), Some("orders"));
        assert_eq!(wire.test_file.as_deref(), Some("orders.jmx"));
        let names: Vec<&str> = wire
            .file_list
            .iter()
            .filter_map(|f| f.file_name.as_deref())
            .collect();
        assert_eq!(names, ["orders.jmx", "users.csv"]);
        let jmx = scene.jmx.as_ref().expect("a local script is kept as text");
        assert_eq!(jmx.text, SCRIPT);
        assert_eq!(
            wire.file_list[0].file_oss_address.as_deref(),
            Some(jmx.address.as_str())
        );
        assert!(
            jmx.address.starts_with("oss://ptsplan-data/ptsplan/data/"),
            "content-addressed: {}",
            jmx.address
        );
        assert_eq!(
            (wire.duration, wire.ramp_up, wire.agent_count),
            (Some(120), Some(30), Some(1))
        );
        assert_eq!(
            (wire.concurrency, wire.start_concurrency, wire.max_rps),
            (Some(5), Some(5), None)
        );
        assert_eq!(wire.mode, Some(wire::TestMode::ConcurrencyMode));
        assert_eq!(wire.environment_id, None, "the applier fills it");
        let marker = Marker::of_properties(&wire.j_meter_properties).expect("marker");
        assert_eq!(
            (marker.workspace.as_str(), marker.key.as_str()),
            ("w", "orders")
        );
        let dns = wire.dns_cache_config.as_ref().expect("dns");
        assert_eq!(dns.clear_cache_each_iteration, Some(true));
        assert_eq!(wire.regional_condition[0].amount, Some(1));
        // The script and the CSV are uploaded by apply, once each.
        let uploads: Vec<&str> = lowering.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(uploads, ["orders.jmx", "users.csv"]);
    }

    #[test]
    fn environment_secrets_are_resolved_and_registered() {
        let lowering = lowered(PLAN, SCRIPT);
        let env = &lowering.envs[0].env;
        assert_eq!(env.env_name.as_deref(), Some("shared"));
        let token = env
            .properties
            .iter()
            .find(|p| p.name.as_deref() == Some("token"))
            .and_then(|p| p.value.clone());
        assert_eq!(token.as_deref(), Some("tok-very-secret"));
        assert!(lowering.redactor.leaks("tok-very-secret"));
        assert!(Marker::of_properties(&env.properties).is_some());
    }
}
