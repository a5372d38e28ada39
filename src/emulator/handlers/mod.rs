//! The actions, one file per group, and the dispatch table from action name to handler.
//!
//! A handler reads its request with the wire type's [`Action::from_params`] (so missing and
//! malformed parameters get the gateway's `MissingParameter` / `InvalidParameter` naming the
//! field), checks, changes the store, and returns the action's output as JSON; the caller
//! wraps it in the success envelope.
//!
//! [`Action::from_params`]: crate::wire::Action::from_params

mod baselines;
mod debug;
mod envs;
mod jmeter;
mod jmeter_reports;
pub(crate) mod jmeter_runs;
pub(crate) mod lifecycle;
mod regions;
mod reports;
mod scenes;

use serde::Serialize;
use serde_json::Value;

use super::store::{Tables, Touched};
use super::{ApiError, Shared};
use crate::wire::{ParamError, Params};

/// A handler: request parameters in, the action's fields out.
pub(crate) type Handler = fn(&Shared, &Params) -> Result<Value, ApiError>;

/// One action.
pub(crate) struct Route {
    /// Wire name.
    pub action: &'static str,
    /// Whether it changes state (counted by the mutation faults).
    pub mutates: bool,
    pub handler: Handler,
}

const fn read(action: &'static str, handler: Handler) -> Route {
    Route {
        action,
        mutates: false,
        handler,
    }
}

const fn write(action: &'static str, handler: Handler) -> Route {
    Route {
        action,
        mutates: true,
        handler,
    }
}

/// Every action the emulator answers.
pub(crate) static ROUTES: &[Route] = &[
    // Scenes
    write("SavePtsScene", scenes::save),
    write("CreatePtsScene", scenes::create),
    write("ModifyPtsScene", scenes::modify),
    read("GetPtsScene", scenes::get),
    read("ListPtsScene", scenes::list),
    write("DeletePtsScene", scenes::delete_one),
    write("DeletePtsScenes", scenes::delete_many),
    // Lifecycle
    write("StartPtsScene", lifecycle::start),
    write("StopPtsScene", lifecycle::stop),
    read("GetPtsSceneRunningStatus", lifecycle::running_status),
    read("GetPtsSceneRunningData", lifecycle::running_data),
    write("AdjustPtsSceneSpeed", lifecycle::adjust_speed),
    // Debug
    write("StartDebugPtsScene", debug::start),
    write("StopDebugPtsScene", debug::stop),
    read("GetPtsDebugSampleLogs", debug::sample_logs),
    // Reports
    read("GetPtsReportDetails", reports::details),
    read("GetPtsReportsBySceneId", reports::by_scene),
    read("ListPtsReports", reports::list),
    // Baselines
    write(
        "CreatePtsSceneBaseLineFromReport",
        baselines::create_from_report,
    ),
    read("GetPtsSceneBaseLine", baselines::get),
    write("UpdatePtsSceneBaseLine", baselines::update),
    write("DeletePtsSceneBaseLine", baselines::delete),
    // JMeter scenes
    write("SaveOpenJMeterScene", jmeter::save),
    read("GetOpenJMeterScene", jmeter::get),
    read("ListOpenJMeterScenes", jmeter::list),
    write("RemoveOpenJMeterScene", jmeter::remove),
    write("StartTestingJMeterScene", jmeter_runs::start_testing),
    write("StopTestingJMeterScene", jmeter_runs::stop_testing),
    write("StartDebuggingJMeterScene", jmeter_runs::start_debugging),
    write("StopDebuggingJMeterScene", jmeter_runs::stop_debugging),
    write("AdjustJMeterSceneSpeed", jmeter_runs::adjust_speed),
    read("GetJMeterSceneRunningData", jmeter_runs::running_data),
    read("GetJMeterLogs", jmeter_reports::logs),
    read("GetJMeterSampleMetrics", jmeter_reports::sample_metrics),
    read("GetJMeterSamplingLogs", jmeter_reports::sampling_logs),
    read("GetJMeterReportDetails", jmeter_reports::details),
    read("ListJMeterReports", jmeter_reports::list),
    // Environments
    write("SaveEnv", envs::save),
    read("ListEnvs", envs::list),
    write("RemoveEnv", envs::remove),
    // Regions
    read("GetAllRegions", regions::all),
];

/// The route of `action`.
pub(crate) fn route(action: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.action == action)
}

/// The names of every action answered (for tests and docs).
pub fn actions() -> impl Iterator<Item = &'static str> {
    ROUTES.iter().map(|route| route.action)
}

/// An action's output as the JSON fields of the answer.
fn ok<T: Serialize>(output: &T) -> Result<Value, ApiError> {
    serde_json::to_value(output).map_err(ApiError::internal)
}

/// Applies a change to the store (see [`super::store::Store::write`]).
fn change<R>(
    shared: &Shared,
    change: impl FnOnce(&mut Tables, &mut Touched) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    shared
        .store
        .write(change)
        .map_err(|error| ApiError::internal(format!("the state could not be written: {error}")))?
}

/// `InvalidParameter` naming `name` unless `min <= value <= max`.
fn check_range(name: &'static str, value: i64, min: i64, max: i64) -> Result<(), ApiError> {
    if (min..=max).contains(&value) {
        return Ok(());
    }
    Err(ParamError::Invalid {
        name,
        reason: if max == i64::MAX {
            format!("must be at least {min}, got {value}")
        } else {
            format!("must be between {min} and {max}, got {value}")
        },
    }
    .into())
}

/// Checks `PageNumber` and `PageSize` against their ranges.
fn check_paging(
    number: i64,
    number_range: (i64, i64),
    size: i64,
    size_range: (i64, i64),
) -> Result<(), ApiError> {
    check_range("PageNumber", number, number_range.0, number_range.1)?;
    check_range("PageSize", size, size_range.0, size_range.1)
}

/// Page `number` (from 1) of `size` items.
fn page<T: Clone>(items: &[T], number: i64, size: i64) -> Vec<T> {
    let size = usize::try_from(size.max(1)).unwrap_or(usize::MAX);
    let skip = usize::try_from(number.max(1) - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(size);
    items.iter().skip(skip).take(size).cloned().collect()
}

/// Turns lowerCamelCase keys into PTS's PascalCase, recursively (`sceneName` → `SceneName`),
/// for the older calls whose documented payloads use the former.
fn pascal_case(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| {
                    let mut chars = key.chars();
                    let key = match chars.next() {
                        Some(first) => first.to_uppercase().chain(chars).collect(),
                        None => key,
                    };
                    (key, pascal_case(value))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(pascal_case).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn action_names_are_unique() {
        let mut names: Vec<_> = actions().collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn camel_case_keys_become_pascal_case() {
        assert_eq!(
            pascal_case(json!({"sceneName": "a", "relationList": [{"apiList": [{"url": "u"}]}]})),
            json!({"SceneName": "a", "RelationList": [{"ApiList": [{"Url": "u"}]}]})
        );
    }

    #[test]
    fn paging_and_ranges() {
        let items: Vec<i32> = (0..25).collect();
        assert_eq!(page(&items, 3, 10), [20, 21, 22, 23, 24]);
        assert!(page(&items, i64::MAX, i64::MAX).is_empty());
        let error = check_range("PageSize", 5, 10, 1000).expect_err("out of range");
        assert_eq!(error.code, "InvalidParameter");
        assert!(error.message.contains("\"PageSize\""), "{}", error.message);
    }
}
