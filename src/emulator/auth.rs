//! Authentication like the cloud gateway: signature v1 (HMAC-SHA1) and V3
//! (`ACS3-HMAC-SHA256`) verified with [`crate::api::sign`], a ±15 minute clock window, and a
//! cache of recently used nonces so that a captured request cannot be replayed.
//!
//! Errors use the gateway's codes and HTTP statuses (reference §3). A signature mismatch
//! explains itself with the server's string to sign, as the real gateway does; secrets are
//! never printed.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::ApiError;
use super::http::{Incoming, Style};
use crate::api::sign::{signatures_match, v1, v3};
use crate::wire::ParamError;

/// How far a request's time may be from the server's clock, as on the cloud.
pub const CLOCK_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// One access key pair the emulator accepts. `Debug` shows the id only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// The public half (`AccessKeyId`, `Credential=`).
    pub id: String,
    /// The HMAC key.
    pub secret: String,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The access keys the emulator accepts: the `--keys` TOML file, or a generated pair.
///
/// ```toml
/// [[access_keys]]
/// id = "LTAI5tLocalKey"
/// secret = "a-long-random-secret"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keys {
    /// At least one key.
    pub access_keys: Vec<AccessKey>,
}

/// Why a keys file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// The file cannot be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file is not valid TOML of the expected shape.
    #[error("not a keys file: {0}")]
    Parse(#[from] toml::de::Error),
    /// The file is valid but unusable.
    #[error("{0}")]
    Invalid(String),
}

impl Keys {
    /// Reads a keys file's text.
    pub fn from_toml(text: &str) -> Result<Keys, KeysError> {
        let keys: Keys = toml::from_str(text)?;
        if keys.access_keys.is_empty() {
            return Err(KeysError::Invalid(
                "no [[access_keys]] table: at least one key is needed".into(),
            ));
        }
        for key in &keys.access_keys {
            if key.id.trim().is_empty() || key.secret.is_empty() {
                return Err(KeysError::Invalid(
                    "every access key needs a non-empty id and secret".into(),
                ));
            }
        }
        Ok(keys)
    }

    /// Reads a keys file.
    pub fn load(path: &Path) -> Result<Keys, KeysError> {
        Keys::from_toml(&std::fs::read_to_string(path)?)
    }

    /// A fresh random key pair, shaped like Alibaba Cloud's (`LTAI…` id, 30-character secret).
    pub fn generate() -> Keys {
        let secret: String = (0..30)
            .map(|_| {
                const CHARS: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                char::from(CHARS[rand::random_range(..CHARS.len())])
            })
            .collect();
        Keys {
            access_keys: vec![AccessKey {
                id: format!("LTAI5t{}", super::ids::new_id(18)),
                secret,
            }],
        }
    }

    /// The keys-file text for these keys.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Loads the keys stored at `path`, or generates a pair and stores it there, readable by
    /// the owner only (0600), so that restarts keep the same credentials.
    pub fn load_or_generate(path: &Path) -> Result<(Keys, bool), KeysError> {
        if path.exists() {
            return Ok((Keys::load(path)?, false));
        }
        let keys = Keys::generate();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        std::io::Write::write_all(&mut file, keys.to_toml().as_bytes())?;
        file.sync_all()?;
        Ok((keys, true))
    }

    /// The first key: the one printed in the environment block.
    pub fn first(&self) -> Option<&AccessKey> {
        self.access_keys.first()
    }

    pub(crate) fn secret(&self, id: &str) -> Option<&str> {
        self.access_keys
            .iter()
            .find(|key| key.id == id)
            .map(|key| key.secret.as_str())
    }
}

/// Nonces seen recently, forgotten once a request carrying them could no longer pass the
/// clock check.
#[derive(Debug, Default)]
pub(crate) struct NonceCache {
    inner: Mutex<NonceInner>,
}

#[derive(Debug, Default)]
struct NonceInner {
    seen: HashMap<String, jiff::Timestamp>,
    order: VecDeque<(jiff::Timestamp, String)>,
}

impl NonceCache {
    /// Records `nonce` of `key_id`; false if it was used within the window.
    fn remember(&self, key_id: &str, nonce: &str, now: jiff::Timestamp) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((expiry, _)) = inner.order.front() {
            if *expiry > now {
                break;
            }
            if let Some((_, key)) = inner.order.pop_front() {
                inner.seen.remove(&key);
            }
        }
        let key = format!("{key_id}\n{nonce}");
        if inner.seen.contains_key(&key) {
            return false;
        }
        // Twice the window: a request is accepted until its time is 15 minutes old, and its
        // time may be 15 minutes ahead of ours.
        let expiry = now
            .checked_add(CLOCK_WINDOW * 2)
            .unwrap_or(jiff::Timestamp::MAX);
        inner.seen.insert(key.clone(), expiry);
        inner.order.push_back((expiry, key));
        true
    }
}

/// Checks the signature of `request`; returns the access key id that signed it.
pub(crate) fn verify(
    request: &Incoming,
    keys: &Keys,
    nonces: &NonceCache,
    now: jiff::Timestamp,
) -> Result<String, ApiError> {
    match request.style() {
        Style::V3 => verify_v3(request, keys, nonces, now),
        Style::V1 => verify_v1(request, keys, nonces, now),
        Style::Unsigned => Err(ParamError::Missing("Signature").into()),
    }
}

fn verify_v3(
    request: &Incoming,
    keys: &Keys,
    nonces: &NonceCache,
    now: jiff::Timestamp,
) -> Result<String, ApiError> {
    let incomplete = |reason: String| ApiError::new("IncompleteSignature", reason, 400);
    let header = request.header("authorization").unwrap_or_default();
    let authorization =
        v3::parse_authorization(header).map_err(|error| incomplete(error.to_string()))?;
    let headers = request.header_pairs();
    let signed: Vec<&str> = authorization
        .signed_headers
        .iter()
        .map(String::as_str)
        .collect();
    v3::check_signed_headers(&headers, &signed).map_err(|error| incomplete(error.to_string()))?;
    let date = request
        .header("x-acs-date")
        .ok_or(ParamError::Missing("x-acs-date"))?;
    check_time(date, now)?;
    let nonce = request
        .header("x-acs-signature-nonce")
        .filter(|nonce| !nonce.is_empty())
        .ok_or(ParamError::Missing("x-acs-signature-nonce"))?;
    if let Some(claimed) = request.header("x-acs-content-sha256")
        && !claimed.eq_ignore_ascii_case(&v3::hashed_payload(&request.body))
    {
        return Err(ApiError::new(
            "SignatureDoesNotMatch",
            "x-acs-content-sha256 is not the SHA-256 of the request body.",
            400,
        ));
    }
    let secret = keys
        .secret(authorization.access_key_id)
        .ok_or_else(unknown_key)?;
    let query = request.query_pairs();
    let received = v3::Received {
        method: &request.method,
        query: &query,
        headers: &headers,
        body: &request.body,
    };
    let computation = v3::compute(&received, &signed, secret);
    if !signatures_match(&computation.signature, authorization.signature) {
        return Err(mismatch(&computation.string_to_sign));
    }
    if !nonces.remember(authorization.access_key_id, nonce, now) {
        return Err(nonce_used());
    }
    Ok(authorization.access_key_id.to_owned())
}

fn verify_v1(
    request: &Incoming,
    keys: &Keys,
    nonces: &NonceCache,
    now: jiff::Timestamp,
) -> Result<String, ApiError> {
    let params = request.params();
    let required = |name: &'static str| {
        params
            .get(name)
            .filter(|value| !value.is_empty())
            .ok_or(ParamError::Missing(name))
    };
    let key_id = required("AccessKeyId")?;
    let signature = required(v1::SIGNATURE)?;
    let method = required("SignatureMethod")?;
    if method != v1::SIGNATURE_METHOD {
        return Err(ParamError::Invalid {
            name: "SignatureMethod",
            reason: format!("expected {}", v1::SIGNATURE_METHOD),
        }
        .into());
    }
    if let Some(version) = params.get("SignatureVersion")
        && version != v1::SIGNATURE_VERSION
    {
        return Err(ParamError::Invalid {
            name: "SignatureVersion",
            reason: format!("expected {}", v1::SIGNATURE_VERSION),
        }
        .into());
    }
    let nonce = required("SignatureNonce")?;
    check_time(required("Timestamp")?, now)?;
    let secret = keys.secret(key_id).ok_or_else(unknown_key)?;
    let pairs = params
        .iter()
        .map(|param| (param.name.as_str(), param.value.as_str()));
    let computation = v1::compute(&request.method, pairs, secret);
    if !signatures_match(&computation.signature, signature) {
        return Err(mismatch(&computation.string_to_sign));
    }
    if !nonces.remember(key_id, nonce, now) {
        return Err(nonce_used());
    }
    Ok(key_id.to_owned())
}

/// Checks a `YYYY-MM-DDTHH:MM:SSZ` request time against the clock window.
fn check_time(text: &str, now: jiff::Timestamp) -> Result<(), ApiError> {
    let time: jiff::Timestamp = text.trim().parse().map_err(|_| {
        ApiError::new(
            "InvalidTimeStamp.Format",
            format!("Specified time stamp or date value is not well formatted: {text:?}."),
            400,
        )
    })?;
    if now.duration_since(time).abs() > CLOCK_WINDOW {
        return Err(ApiError::new(
            "InvalidTimeStamp.Expired",
            format!(
                "Specified time stamp or date value is expired. The request time is {text}, the server time is {}.",
                crate::api::sign::format_time(now)
            ),
            400,
        ));
    }
    Ok(())
}

fn unknown_key() -> ApiError {
    ApiError::new(
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
        404,
    )
}

fn nonce_used() -> ApiError {
    ApiError::new(
        "SignatureNonceUsed",
        "Specified signature nonce was used already.",
        400,
    )
}

fn mismatch(string_to_sign: &str) -> ApiError {
    ApiError::new(
        "SignatureDoesNotMatch",
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
        ),
        400,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_file_reads_and_rejects_empty() {
        let keys =
            Keys::from_toml("[[access_keys]]\nid = \"a\"\nsecret = \"s3cr3t\"\n").expect("reads");
        assert_eq!(keys.secret("a"), Some("s3cr3t"));
        let shown = format!("{keys:?}");
        assert!(
            shown.contains("<redacted>") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert!(Keys::from_toml("access_keys = []").is_err());
        assert!(Keys::from_toml("[[access_keys]]\nid = \"\"\nsecret = \"b\"").is_err());
        let generated = Keys::generate();
        assert_eq!(
            Keys::from_toml(&generated.to_toml()).expect("round trip"),
            generated
        );
    }

    #[test]
    fn nonces_are_refused_once_used_and_forgotten_later() {
        let cache = NonceCache::default();
        let now = jiff::Timestamp::now();
        assert!(cache.remember("k", "n1", now));
        assert!(!cache.remember("k", "n1", now));
        assert!(cache.remember("other", "n1", now));
        let later = now
            .checked_add(jiff::SignedDuration::from_mins(31))
            .expect("time");
        assert!(cache.remember("k", "n1", later));
    }

    #[test]
    fn times_outside_the_window_are_expired() {
        let now: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().expect("time");
        assert!(check_time("2024-01-01T00:14:59Z", now).is_ok());
        assert!(check_time("2023-12-31T23:45:01Z", now).is_ok());
        let error = check_time("2024-01-01T00:15:01Z", now).expect_err("expired");
        assert_eq!(error.code, "InvalidTimeStamp.Expired");
        assert_eq!(
            check_time("yesterday", now).expect_err("format").code,
            "InvalidTimeStamp.Format"
        );
    }
}
