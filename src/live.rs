//! Reading live state through the client: every scene, in full.
//!
//! Ownership is recorded inside a scene (its marker global parameter), so the planner needs
//! every scene's full definition: one `ListPtsScene` walk, then one `GetPtsScene` per
//! scene, all in flight at once and bounded by the client's shared parallelism and rate
//! limit. Only read-only actions are called.

use tokio::task::JoinSet;

use crate::api::{ApiError, Client};
use crate::plan::Live;
use crate::wire::{Action, GetPtsScene, SceneStatus};

/// Scenes per `ListPtsScene` page: the most PTS allows, so listing costs few round trips.
const PAGE_SIZE: i64 = 1000;

/// Every scene of the backend with its running state, in listing order.
pub async fn read_all(client: &Client) -> Result<Vec<Live>, ApiError> {
    let views = client.list_all_scenes(PAGE_SIZE).await?;
    let mut tasks = JoinSet::new();
    for (index, view) in views.into_iter().enumerate() {
        let Some(id) = view.scene_id else { continue };
        let client = client.clone();
        tasks.spawn(async move {
            let output = client.call(&GetPtsScene { scene_id: id }).await;
            (index, output)
        });
    }
    let mut read = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, output) = joined.map_err(|error| ApiError::Interrupted {
            action: GetPtsScene::ACTION,
            cause: format!("reading a scene stopped: {error}"),
        })?;
        let Some(scene) = output?.scene else { continue };
        let running = matches!(
            scene.status,
            Some(SceneStatus::Running | SceneStatus::Debugging)
        );
        read.push((index, Live { scene, running }));
    }
    read.sort_by_key(|(index, _)| *index);
    Ok(read.into_iter().map(|(_, live)| live).collect())
}
