//! Lifting: a PTS scene (wire shape) → the plan-file scene that lowers back to it. The
//! inverse of [`crate::lower`], used by `ptsplan import` and `ptsplan reproduce`.
//!
//! A pure function of the scene. What it decides, mirroring lowering:
//! - A relation whose first API is named `token:SOURCE` and which the scene's marker lists
//!   as a token step becomes a chain with `token: SOURCE`, and that API an `api` token
//!   source (its TTL and refresh policy come from the marker). Without the marker the API
//!   stays an ordinary step: a scene made outside ptsplan has no token policy to recover.
//! - A checkpoint on an export named `ptsplan_check_N` becomes a `body_json` check.
//! - Values equal to what lowering writes by default (timeout 5s, 0 redirects, content
//!   types that follow from the body kind) are left out, with a comment.
//! - Credential-looking values become `${secret.NAME}` references ([`secrets`]).
//! - What the plan language cannot say is reported as a [`Note`] next to the value it
//!   concerns; what makes the scene impossible to express is a [`LiftError`].

pub mod document;
pub mod jmeter;
pub mod secrets;
pub mod source;
pub mod yaml;

#[cfg(test)]
mod tests;

use indexmap::IndexMap;

use crate::lower::operator;
use crate::spec::model::*;
use crate::spec::units::Duration;
use crate::spec::validate::DEFAULT_TIMEOUT;
use crate::wire::{self, MARKER_PARAM, Marker};
use secrets::Secrets;

/// Prefix of the exports lowering adds for `body_json` checks.
const CHECK_EXPORT_PREFIX: &str = "ptsplan_check_";

/// A scene lifted into the plan language.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifted {
    /// The scene's key in the plan: the marker's key, else made from the name.
    pub key: String,
    pub scene: Scene,
    /// The `api` token sources its chains use, by name.
    pub token_sources: IndexMap<String, TokenSource>,
    /// Comments for the reviewer, placed at a path under the scene (or the token source).
    pub notes: Vec<Note>,
    /// The live scene id, when the scene came from the backend.
    pub scene_id: Option<String>,
    /// The ownership marker the scene carried, if any.
    pub marker: Option<Marker>,
}

/// A comment to place in the YAML: `path` is relative to the scene (`["load", "duration"]`,
/// `["chains", "0", "steps", "1", "name"]`), or to the plan when it starts with
/// `token_sources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub path: Vec<String>,
    pub text: String,
}

/// Why a scene cannot be written as a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LiftError(pub String);

/// Lifts `scene`. `secrets` collects the credentials replaced by references.
pub fn lift(scene: &wire::Scene, secrets: &mut Secrets) -> Result<Lifted, LiftError> {
    let marker = Marker::of(scene);
    let name = scene.scene_name.clone().unwrap_or_default();
    let key = match &marker {
        Some(m) if !m.key.is_empty() => m.key.clone(),
        _ => key_from_name(&name, scene.scene_id.as_deref()),
    };
    let mut cx = Cx {
        key: key.clone(),
        notes: Vec::new(),
        secrets,
        token_sources: IndexMap::new(),
    };
    let tokens = marker
        .as_ref()
        .map(|m| m.tokens.clone())
        .unwrap_or_default();
    let mut chains = Vec::new();
    let mut data: IndexMap<String, DataFile> = IndexMap::new();
    for (i, relation) in scene.relation_list.iter().enumerate() {
        chains.push(cx.chain(scene, relation, i, &tokens, &mut data)?);
    }
    if chains.is_empty() {
        return Err(LiftError("it has no chains (RelationList is empty)".into()));
    }
    let referenced: Vec<&str> = scene
        .relation_list
        .iter()
        .flat_map(|r| &r.file_parameter_explain_list)
        .filter_map(|e| e.file_name.as_deref())
        .collect();
    for file in &scene.file_parameter_list {
        let file_name = file.file_name.as_deref().unwrap_or_default();
        if !referenced.contains(&file_name) {
            cx.note(
                &["data"],
                format!("PTS file `{file_name}` is read by no chain; it is left out"),
            );
        }
    }
    let business_steps: usize = chains.iter().map(|c| c.steps.len()).sum();
    let globals = scene
        .global_parameter_list
        .iter()
        .filter(|p| p.param_name.as_deref() != Some(MARKER_PARAM))
        .map(|p| {
            let name = p.param_name.clone().unwrap_or_default();
            let value = p.param_value.clone().unwrap_or_default();
            let value = cx.secrets.value(
                &name,
                &value,
                &format!("{key}_{name}"),
                &format!("scene {key}, global {name}"),
            );
            (name, Scalar::Text(value))
        })
        .collect();
    let load = match &scene.load_config {
        Some(load) => Some(cx.load(load, scene, &chains, marker.as_ref())?),
        None => {
            return Err(LiftError(
                "it has no load configuration (LoadConfig)".into(),
            ));
        }
    };
    let advanced = scene.advance_setting.as_ref().map(|a| cx.advanced(a));
    if !scene.headers.is_empty() {
        cx.note(
            &["chains"],
            "PTS lists scene-wide headers for this scene; plans cannot set them (not sent by SavePtsScene), so they are left out".into(),
        );
    }
    let lifted = Scene {
        name: (name != key).then_some(name),
        description: None,
        adopt: None,
        kind: if business_steps == 1 {
            SceneType::SingleApi
        } else {
            SceneType::Mixed
        },
        chains,
        data,
        globals,
        load,
        advanced,
        thresholds: None,
        run: None,
        debug_first: None,
        sweep: None,
        soak: None,
    };
    Ok(Lifted {
        key,
        scene: lifted,
        token_sources: cx.token_sources,
        notes: cx.notes,
        scene_id: scene.scene_id.clone(),
        marker,
    })
}

/// A plan key made from a PTS scene name: lower-case letters and digits (any script)
/// joined by `-`; `scene-ID` when nothing is left.
pub fn key_from_name(name: &str, id: Option<&str>) -> String {
    let mut key = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' {
            key.extend(c.to_lowercase());
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
    }
    let key = key.trim_end_matches('-').to_owned();
    if key.is_empty() {
        format!("scene-{}", id.unwrap_or("imported").to_lowercase())
    } else {
        key
    }
}

struct Cx<'a> {
    key: String,
    notes: Vec<Note>,
    secrets: &'a mut Secrets,
    token_sources: IndexMap<String, TokenSource>,
}

impl Cx<'_> {
    fn note(&mut self, path: &[&str], text: String) {
        self.notes.push(Note {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            text,
        });
    }

    fn chain(
        &mut self,
        scene: &wire::Scene,
        relation: &wire::Relation,
        index: usize,
        tokens: &[wire::TokenStep],
        data: &mut IndexMap<String, DataFile>,
    ) -> Result<Chain, LiftError> {
        let chain_name = relation
            .relation_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("chain-{}", index + 1));
        let at = index.to_string();
        let mut apis = relation.api_list.as_slice();
        let mut token = None;
        if let Some(first) = apis.first()
            && let Some(source) = first
                .api_name
                .as_deref()
                .and_then(|n| n.strip_prefix("token:"))
            && let Some(step) = tokens
                .iter()
                .find(|t| t.relation == chain_name && Some(&t.api) == first.api_name.as_ref())
            && let Some(lifted) = self.token_source(first, step, source)
        {
            match self.token_sources.get(source) {
                Some(existing) if *existing != lifted => {
                    return Err(LiftError(format!(
                        "token source `{source}` is defined differently by two chains"
                    )));
                }
                _ => {
                    self.token_sources.insert(source.to_owned(), lifted);
                }
            }
            token = Some(source.to_owned());
            apis = &apis[1..];
        }
        let mut uses = Vec::new();
        for explain in &relation.file_parameter_explain_list {
            uses.push(self.data_file(scene, explain, data));
        }
        let mut steps = Vec::new();
        for (i, api) in apis.iter().enumerate() {
            let shown = i + usize::from(token.is_some());
            steps.push(self.step(api, &[&at, &i.to_string()], shown)?);
        }
        if steps.is_empty() {
            return Err(LiftError(format!("chain `{chain_name}` has no API")));
        }
        Ok(Chain {
            name: chain_name,
            token,
            data: uses,
            steps,
        })
    }

    /// The token source of a `token:SOURCE` API, if it has the shape lowering gives it.
    fn token_source(
        &mut self,
        api: &wire::Api,
        step: &wire::TokenStep,
        source: &str,
    ) -> Option<TokenSource> {
        let json_only = api.export_list.iter().all(|e| {
            e.export_type == Some(wire::ExportType::BodyJson)
                && e.count.as_deref().is_none_or(|c| c.is_empty() || c == "0")
        });
        let first = api.export_list.first()?.export_name.clone();
        let checks_ok = api.check_point_list.iter().all(|c| {
            c.check_type == Some(wire::CheckType::ExportedParam)
                && c.check_point == first
                && c.operator.as_deref() == Some(operator(CheckOp::Exists))
        });
        if !json_only || !checks_ok || api.redirect_count_limit.unwrap_or(0) != 0 {
            return None;
        }
        let method = method(api.method.as_deref()).ok()?;
        let place = format!("token source {source}");
        let request = TokenRequest {
            method,
            url: api.url.clone().unwrap_or_default(),
            headers: self.headers(&api.header_list, source, &place),
            body: api.body.as_ref().map(|b| self.body(b, source, &place)),
            timeout: timeout(api.timeout_in_second),
        };
        let exports = api
            .export_list
            .iter()
            .map(|e| {
                (
                    e.export_name.clone().unwrap_or_default(),
                    e.export_value.clone().unwrap_or_default(),
                )
            })
            .collect();
        let ms = |v: Option<u64>| v.map(Duration::from_millis);
        let policy = match step.refresh.as_str() {
            "before_expiry" => RefreshPolicy::BeforeExpiry,
            "interval" => RefreshPolicy::Interval,
            "once" => RefreshPolicy::Once,
            _ => RefreshPolicy::PerIteration,
        };
        let refresh = Refresh {
            policy,
            margin: (policy == RefreshPolicy::BeforeExpiry)
                .then(|| ms(step.refresh_ms))
                .flatten(),
            every: (policy == RefreshPolicy::Interval)
                .then(|| ms(step.refresh_ms))
                .flatten(),
        };
        Some(TokenSource::Api(Box::new(ApiTokenSource {
            request,
            exports,
            ttl: Duration::from_millis(step.ttl_ms),
            refresh,
        })))
    }

    /// The data file an explain reads, added to `data` unless an equal one is there; its
    /// name.
    fn data_file(
        &mut self,
        scene: &wire::Scene,
        explain: &wire::FileParameterExplain,
        data: &mut IndexMap<String, DataFile>,
    ) -> String {
        let file_name = explain.file_name.clone().unwrap_or_default();
        let address = scene
            .file_parameter_list
            .iter()
            .find(|f| f.file_name.as_deref() == Some(file_name.as_str()))
            .and_then(|f| f.file_oss_address.clone())
            .unwrap_or_default();
        let cycle_once = explain.cycle_once.unwrap_or(false);
        let base_file = explain.base_file.unwrap_or(false);
        let file = file_of(&file_name, &address);
        let wanted = DataFile {
            file: file.clone(),
            columns: explain
                .file_param_name
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            cycle_once,
            base: base_file && !cycle_once,
        };
        if let Some((name, _)) = data.iter().find(|(_, d)| **d == wanted) {
            return name.clone();
        }
        let stem = file_name
            .rsplit_once('.')
            .map_or(file_name.as_str(), |(s, _)| s);
        let base = key_from_name(stem, Some("data"));
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    base.clone()
                } else {
                    format!("{base}-{i}")
                }
            })
            .find(|n| !data.contains_key(n))
            .unwrap_or(base);
        let at = ["data", name.as_str()];
        if cycle_once && !base_file {
            self.note(
                &at,
                "PTS reads this file once through but does not align rows on it; ptsplan always makes a cycle-once file the base file".into(),
            );
        }
        if file.contains("://") {
            if !address.ends_with(&file_name) {
                self.note(
                    &at,
                    format!("PTS names this file `{file_name}`; a plan names it by its address"),
                );
            }
        } else if address.contains("#sha256=") {
            self.note(
                &at,
                format!("uploaded by ptsplan from `{file}`: put the same CSV there, next to this plan file"),
            );
        } else {
            self.note(
                &at,
                format!("no address in PTS; put the CSV at `{file}` next to this plan file"),
            );
        }
        data.insert(name.clone(), wanted);
        name
    }

    fn step(&mut self, api: &wire::Api, at: &[&str], index: usize) -> Result<Step, LiftError> {
        let name = api
            .api_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("step-{}", index + 1));
        let mut path: Vec<&str> = vec!["chains", at[0], "steps", at[1]];
        let method = method(api.method.as_deref()).map_err(|m| {
            LiftError(format!(
                "step `{name}` uses method `{m}`, which plans cannot express"
            ))
        })?;
        let place = format!("scene {}, step {name}", self.key);
        let hint = format!("{}_{name}", self.key);
        let check_exports: Vec<&wire::Export> = api
            .export_list
            .iter()
            .filter(|e| {
                e.export_name
                    .as_deref()
                    .is_some_and(|n| n.starts_with(CHECK_EXPORT_PREFIX))
            })
            .collect();
        let mut extract = IndexMap::new();
        for export in &api.export_list {
            let export_name = export.export_name.clone().unwrap_or_default();
            if export_name.starts_with(CHECK_EXPORT_PREFIX) {
                continue;
            }
            let (value, note) = extract_of(export);
            if let Some(note) = note {
                let mut at: Vec<&str> = path.clone();
                at.extend(["extract", export_name.as_str()]);
                self.note(&at, note);
            }
            extract.insert(export_name, value);
        }
        let mut checks = Vec::new();
        for (i, point) in api.check_point_list.iter().enumerate() {
            checks.push(
                check_of(point, i, &check_exports)
                    .map_err(|e| LiftError(format!("step `{name}`, checkpoint {}: {e}", i + 1)))?,
            );
        }
        let timeout = timeout(api.timeout_in_second);
        let redirects = api
            .redirect_count_limit
            .filter(|r| *r != 0)
            .map(|r| u32::try_from(r).unwrap_or(0));
        let mut defaults = Vec::new();
        if api.timeout_in_second.is_none() {
            defaults.push("timeout 5s");
        }
        if api.redirect_count_limit.is_none() {
            defaults.push("redirects 0");
        }
        if !defaults.is_empty() {
            path.push("name");
            self.note(&path, format!("{}: PTS defaults", defaults.join(", ")));
            path.pop();
        }
        Ok(Step {
            name,
            method,
            url: api.url.clone().unwrap_or_default(),
            headers: self.headers(&api.header_list, &hint, &place),
            body: api.body.as_ref().map(|b| self.body(b, &hint, &place)),
            timeout,
            redirects,
            extract,
            checks,
        })
    }

    fn headers(
        &mut self,
        headers: &[wire::Header],
        hint: &str,
        place: &str,
    ) -> IndexMap<String, String> {
        headers
            .iter()
            .map(|h| {
                let name = h.header_name.clone().unwrap_or_default();
                let value = self.secrets.value(
                    &name,
                    h.header_value.as_deref().unwrap_or_default(),
                    &format!("{hint}_{name}"),
                    &format!("{place}, header {name}"),
                );
                (name, value)
            })
            .collect()
    }

    /// The body in the plan's kinds: `json` or `form` when lowering would write exactly
    /// this text back, else `raw`.
    fn body(&mut self, body: &wire::Body, hint: &str, place: &str) -> Body {
        let content_type = body
            .content_type
            .clone()
            .unwrap_or_else(|| "application/x-www-form-urlencoded".to_owned());
        let value = body.body_value.clone().unwrap_or_default();
        let parsed = serde_json::from_str::<serde_json::Value>(&value)
            .ok()
            .filter(|v| serde_json::to_string(v).is_ok_and(|text| text == value));
        let form_type = "application/x-www-form-urlencoded";
        let empty = Body {
            json: None,
            form: None,
            raw: None,
            content_type: None,
        };
        match parsed {
            Some(serde_json::Value::Object(fields))
                if content_type == form_type && fields.values().all(|v| v.is_string()) =>
            {
                let form = fields
                    .iter()
                    .map(|(k, v)| {
                        let v = v.as_str().unwrap_or_default();
                        let v = self.secrets.value(
                            k,
                            v,
                            &format!("{hint}_{k}"),
                            &format!("{place}, form field {k}"),
                        );
                        (k.clone(), v)
                    })
                    .collect();
                Body {
                    form: Some(form),
                    ..empty
                }
            }
            Some(json) if content_type.contains("json") => Body {
                json: Some(self.secrets.json(&json, hint, place)),
                content_type: (content_type != "application/json").then_some(content_type),
                ..empty
            },
            _ => Body {
                raw: Some(value),
                content_type: (content_type != "text/plain").then_some(content_type),
                ..empty
            },
        }
    }

    fn load(
        &mut self,
        load: &wire::LoadConfig,
        scene: &wire::Scene,
        chains: &[Chain],
        marker: Option<&Marker>,
    ) -> Result<Load, LiftError> {
        let mode = match &load.test_mode {
            Some(m) if m.is_concurrency() => LoadMode::Concurrency,
            Some(m) if m.is_tps() => LoadMode::Rps,
            Some(m) => {
                return Err(LiftError(format!(
                    "its load mode `{}` is neither concurrency nor TPS",
                    m.as_str()
                )));
            }
            None => return Err(LiftError("its load has no TestMode".into())),
        };
        let rps = mode == LoadMode::Rps;
        let level = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
        let mut out = Load {
            mode: Some(mode),
            duration: Some(match marker.and_then(|m| m.duration_ms) {
                Some(ms) => Duration::from_millis(ms),
                None => Duration::from_mins(
                    load.max_running_time
                        .and_then(|m| u64::try_from(m).ok())
                        .unwrap_or(1),
                ),
            }),
            agents: load.agent_count.and_then(|a| u32::try_from(a).ok()),
            vpc: load.vpc_load_config.as_ref().map(|v| Vpc {
                region: v.region_id.clone().unwrap_or_default(),
                vpc_id: v.vpc_id.clone().unwrap_or_default(),
                vswitch_id: v.v_switch_id.clone().unwrap_or_default(),
                security_group_id: v.security_group_id.clone().unwrap_or_default(),
            }),
            ..Load::default()
        };
        let pair = |start: Option<u32>, max: Option<u32>| match (start, max) {
            (None, None) => None,
            (s, m) => Some(Level {
                start: s.or(m).unwrap_or(1),
                max: m.or(s).unwrap_or(1),
            }),
        };
        if !rps && !load.relation_load_config_list.is_empty() {
            let mut per_chain = IndexMap::new();
            for (i, c) in load.relation_load_config_list.iter().enumerate() {
                let at = scene.relation_index(c.relation_id.as_ref(), i);
                if let (Some(chain), Some(l)) = (
                    chains.get(at),
                    pair(level(c.concurrency_begin), level(c.concurrency_limit)),
                ) {
                    per_chain.insert(chain.name.clone(), l);
                }
            }
            out.chains = Some(per_chain);
        } else if rps && !load.api_load_config_list.is_empty() {
            out.steps = Some(self.per_step(load, scene, chains, pair, level));
        } else if let Some(c) = &load.configuration {
            let (start, max) = if rps {
                (level(c.all_rps_begin), level(c.all_rps_limit))
            } else {
                (
                    level(c.all_concurrency_begin),
                    level(c.all_concurrency_limit),
                )
            };
            if let Some(l) = pair(start, max) {
                out.start = Some(l.start);
                out.max = Some(l.max);
            }
        }
        if (out.chains.is_some() || out.steps.is_some()) && load.configuration.is_some() {
            self.note(
                &["load"],
                "PTS also holds scene-wide levels (Configuration); with per-chain or per-step levels ptsplan does not send them".into(),
            );
        }
        if load.auto_step == Some(true) {
            match (rps, load.increment, load.keep_time) {
                (false, Some(increment), Some(keep)) => {
                    out.ramp = Some(Ramp {
                        step_percent: u32::try_from(increment).unwrap_or(0),
                        every: match marker.and_then(|m| m.keep_time_ms) {
                            Some(ms) => Duration::from_millis(ms),
                            None => Duration::from_mins(u64::try_from(keep).unwrap_or(1)),
                        },
                    });
                }
                _ => self.note(
                    &["load"],
                    "PTS has AutoStep on without a usable increment and level time (or in TPS mode); the ramp is left out".into(),
                ),
            }
        }
        Ok(out)
    }

    fn per_step(
        &mut self,
        load: &wire::LoadConfig,
        scene: &wire::Scene,
        chains: &[Chain],
        pair: impl Fn(Option<u32>, Option<u32>) -> Option<Level>,
        level: impl Fn(Option<i64>) -> Option<u32>,
    ) -> IndexMap<String, IndexMap<String, Level>> {
        let apis: Vec<(usize, &wire::Api)> = scene
            .relation_list
            .iter()
            .enumerate()
            .flat_map(|(r, rel)| rel.api_list.iter().map(move |a| (r, a)))
            .collect();
        let mut out: IndexMap<String, IndexMap<String, Level>> = IndexMap::new();
        for (i, c) in load.api_load_config_list.iter().enumerate() {
            let at = c
                .api_id
                .as_ref()
                .and_then(|id| apis.iter().position(|(_, a)| a.api_id.as_ref() == Some(id)))
                .unwrap_or(i);
            let (Some((relation, api)), Some(l)) =
                (apis.get(at), pair(level(c.rps_begin), level(c.rps_limit)))
            else {
                continue;
            };
            let Some(chain) = chains.get(*relation) else {
                continue;
            };
            let api_name = api.api_name.clone().unwrap_or_default();
            if chain.steps.iter().any(|s| s.name == api_name) {
                out.entry(chain.name.clone())
                    .or_default()
                    .insert(api_name, l);
            }
        }
        out
    }

    fn advanced(&mut self, a: &wire::AdvanceSetting) -> Advanced {
        let codes: Option<Vec<u16>> = a.success_code.as_ref().map(|codes| {
            codes
                .split(',')
                .filter_map(|c| c.trim().parse().ok())
                .collect()
        });
        Advanced {
            log_sample_rate: a.log_rate.and_then(|r| u32::try_from(r).ok()),
            connect_timeout: a
                .connection_timeout_in_second
                .and_then(|s| u64::try_from(s).ok())
                .map(Duration::from_secs),
            domain_bindings: (!a.domain_binding_list.is_empty()).then(|| {
                a.domain_binding_list
                    .iter()
                    .map(|b| (b.domain.clone().unwrap_or_default(), b.ips.clone()))
                    .collect()
            }),
            success_codes: codes.filter(|c| !c.is_empty()),
        }
    }
}

/// The plan's `file` for a PTS file: its address when it is a URL, the path ptsplan
/// uploaded it from (without the content fingerprint), else the file name.
fn file_of(file_name: &str, address: &str) -> String {
    if address.contains("://") {
        address.to_owned()
    } else if let Some((path, _)) = address.split_once("#sha256=") {
        path.to_owned()
    } else if !address.is_empty() {
        address.to_owned()
    } else {
        file_name.to_owned()
    }
}

/// A step timeout; the default 5s is left out.
fn timeout(seconds: Option<i64>) -> Option<Duration> {
    seconds
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
        .filter(|d| *d != DEFAULT_TIMEOUT)
}

fn method(text: Option<&str>) -> Result<Method, String> {
    let text = text.unwrap_or("GET");
    Ok(match text.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "HEAD" => Method::Head,
        "OPTIONS" => Method::Options,
        _ => return Err(text.to_owned()),
    })
}

/// An export as an extract, and a note when part of it cannot be expressed.
fn extract_of(export: &wire::Export) -> (Extract, Option<String>) {
    let value = export.export_value.clone();
    let kind = export
        .export_type
        .as_ref()
        .map(|t| t.as_str().to_ascii_uppercase())
        .unwrap_or_default();
    let (from, path, regex, name) = match kind.as_str() {
        "BODY_JSON" => (ExtractFrom::BodyJson, value, None, None),
        "BODY_TEXT" => (ExtractFrom::BodyText, None, value, None),
        "HEADER" => (ExtractFrom::Header, None, None, value),
        "COOKIE" => (ExtractFrom::Cookie, None, None, value),
        _ => (ExtractFrom::StatusCode, None, None, None),
    };
    let count = export.count.as_deref().unwrap_or("").trim();
    let index = match count {
        "" | "0" => None,
        c if c.eq_ignore_ascii_case("random") => Some(MatchIndex::Random(RandomKeyword::Random)),
        c => c.parse().ok().map(MatchIndex::Nth),
    };
    let indexed = matches!(from, ExtractFrom::BodyJson | ExtractFrom::BodyText);
    let mut note = None;
    if !indexed && index.is_some() {
        note = Some(format!(
            "PTS match index `{count}` dropped: plans index only body extracts"
        ));
    }
    if !matches!(
        kind.as_str(),
        "BODY_JSON" | "BODY_TEXT" | "HEADER" | "COOKIE" | "STATUS_CODE"
    ) {
        note = Some(format!(
            "PTS export type `{kind}` is unknown; read as the status code"
        ));
    }
    (
        Extract {
            from,
            path,
            regex,
            name,
            index: index.filter(|_| indexed),
        },
        note,
    )
}

/// A checkpoint as a check; the `i`th checkpoint may read a `ptsplan_check_i` export.
fn check_of(
    point: &wire::CheckPoint,
    i: usize,
    check_exports: &[&wire::Export],
) -> Result<Check, String> {
    let op_text = point.operator.as_deref().unwrap_or("eq");
    let op = [
        CheckOp::Eq,
        CheckOp::Ne,
        CheckOp::Gt,
        CheckOp::Gte,
        CheckOp::Lt,
        CheckOp::Lte,
        CheckOp::Contains,
        CheckOp::NotContains,
        CheckOp::Exists,
        CheckOp::NotExists,
        CheckOp::Regex,
    ]
    .into_iter()
    .find(|op| operator(*op).eq_ignore_ascii_case(op_text))
    .ok_or_else(|| format!("operator `{op_text}` is not one plans know"))?;
    let point_name = point.check_point.clone().filter(|p| !p.is_empty());
    let kind = point
        .check_type
        .as_ref()
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default();
    let (on, name, path) = match kind.as_str() {
        "STATUS_CODE" => (CheckOn::StatusCode, None, None),
        "BODY_TEXT" => (CheckOn::BodyText, None, None),
        "HEADER" => (CheckOn::Header, point_name, None),
        "EXPORTED_PARAM" => {
            let implicit = format!("{CHECK_EXPORT_PREFIX}{i}");
            match check_exports
                .iter()
                .find(|e| e.export_name.as_deref() == Some(implicit.as_str()))
            {
                Some(e) if point_name.as_deref() == Some(implicit.as_str()) => {
                    (CheckOn::BodyJson, None, e.export_value.clone())
                }
                _ => (CheckOn::Extracted, point_name, None),
            }
        }
        other => return Err(format!("check type `{other}` is not one plans know")),
    };
    let value = point
        .expect_value
        .as_deref()
        .filter(|v| !v.is_empty() || op.needs_value())
        .map(scalar);
    Ok(Check {
        on,
        name,
        path,
        op,
        value: value.filter(|_| op.needs_value()),
    })
}

/// Text as the scalar that writes back to the same text: numbers and booleans when they
/// round-trip exactly, else text.
pub fn scalar(text: &str) -> Scalar {
    if let Ok(i) = text.parse::<i64>()
        && i.to_string() == text
    {
        return Scalar::Integer(i);
    }
    if let Ok(f) = text.parse::<f64>()
        && f.is_finite()
        && f.to_string() == text
    {
        return Scalar::Number(f);
    }
    match text {
        "true" => Scalar::Bool(true),
        "false" => Scalar::Bool(false),
        _ => Scalar::Text(text.to_owned()),
    }
}
