//! What a JMeter run measured, built sample by sample from its JTL: totals and latency
//! histograms (HDR) per sampler and for the whole scene, the [`Series`] over time, and a
//! bounded, evenly spread selection of the samples themselves.
//!
//! Samplers are numbered in the order their first sample arrives (`SamplerId` 0, 1, …);
//! `-1` is the whole scene.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::jtl::Sample;
use super::series::{Series, bucket_ms};
use crate::wire::{ApiMetrics, SceneMetrics};

/// The highest latency the histograms tell apart, milliseconds (longer ones count as this).
const MAX_LATENCY_MS: u64 = 3_600_000;

/// Most samples kept evenly spread over the run.
const KEPT_SPREAD: usize = 2000;

/// Most failed samples kept besides.
const KEPT_FAILURES: usize = 500;

/// Totals of one sampler or of the whole scene.
struct Totals {
    count: u64,
    failures: u64,
    rt_sum: i64,
    rt_min: i64,
    rt_max: i64,
    latency: Histogram<u64>,
}

impl Totals {
    fn new() -> Totals {
        Totals {
            count: 0,
            failures: 0,
            rt_sum: 0,
            rt_min: 0,
            rt_max: 0,
            // Constant bounds that hdrhistogram accepts (low ≥ 1, high ≥ 2·low, 3 digits).
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_MS, 3)
                .expect("constant histogram bounds are valid"),
        }
    }

    fn add(&mut self, sample: &Sample) {
        let rt = sample.elapsed;
        self.rt_min = if self.count == 0 {
            rt
        } else {
            self.rt_min.min(rt)
        };
        self.count += 1;
        self.failures += u64::from(!sample.success);
        self.rt_sum += rt;
        self.rt_max = self.rt_max.max(rt);
        self.latency
            .saturating_record(u64::try_from(rt).unwrap_or(0).min(MAX_LATENCY_MS));
    }

    fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.latency.value_at_quantile(q) as f64
        }
    }

    fn avg(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.rt_sum as f64 / self.count as f64
        }
    }

    fn success_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.count - self.failures) as f64 / self.count as f64
        }
    }
}

/// A sample as `GetJMeterSamplingLogs` answers it (each one JSON text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeptSample {
    /// Position in the JTL, from 0.
    pub seq: u64,
    pub timestamp: i64,
    pub elapsed: i64,
    pub latency: i64,
    pub sampler_id: i64,
    pub sampler_name: String,
    pub response_code: String,
    pub response_message: String,
    pub thread_name: String,
    pub success: bool,
    pub bytes: i64,
    pub all_threads: i64,
    pub failure_message: String,
}

/// Everything measured so far.
pub(crate) struct Stats {
    samplers: Vec<(String, Totals)>,
    total: Totals,
    pub series: Series,
    first_ms: Option<i64>,
    last_end_ms: i64,
    /// Threads running at the latest sample.
    pub concurrency: i64,
    seen: u64,
    /// Evenly spread: every `stride`-th sample, halved when full.
    spread: Vec<KeptSample>,
    stride: u64,
    failed: Vec<KeptSample>,
}

impl Stats {
    /// Empty figures for a run planned to last `duration_s` seconds.
    pub fn new(duration_s: i64) -> Stats {
        Stats {
            samplers: Vec::new(),
            total: Totals::new(),
            series: Series::new(bucket_ms(duration_s)),
            first_ms: None,
            last_end_ms: 0,
            concurrency: 0,
            seen: 0,
            spread: Vec::new(),
            stride: 1,
            failed: Vec::new(),
        }
    }

    pub fn add(&mut self, sample: &Sample) {
        let id = match self
            .samplers
            .iter()
            .position(|(name, _)| *name == sample.label)
        {
            Some(id) => id,
            None => {
                self.samplers.push((sample.label.clone(), Totals::new()));
                self.samplers.len() - 1
            }
        };
        let sampler_id = i64::try_from(id).unwrap_or(i64::MAX);
        if let Some((_, totals)) = self.samplers.get_mut(id) {
            totals.add(sample);
        }
        self.total.add(sample);
        self.series.add(sampler_id, sample);
        self.first_ms = Some(
            self.first_ms
                .map_or(sample.timestamp, |first| first.min(sample.timestamp)),
        );
        self.last_end_ms = self.last_end_ms.max(sample.timestamp + sample.elapsed);
        self.concurrency = sample.all_threads;
        self.keep(sampler_id, sample);
        self.seen += 1;
    }

    fn keep(&mut self, sampler_id: i64, sample: &Sample) {
        let spread = self.seen % self.stride == 0;
        let failed = !sample.success && self.failed.len() < KEPT_FAILURES;
        if !spread && !failed {
            return;
        }
        let kept = KeptSample {
            seq: self.seen,
            timestamp: sample.timestamp,
            elapsed: sample.elapsed,
            latency: sample.latency,
            sampler_id,
            sampler_name: sample.label.clone(),
            response_code: sample.response_code.clone(),
            response_message: sample.response_message.clone(),
            thread_name: sample.thread_name.clone(),
            success: sample.success,
            bytes: sample.bytes,
            all_threads: sample.all_threads,
            failure_message: sample.failure_message.clone(),
        };
        if failed {
            self.failed.push(kept.clone());
        }
        if spread {
            self.spread.push(kept);
            if self.spread.len() >= KEPT_SPREAD {
                self.stride *= 2;
                let stride = self.stride;
                self.spread.retain(|kept| kept.seq % stride == 0);
            }
        }
    }

    /// Samples so far.
    pub fn count(&self) -> u64 {
        self.total.count
    }

    /// Sampler index → name.
    pub fn sampler_names(&self) -> Vec<String> {
        self.samplers.iter().map(|(name, _)| name.clone()).collect()
    }

    /// The kept samples, in order.
    pub fn kept(&self) -> Vec<KeptSample> {
        let mut all: BTreeMap<u64, KeptSample> = BTreeMap::new();
        for kept in self.spread.iter().chain(&self.failed) {
            all.insert(kept.seq, kept.clone());
        }
        all.into_values().collect()
    }

    /// Milliseconds from the first sample's start to the last one's end.
    pub fn span_ms(&self) -> i64 {
        self.first_ms
            .map_or(0, |first| (self.last_end_ms - first).max(0))
    }

    /// The live figures: `(AllSampleStat, SampleStatList)` over the most recent bucket, each
    /// with the run so far under `fullStat`.
    pub fn live(&self, now_ms: i64) -> (serde_json::Value, Vec<serde_json::Value>) {
        let width = self.series.width_ms;
        let recent = self.series.recent(now_ms);
        let stat = |id: i64, totals: &Totals| {
            let mut stat = recent
                .and_then(|(_, buckets)| buckets.get(&id))
                .map(|bucket| bucket.stat(id, width))
                .unwrap_or_else(|| serde_json::json!({"samplerId": id, "count": 0}));
            if let Some(object) = stat.as_object_mut() {
                object.insert("fullStat".into(), self.full(totals, now_ms));
            }
            stat
        };
        let all = stat(-1, &self.total);
        let each = self
            .samplers
            .iter()
            .enumerate()
            .map(|(id, (name, totals))| {
                let mut stat = stat(i64::try_from(id).unwrap_or(i64::MAX), totals);
                if let Some(object) = stat.as_object_mut() {
                    object.insert("samplerName".into(), name.clone().into());
                }
                stat
            })
            .collect();
        (all, each)
    }

    /// The run so far, over the time since its first sample started.
    fn full(&self, totals: &Totals, now_ms: i64) -> serde_json::Value {
        let since_first = self.first_ms.map_or(0, |first| now_ms - first);
        let duration = self.span_ms().max(since_first);
        let seconds = (duration.max(1) as f64) / 1000.0;
        let ok = totals.count - totals.failures;
        serde_json::json!({
            "count": totals.count,
            "successCount": ok,
            "failCount": totals.failures,
            "tps": totals.count as f64 / seconds,
            "successTps": ok as f64 / seconds,
            "rtAvg": totals.avg(),
            "rtMin": totals.rt_min,
            "rtMax": totals.rt_max,
            "rtSeg50": totals.quantile(0.5),
            "rtSeg90": totals.quantile(0.9),
            "rtSeg99": totals.quantile(0.99),
            "duration": duration,
        })
    }

    /// The report's figures: the whole scene and each sampler.
    pub fn report(&self) -> (SceneMetrics, Vec<ApiMetrics>) {
        let seconds = (self.span_ms().max(1) as f64) / 1000.0;
        let t = &self.total;
        let mut scene = SceneMetrics {
            all_count: i64::try_from(t.count).ok(),
            avg_tps: Some(t.count as f64 / seconds),
            avg_rt: Some(t.avg()),
            seg90_rt: Some(t.quantile(0.9)),
            seg99_rt: Some(t.quantile(0.99)),
            fail_count_req: i64::try_from(t.failures).ok(),
            success_rate_req: Some(t.success_rate()),
            ..SceneMetrics::default()
        };
        // What PTS's JMeter report has no scene-level field for rides along.
        for (key, value) in [
            ("MinRt", t.rt_min as f64),
            ("MaxRt", t.rt_max as f64),
            ("Seg50Rt", t.quantile(0.5)),
            ("Seg75Rt", t.quantile(0.75)),
            ("Seg95Rt", t.quantile(0.95)),
            ("DurationSeconds", seconds),
        ] {
            scene.extra.insert(key.into(), value.into());
        }
        let samplers = self
            .samplers
            .iter()
            .map(|(name, s)| ApiMetrics {
                api_name: Some(name.clone()),
                all_count: i64::try_from(s.count).ok(),
                avg_tps: Some(s.count as f64 / seconds),
                avg_rt: Some(s.avg()),
                min_rt: Some(s.rt_min as f64),
                max_rt: Some(s.rt_max as f64),
                seg50_rt: Some(s.quantile(0.5)),
                seg75_rt: Some(s.quantile(0.75)),
                seg90_rt: Some(s.quantile(0.9)),
                seg99_rt: Some(s.quantile(0.99)),
                fail_count_req: i64::try_from(s.failures).ok(),
                success_rate_req: Some(s.success_rate()),
                ..ApiMetrics::default()
            })
            .collect();
        (scene, samplers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: i64, label: &str, elapsed: i64, success: bool) -> Sample {
        Sample {
            timestamp: 1_000_000 + n,
            elapsed,
            label: label.into(),
            response_code: if success { "200" } else { "500" }.into(),
            success,
            all_threads: 3,
            ..Sample::default()
        }
    }

    #[test]
    fn totals_percentiles_and_samplers() {
        let mut stats = Stats::new(60);
        for n in 0..100 {
            stats.add(&sample(n * 10, "a", n + 1, n % 10 != 0));
        }
        stats.add(&sample(1000, "b", 5, true));
        let (scene, samplers) = stats.report();
        assert_eq!(scene.all_count, Some(101));
        assert_eq!(scene.fail_count_req, Some(10));
        assert_eq!(samplers.len(), 2);
        assert_eq!(samplers[0].api_name.as_deref(), Some("a"));
        assert_eq!(samplers[0].min_rt, Some(1.0));
        assert_eq!(samplers[0].max_rt, Some(100.0));
        assert_eq!(samplers[0].seg90_rt, Some(90.0));
        assert_eq!(samplers[1].all_count, Some(1));
        assert_eq!(stats.span_ms(), 1090);
        let (all, each) = stats.live(2_000_000);
        assert_eq!(all["samplerId"], -1);
        assert_eq!(all["fullStat"]["count"], 101);
        assert_eq!(each[1]["samplerName"], "b");
        assert_eq!(stats.sampler_names(), ["a", "b"]);
    }

    #[test]
    fn kept_samples_stay_bounded_and_spread_with_failures_besides() {
        let mut stats = Stats::new(60);
        for n in 0..10_000 {
            stats.add(&sample(n, "a", 1, n != 9_999));
        }
        let kept = stats.kept();
        assert!(kept.len() <= KEPT_SPREAD + KEPT_FAILURES, "{}", kept.len());
        assert!(kept.len() >= KEPT_SPREAD / 2, "{}", kept.len());
        assert_eq!(kept.first().map(|k| k.seq), Some(0));
        assert!(kept.iter().any(|k| k.seq == 9_999 && !k.success));
        assert!(kept.windows(2).all(|w| w[0].seq < w[1].seq));
    }
}
