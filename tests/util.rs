//! Shared helpers: running the binary, temporary plan directories.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `ptsplan` command run from `dir`, with colour off and a fixed terminal width so that
/// output is stable.
pub fn ptsplan(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ptsplan"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env_remove("WX_APP_SECRET");
    cmd
}

/// Runs `ptsplan ARGS` from the repository root.
pub fn run(args: &[&str]) -> Output {
    ptsplan(&repo()).args(args).output().expect("ptsplan runs")
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `field` of every object in the JSON array `list` that has it as a string, in order.
pub fn strings<'a>(list: &'a serde_json::Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .map(|items| items.iter().filter_map(|i| i[field].as_str()).collect())
        .unwrap_or_default()
}

/// Standard output then standard error, for assertions and their messages.
pub fn all(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// The bundle directory a command printed (`Evidence: DIR`, the last one), under `dir`.
pub fn bundle(dir: &Path, out: &Output) -> PathBuf {
    let text = all(out);
    let line = text
        .lines()
        .filter_map(|l| l.strip_prefix("Evidence: "))
        .next_back()
        .unwrap_or_else(|| panic!("no evidence line in:\n{text}"));
    dir.join(line.trim())
}

/// The value of `WX_APP_SECRET` given to commands run against a [`Backend`].
pub const SECRET: &str = "wx-app-secret-for-plan-tests";

/// A running `ptsplan emulator serve` on a free loopback port, killed on drop.
pub struct Backend {
    child: Child,
    pub endpoint: String,
    pub key_id: String,
    pub key_secret: String,
    _state: tempfile::TempDir,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the emulator with no faults.
pub fn start_backend() -> Backend {
    start_backend_with(&[])
}

/// Starts the emulator with extra `serve` arguments (e.g. `--fault fail-mutation=2`).
pub fn start_backend_with(extra: &[&str]) -> Backend {
    start_backend_with_env(extra, &[])
}

/// Starts the emulator with extra `serve` arguments and environment variables (e.g.
/// `PTSPLAN_JMETER_HOME`).
pub fn start_backend_with_env(extra: &[&str], env: &[(&str, &str)]) -> Backend {
    let state = tempfile::tempdir().expect("state dir");
    let (child, endpoint, key_id, key_secret) = serve(state.path(), extra, env);
    Backend {
        child,
        endpoint,
        key_id,
        key_secret,
        _state: state,
    }
}

/// Spawns `ptsplan emulator serve` on `state`; the child and its env block.
fn serve(state: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Child, String, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptsplan"))
        .args([
            "emulator",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
        ])
        .arg(state)
        .args(extra)
        .envs(env.iter().copied())
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
    (child, endpoint, key_id, key_secret)
}

impl Backend {
    /// Stops the server, lets `edit` change its state directory (as the PTS console would
    /// change scenes behind ptsplan's back), and starts it again on the same state.
    pub fn restart_with(&mut self, edit: impl FnOnce(&Path)) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        edit(self._state.path());
        let (child, endpoint, key_id, key_secret) = serve(self._state.path(), &[], &[]);
        (self.child, self.endpoint, self.key_id, self.key_secret) =
            (child, endpoint, key_id, key_secret);
    }

    /// The endpoint's `host:port`.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.endpoint
            .trim_start_matches("http://")
            .parse()
            .expect("the endpoint is an address")
    }

    /// `ptsplan` run from `dir` against this backend, with the example plans' secrets
    /// (`WX_APP_SECRET`, `SAMPLE_APP_SECRET`) set.
    pub fn command(&self, dir: &Path) -> Command {
        let mut cmd = ptsplan(dir);
        cmd.env("PTSPLAN_ENDPOINT", &self.endpoint)
            .env("ALICLOUD_ACCESS_KEY_ID", &self.key_id)
            .env("ALICLOUD_ACCESS_KEY_SECRET", &self.key_secret)
            .env("WX_APP_SECRET", SECRET)
            .env("SAMPLE_APP_SECRET", SAMPLE_SECRET)
            .stdin(Stdio::null());
        cmd
    }

    /// `ptsplan ARGS` from `dir` against this backend (see [`Backend::command`]).
    pub fn run(&self, dir: &Path, args: &[&str]) -> Output {
        self.command(dir).args(args).output().expect("ptsplan runs")
    }
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
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

/// The app secret of the sample apps tests start (not the documented demo secret, so that
/// a test can tell the value leaked from the documentation quoting it).
pub const SAMPLE_SECRET: &str = "sample-app-secret-for-tests";

/// A running `ptsplan sample-app` on a free loopback port, killed on drop.
pub struct SampleApp {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Drop for SampleApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SampleApp {
    /// Sends one request (HTTP/1.1, `Connection: close`) and returns the status and the
    /// JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, serde_json::Value) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).expect("a JSON body"))
    }

    /// The process, to signal it.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
}

/// Starts `ptsplan sample-app --listen 127.0.0.1:0 EXTRA…` and waits for its address line.
pub fn start_sample_app(extra: &[&str]) -> SampleApp {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptsplan"))
        .args(["sample-app", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env("SAMPLE_APP_SECRET", SAMPLE_SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sample app starts");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let first = lines
        .next()
        .and_then(Result::ok)
        .expect("the sample app prints its address");
    let addr = first
        .strip_prefix("ptsplan sample-app listening on http://")
        .expect("the first line names the address")
        .to_owned();
    // Keep draining its output: a closed pipe would not stop it, but a full one would block.
    std::thread::spawn(move || lines.for_each(drop));
    SampleApp { child, addr }
}
