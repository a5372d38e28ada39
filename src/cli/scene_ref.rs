//! Naming a live scene on the command line (`stop`, `status`, `baseline`): by its key in
//! the plan (the ownership marker of the plan's workspace), else by scene id, else by its
//! exact PTS name.
//!
//! `stop` and `status` also name JMeter scenes ([`Session::find_any`]), the same ways; a key
//! used by both a PTS scene and a JMeter scene is told apart by its address
//! (`scene.KEY`, `jmeter_scene.KEY`). JMeter scenes are read only when asked for (their
//! reads are extra calls and need JMeter permissions).

use std::path::{Path, PathBuf};

use super::backend::{Connection, connect_with_runtime};
use super::{Exit, GlobalArgs};
use crate::plan::Live;
use crate::plan::jmeter::LiveJMeter;
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
        self.read().map(|p| p.workspace)
    }

    /// The plan, when one can be read there (secrets are not needed).
    fn read(&self) -> Option<crate::spec::model::Plan> {
        let path = self.plan.clone().unwrap_or_else(super::default_plan_dir);
        read_plan(&path)
    }
}

/// What the commands that name scenes work with: the plan's workspace (when a plan is
/// readable), the connection, and every live scene.
pub struct Session {
    pub workspace: Option<String>,
    /// Whether the plan has JMeter scenes (then `status` without names shows them too).
    pub plans_jmeter: bool,
    pub connection: Connection,
    pub runtime: tokio::runtime::Runtime,
    pub live: Vec<Live>,
    /// The live JMeter scenes, once read ([`Session::jmeter`]).
    jmeter: std::sync::OnceLock<Vec<LiveJMeter>>,
}

/// A live scene named on the command line: a PTS scene or a JMeter scene.
#[derive(Debug, Clone, Copy)]
pub enum Found<'a> {
    Pts(&'a Live),
    JMeter(&'a LiveJMeter),
}

impl Session {
    /// Connects and reads every scene; problems are printed, their exit code returned.
    pub fn open(global: &GlobalArgs, plan: &PlanArg) -> Result<Session, Exit> {
        let read = plan.read();
        let workspace = read.as_ref().map(|p| p.workspace.clone());
        let plans_jmeter = read.is_some_and(|p| !p.jmeter_scenes.is_empty());
        let (connection, runtime) = connect_with_runtime(global)?;
        let live = runtime
            .block_on(crate::live::read_all(&connection.client))
            .map_err(|error| connection.report(global, &error))?;
        Ok(Session {
            workspace,
            plans_jmeter,
            connection,
            runtime,
            live,
            jmeter: std::sync::OnceLock::new(),
        })
    }

    /// The scene `name` refers to (see [`find`]).
    pub fn find(&self, name: &str) -> Result<&Live, String> {
        find(&self.live, self.workspace.as_deref(), name)
    }

    /// The live JMeter scenes, read on first use; the error is printed.
    pub fn jmeter(&self, global: &GlobalArgs) -> Result<&[LiveJMeter], Exit> {
        if let Some(read) = self.jmeter.get() {
            return Ok(read);
        }
        let (_, scenes) = self
            .runtime
            .block_on(crate::live::read_jmeter(&self.connection.client, None, &[]))
            .map_err(|error| self.connection.report(global, &error))?;
        Ok(self.jmeter.get_or_init(|| scenes))
    }

    /// The owned JMeter scenes of the plan's workspace.
    pub fn owned_jmeter(&self, global: &GlobalArgs) -> Result<Vec<&LiveJMeter>, Exit> {
        let workspace = self.workspace.as_deref();
        Ok(self
            .jmeter(global)?
            .iter()
            .filter(|l| jmeter_marker(l).is_some_and(|m| Some(m.workspace.as_str()) == workspace))
            .collect())
    }

    /// The PTS or JMeter scene `name` refers to: `scene.KEY` and `jmeter_scene.KEY` name
    /// one kind; otherwise a PTS scene (as [`find`]) is looked for first, then a JMeter
    /// scene, and a key both use is refused as ambiguous. `Err(None)`: the error was
    /// printed already (reading JMeter scenes failed).
    pub fn find_any(&self, global: &GlobalArgs, name: &str) -> Result<Found<'_>, Option<String>> {
        let workspace = self.workspace.as_deref();
        let jmeter = |name: &str| -> Result<Found<'_>, Option<String>> {
            let scenes = self.jmeter(global).map_err(|_| None)?;
            find_jmeter(scenes, workspace, name)
                .map(Found::JMeter)
                .map_err(Some)
        };
        if let Some(key) = name.strip_prefix("jmeter_scene.") {
            return jmeter(key);
        }
        if let Some(key) = name.strip_prefix("scene.") {
            return self.find(key).map(Found::Pts).map_err(Some);
        }
        let live = match self.find(name) {
            Ok(live) => live,
            Err(message) => {
                return match jmeter(name) {
                    Err(Some(_)) => Err(Some(format!(
                        "{message}, nor a JMeter scene by that key, id or name"
                    ))),
                    other => other,
                };
            }
        };
        // A key names a scene before an id or a name does: a JMeter scene of the plan with
        // this key wins over a PTS scene found by id or name, and is ambiguous with one
        // found by key.
        let owned_pts = Marker::of(&live.scene)
            .is_some_and(|m| Some(m.workspace.as_str()) == workspace && m.key == name);
        let jmeter_key = if self.plans_jmeter {
            self.owned_jmeter(global)
                .map_err(|_| None)?
                .into_iter()
                .find(|l| jmeter_marker(l).is_some_and(|m| m.key == name))
        } else {
            None
        };
        match jmeter_key {
            Some(_) if owned_pts => Err(Some(format!(
                "`{name}` is the key of a PTS scene and of a JMeter scene; name one as `scene.{name}` or `jmeter_scene.{name}`"
            ))),
            Some(found) => Ok(Found::JMeter(found)),
            None => Ok(Found::Pts(live)),
        }
    }
}

/// The ownership marker of a JMeter scene.
fn jmeter_marker(live: &LiveJMeter) -> Option<Marker> {
    Marker::of_properties(&live.scene.j_meter_properties)
}

/// The JMeter scene `name` refers to: plan key in `workspace`, scene id, or exact name.
pub fn find_jmeter<'a>(
    live: &'a [LiveJMeter],
    workspace: Option<&str>,
    name: &str,
) -> Result<&'a LiveJMeter, String> {
    let by_key = live.iter().find(|l| {
        jmeter_marker(l).is_some_and(|m| Some(m.workspace.as_str()) == workspace && m.key == name)
    });
    let by_id = || {
        live.iter()
            .find(|l| l.scene.scene_id.as_deref() == Some(name))
    };
    if let Some(found) = by_key.or_else(by_id) {
        return Ok(found);
    }
    let named: Vec<&LiveJMeter> = live
        .iter()
        .filter(|l| l.scene.scene_name.as_deref() == Some(name))
        .collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no JMeter scene `{name}` on the backend")),
        _ => Err(format!(
            "{} JMeter scenes are named `{name}`; name one by its id",
            named.len()
        )),
    }
}

/// How a JMeter scene is shown: `jmeter_scene.KEY (name, id)` for owned scenes, else
/// `name (id)`.
pub fn jmeter_label(live: &LiveJMeter) -> String {
    let name = live.scene.scene_name.as_deref().unwrap_or("");
    let id = live.scene.scene_id.as_deref().unwrap_or("");
    match jmeter_marker(live) {
        Some(m) => format!("jmeter_scene.{} ({name}, {id})", m.key),
        None => format!("{name} ({id})"),
    }
}

fn read_plan(path: &Path) -> Option<crate::spec::model::Plan> {
    let lookup = |name: &str| std::env::var(name).ok();
    let env = Env {
        now: jiff::Timestamp::now(),
        var: &lookup,
        require_env: false,
    };
    crate::spec::check(path, &env).plan
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{self, Marker};

    fn jmeter(id: &str, name: &str, owner: Option<(&str, &str)>) -> LiveJMeter {
        let marker = owner.map(|(workspace, key)| {
            Marker {
                v: 1,
                workspace: workspace.into(),
                key: key.into(),
                ..Marker::default()
            }
            .to_property()
        });
        LiveJMeter {
            scene: wire::OpenJMeterScene {
                scene_id: Some(id.into()),
                scene_name: Some(name.into()),
                j_meter_properties: marker.into_iter().collect(),
                ..wire::OpenJMeterScene::default()
            },
            ..LiveJMeter::default()
        }
    }

    #[test]
    fn a_jmeter_scene_is_found_by_key_then_id_then_unique_name() {
        let live = [
            jmeter("J1", "orders", Some(("w", "orders-jmx"))),
            jmeter("J2", "twin", None),
            jmeter("J3", "twin", None),
            jmeter("J4", "other-ws", Some(("x", "orders-jmx"))),
        ];
        let found = |name: &str| find_jmeter(&live, Some("w"), name).map(jmeter_label);
        assert_eq!(
            found("orders-jmx").as_deref(),
            Ok("jmeter_scene.orders-jmx (orders, J1)")
        );
        assert_eq!(found("J2").as_deref(), Ok("twin (J2)"));
        assert_eq!(
            found("orders").as_deref(),
            Ok("jmeter_scene.orders-jmx (orders, J1)")
        );
        assert!(found("twin").is_err_and(|e| e.contains("2 JMeter scenes are named `twin`")));
        assert!(found("nope").is_err_and(|e| e.contains("no JMeter scene `nope`")));
    }
}
