//! Semantic rules: what the schema cannot say.
//!
//! References resolve (`${var.x}`, token sources, data columns, extracted names), names are
//! unique and acceptable to PTS, load values are inside PTS's ranges and consistent (RPS
//! never grows along a chain, a ramp reaches its maximum in time), test types hold what
//! their name promises, and — the mini-program failure caught before any load is spent —
//! every token stays valid for the whole test. Every rule records a diagnostic at the field
//! it concerns and carries on, so one run reports everything.

mod jmeter;

use std::collections::HashSet;
use std::fs;
use std::net::IpAddr;
use std::path::{Path as FsPath, PathBuf};

use indexmap::IndexMap;

use super::interpolate::{RefKind, references, substitute};
use super::model::*;
use super::threshold;
use super::units::Duration;
use super::yaml::{Node, Path, Value};
use crate::diag::{Diagnostic, Diagnostics, Sources, Span, did_you_mean};

/// PTS's per-run maximum (MaxRunningTime 1..1440 minutes).
pub const MAX_RUN: Duration = Duration::from_mins(24 * 60);
/// Shortest soak worth the name.
pub const MIN_SOAK: Duration = Duration::from_mins(60);
/// Time a debug run is assumed to take before load starts (`debug_first`).
pub const DEBUG_ALLOWANCE: Duration = Duration::from_mins(1);
/// PTS's default response timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default `before_expiry` margin.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_mins(5);
/// Longest scene name PTS accepts (console limit).
pub const MAX_SCENE_NAME: usize = 30;
/// Ceiling ptsplan enforces for a scene's total virtual users (PTS's published maximum).
pub const MAX_CONCURRENCY: u32 = 1_000_000;
/// Ceiling ptsplan enforces for a scene's total requests per second.
pub const MAX_RPS: u32 = 1_000_000;
/// Virtual users one PTS agent handles; more agents than the load needs are refused.
pub const VU_PER_AGENT: u32 = 250;
/// Requests per second one PTS agent handles.
pub const RPS_PER_AGENT: u32 = 2_000;
/// Longest pause between soak segments before ptsplan warns.
pub const MAX_SOAK_GAP: Duration = Duration::from_mins(10);
/// Default pause allowed between soak segments.
pub const DEFAULT_SOAK_GAP: Duration = Duration::from_mins(1);
/// Global-parameter prefix reserved for ptsplan's own markers (workspace ownership).
pub const RESERVED_PREFIX: &str = "ptsplan_";
/// PTS's accepted sampling rates (AdvanceSetting.LogRate).
pub const LOG_RATES: [u32; 6] = [1, 10, 20, 30, 40, 50];

/// What validation needs from the outside world.
pub struct Env<'a> {
    /// When the test is assumed to start (token expiry is judged against it).
    pub now: jiff::Timestamp,
    /// Environment lookup for `${env.*}` and `${secret.*}`.
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// Whether unset `${env.*}` / `${secret.*}` are errors (plan, apply) or warnings
    /// (validate: CI checks plans without their secrets).
    pub require_env: bool,
}

/// Checks a decoded plan. `tree` is the merged tree it was decoded from (for places).
pub fn validate(plan: &Plan, tree: &Node, sources: &Sources, env: &Env<'_>) -> Diagnostics {
    let mut v = Validator {
        plan,
        tree,
        sources,
        env,
        diags: Diagnostics::default(),
        used_vars: HashSet::new(),
        used_tokens: HashSet::new(),
        unset_env: IndexMap::new(),
    };
    v.all_strings(tree, &Path::root());
    v.unset_env();
    v.token_sources();
    for (key, scene) in &plan.scenes {
        v.scene(key, scene);
    }
    v.scene_names();
    v.jmeter();
    v.unused();
    v.diags
}

struct Validator<'a> {
    plan: &'a Plan,
    tree: &'a Node,
    sources: &'a Sources,
    env: &'a Env<'a>,
    diags: Diagnostics,
    used_vars: HashSet<String>,
    used_tokens: HashSet<String>,
    /// Unset `${env.*}` / `${secret.*}` names: whether secret, and every place used.
    unset_env: IndexMap<String, (bool, Vec<(Span, Path)>)>,
}

/// PTS parameters visible to a step: name → where it comes from (for messages).
type Scope = IndexMap<String, String>;

/// How a scene's load is laid out in PTS runs: one run, the runs of a tuning sweep, or
/// the chained segments of a soak. Ramps and per-run token fetches are judged against one
/// run; CSV token expiry against the whole span.
struct Schedule {
    /// Length of one PTS run.
    run: Duration,
    /// Number of runs.
    runs: u64,
    /// Debug run before each run (`debug_first`).
    debug: Duration,
    /// Pause allowed between runs.
    gap: Duration,
    /// Load time in all (a soak's `duration`, or runs × run).
    load: Duration,
    /// Start to the end of the last run.
    total: Duration,
}

impl Schedule {
    fn of(scene: &Scene, duration: Duration) -> Schedule {
        let debug = if scene.debug_first.unwrap_or(true) {
            DEBUG_ALLOWANCE
        } else {
            Duration::from_millis(0)
        };
        let (run, runs, gap, load) = match (scene.kind, &scene.sweep, &scene.soak) {
            (SceneType::Tuning, Some(sweep), _) => {
                let run = sweep.duration_each.unwrap_or(duration);
                let runs = sweep_count(sweep).max(1);
                (run, runs, Duration::from_millis(0), run * runs)
            }
            (SceneType::Soak, _, soak) => {
                let segment = soak.as_ref().and_then(|s| s.segment).unwrap_or(MAX_RUN);
                let run = segment.min(duration).max(Duration::from_millis(1));
                let runs = duration.as_millis().div_ceil(run.as_millis()).max(1);
                let gap = soak
                    .as_ref()
                    .and_then(|s| s.max_gap)
                    .unwrap_or(DEFAULT_SOAK_GAP);
                (run, runs, gap, duration)
            }
            _ => (duration, 1, Duration::from_millis(0), duration),
        };
        let total = debug * runs + load + gap * (runs - 1);
        Schedule {
            run,
            runs,
            debug,
            gap,
            load,
            total,
        }
    }

    /// How the end time was computed, for messages.
    fn describe(&self) -> String {
        if self.runs == 1 {
            return format!("start now, {} debug run, {} of load", self.debug, self.load);
        }
        let gaps = if self.gap.as_millis() == 0 {
            String::new()
        } else {
            format!(", with up to {} between runs", self.gap)
        };
        format!(
            "start now, {} runs of {} ({} of load), each after a {} debug run{gaps}",
            self.runs, self.run, self.load, self.debug
        )
    }
}

/// How many runs a sweep makes.
fn sweep_count(sweep: &Sweep) -> u64 {
    match (&sweep.values, &sweep.range) {
        (Some(values), _) => values.len() as u64,
        (None, Some(r)) if r.to >= r.from && r.step > 0 => u64::from((r.to - r.from) / r.step) + 1,
        _ => 1,
    }
}

/// The words and bounds that differ between the two load modes.
struct LevelWords {
    /// Key of per-item levels in this mode, and what they are per.
    key: &'static str,
    per: &'static str,
    /// Key of the other mode's per-item levels, and why they are wrong here.
    other_key: &'static str,
    misplaced: &'static str,
    misplaced_help: &'static str,
    example: &'static str,
    ceiling: u32,
    unit: &'static str,
}

impl LevelWords {
    fn of(mode: LoadMode) -> LevelWords {
        match mode {
            LoadMode::Concurrency => LevelWords {
                key: "chains",
                per: "chain",
                other_key: "steps",
                misplaced: "per-step levels are RPS; this load is in concurrency mode",
                misplaced_help: "use `chains:` for virtual users per chain, or `mode: rps`",
                example: "e.g. `start: 10, max: 100`",
                ceiling: MAX_CONCURRENCY,
                unit: "virtual users",
            },
            LoadMode::Rps => LevelWords {
                key: "steps",
                per: "step",
                other_key: "chains",
                misplaced: "per-chain levels are virtual users; this load is in rps mode",
                misplaced_help: "use `steps:` for RPS per step, or `mode: concurrency`",
                example: "e.g. `start: 100, max: 500`",
                ceiling: MAX_RPS,
                unit: "requests per second",
            },
        }
    }

    fn misplaced_present(&self, load: &Load) -> bool {
        match self.other_key {
            "steps" => load.steps.is_some(),
            _ => load.chains.is_some(),
        }
    }
}

/// The load a scene asks for, summed over chains or steps.
struct Totals {
    start: u64,
    max: u64,
}

impl Validator<'_> {
    // ---- places ------------------------------------------------------------------------

    /// An error at the value of `path`.
    fn err(&self, code: &'static str, path: &Path, message: impl AsRef<str>) -> Diagnostic {
        Diagnostic::error(code, format!("{path}: {}", message.as_ref()))
            .at(self.tree.span_of(path))
            .with_path(path)
    }

    /// An error at the key of `path`.
    fn key_err(&self, code: &'static str, path: &Path, message: impl AsRef<str>) -> Diagnostic {
        Diagnostic::error(code, format!("{path}: {}", message.as_ref()))
            .at(self.tree.key_span_of(path))
            .with_path(path)
    }

    /// A warning at the value of `path`.
    fn warning(&self, code: &'static str, path: &Path, message: impl AsRef<str>) -> Diagnostic {
        Diagnostic::warning(code, format!("{path}: {}", message.as_ref()))
            .at(self.tree.span_of(path))
            .with_path(path)
    }

    /// The directory of the file `path` was written in (relative file names start there).
    fn base_dir(&self, path: &Path) -> PathBuf {
        let span = self.tree.span_of(path);
        self.sources
            .path(span.source)
            .parent()
            .map(FsPath::to_path_buf)
            .unwrap_or_default()
    }

    /// The exact place of `needle` inside the string at `span`, else the whole string.
    fn sub_span(&self, span: Span, needle: &str) -> Span {
        let Some(src) = self.sources.get(span.source) else {
            return span;
        };
        let Some(raw) = src.text.get(span.start..span.end) else {
            return span;
        };
        match raw.find(needle) {
            Some(at) => Span::new(span.source, span.start + at, span.start + at + needle.len()),
            None => span,
        }
    }

    // ---- ${var.*}, ${env.*}, ${secret.*} everywhere ---------------------------------------

    fn all_strings(&mut self, node: &Node, path: &Path) {
        match &node.value {
            Value::Str(text) => self.resolved_refs(text, node.span, path),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.all_strings(item, &path.index(i));
                }
            }
            Value::Map(entries) => {
                for e in entries {
                    self.all_strings(&e.value, &path.key(&e.key));
                }
            }
            _ => {}
        }
    }

    fn resolved_refs(&mut self, text: &str, span: Span, path: &Path) {
        let in_variables =
            matches!(path.0.first(), Some(super::yaml::Seg::Key(k)) if k == "variables");
        let (refs, errors) = references(text);
        for e in errors {
            let at = self.sub_span(span, &text[e.start..e.end]);
            self.diags.push(
                Diagnostic::error("plan::bad-reference", format!("{path}: {}", e.message))
                    .at(at)
                    .with_path(path)
                    .with_help("write `$${` for a literal `${`"),
            );
        }
        for r in refs {
            let at = self.sub_span(span, &text[r.start..r.end]);
            match r.kind {
                RefKind::Var(name) if in_variables => self.diags.push(
                    Diagnostic::error(
                        "plan::variable-in-variable",
                        format!(
                            "{path}: a variable cannot use another variable (`${{var.{name}}}`)"
                        ),
                    )
                    .at(at)
                    .with_path(path)
                    .with_help("write the value out, or use `${env.NAME}` / `${secret.NAME}`"),
                ),
                RefKind::Var(name) => {
                    self.used_vars.insert(name.to_owned());
                    if !self.plan.variables.contains_key(name) {
                        let mut d = Diagnostic::error(
                            "plan::undefined-variable",
                            format!("{path}: variable `{name}` is not defined"),
                        )
                        .at(at)
                        .with_label("undefined")
                        .with_path(path);
                        d = match did_you_mean(name, self.plan.variables.keys().map(String::as_str))
                        {
                            Some(guess) => {
                                // Meant to be used here: not also "never used".
                                self.used_vars.insert(guess.to_owned());
                                d.with_help(format!("did you mean `${{var.{guess}}}`?"))
                            }
                            None => d.with_help(format!(
                                "add it under `variables:`, e.g. `{name}: VALUE`"
                            )),
                        };
                        self.diags.push(d);
                    }
                }
                RefKind::Env(name) | RefKind::Secret(name) => {
                    if (self.env.var)(name).is_none() {
                        let secret = matches!(r.kind, RefKind::Secret(_));
                        self.unset_env
                            .entry(name.to_owned())
                            .or_insert_with(|| (secret, Vec::new()))
                            .1
                            .push((at, path.clone()));
                    }
                }
                RefKind::Param(_) | RefKind::Function(_) => {}
            }
        }
    }

    /// One finding per unset environment name, pointing at its first use and counting the
    /// others, so a plan that uses one secret in five places says so once.
    fn unset_env(&mut self) {
        for (name, (secret, uses)) in std::mem::take(&mut self.unset_env) {
            let Some(((first, path), others)) = uses.split_first() else {
                continue;
            };
            let kind = if secret {
                "secret"
            } else {
                "environment variable"
            };
            let more = match others.len() {
                0 => String::new(),
                1 => " (used in 2 places)".to_owned(),
                n => format!(" (used in {} places)", n + 1),
            };
            let message = format!("{path}: {kind} `{name}` is not set in the environment{more}");
            let d = if self.env.require_env {
                Diagnostic::error("plan::unset-env", message)
            } else {
                Diagnostic::warning("plan::unset-env", message)
            };
            let d = d
                .at(*first)
                .with_path(path)
                .with_help(format!("export {name}=… before running ptsplan"));
            self.diags.push(d);
        }
    }

    // ---- token sources ---------------------------------------------------------------

    fn token_sources(&mut self) {
        for (name, source) in &self.plan.token_sources {
            let path = Path::root().key("token_sources").key(name);
            match source {
                TokenSource::Api(api) => self.api_token(&path, api),
                TokenSource::Csv(csv) => self.csv_token(&path, csv),
            }
        }
    }

    fn api_token(&mut self, path: &Path, api: &ApiTokenSource) {
        let request = path.key("request");
        self.url(&request.key("url"), &api.request.url);
        if let Some(timeout) = api.request.timeout {
            self.timeout(&request.key("timeout"), timeout);
        }
        self.body(&request.key("body"), api.request.body.as_ref());
        for (param, json_path) in &api.exports {
            self.param_name(&path.key("exports").key(param), param, true);
            if json_path.trim().is_empty() {
                self.diags.push(
                    self.err(
                        "plan::invalid-value",
                        &path.key("exports").key(param),
                        "needs a JSON path into the token answer",
                    )
                    .with_help("e.g. `access_token: access_token` or `access_token: data.token`"),
                );
            }
        }
        if api.ttl.as_millis() == 0 {
            self.diags.push(self.err(
                "plan::invalid-value",
                &path.key("ttl"),
                "a token lifetime of zero",
            ));
        }
        let refresh = path.key("refresh");
        let r = &api.refresh;
        if r.margin.is_some() && r.policy != RefreshPolicy::BeforeExpiry {
            self.diags.push(self.key_err(
                "plan::inconsistent",
                &refresh.key("margin"),
                "`margin` only applies to `policy: before_expiry`",
            ));
        }
        if r.every.is_some() && r.policy != RefreshPolicy::Interval {
            self.diags.push(self.key_err(
                "plan::inconsistent",
                &refresh.key("every"),
                "`every` only applies to `policy: interval`",
            ));
        }
        match r.policy {
            RefreshPolicy::Interval if r.every.is_none() => self.diags.push(
                self.err(
                    "plan::missing-key",
                    &refresh,
                    "`policy: interval` needs `every`",
                )
                .with_help("e.g. `refresh: { policy: interval, every: 90m }`"),
            ),
            RefreshPolicy::Interval => {
                let every = r.every.unwrap_or(api.ttl);
                if every > api.ttl {
                    self.diags.push(
                        self.err(
                            "plan::token-expires",
                            &refresh.key("every"),
                            format!("tokens live {} but are refreshed only every {every}: requests fail for {} of each period", api.ttl, Duration::from_millis(every.as_millis() - api.ttl.as_millis())),
                        )
                        .with_label("longer than ttl")
                        .with_help(format!("refresh at most every {} (or use `policy: before_expiry`)", api.ttl)),
                    );
                }
            }
            RefreshPolicy::BeforeExpiry => {
                let margin = r.margin.unwrap_or(DEFAULT_REFRESH_MARGIN);
                if margin >= api.ttl {
                    self.diags.push(
                        self.err(
                            "plan::token-expires",
                            &refresh.key("margin"),
                            format!(
                                "refresh margin {margin} is not shorter than the token lifetime {}",
                                api.ttl
                            ),
                        )
                        .with_help(
                            "a margin of a few minutes is enough; it must be shorter than `ttl`",
                        ),
                    );
                }
            }
            RefreshPolicy::PerIteration | RefreshPolicy::Once => {}
        }
    }

    fn csv_token(&mut self, path: &Path, csv: &CsvTokenSource) {
        self.param_name(&path.key("as"), &csv.param, true);
        let file = path.key("file");
        if let Some(header) = self.csv_header(&file, &csv.file) {
            if !header.iter().any(|h| h == &csv.column) {
                let mut d = self
                    .err(
                        "plan::unknown-column",
                        &path.key("column"),
                        format!("`{}` has no column `{}`", csv.file, csv.column),
                    )
                    .with_label(format!("columns: {}", header.join(", ")));
                if let Some(guess) = did_you_mean(&csv.column, header.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{guess}`?"));
                }
                self.diags.push(d);
            }
        }
    }

    /// The first row of a local CSV file, or `None` (with a diagnostic when it is missing).
    /// Files given as URLs are not read.
    fn csv_header(&mut self, path: &Path, file: &str) -> Option<Vec<String>> {
        let bytes = self.local_file(path, file)?;
        let Ok(text) = String::from_utf8(bytes) else {
            let full = self.base_dir(path).join(file);
            self.diags.push(
                self.err(
                    "plan::missing-file",
                    path,
                    format!(
                        "cannot read `{}`: stream did not contain valid UTF-8",
                        full.display()
                    ),
                )
                .with_help("save the CSV file as UTF-8"),
            );
            return None;
        };
        let line = text
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches('\u{feff}');
        Some(
            line.split(',')
                .map(|c| c.trim().trim_matches('"').to_owned())
                .collect(),
        )
    }

    /// The bytes of a local file the plan names (`None` for URLs and `${…}` names, which
    /// are not read), with a `plan::missing-file` diagnostic when it cannot be read.
    fn local_file(&mut self, path: &Path, file: &str) -> Option<Vec<u8>> {
        if file.contains("://") || file.contains("${") {
            return None;
        }
        let full = self.base_dir(path).join(file);
        match fs::read(&full) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.diags.push(
                    self.err(
                        "plan::missing-file",
                        path,
                        format!("cannot read `{}`: {e}", full.display()),
                    )
                    .with_label("file not found")
                    .with_help("paths are relative to the plan file that names them"),
                );
                None
            }
        }
    }

    // ---- scenes ------------------------------------------------------------------------

    fn scene(&mut self, key: &str, scene: &Scene) {
        let path = Path::root().key("scenes").key(key);
        let names: Vec<&str> = scene.chains.iter().map(|c| c.name.as_str()).collect();
        self.unique_names(&path.key("chains"), &names, "chain");
        for (name, _) in &scene.globals {
            let p = path.key("globals").key(name);
            self.param_name(&p, name, false);
        }
        self.data_files(&path, scene);
        for (i, chain) in scene.chains.iter().enumerate() {
            self.chain(&path, scene, i, chain);
        }
        if let Some(advanced) = &scene.advanced {
            self.advanced(&path.key("advanced"), advanced);
        }
        self.thresholds(&path, scene);
        self.scene_type(&path, scene);
        let Some(schedule) = self.load(&path, scene) else {
            return;
        };
        self.token_validity(&path, scene, &schedule);
    }

    fn scene_names(&mut self) {
        let mut seen: Vec<(String, Span)> = Vec::new();
        for (key, scene) in &self.plan.scenes {
            let path = Path::root().key("scenes").key(key);
            let (name, name_path) = match &scene.name {
                Some(name) => (name.clone(), path.key("name")),
                None => (key.clone(), path.clone()),
            };
            let on_key = scene.name.is_none();
            let make = |v: &Self, msg: String| {
                if on_key {
                    v.key_err("plan::scene-name", &name_path, msg)
                } else {
                    v.err("plan::scene-name", &name_path, msg)
                }
            };
            let chars = name.chars().count();
            if chars > MAX_SCENE_NAME {
                self.diags.push(
                    make(self, format!("scene name `{name}` has {chars} characters; PTS accepts at most {MAX_SCENE_NAME}"))
                        .with_help(if on_key { "set a shorter `name:` (the key may stay long)" } else { "shorten the name" }),
                );
            }
            let mut bad: Vec<char> = name
                .chars()
                .filter(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ')))
                .collect();
            bad.dedup();
            if !bad.is_empty() || name.trim() != name || name.is_empty() {
                let what = if bad.is_empty() {
                    "is empty or starts or ends with a space, which PTS rejects".to_owned()
                } else {
                    let shown: Vec<String> = bad
                        .iter()
                        .map(|c| format!("`{}`", c.escape_debug()))
                        .collect();
                    format!("uses {}, which PTS rejects", join_and(&shown))
                };
                let allowed = "letters (any script), digits, `-`, `_`, `.` and inner spaces";
                self.diags.push(
                    make(self, format!("scene name `{name}` {what}"))
                        .with_label("not a valid PTS scene name")
                        .with_help(if on_key {
                            format!("set a `name:` of {allowed} (the key may stay as it is)")
                        } else {
                            format!("use {allowed}")
                        }),
                );
            }
            if let Some((_, first_span)) = seen.iter().find(|(n, _)| *n == name) {
                let first_span = *first_span;
                self.diags.push(
                    make(self, format!("scene name `{name}` is used by two scenes"))
                        .with_label("used again here")
                        .with_related(first_span, "first used here")
                        .with_help("PTS scene names identify scenes: give each a distinct `name`"),
                );
            }
            let span = if on_key {
                self.tree.key_span_of(&name_path)
            } else {
                self.tree.span_of(&name_path)
            };
            seen.push((name, span));
        }
    }

    fn data_files(&mut self, path: &Path, scene: &Scene) {
        let mut columns_seen: Vec<(&str, &str)> = Vec::new();
        for (name, data) in &scene.data {
            let p = path.key("data").key(name);
            let cols: Vec<&str> = data.columns.iter().map(String::as_str).collect();
            self.unique_names(&p.key("columns"), &cols, "column");
            for (i, col) in data.columns.iter().enumerate() {
                self.param_name(&p.key("columns").index(i), col, false);
                if let Some((_, other)) = columns_seen.iter().find(|(c, _)| *c == col.as_str()) {
                    self.diags.push(self.err(
                        "plan::shadowing",
                        &p.key("columns").index(i),
                        format!("column `{col}` is also a column of data file `{other}`"),
                    ));
                }
                columns_seen.push((col, name));
            }
            if let Some(header) = self.csv_header(&p.key("file"), &data.file) {
                if header.len() < data.columns.len() {
                    self.diags.push(
                        self.err(
                            "plan::column-count",
                            &p.key("columns"),
                            format!(
                                "{} columns named but `{}` has {} per row",
                                data.columns.len(),
                                data.file,
                                header.len()
                            ),
                        )
                        .with_help("name one parameter per CSV column, in column order"),
                    );
                }
            }
            if !scene.chains.iter().any(|c| c.data.contains(name)) {
                self.diags.push(
                    self.warning(
                        "plan::unused",
                        &p,
                        format!("data file `{name}` is not read by any chain"),
                    )
                    .with_help(format!(
                        "add `data: [{name}]` to the chains that use its columns"
                    )),
                );
            }
        }
    }

    fn chain(&mut self, scene_path: &Path, scene: &Scene, index: usize, chain: &Chain) {
        let path = scene_path.key("chains").index(index);
        let step_names: Vec<&str> = chain.steps.iter().map(|s| s.name.as_str()).collect();
        self.unique_names(&path.key("steps"), &step_names, "step");

        let mut scope = Scope::new();
        for (name, _) in &scene.globals {
            scope.insert(name.clone(), "a global parameter".to_owned());
        }
        let mut bases = 0;
        for (i, data_name) in chain.data.iter().enumerate() {
            let p = path.key("data").index(i);
            match scene.data.get(data_name) {
                Some(data) => {
                    bases += usize::from(data.base);
                    for col in &data.columns {
                        scope.insert(col.clone(), format!("a column of data file `{data_name}`"));
                    }
                }
                None => {
                    let mut d = self.err(
                        "plan::undefined-data",
                        &p,
                        format!("no data file `{data_name}` in this scene"),
                    );
                    if let Some(guess) =
                        did_you_mean(data_name, scene.data.keys().map(String::as_str))
                    {
                        d = d.with_help(format!("did you mean `{guess}`?"));
                    } else {
                        d = d.with_help("declare it under the scene's `data:`");
                    }
                    self.diags.push(d);
                }
            }
        }
        if bases > 1 {
            self.diags.push(
                self.err(
                    "plan::inconsistent",
                    &path.key("data"),
                    "more than one of these data files is marked `base: true`",
                )
                .with_help("one base file decides row alignment; unmark the others"),
            );
        }
        if let Some(token) = &chain.token {
            self.used_tokens.insert(token.clone());
            match self.plan.token_sources.get(token) {
                Some(source) => {
                    let params: Vec<String> = match source {
                        TokenSource::Api(api) => api.exports.keys().cloned().collect(),
                        TokenSource::Csv(csv) => vec![csv.param.clone()],
                    };
                    for param in params {
                        if let Some(other) = scope.get(&param) {
                            self.diags.push(self.err(
                                "plan::shadowing",
                                &path.key("token"),
                                format!("token source `{token}` provides `{param}`, which is already {other}"),
                            ));
                        }
                        scope.insert(param, format!("a parameter of token source `{token}`"));
                    }
                    if let TokenSource::Api(api) = source {
                        self.params_in_request(
                            &Path::root().key("token_sources").key(token).key("request"),
                            &api.request.url,
                            &api.request.headers,
                            &scope_without_token(&scope, token),
                        );
                    }
                }
                None => {
                    let mut d = self
                        .err(
                            "plan::undefined-token-source",
                            &path.key("token"),
                            format!("no token source `{token}`"),
                        )
                        .with_label("undefined");
                    d = match did_you_mean(
                        token,
                        self.plan.token_sources.keys().map(String::as_str),
                    ) {
                        Some(guess) => {
                            // Meant to be used here: not also "not used by any chain".
                            self.used_tokens.insert(guess.to_owned());
                            d.with_help(format!("did you mean `{guess}`?"))
                        }
                        None => {
                            d.with_help("declare it under `token_sources:` (kind `api` or `csv`)")
                        }
                    };
                    self.diags.push(d);
                }
            }
        }
        for (i, step) in chain.steps.iter().enumerate() {
            let step_path = path.key("steps").index(i);
            self.step(&step_path, step, &scope);
            for name in step.extract.keys() {
                let p = step_path.key("extract").key(name);
                if let Some(other) = scope.get(name) {
                    self.diags.push(
                        self.key_err(
                            "plan::shadowing",
                            &p,
                            format!("extracted `{name}` shadows {other}"),
                        )
                        .with_label("shadows an existing parameter")
                        .with_help("give the extracted value its own name"),
                    );
                }
                scope.insert(
                    name.clone(),
                    format!("the value extracted by step `{}`", step.name),
                );
            }
        }
    }

    fn step(&mut self, path: &Path, step: &Step, scope: &Scope) {
        self.url(&path.key("url"), &step.url);
        self.params_in_request(path, &step.url, &step.headers, scope);
        for (name, _) in &step.headers {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic() && c != ':') {
                self.diags.push(self.key_err(
                    "plan::invalid-header",
                    &path.key("headers").key(name),
                    format!("`{name}` is not a valid header name"),
                ));
            }
        }
        self.body(&path.key("body"), step.body.as_ref());
        if let Some(body) = self.tree.at(&path.key("body")) {
            self.params_in_tree(body, &path.key("body"), scope);
        }
        if let Some(timeout) = step.timeout {
            self.timeout(&path.key("timeout"), timeout);
        }
        if let Some(redirects) = step.redirects {
            if redirects > 10 {
                self.diags.push(self.err(
                    "plan::out-of-range",
                    &path.key("redirects"),
                    format!("{redirects} redirects; PTS follows 0 to 10"),
                ));
            }
        }
        for (name, extract) in &step.extract {
            self.extract(&path.key("extract").key(name), name, extract);
        }
        let mut own = scope.clone();
        for name in step.extract.keys() {
            own.insert(name.clone(), "the value extracted by this step".to_owned());
        }
        for (i, check) in step.checks.iter().enumerate() {
            self.check(&path.key("checks").index(i), check, &own);
        }
    }

    /// Bare `${param}` references in a request's URL, header values and body.
    fn params_in_request(
        &mut self,
        path: &Path,
        url: &str,
        headers: &IndexMap<String, String>,
        scope: &Scope,
    ) {
        let url_span = self.tree.span_of(&path.key("url"));
        self.params(url, url_span, &path.key("url"), scope);
        for (name, value) in headers {
            let p = path.key("headers").key(name);
            let span = self.tree.span_of(&p);
            self.params(value, span, &p, scope);
        }
    }

    fn params_in_tree(&mut self, node: &Node, path: &Path, scope: &Scope) {
        match &node.value {
            Value::Str(text) => self.params(text, node.span, path, scope),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.params_in_tree(item, &path.index(i), scope);
                }
            }
            Value::Map(entries) => {
                for e in entries {
                    self.params_in_tree(&e.value, &path.key(&e.key), scope);
                }
            }
            _ => {}
        }
    }

    fn params(&mut self, text: &str, span: Span, path: &Path, scope: &Scope) {
        for r in references(text).0 {
            let RefKind::Param(name) = r.kind else {
                continue;
            };
            if scope.contains_key(name) {
                continue;
            }
            let at = self.sub_span(span, &text[r.start..r.end]);
            let mut d = Diagnostic::error(
                "plan::undefined-parameter",
                format!("{path}: parameter `{name}` is not defined here"),
            )
            .at(at)
            .with_label("undefined")
            .with_path(path);
            d = match did_you_mean(name, scope.keys().map(String::as_str)) {
                Some(guess) => d.with_help(format!("did you mean `${{{guess}}}`?")),
                None if scope.is_empty() => d.with_help(
                    "parameters come from `globals`, the chain's `data` columns, its `token` source, or `extract` of an earlier step",
                ),
                None => d.with_help(format!(
                    "parameters here: {}; an `extract` is usable from the next step on",
                    scope.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                )),
            };
            self.diags.push(d);
        }
    }

    fn url(&mut self, path: &Path, url: &str) {
        // Resolve what ptsplan resolves; stand in for what PTS fills at run time.
        let resolved = substitute(url, |kind| match kind {
            RefKind::Var(name) => self
                .plan
                .variables
                .get(*name)
                .map(|v| substitute(&v.to_string(), |_| Some("placeholder".to_owned()))),
            _ => Some("placeholder".to_owned()),
        });
        if url.starts_with("${") && !resolved.contains("://") {
            return; // the whole URL comes from a parameter; PTS checks it at run time
        }
        let problem = match url::Url::parse(&resolved) {
            Err(e) => Some(format!("`{url}` is not a valid URL: {e}")),
            Ok(u) if !matches!(u.scheme(), "http" | "https") => Some(format!(
                "`{url}` uses `{}`; PTS sends HTTP and HTTPS",
                u.scheme()
            )),
            Ok(u) if u.host_str().is_none_or(str::is_empty) => Some(format!("`{url}` has no host")),
            Ok(_) => None,
        };
        if let Some(problem) = problem {
            self.diags.push(
                self.err("plan::invalid-url", path, problem)
                    .with_label("invalid URL")
                    .with_help("write an absolute URL such as `http://127.0.0.1:8080/orders`"),
            );
        }
    }

    fn timeout(&mut self, path: &Path, timeout: Duration) {
        if !(Duration::from_secs(1)..=Duration::from_secs(60)).contains(&timeout)
            || !timeout.is_multiple_of(Duration::from_secs(1))
        {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    path,
                    format!("timeout {timeout}; PTS accepts whole seconds from 1s to 60s"),
                )
                .with_label("out of range"),
            );
        }
    }

    fn body(&mut self, path: &Path, body: Option<&Body>) {
        let Some(body) = body else { return };
        let kinds = [body.json.is_some(), body.form.is_some(), body.raw.is_some()];
        match kinds.iter().filter(|k| **k).count() {
            1 => {}
            0 => self.diags.push(
                self.err(
                    "plan::invalid-body",
                    path,
                    "a body needs one of `json`, `form` or `raw`",
                )
                .with_help("e.g. `body: { json: { sku: A1 } }`"),
            ),
            _ => self.diags.push(
                self.err(
                    "plan::invalid-body",
                    path,
                    "a body has exactly one of `json`, `form` or `raw`",
                )
                .with_help("keep one; the content type follows from it"),
            ),
        }
    }

    fn extract(&mut self, path: &Path, name: &str, extract: &Extract) {
        self.param_name(path, name, true);
        let (needs, field): (Option<&str>, Option<&String>) = match extract.from {
            ExtractFrom::BodyJson => (Some("path"), extract.path.as_ref()),
            ExtractFrom::BodyText => (Some("regex"), extract.regex.as_ref()),
            ExtractFrom::Header | ExtractFrom::Cookie => (Some("name"), extract.name.as_ref()),
            ExtractFrom::StatusCode => (None, None),
        };
        if let Some(needed) = needs {
            if field.is_none_or(|f| f.trim().is_empty()) {
                let example = match needed {
                    "path" => "path: data.id",
                    "regex" => "regex: 'orderId=(\\w+)'",
                    _ => "name: X-Request-Id",
                };
                self.diags.push(
                    self.err(
                        "plan::missing-key",
                        path,
                        format!("extracting from `{}` needs `{needed}`", word(&extract.from)),
                    )
                    .with_help(format!("add `{example}`")),
                );
            }
        }
        for (key, present) in [
            ("path", extract.path.is_some()),
            ("regex", extract.regex.is_some()),
            ("name", extract.name.is_some()),
        ] {
            if present && needs != Some(key) {
                self.diags.push(
                    self.key_err(
                        "plan::inconsistent",
                        &path.key(key),
                        format!(
                            "`{key}` is not used when extracting from `{}`",
                            word(&extract.from)
                        ),
                    )
                    .with_help("remove it"),
                );
            }
        }
        if let Some(re) = &extract.regex {
            if let Err(e) = regex::Regex::new(re) {
                self.diags.push(self.err(
                    "plan::invalid-regex",
                    &path.key("regex"),
                    format!(
                        "invalid regular expression: {}",
                        regex_problem(&e.to_string())
                    ),
                ));
            }
        }
        if extract.index.is_some()
            && extract.from != ExtractFrom::BodyText
            && extract.from != ExtractFrom::BodyJson
        {
            self.diags.push(self.key_err(
                "plan::inconsistent",
                &path.key("index"),
                "`index` picks among several matches of `body_text` or `body_json`",
            ));
        }
    }

    fn check(&mut self, path: &Path, check: &Check, scope: &Scope) {
        let needs = match check.on {
            CheckOn::Header | CheckOn::Extracted => Some(("name", check.name.is_some())),
            CheckOn::BodyJson => Some(("path", check.path.is_some())),
            CheckOn::StatusCode | CheckOn::BodyText => None,
        };
        if let Some((field, false)) = needs {
            self.diags.push(self.err(
                "plan::missing-key",
                path,
                format!("a `{}` check needs `{field}`", word(&check.on)),
            ));
        }
        for (key, present) in [
            ("name", check.name.is_some()),
            ("path", check.path.is_some()),
        ] {
            if present && needs.map(|n| n.0) != Some(key) {
                self.diags.push(self.key_err(
                    "plan::inconsistent",
                    &path.key(key),
                    format!("`{key}` is not used by a `{}` check", word(&check.on)),
                ));
            }
        }
        if check.on == CheckOn::Extracted {
            if let Some(name) = &check.name {
                if !scope.contains_key(name) {
                    let d = self.err(
                        "plan::undefined-parameter",
                        &path.key("name"),
                        format!("`{name}` is not extracted by this step or before it"),
                    );
                    self.diags
                        .push(suggest(d, name, scope.keys().map(String::as_str)));
                }
            }
        }
        match (&check.value, check.op.needs_value()) {
            (None, true) => self.diags.push(
                self.err(
                    "plan::missing-key",
                    &path.key("op"),
                    format!("operator `{}` compares with a `value`", word(&check.op)),
                )
                .with_label("needs a `value`")
                .with_help("add `value: …`, or use `op: exists`"),
            ),
            (Some(_), false) => self.diags.push(self.key_err(
                "plan::inconsistent",
                &path.key("value"),
                format!("operator `{}` takes no value", word(&check.op)),
            )),
            _ => {}
        }
        let Some(value) = &check.value else { return };
        match check.op {
            CheckOp::Gt | CheckOp::Gte | CheckOp::Lt | CheckOp::Lte
                if !matches!(value, Scalar::Integer(_) | Scalar::Number(_))
                    && value.to_string().parse::<f64>().is_err() =>
            {
                self.diags.push(self.err(
                    "plan::invalid-value",
                    &path.key("value"),
                    format!(
                        "`{}` compares numbers; `{value}` is not one",
                        word(&check.op)
                    ),
                ));
            }
            CheckOp::Regex => {
                if let Err(e) = regex::Regex::new(&value.to_string()) {
                    self.diags.push(self.err(
                        "plan::invalid-regex",
                        &path.key("value"),
                        format!(
                            "invalid regular expression: {}",
                            regex_problem(&e.to_string())
                        ),
                    ));
                }
            }
            _ => {}
        }
        if check.on == CheckOn::StatusCode && matches!(check.op, CheckOp::Eq | CheckOp::Ne) {
            let ok = value
                .to_string()
                .parse::<u16>()
                .is_ok_and(|c| (100..=599).contains(&c));
            if !ok {
                self.diags.push(self.err(
                    "plan::invalid-value",
                    &path.key("value"),
                    format!("`{value}` is not an HTTP status code (100-599)"),
                ));
            }
        }
    }

    fn param_name(&mut self, path: &Path, name: &str, on_key: bool) {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            let d = if on_key {
                self.key_err(
                    "plan::invalid-name",
                    path,
                    format!("`{name}` is not a valid parameter name"),
                )
            } else {
                self.err(
                    "plan::invalid-name",
                    path,
                    format!("`{name}` is not a valid parameter name"),
                )
            };
            self.diags.push(d.with_help(
                "parameter names start with a letter or `_` and hold letters, digits, `_` and `-`",
            ));
        } else if name.starts_with(RESERVED_PREFIX) {
            let d = if on_key {
                self.key_err(
                    "plan::reserved-name",
                    path,
                    format!("`{name}`: names starting with `{RESERVED_PREFIX}` are reserved"),
                )
            } else {
                self.err(
                    "plan::reserved-name",
                    path,
                    format!("`{name}`: names starting with `{RESERVED_PREFIX}` are reserved"),
                )
            };
            self.diags.push(d.with_help(
                "ptsplan marks the scenes it owns with such parameters; choose another name",
            ));
        }
    }

    fn unique_names(&mut self, path: &Path, names: &[&str], what: &str) {
        for (i, name) in names.iter().enumerate() {
            let item = path.index(i);
            let name_path = if what == "column" {
                item.clone()
            } else {
                item.key("name")
            };
            if name.trim().is_empty() {
                self.diags.push(self.err(
                    "plan::invalid-name",
                    &name_path,
                    format!("a {what} needs a name"),
                ));
                continue;
            }
            if let Some(first) = names[..i].iter().position(|n| n == name) {
                let first_path = if what == "column" {
                    path.index(first)
                } else {
                    path.index(first).key("name")
                };
                let first_span = self.tree.span_of(&first_path);
                self.diags.push(
                    self.err(
                        "plan::duplicate-name",
                        &name_path,
                        format!("{what} name `{name}` is used twice"),
                    )
                    .with_label("used again here")
                    .with_related(first_span, "first used here")
                    .with_help(format!(
                        "{what} names identify {what}s in plans and reports; make them unique"
                    )),
                );
            }
        }
    }

    fn advanced(&mut self, path: &Path, advanced: &Advanced) {
        if let Some(rate) = advanced.log_sample_rate {
            if !LOG_RATES.contains(&rate) {
                self.diags.push(
                    self.err(
                        "plan::invalid-value",
                        &path.key("log_sample_rate"),
                        format!("{rate} is not a PTS sampling rate"),
                    )
                    .with_label("expected 1, 10, 20, 30, 40 or 50"),
                );
            }
        }
        if let Some(timeout) = advanced.connect_timeout {
            self.timeout(&path.key("connect_timeout"), timeout);
        }
        for (i, code) in advanced.success_codes.iter().flatten().enumerate() {
            if !(100..=599).contains(code) {
                self.diags.push(self.err(
                    "plan::invalid-value",
                    &path.key("success_codes").index(i),
                    format!("{code} is not an HTTP status code"),
                ));
            }
        }
        for (domain, ips) in advanced.domain_bindings.iter().flatten() {
            let p = path.key("domain_bindings").key(domain);
            if ips.is_empty() {
                self.diags.push(self.err(
                    "plan::invalid-value",
                    &p,
                    format!("`{domain}` is bound to no address"),
                ));
            }
            for (i, ip) in ips.iter().enumerate() {
                if ip.parse::<IpAddr>().is_err() {
                    self.diags.push(self.err(
                        "plan::invalid-value",
                        &p.index(i),
                        format!("`{ip}` is not an IP address"),
                    ));
                }
            }
        }
    }

    fn thresholds(&mut self, path: &Path, scene: &Scene) {
        let layout: Vec<(&str, Vec<&str>)> = scene
            .chains
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.steps.iter().map(|s| s.name.as_str()).collect(),
                )
            })
            .collect();
        let scopes = Scopes {
            layout: Some(&layout),
            chain: "chain",
            step: "step",
            place: "this scene".to_owned(),
        };
        self.threshold_list(path, scene.thresholds.as_deref(), &scopes);
    }

    /// Checks `thresholds` (at `path.thresholds`): each assertion parses, and each scope
    /// names a chain and step of `scopes` (unchecked when its layout is unknown).
    fn threshold_list(
        &mut self,
        path: &Path,
        thresholds: Option<&[Threshold]>,
        scopes: &Scopes<'_>,
    ) {
        for (i, threshold) in thresholds.unwrap_or_default().iter().enumerate() {
            let p = path.key("thresholds").index(i);
            let (text, text_path) = match threshold {
                Threshold::Scene(text) => (text, p.clone()),
                Threshold::Scoped(scoped) => {
                    if let Some(layout) = scopes.layout {
                        self.threshold_scope(&p, layout, scopes, scoped);
                    }
                    (&scoped.assertion, p.key("assert"))
                }
            };
            if let Err(message) = threshold::parse(text) {
                self.diags.push(
                    self.err("plan::invalid-threshold", &text_path, message)
                        .with_label("not a threshold"),
                );
            }
        }
    }

    fn threshold_scope(
        &mut self,
        path: &Path,
        layout: &[(&str, Vec<&str>)],
        scopes: &Scopes<'_>,
        scoped: &ScopedThreshold,
    ) {
        let (noun, step_noun) = (scopes.chain, scopes.step);
        let Some((chain, steps)) = layout.iter().find(|(c, _)| *c == scoped.chain) else {
            let d = self.err(
                "plan::undefined-chain",
                &path.key("chain"),
                format!("no {noun} `{}` in {}", scoped.chain, scopes.place),
            );
            self.diags
                .push(suggest(d, &scoped.chain, layout.iter().map(|(c, _)| *c)));
            return;
        };
        if let Some(step) = &scoped.step {
            if !steps.iter().any(|s| s == step) {
                let d = self.err(
                    "plan::undefined-step",
                    &path.key("step"),
                    format!("{noun} `{chain}` has no {step_noun} `{step}`"),
                );
                self.diags.push(suggest(d, step, steps.iter().copied()));
            }
        }
    }

    fn scene_type(&mut self, path: &Path, scene: &Scene) {
        let steps: Vec<(usize, usize)> = scene
            .chains
            .iter()
            .enumerate()
            .flat_map(|(c, chain)| (0..chain.steps.len()).map(move |s| (c, s)))
            .collect();
        match scene.kind {
            SceneType::SingleApi if steps.len() > 1 => {
                let (c, s) = steps[1];
                self.diags.push(
                    self.err(
                        "plan::scene-type",
                        &path.key("chains").index(c).key("steps").index(s).key("name"),
                        format!("a single-api scene tests one business step; this is step number 2 of {}", steps.len()),
                    )
                    .with_label("second business step")
                    .with_related(self.tree.span_of(&path.key("type")), "declared single-api here")
                    .with_help("use `type: mixed` for several steps; the token request (`token:`) does not count"),
                );
            }
            SceneType::Mixed if steps.len() == 1 => self.diags.push(
                self.warning(
                    "plan::scene-type",
                    &path.key("type"),
                    "a mixed scene with one step is a single-api test",
                )
                .with_help("use `type: single-api`"),
            ),
            SceneType::Tuning if scene.sweep.is_none() => self.diags.push(
                self.err(
                    "plan::scene-type",
                    &path.key("type"),
                    "a tuning scene needs a `sweep`",
                )
                .with_help("e.g. `sweep: { over: load.max, values: [50, 100, 200] }`"),
            ),
            _ => {}
        }
        if scene.sweep.is_some() && scene.kind != SceneType::Tuning {
            self.diags.push(
                self.key_err(
                    "plan::scene-type",
                    &path.key("sweep"),
                    "`sweep` belongs to `type: tuning` scenes",
                )
                .with_help("set `type: tuning` or remove the sweep"),
            );
        }
        if scene.soak.is_some() && scene.kind != SceneType::Soak {
            self.diags.push(self.key_err(
                "plan::scene-type",
                &path.key("soak"),
                "`soak` belongs to `type: soak` scenes",
            ));
        }
        if let Some(sweep) = &scene.sweep {
            self.sweep(&path.key("sweep"), scene, sweep);
        }
        if let Some(soak) = &scene.soak {
            let p = path.key("soak");
            if let Some(segment) = soak.segment {
                if segment > MAX_RUN || segment.as_millis() == 0 {
                    self.diags.push(self.err(
                        "plan::out-of-range",
                        &p.key("segment"),
                        format!("segment {segment}; a PTS run lasts 1m to 24h"),
                    ));
                } else {
                    // Shorter than a minute: the local backend runs it (tests, trials).
                    self.whole_minutes(&p.key("segment"), segment);
                }
            }
            if let Some(gap) = soak.max_gap {
                let segment = soak.segment.unwrap_or(MAX_RUN);
                if gap >= segment {
                    self.diags.push(self.err(
                        "plan::out-of-range",
                        &p.key("max_gap"),
                        format!("a gap of {gap} between segments of {segment} is no soak"),
                    ));
                } else if gap > MAX_SOAK_GAP {
                    self.diags.push(
                        self.warning(
                            "plan::long-gap",
                            &p.key("max_gap"),
                            format!("load may pause {gap} between segments"),
                        )
                        .with_help(format!(
                            "pauses longer than {MAX_SOAK_GAP} let the system recover and hide leaks"
                        )),
                    );
                }
            }
        }
    }

    /// Swept load levels stay inside the scene's other level and PTS's ceiling.
    fn sweep_levels(&mut self, path: &Path, scene: &Scene, sweep: &Sweep) {
        let Some(load) = &scene.load else { return };
        let ceiling = match load.mode {
            Some(LoadMode::Rps) => MAX_RPS,
            _ => MAX_CONCURRENCY,
        };
        let sweeping_max = sweep.over == "load.max";
        let other = if sweeping_max { load.start } else { load.max };
        let mut levels: Vec<(Path, i64)> = Vec::new();
        if let Some(values) = &sweep.values {
            for (i, v) in values.iter().enumerate() {
                if let Scalar::Integer(n) = v {
                    levels.push((path.key("values").index(i), *n));
                }
            }
        }
        if let Some(range) = &sweep.range {
            levels.push((path.key("range").key("from"), i64::from(range.from)));
            levels.push((path.key("range").key("to"), i64::from(range.to)));
        }
        for (p, level) in levels {
            if level > i64::from(ceiling) {
                self.diags.push(self.err(
                    "plan::out-of-range",
                    &p,
                    format!("{level} is above PTS's per-scene maximum of {ceiling}"),
                ));
            }
            match other {
                Some(start) if sweeping_max && level < i64::from(start) => self.diags.push(
                    self.err(
                        "plan::out-of-range",
                        &p,
                        format!("max {level} is below the scene's load.start {start}"),
                    )
                    .with_help("sweep values of `load.max` start at `load.start` or above"),
                ),
                Some(max) if !sweeping_max && level > i64::from(max) => self.diags.push(self.err(
                    "plan::out-of-range",
                    &p,
                    format!("start {level} is above the scene's load.max {max}"),
                )),
                _ => {}
            }
        }
    }

    fn sweep(&mut self, path: &Path, scene: &Scene, sweep: &Sweep) {
        if let Some(each) = sweep.duration_each {
            if each > MAX_RUN || each.as_millis() == 0 {
                self.diags.push(self.err(
                    "plan::out-of-range",
                    &path.key("duration_each"),
                    format!("each sweep run lasts {each}; a PTS run lasts up to {MAX_RUN}"),
                ));
            } else {
                self.whole_minutes(&path.key("duration_each"), each);
            }
        }
        if matches!(sweep.over.as_str(), "load.max" | "load.start") {
            self.sweep_levels(path, scene, sweep);
        }
        let valid_over = match sweep.over.strip_prefix("var.") {
            Some(name) => {
                self.used_vars.insert(name.to_owned());
                if !self.plan.variables.contains_key(name) {
                    self.diags.push(self.err(
                        "plan::undefined-variable",
                        &path.key("over"),
                        format!("variable `{name}` is not defined"),
                    ));
                }
                true
            }
            None => matches!(sweep.over.as_str(), "load.max" | "load.start"),
        };
        if !valid_over {
            self.diags.push(
                self.err(
                    "plan::invalid-value",
                    &path.key("over"),
                    format!("cannot sweep over `{}`", sweep.over),
                )
                .with_help("sweep over `load.max`, `load.start` or a variable `var.NAME`"),
            );
        }
        match (&sweep.values, &sweep.range) {
            (Some(_), Some(_)) | (None, None) => self.diags.push(
                self.err(
                    "plan::invalid-sweep",
                    path,
                    "a sweep has exactly one of `values` or `range`",
                )
                .with_help(
                    "e.g. `values: [50, 100, 200]` or `range: { from: 50, to: 400, step: 50 }`",
                ),
            ),
            (Some(values), None) if values.is_empty() => {
                self.diags.push(self.err(
                    "plan::invalid-sweep",
                    &path.key("values"),
                    "no values to sweep over",
                ));
            }
            (Some(values), None) if sweep.over.starts_with("load.") => {
                for (i, v) in values.iter().enumerate() {
                    if !matches!(v, Scalar::Integer(n) if *n >= 1) {
                        self.diags.push(self.err(
                            "plan::invalid-sweep",
                            &path.key("values").index(i),
                            format!("`{v}` is not a load level (a whole number from 1)"),
                        ));
                    }
                }
            }
            (None, Some(range)) if range.from > range.to || range.from == 0 => {
                self.diags.push(self.err(
                    "plan::invalid-sweep",
                    &path.key("range"),
                    format!("range {}..{} is empty or starts at 0", range.from, range.to),
                ))
            }
            _ => {}
        }
    }

    // ---- load --------------------------------------------------------------------------

    /// Checks the load; returns how the test is laid out in PTS runs when it is usable.
    fn load(&mut self, path: &Path, scene: &Scene) -> Option<Schedule> {
        let Some(load) = &scene.load else {
            self.diags.push(
                self.key_err("plan::missing-key", path, "no `load`")
                    .with_label("this scene has no `load`")
                    .with_help("add `load: { mode: concurrency, max: 10, duration: 5m }` to the scene or to `defaults`"),
            );
            return None;
        };
        let lp = path.key("load");
        let Some(mode) = load.mode else {
            self.diags.push(
                self.err("plan::missing-key", &lp, "missing `mode`")
                    .with_help("`mode: concurrency` (virtual users) or `mode: rps`"),
            );
            return None;
        };
        let Some(duration) = load.duration else {
            self.diags.push(
                self.err("plan::missing-key", &lp, "missing `duration`")
                    .with_help("e.g. `duration: 10m` (ramp included)"),
            );
            return None;
        };
        self.duration(&lp.key("duration"), scene, duration);
        let schedule = Schedule::of(scene, duration);
        let totals = match mode {
            LoadMode::Concurrency => self.concurrency_levels(&lp, scene, load),
            LoadMode::Rps => self.rps_levels(&lp, scene, load),
        };
        if let Some(ramp) = &load.ramp {
            if mode == LoadMode::Rps {
                self.diags.push(
                    self.key_err(
                        "plan::inconsistent",
                        &lp.key("ramp"),
                        "PTS ramps in steps only in concurrency mode",
                    )
                    .with_help("remove `ramp`, or adjust RPS during the run with `ptsplan`"),
                );
            } else if let Some(totals) = &totals {
                self.ramp(&lp.key("ramp"), ramp, totals, schedule.run);
            }
        }
        if let (Some(agents), Some(totals)) = (load.agents, &totals) {
            let per_agent = if mode == LoadMode::Concurrency {
                VU_PER_AGENT
            } else {
                RPS_PER_AGENT
            };
            let cap = totals.max.div_ceil(u64::from(per_agent)).max(1);
            if agents == 0 || u64::from(agents) > cap {
                self.diags.push(
                    self.err("plan::out-of-range", &lp.key("agents"), format!("{agents} agents for a peak of {}; PTS allows 1 to {cap} (one per {per_agent})", totals.max))
                        .with_help("omit `agents` to let PTS decide"),
                );
            }
        }
        Some(schedule)
    }

    fn duration(&mut self, path: &Path, scene: &Scene, duration: Duration) {
        let soak = scene.kind == SceneType::Soak;
        if soak && duration < MIN_SOAK {
            // A warning, not an error: short soaks on the local backend try the chaining
            // and the drift verdict in seconds.
            self.diags.push(
                self.warning(
                    "plan::scene-type",
                    path,
                    format!("a soak test lasts at least {MIN_SOAK}; this one lasts {duration}"),
                )
                .with_label("too short for a soak")
                .with_help("lengthen it, or use `type: single-api` / `mixed` for a short test"),
            );
        }
        if !soak && duration > MAX_RUN {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    path,
                    format!("{duration} is longer than one PTS run (at most {MAX_RUN})"),
                )
                .with_help("use `type: soak`, which chains runs past the 24h maximum"),
            );
        }
        if duration.as_millis() == 0 {
            self.diags
                .push(self.err("plan::out-of-range", path, "a test of zero duration"));
        } else {
            self.whole_minutes(path, duration);
        }
    }

    /// PTS counts run lengths and ramp levels in whole minutes: warn when a duration is
    /// shorter (only the local backend honours it) or gets rounded up.
    fn whole_minutes(&mut self, path: &Path, duration: Duration) {
        if duration.as_millis() == 0 {
            return;
        }
        if duration < Duration::from_mins(1) {
            self.diags.push(self.warning(
                "plan::local-only",
                path,
                format!("{duration} is shorter than PTS's 1-minute minimum; only the local backend runs it as written"),
            ));
        } else if !duration.is_multiple_of(Duration::from_mins(1)) {
            self.diags.push(self.warning(
                "plan::rounded",
                path,
                format!(
                    "PTS counts whole minutes: {duration} runs as {}m",
                    duration.as_millis().div_ceil(60_000)
                ),
            ));
        }
    }

    fn level(&mut self, path: &Path, level: Level, ceiling: u32, unit: &str) {
        if level.start == 0 {
            self.diags.push(self.err(
                "plan::out-of-range",
                &path.key("start"),
                format!("start at 0 {unit}; PTS starts at 1 or more"),
            ));
        }
        if level.max < level.start {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    &path.key("max"),
                    format!("max {} is below start {}", level.max, level.start),
                )
                .with_label("below start")
                .with_related(self.tree.span_of(&path.key("start")), "start"),
            );
        }
        if level.max > ceiling {
            self.diags.push(self.err(
                "plan::out-of-range",
                &path.key("max"),
                format!(
                    "{} {unit} is above PTS's per-scene maximum of {ceiling}",
                    level.max
                ),
            ));
        }
    }

    /// The scene-wide start/max, defaulting each from the other.
    fn scene_level(&self, load: &Load) -> Option<Level> {
        match (load.start, load.max) {
            (None, None) => None,
            (start, max) => {
                let max = max.or(start).unwrap_or(0);
                Some(Level {
                    start: start.unwrap_or(max),
                    max,
                })
            }
        }
    }

    /// Levels for a whole scene (`start`/`max`), after rejecting the other mode's
    /// per-chain or per-step levels.
    fn scene_wide_levels(&mut self, lp: &Path, load: &Load, mode: LoadMode) -> Option<Totals> {
        let words = LevelWords::of(mode);
        self.misplaced_levels(lp, load, &words);
        let Some(level) = self.scene_level(load) else {
            self.diags.push(
                self.err(
                    "plan::missing-key",
                    lp,
                    format!(
                        "no load level: set `max` (and `start`), or `{}:` per {}",
                        words.key, words.per
                    ),
                )
                .with_help(words.example),
            );
            return None;
        };
        self.level(lp, level, words.ceiling, words.unit);
        Some(Totals {
            start: level.start.into(),
            max: level.max.into(),
        })
    }

    /// Per-chain or per-step levels must not add up past PTS's per-scene maximum.
    fn total_ceiling(&mut self, lp: &Path, totals: &Totals, mode: LoadMode) {
        let words = LevelWords::of(mode);
        if totals.max > u64::from(words.ceiling) {
            self.diags.push(self.err(
                "plan::out-of-range",
                &lp.key(words.key),
                format!(
                    "{} {} in total, above PTS's per-scene maximum of {}",
                    totals.max, words.unit, words.ceiling
                ),
            ));
        }
    }

    /// The other mode's per-item levels are an error (per-step levels in concurrency mode,
    /// per-chain levels in RPS mode).
    fn misplaced_levels(&mut self, lp: &Path, load: &Load, words: &LevelWords) {
        if words.misplaced_present(load) {
            self.diags.push(
                self.key_err(
                    "plan::inconsistent",
                    &lp.key(words.other_key),
                    words.misplaced,
                )
                .with_help(words.misplaced_help),
            );
        }
    }

    /// Warns that scene-wide levels lose to per-chain or per-step ones.
    fn scene_wide_ignored(&mut self, lp: &Path, load: &Load, mode: LoadMode) {
        let words = LevelWords::of(mode);
        self.misplaced_levels(lp, load, &words);
        if load.start.is_some() || load.max.is_some() {
            self.diags.push(self.warning(
                "plan::ignored",
                lp,
                format!(
                    "scene-wide `start`/`max` are ignored when `{}:` sets levels per {}",
                    words.key, words.per
                ),
            ));
        }
    }

    fn concurrency_levels(&mut self, lp: &Path, scene: &Scene, load: &Load) -> Option<Totals> {
        let Some(per_chain) = &load.chains else {
            return self.scene_wide_levels(lp, load, LoadMode::Concurrency);
        };
        self.scene_wide_ignored(lp, load, LoadMode::Concurrency);
        let mut totals = Totals { start: 0, max: 0 };
        for (name, level) in per_chain {
            let p = lp.key("chains").key(name);
            if !scene.chains.iter().any(|c| &c.name == name) {
                let d = self.key_err(
                    "plan::undefined-chain",
                    &p,
                    format!("no chain `{name}` in this scene"),
                );
                self.diags.push(suggest(
                    d,
                    name,
                    scene.chains.iter().map(|c| c.name.as_str()),
                ));
            }
            self.level(&p, *level, MAX_CONCURRENCY, "virtual users");
            totals.start += u64::from(level.start);
            totals.max += u64::from(level.max);
        }
        for chain in &scene.chains {
            if !per_chain.contains_key(&chain.name) {
                self.diags.push(
                    self.err(
                        "plan::missing-key",
                        &lp.key("chains"),
                        format!("chain `{}` has no level", chain.name),
                    )
                    .with_help("with per-chain levels, every chain needs one"),
                );
            }
        }
        self.total_ceiling(lp, &totals, LoadMode::Concurrency);
        Some(totals)
    }

    fn rps_levels(&mut self, lp: &Path, scene: &Scene, load: &Load) -> Option<Totals> {
        let Some(per_step) = &load.steps else {
            return self.scene_wide_levels(lp, load, LoadMode::Rps);
        };
        self.scene_wide_ignored(lp, load, LoadMode::Rps);
        let mut totals = Totals { start: 0, max: 0 };
        for (chain_name, steps) in per_step {
            let cp = lp.key("steps").key(chain_name);
            let Some(chain) = scene.chains.iter().find(|c| &c.name == chain_name) else {
                let d = self.key_err(
                    "plan::undefined-chain",
                    &cp,
                    format!("no chain `{chain_name}` in this scene"),
                );
                self.diags.push(suggest(
                    d,
                    chain_name,
                    scene.chains.iter().map(|c| c.name.as_str()),
                ));
                continue;
            };
            for (step_name, level) in steps {
                let sp = cp.key(step_name);
                if !chain.steps.iter().any(|s| &s.name == step_name) {
                    let d = self.key_err(
                        "plan::undefined-step",
                        &sp,
                        format!("chain `{chain_name}` has no step `{step_name}`"),
                    );
                    self.diags.push(suggest(
                        d,
                        step_name,
                        chain.steps.iter().map(|s| s.name.as_str()),
                    ));
                }
                self.level(&sp, *level, MAX_RPS, "requests per second");
                totals.start += u64::from(level.start);
                totals.max += u64::from(level.max);
            }
            // A virtual user walks the chain in order: a later step cannot run more often.
            let mut previous: Option<(&str, Level)> = None;
            for step in &chain.steps {
                let Some(level) = steps.get(&step.name) else {
                    self.diags.push(
                        self.err(
                            "plan::missing-key",
                            &cp,
                            format!("step `{}` has no RPS level", step.name),
                        )
                        .with_help("with per-step levels, every step of the chain needs one"),
                    );
                    continue;
                };
                if let Some((before, prev)) = previous {
                    if level.max > prev.max || level.start > prev.start {
                        let (field, asked, allowed) = if level.max > prev.max {
                            ("max", level.max, prev.max)
                        } else {
                            ("start", level.start, prev.start)
                        };
                        self.diags.push(
                            self.err(
                                "plan::rps-increases",
                                &cp.key(&step.name).key(field),
                                format!("step `{}` asks for {asked} RPS, more than step `{before}` before it ({allowed})", step.name),
                            )
                            .with_label("more than the step before")
                            .with_related(self.tree.span_of(&cp.key(before).key(field)), "the step before")
                            .with_help("each request of a chain follows the one before it, so RPS can only stay equal or fall along a chain"),
                        );
                    }
                }
                previous = Some((&step.name, *level));
            }
        }
        for chain in &scene.chains {
            if !per_step.contains_key(&chain.name) {
                self.diags.push(self.err(
                    "plan::missing-key",
                    &lp.key("steps"),
                    format!("chain `{}` has no RPS levels", chain.name),
                ));
            }
        }
        self.total_ceiling(lp, &totals, LoadMode::Rps);
        Some(totals)
    }

    fn ramp(&mut self, path: &Path, ramp: &Ramp, totals: &Totals, duration: Duration) {
        let pct = ramp.step_percent;
        if !(10..=100).contains(&pct) || pct % 10 != 0 {
            self.diags.push(
                self.err(
                    "plan::out-of-range",
                    &path.key("step_percent"),
                    format!("{pct}%; PTS ramps in steps of 10% to 100% of max, in tens"),
                )
                .with_label("expected 10, 20, … 100"),
            );
            return;
        }
        self.whole_minutes(&path.key("every"), ramp.every);
        if ramp.every.as_millis() == 0 {
            self.diags.push(self.err(
                "plan::out-of-range",
                &path.key("every"),
                "a ramp step of zero time",
            ));
            return;
        }
        if ramp.every >= duration {
            self.diags.push(self.err(
                "plan::out-of-range",
                &path.key("every"),
                format!("each level lasts {} but a run lasts {duration}", ramp.every),
            ));
            return;
        }
        if totals.max <= totals.start {
            self.diags.push(self.warning(
                "plan::ignored",
                path,
                "start equals max: the ramp has nothing to do",
            ));
            return;
        }
        let increment = (totals.max * u64::from(pct)).div_ceil(100).max(1);
        let steps = (totals.max - totals.start).div_ceil(increment);
        let needed = ramp.every * steps;
        if needed > duration {
            self.diags.push(
                self.err(
                    "plan::ramp-too-slow",
                    path,
                    format!(
                        "the ramp never reaches max: {} → {} in steps of {pct}% every {} needs {needed}, but a run lasts {duration}",
                        totals.start, totals.max, ramp.every
                    ),
                )
                .with_label("too slow for the duration")
                .with_help("raise `step_percent`, shorten `every`, start higher, or lengthen `load.duration`"),
            );
        }
    }

    // ---- tokens over the whole test ----------------------------------------------------

    fn token_validity(&mut self, path: &Path, scene: &Scene, schedule: &Schedule) {
        for (i, chain) in scene.chains.iter().enumerate() {
            let Some(name) = &chain.token else { continue };
            let Some(source) = self.plan.token_sources.get(name) else {
                continue;
            };
            let token_path = path.key("chains").index(i).key("token");
            match source {
                TokenSource::Api(api) => self.api_token_lifetime(
                    &token_path,
                    name,
                    api,
                    chain,
                    schedule.debug + schedule.run,
                ),
                TokenSource::Csv(csv) => self.csv_token_expiry(&token_path, name, csv, schedule),
            }
        }
    }

    fn api_token_lifetime(
        &mut self,
        path: &Path,
        name: &str,
        api: &ApiTokenSource,
        chain: &Chain,
        run: Duration,
    ) {
        let source_path = Path::root().key("token_sources").key(name);
        let (interval, why) = match api.refresh.policy {
            RefreshPolicy::PerIteration => {
                let iteration = chain
                    .steps
                    .iter()
                    .map(|s| s.timeout.unwrap_or(DEFAULT_TIMEOUT))
                    .fold(api.request.timeout.unwrap_or(DEFAULT_TIMEOUT), |a, b| a + b);
                (
                    iteration,
                    format!(
                        "one iteration of chain `{}` can take up to {iteration} (the sum of its timeouts)",
                        chain.name
                    ),
                )
            }
            RefreshPolicy::Once => (
                run,
                format!(
                    "it is fetched once per virtual user and a run lasts {run} (debug run included)"
                ),
            ),
            // Checked on the token source itself.
            RefreshPolicy::Interval | RefreshPolicy::BeforeExpiry => return,
        };
        if api.ttl < interval {
            self.diags.push(
                self.err(
                    "plan::token-expires",
                    path,
                    format!("token `{name}` lives {} but {why}: it expires mid-test", api.ttl),
                )
                .with_label("token expires before it is refreshed")
                .with_related(self.tree.span_of(&source_path.key("ttl")), "lifetime declared here")
                .with_help("use `refresh: { policy: before_expiry }` so each virtual user refreshes its token in time"),
            );
        }
    }

    fn csv_token_expiry(
        &mut self,
        path: &Path,
        name: &str,
        csv: &CsvTokenSource,
        schedule: &Schedule,
    ) {
        let span_ms = i64::try_from(schedule.total.as_millis()).unwrap_or(i64::MAX);
        let end = self
            .env
            .now
            .checked_add(jiff::SignedDuration::from_millis(span_ms))
            .unwrap_or(jiff::Timestamp::MAX);
        if csv.expires_at.0 < end {
            let source_path = Path::root().key("token_sources").key(name);
            self.diags.push(
                self.err(
                    "plan::token-expires",
                    path,
                    format!(
                        "tokens of `{name}` expire at {}, before the test ends at {} ({})",
                        csv.expires_at,
                        end.round(jiff::Unit::Second).unwrap_or(end),
                        schedule.describe()
                    ),
                )
                .with_label("tokens expire mid-test")
                .with_related(
                    self.tree.span_of(&source_path.key("expires_at")),
                    "expiry declared here",
                )
                .with_help(format!(
                    "fetch fresh tokens into `{}` and update `expires_at`, or shorten the test",
                    csv.file
                )),
            );
        }
    }

    // ---- leftovers ---------------------------------------------------------------------

    fn unused(&mut self) {
        for name in self.plan.variables.keys() {
            if !self.used_vars.contains(name) {
                let p = Path::root().key("variables").key(name);
                self.diags.push(
                    self.warning(
                        "plan::unused",
                        &p,
                        format!("variable `{name}` is never used"),
                    )
                    .at(self.tree.key_span_of(&p)),
                );
            }
        }
        for name in self.plan.token_sources.keys() {
            if !self.used_tokens.contains(name) {
                let p = Path::root().key("token_sources").key(name);
                self.diags.push(
                    self.warning(
                        "plan::unused",
                        &p,
                        format!("token source `{name}` is not used by any chain"),
                    )
                    .at(self.tree.key_span_of(&p))
                    .with_help(format!("add `token: {name}` to the chains that need it")),
                );
            }
        }
    }
}

/// The scope without the parameters a token source itself provides (its request runs
/// before it has a token).
fn scope_without_token(scope: &Scope, token: &str) -> Scope {
    let suffix = format!("token source `{token}`");
    scope
        .iter()
        .filter(|(_, from)| !from.ends_with(&suffix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The last line of a `regex` error ("error: unclosed group"), without its `error: ` prefix.
fn regex_problem(text: &str) -> &str {
    let line = text.lines().last().unwrap_or(text).trim();
    line.strip_prefix("error: ").unwrap_or(line)
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `d` with a "did you mean" hint when `word` looks like a typo of a candidate.
/// What the scopes of thresholds name: the chains and their steps of a PTS scene, or the
/// thread groups and their samplers of a JMeter script.
struct Scopes<'a> {
    /// Chain names and their step names; `None`: unknown (not checked).
    layout: Option<&'a [(&'a str, Vec<&'a str>)]>,
    /// What `chain:` names (`chain`, `thread group`).
    chain: &'static str,
    /// What `step:` names (`step`, `sampler`).
    step: &'static str,
    /// Where they are looked for, for messages (`this scene`, `orders.jmx`).
    place: String,
}

fn suggest<'c>(
    d: Diagnostic,
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Diagnostic {
    match did_you_mean(word, candidates) {
        Some(guess) => d.with_help(format!("did you mean `{guess}`?")),
        None => d,
    }
}

/// The plan-file spelling of an enum value (its serde name).
fn word<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostic;

    /// The diagnostics of `plan` (written to a temporary file) and the file's text.
    fn check(plan: &str) -> (Vec<Diagnostic>, String) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("plan.yaml");
        fs::write(&path, plan).expect("write the plan");
        let env = Env {
            now: "2026-11-23T00:00:00Z".parse().expect("a timestamp"),
            var: &|_| None,
            require_env: false,
        };
        let loaded = crate::spec::check(&path, &env);
        let all = loaded.diagnostics.sorted().into_iter().cloned().collect();
        (all, plan.to_owned())
    }

    fn find<'d>(diags: &'d [Diagnostic], code: &str) -> &'d Diagnostic {
        diags
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("no {code} in {diags:#?}"))
    }

    fn at(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    const HEAD: &str = "version: 1\nworkspace: mall-mp\n";

    fn scene(name_line: &str, steps: &str, extra: &str) -> String {
        format!(
            "{HEAD}scenes:\n  checkout:\n{name_line}    type: mixed\n    chains:\n      - name: buyer\n        steps:\n{steps}{extra}"
        )
    }

    const LOAD: &str = "    load: { mode: concurrency, start: 1, max: 10, duration: 10m }\n";

    #[test]
    fn structural_and_semantic_mistakes_of_one_scene_come_out_together() {
        let plan = format!(
            "{HEAD}scenes:\n  checkout:\n    type: single-api\n    chains:\n      - name: buyer\n        token: wechat\n        steps:\n          - name: pay\n            url: http://127.0.0.1:8080/pay/${{order}}\n            timout: 5s\n    load: {{ mode: rps, max: lots, duration: 90 }}\n"
        );
        let (diags, _) = check(&plan);
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        for code in [
            "plan::unknown-key",
            "plan::wrong-type",
            "plan::undefined-token-source",
            "plan::undefined-parameter",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        // The removed `load.max` and `load.duration` are not blamed a second time.
        assert!(!codes.contains(&"plan::missing-key"), "{codes:?}");
    }

    #[test]
    fn an_unset_secret_is_reported_once_with_its_use_count() {
        let steps = "          - name: a\n            url: http://127.0.0.1/a?k=${secret.KEY}\n          - name: b\n            url: http://127.0.0.1/b?k=${secret.KEY}\n";
        let (diags, text) = check(&scene("", steps, LOAD));
        let unset: Vec<_> = diags
            .iter()
            .filter(|d| d.code == "plan::unset-env")
            .collect();
        assert_eq!(unset.len(), 1, "{unset:#?}");
        assert!(
            unset[0].message.contains("used in 2 places"),
            "{}",
            unset[0].message
        );
        assert_eq!(at(&text, unset[0].span.unwrap()), "${secret.KEY}");
    }

    #[test]
    fn a_repeated_extract_names_the_step_that_extracted_it_first() {
        let steps = "          - { name: a, url: 'http://127.0.0.1:1/a', extract: { id: { from: status_code } } }\n          - { name: b, url: 'http://127.0.0.1:1/b', extract: { id: { from: status_code } } }\n";
        let (diags, _) = check(&scene("", steps, LOAD));
        let d = find(&diags, "plan::shadowing");
        assert!(
            d.message
                .ends_with("extracted `id` shadows the value extracted by step `a`"),
            "{}",
            d.message
        );
    }

    #[test]
    fn a_duplicate_scene_name_points_at_both_names() {
        let one = "    name: mp\n    type: single-api\n    chains: [{ name: c, steps: [{ name: s, url: 'http://127.0.0.1:1/' }] }]\n    load: { mode: concurrency, start: 1, max: 1, duration: 1m }\n";
        let plan = format!("{HEAD}scenes:\n  first:\n{one}  second:\n{one}");
        let (diags, text) = check(&plan);
        let d = find(&diags, "plan::scene-name");
        let first = d.related[0].0;
        assert_eq!(at(&text, first), "mp");
        assert!(
            first.start < d.span.unwrap().start,
            "related is the first scene's name"
        );
        assert_eq!(d.label.as_deref(), Some("used again here"));
    }

    #[test]
    fn duplicate_names_label_the_second_use() {
        let steps = "          - { name: a, url: 'http://127.0.0.1:1/a' }\n          - { name: a, url: 'http://127.0.0.1:1/b' }\n";
        let (diags, _) = check(&scene("", steps, LOAD));
        let d = find(&diags, "plan::duplicate-name");
        assert_eq!(d.label.as_deref(), Some("used again here"));
    }

    #[test]
    fn a_check_without_value_points_at_its_operator() {
        let steps = "          - name: a\n            url: http://127.0.0.1:1/a\n            checks: [{ on: body_json, path: stock, op: gte }]\n";
        let (diags, text) = check(&scene("", steps, LOAD));
        let d = find(&diags, "plan::missing-key");
        assert_eq!(at(&text, d.span.unwrap()), "gte");
    }

    #[test]
    fn regex_errors_read_without_the_error_prefix() {
        let steps = "          - name: a\n            url: http://127.0.0.1:1/a\n            checks: [{ on: body_text, op: regex, value: '(a' }]\n";
        let (diags, _) = check(&scene("", steps, LOAD));
        let d = find(&diags, "plan::invalid-regex");
        assert!(
            d.message
                .ends_with("invalid regular expression: unclosed group"),
            "{}",
            d.message
        );
    }

    #[test]
    fn a_scene_without_load_is_pointed_at_by_its_key() {
        let steps = "          - { name: a, url: 'http://127.0.0.1:1/a' }\n";
        let (diags, text) = check(&scene("", steps, ""));
        let d = find(&diags, "plan::missing-key");
        assert_eq!(at(&text, d.span.unwrap()), "checkout");
    }

    #[test]
    fn a_misspelt_reference_does_not_also_report_its_target_unused() {
        let plan = format!(
            "{HEAD}variables:\n  backend: http://127.0.0.1:1\ntoken_sources:\n  login:\n    kind: api\n    request: {{ url: 'http://127.0.0.1:1/t' }}\n    exports: {{ access_token: access_token }}\n    ttl: 2h\n    refresh: {{ policy: before_expiry }}\nscenes:\n  checkout:\n    type: single-api\n    chains: [{{ name: c, token: logn, steps: [{{ name: s, url: '${{var.backnd}}/a' }}] }}]\n{LOAD}"
        );
        let (diags, _) = check(&plan);
        find(&diags, "plan::undefined-variable");
        find(&diags, "plan::undefined-token-source");
        assert!(diags.iter().all(|d| d.code != "plan::unused"), "{diags:#?}");
    }

    #[test]
    fn what_only_a_broken_scene_uses_is_not_reported_unused() {
        let plan = format!(
            "{HEAD}variables:\n  backend: http://127.0.0.1:1\nscenes:\n  checkout:\n    type: single-api\n    chains: [{{ name: c, steps: [{{ name: s, url: '${{var.backend}}/a' }}] }}]\n    load: {{ mode: concurrency, start: 1.0, max: 1, duration: 1m }}\n"
        );
        let (diags, _) = check(&plan);
        find(&diags, "plan::wrong-type");
        assert!(diags.iter().all(|d| d.code != "plan::unused"), "{diags:#?}");
    }

    #[test]
    fn rejected_scene_name_characters_are_named() {
        let steps = "          - { name: a, url: 'http://127.0.0.1:1/a' }\n";
        let plan = scene("", steps, LOAD).replace("  checkout:", "  \"下单/v2#1\":");
        let (diags, _) = check(&plan);
        let d = find(&diags, "plan::scene-name");
        assert!(d.message.contains("uses `/` and `#`"), "{}", d.message);
        assert!(
            d.help
                .as_deref()
                .is_some_and(|h| h.contains("set a `name:`"))
        );
    }
}
