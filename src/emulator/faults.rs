//! Fault injection for reliability tests of PTS clients: latency, errors and throttling per
//! action, a failing mutation, and a connection dropped after a mutation was committed (the
//! client cannot know the outcome: exactly the case ptsplan's journal must resolve by reading).
//!
//! Faults are set at start (`--fault SPEC`, see [`Faults::apply_spec`]) or at run time with
//! `PUT /_emulator/faults` and a JSON [`Faults`] body; `GET /_emulator/faults` shows them.
//! Injected answers carry the header `x-ptsplan-fault` so tests can tell them from real ones.
//!
//! A held mutation (`hold_mutation`) is neither applied nor answered until the faults are
//! replaced: a test can kill a client while it waits on a mutation, at a point it chose.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ApiError;

/// The faults to inject. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// Probability (0..1) that a request answers `503 ServiceUnavailable` without being
    /// applied, by action name; `"*"` applies to every action without its own entry.
    pub error_rate: BTreeMap<String, f64>,
    /// Probability (0..1) that a request answers `400 Throttling.User` with
    /// `x-acs-retry-after`, without being applied.
    pub throttle_rate: f64,
    /// The N-th mutation (counted from 1 since the faults were set) answers
    /// `500 InternalError` without being applied. Fires once.
    pub fail_mutation: Option<u64>,
    /// The N-th mutation is applied and committed, then the connection is closed without an
    /// answer. Fires once.
    pub drop_after_mutation: Option<u64>,
    /// The N-th mutation is held: not applied and not answered until the faults are
    /// replaced (or 10 minutes passed), then answered `503 ServiceUnavailable`, still not
    /// applied. Fires once.
    pub hold_mutation: Option<u64>,
}

/// A `--fault` value that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault {spec:?}: {reason}")]
pub struct FaultSpecError {
    spec: String,
    reason: String,
}

impl Faults {
    /// Adds one `--fault` spec:
    ///
    /// | spec | effect |
    /// |---|---|
    /// | `latency=200ms` (or `=2s`, `=200`) | added latency |
    /// | `error=0.1` / `error=StartPtsScene:0.5` | error rate, all actions or one |
    /// | `throttle=0.2` | throttling rate |
    /// | `fail-mutation=3` | the 3rd mutation fails |
    /// | `drop-after-mutation=2` | the 2nd mutation commits, then the connection drops |
    /// | `hold-mutation=4` | the 4th mutation waits, unapplied, until the faults are replaced |
    pub fn apply_spec(&mut self, spec: &str) -> Result<(), FaultSpecError> {
        let error = |reason: &str| FaultSpecError {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let (name, value) = spec
            .split_once('=')
            .ok_or_else(|| error("expected NAME=VALUE"))?;
        let rate = |text: &str| {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|rate| (0.0..=1.0).contains(rate))
                .ok_or_else(|| error("expected a probability between 0 and 1"))
        };
        let count = |text: &str| {
            text.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| error("expected a count from 1"))
        };
        match name.trim() {
            "latency" => {
                let value = value.trim();
                let (number, scale) = if let Some(ms) = value.strip_suffix("ms") {
                    (ms, 1)
                } else if let Some(s) = value.strip_suffix('s') {
                    (s, 1000)
                } else {
                    (value, 1)
                };
                let number: u64 = number
                    .trim()
                    .parse()
                    .map_err(|_| error("expected a duration such as 200ms or 2s"))?;
                self.latency_ms = number.saturating_mul(scale);
            }
            "error" => match value.split_once(':') {
                Some((action, value)) => {
                    self.error_rate
                        .insert(action.trim().to_owned(), rate(value)?);
                }
                None => {
                    self.error_rate.insert("*".to_owned(), rate(value)?);
                }
            },
            "throttle" => self.throttle_rate = rate(value)?,
            "fail-mutation" => self.fail_mutation = Some(count(value)?),
            "drop-after-mutation" => self.drop_after_mutation = Some(count(value)?),
            "hold-mutation" => self.hold_mutation = Some(count(value)?),
            _ => {
                return Err(error(
                    "unknown fault; expected latency, error, throttle, fail-mutation, drop-after-mutation or hold-mutation",
                ));
            }
        }
        Ok(())
    }

    /// Checks that rates are probabilities (for faults set over HTTP).
    pub(crate) fn check(&self) -> Result<(), String> {
        let rates = self.error_rate.values().chain([&self.throttle_rate]);
        for rate in rates {
            if !(0.0..=1.0).contains(rate) {
                return Err(format!("rate {rate} is not between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// The faults in force and the mutation counter they refer to.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    faults: Mutex<Faults>,
    mutations: AtomicU64,
    /// How many times the faults were replaced; a held mutation waits for it to change.
    generation: AtomicU64,
    replaced: Condvar,
}

/// What to do with a mutation after checking the faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MutationFault {
    /// Apply and answer normally.
    None,
    /// Apply, then drop the connection.
    DropAfter,
    /// Wait for the faults of this generation to be replaced ([`FaultState::hold`]).
    Hold(u64),
}

/// The longest a held mutation waits (a test that forgot to release it still ends).
const HOLD_LIMIT: Duration = Duration::from_secs(600);

/// Marks an error as injected.
fn injected(mut error: ApiError) -> ApiError {
    error.injected = true;
    error
}

impl FaultState {
    pub fn new(faults: Faults) -> FaultState {
        FaultState {
            faults: Mutex::new(faults),
            mutations: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            replaced: Condvar::new(),
        }
    }

    /// The faults in force.
    pub fn get(&self) -> Faults {
        self.lock().clone()
    }

    /// Replaces the faults and restarts the mutation count.
    pub fn set(&self, faults: Faults) {
        *self.lock() = faults;
        self.mutations.store(0, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.replaced.notify_all();
    }

    /// Waits until the faults of `generation` are replaced, then refuses the held mutation
    /// (it was never applied). Blocks the calling thread.
    pub fn hold(&self, generation: u64) -> ApiError {
        let guard = self.lock();
        let _released = self
            .replaced
            .wait_timeout_while(guard, HOLD_LIMIT, |_| {
                self.generation.load(Ordering::SeqCst) == generation
            })
            .unwrap_or_else(|p| p.into_inner());
        injected(ApiError::new(
            "ServiceUnavailable",
            "The request was held and released without being applied (injected fault).",
            503,
        ))
    }

    /// The added latency.
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.lock().latency_ms)
    }

    /// An injected error or throttling answer for `action`, if one is due.
    pub fn before(&self, action: &str) -> Result<(), ApiError> {
        let faults = self.lock();
        let rate = faults
            .error_rate
            .get(action)
            .or_else(|| faults.error_rate.get("*"))
            .copied()
            .unwrap_or(0.0);
        if rate > 0.0 && rand::random_bool(rate.min(1.0)) {
            return Err(injected(ApiError::new(
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server (injected fault).",
                503,
            )));
        }
        if faults.throttle_rate > 0.0 && rand::random_bool(faults.throttle_rate.min(1.0)) {
            let mut error = ApiError::new(
                "Throttling.User",
                "Request was denied due to user flow control (injected fault).",
                400,
            );
            error.retry_after_ms = Some(1000);
            return Err(injected(error));
        }
        Ok(())
    }

    /// Counts a mutation and says whether it fails outright, drops after commit, or runs.
    pub fn mutation(&self) -> Result<MutationFault, ApiError> {
        let mut faults = self.lock();
        let n = self.mutations.fetch_add(1, Ordering::SeqCst) + 1;
        if faults.fail_mutation == Some(n) {
            faults.fail_mutation = None;
            return Err(injected(ApiError::new(
                "InternalError",
                "The request processing has failed due to some unknown error (injected fault).",
                500,
            )));
        }
        if faults.drop_after_mutation == Some(n) {
            faults.drop_after_mutation = None;
            return Ok(MutationFault::DropAfter);
        }
        if faults.hold_mutation == Some(n) {
            faults.hold_mutation = None;
            return Ok(MutationFault::Hold(self.generation.load(Ordering::SeqCst)));
        }
        Ok(MutationFault::None)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_build_faults() {
        let mut faults = Faults::default();
        for spec in [
            "latency=2s",
            "error=0.25",
            "error=StartPtsScene:1",
            "throttle=0.5",
            "fail-mutation=3",
            "drop-after-mutation=2",
            "hold-mutation=4",
        ] {
            faults.apply_spec(spec).expect(spec);
        }
        assert_eq!(faults.hold_mutation, Some(4));
        assert_eq!(faults.latency_ms, 2000);
        assert_eq!(faults.error_rate["*"], 0.25);
        assert_eq!(faults.error_rate["StartPtsScene"], 1.0);
        assert_eq!(faults.fail_mutation, Some(3));
        for bad in [
            "latency",
            "error=2",
            "fail-mutation=0",
            "boom=1",
            "latency=fast",
        ] {
            assert!(Faults::default().apply_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nth_mutation_faults_fire_once() {
        let state = FaultState::new(Faults {
            fail_mutation: Some(2),
            drop_after_mutation: Some(3),
            ..Faults::default()
        });
        assert_eq!(state.mutation().expect("1st"), MutationFault::None);
        assert_eq!(state.mutation().expect_err("2nd").status, 500);
        assert_eq!(state.mutation().expect("3rd"), MutationFault::DropAfter);
        assert_eq!(state.mutation().expect("4th"), MutationFault::None);
    }

    #[test]
    fn a_held_mutation_waits_until_the_faults_are_replaced() {
        let state = std::sync::Arc::new(FaultState::new(Faults {
            hold_mutation: Some(1),
            ..Faults::default()
        }));
        let MutationFault::Hold(generation) = state.mutation().expect("1st") else {
            panic!("the 1st mutation is held");
        };
        let waiting = {
            let state = state.clone();
            std::thread::spawn(move || state.hold(generation))
        };
        state.set(Faults::default());
        let error = waiting.join().expect("released");
        assert_eq!((error.status, error.injected), (503, true));
        assert_eq!(state.mutation().expect("next"), MutationFault::None);
    }

    #[test]
    fn certain_errors_are_injected_per_action() {
        let mut faults = Faults::default();
        faults.apply_spec("error=GetPtsScene:1").expect("spec");
        let state = FaultState::new(faults);
        let error = state.before("GetPtsScene").expect_err("injected");
        assert!(error.injected);
        assert_eq!(error.status, 503);
        assert!(state.before("ListPtsScene").is_ok());
    }
}
