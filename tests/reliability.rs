//! The applier under faults (docs/reliability.md): the fault matrix, saved plans (stale and
//! not), the stop-then-update path, and a grep of every output and file for secrets.
//!
//! The backend runs in this process (one per case, on a copy of a prepared state
//! directory) with a stand-in run driver whose runs last until stopped, so "running scene"
//! costs no load; the real `ptsplan` binary is driven against it. Faults are set through
//! the server handle, as `PUT /_emulator/faults` would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ptsplan::api::sign::Credential;
use ptsplan::api::{Client, ClientOptions, Endpoint};
use ptsplan::emulator::{
    self, Faults, Keys, Options, RunDriver, RunError, RunHandle, RunOptions, RunOutcome, Server,
};
use ptsplan::plan::Live;
use ptsplan::wire::{
    self, ApiSpeed, GetPtsSceneRunningDataOutput, Marker, SavePtsScene, StartPtsScene,
};

use crate::util::{copy_dir, ptsplan, stderr, stdout};

const KEY_ID: &str = "LTAI5tFaultMatrixKey01";
/// The access key secret: must appear in no output and no file.
const KEY_SECRET: &str = "fault-matrix-access-key-secret-Xy9Lm2";
/// The STS token given with the key: must appear nowhere either.
const STS_TOKEN: &str = "fault-matrix-sts-token-Qw8Er5Ty";
/// The value of `${secret.FM_APP_SECRET}`: in every scene, in no output or file.
const APP_SECRET: &str = "fault-matrix-app-secret-7Qz4Kp";

/// The workspace of the plans.
const WORKSPACE: &str = "fm";

// ---------------------------------------------------------------------------------------
// An in-process backend.

/// Runs until stopped.
struct UntilStopped;

struct UntilStoppedRun(AtomicBool);

impl RunDriver for UntilStopped {
    fn start(&self, _: &wire::Scene, _: RunOptions) -> Result<Box<dyn RunHandle>, RunError> {
        Ok(Box::new(UntilStoppedRun(AtomicBool::new(false))))
    }
}

impl RunHandle for UntilStoppedRun {
    fn running_data(&self) -> GetPtsSceneRunningDataOutput {
        GetPtsSceneRunningDataOutput::default()
    }
    fn adjust_speed(&self, _: &[ApiSpeed]) -> Result<(), RunError> {
        Ok(())
    }
    fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn is_finished(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    fn finish(self: Box<Self>) -> RunOutcome {
        RunOutcome::default()
    }
}

/// A local backend served from this process; stopped on drop.
struct Backend {
    server: Server,
    endpoint: String,
    client: Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Backend {
    fn open(state_dir: &Path) -> Backend {
        let keys = Keys::from_toml(&format!(
            "[[access_keys]]\nid = \"{KEY_ID}\"\nsecret = \"{KEY_SECRET}\"\n"
        ))
        .expect("keys");
        let mut options = Options::new(state_dir.to_owned(), keys);
        options.driver = Arc::new(UntilStopped);
        let server = Server::open(options).expect("server opens");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (listener, addr) = runtime
            .block_on(emulator::bind("127.0.0.1:0"))
            .expect("binds");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(emulator::serve(listener, server.clone(), async {
            let _ = stopped.await;
        }));
        let endpoint = format!("http://{addr}");
        let client = Client::new(
            Endpoint::parse(&endpoint).expect("endpoint"),
            Credential::new(KEY_ID, KEY_SECRET),
            ClientOptions {
                rate_limit: None,
                parallelism: 16,
                ..ClientOptions::default()
            },
        )
        .expect("client");
        Backend {
            server,
            endpoint,
            client,
            stop: Some(stop),
            task: Some(task),
            runtime: Some(runtime),
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().expect("runtime").block_on(future)
    }

    /// Every live scene. A read that fails is tried again (up to 5 times): a listing and
    /// the reads of the scenes it lists are separate calls. The state compared is the one
    /// read in full.
    fn live(&self) -> Vec<Live> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.block_on(ptsplan::live::read_all(&self.client)) {
                Ok(live) => return live,
                Err(error) if attempt >= 5 => panic!("live state: {error}"),
                Err(error) => {
                    eprintln!("reading the live state again after: {error}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    }

    /// The id of the scene `key` of the workspace.
    fn id_of(&self, key: &str) -> String {
        self.live()
            .iter()
            .find(|l| Marker::of(&l.scene).is_some_and(|m| m.key == key))
            .and_then(|l| l.scene.scene_id.clone())
            .unwrap_or_else(|| panic!("scene {key} exists"))
    }

    fn start_run(&self, key: &str) {
        let id = self.id_of(key);
        self.block_on(self.client.call(&StartPtsScene { scene_id: id }))
            .expect("run starts");
    }

    fn save(&self, scene: wire::Scene) {
        self.block_on(self.client.call(&SavePtsScene { scene }))
            .expect("saved");
    }

    /// `ptsplan ARGS` from `dir`, against this backend, with the secrets in the environment.
    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = ptsplan(dir);
        cmd.args(args)
            .env("PTSPLAN_ENDPOINT", &self.endpoint)
            .env("ALICLOUD_ACCESS_KEY_ID", KEY_ID)
            .env("ALICLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
            .env("ALICLOUD_SECURITY_TOKEN", STS_TOKEN)
            .env("FM_APP_SECRET", APP_SECRET)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        self.command(dir, args).output().expect("ptsplan runs")
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        // A held mutation is released, so that the server can stop.
        self.server.set_faults(Faults::default());
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            if let Some(task) = self.task.take() {
                let _ = runtime.block_on(task);
            }
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Plans and state.

/// A plan file of workspace `fm`: one scene per `(key, revision)`, each with a token step
/// whose body holds `${secret.FM_APP_SECRET}`.
fn plan_yaml(scenes: &[(&str, u32)]) -> String {
    let mut out = format!(
        "version: 1\nworkspace: {WORKSPACE}\nregion: cn-hangzhou\n\
         token_sources:\n  login:\n    kind: api\n    request:\n      method: POST\n      \
         url: http://127.0.0.1:9/token\n      body:\n        json:\n          \
         secret: ${{secret.FM_APP_SECRET}}\n    exports:\n      access_token: access_token\n    \
         ttl: 2h\n    refresh: {{ policy: before_expiry, margin: 5m }}\nscenes:\n"
    );
    for (key, revision) in scenes {
        out.push_str(&format!(
            "  {key}:\n    name: fm-{key}\n    type: single-api\n    chains:\n      - name: c\n        \
             token: login\n        steps:\n          - name: get\n            method: GET\n            \
             url: http://127.0.0.1:9/v1/{key}\n            headers:\n              \
             X-Revision: \"{revision}\"\n              Authorization: Bearer ${{access_token}}\n    \
             load:\n      mode: concurrency\n      start: 1\n      max: 1\n      duration: 1m\n"
        ));
    }
    out
}

/// Writes `yaml` as `dir/name/plan.yaml`; returns `name`. `dir/ptsplan.toml` lifts the
/// client's rate limit (10 calls/s, PTS's) for the in-process backend.
fn write_plan<'a>(dir: &Path, name: &'a str, yaml: &str) -> &'a str {
    std::fs::write(
        dir.join("ptsplan.toml"),
        "[backend]\nrate_limit = 100000.0\nparallelism = 8\n",
    )
    .expect("write ptsplan.toml");
    let plans = dir.join(name);
    std::fs::create_dir_all(&plans).expect("mkdir");
    std::fs::write(plans.join("plan.yaml"), yaml).expect("write plan");
    name
}

/// The first plan: s01…s12.
fn plan_a() -> String {
    let keys: Vec<String> = (1..=12).map(|i| format!("s{i:02}")).collect();
    let scenes: Vec<(&str, u32)> = keys.iter().map(|k| (k.as_str(), 1)).collect();
    plan_yaml(&scenes)
}

/// The second plan: s01…s06 changed (s05 and s06 run: stopped first), n01…n06 new,
/// s07…s12 gone (pruned). Applied over [`plan_a`]: 2 stops, 6 updates, 6 creates and 6
/// deletions, 20 steps.
fn plan_b() -> String {
    let keys: Vec<String> = (1..=6)
        .map(|i| format!("s{i:02}"))
        .chain((1..=6).map(|i| format!("n{i:02}")))
        .collect();
    let scenes: Vec<(&str, u32)> = keys
        .iter()
        .map(|k| (k.as_str(), if k.starts_with('s') { 2 } else { 1 }))
        .collect();
    plan_yaml(&scenes)
}

const STEPS: usize = 20;

/// A scene of no workspace, which no apply or rollback may touch.
fn foreign_scene() -> wire::Scene {
    serde_json::from_value(serde_json::json!({
        "SceneName": "someone-elses-scene",
        "RelationList": [{"RelationName": "r", "ApiList": [{"ApiName": "a",
            "Url": "http://127.0.0.1:9/x", "Method": "GET"}]}]
    }))
    .expect("scene")
}

/// The normalized live state: per scene (by workspace/key, or by name for scenes without
/// a marker) its normalized view (src/plan/view.rs: no ids, times, status or request ids)
/// and its whole ownership marker, as pretty JSON. Scene ids are not compared: a deleted
/// scene that a rollback creates again gets new ids (PTS assigns them).
fn normalized(live: &[Live]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for l in live {
        let marker = Marker::of(&l.scene);
        let key = match &marker {
            Some(m) => format!("{}/{}", m.workspace, m.key),
            None => format!("unowned/{}", l.scene.scene_name.as_deref().unwrap_or("")),
        };
        let value = serde_json::json!({
            "view": ptsplan::plan::view::view(&l.scene),
            "marker": marker,
        });
        let text = serde_json::to_string_pretty(&value).expect("json");
        assert!(
            out.insert(key.clone(), text).is_none(),
            "two scenes are {key}"
        );
    }
    out
}

/// Names that more than one live scene has.
fn duplicate_names(live: &[Live]) -> Vec<String> {
    let mut seen = BTreeMap::<String, usize>::new();
    for l in live {
        *seen
            .entry(l.scene.scene_name.clone().unwrap_or_default())
            .or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, _)| name)
        .collect()
}

/// Every file under `dir` (none if it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The `*.json` files directly in `dir` (saved plans).
fn saved_plans(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default()
}

/// The secret values of these tests found in `text`.
fn leaked(text: &str) -> Vec<&'static str> {
    [KEY_SECRET, STS_TOKEN, APP_SECRET]
        .into_iter()
        .filter(|s| text.contains(s))
        .collect()
}

/// Every place under `dir` (evidence, before-images, saved plans) or in `outputs` that
/// holds a secret value.
fn secret_hits(dir: &Path, outputs: &[String]) -> Vec<String> {
    let mut hits = Vec::new();
    for file in files(&dir.join("evidence"))
        .into_iter()
        .chain(files(&dir.join("output")))
        .chain(files(&dir.join(".ptsplan").join("before-images")))
        .chain(saved_plans(dir))
    {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
        for secret in leaked(&text) {
            hits.push(format!("{}: {secret}", file.display()));
        }
    }
    for (i, text) in outputs.iter().enumerate() {
        for secret in leaked(text) {
            hits.push(format!("output #{i}: {secret}"));
        }
    }
    hits
}

/// The only evidence bundle under `dir/evidence`.
fn only_bundle(dir: &Path) -> Result<PathBuf, String> {
    let bundles: Vec<PathBuf> = std::fs::read_dir(dir.join("evidence"))
        .map_err(|e| format!("no evidence dir: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    match bundles.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(format!("expected one bundle, found {other:?}")),
    }
}

/// The journal's records that parse (a record torn by a kill does not).
fn journal(bundle: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(bundle.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Write-ahead holds: every outcome follows its intent, and each intent has at most one
/// outcome, per phase (apply, rollback). Returns the apply's outcome count.
fn check_journal(records: &[serde_json::Value]) -> Result<usize, String> {
    let mut open = BTreeMap::<(String, u64), bool>::new();
    let mut outcomes = 0;
    for r in records {
        let phase = r["phase"].as_str().unwrap_or("").to_owned();
        let step = r["step"].as_u64().unwrap_or(0);
        match r["record"].as_str() {
            Some("intent") => {
                if phase == "rollback" && open.keys().any(|(p, _)| p == "rollback") && step == 1 {
                    // A second rollback run numbers its steps from 1 again.
                    open.retain(|(p, _), _| p != "rollback");
                }
                if open.insert((phase, step), false).is_some() {
                    return Err(format!("intent of step {step} written twice: {r}"));
                }
            }
            Some("outcome") => {
                if phase == "apply" {
                    outcomes += 1;
                }
                match open.get_mut(&(phase, step)) {
                    Some(done @ false) => *done = true,
                    Some(true) => return Err(format!("second outcome of step {step}: {r}")),
                    None => return Err(format!("outcome without intent: {r}")),
                }
            }
            _ => return Err(format!("unknown record {r}")),
        }
    }
    Ok(outcomes)
}

/// How many apply outcomes the journal under `dir/evidence` holds so far.
fn outcomes_so_far(dir: &Path) -> usize {
    only_bundle(dir).map_or(0, |bundle| {
        journal(&bundle)
            .iter()
            .filter(|r| r["record"] == "outcome" && r["phase"] == "apply")
            .count()
    })
}

// ---------------------------------------------------------------------------------------
// The fault matrix.

/// Which fault a case injects at step `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// (a) the k-th mutation fails (`500`, not applied).
    Fail,
    /// (b) the connection drops after the k-th mutation was committed.
    Drop,
    /// (c) the process is SIGKILLed after step k: mutation k+1 is held by the backend
    /// until the journal shows k outcomes, then the process is killed.
    Kill,
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn output_text(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", stdout(out), stderr(out))
}

/// One case: fault at the k-th mutation (with `--parallelism 1`, step k), then rollback
/// (twice), then apply again. Returns what went wrong.
fn case(template: &Path, fault: Fault, k: usize, parallelism: &str) -> Result<(), String> {
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    let state = dir.join("state");
    std::fs::create_dir_all(&state).expect("mkdir");
    copy_dir(template, &state);
    let b = write_plan(dir, "b", &plan_b());
    let backend = Backend::open(&state);
    backend.start_run("s05");
    backend.start_run("s06");
    let before_live = backend.live();
    ensure!(
        before_live.iter().filter(|l| l.running).count() == 2,
        "two scenes run before the apply"
    );
    let before = normalized(&before_live);
    let mut outputs = Vec::new();

    backend.server.set_faults(match fault {
        Fault::Fail => Faults {
            fail_mutation: Some(k as u64),
            ..Faults::default()
        },
        Fault::Drop => Faults {
            drop_after_mutation: Some(k as u64),
            ..Faults::default()
        },
        Fault::Kill => Faults {
            hold_mutation: Some(k as u64 + 1),
            ..Faults::default()
        },
    });
    let apply = [
        "apply",
        b,
        "--auto-approve",
        "--prune",
        "--parallelism",
        parallelism,
        "--evidence-dir",
        "evidence",
    ];
    match fault {
        Fault::Fail | Fault::Drop => {
            let out = backend.run(dir, &apply);
            outputs.push(output_text(&out));
            let expected = if fault == Fault::Fail { 1 } else { 0 };
            ensure!(
                out.status.code() == Some(expected),
                "apply exit {:?}, expected {expected}\n{}",
                out.status.code(),
                output_text(&out)
            );
            if fault == Fault::Fail {
                ensure!(
                    stderr(&out).contains("ptsplan rollback "),
                    "no undo command\n{}",
                    output_text(&out)
                );
            }
        }
        Fault::Kill => {
            let log = std::fs::File::create(dir.join("apply.log")).expect("log");
            let mut child = backend
                .command(dir, &apply)
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("ptsplan starts");
            // A guard against a hang, not a timed assertion: the apply waits on the held
            // mutation, so the journal reaches k outcomes and stays there.
            let deadline = Instant::now() + Duration::from_secs(120);
            while outcomes_so_far(dir) < k {
                if child.try_wait().expect("wait").is_some() || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
            backend.server.set_faults(Faults::default());
            outputs.push(std::fs::read_to_string(dir.join("apply.log")).unwrap_or_default());
            let seen = outcomes_so_far(dir);
            ensure!(seen == k, "killed after {seen} outcomes, expected {k}");
        }
    }
    let bundle = only_bundle(dir)?;
    let records = journal(&bundle);
    let outcomes = check_journal(&records)?;
    if fault == Fault::Drop {
        ensure!(
            outcomes == STEPS,
            "{outcomes} outcomes after a dropped answer"
        );
        let read = records
            .iter()
            .filter(|r| r["resolved_by_read"] == true)
            .count();
        ensure!(read == 1, "{read} steps decided by reading, expected 1");
    }
    let dups = duplicate_names(&backend.live());
    ensure!(
        dups.is_empty(),
        "duplicate scenes after the apply: {dups:?}"
    );

    // Rollback restores the normalized state exactly; a second rollback changes nothing.
    let bundle_arg = bundle.display().to_string();
    let out = backend.run(dir, &["rollback", &bundle_arg]);
    outputs.push(output_text(&out));
    ensure!(
        out.status.success(),
        "rollback failed\n{}",
        output_text(&out)
    );
    let after_live = backend.live();
    let after = normalized(&after_live);
    if after != before {
        let changed: Vec<&String> = before
            .keys()
            .chain(after.keys())
            .filter(|key| before.get(*key) != after.get(*key))
            .collect();
        return Err(format!(
            "rollback did not restore {changed:?}\n{}",
            output_text(&out)
        ));
    }
    let dups = duplicate_names(&after_live);
    ensure!(dups.is_empty(), "duplicate scenes after rollback: {dups:?}");
    let out = backend.run(dir, &["rollback", &bundle_arg]);
    outputs.push(output_text(&out));
    ensure!(
        out.status.success() && !stdout(&out).contains("… ok"),
        "a second rollback changed something\n{}",
        output_text(&out)
    );
    check_journal(&journal(&bundle))?;

    // Applying again converges (default parallelism).
    let out = backend.run(
        dir,
        &[
            "apply",
            b,
            "--auto-approve",
            "--prune",
            "--evidence-dir",
            "evidence",
        ],
    );
    outputs.push(output_text(&out));
    ensure!(
        out.status.success(),
        "apply again failed\n{}",
        output_text(&out)
    );
    let out = backend.run(dir, &["plan", b, "--prune", "--detailed-exitcode"]);
    outputs.push(output_text(&out));
    ensure!(
        out.status.code() == Some(0),
        "not converged\n{}",
        output_text(&out)
    );
    let live = backend.live();
    let dups = duplicate_names(&live);
    ensure!(dups.is_empty(), "duplicate scenes after apply: {dups:?}");
    let keys: Vec<String> = normalized(&live).into_keys().collect();
    let mut expected: Vec<String> = (1..=6)
        .map(|i| format!("fm/n{i:02}"))
        .chain((1..=6).map(|i| format!("fm/s{i:02}")))
        .chain(["unowned/someone-elses-scene".to_owned()])
        .collect();
    expected.sort();
    ensure!(keys == expected, "scenes after converging: {keys:?}");

    let hits = secret_hits(dir, &outputs);
    ensure!(hits.is_empty(), "secrets found: {hits:?}");
    Ok(())
}

/// The state every case starts from: plan A applied, and a scene of no workspace.
fn template() -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    let state = dir.join("state");
    let a = write_plan(dir, "a", &plan_a());
    let backend = Backend::open(&state);
    let out = backend.run(
        dir,
        &["apply", a, "--auto-approve", "--evidence-dir", "evidence"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    backend.save(foreign_scene());
    drop(backend);
    work
}

/// Issue 6's matrix: for each of the 20 steps, (a) failed, (b) dropped, (c) killed; each
/// case rolled back exactly (twice) and applied again to convergence, no duplicate scene,
/// no secret anywhere.
#[test]
fn fault_matrix() {
    let cases: Vec<(Fault, usize)> = [Fault::Fail, Fault::Drop, Fault::Kill]
        .into_iter()
        .flat_map(|fault| (1..=STEPS).map(move |k| (fault, k)))
        .collect();
    run_cases("fault matrix", &cases, "1");
}

/// The same with steps in parallel (`--parallelism 4`): the k-th mutation the backend
/// receives fails or loses its answer while others of its phase are in flight. Kills are
/// left out: with steps in flight together, "after step k" is not one point.
#[test]
fn faults_while_steps_run_in_parallel() {
    let cases: Vec<(Fault, usize)> = [Fault::Fail, Fault::Drop]
        .into_iter()
        .flat_map(|fault| [2, 5, 9, 12, 17].map(move |k| (fault, k)))
        .collect();
    run_cases("parallel faults", &cases, "4");
}

/// Runs `cases` from one prepared state, two at a time; reports every failure at once.
fn run_cases(what: &str, cases: &[(Fault, usize)], parallelism: &str) {
    let template = template();
    let state = template.path().join("state");
    let cases: Vec<(Fault, usize)> = cases
        .iter()
        .copied()
        // PTSPLAN_FAULT_STEP=K runs the cases of one step only (when investigating).
        .filter(|(_, k)| std::env::var("PTSPLAN_FAULT_STEP").map_or(true, |v| v == k.to_string()))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(fault, k)) = cases.get(i) else {
                        break;
                    };
                    let outcome = std::panic::catch_unwind(|| case(&state, fault, k, parallelism))
                        .unwrap_or_else(|panic| {
                            let text = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                                .unwrap_or_default();
                            Err(format!("panicked: {text}"))
                        });
                    if let Err(error) = outcome {
                        failures
                            .lock()
                            .expect("lock")
                            .push(format!("{fault:?} at step {k}: {error}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    eprintln!(
        "{what}: {} cases run, {} passed",
        cases.len(),
        cases.len() - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------
// Saved plans, the stop-then-update path, secrets.

/// A backend on a fresh state directory with s01…s03 applied and s02 running.
fn three_scenes(dir: &Path) -> Backend {
    let backend = Backend::open(&dir.join("state"));
    let a = write_plan(dir, "a", &plan_yaml(&[("s01", 1), ("s02", 1), ("s03", 1)]));
    let out = backend.run(dir, &["apply", a, "--auto-approve"]);
    assert!(out.status.success(), "{}", output_text(&out));
    backend.start_run("s02");
    backend
}

/// The CI recipe: `plan -o` on the pull request, `apply PLANFILE` on merge, without a
/// prompt; the running scene is stopped, waited for and updated. A saved plan whose live
/// scenes moved is refused with exit 3 and changes nothing.
#[test]
fn a_saved_plan_applies_as_reviewed_and_a_stale_one_is_refused() {
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    let backend = three_scenes(dir);
    let mut outputs = Vec::new();

    let b = write_plan(
        dir,
        "b",
        &plan_yaml(&[("s01", 2), ("s02", 2), ("s03", 1), ("n01", 1)]),
    );
    let out = backend.run(dir, &["plan", b, "-o", "reviewed.plan"]);
    outputs.push(output_text(&out));
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        stdout(&out).contains("is running: it will be stopped, then updated"),
        "{}",
        output_text(&out)
    );

    // Its secrets come from the environment again.
    let out = backend
        .command(dir, &["apply", "reviewed.plan"])
        .env_remove("FM_APP_SECRET")
        .output()
        .expect("runs");
    outputs.push(output_text(&out));
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        stderr(&out).contains("FM_APP_SECRET"),
        "{}",
        output_text(&out)
    );

    // Recognised by its content (not its name), applied without a prompt and without a
    // terminal: it was reviewed.
    let out = backend.run(dir, &["apply", "reviewed.plan"]);
    outputs.push(output_text(&out));
    assert!(out.status.success(), "{}", output_text(&out));
    let text = output_text(&out);
    for line in [
        "stopping scene.s02",
        "updating scene.s02: ok",
        "creating scene.n01: ok",
        "1 created, 2 updated, 0 deleted",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    assert!(backend.live().iter().all(|l| !l.running), "s02 was stopped");
    let out = backend.run(dir, &["plan", b, "--detailed-exitcode"]);
    outputs.push(output_text(&out));
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));

    // Saved, then the live scene changes: refused, exit 3, nothing sent.
    let c = write_plan(
        dir,
        "c",
        &plan_yaml(&[("s01", 3), ("s02", 2), ("s03", 1), ("n01", 1)]),
    );
    let out = backend.run(dir, &["plan", c, "-o", "stale.json"]);
    outputs.push(output_text(&out));
    assert!(out.status.success(), "{}", output_text(&out));
    let d = write_plan(
        dir,
        "d",
        &plan_yaml(&[("s01", 4), ("s02", 2), ("s03", 1), ("n01", 1)]),
    );
    let out = backend.run(dir, &["apply", d, "--auto-approve"]);
    outputs.push(output_text(&out));
    assert!(out.status.success(), "{}", output_text(&out));
    let before = normalized(&backend.live());
    let out = backend.run(dir, &["apply", "stale.json"]);
    outputs.push(output_text(&out));
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let text = stderr(&out);
    assert!(
        text.contains("stale.json is stale")
            && text.contains("scene.s01: was changed")
            && text.contains("Nothing was applied. Plan again (`ptsplan plan -o stale.json`)"),
        "{text}"
    );
    assert_eq!(normalized(&backend.live()), before, "nothing was sent");

    let hits = secret_hits(dir, &outputs);
    assert!(hits.is_empty(), "{hits:?}");
}

/// Every output of plan (every format, verbose request logs, saved plans), apply (paths
/// and saved plan, complete and failed), rollback (explicit and on failure), and every
/// file of every evidence bundle and of the before-images directory: no access key
/// secret, STS token or `${secret.*}` value.
#[test]
fn no_secret_in_any_output_or_file() {
    let work = tempfile::tempdir().expect("dir");
    let dir = work.path();
    let backend = three_scenes(dir);
    let b = write_plan(
        dir,
        "b",
        &plan_yaml(&[("s01", 2), ("s02", 2), ("n01", 1), ("n02", 1)]),
    );
    let mut outputs = Vec::new();
    let mut run = |args: &[&str]| {
        let out = backend.run(dir, args);
        outputs.push(output_text(&out));
        out
    };
    for format in ["text", "markdown", "json"] {
        run(&["plan", b, "--prune", "--format", format, "-vv"]);
    }
    run(&["plan", b, "--prune", "-o", "plan.json"]);
    backend.server.set_faults(Faults {
        fail_mutation: Some(4),
        ..Faults::default()
    });
    let out = run(&["apply", "plan.json", "--rollback-on-failure", "-v"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    backend.server.set_faults(Faults {
        drop_after_mutation: Some(2),
        ..Faults::default()
    });
    let out = run(&["apply", b, "--prune", "--auto-approve", "-v"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let bundles = files(&dir.join("output"));
    let last = bundles
        .iter()
        .filter_map(|f| f.parent())
        .max()
        .expect("a bundle")
        .to_path_buf();
    let out = run(&["rollback", &last.display().to_string(), "-v"]);
    assert!(out.status.success(), "{}", output_text(&out));

    let images = files(&dir.join(".ptsplan").join("before-images"));
    assert!(images.len() >= 2, "before-images were written: {images:?}");
    assert!(
        images.iter().any(|f| std::fs::read_to_string(f)
            .expect("read")
            .contains("${secret.FM_APP_SECRET}")),
        "before-images hold the reference instead of the value"
    );
    assert!(files(&dir.join("output")).len() >= 10);
    let hits = secret_hits(dir, &outputs);
    assert!(hits.is_empty(), "{hits:?}");
}
