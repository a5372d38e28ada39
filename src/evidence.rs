//! The evidence bundle of an apply or a run, and the files a rollback reads back.
//!
//! Each apply writes `output/ptsplan/<UTC time>-<id>/` (the root is configurable):
//! `meta.json`, `plan.json`, `journal.jsonl`, `rollback.json` and `summary.md`
//! (docs/evidence.md); runs (`apply --run`, `ptsplan run`) add `reports/<scene>/`. Every text written into the bundle goes through the plan's
//! [`Redactor`].
//!
//! Before-images are the exception that proves the rule: to undo an update, the scene as it
//! was must be saved back *with* its secret values, which a redacted copy cannot do. They
//! are therefore kept out of the bundle, in `.ptsplan/before-images/<bundle id>.json`
//! under the directory apply ran in, readable by the owner only (0600, in a 0700
//! directory); `rollback.json` names that file. A bundle can be attached to a change request
//! as is; the side file stays on the machine (or CI workspace) that applied.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::apply::journal::Journal;
use crate::apply::order::Step;
use crate::redact::Redactor;
use crate::wire;

/// Format version of `meta.json`, `rollback.json` and the before-images file.
pub const FORMAT: u32 = 1;

/// The journal's file name in a bundle.
pub const JOURNAL: &str = "journal.jsonl";
/// The rollback record's file name in a bundle.
pub const ROLLBACK: &str = "rollback.json";

/// `meta.json`: what applied, against what, from which plan files, when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub format: u32,
    /// `ptsplan` version.
    pub tool_version: String,
    /// `pts` (PTS or a PTS-compatible server such as `ptsplan emulator serve`).
    pub backend: String,
    pub endpoint: String,
    pub region: String,
    /// The first characters of the access key id (never the whole id, never the secret).
    pub access_key_id_prefix: String,
    /// The plan files, in merge order.
    pub plan_files: Vec<String>,
    /// `sha256:` of the plan files' names and contents, in merge order.
    pub plan_hash: String,
    /// RFC 3339 UTC.
    pub started: String,
    /// RFC 3339 UTC; absent while the apply runs (or if it was killed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

/// `rollback.json`: what a rollback needs, written before the first mutation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RollbackRecord {
    pub format: u32,
    /// The plan's workspace (the owner named in scene markers).
    pub workspace: String,
    /// The before-images file (outside the bundle, owner-only), when the apply updates or
    /// deletes any scene.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_images: Option<PathBuf>,
    /// The apply's steps, in execution order.
    pub steps: Vec<Step>,
}

/// The before-images file: scenes as read before the apply, by plan key. Holds secrets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BeforeImages {
    pub format: u32,
    pub scenes: BTreeMap<String, wire::Scene>,
}

/// An evidence bundle being written.
#[derive(Debug)]
pub struct Bundle {
    /// The bundle directory.
    pub dir: PathBuf,
    /// Its name: `<UTC time>-<id>`.
    pub id: String,
    redactor: Redactor,
}

impl Bundle {
    /// Creates a new, empty bundle under `root`.
    pub fn create(root: &Path, redactor: Redactor) -> std::io::Result<Bundle> {
        let now = jiff::Timestamp::now();
        let time = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        // Short and unique enough for bundles made in the same second on one machine.
        let seed = format!("{}-{}", now.as_nanosecond(), std::process::id());
        let id = format!("{time}-{}", &short_hash(seed.as_bytes())[..6]);
        let dir = root.join(&id);
        std::fs::create_dir_all(&dir)?;
        Ok(Bundle { dir, id, redactor })
    }

    /// Writes `name` (a path inside the bundle, e.g. `reports/orders/report.md`), redacted.
    pub fn write(&self, name: &str, text: &str) -> std::io::Result<()> {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, self.redactor.redact(text))
    }

    /// Masks `other`'s secrets too in what is written from now on (tokens seen during a
    /// run join the plan's secrets).
    pub fn redact_also(&mut self, other: &Redactor) {
        self.redactor.merge(other);
    }

    /// Writes `value` as pretty JSON, redacted.
    pub fn write_json<T: Serialize>(&self, name: &str, value: &T) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
        text.push('\n');
        self.write(name, &text)
    }

    /// The bundle's journal, open for appending.
    pub fn journal(&self) -> std::io::Result<Journal> {
        Journal::open(&self.dir.join(JOURNAL), self.redactor.clone())
    }
}

/// Where the before-images of bundle `id` are kept: `.ptsplan/before-images/<id>.json`
/// under `base`.
pub fn before_images_path(base: &Path, id: &str) -> PathBuf {
    base.join(".ptsplan")
        .join("before-images")
        .join(format!("{id}.json"))
}

/// Writes the before-images file, readable and writable by the owner only.
pub fn write_before_images(path: &Path, images: &BeforeImages) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let text = serde_json::to_vec_pretty(images).map_err(std::io::Error::other)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, &text)?;
    file.sync_all()
}

/// `dir` and its parents, the new ones owner-only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Reads a bundle's rollback record and the before-images it names.
pub fn read_rollback(dir: &Path) -> Result<(RollbackRecord, BeforeImages), String> {
    let path = dir.join(ROLLBACK);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let record: RollbackRecord = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a rollback record: {e}", path.display()))?;
    if record.format != FORMAT {
        return Err(format!(
            "{} has format {}, this ptsplan reads format {FORMAT}",
            path.display(),
            record.format
        ));
    }
    let images = match &record.before_images {
        None => BeforeImages::default(),
        Some(images) => {
            let text = std::fs::read(images).map_err(|e| {
                format!(
                    "cannot read the before-images {} (they stay on the machine that applied): {e}",
                    images.display()
                )
            })?;
            serde_json::from_slice(&text)
                .map_err(|e| format!("{} is not a before-images file: {e}", images.display()))?
        }
    };
    Ok((record, images))
}

/// The part of an access key id that evidence may show.
pub fn key_id_prefix(id: &str) -> String {
    let prefix: String = id.chars().take(4).collect();
    format!("{prefix}…")
}

/// `sha256:` over the files' names and contents, in order.
pub fn content_hash(files: &[PathBuf]) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for file in files {
        let text = std::fs::read(file)?;
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(&text);
    }
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}

fn short_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_images_are_owner_only_and_bundle_files_are_redacted() {
        let root = tempfile::tempdir().expect("dir");
        let mut redactor = Redactor::default();
        redactor.add("hunter22");
        let bundle = Bundle::create(root.path(), redactor).expect("bundle");
        bundle
            .write("summary.md", "token hunter22\n")
            .expect("write");
        let text = std::fs::read_to_string(bundle.dir.join("summary.md")).expect("read");
        assert_eq!(text, "token (sensitive)\n");
        let path = before_images_path(root.path(), &bundle.id);
        write_before_images(&path, &BeforeImages::default()).expect("images");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!path.starts_with(&bundle.dir));
        assert_eq!(key_id_prefix("LTAI5tExample"), "LTAI…");
    }
}
