//! `ptsplan plan [PATH]`: read live state, diff it against the plan, print the changes.
//!
//! Read-only: it lists and reads scenes and calls no mutating action. Exit codes: 0 (no
//! changes, or changes without `--detailed-exitcode`), 1 (error), 2 (changes present, with
//! `--detailed-exitcode`).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::backend::{Connection, connect_with_runtime};
use super::{Exit, GlobalArgs, default_plan_dir, stderr_renderer};
use crate::lower::Lowered;
use crate::plan::{self, Live, Options};
use crate::redact::Redactor;
use crate::render::plan as render;
use crate::spec::{self, Env};

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PlanFormat {
    /// Terraform-like text for terminals.
    #[default]
    Text,
    /// For pull-request comments and CI step summaries.
    Markdown,
    /// Versioned, machine-readable (docs/plan-json.md).
    Json,
}

/// Arguments of `ptsplan plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan: a plan file, or a directory whose *.yaml files form one plan.
    /// Default: ./plans if it exists, else the current directory.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit 2 when there are changes (0: none, 1: error) — for CI drift checks.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Propose deleting owned scenes that left the plan.
    #[arg(long)]
    pub prune: bool,
    /// Propose runs per each scene's `run` policy (what `apply --run` would start).
    #[arg(long)]
    pub run: bool,
    /// One line per scene address and action, for very large plans.
    #[arg(long)]
    pub summary: bool,
    /// Save the plan (desired scenes, environments and JMeter scenes, the fingerprints of
    /// the live ones read, and the local data files by content hash) to FILE, for a later
    /// `apply FILE`; secrets are stored as `${secret.NAME}` references.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Fail (exit 1) when the plan's estimated cost exceeds this many PTS Virtual User
    /// Minutes (docs/cost.md).
    #[arg(long, value_name = "N")]
    pub max_vum: Option<f64>,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let path = args.path.clone().unwrap_or_else(default_plan_dir);
    let options = Options {
        prune: args.prune,
        run: args.run,
    };
    let prepared = match prepare(global, &path, options) {
        Ok(prepared) => prepared,
        Err(exit) => return exit,
    };
    let exit = show(&args, &prepared);
    release_at_exit(prepared);
    exit
}

/// Prints the proposal as `args` ask, saves it with `--out` and judges `--max-vum` and
/// `--detailed-exitcode`.
fn show(args: &Args, prepared: &Prepared) -> Exit {
    let Prepared {
        proposal,
        redactor,
        desired,
        workspace,
        jmeter,
        data_files,
        ..
    } = prepared;
    let text = if args.summary {
        render::one_line_per_scene(proposal)
    } else {
        match args.format {
            PlanFormat::Text => render::text(proposal, redactor),
            PlanFormat::Markdown => render::markdown(proposal, redactor),
            PlanFormat::Json => {
                let mut json = serde_json::to_string_pretty(&render::json(proposal, redactor))
                    .unwrap_or_default();
                json.push('\n');
                json
            }
        }
    };
    if let Err(error) = std::io::stdout().write_all(text.as_bytes()) {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the plan: {error}");
            return Exit::Error;
        }
    }
    if let Some(out) = &args.out {
        let lowered = plan::planfile::Desired {
            scenes: desired,
            envs: &jmeter.desired_envs,
            jmeter: &jmeter.desired_scenes,
            files: data_files,
        };
        let saved = plan::planfile::save(workspace, proposal, lowered, redactor);
        let written = saved
            .map_err(|e| e.to_string())
            .and_then(|saved| serde_json::to_string_pretty(&saved).map_err(|e| e.to_string()))
            .and_then(|text| std::fs::write(out, text + "\n").map_err(|e| e.to_string()));
        match written {
            Ok(()) => eprintln!("Saved the plan to {}.", out.display()),
            Err(error) => {
                eprintln!("error: cannot save the plan to {}: {error}", out.display());
                return Exit::Error;
            }
        }
    }
    if let Some(budget) = args.max_vum {
        let total = proposal.total_vum();
        if total > budget {
            eprintln!(
                "error: the plan is estimated at {total:.0} VUM, over the --max-vum budget of {budget:.0}"
            );
            return Exit::Error;
        }
    }
    if args.detailed_exitcode && proposal.has_changes() {
        Exit::Changes
    } else {
        Exit::Ok
    }
}

/// A checked, lowered plan, the live state it was planned against, and the proposal: what
/// `plan` prints and `apply` performs.
pub(super) struct Prepared {
    /// The plan files read, in merge order.
    pub files: Vec<PathBuf>,
    /// The plan's workspace.
    pub workspace: String,
    /// The checked plan (defaults merged): what runs judge their scenes by.
    pub plan: crate::spec::model::Plan,
    /// The desired scenes.
    pub desired: Vec<Lowered>,
    /// The secret values resolved by lowering.
    pub redactor: Redactor,
    pub connection: Connection,
    pub runtime: tokio::runtime::Runtime,
    /// The live state read.
    pub live: Vec<Live>,
    pub proposal: plan::Plan,
    /// Where data files are stored (`[data]`).
    pub data: crate::oss::DataStore,
    /// The local data files the desired scenes name, for `apply` to upload.
    pub data_files: Vec<crate::oss::DataFile>,
    /// The desired and live JMeter environments and scenes.
    pub jmeter: plan::jmeter::State,
}

/// Checks and lowers the plan at `path`, connects, reads the live state and plans.
/// Problems are printed; the exit code is returned instead.
///
/// The plan is checked and lowered on a thread of its own while the live state is read:
/// reading is mostly waiting on the backend and checking a large plan is CPU work, so the
/// two overlap (docs/performance.md). An invalid plan stops the reads already started
/// (read-only calls; nothing is planned).
pub(super) fn prepare(
    global: &GlobalArgs,
    path: &Path,
    options: Options,
) -> Result<Prepared, Exit> {
    let data = data_store(global)?;
    std::thread::scope(|scope| {
        let store = data.clone();
        let checking = scope.spawn(move || check_and_lower(path, &store));
        let connected = connect_with_runtime(global);
        let reading = connected.as_ref().ok().map(|(connection, runtime)| {
            let client = connection.client.clone();
            let viewed = |live: &Live| plan::Viewed::of(&live.scene);
            runtime.spawn(async move { crate::live::read_all_with(&client, viewed).await })
        });
        let checked = checking.join().unwrap_or_else(|_| Checked::failed());
        eprint!(
            "{}",
            stderr_renderer(global)
                .render_all(&checked.loaded.diagnostics, &checked.loaded.sources)
        );
        let (Some(_), Some(Ok(_))) = (&checked.loaded.plan, &checked.lowered) else {
            if let Some(reading) = &reading {
                reading.abort();
            }
            report_invalid(path, &checked);
            return Err(Exit::Error);
        };
        let (connection, runtime) = connected?;
        let Some(reading) = reading else {
            return Err(Exit::Error);
        };
        let (live, live_views): (Vec<Live>, Vec<plan::Viewed>) = match runtime.block_on(reading) {
            Ok(Ok(read)) => read.into_iter().unzip(),
            Ok(Err(error)) => return Err(connection.report(global, &error)),
            Err(error) => {
                let error = crate::api::ApiError::Interrupted {
                    action: <crate::wire::ListPtsScene as crate::wire::Action>::ACTION,
                    cause: format!("reading the live state stopped: {error}"),
                };
                return Err(connection.report(global, &error));
            }
        };
        let Checked {
            mut loaded,
            lowered,
            desired_views,
        } = checked;
        let (Some(plan_file), Some(Ok(lowering))) = (loaded.plan.take(), lowered) else {
            return Err(Exit::Error);
        };
        let crate::lower::Lowering {
            scenes: desired,
            mut redactor,
            files: data_files,
            envs,
            jmeter,
        } = lowering;
        connection.redact_credentials(&mut redactor);
        let (jmeter, unread) = read_jmeter(
            global,
            &connection,
            &runtime,
            &data,
            (envs, jmeter),
            options.prune,
        )?;
        let mut proposal = plan::plan_viewed(
            &plan_file.workspace,
            &desired,
            &desired_views,
            &live,
            Some(&live_views),
            options,
        );
        proposal.estimates = plan_file
            .scenes
            .iter()
            .filter_map(|(key, scene)| Some((key.clone(), plan::cost::estimate(scene)?)))
            .chain(
                plan_file
                    .jmeter_scenes
                    .iter()
                    .map(|(key, scene)| (key.clone(), plan::cost::estimate_jmeter(scene))),
            )
            .collect();
        plan::jmeter::plan(&plan_file.workspace, &jmeter, options, &mut proposal);
        proposal.notes.extend(unread);
        proposal
            .notes
            .extend(changed_data_files(&data_files, &live, &jmeter));
        if !data_files.is_empty() {
            let refusal = data.unusable_with(&connection.settings.endpoint);
            proposal
                .notes
                .extend(refusal.map(|reason| format!("{reason}; apply will refuse")));
        }
        let files = loaded.files.clone();
        release_at_exit((loaded, desired_views, live_views));
        Ok(Prepared {
            files,
            workspace: plan_file.workspace.clone(),
            plan: plan_file,
            desired,
            redactor,
            connection,
            runtime,
            live,
            proposal,
            data,
            data_files,
            jmeter,
        })
    })
}

/// Leaves `value` to the process exit: freeing a large plan's trees (thousands of JSON values
/// and YAML nodes) one by one takes longer than the exit that reclaims their memory at once,
/// and it would sit between the last read and the printed plan (docs/performance.md).
pub(super) fn release_at_exit<T>(value: T) {
    std::mem::forget(value);
}

/// The JMeter side of the plan: the desired environments and scenes, and the live ones —
/// read only when the plan has any or with `--prune` (which deletes owned ones left out),
/// so other plans cost no extra reads and need no JMeter permissions. With `--prune` alone a
/// failed read is a note (the JMeter side is then not pruned), not an error. Scripts are
/// read back from the `[data]` store when their address is not the plan's.
pub(super) fn read_jmeter(
    global: &GlobalArgs,
    connection: &Connection,
    runtime: &tokio::runtime::Runtime,
    data: &crate::oss::DataStore,
    (desired_envs, desired_scenes): (
        Vec<crate::lower::LoweredEnv>,
        Vec<crate::lower::LoweredJMeter>,
    ),
    prune: bool,
) -> Result<(plan::jmeter::State, Vec<String>), Exit> {
    let mut state = plan::jmeter::State {
        desired_envs,
        desired_scenes,
        ..plan::jmeter::State::default()
    };
    let planned = !state.desired_envs.is_empty() || !state.desired_scenes.is_empty();
    if !planned && !prune {
        return Ok((state, Vec::new()));
    }
    let settings = &connection.settings;
    let oss = crate::oss::OssClient::new(
        data.clone(),
        settings.endpoint.clone(),
        settings.credential.credential.clone(),
    )
    .ok();
    let known = state.known_scripts();
    let read = runtime.block_on(crate::live::read_jmeter(
        &connection.client,
        oss.as_ref(),
        &known,
    ));
    match read {
        Ok((envs, scenes)) => {
            state.live_envs = envs;
            state.live_scenes = scenes;
            Ok((state, Vec::new()))
        }
        Err(error) if !planned => Ok((
            state,
            vec![format!(
                "JMeter scenes and environments were not read ({error}); --prune leaves them as they are"
            )],
        )),
        Err(error) => Err(connection.report(global, &error)),
    }
}

/// What lowering gives: the desired scenes, the secrets resolved and the data files, or
/// what could not be resolved.
type LowerResult = Result<crate::lower::Lowering, Vec<crate::lower::Unresolved>>;

/// A checked plan and, when it is valid, its lowering.
struct Checked {
    loaded: spec::load::Loaded,
    lowered: Option<LowerResult>,
    /// The views of the lowered scenes, in their order.
    desired_views: Vec<plan::Viewed>,
}

impl Checked {
    /// What a checking thread that died leaves: nothing valid.
    fn failed() -> Self {
        Checked {
            loaded: spec::load::Loaded::default(),
            lowered: None,
            desired_views: Vec::new(),
        }
    }
}

/// Checks the plan at `path` as `validate --require-env` does and, when it is valid, lowers
/// it with `data`. Prints nothing.
fn check_and_lower(path: &Path, data: &crate::oss::DataStore) -> Checked {
    let lookup = |name: &str| std::env::var(name).ok();
    let env = Env {
        now: jiff::Timestamp::now(),
        var: &lookup,
        require_env: true,
    };
    let loaded = spec::check(path, &env);
    let lowered = match (&loaded.plan, loaded.diagnostics.has_errors()) {
        (Some(plan_file), false) => Some(crate::lower::lower_with(
            plan_file,
            &plan_dir(path),
            &lookup,
            data,
        )),
        _ => None,
    };
    let desired_views = match &lowered {
        Some(Ok(lowering)) => lowering
            .scenes
            .iter()
            .map(|d| plan::Viewed::of(&d.scene))
            .collect(),
        _ => Vec::new(),
    };
    Checked {
        loaded,
        lowered,
        desired_views,
    }
}

/// Says why the plan at `path` cannot be planned.
fn report_invalid(path: &Path, checked: &Checked) {
    if let Some(Err(missing)) = &checked.lowered {
        for m in missing {
            eprintln!(
                "error: {}: `${{{}.{}}}` cannot be resolved",
                m.place, m.namespace, m.name
            );
        }
    } else {
        eprintln!(
            "error: {} is not a valid plan; nothing was planned",
            path.display()
        );
    }
}

/// The `[data]` store of `ptsplan.toml`; problems are printed.
pub(super) fn data_store(global: &GlobalArgs) -> Result<crate::oss::DataStore, Exit> {
    let mut sources = crate::diag::Sources::default();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let loaded = crate::config::discover(&cwd, &mut sources)
        .map_err(|diagnostic| super::backend::report(global, &diagnostic, &sources))?;
    loaded.file.data.store().map_err(|message| {
        let diagnostic = crate::diag::Diagnostic::error("config::data", message)
            .with_help("see docs/configuration.md, [data]");
        super::backend::report(global, &diagnostic, &sources)
    })
}

/// A note per local data file no live scene holds yet: its path, row count and hash (never
/// its content) and the address it gets; `apply` uploads it.
fn changed_data_files(
    files: &[crate::oss::DataFile],
    live: &[Live],
    jmeter: &plan::jmeter::State,
) -> Vec<String> {
    let held = |address: &str| {
        let named = |f: &crate::wire::OssFile| f.file_oss_address.as_deref() == Some(address);
        live.iter().any(|l| {
            l.scene
                .file_parameter_list
                .iter()
                .any(|f| f.file_oss_address.as_deref() == Some(address))
        }) || jmeter
            .live_envs
            .iter()
            .any(|l| l.env.files.iter().any(named))
            || jmeter
                .live_scenes
                .iter()
                .any(|l| l.scene.file_list.iter().any(named))
    };
    files
        .iter()
        .filter(|file| !held(&file.address))
        .map(|file| {
            format!(
                "data file {} has new content: {}sha256 {}…, {} bytes; apply stores it as {}",
                file.path,
                file.rows_shown(),
                file.short_hash(),
                file.size,
                file.address
            )
        })
        .collect()
}

/// The directory relative data files are resolved against.
pub(super) fn plan_dir(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}
