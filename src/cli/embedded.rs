//! The embedded local backend: the PTS-compatible server started inside the CLI process
//! when no cloud is configured, so every command talks to it through the same signed HTTP
//! client as it would to PTS.
//!
//! It listens on a free loopback port, keeps its state (scenes, reports, its generated key
//! pair) in the project's `.ptsplan/local/`, and lives as long as the command.

use std::path::{Path, PathBuf};

use crate::api::Endpoint;
use crate::api::backend::PtsSettings;
use crate::api::credentials::{CredentialSource, ResolvedCredential};
use crate::api::sign::Credential;
use crate::emulator::{self, EMBEDDED_STATE_DIR, GENERATED_KEYS_FILE, Options, Server};

/// The state directory of the embedded backend: `[backend] state_dir` (relative to the
/// project root), else `.ptsplan/local` in the project root (the directory holding
/// `ptsplan.toml`, or the current one).
pub fn state_dir(root: Option<&Path>, configured: Option<&Path>) -> PathBuf {
    let root = root.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    match configured {
        Some(dir) if dir.is_absolute() => dir.to_path_buf(),
        Some(dir) => root.join(dir),
        None => root.join(EMBEDDED_STATE_DIR),
    }
}

/// Starts the embedded backend on `state_dir` in a background thread and returns the
/// settings of a client for it.
pub fn start(state_dir: &Path, parallelism: usize) -> Result<PtsSettings, String> {
    let keys_path = state_dir.join(GENERATED_KEYS_FILE);
    let (options, key) = Options::embedded(state_dir)
        .map_err(|e| format!("cannot read or create {}: {e}", keys_path.display()))?;
    let server =
        Server::open(options).map_err(|e| format!("cannot open the local backend's state: {e}"))?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("ptsplan-local-backend".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                match emulator::bind("127.0.0.1:0").await {
                    Ok((listener, address)) => {
                        let _ = ready_tx.send(Ok(address));
                        // Serves until the process ends.
                        let _ = emulator::serve(listener, server, std::future::pending()).await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                }
            });
        })
        .map_err(|e| format!("cannot start the local backend: {e}"))?;
    let address = ready_rx
        .recv()
        .map_err(|_| "the local backend stopped while starting".to_owned())??;
    let endpoint = Endpoint::parse(&format!("http://{address}"))
        .map_err(|e| format!("the local backend's address {address}: {e}"))?;
    Ok(PtsSettings {
        endpoint,
        region: "local".to_owned(),
        credential: ResolvedCredential {
            credential: Credential::new(key.id.clone(), key.secret.clone()),
            source: CredentialSource::LocalBackend {
                path: keys_path.display().to_string(),
            },
            region: None,
        },
        parallelism,
        rate_limit: None,
    })
}
