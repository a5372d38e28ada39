//! A small signed PTS client over a raw TCP stream (one request per connection), and ways to
//! start a server: the real binary, or in process with a chosen run driver.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ptsplan::api::sign::{Credential, SigningParams, encode_pairs, v1, v3};
use ptsplan::emulator::{self, Faults, Keys, Options, RunDriver, Server};
use serde_json::Value;

pub const KEY_ID: &str = "LTAItestkey";
pub const SECRET: &str = "testsecret-0123456789";

/// The keys file text for [`KEY_ID`] / [`SECRET`].
pub fn keys_toml() -> String {
    format!("[[access_keys]]\nid = \"{KEY_ID}\"\nsecret = \"{SECRET}\"\n")
}

/// Which signature to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sig {
    V3,
    V1,
}

/// An answer: status, lower-cased headers, JSON body (`Value::Null` if not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub raw: String,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or_default()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self, field: &str) -> String {
        self.body[field].as_str().unwrap_or_default().to_owned()
    }
}

/// A signing client for one server.
#[derive(Debug, Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub credential: Credential,
    pub sig: Sig,
    /// `POST` (as the SDKs send) or `GET` (also accepted by PTS).
    pub method: &'static str,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            credential: Credential::new(KEY_ID, SECRET),
            sig: Sig::V3,
            method: "POST",
        }
    }

    pub fn with_sig(mut self, sig: Sig) -> Client {
        self.sig = sig;
        self
    }

    /// Calls `action` with query parameters, signed now with a fresh nonce.
    pub fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.try_call(action, params, &[], jiff::Timestamp::now(), &fresh_nonce())
            .expect("the server answers")
    }

    /// Calls with everything chosen; `None` when the connection closed without an answer.
    pub fn try_call(
        &self,
        action: &str,
        query: &[(&str, &str)],
        form: &[(&str, &str)],
        time: jiff::Timestamp,
        nonce: &str,
    ) -> Option<Answer> {
        let host = self.addr.to_string();
        let body = encode_pairs(form.iter().copied());
        let signing = SigningParams {
            credential: &self.credential,
            time,
            nonce,
        };
        let form_header = [("content-type", "application/x-www-form-urlencoded")];
        let extra: &[(&str, &str)] = if form.is_empty() { &[] } else { &form_header };
        let (query_text, headers) = match self.sig {
            Sig::V3 => {
                let signed = v3::sign(
                    &v3::V3Request {
                        method: self.method,
                        host: &host,
                        action,
                        version: "2020-10-20",
                        query,
                        headers: extra,
                        body: body.as_bytes(),
                    },
                    &signing,
                );
                let mut headers: Vec<(String, String)> = signed
                    .headers
                    .into_iter()
                    .filter(|(name, _)| name != "host")
                    .collect();
                headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
                (encode_pairs(query.iter().copied()), headers)
            }
            Sig::V1 => {
                let signed = v1::sign(
                    &v1::V1Request {
                        method: self.method,
                        action,
                        version: "2020-10-20",
                        query,
                        body: form,
                    },
                    &signing,
                );
                let pairs: Vec<(&str, &str)> = signed
                    .query
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let headers = extra
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect();
                (encode_pairs(pairs), headers)
            }
        };
        let target = if query_text.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{query_text}")
        };
        send_raw(
            self.addr,
            self.method,
            &target,
            &host,
            &headers,
            body.as_bytes(),
        )
    }
}

/// A random 32-hex nonce.
pub fn fresh_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// Sends one HTTP/1.1 request and reads the whole answer; `None` if the connection closed
/// without one.
pub fn send_raw(
    addr: SocketAddr,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<Answer> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Answer {
        status,
        headers,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
        raw: body.to_owned(),
    })
}

/// A server in this process, on a free port, with its own runtime; stopped on drop.
pub struct InProcess {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl InProcess {
    pub fn start(
        state_dir: &Path,
        driver: Option<Arc<dyn RunDriver>>,
        faults: Faults,
    ) -> InProcess {
        let keys = Keys::from_toml(&keys_toml()).expect("keys");
        let mut options = Options::new(state_dir.to_owned(), keys);
        options.faults = faults;
        if let Some(driver) = driver {
            options.driver = driver;
        }
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
        InProcess {
            addr,
            stop: Some(stop),
            task: Some(task),
            runtime: Some(runtime),
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.addr)
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            // Let the server finish its shutdown (stopping runs writes their reports).
            if let Some(task) = self.task.take() {
                let _ = runtime.block_on(task);
            }
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// The real binary serving `state_dir`; killed (SIGKILL) on drop.
pub struct Spawned {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Spawned {
    pub fn start(state_dir: &Path, keys: &Path, extra: &[&str]) -> Spawned {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ptsplan"))
            .args([
                "emulator",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--state-dir",
            ])
            .arg(state_dir)
            .arg("--keys")
            .arg(keys)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("ptsplan starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader.read_line(&mut first).expect("first line");
        // Keep reading the rest, as a terminal would.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let addr = first
            .trim()
            .strip_prefix("ptsplan emulator listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .parse()
            .expect("address");
        Spawned { child, addr }
    }

    /// SIGKILL, no clean-up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A temporary directory holding the test keys file; returns (dir, keys path, state path).
pub fn workspace() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("keys.toml");
    std::fs::write(&keys, keys_toml()).expect("keys file");
    let state = dir.path().join("state");
    (dir, keys, state)
}

/// A runnable scene as SavePtsScene JSON text.
pub fn scene_json(name: &str) -> String {
    serde_json::json!({
        "SceneName": name,
        "RelationList": [{"RelationName": "chain", "ApiList": [{
            "ApiName": "health", "Url": "http://127.0.0.1:9/health", "Method": "GET",
            "RedirectCountLimit": 0}]}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1,
            "Configuration": {"AllConcurrencyBegin": 1, "AllConcurrencyLimit": 2}}
    })
    .to_string()
}

/// Saves a runnable scene; returns its id.
pub fn save_scene(client: &Client, name: &str) -> String {
    let answer = client.call("SavePtsScene", &[("Scene", &scene_json(name))]);
    assert_eq!(answer.status, 200, "{}", answer.raw);
    answer.text("SceneId")
}
