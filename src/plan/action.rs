//! What the planner proposes for a scene: a small closed set, each with one symbol used by
//! every renderer (after Terraform's `plans.Action`).

use serde::{Deserialize, Serialize};

/// What will happen to one scene.
///
/// | action | before | after |
/// |---|---|---|
/// | `Create` | none | the desired scene |
/// | `Update` | the live scene | the desired scene, saved in place |
/// | `StopThenUpdate` | a running live scene | stopped, then saved in place |
/// | `Replace` | a live scene with a change `SavePtsScene` cannot make | deleted, then created anew |
/// | `StopThenReplace` | a running live scene that must be replaced | stopped, deleted, created |
/// | `Delete` | an owned live scene left out of the plan (with `prune`) | none |
/// | `Start` | the live scene, unchanged | a run started (run policy) |
/// | `NoOp` | the live scene | the same |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    StopThenUpdate,
    Replace,
    StopThenReplace,
    Delete,
    Start,
    NoOp,
}

impl Action {
    /// Whether the live scene is deleted and created anew (its id changes).
    pub fn replaces(self) -> bool {
        matches!(self, Action::Replace | Action::StopThenReplace)
    }

    /// The symbol shown before the scene in text and markdown plans.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::StopThenUpdate => "!~",
            Action::Replace => "-/+",
            Action::StopThenReplace => "!-/+",
            Action::Delete => "-",
            Action::Start => ">",
            Action::NoOp => " ",
        }
    }

    /// The verb shown after the scene address.
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "will be created",
            Action::Update => "will be updated in place",
            Action::StopThenUpdate => "is running: it will be stopped, then updated",
            Action::Replace => "must be replaced",
            Action::StopThenReplace => "is running: it will be stopped, then replaced",
            Action::Delete => "will be deleted",
            Action::Start => "will be run",
            Action::NoOp => "is up to date",
        }
    }
}
