//! Tuning sweeps and soaks on the local backend (`ptsplan emulator serve` over HTTP)
//! against `ptsplan sample-app`, whose latency rises with load (`--capacity`) or with time
//! (`--drift`): the knee a sweep finds matches the configured capacity within one step,
//! and a soak of short chained segments joins them into one result that names the drift.
//!
//! No timed assertions: the capacity (100 requests/s in 10 slots of 100 ms) is far below
//! what the engine sends on a loaded 2-core machine, the steps straddle it by ±20 %, and
//! the threshold (p90 < 300 ms: a stall of the load generator delays a few requests, not a
//! tenth of them) sits between the ~100 ms of a step under capacity and the queue of one
//! above it, which grows 20 requests a second (p90 ≈ 700 ms after 4 s); the injected drift
//! (20 ms more every second) is tens of times the tolerated rise.

use std::path::Path;

use crate::util::{
    Backend, SAMPLE_SECRET, SampleApp, all, bundle, start_backend, start_sample_app,
};

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("json")
}

/// Writes `plan` as plan.yaml in `dir` and applies it.
fn apply(backend: &Backend, dir: &Path, plan: &str) {
    std::fs::write(dir.join("plan.yaml"), plan).expect("plan");
    let out = backend.run(dir, &["apply", "--auto-approve", "plan.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
}

/// A token of the sample app (valid two hours), fetched by hand.
fn token(app: &SampleApp) -> String {
    let body = format!(
        r#"{{"grant_type":"client_credential","appid":"wxquickstart00001","secret":"{SAMPLE_SECRET}"}}"#
    );
    let (status, answer) = app.call(
        "POST",
        "/cgi-bin/token",
        &[("Content-Type", "application/json")],
        &body,
    );
    assert_eq!(status, 200, "{answer}");
    answer["access_token"].as_str().expect("a token").to_owned()
}

#[test]
fn a_sweep_finds_the_capacity_knee_and_restores_the_scene() {
    const CAPACITY: i64 = 100;
    const STEP: i64 = 40;
    let app = start_sample_app(&["--capacity", "100", "--service-time", "100ms"]);
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let plan = format!(
        r#"version: 1
workspace: sweeps
variables:
  app: http://{addr}
scenes:
  capacity:
    type: tuning
    chains:
      - name: shopper
        steps:
          - name: list-orders
            url: ${{var.app}}/api/orders?size=1
            headers: {{ Authorization: "Bearer {token}" }}
            checks: [ {{ on: status_code, value: 200 }} ]
    load: {{ mode: rps, max: 40, duration: 4s }}
    thresholds: [ "p90 < 300ms", "success_rate >= 99%" ]
    sweep: {{ over: load.max, values: [40, 80, 120, 160], duration_each: 4s }}
"#,
        addr = app.addr,
        token = token(&app)
    );
    apply(&backend, dir.path(), &plan);

    // The plan lists the four runs and their length.
    let out = backend.run(dir.path(), &["plan", "plan.yaml"]);
    let text = all(&out);
    assert!(text.contains("in 4 runs"), "{text}");
    assert!(text.contains("run 4: load.max = 160, 4s"), "{text}");

    let out = backend.run(
        dir.path(),
        &[
            "sweep",
            "capacity",
            "-p",
            "plan.yaml",
            "--poll-interval",
            "0.5",
        ],
    );
    let text = all(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Capacity knee: load.max = "), "{text}");
    assert!(text.contains("Suggested rate limit: "), "{text}");
    assert!(text.contains("restored"), "{text}");

    let bundle = bundle(dir.path(), &out);
    let sweep = json(&bundle.join("sweep.json"));
    let steps = sweep["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 4, "{sweep}");
    let knee: i64 = sweep["knee"]["value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a knee: {sweep}"));
    assert!(
        (knee - CAPACITY).abs() <= STEP,
        "knee {knee}, capacity {CAPACITY}, step {STEP}:\n{text}"
    );
    // The steps above capacity failed: the knee is reached, not a lower bound.
    assert_eq!(sweep["knee"]["reached"], true, "{sweep}");
    assert_eq!(steps[3]["verdict"]["kind"], "failed", "{sweep}");
    // 80% of the knee's measured throughput, rounded down.
    let knee_rps = sweep["knee"]["rps"].as_f64().expect("knee rps");
    let limit = sweep["advice"]["rate_limit"].as_u64().expect("rate limit");
    assert_eq!(limit, (knee_rps * 0.8).floor() as u64, "{sweep}");
    for n in 1..=4 {
        for file in ["report.json", "report.html", "timeline.json"] {
            let path = bundle.join(format!("reports/capacity/step-{n}/{file}"));
            assert!(path.is_file(), "{}", path.display());
        }
    }
    assert!(bundle.join("sweep.md").is_file());
    let html = std::fs::read_to_string(bundle.join("sweep.html")).expect("sweep.html");
    assert!(html.contains("id=\"chart-throughput\"") && html.contains("id=\"chart-latency\""));
    assert!(!html.contains("<script"), "self-contained, no script");

    // The live scene is back at the plan's configuration.
    let out = backend.run(dir.path(), &["plan", "--detailed-exitcode", "plan.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
}

#[test]
fn a_soak_of_chained_segments_joins_them_and_detects_drift() {
    let app = start_sample_app(&["--drift", "20ms/s"]);
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let plan = format!(
        r#"version: 1
workspace: soaks
variables:
  app: http://{addr}
token_sources:
  wechat:
    kind: api
    request:
      url: ${{var.app}}/cgi-bin/token
      body: {{ json: {{ grant_type: client_credential, appid: wxquickstart00001, secret: "{SAMPLE_SECRET}" }} }}
    exports: {{ access_token: access_token }}
    ttl: 2h
    refresh: {{ policy: once }}
scenes:
  leak:
    type: soak
    chains:
      - name: shopper
        token: wechat
        steps:
          - name: list-orders
            url: ${{var.app}}/api/orders?size=1
            headers: {{ Authorization: "Bearer ${{access_token}}" }}
            checks: [ {{ on: status_code, value: 200 }} ]
    load: {{ mode: concurrency, max: 2, duration: 9s }}
    soak: {{ segment: 3s, max_gap: 2s }}
    thresholds: [ "success_rate >= 99%" ]
"#,
        addr = app.addr,
    );
    apply(&backend, dir.path(), &plan);

    let out = backend.run(
        dir.path(),
        &[
            "run",
            "leak",
            "--plan",
            "plan.yaml",
            "--poll-interval",
            "0.5",
        ],
    );
    let text = all(&out);
    // Degrading is a failed verdict: exit 4.
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("3 of 3 segment(s) joined into one result"),
        "{text}"
    );
    assert!(text.contains("Trend verdict: DEGRADING"), "{text}");

    let bundle = bundle(dir.path(), &out);
    let soak = json(&bundle.join("reports/leak/soak.json"));
    let segments = soak["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 3, "{soak}");
    assert_eq!(soak["drift"]["verdict"], "degrading", "{soak}");
    assert!(
        soak["drift"]["latency_ms_per_hour"]
            .as_f64()
            .expect("slope")
            > 0.0
    );
    // Gaps are measured (whether they stay under max_gap depends on the machine's load).
    assert!(segments[0]["gap_before_s"].is_null(), "{soak}");
    assert!(segments[1]["gap_before_s"].as_f64().is_some(), "{soak}");
    assert!(segments[2]["gap_exceeded"].is_boolean(), "{soak}");
    // One joined result: its requests are the segments' together, every one a success
    // (each segment's virtual users fetched fresh tokens).
    let mut total = 0;
    for n in 1..=3 {
        let report = json(&bundle.join(format!("reports/leak/segment-{n}/report.json")));
        total += report["metrics"]["AllCount"]
            .as_i64()
            .expect("segment requests");
    }
    let joined = json(&bundle.join("reports/leak/report.json"));
    assert_eq!(
        joined["metrics"]["AllCount"].as_i64(),
        Some(total),
        "{joined}"
    );
    assert!(total > 0);
    assert_eq!(
        joined["metrics"]["FailCountReq"].as_i64(),
        Some(0),
        "{joined}"
    );
    assert!(bundle.join("reports/leak/report.html").is_file());
    assert!(bundle.join("reports/leak/soak.md").is_file());
}

#[test]
fn the_tuning_example_plan_is_valid() {
    use ptsplan::spec::{self, Env};
    let secret = |name: &str| (name == "SAMPLE_APP_SECRET").then(|| SAMPLE_SECRET.to_owned());
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("timestamp"),
        var: &secret,
        require_env: true,
    };
    let loaded = spec::check(&crate::util::repo().join("plans/tuning/tuning.yaml"), &env);
    let found: Vec<(&str, String)> = loaded
        .diagnostics
        .sorted()
        .into_iter()
        .map(|d| (d.code, d.message.clone()))
        .collect();
    // Seconds-long runs, which only the local backend runs as written, and a soak shorter
    // than an hour: warnings the example means to show, nothing else.
    assert!(
        found
            .iter()
            .all(|(code, _)| matches!(*code, "plan::local-only" | "plan::scene-type")),
        "{found:?}"
    );
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(!loaded.diagnostics.has_errors());
    let plan = loaded.plan.expect("the plan decodes");
    assert_eq!(plan.scenes.len(), 2);
    // The plan lists the five sweep runs and the four soak segments.
    let capacity = ptsplan::plan::cost::estimate(&plan.scenes["capacity"]).expect("estimate");
    assert_eq!(capacity.schedule.len(), 5);
    let leak = ptsplan::plan::cost::estimate(&plan.scenes["leak"]).expect("estimate");
    assert_eq!(leak.schedule.len(), 4);
}
