//! Data files in OSS: a plan's local CSV files are stored in a bucket under content-addressed
//! keys, and scenes name them by that address (`FileOssAddress`).
//!
//! | module | holds |
//! |---|---|
//! | `sign` | OSS V1 request signing (`Authorization: OSS id:signature`), pure |
//! | `data` | [`DataStore`] (`[data]` of `ptsplan.toml`), [`DataFile`], keys and addresses, pure |
//! | `client` | [`OssClient`]: `PutObject`, `HeadObject`, `GetObject` |
//! | `upload` | [`upload_missing`], the apply step that stores what is not stored yet |
//!
//! Lowering derives each file's address from its content (no network); `apply` uploads the
//! missing objects before it saves scenes; the local backend serves the same three calls
//! and its engine reads the stored objects (docs/backends.md).

mod client;
mod data;
pub mod sign;
mod upload;

pub use client::{OssClient, OssError};
pub use data::{
    Content, DEFAULT_BUCKET, DataFile, DataStore, KEY_PREFIX, ObjectUrl, candidates, key,
    safe_file_name,
};
pub use upload::{Stored, UploadError, upload_missing};
