//! Running scenes: the optional debug-first smoke run, the load run followed to its end
//! (or stopped remotely on Ctrl-C), and its report judged against the scene's thresholds.
//!
//! | module | holds |
//! |---|---|
//! | [`debug`] | the debug run and the check of its samples |
//! | [`follow`] | start, the follow loop with its timeline, stop, the report fetch |
//! | [`jmeter`] | the same for JMeter scenes, into the same [`Outcome`] |
//!
//! [`run_scene`] strings them together for one scene and reports what happens through
//! [`Event`]s, so that the CLI draws progress without the library printing anything.
//! `ptsplan run` and `apply --run` both go through it (JMeter scenes through
//! [`jmeter::run_scene`]).

pub mod debug;
pub mod follow;
pub mod jmeter;

use std::future::Future;
use std::time::Duration;

use crate::api::{ApiError, Client};
use crate::redact::Redactor;
use crate::report::timeline::{Point, Timeline};
use crate::report::{RunId, RunReport};
use crate::spec::model::Threshold;
use crate::wire::{Baseline, GetPtsSceneBaseLine, Marker, Scene};

pub use debug::{DebugCheck, Problem};
pub use follow::{DEFAULT_INTERVAL, Follow, Followed};

/// A scene to run: the live scene and what the plan says about judging it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The scene's key in the plan.
    pub key: String,
    /// The live scene (with its id).
    pub scene: Scene,
    /// The plan's thresholds for it.
    pub thresholds: Vec<Threshold>,
    /// Whether to run a debug run first.
    pub debug_first: bool,
}

impl Target {
    /// The scene id.
    pub fn scene_id(&self) -> String {
        self.scene.scene_id.clone().unwrap_or_default()
    }

    /// The PTS scene name.
    pub fn name(&self) -> String {
        self.scene.scene_name.clone().unwrap_or_default()
    }
}

/// How long a scene's load is planned to last: the marker's exact length, else
/// `MaxRunningTime` minutes.
pub fn planned(scene: &Scene) -> Option<Duration> {
    Marker::of(scene)
        .and_then(|m| m.duration_ms)
        .map(Duration::from_millis)
        .or_else(|| {
            let minutes = scene.load_config.as_ref()?.max_running_time?;
            Some(Duration::from_secs(u64::try_from(minutes).ok()? * 60))
        })
}

/// Switches of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Start the load and return its plan id without following it.
    pub detach: bool,
    /// Skip the debug run even where the plan asks for one.
    pub skip_debug: bool,
    /// Time between polls.
    pub interval: Duration,
}

/// What happens during a run, for the progress display.
#[derive(Debug)]
pub enum Event<'a> {
    /// The debug run is starting.
    DebugStarting,
    /// The debug run ended; its check.
    DebugDone(&'a DebugCheck),
    /// The load run started.
    Started { plan_id: &'a str },
    /// A poll.
    Poll(&'a Point),
    /// Interrupted: the scene is being stopped on the backend.
    Stopping,
}

/// How a scene's run came out.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The debug run found problems; no load was started.
    DebugFailed(DebugCheck),
    /// Interrupted during the debug run; no load was started.
    InterruptedBeforeLoad,
    /// Started and left running (`--detach`).
    Detached { plan_id: String },
    /// Followed to its end (or stopped).
    Finished(Box<Finished>),
}

/// A run followed to its end.
#[derive(Debug, Clone)]
pub struct Finished {
    pub plan_id: String,
    pub timeline: Timeline,
    /// The report and its verdicts; `None` when the backend produced no report.
    pub report: Option<RunReport>,
    /// The report details as the backend gave them.
    pub details: Option<crate::wire::GetPtsReportDetailsOutput>,
    /// The debug run before it, if any.
    pub debug: Option<DebugCheck>,
    /// Stopped here on Ctrl-C.
    pub interrupted: bool,
    /// After an interrupt: whether the backend confirmed the stop.
    pub stop_confirmed: bool,
    /// For a JMeter scene: what the backend answered (`details` holds the report read as
    /// PTS report details).
    pub jmeter: Option<Box<jmeter::Evidence>>,
}

/// Runs one scene: debug run (when asked), start, follow, report. `interrupt` stops the
/// run remotely when it completes; token values seen in the debug run join `redactor`.
pub async fn run_scene(
    client: &Client,
    target: &Target,
    options: &Options,
    redactor: &mut Redactor,
    events: &mut (dyn FnMut(Event<'_>) + Send),
    interrupt: impl Future<Output = ()>,
) -> Result<Outcome, ApiError> {
    let scene_id = target.scene_id();
    tokio::pin!(interrupt);
    let debug = if target.debug_first && !options.skip_debug {
        events(Event::DebugStarting);
        let check = debug::debug_run(client, &target.scene, redactor).await?;
        events(Event::DebugDone(&check));
        if !check.problems.is_empty() {
            return Ok(Outcome::DebugFailed(check));
        }
        Some(check)
    } else {
        None
    };
    // Ctrl-C during the debug run: do not start the load at all.
    let interrupted = tokio::select! {
        biased;
        () = &mut interrupt => true,
        () = std::future::ready(()) => false,
    };
    if interrupted {
        return Ok(Outcome::InterruptedBeforeLoad);
    }
    let plan_id = follow::start(client, &scene_id).await?;
    events(Event::Started { plan_id: &plan_id });
    if options.detach {
        return Ok(Outcome::Detached { plan_id });
    }
    let what = Follow {
        scene_id: scene_id.clone(),
        plan_id: plan_id.clone(),
        planned: planned(&target.scene),
        interval: options.interval,
    };
    let mut observe = |point: &Point| events(Event::Poll(point));
    let followed = follow::follow(client, &what, &mut observe, interrupt).await?;
    let stop_confirmed = if followed.interrupted {
        events(Event::Stopping);
        follow::stop(client, &scene_id).await?
    } else {
        false
    };
    let details = follow::report(client, &scene_id, &plan_id).await?;
    let baseline = baseline(client, &scene_id).await;
    let report = details.as_ref().map(|details| {
        RunReport::build(
            RunId {
                scene: target.key.clone(),
                name: target.name(),
                scene_id: scene_id.clone(),
                plan_id: plan_id.clone(),
            },
            followed.ending.clone(),
            details,
            Some(&target.scene),
            &target.thresholds,
            baseline.as_ref(),
        )
    });
    Ok(Outcome::Finished(Box::new(Finished {
        plan_id,
        timeline: followed.timeline,
        report,
        details,
        debug,
        interrupted: followed.interrupted,
        stop_confirmed,
        jmeter: None,
    })))
}

/// The scene's baseline, if it has one (any error reading it counts as none: a baseline
/// only adds a comparison).
pub async fn baseline(client: &Client, scene_id: &str) -> Option<Baseline> {
    client
        .call(&GetPtsSceneBaseLine {
            scene_id: scene_id.to_owned(),
        })
        .await
        .ok()?
        .baseline
        .filter(|b| b.scene_baseline.is_some() || !b.api_baselines.is_empty())
}
