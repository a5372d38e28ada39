//! The page: escaping, one set of charts per API, empty and partial inputs.

use super::*;

fn point(name: &str, rps: f64, p99: f64, errors: u64) -> ApiPoint {
    ApiPoint {
        name: name.into(),
        rps,
        p50_ms: p99 / 3.0,
        p90_ms: None,
        p99_ms: p99,
        avg_ms: p99 / 2.0,
        errors,
    }
}

fn sample() -> Report {
    Report {
        title: "qs-place-order <run 1>".into(),
        generated_at: "2026-11-23 12:00:00".into(),
        meta: vec![("Scene".into(), "PXFBBQ".into())],
        scene_config: "url: http://127.0.0.1:8090/api/orders?a=1&b=<2>\n".into(),
        verdicts: vec![
            VerdictRow {
                subject: "scene".into(),
                assertion: "p99 < 300ms".into(),
                actual: "44.3ms".into(),
                bound: "300ms".into(),
                passed: true,
            },
            VerdictRow {
                subject: "buyer / order-detail".into(),
                assertion: "p95 < 2ms".into(),
                actual: "12.0ms".into(),
                bound: "2ms".into(),
                passed: false,
            },
        ],
        timeline: (0..5)
            .map(|s| TimePoint {
                elapsed_s: f64::from(s),
                apis: vec![
                    point("create-order", 300.0 + f64::from(s), 40.0, 0),
                    point("order-detail", 299.0, 45.0, u64::from(s == 3)),
                ],
            })
            .collect(),
        apis: vec![ApiTotal {
            name: "create-order".into(),
            requests: Some(1500),
            rps: Some(300.0),
            success_rate: Some(1.0),
            ..ApiTotal::default()
        }],
    }
}

#[test]
fn the_page_is_self_contained() {
    let page = render(&sample());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("default-src 'none'"), "a CSP forbids fetches");
    for fetch in [
        "<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import",
    ] {
        assert!(!page.contains(fetch), "the page must not hold `{fetch}`");
    }
}

#[test]
fn every_api_gets_its_three_charts() {
    let page = render(&sample());
    assert!(page.contains(r#"<svg id="chart-rps-all""#));
    // create-order comes from the totals, order-detail only from the timeline.
    for i in 0..2 {
        for kind in ["rps", "latency", "errors"] {
            assert!(
                page.contains(&format!(r#"<svg id="api-{i}-{kind}""#)),
                "api-{i}-{kind}"
            );
        }
    }
    assert!(!page.contains("api-2-rps"));
    assert!(page.contains(r#"<h3 id="api-1">order-detail</h3>"#));
    assert_eq!(
        page.matches(r#"class="bar""#).count(),
        10,
        "5 seconds × 2 APIs"
    );
}

#[test]
fn verdicts_are_coloured_and_summed_up() {
    let page = render(&sample());
    assert!(page.contains("FAILED — 1 of 2 thresholds not met"));
    assert_eq!(page.matches(r#"<tr class="pass">"#).count(), 1);
    assert_eq!(page.matches(r#"<tr class="fail">"#).count(), 1);
    let mut passing = sample();
    passing.verdicts.truncate(1);
    assert!(render(&passing).contains("PASSED — all 1 thresholds met"));
    passing.verdicts.clear();
    let page = render(&passing);
    assert!(page.contains("No thresholds were set") && !page.contains(r#"id="verdicts""#));
}

#[test]
fn text_from_plans_is_escaped() {
    let mut report = sample();
    report.apis[0].name = "<script>alert(1)</script>".into();
    report.timeline[0].apis[0].name = report.apis[0].name.clone();
    report.meta.push(("a\"b".into(), "<i>x</i>".into()));
    report.verdicts[0].subject = "it's & <b>".into();
    let page = render(&report);
    assert!(!page.contains("<script>") && !page.contains("<i>x</i>") && !page.contains("<b>"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("it&#39;s &amp; &lt;b&gt;"));
    assert!(page.contains("<title>qs-place-order &lt;run 1&gt;</title>"));
    assert!(page.contains("?a=1&amp;b=&lt;2&gt;"));
}

#[test]
fn an_empty_report_still_renders() {
    let page = render(&Report::default());
    assert!(page.contains(r#"id="no-timeline""#));
    assert!(page.contains("no per-API figures"));
    assert!(!page.contains("<svg"));
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn wire_details_and_engine_series_convert() {
    let details = wire::GetPtsReportDetailsOutput {
        api_metrics_list: vec![wire::ApiMetrics {
            api_name: Some("pay".into()),
            all_count: Some(10),
            seg99_rt: Some(12.5),
            success_rate_biz: Some(0.9),
            ..Default::default()
        }],
        ..Default::default()
    };
    let totals = totals_from_details(&details);
    assert_eq!(totals[0].name, "pay");
    assert_eq!(
        (totals[0].requests, totals[0].p99_ms),
        (Some(10), Some(12.5))
    );
    let page = render(&Report {
        apis: totals,
        ..Report::default()
    });
    assert!(page.contains("90.00%") && page.contains("—"));

    let second = |second, api: &str| crate::engine::SecondStats {
        second,
        api: api.into(),
        requests: 7,
        successes: 5,
        failures: 1,
        check_failures: 1,
        auth_failures: 0,
        avg_ms: 1.0,
        p50_ms: 1.0,
        p99_ms: 2.0,
        max_ms: 3.0,
        bytes_in: 0,
    };
    let timeline = timeline_from_series(&[second(1, "a"), second(0, "a"), second(1, "b")]);
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[0].elapsed_s, 0.0);
    assert_eq!(timeline[1].apis.len(), 2);
    assert_eq!(
        (timeline[1].apis[0].rps, timeline[1].apis[0].errors),
        (7.0, 2)
    );
}
