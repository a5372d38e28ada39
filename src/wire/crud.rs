//! Scene CRUD (reference §5.1): list, read, save, and the older create/modify calls, delete.

use super::Empty;
use super::object::wire_object;
use super::params::wire_request;
use super::scene::{Scene, SceneStatus};

wire_request! {
    /// Pages through scene summaries. The answer has no total: page until a short page.
    pub struct ListPtsScene in Query -> ListPtsSceneOutput {
        /// Fuzzy name match or exact id, at most 30 characters.
        key_word: Option<String> = "KeyWord",
        /// From 1.
        page_number: i64 = "PageNumber",
        /// 10..1000.
        page_size: i64 = "PageSize",
    }
}

wire_object! {
    /// `ListPtsScene`'s answer.
    pub struct ListPtsSceneOutput {
        /// One page of summaries.
        scene_view_list: Vec<SceneView> = "SceneViewList",
    }
}

wire_object! {
    /// A scene summary in `ListPtsScene`.
    pub struct SceneView {
        /// Scene id.
        scene_id: Option<String> = "SceneId",
        /// Scene name.
        scene_name: Option<String> = "SceneName",
        /// `YYYY-MM-DD HH:MM:SS`.
        create_time: Option<String> = "CreateTime",
        /// Scene state.
        status: Option<SceneStatus> = "Status",
    }
}

wire_request! {
    /// Reads one scene in full, with status, times and scene-wide headers.
    pub struct GetPtsScene in Query -> GetPtsSceneOutput {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_object! {
    /// `GetPtsScene`'s answer.
    pub struct GetPtsSceneOutput {
        /// The scene (reference §6.2 shape).
        scene: Option<Scene> = "Scene",
    }
}

wire_request! {
    /// Creates (no `SceneId`) or replaces the whole scene named by `Scene.SceneId`. The way
    /// ptsplan writes scenes.
    pub struct SavePtsScene in Query -> SceneIdOutput {
        /// The scene, sent as JSON text.
        scene: Scene = "Scene",
    }
}

wire_request! {
    /// Older create call; `Scene` is caller-made JSON text, documented with lowerCamelCase
    /// keys (reference §6.4). Prefer [`SavePtsScene`].
    pub struct CreatePtsScene in Query -> SceneIdOutput {
        /// Scene JSON text, passed through as is.
        scene: String = "Scene",
    }
}

wire_request! {
    /// Older update call; `Scene` JSON text (carrying the scene id) in the form body.
    pub struct ModifyPtsScene in Body -> Empty {
        /// Scene JSON text, passed through as is.
        scene: String = "Scene",
    }
}

wire_object! {
    /// The answer of calls that create or save a scene.
    pub struct SceneIdOutput {
        /// The scene's id.
        scene_id: Option<String> = "SceneId",
    }
}

wire_request! {
    /// Deletes one scene.
    pub struct DeletePtsScene in Query -> Empty {
        /// The scene.
        scene_id: String = "SceneId",
    }
}

wire_request! {
    /// Deletes several scenes.
    pub struct DeletePtsScenes in Query -> Empty {
        /// The scenes, sent as a JSON array.
        scene_ids: Vec<String> = "SceneIds",
    }
}
