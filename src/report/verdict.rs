//! Judging a scene's `thresholds` on a report: one verdict per assertion, with the value
//! measured, the bound, and pass or fail.
//!
//! An assertion whose figure the report does not hold (p95 on PTS, a chain with no API in
//! the report) fails as `unmeasured`: a threshold that cannot be checked must not let a
//! run pass.

use serde::Serialize;

use super::figures::ReportFigures;
use crate::spec::model::Threshold;
use crate::spec::threshold::{self, Assertion};

/// What part of the scene an assertion is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    Scene,
    Chain { chain: String },
    Step { chain: String, step: String },
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Scene => f.write_str("scene"),
            Scope::Chain { chain } => write!(f, "chain {chain}"),
            Scope::Step { chain, step } => write!(f, "step {chain}/{step}"),
        }
    }
}

/// How an assertion came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// The report does not hold the figure: counted as a failure.
    Unmeasured,
}

impl Status {
    /// Whether the run may pass with this verdict.
    pub fn ok(self) -> bool {
        self == Status::Passed
    }

    /// `pass`, `FAIL`, `UNMEASURED`, as reports print it.
    pub fn word(self) -> &'static str {
        match self {
            Status::Passed => "pass",
            Status::Failed => "FAIL",
            Status::Unmeasured => "UNMEASURED",
        }
    }
}

/// One judged assertion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The assertion as the plan writes it, normalized: `p99 < 300ms`.
    pub assertion: String,
    pub scope: Scope,
    pub status: Status,
    /// The measured value, in the metric's unit (ms, a fraction, a count); absent when
    /// unmeasured.
    pub actual: Option<f64>,
    /// The measured value as thresholds write values: `212.5ms`, `99.95%`.
    pub actual_text: Option<String>,
    /// Why it is unmeasured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Judges every threshold of a scene on a report's figures. Thresholds that do not parse
/// (validation rejects them before any run) are reported as unmeasured.
pub fn judge(thresholds: &[Threshold], figures: &ReportFigures) -> Vec<Verdict> {
    thresholds
        .iter()
        .map(|t| {
            let (text, scope) = match t {
                Threshold::Scene(text) => (text.as_str(), Scope::Scene),
                Threshold::Scoped(s) => (
                    s.assertion.as_str(),
                    match &s.step {
                        Some(step) => Scope::Step {
                            chain: s.chain.clone(),
                            step: step.clone(),
                        },
                        None => Scope::Chain {
                            chain: s.chain.clone(),
                        },
                    },
                ),
            };
            match threshold::parse(text) {
                Ok(assertion) => one(&assertion, scope, figures),
                Err(error) => Verdict {
                    assertion: text.to_owned(),
                    scope,
                    status: Status::Unmeasured,
                    actual: None,
                    actual_text: None,
                    note: Some(error),
                },
            }
        })
        .collect()
}

fn one(assertion: &Assertion, scope: Scope, figures: &ReportFigures) -> Verdict {
    let chain_figures;
    let (found, missing) = match &scope {
        Scope::Scene => (Some(&figures.scene), "the report"),
        Scope::Chain { chain } => {
            chain_figures = figures.chain(chain);
            (chain_figures.as_ref(), "the chain has no API in the report")
        }
        Scope::Step { chain, step } => (
            figures.step(chain, step),
            "the step has no API in the report",
        ),
    };
    let actual = found.and_then(|f| f.value(assertion.metric));
    let note = match (found, actual) {
        (None, _) => Some(missing.to_owned()),
        (Some(_), None) => Some(format!(
            "the report has no {} for this {}",
            assertion.metric,
            match scope {
                Scope::Scene =>
                    "scene (PTS reports p90 and p99 scene-wide; p50, p75 and p99 per API)",
                Scope::Chain { .. } => "chain",
                Scope::Step { .. } => "step",
            }
        )),
        _ => None,
    };
    let status = match actual {
        None => Status::Unmeasured,
        Some(value) if assertion.op.holds(value, assertion.bound) => Status::Passed,
        Some(_) => Status::Failed,
    };
    Verdict {
        assertion: assertion.to_string(),
        scope,
        status,
        actual,
        actual_text: actual.map(|v| assertion.metric.show(v)),
        note,
    }
}

/// Whether every verdict passed (no thresholds: passed).
pub fn all_passed(verdicts: &[Verdict]) -> bool {
    verdicts.iter().all(|v| v.status.ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figures::Figures;
    use crate::spec::model::ScopedThreshold;

    fn figures() -> ReportFigures {
        let step = Figures {
            requests: Some(1000.0),
            failed: Some(2.0),
            check_failures: Some(1.0),
            rps: Some(100.0),
            avg_ms: Some(20.0),
            min_ms: Some(1.0),
            max_ms: Some(400.0),
            percentiles: vec![(900, 50.0), (990, 120.0)],
        };
        ReportFigures {
            scene: step.clone(),
            steps: vec![("buy".into(), "pay".into(), step)],
        }
    }

    fn scoped(assertion: &str, chain: &str, step: Option<&str>) -> Threshold {
        Threshold::Scoped(ScopedThreshold {
            assertion: assertion.into(),
            chain: chain.into(),
            step: step.map(Into::into),
        })
    }

    #[test]
    fn each_assertion_is_judged_on_its_scope() {
        let verdicts = judge(
            &[
                Threshold::Scene("p99 < 300ms".into()),
                Threshold::Scene("success_rate >= 99.9%".into()),
                scoped("errors <= 3", "buy", None),
                scoped("p90 < 40ms", "buy", Some("pay")),
                scoped("p99 < 1s", "browse", None),
                Threshold::Scene("p95 < 1s".into()),
            ],
            &figures(),
        );
        let got: Vec<(Status, Option<String>)> = verdicts
            .iter()
            .map(|v| (v.status, v.actual_text.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Status::Passed, Some("120ms".into())),
                (Status::Failed, Some("99.7%".into())),
                (Status::Passed, Some("3".into())),
                (Status::Failed, Some("50ms".into())),
                (Status::Unmeasured, None),
                (Status::Unmeasured, None),
            ]
        );
        assert_eq!(
            verdicts[3].scope,
            Scope::Step {
                chain: "buy".into(),
                step: "pay".into()
            }
        );
        assert!(verdicts[5].note.as_deref().unwrap_or("").contains("no p95"));
        assert!(!all_passed(&verdicts));
        assert!(all_passed(&[]));
    }
}
