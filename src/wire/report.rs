//! Reports (reference §5.4, and the JMeter report calls of §5.6, which share these shapes):
//! the final numbers of a run and the scene as it ran.
//!
//! Success rates are fractions 0..1 in PTS reports (JMeter reports show both `0.99` and
//! `100`); latencies are milliseconds.

use super::object::wire_object;
use super::params::wire_request;
use super::scene::Scene;

wire_request! {
    /// Reads the final report of a run.
    pub struct GetPtsReportDetails in Query -> GetPtsReportDetailsOutput {
        /// The run.
        plan_id: String = "PlanId",
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetPtsReportDetails`'s answer.
    pub struct GetPtsReportDetailsOutput {
        /// Name, times, generators, cost.
        report_over_view: Option<ReportOverView> = "ReportOverView",
        /// Whole-scene numbers.
        scene_metrics: Option<SceneMetrics> = "SceneMetrics",
        /// Per-API numbers.
        api_metrics_list: Vec<ApiMetrics> = "ApiMetricsList",
        /// The scene as it ran (reference §6.3): without headers, step settings and load ids.
        scene_snap_shot: Option<Scene> = "SceneSnapShot",
    }
}

wire_object! {
    /// A report's identity and cost.
    pub struct ReportOverView {
        /// Report id.
        report_id: Option<String> = "ReportId",
        /// Report name.
        report_name: Option<String> = "ReportName",
        /// `YYYY-MM-DD HH:MM:SS`.
        start_time: Option<String> = "StartTime",
        /// `YYYY-MM-DD HH:MM:SS`.
        end_time: Option<String> = "EndTime",
        /// Load generators used.
        agent_count: Option<i64> = "AgentCount",
        /// Virtual-user-minutes consumed.
        vum: Option<i64> = "Vum",
    }
}

wire_object! {
    /// Whole-scene numbers of a run; also the shape of a scene baseline.
    pub struct SceneMetrics {
        /// Requests sent.
        all_count: Option<i64> = "AllCount",
        /// Mean requests per second.
        avg_tps: Option<f64> = "AvgTps",
        /// Mean latency.
        avg_rt: Option<f64> = "AvgRt",
        /// 90th percentile latency.
        seg90_rt: Option<f64> = "Seg90Rt",
        /// 99th percentile latency.
        seg99_rt: Option<f64> = "Seg99Rt",
        /// Failed requests.
        fail_count_req: Option<i64> = "FailCountReq",
        /// Requests that failed a checkpoint.
        fail_count_biz: Option<i64> = "FailCountBiz",
        /// Share of requests that succeeded.
        success_rate_req: Option<f64> = "SuccessRateReq",
        /// Share of requests that passed their checkpoints.
        success_rate_biz: Option<f64> = "SuccessRateBiz",
    }
}

wire_object! {
    /// Numbers of one API (PTS) or sampler (JMeter) of a run.
    pub struct ApiMetrics {
        /// API or sampler name.
        api_name: Option<String> = "ApiName",
        /// Requests sent.
        all_count: Option<i64> = "AllCount",
        /// Mean requests per second.
        avg_tps: Option<f64> = "AvgTps",
        /// Mean latency.
        avg_rt: Option<f64> = "AvgRt",
        /// Minimum latency.
        min_rt: Option<f64> = "MinRt",
        /// Maximum latency.
        max_rt: Option<f64> = "MaxRt",
        /// Median latency.
        seg50_rt: Option<f64> = "Seg50Rt",
        /// 75th percentile latency.
        seg75_rt: Option<f64> = "Seg75Rt",
        /// 90th percentile latency.
        seg90_rt: Option<f64> = "Seg90Rt",
        /// 99th percentile latency.
        seg99_rt: Option<f64> = "Seg99Rt",
        /// Failed requests.
        fail_count_req: Option<i64> = "FailCountReq",
        /// Requests that failed a checkpoint.
        fail_count_biz: Option<i64> = "FailCountBiz",
        /// Share of requests that succeeded.
        success_rate_req: Option<f64> = "SuccessRateReq",
        /// Share of requests that passed their checkpoints.
        success_rate_biz: Option<f64> = "SuccessRateBiz",
    }
}

wire_request! {
    /// Pages through the report overviews of one scene.
    pub struct GetPtsReportsBySceneId in Query -> GetPtsReportsBySceneIdOutput {
        /// From 1.
        page_number: i64 = "PageNumber",
        /// 5..100.
        page_size: i64 = "PageSize",
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetPtsReportsBySceneId`'s answer.
    pub struct GetPtsReportsBySceneIdOutput {
        /// One page of overviews.
        report_over_view_list: Vec<ReportOverView> = "ReportOverViewList",
    }
}

wire_request! {
    /// Searches reports by scene, id, keyword and time window. The SDK sends every parameter
    /// in the form body.
    pub struct ListPtsReports in Body -> ListReportsOutput {
        /// Epoch milliseconds.
        begin_time: Option<i64> = "BeginTime",
        /// Epoch milliseconds.
        end_time: Option<i64> = "EndTime",
        /// Matches report names.
        keyword: Option<String> = "Keyword",
        /// 1..50.
        page_number: i64 = "PageNumber",
        /// 1..20.
        page_size: i64 = "PageSize",
        /// One report.
        report_id: Option<String> = "ReportId",
        /// One scene's reports.
        scene_id: Option<String> = "SceneId",
    }
}

wire_object! {
    /// A page of report summaries (`ListPtsReports`, `ListJMeterReports`).
    pub struct ListReportsOutput {
        /// This page.
        page_number: Option<i64> = "PageNumber",
        /// Page size.
        page_size: Option<i64> = "PageSize",
        /// All matches.
        total_count: Option<i64> = "TotalCount",
        /// The summaries.
        reports: Vec<ReportSummary> = "Reports",
    }
}

wire_object! {
    /// A report summary in a search.
    pub struct ReportSummary {
        /// Report id.
        report_id: Option<String> = "ReportId",
        /// Report name.
        report_name: Option<String> = "ReportName",
        /// Epoch milliseconds.
        actual_start_time: Option<i64> = "ActualStartTime",
        /// Display text.
        duration: Option<String> = "Duration",
        /// Virtual-user-minutes consumed.
        vum: Option<i64> = "Vum",
    }
}
