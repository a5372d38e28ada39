//! Golden diagnostics: every broken plan of the corpus under `tests/fixtures/errors` yields
//! its specific diagnostic, rendered exactly as a user sees it (unicode, no colour, width
//! 80), snippet and caret included; and `ptsplan validate` reports them end to end.
//!
//! A corpus entry is a file `NN-name.yaml` or a directory `NN-name/` (a plan directory).
//! Its first line names the diagnostic it exists for: `# expect: plan::rps-increases`.
//! Snapshots live in `tests/fixtures/errors/snapshots/NN-name.snap`; after a deliberate
//! change, run `INSTA_UPDATE=always cargo test diagnostics` and read the changed `.snap`
//! files before committing them.

use std::fs;
use std::path::{Path, PathBuf};

use ptsplan::diag::Renderer;
use ptsplan::spec::{self, Env, Loaded};

use crate::util::{repo, run, stderr, stdout};

/// The corpus, relative to the repository root (the working directory of tests): rendered
/// paths then read the same on every checkout.
const CORPUS: &str = "tests/fixtures/errors";
/// Files with many mistakes at once, for the "everything in one run" tests.
const MULTI: &str = "tests/fixtures/errors/multi";
/// The start of every test, so that token expiry is judged the same way on every day.
const NOW: &str = "2026-11-23T00:00:00Z";

/// The environment: only the WeChat app secret the realistic plans reference is set.
fn lookup(name: &str) -> Option<String> {
    (name == "WX_APP_SECRET").then(|| "fake-app-secret".to_owned())
}

fn check(path: &Path) -> Loaded {
    let env = Env {
        now: NOW.parse().expect("a timestamp"),
        var: &lookup,
        require_env: false,
    };
    spec::check(path, &env)
}

/// Every diagnostic of a check, rendered in source order.
fn render(loaded: &Loaded) -> String {
    Renderer::new(false, 80).render_all(&loaded.diagnostics, &loaded.sources)
}

/// Corpus entries (files and plan directories), in name order.
fn corpus() -> Vec<PathBuf> {
    assert!(
        Path::new(CORPUS).is_dir(),
        "tests run from the repository root ({})",
        repo().display()
    );
    let mut entries: Vec<PathBuf> = fs::read_dir(CORPUS)
        .expect("the corpus directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(|c: char| c.is_ascii_digit())
                && (p.is_dir() || name.ends_with(".yaml"))
        })
        .collect();
    entries.sort();
    entries
}

fn name_of(entry: &Path) -> String {
    entry
        .file_stem()
        .and_then(|n| n.to_str())
        .expect("a UTF-8 fixture name")
        .to_owned()
}

/// The `# expect: CODE` line of an entry (of its first file, for a directory).
fn expected_code(entry: &Path) -> String {
    let file = if entry.is_dir() {
        let mut files: Vec<PathBuf> = fs::read_dir(entry)
            .expect("a plan directory")
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .next()
            .expect("a plan file in the directory")
    } else {
        entry.to_path_buf()
    };
    let text = fs::read_to_string(&file).expect("a readable fixture");
    let first = text.lines().next().unwrap_or("");
    first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{}: first line must be `# expect: CODE`", file.display()))
        .trim()
        .to_owned()
}

#[test]
fn every_broken_plan_yields_its_diagnostic() {
    let entries = corpus();
    assert!(
        entries.len() >= 45,
        "the corpus holds {} broken plans; keep at least 45",
        entries.len()
    );
    for entry in &entries {
        let name = name_of(entry);
        let code = expected_code(entry);
        let loaded = check(entry);
        let errors: Vec<_> = loaded
            .diagnostics
            .sorted()
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        assert!(!errors.is_empty(), "{name}: no error reported");
        let Some(expected) = errors.iter().find(|d| d.code == code) else {
            let codes: Vec<&str> = errors.iter().map(|d| d.code).collect();
            panic!("{name}: expected `{code}` among the errors, found {codes:?}");
        };
        // Every expected finding points into the YAML: a snippet with a located header.
        assert!(expected.span.is_some(), "{name}: `{code}` has no place");
        let shown = Renderer::new(false, 80).render(expected, &loaded.sources);
        assert!(
            shown.contains(&format!("╭─[{CORPUS}/{name}")),
            "{name}: `{code}` is drawn without its source snippet:\n{shown}"
        );
        let text = render(&loaded);
        insta::with_settings!({
            snapshot_path => "fixtures/errors/snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("{} (expects {code})", entry.display()),
        }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

#[test]
fn every_snapshot_belongs_to_a_fixture() {
    let names: Vec<String> = corpus().iter().map(|e| name_of(e)).collect();
    let snapshots = Path::new(CORPUS).join("snapshots");
    for snap in fs::read_dir(&snapshots).expect("the snapshot directory") {
        let path = snap.expect("a directory entry").path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        assert!(
            stem.starts_with("multi-") || names.iter().any(|n| n == stem),
            "{} has no fixture: delete it or restore the fixture",
            path.display()
        );
    }
}

#[test]
fn chinese_scene_names_are_measured_in_characters_and_pointed_at_in_bytes() {
    let entry = Path::new(CORPUS).join("40-scene-name-too-long-chinese.yaml");
    let loaded = check(&entry);
    let d = loaded
        .diagnostics
        .sorted()
        .into_iter()
        .find(|d| d.code == "plan::scene-name")
        .expect("a scene-name error");
    let span = d.span.expect("placed");
    let source = loaded.sources.get(span.source).expect("its source");
    let name = &source.text[span.start..span.end];
    assert!(
        name.starts_with("微信小程序"),
        "the span covers the name, not {name:?}"
    );
    assert!(
        d.message
            .contains(&format!("has {} characters", name.chars().count()))
    );
    assert_eq!(source.line_col(span.start), (7, 11));
}

// ---- the command ------------------------------------------------------------------------

fn validate(args: &[&str]) -> std::process::Output {
    let mut all = vec!["validate", "--now", NOW];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn validate_prints_the_diagnostic_with_its_place_and_fails() {
    let file = format!("{CORPUS}/24-undefined-param-url.yaml");
    let out = validate(&[&file]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("plan::undefined-parameter"), "{err}");
    assert!(err.contains(&format!("╭─[{file}:18:52]")), "{err}");
    assert!(err.contains("parameter `orderId` is not defined"), "{err}");
    assert!(err.contains("did you mean `${order_id}`?"), "{err}");
    assert!(stdout(&out).contains("invalid"), "{}", stdout(&out));
}

#[test]
fn validate_reports_a_plan_directory_with_both_files() {
    let dir = format!("{CORPUS}/72-dir-duplicate-scene");
    let out = validate(&[&dir]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("╭─[{dir}/orders.yaml:2:3]")), "{err}");
    assert!(err.contains(&format!("╭─[{dir}/common.yaml:8:3]")), "{err}");
}

#[test]
fn validate_json_locates_every_diagnostic() {
    let file = format!("{MULTI}/semantic.yaml");
    let out = validate(&[&file, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    assert_eq!(report["valid"], false);
    let plan = &report["plans"][0];
    assert_eq!(plan["valid"], false);
    let diagnostics = plan["diagnostics"].as_array().expect("a diagnostics list");
    assert!(diagnostics.len() >= 5, "{diagnostics:#?}");
    for d in diagnostics {
        assert!(d["code"].as_str().is_some_and(|c| c.contains("::")), "{d}");
        assert!(
            d["location"]["line"].as_u64().is_some_and(|l| l >= 1),
            "{d}"
        );
        assert!(
            d["location"]["column"].as_u64().is_some_and(|c| c >= 1),
            "{d}"
        );
        assert_eq!(d["location"]["file"], file.as_str(), "{d}");
        assert!(
            d["path"].as_str().is_some_and(|p| p.starts_with("scenes.")),
            "{d}"
        );
    }
    let rps = diagnostics
        .iter()
        .find(|d| d["code"] == "plan::rps-increases")
        .expect("the RPS finding");
    assert_eq!(rps["path"], "scenes.checkout.load.steps.buyer.pay.max");
    assert_eq!(rps["location"]["line"], 40);
    assert_eq!(rps["location"]["column"], 35);
}

/// The distinct `(code, line)` pairs of a JSON report.
fn findings(out: &std::process::Output) -> Vec<(String, u64)> {
    let report: serde_json::Value = serde_json::from_str(&stdout(out)).expect("JSON on stdout");
    let mut found: Vec<(String, u64)> = report["plans"][0]["diagnostics"]
        .as_array()
        .expect("a diagnostics list")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            let code = d["code"].as_str().unwrap_or_default().to_owned();
            (code, d["location"]["line"].as_u64().unwrap_or_default())
        })
        .collect();
    found.dedup();
    found
}

/// Validates `tests/fixtures/errors/multi/NAME.yaml` and checks that every expected
/// `(code, line)` is reported in the one run, then snapshots the text output.
fn all_in_one_run(name: &str, expected: &[(&str, u64)]) {
    let file = format!("{MULTI}/{name}.yaml");
    let found = findings(&validate(&[&file, "--format", "json"]));
    for (code, line) in expected {
        assert!(
            found.iter().any(|(c, l)| c == code && l == line),
            "missing {code} on line {line}; found {found:?}"
        );
    }
    let text = validate(&[&file]);
    insta::with_settings!({
        snapshot_path => "fixtures/errors/snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("ptsplan validate {file}"),
    }, {
        insta::assert_snapshot!(format!("multi-{name}"), stderr(&text));
    });
}

#[test]
fn structural_mistakes_are_all_reported_in_one_run() {
    all_in_one_run(
        "structural",
        &[
            ("plan::unknown-key", 4),
            ("plan::invalid-value", 9),
            ("plan::wrong-type", 13),
            ("plan::missing-key", 21),
            ("plan::unknown-key", 23),
            ("plan::wrong-type", 25),
            ("plan::wrong-type", 28),
            ("plan::invalid-duration", 30),
        ],
    );
}

#[test]
fn semantic_mistakes_of_several_kinds_are_all_reported_in_one_run() {
    all_in_one_run(
        "semantic",
        &[
            ("plan::token-expires", 20),
            ("plan::undefined-variable", 24),
            ("plan::out-of-range", 26),
            ("plan::undefined-parameter", 31),
            ("plan::duplicate-name", 32),
            ("plan::invalid-url", 33),
            ("plan::rps-increases", 40),
            ("plan::invalid-threshold", 42),
        ],
    );
}
