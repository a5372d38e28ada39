//! The figures thresholds are judged on, per scene, chain or step, read from a report.
//!
//! PTS reports give whole-scene numbers (`SceneMetrics`) and per-API numbers
//! (`ApiMetricsList`), nothing per chain. So:
//!
//! | scope | figures |
//! |---|---|
//! | scene | `SceneMetrics`; min/max latency from the APIs |
//! | step | the API of that name in that chain (`ApiMetrics`) |
//! | chain | the chain's APIs together: counts and RPS summed, mean latency weighted by requests, percentiles and max the **worst** of its APIs (an upper bound: a chain passes `p99 < X` only when each of its requests' APIs does) |
//!
//! The local engine adds its own findings (every percentile, see
//! [`crate::engine::Findings`]), so p95 and p99.9 are known there; on PTS they are not,
//! and a threshold on them is reported as not measurable rather than passed.

use crate::engine::Findings;
use crate::spec::threshold::Metric;
use crate::wire::{ApiMetrics, GetPtsReportDetailsOutput, Scene};

/// Figures of one scope. `None`: the report does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub requests: Option<f64>,
    /// Failed requests (status, timeout, connection), without checkpoint failures.
    pub failed: Option<f64>,
    /// Requests whose checkpoints failed.
    pub check_failures: Option<f64>,
    pub rps: Option<f64>,
    pub avg_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Percentiles in thousandths (p99 → 990), milliseconds.
    pub percentiles: Vec<(u16, f64)>,
}

impl Figures {
    /// The value of `metric`, if the report has it.
    pub fn value(&self, metric: Metric) -> Option<f64> {
        let errors = || Some(self.failed? + self.check_failures?);
        match metric {
            Metric::Percentile(p) => self
                .percentiles
                .iter()
                .find(|(q, _)| *q == p)
                .map(|(_, v)| *v),
            Metric::AvgLatency => self.avg_ms,
            Metric::MinLatency => self.min_ms,
            Metric::MaxLatency => self.max_ms,
            Metric::SuccessRate => {
                let requests = self.requests?;
                Some(if requests > 0.0 {
                    (requests - errors()?) / requests
                } else {
                    0.0
                })
            }
            Metric::ErrorRate => Some(1.0 - self.value(Metric::SuccessRate)?),
            Metric::Rps => self.rps,
            Metric::Requests => self.requests,
            Metric::Errors => errors(),
            Metric::CheckFailures => self.check_failures,
        }
    }

    fn of_api(api: &ApiMetrics, engine: Option<&crate::engine::Summary>) -> Figures {
        let mut percentiles: Vec<(u16, f64)> = [
            (500, api.seg50_rt),
            (750, api.seg75_rt),
            (900, api.seg90_rt),
            (990, api.seg99_rt),
        ]
        .into_iter()
        .filter_map(|(p, v)| Some((p, v?)))
        .collect();
        if let Some(s) = engine {
            percentiles.push((950, s.p95_ms));
            percentiles.push((999, s.p999_ms));
        }
        Figures {
            requests: api.all_count.map(|n| n as f64),
            failed: api.fail_count_req.map(|n| n as f64),
            check_failures: api.fail_count_biz.map(|n| n as f64),
            rps: api.avg_tps,
            avg_ms: api.avg_rt,
            min_ms: api.min_rt,
            max_ms: api.max_rt,
            percentiles,
        }
    }

    /// Several APIs as one (a chain): see the module table.
    fn combined(parts: &[Figures]) -> Figures {
        fn sum(parts: &[Figures], f: fn(&Figures) -> Option<f64>) -> Option<f64> {
            parts.iter().map(f).sum()
        }
        fn worst(parts: &[Figures], f: impl Fn(&Figures) -> Option<f64>) -> Option<f64> {
            parts
                .iter()
                .map(f)
                .try_fold(f64::MIN, |a, v| Some(a.max(v?)))
        }
        if parts.is_empty() {
            return Figures::default();
        }
        let requests = sum(parts, |f| f.requests);
        let weighted = sum(parts, |f| Some(f.avg_ms? * f.requests?));
        let percentiles = [500u16, 750, 900, 950, 990, 999]
            .into_iter()
            .filter_map(|p| {
                let value = worst(parts, |f| f.value(Metric::Percentile(p)))?;
                Some((p, value))
            })
            .collect();
        Figures {
            requests,
            failed: sum(parts, |f| f.failed),
            check_failures: sum(parts, |f| f.check_failures),
            rps: sum(parts, |f| f.rps),
            avg_ms: match (weighted, requests) {
                (Some(w), Some(r)) if r > 0.0 => Some(w / r),
                _ => None,
            },
            min_ms: parts
                .iter()
                .map(|f| f.min_ms)
                .try_fold(f64::MAX, |a, v| Some(a.min(v?))),
            max_ms: worst(parts, |f| f.max_ms),
            percentiles,
        }
    }
}

/// A report's figures, indexed by scope.
#[derive(Debug, Clone, Default)]
pub struct ReportFigures {
    pub scene: Figures,
    /// `(chain, step, figures)` in the order of the scene's relations.
    pub steps: Vec<(String, String, Figures)>,
}

impl ReportFigures {
    /// Reads `details`; `scene` (the scene that ran, or the report's snapshot) says which
    /// API belongs to which chain.
    pub fn of(details: &GetPtsReportDetailsOutput, scene: Option<&Scene>) -> ReportFigures {
        let findings = Findings::of(details).unwrap_or_default();
        let scene_shape = scene.or(details.scene_snap_shot.as_ref());
        let layout: Vec<(String, String)> = scene_shape
            .map(|s| {
                s.relation_list
                    .iter()
                    .flat_map(|r| {
                        let chain = r.relation_name.clone().unwrap_or_default();
                        r.api_list
                            .iter()
                            .map(move |a| (chain.clone(), a.api_name.clone().unwrap_or_default()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let apis = &details.api_metrics_list;
        // One entry per API in scene order when the counts agree (names may repeat across
        // chains); otherwise by name.
        let positional = apis.len() == layout.len()
            && apis
                .iter()
                .zip(&layout)
                .all(|(a, (_, name))| a.api_name.as_deref() == Some(name.as_str()));
        let steps = layout
            .iter()
            .enumerate()
            .filter_map(|(index, (chain, step))| {
                let api = if positional {
                    apis.get(index)
                } else {
                    apis.iter()
                        .find(|a| a.api_name.as_deref() == Some(step.as_str()))
                }?;
                let engine = findings
                    .apis
                    .iter()
                    .find(|s| s.name == *step && s.relation == *chain);
                Some((chain.clone(), step.clone(), Figures::of_api(api, engine)))
            })
            .collect::<Vec<_>>();
        let metrics = details.scene_metrics.clone().unwrap_or_default();
        let all_apis: Vec<Figures> = steps.iter().map(|(_, _, f)| f.clone()).collect();
        let combined = Figures::combined(&all_apis);
        let scene = Figures {
            requests: metrics.all_count.map(|n| n as f64),
            failed: metrics.fail_count_req.map(|n| n as f64),
            check_failures: metrics.fail_count_biz.map(|n| n as f64),
            rps: metrics.avg_tps,
            avg_ms: metrics.avg_rt,
            min_ms: combined.min_ms,
            max_ms: combined.max_ms,
            percentiles: [(900, metrics.seg90_rt), (990, metrics.seg99_rt)]
                .into_iter()
                .filter_map(|(p, v)| Some((p, v?)))
                .collect(),
        };
        ReportFigures { scene, steps }
    }

    /// Figures of one step of a chain.
    pub fn step(&self, chain: &str, step: &str) -> Option<&Figures> {
        self.steps
            .iter()
            .find(|(c, s, _)| c == chain && s == step)
            .map(|(_, _, f)| f)
    }

    /// Figures of a chain (its steps together), if it has any.
    pub fn chain(&self, chain: &str) -> Option<Figures> {
        let parts: Vec<Figures> = self
            .steps
            .iter()
            .filter(|(c, _, _)| c == chain)
            .map(|(_, _, f)| f.clone())
            .collect();
        (!parts.is_empty()).then(|| Figures::combined(&parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(count: f64, p99: f64, failed: f64) -> Figures {
        Figures {
            requests: Some(count),
            failed: Some(failed),
            check_failures: Some(0.0),
            rps: Some(count / 10.0),
            avg_ms: Some(p99 / 2.0),
            min_ms: Some(1.0),
            max_ms: Some(p99 * 2.0),
            percentiles: vec![(990, p99)],
        }
    }

    #[test]
    fn a_chain_sums_counts_and_takes_the_worst_percentile() {
        let chain = Figures::combined(&[api(100.0, 10.0, 0.0), api(300.0, 40.0, 4.0)]);
        assert_eq!(chain.value(Metric::Requests), Some(400.0));
        assert_eq!(chain.value(Metric::Errors), Some(4.0));
        assert_eq!(chain.value(Metric::Percentile(990)), Some(40.0));
        assert_eq!(chain.value(Metric::Rps), Some(40.0));
        // (100 × 5 + 300 × 20) / 400
        assert_eq!(chain.value(Metric::AvgLatency), Some(16.25));
        assert_eq!(chain.value(Metric::SuccessRate), Some(0.99));
        assert_eq!(chain.value(Metric::Percentile(950)), None);
    }

    #[test]
    fn no_requests_is_no_success() {
        let empty = api(0.0, 0.0, 0.0);
        assert_eq!(empty.value(Metric::SuccessRate), Some(0.0));
    }
}
