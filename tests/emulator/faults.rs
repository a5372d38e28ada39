//! Fault injection: failing and dropped mutations, error and throttling rates, latency, the
//! admin endpoint, and the CLI's checks of its flags.

use std::time::{Duration, Instant};

use ptsplan::emulator::{FAULTS_PATH, Faults};

use super::client::{Client, InProcess, save_scene, scene_json, send_raw};
use crate::util::{run, stderr};

fn count_scenes(client: &Client) -> usize {
    let answer = client.call("ListPtsScene", &[("PageNumber", "1"), ("PageSize", "100")]);
    answer.body["SceneViewList"].as_array().map_or(0, Vec::len)
}

#[test]
fn the_nth_mutation_fails_uncommitted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faults = Faults {
        fail_mutation: Some(2),
        ..Faults::default()
    };
    let server = InProcess::start(dir.path(), None, faults);
    let client = server.client();
    save_scene(&client, "one");
    let failed = client.call("SavePtsScene", &[("Scene", &scene_json("two"))]);
    assert_eq!((failed.status, failed.code()), (500, "InternalError"));
    assert_eq!(failed.header("x-ptsplan-fault"), Some("injected"));
    assert_eq!(count_scenes(&client), 1);
    save_scene(&client, "three");
    assert_eq!(count_scenes(&client), 2);
}

#[test]
fn a_dropped_connection_hides_a_committed_mutation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faults = Faults {
        drop_after_mutation: Some(1),
        ..Faults::default()
    };
    let server = InProcess::start(dir.path(), None, faults);
    let client = server.client();
    let answer = client.try_call(
        "SavePtsScene",
        &[("Scene", &scene_json("unknown-outcome"))],
        &[],
        jiff::Timestamp::now(),
        &super::client::fresh_nonce(),
    );
    assert!(answer.is_none(), "expected no answer, got {answer:?}");
    let list = client.call(
        "ListPtsScene",
        &[
            ("KeyWord", "unknown-outcome"),
            ("PageNumber", "1"),
            ("PageSize", "10"),
        ],
    );
    assert_eq!(
        list.body["SceneViewList"].as_array().map(Vec::len),
        Some(1),
        "{}",
        list.raw
    );
}

#[test]
fn admin_endpoint_sets_rates_and_latency() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = InProcess::start(dir.path(), None, Faults::default());
    let client = server.client();
    let host = server.addr.to_string();
    let put = |body: &str| {
        send_raw(server.addr, "PUT", FAULTS_PATH, &host, &[], body.as_bytes()).expect("answer")
    };
    let set = put(r#"{"error_rate": {"GetAllRegions": 1.0}, "latency_ms": 300}"#);
    assert_eq!(set.status, 200, "{}", set.raw);
    assert_eq!(set.body["latency_ms"], 300);
    let started = Instant::now();
    let failed = client.call("GetAllRegions", &[]);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!((failed.status, failed.code()), (503, "ServiceUnavailable"));
    assert_eq!(failed.header("x-ptsplan-fault"), Some("injected"));
    assert_eq!(
        client
            .call("ListPtsScene", &[("PageNumber", "1"), ("PageSize", "10")])
            .status,
        200
    );

    put(r#"{"throttle_rate": 1.0}"#);
    let throttled = client.call("GetAllRegions", &[]);
    assert_eq!(
        (throttled.status, throttled.code()),
        (400, "Throttling.User")
    );
    assert_eq!(throttled.header("x-acs-retry-after"), Some("1000"));

    let bad = put(r#"{"throttle_rate": 2}"#);
    assert_eq!((bad.status, bad.code()), (400, "InvalidParameter"));
    let unknown = put(r#"{"chaos": true}"#);
    assert_eq!(unknown.status, 400);
    put("{}");
    let shown = send_raw(server.addr, "GET", FAULTS_PATH, &host, &[], b"").expect("answer");
    assert_eq!(shown.body["throttle_rate"], 0.0);
    assert_eq!(client.call("GetAllRegions", &[]).status, 200);
}

#[test]
fn serve_refuses_bad_faults_and_remote_addresses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let state = state.to_str().expect("utf-8 path");
    let out = run(&[
        "emulator",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--state-dir",
        state,
        "--fault",
        "boom=1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid fault \"boom=1\""),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "emulator",
        "serve",
        "--listen",
        "0.0.0.0:0",
        "--state-dir",
        state,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--allow-remote"), "{}", stderr(&out));
}
