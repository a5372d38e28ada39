//! Debug runs (reference §5.3): a short run that samples requests and responses, to check a
//! scene before spending load on it.

use super::Empty;
use super::lifecycle::PlanIdOutput;
use super::object::wire_object;
use super::params::wire_request;

wire_request! {
    /// Starts a debug run.
    pub struct StartDebugPtsScene in Query -> PlanIdOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Stops a debug run (use this, not `StopPtsScene`).
    pub struct StopDebugPtsScene in Query -> Empty {
        /// The debug run.
        plan_id: String = "PlanId",
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Reads the sampled requests of a debug run.
    pub struct GetPtsDebugSampleLogs in Query -> GetPtsDebugSampleLogsOutput {
        /// From 1.
        page_number: Option<i64> = "PageNumber",
        /// Page size.
        page_size: Option<i64> = "PageSize",
        /// The debug run.
        plan_id: Option<String> = "PlanId",
    }
}

wire_object! {
    /// `GetPtsDebugSampleLogs`'s answer.
    pub struct GetPtsDebugSampleLogsOutput {
        /// This page.
        page_number: Option<i64> = "PageNumber",
        /// Page size.
        page_size: Option<i64> = "PageSize",
        /// All samples.
        total_count: Option<i64> = "TotalCount",
        /// The samples.
        sampling_logs: Vec<SamplingLog> = "SamplingLogs",
    }
}

wire_object! {
    /// One sampled request of a debug run. Several fields hold JSON text, as noted.
    pub struct SamplingLog {
        /// Session id.
        chain_id: Option<String> = "ChainId",
        /// Session name.
        chain_name: Option<String> = "ChainName",
        /// Node id.
        node_id: Option<String> = "NodeId",
        /// Epoch milliseconds.
        timestamp: Option<i64> = "Timestamp",
        /// Epoch milliseconds the request started.
        http_start_time: Option<i64> = "HttpStartTime",
        /// Latency in ms, as text.
        rt: Option<String> = "Rt",
        /// Request method.
        http_request_method: Option<String> = "HttpRequestMethod",
        /// Request URL.
        http_request_url: Option<String> = "HttpRequestUrl",
        /// JSON text: a list of `{name, value}`.
        http_request_headers: Option<String> = "HttpRequestHeaders",
        /// Request body.
        http_request_body: Option<String> = "HttpRequestBody",
        /// Response status, as text.
        http_response_status: Option<String> = "HttpResponseStatus",
        /// JSON text: the response headers.
        http_response_headers: Option<String> = "HttpResponseHeaders",
        /// Response body.
        http_response_body: Option<String> = "HttpResponseBody",
        /// Why the request failed.
        http_response_fail_msg: Option<String> = "HttpResponseFailMsg",
        /// Timing breakdown.
        http_timing: Option<String> = "HttpTiming",
        /// JSON text: checkpoint outcomes.
        check_result: Option<String> = "CheckResult",
        /// JSON text: the export definitions.
        export_config: Option<String> = "ExportConfig",
        /// JSON text: the exported values.
        export_content: Option<String> = "ExportContent",
        /// Parameters fed into the request.
        import_content: Option<String> = "ImportContent",
    }
}
