use serde_json::json;

use super::*;
use crate::plan::{FieldChange, Plan, SceneChange};

fn change(path: &str, before: Option<Value>, after: Option<Value>) -> FieldChange {
    FieldChange {
        path: path.split('.').map(str::to_owned).collect(),
        before,
        after,
    }
}

fn scene(key: &str, action: Action, changes: Vec<FieldChange>) -> SceneChange {
    SceneChange {
        key: key.to_owned(),
        name: format!("mp-{key}"),
        action,
        scene_id: (action != Action::Create).then(|| "NHBG6V".to_owned()),
        changes,
        drifted: false,
        live_fingerprint: None,
        run: false,
    }
}

fn estimate(
    mode: &'static str,
    peak: u64,
    runs: u64,
    minutes: f64,
    requests: Option<u64>,
    ips: u64,
    vum: f64,
) -> Estimate {
    Estimate {
        mode,
        peak,
        runs,
        minutes,
        requests,
        ips,
        vum,
    }
}

const SECRET: &str = "wx-app-secret-1234";

fn redactor() -> Redactor {
    let mut r = Redactor::default();
    r.add(SECRET);
    r
}

/// One plan holding every case the renderers must draw.
fn every_case() -> Plan {
    let body_before = r#"{"sku":"A1","quantity":1,"channel":"wechat"}"#;
    let body_after = r#"{"sku":"B2","quantity":1,"channel":"wechat"}"#;
    let mut drifted = scene(
        "browse",
        Action::Update,
        vec![change(
            "chains.browser.steps.list.url",
            Some(json!("http://127.0.0.1:18080/v2/items")),
            Some(json!("http://127.0.0.1:18080/items")),
        )],
    );
    drifted.drifted = true;
    let mut started = scene("smoke", Action::Start, vec![]);
    started.run = true;
    Plan {
        scenes: vec![
            scene(
                "checkout",
                Action::Create,
                vec![
                    change("name", None, Some(json!("mp-checkout"))),
                    change("chains.buyer.steps.order.url", None, Some(json!("http://127.0.0.1:18080/orders"))),
                    change("chains.buyer.steps.token:wx.body.value", None, Some(json!(format!("{{\"secret\":\"{SECRET}\"}}")))),
                    change("load.concurrency_max", None, Some(json!(200))),
                ],
            ),
            scene(
                "order",
                Action::Update,
                vec![
                    change(
                        "chains.buyer.steps.order.headers.Authorization",
                        Some(json!("Bearer ${access_token}")),
                        Some(json!("Token ${access_token}")),
                    ),
                    change("chains.buyer.steps.order.body.value", Some(json!(body_before)), Some(json!(body_after))),
                    change("load.concurrency_max", Some(json!(100)), Some(json!(200))),
                    change(
                        "chains.buyer.steps.token:wx.headers.X-App-Secret",
                        Some(json!("old-secret-value")),
                        Some(json!(SECRET)),
                    ),
                ],
            ),
            scene(
                "pay",
                Action::StopThenUpdate,
                vec![change("load.max_running_minutes", Some(json!(10)), Some(json!(20)))],
            ),
            drifted,
            scene("legacy", Action::Delete, vec![change("chains.old.steps.ping.url", Some(json!("http://127.0.0.1:18080/ping")), None)]),
            started,
            scene("stable", Action::NoOp, vec![]),
        ],
        notes: vec!["scene `archived` (`mp-archived`) is owned by workspace `mall-mp` but no longer in the plan; it is kept (plan with --prune to delete it)".to_owned()],
        estimates: vec![
            ("checkout".to_owned(), estimate("concurrency", 200, 1, 10.0, None, 1, 5_050.0)),
            ("order".to_owned(), estimate("rps", 3_000, 1, 5.0, Some(300_000), 1, 2_525.0)),
        ],
    }
}

#[test]
fn text_rendering() {
    let out = text(&every_case(), &redactor());
    assert!(!out.contains(SECRET));
    insta::assert_snapshot!(out);
}

#[test]
fn markdown_rendering() {
    let out = markdown(&every_case(), &redactor());
    assert!(!out.contains(SECRET));
    insta::assert_snapshot!(out);
}

#[test]
fn json_rendering() {
    let out = serde_json::to_string_pretty(&json(&every_case(), &redactor())).expect("json");
    assert!(!out.contains(SECRET));
    insta::assert_snapshot!(out);
}

#[test]
fn summary_line_and_no_changes() {
    assert_eq!(
        summary(&every_case()),
        "Plan: 1 to create, 3 to update, 1 to delete, 1 to run."
    );
    let quiet = Plan {
        scenes: vec![scene("stable", Action::NoOp, vec![])],
        notes: vec![],
        estimates: vec![],
    };
    assert_eq!(
        text(&quiet, &redactor()),
        "No changes. The live scenes match the plan.\n"
    );
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let big: Vec<FieldChange> = (0..400)
        .map(|i| {
            change(
                &format!("chains.c.steps.s{i}.url"),
                None,
                Some(json!("x".repeat(200))),
            )
        })
        .collect();
    let plan = Plan {
        scenes: (0..20)
            .map(|i| scene(&format!("s{i}"), Action::Create, big.clone()))
            .collect(),
        notes: vec![],
        estimates: vec![],
    };
    let out = markdown(&plan, &redactor());
    assert!(out.len() < MARKDOWN_LIMIT, "{}", out.len());
    assert!(out.contains("ptsplan plan --format json"));
}

#[test]
fn summary_lines_name_every_scene() {
    let out = one_line_per_scene(&every_case());
    assert!(out.lines().any(|l| l == "+ scene.checkout create"));
    assert!(out.lines().any(|l| l == "> scene.smoke start +run"));
    assert_eq!(out.lines().count(), 7);
}
