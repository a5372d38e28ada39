//! `ptsplan.toml`: project settings, found by walking up from the working directory.
//!
//! Nothing secret lives here (credentials come from the environment and Alibaba Cloud's
//! credential files); the file says which backend to talk to and how hard. Every value can
//! be overridden by a flag or an environment variable; [`crate::api::backend::resolve`]
//! applies that order in one place. The keys are documented in `docs/configuration.md`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{Diagnostic, Sources, Span};

/// The file name looked for.
pub const FILE_NAME: &str = "ptsplan.toml";

/// Which backend to talk to (`[backend] kind`, `--backend`, `PTSPLAN_BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// The embedded PTS-compatible local backend.
    Local,
    /// Alibaba Cloud PTS (or any PTS-compatible server at `endpoint`).
    Pts,
}

/// The file's content. Unknown keys are errors, so that a misspelt key is not silently
/// ignored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// `[backend]`: where API calls go and how hard.
    #[serde(default)]
    pub backend: BackendTable,
    /// `[evidence]`: where apply and run write their records.
    #[serde(default)]
    pub evidence: EvidenceTable,
    /// `[data]`: where `apply` stores the plan's data files.
    #[serde(default)]
    pub data: DataTable,
}

/// `[backend]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendTable {
    /// `local` or `pts`; default: `pts` when credentials are found, else `local`.
    pub kind: Option<BackendKind>,
    /// `host[:port]` or `http(s)://host:port` of a PTS-compatible server.
    pub endpoint: Option<String>,
    /// Region id, e.g. `cn-hangzhou`.
    pub region: Option<String>,
    /// Credentials profile (shared credentials file or aliyun CLI config).
    pub profile: Option<String>,
    /// Concurrent API calls.
    pub parallelism: Option<usize>,
    /// API calls per second.
    pub rate_limit: Option<f64>,
    /// State directory of the embedded local backend.
    pub state_dir: Option<PathBuf>,
}

/// `[evidence]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceTable {
    /// Where evidence bundles are written (default `output/ptsplan`).
    pub dir: Option<PathBuf>,
}

/// `[data]`: the OSS bucket for data files. Without it, data files go to the backend
/// itself (the local backend serves the OSS calls ptsplan needs).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTable {
    /// The bucket (default `ptsplan-data`).
    pub bucket: Option<String>,
    /// The OSS endpoint, e.g. `oss-cn-shanghai.aliyuncs.com` (`host[:port]` or
    /// `http(s)://host[:port]`); default: the backend's own address.
    pub endpoint: Option<String>,
}

impl DataTable {
    /// The store these settings name; an endpoint that cannot be used is an error naming
    /// the key.
    pub fn store(&self) -> Result<crate::oss::DataStore, String> {
        let endpoint = self
            .endpoint
            .as_deref()
            .map(crate::api::Endpoint::parse)
            .transpose()
            .map_err(|error| format!("ptsplan.toml [data] endpoint: {error}"))?;
        let bucket = self
            .bucket
            .clone()
            .unwrap_or_else(|| crate::oss::DEFAULT_BUCKET.to_owned());
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !bucket.starts_with('-')
            && !bucket.ends_with('-');
        if !valid {
            return Err(format!(
                "ptsplan.toml [data] bucket `{bucket}`: an OSS bucket name is 3-63 characters \
                 of a-z, 0-9 and `-`, not starting or ending with `-`"
            ));
        }
        Ok(crate::oss::DataStore { bucket, endpoint })
    }
}

/// A loaded `ptsplan.toml` and where it was found.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The project root (the directory holding the file), if a file was found.
    pub root: Option<PathBuf>,
    /// The settings (all unset when no file was found).
    pub file: File,
}

/// Finds and reads `ptsplan.toml` from `start` upwards. No file is not an error.
pub fn discover(start: &Path, sources: &mut Sources) -> Result<Loaded, Box<Diagnostic>> {
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            let file = read(&candidate, sources)?;
            return Ok(Loaded {
                root: Some(dir.to_path_buf()),
                file,
            });
        }
    }
    Ok(Loaded::default())
}

/// Reads one settings file; a syntax or schema error becomes a diagnostic at its place.
pub fn read(path: &Path, sources: &mut Sources) -> Result<File, Box<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(Diagnostic::error(
            "config::unreadable",
            format!("cannot read {}: {e}", path.display()),
        ))
    })?;
    let id = sources.add(path, text.as_str());
    toml::from_str::<File>(&text).map_err(|e| {
        let span = e.span().map(|r| Span::new(id, r.start, r.end));
        Box::new(
            Diagnostic::error(
                "config::invalid",
                format!("{}: {}", path.display(), e.message()),
            )
            .at_opt(span)
            .with_help("see docs/configuration.md for the keys ptsplan.toml accepts"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_reads() {
        let file: File = toml::from_str(
            r#"
            [backend]
            kind = "pts"
            endpoint = "http://127.0.0.1:18080"
            region = "cn-shanghai"
            profile = "ci"
            parallelism = 8
            rate_limit = 20.0
            [evidence]
            dir = "out"
            [data]
            bucket = "loadtest-data"
            endpoint = "oss-cn-shanghai.aliyuncs.com"
            "#,
        )
        .unwrap();
        assert_eq!(file.backend.kind, Some(BackendKind::Pts));
        assert_eq!(file.backend.parallelism, Some(8));
        assert_eq!(file.evidence.dir, Some(PathBuf::from("out")));
        let store = file.data.store().unwrap();
        assert_eq!(store.bucket, "loadtest-data");
        assert_eq!(
            store.address("k"),
            "https://loadtest-data.oss-cn-shanghai.aliyuncs.com/k"
        );
    }

    #[test]
    fn data_defaults_to_the_backend_and_checks_the_bucket() {
        assert_eq!(
            DataTable::default().store().unwrap(),
            crate::oss::DataStore::default()
        );
        let bad = DataTable {
            bucket: Some("My_Bucket".into()),
            endpoint: None,
        };
        assert!(bad.store().unwrap_err().contains("[data] bucket"));
    }

    #[test]
    fn unknown_keys_are_diagnostics_with_a_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "[backend]\nendpont = \"x\"\n").unwrap();
        let mut sources = Sources::default();
        let err = read(&path, &mut sources).unwrap_err();
        assert!(err.message.contains("endpont"), "{}", err.message);
        assert!(err.span.is_some());
    }

    #[test]
    fn discovery_walks_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "[backend]\nkind = \"local\"\n").unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let loaded = discover(&nested, &mut Sources::default()).unwrap();
        assert_eq!(loaded.root.as_deref(), Some(dir.path()));
        assert_eq!(loaded.file.backend.kind, Some(BackendKind::Local));
    }
}
