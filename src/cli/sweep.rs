//! `ptsplan sweep SCENE`: runs a `type: tuning` scene once per sweep value — each step
//! saved over the live scene, run for real (debug run before the first step only),
//! followed with progress and reported into the evidence bundle — then compares the steps
//! (throughput, latency percentiles, error rate, thresholds), names the capacity knee and
//! a suggested rate limit (rules in [`crate::sweep`]), and puts the live scene back as it
//! was before the sweep.
//!
//! Exit codes: 0 (every step ran and a knee was found), 4 (every step ran and none met
//! the thresholds: no knee), 1 (a step could not run, a call failed), 130 (Ctrl-C: the
//! running step was stopped on the backend; the scene is restored all the same).

use std::io::Write;
use std::path::PathBuf;

use super::apply::meta;
use super::plan::prepare;
use super::run::{
    ReportFormat, create_bundle, ctrl_c, debug_text, one, options as run_options,
    print_debug_problems, targets, until_set, write_run,
};
use super::{Exit, GlobalArgs, default_plan_dir};
use crate::evidence::Bundle;
use crate::plan::Options as PlanOptions;
use crate::run::{Outcome, Target};
use crate::spec::model::{LoadMode, SceneType};
use crate::sweep::{self, Comparison, StepResult};

/// Arguments of `ptsplan sweep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tuning scene to sweep, by its key in the plan.
    #[arg(value_name = "SCENE")]
    pub scene: String,
    /// The plan: a plan file, or a directory whose *.yaml files form one plan.
    /// Default: ./plans if it exists, else the current directory.
    #[arg(long, short = 'p', value_name = "PATH")]
    pub plan: Option<PathBuf>,
    /// Format of the comparison on standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Where evidence bundles are written (default: `[evidence] dir` of ptsplan.toml, else
    /// output/ptsplan).
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<PathBuf>,
    /// Skip the debug run before the first step even when the scene asks for one.
    #[arg(long)]
    pub no_debug: bool,
    /// Seconds between polls of the running data.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub poll_interval: f64,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let path = args.plan.clone().unwrap_or_else(default_plan_dir);
    let prepared = match prepare(global, &path, PlanOptions::default()) {
        Ok(prepared) => prepared,
        Err(exit) => return exit,
    };
    let key = args.scene.clone();
    let target = match targets(&prepared, &prepared.live, std::slice::from_ref(&key)) {
        Ok(mut targets) if !targets.is_empty() => targets.remove(0),
        Ok(_) => return Exit::Error,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Error;
        }
    };
    let Some(spec) = prepared.plan.scenes.get(&key) else {
        return Exit::Error;
    };
    let Some(plan_sweep) = spec
        .sweep
        .clone()
        .filter(|_| spec.kind == SceneType::Tuning)
    else {
        eprintln!(
            "error: scene.{key} is not a tuning scene; `ptsplan sweep` needs `type: tuning` and a `sweep`\n  \
             help: e.g. `sweep: {{ over: load.max, values: [50, 100, 200], duration_each: 2m }}`; \
             run other scenes with `ptsplan run {key}`"
        );
        return Exit::Usage;
    };
    let values = sweep::values(&plan_sweep);
    // Every step's plan must be buildable before any load is spent.
    for value in &values {
        let mut plan = prepared.plan.clone();
        if let Err(message) = sweep::apply(&mut plan, &key, &plan_sweep.over, value) {
            eprintln!(
                "error: scene.{key}: sweep step {} = {value}: {message}",
                plan_sweep.over
            );
            return Exit::Error;
        }
    }
    let mut bundle = match create_bundle(&prepared, args.evidence_dir.as_deref()) {
        Ok(bundle) => bundle,
        Err(exit) => return exit,
    };
    let mut meta = meta(&prepared, crate::apply::journal::now());
    let _ = bundle.write_json("meta.json", &meta);

    let flags = super::run::RunFlags {
        no_debug: args.no_debug,
        format: args.format,
        junit: None,
        poll_interval: args.poll_interval,
    };
    let options = run_options(&flags, false);
    let (interrupt, _listener) = ctrl_c(&prepared);
    let mut redactor = prepared.redactor.clone();
    let thresholds = !target.thresholds.is_empty();
    let live = target.scene.clone();
    let mut steps: Vec<StepResult> = Vec::new();
    let mut interrupted = false;
    for (i, value) in values.iter().enumerate() {
        if *interrupt.borrow() {
            interrupted = true;
            break;
        }
        let n = i + 1;
        if !global.quiet {
            eprintln!(
                "scene.{key}: sweep step {n}/{}: {} = {value}",
                values.len(),
                plan_sweep.over
            );
        }
        let saved = super::variant::save(&prepared, &path, &key, &live, |plan| {
            sweep::apply(plan, &key, &plan_sweep.over, value)
        });
        let scene = match saved {
            Ok(scene) => scene,
            Err(message) => {
                eprintln!("error: scene.{key}: cannot save sweep step {n}: {message}");
                steps.push(StepResult::not_run(n, value, message));
                break;
            }
        };
        let step_target = Target {
            scene,
            debug_first: target.debug_first && i == 0,
            ..target.clone()
        };
        let outcome = one(
            global,
            &prepared,
            &step_target,
            &options,
            &mut redactor,
            until_set(&interrupt),
        );
        bundle.redact_also(&redactor);
        let dir = format!("reports/{key}/step-{n}");
        let result = match outcome {
            Err(error) => {
                prepared.connection.report(global, &error);
                StepResult::not_run(n, value, redactor.redact(&error.to_string()))
            }
            Ok(Outcome::DebugFailed(check)) => {
                print_debug_problems(&key, &check, &redactor);
                let _ = bundle.write(&format!("{dir}/debug.txt"), &debug_text(&check));
                StepResult::not_run(n, value, format!("the debug run {} failed", check.plan_id))
            }
            Ok(Outcome::InterruptedBeforeLoad | Outcome::Detached { .. }) => {
                interrupted = true;
                StepResult::not_run(n, value, "interrupted (Ctrl-C)".to_owned())
            }
            Ok(Outcome::Finished(finished)) => {
                interrupted |= finished.interrupted;
                write_run(&bundle, &dir, &finished, &redactor);
                match &finished.report {
                    Some(report) => StepResult::of_report(n, value, report, thresholds),
                    None => StepResult::not_run(
                        n,
                        value,
                        format!(
                            "the backend produced no report for run {}",
                            finished.plan_id
                        ),
                    ),
                }
            }
        };
        let stop = matches!(result.verdict, sweep::StepVerdict::NotRun { .. });
        steps.push(result);
        if stop || interrupted {
            break;
        }
    }
    let mode = spec
        .load
        .as_ref()
        .and_then(|l| l.mode)
        .unwrap_or(LoadMode::Concurrency);
    let mut comparison = Comparison::of(&key, &plan_sweep.over, mode, steps, thresholds);
    comparison.restored = match super::variant::restore(&prepared, &live) {
        Ok(()) => true,
        Err(message) => {
            eprintln!("error: scene.{key}: cannot restore the scene after the sweep: {message}");
            false
        }
    };
    write_evidence(&bundle, &comparison);
    meta.ended = Some(crate::apply::journal::now());
    let _ = bundle.write_json("meta.json", &meta);
    let out = match args.format {
        ReportFormat::Text => sweep::render::text(&comparison),
        ReportFormat::Markdown => sweep::render::markdown(&comparison),
        ReportFormat::Json => sweep::render::json(&comparison),
    };
    let _ = std::io::stdout().write_all(redactor.redact(&out).as_bytes());
    eprintln!("Evidence: {}", bundle.dir.display());
    if interrupted {
        eprintln!("error: interrupted (Ctrl-C); the sweep stopped before its last step");
        Exit::Interrupted
    } else if comparison.any_not_run() || !comparison.restored {
        Exit::Error
    } else if comparison.knee.is_none() {
        eprintln!("error: no step met the thresholds (exit code 4)");
        Exit::ThresholdsFailed
    } else {
        Exit::Ok
    }
}

/// sweep.md, sweep.json, sweep.html and summary.md.
fn write_evidence(bundle: &Bundle, c: &Comparison) {
    let generated = crate::apply::journal::now();
    let summary = format!(
        "# ptsplan sweep {}\n\n{}\nPer-step reports: `reports/{}/step-N/`; chart: [sweep.html](sweep.html).\n",
        bundle.id,
        sweep::render::markdown(c),
        c.scene
    );
    let written = bundle
        .write("sweep.md", &sweep::render::markdown(c))
        .and_then(|()| bundle.write("sweep.json", &sweep::render::json(c)))
        .and_then(|()| {
            bundle.write(
                "sweep.html",
                &crate::report::html::render_sweep(c, &generated),
            )
        })
        .and_then(|()| bundle.write("summary.md", &summary));
    if let Err(error) = written {
        eprintln!("warning: cannot write the evidence bundle: {error}");
    }
}
