//! The timeline of a run: what each poll of `GetPtsSceneRunningData` showed, for charts of
//! RPS, latency and errors over time (written as `reports/<scene>/timeline.json`).
//!
//! Deliberately plain: seconds since the start, then numbers; a figure the backend did not
//! give is absent (`null` in JSON). Rates are per second at the time of the poll; counts
//! are totals since the start.

use serde::{Deserialize, Serialize};

use crate::wire::GetPtsSceneRunningDataOutput;

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
}
