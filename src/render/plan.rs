//! Drawing a [`Plan`]: Terraform-like text, pull-request markdown, versioned JSON.
//!
//! All three start from [`model`], which turns every field change into display lines with
//! secrets already masked: a value holding a secret becomes `(sensitive, changed)` with a
//! short fingerprint of the new value, so a reviewer sees *that* it changed, never *what*.
//! JSON and multi-line values (bodies) are shown as unified diffs.

use std::fmt::Write;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use similar::TextDiff;

use crate::plan::cost::Estimate;
use crate::plan::{Action, FieldChange, Plan, SceneChange};
use crate::redact::Redactor;

/// Version of the JSON plan format (`format_version`).
pub const FORMAT_VERSION: u32 = 1;
/// GitHub's limit for a comment body; markdown output stays below it.
pub const MARKDOWN_LIMIT: usize = 65_536;

/// One displayed change of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// `+ path = value` (values as JSON literals: text quoted)
    Added { path: String, value: String },
    /// `- path = value`
    Removed { path: String, value: String },
    /// `~ path: old → new`
    Changed {
        path: String,
        before: String,
        after: String,
    },
    /// `~ path:` (`+`/`-` for text added or removed whole) followed by unified-diff lines.
    Text {
        mark: &'static str,
        path: String,
        diff: Vec<String>,
    },
    /// A secret: `~ path: (sensitive, changed) [fingerprint]`.
    Sensitive { path: String, fingerprint: String },
}

/// The display model of one field change.
pub fn show(change: &FieldChange, redactor: &Redactor) -> Shown {
    let path = change.dotted();
    let text = |v: &Option<Value>| v.as_ref().map(display_value);
    let (before, after) = (text(&change.before), text(&change.after));
    let secret = [&before, &after]
        .into_iter()
        .flatten()
        .any(|v| redactor.leaks(v));
    if secret {
        let fingerprint = after
            .as_deref()
            .map_or_else(|| "removed".to_owned(), short_hash);
        return Shown::Sensitive { path, fingerprint };
    }
    let literal = |v: &Option<Value>| v.as_ref().map(literal).unwrap_or_default();
    match (before, after) {
        // Multi-line text (a JMX script) created or removed reads as lines, not one literal.
        (None, Some(text)) if text.contains('\n') => Shown::Text {
            mark: "+",
            path,
            diff: unified("", &text),
        },
        (Some(text), None) if text.contains('\n') => Shown::Text {
            mark: "-",
            path,
            diff: unified(&text, ""),
        },
        (None, Some(_)) => Shown::Added {
            path,
            value: literal(&change.after),
        },
        (Some(_), None) => Shown::Removed {
            path,
            value: literal(&change.before),
        },
        (Some(before), Some(after)) => match (pretty_json(&before), pretty_json(&after)) {
            (Some(b), Some(a)) => Shown::Text {
                mark: "~",
                path,
                diff: unified(&b, &a),
            },
            _ if before.contains('\n') || after.contains('\n') => Shown::Text {
                mark: "~",
                path,
                diff: unified(&before, &after),
            },
            _ => Shown::Changed {
                path,
                before: literal(&change.before),
                after: literal(&change.after),
            },
        },
        (None, None) => Shown::Changed {
            path,
            before: String::new(),
            after: String::new(),
        },
    }
}

/// A value as written in the plan output: text quoted, numbers and booleans bare.
fn literal(value: &Value) -> String {
    value.to_string()
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A JSON document (object or array) as pretty text; `None` for anything else.
fn pretty_json(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let value: Value = serde_json::from_str(text).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

fn unified(before: &str, after: &str) -> Vec<String> {
    let diff = TextDiff::from_lines(before, after);
    diff.unified_diff()
        .context_radius(2)
        .to_string()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn short_hash(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..4])
}

fn shown_lines(shown: &Shown) -> Vec<String> {
    match shown {
        Shown::Added { path, value } => vec![format!("+ {path} = {value}")],
        Shown::Removed { path, value } => vec![format!("- {path} = {value}")],
        Shown::Changed {
            path,
            before,
            after,
        } => vec![format!("~ {path}: {before} → {after}")],
        Shown::Sensitive { path, fingerprint } => {
            vec![format!("~ {path}: (sensitive, changed) [{fingerprint}]")]
        }
        Shown::Text { mark, path, diff } => {
            let mut lines = vec![format!("{mark} {path}:")];
            lines.extend(diff.iter().map(|l| format!("    {l}")));
            lines
        }
    }
}

/// The display lines of one field change, the first marked when it forces replacement.
fn change_lines(change: &FieldChange, redactor: &Redactor) -> Vec<String> {
    let mut lines = shown_lines(&show(change, redactor));
    if change.forces_replacement {
        if let Some(first) = lines.first_mut() {
            first.push_str("  # forces replacement");
        }
    }
    lines
}

/// Scenes to create, update and delete, and runs. After Terraform, a replacement counts as
/// one creation and one deletion.
struct Counts {
    create: usize,
    update: usize,
    delete: usize,
    run: usize,
}

fn counts(plan: &Plan) -> Counts {
    let replace = plan.replacements();
    Counts {
        create: plan.count(Action::Create) + replace,
        update: plan.count(Action::Update) + plan.count(Action::StopThenUpdate),
        delete: plan.count(Action::Delete) + replace,
        run: plan.runs(),
    }
}

/// The closing summary line.
pub fn summary(plan: &Plan) -> String {
    if !plan.has_changes() {
        return "No changes. The live scenes match the plan.".to_owned();
    }
    let Counts {
        create,
        update,
        delete,
        run,
    } = counts(plan);
    format!("Plan: {create} to create, {update} to update, {delete} to delete, {run} to run.")
}

fn heading(scene: &SceneChange) -> String {
    let id = scene
        .scene_id
        .as_deref()
        .map(|id| format!(" [{id}]"))
        .unwrap_or_default();
    let run = if scene.run && scene.action != Action::Start {
        ", then run"
    } else {
        ""
    };
    format!(
        "{} {} (\"{}\"){id} {}{run}",
        scene.action.symbol(),
        scene.kind.address(&scene.key),
        scene.name,
        scene.action.verb()
    )
}

/// The scenes that change (no-ops are left out of drawings).
fn changing(plan: &Plan) -> Vec<&SceneChange> {
    plan.scenes
        .iter()
        .filter(|s| s.action != Action::NoOp)
        .collect()
}

/// The plan for terminals.
pub fn text(plan: &Plan, redactor: &Redactor) -> String {
    let mut out = String::new();
    let changing = changing(plan);
    if !changing.is_empty() {
        out.push_str("ptsplan will perform these actions:\n\n");
    }
    for scene in &changing {
        let _ = writeln!(out, "  {}", redactor.redact(&heading(scene)));
        for change in &scene.changes {
            for line in change_lines(change, redactor) {
                let _ = writeln!(out, "      {}", redactor.redact(&line));
            }
        }
        out.push('\n');
    }
    let drifted: Vec<&SceneChange> = plan.scenes.iter().filter(|s| s.drifted).collect();
    if !drifted.is_empty() {
        out.push_str(
            "Drift: changed outside ptsplan since the last apply (the plan puts them back):\n",
        );
        for scene in drifted {
            let _ = writeln!(
                out,
                "  ! {} [{}]",
                scene.kind.address(&scene.key),
                scene.scene_id.as_deref().unwrap_or("?")
            );
        }
        out.push('\n');
    }
    if !plan.estimates.is_empty() {
        out.push_str("Load and cost (PTS billing rule: docs/cost.md):\n");
        for (key, e) in &plan.estimates {
            let _ = writeln!(out, "  {}: {}", e.kind.address(key), describe(e));
            for line in schedule_lines(e) {
                let _ = writeln!(out, "    {line}");
            }
        }
        let _ = writeln!(out, "  total: {} VUM\n", thousands(plan.total_vum()));
    }
    if !plan.notes.is_empty() {
        out.push_str("Notes:\n");
        for note in &plan.notes {
            let _ = writeln!(out, "  - {}", redactor.redact(note));
        }
        out.push('\n');
    }
    out.push_str(&summary(plan));
    out.push('\n');
    out
}

/// Planned runs shown in full; longer schedules show their head and a count.
const SCHEDULE_SHOWN: usize = 10;

/// The runs of a sweep or soak, one line each: `run 2: load.max = 50, 30s`.
fn schedule_lines(e: &Estimate) -> Vec<String> {
    let mut lines: Vec<String> = e
        .schedule
        .iter()
        .take(SCHEDULE_SHOWN)
        .enumerate()
        .map(|(i, r)| format!("run {}: {}, {}", i + 1, r.run, r.duration))
        .collect();
    if e.schedule.len() > SCHEDULE_SHOWN {
        lines.push(format!(
            "… {} more run(s)",
            e.schedule.len() - SCHEDULE_SHOWN
        ));
    }
    lines
}

/// One estimate in words: peak, time, runs, requests, IPs and VUM.
fn describe(e: &Estimate) -> String {
    let unit = if e.mode == "rps" { "RPS" } else { "VU" };
    let runs = if e.runs > 1 {
        format!(" in {} runs", e.runs)
    } else {
        String::new()
    };
    let requests = e
        .requests
        .map(|r| format!(", ~{} requests", thousands(r as f64)))
        .unwrap_or_default();
    format!(
        "peak {} {unit}, {} min{runs}{requests}, {} IP(s), {} VUM",
        thousands(e.peak as f64),
        thousands(e.minutes),
        e.ips,
        thousands(e.vum)
    )
}

/// A number with thousands separators and at most two decimals.
fn thousands(n: f64) -> String {
    let rounded = (n * 100.0).round() / 100.0;
    let whole = rounded.trunc() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let fraction = rounded - whole as f64;
    if fraction.abs() < 1e-9 {
        grouped
    } else {
        format!("{grouped}{}", &format!("{fraction:.2}")[1..])
    }
}

/// One line per scene address and action (`plan --summary`), for very large plans.
pub fn one_line_per_scene(plan: &Plan) -> String {
    plan.scenes
        .iter()
        .map(|s| {
            let action = serde_json::to_value(s.action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!(
                "{} {} {action}{}\n",
                s.action.symbol(),
                s.kind.address(&s.key),
                if s.run { " +run" } else { "" }
            )
        })
        .collect()
}

/// The plan as versioned JSON (documented in docs/plan-json.md).
pub fn json(plan: &Plan, redactor: &Redactor) -> Value {
    let counts = counts(plan);
    let scenes: Vec<Value> = plan
        .scenes
        .iter()
        .map(|s| {
            let changes: Vec<Value> = s
                .changes
                .iter()
                .map(|c| match show(c, redactor) {
                    Shown::Sensitive { path, fingerprint } => json!({
                        "path": path, "sensitive": true, "fingerprint": fingerprint,
                    }),
                    _ => json!({ "path": c.dotted(), "before": c.before, "after": c.after }),
                })
                .collect();
            json!({
                "address": s.kind.address(&s.key),
                "kind": s.kind,
                "key": s.key,
                "name": redactor.redact(&s.name),
                "action": s.action,
                "scene_id": s.scene_id,
                "run": s.run,
                "drifted": s.drifted,
                "live_fingerprint": s.live_fingerprint,
                "replace_paths": s.changes.iter().filter(|c| c.forces_replacement).map(FieldChange::dotted).collect::<Vec<_>>(),
                "changes": changes,
            })
        })
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "summary": {
            "create": counts.create,
            "update": counts.update,
            "replace": plan.replacements(),
            "delete": counts.delete,
            "run": counts.run,
            "changes": plan.has_changes(),
        },
        "scenes": scenes,
        "notes": plan.notes.iter().map(|n| redactor.redact(n)).collect::<Vec<_>>(),
        "estimate": {
            "total_vum": plan.total_vum(),
            "scenes": plan.estimates.iter().map(|(key, e)| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                v["address"] = Value::from(e.kind.address(key));
                v
            }).collect::<Vec<_>>(),
        },
    })
}

/// The plan as markdown for pull-request comments and CI step summaries: a summary table,
/// then one collapsible section per changing scene. Kept under [`MARKDOWN_LIMIT`]: scenes
/// that do not fit are listed with a pointer to the JSON plan.
pub fn markdown(plan: &Plan, redactor: &Redactor) -> String {
    let mut out = String::from("### ptsplan plan\n\n");
    out.push_str(&format!("**{}**\n\n", summary(plan)));
    let changing = changing(plan);
    if !changing.is_empty() {
        out.push_str("| | scene | PTS name | action | fields |\n|---|---|---|---|---|\n");
        for s in &changing {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {}{} | {} |",
                s.action.symbol().trim(),
                // PTS scenes by key, as before JMeter; the other kinds by address.
                if s.kind.is_scene() {
                    s.key.clone()
                } else {
                    s.kind.address(&s.key)
                },
                redactor.redact(&s.name).replace('|', "\\|"),
                s.action.verb(),
                if s.drifted { " (drifted)" } else { "" },
                s.changes.len()
            );
        }
        out.push('\n');
    }
    if !plan.estimates.is_empty() {
        out.push_str(
            "| scene | mode | peak | minutes | runs | IPs | VUM |\n|---|---|---|---|---|---|---|\n",
        );
        for (key, e) in &plan.estimates {
            // PTS scenes by key, as before JMeter; JMeter scenes by address.
            let key = if e.kind.is_scene() {
                key.clone()
            } else {
                e.kind.address(key)
            };
            let _ = writeln!(
                out,
                "| `{key}` | {} | {} | {} | {} | {} | {} |",
                e.mode,
                thousands(e.peak as f64),
                e.minutes,
                e.runs,
                e.ips,
                thousands(e.vum)
            );
        }
        let _ = writeln!(
            out,
            "\nEstimated cost: **{} VUM** (PTS billing rule, see docs/cost.md).\n",
            thousands(plan.total_vum())
        );
        for (key, e) in plan
            .estimates
            .iter()
            .filter(|(_, e)| !e.schedule.is_empty())
        {
            let _ = writeln!(out, "`{key}` runs: {}.\n", schedule_lines(e).join("; "));
        }
    }
    let footer_room = 600;
    let mut left_out = Vec::new();
    for s in &changing {
        let mut section = format!(
            "<details><summary><code>{}</code> {} — {}</summary>\n\n```diff\n",
            s.action.symbol().trim(),
            s.kind.address(&s.key),
            s.action.verb()
        );
        for change in &s.changes {
            for line in change_lines(change, redactor) {
                section.push_str(&redactor.redact(&line).replace("```", "ˋˋˋ"));
                section.push('\n');
            }
        }
        section.push_str("```\n\n</details>\n\n");
        if out.len() + section.len() + footer_room > MARKDOWN_LIMIT {
            left_out.push(s.key.as_str());
        } else {
            out.push_str(&section);
        }
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "_{} scene(s) not shown to stay under GitHub's comment limit ({}); see the JSON plan (`ptsplan plan --format json`) for every change._\n",
            left_out.len(),
            left_out
                .iter()
                .take(10)
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if plan.scenes.iter().any(|s| s.drifted) {
        out.push_str("> **Drift:** some scenes were changed outside ptsplan since the last apply; this plan puts them back.\n\n");
    }
    for note in &plan.notes {
        let _ = writeln!(out, "- {}", redactor.redact(note));
    }
    out
}

#[cfg(test)]
mod tests;
