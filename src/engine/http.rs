//! HTTP/1.1 for the hot path: one keep-alive connection per virtual user and target, no
//! pool, no per-request DNS, no task per connection.
//!
//! Requests are written straight from the step's parts into a buffer the connection keeps,
//! and answers are parsed in place with `httparse` — the framing (Content-Length, chunked,
//! read-to-close) is the few lines below. hyper's connection API cost about 1.3–1.7× wrk's
//! CPU per request here (docs/performance.md): a request on it allocates the request, a
//! header map for the answer, a oneshot channel and a dispatch through the connection
//! driver. Here the answer's header map is built only when a step reads headers (header
//! and cookie exports and checkpoints, samples), and bodies are kept only when a step
//! reads them; they are always drained so the connection can carry the next request.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use hyper::header::{HOST, HeaderName, HeaderValue, LOCATION};
use hyper::{HeaderMap, Method, Uri};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::stats::Outcome;

/// The most header lines an answer may have.
const MAX_HEADERS: usize = 100;
/// Header lines most answers fit in: parsing starts with room for this many, since
/// preparing room for [`MAX_HEADERS`] on every answer costs more than parsing it.
const USUAL_HEADERS: usize = 16;
/// The largest header block accepted before the answer is treated as broken.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 16 * 1024;
/// Bodies up to this size go out in the same write as the head.
const INLINE_BODY: usize = 16 * 1024;

/// One open connection and the buffers it reuses.
pub(crate) struct Conn {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    input: BytesMut,
    /// The request being written.
    output: Vec<u8>,
    /// At least one exchange completed on it (a close before the answer may then be a
    /// keep-alive timeout of the server, and is retried once on a new connection).
    reused: bool,
}

/// A response after redirects, body drained.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    /// The answer's headers when the step reads them, else empty.
    pub headers: HeaderMap,
    /// The body when kept, else empty.
    pub body: Bytes,
    /// Body bytes received (kept or not).
    pub bytes_in: u64,
}

/// One request as the virtual user built it.
#[derive(Clone, Default)]
pub(crate) struct Outgoing {
    pub method: Method,
    pub uri: Uri,
    /// The step's headers, sent in this order after `Host` (the target's authority, unless
    /// these have a `Host` of their own).
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Outgoing {
    /// All the headers the request carries to a target whose Host is `host` (for sample
    /// logs).
    pub(crate) fn all_headers(&self, host: &HeaderValue) -> HeaderMap {
        let mut all = self.headers.clone();
        if !all.contains_key(HOST) {
            all.insert(HOST, host.clone());
        }
        all
    }
}

/// What the caller keeps of an answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keep {
    /// The body.
    pub body: bool,
    /// The headers.
    pub headers: bool,
}

/// Opens a connection to `address`.
pub(crate) async fn connect(address: SocketAddr, timeout: Duration) -> Result<Conn, Outcome> {
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(stream)) => stream,
        _ => return Err(Outcome::Connect),
    };
    // Small requests must not wait for Nagle.
    let _ = stream.set_nodelay(true);
    Ok(Conn {
        stream,
        input: BytesMut::with_capacity(READ_CHUNK),
        output: Vec::with_capacity(1024),
        reused: false,
    })
}

/// Sends `request` on `conn` (connecting first when needed), following up to `redirects`
/// same-host redirects (which rewrite `request` in place); the connection is dropped after
/// any failure and whenever the server says it will close it.
pub(crate) async fn send(
    conn: &mut Option<Conn>,
    address: SocketAddr,
    authority: &str,
    connect_timeout: Duration,
    request: &mut Outgoing,
    redirects: u32,
    keep: Keep,
) -> Result<Answer, Outcome> {
    let mut left = redirects;
    loop {
        let following = left > 0;
        let (answer, location) = exchange_retrying(
            conn,
            address,
            authority,
            connect_timeout,
            request,
            keep,
            following,
        )
        .await?;
        let target = location
            .as_deref()
            .and_then(|l| same_host_path(l, authority));
        match target {
            Some(path) if following && matches!(answer.status, 301 | 302 | 303 | 307 | 308) => {
                left -= 1;
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

/// One exchange, on the open connection or a new one; a reused connection that the server
/// closed before answering is replaced once, for methods that are safe to resend.
async fn exchange_retrying(
    conn: &mut Option<Conn>,
    address: SocketAddr,
    authority: &str,
    connect_timeout: Duration,
    request: &Outgoing,
    keep: Keep,
    following: bool,
) -> Result<(Answer, Option<String>), Outcome> {
    let mut retried = false;
    loop {
        if conn.is_none() {
            *conn = Some(connect(address, connect_timeout).await?);
        }
        let open = conn.as_mut().ok_or(Outcome::Connect)?;
        let reused = open.reused;
        match open.exchange(authority, request, keep, following).await {
            Ok((answer, location, reusable)) => {
                if reusable {
                    open.reused = true;
                } else {
                    *conn = None;
                }
                return Ok((answer, location));
            }
            Err(failure) => {
                *conn = None;
                let resend =
                    reused && !retried && failure.before_answer && idempotent(&request.method);
                if !resend {
                    return Err(failure.outcome);
                }
                retried = true;
            }
        }
    }
}

/// Methods RFC 9110 §9.2.2 allows a client to resend.
fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Why an exchange failed, and whether any of the answer had arrived.
#[derive(Debug)]
struct Failure {
    outcome: Outcome,
    before_answer: bool,
}

impl Failure {
    fn broken(before_answer: bool) -> Failure {
        Failure {
            outcome: Outcome::Other,
            before_answer,
        }
    }
}

/// How the body of an answer is delimited (RFC 9112 §6.3).
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

impl Conn {
    /// Writes `request` for the target at `authority`, reads its answer; also says whether
    /// the connection stays usable.
    async fn exchange(
        &mut self,
        authority: &str,
        request: &Outgoing,
        keep: Keep,
        following: bool,
    ) -> Result<(Answer, Option<String>, bool), Failure> {
        self.write_request(authority, request)
            .await
            .map_err(|_| Failure::broken(true))?;
        let head = self.read_head(keep.headers, following).await?;
        let framing = if request.method == Method::HEAD || head.status == 204 || head.status == 304
        {
            Framing::Empty
        } else if head.chunked {
            Framing::Chunked
        } else if let Some(length) = head.length {
            Framing::Length(length)
        } else {
            Framing::UntilClose
        };
        let reusable = !head.close && !matches!(framing, Framing::UntilClose);
        let (body, bytes_in) = self
            .read_body(framing, keep.body)
            .await
            .map_err(|_| Failure::broken(false))?;
        let answer = Answer {
            status: head.status,
            headers: head.headers,
            body,
            bytes_in,
        };
        Ok((answer, head.location, reusable))
    }

    async fn write_request(&mut self, authority: &str, request: &Outgoing) -> std::io::Result<()> {
        let out = &mut self.output;
        out.clear();
        out.extend_from_slice(request.method.as_str().as_bytes());
        out.push(b' ');
        let target = request.uri.path_and_query().map_or("/", |p| p.as_str());
        out.extend_from_slice(if target.is_empty() {
            b"/"
        } else {
            target.as_bytes()
        });
        out.extend_from_slice(b" HTTP/1.1\r\n");
        if !request.headers.contains_key(HOST) {
            out.extend_from_slice(b"host: ");
            out.extend_from_slice(authority.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let mut has_length = false;
        for (name, value) in &request.headers {
            has_length |= name == hyper::header::CONTENT_LENGTH;
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let body = &request.body;
        let needs_length = !body.is_empty()
            || matches!(request.method, Method::POST | Method::PUT | Method::PATCH);
        if needs_length && !has_length {
            // Writing into a Vec cannot fail.
            let _ = write!(out, "content-length: {}\r\n", body.len());
        }
        out.extend_from_slice(b"\r\n");
        if body.len() <= INLINE_BODY {
            out.extend_from_slice(body);
            self.stream.write_all(&self.output).await
        } else {
            self.stream.write_all(&self.output).await?;
            self.stream.write_all(body).await
        }
    }

    /// Reads more input; `Ok(false)` at end of stream.
    async fn fill(&mut self) -> std::io::Result<bool> {
        self.input.reserve(READ_CHUNK);
        Ok(self.stream.read_buf(&mut self.input).await? > 0)
    }

    /// Reads and parses the status line and headers, skipping interim (1xx) answers.
    async fn read_head(&mut self, keep_headers: bool, following: bool) -> Result<Head, Failure> {
        let mut got_any = false;
        loop {
            if self.input.is_empty() {
                // Nothing to parse yet (the usual case right after a request went out).
                match self.fill().await {
                    Ok(true) => continue,
                    Ok(false) | Err(_) => return Err(Failure::broken(!got_any)),
                }
            }
            match parse_head(&self.input, keep_headers, following) {
                Ok(Some((head, used))) => {
                    self.input.advance(used);
                    if (100..200).contains(&head.status) && head.status != 101 {
                        got_any = true;
                        continue;
                    }
                    return Ok(head);
                }
                Ok(None) if self.input.len() > MAX_HEAD_BYTES => {
                    return Err(Failure::broken(false));
                }
                Ok(None) => {}
                Err(()) => return Err(Failure::broken(false)),
            }
            got_any |= !self.input.is_empty();
            match self.fill().await {
                Ok(true) => {}
                Ok(false) | Err(_) => return Err(Failure::broken(!got_any)),
            }
        }
    }

    /// Reads the body per `framing`: kept whole, or counted and dropped.
    async fn read_body(&mut self, framing: Framing, keep: bool) -> std::io::Result<(Bytes, u64)> {
        let mut kept = BytesMut::new();
        let mut total = 0u64;
        match framing {
            Framing::Empty => {}
            Framing::Length(length) => {
                self.take(length, keep, &mut kept, &mut total).await?;
            }
            Framing::UntilClose => loop {
                let available = self.input.len() as u64;
                self.consume(available, keep, &mut kept, &mut total);
                if !self.fill().await? {
                    break;
                }
            },
            Framing::Chunked => loop {
                let size = loop {
                    match httparse::parse_chunk_size(&self.input) {
                        Ok(httparse::Status::Complete((used, size))) => {
                            self.input.advance(used);
                            break size;
                        }
                        Ok(httparse::Status::Partial) => self.fill_or_fail().await?,
                        Err(_) => return Err(invalid("bad chunk size")),
                    }
                };
                if size == 0 {
                    self.skip_trailers().await?;
                    break;
                }
                self.take(size, keep, &mut kept, &mut total).await?;
                self.skip_line_end().await?;
            },
        }
        Ok((kept.freeze(), total))
    }

    /// Moves `length` bytes of body out of the input, reading as needed.
    async fn take(
        &mut self,
        length: u64,
        keep: bool,
        kept: &mut BytesMut,
        total: &mut u64,
    ) -> std::io::Result<()> {
        let mut left = length;
        while left > 0 {
            if self.input.is_empty() {
                self.fill_or_fail().await?;
            }
            let now = left.min(self.input.len() as u64);
            self.consume(now, keep, kept, total);
            left -= now;
        }
        Ok(())
    }

    /// Moves `count` buffered bytes into the kept body, or drops them.
    fn consume(&mut self, count: u64, keep: bool, kept: &mut BytesMut, total: &mut u64) {
        // `count` never exceeds the buffered length, which is a usize.
        let count = count as usize;
        if keep {
            if kept.is_empty() {
                *kept = self.input.split_to(count);
            } else {
                kept.extend_from_slice(&self.input[..count]);
                self.input.advance(count);
            }
        } else {
            self.input.advance(count);
        }
        *total += count as u64;
    }

    async fn fill_or_fail(&mut self) -> std::io::Result<()> {
        if self.fill().await? {
            Ok(())
        } else {
            Err(invalid("connection closed inside the body"))
        }
    }

    /// The CRLF after a chunk's data.
    async fn skip_line_end(&mut self) -> std::io::Result<()> {
        while self.input.len() < 2 {
            self.fill_or_fail().await?;
        }
        if &self.input[..2] != b"\r\n" {
            return Err(invalid("chunk not followed by CRLF"));
        }
        self.input.advance(2);
        Ok(())
    }

    /// Trailer fields after the last chunk, up to the empty line.
    async fn skip_trailers(&mut self) -> std::io::Result<()> {
        loop {
            match self.input.windows(2).position(|w| w == b"\r\n") {
                Some(0) => {
                    self.input.advance(2);
                    return Ok(());
                }
                Some(end) => self.input.advance(end + 2),
                None if self.input.len() > MAX_HEAD_BYTES => {
                    return Err(invalid("trailers too long"));
                }
                None => self.fill_or_fail().await?,
            }
        }
    }
}

fn invalid(why: &'static str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, why)
}

/// What the status line and headers say.
#[derive(Debug)]
struct Head {
    status: u16,
    headers: HeaderMap,
    length: Option<u64>,
    chunked: bool,
    /// The server will close the connection after this answer.
    close: bool,
    location: Option<String>,
}

/// Parses a complete head at the start of `input`: `Ok(None)` when more bytes are needed.
fn parse_head(
    input: &[u8],
    keep_headers: bool,
    following: bool,
) -> Result<Option<(Head, usize)>, ()> {
    match parse_head_in(
        input,
        keep_headers,
        following,
        &mut [httparse::EMPTY_HEADER; USUAL_HEADERS],
    ) {
        Err(httparse::Error::TooManyHeaders) => parse_head_in(
            input,
            keep_headers,
            following,
            &mut [httparse::EMPTY_HEADER; MAX_HEADERS],
        ),
        parsed => parsed,
    }
    .map_err(|_| ())
}

/// [`parse_head`] with room for `fields.len()` header lines.
fn parse_head_in<'b>(
    input: &'b [u8],
    keep_headers: bool,
    following: bool,
    fields: &mut [httparse::Header<'b>],
) -> Result<Option<(Head, usize)>, httparse::Error> {
    let mut response = httparse::Response::new(fields);
    let used = match response.parse(input)? {
        httparse::Status::Complete(used) => used,
        httparse::Status::Partial => return Ok(None),
    };
    let status = response.code.ok_or(httparse::Error::Status)?;
    let mut head = Head {
        status,
        headers: HeaderMap::new(),
        length: None,
        chunked: false,
        // HTTP/1.0 closes unless it says keep-alive.
        close: response.version == Some(0),
        location: None,
    };
    for field in response.headers.iter() {
        let name = field.name;
        if name.eq_ignore_ascii_case("content-length") {
            head.length = Some(decimal(field.value).ok_or(httparse::Error::HeaderValue)?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = field
                .value
                .split(|b| *b == b',')
                .any(|coding| coding.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for option in field.value.split(|b| *b == b',') {
                let option = option.trim_ascii();
                if option.eq_ignore_ascii_case(b"close") {
                    head.close = true;
                } else if option.eq_ignore_ascii_case(b"keep-alive") {
                    head.close = false;
                }
            }
        } else if following && name.eq_ignore_ascii_case(LOCATION.as_str()) {
            head.location = std::str::from_utf8(field.value).ok().map(str::to_owned);
        }
        if keep_headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(field.value),
            ) {
                head.headers.append(name, value);
            }
        }
    }
    Ok(Some((head, used)))
}

/// A Content-Length value: ASCII digits, optionally padded with whitespace.
fn decimal(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |sum, &byte| {
        let digit = byte.checked_sub(b'0').filter(|d| *d < 10)?;
        sum.checked_mul(10)?.checked_add(u64::from(digit))
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

    /// A loopback server that answers each accepted connection's requests with the given
    /// raw answers in turn (one per request), then closes; returns its address and what it
    /// received.
    async fn scripted(
        connections: Vec<Vec<&'static [u8]>>,
    ) -> (SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let mut received = Vec::new();
            for answers in connections {
                let (mut stream, _) = listener.accept().await.expect("accept");
                for answer in answers {
                    let mut buf = [0u8; 4096];
                    let n = stream.read(&mut buf).await.expect("read");
                    received.extend_from_slice(&buf[..n]);
                    stream.write_all(answer).await.expect("write");
                }
            }
            received
        });
        (address, server)
    }

    fn get(path: &'static str) -> Outgoing {
        Outgoing {
            method: Method::GET,
            uri: Uri::from_static(path),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    const KEEP_ALL: Keep = Keep {
        body: true,
        headers: true,
    };

    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    #[test]
    fn framings_length_chunked_and_interim_answers() {
        block_on(async {
            let (address, server) = scripted(vec![vec![
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Id: 7\r\n\r\nhello",
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n",
                b"HTTP/1.1 204 No Content\r\n\r\n",
            ]])
            .await;
            let mut conn = None;
            let timeout = Duration::from_secs(2);
            let first = send(
                &mut conn,
                address,
                "h",
                timeout,
                &mut get("/a"),
                0,
                KEEP_ALL,
            )
            .await
            .expect("first");
            assert_eq!(
                (first.status, &first.body[..], first.bytes_in),
                (200, &b"hello"[..], 5)
            );
            assert_eq!(
                first.headers.get("x-id").map(|v| v.as_bytes()),
                Some(&b"7"[..])
            );
            let second = send(
                &mut conn,
                address,
                "h",
                timeout,
                &mut get("/b"),
                0,
                KEEP_ALL,
            )
            .await
            .expect("second");
            assert_eq!((second.status, &second.body[..]), (201, &b"abcde"[..]));
            let dropped = Keep {
                body: false,
                headers: false,
            };
            let third = send(&mut conn, address, "h", timeout, &mut get("/c"), 0, dropped)
                .await
                .expect("third");
            assert_eq!((third.status, third.body.len()), (204, 0));
            let received = String::from_utf8(server.await.expect("server")).expect("utf-8");
            assert_eq!(
                received.matches("GET /").count(),
                3,
                "one connection: {received}"
            );
            assert!(
                received.starts_with("GET /a HTTP/1.1\r\nhost: h\r\n\r\n"),
                "{received}"
            );
        });
    }

    #[test]
    fn a_closed_keep_alive_connection_is_replaced_once_and_close_delimited_bodies_end_it() {
        block_on(async {
            // The first connection answers once and closes (a keep-alive timeout); the
            // second answers with a body delimited by the close.
            let (address, server) = scripted(vec![
                vec![b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"],
                vec![b"HTTP/1.0 200 OK\r\n\r\nuntil close"],
            ])
            .await;
            let mut conn = None;
            let timeout = Duration::from_secs(2);
            send(
                &mut conn,
                address,
                "h",
                timeout,
                &mut get("/1"),
                0,
                KEEP_ALL,
            )
            .await
            .expect("first");
            // Let the server's close arrive before the reuse.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let second = send(
                &mut conn,
                address,
                "h",
                timeout,
                &mut get("/2"),
                0,
                KEEP_ALL,
            )
            .await
            .expect("resent on a new connection");
            assert_eq!(&second.body[..], b"until close");
            assert!(
                conn.is_none(),
                "a close-delimited answer ends the connection"
            );
            server.await.expect("server");
        });
    }

    #[test]
    fn a_host_header_of_the_step_replaces_the_targets() {
        block_on(async {
            let (address, server) =
                scripted(vec![vec![b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]]).await;
            let mut request = get("/v");
            request
                .headers
                .insert(HOST, HeaderValue::from_static("virtual.test"));
            let host = HeaderValue::from_static("h");
            assert_eq!(request.all_headers(&host).get_all(HOST).iter().count(), 1);
            let mut conn = None;
            let timeout = Duration::from_secs(2);
            send(&mut conn, address, "h", timeout, &mut request, 0, KEEP_ALL)
                .await
                .expect("answer");
            drop(conn);
            let received = String::from_utf8(server.await.expect("server")).expect("utf-8");
            assert_eq!(received, "GET /v HTTP/1.1\r\nhost: virtual.test\r\n\r\n");
        });
    }

    #[test]
    fn heads_with_many_header_lines_are_parsed_whole() {
        let mut answer = b"HTTP/1.1 200 OK\r\n".to_vec();
        for line in 0..(USUAL_HEADERS + 4) {
            answer.extend_from_slice(format!("X-Line-{line}: {line}\r\n").as_bytes());
        }
        answer.extend_from_slice(b"Content-Length: 2\r\n\r\nok");
        let (head, used) = parse_head(&answer, true, false)
            .expect("valid")
            .expect("complete");
        assert_eq!(
            (head.status, head.length, used),
            (200, Some(2), answer.len() - 2)
        );
        assert_eq!(head.headers.len(), USUAL_HEADERS + 5);
        let mut too_many = b"HTTP/1.1 200 OK\r\n".to_vec();
        too_many.extend(b"A: b\r\n".repeat(MAX_HEADERS + 1));
        too_many.extend_from_slice(b"\r\n");
        assert!(parse_head(&too_many, false, false).is_err());
    }

    #[test]
    fn content_lengths_are_plain_decimals() {
        assert_eq!(decimal(b" 42 "), Some(42));
        assert_eq!(decimal(b"0"), Some(0));
        assert_eq!(decimal(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b" ",
            b"+1",
            b"-1",
            b"1 2",
            b"0x10",
            b"18446744073709551616",
        ] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn broken_answers_fail_without_panicking() {
        for answer in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"[..],
            b"NOT HTTP\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        ] {
            block_on(async {
                let (address, _server) = scripted(vec![vec![answer]]).await;
                let mut conn = None;
                let result = send(
                    &mut conn,
                    address,
                    "h",
                    Duration::from_secs(2),
                    &mut get("/"),
                    0,
                    KEEP_ALL,
                )
                .await;
                assert_eq!(result.err(), Some(Outcome::Other), "{answer:?}");
                assert!(conn.is_none());
            });
        }
    }
}
