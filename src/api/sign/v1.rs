//! RPC signature v1: HMAC-SHA1 over the sorted parameters (reference §2.3).
//!
//! The signed set is every query parameter except `Signature`, **plus every form-body
//! parameter**: the SDK merges the body into the signed map even though it sends it in the
//! body (this matters for `ListPtsReports` and `ModifyPtsScene`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::Hmac;
use sha1::Sha1;

use super::encode::{canonical_pairs, percent_encode};
use super::{Computation, SigningParams, format_time, hmac};

/// `SignatureMethod` of this algorithm.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// `SignatureVersion` of this algorithm.
pub const SIGNATURE_VERSION: &str = "1.0";
/// The parameter carrying the signature; never part of the signed set.
pub const SIGNATURE: &str = "Signature";

/// A request to sign: the action's own parameters, decoded, split by where they travel.
#[derive(Debug, Clone, Copy)]
pub struct V1Request<'a> {
    /// `POST` or `GET`; part of the string to sign.
    pub method: &'a str,
    /// The action name.
    pub action: &'a str,
    /// The API version, e.g. `2020-10-20`.
    pub version: &'a str,
    /// Parameters in the query string.
    pub query: &'a [(&'a str, &'a str)],
    /// Parameters in the form body; signed, but not added to the query.
    pub body: &'a [(&'a str, &'a str)],
}

/// A signed request: the full query to send and how the signature was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Signed {
    /// The query parameters in the SDK's order: `Action`, `Format`, `Version`, `Timestamp`,
    /// `SignatureNonce`, the action's query parameters, `SignatureMethod`, `SignatureVersion`,
    /// `AccessKeyId`, `SecurityToken` (STS only), then `Signature`. Not URL-encoded.
    pub query: Vec<(String, String)>,
    /// The stages; `computation.signature` is the `Signature` value.
    pub computation: Computation,
}

/// Adds the common parameters to `request` and signs it.
pub fn sign(request: &V1Request<'_>, params: &SigningParams<'_>) -> V1Signed {
    let credential = params.credential;
    let owned = |(name, value): &(&str, &str)| (name.to_string(), value.to_string());
    let mut query: Vec<(String, String)> = vec![
        ("Action".into(), request.action.into()),
        ("Format".into(), "json".into()),
        ("Version".into(), request.version.into()),
        ("Timestamp".into(), format_time(params.time)),
        ("SignatureNonce".into(), params.nonce.into()),
    ];
    query.extend(request.query.iter().map(owned));
    query.push(("SignatureMethod".into(), SIGNATURE_METHOD.into()));
    query.push(("SignatureVersion".into(), SIGNATURE_VERSION.into()));
    query.push(("AccessKeyId".into(), credential.access_key_id().into()));
    if let Some(token) = credential.security_token() {
        query.push(("SecurityToken".into(), token.into()));
    }

    let signed = query
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain(request.body.iter().copied());
    let computation = compute(request.method, signed, credential.access_key_secret());
    query.push((SIGNATURE.into(), computation.signature.clone()));
    V1Signed { query, computation }
}

/// Computes the signature of a request from all its parameters, query and body merged and
/// decoded; a `Signature` parameter among them is left out. The verifier side: compare the
/// result with the received `Signature` using [`super::signatures_match`].
pub fn compute<'a>(
    method: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    access_key_secret: &str,
) -> Computation {
    let canonical = canonical_pairs(params.into_iter().filter(|(name, _)| *name != SIGNATURE));
    let string_to_sign = format!("{method}&%2F&{}", percent_encode(&canonical));
    let key = format!("{access_key_secret}&");
    let digest = hmac::<Hmac<Sha1>>(key.as_bytes(), string_to_sign.as_bytes());
    Computation {
        canonical,
        string_to_sign,
        signature: BASE64.encode(digest),
    }
}
