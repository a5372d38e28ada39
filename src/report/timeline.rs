//! The timeline of a run: what each poll of `GetPtsSceneRunningData` showed, for charts of
//! RPS, latency and errors over time (written as `reports/<scene>/timeline.json`).
//!
//! Deliberately plain: seconds since the start, then numbers; a figure the backend did not
//! give is absent (`null` in JSON). Rates are per second at the time of the poll; counts
//! are totals since the start.

use serde::{Deserialize, Serialize};

use crate::wire::{GetPtsSceneRunningDataOutput, JMeterRunningData, JsonObject};

/// Every poll of one run, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The run (`PlanId`).
    pub plan_id: String,
    /// The load's planned length in seconds, when known.
    pub planned_seconds: Option<f64>,
    pub points: Vec<Point>,
}

/// One poll.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Seconds since the run started (the backend's `BeginTime` when given, else since the
    /// start call returned).
    pub elapsed_s: f64,
    /// Virtual users running now.
    pub concurrency: Option<f64>,
    /// Requests per second now (whole scene).
    pub rps: Option<f64>,
    /// Requests so far.
    pub requests: Option<i64>,
    /// Failed requests so far (status, timeout, connection).
    pub failures: Option<i64>,
    /// Requests whose checkpoints failed so far.
    pub check_failures: Option<i64>,
    /// Mean latency so far, ms.
    pub avg_ms: Option<f64>,
    /// p90 latency so far, ms.
    pub p90_ms: Option<f64>,
    /// p99 latency so far, ms: the local backend gives it, PTS does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// Per API.
    pub apis: Vec<ApiPoint>,
}

/// One API at one poll.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiPoint {
    pub name: String,
    /// Requests per second now.
    pub rps: Option<f64>,
    /// Failed requests per second now.
    pub failed_rps: Option<f64>,
    /// Failed requests so far.
    pub failures: Option<i64>,
    /// Mean latency so far, ms.
    pub avg_ms: Option<f64>,
    /// Maximum latency so far, ms.
    pub max_ms: Option<f64>,
}

impl Point {
    /// The point a running-data answer gives at `elapsed_s`.
    pub fn of(elapsed_s: f64, data: &GetPtsSceneRunningDataOutput) -> Point {
        Point {
            elapsed_s: (elapsed_s * 1000.0).round() / 1000.0,
            concurrency: data.concurrency.map(|c| c as f64),
            rps: data.total_real_qps,
            requests: data.total_request_count,
            failures: data.failed_request_count,
            check_failures: data.failed_business_count,
            avg_ms: data.average_rt,
            p90_ms: data.seg90_rt,
            p99_ms: data
                .extra
                .get(crate::engine::SEG99_KEY)
                .and_then(serde_json::Value::as_f64),
            apis: data
                .chain_monitor_data_list
                .iter()
                .map(|api| ApiPoint {
                    name: api.api_name.clone().unwrap_or_default(),
                    rps: api.real_qps,
                    failed_rps: api.failed_qps,
                    failures: api.failed_count,
                    avg_ms: api.average_rt,
                    max_ms: api.max_rt,
                })
                .collect(),
        }
    }

    /// The point a JMeter running-data answer gives at `elapsed_s`. Its statistics are
    /// free-form (reference §5.6): at the top the last interval (`tps`, `concurrency`),
    /// under `fullStat` the run so far (`count`, `failCount`, `rtAvg`, `rtSeg90`,
    /// `rtSeg99`); a key the backend does not give leaves the figure unknown.
    pub fn of_jmeter(elapsed_s: f64, data: &JMeterRunningData) -> Point {
        let empty = JsonObject::new();
        let now = data.all_sample_stat.as_ref().unwrap_or(&empty);
        let total = full(now);
        // Before the first sample latencies read 0: they are not known yet.
        let sampled = count(total, "count").is_some_and(|n| n > 0);
        let latency = |key| number(total, key).filter(|_| sampled);
        Point {
            elapsed_s: (elapsed_s * 1000.0).round() / 1000.0,
            concurrency: data
                .concurrency
                .map(|c| c as f64)
                .or_else(|| number(now, "concurrency")),
            rps: number(now, "tps"),
            requests: count(total, "count"),
            failures: failures(total),
            check_failures: None,
            avg_ms: latency("rtAvg"),
            p90_ms: latency("rtSeg90"),
            p99_ms: latency("rtSeg99"),
            apis: data
                .sample_stat_list
                .iter()
                .map(|stat| {
                    let total = full(stat);
                    ApiPoint {
                        name: ["samplerName", "name", "label"]
                            .iter()
                            .find_map(|k| stat.get(*k).and_then(serde_json::Value::as_str))
                            .map(str::to_owned)
                            .or_else(|| number(stat, "samplerId").map(|id| format!("sampler {id}")))
                            .unwrap_or_default(),
                        rps: number(stat, "tps"),
                        failed_rps: number(stat, "failTps"),
                        failures: failures(total),
                        avg_ms: number(total, "rtAvg"),
                        max_ms: number(total, "rtMax"),
                    }
                })
                .collect(),
        }
    }

    /// Share of requests so far that passed (status and checks), when known.
    pub fn success_rate(&self) -> Option<f64> {
        let requests = self.requests?;
        if requests <= 0 {
            return None;
        }
        let failed = self.failures.unwrap_or(0) + self.check_failures.unwrap_or(0);
        Some((requests - failed) as f64 / requests as f64)
    }
}

/// The run-so-far statistics of a JMeter stat object (`fullStat`), else the object itself.
fn full(stat: &JsonObject) -> &JsonObject {
    stat.get("fullStat")
        .and_then(serde_json::Value::as_object)
        .unwrap_or(stat)
}

fn number(stat: &JsonObject, key: &str) -> Option<f64> {
    stat.get(key).and_then(serde_json::Value::as_f64)
}

fn count(stat: &JsonObject, key: &str) -> Option<i64> {
    number(stat, key).map(|n| n as i64)
}

/// Failed samples: `failCount`, else `count - successCount`.
fn failures(stat: &JsonObject) -> Option<i64> {
    count(stat, "failCount").or_else(|| Some(count(stat, "count")? - count(stat, "successCount")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_is_read_when_the_local_backend_gives_it() {
        let mut data = GetPtsSceneRunningDataOutput {
            seg90_rt: Some(4.0),
            ..Default::default()
        };
        assert_eq!(Point::of(1.0, &data).p99_ms, None, "PTS: no p99");
        data.extra
            .insert(crate::engine::SEG99_KEY.to_owned(), serde_json::json!(9.5));
        let point = Point::of(1.0, &data);
        assert_eq!((point.p90_ms, point.p99_ms), (Some(4.0), Some(9.5)));
    }

    #[test]
    fn a_jmeter_poll_reads_the_interval_and_the_run_so_far() {
        let stat = |value: serde_json::Value| value.as_object().cloned().expect("object");
        let data = JMeterRunningData {
            concurrency: Some(5),
            all_sample_stat: Some(stat(serde_json::json!({
                "tps": 40.5, "count": 40, "failCount": 0, "samplerId": -1,
                "fullStat": { "count": 400, "successCount": 396, "rtAvg": 3.5,
                              "rtSeg90": 6, "rtSeg99": 11 }
            }))),
            sample_stat_list: vec![stat(serde_json::json!({
                "samplerId": 0, "tps": 40.5, "failTps": 0.5,
                "fullStat": { "count": 400, "failCount": 4, "rtAvg": 3.5, "rtMax": 30 }
            }))],
            ..JMeterRunningData::default()
        };
        let point = Point::of_jmeter(12.0, &data);
        assert_eq!(point.concurrency, Some(5.0));
        assert_eq!(point.rps, Some(40.5));
        assert_eq!((point.requests, point.failures), (Some(400), Some(4)));
        assert_eq!((point.p90_ms, point.p99_ms), (Some(6.0), Some(11.0)));
        assert_eq!(point.success_rate(), Some(0.99));
        assert_eq!(point.apis[0].name, "sampler 0");
        assert_eq!(point.apis[0].failures, Some(4));
        assert_eq!(point.apis[0].max_ms, Some(30.0));
        let empty = Point::of_jmeter(1.0, &JMeterRunningData::default());
        assert_eq!((empty.requests, empty.rps), (None, None));
        let starting = JMeterRunningData {
            all_sample_stat: Some(stat(serde_json::json!({
                "fullStat": { "count": 0, "rtSeg99": 0 }
            }))),
            ..JMeterRunningData::default()
        };
        assert_eq!(
            Point::of_jmeter(1.0, &starting).p99_ms,
            None,
            "nothing measured yet"
        );
    }
}
