//! The plan-file model (format v1): what users write, with friendly names.
//!
//! These types are the single source of truth for the plan-file language: serde reads them,
//! schemars turns them into `schemas/plan.schema.json`, and the structural checker walks that
//! schema to report every unknown key, wrong type and missing field at once. Doc comments
//! here become the descriptions an editor shows on hover, so they are written for users.
//!
//! Strings keep their `${…}` references unresolved; [`crate::spec::interpolate`] resolves
//! `${var.*}`, `${env.*}` and `${secret.*}` when the plan is lowered, and leaves bare
//! `${name}` references for PTS to fill at run time.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::units::{Duration, Timestamp};

pub use super::jmeter::{Environment, JMeterDns, JMeterLoad, JMeterScene};

/// A ptsplan plan: PTS scenes, their load and the token sources they depend on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ptsplan plan file (format v1)")]
pub struct Plan {
    /// Plan-file format version. Only `1` exists.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Owner of the scenes this plan manages. ptsplan only ever changes scenes marked with
    /// this workspace, so two teams can share one PTS account safely.
    #[schemars(
        length(min = 1, max = 64),
        regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    )]
    pub workspace: String,
    /// Alibaba Cloud region the scenes live in, e.g. `cn-hangzhou`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Values referenced as `${var.NAME}` anywhere in a string. A value may itself use
    /// `${env.X}` or `${secret.X}`, but not another variable.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, Scalar>,
    /// Settings merged into every scene before it is checked. Maps merge key by key (the
    /// scene wins); lists and single values are replaced by the scene's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    /// Where the platform tokens of mini-program back ends come from, by name. Chains use
    /// one with `token: NAME`; business steps then reference `${access_token}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub token_sources: IndexMap<String, TokenSource>,
    /// The PTS scenes, keyed by a stable name that identifies the scene across renames.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub scenes: IndexMap<String, Scene>,
    /// JMeter environments (properties and files shared by JMeter scenes), keyed by a
    /// stable name. Saved before the JMeter scenes that use them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environments: IndexMap<String, Environment>,
    /// PTS JMeter scenes (a JMX script and its load), keyed by a stable name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub jmeter_scenes: IndexMap<String, JMeterScene>,
}

/// A plain value: text, number or boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Integer(i64),
    Number(f64),
    Text(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Integer(i) => write!(f, "{i}"),
            Scalar::Number(n) => write!(f, "{n}"),
            Scalar::Text(s) => f.write_str(s),
        }
    }
}

/// Settings shared by every scene of the plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Default load; a scene's own `load` keys win.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<Load>,
    /// Default advanced settings; a scene's own keys win.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<Advanced>,
    /// Default thresholds, used by scenes that declare none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<Threshold>>,
    /// Global parameters added to every scene (the scene's own win).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub globals: Option<IndexMap<String, Scalar>>,
    /// Default run policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunPolicy>,
    /// Default for `debug_first`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_first: Option<bool>,
    /// Settings merged into every step of every chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<StepDefaults>,
}

/// Settings merged into every step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepDefaults {
    /// Request headers added to every step (a step's own headers win).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, String>>,
    /// Response timeout, 1s..60s (PTS default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// How many redirects to follow, 0..10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirects: Option<u32>,
}

/// A source of platform tokens (WeChat, Alipay…) that business calls carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenSource {
    /// Fetch the token with a request at the head of each chain that uses it (PTS's
    /// "token API" pattern), exporting fields of the JSON answer as parameters.
    Api(Box<ApiTokenSource>),
    /// Read pre-fetched tokens from a column of a CSV file.
    Csv(CsvTokenSource),
}

/// A token fetched from a token endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenSource {
    /// The request that obtains a token.
    pub request: TokenRequest,
    /// Parameters to export from the JSON answer: parameter name → JSON path,
    /// e.g. `access_token: data.access_token`.
    #[schemars(length(min = 1))]
    pub exports: IndexMap<String, String>,
    /// How long a token stays valid once issued (e.g. `2h` for WeChat's access_token).
    pub ttl: Duration,
    /// When the token is fetched again.
    #[serde(default)]
    pub refresh: Refresh,
}

/// The token request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// HTTP method.
    #[serde(default = "default_post")]
    pub method: Method,
    /// Token endpoint URL.
    pub url: String,
    /// Request headers.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// Request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Response timeout, 1s..60s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

fn default_post() -> Method {
    Method::Post
}

/// Token refresh policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refresh {
    /// `per_iteration`: the token request runs at the head of every chain iteration (PTS's
    /// native behaviour). `before_expiry`: each virtual user keeps its token and fetches a new
    /// one `margin` before `ttl` ends. `interval`: fetch again `every` period. `once`: fetch
    /// once per virtual user for the whole test.
    #[serde(default)]
    pub policy: RefreshPolicy,
    /// With `before_expiry`: how long before the end of `ttl` to refresh (default 5m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<Duration>,
    /// With `interval`: time between refreshes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<Duration>,
}

/// See [`Refresh::policy`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefreshPolicy {
    #[default]
    PerIteration,
    BeforeExpiry,
    Interval,
    Once,
}

/// Pre-fetched tokens in a CSV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvTokenSource {
    /// CSV file, relative to the plan file.
    pub file: String,
    /// Column holding the tokens.
    pub column: String,
    /// Parameter name the token is available as (default `access_token`).
    #[serde(default = "default_token_param", rename = "as")]
    pub param: String,
    /// When the tokens in the file stop being valid (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    pub expires_at: Timestamp,
}

fn default_token_param() -> String {
    "access_token".to_owned()
}

/// The four test types validation knows about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SceneType {
    /// One business API in isolation.
    #[default]
    SingleApi,
    /// Several chains or APIs with their own load.
    Mixed,
    /// The same scene swept over parameters, compared side by side (see `sweep`).
    Tuning,
    /// Hours to days at steady load, chained past PTS's 24 h per-run maximum.
    Soak,
}

/// A PTS scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// PTS scene name (default: the scene's key). At most 30 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text for reviewers; not sent to PTS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Id of an existing PTS scene this plan scene takes over (written by `ptsplan import`).
    /// The first apply saves the plan's settings over that scene and marks it as owned by
    /// this workspace; once owned, the key identifies it and `adopt` has no further effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<String>,
    /// Test type: `single-api`, `mixed`, `tuning` or `soak`.
    #[serde(rename = "type")]
    pub kind: SceneType,
    /// Chains (PTS relations, "links"): each virtual user runs one chain's steps in order.
    #[schemars(length(min = 1))]
    pub chains: Vec<Chain>,
    /// CSV data files (PTS file parameters), by name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub data: IndexMap<String, DataFile>,
    /// Global parameters (constants), referenced as `${NAME}`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub globals: IndexMap<String, Scalar>,
    /// The load (pressure) configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<Load>,
    /// PTS advanced settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<Advanced>,
    /// Pass/fail criteria judged on the report, e.g. `p99 < 300ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<Threshold>>,
    /// When the scene runs: `manual` (only `ptsplan run`), `on_apply` (every apply with
    /// `--run`), `on_change` (after an apply that changed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunPolicy>,
    /// Run a PTS debug run (each chain once, sampled) and check it before starting load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_first: Option<bool>,
    /// Parameter sweep of a `tuning` scene.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
    /// Segmenting of a `soak` scene longer than one PTS run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak: Option<Soak>,
}

/// When a scene runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunPolicy {
    #[default]
    Manual,
    OnApply,
    OnChange,
}

/// A chain (PTS relation) of steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    /// Chain name, unique within the scene.
    pub name: String,
    /// Token source whose parameters this chain's steps use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Data files (keys of the scene's `data`) this chain reads; default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<String>,
    /// The API calls, in order.
    #[schemars(length(min = 1))]
    pub steps: Vec<Step>,
}

/// One API call of a chain (a PTS API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Step name, unique within the chain.
    pub name: String,
    /// HTTP method.
    #[serde(default)]
    pub method: Method,
    /// URL; may reference parameters, e.g. `${var.base}/orders/${order_id}`.
    pub url: String,
    /// Request headers, name → value.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// Request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Response timeout, 1s..60s (PTS default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// How many redirects to follow, 0..10 (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirects: Option<u32>,
    /// Parameters taken from the response for later steps (PTS exports), by name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub extract: IndexMap<String, Extract>,
    /// Assertions on the response (PTS checkpoints), all of which must pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// HTTP methods PTS supports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
}

impl Method {
    /// The method as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

/// A request body: exactly one of `json`, `form` or `raw`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Body {
    /// A JSON document, written as YAML (sent as `application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// Form fields (sent as `application/x-www-form-urlencoded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<IndexMap<String, String>>,
    /// Text sent as is; set `content_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Content type; defaults follow the body kind (`text/plain` for `raw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// Where an extracted parameter comes from (PTS export types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractFrom {
    /// A JSON path into the response body (`path`).
    BodyJson,
    /// A regular expression over the body text (`regex`, optional `index`).
    BodyText,
    /// A response header (`name`).
    Header,
    /// A response cookie (`name`).
    Cookie,
    /// The HTTP status code.
    StatusCode,
}

/// A parameter extracted from the response (PTS export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Extract {
    /// Source of the value.
    pub from: ExtractFrom,
    /// JSON path for `body_json`, e.g. `data.items[0].id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Regular expression for `body_text`; the first group is the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Header or cookie name for `header` / `cookie`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Which match to take (0-based); `random` picks one at random. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<MatchIndex>,
}

/// A match index: a number or `random`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum MatchIndex {
    Nth(u32),
    Random(RandomKeyword),
}

/// The word `random`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RandomKeyword {
    Random,
}

/// What a check looks at (PTS checkpoint types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOn {
    /// The HTTP status code.
    StatusCode,
    /// A response header (`name`).
    Header,
    /// The response body as text.
    BodyText,
    /// A value in the JSON body (`path`), checked through an implicit export.
    BodyJson,
    /// A parameter extracted by this step (`name`).
    Extracted,
}

/// Comparison operators of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    NotContains,
    Exists,
    NotExists,
    Regex,
}

impl CheckOp {
    /// Whether the operator compares against a `value`.
    pub fn needs_value(self) -> bool {
        !matches!(self, CheckOp::Exists | CheckOp::NotExists)
    }
}

/// An assertion on the response (PTS checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// What to look at.
    pub on: CheckOn,
    /// Header name (`header`) or extracted parameter name (`extracted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// JSON path (`body_json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Operator (default `eq`).
    #[serde(default = "default_eq")]
    pub op: CheckOp,
    /// Expected value (not used by `exists` / `not_exists`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
}

fn default_eq() -> CheckOp {
    CheckOp::Eq
}

/// A CSV data file (PTS file parameter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// CSV file, relative to the plan file (a URL for files already in OSS).
    pub file: String,
    /// Parameter names of the columns, in column order.
    #[schemars(length(min = 1))]
    pub columns: Vec<String>,
    /// Use each row once and stop the virtual user when the file is exhausted (otherwise loop).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cycle_once: bool,
    /// This file decides row alignment when a chain reads several files (PTS base file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base: bool,
}

/// Load model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadMode {
    /// Virtual users (PTS `concurrency_mode`).
    Concurrency,
    /// Requests per second per step (PTS `tps_mode`).
    Rps,
}

/// The load (pressure) configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// `concurrency` (virtual users) or `rps` (requests per second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<LoadMode>,
    /// Starting level for the whole scene (split evenly across chains or steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    /// Maximum level for the whole scene.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// Stepped ramp from `start` to `max` (concurrency mode only). Without it the level
    /// stays at `start` until adjusted with `ptsplan` or the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Ramp>,
    /// Total run time including the ramp (PTS's maximum running time), e.g. `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Load generators (PTS agents); by default PTS decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<u32>,
    /// Send load from inside a VPC (PTS VPC load sources) instead of the Internet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<Vpc>,
    /// Concurrency mode: virtual users per chain, by chain name (overrides `start`/`max`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chains: Option<IndexMap<String, Level>>,
    /// RPS mode: requests per second per step, by chain name then step name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<IndexMap<String, IndexMap<String, Level>>>,
}

/// Where VPC load comes from (PTS `VpcLoadConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    /// Region of the VPC, e.g. `cn-hangzhou`.
    pub region: String,
    /// VPC id (`vpc-…`).
    pub vpc_id: String,
    /// vSwitch id (`vsw-…`).
    pub vswitch_id: String,
    /// Security group id (`sg-…`).
    pub security_group_id: String,
}

/// A start → max level of one chain or step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Starting level.
    pub start: u32,
    /// Maximum level.
    pub max: u32,
}

/// A stepped ramp (PTS auto step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    /// Increment per step, in percent of `max`: 10, 20, … 100.
    pub step_percent: u32,
    /// Time spent at each level, in whole minutes (e.g. `2m`).
    pub every: Duration,
}

/// PTS advanced settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Advanced {
    /// Percentage of requests logged as samples: 1, 10, 20, 30, 40 or 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_sample_rate: Option<u32>,
    /// Connection timeout, in whole seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<Duration>,
    /// Host pinning: domain → IP addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_bindings: Option<IndexMap<String, Vec<String>>>,
    /// HTTP status codes counted as success besides 2xx, e.g. `[304, 429]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_codes: Option<Vec<u16>>,
}

/// A pass/fail criterion: `p99 < 300ms`, `success_rate >= 99.9%`, `rps >= 1000`, or the
/// same with a scope: `{ assert: "p95 < 200ms", chain: buy, step: pay }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Threshold {
    /// Scene-wide assertion.
    Scene(String),
    /// Assertion on one chain or one step.
    Scoped(ScopedThreshold),
}

/// A threshold limited to a chain or a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopedThreshold {
    /// The assertion, e.g. `p99 < 300ms`.
    #[serde(rename = "assert")]
    pub assertion: String,
    /// Chain it applies to.
    pub chain: String,
    /// Step of that chain it applies to (whole chain when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

/// A tuning sweep: the same scene run once per value, compared side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// What varies: `load.max` or a variable as `var.NAME`.
    pub over: String,
    /// The values, in run order (use this or `range`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Scalar>>,
    /// An arithmetic range of values (use this or `values`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<SweepRange>,
    /// Duration of each run (default: the scene's `load.duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_each: Option<Duration>,
}

/// `from`, `from + step`, … up to `to` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepRange {
    pub from: u32,
    pub to: u32,
    #[schemars(range(min = 1))]
    pub step: u32,
}

/// How a soak longer than one PTS run is split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Soak {
    /// Length of each chained run (at most 24h, PTS's per-run maximum; default 24h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Duration>,
    /// Largest acceptable gap between two segments (default 1m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gap: Option<Duration>,
    /// Latency rise tolerated over the whole soak, in percent of the trend line's starting
    /// value (default 25): more, and the soak is reported as degrading (a leak).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_latency_rise: Option<f64>,
    /// Error-rate rise tolerated over the whole soak, in percentage points (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_error_rise: Option<f64>,
}
