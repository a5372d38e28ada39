//! The local engine against a real (local) HTTP target: exports, checkpoints, CSV, load
//! models, ramps, speed changes, tokens, causes of failure and safety bounds. Every run is
//! short (≤ 3 s of load) and goes to loopback only. Rates are checked with wide margins:
//! these tests check behaviour; speed is measured by bench/engine-vs-peers.sh.

use std::time::{Duration, Instant};

use ptsplan::engine::{EngineError, Run, RunOptions, RunResult, TokenExpiryCause};
use ptsplan::wire::{ApiSpeed, Scene};
use serde_json::{Value, json};

use crate::target::Target;

fn scene(value: Value) -> Scene {
    serde_json::from_value(value).expect("scene JSON")
}

fn api(name: &str, url: String, extra: Value) -> Value {
    let mut api = json!({"ApiName": name, "Url": url, "Method": "GET", "RedirectCountLimit": 0, "TimeoutInSecond": 5});
    if let (Some(api), Some(extra)) = (api.as_object_mut(), extra.as_object()) {
        api.extend(extra.clone());
    }
    api
}

fn concurrency_scene(apis: Vec<Value>, users: i64, marker: Value) -> Scene {
    scene(json!({
        "SceneName": "t",
        "RelationList": [{"RelationName": "r", "ApiList": apis}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1,
            "Configuration": {"AllConcurrencyBegin": users, "AllConcurrencyLimit": users}},
        "GlobalParameterList": [{"ParamName": "ptsplan_meta", "ParamValue": marker.to_string()},
                                {"ParamName": "appid", "ParamValue": "wx1"}],
    }))
}

fn marker(duration_ms: u64) -> Value {
    json!({"v": 1, "workspace": "w", "key": "k", "duration_ms": duration_ms})
}

fn run(scene: &Scene, options: RunOptions) -> RunResult {
    Run::start(
        scene,
        RunOptions {
            threads: 2,
            ..options
        },
    )
    .expect("starts")
    .wait()
}

fn api_summary<'a>(result: &'a RunResult, name: &str) -> &'a ptsplan::engine::Summary {
    result
        .apis
        .iter()
        .find(|a| a.name == name)
        .expect("api in result")
}

#[test]
fn every_export_kind_feeds_later_calls_and_every_operator_checks() {
    let t = Target::start(Duration::from_secs(60));
    let check = |kind: &str, point: &str, op: &str, expect: &str| json!({"CheckType": kind, "CheckPoint": point, "Operator": op, "ExpectValue": expect});
    let hello = api(
        "hello",
        format!("{}/hello", t.base()),
        json!({
            "ExportList": [
                {"ExportName": "id", "ExportType": "BODY_JSON", "ExportValue": "data.items[1].id"},
                {"ExportName": "word", "ExportType": "BODY_TEXT", "ExportValue": r#""msg":"(\w+)"#, "Count": "0"},
                {"ExportName": "trace", "ExportType": "HEADER", "ExportValue": "X-Trace"},
                {"ExportName": "sid", "ExportType": "COOKIE", "ExportValue": "sid"},
                {"ExportName": "status", "ExportType": "STATUS_CODE", "ExportValue": ""},
            ],
            "CheckPointList": [
                check("STATUS_CODE", "", "eq", "200"),
                check("STATUS_CODE", "", "neq", "500"),
                check("STATUS_CODE", "", "gt", "199"),
                check("STATUS_CODE", "", "gte", "200"),
                check("STATUS_CODE", "", "lt", "300"),
                check("STATUS_CODE", "", "lte", "200"),
                check("BODY_TEXT", "", "ctn", "hello"),
                check("BODY_TEXT", "", "nctn", "goodbye"),
                check("BODY_TEXT", "", "regex", r#""id":\d+"#),
                check("HEADER", "X-Trace", "exist", ""),
                check("HEADER", "X-Missing", "nexist", ""),
                check("EXPORTED_PARAM", "id", "eq", "8"),
            ],
        }),
    );
    let echo = api(
        "echo",
        format!(
            "{}/echo?id=${{id}}&w=${{word}}&t=${{trace}}&s=${{sid}}&c=${{status}}&a=${{appid}}",
            t.base()
        ),
        json!({
            "Method": "POST",
            "HeaderList": [{"HeaderName": "X-User", "HeaderValue": "u-${id}"}],
            "Body": {"ContentType": "application/x-www-form-urlencoded", "BodyValue": "{\"k\":\"${word} there\",\"n\":1}"},
            "CheckPointList": [check("BODY_TEXT", "", "eq", "id=8&w=hello&t=abc&s=s123&c=200&a=wx1|u-8|k=hello%20there&n=1")],
        }),
    );
    let s = concurrency_scene(vec![hello, echo], 1, marker(2000));
    let result = run(
        &s,
        RunOptions {
            debug: true,
            ..RunOptions::default()
        },
    );
    for name in ["hello", "echo"] {
        let a = api_summary(&result, name);
        assert_eq!(
            (a.requests, a.successes),
            (1, 1),
            "{name}: {a:?}\n{:#?}",
            result.samples
        );
    }
    assert_eq!(result.samples.len(), 2);
    let exported: Value =
        serde_json::from_str(result.samples[0].export_content.as_deref().unwrap_or(""))
            .expect("json");
    assert_eq!(exported["sid"], "s123");
    assert!(
        result.samples[0]
            .check_result
            .as_deref()
            .unwrap_or("")
            .contains("\"hit\":true")
    );
}

#[test]
fn failed_checkpoints_are_business_failures_and_bad_status_a_request_failure() {
    let t = Target::start(Duration::from_secs(60));
    let failing = api(
        "hello",
        format!("{}/hello", t.base()),
        json!({
        "CheckPointList": [{"CheckType": "BODY_TEXT", "Operator": "ctn", "ExpectValue": "nope"}]}),
    );
    let missing = api("missing", format!("{}/status/404", t.base()), json!({}));
    let s = scene(json!({
        "SceneName": "t",
        "RelationList": [{"RelationName": "a", "ApiList": [failing]}, {"RelationName": "b", "ApiList": [missing]}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1,
            "Configuration": {"AllConcurrencyBegin": 2, "AllConcurrencyLimit": 2}},
        "AdvanceSetting": {"SuccessCode": ""},
    }));
    let result = run(
        &s,
        RunOptions {
            duration: Some(Duration::from_millis(300)),
            ..RunOptions::default()
        },
    );
    let hello = api_summary(&result, "hello");
    assert!(
        hello.requests > 0 && hello.check_failures == hello.requests,
        "{hello:?}"
    );
    let missing = api_summary(&result, "missing");
    assert!(
        missing.requests > 0 && missing.status_failures == missing.requests,
        "{missing:?}"
    );
    let metrics = result.details.scene_metrics.as_ref().expect("metrics");
    assert_eq!(metrics.fail_count_biz, Some(hello.requests as i64));
    assert_eq!(metrics.fail_count_req, Some(missing.requests as i64));
    assert_eq!(result.details.api_metrics_list.len(), 2);
    // A code listed in SuccessCode is a success.
    let mut listed = s.clone();
    listed.advance_setting =
        Some(serde_json::from_value(json!({"SuccessCode": "404"})).expect("setting"));
    let result = run(
        &listed,
        RunOptions {
            duration: Some(Duration::from_millis(200)),
            ..RunOptions::default()
        },
    );
    assert_eq!(api_summary(&result, "missing").status_failures, 0);
}

fn csv_scene(t: &Target, path: &std::path::Path, cycle_once: bool, users: i64) -> Scene {
    scene(json!({
        "SceneName": "csv",
        "RelationList": [{"RelationName": "r",
            "ApiList": [api("echo", format!("{}/echo", t.base()), json!({"HeaderList": [{"HeaderName": "X-User", "HeaderValue": "${user}-${city}"}]}))],
            "FileParameterExplainList": [{"FileName": "users.csv", "FileParamName": "user,city", "CycleOnce": cycle_once}]}],
        "FileParameterList": [{"FileName": "users.csv", "FileOssAddress": format!("file://{}", path.display())}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1,
            "Configuration": {"AllConcurrencyBegin": users, "AllConcurrencyLimit": users}},
        "GlobalParameterList": [{"ParamName": "ptsplan_meta", "ParamValue": marker(1500).to_string()}],
    }))
}

#[test]
fn csv_cycle_once_uses_each_row_once_then_stops() {
    let t = Target::start(Duration::from_secs(60));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("users.csv");
    let rows: String = (0..40).map(|i| format!("u{i},\"c,{i}\"\n")).collect();
    std::fs::write(&path, rows).expect("write");
    let started = Instant::now();
    let result = run(&csv_scene(&t, &path, true, 4), RunOptions::default());
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "stopped when the rows ran out"
    );
    let mut users = t.seen.lock().expect("lock").users.clone();
    assert_eq!(users.len(), 40, "{users:?}");
    users.sort();
    users.dedup();
    assert_eq!(users.len(), 40, "every row once, each to one user");
    assert!(users.contains(&"u7-c,7".to_owned()));
    assert_eq!(api_summary(&result, "echo").requests, 40);
}

#[test]
fn csv_loop_wraps_around() {
    let t = Target::start(Duration::from_secs(60));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("users.csv");
    std::fs::write(&path, "a,1\nb,2\nc,3\n").expect("write");
    let result = run(
        &csv_scene(&t, &path, false, 2),
        RunOptions {
            duration: Some(Duration::from_millis(400)),
            ..RunOptions::default()
        },
    );
    let users = t.seen.lock().expect("lock").users.clone();
    assert!(users.len() > 3, "{users:?}");
    let mut distinct = users.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct, ["a-1", "b-2", "c-3"]);
    // Requests still in flight at the end are abandoned: the target saw them, the report not.
    let counted = api_summary(&result, "echo").successes as usize;
    assert!(
        counted <= users.len() && users.len() - counted <= 2,
        "{counted} of {}",
        users.len()
    );
}

#[test]
fn concurrency_ramp_steps_up_to_the_limit() {
    let t = Target::start(Duration::from_secs(60));
    let mut s = concurrency_scene(
        vec![api("slow", format!("{}/slow?ms=20", t.base()), json!({}))],
        0,
        json!({"v": 1, "workspace": "w", "key": "k", "duration_ms": 2000, "keep_time_ms": 400}),
    );
    let load = s.load_config.as_mut().expect("load");
    load.configuration = Some(
        serde_json::from_value(json!({"AllConcurrencyBegin": 2, "AllConcurrencyLimit": 8}))
            .expect("conf"),
    );
    load.auto_step = Some(true);
    load.increment = Some(25);
    let run = Run::start(
        &s,
        RunOptions {
            threads: 2,
            ..RunOptions::default()
        },
    )
    .expect("starts");
    let mut seen = Vec::new();
    while !run.is_finished() {
        std::thread::sleep(Duration::from_millis(100));
        let data = run.running_data();
        if let Some(first) = data.chain_monitor_data_list.first() {
            seen.push(first.concurrency.unwrap_or(0.0) as u64);
        }
    }
    let result = run.wait();
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "levels only rise: {seen:?}"
    );
    assert_eq!(seen.first(), Some(&2), "{seen:?}");
    assert!(
        seen.contains(&4) && seen.contains(&6) && seen.last() == Some(&8),
        "{seen:?}"
    );
    assert!(api_summary(&result, "slow").successes > 0);
    assert!(result.series.len() >= 2, "per-second series");
}

fn rps_scene(t: &Target, rps: i64, duration_ms: u64) -> Scene {
    scene(json!({
        "SceneName": "rps",
        "RelationList": [{"RelationName": "r", "ApiList": [
            api("a", format!("{}/echo", t.base()), json!({"ApiId": "A1"})),
            api("b", format!("{}/hello", t.base()), json!({"ApiId": "B1"}))]}],
        "LoadConfig": {"TestMode": "tps_mode", "MaxRunningTime": 1,
            "ApiLoadConfigList": [{"ApiId": "A1", "RpsBegin": rps, "RpsLimit": rps * 4},
                                  {"ApiId": "B1", "RpsBegin": rps / 2, "RpsLimit": rps * 4}]},
        "GlobalParameterList": [{"ParamName": "ptsplan_meta", "ParamValue": marker(duration_ms).to_string()}],
    }))
}

#[test]
fn rps_mode_sends_on_schedule_per_api() {
    let t = Target::start(Duration::from_secs(60));
    let result = run(&rps_scene(&t, 200, 2000), RunOptions::default());
    let (a, b) = (t.count("/echo"), t.count("/hello"));
    assert!((340..=440).contains(&a), "≈400 at 200/s for 2 s, got {a}");
    assert!((170..=230).contains(&b), "≈200 at 100/s for 2 s, got {b}");
    // Requests in flight at the end are abandoned: seen by the target, not reported.
    let reported = api_summary(&result, "a").requests;
    assert!(
        reported <= a && a - reported <= 4,
        "{reported} reported of {a}"
    );
}

#[test]
fn speed_changes_take_effect_within_a_second() {
    let t = Target::start(Duration::from_secs(60));
    let started = std::time::Instant::now();
    let run = Run::start(
        &rps_scene(&t, 100, 4000),
        RunOptions {
            threads: 2,
            ..RunOptions::default()
        },
    )
    .expect("starts");
    std::thread::sleep(Duration::from_millis(1000));
    let speed = |id: &str, speed| ApiSpeed {
        api_id: Some(id.into()),
        speed: Some(speed),
        ..ApiSpeed::default()
    };
    run.adjust_speed(&[speed("A1", 400), speed("B1", 400)])
        .expect("adjusts");
    // The second of the run in which the change was made (a loaded machine may wake the
    // sleep late): the whole second after it must run at the new speed.
    let changed_in = started.elapsed().as_secs() as usize;
    assert!(matches!(
        run.adjust_speed(&[speed("nope", 1)]),
        Err(EngineError::UnknownApi(_))
    ));
    let result = run.wait();
    let per_second: Vec<u64> = result
        .series
        .iter()
        .filter(|s| s.api == "a")
        .map(|s| s.requests)
        .collect();
    assert!(per_second.len() > changed_in + 1, "{per_second:?}");
    assert!(per_second[0] < 150, "before: {per_second:?}");
    assert!(
        per_second[changed_in + 1] > 300,
        "the second after the change (made in second {changed_in}) runs at the new speed: \
         {per_second:?}"
    );
}

fn token_scene(t: &Target, policy: Value, duration_ms: u64) -> Scene {
    let token = api(
        "token",
        format!("{}/token", t.base()),
        json!({"Method": "POST",
        "ExportList": [{"ExportName": "access_token", "ExportType": "BODY_JSON", "ExportValue": "access_token"}]}),
    );
    let order = api(
        "order",
        format!("{}/order", t.base()),
        json!({
        "HeaderList": [{"HeaderName": "Authorization", "HeaderValue": "Bearer ${access_token}"}]}),
    );
    let mut step = json!({"relation": "r", "api": "token"});
    if let (Some(step), Some(policy)) = (step.as_object_mut(), policy.as_object()) {
        step.extend(policy.clone());
    }
    let marker =
        json!({"v": 1, "workspace": "w", "key": "k", "duration_ms": duration_ms, "tokens": [step]});
    concurrency_scene(vec![token, order], 2, marker)
}

#[test]
fn token_step_is_refreshed_before_expiry_not_per_request() {
    let t = Target::start(Duration::from_millis(600));
    let s = token_scene(
        &t,
        json!({"ttl_ms": 600, "refresh": "before_expiry", "refresh_ms": 200}),
        2000,
    );
    let result = run(&s, RunOptions::default());
    let order = api_summary(&result, "order");
    assert_eq!(order.auth_failures, 0, "{order:?}");
    assert!(order.successes > 100, "{order:?}");
    let tokens = t.count("/token");
    assert!(
        (2..=20).contains(&tokens),
        "refreshed about every 400 ms per user, got {tokens}"
    );
    assert!(result.token_expiry.is_empty());
}

#[test]
fn an_expired_token_is_named_as_the_cause_of_401s() {
    let t = Target::start(Duration::from_millis(500));
    let s = token_scene(&t, json!({"ttl_ms": 500, "refresh": "once"}), 1200);
    let result = run(&s, RunOptions::default());
    let order = api_summary(&result, "order");
    assert!(order.successes > 0 && order.auth_failures > 0, "{order:?}");
    assert_eq!(order.expired_token_failures, order.auth_failures);
    let finding = result
        .token_expiry
        .iter()
        .find(|f| f.api == "order")
        .expect("attributed");
    assert_eq!(finding.cause, TokenExpiryCause::TokenOutlivedLifetime);
    assert!(finding.successes_before > 0 || finding.first_second == Some(0));
}

#[test]
fn csv_tokens_that_stop_working_are_reported_as_refused_after_successes() {
    let t = Target::start(Duration::from_millis(60_000));
    // Issue a token up front and put it in the CSV; then make it expire mid-run by
    // shortening the lifetime of a re-issued copy.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.csv");
    t.set_token_ttl(Duration::from_millis(1200));
    let token = ureq_token(&t);
    std::fs::write(&path, format!("{token}\n")).expect("write");
    let s = scene(json!({
        "SceneName": "csv-token",
        "RelationList": [{"RelationName": "r",
            "ApiList": [api("order", format!("{}/order", t.base()), json!({
                "HeaderList": [{"HeaderName": "Authorization", "HeaderValue": "Bearer ${token}"}]}))],
            "FileParameterExplainList": [{"FileName": "tokens.csv", "FileParamName": "token"}]}],
        "FileParameterList": [{"FileName": "tokens.csv", "FileOssAddress": path.display().to_string()}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1,
            "Configuration": {"AllConcurrencyBegin": 2, "AllConcurrencyLimit": 2}},
        "GlobalParameterList": [{"ParamName": "ptsplan_meta", "ParamValue": marker(2500).to_string()}],
    }));
    let result = run(&s, RunOptions::default());
    let finding = result
        .token_expiry
        .iter()
        .find(|f| f.api == "order")
        .expect("attributed");
    assert_eq!(
        finding.cause,
        TokenExpiryCause::RefusedAfterSuccesses,
        "{finding:?}"
    );
    assert!(finding.first_second.is_some_and(|s| s >= 1));
}

/// Fetches a token from the target with a one-off debug run of its token API.
fn ureq_token(t: &Target) -> String {
    let s = concurrency_scene(
        vec![api(
            "token",
            format!("{}/token", t.base()),
            json!({"Method": "POST"}),
        )],
        1,
        marker(1000),
    );
    let result = run(
        &s,
        RunOptions {
            debug: true,
            ..RunOptions::default()
        },
    );
    let body = result
        .samples
        .first()
        .and_then(|s| s.http_response_body.clone())
        .unwrap_or_default();
    let value: Value = serde_json::from_str(&body).expect("token JSON");
    value["access_token"].as_str().unwrap_or("").to_owned()
}

#[test]
fn redirects_timeouts_and_connection_errors_are_counted_by_cause() {
    let t = Target::start(Duration::from_secs(60));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let s = scene(json!({
        "SceneName": "causes",
        "RelationList": [
            {"RelationName": "follow", "ApiList": [api("follow", format!("{}/redirect", t.base()), json!({"RedirectCountLimit": 1}))]},
            {"RelationName": "stay", "ApiList": [api("stay", format!("{}/redirect", t.base()), json!({}))]},
            {"RelationName": "late", "ApiList": [api("late", format!("{}/slow?ms=1500", t.base()), json!({"TimeoutInSecond": 1}))]},
            {"RelationName": "down", "ApiList": [api("down", format!("http://{closed}/"), json!({}))]}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1,
            "Configuration": {"AllConcurrencyBegin": 4, "AllConcurrencyLimit": 4}},
        "GlobalParameterList": [{"ParamName": "ptsplan_meta", "ParamValue": marker(1300).to_string()}],
    }));
    let result = run(&s, RunOptions::default());
    let follow = api_summary(&result, "follow");
    assert!(
        follow.requests > 0 && follow.successes == follow.requests,
        "{follow:?}"
    );
    let stay = api_summary(&result, "stay");
    assert!(
        stay.requests > 0 && stay.status_failures == stay.requests,
        "302 not followed: {stay:?}"
    );
    assert_eq!(api_summary(&result, "late").timeouts, 1);
    let down = api_summary(&result, "down");
    assert!(
        down.connect_errors > 0 && down.connect_errors == down.requests,
        "{down:?}"
    );
}

#[test]
fn load_goes_only_to_loopback_unless_allowed() {
    let s = concurrency_scene(
        vec![api("far", "http://10.255.255.1:9/".into(), json!({}))],
        1,
        marker(100),
    );
    let refused = Run::start(&s, RunOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(refused.contains("not loopback"), "{refused}");
    let https = concurrency_scene(
        vec![api("tls", "https://127.0.0.1/".into(), json!({}))],
        1,
        marker(100),
    );
    assert!(Run::start(&https, RunOptions::default()).is_err());
}

#[test]
fn runs_are_bounded_by_requests_and_time() {
    let t = Target::start(Duration::from_secs(60));
    let s = concurrency_scene(
        vec![api("hello", format!("{}/hello", t.base()), json!({}))],
        4,
        marker(2000),
    );
    let result = run(
        &s,
        RunOptions {
            max_requests: Some(50),
            ..RunOptions::default()
        },
    );
    assert!(api_summary(&result, "hello").requests <= 50);
    assert!(t.count("/hello") <= 50);
    let slow = concurrency_scene(
        vec![api("slow", format!("{}/slow?ms=3000", t.base()), json!({}))],
        2,
        marker(300),
    );
    let started = Instant::now();
    let run_handle = Run::start(&slow, RunOptions::default()).expect("starts");
    let result = run_handle.wait();
    assert!(
        started.elapsed() < Duration::from_millis(1300),
        "never outlives its duration"
    );
    assert_eq!(
        api_summary(&result, "slow").requests,
        0,
        "abandoned in flight, not counted"
    );
}

#[test]
fn stop_ends_a_run_early() {
    let t = Target::start(Duration::from_secs(60));
    let s = concurrency_scene(
        vec![api("hello", format!("{}/hello", t.base()), json!({}))],
        2,
        marker(3000),
    );
    let run = Run::start(&s, RunOptions::default()).expect("starts");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    run.stop();
    let result = run.wait();
    assert!(started.elapsed() < Duration::from_millis(800));
    assert!(api_summary(&result, "hello").requests > 0);
    let data = result.details.report_over_view.expect("overview");
    assert_eq!(data.report_name.as_deref(), Some("t"));
}

#[test]
fn a_run_handle_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Run>();
    shareable::<RunResult>();
}
