//! The signed PTS OpenAPI client: one [`Client::call`] for every [`Action`], with signing,
//! timeouts, retries, a shared rate limit and bounded parallelism.
//!
//! A call goes: limiter (slot, then token) → sign (fresh time and nonce per try) → send →
//! read the answer → [`ApiError`] or the action's output. Retries follow [`super::retry`]: a
//! read is repeated on throttling, 5xx and lost answers; a mutation only when it provably
//! never left (connection refused), else the caller gets [`ApiError::OutcomeUnknown`].
//!
//! Nothing secret is logged: a [`RequestRecord`] holds the action's own parameters with the
//! values of secret-looking names redacted, and transport errors are stripped of their URL
//! (which, with v1 signatures, carries the security token).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::endpoint::Endpoint;
use super::error::ApiError;
use super::limit::Limiter;
use super::retry::{RetryPolicy, is_read_only, is_retryable};
use super::sign::{Credential, SigningParams, encode_pairs, v1, v3};
use crate::wire::{
    API_VERSION, Action, ErrorBody, ListPtsScene, Location, Params, Response, SceneView, WireValue,
};

/// Which signature to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// `ACS3-HMAC-SHA256`, what an unmodified official SDK sends.
    #[default]
    V3,
    /// RPC HMAC-SHA1 (`SignatureVersion=1.0`), for servers that only know the old scheme.
    V1,
}

/// Receives one [`RequestRecord`] per try (the CLI prints them with `-v`).
pub type RequestLogger = Arc<dyn Fn(&RequestRecord) + Send + Sync>;

/// How the client behaves. The defaults follow the official SDK's timeouts (connect 5 s,
/// read 10 s) and keep well under PTS's per-account API limits.
#[derive(Clone)]
pub struct ClientOptions {
    /// Signature algorithm.
    pub signature: SignatureVersion,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Longest wait for any read (response headers or body) once sent.
    pub read_timeout: Duration,
    /// Retries and back-off.
    pub retry: RetryPolicy,
    /// Calls in flight at once, across all clones.
    pub parallelism: usize,
    /// Calls per second across all clones; `None` = unlimited.
    pub rate_limit: Option<f64>,
    /// Where request records go.
    pub logger: Option<RequestLogger>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            signature: SignatureVersion::V3,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            parallelism: 4,
            rate_limit: Some(10.0),
            logger: None,
        }
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("signature", &self.signature)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("retry", &self.retry)
            .field("parallelism", &self.parallelism)
            .field("rate_limit", &self.rate_limit)
            .field("logger", &self.logger.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The HTTP client could not be set up (TLS initialisation).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct BuildError(String);

/// A PTS OpenAPI client. Cheap to clone; clones share the connection pool, the rate limit
/// and the parallelism bound.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: Endpoint,
    credential: Credential,
    options: ClientOptions,
    limiter: Limiter,
}

impl fmt::Debug for Client {
    /// Endpoint and key id only: the credential's `Debug` is redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.to_string())
            .field("credential", &self.inner.credential)
            .field("options", &self.inner.options)
            .finish()
    }
}

/// One try of one call, for request logs. Holds no secret.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The action.
    pub action: &'static str,
    /// `scheme://host[:port]`.
    pub endpoint: String,
    /// Try number, from 1.
    pub attempt: u32,
    /// HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The service's request id, when the answer had one.
    pub request_id: Option<String>,
    /// Time from sending to the end of the answer (or the failure).
    pub duration: Duration,
    /// The action's parameters, secret-looking values redacted and long values shortened.
    pub params: Vec<(String, String)>,
    /// The error, if the try failed.
    pub error: Option<String>,
}

/// `ListPtsScene http://127.0.0.1:8080 #1 → 200 request-id R 3 ms {PageNumber=1 PageSize=10}`.
impl fmt::Display for RequestRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} #{} → ", self.action, self.endpoint, self.attempt)?;
        match self.status {
            Some(status) => write!(f, "{status}")?,
            None => f.write_str("no answer")?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " request-id {id}")?;
        }
        write!(f, " {} ms", self.duration.as_millis())?;
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        write!(f, " {{{}}}", params.join(" "))?;
        if let Some(error) = &self.error {
            write!(f, ": {error}")?;
        }
        Ok(())
    }
}

/// The value shown for secret-looking parameters.
pub const REDACTED: &str = "<redacted>";
/// Longest parameter value shown in a request record (scene JSON can be many kilobytes).
const LOGGED_VALUE_CHARS: usize = 120;

/// Whether a parameter name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "secret",
        "token",
        "password",
        "passwd",
        "signature",
        "credential",
        "authorization",
        "privatekey",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// The parameters as a request record shows them.
pub fn redacted_params(params: &Params) -> Vec<(String, String)> {
    params
        .iter()
        .map(|param| {
            let value = if is_secret_name(&param.name) {
                REDACTED.to_owned()
            } else if param.value.chars().count() > LOGGED_VALUE_CHARS {
                let head: String = param.value.chars().take(LOGGED_VALUE_CHARS).collect();
                format!("{head}… ({} bytes)", param.value.len())
            } else {
                param.value.clone()
            };
            (param.name.clone(), value)
        })
        .collect()
}

/// What one try brought back, before interpretation.
struct Raw {
    status: u16,
    retry_after: Option<Duration>,
    body: bytes::Bytes,
}

impl Client {
    /// A client for `endpoint` signing with `credential`.
    pub fn new(
        endpoint: Endpoint,
        credential: Credential,
        options: ClientOptions,
    ) -> Result<Self, BuildError> {
        // ring, not aws-lc-rs: pure Rust and C-compiler light to build. Installing fails
        // harmlessly when a provider is already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(concat!("ptsplan/", env!("CARGO_PKG_VERSION")))
            // PTS does not redirect; following one would re-send a signed POST elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| BuildError(error_chain(&error)))?;
        let limiter = Limiter::new(options.parallelism, options.rate_limit);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                credential,
                options,
                limiter,
            }),
        })
    }

    /// Where the client sends requests.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// Calls an action and returns its output, retrying as [`super::retry`] allows.
    pub async fn call<A: Action>(&self, request: &A) -> Result<A::Output, ApiError> {
        let action = A::ACTION;
        let read_only = is_read_only(action);
        let params = request.to_params();
        let policy = self.inner.options.retry;
        let mut attempt = 1;
        loop {
            match self
                .attempt::<A::Output>(action, &params, read_only, attempt)
                .await
            {
                Err(error) if attempt < policy.max_attempts && is_retryable(&error, read_only) => {
                    let retry_after = match &error {
                        ApiError::Api { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    let jitter = rand::random::<f64>();
                    tokio::time::sleep(policy.delay(attempt, jitter, retry_after)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Every scene summary: `ListPtsScene` page after page until a short page.
    /// `page_size` is kept within the API's 10..1000.
    pub async fn list_all_scenes(&self, page_size: i64) -> Result<Vec<SceneView>, ApiError> {
        let page_size = page_size.clamp(10, 1000);
        paginate(ListPtsScene::ACTION, page_size, |page_number| async move {
            let request = ListPtsScene {
                page_number,
                page_size,
                ..ListPtsScene::default()
            };
            Ok(self.call(&request).await?.scene_view_list)
        })
        .await
    }

    /// One try: wait for the limiter, send, interpret, log.
    async fn attempt<T: WireValue + Default>(
        &self,
        action: &'static str,
        params: &Params,
        read_only: bool,
        attempt: u32,
    ) -> Result<T, ApiError> {
        // The slot covers the exchange only: decoding the answer need not keep the next
        // call waiting.
        let permit = self.inner.limiter.acquire().await;
        let started = Instant::now();
        let raw = self.send(action, params, read_only).await;
        drop(permit);
        // Let the call the slot went to send first: tokio polls a woken task only after the
        // current poll, which would otherwise go on to decode this answer and to whatever
        // the caller does with it, while the next request waits (docs/performance.md).
        tokio::task::yield_now().await;
        let answered = raw.as_ref().ok().map(|raw| raw.status);
        let outcome = raw.and_then(|raw| interpret::<T>(action, &raw));
        if let Some(logger) = &self.inner.options.logger {
            let (status, request_id, error) = match &outcome {
                Ok((_, request_id)) => (answered, request_id.clone(), None),
                Err(error) => {
                    let request_id = match error {
                        ApiError::Api { request_id, .. } => request_id.clone(),
                        _ => None,
                    };
                    (error.http_status(), request_id, Some(error.to_string()))
                }
            };
            logger(&RequestRecord {
                action,
                endpoint: self.inner.endpoint.to_string(),
                attempt,
                status,
                request_id,
                duration: started.elapsed(),
                params: redacted_params(params),
                error,
            });
        }
        outcome.map(|(output, _)| output)
    }

    /// Signs and sends one request; returns the status and the whole body.
    async fn send(
        &self,
        action: &'static str,
        params: &Params,
        read_only: bool,
    ) -> Result<Raw, ApiError> {
        let inner = &*self.inner;
        let query: Vec<(&str, &str)> = params.pairs(Location::Query).collect();
        // The SDK sorts form-body keys.
        let mut form: Vec<(&str, &str)> = params.pairs(Location::Body).collect();
        form.sort_unstable();
        let body = if form.is_empty() {
            String::new()
        } else {
            encode_pairs(form.iter().copied())
        };
        let nonce = format!("{:032x}", rand::random::<u128>());
        let signing = SigningParams {
            credential: &inner.credential,
            time: jiff::Timestamp::now(),
            nonce: &nonce,
        };
        const FORM: &str = "application/x-www-form-urlencoded";
        let content_type: &[(&str, &str)] = if body.is_empty() {
            &[]
        } else {
            &[("content-type", FORM)]
        };

        let (url_query, mut headers) = match inner.options.signature {
            SignatureVersion::V3 => {
                let signed = v3::sign(
                    &v3::V3Request {
                        method: "POST",
                        host: inner.endpoint.authority(),
                        action,
                        version: API_VERSION,
                        query: &query,
                        headers: content_type,
                        body: body.as_bytes(),
                    },
                    &signing,
                );
                (encode_pairs(query.iter().copied()), signed.headers)
            }
            SignatureVersion::V1 => {
                let signed = v1::sign(
                    &v1::V1Request {
                        method: "POST",
                        action,
                        version: API_VERSION,
                        query: &query,
                        body: &form,
                    },
                    &signing,
                );
                let pairs = signed.query.iter().map(|(n, v)| (n.as_str(), v.as_str()));
                let headers = vec![
                    ("x-acs-action".to_owned(), action.to_owned()),
                    ("x-acs-version".to_owned(), API_VERSION.to_owned()),
                ];
                (encode_pairs(pairs), headers)
            }
        };
        headers.extend(
            content_type
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        headers.push(("accept".to_owned(), "application/json".to_owned()));

        let url = if url_query.is_empty() {
            format!("{}/", inner.endpoint)
        } else {
            format!("{}/?{url_query}", inner.endpoint)
        };
        let mut request = inner.http.post(url).body(body);
        for (name, value) in &headers {
            // reqwest writes `host` from the URL, whose authority is the signed value.
            if name != "host" {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let classify = |error: reqwest::Error| self.classify(action, read_only, error);
        let response = request.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("x-acs-retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .filter(|millis| *millis > 0)
            .map(Duration::from_millis);
        let body = response.bytes().await.map_err(classify)?;
        Ok(Raw {
            status,
            retry_after,
            body,
        })
    }

    /// Sorts a transport failure by whether the request may have reached the service.
    fn classify(&self, action: &'static str, read_only: bool, error: reqwest::Error) -> ApiError {
        // The URL is dropped: with v1 signatures it carries the security token.
        let not_sent = error.is_connect() || error.is_builder();
        let cause = error_chain(&error.without_url());
        if not_sent {
            ApiError::Transport {
                action,
                endpoint: self.inner.endpoint.to_string(),
                cause,
            }
        } else if read_only {
            ApiError::Interrupted { action, cause }
        } else {
            ApiError::OutcomeUnknown { action, cause }
        }
    }
}

/// An error and its sources, joined with `: ` (reqwest's own message is terse).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

/// Reads an answer: the output and the request id, or the error it reports. Never panics,
/// whatever the body.
fn interpret<T: WireValue + Default>(
    action: &'static str,
    raw: &Raw,
) -> Result<(T, Option<String>), ApiError> {
    let decode_error = |what: &str, detail: String| ApiError::Decode {
        action,
        http_status: raw.status,
        reason: format!("{what}: {detail}; body: {}", excerpt(&raw.body)),
    };
    if raw.status >= 400 {
        let body: ErrorBody = serde_json::from_slice(&raw.body)
            .map_err(|error| decode_error("expected a JSON error body", error.to_string()))?;
        let Some(code) = body.code() else {
            return Err(decode_error(
                "expected an error body with a Code",
                "none found".into(),
            ));
        };
        return Err(api_error(action, code, &body, raw.status, raw.retry_after));
    }
    let response: Response<T> = serde_json::from_slice(&raw.body)
        .map_err(|error| decode_error("expected a JSON answer", error.to_string()))?;
    let request_id = response.envelope.request_id.clone();
    match response.into_result() {
        Ok(output) => Ok((output, request_id)),
        Err(body) => {
            // A business error with HTTP 200: the status PTS meant is in the body.
            let status = body
                .http_status_code
                .and_then(|status| u16::try_from(status).ok())
                .unwrap_or(raw.status);
            let code = body.code().unwrap_or("UnknownError");
            Err(api_error(action, code, &body, status, raw.retry_after))
        }
    }
}

fn api_error(
    action: &'static str,
    code: &str,
    body: &ErrorBody,
    http_status: u16,
    retry_after: Option<Duration>,
) -> ApiError {
    ApiError::Api {
        action,
        code: code.to_owned(),
        message: body.message().unwrap_or_default().to_owned(),
        request_id: body.request_id().map(str::to_owned),
        http_status,
        retry_after,
    }
}

/// The start of a body, on one line, for error messages.
fn excerpt(body: &[u8]) -> String {
    const CHARS: usize = 120;
    if body.is_empty() {
        return "(empty)".to_owned();
    }
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > CHARS {
        format!("{}…", flat.chars().take(CHARS).collect::<String>())
    } else {
        flat
    }
}

/// Most pages [`paginate`] reads before deciding the server ignores `PageNumber`.
pub const MAX_PAGES: i64 = 1000;

/// Calls `fetch(1)`, `fetch(2)`, … and concatenates the pages until one is shorter than
/// `page_size` (PTS list answers carry no total). `action` names the list in errors.
pub async fn paginate<T, F, Fut>(
    action: &'static str,
    page_size: i64,
    mut fetch: F,
) -> Result<Vec<T>, ApiError>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ApiError>>,
{
    let mut all = Vec::new();
    for page_number in 1..=MAX_PAGES {
        let page = fetch(page_number).await?;
        let short = i64::try_from(page.len()).unwrap_or(i64::MAX) < page_size;
        all.extend(page);
        if short {
            return Ok(all);
        }
    }
    Err(ApiError::Decode {
        action,
        http_status: 200,
        reason: format!(
            "{MAX_PAGES} full pages of {page_size} without an end; the server seems to \
             ignore PageNumber"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Empty, GetPtsSceneOutput, SavePtsScene};

    fn raw(status: u16, body: &str) -> Raw {
        Raw {
            status,
            retry_after: None,
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn any_body_is_an_output_or_a_typed_error() {
        let bodies = [
            "",
            "   ",
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "null",
            "[]",
            "\"text\"",
            "{\"RequestId\":",
            "{\"Scene\": 5}",
            "\u{0}\u{1}\u{2}",
            "{\"Code\": {\"nested\": true}}",
        ];
        for status in [200, 400, 404, 500, 503] {
            for body in bodies {
                match interpret::<GetPtsSceneOutput>("GetPtsScene", &raw(status, body)) {
                    Err(ApiError::Decode { http_status, .. }) => assert_eq!(http_status, status),
                    other => panic!("{status} {body:?}: expected Decode, got {other:?}"),
                }
            }
        }
        let long = "x".repeat(10_000);
        let Err(ApiError::Decode { reason, .. }) = interpret::<Empty>("X", &raw(500, &long)) else {
            panic!("expected Decode");
        };
        assert!(reason.len() < 400, "{reason}");
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(
            status in 100u16..600,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let raw = Raw { status, retry_after: None, body: bytes::Bytes::from(body) };
            let _ = interpret::<GetPtsSceneOutput>("GetPtsScene", &raw);
        }

        #[test]
        fn json_shaped_bodies_never_panic(
            status in proptest::sample::select(vec![200u16, 400, 404, 503]),
            body in r#"\{("(Code|Message|RequestId|Success|HttpStatusCode|Scene|SceneViewList)":(1|-1|1e999|"x"|null|true|\[\]|\{\}|\[null\]|\{"RelationList":1\}),?){0,4}\}"#,
        ) {
            let raw = Raw { status, retry_after: None, body: bytes::Bytes::from(body) };
            let _ = interpret::<GetPtsSceneOutput>("GetPtsScene", &raw);
            let _ = interpret::<crate::wire::ListPtsSceneOutput>("ListPtsScene", &raw);
        }
    }

    #[test]
    fn error_answers_become_api_errors() {
        let gateway = r#"{"RequestId":"R","HostId":"pts.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"nope"}"#;
        let error = interpret::<Empty>("ListPtsScene", &raw(400, gateway)).expect_err("fails");
        assert_eq!(
            error,
            ApiError::Api {
                action: "ListPtsScene",
                code: "SignatureDoesNotMatch".into(),
                message: "nope".into(),
                request_id: Some("R".into()),
                http_status: 400,
                retry_after: None,
            }
        );
        let business = r#"{"RequestId":"R","Success":false,"Code":"GetPtsSceneFail","Message":"m","HttpStatusCode":400}"#;
        let error = interpret::<Empty>("GetPtsScene", &raw(200, business)).expect_err("fails");
        assert_eq!(error.http_status(), Some(400));
        assert_eq!(error.code(), Some("GetPtsSceneFail"));

        let (_, request_id) =
            interpret::<Empty>("X", &raw(200, r#"{"RequestId":"OK1"}"#)).expect("succeeds");
        assert_eq!(request_id.as_deref(), Some("OK1"));
    }

    #[test]
    fn secret_looking_parameters_are_redacted() {
        let mut params = Params::new();
        params.push("SceneId", "S1", Location::Query);
        params.push("SecurityToken", "tok", Location::Query);
        params.push("AccessKeySecret", "sec", Location::Query);
        params.push("Signature", "sig", Location::Query);
        params.push("Scene", "y".repeat(500), Location::Query);
        let shown = redacted_params(&params);
        assert_eq!(shown[0], ("SceneId".into(), "S1".into()));
        for (_, value) in &shown[1..4] {
            assert_eq!(value, REDACTED);
        }
        assert!(shown[4].1.ends_with("… (500 bytes)"), "{}", shown[4].1);
    }

    #[tokio::test]
    async fn debug_never_shows_the_secret() {
        let credential = Credential::new("AKID", "the-secret").with_security_token("the-token");
        let client = Client::new(Endpoint::pts(), credential, ClientOptions::default())
            .expect("client with TLS");
        let shown = format!("{client:?}");
        assert!(shown.contains("AKID"), "{shown}");
        assert!(
            !shown.contains("the-secret") && !shown.contains("the-token"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn refused_connections_are_transport_errors_even_for_mutations() {
        // Bind then drop: the port is (almost certainly) closed. HTTPS proves TLS is built in
        // as far as the connection attempt.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        for scheme in ["http", "https"] {
            let endpoint = Endpoint::parse(&format!("{scheme}://127.0.0.1:{port}")).expect("ok");
            let options = ClientOptions {
                retry: RetryPolicy {
                    max_attempts: 2,
                    base: Duration::from_millis(1),
                    cap: Duration::from_millis(1),
                },
                ..ClientOptions::default()
            };
            let client =
                Client::new(endpoint, Credential::new("id", "secret"), options).expect("client");
            let error = client
                .call(&SavePtsScene::default())
                .await
                .expect_err("refused");
            assert!(matches!(error, ApiError::Transport { .. }), "{error:?}");
        }
    }

    #[tokio::test]
    async fn pagination_stops_at_a_short_page() {
        let pages = std::sync::Mutex::new(vec![]);
        let all = paginate("ListX", 2, |n| {
            pages.lock().expect("lock").push(n);
            async move { Ok(if n < 3 { vec![n, n] } else { vec![n] }) }
        })
        .await
        .expect("pages");
        assert_eq!(all, [1, 1, 2, 2, 3]);
        assert_eq!(*pages.lock().expect("lock"), [1, 2, 3]);

        let empty_last = paginate("ListX", 1, |n| async move {
            Ok(if n < 3 { vec![n] } else { vec![] })
        })
        .await
        .expect("pages");
        assert_eq!(empty_last, [1, 2]);

        let endless = paginate("ListX", 1, |_| async { Ok(vec![0]) }).await;
        assert!(matches!(endless, Err(ApiError::Decode { .. })));
    }
}
