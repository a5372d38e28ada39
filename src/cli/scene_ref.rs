//! Naming a live scene on the command line (`stop`, `status`, `baseline`): by its key in
//! the plan (the ownership marker of the plan's workspace), else by scene id, else by its
//! exact PTS name.

use std::path::{Path, PathBuf};

use super::backend::{Connection, connect_with_runtime};
use super::{Exit, GlobalArgs};
use crate::plan::Live;
use crate::spec::validate::Env;
use crate::wire::Marker;

/// The plan option of the commands that name scenes.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArg {
    /// The plan whose workspace scene keys belong to (a file or a directory).
    /// Default: ./plans if it exists, else the current directory.
    #[arg(long, short = 'p', value_name = "PATH", global = true)]
    pub plan: Option<PathBuf>,
}

impl PlanArg {
    /// The plan's workspace, when a plan can be read there (secrets are not needed).
    pub fn workspace(&self) -> Option<String> {
        let path = self.plan.clone().unwrap_or_else(super::default_plan_dir);
        workspace(&path)
    }
}

/// What the commands that name scenes work with: the plan's workspace (when a plan is
/// readable), the connection, and every live scene.
pub struct Session {
    pub workspace: Option<String>,
    pub connection: Connection,
    pub runtime: tokio::runtime::Runtime,
    pub live: Vec<Live>,
}

impl Session {
    /// Connects and reads every scene; problems are printed, their exit code returned.
    pub fn open(global: &GlobalArgs, plan: &PlanArg) -> Result<Session, Exit> {
        let workspace = plan.workspace();
        let (connection, runtime) = connect_with_runtime(global)?;
        let live = runtime
            .block_on(crate::live::read_all(&connection.client))
            .map_err(|error| connection.report(global, &error))?;
        Ok(Session {
            workspace,
            connection,
            runtime,
            live,
        })
    }

    /// The scene `name` refers to (see [`find`]).
    pub fn find(&self, name: &str) -> Result<&Live, String> {
        find(&self.live, self.workspace.as_deref(), name)
    }
}

fn workspace(path: &Path) -> Option<String> {
    let lookup = |name: &str| std::env::var(name).ok();
    let env = Env {
        now: jiff::Timestamp::now(),
        var: &lookup,
        require_env: false,
    };
    crate::spec::check(path, &env).plan.map(|p| p.workspace)
}

/// The scene `name` refers to: plan key in `workspace`, scene id, or exact scene name.
pub fn find<'a>(live: &'a [Live], workspace: Option<&str>, name: &str) -> Result<&'a Live, String> {
    let by_key = live.iter().find(|l| {
        Marker::of(&l.scene)
            .is_some_and(|m| Some(m.workspace.as_str()) == workspace && m.key == name)
    });
    let by_id = || {
        live.iter()
            .find(|l| l.scene.scene_id.as_deref() == Some(name))
    };
    let by_name = || {
        let named: Vec<&Live> = live
            .iter()
            .filter(|l| l.scene.scene_name.as_deref() == Some(name))
            .collect();
        match named.as_slice() {
            [one] => Ok(Some(*one)),
            [] => Ok(None),
            _ => Err(format!(
                "{} scenes are named `{name}`; name one by its id",
                named.len()
            )),
        }
    };
    if let Some(found) = by_key.or_else(by_id) {
        return Ok(found);
    }
    by_name()?.ok_or_else(|| {
        format!(
            "no scene `{name}` on the backend (looked for a plan key{}, a scene id and a scene name)",
            workspace
                .map(|w| format!(" of workspace `{w}`"))
                .unwrap_or_default()
        )
    })
}

/// How a scene is shown: `scene.KEY (name, id)` for owned scenes, else `name (id)`.
pub fn label(live: &Live) -> String {
    let name = live.scene.scene_name.as_deref().unwrap_or("");
    let id = live.scene.scene_id.as_deref().unwrap_or("");
    match Marker::of(&live.scene) {
        Some(m) => format!("scene.{} ({name}, {id})", m.key),
        None => format!("{name} ({id})"),
    }
}
