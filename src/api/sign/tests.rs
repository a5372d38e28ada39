//! Signature tests: the reference vectors (folders under `testdata/`, see its README), each
//! stage checked on its own, from both the verifier's and the signer's side; then the wire
//! model's parameters signed end to end, STS, and the verifier's checks.

use std::path::{Path, PathBuf};

use super::*;
use crate::wire::{self, Action, Location};

const ACCESS_KEY_ID: &str = "testid";
const SECRET: &str = "testsecret";
const NONCE: &str = "0123456789abcdef0123456789abcdef";

fn time() -> jiff::Timestamp {
    "2024-01-01T00:00:00Z".parse().expect("valid time")
}

fn credential() -> Credential {
    Credential::new(ACCESS_KEY_ID, SECRET)
}

/// A vector folder.
struct Vector {
    id: &'static str,
    request: HttpRequest,
    canonical: String,
    string_to_sign: String,
    signature: String,
}

/// `request.http`, read.
struct HttpRequest {
    method: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: String,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api/sign/testdata")
}

/// A stage file, without the final newline.
fn stage(id: &str, file: &str) -> Option<String> {
    let text = std::fs::read_to_string(testdata().join(id).join(file)).ok()?;
    Some(text.strip_suffix('\n').unwrap_or(&text).to_owned())
}

fn decode_form(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn load(id: &'static str) -> Vector {
    let text = stage(id, "request.http").unwrap_or_else(|| panic!("{id}: no request.http"));
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let (method, target) = request_line.split_once(' ').expect("METHOD target");
    let query = target.split_once('?').map_or("", |(_, query)| query);
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("name: value");
            (name.to_owned(), value.trim().to_owned())
        })
        .collect();
    let canonical = stage(id, "canonical_request.txt")
        .or_else(|| stage(id, "canonicalized_query.txt"))
        .unwrap_or_else(|| panic!("{id}: no canonical stage"));
    Vector {
        id,
        request: HttpRequest {
            method: method.to_owned(),
            query: decode_form(query),
            headers,
            body: body.to_owned(),
        },
        canonical,
        string_to_sign: stage(id, "string_to_sign.txt").expect("string_to_sign.txt"),
        signature: stage(id, "signature.txt").expect("signature.txt"),
    }
}

fn borrowed(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

/// Each stage checked with its own message.
fn assert_stages(vector: &Vector, side: &str, computed: &Computation) {
    let id = vector.id;
    assert_eq!(
        computed.canonical, vector.canonical,
        "{id} ({side}): canonical stage differs"
    );
    assert_eq!(
        computed.string_to_sign, vector.string_to_sign,
        "{id} ({side}): string to sign differs"
    );
    assert_eq!(
        computed.signature, vector.signature,
        "{id} ({side}): signature differs"
    );
}

fn check_vector(id: &'static str) {
    let vector = load(id);
    if vector.request.header("authorization").is_some() {
        check_v3(&vector);
    } else {
        check_v1(&vector);
    }
}

fn check_v3(vector: &Vector) {
    let request = &vector.request;
    let id = vector.id;

    // Verifier: everything from the received request.
    let header_pairs = borrowed(&request.headers);
    let authorization =
        v3::parse_authorization(request.header("authorization").expect("authorization"))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(authorization.access_key_id, ACCESS_KEY_ID);
    let signed: Vec<&str> = authorization
        .signed_headers
        .iter()
        .map(String::as_str)
        .collect();
    v3::check_signed_headers(&header_pairs, &signed).unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(
        request.header("x-acs-content-sha256"),
        Some(v3::hashed_payload(request.body.as_bytes()).as_str()),
        "{id}: content hash"
    );
    let received = v3::Received {
        method: &request.method,
        query: &borrowed(&request.query),
        headers: &header_pairs,
        body: request.body.as_bytes(),
    };
    let computed = v3::compute(&received, &signed, SECRET);
    assert_stages(vector, "verifier", &computed);
    assert!(signatures_match(
        &computed.signature,
        authorization.signature
    ));

    // Signer: the same action parameters and extra headers give the same headers.
    let added = [
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
        "authorization",
    ];
    let extra: Vec<(&str, &str)> = header_pairs
        .iter()
        .copied()
        .filter(|(name, _)| !added.iter().any(|a| a.eq_ignore_ascii_case(name)))
        .collect();
    let signed = v3::sign(
        &v3::V3Request {
            method: &request.method,
            host: request.header("host").expect("host"),
            action: request.header("x-acs-action").expect("action"),
            version: request.header("x-acs-version").expect("version"),
            query: &borrowed(&request.query),
            headers: &extra,
            body: request.body.as_bytes(),
        },
        &SigningParams {
            credential: &credential(),
            time: time(),
            nonce: NONCE,
        },
    );
    assert_stages(vector, "signer", &signed.computation);
    assert_eq!(signed.headers.len(), added.len(), "{id}: headers added");
    for (name, value) in &signed.headers {
        assert_eq!(
            request.header(name),
            Some(value.as_str()),
            "{id}: header {name}"
        );
    }
}

/// Parameters the v1 signer adds itself.
const V1_COMMON: [&str; 9] = [
    "Action",
    "Format",
    "Version",
    "Timestamp",
    "SignatureNonce",
    "SignatureMethod",
    "SignatureVersion",
    "AccessKeyId",
    "Signature",
];

fn check_v1(vector: &Vector) {
    let request = &vector.request;
    let id = vector.id;
    let query = borrowed(&request.query);
    let body = decode_form(&request.body);
    let body = borrowed(&body);

    // Verifier: query and body merged; the received Signature is left out by `compute`.
    let computed = v1::compute(&request.method, query.iter().chain(&body).copied(), SECRET);
    assert_stages(vector, "verifier", &computed);
    let received = query
        .iter()
        .find(|(name, _)| *name == v1::SIGNATURE)
        .map(|(_, value)| *value);
    assert_eq!(
        received,
        Some(vector.signature.as_str()),
        "{id}: Signature in the URL"
    );

    // Signer: the action's own parameters give the same query, in the SDK's order.
    let param = |name: &str| {
        query
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| *value)
            .unwrap_or_else(|| panic!("{id}: no {name}"))
    };
    let own: Vec<(&str, &str)> = query
        .iter()
        .copied()
        .filter(|(name, _)| !V1_COMMON.contains(name))
        .collect();
    let signed = v1::sign(
        &v1::V1Request {
            method: &request.method,
            action: param("Action"),
            version: param("Version"),
            query: &own,
            body: &body,
        },
        &SigningParams {
            credential: &credential(),
            time: time(),
            nonce: NONCE,
        },
    );
    assert_stages(vector, "signer", &signed.computation);
    assert_eq!(borrowed(&signed.query), query, "{id}: signed query");
}

/// One test per vector folder.
macro_rules! vectors {
    ($($test:ident => $id:literal),* $(,)?) => {
        const VECTORS: &[&str] = &[$($id),*];
        $(
            #[test]
            fn $test() {
                check_vector($id);
            }
        )*
    };
}

vectors! {
    vector_v1_a => "V1-A",
    vector_v1_a_get => "V1-A-GET",
    vector_v1_b => "V1-B",
    vector_v1_c => "V1-C",
    vector_v3_a => "V3-A",
    vector_v3_b => "V3-B",
    vector_v3_c => "V3-C",
    vector_v3_d => "V3-D",
}

#[test]
fn every_vector_folder_has_a_test() {
    let mut folders: Vec<String> = std::fs::read_dir(testdata())
        .expect("testdata")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut tested: Vec<&str> = VECTORS.to_vec();
    tested.sort_unstable();
    assert_eq!(folders, tested);
}

/// Signs a wire request the way the client will: v1 and v3 from the same parameters.
fn sign_both<A: Action>(
    request: &A,
    extra_headers: &[(&str, &str)],
) -> (v1::V1Signed, v3::V3Signed) {
    let params = request.to_params();
    let query: Vec<_> = params.pairs(Location::Query).collect();
    let body: Vec<_> = params.pairs(Location::Body).collect();
    let credential = credential();
    let signing = SigningParams {
        credential: &credential,
        time: time(),
        nonce: NONCE,
    };
    let v1 = v1::sign(
        &v1::V1Request {
            method: "POST",
            action: A::ACTION,
            version: wire::API_VERSION,
            query: &query,
            body: &body,
        },
        &signing,
    );
    let encoded_body = encode_pairs(body.iter().copied());
    let v3 = v3::sign(
        &v3::V3Request {
            method: "POST",
            host: "pts.aliyuncs.com",
            action: A::ACTION,
            version: wire::API_VERSION,
            query: &query,
            headers: extra_headers,
            body: encoded_body.as_bytes(),
        },
        &signing,
    );
    (v1, v3)
}

/// The headers the Python SDK signs besides the ones [`v3::sign`] adds.
const PYTHON_HEADERS: [(&str, &str); 3] = [
    ("accept", "application/json"),
    (
        "user-agent",
        "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
    ),
    ("x-acs-credentials-provider", "static_ak"),
];

#[test]
fn wire_requests_sign_like_the_sdk() {
    let list = wire::ListPtsScene {
        page_number: 1,
        page_size: 10,
        ..Default::default()
    };
    let (v1, v3) = sign_both(&list, &PYTHON_HEADERS);
    assert_eq!(
        v1.computation.signature, "ldLB7WAAmGqJe1Du1/cvXBywYPw=",
        "V1-A"
    );
    assert_eq!(
        v3.computation.signature,
        "299875e0c05daa7b9a937d76124aea0b410ddf0f9398c8aa55c0732c011bac56",
        "V3-A"
    );
    let (_, minimal) = sign_both(&list, &[]);
    assert_eq!(
        minimal.computation.signature,
        "029a9fa17a4dd6e38422e68b33bba0ec66109fd9e4e680c57d028be59389c99e",
        "V3-B"
    );

    let reports = wire::ListPtsReports {
        page_number: 1,
        page_size: 10,
        scene_id: Some("S1".into()),
        ..Default::default()
    };
    let mut form_headers = PYTHON_HEADERS.to_vec();
    form_headers.push(("content-type", "application/x-www-form-urlencoded"));
    let (v1, v3) = sign_both(&reports, &form_headers);
    assert_eq!(
        v1.computation.signature, "o0DOmDZEailXB8wtw7cF7HmPn68=",
        "V1-B"
    );
    assert!(
        !v1.query.iter().any(|(name, _)| name == "SceneId"),
        "V1-B: body parameters are signed but not sent in the query"
    );
    assert_eq!(
        v3.computation.signature,
        "c9a37a7daf7dec93937627127265afcd0a01e692c4b9b7488a9cf375b2ba8aa0",
        "V3-C"
    );

    let delete = wire::DeletePtsScenes {
        scene_ids: vec!["A1".into(), "B 2".into()],
    };
    let (v1, v3) = sign_both(&delete, &PYTHON_HEADERS);
    assert_eq!(
        v1.computation.signature, "m2IeyPPlsKpEH1c2fQ70Ap0Z/vg=",
        "V1-C"
    );
    assert_eq!(
        v3.computation.signature,
        "0f53e5430e2a993aef609ddb5f50b41b43b48cd96f72248d7a241495f8a67f74",
        "V3-D"
    );
}

#[test]
fn sts_token_is_sent_and_signed() {
    let credential = credential().with_security_token("sts-token");
    let signing = SigningParams {
        credential: &credential,
        time: time(),
        nonce: NONCE,
    };
    let v1 = v1::sign(
        &v1::V1Request {
            method: "POST",
            action: "ListPtsScene",
            version: wire::API_VERSION,
            query: &[],
            body: &[],
        },
        &signing,
    );
    assert!(v1.computation.canonical.contains("SecurityToken=sts-token"));
    let token_at = v1
        .query
        .iter()
        .position(|(name, _)| name == "SecurityToken");
    assert_eq!(token_at, Some(v1.query.len() - 2), "just before Signature");

    let v3 = v3::sign(
        &v3::V3Request {
            method: "POST",
            host: "pts.aliyuncs.com",
            action: "ListPtsScene",
            version: wire::API_VERSION,
            query: &[],
            headers: &[],
            body: b"",
        },
        &signing,
    );
    let header = |name: &str| {
        v3.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    };
    assert_eq!(header("x-acs-security-token"), Some("sts-token"));
    assert_eq!(header("x-acs-accesskey-id"), Some(ACCESS_KEY_ID));
    let authorization =
        v3::parse_authorization(header("authorization").expect("signed")).expect("well formed");
    assert!(
        authorization
            .signed_headers
            .contains(&"x-acs-security-token".to_owned())
    );
    let pairs = borrowed(&v3.headers);
    let signed: Vec<&str> = authorization
        .signed_headers
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(v3::check_signed_headers(&pairs, &signed), Ok(()));
}

#[test]
fn credential_debug_redacts_secrets() {
    let shown = format!("{:?}", credential().with_security_token("sts-token"));
    assert!(shown.contains(ACCESS_KEY_ID), "{shown}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("sts-token"),
        "{shown}"
    );
    let signing = format!(
        "{:?}",
        SigningParams {
            credential: &credential(),
            time: time(),
            nonce: NONCE
        }
    );
    assert!(!signing.contains(SECRET), "{signing}");
    assert!(!format!("{:?}", credential()).contains("<redacted>\")"));
}

#[test]
fn time_format_drops_fractions() {
    let time: jiff::Timestamp = "2024-05-06T07:08:09.123456Z".parse().expect("valid");
    assert_eq!(format_time(time), "2024-05-06T07:08:09Z");
}

#[test]
fn signatures_compare_exactly() {
    assert!(signatures_match("abc", "abc"));
    assert!(!signatures_match("abc", "abd"));
    assert!(!signatures_match("abc", "ab"));
    assert!(!signatures_match("", "a"));
}

#[test]
fn v1_string_to_sign_encodes_twice() {
    // A value with space, `*`, `~`, `/`, `+`, `=`, `&` and Chinese: encoded once in the
    // canonicalized query and again in the string to sign.
    let computed = v1::compute("POST", [("K", "a b*~/+=&场")], SECRET);
    assert_eq!(computed.canonical, "K=a%20b%2A~%2F%2B%3D%26%E5%9C%BA");
    assert_eq!(
        computed.string_to_sign,
        "POST&%2F&K%3Da%2520b%252A~%252F%252B%253D%2526%25E5%259C%25BA"
    );
}

#[test]
fn v3_canonical_query_decodes_nothing_and_encodes_everything() {
    let received = v3::Received {
        method: "GET",
        query: &[("SceneName", "小程序 下单"), ("KeyWord", "a+b/c*~")],
        headers: &[("host", "127.0.0.1:18080")],
        body: b"",
    };
    let computed = v3::compute(&received, &["host"], SECRET);
    let lines: Vec<&str> = computed.canonical.lines().collect();
    assert_eq!(lines[0], "GET");
    assert_eq!(
        lines[2],
        "KeyWord=a%2Bb%2Fc%2A~&SceneName=%E5%B0%8F%E7%A8%8B%E5%BA%8F%20%E4%B8%8B%E5%8D%95"
    );
    assert_eq!(lines[3], "host:127.0.0.1:18080");
}

#[test]
fn v3_headers_are_trimmed_lower_cased_and_repeats_joined() {
    let received = v3::Received {
        method: "POST",
        query: &[],
        headers: &[
            ("Host", " pts.aliyuncs.com "),
            ("X-Acs-Meta", "b"),
            ("x-acs-meta", " a"),
        ],
        body: b"",
    };
    let computed = v3::compute(&received, &["HOST", "x-acs-meta", "host"], SECRET);
    assert!(
        computed
            .canonical
            .contains("\nhost:pts.aliyuncs.com\nx-acs-meta:a,b\n\nhost;x-acs-meta\n"),
        "{}",
        computed.canonical
    );
}

#[test]
fn v3_verifier_rejects_what_it_cannot_check() {
    let bad = [
        "",
        "HMAC-SHA1 Credential=a,SignedHeaders=host,Signature=00",
        "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA256Credential=a,SignedHeaders=host,Signature=00",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=00",
        "ACS3-HMAC-SHA256 Credential=a,garbage,Signature=00",
    ];
    for value in bad {
        assert!(
            matches!(
                v3::parse_authorization(value),
                Err(SignError::MalformedAuthorization(_))
            ),
            "{value:?}"
        );
    }

    let headers = [("host", "h"), ("x-acs-date", "d"), ("x-acs-action", "a")];
    assert_eq!(
        v3::check_signed_headers(&headers, &["host", "x-acs-date"]),
        Err(SignError::UnsignedHeader("x-acs-action".into()))
    );
    assert_eq!(
        v3::check_signed_headers(&headers, &["x-acs-date", "x-acs-action"]),
        Err(SignError::UnsignedHeader("host".into()))
    );
    assert_eq!(
        v3::check_signed_headers(&headers, &["host", "x-acs-date", "x-acs-action", "Accept"]),
        Err(SignError::MissingSignedHeader("accept".into()))
    );
}

#[test]
fn a_tampered_request_does_not_verify() {
    let vector = load("V3-D");
    let headers = borrowed(&vector.request.headers);
    let signed = [
        "accept",
        "host",
        "user-agent",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-credentials-provider",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ];
    let tampered = v3::Received {
        method: "POST",
        query: &[("SceneIds", r#"["A1","B+2"]"#)],
        headers: &headers,
        body: b"",
    };
    let computed = v3::compute(&tampered, &signed, SECRET);
    assert!(!signatures_match(&computed.signature, &vector.signature));
    let wrong_key = v3::compute(
        &v3::Received {
            query: &borrowed(&vector.request.query),
            ..tampered
        },
        &signed,
        "othersecret",
    );
    assert!(!signatures_match(&wrong_key.signature, &vector.signature));
}
