//! Reading live state through the client: every scene, in full.
//!
//! Ownership is recorded inside a scene (its marker global parameter), so the planner needs
//! every scene's full definition: a `ListPtsScene` walk and one `GetPtsScene` per scene, all
//! in flight at once and bounded by the client's shared parallelism and rate limit. The
//! reads of a page start as soon as it arrives, while the next page is listed, so a list
//! round trip is never spent waiting. Only read-only actions are called.

use std::sync::Mutex;

use tokio::task::JoinSet;

use crate::api::client::paginate;
use crate::api::{ApiError, Client};
use crate::plan::Live;
use crate::wire::{self, Action, GetPtsScene, ListPtsScene, SceneStatus};

/// Scenes per `ListPtsScene` page: the most PTS allows, so listing costs few round trips.
const PAGE_SIZE: i64 = 1000;

/// Every scene of the backend with its running state, in listing order.
pub async fn read_all(client: &Client) -> Result<Vec<Live>, ApiError> {
    let read = read_all_with(client, |_| ()).await?;
    Ok(read.into_iter().map(|(live, ())| live).collect())
}

/// [`read_all`], with `each` applied to every scene as soon as it is read (while others are
/// still in flight), its result kept beside the scene.
pub async fn read_all_with<T, F>(client: &Client, each: F) -> Result<Vec<(Live, T)>, ApiError>
where
    T: Send + 'static,
    F: Fn(&Live) -> T + Clone + Send + Sync + 'static,
{
    type Read<T> = (usize, Result<Option<(Live, T)>, ApiError>);
    let tasks: Mutex<JoinSet<Read<T>>> = Mutex::new(JoinSet::new());
    let each = &each;
    let listed = paginate(ListPtsScene::ACTION, PAGE_SIZE, |page_number| {
        let tasks = &tasks;
        async move {
            let request = ListPtsScene {
                page_number,
                page_size: PAGE_SIZE,
                ..ListPtsScene::default()
            };
            let page = client.call(&request).await?.scene_view_list;
            let first = usize::try_from((page_number - 1) * PAGE_SIZE).unwrap_or(usize::MAX);
            let mut tasks = tasks.lock().unwrap_or_else(|p| p.into_inner());
            for (offset, view) in page.iter().enumerate() {
                let Some(id) = view.scene_id.clone() else {
                    continue;
                };
                let client = client.clone();
                let each = each.clone();
                tasks.spawn(async move {
                    let output = client.call(&GetPtsScene { scene_id: id }).await;
                    let read = output.map(|output| {
                        output.scene.map(live).map(|live| {
                            let extra = each(&live);
                            (live, extra)
                        })
                    });
                    (first.saturating_add(offset), read)
                });
            }
            Ok(page)
        }
    })
    .await;
    let mut tasks = tasks.into_inner().unwrap_or_else(|p| p.into_inner());
    // A failed listing drops the reads already started (dropping the set aborts them).
    listed?;
    let mut read = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, output) = joined.map_err(|error| ApiError::Interrupted {
            action: GetPtsScene::ACTION,
            cause: format!("reading a scene stopped: {error}"),
        })?;
        if let Some(scene) = output? {
            read.push((index, scene));
        }
    }
    read.sort_by_key(|(index, _)| *index);
    Ok(read.into_iter().map(|(_, read)| read).collect())
}

/// A scene read, with its running state.
fn live(scene: wire::Scene) -> Live {
    let running = matches!(
        scene.status,
        Some(SceneStatus::Running | SceneStatus::Debugging)
    );
    Live { scene, running }
}
