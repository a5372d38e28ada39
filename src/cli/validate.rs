//! `ptsplan validate [PATHS]`: check plans and report every problem at once.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;

use super::{Exit, Format, GlobalArgs, default_plan_dir, stderr_renderer};
use crate::diag::json_report;
use crate::spec::{self, Env, Loaded};

/// Arguments of `ptsplan validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plans to check: plan files, or directories whose *.yaml files form one plan.
    /// Default: ./plans if it exists, else the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format: `text` (diagnostics on stderr) or `json` (a report on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Treat unset ${env.*} and ${secret.*} as errors (as plan and apply do).
    #[arg(long)]
    pub require_env: bool,
    /// Judge token expiry as if the test started at this RFC 3339 time (default: now).
    #[arg(long, value_name = "TIME", hide = true)]
    pub now: Option<jiff::Timestamp>,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let paths = if args.paths.is_empty() {
        vec![default_plan_dir()]
    } else {
        args.paths.clone()
    };
    let lookup = |name: &str| std::env::var(name).ok();
    let env = Env {
        now: args.now.unwrap_or_else(jiff::Timestamp::now),
        var: &lookup,
        require_env: args.require_env,
    };
    let results: Vec<(PathBuf, Loaded)> = paths
        .iter()
        .map(|p| (p.clone(), spec::check(p, &env)))
        .collect();
    let valid = results.iter().all(|(_, l)| !l.diagnostics.has_errors());
    let written = match args.format {
        Format::Json => write_json(&results, valid),
        Format::Text => write_text(global, &results),
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the report: {e}");
            Exit::Error
        }
        _ if valid => Exit::Ok,
        _ => Exit::Error,
    }
}

fn write_text(global: &GlobalArgs, results: &[(PathBuf, Loaded)]) -> std::io::Result<()> {
    let renderer = stderr_renderer(global);
    let mut stderr = std::io::stderr().lock();
    let mut stdout = std::io::stdout().lock();
    for (path, loaded) in results {
        for d in loaded.diagnostics.sorted() {
            if global.quiet && !d.is_error() {
                continue;
            }
            write!(stderr, "{}", renderer.render(d, &loaded.sources))?;
        }
        if global.quiet {
            continue;
        }
        let scenes = loaded.plan.as_ref().map_or(0, |p| p.scenes.len());
        let errors = loaded.diagnostics.error_count();
        let warnings = loaded.diagnostics.warning_count();
        let verdict = if errors == 0 { "valid" } else { "invalid" };
        // JMeter sections are counted only when present, so PTS-only output stays as it was.
        let jmeter = loaded.plan.as_ref().map_or(String::new(), |p| {
            let (scenes, envs) = (p.jmeter_scenes.len(), p.environments.len());
            if scenes + envs == 0 {
                String::new()
            } else {
                format!(
                    ", {scenes} JMeter scene{}, {envs} environment{}",
                    plural(scenes),
                    plural(envs)
                )
            }
        });
        writeln!(
            stdout,
            "{}: {verdict} ({} file{}, {scenes} scene{}{jmeter}, {errors} error{}, {warnings} warning{})",
            path.display(),
            loaded.files.len(),
            plural(loaded.files.len()),
            plural(scenes),
            plural(errors),
            plural(warnings),
        )?;
        if global.verbose > 0 {
            if let Some(plan) = &loaded.plan {
                for (key, scene) in &plan.scenes {
                    let name = scene.name.as_deref().unwrap_or(key);
                    let steps: usize = scene.chains.iter().map(|c| c.steps.len()).sum();
                    writeln!(
                        stdout,
                        "  scene {key} (PTS name `{name}`): {} chain(s), {steps} step(s)",
                        scene.chains.len()
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn write_json(results: &[(PathBuf, Loaded)], valid: bool) -> std::io::Result<()> {
    let plans: Vec<_> = results
        .iter()
        .map(|(path, loaded)| {
            json!({
                "path": path.display().to_string(),
                "files": loaded.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                "scenes": loaded.plan.as_ref().map(|p| p.scenes.keys().cloned().collect::<Vec<_>>()).unwrap_or_default(),
                "valid": !loaded.diagnostics.has_errors(),
                "errors": loaded.diagnostics.error_count(),
                "warnings": loaded.diagnostics.warning_count(),
                "diagnostics": json_report(&loaded.diagnostics, &loaded.sources),
            })
        })
        .collect();
    let report = json!({ "format_version": 1, "valid": valid, "plans": plans });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &report)?;
    writeln!(stdout)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
