//! Figures over time: samples counted into fixed time buckets, per sampler and for the whole
//! scene, and the points `GetJMeterSampleMetrics` answers.
//!
//! A bucket is one second, or longer for long runs so that a run never keeps more than
//! [`MAX_BUCKETS`] of them (a 24-hour run has 48-second buckets).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::jtl::Sample;

/// Most buckets a run keeps.
pub(crate) const MAX_BUCKETS: i64 = 1800;

/// The bucket width for a run of `duration_s` seconds.
pub(crate) fn bucket_ms(duration_s: i64) -> i64 {
    let seconds = (duration_s.max(1) + MAX_BUCKETS - 1) / MAX_BUCKETS;
    seconds.max(1) * 1000
}

/// The samples of one sampler (or of all, `-1`) in one bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Bucket {
    pub count: u64,
    pub failures: u64,
    pub rt_sum: i64,
    pub rt_min: i64,
    pub rt_max: i64,
    pub ok_rt_sum: i64,
    pub ok_rt_min: i64,
    pub ok_rt_max: i64,
    pub fail_rt_min: i64,
    pub fail_rt_max: i64,
    pub bytes: i64,
    /// Most threads seen running.
    pub concurrency: i64,
    pub status_codes: BTreeMap<String, u64>,
}

impl Bucket {
    pub fn add(&mut self, sample: &Sample) {
        let rt = sample.elapsed;
        let first = self.count == 0;
        self.count += 1;
        self.rt_sum += rt;
        self.rt_min = if first { rt } else { self.rt_min.min(rt) };
        self.rt_max = self.rt_max.max(rt);
        if sample.success {
            let first = self.ok_count() == 1;
            self.ok_rt_sum += rt;
            self.ok_rt_min = if first { rt } else { self.ok_rt_min.min(rt) };
            self.ok_rt_max = self.ok_rt_max.max(rt);
        } else {
            self.failures += 1;
            self.fail_rt_min = if self.failures == 1 {
                rt
            } else {
                self.fail_rt_min.min(rt)
            };
            self.fail_rt_max = self.fail_rt_max.max(rt);
        }
        self.bytes += sample.bytes;
        self.concurrency = self.concurrency.max(sample.all_threads);
        *self
            .status_codes
            .entry(sample.response_code.clone())
            .or_default() += 1;
    }

    pub fn ok_count(&self) -> u64 {
        self.count - self.failures
    }

    /// The bucket as PTS's running-data stat object (`AllSampleStat`, `SampleStatList`),
    /// over `duration_ms`.
    pub fn stat(&self, sampler_id: i64, duration_ms: i64) -> serde_json::Value {
        let seconds = (duration_ms.max(1) as f64) / 1000.0;
        let fail_rt_sum = self.rt_sum - self.ok_rt_sum;
        serde_json::json!({
            "samplerId": sampler_id,
            "count": self.count,
            "successCount": self.ok_count(),
            "failCount": self.failures,
            "tps": self.count as f64 / seconds,
            "successTps": self.ok_count() as f64 / seconds,
            "failTps": self.failures as f64 / seconds,
            "rtAvg": mean(self.rt_sum, self.count),
            "rtMin": self.rt_min,
            "rtMax": self.rt_max,
            "successRtAvg": mean(self.ok_rt_sum, self.ok_count()),
            "successRtMin": self.ok_rt_min,
            "successRtMax": self.ok_rt_max,
            "successRtSum": self.ok_rt_sum,
            "failRtAvg": mean(fail_rt_sum, self.failures),
            "failRtMin": self.fail_rt_min,
            "failRtMax": self.fail_rt_max,
            "failRtSum": fail_rt_sum,
            "responseBytesPerSecond": self.bytes as f64 / seconds,
            "concurrency": self.concurrency,
            "duration": duration_ms,
            "statusCodes": self.status_codes,
        })
    }

    /// The bucket as one `SampleMetricList` point (JSON text).
    pub fn point(&self, timestamp: i64, width_ms: i64) -> String {
        let seconds = (width_ms.max(1) as f64) / 1000.0;
        let codes: Vec<serde_json::Value> = self
            .status_codes
            .iter()
            .map(|(name, count)| serde_json::json!({"name": name, "count": count}))
            .collect();
        serde_json::json!({
            "timestamp": timestamp,
            "totalCount": self.count,
            "reqSuccessCount": self.ok_count(),
            "reqFailureCount": self.failures,
            "tps": self.count as f64 / seconds,
            "reqSuccessTps": self.ok_count() as f64 / seconds,
            "reqFailureTps": self.failures as f64 / seconds,
            "rtAvg": mean(self.rt_sum, self.count),
            "rtMin": self.rt_min,
            "rtMax": self.rt_max,
            "reqSuccessRtAvg": mean(self.ok_rt_sum, self.ok_count()),
            "reqSuccessRtMin": self.ok_rt_min,
            "reqSuccessRtMax": self.ok_rt_max,
            "reqFailureRtMin": self.fail_rt_min,
            "reqFailureRtMax": self.fail_rt_max,
            "responseBytes": self.bytes,
            "responseBps": self.bytes as f64 / seconds,
            "concurrency": self.concurrency,
            "statusCodes": codes,
        })
        .to_string()
    }
}

fn mean(sum: i64, count: u64) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum as f64 / count as f64
    }
}

/// Buckets by start time, each holding the whole scene (`-1`) and every sampler by index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Series {
    pub width_ms: i64,
    pub buckets: BTreeMap<i64, BTreeMap<i64, Bucket>>,
}

impl Series {
    pub fn new(width_ms: i64) -> Series {
        Series {
            width_ms: width_ms.max(1),
            buckets: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, sampler_id: i64, sample: &Sample) {
        let start = sample.timestamp - sample.timestamp.rem_euclid(self.width_ms);
        let bucket = self.buckets.entry(start).or_default();
        bucket.entry(-1).or_default().add(sample);
        bucket.entry(sampler_id).or_default().add(sample);
    }

    /// The points of `sampler_id` (`-1`: whole scene) with start in `begin..=end`.
    pub fn points(&self, sampler_id: i64, begin: Option<i64>, end: Option<i64>) -> Vec<String> {
        self.buckets
            .range(begin.unwrap_or(i64::MIN)..=end.unwrap_or(i64::MAX))
            .filter_map(|(start, by_sampler)| {
                by_sampler
                    .get(&sampler_id)
                    .map(|bucket| bucket.point(*start, self.width_ms))
            })
            .collect()
    }

    /// The most recent bucket that has ended by `now_ms` (or the latest, if none has), with
    /// its start.
    pub fn recent(&self, now_ms: i64) -> Option<(i64, &BTreeMap<i64, Bucket>)> {
        let ended = self
            .buckets
            .range(..=now_ms - self.width_ms)
            .next_back()
            .or_else(|| self.buckets.iter().next_back());
        ended.map(|(start, buckets)| (*start, buckets))
    }

    /// Virtual-user minutes: the threads running in each bucket times its width.
    pub fn vum(&self) -> i64 {
        let thread_ms: i64 = self
            .buckets
            .values()
            .filter_map(|by_sampler| by_sampler.get(&-1))
            .map(|bucket| bucket.concurrency * self.width_ms)
            .sum();
        (thread_ms + 59_999) / 60_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(timestamp: i64, elapsed: i64, success: bool) -> Sample {
        Sample {
            timestamp,
            elapsed,
            success,
            response_code: if success { "200" } else { "500" }.into(),
            all_threads: 2,
            bytes: 100,
            ..Sample::default()
        }
    }

    #[test]
    fn samples_fall_into_their_second_per_sampler_and_overall() {
        let mut series = Series::new(bucket_ms(60));
        series.add(0, &sample(1_000, 10, true));
        series.add(1, &sample(1_999, 30, false));
        series.add(0, &sample(2_000, 20, true));
        let all = series.points(-1, None, None);
        assert_eq!(all.len(), 2);
        let first: serde_json::Value = serde_json::from_str(&all[0]).expect("json");
        assert_eq!(first["timestamp"], 1_000);
        assert_eq!(first["totalCount"], 2);
        assert_eq!(first["reqFailureCount"], 1);
        assert_eq!(first["rtMax"], 30);
        assert_eq!(first["statusCodes"][1]["name"], "500");
        assert_eq!(series.points(1, None, None).len(), 1);
        assert_eq!(series.points(0, Some(2_000), None).len(), 1);
        let (start, recent) = series.recent(3_500).expect("recent");
        assert_eq!(start, 2_000);
        assert_eq!(recent[&-1].count, 1);
        assert_eq!(series.vum(), 1);
    }

    #[test]
    fn long_runs_get_wider_buckets() {
        assert_eq!(bucket_ms(600), 1000);
        assert_eq!(bucket_ms(1800), 1000);
        assert_eq!(bucket_ms(86_400), 48_000);
    }
}
