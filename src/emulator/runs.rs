//! Runs: the seam between the emulator and the load engine, and the run records kept on
//! disk.
//!
//! The emulator owns the lifecycle (plan ids, scene status, records, reports); a
//! [`RunDriver`] only executes a scene. [`Engine`] — the local load engine — is the driver
//! of every real server; tests may plug in their own.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::wire::{
    ApiSpeed, GetPtsReportDetailsOutput, GetPtsSceneRunningDataOutput, SamplingLog, Scene,
};

/// How to run a scene.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// A debug run: each chain once, every request sampled.
    pub debug: bool,
    /// Hosts besides loopback that may receive traffic.
    pub allow_hosts: Vec<String>,
    /// Data files stored in the backend's own OSS, by `FileName`: read from there instead
    /// of from their `FileOssAddress`.
    pub data_files: HashMap<String, std::path::PathBuf>,
}

/// Why a run cannot start or change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// The engine refused; the text says why (shown to the client).
    #[error("{0}")]
    Failed(String),
}

/// What a finished run leaves: the report and, for debug runs, the sampled requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutcome {
    /// The report's figures (`ReportOverView` and `SceneSnapShot` are filled in by the
    /// emulator when the engine leaves them out).
    pub details: GetPtsReportDetailsOutput,
    /// Sampled requests (debug runs: all of them).
    pub samples: Vec<SamplingLog>,
}

/// Starts runs. Implemented by the local engine; shared by every request.
pub trait RunDriver: Send + Sync {
    /// Starts `scene` and returns at once; the run continues on the engine's own threads.
    fn start(&self, scene: &Scene, options: RunOptions) -> Result<Box<dyn RunHandle>, RunError>;
}

/// A run in progress.
pub trait RunHandle: Send + Sync {
    /// Live figures, as `GetPtsSceneRunningData` answers them.
    fn running_data(&self) -> GetPtsSceneRunningDataOutput;
    /// Changes the load (`AdjustPtsSceneSpeed`).
    fn adjust_speed(&self, speeds: &[ApiSpeed]) -> Result<(), RunError>;
    /// Asks the run to stop; [`is_finished`](RunHandle::is_finished) turns true soon after.
    fn stop(&self);
    /// Whether the run has ended (duration reached, stopped, or failed).
    fn is_finished(&self) -> bool;
    /// Waits for the end and returns the figures.
    fn finish(self: Box<Self>) -> RunOutcome;
}

/// The local load engine as the emulator's driver: runs are real, figures are measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Engine;

impl RunDriver for Engine {
    fn start(&self, scene: &Scene, options: RunOptions) -> Result<Box<dyn RunHandle>, RunError> {
        let options = crate::engine::RunOptions {
            debug: options.debug,
            allow_hosts: options.allow_hosts,
            data_files: options.data_files,
            ..crate::engine::RunOptions::default()
        };
        crate::engine::Run::start(scene, options)
            .map(|run| Box::new(run) as Box<dyn RunHandle>)
            .map_err(|error| RunError::Failed(error.to_string()))
    }
}

impl RunHandle for crate::engine::Run {
    fn running_data(&self) -> GetPtsSceneRunningDataOutput {
        crate::engine::Run::running_data(self)
    }

    fn adjust_speed(&self, speeds: &[ApiSpeed]) -> Result<(), RunError> {
        crate::engine::Run::adjust_speed(self, speeds).map_err(|e| RunError::Failed(e.to_string()))
    }

    fn stop(&self) {
        crate::engine::Run::stop(self);
    }

    fn is_finished(&self) -> bool {
        crate::engine::Run::is_finished(self)
    }

    fn finish(self: Box<Self>) -> RunOutcome {
        let result = self.wait();
        let mut details = result.details;
        // What PTS has no field for (every percentile, expired tokens) rides along.
        crate::engine::Findings {
            apis: result.apis,
            token_expiry: result.token_expiry,
            series: result.series,
        }
        .attach(&mut details);
        RunOutcome {
            details,
            samples: result.samples,
        }
    }
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RunState {
    /// Sending load.
    Running,
    /// Ended with a report.
    Finished,
    /// The server stopped during the run; no figures.
    Interrupted,
}

/// A run as stored in `runs/<PlanId>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunRecord {
    pub plan_id: String,
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
    /// The report (load runs, once finished).
    #[serde(default)]
    pub report: Option<GetPtsReportDetailsOutput>,
    /// The last live figures, answered by `GetPtsSceneRunningData` after the end.
    #[serde(default)]
    pub last_data: Option<GetPtsSceneRunningDataOutput>,
    /// Sampled requests (debug runs).
    #[serde(default)]
    pub samples: Vec<SamplingLog>,
}

/// A run in progress, in memory.
pub(crate) struct Active {
    pub plan_id: String,
    pub debug: bool,
    pub handle: Box<dyn RunHandle>,
}

/// The runs in progress, by scene id (a scene runs at most one at a time): engine runs
/// ([`Active`]) and JMeter runs ([`super::jmeter::Active`]).
pub(crate) struct ActiveRuns<A = Active> {
    by_scene: Mutex<HashMap<String, A>>,
}

impl<A> Default for ActiveRuns<A> {
    fn default() -> Self {
        ActiveRuns {
            by_scene: Mutex::new(HashMap::new()),
        }
    }
}

impl<A> ActiveRuns<A> {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, A>> {
        self.by_scene.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes out the runs that `ended` says have ended, with their scene ids.
    pub fn take_ended(&self, ended: impl Fn(&A) -> bool) -> Vec<(String, A)> {
        let mut active = self.lock();
        let ids: Vec<String> = active
            .iter()
            .filter(|(_, run)| ended(run))
            .map(|(scene_id, _)| scene_id.clone())
            .collect();
        ids.into_iter()
            .filter_map(|scene_id| active.remove_entry(&scene_id))
            .collect()
    }
}
