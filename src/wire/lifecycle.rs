//! Load-test lifecycle (reference §5.2): start, stop, watch, and change the speed of a run.

use super::Empty;
use super::object::{wire_enum, wire_object};
use super::params::{json_param, wire_request};

wire_request! {
    /// Starts a load test of a saved scene.
    pub struct StartPtsScene in Query -> PlanIdOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// The answer of calls that start a run.
    pub struct PlanIdOutput {
        /// The run's id; also the report key.
        plan_id: Option<String> = "PlanId",
    }
}

wire_request! {
    /// Stops the running load test of a scene.
    pub struct StopPtsScene in Query -> Empty {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Reads the run state of a scene.
    pub struct GetPtsSceneRunningStatus in Query -> GetPtsSceneRunningStatusOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetPtsSceneRunningStatus`'s answer.
    pub struct GetPtsSceneRunningStatusOutput {
        /// Scene name.
        scene_name: Option<String> = "SceneName",
        /// Run state.
        status: Option<RunningStatus> = "Status",
        /// `YYYY-MM-DD HH:MM:SS`.
        create_time: Option<String> = "CreateTime",
        /// `YYYY-MM-DD HH:MM:SS`.
        modified_time: Option<String> = "ModifiedTime",
    }
}

wire_enum! {
    /// The state of a scene's run, in the order a run goes through them.
    pub enum RunningStatus {
        /// Run created.
        Created = "CREATED",
        /// Syncing the scene to the engine.
        Syncing = "SYNCING",
        /// Sync done.
        SyncDone = "SYNC_DONE",
        /// Uploading files.
        Uploading = "UPLOADING",
        /// Files uploaded.
        Uploaded = "UPLOADED",
        /// Preparing load generators.
        Preparing = "PREPARING",
        /// About to send load.
        Ready = "READY",
        /// Sending load.
        Running = "RUNNING",
        /// Stopping.
        Stopping = "STOPPING",
        /// Stopped.
        Stopped = "STOPPED",
    }
}

wire_request! {
    /// Reads live metrics of a run.
    pub struct GetPtsSceneRunningData in Query -> GetPtsSceneRunningDataOutput {
        /// The run.
        plan_id: String = "PlanId",
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetPtsSceneRunningData`'s answer: totals, per-API data, generator locations.
    /// Latencies are milliseconds; they are typed as numbers (the SDK says integers) so that
    /// the local engine can report fractions.
    pub struct GetPtsSceneRunningDataOutput {
        /// Run state as an integer; default 7, example 6, meaning undocumented.
        status: Option<i64> = "Status",
        /// Epoch milliseconds.
        begin_time: Option<i64> = "BeginTime",
        /// Whether a report exists yet.
        has_report: Option<bool> = "HasReport",
        /// Current concurrency.
        concurrency: Option<i64> = "Concurrency",
        /// Configured maximum concurrency.
        concurrency_limit: Option<i64> = "ConcurrencyLimit",
        /// Configured maximum TPS.
        tps_limit: Option<i64> = "TpsLimit",
        /// Current requests per second.
        total_real_qps: Option<f64> = "TotalRealQps",
        /// Requests so far.
        total_request_count: Option<i64> = "TotalRequestCount",
        /// Failed requests so far.
        failed_request_count: Option<i64> = "FailedRequestCount",
        /// Requests that failed a checkpoint so far.
        failed_business_count: Option<i64> = "FailedBusinessCount",
        /// Mean latency.
        average_rt: Option<f64> = "AverageRt",
        /// 90th percentile latency.
        seg90_rt: Option<f64> = "Seg90Rt",
        /// Display text, e.g. `89kb`.
        request_bps: Option<String> = "RequestBps",
        /// Display text, e.g. `89kb`.
        response_bps: Option<String> = "ResponseBps",
        /// Load generators in use.
        total_agents: Option<i64> = "TotalAgents",
        /// Load generators alive.
        alive_agents: Option<i64> = "AliveAgents",
        /// Virtual-user-minutes consumed.
        vum: Option<i64> = "Vum",
        /// Where the generators are.
        agent_location: Vec<AgentLocation> = "AgentLocation",
        /// Per-API data.
        chain_monitor_data_list: Vec<ChainMonitorData> = "ChainMonitorDataList",
    }
}

wire_object! {
    /// Where some of a run's load generators are.
    pub struct AgentLocation {
        /// How many generators.
        count: Option<i64> = "Count",
        /// Network operator.
        isp: Option<String> = "Isp",
        /// Province.
        province: Option<String> = "Province",
        /// Region.
        region: Option<String> = "Region",
    }
}

wire_object! {
    /// Live data of one API of a run.
    pub struct ChainMonitorData {
        /// The API.
        api_id: Option<String> = "ApiId",
        /// Its name.
        api_name: Option<String> = "ApiName",
        /// Node id.
        node_id: Option<i64> = "NodeId",
        /// Epoch milliseconds of this data point.
        time_point: Option<i64> = "TimePoint",
        /// Current concurrency.
        concurrency: Option<f64> = "Concurrency",
        /// Configured requests per second.
        config_qps: Option<i64> = "ConfigQps",
        /// Actual requests per second.
        real_qps: Option<f64> = "RealQps",
        /// 2xx answers per second.
        qps2_xx: Option<f64> = "Qps2XX",
        /// Failed requests per second.
        failed_qps: Option<f64> = "FailedQps",
        /// 2xx answers.
        count2_xx: Option<i64> = "Count2XX",
        /// Failed requests.
        failed_count: Option<i64> = "FailedCount",
        /// Mean latency, ms.
        average_rt: Option<f64> = "AverageRt",
        /// Maximum latency, ms.
        max_rt: Option<f64> = "MaxRt",
        /// Minimum latency, ms.
        min_rt: Option<f64> = "MinRt",
        /// Checkpoint outcomes.
        check_point_result: Option<CheckPointResult> = "CheckPointResult",
    }
}

wire_object! {
    /// Checkpoint outcomes of one API.
    pub struct CheckPointResult {
        /// Requests whose checkpoints all passed.
        succeed_business_count: Option<i64> = "SucceedBusinessCount",
        /// Per second.
        succeed_business_qps: Option<f64> = "SucceedBusinessQps",
        /// Requests with a failed checkpoint.
        failed_business_count: Option<i64> = "FailedBusinessCount",
        /// Per second.
        failed_business_qps: Option<f64> = "FailedBusinessQps",
    }
}

wire_request! {
    /// Changes the load of a running test. Concurrency mode: the new concurrency on the first
    /// API of each session. TPS mode: one entry per API, not increasing along a session.
    pub struct AdjustPtsSceneSpeed in Query -> Empty {
        /// New speeds, sent as a JSON array.
        api_speed_list: Option<Vec<ApiSpeed>> = "ApiSpeedList",
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// A new speed for one API.
    pub struct ApiSpeed {
        /// The API, as the running data names it.
        api_id: Option<String> = "ApiId",
        /// Concurrency or RPS, per the test mode.
        speed: Option<i64> = "Speed",
    }
}

json_param!(Vec<ApiSpeed>);
