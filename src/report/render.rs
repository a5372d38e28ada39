//! A [`RunReport`] drawn as text (terminal), markdown (pull requests, CI step summaries)
//! and JSON (versioned, [`super::FORMAT`]).
//!
//! Every assertion is listed with its scope, the measured value and pass/fail; regressions
//! against the baseline and token findings follow.

use std::fmt::Write;

use super::{Ending, RunReport, explain};
use crate::wire::{ApiMetrics, SceneMetrics};

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}ms"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{:.2}%", v * 100.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

fn count(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn ending(report: &RunReport) -> String {
    match &report.ending {
        Ending::Completed => "completed".to_owned(),
        Ending::Stopped { by } => format!("stopped ({by})"),
    }
}

/// The headline: passed, or how many thresholds failed.
fn headline(report: &RunReport) -> String {
    if report.verdicts.is_empty() {
        "no thresholds".to_owned()
    } else if report.passed() {
        format!("thresholds passed ({})", report.verdicts.len())
    } else {
        format!(
            "THRESHOLDS FAILED ({} of {})",
            report.failed_count(),
            report.verdicts.len()
        )
    }
}

/// One row of figures: requests, RPS, success, mean, p90, p99, failures, check failures.
fn api_row(api: &ApiMetrics) -> [String; 8] {
    [
        count(api.all_count),
        num(api.avg_tps),
        pct(api.success_rate_biz),
        ms(api.avg_rt),
        ms(api.seg90_rt),
        ms(api.seg99_rt),
        count(api.fail_count_req),
        count(api.fail_count_biz),
    ]
}

/// The scene's row, in the columns of [`api_row`].
fn scene_row(m: &SceneMetrics) -> [String; 8] {
    [
        count(m.all_count),
        num(m.avg_tps),
        pct(m.success_rate_biz),
        ms(m.avg_rt),
        ms(m.seg90_rt),
        ms(m.seg99_rt),
        count(m.fail_count_req),
        count(m.fail_count_biz),
    ]
}

const COLUMNS: [&str; 9] = [
    "API",
    "requests",
    "rps",
    "success",
    "avg",
    "p90",
    "p99",
    "errors",
    "check fails",
];

/// The report for a terminal.
pub fn text(report: &RunReport) -> String {
    let mut out = String::new();
    let m = &report.metrics;
    let _ = writeln!(
        out,
        "{} ({}): report {}, {}; {}",
        report.address(),
        report.name,
        report.plan_id,
        ending(report),
        headline(report)
    );
    let [requests, rps, success, avg, p90, p99, errors, checks] = scene_row(m);
    let _ = writeln!(
        out,
        "  {requests} requests, {rps} rps, success {success}, avg {avg}, p90 {p90}, p99 {p99}, \
         {errors} errors, {checks} check failures"
    );
    if !report.apis.is_empty() {
        let rows: Vec<Vec<String>> = report
            .apis
            .iter()
            .map(|a| {
                let mut row = vec![a.api_name.clone().unwrap_or_default()];
                row.extend(api_row(a));
                row
            })
            .collect();
        // JMeter reports are per sampler.
        let mut columns = COLUMNS;
        if !report.kind.is_scene() {
            columns[0] = "sampler";
        }
        let widths: Vec<usize> = (0..columns.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([columns[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        out.push('\n');
        let line = |cells: &[&str]| {
            let mut l = String::from(" ");
            for (i, cell) in cells.iter().enumerate() {
                if i == 0 {
                    let _ = write!(l, " {cell:<w$}", w = widths[i]);
                } else {
                    let _ = write!(l, "  {cell:>w$}", w = widths[i]);
                }
            }
            l.trim_end().to_owned() + "\n"
        };
        out.push_str(&line(&columns));
        for row in &rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            out.push_str(&line(&cells));
        }
    }
    if !report.verdicts.is_empty() {
        out.push_str("\nThresholds:\n");
        let scope_w = report
            .verdicts
            .iter()
            .map(|v| v.scope.to_string().chars().count())
            .max()
            .unwrap_or(0);
        let assert_w = report
            .verdicts
            .iter()
            .map(|v| v.assertion.chars().count())
            .max()
            .unwrap_or(0);
        for v in &report.verdicts {
            let actual = match (&v.actual_text, &v.note) {
                (Some(a), _) => format!("actual {a}"),
                (None, Some(note)) => format!("not measured: {note}"),
                (None, None) => "not measured".to_owned(),
            };
            let _ = writeln!(
                out,
                "  {:<10} {:<scope_w$}  {:<assert_w$}  {actual}",
                v.status.word(),
                v.scope.to_string(),
                v.assertion
            );
        }
    }
    if let Some(c) = &report.baseline {
        let regressions = c.regressions().count();
        let _ = writeln!(
            out,
            "\nBaseline{}: {}",
            c.name
                .as_deref()
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default(),
            if regressions == 0 {
                "no regression".to_owned()
            } else {
                format!("{regressions} regression(s)")
            }
        );
        let subject_w = c
            .deltas
            .iter()
            .map(|d| d.subject.chars().count())
            .max()
            .unwrap_or(0);
        for d in &c.deltas {
            let _ = writeln!(
                out,
                "  {:<10} {:<subject_w$} {:<12} {} -> {} ({})",
                if d.regression { "REGRESSED" } else { "ok" },
                d.subject,
                d.metric,
                d.show(d.baseline),
                d.show(d.actual),
                d.change()
            );
        }
    }
    tokens(&mut out, report, "\nTokens:\n", "  ");
    out
}

/// The report as markdown.
pub fn markdown(report: &RunReport) -> String {
    let mut out = String::new();
    let m = &report.metrics;
    let icon = if report.passed() { "✅" } else { "❌" };
    let _ = writeln!(
        out,
        "### {icon} `{}` ({}): {}\n",
        report.address(),
        report.name,
        headline(report)
    );
    let _ = writeln!(
        out,
        "Report `{}`, {}{}.\n",
        report.plan_id,
        ending(report),
        match (&report.start_time, &report.end_time) {
            (Some(s), Some(e)) => format!(", {s} to {e}"),
            _ => String::new(),
        }
    );
    out.push_str("| | requests | rps | success | avg | p90 | p99 | errors | check fails |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(out, "| **scene** | {} |", scene_row(m).join(" | "));
    for a in &report.apis {
        let _ = writeln!(
            out,
            "| `{}` | {} |",
            a.api_name.as_deref().unwrap_or(""),
            api_row(a).join(" | ")
        );
    }
    if !report.verdicts.is_empty() {
        out.push_str("\n| threshold | scope | actual | result |\n|---|---|---:|---|\n");
        for v in &report.verdicts {
            let actual = v
                .actual_text
                .clone()
                .or_else(|| v.note.as_ref().map(|n| format!("not measured: {n}")))
                .unwrap_or_else(|| "-".to_owned());
            let _ = writeln!(
                out,
                "| `{}` | {} | {actual} | {} |",
                v.assertion,
                v.scope,
                if v.status.ok() {
                    "✅ pass".to_owned()
                } else {
                    format!("❌ {}", v.status.word())
                }
            );
        }
    }
    if let Some(c) = &report.baseline {
        let _ = writeln!(
            out,
            "\nBaseline{}:\n\n| subject | figure | baseline | this run | change | |\n|---|---|---:|---:|---:|---|",
            c.name
                .as_deref()
                .map(|n| format!(" `{n}`"))
                .unwrap_or_default()
        );
        for d in &c.deltas {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                d.subject,
                d.metric,
                d.show(d.baseline),
                d.show(d.actual),
                d.change(),
                if d.regression {
                    "⚠️ regression"
                } else {
                    ""
                }
            );
        }
    }
    tokens(&mut out, report, "\nTokens:\n\n", "- ");
    out
}

/// The token findings under `heading`, one per line after `bullet`.
fn tokens(out: &mut String, report: &RunReport, heading: &str, bullet: &str) {
    if !report.token_expiry.is_empty() {
        out.push_str(heading);
        for t in &report.token_expiry {
            let _ = writeln!(out, "{bullet}{}", explain(t));
        }
    }
}

/// The report as pretty JSON, ending in a newline.
pub fn json(report: &RunReport) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{TokenExpiry, TokenExpiryCause};
    use crate::report::baseline::{Comparison, Delta};
    use crate::report::verdict::{Scope, Status, Verdict};
    use crate::report::{FORMAT, RunReport};

    fn report() -> RunReport {
        let api = |name: &str, n: i64, p99: f64| ApiMetrics {
            api_name: Some(name.into()),
            all_count: Some(n),
            avg_tps: Some(n as f64 / 3.0),
            avg_rt: Some(2.0),
            seg90_rt: Some(3.5),
            seg99_rt: Some(p99),
            fail_count_req: Some(0),
            fail_count_biz: Some(2),
            success_rate_biz: Some(1.0 - 2.0 / n as f64),
            ..Default::default()
        };
        let verdict = |assertion: &str, scope: Scope, status, actual: Option<&str>| Verdict {
            assertion: assertion.into(),
            scope,
            status,
            actual: None,
            actual_text: actual.map(Into::into),
            note: actual
                .is_none()
                .then(|| "the report has no p95 for this scene".into()),
        };
        RunReport {
            format: FORMAT,
            kind: crate::plan::Kind::Scene,
            scene: "orders".into(),
            name: "mp-orders".into(),
            scene_id: "S1".into(),
            plan_id: "P1".into(),
            ending: Ending::Completed,
            start_time: Some("2026-11-23 12:00:00".into()),
            end_time: Some("2026-11-23 12:00:03".into()),
            metrics: SceneMetrics {
                all_count: Some(1200),
                avg_tps: Some(400.0),
                avg_rt: Some(2.0),
                seg90_rt: Some(3.5),
                seg99_rt: Some(9.25),
                fail_count_req: Some(0),
                fail_count_biz: Some(4),
                success_rate_biz: Some(0.99667),
                ..Default::default()
            },
            apis: vec![api("token:login", 600, 4.0), api("create-order", 600, 9.25)],
            verdicts: vec![
                verdict("p99 < 300ms", Scope::Scene, Status::Passed, Some("9.25ms")),
                verdict(
                    "success_rate >= 99.9%",
                    Scope::Scene,
                    Status::Failed,
                    Some("99.67%"),
                ),
                verdict(
                    "errors == 0",
                    Scope::Step {
                        chain: "buyer".into(),
                        step: "create-order".into(),
                    },
                    Status::Failed,
                    Some("2"),
                ),
                verdict("p95 < 1000ms", Scope::Scene, Status::Unmeasured, None),
            ],
            baseline: Some(Comparison {
                name: Some("release-1".into()),
                deltas: vec![Delta {
                    subject: "scene".into(),
                    metric: "p99",
                    baseline: 5.0,
                    actual: 9.25,
                    regression: true,
                }],
            }),
            token_expiry: vec![TokenExpiry {
                api: "create-order".into(),
                relation: "buyer".into(),
                cause: TokenExpiryCause::TokenOutlivedLifetime,
                auth_failures: 2,
                after_token_expiry: 2,
                first_second: Some(2),
                successes_before: 598,
            }],
        }
    }

    #[test]
    fn text_report() {
        insta::assert_snapshot!(text(&report()));
    }

    #[test]
    fn markdown_report() {
        insta::assert_snapshot!(markdown(&report()));
    }

    #[test]
    fn json_report_is_versioned() {
        let value: serde_json::Value = serde_json::from_str(&json(&report())).unwrap();
        assert_eq!(value["format"], 1);
        assert_eq!(value["verdicts"][1]["status"], "failed");
        assert_eq!(value["verdicts"][2]["scope"]["kind"], "step");
        assert_eq!(value["ending"]["kind"], "completed");
    }
}
