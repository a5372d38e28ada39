//! Random requests: random actions, parameters (names from the API and made up; values
//! random text, numbers, JSON and near-valid scenes) and bodies, signed (V3 or v1) so that
//! they reach the handlers, and unsigned garbage. The server must never panic, never answer
//! 5xx (no faults are set here), and always answer JSON.

use std::sync::OnceLock;

use proptest::prelude::*;
use ptsplan::emulator::Faults;

use super::client::{
    Answer, Client, InProcess, Sig, fresh_nonce, save_scene, scene_json, send_raw,
};

struct Fixture {
    _dir: tempfile::TempDir,
    server: InProcess,
    scene_id: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = InProcess::start(dir.path(), None, Faults::default());
        let scene_id = save_scene(&server.client(), "fuzz-seed");
        Fixture {
            _dir: dir,
            server,
            scene_id,
        }
    })
}

fn action() -> impl Strategy<Value = String> {
    let known: Vec<String> = ptsplan::emulator::actions().map(str::to_owned).collect();
    prop_oneof![
        9 => prop::sample::select(known),
        1 => "[A-Za-z]{0,12}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    let names: Vec<String> = [
        "SceneId",
        "Scene",
        "SceneIds",
        "PageNumber",
        "PageSize",
        "KeyWord",
        "PlanId",
        "ReportId",
        "ApiSpeedList",
        "SceneBaseline",
        "ApiBaselines",
        "OpenJMeterScene",
        "Env",
        "EnvId",
        "EnvName",
        "Speed",
        "BeginTime",
        "EndTime",
        "Keyword",
        "SceneName",
        "Action",
        "Version",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    prop_oneof![8 => prop::sample::select(names), 1 => "[A-Za-z]{1,8}"]
}

fn value() -> impl Strategy<Value = String> {
    let fixture = fixture();
    let specials: Vec<String> = vec![
        fixture.scene_id.clone(),
        format!("[\"{}\"]", fixture.scene_id),
        scene_json("fuzz"),
        format!(
            "{{\"SceneId\":\"{}\",\"SceneName\":\"x\"}}",
            fixture.scene_id
        ),
        r#"{"SceneName":1,"RelationList":{}}"#.into(),
        r#"{"sceneName":"c","loadConfig":{"maxRunningTime":"abc"}}"#.into(),
        r#"{"SceneName":"d","RelationList":[{"ApiList":[{"ApiId":"../../x"}]}]}"#.into(),
        r#"{"EnvName":"e","EnvId":"../x"}"#.into(),
        r#"{"SceneName":"j","SceneId":"../../etc"}"#.into(),
        r#"[{"ApiId":"A","Speed":-1}]"#.into(),
        r#"{"avgRt":"fast"}"#.into(),
        "[]".into(),
        "{}".into(),
        "null".into(),
        "0".into(),
        "-1".into(),
        "-9223372036854775808".into(),
        "99999999999999999999999".into(),
        "True".into(),
        String::new(),
    ];
    prop_oneof![
        3 => prop::sample::select(specials),
        2 => any::<String>(),
        2 => "-?[0-9]{1,20}",
        1 => "[\\[\\]{}\":,a-zA-Z0-9 ]{0,40}",
    ]
}

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((name(), value()), 0..6)
}

fn check(answer: Option<Answer>, context: &str) {
    let answer = answer.unwrap_or_else(|| panic!("no answer to {context}"));
    assert!(
        answer.status < 500,
        "{context}: HTTP {} {}",
        answer.status,
        answer.raw
    );
    assert!(
        answer.body.is_object(),
        "{context}: not JSON: {}",
        answer.raw
    );
    assert!(
        answer.body["RequestId"].is_string(),
        "{context}: {}",
        answer.raw
    );
    assert!(answer.body["Code"].is_string(), "{context}: {}", answer.raw);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn signed_random_requests_get_json_and_no_5xx(
        action in action(),
        query in params(),
        form in params(),
        v1 in any::<bool>(),
    ) {
        let client = Client::new(fixture().server.addr).with_sig(if v1 { Sig::V1 } else { Sig::V3 });
        let query: Vec<(&str, &str)> = query.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let answer = client.try_call(&action, &query, &form, jiff::Timestamp::now(), &fresh_nonce());
        check(answer, &format!("{action} {query:?} {form:?}"));
    }

    #[test]
    fn unsigned_garbage_gets_json_and_no_5xx(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        query in params(),
        headers in prop::collection::vec(
            (prop::sample::select(vec!["authorization", "x-acs-action", "x-acs-version", "x-acs-date",
                "x-acs-signature-nonce", "x-acs-content-sha256", "content-type", "x-other"]),
             "[ -~]{0,60}"),
            0..6),
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let addr = fixture().server.addr;
        let target = format!("/?{}", ptsplan::api::sign::encode_pairs(query.iter().map(|(n, v)| (n.as_str(), v.as_str()))));
        let headers: Vec<(String, String)> = headers.into_iter().map(|(n, v)| (n.to_owned(), v.trim().to_owned())).collect();
        let answer = send_raw(addr, method, &target, &addr.to_string(), &headers, &body);
        check(answer, &format!("{method} {target} {headers:?}"));
    }
}
