//! A small PTS-compatible HTTP server for the client tests.
//!
//! It checks every request's `ACS3-HMAC-SHA256` signature with its own implementation of the
//! algorithm (reference §2.2), written here again with `sha2`/`hmac` and a local
//! percent-encoder, never calling `ptsplan::api::sign`: a bug shared by signer and verifier
//! would otherwise go unnoticed. It serves paged `ListPtsScene`, `GetPtsScene` and
//! `SavePtsScene`, records every request, and injects faults on demand (throttling, 503,
//! slow answers, raw bodies).
//!
//! It runs on its own thread and runtime, so that both async tests and tests of the `ptsplan`
//! binary (a child process) can use it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `x-acs-action`.
    pub action: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
}

/// What the server knows and which faults it injects. Tests set the fields before calling.
#[derive(Default)]
pub struct State {
    /// Access key id → secret.
    pub keys: Mutex<HashMap<String, String>>,
    /// Scenes as `GetPtsScene` returns them (PascalCase JSON objects).
    pub scenes: Mutex<Vec<Value>>,
    /// Every request received, in order.
    pub seen: Mutex<Vec<Seen>>,
    /// Answer the next N requests with `Throttling.User` (HTTP 400, `x-acs-retry-after`).
    pub throttle_next: AtomicUsize,
    /// Answer the next N requests with 503 `ServiceUnavailable`.
    pub unavailable_next: AtomicUsize,
    /// Sleep this long before answering the next N requests.
    pub slow_next: AtomicUsize,
    /// How long a slow answer sleeps.
    pub slow_for: Mutex<Duration>,
    /// Answer every request with this status, content type and body.
    pub raw: Mutex<Option<(u16, &'static str, &'static str)>>,
    in_flight: AtomicUsize,
    /// The most requests handled at once.
    pub max_in_flight: AtomicUsize,
}

impl State {
    /// How many requests named `action` arrived.
    pub fn count(&self, action: &str) -> usize {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|seen| seen.action == action)
            .count()
    }
}

/// A running server; stops when dropped.
pub struct TestServer {
    /// `127.0.0.1:port`.
    pub addr: SocketAddr,
    /// Shared with the handlers.
    pub state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The key the tests sign with.
pub const KEY_ID: &str = "LTAItestkey";
/// Its secret.
pub const KEY_SECRET: &str = "test-secret";

impl TestServer {
    /// Starts a server knowing [`KEY_ID`] and holding `scene_count` scenes.
    pub fn start(scene_count: usize) -> Self {
        let state = Arc::new(State::default());
        state
            .keys
            .lock()
            .expect("lock")
            .insert(KEY_ID.into(), KEY_SECRET.into());
        *state.scenes.lock().expect("lock") = (1..=scene_count)
            .map(|n| {
                json!({
                    "SceneId": format!("S{n:04}"),
                    "SceneName": format!("场景 {n}"),
                    "Status": "Draft",
                    "CreateTime": "2026-01-02 03:04:05",
                    "ModifiedTime": "2026-01-02 03:04:05",
                    "RelationList": [{"RelationName": "login", "ApiList": [
                        {"ApiName": "token", "Method": "POST", "Url": "http://127.0.0.1:9/token"}
                    ]}],
                })
            })
            .collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("address");
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let state = shared.clone();
                            tokio::spawn(async move {
                                let service = service_fn(move |request| {
                                    handle(state.clone(), request)
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        Self {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Answer = Response<Full<Bytes>>;

fn answer(status: u16, body: &Value) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    answer(
        status,
        &json!({"RequestId": "ERR-REQ", "HostId": "127.0.0.1", "Code": code,
                "Message": message, "Success": false, "HttpStatusCode": status}),
    )
}

/// Takes one from a fault counter, if any is left.
fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Answer, Infallible> {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let answer = respond(&state, request).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    Ok(answer)
}

async fn respond(state: &State, request: Request<Incoming>) -> Answer {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    // HTTP/1 clients send `host` as a header; an absolute-form URI carries it instead.
    if !headers.iter().any(|(name, _)| name == "host") {
        if let Some(authority) = parts.uri.authority() {
            headers.push(("host".into(), authority.to_string()));
        }
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(present, _)| present == name)
            .map(|(_, value)| value.clone())
    };
    let form: Vec<(String, String)> = if header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
    {
        url::form_urlencoded::parse(&body).into_owned().collect()
    } else {
        Vec::new()
    };
    // Query and form body merged, as PTS reads parameters.
    let params: Vec<(String, String)> = query.iter().chain(&form).cloned().collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(present, _)| present == name)
            .map(|(_, value)| value.clone())
    };
    let v1 = header("authorization").is_none() && param("SignatureMethod").is_some();
    let action = if v1 {
        param("Action").unwrap_or_default()
    } else {
        header("x-acs-action").unwrap_or_default()
    };
    state.seen.lock().expect("lock").push(Seen {
        action: action.clone(),
        headers: headers.clone(),
    });

    if take(&state.slow_next) {
        let pause = *state.slow_for.lock().expect("lock");
        tokio::time::sleep(pause).await;
    }
    let now = jiff::Timestamp::now();
    let refusal = if v1 {
        verify_v1(state, parts.method.as_str(), &params, now)
    } else {
        verify(state, parts.method.as_str(), &query, &headers, &body, now)
    };
    if let Some(problem) = refusal {
        return problem;
    }
    if let Some((status, content_type, text)) = *state.raw.lock().expect("lock") {
        let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
        *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
        response.headers_mut().insert(
            "content-type",
            hyper::header::HeaderValue::from_static(content_type),
        );
        return response;
    }
    if take(&state.throttle_next) {
        let mut response = error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        );
        response.headers_mut().insert(
            "x-acs-retry-after",
            hyper::header::HeaderValue::from_static("5"),
        );
        return response;
    }
    if take(&state.unavailable_next) {
        return error(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        );
    }

    match action.as_str() {
        "ListPtsScene" => {
            let number: usize = param("PageNumber")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let size: usize = param("PageSize").and_then(|v| v.parse().ok()).unwrap_or(0);
            if number < 1 || !(10..=1000).contains(&size) {
                return error(400, "InvalidParameter", "PageNumber/PageSize out of range");
            }
            let scenes = state.scenes.lock().expect("lock");
            let page: Vec<Value> = scenes
                .iter()
                .skip((number - 1) * size)
                .take(size)
                .map(|scene| {
                    json!({"SceneId": scene["SceneId"], "SceneName": scene["SceneName"],
                           "Status": scene["Status"], "CreateTime": scene["CreateTime"]})
                })
                .collect();
            answer(
                200,
                &json!({"RequestId": format!("LIST-{number}"), "Success": true,
                                "Code": "200", "HttpStatusCode": 200, "SceneViewList": page}),
            )
        }
        "GetPtsScene" => {
            let id = param("SceneId").unwrap_or_default();
            let scenes = state.scenes.lock().expect("lock");
            match scenes.iter().find(|scene| scene["SceneId"] == id.as_str()) {
                Some(scene) => answer(
                    200,
                    &json!({"RequestId": "GET-1", "Success": true,
                                                    "Scene": scene}),
                ),
                None => error(400, "GetPtsSceneFail", "The scene does not exist"),
            }
        }
        "SavePtsScene" => answer(200, &json!({"RequestId": "SAVE-1", "SceneId": "NEW001"})),
        "ModifyPtsScene" => match param("Scene") {
            Some(scene) if serde_json::from_str::<Value>(&scene).is_ok() => {
                answer(200, &json!({"RequestId": "MODIFY-1"}))
            }
            _ => error(400, "MissingParameter", "Scene"),
        },
        _ => error(404, "InvalidAction.NotFound", "Specified api is not found"),
    }
}

/// RFC 3986 percent-encoding, written independently of the crate's: unreserved bytes kept,
/// everything else `%XX` upper-case.
fn enc(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Checks the V3 signature; `Some(answer)` is the gateway's refusal.
fn verify(
    state: &State,
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
    now: jiff::Timestamp,
) -> Option<Answer> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(present, _)| present == name)
            .map(|(_, value)| value.as_str())
    };
    let Some(authorization) = header("authorization") else {
        return Some(error(400, "MissingParameter", "Authorization is missing"));
    };
    let Some(rest) = authorization.strip_prefix("ACS3-HMAC-SHA256 ") else {
        return Some(error(400, "IncompleteSignature", "not ACS3-HMAC-SHA256"));
    };
    let mut fields = HashMap::new();
    for part in rest.split(',') {
        if let Some((key, value)) = part.trim().split_once('=') {
            fields.insert(key, value);
        }
    }
    let (Some(id), Some(signed), Some(signature)) = (
        fields.get("Credential"),
        fields.get("SignedHeaders"),
        fields.get("Signature"),
    ) else {
        return Some(error(
            400,
            "IncompleteSignature",
            "incomplete Authorization",
        ));
    };
    let Some(secret) = state.keys.lock().expect("lock").get(*id).cloned() else {
        return Some(error(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    };
    let signed: Vec<&str> = signed.split(';').collect();
    let mut sorted = signed.clone();
    sorted.sort_unstable();
    if sorted != signed || !signed.contains(&"host") {
        return Some(error(
            400,
            "IncompleteSignature",
            "SignedHeaders must be sorted and hold host",
        ));
    }
    if headers
        .iter()
        .any(|(name, _)| name.starts_with("x-acs-") && !signed.contains(&name.as_str()))
    {
        return Some(error(
            400,
            "IncompleteSignature",
            "an x-acs-* header is not signed",
        ));
    }
    if header("x-acs-content-sha256") != Some(sha256_hex(body).as_str()) {
        return Some(error(
            400,
            "SignatureDoesNotMatch",
            "x-acs-content-sha256 mismatch",
        ));
    }
    let Some(date) = header("x-acs-date").and_then(|d| d.parse::<jiff::Timestamp>().ok()) else {
        return Some(error(400, "MissingParameter", "x-acs-date"));
    };
    if (now.as_second() - date.as_second()).abs() > 15 * 60 {
        return Some(error(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }

    let mut pairs: Vec<(String, String)> = query.iter().map(|(n, v)| (enc(n), enc(v))).collect();
    pairs.sort();
    let canonical_query = pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in &signed {
        let Some(value) = header(name) else {
            return Some(error(
                400,
                "IncompleteSignature",
                "a signed header is missing",
            ));
        };
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let canonical = format!(
        "{method}\n/\n{canonical_query}\n{canonical_headers}\n{}\n{}",
        signed.join(";"),
        sha256_hex(body)
    );
    let string_to_sign = format!("ACS3-HMAC-SHA256\n{}", sha256_hex(canonical.as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    if expected != *signature {
        return Some(error(
            400,
            "SignatureDoesNotMatch",
            &format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        ));
    }
    None
}

/// Checks an RPC v1 (HMAC-SHA1) signature over query and body parameters (reference §2.3).
fn verify_v1(
    state: &State,
    method: &str,
    params: &[(String, String)],
    now: jiff::Timestamp,
) -> Option<Answer> {
    use base64::Engine as _;
    let param = |name: &str| {
        params
            .iter()
            .find(|(present, _)| present == name)
            .map(|(_, value)| value.as_str())
    };
    let (Some(id), Some(signature)) = (param("AccessKeyId"), param("Signature")) else {
        return Some(error(400, "MissingParameter", "AccessKeyId or Signature"));
    };
    let Some(secret) = state.keys.lock().expect("lock").get(id).cloned() else {
        return Some(error(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        ));
    };
    let Some(date) = param("Timestamp").and_then(|d| d.parse::<jiff::Timestamp>().ok()) else {
        return Some(error(400, "MissingParameter", "Timestamp"));
    };
    if (now.as_second() - date.as_second()).abs() > 15 * 60 {
        return Some(error(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .map(|(n, v)| (enc(n), enc(v)))
        .collect();
    pairs.sort();
    let canonical = pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let string_to_sign = format!("{method}&%2F&{}", enc(&canonical));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("any key length");
    mac.update(string_to_sign.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    if expected != signature {
        return Some(error(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        ));
    }
    None
}

#[test]
fn the_verifier_accepts_the_reference_vector_v3_b() {
    // Reference §2.2 V3-B, header-minimal form: proves this verifier is right on its own.
    let state = State::default();
    state
        .keys
        .lock()
        .expect("lock")
        .insert("testid".into(), "testsecret".into());
    let headers: Vec<(String, String)> = [
        ("host", "pts.aliyuncs.com"),
        ("x-acs-action", "ListPtsScene"),
        ("x-acs-content-sha256", &sha256_hex(b"")),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
        ("x-acs-version", "2020-10-20"),
        ("authorization", "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=029a9fa17a4dd6e38422e68b33bba0ec66109fd9e4e680c57d028be59389c99e"),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect();
    let query = [
        ("PageNumber".to_owned(), "1".to_owned()),
        ("PageSize".to_owned(), "10".to_owned()),
    ];
    let now: jiff::Timestamp = "2024-01-01T00:05:00Z".parse().expect("time");
    assert!(verify(&state, "POST", &query, &headers, b"", now).is_none());
    // One changed parameter, an hour later: refused for each reason.
    let changed = [query[0].clone(), ("PageSize".to_owned(), "11".to_owned())];
    let refusal = verify(&state, "POST", &changed, &headers, b"", now).expect("refused");
    assert!(body_text(refusal).contains("SignatureDoesNotMatch"));
    let later: jiff::Timestamp = "2024-01-01T01:00:00Z".parse().expect("time");
    let refusal = verify(&state, "POST", &query, &headers, b"", later).expect("refused");
    assert!(body_text(refusal).contains("InvalidTimeStamp.Expired"));
}

fn body_text(answer: Answer) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let bytes = runtime
        .block_on(answer.into_body().collect())
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}
