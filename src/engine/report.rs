//! The engine's figures in PTS's shapes (`GetPtsSceneRunningData`, `GetPtsReportDetails`,
//! `GetPtsDebugSampleLogs`), plus what PTS has no field for: failure causes, the full set
//! of percentiles, chains, and the attribution of 401/403 answers to token expiry.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::check::Check;
use super::http::Answer;
use super::plan::{Mode, Plan, Step};
use super::stats::{Outcome, Window};
use super::template::Vars;
use super::{RunResult, Shared};
use crate::wire;

/// Figures of one API or chain over a whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// API name, or relation name for chains.
    pub name: String,
    /// The relation it belongs to.
    pub relation: String,
    /// Requests (iterations for chains).
    pub requests: u64,
    /// Success status and every checkpoint passed.
    pub successes: u64,
    /// Success status, a checkpoint failed.
    pub check_failures: u64,
    /// Status not counted as success.
    pub status_failures: u64,
    /// No answer in time.
    pub timeouts: u64,
    /// Could not connect.
    pub connect_errors: u64,
    /// Connection broken mid-exchange, or request not buildable.
    pub other_errors: u64,
    /// 401/403 answers.
    pub auth_failures: u64,
    /// 401/403 answers to requests carrying a token older than its declared lifetime.
    pub expired_token_failures: u64,
    /// Mean requests per second over the run.
    pub rps: f64,
    /// Latency, milliseconds.
    pub min_ms: f64,
    pub avg_ms: f64,
    pub max_ms: f64,
    pub p50_ms: f64,
    pub p75_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Request body bytes sent.
    pub bytes_out: u64,
    /// Response body bytes received.
    pub bytes_in: u64,
}

/// Why an API got 401/403 answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenExpiryCause {
    /// The requests carried a token from the relation's token step that had outlived its
    /// declared lifetime: refresh it earlier (policy `before_expiry`).
    TokenOutlivedLifetime,
    /// The API answered successfully, then began refusing: a token (CSV or fetched) expired
    /// during the run.
    RefusedAfterSuccesses,
    /// Refused from the start: the token was invalid or expired before the run.
    RefusedFromStart,
}

/// 401/403 answers of one API and what caused them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenExpiry {
    pub api: String,
    pub relation: String,
    pub cause: TokenExpiryCause,
    /// 401/403 answers.
    pub auth_failures: u64,
    /// Of which with a token past its lifetime.
    pub after_token_expiry: u64,
    /// Second of the run with the first 401/403.
    pub first_second: Option<u32>,
    /// Successes up to and including that second (a token fetched just before the run
    /// began can expire within the first second, after answering successfully).
    pub successes_before: u64,
}

/// Key of the engine's own findings in a report's JSON (`GetPtsReportDetails`), beside
/// PTS's fields: what PTS has no field for, kept so that a client of the local backend can
/// judge p95/p99.9 thresholds and name expired tokens. PTS reports never carry it.
pub const FINDINGS_KEY: &str = "PtsplanFindings";

/// The engine's findings carried in a report under [`FINDINGS_KEY`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    /// Figures per API with failure causes and every percentile.
    #[serde(default)]
    pub apis: Vec<Summary>,
    /// 401/403 answers and whether expired tokens caused them.
    #[serde(default)]
    pub token_expiry: Vec<TokenExpiry>,
    /// Per-second figures of every API, with percentiles (PTS's running data has none per
    /// API): the HTML report charts them when present.
    #[serde(default)]
    pub series: Vec<super::SecondStats>,
}

impl Findings {
    /// The findings a report carries, if any (never on PTS).
    pub fn of(details: &wire::GetPtsReportDetailsOutput) -> Option<Findings> {
        serde_json::from_value(details.extra.get(FINDINGS_KEY)?.clone()).ok()
    }

    /// Adds the findings to a report.
    pub fn attach(&self, details: &mut wire::GetPtsReportDetailsOutput) {
        if let Ok(value) = serde_json::to_value(self) {
            details.extra.insert(FINDINGS_KEY.to_owned(), value);
        }
    }
}

fn summary(name: &str, relation: &str, w: &Window, elapsed: Duration) -> Summary {
    let c = &w.c;
    Summary {
        name: name.to_owned(),
        relation: relation.to_owned(),
        requests: c.requests,
        successes: c.ok,
        check_failures: c.check_failed,
        status_failures: c.status_failed,
        timeouts: c.timeouts,
        connect_errors: c.connect_errors,
        other_errors: c.other_errors,
        auth_failures: c.auth_failed,
        expired_token_failures: c.auth_expired,
        rps: c.requests as f64 / elapsed.as_secs_f64().max(1e-3),
        min_ms: w.min_ms(),
        avg_ms: w.mean_ms(),
        max_ms: w.max_ms(),
        p50_ms: w.quantile_ms(0.5),
        p75_ms: w.quantile_ms(0.75),
        p90_ms: w.quantile_ms(0.9),
        p95_ms: w.quantile_ms(0.95),
        p99_ms: w.quantile_ms(0.99),
        p999_ms: w.quantile_ms(0.999),
        bytes_out: c.bytes_out,
        bytes_in: c.bytes_in,
    }
}

fn rate(part: u64, all: u64) -> f64 {
    if all == 0 {
        0.0
    } else {
        part as f64 / all as f64
    }
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

/// The final result from what the collector holds.
pub(crate) fn result(shared: &Shared, end: Instant) -> RunResult {
    let plan = &shared.plan;
    let elapsed = end
        .duration_since(shared.start)
        .min(plan.duration.max(Duration::from_millis(1)));
    let collector = shared.collector.lock().unwrap_or_else(|e| e.into_inner());
    let totals = &collector.totals;
    let relation_name = |r: usize| plan.relations.get(r).map_or("", |r| r.name.as_str());
    let apis: Vec<Summary> = plan
        .apis
        .iter()
        .zip(&totals.apis)
        .map(|(api, w)| summary(&api.name, relation_name(api.relation), w, elapsed))
        .collect();
    let chains: Vec<Summary> = plan
        .relations
        .iter()
        .zip(&totals.chains)
        .map(|(r, w)| summary(&r.name, &r.name, w, elapsed))
        .collect();
    let mut scene = Window::default();
    totals.apis.iter().for_each(|w| scene.add(w));
    let c = &scene.c;
    let scene_metrics = wire::SceneMetrics {
        all_count: Some(c.requests as i64),
        avg_tps: Some(round(c.requests as f64 / elapsed.as_secs_f64().max(1e-3))),
        avg_rt: Some(round(scene.mean_ms())),
        seg90_rt: Some(round(scene.quantile_ms(0.9))),
        seg99_rt: Some(round(scene.quantile_ms(0.99))),
        fail_count_req: Some(c.failed() as i64),
        fail_count_biz: Some(c.check_failed as i64),
        success_rate_req: Some(rate(c.requests - c.failed(), c.requests)),
        success_rate_biz: Some(rate(c.ok, c.requests)),
        ..Default::default()
    };
    let api_metrics_list = apis
        .iter()
        .map(|s| wire::ApiMetrics {
            api_name: Some(s.name.clone()),
            all_count: Some(s.requests as i64),
            avg_tps: Some(round(s.rps)),
            avg_rt: Some(round(s.avg_ms)),
            min_rt: Some(round(s.min_ms)),
            max_rt: Some(round(s.max_ms)),
            seg50_rt: Some(round(s.p50_ms)),
            seg75_rt: Some(round(s.p75_ms)),
            seg90_rt: Some(round(s.p90_ms)),
            seg99_rt: Some(round(s.p99_ms)),
            fail_count_req: Some(
                (s.status_failures + s.timeouts + s.connect_errors + s.other_errors) as i64,
            ),
            fail_count_biz: Some(s.check_failures as i64),
            success_rate_req: Some(rate(s.successes + s.check_failures, s.requests)),
            success_rate_biz: Some(rate(s.successes, s.requests)),
            ..Default::default()
        })
        .collect();
    let format = "%Y-%m-%d %H:%M:%S";
    let ended = shared
        .started_at
        .checked_add(jiff::SignedDuration::try_from(elapsed).unwrap_or_default())
        .unwrap_or_else(|_| shared.started_at.clone());
    let overview = wire::ReportOverView {
        report_name: shared.scene.scene_name.clone(),
        start_time: Some(shared.started_at.strftime(format).to_string()),
        end_time: Some(ended.strftime(format).to_string()),
        agent_count: Some(1),
        vum: Some(shared.vu_ms.load(Ordering::Relaxed).div_ceil(60_000) as i64),
        ..Default::default()
    };
    let token_expiry = token_expiry(&apis, &collector.series);
    let details = wire::GetPtsReportDetailsOutput {
        report_over_view: Some(overview),
        scene_metrics: Some(scene_metrics),
        api_metrics_list,
        scene_snap_shot: Some(snapshot(&shared.scene)),
        ..Default::default()
    };
    RunResult {
        details,
        samples: shared
            .samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
        series: collector.series.clone(),
        apis,
        chains,
        token_expiry,
    }
}

/// The scene as a report snapshot shows it (reference §6.3).
fn snapshot(scene: &wire::Scene) -> wire::Scene {
    let mut snap = scene.clone();
    snap.headers.clear();
    snap.status = Some(wire::SceneStatus::Other("STOPPED".into()));
    if let Some(load) = snap.load_config.as_mut() {
        load.auto_step = None;
        load.increment = None;
        load.keep_time = None;
        load.vpc_load_config = None;
        load.test_mode = load.test_mode.as_ref().map(wire::TestMode::to_get_form);
        load.api_load_config_list
            .iter_mut()
            .for_each(|c| c.api_id = None);
        load.relation_load_config_list
            .iter_mut()
            .for_each(|c| c.relation_id = None);
    }
    snap
}

fn token_expiry(apis: &[Summary], series: &[super::SecondStats]) -> Vec<TokenExpiry> {
    apis.iter()
        .filter(|s| s.auth_failures > 0)
        .map(|s| {
            let own = || series.iter().filter(|p| p.api == s.name);
            let first_second = own().find(|p| p.auth_failures > 0).map(|p| p.second);
            let successes_before = own()
                .filter(|p| first_second.is_some_and(|f| p.second <= f))
                .map(|p| p.successes)
                .sum::<u64>();
            let cause = if s.expired_token_failures > 0 {
                TokenExpiryCause::TokenOutlivedLifetime
            } else if successes_before > 0 {
                TokenExpiryCause::RefusedAfterSuccesses
            } else {
                TokenExpiryCause::RefusedFromStart
            };
            TokenExpiry {
                api: s.name.clone(),
                relation: s.relation.clone(),
                cause,
                auth_failures: s.auth_failures,
                after_token_expiry: s.expired_token_failures,
                first_second,
                successes_before,
            }
        })
        .collect()
}

/// Live figures: totals so far, rates of the last complete second.
pub(crate) fn running_data(shared: &Shared) -> wire::GetPtsSceneRunningDataOutput {
    let plan = &shared.plan;
    let collector = shared.collector.lock().unwrap_or_else(|e| e.into_inner());
    let mut total = Window::default();
    collector.totals.apis.iter().for_each(|w| total.add(w));
    let mut second = Window::default();
    let last = collector.last_second.as_ref();
    last.iter()
        .flat_map(|l| &l.apis)
        .for_each(|w| second.add(w));
    let time_point =
        shared.started_at.timestamp().as_millisecond() + shared.start.elapsed().as_millis() as i64;
    let finished = shared.finished.load(Ordering::Acquire);
    let live = shared.live_vus.load(Ordering::Relaxed).max(0);
    let chain_monitor_data_list = plan
        .apis
        .iter()
        .enumerate()
        .map(|(index, api)| {
            let all = &collector.totals.apis[index];
            let now = last.and_then(|l| l.apis.get(index));
            let per_second = |f: fn(&Window) -> u64| now.map_or(0.0, |w| f(w) as f64);
            wire::ChainMonitorData {
                api_id: Some(api.id.clone()),
                api_name: Some(api.name.clone()),
                node_id: Some(index as i64),
                time_point: Some(time_point),
                concurrency: Some(match plan.mode {
                    Mode::Concurrency => shared.concurrency_target(api.relation) as f64,
                    Mode::Rps => 0.0,
                }),
                config_qps: Some(shared.rps_target(index) as i64),
                real_qps: Some(per_second(|w| w.c.requests)),
                qps2_xx: Some(per_second(|w| w.c.status_2xx)),
                failed_qps: Some(per_second(|w| w.c.failed())),
                count2_xx: Some(all.c.status_2xx as i64),
                failed_count: Some(all.c.failed() as i64),
                average_rt: Some(round(all.mean_ms())),
                max_rt: Some(round(all.max_ms())),
                min_rt: Some(round(all.min_ms())),
                check_point_result: Some(wire::CheckPointResult {
                    succeed_business_count: Some(all.c.ok as i64),
                    succeed_business_qps: Some(per_second(|w| w.c.ok)),
                    failed_business_count: Some(all.c.check_failed as i64),
                    failed_business_qps: Some(per_second(|w| w.c.check_failed)),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let limit: u64 = plan.relations.iter().map(|r| r.concurrency.limit).sum();
    let tps_limit: u64 = plan
        .relations
        .iter()
        .filter_map(|r| r.steps.get(r.pace_step))
        .map(|s| plan.apis[s.api].rps.limit)
        .sum();
    let mut data = wire::GetPtsSceneRunningDataOutput {
        begin_time: Some(shared.started_at.timestamp().as_millisecond()),
        has_report: Some(finished),
        concurrency: Some(live),
        concurrency_limit: Some(limit as i64),
        tps_limit: Some(tps_limit as i64),
        total_real_qps: Some(second.c.requests as f64),
        total_request_count: Some(total.c.requests as i64),
        failed_request_count: Some(total.c.failed() as i64),
        failed_business_count: Some(total.c.check_failed as i64),
        average_rt: Some(round(total.mean_ms())),
        seg90_rt: Some(round(total.quantile_ms(0.9))),
        request_bps: Some(bps(second.c.bytes_out)),
        response_bps: Some(bps(second.c.bytes_in)),
        total_agents: Some(1),
        alive_agents: Some(i64::from(!finished)),
        vum: Some(shared.vu_ms.load(Ordering::Relaxed).div_ceil(60_000) as i64),
        chain_monitor_data_list,
        ..Default::default()
    };
    // PTS's running data stops at p90; the live view of a local run shows p99 too.
    data.extra.insert(
        SEG99_KEY.to_owned(),
        serde_json::json!(round(total.quantile_ms(0.99))),
    );
    data
}

/// Key of the whole run's p99 latency so far (ms) in the local engine's running data,
/// beside PTS's fields; PTS's answers never carry it.
pub const SEG99_KEY: &str = "PtsplanSeg99Rt";

fn bps(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1}mb", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1}kb", b as f64 / 1024.0),
        b => format!("{b}b"),
    }
}

/// What a debug run keeps of one exchange.
pub(crate) struct Sample<'a> {
    pub relation: usize,
    pub step: &'a Step,
    pub vars: &'a Vars,
    pub start: Instant,
    pub latency: Duration,
    pub request: (Bytes, HeaderMap, Bytes),
    pub answer: Option<&'a Answer>,
    pub outcome: Outcome,
    pub checks: Vec<serde_json::Value>,
}

/// A checkpoint outcome as PTS's `CheckResult` lists it.
pub(crate) fn check_result(check: &Check, pass: bool, actual: Option<&[u8]>) -> serde_json::Value {
    let (kind, point, operator) = &check.wire;
    json!({
        "checkPointType": kind,
        "point": point,
        "hit": pass,
        "checker": {
            "expect": String::from_utf8_lossy(&check.expect),
            "operate": operator,
            "realValue": actual.map(|a| String::from_utf8_lossy(a).into_owned()),
        },
    })
}

fn headers_json(headers: &HeaderMap) -> String {
    let list: Vec<_> = headers
        .iter()
        .map(|(n, v)| json!({"name": n.as_str(), "value": String::from_utf8_lossy(v.as_bytes())}))
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// One `SamplingLog`.
pub(crate) fn sampling_log(plan: &Plan, s: Sample<'_>) -> wire::SamplingLog {
    let relation = &plan.relations[s.relation];
    let target = &plan.targets[s.step.target];
    let started_ms = jiff::Timestamp::now().as_millisecond() - s.start.elapsed().as_millis() as i64;
    let exports: serde_json::Map<_, _> = s
        .step
        .exports
        .iter()
        .map(|e| {
            let value = s
                .vars
                .get(e.slot)
                .map(|v| String::from_utf8_lossy(v).into_owned());
            (e.name.clone(), json!(value))
        })
        .collect();
    let (path, headers, body) = s.request;
    wire::SamplingLog {
        chain_id: Some(relation.id.clone()),
        chain_name: Some(relation.name.clone()),
        node_id: Some(plan.apis[s.step.api].id.clone()),
        timestamp: Some(started_ms),
        http_start_time: Some(started_ms),
        rt: Some(format!("{}", s.latency.as_millis())),
        http_request_method: Some(s.step.method.to_string()),
        http_request_url: Some(format!(
            "http://{}{}",
            target.authority,
            String::from_utf8_lossy(&path)
        )),
        http_request_headers: Some(headers_json(&headers)),
        http_request_body: Some(String::from_utf8_lossy(&body).into_owned()),
        http_response_status: s.answer.map(|a| a.status.to_string()),
        http_response_headers: s.answer.map(|a| headers_json(&a.headers)),
        http_response_body: s
            .answer
            .map(|a| String::from_utf8_lossy(&a.body).into_owned()),
        http_response_fail_msg: (s.outcome != Outcome::Ok).then(|| format!("{:?}", s.outcome)),
        check_result: Some(serde_json::Value::Array(s.checks).to_string()),
        export_content: Some(serde_json::Value::Object(exports).to_string()),
        ..Default::default()
    }
}
