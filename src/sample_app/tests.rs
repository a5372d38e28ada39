//! The sample app's answers, at chosen instants (no waiting for tokens to expire).

use super::*;

const APP_ID: &str = "wxquickstart00001";
const SECRET: &str = "test-secret";

fn app(ttl: Duration) -> App {
    App::new(Options {
        app_id: APP_ID.into(),
        app_secret: SECRET.into(),
        token_ttl: ttl,
        latency: Duration::ZERO,
        pressure: PressureOptions::default(),
    })
}

fn call<'a>(method: &'a str, path: &'a str, query: &'a str, body: &'a str) -> Call<'a> {
    Call {
        method,
        path,
        query,
        authorization: None,
        content_type: Some("application/json"),
        body: body.as_bytes(),
    }
}

fn token_body() -> String {
    format!(r#"{{"grant_type":"client_credential","appid":"{APP_ID}","secret":"{SECRET}"}}"#)
}

/// A token issued at `now`.
fn token(app: &App, now: u64) -> String {
    let body = token_body();
    let reply = app.answer(&call("POST", "/cgi-bin/token", "", &body), now);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

fn with_token<'a>(mut call: Call<'a>, authorization: &'a str) -> Call<'a> {
    call.authorization = Some(authorization);
    call
}

#[test]
fn the_token_endpoint_answers_like_wechat() {
    let app = app(Duration::from_secs(30));
    let body = token_body();
    let reply = app.answer(&call("POST", "/cgi-bin/token", "", &body), 0);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["expires_in"], 30);
    assert!(reply.body["access_token"].as_str().is_some());
    // GET with query parameters, and POST with a form body, work too.
    let query = format!("grant_type=client_credential&appid={APP_ID}&secret={SECRET}");
    assert_eq!(
        app.answer(&call("GET", "/cgi-bin/token", &query, ""), 0)
            .status,
        200
    );
    let mut form = call("POST", "/cgi-bin/token", "", &query);
    form.content_type = Some("application/x-www-form-urlencoded");
    assert_eq!(app.answer(&form, 0).status, 200);
}

#[test]
fn wrong_credentials_get_no_token() {
    let app = app(Duration::from_secs(30));
    let cases = [
        (
            r#"{"grant_type":"client_credential","appid":"wxother","secret":"test-secret"}"#,
            401,
            40013,
        ),
        (
            r#"{"grant_type":"client_credential","appid":"wxquickstart00001","secret":"nope"}"#,
            401,
            40125,
        ),
        (
            r#"{"grant_type":"password","appid":"wxquickstart00001","secret":"test-secret"}"#,
            400,
            40002,
        ),
        ("[1]", 400, 47001),
    ];
    for (body, status, errcode) in cases {
        let reply = app.answer(&call("POST", "/cgi-bin/token", "", body), 0);
        assert_eq!(
            (reply.status, reply.body["errcode"].as_i64()),
            (status, Some(errcode)),
            "{body}"
        );
        assert!(reply.body.get("access_token").is_none());
    }
}

#[test]
fn order_apis_refuse_missing_invalid_and_expired_tokens() {
    let app = app(Duration::from_secs(30));
    let list = call("GET", "/api/orders", "", "");
    let reply = app.answer(&list, 1_000);
    assert_eq!(
        (reply.status, reply.body["errcode"].as_i64()),
        (401, Some(41001))
    );
    let reply = app.answer(&with_token(list, "Bearer forged.token"), 1_000);
    assert_eq!(
        (reply.status, reply.body["errcode"].as_i64()),
        (401, Some(40001))
    );

    let token = token(&app, 1_000);
    let bearer = format!("Bearer {token}");
    assert_eq!(app.answer(&with_token(list, &bearer), 30_999).status, 200);
    let reply = app.answer(&with_token(list, &bearer), 31_000);
    assert_eq!(
        (reply.status, reply.body["errcode"].as_i64()),
        (401, Some(42001))
    );
    // WeChat's query parameter works as well as the header.
    let query = format!("access_token={token}");
    assert_eq!(
        app.answer(&call("GET", "/api/orders", &query, ""), 2_000)
            .status,
        200
    );
    // Every order API checks.
    for (method, path) in [
        ("POST", "/api/orders"),
        ("GET", "/api/orders/1000000000001"),
    ] {
        let reply = app.answer(&with_token(call(method, path, "", "{}"), &bearer), 40_000);
        assert_eq!(reply.status, 401, "{method} {path}");
    }
}

#[test]
fn an_order_is_placed_listed_and_read_back() {
    let app = app(Duration::from_secs(7200));
    let bearer = format!("Bearer {}", token(&app, 0));
    let body = r#"{"sku":"SKU-1004","quantity":2}"#;
    let created = app.answer(
        &with_token(call("POST", "/api/orders", "", body), &bearer),
        5,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let order = &created.body["data"];
    assert_eq!(order["amount"], 99.8);
    assert_eq!(order["state"], "CREATED");
    let id = order["order_id"].as_str().expect("order_id");

    let listed = app.answer(
        &with_token(call("GET", "/api/orders", "size=2", ""), &bearer),
        6,
    );
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["data"]["orders"][0]["order_id"], id);
    assert_eq!(
        listed.body["data"]["orders"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        listed.body["data"]["total"], 4,
        "three seeded orders and this one"
    );

    let path = format!("/api/orders/{id}");
    let read = app.answer(&with_token(call("GET", &path, "", ""), &bearer), 7);
    assert_eq!(read.status, 200);
    assert_eq!(read.body["data"], *order);
    let missing = app.answer(
        &with_token(call("GET", "/api/orders/42", "", ""), &bearer),
        7,
    );
    assert_eq!(
        (missing.status, missing.body["errcode"].as_i64()),
        (404, Some(40404))
    );
}

#[test]
fn bad_orders_and_unknown_paths_are_explained() {
    let app = app(Duration::from_secs(7200));
    let bearer = format!("Bearer {}", token(&app, 0));
    for (body, errcode) in [
        ("not json", 47001),
        (r#"{"quantity":1}"#, 40003),
        (r#"{"sku":"SKU-1","quantity":0}"#, 40003),
        (r#"{"sku":"SKU-1","quantity":"lots"}"#, 40003),
        (r#"{"sku":"TEA","quantity":1}"#, 40004),
    ] {
        let reply = app.answer(
            &with_token(call("POST", "/api/orders", "", body), &bearer),
            1,
        );
        assert_eq!(
            (reply.status, reply.body["errcode"].as_i64()),
            (400, Some(errcode)),
            "{body}"
        );
    }
    let reply = app.answer(
        &with_token(call("DELETE", "/api/orders", "", ""), &bearer),
        1,
    );
    assert_eq!(reply.status, 405);
    assert_eq!(app.answer(&call("GET", "/nothing", "", ""), 1).status, 404);
    assert_eq!(app.answer(&call("GET", "/healthz", "", ""), 1).status, 200);
}
