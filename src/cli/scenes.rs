//! `ptsplan scenes list` / `ptsplan scenes get ID`: the read-only inventory of the backend.
//!
//! JSON output (`--format json`) is versioned:
//!
//! - `scenes list`: `{"format_version": 1, "scenes": [{"id", "name", "status", "created"}]}`,
//!   absent values as `null`;
//! - `scenes get`: `{"format_version": 1, "scene": {…}}`, the scene exactly as PTS's
//!   `GetPtsScene` returns it (PascalCase wire names, unknown keys kept).

use std::io::Write;

use serde_json::json;
use unicode_width::UnicodeWidthStr;

use super::backend::{Connection, connect_with_runtime, report};
use super::{Exit, Format, GlobalArgs};
use crate::diag::{Diagnostic, Sources};
use crate::wire::{GetPtsScene, Scene, SceneView};

/// Arguments of `ptsplan scenes`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ScenesCommand,
}

/// The `scenes` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ScenesCommand {
    /// List every scene (all pages): id, name, status, creation time.
    List {
        /// Output format: `text` (a table) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Scenes per ListPtsScene call (10..1000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(10..=1000))]
        page_size: i64,
    },
    /// Show one scene.
    Get {
        /// The scene id, e.g. NHBG6V.
        id: String,
        /// Output format: `text` (a summary) or `json` (the wire scene).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Runs the command.
pub fn run(global: &GlobalArgs, args: Args) -> Exit {
    let (connection, runtime) = match connect_with_runtime(global) {
        Ok(connected) => connected,
        Err(exit) => return exit,
    };
    runtime.block_on(run_async(global, &connection, args.command))
}

async fn run_async(global: &GlobalArgs, connection: &Connection, command: ScenesCommand) -> Exit {
    let written = match command {
        ScenesCommand::List { format, page_size } => {
            match connection.client.list_all_scenes(page_size).await {
                Ok(scenes) => write_list(format, &scenes),
                Err(error) => return connection.report(global, &error),
            }
        }
        ScenesCommand::Get { id, format } => {
            let request = GetPtsScene {
                scene_id: id.clone(),
            };
            match connection.client.call(&request).await {
                Ok(output) => match output.scene {
                    Some(scene) => write_scene(format, &scene),
                    None => {
                        let diagnostic = Diagnostic::error(
                            "api::decode",
                            format!("GetPtsScene {id}: the answer holds no Scene"),
                        );
                        return report(global, &diagnostic, &Sources::default());
                    }
                },
                Err(error) => return connection.report(global, &error),
            }
        }
    };
    match written {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the output: {error}");
            Exit::Error
        }
        _ => Exit::Ok,
    }
}

fn text(value: Option<&str>) -> &str {
    value.unwrap_or("-")
}

fn write_list(format: Format, scenes: &[SceneView]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let scenes: Vec<_> = scenes
            .iter()
            .map(|scene| {
                json!({
                    "id": scene.scene_id,
                    "name": scene.scene_name,
                    "status": scene.status.as_ref().map(|s| s.as_str()),
                    "created": scene.create_time,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &json!({"format_version": 1, "scenes": scenes}))?;
        return writeln!(out);
    }
    if scenes.is_empty() {
        return writeln!(out, "no scenes");
    }
    let rows: Vec<[String; 4]> = scenes
        .iter()
        .map(|scene| {
            [
                text(scene.scene_id.as_deref()).to_owned(),
                text(scene.scene_name.as_deref()).to_owned(),
                scene
                    .status
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), ToString::to_string),
                text(scene.create_time.as_deref()).to_owned(),
            ]
        })
        .collect();
    write_table(&mut out, ["ID", "NAME", "STATUS", "CREATED"], &rows)
}

/// Columns padded to their widest cell, two spaces apart. Widths are terminal columns, so
/// that Chinese scene names (two columns per character) line up.
fn write_table(
    out: &mut impl Write,
    header: [&str; 4],
    rows: &[[String; 4]],
) -> std::io::Result<()> {
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| {
                format!("{cell}{}", " ".repeat(width.saturating_sub(cell.width())))
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(out, "{}", line(header))?;
    for row in rows {
        writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?;
    }
    Ok(())
}

fn write_scene(format: Format, scene: &Scene) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &json!({"format_version": 1, "scene": scene}))?;
        return writeln!(out);
    }
    let status = scene
        .status
        .as_ref()
        .map_or_else(|| "-".to_owned(), ToString::to_string);
    writeln!(out, "id:        {}", text(scene.scene_id.as_deref()))?;
    writeln!(out, "name:      {}", text(scene.scene_name.as_deref()))?;
    writeln!(out, "status:    {status}")?;
    writeln!(out, "created:   {}", text(scene.create_time.as_deref()))?;
    writeln!(out, "modified:  {}", text(scene.modified_time.as_deref()))?;
    let apis: usize = scene.relation_list.iter().map(|r| r.api_list.len()).sum();
    writeln!(
        out,
        "sessions:  {} ({apis} API{})",
        scene.relation_list.len(),
        if apis == 1 { "" } else { "s" }
    )?;
    for relation in &scene.relation_list {
        writeln!(out, "  {}", text(relation.relation_name.as_deref()))?;
        for api in &relation.api_list {
            writeln!(
                out,
                "    {} {}  ({})",
                text(api.method.as_deref()),
                text(api.url.as_deref()),
                text(api.api_name.as_deref())
            )?;
        }
    }
    Ok(())
}
