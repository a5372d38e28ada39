//! Lowering: a checked plan → the PTS scenes it asks for (the wire shape `SavePtsScene`
//! takes). A pure function of the plan, the environment, the plan's directory and the data store.
//!
//! What lowering decides, in one place:
//! - `${var.*}`, `${env.*}`, `${secret.*}` are resolved; bare `${param}` stays for PTS.
//!   Every secret value resolved is registered in a [`Redactor`].
//! - A chain with an `api` token source starts with the token request as its first API
//!   (named `token:SOURCE`), exporting the source's parameters and checking the first one
//!   exists; a `csv` token source becomes a file parameter of that chain.
//! - Defaults PTS would apply are written out (timeout 5s, 0 redirects, content types), so a
//!   scene read back from PTS compares equal after normalization.
//! - Load lists carry no ids: relation levels follow `RelationList` order and API levels the
//!   order of APIs. The applier attaches the live ids by name ([`attach_ids`]).
//! - Ownership and what PTS cannot express ride in the [`Marker`] global parameter.

mod jmeter;

use std::path::Path;

pub use jmeter::{Jmx, LoweredEnv, LoweredJMeter};

use crate::oss::{Content, DataFile, DataStore};
use crate::redact::Redactor;
use crate::spec::interpolate::{RefKind, substitute};
use crate::spec::model::{self, *};
use crate::spec::units::Duration;
use crate::spec::validate::{DEFAULT_REFRESH_MARGIN, DEFAULT_TIMEOUT};
use crate::wire::{self, Marker, TokenStep};

/// Marker format version written by this ptsplan.
pub const MARKER_VERSION: u32 = 1;

/// One scene as PTS should hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The scene's key in the plan.
    pub key: String,
    /// The desired scene (no `SceneId`: the planner fills it for updates).
    pub scene: wire::Scene,
    /// When the scene runs (the planner proposes runs from it).
    pub run: RunPolicy,
    /// The id of an unowned live scene to take over (the plan scene's `adopt`).
    pub adopt: Option<String>,
}

/// What lowering could not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// `var`, `env` or `secret`.
    pub namespace: &'static str,
    pub name: String,
    /// The scene (or token source) that needed it.
    pub place: String,
}

/// Lowers every scene of `plan`. `dir` is the plan's directory (relative data files are
/// resolved against it); `env` looks up `${env.*}` and `${secret.*}`.
pub fn lower(
    plan: &Plan,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Lowered>, Redactor), Vec<Unresolved>> {
    lower_with(plan, dir, env, &DataStore::default())
        .map(|lowering| (lowering.scenes, lowering.redactor))
}

/// What [`lower_with`] makes of a plan.
#[derive(Debug, Clone)]
pub struct Lowering {
    /// The desired scenes.
    pub scenes: Vec<Lowered>,
    /// The secret values resolved.
    pub redactor: Redactor,
    /// The local data files the scenes name, as `apply` stores them (once per path).
    pub files: Vec<DataFile>,
    /// The desired JMeter environments.
    pub envs: Vec<LoweredEnv>,
    /// The desired JMeter scenes.
    pub jmeter: Vec<LoweredJMeter>,
}

/// [`lower`], with local data files addressed in `data` (the `[data]` store of
/// `ptsplan.toml`); the files are returned for `apply` to upload.
pub fn lower_with(
    plan: &Plan,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    data: &DataStore,
) -> Result<Lowering, Vec<Unresolved>> {
    let mut resolver = Resolver {
        plan,
        env,
        redactor: Redactor::default(),
        unresolved: Vec::new(),
        place: String::new(),
        data,
        files: Vec::new(),
    };
    let scenes: Vec<Lowered> = plan
        .scenes
        .iter()
        .map(|(key, scene)| {
            resolver.place = format!("scenes.{key}");
            Lowered {
                key: key.clone(),
                scene: lower_scene(&mut resolver, dir, key, scene),
                run: scene.run.unwrap_or_default(),
                adopt: scene.adopt.clone(),
            }
        })
        .collect();
    let envs = jmeter::lower_envs(&mut resolver, dir);
    let jmeter = jmeter::lower_scenes(&mut resolver, dir);
    if resolver.unresolved.is_empty() {
        Ok(Lowering {
            scenes,
            redactor: resolver.redactor,
            files: resolver.files,
            envs,
            jmeter,
        })
    } else {
        Err(resolver.unresolved)
    }
}

/// Resolves plan-side references and remembers secrets.
struct Resolver<'a> {
    plan: &'a Plan,
    env: &'a dyn Fn(&str) -> Option<String>,
    redactor: Redactor,
    unresolved: Vec<Unresolved>,
    place: String,
    /// Where local data files are stored.
    data: &'a DataStore,
    /// The local data files read so far.
    files: Vec<DataFile>,
}

impl Resolver<'_> {
    /// `text` with `${var.*}`, `${env.*}`, `${secret.*}` replaced and `$${` unescaped.
    fn text(&mut self, text: &str) -> String {
        self.resolve(text, true)
    }

    /// Resolves `text`; a variable's own value may use env and secret references but not
    /// other variables (`allow_vars` false), so no plan can make lowering loop.
    fn resolve(&mut self, text: &str, allow_vars: bool) -> String {
        let resolved = substitute(text, |kind| match kind {
            RefKind::Var(_) if !allow_vars => None,
            RefKind::Var(name) => {
                let value = self.plan.variables.get(*name).map(ToString::to_string);
                match value {
                    Some(v) => Some(self.resolve(&v, false)),
                    None => self.missing("var", name),
                }
            }
            RefKind::Env(name) => (self.env)(name).or_else(|| self.missing("env", name)),
            RefKind::Secret(name) => match (self.env)(name) {
                Some(v) => {
                    self.redactor.add_named(name, &v);
                    Some(v)
                }
                None => self.missing("secret", name),
            },
            RefKind::Param(_) | RefKind::Function(_) => None,
        });
        resolved.replace("$${", "${")
    }

    fn missing(&mut self, namespace: &'static str, name: &str) -> Option<String> {
        let entry = Unresolved {
            namespace,
            name: name.to_owned(),
            place: self.place.clone(),
        };
        if !self.unresolved.contains(&entry) {
            self.unresolved.push(entry);
        }
        None
    }

    /// Resolves every string inside a JSON body.
    fn json(&mut self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match value {
            J::String(s) => J::String(self.text(s)),
            J::Array(items) => J::Array(items.iter().map(|v| self.json(v)).collect()),
            J::Object(map) => J::Object(
                map.iter()
                    .map(|(k, v)| (self.text(k), self.json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn lower_scene(r: &mut Resolver<'_>, dir: &Path, key: &str, scene: &Scene) -> wire::Scene {
    let mut marker = Marker {
        v: MARKER_VERSION,
        workspace: r.plan.workspace.clone(),
        key: key.to_owned(),
        ..Marker::default()
    };
    let mut files: Vec<wire::FileParameter> = Vec::new();
    let relations = scene
        .chains
        .iter()
        .map(|chain| lower_chain(r, dir, scene, chain, &mut marker, &mut files))
        .collect::<Vec<_>>();
    let load = scene
        .load
        .as_ref()
        .map(|load| lower_load(load, scene, &relations, &mut marker));
    let mut globals: Vec<wire::GlobalParameter> = scene
        .globals
        .iter()
        .map(|(name, value)| wire::GlobalParameter {
            param_name: Some(name.clone()),
            param_value: Some(r.text(&value.to_string())),
            ..Default::default()
        })
        .collect();
    globals.push(marker.to_parameter());
    wire::Scene {
        scene_name: Some(r.text(scene.name.as_deref().unwrap_or(key))),
        relation_list: relations,
        load_config: load,
        advance_setting: scene.advanced.as_ref().map(lower_advanced),
        global_parameter_list: globals,
        file_parameter_list: files,
        ..Default::default()
    }
}

fn lower_chain(
    r: &mut Resolver<'_>,
    dir: &Path,
    scene: &Scene,
    chain: &Chain,
    marker: &mut Marker,
    files: &mut Vec<wire::FileParameter>,
) -> wire::Relation {
    let mut apis = Vec::new();
    let mut explains = Vec::new();
    if let Some(name) = &chain.token {
        match r.plan.token_sources.get(name) {
            Some(TokenSource::Api(source)) => {
                let api = token_api(r, name, source);
                marker.tokens.push(TokenStep {
                    relation: chain.name.clone(),
                    api: api.api_name.clone().unwrap_or_default(),
                    ttl_ms: source.ttl.as_millis(),
                    refresh: word(&source.refresh.policy),
                    refresh_ms: match source.refresh.policy {
                        RefreshPolicy::Interval => source.refresh.every.map(Duration::as_millis),
                        RefreshPolicy::BeforeExpiry => Some(
                            source
                                .refresh
                                .margin
                                .unwrap_or(DEFAULT_REFRESH_MARGIN)
                                .as_millis(),
                        ),
                        RefreshPolicy::PerIteration | RefreshPolicy::Once => None,
                    },
                });
                apis.push(api);
            }
            Some(TokenSource::Csv(source)) => {
                let file = file_parameter(r, dir, &source.file);
                let header = r
                    .files
                    .iter()
                    .find(|f| file.file_oss_address.as_ref() == Some(&f.address))
                    .map(|f| f.header.as_slice());
                explains.push(wire::FileParameterExplain {
                    file_name: file.file_name.clone(),
                    file_param_name: Some(token_columns(header, source)),
                    base_file: Some(false),
                    cycle_once: Some(false),
                    ..Default::default()
                });
                push_file(files, file);
            }
            None => {}
        }
    }
    for data_name in &chain.data {
        let Some(data) = scene.data.get(data_name) else {
            continue;
        };
        let file = file_parameter(r, dir, &data.file);
        explains.push(wire::FileParameterExplain {
            file_name: file.file_name.clone(),
            file_param_name: Some(data.columns.join(",")),
            base_file: Some(data.base || data.cycle_once),
            cycle_once: Some(data.cycle_once),
            ..Default::default()
        });
        push_file(files, file);
    }
    apis.extend(chain.steps.iter().map(|step| lower_step(r, step)));
    wire::Relation {
        relation_name: Some(chain.name.clone()),
        api_list: apis,
        file_parameter_explain_list: explains,
        ..Default::default()
    }
}

/// `FileParamName` of a CSV token file: PTS and the engine name a file's columns in order,
/// so the columns up to the token column keep their header names and the token column is
/// named `as`. Without a header to look in (a file given as a URL), the first column.
fn token_columns(header: Option<&[String]>, source: &CsvTokenSource) -> String {
    let at = header.and_then(|h| Some((h, h.iter().position(|c| *c == source.column)?)));
    match at {
        Some((header, at)) => header[..at]
            .iter()
            .map(String::as_str)
            .chain([source.param.as_str()])
            .collect::<Vec<_>>()
            .join(","),
        None => source.param.clone(),
    }
}

/// The token request of an `api` token source, as the first API of a relation.
fn token_api(r: &mut Resolver<'_>, name: &str, source: &ApiTokenSource) -> wire::Api {
    let request = &source.request;
    let exports: Vec<wire::Export> = source
        .exports
        .iter()
        .map(|(param, path)| wire::Export {
            export_name: Some(param.clone()),
            export_type: Some(wire::ExportType::BodyJson),
            export_value: Some(path.clone()),
            count: Some("0".to_owned()),
            ..Default::default()
        })
        .collect();
    let obtained = exports.first().map(|e| wire::CheckPoint {
        check_type: Some(wire::CheckType::ExportedParam),
        check_point: e.export_name.clone(),
        operator: Some(operator(CheckOp::Exists).to_owned()),
        ..Default::default()
    });
    wire::Api {
        api_name: Some(format!("token:{name}")),
        url: Some(r.text(&request.url)),
        method: Some(request.method.as_str().to_owned()),
        timeout_in_second: Some(seconds(request.timeout.unwrap_or(DEFAULT_TIMEOUT))),
        redirect_count_limit: Some(0),
        header_list: headers(r, &request.headers),
        body: request.body.as_ref().map(|b| body(r, b)),
        export_list: exports,
        check_point_list: obtained.into_iter().collect(),
        ..Default::default()
    }
}

fn lower_step(r: &mut Resolver<'_>, step: &Step) -> wire::Api {
    let mut exports: Vec<wire::Export> = step
        .extract
        .iter()
        .map(|(name, e)| export(name, e))
        .collect();
    let mut checks = Vec::new();
    for (i, check) in step.checks.iter().enumerate() {
        let (check_type, point) = match check.on {
            CheckOn::StatusCode => (wire::CheckType::StatusCode, String::new()),
            CheckOn::Header => (
                wire::CheckType::Header,
                check.name.clone().unwrap_or_default(),
            ),
            CheckOn::BodyText => (wire::CheckType::BodyText, String::new()),
            CheckOn::Extracted => (
                wire::CheckType::ExportedParam,
                check.name.clone().unwrap_or_default(),
            ),
            CheckOn::BodyJson => {
                // PTS checks JSON values through an export: add one under a reserved name.
                let name = format!("ptsplan_check_{i}");
                exports.push(wire::Export {
                    export_name: Some(name.clone()),
                    export_type: Some(wire::ExportType::BodyJson),
                    export_value: check.path.clone(),
                    count: Some("0".to_owned()),
                    ..Default::default()
                });
                (wire::CheckType::ExportedParam, name)
            }
        };
        checks.push(wire::CheckPoint {
            check_type: Some(check_type),
            check_point: Some(point),
            operator: Some(operator(check.op).to_owned()),
            expect_value: check.value.as_ref().map(|v| r.text(&v.to_string())),
            ..Default::default()
        });
    }
    wire::Api {
        api_name: Some(step.name.clone()),
        url: Some(r.text(&step.url)),
        method: Some(step.method.as_str().to_owned()),
        timeout_in_second: Some(seconds(step.timeout.unwrap_or(DEFAULT_TIMEOUT))),
        redirect_count_limit: Some(i64::from(step.redirects.unwrap_or(0))),
        header_list: headers(r, &step.headers),
        body: step.body.as_ref().map(|b| body(r, b)),
        export_list: exports,
        check_point_list: checks,
        ..Default::default()
    }
}

fn export(name: &str, e: &Extract) -> wire::Export {
    let (export_type, value) = match e.from {
        ExtractFrom::BodyJson => (wire::ExportType::BodyJson, e.path.clone()),
        ExtractFrom::BodyText => (wire::ExportType::BodyText, e.regex.clone()),
        ExtractFrom::Header => (wire::ExportType::Header, e.name.clone()),
        ExtractFrom::Cookie => (wire::ExportType::from("COOKIE"), e.name.clone()),
        ExtractFrom::StatusCode => (wire::ExportType::StatusCode, Some(String::new())),
    };
    let count = match &e.index {
        None => "0".to_owned(),
        Some(MatchIndex::Nth(n)) => n.to_string(),
        Some(MatchIndex::Random(_)) => "Random".to_owned(),
    };
    wire::Export {
        export_name: Some(name.to_owned()),
        export_type: Some(export_type),
        export_value: value,
        count: Some(count),
        ..Default::default()
    }
}

/// The wire operator of a check (`eq` and `ctn` are confirmed by the reference; the others
/// follow the console's set, see docs/plan-files.md).
pub fn operator(op: CheckOp) -> &'static str {
    match op {
        CheckOp::Eq => "eq",
        CheckOp::Ne => "neq",
        CheckOp::Gt => "gt",
        CheckOp::Gte => "gte",
        CheckOp::Lt => "lt",
        CheckOp::Lte => "lte",
        CheckOp::Contains => "ctn",
        CheckOp::NotContains => "nctn",
        CheckOp::Exists => "exist",
        CheckOp::NotExists => "nexist",
        CheckOp::Regex => "regex",
    }
}

fn headers(
    r: &mut Resolver<'_>,
    headers: &indexmap::IndexMap<String, String>,
) -> Vec<wire::Header> {
    headers
        .iter()
        .map(|(name, value)| wire::Header {
            header_name: Some(name.clone()),
            header_value: Some(r.text(value)),
            ..Default::default()
        })
        .collect()
}

fn body(r: &mut Resolver<'_>, body: &model::Body) -> wire::Body {
    let (default_type, value) = if let Some(json) = &body.json {
        ("application/json", r.json(json).to_string())
    } else if let Some(form) = &body.form {
        // PTS takes form fields as a JSON object and encodes them itself.
        let fields: serde_json::Map<String, serde_json::Value> = form
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(r.text(v))))
            .collect();
        (
            "application/x-www-form-urlencoded",
            serde_json::Value::Object(fields).to_string(),
        )
    } else {
        (
            "text/plain",
            r.text(body.raw.as_deref().unwrap_or_default()),
        )
    };
    wire::Body {
        content_type: Some(
            body.content_type
                .clone()
                .unwrap_or_else(|| default_type.to_owned()),
        ),
        body_value: Some(value),
        ..Default::default()
    }
}

/// A data file as a PTS file parameter. URLs stay as they are. A local file is addressed
/// where `apply` stores it: a content-addressed key in the `[data]` store
/// (`oss://ptsplan-data/ptsplan/data/<sha256 prefix>/users.csv` on the local backend), so
/// the address is the same on every machine and an edited file shows in the plan as a
/// changed address, never as its rows. The file is remembered for the upload.
fn file_parameter(r: &mut Resolver<'_>, dir: &Path, file: &str) -> wire::FileParameter {
    let (name, address) = stored_file(r, dir, file, Content::DataRows);
    wire::FileParameter {
        file_name: Some(name),
        file_oss_address: Some(address),
        ..Default::default()
    }
}

/// A file named by the plan → its PTS file name and the OSS address of `content` of it (see
/// [`file_parameter`]).
fn stored_file(r: &mut Resolver<'_>, dir: &Path, file: &str, content: Content) -> (String, String) {
    let file = r.text(file);
    let address = if file.contains("://") {
        file.clone()
    } else {
        match DataFile::read(dir, &file, content, r.data) {
            Ok(data) => {
                let address = data.address.clone();
                if !r.files.iter().any(|f| f.key == data.key) {
                    r.files.push(data);
                }
                address
            }
            // Validation reports unreadable files (`plan::missing-file`).
            Err(_) => file.clone(),
        }
    };
    let name = file.rsplit(['/', '\\']).next().unwrap_or(&file).to_owned();
    (name, address)
}

fn push_file(files: &mut Vec<wire::FileParameter>, file: wire::FileParameter) {
    if !files.iter().any(|f| f.file_name == file.file_name) {
        files.push(file);
    }
}

fn lower_load(
    load: &Load,
    scene: &Scene,
    relations: &[wire::Relation],
    marker: &mut Marker,
) -> wire::LoadConfig {
    let run = one_run(scene, load.duration.unwrap_or(Duration::from_mins(1)));
    if !run.is_multiple_of(Duration::from_mins(1)) {
        marker.duration_ms = Some(run.as_millis());
    }
    let rps = load.mode == Some(LoadMode::Rps);
    let level = match (load.start, load.max) {
        (None, None) => None,
        (start, max) => {
            let max = max.or(start).unwrap_or(1);
            Some((i64::from(start.unwrap_or(max)), i64::from(max)))
        }
    };
    let mut config = wire::LoadConfig {
        test_mode: Some(if rps {
            wire::TestMode::TpsMode
        } else {
            wire::TestMode::ConcurrencyMode
        }),
        max_running_time: Some(minutes(run)),
        agent_count: load.agents.map(i64::from),
        vpc_load_config: load.vpc.as_ref().map(|v| wire::VpcLoadConfig {
            region_id: Some(v.region.clone()),
            vpc_id: Some(v.vpc_id.clone()),
            v_switch_id: Some(v.vswitch_id.clone()),
            security_group_id: Some(v.security_group_id.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    match (rps, &load.chains, &load.steps) {
        (false, Some(per_chain), _) => {
            config.relation_load_config_list = scene
                .chains
                .iter()
                .map(|chain| {
                    let l = per_chain.get(&chain.name).copied();
                    wire::RelationLoadConfig {
                        concurrency_begin: l.map(|l| i64::from(l.start)),
                        concurrency_limit: l.map(|l| i64::from(l.max)),
                        ..Default::default()
                    }
                })
                .collect();
        }
        (true, _, Some(per_step)) => {
            config.api_load_config_list = scene
                .chains
                .iter()
                .zip(relations)
                .flat_map(|(chain, relation)| {
                    let levels = per_step.get(&chain.name);
                    let first = chain
                        .steps
                        .first()
                        .and_then(|s| levels.and_then(|l| l.get(&s.name)))
                        .copied();
                    relation.api_list.iter().map(move |api| {
                        // The token request runs as often as the first business step.
                        let l = chain
                            .steps
                            .iter()
                            .find(|s| Some(&s.name) == api.api_name.as_ref())
                            .and_then(|s| levels.and_then(|l| l.get(&s.name)).copied())
                            .or(first);
                        wire::ApiLoadConfig {
                            rps_begin: l.map(|l| i64::from(l.start)),
                            rps_limit: l.map(|l| i64::from(l.max)),
                            ..Default::default()
                        }
                    })
                })
                .collect();
        }
        _ => {
            config.configuration = level.map(|(begin, limit)| {
                if rps {
                    wire::Configuration {
                        all_rps_begin: Some(begin),
                        all_rps_limit: Some(limit),
                        ..Default::default()
                    }
                } else {
                    wire::Configuration {
                        all_concurrency_begin: Some(begin),
                        all_concurrency_limit: Some(limit),
                        ..Default::default()
                    }
                }
            });
        }
    }
    if let (Some(ramp), false) = (&load.ramp, rps) {
        config.auto_step = Some(true);
        config.increment = Some(i64::from(ramp.step_percent));
        config.keep_time = Some(minutes(ramp.every));
        if !ramp.every.is_multiple_of(Duration::from_mins(1)) {
            marker.keep_time_ms = Some(ramp.every.as_millis());
        }
    } else if !rps {
        config.auto_step = Some(false);
    }
    config
}

/// The length of one PTS run of the scene: a sweep step or a soak segment, else the whole
/// test.
fn one_run(scene: &Scene, duration: Duration) -> Duration {
    match (&scene.sweep, &scene.soak) {
        (Some(sweep), _) => sweep.duration_each.unwrap_or(duration),
        (None, Some(soak)) => soak
            .segment
            .unwrap_or(crate::spec::validate::MAX_RUN)
            .min(duration),
        (None, None) if scene.kind == SceneType::Soak => {
            crate::spec::validate::MAX_RUN.min(duration)
        }
        (None, None) => duration,
    }
}

fn lower_advanced(advanced: &Advanced) -> wire::AdvanceSetting {
    wire::AdvanceSetting {
        connection_timeout_in_second: advanced.connect_timeout.map(seconds),
        log_rate: advanced.log_sample_rate.map(i64::from),
        success_code: advanced.success_codes.as_ref().map(|codes| {
            codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",")
        }),
        domain_binding_list: advanced
            .domain_bindings
            .iter()
            .flatten()
            .map(|(domain, ips)| wire::DomainBinding {
                domain: Some(domain.clone()),
                ips: ips.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Whole seconds, rounded up (validation keeps timeouts whole already).
fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_millis().div_ceil(1000)).unwrap_or(i64::MAX)
}

/// Whole minutes, rounded up, at least 1 (PTS's unit for run length and ramp levels).
fn minutes(d: Duration) -> i64 {
    i64::try_from(d.as_millis().div_ceil(60_000).max(1)).unwrap_or(i64::MAX)
}

/// The plan-file spelling of an enum value (its serde name).
fn word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Puts the live scene's ids on a desired scene, matching relations and APIs by name, so an
/// update keeps PTS's load settings attached; load lists get the ids of their positions.
pub fn attach_ids(desired: &mut wire::Scene, live: &wire::Scene) {
    desired.scene_id = live.scene_id.clone();
    for relation in &mut desired.relation_list {
        let Some(live_relation) = live
            .relation_list
            .iter()
            .find(|l| l.relation_name == relation.relation_name)
        else {
            continue;
        };
        relation.relation_id = live_relation.relation_id.clone();
        for api in &mut relation.api_list {
            api.api_id = live_relation
                .api_list
                .iter()
                .find(|l| l.api_name == api.api_name)
                .and_then(|l| l.api_id.clone());
        }
    }
    let Some(load) = &mut desired.load_config else {
        return;
    };
    for (config, relation) in load
        .relation_load_config_list
        .iter_mut()
        .zip(&desired.relation_list)
    {
        config.relation_id = relation.relation_id.clone();
    }
    let apis = desired.relation_list.iter().flat_map(|r| &r.api_list);
    for (config, api) in load.api_load_config_list.iter_mut().zip(apis) {
        config.api_id = api.api_id.clone();
    }
}

#[cfg(test)]
mod tests;
