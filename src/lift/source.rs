//! Where reproduced and compared runs come from: a report on the backend (by id), or an
//! evidence bundle on disk.
//!
//! A bundle is read as follows: `reports/*/details.json` (a `GetPtsReportDetails` answer
//! written when a run ends) gives the run's figures and scene snapshot; `plan.json`, when
//! it is a saved plan (`ptsplan plan -o`), gives the complete desired scenes, which
//! `reproduce` prefers to a snapshot (snapshots lack ramp, VPC and scene headers).

use std::path::{Path, PathBuf};

use crate::api::{ApiError, Client};
use crate::plan::planfile::SavedPlan;
use crate::wire::{self, GetPtsReportDetails, GetPtsReportDetailsOutput, GetPtsReportsBySceneId};

/// One run's report and where it was read from.
#[derive(Debug, Clone)]
pub struct Report {
    /// The report (= PTS plan) id, when known.
    pub report_id: Option<String>,
    /// The scene it ran.
    pub scene_id: Option<String>,
    /// `report R` or the details file read.
    pub origin: String,
    pub details: GetPtsReportDetailsOutput,
}

/// Why a report or bundle could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(
        "report {0} was not found in any scene's reports; pass --scene-id if its scene was deleted or renamed"
    )]
    NotFound(String),
    #[error("{0}")]
    Bundle(String),
}

/// Reads report `report_id` of `scene_id`, or of whichever scene has it.
pub async fn fetch_report(
    client: &Client,
    report_id: &str,
    scene_id: Option<&str>,
) -> Result<Report, SourceError> {
    let scene_id = match scene_id {
        Some(id) => id.to_owned(),
        None => find_scene_of(client, report_id).await?,
    };
    let details = client
        .call(&GetPtsReportDetails {
            plan_id: report_id.to_owned(),
            scene_id: scene_id.clone(),
        })
        .await?;
    Ok(Report {
        report_id: Some(report_id.to_owned()),
        scene_id: Some(scene_id),
        origin: format!("report {report_id}"),
        details,
    })
}

/// The scene whose report list holds `report_id` (a report names no scene in PTS's search
/// results, so each scene's reports are paged through).
async fn find_scene_of(client: &Client, report_id: &str) -> Result<String, SourceError> {
    const PAGE: i64 = 100;
    for view in client.list_all_scenes(1000).await? {
        let Some(scene_id) = view.scene_id else {
            continue;
        };
        for page_number in 1.. {
            let page = client
                .call(&GetPtsReportsBySceneId {
                    page_number,
                    page_size: PAGE,
                    scene_id: scene_id.clone(),
                })
                .await?;
            let list = page.report_over_view_list;
            if list
                .iter()
                .any(|o| o.report_id.as_deref() == Some(report_id))
            {
                return Ok(scene_id);
            }
            if i64::try_from(list.len()).unwrap_or(0) < PAGE {
                break;
            }
        }
    }
    Err(SourceError::NotFound(report_id.to_owned()))
}

/// The reports in an evidence bundle (`reports/*/details.json`), a report directory of
/// one, or a `details.json` file, in name order.
pub fn bundle_reports(path: &Path) -> Result<Vec<Report>, SourceError> {
    let files: Vec<PathBuf> = if path.is_file() {
        vec![path.to_path_buf()]
    } else if path.join("details.json").is_file() {
        vec![path.join("details.json")]
    } else {
        let dir = path.join("reports");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path().join("details.json"))
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    };
    files.iter().map(|file| read_details(file)).collect()
}

fn read_details(file: &Path) -> Result<Report, SourceError> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| SourceError::Bundle(format!("cannot read {shown}: {e}")))?;
    let mut value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| SourceError::Bundle(format!("{shown} is not JSON: {e}")))?;
    // Accept the answer itself or a record holding it under `details`.
    if value
        .get("details")
        .is_some_and(serde_json::Value::is_object)
    {
        value = value["details"].take();
    }
    let details: GetPtsReportDetailsOutput = serde_json::from_value(value)
        .map_err(|e| SourceError::Bundle(format!("{shown} is not a report: {e}")))?;
    let report_id = details
        .report_over_view
        .as_ref()
        .and_then(|o| o.report_id.clone())
        .or_else(|| {
            let dir = file.parent()?.file_name()?;
            Some(dir.to_string_lossy().into_owned())
        });
    Ok(Report {
        report_id,
        scene_id: details
            .scene_snap_shot
            .as_ref()
            .and_then(|s| s.scene_id.clone()),
        origin: shown,
        details,
    })
}

/// The desired scenes of a saved plan (`plan.json` of a bundle when it is one, or a saved
/// plan file), by key; secret values stay `${secret.NAME}` references. `None` when the
/// path holds no saved plan.
pub fn saved_scenes(path: &Path) -> Option<Vec<(String, wire::Scene)>> {
    let file = if path.is_dir() {
        path.join("plan.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(file).ok()?;
    let saved: SavedPlan = serde_json::from_str(&text).ok()?;
    let scenes: Vec<(String, wire::Scene)> = saved
        .scenes
        .iter()
        // Environments and JMeter scenes are not PTS scenes.
        .filter(|s| s.kind.is_scene())
        .filter_map(|s| {
            let scene = serde_json::from_str(s.desired.as_deref()?).ok()?;
            Some((s.key.clone(), scene))
        })
        .collect();
    (!scenes.is_empty()).then_some(scenes)
}
