//! JMeter environments (reference §5.7).
//!
//! PTS documents `SaveEnvFail` and `EnvNotExist` with HTTP 503; the emulator answers them with
//! 400, because a 5xx makes SDKs report a server fault (and retry), while these are the
//! caller's mistakes. The codes and messages are PTS's.

use serde_json::Value;

use super::super::ids;
use super::super::runs::RunState;
use super::super::store::{Kind, Tables};
use super::{ApiError, Shared, change, check_paging, ok, page};
use crate::wire::{
    Action, Empty, Env, ListEnvs, ListEnvsOutput, ParamError, Params, RemoveEnv, SaveEnv,
    SaveEnvOutput,
};

pub(super) fn save(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let mut env: Env = SaveEnv::from_params(params)?.env;
    if env
        .env_name
        .as_deref()
        .is_none_or(|name| name.trim().is_empty())
    {
        return Err(ParamError::Invalid {
            name: "Env.EnvName",
            reason: "an environment needs a name".into(),
        }
        .into());
    }
    let now = ids::now_ms();
    let env_id = change(shared, |tables, touched| {
        let (env_id, created) = match env.env_id.clone().filter(|id| !id.is_empty()) {
            Some(id) => {
                let old = tables.envs.get(&id).ok_or_else(|| {
                    ApiError::new("SaveEnvFail", "The environment does not exist.", 400)
                })?;
                (id, old.create_time)
            }
            None => (
                ids::unique_id(6, |id| tables.envs.contains_key(id)),
                Some(now),
            ),
        };
        env.env_id = Some(env_id.clone());
        env.create_time = created;
        env.modified_time = Some(now);
        env.used_capacity = Some(
            env.files
                .iter()
                .filter_map(|file| file.file_size)
                .sum::<i64>(),
        );
        tables.envs.insert(env_id.clone(), env);
        touched.mark(Kind::Env, &env_id);
        Ok(env_id)
    })?;
    ok(&SaveEnvOutput {
        env_id: Some(env_id),
        ..SaveEnvOutput::default()
    })
}

pub(super) fn list(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = ListEnvs::from_params(params)?;
    check_paging(
        request.page_number,
        (1, 10_000_000),
        request.page_size,
        (5, 200),
    )?;
    let envs: Vec<Env> = shared.store.read(|tables| {
        tables
            .envs
            .iter()
            .filter(|(id, env)| {
                request.env_id.as_ref().is_none_or(|want| want == *id)
                    && request.env_name.as_ref().is_none_or(|want| {
                        env.env_name
                            .as_deref()
                            .is_some_and(|name| name.contains(want.as_str()))
                    })
            })
            .map(|(id, env)| with_scenes(tables, id, env.clone()))
            .collect()
    });
    if request.env_id.is_some() && envs.is_empty() {
        return Err(env_not_exist());
    }
    ok(&ListEnvsOutput {
        page_number: Some(request.page_number),
        page_size: Some(request.page_size),
        total_count: i64::try_from(envs.len()).ok(),
        envs: page(&envs, request.page_number, request.page_size),
        ..ListEnvsOutput::default()
    })
}

pub(super) fn remove(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = RemoveEnv::from_params(params)?;
    change(shared, |tables, touched| {
        tables
            .envs
            .remove(&request.env_id)
            .ok_or_else(env_not_exist)?;
        touched.mark(Kind::Env, &request.env_id);
        Ok(())
    })?;
    ok(&Empty::default())
}

/// `env` with the JMeter scenes that use it (`RelatedScenes`) and those of them running
/// now (`RunningScenes`), by scene id: PTS computes both, they are not saved.
fn with_scenes(tables: &Tables, env_id: &str, mut env: Env) -> Env {
    env.related_scenes = tables
        .jmeter
        .iter()
        .filter(|(_, scene)| scene.environment_id.as_deref() == Some(env_id))
        .map(|(id, _)| id.clone())
        .collect();
    env.running_scenes = env
        .related_scenes
        .iter()
        .filter(|id| {
            tables
                .jmeter_runs
                .values()
                .any(|run| &run.scene_id == *id && run.state == RunState::Running)
        })
        .cloned()
        .collect();
    env
}

fn env_not_exist() -> ApiError {
    ApiError::new("EnvNotExist", "The environment does not exist.", 400)
}
