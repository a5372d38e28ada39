//! JMeter scenes (reference §5.6): scenes built from uploaded JMX/CSV/JAR files, their runs,
//! logs and reports. Reports reuse the PTS report shapes ([`ReportOverView`], [`SceneMetrics`],
//! [`ApiMetrics`], [`ListReportsOutput`]).

use super::object::{JsonObject, wire_enum, wire_object};
use super::params::{json_param, wire_request};
use super::report::{ApiMetrics, ListReportsOutput, ReportOverView, SceneMetrics};
use super::scene::TestMode;
use super::{Empty, SceneIdOutput};

wire_object! {
    /// A JMeter scene: one type for what `SaveOpenJMeterScene` takes and what
    /// `GetOpenJMeterScene` returns (which adds `BaseInfo` and `Pool`).
    pub struct OpenJMeterScene {
        /// Absent on create; set to update that scene.
        scene_id: Option<String> = "SceneId",
        /// Required.
        scene_name: Option<String> = "SceneName",
        /// The JMX file to run, one of `FileList`. Required.
        test_file: Option<String> = "TestFile",
        /// JMX, CSV and JAR files on OSS (cn-shanghai), 500 MB in total. Required.
        file_list: Vec<OssFile> = "FileList",
        /// `concurrency_mode`/`tps_mode` from Get; the Save example uses `CONCURRENCY`.
        mode: Option<TestMode> = "Mode",
        /// Seconds, 60..86400. Required.
        duration: Option<i64> = "Duration",
        /// Load generators, at most 500 VU each. Required.
        agent_count: Option<i64> = "AgentCount",
        /// Maximum concurrency (concurrency mode).
        concurrency: Option<i64> = "Concurrency",
        /// Starting concurrency (concurrency mode).
        start_concurrency: Option<i64> = "StartConcurrency",
        /// Maximum RPS (TPS mode).
        max_rps: Option<i64> = "MaxRps",
        /// Starting RPS (TPS mode).
        start_rps: Option<i64> = "StartRps",
        /// Ramp-up, seconds.
        ramp_up: Option<i64> = "RampUp",
        /// Ramp steps.
        steps: Option<i64> = "Steps",
        /// Synchronizing timer scope, e.g. `GLOBAL`, `STAND_ALONE`.
        sync_timer_type: Option<String> = "SyncTimerType",
        /// Constant-throughput timer scope, e.g. `GLOBAL`, `STAND_ALONE`.
        constant_throughput_timer_type: Option<String> = "ConstantThroughputTimerType",
        /// A JMeter environment ([`Env`](super::Env)).
        environment_id: Option<String> = "EnvironmentId",
        /// JMeter plug-in set.
        jmeter_plugin_label: Option<String> = "JmeterPluginLabel",
        /// JMeter properties.
        j_meter_properties: Vec<Property> = "JMeterProperties",
        /// DNS behaviour of the generators.
        dns_cache_config: Option<DnsCacheConfig> = "DnsCacheConfig",
        /// Where the load comes from, per region.
        regional_condition: Vec<RegionalCondition> = "RegionalCondition",
        /// `""` (Internet) or `intranet-vpc`; returned by Get.
        pool: Option<String> = "Pool",
        /// Generate the load from inside a VPC.
        is_vpc_test: Option<bool> = "IsVpcTest",
        /// Region of the VPC.
        region_id: Option<String> = "RegionId",
        /// The VPC.
        vpc_id: Option<String> = "VpcId",
        /// The vSwitch.
        v_switch_id: Option<String> = "VSwitchId",
        /// The security group.
        security_group_id: Option<String> = "SecurityGroupId",
        /// Who made and changed the scene; returned by Get.
        base_info: Option<BaseInfo> = "BaseInfo",
    }
}

wire_object! {
    /// A file on OSS, as JMeter scenes (`FileList`) and environments (`Files`) list them.
    pub struct OssFile {
        /// File id (Save and environments).
        file_id: Option<i64> = "FileId",
        /// File id (Get).
        id: Option<i64> = "Id",
        /// Required by Save.
        file_name: Option<String> = "FileName",
        /// OSS URL. Required by Save.
        file_oss_address: Option<String> = "FileOssAddress",
        /// Bytes.
        file_size: Option<i64> = "FileSize",
        /// File type; returned by Get.
        file_type: Option<String> = "FileType",
        /// MD5 of the content.
        md5: Option<String> = "Md5",
        /// Split a CSV across generators.
        split_csv: Option<bool> = "SplitCsv",
        /// Tags.
        tags: Option<String> = "Tags",
    }
}

wire_object! {
    /// A JMeter property (scenes, environments).
    pub struct Property {
        /// Property name.
        name: Option<String> = "Name",
        /// Property value.
        value: Option<String> = "Value",
        /// What it is for (environments).
        description: Option<String> = "Description",
    }
}

wire_object! {
    /// DNS behaviour of the load generators.
    pub struct DnsCacheConfig {
        /// Clear the DNS cache on each iteration.
        clear_cache_each_iteration: Option<bool> = "ClearCacheEachIteration",
        /// Resolvers to use.
        dns_servers: Vec<String> = "DnsServers",
        /// Host name → address; free-form.
        host_table: Option<JsonObject> = "HostTable",
    }
}

wire_object! {
    /// Load generators in one region.
    pub struct RegionalCondition {
        /// How many.
        amount: Option<i64> = "Amount",
        /// Region.
        region: Option<String> = "Region",
    }
}

wire_object! {
    /// Who made and changed a JMeter scene.
    pub struct BaseInfo {
        /// Creator.
        create_name: Option<String> = "CreateName",
        /// Last modifier.
        modify_name: Option<String> = "ModifyName",
        /// Last operation.
        operate_type: Option<String> = "OperateType",
        /// Owner.
        principal: Option<String> = "Principal",
        /// Note.
        remark: Option<String> = "Remark",
        /// Source.
        resource: Option<String> = "Resource",
    }
}

json_param!(OpenJMeterScene);

wire_enum! {
    /// The state of a JMeter scene in `ListOpenJMeterScenes`.
    pub enum JMeterSceneStatus {
        /// Preparing.
        Preparing = "PREPARING",
        /// Prepared.
        Prepared = "PREPARED",
        /// Starting.
        Starting = "STARTING",
        /// Running.
        Running = "RUNNING",
        /// Stopping.
        Stopping = "STOPPING",
        /// Stopped, i.e. waiting to start.
        Stopped = "STOPPED",
    }
}

wire_request! {
    /// Creates (no `SceneId`) or updates a JMeter scene.
    pub struct SaveOpenJMeterScene in Query -> SceneIdOutput {
        /// The scene, sent as JSON text.
        open_j_meter_scene: OpenJMeterScene = "OpenJMeterScene",
    }
}

wire_request! {
    /// Reads a JMeter scene.
    pub struct GetOpenJMeterScene in Query -> GetOpenJMeterSceneOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetOpenJMeterScene`'s answer.
    pub struct GetOpenJMeterSceneOutput {
        /// The scene.
        scene: Option<OpenJMeterScene> = "Scene",
    }
}

wire_request! {
    /// Pages through JMeter scenes.
    pub struct ListOpenJMeterScenes in Query -> ListOpenJMeterScenesOutput {
        /// From 1.
        page_number: i64 = "PageNumber",
        /// 10..1000.
        page_size: i64 = "PageSize",
        /// One scene.
        scene_id: Option<String> = "SceneId",
        /// Matches names.
        scene_name: Option<String> = "SceneName",
    }
}

wire_object! {
    /// `ListOpenJMeterScenes`'s answer.
    pub struct ListOpenJMeterScenesOutput {
        /// This page.
        page_number: Option<i64> = "PageNumber",
        /// Page size.
        page_size: Option<i64> = "PageSize",
        /// All matches.
        total_count: Option<i64> = "TotalCount",
        /// The summaries.
        j_meter_scene: Vec<JMeterSceneView> = "JMeterScene",
    }
}

wire_object! {
    /// A JMeter scene summary.
    pub struct JMeterSceneView {
        /// Scene id.
        scene_id: Option<String> = "SceneId",
        /// Scene name.
        scene_name: Option<String> = "SceneName",
        /// Duration as display text.
        duration_str: Option<String> = "DurationStr",
        /// Scene state.
        status: Option<JMeterSceneStatus> = "Status",
    }
}

wire_request! {
    /// Deletes a JMeter scene.
    pub struct RemoveOpenJMeterScene in Query -> Empty {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Starts a JMeter load test.
    pub struct StartTestingJMeterScene in Query -> ReportIdOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Stops a JMeter load test.
    pub struct StopTestingJMeterScene in Query -> Empty {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Starts a JMeter debug run.
    pub struct StartDebuggingJMeterScene in Query -> ReportIdOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Stops a JMeter debug run.
    pub struct StopDebuggingJMeterScene in Query -> Empty {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// The answer of calls that start or adjust a JMeter run.
    pub struct ReportIdOutput {
        /// The run's report id.
        report_id: Option<String> = "ReportId",
    }
}

wire_request! {
    /// Sets the load of a running JMeter test.
    pub struct AdjustJMeterSceneSpeed in Query -> ReportIdOutput {
        /// The run.
        report_id: String = "ReportId",
        /// New load, from 1.
        speed: i64 = "Speed",
    }
}

wire_request! {
    /// Reads the live state of a JMeter scene.
    pub struct GetJMeterSceneRunningData in Query -> GetJMeterSceneRunningDataOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetJMeterSceneRunningData`'s answer.
    pub struct GetJMeterSceneRunningDataOutput {
        /// Help link.
        document_url: Option<String> = "DocumentUrl",
        /// The live state.
        running_data: Option<JMeterRunningData> = "RunningData",
    }
}

wire_object! {
    /// The live state of a JMeter run.
    pub struct JMeterRunningData {
        /// The scene.
        scene_id: Option<String> = "SceneId",
        /// Scene name.
        scene_name: Option<String> = "SceneName",
        /// The run's report.
        report_id: Option<String> = "ReportId",
        /// State text, e.g. `RUNNING`.
        status: Option<String> = "Status",
        /// Current stage.
        stage_name: Option<String> = "StageName",
        /// A debug run.
        is_debugging: Option<bool> = "IsDebugging",
        /// Epoch milliseconds.
        start_time_ts: Option<i64> = "StartTimeTS",
        /// Seconds to hold the load.
        hold_for: Option<i64> = "HoldFor",
        /// Current concurrency.
        concurrency: Option<i64> = "Concurrency",
        /// Load generators.
        agent_count: Option<i64> = "AgentCount",
        /// Their ids.
        agent_id_list: Vec<String> = "AgentIdList",
        /// Virtual-user-minutes consumed.
        vum: Option<i64> = "Vum",
        /// Whether a report exists yet.
        has_report: Option<bool> = "HasReport",
        /// Whether the run hit an error.
        has_error: Option<bool> = "HasError",
        /// The error.
        error_message: Option<String> = "ErrorMessage",
        /// Whole-scene statistics, free-form (`rtAvg`, `successTps`…).
        all_sample_stat: Option<JsonObject> = "AllSampleStat",
        /// Per-sampler statistics, free-form.
        sample_stat_list: Vec<JsonObject> = "SampleStatList",
    }
}

wire_request! {
    /// Reads engine log lines of a JMeter run.
    pub struct GetJMeterLogs in Query -> GetJMeterLogsOutput {
        /// Which engine; invalid means engine 0.
        agent_index: Option<i64> = "AgentIndex",
        /// Documented as epoch seconds (examples look like milliseconds).
        begin_time: Option<i64> = "BeginTime",
        /// Documented as epoch seconds (examples look like milliseconds).
        end_time: Option<i64> = "EndTime",
        /// Matches log text.
        keyword: Option<String> = "Keyword",
        /// `ERROR`, `WARN`, `INFO` (default), `DEBUG`, `TRACE`.
        level: Option<String> = "Level",
        /// From 1.
        page_number: i64 = "PageNumber",
        /// 1..200.
        page_size: i64 = "PageSize",
        /// The run.
        report_id: String = "ReportId",
        /// Matches the thread.
        thread: Option<String> = "Thread",
    }
}

wire_object! {
    /// `GetJMeterLogs`'s answer.
    pub struct GetJMeterLogsOutput {
        /// Engines of the run.
        agent_count: Option<i64> = "AgentCount",
        /// This page.
        page_number: Option<i64> = "PageNumber",
        /// Page size.
        page_size: Option<i64> = "PageSize",
        /// All matches.
        total_count: Option<i64> = "TotalCount",
        /// Log entries, free-form.
        logs: Vec<JsonObject> = "Logs",
    }
}

wire_request! {
    /// Reads time series of sampler metrics.
    pub struct GetJMeterSampleMetrics in Query -> GetJMeterSampleMetricsOutput {
        /// Window start.
        begin_time: Option<i64> = "BeginTime",
        /// Window end.
        end_time: Option<i64> = "EndTime",
        /// The run.
        report_id: String = "ReportId",
        /// From 0; -1 is the whole scene.
        sampler_id: Option<i64> = "SamplerId",
    }
}

wire_object! {
    /// `GetJMeterSampleMetrics`'s answer.
    pub struct GetJMeterSampleMetricsOutput {
        /// Each entry is JSON text of one data point.
        sample_metric_list: Vec<String> = "SampleMetricList",
        /// Sampler index → name.
        sampler_map: Option<JsonObject> = "SamplerMap",
    }
}

wire_request! {
    /// Reads sampled results of a JMeter run, filtered.
    pub struct GetJMeterSamplingLogs in Query -> GetJMeterSamplingLogsOutput {
        /// One generator.
        agent_id: Option<i64> = "AgentId",
        /// Window start.
        begin_time: Option<i64> = "BeginTime",
        /// Window end.
        end_time: Option<i64> = "EndTime",
        /// Matches the sample.
        keyword: Option<String> = "Keyword",
        /// Latency at most, ms.
        max_rt: Option<i64> = "MaxRT",
        /// Latency at least, ms.
        min_rt: Option<i64> = "MinRT",
        /// From 1.
        page_number: i64 = "PageNumber",
        /// 1..200.
        page_size: i64 = "PageSize",
        /// The run.
        report_id: String = "ReportId",
        /// Response code.
        response_code: Option<String> = "ResponseCode",
        /// One sampler.
        sampler_id: Option<i64> = "SamplerId",
        /// Successful samples only, or failed only.
        success: Option<bool> = "Success",
        /// Matches the thread.
        thread: Option<String> = "Thread",
    }
}

wire_object! {
    /// `GetJMeterSamplingLogs`'s answer.
    pub struct GetJMeterSamplingLogsOutput {
        /// This page.
        page_number: Option<i64> = "PageNumber",
        /// Page size.
        page_size: Option<i64> = "PageSize",
        /// All matches.
        total_count: Option<i64> = "TotalCount",
        /// Samples, as text (format undocumented).
        sample_results: Vec<String> = "SampleResults",
    }
}

wire_request! {
    /// Reads the final report of a JMeter run.
    pub struct GetJMeterReportDetails in Query -> GetJMeterReportDetailsOutput {
        /// The run.
        report_id: String = "ReportId",
    }
}

wire_object! {
    /// `GetJMeterReportDetails`'s answer.
    pub struct GetJMeterReportDetailsOutput {
        /// Name, times, generators, cost.
        report_over_view: Option<ReportOverView> = "ReportOverView",
        /// Whole-scene numbers.
        scene_metrics: Option<SceneMetrics> = "SceneMetrics",
        /// Per-sampler numbers.
        sampler_metrics_list: Vec<ApiMetrics> = "SamplerMetricsList",
        /// Help link.
        document_url: Option<String> = "DocumentUrl",
        /// Undocumented.
        code_key: Option<String> = "CodeKey",
        /// Undocumented.
        dynamic_ctx: Option<String> = "DynamicCtx",
    }
}

wire_request! {
    /// Searches JMeter reports.
    pub struct ListJMeterReports in Query -> ListReportsOutput {
        /// Epoch milliseconds.
        begin_time: Option<i64> = "BeginTime",
        /// Epoch milliseconds.
        end_time: Option<i64> = "EndTime",
        /// Matches report names.
        keyword: Option<String> = "Keyword",
        /// 1..100.
        page_number: i64 = "PageNumber",
        /// 1..50.
        page_size: i64 = "PageSize",
        /// One report.
        report_id: Option<String> = "ReportId",
        /// One scene's reports.
        scene_id: Option<String> = "SceneId",
    }
}
