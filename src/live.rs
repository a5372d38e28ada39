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
use crate::plan::jmeter::{LiveEnv, LiveJMeter};
use crate::wire::{
    self, Action, GetOpenJMeterScene, GetPtsScene, ListEnvs, ListOpenJMeterScenes, ListPtsScene,
    SceneStatus,
};

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

/// JMeter scenes per `ListOpenJMeterScenes` page (PTS allows 10..1000).
const JMETER_PAGE_SIZE: i64 = 1000;
/// Environments per `ListEnvs` page (PTS allows 5..200).
const ENV_PAGE_SIZE: i64 = 200;

/// Every JMeter environment and JMeter scene of the backend, in listing order (read only
/// for plans that have JMeter sections). Environments come whole from `ListEnvs`; each
/// scene is read with `GetOpenJMeterScene`, its status taken from the listing. A scene's
/// script text is taken from `known` when its address is one of theirs (addresses are
/// content-addressed), else read from OSS with `oss` when it is given and the address is in
/// its bucket; otherwise it stays unknown (the planner shows the address).
pub async fn read_jmeter(
    client: &Client,
    oss: Option<&crate::oss::OssClient>,
    known: &[crate::lower::Jmx],
) -> Result<(Vec<LiveEnv>, Vec<LiveJMeter>), ApiError> {
    let envs = read_envs(client).await?;
    let views = paginate(
        ListOpenJMeterScenes::ACTION,
        JMETER_PAGE_SIZE,
        |page_number| async move {
            let request = ListOpenJMeterScenes {
                page_number,
                page_size: JMETER_PAGE_SIZE,
                ..ListOpenJMeterScenes::default()
            };
            Ok(client.call(&request).await?.j_meter_scene)
        },
    )
    .await?;
    let mut scenes = Vec::new();
    for view in views {
        let Some(id) = view.scene_id.clone() else {
            continue;
        };
        let Some(scene) = client
            .call(&GetOpenJMeterScene { scene_id: id })
            .await?
            .scene
        else {
            continue;
        };
        let jmx = script_text(&scene, oss, known).await;
        scenes.push(LiveJMeter {
            running: crate::plan::jmeter::is_running(view.status.as_ref()),
            scene,
            jmx,
        });
    }
    Ok((envs, scenes))
}

/// Every JMeter environment of the backend (`ListEnvs` returns them whole).
pub async fn read_envs(client: &Client) -> Result<Vec<LiveEnv>, ApiError> {
    let envs = paginate(ListEnvs::ACTION, ENV_PAGE_SIZE, |page_number| async move {
        let request = ListEnvs {
            page_number,
            page_size: ENV_PAGE_SIZE,
            ..ListEnvs::default()
        };
        Ok(client.call(&request).await?.envs)
    })
    .await?;
    Ok(envs.into_iter().map(|env| LiveEnv { env }).collect())
}

/// The text of `scene`'s JMX script (see [`read_jmeter`]). A read that fails leaves it
/// unknown: the plan then shows the script's address, never an error for a read-only view.
async fn script_text(
    scene: &wire::OpenJMeterScene,
    oss: Option<&crate::oss::OssClient>,
    known: &[crate::lower::Jmx],
) -> Option<String> {
    let address = scene
        .file_list
        .iter()
        .find(|f| f.file_name.is_some() && f.file_name == scene.test_file)?
        .file_oss_address
        .clone()?;
    if let Some(jmx) = known.iter().find(|j| j.address == address) {
        return Some(jmx.text.clone());
    }
    let oss = oss?;
    let (_, key) = crate::oss::candidates(&address)
        .into_iter()
        .find(|(bucket, _)| *bucket == oss.store().bucket)?;
    let bytes = oss.get_object(&key).await.ok()??;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
