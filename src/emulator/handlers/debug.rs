//! Debug runs (reference §5.3): each chain once with every request sampled; the samples are
//! kept with the run record and paged by `GetPtsDebugSampleLogs`.

use serde_json::Value;

use super::lifecycle::{start_run, stop_and_finish};
use super::{ApiError, Shared, check_paging, ok, page};
use crate::wire::{
    Action, Empty, GetPtsDebugSampleLogs, GetPtsDebugSampleLogsOutput, Params, PlanIdOutput,
    StartDebugPtsScene, StopDebugPtsScene,
};

pub(super) fn start(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = StartDebugPtsScene::from_params(params)?;
    let plan_id = start_run(shared, &request.scene_id, true, "StartDebugPtsSceneFail")?;
    ok(&PlanIdOutput {
        plan_id: Some(plan_id),
        ..PlanIdOutput::default()
    })
}

pub(super) fn stop(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = StopDebugPtsScene::from_params(params)?;
    let taken = {
        let mut active = shared.runs.lock();
        match active.get(&request.scene_id) {
            Some(run) if run.debug && run.plan_id == request.plan_id => {
                active.remove(&request.scene_id)
            }
            _ => None,
        }
    };
    match taken {
        Some(run) => stop_and_finish(shared, &request.scene_id, run)?,
        None => {
            // Stopping a debug run that already ended is fine; an unknown one is not.
            let known = shared.store.read(|tables| {
                tables
                    .runs
                    .get(&request.plan_id)
                    .is_some_and(|record| record.debug && record.scene_id == request.scene_id)
            });
            if !known {
                return Err(ApiError::new(
                    "StopDebugPtsSceneFail",
                    "planId not exist",
                    400,
                ));
            }
        }
    }
    ok(&Empty::default())
}

pub(super) fn sample_logs(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetPtsDebugSampleLogs::from_params(params)?;
    let number = request.page_number.unwrap_or(1);
    let size = request.page_size.unwrap_or(10);
    check_paging(number, (1, i64::MAX), size, (1, 200))?;
    let samples = request
        .plan_id
        .and_then(|plan_id| {
            shared.store.read(|tables| {
                tables
                    .runs
                    .get(&plan_id)
                    .filter(|record| record.debug)
                    .map(|record| record.samples.clone())
            })
        })
        .ok_or_else(|| ApiError::new("GetPtsDebugSampleLogsFail", "planId not exist", 400))?;
    ok(&GetPtsDebugSampleLogsOutput {
        page_number: Some(number),
        page_size: Some(size),
        total_count: i64::try_from(samples.len()).ok(),
        sampling_logs: page(&samples, number, size),
        ..GetPtsDebugSampleLogsOutput::default()
    })
}
