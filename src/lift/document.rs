//! One plan file for one lifted scene: `version`, `workspace`, the token sources it defines
//! and the scene, with the lifting notes as comments.

use indexmap::IndexMap;

use super::Lifted;
use super::secrets::SecretUse;
use super::yaml::Document;
use crate::spec::model::{Plan, TokenSource};

/// What goes into one file.
pub struct FileParts<'a> {
    pub workspace: &'a str,
    pub lifted: &'a Lifted,
    /// The token sources this file defines (a source shared by several scenes is defined
    /// in one file only, as directory plans require).
    pub token_sources: IndexMap<String, TokenSource>,
    /// Header comment lines: origin, time, how to adopt.
    pub header: Vec<String>,
    /// The secrets this scene's values were replaced by.
    pub secrets: &'a [SecretUse],
}

/// The plan file text.
pub fn plan_file(parts: FileParts<'_>) -> String {
    let FileParts {
        workspace,
        lifted,
        token_sources,
        mut header,
        secrets,
    } = parts;
    if !secrets.is_empty() {
        header.push(String::new());
        header.push(
            "Secrets were replaced by ${secret.NAME} references; set these environment variables"
                .into(),
        );
        header.push("(to the values the scene holds in PTS) before `plan` and `apply`:".into());
        for s in secrets {
            header.push(format!("  {}  ({})", s.name, s.place));
        }
    }
    let plan = Plan {
        version: 1,
        workspace: workspace.to_owned(),
        token_sources,
        scenes: IndexMap::from([(lifted.key.clone(), lifted.scene.clone())]),
        ..Plan::default()
    };
    let mut doc = Document {
        header,
        ..Document::default()
    };
    for note in &lifted.notes {
        let path = if note.path.first().is_some_and(|p| p == "token_sources") {
            note.path.clone()
        } else {
            ["scenes".to_owned(), lifted.key.clone()]
                .into_iter()
                .chain(note.path.iter().cloned())
                .collect()
        };
        doc.comment(path, note.text.clone());
    }
    if let Some(id) = &lifted.scene.adopt {
        doc.comment(
            vec!["scenes".into(), lifted.key.clone(), "adopt".into()],
            format!("the first apply takes over PTS scene {id} for workspace `{workspace}`"),
        );
    }
    let value = serde_json::to_value(&plan).unwrap_or_default();
    doc.write(&value)
}
