//! A JMeter run's report in the report model PTS runs use: the JMeter report details
//! (`GetJMeterReportDetails`) read as PTS report details, and the script's thread groups
//! and samplers as the scene's chains and steps, so that [`RunReport::build`] judges the
//! same thresholds, with the same scopes, on both.
//!
//! JMeter reports differ from PTS reports in three ways handled here:
//!
//! - they have no checkpoint failures: a failed JMeter assertion fails its sample, so the
//!   check-failure counts are 0 and every failure is a failed request;
//! - their success rates are documented as up to 100 and shown both as `0.99` and `100`:
//!   the rate is computed from the counts when they are given, else a value above 1 is
//!   read as a percentage;
//! - samplers are named by their labels (`testname`), which is how the thread groups of
//!   [`crate::spec::jmx`] name them.

use super::{Ending, RunId, RunReport};
use crate::plan::Kind;
use crate::spec::jmx::ThreadGroup;
use crate::spec::model::Threshold;
use crate::wire::{self, ApiMetrics, GetJMeterReportDetailsOutput, GetPtsReportDetailsOutput};

/// Builds the report of a JMeter run. `groups` is the script's layout (empty when the
/// script could not be read: scoped thresholds are then unmeasured).
pub fn build(
    id: RunId,
    ending: Ending,
    details: &GetJMeterReportDetailsOutput,
    groups: &[ThreadGroup],
    thresholds: &[Threshold],
) -> RunReport {
    let as_pts = as_pts_details(details);
    let shape = scene_shape(groups);
    let mut report = RunReport::build(id, ending, &as_pts, Some(&shape), thresholds, None);
    report.kind = Kind::JMeterScene;
    report
}

/// The JMeter report details as PTS report details (see the module documentation).
pub fn as_pts_details(details: &GetJMeterReportDetailsOutput) -> GetPtsReportDetailsOutput {
    let scene = details.scene_metrics.clone().map(|mut m| {
        let rate = success_rate(m.all_count, m.fail_count_req, m.success_rate_req);
        m.fail_count_biz = m.fail_count_biz.or(Some(0));
        m.success_rate_req = rate;
        m.success_rate_biz = m.success_rate_biz.map(fraction).or(rate);
        m
    });
    GetPtsReportDetailsOutput {
        report_over_view: details.report_over_view.clone(),
        scene_metrics: scene,
        api_metrics_list: details.sampler_metrics_list.iter().map(sampler).collect(),
        ..GetPtsReportDetailsOutput::default()
    }
}

fn sampler(api: &ApiMetrics) -> ApiMetrics {
    let rate = success_rate(api.all_count, api.fail_count_req, api.success_rate_req);
    ApiMetrics {
        fail_count_biz: api.fail_count_biz.or(Some(0)),
        success_rate_req: rate,
        success_rate_biz: api.success_rate_biz.map(fraction).or(rate),
        ..api.clone()
    }
}

/// The share of requests that succeeded: from the counts when known, else the reported
/// rate as a fraction.
fn success_rate(all: Option<i64>, failed: Option<i64>, reported: Option<f64>) -> Option<f64> {
    match (all, failed) {
        (Some(all), Some(failed)) if all > 0 => Some((all - failed).max(0) as f64 / all as f64),
        _ => reported.map(fraction),
    }
}

/// A rate that may be a percentage (above 1) as a fraction.
fn fraction(rate: f64) -> f64 {
    if rate > 1.0 { rate / 100.0 } else { rate }
}

/// A PTS scene whose chains are the thread groups and whose steps are their samplers: the
/// shape [`super::figures::ReportFigures`] reads scopes from.
fn scene_shape(groups: &[ThreadGroup]) -> wire::Scene {
    wire::Scene {
        relation_list: groups
            .iter()
            .map(|g| wire::Relation {
                relation_name: Some(g.name.clone()),
                api_list: g
                    .samplers
                    .iter()
                    .map(|s| wire::Api {
                        api_name: Some(s.clone()),
                        ..wire::Api::default()
                    })
                    .collect(),
                ..wire::Relation::default()
            })
            .collect(),
        ..wire::Scene::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use crate::spec::model::ScopedThreshold;
    use crate::wire::{ReportOverView, SceneMetrics};

    fn details() -> GetJMeterReportDetailsOutput {
        GetJMeterReportDetailsOutput {
            report_over_view: Some(ReportOverView {
                report_id: Some("R1".into()),
                start_time: Some("2026-11-23 12:00:00".into()),
                end_time: Some("2026-11-23 12:01:00".into()),
                ..ReportOverView::default()
            }),
            scene_metrics: Some(SceneMetrics {
                all_count: Some(1000),
                avg_tps: Some(16.7),
                avg_rt: Some(4.0),
                seg90_rt: Some(7.0),
                seg99_rt: Some(12.0),
                fail_count_req: Some(10),
                success_rate_req: Some(99.0),
                ..SceneMetrics::default()
            }),
            sampler_metrics_list: vec![ApiMetrics {
                api_name: Some("list orders".into()),
                all_count: Some(1000),
                avg_tps: Some(16.7),
                avg_rt: Some(4.0),
                min_rt: Some(1.0),
                max_rt: Some(30.0),
                seg90_rt: Some(7.0),
                seg99_rt: Some(12.0),
                fail_count_req: Some(10),
                success_rate_req: Some(99.0),
                ..ApiMetrics::default()
            }],
            ..GetJMeterReportDetailsOutput::default()
        }
    }

    fn id() -> RunId {
        RunId {
            scene: "orders-jmx".into(),
            name: "orders".into(),
            scene_id: "J1".into(),
            plan_id: "R1".into(),
        }
    }

    #[test]
    fn thresholds_are_judged_on_the_scene_and_on_samplers_of_thread_groups() {
        let groups = [ThreadGroup {
            name: "buyers".into(),
            samplers: vec!["list orders".into()],
        }];
        let thresholds = [
            Threshold::Scene("p99 < 20ms".into()),
            Threshold::Scene("success_rate >= 99.5%".into()),
            Threshold::Scoped(ScopedThreshold {
                assertion: "max < 50ms".into(),
                chain: "buyers".into(),
                step: Some("list orders".into()),
            }),
            Threshold::Scoped(ScopedThreshold {
                assertion: "errors <= 10".into(),
                chain: "buyers".into(),
                step: None,
            }),
        ];
        let report = build(id(), Ending::Completed, &details(), &groups, &thresholds);
        assert_eq!(report.kind, Kind::JMeterScene);
        let outcome: Vec<(Status, Option<&str>)> = report
            .verdicts
            .iter()
            .map(|v| (v.status, v.actual_text.as_deref()))
            .collect();
        assert_eq!(
            outcome,
            [
                (Status::Passed, Some("12ms")),
                (Status::Failed, Some("99%")),
                (Status::Passed, Some("30ms")),
                (Status::Passed, Some("10")),
            ]
        );
        assert_eq!(report.metrics.success_rate_biz, Some(0.99));
        assert_eq!(report.apis[0].fail_count_biz, Some(0));
    }

    #[test]
    fn a_jmeter_report_renders_with_its_address_and_samplers() {
        let groups = [ThreadGroup {
            name: "buyers".into(),
            samplers: vec!["list orders".into()],
        }];
        let thresholds = [
            Threshold::Scene("p99 < 20ms".into()),
            Threshold::Scoped(ScopedThreshold {
                assertion: "error_rate < 0.5%".into(),
                chain: "buyers".into(),
                step: Some("list orders".into()),
            }),
        ];
        let report = build(
            id(),
            Ending::Stopped {
                by: "Ctrl-C".into(),
            },
            &details(),
            &groups,
            &thresholds,
        );
        insta::assert_snapshot!(crate::report::render::text(&report));
        insta::assert_snapshot!(crate::report::render::markdown(&report));
        let json: serde_json::Value =
            serde_json::from_str(&crate::report::render::json(&report)).expect("json");
        assert_eq!(json["kind"], "jmeter_scene");
    }

    #[test]
    fn a_rate_without_counts_is_read_as_a_percentage_above_one() {
        assert_eq!(success_rate(None, None, Some(99.5)), Some(0.995));
        assert_eq!(success_rate(None, None, Some(0.9)), Some(0.9));
        assert_eq!(success_rate(Some(0), Some(0), Some(100.0)), Some(1.0));
        assert_eq!(success_rate(Some(4), Some(1), Some(100.0)), Some(0.75));
    }

    #[test]
    fn without_the_script_scoped_thresholds_are_unmeasured() {
        let thresholds = [Threshold::Scoped(ScopedThreshold {
            assertion: "p99 < 20ms".into(),
            chain: "buyers".into(),
            step: None,
        })];
        let report = build(id(), Ending::Completed, &details(), &[], &thresholds);
        assert_eq!(report.verdicts[0].status, Status::Unmeasured);
    }
}
