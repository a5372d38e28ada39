//! JMeter scenes really run on the local backend: the example plan (plans/jmeter) is applied
//! with its environment pointing at a counting loopback server, started through the API,
//! followed until it ends, and its report checked against what the server counted; a long
//! run is stopped mid-way; a debug run sends one iteration; TPS mode runs with the timer the
//! backend adds; a script JMeter cannot load ends with its error; JMeter dies with a killed
//! backend; a script aimed off loopback is refused before JMeter starts.
//!
//! They need Apache JMeter and Java (`.ci/run` installs Debian's `jmeter`, `jmeter-http`
//! and `default-jre-headless`); without them they are skipped with a note, except in CI.
//! `PTSPLAN_SKIP_JMETER=1` skips them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ptsplan::api::sign::Credential;
use serde_json::{Value, json};

use crate::emulator::client::{Answer, Client};
use crate::util::{Backend, repo, start_backend, stderr, stdout, strings};

/// How long a test waits for a run before giving up (a hang guard, not a speed claim).
const PATIENCE: Duration = Duration::from_secs(180);

/// Whether JMeter can run here; `false` (after saying why) when the tests are skipped.
pub(crate) fn jmeter_available() -> bool {
    if std::env::var("PTSPLAN_SKIP_JMETER").is_ok_and(|v| v == "1") {
        eprintln!("skipped the local JMeter runs: PTSPLAN_SKIP_JMETER=1");
        return false;
    }
    let home = std::env::var("PTSPLAN_JMETER_HOME").unwrap_or_else(|_| "/usr/share/jmeter".into());
    let found = Path::new(&home).join("bin/ApacheJMeter.jar").is_file();
    if !found {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(
            !in_ci,
            "Apache JMeter is needed for the local JMeter runs in CI: .ci/run installs Debian's `jmeter` (PTSPLAN_SKIP_JMETER=1 skips them)"
        );
        eprintln!(
            "skipped the local JMeter runs: no JMeter at {home} (apt-get install jmeter jmeter-http default-jre-headless, or set PTSPLAN_JMETER_HOME)"
        );
    }
    found
}

/// A loopback HTTP/1.1 server answering `{}` to everything and counting requests.
pub(crate) struct Target {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    closed: Arc<AtomicBool>,
}

impl Target {
    pub(crate) fn start() -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(AtomicU64::new(0));
        let closed = Arc::new(AtomicBool::new(false));
        let (count, stop) = (requests.clone(), closed.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let count = count.clone();
                std::thread::spawn(move || serve(stream, &count));
            }
        });
        Target {
            addr,
            requests,
            closed,
        }
    }

    pub(crate) fn count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// One keep-alive connection: requests (with any `Content-Length` body) until EOF.
fn serve(stream: TcpStream, count: &AtomicU64) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        count.fetch_add(1, Ordering::SeqCst);
        let answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// A client signing with `backend`'s key.
pub(crate) fn client(backend: &Backend) -> Client {
    Client {
        credential: Credential::new(&backend.key_id, &backend.key_secret),
        ..Client::new(backend.addr())
    }
}

/// Calls `action` and expects success.
pub(crate) fn call(client: &Client, action: &str, params: &[(&str, &str)]) -> Value {
    let answer: Answer = client.call(action, params);
    assert_eq!(answer.status, 200, "{action}: {}", answer.raw);
    answer.body
}

/// Applies the example plan with its environment pointing at `target`, then sets the
/// scene's load through the API (the plan's minimum duration is PTS's 60 s; the local
/// backend runs shorter ones); returns the scene id.
pub(crate) fn applied_scene(
    backend: &Backend,
    work: &Path,
    target: &Target,
    duration_s: i64,
) -> String {
    let plan = work.join("plan");
    std::fs::create_dir_all(&plan).expect("mkdir");
    crate::util::copy_dir(&repo().join("plans/jmeter"), &plan);
    let file = plan.join("jmeter.yaml");
    let text = std::fs::read_to_string(&file).expect("plan");
    let port = target.addr.port().to_string();
    std::fs::write(&file, text.replace("port: 8090", &format!("port: {port}"))).expect("edit");
    let out = backend.run(work, &["apply", "plan", "--auto-approve"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    let client = client(backend);
    let listed = call(
        &client,
        "ListOpenJMeterScenes",
        &[("PageNumber", "1"), ("PageSize", "10")],
    );
    let scene_id = listed["JMeterScene"][0]["SceneId"]
        .as_str()
        .expect("the applied scene")
        .to_owned();
    let mut scene = call(&client, "GetOpenJMeterScene", &[("SceneId", &scene_id)])["Scene"].clone();
    scene["Duration"] = json!(duration_s);
    scene["Concurrency"] = json!(2);
    scene["RampUp"] = json!(0);
    call(
        &client,
        "SaveOpenJMeterScene",
        &[("OpenJMeterScene", &scene.to_string())],
    );
    scene_id
}

/// Stops the scene's run when dropped, so that a failed assertion leaves no JMeter running
/// against a closed target.
struct StopOnDrop<'a> {
    client: &'a Client,
    scene_id: String,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self
            .client
            .call("StopTestingJMeterScene", &[("SceneId", &self.scene_id)]);
    }
}

/// Polls the scene's running data until `done` holds for it.
fn wait_for(client: &Client, scene_id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let data = call(
            client,
            "GetJMeterSceneRunningData",
            &[("SceneId", scene_id)],
        )["RunningData"]
            .clone();
        if done(&data) {
            return data;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within {PATIENCE:?}: {data}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The report's request count, checked against the sampler list and the JTL-derived
/// metrics.
fn report_count(client: &Client, report_id: &str) -> u64 {
    let report = call(client, "GetJMeterReportDetails", &[("ReportId", report_id)]);
    let all = report["SceneMetrics"]["AllCount"]
        .as_u64()
        .expect("AllCount");
    let samplers = report["SamplerMetricsList"].as_array().expect("samplers");
    let names = strings(&report["SamplerMetricsList"], "ApiName");
    // The example fetches a token once per user, then lists orders in a loop.
    assert_eq!(names, ["get token", "list orders"], "{report}");
    let per_sampler: u64 = samplers.iter().filter_map(|s| s["AllCount"].as_u64()).sum();
    assert_eq!(per_sampler, all, "{report}");
    assert_eq!(report["SceneMetrics"]["FailCountReq"], 0, "{report}");
    assert_eq!(report["ReportOverView"]["ReportId"], report_id);
    let mut over_time = 0;
    for (id, name) in names.iter().enumerate() {
        let id = id.to_string();
        let metrics = call(
            client,
            "GetJMeterSampleMetrics",
            &[("ReportId", report_id), ("SamplerId", &id)],
        );
        assert_eq!(metrics["SamplerMap"][&id], *name, "{metrics}");
        over_time += metrics["SampleMetricList"]
            .as_array()
            .expect("points")
            .iter()
            .map(|text| {
                let point: Value =
                    serde_json::from_str(text.as_str().expect("JSON text")).expect("JSON");
                point["totalCount"].as_u64().expect("totalCount")
            })
            .sum::<u64>();
    }
    assert_eq!(over_time, all);
    all
}

#[test]
fn a_jmeter_scene_runs_to_its_end_and_its_report_counts_what_the_target_received() {
    if !jmeter_available() {
        return;
    }
    let target = Target::start();
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let scene_id = applied_scene(&backend, dir.path(), &target, 3);
    let client = client(&backend);
    let _guard = StopOnDrop {
        client: &client,
        scene_id: scene_id.clone(),
    };

    let started = call(
        &client,
        "StartTestingJMeterScene",
        &[("SceneId", &scene_id)],
    );
    let report_id = started["ReportId"].as_str().expect("ReportId").to_owned();
    let listed = call(
        &client,
        "ListOpenJMeterScenes",
        &[
            ("PageNumber", "1"),
            ("PageSize", "10"),
            ("SceneId", &scene_id),
        ],
    );
    assert_eq!(listed["JMeterScene"][0]["Status"], "RUNNING", "{listed}");
    let again = client.call("StartTestingJMeterScene", &[("SceneId", &scene_id)]);
    assert_eq!(again.code(), "StartTestingJMeterSceneFail", "{}", again.raw);

    let end = wait_for(&client, &scene_id, "end of the run", |data| {
        data["Status"] == "STOPPED" && data["ReportId"] == report_id.as_str()
    });
    assert_eq!(end["HasReport"], true, "{end}");
    assert_eq!(end["HasError"], false, "{end}");
    let count = report_count(&client, &report_id);
    assert!(count > 0, "the run sent requests");
    assert_eq!(
        count,
        target.count(),
        "the report counts what the target received"
    );

    let reports = call(
        &client,
        "ListJMeterReports",
        &[
            ("PageNumber", "1"),
            ("PageSize", "10"),
            ("SceneId", &scene_id),
        ],
    );
    assert_eq!(reports["TotalCount"], 1, "{reports}");
    assert_eq!(reports["Reports"][0]["ReportId"], report_id.as_str());
    let samples = call(
        &client,
        "GetJMeterSamplingLogs",
        &[
            ("ReportId", &report_id),
            ("PageNumber", "1"),
            ("PageSize", "5"),
        ],
    );
    let first: Value = serde_json::from_str(samples["SampleResults"][0].as_str().expect("text"))
        .expect("a JSON sample");
    assert_eq!(first["samplerName"], "get token", "{samples}");
    assert_eq!(first["responseCode"], "200");
    let logs = call(
        &client,
        "GetJMeterLogs",
        &[
            ("ReportId", &report_id),
            ("PageNumber", "1"),
            ("PageSize", "200"),
        ],
    );
    assert!(
        logs["Logs"]
            .as_array()
            .expect("logs")
            .iter()
            .any(|entry| entry["message"]
                .as_str()
                .is_some_and(|m| m.contains("Running the test"))),
        "{logs}"
    );
}

#[test]
fn a_running_jmeter_scene_stops_on_request_with_its_report() {
    if !jmeter_available() {
        return;
    }
    let target = Target::start();
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let scene_id = applied_scene(&backend, dir.path(), &target, 120);
    let client = client(&backend);
    let _guard = StopOnDrop {
        client: &client,
        scene_id: scene_id.clone(),
    };
    let started = call(
        &client,
        "StartTestingJMeterScene",
        &[("SceneId", &scene_id)],
    );
    let report_id = started["ReportId"].as_str().expect("ReportId").to_owned();
    let live = wait_for(&client, &scene_id, "samples", |data| {
        data["AllSampleStat"]["fullStat"]["count"]
            .as_u64()
            .unwrap_or(0)
            > 0
    });
    assert_eq!(live["Status"], "RUNNING", "{live}");
    assert_eq!(live["HoldFor"], 120);
    assert_eq!(live["Concurrency"], 2, "{live}");
    // The scene's environment lists it as related and, while the load runs, as running.
    let envs = |what: &str| {
        let listed = call(
            &client,
            "ListEnvs",
            &[("PageNumber", "1"), ("PageSize", "10")],
        );
        listed["Envs"][0][what].clone()
    };
    assert_eq!(envs("RelatedScenes"), json!([scene_id]));
    assert_eq!(envs("RunningScenes"), json!([scene_id]));

    call(&client, "StopTestingJMeterScene", &[("SceneId", &scene_id)]);
    let data = call(
        &client,
        "GetJMeterSceneRunningData",
        &[("SceneId", &scene_id)],
    );
    assert_eq!(data["RunningData"]["Status"], "STOPPED", "{data}");
    // An empty list is left out of the answer, as every empty list is.
    assert_eq!(envs("RunningScenes"), Value::Null);
    let count = report_count(&client, &report_id);
    assert!(count > 0);
    assert_eq!(
        count,
        target.count(),
        "the report counts what the target received"
    );
    let report = call(
        &client,
        "GetJMeterReportDetails",
        &[("ReportId", &report_id)],
    );
    let seconds = report["SceneMetrics"]["DurationSeconds"]
        .as_f64()
        .expect("duration");
    assert!(seconds < 120.0, "stopped before its duration: {report}");
}

#[test]
fn a_script_aimed_off_loopback_is_refused_before_jmeter_starts() {
    let backend = start_backend();
    let client = client(&backend);
    let dir = tempfile::tempdir().expect("dir");
    // A scene whose script is in the backend's OSS (applied), with a far host property.
    let target = Target::start();
    let scene_id = applied_scene(&backend, dir.path(), &target, 3);
    let mut scene = call(&client, "GetOpenJMeterScene", &[("SceneId", &scene_id)])["Scene"].clone();
    scene["JMeterProperties"] = json!([{"Name": "host", "Value": "10.255.0.1"}]);
    scene["EnvironmentId"] = json!("");
    call(
        &client,
        "SaveOpenJMeterScene",
        &[("OpenJMeterScene", &scene.to_string())],
    );
    let refused = client.call("StartTestingJMeterScene", &[("SceneId", &scene_id)]);
    if refused.code() == "JMeterNotSupported" {
        // Without JMeter the install check comes first; the target check is unit-tested.
        return;
    }
    assert_eq!(
        refused.code(),
        "StartTestingJMeterSceneFail",
        "{}",
        refused.raw
    );
    let message = refused.text("Message");
    assert!(
        message.contains("`get token`: HTTPSampler.domain"),
        "{message}"
    );
    assert!(message.contains("not loopback"), "{message}");
    assert_eq!(target.count(), 0);
}

#[test]
fn a_debug_run_sends_one_iteration_and_keeps_its_samples_without_a_report() {
    if !jmeter_available() {
        return;
    }
    let target = Target::start();
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let scene_id = applied_scene(&backend, dir.path(), &target, 60);
    let client = client(&backend);
    let started = call(
        &client,
        "StartDebuggingJMeterScene",
        &[("SceneId", &scene_id)],
    );
    let report_id = started["ReportId"].as_str().expect("ReportId").to_owned();
    let end = wait_for(&client, &scene_id, "end of the debug run", |data| {
        data["Status"] == "STOPPED" && data["ReportId"] == report_id.as_str()
    });
    assert_eq!(end["IsDebugging"], true, "{end}");
    assert_eq!(end["HasReport"], false, "{end}");
    // One thread, one loop: the token, then one listing.
    assert_eq!(target.count(), 2);
    let samples = call(
        &client,
        "GetJMeterSamplingLogs",
        &[
            ("ReportId", &report_id),
            ("PageNumber", "1"),
            ("PageSize", "10"),
            ("Success", "true"),
        ],
    );
    assert_eq!(samples["TotalCount"], 2, "{samples}");
    let missing = client.call("GetJMeterReportDetails", &[("ReportId", &report_id)]);
    assert_eq!(missing.code(), "ReportNotExist", "{}", missing.raw);
}

#[test]
fn a_script_jmeter_cannot_load_ends_the_run_with_its_error() {
    if !jmeter_available() {
        return;
    }
    let target = Target::start();
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    // An element JMeter 2.13 does not know: the script is XML, but JMeter cannot load it.
    let work = dir.path();
    let scene_id = applied_scene(&backend, work, &target, 30);
    let script = work.join("plan/orders.jmx");
    let text = std::fs::read_to_string(&script).expect("jmx");
    std::fs::write(&script, text.replace("CSVDataSet", "NoSuchCSVDataSet")).expect("edit");
    let out = backend.run(work, &["apply", "plan", "--auto-approve"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let client = client(&backend);
    let started = call(
        &client,
        "StartTestingJMeterScene",
        &[("SceneId", &scene_id)],
    );
    let report_id = started["ReportId"].as_str().expect("ReportId").to_owned();
    let end = wait_for(&client, &scene_id, "end of the run", |data| {
        data["Status"] == "STOPPED" && data["ReportId"] == report_id.as_str()
    });
    assert_eq!(end["HasError"], true, "{end}");
    assert_eq!(end["HasReport"], false, "{end}");
    let message = end["ErrorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("without running the test"), "{message}");
    assert!(message.contains("Problem loading XML"), "{message}");
    assert_eq!(target.count(), 0);
}

#[test]
fn jmeter_ends_with_its_backend_even_when_the_backend_is_killed() {
    if !jmeter_available() {
        return;
    }
    let target = Target::start();
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let scene_id = applied_scene(&backend, dir.path(), &target, 600);
    let client = client(&backend);
    call(
        &client,
        "StartTestingJMeterScene",
        &[("SceneId", &scene_id)],
    );
    wait_for(&client, &scene_id, "samples", |data| {
        data["AllSampleStat"]["fullStat"]["count"]
            .as_u64()
            .unwrap_or(0)
            > 0
    });
    // SIGKILL: the backend cannot stop JMeter; the launcher sees its input pipe close. (The
    // run's duration is longer than the wait, so JMeter ending by itself would not pass.)
    drop(backend);
    let deadline = Instant::now() + PATIENCE;
    let mut last = target.count();
    loop {
        std::thread::sleep(Duration::from_secs(2));
        let now = target.count();
        if now == last {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "JMeter kept sending load after its backend died ({now} requests)"
        );
        last = now;
    }
}

#[test]
fn a_tps_mode_scene_runs_with_its_shared_throughput_timer() {
    if !jmeter_available() {
        return;
    }
    let target = Target::start();
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let scene_id = applied_scene(&backend, dir.path(), &target, 3);
    let client = client(&backend);
    let mut scene = call(&client, "GetOpenJMeterScene", &[("SceneId", &scene_id)])["Scene"].clone();
    scene["Mode"] = json!("tps_mode");
    scene["MaxRps"] = json!(50);
    call(
        &client,
        "SaveOpenJMeterScene",
        &[("OpenJMeterScene", &scene.to_string())],
    );
    let started = call(
        &client,
        "StartTestingJMeterScene",
        &[("SceneId", &scene_id)],
    );
    let report_id = started["ReportId"].as_str().expect("ReportId").to_owned();
    let end = wait_for(&client, &scene_id, "end of the run", |data| {
        data["Status"] == "STOPPED" && data["ReportId"] == report_id.as_str()
    });
    // JMeter 2.13 loaded the timer the backend added (else the run would have failed).
    assert_eq!(end["HasError"], false, "{end}");
    let count = report_count(&client, &report_id);
    assert!(count > 0);
    assert_eq!(count, target.count());
}
