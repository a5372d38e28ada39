//! Reports (reference §5.4): the figures of finished load runs, with the scene snapshot.
//! The report id is the run's plan id.

use serde_json::Value;

use super::super::runs::RunRecord;
use super::{ApiError, Shared, check_paging, ok, page};
use crate::wire::{
    Action, GetPtsReportDetails, GetPtsReportsBySceneId, GetPtsReportsBySceneIdOutput,
    ListPtsReports, ListReportsOutput, Params, ReportOverView, ReportSummary,
};

pub(super) fn details(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetPtsReportDetails::from_params(params)?;
    let report = shared
        .store
        .read(|tables| {
            tables
                .runs
                .get(&request.plan_id)
                .filter(|record| record.scene_id == request.scene_id)
                .and_then(|record| record.report.clone())
        })
        .ok_or_else(|| ApiError::new("GetPtsReportDetailsFail", "Report does not exist", 400))?;
    ok(&report)
}

pub(super) fn by_scene(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetPtsReportsBySceneId::from_params(params)?;
    check_paging(
        request.page_number,
        (1, i64::MAX),
        request.page_size,
        (5, 100),
    )?;
    let (exists, records) = shared.store.read(|tables| {
        (
            tables.scenes.contains_key(&request.scene_id),
            reported(tables.runs.values(), |r| r.scene_id == request.scene_id),
        )
    });
    if !exists && records.is_empty() {
        return Err(ApiError::new(
            "GetPtsReportsBySceneIdFail",
            "The scene does not exist.",
            400,
        ));
    }
    let overviews: Vec<ReportOverView> = records
        .iter()
        .filter_map(|record| record.report.as_ref()?.report_over_view.clone())
        .collect();
    ok(&GetPtsReportsBySceneIdOutput {
        report_over_view_list: page(&overviews, request.page_number, request.page_size),
        ..GetPtsReportsBySceneIdOutput::default()
    })
}

pub(super) fn list(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = ListPtsReports::from_params(params)?;
    check_paging(request.page_number, (1, 50), request.page_size, (1, 20))?;
    let keyword = request.keyword.clone().unwrap_or_default().to_lowercase();
    let records = shared.store.read(|tables| {
        reported(tables.runs.values(), |record| {
            request
                .scene_id
                .as_ref()
                .is_none_or(|id| *id == record.scene_id)
                && request
                    .report_id
                    .as_ref()
                    .is_none_or(|id| *id == record.plan_id)
                && request.begin_time.is_none_or(|t| record.start_ms >= t)
                && request
                    .end_time
                    .is_none_or(|t| record.end_ms.unwrap_or(record.start_ms) <= t)
                && (keyword.is_empty() || record.scene_name.to_lowercase().contains(&keyword))
        })
    });
    if request.report_id.is_some() && records.is_empty() {
        return Err(ApiError::new(
            "ReportNotExist",
            "The report does not exist.",
            403,
        ));
    }
    let summaries: Vec<ReportSummary> = records
        .iter()
        .map(|record| {
            let overview = record
                .report
                .as_ref()
                .and_then(|report| report.report_over_view.clone())
                .unwrap_or_default();
            let seconds = (record.end_ms.unwrap_or(record.start_ms) - record.start_ms) / 1000;
            ReportSummary {
                report_id: Some(record.plan_id.clone()),
                report_name: overview.report_name,
                actual_start_time: Some(record.start_ms),
                duration: Some(format!("{}m{}s", seconds / 60, seconds % 60)),
                vum: overview.vum,
                ..ReportSummary::default()
            }
        })
        .collect();
    ok(&ListReportsOutput {
        page_number: Some(request.page_number),
        page_size: Some(request.page_size),
        total_count: i64::try_from(summaries.len()).ok(),
        reports: page(&summaries, request.page_number, request.page_size),
        ..ListReportsOutput::default()
    })
}

/// Finished load runs with a report matching `keep`, newest first.
fn reported<'a>(
    runs: impl Iterator<Item = &'a RunRecord>,
    keep: impl Fn(&RunRecord) -> bool,
) -> Vec<RunRecord> {
    let mut records: Vec<RunRecord> = runs
        .filter(|record| !record.debug && record.report.is_some() && keep(record))
        .cloned()
        .collect();
    records.sort_by(|a, b| {
        b.start_ms
            .cmp(&a.start_ms)
            .then_with(|| a.plan_id.cmp(&b.plan_id))
    });
    records
}
