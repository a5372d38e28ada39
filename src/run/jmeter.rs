//! Running a JMeter scene like a PTS scene: start (`StartTestingJMeterScene`), follow its
//! running data (`GetJMeterSceneRunningData`) into a [`Timeline`] until it ends (bounded),
//! stop it remotely on Ctrl-C (`StopTestingJMeterScene`), then wait for its report
//! (`ListJMeterReports`), read it (`GetJMeterReportDetails`, `GetJMeterSampleMetrics`) and,
//! when the run went wrong, the engine's error log (`GetJMeterLogs`).
//!
//! The report is read into the PTS report model ([`crate::report::jmeter`]) and judged
//! against the scene's thresholds; what the backend answered is kept for the evidence
//! bundle ([`Evidence`]). Nothing here prints: progress goes through [`Event`]s.
//!
//! A JMeter scene has no debug-first step here (PTS JMeter debug runs are not sampled the
//! way PTS debug runs are); `--no-debug` changes nothing for it.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::{Event, Finished, Options, Outcome};
use crate::api::{ApiError, Client};
use crate::report::timeline::{Point, Timeline};
use crate::report::{Ending, RunId};
use crate::spec::jmx::ThreadGroup;
use crate::spec::model::Threshold;
use crate::wire::{
    self, GetJMeterLogs, GetJMeterReportDetails, GetJMeterReportDetailsOutput,
    GetJMeterSampleMetrics, GetJMeterSceneRunningData, JMeterRunningData, JMeterSceneStatus,
    ListJMeterReports, ReportSummary, StartTestingJMeterScene, StopTestingJMeterScene,
};

/// How long to wait for a finished run's report to be listed.
const REPORT_WAIT: Duration = Duration::from_secs(120);
/// How long to wait for a scene to stop after `StopTestingJMeterScene`.
const STOP_WAIT: Duration = Duration::from_secs(60);
/// How long after the start a scene may still show its previous state (`STOPPED`, another
/// report) before that state counts as this run's end.
const STARTUP_GRACE: Duration = Duration::from_secs(10);
/// Time allowed past the planned length (engines to start, results to flush) before the
/// run is stopped as overdue: at least this, or half the planned length.
const OVERRUN: Duration = Duration::from_secs(300);
/// Error log lines read when a run went wrong.
const ERROR_LINES: i64 = 50;

/// A JMeter scene to run.
#[derive(Debug, Clone)]
pub struct Target {
    /// The scene's key in the plan (`jmeter_scenes`).
    pub key: String,
    /// The live scene (with its id).
    pub scene: wire::OpenJMeterScene,
    /// The plan's thresholds for it.
    pub thresholds: Vec<Threshold>,
    /// The script's thread groups and samplers (scopes of thresholds); empty when the
    /// script could not be read.
    pub groups: Vec<ThreadGroup>,
}

impl Target {
    /// The scene id.
    pub fn scene_id(&self) -> String {
        self.scene.scene_id.clone().unwrap_or_default()
    }

    /// The planned length of the load (`Duration` seconds).
    pub fn planned(&self) -> Option<Duration> {
        let seconds = u64::try_from(self.scene.duration?).ok()?;
        Some(Duration::from_secs(seconds))
    }
}

/// What the backend said about a JMeter run, for the evidence bundle.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    /// The scene as it was started.
    pub scene: Option<wire::OpenJMeterScene>,
    /// The report's entry in `ListJMeterReports`.
    pub listed: Option<ReportSummary>,
    /// `GetJMeterReportDetails` as answered.
    pub details: Option<GetJMeterReportDetailsOutput>,
    /// `GetJMeterSampleMetrics` of the whole scene: one JSON value per data point.
    pub samples: Vec<Value>,
    /// The run's error, as its running data gave it (`HasError`, `ErrorMessage`).
    pub run_error: Option<String>,
    /// Engine log lines at level ERROR (read when the run went wrong).
    pub error_log: Vec<String>,
    /// Reads that failed after the run (the report is judged without them).
    pub notes: Vec<String>,
}

/// Runs one JMeter scene: start, follow, report. `interrupt` stops the run remotely when
/// it completes.
pub async fn run_scene(
    client: &Client,
    target: &Target,
    options: &Options,
    events: &mut (dyn FnMut(Event<'_>) + Send),
    interrupt: impl Future<Output = ()>,
) -> Result<Outcome, ApiError> {
    let scene_id = target.scene_id();
    let started = client
        .call(&StartTestingJMeterScene {
            scene_id: scene_id.clone(),
        })
        .await?;
    let report_id = started.report_id.unwrap_or_default();
    events(Event::Started {
        plan_id: &report_id,
    });
    if options.detach {
        return Ok(Outcome::Detached { plan_id: report_id });
    }
    let mut observe = |point: &Point| events(Event::Poll(point));
    let followed = follow(
        client,
        &scene_id,
        &report_id,
        target.planned(),
        options.interval,
        &mut observe,
        interrupt,
    )
    .await?;
    let stop_confirmed = if followed.must_stop {
        events(Event::Stopping);
        stop(client, &scene_id).await?
    } else {
        false
    };
    let mut evidence = Evidence {
        scene: Some(target.scene.clone()),
        run_error: followed.run_error.clone(),
        ..Evidence::default()
    };
    // A run that failed on the backend may have no report: do not wait long for one.
    let wait = if followed.run_error.is_some() {
        Duration::ZERO
    } else {
        REPORT_WAIT
    };
    if let Some((listed, details)) = report(client, &scene_id, &report_id, wait).await? {
        evidence.listed = listed;
        evidence.details = Some(details);
        match sample_metrics(client, &report_id).await {
            Ok(samples) => evidence.samples = samples,
            Err(error) => evidence
                .notes
                .push(format!("GetJMeterSampleMetrics failed: {error}")),
        }
    }
    let failures = evidence
        .details
        .as_ref()
        .and_then(|d| d.scene_metrics.as_ref()?.fail_count_req)
        .unwrap_or(0);
    if evidence.run_error.is_some() || evidence.details.is_none() || failures > 0 {
        match error_log(client, &report_id).await {
            Ok(lines) => evidence.error_log = lines,
            Err(error) => evidence
                .notes
                .push(format!("GetJMeterLogs failed: {error}")),
        }
    }
    let report = evidence.details.as_ref().map(|details| {
        crate::report::jmeter::build(
            RunId {
                scene: target.key.clone(),
                name: target.scene.scene_name.clone().unwrap_or_default(),
                scene_id: scene_id.clone(),
                plan_id: report_id.clone(),
            },
            followed.followed.ending.clone(),
            details,
            &target.groups,
            &target.thresholds,
        )
    });
    Ok(Outcome::Finished(Box::new(Finished {
        plan_id: report_id,
        timeline: followed.followed.timeline,
        report,
        details: evidence
            .details
            .as_ref()
            .map(crate::report::jmeter::as_pts_details),
        debug: None,
        interrupted: followed.followed.interrupted,
        stop_confirmed,
        jmeter: Some(Box::new(evidence)),
    })))
}

/// How following a JMeter run ended.
#[derive(Debug, Clone)]
pub struct JMeterFollowed {
    pub followed: super::Followed,
    /// The run must be stopped remotely (Ctrl-C, or it overran its planned length).
    pub must_stop: bool,
    /// The backend's error for the run (`HasError`).
    pub run_error: Option<String>,
}

/// Whether a JMeter running-data state is a run in progress. Unknown states count as in
/// progress (the wait is bounded).
pub fn in_progress(status: Option<&str>) -> bool {
    status.is_none_or(|s| !s.eq_ignore_ascii_case(JMeterSceneStatus::Stopped.as_str()))
}

/// Follows run `report_id` of `scene_id` until it ends, `interrupt` completes, or it
/// overruns its planned length (then it is to be stopped).
pub async fn follow(
    client: &Client,
    scene_id: &str,
    report_id: &str,
    planned: Option<Duration>,
    interval: Duration,
    observe: &mut (dyn FnMut(&Point) + Send),
    interrupt: impl Future<Output = ()>,
) -> Result<JMeterFollowed, ApiError> {
    let begun = Instant::now();
    let overdue = planned.map(|p| p + (p / 2).max(OVERRUN));
    let mut timeline = Timeline {
        plan_id: report_id.to_owned(),
        planned_seconds: planned.map(|d| d.as_secs_f64()),
        points: Vec::new(),
    };
    tokio::pin!(interrupt);
    let mut interrupted = false;
    let mut overran = false;
    let mut seen_running = false;
    let mut run_error = None;
    loop {
        tokio::select! {
            () = &mut interrupt => {
                interrupted = true;
                break;
            }
            () = tokio::time::sleep(interval) => {}
        }
        let data = client
            .call(&GetJMeterSceneRunningData {
                scene_id: scene_id.to_owned(),
            })
            .await?
            .running_data
            .unwrap_or_default();
        let ours = data.report_id.as_deref().is_none_or(|id| id == report_id);
        let running = in_progress(data.status.as_deref());
        if ours && running {
            seen_running = true;
        }
        if ours {
            let elapsed = elapsed(&data, begun);
            let point = Point::of_jmeter(elapsed, &data);
            observe(&point);
            timeline.points.push(point);
        }
        if ours && data.has_error == Some(true) {
            run_error = Some(
                data.error_message
                    .clone()
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "the backend reported an error for the run".to_owned()),
            );
            break;
        }
        let settled = seen_running || begun.elapsed() > STARTUP_GRACE;
        if ours && settled && (!running || data.has_report == Some(true)) {
            break;
        }
        if overdue.is_some_and(|limit| begun.elapsed() > limit) {
            overran = true;
            break;
        }
    }
    let ending = if interrupted {
        Ending::Stopped {
            by: "Ctrl-C".to_owned(),
        }
    } else if overran {
        Ending::Stopped {
            by: "ptsplan: still running well past its planned length".to_owned(),
        }
    } else if run_error.is_some() {
        Ending::Stopped {
            by: "the backend: the run failed".to_owned(),
        }
    } else {
        let ran = timeline.points.last().map_or(0.0, |p| p.elapsed_s);
        match planned {
            Some(planned)
                if ran + (planned.as_secs_f64() / 10.0).max(2.0) < planned.as_secs_f64() =>
            {
                Ending::Stopped {
                    by: "on the backend, before its planned end".to_owned(),
                }
            }
            _ => Ending::Completed,
        }
    };
    Ok(JMeterFollowed {
        followed: super::Followed {
            timeline,
            ending,
            interrupted,
        },
        must_stop: interrupted || overran,
        run_error,
    })
}

/// Seconds since the run started: the backend's `StartTimeTS` when given, else since the
/// follow began.
fn elapsed(data: &JMeterRunningData, begun: Instant) -> f64 {
    data.start_time_ts
        .filter(|t| *t > 0)
        .map(|t| (jiff::Timestamp::now().as_millisecond() - t) as f64 / 1000.0)
        .unwrap_or_else(|| begun.elapsed().as_secs_f64())
        .max(0.0)
}

/// The running data of JMeter scene `scene_id`.
pub async fn running_data(client: &Client, scene_id: &str) -> Result<JMeterRunningData, ApiError> {
    Ok(client
        .call(&GetJMeterSceneRunningData {
            scene_id: scene_id.to_owned(),
        })
        .await?
        .running_data
        .unwrap_or_default())
}

/// Stops the load test of JMeter scene `scene_id` and waits until its running data no
/// longer shows a run (at most a minute). Returns whether it stopped.
pub async fn stop(client: &Client, scene_id: &str) -> Result<bool, ApiError> {
    client
        .call(&StopTestingJMeterScene {
            scene_id: scene_id.to_owned(),
        })
        .await?;
    let deadline = Instant::now() + STOP_WAIT;
    loop {
        let data = running_data(client, scene_id).await?;
        if !in_progress(data.status.as_deref()) {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The report of run `report_id`: waits up to `wait` for `ListJMeterReports` to list it,
/// then reads its details. `None` when it never was listed.
pub async fn report(
    client: &Client,
    scene_id: &str,
    report_id: &str,
    wait: Duration,
) -> Result<Option<(Option<ReportSummary>, GetJMeterReportDetailsOutput)>, ApiError> {
    let deadline = Instant::now() + wait;
    loop {
        let listed = client
            .call(&ListJMeterReports {
                page_number: 1,
                page_size: 10,
                scene_id: Some(scene_id.to_owned()),
                report_id: Some(report_id.to_owned()),
                ..ListJMeterReports::default()
            })
            .await;
        let found = match listed {
            Ok(page) => page
                .reports
                .into_iter()
                .find(|r| r.report_id.as_deref() == Some(report_id)),
            // "Report does not exist" while it is being written.
            Err(ApiError::Api { http_status, .. }) if http_status < 500 => None,
            Err(error) => return Err(error),
        };
        if let Some(summary) = found {
            let details = client
                .call(&GetJMeterReportDetails {
                    report_id: report_id.to_owned(),
                })
                .await?;
            return Ok(Some((Some(summary), details)));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The whole scene's metrics over time: each `SampleMetricList` entry is JSON text of one
/// data point or of a list of them; entries that do not parse are kept as text.
pub async fn sample_metrics(client: &Client, report_id: &str) -> Result<Vec<Value>, ApiError> {
    let answer = client
        .call(&GetJMeterSampleMetrics {
            report_id: report_id.to_owned(),
            sampler_id: Some(-1),
            ..GetJMeterSampleMetrics::default()
        })
        .await?;
    Ok(answer
        .sample_metric_list
        .iter()
        .flat_map(|text| match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(points)) => points,
            Ok(point) => vec![point],
            Err(_) => vec![Value::from(text.clone())],
        })
        .collect())
}

/// The run's engine log lines at level ERROR (the first page), one line each.
pub async fn error_log(client: &Client, report_id: &str) -> Result<Vec<String>, ApiError> {
    let answer = client
        .call(&GetJMeterLogs {
            report_id: report_id.to_owned(),
            level: Some("ERROR".to_owned()),
            page_number: 1,
            page_size: ERROR_LINES,
            ..GetJMeterLogs::default()
        })
        .await?;
    Ok(answer.logs.iter().map(log_line).collect())
}

/// One log entry (free-form) as a line: its time, thread and message when it names them,
/// else its JSON.
fn log_line(entry: &wire::JsonObject) -> String {
    let text = |keys: &[&str]| {
        keys.iter().find_map(|k| match entry.get(*k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    match text(&["message", "msg", "content", "log"]) {
        Some(message) => {
            let prefix: Vec<String> = [text(&["time", "timestamp", "ts"]), text(&["thread"])]
                .into_iter()
                .flatten()
                .collect();
            let message = message.trim_end().to_owned();
            if prefix.is_empty() {
                message
            } else {
                format!("{} {message}", prefix.join(" "))
            }
        }
        None => Value::Object(entry.clone()).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopped_is_the_only_state_that_is_not_a_run() {
        assert!(!in_progress(Some("STOPPED")));
        assert!(!in_progress(Some("stopped")));
        for status in ["PREPARING", "STARTING", "RUNNING", "STOPPING", "SYNCING"] {
            assert!(in_progress(Some(status)), "{status}");
        }
        assert!(in_progress(None));
    }

    #[test]
    fn a_log_entry_reads_as_one_line() {
        let entry = |v: Value| v.as_object().cloned().expect("object");
        assert_eq!(
            log_line(&entry(serde_json::json!({
                "time": "12:00:01", "thread": "buyers 1-1", "message": "Connection refused\n"
            }))),
            "12:00:01 buyers 1-1 Connection refused"
        );
        assert_eq!(
            log_line(&entry(serde_json::json!({ "level": "ERROR" }))),
            r#"{"level":"ERROR"}"#
        );
    }
}
