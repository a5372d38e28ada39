//! Data files through OSS, against `ptsplan emulator serve`: a plan with a CSV token pool
//! shows the file as new content (path, rows, hash — never the rows themselves); apply
//! uploads it once (a second apply finds it stored); a run reads the tokens from the
//! backend's own OSS; an edited file plans as a changed address and is uploaded anew. The
//! backend's OSS verifies signatures and serves the stored object back.

use std::process::Output;
use std::time::Duration;

use ptsplan::api::sign::Credential;
use ptsplan::api::{Client, ClientOptions, Endpoint};
use ptsplan::oss::{DataStore, OssClient, OssError};
use ptsplan::wire::{self, GetPtsReportDetails};

use crate::target::Target;
use crate::util::{Backend, start_backend, stderr, stdout};

/// The plan: one scene whose chain takes its token from `tokens.csv` and echoes it in
/// `x-user`; `rev` changes a header so that an apply has something to update.
fn plan(target: &Target, rev: u32) -> String {
    format!(
        "version: 1
workspace: data
token_sources:
  pool:
    kind: csv
    file: tokens.csv
    column: token
    expires_at: 2099-01-01T00:00:00Z
scenes:
  probe:
    name: data probe
    type: single-api
    debug_first: false
    chains:
      - name: c
        token: pool
        steps:
          - name: echo
            url: {}/echo
            headers: {{ x-user: '${{access_token}}', x-rev: '{rev}' }}
            checks: [ {{ on: status_code, value: 200 }} ]
    load: {{ mode: concurrency, start: 1, max: 1, duration: 1s }}
",
        target.base()
    )
}

fn ok(out: &Output) -> (String, String) {
    assert!(
        out.status.success() || out.status.code() == Some(2),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
    (stdout(out), stderr(out))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs the scene once and waits (bounded) for its report.
fn run_once(backend: &Backend) {
    let client = Client::new(
        Endpoint::parse(&backend.endpoint).expect("endpoint"),
        Credential::new(&backend.key_id, &backend.key_secret),
        ClientOptions::default(),
    )
    .expect("client");
    let runtime = runtime();
    let live = runtime
        .block_on(ptsplan::live::read_all(&client))
        .expect("live");
    let scene_id = live[0].scene.scene_id.clone().expect("scene id");
    let plan_id = runtime
        .block_on(client.call(&wire::StartPtsScene {
            scene_id: scene_id.clone(),
        }))
        .expect("started")
        .plan_id
        .expect("plan id");
    for _ in 0..600 {
        let details = runtime.block_on(client.call(&GetPtsReportDetails {
            plan_id: plan_id.clone(),
            scene_id: scene_id.clone(),
        }));
        if details.is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no report for run {plan_id}");
}

/// The `sha256 …` short hash a line about `tokens.csv` names.
fn short_hash(text: &str) -> String {
    let (_, rest) = text
        .split_once("sha256 ")
        .unwrap_or_else(|| panic!("no hash in:\n{text}"));
    rest.chars().take(16).collect()
}

#[test]
fn a_csv_token_pool_is_uploaded_once_used_by_a_run_and_planned_as_changed() {
    let target = Target::start(Duration::from_secs(60));
    let backend = start_backend();
    let dir = tempfile::tempdir().expect("dir");
    let work = dir.path();
    std::fs::write(work.join("plan.yaml"), plan(&target, 1)).expect("plan");
    std::fs::write(
        work.join("tokens.csv"),
        "token,user\ntok-alpha,u1\ntok-beta,u2\n",
    )
    .expect("csv");

    // The plan names the file by path, rows and hash; its rows never appear.
    let (planned, _) = ok(&backend.run(work, &["plan", "plan.yaml"]));
    assert!(
        planned.contains("data file tokens.csv has new content: 2 rows, sha256 "),
        "{planned}"
    );
    assert!(!planned.contains("tok-alpha"), "{planned}");
    let first_hash = short_hash(&planned);
    assert!(
        planned.contains(&format!(
            "oss://ptsplan-data/ptsplan/data/{first_hash}/tokens.csv"
        )),
        "{planned}"
    );

    // The first apply uploads; the next one (an unrelated change) finds it stored.
    let (_, applied) = ok(&backend.run(work, &["apply", "plan.yaml", "--auto-approve"]));
    assert!(
        applied.contains("data file tokens.csv: uploaded (2 rows"),
        "{applied}"
    );
    std::fs::write(work.join("plan.yaml"), plan(&target, 2)).expect("plan");
    let (again_plan, again) = ok(&backend.run(work, &["apply", "plan.yaml", "--auto-approve"]));
    assert!(again_plan.contains("x-rev"), "{again_plan}");
    assert!(
        again.contains("data file tokens.csv: already stored"),
        "{again}"
    );
    assert!(!again.contains("uploaded"), "{again}");

    // The stored object is the file's rows without its header line (PTS reads every line
    // of a file as data), read back over the backend's signed OSS; a wrong key is refused.
    let key = format!("ptsplan/data/{first_hash}/tokens.csv");
    let endpoint = Endpoint::parse(&backend.endpoint).expect("endpoint");
    let runtime = runtime();
    let oss = OssClient::new(
        DataStore::default(),
        endpoint.clone(),
        Credential::new(&backend.key_id, &backend.key_secret),
    )
    .expect("oss client");
    let stored = runtime.block_on(oss.get_object(&key)).expect("get");
    assert_eq!(stored.as_deref(), Some(&b"tok-alpha,u1\ntok-beta,u2\n"[..]));
    let forged = OssClient::new(
        DataStore::default(),
        endpoint,
        Credential::new(&backend.key_id, "not-the-secret"),
    )
    .expect("oss client");
    match runtime.block_on(forged.head_object(&key)) {
        Err(OssError::Status { status: 403, .. }) => {}
        other => panic!("a forged signature was not refused: {other:?}"),
    }

    // A run reads the tokens from the backend's OSS, and never the header as a token.
    run_once(&backend);
    let users = target.seen.lock().expect("lock").users.clone();
    assert!(!users.iter().any(|u| u == "token"), "{users:?}");
    assert!(
        users.iter().any(|u| u == "tok-alpha"),
        "{:?}",
        &users[..users.len().min(9)]
    );
    assert!(
        users.iter().any(|u| u == "tok-beta"),
        "{:?}",
        &users[..users.len().min(9)]
    );

    // An edited file plans as a changed address with its new rows and hash, and uploads.
    std::fs::write(
        work.join("tokens.csv"),
        "token,user\ntok-alpha,u1\ntok-beta,u2\ntok-gamma,u3\n",
    )
    .expect("csv");
    let (changed, _) = ok(&backend.run(work, &["plan", "plan.yaml"]));
    assert!(
        changed.contains("data file tokens.csv has new content: 3 rows, sha256 "),
        "{changed}"
    );
    let second_hash = short_hash(&changed);
    assert_ne!(first_hash, second_hash);
    assert!(
        changed.contains(&first_hash),
        "the old address shows: {changed}"
    );
    assert!(!changed.contains("tok-gamma"), "{changed}");
    let (_, applied) = ok(&backend.run(work, &["apply", "plan.yaml", "--auto-approve"]));
    assert!(
        applied.contains("data file tokens.csv: uploaded (3 rows"),
        "{applied}"
    );
    let (settled, _) = ok(&backend.run(work, &["plan", "plan.yaml"]));
    assert!(!settled.contains("new content"), "{settled}");
}

#[test]
fn data_store_settings_come_from_ptsplan_toml() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("ptsplan.toml"),
        "[data]\nbucket = \"Not_Valid\"\n",
    )
    .expect("toml");
    std::fs::write(
        dir.path().join("plan.yaml"),
        "version: 1\nworkspace: w\nscenes: {}\n",
    )
    .expect("plan");
    let out = crate::util::ptsplan(dir.path())
        .args(["plan", "plan.yaml"])
        .env_remove("ALICLOUD_ACCESS_KEY_ID")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("[data] bucket"), "{}", stderr(&out));
}
