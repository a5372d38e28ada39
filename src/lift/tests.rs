//! Lifting is the inverse of lowering: plan → lower → lift → YAML → check → lower gives the
//! same normalized view, for every export kind, check operator, CSV parameter and both load
//! modes; and scenes in shapes only the console or the API make lift with notes.

use std::path::Path;

use indexmap::IndexMap;

use super::document::{FileParts, plan_file};
use super::secrets::Secrets;
use super::*;
use crate::plan::view::view;
use crate::spec::{self, Env};

/// Every export kind, every check operator, CSV files (looping, cycle-once, base), an API
/// token source with a refresh policy, and the two load modes with scene-wide and
/// per-chain/per-step levels and a ramp.
const PLAN: &str = r#"
version: 1
workspace: source
token_sources:
  wx:
    kind: api
    request:
      method: POST
      url: http://127.0.0.1:9/token
      headers: { X-App: mp }
      body: { json: { appid: wx1, grant_type: client_credential } }
      timeout: 3s
    exports: { access_token: data.token, expires_in: data.expires }
    ttl: 2h
    refresh: { policy: before_expiry, margin: 10m }
scenes:
  shop:
    name: Shop Flow
    type: mixed
    chains:
      - name: buyer
        token: wx
        data: [users, skus]
        steps:
          - name: list
            url: http://127.0.0.1:9/items?u=${user_id}&s=${sku_id}
            headers: { Authorization: "Bearer ${access_token}" }
            timeout: 10s
            redirects: 3
            extract:
              first: { from: body_json, path: 'data.items[0].id' }
              word: { from: body_text, regex: '"msg":"(\w+)"', index: random }
              second: { from: body_text, regex: 'id=(\d+)', index: 2 }
              trace: { from: header, name: X-Trace }
              sid: { from: cookie, name: sid }
              status: { from: status_code }
            checks:
              - { on: status_code, value: 200 }
              - { on: status_code, op: ne, value: 500 }
              - { on: status_code, op: gt, value: 199 }
              - { on: status_code, op: gte, value: 200 }
              - { on: status_code, op: lt, value: 300 }
              - { on: status_code, op: lte, value: 200 }
              - { on: body_text, op: contains, value: items }
              - { on: body_text, op: not_contains, value: error }
              - { on: body_text, op: regex, value: 'id=\d+' }
              - { on: header, name: X-Trace, op: exists }
              - { on: header, name: X-Gone, op: not_exists }
              - { on: extracted, name: first, value: "8" }
              - { on: body_json, path: data.total, op: gte, value: 1 }
          - name: order
            method: POST
            url: http://127.0.0.1:9/orders
            body: { form: { item: "${first}", qty: "1" } }
          - name: note
            method: PUT
            url: http://127.0.0.1:9/notes
            body: { raw: "hello ${word}", content_type: text/csv }
      - name: browser
        data: [once]
        steps:
          - name: home
            url: http://127.0.0.1:9/
            body: { json: [1, "two", { three: 3.5 }] }
    data:
      users: { file: https://oss.example.com/users.csv, columns: [user_id, phone], base: true }
      skus: { file: https://oss.example.com/skus.csv, columns: [sku_id] }
      once: { file: https://oss.example.com/once.csv, columns: [coupon], cycle_once: true }
    globals: { channel: wechat, limit: "10" }
    load:
      mode: concurrency
      chains: { buyer: { start: 2, max: 10 }, browser: { start: 1, max: 5 } }
      ramp: { step_percent: 20, every: 1m }
      duration: 10m
      agents: 1
    advanced:
      log_sample_rate: 10
      connect_timeout: 3s
      success_codes: [429, 304]
      domain_bindings: { api.example.com: [127.0.0.1] }
  flat:
    type: single-api
    chains:
      - name: c
        steps:
          - { name: ping, url: http://127.0.0.1:9/ping }
    load: { mode: concurrency, start: 3, max: 3, duration: 90s }
  rps-steps:
    type: mixed
    chains:
      - name: c
        token: wx
        steps:
          - { name: a, url: http://127.0.0.1:9/a }
          - { name: b, url: http://127.0.0.1:9/b }
    load:
      mode: rps
      steps: { c: { a: { start: 20, max: 40 }, b: { start: 10, max: 20 } } }
      duration: 2m
  rps-flat:
    type: single-api
    chains:
      - name: c
        steps:
          - { name: a, url: http://127.0.0.1:9/a }
    load: { mode: rps, start: 5, max: 50, duration: 1m }
"#;

fn no_env(_: &str) -> Option<String> {
    None
}

fn check(dir: &Path) -> crate::spec::model::Plan {
    let env = Env {
        now: jiff::Timestamp::from_second(1_800_000_000).expect("time"),
        var: &no_env,
        require_env: false,
    };
    let loaded = spec::check(dir, &env);
    assert!(
        !loaded.diagnostics.has_errors(),
        "{}",
        crate::diag::Renderer::new(false, 100).render_all(&loaded.diagnostics, &loaded.sources)
    );
    loaded.plan.expect("plan")
}

fn lowered(plan: &crate::spec::model::Plan) -> Vec<crate::lower::Lowered> {
    crate::lower::lower(plan, Path::new("."), &no_env)
        .expect("lowers")
        .0
}

/// Writes every lifted scene as its own file (as import does) into `dir`.
fn write_files(dir: &Path, workspace: &str, scenes: &[crate::lower::Lowered]) -> Vec<Lifted> {
    let mut secrets = Secrets::default();
    let mut defined: IndexMap<String, TokenSource> = IndexMap::new();
    let mut out = Vec::new();
    for l in scenes {
        let lifted = lift(&l.scene, &mut secrets).expect("lifts");
        let mut mine = IndexMap::new();
        for (name, source) in &lifted.token_sources {
            if !defined.contains_key(name) {
                defined.insert(name.clone(), source.clone());
                mine.insert(name.clone(), source.clone());
            }
        }
        let text = plan_file(FileParts {
            workspace,
            lifted: &lifted,
            token_sources: mine,
            header: vec!["test".into()],
            secrets: &[],
        });
        std::fs::write(dir.join(format!("{}.yaml", lifted.key)), text).expect("write");
        out.push(lifted);
    }
    out
}

#[test]
fn lower_lift_lower_is_the_identity_on_views() {
    let source = tempfile::tempdir().expect("dir");
    std::fs::write(source.path().join("plan.yaml"), PLAN).expect("write");
    let original = lowered(&check(source.path()));
    let out = tempfile::tempdir().expect("dir");
    let lifted = write_files(out.path(), "other", &original);
    assert_eq!(
        lifted.iter().map(|l| l.key.as_str()).collect::<Vec<_>>(),
        ["shop", "flat", "rps-steps", "rps-flat"]
    );
    let again = lowered(&check(out.path()));
    assert_eq!(original.len(), again.len());
    for a in &original {
        let b = again.iter().find(|b| b.key == a.key).expect("same keys");
        assert_eq!(view(&a.scene), view(&b.scene), "scene {}", a.key);
    }
    let shop = std::fs::read_to_string(out.path().join("shop.yaml")).expect("read");
    insta::assert_snapshot!(shop);
}

#[test]
fn a_scene_made_through_the_api_lifts_with_notes_and_secrets() {
    let scene: wire::Scene = serde_json::from_value(serde_json::json!({
        "SceneId": "ABC123", "SceneName": "控制台 scene #1",
        "RelationList": [{"RelationId": "R1", "RelationName": "r", "ApiList": [{
            "ApiId": "A1", "ApiName": "token:wx", "Url": "http://127.0.0.1/t", "Method": "get",
            "HeaderList": [{"HeaderName": "Authorization", "HeaderValue": "Basic dXNlcjpwYXNz"}],
            "Body": {"ContentType": "application/x-www-form-urlencoded",
                     "BodyValue": "{\"client_secret\":\"abc\",\"user\":\"u\"}"},
            "ExportList": [{"ExportName": "tok", "ExportType": "HEADER", "ExportValue": "X-T", "Count": "2"}],
        }], "FileParameterExplainList": [{"FileName": "u.csv", "FileParamName": "uid",
            "BaseFile": false, "CycleOnce": true}]}],
        "FileParameterList": [{"FileName": "u.csv", "FileOssAddress": "https://oss/x/9f8e.csv"},
                              {"FileName": "orphan.csv", "FileOssAddress": "https://oss/o.csv"}],
        "GlobalParameterList": [{"ParamName": "api_key", "ParamValue": "k-123"}],
        "LoadConfig": {"TestMode": "TPS", "MaxRunningTime": 3, "AutoStep": true,
            "Configuration": {"AllRpsBegin": 5, "AllRpsLimit": 9}},
        "Headers": [{"Name": "X-Scene", "Value": "1"}],
    }))
    .expect("scene");
    let mut secrets = Secrets::default();
    let lifted = lift(&scene, &mut secrets).expect("lifts");
    assert_eq!(lifted.key, "控制台-scene-1");
    assert_eq!(lifted.scene.name.as_deref(), Some("控制台 scene #1"));
    // Without a marker the token-named API is an ordinary step.
    let step = &lifted.scene.chains[0].steps[0];
    assert_eq!(step.name, "token:wx");
    assert!(lifted.scene.chains[0].token.is_none());
    assert_eq!(
        step.headers["Authorization"],
        "${secret.SCENE_1_TOKEN_WX_AUTHORIZATION}"
    );
    assert_eq!(
        step.body
            .as_ref()
            .and_then(|b| b.form.as_ref())
            .map(|f| f["client_secret"].clone()),
        Some("${secret.SCENE_1_TOKEN_WX_CLIENT_SECRET}".to_owned())
    );
    assert_eq!(
        lifted.scene.globals["api_key"],
        Scalar::Text("${secret.SCENE_1_API_KEY}".into())
    );
    let names: Vec<&str> = secrets.uses.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    let notes: Vec<String> = lifted
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.path.join("."), n.text))
        .collect();
    insta::assert_debug_snapshot!(notes);
    let text = plan_file(FileParts {
        workspace: "shop",
        lifted: &lifted,
        token_sources: lifted.token_sources.clone(),
        header: vec!["Imported from PTS scene ABC123 (a test).".into()],
        secrets: &secrets.uses,
    });
    assert!(
        !text.contains("dXNlcjpwYXNz") && !text.contains("k-123"),
        "{text}"
    );
    insta::assert_snapshot!(text);
    let load = lifted.scene.load.as_ref().expect("load");
    assert_eq!(
        (load.mode, load.start, load.max),
        (Some(LoadMode::Rps), Some(5), Some(9))
    );
    assert!(load.ramp.is_none());
}

#[test]
fn inexpressible_scenes_are_refused_with_the_reason() {
    let mut secrets = Secrets::default();
    let base = serde_json::json!({"SceneName": "s",
        "RelationList": [{"RelationName": "r", "ApiList": [{"ApiName": "a", "Url": "http://127.0.0.1/", "Method": "TRACE"}]}],
        "LoadConfig": {"TestMode": "concurrency_mode", "MaxRunningTime": 1}});
    let scene: wire::Scene = serde_json::from_value(base.clone()).expect("scene");
    let error = lift(&scene, &mut secrets).expect_err("refused");
    assert!(error.0.contains("TRACE"), "{error}");
    let mut no_load = base;
    no_load["RelationList"][0]["ApiList"][0]["Method"] = "GET".into();
    no_load
        .as_object_mut()
        .expect("object")
        .remove("LoadConfig");
    let scene: wire::Scene = serde_json::from_value(no_load).expect("scene");
    assert!(
        lift(&scene, &mut secrets)
            .expect_err("refused")
            .0
            .contains("load")
    );
}

#[test]
fn scalars_keep_their_text() {
    assert_eq!(scalar("200"), Scalar::Integer(200));
    assert_eq!(scalar("007"), Scalar::Text("007".into()));
    assert_eq!(scalar("1.5"), Scalar::Number(1.5));
    assert_eq!(scalar("1.50"), Scalar::Text("1.50".into()));
    assert_eq!(scalar("true"), Scalar::Bool(true));
    assert_eq!(
        key_from_name("Mall / Checkout v2", None),
        "mall-checkout-v2"
    );
    assert_eq!(key_from_name("!!", Some("AB12")), "scene-ab12");
}
