//! Trends over a soak: a least-squares line through per-second figures, and the verdict
//! on latency and error-rate drift.
//!
//! # The drift rule
//!
//! Over the joined per-second series of all segments (seconds with requests only):
//!
//! - **latency**: a line through each second's mean latency. The soak is *degrading* when
//!   the line rises over the soak by more than `max_latency_rise` percent of its starting
//!   value (default [`DEFAULT_MAX_LATENCY_RISE`], 25%) **and** by at least
//!   [`MIN_LATENCY_RISE_MS`] (so that sub-millisecond noise on a fast target never counts);
//! - **errors**: a line through each second's error rate (failed requests and failed
//!   checks over requests). Degrading when it rises over the soak by more than
//!   `max_error_rise` percentage points (default [`DEFAULT_MAX_ERROR_RISE`], 1 point).
//!
//! The rise is judged over the soak's own span, so the rule holds for a test of minutes
//! and one of days alike; the slopes are also given per hour, the unit leaks are talked
//! about in.

use serde::Serialize;

/// Default tolerated latency rise over a soak, percent of the trend's starting value.
pub const DEFAULT_MAX_LATENCY_RISE: f64 = 25.0;
/// Default tolerated error-rate rise over a soak, percentage points.
pub const DEFAULT_MAX_ERROR_RISE: f64 = 1.0;
/// A latency rise smaller than this is never a drift, whatever its percentage.
pub const MIN_LATENCY_RISE_MS: f64 = 5.0;

/// A straight line `value = intercept + slope × t` fitted by least squares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trend {
    /// Change per second.
    pub slope: f64,
    /// Value at t = 0.
    pub intercept: f64,
    /// Points fitted.
    pub points: usize,
}

impl Trend {
    /// The line's value at `t`.
    pub fn at(&self, t: f64) -> f64 {
        self.intercept + self.slope * t
    }
}

/// The least-squares line through `points` (t, value); `None` for fewer than two distinct
/// times.
pub fn fit(points: &[(f64, f64)]) -> Option<Trend> {
    let points: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .collect();
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (t, v) in &points {
        sxx += (t - mean_t) * (t - mean_t);
        sxy += (t - mean_t) * (v - mean_v);
    }
    if sxx <= f64::EPSILON {
        return None;
    }
    let slope = sxy / sxx;
    Some(Trend {
        slope,
        intercept: mean_v - slope * mean_t,
        points: points.len(),
    })
}

/// What the soak tolerates (the scene's `soak` settings or the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// Percent of the starting latency.
    pub max_latency_rise: f64,
    /// Percentage points of error rate.
    pub max_error_rise: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            max_latency_rise: DEFAULT_MAX_LATENCY_RISE,
            max_error_rise: DEFAULT_MAX_ERROR_RISE,
        }
    }
}

/// One second of the joined soak.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Second {
    /// Seconds since the first segment's load started.
    pub t: f64,
    pub requests: u64,
    /// Failed requests and failed checks.
    pub errors: u64,
    /// Mean latency, ms.
    pub avg_ms: f64,
}

/// The drift found and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// Seconds the series spans.
    pub span_s: f64,
    /// Trend of mean latency: ms per hour, and start and end of the line (ms).
    pub latency_ms_per_hour: Option<f64>,
    pub latency_start_ms: Option<f64>,
    pub latency_end_ms: Option<f64>,
    /// Rise of the latency line over the soak, percent of its start.
    pub latency_rise_pct: Option<f64>,
    /// Trend of the error rate: percentage points per hour, and rise over the soak.
    pub error_points_per_hour: Option<f64>,
    pub error_rise_points: Option<f64>,
    pub tolerance: Tolerance,
    /// `pass` or `degrading`.
    pub verdict: DriftVerdict,
    /// Why it is degrading, in words.
    pub reasons: Vec<String>,
}

/// The soak's trend verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftVerdict {
    Pass,
    Degrading,
    /// Too few seconds with requests to fit a line.
    Unknown,
}

/// Judges `series` against `tolerance` (the module's rule).
pub fn judge(series: &[Second], tolerance: Tolerance) -> Drift {
    let busy: Vec<&Second> = series.iter().filter(|s| s.requests > 0).collect();
    let first = busy.first().map_or(0.0, |s| s.t);
    let last = busy.last().map_or(0.0, |s| s.t);
    let latency = fit(&busy.iter().map(|s| (s.t, s.avg_ms)).collect::<Vec<_>>());
    let errors = fit(&busy
        .iter()
        .map(|s| (s.t, s.errors as f64 / s.requests as f64))
        .collect::<Vec<_>>());
    let span = last - first;
    let (start, end) = match latency {
        Some(l) => (Some(l.at(first)), Some(l.at(last))),
        None => (None, None),
    };
    let rise_pct = match (start, end) {
        (Some(s), Some(e)) => Some((e - s) / s.max(1.0) * 100.0),
        _ => None,
    };
    let error_rise = errors.map(|e| e.slope * span * 100.0);
    let mut reasons = Vec::new();
    if let (Some(pct), Some(s), Some(e)) = (rise_pct, start, end)
        && pct > tolerance.max_latency_rise
        && e - s >= MIN_LATENCY_RISE_MS
    {
        reasons.push(format!(
            "mean latency rose from {s:.1}ms to {e:.1}ms along its trend ({pct:+.0}%, more than the {:.0}% tolerated)",
            tolerance.max_latency_rise
        ));
    }
    if let Some(points) = error_rise.filter(|p| *p > tolerance.max_error_rise) {
        reasons.push(format!(
            "the error rate rose {points:.2} percentage points along its trend (more than the {:.2} tolerated)",
            tolerance.max_error_rise
        ));
    }
    let verdict = if latency.is_none() {
        DriftVerdict::Unknown
    } else if reasons.is_empty() {
        DriftVerdict::Pass
    } else {
        DriftVerdict::Degrading
    };
    Drift {
        span_s: span,
        latency_ms_per_hour: latency.map(|l| l.slope * 3600.0),
        latency_start_ms: start,
        latency_end_ms: end,
        latency_rise_pct: rise_pct,
        error_points_per_hour: errors.map(|e| e.slope * 3600.0 * 100.0),
        error_rise_points: error_rise,
        tolerance,
        verdict,
        reasons,
    }
}
