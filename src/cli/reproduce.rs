//! `ptsplan reproduce REPORT_ID | EVIDENCE_DIR`: a plan file that re-creates the scene as a
//! past run ran it (docs/import.md).
//!
//! From a report id: the report's scene snapshot (`GetPtsReportDetails`). From an evidence
//! bundle: the desired scenes of its saved plan (`plan.json`) when it holds them (complete),
//! else the snapshot of its report (`reports/*/details.json`). Snapshots lack the ramp,
//! VPC settings, scene-wide headers and load ids; the file says so. By default the plan
//! creates a new scene named `NAME-repro-ID`; `--in-place` resets the original instead.

use std::path::{Path, PathBuf};

use super::lifted::{self, Prepared};
use super::{Exit, GlobalArgs};
use crate::lift::{self as lift_mod, Lifted, Note, secrets::Secrets, source};
use crate::spec::validate::MAX_SCENE_NAME;
use crate::wire::{self, Marker};

/// Arguments of `ptsplan reproduce`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A report id (`REPORT_ID`, or `SCENE_ID:REPORT_ID` when its scene is known), an
    /// evidence bundle directory, a report directory holding `details.json`, or a saved
    /// plan file.
    #[arg(value_name = "REPORT_ID|EVIDENCE_DIR")]
    pub source: String,
    /// Reset the original scene to the run's configuration instead of creating a new one.
    #[arg(long)]
    pub in_place: bool,
    /// Directory the plan file is written to (created if needed).
    #[arg(long, value_name = "DIR", default_value = "reproduced")]
    pub out: PathBuf,
    /// Workspace of the plan (default: the scene's owner in its marker, else `reproduced`).
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,
    /// Overwrite a plan file that already exists.
    #[arg(long)]
    pub force: bool,
}

/// Where the scenes came from.
struct Origin {
    /// For the header: `report R of scene S (run START)`.
    text: String,
    /// A short id for new names: the report id.
    short: String,
    /// Whether the scenes are report snapshots (incomplete).
    snapshot: bool,
    /// The scene id of the run, for `--in-place`.
    scene_id: Option<String>,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let path = Path::new(&args.source);
    let saved = path.exists().then(|| source::saved_scenes(path)).flatten();
    let (scenes, origin): (Vec<wire::Scene>, Origin) = match saved {
        Some(scenes) => {
            let short = bundle_short(path);
            (
                scenes.into_iter().map(|(_, s)| s).collect(),
                Origin {
                    text: format!("the saved plan of {}", path.display()),
                    short,
                    snapshot: false,
                    scene_id: None,
                },
            )
        }
        None => {
            let mut connection = None;
            let report = match lifted::read_run(global, &args.source, &mut connection) {
                Ok(report) => report,
                Err(exit) => return exit,
            };
            let Some(scene) = report.details.scene_snap_shot.clone() else {
                eprintln!(
                    "error: {} holds no scene snapshot (SceneSnapShot); nothing to reproduce",
                    report.origin
                );
                return Exit::Error;
            };
            let started = report
                .details
                .report_over_view
                .as_ref()
                .and_then(|o| o.start_time.clone())
                .map(|t| format!(", run started {t}"))
                .unwrap_or_default();
            let id = report.report_id.clone().unwrap_or_else(|| "run".into());
            (
                vec![scene],
                Origin {
                    text: format!(
                        "{} of scene {}{started}",
                        report.origin,
                        report.scene_id.as_deref().unwrap_or("(unknown)")
                    ),
                    short: short_id(&id),
                    snapshot: true,
                    scene_id: report.scene_id.clone(),
                },
            )
        }
    };
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut secrets = Secrets::default();
    let mut prepared = Vec::new();
    let mut workspace = args.workspace.clone();
    for scene in &scenes {
        let marker = Marker::of(scene);
        let ws = workspace
            .get_or_insert_with(|| {
                marker
                    .as_ref()
                    .map_or_else(|| "reproduced".to_owned(), |m| m.workspace.clone())
            })
            .clone();
        let before = secrets.uses.len();
        let mut lifted = match lift_mod::lift(scene, &mut secrets) {
            Ok(lifted) => lifted,
            Err(error) => {
                eprintln!("error: the scene cannot be written as a plan: {error}");
                return Exit::Error;
            }
        };
        let original = scene.scene_id.clone().or_else(|| origin.scene_id.clone());
        if args.in_place {
            let owned = marker
                .as_ref()
                .is_some_and(|m| m.workspace == ws && m.key == lifted.key);
            if !owned {
                lifted.scene.adopt = original.clone();
            }
        } else {
            rename(&mut lifted, &origin.short);
        }
        if origin.snapshot {
            lifted.notes.push(Note {
                path: vec!["load".into()],
                text: "from a report snapshot, which does not record the ramp (AutoStep, Increment, KeepTime) or VPC settings: add them if the run had them".into(),
            });
        }
        let applying = if args.in_place {
            format!(
                "`ptsplan apply {}` resets scene {} to this configuration.",
                args.out.display(),
                original.as_deref().unwrap_or("(unknown)")
            )
        } else {
            format!(
                "`ptsplan apply {}` creates a new scene `{}` with this configuration.",
                args.out.display(),
                lifted.scene.name.as_deref().unwrap_or(&lifted.key)
            )
        };
        let mut header = vec![
            format!(
                "Reproduced by ptsplan {} on {now} from {}.",
                env!("CARGO_PKG_VERSION"),
                origin.text
            ),
            applying,
        ];
        if origin.snapshot {
            header.push(
                "A report snapshot lacks scene-wide headers, the ramp, VPC settings and load ids;"
                    .into(),
            );
            header.push(
                "what the run had there is not recovered (an evidence bundle's plan.json is)."
                    .into(),
            );
        }
        prepared.push(Prepared {
            lifted,
            header,
            secrets: secrets.uses[before..].to_vec(),
        });
    }
    let workspace = workspace.unwrap_or_else(|| "reproduced".into());
    match lifted::write(global, &args.out, &workspace, prepared, args.force) {
        Ok(files) => {
            for file in files {
                println!("Wrote {}", file.display());
            }
            println!(
                "Next: `ptsplan plan {}`, then `ptsplan apply {}`.",
                args.out.display(),
                args.out.display()
            );
            Exit::Ok
        }
        Err(exit) => exit,
    }
}

/// `KEY-repro-ID` and `NAME-repro-ID` (the name cut to PTS's 30 characters).
fn rename(lifted: &mut Lifted, short: &str) {
    let suffix = format!("-repro-{short}");
    let name = lifted
        .scene
        .name
        .clone()
        .unwrap_or_else(|| lifted.key.clone());
    let keep = MAX_SCENE_NAME.saturating_sub(suffix.chars().count());
    let head: String = name.chars().take(keep).collect();
    lifted.key = format!("{}{suffix}", lifted.key);
    let new_name = format!("{}{suffix}", head.trim_end());
    lifted.scene.name = (new_name != lifted.key).then_some(new_name);
    lifted.scene.adopt = None;
}

/// The first characters of a report id, lower-cased.
fn short_id(id: &str) -> String {
    id.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(7)
        .collect::<String>()
        .to_lowercase()
}

/// A short id for a bundle: the id part of its directory name (`<time>-<id>`), or the
/// stem of a saved plan file.
fn bundle_short(path: &Path) -> String {
    let name = if path.is_dir() {
        path.canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default()
    } else {
        path.file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let short = short_id(name.rsplit('-').next().unwrap_or_default());
    if short.is_empty() {
        "plan".into()
    } else {
        short
    }
}
