//! JMeter reports (reference §5.6): the final report, the list, and what a run left while
//! and after it ran: metrics over time, kept samples, JMeter's log. The report id is the
//! run's; runs in progress answer their live figures.
//!
//! Shapes the reference leaves free-form:
//!
//! - `GetJMeterSampleMetrics`: each `SampleMetricList` entry is the JSON text of one time
//!   bucket (one second; longer for runs over 30 minutes) of one sampler or, for
//!   `SamplerId` -1 or absent, the whole scene: `timestamp` (bucket start, epoch ms),
//!   `totalCount`, `reqSuccessCount`, `reqFailureCount`, `tps`, `reqSuccessTps`,
//!   `reqFailureTps`, `rtAvg`/`rtMin`/`rtMax`, `reqSuccessRtAvg`/`Min`/`Max`,
//!   `reqFailureRtMin`/`Max`, `responseBytes`, `responseBps`, `concurrency`, `statusCodes`
//!   (`[{name, count}]`). `SamplerMap` maps `"0"`, `"1"`… to sampler names.
//! - `GetJMeterSamplingLogs`: each `SampleResults` entry is the JSON text of one kept sample
//!   (`seq`, `timestamp`, `elapsed`, `latency`, `samplerId`, `samplerName`, `responseCode`,
//!   `responseMessage`, `threadName`, `success`, `bytes`, `allThreads`, `failureMessage`).
//!   A run keeps about 2000 samples spread evenly over it plus its first 500 failures
//!   (debug runs: every sample, up to the same bounds).
//! - `GetJMeterLogs`: each `Logs` entry is `{time (epoch ms), timeText, level, logger,
//!   message, agentIndex}` from JMeter's `jmeter.log`, continuation lines (stack traces)
//!   joined to their entry.

use std::io::{Read, Seek, SeekFrom};

use serde_json::Value;

use super::super::jmeter::{self, KeptSample, Record, Series};
use super::jmeter::report_not_exist;
use super::reports::ReportFilter;
use super::{ApiError, Shared, check_paging, ok, page};
use crate::wire::{
    Action, GetJMeterLogs, GetJMeterLogsOutput, GetJMeterReportDetails, GetJMeterSampleMetrics,
    GetJMeterSampleMetricsOutput, GetJMeterSamplingLogs, GetJMeterSamplingLogsOutput, JsonObject,
    ListJMeterReports, ListReportsOutput, Params, ReportSummary,
};

/// The most of `jmeter.log` read (its end), bytes.
const MAX_LOG_BYTES: u64 = 16 * 1024 * 1024;

pub(super) fn details(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterReportDetails::from_params(params)?;
    let report = shared
        .store
        .read(|tables| {
            tables
                .jmeter_runs
                .get(&request.report_id)
                .and_then(|record| record.report.clone())
        })
        .ok_or_else(report_not_exist)?;
    ok(&report)
}

pub(super) fn list(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = ListJMeterReports::from_params(params)?;
    check_paging(request.page_number, (1, 100), request.page_size, (1, 50))?;
    let filter = ReportFilter {
        scene_id: request.scene_id.as_deref(),
        report_id: request.report_id.as_deref(),
        begin_ms: request.begin_time,
        end_ms: request.end_time,
        keyword: request.keyword.as_deref(),
    };
    let mut records: Vec<Record> = shared.store.read(|tables| {
        tables
            .jmeter_runs
            .values()
            .filter(|record| {
                record.report.is_some()
                    && filter.admits(
                        (&record.scene_id, &record.report_id),
                        (record.start_ms, record.end_ms),
                        &name_of(record),
                    )
            })
            .cloned()
            .collect()
    });
    if request.report_id.is_some() && records.is_empty() {
        return Err(report_not_exist());
    }
    records.sort_by(|a, b| {
        b.start_ms
            .cmp(&a.start_ms)
            .then_with(|| a.report_id.cmp(&b.report_id))
    });
    let summaries: Vec<ReportSummary> = records
        .iter()
        .map(|record| {
            let seconds = (record.end_ms.unwrap_or(record.start_ms) - record.start_ms) / 1000;
            ReportSummary {
                report_id: Some(record.report_id.clone()),
                report_name: Some(name_of(record)),
                actual_start_time: Some(record.start_ms),
                duration: Some(format!("{}m{}s", seconds / 60, seconds % 60)),
                vum: record
                    .report
                    .as_ref()
                    .and_then(|report| report.report_over_view.as_ref()?.vum),
                ..ReportSummary::default()
            }
        })
        .collect();
    ok(&ListReportsOutput {
        page_number: Some(request.page_number),
        page_size: Some(request.page_size),
        total_count: i64::try_from(summaries.len()).ok(),
        reports: page(&summaries, request.page_number, request.page_size),
        ..ListReportsOutput::default()
    })
}

fn name_of(record: &Record) -> String {
    record
        .report
        .as_ref()
        .and_then(|report| report.report_over_view.as_ref()?.report_name.clone())
        .unwrap_or_else(|| record.scene_name.clone())
}

/// What a run has measured so far: live for a run in progress, else from its record.
struct Measured {
    series: Series,
    samplers: Vec<String>,
    samples: Vec<KeptSample>,
}

fn measured(shared: &Shared, report_id: &str) -> Result<Measured, ApiError> {
    let live = shared
        .jmeter_runs
        .lock()
        .values()
        .find(|active| active.report_id == report_id)
        .map(|active| {
            let stats = active.run.stats();
            Measured {
                series: stats.series.clone(),
                samplers: stats.sampler_names(),
                samples: stats.kept(),
            }
        });
    if let Some(live) = live {
        return Ok(live);
    }
    shared
        .store
        .read(|tables| {
            tables.jmeter_runs.get(report_id).map(|record| Measured {
                series: record.series.clone().unwrap_or_default(),
                samplers: record.samplers.clone(),
                samples: record.samples.clone(),
            })
        })
        .ok_or_else(report_not_exist)
}

pub(super) fn sample_metrics(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterSampleMetrics::from_params(params)?;
    let measured = measured(shared, &request.report_id)?;
    let sampler = request.sampler_id.unwrap_or(-1).max(-1);
    let sampler_map: JsonObject = measured
        .samplers
        .iter()
        .enumerate()
        .map(|(id, name)| (id.to_string(), Value::from(name.clone())))
        .collect();
    ok(&GetJMeterSampleMetricsOutput {
        sample_metric_list: measured.series.points(
            sampler,
            request.begin_time.map(to_ms),
            request.end_time.map(to_ms),
        ),
        sampler_map: Some(sampler_map),
        ..GetJMeterSampleMetricsOutput::default()
    })
}

pub(super) fn sampling_logs(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterSamplingLogs::from_params(params)?;
    check_paging(
        request.page_number,
        (1, 10_000_000),
        request.page_size,
        (1, 200),
    )?;
    let measured = measured(shared, &request.report_id)?;
    let contains = |text: &str, want: &Option<String>| {
        want.as_ref()
            .is_none_or(|want| text.contains(want.as_str()))
    };
    let matching: Vec<String> = measured
        .samples
        .iter()
        .filter(|s| {
            request.begin_time.is_none_or(|t| s.timestamp >= to_ms(t))
                && request.end_time.is_none_or(|t| s.timestamp <= to_ms(t))
                && request.min_rt.is_none_or(|rt| s.elapsed >= rt)
                && request.max_rt.is_none_or(|rt| s.elapsed <= rt)
                && request
                    .sampler_id
                    .is_none_or(|id| id < 0 || s.sampler_id == id)
                && request.success.is_none_or(|ok| s.success == ok)
                && request
                    .response_code
                    .as_ref()
                    .is_none_or(|code| s.response_code == *code)
                && contains(&s.thread_name, &request.thread)
                && request.keyword.as_ref().is_none_or(|k| {
                    [&s.sampler_name, &s.response_message, &s.failure_message]
                        .iter()
                        .any(|text| text.contains(k.as_str()))
                })
        })
        .filter_map(|s| serde_json::to_string(s).ok())
        .collect();
    ok(&GetJMeterSamplingLogsOutput {
        page_number: Some(request.page_number),
        page_size: Some(request.page_size),
        total_count: i64::try_from(matching.len()).ok(),
        sample_results: page(&matching, request.page_number, request.page_size),
        ..GetJMeterSamplingLogsOutput::default()
    })
}

pub(super) fn logs(shared: &Shared, params: &Params) -> Result<Value, ApiError> {
    let request = GetJMeterLogs::from_params(params)?;
    check_paging(
        request.page_number,
        (1, 10_000_000),
        request.page_size,
        (1, 200),
    )?;
    if shared
        .store
        .read(|tables| !tables.jmeter_runs.contains_key(&request.report_id))
    {
        return Err(report_not_exist());
    }
    let path = shared
        .store
        .root()
        .join(jmeter::WORK_DIR)
        .join(&request.report_id)
        .join(jmeter::LOG);
    let least = severity(request.level.as_deref().unwrap_or("INFO"));
    let entries: Vec<JsonObject> = parse_log(&read_tail(&path))
        .into_iter()
        .filter(|entry| {
            severity(entry.level.as_str()) >= least
                && request.begin_time.is_none_or(|t| entry.time >= to_ms(t))
                && request.end_time.is_none_or(|t| entry.time <= to_ms(t))
                && request
                    .keyword
                    .as_ref()
                    .is_none_or(|k| entry.message.contains(k.as_str()))
                && request.thread.as_ref().is_none_or(|t| {
                    entry.message.contains(t.as_str()) || entry.logger.contains(t.as_str())
                })
        })
        .map(|entry| entry.to_json())
        .collect();
    ok(&GetJMeterLogsOutput {
        agent_count: Some(1),
        page_number: Some(request.page_number),
        page_size: Some(request.page_size),
        total_count: i64::try_from(entries.len()).ok(),
        logs: page(&entries, request.page_number, request.page_size),
        ..GetJMeterLogsOutput::default()
    })
}

/// A time given in seconds (as documented) or milliseconds (as the examples show), in ms.
fn to_ms(time: i64) -> i64 {
    if time.abs() < 100_000_000_000 {
        time.saturating_mul(1000)
    } else {
        time
    }
}

/// Log levels, least severe first; unknown levels rank as INFO.
fn severity(level: &str) -> u8 {
    match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => 0,
        "DEBUG" => 1,
        "WARN" => 3,
        "ERROR" => 4,
        "FATAL" | "FATAL_ERROR" => 5,
        _ => 2,
    }
}

/// The end of the file at `path` (at most [`MAX_LOG_BYTES`]), as text.
fn read_tail(path: &std::path::Path) -> String {
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(size.saturating_sub(MAX_LOG_BYTES)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One `jmeter.log` entry.
#[derive(Debug, Clone, PartialEq)]
struct LogEntry {
    time: i64,
    time_text: String,
    level: String,
    logger: String,
    message: String,
}

impl LogEntry {
    fn to_json(&self) -> JsonObject {
        let value = serde_json::json!({
            "time": self.time,
            "timeText": self.time_text,
            "level": self.level,
            "logger": self.logger,
            "message": self.message,
            "agentIndex": 0,
        });
        value.as_object().cloned().unwrap_or_default()
    }
}

/// Parses JMeter 2.13's log lines (`2026/11/23 17:32:46 WARN  - jmeter.x.Y: text`); a line
/// that does not start an entry continues the previous one.
fn parse_log(text: &str) -> Vec<LogEntry> {
    let mut entries: Vec<LogEntry> = Vec::new();
    for line in text.lines() {
        match parse_line(line) {
            Some(entry) => entries.push(entry),
            None => {
                if let Some(last) = entries.last_mut() {
                    last.message.push('\n');
                    last.message.push_str(line);
                }
            }
        }
    }
    entries
}

fn parse_line(line: &str) -> Option<LogEntry> {
    let (stamp, rest) = line.split_once(" - ")?;
    let mut parts = stamp.split_whitespace();
    let (date, clock, level) = (parts.next()?, parts.next()?, parts.next()?);
    let time_text = format!("{} {clock}", date.replace('/', "-"));
    let civil: jiff::civil::DateTime = time_text.parse().ok()?;
    // JMeter logs in the backend's local time zone.
    let time = civil
        .to_zoned(jiff::tz::TimeZone::system())
        .ok()?
        .timestamp()
        .as_millisecond();
    let (logger, message) = rest.split_once(": ").unwrap_or(("", rest));
    Some(LogEntry {
        time,
        time_text,
        level: level.to_owned(),
        logger: logger.to_owned(),
        message: message.trim_end().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_become_entries_and_continuations_join_them() {
        let text = "2026/11/23 17:32:46 INFO  - jmeter.engine.StandardJMeterEngine: Running the test!\n\
                    2026/11/23 17:32:46 ERROR - jmeter.threads.JMeterThread: Test failed! java.lang.Error: x\n\
                    \tat a.b.C(C.java:1)\n\
                    2026/11/23 17:32:47 WARN  - jmeter.config.CSVDataSet: Empty delimiter converted to ','\n";
        let entries = parse_log(text);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].level, "INFO");
        assert_eq!(entries[0].logger, "jmeter.engine.StandardJMeterEngine");
        assert_eq!(
            entries[1].message,
            "Test failed! java.lang.Error: x\n\tat a.b.C(C.java:1)"
        );
        assert_eq!(entries[2].time - entries[0].time, 1000);
        assert_eq!(entries[2].time_text, "2026-11-23 17:32:47");
        assert!(severity("warn") > severity("INFO"));
    }

    #[test]
    fn times_in_seconds_or_milliseconds() {
        assert_eq!(to_ms(1_637_157_070), 1_637_157_070_000);
        assert_eq!(to_ms(1_637_157_070_000), 1_637_157_070_000);
    }
}
