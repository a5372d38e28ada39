//! Load and cost estimate of a plan, in PTS billing units.
//!
//! PTS bills Virtual User Minutes (VUM). The rule, as published on the PTS 3.0 billing
//! overview (alibabacloud.com/help/en/pts/performance-test-pts-3-0/product-overview/
//! pts-3-0-billing-overview, read 2026-11-23):
//!
//! VUM = IPs × 500 × duration in minutes (fractions count) × (1 + log sampling rate)
//!
//! where IPs = ⌈peak virtual users / 500⌉ in concurrency mode and ⌈peak RPS / 4000⌉ in RPS
//! mode, or the number of IPs asked for (`load.agents`, PTS's IP extension). The sampling
//! rate defaults to 1%, which the published examples count as a factor of 1 (20% → 1.2). The estimate is an upper bound: it assumes the peak level for the
//! whole run, as PTS's IP count does.

use serde::Serialize;

use super::Kind;
use crate::spec::model::{JMeterScene, LoadMode, Scene, SceneType};
use crate::spec::units::Duration;

/// Virtual users one PTS IP carries, for billing.
pub const VU_PER_IP: u64 = 500;
/// Requests per second one PTS IP carries, for billing.
pub const RPS_PER_IP: u64 = 4_000;
/// PTS's default log sampling rate, in percent.
pub const DEFAULT_LOG_RATE: u64 = 1;

/// The estimate for one scene.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// `concurrency` or `rps`.
    pub mode: &'static str,
    /// Peak virtual users (concurrency mode) or requests per second (RPS mode).
    pub peak: u64,
    /// PTS runs: 1, the steps of a sweep, or the segments of a soak.
    pub runs: u64,
    /// Load time in all runs, in minutes.
    pub minutes: f64,
    /// Requests expected in RPS mode (the starting level held for the whole time, as PTS
    /// does not ramp RPS by itself); `None` in concurrency mode, where it depends on the
    /// target's latency.
    pub requests: Option<u64>,
    /// Billing IPs per run.
    pub ips: u64,
    /// Virtual User Minutes.
    pub vum: f64,
    /// The runs of a sweep (each step's value) or a soak (each segment), in order, with
    /// their lengths; empty for a scene that runs once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<PlannedRun>,
    /// What is estimated (a PTS scene or a JMeter scene); it names the address.
    #[serde(skip)]
    pub kind: Kind,
}

/// One planned run of a sweep or soak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRun {
    /// `load.max = 100`, `segment 2/3`.
    pub run: String,
    /// Its length, as plans write durations (`4s`, `24h`).
    pub duration: String,
    /// Its length in seconds.
    pub seconds: f64,
}

/// The planned runs of a tuning or soak scene.
fn schedule(scene: &Scene, duration: Duration) -> Vec<PlannedRun> {
    let runs = match (&scene.sweep, scene.kind) {
        (Some(sweep), SceneType::Tuning) => crate::sweep::planned(sweep, duration),
        (_, SceneType::Soak) => crate::soak::planned(scene),
        _ => Vec::new(),
    };
    runs.into_iter()
        .map(|(run, d)| PlannedRun {
            run,
            duration: d.to_string(),
            seconds: d.as_secs_f64(),
        })
        .collect()
}

/// The estimate of `scene`, or `None` when it has no usable load.
pub fn estimate(scene: &Scene) -> Option<Estimate> {
    let load = scene.load.as_ref()?;
    let duration = load.duration?;
    let rps = load.mode? == LoadMode::Rps;
    let (start, mut peak) = levels(scene, rps)?;
    if let Some(sweep) = scene.sweep.as_ref().filter(|s| s.over == "load.max") {
        // Each sweep step runs at its own maximum: bill the largest.
        let swept = sweep
            .values
            .iter()
            .flatten()
            .filter_map(|v| match v {
                crate::spec::model::Scalar::Integer(n) => u64::try_from(*n).ok(),
                _ => None,
            })
            .chain(sweep.range.map(|r| u64::from(r.to)))
            .max();
        peak = peak.max(swept.unwrap_or(0));
    }
    let (runs, run_minutes) = match (&scene.sweep, scene.kind) {
        (Some(sweep), SceneType::Tuning) => {
            let each = sweep.duration_each.unwrap_or(duration);
            let runs = sweep
                .values
                .as_ref()
                .map(|v| v.len() as u64)
                .or_else(|| {
                    sweep
                        .range
                        .filter(|r| r.step > 0 && r.to >= r.from)
                        .map(|r| u64::from((r.to - r.from) / r.step) + 1)
                })
                .unwrap_or(1)
                .max(1);
            (runs, minutes(each) * runs as f64)
        }
        (_, SceneType::Soak) => {
            let segment = scene
                .soak
                .as_ref()
                .and_then(|s| s.segment)
                .unwrap_or(crate::spec::validate::MAX_RUN);
            let runs = duration
                .as_millis()
                .div_ceil(segment.as_millis().max(1))
                .max(1);
            (runs, minutes(duration))
        }
        _ => (1, minutes(duration)),
    };
    let ips = ips(rps, peak, load.agents);
    let log_rate = scene
        .advanced
        .as_ref()
        .and_then(|a| a.log_sample_rate)
        .map_or(DEFAULT_LOG_RATE, u64::from);
    // The default 1% is included in the base price; higher rates add their percentage.
    let sampling = if log_rate <= DEFAULT_LOG_RATE {
        0.0
    } else {
        log_rate as f64 / 100.0
    };
    let vum = ips as f64 * VU_PER_IP as f64 * run_minutes * (1.0 + sampling);
    Some(Estimate {
        mode: if rps { "rps" } else { "concurrency" },
        peak,
        runs,
        minutes: run_minutes,
        requests: rps.then(|| match swept_requests(scene, duration) {
            Some(requests) => requests,
            None => (start as f64 * run_minutes * 60.0).round() as u64,
        }),
        ips,
        vum: (vum * 100.0).round() / 100.0,
        schedule: schedule(scene, duration),
        kind: Kind::Scene,
    })
}

/// Billing IPs per run: the `agents` asked for, else what the peak needs.
fn ips(rps: bool, peak: u64, agents: Option<u32>) -> u64 {
    let per_ip = if rps { RPS_PER_IP } else { VU_PER_IP };
    match agents {
        Some(agents) => u64::from(agents).max(1),
        None => peak.div_ceil(per_ip).max(1),
    }
}

/// The estimate of a JMeter scene, by the same rule: one run of `load.duration` at `max`,
/// on as many IPs as `agents` or the peak needs, at PTS's default sampling rate.
pub fn estimate_jmeter(scene: &JMeterScene) -> Estimate {
    let load = &scene.load;
    let rps = load.mode == Some(LoadMode::Rps);
    let peak = u64::from(load.max);
    let start = u64::from(load.start.unwrap_or(load.max));
    let run_minutes = minutes(load.duration);
    // Each load generator is a billing IP; the peak may need more than were asked for.
    let ips = ips(rps, peak, None).max(u64::from(load.agents.unwrap_or(1)));
    let vum = ips as f64 * VU_PER_IP as f64 * run_minutes;
    Estimate {
        mode: if rps { "rps" } else { "concurrency" },
        peak,
        runs: 1,
        minutes: run_minutes,
        requests: rps.then(|| (start as f64 * run_minutes * 60.0).round() as u64),
        ips,
        vum: (vum * 100.0).round() / 100.0,
        schedule: Vec::new(),
        kind: Kind::JMeterScene,
    }
}

/// Requests of an RPS sweep over the load level: each step holds its own level.
fn swept_requests(scene: &Scene, duration: Duration) -> Option<u64> {
    let sweep = scene
        .sweep
        .as_ref()
        .filter(|s| scene.kind == SceneType::Tuning && crate::sweep::over_load(&s.over))?;
    let each = minutes(sweep.duration_each.unwrap_or(duration)) * 60.0;
    let total: f64 = crate::sweep::values(sweep)
        .iter()
        .map(|v| match v {
            crate::spec::model::Scalar::Integer(n) => *n as f64 * each,
            _ => 0.0,
        })
        .sum();
    Some(total.round() as u64)
}

/// Starting and peak level of the whole scene, summed over chains or steps.
fn levels(scene: &Scene, rps: bool) -> Option<(u64, u64)> {
    let load = scene.load.as_ref()?;
    let sum = |levels: &mut dyn Iterator<Item = crate::spec::model::Level>| {
        levels.fold((0u64, 0u64), |(s, m), l| {
            (s + u64::from(l.start), m + u64::from(l.max))
        })
    };
    let per_item = match (rps, &load.chains, &load.steps) {
        (false, Some(chains), _) => Some(sum(&mut chains.values().copied())),
        (true, _, Some(steps)) => {
            // A virtual user walks the chain: the chain's rate is its first step's.
            Some(sum(&mut steps
                .values()
                .filter_map(|s| s.values().next().copied())))
        }
        _ => None,
    };
    per_item.or_else(|| {
        let max = u64::from(load.max.or(load.start)?);
        Some((u64::from(load.start.map_or(max as u32, |s| s)), max))
    })
}

fn minutes(d: Duration) -> f64 {
    d.as_millis() as f64 / 60_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(yaml_load: &str, extra: &str) -> Scene {
        let text = format!(
            "type: single-api\nchains: [{{ name: c, steps: [{{ name: s, url: 'http://127.0.0.1/' }}] }}]\nload: {yaml_load}\n{extra}"
        );
        let node: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
        serde_json::from_value(node).expect("scene")
    }

    #[test]
    fn the_published_example_costs_ten_thousand_vum() {
        // 500 concurrent users for 20 minutes at the default 1% sampling: 1 × 500 × 20 × 1.
        let e = estimate(&scene("{ mode: concurrency, max: 500, duration: 20m }", "")).unwrap();
        assert_eq!((e.ips, e.peak, e.runs), (1, 500, 1));
        assert!((e.vum - 10_000.0).abs() < 1e-6, "{}", e.vum);
        assert_eq!(e.requests, None);
    }

    #[test]
    fn ips_follow_the_peak_and_sampling_raises_the_bill() {
        let e = estimate(&scene(
            "{ mode: concurrency, start: 100, max: 1200, duration: 10m }",
            "advanced: { log_sample_rate: 20 }",
        ))
        .unwrap();
        assert_eq!(e.ips, 3);
        assert!((e.vum - 3.0 * 500.0 * 10.0 * 1.2).abs() < 1e-6);
        let e = estimate(&scene(
            "{ mode: rps, start: 1000, max: 10000, duration: 90s }",
            "",
        ))
        .unwrap();
        assert_eq!(e.ips, 3);
        assert_eq!(e.requests, Some(90_000));
        assert!((e.minutes - 1.5).abs() < 1e-9);
    }

    #[test]
    fn sweeps_and_soaks_count_every_run() {
        let mut s = scene(
            "{ mode: concurrency, start: 10, max: 100, duration: 5m }",
            "sweep: { over: load.max, values: [100, 200, 400] }",
        );
        s.kind = SceneType::Tuning;
        let e = estimate(&s).unwrap();
        assert_eq!((e.runs, e.minutes), (3, 15.0));
        let mut s = scene(
            "{ mode: concurrency, max: 50, duration: 48h }",
            "soak: { segment: 12h }",
        );
        s.kind = SceneType::Soak;
        let e = estimate(&s).unwrap();
        assert_eq!((e.runs, e.minutes), (4, 2880.0));
        assert_eq!(e.schedule.len(), 4);
        assert_eq!(e.schedule[3].run, "segment 4/4");
        assert_eq!(e.schedule[3].duration, "12h");
    }

    #[test]
    fn a_sweep_lists_each_step_and_its_length() {
        let mut s = scene(
            "{ mode: rps, max: 10, duration: 5m }",
            "sweep: { over: load.max, range: { from: 25, to: 100, step: 25 }, duration_each: 30s }",
        );
        s.kind = SceneType::Tuning;
        let e = estimate(&s).unwrap();
        let runs: Vec<(&str, &str)> = e
            .schedule
            .iter()
            .map(|r| (r.run.as_str(), r.duration.as_str()))
            .collect();
        assert_eq!(
            runs,
            [
                ("load.max = 25", "30s"),
                ("load.max = 50", "30s"),
                ("load.max = 75", "30s"),
                ("load.max = 100", "30s")
            ]
        );
        assert_eq!((e.runs, e.minutes), (4, 2.0));
    }

    #[test]
    fn a_jmeter_scene_is_billed_by_its_peak_and_generators() {
        let scene: JMeterScene = serde_json::from_value(serde_json::json!({
            "jmx": "orders.jmx",
            "load": { "max": 800, "start": 100, "duration": "10m", "agents": 2 }
        }))
        .expect("scene");
        let e = estimate_jmeter(&scene);
        assert_eq!((e.mode, e.peak, e.ips, e.runs), ("concurrency", 800, 2, 1));
        assert_eq!(e.vum, 2.0 * 500.0 * 10.0);
        assert_eq!(e.kind, Kind::JMeterScene);
        let rps: JMeterScene = serde_json::from_value(serde_json::json!({
            "jmx": "orders.jmx",
            "load": { "mode": "rps", "max": 100, "duration": "2m" }
        }))
        .expect("scene");
        let e = estimate_jmeter(&rps);
        assert_eq!((e.ips, e.requests), (1, Some(100 * 120)));
    }
}
