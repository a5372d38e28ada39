//! Knee detection, rate-limit advice, step values and the comparison's golden renderings.

use super::*;

/// A step at `level` with throughput `rps`, p99 `p99` and a verdict.
fn step(n: usize, level: i64, rps: f64, p99: f64, verdict: StepVerdict) -> StepResult {
    StepResult {
        step: n,
        value: level.to_string(),
        level: Some(level as f64),
        plan_id: Some(format!("PLAN-{n}")),
        rps: Some(rps),
        p50_ms: Some(p99 / 2.0),
        p90_ms: Some(p99 * 0.8),
        p99_ms: Some(p99),
        error_rate: Some(0.0),
        requests: Some(rps * 4.0),
        verdict,
    }
}

fn fail() -> StepVerdict {
    StepVerdict::Failed { failed: 1 }
}

/// A sweep of 25..150 RPS against a target of capacity 100: the steps above it queue.
fn capacity_sweep() -> Vec<StepResult> {
    vec![
        step(1, 25, 25.0, 104.0, StepVerdict::Passed),
        step(2, 50, 50.0, 106.0, StepVerdict::Passed),
        step(3, 75, 74.9, 110.0, StepVerdict::Passed),
        step(4, 100, 99.2, 180.0, StepVerdict::Passed),
        step(5, 125, 100.3, 850.0, fail()),
        step(6, 150, 100.1, 1500.0, fail()),
    ]
}

#[test]
fn the_knee_is_the_highest_step_passing_with_every_lower_one() {
    let (knee, rule) = knee(&capacity_sweep(), true, true);
    let knee = knee.expect("a knee");
    assert_eq!(
        (knee.step, knee.value.as_str(), knee.reached),
        (4, "100", true)
    );
    assert!(rule.contains("every lower step"), "{rule}");
}

#[test]
fn a_pass_above_a_failure_does_not_move_the_knee() {
    let mut steps = capacity_sweep();
    steps[5].verdict = StepVerdict::Passed;
    let (knee, _) = knee(&steps, true, true);
    assert_eq!(knee.expect("a knee").step, 4);
}

#[test]
fn steps_are_ordered_by_load_not_by_run_order() {
    let mut steps = capacity_sweep();
    steps.reverse();
    let (knee, _) = knee(&steps, true, true);
    assert_eq!(knee.expect("a knee").value, "100");
}

#[test]
fn all_passing_is_a_lower_bound_and_a_failing_first_step_no_knee() {
    let steps: Vec<StepResult> = capacity_sweep().into_iter().take(3).collect();
    let (knee, _) = knee(&steps, true, true);
    let knee = knee.expect("a knee");
    assert_eq!((knee.value.as_str(), knee.reached), ("75", false));
    let mut steps = capacity_sweep();
    steps[0].verdict = fail();
    assert_eq!(super::knee(&steps, true, true).0, None);
}

#[test]
fn a_step_that_did_not_run_ends_the_search() {
    let mut steps = capacity_sweep();
    steps[2] = StepResult::not_run(3, &Scalar::Integer(75), "debug run failed".into());
    let (knee, _) = knee(&steps, true, true);
    assert_eq!(knee.expect("a knee").value, "50");
}

#[test]
fn without_thresholds_the_knee_is_where_throughput_stops_scaling() {
    let steps: Vec<StepResult> = capacity_sweep()
        .into_iter()
        .map(|mut s| {
            s.verdict = StepVerdict::NoThresholds;
            s
        })
        .collect();
    // 25 → 50 → 75 → 100 scale; 100 → 125 promised +24.8 and gave +1.1.
    let (knee, rule) = knee(&steps, true, false);
    let knee = knee.expect("a knee");
    assert_eq!((knee.value.as_str(), knee.reached), ("100", true));
    assert!(rule.contains("half of the load increase"), "{rule}");
}

#[test]
fn concurrency_sweeps_saturate_the_same_way() {
    // Virtual users 2, 4, 8, 16 against 4 slots of 50 ms: 40, 80, 80, 80 rps.
    let steps = vec![
        step(1, 2, 40.0, 51.0, StepVerdict::NoThresholds),
        step(2, 4, 79.0, 52.0, StepVerdict::NoThresholds),
        step(3, 8, 80.0, 101.0, StepVerdict::NoThresholds),
        step(4, 16, 80.0, 201.0, StepVerdict::NoThresholds),
    ];
    assert_eq!(knee(&steps, true, false).0.expect("knee").value, "4");
}

#[test]
fn a_variable_sweep_picks_the_best_passing_throughput() {
    let mut steps = capacity_sweep();
    steps[4].verdict = StepVerdict::Passed; // 100.3 rps, passing
    let (knee, rule) = knee(&steps, false, true);
    assert_eq!(knee.expect("best").value, "125");
    assert!(rule.starts_with("best value"), "{rule}");
}

#[test]
fn the_rate_limit_is_eighty_percent_of_the_knee_rounded_down() {
    let a = advice(99.2).expect("advice");
    assert_eq!(a.rate_limit, 79);
    assert_eq!(a.headroom, 0.8);
    assert!(a.rule.contains("80%"), "{}", a.rule);
    assert_eq!(advice(0.0), None);
    assert_eq!(advice(f64::NAN), None);
}

#[test]
fn range_values_expand_and_apply_sets_the_level() {
    let sweep: Sweep = serde_json::from_value(serde_json::json!({
        "over": "load.max", "range": { "from": 25, "to": 100, "step": 25 }, "duration_each": "4s"
    }))
    .expect("sweep");
    let values = values(&sweep);
    assert_eq!(values.len(), 4);
    let runs = planned(&sweep, Duration::from_mins(1));
    assert_eq!(runs[3].0, "load.max = 100");
    assert_eq!(runs[3].1, Duration::from_secs(4));

    let mut plan: Plan = serde_json::from_value(serde_json::json!({
        "version": 1, "workspace": "w", "variables": { "pool": 8 },
        "scenes": { "s": { "type": "tuning",
            "chains": [{ "name": "c", "steps": [{ "name": "a", "url": "http://127.0.0.1/" }] }],
            "load": { "mode": "rps", "start": 10, "max": 10, "duration": "1m" } } }
    }))
    .expect("plan");
    apply(&mut plan, "s", "load.max", &Scalar::Integer(75)).expect("applied");
    let load = plan.scenes["s"].load.as_ref().expect("load");
    assert_eq!((load.start, load.max), (Some(75), Some(75)));
    apply(&mut plan, "s", "var.pool", &Scalar::Integer(16)).expect("applied");
    assert_eq!(plan.variables["pool"], Scalar::Integer(16));
    assert!(apply(&mut plan, "s", "var.nope", &Scalar::Integer(1)).is_err());
    assert!(apply(&mut plan, "s", "load.max", &Scalar::Text("x".into())).is_err());
}

fn comparison() -> Comparison {
    let mut c = Comparison::of(
        "checkout",
        "load.max",
        LoadMode::Rps,
        capacity_sweep(),
        true,
    );
    c.restored = true;
    c
}

#[test]
fn comparison_text() {
    insta::assert_snapshot!(render::text(&comparison()));
}

#[test]
fn comparison_markdown() {
    insta::assert_snapshot!(render::markdown(&comparison()));
}

#[test]
fn comparison_json_has_the_knee_and_advice() {
    let json: serde_json::Value = serde_json::from_str(&render::json(&comparison())).expect("json");
    assert_eq!(json["format"], 1);
    assert_eq!(json["knee"]["value"], "100");
    assert_eq!(json["advice"]["rate_limit"], 79);
    assert_eq!(json["steps"][4]["verdict"]["kind"], "failed");
}
