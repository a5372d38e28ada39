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
    let plans = repo().join("plans");
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
