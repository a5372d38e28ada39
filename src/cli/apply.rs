//! `ptsplan apply [PLANFILE | PATH]`: perform a plan's changes in order, journaled, with an
//! evidence bundle and a rollback record.
//!
//! Two inputs. Plan files (a YAML file or a directory): apply plans them exactly as `plan`
//! does, prints the plan and asks for confirmation — `yes` on a terminal, or
//! `--auto-approve`; without a terminal and without the flag it refuses before reading
//! anything. A saved plan (`plan -o FILE`, recognised by its content): it was reviewed
//! already, so it is applied without asking (as Terraform applies a saved plan), but only
//! if every live scene it touches is still as it was when the plan was saved; otherwise
//! nothing is sent and the exit code is 3 (stale plan).
//!
//! On failure it stops and prints the command that undoes what was done
//! (`--rollback-on-failure` runs it). Exit codes: 0 (applied, or nothing to do), 1
//! (refused, invalid plan, or a step failed), 3 (stale saved plan).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::backend::connect_with_runtime;
use super::plan::{Prepared, prepare};
use super::progress::{Progress, word};
use super::rollback::undo;
use super::run::RunFlags;
use super::{Exit, GlobalArgs, default_plan_dir};
use crate::apply::executor::{self, Context, DEFAULT_PARALLELISM, Done, Event};
use crate::apply::journal::Outcome;
use crate::apply::order::{self, Step, StepKind};
use crate::apply::saved;
use crate::evidence::{self, BeforeImages, Bundle, Meta, RollbackRecord};
use crate::plan::{Options, planfile};
use crate::redact::Redactor;
use crate::render::plan as render;

/// Arguments of `ptsplan apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved plan (`ptsplan plan -o FILE`), or the plan: a plan file, or a directory whose
    /// *.yaml files form one plan. Default: ./plans if it exists, else the current directory.
    #[arg(value_name = "PLANFILE|PATH")]
    pub path: Option<PathBuf>,
    /// Apply without asking (for CI). Without it, apply asks on a terminal and refuses
    /// elsewhere. A saved plan is applied without asking.
    #[arg(long)]
    pub auto_approve: bool,
    /// Delete owned scenes that left the plan (for a saved plan, give it to `plan -o`).
    #[arg(long)]
    pub prune: bool,
    /// When a step fails, undo what was done (as `ptsplan rollback` would) before exiting.
    #[arg(long)]
    pub rollback_on_failure: bool,
    /// Where evidence bundles are written (default: `[evidence] dir` of ptsplan.toml, else
    /// output/ptsplan).
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<PathBuf>,
    /// How many independent steps (different scenes, same phase) are sent at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PARALLELISM,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// After the changes, run the scenes whose `run` policy asks for it (`on_apply`; and
    /// `on_change` when changed), as `ptsplan run` does, reports into the same bundle.
    #[arg(long)]
    pub run: bool,
    /// How runs go with `--run`.
    #[command(flatten)]
    pub run_flags: RunFlags,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let path = args.path.clone().unwrap_or_else(default_plan_dir);
    let saved = planfile::is_saved_plan(&path);
    if saved && args.prune {
        eprintln!(
            "error: --prune cannot change a saved plan; save it with `ptsplan plan --prune -o {}`",
            path.display()
        );
        return Exit::Usage;
    }
    if saved && args.run {
        eprintln!(
            "error: --run needs the plan files (a saved plan holds no thresholds); apply {} \
             first, then `ptsplan run SCENE… --plan PATH`",
            path.display()
        );
        return Exit::Usage;
    }
    if !saved && !args.auto_approve && !std::io::stdin().is_terminal() {
        eprintln!(
            "error: apply needs confirmation and standard input is not a terminal; \
             review the plan with `ptsplan plan`, then run `ptsplan apply --auto-approve` \
             (or save it with `ptsplan plan -o plan.json` and run `ptsplan apply plan.json`)"
        );
        return Exit::Error;
    }
    let prepared = if saved {
        prepare_saved(global, &path)
    } else {
        let options = Options {
            prune: args.prune,
            run: args.run,
        };
        prepare(global, &path, options)
    };
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(exit) => return exit,
    };
    let text = render::text(&prepared.proposal, &prepared.redactor);
    print(&text);
    if !prepared.proposal.has_changes() {
        return Exit::Ok;
    }
    if !saved && !args.auto_approve && !confirmed() {
        eprintln!("Apply cancelled.");
        return Exit::Error;
    }
    let root = args.evidence_dir.clone().unwrap_or_else(evidence_root);
    apply(global, &prepared, &root, &args)
}

/// Reads a saved plan, resolves its secrets from the environment, reads the live state and
/// checks that every scene it touches is as it was when the plan was saved.
fn prepare_saved(global: &GlobalArgs, path: &Path) -> Result<Prepared, Exit> {
    let fail = |error: planfile::PlanFileError| {
        eprintln!("error: {error}");
        Exit::Error
    };
    let saved_plan = planfile::read(path).map_err(fail)?;
    let mut redactor = Redactor::default();
    let lookup = |name: &str| std::env::var(name).ok();
    let desired = saved::desired(path, &saved_plan, &lookup, &mut redactor).map_err(fail)?;
    let jmeter_desired =
        saved::desired_jmeter(path, &saved_plan, &lookup, &mut redactor).map_err(fail)?;
    let data = super::plan::data_store(global)?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let data_files = planfile::data_files(&saved_plan, &cwd, &data).map_err(fail)?;
    let (connection, runtime) = connect_with_runtime(global)?;
    connection.redact_credentials(&mut redactor);
    let live = match runtime.block_on(crate::live::read_all(&connection.client)) {
        Ok(live) => live,
        Err(error) => return Err(connection.report(global, &error)),
    };
    // The JMeter side is read only when the saved plan touches it (as `plan` does).
    let touches_jmeter = saved_plan.scenes.iter().any(|s| !s.kind.is_scene());
    let (jmeter, _) = if touches_jmeter {
        super::plan::read_jmeter(global, &connection, &runtime, &data, jmeter_desired, false)?
    } else {
        (crate::plan::jmeter::State::default(), Vec::new())
    };
    let proposal = match saved::proposal(&saved_plan, &desired, &live, &jmeter) {
        Ok(proposal) => proposal,
        Err(moved) => {
            eprintln!(
                "error: the saved plan {} is stale: {} scene(s) it changes moved since it was made ({}):",
                path.display(),
                moved.len(),
                saved_plan.created_at
            );
            for m in &moved {
                eprintln!("  {}: {}", m.kind.address(&m.key), m.why);
            }
            eprintln!(
                "Nothing was applied. Plan again (`ptsplan plan -o {}`), review it, and apply the new plan.",
                path.display()
            );
            return Err(Exit::StalePlan);
        }
    };
    Ok(Prepared {
        files: vec![path.to_path_buf()],
        // A saved plan holds wire objects only; `--run` (which needs thresholds) is refused.
        plan: crate::spec::model::Plan::default(),
        workspace: saved_plan.workspace,
        desired,
        redactor,
        connection,
        runtime,
        live,
        proposal,
        data,
        // Stored before anything is saved, as for plan files (checked unchanged above).
        data_files,
        jmeter,
    })
}

/// Asks on the terminal; only `yes` confirms.
fn confirmed() -> bool {
    eprint!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}

/// Writes the bundle, runs the steps, writes the outcome.
fn apply(global: &GlobalArgs, prepared: &Prepared, root: &Path, args: &Args) -> Exit {
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
    // Runs are not apply steps: `--run` hands them to the run module after the changes.
    let steps: Vec<Step> = order::steps(&prepared.proposal)
        .into_iter()
        .filter(|step| step.kind != StepKind::Start)
        .collect();
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
        jmeter: &prepared.jmeter,
        parallelism: usize::from(args.parallelism),
    };
    let mut progress = Progress::new(steps.len(), global.quiet, redactor.clone());
    let mut observe = |event: Event<'_>| progress.event(event);
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
            return match args.run.then_some(&args.run_flags) {
                Some(flags) => super::run::after_apply(global, prepared, bundle, flags),
                None => Exit::Ok,
            };
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
    if args.rollback_on_failure {
        eprintln!("Rolling back (--rollback-on-failure)…");
        let _ = undo(global, &prepared.connection, &prepared.runtime, &bundle.dir);
    } else {
        eprintln!("To undo what was applied, run:\n\n    {undo_command}\n");
    }
    Exit::Error
}

/// meta.json as of the start.
pub(super) fn meta(prepared: &Prepared, started: String) -> Meta {
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
        .filter(|s| s.resource.is_scene() && matches!(s.kind, StepKind::Update | StepKind::Delete))
    {
        let live = prepared
            .live
            .iter()
            .find(|l| l.scene.scene_id.is_some() && l.scene.scene_id == step.scene_id);
        if let Some(live) = live {
            images.scenes.insert(step.key.clone(), live.scene.clone());
        }
    }
    crate::apply::jmeter_images(&prepared.jmeter, steps, &mut images);
    let before_images = if images.scenes.is_empty()
        && images.environments.is_empty()
        && images.jmeter_scenes.is_empty()
    {
        None
    } else {
        let path = evidence::before_images_path(&std::env::current_dir()?, &bundle.id);
        if !evidence::write_before_images(&path, &images, &prepared.redactor)? {
            eprintln!(
                "warning: a secret of the scenes cannot be stored as a `${{secret.NAME}}` reference; the before-images {} keep it, readable by you only",
                path.display()
            );
        }
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
            if step.resource.is_scene() {
                step.key.clone()
            } else {
                step.address()
            }
        ));
    }
    out
}

/// Where bundles go without `--evidence-dir`: `[evidence] dir` of ptsplan.toml (relative
/// to its directory), else output/ptsplan.
pub(super) fn evidence_root() -> PathBuf {
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
