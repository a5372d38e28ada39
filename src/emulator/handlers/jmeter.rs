//! JMeter scenes (reference §5.6): stored, read, listed and removed like the cloud; they
//! cannot run on the local backend (the engine runs PTS scenes, not JMX files), so starts
//! answer `JMeterNotSupported` and the report, log and metric calls find no report.

use serde_json::Value;

use super::super::ids;
use super::super::store::Kind;
use super::{ApiError, Shared, change, check_paging, ok, page};
use crate::wire::{
    Action, AdjustJMeterSceneSpeed, Empty, GetJMeterLogs, GetJMeterReportDetails,
    GetJMeterSampleMetrics, GetJMeterSamplingLogs, GetJMeterSceneRunningData,
    GetJMeterSceneRunningDataOutput, GetOpenJMeterScene, GetOpenJMeterSceneOutput,
    JMeterRunningData, JMeterSceneStatus, JMeterSceneView, ListJMeterReports, ListOpenJMeterScenes,
    ListOpenJMeterScenesOutput, ListReportsOutput, ParamError, Params, RemoveOpenJMeterScene,
    SaveOpenJMeterScene, SceneIdOutput, StartDebuggingJMeterScene, StartTestingJMeterScene,
    StopDebuggingJMeterScene, StopTestingJMeterScene,
};

pub(super) fn save(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let mut scene = SaveOpenJMeterScene::from_params(params)?.open_j_meter_scene;
    if scene
        .scene_name
        .as_deref()
        .is_none_or(|name| name.trim().is_empty())
    {
        return Err(ParamError::Invalid {
            name: "OpenJMeterScene.SceneName",
            reason: "a scene needs a name".into(),
        }
        .into());
    }
    let scene_id = change(shared, |tables, touched| {
        let scene_id = match scene.scene_id.clone().filter(|id| !id.is_empty()) {
            Some(id) if tables.jmeter.contains_key(&id) => id,
            Some(_) => {
                return Err(ApiError::new(
                    "SaveOpenJMeterSceneFail",
                    "The scene does not exist.",
                    403,
                ));
            }
            None => ids::unique_id(6, |id| tables.jmeter.contains_key(id)),
        };
        scene.scene_id = Some(scene_id.clone());
        scene.mode = scene.mode.as_ref().map(|mode| mode.to_save_form());
        scene.pool.get_or_insert_with(String::new);
        tables.jmeter.insert(scene_id.clone(), scene);
        touched.mark(Kind::JMeter, &scene_id);
        Ok(scene_id)
    })?;
    ok(&SceneIdOutput {
        scene_id: Some(scene_id),
        ..SceneIdOutput::default()
    })
}

pub(super) fn get(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetOpenJMeterScene::from_params(params)?;
    let scene = shared
        .store
        .read(|tables| tables.jmeter.get(&request.scene_id).cloned())
        .ok_or_else(scene_not_exist)?;
    ok(&GetOpenJMeterSceneOutput {
        scene: Some(scene),
        ..GetOpenJMeterSceneOutput::default()
    })
}

pub(super) fn list(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = ListOpenJMeterScenes::from_params(params)?;
    check_paging(
        request.page_number,
        (1, i64::MAX),
        request.page_size,
        (10, 1000),
    )?;
    let views: Vec<JMeterSceneView> = shared.store.read(|tables| {
        tables
            .jmeter
            .iter()
            .filter(|(id, scene)| {
                request.scene_id.as_ref().is_none_or(|want| want == *id)
                    && request.scene_name.as_ref().is_none_or(|want| {
                        scene
                            .scene_name
                            .as_deref()
                            .is_some_and(|name| name.contains(want.as_str()))
                    })
            })
            .map(|(id, scene)| JMeterSceneView {
                scene_id: Some(id.clone()),
                scene_name: scene.scene_name.clone(),
                duration_str: scene.duration.map(|seconds| format!("{seconds}s")),
                status: Some(JMeterSceneStatus::Stopped),
                ..JMeterSceneView::default()
            })
            .collect()
    });
    ok(&ListOpenJMeterScenesOutput {
        page_number: Some(request.page_number),
        page_size: Some(request.page_size),
        total_count: i64::try_from(views.len()).ok(),
        j_meter_scene: page(&views, request.page_number, request.page_size),
        ..ListOpenJMeterScenesOutput::default()
    })
}

pub(super) fn remove(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = RemoveOpenJMeterScene::from_params(params)?;
    change(shared, |tables, touched| {
        tables
            .jmeter
            .remove(&request.scene_id)
            .ok_or_else(scene_not_exist)?;
        touched.mark(Kind::JMeter, &request.scene_id);
        Ok(())
    })?;
    ok(&Empty::default())
}

pub(super) fn start_testing(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    cannot_run(
        shared,
        &StartTestingJMeterScene::from_params(params)?.scene_id,
    )
}

pub(super) fn start_debugging(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    cannot_run(
        shared,
        &StartDebuggingJMeterScene::from_params(params)?.scene_id,
    )
}

pub(super) fn stop_testing(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    stop_idle(
        shared,
        &StopTestingJMeterScene::from_params(params)?.scene_id,
    )
}

pub(super) fn stop_debugging(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    stop_idle(
        shared,
        &StopDebuggingJMeterScene::from_params(params)?.scene_id,
    )
}

pub(super) fn adjust_speed(_: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = AdjustJMeterSceneSpeed::from_params(params)?;
    super::check_range("Speed", request.speed, 1, i64::MAX)?;
    Err(report_not_exist())
}

pub(super) fn running_data(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterSceneRunningData::from_params(params)?;
    let scene = shared
        .store
        .read(|tables| tables.jmeter.get(&request.scene_id).cloned())
        .ok_or_else(scene_not_exist)?;
    ok(&GetJMeterSceneRunningDataOutput {
        running_data: Some(JMeterRunningData {
            scene_id: Some(request.scene_id),
            scene_name: scene.scene_name,
            status: Some(JMeterSceneStatus::Stopped.as_str().to_owned()),
            is_debugging: Some(false),
            has_report: Some(false),
            has_error: Some(false),
            ..JMeterRunningData::default()
        }),
        ..GetJMeterSceneRunningDataOutput::default()
    })
}

pub(super) fn logs(_: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterLogs::from_params(params)?;
    check_paging(
        request.page_number,
        (1, 10_000_000),
        request.page_size,
        (1, 200),
    )?;
    Err(report_not_exist())
}

pub(super) fn sample_metrics(_: &Shared, params: &Params) -> Result<Value, ApiError> {
    GetJMeterSampleMetrics::from_params(params)?;
    Err(report_not_exist())
}

pub(super) fn sampling_logs(_: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterSamplingLogs::from_params(params)?;
    check_paging(
        request.page_number,
        (1, 10_000_000),
        request.page_size,
        (1, 200),
    )?;
    Err(report_not_exist())
}

pub(super) fn report_details(_: &Shared, params: &Params) -> Result<Value, ApiError> {
    GetJMeterReportDetails::from_params(params)?;
    Err(report_not_exist())
}

pub(super) fn list_reports(_: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = ListJMeterReports::from_params(params)?;
    check_paging(request.page_number, (1, 100), request.page_size, (1, 50))?;
    if request.report_id.is_some() {
        return Err(report_not_exist());
    }
    ok(&ListReportsOutput {
        page_number: Some(request.page_number),
        page_size: Some(request.page_size),
        total_count: Some(0),
        ..ListReportsOutput::default()
    })
}

fn cannot_run(shared: &Shared, scene_id: &str) -> Result<Value, ApiError> {
    if shared
        .store
        .read(|tables| !tables.jmeter.contains_key(scene_id))
    {
        return Err(scene_not_exist());
    }
    Err(ApiError::new(
        "JMeterNotSupported",
        "The local backend stores JMeter scenes but cannot run them: it has no JMeter \
         engine (running Apache JMeter locally is not supported). Start this scene on \
         Alibaba Cloud PTS.",
        400,
    ))
}

/// Stopping a JMeter scene that cannot be running: fine if it exists.
fn stop_idle(shared: &Shared, scene_id: &str) -> Result<Value, ApiError> {
    if shared
        .store
        .read(|tables| !tables.jmeter.contains_key(scene_id))
    {
        return Err(scene_not_exist());
    }
    ok(&Empty::default())
}

fn scene_not_exist() -> ApiError {
    ApiError::new("SceneNotExist", "The scene does not exist.", 403)
}

fn report_not_exist() -> ApiError {
    ApiError::new("ReportNotExist", "The report does not exist.", 403)
}
