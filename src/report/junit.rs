//! JUnit XML for CI test reporters (GitHub, GitLab, Jenkins): one test suite per scene,
//! one test case per threshold; a run that could not be judged (its debug run failed, it
//! did not start, it was stopped) is one failed case of its own.
//!
//! The shape is the common denominator every reporter reads: `<testsuites>` →
//! `<testsuite name tests failures errors>` → `<testcase classname name>` with an optional
//! `<failure message type>` whose text gives the details.

use std::fmt::Write;

use super::RunReport;

/// What a scene's run came to, for JUnit.
#[derive(Debug, Clone)]
pub enum SceneOutcome<'a> {
    /// The run finished and was judged.
    Judged(&'a RunReport),
    /// The run was not judged: `stage` (`debug run`, `start`, `run`…) failed with `message`.
    NotJudged {
        scene: &'a str,
        stage: &'a str,
        message: &'a str,
    },
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows no other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    name: String,
    /// `(message, text)` of a failure.
    failure: Option<(String, String)>,
    /// The failure's `type`: `threshold`, or the stage that failed.
    kind: &'static str,
}

fn suite(out: &mut String, scene: &str, cases: &[Case]) {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let _ = writeln!(
        out,
        "  <testsuite name=\"ptsplan.{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        escape(scene),
        cases.len()
    );
    for case in cases {
        let open = format!(
            "    <testcase classname=\"ptsplan.{}\" name=\"{}\"",
            escape(scene),
            escape(&case.name)
        );
        match &case.failure {
            None => {
                let _ = writeln!(out, "{open}/>");
            }
            Some((message, body)) => {
                let _ = writeln!(
                    out,
                    "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    escape(message),
                    case.kind,
                    escape(body)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n");
}

/// The JUnit XML document of some scenes' runs.
pub fn render(outcomes: &[SceneOutcome<'_>]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut body = String::new();
    let (mut tests, mut failures) = (0, 0);
    for outcome in outcomes {
        let (scene, cases) = match outcome {
            SceneOutcome::Judged(report) => {
                let mut cases: Vec<Case> = report
                    .verdicts
                    .iter()
                    .map(|v| {
                        let measured = v
                            .actual_text
                            .as_deref()
                            .map(|a| format!("actual {a}"))
                            .or_else(|| v.note.as_ref().map(|n| format!("not measured: {n}")))
                            .unwrap_or_default();
                        Case {
                            kind: "threshold",
                            name: format!("{}: {}", v.scope, v.assertion),
                            failure: (!v.status.ok()).then(|| {
                                (
                                    format!("{} failed: {measured}", v.assertion),
                                    format!(
                                        "{} ({}), report {}: {} {} — {measured}",
                                        report.address(),
                                        report.name,
                                        report.plan_id,
                                        v.scope,
                                        v.assertion
                                    ),
                                )
                            }),
                        }
                    })
                    .collect();
                if let super::Ending::Stopped { by } = &report.ending {
                    cases.push(Case {
                        kind: "stopped",
                        name: "run completed".to_owned(),
                        failure: Some((
                            format!("the run was stopped ({by})"),
                            format!("report {} covers a partial run", report.plan_id),
                        )),
                    });
                }
                (report.scene.as_str(), cases)
            }
            SceneOutcome::NotJudged {
                scene,
                stage,
                message,
            } => (
                *scene,
                vec![Case {
                    kind: "run",
                    name: (*stage).to_owned(),
                    failure: Some(((*message).to_owned(), (*message).to_owned())),
                }],
            ),
        };
        tests += cases.len();
        failures += cases.iter().filter(|c| c.failure.is_some()).count();
        suite(&mut body, scene, &cases);
    }
    let _ = writeln!(
        out,
        "<testsuites name=\"ptsplan run\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::verdict::{Scope, Status, Verdict};
    use crate::report::{Ending, FORMAT};

    #[test]
    fn failing_assertions_are_failed_cases_with_actual_and_bound() {
        let report = RunReport {
            format: FORMAT,
            kind: crate::plan::Kind::Scene,
            scene: "orders".into(),
            name: "orders <&>".into(),
            scene_id: "S".into(),
            plan_id: "P".into(),
            ending: Ending::Completed,
            start_time: None,
            end_time: None,
            metrics: Default::default(),
            apis: vec![],
            verdicts: vec![
                Verdict {
                    assertion: "p99 < 300ms".into(),
                    scope: Scope::Scene,
                    status: Status::Passed,
                    actual: Some(12.0),
                    actual_text: Some("12ms".into()),
                    note: None,
                },
                Verdict {
                    assertion: "success_rate >= 99.9%".into(),
                    scope: Scope::Scene,
                    status: Status::Failed,
                    actual: Some(0.5),
                    actual_text: Some("50%".into()),
                    note: None,
                },
            ],
            baseline: None,
            token_expiry: vec![],
        };
        let xml = render(&[
            SceneOutcome::Judged(&report),
            SceneOutcome::NotJudged {
                scene: "other",
                stage: "debug run",
                message: "chain buy: step pay answered 500",
            },
        ]);
        insta::assert_snapshot!(xml);
    }
}
