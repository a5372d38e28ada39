//! Saving a variant of a plan scene over its live scene — a sweep step, a soak's shorter
//! last segment — and putting the live scene back afterwards.
//!
//! A variant is the plan changed in memory and lowered again (so `${var.*}` swept values
//! reach every string that uses them), given the live scene's ids and saved in place. The
//! restore saves the live scene exactly as it was read before the first variant, so that a
//! sweep or soak never leaves a step's settings behind (and `ptsplan plan` shows no
//! change afterwards).

use std::path::Path;

use super::plan::{Prepared, plan_dir};
use crate::spec::model::Plan;
use crate::wire::{SavePtsScene, Scene};

/// Changes a copy of the prepared plan with `modify`, lowers it and saves scene `key` over
/// `live`; returns the saved scene (with its ids). Nothing is saved when `modify` or the
/// lowering fails.
pub(super) fn save(
    prepared: &Prepared,
    plan_path: &Path,
    key: &str,
    live: &Scene,
    modify: impl FnOnce(&mut Plan) -> Result<(), String>,
) -> Result<Scene, String> {
    let mut plan = prepared.plan.clone();
    modify(&mut plan)?;
    let lookup = |name: &str| std::env::var(name).ok();
    let lowering = crate::lower::lower_with(&plan, &plan_dir(plan_path), &lookup, &prepared.data)
        .map_err(|missing| {
        let names: Vec<String> = missing
            .iter()
            .map(|m| format!("${{{}.{}}}", m.namespace, m.name))
            .collect();
        format!("cannot resolve {}", names.join(", "))
    })?;
    let mut scene = lowering
        .scenes
        .into_iter()
        .find(|l| l.key == key)
        .map(|l| l.scene)
        .ok_or_else(|| format!("the plan has no scene `{key}`"))?;
    crate::lower::attach_ids(&mut scene, live);
    prepared
        .runtime
        .block_on(prepared.connection.client.call(&SavePtsScene {
            scene: scene.clone(),
        }))
        .map_err(|error| prepared.redactor.redact(&error.to_string()))?;
    Ok(scene)
}

/// Saves `live` (as read before the first variant) back over the scene.
pub(super) fn restore(prepared: &Prepared, live: &Scene) -> Result<(), String> {
    let scene = crate::apply::rollback::save_form(live);
    prepared
        .runtime
        .block_on(prepared.connection.client.call(&SavePtsScene { scene }))
        .map(drop)
        .map_err(|error| prepared.redactor.redact(&error.to_string()))
}
