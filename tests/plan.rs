//! `ptsplan plan` against the real local backend over HTTP: scenes saved as the plan lowers
//! them are read back (GetPtsScene, with ids, status and the GET spellings) and plan as
//! "No changes"; an edited plan shows the field it changed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use ptsplan::api::sign::Credential;
use ptsplan::api::{Client, ClientOptions, Endpoint};
use ptsplan::spec::{self, Env};
use ptsplan::wire::SavePtsScene;

use crate::util::{ptsplan, repo, stdout};

const SECRET: &str = "wx-app-secret-for-plan-tests";

/// A running `ptsplan emulator serve` on a free loopback port, killed on drop.
struct Backend {
    child: Child,
    endpoint: String,
    key_id: String,
    key_secret: String,
    _state: tempfile::TempDir,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_backend() -> Backend {
    let state = tempfile::tempdir().expect("state dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptsplan"))
        .args([
            "emulator",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
        ])
        .arg(state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator starts");
    let out = child.stdout.take().expect("stdout");
    let (mut endpoint, mut key_id, mut key_secret) = (String::new(), String::new(), String::new());
    let mut lines = BufReader::new(out).lines();
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("export PTSPLAN_ENDPOINT=") {
            endpoint = rest.to_owned();
        } else if let Some(rest) = line.strip_prefix("export ALICLOUD_ACCESS_KEY_ID=") {
            key_id = rest.to_owned();
        } else if let Some(rest) = line.strip_prefix("export ALICLOUD_ACCESS_KEY_SECRET=") {
            key_secret = rest.to_owned();
            break;
        }
    }
    assert!(
        !endpoint.is_empty() && !key_secret.is_empty(),
        "the emulator printed its env block"
    );
    // Keep draining its output: a closed pipe would end the server at its next line.
    std::thread::spawn(move || lines.for_each(drop));
    Backend {
        child,
        endpoint,
        key_id,
        key_secret,
        _state: state,
    }
}

impl Backend {
    fn plan(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        ptsplan(dir)
            .arg("plan")
            .args(args)
            .env("PTSPLAN_ENDPOINT", &self.endpoint)
            .env("ALICLOUD_ACCESS_KEY_ID", &self.key_id)
            .env("ALICLOUD_ACCESS_KEY_SECRET", &self.key_secret)
            .env("WX_APP_SECRET", SECRET)
            .output()
            .expect("plan runs")
    }

    /// Saves every scene of the plan at `dir` as lowered, as an apply would.
    fn save_all(&self, dir: &Path) {
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
            Endpoint::parse(&self.endpoint).expect("endpoint"),
            Credential::new(&self.key_id, &self.key_secret),
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
}

#[test]
fn saved_examples_plan_no_changes_and_an_edit_shows_its_field() {
    let backend = start_backend();
    let plans = repo().join("plans");
    let out = backend.plan(&plans, &["--detailed-exitcode", "--summary"]);
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

    backend.save_all(&plans);
    let out = backend.plan(&plans, &["--detailed-exitcode"]);
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
    let out = backend.plan(edited.path(), &["--detailed-exitcode", "--format", "json"]);
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

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn plan_calls_no_mutating_action() {
    let backend = start_backend();
    let plans = repo().join("plans");
    backend.save_all(&plans);
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
    let out = backend.plan(&plans, &["--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
