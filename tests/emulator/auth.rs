//! Authentication like the cloud gateway: codes, statuses, clock window, nonce replay.

use ptsplan::api::sign::Credential;
use ptsplan::emulator::Faults;

use super::client::{Client, InProcess, KEY_ID, Sig, fresh_nonce, send_raw};

fn server() -> (tempfile::TempDir, InProcess) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = InProcess::start(dir.path(), None, Faults::default());
    (dir, server)
}

#[test]
fn both_signatures_are_accepted_with_query_and_form_parameters() {
    let (_dir, server) = server();
    for sig in [Sig::V3, Sig::V1] {
        let client = server.client().with_sig(sig);
        let answer = client.call("ListPtsScene", &[("PageNumber", "1"), ("PageSize", "10")]);
        assert_eq!(answer.status, 200, "{sig:?}: {}", answer.raw);
        assert_eq!(answer.body["Success"], true);
        assert_eq!(answer.code(), "200");
        let form = client
            .try_call(
                "ListPtsReports",
                &[],
                &[
                    ("PageNumber", "1"),
                    ("PageSize", "10"),
                    ("Keyword", "a b+c"),
                ],
                jiff::Timestamp::now(),
                &fresh_nonce(),
            )
            .expect("answer");
        assert_eq!(form.status, 200, "{sig:?}: {}", form.raw);
        assert_eq!(form.body["TotalCount"], 0);
    }
}

#[test]
fn get_requests_are_signed_and_answered_too() {
    let (_dir, server) = server();
    for sig in [Sig::V3, Sig::V1] {
        let mut client = server.client().with_sig(sig);
        client.method = "GET";
        let answer = client.call("ListPtsScene", &[("PageNumber", "1"), ("PageSize", "10")]);
        assert_eq!(answer.status, 200, "{sig:?}: {}", answer.raw);
        assert_eq!(answer.body["SceneViewList"], serde_json::Value::Null);
    }
}

#[test]
fn wrong_secret_unknown_key_and_replays_are_refused_with_gateway_codes() {
    let (_dir, server) = server();
    for sig in [Sig::V3, Sig::V1] {
        let mut wrong = server.client().with_sig(sig);
        wrong.credential = Credential::new(KEY_ID, "not-the-secret");
        let answer = wrong.call("GetAllRegions", &[]);
        assert_eq!(
            (answer.status, answer.code()),
            (400, "SignatureDoesNotMatch")
        );
        assert!(answer.text("Message").contains("server string to sign is:"));
        assert!(!answer.raw.contains("testsecret"), "the secret leaked");
        assert!(answer.body["RequestId"].is_string() && answer.body["HostId"].is_string());

        let mut unknown = server.client().with_sig(sig);
        unknown.credential = Credential::new("LTAInobody", "x");
        let answer = unknown.call("GetAllRegions", &[]);
        assert_eq!(
            (answer.status, answer.code()),
            (404, "InvalidAccessKeyId.NotFound")
        );

        let client = server.client().with_sig(sig);
        let nonce = fresh_nonce();
        let now = jiff::Timestamp::now();
        let first = client
            .try_call("GetAllRegions", &[], &[], now, &nonce)
            .expect("answer");
        assert_eq!(first.status, 200);
        let replay = client
            .try_call("GetAllRegions", &[], &[], now, &nonce)
            .expect("answer");
        assert_eq!((replay.status, replay.code()), (400, "SignatureNonceUsed"));

        for minutes in [-16, 16] {
            let skewed = now
                .checked_add(jiff::SignedDuration::from_mins(minutes))
                .expect("time");
            let answer = client
                .try_call("GetAllRegions", &[], &[], skewed, &fresh_nonce())
                .expect("answer");
            assert_eq!(
                (answer.status, answer.code()),
                (400, "InvalidTimeStamp.Expired"),
                "{minutes} min"
            );
        }
        let near = now
            .checked_add(jiff::SignedDuration::from_mins(-14))
            .expect("time");
        let answer = client
            .try_call("GetAllRegions", &[], &[], near, &fresh_nonce())
            .expect("answer");
        assert_eq!(answer.status, 200, "14 minutes of skew is allowed");
    }
}

#[test]
fn malformed_and_missing_signatures() {
    let (_dir, server) = server();
    let host = server.addr.to_string();
    let header = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    let unsigned = send_raw(
        server.addr,
        "GET",
        "/?Action=GetAllRegions&Version=2020-10-20",
        &host,
        &[],
        b"",
    )
    .expect("answer");
    assert_eq!(
        (unsigned.status, unsigned.code()),
        (400, "MissingParameter")
    );
    assert!(unsigned.text("Message").contains("Signature"));

    let garbled = send_raw(
        server.addr,
        "POST",
        "/",
        &host,
        &header(&[
            ("authorization", "ACS3-HMAC-SHA256 nonsense"),
            ("x-acs-action", "GetAllRegions"),
        ]),
        b"",
    )
    .expect("answer");
    assert_eq!(
        (garbled.status, garbled.code()),
        (400, "IncompleteSignature")
    );

    // A signed request with an extra x-acs header that is not signed.
    let client = Client::new(server.addr);
    let answer = send_raw(
        server.addr,
        "POST",
        "/",
        &host,
        &header(&[
            ("authorization", &format!("ACS3-HMAC-SHA256 Credential={KEY_ID},SignedHeaders=host;x-acs-action,Signature=00")),
            ("x-acs-action", "GetAllRegions"),
            ("x-acs-date", "2024-01-01T00:00:00Z"),
        ]),
        b"",
    )
    .expect("answer");
    assert_eq!(
        (answer.status, answer.code()),
        (400, "IncompleteSignature"),
        "{}",
        answer.raw
    );
    assert!(answer.text("Message").contains("x-acs-date"));

    let wrong_action = client.call("NoSuchAction", &[]);
    assert_eq!(
        (wrong_action.status, wrong_action.code()),
        (404, "InvalidAction.NotFound")
    );
}
