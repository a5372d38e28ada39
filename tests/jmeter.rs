//! JMeter scenes and environments, through the real binary against `ptsplan emulator
//! serve`: plan → apply (the environment before the scene, checked in the journal) → "No
//! changes" → a changed line of the JMX planned as an XML text diff → import → apply of the
//! imported files (adoption) → "No changes" again; `run` of a JMeter scene on a local
//! backend without Apache JMeter fails with the clear error; the example plan plans/jmeter
//! validates. Real local JMeter runs are in `jmeter_run`.
//!
//! `ptsplan` driving JMeter scenes like PTS scenes: `run KEY` follows a real local JMeter run
//! to its end and judges its thresholds (exit 0, then 4 with JUnit), Ctrl-C stops it (exit
//! 130), `run --detach` / `status` / `stop` take its key; saved plans carry environments and
//! JMeter scenes (applied as reviewed, refused when stale); a lost answer on their apply
//! steps is decided by reading back.

use std::path::Path;
use std::process::Output;

use crate::jmeter_run::{Target, applied_scene, jmeter_available};
use crate::util::{
    Backend, SAMPLE_SECRET, ptsplan, repo, start_backend, start_backend_with,
    start_backend_with_env, stderr, stdout, strings,
};

/// Every outcome but an error (0, or 2 for changes with `--detailed-exitcode`).
fn ok(out: &Output) -> (String, String) {
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
    (stdout(out), stderr(out))
}

/// `plan --detailed-exitcode` of `path` says "No changes" and exits 0.
fn no_changes(backend: &Backend, work: &Path, path: &str) {
    assert_no_changes(&backend.run(work, &["plan", path, "--detailed-exitcode"]));
}

/// A `plan --detailed-exitcode` that said "No changes" and exited 0.
fn assert_no_changes(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
    assert!(stdout(out).contains("No changes."), "{}", stdout(out));
}

/// The example plan's files, copied into `work/plan`.
fn example(work: &Path) {
    let plan = work.join("plan");
    std::fs::create_dir_all(&plan).expect("mkdir");
    crate::util::copy_dir(&repo().join("plans/jmeter"), &plan);
}

/// The journal lines of the only evidence bundle under `work/output/ptsplan` whose journal
/// mentions `needle`.
fn journal_with(work: &Path, needle: &str) -> Vec<serde_json::Value> {
    let root = work.join("output/ptsplan");
    for entry in std::fs::read_dir(&root).expect("bundles") {
        let path = entry.expect("entry").path().join("journal.jsonl");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains(needle) {
            return text
                .lines()
                .map(|l| serde_json::from_str(l).expect("journal line"))
                .collect();
        }
    }
    panic!("no journal mentions {needle}");
}

#[test]
fn a_jmeter_scene_and_its_environment_round_trip_through_plan_apply_and_import() {
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let work = dir.path();
    example(work);

    // Planned: the environment and the scene are created; the script shows as XML lines.
    let (planned, _) = ok(&backend.run(work, &["plan", "plan"]));
    assert!(
        planned.contains("+ environment.shared (\"mall-shared\") will be created"),
        "{planned}"
    );
    assert!(
        planned.contains("+ jmeter_scene.orders-jmx (\"orders-jmx\") will be created"),
        "{planned}"
    );
    assert!(planned.contains("+ jmx:"), "{planned}");
    assert!(planned.contains("+<jmeterTestPlan"), "{planned}");
    assert!(
        planned.contains("+          <stringProp name=\"HTTPSampler.path\">"),
        "the script as text: {planned}"
    );

    // Applied: the script is uploaded to OSS, the environment is created before the scene.
    let (_, applied) = ok(&backend.run(work, &["apply", "plan", "--auto-approve"]));
    assert!(
        applied.contains("data file orders.jmx: uploaded"),
        "{applied}"
    );
    let journal = journal_with(work, "orders-jmx");
    let intents: Vec<(String, String)> = journal
        .iter()
        .filter(|r| r["record"] == "intent")
        .map(|r| {
            (
                r["resource"].as_str().unwrap_or("scene").to_owned(),
                r["key"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        intents,
        [
            ("environment".to_owned(), "shared".to_owned()),
            ("jmeter_scene".to_owned(), "orders-jmx".to_owned())
        ]
    );
    no_changes(&backend, work, "plan");

    // Rollback deletes what the apply created (the scene, then its environment); applying
    // again brings both back.
    let bundle = std::fs::read_dir(work.join("output/ptsplan"))
        .expect("bundles")
        .next()
        .expect("one bundle")
        .expect("entry")
        .path();
    let out = backend.run(work, &["rollback", bundle.to_str().expect("utf-8 path")]);
    let undone = stdout(&out);
    assert!(out.status.success(), "{undone}{}", stderr(&out));
    let scene_at = undone.find("jmeter_scene.orders-jmx: deleting… ok");
    let env_at = undone.find("environment.shared: deleting… ok");
    assert!(scene_at.is_some() && scene_at < env_at, "{undone}");
    let (replanned, _) = ok(&backend.run(work, &["plan", "plan"]));
    assert!(replanned.contains("Plan: 2 to create"), "{replanned}");
    ok(&backend.run(work, &["apply", "plan", "--auto-approve"]));
    no_changes(&backend, work, "plan");

    // One changed line of the script is a unified diff of the XML text.
    let script = work.join("plan/orders.jmx");
    let text = std::fs::read_to_string(&script).expect("jmx");
    std::fs::write(&script, text.replace("orders?user=", "orders?buyer=")).expect("edit");
    let out = backend.run(work, &["plan", "plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(
        diff.contains("~ jmeter_scene.orders-jmx (\"orders-jmx\")"),
        "{diff}"
    );
    assert!(diff.contains("~ jmx:"), "{diff}");
    assert!(
        diff.contains("-          <stringProp name=\"HTTPSampler.path\">/api/orders?user=${user_id}</stringProp>"),
        "{diff}"
    );
    assert!(
        diff.contains("+          <stringProp name=\"HTTPSampler.path\">/api/orders?buyer=${user_id}</stringProp>"),
        "{diff}"
    );
    ok(&backend.run(work, &["apply", "plan", "--auto-approve"]));
    no_changes(&backend, work, "plan");

    // Imported into another workspace (the script copied back from OSS), the files plan as
    // adoptions; once applied, nothing changes.
    let (imported, _) = ok(&backend.run(
        work,
        &[
            "import",
            "--all",
            "--workspace",
            "adopted",
            "--out",
            "imported",
        ],
    ));
    assert!(
        imported.contains("imported/jmeter-orders-jmx.yaml"),
        "{imported}"
    );
    let copied = std::fs::read_to_string(work.join("imported/files/orders-jmx/orders.jmx"))
        .expect("the script is copied");
    assert!(copied.contains("orders?buyer="), "{copied}");
    // The environment's secret property is imported as a reference, never as its value.
    let environment = std::fs::read_to_string(work.join("imported/environment-shared.yaml"))
        .expect("the environment is imported");
    assert!(
        environment.contains("${secret.SECRET}") && !environment.contains(SAMPLE_SECRET),
        "{environment}"
    );
    let imported_run = |args: &[&str]| {
        let mut cmd = backend.command(work);
        cmd.args(args).env("SECRET", SAMPLE_SECRET);
        cmd.output().expect("ptsplan runs")
    };
    let (adopting, _) = ok(&imported_run(&["plan", "imported"]));
    assert!(
        adopting.contains("~ owner: \"mall-jmeter\" → \"adopted\""),
        "{adopting}"
    );
    assert!(
        adopting.contains("Plan: 0 to create, 2 to update, 0 to delete"),
        "{adopting}"
    );
    ok(&imported_run(&["apply", "imported", "--auto-approve"]));
    assert_no_changes(&imported_run(&["plan", "imported", "--detailed-exitcode"]));
}

#[test]
fn running_a_jmeter_scene_without_jmeter_installed_fails_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("no-jmeter");
    let backend = start_backend_with_env(
        &[],
        &[("PTSPLAN_JMETER_HOME", missing.to_str().expect("utf-8 path"))],
    );
    let work = dir.path();
    example(work);
    ok(&backend.run(work, &["apply", "plan", "--auto-approve"]));
    let out = backend.run(work, &["run", "orders-jmx", "--plan", "plan"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("JMeterNotSupported"), "{err}");
    assert!(err.contains("no Apache JMeter at"), "{err}");
    assert!(err.contains("apt-get install jmeter"), "{err}");
}

#[test]
fn the_jmeter_example_plan_is_valid() {
    let out = ptsplan(&repo())
        .args(["validate", "plans/jmeter"])
        .env("SAMPLE_APP_SECRET", SAMPLE_SECRET)
        .output()
        .expect("ptsplan runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 JMeter scene, 1 environment, 0 errors, 0 warnings"),
        "{}",
        stdout(&out)
    );
}

/// Adds `thresholds` (YAML list items) to the example scene of `work/plan` (the last entry
/// of the file). Thresholds are not sent to the backend: the plan does not change.
fn with_thresholds(work: &Path, thresholds: &[&str]) {
    let file = work.join("plan/jmeter.yaml");
    let mut text = std::fs::read_to_string(&file).expect("plan");
    text = text
        .lines()
        .take_while(|l| !l.starts_with("    thresholds:"))
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str("    thresholds:\n");
    for t in thresholds {
        text.push_str(&format!("      - {t}\n"));
    }
    std::fs::write(&file, text).expect("edit");
}

/// The only file named `name` under the bundle printed by `out`, parsed as JSON.
fn bundle_json(work: &Path, out: &Output, name: &str) -> serde_json::Value {
    let path = crate::util::bundle(work, out).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("JSON")
}

/// A loopback target, a backend, and the example plan applied there in a work directory
/// with its scene set to run `seconds` with 2 threads.
struct Applied {
    target: Target,
    backend: Backend,
    dir: tempfile::TempDir,
}

/// [`Applied`], or `None` (the test is skipped) when Apache JMeter is not installed.
fn applied(seconds: i64) -> Option<Applied> {
    if !jmeter_available() {
        return None;
    }
    let target = Target::start();
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    applied_scene(&backend, dir.path(), &target, seconds);
    Some(Applied {
        target,
        backend,
        dir,
    })
}

#[test]
fn a_jmeter_scene_runs_to_its_end_and_is_judged_like_a_pts_scene() {
    // Applied as planned, then shortened to 3 s through the API (plans need PTS's 60 s).
    let Some(Applied {
        target,
        backend,
        dir,
    }) = applied(3)
    else {
        return;
    };
    let work = dir.path();
    with_thresholds(
        work,
        &[
            "\"p99 < 5s\"",
            "\"success_rate >= 99%\"",
            "{ assert: \"requests >= 1\", chain: buyers, step: list orders }",
        ],
    );

    let out = backend.run(
        work,
        &[
            "run",
            "orders-jmx",
            "--plan",
            "plan",
            "--poll-interval",
            "0.5",
        ],
    );
    let (report, progress) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{report}{progress}");
    assert!(
        progress.contains("warning: jmeter_scene.orders-jmx on the backend differs from the plan"),
        "{progress}"
    );
    assert!(
        progress.contains("jmeter_scene.orders-jmx: load started, report id "),
        "{progress}"
    );
    assert!(
        report.contains("jmeter_scene.orders-jmx (orders-jmx): report ")
            && report.contains("completed; thresholds passed (3)"),
        "{report}"
    );
    assert!(
        report.contains("sampler"),
        "samplers are the rows: {report}"
    );
    assert!(report.contains("list orders"), "{report}");
    assert!(report.contains("step buyers/list orders"), "{report}");

    // The evidence: the report judged, what the backend answered, the timeline, the page.
    let judged = bundle_json(work, &out, "reports/orders-jmx/report.json");
    assert_eq!(judged["kind"], "jmeter_scene");
    let requests = judged["metrics"]["AllCount"].as_u64().expect("requests");
    assert_eq!(
        requests,
        target.count(),
        "the report counts what the target received"
    );
    let details = bundle_json(work, &out, "reports/orders-jmx/details.json");
    assert_eq!(
        strings(&details["SamplerMetricsList"], "ApiName"),
        ["get token", "list orders"],
        "{details}"
    );
    let samples = bundle_json(work, &out, "reports/orders-jmx/samples.json");
    let over_time: u64 = samples
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["totalCount"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        over_time, requests,
        "the metrics over time add up to the report"
    );
    let bundle = crate::util::bundle(work, &out);
    for file in [
        "timeline.json",
        "report.md",
        "report.html",
        "junit.xml",
        "verdicts.json",
    ] {
        assert!(
            bundle.join("reports/orders-jmx").join(file).is_file(),
            "{file}"
        );
    }
    let summary = std::fs::read_to_string(bundle.join("summary.md")).expect("summary");
    assert!(
        summary.contains("| `jmeter_scene.orders-jmx` | thresholds passed |"),
        "{summary}"
    );

    // A threshold that fails: exit 4, a JUnit failure, the JSON report says which.
    with_thresholds(work, &["\"requests < 1\""]);
    let junit = work.join("junit.xml");
    let out = backend.run(
        work,
        &[
            "run",
            "orders-jmx",
            "--plan",
            "plan",
            "--format",
            "json",
            "--junit",
            junit.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("error: thresholds failed (exit code 4)"));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON report");
    let run = &json["runs"][0];
    assert_eq!(
        (&run["kind"], &run["scene"]),
        (&"jmeter_scene".into(), &"orders-jmx".into())
    );
    assert_eq!(run["verdicts"][0]["status"], "failed", "{run}");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        xml.contains("<testsuite name=\"ptsplan.orders-jmx\" tests=\"1\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("jmeter_scene.orders-jmx (orders-jmx), report "),
        "{xml}"
    );
}

#[test]
fn ctrl_c_stops_a_jmeter_run_on_the_backend_and_it_is_reported_as_stopped() {
    let Some(Applied {
        target,
        backend,
        dir,
    }) = applied(120)
    else {
        return;
    };
    let work = dir.path();
    with_thresholds(work, &["\"p99 < 5s\""]);
    let (out, progress) = interrupted_once_loaded(
        &backend,
        work,
        &target,
        &[
            "run",
            "orders-jmx",
            "--plan",
            "plan",
            "--poll-interval",
            "0.2",
        ],
    );
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(130), "{report}{progress}");
    assert!(
        progress.contains("jmeter_scene.orders-jmx: stopping the scene on the backend…"),
        "{progress}"
    );
    assert!(
        progress.contains("jmeter_scene.orders-jmx stopped on the backend (Ctrl-C)."),
        "{progress}"
    );
    assert!(report.contains("stopped (Ctrl-C)"), "{report}");
    let status = backend.run(work, &["status", "orders-jmx", "--plan", "plan"]);
    assert!(
        stdout(&status).contains("jmeter_scene.orders-jmx (orders-jmx, "),
        "{}",
        all(&status)
    );
    assert!(
        stdout(&status).trim_end().ends_with(": STOPPED"),
        "{}",
        all(&status)
    );
}

/// Runs `ptsplan ARGS` against `backend` and sends it Ctrl-C (SIGINT) once its JMeter run
/// sends load to `target`; its output and everything it printed on stderr.
fn interrupted_once_loaded(
    backend: &Backend,
    work: &Path,
    target: &Target,
    args: &[&str],
) -> (Output, String) {
    use std::io::{BufRead, BufReader};
    let mut child = backend
        .command(work)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ptsplan runs");
    let mut progress = String::new();
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    for line in lines.by_ref().map_while(Result::ok) {
        progress.push_str(&line);
        progress.push('\n');
        if line.contains("load started") {
            break;
        }
    }
    assert!(progress.contains("load started"), "{progress}");
    while target.count() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    for line in lines.map_while(Result::ok) {
        progress.push_str(&line);
        progress.push('\n');
    }
    (child.wait_with_output().expect("ptsplan ends"), progress)
}

#[test]
fn apply_run_runs_a_jmeter_scene_by_its_run_policy() {
    let Some(Applied {
        target,
        backend,
        dir,
    }) = applied(120)
    else {
        return;
    };
    let work = dir.path();
    let plan = work.join("plan/jmeter.yaml");
    let yaml = std::fs::read_to_string(&plan).expect("plan");
    std::fs::write(&plan, yaml + "    run: on_apply\n").expect("edit");
    // The plan proposes the run; the apply puts the planned load back, then runs it
    // (interrupted here: the planned run lasts two minutes).
    let out = backend.run(work, &["plan", "plan", "--run"]);
    assert!(
        stdout(&out).contains("jmeter_scene.orders-jmx"),
        "{}",
        all(&out)
    );
    assert!(stdout(&out).contains("1 to run"), "{}", all(&out));
    let (out, progress) = interrupted_once_loaded(
        &backend,
        work,
        &target,
        &["apply", "plan", "--auto-approve", "--run"],
    );
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(130), "{report}{progress}");
    assert!(
        report.contains("Apply complete! 0 created, 1 updated"),
        "{report}"
    );
    assert!(
        report.contains("jmeter_scene.orders-jmx (orders-jmx): report ")
            && report.contains("stopped (Ctrl-C)"),
        "{report}"
    );
    let bundle = crate::util::bundle(work, &out);
    assert!(bundle.join("journal.jsonl").is_file());
    assert!(bundle.join("reports/orders-jmx/report.json").is_file());
}

#[test]
fn a_detached_jmeter_run_shows_in_status_and_stops_by_its_key() {
    // The target is kept alive while JMeter sends it load.
    let Some(Applied {
        target: _target,
        backend,
        dir,
    }) = applied(120)
    else {
        return;
    };
    let work = dir.path();
    let out = backend.run(work, &["run", "orders-jmx", "--plan", "plan", "--detach"]);
    assert!(out.status.success(), "{}", all(&out));
    let report_id = stdout(&out).trim().to_owned();
    assert_eq!(report_id.len(), 8, "the report id: {}", all(&out));
    let out = backend.run(work, &["status", "--plan", "plan"]);
    let shown = stdout(&out);
    assert!(
        shown.contains("jmeter_scene.orders-jmx (orders-jmx, ")
            && shown.contains(&format!("RUNNING (report {report_id}")),
        "{}",
        all(&out)
    );
    let again = backend.run(work, &["run", "orders-jmx", "--plan", "plan"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("jmeter_scene.orders-jmx is already running"),
        "{}",
        all(&again)
    );
    let out = backend.run(work, &["stop", "jmeter_scene.orders-jmx", "--plan", "plan"]);
    assert!(out.status.success(), "{}", all(&out));
    assert!(stdout(&out).contains("): stopped"), "{}", all(&out));
    let out = backend.run(work, &["stop", "orders-jmx", "--plan", "plan"]);
    assert!(stdout(&out).contains("): not running"), "{}", all(&out));
}

#[test]
fn a_saved_plan_carries_jmeter_changes_and_a_stale_one_is_refused() {
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let work = dir.path();
    example(work);
    // Saved, then applied as reviewed: the environment and the scene are created, the
    // script and the CSV file stored first.
    let out = backend.run(work, &["plan", "plan", "-o", "plan.json"]);
    assert!(out.status.success(), "{}", all(&out));
    let saved = std::fs::read_to_string(work.join("plan.json")).expect("saved");
    assert!(saved.contains("\"kind\": \"jmeter_scene\""), "{saved}");
    assert!(saved.contains("\"data_files\""), "{saved}");
    let out = backend.run(work, &["apply", "plan.json"]);
    assert!(out.status.success(), "{}", all(&out));
    assert!(
        stderr(&out).contains("data file orders.jmx: uploaded"),
        "{}",
        all(&out)
    );
    assert!(
        stdout(&out).contains("Apply complete! 2 created"),
        "{}",
        all(&out)
    );
    no_changes(&backend, work, "plan");

    // A change saved, then the scene changed by another apply: the saved plan is stale.
    let script = work.join("plan/orders.jmx");
    let text = std::fs::read_to_string(&script).expect("jmx");
    std::fs::write(&script, text.replace("orders?user=", "orders?buyer=")).expect("edit");
    let out = backend.run(work, &["plan", "plan", "-o", "stale.json"]);
    assert!(out.status.success(), "{}", all(&out));
    let plan = work.join("plan/jmeter.yaml");
    let yaml = std::fs::read_to_string(&plan).expect("plan");
    std::fs::write(&plan, yaml.replace("threads: 5", "threads: 6")).expect("edit");
    ok(&backend.run(work, &["apply", "plan", "--auto-approve"]));
    let out = backend.run(work, &["apply", "stale.json"]);
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    let err = stderr(&out);
    assert!(
        err.contains("jmeter_scene.orders-jmx: was changed (fingerprint"),
        "{err}"
    );

    // A data file edited after saving is refused before anything is sent.
    let out = backend.run(work, &["plan", "plan", "-o", "edited.json"]);
    assert!(out.status.success(), "{}", all(&out));
    std::fs::write(&script, text.replace("orders?user=", "orders?who=")).expect("edit");
    let out = backend.run(work, &["apply", "edited.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    assert!(
        stderr(&out).contains("changed since the plan was saved"),
        "{}",
        all(&out)
    );
}

#[test]
fn a_lost_answer_on_an_environment_or_jmeter_scene_step_is_decided_by_reading_back() {
    // Mutation 1 saves the environment, mutation 2 the scene; each is applied, then its
    // connection is closed without an answer.
    for mutation in ["1", "2"] {
        let fault = format!("drop-after-mutation={mutation}");
        let backend = start_backend_with(&["--fault", &fault]);
        let dir = tempfile::tempdir().expect("dir");
        let work = dir.path();
        example(work);
        let out = backend.run(work, &["apply", "plan", "--auto-approve"]);
        assert!(out.status.success(), "{fault}: {}", all(&out));
        assert!(
            stdout(&out).contains("Apply complete! 2 created"),
            "{}",
            all(&out)
        );
        assert!(
            all(&out).contains("decided by reading the live state"),
            "{}",
            all(&out)
        );
        let journal = journal_with(work, "orders-jmx");
        let resolved: Vec<&serde_json::Value> = journal
            .iter()
            .filter(|r| r["record"] == "outcome" && r["resolved_by_read"] == true)
            .collect();
        assert_eq!(resolved.len(), 1, "{fault}: {journal:#?}");
        assert_eq!(resolved[0]["outcome"], "ok");
        assert_eq!(resolved[0]["step"].as_u64(), mutation.parse().ok());
        no_changes(&backend, work, "plan");
    }
}

fn all(out: &Output) -> String {
    crate::util::all(out)
}
