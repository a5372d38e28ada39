//! Load-test lifecycle (reference §5.2), and the run machinery debug runs share.
//!
//! `StartPtsScene` starts the scene on the [`RunDriver`](super::super::RunDriver), records a
//! run (`runs/<PlanId>.json`, state `running`) and marks the scene `Running`. The run ends by
//! itself (duration reached) or by `StopPtsScene`; either way [`reap`] (called before every
//! request and four times a second) collects the engine's figures into the report, and the
//! scene returns to `WaitStart`. `GetPtsSceneRunningStatus` answers `RUNNING` during a load
//! run and `STOPPED` otherwise.

use std::io;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::ids;
use super::super::runs::{Active, RunOptions, RunOutcome, RunRecord, RunState};
use super::super::store::{Kind, Store};
use super::scenes::is_busy;
use super::{ApiError, Shared, change, ok};
use crate::wire::{
    Action, AdjustPtsSceneSpeed, ApiLoadConfig, Empty, GetPtsReportDetailsOutput,
    GetPtsSceneRunningData, GetPtsSceneRunningStatus, GetPtsSceneRunningStatusOutput, ParamError,
    Params, PlanIdOutput, RelationLoadConfig, ReportOverView, RunningStatus, Scene, SceneStatus,
    StartPtsScene, StopPtsScene,
};

/// Length of plan (= report) ids.
const PLAN_ID_LEN: usize = 7;

/// How long `StopPtsScene` waits for the engine to wind down before answering.
const STOP_WAIT: Duration = Duration::from_secs(10);

pub(super) fn start(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = StartPtsScene::from_params(params)?;
    let plan_id = start_run(shared, &request.scene_id, false, "StartPtsSceneFail")?;
    ok(&PlanIdOutput {
        plan_id: Some(plan_id),
        ..PlanIdOutput::default()
    })
}

pub(super) fn stop(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = StopPtsScene::from_params(params)?;
    let code = "StopPtsSceneFail";
    if shared
        .store
        .read(|tables| !tables.scenes.contains_key(&request.scene_id))
    {
        return Err(ApiError::new(code, "Scene not exist", 400));
    }
    let taken = {
        let mut active = shared.runs.lock();
        match active.get(&request.scene_id) {
            Some(run) if !run.debug => active.remove(&request.scene_id),
            _ => None,
        }
    };
    let run = taken.ok_or_else(|| {
        ApiError::new(
            code,
            format!("The scene {} has no plan", request.scene_id),
            400,
        )
    })?;
    stop_and_finish(shared, &request.scene_id, run)?;
    ok(&Empty::default())
}

pub(super) fn running_status(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetPtsSceneRunningStatus::from_params(params)?;
    let scene = shared
        .store
        .read(|tables| tables.scenes.get(&request.scene_id).cloned())
        .ok_or_else(|| {
            ApiError::new(
                "GetPtsSceneRunningStatusFail",
                "The scene does not exist",
                403,
            )
        })?;
    let running = shared
        .runs
        .lock()
        .get(&request.scene_id)
        .is_some_and(|run| !run.debug);
    ok(&GetPtsSceneRunningStatusOutput {
        scene_name: scene.scene_name,
        status: Some(if running {
            RunningStatus::Running
        } else {
            RunningStatus::Stopped
        }),
        create_time: scene.create_time,
        modified_time: scene.modified_time,
        ..GetPtsSceneRunningStatusOutput::default()
    })
}

pub(super) fn running_data(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetPtsSceneRunningData::from_params(params)?;
    let record = shared
        .store
        .read(|tables| tables.runs.get(&request.plan_id).cloned())
        .filter(|record| record.scene_id == request.scene_id)
        .ok_or_else(|| {
            ApiError::new(
                "GetPtsSceneRunningDataFail",
                "The plan does not exist.",
                400,
            )
        })?;
    let live = shared
        .runs
        .lock()
        .get(&request.scene_id)
        .filter(|run| run.plan_id == request.plan_id)
        .map(|run| run.handle.running_data());
    let mut data = match live {
        Some(mut data) => {
            data.has_report = Some(false);
            data
        }
        None => {
            let mut data = record.last_data.clone().unwrap_or_default();
            data.has_report = Some(record.report.is_some());
            data
        }
    };
    data.begin_time.get_or_insert(record.start_ms);
    ok(&data)
}

pub(super) fn adjust_speed(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = AdjustPtsSceneSpeed::from_params(params)?;
    if shared
        .store
        .read(|tables| !tables.scenes.contains_key(&request.scene_id))
    {
        return Err(ApiError::new(
            "SceneNotExist",
            "The scene does not exist.",
            403,
        ));
    }
    let speeds = request
        .api_speed_list
        .filter(|list| !list.is_empty())
        .ok_or(ParamError::Missing("ApiSpeedList"))?;
    let active = shared.runs.lock();
    let run = active
        .get(&request.scene_id)
        .filter(|run| !run.debug)
        .ok_or_else(|| {
            ApiError::new("AdjustPtsSceneSpeedFail", "The scene is not running.", 400)
        })?;
    run.handle
        .adjust_speed(&speeds)
        .map_err(|error| ApiError::new("AdjustPtsSceneSpeedFail", error.to_string(), 400))?;
    ok(&Empty::default())
}

/// Starts a load (`debug = false`) or debug run of `scene_id`; returns the plan id. Errors
/// carry `code`.
pub(super) fn start_run(
    shared: &Shared,
    scene_id: &str,
    debug: bool,
    code: &'static str,
) -> Result<String, ApiError> {
    // Held throughout, so that two starts of one scene cannot both pass the checks.
    let mut active = shared.runs.lock();
    let scene = shared
        .store
        .read(|tables| tables.scenes.get(scene_id).cloned())
        .ok_or_else(|| ApiError::new(code, "Scene not exist", 400))?;
    if is_busy(&scene) || active.contains_key(scene_id) {
        return Err(ApiError::new(code, "Scene is running", 400));
    }
    if scene.status == Some(SceneStatus::Draft) {
        return Err(ApiError::new(
            code,
            "The scene is a draft: it needs at least one chain, an API in every chain, and a load config with TestMode and MaxRunningTime.",
            400,
        ));
    }
    let options = RunOptions {
        debug,
        allow_hosts: shared.allow_hosts.clone(),
        data_files: super::super::oss::local_files(shared.store.root(), &scene),
    };
    let handle = shared
        .driver
        .start(&scene, options)
        .map_err(|error| ApiError::new(code, error.to_string(), 400))?;
    let now = jiff::Timestamp::now();
    let written = change(shared, |tables, touched| {
        let plan_id = ids::unique_id(PLAN_ID_LEN, |id| tables.runs.contains_key(id));
        let record = RunRecord {
            plan_id: plan_id.clone(),
            scene_id: scene_id.to_owned(),
            scene_name: scene.scene_name.clone().unwrap_or_default(),
            debug,
            state: RunState::Running,
            start_ms: now.as_millisecond(),
            end_ms: None,
            start_time: ids::time_text(now),
            end_time: None,
            report: None,
            last_data: None,
            samples: Vec::new(),
        };
        tables.runs.insert(plan_id.clone(), record);
        touched.mark(Kind::Run, &plan_id);
        if let Some(stored) = tables.scenes.get_mut(scene_id) {
            stored.status = Some(if debug {
                SceneStatus::Debugging
            } else {
                SceneStatus::Running
            });
            touched.mark(Kind::Scene, scene_id);
        }
        Ok(plan_id)
    });
    match written {
        Ok(plan_id) => {
            active.insert(
                scene_id.to_owned(),
                Active {
                    plan_id: plan_id.clone(),
                    debug,
                    handle,
                },
            );
            Ok(plan_id)
        }
        Err(error) => {
            handle.stop();
            Err(error)
        }
    }
}

/// Stops `run` of `scene_id`, waits for it (up to [`STOP_WAIT`]) and records its figures.
pub(super) fn stop_and_finish(
    shared: &Shared,
    scene_id: &str,
    run: Active,
) -> Result<(), ApiError> {
    run.handle.stop();
    let deadline = Instant::now() + STOP_WAIT;
    while !run.handle.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    finish(shared, scene_id, run)
}

/// Collects the figures of runs that have ended (JMeter runs included).
pub(crate) fn reap(shared: &Shared) {
    super::jmeter_runs::reap(shared);
    for (scene_id, run) in shared.runs.take_ended(|run| run.handle.is_finished()) {
        // A write failure leaves the run record `running`; `recover` settles it at the next
        // start, and the error has nobody to go to here.
        let _ = finish(shared, &scene_id, run);
    }
}

/// Stops every run (server shutdown), recording what they measured.
pub(crate) fn stop_all(shared: &Shared) {
    super::jmeter_runs::stop_all(shared);
    let all: Vec<(String, Active)> = shared.runs.lock().drain().collect();
    for (scene_id, run) in all {
        let _ = stop_and_finish(shared, &scene_id, run);
    }
}

/// Writes the end of `run`: report (load runs) or samples (debug runs), scene back to
/// `WaitStart`.
fn finish(shared: &Shared, scene_id: &str, run: Active) -> Result<(), ApiError> {
    let last_data = run.handle.running_data();
    let RunOutcome { details, samples } = run.handle.finish();
    let now = jiff::Timestamp::now();
    change(shared, |tables, touched| {
        let snapshot = tables.scenes.get(scene_id).map(snapshot_of);
        if let Some(record) = tables.runs.get_mut(&run.plan_id) {
            record.state = RunState::Finished;
            record.end_ms = Some(now.as_millisecond());
            record.end_time = Some(ids::time_text(now));
            let mut data = last_data;
            data.has_report = Some(!record.debug);
            record.last_data = Some(data);
            record.samples = samples;
            if !record.debug {
                record.report = Some(complete_report(details, record, snapshot));
            }
            touched.mark(Kind::Run, &run.plan_id);
        }
        if let Some(scene) = tables.scenes.get_mut(scene_id)
            && is_busy(scene)
        {
            scene.status = Some(SceneStatus::WaitStart);
            touched.mark(Kind::Scene, scene_id);
        }
        Ok(())
    })
}

/// Fills what the engine leaves to the emulator: the overview's identity and times, and the
/// scene snapshot.
fn complete_report(
    mut details: GetPtsReportDetailsOutput,
    record: &RunRecord,
    snapshot: Option<Scene>,
) -> GetPtsReportDetailsOutput {
    let overview = details
        .report_over_view
        .get_or_insert_with(ReportOverView::default);
    overview.report_id = Some(record.plan_id.clone());
    overview
        .report_name
        .get_or_insert_with(|| format!("{}-{}", record.scene_name, record.start_time));
    overview.start_time = Some(record.start_time.clone());
    overview.end_time = record.end_time.clone();
    overview.agent_count.get_or_insert(1);
    if details.scene_snap_shot.is_none() {
        details.scene_snap_shot = snapshot;
    }
    details
}

/// The scene as a report snapshot shows it (reference §6.3): no headers, no step settings, no
/// ids in the load lists, status `STOPPED`.
fn snapshot_of(scene: &Scene) -> Scene {
    let mut snapshot = scene.clone();
    snapshot.headers.clear();
    snapshot.status = Some(SceneStatus::Other("STOPPED".into()));
    if let Some(load) = snapshot.load_config.as_mut() {
        load.auto_step = None;
        load.increment = None;
        load.keep_time = None;
        load.vpc_load_config = None;
        for relation in &mut load.relation_load_config_list {
            *relation = RelationLoadConfig {
                relation_id: None,
                ..relation.clone()
            };
        }
        for api in &mut load.api_load_config_list {
            *api = ApiLoadConfig {
                api_id: None,
                ..api.clone()
            };
        }
    }
    snapshot
}

/// At start: runs left `running` by a previous process are `interrupted` (no figures: the
/// engine died with it) and their scenes back to `WaitStart`.
pub(crate) fn recover(store: &Store) -> io::Result<()> {
    let now = jiff::Timestamp::now();
    store
        .write(|tables, touched| {
            for (plan_id, record) in tables.runs.iter_mut() {
                if record.state == RunState::Running {
                    record.state = RunState::Interrupted;
                    record.end_ms = Some(now.as_millisecond());
                    record.end_time = Some(ids::time_text(now));
                    touched.mark(Kind::Run, plan_id);
                }
            }
            for (scene_id, scene) in tables.scenes.iter_mut() {
                if is_busy(scene) {
                    scene.status = Some(SceneStatus::WaitStart);
                    touched.mark(Kind::Scene, scene_id);
                }
            }
            Ok::<(), ()>(())
        })
        .map(|_| ())
}
