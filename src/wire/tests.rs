//! The wire model checked against the machine-readable reference (`testdata/pts-openapi.json`,
//! a copy of `shared/reference/pts-openapi.json`), action by action:
//!
//! - the request has exactly the documented parameters, with their requiredness, location and
//!   JSON encoding, and reads the Python SDK's spellings (`True`) back;
//! - an answer carrying every documented field (nested lists included) reads into typed fields,
//!   with nothing left over in `extra`, and writes back to the same JSON.

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::*;

const REFERENCE: &str = include_str!("testdata/pts-openapi.json");

/// Reference actions ptsplan does not model: VPC discovery.
const OUT_OF_SCOPE: [&str; 4] = [
    "GetUserVpcs",
    "GetUserVpcVSwitch",
    "GetUserVpcSecurityGroup",
    "ListVpcConfigs",
];

fn reference() -> &'static Value {
    static REFERENCE_JSON: OnceLock<Value> = OnceLock::new();
    REFERENCE_JSON.get_or_init(|| serde_json::from_str(REFERENCE).expect("reference is JSON"))
}

fn reference_actions() -> impl Iterator<Item = &'static Value> {
    reference()["actions"]
        .as_array()
        .expect("reference lists actions")
        .iter()
}

fn spec_of(action: &str) -> &'static Value {
    reference_actions()
        .find(|spec| spec["action"] == action)
        .unwrap_or_else(|| panic!("{action} is not in the reference"))
}

fn fields(spec: &Value) -> &[Value] {
    spec["fields"].as_array().map_or(&[], Vec::as_slice)
}

/// A value of the documented type: the first enum value, one element per list, every field of
/// an object. Numbers are non-integral so that an integer-typed field is caught.
fn sample(spec: &Value) -> Value {
    match spec["type"].as_str() {
        Some("string") => spec["enum"].get(0).cloned().unwrap_or(json!("text")),
        Some("integer") => json!(7),
        Some("number") => json!(2.5),
        Some("boolean") => json!(true),
        Some("map") => json!({"key": "value"}),
        Some("array") => json!([sample(&spec["items"])]),
        Some("object") if fields(spec).is_empty() => json!({"free": 1}),
        Some("object") => fields(spec)
            .iter()
            .map(|field| (field_name(field).to_owned(), sample(field)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => panic!("unexpected type {other:?} in {spec}"),
    }
}

fn field_name(spec: &Value) -> &str {
    spec["name"].as_str().expect("fields have names")
}

/// The parameter text the Python SDK would send for a documented request parameter.
fn sdk_text(spec: &Value) -> String {
    if spec["json_encoded"] == true {
        return sample(spec).to_string();
    }
    match sample(spec) {
        Value::String(text) => text,
        Value::Bool(true) => "True".to_owned(),
        other => other.to_string(),
    }
}

fn location_of(spec: &Value) -> Location {
    match spec["in"].as_str() {
        Some("query") => Location::Query,
        Some("body") => Location::Body,
        other => panic!("unexpected location {other:?}"),
    }
}

fn sdk_params(action: &Value) -> Params {
    let mut params = Params::new();
    for spec in action["request"].as_array().expect("request list") {
        params.push(field_name(spec), sdk_text(spec), location_of(spec));
    }
    params
}

fn check_request<A: Action + std::fmt::Debug>(action: &Value) {
    let name = A::ACTION;
    let sent = sdk_params(action);
    let request = A::from_params(&sent).unwrap_or_else(|e| panic!("{name}: {e}"));

    let written = request.to_params();
    assert_eq!(
        written.iter().count(),
        sent.iter().count(),
        "{name}: parameters written {written:?}, documented {sent:?}"
    );
    for spec in action["request"].as_array().into_iter().flatten() {
        let param = field_name(spec);
        let ours = written
            .iter()
            .find(|p| p.name == param)
            .unwrap_or_else(|| panic!("{name}.{param} is not written"));
        assert_eq!(ours.location, location_of(spec), "{name}.{param} location");
        let theirs = sent.get(param).expect("sent");
        if spec["json_encoded"] == true {
            let ours: Value = serde_json::from_str(&ours.value).expect("our JSON text");
            let theirs: Value = serde_json::from_str(theirs).expect("their JSON text");
            assert_eq!(ours, theirs, "{name}.{param} JSON");
        } else {
            assert!(
                ours.value.eq_ignore_ascii_case(theirs),
                "{name}.{param}: {} vs {theirs}",
                ours.value
            );
        }
    }

    for spec in action["request"].as_array().into_iter().flatten() {
        let param = field_name(spec);
        let mut without = Params::new();
        for p in sent.iter().filter(|p| p.name != param) {
            without.push(p.name.clone(), p.value.clone(), p.location);
        }
        let result = A::from_params(&without);
        if spec["required"] == true {
            let error = result.expect_err("required parameter");
            assert_eq!(error.parameter(), param, "{name}: {error}");
            assert_eq!(error.code(), "MissingParameter", "{name}: {error}");
        } else {
            assert!(result.is_ok(), "{name}.{param} is optional: {result:?}");
        }
    }
}

fn check_response<A: Action>(action: &Value) {
    let name = A::ACTION;
    let body = sample(&action["response"]);
    let response: Response<A::Output> =
        serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{name} answer: {e}"));
    assert!(
        response.unknown_fields().is_empty(),
        "{name} answer fields not modelled: {:?}",
        response.unknown_fields()
    );
    assert_eq!(
        serde_json::to_value(&response).expect("writes"),
        body,
        "{name} answer round trip"
    );
}

/// One test module per action, named after it (inside `per_action`, apart from the types),
/// and the list of all of them.
macro_rules! actions {
    ($($action:ident),* $(,)?) => {
        const MODELLED: &[&str] = &[$(<crate::wire::$action as Action>::ACTION),*];

        mod per_action {
            $(
                #[allow(non_snake_case, reason = "named after the action")]
                mod $action {
                    use super::super::{check_request, check_response, spec_of};

                    #[test]
                    fn request_matches_reference() {
                        check_request::<crate::wire::$action>(spec_of(stringify!($action)));
                    }

                    #[test]
                    fn answer_matches_reference() {
                        check_response::<crate::wire::$action>(spec_of(stringify!($action)));
                    }
                }
            )*
        }
    };
}

actions!(
    ListPtsScene,
    GetPtsScene,
    CreatePtsScene,
    SavePtsScene,
    ModifyPtsScene,
    DeletePtsScene,
    DeletePtsScenes,
    StartPtsScene,
    StopPtsScene,
    GetPtsSceneRunningStatus,
    GetPtsSceneRunningData,
    AdjustPtsSceneSpeed,
    StartDebugPtsScene,
    StopDebugPtsScene,
    GetPtsDebugSampleLogs,
    ListPtsReports,
    GetPtsReportDetails,
    GetPtsReportsBySceneId,
    GetPtsSceneBaseLine,
    CreatePtsSceneBaseLineFromReport,
    UpdatePtsSceneBaseLine,
    DeletePtsSceneBaseLine,
    SaveOpenJMeterScene,
    GetOpenJMeterScene,
    ListOpenJMeterScenes,
    RemoveOpenJMeterScene,
    StartTestingJMeterScene,
    StopTestingJMeterScene,
    StartDebuggingJMeterScene,
    StopDebuggingJMeterScene,
    AdjustJMeterSceneSpeed,
    GetJMeterSceneRunningData,
    GetJMeterLogs,
    GetJMeterSampleMetrics,
    GetJMeterSamplingLogs,
    GetJMeterReportDetails,
    ListJMeterReports,
    SaveEnv,
    ListEnvs,
    RemoveEnv,
    GetAllRegions,
);

#[test]
fn every_reference_action_is_modelled_or_out_of_scope() {
    let mut documented: Vec<&str> = reference_actions()
        .filter_map(|spec| spec["action"].as_str())
        .filter(|action| !OUT_OF_SCOPE.contains(action))
        .collect();
    let mut modelled = MODELLED.to_vec();
    documented.sort_unstable();
    modelled.sort_unstable();
    assert_eq!(modelled, documented);
}

/// Reads the documented request object of `action.param` as `T` and lists what `T` misses.
fn unknown_in_request_object<T: WireValue>(action: &str, param: &str) -> Vec<String> {
    let spec = spec_of(action)["request"]
        .as_array()
        .and_then(|params| params.iter().find(|p| p["name"] == param))
        .unwrap_or_else(|| panic!("{action}.{param} is not documented"));
    let mut value = sample(spec);
    if let Value::Array(items) = value {
        value = items.into_iter().next().expect("one sample element");
    }
    let typed: T =
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{action}.{param}: {e}"));
    typed.unknown_fields()
}

#[test]
fn json_encoded_request_objects_model_every_documented_field() {
    let unknown = [
        unknown_in_request_object::<Scene>("SavePtsScene", "Scene"),
        unknown_in_request_object::<OpenJMeterScene>("SaveOpenJMeterScene", "OpenJMeterScene"),
        unknown_in_request_object::<Env>("SaveEnv", "Env"),
        unknown_in_request_object::<ApiSpeed>("AdjustPtsSceneSpeed", "ApiSpeedList"),
    ];
    assert!(unknown.iter().all(Vec::is_empty), "{unknown:?}");
}

#[test]
fn report_details_example_round_trips() {
    // Shaped like the documented example: `1` and `0.9` rates, `Code` as text.
    let body = json!({
        "RequestId": "R", "Success": true, "Code": "200", "Message": "", "HttpStatusCode": 200,
        "ReportOverView": {"ReportId": "DYYPZIH", "ReportName": "mp-order", "AgentCount": 1,
            "StartTime": "2024-01-01 00:00:00", "EndTime": "2024-01-01 00:10:00", "Vum": 300},
        "SceneMetrics": {"AllCount": 1000, "AvgRt": 12.5, "AvgTps": 100, "FailCountReq": 0,
            "FailCountBiz": 100, "Seg90Rt": 20, "Seg99Rt": 31.25, "SuccessRateReq": 1,
            "SuccessRateBiz": 0.9},
        "ApiMetricsList": [{"ApiName": "token", "AllCount": 1000, "MaxRt": 40, "MinRt": 1}],
        "SceneSnapShot": {"SceneId": "NHBG6V", "SceneName": "mp-order", "Status": "STOPPED",
            "LoadConfig": {"TestMode": "TPS", "MaxRunningTime": 10,
                "ApiLoadConfigList": [{"RpsBegin": 10, "RpsLimit": 100}]}}
    });
    let response: Response<GetPtsReportDetailsOutput> =
        serde_json::from_value(body.clone()).expect("reads");
    assert_eq!(serde_json::to_value(&response).expect("writes"), body);
    let report = response.into_result().expect("success");
    let snapshot = report.scene_snap_shot.expect("snapshot");
    assert_eq!(snapshot.status, Some(SceneStatus::Other("STOPPED".into())));
    assert_eq!(
        report.scene_metrics.and_then(|m| m.success_rate_biz),
        Some(0.9)
    );
}

#[test]
fn list_pts_reports_travels_in_the_form_body() {
    let request = ListPtsReports {
        page_number: 1,
        page_size: 10,
        scene_id: Some("S1".into()),
        ..Default::default()
    };
    let params = request.to_params();
    assert_eq!(params.pairs(Location::Query).count(), 0);
    assert_eq!(
        params.pairs(Location::Body).collect::<Vec<_>>(),
        [("PageNumber", "1"), ("PageSize", "10"), ("SceneId", "S1")]
    );
}

#[test]
fn delete_pts_scenes_ids_are_compact_json() {
    let request = DeletePtsScenes {
        scene_ids: vec!["A1".into(), "B 2".into()],
    };
    assert_eq!(request.to_params().get("SceneIds"), Some(r#"["A1","B 2"]"#));
}

#[test]
fn chinese_text_stays_utf8_in_json_parameters() {
    let request = SavePtsScene {
        scene: Scene {
            scene_name: Some("小程序下单".into()),
            ..Default::default()
        },
    };
    assert_eq!(
        request.to_params().get("Scene"),
        Some(r#"{"SceneName":"小程序下单"}"#)
    );
}
