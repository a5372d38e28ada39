//! `ptsplan import [--scene-id ID… | --all] [--out DIR]`: existing PTS scenes → reviewed
//! plan files (docs/import.md).
//!
//! Read-only: it lists and reads scenes and writes files. Each scene becomes
//! `DIR/KEY.yaml` with `adopt: SCENE_ID`, so the next `plan` shows it as an update whose
//! only change is `owner`, and `apply` takes it over for the workspace.

use std::path::PathBuf;

use super::backend::connect_with_runtime;
use super::lifted::{self, Prepared};
use super::{Exit, GlobalArgs};
use crate::lift::{self as lift_mod, secrets::Secrets};
use crate::wire::{GetPtsScene, Marker, Scene};

/// Arguments of `ptsplan import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A scene to import (repeat for several).
    #[arg(
        long = "scene-id",
        value_name = "ID",
        required_unless_present_any = ["all", "jmeter_scene_ids", "env_ids"]
    )]
    pub scene_ids: Vec<String>,
    /// A JMeter scene to import, with its environment (repeat for several).
    #[arg(long = "jmeter-scene-id", value_name = "ID")]
    pub jmeter_scene_ids: Vec<String>,
    /// A JMeter environment to import (repeat for several).
    #[arg(long = "env-id", value_name = "ID")]
    pub env_ids: Vec<String>,
    /// Import every scene, JMeter scene and environment the workspace does not own yet.
    #[arg(long, conflicts_with_all = ["scene_ids", "jmeter_scene_ids", "env_ids"])]
    pub all: bool,
    /// Directory the plan files are written to (created if needed).
    #[arg(long, value_name = "DIR", default_value = "imported")]
    pub out: PathBuf,
    /// Workspace the scenes will belong to once applied.
    #[arg(long, value_name = "NAME", default_value = "imported")]
    pub workspace: String,
    /// Overwrite plan files that already exist.
    #[arg(long)]
    pub force: bool,
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let (connection, runtime) = match connect_with_runtime(global) {
        Ok(connected) => connected,
        Err(exit) => return exit,
    };
    let jmeter = if args.all || !args.jmeter_scene_ids.is_empty() || !args.env_ids.is_empty() {
        let wanted = super::import_jmeter::Wanted {
            all: args.all,
            scene_ids: &args.jmeter_scene_ids,
            env_ids: &args.env_ids,
            out: &args.out,
            workspace: &args.workspace,
            force: args.force,
        };
        match super::import_jmeter::import(global, &connection, &runtime, &wanted) {
            Ok(files) => files,
            Err(exit) => return exit,
        }
    } else {
        Vec::new()
    };
    if !jmeter.is_empty() {
        println!(
            "Imported {} JMeter environment(s) and scene(s) into {} (workspace `{}`):",
            jmeter.len(),
            args.out.display(),
            args.workspace
        );
        for file in &jmeter {
            println!("  {}", file.display());
        }
    }
    if !args.all && args.scene_ids.is_empty() {
        if jmeter.is_empty() {
            eprintln!("No JMeter scene or environment to import.");
            return Exit::Error;
        }
        super::lifted::check_written(global, &args.out);
        return Exit::Ok;
    }
    let scenes: Vec<Scene> = if args.all {
        match runtime.block_on(crate::live::read_all(&connection.client)) {
            Ok(live) => live.into_iter().map(|l| l.scene).collect(),
            Err(error) => return connection.report(global, &error),
        }
    } else {
        let mut scenes = Vec::new();
        for id in &args.scene_ids {
            let request = GetPtsScene {
                scene_id: id.clone(),
            };
            match runtime.block_on(connection.client.call(&request)) {
                Ok(output) => scenes.extend(output.scene),
                Err(error) => return connection.report(global, &error),
            }
        }
        scenes
    };
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut secrets = Secrets::default();
    let mut prepared = Vec::new();
    for scene in &scenes {
        let id = scene.scene_id.clone().unwrap_or_default();
        let name = scene.scene_name.clone().unwrap_or_default();
        let owner = Marker::of(scene).map(|m| m.workspace);
        if args.all && owner.as_deref() == Some(args.workspace.as_str()) {
            continue;
        }
        let before = secrets.uses.len();
        let mut lifted = match lift_mod::lift(scene, &mut secrets) {
            Ok(lifted) => lifted,
            Err(error) => {
                eprintln!("warning: scene {id} (`{name}`) is not imported: {error}");
                continue;
            }
        };
        let owned_here = owner.as_deref() == Some(args.workspace.as_str());
        if !owned_here {
            lifted.scene.adopt = Some(id.clone());
        }
        let owned_by = owner
            .as_ref()
            .map(|w| format!(", owned by workspace `{w}`"))
            .unwrap_or_default();
        let header = vec![
            format!(
                "Imported by ptsplan {} on {now} from PTS scene {id} (`{name}`{owned_by}).",
                env!("CARGO_PKG_VERSION")
            ),
            format!(
                "Review it, then `ptsplan plan {}`: the scene shows as updated in place with one",
                args.out.display()
            ),
            "change, `owner` (it is adopted; its settings stay as they are). `ptsplan apply`"
                .into(),
            format!(
                "marks it as owned by workspace `{}`; from then on `plan` says \"No changes\".",
                args.workspace
            ),
            "Comments mark PTS defaults and what a plan cannot express (docs/import.md).".into(),
        ];
        prepared.push(Prepared {
            lifted,
            header,
            secrets: secrets.uses[before..].to_vec(),
        });
    }
    if prepared.is_empty() && !jmeter.is_empty() {
        super::lifted::check_written(global, &args.out);
        return Exit::Ok;
    }
    if prepared.is_empty() {
        eprintln!("No scene to import.");
        return if scenes.is_empty() && !args.all {
            Exit::Error
        } else {
            Exit::Ok
        };
    }
    match lifted::write(global, &args.out, &args.workspace, prepared, args.force) {
        Ok(files) => {
            println!(
                "Imported {} scene(s) into {} (workspace `{}`):",
                files.len(),
                args.out.display(),
                args.workspace
            );
            for file in files {
                println!("  {}", file.display());
            }
            println!(
                "Next: review them, then `ptsplan plan {}` and `ptsplan apply {}` to adopt them.",
                args.out.display(),
                args.out.display()
            );
            Exit::Ok
        }
        Err(exit) => exit,
    }
}
