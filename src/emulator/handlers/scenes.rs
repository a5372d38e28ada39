//! Scene CRUD (reference §5.1).
//!
//! Status rules: a saved scene is `WaitStart` when it can run (at least one chain, every
//! chain with at least one API, a load config with a test mode and a duration) and `Draft`
//! otherwise; a run makes it `Running` (`Debugging` for a debug run) until the run ends.
//! Saving over, modifying or deleting a scene that is running or debugging is refused.
//! Scene-wide `Headers` cannot be set by any call (a save keeps a stored scene's own, as
//! made in the console or on disk; the reference leaves clearing them undocumented).
//!
//! Stored scenes are kept exactly as `GetPtsScene` returns them: `TestMode` as
//! `CONCURRENCY`/`TPS`, ids filled in, `Status`, `CreateTime`, `ModifiedTime` set.

use serde_json::Value;

use super::super::ids;
use super::super::store::Kind;
use super::{ApiError, Shared, change, check_paging, ok, page, pascal_case};
use crate::wire::{
    Action, CreatePtsScene, DeletePtsScene, DeletePtsScenes, Empty, GetPtsScene, GetPtsSceneOutput,
    ListPtsScene, ListPtsSceneOutput, ModifyPtsScene, ParamError, Params, SavePtsScene, Scene,
    SceneIdOutput, SceneStatus, SceneView,
};

/// Length of generated scene, chain and API ids.
const ID_LEN: usize = 6;

pub(super) fn save(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = SavePtsScene::from_params(params)?;
    let scene_id = put(shared, request.scene, "ModifyPtsSceneFail")?;
    ok(&SceneIdOutput {
        scene_id: Some(scene_id),
        ..SceneIdOutput::default()
    })
}

pub(super) fn create(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = CreatePtsScene::from_params(params)?;
    let mut scene = parse_loose(&request.scene, "CreateSceneFail")?;
    scene.scene_id = None;
    let scene_id = put(shared, scene, "CreateSceneFail")?;
    ok(&SceneIdOutput {
        scene_id: Some(scene_id),
        ..SceneIdOutput::default()
    })
}

pub(super) fn modify(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = ModifyPtsScene::from_params(params)?;
    let scene = parse_loose(&request.scene, "ModifyPtsSceneFail")?;
    if scene.scene_id.as_deref().is_none_or(str::is_empty) {
        return Err(ParamError::Missing("Scene.SceneId").into());
    }
    put(shared, scene, "ModifyPtsSceneFail")?;
    ok(&Empty::default())
}

pub(super) fn get(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetPtsScene::from_params(params)?;
    let scene = shared
        .store
        .read(|tables| tables.scenes.get(&request.scene_id).cloned())
        .ok_or_else(|| not_found("GetPtsSceneFail"))?;
    ok(&GetPtsSceneOutput {
        scene: Some(scene),
        ..GetPtsSceneOutput::default()
    })
}

pub(super) fn list(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = ListPtsScene::from_params(params)?;
    let keyword = request.key_word.unwrap_or_default();
    if keyword.chars().count() > 30 {
        return Err(ApiError::new(
            "ListPtsSceneFail",
            "Keyword length cannot exceed 30 characters",
            400,
        ));
    }
    check_paging(
        request.page_number,
        (1, i64::MAX),
        request.page_size,
        (10, 1000),
    )?;
    let needle = keyword.to_lowercase();
    let mut views: Vec<SceneView> = shared.store.read(|tables| {
        tables
            .scenes
            .iter()
            .filter(|(id, scene)| {
                needle.is_empty()
                    || **id == keyword
                    || scene
                        .scene_name
                        .as_deref()
                        .is_some_and(|name| name.to_lowercase().contains(&needle))
            })
            .map(|(id, scene)| SceneView {
                scene_id: Some(id.clone()),
                scene_name: scene.scene_name.clone(),
                create_time: scene.create_time.clone(),
                status: scene.status.clone(),
                ..SceneView::default()
            })
            .collect()
    });
    // Newest first, then by id: a stable order, so pages neither repeat nor skip.
    views.sort_by(|a, b| {
        b.create_time
            .cmp(&a.create_time)
            .then_with(|| a.scene_id.cmp(&b.scene_id))
    });
    ok(&ListPtsSceneOutput {
        scene_view_list: page(&views, request.page_number, request.page_size),
        ..ListPtsSceneOutput::default()
    })
}

pub(super) fn delete_one(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = DeletePtsScene::from_params(params)?;
    delete(shared, &[request.scene_id], "DeletePtsSceneFail")?;
    ok(&Empty::default())
}

pub(super) fn delete_many(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = DeletePtsScenes::from_params(params)?;
    if request.scene_ids.is_empty() {
        return Err(ParamError::Invalid {
            name: "SceneIds",
            reason: "the list is empty".into(),
        }
        .into());
    }
    delete(shared, &request.scene_ids, "DeletePtsScenesFail")?;
    ok(&Empty::default())
}

/// Deletes all of `ids` or, if one is missing or running, none.
fn delete(shared: &Shared, ids: &[String], code: &'static str) -> Result<(), ApiError> {
    change(shared, |tables, touched| {
        for id in ids {
            let scene = tables.scenes.get(id).ok_or_else(|| {
                ApiError::new(code, format!("The scene {id} does not exist."), 400)
            })?;
            if is_busy(scene) {
                return Err(ApiError::new(code, "Scene is running", 400));
            }
        }
        for id in ids {
            tables.scenes.remove(id);
            touched.mark(Kind::Scene, id);
            if tables.baselines.remove(id).is_some() {
                touched.mark(Kind::Baseline, id);
            }
        }
        Ok(())
    })
}

/// Creates (no `SceneId`) or fully replaces a scene; returns its id.
fn put(shared: &Shared, mut scene: Scene, code: &'static str) -> Result<String, ApiError> {
    if scene
        .scene_name
        .as_deref()
        .is_none_or(|name| name.trim().is_empty())
    {
        return Err(ParamError::Invalid {
            name: "Scene.SceneName",
            reason: "a scene needs a name".into(),
        }
        .into());
    }
    let now = ids::now_text();
    change(shared, |tables, touched| {
        let existing = scene.scene_id.clone().filter(|id| !id.is_empty());
        // Scene-wide headers are not settable by a save (reference §6.2): whatever the
        // request holds is ignored and a stored scene keeps the ones it has.
        let (scene_id, create_time, headers) = match existing {
            Some(id) => {
                let old = tables.scenes.get(&id).ok_or_else(|| not_found(code))?;
                if is_busy(old) {
                    return Err(ApiError::new(code, "The scene is running", 400));
                }
                (id, old.create_time.clone(), old.headers.clone())
            }
            None => (
                ids::unique_id(ID_LEN, |id| tables.scenes.contains_key(id)),
                Some(now.clone()),
                Vec::new(),
            ),
        };
        scene.headers = headers;
        fill_ids(&mut scene);
        if let Some(load) = scene.load_config.as_mut() {
            load.test_mode = load.test_mode.as_ref().map(|mode| mode.to_get_form());
        }
        scene.status = Some(if is_runnable(&scene) {
            SceneStatus::WaitStart
        } else {
            SceneStatus::Draft
        });
        scene.scene_id = Some(scene_id.clone());
        scene.create_time = create_time;
        scene.modified_time = Some(now.clone());
        tables.scenes.insert(scene_id.clone(), scene);
        touched.mark(Kind::Scene, &scene_id);
        Ok(scene_id)
    })
}

/// Assigns ids to chains and APIs that have none, unique within the scene.
fn fill_ids(scene: &mut Scene) {
    let mut used: Vec<String> = scene
        .relation_list
        .iter()
        .filter_map(|relation| relation.relation_id.clone())
        .chain(
            scene
                .relation_list
                .iter()
                .flat_map(|relation| &relation.api_list)
                .filter_map(|api| api.api_id.clone()),
        )
        .collect();
    let mut fresh = || {
        let id = ids::unique_id(ID_LEN, |id| used.iter().any(|u| u == id));
        used.push(id.clone());
        id
    };
    for relation in &mut scene.relation_list {
        if relation.relation_id.as_deref().is_none_or(str::is_empty) {
            relation.relation_id = Some(fresh());
        }
        for api in &mut relation.api_list {
            if api.api_id.as_deref().is_none_or(str::is_empty) {
                api.api_id = Some(fresh());
            }
        }
    }
}

/// Whether the scene has what a run needs.
pub(super) fn is_runnable(scene: &Scene) -> bool {
    let chains_ok = !scene.relation_list.is_empty()
        && scene
            .relation_list
            .iter()
            .all(|relation| !relation.api_list.is_empty());
    let load_ok = scene
        .load_config
        .as_ref()
        .is_some_and(|load| load.test_mode.is_some() && load.max_running_time.is_some());
    chains_ok && load_ok
}

/// Whether a run of the scene is going.
pub(super) fn is_busy(scene: &Scene) -> bool {
    matches!(
        scene.status,
        Some(SceneStatus::Running | SceneStatus::Debugging)
    )
}

fn not_found(code: &'static str) -> ApiError {
    ApiError::new(code, "The scene does not exist.", 400)
}

/// Reads the caller-made scene JSON of the older calls: PascalCase or lowerCamelCase keys.
fn parse_loose(text: &str, code: &'static str) -> Result<Scene, ApiError> {
    let value: Value = serde_json::from_str(text).map_err(|error| ParamError::Invalid {
        name: "Scene",
        reason: format!("expected JSON text: {error}"),
    })?;
    if !value.is_object() || value.as_object().is_some_and(|o| o.is_empty()) {
        return Err(ApiError::new(code, "The scene is empty.", 400));
    }
    serde_json::from_value(pascal_case(value)).map_err(|error| {
        ParamError::Invalid {
            name: "Scene",
            reason: error.to_string(),
        }
        .into()
    })
}
