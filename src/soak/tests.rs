//! Segment splitting, least squares, the drift rule and the joining of segments.

use super::drift::{Second, fit, judge};
use super::join::{Part, details, seconds};
use super::*;
use crate::engine::{Findings, SecondStats};
use crate::wire::{ApiMetrics, GetPtsReportDetailsOutput, SceneMetrics};

#[test]
fn a_soak_is_cut_into_segments_the_last_one_shorter() {
    let h = Duration::from_mins(60);
    assert_eq!(segments(h * 48, h * 24), vec![h * 24, h * 24]);
    assert_eq!(segments(h * 50, h * 24), vec![h * 24, h * 24, h * 2]);
    let s = Duration::from_secs(4);
    assert_eq!(segments(Duration::from_secs(12), s), vec![s, s, s]);
    assert_eq!(segments(Duration::from_millis(0), s), vec![]);
}

#[test]
fn least_squares_finds_the_line() {
    let points: Vec<(f64, f64)> = (0..10).map(|t| (t as f64, 3.0 + 2.0 * t as f64)).collect();
    let line = fit(&points).expect("a line");
    assert!((line.slope - 2.0).abs() < 1e-9 && (line.intercept - 3.0).abs() < 1e-9);
    assert_eq!(line.points, 10);
    assert_eq!(fit(&[(1.0, 1.0)]), None);
    assert_eq!(fit(&[(1.0, 1.0), (1.0, 2.0)]), None);
}

fn series(latency: impl Fn(f64) -> f64, errors: impl Fn(f64) -> u64) -> Vec<Second> {
    (0..60)
        .map(|t| {
            let t = f64::from(t);
            Second {
                t,
                requests: 100,
                errors: errors(t),
                avg_ms: latency(t),
            }
        })
        .collect()
}

#[test]
fn rising_latency_is_degrading() {
    // 20 ms rising 2 ms a second: 138 ms at the end, +590%.
    let d = judge(&series(|t| 20.0 + 2.0 * t, |_| 0), Tolerance::default());
    assert_eq!(d.verdict, DriftVerdict::Degrading, "{d:?}");
    assert!((d.latency_ms_per_hour.expect("slope") - 7200.0).abs() < 1e-6);
    assert!(
        d.reasons[0].contains("mean latency rose"),
        "{:?}",
        d.reasons
    );
}

#[test]
fn steady_or_noisy_latency_passes() {
    // ±3 ms of noise around 20 ms: no trend.
    let noisy = |t: f64| {
        20.0 + if (t as u64).is_multiple_of(2) {
            3.0
        } else {
            -3.0
        }
    };
    let d = judge(&series(noisy, |_| 0), Tolerance::default());
    assert_eq!(d.verdict, DriftVerdict::Pass, "{d:?}");
    // A fast target: 0.2 → 0.6 ms is +200% but under the 5 ms floor.
    let d = judge(&series(|t| 0.2 + t / 150.0, |_| 0), Tolerance::default());
    assert_eq!(d.verdict, DriftVerdict::Pass, "{d:?}");
}

#[test]
fn a_rising_error_rate_is_degrading() {
    // 0 → 5.9% errors.
    let d = judge(
        &series(|_| 20.0, |t| (t / 10.0) as u64),
        Tolerance::default(),
    );
    assert_eq!(d.verdict, DriftVerdict::Degrading, "{d:?}");
    assert!(d.reasons[0].contains("error rate"), "{:?}", d.reasons);
    let lenient = Tolerance {
        max_error_rise: 10.0,
        ..Tolerance::default()
    };
    assert_eq!(
        judge(&series(|_| 20.0, |t| (t / 10.0) as u64), lenient).verdict,
        DriftVerdict::Pass
    );
    assert_eq!(
        judge(&[], Tolerance::default()).verdict,
        DriftVerdict::Unknown
    );
}

fn segment(requests: i64, tps: f64, avg: f64, p99: f64) -> GetPtsReportDetailsOutput {
    let mut d = GetPtsReportDetailsOutput {
        scene_metrics: Some(SceneMetrics {
            all_count: Some(requests),
            avg_tps: Some(tps),
            avg_rt: Some(avg),
            seg99_rt: Some(p99),
            fail_count_req: Some(1),
            fail_count_biz: Some(0),
            ..Default::default()
        }),
        api_metrics_list: vec![ApiMetrics {
            api_name: Some("list".into()),
            all_count: Some(requests),
            avg_tps: Some(tps),
            avg_rt: Some(avg),
            seg99_rt: Some(p99),
            ..Default::default()
        }],
        ..Default::default()
    };
    let series = (0..4)
        .map(|second| SecondStats {
            second,
            api: "list".into(),
            requests: 10,
            successes: 10,
            failures: 0,
            check_failures: 0,
            auth_failures: 0,
            avg_ms: avg,
            p50_ms: avg,
            p99_ms: p99,
            max_ms: p99,
            bytes_in: 0,
        })
        .collect();
    Findings {
        series,
        ..Default::default()
    }
    .attach(&mut d);
    d
}

#[test]
fn segments_join_into_one_result() {
    let (a, b) = (
        segment(400, 100.0, 10.0, 30.0),
        segment(200, 50.0, 40.0, 90.0),
    );
    let parts = [
        Part {
            offset_s: 0.0,
            details: &a,
        },
        Part {
            offset_s: 4.5,
            details: &b,
        },
    ];
    let joined = details(&parts);
    let m = joined.scene_metrics.clone().expect("metrics");
    assert_eq!(m.all_count, Some(600));
    assert_eq!(m.fail_count_req, Some(2));
    // 600 requests over 4 s + 4 s.
    assert_eq!(m.avg_tps, Some(75.0));
    assert_eq!(m.avg_rt, Some(20.0));
    assert_eq!(m.seg99_rt, Some(90.0));
    assert_eq!(joined.api_metrics_list[0].all_count, Some(600));
    let findings = Findings::of(&joined).expect("findings");
    let last = findings.series.last().expect("series");
    assert_eq!(last.second, 3 + 5);
    let secs = seconds(&parts);
    assert_eq!(secs.len(), 8);
    assert_eq!(secs[4].t, 4.5);
    assert_eq!(secs[4].avg_ms, 40.0);
}
