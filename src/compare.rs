//! "What changed between these two tests?": the configuration diff of two runs' scene
//! snapshots (the planner's normalized view and field diff) and the diff of their figures
//! (scene metrics and per-API metrics, with deltas and percentage change), drawn as text,
//! markdown or versioned JSON.
//!
//! Values of credential-named fields (`Authorization`, `…secret…`, `…token…`) are shown as
//! `(sensitive)`: snapshots hold the values PTS ran with.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::lift::secrets::is_credential_name;
use crate::lift::source::Report;
use crate::plan::{FieldChange, diff, view};
use crate::wire::{ApiMetrics, SceneMetrics};

/// Version of the JSON form (fields are only added within a version).
pub const FORMAT_VERSION: u32 = 1;

/// Shown instead of a sensitive value.
const SENSITIVE: &str = "(sensitive)";

/// Two runs side by side.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub a: RunInfo,
    pub b: RunInfo,
    /// Field changes from A's scene snapshot to B's (empty when a snapshot is missing).
    pub config: Vec<FieldChange>,
    pub scene: Vec<Metric>,
    /// Per API, by name: A's order, then APIs only B ran.
    pub apis: Vec<(String, Vec<Metric>)>,
    /// What could not be compared.
    pub notes: Vec<String>,
}

/// Which run a side is.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// `report R` or the file read.
    pub origin: String,
    pub report_id: Option<String>,
    pub scene_id: Option<String>,
    pub scene_name: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
}

/// One figure of both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    /// `ms`, `%`, `/s` or empty.
    pub unit: &'static str,
    pub a: Option<f64>,
    pub b: Option<f64>,
}

impl Metric {
    /// B − A.
    pub fn delta(&self) -> Option<f64> {
        Some(self.b? - self.a?)
    }

    /// (B − A) / A in percent; none when A is zero or missing.
    pub fn change_percent(&self) -> Option<f64> {
        let (a, b) = (self.a?, self.b?);
        (a != 0.0).then(|| (b - a) / a.abs() * 100.0)
    }
}

/// Compares run `a` with run `b`.
pub fn compare(a: &Report, b: &Report) -> Comparison {
    let mut notes = Vec::new();
    let config = match (&a.details.scene_snap_shot, &b.details.scene_snap_shot) {
        (Some(sa), Some(sb)) => diff::diff(&view::view(sa), &view::view(sb)),
        _ => {
            notes.push("a report holds no scene snapshot: configuration not compared".into());
            Vec::new()
        }
    };
    let empty = SceneMetrics::default();
    let scene = scene_metrics(
        a.details.scene_metrics.as_ref().unwrap_or(&empty),
        b.details.scene_metrics.as_ref().unwrap_or(&empty),
    );
    let mut names: Vec<String> = Vec::new();
    for m in a
        .details
        .api_metrics_list
        .iter()
        .chain(&b.details.api_metrics_list)
    {
        let name = m.api_name.clone().unwrap_or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let find = |list: &[ApiMetrics], name: &str| {
        list.iter()
            .find(|m| m.api_name.as_deref().unwrap_or_default() == name)
            .cloned()
            .unwrap_or_default()
    };
    let apis = names
        .into_iter()
        .map(|name| {
            let metrics = api_metrics(
                &find(&a.details.api_metrics_list, &name),
                &find(&b.details.api_metrics_list, &name),
            );
            (name, metrics)
        })
        .collect();
    Comparison {
        a: info(a),
        b: info(b),
        config,
        scene,
        apis,
        notes,
    }
}

fn info(report: &Report) -> RunInfo {
    let overview = report.details.report_over_view.clone().unwrap_or_default();
    RunInfo {
        origin: report.origin.clone(),
        report_id: report.report_id.clone(),
        scene_id: report.scene_id.clone(),
        scene_name: report
            .details
            .scene_snap_shot
            .as_ref()
            .and_then(|s| s.scene_name.clone()),
        start_time: overview.start_time,
        end_time: overview.end_time,
    }
}

fn int(v: Option<i64>) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    v.map(|v| v as f64)
}

fn percent(v: Option<f64>) -> Option<f64> {
    v.map(|v| v * 100.0)
}

/// One figure: its name, unit and how to read it from either run's metrics.
type Row<T> = (&'static str, &'static str, fn(&T) -> Option<f64>);

/// The rows' figures of both runs, side by side.
fn metrics<T>(a: &T, b: &T, rows: &[Row<T>]) -> Vec<Metric> {
    rows.iter()
        .map(|&(name, unit, read)| Metric {
            name,
            unit,
            a: read(a),
            b: read(b),
        })
        .collect()
}

fn scene_metrics(a: &SceneMetrics, b: &SceneMetrics) -> Vec<Metric> {
    metrics(
        a,
        b,
        &[
            ("requests", "", |m| int(m.all_count)),
            ("rps", "/s", |m| m.avg_tps),
            ("avg", "ms", |m| m.avg_rt),
            ("p90", "ms", |m| m.seg90_rt),
            ("p99", "ms", |m| m.seg99_rt),
            ("failed", "", |m| int(m.fail_count_req)),
            ("check_failures", "", |m| int(m.fail_count_biz)),
            ("success_rate", "%", |m| percent(m.success_rate_req)),
            ("check_success_rate", "%", |m| percent(m.success_rate_biz)),
        ],
    )
}

fn api_metrics(a: &ApiMetrics, b: &ApiMetrics) -> Vec<Metric> {
    metrics(
        a,
        b,
        &[
            ("requests", "", |m| int(m.all_count)),
            ("rps", "/s", |m| m.avg_tps),
            ("avg", "ms", |m| m.avg_rt),
            ("min", "ms", |m| m.min_rt),
            ("max", "ms", |m| m.max_rt),
            ("p50", "ms", |m| m.seg50_rt),
            ("p75", "ms", |m| m.seg75_rt),
            ("p90", "ms", |m| m.seg90_rt),
            ("p99", "ms", |m| m.seg99_rt),
            ("failed", "", |m| int(m.fail_count_req)),
            ("check_failures", "", |m| int(m.fail_count_biz)),
            ("success_rate", "%", |m| percent(m.success_rate_req)),
        ],
    )
}

/// Whether a change's values are to be hidden.
fn sensitive(change: &FieldChange) -> bool {
    change.path.last().is_some_and(|k| is_credential_name(k))
        || [&change.before, &change.after].iter().any(|v| {
            v.as_ref()
                .is_some_and(|v| v.to_string().contains("${secret."))
        })
}

fn shown(change: &FieldChange, value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_owned(),
        Some(_) if sensitive(change) => SENSITIVE.to_owned(),
        Some(v) => v.to_string(),
    }
}

fn number(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "-".to_owned(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}{unit}"),
        Some(v) => format!("{v:.2}{unit}"),
    }
}

fn signed(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "-".to_owned(),
        Some(v) if v > 0.0 => format!("+{}", number(Some(v), unit)),
        Some(v) => number(Some(v), unit),
    }
}

fn change_text(m: &Metric) -> String {
    match m.change_percent() {
        None => "n/a".to_owned(),
        Some(p) if p > 0.0 => format!("+{p:.1}%"),
        Some(p) => format!("{p:.1}%"),
    }
}

fn describe(side: &str, run: &RunInfo) -> String {
    let mut out = format!("{side}: {}", run.origin);
    if let Some(name) = &run.scene_name {
        let _ = write!(out, ", scene `{name}`");
    }
    if let Some(id) = &run.scene_id {
        let _ = write!(out, " ({id})");
    }
    if let Some(start) = &run.start_time {
        let _ = write!(out, ", {start}");
        if let Some(end) = &run.end_time {
            let _ = write!(out, " → {end}");
        }
    }
    out
}

fn symbol(change: &FieldChange) -> &'static str {
    match (&change.before, &change.after) {
        (None, _) => "+",
        (_, None) => "-",
        _ => "~",
    }
}

/// Plain text for terminals.
pub fn text(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", describe("A", &c.a));
    let _ = writeln!(out, "{}", describe("B", &c.b));
    let _ = writeln!(out);
    if c.config.is_empty() {
        let _ = writeln!(out, "Configuration: no changes");
    } else {
        let _ = writeln!(out, "Configuration (A → B): {}", changes(c.config.len()));
        for change in &c.config {
            let _ = writeln!(
                out,
                "  {} {}: {} → {}",
                symbol(change),
                change.dotted(),
                shown(change, change.before.as_ref()),
                shown(change, change.after.as_ref())
            );
        }
    }
    let table = |out: &mut String, title: &str, metrics: &[Metric]| {
        let _ = writeln!(
            out,
            "\n{title:<22}{:>12}{:>12}{:>12}{:>10}",
            "A", "B", "delta", "change"
        );
        for m in measured(metrics) {
            let [name, a, b, delta, change] = cells(m);
            let _ = writeln!(out, "  {name:<20}{a:>12}{b:>12}{delta:>12}{change:>10}");
        }
    };
    table(&mut out, "Scene", &c.scene);
    for (name, metrics) in &c.apis {
        table(&mut out, &format!("API {name}"), metrics);
    }
    for note in &c.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    out
}

/// Markdown for pull requests and CI summaries.
pub fn markdown(c: &Comparison) -> String {
    let mut out = String::from("### ptsplan compare\n\n");
    let _ = writeln!(out, "- {}", describe("**A**", &c.a));
    let _ = writeln!(out, "- {}\n", describe("**B**", &c.b));
    if c.config.is_empty() {
        out.push_str("**Configuration:** no changes\n");
    } else {
        let _ = writeln!(
            out,
            "**Configuration (A → B):** {}\n\n| | field | A | B |\n|---|---|---|---|",
            changes(c.config.len())
        );
        for change in &c.config {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                symbol(change),
                change.dotted(),
                cell(&shown(change, change.before.as_ref())),
                cell(&shown(change, change.after.as_ref()))
            );
        }
    }
    let table = |out: &mut String, title: &str, metrics: &[Metric]| {
        let _ = writeln!(
            out,
            "\n**{title}**\n\n| metric | A | B | delta | change |\n|---|---:|---:|---:|---:|"
        );
        for m in measured(metrics) {
            let _ = writeln!(out, "| {} |", cells(m).join(" | "));
        }
    };
    table(&mut out, "Scene", &c.scene);
    for (name, metrics) in &c.apis {
        table(&mut out, &format!("API `{name}`"), metrics);
    }
    for note in &c.notes {
        let _ = writeln!(out, "\n> {note}");
    }
    out
}

/// The metrics either run has.
fn measured(metrics: &[Metric]) -> impl Iterator<Item = &Metric> {
    metrics.iter().filter(|m| m.a.is_some() || m.b.is_some())
}

/// A metric's row: name, A, B, delta, change.
fn cells(m: &Metric) -> [String; 5] {
    [
        m.name.to_string(),
        number(m.a, m.unit),
        number(m.b, m.unit),
        signed(m.delta(), m.unit),
        change_text(m),
    ]
}

fn changes(n: usize) -> String {
    if n == 1 {
        "1 change".to_owned()
    } else {
        format!("{n} changes")
    }
}

fn cell(text: &str) -> String {
    format!("`{}`", text.replace('|', "\\|").replace('`', "'"))
}

/// Versioned JSON (`format_version` 1).
pub fn json(c: &Comparison) -> Value {
    let run = |r: &RunInfo| {
        json!({
            "origin": r.origin, "report_id": r.report_id, "scene_id": r.scene_id,
            "scene_name": r.scene_name, "start_time": r.start_time, "end_time": r.end_time,
        })
    };
    let metrics = |list: &[Metric]| -> Vec<Value> {
        list.iter()
            .map(|m| {
                json!({
                    "metric": m.name, "unit": m.unit, "a": m.a, "b": m.b,
                    "delta": m.delta(), "change_percent": m.change_percent(),
                })
            })
            .collect()
    };
    let config: Vec<Value> = c
        .config
        .iter()
        .map(|change| {
            if sensitive(change) {
                json!({ "path": change.dotted(), "sensitive": true })
            } else {
                json!({ "path": change.dotted(), "a": change.before, "b": change.after })
            }
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "a": run(&c.a),
        "b": run(&c.b),
        "config": config,
        "metrics": {
            "scene": metrics(&c.scene),
            "apis": c.apis.iter().map(|(name, m)| json!({ "api": name, "metrics": metrics(m) })).collect::<Vec<_>>(),
        },
        "notes": c.notes,
    })
}
