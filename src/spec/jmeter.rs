//! The plan-file model of JMeter scenes and JMeter environments (PTS reference §5.6, §5.7).
//!
//! Kept beside [`super::model`] (which re-exports these types and holds the two plan
//! sections) so the PTS-scene language and the JMeter one can grow independently. As in
//! `model`, the doc comments are what an editor shows on hover.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{LoadMode, RunPolicy, Scalar, Threshold};
use super::units::Duration;

/// A PTS JMeter scene: a JMX script with its data files, properties and load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JMeterScene {
    /// PTS scene name (default: the scene's key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text for reviewers; not sent to PTS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Id of an existing JMeter scene this entry takes over (written by `ptsplan import`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<String>,
    /// The JMX script, relative to the plan file (or the URL of a file already in OSS).
    /// `apply` stores it in the `[data]` bucket under a content-addressed key; `plan` shows
    /// changes to it as a line diff of the XML text.
    pub jmx: String,
    /// Other files the script reads (CSV, JAR), relative to the plan file or OSS URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Split each CSV file across the load generators instead of giving each a full copy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub split_csv: bool,
    /// JMeter properties (`-Jname=value`), by name; may use `${var.*}`, `${env.*}`,
    /// `${secret.*}` (never printed).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub properties: IndexMap<String, Scalar>,
    /// The load.
    pub load: JMeterLoad,
    /// Load generators per region, e.g. `{ cn-hangzhou: 2 }` (default: PTS decides).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub regions: IndexMap<String, u32>,
    /// DNS behaviour of the load generators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<JMeterDns>,
    /// Key of the environment (in `environments`) whose properties and files the scene
    /// uses; apply saves the environment before the scene.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Pass/fail criteria judged on the run's report, as for PTS scenes: `p99 < 300ms`
    /// scene-wide, or scoped with `chain:` (a thread group of the script) and `step:` (a
    /// sampler of it, by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<Threshold>>,
    /// When the scene runs: `manual` (only `ptsplan run`), `on_apply` (every apply with
    /// `--run`), `on_change` (after an apply that changed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunPolicy>,
}

/// The load of a JMeter scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JMeterLoad {
    /// `concurrency` (threads, the default) or `rps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<LoadMode>,
    /// Starting concurrency or RPS (default: `max`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// Maximum concurrency or RPS.
    pub max: u32,
    /// Total run time, 1m..24h (PTS counts whole seconds).
    pub duration: Duration,
    /// Time to reach `max` from `start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_up: Option<Duration>,
    /// Number of ramp steps (default: a linear ramp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_steps: Option<u32>,
    /// Load generators (default 1; at most 500 threads each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<u32>,
}

/// DNS settings of the load generators.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JMeterDns {
    /// Resolve host names again on every iteration (JMeter's DNS cache manager).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear_cache_each_iteration: bool,
    /// Resolvers to use instead of the system's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    /// Fixed host → address entries.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub hosts: IndexMap<String, String>,
}

/// A PTS JMeter environment: properties and files (e.g. plug-in JARs) shared by JMeter
/// scenes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// PTS environment name (default: the environment's key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text for reviewers; not sent to PTS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Id of an existing environment this entry takes over (written by `ptsplan import`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<String>,
    /// JMeter properties, by name (`${secret.*}` values are never printed).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub properties: IndexMap<String, Scalar>,
    /// Files (JAR, CSV), relative to the plan file or OSS URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}
