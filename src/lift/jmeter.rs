//! Lifting JMeter environments and JMeter scenes: wire shapes → plan entries, the inverse of
//! [`crate::lower`]'s JMeter half. Pure but for `fetch`, which the caller gives: it decides
//! what a file named by an OSS address becomes in the plan (a local copy's path, or the
//! address itself when it cannot be read).
//!
//! Properties named like credentials become `${secret.NAME}` references; the ownership
//! marker property is left out; values equal to what lowering writes by default (one load
//! generator, `start` equal to `max`) are left out.

use indexmap::IndexMap;

use super::secrets::Secrets;
use super::{key_from_name, scalar};
use crate::spec::model::{Environment, JMeterDns, JMeterLoad, JMeterScene, LoadMode, Scalar};
use crate::spec::units::Duration;
use crate::wire::{self, MARKER_PARAM, Marker};

/// What a plan names for the file `name` stored at `address`.
pub type Fetch<'a> = dyn FnMut(&str, &str) -> String + 'a;

/// The key an environment or JMeter scene gets in the plan: its marker's key, else one made
/// from its name.
pub fn key_of(properties: &[wire::Property], name: Option<&str>, id: Option<&str>) -> String {
    match Marker::of_properties(properties) {
        Some(m) if !m.key.is_empty() => m.key,
        _ => key_from_name(name.unwrap_or_default(), id),
    }
}

fn properties(
    properties: &[wire::Property],
    secrets: &mut Secrets,
    place: &str,
) -> IndexMap<String, Scalar> {
    properties
        .iter()
        .filter(|p| p.name.as_deref() != Some(MARKER_PARAM))
        .filter_map(|p| {
            let name = p.name.clone()?;
            let value = p.value.clone().unwrap_or_default();
            let value = secrets.value(&name, &value, &name, &format!("{place}, property {name}"));
            Some((name, scalar(&value)))
        })
        .collect()
}

/// Lifts an environment under `key`.
pub fn lift_env(
    env: &wire::Env,
    key: &str,
    secrets: &mut Secrets,
    fetch: &mut Fetch<'_>,
) -> Environment {
    let name = env.env_name.clone().unwrap_or_default();
    Environment {
        name: (name != key).then_some(name),
        description: None,
        adopt: None,
        properties: properties(&env.properties, secrets, &format!("environment {key}")),
        files: env
            .files
            .iter()
            .map(|f| {
                fetch(
                    f.file_name.as_deref().unwrap_or_default(),
                    f.file_oss_address.as_deref().unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// Lifts a JMeter scene under `key`; `environment` is the plan key of the environment it
/// uses.
pub fn lift_scene(
    scene: &wire::OpenJMeterScene,
    key: &str,
    environment: Option<String>,
    secrets: &mut Secrets,
    fetch: &mut Fetch<'_>,
) -> JMeterScene {
    let name = scene.scene_name.clone().unwrap_or_default();
    let test_file = scene.test_file.clone().unwrap_or_default();
    let mut jmx = String::new();
    let mut files = Vec::new();
    for f in &scene.file_list {
        let file_name = f.file_name.as_deref().unwrap_or_default();
        let named = fetch(file_name, f.file_oss_address.as_deref().unwrap_or_default());
        if file_name == test_file && jmx.is_empty() {
            jmx = named;
        } else {
            files.push(named);
        }
    }
    let rps = scene.mode.as_ref().is_some_and(wire::TestMode::is_tps);
    let (start, max) = if rps {
        (scene.start_rps, scene.max_rps)
    } else {
        (scene.start_concurrency, scene.concurrency)
    };
    let max = max.and_then(|m| u32::try_from(m).ok()).unwrap_or(1);
    let start = start
        .and_then(|s| u32::try_from(s).ok())
        .filter(|s| *s != max);
    let seconds = |s: i64| Duration::from_secs(u64::try_from(s).unwrap_or(0));
    let dns = scene.dns_cache_config.as_ref().map(|dns| JMeterDns {
        clear_cache_each_iteration: dns.clear_cache_each_iteration.unwrap_or(false),
        servers: dns.dns_servers.clone(),
        hosts: dns
            .host_table
            .iter()
            .flatten()
            .map(|(host, ip)| {
                let ip = ip.as_str().map_or_else(|| ip.to_string(), str::to_owned);
                (host.clone(), ip)
            })
            .collect(),
    });
    JMeterScene {
        name: (name != key).then_some(name),
        description: None,
        adopt: None,
        jmx,
        files,
        split_csv: scene.file_list.iter().any(|f| f.split_csv == Some(true)),
        properties: properties(
            &scene.j_meter_properties,
            secrets,
            &format!("JMeter scene {key}"),
        ),
        load: JMeterLoad {
            mode: rps.then_some(LoadMode::Rps),
            start,
            max,
            duration: seconds(scene.duration.unwrap_or(60)),
            ramp_up: scene.ramp_up.filter(|r| *r > 0).map(seconds),
            ramp_steps: scene
                .steps
                .filter(|s| *s > 0)
                .and_then(|s| u32::try_from(s).ok()),
            agents: scene
                .agent_count
                .and_then(|a| u32::try_from(a).ok())
                .filter(|a| *a != 1),
        },
        regions: scene
            .regional_condition
            .iter()
            .filter_map(|r| {
                Some((
                    r.region.clone()?,
                    u32::try_from(r.amount.unwrap_or(0)).unwrap_or(0),
                ))
            })
            .collect(),
        dns,
        environment,
        thresholds: None,
        run: None,
    }
}
