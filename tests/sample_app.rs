//! `ptsplan sample-app` through HTTP: the banner, the token endpoint, the order APIs'
//! refusals and answers, loopback only, and a clean stop on SIGTERM. (Token expiry at a
//! chosen instant is unit-tested in src/sample_app/tests.rs, without waiting.)

use crate::util::{SAMPLE_SECRET, run, start_sample_app, stderr};

fn token_body(secret: &str) -> String {
    format!(
        r#"{{"grant_type":"client_credential","appid":"wxquickstart00001","secret":"{secret}"}}"#
    )
}

#[test]
fn a_token_opens_the_order_apis() {
    let app = start_sample_app(&["--token-ttl", "2h"]);
    let json = [("Content-Type", "application/json")];

    let (status, body) = app.call("POST", "/cgi-bin/token", &json, &token_body("wrong"));
    assert_eq!((status, body["errcode"].as_i64()), (401, Some(40125)));
    let (status, body) = app.call("POST", "/cgi-bin/token", &json, &token_body(SAMPLE_SECRET));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 7200);
    let token = body["access_token"].as_str().expect("a token").to_owned();
    let bearer = format!("Bearer {token}");
    let auth = [("Authorization", bearer.as_str()), json[0]];

    let (status, body) = app.call("GET", "/api/orders", &[], "");
    assert_eq!((status, body["errcode"].as_i64()), (401, Some(41001)));
    let (status, body) = app.call("GET", "/api/orders", &[("Authorization", "Bearer x.y")], "");
    assert_eq!((status, body["errcode"].as_i64()), (401, Some(40001)));

    let (status, created) = app.call(
        "POST",
        "/api/orders",
        &auth,
        r#"{"sku":"SKU-1001","quantity":2}"#,
    );
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["order_id"].as_str().expect("order_id");
    let (status, read) = app.call("GET", &format!("/api/orders/{id}"), &auth, "");
    assert_eq!((status, &read["data"]), (200, &created["data"]));
    let (status, listed) = app.call("GET", "/api/orders?size=1", &auth, "");
    assert_eq!(
        (status, &listed["data"]["orders"][0]["order_id"]),
        (200, &created["data"]["order_id"])
    );
    // WeChat's query parameter form.
    let (status, _) = app.call("GET", &format!("/api/orders?access_token={token}"), &[], "");
    assert_eq!(status, 200);
}

#[test]
fn the_app_serves_loopback_only() {
    let out = run(&["sample-app", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a loopback address"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_app_cleanly() {
    let mut app = start_sample_app(&[]);
    let (status, _) = app.call("GET", "/healthz", &[], "");
    assert_eq!(status, 200);
    let pid = app.child().id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let exit = app.child().wait().expect("the app exits");
    assert_eq!(exit.code(), Some(0));
}
