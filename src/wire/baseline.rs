//! Scene baselines (reference §5.5): a report's numbers kept as the yardstick for later runs.

use super::Empty;
use super::object::wire_object;
use super::params::wire_request;
use super::report::SceneMetrics;

wire_request! {
    /// Reads a scene's baseline.
    pub struct GetPtsSceneBaseLine in Query -> GetPtsSceneBaseLineOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetPtsSceneBaseLine`'s answer.
    pub struct GetPtsSceneBaseLineOutput {
        /// The scene.
        scene_id: Option<String> = "SceneId",
        /// The baseline.
        baseline: Option<Baseline> = "Baseline",
    }
}

wire_object! {
    /// A scene baseline.
    pub struct Baseline {
        /// Baseline name.
        name: Option<String> = "Name",
        /// Whole-scene numbers (the report's shape, without `AllCount`).
        scene_baseline: Option<SceneMetrics> = "SceneBaseline",
        /// Per-API numbers.
        api_baselines: Vec<ApiBaseline> = "ApiBaselines",
    }
}

wire_object! {
    /// Baseline numbers of one API.
    pub struct ApiBaseline {
        /// Baseline entry id.
        id: Option<i64> = "Id",
        /// API name.
        name: Option<String> = "Name",
        /// Mean requests per second.
        avg_tps: Option<f64> = "AvgTps",
        /// Mean latency, ms.
        avg_rt: Option<f64> = "AvgRt",
        /// Minimum latency, ms.
        min_rt: Option<f64> = "MinRt",
        /// Maximum latency, ms.
        max_rt: Option<f64> = "MaxRt",
        /// 90th percentile latency, ms.
        seg90_rt: Option<f64> = "Seg90Rt",
        /// 99th percentile latency, ms.
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
    /// Makes a report the scene's baseline.
    pub struct CreatePtsSceneBaseLineFromReport in Query -> Empty {
        /// The report.
        report_id: String = "ReportId",
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Overwrites baseline numbers. Both payloads are free-form JSON; the documented examples
    /// use lowerCamelCase keys (`avgRt`…) and an array for `ApiBaselines`, which the SDK types
    /// as an object, so they are kept untyped.
    pub struct UpdatePtsSceneBaseLine in Query -> Empty {
        /// Per-API numbers, sent as JSON text.
        api_baselines: Option<serde_json::Value> = "ApiBaselines",
        /// Whole-scene numbers, sent as JSON text.
        scene_baseline: Option<serde_json::Value> = "SceneBaseline",
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Removes a scene's baseline.
    pub struct DeletePtsSceneBaseLine in Query -> Empty {
        /// The scene.
        scene_id: String = "SceneId",
    }
}
