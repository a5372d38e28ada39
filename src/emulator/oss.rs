//! The OSS subset the local backend serves, so that `apply` can store data files here and
//! the engine can read them: `PutObject`, `HeadObject` and `GetObject`, path-style
//! (`/bucket/key`), V1-signed ([`crate::oss::sign`]) with the backend's access keys, the
//! `Date` within the same ±15 minutes as PTS calls. Objects are files under
//! `<state>/oss/<bucket>/<key>`, written atomically; errors are OSS's XML bodies.
//!
//! A request is an object request when it is not for `/` (PTS's path) and its method is
//! `PUT`, `GET` or `HEAD`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};

use super::auth::{CLOCK_WINDOW, Keys};
use super::http::Incoming;
use crate::api::sign::signatures_match;
use crate::oss::sign;
use crate::wire::Scene;

/// The largest object accepted (PTS allows 500 MB of files per scene; the local backend is
/// for loopback tests).
pub(crate) const MAX_OBJECT: usize = 64 * 1024 * 1024;

/// The folder of the state directory holding objects.
pub(crate) const DIR: &str = "oss";

/// Whether a request is for an object rather than the PTS API.
pub(crate) fn is_object_request(method: &hyper::Method, path: &str) -> bool {
    path != "/"
        && !path.starts_with("/_emulator/")
        && (method == hyper::Method::PUT
            || method == hyper::Method::GET
            || method == hyper::Method::HEAD)
}

/// An OSS error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Failure {
    status: u16,
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: message.into(),
        }
    }
}

/// Answers one object request.
pub(crate) fn respond(
    root: &Path,
    keys: &Keys,
    path: &str,
    request: &Incoming,
    request_id: &str,
    now: jiff::Timestamp,
) -> Response<Full<Bytes>> {
    let answered = locate(root, path).and_then(|(resource, file)| {
        verify(keys, &resource, request, now)?;
        match request.method.as_str() {
            "PUT" => put(&file, &request.body),
            "HEAD" => head(&file),
            _ => get(&file),
        }
    });
    let mut response = answered.unwrap_or_else(|failure| {
        let body = if request.method == "HEAD" {
            String::new()
        } else {
            error_xml(&failure, request_id)
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() =
            StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/xml"),
        );
        response
    });
    if let Ok(value) = hyper::header::HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-oss-request-id", value);
    }
    response
}

/// The signed resource (`/bucket/key`) and the object's file, from a path-style path.
fn locate(root: &Path, path: &str) -> Result<(String, PathBuf), Failure> {
    let decoded = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8()
        .map_err(|_| Failure::new(400, "InvalidObjectName", "The path is not UTF-8."))?;
    let (bucket, key) = decoded.split_once('/').ok_or_else(|| {
        Failure::new(
            400,
            "InvalidObjectName",
            "Expected a path-style object path, /bucket/key.",
        )
    })?;
    let file = object_path(root, bucket, key).ok_or_else(|| {
        Failure::new(
            400,
            "InvalidObjectName",
            "The bucket or object name is not one the local backend stores.",
        )
    })?;
    Ok((sign::resource(bucket, key), file))
}

/// Where object `bucket`/`key` is kept, or `None` when the names could escape the folder
/// (empty, `.` or `..` segments, backslashes, control characters) or are not OSS names.
pub(crate) fn object_path(root: &Path, bucket: &str, key: &str) -> Option<PathBuf> {
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let key_ok = !key.is_empty()
        && key.len() <= 1023
        && key.split('/').all(|segment| {
            !segment.is_empty()
                // No `.` or `..`, nor the store's `.NAME.tmp-…` files.
                && !segment.starts_with('.')
                && !segment.contains(['\\', ':'])
                && !segment.chars().any(char::is_control)
        });
    (bucket_ok && key_ok).then(|| {
        key.split('/')
            .fold(root.join(DIR).join(bucket), |path, segment| {
                path.join(segment)
            })
    })
}

/// Checks the V1 signature and the clock.
fn verify(
    keys: &Keys,
    resource: &str,
    request: &Incoming,
    now: jiff::Timestamp,
) -> Result<(), Failure> {
    let header = request.header("authorization").ok_or_else(|| {
        Failure::new(
            403,
            "AccessDenied",
            "Anonymous access is forbidden for this operation.",
        )
    })?;
    let (id, received) = sign::parse_authorization(header)
        .ok_or_else(|| Failure::new(400, "InvalidArgument", "Authorization header is invalid."))?;
    let date = request.header("date").unwrap_or_default();
    let time = sign::parse_http_date(date)
        .ok_or_else(|| Failure::new(403, "AccessDenied", "Date header is missing or invalid."))?;
    if now.duration_since(time).abs() > CLOCK_WINDOW {
        return Err(Failure::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        ));
    }
    let secret = keys.secret(id).ok_or_else(|| {
        Failure::new(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
        )
    })?;
    let headers = request.header_pairs();
    let text = sign::string_to_sign(&sign::Signed {
        method: &request.method,
        content_md5: request.header("content-md5").unwrap_or_default(),
        content_type: request.header("content-type").unwrap_or_default(),
        date,
        headers: &headers,
        resource,
    });
    if signatures_match(&sign::signature(secret, &text), received) {
        Ok(())
    } else {
        Err(Failure::new(
            403,
            "SignatureDoesNotMatch",
            format!(
                "The request signature we calculated does not match the signature you provided. String to sign: {text:?}"
            ),
        ))
    }
}

fn put(file: &Path, body: &[u8]) -> Result<Response<Full<Bytes>>, Failure> {
    let written = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| super::store::write_atomic(file, body));
    written.map_err(|error| {
        Failure::new(
            500,
            "InternalError",
            format!("cannot store the object: {error}"),
        )
    })?;
    Ok(with_etag(Response::new(Full::new(Bytes::new())), body))
}

fn head(file: &Path) -> Result<Response<Full<Bytes>>, Failure> {
    let size = std::fs::metadata(file)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .ok_or_else(no_such_key)?
        .len();
    let mut response = Response::new(Full::new(Bytes::new()));
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_LENGTH, size.into());
    Ok(response)
}

fn get(file: &Path) -> Result<Response<Full<Bytes>>, Failure> {
    let bytes = std::fs::read(file).map_err(|_| no_such_key())?;
    let response = Response::new(Full::new(Bytes::from(bytes.clone())));
    Ok(with_etag(response, &bytes))
}

/// An `ETag` from the content (SHA-256, not OSS's MD5: nothing here compares it with one).
fn with_etag(mut response: Response<Full<Bytes>>, bytes: &[u8]) -> Response<Full<Bytes>> {
    use sha2::{Digest, Sha256};
    let tag = format!("\"{}\"", hex::encode_upper(&Sha256::digest(bytes)[..16]));
    if let Ok(value) = hyper::header::HeaderValue::from_str(&tag) {
        response.headers_mut().insert(hyper::header::ETAG, value);
    }
    response
}

fn no_such_key() -> Failure {
    Failure::new(404, "NoSuchKey", "The specified key does not exist.")
}

fn error_xml(failure: &Failure, request_id: &str) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>{}</Code>\n  <Message>{}</Message>\n  <RequestId>{}</RequestId>\n  <HostId>localhost</HostId>\n</Error>\n",
        failure.code,
        escape(&failure.message),
        escape(request_id)
    )
}

/// The stored objects `scene`'s files name, by file name: what the engine reads instead of
/// fetching their addresses. Files stored elsewhere are left to the engine.
pub(crate) fn local_files(root: &Path, scene: &Scene) -> HashMap<String, PathBuf> {
    scene
        .file_parameter_list
        .iter()
        .filter_map(|file| {
            let name = file.file_name.clone()?;
            let path = local_object(root, file.file_oss_address.as_deref()?)?;
            Some((name, path))
        })
        .collect()
}

/// The stored object an OSS address (`oss://`, virtual-hosted or path-style URL) names, if
/// this backend holds it.
pub(crate) fn local_object(root: &Path, address: &str) -> Option<PathBuf> {
    crate::oss::candidates(address)
        .into_iter()
        .filter_map(|(bucket, key)| object_path(root, &bucket, &key))
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-23T12:00:00Z";

    fn keys() -> Keys {
        Keys::from_toml("[[access_keys]]\nid = \"LTAIlocal\"\nsecret = \"s3cret\"\n").expect("keys")
    }

    /// A request signed with `secret` at `date`.
    fn request(method: &str, path: &str, secret: &str, date: &str, body: &str) -> Incoming {
        let content_type = if body.is_empty() { "" } else { "text/csv" };
        let text = sign::string_to_sign(&sign::Signed {
            method,
            content_md5: "",
            content_type,
            date,
            headers: &[],
            resource: path,
        });
        let mut builder = hyper::http::Request::builder()
            .method(method)
            .uri(path)
            .header("date", date)
            .header(
                "authorization",
                sign::authorization("LTAIlocal", &sign::signature(secret, &text)),
            );
        if !body.is_empty() {
            builder = builder.header("content-type", content_type);
        }
        let (parts, ()) = builder.body(()).expect("request").into_parts();
        Incoming::new(&parts, Bytes::from(body.to_owned()))
    }

    fn answer(root: &Path, request: &Incoming, path: &str) -> (u16, String) {
        let now: jiff::Timestamp = NOW.parse().expect("now");
        let response = respond(root, &keys(), path, request, "req-1", now);
        let status = response.status().as_u16();
        let body = response.into_body();
        let bytes = collect_body(body);
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn collect_body(body: Full<Bytes>) -> Bytes {
        use http_body_util::BodyExt;
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(body.collect())
            .map(|collected| collected.to_bytes())
            .unwrap_or_default()
    }

    #[test]
    fn objects_are_stored_looked_up_and_read_when_signed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let date = sign::http_date(NOW.parse().expect("now"));
        let path = "/ptsplan-data/ptsplan/data/ab/u.csv";
        let head = request("HEAD", path, "s3cret", &date, "");
        assert_eq!(answer(dir.path(), &head, path).0, 404);
        let put = request("PUT", path, "s3cret", &date, "a,b\n");
        assert_eq!(answer(dir.path(), &put, path).0, 200);
        assert_eq!(answer(dir.path(), &head, path).0, 200);
        let get = request("GET", path, "s3cret", &date, "");
        assert_eq!(answer(dir.path(), &get, path), (200, "a,b\n".to_owned()));
    }

    #[test]
    fn unsigned_forged_and_stale_requests_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = "/ptsplan-data/k.csv";
        let date = sign::http_date(NOW.parse().expect("now"));
        let forged = request("GET", path, "guess", &date, "");
        let (status, body) = answer(dir.path(), &forged, path);
        assert_eq!(status, 403);
        assert!(
            body.contains("<Code>SignatureDoesNotMatch</Code>"),
            "{body}"
        );
        assert!(!body.contains("s3cret"), "{body}");
        let stale = request("GET", path, "s3cret", "Sun, 22 Nov 2026 11:00:00 GMT", "");
        let (status, body) = answer(dir.path(), &stale, path);
        assert_eq!(status, 403);
        assert!(body.contains("RequestTimeTooSkewed"), "{body}");
        let (parts, ()) = hyper::http::Request::builder()
            .method("GET")
            .uri(path)
            .body(())
            .expect("request")
            .into_parts();
        let anonymous = Incoming::new(&parts, Bytes::new());
        let (status, body) = answer(dir.path(), &anonymous, path);
        assert_eq!(status, 403);
        assert!(body.contains("AccessDenied"), "{body}");
        let escape = "/ptsplan-data/../keys.toml";
        let outside = request("GET", escape, "s3cret", &date, "");
        assert_eq!(answer(dir.path(), &outside, escape).0, 400);
    }

    #[test]
    fn object_names_cannot_escape_the_folder() {
        let root = Path::new("/state");
        assert_eq!(
            object_path(root, "ptsplan-data", "ptsplan/data/ab/u.csv"),
            Some(PathBuf::from(
                "/state/oss/ptsplan-data/ptsplan/data/ab/u.csv"
            ))
        );
        for (bucket, key) in [
            ("ptsplan-data", "../keys.toml"),
            ("ptsplan-data", "a/../../x"),
            ("ptsplan-data", "a//b"),
            ("ptsplan-data", ""),
            ("ptsplan-data", "a\\b"),
            ("..", "x"),
            ("Bucket", "x"),
        ] {
            assert_eq!(object_path(root, bucket, key), None, "{bucket}/{key}");
        }
    }

    #[test]
    fn object_requests_are_told_from_pts_calls() {
        assert!(is_object_request(&hyper::Method::PUT, "/b/k"));
        assert!(is_object_request(&hyper::Method::HEAD, "/b/k"));
        assert!(!is_object_request(&hyper::Method::POST, "/"));
        assert!(!is_object_request(&hyper::Method::GET, "/"));
        assert!(!is_object_request(&hyper::Method::GET, "/_emulator/faults"));
    }
}
