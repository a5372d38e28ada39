//! Comparing a run with the scene's PTS baseline (`GetPtsSceneBaseLine`): key figures side
//! by side, regressions flagged.
//!
//! The rule (docs/runs.md), per scene and per API present in both:
//!
//! | figure | regression when |
//! |---|---|
//! | mean, p90, p99 latency | more than 20% above the baseline and at least 1 ms more |
//! | success rate | more than 1 percentage point below the baseline |
//! | mean RPS | more than 20% below the baseline |
//!
//! Regressions are reported, not judged: the exit code follows the thresholds only, so a
//! baseline can be adopted without breaking CI.

use serde::Serialize;

use crate::wire::{ApiMetrics, Baseline, SceneMetrics};

/// Relative change that counts as a regression for latencies and RPS.
pub const RELATIVE: f64 = 0.20;
/// Smallest latency increase (ms) that counts, so that 1 ms → 1.3 ms is not flagged.
pub const MIN_LATENCY_MS: f64 = 1.0;
/// Success-rate drop (fraction) that counts: one percentage point.
pub const SUCCESS_POINTS: f64 = 0.01;

/// One figure compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delta {
    /// `scene` or the API name.
    pub subject: String,
    /// `avg`, `p90`, `p99`, `success_rate`, `rps`.
    pub metric: &'static str,
    pub baseline: f64,
    pub actual: f64,
    pub regression: bool,
}

impl Delta {
    /// The change as text: `+35.2%` for latencies and RPS, `-1.5 pt` for rates.
    pub fn change(&self) -> String {
        if self.metric == "success_rate" {
            format!("{:+.2} pt", (self.actual - self.baseline) * 100.0)
        } else if self.baseline == 0.0 {
            "n/a".to_owned()
        } else {
            format!("{:+.1}%", (self.actual / self.baseline - 1.0) * 100.0)
        }
    }

    /// A value of this figure as text.
    pub fn show(&self, value: f64) -> String {
        match self.metric {
            "success_rate" => format!("{:.2}%", value * 100.0),
            "rps" => format!("{value:.1}"),
            _ => format!("{value:.1}ms"),
        }
    }
}

/// The comparison with a baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The baseline's name.
    pub name: Option<String>,
    pub deltas: Vec<Delta>,
}

impl Comparison {
    /// The regressions.
    pub fn regressions(&self) -> impl Iterator<Item = &Delta> {
        self.deltas.iter().filter(|d| d.regression)
    }
}

/// One figure on both sides: `(baseline, this run)`.
type Pair = (Option<f64>, Option<f64>);

/// The figures compared.
struct Sides {
    avg: Pair,
    p90: Pair,
    p99: Pair,
    success: Pair,
    rps: Pair,
}

/// Whether a figure regressed, by the rule of the module table.
fn regressed(metric: &str, baseline: f64, actual: f64) -> bool {
    match metric {
        "success_rate" => actual < baseline - SUCCESS_POINTS,
        "rps" => actual < baseline * (1.0 - RELATIVE),
        _ => actual > baseline * (1.0 + RELATIVE) && actual - baseline >= MIN_LATENCY_MS,
    }
}

fn deltas(subject: &str, sides: Sides, out: &mut Vec<Delta>) {
    let rows = [
        ("avg", sides.avg),
        ("p90", sides.p90),
        ("p99", sides.p99),
        ("success_rate", sides.success),
        ("rps", sides.rps),
    ];
    for (metric, (baseline, actual)) in rows {
        if let (Some(baseline), Some(actual)) = (baseline, actual) {
            out.push(Delta {
                subject: subject.to_owned(),
                metric,
                baseline,
                actual,
                regression: regressed(metric, baseline, actual),
            });
        }
    }
}

/// Compares a report's scene and API figures with a baseline.
pub fn compare(baseline: &Baseline, scene: &SceneMetrics, apis: &[ApiMetrics]) -> Comparison {
    let mut out = Vec::new();
    if let Some(b) = &baseline.scene_baseline {
        deltas(
            "scene",
            Sides {
                avg: (b.avg_rt, scene.avg_rt),
                p90: (b.seg90_rt, scene.seg90_rt),
                p99: (b.seg99_rt, scene.seg99_rt),
                success: (b.success_rate_biz, scene.success_rate_biz),
                rps: (b.avg_tps, scene.avg_tps),
            },
            &mut out,
        );
    }
    for b in &baseline.api_baselines {
        let Some(name) = b.name.as_deref() else {
            continue;
        };
        let Some(api) = apis.iter().find(|a| a.api_name.as_deref() == Some(name)) else {
            continue;
        };
        deltas(
            name,
            Sides {
                avg: (b.avg_rt, api.avg_rt),
                p90: (b.seg90_rt, api.seg90_rt),
                p99: (b.seg99_rt, api.seg99_rt),
                success: (b.success_rate_biz, api.success_rate_biz),
                rps: (b.avg_tps, api.avg_tps),
            },
            &mut out,
        );
    }
    Comparison {
        name: baseline.name.clone(),
        deltas: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regressions_follow_the_documented_rule() {
        let baseline = Baseline {
            name: Some("v1".into()),
            scene_baseline: Some(SceneMetrics {
                avg_rt: Some(10.0),
                seg90_rt: Some(0.5),
                seg99_rt: Some(50.0),
                success_rate_biz: Some(0.999),
                avg_tps: Some(100.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        let scene = SceneMetrics {
            avg_rt: Some(11.9),            // +19%: fine
            seg90_rt: Some(0.9),           // +80% but under 1 ms more: fine
            seg99_rt: Some(61.0),          // +22%: regression
            success_rate_biz: Some(0.985), // -1.4 pt: regression
            avg_tps: Some(81.0),           // -19%: fine
            ..Default::default()
        };
        let c = compare(&baseline, &scene, &[]);
        let flagged: Vec<&str> = c.regressions().map(|d| d.metric).collect();
        assert_eq!(flagged, ["p99", "success_rate"]);
        assert_eq!(c.deltas[2].change(), "+22.0%");
        assert_eq!(c.deltas[3].change(), "-1.40 pt");
    }
}
