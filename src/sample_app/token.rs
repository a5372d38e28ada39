//! Access tokens of the sample app: issued by the token endpoint, checked by every business
//! API.
//!
//! Tokens are self-contained (expiry, a serial number and an HMAC-SHA256 tag under a key
//! drawn when the app starts), so the app keeps no table of issued tokens: a load test
//! whose chains fetch a token per iteration cannot grow its memory, and checking a token
//! costs one HMAC. Tokens of an earlier process are rejected as invalid.

use std::sync::atomic::{AtomicU64, Ordering};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of every token (a format version).
const PREFIX: &str = "st1";

/// Hex digits of the tag kept in a token (128 bits).
const TAG_HEX: usize = 32;

/// Why a token was refused. Each maps to a WeChat `errcode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No token in the request (WeChat 41001).
    Missing,
    /// Not a token this process issued (WeChat 40001).
    Invalid,
    /// Issued here, but past its lifetime (WeChat 42001).
    Expired,
}

impl Refusal {
    /// The WeChat error code and message answered for this refusal.
    pub fn errcode(self) -> (i64, &'static str) {
        match self {
            Refusal::Missing => (41001, "access_token missing"),
            Refusal::Invalid => (
                40001,
                "invalid credential, access_token is invalid or not latest",
            ),
            Refusal::Expired => (42001, "access_token expired"),
        }
    }
}

/// Issues and checks tokens.
pub struct Issuer {
    key: [u8; 32],
    serial: AtomicU64,
}

impl Issuer {
    /// An issuer with a fresh random key.
    pub fn new() -> Issuer {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(&rand::random::<u128>().to_le_bytes());
        key[16..].copy_from_slice(&rand::random::<u128>().to_le_bytes());
        Issuer {
            key,
            serial: AtomicU64::new(1),
        }
    }

    /// A token valid until `expires_ms` (Unix milliseconds).
    pub fn issue(&self, expires_ms: u64) -> String {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let payload = format!("{PREFIX}.{expires_ms}.{serial}");
        let tag = self.tag(&payload);
        format!("{payload}.{tag}")
    }

    /// Whether `token` is one of ours and still valid at `now_ms`.
    pub fn check(&self, token: Option<&str>, now_ms: u64) -> Result<(), Refusal> {
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        let token = token.ok_or(Refusal::Missing)?;
        let (payload, tag) = token.rsplit_once('.').ok_or(Refusal::Invalid)?;
        if !constant_time_eq(self.tag(payload).as_bytes(), tag.as_bytes()) {
            return Err(Refusal::Invalid);
        }
        let expires_ms: u64 = payload
            .split('.')
            .nth(1)
            .and_then(|e| e.parse().ok())
            .ok_or(Refusal::Invalid)?;
        if now_ms >= expires_ms {
            return Err(Refusal::Expired);
        }
        Ok(())
    }

    fn tag(&self, payload: &str) -> String {
        // An HMAC accepts keys of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(payload.as_bytes());
        let mut tag = hex::encode(mac.finalize().into_bytes());
        tag.truncate(TAG_HEX);
        tag
    }
}

impl Default for Issuer {
    fn default() -> Self {
        Issuer::new()
    }
}

/// Compares secrets without leaking where they differ through timing.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_until_it_expires() {
        let issuer = Issuer::new();
        let token = issuer.issue(10_000);
        assert_eq!(issuer.check(Some(&token), 9_999), Ok(()));
        assert_eq!(issuer.check(Some(&token), 10_000), Err(Refusal::Expired));
    }

    #[test]
    fn missing_forged_and_foreign_tokens_are_refused() {
        let issuer = Issuer::new();
        assert_eq!(issuer.check(None, 0), Err(Refusal::Missing));
        assert_eq!(issuer.check(Some("  "), 0), Err(Refusal::Missing));
        assert_eq!(issuer.check(Some("nonsense"), 0), Err(Refusal::Invalid));
        let token = issuer.issue(10_000);
        // Extending the expiry breaks the tag.
        let forged = token.replacen(".10000.", ".99999.", 1);
        assert_eq!(issuer.check(Some(&forged), 0), Err(Refusal::Invalid));
        let other = Issuer::new().issue(10_000);
        assert_eq!(issuer.check(Some(&other), 0), Err(Refusal::Invalid));
    }

    #[test]
    fn tokens_are_distinct() {
        let issuer = Issuer::new();
        assert_ne!(issuer.issue(5), issuer.issue(5));
    }
}
