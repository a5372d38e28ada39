//! Scene baselines (reference §5.5), one per scene: made from a report, or written with
//! `UpdatePtsSceneBaseLine`, which creates the baseline when the scene has none (so that a
//! baseline can be set without a run).

use serde_json::Value;

use super::super::store::Kind;
use super::{ApiError, Shared, change, ok, pascal_case};
use crate::wire::{
    Action, ApiBaseline, Baseline, CreatePtsSceneBaseLineFromReport, DeletePtsSceneBaseLine, Empty,
    GetPtsSceneBaseLine, GetPtsSceneBaseLineOutput, ParamError, Params, SceneMetrics,
    UpdatePtsSceneBaseLine,
};

pub(super) fn create_from_report(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = CreatePtsSceneBaseLineFromReport::from_params(params)?;
    let code = "CreatePtsSceneBaseLineFromReportFail";
    change(shared, |tables, touched| {
        if !tables.scenes.contains_key(&request.scene_id) {
            return Err(ApiError::new(code, "The scene does not exist.", 400));
        }
        let report = tables
            .runs
            .get(&request.report_id)
            .filter(|record| record.scene_id == request.scene_id)
            .and_then(|record| record.report.clone())
            .ok_or_else(|| ApiError::new(code, "Report does not exist", 400))?;
        let scene_baseline = report.scene_metrics.map(|metrics| SceneMetrics {
            all_count: None,
            ..metrics
        });
        let api_baselines = report
            .api_metrics_list
            .iter()
            .zip(1..)
            .map(|(api, id)| ApiBaseline {
                id: Some(id),
                name: api.api_name.clone(),
                avg_tps: api.avg_tps,
                avg_rt: api.avg_rt,
                min_rt: api.min_rt,
                max_rt: api.max_rt,
                seg90_rt: api.seg90_rt,
                seg99_rt: api.seg99_rt,
                fail_count_req: api.fail_count_req,
                fail_count_biz: api.fail_count_biz,
                success_rate_req: api.success_rate_req,
                success_rate_biz: api.success_rate_biz,
                ..ApiBaseline::default()
            })
            .collect();
        let name = report
            .report_over_view
            .and_then(|overview| overview.report_name)
            .unwrap_or_else(|| request.report_id.clone());
        tables.baselines.insert(
            request.scene_id.clone(),
            Baseline {
                name: Some(name),
                scene_baseline,
                api_baselines,
                ..Baseline::default()
            },
        );
        touched.mark(Kind::Baseline, &request.scene_id);
        Ok(())
    })?;
    ok(&Empty::default())
}

pub(super) fn get(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetPtsSceneBaseLine::from_params(params)?;
    let code = "GetPtsSceneBaseLineFail";
    let (exists, baseline) = shared.store.read(|tables| {
        (
            tables.scenes.contains_key(&request.scene_id),
            tables.baselines.get(&request.scene_id).cloned(),
        )
    });
    if !exists {
        return Err(ApiError::new(code, "The scene does not exist.", 400));
    }
    let baseline =
        baseline.ok_or_else(|| ApiError::new(code, "The scene has no baseline.", 400))?;
    ok(&GetPtsSceneBaseLineOutput {
        scene_id: Some(request.scene_id),
        baseline: Some(baseline),
        ..GetPtsSceneBaseLineOutput::default()
    })
}

pub(super) fn update(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = UpdatePtsSceneBaseLine::from_params(params)?;
    let scene_baseline = request
        .scene_baseline
        .map(|value| {
            serde_json::from_value::<SceneMetrics>(pascal_case(value)).map_err(|error| {
                ApiError::from(ParamError::Invalid {
                    name: "SceneBaseline",
                    reason: error.to_string(),
                })
            })
        })
        .transpose()?;
    let api_baselines = request.api_baselines.map(read_api_baselines).transpose()?;
    change(shared, |tables, touched| {
        if !tables.scenes.contains_key(&request.scene_id) {
            return Err(ApiError::new(
                "UpdatePtsSceneBaseLineFail",
                "The scene does not exist.",
                400,
            ));
        }
        let baseline = tables
            .baselines
            .entry(request.scene_id.clone())
            .or_insert_with(|| Baseline {
                name: Some("baseline".into()),
                ..Baseline::default()
            });
        if let Some(metrics) = scene_baseline {
            baseline.scene_baseline = Some(metrics);
        }
        if let Some(apis) = api_baselines {
            baseline.api_baselines = apis;
        }
        touched.mark(Kind::Baseline, &request.scene_id);
        Ok(())
    })?;
    ok(&Empty::default())
}

pub(super) fn delete(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = DeletePtsSceneBaseLine::from_params(params)?;
    change(shared, |tables, touched| {
        if tables.baselines.remove(&request.scene_id).is_none() {
            return Err(ApiError::new(
                "DeletePtsSceneBaseLineFail",
                "The scene has no baseline.",
                400,
            ));
        }
        touched.mark(Kind::Baseline, &request.scene_id);
        Ok(())
    })?;
    ok(&Empty::default())
}

/// `ApiBaselines` as documented (a JSON array) or as the SDK types it (an object: one entry,
/// or entries keyed by anything).
fn read_api_baselines(value: Value) -> Result<Vec<ApiBaseline>, ApiError> {
    let invalid = |reason: String| {
        ApiError::from(ParamError::Invalid {
            name: "ApiBaselines",
            reason,
        })
    };
    let items = match pascal_case(value) {
        Value::Array(items) => items,
        Value::Object(object) if object.values().all(Value::is_object) && !object.is_empty() => {
            object.into_iter().map(|(_, item)| item).collect()
        }
        single @ Value::Object(_) => vec![single],
        other => {
            return Err(invalid(format!(
                "expected an array of objects, got {other}"
            )));
        }
    };
    items
        .into_iter()
        .map(|item| serde_json::from_value(item).map_err(|error| invalid(error.to_string())))
        .collect()
}
