//! The report of a run: the backend's report details, the scene's thresholds judged on them,
//! the comparison with the scene's baseline, and the engine's token findings; drawn as text,
//! markdown, JSON and JUnit XML.
//!
//! One model ([`RunReport`]), several renderers ([`render`], [`junit`]), as for plans. The
//! model is built by [`RunReport::build`] from what the backend answered; nothing here does
//! I/O.
//!
//! | module | holds |
//! |---|---|
//! | [`figures`] | the figures of a scope (scene, chain, step) read from report details |
//! | [`verdict`] | thresholds judged on those figures |
//! | [`baseline`] | the comparison with a PTS baseline and its regression rule |
//! | [`timeline`] | the polled running data of a run, for charts |
//! | [`render`] | text, markdown and JSON |
//! | [`jmeter`] | a JMeter run's report read into this model |
//! | [`junit`] | JUnit XML for CI test reporters |
//! | [`html`] | the self-contained HTML page with charts over time |

pub mod baseline;
pub mod figures;
pub mod html;
pub mod jmeter;
pub mod junit;
pub mod render;
pub mod timeline;
pub mod verdict;

use serde::Serialize;

use crate::engine::{Findings, TokenExpiry, TokenExpiryCause};
use crate::plan::Kind;
use crate::spec::model::Threshold;
use crate::wire::{ApiMetrics, Baseline, GetPtsReportDetailsOutput, Scene, SceneMetrics};

pub use baseline::Comparison;
pub use timeline::Timeline;
pub use verdict::{Status, Verdict};

/// Format version of the JSON report (`ptsplan run --format json`, `report.json`).
pub const FORMAT: u32 = 1;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ending {
    /// It ran its planned length.
    Completed,
    /// It was stopped before its end; `by` says who (`Ctrl-C`, `ptsplan stop`…).
    Stopped { by: String },
}

/// Everything known about one finished run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub format: u32,
    /// What ran: a PTS scene, or a JMeter scene (`"kind": "jmeter_scene"`; absent for PTS
    /// scenes, as in format 1 before JMeter runs).
    #[serde(skip_serializing_if = "Kind::is_scene")]
    pub kind: Kind,
    /// The scene's key in the plan.
    pub scene: String,
    /// The PTS scene name.
    pub name: String,
    pub scene_id: String,
    /// The run's id (also the report id).
    pub plan_id: String,
    pub ending: Ending,
    /// `YYYY-MM-DD HH:MM:SS` as the backend gives them.
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// Whole-scene figures.
    pub metrics: SceneMetrics,
    /// Per-API figures.
    pub apis: Vec<ApiMetrics>,
    /// The thresholds, judged.
    pub verdicts: Vec<Verdict>,
    /// The comparison with the scene's baseline, when it has one.
    pub baseline: Option<Comparison>,
    /// APIs refused with 401/403, and whether expired tokens caused it (local backend).
    pub token_expiry: Vec<TokenExpiry>,
}

/// The identity of a run, for [`RunReport::build`].
#[derive(Debug, Clone)]
pub struct RunId {
    pub scene: String,
    pub name: String,
    pub scene_id: String,
    pub plan_id: String,
}

impl RunReport {
    /// Builds the report of a run from its report details. `scene` is the scene that ran
    /// (it maps APIs to chains); `baseline` the scene's baseline, if any.
    pub fn build(
        id: RunId,
        ending: Ending,
        details: &GetPtsReportDetailsOutput,
        scene: Option<&Scene>,
        thresholds: &[Threshold],
        baseline: Option<&Baseline>,
    ) -> RunReport {
        let figures = figures::ReportFigures::of(details, scene);
        let metrics = details.scene_metrics.clone().unwrap_or_default();
        let overview = details.report_over_view.clone().unwrap_or_default();
        RunReport {
            format: FORMAT,
            kind: Kind::Scene,
            scene: id.scene,
            name: id.name,
            scene_id: id.scene_id,
            plan_id: id.plan_id,
            ending,
            start_time: overview.start_time,
            end_time: overview.end_time,
            verdicts: verdict::judge(thresholds, &figures),
            baseline: baseline.map(|b| baseline::compare(b, &metrics, &details.api_metrics_list)),
            token_expiry: Findings::of(details)
                .map(|f| f.token_expiry)
                .unwrap_or_default(),
            metrics,
            apis: details.api_metrics_list.clone(),
        }
    }

    /// `scene.KEY` or `jmeter_scene.KEY`, as plans and progress name it.
    pub fn address(&self) -> String {
        self.kind.address(&self.scene)
    }

    /// Whether every threshold passed.
    pub fn passed(&self) -> bool {
        verdict::all_passed(&self.verdicts)
    }

    /// How many thresholds failed (or could not be measured).
    pub fn failed_count(&self) -> usize {
        self.verdicts.iter().filter(|v| !v.status.ok()).count()
    }
}

/// What a token finding means and what to do, in one sentence.
pub fn explain(t: &TokenExpiry) -> String {
    let when = t
        .first_second
        .map(|s| format!(" from second {s} of the run"))
        .unwrap_or_default();
    let what = format!(
        "{} (chain {}): {} request(s) refused with 401/403{when}",
        t.api, t.relation, t.auth_failures
    );
    match t.cause {
        TokenExpiryCause::TokenOutlivedLifetime => format!(
            "{what}, {} of them carrying a token older than its declared `ttl`: the token \
             expired mid-run; refresh it before it expires (`refresh: {{ policy: before_expiry }}`) \
             or correct `ttl`",
            t.after_token_expiry
        ),
        TokenExpiryCause::RefusedAfterSuccesses => format!(
            "{what}, after {} successful request(s): a token stopped working mid-run (expired?); \
             refresh it during the run or use tokens that outlive it",
            t.successes_before
        ),
        TokenExpiryCause::RefusedFromStart => {
            format!("{what}, from the start: the token was invalid or expired before the run")
        }
    }
}
