//! The one virtual-user loop. Whether a user runs closed-model (as long as its index is
//! within the relation's concurrency), open-model (whenever the schedule hands it an
//! intended send time) or once (debug runs) is the [`Pacing`] value it is given; everything
//! else — data rows, token refresh, templates, the HTTP exchange, exports, checkpoints,
//! recording — is the same code.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use bytes::BytesMut;
use hyper::Uri;

use super::alarm::Alarm;
use super::extract::Reply;
use super::http::{self, Conn, Outgoing};
use super::plan::{Mode, Step};
use super::report::Sample;
use super::stats::{Outcome, Record};
use super::template::Vars;
use super::worker::Worker;

/// How a virtual user gets its turns.
#[derive(Debug)]
pub(crate) enum Pacing {
    /// Closed model: runs while `index` is below the relation's concurrency.
    Closed { index: u64 },
    /// Open model: takes intended send times from the relation's queue; `taken` is when it
    /// took the last one (none before the first turn: the scheduler counts a new user as
    /// idle).
    Open { taken: Option<Instant> },
    /// One iteration (debug runs).
    Once { done: bool },
}

impl Pacing {
    /// The next turn: `Some(intended send time)` (`None` inside = now), or `None` to stop.
    async fn turn(&mut self, worker: &Worker, relation: usize) -> Option<Option<Instant>> {
        if worker.stopping() {
            return None;
        }
        match self {
            Pacing::Closed { index } => {
                (*index < worker.shared.concurrency_target(relation)).then_some(None)
            }
            Pacing::Open { taken } => {
                let queue = &worker.queues[relation];
                if let Some(taken) = *taken {
                    queue.idle.set(queue.idle.get() + 1);
                    queue.record_turn(taken.elapsed());
                }
                let due = queue.pop().await;
                *taken = Some(Instant::now());
                Some(Some(due))
            }
            Pacing::Once { done } => (!std::mem::replace(done, true)).then_some(None),
        }
    }
}

/// State of one virtual user.
struct Vu {
    vars: Vars,
    conns: Vec<Option<Conn>>,
    buf: BytesMut,
    token_at: Option<Instant>,
    alarm: Alarm,
    /// The request being sent, rebuilt in place for each call so that its header map
    /// keeps its allocation.
    request: Outgoing,
}

/// Runs one virtual user of `relation` until its pacing or the run says stop.
pub(crate) async fn run(
    worker: Rc<Worker>,
    relation: usize,
    mut pacing: Pacing,
    on_exit: Rc<Cell<bool>>,
) {
    let plan = &worker.shared.plan;
    let Some(rel) = plan.relations.get(relation) else {
        return;
    };
    let mut vu = Vu {
        vars: Vars::new(rel.slot_count),
        conns: (0..plan.targets.len()).map(|_| None).collect(),
        buf: BytesMut::with_capacity(4096),
        token_at: None,
        alarm: Alarm::new(),
        request: Outgoing::default(),
    };
    if let Pacing::Open { .. } = pacing {
        vu.preconnect(&worker, relation).await;
    }
    while let Some(intended) = pacing.turn(&worker, relation).await {
        if let Some(data) = &rel.data {
            match data.next_row() {
                Some(row) => data.assign(row, &mut vu.vars),
                None => break,
            }
        }
        let chain_start = intended.unwrap_or_else(Instant::now);
        let mut first = true;
        let mut chain = Outcome::Ok;
        for (index, step) in rel.steps.iter().enumerate() {
            let is_token = rel.token.is_some_and(|t| t.step == index);
            if is_token
                && rel
                    .token
                    .is_some_and(|t| !t.due(vu.token_at, Instant::now()))
            {
                continue;
            }
            if plan.mode == Mode::Rps && index > rel.pace_step && !worker.allow(step.api) {
                continue;
            }
            if !worker.take_request() {
                return;
            }
            let start = if first { chain_start } else { Instant::now() };
            first = false;
            let outcome = vu.call(&worker, relation, step, start).await;
            if is_token && outcome == Outcome::Ok {
                // Aged from when it was asked for: the server issued it after that.
                vu.token_at = Some(start);
            }
            if outcome != Outcome::Ok {
                chain = outcome;
                break;
            }
        }
        worker.record_chain(relation, chain, chain_start);
    }
    on_exit.set(false);
}

impl Vu {
    /// Opens the connection of the relation's first step before the user takes its first
    /// send time: an open-model user that connected on its first turn would start late.
    async fn preconnect(&mut self, worker: &Worker, relation: usize) {
        let plan = &worker.shared.plan;
        let first = plan.relations.get(relation).and_then(|r| r.steps.first());
        if let Some(slot) = first.map(|step| step.target)
            && let (Some(target), Some(conn)) = (plan.targets.get(slot), self.conns.get_mut(slot))
        {
            *conn = http::connect(target.address, plan.connect_timeout)
                .await
                .ok();
        }
        if let Some(queue) = worker.queues.get(relation) {
            queue
                .connecting
                .set(queue.connecting.get().saturating_sub(1));
        }
    }

    async fn call(
        &mut self,
        worker: &Worker,
        relation: usize,
        step: &Step,
        start: Instant,
    ) -> Outcome {
        let plan = &worker.shared.plan;
        let target = &plan.targets[step.target];
        let path = step.path.render(&self.vars, &mut self.buf);
        let uri = match &step.uri {
            Some(uri) => Ok(uri.clone()),
            None => Uri::from_maybe_shared(path.clone()),
        };
        let request = &mut self.request;
        request.headers.clear();
        for (name, value) in &step.headers {
            let rendered = value.render(&self.vars, &mut self.buf);
            if let Ok(value) = hyper::header::HeaderValue::from_maybe_shared(rendered) {
                request.headers.append(name.clone(), value);
            }
        }
        request.body = step.body.render(&self.vars, &mut self.buf);
        let bytes_out = request.body.len() as u64;
        let sample = worker.sampling().then(|| {
            (
                path.clone(),
                request.all_headers(&target.host_header),
                request.body.clone(),
            )
        });
        let result = match uri {
            Err(_) => Err(Outcome::Other),
            Ok(uri) => {
                request.method = step.method.clone();
                request.uri = uri;
                let conn = &mut self.conns[step.target];
                let exchange = http::send(
                    conn,
                    target.address,
                    &target.authority,
                    plan.connect_timeout,
                    request,
                    step.redirects,
                    http::Keep {
                        body: step.needs_body || worker.sampling(),
                        headers: step.needs_headers || worker.sampling(),
                    },
                );
                match self.alarm.limit(step.timeout, exchange).await {
                    Some(result) => result,
                    None => {
                        // The connection is mid-exchange: drop it.
                        *conn = None;
                        Err(Outcome::Timeout)
                    }
                }
            }
        };
        let token_expired = rel_token_expired(worker, relation, self.token_at);
        let (outcome, status, bytes_in, checks) = match &result {
            Err(outcome) => (*outcome, 0, 0, Vec::new()),
            Ok(answer) => {
                let mut reply = Reply::new(answer.status, &answer.headers, &answer.body);
                for export in &step.exports {
                    if let Some(value) = export.source.extract(&mut reply) {
                        self.vars.set(export.slot, value);
                    }
                }
                let success = (200..300).contains(&answer.status)
                    || plan.success_codes.contains(&answer.status);
                let mut passed = true;
                let mut checks = Vec::new();
                for check in &step.checks {
                    let (pass, actual) = check.judge(&reply, &self.vars, worker.sampling());
                    passed &= pass;
                    if worker.sampling() {
                        checks.push((check, pass, actual));
                    }
                }
                let outcome = match (success, passed) {
                    (false, _) => Outcome::Status,
                    (true, false) => Outcome::CheckFailed,
                    (true, true) => Outcome::Ok,
                };
                let checks = checks
                    .into_iter()
                    .map(|(c, pass, actual)| {
                        super::report::check_result(c, pass, actual.as_deref())
                    })
                    .collect();
                (outcome, answer.status, answer.bytes_in, checks)
            }
        };
        let latency = start.elapsed();
        worker.record_api(
            step.api,
            &Record {
                outcome,
                status,
                latency_us: latency.as_micros() as u64,
                bytes_out,
                bytes_in,
                token_expired,
            },
        );
        if let Some(request) = sample {
            worker.sample(Sample {
                relation,
                step,
                vars: &self.vars,
                start,
                latency,
                request,
                answer: result.as_ref().ok(),
                outcome,
                checks,
            });
        }
        outcome
    }
}

fn rel_token_expired(worker: &Worker, relation: usize, token_at: Option<Instant>) -> bool {
    worker.shared.plan.relations[relation]
        .token
        .is_some_and(|t| t.expired(token_at, Instant::now()))
}
