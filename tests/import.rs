//! `ptsplan import`, `reproduce` and `compare` against the real local backend over HTTP:
//!
//! - scenes made directly through the API (every export kind, every checkpoint operator,
//!   CSV parameters, both load modes) import, plan as adoptions whose only change is
//!   `owner`, apply, and then plan as "No changes";
//! - another workspace's scenes (the example plans, with token sources) round-trip alike;
//! - a run's report reproduces as a new scene whose normalized configuration equals the
//!   snapshot's, and `--in-place` resets the original to it;
//! - `compare` of two runs shows the configuration change; of two bundles, a fixed output.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ptsplan::api::sign::Credential;
use ptsplan::api::{Client, ClientOptions, Endpoint};
use ptsplan::plan::view::view;
use ptsplan::wire::{self, GetPtsReportDetails, GetPtsReportDetailsOutput, SavePtsScene};
use serde_json::{Value, json};

use crate::target::Target;
use crate::util::{
    Backend, SECRET, copy_dir, ptsplan, repo, start_backend, stderr, stdout, strings,
};

/// `ptsplan ARGS` from `dir` against `backend`, with extra environment variables.
fn run(backend: &Backend, dir: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    let mut cmd = backend.command(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("ptsplan runs")
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

struct Api {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn new(backend: &Backend) -> Api {
        Api {
            client: Client::new(
                Endpoint::parse(&backend.endpoint).expect("endpoint"),
                Credential::new(&backend.key_id, &backend.key_secret),
                ClientOptions::default(),
            )
            .expect("client"),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        }
    }

    fn save(&self, scene: Value) -> String {
        let scene: wire::Scene = serde_json::from_value(scene).expect("scene JSON");
        self.runtime
            .block_on(self.client.call(&SavePtsScene { scene }))
            .expect("saved")
            .scene_id
            .expect("id")
    }

    fn live(&self) -> Vec<wire::Scene> {
        self.runtime
            .block_on(ptsplan::live::read_all(&self.client))
            .expect("live")
            .into_iter()
            .map(|l| l.scene)
            .collect()
    }

    /// Starts a load run and waits (bounded) for its report.
    fn run_to_report(&self, scene_id: &str) -> (String, GetPtsReportDetailsOutput) {
        let plan_id = self
            .runtime
            .block_on(self.client.call(&wire::StartPtsScene {
                scene_id: scene_id.to_owned(),
            }))
            .expect("started")
            .plan_id
            .expect("plan id");
        for _ in 0..600 {
            let details = self
                .runtime
                .block_on(self.client.call(&GetPtsReportDetails {
                    plan_id: plan_id.clone(),
                    scene_id: scene_id.to_owned(),
                }));
            if let Ok(details) = details {
                return (plan_id, details);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no report for run {plan_id}");
    }
}

/// The secret names an import printed (`  NAME  (place)` lines).
fn secret_names(out: &Output) -> Vec<String> {
    let text = stderr(out);
    let Some((_, list)) = text.split_once("set before `plan`:") else {
        return Vec::new();
    };
    list.lines()
        .filter_map(|l| {
            l.strip_prefix("  ")?
                .split_whitespace()
                .next()
                .map(str::to_owned)
        })
        .collect()
}

/// Asserts a JSON plan in which every scene is an update whose only change is `owner`.
fn assert_only_adoptions(plan: &str, scenes: usize) {
    let plan: Value = serde_json::from_str(plan).expect("plan JSON");
    let list = plan["scenes"].as_array().expect("scenes");
    assert_eq!(list.len(), scenes, "{plan:#}");
    for s in list {
        assert_eq!(s["action"], "update", "{s:#}");
        assert_eq!(strings(&s["changes"], "path"), ["owner"], "{s:#}");
    }
}

fn check(kind: &str, point: &str, op: &str, value: &str) -> Value {
    json!({"CheckType": kind, "CheckPoint": point, "Operator": op, "ExpectValue": value})
}

/// Scenes as the console or an SDK would save them: no marker, every export kind and
/// checkpoint operator, CSV parameters, a ramp, per-chain concurrency and per-API TPS.
fn api_made_scenes() -> Vec<Value> {
    let base = "http://127.0.0.1:9";
    let every_kind = json!({
        "SceneName": "Checkout Flow",
        "RelationList": [{
            "RelationName": "buyer",
            "ApiList": [{
                "ApiName": "list", "Url": format!("{base}/items?u=${{user_id}}&c=${{coupon}}"),
                "Method": "GET", "TimeoutInSecond": 10, "RedirectCountLimit": 0,
                "HeaderList": [{"HeaderName": "Authorization", "HeaderValue": "Basic c2hvcDpwYXNz"},
                               {"HeaderName": "X-Channel", "HeaderValue": "${channel}"}],
                "ExportList": [
                    {"ExportName": "id", "ExportType": "BODY_JSON", "ExportValue": "data.items[1].id", "Count": "0"},
                    {"ExportName": "word", "ExportType": "BODY_TEXT", "ExportValue": "\"msg\":\"(\\w+)\"", "Count": "Random"},
                    {"ExportName": "trace", "ExportType": "HEADER", "ExportValue": "X-Trace", "Count": "0"},
                    {"ExportName": "sid", "ExportType": "COOKIE", "ExportValue": "sid", "Count": "0"},
                    {"ExportName": "status", "ExportType": "STATUS_CODE", "ExportValue": "", "Count": "0"}],
                "CheckPointList": [
                    check("STATUS_CODE", "", "eq", "200"), check("STATUS_CODE", "", "neq", "500"),
                    check("STATUS_CODE", "", "gt", "199"), check("STATUS_CODE", "", "gte", "200"),
                    check("STATUS_CODE", "", "lt", "300"), check("STATUS_CODE", "", "lte", "200"),
                    check("BODY_TEXT", "", "ctn", "hello"), check("BODY_TEXT", "", "nctn", "bye"),
                    check("BODY_TEXT", "", "regex", "id\\d+"), check("HEADER", "X-Trace", "exist", ""),
                    check("HEADER", "X-Gone", "nexist", ""), check("EXPORTED_PARAM", "id", "eq", "8")],
            }, {
                "ApiName": "order", "Url": format!("{base}/orders"), "Method": "POST",
                "TimeoutInSecond": 5, "RedirectCountLimit": 0,
                "Body": {"ContentType": "application/x-www-form-urlencoded",
                         "BodyValue": "{\"item\":\"${id}\",\"word\":\"${word}\"}"},
            }],
            "FileParameterExplainList": [
                {"FileName": "users.csv", "FileParamName": "user_id,phone", "BaseFile": true, "CycleOnce": false},
                {"FileName": "coupons.csv", "FileParamName": "coupon", "BaseFile": false, "CycleOnce": false}],
        }, {
            "RelationName": "browser",
            "ApiList": [{"ApiName": "home", "Url": format!("{base}/?c=${{code}}"), "Method": "PUT",
                "TimeoutInSecond": 5, "RedirectCountLimit": 2,
                "Body": {"ContentType": "application/json", "BodyValue": "{\"q\":[1,2],\"n\":null}"}}],
            "FileParameterExplainList": [
                {"FileName": "codes.csv", "FileParamName": "code", "BaseFile": true, "CycleOnce": true}],
        }],
        "FileParameterList": [
            {"FileName": "users.csv", "FileOssAddress": "https://oss.example.com/d/users.csv"},
            {"FileName": "coupons.csv", "FileOssAddress": "https://oss.example.com/d/coupons.csv"},
            {"FileName": "codes.csv", "FileOssAddress": "https://oss.example.com/d/codes.csv"}],
        "GlobalParameterList": [{"ParamName": "channel", "ParamValue": "wechat"}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 10,
            "Configuration": {"AllConcurrencyBegin": 2, "AllConcurrencyLimit": 10},
            "AutoStep": true, "Increment": 20, "KeepTime": 1},
        "AdvanceSetting": {"LogRate": 10, "ConnectionTimeoutInSecond": 3, "SuccessCode": "304,429",
            "DomainBindingList": [{"Domain": "api.example.com", "Ips": ["127.0.0.1"]}]},
    });
    let per_chain = json!({
        "SceneName": "per-chain",
        "RelationList": [
            {"RelationName": "a", "ApiList": [{"ApiName": "x", "Url": format!("{base}/x"), "Method": "GET", "TimeoutInSecond": 5, "RedirectCountLimit": 0}]},
            {"RelationName": "b", "ApiList": [{"ApiName": "y", "Url": format!("{base}/y"), "Method": "DELETE", "TimeoutInSecond": 5, "RedirectCountLimit": 0}]}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 5, "AutoStep": false,
            "RelationLoadConfigList": [{"ConcurrencyBegin": 3, "ConcurrencyLimit": 3},
                                       {"ConcurrencyBegin": 1, "ConcurrencyLimit": 2}]},
    });
    let tps_steps = json!({
        "SceneName": "tps steps",
        "RelationList": [{"RelationName": "r", "ApiList": [
            {"ApiName": "first", "Url": format!("{base}/1"), "Method": "GET", "TimeoutInSecond": 5, "RedirectCountLimit": 0},
            {"ApiName": "second", "Url": format!("{base}/2"), "Method": "PATCH", "TimeoutInSecond": 5, "RedirectCountLimit": 0,
             "Body": {"ContentType": "text/xml", "BodyValue": "<a>${__Random(1,9)}</a>"}}]}],
        "LoadConfig": {"TestMode": "tps_mode", "MaxRunningTime": 2,
            "ApiLoadConfigList": [{"RpsBegin": 20, "RpsLimit": 40}, {"RpsBegin": 10, "RpsLimit": 20}]},
    });
    let tps_flat = json!({
        "SceneName": "tps flat",
        "RelationList": [{"RelationName": "r", "ApiList": [
            {"ApiName": "only", "Url": format!("{base}/only"), "Method": "HEAD", "TimeoutInSecond": 5, "RedirectCountLimit": 0}]}],
        "LoadConfig": {"TestMode": "tps_mode", "MaxRunningTime": 1,
            "Configuration": {"AllRpsBegin": 5, "AllRpsLimit": 50}},
    });
    vec![every_kind, per_chain, tps_steps, tps_flat]
}

#[test]
fn api_made_scenes_import_adopt_and_then_plan_no_changes() {
    let backend = start_backend();
    let api = Api::new(&backend);
    for scene in api_made_scenes() {
        api.save(scene);
    }
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    let out = run(
        &backend,
        dir,
        &[
            "import",
            "--all",
            "--out",
            "imported",
            "--workspace",
            "shop",
        ],
        &[],
    );
    let printed = ok(&out);
    assert!(printed.contains("Imported 4 scene(s)"), "{printed}");
    assert!(
        !stderr(&out).contains("does not validate"),
        "{}",
        stderr(&out)
    );
    assert!(!format!("{printed}{}", stderr(&out)).contains("c2hvcDpwYXNz"));
    let names = secret_names(&out);
    assert_eq!(
        names,
        ["CHECKOUT_FLOW_LIST_AUTHORIZATION"],
        "{}",
        stderr(&out)
    );
    let yaml = std::fs::read_to_string(dir.join("imported/checkout-flow.yaml")).expect("file");
    assert!(!yaml.contains("c2hvcDpwYXNz"), "{yaml}");
    assert!(
        yaml.contains("${secret.CHECKOUT_FLOW_LIST_AUTHORIZATION}"),
        "{yaml}"
    );
    let env = vec![(names[0].clone(), "Basic c2hvcDpwYXNz".to_owned())];

    let out = run(&backend, dir, &["validate", "imported"], &env);
    ok(&out);
    let out = run(
        &backend,
        dir,
        &["plan", "imported", "--format", "json"],
        &env,
    );
    assert_only_adoptions(&ok(&out), 4);
    let out = run(
        &backend,
        dir,
        &["apply", "imported", "--auto-approve"],
        &env,
    );
    let applied = ok(&out);
    assert!(applied.contains("0 created, 4 updated"), "{applied}");
    let evidence = applied
        .lines()
        .find_map(|l| l.strip_prefix("Evidence: "))
        .expect("evidence line")
        .trim()
        .to_owned();
    let out = run(
        &backend,
        dir,
        &["plan", "imported", "--detailed-exitcode"],
        &env,
    );
    assert!(ok(&out).contains("No changes."), "{}", stdout(&out));
    assert_eq!(api.live().len(), 4, "adopted in place, nothing created");

    // Importing owned scenes again (by id) keeps their keys and needs no adoption.
    let ids: Vec<String> = api
        .live()
        .iter()
        .filter_map(|s| s.scene_id.clone())
        .collect();
    let out = run(
        &backend,
        dir,
        &[
            "import",
            "--scene-id",
            &ids[0],
            "--out",
            "again",
            "--workspace",
            "shop",
        ],
        &[],
    );
    ok(&out);
    let again = std::fs::read_dir(dir.join("again")).expect("dir").count();
    assert_eq!(again, 1);

    // Rolling the adoption back gives the scenes back unowned, and again changes nothing.
    for _ in 0..2 {
        let out = run(&backend, dir, &["rollback", &evidence], &env);
        ok(&out);
        let live = api.live();
        assert_eq!(live.len(), 4, "nothing created or deleted");
        assert!(
            live.iter().all(|s| ptsplan::wire::Marker::of(s).is_none()),
            "markers removed"
        );
    }
}

#[test]
fn another_workspaces_scenes_with_token_sources_round_trip() {
    let backend = start_backend();
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    std::fs::create_dir_all(dir.join("plans")).expect("mkdir");
    copy_dir(&repo().join("plans/mall"), &dir.join("plans"));
    ok(&run(
        &backend,
        dir,
        &["apply", "plans", "--auto-approve"],
        &[],
    ));

    let out = run(
        &backend,
        dir,
        &[
            "import",
            "--all",
            "--out",
            "imported",
            "--workspace",
            "other",
        ],
        &[],
    );
    assert!(ok(&out).contains("Imported 6 scene(s)"), "{}", stdout(&out));
    // Local CSV files are addressed by their path next to the plan.
    std::fs::create_dir_all(dir.join("imported/data")).expect("mkdir");
    copy_dir(&dir.join("plans/data"), &dir.join("imported/data"));
    let yaml = std::fs::read_to_string(dir.join("imported/token-api-orders.yaml"))
        .or_else(|_| {
            let first = std::fs::read_dir(dir.join("imported"))
                .expect("dir")
                .filter_map(Result::ok)
                .find(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("kind: api")))
                .expect("a file with a token source");
            std::fs::read_to_string(first.path())
        })
        .expect("read");
    assert!(
        yaml.contains("kind: api") && yaml.contains("ttl:"),
        "{yaml}"
    );
    assert!(!yaml.contains(SECRET), "{yaml}");
    let env: Vec<(String, String)> = secret_names(&out)
        .into_iter()
        .map(|n| (n, SECRET.to_owned()))
        .collect();
    assert!(!env.is_empty(), "the token request's secret is a reference");

    let out = run(
        &backend,
        dir,
        &["plan", "imported", "--format", "json"],
        &env,
    );
    assert_only_adoptions(&ok(&out), 6);
    ok(&run(
        &backend,
        dir,
        &["apply", "imported", "--auto-approve"],
        &env,
    ));
    let out = run(
        &backend,
        dir,
        &["plan", "imported", "--detailed-exitcode"],
        &env,
    );
    assert!(ok(&out).contains("No changes."), "{}", stdout(&out));
}

/// A plan of one short scene against `target` (2 s of load, 1 then `users` users).
fn short_plan(target: &Target, users: u32) -> String {
    format!(
        "version: 1\nworkspace: runs\nscenes:\n  probe:\n    name: probe scene\n    type: single-api\n    debug_first: false\n    chains:\n      - name: c\n        steps:\n          - name: hello\n            url: {}/hello\n            headers: {{ X-Api-Key: k-123 }}\n            checks: [ {{ on: status_code, value: 200 }} ]\n    load: {{ mode: concurrency, start: 1, max: {users}, duration: 2s }}\n",
        target.base()
    )
}

fn without_name(mut v: Value) -> Value {
    if let Some(map) = v.as_object_mut() {
        map.remove("name");
    }
    v
}

#[test]
fn reproduce_recreates_the_run_and_in_place_resets_it_and_compare_shows_the_change() {
    let target = Target::start(Duration::from_secs(60));
    let backend = start_backend();
    let api = Api::new(&backend);
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    std::fs::write(dir.join("plan.yaml"), short_plan(&target, 1)).expect("write");
    ok(&run(
        &backend,
        dir,
        &["apply", "plan.yaml", "--auto-approve"],
        &[],
    ));
    let live = api.live();
    let id = live[0].scene_id.clone().expect("id");
    let (first, details) = api.run_to_report(&id);
    let snapshot = details.scene_snap_shot.expect("snapshot");

    // A new scene with the run's configuration.
    let out = run(&backend, dir, &["reproduce", &first, "--out", "repro"], &[]);
    ok(&out);
    let short = first.to_lowercase();
    let file = dir.join(format!("repro/probe-repro-{short}.yaml"));
    let yaml = std::fs::read_to_string(&file).expect("reproduced file");
    assert!(yaml.contains(&format!("report {first}")), "{yaml}");
    assert!(yaml.contains("does not record the ramp"), "{yaml}");
    assert!(!yaml.contains("k-123"), "{yaml}");
    let env: Vec<(String, String)> = secret_names(&out)
        .into_iter()
        .map(|n| (n, "k-123".to_owned()))
        .collect();
    assert_eq!(env.len(), 1, "{}", stderr(&out));
    let out = run(&backend, dir, &["apply", "repro", "--auto-approve"], &env);
    assert!(ok(&out).contains("1 created"), "{}", stdout(&out));
    let created = api
        .live()
        .into_iter()
        .find(|s| s.scene_name.as_deref() == Some(&format!("probe scene-repro-{short}")))
        .expect("the reproduced scene");
    assert_eq!(
        without_name(view(&created)),
        without_name(view(&snapshot)),
        "the new scene is configured as the run was"
    );

    // Change the original and run it again: compare shows the change.
    std::fs::write(dir.join("plan.yaml"), short_plan(&target, 2)).expect("write");
    ok(&run(
        &backend,
        dir,
        &["apply", "plan.yaml", "--auto-approve"],
        &[],
    ));
    let (second, _) = api.run_to_report(&id);
    let out = run(
        &backend,
        dir,
        &["compare", &first, &format!("{id}:{second}")],
        &[],
    );
    let text = ok(&out);
    assert!(text.contains("~ load.concurrency_max: 1 → 2"), "{text}");
    assert!(
        text.contains("API hello") && text.contains("requests"),
        "{text}"
    );
    assert!(!text.contains("k-123"), "{text}");
    let out = run(
        &backend,
        dir,
        &["compare", &first, &second, "--format", "json"],
        &[],
    );
    let json: Value = serde_json::from_str(&ok(&out)).expect("json");
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["config"][0]["path"], "load.concurrency_max");

    // In place: the original goes back to the first run's configuration.
    let out = run(
        &backend,
        dir,
        &[
            "reproduce",
            &format!("{id}:{first}"),
            "--in-place",
            "--out",
            "inplace",
        ],
        &[],
    );
    ok(&out);
    let out = run(&backend, dir, &["apply", "inplace", "--auto-approve"], &env);
    assert!(ok(&out).contains("1 updated"), "{}", stdout(&out));
    let original = api
        .live()
        .into_iter()
        .find(|s| s.scene_id.as_deref() == Some(id.as_str()))
        .expect("original");
    assert_eq!(view(&original), view(&snapshot));
}

/// A bundle directory holding one report's details.
fn bundle(dir: &Path, name: &str, users: i64, p99: f64, requests: i64) -> String {
    let report = dir.join(name).join("reports").join(name.to_uppercase());
    std::fs::create_dir_all(&report).expect("mkdir");
    let details = json!({
        "ReportOverView": {"ReportId": name.to_uppercase(), "StartTime": "2026-11-20 10:00:00", "EndTime": "2026-11-20 10:10:00"},
        "SceneMetrics": {"AllCount": requests, "AvgTps": requests as f64 / 600.0, "AvgRt": 40.5,
            "Seg90Rt": 80.0, "Seg99Rt": p99, "FailCountReq": 3, "FailCountBiz": 0,
            "SuccessRateReq": 0.999, "SuccessRateBiz": 1.0},
        "ApiMetricsList": [{"ApiName": "pay", "AllCount": requests, "AvgRt": 40.5, "MinRt": 2.0,
            "MaxRt": 900.0, "Seg50Rt": 30.0, "Seg99Rt": p99, "SuccessRateReq": 0.999}],
        "SceneSnapShot": {"SceneId": "NHBG6V", "SceneName": "Mall Checkout",
            "RelationList": [{"RelationName": "buyer", "ApiList": [{"ApiName": "pay",
                "Url": "http://127.0.0.1:9/pay", "Method": "POST", "TimeoutInSecond": 5,
                "HeaderList": [{"HeaderName": "Authorization", "HeaderValue": format!("Basic {name}")}]}]}],
            "LoadConfig": {"TestMode": "CONCURRENCY", "MaxRunningTime": 10,
                "Configuration": {"AllConcurrencyBegin": users, "AllConcurrencyLimit": users}}},
    });
    std::fs::write(
        report.join("details.json"),
        serde_json::to_string_pretty(&details).expect("json"),
    )
    .expect("write");
    dir.join(name).display().to_string()
}

#[test]
fn compare_of_two_bundles_in_every_format() {
    let work = tempfile::tempdir().expect("dir");
    let a = bundle(work.path(), "ra", 10, 120.0, 12_000);
    let b = bundle(work.path(), "rb", 20, 95.0, 24_000);
    let dir = work.path();
    let run = |format: &str| {
        let out = ptsplan(dir)
            .args(["compare", "ra", "rb", "--format", format])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    assert!(Path::new(&a).exists() && Path::new(&b).exists());
    let text = run("text");
    assert!(!text.contains("Basic ra"), "secrets stay hidden: {text}");
    insta::assert_snapshot!("compare_text", text);
    insta::assert_snapshot!("compare_markdown", run("markdown"));
    let json: Value = serde_json::from_str(&run("json")).expect("json");
    assert_eq!(json["config"][0]["sensitive"], true, "{json:#}");
    insta::assert_snapshot!("compare_json", run("json"));

    // A bundle's report snapshot reproduces without a backend.
    let out = ptsplan(dir)
        .args(["reproduce", "ra", "--out", "repro"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let yaml =
        std::fs::read_to_string(dir.join("repro/mall-checkout-repro-ra.yaml")).expect("file");
    assert!(yaml.contains("name: Mall Checkout-repro-ra"), "{yaml}");
    assert!(yaml.contains("lacks scene-wide headers"), "{yaml}");
    assert!(!yaml.contains("Basic ra"), "{yaml}");
}
