use serde_json::json;

use super::*;
use crate::lower::{Lowered, attach_ids};
use crate::spec::model::RunPolicy;
use crate::wire::{SceneStatus, TestMode};

/// A small desired scene: one chain, a token head, a step with a header, per-chain load.
fn desired(key: &str, header: &str) -> Lowered {
    let scene: wire::Scene = serde_json::from_value(json!({
        "SceneName": format!("mp-{key}"),
        "RelationList": [
            {"RelationName": "buyer", "ApiList": [
                {"ApiName": "token:wx", "Url": "http://127.0.0.1:18080/token", "Method": "POST",
                 "TimeoutInSecond": 5, "RedirectCountLimit": 0,
                 "ExportList": [{"ExportName": "access_token", "ExportType": "BODY_JSON", "ExportValue": "access_token", "Count": "0"}]},
                {"ApiName": "order", "Url": "http://127.0.0.1:18080/orders", "Method": "POST",
                 "TimeoutInSecond": 5, "RedirectCountLimit": 0,
                 "HeaderList": [{"HeaderName": "Authorization", "HeaderValue": header},
                                {"HeaderName": "Accept", "HeaderValue": "application/json"}],
                 "CheckPointList": [{"CheckType": "STATUS_CODE", "CheckPoint": "", "Operator": "eq", "ExpectValue": "201"}]}
            ]},
            {"RelationName": "browser", "ApiList": [
                {"ApiName": "list", "Url": "http://127.0.0.1:18080/items", "Method": "GET",
                 "TimeoutInSecond": 5, "RedirectCountLimit": 0}
            ]}
        ],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 10, "AutoStep": false,
                       "RelationLoadConfigList": [{"ConcurrencyBegin": 1, "ConcurrencyLimit": 10},
                                                  {"ConcurrencyBegin": 2, "ConcurrencyLimit": 20}]},
        "AdvanceSetting": {"LogRate": 10, "SuccessCode": "429,304"},
        "GlobalParameterList": [
            {"ParamName": "channel", "ParamValue": "wechat"},
            Marker { v: 1, workspace: "mall-mp".into(), key: key.into(), ..Marker::default() }.to_parameter(),
        ]
    }))
    .expect("scene JSON");
    Lowered {
        key: key.to_owned(),
        scene,
        run: RunPolicy::OnApply,
        adopt: None,
    }
}

/// What a PTS server holds after saving `lowered`: ids assigned and attached, the GetPtsScene
/// spellings, status and times, lists reordered, the applied fingerprint in the marker.
fn saved(lowered: &Lowered, id: &str) -> wire::Scene {
    let mut live = lowered.scene.clone();
    for (r, relation) in live.relation_list.iter_mut().enumerate() {
        relation.relation_id = Some(format!("{id}R{r}"));
        for (a, api) in relation.api_list.iter_mut().enumerate() {
            api.api_id = Some(format!("{id}R{r}A{a}"));
            api.header_list.reverse();
        }
    }
    let with_ids = live.clone();
    attach_ids(&mut live, &with_ids);
    live.scene_id = Some(id.to_owned());
    live.status = Some(SceneStatus::Draft);
    live.create_time = Some("2026-11-23 10:00:00".into());
    live.modified_time = Some("2026-11-23 10:00:00".into());
    if let Some(load) = &mut live.load_config {
        load.test_mode = load.test_mode.as_ref().map(TestMode::to_get_form);
        load.relation_load_config_list.reverse();
    }
    live.global_parameter_list.reverse();
    if let Some(codes) = live
        .advance_setting
        .as_mut()
        .and_then(|a| a.success_code.as_mut())
    {
        *codes = codes.split(',').rev().collect::<Vec<_>>().join(",");
    }
    let fingerprint = view::fingerprint(&view::view(&live));
    let mut marker = Marker::of(&live).expect("marker");
    marker.fingerprint = Some(fingerprint);
    for p in &mut live.global_parameter_list {
        if p.param_name.as_deref() == Some(wire::MARKER_PARAM) {
            *p = marker.to_parameter();
        }
    }
    live
}

fn live(scene: wire::Scene) -> Live {
    Live {
        scene,
        running: false,
    }
}

#[test]
fn nothing_live_means_create_with_every_field_shown() {
    let plan = plan(
        "mall-mp",
        &[desired("checkout", "Bearer ${access_token}")],
        &[],
        Options::default(),
    );
    assert_eq!(plan.scenes[0].action, Action::Create);
    assert!(
        plan.scenes[0]
            .changes
            .iter()
            .any(|c| c.dotted() == "chains.buyer.steps.order.url")
    );
    assert!(plan.has_changes());
}

#[test]
fn a_saved_scene_read_back_plans_no_changes() {
    let d = desired("checkout", "Bearer ${access_token}");
    let p = plan(
        "mall-mp",
        std::slice::from_ref(&d),
        &[live(saved(&d, "NHBG6V"))],
        Options::default(),
    );
    assert_eq!(
        p.scenes[0].action,
        Action::NoOp,
        "{:#?}",
        p.scenes[0].changes
    );
    assert!(!p.scenes[0].drifted);
    assert_eq!(p.scenes[0].scene_id.as_deref(), Some("NHBG6V"));
    assert!(!p.has_changes());
}

#[test]
fn a_changed_header_is_one_field_change_and_running_scenes_stop_first() {
    let applied = desired("checkout", "Bearer ${access_token}");
    let wanted = desired("checkout", "Token ${access_token}");
    let current = saved(&applied, "NHBG6V");
    let p = plan(
        "mall-mp",
        std::slice::from_ref(&wanted),
        &[live(current.clone())],
        Options::default(),
    );
    assert_eq!(p.scenes[0].action, Action::Update);
    let paths: Vec<String> = p.scenes[0]
        .changes
        .iter()
        .map(FieldChange::dotted)
        .collect();
    assert_eq!(paths, ["chains.buyer.steps.order.headers.Authorization"]);
    let running = Live {
        scene: current,
        running: true,
    };
    let p = plan("mall-mp", &[wanted], &[running], Options::default());
    assert_eq!(p.scenes[0].action, Action::StopThenUpdate);
}

#[test]
fn a_load_change_is_keyed_by_chain_name_not_position() {
    let applied = desired("checkout", "x");
    let mut wanted = applied.clone();
    if let Some(load) = &mut wanted.scene.load_config {
        load.relation_load_config_list[1].concurrency_limit = Some(30);
    }
    let p = plan(
        "mall-mp",
        &[wanted],
        &[live(saved(&applied, "S1"))],
        Options::default(),
    );
    let paths: Vec<String> = p.scenes[0]
        .changes
        .iter()
        .map(FieldChange::dotted)
        .collect();
    assert_eq!(paths, ["load.chains.browser.max"]);
}

#[test]
fn scenes_changed_outside_ptsplan_are_flagged_as_drift() {
    let d = desired("checkout", "x");
    let mut current = saved(&d, "S1");
    current.relation_list[0].api_list[1].url = Some("http://127.0.0.1:18080/v2/orders".into());
    let p = plan("mall-mp", &[d], &[live(current)], Options::default());
    assert!(p.scenes[0].drifted);
    assert_eq!(p.scenes[0].action, Action::Update);
}

#[test]
fn scene_wide_headers_made_outside_a_save_force_replacement() {
    let d = desired("checkout", "x");
    let mut current = saved(&d, "S1");
    // Added in the console: `SavePtsScene` can neither set nor (documentedly) clear them.
    current.headers.push(wire::SceneHeader {
        name: Some("X-Console".into()),
        value: Some("on".into()),
        ..wire::SceneHeader::default()
    });
    current.relation_list[0].api_list[1].url = Some("http://127.0.0.1:18080/v2/orders".into());
    let p = plan(
        "mall-mp",
        std::slice::from_ref(&d),
        &[live(current.clone())],
        Options::default(),
    );
    let scene = &p.scenes[0];
    assert_eq!(scene.action, Action::Replace);
    assert!(scene.drifted);
    let forced: Vec<(String, bool)> = scene
        .changes
        .iter()
        .map(|c| (c.dotted(), c.forces_replacement))
        .collect();
    assert_eq!(
        forced,
        [
            ("chains.buyer.steps.order.url".to_owned(), false),
            ("headers.X-Console".to_owned(), true),
        ]
    );
    let running = Live {
        scene: current,
        running: true,
    };
    let p = plan("mall-mp", &[d], &[running], Options::default());
    assert_eq!(p.scenes[0].action, Action::StopThenReplace);
}

#[test]
fn scenes_of_other_owners_are_never_touched() {
    let d = desired("checkout", "x");
    let mut theirs = saved(&d, "OTHER");
    theirs
        .global_parameter_list
        .retain(|p| p.param_name.as_deref() != Some(wire::MARKER_PARAM));
    let p = plan("mall-mp", &[d], &[live(theirs)], Options::default());
    assert_eq!(p.scenes.len(), 1);
    assert_eq!(p.scenes[0].action, Action::Create);
    assert!(p.notes[0].contains("not owned"), "{:?}", p.notes);
}

#[test]
fn owned_scenes_left_out_are_noted_or_deleted_with_prune() {
    let gone = saved(&desired("old", "x"), "OLD");
    let p = plan("mall-mp", &[], &[live(gone.clone())], Options::default());
    assert!(p.scenes.is_empty());
    assert!(p.notes[0].contains("--prune"));
    let p = plan(
        "mall-mp",
        &[],
        &[live(gone)],
        Options {
            prune: true,
            run: false,
        },
    );
    assert_eq!(p.scenes[0].action, Action::Delete);
    assert_eq!(p.count(Action::Delete), 1);
}

#[test]
fn runs_follow_the_run_policy_only_with_run() {
    let d = desired("checkout", "x");
    let current = live(saved(&d, "S1"));
    let p = plan(
        "mall-mp",
        std::slice::from_ref(&d),
        std::slice::from_ref(&current),
        Options {
            prune: false,
            run: true,
        },
    );
    assert_eq!(p.scenes[0].action, Action::Start);
    assert_eq!(p.runs(), 1);
    let mut manual = d;
    manual.run = RunPolicy::Manual;
    let p = plan(
        "mall-mp",
        &[manual],
        &[current],
        Options {
            prune: false,
            run: true,
        },
    );
    assert_eq!(p.runs(), 0);
}

#[test]
fn every_example_plan_saved_and_read_back_plans_no_changes() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plans/mall");
    let secret = |name: &str| (name == "WX_APP_SECRET").then(|| "s3cret-value".to_owned());
    let env = crate::spec::Env {
        now: "2026-11-23T00:00:00Z".parse().expect("a timestamp"),
        var: &secret,
        require_env: true,
    };
    let loaded = crate::spec::check(&dir, &env);
    let (lowered, _) =
        crate::lower::lower(&loaded.plan.expect("plan"), &dir, &secret).expect("lowers");
    let live: Vec<Live> = lowered
        .iter()
        .enumerate()
        .map(|(i, l)| self::live(saved(l, &format!("S{i}"))))
        .collect();
    let p = plan("mall-mp", &lowered, &live, Options::default());
    for scene in &p.scenes {
        assert_eq!(
            scene.action,
            Action::NoOp,
            "{}: {:#?}",
            scene.key,
            scene.changes
        );
    }
    assert_eq!(p.scenes.len(), lowered.len());
}
