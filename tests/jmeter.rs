//! JMeter scenes and environments, through the real binary against `ptsplan emulator
//! serve`: plan → apply (the environment before the scene, checked in the journal) → "No
//! changes" → a changed line of the JMX planned as an XML text diff → import → apply of the
//! imported files (adoption) → "No changes" again; `run` of a JMeter scene on a local
//! backend without Apache JMeter fails with the clear error; the example plan plans/jmeter
//! validates. Real local JMeter runs are in `jmeter_run`.

use std::path::Path;
use std::process::Output;

use crate::util::{Backend, repo, run, start_backend, start_backend_with_env, stderr, stdout};

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
    let out = backend.run(work, &["plan", path, "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("No changes."), "{}", stdout(&out));
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
    let (adopting, _) = ok(&backend.run(work, &["plan", "imported"]));
    assert!(
        adopting.contains("~ owner: \"mall-jmeter\" → \"adopted\""),
        "{adopting}"
    );
    assert!(
        adopting.contains("Plan: 0 to create, 2 to update, 0 to delete"),
        "{adopting}"
    );
    ok(&backend.run(work, &["apply", "imported", "--auto-approve"]));
    no_changes(&backend, work, "imported");
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
    let out = run(&["validate", "plans/jmeter"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 JMeter scene, 1 environment, 0 errors, 0 warnings"),
        "{}",
        stdout(&out)
    );
}
