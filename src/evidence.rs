//! The evidence bundle of an apply or a run, and the files a rollback reads back.
//!
//! Each apply writes `output/ptsplan/<UTC time>-<id>/` (the root is configurable):
//! `meta.json`, `plan.json`, `journal.jsonl`, `rollback.json` and `summary.md`
//! (docs/evidence.md); runs (`apply --run`, `ptsplan run`) add `reports/<scene>/`. Every text written into the bundle goes through the plan's
//! [`Redactor`].
//!
//! Before-images hold no secret either, but are kept apart: to undo an update, the scene
//! as it was must be saved back *with* its secret values. Every value that came from
//! `${secret.NAME}` is stored as that reference and resolved again from the environment by
//! rollback (as `apply plan.json` does), so the file holds no secret ptsplan knows of. A
//! scene may still hold values ptsplan cannot recognise as secret (one put there by hand,
//! or a secret rotated since), so the file is still kept out of the bundle, in
//! `.ptsplan/before-images/<bundle id>.json` under the directory apply ran in, readable by
//! the owner only (0600, in a 0700 directory); `rollback.json` names that file. A bundle
//! can be attached to a change request as is; the side file stays on the machine (or CI
//! workspace) that applied.

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
    /// JMeter environments the apply updated or deleted, by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, wire::Env>,
    /// JMeter scenes the apply updated or deleted, by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jmeter_scenes: BTreeMap<String, wire::OpenJMeterScene>,
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

    /// Writes `name` (a path inside the bundle, e.g. `reports/orders/report.md`), redacted,
    /// and syncs it (and its directory) to disk: the records written before the first
    /// mutation must survive a power loss.
    pub fn write(&self, name: &str, text: &str) -> std::io::Result<()> {
        let path = self.dir.join(name);
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&parent)?;
        let mut file = std::fs::File::create(&path)?;
        std::io::Write::write_all(&mut file, self.redactor.redact(text).as_bytes())?;
        file.sync_all()?;
        sync_dir(&parent)
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

/// Writes the before-images file, readable and writable by the owner only, with every
/// named secret of `redactor` stored as its `${secret.NAME}` reference. Returns whether the
/// file is free of every secret `redactor` knows (false when a secret cannot be stored as
/// a reference: it is then kept as is, and only the file's mode protects it).
pub fn write_before_images(
    path: &Path,
    images: &BeforeImages,
    redactor: &Redactor,
) -> std::io::Result<bool> {
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let plain = serde_json::to_string_pretty(images).map_err(std::io::Error::other)?;
    let referenced = redactor.references_only(&plain);
    let clean = !redactor.leaks(&referenced);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, referenced.as_bytes())?;
    file.sync_all()?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(clean)
}

/// Syncs a directory, making the creation of the files in it durable (a no-op where
/// directories cannot be opened, as on Windows).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// `dir` and its parents, the new ones owner-only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Reads a bundle's rollback record and the before-images it names, their secret
/// references resolved with `env` (the values are registered in `redactor`).
pub fn read_rollback(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    redactor: &mut Redactor,
) -> Result<(RollbackRecord, BeforeImages), String> {
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
            let text = std::fs::read_to_string(images).map_err(|e| {
                format!(
                    "cannot read the before-images {} (they stay on the machine that applied): {e}",
                    images.display()
                )
            })?;
            let resolved = crate::plan::planfile::resolve_references(&text, env, redactor)
                .map_err(|name| {
                    format!(
                        "the before-images {} refer to the secret `{name}`: set it in the environment as for the apply, then run rollback again",
                        images.display()
                    )
                })?;
            serde_json::from_str(&resolved)
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
        let mut named = Redactor::default();
        named.add_named("APP_SECRET", "hunter22");
        let scene = wire::Scene {
            scene_name: Some("token hunter22".into()),
            ..wire::Scene::default()
        };
        let images = BeforeImages {
            format: FORMAT,
            scenes: BTreeMap::from([("k".to_owned(), scene.clone())]),
            ..BeforeImages::default()
        };
        assert!(write_before_images(&path, &images, &named).expect("images"));
        let stored = std::fs::read_to_string(&path).expect("read");
        assert!(stored.contains("token ${secret.APP_SECRET}"), "{stored}");
        let record = RollbackRecord {
            format: FORMAT,
            workspace: "w".into(),
            before_images: Some(path.clone()),
            steps: Vec::new(),
        };
        bundle.write_json(ROLLBACK, &record).expect("record");
        let env = |name: &str| (name == "APP_SECRET").then(|| "hunter22".to_owned());
        let mut resolved = Redactor::default();
        let (_, read) = read_rollback(&bundle.dir, &env, &mut resolved).expect("reads");
        assert_eq!(read.scenes["k"], scene);
        assert!(resolved.leaks("hunter22"));
        let missing = read_rollback(&bundle.dir, &|_| None, &mut Redactor::default());
        assert!(missing.expect_err("no secret").contains("APP_SECRET"));
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
