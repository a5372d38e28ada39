//! `ptsplan run` and `apply --run` against `ptsplan emulator serve` over HTTP, with a
//! loopback target: a run that passes its thresholds, one that fails them (exit 4, JUnit),
//! one stopped with Ctrl-C (stopped on the backend, exit 130), one whose token expires
//! mid-run (named in the report), one whose debug run fails (no load started). Runs last a
//! few seconds at two virtual users.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use ptsplan::api::sign::Credential;
use ptsplan::api::{Client, ClientOptions, Endpoint};
use ptsplan::wire::{GetPtsReportsBySceneId, GetPtsSceneRunningStatus, Marker, RunningStatus};

use crate::target::Target;
use crate::util::{Backend, all, bundle, start_backend};

/// A plan with one scene `orders` posting to the target's `url` with a token from
/// `/token` (declared to live an hour, fetched once per virtual user); `scene` is spliced
/// into the scene (load, thresholds, policies).
fn plan(dir: &Path, target: &Target, url: &str, scene: &str) -> PathBuf {
    let path = dir.join("plan.yaml");
    let text = format!(
        r#"version: 1
workspace: runs
variables:
  backend: {base}
token_sources:
  login:
    kind: api
    request: {{ method: POST, url: "${{var.backend}}/token" }}
    exports: {{ access_token: access_token }}
    ttl: 1h
    refresh: {{ policy: once }}
scenes:
  orders:
    type: single-api
    chains:
      - name: buyer
        token: login
        steps:
          - name: create-order
            method: POST
            url: ${{var.backend}}{url}
            headers: {{ Authorization: "Bearer ${{access_token}}" }}
            checks: [ {{ on: status_code, value: 200 }} ]
{scene}
"#,
        base = target.base()
    );
    std::fs::write(&path, text).expect("write plan");
    path
}

fn client(backend: &Backend) -> Client {
    Client::new(
        Endpoint::parse(&backend.endpoint).expect("endpoint"),
        Credential::new(&backend.key_id, &backend.key_secret),
        ClientOptions::default(),
    )
    .expect("client")
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// The id of the owned scene `key`.
fn scene_id(backend: &Backend, key: &str) -> String {
    let client = client(backend);
    let live = block_on(ptsplan::live::read_all(&client)).expect("live");
    live.iter()
        .find(|l| Marker::of(&l.scene).is_some_and(|m| m.key == key))
        .and_then(|l| l.scene.scene_id.clone())
        .expect("scene applied")
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// A target (tokens living `token_ttl`), a backend, and a directory with the plan.
struct Setup {
    target: Target,
    backend: Backend,
    dir: tempfile::TempDir,
}

fn setup(token_ttl: Duration, url: &str, scene: &str) -> Setup {
    let target = Target::start(token_ttl);
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    plan(dir.path(), &target, url, scene);
    Setup {
        target,
        backend,
        dir,
    }
}

/// `ptsplan run orders --plan plan.yaml EXTRA…`.
fn run_orders(backend: &Backend, dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", "orders", "--plan", "plan.yaml"];
    args.extend_from_slice(extra);
    backend.run(dir, &args)
}

fn apply(backend: &Backend, dir: &Path) {
    let out = backend.run(dir, &["apply", "--auto-approve", "plan.yaml"]);
    assert_eq!(code(&out), Some(0), "{}", all(&out));
}

#[test]
fn apply_run_passes_its_thresholds_and_writes_reports_into_the_bundle() {
    let Setup {
        target,
        backend,
        dir,
    } = setup(
        Duration::from_secs(3600),
        "/order",
        r#"    run: on_apply
    load: { mode: concurrency, start: 2, max: 2, duration: 2s }
    thresholds:
      - p99 < 5s
      - success_rate >= 99%
      - { assert: "errors == 0", chain: buyer, step: create-order }
      - { assert: "requests >= 1", chain: buyer }"#,
    );
    let out = backend.run(
        dir.path(),
        &["apply", "--auto-approve", "--run", "plan.yaml"],
    );
    let text = all(&out);
    assert_eq!(code(&out), Some(0), "{text}");
    assert!(
        text.contains("debug run") && text.contains("passed"),
        "{text}"
    );
    assert!(text.contains("thresholds passed (4)"), "{text}");
    // The local backend's running data carries p99 for the progress line.
    assert!(text.contains("  p99 "), "{text}");
    let bundle = bundle(dir.path(), &out);
    for file in [
        "meta.json",
        "summary.md",
        "journal.jsonl",
        "reports/orders/details.json",
        "reports/orders/timeline.json",
        "reports/orders/verdicts.json",
        "reports/orders/report.md",
        "reports/orders/report.json",
        "reports/orders/junit.xml",
        "reports/orders/report.html",
    ] {
        assert!(
            bundle.join(file).is_file(),
            "{file} in {}",
            bundle.display()
        );
    }
    let timeline: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join("reports/orders/timeline.json")).expect("timeline"),
    )
    .expect("json");
    assert!(
        !timeline["points"].as_array().expect("points").is_empty(),
        "{timeline}"
    );
    let junit = std::fs::read_to_string(bundle.join("reports/orders/junit.xml")).expect("junit");
    assert!(junit.contains("tests=\"4\" failures=\"0\""), "{junit}");
    // The page charts the engine's per-second series, one latency chart per API.
    let html = std::fs::read_to_string(bundle.join("reports/orders/report.html")).expect("html");
    assert!(html.contains("id=\"api-0-latency\""), "latency chart");
    assert!(html.contains("id=\"verdicts\""), "verdicts table");
    assert!(target.count("/order") > 0);
}

#[test]
fn failed_thresholds_exit_4_with_the_failing_assertion_in_junit() {
    let Setup {
        target: _target,
        backend,
        dir,
    } = setup(
        Duration::from_secs(3600),
        "/order",
        r#"    load: { mode: concurrency, start: 2, max: 2, duration: 2s }
    thresholds: [ "success_rate >= 99%", "requests >= 100000000" ]"#,
    );
    apply(&backend, dir.path());
    let junit = dir.path().join("junit.xml");
    let out = run_orders(
        &backend,
        dir.path(),
        &["--no-debug", "--junit", junit.to_str().expect("path")],
    );
    let text = all(&out);
    assert_eq!(code(&out), Some(4), "{text}");
    assert!(text.contains("THRESHOLDS FAILED (1 of 2)"), "{text}");
    assert!(
        text.contains("FAIL") && text.contains("requests >= 100000000"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert!(
        xml.contains("<failure message=\"requests &gt;= 100000000 failed: actual "),
        "{xml}"
    );
}

#[test]
fn ctrl_c_stops_the_scene_on_the_backend_before_exiting() {
    let Setup {
        target: _target,
        backend,
        dir,
    } = setup(
        Duration::from_secs(3600),
        "/order",
        r#"    load: { mode: concurrency, start: 2, max: 2, duration: 2m }
    thresholds: [ "success_rate >= 99%" ]"#,
    );
    apply(&backend, dir.path());
    let mut child = backend
        .command(dir.path())
        .args(["run", "orders", "--plan", "plan.yaml", "--no-debug"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ptsplan runs");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    // Wait for the first progress line: the load is running and being followed.
    loop {
        let mut line = String::new();
        if err.read_line(&mut line).expect("read") == 0 {
            panic!("ptsplan ended before the load ran:\n{seen}");
        }
        seen.push_str(&line);
        if line.contains(" vu ") {
            break;
        }
    }
    let id = scene_id(&backend, "orders");
    let running = block_on(client(&backend).call(&GetPtsSceneRunningStatus {
        scene_id: id.clone(),
    }))
    .expect("status");
    assert_eq!(running.status, Some(RunningStatus::Running));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).expect("read");
    seen.push_str(&rest);
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(seen.contains("stopped on the backend (Ctrl-C)"), "{seen}");
    assert!(seen.contains("interrupted"), "{seen}");
    let after = block_on(client(&backend).call(&GetPtsSceneRunningStatus { scene_id: id }))
        .expect("status");
    assert_eq!(after.status, Some(RunningStatus::Stopped), "{seen}");
}

#[test]
fn a_token_expiring_mid_run_is_named_in_the_report() {
    // Tokens live one second on the target, though the plan declares an hour (validation
    // refuses a declared lifetime shorter than the run), and are fetched once per user.
    let Setup {
        target: _target,
        backend,
        dir,
    } = setup(
        Duration::from_secs(1),
        "/order",
        r#"    load: { mode: concurrency, start: 2, max: 2, duration: 3s }
    thresholds: [ "success_rate >= 99%" ]"#,
    );
    apply(&backend, dir.path());
    let out = run_orders(&backend, dir.path(), &[]);
    let text = all(&out);
    assert_eq!(code(&out), Some(4), "{text}");
    assert!(text.contains("Tokens:"), "{text}");
    assert!(
        text.contains("create-order (chain buyer)")
            && text.contains("a token stopped working mid-run"),
        "{text}"
    );
    let bundle = bundle(dir.path(), &out);
    let md = std::fs::read_to_string(bundle.join("reports/orders/report.md")).expect("md");
    assert!(md.contains("stopped working mid-run"), "{md}");
}

#[test]
fn a_failing_debug_run_starts_no_load() {
    let Setup {
        target,
        backend,
        dir,
    } = setup(
        Duration::from_secs(3600),
        "/status/500",
        r#"    load: { mode: concurrency, start: 2, max: 2, duration: 2s }"#,
    );
    apply(&backend, dir.path());
    let junit = dir.path().join("junit.xml");
    let out = run_orders(
        &backend,
        dir.path(),
        &["--junit", junit.to_str().expect("path")],
    );
    let text = all(&out);
    assert_eq!(code(&out), Some(1), "{text}");
    assert!(
        text.contains("the debug run of scene.orders failed")
            && text.contains("no load was started"),
        "{text}"
    );
    assert!(text.contains("step create-order"), "{text}");
    assert!(text.contains("response: 500"), "{text}");
    assert!(
        text.to_lowercase().contains("authorization: (sensitive)"),
        "{text}"
    );
    // The debug run sent one request per chain; no load run, no report.
    assert_eq!(target.count("/status/500"), 1);
    let client = client(&backend);
    let reports = block_on(client.call(&GetPtsReportsBySceneId {
        page_number: 1,
        page_size: 10,
        scene_id: scene_id(&backend, "orders"),
    }))
    .expect("reports");
    assert!(reports.report_over_view_list.is_empty());
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("name=\"debug run\""), "{xml}");
}
