//! One result from the segments of a soak: their report details merged into one, and
//! their per-second series laid end to end on the soak's clock.
//!
//! | figure | joined as |
//! |---|---|
//! | requests, failures, check failures | summed |
//! | mean latency | weighted by requests |
//! | mean RPS | requests over the summed load time (each segment's requests / its RPS) |
//! | min / max latency | the least / the greatest |
//! | percentiles (p50…p99.9) | the **worst** segment's: an upper bound, as for chains (a soak passes `p99 < X` only when every segment does) |
//!
//! APIs are matched by name and chain across segments (the scene is the same throughout).

use crate::engine::{Findings, SecondStats, Summary};
use crate::wire::{ApiMetrics, GetPtsReportDetailsOutput, ReportOverView, SceneMetrics};

use super::drift::Second;

/// A segment's report and when its load started, seconds after the first segment's.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub offset_s: f64,
    pub details: &'a GetPtsReportDetailsOutput,
}

fn sum_i(values: impl Iterator<Item = Option<i64>>) -> Option<i64> {
    values.fold(None, |acc, v| match v {
        Some(v) => Some(acc.unwrap_or(0) + v),
        None => acc,
    })
}

fn worst(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values.flatten().fold(None, |acc: Option<f64>, v| {
        Some(acc.map_or(v, |a| a.max(v)))
    })
}

fn least(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values.flatten().fold(None, |acc: Option<f64>, v| {
        Some(acc.map_or(v, |a| a.min(v)))
    })
}

/// Weighted mean of `(value, weight)`.
fn weighted(values: impl Iterator<Item = (Option<f64>, Option<i64>)>) -> Option<f64> {
    let (mut total, mut weight) = (0.0, 0.0);
    for (v, w) in values {
        if let (Some(v), Some(w)) = (v, w) {
            total += v * w as f64;
            weight += w as f64;
        }
    }
    (weight > 0.0).then(|| total / weight)
}

/// Requests over load time, the load time of each part being its requests / its RPS.
fn rate(values: impl Iterator<Item = (Option<i64>, Option<f64>)>) -> Option<f64> {
    let (mut requests, mut seconds) = (0.0, 0.0);
    for (count, tps) in values {
        if let (Some(count), Some(tps)) = (count, tps.filter(|t| *t > 0.0)) {
            requests += count as f64;
            seconds += count as f64 / tps;
        }
    }
    (seconds > 0.0).then(|| requests / seconds)
}

fn share(good: Option<i64>, all: Option<i64>) -> Option<f64> {
    let all = all.filter(|a| *a > 0)?;
    Some((all - good.unwrap_or(0)) as f64 / all as f64)
}

/// The scene's figures joined as an API's are (the same fields, fewer of them).
fn scene_metrics(parts: &[&SceneMetrics]) -> SceneMetrics {
    let as_apis: Vec<ApiMetrics> = parts
        .iter()
        .map(|m| ApiMetrics {
            all_count: m.all_count,
            avg_tps: m.avg_tps,
            avg_rt: m.avg_rt,
            seg90_rt: m.seg90_rt,
            seg99_rt: m.seg99_rt,
            fail_count_req: m.fail_count_req,
            fail_count_biz: m.fail_count_biz,
            ..Default::default()
        })
        .collect();
    let j = api_metrics(&as_apis.iter().collect::<Vec<_>>());
    SceneMetrics {
        all_count: j.all_count,
        avg_tps: j.avg_tps,
        avg_rt: j.avg_rt,
        seg90_rt: j.seg90_rt,
        seg99_rt: j.seg99_rt,
        fail_count_req: j.fail_count_req,
        fail_count_biz: j.fail_count_biz,
        success_rate_req: j.success_rate_req,
        success_rate_biz: j.success_rate_biz,
        ..Default::default()
    }
}

fn api_metrics(parts: &[&ApiMetrics]) -> ApiMetrics {
    let all = sum_i(parts.iter().map(|m| m.all_count));
    let failed = sum_i(parts.iter().map(|m| m.fail_count_req));
    let biz = sum_i(parts.iter().map(|m| m.fail_count_biz));
    ApiMetrics {
        api_name: parts.first().and_then(|m| m.api_name.clone()),
        all_count: all,
        avg_tps: rate(parts.iter().map(|m| (m.all_count, m.avg_tps))),
        avg_rt: weighted(parts.iter().map(|m| (m.avg_rt, m.all_count))),
        min_rt: least(parts.iter().map(|m| m.min_rt)),
        max_rt: worst(parts.iter().map(|m| m.max_rt)),
        seg50_rt: worst(parts.iter().map(|m| m.seg50_rt)),
        seg75_rt: worst(parts.iter().map(|m| m.seg75_rt)),
        seg90_rt: worst(parts.iter().map(|m| m.seg90_rt)),
        seg99_rt: worst(parts.iter().map(|m| m.seg99_rt)),
        fail_count_req: failed,
        fail_count_biz: biz,
        success_rate_req: share(failed, all),
        success_rate_biz: share(biz, all),
        ..Default::default()
    }
}

fn engine_summary(parts: &[&Summary]) -> Option<Summary> {
    let first = (*parts.first()?).clone();
    let sum = |f: fn(&Summary) -> u64| parts.iter().map(|s| f(s)).sum::<u64>();
    let requests = sum(|s| s.requests);
    let max = |f: fn(&Summary) -> f64| parts.iter().map(|s| f(s)).fold(f64::MIN, f64::max);
    let seconds: f64 = parts
        .iter()
        .filter(|s| s.rps > 0.0)
        .map(|s| s.requests as f64 / s.rps)
        .sum();
    Some(Summary {
        requests,
        successes: sum(|s| s.successes),
        check_failures: sum(|s| s.check_failures),
        status_failures: sum(|s| s.status_failures),
        timeouts: sum(|s| s.timeouts),
        connect_errors: sum(|s| s.connect_errors),
        other_errors: sum(|s| s.other_errors),
        auth_failures: sum(|s| s.auth_failures),
        expired_token_failures: sum(|s| s.expired_token_failures),
        rps: if seconds > 0.0 {
            requests as f64 / seconds
        } else {
            0.0
        },
        min_ms: parts.iter().map(|s| s.min_ms).fold(f64::MAX, f64::min),
        avg_ms: if requests > 0 {
            parts
                .iter()
                .map(|s| s.avg_ms * s.requests as f64)
                .sum::<f64>()
                / requests as f64
        } else {
            0.0
        },
        max_ms: max(|s| s.max_ms),
        p50_ms: max(|s| s.p50_ms),
        p75_ms: max(|s| s.p75_ms),
        p90_ms: max(|s| s.p90_ms),
        p95_ms: max(|s| s.p95_ms),
        p99_ms: max(|s| s.p99_ms),
        p999_ms: max(|s| s.p999_ms),
        bytes_out: sum(|s| s.bytes_out),
        bytes_in: sum(|s| s.bytes_in),
        ..first
    })
}

/// The segments' report details as one (see the module table); the engine's findings are
/// joined too, their series moved onto the soak's clock.
pub fn details(parts: &[Part<'_>]) -> GetPtsReportDetailsOutput {
    let first = parts.first().map(|p| p.details);
    let last = parts.last().map(|p| p.details);
    let metrics: Vec<&SceneMetrics> = parts
        .iter()
        .filter_map(|p| p.details.scene_metrics.as_ref())
        .collect();
    // APIs in the first segment's order, matched by position and name.
    let apis = first
        .map(|f| {
            f.api_metrics_list
                .iter()
                .enumerate()
                .map(|(i, api)| {
                    let same: Vec<&ApiMetrics> = parts
                        .iter()
                        .filter_map(|p| {
                            p.details
                                .api_metrics_list
                                .get(i)
                                .filter(|a| a.api_name == api.api_name)
                        })
                        .collect();
                    api_metrics(&same)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut joined = GetPtsReportDetailsOutput {
        report_over_view: Some(ReportOverView {
            report_id: first
                .and_then(|f| f.report_over_view.as_ref())
                .and_then(|o| o.report_id.clone()),
            report_name: first
                .and_then(|f| f.report_over_view.as_ref())
                .and_then(|o| o.report_name.clone()),
            start_time: first
                .and_then(|f| f.report_over_view.as_ref())
                .and_then(|o| o.start_time.clone()),
            end_time: last
                .and_then(|l| l.report_over_view.as_ref())
                .and_then(|o| o.end_time.clone()),
            ..Default::default()
        }),
        scene_metrics: (!metrics.is_empty()).then(|| scene_metrics(&metrics)),
        api_metrics_list: apis,
        scene_snap_shot: first.and_then(|f| f.scene_snap_shot.clone()),
        ..Default::default()
    };
    let findings: Vec<(f64, Findings)> = parts
        .iter()
        .filter_map(|p| Some((p.offset_s, Findings::of(p.details)?)))
        .collect();
    if let Some((_, head)) = findings.first() {
        let apis = head
            .apis
            .iter()
            .filter_map(|a| {
                let same: Vec<&Summary> = findings
                    .iter()
                    .filter_map(|(_, f)| {
                        f.apis
                            .iter()
                            .find(|s| s.name == a.name && s.relation == a.relation)
                    })
                    .collect();
                engine_summary(&same)
            })
            .collect();
        let joined_findings = Findings {
            apis,
            token_expiry: findings
                .iter()
                .flat_map(|(_, f)| f.token_expiry.clone())
                .collect(),
            series: series_on_clock(&findings),
        };
        joined_findings.attach(&mut joined);
    }
    joined
}

/// Every segment's per-second figures, their `second` moved by the segment's offset.
fn series_on_clock(findings: &[(f64, Findings)]) -> Vec<SecondStats> {
    findings
        .iter()
        .flat_map(|(offset, f)| {
            let shift = offset.max(0.0).round() as u32;
            f.series.iter().map(move |s| SecondStats {
                second: s.second + shift,
                ..s.clone()
            })
        })
        .collect()
}

/// The whole scene's per-second figures on the soak's clock (APIs summed, latency weighted
/// by requests), for the drift.
pub fn seconds(parts: &[Part<'_>]) -> Vec<Second> {
    let mut out: Vec<Second> = Vec::new();
    for part in parts {
        let Some(findings) = Findings::of(part.details) else {
            continue;
        };
        let mut by_second: std::collections::BTreeMap<u32, (u64, u64, f64)> =
            std::collections::BTreeMap::new();
        for s in &findings.series {
            let entry = by_second.entry(s.second).or_default();
            entry.0 += s.requests;
            entry.1 += s.failures + s.check_failures;
            entry.2 += s.avg_ms * s.requests as f64;
        }
        out.extend(
            by_second
                .into_iter()
                .map(|(second, (requests, errors, weighted))| Second {
                    t: part.offset_s + f64::from(second),
                    requests,
                    errors,
                    avg_ms: if requests > 0 {
                        weighted / requests as f64
                    } else {
                        0.0
                    },
                }),
        );
    }
    out
}
