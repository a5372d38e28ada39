//! The write-ahead journal: `journal.jsonl` in the evidence bundle, one JSON record a line.
//!
//! Before each mutation an `intent` record names the step, its action, the scene and the
//! fingerprint of the scene's view before it (the before-image itself holds secret values
//! and lives outside the bundle, see [`crate::evidence`]); after it an `outcome` record says
//! whether it took effect. Every record is flushed to disk (`fsync`) before the mutation it
//! announces is sent, so an apply killed at any point leaves a journal that says what may
//! have happened. Rollbacks append their own steps with `"phase": "rollback"`.
//!
//! Every line is passed through the plan's [`Redactor`] before it is written.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::order::StepKind;
use crate::plan::Kind;
use crate::redact::Redactor;

/// Which command wrote a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Apply,
    Rollback,
}

/// Whether a mutation took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It did (answered, or found by reading after the answer was lost).
    Ok,
    /// It did not (an error answer, or not found by reading after the answer was lost).
    Failed,
    /// The answer was lost and reading could not tell.
    Unknown,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// Written (and synced) before the mutation is sent.
    Intent {
        phase: Phase,
        /// Step number, from 1 per phase.
        step: usize,
        action: StepKind,
        /// What the step works on, when not a PTS scene (`environment`, `jmeter_scene`).
        #[serde(default, skip_serializing_if = "Kind::is_scene")]
        resource: Kind,
        /// The scene's key in the plan.
        key: String,
        /// The live scene's id; none for creates.
        scene_id: Option<String>,
        /// Fingerprint of the scene's view before the step; none for creates.
        before_fingerprint: Option<String>,
        /// RFC 3339 UTC.
        at: String,
    },
    /// Written after the answer, or after the live state was read to resolve a lost one.
    Outcome {
        phase: Phase,
        step: usize,
        outcome: Outcome,
        /// The service's request id, when the answer carried one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        /// The scene's id after the step (the new id of a created scene).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scene_id: Option<String>,
        /// The answer was lost and the outcome was decided by reading the live state.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        resolved_by_read: bool,
        /// What went wrong, for failed and unknown outcomes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        at: String,
    },
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    redactor: Redactor,
}

impl Journal {
    /// Opens (creating it if needed) the journal at `path` for appending. A new journal's
    /// directory entry is synced too, so that it survives a power loss. A last line left
    /// incomplete by a killed process is ended first, so the records appended after it stay
    /// one a line (readers skip the torn one).
    pub fn open(path: &Path, redactor: Redactor) -> std::io::Result<Journal> {
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        if existed {
            let len = file.metadata()?.len();
            if len > 0 {
                let mut last = [0u8; 1];
                file.seek(SeekFrom::Start(len - 1))?;
                file.read_exact(&mut last)?;
                if last[0] != b'\n' {
                    file.write_all(b"\n")?;
                    file.sync_data()?;
                }
            }
        } else if let Some(dir) = path.parent() {
            crate::evidence::sync_dir(dir)?;
        }
        Ok(Journal { file, redactor })
    }

    /// Appends `record`, redacted, and syncs it to disk before returning.
    pub fn append(&mut self, record: &Record) -> std::io::Result<()> {
        let line = serde_json::to_string(record).map_err(std::io::Error::other)?;
        let mut line = self.redactor.redact(&line);
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()
    }
}

/// The current time as journals and evidence spell it.
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_one_redacted_json_line_each() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("journal.jsonl");
        let mut redactor = Redactor::default();
        redactor.add("hunter22");
        let mut journal = Journal::open(&path, redactor).expect("open");
        let intent = Record::Intent {
            phase: Phase::Apply,
            step: 1,
            action: StepKind::Create,
            resource: Kind::Scene,
            key: "order".into(),
            scene_id: None,
            before_fingerprint: None,
            at: "2026-01-01T00:00:00Z".into(),
        };
        journal.append(&intent).expect("intent");
        journal
            .append(&Record::Outcome {
                phase: Phase::Apply,
                step: 1,
                outcome: Outcome::Failed,
                request_id: None,
                scene_id: None,
                resolved_by_read: false,
                error: Some("bad value hunter22".into()),
                at: "2026-01-01T00:00:01Z".into(),
            })
            .expect("outcome");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            serde_json::from_str::<Record>(lines[0]).expect("intent parses"),
            intent
        );
        assert!(lines[1].contains("\"outcome\":\"failed\""), "{}", lines[1]);
        assert!(!text.contains("hunter22"));

        // A record torn by a kill is ended before the next one is appended.
        std::fs::write(&path, format!("{}\n{{\"record\":\"int", lines[0])).expect("tear");
        let mut journal = Journal::open(&path, Redactor::default()).expect("reopen");
        journal.append(&intent).expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        let parsed: Vec<bool> = text
            .lines()
            .map(|l| serde_json::from_str::<Record>(l).is_ok())
            .collect();
        assert_eq!(parsed, [true, false, true], "{text}");
    }
}
