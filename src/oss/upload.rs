//! The apply step that stores a plan's data files: each object is looked up (`HeadObject`)
//! and sent (`PutObject`) only when absent. Keys are content-addressed, so a present object
//! has the right content and an unchanged file is never uploaded twice.

use super::client::{OssClient, OssError};
use super::data::DataFile;

/// What happened to one data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<'a> {
    /// The file.
    pub file: &'a DataFile,
    /// Sent now (`false`: it was already stored).
    pub uploaded: bool,
}

/// Why the data files could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The local file cannot be read.
    #[error("cannot read data file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// The local file is not what was planned: its address would be wrong.
    #[error(
        "data file {path} changed since it was planned (sha256 {planned}… is now {now}…); run plan again"
    )]
    Changed {
        path: String,
        planned: String,
        now: String,
    },
    /// OSS refused or could not be reached.
    #[error(transparent)]
    Oss(#[from] OssError),
}

/// Stores every file of `files` that is not stored yet, one at a time, in order; files
/// sharing a key are looked up once. Stops at the first failure.
pub async fn upload_missing<'a>(
    client: &OssClient,
    files: &'a [DataFile],
) -> Result<Vec<Stored<'a>>, UploadError> {
    let mut done: Vec<Stored<'a>> = Vec::new();
    for file in files {
        if done.iter().any(|stored| stored.file.key == file.key) {
            continue;
        }
        let uploaded = if client.head_object(&file.key).await?.is_some() {
            false
        } else {
            let (bytes, now) = file.stored_bytes().map_err(|source| UploadError::Read {
                path: file.path.clone(),
                source,
            })?;
            if now != file.sha256 {
                return Err(UploadError::Changed {
                    path: file.path.clone(),
                    planned: file.short_hash().to_owned(),
                    now: now[..16].to_owned(),
                });
            }
            client.put_object(&file.key, bytes).await?;
            true
        };
        done.push(Stored { file, uploaded });
    }
    Ok(done)
}
