//! A sweep's comparison drawn as text (terminal), markdown (`sweep.md`, CI summaries) and
//! JSON (`sweep.json`, the [`Comparison`] as is, format [`super::FORMAT`]).

use std::fmt::Write;

use super::{Comparison, StepResult};

/// One table row's cells — step, value, rps, p50, p90, p99, errors, verdict — shared by
/// text, markdown and the HTML page.
pub fn cells(s: &StepResult) -> [String; 8] {
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1}"));
    [
        s.step.to_string(),
        s.value.clone(),
        s.rps.map_or("-".to_owned(), |v| format!("{v:.1}")),
        ms(s.p50_ms),
        ms(s.p90_ms),
        ms(s.p99_ms),
        s.error_rate
            .map_or("-".to_owned(), |v| format!("{:.2}%", v * 100.0)),
        s.verdict.word(),
    ]
}

fn headers(c: &Comparison) -> [String; 8] {
    [
        "step".into(),
        c.over.clone(),
        "rps".into(),
        "p50 ms".into(),
        "p90 ms".into(),
        "p99 ms".into(),
        "errors".into(),
        "thresholds".into(),
    ]
}

/// The knee, advice and restore lines, without markup.
fn conclusions(c: &Comparison) -> Vec<String> {
    let mut lines = Vec::new();
    let what = if super::over_load(&c.over) {
        "Capacity knee"
    } else {
        "Best value"
    };
    match &c.knee {
        Some(k) => {
            let rps = k
                .rps
                .map(|r| format!(", {r:.1} requests/s"))
                .unwrap_or_default();
            let bound = if k.reached {
                String::new()
            } else {
                " — not reached: the highest step still qualifies, the capacity is at or above it (extend the sweep)".to_owned()
            };
            lines.push(format!(
                "{what}: {} = {} (step {}){rps}{bound}",
                c.over, k.value, k.step
            ));
        }
        None => lines.push(format!(
            "{what}: none — no step qualified (even the lowest load missed the rule)"
        )),
    }
    lines.push(format!("  rule: {}", c.knee_rule));
    match &c.advice {
        Some(a) => lines.push(format!(
            "Suggested rate limit: {} requests/s = {}",
            a.rate_limit, a.rule
        )),
        None => {
            lines.push("Suggested rate limit: none (no knee with a measured throughput)".into())
        }
    }
    lines.push(if c.restored {
        "The scene was restored to its configuration from before the sweep.".to_owned()
    } else {
        "warning: the scene could NOT be restored; it may still hold the last step's settings (run `ptsplan apply`).".to_owned()
    });
    lines
}

fn not_run_notes(c: &Comparison) -> Vec<String> {
    c.steps
        .iter()
        .filter_map(|s| match &s.verdict {
            super::StepVerdict::NotRun { message } => Some(format!(
                "step {} ({} = {}): {message}",
                s.step, c.over, s.value
            )),
            _ => None,
        })
        .collect()
}

/// For terminals.
pub fn text(c: &Comparison) -> String {
    let mut out = format!(
        "Sweep of scene.{} over {} ({} mode), {} step(s)\n\n",
        c.scene,
        c.over,
        c.mode,
        c.steps.len()
    );
    let mut rows = vec![headers(c)];
    rows.extend(c.steps.iter().map(cells));
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i == 7 {
                    format!("{cell:<w$}", w = widths[i])
                } else {
                    format!("{cell:>w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
    out.push('\n');
    for note in not_run_notes(c) {
        let _ = writeln!(out, "  {note}");
    }
    for line in conclusions(c) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// For `sweep.md` and CI step summaries.
pub fn markdown(c: &Comparison) -> String {
    let mut out = format!(
        "# Sweep of `{}` over `{}` ({} mode)\n\n",
        c.scene, c.over, c.mode
    );
    let header = headers(c);
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---:|".repeat(7) + "---|");
    for s in &c.steps {
        let row = cells(s);
        let _ = writeln!(
            out,
            "| {} |",
            row.map(|c| c.replace('|', "\\|")).join(" | ")
        );
    }
    out.push('\n');
    for note in not_run_notes(c) {
        let _ = writeln!(out, "- {note}");
    }
    for line in conclusions(c) {
        match line.strip_prefix("  ") {
            Some(rule) => {
                let _ = writeln!(out, "- _{rule}_\n");
            }
            None => {
                let _ = writeln!(out, "{line}\n");
            }
        }
    }
    out
}

/// `sweep.json`.
pub fn json(c: &Comparison) -> String {
    serde_json::to_string_pretty(c).unwrap_or_default() + "\n"
}
