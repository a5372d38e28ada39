//! Counting: each worker thread records into its own [`Window`]s (plain fields and an HDR
//! histogram, no locks, no per-request allocation); once a second it folds them into the
//! shared [`Collector`], which keeps run totals, the live view and the per-second series.
//!
//! Latencies are microseconds in the histograms and milliseconds in reports.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

/// Highest latency a histogram holds (one hour, in µs); larger values are clamped.
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Why a request (or iteration) failed, or that it did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Success status and every checkpoint passed.
    Ok,
    /// Success status, a checkpoint failed (PTS's "business failure").
    CheckFailed,
    /// A status that is not a success.
    Status,
    /// No answer within `TimeoutInSecond`.
    Timeout,
    /// Could not connect.
    Connect,
    /// The connection broke during the exchange, or the request could not be built.
    Other,
}

/// Counters of one API or chain over some time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub requests: u64,
    pub ok: u64,
    pub check_failed: u64,
    pub status_failed: u64,
    pub timeouts: u64,
    pub connect_errors: u64,
    pub other_errors: u64,
    pub status_2xx: u64,
    /// 401/403 answers.
    pub auth_failed: u64,
    /// 401/403 answers to a request whose token had outlived its declared lifetime.
    pub auth_expired: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.requests += o.requests;
        self.ok += o.ok;
        self.check_failed += o.check_failed;
        self.status_failed += o.status_failed;
        self.timeouts += o.timeouts;
        self.connect_errors += o.connect_errors;
        self.other_errors += o.other_errors;
        self.status_2xx += o.status_2xx;
        self.auth_failed += o.auth_failed;
        self.auth_expired += o.auth_expired;
        self.bytes_out += o.bytes_out;
        self.bytes_in += o.bytes_in;
    }

    /// Failed requests (anything but success and checkpoint failures).
    pub(crate) fn failed(&self) -> u64 {
        self.status_failed + self.timeouts + self.connect_errors + self.other_errors
    }
}

/// Counters and latencies of one API or chain over some time.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub c: Counts,
    pub latency: Histogram<u64>,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            c: Counts::default(),
            // Constant bounds that hdrhistogram accepts (low ≥ 1, high ≥ 2·low, 3 digits).
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .expect("constant histogram bounds are valid"),
        }
    }
}

/// One recorded exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record {
    pub outcome: Outcome,
    pub status: u16,
    pub latency_us: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub token_expired: bool,
}

impl Window {
    /// Counts one exchange.
    pub(crate) fn record(&mut self, r: &Record) {
        let c = &mut self.c;
        c.requests += 1;
        match r.outcome {
            Outcome::Ok => c.ok += 1,
            Outcome::CheckFailed => c.check_failed += 1,
            Outcome::Status => c.status_failed += 1,
            Outcome::Timeout => c.timeouts += 1,
            Outcome::Connect => c.connect_errors += 1,
            Outcome::Other => c.other_errors += 1,
        }
        if (200..300).contains(&r.status) {
            c.status_2xx += 1;
        }
        if r.status == 401 || r.status == 403 {
            c.auth_failed += 1;
            c.auth_expired += u64::from(r.token_expired);
        }
        c.bytes_out += r.bytes_out;
        c.bytes_in += r.bytes_in;
        self.latency
            .saturating_record(r.latency_us.clamp(1, MAX_LATENCY_US));
    }

    /// Adds another window's counts.
    pub(crate) fn add(&mut self, o: &Window) {
        self.c.add(&o.c);
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency.add(&o.latency);
    }

    /// Empties the window, keeping its memory.
    pub(crate) fn reset(&mut self) {
        self.c = Counts::default();
        self.latency.reset();
    }

    /// A latency quantile in milliseconds (0 when empty).
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    /// Mean latency in milliseconds.
    pub(crate) fn mean_ms(&self) -> f64 {
        if self.latency.is_empty() {
            0.0
        } else {
            self.latency.mean() / 1000.0
        }
    }

    /// Minimum latency in milliseconds.
    pub(crate) fn min_ms(&self) -> f64 {
        if self.latency.is_empty() {
            0.0
        } else {
            self.latency.min() as f64 / 1000.0
        }
    }

    /// Maximum latency in milliseconds.
    pub(crate) fn max_ms(&self) -> f64 {
        if self.latency.is_empty() {
            0.0
        } else {
            self.latency.max() as f64 / 1000.0
        }
    }
}

/// What one worker thread counts: a window per API and per chain.
#[derive(Debug, Clone, Default)]
pub(crate) struct Windows {
    pub apis: Vec<Window>,
    pub chains: Vec<Window>,
}

impl Windows {
    pub(crate) fn new(apis: usize, chains: usize) -> Windows {
        Windows {
            apis: (0..apis).map(|_| Window::default()).collect(),
            chains: (0..chains).map(|_| Window::default()).collect(),
        }
    }

    fn add(&mut self, other: &Windows) {
        for (a, b) in self.apis.iter_mut().zip(&other.apis) {
            a.add(b);
        }
        for (a, b) in self.chains.iter_mut().zip(&other.chains) {
            a.add(b);
        }
    }

    pub(crate) fn reset(&mut self) {
        self.apis
            .iter_mut()
            .chain(self.chains.iter_mut())
            .for_each(Window::reset);
    }
}

/// Figures of one API in one second of a run (for charts and the live view).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SecondStats {
    /// Seconds since the run began (0 = the first second).
    pub second: u32,
    /// The API's name.
    pub api: String,
    /// Requests that completed in this second.
    pub requests: u64,
    /// Successes (status and checkpoints).
    pub successes: u64,
    /// Requests that failed (status, timeout, connection).
    pub failures: u64,
    /// Checkpoint failures.
    pub check_failures: u64,
    /// 401/403 answers.
    pub auth_failures: u64,
    /// Latency, milliseconds.
    pub avg_ms: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Maximum latency, milliseconds.
    pub max_ms: f64,
    /// Response bytes.
    pub bytes_in: u64,
}

/// Run-wide figures, fed by the worker threads once a second.
#[derive(Debug)]
pub(crate) struct Collector {
    threads: usize,
    pub totals: Windows,
    /// The last second every thread has reported, per API.
    pub last_second: Option<Windows>,
    pending: BTreeMap<u32, (usize, Windows)>,
    pub series: Vec<SecondStats>,
    api_names: Vec<String>,
}

impl Collector {
    pub(crate) fn new(threads: usize, api_names: Vec<String>, chains: usize) -> Collector {
        Collector {
            threads,
            totals: Windows::new(api_names.len(), chains),
            last_second: None,
            pending: BTreeMap::new(),
            series: Vec::new(),
            api_names,
        }
    }

    /// Folds one thread's counts of `second` in.
    pub(crate) fn add(&mut self, second: u32, windows: &Windows) {
        self.totals.add(windows);
        let apis = self.api_names.len();
        let chains = self.totals.chains.len();
        let entry = self
            .pending
            .entry(second)
            .or_insert_with(|| (0, Windows::new(apis, chains)));
        entry.0 += 1;
        entry.1.add(windows);
        if entry.0 >= self.threads {
            self.complete(second);
        }
    }

    /// Closes every second still waiting for threads that have stopped reporting.
    pub(crate) fn finish(&mut self) {
        while let Some(&second) = self.pending.keys().next() {
            self.complete(second);
        }
    }

    fn complete(&mut self, upto: u32) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > upto {
                break;
            }
            let (second, (_, windows)) = entry.remove_entry();
            for (window, name) in windows.apis.iter().zip(&self.api_names) {
                self.series.push(SecondStats {
                    second,
                    api: name.clone(),
                    requests: window.c.requests,
                    successes: window.c.ok,
                    failures: window.c.failed(),
                    check_failures: window.c.check_failed,
                    auth_failures: window.c.auth_failed,
                    avg_ms: window.mean_ms(),
                    p50_ms: window.quantile_ms(0.5),
                    p99_ms: window.quantile_ms(0.99),
                    max_ms: window.max_ms(),
                    bytes_in: window.c.bytes_in,
                });
            }
            self.last_second = Some(windows);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(outcome: Outcome, status: u16, ms: u64) -> Record {
        Record {
            outcome,
            status,
            latency_us: ms * 1000,
            bytes_out: 10,
            bytes_in: 100,
            token_expired: status == 401,
        }
    }

    #[test]
    fn windows_count_causes_and_merge_per_second() {
        let mut w = Window::default();
        w.record(&record(Outcome::Ok, 200, 1));
        w.record(&record(Outcome::Status, 401, 3));
        w.record(&record(Outcome::Timeout, 0, 5));
        assert_eq!(
            (
                w.c.requests,
                w.c.ok,
                w.c.failed(),
                w.c.auth_failed,
                w.c.auth_expired
            ),
            (3, 1, 2, 1, 1)
        );
        assert!((w.quantile_ms(0.5) - 3.0).abs() < 0.01 && (w.max_ms() - 5.0).abs() < 0.01);
        let mut collector = Collector::new(2, vec!["a".into()], 1);
        let mut thread = Windows::new(1, 1);
        thread.apis[0].add(&w);
        collector.add(0, &thread);
        assert!(collector.series.is_empty(), "waits for the second thread");
        collector.add(0, &thread);
        assert_eq!(collector.series[0].requests, 6);
        collector.add(1, &thread);
        collector.finish();
        assert_eq!(collector.series.len(), 2);
        assert_eq!(collector.totals.apis[0].c.requests, 9);
        thread.reset();
        assert_eq!(
            (thread.apis[0].c.requests, thread.apis[0].latency.len()),
            (0, 0)
        );
    }
}
