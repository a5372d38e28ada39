//! `ptsplan plan` against the real local backend over HTTP: scenes saved as the plan lowers
//! them are read back (GetPtsScene, with ids, status and the GET spellings) and plan as
//! "No changes"; an edited plan shows the field it changed.

use std::path::Path;

use ptsplan::api::sign::Credential;
use ptsplan::api::{Client, ClientOptions, Endpoint};
use ptsplan::spec::{self, Env};
use ptsplan::wire::SavePtsScene;

use crate::util::{Backend, SECRET, copy_dir, repo, start_backend, stdout};

/// Saves every scene of the plan at `dir` as lowered, as an apply would.
fn save_all(backend: &Backend, dir: &Path) {
    let secret = |name: &str| (name == "WX_APP_SECRET").then(|| SECRET.to_owned());
    let env = Env {
        now: jiff::Timestamp::now(),
        var: &secret,
        require_env: true,
    };
    let loaded = spec::check(dir, &env);
    let (lowered, _) =
        ptsplan::lower::lower(&loaded.plan.expect("plan"), dir, &secret).expect("lowers");
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
    runtime.block_on(async {
        for scene in lowered {
            client
                .call(&SavePtsScene { scene: scene.scene })
                .await
                .expect("saved");
        }
    });
}

#[test]
fn saved_examples_plan_no_changes_and_an_edit_shows_its_field() {
    let backend = start_backend();
    let plans = repo().join("plans/mall");
    let out = backend.run(&plans, &["plan", "--detailed-exitcode", "--summary"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).lines().all(|l| l.starts_with("+ scene.")),
        "{}",
        stdout(&out)
    );

    save_all(&backend, &plans);
    let out = backend.run(&plans, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("No changes."), "{}", stdout(&out));

    // Edit one header of one example and plan again: exactly that field changes.
    let edited = tempfile::tempdir().expect("dir");
    copy_dir(&plans, edited.path());
    let file = edited.path().join("single-api.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace("Bearer ${access_token}", "Token ${access_token}"),
    )
    .expect("write");
    let out = backend.run(
        edited.path(),
        &["plan", "--detailed-exitcode", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json plan");
    let updates: Vec<&serde_json::Value> = json["scenes"]
        .as_array()
        .expect("scenes")
        .iter()
        .filter(|s| s["action"] == "update")
        .collect();
    assert_eq!(updates.len(), 1, "{json:#}");
    let paths: Vec<&str> = updates[0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert!(
        !paths.is_empty() && paths.iter().all(|p| p.ends_with("headers.Authorization")),
        "{paths:?}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[test]
fn plan_calls_no_mutating_action() {
    let backend = start_backend();
    let plans = repo().join("plans/mall");
    save_all(&backend, &plans);
    // From now on every mutating action of the API fails: a plan that sent one would fail.
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("../src/wire/testdata/pts-openapi.json"))
            .expect("reference");
    let mutating: serde_json::Map<String, serde_json::Value> = reference["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .filter(|name| !ptsplan::api::retry::is_read_only(name))
        .map(|name| (name.to_owned(), serde_json::Value::from(1.0)))
        .collect();
    assert!(mutating.contains_key("SavePtsScene") && mutating.len() > 20);
    let faults = serde_json::json!({ "error_rate": mutating });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .put(format!("{}/_emulator/faults", backend.endpoint))
            .header("content-type", "application/json")
            .body(faults.to_string())
            .send()
            .await
            .map(|r| r.status())
    });
    assert!(status.expect("faults set").is_success());
    let out = backend.run(&plans, &["plan", "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Adds a scene-wide header (as the PTS console can) to the stored scene that ptsplan owns
/// under `key`, in the emulator's state directory.
fn add_console_header(state: &Path, key: &str) {
    for entry in std::fs::read_dir(state.join("scenes")).expect("scenes") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("scene");
        let mut scene: serde_json::Value = serde_json::from_str(&text).expect("json");
        let owned = scene["GlobalParameterList"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["ParamName"] == "ptsplan_meta")
            .filter_map(|p| {
                serde_json::from_str::<serde_json::Value>(p["ParamValue"].as_str()?).ok()
            })
            .any(|marker| marker["key"] == key);
        if owned {
            scene["Headers"] = serde_json::json!([{"Name": "X-Console", "Value": "on"}]);
            std::fs::write(&path, scene.to_string()).expect("write");
            return;
        }
    }
    panic!("no stored scene owned under `{key}`");
}

#[test]
fn a_scene_wide_header_from_the_console_is_replaced_by_apply_and_then_plans_no_changes() {
    let mut backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let plans = dir.path().join("plans");
    std::fs::create_dir_all(&plans).expect("mkdir");
    copy_dir(&repo().join("plans/mall"), &plans);
    let apply = [
        "apply",
        "plans",
        "--auto-approve",
        "--evidence-dir",
        "evidence",
    ];
    let out = backend.run(dir.path(), &apply);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));

    backend.restart_with(|state| add_console_header(state, "create-order"));
    let out = backend.run(dir.path(), &["plan", "plans", "--detailed-exitcode"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("-/+ scene.create-order (\"mp-create-order\")")
            && text.contains("must be replaced")
            && text.contains("- headers.X-Console = \"on\"  # forces replacement")
            && text.contains("Plan: 1 to create, 0 to update, 1 to delete, 0 to run."),
        "{text}"
    );
    assert!(
        text.contains("Drift:") && text.contains("! scene.create-order"),
        "{text}"
    );
    let out = backend.run(dir.path(), &["plan", "plans", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let replaced = json["scenes"]
        .as_array()
        .expect("scenes")
        .iter()
        .find(|s| s["key"] == "create-order")
        .expect("the scene");
    assert_eq!(replaced["action"], "replace");
    assert_eq!(
        replaced["replace_paths"],
        serde_json::json!(["headers.X-Console"])
    );

    let replace = [
        "apply",
        "plans",
        "--auto-approve",
        "--evidence-dir",
        "replaced",
    ];
    let out = backend.run(dir.path(), &replace);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stderr(&out));
    // Both halves are journaled: the old scene deleted, then the new one created.
    let bundle = std::fs::read_dir(dir.path().join("replaced"))
        .expect("evidence")
        .next()
        .expect("one bundle")
        .expect("entry")
        .path();
    let journal: Vec<serde_json::Value> = std::fs::read_to_string(bundle.join("journal.jsonl"))
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("record"))
        .filter(|r| r["record"] == "intent" && r["key"] == "create-order")
        .collect();
    let actions: Vec<&str> = journal
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(actions, ["delete", "create"], "{journal:?}");
    assert!(journal[0]["scene_id"].is_string() && journal[1]["scene_id"].is_null());

    let out = backend.run(dir.path(), &["plan", "plans", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
