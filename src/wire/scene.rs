//! The PTS scene (reference §6): one type for what `SavePtsScene` takes, what `GetPtsScene`
//! returns and the snapshot in a report, so that lowering, diffing, the emulator and the
//! engine all speak the same tree.
//!
//! The three shapes differ only in which fields are present: `GetPtsScene` adds `Status`,
//! `CreateTime`, `ModifiedTime` and the scene-wide `Headers`, and spells `TestMode`
//! `CONCURRENCY`/`TPS` instead of `concurrency_mode`/`tps_mode`; the report snapshot drops the
//! step settings and the ids in the load lists. Every field is therefore optional here, and
//! [`TestMode`] keeps the spelling it was given.

use super::object::{wire_enum, wire_object};
use super::params::json_param;

wire_object! {
    /// A PTS scene: sessions of API calls, the load to put on them, and settings.
    pub struct Scene {
        /// Absent or empty on create; set to update that scene.
        scene_id: Option<String> = "SceneId",
        /// Required by `SavePtsScene`.
        scene_name: Option<String> = "SceneName",
        /// Sessions ("links", "chains"): each virtual user runs one session's APIs in order.
        relation_list: Vec<Relation> = "RelationList",
        /// How much load, for how long. Required by `SavePtsScene`.
        load_config: Option<LoadConfig> = "LoadConfig",
        /// Timeouts, sampling, success codes, host pinning.
        advance_setting: Option<AdvanceSetting> = "AdvanceSetting",
        /// Constants usable as `${ParamName}`.
        global_parameter_list: Vec<GlobalParameter> = "GlobalParameterList",
        /// CSV files by public OSS URL; their columns are mapped per session.
        file_parameter_list: Vec<FileParameter> = "FileParameterList",
        /// Scene-wide headers; returned by `GetPtsScene`, not settable by `SavePtsScene`.
        headers: Vec<SceneHeader> = "Headers",
        /// Returned by `GetPtsScene` (and `STOPPED` in report snapshots).
        status: Option<SceneStatus> = "Status",
        /// `YYYY-MM-DD HH:MM:SS`, returned by `GetPtsScene`.
        create_time: Option<String> = "CreateTime",
        /// `YYYY-MM-DD HH:MM:SS`, returned by `GetPtsScene`.
        modified_time: Option<String> = "ModifiedTime",
    }
}

wire_object! {
    /// A session: APIs a virtual user calls in order, and the CSV columns it reads.
    pub struct Relation {
        /// Assigned by the service; send it back on update to keep load settings attached.
        relation_id: Option<String> = "RelationId",
        /// Required.
        relation_name: Option<String> = "RelationName",
        /// The calls, in order. Required.
        api_list: Vec<Api> = "ApiList",
        /// Which CSV columns feed this session's parameters.
        file_parameter_explain_list: Vec<FileParameterExplain> = "FileParameterExplainList",
    }
}

wire_object! {
    /// One HTTP call in a session.
    pub struct Api {
        /// Assigned by the service; referenced by `ApiLoadConfigList` and speed changes.
        api_id: Option<String> = "ApiId",
        /// Required.
        api_name: Option<String> = "ApiName",
        /// Required; may contain `${param}` references.
        url: Option<String> = "Url",
        /// Required: `GET`, `POST`…
        method: Option<String> = "Method",
        /// Seconds, 1..60, default 5.
        timeout_in_second: Option<i64> = "TimeoutInSecond",
        /// Required. Documented as only 0 or 10 with an inverted-looking meaning; kept raw.
        redirect_count_limit: Option<i64> = "RedirectCountLimit",
        /// Request headers.
        header_list: Vec<Header> = "HeaderList",
        /// Request body.
        body: Option<Body> = "Body",
        /// Output parameters taken from the response, usable by later calls.
        export_list: Vec<Export> = "ExportList",
        /// Assertions; all must pass for a business success.
        check_point_list: Vec<CheckPoint> = "CheckPointList",
    }
}

wire_object! {
    /// One request header of an API.
    pub struct Header {
        /// Header name.
        header_name: Option<String> = "HeaderName",
        /// Header value; may contain `${param}` references.
        header_value: Option<String> = "HeaderValue",
    }
}

wire_object! {
    /// The request body of an API.
    pub struct Body {
        /// Default `application/x-www-form-urlencoded`.
        content_type: Option<String> = "ContentType",
        /// The body text; may contain `${param}` references.
        body_value: Option<String> = "BodyValue",
    }
}

wire_object! {
    /// An output parameter: a value taken from a response for later calls.
    pub struct Export {
        /// The parameter's name (`${ExportName}` later).
        export_name: Option<String> = "ExportName",
        /// Where the value comes from.
        export_type: Option<ExportType> = "ExportType",
        /// The extraction expression: JSON path for `BODY_JSON`, header name for `HEADER`.
        export_value: Option<String> = "ExportValue",
        /// Match index as text (`"0"`…) or `Random`; needed for `BODY_TEXT`.
        count: Option<String> = "Count",
    }
}

wire_object! {
    /// An assertion on a response.
    pub struct CheckPoint {
        /// What is checked.
        check_type: Option<CheckType> = "CheckType",
        /// The header or export parameter checked (`HEADER`, `EXPORTED_PARAM`); else empty.
        check_point: Option<String> = "CheckPoint",
        /// Comparison; confirmed tokens are `eq` and `ctn` (contains).
        operator: Option<String> = "Operator",
        /// The value compared against.
        expect_value: Option<String> = "ExpectValue",
    }
}

wire_object! {
    /// Maps one CSV file's columns to parameters of a session.
    pub struct FileParameterExplain {
        /// Required; a `FileParameterList` file.
        file_name: Option<String> = "FileName",
        /// Required; the parameter(s) the file supplies.
        file_param_name: Option<String> = "FileParamName",
        /// The benchmark file that decides row alignment across files.
        base_file: Option<bool> = "BaseFile",
        /// Use each row once (makes this file the benchmark).
        cycle_once: Option<bool> = "CycleOnce",
    }
}

wire_object! {
    /// The load: mode, duration, levels, ramp and generators.
    pub struct LoadConfig {
        /// Required.
        test_mode: Option<TestMode> = "TestMode",
        /// Minutes, 1..1440. Required.
        max_running_time: Option<i64> = "MaxRunningTime",
        /// Whole-scene levels, split evenly. Required.
        configuration: Option<Configuration> = "Configuration",
        /// Per-session concurrency (concurrency mode, instead of the whole-scene levels).
        relation_load_config_list: Vec<RelationLoadConfig> = "RelationLoadConfigList",
        /// Per-API RPS (TPS mode, instead of the whole-scene levels).
        api_load_config_list: Vec<ApiLoadConfig> = "ApiLoadConfigList",
        /// Ramp in steps (concurrency mode only).
        auto_step: Option<bool> = "AutoStep",
        /// Percent per step, 10..100 in tens (with `AutoStep`).
        increment: Option<i64> = "Increment",
        /// Minutes per level, less than `MaxRunningTime`.
        keep_time: Option<i64> = "KeepTime",
        /// Load generators; more than one only above 250 VU or 2000 RPS.
        agent_count: Option<i64> = "AgentCount",
        /// Generate the load from inside a VPC.
        vpc_load_config: Option<VpcLoadConfig> = "VpcLoadConfig",
    }
}

wire_object! {
    /// Whole-scene load levels; the pair matching the test mode is used.
    pub struct Configuration {
        /// Starting concurrency (concurrency mode).
        all_concurrency_begin: Option<i64> = "AllConcurrencyBegin",
        /// Maximum concurrency (concurrency mode).
        all_concurrency_limit: Option<i64> = "AllConcurrencyLimit",
        /// Starting RPS (TPS mode).
        all_rps_begin: Option<i64> = "AllRpsBegin",
        /// Maximum RPS (TPS mode).
        all_rps_limit: Option<i64> = "AllRpsLimit",
    }
}

wire_object! {
    /// Concurrency of one session. Report snapshots omit the id.
    pub struct RelationLoadConfig {
        /// The session.
        relation_id: Option<String> = "RelationId",
        /// Starting concurrency. Required.
        concurrency_begin: Option<i64> = "ConcurrencyBegin",
        /// Maximum concurrency. Required.
        concurrency_limit: Option<i64> = "ConcurrencyLimit",
    }
}

wire_object! {
    /// RPS of one API. Report snapshots omit the id.
    pub struct ApiLoadConfig {
        /// The API. Required by `SavePtsScene`.
        api_id: Option<String> = "ApiId",
        /// Starting RPS. Required.
        rps_begin: Option<i64> = "RpsBegin",
        /// Maximum RPS. Required.
        rps_limit: Option<i64> = "RpsLimit",
    }
}

wire_object! {
    /// Where in a VPC the load generators run; all four are required when present.
    pub struct VpcLoadConfig {
        /// Region of the VPC.
        region_id: Option<String> = "RegionId",
        /// The VPC.
        vpc_id: Option<String> = "VpcId",
        /// The vSwitch.
        v_switch_id: Option<String> = "VSwitchId",
        /// The security group.
        security_group_id: Option<String> = "SecurityGroupId",
    }
}

wire_object! {
    /// Scene-wide settings.
    pub struct AdvanceSetting {
        /// Connect timeout, seconds.
        connection_timeout_in_second: Option<i64> = "ConnectionTimeoutInSecond",
        /// Log sampling rate: 1, 10, 20, 30, 40 or 50.
        log_rate: Option<i64> = "LogRate",
        /// Extra HTTP codes counted as success, comma-separated (`"429,304"`).
        success_code: Option<String> = "SuccessCode",
        /// Host pinning.
        domain_binding_list: Vec<DomainBinding> = "DomainBindingList",
    }
}

wire_object! {
    /// Resolves a domain to fixed IPs during the test.
    pub struct DomainBinding {
        /// The domain.
        domain: Option<String> = "Domain",
        /// Its addresses.
        ips: Vec<String> = "Ips",
    }
}

wire_object! {
    /// A constant parameter.
    pub struct GlobalParameter {
        /// Used as `${ParamName}`.
        param_name: Option<String> = "ParamName",
        /// Its value.
        param_value: Option<String> = "ParamValue",
    }
}

wire_object! {
    /// A CSV data file.
    pub struct FileParameter {
        /// The name sessions refer to.
        file_name: Option<String> = "FileName",
        /// Publicly reachable OSS URL.
        file_oss_address: Option<String> = "FileOssAddress",
    }
}

wire_object! {
    /// A scene-wide header, as `GetPtsScene` returns them.
    pub struct SceneHeader {
        /// Header name.
        name: Option<String> = "Name",
        /// Header value.
        value: Option<String> = "Value",
    }
}

json_param!(Scene);

wire_enum! {
    /// The scene's state (`GetPtsScene`, `ListPtsScene`). The docs list four values; report
    /// snapshots show `STOPPED`, kept as `Other`.
    pub enum SceneStatus {
        /// Saved, never started.
        Draft = "Draft",
        /// Ready to start.
        WaitStart = "WaitStart",
        /// A debug run is going.
        Debugging = "Debugging",
        /// A load test is going.
        Running = "Running",
    }
}

wire_enum! {
    /// Concurrency (virtual users) or TPS (requests per second) mode. `SavePtsScene` takes
    /// `concurrency_mode`/`tps_mode`; `GetPtsScene` and report snapshots return
    /// `CONCURRENCY`/`TPS`. Both spellings are kept as given so that each answer round-trips;
    /// compare modes with [`TestMode::to_save_form`].
    pub enum TestMode {
        /// `concurrency_mode`, as `SavePtsScene` takes it.
        ConcurrencyMode = "concurrency_mode",
        /// `tps_mode`, as `SavePtsScene` takes it.
        TpsMode = "tps_mode",
        /// `CONCURRENCY`, as `GetPtsScene` returns it.
        Concurrency = "CONCURRENCY",
        /// `TPS`, as `GetPtsScene` returns it.
        Tps = "TPS",
    }
}

impl TestMode {
    /// Concurrency mode, in either spelling.
    pub fn is_concurrency(&self) -> bool {
        matches!(self, Self::ConcurrencyMode | Self::Concurrency)
    }

    /// TPS mode, in either spelling.
    pub fn is_tps(&self) -> bool {
        matches!(self, Self::TpsMode | Self::Tps)
    }

    /// The `SavePtsScene` spelling; unknown values unchanged.
    pub fn to_save_form(&self) -> Self {
        match self {
            Self::Concurrency => Self::ConcurrencyMode,
            Self::Tps => Self::TpsMode,
            other => other.clone(),
        }
    }

    /// The `GetPtsScene` spelling; unknown values unchanged.
    pub fn to_get_form(&self) -> Self {
        match self {
            Self::ConcurrencyMode => Self::Concurrency,
            Self::TpsMode => Self::Tps,
            other => other.clone(),
        }
    }
}

wire_enum! {
    /// Where an export takes its value from (all from the response).
    pub enum ExportType {
        /// Response body text, matched with `Count`.
        BodyText = "BODY_TEXT",
        /// A JSON path into the response body.
        BodyJson = "BODY_JSON",
        /// A response header.
        Header = "HEADER",
        /// The status code.
        StatusCode = "STATUS_CODE",
    }
}

wire_enum! {
    /// What a checkpoint checks.
    pub enum CheckType {
        /// The response body.
        BodyText = "BODY_TEXT",
        /// The response header named by `CheckPoint`.
        Header = "HEADER",
        /// The status code.
        StatusCode = "STATUS_CODE",
        /// The export parameter named by `CheckPoint`.
        ExportedParam = "EXPORTED_PARAM",
    }
}

impl Scene {
    /// Where the relation a load entry names sits in `RelationList`: by `RelationId` when
    /// it is known, else by the entry's own `position` (a scene not saved yet has no ids).
    pub fn relation_index(&self, relation_id: Option<&String>, position: usize) -> usize {
        relation_id
            .and_then(|id| {
                self.relation_list
                    .iter()
                    .position(|r| r.relation_id.as_ref() == Some(id))
            })
            .unwrap_or(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireValue;
    use serde_json::{Value, json};

    /// Reference §6.7, verbatim.
    const MINIMAL_SCENE: &str = include_str!("testdata/minimal_scene.json");

    fn round_trip(text: &str) -> (Scene, Value) {
        let input: Value = serde_json::from_str(text).expect("sample is JSON");
        let scene: Scene = serde_json::from_value(input.clone()).expect("sample reads");
        let output = serde_json::to_value(&scene).expect("scene writes");
        assert_eq!(output, input, "round trip changed the sample");
        (scene, output)
    }

    #[test]
    fn minimal_scene_round_trips_and_is_fully_typed() {
        let (scene, _) = round_trip(MINIMAL_SCENE);
        assert!(
            scene.unknown_fields().is_empty(),
            "{:?}",
            scene.unknown_fields()
        );
        let apis = &scene.relation_list[0].api_list;
        assert_eq!(
            apis[0].export_list[0].export_type,
            Some(ExportType::BodyJson)
        );
        assert_eq!(
            apis[1].check_point_list[0].check_type,
            Some(CheckType::ExportedParam)
        );
        let load = scene.load_config.expect("load config");
        assert_eq!(load.test_mode, Some(TestMode::ConcurrencyMode));
        assert_eq!(
            load.configuration.and_then(|c| c.all_concurrency_limit),
            Some(50)
        );
    }

    #[test]
    fn get_pts_scene_shape_round_trips_with_unknown_fields() {
        let (scene, _) = round_trip(include_str!("testdata/get_pts_scene_scene.json"));
        assert_eq!(scene.status, Some(SceneStatus::Running));
        assert_eq!(scene.headers[0].name.as_deref(), Some("X-Trace"));
        let load = scene.load_config.as_ref().expect("load config");
        assert_eq!(load.test_mode, Some(TestMode::Tps));
        assert_eq!(
            scene.unknown_fields(),
            [
                "RelationList[0].ApiList[0].Body.Charset",
                "RelationList[0].ApiList[0].ProtocolVersion",
                "LoadConfig.RampUpSeconds",
                "Tags"
            ]
        );
    }

    #[test]
    fn python_sdk_shape_reads_with_empty_lists_dropped() {
        // As SavePtsScene's Python SDK writes it: keys alphabetical, [] for unset object
        // lists, numbers as the user typed them (here as text).
        let sdk = json!({
            "AdvanceSetting": {"DomainBindingList": [], "LogRate": "10"},
            "FileParameterList": [],
            "GlobalParameterList": [],
            "LoadConfig": {"ApiLoadConfigList": [], "AutoStep": "True",
                "Configuration": {"AllConcurrencyBegin": 1, "AllConcurrencyLimit": 2},
                "MaxRunningTime": 1, "RelationLoadConfigList": [], "TestMode": "concurrency_mode"},
            "RelationList": [{"ApiList": [{"ApiName": "a", "CheckPointList": [],
                "ExportList": [], "HeaderList": [], "Method": "GET",
                "RedirectCountLimit": 0, "Url": "http://127.0.0.1/"}],
                "FileParameterExplainList": [], "RelationName": "r"}],
            "SceneName": "场景-中文"
        });
        let scene: Scene = serde_json::from_value(sdk).expect("reads");
        assert!(scene.unknown_fields().is_empty());
        assert_eq!(scene.scene_name.as_deref(), Some("场景-中文"));
        assert_eq!(
            serde_json::to_value(&scene).expect("writes"),
            json!({
                "SceneName": "场景-中文",
                "RelationList": [{"RelationName": "r", "ApiList": [{"ApiName": "a",
                    "Url": "http://127.0.0.1/", "Method": "GET", "RedirectCountLimit": 0}]}],
                "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1,
                    "Configuration": {"AllConcurrencyBegin": 1, "AllConcurrencyLimit": 2},
                    "AutoStep": true},
                "AdvanceSetting": {"LogRate": 10}
            })
        );
    }

    #[test]
    fn test_mode_spellings() {
        for (text, concurrency) in [
            ("concurrency_mode", true),
            ("CONCURRENCY", true),
            ("tps_mode", false),
            ("TPS", false),
        ] {
            let mode = TestMode::from(text);
            assert_eq!(mode.is_concurrency(), concurrency, "{text}");
            assert_eq!(mode.is_tps(), !concurrency, "{text}");
            assert_eq!(mode.as_str(), text);
        }
        assert_eq!(TestMode::Tps.to_save_form(), TestMode::TpsMode);
        assert_eq!(
            TestMode::ConcurrencyMode.to_get_form(),
            TestMode::Concurrency
        );
        let other = TestMode::from("burst_mode");
        assert!(!other.is_concurrency() && !other.is_tps());
        assert_eq!(other.to_save_form(), other);
        assert_eq!(other.to_get_form().as_str(), "burst_mode");
    }

    #[test]
    fn scene_travels_as_json_text() {
        use crate::wire::params::ParamValue;
        let (scene, _) = round_trip(MINIMAL_SCENE);
        let text = scene.encode().expect("encodes");
        assert!(
            !text.contains(": ") && !text.contains(", "),
            "compact: {text}"
        );
        assert_eq!(Scene::decode("Scene", Some(&text)), Ok(scene));
    }
}
