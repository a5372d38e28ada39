//! `ptsplan engine run SCENE.json`: runs a wire scene (PTS JSON) with the local engine and
//! prints the report — for trying a scene without a backend, and for the benchmark.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use super::{Exit, Format, GlobalArgs};
use crate::engine::{Run, RunOptions, RunResult};
use crate::wire::Scene;

/// Arguments of `ptsplan engine`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: EngineCommand,
}

/// Engine subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum EngineCommand {
    /// Run a wire scene (SavePtsScene JSON) locally and print its report.
    Run(RunArgs),
}

/// Arguments of `ptsplan engine run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scene: a JSON file in SavePtsScene's shape (PascalCase).
    #[arg(value_name = "SCENE.json")]
    pub scene: PathBuf,
    /// Run length instead of the scene's (e.g. 10s, 500ms, 2m).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Stop after this many requests.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Allow load to this host besides loopback (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Debug run: each relation once, with sample logs in the JSON output.
    #[arg(long)]
    pub debug: bool,
    /// A data file by its FileName: NAME=PATH (repeatable).
    #[arg(long = "data", value_name = "NAME=PATH", value_parser = parse_data)]
    pub data: Vec<(String, PathBuf)>,
    /// Output: `text` (a table) or `json` (report details, per-API and per-chain figures,
    /// token expiry, per-second series, samples).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Same as `--format json`.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let EngineCommand::Run(args) = args.command;
    let scene = match std::fs::read_to_string(&args.scene)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str::<Scene>(&text).map_err(|e| e.to_string()))
    {
        Ok(scene) => scene,
        Err(e) => {
            eprintln!("error: cannot read the scene {}: {e}", args.scene.display());
            return Exit::Error;
        }
    };
    let options = RunOptions {
        debug: args.debug,
        allow_hosts: args.allow_hosts,
        threads: args.threads,
        max_requests: args.max_requests,
        duration: args.duration,
        data_files: args.data.into_iter().collect(),
    };
    let run = match Run::start(&scene, options) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Error;
        }
    };
    let result = run.wait();
    let json = args.json || args.format == Format::Json;
    let written = if json {
        write_json(&result)
    } else {
        write_text(global, &result)
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the report: {e}");
            Exit::Error
        }
        _ => Exit::Ok,
    }
}

fn write_json(result: &RunResult) -> std::io::Result<()> {
    let report = json!({
        "format_version": 1,
        "details": result.details,
        "apis": result.apis,
        "chains": result.chains,
        "token_expiry": result.token_expiry,
        "series": result.series,
        "samples": result.samples,
    });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report)?;
    writeln!(out)
}

fn write_text(global: &GlobalArgs, result: &RunResult) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if global.quiet {
        return Ok(());
    }
    writeln!(
        out,
        "{:<24} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "api",
        "requests",
        "rps",
        "ok",
        "check",
        "status",
        "timeout",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms"
    )?;
    for s in result.apis.iter().chain(&result.chains) {
        let chain = result.chains.iter().any(|c| std::ptr::eq(c, s));
        let name = if chain {
            format!("[chain] {}", s.name)
        } else {
            s.name.clone()
        };
        writeln!(
            out,
            "{name:<24} {:>10} {:>10.1} {:>8} {:>8} {:>8} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            s.requests,
            s.rps,
            s.successes,
            s.check_failures,
            s.status_failures,
            s.timeouts,
            s.p50_ms,
            s.p90_ms,
            s.p99_ms,
            s.max_ms
        )?;
        if s.connect_errors + s.other_errors > 0 {
            writeln!(
                out,
                "  connect errors {}, broken exchanges {}",
                s.connect_errors, s.other_errors
            )?;
        }
    }
    for t in &result.token_expiry {
        writeln!(
            out,
            "token: {} ({}) got {} 401/403 answers from second {}: {:?} ({} with a token past its lifetime)",
            t.api,
            t.relation,
            t.auth_failures,
            t.first_second.map_or("?".into(), |s| s.to_string()),
            t.cause,
            t.after_token_expiry
        )?;
    }
    Ok(())
}

fn parse_data(text: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = text.split_once('=').ok_or("expected NAME=PATH")?;
    Ok((name.to_owned(), PathBuf::from(path)))
}

/// `10s`, `500ms`, `2m`, `1h`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit `{unit}` (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err() && parse_duration("5d").is_err());
    }
}
