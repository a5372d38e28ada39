//! Request timeouts that cost (almost) nothing when requests are fast.
//!
//! `tokio::time::timeout` registers a timer entry for every request and removes it when the
//! answer comes, with clock reads and the timer wheel's lock each time: on the closed
//! model's hot path that was the largest piece of user-space work after parsing answers.
//! A virtual user's [`Alarm`] instead keeps one timer armed: a request only moves it when it
//! must fire *earlier*, and when it fires before the current request's deadline it is
//! re-armed for that deadline. With answers in microseconds and timeouts in seconds the
//! timer is re-armed about once per timeout, not once per request.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// One virtual user's request timer.
pub(crate) struct Alarm {
    sleep: Pin<Box<Sleep>>,
}

impl Alarm {
    pub(crate) fn new() -> Alarm {
        Alarm {
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
        }
    }

    /// Runs `work` for at most `limit`: `None` when the time ran out first (the work is
    /// then dropped, as with `tokio::time::timeout`).
    pub(crate) async fn limit<F: Future>(&mut self, limit: Duration, work: F) -> Option<F::Output> {
        let deadline = Instant::now() + limit;
        if self.sleep.deadline() > deadline {
            self.sleep.as_mut().reset(deadline);
        }
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                biased;
                output = &mut work => return Some(output),
                () = self.sleep.as_mut() => {
                    if Instant::now() >= deadline {
                        return None;
                    }
                    // An earlier request's deadline: this one's is later.
                    self.sleep.as_mut().reset(deadline);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paused<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
            .block_on(future)
    }

    async fn after(delay: Duration) -> Instant {
        tokio::time::sleep(delay).await;
        Instant::now()
    }

    #[test]
    fn work_within_the_limit_finishes_and_slow_work_stops_at_the_limit() {
        paused(async {
            let mut alarm = Alarm::new();
            let second = Duration::from_secs(1);
            assert!(alarm.limit(second, after(second / 2)).await.is_some());
            let start = Instant::now();
            assert!(alarm.limit(second, after(second * 5)).await.is_none());
            assert_eq!(start.elapsed(), second);
        });
    }

    #[test]
    fn a_later_deadline_waits_out_an_earlier_one_and_an_earlier_one_is_kept() {
        paused(async {
            let mut alarm = Alarm::new();
            let ms = Duration::from_millis(1);
            // Arms the timer for 100 ms from now, then finishes at once.
            assert!(alarm.limit(ms * 100, async {}).await.is_some());
            // A longer limit is not cut short when the older timer fires at 100 ms.
            let start = Instant::now();
            assert!(alarm.limit(ms * 300, after(ms * 250)).await.is_some());
            assert_eq!(start.elapsed(), ms * 250);
            // Still armed for 300 ms after the previous start: a shorter limit fires on time.
            let start = Instant::now();
            assert!(alarm.limit(ms * 10, after(ms * 40)).await.is_none());
            assert_eq!(start.elapsed(), ms * 10);
            // Many fast requests in a row, then a slow one: it still times out at its limit.
            for _ in 0..1_000 {
                assert!(alarm.limit(ms * 50, async {}).await.is_some());
            }
            let start = Instant::now();
            assert!(alarm.limit(ms * 50, after(ms * 500)).await.is_none());
            assert_eq!(start.elapsed(), ms * 50);
        });
    }
}
