//! The data-file step of `apply`: before any scene is saved, every local data file the
//! desired scenes name is stored in the `[data]` bucket unless it is there already
//! (`HeadObject`, then `PutObject` only when absent; keys are content-addressed).

use super::plan::Prepared;
use super::{Exit, GlobalArgs};
use crate::oss::{OssClient, upload_missing};

/// Stores the missing data files of `prepared`, printing one line per file; problems are
/// printed and their exit code returned (nothing has been applied then).
pub(super) fn store_data_files(global: &GlobalArgs, prepared: &Prepared) -> Result<(), Exit> {
    if prepared.data_files.is_empty() {
        return Ok(());
    }
    let fail = |message: String| {
        eprintln!("error: {message}; nothing was applied");
        Exit::Error
    };
    let backend = &prepared.connection.settings.endpoint;
    if let Some(reason) = prepared.data.unusable_with(backend) {
        return Err(fail(reason));
    }
    let credential = prepared.connection.settings.credential.credential.clone();
    let client = OssClient::new(prepared.data.clone(), backend.clone(), credential)
        .map_err(|error| fail(error.to_string()))?;
    let stored = prepared
        .runtime
        .block_on(upload_missing(&client, &prepared.data_files))
        .map_err(|error| fail(format!("cannot store the data files: {error}")))?;
    if !global.quiet {
        for entry in stored {
            let file = entry.file;
            let verb = if entry.uploaded {
                "uploaded"
            } else {
                "already stored"
            };
            eprintln!(
                "data file {}: {verb} ({}sha256 {}…) at {}",
                file.path,
                file.rows_shown(),
                file.short_hash(),
                file.address
            );
        }
    }
    Ok(())
}
