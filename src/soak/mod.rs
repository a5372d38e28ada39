//! Soak (long-stable) tests: a `type: soak` scene's load split into chained segments no
//! longer than one PTS run, the segments' results joined into one, and the trend verdict
//! (latency and error-rate drift) that tells a leak from a steady system.
//!
//! Pure: `ptsplan run` on a soak scene (src/cli/soak.rs) runs the segments back to back
//! and hands their reports here.
//!
//! | module | holds |
//! |---|---|
//! | [`join`] | the segments' report details as one, series on the soak's clock |
//! | [`drift`] | least-squares trends and the drift verdict (the rule is documented there) |
//! | [`render`] | the soak section of the report as text and markdown |
//!
//! Segments: `load.duration` cut into `soak.segment` pieces (default 24h, PTS's per-run
//! maximum), the last one shorter when the division is not exact. Each segment is its own
//! PTS run, so every virtual user starts afresh and fetches its tokens anew: a token
//! source's `ttl` needs to cover one segment (its refresh policy), and CSV tokens the whole
//! span (validation checks both before any load).

pub mod drift;
pub mod join;
pub mod render;

use serde::Serialize;

use crate::report::RunReport;
use crate::spec::model::Scene;
use crate::spec::units::Duration;
use crate::spec::validate::{DEFAULT_SOAK_GAP, MAX_RUN};

pub use drift::{Drift, DriftVerdict, Tolerance};

/// Format version of `soak.json`.
pub const FORMAT: u32 = 1;

/// `total` cut into pieces of `segment` (at least 1 ms), the last one shorter.
pub fn segments(total: Duration, segment: Duration) -> Vec<Duration> {
    let step = segment.as_millis().max(1);
    let mut left = total.as_millis();
    let mut out = Vec::new();
    while left > 0 {
        let piece = left.min(step);
        out.push(Duration::from_millis(piece));
        left -= piece;
    }
    out
}

/// The segment length of a soak scene (its `soak.segment`, else PTS's maximum).
pub fn segment_of(scene: &Scene) -> Duration {
    scene
        .soak
        .as_ref()
        .and_then(|s| s.segment)
        .unwrap_or(MAX_RUN)
}

/// The largest gap allowed between segments.
pub fn max_gap_of(scene: &Scene) -> Duration {
    scene
        .soak
        .as_ref()
        .and_then(|s| s.max_gap)
        .unwrap_or(DEFAULT_SOAK_GAP)
}

/// The drift tolerance of a soak scene.
pub fn tolerance_of(scene: &Scene) -> Tolerance {
    let soak = scene.soak.as_ref();
    let default = Tolerance::default();
    Tolerance {
        max_latency_rise: soak
            .and_then(|s| s.max_latency_rise)
            .unwrap_or(default.max_latency_rise),
        max_error_rise: soak
            .and_then(|s| s.max_error_rise)
            .unwrap_or(default.max_error_rise),
    }
}

/// The planned runs of a soak scene: each segment and its length.
pub fn planned(scene: &Scene) -> Vec<(String, Duration)> {
    let Some(total) = scene.load.as_ref().and_then(|l| l.duration) else {
        return Vec::new();
    };
    let pieces = segments(total, segment_of(scene));
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, d)| (format!("segment {}/{n}", i + 1), d))
        .collect()
}

/// One segment as it ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRun {
    /// 1-based.
    pub segment: usize,
    pub plan_id: String,
    /// When its load started, seconds after the first segment's.
    pub offset_s: f64,
    /// Planned length, seconds.
    pub planned_s: f64,
    /// Seconds between the end of the previous segment's load (as followed) and this one's
    /// start; `None` for the first.
    pub gap_before_s: Option<f64>,
    /// Whether that gap exceeded `max_gap`.
    pub gap_exceeded: bool,
    /// How it ended (`completed`, or stopped).
    pub completed: bool,
}

/// A whole soak: its segments, the joined report and the drift.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    pub format: u32,
    pub scene: String,
    pub segments: Vec<SegmentRun>,
    /// Segments planned (fewer ran when one failed or on Ctrl-C).
    pub planned_segments: usize,
    pub max_gap_s: f64,
    /// The largest gap measured.
    pub largest_gap_s: Option<f64>,
    /// The joined result, thresholds judged on it.
    pub joined: RunReport,
    pub drift: Drift,
}

impl SoakReport {
    /// Gaps longer than `max_gap`.
    pub fn gaps_exceeded(&self) -> usize {
        self.segments.iter().filter(|s| s.gap_exceeded).count()
    }

    /// Whether the soak passed: every segment ran, thresholds passed on the joined
    /// figures, no gap too long, no degradation.
    pub fn passed(&self) -> bool {
        self.segments.len() == self.planned_segments
            && self.joined.passed()
            && self.gaps_exceeded() == 0
            && self.drift.verdict != DriftVerdict::Degrading
    }
}

#[cfg(test)]
mod tests;
