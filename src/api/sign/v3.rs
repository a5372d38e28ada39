//! `ACS3-HMAC-SHA256`, the signature an unmodified official SDK sends (reference §2.2).
//!
//! ```text
//! CanonicalRequest = METHOD \n / \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = "ACS3-HMAC-SHA256" \n hex(SHA-256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//! Authorization    = ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b;…>,Signature=<hex>
//! ```
//!
//! The verifier works from what it received: the decoded query (`+` already turned into a
//! space: the raw URL text is never signed), the headers, the signed-header list taken from
//! `Authorization`, and the raw body.

use hmac::Hmac;
use sha2::{Digest, Sha256};

use super::encode::canonical_pairs;
use super::{Computation, SignError, SigningParams, format_time, hmac};

/// The algorithm name, first word of `Authorization`.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// A request to sign.
#[derive(Debug, Clone, Copy)]
pub struct V3Request<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// The `host` header: the endpoint as configured, port included.
    pub host: &'a str,
    /// The action name (`x-acs-action`).
    pub action: &'a str,
    /// The API version (`x-acs-version`).
    pub version: &'a str,
    /// The action's query parameters, not URL-encoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Further headers to sign, such as `content-type` when there is a body. Not the ones
    /// [`sign`] adds.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes sent (empty when none).
    pub body: &'a [u8],
}

/// A signed request: the headers to add and how the signature was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Signed {
    /// `host`, `x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`,
    /// `x-acs-content-sha256`, with STS also `x-acs-accesskey-id` and `x-acs-security-token`
    /// (as the SDK sends them), then `authorization`.
    pub headers: Vec<(String, String)>,
    /// The stages.
    pub computation: Computation,
}

/// A request as received, for verification (and, built by [`sign`], for signing).
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The request method.
    pub method: &'a str,
    /// The decoded query parameters.
    pub query: &'a [(&'a str, &'a str)],
    /// All headers, names in any case, repeated names allowed.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body.
    pub body: &'a [u8],
}

/// The parts of an `Authorization: ACS3-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// `Credential=`: the access key id.
    pub access_key_id: &'a str,
    /// `SignedHeaders=`, lower-cased.
    pub signed_headers: Vec<String>,
    /// `Signature=`: lower-case hex.
    pub signature: &'a str,
}

/// Adds the `x-acs-*` headers to `request` and signs it.
pub fn sign(request: &V3Request<'_>, params: &SigningParams<'_>) -> V3Signed {
    let credential = params.credential;
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), request.host.into()),
        ("x-acs-action".into(), request.action.into()),
        ("x-acs-version".into(), request.version.into()),
        ("x-acs-date".into(), format_time(params.time)),
        ("x-acs-signature-nonce".into(), params.nonce.into()),
        ("x-acs-content-sha256".into(), hashed_payload(request.body)),
    ];
    if let Some(token) = credential.security_token() {
        headers.push((
            "x-acs-accesskey-id".into(),
            credential.access_key_id().into(),
        ));
        headers.push(("x-acs-security-token".into(), token.into()));
    }

    let all: Vec<(&str, &str)> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain(request.headers.iter().copied())
        .collect();
    let names: Vec<&str> = all.iter().map(|(name, _)| *name).collect();
    let received = Received {
        method: request.method,
        query: request.query,
        headers: &all,
        body: request.body,
    };
    let computation = compute(&received, &names, credential.access_key_secret());
    let authorization = format!(
        "{ALGORITHM} Credential={},SignedHeaders={},Signature={}",
        credential.access_key_id(),
        signed_header_list(&names).join(";"),
        computation.signature
    );
    headers.push(("authorization".into(), authorization));
    V3Signed {
        headers,
        computation,
    }
}

/// Computes the signature of a received request over `signed_headers` (names in any case).
/// A signed header absent from the request counts as empty, which makes the signature differ;
/// use [`check_signed_headers`] to reject such requests with a clear reason first.
pub fn compute(
    request: &Received<'_>,
    signed_headers: &[&str],
    access_key_secret: &str,
) -> Computation {
    let names = signed_header_list(signed_headers);
    let canonical_headers: String = names
        .iter()
        .map(|name| format!("{name}:{}\n", header_value(request.headers, name)))
        .collect();
    let canonical = [
        request.method,
        "/",
        &canonical_pairs(request.query.iter().copied()),
        &canonical_headers,
        &names.join(";"),
        &hashed_payload(request.body),
    ]
    .join("\n");
    let string_to_sign = format!("{ALGORITHM}\n{}", hex::encode(Sha256::digest(&canonical)));
    let signature = hex::encode(hmac::<Hmac<Sha256>>(
        access_key_secret.as_bytes(),
        string_to_sign.as_bytes(),
    ));
    Computation {
        canonical,
        string_to_sign,
        signature,
    }
}

/// Lower-case hex SHA-256 of the body: the `x-acs-content-sha256` value, which a verifier
/// should compare with the header.
pub fn hashed_payload(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Reads an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, SignError> {
    let rest = value
        .trim()
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(' '))
        .ok_or(SignError::MalformedAuthorization(
            "expected ACS3-HMAC-SHA256",
        ))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignError::MalformedAuthorization(
                "expected key=value parts",
            ))?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    Ok(Authorization {
        access_key_id: credential
            .filter(|id| !id.is_empty())
            .ok_or(SignError::MalformedAuthorization("no Credential"))?,
        signed_headers: signed_headers
            .filter(|list| !list.is_empty())
            .ok_or(SignError::MalformedAuthorization("no SignedHeaders"))?
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect(),
        signature: signature
            .filter(|signature| !signature.is_empty())
            .ok_or(SignError::MalformedAuthorization("no Signature"))?,
    })
}

/// Checks that every signed header is present, and that `host` and every `x-acs-*` header
/// present are signed (other SDKs sign only those; the Python SDK signs every header it sets).
pub fn check_signed_headers(
    headers: &[(&str, &str)],
    signed_headers: &[&str],
) -> Result<(), SignError> {
    let is_signed = |name: &str| {
        signed_headers
            .iter()
            .any(|signed| signed.eq_ignore_ascii_case(name))
    };
    let is_present = |name: &str| {
        headers
            .iter()
            .any(|(present, _)| present.eq_ignore_ascii_case(name))
    };
    if let Some(missing) = signed_headers.iter().find(|name| !is_present(name)) {
        return Err(SignError::MissingSignedHeader(missing.to_ascii_lowercase()));
    }
    if !is_signed("host") {
        return Err(SignError::UnsignedHeader("host".into()));
    }
    let unsigned_acs = headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .find(|name| name.starts_with("x-acs-") && !is_signed(name));
    match unsigned_acs {
        Some(name) => Err(SignError::UnsignedHeader(name)),
        None => Ok(()),
    }
}

/// The signed header names: lower-case, sorted, without repeats.
fn signed_header_list(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|name| name.to_ascii_lowercase()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The canonical value of header `name` (lower-case): each value trimmed; repeated headers'
/// values sorted and joined with `,`.
fn header_value(headers: &[(&str, &str)], name: &str) -> String {
    let mut values: Vec<&str> = headers
        .iter()
        .filter(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
        .collect();
    values.sort_unstable();
    values.join(",")
}
