//! The sample mini-program back end (`ptsplan sample-app`): a target for the quickstart and
//! for trying plans, shipped in the binary so that a new user needs nothing else.
//!
//! It models a WeChat mini-program back end: a token endpoint in the shape of WeChat's
//! `/cgi-bin/token` issuing access tokens that expire, and order APIs that refuse
//! requests whose token is missing, forged or expired.
//!
//! | method and path | answers |
//! |---|---|
//! | `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…`, or `POST` with the same fields as JSON or form body | 200 `{"access_token":"…","expires_in":N}`; 401 `{"errcode":40125,…}` for a wrong app id or secret; 400 `{"errcode":40002,…}` for another grant type |
//! | `GET /api/orders?page=1&size=10` | 200 `{"errcode":0,"errmsg":"ok","data":{"total":N,"page":1,"size":10,"orders":[…]}}` newest first |
//! | `POST /api/orders` with `{"sku":"SKU-1001","quantity":2}` | 201 `{"errcode":0,"errmsg":"ok","data":{"order_id":"1000000000004",…}}`; 400 for an unknown SKU or a quantity outside 1–99 |
//! | `GET /api/orders/{order_id}` | 200 with the order, 404 `{"errcode":40404,…}` if unknown |
//! | `GET /healthz` | 200 `{"status":"ok"}` (no token needed) |
//!
//! The order APIs take the token as `Authorization: Bearer TOKEN` or `?access_token=TOKEN`
//! (WeChat's way) and answer 401 with WeChat's codes: 41001 missing, 40001 invalid,
//! 42001 expired. Every answer is JSON.
//!
//! The logic ([`App::answer`]) is a plain function of the request and the current time, so
//! tests check expiry without waiting; [`serve`] puts it behind hyper.

pub mod orders;
pub mod pressure;
pub mod token;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use orders::Book;
use pressure::{Pressure, PressureOptions};
use token::Issuer;

/// The largest request body read; order bodies are tens of bytes.
const MAX_BODY: usize = 64 * 1024;

/// Orders listed per page when `size` is not given, and the most a page may hold.
const DEFAULT_PAGE: usize = 10;
const MAX_PAGE: usize = 50;

/// How the app behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The mini-program's app id, checked by the token endpoint.
    pub app_id: String,
    /// The app secret, checked by the token endpoint. Never printed.
    pub app_secret: String,
    /// How long an issued token stays valid.
    pub token_ttl: Duration,
    /// Mean delay added to each order API answer (uniformly 0.5–1.5 times this), so that
    /// latency charts have something to show; zero answers at once.
    pub latency: Duration,
    /// Capacity and drift of the order APIs (see [`pressure`]).
    pub pressure: PressureOptions,
}

/// A request as the app reads it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// An answer: a status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    fn ok(status: u16, data: Value) -> Reply {
        Reply {
            status,
            body: json!({ "errcode": 0, "errmsg": "ok", "data": data }),
        }
    }

    fn error(status: u16, errcode: i64, errmsg: impl Into<String>) -> Reply {
        Reply {
            status,
            body: json!({ "errcode": errcode, "errmsg": errmsg.into() }),
        }
    }
}

/// The app: its options, token issuer and orders.
pub struct App {
    options: Options,
    issuer: Issuer,
    book: Mutex<Book>,
    pressure: Pressure,
}

impl App {
    /// A fresh app: a new token key (earlier tokens are invalid) and three seeded orders.
    pub fn new(options: Options) -> App {
        App {
            pressure: Pressure::new(options.pressure),
            options,
            issuer: Issuer::new(),
            book: Mutex::new(Book::seeded(now_ms())),
        }
    }

    /// The options the app runs with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Answers `call` as at `now_ms` (Unix milliseconds).
    pub fn answer(&self, call: &Call<'_>, now_ms: u64) -> Reply {
        let path = call.path.trim_end_matches('/');
        match (call.method, path) {
            (_, "/healthz") => Reply {
                status: 200,
                body: json!({ "status": "ok" }),
            },
            ("GET" | "POST", "/cgi-bin/token") => self.token(call, now_ms),
            (_, "/cgi-bin/token") => method_not_allowed("GET or POST"),
            (_, p) if p == "/api/orders" || p.starts_with("/api/orders/") => {
                let token = bearer(call.authorization)
                    .or_else(|| param(&form_pairs(call.query.as_bytes()), "access_token"));
                if let Err(refusal) = self.issuer.check(token.as_deref(), now_ms) {
                    let (errcode, errmsg) = refusal.errcode();
                    return Reply::error(401, errcode, errmsg);
                }
                self.orders(call, p, now_ms)
            }
            _ => Reply::error(404, 40400, format!("no API at {}", call.path)),
        }
    }

    fn token(&self, call: &Call<'_>, now_ms: u64) -> Reply {
        let fields = if call.method == "GET" {
            form_pairs(call.query.as_bytes())
        } else if is_json(call.content_type) || call.body.first() == Some(&b'{') {
            match serde_json::from_slice::<Value>(call.body) {
                Ok(Value::Object(map)) => map
                    .into_iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => (k, s),
                        other => (k, other.to_string()),
                    })
                    .collect(),
                _ => return Reply::error(400, 47001, "data format error: expected a JSON object"),
            }
        } else {
            let mut fields = form_pairs(call.query.as_bytes());
            fields.extend(form_pairs(call.body));
            fields
        };
        match param(&fields, "grant_type").as_deref() {
            Some("client_credential") => {}
            _ => return Reply::error(400, 40002, "invalid grant_type"),
        }
        if param(&fields, "appid").as_deref() != Some(self.options.app_id.as_str()) {
            return Reply::error(401, 40013, "invalid appid");
        }
        let secret = param(&fields, "secret").unwrap_or_default();
        if !token::constant_time_eq(secret.as_bytes(), self.options.app_secret.as_bytes()) {
            return Reply::error(401, 40125, "invalid appsecret");
        }
        let ttl_ms = u64::try_from(self.options.token_ttl.as_millis()).unwrap_or(u64::MAX);
        let access_token = self.issuer.issue(now_ms.saturating_add(ttl_ms));
        Reply {
            status: 200,
            body: json!({
                "access_token": access_token,
                "expires_in": ttl_ms.div_ceil(1000),
            }),
        }
    }

    fn orders(&self, call: &Call<'_>, path: &str, now_ms: u64) -> Reply {
        // A poisoned lock only means another request panicked mid-update; the book is
        // still consistent enough to serve a sample.
        let mut book = self.book.lock().unwrap_or_else(|e| e.into_inner());
        match (call.method, path.strip_prefix("/api/orders/")) {
            ("GET", None) => {
                let query = form_pairs(call.query.as_bytes());
                let number = |name: &str, default: usize| {
                    param(&query, name)
                        .and_then(|v| v.parse::<usize>().ok())
                        .filter(|&n| n >= 1)
                        .unwrap_or(default)
                };
                let page = number("page", 1);
                let size = number("size", DEFAULT_PAGE).min(MAX_PAGE);
                let (orders, total) = book.page(page, size);
                let orders: Vec<Value> = orders.into_iter().map(|o| o.to_json()).collect();
                Reply::ok(
                    200,
                    json!({ "total": total, "page": page, "size": size, "orders": orders }),
                )
            }
            ("POST", None) => {
                let Ok(body) = serde_json::from_slice::<Value>(call.body) else {
                    return Reply::error(400, 47001, "data format error: expected a JSON body");
                };
                let Some(sku) = body.get("sku").and_then(Value::as_str) else {
                    return Reply::error(400, 40003, "sku is required");
                };
                let quantity = match body.get("quantity") {
                    None => Some(1),
                    Some(Value::Number(n)) => n.as_u64(),
                    Some(Value::String(s)) => s.parse().ok(),
                    Some(_) => None,
                };
                let Some(quantity) = quantity
                    .filter(|q| (1..=99).contains(q))
                    .and_then(|q| u32::try_from(q).ok())
                else {
                    return Reply::error(
                        400,
                        40003,
                        "quantity must be a whole number from 1 to 99",
                    );
                };
                match book.create(sku, quantity, now_ms) {
                    Some(order) => Reply::ok(201, order.to_json()),
                    None => Reply::error(400, 40004, format!("unknown sku {sku}")),
                }
            }
            ("GET", Some(id)) => match id.parse::<u64>().ok().and_then(|id| book.get(id)) {
                Some(order) => Reply::ok(200, order.to_json()),
                None => Reply::error(404, 40404, format!("no order {id}")),
            },
            (_, None) => method_not_allowed("GET or POST"),
            (_, Some(_)) => method_not_allowed("GET"),
        }
    }
}

fn method_not_allowed(allowed: &str) -> Reply {
    Reply::error(405, 40500, format!("method not allowed; use {allowed}"))
}

fn bearer(authorization: Option<&str>) -> Option<String> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.to_ascii_lowercase().contains("json"))
}

fn form_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Serves `app` on `listener` until `shutdown` completes. Connections still open then are
/// dropped with the runtime.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of descriptors, or a connection reset before accept: keep serving.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(app.clone(), request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    app: Arc<App>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let reply = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => {
            let body = body.to_bytes();
            let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
            let call = Call {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                query: parts.uri.query().unwrap_or(""),
                authorization: header(hyper::header::AUTHORIZATION),
                content_type: header(hyper::header::CONTENT_TYPE),
                body: &body,
            };
            let latency = app.options.latency;
            if call.path.starts_with("/api/") {
                if !latency.is_zero() {
                    tokio::time::sleep(latency.mul_f64(0.5 + rand::random::<f64>())).await;
                }
                app.pressure.serve().await;
            }
            app.answer(&call, now_ms())
        }
        Err(_) => Reply::error(413, 41300, "request body too large or broken"),
    };
    let body = serde_json::to_vec(&reply.body).unwrap_or_default();
    let response = Response::builder()
        .status(reply.status)
        .header(
            hyper::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .body(Full::new(Bytes::from(body)));
    // Status codes come from this module and are all valid.
    Ok(response.unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

#[cfg(test)]
mod tests;
