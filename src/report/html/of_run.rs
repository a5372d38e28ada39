//! The page of one run as `ptsplan run` saw it: the judged report, the backend's report
//! details and the polled timeline, mapped onto the page's plain data.
//!
//! Per-second latency percentiles come from the local engine's findings when the report
//! carries them; PTS's running data has no per-API percentiles, so on PTS the latency chart
//! shows the mean latency the polls reported.

use super::{ApiPoint, Report, TimePoint, VerdictRow, timeline_from_series, totals_from_details};
use crate::engine::Findings;
use crate::report::timeline::Timeline;
use crate::report::verdict::Verdict;
use crate::report::{Ending, RunReport};
use crate::wire::GetPtsReportDetailsOutput;

impl Report {
    /// The page of a judged run; `scene_config` must already be redacted.
    pub fn of_run(
        report: &RunReport,
        details: Option<&GetPtsReportDetailsOutput>,
        timeline: &Timeline,
        scene_config: String,
    ) -> Report {
        let series = details
            .and_then(Findings::of)
            .map(|f| f.series)
            .unwrap_or_default();
        let timeline = if series.is_empty() {
            from_polls(timeline)
        } else {
            timeline_from_series(&series)
        };
        let ending = match &report.ending {
            Ending::Completed => "completed".to_owned(),
            Ending::Stopped { by } => format!("stopped by {by}"),
        };
        let meta = [
            ("scene", Some(report.scene.clone())),
            ("scene id", Some(report.scene_id.clone())),
            ("report id", Some(report.plan_id.clone())),
            ("start", report.start_time.clone()),
            ("end", report.end_time.clone()),
            ("ending", Some(ending)),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?)))
        .collect();
        Report {
            title: format!("{} — run {}", report.name, report.plan_id),
            generated_at: report.end_time.clone().unwrap_or_default(),
            meta,
            scene_config,
            verdicts: report.verdicts.iter().map(row).collect(),
            timeline,
            apis: details.map(totals_from_details).unwrap_or_default(),
        }
    }
}

fn row(verdict: &Verdict) -> VerdictRow {
    VerdictRow {
        subject: verdict.scope.to_string(),
        assertion: verdict.assertion.clone(),
        actual: verdict
            .actual_text
            .clone()
            .unwrap_or_else(|| "unmeasured".to_owned()),
        bound: bound_of(&verdict.assertion),
        passed: verdict.status.ok(),
    }
}

/// The right-hand side of `p99 < 300ms`.
fn bound_of(assertion: &str) -> String {
    let operators: &[char] = &['<', '>', '=', '!'];
    assertion
        .find(operators)
        .map(|at| {
            assertion[at..]
                .trim_start_matches(operators)
                .trim()
                .to_owned()
        })
        .unwrap_or_default()
}

/// The polled running data as per-second points: rates as polled, mean latency so far,
/// no percentiles (left out of the chart as NaN).
fn from_polls(timeline: &Timeline) -> Vec<TimePoint> {
    timeline
        .points
        .iter()
        .map(|point| TimePoint {
            elapsed_s: point.elapsed_s,
            apis: point
                .apis
                .iter()
                .map(|api| ApiPoint {
                    name: api.name.clone(),
                    rps: api.rps.unwrap_or(0.0),
                    p50_ms: f64::NAN,
                    p90_ms: None,
                    p99_ms: f64::NAN,
                    avg_ms: api.avg_ms.unwrap_or(f64::NAN),
                    errors: api.failed_rps.unwrap_or(0.0).max(0.0).round() as u64,
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::timeline::{ApiPoint as Polled, Point};

    #[test]
    fn bounds_are_the_right_hand_side() {
        assert_eq!(bound_of("p99 < 300ms"), "300ms");
        assert_eq!(bound_of("success_rate >= 99%"), "99%");
        assert_eq!(bound_of("errors == 0"), "0");
        assert_eq!(bound_of("nonsense"), "");
    }

    #[test]
    fn polls_become_points_without_percentiles() {
        let timeline = Timeline {
            plan_id: "P".into(),
            planned_seconds: Some(2.0),
            points: vec![Point {
                elapsed_s: 1.0,
                apis: vec![Polled {
                    name: "get".into(),
                    rps: Some(10.0),
                    failed_rps: Some(1.4),
                    avg_ms: Some(3.0),
                    ..Polled::default()
                }],
                ..Point::default()
            }],
        };
        let points = from_polls(&timeline);
        let api = &points[0].apis[0];
        assert_eq!((api.rps, api.avg_ms, api.errors), (10.0, 3.0, 1));
        assert!(api.p99_ms.is_nan() && api.p90_ms.is_none());
    }
}
