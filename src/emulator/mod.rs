//! The PTS-compatible local backend: the PTS OpenAPI 2020-10-20 over HTTP, signed like the
//! cloud, with state on disk. `ptsplan emulator serve` runs it alone for any PTS client (the
//! official SDKs included); the CLI embeds it as the default backend when no cloud
//! credentials are configured, and talks to it through the same signed client as to PTS.
//!
//! # Layout
//!
//! | module | holds |
//! |---|---|
//! | `http` | request parsing: query and form body merged, V3 header detection |
//! | `auth` | [`Keys`], v1/V3 verification, clock window, nonce replay cache |
//! | `store` | the state directory: one JSON file per object, atomic writes, in-memory index |
//! | `ids` | PTS-like ids and times |
//! | `faults` | [`Faults`]: injected latency, errors, throttling, failed or dropped mutations |
//! | `oss` | the OSS subset (put/head/get objects, V1-signed) for data files, and their lookup for runs |
//! | `runs` | [`RunDriver`], the seam to the load engine, and run records |
//! | `jmeter` | running JMeter scenes with a local Apache JMeter ([`JMeterSetup`]): run folder, process, JTL figures |
//! | `handlers` | one file per action group, and the dispatch table from action name to handler |
//!
//! # A request's path
//!
//! ```text
//! TCP ─hyper─▶ http::Incoming ─auth::verify─▶ action + version ─faults─▶ handlers::route
//!                                                                            │
//!             JSON answer (envelope + fields, or PTS error body) ◀── handler ┘── store
//! ```
//!
//! Every answer is JSON: the SDK fails to parse anything else. Handlers run on the blocking
//! pool (they write files), so the async side only moves bytes.
//!
//! # Use
//!
//! The caller binds and owns shutdown (as in mini-redis):
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ptsplan::emulator::{self, Keys, Options, Server};
//! let (listener, address) = emulator::bind("127.0.0.1:0").await?;
//! let server = Server::open(Options::new(".ptsplan/local".into(), Keys::generate()))?;
//! println!("PTS endpoint: {address}");
//! emulator::serve(listener, server, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

mod auth;
mod faults;
mod handlers;
mod http;
mod ids;
mod jmeter;
mod oss;
mod runs;
mod store;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

pub use auth::{AccessKey, CLOCK_WINDOW, Keys, KeysError};
pub use faults::{FaultSpecError, Faults};
pub use handlers::actions;
pub use jmeter::JMeterSetup;
pub use runs::{Engine, RunDriver, RunError, RunHandle, RunOptions, RunOutcome};
pub use store::StoreError;

use crate::wire::{API_VERSION, ErrorBody, ParamError};

/// The admin path for faults (`GET` shows them, `PUT`/`POST` a JSON [`Faults`] replaces them).
pub const FAULTS_PATH: &str = "/_emulator/faults";

/// The file under the state directory holding the generated key pair.
pub const GENERATED_KEYS_FILE: &str = "keys.toml";

/// What a server is made of.
pub struct Options {
    /// The state directory (created if needed).
    pub state_dir: PathBuf,
    /// The access keys accepted.
    pub keys: Keys,
    /// Faults in force at start.
    pub faults: Faults,
    /// What runs scenes: the local [`Engine`] (tests may plug in their own).
    pub driver: Arc<dyn RunDriver>,
    /// Hosts besides loopback that runs may send traffic to.
    pub allow_hosts: Vec<String>,
    /// Where Apache JMeter is, for JMeter scenes (by default from `PTSPLAN_JMETER_HOME`).
    pub jmeter: JMeterSetup,
}

/// The embedded default's state directory, relative to the project root.
pub const EMBEDDED_STATE_DIR: &str = ".ptsplan/local";

impl Options {
    /// The embedded default: state in `state_dir` (by default `<project>/.ptsplan/local`),
    /// with the key pair generated there on first use (`keys.toml`, mode 0600) so that the
    /// CLI's signed client and the server agree across runs. Returns the options and the
    /// key the client signs with.
    pub fn embedded(state_dir: &Path) -> Result<(Options, AccessKey), KeysError> {
        let (keys, _) = Keys::load_or_generate(&state_dir.join(GENERATED_KEYS_FILE))?;
        let key = keys
            .first()
            .cloned()
            .ok_or_else(|| KeysError::Invalid("the keys file holds no key".into()))?;
        Ok((Options::new(state_dir.to_path_buf(), keys), key))
    }

    /// A server on `state_dir` accepting `keys`, no faults, running scenes with the engine.
    pub fn new(state_dir: PathBuf, keys: Keys) -> Options {
        Options {
            state_dir,
            keys,
            faults: Faults::default(),
            driver: Arc::new(Engine),
            allow_hosts: Vec::new(),
            jmeter: JMeterSetup::from_env(),
        }
    }
}

/// An error answer, before it is written: PTS's code, message and HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub code: String,
    pub message: String,
    pub status: u16,
    /// Sent as `x-acs-retry-after` (throttling).
    pub retry_after_ms: Option<u64>,
    /// Made by fault injection, not by the request.
    pub injected: bool,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>, status: u16) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
            status,
            retry_after_ms: None,
            injected: false,
        }
    }

    /// A server-side failure (a state file that could not be written).
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            "InternalError",
            format!("The request processing has failed due to some unknown error: {what}"),
            500,
        )
    }
}

impl From<ParamError> for ApiError {
    fn from(error: ParamError) -> ApiError {
        ApiError::new(error.code(), error.to_string(), 400)
    }
}

/// The shared state behind every connection.
pub(crate) struct Shared {
    pub store: store::Store,
    keys: Keys,
    nonces: auth::NonceCache,
    pub faults: faults::FaultState,
    pub driver: Arc<dyn RunDriver>,
    pub runs: runs::ActiveRuns,
    pub allow_hosts: Vec<String>,
    pub jmeter: JMeterSetup,
    pub jmeter_runs: jmeter::ActiveRuns,
}

/// A local PTS backend, ready to serve. Cheap to clone.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
}

impl Server {
    /// Opens the state directory. Runs that were going when the previous server stopped are
    /// marked interrupted and their scenes return to `WaitStart`: an engine run does not
    /// survive its process.
    pub fn open(options: Options) -> Result<Server, StoreError> {
        let store = store::Store::open(&options.state_dir)?;
        handlers::lifecycle::recover(&store)
            .and_then(|()| handlers::jmeter_runs::recover(&store))
            .map_err(|source| StoreError::Io {
                path: options.state_dir.clone(),
                source,
            })?;
        Ok(Server {
            shared: Arc::new(Shared {
                store,
                keys: options.keys,
                nonces: auth::NonceCache::default(),
                faults: faults::FaultState::new(options.faults),
                driver: options.driver,
                runs: runs::ActiveRuns::default(),
                allow_hosts: options.allow_hosts,
                jmeter: options.jmeter,
                jmeter_runs: jmeter::ActiveRuns::default(),
            }),
        })
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        self.shared.store.root()
    }

    /// Replaces the faults in force (as `PUT /_emulator/faults` does).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults.set(faults);
    }
}

/// Binds a listener (e.g. `127.0.0.1:0` for a free port) and returns it with the address it
/// got, for in-process use and for printing the endpoint.
pub async fn bind(address: &str) -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves `listener` until `shutdown` completes, then lets open connections finish their
/// request (up to 5 s) and stops runs still going (their reports are written).
pub async fn serve(
    listener: TcpListener,
    server: Server,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let reaper = {
        let shared = server.shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let shared = shared.clone();
                let _ =
                    tokio::task::spawn_blocking(move || handlers::lifecycle::reap(&shared)).await;
            }
        })
    };
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of descriptors or a connection reset before accept: keep serving.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let shared = server.shared.clone();
                let mut stop = stop_rx.clone();
                connections.spawn(async move {
                    let service = service_fn(move |request| handle(shared.clone(), request));
                    let connection = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = &mut connection => {}
                        _ = stop.changed() => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = stop_tx.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(5), drained).await;
    connections.abort_all();
    reaper.abort();
    let shared = server.shared.clone();
    let _ = tokio::task::spawn_blocking(move || handlers::lifecycle::stop_all(&shared)).await;
    Ok(())
}

/// The connection is closed without an answer (an injected fault).
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped after the mutation was committed (injected fault)")
    }
}

impl std::error::Error for Dropped {}

/// One HTTP exchange.
async fn handle(
    shared: Arc<Shared>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let request_id = ids::request_id();
    let object = oss::is_object_request(&parts.method, parts.uri.path());
    let limit = if object {
        oss::MAX_OBJECT
    } else {
        http::MAX_BODY
    };
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let error = ApiError::new(
                "InvalidParameter",
                format!("The request body is unreadable or larger than {limit} bytes."),
                400,
            );
            return Ok(error_response(&error, &request_id, None));
        }
    };
    if parts.uri.path() == FAULTS_PATH {
        return Ok(admin_faults(&shared, &parts.method, &body, &request_id));
    }
    if object {
        let path = parts.uri.path().to_owned();
        let incoming = http::Incoming::new(&parts, body);
        let worker = shared.clone();
        let answered = tokio::task::spawn_blocking(move || {
            oss::respond(
                worker.store.root(),
                &worker.keys,
                &path,
                &incoming,
                &request_id,
                jiff::Timestamp::now(),
            )
        })
        .await;
        return Ok(answered.unwrap_or_else(|_| {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }));
    }
    let latency = shared.faults.latency();
    let incoming = http::Incoming::new(&parts, body);
    let host = incoming.header("host").map(str::to_owned);
    let worker = shared.clone();
    let answered = tokio::task::spawn_blocking(move || {
        // The injected latency is slept here, on the blocking thread that answers anyway:
        // a thread sleeps to within a fraction of a millisecond, where tokio's timer rounds
        // up to the next millisecond tick (20 ms asked came out as ≈ 21 ms).
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        respond(&worker, &incoming)
    })
    .await;
    match answered {
        Ok(Ok((value, drop))) => {
            if drop {
                return Err(Dropped);
            }
            Ok(success_response(value, &request_id))
        }
        Ok(Err(error)) => Ok(error_response(&error, &request_id, host.as_deref())),
        // A handler panicked: a bug, but still a JSON answer.
        Err(_) => Ok(error_response(
            &ApiError::internal("handler failure"),
            &request_id,
            host.as_deref(),
        )),
    }
}

/// Authenticates, routes and runs one request; the answer's fields, and whether to drop the
/// connection instead of answering.
fn respond(
    shared: &Shared,
    incoming: &http::Incoming,
) -> Result<(serde_json::Value, bool), ApiError> {
    auth::verify(
        incoming,
        &shared.keys,
        &shared.nonces,
        jiff::Timestamp::now(),
    )?;
    let action = incoming
        .action()
        .filter(|action| !action.is_empty())
        .ok_or(ParamError::Missing("Action"))?;
    let version = incoming.version().ok_or(ParamError::Missing("Version"))?;
    if version != API_VERSION {
        return Err(ParamError::Invalid {
            name: "Version",
            reason: format!("this server speaks {API_VERSION}"),
        }
        .into());
    }
    let route = handlers::route(action).ok_or_else(|| {
        ApiError::new(
            "InvalidAction.NotFound",
            format!("Specified api is not found, please check your url and method: {action}."),
            404,
        )
    })?;
    shared.faults.before(action)?;
    let fault = if route.mutates {
        shared.faults.mutation()?
    } else {
        faults::MutationFault::None
    };
    if let faults::MutationFault::Hold(generation) = fault {
        return Err(shared.faults.hold(generation));
    }
    let drop = fault == faults::MutationFault::DropAfter;
    handlers::lifecycle::reap(shared);
    let value = (route.handler)(shared, &incoming.params())?;
    Ok((value, drop))
}

/// `GET`/`PUT`/`POST /_emulator/faults`.
fn admin_faults(
    shared: &Shared,
    method: &hyper::Method,
    body: &[u8],
    request_id: &str,
) -> Response<Full<Bytes>> {
    if method == hyper::Method::PUT || method == hyper::Method::POST {
        let faults: Faults = match serde_json::from_slice(body) {
            Ok(faults) => faults,
            Err(error) => {
                let error = ApiError::new("InvalidParameter", format!("faults: {error}"), 400);
                return error_response(&error, request_id, None);
            }
        };
        if let Err(reason) = faults.check() {
            let error = ApiError::new("InvalidParameter", format!("faults: {reason}"), 400);
            return error_response(&error, request_id, None);
        }
        shared.faults.set(faults);
    }
    let value = serde_json::to_value(shared.faults.get()).unwrap_or_default();
    json_response(StatusCode::OK, &value, request_id)
}

fn success_response(value: serde_json::Value, request_id: &str) -> Response<Full<Bytes>> {
    let envelope = crate::wire::Envelope::success(request_id);
    let mut object = match serde_json::to_value(envelope) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    if let serde_json::Value::Object(fields) = value {
        object.extend(fields);
    }
    json_response(
        StatusCode::OK,
        &serde_json::Value::Object(object),
        request_id,
    )
}

fn error_response(error: &ApiError, request_id: &str, host: Option<&str>) -> Response<Full<Bytes>> {
    let mut body = ErrorBody::new(&error.code, &error.message, error.status);
    body.request_id = Some(request_id.to_owned());
    body.host_id = Some(host.unwrap_or("pts.aliyuncs.com").to_owned());
    body.recommend = Some(format!(
        "https://api.aliyun.com/troubleshoot?q={}&product=PTS",
        error.code
    ));
    let value = serde_json::to_value(body).unwrap_or_default();
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, &value, request_id);
    let headers = response.headers_mut();
    if let Some(retry) = error.retry_after_ms {
        headers.insert("x-acs-retry-after", retry.into());
    }
    if error.injected {
        headers.insert(
            "x-ptsplan-fault",
            hyper::header::HeaderValue::from_static("injected"),
        );
    }
    response
}

fn json_response(
    status: StatusCode,
    value: &serde_json::Value,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(value) = hyper::header::HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_options_keep_their_generated_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join(EMBEDDED_STATE_DIR);
        let (options, key) = Options::embedded(&state).expect("embedded");
        assert_eq!(options.state_dir, state);
        let (_, again) = Options::embedded(&state).expect("again");
        assert_eq!(key, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir
                .path()
                .join(EMBEDDED_STATE_DIR)
                .join(GENERATED_KEYS_FILE);
            let mode = std::fs::metadata(file)
                .expect("keys file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
