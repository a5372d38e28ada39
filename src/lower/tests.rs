use std::path::PathBuf;

use super::*;
use crate::spec::{self, Env};

const SECRET: &str = "wx-app-secret-for-tests";

fn env_var(name: &str) -> Option<String> {
    (name == "WX_APP_SECRET").then(|| SECRET.to_owned())
}

fn examples() -> (Vec<Lowered>, Redactor) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plans/mall");
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("a timestamp"),
        var: &env_var,
        require_env: true,
    };
    let loaded = spec::check(&dir, &env);
    assert!(!loaded.diagnostics.has_errors(), "{:?}", loaded.diagnostics);
    let plan = loaded.plan.expect("the examples decode");
    lower(&plan, &dir, &env_var).expect("every reference resolves")
}

fn scene<'a>(all: &'a [Lowered], key: &str) -> &'a wire::Scene {
    &all.iter()
        .find(|l| l.key == key)
        .expect("scene lowered")
        .scene
}

fn from_yaml(text: &str) -> Plan {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plan.yaml");
    std::fs::write(&path, text).expect("write");
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("a timestamp"),
        var: &env_var,
        require_env: false,
    };
    let loaded = spec::check(&path, &env);
    assert!(!loaded.diagnostics.has_errors(), "{:?}", loaded.diagnostics);
    loaded.plan.expect("plan")
}

#[test]
fn every_example_lowers_with_its_marker_and_secrets_registered() {
    let (all, redactor) = examples();
    assert!(!all.is_empty());
    for lowered in &all {
        let marker = Marker::of(&lowered.scene).expect("every scene carries the marker");
        assert_eq!(marker.workspace, "mall-mp");
        assert_eq!(marker.key, lowered.key);
        let load = lowered.scene.load_config.as_ref().expect("load");
        assert!(load.max_running_time.unwrap_or(0) >= 1);
    }
    let text = serde_json::to_string(&all.iter().map(|l| &l.scene).collect::<Vec<_>>())
        .expect("scenes serialize");
    assert!(text.contains(SECRET), "the secret reaches the wire scene");
    assert!(redactor.leaks(&text));
    assert!(!redactor.leaks(&redactor.redact(&text)));
}

#[test]
fn an_api_token_source_becomes_the_first_api_of_the_chain() {
    let plan = from_yaml(
        r#"version: 1
workspace: w
variables: { base: "http://127.0.0.1:18080" }
token_sources:
  wx:
    kind: api
    request: { method: POST, url: "${var.base}/token", body: { json: { secret: "${secret.WX_APP_SECRET}" } } }
    exports: { access_token: access_token }
    ttl: 2h
    refresh: { policy: before_expiry, margin: 10m }
scenes:
  buy:
    type: single-api
    chains:
      - name: buyer
        token: wx
        steps:
          - name: order
            method: POST
            url: ${var.base}/orders
            headers: { Authorization: "Bearer ${access_token}" }
            body: { form: { sku: "A1" } }
            checks:
              - { on: status_code, value: 201 }
              - { on: body_json, path: data.id, op: exists }
    load: { mode: concurrency, start: 5, max: 50, ramp: { step_percent: 50, every: 30s }, duration: 90s }
"#,
    );
    let (all, _) = lower(&plan, Path::new("."), &env_var).expect("lowers");
    let scene = &all[0].scene;
    let apis = &scene.relation_list[0].api_list;
    assert_eq!(apis.len(), 2);
    assert_eq!(apis[0].api_name.as_deref(), Some("token:wx"));
    assert_eq!(apis[0].url.as_deref(), Some("http://127.0.0.1:18080/token"));
    assert_eq!(
        apis[0].body.as_ref().and_then(|b| b.body_value.as_deref()),
        Some(r#"{"secret":"wx-app-secret-for-tests"}"#)
    );
    assert_eq!(
        apis[0].export_list[0].export_name.as_deref(),
        Some("access_token")
    );
    assert_eq!(
        apis[0].check_point_list[0].operator.as_deref(),
        Some("exist")
    );
    let order = &apis[1];
    assert_eq!(order.timeout_in_second, Some(5));
    assert_eq!(order.redirect_count_limit, Some(0));
    assert_eq!(
        order.header_list[0].header_value.as_deref(),
        Some("Bearer ${access_token}"),
        "PTS parameters are left for PTS"
    );
    let body = order.body.as_ref().expect("body");
    assert_eq!(
        body.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(body.body_value.as_deref(), Some(r#"{"sku":"A1"}"#));
    // The body_json check goes through an implicit export.
    assert_eq!(
        order.export_list[0].export_name.as_deref(),
        Some("ptsplan_check_1")
    );
    assert_eq!(
        order.check_point_list[1].check_point.as_deref(),
        Some("ptsplan_check_1")
    );

    let load = scene.load_config.as_ref().expect("load");
    assert_eq!(load.max_running_time, Some(2), "90s rounds up to 2 minutes");
    assert_eq!(load.keep_time, Some(1));
    assert_eq!(load.increment, Some(50));
    let marker = Marker::of(scene).expect("marker");
    assert_eq!(marker.duration_ms, Some(90_000));
    assert_eq!(marker.keep_time_ms, Some(30_000));
    assert_eq!(marker.tokens[0].relation, "buyer");
    assert_eq!(marker.tokens[0].api, "token:wx");
    assert_eq!(marker.tokens[0].refresh, "before_expiry");
    assert_eq!(marker.tokens[0].refresh_ms, Some(600_000));
}

#[test]
fn per_step_rps_levels_follow_api_order_and_cover_the_token_request() {
    let (all, _) = examples();
    let scene = scene(&all, "buy-flow-rps");
    let load = scene.load_config.as_ref().expect("load");
    let apis: usize = scene.relation_list.iter().map(|r| r.api_list.len()).sum();
    assert_eq!(load.api_load_config_list.len(), apis);
    assert!(
        load.api_load_config_list
            .iter()
            .all(|c| c.rps_limit.is_some())
    );
    assert!(load.api_load_config_list.iter().all(|c| c.api_id.is_none()));
}

#[test]
fn unresolved_references_are_listed_not_guessed() {
    let plan = from_yaml(
        "version: 1\nworkspace: w\nscenes:\n  s:\n    type: single-api\n    chains:\n      - name: c\n        steps:\n          - name: a\n            url: http://127.0.0.1/${env.NOT_SET_ANYWHERE}\n    load: { mode: concurrency, max: 1, duration: 1m }\n",
    );
    let missing = lower(&plan, Path::new("."), &|_| None).expect_err("env is missing");
    assert_eq!(missing[0].namespace, "env");
    assert_eq!(missing[0].name, "NOT_SET_ANYWHERE");
    assert_eq!(missing[0].place, "scenes.s");
}

#[test]
fn live_ids_are_attached_by_name_and_load_lists_by_position() {
    let plan = from_yaml(
        "version: 1\nworkspace: w\nscenes:\n  s:\n    type: mixed\n    chains:\n      - name: a\n        steps: [ { name: x, url: 'http://127.0.0.1/x' } ]\n      - name: b\n        steps: [ { name: y, url: 'http://127.0.0.1/y' } ]\n    load: { mode: concurrency, duration: 1m, chains: { a: { start: 1, max: 2 }, b: { start: 3, max: 4 } } }\n",
    );
    let (mut all, _) = lower(&plan, Path::new("."), &env_var).expect("lowers");
    let mut live = all[0].scene.clone();
    live.scene_id = Some("NHBG6V".into());
    live.relation_list.reverse();
    live.relation_list[0].relation_id = Some("RB".into());
    live.relation_list[0].api_list[0].api_id = Some("AY".into());
    live.relation_list[1].relation_id = Some("RA".into());
    live.relation_list[1].api_list[0].api_id = Some("AX".into());
    attach_ids(&mut all[0].scene, &live);
    let scene = &all[0].scene;
    assert_eq!(scene.scene_id.as_deref(), Some("NHBG6V"));
    assert_eq!(scene.relation_list[0].relation_id.as_deref(), Some("RA"));
    assert_eq!(
        scene.relation_list[1].api_list[0].api_id.as_deref(),
        Some("AY")
    );
    let load = scene.load_config.as_ref().expect("load");
    assert_eq!(
        load.relation_load_config_list[0].relation_id.as_deref(),
        Some("RA")
    );
    assert_eq!(load.relation_load_config_list[1].concurrency_limit, Some(4));
}

#[test]
fn a_csv_token_column_is_named_by_its_place_in_the_header() {
    let (all, _) = examples();
    let scene = scene(&all, "alipay-orders");
    let explain = &scene.relation_list[0].file_parameter_explain_list[0];
    assert_eq!(explain.file_name.as_deref(), Some("alipay-tokens.csv"));
    // Header `alipay_user_id,token`, `column: token`, `as: access_token`: the token is the
    // second column, so the first keeps its header name.
    assert_eq!(
        explain.file_param_name.as_deref(),
        Some("alipay_user_id,access_token")
    );
    let source = CsvTokenSource {
        file: "https://oss.example.com/t.csv".to_owned(),
        column: "token".to_owned(),
        param: "access_token".to_owned(),
        expires_at: crate::spec::units::Timestamp::parse("2027-01-01T00:00:00Z")
            .expect("a timestamp"),
    };
    let header = ["token".to_owned(), "user".to_owned()];
    assert_eq!(token_columns(Some(&header), &source), "access_token");
    assert_eq!(
        token_columns(None, &source),
        "access_token",
        "a URL is not read"
    );
}
