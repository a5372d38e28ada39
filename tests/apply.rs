//! `ptsplan apply` and `ptsplan rollback` against the real local backend over HTTP: the
//! example plans apply and then plan as "No changes"; an edit applies as an update that a
//! rollback (run twice) undoes exactly; no evidence file holds a secret; a failed mutation
//! stops the apply with the undo command; a lost answer is resolved by reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ptsplan::api::sign::Credential;
use ptsplan::api::{Client, ClientOptions, Endpoint};
use ptsplan::wire::Marker;

use crate::util::{
    Backend, SECRET, copy_dir, repo, start_backend, start_backend_with, stderr, stdout,
};

/// A copy of the example plans in a fresh working directory (evidence and before-images are
/// written under it).
fn workdir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let plans = dir.path().join("plans");
    std::fs::create_dir_all(&plans).expect("mkdir");
    copy_dir(&repo().join("plans/mall"), &plans);
    (dir, plans)
}

/// Every owned live scene's normalized view (the planner's), by marker key; and how many
/// scenes the backend holds.
fn live_views(backend: &Backend) -> (BTreeMap<String, serde_json::Value>, usize) {
    let client = Client::new(
        Endpoint::parse(&backend.endpoint).expect("endpoint"),
        Credential::new(&backend.key_id, &backend.key_secret),
        ClientOptions::default(),
    )
    .expect("client");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let live = runtime
        .block_on(ptsplan::live::read_all(&client))
        .expect("live state");
    let views = live
        .iter()
        .filter_map(|l| {
            Some((
                Marker::of(&l.scene)?.key,
                ptsplan::plan::view::view(&l.scene),
            ))
        })
        .collect();
    (views, live.len())
}

/// The bundle directory an apply printed (`Evidence: DIR`), relative to `dir`.
fn bundle(dir: &Path, out: &std::process::Output) -> PathBuf {
    let text = format!("{}{}", stdout(out), stderr(out));
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Evidence: "))
        .unwrap_or_else(|| panic!("no evidence line in:\n{text}"));
    dir.join(line.trim())
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[test]
fn apply_converges_an_update_rolls_back_twice_and_evidence_holds_no_secret() {
    let backend = start_backend();
    let (work, plans) = workdir();
    let dir = work.path();

    // Without a terminal and without --auto-approve, nothing happens.
    let out = backend.run(dir, &["apply", "plans"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("--auto-approve"), "{}", stderr(&out));
    assert_eq!(live_views(&backend).1, 0);

    let out = backend.run(dir, &["apply", "plans", "--auto-approve"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("6 created"), "{}", stdout(&out));
    let first = bundle(dir, &out);
    let out = backend.run(dir, &["plan", "plans", "--detailed-exitcode"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("No changes."), "{}", stdout(&out));
    let (before, count) = live_views(&backend);
    assert_eq!((before.len(), count), (6, 6));

    // Edit one header: applied as one update, then undone.
    let file = plans.join("single-api.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace("Bearer ${access_token}", "Token ${access_token}"),
    )
    .expect("write");
    let out = backend.run(dir, &["apply", "plans", "--auto-approve"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("0 created, 1 updated, 0 deleted"),
        "{}",
        stdout(&out)
    );
    let update = bundle(dir, &out);
    assert_ne!(live_views(&backend).0, before);

    let out = backend.run(dir, &["rollback", &update.display().to_string()]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("updating… ok"), "{}", stdout(&out));
    assert_eq!(live_views(&backend), (before.clone(), 6));
    let out = backend.run(dir, &["rollback", &update.display().to_string()]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("already as before"),
        "{}",
        stdout(&out)
    );
    assert_eq!(live_views(&backend), (before, 6));
    let journal = std::fs::read_to_string(update.join("journal.jsonl")).expect("journal");
    assert_eq!(
        journal.matches("\"phase\":\"rollback\"").count(),
        2,
        "{journal}"
    );

    // The evidence: the expected files, and no secret in any of them.
    for name in [
        "meta.json",
        "plan.json",
        "journal.jsonl",
        "rollback.json",
        "summary.md",
    ] {
        assert!(first.join(name).is_file(), "{name} in {}", first.display());
    }
    let evidence = files(&dir.join("output"));
    assert!(evidence.len() >= 10, "{evidence:?}");
    for file in &evidence {
        let text = std::fs::read_to_string(file).expect("evidence is text");
        assert!(
            !text.contains(SECRET),
            "{} holds WX_APP_SECRET",
            file.display()
        );
        assert!(
            !text.contains(&backend.key_secret),
            "{} holds the access key secret",
            file.display()
        );
    }
    // The before-image of the update holds the secret, so it lives outside the bundle,
    // owner-only, named by rollback.json.
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(update.join("rollback.json")).expect("rollback.json"),
    )
    .expect("json");
    let images = PathBuf::from(record["before_images"].as_str().expect("before_images"));
    assert!(
        images.starts_with(dir.join(".ptsplan")),
        "{}",
        images.display()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&images)
            .expect("images")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_failed_mutation_stops_the_apply_with_the_undo_command() {
    let backend = start_backend_with(&["--fault", "fail-mutation=2"]);
    let (work, _) = workdir();
    let dir = work.path();
    let out = backend.run(
        dir,
        &["apply", "plans", "--auto-approve", "--parallelism", "1"],
    );
    assert_exit(&out, 1);
    let undo = bundle(dir, &out);
    assert!(
        stderr(&out).contains(&format!(
            "ptsplan rollback {}",
            undo.strip_prefix(dir).expect("relative").display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        live_views(&backend).1,
        1,
        "only the first create took effect"
    );
    let journal = std::fs::read_to_string(undo.join("journal.jsonl")).expect("journal");
    let records: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect();
    let kinds: Vec<(&str, u64)> = records
        .iter()
        .map(|r| {
            (
                r["record"].as_str().unwrap_or(""),
                r["step"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("intent", 1), ("outcome", 1), ("intent", 2), ("outcome", 2)],
        "write-ahead: each intent precedes its outcome, nothing after the failure"
    );
    assert_eq!(records[3]["outcome"], "failed");
    assert!(records[3]["request_id"].is_string(), "{}", records[3]);
    let summary = std::fs::read_to_string(undo.join("summary.md")).expect("summary");
    assert!(
        summary.contains("| 2 | creating |") && summary.contains("failed"),
        "{summary}"
    );

    let out = backend.run(dir, &["rollback", &undo.display().to_string()]);
    assert_exit(&out, 0);
    assert_eq!(live_views(&backend).1, 0, "{}", stdout(&out));
}

#[test]
fn a_lost_answer_is_decided_by_reading_and_never_sent_twice() {
    let backend = start_backend_with(&["--fault", "drop-after-mutation=2"]);
    let (work, _) = workdir();
    let dir = work.path();
    let out = backend.run(dir, &["apply", "plans", "--auto-approve"]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("decided by reading the live state"),
        "{}",
        stderr(&out)
    );
    let journal =
        std::fs::read_to_string(bundle(dir, &out).join("journal.jsonl")).expect("journal");
    assert_eq!(
        journal.matches("\"resolved_by_read\":true").count(),
        1,
        "{journal}"
    );
    assert_eq!(live_views(&backend).1, 6, "no duplicate scene");
    let out = backend.run(dir, &["plan", "plans", "--detailed-exitcode"]);
    assert_exit(&out, 0);
}

#[test]
fn rollback_on_failure_undoes_at_once_and_a_pruned_scene_is_restored() {
    let backend = start_backend_with(&["--fault", "fail-mutation=3"]);
    let (work, plans) = workdir();
    let dir = work.path();
    let out = backend.run(
        dir,
        &["apply", "plans", "--auto-approve", "--rollback-on-failure"],
    );
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("deleting… ok"), "{}", stdout(&out));
    assert_eq!(live_views(&backend).1, 0, "the two creates were undone");

    // Apply in full, then prune one scene away and roll the deletion back.
    let out = backend.run(dir, &["apply", "plans", "--auto-approve"]);
    assert_exit(&out, 0);
    let (before, _) = live_views(&backend);
    std::fs::remove_file(plans.join("tuning.yaml")).expect("remove");
    let out = backend.run(dir, &["apply", "plans", "--auto-approve", "--prune"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("0 created, 0 updated, 1 deleted"),
        "{}",
        stdout(&out)
    );
    assert_eq!(live_views(&backend).1, 5);
    let prune = bundle(dir, &out);
    let out = backend.run(dir, &["rollback", &prune.display().to_string()]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("creating… ok"), "{}", stdout(&out));
    assert_eq!(live_views(&backend), (before, 6));
}
