//! Progress of an apply's steps for humans.
//!
//! On a terminal (standard error), one line per step with a spinner while it is in flight
//! and the time it took once it ended (indicatif); steps of one phase run in parallel, so
//! several lines may spin at once. Elsewhere (CI logs, pipes) one plain line when a step
//! starts and one when it ends, which reads well in a log and is easy to grep. Every line
//! passes through the redactor.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::apply::executor::{Done, Event};
use crate::apply::journal::Outcome;
use crate::redact::Redactor;

/// How often the spinners turn.
const TICK: Duration = Duration::from_millis(100);

/// The display of one apply.
pub struct Progress {
    total: usize,
    redactor: Redactor,
    mode: Mode,
}

enum Mode {
    Quiet,
    Plain,
    Bars {
        multi: MultiProgress,
        lines: BTreeMap<usize, ProgressBar>,
    },
}

impl Progress {
    /// A display for `total` steps: nothing with `quiet`, spinners when standard error is
    /// a terminal, plain lines otherwise.
    pub fn new(total: usize, quiet: bool, redactor: Redactor) -> Progress {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars {
                multi: MultiProgress::new(),
                lines: BTreeMap::new(),
            }
        } else {
            Mode::Plain
        };
        Progress {
            total,
            redactor,
            mode,
        }
    }

    /// Shows one executor event.
    pub fn event(&mut self, event: Event<'_>) {
        let total = self.total;
        match (&mut self.mode, event) {
            (Mode::Quiet, _) => {}
            (Mode::Plain, Event::Before(step)) => eprintln!(
                "[{}/{total}] {} {}…",
                step.number,
                step.kind.verb(),
                step.address()
            ),
            (Mode::Plain, Event::After(done)) => eprintln!(
                "[{}/{total}] {}",
                done.step.number,
                self.redactor.redact(&describe(done))
            ),
            (Mode::Bars { multi, lines }, Event::Before(step)) => {
                let line = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(style("{spinner} {prefix} {msg} {elapsed}"))
                        .with_prefix(format!("[{}/{total}]", step.number))
                        .with_message(format!("{} {}…", step.kind.verb(), step.address())),
                );
                line.enable_steady_tick(TICK);
                lines.insert(step.number, line);
            }
            (Mode::Bars { lines, .. }, Event::After(done)) => {
                if let Some(line) = lines.remove(&done.step.number) {
                    let mark = if done.outcome == Outcome::Ok {
                        "✓"
                    } else {
                        "✗"
                    };
                    line.set_style(style(&format!("{mark} {{prefix}} {{msg}} ({{elapsed}})")));
                    line.finish_with_message(self.redactor.redact(&describe(done)));
                }
            }
        }
    }
}

/// A template, or indicatif's default spinner if it does not parse (it always does).
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// One line for a finished step.
pub fn describe(done: &Done) -> String {
    let id = done
        .scene_id
        .as_deref()
        .map(|id| format!(" (id {id})"))
        .unwrap_or_default();
    let read = if done.resolved_by_read {
        ", decided by reading the live state"
    } else {
        ""
    };
    match (done.outcome, &done.error) {
        (Outcome::Ok, _) => format!(
            "{} {}: ok{id}{read}",
            done.step.kind.verb(),
            done.step.address()
        ),
        (outcome, error) => format!(
            "{} {}: {}{read}: {}",
            done.step.kind.verb(),
            done.step.address(),
            word(outcome),
            error.as_deref().unwrap_or("")
        ),
    }
}

/// How an outcome is written in lines and summaries.
pub fn word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "ok",
        Outcome::Failed => "failed",
        Outcome::Unknown => "outcome unknown",
    }
}
