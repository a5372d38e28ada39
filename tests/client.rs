//! The PTS client over real HTTP against the test server (`pts_server`), which verifies every
//! V3 signature independently: pagination, retries of reads, no blind retry of mutations,
//! timeouts, bad credentials, garbage answers, and the `ptsplan scenes` commands.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ptsplan::api::client::RequestRecord;
use ptsplan::api::retry::RetryPolicy;
use ptsplan::api::sign::Credential;
use ptsplan::api::{ApiError, Client, ClientOptions, Endpoint, SignatureVersion};
use ptsplan::wire::{GetPtsScene, ModifyPtsScene, SavePtsScene, Scene};

use crate::pts_server::{KEY_ID, KEY_SECRET, TestServer};
use crate::util::{stderr, stdout};

/// Fast retries and short timeouts, no rate limit: tests measure behaviour, not waiting.
fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(10),
        },
        rate_limit: None,
        ..ClientOptions::default()
    }
}

fn client_with(server: &TestServer, credential: Credential, options: ClientOptions) -> Client {
    let endpoint = Endpoint::parse(&server.url()).expect("endpoint");
    Client::new(endpoint, credential, options).expect("client")
}

fn client(server: &TestServer) -> Client {
    client_with(server, Credential::new(KEY_ID, KEY_SECRET), options())
}

fn get(id: &str) -> GetPtsScene {
    GetPtsScene {
        scene_id: id.to_owned(),
    }
}

#[tokio::test]
async fn list_all_scenes_reads_every_page() {
    let server = TestServer::start(25);
    let scenes = client(&server).list_all_scenes(10).await.expect("lists");
    assert_eq!(scenes.len(), 25);
    assert_eq!(scenes[0].scene_id.as_deref(), Some("S0001"));
    assert_eq!(scenes[24].scene_name.as_deref(), Some("场景 25"));
    // 10 + 10 + 5: the short third page ends it.
    assert_eq!(server.state.count("ListPtsScene"), 3);
}

#[tokio::test]
async fn an_exact_multiple_ends_with_an_empty_page() {
    let server = TestServer::start(20);
    let scenes = client(&server).list_all_scenes(10).await.expect("lists");
    assert_eq!(scenes.len(), 20);
    assert_eq!(server.state.count("ListPtsScene"), 3);
}

#[tokio::test]
async fn get_scene_returns_the_wire_scene() {
    let server = TestServer::start(3);
    let output = client(&server).call(&get("S0002")).await.expect("gets");
    let scene = output.scene.expect("scene");
    assert_eq!(scene.scene_name.as_deref(), Some("场景 2"));
    assert_eq!(
        scene.relation_list[0].api_list[0].method.as_deref(),
        Some("POST")
    );

    let error = client(&server)
        .call(&get("NOPE"))
        .await
        .expect_err("absent");
    assert_eq!(error.code(), Some("GetPtsSceneFail"));
    assert_eq!(error.http_status(), Some(400));
    // A business error is an answer, not a fault: not retried.
    assert_eq!(server.state.count("GetPtsScene"), 2);
}

#[tokio::test]
async fn throttled_reads_are_retried() {
    let server = TestServer::start(5);
    server.state.throttle_next.store(2, Ordering::SeqCst);
    let scenes = client(&server).list_all_scenes(10).await.expect("lists");
    assert_eq!(scenes.len(), 5);
    assert_eq!(
        server.state.count("ListPtsScene"),
        3,
        "two throttled, one answered"
    );
}

#[tokio::test]
async fn throttled_mutations_are_not_retried() {
    let server = TestServer::start(0);
    server.state.throttle_next.store(1, Ordering::SeqCst);
    let error = client(&server)
        .call(&SavePtsScene::default())
        .await
        .expect_err("throttled");
    assert!(error.is_throttling(), "{error:?}");
    assert_eq!(server.state.count("SavePtsScene"), 1);
}

#[tokio::test]
async fn unavailable_reads_are_retried_then_given_up() {
    let server = TestServer::start(1);
    server.state.unavailable_next.store(2, Ordering::SeqCst);
    client(&server)
        .call(&get("S0001"))
        .await
        .expect("third try answers");
    assert_eq!(server.state.count("GetPtsScene"), 3);

    server.state.unavailable_next.store(100, Ordering::SeqCst);
    let error = client(&server)
        .call(&get("S0001"))
        .await
        .expect_err("gives up");
    assert_eq!(error.code(), Some("ServiceUnavailable"));
    assert_eq!(error.http_status(), Some(503));
    assert_eq!(
        server.state.count("GetPtsScene"),
        3 + 4,
        "max_attempts tries"
    );
}

#[tokio::test]
async fn a_slow_read_is_retried() {
    let server = TestServer::start(1);
    server.state.slow_next.store(1, Ordering::SeqCst);
    *server.state.slow_for.lock().expect("lock") = Duration::from_secs(2);
    let options = ClientOptions {
        read_timeout: Duration::from_millis(300),
        ..options()
    };
    let client = client_with(&server, Credential::new(KEY_ID, KEY_SECRET), options);
    client
        .call(&get("S0001"))
        .await
        .expect("second try answers");
    assert_eq!(server.state.count("GetPtsScene"), 2);
}

#[tokio::test]
async fn a_mutation_timing_out_is_outcome_unknown_and_sent_once() {
    let server = TestServer::start(0);
    server.state.slow_next.store(10, Ordering::SeqCst);
    *server.state.slow_for.lock().expect("lock") = Duration::from_secs(2);
    let options = ClientOptions {
        read_timeout: Duration::from_millis(300),
        ..options()
    };
    let client = client_with(&server, Credential::new(KEY_ID, KEY_SECRET), options);
    let started = std::time::Instant::now();
    let error = client
        .call(&SavePtsScene {
            scene: Scene {
                scene_name: Some("checkout".into()),
                ..Scene::default()
            },
        })
        .await
        .expect_err("times out");
    assert!(
        matches!(
            error,
            ApiError::OutcomeUnknown {
                action: "SavePtsScene",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no retry waited"
    );
    // Give a (wrong) retry time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.state.count("SavePtsScene"), 1);
    let diagnostic = error.to_diagnostic(None);
    assert!(
        diagnostic
            .help
            .unwrap_or_default()
            .contains("read the live state")
    );
}

#[tokio::test]
async fn a_wrong_secret_is_signature_mismatch_with_a_clock_or_secret_hint() {
    let server = TestServer::start(1);
    let client = client_with(&server, Credential::new(KEY_ID, "wrong-secret"), options());
    let error = client.call(&get("S0001")).await.expect_err("refused");
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(server.state.count("GetPtsScene"), 1, "not retried");
    let help = error
        .to_diagnostic(Some("environment ALICLOUD_ACCESS_KEY_ID"))
        .help
        .unwrap_or_default();
    assert!(help.contains("clock") && help.contains("secret"), "{help}");
}

#[tokio::test]
async fn an_unknown_key_names_its_source() {
    let server = TestServer::start(1);
    let client = client_with(&server, Credential::new("LTAIunknown", "s"), options());
    let error = client.call(&get("S0001")).await.expect_err("refused");
    assert_eq!(error.code(), Some("InvalidAccessKeyId.NotFound"));
    assert_eq!(error.http_status(), Some(404));
    let help = error
        .to_diagnostic(Some("~/.alibabacloud/credentials [ci]"))
        .help
        .unwrap_or_default();
    assert!(help.contains("~/.alibabacloud/credentials [ci]"), "{help}");
}

#[tokio::test]
async fn sts_tokens_are_sent_signed_and_never_logged() {
    let server = TestServer::start(1);
    let records: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let sink = records.clone();
    let options = ClientOptions {
        logger: Some(Arc::new(move |record: &RequestRecord| {
            sink.lock().expect("lock").push(record.to_string());
        })),
        ..options()
    };
    let credential = Credential::new(KEY_ID, KEY_SECRET).with_security_token("sts-token-value");
    let client = client_with(&server, credential, options);
    client.call(&get("S0001")).await.expect("accepted");
    let seen = server.state.seen.lock().expect("lock")[0].clone();
    let token = seen
        .headers
        .iter()
        .find(|(name, _)| name == "x-acs-security-token");
    assert_eq!(token.map(|(_, v)| v.as_str()), Some("sts-token-value"));

    let records = records.lock().expect("lock");
    assert_eq!(records.len(), 1);
    let line = &records[0];
    assert!(line.starts_with("GetPtsScene http://127.0.0.1:"), "{line}");
    assert!(line.contains("→ 200 request-id GET-1"), "{line}");
    assert!(line.contains("SceneId=S0001"), "{line}");
    assert!(
        !line.contains("sts-token-value") && !line.contains(KEY_SECRET),
        "{line}"
    );
    assert!(!format!("{client:?}").contains(KEY_SECRET));
}

#[tokio::test]
async fn garbage_answers_are_decode_errors() {
    let cases: [(u16, &str, &str, usize); 4] = [
        (502, "text/html", "<html><h1>502 Bad Gateway</h1></html>", 4),
        (200, "application/json", "", 1),
        (200, "application/json", "{\"SceneViewList\": 12", 1),
        (404, "text/plain", "not found", 1),
    ];
    for (status, content_type, body, tries) in cases {
        let server = TestServer::start(1);
        *server.state.raw.lock().expect("lock") = Some((status, content_type, body));
        let error = client(&server)
            .call(&get("S0001"))
            .await
            .expect_err("garbage");
        assert!(
            matches!(error, ApiError::Decode { http_status, .. } if http_status == status),
            "{status} {body:?}: {error:?}"
        );
        assert_eq!(
            server.state.count("GetPtsScene"),
            tries,
            "{status} {body:?}"
        );
    }
}

#[tokio::test]
async fn parallelism_is_bounded_across_clones() {
    let server = TestServer::start(1);
    server.state.slow_next.store(8, Ordering::SeqCst);
    *server.state.slow_for.lock().expect("lock") = Duration::from_millis(100);
    let options = ClientOptions {
        parallelism: 2,
        ..options()
    };
    let client = client_with(&server, Credential::new(KEY_ID, KEY_SECRET), options);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call(&get("S0001")).await })
        })
        .collect();
    for call in calls {
        call.await.expect("joins").expect("answers");
    }
    assert_eq!(server.state.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn both_signature_versions_with_query_and_form_body() {
    let server = TestServer::start(11);
    for signature in [SignatureVersion::V3, SignatureVersion::V1] {
        let signed = ClientOptions {
            signature,
            ..options()
        };
        let client = client_with(&server, Credential::new(KEY_ID, KEY_SECRET), signed);
        let scenes = client.list_all_scenes(10).await.expect("lists");
        assert_eq!(scenes.len(), 11, "{signature:?}");
        // ModifyPtsScene sends `Scene` in a form body: signed (v3: body hash and
        // content-type; v1: body parameters in the signed set).
        let modify = ModifyPtsScene {
            scene: r#"{"sceneId":"S0001","sceneName":"a b&c=d 场景"}"#.to_owned(),
        };
        client.call(&modify).await.expect("modified");

        let wrong = ClientOptions {
            signature,
            ..options()
        };
        let wrong = client_with(&server, Credential::new(KEY_ID, "wrong"), wrong);
        let error = wrong.call(&get("S0001")).await.expect_err("refused");
        assert_eq!(error.code(), Some("SignatureDoesNotMatch"), "{signature:?}");
    }
    assert_eq!(server.state.count("ModifyPtsScene"), 2);
}

#[tokio::test]
async fn tls_is_built_in_and_a_failed_handshake_is_not_sent() {
    // An https:// endpoint pointing at the plain-HTTP test server: the TLS handshake fails
    // before any request byte is written, so even a mutation is a Transport error.
    let server = TestServer::start(0);
    let endpoint = Endpoint::parse(&format!("https://{}", server.addr)).expect("endpoint");
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 1,
            ..options().retry
        },
        ..options()
    };
    let client =
        Client::new(endpoint, Credential::new(KEY_ID, KEY_SECRET), options).expect("client");
    let error = client
        .call(&SavePtsScene::default())
        .await
        .expect_err("no TLS there");
    assert!(matches!(error, ApiError::Transport { .. }), "{error:?}");
    assert_eq!(server.state.count("SavePtsScene"), 0);
}

/// `ptsplan` with a clean environment: only the given variables, HOME in a temp dir.
fn ptsplan(home: &std::path::Path) -> std::process::Command {
    let mut command = crate::util::ptsplan(home);
    command
        .env_clear()
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80");
    command
}

#[test]
fn scenes_list_json_against_the_test_server() {
    let server = TestServer::start(12);
    let home = tempfile::tempdir().expect("temp dir");
    let out = ptsplan(home.path())
        .args([
            "scenes",
            "list",
            "--endpoint",
            &server.url(),
            "--format",
            "json",
        ])
        .args(["--page-size", "10"])
        .env("ALICLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALICLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(report["format_version"], 1);
    let scenes = report["scenes"].as_array().expect("scenes");
    assert_eq!(scenes.len(), 12);
    assert_eq!(
        scenes[0],
        serde_json::json!({"id": "S0001", "name": "场景 1", "status": "Draft",
                           "created": "2026-01-02 03:04:05"})
    );
    assert_eq!(server.state.count("ListPtsScene"), 2);
}

#[test]
fn scenes_text_output_and_verbose_log() {
    let server = TestServer::start(2);
    let home = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        ptsplan(home.path())
            .args(args)
            .env("PTSPLAN_ENDPOINT", server.url())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEY_SECRET)
            .output()
            .expect("runs")
    };
    let out = run(&["-v", "scenes", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ID     NAME    STATUS  CREATED\n\
         S0001  场景 1  Draft   2026-01-02 03:04:05\n\
         S0002  场景 2  Draft   2026-01-02 03:04:05\n"
    );
    let log = stderr(&out);
    assert!(log.contains("ListPtsScene http://127.0.0.1:"), "{log}");
    assert!(
        log.contains(
            "(region cn-hangzhou, credentials from environment ALIBABA_CLOUD_ACCESS_KEY_ID)"
        ),
        "{log}"
    );
    assert!(!log.contains(KEY_SECRET), "{log}");

    let out = run(&["scenes", "get", "S0002"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("name:      场景 2"), "{text}");
    assert!(text.contains("POST http://127.0.0.1:9/token"), "{text}");

    let out = run(&["scenes", "get", "S0002", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["scene"]["SceneId"], "S0002");
}

#[test]
fn scenes_errors_are_diagnostics() {
    let server = TestServer::start(1);
    let home = tempfile::tempdir().expect("temp dir");
    let out = ptsplan(home.path())
        .args(["scenes", "list", "--endpoint", &server.url()])
        .env("ALICLOUD_ACCESS_KEY_ID", KEY_ID)
        .env("ALICLOUD_ACCESS_KEY_SECRET", "not-the-secret")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");
    assert!(text.contains("clock"), "{text}");
    assert!(
        text.contains("environment ALICLOUD_ACCESS_KEY_ID"),
        "{text}"
    );
    assert!(!text.contains("not-the-secret"), "{text}");
}

#[test]
fn no_credentials_means_the_embedded_local_backend_said_in_one_line() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = ptsplan(home.path())
        .args(["scenes", "list"])
        .output()
        .expect("runs");
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        text.trim_end(),
        "using the embedded local backend (no PTS credentials found); see docs/backends.md"
    );
    assert_eq!(crate::util::stdout(&out), "no scenes\n");
    // Its state, key pair included (owner-only), is kept in the project.
    let keys = home.path().join(".ptsplan/local/keys.toml");
    assert!(keys.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys).expect("keys").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn profile_from_the_shared_file_is_used() {
    let server = TestServer::start(1);
    let home = tempfile::tempdir().expect("temp dir");
    let dir = home.path().join(".alibabacloud");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("credentials"),
        format!(
            "[ci]\ntype = access_key\naccess_key_id = {KEY_ID}\naccess_key_secret = {KEY_SECRET}\n"
        ),
    )
    .expect("write");
    std::fs::write(
        home.path().join("ptsplan.toml"),
        format!(
            "[backend]\nendpoint = \"{}\"\nprofile = \"ci\"\n",
            server.url()
        ),
    )
    .expect("write");
    let out = ptsplan(home.path())
        .args(["scenes", "list", "--format", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.state.count("ListPtsScene"), 1);
}
