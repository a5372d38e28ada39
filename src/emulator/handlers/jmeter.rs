//! JMeter scenes (reference §5.6): stored, read, listed and removed like the cloud. Their
//! runs are in `jmeter_runs`, their reports, logs and metrics in `jmeter_reports`.

use serde_json::Value;

use super::super::ids;
use super::super::store::Kind;
use super::{ApiError, Shared, change, check_paging, ok, page};
use crate::wire::{
    Action, Empty, GetOpenJMeterScene, GetOpenJMeterSceneOutput, JMeterSceneStatus,
    JMeterSceneView, ListOpenJMeterScenes, ListOpenJMeterScenesOutput, ParamError, Params,
    RemoveOpenJMeterScene, SaveOpenJMeterScene, SceneIdOutput,
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
    let running: Vec<String> = shared.jmeter_runs.lock().keys().cloned().collect();
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
                status: Some(if running.contains(id) {
                    JMeterSceneStatus::Running
                } else {
                    JMeterSceneStatus::Stopped
                }),
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
    if super::jmeter_runs::is_running(shared, &request.scene_id) {
        return Err(ApiError::new(
            "RemoveOpenJMeterSceneFail",
            "The scene is running: stop it (StopTestingJMeterScene) before removing it.",
            400,
        ));
    }
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

pub(super) fn scene_not_exist() -> ApiError {
    ApiError::new("SceneNotExist", "The scene does not exist.", 403)
}

pub(super) fn report_not_exist() -> ApiError {
    ApiError::new("ReportNotExist", "The report does not exist.", 403)
}
