//! The scene status machine and runs, with a stand-in run driver (the local engine lives on
//! another branch). The stand-in reports fixed figures so that the emulator's bookkeeping
//! (plan ids, status, reports, snapshots, baselines, debug samples) can be checked exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ptsplan::emulator::{Faults, RunDriver, RunError, RunHandle, RunOptions, RunOutcome};
use ptsplan::wire::{
    ApiMetrics, ApiSpeed, GetPtsReportDetailsOutput, GetPtsSceneRunningDataOutput, SamplingLog,
    Scene, SceneMetrics,
};

use super::client::{Client, InProcess, save_scene, scene_json};

/// Runs until stopped (load) or for 200 ms (debug), reporting 42 requests.
struct StandIn;

struct StandInRun {
    debug: bool,
    started: Instant,
    stopped: AtomicBool,
}

impl RunDriver for StandIn {
    fn start(&self, _: &Scene, options: RunOptions) -> Result<Box<dyn RunHandle>, RunError> {
        Ok(Box::new(StandInRun {
            debug: options.debug,
            started: Instant::now(),
            stopped: AtomicBool::new(false),
        }))
    }
}

impl RunHandle for StandInRun {
    fn running_data(&self) -> GetPtsSceneRunningDataOutput {
        GetPtsSceneRunningDataOutput {
            concurrency: Some(2),
            total_request_count: Some(42),
            ..GetPtsSceneRunningDataOutput::default()
        }
    }
    fn adjust_speed(&self, speeds: &[ApiSpeed]) -> Result<(), RunError> {
        match speeds.iter().any(|s| s.speed.unwrap_or(0) < 1) {
            true => Err(RunError::Failed("speed must be at least 1".into())),
            false => Ok(()),
        }
    }
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
    fn is_finished(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
            || (self.debug && self.started.elapsed() > Duration::from_millis(200))
    }
    fn finish(self: Box<Self>) -> RunOutcome {
        RunOutcome {
            details: GetPtsReportDetailsOutput {
                scene_metrics: Some(SceneMetrics {
                    all_count: Some(42),
                    avg_rt: Some(1.5),
                    success_rate_req: Some(1.0),
                    ..SceneMetrics::default()
                }),
                api_metrics_list: vec![ApiMetrics {
                    api_name: Some("health".into()),
                    all_count: Some(42),
                    avg_rt: Some(1.5),
                    ..ApiMetrics::default()
                }],
                ..GetPtsReportDetailsOutput::default()
            },
            samples: if self.debug {
                vec![SamplingLog {
                    chain_name: Some("chain".into()),
                    http_response_status: Some("200".into()),
                    rt: Some("3".into()),
                    ..SamplingLog::default()
                }]
            } else {
                Vec::new()
            },
        }
    }
}

fn expect(answer: &super::client::Answer, status: u16, code: &str, contains: &str) {
    assert_eq!(
        (answer.status, answer.code()),
        (status, code),
        "{}",
        answer.raw
    );
    assert!(answer.text("Message").contains(contains), "{}", answer.raw);
}

fn status_of(client: &Client, scene_id: &str) -> String {
    let answer = client.call("GetPtsScene", &[("SceneId", scene_id)]);
    answer.body["Scene"]["Status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_engine_refuses_targets_outside_loopback_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = InProcess::start(dir.path(), None, Faults::default());
    let client = server.client();
    let scene = scene_json("remote").replace("127.0.0.1", "192.0.2.10");
    let saved = client.call("SavePtsScene", &[("Scene", &scene)]);
    assert_eq!(saved.status, 200, "{}", saved.raw);
    let id = saved.text("SceneId");
    let answer = client.call("StartPtsScene", &[("SceneId", &id)]);
    expect(&answer, 400, "StartPtsSceneFail", "not loopback");
    assert_eq!(status_of(&client, &id), "WaitStart");
}

#[test]
fn load_run_status_machine_report_and_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = InProcess::start(dir.path(), Some(Arc::new(StandIn)), Faults::default());
    let client = server.client();

    let draft = client.call("SavePtsScene", &[("Scene", r#"{"SceneName":"draft"}"#)]);
    let draft_id = draft.text("SceneId");
    assert_eq!(status_of(&client, &draft_id), "Draft");
    expect(
        &client.call("StartPtsScene", &[("SceneId", &draft_id)]),
        400,
        "StartPtsSceneFail",
        "draft",
    );

    let id = save_scene(&client, "load");
    let started = client.call("StartPtsScene", &[("SceneId", &id)]);
    assert_eq!(started.status, 200, "{}", started.raw);
    let plan = started.text("PlanId");
    assert_eq!(plan.len(), 7);
    assert_eq!(status_of(&client, &id), "Running");
    let running = client.call("GetPtsSceneRunningStatus", &[("SceneId", &id)]);
    assert_eq!(running.text("Status"), "RUNNING");

    expect(
        &client.call("StartPtsScene", &[("SceneId", &id)]),
        400,
        "StartPtsSceneFail",
        "Scene is running",
    );
    expect(
        &client.call("StartDebugPtsScene", &[("SceneId", &id)]),
        400,
        "StartDebugPtsSceneFail",
        "running",
    );
    let update = serde_json::json!({"SceneId": id, "SceneName": "renamed"}).to_string();
    expect(
        &client.call("SavePtsScene", &[("Scene", &update)]),
        400,
        "ModifyPtsSceneFail",
        "running",
    );
    expect(
        &client.call("DeletePtsScene", &[("SceneId", &id)]),
        400,
        "DeletePtsSceneFail",
        "Scene is running",
    );
    let ids = serde_json::json!([id]).to_string();
    expect(
        &client.call("DeletePtsScenes", &[("SceneIds", &ids)]),
        400,
        "DeletePtsScenesFail",
        "Scene is running",
    );

    let data = client.call(
        "GetPtsSceneRunningData",
        &[("SceneId", &id), ("PlanId", &plan)],
    );
    assert_eq!(data.body["TotalRequestCount"], 42, "{}", data.raw);
    assert_eq!(data.body["HasReport"], false);
    assert!(data.body["BeginTime"].as_i64().is_some());
    let speed = r#"[{"ApiId":"A","Speed":5}]"#;
    assert_eq!(
        client
            .call(
                "AdjustPtsSceneSpeed",
                &[("SceneId", &id), ("ApiSpeedList", speed)]
            )
            .status,
        200
    );
    let bad_speed = r#"[{"ApiId":"A","Speed":0}]"#;
    expect(
        &client.call(
            "AdjustPtsSceneSpeed",
            &[("SceneId", &id), ("ApiSpeedList", bad_speed)],
        ),
        400,
        "AdjustPtsSceneSpeedFail",
        "at least 1",
    );

    assert_eq!(client.call("StopPtsScene", &[("SceneId", &id)]).status, 200);
    assert_eq!(
        client
            .call("GetPtsSceneRunningStatus", &[("SceneId", &id)])
            .text("Status"),
        "STOPPED"
    );
    assert_eq!(status_of(&client, &id), "WaitStart");
    expect(
        &client.call("StopPtsScene", &[("SceneId", &id)]),
        400,
        "StopPtsSceneFail",
        "has no plan",
    );

    let report = client.call(
        "GetPtsReportDetails",
        &[("SceneId", &id), ("PlanId", &plan)],
    );
    assert_eq!(report.status, 200, "{}", report.raw);
    assert_eq!(report.body["SceneMetrics"]["AllCount"], 42);
    assert_eq!(report.body["ReportOverView"]["ReportId"], plan.as_str());
    let snapshot = &report.body["SceneSnapShot"];
    assert_eq!(snapshot["Status"], "STOPPED");
    assert_eq!(snapshot["LoadConfig"]["TestMode"], "CONCURRENCY");
    assert_eq!(snapshot["SceneName"], "load");
    let after = client.call(
        "GetPtsSceneRunningData",
        &[("SceneId", &id), ("PlanId", &plan)],
    );
    assert_eq!(after.body["HasReport"], true);

    let by_scene = client.call(
        "GetPtsReportsBySceneId",
        &[("SceneId", &id), ("PageNumber", "1"), ("PageSize", "10")],
    );
    assert_eq!(
        by_scene.body["ReportOverViewList"].as_array().map(Vec::len),
        Some(1)
    );
    let listed = client
        .try_call(
            "ListPtsReports",
            &[],
            &[("PageNumber", "1"), ("PageSize", "10"), ("ReportId", &plan)],
            jiff::Timestamp::now(),
            &super::client::fresh_nonce(),
        )
        .expect("answer");
    assert_eq!(listed.body["TotalCount"], 1, "{}", listed.raw);

    let baseline = client.call(
        "CreatePtsSceneBaseLineFromReport",
        &[("SceneId", &id), ("ReportId", &plan)],
    );
    assert_eq!(baseline.status, 200, "{}", baseline.raw);
    let got = client.call("GetPtsSceneBaseLine", &[("SceneId", &id)]);
    assert_eq!(got.body["Baseline"]["SceneBaseline"]["AvgRt"], 1.5);
    assert!(
        got.body["Baseline"]["SceneBaseline"]
            .get("AllCount")
            .is_none()
    );
    assert_eq!(got.body["Baseline"]["ApiBaselines"][0]["Name"], "health");

    // Idle again: the scene can change and go.
    assert_eq!(
        client.call("DeletePtsScene", &[("SceneId", &id)]).status,
        200
    );
}

#[test]
fn debug_runs_keep_their_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = InProcess::start(dir.path(), Some(Arc::new(StandIn)), Faults::default());
    let client = server.client();
    let id = save_scene(&client, "debug");
    let started = client.call("StartDebugPtsScene", &[("SceneId", &id)]);
    assert_eq!(started.status, 200, "{}", started.raw);
    let plan = started.text("PlanId");
    assert_eq!(status_of(&client, &id), "Debugging");
    expect(
        &client.call("StopPtsScene", &[("SceneId", &id)]),
        400,
        "StopPtsSceneFail",
        "has no plan",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_of(&client, &id) == "Debugging" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(status_of(&client, &id), "WaitStart");
    let logs = client.call(
        "GetPtsDebugSampleLogs",
        &[("PlanId", &plan), ("PageNumber", "1"), ("PageSize", "10")],
    );
    assert_eq!(logs.body["TotalCount"], 1, "{}", logs.raw);
    assert_eq!(logs.body["SamplingLogs"][0]["HttpResponseStatus"], "200");
    // Stopping a debug run that already ended is fine; an unknown plan is not.
    assert_eq!(
        client
            .call("StopDebugPtsScene", &[("SceneId", &id), ("PlanId", &plan)])
            .status,
        200
    );
    expect(
        &client.call(
            "StopDebugPtsScene",
            &[("SceneId", &id), ("PlanId", "NOSUCH")],
        ),
        400,
        "StopDebugPtsSceneFail",
        "planId",
    );
    // A debug run makes no report.
    let report = client.call(
        "GetPtsReportDetails",
        &[("SceneId", &id), ("PlanId", &plan)],
    );
    assert_eq!(report.code(), "GetPtsReportDetailsFail");
}

#[test]
fn a_run_going_at_shutdown_leaves_its_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan;
    let id;
    {
        let server = InProcess::start(dir.path(), Some(Arc::new(StandIn)), Faults::default());
        let client = server.client();
        id = save_scene(&client, "shutdown");
        plan = client
            .call("StartPtsScene", &[("SceneId", &id)])
            .text("PlanId");
    }
    let server = InProcess::start(dir.path(), Some(Arc::new(StandIn)), Faults::default());
    let client = server.client();
    assert_eq!(status_of(&client, &id), "WaitStart");
    let report = client.call(
        "GetPtsReportDetails",
        &[("SceneId", &id), ("PlanId", &plan)],
    );
    assert_eq!(
        report.body["SceneMetrics"]["AllCount"], 42,
        "{}",
        report.raw
    );
}
