//! The local load engine: runs wire scenes for real against HTTP targets, the way PTS runs
//! them, and reports in PTS's shapes.
//!
//! # Layout and data flow
//!
//! ```text
//! wire::Scene ──plan (templates, targets, exports, checks, CSV, tokens: compiled once)──▶ Plan
//!                 │ safety: loopback / allow-list, bounded duration and requests
//!                 ▼
//! Run::start ── supervisor thread (ramp → targets, speed changes, deadline)
//!                 └─ worker threads, one current-thread runtime each
//!                      ├─ virtual users: the ONE loop in `vu` (pacing passed as a value)
//!                      ├─ open-model schedule (RPS mode, arithmetic send times)
//!                      └─ statistics windows (HDR) ──once a second──▶ stats::Collector
//!                                                                        │
//!            running_data() / RunResult ◀──────── report (PTS shapes) ◀──┘
//! ```
//!
//! | module | holds |
//! |---|---|
//! | `plan` | wire scene → compiled plan; nothing is parsed on the hot path |
//! | `template` | `${name}` references, rendered into a reused buffer |
//! | `extract`, `check` | exports and checkpoints |
//! | `data`, `tokens` | CSV rows; token steps and their refresh policies |
//! | `pacing` | ramps and the open-model schedule |
//! | `http` | HTTP/1.1 written directly, answers parsed with httparse, one connection per virtual user |
//! | `vu`, `worker` | the virtual-user loop; worker threads and their controllers |
//! | `stats`, `report` | HDR windows and their merge; PTS report and running-data shapes |
//! | `safety` | where load may go, and bounds |

mod alarm;
mod check;
mod data;
mod extract;
mod http;
mod pacing;
mod plan;
mod report;
mod safety;
mod stats;
mod template;
mod tokens;
mod vu;
mod worker;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use report::{FINDINGS_KEY, Findings, SEG99_KEY, Summary, TokenExpiry, TokenExpiryCause};
pub(crate) use safety::{MAX_DURATION, resolve as check_target};
pub use stats::SecondStats;

/// The first CSV record of `text` (a file's header line, cells trimmed) and how many
/// records it holds, read as the engine reads data files (blank lines skipped, quoted line
/// breaks kept): what `plan` shows as a data file's row count, and the column names a CSV
/// token source is looked up in.
pub fn csv_outline(text: &[u8]) -> (Vec<String>, usize) {
    let rows = data::parse_csv(text);
    let header = rows
        .first()
        .map(|row| {
            row.iter()
                .map(|cell| String::from_utf8_lossy(cell).trim().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (header, rows.len())
}

/// The records of CSV `text` after its first one (the header line): what a data file is
/// stored as, since PTS reads every line of a file it is given as data.
pub fn csv_data_rows(text: &[u8]) -> &[u8] {
    &text[data::first_record_end(text)..]
}

use crate::wire;
use plan::{Mode, Plan};
use stats::Collector;

/// How a run is made, besides the scene.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Debug run: each relation once by one user, with sample logs (PTS's debug runs).
    pub debug: bool,
    /// Hosts load may go to besides loopback (exact host names or addresses).
    pub allow_hosts: Vec<String>,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Hard bound on requests sent; without it the bound is derived from the duration.
    pub max_requests: Option<u64>,
    /// Run length instead of the scene's (marker `duration_ms`, else `MaxRunningTime`).
    pub duration: Option<Duration>,
    /// Local paths of data files by `FileName`, instead of their `FileOssAddress`.
    pub data_files: HashMap<String, PathBuf>,
}

/// Why a run cannot start or a request to it is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The scene cannot be run as given.
    #[error("scene: {0}")]
    Scene(String),
    /// A target host may not receive load, or cannot be resolved.
    #[error("target `{host}`: {reason}")]
    Target { host: String, reason: String },
    /// A speed change names an API the run does not have.
    #[error("no API with id `{0}` in this run")]
    UnknownApi(String),
    /// The run has ended.
    #[error("the run has finished")]
    Finished,
    /// The operating system refused a thread.
    #[error("cannot start a worker thread: {0}")]
    Thread(String),
}

/// State shared by the supervisor, the workers and the handle.
pub(crate) struct Shared {
    pub plan: Plan,
    pub options: RunOptions,
    pub scene: wire::Scene,
    pub start: Instant,
    pub deadline: Instant,
    pub started_at: jiff::Zoned,
    pub stop: AtomicBool,
    pub finished: AtomicBool,
    /// Per relation: virtual users wanted (concurrency mode).
    concurrency: Vec<AtomicU64>,
    /// Per API: requests per second wanted (RPS mode).
    rps: Vec<AtomicU64>,
    /// Per API: set by a speed change, after which the ramp no longer moves it.
    manual: Vec<AtomicBool>,
    pub budget: AtomicU64,
    pub live_vus: AtomicI64,
    /// Virtual-user milliseconds so far.
    pub vu_ms: AtomicU64,
    pub collector: Mutex<Collector>,
    pub samples: Mutex<Vec<wire::SamplingLog>>,
}

impl Shared {
    /// Virtual users `relation` should have now.
    pub(crate) fn concurrency_target(&self, relation: usize) -> u64 {
        self.concurrency
            .get(relation)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Requests per second `api` should get now.
    pub(crate) fn rps_target(&self, api: usize) -> u64 {
        self.rps.get(api).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Moves every level the ramp still owns to its value at `elapsed`.
    fn follow_ramp(&self, elapsed: Duration) {
        let plan = &self.plan;
        for (index, relation) in plan.relations.iter().enumerate() {
            let owner = relation.steps.first().map(|s| s.api);
            if owner.is_some_and(|a| !self.manual[a].load(Ordering::Relaxed)) {
                let level = plan.ramp.level(relation.concurrency, elapsed);
                self.concurrency[index].store(level, Ordering::Relaxed);
            }
        }
        for (index, api) in plan.apis.iter().enumerate() {
            if !self.manual[index].load(Ordering::Relaxed) {
                self.rps[index].store(plan.ramp.level(api.rps, elapsed), Ordering::Relaxed);
            }
        }
    }
}

/// A running (or finished) load test. `Send + Sync`: the emulator keeps it in its state and
/// serves running data and speed changes from any thread.
pub struct Run {
    shared: Arc<Shared>,
    supervisor: Mutex<Option<JoinHandle<RunResult>>>,
}

/// Everything a finished run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The final report, in `GetPtsReportDetails`'s shape, with the scene snapshot.
    pub details: wire::GetPtsReportDetailsOutput,
    /// Sample logs of a debug run (empty otherwise).
    pub samples: Vec<wire::SamplingLog>,
    /// Figures per second and API, for charts.
    pub series: Vec<SecondStats>,
    /// Figures per API, with failure causes and the full set of percentiles.
    pub apis: Vec<Summary>,
    /// Figures per chain (relation iteration).
    pub chains: Vec<Summary>,
    /// 401/403 answers and whether they came from expired tokens.
    pub token_expiry: Vec<TokenExpiry>,
}

impl Run {
    /// Compiles and checks the scene (targets must be loopback or allow-listed), starts the
    /// worker threads and returns at once.
    pub fn start(scene: &wire::Scene, options: RunOptions) -> Result<Run, EngineError> {
        let plan = plan::compile(scene, &options)?;
        let threads = if options.debug {
            1
        } else if options.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            options.threads
        };
        let budget = options
            .max_requests
            .unwrap_or_else(|| safety::default_request_budget(plan.duration));
        let start = Instant::now();
        let names = plan.apis.iter().map(|a| a.name.clone()).collect();
        let shared = Arc::new(Shared {
            concurrency: plan.relations.iter().map(|_| AtomicU64::new(0)).collect(),
            rps: plan.apis.iter().map(|_| AtomicU64::new(0)).collect(),
            manual: plan.apis.iter().map(|_| AtomicBool::new(false)).collect(),
            collector: Mutex::new(Collector::new(threads, names, plan.relations.len())),
            deadline: start + plan.duration,
            plan,
            options,
            scene: scene.clone(),
            start,
            started_at: jiff::Zoned::now(),
            stop: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            budget: AtomicU64::new(budget),
            live_vus: AtomicI64::new(0),
            vu_ms: AtomicU64::new(0),
            samples: Mutex::new(Vec::new()),
        });
        shared.follow_ramp(Duration::ZERO);
        let mut workers = Vec::new();
        for thread in 0..threads {
            let for_worker = shared.clone();
            let handle = std::thread::Builder::new()
                .name(format!("ptsplan-engine-{thread}"))
                .spawn(move || worker::main(for_worker, thread, threads))
                .map_err(|e| EngineError::Thread(e.to_string()));
            match handle {
                Ok(handle) => workers.push(handle),
                Err(e) => {
                    shared.stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        let for_supervisor = shared.clone();
        let supervisor = std::thread::Builder::new()
            .name("ptsplan-engine".into())
            .spawn(move || supervise(for_supervisor, workers))
            .map_err(|e| {
                shared.stop.store(true, Ordering::Relaxed);
                EngineError::Thread(e.to_string())
            })?;
        Ok(Run {
            shared,
            supervisor: Mutex::new(Some(supervisor)),
        })
    }

    /// Live figures in `GetPtsSceneRunningData`'s shape: totals so far, rates of the last
    /// second every worker has reported. `Status` is left unset (PTS does not document its
    /// integers; the backend knows the run's state); `HasReport` is set once finished.
    pub fn running_data(&self) -> wire::GetPtsSceneRunningDataOutput {
        report::running_data(&self.shared)
    }

    /// Changes the load: in concurrency mode the speed of a relation's first API is the
    /// relation's virtual users; in RPS mode each API's rate. Workers see it within their
    /// next tick (20 ms). A changed level no longer follows the ramp.
    pub fn adjust_speed(&self, speeds: &[wire::ApiSpeed]) -> Result<(), EngineError> {
        if self.is_finished() {
            return Err(EngineError::Finished);
        }
        let plan = &self.shared.plan;
        let mut changes = Vec::new();
        for speed in speeds {
            let id = speed.api_id.as_deref().unwrap_or("");
            let api = plan
                .apis
                .iter()
                .position(|a| a.id == id || a.name == id)
                .ok_or_else(|| EngineError::UnknownApi(id.to_owned()))?;
            let value = speed.speed.unwrap_or(0).max(0) as u64;
            changes.push((api, value));
        }
        for (api, value) in changes {
            let shared = &self.shared;
            match plan.mode {
                Mode::Concurrency => {
                    let relation = plan.apis[api].relation;
                    if let Some(first) = plan.relations[relation].steps.first() {
                        shared.manual[first.api].store(true, Ordering::Relaxed);
                    }
                    let value = value.min(safety::MAX_VIRTUAL_USERS);
                    shared.concurrency[relation].store(value, Ordering::Relaxed);
                }
                Mode::Rps => {
                    shared.manual[api].store(true, Ordering::Relaxed);
                    shared.rps[api].store(value.min(safety::MAX_RPS), Ordering::Relaxed);
                }
            }
        }
        Ok(())
    }

    /// Asks the run to stop; requests in flight are abandoned. Returns at once.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the run has ended and its result is ready.
    pub fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::Acquire)
    }

    /// Waits for the end of the run and returns its result.
    pub fn wait(self) -> RunResult {
        let handle = self
            .supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match handle.map(JoinHandle::join) {
            Some(Ok(result)) => result,
            // The supervisor cannot have panicked without a bug; still return what was counted.
            _ => {
                self.shared.stop.store(true, Ordering::Relaxed);
                report::result(&self.shared, Instant::now())
            }
        }
    }
}

/// Moves the ramp, counts virtual-user time, and joins the workers when the run is over.
fn supervise(shared: Arc<Shared>, workers: Vec<JoinHandle<()>>) -> RunResult {
    let tick = Duration::from_millis(50);
    let mut last = Instant::now();
    while !workers.iter().all(|w| w.is_finished()) {
        std::thread::sleep(tick);
        let now = Instant::now();
        shared.follow_ramp(now.duration_since(shared.start));
        let live = shared.live_vus.load(Ordering::Relaxed).max(0) as u64;
        let elapsed = now.duration_since(last).as_millis() as u64;
        shared.vu_ms.fetch_add(live * elapsed, Ordering::Relaxed);
        last = now;
        if now >= shared.deadline {
            shared.stop.store(true, Ordering::Relaxed);
        }
    }
    for worker in workers {
        // A worker that panicked has already lost its counts; the others still report.
        let _ = worker.join();
    }
    let end = Instant::now();
    shared
        .collector
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .finish();
    let result = report::result(&shared, end);
    shared.finished.store(true, Ordering::Release);
    result
}
