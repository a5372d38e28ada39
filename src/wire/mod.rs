//! PTS OpenAPI 2020-10-20 wire types (PascalCase JSON), shared by the client, the local
//! backend and the engine. Data only: no I/O, no plan-file concepts.
//!
//! The reference is `shared/reference/pts-openapi.md` (+ `.json`), taken from the official SDK;
//! section numbers (§) below point into it.
//!
//! # Layout
//!
//! | module | holds |
//! |---|---|
//! | `object` | how wire objects are declared: lenient reading, unknown keys kept ([`WireValue`]) |
//! | `params` | requests as flat `name=value` lists: [`Action`], [`Params`], [`ParamError`] |
//! | `envelope` | the answer: [`Envelope`], [`Response`], [`ErrorBody`] |
//! | `scene` | the scene tree ([`Scene`]) and its enums |
//! | `marker` | ptsplan's ownership/settings marker carried in a global parameter ([`Marker`]) |
//! | `crud`, `lifecycle`, `debug`, `report`, `baseline`, `jmeter`, `env`, `region` | one file per action group: request types (named after the action) and their answers |
//!
//! # Use
//!
//! A client turns a request into parameters and reads the answer as the action's output:
//!
//! ```
//! use ptsplan::wire::{Action, ListPtsScene, Location, Response};
//!
//! let request = ListPtsScene { page_number: 1, page_size: 10, ..Default::default() };
//! let params = request.to_params();
//! assert_eq!(params.pairs(Location::Query).collect::<Vec<_>>(),
//!            [("PageNumber", "1"), ("PageSize", "10")]);
//!
//! let answer = r#"{"RequestId":"R","SceneViewList":[{"SceneId":"NHBG6V","Status":"Draft"}]}"#;
//! let response: Response<<ListPtsScene as Action>::Output> = serde_json::from_str(answer)?;
//! let scenes = response.into_result()?.scene_view_list;
//! assert_eq!(scenes[0].scene_id.as_deref(), Some("NHBG6V"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The emulator goes the other way with [`Action::from_params`] and serializes a [`Response`].

mod baseline;
mod crud;
mod debug;
mod env;
mod envelope;
mod jmeter;
mod lifecycle;
mod marker;
mod object;
mod params;
mod region;
mod report;
mod scene;

pub use baseline::*;
pub use crud::*;
pub use debug::*;
pub use env::*;
pub use envelope::*;
pub use jmeter::*;
pub use lifecycle::*;
pub use marker::{MARKER_PARAM, Marker, TokenStep};
pub use object::{JsonObject, WireValue};
pub use params::{Action, Location, Param, ParamError, Params};
pub use region::*;
pub use report::*;
pub use scene::*;

/// The API version every request names (`Version` / `x-acs-version`).
pub const API_VERSION: &str = "2020-10-20";

object::wire_object! {
    /// The answer of actions that return only the envelope.
    pub struct Empty {}
}

#[cfg(test)]
mod tests;
