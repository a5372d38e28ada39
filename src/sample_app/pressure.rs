//! Load-dependent and time-dependent latency of the sample app's order APIs, so that
//! tuning sweeps find a capacity knee and soak tests see a drift (`--capacity`,
//! `--service-time`, `--drift`).
//!
//! - **Capacity**: the order APIs are served by a fixed number of *slots*, each busy for
//!   the service time per request; `slots = round(capacity × service time)` (at least 1),
//!   so the app completes at most `slots / service time` requests per second. Below that
//!   rate an answer takes the service time; above it requests wait for a slot in arrival
//!   order (tokio's fair semaphore), so latency grows with the queue: past capacity in an
//!   open (RPS) model the queue grows every second, in a closed (virtual users) model
//!   latency grows in proportion to the users beyond the slots.
//! - **Drift**: every answer waits `drift × seconds since the app started` more, outside
//!   the slots (a leak that slows answers without lowering capacity).
//!
//! The token endpoint and `/healthz` are never slowed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// Capacity and drift settings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressureOptions {
    /// Requests per second the order APIs complete at most; `None`: unlimited.
    pub capacity: Option<u32>,
    /// How long one request holds a slot (only with `capacity`).
    pub service_time: Duration,
    /// Latency added per second of uptime.
    pub drift_per_second: Duration,
}

impl PressureOptions {
    /// The number of slots `capacity` and `service_time` give (at least 1).
    pub fn slots(&self) -> Option<u32> {
        let capacity = self.capacity?;
        let slots = (f64::from(capacity) * self.service_time.as_secs_f64()).round();
        Some((slots as u32).max(1))
    }

    /// The capacity the slots really give, in requests per second (may differ from
    /// `capacity` by rounding to whole slots).
    pub fn effective_capacity(&self) -> Option<f64> {
        let slots = self.slots()?;
        let service = self.service_time.as_secs_f64();
        (service > 0.0).then(|| f64::from(slots) / service)
    }
}

/// The running state: the slots and the start instant.
#[derive(Debug)]
pub struct Pressure {
    options: PressureOptions,
    slots: Option<Arc<Semaphore>>,
    started: Instant,
}

impl Pressure {
    /// Slots as `options` say, drift counted from now.
    pub fn new(options: PressureOptions) -> Pressure {
        Pressure {
            options,
            slots: options
                .slots()
                .map(|n| Arc::new(Semaphore::new(n as usize))),
            started: Instant::now(),
        }
    }

    /// The drift delay at `uptime`.
    pub fn drift_at(&self, uptime: Duration) -> Duration {
        self.options
            .drift_per_second
            .mul_f64(uptime.as_secs_f64().min(1e7))
    }

    /// Waits as one order API request would: the drift delay, then a slot for the service
    /// time (when a capacity is set).
    pub async fn serve(&self) {
        let drift = self.drift_at(self.started.elapsed());
        if !drift.is_zero() {
            tokio::time::sleep(drift).await;
        }
        if let Some(slots) = &self.slots {
            // The semaphore is never closed, so acquiring only fails if it were.
            let _permit = slots.acquire().await;
            tokio::time::sleep(self.options.service_time).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(capacity: u32, service_ms: u64) -> PressureOptions {
        PressureOptions {
            capacity: Some(capacity),
            service_time: Duration::from_millis(service_ms),
            drift_per_second: Duration::ZERO,
        }
    }

    #[test]
    fn slots_are_capacity_times_service_time() {
        assert_eq!(options(100, 100).slots(), Some(10));
        assert_eq!(options(100, 100).effective_capacity(), Some(100.0));
        // Rounded to whole slots, at least one.
        assert_eq!(options(10, 20).slots(), Some(1));
        assert_eq!(options(10, 20).effective_capacity(), Some(50.0));
        assert_eq!(PressureOptions::default().slots(), None);
    }

    #[test]
    fn drift_grows_with_uptime() {
        let pressure = Pressure::new(PressureOptions {
            drift_per_second: Duration::from_millis(2),
            ..PressureOptions::default()
        });
        assert_eq!(pressure.drift_at(Duration::ZERO), Duration::ZERO);
        assert_eq!(
            pressure.drift_at(Duration::from_secs(30)),
            Duration::from_millis(60)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn past_capacity_requests_queue() {
        // Two slots of 100 ms: four requests at once end at 100, 100, 200 and 200 ms.
        let pressure = Arc::new(Pressure::new(options(20, 100)));
        let begun = tokio::time::Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let p = pressure.clone();
            tasks.push(tokio::spawn(async move {
                p.serve().await;
                tokio::time::Instant::now() - begun
            }));
        }
        let mut took = Vec::new();
        for task in tasks {
            took.push(task.await.expect("task").as_millis());
        }
        took.sort_unstable();
        assert_eq!(took, vec![100, 100, 200, 200]);
    }
}
