//! Command-line interface: clap arguments, one file per command, and exit codes.
//!
//! Nothing else in the crate imports this module; commands turn arguments into calls on
//! the library and outcomes into [`ExitCode`]s.

mod apply;
mod backend;
mod baseline;
mod compare;
mod embedded;
mod emulator;
mod engine;
mod exit;
mod import;
mod import_jmeter;
mod lifted;
mod plan;
mod progress;
mod reproduce;
mod rollback;
mod run;
mod run_jmeter;
mod sample_app;
mod scene_ref;
mod scenes;
mod schema;
mod soak;
mod status;
mod stop;
mod sweep;
mod upload;
mod validate;
mod variant;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use backend::BackendArgs;
pub use exit::Exit;

/// Manage Alibaba Cloud PTS load-test scenes as code.
///
/// Plan files (YAML) describe scenes, their load and the token sources of mini-program back
/// ends. `validate` checks them; later commands plan, apply and run them against PTS or the
/// embedded local backend.
#[derive(Debug, Parser)]
#[command(
    name = "ptsplan",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// More output (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour. `auto` colours terminals unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Which backend API calls go to.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream, given whether it is a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// Output formats for commands with a machine-readable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check plan files: syntax, structure and semantics, with pointed diagnostics.
    Validate(validate::Args),
    /// Print the JSON Schema of plan files (the committed copy is schemas/plan.schema.json).
    Schema(schema::Args),
    /// Show what apply would change: read live scenes, diff them against the plan.
    Plan(plan::Args),
    /// Perform a plan's (or a reviewed saved plan's) changes in order, journaled, with evidence
    /// and a rollback record.
    Apply(apply::Args),
    /// Undo an apply from its evidence bundle (safe to run again).
    Rollback(rollback::Args),
    /// Run scenes: debug run, load, live progress, report judged against the thresholds.
    Run(run::Args),
    /// Run a tuning scene once per sweep value and compare the steps: capacity knee and
    /// a suggested rate limit.
    Sweep(sweep::Args),
    /// Stop running load tests of scenes and wait until they stopped.
    Stop(stop::Args),
    /// Show whether scenes are running.
    Status(status::Args),
    /// A scene's PTS baseline: `baseline set SCENE REPORT_ID`, `baseline show SCENE`.
    Baseline(baseline::Args),
    /// Read-only inventory of the backend's scenes: `scenes list`, `scenes get ID`.
    Scenes(scenes::Args),
    /// The local PTS-compatible backend (`emulator serve`).
    Emulator(emulator::Args),
    /// Run scenes with the local load engine.
    Engine(engine::Args),
    /// Write plan files for existing PTS scenes, adopted into the workspace on apply.
    Import(import::Args),
    /// Write a plan file that re-creates the scene a past run ran (report or evidence).
    Reproduce(reproduce::Args),
    /// Compare two runs: configuration diff and metrics with deltas.
    Compare(compare::Args),
    /// Serve the sample mini-program back end (token endpoint, order APIs) on loopback:
    /// the target of plans/quickstart.yaml.
    SampleApp(sample_app::Args),
}

/// Entry point of the binary: parse, run, map to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
            // Printing help or a usage error can only fail on a closed pipe.
            let _ = e.print();
            return code.into();
        }
    };
    let outcome = match cli.command {
        Command::Validate(args) => validate::run(&cli.global, args),
        Command::Schema(args) => schema::run(args),
        Command::Plan(args) => plan::run(&cli.global, args),
        Command::Apply(args) => apply::run(&cli.global, args),
        Command::Rollback(args) => rollback::run(&cli.global, args),
        Command::Run(args) => run::run(&cli.global, args),
        Command::Sweep(args) => sweep::run(&cli.global, args),
        Command::Stop(args) => stop::run(&cli.global, args),
        Command::Status(args) => status::run(&cli.global, args),
        Command::Baseline(args) => baseline::run(&cli.global, args),
        Command::Scenes(args) => scenes::run(&cli.global, args),
        Command::Emulator(args) => emulator::run(args),
        Command::Engine(args) => engine::run(&cli.global, args),
        Command::Import(args) => import::run(&cli.global, args),
        Command::Reproduce(args) => reproduce::run(&cli.global, args),
        Command::Compare(args) => compare::run(&cli.global, args),
        Command::SampleApp(args) => sample_app::run(args),
    };
    outcome.into()
}

/// The plan to use when none is named: `./plans` if it exists, else the current directory.
fn default_plan_dir() -> std::path::PathBuf {
    let plans = std::path::Path::new("plans");
    if plans.is_dir() {
        plans.to_path_buf()
    } else {
        std::path::PathBuf::from(".")
    }
}

/// The diagnostic renderer for standard error: colour per `--color`, width from `COLUMNS`.
fn stderr_renderer(global: &GlobalArgs) -> crate::diag::Renderer {
    let color = global
        .color
        .enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    crate::diag::Renderer::new(color, width)
}
