//! Starting a load run, following it to its end, stopping it, and fetching its report.
//!
//! The follow loop polls `GetPtsSceneRunningData` (figures) and `GetPtsSceneRunningStatus`
//! (state) every [`Follow::interval`], records a [`Timeline`] point per poll and hands it
//! to an observer (the progress display). It ends when the backend says the run stopped,
//! or when `interrupt` fires: then the caller stops the scene remotely (`StopPtsScene`) and
//! waited for ([`stop`]), so that no load is left running behind an exiting ptsplan.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::api::{ApiError, Client};
use crate::report::Ending;
use crate::report::timeline::{Point, Timeline};
use crate::wire::{
    GetPtsReportDetails, GetPtsReportDetailsOutput, GetPtsSceneRunningData,
    GetPtsSceneRunningStatus, RunningStatus, StartPtsScene, StopPtsScene,
};

/// Default time between polls: running data is a cheap read, and a second is the
/// resolution of the engine's figures.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// How long to wait for a stopped run's report to appear.
const REPORT_WAIT: Duration = Duration::from_secs(120);
/// How long to wait for a scene to stop after `StopPtsScene`.
const STOP_WAIT: Duration = Duration::from_secs(60);

/// Starts a load run of `scene_id`; returns its plan id.
pub async fn start(client: &Client, scene_id: &str) -> Result<String, ApiError> {
    let answer = client
        .call(&StartPtsScene {
            scene_id: scene_id.to_owned(),
        })
        .await?;
    Ok(answer.plan_id.unwrap_or_default())
}

/// The state of a scene's run, as the backend says it.
pub async fn status(client: &Client, scene_id: &str) -> Result<Option<RunningStatus>, ApiError> {
    Ok(client
        .call(&GetPtsSceneRunningStatus {
            scene_id: scene_id.to_owned(),
        })
        .await?
        .status)
}

/// Stops the load run of `scene_id` and waits until the backend says it stopped (at most
/// a minute). Returns whether it did.
pub async fn stop(client: &Client, scene_id: &str) -> Result<bool, ApiError> {
    client
        .call(&StopPtsScene {
            scene_id: scene_id.to_owned(),
        })
        .await?;
    let deadline = Instant::now() + STOP_WAIT;
    loop {
        if status(client, scene_id).await? == Some(RunningStatus::Stopped) {
            return Ok(true);
        }
        if Instant::now() > deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What to follow.
#[derive(Debug, Clone)]
pub struct Follow {
    pub scene_id: String,
    pub plan_id: String,
    /// The run's planned length, when known (to tell a run stopped early from one that
    /// completed).
    pub planned: Option<Duration>,
    pub interval: Duration,
}

/// How following ended.
#[derive(Debug, Clone)]
pub struct Followed {
    pub timeline: Timeline,
    pub ending: Ending,
    /// Whether `interrupt` fired (the run is still going: stop it with [`stop`]).
    pub interrupted: bool,
}

/// Follows a run until it ends or `interrupt` completes.
pub async fn follow(
    client: &Client,
    what: &Follow,
    observe: &mut (dyn FnMut(&Point) + Send),
    interrupt: impl Future<Output = ()>,
) -> Result<Followed, ApiError> {
    let begun = Instant::now();
    let mut timeline = Timeline {
        plan_id: what.plan_id.clone(),
        planned_seconds: what.planned.map(|d| d.as_secs_f64()),
        points: Vec::new(),
    };
    tokio::pin!(interrupt);
    let mut interrupted = false;
    loop {
        tokio::select! {
            () = &mut interrupt => {
                interrupted = true;
                break;
            }
            () = tokio::time::sleep(what.interval) => {}
        }
        let data = client
            .call(&GetPtsSceneRunningData {
                plan_id: what.plan_id.clone(),
                scene_id: what.scene_id.clone(),
            })
            .await?;
        let elapsed = data
            .begin_time
            .filter(|b| *b > 0)
            .map(|b| (jiff::Timestamp::now().as_millisecond() - b) as f64 / 1000.0)
            .unwrap_or_else(|| begun.elapsed().as_secs_f64())
            .max(0.0);
        let point = Point::of(elapsed, &data);
        observe(&point);
        timeline.points.push(point);
        if data.has_report == Some(true)
            || status(client, &what.scene_id).await? == Some(RunningStatus::Stopped)
        {
            break;
        }
    }
    let ending = if interrupted {
        Ending::Stopped {
            by: "Ctrl-C".to_owned(),
        }
    } else {
        let ran = timeline.points.last().map_or(0.0, |p| p.elapsed_s);
        match what.planned {
            // A tenth of the planned length (at least 2 s) is left to polling and stopping.
            Some(planned)
                if ran + (planned.as_secs_f64() / 10.0).max(2.0) < planned.as_secs_f64() =>
            {
                Ending::Stopped {
                    by: "on the backend, before its planned end".to_owned(),
                }
            }
            _ => Ending::Completed,
        }
    };
    Ok(Followed {
        timeline,
        ending,
        interrupted,
    })
}

/// The report of a run, waiting up to two minutes for the backend to produce it; `None`
/// when it never did.
pub async fn report(
    client: &Client,
    scene_id: &str,
    plan_id: &str,
) -> Result<Option<GetPtsReportDetailsOutput>, ApiError> {
    let deadline = Instant::now() + REPORT_WAIT;
    loop {
        let answer = client
            .call(&GetPtsReportDetails {
                plan_id: plan_id.to_owned(),
                scene_id: scene_id.to_owned(),
            })
            .await;
        match answer {
            Ok(details) => return Ok(Some(details)),
            // "Report does not exist" while PTS is still writing it.
            Err(ApiError::Api { http_status, .. }) if http_status < 500 => {
                if Instant::now() > deadline {
                    return Ok(None);
                }
            }
            Err(error) => return Err(error),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
