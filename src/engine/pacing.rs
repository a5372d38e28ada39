//! Load over time: the level (virtual users or requests per second) a ramp asks for at each
//! moment, and the open-model schedule that turns a rate into intended send times by
//! arithmetic — never by one timer per request, since tokio's timers have a 1 ms grain.
//!
//! Ramps, for both modes:
//! - `AutoStep` with `Increment`: start at begin, add `Increment`% of the limit every
//!   `KeepTime` until the limit;
//! - `AutoStep` without `Increment`: linear from begin to limit over `KeepTime` (or the
//!   whole run);
//! - no `AutoStep` (PTS's manual mode): hold begin; `AdjustPtsSceneSpeed` changes it.

use std::time::{Duration, Instant};

/// Begin and limit of one load level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Level {
    pub begin: u64,
    pub limit: u64,
}

impl Level {
    /// From wire values: a missing limit is the begin, a missing begin the limit; negative
    /// values are zero; both capped at `cap`.
    pub(crate) fn new(begin: Option<i64>, limit: Option<i64>, cap: u64) -> Level {
        let clamp = |v: i64| (v.max(0) as u64).min(cap);
        let begin = begin.or(limit).map_or(0, clamp);
        let limit = limit.map_or(begin, clamp).max(begin);
        Level { begin, limit }
    }
}

/// How levels move from begin to limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ramp {
    pub auto_step: bool,
    pub increment_pct: Option<u64>,
    pub keep: Option<Duration>,
    pub duration: Duration,
}

impl Ramp {
    /// The level at `elapsed` into the run.
    pub(crate) fn level(&self, level: Level, elapsed: Duration) -> u64 {
        if !self.auto_step || level.limit <= level.begin {
            return level.begin;
        }
        let span = level.limit - level.begin;
        match self.increment_pct.filter(|p| *p > 0) {
            Some(pct) => {
                let step = (level.limit * pct.min(100)).div_ceil(100).max(1);
                let steps = span.div_ceil(step);
                let keep = self
                    .keep
                    .unwrap_or(self.duration / u32::try_from(steps + 1).unwrap_or(u32::MAX));
                let done = if keep.is_zero() {
                    steps
                } else {
                    (elapsed.as_nanos() / keep.as_nanos()) as u64
                };
                (level.begin + done.saturating_mul(step)).min(level.limit)
            }
            None => {
                let over = self.keep.unwrap_or(self.duration);
                if over.is_zero() {
                    return level.limit;
                }
                let share = (elapsed.as_secs_f64() / over.as_secs_f64()).min(1.0);
                level.begin + (span as f64 * share) as u64
            }
        }
    }
}

/// Intended send times at a rate that may change: the n-th time after the anchor is
/// `anchor + (n - anchor_n) / rate`.
#[derive(Debug)]
pub(crate) struct Schedule {
    anchor: Instant,
    anchor_n: u64,
    next_n: u64,
    rate: f64,
}

impl Schedule {
    /// A schedule starting at `start`, at `rate` per second.
    pub(crate) fn new(start: Instant, rate: f64) -> Schedule {
        Schedule {
            anchor: start,
            anchor_n: 0,
            next_n: 0,
            rate,
        }
    }

    /// The next intended time, if the rate is not zero.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        (self.rate > 0.0).then(|| {
            let offset = (self.next_n - self.anchor_n) as f64 / self.rate;
            self.anchor + Duration::from_secs_f64(offset)
        })
    }

    /// Changes the rate from `now` on (or from the next due time, if that is later).
    pub(crate) fn set_rate(&mut self, rate: f64, now: Instant) {
        if (rate - self.rate).abs() < f64::EPSILON {
            return;
        }
        let from = self.next_due().map_or(now, |due| due.max(now));
        self.anchor = from;
        self.anchor_n = self.next_n;
        self.rate = rate.max(0.0);
    }

    /// Takes every intended time due by `now`, in order.
    pub(crate) fn take_due(&mut self, now: Instant, mut sink: impl FnMut(Instant)) {
        while let Some(due) = self.next_due().filter(|due| *due <= now) {
            sink(due);
            self.next_n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn levels_from_wire_values() {
        assert_eq!(Level::new(Some(5), None, 100), Level { begin: 5, limit: 5 });
        assert_eq!(Level::new(None, Some(7), 100), Level { begin: 7, limit: 7 });
        assert_eq!(
            Level::new(Some(-1), Some(500), 100),
            Level {
                begin: 0,
                limit: 100
            }
        );
    }

    #[test]
    fn stepped_linear_and_manual_ramps() {
        let level = Level {
            begin: 10,
            limit: 50,
        };
        let stepped = Ramp {
            auto_step: true,
            increment_pct: Some(20),
            keep: Some(secs(2)),
            duration: secs(60),
        };
        let at = |r: &Ramp, s: f64| r.level(level, Duration::from_secs_f64(s));
        assert_eq!(
            [0.0, 1.9, 2.0, 4.0, 8.0, 100.0].map(|s| at(&stepped, s)),
            [10, 10, 20, 30, 50, 50]
        );
        let linear = Ramp {
            increment_pct: None,
            keep: Some(secs(4)),
            ..stepped
        };
        assert_eq!(
            [0.0, 2.0, 4.0, 9.0].map(|s| at(&linear, s)),
            [10, 30, 50, 50]
        );
        let manual = Ramp {
            auto_step: false,
            ..stepped
        };
        assert_eq!(at(&manual, 50.0), 10);
    }

    #[test]
    fn schedule_is_arithmetic_and_follows_rate_changes() {
        let t0 = Instant::now();
        let mut schedule = Schedule::new(t0, 1000.0);
        let mut due = Vec::new();
        schedule.take_due(t0 + Duration::from_millis(10), |t| due.push(t));
        assert_eq!(due.len(), 11, "0..=10 ms at 1000/s");
        assert_eq!(due[5] - t0, Duration::from_millis(5));
        schedule.set_rate(100.0, t0 + Duration::from_millis(10));
        due.clear();
        schedule.take_due(t0 + Duration::from_millis(1010), |t| due.push(t));
        assert_eq!(due.len(), 100);
        schedule.set_rate(0.0, t0);
        assert_eq!(schedule.next_due(), None);
    }
}
