//! Request signing for the PTS OpenAPI, as pure functions: the clock and the nonce are inputs,
//! nothing here does I/O. Both sides use it: the client signs, the emulator verifies.
//!
//! Two algorithms (reference §2):
//!
//! - [`v3`]: `ACS3-HMAC-SHA256`, what an unmodified official SDK sends. Parameters stay as
//!   they are; a set of `x-acs-*` headers and `Authorization` are added.
//! - [`v1`]: RPC HMAC-SHA1 (`SignatureVersion=1.0`; the SDK's `signature_algorithm = "v2"`).
//!   Common parameters and `Signature` are added to the query.
//!
//! Each returns its intermediate stages ([`Computation`]) as well as the result, so that a
//! mismatch can be explained (the gateway's "server string to sign is: …") and each stage can
//! be tested on its own against the reference vectors.

mod encode;
pub mod v1;
pub mod v3;

use std::fmt;

use hmac::Mac;
use hmac::digest::KeyInit;

pub use encode::{encode_pairs, percent_encode};

/// An access key, optionally with an STS security token. `Debug` shows the key id only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    access_key_id: String,
    access_key_secret: String,
    security_token: Option<String>,
}

impl Credential {
    /// A long-term access key.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
        }
    }

    /// The same key with an STS security token (a temporary key).
    pub fn with_security_token(mut self, security_token: impl Into<String>) -> Self {
        self.security_token = Some(security_token.into());
        self
    }

    /// The public half, sent with every request.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret half; only ever used as an HMAC key.
    pub fn access_key_secret(&self) -> &str {
        &self.access_key_secret
    }

    /// The STS token, if the key is temporary.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const REDACTED: &str = "<redacted>";
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &REDACTED)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

/// What varies per signature besides the request: who signs, when, and a one-time nonce.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The signing key.
    pub credential: &'a Credential,
    /// The signing time (`Timestamp` / `x-acs-date`).
    pub time: jiff::Timestamp,
    /// A value unique per request (the SDK sends 32 hex characters).
    pub nonce: &'a str,
}

/// The stages of one signature computation, for tests and mismatch messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computation {
    /// v1: the canonicalized query; v3: the canonical request.
    pub canonical: String,
    /// What is signed.
    pub string_to_sign: String,
    /// v1: Base64; v3: lower-case hex.
    pub signature: String,
}

/// A header or query value that is malformed or incomplete for signature checking (the
/// gateway answers `IncompleteSignature`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The `Authorization` header cannot be read.
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(&'static str),
    /// A header listed in `SignedHeaders` is not in the request.
    #[error("signed header \"{0}\" is not in the request")]
    MissingSignedHeader(String),
    /// A header that must be signed is not listed in `SignedHeaders`.
    #[error("header \"{0}\" must be signed")]
    UnsignedHeader(String),
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, the form of `Timestamp` (v1) and `x-acs-date` (v3).
pub fn format_time(time: jiff::Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Compares a received signature with the expected one in time independent of where they
/// differ, so that the emulator does not leak how much of a forged signature is right.
pub fn signatures_match(expected: &str, received: &str) -> bool {
    let (expected, received) = (expected.as_bytes(), received.as_bytes());
    if expected.len() != received.len() {
        return false;
    }
    let difference = expected
        .iter()
        .zip(received)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

/// `M` (an HMAC) of `data` under `key`.
fn hmac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length (long keys are hashed first), so this cannot fail.
    let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests;
