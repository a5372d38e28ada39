//! The HTML page of a tuning sweep (`sweep.html` in the evidence bundle): the knee and
//! rate-limit advice, throughput and latency percentiles per load step as charts, and the
//! comparison table. Self-contained like a run's page.
//!
//! Element ids: `knee` (the conclusions), `chart-throughput`, `chart-latency`,
//! `chart-errors`, `steps` (the table; rows have class `pass`, `fail` or `knee`).

use std::fmt::Write;

use super::chart::{Chart, Kind, Series};
use super::{ERRORS, P50, P90, P99, RPS, close_page, escape, meta, open_page};
use crate::sweep::{Comparison, StepResult, StepVerdict};

/// The page of `c`; `generated_at` is any readable timestamp.
pub fn render_sweep(c: &Comparison, generated_at: &str) -> String {
    let mut page = open_page(
        &format!("Sweep of {} over {}", c.scene, c.over),
        generated_at,
    );
    meta(
        &mut page,
        &[
            ("scene".to_owned(), c.scene.clone()),
            ("swept".to_owned(), c.over.clone()),
            ("mode".to_owned(), c.mode.clone()),
            ("steps".to_owned(), c.steps.len().to_string()),
        ],
    );
    let class = if c.knee.is_some() { "pass" } else { "fail" };
    let _ = write!(page, "<div id=\"knee\" class=\"banner {class}\">");
    for line in crate::sweep::render::text(c)
        .lines()
        .skip_while(|l| !(l.starts_with("Capacity knee") || l.starts_with("Best value")))
    {
        let _ = write!(page, "{}<br>", escape(line.trim()));
    }
    page.push_str("</div>\n");
    charts(&mut page, c);
    table(&mut page, c);
    close_page(page)
}

/// The x of a step: its level, else its position.
fn x(s: &StepResult) -> f64 {
    s.level.unwrap_or(s.step as f64)
}

fn series(
    c: &Comparison,
    label: &str,
    color: &'static str,
    f: fn(&StepResult) -> Option<f64>,
) -> Series {
    let mut points: Vec<(f64, f64)> = c
        .steps
        .iter()
        .map(|s| (x(s), f(s).unwrap_or(f64::NAN)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Series {
        label: label.to_owned(),
        color,
        points,
    }
}

fn charts(page: &mut String, c: &Comparison) {
    let axis = if c.steps.iter().all(|s| s.level.is_some()) {
        ""
    } else {
        " (step)"
    };
    let _ = writeln!(
        page,
        "<h2>Per step, by {}{axis}</h2>\n<div class=\"charts\">",
        escape(&c.over)
    );
    let charts = [
        Chart {
            id: "chart-throughput".into(),
            title: "Throughput",
            unit: "req/s",
            kind: Kind::Lines,
            series: vec![series(c, "rps", RPS, |s| s.rps)],
        },
        Chart {
            id: "chart-latency".into(),
            title: "Latency percentiles",
            unit: "ms",
            kind: Kind::Lines,
            series: vec![
                series(c, "p50", P50, |s| s.p50_ms),
                series(c, "p90", P90, |s| s.p90_ms),
                series(c, "p99", P99, |s| s.p99_ms),
            ],
        },
        Chart {
            id: "chart-errors".into(),
            title: "Error rate",
            unit: "%",
            kind: Kind::Lines,
            series: vec![series(c, "errors", ERRORS, |s| {
                s.error_rate.map(|e| e * 100.0)
            })],
        },
    ];
    for chart in &charts {
        page.push_str(&chart.render_over(""));
        page.push('\n');
    }
    page.push_str("</div>\n");
}

fn table(page: &mut String, c: &Comparison) {
    let _ = writeln!(
        page,
        "<h2>Steps</h2>\n<table id=\"steps\">\n<thead><tr><th class=\"num\">step</th><th class=\"num\">{}</th><th class=\"num\">rps</th><th class=\"num\">p50 ms</th><th class=\"num\">p90 ms</th><th class=\"num\">p99 ms</th><th class=\"num\">errors</th><th>thresholds</th><th>run</th></tr></thead>\n<tbody>",
        escape(&c.over)
    );
    let knee = c.knee.as_ref().map(|k| k.step);
    for s in &c.steps {
        let class = match (&s.verdict, knee == Some(s.step)) {
            (_, true) => "knee pass",
            (StepVerdict::Passed | StepVerdict::NoThresholds, _) => "pass",
            _ => "fail",
        };
        let cells = crate::sweep::render::cells(s).map(|c| escape(&c));
        let _ = write!(page, "<tr class=\"{class}\">");
        for (i, cell) in cells.iter().enumerate() {
            let kind = if i == 7 { "result" } else { "num" };
            let _ = write!(page, "<td class=\"{kind}\">{cell}</td>");
        }
        let _ = writeln!(
            page,
            "<td><code>{}</code></td></tr>",
            escape(s.plan_id.as_deref().unwrap_or("-"))
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::{LoadMode, Scalar};

    fn comparison() -> Comparison {
        let steps = [(10, 98.0, 108.0, true), (20, 99.0, 211.0, false)]
            .into_iter()
            .enumerate()
            .map(|(i, (level, rps, p99, passed))| StepResult {
                step: i + 1,
                value: Scalar::Integer(level).to_string(),
                level: Some(level as f64),
                plan_id: Some("<PLAN>".into()),
                rps: Some(rps),
                p50_ms: Some(p99 - 5.0),
                p90_ms: Some(p99 - 2.0),
                p99_ms: Some(p99),
                error_rate: Some(0.0),
                requests: Some(rps * 10.0),
                verdict: if passed {
                    StepVerdict::Passed
                } else {
                    StepVerdict::Failed { failed: 1 }
                },
            })
            .collect();
        Comparison::of("cap<a>", "load.max", LoadMode::Concurrency, steps, true)
    }

    #[test]
    fn the_sweep_page_is_self_contained_with_its_charts_and_knee() {
        let page = render_sweep(&comparison(), "2026-11-23T00:00:00Z");
        for id in [
            "knee",
            "chart-throughput",
            "chart-latency",
            "chart-errors",
            "steps",
        ] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(
            !page.contains("<script") && !page.contains("http://"),
            "no script, no fetch"
        );
        // Text from plans and backends is escaped.
        assert!(page.contains("cap&lt;a&gt;") && page.contains("&lt;PLAN&gt;"));
        assert!(
            page.contains("class=\"knee pass\""),
            "the knee row is marked"
        );
        assert!(page.contains("Suggested rate limit: 78 requests/s"));
    }
}
