//! The client side of the PTS OpenAPI: request signing (pure functions), credentials,
//! endpoints, the signed HTTP client with its retry and rate-limit policies, and the choice of
//! backend.
//!
//! # Layout
//!
//! | module | holds |
//! |---|---|
//! | [`sign`] | V3 and v1 signatures, pure (clock and nonce are inputs) |
//! | [`credentials`] | the credentials chain (environment, shared file, aliyun CLI config) |
//! | [`endpoint`] | `host[:port]` / `http(s)://` endpoints; the default PTS host |
//! | [`client`] | [`Client::call`]: sign, send, retry, rate-limit, read the answer |
//! | [`retry`] | which failures are retried and the back-off |
//! | [`limit`] | token bucket and parallelism bound shared by all calls |
//! | [`error`] | [`ApiError`] and its diagnostics |
//! | [`backend`] | flags → env → `ptsplan.toml` → defaults: PTS or the local backend |

pub mod backend;
pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod limit;
pub mod retry;
pub mod sign;

pub use client::{Client, ClientOptions, SignatureVersion};
pub use endpoint::Endpoint;
pub use error::ApiError;
