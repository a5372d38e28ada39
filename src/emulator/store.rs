//! The state directory: one JSON file per object, written atomically, with the whole state
//! indexed in memory behind a single writer lock.
//!
//! ```text
//! STATE_DIR/
//!   scenes/<SceneId>.json       the scene as GetPtsScene returns it (status and times included)
//!   runs/<PlanId>.json          a load or debug run: state, times, report, debug samples
//!   baselines/<SceneId>.json    a scene's baseline
//!   envs/<EnvId>.json           a JMeter environment
//!   jmeter/<SceneId>.json       a JMeter scene
//!   jmeter-runs/<ReportId>.json a JMeter load or debug run: state, times, report, series
//! ```
//!
//! Every change is written as `.<id>.json.tmp-<random>`, fsynced, renamed over the object's
//! file, and the directory fsynced, before the request is answered: an acknowledged change
//! survives a crash, and a crash at any point leaves each file either old or new, never torn.
//! Leftover temporary files are removed when the store opens.
//!
//! Concurrency: one mutex guards the in-memory tables and is held while the files of a change
//! are written, so requests are applied one at a time in a single order (PTS's own write rate
//! is far below what this allows). Handlers check first and mutate second; if writing fails,
//! the touched objects are re-read from disk so memory never runs ahead of the files.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ids;
use super::jmeter::Record as JMeterRecord;
use super::runs::RunRecord;
use crate::wire::{Baseline, Env, OpenJMeterScene, Scene};

/// Why the state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A directory or file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
}

/// The object kinds, each a subdirectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Scene,
    Run,
    Baseline,
    Env,
    JMeter,
    JMeterRun,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Scene,
        Kind::Run,
        Kind::Baseline,
        Kind::Env,
        Kind::JMeter,
        Kind::JMeterRun,
    ];

    fn dir(self) -> &'static str {
        match self {
            Kind::Scene => "scenes",
            Kind::Run => "runs",
            Kind::Baseline => "baselines",
            Kind::Env => "envs",
            Kind::JMeter => "jmeter",
            Kind::JMeterRun => "jmeter-runs",
        }
    }
}

/// Everything the emulator keeps, in memory. Maps are keyed by id.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    pub scenes: BTreeMap<String, Scene>,
    pub runs: BTreeMap<String, RunRecord>,
    pub baselines: BTreeMap<String, Baseline>,
    pub envs: BTreeMap<String, Env>,
    pub jmeter: BTreeMap<String, OpenJMeterScene>,
    pub jmeter_runs: BTreeMap<String, JMeterRecord>,
}

/// The objects a change touched, to be written (present) or removed (absent).
#[derive(Debug, Default)]
pub(crate) struct Touched(Vec<(Kind, String)>);

impl Touched {
    /// Notes that object `id` of `kind` changed (or was removed).
    pub fn mark(&mut self, kind: Kind, id: &str) {
        if !self.0.iter().any(|(k, i)| *k == kind && i == id) {
            self.0.push((kind, id.to_owned()));
        }
    }
}

/// The state directory and its in-memory index.
#[derive(Debug)]
pub(crate) struct Store {
    root: PathBuf,
    tables: Mutex<Tables>,
}

impl Store {
    /// Opens (creating if needed) the state directory and loads every object. Files that do
    /// not parse are reported on stderr and left alone, so that a bad file never stops the
    /// server nor gets overwritten silently.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        let mut tables = Tables::default();
        for kind in Kind::ALL {
            let dir = root.join(kind.dir());
            fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
                path: dir.clone(),
                source,
            })?;
            let entries = fs::read_dir(&dir).map_err(|source| StoreError::Io {
                path: dir.clone(),
                source,
            })?;
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.contains(".tmp-") {
                    // A write that never reached its rename: the old file (if any) is intact.
                    let _ = fs::remove_file(&path);
                    continue;
                }
                let Some(id) = name.strip_suffix(".json").filter(|id| ids::is_safe_id(id)) else {
                    continue;
                };
                let loaded = match kind {
                    Kind::Scene => load_into(&path, id, &mut tables.scenes),
                    Kind::Run => load_into(&path, id, &mut tables.runs),
                    Kind::Baseline => load_into(&path, id, &mut tables.baselines),
                    Kind::Env => load_into(&path, id, &mut tables.envs),
                    Kind::JMeter => load_into(&path, id, &mut tables.jmeter),
                    Kind::JMeterRun => load_into(&path, id, &mut tables.jmeter_runs),
                };
                if let Err(reason) = loaded {
                    // Stderr may be closed; the warning is advice, not a condition to serve.
                    let _ = writeln!(
                        io::stderr(),
                        "warning: {}: skipped, not a valid object: {reason}",
                        path.display()
                    );
                }
            }
        }
        Ok(Store {
            root: root.to_owned(),
            tables: Mutex::new(tables),
        })
    }

    /// The state directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Runs `read` on the tables.
    pub fn read<R>(&self, read: impl FnOnce(&Tables) -> R) -> R {
        read(&self.lock())
    }

    /// Runs `change`, which checks, then mutates the tables and marks what it touched; then
    /// writes the touched objects before returning. An error from `change` must come before
    /// any mutation. A failed write is an `io::Error`, after which the touched objects are
    /// reloaded from disk.
    pub fn write<R, E>(
        &self,
        change: impl FnOnce(&mut Tables, &mut Touched) -> Result<R, E>,
    ) -> Result<Result<R, E>, io::Error> {
        let mut tables = self.lock();
        let mut touched = Touched::default();
        let outcome = match change(&mut tables, &mut touched) {
            Ok(outcome) => outcome,
            Err(error) => return Ok(Err(error)),
        };
        for (kind, id) in &touched.0 {
            if let Err(error) = self.persist(&tables, *kind, id) {
                for (kind, id) in &touched.0 {
                    self.reload(&mut tables, *kind, id);
                }
                return Err(error);
            }
        }
        Ok(Ok(outcome))
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave half-applied state on disk (files are
        // written whole), so the tables stay usable.
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn path(&self, kind: Kind, id: &str) -> PathBuf {
        self.root.join(kind.dir()).join(format!("{id}.json"))
    }

    fn persist(&self, tables: &Tables, kind: Kind, id: &str) -> io::Result<()> {
        if !ids::is_safe_id(id) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "object id is not a safe file name",
            ));
        }
        let text = match kind {
            Kind::Scene => to_json(tables.scenes.get(id)),
            Kind::Run => to_json(tables.runs.get(id)),
            Kind::Baseline => to_json(tables.baselines.get(id)),
            Kind::Env => to_json(tables.envs.get(id)),
            Kind::JMeter => to_json(tables.jmeter.get(id)),
            Kind::JMeterRun => to_json(tables.jmeter_runs.get(id)),
        }?;
        let path = self.path(kind, id);
        match text {
            Some(text) => write_atomic(&path, text.as_bytes()),
            None => match fs::remove_file(&path) {
                Ok(()) => sync_dir(&path),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(error) => Err(error),
            },
        }
    }

    fn reload(&self, tables: &mut Tables, kind: Kind, id: &str) {
        let path = self.path(kind, id);
        fn redo<T: DeserializeOwned>(path: &Path, id: &str, map: &mut BTreeMap<String, T>) {
            map.remove(id);
            let _ = load_into(path, id, map);
        }
        match kind {
            Kind::Scene => redo(&path, id, &mut tables.scenes),
            Kind::Run => redo(&path, id, &mut tables.runs),
            Kind::Baseline => redo(&path, id, &mut tables.baselines),
            Kind::Env => redo(&path, id, &mut tables.envs),
            Kind::JMeter => redo(&path, id, &mut tables.jmeter),
            Kind::JMeterRun => redo(&path, id, &mut tables.jmeter_runs),
        }
    }
}

fn load_into<T: DeserializeOwned>(
    path: &Path,
    id: &str,
    map: &mut BTreeMap<String, T>,
) -> Result<(), String> {
    let text = fs::read(path).map_err(|e| e.to_string())?;
    let value = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    map.insert(id.to_owned(), value);
    Ok(())
}

fn to_json<T: Serialize>(value: Option<&T>) -> io::Result<Option<String>> {
    value
        .map(|value| serde_json::to_string_pretty(value).map_err(io::Error::other))
        .transpose()
}

/// Writes `bytes` to `path` so that `path` holds either its old content or all of `bytes`,
/// durably: temporary file, fsync, rename, fsync of the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.tmp-{}", ids::new_id(8)));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        sync_dir(path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Fsyncs the directory holding `path`, making a rename or removal in it durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(name: &str) -> Scene {
        Scene {
            scene_name: Some(name.into()),
            ..Scene::default()
        }
    }

    #[test]
    fn changes_survive_reopening_and_temp_files_are_swept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("opens");
        let written: Result<(), ()> = store
            .write(|tables, touched| {
                tables.scenes.insert("AB12".into(), scene("one"));
                tables.scenes.insert("CD34".into(), scene("two"));
                touched.mark(Kind::Scene, "AB12");
                touched.mark(Kind::Scene, "CD34");
                Ok(())
            })
            .expect("writes");
        assert!(written.is_ok());
        let removed: Result<(), ()> = store
            .write(|tables, touched| {
                tables.scenes.remove("CD34");
                touched.mark(Kind::Scene, "CD34");
                Ok(())
            })
            .expect("writes");
        assert!(removed.is_ok());
        fs::write(dir.path().join("scenes/.AB12.json.tmp-XYZ"), "{").expect("temp");
        fs::write(dir.path().join("scenes/BAD1.json"), "{").expect("bad");

        let reopened = Store::open(dir.path()).expect("reopens");
        let names: Vec<_> = reopened.read(|t| {
            t.scenes
                .iter()
                .map(|(id, s)| (id.clone(), s.scene_name.clone()))
                .collect()
        });
        assert_eq!(names, [("AB12".to_owned(), Some("one".to_owned()))]);
        assert!(!dir.path().join("scenes/.AB12.json.tmp-XYZ").exists());
        // The unreadable file is left for a human to look at.
        assert!(dir.path().join("scenes/BAD1.json").exists());
    }

    #[test]
    fn a_refused_change_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("opens");
        let refused: Result<(), &str> = store.write(|_, _| Err("no")).expect("no io");
        assert_eq!(refused, Err("no"));
        assert_eq!(
            fs::read_dir(dir.path().join("scenes"))
                .expect("dir")
                .count(),
            0
        );
    }
}
