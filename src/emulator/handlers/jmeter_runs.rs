//! JMeter runs (reference §5.6): start, stop, live data, and the run records.
//!
//! `StartTestingJMeterScene` runs the scene's script with a local Apache JMeter (see
//! `emulator::jmeter`), records the run (`jmeter-runs/<ReportId>.json`, state `running`)
//! and answers the `ReportId`; the scene lists as `RUNNING`. The run ends by itself (the
//! scene's `Duration`) or by `StopTestingJMeterScene`; either way [`reap`] (called before
//! every request and four times a second) writes the report from the figures JMeter's
//! results gave, and the scene lists as `STOPPED` again. Debug runs
//! (`StartDebuggingJMeterScene`) run one thread per thread group, once, and keep every
//! sample but make no report. Without JMeter installed, starts answer
//! `JMeterNotSupported` saying how to install it.

use std::io;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::ids;
use super::super::jmeter::{self, Active, LaunchError, Record};
use super::super::runs::RunState;
use super::super::store::{Kind, Store};
use super::jmeter::{report_not_exist, scene_not_exist};
use super::{ApiError, Shared, change, ok};
use crate::wire::{
    Action, AdjustJMeterSceneSpeed, Empty, GetJMeterReportDetailsOutput, GetJMeterSceneRunningData,
    GetJMeterSceneRunningDataOutput, JMeterRunningData, JMeterSceneStatus, Params, ReportIdOutput,
    ReportOverView, StartDebuggingJMeterScene, StartTestingJMeterScene, StopDebuggingJMeterScene,
    StopTestingJMeterScene,
};

/// Length of report ids (PTS's look like `DYYPLDKS`).
const REPORT_ID_LEN: usize = 8;

/// How long a stop waits for JMeter to wind down before answering.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// The one local load generator, as `AgentIdList` names it.
const AGENT_ID: &str = "local-jmeter-0";

pub(super) fn start_testing(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = StartTestingJMeterScene::from_params(params)?;
    let report_id = start(
        shared,
        &request.scene_id,
        false,
        "StartTestingJMeterSceneFail",
    )?;
    ok(&ReportIdOutput {
        report_id: Some(report_id),
        ..ReportIdOutput::default()
    })
}

pub(super) fn start_debugging(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = StartDebuggingJMeterScene::from_params(params)?;
    let report_id = start(
        shared,
        &request.scene_id,
        true,
        "StartDebuggingJMeterSceneFail",
    )?;
    ok(&ReportIdOutput {
        report_id: Some(report_id),
        ..ReportIdOutput::default()
    })
}

pub(super) fn stop_testing(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    stop(
        shared,
        &StopTestingJMeterScene::from_params(params)?.scene_id,
        false,
    )
}

pub(super) fn stop_debugging(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    stop(
        shared,
        &StopDebuggingJMeterScene::from_params(params)?.scene_id,
        true,
    )
}

pub(super) fn adjust_speed(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = AdjustJMeterSceneSpeed::from_params(params)?;
    super::check_range("Speed", request.speed, 1, i64::MAX)?;
    let running = shared
        .jmeter_runs
        .lock()
        .values()
        .any(|active| active.report_id == request.report_id);
    if !running {
        return Err(report_not_exist());
    }
    Err(ApiError::new(
        "AdjustJMeterSceneSpeedFail",
        "The local backend cannot change the load of a running JMeter test (its thread \
         groups are fixed when JMeter starts): stop the scene, save it with the new \
         Concurrency and start it again.",
        400,
    ))
}

pub(super) fn running_data(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterSceneRunningData::from_params(params)?;
    let scene_name = shared
        .store
        .read(|tables| {
            tables
                .jmeter
                .get(&request.scene_id)
                .map(|scene| scene.scene_name.clone().unwrap_or_default())
        })
        .ok_or_else(scene_not_exist)?;
    let live = shared
        .jmeter_runs
        .lock()
        .get(&request.scene_id)
        .map(|active| live_data(&request.scene_id, active));
    let data = live.unwrap_or_else(|| {
        let last = shared.store.read(|tables| {
            tables
                .jmeter_runs
                .values()
                .filter(|record| record.scene_id == request.scene_id)
                .max_by_key(|record| (record.start_ms, record.report_id.clone()))
                .and_then(|record| record.last_data.clone())
        });
        last.unwrap_or_else(|| JMeterRunningData {
            scene_id: Some(request.scene_id.clone()),
            scene_name: Some(scene_name),
            status: Some(JMeterSceneStatus::Stopped.as_str().to_owned()),
            is_debugging: Some(false),
            has_report: Some(false),
            has_error: Some(false),
            ..JMeterRunningData::default()
        })
    });
    ok(&GetJMeterSceneRunningDataOutput {
        running_data: Some(data),
        ..GetJMeterSceneRunningDataOutput::default()
    })
}

/// Whether `scene_id` has a JMeter run going.
pub(super) fn is_running(shared: &Shared, scene_id: &str) -> bool {
    shared.jmeter_runs.lock().contains_key(scene_id)
}

/// Starts a load or debug run of `scene_id`; returns the report id. Errors carry `code`.
fn start(
    shared: &Shared,
    scene_id: &str,
    debug: bool,
    code: &'static str,
) -> Result<String, ApiError> {
    // Held throughout, so that two starts of one scene cannot both pass the checks.
    let mut active = shared.jmeter_runs.lock();
    let (scene, env, report_id) = shared.store.read(|tables| {
        let scene = tables.jmeter.get(scene_id).cloned();
        let env = scene
            .as_ref()
            .and_then(|scene| scene.environment_id.as_ref())
            .filter(|id| !id.is_empty())
            .map(|id| tables.envs.get(id).cloned().ok_or_else(|| id.clone()));
        let report_id = ids::unique_id(REPORT_ID_LEN, |id| tables.jmeter_runs.contains_key(id));
        (scene, env, report_id)
    });
    let scene = scene.ok_or_else(scene_not_exist)?;
    let env = env.transpose().map_err(|id| {
        ApiError::new(
            code,
            format!("The scene's environment {id} does not exist."),
            400,
        )
    })?;
    if active.contains_key(scene_id) {
        return Err(ApiError::new(code, "The scene is running.", 400));
    }
    let request = jmeter::Request {
        scene: &scene,
        env: env.as_ref(),
        state_dir: shared.store.root(),
        report_id: &report_id,
        allow_hosts: &shared.allow_hosts,
        debug,
    };
    let (run, duration_s) =
        jmeter::launch(&shared.jmeter, &request).map_err(|error| match error {
            LaunchError::NotInstalled(message) => ApiError::new("JMeterNotSupported", message, 400),
            LaunchError::Refused(reason) => ApiError::new(
                code,
                format!("The scene cannot run on the local backend: {reason}"),
                400,
            ),
        })?;
    let now = jiff::Timestamp::now();
    let scene_name = scene.scene_name.clone().unwrap_or_default();
    let record = Record {
        report_id: report_id.clone(),
        scene_id: scene_id.to_owned(),
        scene_name: scene_name.clone(),
        debug,
        state: RunState::Running,
        start_ms: now.as_millisecond(),
        end_ms: None,
        start_time: ids::time_text(now),
        end_time: None,
        duration_s,
        report: None,
        last_data: None,
        series: None,
        samplers: Vec::new(),
        samples: Vec::new(),
        error: None,
    };
    change(shared, |tables, touched| {
        tables.jmeter_runs.insert(report_id.clone(), record);
        touched.mark(Kind::JMeterRun, &report_id);
        Ok(())
    })?;
    active.insert(
        scene_id.to_owned(),
        Active {
            report_id: report_id.clone(),
            scene_name,
            debug,
            start_ms: now.as_millisecond(),
            duration_s,
            run,
        },
    );
    Ok(report_id)
}

/// Stops the scene's run of that kind, if any (stopping an idle scene is fine, as on PTS).
fn stop(shared: &Shared, scene_id: &str, debug: bool) -> Result<Value, ApiError> {
    if shared
        .store
        .read(|tables| !tables.jmeter.contains_key(scene_id))
    {
        return Err(scene_not_exist());
    }
    let taken = {
        let mut active = shared.jmeter_runs.lock();
        match active.get(scene_id) {
            Some(run) if run.debug == debug => active.remove(scene_id),
            _ => None,
        }
    };
    if let Some(run) = taken {
        stop_and_finish(shared, scene_id, run)?;
    }
    ok(&Empty::default())
}

/// Stops `run`, waits for it (up to [`STOP_WAIT`]) and records its figures.
fn stop_and_finish(shared: &Shared, scene_id: &str, run: Active) -> Result<(), ApiError> {
    run.run.stop();
    let deadline = Instant::now() + STOP_WAIT;
    while !run.run.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    finish(shared, scene_id, run)
}

/// Records the runs that have ended.
pub(crate) fn reap(shared: &Shared) {
    for (scene_id, run) in shared.jmeter_runs.take_ended(|run| run.run.is_finished()) {
        // A write failure leaves the record `running`; `recover` settles it at the next
        // start, and the error has nobody to go to here.
        let _ = finish(shared, &scene_id, run);
    }
}

/// Stops every JMeter run (server shutdown), recording what they measured.
pub(crate) fn stop_all(shared: &Shared) {
    let all: Vec<(String, Active)> = shared.jmeter_runs.lock().drain().collect();
    for (scene_id, run) in all {
        let _ = stop_and_finish(shared, &scene_id, run);
    }
}

/// Writes the end of `run`: the last live figures, the report (load runs with results),
/// the series and the kept samples.
fn finish(shared: &Shared, scene_id: &str, active: Active) -> Result<(), ApiError> {
    let mut last = live_data(scene_id, &active);
    let Active {
        report_id,
        debug,
        run,
        ..
    } = active;
    let ended = run.finish();
    let now = jiff::Timestamp::now();
    let stats = &ended.stats;
    last.status = Some(JMeterSceneStatus::Stopped.as_str().to_owned());
    last.stage_name = Some(
        if ended.error.is_some() {
            "FAILED"
        } else {
            "FINISHED"
        }
        .to_owned(),
    );
    last.has_error = Some(ended.error.is_some());
    last.error_message.clone_from(&ended.error);
    last.has_report = Some(!debug && ended.error.is_none());
    change(shared, |tables, touched| {
        if let Some(record) = tables.jmeter_runs.get_mut(&report_id) {
            record.state = RunState::Finished;
            record.end_ms = Some(now.as_millisecond());
            record.end_time = Some(ids::time_text(now));
            if !debug && ended.error.is_none() {
                let (scene_metrics, samplers) = stats.report();
                record.report = Some(GetJMeterReportDetailsOutput {
                    report_over_view: Some(ReportOverView {
                        report_id: Some(report_id.clone()),
                        report_name: Some(format!("{}-{}", record.scene_name, record.start_time)),
                        start_time: Some(record.start_time.clone()),
                        end_time: record.end_time.clone(),
                        agent_count: Some(1),
                        vum: Some(stats.series.vum()),
                        ..ReportOverView::default()
                    }),
                    scene_metrics: Some(scene_metrics),
                    sampler_metrics_list: samplers,
                    ..GetJMeterReportDetailsOutput::default()
                });
            }
            record.last_data = Some(last);
            record.series = Some(stats.series.clone());
            record.samplers = stats.sampler_names();
            record.samples = stats.kept();
            record.error.clone_from(&ended.error);
            touched.mark(Kind::JMeterRun, &report_id);
        }
        Ok(())
    })
}

/// The live figures of `active`, as `GetJMeterSceneRunningData` answers them.
fn live_data(scene_id: &str, active: &Active) -> JMeterRunningData {
    let stats = active.run.stats();
    let (all, each) = stats.live(ids::now_ms());
    JMeterRunningData {
        scene_id: Some(scene_id.to_owned()),
        scene_name: Some(active.scene_name.clone()),
        report_id: Some(active.report_id.clone()),
        status: Some(JMeterSceneStatus::Running.as_str().to_owned()),
        stage_name: Some(
            if active.run.started_ms().is_some() {
                "RUNNING"
            } else {
                "STARTING"
            }
            .to_owned(),
        ),
        is_debugging: Some(active.debug),
        start_time_ts: Some(active.run.started_ms().unwrap_or(active.start_ms)),
        hold_for: Some(active.duration_s),
        concurrency: Some(stats.concurrency),
        agent_count: Some(1),
        agent_id_list: vec![AGENT_ID.to_owned()],
        vum: Some(stats.series.vum()),
        has_report: Some(false),
        has_error: Some(false),
        all_sample_stat: all.as_object().cloned(),
        sample_stat_list: each
            .into_iter()
            .filter_map(|stat| stat.as_object().cloned())
            .collect(),
        ..JMeterRunningData::default()
    }
}

/// At start: JMeter runs left `running` by a previous process are `interrupted` (their
/// JMeter exited with that process: see `jmeter::process`).
pub(crate) fn recover(store: &Store) -> io::Result<()> {
    let now = jiff::Timestamp::now();
    store
        .write(|tables, touched| {
            for (report_id, record) in tables.jmeter_runs.iter_mut() {
                if record.state == RunState::Running {
                    record.state = RunState::Interrupted;
                    record.end_ms = Some(now.as_millisecond());
                    record.end_time = Some(ids::time_text(now));
                    touched.mark(Kind::JMeterRun, report_id);
                }
            }
            Ok::<(), ()>(())
        })
        .map(|_| ())
}
