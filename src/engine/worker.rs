//! Worker threads: one current-thread tokio runtime per thread, running its share of the
//! virtual users as local tasks, its own statistics windows (folded into the collector once
//! a second), and — in RPS mode — the open-model schedule of its share of each relation.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::LocalSet;

use super::Shared;
use super::pacing::Schedule;
use super::plan::Mode;
use super::report::{Sample, sampling_log};
use super::stats::{Outcome, Record, Windows};
use super::vu::{self, Pacing};

/// How often a worker looks at targets, the clock and the stop flag.
const TICK: Duration = Duration::from_millis(20);

/// Requests a thread takes from the run's budget at once.
const BUDGET_CHUNK: u64 = 256;

/// Most open-model virtual users one thread keeps per relation.
const OPEN_POOL_CAP: usize = 5_000;

/// How late the oldest waiting send time may be before the open model adds users: a
/// little lateness is the runtime getting round to idle users; adding a user (and its
/// connection) for each due time that merely waits for the next poll grows the pool to
/// thousands of connections and slows everything down.
const GROW_AFTER: Duration = Duration::from_millis(2);

/// Weight of the newest turn in the open model's moving mean of busy time.
const TURN_WEIGHT: f64 = 0.01;

/// Open-model users kept beyond the mean need (Little's law), as a factor and a count. The
/// factor stays small: when the generator's CPU is the bottleneck, a turn includes the wait
/// for the CPU, so the need grows with the pool; a factor of 2 let the pool (and the
/// connections) run away at 80% of the closed-model maximum.
const NEED_FACTOR: f64 = 1.1;
const NEED_SPARE: usize = 8;

/// Busier than this share of wall time, a worker thread is itself the bottleneck: more
/// open-model users would add connections for it to serve, not sends on time. Their turns
/// then lengthen with the wait for the CPU, so Little's law asks for still more users, and
/// the pool ran away (at 95k/s against nginx, 85k achieved where a pool held at 64 users
/// sent 95k; docs/performance.md).
const CPU_BOUND: f64 = 0.9;

/// The window over which a worker thread's CPU use is measured.
const CPU_WINDOW: Duration = Duration::from_millis(20);

/// Longest the open-model schedule waits for its first users to connect before it starts.
const CONNECT_WAIT: Duration = Duration::from_secs(1);

/// Most sample logs a debug run keeps.
const MAX_SAMPLES: usize = 1_000;

/// Intended send times waiting for an idle open-model virtual user.
#[derive(Default)]
pub(crate) struct OpenQueue {
    due: RefCell<VecDeque<Instant>>,
    notify: Notify,
    /// Users waiting for (or about to wait for) a send time.
    pub idle: Cell<usize>,
    pool: Cell<usize>,
    /// Users still opening their first connection.
    pub connecting: Cell<usize>,
    /// Moving mean of how long a user is busy with one send time, in seconds (0 before
    /// the first turn ends).
    turn_secs: Cell<f64>,
}

impl OpenQueue {
    /// The next intended send time, waiting for one.
    pub(crate) async fn pop(&self) -> Instant {
        loop {
            if let Some(due) = self.due.borrow_mut().pop_front() {
                self.idle.set(self.idle.get().saturating_sub(1));
                return due;
            }
            self.notify.notified().await;
        }
    }

    /// Counts how long a user was busy with one send time.
    pub(crate) fn record_turn(&self, busy: Duration) {
        let mean = self.turn_secs.get();
        let busy = busy.as_secs_f64();
        self.turn_secs.set(if mean == 0.0 {
            busy
        } else {
            mean + (busy - mean) * TURN_WEIGHT
        });
    }

    /// How many users `rate` send times per second keep busy (Little's law, with room for
    /// bursts), unbounded until a turn has been timed. The pool grows only up to this, so
    /// that a backlog caused by a pause of the whole thread (not by a slow target) is worked
    /// off by the users there are instead of opening thousands of connections.
    fn needed(&self, rate: f64) -> usize {
        match self.turn_secs.get() {
            0.0 => usize::MAX,
            secs => (rate * secs * NEED_FACTOR).ceil() as usize + NEED_SPARE,
        }
    }
}

/// How busy the current thread is: the share of wall time it spent on a CPU over the last
/// complete [`CPU_WINDOW`] (0 until one has passed).
struct CpuGauge {
    since: Instant,
    cpu_at: Duration,
    busy: f64,
}

impl CpuGauge {
    fn new() -> CpuGauge {
        CpuGauge {
            since: Instant::now(),
            cpu_at: thread_cpu_time(),
            busy: 0.0,
        }
    }

    fn busy(&mut self, now: Instant) -> f64 {
        let wall = now.saturating_duration_since(self.since);
        if wall >= CPU_WINDOW {
            let cpu = thread_cpu_time();
            self.busy = cpu.saturating_sub(self.cpu_at).as_secs_f64() / wall.as_secs_f64();
            (self.since, self.cpu_at) = (now, cpu);
        }
        self.busy
    }
}

/// CPU time the current thread has used, user and system.
fn thread_cpu_time() -> Duration {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    // The kernel's fields are never negative, and nanoseconds stay below a second.
    Duration::new(
        u64::try_from(time.tv_sec).unwrap_or(0),
        u32::try_from(time.tv_nsec).unwrap_or(0),
    )
}

/// What the virtual users of one thread share.
pub(crate) struct Worker {
    pub shared: Arc<Shared>,
    thread: usize,
    threads: usize,
    stats: RefCell<Windows>,
    budget: Cell<u64>,
    pub queues: Vec<OpenQueue>,
    /// Per API: tokens and last refill of the rate limit of steps after the paced one.
    buckets: RefCell<Vec<(f64, Instant)>>,
    /// Per relation, per local index: whether that closed-model user is running.
    alive: Vec<RefCell<Vec<Rc<Cell<bool>>>>>,
}

impl Worker {
    /// Whether the run is over for this thread.
    pub(crate) fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::Relaxed) || Instant::now() >= self.shared.deadline
    }

    /// Takes one request from the run's budget; `false` stops the run.
    pub(crate) fn take_request(&self) -> bool {
        let left = self.budget.get();
        if left > 0 {
            self.budget.set(left - 1);
            return true;
        }
        let taken = self
            .shared
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                b.checked_sub(1).map(|_| b.saturating_sub(BUDGET_CHUNK))
            })
            .map(|before| before.min(BUDGET_CHUNK))
            .unwrap_or(0);
        if taken == 0 {
            self.shared.stop.store(true, Ordering::Relaxed);
            return false;
        }
        self.budget.set(taken - 1);
        true
    }

    /// Whether a non-paced step of an RPS-mode chain may run now (its own rate).
    pub(crate) fn allow(&self, api: usize) -> bool {
        let rate = self.shared.rps_target(api) as f64 / self.threads as f64;
        let mut buckets = self.buckets.borrow_mut();
        let Some((tokens, last)) = buckets.get_mut(api) else {
            return true;
        };
        let now = Instant::now();
        *tokens = (*tokens + rate * now.duration_since(*last).as_secs_f64()).min(rate.max(1.0));
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Counts one API exchange.
    pub(crate) fn record_api(&self, api: usize, record: &Record) {
        if let Some(window) = self.stats.borrow_mut().apis.get_mut(api) {
            window.record(record);
        }
    }

    /// Counts one chain iteration.
    pub(crate) fn record_chain(&self, relation: usize, outcome: Outcome, start: Instant) {
        if let Some(window) = self.stats.borrow_mut().chains.get_mut(relation) {
            window.record(&Record {
                outcome,
                status: 0,
                latency_us: start.elapsed().as_micros() as u64,
                bytes_out: 0,
                bytes_in: 0,
                token_expired: false,
            });
        }
    }

    /// Whether requests are sampled (debug runs).
    pub(crate) fn sampling(&self) -> bool {
        self.shared.options.debug
    }

    /// Keeps a sample log of one exchange.
    pub(crate) fn sample(&self, sample: Sample<'_>) {
        let mut samples = self
            .shared
            .samples
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if samples.len() < MAX_SAMPLES {
            samples.push(sampling_log(&self.shared.plan, sample));
        }
    }

    fn flush(&self, second: u32) {
        let mut stats = self.stats.borrow_mut();
        self.shared
            .collector
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(second, &stats);
        stats.reset();
    }
}

/// Body of worker thread `thread` of `threads`.
pub(crate) fn main(shared: Arc<Shared>, thread: usize, threads: usize) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(_) => {
            // No runtime, no load: the thread still reports (empty) seconds so the run ends.
            shared.stop.store(true, Ordering::Relaxed);
            return;
        }
    };
    let plan = &shared.plan;
    let worker = Rc::new(Worker {
        thread,
        threads,
        stats: RefCell::new(Windows::new(plan.apis.len(), plan.relations.len())),
        budget: Cell::new(0),
        queues: plan
            .relations
            .iter()
            .map(|_| OpenQueue::default())
            .collect(),
        buckets: RefCell::new(plan.apis.iter().map(|_| (0.0, shared.start)).collect()),
        alive: plan
            .relations
            .iter()
            .map(|_| RefCell::new(Vec::new()))
            .collect(),
        shared: shared.clone(),
    });
    let local = LocalSet::new();
    local.block_on(&runtime, control(worker.clone()));
    // Dropping the set cancels requests still in flight: the run is over.
    drop(local);
    let second = shared.start.elapsed().as_secs() as u32;
    worker.flush(second);
}

/// The thread's controller: starts users, schedules open-model turns, flushes statistics,
/// and returns when the run is over for this thread.
async fn control(worker: Rc<Worker>) {
    let shared = worker.shared.clone();
    let plan = &shared.plan;
    let debug = shared.options.debug;
    if debug {
        for relation in 0..plan.relations.len() {
            if worker.thread == 0 {
                spawn(&worker, relation, Pacing::Once { done: false }, 0);
            }
        }
    } else if plan.mode == Mode::Rps {
        for relation in 0..plan.relations.len() {
            tokio::task::spawn_local(schedule(worker.clone(), relation));
        }
    }
    let mut flushed = 0u32;
    loop {
        if worker.stopping() {
            break;
        }
        if !debug && plan.mode == Mode::Concurrency {
            for relation in 0..plan.relations.len() {
                if plan.relations[relation]
                    .data
                    .as_ref()
                    .is_some_and(|d| d.exhausted())
                {
                    continue;
                }
                let target = shared.concurrency_target(relation);
                let mut index = worker.thread as u64;
                while index < target {
                    spawn(&worker, relation, Pacing::Closed { index }, index);
                    index += worker.threads as u64;
                }
            }
        }
        let running = worker
            .alive
            .iter()
            .any(|a| a.borrow().iter().any(|c| c.get()));
        let exhausted = plan
            .relations
            .iter()
            .all(|r| r.data.as_ref().is_some_and(|d| d.exhausted()));
        // Open-model users wait for send times forever: with the data used up, stop anyway.
        if (!running && (debug || exhausted)) || (exhausted && plan.mode == Mode::Rps) {
            break;
        }
        let second = shared.start.elapsed().as_secs() as u32;
        while flushed < second {
            worker.flush(flushed);
            flushed += 1;
        }
        tokio::time::sleep(TICK).await;
    }
    worker.shared.live_vus.fetch_sub(
        worker
            .alive
            .iter()
            .map(|a| a.borrow().iter().filter(|c| c.get()).count() as i64)
            .sum(),
        Ordering::Relaxed,
    );
    while flushed < shared.start.elapsed().as_secs() as u32 {
        worker.flush(flushed);
        flushed += 1;
    }
}

/// Starts the user with `index` of `relation` unless it is already running.
fn spawn(worker: &Rc<Worker>, relation: usize, pacing: Pacing, index: u64) {
    let local = (index / worker.threads as u64) as usize;
    let flag = {
        let mut alive = worker.alive[relation].borrow_mut();
        if alive.len() <= local {
            alive.resize_with(local + 1, || Rc::new(Cell::new(false)));
        }
        if alive[local].get() {
            return;
        }
        alive[local].set(true);
        alive[local].clone()
    };
    let shared = worker.shared.clone();
    shared.live_vus.fetch_add(1, Ordering::Relaxed);
    let worker = worker.clone();
    tokio::task::spawn_local(async move {
        vu::run(worker, relation, pacing, flag).await;
        shared.live_vus.fetch_sub(1, Ordering::Relaxed);
    });
}

/// The open-model schedule of this thread's share of `relation`: intended send times at
/// the paced step's rate, handed to idle users, with users added when the oldest waiting
/// time is late and all users are busy.
async fn schedule(worker: Rc<Worker>, relation: usize) {
    let shared = worker.shared.clone();
    let rel = &shared.plan.relations[relation];
    let Some(paced) = rel.steps.get(rel.pace_step).map(|s| s.api) else {
        return;
    };
    let share = |rate: u64| rate as f64 / worker.threads as f64;
    let queue = &worker.queues[relation];
    // Users for the first moments (about 1 ms of the rate), connected before the first
    // send time, so that the start is not spent opening connections behind schedule. Few:
    // every user is a connection, and hundreds of mostly idle connections cost the
    // generator and the target more per request than a few busy ones (at 80k requests/s,
    // 512 users reached 52k, 64 users the rate; docs/performance.md).
    let initial = (share(shared.rps_target(paced)) / 1000.0).clamp(4.0, 64.0) as usize;
    while queue.pool.get() < initial {
        add_open_user(&worker, relation);
    }
    let waited = Instant::now();
    while queue.connecting.get() > 0 && waited.elapsed() < CONNECT_WAIT && !worker.stopping() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let mut plan = Schedule::new(Instant::now(), share(shared.rps_target(paced)));
    let mut cpu = CpuGauge::new();
    loop {
        let now = Instant::now();
        let rate = share(shared.rps_target(paced));
        plan.set_rate(rate, now);
        let mut pushed = 0;
        plan.take_due(now, |due| {
            queue.due.borrow_mut().push_back(due);
            pushed += 1;
        });
        let (waiting, late) = {
            let due = queue.due.borrow();
            let late = due
                .front()
                .is_some_and(|oldest| now.saturating_duration_since(*oldest) > GROW_AFTER);
            (due.len(), late)
        };
        let needed = queue.needed(rate);
        let cpu_bound = cpu.busy(now) >= CPU_BOUND;
        // One batch at a time: users still connecting will take send times soon.
        while late
            && !cpu_bound
            && queue.connecting.get() == 0
            && queue.idle.get() < waiting
            && queue.pool.get() < needed.min(OPEN_POOL_CAP)
            && !worker.stopping()
        {
            add_open_user(&worker, relation);
        }
        for _ in 0..pushed {
            queue.notify.notify_one();
        }
        let wake = plan
            .next_due()
            .map_or(now + TICK, |due| due.min(now + TICK));
        tokio::time::sleep_until(wake.into()).await;
    }
}

/// Adds an (idle) open-model user to `relation`'s pool.
fn add_open_user(worker: &Rc<Worker>, relation: usize) {
    let queue = &worker.queues[relation];
    queue.idle.set(queue.idle.get() + 1);
    queue.pool.set(queue.pool.get() + 1);
    queue.connecting.set(queue.connecting.get() + 1);
    let index = (queue.pool.get() * worker.threads + worker.thread) as u64;
    spawn(worker, relation, Pacing::Open { taken: None }, index);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_gauge_tells_a_busy_thread_from_a_waiting_one() {
        let mut gauge = CpuGauge::new();
        let start = Instant::now();
        while start.elapsed() < CPU_WINDOW * 2 {
            std::hint::black_box(start.elapsed());
        }
        let spinning = gauge.busy(Instant::now());
        std::thread::sleep(CPU_WINDOW * 2);
        let sleeping = gauge.busy(Instant::now());
        // Loose bounds: the test shares the machine with others.
        assert!(spinning > 0.2, "spinning: {spinning}");
        assert!(sleeping < 0.2, "sleeping: {sleeping}");
    }

    #[test]
    fn open_pool_grows_to_what_the_rate_keeps_busy() {
        let queue = OpenQueue::default();
        assert_eq!(
            queue.needed(1000.0),
            usize::MAX,
            "unbounded before a turn is timed"
        );
        queue.record_turn(Duration::from_millis(10));
        // 1000/s × 10 ms = 10 busy users, 10% more for bursts, plus the spare.
        assert_eq!(queue.needed(1000.0), 19);
        // A single slow turn moves the mean by its weight only.
        queue.record_turn(Duration::from_millis(1010));
        assert_eq!(queue.needed(1000.0), 30);
    }
}
