//! The example plans in plans/mall/ stay valid: as one merged plan (zero errors, zero warnings),
//! each example together with the shared common.yaml, every file with the editor schema
//! comment, and through the CLI.

use std::path::{Path, PathBuf};

use ptsplan::diag::Diagnostic;
use ptsplan::spec::{self, Env, Loaded};

use crate::util::{repo, run, stderr, stdout};

/// The file every example relies on for `variables` and `defaults`.
const COMMON: &str = "common.yaml";
/// The first line of every plan file.
const SCHEMA_LINE: &str = "# yaml-language-server: $schema=../../schemas/plan.schema.json";
/// Secrets the examples reference as `${secret.NAME}`.
const SECRETS: [&str; 1] = ["WX_APP_SECRET"];

fn plans() -> PathBuf {
    repo().join("plans/mall")
}

/// Every `*.yaml` file of plans/mall/, sorted.
fn plan_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(plans())
        .expect("plans/mall/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

/// Checks a plan with the secrets set to fake values and a fixed "now", so that the CSV
/// token expiry is judged the same way on every day the test runs.
fn check(path: &Path) -> Loaded {
    let lookup = |name: &str| SECRETS.contains(&name).then(|| format!("fake-{name}"));
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("timestamp"),
        var: &lookup,
        require_env: true,
    };
    spec::check(path, &env)
}

fn describe(loaded: &Loaded) -> String {
    loaded
        .diagnostics
        .sorted()
        .into_iter()
        .map(|d: &Diagnostic| {
            format!(
                "  {:?} {}: {} (at {:?})",
                d.severity, d.code, d.message, d.path
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_plans_directory_is_one_valid_plan_without_warnings() {
    let loaded = check(&plans());
    assert!(
        loaded.diagnostics.is_empty(),
        "plans/mall/ should validate with no diagnostics at all:\n{}",
        describe(&loaded)
    );
    let plan = loaded.plan.expect("the plan decodes");
    assert_eq!(plan.workspace, "mall-mp");
    let types: Vec<String> = plan
        .scenes
        .values()
        .map(|s| {
            serde_json::to_value(s.kind)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for kind in ["single-api", "mixed", "tuning", "soak"] {
        assert!(
            types.iter().any(|t| t == kind),
            "no {kind} example among {types:?}"
        );
    }
    let kinds: Vec<&str> = plan
        .token_sources
        .values()
        .map(|t| match t {
            spec::model::TokenSource::Api(_) => "api",
            spec::model::TokenSource::Csv(_) => "csv",
        })
        .collect();
    assert!(
        kinds.contains(&"api") && kinds.contains(&"csv"),
        "token sources: {kinds:?}"
    );
}

#[test]
fn each_example_is_valid_with_common_yaml() {
    let examples: Vec<PathBuf> = plan_files()
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != COMMON))
        .collect();
    assert!(examples.len() >= 6, "examples: {examples:?}");
    for example in examples {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = example.file_name().expect("file name");
        std::fs::copy(plans().join(COMMON), dir.path().join(COMMON)).expect("copy common");
        std::fs::copy(&example, dir.path().join(name)).expect("copy example");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        for csv in std::fs::read_dir(plans().join("data")).expect("plans/mall/data exists") {
            let csv = csv.expect("entry").path();
            std::fs::copy(&csv, data.join(csv.file_name().expect("name"))).expect("copy csv");
        }
        let loaded = check(dir.path());
        // Alone, an example may leave a shared variable unused; nothing else is tolerated.
        let unexpected: Vec<&Diagnostic> = loaded
            .diagnostics
            .sorted()
            .into_iter()
            .filter(|d| {
                !(d.code == "plan::unused"
                    && d.path
                        .as_deref()
                        .is_some_and(|p| p.starts_with("variables.")))
            })
            .collect();
        assert!(
            unexpected.is_empty(),
            "{} with {COMMON}:\n{}",
            example.display(),
            describe(&loaded)
        );
        assert!(
            loaded.plan.is_some_and(|p| !p.scenes.is_empty()),
            "{} has no scene",
            example.display()
        );
    }
}

#[test]
fn every_plan_file_starts_with_the_schema_comment() {
    let files = plan_files();
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        assert_eq!(
            text.lines().next(),
            Some(SCHEMA_LINE),
            "{} must start with the yaml-language-server schema comment",
            file.display()
        );
    }
}

#[test]
fn cli_validates_the_plans_directory() {
    // util::ptsplan removes WX_APP_SECRET: unset secrets are warnings, not errors.
    let out = run(&["validate", "plans/mall/"]);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("plans/mall/: valid ("),
        "stdout: {}",
        stdout(&out)
    );
    let report = run(&["validate", "--format", "json", "plans/mall/"]);
    assert_eq!(report.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout(&report)).expect("JSON report");
    assert_eq!(json["valid"], true);
    assert_eq!(json["plans"][0]["errors"], 0);
    for d in json["plans"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics")
    {
        assert_eq!(d["code"], "plan::unset-env", "unexpected diagnostic: {d}");
    }
}
