//! When to try a call again, and how long to wait first.
//!
//! Read-only actions (`Get*`, `List*`, `Describe*`) are retried on throttling, 5xx answers and
//! lost answers: repeating a read changes nothing. A mutation is retried only if it provably
//! never left this machine ([`ApiError::Transport`]); once it may have reached the service, a
//! second send could create a duplicate scene, so the caller gets
//! [`ApiError::OutcomeUnknown`] and resolves it by reading. That holds for answered
//! mutations too, throttled ones included: the caller (apply) decides, with its journal, what
//! to do next.
//!
//! Waits grow exponentially with full jitter (a random wait between zero and the cap of the
//! attempt), so that many clients throttled at once do not retry in step.

use std::time::Duration;

use super::error::ApiError;

/// Whether an action only reads. The one place where actions are classified: by name, as
/// PTS names its read-only actions `Get*`, `List*` and `Describe*`.
pub fn is_read_only(action: &str) -> bool {
    ["Get", "List", "Describe"]
        .iter()
        .any(|prefix| action.starts_with(prefix))
}

/// Whether a failed call may be sent again.
pub fn is_retryable(error: &ApiError, read_only: bool) -> bool {
    match error {
        ApiError::Transport { .. } => true,
        ApiError::Api { http_status, .. } => {
            read_only && (error.is_throttling() || *http_status >= 500)
        }
        ApiError::Decode { http_status, .. } => read_only && *http_status >= 500,
        ApiError::Interrupted { .. } => read_only,
        ApiError::OutcomeUnknown { .. } => false,
    }
}

/// How many times to try and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The wait cap after the first failure; doubled after each further one.
    pub base: Duration,
    /// The largest wait cap.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// Four tries, waits capped at 200 ms, 400 ms, 800 ms: under two seconds in all, enough
    /// for a short throttling burst, short enough for an interactive command.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait cap after failed try number `attempt` (from 1): `base × 2^(attempt-1)`, at
    /// most `cap`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait after failed try `attempt`: `jitter` (in `0.0..=1.0`) of the ceiling, but at
    /// least what the service asked for with `x-acs-retry-after` (bounded by `cap`).
    pub fn delay(&self, attempt: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let jittered = self.ceiling(attempt).mul_f64(jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(asked) => jittered.max(asked.min(self.cap)),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, http_status: u16) -> ApiError {
        ApiError::Api {
            action: "X",
            code: code.into(),
            message: String::new(),
            request_id: None,
            http_status,
            retry_after: None,
        }
    }

    #[test]
    fn read_only_by_name() {
        for action in [
            "GetPtsScene",
            "ListPtsScene",
            "DescribeRegions",
            "GetAllRegions",
        ] {
            assert!(is_read_only(action), "{action}");
        }
        for action in [
            "SavePtsScene",
            "DeletePtsScene",
            "StartPtsScene",
            "ModifyPtsScene",
            "AdjustPtsSceneSpeed",
        ] {
            assert!(!is_read_only(action), "{action}");
        }
    }

    #[test]
    fn classification() {
        let interrupted = ApiError::Interrupted {
            action: "X",
            cause: String::new(),
        };
        let unknown = ApiError::OutcomeUnknown {
            action: "X",
            cause: String::new(),
        };
        let transport = ApiError::Transport {
            action: "X",
            endpoint: String::new(),
            cause: String::new(),
        };
        let html_503 = ApiError::Decode {
            action: "X",
            http_status: 503,
            reason: String::new(),
        };
        let garbage_200 = ApiError::Decode {
            action: "X",
            http_status: 200,
            reason: String::new(),
        };
        let cases = [
            // (error, retried for a read, retried for a mutation)
            (api("Throttling.User", 400), true, false),
            (api("Throttling", 503), true, false),
            (api("ServiceUnavailable", 503), true, false),
            (api("InternalFailure", 500), true, false),
            (api("SignatureDoesNotMatch", 400), false, false),
            (api("GetPtsSceneFail", 400), false, false),
            (interrupted, true, false),
            (unknown, false, false),
            (transport, true, true),
            (html_503, true, false),
            (garbage_200, false, false),
        ];
        for (error, read, write) in cases {
            assert_eq!(is_retryable(&error, true), read, "read: {error}");
            assert_eq!(is_retryable(&error, false), write, "mutation: {error}");
        }
    }

    #[test]
    fn exponential_ceilings_with_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        let ceilings: Vec<u128> = (1..=6).map(|a| policy.ceiling(a).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn full_jitter_and_retry_after() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(2, 0.0, None), Duration::ZERO);
        assert_eq!(policy.delay(2, 0.5, None), Duration::from_millis(200));
        assert_eq!(policy.delay(2, 1.0, None), Duration::from_millis(400));
        assert_eq!(policy.delay(2, 7.0, None), Duration::from_millis(400));
        let asked = Some(Duration::from_secs(2));
        assert_eq!(policy.delay(1, 0.1, asked), Duration::from_secs(2));
        let too_long = Some(Duration::from_secs(3600));
        assert_eq!(policy.delay(1, 0.1, too_long), Duration::from_secs(5));
    }
}
