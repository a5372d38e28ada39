//! A small HTTP target for the engine tests, on 127.0.0.1:0 in its own thread.
//!
//! | path | answers |
//! |---|---|
//! | `/hello` | 200 JSON `{"data":{"items":[{"id":7},{"id":8}]},"msg":"hello world"}`, header `X-Trace: abc`, cookie `sid=s123` |
//! | `/echo` | 200, body = `query|x-user header|request body` |
//! | `/token` | 200 `{"access_token":"tok-N"}`, a new token valid for the server's token lifetime |
//! | `/order` | 200 with `Authorization: Bearer <valid token>`, else 401 |
//! | `/slow?ms=N` | 200 after N ms |
//! | `/redirect` | 302 to `/hello` |
//! | `/status/N` | status N |

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// What the target has seen.
#[derive(Default)]
pub struct Seen {
    /// Requests per path.
    pub paths: HashMap<String, u64>,
    /// `x-user` header values of `/echo` requests, in order.
    pub users: Vec<String>,
}

/// A running target.
pub struct Target {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Seen>>,
    token_ttl: Arc<Mutex<Duration>>,
}

impl Target {
    /// Starts a target whose tokens live `token_ttl`.
    pub fn start(token_ttl: Duration) -> Target {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let ttl = Arc::new(Mutex::new(token_ttl));
        let tokens: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let state = (seen.clone(), ttl.clone(), tokens);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |req| answer(req, state.clone()));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Target {
            addr,
            seen,
            token_ttl: ttl,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests seen on `path`.
    pub fn count(&self, path: &str) -> u64 {
        self.seen
            .lock()
            .expect("lock")
            .paths
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_ttl(&self, ttl: Duration) {
        *self.token_ttl.lock().expect("lock") = ttl;
    }
}

type State = (
    Arc<Mutex<Seen>>,
    Arc<Mutex<Duration>>,
    Arc<Mutex<HashMap<String, Instant>>>,
);

async fn answer(
    req: Request<Incoming>,
    (seen, ttl, tokens): State,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let user = header("x-user");
    let auth = header("authorization");
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    {
        let mut seen = seen.lock().expect("lock");
        *seen.paths.entry(path.clone()).or_default() += 1;
        if path == "/echo" {
            seen.users.push(user.clone());
        }
    }
    let reply = |status: u16, text: String| {
        Response::builder()
            .status(status)
            .body(Full::new(Bytes::from(text)))
            .expect("response")
    };
    Ok(match path.as_str() {
        "/hello" => Response::builder()
            .header("X-Trace", "abc")
            .header("Set-Cookie", "sid=s123; Path=/")
            .header("Content-Type", "application/json")
            .body(Full::new(Bytes::from_static(
                br#"{"data":{"items":[{"id":7},{"id":8}]},"msg":"hello world"}"#,
            )))
            .expect("response"),
        "/echo" => reply(
            200,
            format!("{query}|{user}|{}", String::from_utf8_lossy(&body)),
        ),
        "/token" => {
            let mut tokens = tokens.lock().expect("lock");
            let token = format!("tok-{}", tokens.len() + 1);
            let lifetime = *ttl.lock().expect("lock");
            tokens.insert(token.clone(), Instant::now() + lifetime);
            reply(200, format!(r#"{{"access_token":"{token}"}}"#))
        }
        "/order" => {
            let token = auth.strip_prefix("Bearer ").unwrap_or("");
            let valid = tokens
                .lock()
                .expect("lock")
                .get(token)
                .is_some_and(|until| Instant::now() < *until);
            if valid {
                reply(200, r#"{"order":"ok"}"#.into())
            } else {
                reply(401, "expired".into())
            }
        }
        "/slow" => {
            let ms = query
                .strip_prefix("ms=")
                .and_then(|m| m.parse().ok())
                .unwrap_or(100);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            reply(200, "slow".into())
        }
        "/redirect" => Response::builder()
            .status(302)
            .header("Location", "/hello")
            .body(Full::new(Bytes::new()))
            .expect("response"),
        p if p.starts_with("/status/") => reply(p[8..].parse().unwrap_or(500), String::new()),
        _ => reply(404, String::new()),
    })
}
