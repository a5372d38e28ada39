use std::fmt::Write as _;

use serde_json::json;

use super::*;
use crate::plan::{FieldChange, Plan, SceneChange};

fn change(path: &str, before: Option<Value>, after: Option<Value>) -> FieldChange {
    FieldChange {
        path: path.split('.').map(str::to_owned).collect(),
        before,
        after,
        forces_replacement: path.starts_with("headers."),
    }
}

fn scene(key: &str, action: Action, changes: Vec<FieldChange>) -> SceneChange {
    SceneChange {
        kind: crate::plan::Kind::Scene,
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
        schedule: Vec::new(),
        kind: crate::plan::Kind::Scene,
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

/// A plan of the scenes given, nothing else.
fn only(scenes: Vec<SceneChange>) -> Plan {
    Plan {
        scenes,
        ..Plan::default()
    }
}

/// The three renderings of `plan` in one golden file per case, after checking that no
/// secret value leaks into any of them.
fn golden(case: &str, plan: &Plan) {
    let redactor = redactor();
    let rendered = [
        ("text", text(plan, &redactor)),
        ("markdown", markdown(plan, &redactor)),
        (
            "json",
            serde_json::to_string_pretty(&json(plan, &redactor)).expect("json"),
        ),
    ];
    let mut out = String::new();
    for (format, body) in rendered {
        assert!(!body.contains(SECRET), "{case} {format} leaks:\n{body}");
        let _ = writeln!(out, "===== {format} =====\n{body}");
    }
    insta::assert_snapshot!(format!("case_{case}"), out);
}

#[test]
fn golden_create() {
    let mut plan = only(vec![scene(
        "checkout",
        Action::Create,
        vec![
            change("name", None, Some(json!("mp-checkout"))),
            change(
                "chains.buyer.order",
                None,
                Some(json!(["token:wx", "order"])),
            ),
            change("chains.buyer.steps.order.method", None, Some(json!("POST"))),
            change(
                "chains.buyer.steps.order.url",
                None,
                Some(json!("http://127.0.0.1:18080/orders")),
            ),
            change("load.mode", None, Some(json!("concurrency"))),
            change("load.concurrency_max", None, Some(json!(200))),
        ],
    )]);
    plan.estimates = vec![(
        "checkout".to_owned(),
        estimate("concurrency", 200, 1, 10.0, None, 1, 5_050.0),
    )];
    golden("create", &plan);
}

#[test]
fn golden_update_headers_json_body_and_load() {
    let body_before = r#"{"sku":"A1","quantity":1,"channel":"wechat"}"#;
    let body_after = r#"{"sku":"B2","quantity":1,"channel":"wechat"}"#;
    let plan = only(vec![scene(
        "order",
        Action::Update,
        vec![
            change(
                "chains.buyer.steps.order.headers.Authorization",
                Some(json!("Bearer ${access_token}")),
                Some(json!("Token ${access_token}")),
            ),
            change(
                "chains.buyer.steps.order.headers.X-Trace",
                None,
                Some(json!("on")),
            ),
            change(
                "chains.buyer.steps.order.headers.X-Legacy",
                Some(json!("1")),
                None,
            ),
            change(
                "chains.buyer.steps.order.body.value",
                Some(json!(body_before)),
                Some(json!(body_after)),
            ),
            change("load.concurrency_start", Some(json!(10)), Some(json!(20))),
            change("load.concurrency_max", Some(json!(100)), Some(json!(200))),
            change("load.chains.buyer.max", Some(json!(60)), Some(json!(120))),
        ],
    )]);
    golden("update", &plan);
}

#[test]
fn golden_replace() {
    let mut busy = scene(
        "pay",
        Action::StopThenReplace,
        vec![change("headers.X-Console", Some(json!("on")), None)],
    );
    busy.drifted = true;
    let mut swap = scene(
        "order",
        Action::Replace,
        vec![
            change(
                "chains.buyer.steps.order.url",
                Some(json!("http://127.0.0.1:18080/v2/orders")),
                Some(json!("http://127.0.0.1:18080/orders")),
            ),
            change("headers.X-Console", Some(json!("on")), None),
            change("headers.X-Debug", Some(json!("1")), None),
        ],
    );
    swap.drifted = true;
    golden("replace", &only(vec![swap, busy]));
}

#[test]
fn golden_delete_with_prune() {
    let plan = only(vec![scene(
        "legacy",
        Action::Delete,
        vec![
            change("name", Some(json!("mp-legacy")), None),
            change(
                "chains.old.steps.ping.url",
                Some(json!("http://127.0.0.1:18080/ping")),
                None,
            ),
            change("load.concurrency_max", Some(json!(50)), None),
        ],
    )]);
    golden("delete_with_prune", &plan);
}

#[test]
fn golden_delete_without_prune() {
    let plan = Plan {
        scenes: vec![scene("stable", Action::NoOp, vec![])],
        notes: vec!["scene `legacy` (`mp-legacy`) is owned by workspace `mall-mp` but no longer in the plan; it is kept (plan with --prune to delete it)".to_owned()],
        estimates: vec![],
    };
    golden("delete_without_prune", &plan);
}

#[test]
fn golden_running_scene() {
    let plan = only(vec![scene(
        "pay",
        Action::StopThenUpdate,
        vec![
            change("load.max_running_minutes", Some(json!(10)), Some(json!(20))),
            change("load.concurrency_max", Some(json!(100)), Some(json!(150))),
        ],
    )]);
    golden("running_scene", &plan);
}

#[test]
fn golden_drift() {
    let mut drifted = scene(
        "browse",
        Action::Update,
        vec![
            change(
                "chains.browser.steps.list.url",
                Some(json!("http://127.0.0.1:18080/v2/items")),
                Some(json!("http://127.0.0.1:18080/items")),
            ),
            change("advanced.log_sample_rate", Some(json!(50)), Some(json!(10))),
        ],
    );
    drifted.drifted = true;
    drifted.live_fingerprint = Some("5f0c2a9e11d04b7e".to_owned());
    golden(
        "drift",
        &only(vec![drifted, scene("stable", Action::NoOp, vec![])]),
    );
}

#[test]
fn golden_secrets() {
    let plan = only(vec![
        scene(
            "checkout",
            Action::Create,
            vec![
                change(
                    "chains.buyer.steps.token:wx.body.value",
                    None,
                    Some(json!(format!(
                        "{{\"appid\":\"wx1\",\"secret\":\"{SECRET}\"}}"
                    ))),
                ),
                change("globals.app_secret", None, Some(json!(SECRET))),
            ],
        ),
        scene(
            "order",
            Action::Update,
            vec![
                change(
                    "chains.buyer.steps.token:wx.headers.X-App-Secret",
                    Some(json!("old-secret-value")),
                    Some(json!(SECRET)),
                ),
                change("globals.app_secret", Some(json!(SECRET)), None),
            ],
        ),
    ]);
    golden("secrets", &plan);
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

#[test]
fn golden_sweep_and_soak_runs() {
    // The estimates a tuning and a soak scene get: each run listed with its length.
    let tuning: crate::spec::model::Scene = serde_json::from_value(json!({
        "type": "tuning",
        "chains": [{ "name": "c", "steps": [{ "name": "list", "url": "http://127.0.0.1:8090/api/orders" }] }],
        "load": { "mode": "rps", "max": 25, "duration": "5m" },
        "sweep": { "over": "load.max", "range": { "from": 25, "to": 150, "step": 25 }, "duration_each": "2m" }
    }))
    .expect("tuning scene");
    let soak: crate::spec::model::Scene = serde_json::from_value(json!({
        "type": "soak",
        "chains": [{ "name": "c", "steps": [{ "name": "list", "url": "http://127.0.0.1:8090/api/orders" }] }],
        "load": { "mode": "concurrency", "max": 50, "duration": "60h" },
        "soak": { "segment": "24h", "max_gap": "1m" }
    }))
    .expect("soak scene");
    let mut plan = only(vec![
        scene("capacity", Action::NoOp, vec![]),
        scene("leak", Action::NoOp, vec![]),
    ]);
    plan.estimates = vec![
        (
            "capacity".to_owned(),
            crate::plan::cost::estimate(&tuning).expect("estimate"),
        ),
        (
            "leak".to_owned(),
            crate::plan::cost::estimate(&soak).expect("estimate"),
        ),
    ];
    golden("sweep_and_soak_runs", &plan);
}

/// A JMeter plan from the real planner: a new environment, a scene whose script changed on
/// one line and which gains a secret property.
fn jmeter_case() -> (Plan, Redactor) {
    use crate::plan::jmeter::{self, State, tests as fixture};
    let live = fixture::lowered(fixture::PLAN, fixture::SCRIPT);
    let desired_plan = fixture::PLAN
        .replace(
            "properties: { threads: 5 }",
            "properties: { threads: 5, password: '${secret.API_TOKEN}' }",
        )
        .replace(
            "environments:\n",
            "environments:\n  extra: { properties: { region: east } }\n",
        );
    let desired = fixture::lowered(
        &desired_plan,
        &fixture::SCRIPT.replace("/api/orders", "/api/v2/orders"),
    );
    let (live_envs, live_scenes) = fixture::applied(&live);
    let state = State {
        desired_envs: desired.envs.clone(),
        desired_scenes: desired.jmeter.clone(),
        live_envs,
        live_scenes,
    };
    let mut plan = Plan::default();
    jmeter::plan("w", &state, crate::plan::Options::default(), &mut plan);
    (plan, desired.redactor)
}

#[test]
fn jmeter_rendering_text() {
    let (plan, redactor) = jmeter_case();
    let out = text(&plan, &redactor);
    assert!(!out.contains("tok-very-secret"));
    insta::assert_snapshot!(out);
}

#[test]
fn jmeter_rendering_markdown() {
    let (plan, redactor) = jmeter_case();
    let out = markdown(&plan, &redactor);
    assert!(!out.contains("tok-very-secret"));
    insta::assert_snapshot!(out);
}

#[test]
fn jmeter_rendering_json() {
    let (plan, redactor) = jmeter_case();
    let out = serde_json::to_string_pretty(&json(&plan, &redactor)).expect("json");
    assert!(!out.contains("tok-very-secret"));
    insta::assert_snapshot!(out);
}
