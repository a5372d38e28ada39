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
    let filter = ReportFilter {
        scene_id: request.scene_id.as_deref(),
        report_id: request.report_id.as_deref(),
        begin_ms: request.begin_time,
        end_ms: request.end_time,
        keyword: request.keyword.as_deref(),
    };
    let records = shared.store.read(|tables| {
        reported(tables.runs.values(), |record| {
            filter.admits(
                (&record.scene_id, &record.plan_id),
                (record.start_ms, record.end_ms),
                &record.scene_name,
            )
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
/// The filters `ListPtsReports` and `ListJMeterReports` both take, as given.
pub(super) struct ReportFilter<'a> {
    pub scene_id: Option<&'a str>,
    pub report_id: Option<&'a str>,
    /// Runs that started at or after this (epoch milliseconds).
    pub begin_ms: Option<i64>,
    /// Runs that ended (or, still going, started) at or before this.
    pub end_ms: Option<i64>,
    /// Part of the report's name, in any case.
    pub keyword: Option<&'a str>,
}

impl ReportFilter<'_> {
    /// Whether the report `(scene id, report id)` of a run over `(start, end)` (epoch
    /// milliseconds), named `name`, is listed.
    pub fn admits(
        &self,
        (scene_id, report_id): (&str, &str),
        (start_ms, end_ms): (i64, Option<i64>),
        name: &str,
    ) -> bool {
        let keyword = self.keyword.unwrap_or_default().to_lowercase();
        self.scene_id.is_none_or(|id| id == scene_id)
            && self.report_id.is_none_or(|id| id == report_id)
            && self.begin_ms.is_none_or(|t| start_ms >= t)
            && self.end_ms.is_none_or(|t| end_ms.unwrap_or(start_ms) <= t)
            && (keyword.is_empty() || name.to_lowercase().contains(&keyword))
    }
}

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
