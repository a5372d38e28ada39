use super::*;
use crate::lower::Lowering;
use crate::plan::Plan;
use crate::spec::{self, Env};

pub(crate) const SCRIPT: &str = "<?xml version=\"1.0\"?>\n<jmeterTestPlan version=\"1.2\">\n  <hashTree>\n    <stringProp name=\"HTTPSampler.path\">/api/orders</stringProp>\n    <stringProp name=\"HTTPSampler.method\">GET</stringProp>\n  </hashTree>\n</jmeterTestPlan>\n";

pub(crate) const PLAN: &str = "version: 1
workspace: w
environments:
  shared:
    properties: { host: 127.0.0.1, token: '${secret.API_TOKEN}' }
jmeter_scenes:
  orders:
    jmx: orders.jmx
    files: [users.csv]
    properties: { threads: 5 }
    load: { max: 5, duration: 2m, ramp_up: 30s }
    regions: { cn-hangzhou: 1 }
    dns: { clear_cache_each_iteration: true, hosts: { api.example.com: 127.0.0.1 } }
    environment: shared
";

/// The lowering of `plan` written beside `orders.jmx` (holding `script`) and `users.csv`.
pub(crate) fn lowered(plan: &str, script: &str) -> Lowering {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("plan.yaml"), plan).expect("plan");
    std::fs::write(dir.path().join("orders.jmx"), script).expect("jmx");
    std::fs::write(dir.path().join("users.csv"), "user\nu1\n").expect("csv");
    let var = |name: &str| (name == "API_TOKEN").then(|| "tok-very-secret".to_owned());
    let env = Env {
        now: "2026-11-23T00:00:00Z".parse().expect("timestamp"),
        var: &var,
        require_env: true,
    };
    let loaded = spec::check(dir.path(), &env);
    assert!(!loaded.diagnostics.has_errors(), "{:?}", loaded.diagnostics);
    let plan = loaded.plan.expect("plan");
    crate::lower::lower_with(&plan, dir.path(), &var, &crate::oss::DataStore::default())
        .expect("lowers")
}

/// What the backend holds once `lowering` was applied: ids given, the environment named by
/// id, the test mode in its `Get` spelling.
pub(crate) fn applied(lowering: &Lowering) -> (Vec<LiveEnv>, Vec<LiveJMeter>) {
    let envs: Vec<LiveEnv> = lowering
        .envs
        .iter()
        .enumerate()
        .map(|(i, d)| LiveEnv {
            env: wire::Env {
                env_id: Some(format!("ENV{i}")),
                create_time: Some(1),
                ..d.env.clone()
            },
        })
        .collect();
    let scenes = lowering
        .jmeter
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let env_index = lowering
                .envs
                .iter()
                .position(|e| Some(&e.key) == d.environment.as_ref());
            LiveJMeter {
                scene: wire::OpenJMeterScene {
                    scene_id: Some(format!("JM{i}")),
                    environment_id: env_index.map(|e| format!("ENV{e}")),
                    mode: d.scene.mode.as_ref().map(wire::TestMode::to_get_form),
                    pool: Some(String::new()),
                    ..d.scene.clone()
                },
                running: false,
                jmx: d.jmx.as_ref().map(|j| j.text.clone()),
            }
        })
        .collect();
    (envs, scenes)
}

fn state(desired: &Lowering, live: &Lowering) -> State {
    let (live_envs, live_scenes) = applied(live);
    State {
        desired_envs: desired.envs.clone(),
        desired_scenes: desired.jmeter.clone(),
        live_envs,
        live_scenes,
    }
}

fn planned(state: &State, options: Options) -> Plan {
    let mut out = Plan::default();
    plan("w", state, options, &mut out);
    out
}

#[test]
fn an_applied_environment_and_scene_plan_as_no_changes() {
    let lowering = lowered(PLAN, SCRIPT);
    let out = planned(&state(&lowering, &lowering), Options::default());
    let actions: Vec<(Kind, Action)> = out.scenes.iter().map(|c| (c.kind, c.action)).collect();
    assert_eq!(
        actions,
        [
            (Kind::Environment, Action::NoOp),
            (Kind::JMeterScene, Action::NoOp)
        ],
        "{:#?}",
        out.scenes
    );
    assert!(!out.has_changes());
}

#[test]
fn a_changed_script_line_is_one_change_of_the_xml_text() {
    let before = lowered(PLAN, SCRIPT);
    let edited = SCRIPT.replace("/api/orders", "/api/v2/orders");
    let after = lowered(PLAN, &edited);
    let out = planned(&state(&after, &before), Options::default());
    let scene = &out.scenes[1];
    assert_eq!(
        (scene.kind, scene.action),
        (Kind::JMeterScene, Action::Update)
    );
    let paths: Vec<String> = scene.changes.iter().map(FieldChange::dotted).collect();
    assert_eq!(
        paths,
        ["jmx"],
        "the script's address is not a second change"
    );
    assert_eq!(scene.changes[0].before, Some(Value::from(SCRIPT)));
    assert_eq!(scene.changes[0].after, Some(Value::from(edited)));
}

#[test]
fn creates_come_with_the_environment_first_and_owned_leftovers_are_pruned() {
    let lowering = lowered(PLAN, SCRIPT);
    let empty = State {
        desired_envs: lowering.envs.clone(),
        desired_scenes: lowering.jmeter.clone(),
        ..State::default()
    };
    let out = planned(&empty, Options::default());
    let actions: Vec<String> = out
        .scenes
        .iter()
        .map(|c| format!("{} {:?}", c.kind.address(&c.key), c.action))
        .collect();
    assert_eq!(
        actions,
        ["environment.shared Create", "jmeter_scene.orders Create"]
    );
    let created = &out.scenes[1].changes;
    assert!(
        created
            .iter()
            .any(|c| c.dotted() == "environment" && c.after == Some(Value::from("shared")))
    );

    let leftovers = State {
        live_envs: state(&lowering, &lowering).live_envs,
        live_scenes: state(&lowering, &lowering).live_scenes,
        ..State::default()
    };
    assert_eq!(planned(&leftovers, Options::default()).notes.len(), 2);
    let pruned = planned(
        &leftovers,
        Options {
            prune: true,
            run: false,
        },
    );
    assert!(pruned.scenes.iter().all(|c| c.action == Action::Delete));
}

#[test]
fn adoption_changes_the_owner_first_and_names_the_adopted_environment_by_key() {
    let lowering = lowered(PLAN, SCRIPT);
    let mut state = state(&lowering, &lowering);
    // Made elsewhere: another workspace's markers.
    for env in &mut state.live_envs {
        env.env
            .properties
            .retain(|p| p.name.as_deref() != Some(MARKER_PARAM));
    }
    for scene in &mut state.live_scenes {
        scene
            .scene
            .j_meter_properties
            .retain(|p| p.name.as_deref() != Some(MARKER_PARAM));
    }
    state.desired_envs[0].adopt = Some("ENV0".into());
    state.desired_scenes[0].adopt = Some("JM0".into());
    let out = planned(&state, Options::default());
    for change in &out.scenes {
        assert_eq!(change.action, Action::Update);
        let paths: Vec<String> = change.changes.iter().map(FieldChange::dotted).collect();
        assert_eq!(paths, [OWNER], "{}", change.key);
        assert!(change.scene_id.is_some());
    }
}

#[test]
fn an_environment_outside_the_plan_is_named_by_its_id() {
    let lowering = lowered(PLAN, SCRIPT);
    let mut state = state(&lowering, &lowering);
    state.live_scenes[0].scene.environment_id = Some("OTHER".into());
    let out = planned(&state, Options::default());
    let change = &out.scenes[1].changes[0];
    assert_eq!(change.dotted(), "environment");
    assert_eq!(change.before, Some(Value::from("id:OTHER")));
}

#[test]
fn a_script_named_by_url_compares_by_address_even_when_the_live_text_is_known() {
    let url_plan = PLAN.replace(
        "jmx: orders.jmx",
        "jmx: https://b.oss-cn-shanghai.aliyuncs.com/orders.jmx",
    );
    let lowering = lowered(&url_plan, SCRIPT);
    assert!(lowering.jmeter[0].jmx.is_none());
    let mut state = state(&lowering, &lowering);
    state.live_scenes[0].jmx = Some(SCRIPT.to_owned());
    let out = planned(&state, Options::default());
    assert!(!out.has_changes(), "{:#?}", out.scenes);
}

#[test]
fn an_empty_dns_setting_read_back_is_no_change() {
    let plan = PLAN.replace(
        "    dns: { clear_cache_each_iteration: true, hosts: { api.example.com: 127.0.0.1 } }\n",
        "",
    );
    let lowering = lowered(&plan, SCRIPT);
    let mut state = state(&lowering, &lowering);
    state.live_scenes[0].scene.dns_cache_config = Some(wire::DnsCacheConfig {
        clear_cache_each_iteration: Some(false),
        host_table: Some(serde_json::Map::new()),
        ..wire::DnsCacheConfig::default()
    });
    assert!(!planned(&state, Options::default()).has_changes());
}
