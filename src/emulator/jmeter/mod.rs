//! Running JMeter scenes locally with Apache JMeter (optional: see `install`).
//!
//! # Layout
//!
//! | module | holds |
//! |---|---|
//! | `install` | finding JMeter and Java ([`JMeterSetup`]), the launcher, the "not installed" error |
//! | `prepare` | the run folder: script, files, properties |
//! | `script` | reading a JMX's `${__P(…)}` and variables before the run |
//! | `targets` | the loopback / allow-list check of the script's servers |
//! | `load` | the scene's concurrency, ramp-up, duration and RPS written into the thread groups |
//! | `process` | the JMeter process, its watcher, stopping it |
//! | `jtl` | reading JMeter's CSV results as they grow |
//! | `stats`, `series` | the figures: totals, HDR percentiles, buckets over time, kept samples |
//!
//! # A run's path
//!
//! ```text
//! StartTestingJMeterScene ─▶ install::locate ─▶ prepare (targets, load) ─▶ process::start
//!        java PtsplanJMeter.java -n -t test.jmx -l result.jtl ─▶ result.jtl ─jtl─▶ Stats
//! GetJMeterSceneRunningData ◀── Stats (live)      end ─▶ Record (report, series, samples)
//! ```
//!
//! The handlers (`handlers/jmeter_runs.rs`, `handlers/jmeter_reports.rs`) own the lifecycle
//! and the run records; this module only runs JMeter and measures.

mod install;
mod jtl;
mod load;
mod prepare;
mod process;
mod script;
mod series;
mod stats;
mod targets;

use serde::{Deserialize, Serialize};

pub use install::JMeterSetup;
pub(crate) use prepare::{LOG, Request, WORK_DIR, prepare};
pub(crate) use process::JMeterRun;
pub(crate) use series::Series;
pub(crate) use stats::KeptSample;

use super::runs::RunState;
use crate::wire::{GetJMeterReportDetailsOutput, JMeterRunningData};

/// Why a run did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LaunchError {
    /// JMeter or Java is not installed; the text says how to install them.
    NotInstalled(String),
    /// The scene cannot run as it is (a file, a target, the load); the text says why.
    Refused(String),
}

/// Starts JMeter for `request`: finds it, prepares the folder, launches; returns the run
/// and its planned duration in seconds.
pub(crate) fn launch(
    setup: &JMeterSetup,
    request: &Request<'_>,
) -> Result<(JMeterRun, i64), LaunchError> {
    let installation = setup.locate().map_err(LaunchError::NotInstalled)?;
    let prepared = prepare(request).map_err(LaunchError::Refused)?;
    let run = JMeterRun::start(&installation, &prepared).map_err(LaunchError::Refused)?;
    Ok((run, prepared.load.duration_s))
}

/// A JMeter run as stored in `jmeter-runs/<ReportId>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub report_id: String,
    pub scene_id: String,
    pub scene_name: String,
    pub debug: bool,
    pub state: RunState,
    /// Epoch milliseconds.
    pub start_ms: i64,
    pub end_ms: Option<i64>,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub start_time: String,
    pub end_time: Option<String>,
    /// The planned duration, seconds (`HoldFor`).
    pub duration_s: i64,
    /// The report (load runs, once finished with results).
    #[serde(default)]
    pub report: Option<GetJMeterReportDetailsOutput>,
    /// The last live figures, answered by `GetJMeterSceneRunningData` after the end.
    #[serde(default)]
    pub last_data: Option<JMeterRunningData>,
    /// Figures over time.
    #[serde(default)]
    pub series: Option<Series>,
    /// Sampler index → name.
    #[serde(default)]
    pub samplers: Vec<String>,
    /// Kept samples.
    #[serde(default)]
    pub samples: Vec<KeptSample>,
    /// Why the run failed.
    #[serde(default)]
    pub error: Option<String>,
}

/// A JMeter run in progress, in memory.
pub(crate) struct Active {
    pub report_id: String,
    pub scene_name: String,
    pub debug: bool,
    /// Epoch milliseconds.
    pub start_ms: i64,
    pub duration_s: i64,
    pub run: JMeterRun,
}

/// The JMeter runs in progress, by scene id (a scene runs at most one at a time).
pub(crate) type ActiveRuns = super::runs::ActiveRuns<Active>;
