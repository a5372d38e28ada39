//! HTTP/1.1 on hyper's connection API directly: one keep-alive connection per virtual user
//! and target, no pool, no per-request DNS. Bodies are always drained (kept only when a
//! step needs them) so the connection can carry the next request.
//!
//! The connection's driver is polled inline by the virtual user's own task while it waits
//! for an answer, instead of running as a task of its own: a request then costs no task
//! switch and no cross-task wake-up (the idle connection needs no driving; a close is seen
//! on the next request).

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, LOCATION};
use hyper::{HeaderMap, Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::stats::Outcome;

/// One open connection: the sending half and its driver.
pub(crate) struct Conn {
    sender: SendRequest<Full<Bytes>>,
    driver: Pin<Box<http1::Connection<TokioIo<TcpStream>, Full<Bytes>>>>,
    /// The driver has finished: the connection is closed.
    closed: bool,
}

impl Conn {
    /// Runs `work` (which uses the sender) while driving the connection.
    async fn drive<T>(&mut self, work: impl AsyncFnOnce(&mut SendRequest<Full<Bytes>>) -> T) -> T {
        let Conn {
            sender,
            driver,
            closed,
        } = self;
        let mut work = pin!(work(sender));
        poll_fn(|cx| {
            if !*closed && driver.as_mut().poll(cx).is_ready() {
                *closed = true;
            }
            work.as_mut().poll(cx)
        })
        .await
    }
}

/// A response after redirects, body drained.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body when kept, else empty.
    pub body: Bytes,
    /// Body bytes received (kept or not).
    pub bytes_in: u64,
}

/// One request as the virtual user built it.
#[derive(Clone)]
pub(crate) struct Outgoing {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Opens a connection to `address`.
pub(crate) async fn connect(address: SocketAddr, timeout: Duration) -> Result<Conn, Outcome> {
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(stream)) => stream,
        _ => return Err(Outcome::Connect),
    };
    // Small requests must not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| Outcome::Connect)?;
    Ok(Conn {
        sender,
        driver: Box::pin(connection),
        closed: false,
    })
}

/// Sends `request` on `conn` (connecting first when needed), following up to `redirects`
/// same-host redirects; the connection is dropped after any failure.
pub(crate) async fn send(
    conn: &mut Option<Conn>,
    address: SocketAddr,
    authority: &str,
    connect_timeout: Duration,
    request: Outgoing,
    redirects: u32,
    keep_body: bool,
) -> Result<Answer, Outcome> {
    let mut left = redirects;
    // A copy is kept only while a redirect may still need to resend the request.
    let mut next = Some(request);
    loop {
        let sender = ready(conn, address, connect_timeout).await?;
        let current = next.take().ok_or(Outcome::Other)?;
        if left > 0 {
            next = Some(current.clone());
        }
        let mut outgoing = Request::new(Full::new(current.body));
        *outgoing.method_mut() = current.method;
        *outgoing.uri_mut() = current.uri;
        *outgoing.headers_mut() = current.headers;
        let keep = keep_body || left > 0;
        let answer = match sender
            .drive(async |s| exchange(s, outgoing, keep).await)
            .await
        {
            Ok(answer) => answer,
            Err(outcome) => {
                *conn = None;
                return Err(outcome);
            }
        };
        let location = answer
            .headers
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| same_host_path(l, authority));
        match location {
            Some(path) if left > 0 && matches!(answer.status, 301 | 302 | 303 | 307 | 308) => {
                left -= 1;
                let request = next.as_mut().ok_or(Outcome::Other)?;
                request.uri =
                    Uri::from_maybe_shared(Bytes::from(path)).map_err(|_| Outcome::Other)?;
                let keeps_method = matches!(answer.status, 307 | 308)
                    || matches!(request.method, Method::GET | Method::HEAD);
                if !keeps_method {
                    request.method = Method::GET;
                    request.body = Bytes::new();
                }
            }
            _ => return Ok(answer),
        }
    }
}

async fn ready(
    conn: &mut Option<Conn>,
    address: SocketAddr,
    timeout: Duration,
) -> Result<&mut Conn, Outcome> {
    if conn
        .as_ref()
        .is_some_and(|c| c.closed || c.sender.is_closed())
    {
        *conn = None;
    }
    if let Some(open) = conn.as_mut() {
        if open.drive(async |s| s.ready().await).await.is_err() {
            *conn = None;
        }
    }
    if conn.is_none() {
        let mut open = connect(address, timeout).await?;
        open.drive(async |s| s.ready().await)
            .await
            .map_err(|_| Outcome::Connect)?;
        *conn = Some(open);
    }
    conn.as_mut().ok_or(Outcome::Connect)
}

async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
    keep_body: bool,
) -> Result<Answer, Outcome> {
    let response = sender
        .send_request(request)
        .await
        .map_err(|_| Outcome::Other)?;
    let (parts, mut body) = response.into_parts();
    let mut bytes_in = 0u64;
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| Outcome::Other)?.into_data() else {
            continue;
        };
        bytes_in += data.len() as u64;
        if !keep_body {
            continue;
        }
        match (&mut first, &mut rest) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut joined = BytesMut::from(&head[..]);
                joined.extend_from_slice(&data);
                rest = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
    }
    let body = match (first, rest) {
        (_, Some(joined)) => joined.freeze(),
        (Some(head), None) => head,
        (None, None) => Bytes::new(),
    };
    Ok(Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        bytes_in,
    })
}

/// The path of a redirect target on the same host, if it is one.
fn same_host_path(location: &str, authority: &str) -> Option<String> {
    if location.starts_with('/') && !location.starts_with("//") {
        return Some(location.to_owned());
    }
    let rest = location.strip_prefix("http://")?.strip_prefix(authority)?;
    match rest.chars().next() {
        None => Some("/".into()),
        Some('/') => Some(rest.to_owned()),
        Some('?') => Some(format!("/{rest}")),
        _ => None,
    }
}

/// The Host header every request carries.
pub(crate) fn host_header(headers: &mut HeaderMap, value: &hyper::header::HeaderValue) {
    headers.insert(HOST, value.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_the_host() {
        assert_eq!(same_host_path("/a?b", "h:1").as_deref(), Some("/a?b"));
        assert_eq!(same_host_path("http://h:1/x", "h:1").as_deref(), Some("/x"));
        assert_eq!(same_host_path("http://h:1", "h:1").as_deref(), Some("/"));
        assert_eq!(same_host_path("http://h:12/x", "h:1"), None);
        assert_eq!(same_host_path("//evil/x", "h:1"), None);
        assert_eq!(same_host_path("https://h:1/x", "h:1"), None);
    }
}
