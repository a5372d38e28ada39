//! The HTML report of a run: one self-contained file to attach to a ticket or open from the
//! evidence bundle, years later, on a machine with no network.
//!
//! [`render`] is a pure function of a [`Report`], plain data the caller fills from
//! whatever it has (the engine's per-second series, PTS's report details, the threshold
//! verdicts it judged). The page holds its CSS inline and draws its charts as inline SVG
//! in Rust, so they show with scripts off; a Content-Security-Policy forbids every fetch.
//! All text from plans and reports is escaped; secrets must be redacted by the caller
//! (the scene configuration in particular).
//!
//! Element ids the page guarantees (tests and scripts may look for them):
//!
//! | id | what |
//! |---|---|
//! | `verdicts` | the thresholds table; rows have class `pass` or `fail` |
//! | `chart-rps-all` | requests per second of every API on one chart |
//! | `api-N-rps`, `api-N-latency`, `api-N-errors` | the charts of the N-th API (from 0, order of [`Report::apis`], then APIs seen only in the timeline) |
//! | `totals` | the per-API table |
//! | `scene-config` | the scene configuration |

mod chart;
mod of_run;
mod sweep;

pub use sweep::render_sweep;

use std::collections::BTreeMap;
use std::fmt::Write;

use chart::{Chart, Kind, Series};

use crate::wire;

/// Everything the page shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// The page title, e.g. the scene name and run id.
    pub title: String,
    /// When the report was made (any readable timestamp).
    pub generated_at: String,
    /// Key facts shown under the title: scene id, report id, start and end, backend…
    pub meta: Vec<(String, String)>,
    /// The scene as it ran (plan YAML or wire JSON), secrets already redacted.
    pub scene_config: String,
    /// One row per threshold judged.
    pub verdicts: Vec<VerdictRow>,
    /// Per-second figures, in time order.
    pub timeline: Vec<TimePoint>,
    /// Final figures per API.
    pub apis: Vec<ApiTotal>,
}

/// One threshold and its outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerdictRow {
    /// What it was judged on: `scene`, `chain buyer`, `buyer / pay`.
    pub subject: String,
    /// The assertion as written: `p99 < 300ms`.
    pub assertion: String,
    /// The measured value, formatted: `212.4ms`.
    pub actual: String,
    /// The bound, formatted: `300ms`.
    pub bound: String,
    pub passed: bool,
}

/// The figures of one second of the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimePoint {
    /// Seconds since the run began.
    pub elapsed_s: f64,
    pub apis: Vec<ApiPoint>,
}

/// One API's figures in one second.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiPoint {
    pub name: String,
    /// Requests completed in the second.
    pub rps: f64,
    pub p50_ms: f64,
    /// Not every source has it (the engine's series keeps p50 and p99).
    pub p90_ms: Option<f64>,
    pub p99_ms: f64,
    pub avg_ms: f64,
    /// Failed requests, checkpoint failures included.
    pub errors: u64,
}

/// One API's figures over the whole run. Missing figures show as a dash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiTotal {
    pub name: String,
    pub requests: Option<i64>,
    pub rps: Option<f64>,
    /// Share of requests that passed status and checkpoints, 0..1.
    pub success_rate: Option<f64>,
    pub avg_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Requests that failed (status, timeout, connection).
    pub failed: Option<i64>,
    /// Requests whose checkpoints failed.
    pub check_failures: Option<i64>,
}

impl From<&wire::ApiMetrics> for ApiTotal {
    fn from(m: &wire::ApiMetrics) -> ApiTotal {
        ApiTotal {
            name: m.api_name.clone().unwrap_or_default(),
            requests: m.all_count,
            rps: m.avg_tps,
            success_rate: m.success_rate_biz,
            avg_ms: m.avg_rt,
            p50_ms: m.seg50_rt,
            p90_ms: m.seg90_rt,
            p99_ms: m.seg99_rt,
            max_ms: m.max_rt,
            failed: m.fail_count_req,
            check_failures: m.fail_count_biz,
        }
    }
}

/// The per-API totals of PTS's report details (`GetPtsReportDetails`).
pub fn totals_from_details(details: &wire::GetPtsReportDetailsOutput) -> Vec<ApiTotal> {
    details
        .api_metrics_list
        .iter()
        .map(ApiTotal::from)
        .collect()
}

/// The timeline of the local engine's per-second series (one entry per API and second).
pub fn timeline_from_series(series: &[crate::engine::SecondStats]) -> Vec<TimePoint> {
    let mut seconds: BTreeMap<u32, Vec<ApiPoint>> = BTreeMap::new();
    for s in series {
        seconds.entry(s.second).or_default().push(ApiPoint {
            name: s.api.clone(),
            rps: s.requests as f64,
            p50_ms: s.p50_ms,
            p90_ms: None,
            p99_ms: s.p99_ms,
            avg_ms: s.avg_ms,
            errors: s.failures + s.check_failures,
        });
    }
    seconds
        .into_iter()
        .map(|(second, apis)| TimePoint {
            elapsed_s: f64::from(second),
            apis,
        })
        .collect()
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Colours of the series (fixed here, never from input).
const RPS: &str = "#2f9e44";
const P50: &str = "#1c7ed6";
const P90: &str = "#f08c00";
const P99: &str = "#e03131";
const AVG: &str = "#868e96";
const ERRORS: &str = "#c92a2a";
/// Line colours of the all-APIs chart, in turn.
const PALETTE: [&str; 8] = [
    "#1c7ed6", "#2f9e44", "#f08c00", "#ae3ec9", "#e03131", "#0c8599", "#5c940d", "#d6336c",
];

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #212529; margin: 0; background: #f8f9fa; }
main { max-width: 1400px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.generated { color: #868e96; margin: 0 0 12px; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 0; }
dl.meta dt { color: #868e96; } dl.meta dd { margin: 0; font-family: ui-monospace, monospace; }
.banner { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 16px 0; }
.banner.pass { background: #d3f9d8; color: #2b8a3e; } .banner.fail { background: #ffe3e3; color: #c92a2a; } .banner.none { background: #e9ecef; color: #495057; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { padding: 6px 10px; border-bottom: 1px solid #dee2e6; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.pass td.result { color: #2b8a3e; font-weight: 600; } tr.fail td.result { color: #c92a2a; font-weight: 600; }
tr.fail { background: #fff5f5; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
svg.chart { background: #fff; border: 1px solid #dee2e6; border-radius: 6px; width: 100%; height: auto; }
svg .chart-title { font-size: 13px; font-weight: 600; fill: #212529; } svg .unit { font-weight: 400; fill: #868e96; }
svg .legend, svg .tick { font-size: 10px; fill: #495057; }
svg .grid { stroke: #e9ecef; } svg .axis { stroke: #adb5bd; } svg .line { stroke-width: 1.8; }
pre { background: #fff; border: 1px solid #dee2e6; border-radius: 6px; padding: 12px; overflow: auto; font-size: 12px; }
.note { color: #868e96; }
"#;

/// The page.
pub fn render(report: &Report) -> String {
    let mut page = open_page(&report.title, &report.generated_at);
    if !report.meta.is_empty() {
        meta(&mut page, &report.meta);
    }
    verdicts(&mut page, &report.verdicts);
    charts(&mut page, report);
    totals(&mut page, &report.apis);
    let _ = write!(
        page,
        "<h2>Scene configuration</h2>\n<pre id=\"scene-config\"><code>{}</code></pre>\n",
        escape(&report.scene_config)
    );
    close_page(page)
}

/// The key facts list under the title.
fn meta(page: &mut String, meta: &[(String, String)]) {
    page.push_str("<dl class=\"meta\">\n");
    for (key, value) in meta {
        let _ = writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(key), escape(value));
    }
    page.push_str("</dl>\n");
}

/// Ends the page opened by [`open_page`].
fn close_page(mut page: String) -> String {
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

/// The page's head (inline style, a policy forbidding every fetch) and its title.
fn open_page(title: &str, generated_at: &str) -> String {
    let mut page = String::with_capacity(16 * 1024);
    let title = escape(title);
    let _ = write!(
        page,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<meta name=\"generator\" content=\"ptsplan {version}\">\n",
            "<title>{title}</title>\n<style>{style}</style>\n</head>\n<body>\n<main>\n",
            "<h1>{title}</h1>\n<p class=\"generated\">Generated {generated} by ptsplan {version}</p>\n"
        ),
        version = env!("CARGO_PKG_VERSION"),
        title = title,
        style = STYLE,
        generated = escape(generated_at),
    );
    page
}

fn verdicts(page: &mut String, rows: &[VerdictRow]) {
    let failed = rows.iter().filter(|r| !r.passed).count();
    let (class, text) = match (rows.len(), failed) {
        (0, _) => ("none", "No thresholds were set for this run.".to_owned()),
        (n, 0) => ("pass", format!("PASSED — all {n} thresholds met")),
        (n, f) => ("fail", format!("FAILED — {f} of {n} thresholds not met")),
    };
    let _ = writeln!(
        page,
        "<div id=\"verdict\" class=\"banner {class}\">{text}</div>"
    );
    if rows.is_empty() {
        return;
    }
    page.push_str(concat!(
        "<h2>Thresholds</h2>\n<table id=\"verdicts\">\n<thead><tr><th>Subject</th><th>Assertion</th>",
        "<th class=\"num\">Actual</th><th class=\"num\">Bound</th><th>Result</th></tr></thead>\n<tbody>\n"
    ));
    for row in rows {
        let (class, result) = if row.passed {
            ("pass", "pass")
        } else {
            ("fail", "FAIL")
        };
        let _ = writeln!(
            page,
            "<tr class=\"{class}\"><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"result\">{result}</td></tr>",
            escape(&row.subject),
            escape(&row.assertion),
            escape(&row.actual),
            escape(&row.bound),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

/// API names in page order: the totals' order, then any seen only in the timeline.
fn api_names(report: &Report) -> Vec<&str> {
    let mut names: Vec<&str> = report.apis.iter().map(|a| a.name.as_str()).collect();
    for point in &report.timeline {
        for api in &point.apis {
            if !names.contains(&api.name.as_str()) {
                names.push(&api.name);
            }
        }
    }
    names
}

fn charts(page: &mut String, report: &Report) {
    page.push_str("<h2>Over time</h2>\n");
    if report.timeline.is_empty() {
        page.push_str("<p class=\"note\" id=\"no-timeline\">No per-second figures were recorded for this run.</p>\n");
        return;
    }
    let names = api_names(report);
    // Points of one API: (seconds, its figures) in time order.
    let points = |name: &str| -> Vec<(f64, &ApiPoint)> {
        report
            .timeline
            .iter()
            .filter_map(|t| {
                t.apis
                    .iter()
                    .find(|a| a.name == name)
                    .map(|a| (t.elapsed_s, a))
            })
            .collect()
    };
    let series = |label: &str,
                  color: &'static str,
                  pts: &[(f64, &ApiPoint)],
                  f: fn(&ApiPoint) -> f64| Series {
        label: label.to_owned(),
        color,
        points: pts.iter().map(|(t, a)| (*t, f(a))).collect(),
    };
    let all = Chart {
        id: "chart-rps-all".into(),
        title: "Requests per second, all APIs",
        unit: "req/s",
        kind: Kind::Lines,
        series: names
            .iter()
            .enumerate()
            .map(|(i, name)| series(name, PALETTE[i % PALETTE.len()], &points(name), |a| a.rps))
            .collect(),
    };
    let _ = writeln!(page, "<div class=\"charts\">{}</div>", all.render());
    for (i, name) in names.iter().enumerate() {
        let pts = points(name);
        let _ = writeln!(page, "<h3 id=\"api-{i}\">{}</h3>", escape(name));
        if pts.is_empty() {
            page.push_str("<p class=\"note\">No per-second figures for this API.</p>\n");
            continue;
        }
        // A second without requests has no latency: NaN leaves it out of the line.
        fn measured(ms: f64, a: &ApiPoint) -> f64 {
            if a.rps > 0.0 { ms } else { f64::NAN }
        }
        let mut latency = vec![series("p50", P50, &pts, |a| measured(a.p50_ms, a))];
        if pts.iter().any(|(_, a)| a.p90_ms.is_some()) {
            latency.push(series("p90", P90, &pts, |a| {
                measured(a.p90_ms.unwrap_or(f64::NAN), a)
            }));
        }
        latency.push(series("p99", P99, &pts, |a| measured(a.p99_ms, a)));
        latency.push(series("avg", AVG, &pts, |a| measured(a.avg_ms, a)));
        let charts = [
            Chart {
                id: format!("api-{i}-rps"),
                title: "Requests per second",
                unit: "req/s",
                kind: Kind::Lines,
                series: vec![series("rps", RPS, &pts, |a| a.rps)],
            },
            Chart {
                id: format!("api-{i}-latency"),
                title: "Latency",
                unit: "ms",
                kind: Kind::Lines,
                series: latency,
            },
            Chart {
                id: format!("api-{i}-errors"),
                title: "Errors",
                unit: "per second",
                kind: Kind::Bars,
                series: vec![series("errors", ERRORS, &pts, |a| a.errors as f64)],
            },
        ];
        page.push_str("<div class=\"charts\">");
        for chart in &charts {
            page.push_str(&chart.render());
        }
        page.push_str("</div>\n");
    }
}

fn totals(page: &mut String, apis: &[ApiTotal]) {
    page.push_str("<h2>Per API</h2>\n");
    if apis.is_empty() {
        page.push_str("<p class=\"note\">The report has no per-API figures.</p>\n");
        return;
    }
    page.push_str(concat!(
        "<table id=\"totals\">\n<thead><tr><th>API</th><th class=\"num\">Requests</th><th class=\"num\">RPS</th>",
        "<th class=\"num\">Success</th><th class=\"num\">Avg ms</th><th class=\"num\">p50 ms</th>",
        "<th class=\"num\">p90 ms</th><th class=\"num\">p99 ms</th><th class=\"num\">Max ms</th>",
        "<th class=\"num\">Failed</th><th class=\"num\">Check failures</th></tr></thead>\n<tbody>\n"
    ));
    let float = |v: Option<f64>, digits: usize| match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "—".to_owned(),
    };
    let int = |v: Option<i64>| v.map_or_else(|| "—".to_owned(), |v| v.to_string());
    for api in apis {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&api.name),
            int(api.requests),
            float(api.rps, 1),
            api.success_rate
                .filter(|r| r.is_finite())
                .map_or_else(|| "—".to_owned(), |r| format!("{:.2}%", r * 100.0)),
            float(api.avg_ms, 2),
            float(api.p50_ms, 2),
            float(api.p90_ms, 2),
            float(api.p99_ms, 2),
            float(api.max_ms, 2),
            int(api.failed),
            int(api.check_failures),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests;
