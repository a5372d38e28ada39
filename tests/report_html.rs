//! The HTML report of a real run, checked in headless Chromium.
//!
//! The test runs the quickstart's `place-order` scene with the local engine against
//! `ptsplan sample-app` for a few seconds, renders the report and opens it in Chromium:
//! the DOM must hold one chart of each kind per API and a row per threshold, and a
//! screenshot must come out as a PNG.
//!
//! Chromium: `chromium` (Debian's package; `.ci/run` installs it), `chromium-browser` or
//! `google-chrome` on PATH, or the program named by `PTSPLAN_CHROMIUM`. Without one the
//! browser half is skipped with a message, except in CI (`CI` set), where it fails unless
//! `PTSPLAN_SKIP_BROWSER=1`.
//!
//! Making the page in docs/: `PTSPLAN_REPORT_SECONDS=20 PTSPLAN_REPORT_OUT=docs/images
//! cargo test --test main report_html` keeps `report.html` and `report.png` there.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ptsplan::engine::{Run, RunOptions, RunResult};
use ptsplan::report::html::{self, Report, VerdictRow};
use ptsplan::spec::{self, Env, threshold};

use crate::util::{SAMPLE_SECRET, SampleApp, repo, start_sample_app};

/// How long a browser may take before it is taken as hung and killed.
const BROWSER_LIMIT: Duration = Duration::from_secs(120);

/// The quickstart's `place-order` scene aimed at `app`.
fn place_order_scene(app: &SampleApp) -> ptsplan::wire::Scene {
    let plan_file = repo().join("plans/quickstart.yaml");
    let secret = |name: &str| (name == "SAMPLE_APP_SECRET").then(|| SAMPLE_SECRET.to_owned());
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("timestamp"),
        var: &secret,
        require_env: true,
    };
    let loaded = spec::check(&plan_file, &env);
    let plan = loaded.plan.expect("the quickstart plan decodes");
    let (lowered, _) = ptsplan::lower::lower(&plan, &repo().join("plans"), &secret)
        .expect("the quickstart plan lowers");
    let scene = &lowered
        .iter()
        .find(|l| l.key == "place-order")
        .expect("place-order")
        .scene;
    let json = serde_json::to_string(scene)
        .expect("scene JSON")
        .replace("127.0.0.1:8090", &app.addr);
    serde_json::from_str(&json).expect("scene")
}

/// Judges a few thresholds of the quickstart plan on the run (the run command judges them
/// all; this only feeds the page).
fn verdicts(result: &RunResult) -> Vec<VerdictRow> {
    let scene = result.details.scene_metrics.clone().unwrap_or_default();
    let detail = result
        .apis
        .iter()
        .find(|a| a.name == "order-detail")
        .expect("order-detail figures");
    let rows = [
        (
            "scene",
            "success_rate >= 99%",
            scene.success_rate_biz.unwrap_or(0.0),
        ),
        ("scene", "p99 < 300ms", scene.seg99_rt.unwrap_or(f64::MAX)),
        ("buyer / order-detail", "p95 < 200ms", detail.p95_ms),
        ("buyer / order-detail", "p50 < 1ms", detail.p50_ms),
    ];
    rows.into_iter()
        .map(|(subject, text, actual)| {
            let assertion = threshold::parse(text).expect("a threshold");
            let shown = |v: f64| {
                if text.starts_with("success") {
                    format!("{:.2}%", v * 100.0)
                } else {
                    format!("{v:.2}ms")
                }
            };
            VerdictRow {
                subject: subject.into(),
                assertion: text.into(),
                actual: shown(actual),
                bound: shown(assertion.bound),
                passed: assertion.op.holds(actual, assertion.bound),
            }
        })
        .collect()
}

fn report_of(result: &RunResult) -> Report {
    let overview = result.details.report_over_view.clone().unwrap_or_default();
    let mut apis = html::totals_from_details(&result.details);
    apis.retain(|a| a.requests.is_some());
    Report {
        title: format!(
            "{} — quickstart run",
            overview.report_name.unwrap_or_default()
        ),
        generated_at: overview.end_time.clone().unwrap_or_default(),
        meta: vec![
            ("Scene".into(), "place-order (plans/quickstart.yaml)".into()),
            ("Backend".into(), "local engine → ptsplan sample-app".into()),
            ("Started".into(), overview.start_time.unwrap_or_default()),
            ("Ended".into(), overview.end_time.unwrap_or_default()),
        ],
        scene_config: std::fs::read_to_string(repo().join("plans/quickstart.yaml"))
            .expect("the plan"),
        verdicts: verdicts(result),
        timeline: html::timeline_from_series(&result.series),
        apis,
    }
}

#[test]
fn a_real_run_renders_and_chromium_shows_its_charts() {
    let app = start_sample_app(&["--latency", "2ms"]);
    let seconds = std::env::var("PTSPLAN_REPORT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4u64)
        .clamp(1, 60);
    let run = Run::start(
        &place_order_scene(&app),
        RunOptions {
            duration: Some(Duration::from_secs(seconds)),
            ..RunOptions::default()
        },
    )
    .expect("the engine starts");
    let result = run.wait();
    let report = report_of(&result);
    assert!(
        report.apis.len() >= 3,
        "token, create-order, order-detail: {:?}",
        report.apis
    );
    let page = html::render(&report);
    assert!(!page.contains(SAMPLE_SECRET), "no secret in the page");

    let out = tempfile::tempdir().expect("dir");
    let keep = std::env::var_os("PTSPLAN_REPORT_OUT").map(PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| out.path().to_path_buf());
    let file = dir.join("report.html");
    std::fs::write(&file, &page).expect("write the page");

    let Some(chromium) = chromium() else { return };
    let profile = tempfile::tempdir().expect("profile dir");
    let dom = browse(&chromium, profile.path(), &file, &["--dump-dom"]);
    for i in 0..report.apis.len() {
        for kind in ["rps", "latency", "errors"] {
            assert!(
                dom.contains(&format!("id=\"api-{i}-{kind}\"")),
                "chart api-{i}-{kind} in the DOM"
            );
        }
    }
    assert!(dom.contains("id=\"chart-rps-all\""));
    assert_eq!(
        dom.matches("<tr class=\"pass\">").count(),
        3,
        "three thresholds pass"
    );
    assert_eq!(
        dom.matches("<tr class=\"fail\">").count(),
        1,
        "one is made to fail"
    );
    assert!(dom.contains("<polyline"), "the charts have lines");

    let png = dir.join("report.png");
    browse(
        &chromium,
        profile.path(),
        &file,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,1900",
            "--hide-scrollbars",
        ],
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(
        bytes.len() > 10_000,
        "a screenshot of a page with charts: {} bytes",
        bytes.len()
    );
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    if keep.is_some() {
        // Only the picture belongs in docs/.
        let _ = std::fs::remove_file(&file);
    }
}

/// The browser to use, or `None` (after saying so) when the browser half is skipped.
fn chromium() -> Option<PathBuf> {
    if std::env::var("PTSPLAN_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("skipped the Chromium check of the HTML report: PTSPLAN_SKIP_BROWSER=1");
        return None;
    }
    let named = std::env::var_os("PTSPLAN_CHROMIUM").map(PathBuf::from);
    let found = named.or_else(|| {
        let path = std::env::var_os("PATH")?;
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(
            !in_ci,
            "Chromium is needed to check the HTML report in CI: .ci/run installs Debian's `chromium` (PTSPLAN_SKIP_BROWSER=1 skips the check)"
        );
        eprintln!(
            "skipped the Chromium check of the HTML report: no chromium on PATH (apt-get install chromium, or set PTSPLAN_CHROMIUM)"
        );
    }
    found
}

/// Runs headless Chromium on `page` with `extra` and returns its standard output.
fn browse(chromium: &Path, profile: &Path, page: &Path, extra: &[&str]) -> String {
    let stdout = tempfile::NamedTempFile::new().expect("stdout file");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(stdout.reopen().expect("stdout file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("chromium runs") {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if started.elapsed() > BROWSER_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {BROWSER_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(stdout.path()).expect("chromium's output")
}
