//! `ptsplan run SCENE…`: debug run (per `debug_first`), start, follow with progress, fetch
//! the report, judge the thresholds, write the evidence bundle; and the same after
//! `apply --run`.
//!
//! Exit codes: 0 (every run completed and passed its thresholds), 4 (a run failed its
//! thresholds), 1 (a debug run failed, a call failed, no report), 130 (interrupted with
//! Ctrl-C; the scenes were stopped on the backend first).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::apply::{evidence_root, meta};
use super::plan::{Prepared, prepare};
use super::{Exit, GlobalArgs, default_plan_dir};
use crate::api::credentials::CredentialSource;
use crate::evidence::Bundle;
use crate::plan::{Action, Live, Options as PlanOptions};
use crate::redact::Redactor;
use crate::report::junit::{self, SceneOutcome};
use crate::report::render;
use crate::run::{self, Event, Outcome, Target};
use crate::wire::Marker;

/// Output formats of a run's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportFormat {
    #[default]
    Text,
    Markdown,
    Json,
}

/// Options shared by `ptsplan run` and `apply --run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunFlags {
    /// Skip the debug run even for scenes with `debug_first: true`.
    #[arg(long)]
    pub no_debug: bool,
    /// Report format on standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Also write the thresholds as JUnit XML to FILE (the bundle always holds one per
    /// scene).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Seconds between polls of the running data.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub poll_interval: f64,
}

/// Arguments of `ptsplan run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenes to run, by their key in the plan; one after the other.
    #[arg(value_name = "SCENE", required = true)]
    pub scenes: Vec<String>,
    /// The plan: a plan file, or a directory whose *.yaml files form one plan.
    /// Default: ./plans if it exists, else the current directory.
    #[arg(long, short = 'p', value_name = "PATH")]
    pub plan: Option<PathBuf>,
    /// Start the load and print its plan id without following it (not with the embedded
    /// local backend, which ends with the command).
    #[arg(long)]
    pub detach: bool,
    #[command(flatten)]
    pub flags: RunFlags,
    /// Where evidence bundles are written (default: `[evidence] dir` of ptsplan.toml, else
    /// output/ptsplan).
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<PathBuf>,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let path = args.plan.clone().unwrap_or_else(default_plan_dir);
    let prepared = match prepare(global, &path, PlanOptions::default()) {
        Ok(prepared) => prepared,
        Err(exit) => return exit,
    };
    if args.detach && embedded(&prepared) {
        eprintln!(
            "error: --detach needs a backend that outlives this command; the embedded local \
             backend runs inside ptsplan and would stop the load when ptsplan exits.\n  help: \
             start `ptsplan emulator serve` and export the PTSPLAN_ENDPOINT and keys it prints, \
             or run without --detach"
        );
        return Exit::Usage;
    }
    if super::run_jmeter::all_jmeter(&prepared, &args.scenes) {
        return super::run_jmeter::run(
            global,
            &prepared,
            &args.scenes,
            args.detach,
            &args.flags,
            args.evidence_dir.as_deref(),
        );
    }
    if super::run_jmeter::any_jmeter(&prepared, &args.scenes) {
        eprintln!("error: run JMeter scenes and PTS scenes with separate `ptsplan run` commands");
        return Exit::Usage;
    }
    let targets = match targets(&prepared, &prepared.live, &args.scenes) {
        Ok(targets) => targets,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Error;
        }
    };
    if args.detach {
        return detach(global, &prepared, &targets, &args.flags);
    }
    let bundle = match create_bundle(&prepared, args.evidence_dir.as_deref()) {
        Ok(bundle) => bundle,
        Err(exit) => return exit,
    };
    let meta = meta(&prepared, crate::apply::journal::now());
    if let Err(error) = bundle.write_json("meta.json", &meta) {
        eprintln!("warning: cannot write the evidence bundle: {error}");
    }
    run_targets(global, &prepared, bundle, &targets, &args.flags, meta)
}

/// A new evidence bundle under `dir` (default: the configured evidence root); the error
/// is printed.
pub(super) fn create_bundle(
    prepared: &Prepared,
    dir: Option<&std::path::Path>,
) -> Result<Bundle, Exit> {
    let root = dir.map_or_else(evidence_root, std::path::Path::to_path_buf);
    Bundle::create(&root, prepared.redactor.clone()).map_err(|error| {
        eprintln!(
            "error: cannot create the evidence bundle under {}: {error}",
            root.display()
        );
        Exit::Error
    })
}

/// After a successful `apply --run`: runs the scenes the plan marked to run — PTS scenes,
/// then JMeter scenes — reading them back first (new scenes have new ids), and writes
/// their reports into the apply's bundle.
pub(super) fn after_apply(
    global: &GlobalArgs,
    prepared: &Prepared,
    mut bundle: Bundle,
    flags: &RunFlags,
) -> Exit {
    let marked = |kind: crate::plan::Kind| -> Vec<String> {
        prepared
            .proposal
            .scenes
            .iter()
            .filter(|s| s.run && s.kind == kind)
            .map(|s| s.key.clone())
            .collect()
    };
    let (keys, jmeter_keys) = (
        marked(crate::plan::Kind::Scene),
        marked(crate::plan::Kind::JMeterScene),
    );
    if keys.is_empty() && jmeter_keys.is_empty() {
        return Exit::Ok;
    }
    let targets = if keys.is_empty() {
        Vec::new()
    } else {
        let live = match prepared
            .runtime
            .block_on(crate::live::read_all(&prepared.connection.client))
        {
            Ok(live) => live,
            Err(error) => return prepared.connection.report(global, &error),
        };
        match targets(prepared, &live, &keys) {
            Ok(targets) => targets,
            Err(message) => {
                eprintln!("error: {message}");
                return Exit::Error;
            }
        }
    };
    let jmeter_targets = if jmeter_keys.is_empty() {
        Vec::new()
    } else {
        match super::run_jmeter::targets_after_apply(global, prepared, &jmeter_keys) {
            Ok(targets) => targets,
            Err(exit) => return exit,
        }
    };
    let meta = meta(prepared, crate::apply::journal::now());
    let (rx, _listener) = ctrl_c(prepared);
    let (mut results, mut interrupted, redactor) =
        run_each(global, prepared, &mut bundle, &targets, flags, &rx);
    if !interrupted {
        interrupted = super::run_jmeter::run_each(
            global,
            prepared,
            &bundle,
            &jmeter_targets,
            flags,
            &rx,
            &mut results,
        );
    }
    finish(&bundle, &results, interrupted, flags, meta, &redactor)
}

/// Whether the connection is the embedded local backend (it lives in this process).
fn embedded(prepared: &Prepared) -> bool {
    matches!(
        prepared.connection.settings.credential.source,
        CredentialSource::LocalBackend { .. }
    )
}

/// The scenes of `live` to run, by plan key, with their thresholds. Refuses unknown keys,
/// scenes never applied and scenes already running; warns about scenes that differ from
/// the plan (when `live` is what the plan was made against).
pub(super) fn targets(
    prepared: &Prepared,
    live: &[Live],
    keys: &[String],
) -> Result<Vec<Target>, String> {
    // After `apply --run` the scenes were just read back: the proposal no longer applies.
    let planned_against = std::ptr::eq(live, prepared.live.as_slice());
    let mut out = Vec::new();
    for key in keys {
        let Some(spec) = prepared.plan.scenes.get(key) else {
            let known: Vec<&str> = prepared.plan.scenes.keys().map(String::as_str).collect();
            let hint = crate::diag::did_you_mean(key, known.iter().copied())
                .map(|g| format!("did you mean `{g}`? "))
                .unwrap_or_default();
            return Err(format!(
                "the plan has no scene `{key}`; {hint}(scenes: {})",
                known.join(", ")
            ));
        };
        let live = live.iter().find(|l| {
            Marker::of(&l.scene).is_some_and(|m| m.workspace == prepared.workspace && m.key == *key)
        });
        let Some(live) = live else {
            return Err(format!(
                "scene.{key} is not on the backend yet; create it with `ptsplan apply` first"
            ));
        };
        if live.running {
            return Err(format!(
                "scene.{key} is already running (or debugging); wait for it or `ptsplan stop {key}`"
            ));
        }
        if let Some(change) = prepared.proposal.scenes.iter().find(|c| c.key == *key)
            && planned_against
            && change.action != Action::NoOp
        {
            eprintln!(
                "warning: scene.{key} on the backend differs from the plan ({} field(s)); \
                 running it as it is on the backend — `ptsplan apply` first to run the plan's version",
                change.changes.len()
            );
        }
        out.push(Target {
            key: key.clone(),
            scene: live.scene.clone(),
            thresholds: spec.thresholds.clone().unwrap_or_default(),
            debug_first: spec.debug_first.unwrap_or(true),
        });
    }
    Ok(out)
}

pub(super) fn options(flags: &RunFlags, detach: bool) -> run::Options {
    run::Options {
        detach,
        skip_debug: flags.no_debug,
        interval: Duration::from_secs_f64(flags.poll_interval.clamp(0.1, 60.0)),
    }
}

/// `--detach`: debug run and start, then print the plan ids.
fn detach(global: &GlobalArgs, prepared: &Prepared, targets: &[Target], flags: &RunFlags) -> Exit {
    let options = options(flags, true);
    for target in targets {
        let mut redactor = prepared.redactor.clone();
        let outcome = one(
            global,
            prepared,
            target,
            &options,
            &mut redactor,
            std::future::pending(),
        );
        match outcome {
            Ok(Outcome::Detached { plan_id }) => {
                println!("{plan_id}");
                if !global.quiet {
                    eprintln!(
                        "scene.{} started, plan id {plan_id}; `ptsplan status {}` shows it, \
                         `ptsplan stop {}` stops it",
                        target.key, target.key, target.key
                    );
                }
            }
            Ok(Outcome::DebugFailed(check)) => {
                print_debug_problems(&target.key, &check, &redactor);
                return Exit::Error;
            }
            Ok(Outcome::Finished(_) | Outcome::InterruptedBeforeLoad) => {}
            Err(error) => return prepared.connection.report(global, &error),
        }
    }
    Exit::Ok
}

/// Runs one scene with its progress display.
pub(super) fn one(
    global: &GlobalArgs,
    prepared: &Prepared,
    target: &Target,
    options: &run::Options,
    redactor: &mut Redactor,
    interrupt: impl std::future::Future<Output = ()>,
) -> Result<Outcome, crate::api::ApiError> {
    let mut progress = Progress::new(global, target);
    let outcome = prepared.runtime.block_on(run::run_scene(
        &prepared.connection.client,
        target,
        options,
        redactor,
        &mut |event| progress.event(event),
        interrupt,
    ));
    progress.finish();
    outcome
}

/// One run's result: what ran (`scene`, `jmeter_scene`), its key, what it came to.
pub(super) type Ran = (crate::plan::Kind, String, SceneResult);

/// What one scene's run came to, for the exit code, JUnit and the summary.
pub(super) enum SceneResult {
    Judged(Box<crate::report::RunReport>),
    /// A soak: its segments joined into one report, with the drift verdict.
    Soak(Box<crate::soak::SoakReport>),
    NotJudged {
        stage: &'static str,
        message: String,
    },
}

/// Runs every target in turn, writes reports into the bundle, prints them; Ctrl-C stops
/// the current scene remotely and skips the rest.
fn run_targets(
    global: &GlobalArgs,
    prepared: &Prepared,
    mut bundle: Bundle,
    targets: &[Target],
    flags: &RunFlags,
    meta: crate::evidence::Meta,
) -> Exit {
    let (rx, _listener) = ctrl_c(prepared);
    let (results, interrupted, redactor) =
        run_each(global, prepared, &mut bundle, targets, flags, &rx);
    finish(&bundle, &results, interrupted, flags, meta, &redactor)
}

/// Runs `targets` one after the other (until Ctrl-C sets `rx`), writing their evidence into
/// `bundle`: their results, whether it was interrupted, and the redactor that knows the
/// token values the debug runs saw.
fn run_each(
    global: &GlobalArgs,
    prepared: &Prepared,
    bundle: &mut Bundle,
    targets: &[Target],
    flags: &RunFlags,
    rx: &tokio::sync::watch::Receiver<bool>,
) -> (Vec<Ran>, bool, Redactor) {
    let options = options(flags, false);
    let mut results: Vec<Ran> = Vec::new();
    let mut interrupted = false;
    let mut redactor = prepared.redactor.clone();
    for target in targets {
        if *rx.borrow() {
            interrupted = true;
            break;
        }
        let dir = format!("reports/{}", target.key);
        let soak = prepared
            .plan
            .scenes
            .get(&target.key)
            .filter(|spec| spec.kind == crate::spec::model::SceneType::Soak);
        if let Some(spec) = soak {
            let ran = super::soak::run(&mut super::soak::Context {
                global,
                prepared,
                bundle,
                target,
                spec,
                options: &options,
                interrupt: rx,
            });
            interrupted |= ran.interrupted;
            results.push((crate::plan::Kind::Scene, target.key.clone(), ran.result));
            if interrupted {
                break;
            }
            continue;
        }
        let tuning = prepared
            .plan
            .scenes
            .get(&target.key)
            .is_some_and(|spec| spec.kind == crate::spec::model::SceneType::Tuning);
        if tuning && !global.quiet {
            eprintln!(
                "note: scene.{} is a tuning scene; this runs it once as planned — `ptsplan sweep {}` runs every sweep step and compares them",
                target.key, target.key
            );
        }
        let outcome = one(
            global,
            prepared,
            target,
            &options,
            &mut redactor,
            until_set(rx),
        );
        bundle.redact_also(&redactor);
        let result = match outcome {
            Err(error) => {
                prepared.connection.report(global, &error);
                SceneResult::NotJudged {
                    stage: "run",
                    message: redactor.redact(&error.to_string()),
                }
            }
            Ok(Outcome::Detached { .. }) => continue,
            Ok(Outcome::InterruptedBeforeLoad) => {
                interrupted = true;
                SceneResult::NotJudged {
                    stage: "run",
                    message: "interrupted (Ctrl-C) during the debug run; no load was started"
                        .to_owned(),
                }
            }
            Ok(Outcome::DebugFailed(check)) => {
                print_debug_problems(&target.key, &check, &redactor);
                let text = debug_text(&check);
                let _ = bundle.write(&format!("{dir}/debug.txt"), &text);
                SceneResult::NotJudged {
                    stage: "debug run",
                    message: redactor.redact(&format!(
                        "the debug run {} failed, no load was started: {}",
                        check.plan_id,
                        check
                            .problems
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    )),
                }
            }
            Ok(Outcome::Finished(finished)) => {
                interrupted |= finished.interrupted;
                finished_result(
                    bundle,
                    &dir,
                    &crate::plan::Kind::Scene.address(&target.key),
                    &target.key,
                    &finished,
                    &redactor,
                )
            }
        };
        results.push((crate::plan::Kind::Scene, target.key.clone(), result));
        if interrupted {
            break;
        }
    }
    (results, interrupted, redactor)
}

/// What a followed run came to: its evidence written into `dir` of the bundle, and the
/// report to judge (an interrupted run says whether the backend confirmed the stop).
pub(super) fn finished_result(
    bundle: &Bundle,
    dir: &str,
    address: &str,
    key: &str,
    finished: &run::Finished,
    redactor: &Redactor,
) -> SceneResult {
    if finished.interrupted {
        if finished.stop_confirmed {
            eprintln!("{address} stopped on the backend (Ctrl-C).");
        } else {
            eprintln!(
                "warning: {address} was asked to stop but the backend did not confirm it \
                 within a minute; check with `ptsplan status {key}`"
            );
        }
    }
    write_run(bundle, dir, finished, redactor);
    match &finished.report {
        Some(report) => SceneResult::Judged(Box::new(report.clone())),
        None => SceneResult::NotJudged {
            stage: "report",
            message: format!(
                "the backend produced no report for run {}",
                finished.plan_id
            ),
        },
    }
}

/// After the runs of one command: prints the reports, writes JUnit, meta.json and
/// summary.md, and decides the exit code (130 interrupted, 1 not judged, 4 thresholds
/// failed, else 0).
pub(super) fn finish(
    bundle: &Bundle,
    results: &[Ran],
    interrupted: bool,
    flags: &RunFlags,
    mut meta: crate::evidence::Meta,
    redactor: &Redactor,
) -> Exit {
    print_reports(results, flags.format, redactor);
    let outcomes: Vec<SceneOutcome<'_>> = results
        .iter()
        .map(|(_, key, result)| match result {
            SceneResult::Judged(report) => SceneOutcome::Judged(report),
            SceneResult::Soak(soak) => SceneOutcome::Judged(&soak.joined),
            SceneResult::NotJudged { stage, message } => SceneOutcome::NotJudged {
                scene: key,
                stage,
                message,
            },
        })
        .collect();
    let xml = junit::render(&outcomes);
    if let Some(path) = &flags.junit
        && let Err(error) = std::fs::write(path, redactor.redact(&xml))
    {
        eprintln!("error: cannot write {}: {error}", path.display());
    }
    meta.ended = Some(crate::apply::journal::now());
    let summary = summary(&bundle.id, results, interrupted);
    let written = bundle
        .write_json("meta.json", &meta)
        .and_then(|()| bundle.write("summary.md", &summary));
    if let Err(error) = written {
        eprintln!("warning: cannot finish the evidence bundle: {error}");
    }
    eprintln!("Evidence: {}", bundle.dir.display());
    let failed_thresholds = results.iter().any(|(_, _, r)| match r {
        SceneResult::Judged(report) => !report.passed(),
        SceneResult::Soak(soak) => !soak.passed(),
        SceneResult::NotJudged { .. } => false,
    });
    let failed_soaks = results
        .iter()
        .any(|(_, _, r)| matches!(r, SceneResult::Soak(soak) if !soak.passed()));
    let not_judged = results
        .iter()
        .any(|(_, _, r)| matches!(r, SceneResult::NotJudged { .. }));
    if interrupted {
        eprintln!("error: interrupted (Ctrl-C); the run was stopped before its end");
        Exit::Interrupted
    } else if not_judged {
        Exit::Error
    } else if failed_thresholds {
        if failed_soaks {
            // A soak fails on its thresholds, its drift verdict or its gaps: say which above.
            eprintln!("error: a soak failed its thresholds, trend verdict or gaps (exit code 4)");
        } else {
            eprintln!("error: thresholds failed (exit code 4)");
        }
        Exit::ThresholdsFailed
    } else {
        Exit::Ok
    }
}

/// A flag set when Ctrl-C is pressed, and the task that listens (dropping it does not
/// stop it; it ends with the runtime).
pub(super) fn ctrl_c(
    prepared: &Prepared,
) -> (
    tokio::sync::watch::Receiver<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let listener = prepared.runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(true);
        }
    });
    (rx, listener)
}

/// A future that completes once `flag` is set (Ctrl-C).
pub(super) fn until_set(
    flag: &tokio::sync::watch::Receiver<bool>,
) -> impl std::future::Future<Output = ()> + use<> {
    let mut signal = flag.clone();
    async move {
        let _ = signal.wait_for(|v| *v).await;
    }
}

/// Writes everything known about a followed run into `dir` of the bundle: timeline.json,
/// details.json and, with a report, the report files and report.html.
pub(super) fn write_run(bundle: &Bundle, dir: &str, finished: &run::Finished, redactor: &Redactor) {
    let written = bundle
        .write_json(&format!("{dir}/timeline.json"), &finished.timeline)
        .and_then(|()| match (&finished.jmeter, &finished.details) {
            (Some(jmeter), _) => write_jmeter(bundle, dir, jmeter),
            (None, Some(details)) => bundle.write_json(&format!("{dir}/details.json"), details),
            (None, None) => Ok(()),
        });
    if let Err(error) = written {
        eprintln!("warning: cannot write the evidence bundle: {error}");
    }
    if let Some(report) = &finished.report {
        write_report(bundle, dir, report);
        write_html(bundle, dir, report, finished, redactor);
    }
}

/// What the backend answered about a JMeter run: details.json (`GetJMeterReportDetails`),
/// listed.json (its `ListJMeterReports` entry), samples.json (`GetJMeterSampleMetrics`) and
/// errors.log (the run's error and engine error lines), each when there is one.
fn write_jmeter(bundle: &Bundle, dir: &str, jmeter: &run::jmeter::Evidence) -> std::io::Result<()> {
    if let Some(details) = &jmeter.details {
        bundle.write_json(&format!("{dir}/details.json"), details)?;
    }
    if let Some(listed) = &jmeter.listed {
        bundle.write_json(&format!("{dir}/listed.json"), listed)?;
    }
    if !jmeter.samples.is_empty() {
        bundle.write_json(&format!("{dir}/samples.json"), &jmeter.samples)?;
    }
    let errors: Vec<&str> = jmeter
        .run_error
        .iter()
        .chain(&jmeter.error_log)
        .chain(&jmeter.notes)
        .map(String::as_str)
        .collect();
    if !errors.is_empty() {
        bundle.write(&format!("{dir}/errors.log"), &(errors.join("\n") + "\n"))?;
    }
    Ok(())
}

/// Writes report.md, report.json, verdicts.json and junit.xml of one scene.
pub(super) fn write_report(bundle: &Bundle, dir: &str, report: &crate::report::RunReport) {
    let written = bundle
        .write(&format!("{dir}/report.md"), &render::markdown(report))
        .and_then(|()| bundle.write(&format!("{dir}/report.json"), &render::json(report)))
        .and_then(|()| bundle.write_json(&format!("{dir}/verdicts.json"), &report.verdicts))
        .and_then(|()| {
            bundle.write(
                &format!("{dir}/junit.xml"),
                &junit::render(&[SceneOutcome::Judged(report)]),
            )
        });
    if let Err(error) = written {
        eprintln!("warning: cannot write the evidence bundle: {error}");
    }
}

/// Writes report.html of one scene: charts over time, verdicts, totals and the scene as it
/// ran (from the report's snapshot, redacted).
pub(super) fn write_html(
    bundle: &Bundle,
    dir: &str,
    report: &crate::report::RunReport,
    finished: &run::Finished,
    redactor: &Redactor,
) {
    let details = finished.details.as_ref();
    // A JMeter report holds no snapshot of the scene: the scene as it was started is shown.
    let config = match &finished.jmeter {
        Some(jmeter) => jmeter
            .scene
            .as_ref()
            .and_then(|scene| serde_json::to_string_pretty(scene).ok()),
        None => details
            .and_then(|d| d.scene_snap_shot.as_ref())
            .and_then(|scene| serde_json::to_string_pretty(scene).ok()),
    }
    .map(|json| redactor.redact(&json))
    .unwrap_or_default();
    let page = crate::report::html::Report::of_run(report, details, &finished.timeline, config);
    if let Err(error) = bundle.write(
        &format!("{dir}/report.html"),
        &crate::report::html::render(&page),
    ) {
        eprintln!("warning: cannot write the evidence bundle: {error}");
    }
}

/// The reports on standard output, in the chosen format.
fn print_reports(results: &[Ran], format: ReportFormat, redactor: &Redactor) {
    let mut out = String::new();
    match format {
        ReportFormat::Json => {
            let runs: Vec<serde_json::Value> = results
                .iter()
                .map(|(kind, key, r)| match r {
                    SceneResult::Judged(report) => serde_json::to_value(report).unwrap_or_default(),
                    SceneResult::Soak(soak) => serde_json::to_value(soak).unwrap_or_default(),
                    SceneResult::NotJudged { stage, message } => serde_json::json!({
                        "format": crate::report::FORMAT,
                        "kind": kind,
                        "scene": key,
                        "failed": { "stage": stage, "message": message },
                    }),
                })
                .collect();
            let value = serde_json::json!({ "format": crate::report::FORMAT, "runs": runs });
            out = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
        }
        ReportFormat::Text | ReportFormat::Markdown => {
            for (kind, key, r) in results {
                if !out.is_empty() {
                    out.push('\n');
                }
                match r {
                    SceneResult::Judged(report) if format == ReportFormat::Text => {
                        out.push_str(&render::text(report));
                    }
                    SceneResult::Judged(report) => out.push_str(&render::markdown(report)),
                    SceneResult::Soak(soak) if format == ReportFormat::Text => {
                        out.push_str(&render::text(&soak.joined));
                        out.push('\n');
                        out.push_str(&crate::soak::render::text(soak));
                    }
                    SceneResult::Soak(soak) => {
                        out.push_str(&render::markdown(&soak.joined));
                        out.push('\n');
                        out.push_str(&crate::soak::render::markdown(soak));
                    }
                    SceneResult::NotJudged { stage, message } => {
                        let address = kind.address(key);
                        out.push_str(&format!("{address}: {stage} failed: {message}\n"));
                    }
                }
            }
        }
    }
    let _ = std::io::stdout().write_all(redactor.redact(&out).as_bytes());
}

/// summary.md of a run bundle.
fn summary(id: &str, results: &[Ran], interrupted: bool) -> String {
    let mut out = format!("# ptsplan run {id}\n\n");
    if interrupted {
        out.push_str("Interrupted (Ctrl-C): the scene was stopped before its end.\n\n");
    }
    out.push_str("| scene | result | report |\n|---|---|---|\n");
    for (kind, key, r) in results {
        let (result, report) = match r {
            SceneResult::Judged(report) if report.passed() => {
                ("thresholds passed".to_owned(), report.plan_id.clone())
            }
            SceneResult::Judged(report) => (
                format!("**{} threshold(s) failed**", report.failed_count()),
                report.plan_id.clone(),
            ),
            SceneResult::Soak(soak) if soak.passed() => (
                format!("soak passed ({} segments)", soak.segments.len()),
                soak.joined.plan_id.clone(),
            ),
            SceneResult::Soak(soak) => (
                format!(
                    "**soak failed**: {} threshold(s) failed, {} gap(s) too long, trend {:?}",
                    soak.joined.failed_count(),
                    soak.gaps_exceeded(),
                    soak.drift.verdict
                ),
                soak.joined.plan_id.clone(),
            ),
            SceneResult::NotJudged { stage, .. } => (format!("**{stage} failed**"), "-".to_owned()),
        };
        out.push_str(&format!(
            "| `{}` | {result} | [{report}](reports/{key}/report.md) |\n",
            kind.address(key)
        ));
    }
    out
}

/// The debug run's problems on stderr.
pub(super) fn print_debug_problems(key: &str, check: &run::DebugCheck, redactor: &Redactor) {
    eprintln!(
        "error: the debug run of scene.{key} failed (debug run {}); no load was started:",
        check.plan_id
    );
    eprint!("{}", redactor.redact(&debug_text(check)));
}

pub(super) fn debug_text(check: &run::DebugCheck) -> String {
    let mut out = String::new();
    for problem in &check.problems {
        out.push_str(&format!("  - {problem}\n"));
        if let Some(exchange) = &problem.exchange {
            for line in exchange.lines() {
                out.push_str(&format!("      {line}\n"));
            }
        }
    }
    out
}

/// The progress display of one scene: an indicatif line on a terminal, a plain line every
/// ten seconds elsewhere (CI logs), nothing with `--quiet`.
pub(super) struct Progress {
    /// `scene.KEY` or `jmeter_scene.KEY`.
    address: String,
    /// What the run's id is called (`plan id`, `report id`).
    id_word: &'static str,
    quiet: bool,
    bar: Option<indicatif::ProgressBar>,
    planned: Option<f64>,
    last_line: Option<f64>,
}

/// Seconds between plain progress lines.
const PLAIN_EVERY: f64 = 10.0;

impl Progress {
    pub(super) fn new(global: &GlobalArgs, target: &Target) -> Progress {
        let planned = run::planned(&target.scene).map(|d| d.as_secs_f64());
        Progress::labelled(global, crate::plan::Kind::Scene, &target.key, planned)
    }

    /// The display of a run of the `kind` thing `key` planned to last `planned` seconds.
    pub(super) fn labelled(
        global: &GlobalArgs,
        kind: crate::plan::Kind,
        key: &str,
        planned: Option<f64>,
    ) -> Progress {
        let address = kind.address(key);
        // PTS names a run by its plan id, JMeter by its report id.
        let id_word = if kind.is_scene() {
            "plan id"
        } else {
            "report id"
        };
        let bar = (!global.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new((planned.unwrap_or(0.0) * 10.0) as u64);
            let style = indicatif::ProgressStyle::with_template("{prefix} [{bar:24}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(address.clone());
            bar
        });
        Progress {
            address,
            id_word,
            quiet: global.quiet,
            bar,
            planned,
            last_line: None,
        }
    }

    fn say(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    pub(super) fn event(&mut self, event: Event<'_>) {
        match event {
            Event::DebugStarting => self.say(&format!("{}: debug run…", self.address)),
            Event::DebugDone(check) if check.problems.is_empty() => self.say(&format!(
                "{}: debug run {} passed ({} request(s) sampled)",
                self.address,
                check.plan_id,
                check.samples.len()
            )),
            Event::DebugDone(_) => {}
            Event::Started { plan_id } => {
                // A new run's clock starts again (each soak segment and sweep step).
                self.last_line = None;
                self.say(&format!(
                    "{}: load started, {} {plan_id} (Ctrl-C stops it)",
                    self.address, self.id_word
                ));
            }
            Event::Poll(point) => self.poll(point),
            Event::Stopping => self.say(&format!(
                "{}: stopping the scene on the backend…",
                self.address
            )),
        }
    }

    fn poll(&mut self, point: &crate::report::timeline::Point) {
        let total = self
            .planned
            .map(|p| format!("/{}s", p.round()))
            .unwrap_or_default();
        // p99 when the backend gives it (the local one), else PTS's p90.
        let latency = match (point.p99_ms, point.p90_ms) {
            (Some(p), _) => format!("p99 {p:.1}ms"),
            (None, Some(p)) => format!("p90 {p:.1}ms"),
            (None, None) => "p90 -".to_owned(),
        };
        let line = format!(
            "{:.0}s{total}  vu {}  rps {}  success {}  {latency}  errors {}",
            point.elapsed_s,
            point.concurrency.map_or("-".into(), |c| format!("{c:.0}")),
            point.rps.map_or("-".into(), |r| format!("{r:.0}")),
            point
                .success_rate()
                .map_or("-".into(), |r| format!("{:.2}%", r * 100.0)),
            point.failures.unwrap_or(0) + point.check_failures.unwrap_or(0),
        );
        match &self.bar {
            Some(bar) => {
                bar.set_position((point.elapsed_s * 10.0) as u64);
                bar.set_message(line);
            }
            None if !self.quiet => {
                // A clock that went back (a JMeter engine's start time replacing the
                // start call's) starts the lines again.
                let due = self.last_line.is_none_or(|last| {
                    point.elapsed_s - last >= PLAIN_EVERY || point.elapsed_s < last
                });
                if due {
                    eprintln!("{}: {line}", self.address);
                    self.last_line = Some(point.elapsed_s);
                }
            }
            None => {}
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
