//! `ptsplan apply [PATH]`: plan, confirm, then perform the changes in order, journaled,
//! with an evidence bundle and a rollback record.
//!
//! Confirmation: `yes` on a terminal, or `--auto-approve`; without a terminal and without
//! the flag it refuses before reading anything. On failure it stops and prints the command
//! that undoes what was done (`--rollback-on-failure` runs it). Exit codes: 0 (applied, or
//! nothing to do), 1 (refused, invalid plan, or a step failed).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::plan::{Prepared, prepare};
use super::rollback::undo;
use super::{Exit, GlobalArgs, default_plan_dir};
use crate::apply::executor::{self, Context, Done, Event};
use crate::apply::journal::Outcome;
use crate::apply::order::{self, Step, StepKind};
use crate::evidence::{self, BeforeImages, Bundle, Meta, RollbackRecord};
use crate::plan::Options;
use crate::render::plan as render;

/// Arguments of `ptsplan apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan: a plan file, or a directory whose *.yaml files form one plan.
    /// Default: ./plans if it exists, else the current directory.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Apply without asking (for CI). Without it, apply asks on a terminal and refuses
    /// elsewhere.
    #[arg(long)]
    pub auto_approve: bool,
    /// Delete owned scenes that left the plan.
    #[arg(long)]
    pub prune: bool,
    /// When a step fails, undo what was done (as `ptsplan rollback` would) before exiting.
    #[arg(long)]
    pub rollback_on_failure: bool,
    /// Where evidence bundles are written (default: `[evidence] dir` of ptsplan.toml, else
    /// output/ptsplan).
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<PathBuf>,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let interactive = std::io::stdin().is_terminal();
    if !args.auto_approve && !interactive {
        eprintln!(
            "error: apply needs confirmation and standard input is not a terminal; \
             review the plan with `ptsplan plan`, then run `ptsplan apply --auto-approve`"
        );
        return Exit::Error;
    }
    let path = args.path.clone().unwrap_or_else(default_plan_dir);
    let options = Options {
        prune: args.prune,
        run: false,
    };
    let mut prepared = match prepare(global, &path, options) {
        Ok(prepared) => prepared,
        Err(exit) => return exit,
    };
    let secret = prepared
        .connection
        .settings
        .credential
        .credential
        .access_key_secret()
        .to_owned();
    prepared.redactor.add(&secret);
    let text = render::text(&prepared.proposal, &prepared.redactor);
    print(&text);
    if !prepared.proposal.has_changes() {
        return Exit::Ok;
    }
    if !args.auto_approve && !confirmed() {
        eprintln!("Apply cancelled.");
        return Exit::Error;
    }
    let root = args.evidence_dir.clone().unwrap_or_else(evidence_root);
    apply(global, &prepared, &root, args.rollback_on_failure)
}

/// Asks on the terminal; only `yes` confirms.
fn confirmed() -> bool {
    eprint!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}

/// Writes the bundle, runs the steps, writes the outcome.
fn apply(global: &GlobalArgs, prepared: &Prepared, root: &Path, rollback_on_failure: bool) -> Exit {
    // Scenes name their data files by OSS address: the objects must exist first.
    if let Err(exit) = super::upload::store_data_files(global, prepared) {
        return exit;
    }
    let redactor = &prepared.redactor;
    let bundle = match Bundle::create(root, redactor.clone()) {
        Ok(bundle) => bundle,
        Err(error) => {
            eprintln!(
                "error: cannot create the evidence bundle under {}: {error}",
                root.display()
            );
            return Exit::Error;
        }
    };
    let steps = order::steps(&prepared.proposal);
    let started = crate::apply::journal::now();
    let mut meta = meta(prepared, started);
    if let Err(error) = write_records(prepared, &bundle, &steps, &meta) {
        eprintln!(
            "error: cannot write the evidence bundle {}: {error}; nothing was applied",
            bundle.dir.display()
        );
        return Exit::Error;
    }
    let mut journal = match bundle.journal() {
        Ok(journal) => journal,
        Err(error) => {
            eprintln!(
                "error: cannot open the journal in {}: {error}; nothing was applied",
                bundle.dir.display()
            );
            return Exit::Error;
        }
    };
    // Scenes taken over with `adopt` are updated as if already owned (plan::adopt).
    let live =
        crate::plan::adopt::as_owned(&prepared.live, &prepared.proposal, &prepared.workspace);
    let cx = Context {
        client: &prepared.connection.client,
        workspace: &prepared.workspace,
        desired: &prepared.desired,
        live: &live,
    };
    let total = steps.len();
    let quiet = global.quiet;
    let mut observe = |event: Event<'_>| {
        if quiet {
            return;
        }
        match event {
            Event::Before(step) => eprintln!(
                "[{}/{total}] {} scene.{}…",
                step.number,
                step.kind.verb(),
                step.key
            ),
            Event::After(done) => eprintln!(
                "[{}/{total}] {}",
                done.step.number,
                redactor.redact(&describe(done))
            ),
        }
    };
    let report =
        prepared
            .runtime
            .block_on(executor::execute(&cx, &steps, &mut journal, &mut observe));
    // A complete apply is read back and checked against what was sent.
    let inconsistent = if report.stopped.is_none() {
        match prepared
            .runtime
            .block_on(executor::verify(&cx, &report.done))
        {
            Ok(lines) => lines,
            Err(error) => vec![format!(
                "cannot read the scenes back to verify them: {error}"
            )],
        }
    } else {
        Vec::new()
    };
    meta.ended = Some(crate::apply::journal::now());
    let undo_command = format!("ptsplan rollback {}", bundle.dir.display());
    let summary = summary(
        &bundle.id,
        &steps,
        &report.done,
        report.stopped.as_deref(),
        &inconsistent,
        &undo_command,
    );
    let written = bundle
        .write_json("meta.json", &meta)
        .and_then(|()| bundle.write("summary.md", &summary));
    if let Err(error) = written {
        eprintln!("warning: cannot finish the evidence bundle: {error}");
    }
    let Some(stopped) = report.stopped else {
        println!(
            "\nApply complete! {} created, {} updated, {} deleted.\nEvidence: {}",
            count(&report.done, StepKind::Create),
            count(&report.done, StepKind::Update),
            count(&report.done, StepKind::Delete),
            bundle.dir.display()
        );
        if inconsistent.is_empty() {
            return Exit::Ok;
        }
        eprintln!("\nerror: the backend holds something other than what was applied:");
        for line in &inconsistent {
            eprintln!("  {}", redactor.redact(line));
        }
        eprintln!("To undo the apply: {undo_command}");
        return Exit::Error;
    };
    eprintln!("\nerror: apply stopped: {}", redactor.redact(&stopped));
    eprintln!("Evidence: {}", bundle.dir.display());
    if rollback_on_failure {
        eprintln!("Rolling back (--rollback-on-failure)…");
        let _ = undo(global, &prepared.connection, &prepared.runtime, &bundle.dir);
    } else {
        eprintln!("To undo what was applied, run:\n\n    {undo_command}\n");
    }
    Exit::Error
}

/// meta.json as of the start.
fn meta(prepared: &Prepared, started: String) -> Meta {
    let settings = &prepared.connection.settings;
    Meta {
        format: evidence::FORMAT,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: match settings.credential.source {
            crate::api::credentials::CredentialSource::LocalBackend { .. } => "local",
            _ => "pts",
        }
        .to_owned(),
        endpoint: settings.endpoint.to_string(),
        region: settings.region.clone(),
        access_key_id_prefix: evidence::key_id_prefix(
            settings.credential.credential.access_key_id(),
        ),
        plan_files: prepared
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        plan_hash: evidence::content_hash(&prepared.files).unwrap_or_default(),
        started,
        ended: None,
    }
}

/// Everything written before the first mutation: the before-images (outside the bundle),
/// meta.json, plan.json and rollback.json.
fn write_records(
    prepared: &Prepared,
    bundle: &Bundle,
    steps: &[Step],
    meta: &Meta,
) -> std::io::Result<()> {
    let mut images = BeforeImages {
        format: evidence::FORMAT,
        ..BeforeImages::default()
    };
    for step in steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Update | StepKind::Delete))
    {
        let live = prepared
            .live
            .iter()
            .find(|l| l.scene.scene_id.is_some() && l.scene.scene_id == step.scene_id);
        if let Some(live) = live {
            images.scenes.insert(step.key.clone(), live.scene.clone());
        }
    }
    let before_images = if images.scenes.is_empty() {
        None
    } else {
        let path = evidence::before_images_path(&std::env::current_dir()?, &bundle.id);
        evidence::write_before_images(&path, &images)?;
        Some(path)
    };
    bundle.write_json("meta.json", meta)?;
    bundle.write_json(
        "plan.json",
        &render::json(&prepared.proposal, &prepared.redactor),
    )?;
    bundle.write_json(
        evidence::ROLLBACK,
        &RollbackRecord {
            format: evidence::FORMAT,
            workspace: prepared.workspace.clone(),
            before_images,
            steps: steps.to_vec(),
        },
    )
}

/// One line for a finished step.
fn describe(done: &Done) -> String {
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
            "{} scene.{}: ok{id}{read}",
            done.step.kind.verb(),
            done.step.key
        ),
        (outcome, error) => format!(
            "{} scene.{}: {}{read}: {}",
            done.step.kind.verb(),
            done.step.key,
            word(outcome),
            error.as_deref().unwrap_or("")
        ),
    }
}

fn word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Ok => "ok",
        Outcome::Failed => "failed",
        Outcome::Unknown => "outcome unknown",
    }
}

fn count(done: &[Done], kind: StepKind) -> usize {
    done.iter()
        .filter(|d| d.step.kind == kind && d.outcome == Outcome::Ok)
        .count()
}

/// summary.md: the steps and how they ended, for a reviewer.
fn summary(
    id: &str,
    steps: &[Step],
    done: &[Done],
    stopped: Option<&str>,
    inconsistent: &[String],
    undo_command: &str,
) -> String {
    let mut out = format!("# ptsplan apply {id}\n\n");
    match stopped {
        None if inconsistent.is_empty() => out.push_str("Result: **applied**.\n\n"),
        None => {
            out.push_str("Result: **applied, inconsistent when read back**:\n\n");
            for line in inconsistent {
                out.push_str(&format!("- {line}\n"));
            }
            out.push_str(&format!("\nTo undo: `{undo_command}`\n\n"));
        }
        Some(reason) => out.push_str(&format!(
            "Result: **stopped**: {reason}.\n\nTo undo: `{undo_command}`\n\n"
        )),
    }
    out.push_str("| step | action | scene | outcome |\n|---|---|---|---|\n");
    for step in steps {
        let outcome = done
            .iter()
            .find(|d| d.step.number == step.number)
            .map_or("not run", |d| word(d.outcome));
        out.push_str(&format!(
            "| {} | {} | `{}` | {outcome} |\n",
            step.number,
            step.kind.verb(),
            step.key
        ));
    }
    out
}

/// Where bundles go without `--evidence-dir`: `[evidence] dir` of ptsplan.toml (relative
/// to its directory), else output/ptsplan.
fn evidence_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut sources = crate::diag::Sources::default();
    crate::config::discover(&cwd, &mut sources)
        .ok()
        .and_then(|loaded| {
            let dir = loaded.file.evidence.dir?;
            Some(loaded.root.map_or(dir.clone(), |root| root.join(dir)))
        })
        .unwrap_or_else(|| PathBuf::from("output").join("ptsplan"))
}

/// Prints the plan; a closed pipe is not an error.
fn print(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}
