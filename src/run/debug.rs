//! The debug-first smoke run: `StartDebugPtsScene`, wait for its samples, and check them
//! before any load is spent — every chain ran to its last step, every token request gave a
//! token, every checkpoint passed. The first failing exchange is kept, secrets masked, so
//! the user sees the request and the answer that failed.

use std::time::{Duration, Instant};

use crate::api::client::is_secret_name;
use crate::api::{ApiError, Client};
use crate::redact::{MASK, Redactor};
use crate::wire::{
    GetPtsDebugSampleLogs, GetPtsScene, Marker, SamplingLog, Scene, SceneStatus,
    StartDebugPtsScene, StopDebugPtsScene,
};

/// How long a debug run may take before it is stopped and judged on what it sampled.
pub const DEBUG_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the debug run is looked at.
const DEBUG_POLL: Duration = Duration::from_millis(300);
/// Samples per page read.
const PAGE: i64 = 200;
/// Longest body shown of a failing exchange.
const BODY_CHARS: usize = 1000;

/// What a debug run showed.
#[derive(Debug, Clone, Default)]
pub struct DebugCheck {
    /// The debug run's id.
    pub plan_id: String,
    /// Every sample.
    pub samples: Vec<SamplingLog>,
    /// What is wrong; empty when the scene is fit to run.
    pub problems: Vec<Problem>,
}

/// One thing wrong with a debug run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub chain: String,
    /// The step (API name), when one is to blame.
    pub step: Option<String>,
    /// What went wrong, in a sentence.
    pub what: String,
    /// The failing request and response, secrets masked.
    pub exchange: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.step {
            Some(step) => write!(f, "chain {}, step {step}: {}", self.chain, self.what),
            None => write!(f, "chain {}: {}", self.chain, self.what),
        }
    }
}

/// Runs a debug run of `scene` (a live scene, with its id) and checks it. Token values the
/// token steps exported are added to `redactor`, so nothing printed later shows them.
pub async fn debug_run(
    client: &Client,
    scene: &Scene,
    redactor: &mut Redactor,
) -> Result<DebugCheck, ApiError> {
    let scene_id = scene.scene_id.clone().unwrap_or_default();
    let plan_id = client
        .call(&StartDebugPtsScene {
            scene_id: scene_id.clone(),
        })
        .await?
        .plan_id
        .unwrap_or_default();
    let started = Instant::now();
    let samples = loop {
        tokio::time::sleep(DEBUG_POLL).await;
        let samples = samples(client, &plan_id).await?;
        if complete(scene, &samples) {
            break samples;
        }
        let status = client
            .call(&GetPtsScene {
                scene_id: scene_id.clone(),
            })
            .await?
            .scene
            .and_then(|s| s.status);
        let debugging = matches!(status, Some(SceneStatus::Debugging));
        if !debugging {
            // Ended: the samples may have been written at the end.
            break self::samples(client, &plan_id).await?;
        }
        if started.elapsed() > DEBUG_TIMEOUT {
            let _ = client
                .call(&StopDebugPtsScene {
                    plan_id: plan_id.clone(),
                    scene_id: scene_id.clone(),
                })
                .await;
            break self::samples(client, &plan_id).await?;
        }
    };
    let token_apis = token_apis(scene);
    for sample in samples.iter().filter(|s| {
        token_apis
            .iter()
            .any(|(_, api)| Some(api.as_str()) == api_name(scene, s).as_deref())
    }) {
        for value in exported(sample) {
            redactor.add(&value);
        }
    }
    let problems = judge(scene, &samples, redactor);
    Ok(DebugCheck {
        plan_id,
        samples,
        problems,
    })
}

/// Every sample of a debug run.
async fn samples(client: &Client, plan_id: &str) -> Result<Vec<SamplingLog>, ApiError> {
    let mut all = Vec::new();
    for page in 1.. {
        let answer = client
            .call(&GetPtsDebugSampleLogs {
                page_number: Some(page),
                page_size: Some(PAGE),
                plan_id: Some(plan_id.to_owned()),
            })
            .await?;
        let got = answer.sampling_logs.len();
        all.extend(answer.sampling_logs);
        let total = answer.total_count.unwrap_or(0).max(0) as usize;
        if got == 0 || all.len() >= total {
            break;
        }
    }
    Ok(all)
}

/// Whether every chain reached its last API.
fn complete(scene: &Scene, samples: &[SamplingLog]) -> bool {
    scene.relation_list.iter().all(|r| {
        let last = r.api_list.last().and_then(|a| a.api_id.as_deref());
        samples.iter().any(|s| {
            s.chain_name.as_deref() == r.relation_name.as_deref()
                && last.is_some()
                && s.node_id.as_deref() == last
        })
    })
}

/// `(relation, token API name)` of every chain whose first API fetches a token.
fn token_apis(scene: &Scene) -> Vec<(String, String)> {
    Marker::of(scene)
        .map(|m| m.tokens.into_iter().map(|t| (t.relation, t.api)).collect())
        .unwrap_or_default()
}

/// The API name of a sample, from its node id.
fn api_name(scene: &Scene, sample: &SamplingLog) -> Option<String> {
    scene
        .relation_list
        .iter()
        .flat_map(|r| &r.api_list)
        .find(|a| a.api_id.is_some() && a.api_id == sample.node_id)
        .and_then(|a| a.api_name.clone())
}

/// The values a sample exported (its `ExportContent` JSON object).
fn exported(sample: &SamplingLog) -> Vec<String> {
    let Some(text) = &sample.export_content else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) else {
        return Vec::new();
    };
    map.values()
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .collect()
}

/// Why a sample failed, if it did.
fn failure(sample: &SamplingLog) -> Option<String> {
    let checks: Vec<serde_json::Value> = sample
        .check_result
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c["hit"] == serde_json::Value::Bool(false))
        .map(|c| {
            let checker = &c["checker"];
            let point = c["point"].as_str().unwrap_or("");
            format!(
                "checkpoint {}{} {} {} failed (got {})",
                c["checkPointType"].as_str().unwrap_or("?"),
                if point.is_empty() {
                    String::new()
                } else {
                    format!(" {point}")
                },
                checker["operate"].as_str().unwrap_or("?"),
                checker["expect"],
                checker["realValue"]
            )
        })
        .collect();
    if !failed.is_empty() {
        return Some(failed.join("; "));
    }
    sample
        .http_response_fail_msg
        .as_ref()
        .filter(|m| !m.is_empty())
        .map(|m| match &sample.http_response_status {
            Some(status) => format!("answered {status} ({m})"),
            None => format!("no answer ({m})"),
        })
}

/// Judges the samples of a debug run.
fn judge(scene: &Scene, samples: &[SamplingLog], redactor: &Redactor) -> Vec<Problem> {
    let tokens = token_apis(scene);
    let mut problems = Vec::new();
    for relation in &scene.relation_list {
        let chain = relation.relation_name.clone().unwrap_or_default();
        let own: Vec<&SamplingLog> = samples
            .iter()
            .filter(|s| s.chain_name.as_deref() == Some(chain.as_str()))
            .collect();
        if own.is_empty() {
            problems.push(Problem {
                chain,
                step: None,
                what: "the debug run sampled no request of this chain".to_owned(),
                exchange: None,
            });
            continue;
        }
        if let Some((sample, why)) = own.iter().find_map(|s| Some((*s, failure(s)?))) {
            problems.push(Problem {
                chain: chain.clone(),
                step: api_name(scene, sample),
                what: why,
                exchange: Some(exchange(sample, redactor)),
            });
            continue;
        }
        for (_, api) in tokens.iter().filter(|(r, _)| *r == chain) {
            let fetched = own.iter().any(|s| {
                api_name(scene, s).as_deref() == Some(api.as_str()) && !exported(s).is_empty()
            });
            if !fetched {
                problems.push(Problem {
                    chain: chain.clone(),
                    step: Some(api.clone()),
                    what: "no token was obtained (the token request exported nothing)".to_owned(),
                    exchange: None,
                });
            }
        }
        let missing: Vec<String> = relation
            .api_list
            .iter()
            .filter(|a| {
                !own.iter()
                    .any(|s| a.api_id.is_some() && s.node_id == a.api_id)
            })
            .filter_map(|a| a.api_name.clone())
            .collect();
        if !missing.is_empty() && problems.iter().all(|p| p.chain != chain) {
            problems.push(Problem {
                chain,
                step: None,
                what: format!(
                    "the chain did not complete: never reached {}",
                    missing.join(", ")
                ),
                exchange: None,
            });
        }
    }
    problems
}

/// A sample's request and answer as text, secret headers and values masked.
fn exchange(sample: &SamplingLog, redactor: &Redactor) -> String {
    let mut out = format!(
        "request:  {} {}\n",
        sample.http_request_method.as_deref().unwrap_or("?"),
        sample.http_request_url.as_deref().unwrap_or("?")
    );
    for (name, value) in headers(sample.http_request_headers.as_deref()) {
        out.push_str(&format!("          {name}: {value}\n"));
    }
    if let Some(body) = sample
        .http_request_body
        .as_deref()
        .filter(|b| !b.is_empty())
    {
        out.push_str(&format!("          {}\n", clip(body)));
    }
    match &sample.http_response_status {
        Some(status) => out.push_str(&format!("response: {status}\n")),
        None => out.push_str("response: none\n"),
    }
    if let Some(body) = sample
        .http_response_body
        .as_deref()
        .filter(|b| !b.is_empty())
    {
        out.push_str(&format!("          {}\n", clip(body)));
    }
    redactor.redact(&out)
}

/// `{name, value}` pairs of a headers JSON text, secret-looking values masked.
fn headers(text: Option<&str>) -> Vec<(String, String)> {
    let list: Vec<serde_json::Value> = text
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    list.iter()
        .map(|h| {
            let name = h["name"].as_str().unwrap_or("").to_owned();
            let secret = is_secret_name(&name) || name.eq_ignore_ascii_case("cookie");
            let value = if secret {
                MASK.to_owned()
            } else {
                h["value"].as_str().unwrap_or("").to_owned()
            };
            (name, value)
        })
        .collect()
}

fn clip(text: &str) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() > BODY_CHARS {
        let head: String = one_line.chars().take(BODY_CHARS).collect();
        format!("{head}… ({} bytes)", text.len())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Api, Relation};

    fn scene() -> Scene {
        let marker = Marker {
            v: 1,
            workspace: "w".into(),
            key: "k".into(),
            tokens: vec![crate::wire::TokenStep {
                relation: "buy".into(),
                api: "token:login".into(),
                ttl_ms: 1000,
                refresh: "once".into(),
                refresh_ms: None,
            }],
            ..Default::default()
        };
        let api = |id: &str, name: &str| Api {
            api_id: Some(id.into()),
            api_name: Some(name.into()),
            ..Default::default()
        };
        Scene {
            scene_id: Some("S".into()),
            relation_list: vec![Relation {
                relation_name: Some("buy".into()),
                api_list: vec![api("a1", "token:login"), api("a2", "pay")],
                ..Default::default()
            }],
            global_parameter_list: vec![marker.to_parameter()],
            ..Default::default()
        }
    }

    fn sample(node: &str, status: &str, export: &str, hit: bool) -> SamplingLog {
        SamplingLog {
            chain_name: Some("buy".into()),
            node_id: Some(node.into()),
            http_request_method: Some("POST".into()),
            http_request_url: Some("http://127.0.0.1:1/pay".into()),
            http_request_headers: Some(
                r#"[{"name":"authorization","value":"Bearer tok-123456"},{"name":"x-user","value":"u1"}]"#
                    .into(),
            ),
            http_response_status: Some(status.into()),
            http_response_body: Some(r#"{"error":"token tok-123456 expired"}"#.into()),
            check_result: Some(format!(
                r#"[{{"checkPointType":"STATUS_CODE","point":"","hit":{hit},"checker":{{"expect":"200","operate":"eq","realValue":"{status}"}}}}]"#
            )),
            export_content: Some(export.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_clean_debug_run_has_no_problem() {
        let s = scene();
        let samples = [
            sample("a1", "200", r#"{"access_token":"tok-123456"}"#, true),
            sample("a2", "200", "{}", true),
        ];
        assert!(complete(&s, &samples));
        assert_eq!(judge(&s, &samples, &Redactor::default()), vec![]);
    }

    #[test]
    fn a_failed_checkpoint_names_the_step_and_masks_the_token() {
        let s = scene();
        let samples = [
            sample("a1", "200", r#"{"access_token":"tok-123456"}"#, true),
            sample("a2", "401", "{}", false),
        ];
        let mut redactor = Redactor::default();
        redactor.add("tok-123456");
        let problems = judge(&s, &samples, &redactor);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].step.as_deref(), Some("pay"));
        assert!(problems[0].what.contains("STATUS_CODE eq \"200\" failed"));
        let exchange = problems[0].exchange.clone().unwrap_or_default();
        assert!(exchange.contains("response: 401"), "{exchange}");
        assert!(exchange.contains("x-user: u1"));
        assert!(!exchange.contains("tok-123456"), "{exchange}");
    }

    #[test]
    fn no_token_and_incomplete_chains_are_problems() {
        let s = scene();
        let problems = judge(&s, &[sample("a1", "200", "{}", true)], &Redactor::default());
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "chain buy, step token:login: no token was obtained (the token request exported nothing)"
            ]
        );
        let s2 = scene();
        let problems = judge(
            &s2,
            &[sample("a1", "200", r#"{"access_token":"tok-1234"}"#, true)],
            &Redactor::default(),
        );
        assert_eq!(
            problems[0].to_string(),
            "chain buy: the chain did not complete: never reached pay"
        );
        assert!(
            judge(&s2, &[], &Redactor::default())[0]
                .what
                .contains("sampled no request")
        );
    }
}
