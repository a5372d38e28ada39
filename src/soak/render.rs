//! The soak section of a run's report: segments and their gaps, the drift and its verdict.
//! The joined result itself is drawn by [`crate::report::render`] like any run's.

use std::fmt::Write;

use super::{DriftVerdict, SoakReport};

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.2}{unit}"))
}

/// Lines shared by text and markdown.
fn lines(r: &SoakReport) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!(
        "Soak of scene.{}: {} of {} segment(s) joined into one result (max gap {:.1}s, largest measured {})",
        r.scene,
        r.segments.len(),
        r.planned_segments,
        r.max_gap_s,
        opt(r.largest_gap_s, "s")
    ));
    for s in &r.segments {
        let gap = match s.gap_before_s {
            Some(g) if s.gap_exceeded => format!(", gap {g:.2}s EXCEEDS max_gap"),
            Some(g) => format!(", gap {g:.2}s"),
            None => String::new(),
        };
        let ending = if s.completed { "" } else { ", stopped early" };
        out.push(format!(
            "  segment {}: run {}, {:.1}s planned, started at +{:.1}s{gap}{ending}",
            s.segment, s.plan_id, s.planned_s, s.offset_s
        ));
    }
    let d = &r.drift;
    out.push(format!(
        "Drift over {:.0}s: latency {} (trend {} → {}, {}), errors {} ({} over the soak)",
        d.span_s,
        opt(d.latency_ms_per_hour, " ms/h"),
        opt(d.latency_start_ms, "ms"),
        opt(d.latency_end_ms, "ms"),
        d.latency_rise_pct
            .map_or("-".to_owned(), |p| format!("{p:+.0}%")),
        opt(d.error_points_per_hour, " points/h"),
        opt(d.error_rise_points, " points"),
    ));
    let verdict = match d.verdict {
        DriftVerdict::Pass => "pass".to_owned(),
        DriftVerdict::Degrading => format!("DEGRADING — {}", d.reasons.join("; ")),
        DriftVerdict::Unknown => "unknown (too few seconds with requests)".to_owned(),
    };
    out.push(format!(
        "Trend verdict: {verdict} (tolerated: latency +{:.0}% and error rate +{:.2} points over the soak)",
        d.tolerance.max_latency_rise, d.tolerance.max_error_rise
    ));
    out
}

/// For terminals.
pub fn text(r: &SoakReport) -> String {
    let mut out = String::new();
    for line in lines(r) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// For `soak.md`.
pub fn markdown(r: &SoakReport) -> String {
    let mut out = format!("# Soak of `{}`\n\n", r.scene);
    out.push_str("| segment | run | planned | start | gap before |\n|---:|---|---:|---:|---:|\n");
    for s in &r.segments {
        let gap = match s.gap_before_s {
            Some(g) if s.gap_exceeded => format!("**{g:.2}s (exceeds max_gap)**"),
            Some(g) => format!("{g:.2}s"),
            None => "-".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.1}s | +{:.1}s | {gap} |",
            s.segment, s.plan_id, s.planned_s, s.offset_s
        );
    }
    out.push('\n');
    for line in lines(r)
        .into_iter()
        .skip(1)
        .filter(|l| !l.starts_with("  "))
    {
        let _ = writeln!(out, "{line}\n");
    }
    out
}
