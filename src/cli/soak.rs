//! `ptsplan run SCENE` on a `type: soak` scene: the load cut into segments no longer than
//! one PTS run (`soak.segment`), run back to back — the next segment starts as soon as the
//! previous one is seen to end, and the previous report is fetched while the next one
//! runs — then joined into one report with the drift verdict (rules in [`crate::soak`]).
//!
//! A debug run (per `debug_first`) runs before the first segment only. Every segment is a
//! fresh PTS run, so its virtual users fetch fresh tokens. The gap before each segment is
//! the pause in load: from the previous segment's end — its start plus its planned length,
//! or the moment ptsplan saw it stop when that came first — to the start call's answer;
//! it is flagged when it exceeds `soak.max_gap`. A shorter last segment is saved as a variant of the
//! scene and the scene restored afterwards.
//!
//! Evidence: `reports/<scene>/segment-N/` per segment (as a run's), and in
//! `reports/<scene>/` the joined report (report.md/json/html, verdicts, JUnit) with
//! soak.md and soak.json.

use std::time::Instant;

use super::GlobalArgs;
use super::plan::Prepared;
use super::run::{Progress, SceneResult, debug_text, print_debug_problems, until_set, write_run};
use crate::api::ApiError;
use crate::evidence::Bundle;
use crate::redact::Redactor;
use crate::report::timeline::Timeline;
use crate::report::{Ending, RunId, RunReport};
use crate::run::{self, Event, Finished, Follow, Target, follow};
use crate::soak::{self, SegmentRun, SoakReport, join};
use crate::spec::model::Scene;

/// What a soak needs from `run_targets`.
pub(super) struct Context<'a> {
    pub global: &'a GlobalArgs,
    pub prepared: &'a Prepared,
    pub bundle: &'a mut Bundle,
    pub target: &'a Target,
    pub spec: &'a Scene,
    pub options: &'a run::Options,
    pub interrupt: &'a tokio::sync::watch::Receiver<bool>,
}

/// How the soak came out.
pub(super) struct Ran {
    pub result: SceneResult,
    pub interrupted: bool,
}

/// One segment followed to its end, its report not yet fetched.
struct Followed {
    run: SegmentRun,
    timeline: Timeline,
    ending: Ending,
}

/// Runs the soak (see the module documentation).
pub(super) fn run(cx: &mut Context<'_>) -> Ran {
    let key = &cx.target.key;
    let not_judged = |stage: &'static str, message: String, interrupted: bool| Ran {
        result: SceneResult::NotJudged { stage, message },
        interrupted,
    };
    let Some(total) = cx.spec.load.as_ref().and_then(|l| l.duration) else {
        return not_judged("run", "the soak scene has no load.duration".into(), false);
    };
    let pieces = soak::segments(total, soak::segment_of(cx.spec));
    let max_gap = soak::max_gap_of(cx.spec).as_secs_f64();
    let mut redactor = cx.prepared.redactor.clone();
    let client = &cx.prepared.connection.client;
    let scene_id = cx.target.scene_id();
    let mut progress = Progress::new(cx.global, cx.target);
    if !cx.global.quiet {
        eprintln!(
            "scene.{key}: soak of {total} in {} segment(s) of up to {} (max gap {})",
            pieces.len(),
            soak::segment_of(cx.spec),
            soak::max_gap_of(cx.spec)
        );
    }
    if cx.target.debug_first && !cx.options.skip_debug {
        progress.event(Event::DebugStarting);
        let check = cx.prepared.runtime.block_on(run::debug::debug_run(
            client,
            &cx.target.scene,
            &mut redactor,
        ));
        match check {
            Ok(check) if check.problems.is_empty() => progress.event(Event::DebugDone(&check)),
            Ok(check) => {
                progress.finish();
                print_debug_problems(key, &check, &redactor);
                let _ = cx
                    .bundle
                    .write(&format!("reports/{key}/debug.txt"), &debug_text(&check));
                return not_judged(
                    "debug run",
                    format!(
                        "the debug run {} failed, no load was started",
                        check.plan_id
                    ),
                    false,
                );
            }
            Err(error) => {
                progress.finish();
                cx.prepared.connection.report(cx.global, &error);
                return not_judged("debug run", redactor.redact(&error.to_string()), false);
            }
        }
    }
    let began = Instant::now();
    let mut last_end: Option<Instant> = None;
    let mut variant_saved = false;
    let mut done: Vec<(Followed, Option<crate::wire::GetPtsReportDetailsOutput>)> = Vec::new();
    let mut pending: Option<Followed> = None;
    let mut interrupted = false;
    let mut failure: Option<String> = None;
    for (i, piece) in pieces.iter().enumerate() {
        if *cx.interrupt.borrow() {
            interrupted = true;
            break;
        }
        // A shorter last segment: save the scene with that length (restored below).
        if i > 0 && *piece != pieces[0] {
            let length = *piece;
            let saved =
                super::variant::save(cx.prepared, &plan_path(cx), key, &cx.target.scene, |plan| {
                    let scene = plan
                        .scenes
                        .get_mut(key.as_str())
                        .ok_or_else(|| format!("the plan has no scene `{key}`"))?;
                    let load = scene.load.get_or_insert_with(Default::default);
                    load.duration = Some(length);
                    if let Some(s) = scene.soak.as_mut() {
                        s.segment = Some(length);
                    }
                    Ok(())
                });
            match saved {
                Ok(_) => variant_saved = true,
                Err(message) => {
                    failure = Some(format!("cannot save the last segment's length: {message}"));
                    break;
                }
            }
        }
        let started = cx
            .prepared
            .runtime
            .block_on(follow::start(client, &scene_id));
        let plan_id = match started {
            Ok(id) => id,
            Err(error) => {
                failure = Some(report_error(cx, &error));
                break;
            }
        };
        let now = Instant::now();
        let gap = last_end.map(|end| now.duration_since(end).as_secs_f64());
        progress.event(Event::Started { plan_id: &plan_id });
        // The previous segment's report, fetched while this one runs.
        if let Some(previous) = pending.take() {
            let details = fetch_report(cx, &scene_id, &previous.run.plan_id);
            done.push((previous, details));
        }
        let what = Follow {
            scene_id: scene_id.clone(),
            plan_id: plan_id.clone(),
            planned: Some(std::time::Duration::from_millis(piece.as_millis())),
            interval: cx.options.interval,
        };
        let followed = cx.prepared.runtime.block_on(follow::follow(
            client,
            &what,
            &mut |point| progress.event(Event::Poll(point)),
            until_set(cx.interrupt),
        ));
        // The load ended at its planned length, or earlier when ptsplan saw it stop first.
        let planned_end = now + std::time::Duration::from_millis(piece.as_millis());
        last_end = Some(planned_end.min(Instant::now()));
        let followed = match followed {
            Ok(followed) => followed,
            Err(error) => {
                failure = Some(report_error(cx, &error));
                break;
            }
        };
        if followed.interrupted {
            interrupted = true;
            progress.event(Event::Stopping);
            let _ = cx
                .prepared
                .runtime
                .block_on(follow::stop(client, &scene_id));
        }
        pending = Some(Followed {
            run: SegmentRun {
                segment: i + 1,
                plan_id,
                offset_s: now.duration_since(began).as_secs_f64(),
                planned_s: piece.as_secs_f64(),
                gap_before_s: gap,
                gap_exceeded: gap.is_some_and(|g| g > max_gap),
                completed: followed.ending == Ending::Completed,
            },
            timeline: followed.timeline,
            ending: followed.ending,
        });
        if interrupted {
            break;
        }
    }
    progress.finish();
    if let Some(previous) = pending.take() {
        let details = fetch_report(cx, &scene_id, &previous.run.plan_id);
        done.push((previous, details));
    }
    if variant_saved && let Err(message) = super::variant::restore(cx.prepared, &cx.target.scene) {
        eprintln!("error: scene.{key}: cannot restore the scene after the soak: {message}");
    }
    cx.bundle.redact_also(&redactor);
    if let Some(message) = &failure {
        eprintln!("error: scene.{key}: the soak stopped: {message}");
    }
    let result = finish(cx, &done, pieces.len(), max_gap, &redactor);
    match (result, failure) {
        (Some(report), None) => Ran {
            result: SceneResult::Soak(Box::new(report)),
            interrupted,
        },
        (_, Some(message)) => not_judged("soak", message, interrupted),
        (None, None) => not_judged("report", "no segment produced a report".into(), interrupted),
    }
}

/// The plan path `run` was given (the prepared plan's first file's directory is not
/// enough: relative data files resolve against the path given).
fn plan_path(cx: &Context<'_>) -> std::path::PathBuf {
    cx.prepared
        .files
        .first()
        .and_then(|f| f.parent())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default()
}

fn report_error(cx: &Context<'_>, error: &ApiError) -> String {
    cx.prepared.connection.report(cx.global, error);
    cx.prepared.redactor.redact(&error.to_string())
}

fn fetch_report(
    cx: &Context<'_>,
    scene_id: &str,
    plan_id: &str,
) -> Option<crate::wire::GetPtsReportDetailsOutput> {
    match cx.prepared.runtime.block_on(follow::report(
        &cx.prepared.connection.client,
        scene_id,
        plan_id,
    )) {
        Ok(details) => details,
        Err(error) => {
            report_error(cx, &error);
            None
        }
    }
}

/// Writes each segment's evidence, joins them, judges the thresholds on the joined
/// figures and the drift; writes the joined evidence.
fn finish(
    cx: &Context<'_>,
    done: &[(Followed, Option<crate::wire::GetPtsReportDetailsOutput>)],
    planned: usize,
    max_gap: f64,
    redactor: &Redactor,
) -> Option<SoakReport> {
    let key = &cx.target.key;
    let id = |plan_id: &str| RunId {
        scene: key.clone(),
        name: cx.target.name(),
        scene_id: cx.target.scene_id(),
        plan_id: plan_id.to_owned(),
    };
    for (segment, details) in done {
        let report = details.as_ref().map(|d| {
            RunReport::build(
                id(&segment.run.plan_id),
                segment.ending.clone(),
                d,
                Some(&cx.target.scene),
                &cx.target.thresholds,
                None,
            )
        });
        let finished = Finished {
            plan_id: segment.run.plan_id.clone(),
            timeline: segment.timeline.clone(),
            report,
            details: details.clone(),
            debug: None,
            interrupted: false,
            stop_confirmed: false,
            jmeter: None,
        };
        write_run(
            cx.bundle,
            &format!("reports/{key}/segment-{}", segment.run.segment),
            &finished,
            redactor,
        );
    }
    let parts: Vec<join::Part<'_>> = done
        .iter()
        .filter_map(|(s, d)| {
            Some(join::Part {
                offset_s: s.run.offset_s,
                details: d.as_ref()?,
            })
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    let joined_details = join::details(&parts);
    let first = &done.first()?.0.run.plan_id;
    let ending = if done.iter().all(|(s, _)| s.ending == Ending::Completed) {
        Ending::Completed
    } else {
        Ending::Stopped {
            by: "a segment stopped before its planned end".to_owned(),
        }
    };
    let joined = RunReport::build(
        id(first),
        ending,
        &joined_details,
        Some(&cx.target.scene),
        &cx.target.thresholds,
        None,
    );
    let drift = soak::drift::judge(&join::seconds(&parts), soak::tolerance_of(cx.spec));
    let segments: Vec<SegmentRun> = done.iter().map(|(s, _)| s.run.clone()).collect();
    let largest_gap_s = segments
        .iter()
        .filter_map(|s| s.gap_before_s)
        .fold(None, |acc: Option<f64>, g| {
            Some(acc.map_or(g, |a| a.max(g)))
        });
    let report = SoakReport {
        format: soak::FORMAT,
        scene: key.clone(),
        segments,
        planned_segments: planned,
        max_gap_s: max_gap,
        largest_gap_s,
        joined,
        drift,
    };
    let timeline = Timeline {
        plan_id: first.clone(),
        planned_seconds: None,
        points: Vec::new(),
    };
    let finished = Finished {
        plan_id: first.clone(),
        timeline,
        report: Some(report.joined.clone()),
        details: Some(joined_details),
        debug: None,
        interrupted: false,
        stop_confirmed: false,
        jmeter: None,
    };
    let dir = format!("reports/{key}");
    write_run(cx.bundle, &dir, &finished, redactor);
    let written = cx
        .bundle
        .write(&format!("{dir}/soak.md"), &soak::render::markdown(&report))
        .and_then(|()| cx.bundle.write_json(&format!("{dir}/soak.json"), &report));
    if let Err(error) = written {
        eprintln!("warning: cannot write the evidence bundle: {error}");
    }
    Some(report)
}
