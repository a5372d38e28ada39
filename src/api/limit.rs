//! A client-side rate limit and a bound on concurrent calls, shared by every clone of a
//! [`Client`](super::Client): PTS throttles per account, so all calls of one ptsplan process
//! draw from one budget.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A token bucket: `rate` tokens per second, holding at most `burst`. Pure arithmetic over
/// the instants it is given, so it can be tested without a clock.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`. `rate` must be positive; `burst` is at least one token.
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        let burst = burst.max(1.0);
        Self {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes one token at `now` and returns how long the caller must wait before using it.
    /// Tokens are reserved even when not yet available (the count goes negative), so that
    /// waiting callers are served in the order they asked and the rate holds under load.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// Rate limit plus parallelism bound. Cloning shares the budget.
#[derive(Debug, Clone)]
pub struct Limiter {
    bucket: Option<Arc<Mutex<TokenBucket>>>,
    slots: Arc<Semaphore>,
}

/// Held for the duration of one call; frees the parallelism slot when dropped.
#[derive(Debug)]
pub struct Permit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl Limiter {
    /// At most `parallelism` calls at once (at least one) and, if given, `rate` calls per
    /// second with bursts of up to `rate` (at least one) calls.
    pub fn new(parallelism: usize, rate: Option<f64>) -> Self {
        let bucket = rate
            .filter(|rate| rate.is_finite() && *rate > 0.0)
            .map(|rate| Arc::new(Mutex::new(TokenBucket::new(rate, rate, Instant::now()))));
        Self {
            bucket,
            slots: Arc::new(Semaphore::new(parallelism.max(1))),
        }
    }

    /// Waits for a slot, then for a token.
    pub async fn acquire(&self) -> Permit {
        // The semaphore is never closed; if it were, going on unbounded is the harmless
        // degradation.
        let slot = self.slots.clone().acquire_owned().await.ok();
        if let Some(bucket) = &self.bucket {
            // tokio's clock, so that tests with paused time see the waits they cause.
            let now = tokio::time::Instant::now().into_std();
            let wait = match bucket.lock() {
                Ok(mut bucket) => bucket.reserve(now),
                Err(poisoned) => poisoned.into_inner().reserve(now),
            };
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        Permit { _slot: slot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10.0, 3.0, start);
        // Three free tokens, then each further one 100 ms after the previous.
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        let waits: Vec<u128> = (0..3).map(|_| bucket.reserve(start).as_millis()).collect();
        assert_eq!(waits, [100, 200, 300]);
    }

    #[test]
    fn refills_up_to_the_burst_only() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2.0, 2.0, start);
        bucket.reserve(start);
        bucket.reserve(start);
        // An hour idle refills two tokens, not 7200.
        let later = start + Duration::from_secs(3600);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), Duration::from_millis(500));
    }

    #[test]
    fn half_a_token_per_second() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(0.5, 0.5, start);
        assert_eq!(bucket.reserve(start), Duration::ZERO);
        assert_eq!(bucket.reserve(start), Duration::from_secs(2));
        // An instant earlier than the last one is treated as the last one.
        assert_eq!(
            bucket.reserve(start - Duration::from_secs(1)),
            Duration::from_secs(4)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_bounds_parallelism_and_rate() {
        let limiter = Limiter::new(2, None);
        let first = limiter.acquire().await;
        let _second = limiter.clone().acquire().await;
        // A third caller waits for a slot.
        let third = tokio::time::timeout(Duration::from_millis(10), limiter.acquire()).await;
        assert!(third.is_err(), "no third slot");
        drop(first);
        let _third = limiter.acquire().await;

        let limiter = Limiter::new(10, Some(5.0));
        let started = tokio::time::Instant::now();
        for _ in 0..7 {
            drop(limiter.acquire().await);
        }
        // A burst of 5, then one every 200 ms.
        assert_eq!(started.elapsed().as_millis(), 400);
    }
}
