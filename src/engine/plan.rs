//! Compiling a wire [`Scene`] into a run plan: every template parsed, every target resolved
//! and checked, every export, checkpoint, CSV file and token policy compiled, and the load
//! levels worked out — so that the hot path only executes, and a scene that cannot run is
//! refused with a message before any load is sent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, Uri};

use super::check::{Check, Operator, Subject};
use super::data::{CsvFile, DataSource, parse_csv};
use super::extract::{Export, Source, header_name};
use super::pacing::{Level, Ramp};
use super::safety;
use super::template::{Encoding, Lookup, Template};
use super::tokens::TokenPolicy;
use super::{EngineError, RunOptions};
use crate::wire::{Api, Marker, Relation, Scene};

/// How load is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Closed model: a number of virtual users looping over their relation.
    Concurrency,
    /// Open model: iterations started on a schedule, per API rates.
    Rps,
}

/// A compiled scene.
#[derive(Debug)]
pub(crate) struct Plan {
    pub relations: Vec<RelationPlan>,
    /// Every API of every relation, in order; stats are indexed by position here.
    pub apis: Vec<ApiInfo>,
    pub targets: Vec<Target>,
    pub mode: Mode,
    pub duration: Duration,
    pub ramp: Ramp,
    /// Status codes counted as success besides 2xx.
    pub success_codes: Vec<u16>,
    pub connect_timeout: Duration,
}

/// Identity and load of one API.
#[derive(Debug)]
pub(crate) struct ApiInfo {
    /// `ApiId`, or the name when the scene has no ids (unsaved scenes).
    pub id: String,
    pub name: String,
    pub relation: usize,
    /// Rate in RPS mode.
    pub rps: Level,
}

/// One relation (chain).
#[derive(Debug)]
pub(crate) struct RelationPlan {
    pub id: String,
    pub name: String,
    pub steps: Vec<Step>,
    pub slot_count: usize,
    pub data: Option<DataSource>,
    pub token: Option<TokenPolicy>,
    /// Virtual users in concurrency mode.
    pub concurrency: Level,
    /// The step whose rate drives the schedule in RPS mode: the first after a token step.
    pub pace_step: usize,
}

/// One compiled API call.
#[derive(Debug)]
pub(crate) struct Step {
    /// Index into [`Plan::apis`].
    pub api: usize,
    /// Index into [`Plan::targets`].
    pub target: usize,
    pub method: Method,
    /// Path and query.
    pub path: Template,
    /// The path parsed once, when it has no per-user part.
    pub uri: Option<Uri>,
    pub headers: Vec<(HeaderName, Template)>,
    pub body: Template,
    pub timeout: Duration,
    pub redirects: u32,
    pub exports: Vec<Export>,
    pub checks: Vec<Check>,
    /// Whether the body must be kept (exports or checkpoints read it).
    pub needs_body: bool,
    /// Some export or checkpoint reads the answer's headers.
    pub needs_headers: bool,
}

/// A resolved host.
#[derive(Debug)]
pub(crate) struct Target {
    pub authority: String,
    pub address: SocketAddr,
    pub host_header: HeaderValue,
}

/// Compiles `scene` for a run with `options`.
pub(crate) fn compile(scene: &Scene, options: &RunOptions) -> Result<Plan, EngineError> {
    let marker = Marker::of(scene).unwrap_or_default();
    let load = scene.load_config.clone().unwrap_or_default();
    let mode = match &load.test_mode {
        Some(mode) if mode.is_tps() => Mode::Rps,
        Some(mode) if !mode.is_concurrency() => {
            return Err(EngineError::Scene(format!("unknown TestMode `{mode}`")));
        }
        _ => Mode::Concurrency,
    };
    let duration = options
        .duration
        .or(marker.duration_ms.map(Duration::from_millis))
        .or(load
            .max_running_time
            .and_then(|m| u64::try_from(m).ok())
            .map(|m| Duration::from_secs(m * 60)))
        .filter(|d| !d.is_zero())
        .ok_or_else(|| EngineError::Scene("the scene has no MaxRunningTime".into()))?
        .min(safety::MAX_DURATION);
    let ramp = Ramp {
        auto_step: load.auto_step.unwrap_or(false),
        increment_pct: load.increment.and_then(|i| u64::try_from(i).ok()),
        keep: marker.keep_time_ms.map(Duration::from_millis).or(load
            .keep_time
            .and_then(|m| u64::try_from(m).ok())
            .filter(|m| *m > 0)
            .map(|m| Duration::from_secs(m * 60))),
        duration,
    };
    let advance = scene.advance_setting.clone().unwrap_or_default();
    let success_codes = advance
        .success_code
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<u16>()
                .map_err(|_| EngineError::Scene(format!("SuccessCode `{c}` is not a status code")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let connect_timeout = Duration::from_secs(
        advance
            .connection_timeout_in_second
            .and_then(|s| u64::try_from(s).ok())
            .filter(|s| *s > 0)
            .unwrap_or(5)
            .min(60),
    );
    let globals: HashMap<&str, &str> = scene
        .global_parameter_list
        .iter()
        .filter_map(|p| Some((p.param_name.as_deref()?, p.param_value.as_deref()?)))
        .collect();
    if scene.relation_list.is_empty() {
        return Err(EngineError::Scene("the scene has no relations".into()));
    }
    let mut compiler = Compiler {
        scene,
        options,
        globals,
        targets: Vec::new(),
        apis: Vec::new(),
    };
    let relation_count = scene.relation_list.len() as u64;
    let mut relations = Vec::new();
    for (index, relation) in scene.relation_list.iter().enumerate() {
        let mut compiled = compiler.relation(index, relation, &marker)?;
        let configured = load
            .relation_load_config_list
            .iter()
            .enumerate()
            .find(|(i, c)| match (&c.relation_id, &relation.relation_id) {
                (Some(a), Some(b)) => a == b,
                _ => *i == index,
            })
            .map(|(_, c)| (c.concurrency_begin, c.concurrency_limit));
        let config = load.configuration.clone().unwrap_or_default();
        let (begin, limit) = configured.unwrap_or_else(|| {
            let share = |all: Option<i64>| all.map(|a| split(a, relation_count, index as u64));
            (
                share(config.all_concurrency_begin),
                share(config.all_concurrency_limit),
            )
        });
        compiled.concurrency = Level::new(begin, limit, safety::MAX_VIRTUAL_USERS);
        for step in &compiled.steps {
            let api = &mut compiler.apis[step.api];
            let per_api = load
                .api_load_config_list
                .iter()
                .find(|c| c.api_id.is_some() && c.api_id.as_deref() == Some(api.id.as_str()))
                .map(|c| (c.rps_begin, c.rps_limit));
            let (begin, limit) = per_api.unwrap_or_else(|| {
                let share = |all: Option<i64>| all.map(|a| split(a, relation_count, index as u64));
                (share(config.all_rps_begin), share(config.all_rps_limit))
            });
            api.rps = Level::new(begin, limit, safety::MAX_RPS);
        }
        relations.push(compiled);
    }
    Ok(Plan {
        relations,
        apis: compiler.apis,
        targets: compiler.targets,
        mode,
        duration,
        ramp,
        success_codes,
        connect_timeout,
    })
}

/// `all` split evenly over `parts`, the remainder going to the first ones.
fn split(all: i64, parts: u64, index: u64) -> i64 {
    let all = all.max(0) as u64;
    let parts = parts.max(1);
    (all / parts + u64::from(index < all % parts)) as i64
}

struct Compiler<'a> {
    scene: &'a Scene,
    options: &'a RunOptions,
    globals: HashMap<&'a str, &'a str>,
    targets: Vec<Target>,
    apis: Vec<ApiInfo>,
}

impl Compiler<'_> {
    fn relation(
        &mut self,
        index: usize,
        relation: &Relation,
        marker: &Marker,
    ) -> Result<RelationPlan, EngineError> {
        let name = relation
            .relation_name
            .clone()
            .unwrap_or_else(|| format!("relation-{}", index + 1));
        let within = |e: String| EngineError::Scene(format!("relation `{name}`: {e}"));
        if relation.api_list.is_empty() {
            return Err(within("no APIs".into()));
        }
        // Slots: every export and CSV column of the relation, by name.
        let mut slots: Vec<String> = Vec::new();
        let slot = |slots: &mut Vec<String>, name: &str| match slots.iter().position(|s| s == name)
        {
            Some(i) => i,
            None => {
                slots.push(name.to_owned());
                slots.len() - 1
            }
        };
        for api in &relation.api_list {
            for export in &api.export_list {
                if let Some(export_name) = export.export_name.as_deref() {
                    slot(&mut slots, export_name.trim());
                }
            }
        }
        let mut files = Vec::new();
        let mut rows = None;
        let mut once = false;
        for explain in &relation.file_parameter_explain_list {
            let file_name = explain.file_name.clone().unwrap_or_default();
            let text = self.read_file(&file_name).map_err(&within)?;
            let columns: Vec<usize> = explain
                .file_param_name
                .as_deref()
                .unwrap_or("")
                .split(',')
                .map(|c| slot(&mut slots, c.trim()))
                .collect();
            let parsed = parse_csv(&text);
            if parsed.is_empty() {
                return Err(within(format!("data file `{file_name}` has no rows")));
            }
            let benchmark = explain.base_file == Some(true) || explain.cycle_once == Some(true);
            if benchmark || rows.is_none() {
                rows = Some(parsed.len() as u64);
            }
            once |= explain.cycle_once == Some(true);
            files.push(CsvFile {
                rows: parsed,
                slots: columns,
            });
        }
        let data = rows.map(|rows| DataSource {
            files,
            rows,
            once,
            cursor: AtomicU64::new(0),
        });
        let mut steps = Vec::new();
        for (position, api) in relation.api_list.iter().enumerate() {
            let step = self.step(index, position, api, &slots).map_err(|e| {
                within(format!(
                    "API `{}`: {e}",
                    api.api_name.as_deref().unwrap_or("?")
                ))
            })?;
            steps.push(step);
        }
        let token = marker
            .tokens
            .iter()
            .find(|t| t.relation == name)
            .map(|t| {
                let step = relation
                    .api_list
                    .iter()
                    .position(|a| a.api_name.as_deref() == Some(t.api.as_str()))
                    .ok_or_else(|| format!("token API `{}` is not in the relation", t.api))?;
                TokenPolicy::compile(t, step)
            })
            .transpose()
            .map_err(&within)?;
        let pace_step = match token {
            Some(t) if t.step == 0 && steps.len() > 1 => 1,
            _ => 0,
        };
        Ok(RelationPlan {
            id: relation.relation_id.clone().unwrap_or_else(|| name.clone()),
            name,
            steps,
            slot_count: slots.len(),
            data,
            token,
            concurrency: Level::default(),
            pace_step,
        })
    }

    fn read_file(&self, name: &str) -> Result<Vec<u8>, String> {
        let path = match self.options.data_files.get(name) {
            Some(path) => path.clone(),
            None => {
                let address = self
                    .scene
                    .file_parameter_list
                    .iter()
                    .find(|f| f.file_name.as_deref() == Some(name))
                    .and_then(|f| f.file_oss_address.clone())
                    .ok_or_else(|| format!("data file `{name}` is not in FileParameterList"))?;
                if address.starts_with("http://") || address.starts_with("https://") {
                    return Err(format!(
                        "data file `{name}` is remote ({address}); the local engine reads local \
                         files (give it a path or file:// address)"
                    ));
                }
                address.trim_start_matches("file://").into()
            }
        };
        std::fs::read(&path).map_err(|e| format!("cannot read data file `{}`: {e}", path.display()))
    }

    fn step(
        &mut self,
        relation: usize,
        position: usize,
        api: &Api,
        slots: &[String],
    ) -> Result<Step, String> {
        let globals = self.globals.clone();
        let globals = &globals;
        let mut lookup = |name: &str| match slots.iter().position(|s| s == name) {
            Some(slot) => Lookup::Slot(slot),
            None => globals
                .get(name)
                .map_or(Lookup::Unknown, |v| Lookup::Const((*v).to_owned())),
        };
        let url = api.url.as_deref().ok_or("no Url")?.trim();
        // Globals may name the host; exports and CSV columns may not (resolved once per run).
        let url = Template::parse(url, Encoding::Raw, &mut |name| match globals.get(name) {
            Some(v) => Lookup::Const((*v).to_owned()),
            None => Lookup::Unknown,
        })
        .constant()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("`{url}`: only http:// URLs are supported by the local engine")
        })?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains("${") || authority.is_empty() {
            return Err(format!(
                "`{url}`: the host must be literal or a global parameter"
            ));
        }
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        let target = self.target(authority)?;
        let method = Method::from_bytes(
            api.method
                .as_deref()
                .unwrap_or("GET")
                .trim()
                .to_ascii_uppercase()
                .as_bytes(),
        )
        .map_err(|_| format!("bad Method `{}`", api.method.as_deref().unwrap_or("")))?;
        let mut headers = Vec::new();
        let scene_headers = self
            .scene
            .headers
            .iter()
            .filter_map(|h| Some((h.name.as_deref()?, h.value.as_deref().unwrap_or(""))));
        let api_headers = api.header_list.iter().filter_map(|h| {
            Some((
                h.header_name.as_deref()?,
                h.header_value.as_deref().unwrap_or(""),
            ))
        });
        for (name, value) in scene_headers.chain(api_headers) {
            headers.push((
                header_name(name)?,
                Template::parse(value, Encoding::Raw, &mut lookup),
            ));
        }
        let body_wire = api.body.clone().unwrap_or_default();
        let body_text = body_wire.body_value.as_deref().unwrap_or("");
        let content_type = body_wire
            .content_type
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("application/x-www-form-urlencoded");
        let body = match serde_json::from_str::<serde_json::Value>(body_text) {
            Ok(serde_json::Value::Object(fields))
                if content_type.contains("x-www-form-urlencoded") =>
            {
                let fields: Vec<(String, String)> = fields
                    .into_iter()
                    .map(|(k, v)| match v {
                        serde_json::Value::String(s) => (k, s),
                        other => (k, other.to_string()),
                    })
                    .collect();
                Template::form(&fields, &mut lookup)
            }
            _ => Template::parse(body_text, Encoding::Raw, &mut lookup),
        };
        let has_body = body.constant().is_none_or(|b| !b.is_empty());
        if has_body && !headers.iter().any(|(n, _)| n == CONTENT_TYPE) {
            headers.push((
                CONTENT_TYPE,
                Template::parse(content_type, Encoding::Raw, &mut |_| Lookup::Unknown),
            ));
        }
        let mut exports = Vec::new();
        for export in &api.export_list {
            let Some(name) = export.export_name.as_deref().map(str::trim) else {
                continue;
            };
            let kind = export
                .export_type
                .as_ref()
                .map(|t| t.as_str())
                .unwrap_or("");
            let source = Source::compile(
                kind,
                export.export_value.as_deref().unwrap_or(""),
                export.count.as_deref(),
            )
            .map_err(|e| format!("export `{name}`: {e}"))?;
            let slot = slots
                .iter()
                .position(|s| s == name)
                .ok_or("export without slot")?;
            exports.push(Export {
                name: name.to_owned(),
                slot,
                source,
            });
        }
        let mut checks = Vec::new();
        for check in &api.check_point_list {
            let kind = check.check_type.as_ref().map(|t| t.as_str()).unwrap_or("");
            let point = check.check_point.as_deref().unwrap_or("");
            let expect = check.expect_value.as_deref().unwrap_or("");
            let operator_text = check.operator.as_deref().unwrap_or("eq");
            let subject = Subject::compile(kind, point, &|n| slots.iter().position(|s| s == n))?;
            checks.push(Check {
                subject,
                operator: Operator::compile(operator_text, expect)?,
                expect: Bytes::copy_from_slice(expect.as_bytes()),
                wire: (kind.to_owned(), point.to_owned(), operator_text.to_owned()),
            });
        }
        let needs_body = exports.iter().any(|e| e.source.needs_body())
            || checks.iter().any(|c| matches!(c.subject, Subject::Body));
        let needs_headers = exports.iter().any(|e| e.source.needs_headers())
            || checks
                .iter()
                .any(|c| matches!(c.subject, Subject::Header(_)));
        let api_index = self.apis.len();
        let name = api
            .api_name
            .clone()
            .unwrap_or_else(|| format!("api-{}", position + 1));
        self.apis.push(ApiInfo {
            id: api.api_id.clone().unwrap_or_else(|| name.clone()),
            name,
            relation,
            rps: Level::default(),
        });
        let path = Template::parse(&path, Encoding::Raw, &mut lookup);
        let uri = match path.constant() {
            Some(text) => {
                Some(Uri::from_maybe_shared(text).map_err(|_| "the URL path is not valid")?)
            }
            None => None,
        };
        Ok(Step {
            api: api_index,
            target,
            method,
            path,
            uri,
            headers,
            body,
            timeout: Duration::from_secs(
                api.timeout_in_second
                    .and_then(|t| u64::try_from(t).ok())
                    .filter(|t| *t > 0)
                    .unwrap_or(5)
                    .min(60),
            ),
            redirects: api
                .redirect_count_limit
                .and_then(|r| u32::try_from(r).ok())
                .unwrap_or(0)
                .min(10),
            exports,
            checks,
            needs_body,
            needs_headers,
        })
    }

    fn target(&mut self, authority: &str) -> Result<usize, String> {
        if let Some(i) = self.targets.iter().position(|t| t.authority == authority) {
            return Ok(i);
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| format!("bad port in `{authority}`"))?,
            ),
            _ => (authority, 80),
        };
        let bindings = self
            .scene
            .advance_setting
            .as_ref()
            .map(|a| a.domain_binding_list.as_slice())
            .unwrap_or_default();
        let address = safety::resolve(host, port, bindings, &self.options.allow_hosts)
            .map_err(|e| e.to_string())?;
        let host_header = HeaderValue::from_str(authority)
            .map_err(|_| format!("`{authority}` is not a valid host"))?;
        self.targets.push(Target {
            authority: authority.to_owned(),
            address,
            host_header,
        });
        Ok(self.targets.len() - 1)
    }
}
