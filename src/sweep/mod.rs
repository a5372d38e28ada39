//! Tuning sweeps: the steps of a `type: tuning` scene, the plan of each step, and the
//! comparison of their runs — throughput, latency percentiles, error rate and threshold
//! verdict per step, the **capacity knee** and a **suggested rate limit**.
//!
//! Pure: `ptsplan sweep` (src/cli/sweep.rs) runs the steps and hands their reports here.
//!
//! | module | holds |
//! |---|---|
//! | [`render`] | the comparison as text, markdown and JSON (`sweep.md`, `sweep.json`) |
//!
//! # The knee rule
//!
//! Steps are ordered by load (the swept value for `load.max` / `load.start`, run order for
//! a variable).
//!
//! - **With thresholds**, the knee is the highest load step that met every threshold
//!   *together with every lower step*: the first failing step ends the search, so a
//!   lucky pass above a failure does not count.
//! - **Without thresholds**, a load step *scales* when its throughput rose by at least
//!   half of what the load increase promised (`rps ≥ prev + 0.5 × prev × (level / prev
//!   level − 1)`); the knee is the last step of the leading run of scaling steps — after
//!   it, more load no longer buys throughput (the target queues instead).
//! - **Sweeps over a variable** (`var.NAME`, e.g. a thread-pool size) have no load order:
//!   the knee is the *best* step, the highest throughput among the steps that met every
//!   threshold (all steps when there are none).
//!
//! When the highest step still meets the rule, the knee is a lower bound (`reached:
//! false`): the capacity lies at or above it; extend the sweep.
//!
//! # The rate-limit rule
//!
//! Suggested rate limit = [`HEADROOM`] (80%) of the knee's *measured* throughput, rounded
//! down to a whole request per second: a limiter at that rate keeps the target below the
//! load where it stopped meeting its objectives, with a fifth of the capacity spare for
//! bursts, retries and a slower instance.

pub mod render;

use serde::Serialize;

use crate::report::RunReport;
use crate::spec::model::{LoadMode, Plan, Scalar, Sweep};
use crate::spec::threshold::Metric;
use crate::spec::units::Duration;

/// Format version of `sweep.json` and `ptsplan sweep --format json`.
pub const FORMAT: u32 = 1;
/// Share of the knee's measured throughput suggested as a rate limit.
pub const HEADROOM: f64 = 0.8;
/// Share of the promised throughput gain a load step must deliver to count as scaling
/// (the knee rule without thresholds).
pub const SCALING_SHARE: f64 = 0.5;

/// The values of a sweep, in run order (`values` as written, or `range` expanded).
pub fn values(sweep: &Sweep) -> Vec<Scalar> {
    match (&sweep.values, &sweep.range) {
        (Some(values), _) => values.clone(),
        (None, Some(range)) if range.step > 0 && range.from <= range.to => (range.from..=range.to)
            .step_by(range.step as usize)
            .map(|v| Scalar::Integer(i64::from(v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a sweep varies the load level (`load.max` or `load.start`).
pub fn over_load(over: &str) -> bool {
    matches!(over, "load.max" | "load.start")
}

/// Sets step `value` of `over` in scene `key` of `plan`, and makes the scene's load last
/// `duration_each` when given. For `load.max` without a ramp the level is held at the
/// value (`load.start` too), so that each step really runs at its level; with a ramp it
/// climbs from `load.start` to the value. A variable is set plan-wide.
pub fn apply(plan: &mut Plan, key: &str, over: &str, value: &Scalar) -> Result<(), String> {
    if let Some(name) = over.strip_prefix("var.") {
        if !plan.variables.contains_key(name) {
            return Err(format!("the plan has no variable `{name}` to sweep"));
        }
        plan.variables.insert(name.to_owned(), value.clone());
        return Ok(());
    }
    let scene = plan
        .scenes
        .get_mut(key)
        .ok_or_else(|| format!("the plan has no scene `{key}`"))?;
    let level = match value {
        Scalar::Integer(n) if *n >= 1 => {
            u32::try_from(*n).map_err(|_| format!("{n} is too large"))?
        }
        other => return Err(format!("`{other}` is not a load level")),
    };
    let load = scene.load.get_or_insert_with(Default::default);
    if load.chains.is_some() || load.steps.is_some() {
        return Err(
            "the scene sets levels per chain or step; a sweep over the scene's load level needs scene-wide `load.start` / `load.max`"
                .to_owned(),
        );
    }
    match over {
        "load.max" => {
            load.max = Some(level);
            // Held at the level without a ramp; with one, the start stays below the value.
            if load.ramp.is_none() || load.start.is_some_and(|s| s > level) {
                load.start = Some(level);
            }
        }
        "load.start" => {
            load.start = Some(level);
            if load.max.is_some_and(|m| m < level) {
                load.max = Some(level);
            }
        }
        other => return Err(format!("cannot sweep over `{other}`")),
    }
    Ok(())
}

/// The planned runs of a sweep: each value and how long it runs.
pub fn planned(sweep: &Sweep, duration: Duration) -> Vec<(String, Duration)> {
    let each = sweep.duration_each.unwrap_or(duration);
    values(sweep)
        .into_iter()
        .map(|v| (format!("{} = {v}", sweep.over), each))
        .collect()
}

/// How a step's thresholds came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepVerdict {
    /// Every threshold passed.
    Passed,
    /// `failed` thresholds failed or could not be measured.
    Failed { failed: usize },
    /// The scene has no thresholds.
    NoThresholds,
    /// The step did not produce a report (debug run failed, run error, interrupted).
    NotRun { message: String },
}

impl StepVerdict {
    /// Whether the step counts as meeting the thresholds.
    fn ok(&self) -> bool {
        matches!(self, StepVerdict::Passed | StepVerdict::NoThresholds)
    }

    /// A short word for tables.
    pub fn word(&self) -> String {
        match self {
            StepVerdict::Passed => "pass".to_owned(),
            StepVerdict::Failed { failed } => format!("FAIL ({failed})"),
            StepVerdict::NoThresholds => "-".to_owned(),
            StepVerdict::NotRun { .. } => "not run".to_owned(),
        }
    }
}

/// One step's measured figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    /// 1-based, in run order.
    pub step: usize,
    /// The swept value as written.
    pub value: String,
    /// The value as a number, when it is one (load levels always are).
    pub level: Option<f64>,
    /// The run's id, when it ran.
    pub plan_id: Option<String>,
    /// Mean requests per second over the run.
    pub rps: Option<f64>,
    /// Median latency, ms: the slowest API's median (exact for a single-API scene).
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Failed requests (status, timeout, connection, checkpoints) over all requests.
    pub error_rate: Option<f64>,
    pub requests: Option<f64>,
    pub verdict: StepVerdict,
}

impl StepResult {
    /// The figures of a step's report.
    pub fn of_report(step: usize, value: &Scalar, report: &RunReport, thresholds: bool) -> Self {
        let figures = crate::report::figures::Figures {
            requests: report.metrics.all_count.map(|n| n as f64),
            failed: report.metrics.fail_count_req.map(|n| n as f64),
            check_failures: report.metrics.fail_count_biz.map(|n| n as f64),
            ..Default::default()
        };
        let p50 = report
            .apis
            .iter()
            .filter_map(|a| a.seg50_rt)
            .fold(None, |worst: Option<f64>, v| {
                Some(worst.map_or(v, |w| w.max(v)))
            });
        StepResult {
            step,
            value: value.to_string(),
            level: level_of(value),
            plan_id: Some(report.plan_id.clone()),
            rps: report.metrics.avg_tps,
            p50_ms: p50,
            p90_ms: report.metrics.seg90_rt,
            p99_ms: report.metrics.seg99_rt,
            error_rate: figures.value(Metric::ErrorRate),
            requests: figures.requests,
            verdict: if !thresholds {
                StepVerdict::NoThresholds
            } else if report.passed() {
                StepVerdict::Passed
            } else {
                StepVerdict::Failed {
                    failed: report.failed_count(),
                }
            },
        }
    }

    /// A step that produced no report.
    pub fn not_run(step: usize, value: &Scalar, message: String) -> Self {
        StepResult {
            step,
            value: value.to_string(),
            level: level_of(value),
            plan_id: None,
            rps: None,
            p50_ms: None,
            p90_ms: None,
            p99_ms: None,
            error_rate: None,
            requests: None,
            verdict: StepVerdict::NotRun { message },
        }
    }
}

fn level_of(value: &Scalar) -> Option<f64> {
    match value {
        Scalar::Integer(n) => Some(*n as f64),
        Scalar::Number(n) => Some(*n),
        Scalar::Text(t) => t.trim().parse().ok(),
        Scalar::Bool(_) => None,
    }
}

/// The knee found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knee {
    /// The step (1-based, run order).
    pub step: usize,
    pub value: String,
    /// Its measured throughput.
    pub rps: Option<f64>,
    /// `false` when the highest step still met the rule: the capacity is at or above it.
    pub reached: bool,
}

/// The suggested rate limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// Requests per second.
    pub rate_limit: u64,
    /// The share of the knee's throughput it is ([`HEADROOM`]).
    pub headroom: f64,
    /// The knee's measured throughput it came from.
    pub knee_rps: f64,
    /// The rule in words.
    pub rule: String,
}

/// The comparison of a sweep's steps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub format: u32,
    /// The scene's key in the plan.
    pub scene: String,
    /// What varied: `load.max`, `var.pool`.
    pub over: String,
    /// `concurrency` or `rps`.
    pub mode: String,
    pub steps: Vec<StepResult>,
    /// The capacity knee (the best value for a variable sweep); `None` when no step
    /// qualified.
    pub knee: Option<Knee>,
    /// How the knee was chosen, in words.
    pub knee_rule: String,
    pub advice: Option<Advice>,
    /// Whether the live scene was restored to its configuration before the sweep.
    pub restored: bool,
}

impl Comparison {
    /// Compares `steps`; `thresholds` says whether the scene has any.
    pub fn of(
        scene: &str,
        over: &str,
        mode: LoadMode,
        steps: Vec<StepResult>,
        thresholds: bool,
    ) -> Comparison {
        let (knee, knee_rule) = knee(&steps, over_load(over), thresholds);
        let advice = knee.as_ref().and_then(|k| advice(k.rps?));
        Comparison {
            format: FORMAT,
            scene: scene.to_owned(),
            over: over.to_owned(),
            mode: match mode {
                LoadMode::Concurrency => "concurrency",
                LoadMode::Rps => "rps",
            }
            .to_owned(),
            steps,
            knee,
            knee_rule,
            advice,
            restored: false,
        }
    }

    /// Whether any step failed its thresholds or did not run.
    pub fn any_failed(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.verdict, StepVerdict::Failed { .. }))
    }

    /// Whether any step did not run.
    pub fn any_not_run(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.verdict, StepVerdict::NotRun { .. }))
    }
}

/// The knee of `steps` by the module's rule, and the rule in words.
pub fn knee(steps: &[StepResult], load: bool, thresholds: bool) -> (Option<Knee>, String) {
    let make = |s: &StepResult, reached: bool| Knee {
        step: s.step,
        value: s.value.clone(),
        rps: s.rps,
        reached,
    };
    if !load {
        let rule = if thresholds {
            "best value: the highest throughput among the steps that met every threshold"
        } else {
            "best value: the highest throughput (the scene has no thresholds)"
        };
        let best = steps
            .iter()
            .filter(|s| s.verdict.ok() && s.rps.is_some())
            .max_by(|a, b| a.rps.unwrap_or(0.0).total_cmp(&b.rps.unwrap_or(0.0)));
        return (best.map(|s| make(s, true)), rule.to_owned());
    }
    let mut ordered: Vec<&StepResult> = steps.iter().collect();
    ordered.sort_by(|a, b| {
        a.level
            .unwrap_or(f64::MAX)
            .total_cmp(&b.level.unwrap_or(f64::MAX))
    });
    let leading = if thresholds {
        ordered.iter().take_while(|s| s.verdict.ok()).count()
    } else {
        scaling_run(&ordered)
    };
    let rule = if thresholds {
        "capacity knee: the highest load step that met every threshold, with every lower step"
    } else {
        "capacity knee (no thresholds): the last load step whose throughput still rose by at least half of the load increase"
    };
    let knee = leading
        .checked_sub(1)
        .and_then(|i| ordered.get(i))
        .map(|s| make(s, leading < ordered.len()));
    (knee, rule.to_owned())
}

/// How many steps, from the lowest load, still scale (see the module's rule). The first
/// step scales when it ran.
fn scaling_run(ordered: &[&StepResult]) -> usize {
    let mut count = 0;
    for (i, step) in ordered.iter().enumerate() {
        let Some(rps) = step.rps.filter(|_| step.verdict.ok()) else {
            break;
        };
        if i > 0 {
            let prev = ordered[i - 1];
            let (Some(prev_rps), Some(prev_level), Some(level)) =
                (prev.rps, prev.level, step.level)
            else {
                break;
            };
            if prev_level <= 0.0 {
                break;
            }
            let promised = prev_rps * (level / prev_level - 1.0);
            if rps < prev_rps + SCALING_SHARE * promised {
                break;
            }
        }
        count += 1;
    }
    count
}

/// The rate limit suggested for a knee measured at `knee_rps`.
pub fn advice(knee_rps: f64) -> Option<Advice> {
    if !knee_rps.is_finite() || knee_rps <= 0.0 {
        return None;
    }
    let rate_limit = (knee_rps * HEADROOM).floor() as u64;
    Some(Advice {
        rate_limit,
        headroom: HEADROOM,
        knee_rps,
        rule: format!(
            "{:.0}% of the knee's measured {knee_rps:.1} requests/s, rounded down",
            HEADROOM * 100.0
        ),
    })
}

#[cfg(test)]
mod tests;
